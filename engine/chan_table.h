/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CHAN_TABLE_H
#define TT_CHAN_TABLE_H

/**
 * @file
 * The association table (DESIGN.md §4): every worker's record, with its
 * heartbeat session and its K data channels, found through two RCU hash
 * tables (liburcu cds_lfht, QSBR flavour):
 *
 *  - worker id -> struct tt_worker_rec
 *  - flow key (remote IPv4, remote UDP port, local UDP port) -> struct tt_ctab_chan
 *    (packet demultiplexing; the channel points back to its record)
 *
 * Readers (every polling lcore):
 *  - The thread is registered (urcu_qsbr_register_thread()) and online. With
 *    QSBR, being online *is* the read-side critical section; urcu_qsbr_read_lock()
 *    is a no-op marker the caller may use for clarity.
 *  - Lookups never block, take no lock and allocate nothing.
 *  - A pointer returned by a lookup stays valid (its memory is not freed) until
 *    the thread's next quiescent state (tt_ctab_quiescent_state(), which wraps
 *    urcu_qsbr_quiescent_state()), going offline or unregistration. Keep no
 *    record pointer across loop iterations.
 *  - A record may be unlinked (deleted or replaced) while a reader holds it:
 *    tt_ctab_worker_retired() then says so. Its fields stay readable.
 *
 * Writers (add, replace, delete, destroy):
 *  - SINGLE WRITER: at most one thread calls them at a time (the control thread,
 *    or callers that serialise themselves). The flow-key uniqueness checks and
 *    the capacity count rely on it; readers need no such rule.
 *  - The writing thread is registered and online, like a reader (cds_lfht
 *    updates run inside the read-side critical section). None of them blocks on
 *    a grace period: unlinked records are handed to call_rcu() and released on
 *    the call_rcu thread once every reader has passed a quiescent state.
 *  - Memory: tt_ctab_create() allocates a slab of 2 x max_workers record slots
 *    and, beside it, the index entries the lookups walk (32 bytes each: the hash
 *    node, the key, the record or channel pointer), so a lookup touches the
 *    bucket array and one compact entry, never a record. Add and replace take a
 *    free slot; a released record's slot is free again after its grace period.
 *    Only when every spare slot still waits for its grace period (a burst of
 *    replaces and deletes faster than grace periods complete) does add/replace
 *    allocate the record from the heap (counted in heap_recs). They are
 *    control-path calls, never made per packet.
 *
 * Cross-lcore fields in a record are C11 atomics; use the accessors below.
 * Immutable fields (ids, keys, lcore ids, back-pointers) are plain and may be
 * read directly.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/urcu-qsbr.h>
#include <urcu/rculfhash.h>

/*
 * ThreadSanitizer. liburcu 0.13 is not built for TSan, so TSan cannot see the
 * two orderings this table relies on: the publication barrier in cds_lfht's
 * add/replace (a record is initialised before a reader can find it) and the
 * grace period (a reader's accesses come before the record is freed). In TSan
 * builds the table states both with __tsan_release/__tsan_acquire, and readers
 * do their part by reporting quiescent states through tt_ctab_quiescent_state()
 * and tt_ctab_thread_offline() below. In other builds those are the plain
 * liburcu calls and nothing else changes.
 */
#if defined(__SANITIZE_THREAD__)
#define TT_CTAB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TT_CTAB_TSAN 1
#endif
#endif

#ifdef TT_CTAB_TSAN
#include <sanitizer/tsan_interface.h>
/** TSan sync object standing for "a reader passed a quiescent state". */
extern char tt_ctab_tsan_qs;
#endif

/** Most data channels one worker has (K in DESIGN.md §1). */
#define TT_CTAB_MAX_CHAN 16
/** Largest worker capacity a table accepts. */
#define TT_CTAB_MAX_WORKERS (1u << 20)
/** Cache line size used to keep lcore-owned fields apart. */
#define TT_CTAB_CACHE_LINE 64

/* Worker state as the fencing policy sees it. X(name, printable) */
#define TT_CTAB_WSTATES(X)                                                                         \
	X(JOINING, "joining")                                                                      \
	X(LIVE, "live")                                                                            \
	X(SILENCED, "silenced")                                                                    \
	X(FENCED, "fenced")                                                                        \
	X(DEAD, "dead")

enum tt_ctab_wstate {
#define TT_X(name, str) TT_CTAB_WS_##name,
	TT_CTAB_WSTATES(TT_X)
#undef TT_X
	TT_CTAB_WS_COUNT
};

/** Opaque heartbeat session (engine/hb_fsm.h); the table only stores the pointer. */
struct tt_hb_session;

/**
 * Flow key of a data channel as seen by the local endpoint. The fields are
 * compared bit for bit: use one byte order everywhere (network order, as in the
 * packet headers, saves the data lcore a swap).
 */
struct tt_ctab_flow_key {
	uint32_t remote_ip;
	uint16_t remote_port;
	uint16_t local_port;
};

/* Channel link word: bit 0 = up, bits 8..15 = down reason (the dc module's enum). */
#define TT_CTAB_LINK_UP		  1u
#define TT_CTAB_LINK_REASON_SHIFT 8

/**
 * One data channel inside a worker record. Cache-line aligned: each channel is
 * written by the data lcore that owns it.
 */
struct tt_ctab_chan {
	/* Immutable while the record is in the table. */
	_Alignas(TT_CTAB_CACHE_LINE) struct tt_ctab_flow_key key;
	struct tt_worker_rec *rec; /**< the record this channel belongs to */
	uint16_t lcore;		   /**< data lcore that owns the channel */
	uint8_t idx;		   /**< index in rec->chan[] */

	/* Cross-lcore state. */
	_Atomic uint32_t link;	  /**< TT_CTAB_LINK_UP | reason << TT_CTAB_LINK_REASON_SHIFT */
	_Atomic uint64_t downs;	  /**< up -> down transitions (tt_ctab_chan_set_down) */
	_Atomic uint64_t ups;	  /**< down -> up transitions (tt_ctab_chan_set_up) */
	_Atomic uint64_t rx_pkts; /**< written by the owning lcore only */
	_Atomic uint64_t tx_pkts; /**< written by the owning lcore only */
};

/**
 * A worker as the master (or a worker, for its own master) knows it. Lives in
 * the table's slab (or, rarely, on the heap: file comment), released by the
 * table after a grace period. The index nodes that find it live outside it.
 */
struct tt_worker_rec {
	/* Owned by the table. */
	struct rcu_head rcu;
	struct tt_ctab *tab;
	uint32_t slot; /**< slab slot, or UINT32_MAX for a heap record */

	/* Immutable while the record is in the table. */
	uint32_t worker_id;
	uint16_t hb_lcore; /**< lcore that owns the heartbeat session */
	uint8_t n_chan;	   /**< K: entries in chan[] */

	/* Cross-lcore state. */
	_Atomic uint32_t epoch;
	_Atomic uint32_t state;		  /**< enum tt_ctab_wstate */
	_Atomic bool retired;		  /**< unlinked from the table (deleted or replaced) */
	struct tt_hb_session *_Atomic hb; /**< heartbeat session, set by its owner */

	struct tt_ctab_chan chan[]; /**< n_chan data channels */
};

/**
 * Called once per record just before its memory is freed, on the call_rcu
 * thread. For accounting and tests; must not touch the table.
 */
typedef void (*tt_ctab_free_fn)(struct tt_worker_rec *rec, void *arg);

/** Table configuration. */
struct tt_ctab_config {
	uint32_t max_workers;	 /**< capacity, 1..TT_CTAB_MAX_WORKERS */
	uint8_t n_chan;		 /**< K, data channels per worker, 1..TT_CTAB_MAX_CHAN */
	tt_ctab_free_fn on_free; /**< optional */
	void *on_free_arg;
};

/** What a new record holds. */
struct tt_ctab_chan_spec {
	struct tt_ctab_flow_key key; /**< unique across the whole table */
	uint16_t lcore;		     /**< data lcore that will own the channel */
};

struct tt_ctab_worker_spec {
	uint32_t worker_id;
	uint32_t epoch;
	enum tt_ctab_wstate state;
	uint16_t hb_lcore;
	struct tt_hb_session *hb;			 /**< may be NULL and set later */
	struct tt_ctab_chan_spec chan[TT_CTAB_MAX_CHAN]; /**< first n_chan (config) used */
};

/** Counters; writer counters are updated by the single writer, read by anyone. */
struct tt_ctab_stats {
	uint64_t adds;		 /**< records added */
	uint64_t replaces;	 /**< records replaced */
	uint64_t dels;		 /**< records deleted */
	uint64_t full;		 /**< adds refused with -ENOSPC */
	uint64_t exists;	 /**< adds refused with -EEXIST */
	uint64_t flow_conflicts; /**< adds/replaces refused with -EADDRINUSE */
	uint64_t noent;		 /**< replaces/deletes refused with -ENOENT */
	uint64_t reclaimed;	 /**< records released after their grace period */
	uint64_t heap_recs;	 /**< records taken from the heap: no slab slot was free */
	uint32_t live;		 /**< records in the table now */
};

struct tt_ctab;

/**
 * Printable name of a worker state.
 * @param s state
 * @return static string, "?" when out of range
 */
const char *tt_ctab_wstate_name(enum tt_ctab_wstate s);

/**
 * Create an empty table: the record slab and the index entries (file comment)
 * and both indexes, sized for the capacity once; they never resize (no resize
 * thread). Any thread; need not be registered.
 * @param cfg configuration (copied)
 * @return the table, or NULL with errno EINVAL (bad config) or ENOMEM
 */
struct tt_ctab *tt_ctab_create(const struct tt_ctab_config *cfg);

/**
 * Delete every record, wait until all of them (and those unlinked earlier) are
 * freed, then free the table. Control thread, registered (online or offline;
 * it is left as found). No reader may use the table any more.
 * @param t table, NULL is ignored
 */
void tt_ctab_destroy(struct tt_ctab *t);

/**
 * Add a worker record and its K flows. All or nothing: on error the table is
 * unchanged. Writer rules (file comment).
 * @param t table
 * @param spec the new record's contents; its channels start DOWN, reason 0
 * @param out if not NULL, receives the new record (valid while the writer stays online)
 * @return 0; -EINVAL bad spec (state out of range, a flow key twice in the spec);
 *         -EEXIST worker id present; -EADDRINUSE a flow key belongs to another worker;
 *         -ENOSPC table full (max_workers records live); -ENOMEM (no free slot and
 *         the heap refused)
 */
int tt_ctab_worker_add(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec,
		       struct tt_worker_rec **out);

/**
 * Replace the record of spec->worker_id by a new one built from spec (new epoch,
 * new session, new flows). Readers see either the old or the new record for the
 * worker id and, per flow key, the old or the new channel; never none for a key
 * both have. The old record is marked retired and freed after a grace period.
 * Writer rules (file comment).
 * @param t table
 * @param spec the new contents
 * @param out if not NULL, receives the new record
 * @return 0; -EINVAL; -ENOENT worker id absent; -EADDRINUSE a flow key belongs to
 *         another worker; -ENOMEM
 */
int tt_ctab_worker_replace(struct tt_ctab *t, const struct tt_ctab_worker_spec *spec,
			   struct tt_worker_rec **out);

/**
 * Unlink a worker record and its flows; mark it retired; free it after a grace
 * period. Writer rules (file comment).
 * @param t table
 * @param worker_id worker
 * @return 0 or -ENOENT
 */
int tt_ctab_worker_del(struct tt_ctab *t, uint32_t worker_id);

/**
 * Find a worker record. Reader rules (file comment): QSBR-registered, online;
 * valid until the next quiescent state. Any lcore.
 * @param t table
 * @param worker_id worker
 * @return the record or NULL
 */
struct tt_worker_rec *tt_ctab_worker_lookup(struct tt_ctab *t, uint32_t worker_id);

/**
 * Demultiplex: find the channel a flow belongs to. Reader rules as for
 * tt_ctab_worker_lookup(). Any lcore.
 * @param t table
 * @param key flow key of the received packet
 * @return the channel (its record is chan->rec) or NULL
 */
struct tt_ctab_chan *tt_ctab_flow_lookup(struct tt_ctab *t, const struct tt_ctab_flow_key *key);

/** Visitor for tt_ctab_worker_walk(); return non-zero to stop the walk. */
typedef int (*tt_ctab_walk_fn)(struct tt_worker_rec *rec, void *arg);

/**
 * Visit every record in the table (unordered). A concurrent writer may make the
 * walk miss or see records changed meanwhile. Reader rules; not for the fast path.
 * @param t table
 * @param fn visitor
 * @param arg passed to fn
 * @return number of records visited
 */
unsigned tt_ctab_worker_walk(struct tt_ctab *t, tt_ctab_walk_fn fn, void *arg);

/**
 * Snapshot the counters. Any thread.
 * @param t table
 * @param out filled
 */
void tt_ctab_stats_get(struct tt_ctab *t, struct tt_ctab_stats *out);

/** Data channels per record (K). Any thread. */
unsigned tt_ctab_n_chan(const struct tt_ctab *t);

/**
 * Report a quiescent state: what a polling lcore calls once per loop pass, in
 * place of urcu_qsbr_quiescent_state() (identical outside TSan builds). After
 * it, the thread holds no record pointer. Registered, online thread.
 */
static inline void tt_ctab_quiescent_state(void)
{
#ifdef TT_CTAB_TSAN
	__tsan_release(&tt_ctab_tsan_qs);
#endif
	urcu_qsbr_quiescent_state();
}

/**
 * Go QSBR-offline (before blocking, or before urcu_qsbr_unregister_thread()),
 * in place of urcu_qsbr_thread_offline(). Registered, online thread.
 */
static inline void tt_ctab_thread_offline(void)
{
#ifdef TT_CTAB_TSAN
	__tsan_release(&tt_ctab_tsan_qs);
#endif
	urcu_qsbr_thread_offline();
}

/* Record accessors. Any lcore holding the record under the reader rules. */

/** @return the worker's current epoch */
static inline uint32_t tt_ctab_worker_epoch(struct tt_worker_rec *rec)
{
	return atomic_load_explicit(&rec->epoch, memory_order_acquire);
}

/** Set the epoch in place (the record stays in the table). */
static inline void tt_ctab_worker_set_epoch(struct tt_worker_rec *rec, uint32_t epoch)
{
	atomic_store_explicit(&rec->epoch, epoch, memory_order_release);
}

/** @return the worker's state */
static inline enum tt_ctab_wstate tt_ctab_worker_state(struct tt_worker_rec *rec)
{
	return (enum tt_ctab_wstate)atomic_load_explicit(&rec->state, memory_order_acquire);
}

/** Set the state unconditionally. */
static inline void tt_ctab_worker_set_state(struct tt_worker_rec *rec, enum tt_ctab_wstate s)
{
	atomic_store_explicit(&rec->state, (uint32_t)s, memory_order_release);
}

/**
 * Move the state from `from` to `to` if it is still `from`.
 * @return true if this call made the change
 */
static inline bool tt_ctab_worker_cas_state(struct tt_worker_rec *rec, enum tt_ctab_wstate from,
					    enum tt_ctab_wstate to)
{
	uint32_t expected = (uint32_t)from;

	return atomic_compare_exchange_strong_explicit(&rec->state, &expected, (uint32_t)to,
						       memory_order_acq_rel, memory_order_acquire);
}

/** @return true once the record has been deleted or replaced */
static inline bool tt_ctab_worker_retired(struct tt_worker_rec *rec)
{
	return atomic_load_explicit(&rec->retired, memory_order_acquire);
}

/** @return the heartbeat session (may be NULL) */
static inline struct tt_hb_session *tt_ctab_worker_hb(struct tt_worker_rec *rec)
{
	return atomic_load_explicit(&rec->hb, memory_order_acquire);
}

/** Publish the heartbeat session (its owner initialises it first). */
static inline void tt_ctab_worker_set_hb(struct tt_worker_rec *rec, struct tt_hb_session *hb)
{
	atomic_store_explicit(&rec->hb, hb, memory_order_release);
}

/** @return channel idx of the record, or NULL if idx >= n_chan */
static inline struct tt_ctab_chan *tt_ctab_worker_chan(struct tt_worker_rec *rec, unsigned idx)
{
	return idx < rec->n_chan ? &rec->chan[idx] : NULL;
}

/**
 * Take the channel DOWN with a reason. Any lcore (data lcore on a timeout, the
 * control thread on an operator cut, the port lcore on link down): exactly one
 * caller wins the up -> down transition.
 * @param c channel
 * @param reason the dc module's down reason
 * @return true if this call took the channel from up to down (the caller then
 *         silences the heartbeat, directly or through the event queue); false if
 *         it was already down (its first reason is kept)
 */
static inline bool tt_ctab_chan_set_down(struct tt_ctab_chan *c, uint8_t reason)
{
	uint32_t cur = atomic_load_explicit(&c->link, memory_order_acquire);
	uint32_t next = (uint32_t)reason << TT_CTAB_LINK_REASON_SHIFT;

	while (cur & TT_CTAB_LINK_UP) {
		if (atomic_compare_exchange_weak_explicit(
			    &c->link, &cur, next, memory_order_acq_rel, memory_order_acquire)) {
			atomic_fetch_add_explicit(&c->downs, 1, memory_order_relaxed);
			return true;
		}
	}
	return false;
}

/**
 * Bring the channel UP (connection established). Any lcore.
 * @return true if this call took it from down to up
 */
static inline bool tt_ctab_chan_set_up(struct tt_ctab_chan *c)
{
	uint32_t cur = atomic_load_explicit(&c->link, memory_order_acquire);

	while (!(cur & TT_CTAB_LINK_UP)) {
		if (atomic_compare_exchange_weak_explicit(&c->link, &cur, TT_CTAB_LINK_UP,
							  memory_order_acq_rel,
							  memory_order_acquire)) {
			atomic_fetch_add_explicit(&c->ups, 1, memory_order_relaxed);
			return true;
		}
	}
	return false;
}

/**
 * Read the channel's link state.
 * @param c channel
 * @param reason if not NULL, receives the down reason (0 while up)
 * @return true if up
 */
static inline bool tt_ctab_chan_is_up(struct tt_ctab_chan *c, uint8_t *reason)
{
	uint32_t link = atomic_load_explicit(&c->link, memory_order_acquire);

	if (reason)
		*reason = (uint8_t)(link >> TT_CTAB_LINK_REASON_SHIFT);
	return link & TT_CTAB_LINK_UP;
}

/**
 * @return true if the channel and its worker's heartbeat session are owned by the
 *         same lcore (a down event is handled at once), false if the event must
 *         cross lcores through the event queue (engine/evq.h)
 */
static inline bool tt_ctab_chan_hb_local(const struct tt_ctab_chan *c)
{
	return c->lcore == c->rec->hb_lcore;
}

/** Count received packets. Owning data lcore only (single writer: no RMW needed). */
static inline void tt_ctab_chan_add_rx(struct tt_ctab_chan *c, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&c->rx_pkts, memory_order_relaxed);

	atomic_store_explicit(&c->rx_pkts, v + n, memory_order_relaxed);
}

/** Count sent packets. Owning data lcore only. */
static inline void tt_ctab_chan_add_tx(struct tt_ctab_chan *c, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&c->tx_pkts, memory_order_relaxed);

	atomic_store_explicit(&c->tx_pkts, v + n, memory_order_relaxed);
}

#endif /* TT_CHAN_TABLE_H */
