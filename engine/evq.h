/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_EVQ_H
#define TT_EVQ_H

/**
 * @file
 * A bounded lock-free event queue, many producers, one consumer, for small
 * fixed-size events that cross lcores (DESIGN.md §4): a data lcore that takes
 * a channel DOWN posts TT_EVQ_EV_DC_DOWN to the heartbeat lcore, which drains
 * the queue once per loop pass and silences the session.
 *
 * - Producers: any number of threads, concurrently. tt_evq_enqueue() never
 *   blocks and never allocates; when the queue is full it returns -ENOBUFS and
 *   counts it. One producer is the common case and pays one uncontended CAS.
 * - Consumer: ONE thread at a time (the lcore that owns the queue).
 * - Order: events from one producer are dequeued in the order it enqueued
 *   them; events from different producers in the order their slots were
 *   claimed.
 * - Progress: lock-free for producers. A producer stopped between claiming a
 *   slot and filling it hides that slot, and the ones after it, from the
 *   consumer until it resumes (nothing is lost or reordered).
 *
 * The engine reads no clock: the producer stamps ts_ns from its own `now`.
 */

#include <stdint.h>

#include "tt_time.h"

/* Event types. X(name, printable) */
#define TT_EVQ_TYPES(X)                                                                            \
	X(DC_DOWN, "dc_down")                                                                      \
	X(DC_UP, "dc_up")

enum tt_evq_type {
#define TT_X(name, str) TT_EVQ_EV_##name,
	TT_EVQ_TYPES(TT_X)
#undef TT_X
	TT_EVQ_EV_COUNT
};

/** One event (24 bytes). */
struct tt_evq_event {
	tt_ns_t ts_ns;	    /**< producer's `now` when it posted the event */
	uint32_t worker_id; /**< worker the channel belongs to */
	uint32_t epoch;	    /**< worker epoch the producer saw */
	uint8_t type;	    /**< enum tt_evq_type */
	uint8_t chan_idx;   /**< data channel index in the worker record */
	uint8_t reason;	    /**< down reason (the dc module's enum), 0 otherwise */
	uint8_t rsvd;	    /**< zero */
};

/** Smallest and largest capacities tt_evq_create() accepts. */
#define TT_EVQ_MIN_CAPACITY 2u
#define TT_EVQ_MAX_CAPACITY (1u << 24)

/** Counters (monotonic). */
struct tt_evq_stats {
	uint64_t enqueued; /**< events accepted */
	uint64_t dequeued; /**< events handed to the consumer */
	uint64_t full;	   /**< enqueues refused with -ENOBUFS */
};

struct tt_evq;

/**
 * Printable name of an event type.
 * @param type event type
 * @return static string, "?" when out of range
 */
const char *tt_evq_type_name(enum tt_evq_type type);

/**
 * Create an empty queue. Control path (allocates).
 * @param capacity number of slots: a power of two in
 *        [TT_EVQ_MIN_CAPACITY, TT_EVQ_MAX_CAPACITY]
 * @return the queue, or NULL with errno EINVAL (bad capacity) or ENOMEM
 */
struct tt_evq *tt_evq_create(uint32_t capacity);

/**
 * Free a queue. No producer or consumer may use it any more.
 * @param q queue, NULL is ignored
 */
void tt_evq_destroy(struct tt_evq *q);

/**
 * Post one event. Any thread, concurrently with other producers and the
 * consumer. Lock-free, no allocation.
 * @param q queue
 * @param ev event (copied)
 * @return 0, or -ENOBUFS if the queue is full (counted in stats.full)
 */
int tt_evq_enqueue(struct tt_evq *q, const struct tt_evq_event *ev);

/**
 * Take up to n events, oldest first. Consumer thread only.
 * @param q queue
 * @param out array of at least n events
 * @param n most events to take
 * @return number of events written to out (0 when empty)
 */
unsigned tt_evq_dequeue_burst(struct tt_evq *q, struct tt_evq_event *out, unsigned n);

/**
 * Events posted and not yet dequeued. Any thread; a snapshot that concurrent
 * producers and the consumer may change at once.
 */
uint32_t tt_evq_count(struct tt_evq *q);

/** @return the capacity given at create. Any thread. */
uint32_t tt_evq_capacity(const struct tt_evq *q);

/**
 * Snapshot the counters. Any thread.
 * @param q queue
 * @param out filled
 */
void tt_evq_stats_get(struct tt_evq *q, struct tt_evq_stats *out);

#endif /* TT_EVQ_H */
