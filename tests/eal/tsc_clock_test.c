/* SPDX-License-Identifier: BSD-3-Clause */
/* drivers/tsc_clock: fixed-point TSC -> ns conversion and the clock it backs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "eal_test.h"
#include "tsc_clock.h"

__extension__ typedef unsigned __int128 u128;

/* The exact value, by division: what the multiply-and-shift approximates. */
static uint64_t exact_ns(uint64_t cycles, uint64_t hz)
{
	return (uint64_t)((u128)cycles * TT_NS_PER_S / hz);
}

static void test_whole_seconds_exact(void **state)
{
	static const uint64_t hz[] = {1000000ull,    999999937ull,  1000000000ull, 2500000000ull,
				      2893420000ull, 3000000000ull, 4100000017ull};
	struct tt_tsc_clock tc;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		assert_int_equal(tt_tsc_clock_init(&tc, hz[i]), 0);
		assert_int_equal(tc.hz, hz[i]);
		assert_int_equal(tt_tsc_cycles_to_ns(&tc, 0), 0);
		assert_int_equal(tt_tsc_cycles_to_ns(&tc, hz[i]), TT_NS_PER_S);
		assert_int_equal(tt_tsc_cycles_to_ns(&tc, 60 * hz[i]), 60 * TT_NS_PER_S);
	}
}

/* Within 1 ns of the exact value from 1 cycle to ten years of cycles. */
static void test_error_bound(void **state)
{
	static const uint64_t hz[] = {1000000ull, 2500000000ull, 2893420000ull, 3300000001ull};
	struct tt_tsc_clock tc;
	unsigned int i;
	uint64_t c;

	(void)state;
	for (i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		assert_int_equal(tt_tsc_clock_init(&tc, hz[i]), 0);
		for (c = 1; c < hz[i] * 3600ull * 24 * 3650; c = c * 3 + 7) {
			uint64_t got = tt_tsc_cycles_to_ns(&tc, c);
			uint64_t want = exact_ns(c, hz[i]);

			assert_true(got + 1 >= want && got <= want + 1);
		}
	}
}

static void test_now_between_reads(void **state)
{
	struct tt_tsc_clock tc;
	struct tt_clock clock;
	tt_ns_t prev = 0;
	unsigned int i;

	(void)state;
	assert_int_equal(tt_tsc_clock_init(&tc, 0), 0);
	assert_int_equal(tc.hz, rte_get_tsc_hz());
	clock = tt_tsc_clock(&tc);
	assert_ptr_equal(clock.ctx, &tc);
	for (i = 0; i < 1000; i++) {
		uint64_t t0 = rte_rdtsc();
		tt_ns_t now = tt_clock_now(&clock);
		uint64_t t1 = rte_rdtsc();

		assert_true(now >= tt_tsc_cycles_to_ns(&tc, t0 - tc.base_tsc));
		assert_true(now <= tt_tsc_cycles_to_ns(&tc, t1 - tc.base_tsc));
		assert_true(now >= prev);
		prev = now;
	}
}

static void test_zero_hz_means_eal(void **state)
{
	struct tt_tsc_clock tc = {0};

	(void)state;
	/* With EAL up, 0 means "ask EAL"; the EAL frequency is never 0. */
	assert_int_equal(tt_tsc_clock_init(&tc, 0), 0);
	assert_true(tc.hz > 0);
	assert_true(tc.mult > 0);
}

static int setup(void **state)
{
	(void)state;
	return tt_eal_test_init("tsc_clock") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_seconds_exact),
		cmocka_unit_test(test_error_bound),
		cmocka_unit_test(test_now_between_reads),
		cmocka_unit_test(test_zero_hz_means_eal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
