/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared statistics and output of the perf/ micro-benchmarks: see
 * bench_util.h for the definitions and the line format.
 */
#include "bench_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int tt_bench_parse_args(int argc, char **argv, struct tt_bench_opts *opts)
{
	opts->quick = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			opts->quick = true;
			continue;
		}
		fprintf(stderr, "%s: unknown argument '%s'; usage: %s [--quick]\n", argv[0],
			argv[i], argv[0]);
		return -1;
	}
	return 0;
}

unsigned int tt_bench_reps(const struct tt_bench_opts *opts, unsigned int full, unsigned int min)
{
	unsigned int n = opts->quick ? full / 10 : full;

	return n < min ? min : n;
}

uint64_t tt_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int tt_bench_series_init(struct tt_bench_series *s, const char *name, unsigned int cap)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->sample_ns = calloc(cap ? cap : 1, sizeof(*s->sample_ns));
	if (!s->sample_ns) {
		fprintf(stderr, "bench: out of memory for %u samples of %s\n", cap, name);
		return -1;
	}
	s->cap = cap;
	return 0;
}

void tt_bench_series_fini(struct tt_bench_series *s)
{
	free(s->sample_ns);
	s->sample_ns = NULL;
	s->n = s->cap = 0;
}

void tt_bench_series_reset(struct tt_bench_series *s)
{
	s->n = 0;
	s->total_ns = 0;
	s->total_ops = 0;
	s->sorted = false;
}

void tt_bench_add(struct tt_bench_series *s, uint64_t ns, uint64_t ops)
{
	if (s->n >= s->cap || ops == 0) {
		fprintf(stderr, "bench: series %s: sample %u of %u (ops %llu) refused\n", s->name,
			s->n + 1, s->cap, (unsigned long long)ops);
		abort();
	}
	s->sample_ns[s->n++] = (double)ns / (double)ops;
	s->total_ns += (double)ns;
	s->total_ops += (double)ops;
	s->sorted = false;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted samples: the ceil(p n)-th, 1-based. */
static double percentile(const double *sorted, unsigned int n, double p)
{
	double rank = ceil(p * n);
	unsigned int i = rank < 1 ? 0 : (unsigned int)rank - 1;

	return sorted[i < n ? i : n - 1];
}

int tt_bench_stats(struct tt_bench_series *s, struct tt_bench_stats *out)
{
	if (s->n == 0)
		return -1;
	if (!s->sorted) {
		qsort(s->sample_ns, s->n, sizeof(double), cmp_double);
		s->sorted = true;
	}
	out->samples = s->n;
	out->p50_ns = percentile(s->sample_ns, s->n, 0.50);
	out->p99_ns = percentile(s->sample_ns, s->n, 0.99);
	out->max_ns = s->sample_ns[s->n - 1];
	out->ops_per_s = s->total_ns > 0 ? 1e9 * s->total_ops / s->total_ns : 0.0;
	return 0;
}

unsigned int tt_bench_count_above(const struct tt_bench_series *s, double ns)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->n; i++)
		n += s->sample_ns[i] > ns;
	return n;
}

void tt_bench_print(struct tt_bench_series *s)
{
	struct tt_bench_stats st;

	if (tt_bench_stats(s, &st)) {
		printf("# %s: no samples\n", s->name);
		return;
	}
	/* Padding goes after each value: the tokens stay key=value with no blank. */
	printf("RESULT name=%-34s unit=ns p50=%-9.1f p99=%-9.1f max=%-10.1f ops_per_s=%-11.0f "
	       "samples=%u\n",
	       s->name, st.p50_ns, st.p99_ns, st.max_ns, st.ops_per_s, st.samples);
	fflush(stdout);
}

void tt_bench_print_ratio(const char *name, struct tt_bench_series *num,
			  struct tt_bench_series *den)
{
	struct tt_bench_stats a, b;

	if (tt_bench_stats(num, &a) || tt_bench_stats(den, &b) || b.p50_ns <= 0) {
		printf("# %s: no ratio (empty series)\n", name);
		return;
	}
	printf("RATIO  name=%-34s value=%.3f num=%s den=%s of=p50\n", name, a.p50_ns / b.p50_ns,
	       num->name, den->name);
	fflush(stdout);
}
