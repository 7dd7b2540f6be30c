/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TSC_CLOCK_H
#define TT_TSC_CLOCK_H

/**
 * @file
 * A struct tt_clock backed by the TSC.
 *
 * The engine takes `now` as an argument and never reads a clock; the lcores
 * read this one once per loop pass and pass the value down. Cycles become
 * nanoseconds through a fixed-point multiplier and a shift computed once at
 * init, so a read costs one rdtsc, one subtraction, one 64x64->128 multiply
 * and one shift: no division.
 *
 * The origin (0 ns) is the TSC value at init. All lcores of a process must
 * share one struct tt_tsc_clock so that their `now` values compare.
 */

#include <stdint.h>

#include <rte_cycles.h>

#include "tt_time.h"

/** TSC to nanosecond conversion state. Read-only after tt_tsc_clock_init(). */
struct tt_tsc_clock {
	uint64_t base_tsc; /**< TSC value that maps to 0 ns. */
	uint64_t hz;	   /**< TSC frequency the factors were computed for. */
	uint64_t mult;	   /**< ns per cycle, scaled by 2^shift. */
	unsigned int shift;
};

/**
 * Compute the conversion factors and take the current TSC as origin.
 *
 * @param tc     clock to initialise.
 * @param tsc_hz TSC frequency in Hz; 0 means rte_get_tsc_hz() (needs EAL).
 * @return 0, or -EINVAL if the frequency is 0 (EAL not initialised).
 *
 * Context: any thread, once, before the clock is shared.
 */
int tt_tsc_clock_init(struct tt_tsc_clock *tc, uint64_t tsc_hz);

/**
 * Convert a number of TSC cycles to nanoseconds (multiply and shift).
 *
 * @param tc     initialised clock.
 * @param cycles cycle count (a difference of two TSC readings).
 * @return the duration in ns: never below the exact value, and above it by
 *         less than 1 ns for any count under 2^shift cycles (years).
 *
 * Context: any thread; no side effects.
 */
static inline tt_ns_t tt_tsc_cycles_to_ns(const struct tt_tsc_clock *tc, uint64_t cycles)
{
	/* The product needs 128 bits: cycles up to 2^64 times mult up to 2^63. */
	__extension__ typedef unsigned __int128 tt_tsc_u128;

	return (tt_ns_t)(((tt_tsc_u128)cycles * tc->mult) >> tc->shift);
}

/**
 * Read the TSC and return nanoseconds since tt_tsc_clock_init().
 *
 * @param ctx a struct tt_tsc_clock (the tt_clock_now_fn signature).
 * @return now in ns.
 *
 * Context: any lcore; lock-free, no syscall.
 */
static inline tt_ns_t tt_tsc_now(void *ctx)
{
	const struct tt_tsc_clock *tc = ctx;

	return tt_tsc_cycles_to_ns(tc, rte_rdtsc() - tc->base_tsc);
}

/**
 * Wrap the TSC clock in the engine's clock interface.
 *
 * @param tc initialised clock; must outlive the returned struct.
 * @return a struct tt_clock whose now() is tt_tsc_now(tc).
 */
struct tt_clock tt_tsc_clock(struct tt_tsc_clock *tc);

#endif /* TT_TSC_CLOCK_H */
