/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_SHIM_H
#define TT_SHIM_H

/**
 * @file
 * Fault shim between the engine and the PMD, on the TX side.
 *
 * This kernel has no netem (TESTBED.md), so tether injects its own faults:
 * per flow, where a flow is a small integer the caller assigns (one data
 * channel, all data channels of a worker, or a heartbeat session), it can
 * cut, drop a fraction, duplicate, reorder (hold a packet and send it after
 * the next one of its flow) and delay by a fixed time plus uniform jitter.
 *
 * A packet goes through the stages in this order: cut, drop, duplicate,
 * reorder, delay. Delayed packets wait in a bounded queue ordered by release
 * time (jitter may thus reorder them, as on a real path); tt_shim_poll(now)
 * hands out those that are due. A full delay queue drops the packet and
 * counts it. Probabilities are in parts per million and drawn from a seeded
 * PRNG, so a run is reproducible for a given seed and packet sequence.
 *
 * Cost when unused: tt_shim_tx() is inline and tests one flag, the shim's
 * count of flows with a fault, per packet; flows without a fault add one
 * more test only while some other flow of the shim has one.
 *
 * Threads: one shim per TX context (lcore). tt_shim_tx(), tt_shim_poll(),
 * tt_shim_next_deadline() and tt_shim_pending() run on the owning lcore
 * only. tt_shim_set(), tt_shim_get() and tt_shim_stats_get() may run on one
 * control thread concurrently with it (relaxed atomics: a packet may see
 * part of a fault change, never a torn value).
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tt_time.h"

/** Most packets one tt_shim_tx() call can hand back: the packet, a held one, a duplicate. */
#define TT_SHIM_TX_OUT_MAX 3

/** 100 % in the units of struct tt_shim_fault probabilities. */
#define TT_SHIM_PPM_MAX 1000000u

/** Per-flow counters; names from one X-macro. */
#define TT_SHIM_CTR_LIST(X)                                                                        \
	X(CUT, "cut")			/* freed: flow cut */                                      \
	X(DROPPED, "dropped")		/* freed: random drop */                                   \
	X(DUPLICATED, "duplicated")	/* copies made */                                          \
	X(DUP_FAILED, "dup_failed")	/* copy wanted, no mbuf */                                 \
	X(REORDERED, "reordered")	/* held to go after the next packet */                     \
	X(HOLD_EXPIRED, "hold_expired") /* held, no next packet within the hold time */            \
	X(DELAYED, "delayed")		/* put in the delay queue */                               \
	X(DELAY_FULL, "delay_full")	/* freed: delay queue full */                              \
	X(RELEASED, "released")		/* left the delay queue */

/* clang-format off */
enum tt_shim_ctr {
#define TT_SHIM_CTR_ENUM(name, str) TT_SHIM_CTR_##name,
	TT_SHIM_CTR_LIST(TT_SHIM_CTR_ENUM)
#undef TT_SHIM_CTR_ENUM
	TT_SHIM_CTR_MAX
};
/* clang-format on */

/** Printable name of a counter ("?" if out of range). */
const char *tt_shim_ctr_name(enum tt_shim_ctr ctr);

/** The faults of one flow. All zero: no fault. */
struct tt_shim_fault {
	bool cut;		 /**< drop everything. */
	uint32_t drop_ppm;	 /**< drop probability, parts per million. */
	uint32_t dup_ppm;	 /**< duplicate probability. */
	uint32_t reorder_ppm;	 /**< probability a packet is held behind the next one. */
	tt_ns_t reorder_hold_ns; /**< longest hold; then the packet goes anyway (0: next poll). */
	tt_ns_t delay_ns;	 /**< fixed delay. */
	tt_ns_t jitter_ns;	 /**< extra delay drawn uniformly from [0, jitter_ns]. */
};

/** Shim creation parameters. */
struct tt_shim_conf {
	uint16_t nb_flows;	      /**< flow ids are 0..nb_flows-1. */
	uint32_t delay_cap;	      /**< delay queue slots (mbufs held at once). */
	uint64_t seed;		      /**< PRNG seed. */
	struct rte_mempool *dup_pool; /**< pool for duplicates; NULL: the packet's pool. */
	int socket_id;		      /**< NUMA socket of the shim's memory. */
};

struct tt_shim_flow;
struct tt_shim_slot;

/** A shim. Only `nactive` is read outside shim.c (by the inline fast path). */
struct tt_shim {
	atomic_uint nactive; /**< flows with a fault set; 0: pass everything. */
	uint16_t nb_flows;
	uint32_t nheld; /**< flows holding a packet for reordering. */
	uint32_t heap_len;
	uint32_t heap_cap;
	uint64_t seq; /**< insertion order, ties in the delay queue. */
	uint64_t rng;
	struct rte_mempool *dup_pool;
	struct tt_shim_slot *heap; /**< delay queue, min-heap on release time. */
	struct tt_shim_flow *flows;
};

/**
 * @param conf parameters (nb_flows >= 1, delay_cap >= 1).
 * @return a shim with no fault set, or NULL (rte_errno EINVAL or ENOMEM).
 * Context: control thread; needs EAL (rte_malloc).
 */
struct tt_shim *tt_shim_create(const struct tt_shim_conf *conf);

/**
 * Free the shim and every mbuf it still holds. NULL is a no-op.
 * Context: after its lcore stopped using it.
 */
void tt_shim_destroy(struct tt_shim *s);

/**
 * Set (or, with an all-zero fault, clear) the faults of one flow.
 *
 * @param s     shim.
 * @param flow  flow id.
 * @param fault new faults (NULL clears).
 * @return 0, or -EINVAL (flow out of range, probability above TT_SHIM_PPM_MAX).
 * Context: one control thread, concurrent with the owning lcore.
 */
int tt_shim_set(struct tt_shim *s, uint16_t flow, const struct tt_shim_fault *fault);

/**
 * Read back the faults of one flow.
 * @return 0 or -EINVAL (flow out of range).
 */
int tt_shim_get(const struct tt_shim *s, uint16_t flow, struct tt_shim_fault *fault);

/**
 * Copy the counters of one flow.
 * @param ctr filled with TT_SHIM_CTR_MAX values, indexed by enum tt_shim_ctr.
 * @return 0 or -EINVAL (flow out of range).
 * Context: any thread.
 */
int tt_shim_stats_get(const struct tt_shim *s, uint16_t flow, uint64_t ctr[TT_SHIM_CTR_MAX]);

/** Slow path of tt_shim_tx(); call that instead. */
unsigned int tt_shim_tx_slow(struct tt_shim *s, uint16_t flow, struct rte_mbuf *m, tt_ns_t now,
			     struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX]);

/**
 * Pass one packet of a flow through the shim.
 *
 * @param s    shim.
 * @param flow flow id (an id >= nb_flows passes untouched).
 * @param m    packet the engine wants sent; the shim takes ownership.
 * @param now  current time.
 * @param out  receives the packets to transmit now, in order.
 * @return number of packets in out (0..TT_SHIM_TX_OUT_MAX). Packets not
 *         returned were freed (cut, dropped) or are kept (held, delayed).
 * Context: owning lcore, per packet; allocates only duplicate mbufs.
 */
static inline unsigned int tt_shim_tx(struct tt_shim *s, uint16_t flow, struct rte_mbuf *m,
				      tt_ns_t now, struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX])
{
	if (likely(atomic_load_explicit(&s->nactive, memory_order_relaxed) == 0)) {
		out[0] = m;
		return 1;
	}
	return tt_shim_tx_slow(s, flow, m, now, out);
}

/**
 * Hand out the packets whose time has come: held packets whose hold ran
 * out, then delayed packets due at `now`, in release order.
 *
 * @param s   shim.
 * @param now current time.
 * @param out receives up to cap packets to transmit.
 * @param cap room in out.
 * @return number of packets in out; more may be due if it equals cap.
 * Context: owning lcore, once per loop pass (returns at once when empty).
 */
uint16_t tt_shim_poll(struct tt_shim *s, tt_ns_t now, struct rte_mbuf **out, uint16_t cap);

/**
 * Earliest time something held or delayed becomes due.
 * @param deadline set when the return is true.
 * @return false if the shim holds nothing.
 * Context: owning lcore.
 */
bool tt_shim_next_deadline(const struct tt_shim *s, tt_ns_t *deadline);

/**
 * Packets the shim holds (delayed plus held for reordering).
 * Context: owning lcore.
 */
unsigned int tt_shim_pending(const struct tt_shim *s);

#endif /* TT_SHIM_H */
