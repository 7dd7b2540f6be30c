/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The journal's write path (drivers/journal_writer.c) on real files in a
 * temporary directory: tickets and when they are done under each fsync
 * policy, a full queue refused and counted, invalid records skipped, the
 * writer thread draining everything on stop and on a flush, and the whole
 * restart path:
 * a scheduler journaling through the writer, the file replayed, and a new
 * scheduler restored from it (committed tasks stay out, pending ones come
 * back under the next generation's epochs, new ids above the old ones).
 *
 * The writer's step (tt_jwriter_drain) is called directly except in the
 * thread test, which only starts, appends and stops (no waiting on time).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "journal_file.h"
#include "journal_writer.h"
#include "scheduler.h"

static char dir[64];
static char path[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tt-jwriter-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/master.jrnl", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static struct tt_jfile *open_file(enum tt_jfile_fsync policy, uint32_t batch_records)
{
	struct tt_jfile_config c = {
		.path = path,
		.fsync = policy,
		.batch_records = batch_records,
		.batch_ns = 3600ull * TT_NS_PER_S,
	};
	char err[TT_JFILE_ERR_MAX];
	struct tt_jfile *jf = tt_jfile_open(&c, err, sizeof(err));

	if (jf == NULL)
		fail_msg("open %s: %s", path, err);
	return jf;
}

static struct tt_jwriter *make_writer(struct tt_jfile *jf, bool group, bool on_write, uint32_t cap)
{
	struct tt_jwriter_config c = {
		.jf = jf,
		.group_sync = group,
		.done_on_write = on_write,
		.capacity = cap,
	};
	struct tt_jwriter *w = tt_jwriter_create(&c);

	assert_non_null(w);
	return w;
}

static struct tt_jrnl_rec commit_rec(uint64_t id)
{
	return (struct tt_jrnl_rec){
		.type = TT_JRNL_COMMIT, .task_id = id, .epoch = 1, .worker = 2, .status = 0};
}

/* Decode the file: records and the stop reason. */
static uint64_t file_records(enum tt_jrnl_stop *stop)
{
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_NEVER, 1);
	struct tt_jrnl_dec d;
	struct tt_jrnl_rec r;
	const uint8_t *img;
	size_t len;
	uint64_t n = 0;

	img = tt_jfile_image(jf, &len);
	tt_jrnl_dec_init(&d, img, len);
	while (tt_jrnl_dec_next(&d, &r) == 1)
		n++;
	*stop = d.stop;
	tt_jfile_close(jf, NULL, 0);
	return n;
}

static void test_create_rejects(void **state)
{
	(void)state;
	struct tt_jwriter_config c = {.capacity = 4};

	errno = 0;
	assert_null(tt_jwriter_create(NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(tt_jwriter_create(&c)); /* no file */
	c.jf = open_file(TT_JFILE_FSYNC_NEVER, 1);
	c.capacity = 1;
	assert_null(tt_jwriter_create(&c));
	c.capacity = TT_JWRITER_MAX_CAPACITY + 1;
	assert_null(tt_jwriter_create(&c));
	tt_jfile_close(c.jf, NULL, 0);
}

/* NEVER: done once written; tickets 1, 2, 3 in order; the file holds them in order. */
static void test_never_done_on_write(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_NEVER, 1);
	struct tt_jwriter *w = make_writer(jf, false, true, 8);
	struct tt_jwriter_stats st;
	enum tt_jrnl_stop stop;
	uint64_t t1 = 0, t2 = 0, t3 = 0;
	struct tt_jrnl_rec r = commit_rec(1);

	assert_int_equal(tt_jwriter_append(w, &r, &t1), 0);
	r.task_id = 2;
	assert_int_equal(tt_jwriter_append(w, &r, &t2), 0);
	assert_true(t1 == 1 && t2 == 2);
	assert_false(tt_jwriter_done(w, 1));
	assert_int_equal(tt_jwriter_drain(w, 1000), 2);
	assert_true(tt_jwriter_done(w, 2));
	assert_false(tt_jwriter_done(w, 3));
	r.task_id = 3;
	assert_int_equal(tt_jwriter_append(w, &r, &t3), 0);
	assert_true(t3 == 3);
	assert_int_equal(tt_jwriter_drain(w, 2000), 1);
	tt_jwriter_stats(w, &st);
	assert_int_equal(st.queued, 3);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.done, 3);
	assert_int_equal(st.max_depth, 2);
	assert_int_equal(st.full, 0);
	assert_int_equal(tt_jfile_counters(tt_jwriter_file(w))->fsyncs, 0);
	assert_int_equal(tt_jwriter_destroy(w), 0);
	assert_int_equal(file_records(&stop), 3);
	assert_int_equal(stop, TT_JRNL_END);
}

/* ALWAYS (group commit): one fsync per pass; done only once fsynced. */
static void test_always_group_sync(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_BATCH, UINT32_MAX);
	struct tt_jwriter *w = make_writer(jf, true, false, 16);
	uint64_t fs0 = tt_jfile_counters(jf)->fsyncs;
	uint64_t t;
	struct tt_jrnl_rec r = commit_rec(1);

	for (uint64_t i = 1; i <= 5; i++) {
		r.task_id = i;
		assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	}
	assert_false(tt_jwriter_done(w, 1));
	assert_int_equal(tt_jwriter_drain(w, 1000), 5);
	assert_true(tt_jwriter_done(w, 5));
	assert_int_equal(tt_jfile_counters(jf)->fsyncs, fs0 + 1);
	assert_true(tt_jfile_durable_seq(jf) == 5);
	/* An empty pass fsyncs nothing. */
	assert_int_equal(tt_jwriter_drain(w, 2000), 0);
	assert_int_equal(tt_jfile_counters(jf)->fsyncs, fs0 + 1);
	assert_int_equal(tt_jwriter_destroy(w), 0);
}

/* BATCH: written records are not done until the batch rule fsyncs them. */
static void test_batch_done_after_fsync(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_BATCH, 3);
	struct tt_jwriter *w = make_writer(jf, false, false, 16);
	uint64_t t;
	struct tt_jrnl_rec r = commit_rec(1);

	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	r.task_id = 2;
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_drain(w, 1000), 2);
	assert_false(tt_jwriter_done(w, 1)); /* written, not fsynced */
	r.task_id = 3;
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_drain(w, 2000), 1);
	assert_true(tt_jwriter_done(w, 3)); /* the third record made the batch */
	/* Stop/destroy fsyncs what waits. */
	r.task_id = 4;
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_drain(w, 3000), 1);
	assert_false(tt_jwriter_done(w, 4));
	assert_int_equal(tt_jwriter_destroy(w), 0);
}

/* A full queue refuses and counts; draining makes room again. Invalid records are skipped. */
static void test_full_and_invalid(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_NEVER, 1);
	struct tt_jwriter *w = make_writer(jf, false, true, 3); /* rounded up to 4 */
	struct tt_jwriter_stats st;
	enum tt_jrnl_stop stop;
	uint64_t t = 0;
	struct tt_jrnl_rec r = commit_rec(1);
	struct tt_jrnl_rec bad = commit_rec(0); /* task id 0: the file refuses it */

	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_append(w, &bad, &t), 0);
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_true(t == 4);
	assert_int_equal(tt_jwriter_append(w, &r, &t), -ENOBUFS);
	assert_true(t == 4);
	tt_jwriter_stats(w, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(tt_jwriter_drain(w, 1000), 3);
	tt_jwriter_stats(w, &st);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.written, 3);
	assert_true(tt_jwriter_done(w, 4));
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_true(t == 5);
	assert_int_equal(tt_jwriter_destroy(w), 0);
	assert_int_equal(file_records(&stop), 4);
	assert_int_equal(stop, TT_JRNL_END);
}

/* The thread: everything appended before stop is in the file and done after it. */
static void test_thread_stop_drains(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_BATCH, UINT32_MAX);
	struct tt_jwriter *w = make_writer(jf, true, false, 4096);
	struct tt_jwriter_stats st;
	enum tt_jrnl_stop stop;
	uint64_t t = 0;
	struct tt_jrnl_rec r = commit_rec(1);

	assert_int_equal(tt_jwriter_start(w), 0);
	assert_int_equal(tt_jwriter_start(w), -EALREADY);
	for (uint64_t i = 1; i <= 3000; i++) {
		r.task_id = i;
		assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	}
	assert_int_equal(tt_jwriter_stop(w), 0);
	assert_int_equal(tt_jwriter_stop(w), -EALREADY);
	tt_jwriter_stats(w, &st);
	assert_int_equal(st.written, 3000);
	assert_true(tt_jwriter_done(w, 3000));
	assert_true(tt_jfile_durable_seq(jf) == 3000);
	assert_int_equal(tt_jwriter_destroy(w), 0);
	assert_int_equal(file_records(&stop), 3000);
	assert_int_equal(stop, TT_JRNL_END);
}

/* Flush: records done now, the thread still running (BATCH would wait for its batch). */
static void test_flush(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_BATCH, UINT32_MAX);
	struct tt_jwriter *w = make_writer(jf, false, false, 64);
	uint64_t t = 0;
	struct tt_jrnl_rec r = commit_rec(1);

	/* Without the thread: on the calling thread. */
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_flush(w), 0);
	assert_true(tt_jwriter_done(w, 1));
	assert_true(tt_jfile_durable_seq(jf) == 1);
	assert_int_equal(tt_jwriter_start(w), 0);
	for (uint64_t i = 2; i <= 40; i++) {
		r.task_id = i;
		assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	}
	assert_int_equal(tt_jwriter_flush(w), 0);
	assert_true(tt_jwriter_done(w, 40));
	/* Done means fsynced here: the batch (UINT32_MAX records, an hour) never came. */
	assert_true(tt_jfile_durable_seq(jf) == 40);
	r.task_id = 41;
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_stop(w), 0);
	assert_true(tt_jwriter_done(w, 41));
	assert_int_equal(tt_jwriter_destroy(w), 0);
}

/*
 * Abandon after a failed flush: what was queued and never done is dropped,
 * never written later (its memory may be gone), and appends are refused.
 */
static void test_abandon(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_NEVER, 1);
	struct tt_jwriter *w = make_writer(jf, false, true, 8);
	struct tt_jwriter_stats st;
	enum tt_jrnl_stop stop;
	uint64_t t = 0;
	struct tt_jrnl_rec r = commit_rec(1);

	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	assert_int_equal(tt_jwriter_drain(w, 1000), 1);
	r.task_id = 2;
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	r.task_id = 3;
	assert_int_equal(tt_jwriter_append(w, &r, &t), 0);
	tt_jwriter_abandon(w);
	assert_false(tt_jwriter_done(w, 2));
	assert_int_equal(tt_jwriter_append(w, &r, &t), -EIO);
	tt_jwriter_stats(w, &st);
	assert_true(st.failed);
	assert_int_equal(st.written, 1);
	tt_jwriter_destroy(w);
	assert_int_equal(file_records(&stop), 1);
	assert_int_equal(stop, TT_JRNL_END);
}

/*
 * The restart path: master generation 1 journals through the writer, its
 * file is replayed, and generation 2's table is restored from it.
 */
static const uint8_t pl[4][3] = {{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {4, 4, 4}};

static void test_scheduler_restart(void **state)
{
	(void)state;
	struct tt_jfile *jf = open_file(TT_JFILE_FSYNC_BATCH, UINT32_MAX);
	struct tt_jwriter *w = make_writer(jf, true, false, 16);
	struct tt_jrnl_rec start = {
		.type = TT_JRNL_MASTER_START, .gen = 1, .epoch_base = tt_jrnl_epoch_base(1)};
	struct tt_sched_persist p = {.epoch_base = tt_jrnl_epoch_base(1)};
	struct tt_sched_config sc = {.max_tasks = 4, .max_workers = 1, .max_outstanding = 4};
	struct tt_sched_out out = {0};
	struct tt_sched *s;
	uint64_t id[4];

	assert_int_equal(tt_jfile_append(jf, &start, 0, NULL), 0);
	tt_jwriter_hooks(w, &p);
	sc.persist = &p;
	s = tt_sched_create(&sc);
	assert_non_null(s);
	for (int i = 0; i < 4; i++)
		assert_int_equal(tt_sched_submit(s, "echo", pl[i], 3, 0, &id[i]), 0);
	assert_int_equal(tt_sched_worker_up(s, 0, 1, 1, 0), 0);
	assert_int_equal(tt_sched_channel_state(s, 0, 0, true), 0);
	assert_int_equal(tt_sched_dispatch(s, 0, &out), 4);
	assert_int_equal(out.act[0].msg.epoch, 0x10001);
	assert_int_equal(tt_sched_result(s, 0, id[1], 0x10001, 0, 1), TT_SCHED_COMMIT);
	assert_int_equal(tt_sched_cancel(s, id[3], 1, &out), 0);
	assert_int_equal(tt_sched_cancel_ack(s, 0, id[3], 0x10001, 0, 2), 0);
	/* Not written yet: the commit cannot be released (reported). */
	assert_int_equal(tt_sched_release(s, id[1]), -EAGAIN);
	assert_int_equal(tt_jwriter_drain(w, 10), 6);
	assert_int_equal(tt_sched_release(s, id[1]), 0);
	assert_int_equal(tt_sched_release(s, id[3]), 0);
	/* The master dies here (its table is gone; the file has what was written). */
	tt_sched_destroy(s);
	assert_int_equal(tt_jwriter_destroy(w), 0);

	/* Generation 2: replay, restore. */
	jf = open_file(TT_JFILE_FSYNC_BATCH, UINT32_MAX);
	struct tt_jrnl_replay *rp = tt_jrnl_replay_create(64);
	struct tt_jrnl_dec d;
	const uint8_t *img;
	size_t len;
	uint32_t gen = 0, n = 0;
	struct tt_sched_task_info ti;

	img = tt_jfile_image(jf, &len);
	assert_int_equal(tt_jrnl_replay_buf(rp, img, len, &d), 7);
	assert_int_equal(d.stop, TT_JRNL_END);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_PENDING), 2);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_COMMITTED), 1);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_CANCELLED), 1);
	assert_int_equal(tt_jrnl_replay_next_gen(rp, &gen), 0);
	assert_int_equal(gen, 2);
	p = (struct tt_sched_persist){.epoch_base = tt_jrnl_epoch_base(gen)};
	p.restore = tt_jrnl_replay_tasks(rp, &n);
	p.n_restore = n;
	w = make_writer(jf, true, false, 16);
	tt_jwriter_hooks(w, &p);
	s = tt_sched_create(&sc);
	assert_non_null(s);
	assert_int_equal(tt_sched_pending(s), 2);
	assert_int_equal(tt_sched_task(s, id[0], &ti), 0);
	assert_int_equal(ti.epoch, 0x20001);
	assert_true(ti.restored);
	assert_int_equal(tt_sched_task(s, id[1], &ti), -ENOENT);
	out.n = 0;
	assert_int_equal(tt_sched_worker_up(s, 0, 2, 1, 3), 0);
	assert_int_equal(tt_sched_channel_state(s, 0, 0, true), 0);
	assert_int_equal(tt_sched_dispatch(s, 3, &out), 2);
	assert_true(out.act[0].msg.task_id == id[0]);
	assert_memory_equal(out.act[0].msg.payload, pl[0], 3);
	assert_true(out.act[1].msg.task_id == id[2]);
	/* A late RESULT of generation 1's attempt is stale: the epoch moved on. */
	assert_int_equal(tt_sched_result(s, 0, id[0], 0x10001, 0, 4), TT_SCHED_STALE_WRONG_EPOCH);
	assert_int_equal(tt_sched_result(s, 0, id[1], 0x10001, 0, 4), TT_SCHED_STALE_UNKNOWN_TASK);
	uint64_t fresh;
	assert_int_equal(tt_sched_submit(s, "echo", NULL, 0, 5, &fresh), 0);
	assert_true(fresh > id[0] && fresh > id[1] && fresh > id[2] && fresh > id[3]);
	/* Queued records point into the table: written before it goes. */
	assert_int_equal(tt_jwriter_flush(w), 0);
	tt_sched_destroy(s);
	assert_int_equal(tt_jwriter_destroy(w), 0);
	tt_jrnl_replay_destroy(rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_done_on_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_always_group_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_done_after_fsync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_and_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_stop_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abandon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scheduler_restart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
