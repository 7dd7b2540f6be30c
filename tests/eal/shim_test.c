/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/shim: every fault on virtual time. Packets are real mbufs (EAL
 * for the mempool) tagged with a sequence number so that order, identity
 * and copies can be checked; the pool's in-use count proves every mbuf the
 * shim drops or destroys goes back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include "eal_test.h"
#include "shim.h"

#define NB_FLOWS  4
#define POOL_SIZE 4095

static struct rte_mempool *pool;

struct fixture {
	struct tt_shim *s;
	unsigned int in_use_before;
};

static struct tt_shim *shim_new(uint32_t delay_cap, uint64_t seed)
{
	const struct tt_shim_conf conf = {
		.nb_flows = NB_FLOWS,
		.delay_cap = delay_cap,
		.seed = seed,
		.socket_id = SOCKET_ID_ANY,
	};

	return tt_shim_create(&conf);
}

static int fixture_setup(void **state)
{
	static struct fixture fx;

	fx.in_use_before = rte_mempool_in_use_count(pool);
	fx.s = shim_new(64, 42);
	*state = &fx;
	return fx.s == NULL ? -1 : 0;
}

/* Destroying the shim returns everything it held; nothing may leak. */
static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	tt_shim_destroy(fx->s);
	assert_int_equal(rte_mempool_in_use_count(pool), fx->in_use_before);
	return 0;
}

static struct rte_mbuf *pkt(uint32_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 64));
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0xab, 64);
	memcpy(p, &tag, sizeof(tag));
	return m;
}

static uint32_t tag_of(const struct rte_mbuf *m)
{
	uint32_t tag;

	memcpy(&tag, rte_pktmbuf_mtod(m, const void *), sizeof(tag));
	return tag;
}

static void free_all(struct rte_mbuf **v, unsigned int n)
{
	rte_pktmbuf_free_bulk(v, n);
}

static uint64_t ctr(const struct tt_shim *s, uint16_t flow, enum tt_shim_ctr c)
{
	uint64_t v[TT_SHIM_CTR_MAX];

	assert_int_equal(tt_shim_stats_get(s, flow, v), 0);
	return v[c];
}

static void assert_counters_zero(const struct tt_shim *s, uint16_t flow)
{
	uint64_t v[TT_SHIM_CTR_MAX];
	unsigned int c;

	assert_int_equal(tt_shim_stats_get(s, flow, v), 0);
	for (c = 0; c < TT_SHIM_CTR_MAX; c++)
		assert_int_equal(v[c], 0);
}

static void test_zero_fault_untouched(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX], *m;
	unsigned int i, n;
	uint16_t flow;

	for (i = 0; i < 1000; i++) {
		flow = (uint16_t)(i % NB_FLOWS);
		m = pkt(i);
		n = tt_shim_tx(fx->s, flow, m, i, out);
		assert_int_equal(n, 1);
		assert_ptr_equal(out[0], m);
		assert_int_equal(tag_of(m), i);
		assert_int_equal(rte_pktmbuf_data_len(m), 64);
		rte_pktmbuf_free(m);
	}
	assert_int_equal(tt_shim_pending(fx->s), 0);
	assert_int_equal(tt_shim_poll(fx->s, 1000000000, out, TT_SHIM_TX_OUT_MAX), 0);
	for (flow = 0; flow < NB_FLOWS; flow++)
		assert_counters_zero(fx->s, flow);
	/* A fault on one flow leaves the others untouched too. */
	assert_int_equal(tt_shim_set(fx->s, 1, &(struct tt_shim_fault){.cut = true}), 0);
	m = pkt(7);
	assert_int_equal(tt_shim_tx(fx->s, 0, m, 0, out), 1);
	assert_ptr_equal(out[0], m);
	rte_pktmbuf_free(m);
	/* So does an id beyond the shim's flows. */
	m = pkt(8);
	assert_int_equal(tt_shim_tx(fx->s, NB_FLOWS + 3, m, 0, out), 1);
	assert_ptr_equal(out[0], m);
	rte_pktmbuf_free(m);
	assert_counters_zero(fx->s, 0);
}

static void test_cut_drops_all(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX], *m;
	unsigned int i;

	assert_int_equal(tt_shim_set(fx->s, 2, &(struct tt_shim_fault){.cut = true}), 0);
	assert_int_equal(atomic_load(&fx->s->nactive), 1);
	for (i = 0; i < 500; i++)
		assert_int_equal(tt_shim_tx(fx->s, 2, pkt(i), i, out), 0);
	assert_int_equal(ctr(fx->s, 2, TT_SHIM_CTR_CUT), 500);
	assert_int_equal(ctr(fx->s, 2, TT_SHIM_CTR_DROPPED), 0);
	assert_int_equal(tt_shim_pending(fx->s), 0);
	/* Freed at once, not kept. */
	assert_int_equal(rte_mempool_in_use_count(pool), fx->in_use_before);
	/* Clearing the fault restores the fast path. */
	assert_int_equal(tt_shim_set(fx->s, 2, NULL), 0);
	assert_int_equal(atomic_load(&fx->s->nactive), 0);
	m = pkt(1);
	assert_int_equal(tt_shim_tx(fx->s, 2, m, 0, out), 1);
	assert_ptr_equal(out[0], m);
	rte_pktmbuf_free(m);
	assert_int_equal(ctr(fx->s, 2, TT_SHIM_CTR_CUT), 500);
}

/* Dropped count over n packets at drop_ppm, seeded. */
static unsigned int run_drops(struct tt_shim *s, uint32_t ppm, unsigned int n)
{
	struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX];
	unsigned int i, passed = 0;

	assert_int_equal(tt_shim_set(s, 0, &(struct tt_shim_fault){.drop_ppm = ppm}), 0);
	for (i = 0; i < n; i++) {
		unsigned int k = tt_shim_tx(s, 0, pkt(i), i, out);

		assert_true(k <= 1);
		if (k == 1) {
			assert_int_equal(tag_of(out[0]), i);
			passed++;
			rte_pktmbuf_free(out[0]);
		}
	}
	assert_int_equal(ctr(s, 0, TT_SHIM_CTR_DROPPED), n - passed);
	return n - passed;
}

static void test_drop_percentage(void **state)
{
	struct fixture *fx = *state;
	struct tt_shim *twin = shim_new(64, 42);
	struct tt_shim *other = shim_new(64, 43);
	unsigned int d, d_twin, d_other;

	assert_non_null(twin);
	assert_non_null(other);
	/* 25 % of 20000: expected 5000, sd ~61; +-500 is over 8 sd. */
	d = run_drops(fx->s, 250000, 20000);
	assert_true(d >= 4500 && d <= 5500);
	/* Same seed, same packets: the same drops. Another seed: others. */
	d_twin = run_drops(twin, 250000, 20000);
	assert_int_equal(d_twin, d);
	d_other = run_drops(other, 250000, 20000);
	assert_true(d_other >= 4500 && d_other <= 5500);
	assert_int_not_equal(d_other, d);
	tt_shim_destroy(twin);
	tt_shim_destroy(other);
	/* 0 % and 100 % are exact. */
	fx->s = shim_new(64, 1);
	assert_int_equal(run_drops(fx->s, TT_SHIM_PPM_MAX, 1000), 1000);
	tt_shim_destroy(fx->s);
	fx->s = shim_new(64, 1);
	assert_int_equal(tt_shim_set(fx->s, 1, &(struct tt_shim_fault){.cut = true}), 0);
	assert_int_equal(run_drops(fx->s, 0, 1000), 0);
}

static void test_delay_releases_on_time(void **state)
{
	struct fixture *fx = *state;
	const struct tt_shim_fault f = {.delay_ns = TT_NS_PER_MS};
	struct rte_mbuf *out[16];
	tt_ns_t t0 = 5 * TT_NS_PER_S, deadline = 0;
	unsigned int i, n;

	assert_int_equal(tt_shim_set(fx->s, 3, &f), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(tt_shim_tx(fx->s, 3, pkt(i), t0 + i * 1000, out), 0);
	assert_int_equal(tt_shim_pending(fx->s), 10);
	assert_int_equal(ctr(fx->s, 3, TT_SHIM_CTR_DELAYED), 10);
	assert_true(tt_shim_next_deadline(fx->s, &deadline));
	assert_int_equal(deadline, t0 + TT_NS_PER_MS);
	/* Nothing one nanosecond early. */
	assert_int_equal(tt_shim_poll(fx->s, t0, out, 16), 0);
	assert_int_equal(tt_shim_poll(fx->s, t0 + TT_NS_PER_MS - 1, out, 16), 0);
	/* Exactly the due ones, in order. */
	n = tt_shim_poll(fx->s, t0 + TT_NS_PER_MS + 2000, out, 16);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_int_equal(tag_of(out[i]), i);
	free_all(out, n);
	/* cap respected; the rest later. */
	n = tt_shim_poll(fx->s, t0 + 2 * TT_NS_PER_MS, out, 4);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		assert_int_equal(tag_of(out[i]), 3 + i);
	free_all(out, n);
	n = tt_shim_poll(fx->s, t0 + 2 * TT_NS_PER_MS, out, 16);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_int_equal(tag_of(out[i]), 7 + i);
	free_all(out, n);
	assert_int_equal(tt_shim_pending(fx->s), 0);
	assert_false(tt_shim_next_deadline(fx->s, &deadline));
	assert_int_equal(ctr(fx->s, 3, TT_SHIM_CTR_RELEASED), 10);
}

static void test_delay_jitter_bounds(void **state)
{
	struct fixture *fx = *state;
	const struct tt_shim_fault f = {.delay_ns = 2 * TT_NS_PER_MS, .jitter_ns = TT_NS_PER_MS};
	struct rte_mbuf *out[64];
	bool seen[64] = {false};
	unsigned int i, n, total = 0, out_of_order = 0;
	uint32_t last = 0;
	tt_ns_t t;

	assert_int_equal(tt_shim_set(fx->s, 0, &f), 0);
	for (i = 0; i < 64; i++)
		assert_int_equal(tt_shim_tx(fx->s, 0, pkt(i), 0, out), 0);
	assert_int_equal(tt_shim_poll(fx->s, 2 * TT_NS_PER_MS - 1, out, 64), 0);
	/* Walk time in 100 us steps: every packet leaves in [2 ms, 3 ms]. */
	for (t = 2 * TT_NS_PER_MS; t <= 3 * TT_NS_PER_MS; t += 100 * TT_NS_PER_US) {
		n = tt_shim_poll(fx->s, t, out, 64);
		for (i = 0; i < n; i++) {
			uint32_t tag = tag_of(out[i]);

			assert_true(tag < 64);
			assert_false(seen[tag]);
			seen[tag] = true;
			if (total + i > 0 && tag < last)
				out_of_order++;
			last = tag;
		}
		total += n;
		free_all(out, n);
	}
	assert_int_equal(total, 64);
	assert_int_equal(tt_shim_pending(fx->s), 0);
	/* Uniform jitter over 1 ms on 64 packets sent together reorders them. */
	assert_true(out_of_order > 0);
}

static void test_delay_queue_full_counted(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *out[16];
	unsigned int i, n;

	tt_shim_destroy(fx->s);
	fx->s = shim_new(8, 42);
	assert_non_null(fx->s);
	assert_int_equal(tt_shim_set(fx->s, 1, &(struct tt_shim_fault){.delay_ns = 1000}), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(tt_shim_tx(fx->s, 1, pkt(i), 0, out), 0);
	assert_int_equal(tt_shim_pending(fx->s), 8);
	assert_int_equal(ctr(fx->s, 1, TT_SHIM_CTR_DELAYED), 8);
	assert_int_equal(ctr(fx->s, 1, TT_SHIM_CTR_DELAY_FULL), 2);
	/* The two that did not fit went back to the pool. */
	assert_int_equal(rte_mempool_in_use_count(pool), fx->in_use_before + 8);
	n = tt_shim_poll(fx->s, 1000, out, 16);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++)
		assert_int_equal(tag_of(out[i]), i);
	free_all(out, n);
}

static void test_reorder_swaps_with_next(void **state)
{
	struct fixture *fx = *state;
	const struct tt_shim_fault f = {.reorder_ppm = TT_SHIM_PPM_MAX,
					.reorder_hold_ns = 500 * TT_NS_PER_US};
	struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX], *a, *b;
	tt_ns_t deadline;
	unsigned int n;

	assert_int_equal(tt_shim_set(fx->s, 0, &f), 0);
	a = pkt(1);
	assert_int_equal(tt_shim_tx(fx->s, 0, a, 100, out), 0);
	assert_int_equal(tt_shim_pending(fx->s), 1);
	assert_true(tt_shim_next_deadline(fx->s, &deadline));
	assert_int_equal(deadline, 100 + 500 * TT_NS_PER_US);
	/* The next packet goes first, the held one right behind it. */
	b = pkt(2);
	n = tt_shim_tx(fx->s, 0, b, 200, out);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0], b);
	assert_ptr_equal(out[1], a);
	free_all(out, n);
	assert_int_equal(ctr(fx->s, 0, TT_SHIM_CTR_REORDERED), 1);
	/* Held with no successor: released when the hold runs out, not before. */
	assert_int_equal(tt_shim_tx(fx->s, 0, pkt(3), 1000, out), 0);
	assert_int_equal(tt_shim_poll(fx->s, 1000 + 500 * TT_NS_PER_US - 1, out, 3), 0);
	n = tt_shim_poll(fx->s, 1000 + 500 * TT_NS_PER_US, out, 3);
	assert_int_equal(n, 1);
	assert_int_equal(tag_of(out[0]), 3);
	free_all(out, n);
	assert_int_equal(ctr(fx->s, 0, TT_SHIM_CTR_HOLD_EXPIRED), 1);
	assert_int_equal(ctr(fx->s, 0, TT_SHIM_CTR_REORDERED), 2);
	assert_int_equal(tt_shim_pending(fx->s), 0);
}

static void test_reorder_then_delay(void **state)
{
	struct fixture *fx = *state;
	const struct tt_shim_fault f = {.reorder_ppm = TT_SHIM_PPM_MAX, .delay_ns = 1000};
	struct rte_mbuf *out[4];
	unsigned int n;

	assert_int_equal(tt_shim_set(fx->s, 0, &f), 0);
	assert_int_equal(tt_shim_tx(fx->s, 0, pkt(1), 0, out), 0);
	assert_int_equal(tt_shim_tx(fx->s, 0, pkt(2), 0, out), 0);
	assert_int_equal(tt_shim_poll(fx->s, 999, out, 4), 0);
	n = tt_shim_poll(fx->s, 1000, out, 4);
	assert_int_equal(n, 2);
	assert_int_equal(tag_of(out[0]), 2);
	assert_int_equal(tag_of(out[1]), 1);
	free_all(out, n);
}

static void test_duplicate(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX], *a;
	unsigned int n;

	assert_int_equal(tt_shim_set(fx->s, 2, &(struct tt_shim_fault){.dup_ppm = TT_SHIM_PPM_MAX}),
			 0);
	a = pkt(9);
	n = tt_shim_tx(fx->s, 2, a, 0, out);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0], a);
	assert_ptr_not_equal(out[1], a);
	/* A deep copy: same bytes, its own data. */
	assert_int_equal(rte_pktmbuf_data_len(out[1]), 64);
	assert_memory_equal(rte_pktmbuf_mtod(out[1], void *), rte_pktmbuf_mtod(a, void *), 64);
	assert_ptr_not_equal(rte_pktmbuf_mtod(out[1], void *), rte_pktmbuf_mtod(a, void *));
	assert_int_equal(rte_mbuf_refcnt_read(a), 1);
	assert_int_equal(ctr(fx->s, 2, TT_SHIM_CTR_DUPLICATED), 1);
	free_all(out, n);

	/* With reorder too: the original is held, its copy overtakes it. */
	assert_int_equal(tt_shim_set(fx->s, 2,
				     &(struct tt_shim_fault){
					     .dup_ppm = TT_SHIM_PPM_MAX,
					     .reorder_ppm = TT_SHIM_PPM_MAX,
				     }),
			 0);
	a = pkt(10);
	n = tt_shim_tx(fx->s, 2, a, 0, out);
	assert_int_equal(n, 2);
	assert_ptr_not_equal(out[0], a);
	assert_int_equal(tag_of(out[0]), 10);
	assert_ptr_equal(out[1], a);
	free_all(out, n);
	assert_int_equal(tt_shim_pending(fx->s), 0);
}

static void test_set_get_validation(void **state)
{
	struct fixture *fx = *state;
	const struct tt_shim_fault f = {.drop_ppm = 10,
					.dup_ppm = 20,
					.reorder_ppm = 30,
					.reorder_hold_ns = 40,
					.delay_ns = 50,
					.jitter_ns = 60};
	struct tt_shim_fault g;
	uint64_t v[TT_SHIM_CTR_MAX];

	assert_int_equal(tt_shim_set(fx->s, 1, &f), 0);
	assert_int_equal(tt_shim_get(fx->s, 1, &g), 0);
	assert_memory_equal(&f, &g, sizeof(f));
	/* Setting again does not count the flow twice. */
	assert_int_equal(tt_shim_set(fx->s, 1, &f), 0);
	assert_int_equal(atomic_load(&fx->s->nactive), 1);
	assert_int_equal(tt_shim_set(fx->s, NB_FLOWS, &f), -EINVAL);
	assert_int_equal(tt_shim_get(fx->s, NB_FLOWS, &g), -EINVAL);
	assert_int_equal(tt_shim_stats_get(fx->s, NB_FLOWS, v), -EINVAL);
	assert_int_equal(
		tt_shim_set(fx->s, 0, &(struct tt_shim_fault){.drop_ppm = TT_SHIM_PPM_MAX + 1}),
		-EINVAL);
	assert_int_equal(
		tt_shim_set(fx->s, 0, &(struct tt_shim_fault){.dup_ppm = TT_SHIM_PPM_MAX + 1}),
		-EINVAL);
	assert_int_equal(
		tt_shim_set(fx->s, 0, &(struct tt_shim_fault){.reorder_ppm = TT_SHIM_PPM_MAX + 1}),
		-EINVAL);
	/* A hold time alone is no fault. */
	assert_int_equal(tt_shim_set(fx->s, 0, &(struct tt_shim_fault){.reorder_hold_ns = 5}), 0);
	assert_int_equal(atomic_load(&fx->s->nactive), 1);
	assert_int_equal(tt_shim_set(fx->s, 1, NULL), 0);
	assert_int_equal(atomic_load(&fx->s->nactive), 0);
	assert_int_equal(tt_shim_get(fx->s, 1, &g), 0);
	assert_false(g.cut);
	assert_int_equal(g.drop_ppm, 0);
	assert_string_equal(tt_shim_ctr_name(TT_SHIM_CTR_DELAY_FULL), "delay_full");
	assert_string_equal(tt_shim_ctr_name(TT_SHIM_CTR_MAX), "?");
	assert_null(tt_shim_create(&(struct tt_shim_conf){.nb_flows = 0, .delay_cap = 1}));
	assert_null(tt_shim_create(&(struct tt_shim_conf){.nb_flows = 1, .delay_cap = 0}));
}

/* Destroy with packets delayed and held: all of them go back to the pool. */
static void test_destroy_frees_pending(void **state)
{
	struct fixture *fx = *state;
	struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX];
	unsigned int i;

	assert_int_equal(tt_shim_set(fx->s, 0, &(struct tt_shim_fault){.delay_ns = 1000}), 0);
	assert_int_equal(
		tt_shim_set(fx->s, 1, &(struct tt_shim_fault){.reorder_ppm = TT_SHIM_PPM_MAX}), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(tt_shim_tx(fx->s, 0, pkt(i), 0, out), 0);
	assert_int_equal(tt_shim_tx(fx->s, 1, pkt(99), 0, out), 0);
	assert_int_equal(tt_shim_pending(fx->s), 6);
	assert_int_equal(rte_mempool_in_use_count(pool), fx->in_use_before + 6);
	/* fixture_teardown destroys and checks the pool. */
}

static int setup(void **state)
{
	(void)state;
	if (tt_eal_test_init("shim") < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("shimpool", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	return rte_eal_cleanup();
}

#define SHIM_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SHIM_TEST(test_zero_fault_untouched),
		SHIM_TEST(test_cut_drops_all),
		SHIM_TEST(test_drop_percentage),
		SHIM_TEST(test_delay_releases_on_time),
		SHIM_TEST(test_delay_jitter_bounds),
		SHIM_TEST(test_delay_queue_full_counted),
		SHIM_TEST(test_reorder_swaps_with_next),
		SHIM_TEST(test_reorder_then_delay),
		SHIM_TEST(test_duplicate),
		SHIM_TEST(test_set_get_validation),
		SHIM_TEST(test_destroy_frees_pending),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
