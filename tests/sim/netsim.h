/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_NETSIM_H
#define TT_NETSIM_H

/**
 * @file
 * A deterministic discrete-event network simulator on virtual time.
 *
 * Nodes (anything with an rx callback, and optionally a timer) exchange byte
 * packets over directed links. Each link has a base delay, uniform jitter,
 * loss, duplication and reordering probabilities, and a cut flag that a fault
 * schedule sets and clears at given virtual instants. Everything random comes
 * from one PRNG seeded at create, and ties between events at the same instant
 * are broken by the order in which they were queued, so the same seed and the
 * same calls give the same event order, bit for bit.
 *
 * All memory is allocated at create: a packet pool of fixed-size slots, the
 * node, link and fault tables, and the event heap. A packet that finds no
 * free slot is counted as a pool overflow on its link and dropped; nothing in
 * the simulator grows or crashes under load.
 *
 * A node can be paused (NODE_PAUSE), like a process under SIGSTOP: it is not
 * woken and its rx is not called. Packets that reach it meanwhile are kept in
 * its receive ring, as a NIC keeps writing into a stopped process's RX
 * descriptors, up to limits.pause_ring packets; the rest are dropped, as the
 * NIC drops once the ring is full (counted as dropped_paused). NODE_RESUME
 * hands the ring's packets to rx at the resume instant, oldest first, and only
 * then wakes the node: a resumed polling loop sees a burst of old packets
 * before its timers run. A packet in the ring has left the wire: a later cut
 * of its link does not take it back.
 *
 * Time starts at 0 and only moves forward, event by event. Node callbacks run
 * inside tt_netsim_step()/tt_netsim_run_until(), one at a time; they may call
 * tt_netsim_send(), tt_netsim_rand() and tt_netsim_node_rearm() but must not
 * destroy the simulator. Single-threaded.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tt_time.h"

/** Returned by a node's next_deadline when it wants no wake-up. */
#define TT_NETSIM_NO_DEADLINE UINT64_MAX

/** A packet for this node arrived on link_id at now. bytes are valid only during the call. */
typedef void (*tt_netsim_rx_fn)(void *node_ctx, uint32_t link_id, const uint8_t *bytes, size_t len,
				tt_ns_t now);
/** The node's deadline was reached: run its timers at now. */
typedef void (*tt_netsim_tick_fn)(void *node_ctx, tt_ns_t now);
/** The next instant the node wants a tick, or TT_NETSIM_NO_DEADLINE. */
typedef tt_ns_t (*tt_netsim_deadline_fn)(void *node_ctx);

/** What a node does. tick and next_deadline may both be NULL (a pure sink). */
struct tt_netsim_node_ops {
	tt_netsim_rx_fn rx;
	tt_netsim_tick_fn tick;
	tt_netsim_deadline_fn next_deadline;
};

/** Sizes fixed at create. */
struct tt_netsim_limits {
	uint32_t max_nodes;
	uint32_t max_links;
	uint32_t max_faults; /* scheduled faults over the simulator's life */
	uint32_t pool_slots; /* packets in flight at once (ring-held ones included) */
	uint32_t slot_bytes; /* largest packet */
	uint32_t pause_ring; /* packets a paused node's receive ring holds (0: drop all) */
};

/**
 * A directed link. Probabilities are in parts per million (0..1000000).
 *
 * A packet sent at t is delivered at t + delay_ns + J, J uniform in
 * [0, jitter_ns]. Links are FIFO: a packet never overtakes an earlier one
 * (its delivery is pushed back to the previous packet's), so jitter alone
 * never reorders. With probability reorder_ppm a packet is instead held back
 * by an extra R uniform in [1, reorder_ns] and leaves the FIFO, so later
 * packets may overtake it. A duplicate (dup_ppm) is a second copy with its
 * own jitter draw. Loss (loss_ppm) is drawn first; a lost packet takes no
 * pool slot.
 */
struct tt_netsim_link_params {
	tt_ns_t delay_ns;
	tt_ns_t jitter_ns;
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	uint32_t reorder_ppm;
	tt_ns_t reorder_ns;
};

#define TT_NETSIM_PPM 1000000u

/** Per-link counters. */
struct tt_netsim_link_stats {
	uint64_t sent;		 /* tt_netsim_send calls accepted */
	uint64_t delivered;	 /* copies handed to the receiving node */
	uint64_t lost;		 /* dropped by the loss draw */
	uint64_t dup;		 /* extra copies made */
	uint64_t reordered;	 /* copies held back out of FIFO order */
	uint64_t dropped_cut;	 /* sent while cut, or arriving while cut */
	uint64_t pool_overflow;	 /* copies dropped for want of a pool slot */
	uint64_t held_paused;	 /* copies kept in a paused receiver's ring */
	uint64_t dropped_paused; /* copies dropped: the paused receiver's ring was full */
};

/* Fault kinds; the target is a link for LINK_*, a node for NODE_*. X(name, printable) */
#define TT_NETSIM_FAULTS(X)                                                                        \
	X(LINK_CUT, "link-cut")                                                                    \
	X(LINK_RESTORE, "link-restore")                                                            \
	X(NODE_PAUSE, "node-pause")                                                                \
	X(NODE_RESUME, "node-resume")

enum tt_netsim_fault_kind {
#define TT_X(name, str) TT_NETSIM_FAULT_##name,
	TT_NETSIM_FAULTS(TT_X)
#undef TT_X
		TT_NETSIM_FAULT_MAX
};

/** Printable fault name, from the same X-macro as the enum. */
const char *tt_netsim_fault_name(unsigned int kind);

struct tt_netsim;

/**
 * Create a simulator. Allocates everything it will ever use.
 * @param seed  seeds the PRNG (splitmix64 expanded into xoshiro256**).
 * @param lim   table sizes; every field must be > 0 except max_faults.
 * @return the simulator, or NULL (errno EINVAL or ENOMEM).
 */
struct tt_netsim *tt_netsim_create(uint64_t seed, const struct tt_netsim_limits *lim);

/** Free the simulator. Node contexts belong to the caller. NULL is allowed. */
void tt_netsim_destroy(struct tt_netsim *sim);

/**
 * Add a node. Its first wake-up is taken from next_deadline at once.
 * @param ops      callbacks; rx is required.
 * @param ctx      passed to every callback.
 * @param tick_ns  timer granularity: wake-ups are rounded up to a multiple
 *                 of it (0: exact), so a node sees timers fire up to one
 *                 granularity late, like on a timer wheel.
 * @return node id (>= 0) or -EINVAL / -ENOSPC.
 */
int tt_netsim_add_node(struct tt_netsim *sim, const struct tt_netsim_node_ops *ops, void *ctx,
		       tt_ns_t tick_ns);

/**
 * Add a directed link from node `from` to node `to`.
 * @return link id (>= 0) or -EINVAL (bad node or probability) / -ENOSPC.
 */
int tt_netsim_add_link(struct tt_netsim *sim, uint32_t from, uint32_t to,
		       const struct tt_netsim_link_params *params);

/**
 * Send a packet on a link at now (normally the now of the callback that
 * sends). The bytes are copied; the caller's buffer is free on return.
 * @return copies queued (0, 1 or 2: 0 when lost, cut or the pool is full),
 *         or -EINVAL (bad link, now earlier than the simulator's time) /
 *         -EMSGSIZE (len > slot_bytes).
 */
int tt_netsim_send(struct tt_netsim *sim, uint32_t link, const uint8_t *bytes, size_t len,
		   tt_ns_t now);

/**
 * Schedule a fault at virtual time at_ns (>= now). Faults at the same
 * instant apply in the order scheduled, before packets queued later.
 * Pausing a paused node or resuming a running one does nothing.
 * @param target  link id for LINK_CUT / LINK_RESTORE, node id for
 *                NODE_PAUSE / NODE_RESUME.
 * @return 0, -EINVAL (bad kind/target, time in the past) or -ENOSPC.
 */
int tt_netsim_schedule_fault(struct tt_netsim *sim, tt_ns_t at_ns, enum tt_netsim_fault_kind kind,
			     uint32_t target);

/** Is the link cut now? */
bool tt_netsim_link_is_cut(const struct tt_netsim *sim, uint32_t link);

/** Is the node paused now? */
bool tt_netsim_node_is_paused(const struct tt_netsim *sim, uint32_t node);

/** Packets held in a paused node's receive ring now (0 for a running node). */
uint32_t tt_netsim_node_held(const struct tt_netsim *sim, uint32_t node);

/**
 * Change a link's parameters from now on (a congestion episode, a route
 * change). Copies already in flight keep their delivery instant; the FIFO
 * rule still holds against them.
 * @return 0 or -EINVAL (bad link or probability, as tt_netsim_add_link()).
 */
int tt_netsim_set_link_params(struct tt_netsim *sim, uint32_t link,
			      const struct tt_netsim_link_params *params);

/** A link's current parameters. @return 0 or -EINVAL. */
int tt_netsim_link_params(const struct tt_netsim *sim, uint32_t link,
			  struct tt_netsim_link_params *out);

/**
 * Re-read a node's next_deadline and reschedule its wake-up. Call after
 * changing a node's state from outside a callback (the simulator does it
 * itself after every rx and tick). A paused node stays asleep until resumed.
 * @return 0 or -EINVAL.
 */
int tt_netsim_node_rearm(struct tt_netsim *sim, uint32_t node);

/**
 * Process the earliest event (a delivery, a wake-up or a fault).
 * @return 1 if an event ran, 0 if the queue is empty.
 */
int tt_netsim_step(struct tt_netsim *sim);

/**
 * Process every event due at or before t, then set the time to t.
 * @return events processed, or -EINVAL if t is earlier than now.
 */
int64_t tt_netsim_run_until(struct tt_netsim *sim, tt_ns_t t);

/** The simulator's virtual time. */
tt_ns_t tt_netsim_now(const struct tt_netsim *sim);

/** Instant of the earliest queued event, or TT_NETSIM_NO_DEADLINE. */
tt_ns_t tt_netsim_next_event(const struct tt_netsim *sim);

/** The next 64 random bits from the simulator's PRNG (for nodes that need randomness). */
uint64_t tt_netsim_rand(struct tt_netsim *sim);

/** A uniform draw in [0, bound] inclusive, without modulo bias. */
uint64_t tt_netsim_rand_upto(struct tt_netsim *sim, uint64_t bound);

/** Copy a link's counters. @return 0 or -EINVAL. */
int tt_netsim_link_stats(const struct tt_netsim *sim, uint32_t link,
			 struct tt_netsim_link_stats *out);

/**
 * A hash of every event processed so far (time, kind, target, packet bytes):
 * two runs with equal hashes ran the same trace.
 */
uint64_t tt_netsim_trace_hash(const struct tt_netsim *sim);

/** Events processed so far. */
uint64_t tt_netsim_events(const struct tt_netsim *sim);

/** Number of wake-ups where a node, just ticked, still asked for a tick at or before now. */
uint64_t tt_netsim_stalls(const struct tt_netsim *sim);

#endif /* TT_NETSIM_H */
