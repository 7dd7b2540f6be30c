/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TIMER_WHEEL_H
#define TT_TIMER_WHEEL_H

/**
 * @file
 * A hierarchical timing wheel for many intrusive timers per lcore.
 *
 * One wheel belongs to one lcore (single writer, no locks, no atomics). The
 * owner embeds a struct tt_timer in each object that needs a deadline (a BFD
 * session's transmit and detection timers, a data channel's retransmit and
 * probe timers), arms it with an absolute deadline in tt_ns_t, and calls
 * tt_tw_advance(now) once per loop pass. The wheel never reads a clock and
 * never allocates after tt_tw_create().
 *
 * Time is cut into ticks of g = 2^granularity_shift ns, counted from the
 * `now` given to tt_tw_create(). Arm and cancel are O(1). A timer fires only
 * from inside tt_tw_advance(), with that call's `now`.
 *
 * Guarantees of tt_tw_advance(tw, now), however often it is called:
 *  - Never early: a callback runs only when now >= its timer's deadline.
 *  - Complete: every timer that is armed when the call starts and whose
 *    deadline is <= now fires during that call, unless an earlier callback of
 *    the same call cancels or re-arms it. A timer is therefore fired by the
 *    first call whose now reaches its deadline, and its lateness
 *    (now - deadline) is below the gap between that call and the previous
 *    one. Called at least once per granularity g, no timer is late by g or
 *    more. Called less often (a stalled lcore, a big jump of virtual time
 *    across many wheel rotations), the same holds: nothing fires early,
 *    everything due fires in that one call, and lateness is bounded by the
 *    gap instead of by g.
 *  - Order within one call: first the timers that were armed with a deadline
 *    already reached (see tt_tw_arm()), then the others in tick order
 *    (tick = floor((deadline - origin) / g)). Timers of the same tick fire in
 *    no particular order, so two deadlines less than g apart may fire in
 *    either order. Every callback receives the call's `now`, not its own
 *    deadline.
 *  - Timers armed by a callback with a deadline <= now fire in the next call,
 *    never in the current one: a callback that re-arms itself in the past
 *    cannot livelock the loop.
 * Cost of one call: O(timers fired + timers cascaded + levels per non-empty
 * slot crossed). Empty ticks are skipped through per-level occupancy bitmaps,
 * so a jump of hours of virtual time costs no more than the timers it meets.
 *
 * Wrap-safety: instants compare with the tt_time.h helpers, so the clock may
 * wrap through UINT64_MAX. Limits: a deadline must lie less than 2^63 ns
 * after the wheel's current time (otherwise it reads as past and fires on the
 * next advance), and one wheel lives less than 2^63 ns (292 years).
 *
 * Execution context: every function here, on one wheel and its timers, is
 * called from the one thread that owns the wheel. Callbacks may call
 * tt_tw_arm() and tt_tw_cancel() on any timer of the wheel (themselves
 * included), but not tt_tw_advance() or tt_tw_destroy().
 */

#include <stdbool.h>
#include <stdint.h>

#include "tt_time.h"

struct tt_tw;
struct tt_timer;

/**
 * Expiry callback. The timer is already unarmed when it runs; it may be
 * re-armed from here.
 * @param t    the timer that expired
 * @param now  the `now` of the tt_tw_advance() call firing it (>= deadline)
 * @param arg  the arg given to tt_timer_init()
 */
typedef void (*tt_timer_fn)(struct tt_timer *t, tt_ns_t now, void *arg);

/** Links of a timer into one of the wheel's lists. Internal. */
struct tt_tw_link {
	struct tt_tw_link *next;
	struct tt_tw_link *prev;
};

/**
 * A timer, embedded in its owner. Fields are internal: use the functions
 * below. Zeroed memory is not a valid timer; call tt_timer_init() first.
 */
struct tt_timer {
	struct tt_tw_link link; /* must stay first: the wheel casts back */
	tt_ns_t deadline;
	tt_timer_fn fn;
	void *arg;
	uint16_t where; /* list the timer is on; TT_TW_NOWHERE when unarmed */
};

/** tt_timer.where of an unarmed timer. */
#define TT_TW_NOWHERE UINT16_MAX

/** Largest granularity_shift accepted: ticks of 2^30 ns (~1.07 s). */
#define TT_TW_MAX_SHIFT 30

/**
 * Create a wheel. All memory is allocated here; nothing later allocates.
 * @param granularity_shift  g = 2^granularity_shift ns, 0..TT_TW_MAX_SHIFT
 *                           (10 gives 1.024 µs ticks).
 * @param now                the wheel's origin and initial current time.
 * @return the wheel, or NULL with errno set (EINVAL for a bad shift, ENOMEM).
 * Context: any thread; the wheel then belongs to the caller's thread.
 */
struct tt_tw *tt_tw_create(unsigned int granularity_shift, tt_ns_t now);

/**
 * Destroy a wheel. Timers still armed are simply forgotten (their owners
 * must not use them with this wheel again; tt_timer_init() resets them).
 * @param tw  the wheel, or NULL (no-op).
 */
void tt_tw_destroy(struct tt_tw *tw);

/**
 * Initialise a timer as unarmed.
 * @param t    caller-owned storage, usually embedded in the owner
 * @param fn   callback, not NULL
 * @param arg  passed to fn
 */
void tt_timer_init(struct tt_timer *t, tt_timer_fn fn, void *arg);

/** @return true while the timer is armed (until it fires or is cancelled). */
static inline bool tt_timer_is_armed(const struct tt_timer *t)
{
	return t->where != TT_TW_NOWHERE;
}

/** @return the deadline the timer was last armed with. */
static inline tt_ns_t tt_timer_deadline(const struct tt_timer *t)
{
	return t->deadline;
}

/**
 * Arm (or re-arm) a timer, O(1). Re-arming an armed timer moves it, to an
 * earlier or later deadline. A deadline already reached at the wheel's
 * current time (see tt_tw_now()) never fires inside this call: it fires at
 * the start of the next tt_tw_advance().
 * @param tw        the wheel
 * @param t         an initialised timer, armed on this wheel or on none
 * @param deadline  absolute time, less than 2^63 ns after tt_tw_now(tw)
 * Context: the wheel's thread, including from inside a callback.
 */
void tt_tw_arm(struct tt_tw *tw, struct tt_timer *t, tt_ns_t deadline);

/**
 * Cancel a timer, O(1). Safe on an unarmed timer. A timer due in the tick
 * being fired, cancelled by an earlier callback of that tick, does not fire.
 * @return true if the timer was armed.
 * Context: the wheel's thread, including from inside a callback.
 */
bool tt_tw_cancel(struct tt_tw *tw, struct tt_timer *t);

/**
 * Move the wheel's time to now and fire every timer due by then (see the
 * file comment for the exact guarantees).
 * @param now  the current time; a now before the wheel's current time is
 *             taken as the wheel's current time (the clock never goes back).
 * @return the number of callbacks run.
 * Context: the wheel's thread, never from inside a callback.
 */
unsigned int tt_tw_advance(struct tt_tw *tw, tt_ns_t now);

/**
 * The earliest armed deadline, for idle back-off. Returns a lower bound that
 * is never later than the true earliest deadline. It is exact unless the
 * timer holding the earliest deadline of its slot was cancelled or re-armed
 * since the slot was last emptied; then it may be earlier, which costs one
 * spurious wake-up: the tt_tw_advance() at that time re-sorts the slot and
 * makes the bound exact again.
 *
 * There is no sentinel value: in a wrapping clock every tt_ns_t is a
 * legitimate deadline, so "nothing armed" is a separate return code.
 * @param deadline  out: the bound, written only on success
 * @return 0, or -ENOENT when no timer is armed.
 */
int tt_tw_next_deadline(const struct tt_tw *tw, tt_ns_t *deadline);

/** @return the wheel's current time: the now of the last advance (or create). */
tt_ns_t tt_tw_now(const struct tt_tw *tw);

/** @return the granularity g in ns. */
tt_ns_t tt_tw_granularity_ns(const struct tt_tw *tw);

/** @return the number of armed timers. */
unsigned int tt_tw_count(const struct tt_tw *tw);

#endif /* TT_TIMER_WHEEL_H */
