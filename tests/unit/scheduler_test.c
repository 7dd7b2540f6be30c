/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The master's task table: every transition, placement, stale results of each
 * kind, reschedule, cancel paths, the epochs_disabled knob, a full table,
 * the event log, and the journal hooks and restore of issue 7. All on
 * virtual time.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "scheduler.h"

#define LOG_CAP 512
#define NOW(us) tt_us_to_ns(us)

static const uint8_t payload[] = {1, 2, 3, 4};

struct fx {
	struct tt_sched *s;
	struct tt_sched_out out;
	struct tt_sched_event log[LOG_CAP];
	struct tt_sched_config cfg;
};

static struct fx fx;

static void make(uint32_t tasks, uint32_t workers, uint32_t outstanding, bool no_epochs)
{
	memset(&fx, 0, sizeof(fx));
	fx.cfg = (struct tt_sched_config){
		.max_tasks = tasks,
		.max_workers = workers,
		.max_outstanding = outstanding,
		.log = fx.log,
		.log_cap = LOG_CAP,
		.epochs_disabled = no_epochs,
	};
	fx.s = tt_sched_create(&fx.cfg);
	assert_non_null(fx.s);
}

static int teardown(void **state)
{
	(void)state;
	tt_sched_destroy(fx.s);
	fx.s = NULL;
	return 0;
}

static uint64_t submit(tt_ns_t now)
{
	uint64_t id = 0;

	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, sizeof(payload), now, &id), 0);
	return id;
}

/* A worker up with every channel reported up. */
static void worker_up(uint32_t w, uint32_t epoch, uint16_t nch, tt_ns_t now)
{
	assert_int_equal(tt_sched_worker_up(fx.s, w, epoch, nch, now), 0);
	for (uint16_t c = 0; c < nch; c++)
		assert_int_equal(tt_sched_channel_state(fx.s, w, c, true), 0);
}

static struct tt_sched_task_info info(uint64_t id)
{
	struct tt_sched_task_info ti;

	assert_int_equal(tt_sched_task(fx.s, id, &ti), 0);
	return ti;
}

static uint32_t outstanding(uint32_t w)
{
	struct tt_sched_worker_info wi;

	assert_int_equal(tt_sched_worker(fx.s, w, &wi), 0);
	return wi.outstanding;
}

static const struct tt_sched_counters *ctr(void)
{
	return tt_sched_counters(fx.s);
}

static void expect_ev(uint32_t i, enum tt_sched_event_kind kind, uint64_t task, uint32_t worker,
		      uint32_t epoch, uint16_t aux, tt_ns_t t)
{
	const struct tt_sched_event *e = &fx.log[i];

	assert_true(i < tt_sched_log_len(fx.s));
	assert_string_equal(tt_sched_event_name(e->kind), tt_sched_event_name(kind));
	assert_true(e->task_id == task);
	assert_int_equal(e->worker, worker);
	assert_int_equal(e->epoch, epoch);
	assert_int_equal(e->aux, aux);
	assert_true(e->time_ns == t);
}

/*
 * What the simulation's checker does with the log: a commit must carry the
 * (worker, epoch) of the task's last ASSIGN. Returns the stale commits found.
 */
static int replay_stale_commits(void)
{
	uint32_t last_w[16], last_e[16];
	int bad = 0;

	memset(last_w, 0xff, sizeof(last_w));
	memset(last_e, 0, sizeof(last_e));
	for (uint32_t i = 0; i < tt_sched_log_len(fx.s); i++) {
		const struct tt_sched_event *e = &fx.log[i];

		assert_true(e->task_id < 16);
		if (e->kind == TT_SCHED_EV_ASSIGN) {
			last_w[e->task_id] = e->worker;
			last_e[e->task_id] = e->epoch;
		} else if (e->kind == TT_SCHED_EV_RESULT_COMMIT) {
			if (e->worker != last_w[e->task_id] || e->epoch != last_e[e->task_id])
				bad++;
		}
	}
	return bad;
}

static void test_create_rejects_bad_config(void **state)
{
	(void)state;
	struct tt_sched_config ok = {.max_tasks = 4, .max_workers = 2, .max_outstanding = 1};
	struct tt_sched_config c;
	struct tt_sched *s;

	assert_null(tt_sched_create(NULL));
	assert_int_equal(errno, EINVAL);
	c = ok;
	c.max_tasks = 0;
	assert_null(tt_sched_create(&c));
	c = ok;
	c.max_tasks = (1u << 31) + 1;
	assert_null(tt_sched_create(&c));
	c = ok;
	c.max_workers = 0;
	assert_null(tt_sched_create(&c));
	c = ok;
	c.max_outstanding = 0;
	assert_null(tt_sched_create(&c));
	c = ok;
	c.log_cap = 3;
	errno = 0;
	assert_null(tt_sched_create(&c));
	assert_int_equal(errno, EINVAL);
	s = tt_sched_create(&ok);
	assert_non_null(s);
	tt_sched_destroy(s);
	tt_sched_destroy(NULL);
}

static void test_submit(void **state)
{
	(void)state;
	uint64_t id = 99;
	char long_name[40];

	make(4, 2, 4, false);
	assert_true(submit(NOW(5)) == 1);
	assert_true(submit(NOW(6)) == 2);
	struct tt_sched_task_info ti = info(1);
	assert_int_equal(ti.state, TT_SCHED_S_PENDING);
	assert_int_equal(ti.epoch, 1);
	assert_int_equal(ti.worker, TT_SCHED_NO_WORKER);
	assert_int_equal(ti.attempts, 0);
	assert_true(ti.submit_ns == NOW(5));
	assert_int_equal(tt_sched_pending(fx.s), 2);
	expect_ev(0, TT_SCHED_EV_SUBMIT, 1, TT_SCHED_NO_WORKER, 1, 0, NOW(5));
	expect_ev(1, TT_SCHED_EV_SUBMIT, 2, TT_SCHED_NO_WORKER, 1, 0, NOW(6));

	assert_int_equal(tt_sched_submit(fx.s, "no spaces", payload, 4, 0, &id), -EINVAL);
	assert_int_equal(tt_sched_submit(fx.s, "", payload, 4, 0, &id), -EINVAL);
	assert_int_equal(tt_sched_submit(fx.s, NULL, payload, 4, 0, &id), -EINVAL);
	assert_int_equal(tt_sched_submit(fx.s, "echo", NULL, 4, 0, &id), -EINVAL);
	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, 4, 0, NULL), -EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(tt_sched_submit(fx.s, long_name, payload, 4, 0, &id), -EINVAL);
	/* The ASSIGN (24 + 4-byte name + payload) must fit in 64 KiB. */
	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, TT_TMSG_MAX_LEN - 27, 0, &id),
			 -EMSGSIZE);
	assert_int_equal(tt_sched_submit(fx.s, "echo", NULL, 0, NOW(7), &id), 0);
	assert_true(id == 3);
	assert_true(id != 99);
	assert_int_equal(ctr()->submitted, 3);
	assert_int_equal(tt_sched_log_len(fx.s), 3);
}

static void test_assign_action(void **state)
{
	(void)state;
	make(8, 2, 4, false);
	uint64_t id = submit(NOW(1));

	/* No worker, then a live worker with no channel up: nothing to do. */
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(2), &fx.out), 0);
	assert_int_equal(tt_sched_worker_up(fx.s, 1, 7, 2, NOW(2)), 0);
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(2), &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	assert_int_equal(tt_sched_channel_state(fx.s, 1, 1, true), 0);

	assert_int_equal(tt_sched_dispatch(fx.s, NOW(3), &fx.out), 1);
	assert_int_equal(fx.out.n, 1);
	const struct tt_sched_action *a = &fx.out.act[0];
	assert_int_equal(a->worker, 1);
	assert_int_equal(a->channel, 1);
	assert_int_equal(a->msg.type, TT_TMSG_ASSIGN);
	assert_true(a->msg.task_id == id);
	assert_int_equal(a->msg.epoch, 1);
	assert_int_equal(a->msg.handler_len, 4);
	assert_memory_equal(a->msg.handler, "echo", 4);
	assert_ptr_equal(a->msg.payload, payload);
	assert_int_equal(a->msg.payload_len, sizeof(payload));
	/* The action is ready to go on the wire. */
	uint8_t wire[64];
	assert_int_equal(tt_tmsg_encode(&a->msg, wire, sizeof(wire)), 32);

	struct tt_sched_task_info ti = info(id);
	assert_int_equal(ti.state, TT_SCHED_S_ASSIGNED);
	assert_int_equal(ti.worker, 1);
	assert_int_equal(ti.channel, 1);
	assert_int_equal(ti.attempts, 1);
	assert_true(ti.first_assign_ns == NOW(3));
	assert_true(ti.last_assign_ns == NOW(3));
	assert_int_equal(tt_sched_pending(fx.s), 0);
	assert_int_equal(outstanding(1), 1);
	assert_int_equal(ctr()->assigned, 1);
	expect_ev(1, TT_SCHED_EV_WORKER_UP, 0, 1, 7, 2, NOW(2));
	expect_ev(2, TT_SCHED_EV_ASSIGN, id, 1, 1, 1, NOW(3));
}

/* Least outstanding first, ties to the lowest id, capped per worker. */
static void test_placement_least_loaded(void **state)
{
	(void)state;
	uint64_t id[8];

	make(16, 4, 2, false);
	worker_up(0, 1, 1, 0);
	worker_up(2, 1, 1, 0);
	worker_up(3, 1, 1, 0);
	for (int i = 0; i < 8; i++)
		id[i] = submit(0);
	/* 3 workers x 2 outstanding: six placed, round the workers in id order. */
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(1), &fx.out), 6);
	const uint32_t want[] = {0, 2, 3, 0, 2, 3};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(fx.out.act[i].worker, want[i]);
		assert_true(fx.out.act[i].msg.task_id == id[i]);
	}
	assert_int_equal(tt_sched_pending(fx.s), 2);
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(1), &fx.out), 0);

	/* Worker 2 finishes one: it alone has room, so it gets the next. */
	assert_int_equal(tt_sched_result(fx.s, 2, id[1], 1, TT_TMSG_ST_OK, NOW(2)),
			 TT_SCHED_COMMIT);
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(2), &fx.out), 1);
	assert_int_equal(fx.out.act[0].worker, 2);
	assert_true(fx.out.act[0].msg.task_id == id[6]);

	/* A newcomer with nothing outstanding wins over everyone. */
	worker_up(1, 1, 1, NOW(3));
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(3), &fx.out), 1);
	assert_int_equal(fx.out.act[0].worker, 1);
	assert_true(fx.out.act[0].msg.task_id == id[7]);
}

/* Channels: round-robin over the ones reported up. */
static void test_channel_round_robin(void **state)
{
	(void)state;
	make(16, 1, 16, false);
	assert_int_equal(tt_sched_channel_state(fx.s, 0, 0, true), -ENOENT);
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 1, 3, 0), 0);
	assert_int_equal(tt_sched_channel_state(fx.s, 0, 3, true), -EINVAL);
	assert_int_equal(tt_sched_channel_state(fx.s, 1, 0, true), -EINVAL);
	assert_int_equal(tt_sched_channel_state(fx.s, 0, 0, true), 0);
	assert_int_equal(tt_sched_channel_state(fx.s, 0, 2, true), 0);
	for (int i = 0; i < 5; i++)
		submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 5);
	const uint16_t want[] = {0, 2, 0, 2, 0};
	for (int i = 0; i < 5; i++)
		assert_int_equal(fx.out.act[i].channel, want[i]);

	/* Channel 1 up, 0 down: 0 was used last, so 1 then 2. */
	assert_int_equal(tt_sched_channel_state(fx.s, 0, 1, true), 0);
	assert_int_equal(tt_sched_channel_state(fx.s, 0, 0, false), 0);
	submit(0);
	submit(0);
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 2);
	assert_int_equal(fx.out.act[0].channel, 1);
	assert_int_equal(fx.out.act[1].channel, 2);

	struct tt_sched_worker_info wi;
	assert_int_equal(tt_sched_worker(fx.s, 0, &wi), 0);
	assert_int_equal(wi.up_mask, 0x6);
	assert_int_equal(wi.nchannels, 3);
	assert_int_equal(tt_sched_worker(fx.s, 1, &wi), -EINVAL);
}

/* One dispatch fills at most one out-struct; the rest waits. */
static void test_dispatch_bounded_by_out(void **state)
{
	(void)state;
	make(100, 1, 100, false);
	worker_up(0, 1, 1, 0);
	for (int i = 0; i < 70; i++)
		submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), TT_SCHED_OUT_MAX);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 0);
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 70 - TT_SCHED_OUT_MAX);
	assert_int_equal(outstanding(0), 70);
}

static void test_commit(void **state)
{
	(void)state;
	make(4, 1, 4, false);
	worker_up(0, 1, 1, 0);
	uint64_t id = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(1), &fx.out), 1);

	assert_int_equal(tt_sched_result(fx.s, 0, id, 1, TT_TMSG_ST_BAD_PAYLOAD, NOW(9)),
			 TT_SCHED_COMMIT);
	struct tt_sched_task_info ti = info(id);
	assert_int_equal(ti.state, TT_SCHED_S_COMMITTED);
	assert_int_equal(ti.status, TT_TMSG_ST_BAD_PAYLOAD);
	assert_true(ti.end_ns == NOW(9));
	assert_int_equal(outstanding(0), 0);
	assert_int_equal(ctr()->results[TT_SCHED_COMMIT], 1);
	assert_int_equal(ctr()->stale, 0);
	assert_int_equal(ctr()->epochs_bypassed, 0);
	expect_ev(3, TT_SCHED_EV_RESULT_COMMIT, id, 0, 1, TT_TMSG_ST_BAD_PAYLOAD, NOW(9));
}

/*
 * A BUSY result (the worker's table is smaller than max_outstanding) is not
 * a commit: the task goes back to PENDING under a new epoch, and the worker
 * is held to what it holds until it re-joins.
 */
static void test_busy_requeues(void **state)
{
	struct tt_sched_worker_info wi;
	uint64_t a, b, c;

	(void)state;
	make(8, 2, 4, false);
	worker_up(0, 1, 1, 0);
	a = submit(0);
	b = submit(0);
	c = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(1), &fx.out), 3);
	assert_int_equal(outstanding(0), 3);
	/* The worker holds two; the third was refused. */
	assert_int_equal(tt_sched_result(fx.s, 0, c, 1, TT_TMSG_ST_BUSY, NOW(2)), TT_SCHED_COMMIT);
	assert_int_equal(info(c).state, TT_SCHED_S_PENDING);
	assert_int_equal(info(c).epoch, 2);
	assert_int_equal(ctr()->busy_requeued, 1);
	assert_int_equal(ctr()->results[TT_SCHED_COMMIT], 0);
	assert_int_equal(tt_sched_worker(fx.s, 0, &wi), 0);
	assert_int_equal(wi.outstanding, 2);
	assert_int_equal(wi.cap, 2);
	expect_ev(tt_sched_log_len(fx.s) - 1, TT_SCHED_EV_RESULT_BUSY, c, 0, 1, TT_TMSG_ST_BUSY,
		  NOW(2));
	/* Held to two: nothing goes to it while it holds two. */
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(3), &fx.out), 0);
	/* A repeated BUSY of the old attempt is stale and changes nothing. */
	assert_int_equal(tt_sched_result(fx.s, 0, c, 1, TT_TMSG_ST_BUSY, NOW(4)),
			 TT_SCHED_STALE_WRONG_EPOCH);
	assert_int_equal(info(c).state, TT_SCHED_S_PENDING);
	/* One finishes: room again, the task goes out under epoch 2. */
	assert_int_equal(tt_sched_result(fx.s, 0, a, 1, TT_TMSG_ST_OK, NOW(5)), TT_SCHED_COMMIT);
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(6), &fx.out), 1);
	assert_int_equal(info(c).state, TT_SCHED_S_ASSIGNED);
	assert_int_equal(tt_sched_result(fx.s, 0, c, 2, TT_TMSG_ST_OK, NOW(7)), TT_SCHED_COMMIT);
	assert_int_equal(info(c).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(info(c).status, TT_TMSG_ST_OK);
	assert_int_equal(info(b).state, TT_SCHED_S_ASSIGNED);
	assert_int_equal(replay_stale_commits(), 0);
	/* A re-join forgets the learned capacity. */
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 2, 1, NOW(8)), 0);
	assert_int_equal(tt_sched_worker(fx.s, 0, &wi), 0);
	assert_int_equal(wi.cap, 0);
}

static void expect_stale(uint32_t w, uint64_t id, uint32_t epoch, enum tt_sched_verdict why)
{
	uint64_t before = ctr()->results[why];
	uint32_t at = tt_sched_log_len(fx.s);

	assert_string_equal(tt_sched_verdict_name(tt_sched_result(fx.s, w, id, epoch, 0, NOW(50))),
			    tt_sched_verdict_name(why));
	assert_int_equal(ctr()->results[why], before + 1);
	expect_ev(at, TT_SCHED_EV_RESULT_STALE, id, w, epoch, (uint16_t)why, NOW(50));
}

/* Each stale reason, and that none of them changes the task. */
static void test_stale_each_reason(void **state)
{
	(void)state;
	make(8, 3, 4, false);
	worker_up(0, 1, 1, 0);
	worker_up(1, 1, 1, 0);
	uint64_t a = submit(0), b = submit(0), c = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 3); /* a,c -> 0; b -> 1 */
	assert_int_equal(info(a).worker, 0);
	assert_int_equal(info(b).worker, 1);

	expect_stale(0, 77, 1, TT_SCHED_STALE_UNKNOWN_TASK);
	expect_stale(0, 0, 1, TT_SCHED_STALE_UNKNOWN_TASK);
	/* The id a's slot gets when reused: not issued yet. */
	expect_stale(0, (1ull << 32) | a, 1, TT_SCHED_STALE_UNKNOWN_TASK);
	expect_stale(1, a, 1, TT_SCHED_STALE_WRONG_WORKER);
	expect_stale(7, a, 1, TT_SCHED_STALE_WRONG_WORKER);
	expect_stale(0, a, 2, TT_SCHED_STALE_WRONG_EPOCH);
	assert_int_equal(info(a).state, TT_SCHED_S_ASSIGNED);
	assert_int_equal(outstanding(0), 2);

	assert_int_equal(tt_sched_result(fx.s, 0, a, 1, 0, NOW(10)), TT_SCHED_COMMIT);
	expect_stale(0, a, 1, TT_SCHED_STALE_ALREADY_COMMITTED);
	assert_int_equal(info(a).status, 0);
	assert_true(info(a).end_ns == NOW(10));

	assert_int_equal(tt_sched_cancel(fx.s, b, NOW(11), &fx.out), 0);
	expect_stale(1, b, 1, TT_SCHED_STALE_CANCELLED);
	assert_int_equal(info(b).state, TT_SCHED_S_CANCELLING);

	/* Worker 0 dies: c is PENDING under epoch 2, nobody holds it. */
	worker_up(2, 1, 1, 0);
	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(20)), 1);
	expect_stale(0, c, 1, TT_SCHED_STALE_WRONG_EPOCH);
	expect_stale(0, c, 2, TT_SCHED_STALE_NOT_ASSIGNED);
	assert_int_equal(info(c).state, TT_SCHED_S_PENDING);

	assert_int_equal(ctr()->stale, 10);
	assert_int_equal(ctr()->results[TT_SCHED_COMMIT], 1);
}

/*
 * Worker dead: its tasks go back with a new epoch, to the front of the queue,
 * then land on the least-loaded live worker; the old attempt's result is stale.
 */
static void test_reschedule(void **state)
{
	(void)state;
	make(16, 3, 8, false);
	worker_up(0, 1, 1, 0);
	worker_up(1, 1, 1, 0);
	worker_up(2, 1, 1, 0);
	uint64_t t[6];
	for (int i = 0; i < 6; i++)
		t[i] = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(1), &fx.out), 6);
	/* w0: t0, t3; w1: t1, t4; w2: t2, t5. Worker 2 finishes t2. */
	assert_int_equal(tt_sched_result(fx.s, 2, t[2], 1, 0, NOW(2)), TT_SCHED_COMMIT);
	uint64_t late = submit(NOW(3));
	uint32_t log_at = tt_sched_log_len(fx.s);

	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(100)), 2);
	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(100)), -EALREADY);
	assert_int_equal(tt_sched_worker_dead(fx.s, 3, NOW(100)), -EINVAL);
	assert_int_equal(ctr()->rescheduled, 2);
	assert_int_equal(ctr()->workers_dead, 1);
	assert_int_equal(outstanding(0), 0);
	for (int i = 0; i < 6; i += 3) {
		struct tt_sched_task_info ti = info(t[i]);
		assert_int_equal(ti.state, TT_SCHED_S_PENDING);
		assert_int_equal(ti.epoch, 2);
		assert_int_equal(ti.attempts, 1);
	}
	expect_ev(log_at, TT_SCHED_EV_WORKER_DEAD, 0, 0, 1, 2, NOW(100));
	expect_ev(log_at + 1, TT_SCHED_EV_RESCHEDULE, t[3], 0, 2, 0, NOW(100));
	expect_ev(log_at + 2, TT_SCHED_EV_RESCHEDULE, t[0], 0, 2, 0, NOW(100));
	assert_int_equal(tt_sched_pending(fx.s), 3);

	/* Rescheduled first (t0, t3), then `late`; worker 2 (1 outstanding) before worker 1 (2). */
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(101), &fx.out), 3);
	assert_true(fx.out.act[0].msg.task_id == t[0]);
	assert_int_equal(fx.out.act[0].worker, 2);
	assert_int_equal(fx.out.act[0].msg.epoch, 2);
	assert_true(fx.out.act[1].msg.task_id == t[3]);
	assert_int_equal(fx.out.act[1].worker, 1); /* 2 vs 2: lowest id */
	assert_int_equal(fx.out.act[1].msg.epoch, 2);
	assert_true(fx.out.act[2].msg.task_id == late);
	assert_int_equal(fx.out.act[2].worker, 2);
	assert_int_equal(fx.out.act[2].msg.epoch, 1);
	struct tt_sched_task_info ti = info(t[0]);
	assert_int_equal(ti.attempts, 2);
	assert_true(ti.first_assign_ns == NOW(1));
	assert_true(ti.last_assign_ns == NOW(101));

	/* The paused worker 0 wakes and reports t0: stale; worker 2's counts. */
	expect_stale(0, t[0], 1, TT_SCHED_STALE_WRONG_WORKER);
	assert_int_equal(tt_sched_result(fx.s, 2, t[0], 2, 0, NOW(120)), TT_SCHED_COMMIT);
	assert_int_equal(replay_stale_commits(), 0);
}

/* The same worker back under a new epoch: its old attempt is WRONG_EPOCH. */
static void test_rejoin_same_worker_wrong_epoch(void **state)
{
	(void)state;
	make(4, 1, 4, false);
	worker_up(0, 1, 1, 0);
	uint64_t id = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 1);
	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(10)), 1);
	/* A dead worker must come back under a newer epoch. */
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 1, 1, NOW(11)), -ESTALE);
	worker_up(0, 2, 1, NOW(12));
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(12), &fx.out), 1);
	assert_int_equal(fx.out.act[0].worker, 0);
	assert_int_equal(fx.out.act[0].msg.epoch, 2);
	expect_stale(0, id, 1, TT_SCHED_STALE_WRONG_EPOCH);
	assert_int_equal(tt_sched_result(fx.s, 0, id, 2, 0, NOW(60)), TT_SCHED_COMMIT);
}

static void test_worker_up_rules(void **state)
{
	(void)state;
	make(4, 2, 4, false);
	assert_int_equal(tt_sched_worker_up(fx.s, 2, 1, 1, 0), -EINVAL);
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 0, 1, 0), -EINVAL);
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 1, 0, 0), -EINVAL);
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 1, TT_SCHED_MAX_CHANNELS + 1, 0), -EINVAL);
	worker_up(0, 5, TT_SCHED_MAX_CHANNELS, 0);
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 5, 1, 0), -EALREADY);
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 4, 1, 0), -ESTALE);

	/* Live under a newer epoch: it fenced and re-joined unnoticed; take its tasks back. */
	uint64_t id = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 1);
	assert_int_equal(fx.out.act[0].channel, 0);
	assert_int_equal(tt_sched_worker_up(fx.s, 0, 6, 2, NOW(5)), 0);
	assert_int_equal(ctr()->workers_dead, 1);
	assert_int_equal(ctr()->workers_up, 2);
	assert_int_equal(info(id).state, TT_SCHED_S_PENDING);
	assert_int_equal(info(id).epoch, 2);
	struct tt_sched_worker_info wi;
	assert_int_equal(tt_sched_worker(fx.s, 0, &wi), 0);
	assert_true(wi.live);
	assert_int_equal(wi.epoch, 6);
	assert_int_equal(wi.nchannels, 2);
	assert_int_equal(wi.up_mask, 0);
	assert_int_equal(wi.outstanding, 0);
	uint32_t n = tt_sched_log_len(fx.s);
	expect_ev(n - 3, TT_SCHED_EV_WORKER_DEAD, 0, 0, 5, 1, NOW(5));
	expect_ev(n - 2, TT_SCHED_EV_RESCHEDULE, id, 0, 2, 0, NOW(5));
	expect_ev(n - 1, TT_SCHED_EV_WORKER_UP, 0, 0, 6, 2, NOW(5));
}

static void test_cancel_pending(void **state)
{
	(void)state;
	make(4, 1, 4, false);
	uint64_t id = submit(0);
	assert_int_equal(tt_sched_cancel(fx.s, id, NOW(3), &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	assert_int_equal(info(id).state, TT_SCHED_S_CANCELLED);
	assert_true(info(id).end_ns == NOW(3));
	assert_int_equal(tt_sched_pending(fx.s), 0);
	assert_int_equal(tt_sched_cancel(fx.s, id, NOW(3), &fx.out), -EALREADY);
	assert_int_equal(tt_sched_cancel(fx.s, 42, NOW(3), &fx.out), -ENOENT);
	expect_ev(1, TT_SCHED_EV_CANCEL, id, TT_SCHED_NO_WORKER, 1, TT_SCHED_CANCEL_PENDING,
		  NOW(3));
	expect_ev(2, TT_SCHED_EV_CANCELLED, id, TT_SCHED_NO_WORKER, 1, TT_SCHED_END_WAS_PENDING,
		  NOW(3));
	/* Never placed later. */
	worker_up(0, 1, 1, 0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 0);
	assert_int_equal(ctr()->cancels[TT_SCHED_CANCEL_PENDING], 1);
	assert_int_equal(ctr()->cancelled[TT_SCHED_END_WAS_PENDING], 1);
}

static void test_cancel_assigned_ack(void **state)
{
	(void)state;
	make(4, 2, 1, false);
	worker_up(0, 1, 2, 0);
	uint64_t a = submit(0), b = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 1); /* max_outstanding 1 */
	fx.out.n = 0;

	assert_int_equal(tt_sched_cancel(fx.s, a, NOW(4), &fx.out), 0);
	assert_int_equal(fx.out.n, 1);
	assert_int_equal(fx.out.act[0].worker, 0);
	assert_int_equal(fx.out.act[0].channel, 0);
	assert_int_equal(fx.out.act[0].msg.type, TT_TMSG_CANCEL);
	assert_true(fx.out.act[0].msg.task_id == a);
	assert_int_equal(fx.out.act[0].msg.epoch, 1);
	assert_int_equal(info(a).state, TT_SCHED_S_CANCELLING);
	assert_int_equal(tt_sched_cancel(fx.s, a, NOW(4), &fx.out), -EALREADY);
	/* Still outstanding until acknowledged: b cannot be placed yet. */
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(4), &fx.out), 0);

	assert_int_equal(tt_sched_cancel_ack(fx.s, 1, a, 1, 0, NOW(5)), -ESTALE);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, a, 2, 0, NOW(5)), -ESTALE);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, b, 1, 0, NOW(5)), -ESTALE);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, 99, 1, 0, NOW(5)), -ESTALE);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, a, 1, TT_TMSG_CANCEL_OUTCOME_MAX, NOW(5)),
			 -ESTALE);
	assert_int_equal(ctr()->cancel_ack_stale, 5);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, a, 1, TT_TMSG_CANCEL_ABORTED, NOW(6)), 0);
	assert_int_equal(info(a).state, TT_SCHED_S_CANCELLED);
	assert_true(info(a).end_ns == NOW(6));
	assert_int_equal(outstanding(0), 0);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, a, 1, 0, NOW(7)), -ESTALE);
	assert_int_equal(ctr()->cancel_acks[TT_TMSG_CANCEL_ABORTED], 1);
	assert_int_equal(ctr()->cancelled[TT_SCHED_END_ACK], 1);
	assert_int_equal(ctr()->cancels[TT_SCHED_CANCEL_SENT], 1);
	uint32_t n = tt_sched_log_len(fx.s);
	expect_ev(n - 2, TT_SCHED_EV_CANCEL, a, 0, 1, TT_SCHED_CANCEL_SENT, NOW(4));
	expect_ev(n - 1, TT_SCHED_EV_CANCELLED, a, 0, 1, TT_SCHED_END_ACK, NOW(6));

	/* The slot is free: b is placed, on the next channel. Cancel then commit races. */
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(8), &fx.out), 1);
	assert_int_equal(fx.out.act[0].channel, 1);
	fx.out.n = TT_SCHED_OUT_MAX;
	assert_int_equal(tt_sched_cancel(fx.s, b, NOW(9), &fx.out), -ENOBUFS);
	assert_int_equal(info(b).state, TT_SCHED_S_ASSIGNED);
	fx.out.n = 0;
	assert_int_equal(tt_sched_cancel(fx.s, b, NOW(9), &fx.out), 0);
	assert_int_equal(fx.out.act[0].channel, 1);
	/* It had already finished: the result is dropped, the NOT_HELD ack ends it. */
	expect_stale(0, b, 1, TT_SCHED_STALE_CANCELLED);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, b, 1, TT_TMSG_CANCEL_NOT_HELD, NOW(10)), 0);
	assert_int_equal(info(b).state, TT_SCHED_S_CANCELLED);
	assert_int_equal(ctr()->cancel_acks[TT_TMSG_CANCEL_NOT_HELD], 1);
	assert_int_equal(tt_sched_cancel(fx.s, b, NOW(11), &fx.out), -EALREADY);
}

/*
 * The seed's point: the task's channel is down, so the CANCEL cannot go. The
 * fence path ends the task on its worker; it is never run anywhere else.
 */
static void test_cancel_undeliverable_fence_ends_it(void **state)
{
	(void)state;
	make(4, 2, 4, false);
	worker_up(0, 1, 1, 0);
	uint64_t id = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 1);
	worker_up(1, 1, 1, 0);

	assert_int_equal(tt_sched_channel_state(fx.s, 0, 0, false), 0);
	fx.out.n = 0;
	assert_int_equal(tt_sched_cancel(fx.s, id, NOW(10), &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	assert_int_equal(info(id).state, TT_SCHED_S_CANCELLING);
	assert_int_equal(ctr()->cancels[TT_SCHED_CANCEL_DEFERRED], 1);

	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(500)), 1);
	assert_int_equal(info(id).state, TT_SCHED_S_CANCELLED);
	assert_true(info(id).end_ns == NOW(500));
	assert_int_equal(info(id).epoch, 1);
	assert_int_equal(ctr()->rescheduled, 0);
	assert_int_equal(ctr()->cancelled[TT_SCHED_END_WORKER_DEAD], 1);
	/* Worker 1 is live and idle, and still gets nothing. */
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(501), &fx.out), 0);
	assert_int_equal(tt_sched_pending(fx.s), 0);
	uint32_t n = tt_sched_log_len(fx.s);
	expect_ev(n - 3, TT_SCHED_EV_CANCEL, id, 0, 1, TT_SCHED_CANCEL_DEFERRED, NOW(10));
	expect_ev(n - 2, TT_SCHED_EV_WORKER_DEAD, 0, 0, 1, 1, NOW(500));
	expect_ev(n - 1, TT_SCHED_EV_CANCELLED, id, 0, 1, TT_SCHED_END_WORKER_DEAD, NOW(500));
	for (uint32_t i = 0; i < n; i++)
		assert_true(fx.log[i].kind != TT_SCHED_EV_ASSIGN || fx.log[i].worker == 0);
}

/*
 * The paused-worker schedule, with and without the knob: without it the
 * late result is stale; with it, it commits and the log replay catches it.
 */
static void paused_worker(bool no_epochs)
{
	make(4, 2, 4, no_epochs);
	worker_up(0, 1, 1, 0);
	uint64_t id = submit(0);
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 1);
	worker_up(1, 1, 1, 0);
	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(100)), 1);
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(100), &fx.out), 1);
	assert_int_equal(fx.out.act[0].worker, 1);
	/* Worker 0 wakes from its pause and sends the old attempt's result. */
	enum tt_sched_verdict v = tt_sched_result(fx.s, 0, id, 1, 0, NOW(200));
	enum tt_sched_verdict v2 = tt_sched_result(fx.s, 1, id, 2, 0, NOW(210));
	if (no_epochs) {
		assert_int_equal(v, TT_SCHED_COMMIT);
		assert_int_equal(v2, TT_SCHED_STALE_ALREADY_COMMITTED);
		assert_int_equal(ctr()->epochs_bypassed, 1);
		assert_int_equal(replay_stale_commits(), 1);
	} else {
		assert_int_equal(v, TT_SCHED_STALE_WRONG_WORKER);
		assert_int_equal(v2, TT_SCHED_COMMIT);
		assert_int_equal(ctr()->epochs_bypassed, 0);
		assert_int_equal(replay_stale_commits(), 0);
	}
	assert_int_equal(info(id).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(outstanding(1), 0);
}

static void test_epochs_disabled_knob(void **state)
{
	(void)state;
	paused_worker(false);
	teardown(NULL);
	paused_worker(true);
	teardown(NULL);

	/* With the knob a PENDING task takes any result; terminal states still refuse. */
	make(4, 1, 4, true);
	uint64_t p = submit(0), q = submit(0);
	assert_int_equal(tt_sched_result(fx.s, 9, p, 77, 0, NOW(1)), TT_SCHED_COMMIT);
	assert_int_equal(info(p).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(tt_sched_pending(fx.s), 1);
	expect_stale(9, p, 77, TT_SCHED_STALE_ALREADY_COMMITTED);
	assert_int_equal(tt_sched_cancel(fx.s, q, NOW(2), &fx.out), 0);
	expect_stale(0, q, 1, TT_SCHED_STALE_CANCELLED);
	expect_stale(0, 3, 1, TT_SCHED_STALE_UNKNOWN_TASK);
	assert_int_equal(ctr()->epochs_bypassed, 1);
}

static void test_table_full_and_release(void **state)
{
	(void)state;
	uint64_t id;

	make(2, 1, 4, false);
	worker_up(0, 1, 1, 0);
	uint64_t a = submit(0), b = submit(0);
	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, 4, 0, &id), -ENOSPC);
	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, 4, 0, &id), -ENOSPC);
	assert_int_equal(ctr()->submit_full, 2);
	assert_int_equal(ctr()->submitted, 2);

	assert_int_equal(tt_sched_release(fx.s, a), -EBUSY); /* PENDING */
	assert_int_equal(tt_sched_dispatch(fx.s, 0, &fx.out), 2);
	assert_int_equal(tt_sched_release(fx.s, a), -EBUSY); /* ASSIGNED */
	assert_int_equal(tt_sched_release(fx.s, 5), -ENOENT);
	assert_int_equal(tt_sched_result(fx.s, 0, a, 1, 0, NOW(1)), TT_SCHED_COMMIT);
	assert_int_equal(tt_sched_release(fx.s, a), 0);
	assert_int_equal(tt_sched_release(fx.s, a), -ENOENT);
	assert_int_equal(ctr()->released, 1);

	/* The slot comes back with a new id; the old one is unknown from now on. */
	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, 4, 0, &id), 0);
	assert_true(id == ((1ull << 32) | a));
	assert_int_equal(tt_sched_task(fx.s, a, &(struct tt_sched_task_info){0}), -ENOENT);
	expect_stale(0, a, 1, TT_SCHED_STALE_UNKNOWN_TASK);
	assert_int_equal(info(id).state, TT_SCHED_S_PENDING);
	assert_int_equal(info(id).attempts, 0);
	assert_int_equal(info(b).state, TT_SCHED_S_ASSIGNED);
	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, 4, 0, &id), -ENOSPC);
}

/* A full log drops and counts, never overwrites. */
static void test_log_full(void **state)
{
	(void)state;
	struct tt_sched_event small[3];
	struct tt_sched_config cfg = {.max_tasks = 8, .max_workers = 1, .max_outstanding = 1,
				      .log = small, .log_cap = 3};
	struct tt_sched *s = tt_sched_create(&cfg);
	uint64_t id;

	assert_non_null(s);
	for (int i = 0; i < 5; i++)
		assert_int_equal(tt_sched_submit(s, "spin", payload, 4, NOW(i), &id), 0);
	assert_int_equal(tt_sched_log_len(s), 3);
	assert_int_equal(tt_sched_counters(s)->log_dropped, 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(small[i].kind, TT_SCHED_EV_SUBMIT);
		assert_true(small[i].task_id == (uint64_t)i + 1);
	}
	tt_sched_destroy(s);

	/* No log at all: everything counts as dropped. */
	cfg.log = NULL;
	cfg.log_cap = 0;
	s = tt_sched_create(&cfg);
	assert_non_null(s);
	assert_int_equal(tt_sched_submit(s, "spin", payload, 4, 0, &id), 0);
	assert_int_equal(tt_sched_log_len(s), 0);
	assert_int_equal(tt_sched_counters(s)->log_dropped, 1);
	tt_sched_destroy(s);
}

/* One whole life in the log, event by event. */
static void test_log_sequence(void **state)
{
	(void)state;
	make(4, 2, 4, false);
	uint64_t id = submit(NOW(1));
	worker_up(0, 3, 1, NOW(2));
	worker_up(1, 4, 1, NOW(2));
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(3), &fx.out), 1);
	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(4)), 1);
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(5), &fx.out), 1);
	expect_stale(0, id, 1, TT_SCHED_STALE_WRONG_WORKER);
	assert_int_equal(tt_sched_result(fx.s, 1, id, 2, 0, NOW(60)), TT_SCHED_COMMIT);

	assert_int_equal(tt_sched_log_len(fx.s), 9);
	expect_ev(0, TT_SCHED_EV_SUBMIT, id, TT_SCHED_NO_WORKER, 1, 0, NOW(1));
	expect_ev(1, TT_SCHED_EV_WORKER_UP, 0, 0, 3, 1, NOW(2));
	expect_ev(2, TT_SCHED_EV_WORKER_UP, 0, 1, 4, 1, NOW(2));
	expect_ev(3, TT_SCHED_EV_ASSIGN, id, 0, 1, 0, NOW(3));
	expect_ev(4, TT_SCHED_EV_WORKER_DEAD, 0, 0, 3, 1, NOW(4));
	expect_ev(5, TT_SCHED_EV_RESCHEDULE, id, 0, 2, 0, NOW(4));
	expect_ev(6, TT_SCHED_EV_ASSIGN, id, 1, 2, 0, NOW(5));
	expect_ev(7, TT_SCHED_EV_RESULT_STALE, id, 0, 1, TT_SCHED_STALE_WRONG_WORKER, NOW(50));
	expect_ev(8, TT_SCHED_EV_RESULT_COMMIT, id, 1, 2, TT_TMSG_ST_OK, NOW(60));
	assert_int_equal(ctr()->log_dropped, 0);
}

/* ---- journal hooks and restore (issue 7) ---- */

#define JCAP 32

/* A journal hook that keeps the records (pointers and all) and is done up to `done`. */
struct fake_journal {
	struct tt_jrnl_rec rec[JCAP];
	uint32_t n;
	uint64_t done; /* tickets <= done are done */
	bool refuse;   /* append says no room */
	uint32_t calls;
};

static struct fake_journal fj;

static int fj_append(void *arg, const struct tt_jrnl_rec *rec, uint64_t *ticket)
{
	struct fake_journal *j = arg;

	j->calls++;
	if (j->refuse || j->n == JCAP)
		return -ENOBUFS;
	j->rec[j->n++] = *rec;
	*ticket = j->n;
	return 0;
}

static bool fj_done(void *arg, uint64_t ticket)
{
	return ticket <= ((struct fake_journal *)arg)->done;
}

static struct tt_sched_persist persist;

static void make_journaled(uint32_t tasks, uint32_t workers, const struct tt_jrnl_task *restore,
			   uint32_t n_restore, uint32_t epoch_base)
{
	memset(&fj, 0, sizeof(fj));
	persist = (struct tt_sched_persist){
		.append = fj_append,
		.done = fj_done,
		.arg = &fj,
		.restore = restore,
		.n_restore = n_restore,
		.epoch_base = epoch_base,
	};
	memset(&fx, 0, sizeof(fx));
	fx.cfg = (struct tt_sched_config){
		.max_tasks = tasks,
		.max_workers = workers,
		.max_outstanding = 8,
		.log = fx.log,
		.log_cap = LOG_CAP,
		.persist = &persist,
	};
	fx.s = tt_sched_create(&fx.cfg);
	assert_non_null(fx.s);
}

static void expect_rec(uint32_t i, enum tt_jrnl_type type, uint64_t task, uint32_t epoch,
		       uint32_t worker, uint8_t status)
{
	const struct tt_jrnl_rec *r = &fj.rec[i];

	assert_true(i < fj.n);
	assert_string_equal(tt_jrnl_type_name(r->type), tt_jrnl_type_name(type));
	assert_true(r->task_id == task);
	assert_int_equal(r->epoch, epoch);
	assert_int_equal(r->worker, worker);
	assert_int_equal(r->status, status);
}

static void assign_one(uint32_t w, tt_ns_t now)
{
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, now, &fx.out), 1);
	assert_int_equal(fx.out.act[0].worker, w);
}

/* Every final transition is journaled, in order; a release waits for its end record. */
static void test_journal_records_and_release_waits(void **state)
{
	(void)state;
	make_journaled(8, 2, NULL, 0, 0x30000);
	uint64_t a = submit(NOW(1));
	uint64_t b = submit(NOW(2));
	uint64_t c = submit(NOW(3));

	assert_int_equal(fj.n, 3);
	expect_rec(0, TT_JRNL_SUBMIT, a, 0, 0, 0);
	assert_int_equal(fj.rec[0].handler_len, 4);
	assert_memory_equal(fj.rec[0].handler, "echo", 4);
	assert_ptr_equal(fj.rec[0].payload, payload);
	assert_int_equal(fj.rec[0].payload_len, sizeof(payload));
	/* New tasks start above the epoch base. */
	assert_int_equal(info(a).epoch, 0x30001);

	/* Pending b cancelled: CANCELLED, never assigned. */
	fx.out.n = 0;
	assert_int_equal(tt_sched_cancel(fx.s, b, NOW(4), &fx.out), 0);
	expect_rec(3, TT_JRNL_CANCELLED, b, 0x30001, TT_JRNL_NO_WORKER, TT_SCHED_END_WAS_PENDING);

	worker_up(0, 7, 1, NOW(5));
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(6), &fx.out), 2);
	assert_int_equal(fj.n, 4); /* ASSIGN is not journaled */
	assert_int_equal(tt_sched_result(fx.s, 0, a, 0x30001, TT_TMSG_ST_OK, NOW(7)),
			 TT_SCHED_COMMIT);
	expect_rec(4, TT_JRNL_COMMIT, a, 0x30001, 0, TT_TMSG_ST_OK);
	/* A stale RESULT writes nothing. */
	assert_int_equal(tt_sched_result(fx.s, 0, a, 0x30001, TT_TMSG_ST_OK, NOW(8)),
			 TT_SCHED_STALE_ALREADY_COMMITTED);
	assert_int_equal(fj.n, 5);

	/* Not done yet: the commit is not released (reported) before its record is. */
	fj.done = 4;
	assert_int_equal(tt_sched_release(fx.s, a), -EAGAIN);
	assert_int_equal(ctr()->release_not_done, 1);
	assert_int_equal(info(a).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(tt_sched_release(fx.s, b), 0); /* ticket 4 is done */
	fj.done = 5;
	assert_int_equal(tt_sched_release(fx.s, a), 0);
	assert_int_equal(ctr()->released, 2);

	/* c: cancelling, then its owner dies: CANCELLED by the fence. */
	fx.out.n = 0;
	assert_int_equal(tt_sched_cancel(fx.s, c, NOW(9), &fx.out), 0);
	assert_int_equal(fj.n, 5);
	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(10)), 1);
	expect_rec(5, TT_JRNL_CANCELLED, c, 0x30001, 0, TT_SCHED_END_WORKER_DEAD);
	assert_int_equal(ctr()->journal_lost, 0);
	assert_int_equal(ctr()->journal_refused, 0);
}

/* A cancel acknowledged by the owner, and a reschedule (not journaled) before a commit. */
static void test_journal_cancel_ack_and_reschedule(void **state)
{
	(void)state;
	make_journaled(4, 2, NULL, 0, 0x10000);
	uint64_t a = submit(NOW(1));
	uint64_t b = submit(NOW(2));

	worker_up(0, 1, 1, NOW(3));
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(4), &fx.out), 2);
	fx.out.n = 0;
	assert_int_equal(tt_sched_cancel(fx.s, a, NOW(5), &fx.out), 0);
	assert_int_equal(tt_sched_cancel_ack(fx.s, 0, a, 0x10001, 0, NOW(6)), 0);
	expect_rec(2, TT_JRNL_CANCELLED, a, 0x10001, 0, TT_SCHED_END_ACK);
	/* b taken back and placed on worker 1 under the next epoch: one COMMIT, that epoch. */
	assert_int_equal(tt_sched_worker_dead(fx.s, 0, NOW(7)), 1);
	assert_int_equal(fj.n, 3);
	worker_up(1, 1, 1, NOW(8));
	assign_one(1, NOW(9));
	assert_int_equal(tt_sched_result(fx.s, 1, b, 0x10002, TT_TMSG_ST_OK, NOW(10)),
			 TT_SCHED_COMMIT);
	expect_rec(3, TT_JRNL_COMMIT, b, 0x10002, 1, TT_TMSG_ST_OK);
	assert_int_equal(fj.n, 4);
}

/* A journal without room refuses the submit and nothing changes; the id is not used. */
static void test_journal_full_refuses_submit(void **state)
{
	(void)state;
	uint64_t id = 0;

	make_journaled(4, 1, NULL, 0, 0);
	fj.refuse = true;
	assert_int_equal(tt_sched_submit(fx.s, "echo", payload, sizeof(payload), NOW(1), &id),
			 -EAGAIN);
	assert_int_equal(ctr()->journal_refused, 1);
	assert_int_equal(ctr()->submitted, 0);
	assert_int_equal(tt_sched_pending(fx.s), 0);
	assert_int_equal(tt_sched_log_len(fx.s), 0);
	fj.refuse = false;
	assert_true(submit(NOW(2)) == 1);
	assert_int_equal(info(1).epoch, 1);

	/*
	 * An end the journal refuses is counted (never silent) and never done:
	 * the task is not released as if its commit were durable, even after
	 * the journal works again.
	 */
	worker_up(0, 1, 1, NOW(3));
	assign_one(0, NOW(4));
	fj.refuse = true;
	assert_int_equal(tt_sched_result(fx.s, 0, 1, 1, TT_TMSG_ST_OK, NOW(5)), TT_SCHED_COMMIT);
	assert_int_equal(ctr()->journal_lost, 1);
	fj.done = UINT64_MAX - 1;
	assert_int_equal(tt_sched_release(fx.s, 1), -EAGAIN);
	assert_int_equal(info(1).state, TT_SCHED_S_COMMITTED);
	fj.done = 0;

	/* The record's handler is the table's copy: the caller's string may go at once. */
	char h[] = "crc32";
	uint64_t d;

	fj.refuse = false;
	assert_int_equal(tt_sched_submit(fx.s, h, NULL, 0, NOW(6), &d), 0);
	memset(h, 'x', sizeof(h) - 1);
	assert_int_equal(fj.rec[fj.n - 1].type, TT_JRNL_SUBMIT);
	assert_int_equal(fj.rec[fj.n - 1].handler_len, 5);
	assert_memory_equal(fj.rec[fj.n - 1].handler, "crc32", 5);
}

/* Replayed tasks: ids, states, order, epochs, the id floor, the reaping. */
static const uint8_t rp1[] = {9, 9};
static const uint8_t rp2[] = {7};

static void test_restore(void **state)
{
	(void)state;
	const struct tt_jrnl_task rt[] = {
		/* committed in an earlier generation: not in the table, its id still counts */
		{.task_id = 5ull << 32 | 1,
		 .state = TT_JRNL_T_COMMITTED,
		 .handler = "echo",
		 .handler_len = 4,
		 .epoch = 0x10001,
		 .worker = 0},
		{.task_id = 3,
		 .state = TT_JRNL_T_PENDING,
		 .handler = "crc32",
		 .handler_len = 5,
		 .payload = rp1,
		 .payload_len = sizeof(rp1)},
		{.task_id = 2ull << 32 | 2,
		 .state = TT_JRNL_T_PENDING,
		 .handler = "spin",
		 .handler_len = 4,
		 .payload = rp2,
		 .payload_len = sizeof(rp2)},
		{.task_id = 4,
		 .state = TT_JRNL_T_CANCELLED,
		 .handler = "echo",
		 .handler_len = 4,
		 .epoch = 1,
		 .worker = TT_JRNL_NO_WORKER},
	};
	struct tt_sched_task_info ti;
	uint64_t id2 = 2ull << 32 | 2;

	make_journaled(4, 1, rt, 4, 0x20000);
	assert_int_equal(ctr()->restored, 2);
	assert_int_equal(tt_sched_pending(fx.s), 2);
	assert_int_equal(fj.n, 0); /* nothing journaled again */
	ti = info(3);
	assert_int_equal(ti.state, TT_SCHED_S_PENDING);
	assert_int_equal(ti.epoch, 0x20001);
	assert_true(ti.restored);
	assert_int_equal(info(id2).epoch, 0x20001);
	/* Committed and cancelled replayed tasks are not in the table: a late RESULT is stale. */
	assert_int_equal(tt_sched_task(fx.s, 5ull << 32 | 1, &ti), -ENOENT);
	assert_int_equal(tt_sched_result(fx.s, 0, 5ull << 32 | 1, 0x10001, 0, NOW(1)),
			 TT_SCHED_STALE_UNKNOWN_TASK);

	/* New ids are above every replayed one: slots 1 and 4 free, reuse count 6. */
	uint64_t n1 = submit(NOW(2));
	uint64_t n2 = submit(NOW(3));

	assert_true(n1 == (6ull << 32 | 1));
	assert_true(n2 == (6ull << 32 | 4));
	assert_false(info(n1).restored);
	assert_int_equal(info(n1).epoch, 0x20001);
	uint64_t dummy;
	assert_int_equal(tt_sched_submit(fx.s, "echo", NULL, 0, NOW(4), &dummy), -ENOSPC);

	/* Restored tasks are placed first, in replay order, with their handler and payload. */
	worker_up(0, 3, 1, NOW(5));
	fx.out.n = 0;
	assert_int_equal(tt_sched_dispatch(fx.s, NOW(6), &fx.out), 4);
	assert_true(fx.out.act[0].msg.task_id == 3);
	assert_int_equal(fx.out.act[0].msg.handler_len, 5);
	assert_memory_equal(fx.out.act[0].msg.handler, "crc32", 5);
	assert_ptr_equal(fx.out.act[0].msg.payload, rp1);
	assert_true(fx.out.act[1].msg.task_id == id2);
	assert_int_equal(fx.out.act[1].msg.epoch, 0x20001);
	assert_true(fx.out.act[2].msg.task_id == n1);

	/* A restored task's commit is journaled; the table releases it once done. */
	assert_int_equal(tt_sched_result(fx.s, 0, 3, 0x20001, TT_TMSG_ST_OK, NOW(7)),
			 TT_SCHED_COMMIT);
	expect_rec(2, TT_JRNL_COMMIT, 3, 0x20001, 0, TT_TMSG_ST_OK);
	assert_int_equal(tt_sched_release(fx.s, 3), -EPERM);
	fx.out.n = 0;
	tt_sched_dispatch(fx.s, NOW(8), &fx.out);
	assert_int_equal(info(3).state, TT_SCHED_S_COMMITTED); /* not done: kept */
	assert_int_equal(ctr()->restored_reaped, 0);
	fj.done = 3;
	tt_sched_dispatch(fx.s, NOW(9), &fx.out);
	assert_int_equal(ctr()->restored_reaped, 1);
	assert_int_equal(tt_sched_task(fx.s, 3, &ti), -ENOENT);
	/* Its slot's next id is above the replayed ones too. */
	uint64_t n3 = submit(NOW(10));
	assert_true(n3 == (6ull << 32 | 3));
	assert_int_equal(tt_sched_result(fx.s, 0, 3, 0x20001, TT_TMSG_ST_OK, NOW(11)),
			 TT_SCHED_STALE_UNKNOWN_TASK);
}

/* Replayed tasks that cannot have their slot: refused at create, with the reason. */
static void test_restore_refused(void **state)
{
	(void)state;
	const struct tt_jrnl_task big[] = {
		{.task_id = 9, .state = TT_JRNL_T_PENDING, .handler = "echo", .handler_len = 4},
	};
	const struct tt_jrnl_task twice[] = {
		{.task_id = 2, .state = TT_JRNL_T_PENDING, .handler = "echo", .handler_len = 4},
		{.task_id = 1ull << 32 | 2,
		 .state = TT_JRNL_T_PENDING,
		 .handler = "echo",
		 .handler_len = 4},
	};
	/* A committed task beyond max_tasks is fine: it does not enter the table. */
	const struct tt_jrnl_task big_done[] = {
		{.task_id = 9,
		 .state = TT_JRNL_T_COMMITTED,
		 .handler = "echo",
		 .handler_len = 4,
		 .epoch = 1},
	};
	struct tt_sched_persist p = {.restore = big, .n_restore = 1};
	struct tt_sched_config c = {
		.max_tasks = 8, .max_workers = 1, .max_outstanding = 1, .persist = &p};
	struct tt_sched *s;

	errno = 0;
	assert_null(tt_sched_create(&c));
	assert_int_equal(errno, ERANGE);
	p.restore = twice;
	p.n_restore = 2;
	assert_null(tt_sched_create(&c));
	assert_int_equal(errno, EEXIST);
	p.restore = big_done;
	p.n_restore = 1;
	s = tt_sched_create(&c);
	assert_non_null(s);
	tt_sched_destroy(s);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_sched_state_name(TT_SCHED_S_CANCELLING), "cancelling");
	assert_string_equal(tt_sched_state_name(TT_SCHED_S_MAX), "?");
	assert_string_equal(tt_sched_verdict_name(TT_SCHED_COMMIT), "COMMIT");
	assert_string_equal(tt_sched_verdict_name(TT_SCHED_STALE_WRONG_EPOCH), "WRONG_EPOCH");
	assert_string_equal(tt_sched_verdict_name(TT_SCHED_VERDICT_MAX), "?");
	assert_string_equal(tt_sched_event_name(TT_SCHED_EV_RESULT_STALE), "result-stale");
	assert_string_equal(tt_sched_event_name(TT_SCHED_EV_MAX), "?");
	assert_string_equal(tt_sched_cancel_route_name(TT_SCHED_CANCEL_DEFERRED),
			    "the task's channel is down: the owner's fence ends the task");
	assert_string_equal(tt_sched_cancel_end_name(TT_SCHED_END_ACK),
			    "the owner acknowledged the CANCEL");
	assert_string_equal(tt_sched_cancel_end_name(9), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rejects_bad_config),
		cmocka_unit_test_teardown(test_submit, teardown),
		cmocka_unit_test_teardown(test_assign_action, teardown),
		cmocka_unit_test_teardown(test_placement_least_loaded, teardown),
		cmocka_unit_test_teardown(test_channel_round_robin, teardown),
		cmocka_unit_test_teardown(test_dispatch_bounded_by_out, teardown),
		cmocka_unit_test_teardown(test_commit, teardown),
		cmocka_unit_test_teardown(test_busy_requeues, teardown),
		cmocka_unit_test_teardown(test_stale_each_reason, teardown),
		cmocka_unit_test_teardown(test_reschedule, teardown),
		cmocka_unit_test_teardown(test_rejoin_same_worker_wrong_epoch, teardown),
		cmocka_unit_test_teardown(test_worker_up_rules, teardown),
		cmocka_unit_test_teardown(test_cancel_pending, teardown),
		cmocka_unit_test_teardown(test_cancel_assigned_ack, teardown),
		cmocka_unit_test_teardown(test_cancel_undeliverable_fence_ends_it, teardown),
		cmocka_unit_test_teardown(test_epochs_disabled_knob, teardown),
		cmocka_unit_test_teardown(test_table_full_and_release, teardown),
		cmocka_unit_test(test_log_full),
		cmocka_unit_test_teardown(test_log_sequence, teardown),
		cmocka_unit_test_teardown(test_journal_records_and_release_waits, teardown),
		cmocka_unit_test_teardown(test_journal_cancel_ack_and_reschedule, teardown),
		cmocka_unit_test_teardown(test_journal_full_refuses_submit, teardown),
		cmocka_unit_test_teardown(test_restore, teardown),
		cmocka_unit_test(test_restore_refused),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
