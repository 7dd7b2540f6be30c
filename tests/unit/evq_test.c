/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event queue (engine/evq.c): create limits, FIFO order, full and empty,
 * wrap-around over many laps, burst sizes, counters, and a threaded
 * many-producer run where every event must arrive exactly once and in each
 * producer's order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "evq.h"

static struct tt_evq_event ev_of(uint32_t worker_id, uint32_t n)
{
	return (struct tt_evq_event){
		.ts_ns = 1000ull * n,
		.worker_id = worker_id,
		.epoch = n,
		.type = TT_EVQ_EV_DC_DOWN,
		.chan_idx = (uint8_t)(n % 16),
		.reason = (uint8_t)(n % 7),
	};
}

static void assert_ev(const struct tt_evq_event *ev, uint32_t worker_id, uint32_t n)
{
	assert_int_equal(ev->worker_id, worker_id);
	assert_int_equal(ev->epoch, n);
	assert_int_equal(ev->ts_ns, 1000ull * n);
	assert_int_equal(ev->type, TT_EVQ_EV_DC_DOWN);
	assert_int_equal(ev->chan_idx, n % 16);
	assert_int_equal(ev->reason, n % 7);
}

static void test_create_limits(void **state)
{
	struct tt_evq *q;

	(void)state;
	const uint32_t bad[] = {0, 1, 3, 6, 100, TT_EVQ_MAX_CAPACITY * 2, 0x80000001u};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(tt_evq_create(bad[i]));
		assert_int_equal(errno, EINVAL);
	}
	q = tt_evq_create(TT_EVQ_MIN_CAPACITY);
	assert_non_null(q);
	assert_int_equal(tt_evq_capacity(q), 2);
	tt_evq_destroy(q);
	q = tt_evq_create(1024);
	assert_non_null(q);
	assert_int_equal(tt_evq_capacity(q), 1024);
	assert_int_equal(tt_evq_count(q), 0);
	tt_evq_destroy(q);
	tt_evq_destroy(NULL);
}

static void test_order_full_empty(void **state)
{
	struct tt_evq *q = tt_evq_create(8);
	struct tt_evq_event out[16];
	struct tt_evq_stats st;

	(void)state;
	assert_int_equal(tt_evq_dequeue_burst(q, out, 16), 0);
	for (uint32_t n = 0; n < 8; n++) {
		struct tt_evq_event ev = ev_of(3, n);

		assert_int_equal(tt_evq_enqueue(q, &ev), 0);
		assert_int_equal(tt_evq_count(q), n + 1);
	}
	struct tt_evq_event extra = ev_of(3, 99);
	assert_int_equal(tt_evq_enqueue(q, &extra), -ENOBUFS);
	assert_int_equal(tt_evq_enqueue(q, &extra), -ENOBUFS);
	tt_evq_stats_get(q, &st);
	assert_int_equal(st.enqueued, 8);
	assert_int_equal(st.full, 2);
	assert_int_equal(st.dequeued, 0);

	/* One slot freed: one more fits, then full again. */
	assert_int_equal(tt_evq_dequeue_burst(q, out, 1), 1);
	assert_ev(&out[0], 3, 0);
	struct tt_evq_event ev8 = ev_of(3, 8);
	assert_int_equal(tt_evq_enqueue(q, &ev8), 0);
	assert_int_equal(tt_evq_enqueue(q, &extra), -ENOBUFS);

	/* The rest in FIFO order; a burst larger than the content returns what is there. */
	assert_int_equal(tt_evq_dequeue_burst(q, out, 16), 8);
	for (uint32_t n = 0; n < 8; n++)
		assert_ev(&out[n], 3, n + 1);
	assert_int_equal(tt_evq_dequeue_burst(q, out, 16), 0);
	assert_int_equal(tt_evq_count(q), 0);
	tt_evq_stats_get(q, &st);
	assert_int_equal(st.enqueued, 9);
	assert_int_equal(st.dequeued, 9);
	assert_int_equal(st.full, 3);
	tt_evq_destroy(q);
}

/* Many laps round a small ring with every burst size: positions wrap, order holds. */
static void test_wrap_around(void **state)
{
	struct tt_evq *q = tt_evq_create(4);
	struct tt_evq_event out[4];
	uint32_t next_in = 0, next_out = 0;

	(void)state;
	for (unsigned round = 0; round < 1000; round++) {
		unsigned want_in = 1 + round % 4, want_out = 1 + (round * 7) % 4;

		for (unsigned i = 0; i < want_in; i++) {
			struct tt_evq_event ev = ev_of(1, next_in);
			int ret = tt_evq_enqueue(q, &ev);

			if (next_in - next_out == 4) {
				assert_int_equal(ret, -ENOBUFS);
			} else {
				assert_int_equal(ret, 0);
				next_in++;
			}
		}
		unsigned got = tt_evq_dequeue_burst(q, out, want_out);
		unsigned avail = next_in - next_out;

		assert_int_equal(got, avail < want_out ? avail : want_out);
		for (unsigned i = 0; i < got; i++)
			assert_ev(&out[i], 1, next_out++);
	}
	assert_true(next_in > 1000); /* went round the 4 slots hundreds of times */
	tt_evq_destroy(q);
}

static void test_burst_zero_and_partial(void **state)
{
	struct tt_evq *q = tt_evq_create(16);
	struct tt_evq_event out[16];

	(void)state;
	for (uint32_t n = 0; n < 5; n++) {
		struct tt_evq_event ev = ev_of(2, n);

		assert_int_equal(tt_evq_enqueue(q, &ev), 0);
	}
	assert_int_equal(tt_evq_dequeue_burst(q, out, 0), 0);
	assert_int_equal(tt_evq_count(q), 5);
	assert_int_equal(tt_evq_dequeue_burst(q, out, 2), 2);
	assert_ev(&out[0], 2, 0);
	assert_ev(&out[1], 2, 1);
	assert_int_equal(tt_evq_dequeue_burst(q, out, 2), 2);
	assert_ev(&out[0], 2, 2);
	assert_ev(&out[1], 2, 3);
	assert_int_equal(tt_evq_dequeue_burst(q, out, 2), 1);
	assert_ev(&out[0], 2, 4);
	tt_evq_destroy(q);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(tt_evq_type_name(TT_EVQ_EV_DC_DOWN), "dc_down");
	assert_string_equal(tt_evq_type_name(TT_EVQ_EV_DC_UP), "dc_up");
	assert_string_equal(tt_evq_type_name(TT_EVQ_EV_COUNT), "?");
	assert_int_equal(sizeof(struct tt_evq_event), 24);
}

#define N_PRODUCERS  4
#define PER_PRODUCER 100000u

struct producer {
	struct tt_evq *q;
	uint32_t id;
	_Atomic int *go;
	_Atomic unsigned *done;
	uint64_t refused; /* -ENOBUFS seen (then retried) */
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;

	while (!atomic_load(p->go))
		;
	for (uint32_t n = 0; n < PER_PRODUCER; n++) {
		struct tt_evq_event ev = ev_of(p->id, n);

		while (tt_evq_enqueue(p->q, &ev) == -ENOBUFS) {
			p->refused++;
			sched_yield();
		}
	}
	atomic_fetch_add_explicit(p->done, 1, memory_order_release);
	return NULL;
}

/*
 * 4 producers, 1 consumer (this thread), an 8-slot ring: far more events than
 * slots, so the ring fills and wraps constantly. Every (producer, n) must
 * arrive exactly once and each producer's n in increasing order.
 */
static void test_mpsc_threads(void **state)
{
	struct tt_evq *q = tt_evq_create(8);
	struct producer p[N_PRODUCERS];
	pthread_t th[N_PRODUCERS];
	uint32_t next[N_PRODUCERS] = {0};
	_Atomic int go = 0;
	_Atomic unsigned done = 0;
	uint64_t total = 0, refused = 0;
	struct tt_evq_event out[32];
	struct tt_evq_stats st;

	(void)state;
	for (unsigned i = 0; i < N_PRODUCERS; i++) {
		p[i] = (struct producer){.q = q, .id = i, .go = &go, .done = &done};
		assert_int_equal(pthread_create(&th[i], NULL, producer_main, &p[i]), 0);
	}
	atomic_store(&go, 1);
	for (;;) {
		/* Read `done` before dequeuing: once all producers are done and the
		 * queue is empty, nothing more can come (a lost event ends the loop
		 * with a short count instead of a hang). */
		bool finished = atomic_load_explicit(&done, memory_order_acquire) == N_PRODUCERS;
		unsigned got = tt_evq_dequeue_burst(q, out, 1 + total % 32);

		for (unsigned i = 0; i < got; i++) {
			uint32_t id = out[i].worker_id;

			assert_true(id < N_PRODUCERS);
			/* Per-producer order, nothing lost, nothing twice. */
			assert_int_equal(out[i].epoch, next[id]);
			assert_ev(&out[i], id, next[id]);
			next[id]++;
		}
		total += got;
		if (!got && finished)
			break;
		if (!got)
			sched_yield();
	}
	assert_int_equal(total, (uint64_t)N_PRODUCERS * PER_PRODUCER);
	for (unsigned i = 0; i < N_PRODUCERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(next[i], PER_PRODUCER);
		refused += p[i].refused;
	}
	assert_int_equal(tt_evq_dequeue_burst(q, out, 32), 0);
	tt_evq_stats_get(q, &st);
	assert_int_equal(st.enqueued, (uint64_t)N_PRODUCERS * PER_PRODUCER);
	assert_int_equal(st.dequeued, st.enqueued);
	assert_int_equal(st.full, refused);
	tt_evq_destroy(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_limits),
		cmocka_unit_test(test_order_full_empty),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_burst_zero_and_partial),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_mpsc_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
