/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fencing association (channel DOWN -> heartbeat disconnected, directly
 * or through the event queue) and the fencing timeline.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "dc_fsm.h"
#include "evq.h"
#include "fence.h"
#include "hb_fsm.h"

#define US(n) tt_us_to_ns(n)

static struct tt_fence_assoc A;
static struct tt_hb_session HB;

/* K = 3 channels: 0 and 1 on the HB lcore (0), 2 on lcore 1. */
static void setup_assoc(void)
{
	struct tt_fence_assoc_config c = {
		.worker_id = 7,
		.n_chan = 3,
		.hb_lcore = 0,
		.chan_lcore = {0, 0, 1},
	};
	struct tt_hb_config hc = {
		.role = TT_HB_ROLE_WORKER,
		.local_disc = 1,
		.timers = {1000, 1000, 3},
		.slow_tx_us = 1000,
		.allow_fast_slow_rate = true,
	};

	assert_int_equal(tt_fence_assoc_init(&A, &c), 0);
	assert_int_equal(tt_hb_init(&HB, &hc, 0), 0);
}

static void test_init_and_arm(void **state)
{
	struct tt_fence_assoc_config bad = {.n_chan = 0};

	(void)state;
	assert_int_equal(tt_fence_assoc_init(&A, &bad), -EINVAL);
	bad.n_chan = TT_FENCE_MAX_CHAN + 1;
	assert_int_equal(tt_fence_assoc_init(&A, &bad), -EINVAL);
	setup_assoc();
	/* Disarmed: channel events do nothing. */
	assert_int_equal(tt_fence_epoch(&A), 0);
	assert_false(tt_fence_chan_up(&A, 0));
	assert_int_equal(tt_fence_chan_down(&A, 0, TT_DC_DOWN_CUT, 0, NULL, 5),
			 TT_FENCE_ROUTE_IGNORED);
	assert_int_equal(tt_fence_down_mask(&A), 0);
	tt_fence_arm(&A, 4);
	assert_int_equal(tt_fence_epoch(&A), 4);
	assert_false(tt_fence_chan_up(&A, 0));
	assert_false(tt_fence_chan_up(&A, 1));
	assert_false(tt_fence_chan_up(&A, 7)); /* out of range */
	assert_true(tt_fence_chan_up(&A, 2));  /* all three up */
	assert_int_equal(tt_fence_up_mask(&A), 7);
	assert_false(tt_fence_silenced(&A));
	tt_fence_disarm(&A);
	assert_int_equal(tt_fence_epoch(&A), 0);
	assert_int_equal(tt_fence_chan_down(&A, 1, TT_DC_DOWN_LOCAL_CLOSE, 0, NULL, 5),
			 TT_FENCE_ROUTE_IGNORED);
	assert_int_equal(tt_fence_counters(&A)->downs[TT_FENCE_ROUTE_IGNORED], 2);
	/* Re-arming clears the masks. */
	tt_fence_arm(&A, 5);
	assert_int_equal(tt_fence_up_mask(&A), 0);
	assert_int_equal(tt_fence_down_mask(&A), 0);
}

static void test_direct(void **state)
{
	struct tt_hb_actions act;

	(void)state;
	setup_assoc();
	tt_fence_arm(&A, 1);
	tt_fence_chan_up(&A, 0);
	tt_fence_chan_up(&A, 1);
	/* Channel 0 is owned by the HB lcore: direct. */
	assert_int_equal(tt_fence_chan_down(&A, 0, TT_DC_DOWN_PROBE_TIMEOUT, 0, NULL, US(10)),
			 TT_FENCE_ROUTE_DIRECT);
	assert_int_equal(tt_fence_down_mask(&A), 1);
	assert_int_equal(tt_fence_up_mask(&A), 2);
	/* The first down wins; a second report of the same channel is ALREADY. */
	assert_int_equal(tt_fence_chan_down(&A, 0, TT_DC_DOWN_CUT, 0, NULL, US(11)),
			 TT_FENCE_ROUTE_ALREADY);
	/* An up after a down does not make the association whole again. */
	assert_false(tt_fence_chan_up(&A, 2));
	assert_false(tt_hb_is_disconnected(&HB));
	assert_int_equal(tt_fence_silence(&A, &HB, US(10), &act), 1);
	assert_true(tt_hb_is_disconnected(&HB));
	assert_true(tt_fence_silenced(&A));
	assert_int_equal(act.n_tx, 0); /* silent: nothing goes out */
	/* Silencing twice is a no-op. */
	assert_int_equal(tt_fence_silence(&A, &HB, US(12), &act), 0);
	assert_int_equal(act.flags, 0);
	assert_int_equal(tt_fence_counters(&A)->silences, 1);
	assert_int_equal(tt_fence_counters(&A)->downs[TT_FENCE_ROUTE_DIRECT], 1);
	assert_int_equal(tt_fence_counters(&A)->downs[TT_FENCE_ROUTE_ALREADY], 1);
	/* No queue given: everything is direct, whatever the lcore. */
	assert_int_equal(tt_fence_chan_down(&A, 2, TT_DC_DOWN_CUT, 1, NULL, US(13)),
			 TT_FENCE_ROUTE_DIRECT);
}

static void test_queued(void **state)
{
	struct tt_evq *q = tt_evq_create(4);
	struct tt_evq_event ev[4];
	struct tt_hb_actions act;

	(void)state;
	assert_non_null(q);
	setup_assoc();
	tt_fence_arm(&A, 9);
	/* Channel 2 lives on lcore 1: the down crosses through the queue. */
	assert_int_equal(tt_fence_chan_down(&A, 2, TT_DC_DOWN_RETX_EXHAUSTED, 1, q, US(20)),
			 TT_FENCE_ROUTE_QUEUED);
	assert_false(tt_hb_is_disconnected(&HB));
	assert_int_equal(tt_evq_dequeue_burst(q, ev, 4), 1);
	assert_int_equal(ev[0].type, TT_EVQ_EV_DC_DOWN);
	assert_int_equal(ev[0].worker_id, 7);
	assert_int_equal(ev[0].epoch, 9);
	assert_int_equal(ev[0].chan_idx, 2);
	assert_int_equal(ev[0].reason, TT_DC_DOWN_RETX_EXHAUSTED);
	assert_true(ev[0].ts_ns == US(20));
	assert_true(tt_fence_on_event(&A, &ev[0]));
	assert_int_equal(tt_fence_silence(&A, &HB, US(25), &act), 1);
	assert_true(tt_hb_is_disconnected(&HB));
	/* The same event again: redundant, the session is silenced already. */
	assert_false(tt_fence_on_event(&A, &ev[0]));
	assert_int_equal(tt_fence_counters(&A)->events_redundant, 1);
	/* An event of an older incarnation: stale. */
	tt_fence_arm(&A, 10);
	assert_false(tt_fence_on_event(&A, &ev[0]));
	assert_int_equal(tt_fence_counters(&A)->events_stale, 1);
	ev[0].epoch = 10;
	ev[0].worker_id = 8; /* another worker's */
	assert_false(tt_fence_on_event(&A, &ev[0]));
	assert_int_equal(tt_fence_counters(&A)->events_stale, 2);
	ev[0].worker_id = 7;
	ev[0].type = TT_EVQ_EV_DC_UP;
	assert_false(tt_fence_on_event(&A, &ev[0]));
	assert_int_equal(tt_fence_counters(&A)->events_applied, 1);
	tt_evq_destroy(q);
}

static void test_queue_full(void **state)
{
	struct tt_evq *q = tt_evq_create(2);
	struct tt_fence_assoc_config c = {
		.worker_id = 1, .n_chan = 4, .hb_lcore = 0, .chan_lcore = {1, 1, 1, 1}};

	(void)state;
	assert_int_equal(tt_fence_assoc_init(&A, &c), 0);
	tt_fence_arm(&A, 1);
	assert_int_equal(tt_fence_chan_down(&A, 0, TT_DC_DOWN_CUT, 1, q, 0), TT_FENCE_ROUTE_QUEUED);
	assert_int_equal(tt_fence_chan_down(&A, 1, TT_DC_DOWN_CUT, 1, q, 0), TT_FENCE_ROUTE_QUEUED);
	assert_int_equal(tt_fence_chan_down(&A, 2, TT_DC_DOWN_CUT, 1, q, 0), TT_FENCE_ROUTE_FULL);
	assert_int_equal(tt_fence_counters(&A)->downs[TT_FENCE_ROUTE_FULL], 1);
	assert_int_equal(tt_fence_down_mask(&A), 7);
	tt_evq_destroy(q);
}

static void test_route_names(void **state)
{
	(void)state;
	assert_string_equal(tt_fence_route_name(TT_FENCE_ROUTE_DIRECT), "DIRECT");
	assert_string_equal(tt_fence_route_name(TT_FENCE_ROUTE_QUEUED), "QUEUED");
	assert_string_equal(tt_fence_route_name(TT_FENCE_ROUTE_MAX), "?");
	assert_string_equal(tt_fence_event_name(TT_FENCE_EV_FENCE), "fence");
	assert_string_equal(tt_fence_event_name(TT_FENCE_EV_WORKER_DEAD), "worker-dead");
	assert_string_equal(tt_fence_event_name(TT_FENCE_EV_MAX), "?");
}

static struct tt_fence_event ev_at(tt_ns_t t, unsigned int kind, uint32_t worker, uint64_t val)
{
	return (struct tt_fence_event){
		.time_ns = t,
		.kind = (uint16_t)kind,
		.worker = worker,
		.val = val,
		.chan = TT_FENCE_NO_CHAN,
	};
}

static void test_timeline_ring(void **state)
{
	struct tt_fence_tl *tl;
	struct tt_fence_event out[8], e;

	(void)state;
	errno = 0;
	assert_null(tt_fence_tl_create(0));
	assert_int_equal(errno, EINVAL);
	tl = tt_fence_tl_create(3);
	assert_non_null(tl);
	assert_null(tt_fence_tl_at(tl, 0));
	for (unsigned int i = 0; i < 3; i++) {
		e = ev_at(i, TT_FENCE_EV_CHAN_DOWN, i, 0);
		assert_int_equal(tt_fence_tl_push(tl, &e), 0);
	}
	/* Full: the newest is dropped and counted, the oldest kept. */
	e = ev_at(3, TT_FENCE_EV_FENCE, 0, 0);
	assert_int_equal(tt_fence_tl_push(tl, &e), -ENOBUFS);
	assert_int_equal(tt_fence_tl_count(tl), 3);
	assert_int_equal(tt_fence_tl_dropped(tl), 1);
	assert_int_equal(tt_fence_tl_pushed(tl), 4);
	assert_true(tt_fence_tl_at(tl, 0)->time_ns == 0);
	assert_true(tt_fence_tl_at(tl, 2)->time_ns == 2);
	/* Drain two, push two more: the ring wraps, order is kept. */
	assert_int_equal(tt_fence_tl_drain(tl, out, 2), 2);
	assert_true(out[0].time_ns == 0 && out[1].time_ns == 1);
	for (unsigned int i = 4; i < 6; i++) {
		e = ev_at(i, TT_FENCE_EV_RESCHEDULE, 1, 100 + i);
		assert_int_equal(tt_fence_tl_push(tl, &e), 0);
	}
	assert_int_equal(tt_fence_tl_count(tl), 3);
	assert_true(tt_fence_tl_at(tl, 0)->time_ns == 2);
	assert_true(tt_fence_tl_at(tl, 1)->time_ns == 4);
	assert_true(tt_fence_tl_at(tl, 2)->time_ns == 5);
	assert_null(tt_fence_tl_at(tl, 3));
	/* Find by kind, worker and value. */
	assert_int_equal(tt_fence_tl_find(tl, 0, TT_FENCE_EV_RESCHEDULE, UINT32_MAX, UINT64_MAX),
			 1);
	assert_int_equal(tt_fence_tl_find(tl, 2, TT_FENCE_EV_RESCHEDULE, 1, UINT64_MAX), 2);
	assert_int_equal(tt_fence_tl_find(tl, 0, TT_FENCE_EV_RESCHEDULE, 1, 105), 2);
	assert_int_equal(tt_fence_tl_find(tl, 0, TT_FENCE_EV_RESCHEDULE, 2, UINT64_MAX), -1);
	assert_int_equal(tt_fence_tl_find(tl, 0, TT_FENCE_EV_FENCE, UINT32_MAX, UINT64_MAX), -1);
	assert_int_equal(tt_fence_tl_drain(tl, out, 8), 3);
	assert_int_equal(tt_fence_tl_count(tl), 0);
	assert_int_equal(tt_fence_tl_drain(tl, out, 8), 0);
	tt_fence_tl_destroy(tl);
	tt_fence_tl_destroy(NULL);
}

static void test_format(void **state)
{
	struct tt_fence_event e = {
		.time_ns = 12345678,
		.worker = 2,
		.epoch = 1,
		.kind = TT_FENCE_EV_CHAN_DOWN,
		.chan = 0,
		.aux = TT_DC_DOWN_CUT,
		.role = TT_HB_ROLE_WORKER,
	};
	char line[160];

	(void)state;
	tt_fence_event_format(&e, line, sizeof(line));
	assert_string_equal(line,
			    "   12.345678 ms [worker] worker 2 epoch 1 chan 0: chan-down (cut)");
	e = (struct tt_fence_event){.time_ns = 20000000,
				    .worker = 2,
				    .epoch = 1,
				    .kind = TT_FENCE_EV_FENCE,
				    .chan = TT_FENCE_NO_CHAN,
				    .aux = 3,
				    .val = 1,
				    .role = TT_HB_ROLE_WORKER};
	tt_fence_event_format(&e, line, sizeof(line));
	assert_string_equal(
		line, "   20.000000 ms [worker] worker 2 epoch 1: fence: 3 tasks aborted, then "
		      "rejoin");
	e = (struct tt_fence_event){.time_ns = 26000000,
				    .worker = 2,
				    .epoch = 2,
				    .kind = TT_FENCE_EV_RESCHEDULE,
				    .chan = TT_FENCE_NO_CHAN,
				    .val = 42,
				    .role = TT_HB_ROLE_MASTER};
	tt_fence_event_format(&e, line, sizeof(line));
	assert_string_equal(line, "   26.000000 ms [master] worker 2 epoch 2: reschedule task 42");
	/* Truncation still terminates the string and reports the full length. */
	assert_true(tt_fence_event_format(&e, line, 10) > 10);
	assert_int_equal(strlen(line), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_arm), cmocka_unit_test(test_direct),
		cmocka_unit_test(test_queued),	     cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_route_names),  cmocka_unit_test(test_timeline_ring),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
