/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's task runner: registry, reference handlers, spin on virtual
 * time, duplicates, refusals, cancel, fence (then no result, ever) and rejoin;
 * one task through both ends: sched -> wire -> runner -> wire -> sched; the
 * release order (due time, then acceptance), and a seeded run against a
 * scan-every-slot model of the task table.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "runner.h"
#include "scheduler.h"

#define US(n) tt_us_to_ns(n)

static struct tt_run *run;
static struct tt_run_out out;

static struct tt_run *make(uint32_t tasks, uint32_t max_result, uint32_t reply_cap)
{
	struct tt_run_config cfg = {
		.max_tasks = tasks,
		.max_handlers = 8,
		.max_result = max_result,
		.reply_cap = reply_cap,
		.epoch = 1,
	};

	memset(&out, 0, sizeof(out));
	run = tt_run_create(&cfg);
	assert_non_null(run);
	assert_int_equal(tt_run_register_reference(run), 0);
	return run;
}

static int teardown(void **state)
{
	(void)state;
	tt_run_destroy(run);
	run = NULL;
	return 0;
}

static struct tt_tmsg assign(uint64_t task, uint32_t epoch, const char *handler,
			     const uint8_t *payload, uint32_t len)
{
	return (struct tt_tmsg){
		.type = TT_TMSG_ASSIGN,
		.task_id = task,
		.epoch = epoch,
		.handler = handler,
		.handler_len = (uint8_t)strlen(handler),
		.payload = payload,
		.payload_len = len,
	};
}

static enum tt_run_verdict give(uint64_t task, uint32_t epoch, const char *handler,
				const uint8_t *payload, uint32_t len, uint16_t ch, tt_ns_t now)
{
	struct tt_tmsg m = assign(task, epoch, handler, payload, len);

	return tt_run_assign(run, &m, ch, now);
}

/* A spin task of `us` microseconds. */
static enum tt_run_verdict give_spin(uint64_t task, uint32_t epoch, uint32_t us, uint16_t ch,
				     tt_ns_t now)
{
	const uint8_t p[4] = {(uint8_t)(us >> 24), (uint8_t)(us >> 16), (uint8_t)(us >> 8),
			      (uint8_t)us};

	return give(task, epoch, "spin", p, 4, ch, now);
}

static void expect_result(uint32_t i, uint16_t ch, uint64_t task, uint32_t epoch,
			  enum tt_tmsg_status st, uint32_t len)
{
	const struct tt_run_send *s = &out.send[i];

	assert_true(i < out.n);
	assert_int_equal(s->channel, ch);
	assert_int_equal(s->msg.type, TT_TMSG_RESULT);
	assert_true(s->msg.task_id == task);
	assert_int_equal(s->msg.epoch, epoch);
	assert_string_equal(tt_tmsg_status_name(s->msg.status), tt_tmsg_status_name(st));
	assert_int_equal(s->msg.payload_len, len);
}

static enum tt_tmsg_status h_nop(void *ctx, struct tt_run_call *c)
{
	(void)ctx;
	(void)c;
	return TT_TMSG_ST_OK;
}

static void test_create_and_register(void **state)
{
	(void)state;
	struct tt_run_config ok = {.max_tasks = 2, .max_handlers = 4, .max_result = 16,
				   .reply_cap = 2, .epoch = 1};
	struct tt_run_config c;

	c = ok;
	c.max_tasks = 0;
	assert_null(tt_run_create(&c));
	assert_int_equal(errno, EINVAL);
	c = ok;
	c.max_handlers = 0;
	assert_null(tt_run_create(&c));
	c = ok;
	c.max_result = TT_TMSG_MAX_PAYLOAD + 1;
	assert_null(tt_run_create(&c));
	c = ok;
	c.reply_cap = 0;
	assert_null(tt_run_create(&c));
	c = ok;
	c.epoch = 0;
	assert_null(tt_run_create(&c));
	assert_null(tt_run_create(NULL));

	run = tt_run_create(&ok);
	assert_non_null(run);
	assert_int_equal(tt_run_epoch(run), 1);
	assert_false(tt_run_fenced(run));
	assert_int_equal(tt_run_register_reference(run), 0);
	assert_int_equal(tt_run_register_reference(run), -EEXIST);
	assert_int_equal(tt_run_register(run, "bad name", h_nop, NULL), -EINVAL);
	assert_int_equal(tt_run_register(run, "", h_nop, NULL), -EINVAL);
	assert_int_equal(tt_run_register(run, NULL, h_nop, NULL), -EINVAL);
	assert_int_equal(tt_run_register(run, "ok", NULL, NULL), -EINVAL);
	assert_int_equal(tt_run_register(run, "four", h_nop, NULL), 0);
	assert_int_equal(tt_run_register(run, "five", h_nop, NULL), -ENOSPC);
	tt_run_destroy(run);
	run = NULL;
	tt_run_destroy(NULL);
}

/* echo returns a copy: the ASSIGN's buffer may be gone by the time the RESULT leaves. */
static void test_echo(void **state)
{
	(void)state;
	uint8_t p[5] = {'h', 'e', 'l', 'l', 'o'};

	make(4, 64, 4);
	assert_int_equal(give(11, 3, "echo", p, 5, 2, US(10)), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_in_flight(run), 1);
	memset(p, 0, sizeof(p));
	assert_int_equal(tt_run_tick(run, US(10), &out), 1);
	expect_result(0, 2, 11, 3, TT_TMSG_ST_OK, 5);
	assert_memory_equal(out.send[0].msg.payload, "hello", 5);
	assert_int_equal(tt_run_in_flight(run), 0);
	assert_int_equal(tt_run_counters(run)->results_sent, 1);
	assert_int_equal(tt_run_counters(run)->assigns[TT_RUN_ACCEPTED], 1);
	/* Sent once only. */
	out.n = 0;
	assert_int_equal(tt_run_tick(run, US(99), &out), 0);

	/* An empty payload echoes empty. */
	assert_int_equal(give(12, 1, "echo", NULL, 0, 0, US(100)), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_tick(run, US(100), &out), 1);
	expect_result(0, 0, 12, 1, TT_TMSG_ST_OK, 0);
	assert_null(out.send[0].msg.payload);
}

static void test_crc32(void **state)
{
	(void)state;
	const uint8_t check[] = "123456789";

	assert_int_equal(tt_run_crc32(check, 9), 0xcbf43926u);
	assert_int_equal(tt_run_crc32(check, 0), 0);
	assert_int_equal(tt_run_crc32((const uint8_t *)"a", 1), 0xe8b7be43u);

	make(2, 64, 2);
	assert_int_equal(give(5, 1, "crc32", check, 9, 1, 0), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_tick(run, 0, &out), 1);
	expect_result(0, 1, 5, 1, TT_TMSG_ST_OK, 4);
	assert_memory_equal(out.send[0].msg.payload, ((uint8_t[]){0xcb, 0xf4, 0x39, 0x26}), 4);
}

/* spin holds its task N µs of virtual time: not one nanosecond less. */
static void test_spin_virtual_time(void **state)
{
	(void)state;
	tt_ns_t t0 = US(1000), dl;

	make(4, 64, 4);
	assert_int_equal(tt_run_next_deadline(run, &dl), -ENOENT);
	assert_int_equal(give_spin(7, 1, 250, 3, t0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(8, 1, 100, 0, t0 + US(10)), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_next_deadline(run, &dl), 0);
	assert_true(dl == t0 + US(110));

	assert_int_equal(tt_run_tick(run, t0 + US(110) - 1, &out), 0);
	assert_int_equal(tt_run_tick(run, t0 + US(110), &out), 1);
	expect_result(0, 0, 8, 1, TT_TMSG_ST_OK, 4);
	assert_int_equal(tt_run_next_deadline(run, &dl), 0);
	assert_true(dl == t0 + US(250));
	out.n = 0;
	assert_int_equal(tt_run_tick(run, t0 + US(250) - 1, &out), 0);
	assert_int_equal(tt_run_in_flight(run), 1);
	/* A late tick still releases it (first tick at or after the deadline). */
	assert_int_equal(tt_run_tick(run, t0 + US(400), &out), 1);
	expect_result(0, 3, 7, 1, TT_TMSG_ST_OK, 4);
	assert_memory_equal(out.send[0].msg.payload, ((uint8_t[]){0, 0, 0, 250}), 4);

	/* Too short to say how long: BAD_PAYLOAD at once, no payload. */
	out.n = 0;
	assert_int_equal(give(9, 1, "spin", (const uint8_t *)"ab", 2, 1, t0), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_tick(run, t0, &out), 1);
	expect_result(0, 1, 9, 1, TT_TMSG_ST_BAD_PAYLOAD, 0);
	assert_int_equal(tt_run_next_deadline(run, &dl), -ENOENT);
}

/* Duplicate ASSIGN is idempotent; a newer epoch replaces; an older one is refused. */
static void test_duplicates_and_epochs(void **state)
{
	(void)state;
	make(4, 64, 4);
	assert_int_equal(give_spin(1, 2, 100, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(1, 2, 5, 1, US(1)), TT_RUN_DUPLICATE);
	assert_int_equal(tt_run_in_flight(run), 1);
	assert_int_equal(tt_run_tick(run, US(99), &out), 0);
	assert_int_equal(tt_run_tick(run, US(100), &out), 1);
	expect_result(0, 0, 1, 2, TT_TMSG_ST_OK, 4);

	out.n = 0;
	assert_int_equal(give_spin(2, 1, 100, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(2, 3, 50, 1, US(10)), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(2, 2, 1, 1, US(10)), TT_RUN_STALE);
	assert_int_equal(tt_run_in_flight(run), 1);
	assert_int_equal(tt_run_tick(run, US(1000), &out), 1);
	expect_result(0, 1, 2, 3, TT_TMSG_ST_OK, 4);

	const struct tt_run_counters *c = tt_run_counters(run);
	assert_int_equal(c->assigns[TT_RUN_ACCEPTED], 3);
	assert_int_equal(c->assigns[TT_RUN_DUPLICATE], 1);
	assert_int_equal(c->assigns[TT_RUN_STALE], 1);
	assert_int_equal(c->superseded, 1);
	assert_int_equal(c->results_sent, 2);
}

/* Refusals the master must hear of are answered at the next tick, first. */
static void test_refusals(void **state)
{
	(void)state;
	struct tt_tmsg m = {.type = TT_TMSG_RESULT, .task_id = 1, .epoch = 1};

	make(2, 64, 2);
	assert_int_equal(give_spin(1, 1, 10, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(2, 1, 10, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(3, 4, 10, 1, 0), TT_RUN_FULL);
	assert_int_equal(give(4, 5, "nope", NULL, 0, 2, 0), TT_RUN_NO_HANDLER);
	assert_int_equal(give(5, 1, "nope", NULL, 0, 2, 0), TT_RUN_NO_HANDLER); /* queue full */
	assert_int_equal(tt_run_assign(run, &m, 0, 0), TT_RUN_NOT_ASSIGN);
	assert_int_equal(tt_run_assign(run, NULL, 0, 0), TT_RUN_NOT_ASSIGN);
	m = assign(6, 0, "echo", NULL, 0);
	assert_int_equal(tt_run_assign(run, &m, 0, 0), TT_RUN_NOT_ASSIGN);
	assert_int_equal(tt_run_counters(run)->replies_dropped, 1);

	tt_ns_t dl;
	assert_int_equal(tt_run_next_deadline(run, &dl), 0);
	assert_true(dl == 0);
	assert_int_equal(tt_run_tick(run, US(5), &out), 2);
	expect_result(0, 1, 3, 4, TT_TMSG_ST_BUSY, 0);
	expect_result(1, 2, 4, 5, TT_TMSG_ST_NO_HANDLER, 0);
	assert_int_equal(tt_run_counters(run)->replies_sent, 2);
	out.n = 0;
	assert_int_equal(tt_run_tick(run, US(10), &out), 2);
	expect_result(0, 0, 1, 1, TT_TMSG_ST_OK, 4);
	expect_result(1, 0, 2, 1, TT_TMSG_ST_OK, 4);
	assert_int_equal(tt_run_counters(run)->assigns[TT_RUN_NOT_ASSIGN], 3);
}

static enum tt_tmsg_status h_bogus(void *ctx, struct tt_run_call *c)
{
	(void)ctx;
	c->out_len = 3;
	return (enum tt_tmsg_status)200;
}

static enum tt_tmsg_status h_fail(void *ctx, struct tt_run_call *c)
{
	*(int *)ctx += 1;
	memset(c->out, 0xee, 2);
	c->out_len = 2;
	c->busy_ns = 7;
	return TT_TMSG_ST_FAILED;
}

/* Results larger than the buffer, failing handlers: a status and no payload. */
static void test_handler_status(void **state)
{
	(void)state;
	uint8_t big[9] = {0};
	int calls = 0;

	make(4, 8, 4);
	assert_int_equal(tt_run_register(run, "bogus", h_bogus, NULL), 0);
	assert_int_equal(tt_run_register(run, "fail", h_fail, &calls), 0);
	assert_int_equal(give(1, 1, "echo", big, 9, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give(2, 1, "echo", big, 8, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give(3, 1, "bogus", big, 1, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give(4, 1, "fail", big, 1, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(calls, 1);
	assert_int_equal(tt_run_tick(run, 6, &out), 3);
	expect_result(0, 0, 1, 1, TT_TMSG_ST_TOO_LARGE, 0);
	expect_result(1, 0, 2, 1, TT_TMSG_ST_OK, 8);
	expect_result(2, 0, 3, 1, TT_TMSG_ST_FAILED, 0);
	out.n = 0;
	assert_int_equal(tt_run_tick(run, 7, &out), 1);
	expect_result(0, 0, 4, 1, TT_TMSG_ST_FAILED, 0);
	assert_null(out.send[0].msg.payload);

	/* crc32 needs 4 bytes of room. */
	tt_run_destroy(run);
	make(1, 3, 1);
	out.n = 0;
	assert_int_equal(give(1, 1, "crc32", big, 9, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_tick(run, 0, &out), 1);
	expect_result(0, 0, 1, 1, TT_TMSG_ST_TOO_LARGE, 0);
}

/* One tick fills at most one out-struct; the rest goes at the next. */
static void test_tick_bounded_by_out(void **state)
{
	(void)state;
	make(40, 4, 4);
	for (uint64_t t = 1; t <= 40; t++)
		assert_int_equal(give(t, 1, "echo", NULL, 0, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_tick(run, 0, &out), TT_RUN_OUT_MAX);
	assert_int_equal(tt_run_tick(run, 0, &out), 0);
	out.n = 0;
	assert_int_equal(tt_run_tick(run, 0, &out), 40 - TT_RUN_OUT_MAX);
	assert_int_equal(tt_run_in_flight(run), 0);
}

static void test_cancel(void **state)
{
	(void)state;
	make(4, 64, 4);
	assert_int_equal(give_spin(1, 2, 100, 3, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(2, 1, 100, 3, 0), TT_RUN_ACCEPTED);

	assert_int_equal(tt_run_cancel(run, 1, 2, 1, US(50), &out), 1);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.send[0].channel, 1);
	assert_int_equal(out.send[0].msg.type, TT_TMSG_CANCEL_ACK);
	assert_true(out.send[0].msg.task_id == 1);
	assert_int_equal(out.send[0].msg.epoch, 2);
	assert_int_equal(out.send[0].msg.outcome, TT_TMSG_CANCEL_ABORTED);
	assert_int_equal(tt_run_in_flight(run), 1);

	/* Another epoch of a held task, and an unknown task: not held, nothing aborted. */
	assert_int_equal(tt_run_cancel(run, 2, 7, 0, US(50), &out), 1);
	assert_int_equal(out.send[1].msg.outcome, TT_TMSG_CANCEL_NOT_HELD);
	assert_int_equal(tt_run_cancel(run, 99, 1, 0, US(50), &out), 1);
	assert_int_equal(out.send[2].msg.outcome, TT_TMSG_CANCEL_NOT_HELD);
	assert_int_equal(tt_run_in_flight(run), 1);

	out.n = TT_RUN_OUT_MAX;
	assert_int_equal(tt_run_cancel(run, 2, 1, 0, US(50), &out), -ENOBUFS);
	assert_int_equal(tt_run_in_flight(run), 1);

	/* The cancelled task never reports; the other one does. */
	out.n = 0;
	assert_int_equal(tt_run_tick(run, US(1000), &out), 1);
	expect_result(0, 3, 2, 1, TT_TMSG_ST_OK, 4);
	assert_int_equal(tt_run_counters(run)->cancel_aborted, 1);
	assert_int_equal(tt_run_counters(run)->cancel_not_held, 2);
	/* Finished already: not held. */
	out.n = 0;
	assert_int_equal(tt_run_cancel(run, 2, 1, 3, US(1001), &out), 1);
	assert_int_equal(out.send[0].msg.outcome, TT_TMSG_CANCEL_NOT_HELD);
}

/* After the fence, nothing: no result, no refusal, no ACK, however long we wait. */
static void test_fence_then_silence(void **state)
{
	(void)state;
	tt_ns_t dl;

	make(4, 64, 4);
	assert_int_equal(give_spin(1, 1, 100, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(2, 1, 0, 1, 0), TT_RUN_ACCEPTED);	/* due already */
	assert_int_equal(give(3, 1, "echo", NULL, 0, 2, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give(4, 1, "nope", NULL, 0, 2, 0), TT_RUN_NO_HANDLER);

	assert_int_equal(tt_run_fence(run, US(1)), 3);
	assert_true(tt_run_fenced(run));
	assert_int_equal(tt_run_in_flight(run), 0);
	assert_int_equal(tt_run_fence(run, US(2)), 0);
	for (tt_ns_t t = US(1); t < US(10000); t += US(333))
		assert_int_equal(tt_run_tick(run, t, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(give_spin(5, 1, 0, 0, US(20)), TT_RUN_FENCED);
	assert_int_equal(tt_run_cancel(run, 1, 1, 0, US(20), &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(tt_run_tick(run, US(1000000), &out), 0);
	assert_int_equal(tt_run_next_deadline(run, &dl), -ENOENT);

	const struct tt_run_counters *c = tt_run_counters(run);
	assert_int_equal(c->fences, 1);
	assert_int_equal(c->fence_aborted, 3);
	assert_int_equal(c->fence_replies_dropped, 1);
	assert_int_equal(c->assigns[TT_RUN_FENCED], 1);
	assert_int_equal(c->cancel_fenced, 1);
	assert_int_equal(c->results_sent, 0);
	assert_int_equal(c->replies_sent, 0);
}

static void test_rejoin(void **state)
{
	(void)state;
	make(2, 64, 2);
	assert_int_equal(tt_run_rejoin(run, 2, 0), -EBUSY);
	assert_int_equal(give_spin(1, 1, 100, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_fence(run, US(10)), 1);
	assert_int_equal(tt_run_rejoin(run, 1, US(20)), -ESTALE);
	assert_true(tt_run_fenced(run));
	assert_int_equal(tt_run_rejoin(run, 2, US(20)), 0);
	assert_false(tt_run_fenced(run));
	assert_int_equal(tt_run_epoch(run), 2);
	assert_int_equal(tt_run_counters(run)->rejoins, 1);

	/* The aborted task stays gone; a new attempt of it runs normally. */
	assert_int_equal(tt_run_tick(run, US(500), &out), 0);
	assert_int_equal(give_spin(1, 2, 10, 1, US(500)), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_tick(run, US(510), &out), 1);
	expect_result(0, 1, 1, 2, TT_TMSG_ST_OK, 4);
	assert_int_equal(tt_run_counters(run)->results_sent, 1);
}

/* One task end to end: sched -> ASSIGN bytes -> runner -> RESULT bytes -> sched. */
static void test_pipeline(void **state)
{
	(void)state;
	static struct tt_sched_out sout;
	struct tt_sched_event log[16];
	struct tt_sched_config cfg = {.max_tasks = 4, .max_workers = 1, .max_outstanding = 2,
				      .log = log, .log_cap = 16};
	struct tt_sched *s = tt_sched_create(&cfg);
	const uint8_t arg[] = {0, 0, 0, 20, 'x'};
	uint8_t wire[128];
	struct tt_tmsg m;
	uint64_t id;
	size_t n;

	assert_non_null(s);
	make(2, 64, 2);
	assert_int_equal(tt_sched_submit(s, "spin", arg, sizeof(arg), 0, &id), 0);
	assert_int_equal(tt_sched_worker_up(s, 0, 1, 2, 0), 0);
	assert_int_equal(tt_sched_channel_state(s, 0, 1, true), 0);
	assert_int_equal(tt_sched_dispatch(s, US(1), &sout), 1);

	n = tt_tmsg_encode(&sout.act[0].msg, wire, sizeof(wire));
	assert_int_equal(tt_tmsg_decode(wire, n, &m), TT_TMSG_OK);
	assert_int_equal(tt_run_assign(run, &m, sout.act[0].channel, US(2)), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_tick(run, US(21), &out), 0);
	assert_int_equal(tt_run_tick(run, US(22), &out), 1);
	assert_int_equal(out.send[0].channel, 1);

	n = tt_tmsg_encode(&out.send[0].msg, wire, sizeof(wire));
	assert_int_equal(n, 24 + sizeof(arg));
	assert_int_equal(tt_tmsg_decode(wire, n, &m), TT_TMSG_OK);
	assert_memory_equal(m.payload, arg, sizeof(arg));
	assert_int_equal(tt_sched_result(s, 0, m.task_id, m.epoch, m.status, US(23)),
			 TT_SCHED_COMMIT);
	struct tt_sched_task_info ti;
	assert_int_equal(tt_sched_task(s, id, &ti), 0);
	assert_int_equal(ti.state, TT_SCHED_S_COMMITTED);
	assert_int_equal(ti.status, TT_TMSG_ST_OK);
	tt_sched_destroy(s);
}

/* RESULTs leave earliest due first, whatever their slots; equal due times in acceptance order. */
static void test_release_order(void **state)
{
	(void)state;
	tt_ns_t dl;

	make(8, 8, 2);
	/* Slots fill 0, 1, 2, ...: the due order is the reverse of the slot order. */
	assert_int_equal(give_spin(10, 1, 300, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(11, 1, 200, 1, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(12, 1, 100, 2, 0), TT_RUN_ACCEPTED);
	/* Three due at 200 µs: 11 was accepted first, then 13, then 14. */
	assert_int_equal(give_spin(13, 1, 150, 3, US(50)), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(14, 1, 100, 4, US(100)), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_next_deadline(run, &dl), 0);
	assert_true(dl == US(100));
	assert_int_equal(tt_run_tick(run, US(1000), &out), 5);
	expect_result(0, 2, 12, 1, TT_TMSG_ST_OK, 4);
	expect_result(1, 1, 11, 1, TT_TMSG_ST_OK, 4);
	expect_result(2, 3, 13, 1, TT_TMSG_ST_OK, 4);
	expect_result(3, 4, 14, 1, TT_TMSG_ST_OK, 4);
	expect_result(4, 0, 10, 1, TT_TMSG_ST_OK, 4);
	assert_int_equal(tt_run_in_flight(run), 0);
	assert_int_equal(tt_run_next_deadline(run, &dl), -ENOENT);

	/* A cancel in the middle of the heap leaves the others in order. */
	out.n = 0;
	for (uint32_t t = 0; t < 8; t++)
		assert_int_equal(give_spin(20 + t, 1, 10 * (8 - t), 0, US(2000)), TT_RUN_ACCEPTED);
	assert_int_equal(tt_run_cancel(run, 23, 1, 0, US(2000), &out), 1);
	assert_int_equal(tt_run_cancel(run, 27, 1, 0, US(2000), &out), 1);
	assert_int_equal(tt_run_next_deadline(run, &dl), 0);
	assert_true(dl == US(2020));
	out.n = 0;
	assert_int_equal(tt_run_tick(run, US(2050), &out), 3);
	expect_result(0, 0, 26, 1, TT_TMSG_ST_OK, 4);
	expect_result(1, 0, 25, 1, TT_TMSG_ST_OK, 4);
	expect_result(2, 0, 24, 1, TT_TMSG_ST_OK, 4);
	assert_int_equal(tt_run_next_deadline(run, &dl), 0);
	assert_true(dl == US(2060));
	out.n = 0;
	assert_int_equal(tt_run_tick(run, US(3000), &out), 3);
	expect_result(0, 0, 22, 1, TT_TMSG_ST_OK, 4);
	expect_result(1, 0, 21, 1, TT_TMSG_ST_OK, 4);
	expect_result(2, 0, 20, 1, TT_TMSG_ST_OK, 4);
}

/* The reference model for test_random_against_model: a plain array scanned every time. */
struct model_task {
	bool used;
	uint64_t id;
	uint32_t epoch;
	uint64_t seq;
	tt_ns_t due;
};

#define MODEL_SLOTS 12

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Index of the model's next task to release (earliest due, then seq), or -1. */
static int model_next(const struct model_task *m)
{
	int best = -1;

	for (int i = 0; i < MODEL_SLOTS; i++)
		if (m[i].used && (best < 0 || m[i].due < m[best].due ||
				  (m[i].due == m[best].due && m[i].seq < m[best].seq)))
			best = i;
	return best;
}

static int model_find(const struct model_task *m, uint64_t id)
{
	for (int i = 0; i < MODEL_SLOTS; i++)
		if (m[i].used && m[i].id == id)
			return i;
	return -1;
}

/*
 * 20 000 seeded operations (assigns with new and held ids, newer epochs that
 * supersede, cancels, ticks, a fence and rejoin now and then) on a runner and
 * on a scan-everything model: every verdict, every RESULT in order, the
 * deadline and the count in flight must agree. Ids are drawn from a small
 * range that collides in the hash buckets.
 */
static void test_random_against_model(void **state)
{
	(void)state;
	struct model_task m[MODEL_SLOTS] = {{0}};
	uint64_t x = 0x5eed5eed1234ull, seq = 0;
	uint32_t epoch = 1;
	tt_ns_t now = US(1);
	unsigned released = 0;

	make(MODEL_SLOTS, 8, 4);
	for (unsigned op = 0; op < 20000; op++) {
		unsigned what = (unsigned)(xorshift(&x) % 16);
		uint64_t id = 1 + xorshift(&x) % 40 * 64;	/* 40 ids, 64 apart */
		int at = model_find(m, id);

		if (what < 8) {
			uint32_t us = (uint32_t)(xorshift(&x) % 200);
			uint32_t e = epoch + (xorshift(&x) % 8 == 0);
			enum tt_run_verdict want = TT_RUN_ACCEPTED;
			int free_at = -1;

			if (at >= 0 && m[at].epoch == e)
				want = TT_RUN_DUPLICATE;
			else if (at >= 0 && m[at].epoch > e)
				want = TT_RUN_STALE;
			if (want == TT_RUN_ACCEPTED) {
				if (at >= 0)
					m[at].used = false;	/* superseded */
				for (int i = 0; i < MODEL_SLOTS && free_at < 0; i++)
					if (!m[i].used)
						free_at = i;
				if (free_at < 0)
					want = TT_RUN_FULL;
			}
			assert_int_equal(give_spin(id, e, us, 0, now), want);
			if (want == TT_RUN_ACCEPTED)
				m[free_at] = (struct model_task){.used = true,
								 .id = id,
								 .epoch = e,
								 .seq = seq++,
								 .due = now + US(us)};
			if (want == TT_RUN_FULL) {
				/* Drain the BUSY refusal so it does not mix with the RESULTs. */
				out.n = 0;
				assert_int_equal(tt_run_tick(run, now - 1, &out), 1);
				assert_int_equal(out.send[0].msg.status, TT_TMSG_ST_BUSY);
			}
		} else if (what < 10) {
			uint32_t e = at >= 0 && xorshift(&x) % 4 ? m[at].epoch : epoch + 5;

			out.n = 0;
			assert_int_equal(tt_run_cancel(run, id, e, 0, now, &out), 1);
			if (at >= 0 && m[at].epoch == e) {
				assert_int_equal(out.send[0].msg.outcome, TT_TMSG_CANCEL_ABORTED);
				m[at].used = false;
			} else {
				assert_int_equal(out.send[0].msg.outcome, TT_TMSG_CANCEL_NOT_HELD);
			}
		} else if (what < 15) {
			now += US(xorshift(&x) % 30);
			out.n = 0;
			int n = tt_run_tick(run, now, &out);
			for (int k = 0; k < n; k++) {
				int i = model_next(m);

				assert_true(i >= 0 && m[i].due <= now);
				assert_true(out.send[k].msg.task_id == m[i].id);
				assert_int_equal(out.send[k].msg.epoch, m[i].epoch);
				m[i].used = false;
				released++;
			}
			/* Everything left is due later (or did not fit in out). */
			int i = model_next(m);
			assert_true(n == TT_RUN_OUT_MAX || i < 0 || m[i].due > now);
		} else if (op % 7 == 0) {
			int n = 0;

			for (int i = 0; i < MODEL_SLOTS; i++)
				n += m[i].used;
			assert_int_equal(tt_run_fence(run, now), n);
			memset(m, 0, sizeof(m));
			epoch += 10;
			assert_int_equal(tt_run_rejoin(run, epoch, now), 0);
		}
		/* Deadline and count in flight agree after every operation. */
		int i = model_next(m), n = 0;
		tt_ns_t dl;

		for (int k = 0; k < MODEL_SLOTS; k++)
			n += m[k].used;
		assert_int_equal(tt_run_in_flight(run), n);
		if (i < 0) {
			assert_int_equal(tt_run_next_deadline(run, &dl), -ENOENT);
		} else {
			assert_int_equal(tt_run_next_deadline(run, &dl), 0);
			assert_true(dl == m[i].due);
		}
	}
	/* The run did what it is meant to. */
	assert_true(released > 1000);
	assert_true(tt_run_counters(run)->superseded > 0);
	assert_true(tt_run_counters(run)->assigns[TT_RUN_FULL] > 0);
	assert_true(tt_run_counters(run)->cancel_aborted > 0);
}

/* After a fence and rejoin every slot is free again: the table fills to max_tasks exactly. */
static void test_fence_frees_every_slot(void **state)
{
	(void)state;
	make(16, 8, 2);
	for (uint64_t t = 1; t <= 16; t++)
		assert_int_equal(give_spin(t, 1, 100, 0, 0), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(17, 1, 100, 0, 0), TT_RUN_FULL);
	assert_int_equal(tt_run_fence(run, US(1)), 16);
	assert_int_equal(tt_run_rejoin(run, 2, US(2)), 0);
	for (uint64_t t = 1; t <= 16; t++)
		assert_int_equal(give_spin(t, 2, 100, 0, US(3)), TT_RUN_ACCEPTED);
	assert_int_equal(give_spin(17, 2, 100, 0, US(3)), TT_RUN_FULL);
	assert_int_equal(tt_run_in_flight(run), 16);
	/* The BUSY refusal first, then all 16 RESULTs in acceptance order. */
	assert_int_equal(tt_run_tick(run, US(103), &out), 17);
	for (uint32_t i = 1; i < 17; i++)
		expect_result(i, 0, i, 2, TT_TMSG_ST_OK, 4);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_run_verdict_name(TT_RUN_ACCEPTED), "ACCEPTED");
	assert_string_equal(tt_run_verdict_name(TT_RUN_NO_HANDLER), "NO_HANDLER");
	assert_string_equal(tt_run_verdict_name(TT_RUN_VERDICT_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_register),
		cmocka_unit_test_teardown(test_echo, teardown),
		cmocka_unit_test_teardown(test_crc32, teardown),
		cmocka_unit_test_teardown(test_spin_virtual_time, teardown),
		cmocka_unit_test_teardown(test_duplicates_and_epochs, teardown),
		cmocka_unit_test_teardown(test_refusals, teardown),
		cmocka_unit_test_teardown(test_handler_status, teardown),
		cmocka_unit_test_teardown(test_tick_bounded_by_out, teardown),
		cmocka_unit_test_teardown(test_cancel, teardown),
		cmocka_unit_test_teardown(test_fence_then_silence, teardown),
		cmocka_unit_test_teardown(test_rejoin, teardown),
		cmocka_unit_test_teardown(test_pipeline, teardown),
		cmocka_unit_test_teardown(test_release_order, teardown),
		cmocka_unit_test_teardown(test_random_against_model, teardown),
		cmocka_unit_test_teardown(test_fence_frees_every_slot, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
