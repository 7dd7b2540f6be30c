/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_BENCH_UTIL_H
#define TT_BENCH_UTIL_H

/**
 * @file
 * What every perf/ micro-benchmark shares: the command line, the clock, and
 * the one piece of code that turns timed samples into p50/p99/max and ops/s
 * and prints them.
 *
 * A series holds samples, each the cost of one operation in ns: a timed batch
 * of k operations adds one sample (batch ns / k, weight k); a single timed
 * event (a latency) adds one sample of weight 1. Statistics:
 *  - p50, p99: nearest-rank percentiles over the samples (sample ceil(p n) of
 *    the n sorted ones); max: the largest sample.
 *  - ops_per_s: total operations / total timed ns, x 1e9. For batches that
 *    is the throughput while timed; for a latency series (weight 1 each) it
 *    is 1 / mean latency, not a rate the system sustains.
 *
 * Output, one line per figure, readable by eye and by a sweep tool:
 *
 *     RESULT name=<figure> unit=ns p50=<x> p99=<x> max=<x> ops_per_s=<x> samples=<n>
 *     RATIO name=<figure> value=<x> num=<figure> den=<figure> of=p50
 *
 * Tokens are separated by blanks (padded for alignment); every token after
 * the first is key=value and no value contains a blank or '='. Figure names
 * are dot-separated words ([a-z0-9_.]). Lines starting with '#' are comments.
 * A RATIO is num's statistic divided by den's (above 1: num is slower).
 *
 * Execution context: benchmark programs only (reads the clock, allocates,
 * prints). A series is used by one thread at a time.
 */

#include <stdbool.h>
#include <stdint.h>

/** Common options of every benchmark. */
struct tt_bench_opts {
	bool quick; /* --quick: about 10x fewer repetitions */
};

/**
 * Parse the common command line: no argument, or `--quick`. Anything else
 * prints a usage line to stderr.
 *
 * @param argc, argv  as given to main().
 * @param opts        filled.
 * @return 0, or -1 on a bad argument (the caller exits with status 2).
 */
int tt_bench_parse_args(int argc, char **argv, struct tt_bench_opts *opts);

/**
 * Repetitions to run: @p full, or full / 10 with --quick; never below @p min.
 */
unsigned int tt_bench_reps(const struct tt_bench_opts *opts, unsigned int full, unsigned int min);

/** CLOCK_MONOTONIC_RAW in ns (vDSO, no system call on this kernel). */
uint64_t tt_bench_now_ns(void);

/** Samples of one figure. Fields are private to bench_util.c. */
struct tt_bench_series {
	char name[64];
	double *sample_ns; /* per-op ns, one per sample */
	unsigned int n;
	unsigned int cap;
	double total_ns;
	double total_ops;
	bool sorted;
};

/** Statistics of a series (see the file comment). */
struct tt_bench_stats {
	unsigned int samples;
	double p50_ns;
	double p99_ns;
	double max_ns;
	double ops_per_s;
};

/**
 * Make an empty series with room for @p cap samples (allocates).
 *
 * @param name  figure name, copied (truncated to 63 characters).
 * @return 0, or -1 if out of memory (message printed).
 */
int tt_bench_series_init(struct tt_bench_series *s, const char *name, unsigned int cap);

/** Free a series' samples (a zeroed series is fine). */
void tt_bench_series_fini(struct tt_bench_series *s);

/** Forget the samples; keep the name and the room. */
void tt_bench_series_reset(struct tt_bench_series *s);

/**
 * Add one sample: @p ns spent on @p ops operations (ops > 0). Aborts with a
 * message if the series is full: size it for the run.
 */
void tt_bench_add(struct tt_bench_series *s, uint64_t ns, uint64_t ops);

/**
 * Compute the statistics (sorts the samples).
 * @return 0, or -1 if the series has no sample.
 */
int tt_bench_stats(struct tt_bench_series *s, struct tt_bench_stats *out);

/** Number of samples above @p ns (per-op ns). */
unsigned int tt_bench_count_above(const struct tt_bench_series *s, double ns);

/** Print a series as a RESULT line (a comment line if it has no sample). */
void tt_bench_print(struct tt_bench_series *s);

/** Print a RATIO line: p50 of @p num over p50 of @p den. */
void tt_bench_print_ratio(const char *name, struct tt_bench_series *num,
			  struct tt_bench_series *den);

/**
 * Keep the compiler from proving a value unused (lookups whose result is
 * otherwise dropped).
 */
static inline void tt_bench_sink(uint64_t v)
{
	__asm__ volatile("" : : "r"(v) : "memory");
}

#endif /* TT_BENCH_UTIL_H */
