/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timer wheel micro-benchmark: ns per arm, re-arm, cancel and expire with
 * 1 K, 10 K and 100 K timers, as p50/p99/max over repeated batches, plus
 * ops/s over all batches. No DPDK; the wheel runs on virtual time, and only
 * the batches are timed with clock_gettime(CLOCK_MONOTONIC_RAW).
 *
 * One batch at N timers, wheel empty at its start, granularity 1.024 µs:
 *  arm     arm N unarmed timers, deadlines log-uniform in [10 µs, 10 s]
 *          (BFD transmit intervals up to detection times)
 *  rearm   move each of the N armed timers to a new such deadline (what a
 *          BFD session does to its detection timer on every packet)
 *  cancel  cancel the N timers
 *  expire  arm N timers (untimed) due uniformly over N x 100 ns, then
 *          advance the clock in 1 µs steps until all fired; timed cost per
 *          fired timer, so it includes the advance calls and cascades
 * Exit status 1 if a batch does not fire or cancel exactly what it should.
 * Output: one RESULT line per op and size (format in bench_util.h), named
 * timer_wheel.<op>.<timers>.
 *
 * Usage: timer_wheel_bench [--quick]   (--quick: 10x fewer batches)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "timer_wheel.h"

#define SHIFT 10

enum { OP_ARM, OP_REARM, OP_CANCEL, OP_EXPIRE, OP_COUNT };

static const char *const op_names[OP_COUNT] = {"arm", "rearm", "cancel", "expire"};

static uint64_t rng_state = 0x5eed;
static unsigned long fired_total;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Log-uniform delay in [10 µs, 10 s]. */
static tt_ns_t bfd_delay(void)
{
	double u = (double)(rng() >> 11) / (double)(1ull << 53);

	return (tt_ns_t)(1e4 * pow(1e6, u));
}

static void count_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	(void)t;
	(void)now;
	(void)arg;
	fired_total++;
}

/* Run all batches at one size; returns 0, or -1 if a check failed. */
static int bench_size(unsigned int n, unsigned int batches)
{
	struct tt_timer *tm = calloc(n, sizeof(*tm));
	tt_ns_t *dl = calloc(n, sizeof(*dl));
	struct tt_bench_series s[OP_COUNT];
	struct tt_tw *tw = tt_tw_create(SHIFT, 0);
	tt_ns_t now = 0;
	unsigned int b, i, o;
	int rc = 0;

	for (o = 0; o < OP_COUNT; o++) {
		char name[64];

		snprintf(name, sizeof(name), "timer_wheel.%s.%u", op_names[o], n);
		if (tt_bench_series_init(&s[o], name, batches))
			exit(1);
	}
	if (!tm || !dl || !tw) {
		fprintf(stderr, "timer_wheel_bench: out of memory at %u timers\n", n);
		exit(1);
	}
	for (i = 0; i < n; i++)
		tt_timer_init(&tm[i], count_fn, NULL);

	for (b = 0; b < batches && rc == 0; b++) {
		uint64_t t0;
		unsigned long before;

		for (i = 0; i < n; i++)
			dl[i] = now + bfd_delay();
		t0 = tt_bench_now_ns();
		for (i = 0; i < n; i++)
			tt_tw_arm(tw, &tm[i], dl[i]);
		tt_bench_add(&s[OP_ARM], tt_bench_now_ns() - t0, n);

		for (i = 0; i < n; i++)
			dl[i] = now + bfd_delay();
		t0 = tt_bench_now_ns();
		for (i = 0; i < n; i++)
			tt_tw_arm(tw, &tm[i], dl[i]);
		tt_bench_add(&s[OP_REARM], tt_bench_now_ns() - t0, n);

		t0 = tt_bench_now_ns();
		for (i = 0; i < n; i++)
			tt_tw_cancel(tw, &tm[i]);
		tt_bench_add(&s[OP_CANCEL], tt_bench_now_ns() - t0, n);
		if (tt_tw_count(tw) != 0)
			rc = -1;

		for (i = 0; i < n; i++)
			tt_tw_arm(tw, &tm[i], now + 1 + rng() % (n * 100ull));
		before = fired_total;
		t0 = tt_bench_now_ns();
		while (tt_tw_count(tw) > 0 && fired_total - before <= n) {
			now += TT_NS_PER_US;
			tt_tw_advance(tw, now);
		}
		tt_bench_add(&s[OP_EXPIRE], tt_bench_now_ns() - t0, n);
		if (fired_total - before != n)
			rc = -1;
	}
	if (rc)
		fprintf(stderr, "timer_wheel_bench: wrong fire/cancel count at %u timers\n", n);
	else
		for (o = 0; o < OP_COUNT; o++)
			tt_bench_print(&s[o]);
	for (o = 0; o < OP_COUNT; o++)
		tt_bench_series_fini(&s[o]);
	tt_tw_destroy(tw);
	free(dl);
	free(tm);
	return rc;
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = {1000, 10000, 100000};
	struct tt_bench_opts opts;
	unsigned int i;
	int rc = 0;

	if (tt_bench_parse_args(argc, argv, &opts))
		return 2;
	printf("# timer wheel, g = %llu ns; ns per op, one sample per batch of N ops\n",
	       1ull << SHIFT);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* about 2 M timer operations per op and size, 20..1000 batches */
		unsigned int batches = 2000000 / sizes[i];

		if (batches < 20)
			batches = 20;
		if (batches > 1000)
			batches = 1000;
		if (bench_size(sizes[i], tt_bench_reps(&opts, batches, 5)))
			rc = 1;
	}
	return rc;
}
