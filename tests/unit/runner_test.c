/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's task runner: registry, reference handlers, spin on virtual
 * time, duplicates, refusals, cancel, fence (then no result, ever) and rejoin.
 * Last, one task through both ends: sched -> wire -> runner -> wire -> sched.
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
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
