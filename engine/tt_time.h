/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TIME_H
#define TT_TIME_H

/**
 * @file
 * Time in tether: one type, nanoseconds, and a clock that is passed in.
 *
 * The engine never reads a clock. Every state machine takes `now` as an
 * argument; whoever drives it (a DPDK lcore reading the TSC, or a test
 * advancing a virtual clock) supplies it. That is what lets every timer path
 * run on virtual time.
 *
 * tt_ns_t is an unsigned 64-bit count of nanoseconds from an arbitrary
 * origin. Comparisons go through the helpers below, which are wrap-safe: two
 * instants compare correctly as long as they are less than 2^63 ns (~292
 * years) apart, whatever the origin.
 */

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t tt_ns_t;

#define TT_NS_PER_US 1000ull
#define TT_NS_PER_MS 1000000ull
#define TT_NS_PER_S 1000000000ull

/** Signed distance from b to a (a - b), wrap-safe. */
static inline int64_t tt_time_diff(tt_ns_t a, tt_ns_t b)
{
	return (int64_t)(a - b);
}

/** True if a is strictly earlier than b. */
static inline bool tt_time_before(tt_ns_t a, tt_ns_t b)
{
	return tt_time_diff(a, b) < 0;
}

/** True if a is strictly later than b. */
static inline bool tt_time_after(tt_ns_t a, tt_ns_t b)
{
	return tt_time_diff(a, b) > 0;
}

/** True if the deadline has been reached at now (now >= deadline). */
static inline bool tt_time_reached(tt_ns_t now, tt_ns_t deadline)
{
	return tt_time_diff(now, deadline) >= 0;
}

/** The earlier of two instants. */
static inline tt_ns_t tt_time_min(tt_ns_t a, tt_ns_t b)
{
	return tt_time_before(a, b) ? a : b;
}

static inline tt_ns_t tt_us_to_ns(uint64_t us)
{
	return us * TT_NS_PER_US;
}

/**
 * A clock the caller injects. `now` must be monotonic (never goes back) and
 * cheap: it is read once per lcore loop pass. Drivers back it with the TSC,
 * tests with struct tt_vclock.
 */
typedef tt_ns_t (*tt_clock_now_fn)(void *ctx);

struct tt_clock {
	tt_clock_now_fn now;
	void *ctx;
};

static inline tt_ns_t tt_clock_now(const struct tt_clock *clock)
{
	return clock->now(clock->ctx);
}

/** A virtual clock: time moves only when the owner advances it. */
struct tt_vclock {
	tt_ns_t now;
};

static inline tt_ns_t tt_vclock_read(void *ctx)
{
	return ((const struct tt_vclock *)ctx)->now;
}

static inline struct tt_clock tt_vclock_clock(struct tt_vclock *vc)
{
	return (struct tt_clock){.now = tt_vclock_read, .ctx = vc};
}

static inline void tt_vclock_advance(struct tt_vclock *vc, tt_ns_t by)
{
	vc->now += by;
}

#endif /* TT_TIME_H */
