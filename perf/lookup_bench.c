/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookup micro-benchmark: ns per flow lookup in tether's channel table
 * (tt_ctab_flow_lookup: liburcu cds_lfht, QSBR) beside DPDK's lock-free
 * rte_hash, in the same run, at 1 Ki, 64 Ki and 1 Mi entries; random keys,
 * every lookup hits. p50/p99/max over batches, lookups/s, and the ratios.
 *
 * The key is the data path's demultiplexing key, struct tt_ctab_flow_key
 * (8 bytes: remote IPv4, remote port, local port). Per size, one table of
 * each kind holds the same N keys:
 *  ctab        tt_ctab with N workers of one channel each (N flows), sized
 *              for N; lookup = tt_ctab_flow_lookup(). The lookup walks the
 *              bucket array and the table's compact index entries (node, key,
 *              channel pointer: 32 bytes) and returns the channel pointer
 *              without reading the channel, as rte_hash returns its data
 *  ctab_deref  tt_ctab_flow_lookup() and a read of the channel it returns
 *              (the counterpart of rte_hash_deref: what a data lcore pays
 *              before it can use the channel)
 *  lfht_raw    a bare cds_lfht (QSBR, bucket count the power of two >= N, no
 *              resize) of N nodes allocated one by one, 256 bytes each: the
 *              layout ctab had before issue 6 (the node inside a separately
 *              allocated record); lookup = cds_lfht_lookup() +
 *              cds_lfht_iter_get_node()
 *  rte_hash    rte_hash, key_len 8, rte_hash_crc, extra flag
 *              RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF, an rte_rcu_qsbr
 *              variable attached (rte_hash_rcu_qsbr_add, defer-queue mode),
 *              entries = N + N/4 (the bucket count rounds up to a power of
 *              two); data = the ctab channel of the key.
 *              lookup = rte_hash_lookup_data()
 *  rte_hash_bulk32   rte_hash_lookup_bulk_data() with 32 keys, ns per key
 *  rte_hash_deref    rte_hash_lookup_data() and a read of the channel it
 *              returns (ctab's lookup has the channel in hand already: the
 *              key it compares lives in the channel)
 * Every variant reads the same sequence of random query keys. The lookup
 * thread is QSBR-online for both RCU flavours and reports a quiescent state
 * to both after each batch (outside the timed region), as a polling lcore
 * does every N passes.
 *
 * Steady state and fairness against drift: the variants run in alternating
 * blocks of 20 timed batches; each block starts with an untimed warm-up of
 * N lookups (at least one batch, at most 128 Ki), which brings the variant's
 * table back into the caches (and TLB) as far as it fits after the previous
 * variant evicted it. Without it a block measures a cold table: at 64 Ki
 * entries that read 4x slower for ctab.
 *
 * Figures: lookup.<size>.<variant> (RESULT lines, bench_util.h) and
 * RATIO lookup.<size>.ctab_vs_<variant> = ctab p50 / variant p50 (above 1:
 * ctab is slower), and lookup.<size>.ctab_deref_vs_rte_hash_deref. Exit status 1 if a lookup misses
 * or the variants disagree.
 *
 * EAL: --no-huge -m 1024 --no-pci --no-shconf -l 0 --log-level=error (the
 * lookup thread is lcore 0).
 *
 * Usage: lookup_bench [--quick]   (--quick: 10x fewer batches)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <urcu/urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include "bench_util.h"
#include "chan_table.h"

#define BATCH	 8192	    /* lookups per timed batch */
#define BLOCK	 20	    /* timed batches per block */
#define BLOCKS	 10	    /* blocks per variant and size, full run */
#define BULK	 32	    /* keys per rte_hash bulk lookup */
#define QUERIES	 (1u << 20) /* random query keys, cycled */
#define CHECKS	 4096	    /* keys cross-checked between variants */
#define WARM_MIN BATCH	    /* untimed lookups before a block, at least */
#define WARM_MAX (1u << 17) /* and at most (a 1 Mi table does not fit in any cache) */

enum variant { V_CTAB, V_CTAB_DEREF, V_RAW, V_RTE, V_BULK, V_DEREF, V_COUNT };

static const char *const variant_names[V_COUNT] = {"ctab",     "ctab_deref",	  "lfht_raw",
						   "rte_hash", "rte_hash_bulk32", "rte_hash_deref"};

/* A raw cds_lfht entry, padded to a one-channel ctab record as it was before issue 6. */
struct raw_node {
	struct cds_lfht_node node;
	uint64_t key;
};

#define RAW_ALLOC_SIZE 256

struct tables {
	unsigned int n;
	struct tt_ctab *ctab;
	struct cds_lfht *raw;
	struct raw_node **raw_nodes;
	struct rte_hash *rte;
	struct tt_ctab_chan **chan; /* by key index, for rte_hash's data */
};

static struct tt_ctab_flow_key *queries;
static const void **query_ptrs; /* &queries[i], for the bulk lookup */
static uint64_t *query_key64;	/* the same keys as 64-bit words, for lfht_raw */
static struct rte_rcu_qsbr *rte_qsbr;

static uint64_t rng_state = 0x100c0b;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/*
 * Key i of a table: distinct for distinct i < 2^32 because the remote address
 * is an odd multiple of i (a bijection on 32 bits). Ports look like a
 * worker's ephemeral port towards the data port.
 */
static struct tt_ctab_flow_key key_of(uint32_t i)
{
	struct tt_ctab_flow_key k = {
		.remote_ip = i * 0x9E3779B1u,
		.remote_port = (uint16_t)(49152 + (i % 16384)),
		.local_port = 4790,
	};

	return k;
}

static uint64_t key64(const struct tt_ctab_flow_key *k)
{
	uint64_t v;

	memcpy(&v, k, sizeof(v));
	return v;
}

/* lfht_raw's hash: Fibonacci multiply, high half folded into the low bits cds_lfht uses. */
static unsigned long raw_hash(uint64_t k)
{
	uint64_t h = k * 0x9E3779B97F4A7C15ull;

	return (unsigned long)(h ^ (h >> 32));
}

static int raw_match(struct cds_lfht_node *node, const void *key)
{
	const struct raw_node *r = caa_container_of(node, struct raw_node, node);

	return r->key == *(const uint64_t *)key;
}

static unsigned long pow2_at_least(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static void tables_free(struct tables *t)
{
	if (t->rte)
		rte_hash_free(t->rte);
	if (t->raw) {
		struct cds_lfht_iter it;

		for (cds_lfht_first(t->raw, &it); cds_lfht_iter_get_node(&it);
		     cds_lfht_next(t->raw, &it))
			cds_lfht_del(t->raw, cds_lfht_iter_get_node(&it));
		/* No reader is left: the nodes can go at once. */
		urcu_qsbr_thread_offline();
		cds_lfht_destroy(t->raw, NULL);
		urcu_qsbr_thread_online();
	}
	if (t->raw_nodes)
		for (unsigned int i = 0; i < t->n; i++)
			free(t->raw_nodes[i]);
	tt_ctab_destroy(t->ctab);
	free(t->raw_nodes);
	free(t->chan);
	memset(t, 0, sizeof(*t));
}

/* Build the three tables with keys 0..n-1. Returns 0 or -1 (message printed). */
static int tables_make(struct tables *t, unsigned int n)
{
	struct tt_ctab_config cc = {.max_workers = n, .n_chan = 1};
	struct rte_hash_parameters hp = {
		.entries = n + n / 4,
		.key_len = sizeof(struct tt_ctab_flow_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rc = {.v = rte_qsbr, .mode = RTE_HASH_QSBR_MODE_DQ};
	char name[32];
	unsigned long buckets = pow2_at_least(n);

	memset(t, 0, sizeof(*t));
	t->n = n;
	snprintf(name, sizeof(name), "lookup_bench_%u", n);
	hp.name = name;
	t->ctab = tt_ctab_create(&cc);
	t->raw = cds_lfht_new_flavor(buckets, buckets, buckets, 0, &urcu_qsbr_flavor, NULL);
	t->rte = rte_hash_create(&hp);
	t->raw_nodes = calloc(n, sizeof(*t->raw_nodes));
	t->chan = calloc(n, sizeof(*t->chan));
	if (!t->ctab || !t->raw || !t->rte || !t->raw_nodes || !t->chan) {
		fprintf(stderr,
			"lookup_bench: creating the %u-entry tables failed (rte_errno %d)\n", n,
			rte_errno);
		goto fail;
	}
	if (rte_hash_rcu_qsbr_add(t->rte, &rc)) {
		fprintf(stderr, "lookup_bench: rte_hash_rcu_qsbr_add: %s\n",
			rte_strerror(rte_errno));
		goto fail;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct tt_ctab_worker_spec ws = {
			.worker_id = i + 1,
			.epoch = 1,
			.state = TT_CTAB_WS_LIVE,
		};
		struct tt_worker_rec *rec;
		int err;

		ws.chan[0].key = key_of(i);
		err = tt_ctab_worker_add(t->ctab, &ws, &rec);
		if (err) {
			fprintf(stderr, "lookup_bench: tt_ctab_worker_add #%u: %s\n", i,
				strerror(-err));
			goto fail;
		}
		t->chan[i] = &rec->chan[0];
		err = rte_hash_add_key_data(t->rte, &ws.chan[0].key, t->chan[i]);
		if (err) {
			fprintf(stderr, "lookup_bench: rte_hash_add_key_data #%u of %u: %s\n", i, n,
				strerror(-err));
			goto fail;
		}
	}
	/* A pass of its own, so that ctab's records and these do not interleave in the heap. */
	for (unsigned int i = 0; i < n; i++) {
		struct tt_ctab_flow_key k = key_of(i);
		struct raw_node *r = aligned_alloc(64, RAW_ALLOC_SIZE);

		if (!r)
			goto fail;
		memset(r, 0, RAW_ALLOC_SIZE);
		r->key = key64(&k);
		cds_lfht_node_init(&r->node);
		cds_lfht_add(t->raw, raw_hash(r->key), &r->node);
		t->raw_nodes[i] = r;
	}
	return 0;
fail:
	tables_free(t);
	return -1;
}

/* Random query keys over a table of n (untimed). */
static void queries_make(unsigned int n)
{
	for (unsigned int i = 0; i < QUERIES; i++) {
		queries[i] = key_of((uint32_t)(rng() % n));
		query_key64[i] = key64(&queries[i]);
		query_ptrs[i] = &queries[i];
	}
}

static struct raw_node *raw_lookup(struct cds_lfht *ht, uint64_t key)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;

	cds_lfht_lookup(ht, raw_hash(key), raw_match, &key, &it);
	node = cds_lfht_iter_get_node(&it);
	return node ? caa_container_of(node, struct raw_node, node) : NULL;
}

/*
 * One batch of BATCH lookups from query q0 on (q0 + BATCH <= QUERIES); returns
 * the number of hits. Timed by the caller.
 */
static unsigned int run_batch(const struct tables *t, enum variant v, unsigned int q0)
{
	unsigned int hits = 0;
	uint64_t acc = 0;

	switch (v) {
	case V_CTAB:
		for (unsigned int i = q0; i < q0 + BATCH; i++) {
			struct tt_ctab_chan *c = tt_ctab_flow_lookup(t->ctab, &queries[i]);

			hits += c != NULL;
			acc ^= (uintptr_t)c;
		}
		break;
	case V_CTAB_DEREF:
		for (unsigned int i = q0; i < q0 + BATCH; i++) {
			struct tt_ctab_chan *c = tt_ctab_flow_lookup(t->ctab, &queries[i]);

			if (c) {
				hits++;
				acc += c->lcore;
			}
		}
		break;
	case V_RAW:
		for (unsigned int i = q0; i < q0 + BATCH; i++) {
			struct raw_node *r = raw_lookup(t->raw, query_key64[i]);

			hits += r != NULL;
			acc ^= (uintptr_t)r;
		}
		break;
	case V_RTE:
		for (unsigned int i = q0; i < q0 + BATCH; i++) {
			void *d = NULL;

			hits += rte_hash_lookup_data(t->rte, &queries[i], &d) >= 0;
			acc ^= (uintptr_t)d;
		}
		break;
	case V_BULK:
		for (unsigned int i = q0; i < q0 + BATCH; i += BULK) {
			void *d[BULK];
			uint64_t mask;

			hits += (unsigned int)rte_hash_lookup_bulk_data(t->rte, &query_ptrs[i],
									BULK, &mask, d);
			acc ^= (uintptr_t)d[0] ^ mask;
		}
		break;
	case V_DEREF:
		for (unsigned int i = q0; i < q0 + BATCH; i++) {
			void *d = NULL;

			if (rte_hash_lookup_data(t->rte, &queries[i], &d) >= 0) {
				hits++;
				acc += ((const struct tt_ctab_chan *)d)->lcore;
			}
		}
		break;
	default:
		break;
	}
	tt_bench_sink(acc);
	return hits;
}

/* Untimed: every variant finds the same entry for the first CHECKS queries. */
static int cross_check(const struct tables *t)
{
	for (unsigned int i = 0; i < CHECKS; i++) {
		struct tt_ctab_chan *c = tt_ctab_flow_lookup(t->ctab, &queries[i]);
		struct raw_node *r = raw_lookup(t->raw, query_key64[i]);
		void *d = NULL;

		if (!c || !r || rte_hash_lookup_data(t->rte, &queries[i], &d) < 0 || d != c ||
		    key64(&c->key) != query_key64[i] || r->key != query_key64[i])
			return -1;
	}
	return 0;
}

static int bench_size(unsigned int n, const char *label, unsigned int blocks)
{
	struct tt_bench_series s[V_COUNT];
	struct tables t;
	unsigned int q = 0;
	uint64_t t0;
	int rc = 0;

	t0 = tt_bench_now_ns();
	if (tables_make(&t, n))
		return -1;
	printf("# %s entries (%u): tables built in %.2f s\n", label, n,
	       (double)(tt_bench_now_ns() - t0) / 1e9);
	queries_make(n);
	if (cross_check(&t)) {
		fprintf(stderr, "lookup_bench: the variants disagree at %u entries\n", n);
		tables_free(&t);
		return -1;
	}
	for (unsigned int v = 0; v < V_COUNT; v++) {
		char name[64];

		snprintf(name, sizeof(name), "lookup.%s.%s", label, variant_names[v]);
		if (tt_bench_series_init(&s[v], name, blocks * BLOCK))
			exit(1);
	}
	for (unsigned int b = 0; b < blocks && rc == 0; b++) {
		for (unsigned int v = 0; v < V_COUNT && rc == 0; v++) {
			unsigned int warm = (n < WARM_MIN   ? WARM_MIN
					     : n > WARM_MAX ? WARM_MAX
							    : n) /
					    BATCH;

			/* batches before k = warm refill the caches: not recorded */
			for (unsigned int k = 0; k < warm + BLOCK && rc == 0; k++) {
				unsigned int hits;

				if (q + BATCH > QUERIES)
					q = 0;
				t0 = tt_bench_now_ns();
				hits = run_batch(&t, (enum variant)v, q);
				if (k >= warm)
					tt_bench_add(&s[v], tt_bench_now_ns() - t0, BATCH);
				q += BATCH;
				tt_ctab_quiescent_state();
				rte_rcu_qsbr_quiescent(rte_qsbr, 0);
				if (hits != BATCH) {
					fprintf(stderr, "lookup_bench: %s: %u of %u hits\n",
						s[v].name, hits, BATCH);
					rc = -1;
				}
			}
		}
	}
	if (rc == 0) {
		struct tt_bench_stats st[V_COUNT];

		for (unsigned int v = 0; v < V_COUNT; v++) {
			tt_bench_print(&s[v]);
			tt_bench_stats(&s[v], &st[v]);
		}
		char name[64];

		for (unsigned int v = V_RAW; v < V_COUNT; v++) {
			snprintf(name, sizeof(name), "lookup.%s.ctab_vs_%s", label,
				 variant_names[v]);
			tt_bench_print_ratio(name, &s[V_CTAB], &s[v]);
		}
		snprintf(name, sizeof(name), "lookup.%s.ctab_deref_vs_rte_hash_deref", label);
		tt_bench_print_ratio(name, &s[V_CTAB_DEREF], &s[V_DEREF]);
		printf("#   %s: M lookups/s per core: ctab %.1f, ctab+deref %.1f, lfht_raw %.1f, "
		       "rte_hash %.1f, bulk32 %.1f, rte_hash+deref %.1f\n",
		       label, st[V_CTAB].ops_per_s / 1e6, st[V_CTAB_DEREF].ops_per_s / 1e6,
		       st[V_RAW].ops_per_s / 1e6, st[V_RTE].ops_per_s / 1e6,
		       st[V_BULK].ops_per_s / 1e6, st[V_DEREF].ops_per_s / 1e6);
	}
	for (unsigned int v = 0; v < V_COUNT; v++)
		tt_bench_series_fini(&s[v]);
	tables_free(&t);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		unsigned int n;
		const char *label;
	} sizes[] = {{1u << 10, "1k"}, {1u << 16, "64k"}, {1u << 20, "1m"}};
	/* clang-format off */
	char *eal_argv[] = {argv[0], "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
			    "-l", "0", "--log-level=error", NULL};
	/* clang-format on */
	struct tt_bench_opts opts;
	size_t qsz;
	int rc = 0;

	if (tt_bench_parse_args(argc, argv, &opts))
		return 2;
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		fprintf(stderr, "lookup_bench: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	qsz = rte_rcu_qsbr_get_memsize(1);
	rte_qsbr = rte_zmalloc("lookup_bench_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	queries = calloc(QUERIES, sizeof(*queries));
	query_key64 = calloc(QUERIES, sizeof(*query_key64));
	query_ptrs = calloc(QUERIES, sizeof(*query_ptrs));
	if (!rte_qsbr || rte_rcu_qsbr_init(rte_qsbr, 1) || !queries || !query_key64 ||
	    !query_ptrs) {
		fprintf(stderr, "lookup_bench: out of memory\n");
		return 1;
	}
	rte_rcu_qsbr_thread_register(rte_qsbr, 0);
	rte_rcu_qsbr_thread_online(rte_qsbr, 0);
	urcu_qsbr_register_thread();

	printf("# flow lookup, random keys, all hit; ns per lookup, batches of %u, "
	       "blocks of %u batches alternating between variants\n",
	       BATCH, BLOCK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && rc == 0; i++)
		if (bench_size(sizes[i].n, sizes[i].label, tt_bench_reps(&opts, BLOCKS, 1)))
			rc = 1;

	urcu_qsbr_unregister_thread();
	rte_rcu_qsbr_thread_offline(rte_qsbr, 0);
	rte_free(rte_qsbr);
	free(queries);
	free(query_key64);
	free(query_ptrs);
	rte_eal_cleanup();
	return rc;
}
