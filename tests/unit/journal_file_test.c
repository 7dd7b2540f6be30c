/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The journal file (drivers/journal_file.c) on real files in a temporary
 * directory: create, append, reopen; torn tails cut, damage in the middle
 * refused; fsync counted per policy; write, ftruncate and fsync failures
 * injected; and a crash test: a child appending in a loop is killed with
 * SIGKILL at seeded points, and every reopen finds whole records only, all
 * acknowledged ones included.
 *
 * fsync, write and ftruncate(64) are wrapped (-Wl,--wrap=, tests/unit/meson.build):
 * the wrappers count and, when armed, fail; otherwise they call the real ones.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"
#include "journal_file.h"

/* Wrappers ----------------------------------------------------------------- */

int __real_fsync(int fd);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_ftruncate(int fd, off_t len);
int __real_ftruncate64(int fd, off64_t len);
int __wrap_fsync(int fd);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_ftruncate(int fd, off_t len);
int __wrap_ftruncate64(int fd, off64_t len);

static unsigned int fsync_calls;
static int fsync_fail;	  /* errno for the next fsync, 0: real */
static long write_short;  /* >= 0: the next write writes at most this many bytes */
static int write_fail;	  /* errno for the write after that (or the next), 0: real */
static size_t write_chunk; /* > 0: every write writes at most this many bytes (POSIX allows it) */
static int ack_fd = -1;	   /* crash child: its ack pipe (not counted, never cut) */
static uint64_t kill_at;   /* crash child: > 0: SIGKILL itself once this many bytes are written */
static uint64_t journal_bytes; /* crash child: bytes written so far (ack pipe aside) */
static int ftruncate_fail; /* errno for the next ftruncate, 0: real */

int __wrap_fsync(int fd)
{
	fsync_calls++;
	if (fsync_fail != 0) {
		errno = fsync_fail;
		fsync_fail = 0;
		return -1;
	}
	return __real_fsync(fd);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	ssize_t done;

	if (write_short >= 0) {
		size_t m = (size_t)write_short < n ? (size_t)write_short : n;

		write_short = -1;
		return __real_write(fd, buf, m);
	}
	if (write_fail != 0) {
		errno = write_fail;
		write_fail = 0;
		return -1;
	}
	if (fd == ack_fd)
		return __real_write(fd, buf, n);
	if (write_chunk > 0 && n > write_chunk)
		n = write_chunk;
	if (kill_at > 0 && journal_bytes + n >= kill_at) {
		/* Crash test: write up to the seeded byte, then die inside the record. */
		if (kill_at > journal_bytes)
			__real_write(fd, buf, (size_t)(kill_at - journal_bytes));
		kill(getpid(), SIGKILL);
		for (;;)
			pause();
	}
	done = __real_write(fd, buf, n);
	if (done > 0)
		journal_bytes += (uint64_t)done;
	return done;
}

static bool ftruncate_fails(void)
{
	if (ftruncate_fail == 0)
		return false;
	errno = ftruncate_fail;
	ftruncate_fail = 0;
	return true;
}

/* glibc names it ftruncate64 when off_t is 64 bits by _FILE_OFFSET_BITS: wrap both. */
int __wrap_ftruncate(int fd, off_t len)
{
	return ftruncate_fails() ? -1 : __real_ftruncate(fd, len);
}

int __wrap_ftruncate64(int fd, off64_t len)
{
	return ftruncate_fails() ? -1 : __real_ftruncate64(fd, len);
}

/* Helpers ------------------------------------------------------------------ */

static char dir[256];

static int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tt_jfile_XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

static int reset(void **state)
{
	(void)state;
	fsync_calls = 0;
	fsync_fail = 0;
	write_short = -1;
	write_fail = 0;
	write_chunk = 0;
	ftruncate_fail = 0;
	return 0;
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static struct tt_jfile *open_ok(const char *path, enum tt_jfile_fsync policy)
{
	struct tt_jfile_config cfg = {.path = path, .fsync = policy};
	char err[TT_JFILE_ERR_MAX] = "";
	struct tt_jfile *jf = tt_jfile_open(&cfg, err, sizeof(err));

	if (jf == NULL)
		fail_msg("open %s: %s", path, err);
	return jf;
}

static void close_ok(struct tt_jfile *jf)
{
	char err[TT_JFILE_ERR_MAX] = "";

	assert_int_equal(tt_jfile_close(jf, err, sizeof(err)), 0);
}

/* Payload bytes for the records below: record seq uses pattern + seq % 97. */
#define PAT_LEN (60000 + 97)
static uint8_t pattern[PAT_LEN];

static void fill_pattern(void)
{
	for (size_t i = 0; i < PAT_LEN; i++)
		pattern[i] = (uint8_t)(i * 31 + 7);
}

/*
 * The record a writer appends as number seq (deterministic, so a reader can
 * check it byte for byte): a COMMIT of the previous task every fourth
 * record, else a SUBMIT of task seq with a payload of 0..60000 bytes.
 */
static struct tt_jrnl_rec record_for(uint64_t seq)
{
	if (seq % 4 == 0)
		return (struct tt_jrnl_rec){
			.type = TT_JRNL_COMMIT,
			.task_id = seq - 1,
			.epoch = (uint32_t)seq,
			.worker = (uint32_t)(seq % 7),
			.status = TT_TMSG_ST_OK,
		};
	return (struct tt_jrnl_rec){
		.type = TT_JRNL_SUBMIT,
		.task_id = seq,
		.handler = "echo",
		.handler_len = 4,
		.payload = pattern + seq % 97,
		.payload_len = (uint32_t)((seq * 2654435761u) % 60001),
	};
}

static void append_n(struct tt_jfile *jf, unsigned int n, tt_ns_t now)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t want = tt_jfile_next_seq(jf), seq = 0;
		struct tt_jrnl_rec r = record_for(want);

		assert_int_equal(tt_jfile_append(jf, &r, now, &seq), 0);
		assert_true(seq == want);
	}
}

/* Check that buf holds exactly records 1..n of record_for(), whole. Returns n. */
static uint64_t check_records(const uint8_t *buf, size_t len)
{
	struct tt_jrnl_dec d;
	struct tt_jrnl_rec got;
	uint64_t n = 0;

	tt_jrnl_dec_init(&d, buf, len);
	while (tt_jrnl_dec_next(&d, &got) == 1) {
		struct tt_jrnl_rec want = record_for(++n);

		assert_true(got.seq == n);
		assert_int_equal(got.type, want.type);
		assert_true(got.task_id == want.task_id);
		assert_int_equal(got.epoch, want.epoch);
		assert_int_equal(got.worker, want.worker);
		assert_int_equal(got.payload_len, want.payload_len);
		if (want.payload_len > 0)
			assert_memory_equal(got.payload, want.payload, want.payload_len);
	}
	assert_int_equal(d.stop, TT_JRNL_END);
	assert_int_equal(d.off, len);
	return n;
}

/* Tests -------------------------------------------------------------------- */

static void test_create_append_reopen(void **state)
{
	(void)state;
	char path[512];
	struct tt_jfile *jf;
	const struct tt_jfile_open_info *info;
	const uint8_t *img;
	size_t len;
	struct stat st;

	path_of(path, sizeof(path), "basic.jrnl");
	jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
	info = tt_jfile_open_info(jf);
	assert_true(info->created);
	assert_true(info->records == 0 && info->file_len == 0 && info->cut_bytes == 0);
	assert_int_equal(info->stop, TT_JRNL_END);
	assert_true(tt_jfile_next_seq(jf) == 1);
	/* The new file, then its directory. */
	assert_int_equal(fsync_calls, 2);
	assert_true(tt_jfile_counters(jf)->fsyncs == 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	append_n(jf, 6, 0);
	assert_true(tt_jfile_durable_seq(jf) == 6);
	assert_int_equal(fsync_calls, 8);
	assert_true(tt_jfile_counters(jf)->appends == 6);
	assert_true(tt_jfile_counters(jf)->bytes == (uint64_t)file_size(path));
	img = tt_jfile_image(jf, &len);
	assert_non_null(img);
	assert_int_equal(len, 0);
	close_ok(jf);
	assert_int_equal(fsync_calls, 8); /* nothing waited */

	fsync_calls = 0;
	jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
	info = tt_jfile_open_info(jf);
	assert_false(info->created);
	assert_true(info->records == 6);
	assert_true(info->file_len == (uint64_t)file_size(path));
	assert_true(info->valid_len == info->file_len);
	assert_int_equal(info->stop, TT_JRNL_END);
	assert_int_equal(fsync_calls, 1);
	assert_true(tt_jfile_next_seq(jf) == 7);
	assert_true(tt_jfile_durable_seq(jf) == 6);
	img = tt_jfile_image(jf, &len);
	assert_true(check_records(img, len) == 6);
	append_n(jf, 2, 0);
	close_ok(jf);

	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	img = tt_jfile_image(jf, &len);
	assert_true(check_records(img, len) == 8);
	assert_string_equal(tt_jfile_error(jf), "");
	close_ok(jf);
	assert_int_equal(unlink(path), 0);
}

static void test_fsync_policies(void **state)
{
	(void)state;
	struct tt_jfile_config cfg = {.fsync = TT_JFILE_FSYNC_BATCH, .batch_records = 3,
				      .batch_ns = 1000};
	char path[512], err[TT_JFILE_ERR_MAX];
	struct tt_jfile *jf;
	tt_ns_t dl = 0;

	path_of(path, sizeof(path), "policy.jrnl");
	cfg.path = path;

	/* never: not at open (new file), append, sync or close. */
	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	append_n(jf, 5, 0);
	assert_int_equal(tt_jfile_sync(jf), 0);
	assert_int_equal(tt_jfile_tick(jf, 1000000), 0);
	assert_false(tt_jfile_next_deadline(jf, &dl));
	assert_true(tt_jfile_durable_seq(jf) == 0);
	close_ok(jf);
	assert_int_equal(fsync_calls, 0);

	/* always: once at open, once per record; sync with nothing waiting does nothing. */
	jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
	assert_int_equal(fsync_calls, 1);
	assert_true(tt_jfile_durable_seq(jf) == 5);
	append_n(jf, 4, 0);
	assert_int_equal(fsync_calls, 5);
	assert_int_equal(tt_jfile_sync(jf), 0);
	assert_false(tt_jfile_next_deadline(jf, &dl));
	close_ok(jf);
	assert_int_equal(fsync_calls, 5);

	/* batch: every third record, or batch_ns after the oldest waiting one, or at close. */
	fsync_calls = 0;
	jf = tt_jfile_open(&cfg, err, sizeof(err));
	assert_non_null(jf);
	assert_int_equal(fsync_calls, 1);
	append_n(jf, 2, 0);
	assert_int_equal(fsync_calls, 1);
	assert_true(tt_jfile_durable_seq(jf) == 9);
	append_n(jf, 1, 2);
	assert_int_equal(fsync_calls, 2);
	assert_true(tt_jfile_durable_seq(jf) == 12);
	assert_false(tt_jfile_next_deadline(jf, &dl));

	append_n(jf, 1, 10); /* waits from t = 10 */
	append_n(jf, 1, 500);
	assert_true(tt_jfile_next_deadline(jf, &dl));
	assert_true(dl == 1010);
	assert_int_equal(tt_jfile_tick(jf, 1009), 0);
	assert_int_equal(fsync_calls, 2);
	assert_int_equal(tt_jfile_tick(jf, 1010), 1);
	assert_int_equal(fsync_calls, 3);
	assert_true(tt_jfile_durable_seq(jf) == 14);
	assert_false(tt_jfile_next_deadline(jf, &dl));
	assert_int_equal(tt_jfile_tick(jf, 5000), 0);

	/* An explicit sync, then one waiting record flushed by close. */
	append_n(jf, 1, 6000);
	assert_int_equal(tt_jfile_sync(jf), 0);
	assert_int_equal(fsync_calls, 4);
	append_n(jf, 1, 7000);
	close_ok(jf);
	assert_int_equal(fsync_calls, 5);
	assert_int_equal(unlink(path), 0);
}

/* A last record cut at every byte (a crash inside write()): open cuts it, appending resumes. */
static void test_torn_tail_cut(void **state)
{
	(void)state;
	char path[512];
	struct tt_jfile *jf;
	const struct tt_jfile_open_info *info;
	off_t full, s5;
	const uint8_t *img;
	size_t len;

	path_of(path, sizeof(path), "torn.jrnl");
	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	append_n(jf, 4, 0);
	close_ok(jf);
	s5 = file_size(path);
	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	append_n(jf, 1, 0); /* record 5: a SUBMIT with a payload */
	close_ok(jf);
	full = file_size(path);
	assert_true(full - s5 > 28 + 16 + 4 + 1000);

	/* Every byte of the header and the start of the body, then sparser. */
	for (off_t cut = s5 + 1; cut < full; cut += cut - s5 < 128 ? 1 : 997) {
		assert_int_equal(truncate(path, cut), 0);
		fsync_calls = 0;
		jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
		info = tt_jfile_open_info(jf);
		assert_true(info->records == 4);
		assert_int_equal(info->stop, TT_JRNL_STOP_TRUNCATED);
		assert_true(info->at_tail);
		assert_true(info->file_len == (uint64_t)cut);
		assert_true(info->valid_len == (uint64_t)s5);
		assert_true(info->cut_bytes == (uint64_t)(cut - s5));
		assert_int_equal(file_size(path), s5);
		assert_int_equal(fsync_calls, 1); /* the cut made durable */
		img = tt_jfile_image(jf, &len);
		assert_int_equal(len, s5);
		assert_true(check_records(img, len) == 4);
		/* The next record takes the torn one's place and number. */
		assert_true(tt_jfile_next_seq(jf) == 5);
		append_n(jf, 1, 0);
		close_ok(jf);
		assert_int_equal(file_size(path), full);
	}

	/* A zero-filled tail (the size reached the disk, the data did not). */
	assert_int_equal(truncate(path, full + 4096), 0);
	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	info = tt_jfile_open_info(jf);
	assert_int_equal(info->stop, TT_JRNL_STOP_BAD_MAGIC);
	assert_true(info->records == 5 && info->cut_bytes == 4096);
	close_ok(jf);
	assert_int_equal(file_size(path), full);
	assert_int_equal(unlink(path), 0);
}

/* Damage with intact records after it is refused, and the file left alone, unless overridden. */
static void test_mid_file_damage(void **state)
{
	(void)state;
	struct tt_jfile_config cfg = {.fsync = TT_JFILE_FSYNC_ALWAYS};
	char path[512], err[TT_JFILE_ERR_MAX], want[1024];
	struct tt_jfile *jf;
	off_t s2, full;
	uint8_t b;
	int fd;

	path_of(path, sizeof(path), "mid.jrnl");
	cfg.path = path;
	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	append_n(jf, 1, 0);
	close_ok(jf);
	s2 = file_size(path);
	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	append_n(jf, 3, 0);
	close_ok(jf);
	full = file_size(path);

	/* Flip a bit in record 2's body. */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, s2 + 30), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, s2 + 30), 1);
	close(fd);

	fsync_calls = 0;
	errno = 0;
	assert_null(tt_jfile_open(&cfg, err, sizeof(err)));
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(file_size(path), full);
	assert_int_equal(fsync_calls, 0);
	snprintf(want, sizeof(want),
		 "journal %s: record 2 at offset %lld: BAD_CRC (record checksum mismatch), and an "
		 "intact record follows at offset ",
		 path, (long long)s2);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "refusing to cut"));

	/* The operator's override: cut from the damage on. */
	cfg.truncate_corrupt = true;
	jf = tt_jfile_open(&cfg, err, sizeof(err));
	assert_non_null(jf);
	assert_int_equal(tt_jfile_open_info(jf)->stop, TT_JRNL_STOP_BAD_CRC);
	assert_false(tt_jfile_open_info(jf)->at_tail);
	assert_true(tt_jfile_open_info(jf)->records == 1);
	assert_true(tt_jfile_open_info(jf)->cut_bytes == (uint64_t)(full - s2));
	assert_true(tt_jfile_next_seq(jf) == 2);
	close_ok(jf);
	assert_int_equal(file_size(path), s2);
	assert_int_equal(unlink(path), 0);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct tt_jfile_config cfg = {.fsync = TT_JFILE_FSYNC_ALWAYS};
	char path[512], err[TT_JFILE_ERR_MAX], want[1024];
	struct tt_jfile *jf;

#define REFUSED(e, msg)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		err[0] = '\0';                                                                     \
		assert_null(tt_jfile_open(&cfg, err, sizeof(err)));                                \
		assert_int_equal(errno, e);                                                        \
		assert_string_equal(err, msg);                                                     \
	} while (0)
	REFUSED(EINVAL, "journal: no file name given");
	cfg.path = "";
	REFUSED(EINVAL, "journal: no file name given");
	cfg.path = "/x/j";
	cfg.fsync = TT_JFILE_FSYNC_MAX;
	REFUSED(EINVAL, "journal /x/j: fsync policy 3: allowed are always, batch, never");
	cfg.fsync = TT_JFILE_FSYNC_BATCH;
	cfg.batch_ns = 5;
	REFUSED(EINVAL, "journal /x/j: fsync batch needs batch_records >= 1 and batch_ns >= 1 "
			"(got 0 and 5)");
	cfg.batch_records = 2;
	cfg.batch_ns = 0;
	REFUSED(EINVAL, "journal /x/j: fsync batch needs batch_records >= 1 and batch_ns >= 1 "
			"(got 2 and 0)");
	assert_null(tt_jfile_open(NULL, NULL, 0));
	assert_int_equal(errno, EINVAL);

	cfg.fsync = TT_JFILE_FSYNC_ALWAYS;
	snprintf(path, sizeof(path), "%s/no/such/dir/j", dir);
	cfg.path = path;
	snprintf(want, sizeof(want), "journal %s: open: %s", path, strerror(ENOENT));
	REFUSED(ENOENT, want);

	cfg.path = dir;
	snprintf(want, sizeof(want), "journal %s: open: %s", dir, strerror(EISDIR));
	REFUSED(EISDIR, want);

	path_of(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	cfg.path = path;
	snprintf(want, sizeof(want), "journal %s: not a regular file", path);
	REFUSED(EINVAL, want);
	assert_int_equal(unlink(path), 0);

	/* One master per journal: a second open is refused while the first holds it. */
	path_of(path, sizeof(path), "locked.jrnl");
	jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
	snprintf(want, sizeof(want), "journal %s: flock: held by another process (another master?)",
		 path);
	REFUSED(EBUSY, want);
	close_ok(jf);
	jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
	close_ok(jf);
	assert_int_equal(unlink(path), 0);

	/* A failed fsync at open fails the open. */
	fsync_fail = EIO;
	snprintf(want, sizeof(want), "journal %s: fsync: %s", path, strerror(EIO));
	REFUSED(EIO, want);
	assert_int_equal(unlink(path), 0);
#undef REFUSED
}

static void test_write_failures(void **state)
{
	(void)state;
	char path[512], want[1024];
	struct tt_jfile *jf;
	struct tt_jrnl_rec bad = {.type = TT_JRNL_COMMIT};
	uint64_t seq = 0;
	off_t size;
	const uint8_t *img;
	size_t len;
	tt_ns_t dl;

	path_of(path, sizeof(path), "wfail.jrnl");
	jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
	append_n(jf, 2, 0);
	size = file_size(path);
	fsync_calls = 0;

	/* An invalid record: nothing written. */
	assert_int_equal(tt_jfile_append(jf, &bad, 0, &seq), -EINVAL);
	snprintf(want, sizeof(want), "journal %s: invalid commit record not written", path);
	assert_string_equal(tt_jfile_error(jf), want);
	assert_int_equal(tt_jfile_append(jf, NULL, 0, &seq), -EINVAL);

	/* write fails outright: reported, the number is not used. */
	struct tt_jrnl_rec r = record_for(3);
	write_fail = ENOSPC;
	assert_int_equal(tt_jfile_append(jf, &r, 0, &seq), -ENOSPC);
	snprintf(want, sizeof(want), "journal %s: write: %s", path, strerror(ENOSPC));
	assert_string_equal(tt_jfile_error(jf), want);
	assert_int_equal(file_size(path), size);
	assert_true(tt_jfile_next_seq(jf) == 3);
	assert_false(tt_jfile_failed(jf));

	/* Part of the record written, then an error: the part is cut off. */
	write_short = 40;
	write_fail = EIO;
	assert_int_equal(tt_jfile_append(jf, &r, 0, &seq), -EIO);
	assert_int_equal(file_size(path), size);
	assert_false(tt_jfile_failed(jf));
	assert_true(tt_jfile_counters(jf)->write_errors == 2);
	assert_int_equal(fsync_calls, 0);

	/* A short write that the loop completes is no error. */
	write_short = 7;
	assert_int_equal(tt_jfile_append(jf, &r, 0, &seq), 0);
	assert_true(seq == 3);
	assert_int_equal(fsync_calls, 1);
	size = file_size(path);

	/* Part written, error, and the undo fails too: FAILED from then on. */
	r = record_for(4);
	write_short = 40;
	write_fail = EIO;
	ftruncate_fail = EROFS;
	assert_int_equal(tt_jfile_append(jf, &r, 0, &seq), -EIO);
	assert_true(tt_jfile_failed(jf));
	snprintf(want, sizeof(want),
		 "journal %s: write: %s; then ftruncate (undoing the partial record): %s", path,
		 strerror(EIO), strerror(EROFS));
	assert_string_equal(tt_jfile_error(jf), want);
	assert_int_equal(file_size(path), size + 40);
	assert_int_equal(tt_jfile_append(jf, &r, 0, &seq), -EIO);
	assert_int_equal(tt_jfile_sync(jf), -EIO);
	assert_int_equal(tt_jfile_tick(jf, 0), -EIO);
	assert_false(tt_jfile_next_deadline(jf, &dl));
	assert_string_equal(tt_jfile_error(jf), want); /* the first failure is kept */
	fsync_calls = 0;
	close_ok(jf);
	assert_int_equal(fsync_calls, 0);

	/* Reopening finds the partial record a torn tail and cuts it. */
	jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
	assert_int_equal(tt_jfile_open_info(jf)->stop, TT_JRNL_STOP_TRUNCATED);
	assert_true(tt_jfile_open_info(jf)->cut_bytes == 40);
	img = tt_jfile_image(jf, &len);
	assert_true(check_records(img, len) == 3);

	/* fsync fails: the record is in the file, the journal is FAILED. */
	r = record_for(4);
	seq = 0;
	fsync_fail = EIO;
	assert_int_equal(tt_jfile_append(jf, &r, 0, &seq), -EIO);
	assert_true(seq == 4);
	assert_true(tt_jfile_failed(jf));
	assert_true(tt_jfile_durable_seq(jf) == 3);
	assert_true(tt_jfile_counters(jf)->fsync_errors == 1);
	snprintf(want, sizeof(want), "journal %s: fsync: %s", path, strerror(EIO));
	assert_string_equal(tt_jfile_error(jf), want);
	assert_int_equal(tt_jfile_append(jf, &r, 0, &seq), -EIO);
	close_ok(jf);
	jf = open_ok(path, TT_JFILE_FSYNC_NEVER);
	img = tt_jfile_image(jf, &len);
	assert_true(check_records(img, len) == 4);
	close_ok(jf);

	/* A batch journal whose close-time fsync fails reports it. */
	struct tt_jfile_config cfg = {.path = path, .fsync = TT_JFILE_FSYNC_BATCH,
				      .batch_records = 10, .batch_ns = 10};
	char err[TT_JFILE_ERR_MAX] = "";
	jf = tt_jfile_open(&cfg, err, sizeof(err));
	assert_non_null(jf);
	append_n(jf, 1, 0);
	fsync_fail = EIO;
	assert_int_equal(tt_jfile_close(jf, err, sizeof(err)), -EIO);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);
}

static void test_policy_names(void **state)
{
	(void)state;
	enum tt_jfile_fsync p = TT_JFILE_FSYNC_NEVER;

	assert_int_equal(tt_jfile_fsync_parse("always", &p), 0);
	assert_int_equal(p, TT_JFILE_FSYNC_ALWAYS);
	assert_int_equal(tt_jfile_fsync_parse("batch", &p), 0);
	assert_int_equal(p, TT_JFILE_FSYNC_BATCH);
	assert_int_equal(tt_jfile_fsync_parse("never", &p), 0);
	assert_int_equal(p, TT_JFILE_FSYNC_NEVER);
	assert_int_equal(tt_jfile_fsync_parse("Always", &p), -EINVAL);
	assert_int_equal(tt_jfile_fsync_parse("", &p), -EINVAL);
	assert_int_equal(tt_jfile_fsync_parse(NULL, &p), -EINVAL);
	assert_int_equal(p, TT_JFILE_FSYNC_NEVER);
	assert_string_equal(tt_jfile_fsync_name(TT_JFILE_FSYNC_BATCH), "batch");
	assert_string_equal(tt_jfile_fsync_name(TT_JFILE_FSYNC_MAX), "?");
	assert_string_equal(tt_jfile_fsync_rule(TT_JFILE_FSYNC_ALWAYS), "fsync after every record");
	assert_string_equal(tt_jfile_fsync_rule(TT_JFILE_FSYNC_MAX), "?");
	assert_int_equal(tt_jfile_close(NULL, NULL, 0), 0);
}

/* Crash test --------------------------------------------------------------- */

#define CRASH_ITERATIONS 20
#define CRASH_MAX_ACKS 24
#define CRASH_POLL_MS 20000 /* a child that stalls this long fails the test */
#define CRASH_MAX_RUN 200   /* records one child appends at most, then it waits */
#define CRASH_SELF_KILL_MAX 300000 /* self-kill point: 1..this many bytes in */

/*
 * The child: append record_for(seq) in a loop and ack each number: with
 * always once it is durable (fsynced), with never once append returned (in
 * the file: it must survive the process's death, if not a power loss). Its
 * write() returns at most 512 bytes per call, as POSIX allows, so a record
 * takes several calls and a kill can fall between them. With self_kill_at it
 * SIGKILLs itself after writing that many bytes: a kill inside a record
 * whatever the timing.
 */
static void crash_child(const char *path, int pipe_fd, enum tt_jfile_fsync policy,
			uint64_t self_kill_at)
{
	struct tt_jfile_config cfg = {.path = path, .fsync = policy};
	char err[TT_JFILE_ERR_MAX];
	struct tt_jfile *jf = tt_jfile_open(&cfg, err, sizeof(err));
	uint64_t stop;

	if (jf == NULL)
		_exit(3);
	ack_fd = pipe_fd;
	write_chunk = 512;
	journal_bytes = 0;
	kill_at = self_kill_at;
	stop = tt_jfile_next_seq(jf) + CRASH_MAX_RUN;
	while (tt_jfile_next_seq(jf) < stop) {
		uint64_t seq = tt_jfile_next_seq(jf), got = 0;
		struct tt_jrnl_rec r = record_for(seq);

		if (tt_jfile_append(jf, &r, 0, &got) != 0 || got != seq)
			_exit(4);
		if (policy == TT_JFILE_FSYNC_ALWAYS && tt_jfile_durable_seq(jf) != seq)
			_exit(5);
		if (write(ack_fd, &got, sizeof(got)) != sizeof(got))
			_exit(6);
	}
	for (;;)
		pause(); /* bounded file growth: wait for the kill */
}

/* Read one 8-byte ack; 1, or 0 at EOF. Fails the test on a stall. */
static int read_ack(int fd, uint64_t *ack)
{
	uint8_t *p = (uint8_t *)ack;
	size_t got = 0;

	while (got < sizeof(*ack)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		assert_int_equal(poll(&pfd, 1, CRASH_POLL_MS), 1);
		n = read(fd, p + got, sizeof(*ack) - got);
		if (n == 0) {
			assert_int_equal(got, 0); /* acks are written whole (8 bytes < PIPE_BUF) */
			return 0;
		}
		assert_true(n > 0);
		got += (size_t)n;
	}
	return 1;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Twenty kills, in four kinds taking turns: policy always or never, killed
 * by the parent after a seeded number of acks (and a seeded spin), or by
 * itself at a seeded byte. After each, the parent reopens the journal (which
 * cuts a torn tail) and checks every record byte for byte, that every ack is
 * there, and that nothing found before was lost; the next child appends to
 * what is left.
 */
static void test_crash_kill9(void **state)
{
	(void)state;
	char path[512];
	uint64_t rng = 0x9e3779b97f4a7c15ull, prev_records = 0;
	unsigned int torn = 0;

	path_of(path, sizeof(path), "crash.jrnl");
	for (unsigned int it = 0; it < CRASH_ITERATIONS; it++) {
		enum tt_jfile_fsync policy =
			it % 2 == 0 ? TT_JFILE_FSYNC_ALWAYS : TT_JFILE_FSYNC_NEVER;
		bool self_kill = it % 4 >= 2;
		uint64_t ack, max_ack = 0, kill_after = xorshift(&rng) % (CRASH_MAX_ACKS + 1);
		uint64_t self_at = self_kill ? 1 + xorshift(&rng) % CRASH_SELF_KILL_MAX : 0;
		uint64_t size0 = 0;
		int pfd[2], status;
		struct stat st;
		pid_t pid;

		if (stat(path, &st) == 0)
			size0 = (uint64_t)st.st_size;
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			crash_child(path, pfd[1], policy, self_at);
		}
		close(pfd[1]);
		if (!self_kill) {
			for (uint64_t n = 0; n < kill_after; n++) {
				assert_int_equal(read_ack(pfd[0], &ack), 1);
				max_ack = ack;
			}
			/*
			 * Spread the kill over the child's loop (encoding,
			 * write(), fsync()): a seeded spin, no sleep; what is
			 * checked after does not depend on where it lands.
			 */
			for (volatile uint64_t spin = xorshift(&rng) % 100000; spin > 0; spin--)
				;
			assert_int_equal(kill(pid, SIGKILL), 0);
		}
		/* Acks it sent before dying count too (self-kill: all of them). */
		while (read_ack(pfd[0], &ack) == 1)
			max_ack = ack;
		close(pfd[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);

		struct tt_jfile *jf = open_ok(path, TT_JFILE_FSYNC_ALWAYS);
		const struct tt_jfile_open_info *info = tt_jfile_open_info(jf);
		const uint8_t *img;
		size_t len;
		uint64_t n;

		/* Open succeeded: a clean file, or a torn tail it cut. */
		assert_true(info->stop == TT_JRNL_END || info->at_tail);
		if (self_kill)
			assert_true(info->file_len == size0 + self_at);
		if (info->cut_bytes > 0)
			torn++;
		img = tt_jfile_image(jf, &len);
		n = check_records(img, len); /* every record whole and right */
		assert_true(n == info->records);
		assert_true(n >= max_ack);	/* every acknowledged record kept */
		assert_true(n >= prev_records); /* nothing found before is ever lost */
		prev_records = n;
		close_ok(jf);
	}
	/* Informational: how many kills landed inside a record. */
	print_message("# crash: %u kills, %u torn tails cut, %llu records\n", CRASH_ITERATIONS,
		      torn, (unsigned long long)prev_records);
	assert_true(torn >= 1);
	assert_int_equal(unlink(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_create_append_reopen, reset),
		cmocka_unit_test_setup(test_fsync_policies, reset),
		cmocka_unit_test_setup(test_torn_tail_cut, reset),
		cmocka_unit_test_setup(test_mid_file_damage, reset),
		cmocka_unit_test_setup(test_open_errors, reset),
		cmocka_unit_test_setup(test_write_failures, reset),
		cmocka_unit_test_setup(test_policy_names, reset),
		cmocka_unit_test_setup(test_crash_kill9, reset),
	};

	fill_pattern();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
