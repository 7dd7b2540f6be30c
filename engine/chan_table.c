/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The association table: two cds_lfht indexes (QSBR flavour) over worker
 * records that embed their channels. See chan_table.h for the reader and
 * writer contracts.
 *
 * Memory, all allocated at create:
 *  - recs: the record slab, n_slots records of rec_size bytes (the record and
 *    its K channels), cache-line aligned;
 *  - wents / fents: the index entries, one worker entry per slot and K flow
 *    entries per slot. An entry holds the cds_lfht node, the key and the
 *    record (channel) pointer in 32 bytes, two per cache line.
 * Why entries apart from the records: a lookup walks the bucket chain and
 * compares keys, i.e. reads every node it passes. With the nodes inside the
 * records (one allocation each, as before) every node visited was a cache miss
 * into a large record, and at 64 Ki+ entries a TLB miss too: the entries are
 * 4-8x denser, so the chain walk stays in fewer lines and pages, and the
 * lookup returns the pointer without touching the record (what rte_hash does
 * with its key store).
 *
 * n_slots = 2 x max_workers: a replace needs the new record's slot while the
 * old one waits for its grace period. Slots are handed out from a writer-only
 * free list, refilled from a stack the call_rcu callbacks push released slots
 * on (push-only against a single take-all: no ABA), and first from the
 * never-used part of the slab (so untouched slots cost no memory). When all
 * are taken, the record and its entries come from the heap in one block; its
 * callback frees it.
 *
 * Both hash tables are created with a fixed bucket count and without
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

/* Worker index entry: the cds_lfht node, the key it is compared on, the record. */
struct ctab_went {
	struct cds_lfht_node node;
	uint32_t worker_id;
	struct tt_worker_rec *rec;
};

/* Flow index entry: node, the flow key as one word, the channel. */
struct ctab_fent {
	struct cds_lfht_node node;
	uint64_t key;
	struct tt_ctab_chan *chan;
};

_Static_assert(sizeof(struct ctab_went) == 32 && sizeof(struct ctab_fent) == 32,
	       "index entries are half a cache line");

/* rec->slot of a heap record; ctab_slot_take() with every slot taken. */
#define NO_SLOT UINT32_MAX

struct tt_ctab {
	struct cds_lfht *by_worker;
	struct cds_lfht *by_flow;
	uint32_t max_workers;
	uint8_t n_chan;
	size_t rec_size;
	tt_ctab_free_fn on_free;
	void *on_free_arg;

	/* The slab (file comment). */
	uint32_t n_slots;
	char *recs;
	struct ctab_went *wents;
	struct ctab_fent *fents;
	uint32_t *free_next;	   /* per slot: next in a free list, as slot + 1 (0 ends) */
	uint32_t free_head;	   /* writer's free list, slot + 1 */
	uint32_t fresh;		   /* slots below this one have been used */
	_Atomic uint32_t released; /* stack of released slots (slot + 1), pushed by callbacks */

	/* Writer-side counters (single writer; atomics so other threads may read). */
	_Atomic uint32_t live;
	_Atomic uint64_t adds;
	_Atomic uint64_t replaces;
	_Atomic uint64_t dels;
	_Atomic uint64_t full;
	_Atomic uint64_t exists;
	_Atomic uint64_t flow_conflicts;
	_Atomic uint64_t noent;
	_Atomic uint64_t heap_recs;
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

/* cds_lfht match callbacks: 1 if the entry holds the key. */
static int worker_match(struct cds_lfht_node *node, const void *key)
{
	const struct ctab_went *e = caa_container_of(node, struct ctab_went, node);

	TSAN_ACQUIRE(e); /* pairs with the release in ctab_rec_new() */
	return e->worker_id == *(const uint32_t *)key;
}

static int flow_match(struct cds_lfht_node *node, const void *key)
{
	const struct ctab_fent *e = caa_container_of(node, struct ctab_fent, node);

	TSAN_ACQUIRE(e);
	return e->key == *(const uint64_t *)key;
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
	unsigned long buckets = pow2_at_least(2 * entries);

	return cds_lfht_new_flavor(buckets, buckets, buckets, 0, &urcu_qsbr_flavor, NULL);
}

/* A record's index entries: in the arrays beside the slab, or right behind a heap record. */
static struct ctab_went *rec_went(const struct tt_ctab *t, const struct tt_worker_rec *rec)
{
	if (rec->slot != NO_SLOT)
		return &t->wents[rec->slot];
	return (struct ctab_went *)((char *)rec + t->rec_size);
}

static struct ctab_fent *rec_fent(const struct tt_ctab *t, const struct tt_worker_rec *rec,
				  unsigned i)
{
	if (rec->slot != NO_SLOT)
		return &t->fents[(size_t)rec->slot * t->n_chan + i];
	return (struct ctab_fent *)((char *)rec + t->rec_size + sizeof(struct ctab_went)) + i;
}

/* n rounded up to a whole number of cache lines (what aligned_alloc() requires). */
static size_t line_round(size_t n)
{
	return (n + TT_CTAB_CACHE_LINE - 1) & ~(size_t)(TT_CTAB_CACHE_LINE - 1);
}

/* Size of a heap record's block: the record, then its worker entry and K flow entries. */
static size_t heap_block_size(const struct tt_ctab *t)
{
	return line_round(t->rec_size + sizeof(struct ctab_went) +
			  t->n_chan * sizeof(struct ctab_fent));
}

static void ctab_free_arrays(struct tt_ctab *t)
{
	free(t->free_next);
	free(t->fents);
	free(t->wents);
	free(t->recs);
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
	/* A multiple of the cache line: tt_ctab_chan is line-aligned, so the struct size is. */
	t->rec_size = sizeof(struct tt_worker_rec) + cfg->n_chan * sizeof(struct tt_ctab_chan);
	t->n_slots = 2 * cfg->max_workers;
	/*
	 * Not zeroed: a slot is written in full when it is first taken, so the
	 * pages of slots never taken are never touched.
	 */
	t->recs = aligned_alloc(TT_CTAB_CACHE_LINE, line_round((size_t)t->n_slots * t->rec_size));
	t->wents = aligned_alloc(TT_CTAB_CACHE_LINE,
				 line_round((size_t)t->n_slots * sizeof(*t->wents)));
	t->fents = aligned_alloc(TT_CTAB_CACHE_LINE,
				 line_round((size_t)t->n_slots * t->n_chan * sizeof(*t->fents)));
	t->free_next = malloc((size_t)t->n_slots * sizeof(*t->free_next));
	if (!t->recs || !t->wents || !t->fents || !t->free_next)
		goto fail_arrays;
	t->by_worker = ctab_lfht_new(cfg->max_workers);
	if (!t->by_worker)
		goto fail_arrays;
	t->by_flow = ctab_lfht_new((unsigned long)cfg->max_workers * cfg->n_chan);
	if (!t->by_flow)
		goto fail_worker;
	return t;

fail_worker:
	cds_lfht_destroy(t->by_worker, NULL);
fail_arrays:
	ctab_free_arrays(t);
	free(t);
fail_nomem:
	errno = ENOMEM;
	return NULL;
}

/*
 * Take a slot for a new record: the writer's free list, else the released
 * stack (taken whole), else a never-used slot. NO_SLOT if all are taken.
 * Writer only.
 */
static uint32_t ctab_slot_take(struct tt_ctab *t)
{
	uint32_t link = t->free_head;

	if (link == 0)
		/* Acquire: the callback's writes (on_free) come before the reuse. */
		link = atomic_exchange_explicit(&t->released, 0, memory_order_acquire);
	if (link != 0) {
		t->free_head = t->free_next[link - 1];
		return link - 1;
	}
	if (t->fresh < t->n_slots)
		return t->fresh++;
	return NO_SLOT;
}

/* call_rcu thread: give a released slot back. Push-only stack against one take-all. */
static void ctab_slot_release(struct tt_ctab *t, uint32_t slot)
{
	uint32_t head = atomic_load_explicit(&t->released, memory_order_relaxed);

	do
		t->free_next[slot] = head;
	while (!atomic_compare_exchange_weak_explicit(&t->released, &head, slot + 1,
						      memory_order_release, memory_order_relaxed));
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
	if (rec->slot != NO_SLOT)
		ctab_slot_release(t, rec->slot);
	else
		free(rec);
	atomic_fetch_add_explicit(&t->reclaimed, 1, memory_order_release);
	TSAN_RELEASE(t); /* before tt_ctab_destroy() frees t, after its barrier */
}

/* Mark an unlinked record retired and queue it for release after a grace period. */
static void ctab_rec_retire(struct tt_worker_rec *rec)
{
	atomic_store_explicit(&rec->retired, true, memory_order_release);
	TSAN_RELEASE(rec);
	urcu_qsbr_call_rcu(&rec->rcu, ctab_rec_reclaim);
}

/* Unlink every flow entry of rec (all of them are in by_flow: single writer). */
static void ctab_unlink_flows(struct tt_ctab *t, struct tt_worker_rec *rec)
{
	for (unsigned i = 0; i < rec->n_chan; i++)
		cds_lfht_del(t->by_flow, &rec_fent(t, rec, i)->node);
}

void tt_ctab_destroy(struct tt_ctab *t)
{
	struct cds_lfht_iter iter;
	struct ctab_went *e;
	bool was_online;

	if (!t)
		return;
	/* Unlinking needs the read side; urcu_qsbr_barrier() refuses to run inside it. */
	was_online = urcu_qsbr_read_ongoing();
	if (!was_online)
		urcu_qsbr_thread_online();
	cds_lfht_for_each_entry(t->by_worker, &iter, e, node) {
		ctab_unlink_flows(t, e->rec);
		cds_lfht_del(t->by_worker, &e->node);
		ctab_rec_retire(e->rec);
	}
	urcu_qsbr_thread_offline();
	/* Every callback queued for this table, now and earlier, has run after this. */
	urcu_qsbr_barrier();
	TSAN_ACQUIRE(t);
	cds_lfht_destroy(t->by_flow, NULL);
	cds_lfht_destroy(t->by_worker, NULL);
	ctab_free_arrays(t);
	free(t);
	if (was_online)
		urcu_qsbr_thread_online();
}

static struct ctab_went *ctab_find(struct tt_ctab *t, uint32_t worker_id,
				   struct cds_lfht_iter *iter)
{
	struct cds_lfht_node *node;

	cds_lfht_lookup(t->by_worker, worker_hash(worker_id), worker_match, &worker_id, iter);
	node = cds_lfht_iter_get_node(iter);
	return node ? caa_container_of(node, struct ctab_went, node) : NULL;
}

struct tt_worker_rec *tt_ctab_worker_lookup(struct tt_ctab *t, uint32_t worker_id)
{
	struct cds_lfht_iter iter;
	struct ctab_went *e = ctab_find(t, worker_id, &iter);

	return e ? e->rec : NULL;
}

static struct ctab_fent *ctab_flow_find(struct tt_ctab *t, uint64_t key, struct cds_lfht_iter *iter)
{
	struct cds_lfht_node *node;

	cds_lfht_lookup(t->by_flow, ctab_hash64(key), flow_match, &key, iter);
	node = cds_lfht_iter_get_node(iter);
	return node ? caa_container_of(node, struct ctab_fent, node) : NULL;
}

struct tt_ctab_chan *tt_ctab_flow_lookup(struct tt_ctab *t, const struct tt_ctab_flow_key *key)
{
	struct cds_lfht_iter iter;
	struct ctab_fent *e = ctab_flow_find(t, flow_key64(key), &iter);

	return e ? e->chan : NULL;
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
		struct ctab_fent *e = ctab_flow_find(t, flow_key64(&spec->chan[i].key), &iter);

		if (e && e->chan->rec != owner) {
			count(&t->flow_conflicts);
			return -EADDRINUSE;
		}
	}
	return 0;
}

/*
 * Take a slot (or, with none free, a heap block) and fill the record and its
 * index entries from spec. Everything a reader may look at is written here,
 * before the record is published: cds_lfht's add/replace issue a full barrier
 * before their commit, which orders these stores before the node a reader can
 * find.
 */
static struct tt_worker_rec *ctab_rec_new(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec)
{
	uint32_t slot = ctab_slot_take(t);
	struct tt_worker_rec *rec;
	struct ctab_went *we;

	if (slot != NO_SLOT) {
		rec = (struct tt_worker_rec *)(t->recs + (size_t)slot * t->rec_size);
	} else {
		rec = aligned_alloc(TT_CTAB_CACHE_LINE, heap_block_size(t));
		if (!rec)
			return NULL;
		count(&t->heap_recs);
	}
	memset(rec, 0, t->rec_size);
	rec->tab = t;
	rec->slot = slot;
	rec->worker_id = spec->worker_id;
	rec->hb_lcore = spec->hb_lcore;
	rec->n_chan = t->n_chan;
	atomic_init(&rec->epoch, spec->epoch);
	atomic_init(&rec->state, (uint32_t)spec->state);
	atomic_init(&rec->retired, false);
	atomic_init(&rec->hb, spec->hb);
	we = rec_went(t, rec);
	cds_lfht_node_init(&we->node);
	we->worker_id = spec->worker_id;
	we->rec = rec;
	for (unsigned i = 0; i < t->n_chan; i++) {
		struct tt_ctab_chan *c = &rec->chan[i];
		struct ctab_fent *fe = rec_fent(t, rec, i);

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
		cds_lfht_node_init(&fe->node);
		fe->key = flow_key64(&c->key);
		fe->chan = c;
	}
	/* What the barrier does for TSan: lookups acquire the entry before reading. */
	TSAN_RELEASE(we);
	for (unsigned i = 0; i < t->n_chan; i++)
		TSAN_RELEASE(rec_fent(t, rec, i));
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
	 * duplicates. The worker entry goes in first: a packet demultiplexed to
	 * one of the channels then always finds its worker by id too.
	 */
	cds_lfht_add(t->by_worker, worker_hash(rec->worker_id), &rec_went(t, rec)->node);
	for (unsigned i = 0; i < rec->n_chan; i++) {
		struct ctab_fent *fe = rec_fent(t, rec, i);

		cds_lfht_add(t->by_flow, ctab_hash64(fe->key), &fe->node);
	}
	atomic_fetch_add_explicit(&t->live, 1, memory_order_relaxed);
	count(&t->adds);
	if (out)
		*out = rec;
	return 0;
}

/* True if rec has a channel with this flow key. */
static bool rec_has_flow(const struct tt_worker_rec *rec, uint64_t key)
{
	for (unsigned i = 0; i < rec->n_chan; i++)
		if (flow_key64(&rec->chan[i].key) == key)
			return true;
	return false;
}

int tt_ctab_worker_replace(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec,
			   struct tt_worker_rec **out)
{
	struct cds_lfht_iter iter;
	struct ctab_went *old_e;
	struct tt_worker_rec *old, *rec;
	int ret;

	ret = ctab_spec_check(t, spec);
	if (ret)
		return ret;
	old_e = ctab_find(t, spec->worker_id, &iter);
	if (!old_e) {
		count(&t->noent);
		return -ENOENT;
	}
	old = old_e->rec;
	ret = ctab_flows_free(t, spec, old);
	if (ret)
		return ret;
	rec = ctab_rec_new(t, spec);
	if (!rec)
		return -ENOMEM;
	/* Atomic swap: a lookup by id finds exactly one of old and rec. */
	cds_lfht_replace(t->by_worker, &iter, worker_hash(rec->worker_id), worker_match,
			 &rec->worker_id, &rec_went(t, rec)->node);
	for (unsigned i = 0; i < rec->n_chan; i++) {
		struct ctab_fent *fe = rec_fent(t, rec, i);
		struct cds_lfht_iter fiter;

		/* A key both records have is swapped in place so demux never misses it. */
		if (ctab_flow_find(t, fe->key, &fiter))
			cds_lfht_replace(t->by_flow, &fiter, ctab_hash64(fe->key), flow_match,
					 &fe->key, &fe->node);
		else
			cds_lfht_add(t->by_flow, ctab_hash64(fe->key), &fe->node);
	}
	/* Old flows the new record dropped. */
	for (unsigned i = 0; i < old->n_chan; i++)
		if (!rec_has_flow(rec, flow_key64(&old->chan[i].key)))
			cds_lfht_del(t->by_flow, &rec_fent(t, old, i)->node);
	ctab_rec_retire(old);
	count(&t->replaces);
	if (out)
		*out = rec;
	return 0;
}

int tt_ctab_worker_del(struct tt_ctab *t, uint32_t worker_id)
{
	struct cds_lfht_iter iter;
	struct ctab_went *e = ctab_find(t, worker_id, &iter);
	struct tt_worker_rec *rec;

	if (!e) {
		count(&t->noent);
		return -ENOENT;
	}
	rec = e->rec;
	/* Flows first: a demultiplexed packet should still find its worker by id. */
	ctab_unlink_flows(t, rec);
	cds_lfht_del(t->by_worker, &e->node);
	ctab_rec_retire(rec);
	atomic_fetch_sub_explicit(&t->live, 1, memory_order_relaxed);
	count(&t->dels);
	return 0;
}

unsigned tt_ctab_worker_walk(struct tt_ctab *t, tt_ctab_walk_fn fn, void *arg)
{
	struct cds_lfht_iter iter;
	struct ctab_went *e;
	unsigned n = 0;

	cds_lfht_for_each_entry(t->by_worker, &iter, e, node) {
		n++;
		if (fn(e->rec, arg))
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
	out->heap_recs = atomic_load_explicit(&t->heap_recs, memory_order_relaxed);
	out->live = atomic_load_explicit(&t->live, memory_order_relaxed);
}

unsigned tt_ctab_n_chan(const struct tt_ctab *t)
{
	return t->n_chan;
}
