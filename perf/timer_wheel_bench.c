/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timer wheel micro-benchmark: ns per arm, re-arm, cancel and expire with
 * 1 K, 10 K and 100 K timers, as p50/p99/max over repeated batches, plus
 * ops/s over all batches. No DPDK; the wheel runs on virtual time, and only
 * the batches are timed with clock_gettime(CLOCK_MONOTONIC).
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
 *
 * Usage: timer_wheel_bench   (no arguments)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void count_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	(void)t;
	(void)now;
	(void)arg;
	fired_total++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct series {
	double *per_op; /* ns per op, one per batch */
	unsigned int n;
	uint64_t total_ns;
	uint64_t total_ops;
};

static void series_add(struct series *s, uint64_t ns, unsigned int ops)
{
	s->per_op[s->n++] = (double)ns / ops;
	s->total_ns += ns;
	s->total_ops += ops;
}

static void series_print(unsigned int n_timers, const char *op, struct series *s)
{
	unsigned int p99 = (unsigned int)ceil(0.99 * s->n) - 1;

	qsort(s->per_op, s->n, sizeof(double), cmp_double);
	printf("%7u  %-7s %7u %9.1f %9.1f %9.1f %12.0f\n", n_timers, op, s->n, s->per_op[s->n / 2],
	       s->per_op[p99], s->per_op[s->n - 1],
	       s->total_ns ? 1e9 * (double)s->total_ops / (double)s->total_ns : 0.0);
}

/* Run all batches at one size; returns 0, or -1 if a check failed. */
static int bench_size(unsigned int n, unsigned int batches)
{
	struct tt_timer *tm = calloc(n, sizeof(*tm));
	tt_ns_t *dl = calloc(n, sizeof(*dl));
	struct series s[OP_COUNT] = {{0}};
	struct tt_tw *tw = tt_tw_create(SHIFT, 0);
	tt_ns_t now = 0;
	unsigned int b, i, o;
	int rc = 0;

	for (o = 0; o < OP_COUNT; o++)
		s[o].per_op = calloc(batches, sizeof(double));
	if (!tm || !dl || !tw || !s[OP_COUNT - 1].per_op) {
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
		t0 = mono_ns();
		for (i = 0; i < n; i++)
			tt_tw_arm(tw, &tm[i], dl[i]);
		series_add(&s[OP_ARM], mono_ns() - t0, n);

		for (i = 0; i < n; i++)
			dl[i] = now + bfd_delay();
		t0 = mono_ns();
		for (i = 0; i < n; i++)
			tt_tw_arm(tw, &tm[i], dl[i]);
		series_add(&s[OP_REARM], mono_ns() - t0, n);

		t0 = mono_ns();
		for (i = 0; i < n; i++)
			tt_tw_cancel(tw, &tm[i]);
		series_add(&s[OP_CANCEL], mono_ns() - t0, n);
		if (tt_tw_count(tw) != 0)
			rc = -1;

		for (i = 0; i < n; i++)
			tt_tw_arm(tw, &tm[i], now + 1 + rng() % (n * 100ull));
		before = fired_total;
		t0 = mono_ns();
		while (tt_tw_count(tw) > 0 && fired_total - before <= n) {
			now += TT_NS_PER_US;
			tt_tw_advance(tw, now);
		}
		series_add(&s[OP_EXPIRE], mono_ns() - t0, n);
		if (fired_total - before != n)
			rc = -1;
	}
	if (rc)
		fprintf(stderr, "timer_wheel_bench: wrong fire/cancel count at %u timers\n", n);
	else
		for (o = 0; o < OP_COUNT; o++)
			series_print(n, op_names[o], &s[o]);
	for (o = 0; o < OP_COUNT; o++)
		free(s[o].per_op);
	tt_tw_destroy(tw);
	free(dl);
	free(tm);
	return rc;
}

int main(void)
{
	static const unsigned int sizes[] = {1000, 10000, 100000};
	unsigned int i;
	int rc = 0;

	printf("# timer wheel, g = %llu ns; ns per op over batches\n", 1ull << SHIFT);
	printf("%7s  %-7s %7s %9s %9s %9s %12s\n", "timers", "op", "batches", "p50", "p99", "max",
	       "ops/s");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* about 2 M timer operations per op and size, at least 20 batches */
		unsigned int batches = 2000000 / sizes[i];

		if (batches < 20)
			batches = 20;
		if (batches > 1000)
			batches = 1000;
		if (bench_size(sizes[i], batches))
			rc = 1;
	}
	return rc;
}
