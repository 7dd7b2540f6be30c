/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "tsc_clock.h"

/*
 * Choose the largest shift (at most 63) for which mult = 10^9 * 2^shift / hz
 * still fits in 63 bits: the larger the shift, the finer the fixed-point
 * fraction (at 3 GHz the relative error is below 2^-62). The one division
 * happens here, never on the read path. The multiplier is rounded up, so a
 * conversion is never below the exact value and exceeds it by less than
 * cycles / 2^shift ns: whole seconds of cycles give whole seconds of ns.
 */
int tt_tsc_clock_init(struct tt_tsc_clock *tc, uint64_t tsc_hz)
{
	__extension__ typedef unsigned __int128 u128;
	unsigned int shift;
	u128 mult = 0;

	if (tsc_hz == 0)
		tsc_hz = rte_get_tsc_hz();
	if (tsc_hz == 0)
		return -EINVAL;

	for (shift = 63; shift > 0; shift--) {
		mult = (((u128)TT_NS_PER_S << shift) + tsc_hz - 1) / tsc_hz;
		if (mult < ((u128)1 << 63))
			break;
	}
	tc->hz = tsc_hz;
	tc->shift = shift;
	tc->mult = (uint64_t)mult;
	tc->base_tsc = rte_rdtsc();
	return 0;
}

struct tt_clock tt_tsc_clock(struct tt_tsc_clock *tc)
{
	return (struct tt_clock){.now = tt_tsc_now, .ctx = tc};
}
