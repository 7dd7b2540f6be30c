/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulator itself: determinism, exact delay and jitter bounds, loss and
 * duplication rates, reordering only when asked, scheduled cuts, a bounded
 * pool, node wake-ups on a timer grid, and argument checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netsim.h"

#define MAX_REC 200000

/* A sink that records every arrival: which packet (the first 4 bytes), where and when. */
struct rec {
	uint32_t seq;
	uint32_t link;
	tt_ns_t at;
};

struct sink {
	struct rec *rec;
	size_t n;
};

static void sink_rx(void *ctx, uint32_t link, const uint8_t *b, size_t len, tt_ns_t now)
{
	struct sink *s = ctx;
	uint32_t seq = 0;

	assert_true(len >= 4);
	memcpy(&seq, b, 4);
	assert_true(s->n < MAX_REC);
	s->rec[s->n++] = (struct rec){.seq = seq, .link = link, .at = now};
}

static const struct tt_netsim_node_ops sink_ops = {.rx = sink_rx};

static const struct tt_netsim_limits small_lim = {
	.max_nodes = 4, .max_links = 8, .max_faults = 16, .pool_slots = 4096, .slot_bytes = 64};

static struct rec rec_buf[MAX_REC];

/* A sender node and a sink joined by one link with the given parameters. */
struct pair {
	struct tt_netsim *sim;
	struct sink sink;
	int link;
};

static void pair_make(struct pair *p, uint64_t seed, const struct tt_netsim_limits *lim,
		      const struct tt_netsim_link_params *lp)
{
	int a, b;

	memset(p, 0, sizeof(*p));
	p->sink.rec = rec_buf;
	p->sim = tt_netsim_create(seed, lim);
	assert_non_null(p->sim);
	a = tt_netsim_add_node(p->sim, &sink_ops, &p->sink, 0);
	b = tt_netsim_add_node(p->sim, &sink_ops, &p->sink, 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	p->link = tt_netsim_add_link(p->sim, 0, 1, lp);
	assert_int_equal(p->link, 0);
}

static int send_seq(struct pair *p, uint32_t seq, tt_ns_t now)
{
	uint8_t b[8] = {0};

	memcpy(b, &seq, 4);
	return tt_netsim_send(p->sim, (uint32_t)p->link, b, sizeof(b), now);
}

/*
 * Send n packets, one every gap_ns, advancing the simulator between sends so that the pool
 * drains; then run until everything has arrived.
 */
static void pair_stream(struct pair *p, uint32_t n, tt_ns_t gap_ns)
{
	for (uint32_t i = 0; i < n; i++) {
		tt_ns_t t = (tt_ns_t)i * gap_ns;

		assert_true(tt_netsim_run_until(p->sim, t) >= 0);
		assert_true(send_seq(p, i, t) >= 0);
	}
	assert_true(tt_netsim_run_until(p->sim, (tt_ns_t)n * gap_ns + TT_NS_PER_S) >= 0);
	assert_int_equal(tt_netsim_next_event(p->sim), TT_NETSIM_NO_DEADLINE);
}

/* ---- determinism: two ping-pong nodes with timers over a noisy pair of links ----------------- */

struct pinger {
	struct tt_netsim *sim;
	uint32_t out_link;
	tt_ns_t next_ns;
	uint32_t sent;
	uint32_t got;
};

static void pinger_send(struct pinger *pg, tt_ns_t now)
{
	uint8_t b[16];

	memset(b, (int)(pg->sent & 0xff), sizeof(b));
	memcpy(b, &pg->sent, 4);
	assert_true(tt_netsim_send(pg->sim, pg->out_link, b, sizeof(b), now) >= 0);
	pg->sent++;
}

static void pinger_rx(void *ctx, uint32_t link, const uint8_t *b, size_t len, tt_ns_t now)
{
	struct pinger *pg = ctx;

	(void)link;
	(void)b;
	(void)len;
	pg->got++;
	/* Answer one in three arrivals at once: feeds traffic back and forth. */
	if (pg->got % 3 == 0)
		pinger_send(pg, now);
}

static void pinger_tick(void *ctx, tt_ns_t now)
{
	struct pinger *pg = ctx;

	pinger_send(pg, now);
	pg->next_ns = now + 7 * TT_NS_PER_US + tt_netsim_rand_upto(pg->sim, 5 * TT_NS_PER_US);
}

static tt_ns_t pinger_deadline(void *ctx)
{
	return ((struct pinger *)ctx)->next_ns;
}

static const struct tt_netsim_node_ops pinger_ops = {
	.rx = pinger_rx, .tick = pinger_tick, .next_deadline = pinger_deadline};

struct run_result {
	uint64_t hash;
	uint64_t events;
	struct tt_netsim_link_stats st[2];
};

static struct run_result ping_run(uint64_t seed)
{
	const struct tt_netsim_link_params lp = {.delay_ns = 10 * TT_NS_PER_US,
						 .jitter_ns = 4 * TT_NS_PER_US,
						 .loss_ppm = 50000,
						 .dup_ppm = 30000,
						 .reorder_ppm = 40000,
						 .reorder_ns = 20 * TT_NS_PER_US};
	struct pinger a = {.next_ns = 0}, b = {.next_ns = 3 * TT_NS_PER_US};
	struct run_result r;
	struct tt_netsim *sim = tt_netsim_create(seed, &small_lim);

	assert_non_null(sim);
	a.sim = b.sim = sim;
	assert_int_equal(tt_netsim_add_node(sim, &pinger_ops, &a, 0), 0);
	assert_int_equal(tt_netsim_add_node(sim, &pinger_ops, &b, TT_NS_PER_US), 1);
	a.out_link = (uint32_t)tt_netsim_add_link(sim, 0, 1, &lp);
	b.out_link = (uint32_t)tt_netsim_add_link(sim, 1, 0, &lp);
	assert_int_equal(tt_netsim_schedule_fault(sim, 2 * TT_NS_PER_MS, TT_NETSIM_FAULT_LINK_CUT,
						  a.out_link),
			 0);
	assert_int_equal(tt_netsim_schedule_fault(sim, 3 * TT_NS_PER_MS,
						  TT_NETSIM_FAULT_LINK_RESTORE, a.out_link),
			 0);
	assert_true(tt_netsim_run_until(sim, 10 * TT_NS_PER_MS) > 1000);
	r.hash = tt_netsim_trace_hash(sim);
	r.events = tt_netsim_events(sim);
	assert_int_equal(tt_netsim_link_stats(sim, 0, &r.st[0]), 0);
	assert_int_equal(tt_netsim_link_stats(sim, 1, &r.st[1]), 0);
	assert_int_equal(tt_netsim_stalls(sim), 0);
	tt_netsim_destroy(sim);
	return r;
}

static void test_determinism(void **state)
{
	(void)state;
	struct run_result r1 = ping_run(42), r2 = ping_run(42), r3 = ping_run(43);

	assert_int_equal(r1.hash, r2.hash);
	assert_int_equal(r1.events, r2.events);
	assert_memory_equal(r1.st, r2.st, sizeof(r1.st));
	assert_true(r1.hash != r3.hash);
	/* The scenario really exercised every random feature and the cut. */
	for (int i = 0; i < 2; i++) {
		assert_true(r1.st[i].lost > 0);
		assert_true(r1.st[i].dup > 0);
		assert_true(r1.st[i].reordered > 0);
	}
	assert_true(r1.st[0].dropped_cut > 0);
	assert_int_equal(r1.st[1].dropped_cut, 0);
}

/* Different seeds give different traces: no collisions among a hundred seeds. */
static void test_seeds_differ(void **state)
{
	(void)state;
	uint64_t h[100];

	for (uint64_t s = 0; s < 100; s++) {
		h[s] = ping_run(s * 0x9e3779b97f4a7c15ull).hash;
		for (uint64_t t = 0; t < s; t++)
			assert_true(h[s] != h[t]);
	}
}

/* ---- delay and jitter ---------------------------------------------------------------------- */

static void test_fixed_delay_exact(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 12345};
	struct pair p;

	pair_make(&p, 1, &small_lim, &lp);
	pair_stream(&p, 1000, 1000);
	assert_int_equal(p.sink.n, 1000);
	for (size_t i = 0; i < p.sink.n; i++) {
		assert_int_equal(p.sink.rec[i].seq, i);
		assert_int_equal(p.sink.rec[i].at, (tt_ns_t)i * 1000 + 12345);
		assert_int_equal(p.sink.rec[i].link, 0);
	}
	tt_netsim_destroy(p.sim);
}

/*
 * Jitter: every arrival within [send + delay, send + delay + jitter], the bounds inclusive and
 * both reached (packets spaced wider than the jitter so the FIFO never pushes one back).
 */
static void test_jitter_bounds(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 5000, .jitter_ns = 7};
	struct pair p;
	bool seen[8] = {false};

	pair_make(&p, 7, &small_lim, &lp);
	pair_stream(&p, 5000, 100);
	assert_int_equal(p.sink.n, 5000);
	for (size_t i = 0; i < p.sink.n; i++) {
		tt_ns_t sent = (tt_ns_t)p.sink.rec[i].seq * 100;
		tt_ns_t extra = p.sink.rec[i].at - sent - 5000;

		assert_true(p.sink.rec[i].at >= sent + 5000);
		assert_true(extra <= 7);
		seen[extra] = true;
	}
	for (int j = 0; j <= 7; j++)
		assert_true(seen[j]);
	tt_netsim_destroy(p.sim);
}

/* With jitter wider than the spacing and no reordering, the link stays FIFO, within bounds. */
static void test_jitter_keeps_fifo(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 1000, .jitter_ns = 5000};
	struct tt_netsim_link_stats st;
	struct pair p;
	bool pushed_back = false;

	pair_make(&p, 3, &small_lim, &lp);
	pair_stream(&p, 20000, 100);
	assert_int_equal(p.sink.n, 20000);
	for (size_t i = 0; i < p.sink.n; i++) {
		tt_ns_t sent = (tt_ns_t)p.sink.rec[i].seq * 100;

		assert_int_equal(p.sink.rec[i].seq, i);
		assert_true(p.sink.rec[i].at >= sent + 1000);
		assert_true(p.sink.rec[i].at <= sent + 6000);
		if (i > 0 && p.sink.rec[i].at == p.sink.rec[i - 1].at)
			pushed_back = true;
	}
	assert_true(pushed_back);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.reordered, 0);
	tt_netsim_destroy(p.sim);
}

/* ---- loss, duplication, reordering --------------------------------------------------------- */

static void test_loss_and_dup_rates(void **state)
{
	(void)state;
	/* 10% loss, 5% dup over 100k packets: sigma ~ 95 and ~69; bounds at > 10 sigma. */
	const struct tt_netsim_link_params lp = {
		.delay_ns = 100, .loss_ppm = 100000, .dup_ppm = 50000};
	struct tt_netsim_link_stats st;
	struct pair p;

	pair_make(&p, 11, &small_lim, &lp);
	pair_stream(&p, 100000, 10);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.sent, 100000);
	assert_in_range(st.lost, 9000, 11000);
	/* Dup is drawn only for packets that survived loss: ~4500 expected. */
	assert_in_range(st.dup, 3800, 5200);
	assert_int_equal(st.pool_overflow, 0);
	assert_int_equal(st.dropped_cut, 0);
	assert_int_equal(st.delivered, st.sent - st.lost + st.dup);
	assert_int_equal(p.sink.n, st.delivered);
	tt_netsim_destroy(p.sim);
}

static void test_no_loss_no_dup_when_zero(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 100, .jitter_ns = 50};
	struct tt_netsim_link_stats st;
	struct pair p;

	pair_make(&p, 12, &small_lim, &lp);
	pair_stream(&p, 10000, 10);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.dup, 0);
	assert_int_equal(st.delivered, 10000);
	tt_netsim_destroy(p.sim);
}

static void test_full_loss(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 100, .loss_ppm = TT_NETSIM_PPM};
	struct tt_netsim_link_stats st;
	struct pair p;

	pair_make(&p, 13, &small_lim, &lp);
	pair_stream(&p, 1000, 10);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.lost, 1000);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(p.sink.n, 0);
	tt_netsim_destroy(p.sim);
}

static size_t count_inversions(const struct sink *s)
{
	size_t inv = 0;

	for (size_t i = 1; i < s->n; i++)
		if (s->rec[i].seq < s->rec[i - 1].seq)
			inv++;
	return inv;
}

/* Reordering only when enabled: held-back packets arrive within their extra bound, after later
 * ones; the counter tracks the draw rate. */
static void test_reorder(void **state)
{
	(void)state;
	struct tt_netsim_link_params lp = {.delay_ns = 1000, .jitter_ns = 300};
	struct tt_netsim_link_stats st;
	struct pair p;

	pair_make(&p, 21, &small_lim, &lp);
	pair_stream(&p, 20000, 100);
	assert_int_equal(count_inversions(&p.sink), 0);
	tt_netsim_destroy(p.sim);

	lp.reorder_ppm = 100000;
	lp.reorder_ns = 1000;
	pair_make(&p, 21, &small_lim, &lp);
	pair_stream(&p, 20000, 100);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(p.sink.n, 20000);
	assert_in_range(st.reordered, 1600, 2400);
	assert_true(count_inversions(&p.sink) > 1000);
	for (size_t i = 0; i < p.sink.n; i++) {
		tt_ns_t sent = (tt_ns_t)p.sink.rec[i].seq * 100;

		assert_true(p.sink.rec[i].at >= sent + 1000);
		assert_true(p.sink.rec[i].at <= sent + 1000 + 300 + 1000);
	}
	tt_netsim_destroy(p.sim);
}

/* ---- cut and restore ----------------------------------------------------------------------- */

/*
 * One packet every 10 us, delay 25 us. Cut at 1000 us, restore at 2000 us. Sent before the cut
 * but due after it: dropped on arrival. Sent during the cut (the fault runs before a send at the
 * same instant): dropped at send.
 */
static void test_cut_restore(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 25 * TT_NS_PER_US};
	struct tt_netsim_link_stats st;
	struct pair p;
	size_t k = 0;

	pair_make(&p, 5, &small_lim, &lp);
	assert_int_equal(
		tt_netsim_schedule_fault(p.sim, 1000 * TT_NS_PER_US, TT_NETSIM_FAULT_LINK_CUT, 0),
		0);
	assert_int_equal(tt_netsim_schedule_fault(p.sim, 2000 * TT_NS_PER_US,
						  TT_NETSIM_FAULT_LINK_RESTORE, 0),
			 0);
	assert_false(tt_netsim_link_is_cut(p.sim, 0));
	assert_int_equal(tt_netsim_run_until(p.sim, 999 * TT_NS_PER_US), 0);
	assert_false(tt_netsim_link_is_cut(p.sim, 0));
	assert_int_equal(tt_netsim_run_until(p.sim, 1000 * TT_NS_PER_US), 1);
	assert_true(tt_netsim_link_is_cut(p.sim, 0));
	assert_int_equal(tt_netsim_run_until(p.sim, 2000 * TT_NS_PER_US), 1);
	assert_false(tt_netsim_link_is_cut(p.sim, 0));
	tt_netsim_destroy(p.sim);

	pair_make(&p, 5, &small_lim, &lp);
	assert_int_equal(
		tt_netsim_schedule_fault(p.sim, 1000 * TT_NS_PER_US, TT_NETSIM_FAULT_LINK_CUT, 0),
		0);
	assert_int_equal(tt_netsim_schedule_fault(p.sim, 2000 * TT_NS_PER_US,
						  TT_NETSIM_FAULT_LINK_RESTORE, 0),
			 0);
	pair_stream(&p, 300, 10 * TT_NS_PER_US);
	/* Delivered: sent at t with t + 25 < 1000 (t <= 970), or t >= 1980 and not sent while cut
	 * (t >= 2000). */
	for (uint32_t i = 0; i < 300; i++) {
		tt_ns_t t = (tt_ns_t)i * 10;

		if (t <= 970 || t >= 2000) {
			assert_true(k < p.sink.n);
			assert_int_equal(p.sink.rec[k].seq, i);
			assert_int_equal(p.sink.rec[k].at, (t + 25) * TT_NS_PER_US);
			k++;
		}
	}
	assert_int_equal(k, p.sink.n);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	/* In flight at the cut: sent at 980, 990 (arrive 1005, 1015); sent while cut: 1000..1990.
	 */
	assert_int_equal(st.dropped_cut, 2 + 100);
	assert_int_equal(st.delivered, 98 + 100);
	assert_int_equal(st.sent, 300);
	tt_netsim_destroy(p.sim);
}

/* ---- pause and resume ---------------------------------------------------------------------- */

/* A node with a periodic timer that logs its receptions and wake-ups in one ordered log. */
struct pausable {
	tt_ns_t deadline;
	tt_ns_t period;
	struct {
		tt_ns_t at;
		uint32_t seq; /* UINT32_MAX: a wake-up */
	} log[128];
	size_t n;
};

static void pausable_rx(void *ctx, uint32_t link, const uint8_t *b, size_t len, tt_ns_t now)
{
	struct pausable *p = ctx;
	uint32_t seq;

	(void)link;
	assert_true(len >= 4 && p->n < 128);
	memcpy(&seq, b, 4);
	p->log[p->n].at = now;
	p->log[p->n++].seq = seq;
}

static void pausable_tick(void *ctx, tt_ns_t now)
{
	struct pausable *p = ctx;

	assert_true(p->n < 128);
	p->log[p->n].at = now;
	p->log[p->n++].seq = UINT32_MAX;
	while (tt_time_reached(now, p->deadline))
		p->deadline += p->period;
}

static tt_ns_t pausable_deadline(void *ctx)
{
	return ((struct pausable *)ctx)->deadline;
}

static const struct tt_netsim_node_ops pausable_ops = {
	.rx = pausable_rx, .tick = pausable_tick, .next_deadline = pausable_deadline};

/*
 * A node paused from 1000 to 2000 µs is never woken in between; of five packets arriving while
 * it sleeps its ring (3) keeps the first three, which a cut of the link at 1600 does not take
 * back; at 2000 they are handed over oldest first, before the overdue wake-up.
 */
static void test_pause_resume(void **state)
{
	(void)state;
	struct tt_netsim_limits lim = small_lim;
	const struct tt_netsim_link_params lp = {.delay_ns = 10 * TT_NS_PER_US};
	struct pausable rcv = {.deadline = 100 * TT_NS_PER_US, .period = 100 * TT_NS_PER_US};
	struct tt_netsim_link_stats st;
	struct tt_netsim *sim;
	uint8_t b[8] = {0};
	size_t i, k;

	lim.pause_ring = 3;
	sim = tt_netsim_create(9, &lim);
	assert_non_null(sim);
	assert_int_equal(tt_netsim_add_node(sim, &sink_ops, NULL, 0), 0);
	assert_int_equal(tt_netsim_add_node(sim, &pausable_ops, &rcv, 0), 1);
	assert_int_equal(tt_netsim_add_link(sim, 0, 1, &lp), 0);
	assert_int_equal(
		tt_netsim_schedule_fault(sim, 1000 * TT_NS_PER_US, TT_NETSIM_FAULT_NODE_PAUSE, 1),
		0);
	/* A second pause and a resume of a running node change nothing. */
	assert_int_equal(
		tt_netsim_schedule_fault(sim, 1050 * TT_NS_PER_US, TT_NETSIM_FAULT_NODE_PAUSE, 1),
		0);
	assert_int_equal(
		tt_netsim_schedule_fault(sim, 500 * TT_NS_PER_US, TT_NETSIM_FAULT_NODE_RESUME, 1),
		0);
	assert_int_equal(
		tt_netsim_schedule_fault(sim, 1600 * TT_NS_PER_US, TT_NETSIM_FAULT_LINK_CUT, 0), 0);
	assert_int_equal(
		tt_netsim_schedule_fault(sim, 2000 * TT_NS_PER_US, TT_NETSIM_FAULT_NODE_RESUME, 1),
		0);
	for (uint32_t seq = 0; seq < 5; seq++) {
		tt_ns_t t = (1100 + 100 * (tt_ns_t)seq) * TT_NS_PER_US;

		assert_true(tt_netsim_run_until(sim, t) >= 0);
		memcpy(b, &seq, 4);
		assert_int_equal(tt_netsim_send(sim, 0, b, sizeof(b), t), 1);
	}
	assert_true(tt_netsim_run_until(sim, 1999 * TT_NS_PER_US) >= 0);
	assert_true(tt_netsim_node_is_paused(sim, 1));
	assert_int_equal(tt_netsim_node_held(sim, 1), 3);
	assert_true(tt_netsim_run_until(sim, 2250 * TT_NS_PER_US) >= 0);
	assert_false(tt_netsim_node_is_paused(sim, 1));
	assert_int_equal(tt_netsim_node_held(sim, 1), 0);

	/* Wake-ups at 100..900 (the resume at 500 did nothing), none while paused. */
	for (i = 0; i < 9; i++) {
		assert_int_equal(rcv.log[i].seq, UINT32_MAX);
		assert_int_equal(rcv.log[i].at, (100 + 100 * (tt_ns_t)i) * TT_NS_PER_US);
	}
	for (k = 0; k < 3; k++) {
		assert_int_equal(rcv.log[i + k].seq, k);
		assert_int_equal(rcv.log[i + k].at, 2000 * TT_NS_PER_US);
	}
	i += k;
	assert_int_equal(rcv.log[i].seq, UINT32_MAX);
	assert_int_equal(rcv.log[i].at, 2000 * TT_NS_PER_US);
	assert_int_equal(rcv.log[i + 1].at, 2100 * TT_NS_PER_US);
	assert_int_equal(rcv.log[i + 2].at, 2200 * TT_NS_PER_US);
	assert_int_equal(rcv.n, i + 3);
	assert_int_equal(tt_netsim_link_stats(sim, 0, &st), 0);
	assert_int_equal(st.sent, 5);
	assert_int_equal(st.held_paused, 3);
	assert_int_equal(st.dropped_paused, 2);
	assert_int_equal(st.delivered, 3);
	assert_int_equal(st.dropped_cut, 0);
	tt_netsim_destroy(sim);
}

/* A zero ring drops everything that reaches a paused node; nothing is left to hand over. */
static void test_pause_zero_ring(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 10};
	struct tt_netsim_link_stats st;
	struct pair p;

	pair_make(&p, 3, &small_lim, &lp);
	assert_int_equal(tt_netsim_schedule_fault(p.sim, 0, TT_NETSIM_FAULT_NODE_PAUSE, 1), 0);
	assert_int_equal(tt_netsim_schedule_fault(p.sim, 1000, TT_NETSIM_FAULT_NODE_RESUME, 1), 0);
	assert_int_equal(tt_netsim_run_until(p.sim, 0), 1);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(send_seq(&p, i, 100 * i), 1);
	assert_true(tt_netsim_run_until(p.sim, 5000) >= 0);
	assert_int_equal(p.sink.n, 0);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.dropped_paused, 4);
	assert_int_equal(st.held_paused, 0);
	assert_int_equal(send_seq(&p, 9, 5000), 1);
	assert_true(tt_netsim_run_until(p.sim, 6000) >= 0);
	assert_int_equal(p.sink.n, 1);
	assert_int_equal(p.sink.rec[0].at, 5010);
	tt_netsim_destroy(p.sim);
}

/* New parameters apply to copies sent from then on; the FIFO holds across the change. */
static void test_set_link_params(void **state)
{
	(void)state;
	const struct tt_netsim_link_params slow = {.delay_ns = 500};
	struct tt_netsim_link_params fast = {.delay_ns = 100}, got, bad = {.loss_ppm = 2000000};
	struct pair p;

	pair_make(&p, 4, &small_lim, &slow);
	assert_int_equal(send_seq(&p, 0, 0), 1);
	assert_int_equal(tt_netsim_set_link_params(p.sim, 0, &fast), 0);
	assert_int_equal(tt_netsim_link_params(p.sim, 0, &got), 0);
	assert_int_equal(got.delay_ns, 100);
	assert_int_equal(send_seq(&p, 1, 10), 1); /* would arrive at 110: behind 500 */
	assert_int_equal(send_seq(&p, 2, 600), 1);
	fast.loss_ppm = TT_NETSIM_PPM;
	assert_int_equal(tt_netsim_set_link_params(p.sim, 0, &fast), 0);
	assert_int_equal(send_seq(&p, 3, 700), 0);
	assert_true(tt_netsim_run_until(p.sim, 2000) >= 0);
	assert_int_equal(p.sink.n, 3);
	assert_int_equal(p.sink.rec[0].at, 500);
	assert_int_equal(p.sink.rec[1].at, 500);
	assert_int_equal(p.sink.rec[1].seq, 1);
	assert_int_equal(p.sink.rec[2].at, 700);
	assert_int_equal(tt_netsim_set_link_params(p.sim, 0, &bad), -EINVAL);
	assert_int_equal(tt_netsim_set_link_params(p.sim, 1, &fast), -EINVAL);
	assert_int_equal(tt_netsim_link_params(p.sim, 1, &got), -EINVAL);
	tt_netsim_destroy(p.sim);
}

/* ---- pool ---------------------------------------------------------------------------------- */

static void test_pool_overflow(void **state)
{
	(void)state;
	const struct tt_netsim_limits lim = {
		.max_nodes = 2, .max_links = 1, .max_faults = 0, .pool_slots = 4, .slot_bytes = 8};
	const struct tt_netsim_link_params lp = {.delay_ns = 100};
	struct tt_netsim_link_params lp_dup = lp;
	struct tt_netsim_link_stats st;
	struct pair p;

	pair_make(&p, 9, &lim, &lp);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(send_seq(&p, i, 0), i < 4 ? 1 : 0);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.sent, 10);
	assert_int_equal(st.pool_overflow, 6);
	assert_int_equal(tt_netsim_run_until(p.sim, 100), 4);
	assert_int_equal(p.sink.n, 4);
	/* Slots came back. */
	for (uint32_t i = 10; i < 14; i++)
		assert_int_equal(send_seq(&p, i, 100), 1);
	assert_int_equal(send_seq(&p, 14, 100), 0);
	assert_int_equal(tt_netsim_run_until(p.sim, 1000), 4);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.delivered, 8);
	assert_int_equal(st.pool_overflow, 7);
	tt_netsim_destroy(p.sim);

	/* A duplicate that finds no slot is an overflow too. */
	lp_dup.dup_ppm = TT_NETSIM_PPM;
	pair_make(&p, 9, &lim, &lp_dup);
	assert_int_equal(send_seq(&p, 0, 0), 2);
	assert_int_equal(send_seq(&p, 1, 0), 2);
	assert_int_equal(send_seq(&p, 2, 0), 0);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.dup, 3);
	assert_int_equal(st.pool_overflow, 2);
	assert_int_equal(tt_netsim_run_until(p.sim, 1000), 4);
	assert_int_equal(p.sink.n, 4);
	tt_netsim_destroy(p.sim);
}

/* ---- node wake-ups ------------------------------------------------------------------------- */

struct timer_node {
	tt_ns_t deadline;
	tt_ns_t period; /* 0: a stuck node that never moves its deadline */
	tt_ns_t ticks[64];
	size_t n;
};

static void timer_rx(void *ctx, uint32_t link, const uint8_t *b, size_t len, tt_ns_t now)
{
	struct timer_node *t = ctx;

	(void)link;
	(void)b;
	(void)len;
	/* An arrival pulls the timer in: due 5 ns from now. */
	t->deadline = now + 5;
}

static void timer_tick(void *ctx, tt_ns_t now)
{
	struct timer_node *t = ctx;

	assert_true(t->n < 64);
	t->ticks[t->n++] = now;
	if (t->period == 0)
		return;
	if (tt_time_reached(now, t->deadline))
		t->deadline += t->period;
	if (t->n >= 10)
		t->deadline = TT_NETSIM_NO_DEADLINE;
}

static tt_ns_t timer_deadline(void *ctx)
{
	return ((struct timer_node *)ctx)->deadline;
}

static const struct tt_netsim_node_ops timer_ops = {
	.rx = timer_rx, .tick = timer_tick, .next_deadline = timer_deadline};

static void test_wakeups_exact_and_grid(void **state)
{
	(void)state;
	struct timer_node exact = {.deadline = 100, .period = 1000};
	struct timer_node grid = {.deadline = 100, .period = 1000};
	struct tt_netsim *sim = tt_netsim_create(1, &small_lim);

	assert_non_null(sim);
	assert_int_equal(tt_netsim_add_node(sim, &timer_ops, &exact, 0), 0);
	assert_int_equal(tt_netsim_add_node(sim, &timer_ops, &grid, 64), 1);
	assert_int_equal(tt_netsim_next_event(sim), 100);
	assert_int_equal(tt_netsim_run_until(sim, TT_NS_PER_S), 20);
	assert_int_equal(exact.n, 10);
	assert_int_equal(grid.n, 10);
	for (size_t i = 0; i < 10; i++) {
		tt_ns_t due = 100 + i * 1000;

		assert_int_equal(exact.ticks[i], due);
		/* First multiple of 64 at or after the deadline: never early, < 1 granule late. */
		assert_int_equal(grid.ticks[i], (due + 63) / 64 * 64);
	}
	assert_int_equal(tt_netsim_next_event(sim), TT_NETSIM_NO_DEADLINE);
	assert_int_equal(tt_netsim_stalls(sim), 0);
	tt_netsim_destroy(sim);
}

/* A deadline moved by an arrival or from outside takes effect; a stuck node cannot spin. */
static void test_wakeup_rearm_and_stall(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 10};
	struct timer_node t = {.deadline = 1000, .period = 1000};
	struct timer_node stuck = {.deadline = 50, .period = 0};
	struct sink src = {.rec = rec_buf};
	struct tt_netsim *sim = tt_netsim_create(1, &small_lim);
	uint8_t b[4] = {0};

	assert_non_null(sim);
	assert_int_equal(tt_netsim_add_node(sim, &sink_ops, &src, 0), 0);
	assert_int_equal(tt_netsim_add_node(sim, &timer_ops, &t, 0), 1);
	assert_int_equal(tt_netsim_add_link(sim, 0, 1, &lp), 0);
	assert_int_equal(tt_netsim_send(sim, 0, b, sizeof(b), 0), 1);
	/* Arrival at 10 moves the deadline to 15. */
	assert_int_equal(tt_netsim_run_until(sim, 15), 2);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.ticks[0], 15);
	assert_int_equal(tt_netsim_next_event(sim), 1015);
	/* Changed from outside: rearm picks it up; a past deadline is due now. */
	t.deadline = 3;
	assert_int_equal(tt_netsim_node_rearm(sim, 1), 0);
	assert_int_equal(tt_netsim_next_event(sim), 15);
	assert_int_equal(tt_netsim_run_until(sim, 15), 1);
	assert_int_equal(t.ticks[1], 15);
	assert_int_equal(tt_netsim_node_rearm(sim, 7), -EINVAL);

	/* A node that keeps asking for a deadline already served: one wake per ns, counted. */
	assert_int_equal(tt_netsim_add_node(sim, &timer_ops, &stuck, 0), 2);
	assert_int_equal(tt_netsim_run_until(sim, 50), 1);
	assert_int_equal(stuck.n, 1);
	assert_int_equal(tt_netsim_stalls(sim), 1);
	assert_int_equal(tt_netsim_next_event(sim), 51);
	tt_netsim_destroy(sim);
}

/* Same-instant events run in the order they were queued. */
static void test_same_instant_order(void **state)
{
	(void)state;
	const struct tt_netsim_link_params lp = {.delay_ns = 100};
	struct tt_netsim_link_stats st;
	struct pair p;

	pair_make(&p, 1, &small_lim, &lp);
	/* Packet 0 queued before the cut (both at 100): delivered. Packet 1 after: dropped. */
	assert_int_equal(send_seq(&p, 0, 0), 1);
	assert_int_equal(tt_netsim_schedule_fault(p.sim, 100, TT_NETSIM_FAULT_LINK_CUT, 0), 0);
	assert_int_equal(send_seq(&p, 1, 0), 1);
	assert_int_equal(tt_netsim_run_until(p.sim, 100), 3);
	assert_int_equal(p.sink.n, 1);
	assert_int_equal(p.sink.rec[0].seq, 0);
	assert_int_equal(tt_netsim_link_stats(p.sim, 0, &st), 0);
	assert_int_equal(st.dropped_cut, 1);
	tt_netsim_destroy(p.sim);
}

/* ---- scale: the next issue's topology fits and runs ---------------------------------------- */

static void test_scale_topology(void **state)
{
	(void)state;
	/* 1 master + 64 workers, each with 1 heartbeat + 16 data channels, both directions. */
	const struct tt_netsim_limits lim = {.max_nodes = 65,
					     .max_links = 64 * 17 * 2,
					     .max_faults = 64 * 17,
					     .pool_slots = 8192,
					     .slot_bytes = 1536};
	const struct tt_netsim_link_params lp = {.delay_ns = 2000, .jitter_ns = 500};
	struct sink s = {.rec = rec_buf};
	struct tt_netsim_link_stats st;
	struct tt_netsim *sim = tt_netsim_create(99, &lim);
	uint8_t b[64] = {0};
	int l;

	assert_non_null(sim);
	for (int n = 0; n < 65; n++)
		assert_int_equal(tt_netsim_add_node(sim, &sink_ops, &s, 0), n);
	for (uint32_t w = 1; w <= 64; w++) {
		for (int c = 0; c < 17; c++) {
			assert_true(tt_netsim_add_link(sim, 0, w, &lp) >= 0);
			assert_true(tt_netsim_add_link(sim, w, 0, &lp) >= 0);
		}
	}
	assert_int_equal(tt_netsim_add_link(sim, 0, 1, &lp), -ENOSPC);
	for (l = 0; l < 64 * 17; l++)
		assert_int_equal(
			tt_netsim_schedule_fault(sim, 5000, TT_NETSIM_FAULT_LINK_CUT, (uint32_t)l),
			0);
	assert_int_equal(tt_netsim_schedule_fault(sim, 5000, TT_NETSIM_FAULT_LINK_CUT, 0), -ENOSPC);
	for (l = 0; l < 64 * 17 * 2; l++)
		assert_int_equal(tt_netsim_send(sim, (uint32_t)l, b, sizeof(b), 0), 1);
	assert_int_equal(tt_netsim_run_until(sim, TT_NS_PER_MS), 64 * 17 * 2 + 64 * 17);
	assert_int_equal(s.n, 64 * 17 * 2);
	assert_int_equal(tt_netsim_link_stats(sim, 64 * 17 * 2 - 1, &st), 0);
	assert_int_equal(st.delivered, 1);
	tt_netsim_destroy(sim);
}

/* ---- PRNG and argument checks -------------------------------------------------------------- */

static void test_rand_upto(void **state)
{
	(void)state;
	struct tt_netsim *sim = tt_netsim_create(5, &small_lim);
	unsigned int hist[4] = {0};

	assert_non_null(sim);
	for (int i = 0; i < 40000; i++) {
		uint64_t r = tt_netsim_rand_upto(sim, 3);

		assert_true(r <= 3);
		hist[r]++;
	}
	for (int j = 0; j < 4; j++)
		assert_in_range(hist[j], 9000, 11000);
	assert_int_equal(tt_netsim_rand_upto(sim, 0), 0);
	tt_netsim_destroy(sim);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct tt_netsim_limits lim = small_lim;
	struct tt_netsim_link_params lp = {.delay_ns = 10};
	struct tt_netsim_node_ops no_rx = {.rx = NULL};
	struct tt_netsim_link_stats st;
	struct sink s = {.rec = rec_buf};
	struct tt_netsim *sim;
	uint8_t big[65] = {0};

	assert_null(tt_netsim_create(1, NULL));
	assert_int_equal(errno, EINVAL);
	lim.pool_slots = 0;
	assert_null(tt_netsim_create(1, &lim));
	lim = small_lim;
	lim.max_nodes = 1;
	sim = tt_netsim_create(1, &lim);
	assert_non_null(sim);
	assert_int_equal(tt_netsim_add_node(sim, &no_rx, NULL, 0), -EINVAL);
	assert_int_equal(tt_netsim_add_node(sim, &sink_ops, &s, 0), 0);
	assert_int_equal(tt_netsim_add_node(sim, &sink_ops, &s, 0), -ENOSPC);
	assert_int_equal(tt_netsim_add_link(sim, 0, 1, &lp), -EINVAL);
	lp.loss_ppm = TT_NETSIM_PPM + 1;
	assert_int_equal(tt_netsim_add_link(sim, 0, 0, &lp), -EINVAL);
	lp.loss_ppm = 0;
	lp.reorder_ppm = 10;
	assert_int_equal(tt_netsim_add_link(sim, 0, 0, &lp), -EINVAL);
	lp.reorder_ppm = 0;
	assert_int_equal(tt_netsim_add_link(sim, 0, 0, &lp), 0);
	assert_int_equal(tt_netsim_send(sim, 1, big, 4, 0), -EINVAL);
	assert_int_equal(tt_netsim_send(sim, 0, big, sizeof(big), 0), -EMSGSIZE);
	assert_int_equal(tt_netsim_schedule_fault(sim, 0, TT_NETSIM_FAULT_MAX, 0), -EINVAL);
	assert_int_equal(tt_netsim_schedule_fault(sim, 0, TT_NETSIM_FAULT_LINK_CUT, 1), -EINVAL);
	assert_int_equal(tt_netsim_schedule_fault(sim, 0, TT_NETSIM_FAULT_NODE_PAUSE, 1), -EINVAL);
	assert_int_equal(tt_netsim_schedule_fault(sim, 0, TT_NETSIM_FAULT_NODE_RESUME, 1), -EINVAL);
	assert_int_equal(tt_netsim_link_stats(sim, 1, &st), -EINVAL);
	assert_int_equal(tt_netsim_run_until(sim, 1000), 0);
	assert_int_equal(tt_netsim_now(sim), 1000);
	assert_int_equal(tt_netsim_run_until(sim, 999), -EINVAL);
	assert_int_equal(tt_netsim_send(sim, 0, big, 4, 999), -EINVAL);
	assert_int_equal(tt_netsim_schedule_fault(sim, 999, TT_NETSIM_FAULT_LINK_CUT, 0), -EINVAL);
	assert_int_equal(tt_netsim_step(sim), 0);
	assert_string_equal(tt_netsim_fault_name(TT_NETSIM_FAULT_LINK_CUT), "link-cut");
	assert_string_equal(tt_netsim_fault_name(TT_NETSIM_FAULT_LINK_RESTORE), "link-restore");
	assert_string_equal(tt_netsim_fault_name(TT_NETSIM_FAULT_NODE_PAUSE), "node-pause");
	assert_string_equal(tt_netsim_fault_name(TT_NETSIM_FAULT_NODE_RESUME), "node-resume");
	assert_string_equal(tt_netsim_fault_name(TT_NETSIM_FAULT_MAX), "?");
	tt_netsim_destroy(sim);
	tt_netsim_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_seeds_differ),
		cmocka_unit_test(test_fixed_delay_exact),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_jitter_keeps_fifo),
		cmocka_unit_test(test_loss_and_dup_rates),
		cmocka_unit_test(test_no_loss_no_dup_when_zero),
		cmocka_unit_test(test_full_loss),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_cut_restore),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_pause_zero_ring),
		cmocka_unit_test(test_set_link_params),
		cmocka_unit_test(test_pool_overflow),
		cmocka_unit_test(test_wakeups_exact_and_grid),
		cmocka_unit_test(test_wakeup_rearm_and_stall),
		cmocka_unit_test(test_same_instant_order),
		cmocka_unit_test(test_scale_topology),
		cmocka_unit_test(test_rand_upto),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("sim_netsim", tests, NULL, NULL);
}
