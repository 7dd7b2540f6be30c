/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event queue micro-benchmark: the cross-lcore "channel down" hop. A
 * producer thread pinned to one core stamps a TT_EVQ_EV_DC_DOWN event with
 * CLOCK_MONOTONIC_RAW and enqueues it into a tt_evq; a consumer thread
 * pinned to the other core busy-polls tt_evq_dequeue_burst() and records
 * (clock after the dequeue - stamp). p50/p99/max over the hops.
 *
 * Latency, not throughput: one event is in flight at a time. After each
 * hop the producer waits until the consumer has taken the event, then spins
 * for a random 2..10 µs before the next one, so every event meets a consumer
 * that is polling an empty queue, as the heartbeat lcore does. Both clock
 * reads are inside the figure (one on each side; their cost is printed as a
 * comment). The first 1000 hops warm up and are not recorded.
 *
 * Figure: evq.hop (RESULT line, bench_util.h). ops_per_s is 1 / mean hop
 * latency, not a rate. Goal context (issue 6): p99 < 10 µs.
 * Exit status 1 if an event is lost, duplicated or reordered, or stamped
 * later than it was taken.
 *
 * Usage: evq_bench [--quick]   (--quick: 10x fewer hops)
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "evq.h"

#define HOPS	      200000
#define WARMUP	      1000
#define QUEUE_SLOTS   1024
#define PAUSE_MIN_NS  2000
#define PAUSE_SPAN_NS 8000

struct hop_ctx {
	struct tt_evq *q;
	unsigned int total; /* warm-up + recorded hops */
	int cpu[2];	    /* producer, consumer; -1: not pinned */
	struct tt_bench_series lat;
	_Alignas(64) _Atomic unsigned int taken; /* events the consumer took */
	_Alignas(64) int err;			 /* consumer only */
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "evq_bench: cannot pin to CPU %d\n", cpu);
}

static void *producer(void *arg)
{
	struct hop_ctx *c = arg;
	uint64_t rng = 0xe7e7;

	pin(c->cpu[0]);
	for (unsigned int i = 0; i < c->total; i++) {
		struct tt_evq_event ev = {
			.type = TT_EVQ_EV_DC_DOWN,
			.worker_id = i,
			.epoch = 1,
			.chan_idx = (uint8_t)(i % 16),
			.reason = 7,
		};
		uint64_t until;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		until = tt_bench_now_ns() + PAUSE_MIN_NS + (rng >> 33) % PAUSE_SPAN_NS;
		while (tt_bench_now_ns() < until)
			;
		ev.ts_ns = tt_bench_now_ns();
		while (tt_evq_enqueue(c->q, &ev) != 0)
			;
		while (atomic_load_explicit(&c->taken, memory_order_acquire) <= i)
			;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct hop_ctx *c = arg;
	struct tt_evq_event ev[32];
	unsigned int got = 0;

	pin(c->cpu[1]);
	while (got < c->total) {
		unsigned int n = tt_evq_dequeue_burst(c->q, ev, 32);
		uint64_t now;

		if (n == 0)
			continue;
		now = tt_bench_now_ns();
		for (unsigned int k = 0; k < n; k++, got++) {
			if (ev[k].worker_id != got || ev[k].type != TT_EVQ_EV_DC_DOWN)
				c->err = -1;
			/* CLOCK_MONOTONIC_RAW is one clock for all CPUs: never negative */
			if (now < ev[k].ts_ns)
				c->err = -1;
			else if (got >= WARMUP)
				tt_bench_add(&c->lat, now - ev[k].ts_ns, 1);
		}
		atomic_store_explicit(&c->taken, got, memory_order_release);
	}
	return NULL;
}

/* The first two CPUs this process may run on, or -1. */
static void pick_cpus(int cpu[2])
{
	cpu_set_t set;
	int found = 0;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int i = 0; i < CPU_SETSIZE && found < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[found++] = i;
	if (found < 2)
		cpu[0] = cpu[1] = -1;
}

/* Cost of one tt_bench_now_ns(), for the comment line: the best of 20 rounds. */
static double clock_cost_ns(void)
{
	double best = 1e9;

	for (int r = 0; r < 20; r++) {
		uint64_t t0 = tt_bench_now_ns(), acc = 0;
		double ns;

		for (int i = 0; i < 10000; i++)
			acc += tt_bench_now_ns();
		tt_bench_sink(acc);
		ns = (double)(tt_bench_now_ns() - t0) / 10000;
		if (ns < best)
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	static struct hop_ctx c;
	struct tt_bench_opts opts;
	struct tt_evq_stats st;
	pthread_t tp, tc;
	unsigned int hops;

	if (tt_bench_parse_args(argc, argv, &opts))
		return 2;
	hops = tt_bench_reps(&opts, HOPS, 1000);
	c.total = WARMUP + hops;
	c.q = tt_evq_create(QUEUE_SLOTS);
	if (!c.q || tt_bench_series_init(&c.lat, "evq.hop", hops))
		return 1;
	pick_cpus(c.cpu);
	printf("# evq: cross-core hop, enqueue stamp -> dequeue, %u hops, pauses %u..%u us, "
	       "producer CPU %d, consumer CPU %d\n",
	       hops, PAUSE_MIN_NS / 1000, (PAUSE_MIN_NS + PAUSE_SPAN_NS) / 1000, c.cpu[0],
	       c.cpu[1]);
	if (c.cpu[0] < 0)
		printf("# fewer than 2 CPUs available: threads not pinned\n");
	printf("#   clock read (CLOCK_MONOTONIC_RAW) costs %.1f ns; each hop includes one\n",
	       clock_cost_ns());
	if (pthread_create(&tc, NULL, consumer, &c) || pthread_create(&tp, NULL, producer, &c)) {
		fprintf(stderr, "evq_bench: pthread_create failed\n");
		return 1;
	}
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	tt_evq_stats_get(c.q, &st);
	if (c.err || st.enqueued != c.total || st.dequeued != c.total || st.full != 0) {
		fprintf(stderr,
			"evq_bench: events lost or reordered (%llu in, %llu out, %llu full)\n",
			(unsigned long long)st.enqueued, (unsigned long long)st.dequeued,
			(unsigned long long)st.full);
		return 1;
	}
	tt_bench_print(&c.lat);
	printf("#   evq.hop: hops above 1 us: %u, 10 us: %u (goal: p99 < 10 us), 100 us: %u, "
	       "1 ms: %u, of %u\n",
	       tt_bench_count_above(&c.lat, 1e3), tt_bench_count_above(&c.lat, 1e4),
	       tt_bench_count_above(&c.lat, 1e5), tt_bench_count_above(&c.lat, 1e6), hops);
	tt_bench_series_fini(&c.lat);
	tt_evq_destroy(c.q);
	return 0;
}
