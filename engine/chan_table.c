/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The association table: two cds_lfht indexes (QSBR flavour) over worker
 * records that embed their channels. See chan_table.h for the reader and
 * writer contracts.
 *
 * Memory: one allocation per record (the record and its K channels together),
 * made by the writer on add/replace and freed by a call_rcu callback. Both
 * hash tables are created with a fixed bucket count and without
 * CDS_LFHT_AUTO_RESIZE, so the library starts no resize worker and a lookup
 * only walks a bucket chain.
 */
#include "chan_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_names.h"

/* Happens-before edges for ThreadSanitizer (see chan_table.h); nothing otherwise. */
#ifdef TT_CTAB_TSAN
char tt_ctab_tsan_qs;
#define TSAN_RELEASE(addr) __tsan_release((void *)(addr))
#define TSAN_ACQUIRE(addr) __tsan_acquire((void *)(addr))
#else
#define TSAN_RELEASE(addr) ((void)0)
#define TSAN_ACQUIRE(addr) ((void)0)
#endif

struct tt_ctab {
	struct cds_lfht *by_worker;
	struct cds_lfht *by_flow;
	uint32_t max_workers;
	uint8_t n_chan;
	size_t rec_size;
	tt_ctab_free_fn on_free;
	void *on_free_arg;

	/* Writer-side counters (single writer; atomics so other threads may read). */
	_Atomic uint32_t live;
	_Atomic uint64_t adds;
	_Atomic uint64_t replaces;
	_Atomic uint64_t dels;
	_Atomic uint64_t full;
	_Atomic uint64_t exists;
	_Atomic uint64_t flow_conflicts;
	_Atomic uint64_t noent;
	/* Bumped on the call_rcu thread. */
	_Atomic uint64_t reclaimed;
};

static const char *const wstate_names[] = {
#define TT_X(name, str) [TT_CTAB_WS_##name] = str,
	TT_CTAB_WSTATES(TT_X)
#undef TT_X
};

const char *tt_ctab_wstate_name(enum tt_ctab_wstate s)
{
	return TT_NAME_AT(wstate_names, s, "?");
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/*
 * Spread a 64-bit key over all bits of the hash. cds_lfht picks the bucket from
 * the low bits, and worker ids and ports are often sequential, so the key is
 * folded, multiplied by 2^64/phi (Fibonacci hashing) and its well-mixed high
 * half folded back down.
 */
static unsigned long ctab_hash64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (unsigned long)x;
}

static unsigned long worker_hash(uint32_t worker_id)
{
	return ctab_hash64(worker_id);
}

static uint64_t flow_key64(const struct tt_ctab_flow_key *k)
{
	return (uint64_t)k->remote_ip << 32 | (uint64_t)k->remote_port << 16 | k->local_port;
}

static unsigned long flow_hash(const struct tt_ctab_flow_key *k)
{
	return ctab_hash64(flow_key64(k));
}

/* cds_lfht match callbacks: 1 if the node holds the key. */
static int worker_match(struct cds_lfht_node *node, const void *key)
{
	const struct tt_worker_rec *rec = caa_container_of(node, struct tt_worker_rec, node);

	TSAN_ACQUIRE(rec); /* pairs with the release in ctab_rec_new() */
	return rec->worker_id == *(const uint32_t *)key;
}

static int flow_match(struct cds_lfht_node *node, const void *key)
{
	const struct tt_ctab_chan *c = caa_container_of(node, struct tt_ctab_chan, flow_node);

	TSAN_ACQUIRE(c);
	return flow_key64(&c->key) == flow_key64(key);
}

static unsigned long pow2_at_least(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * A fixed-size QSBR table: init = min = max buckets, no flags (no auto-resize,
 * no accounting), so it never spawns the library's resize worker.
 */
static struct cds_lfht *ctab_lfht_new(unsigned long entries)
{
	unsigned long buckets = pow2_at_least(entries);

	return cds_lfht_new_flavor(buckets, buckets, buckets, 0, &urcu_qsbr_flavor, NULL);
}

struct tt_ctab *tt_ctab_create(const struct tt_ctab_config *cfg)
{
	struct tt_ctab *t;

	if (!cfg || cfg->max_workers == 0 || cfg->max_workers > TT_CTAB_MAX_WORKERS ||
	    cfg->n_chan == 0 || cfg->n_chan > TT_CTAB_MAX_CHAN) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto fail_nomem;
	t->max_workers = cfg->max_workers;
	t->n_chan = cfg->n_chan;
	t->on_free = cfg->on_free;
	t->on_free_arg = cfg->on_free_arg;
	/* aligned_alloc wants a multiple of the alignment; the struct size already is one. */
	t->rec_size = sizeof(struct tt_worker_rec) + cfg->n_chan * sizeof(struct tt_ctab_chan);
	t->by_worker = ctab_lfht_new(cfg->max_workers);
	if (!t->by_worker)
		goto fail_free;
	t->by_flow = ctab_lfht_new((unsigned long)cfg->max_workers * cfg->n_chan);
	if (!t->by_flow)
		goto fail_worker;
	return t;

fail_worker:
	cds_lfht_destroy(t->by_worker, NULL);
fail_free:
	free(t);
fail_nomem:
	errno = ENOMEM;
	return NULL;
}

/* call_rcu callback: every reader has passed a quiescent state since the unlink. */
static void ctab_rec_reclaim(struct rcu_head *head)
{
	struct tt_worker_rec *rec = caa_container_of(head, struct tt_worker_rec, rcu);
	struct tt_ctab *t;

	/* The grace period: the writer's and every reader's accesses come first. */
	TSAN_ACQUIRE(rec);
	TSAN_ACQUIRE(&tt_ctab_tsan_qs);
	t = rec->tab;
	if (t->on_free)
		t->on_free(rec, t->on_free_arg);
	free(rec);
	atomic_fetch_add_explicit(&t->reclaimed, 1, memory_order_release);
	TSAN_RELEASE(t); /* before tt_ctab_destroy() frees t, after its barrier */
}

/* Mark an unlinked record retired and queue it for freeing after a grace period. */
static void ctab_rec_retire(struct tt_worker_rec *rec)
{
	atomic_store_explicit(&rec->retired, true, memory_order_release);
	TSAN_RELEASE(rec);
	urcu_qsbr_call_rcu(&rec->rcu, ctab_rec_reclaim);
}

/* Unlink every flow node of rec (all of them are in by_flow: single writer). */
static void ctab_unlink_flows(struct tt_ctab *t, struct tt_worker_rec *rec)
{
	for (unsigned i = 0; i < rec->n_chan; i++)
		cds_lfht_del(t->by_flow, &rec->chan[i].flow_node);
}

void tt_ctab_destroy(struct tt_ctab *t)
{
	struct cds_lfht_iter iter;
	struct tt_worker_rec *rec;
	bool was_online;

	if (!t)
		return;
	/* Unlinking needs the read side; urcu_qsbr_barrier() refuses to run inside it. */
	was_online = urcu_qsbr_read_ongoing();
	if (!was_online)
		urcu_qsbr_thread_online();
	cds_lfht_for_each_entry(t->by_worker, &iter, rec, node) {
		ctab_unlink_flows(t, rec);
		cds_lfht_del(t->by_worker, &rec->node);
		ctab_rec_retire(rec);
	}
	urcu_qsbr_thread_offline();
	/* Every callback queued for this table, now and earlier, has run after this. */
	urcu_qsbr_barrier();
	TSAN_ACQUIRE(t);
	cds_lfht_destroy(t->by_flow, NULL);
	cds_lfht_destroy(t->by_worker, NULL);
	free(t);
	if (was_online)
		urcu_qsbr_thread_online();
}

static struct tt_worker_rec *ctab_find(struct tt_ctab *t, uint32_t worker_id,
				       struct cds_lfht_iter *iter)
{
	struct cds_lfht_node *node;

	cds_lfht_lookup(t->by_worker, worker_hash(worker_id), worker_match, &worker_id, iter);
	node = cds_lfht_iter_get_node(iter);
	return node ? caa_container_of(node, struct tt_worker_rec, node) : NULL;
}

struct tt_worker_rec *tt_ctab_worker_lookup(struct tt_ctab *t, uint32_t worker_id)
{
	struct cds_lfht_iter iter;

	return ctab_find(t, worker_id, &iter);
}

static struct tt_ctab_chan *ctab_flow_find(struct tt_ctab *t, const struct tt_ctab_flow_key *key,
					   struct cds_lfht_iter *iter)
{
	struct cds_lfht_node *node;

	cds_lfht_lookup(t->by_flow, flow_hash(key), flow_match, key, iter);
	node = cds_lfht_iter_get_node(iter);
	return node ? caa_container_of(node, struct tt_ctab_chan, flow_node) : NULL;
}

struct tt_ctab_chan *tt_ctab_flow_lookup(struct tt_ctab *t, const struct tt_ctab_flow_key *key)
{
	struct cds_lfht_iter iter;

	return ctab_flow_find(t, key, &iter);
}

/* -EINVAL if the spec cannot become a record: state out of range, a flow key twice. */
static int ctab_spec_check(const struct tt_ctab *t, const struct tt_ctab_worker_spec *spec)
{
	if (!spec || (unsigned)spec->state >= TT_CTAB_WS_COUNT)
		return -EINVAL;
	for (unsigned i = 0; i < t->n_chan; i++)
		for (unsigned j = 0; j < i; j++)
			if (flow_key64(&spec->chan[i].key) == flow_key64(&spec->chan[j].key))
				return -EINVAL;
	return 0;
}

/*
 * -EADDRINUSE if one of the spec's flow keys is in the table and belongs to a
 * record other than `owner` (the record being replaced, or NULL on add). Exact
 * because there is a single writer: nothing else adds flows meanwhile.
 */
static int ctab_flows_free(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec,
			   const struct tt_worker_rec *owner)
{
	struct cds_lfht_iter iter;

	for (unsigned i = 0; i < t->n_chan; i++) {
		struct tt_ctab_chan *c = ctab_flow_find(t, &spec->chan[i].key, &iter);

		if (c && c->rec != owner) {
			count(&t->flow_conflicts);
			return -EADDRINUSE;
		}
	}
	return 0;
}

/*
 * Allocate and fill a record from spec. Everything a reader may look at is
 * written here, before the record is published: cds_lfht's add/replace issue a
 * full barrier before their commit, which orders these stores before the
 * pointer a reader can find.
 */
static struct tt_worker_rec *ctab_rec_new(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec)
{
	struct tt_worker_rec *rec = aligned_alloc(TT_CTAB_CACHE_LINE, t->rec_size);

	if (!rec)
		return NULL;
	memset(rec, 0, t->rec_size);
	cds_lfht_node_init(&rec->node);
	rec->tab = t;
	rec->worker_id = spec->worker_id;
	rec->hb_lcore = spec->hb_lcore;
	rec->n_chan = t->n_chan;
	atomic_init(&rec->epoch, spec->epoch);
	atomic_init(&rec->state, (uint32_t)spec->state);
	atomic_init(&rec->retired, false);
	atomic_init(&rec->hb, spec->hb);
	for (unsigned i = 0; i < t->n_chan; i++) {
		struct tt_ctab_chan *c = &rec->chan[i];

		cds_lfht_node_init(&c->flow_node);
		c->key = spec->chan[i].key;
		c->rec = rec;
		c->lcore = spec->chan[i].lcore;
		c->idx = (uint8_t)i;
		/* Down, reason 0: a channel is up only once its connection is set up. */
		atomic_init(&c->link, 0);
		atomic_init(&c->downs, 0);
		atomic_init(&c->ups, 0);
		atomic_init(&c->rx_pkts, 0);
		atomic_init(&c->tx_pkts, 0);
	}
	/* What the barrier does for TSan: lookups acquire these before reading. */
	TSAN_RELEASE(rec);
	for (unsigned i = 0; i < t->n_chan; i++)
		TSAN_RELEASE(&rec->chan[i]);
	return rec;
}

int tt_ctab_worker_add(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec,
		       struct tt_worker_rec **out)
{
	struct cds_lfht_iter iter;
	struct tt_worker_rec *rec;
	int ret;

	ret = ctab_spec_check(t, spec);
	if (ret)
		return ret;
	if (ctab_find(t, spec->worker_id, &iter)) {
		count(&t->exists);
		return -EEXIST;
	}
	if (atomic_load_explicit(&t->live, memory_order_relaxed) >= t->max_workers) {
		count(&t->full);
		return -ENOSPC;
	}
	ret = ctab_flows_free(t, spec, NULL);
	if (ret)
		return ret;
	rec = ctab_rec_new(t, spec);
	if (!rec)
		return -ENOMEM;
	/*
	 * Checks above are exact (single writer), so plain adds cannot create
	 * duplicates. The worker node goes in first: a packet demultiplexed to
	 * one of the channels then always finds its worker by id too.
	 */
	cds_lfht_add(t->by_worker, worker_hash(rec->worker_id), &rec->node);
	for (unsigned i = 0; i < rec->n_chan; i++)
		cds_lfht_add(t->by_flow, flow_hash(&rec->chan[i].key), &rec->chan[i].flow_node);
	atomic_fetch_add_explicit(&t->live, 1, memory_order_relaxed);
	count(&t->adds);
	if (out)
		*out = rec;
	return 0;
}

/* True if rec has a channel with this flow key. */
static bool rec_has_flow(const struct tt_worker_rec *rec, const struct tt_ctab_flow_key *key)
{
	for (unsigned i = 0; i < rec->n_chan; i++)
		if (flow_key64(&rec->chan[i].key) == flow_key64(key))
			return true;
	return false;
}

int tt_ctab_worker_replace(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec,
			   struct tt_worker_rec **out)
{
	struct cds_lfht_iter iter;
	struct tt_worker_rec *old, *rec;
	int ret;

	ret = ctab_spec_check(t, spec);
	if (ret)
		return ret;
	old = ctab_find(t, spec->worker_id, &iter);
	if (!old) {
		count(&t->noent);
		return -ENOENT;
	}
	ret = ctab_flows_free(t, spec, old);
	if (ret)
		return ret;
	rec = ctab_rec_new(t, spec);
	if (!rec)
		return -ENOMEM;
	/* Atomic swap: a lookup by id finds exactly one of old and rec. */
	cds_lfht_replace(t->by_worker, &iter, worker_hash(rec->worker_id), worker_match,
			 &rec->worker_id, &rec->node);
	for (unsigned i = 0; i < rec->n_chan; i++) {
		struct tt_ctab_chan *c = &rec->chan[i];
		struct cds_lfht_iter fiter;

		/* A key both records have is swapped in place so demux never misses it. */
		if (ctab_flow_find(t, &c->key, &fiter))
			cds_lfht_replace(t->by_flow, &fiter, flow_hash(&c->key), flow_match,
					 &c->key, &c->flow_node);
		else
			cds_lfht_add(t->by_flow, flow_hash(&c->key), &c->flow_node);
	}
	/* Old flows the new record dropped. */
	for (unsigned i = 0; i < old->n_chan; i++)
		if (!rec_has_flow(rec, &old->chan[i].key))
			cds_lfht_del(t->by_flow, &old->chan[i].flow_node);
	ctab_rec_retire(old);
	count(&t->replaces);
	if (out)
		*out = rec;
	return 0;
}

int tt_ctab_worker_del(struct tt_ctab *t, uint32_t worker_id)
{
	struct cds_lfht_iter iter;
	struct tt_worker_rec *rec = ctab_find(t, worker_id, &iter);

	if (!rec) {
		count(&t->noent);
		return -ENOENT;
	}
	/* Flows first: a demultiplexed packet should still find its worker by id. */
	ctab_unlink_flows(t, rec);
	cds_lfht_del(t->by_worker, &rec->node);
	ctab_rec_retire(rec);
	atomic_fetch_sub_explicit(&t->live, 1, memory_order_relaxed);
	count(&t->dels);
	return 0;
}

unsigned tt_ctab_worker_walk(struct tt_ctab *t, tt_ctab_walk_fn fn, void *arg)
{
	struct cds_lfht_iter iter;
	struct tt_worker_rec *rec;
	unsigned n = 0;

	cds_lfht_for_each_entry(t->by_worker, &iter, rec, node) {
		n++;
		if (fn(rec, arg))
			break;
	}
	return n;
}

void tt_ctab_stats_get(struct tt_ctab *t, struct tt_ctab_stats *out)
{
	out->adds = atomic_load_explicit(&t->adds, memory_order_relaxed);
	out->replaces = atomic_load_explicit(&t->replaces, memory_order_relaxed);
	out->dels = atomic_load_explicit(&t->dels, memory_order_relaxed);
	out->full = atomic_load_explicit(&t->full, memory_order_relaxed);
	out->exists = atomic_load_explicit(&t->exists, memory_order_relaxed);
	out->flow_conflicts = atomic_load_explicit(&t->flow_conflicts, memory_order_relaxed);
	out->noent = atomic_load_explicit(&t->noent, memory_order_relaxed);
	out->reclaimed = atomic_load_explicit(&t->reclaimed, memory_order_acquire);
	out->live = atomic_load_explicit(&t->live, memory_order_relaxed);
}

unsigned tt_ctab_n_chan(const struct tt_ctab *t)
{
	return t->n_chan;
}
