/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The master journal's file: behaviour in journal_file.h, record format in
 * engine/journal.h.
 */

#include "journal_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tt_names.h"

struct tt_jfile {
	int fd;
	bool failed;
	struct tt_jfile_config cfg; /* cfg.path points at path */
	char *path;
	uint64_t size;	       /* bytes of whole records in the file */
	uint64_t next_seq;
	uint64_t durable_seq;
	uint32_t unsynced;     /* records written since the last fsync */
	tt_ns_t first_unsynced_ns;
	uint8_t *image;	       /* the valid bytes read at open */
	size_t image_len;
	uint8_t *enc;	       /* one encoded record, TT_JRNL_MAX_REC bytes */
	struct tt_jfile_open_info info;
	struct tt_jfile_counters ctr;
	char err[TT_JFILE_ERR_MAX];
};

static const char *const fsync_names[] = {
#define TT_X(name, val, str) [TT_JFILE_FSYNC_##name] = val,
	TT_JFILE_FSYNC_POLICIES(TT_X)
#undef TT_X
};

static const char *const fsync_rules[] = {
#define TT_X(name, val, str) [TT_JFILE_FSYNC_##name] = str,
	TT_JFILE_FSYNC_POLICIES(TT_X)
#undef TT_X
};

const char *tt_jfile_fsync_name(unsigned int policy)
{
	return TT_NAME_AT(fsync_names, policy, "?");
}

const char *tt_jfile_fsync_rule(unsigned int policy)
{
	return TT_NAME_AT(fsync_rules, policy, "?");
}

int tt_jfile_fsync_parse(const char *s, enum tt_jfile_fsync *policy)
{
	if (s == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < TT_JFILE_FSYNC_MAX; i++) {
		if (strcmp(s, fsync_names[i]) == 0) {
			*policy = (enum tt_jfile_fsync)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void fmt_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fmt_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* "journal PATH: CALL: strerror(e)" into jf->err; returns -e. */
static int call_failed(struct tt_jfile *jf, const char *call, int e)
{
	fmt_err(jf->err, sizeof(jf->err), "journal %s: %s: %s", jf->path, call, strerror(e));
	return -e;
}

/* fsync the file; on failure the journal is FAILED (see journal_file.h). */
static int do_fsync(struct tt_jfile *jf)
{
	jf->ctr.fsyncs++;
	if (fsync(jf->fd) != 0) {
		int e = errno;

		jf->ctr.fsync_errors++;
		jf->failed = true;
		return call_failed(jf, "fsync", e);
	}
	jf->durable_seq = jf->next_seq - 1;
	jf->unsynced = 0;
	return 0;
}

/* fsync the directory holding path, so that a new file's name is on disk too. */
static int fsync_dir(struct tt_jfile *jf)
{
	char *copy = strdup(jf->path);
	int dfd, rc = 0;

	if (copy == NULL)
		return call_failed(jf, "strdup", ENOMEM);
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = call_failed(jf, "open (its directory)", errno);
	} else {
		if (fsync(dfd) != 0)
			rc = call_failed(jf, "fsync (its directory)", errno);
		close(dfd);
	}
	free(copy);
	return rc;
}

/* Open without creating; create (0600, exclusive) only if it does not exist. */
static int open_or_create(struct tt_jfile *jf)
{
	for (int tries = 0; tries < 2; tries++) {
		jf->fd = open(jf->path, O_RDWR | O_APPEND | O_CLOEXEC);
		if (jf->fd >= 0 || errno != ENOENT)
			break;
		jf->fd = open(jf->path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (jf->fd >= 0) {
			jf->info.created = true;
			break;
		}
		/* EEXIST: someone created it between the two calls; open theirs. */
		if (errno != EEXIST)
			break;
	}
	return jf->fd >= 0 ? 0 : call_failed(jf, "open", errno);
}

/* Read the whole file into jf->image. 0 or -errno. */
static int read_all(struct tt_jfile *jf)
{
	struct stat st;
	size_t len, got = 0;

	if (fstat(jf->fd, &st) != 0)
		return call_failed(jf, "fstat", errno);
	if (!S_ISREG(st.st_mode)) {
		fmt_err(jf->err, sizeof(jf->err), "journal %s: not a regular file", jf->path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size >= SIZE_MAX / 2) {
		fmt_err(jf->err, sizeof(jf->err), "journal %s: %lld bytes: too large to read",
			jf->path, (long long)st.st_size);
		return -EFBIG;
	}
	len = (size_t)st.st_size;
	jf->image = malloc(len > 0 ? len : 1);
	if (jf->image == NULL)
		return call_failed(jf, "malloc", ENOMEM);
	while (got < len) {
		ssize_t n = pread(jf->fd, jf->image + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return call_failed(jf, "read", errno);
		if (n == 0)
			break; /* shorter than fstat said: we hold the lock; take what is there */
		got += (size_t)n;
	}
	jf->image_len = got;
	jf->info.file_len = got;
	return 0;
}

/*
 * Decode the image; cut a torn tail (or, if the operator said so, any
 * damage), refuse damage in the middle. 0 or -errno.
 */
static int check_and_cut(struct tt_jfile *jf)
{
	struct tt_jrnl_dec d;
	struct tt_jrnl_rec rec;

	tt_jrnl_dec_init(&d, jf->image, jf->image_len);
	while (tt_jrnl_dec_next(&d, &rec) == 1)
		;
	jf->info.records = d.records;
	jf->info.valid_len = d.off;
	jf->info.stop = d.stop;
	jf->info.at_tail = d.at_tail;
	jf->next_seq = d.next_seq;
	if (d.stop == TT_JRNL_END)
		return 0;
	if (!d.at_tail && !jf->cfg.truncate_corrupt) {
		fmt_err(jf->err, sizeof(jf->err),
			"journal %s: record %llu at offset %zu: %s (%s), and an intact record "
			"follows at offset %zu: damage inside the file, not a torn tail; refusing "
			"to cut %zu bytes (set truncate_corrupt to cut them, losing those records)",
			jf->path, (unsigned long long)d.next_seq, d.off, tt_jrnl_stop_name(d.stop),
			tt_jrnl_stop_rule(d.stop), d.intact_off, jf->image_len - d.off);
		return -EBADMSG;
	}
	if (ftruncate(jf->fd, (off_t)d.off) != 0)
		return call_failed(jf, "ftruncate", errno);
	jf->info.cut_bytes = jf->image_len - d.off;
	jf->image_len = d.off;
	return 0;
}

static int check_config(const struct tt_jfile_config *cfg, char *err, size_t err_len)
{
	if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0') {
		fmt_err(err, err_len, "journal: no file name given");
		return -EINVAL;
	}
	if ((unsigned int)cfg->fsync >= TT_JFILE_FSYNC_MAX) {
		fmt_err(err, err_len,
			"journal %s: fsync policy %u: allowed are always, batch, never", cfg->path,
			(unsigned int)cfg->fsync);
		return -EINVAL;
	}
	if (cfg->fsync == TT_JFILE_FSYNC_BATCH && (cfg->batch_records == 0 || cfg->batch_ns == 0)) {
		fmt_err(err, err_len,
			"journal %s: fsync batch needs batch_records >= 1 and batch_ns >= 1 "
			"(got %u and %llu)",
			cfg->path, cfg->batch_records, (unsigned long long)cfg->batch_ns);
		return -EINVAL;
	}
	return 0;
}

/* Steps in journal_file.h's order; any failure unwinds everything. NULL + errno. */
struct tt_jfile *tt_jfile_open(const struct tt_jfile_config *cfg, char *err, size_t err_len)
{
	struct tt_jfile *jf;
	int rc = check_config(cfg, err, err_len);

	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	jf = calloc(1, sizeof(*jf));
	if (jf == NULL || (jf->path = strdup(cfg->path)) == NULL ||
	    (jf->enc = malloc(TT_JRNL_MAX_REC)) == NULL) {
		fmt_err(err, err_len, "journal %s: out of memory", cfg->path);
		rc = -ENOMEM;
		goto fail;
	}
	jf->fd = -1;
	jf->cfg = *cfg;
	jf->cfg.path = jf->path;
	rc = open_or_create(jf);
	if (rc < 0)
		goto fail_msg;
	if (flock(jf->fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			fmt_err(jf->err, sizeof(jf->err),
				"journal %s: flock: held by another process (another master?)",
				jf->path);
			rc = -EBUSY;
		} else {
			rc = call_failed(jf, "flock", errno);
		}
		goto fail_msg;
	}
	rc = read_all(jf);
	if (rc < 0)
		goto fail_msg;
	rc = check_and_cut(jf);
	if (rc < 0)
		goto fail_msg;
	jf->size = jf->image_len;
	if (jf->cfg.fsync != TT_JFILE_FSYNC_NEVER) {
		/* Makes the records found (and a cut) durable before anything builds on them. */
		rc = do_fsync(jf);
		if (rc == 0 && jf->info.created)
			rc = fsync_dir(jf);
		if (rc < 0)
			goto fail_msg;
	}
	return jf;

fail_msg:
	fmt_err(err, err_len, "%s", jf->err);
fail:
	if (jf != NULL) {
		if (jf->fd >= 0)
			close(jf->fd);
		free(jf->image);
		free(jf->enc);
		free(jf->path);
		free(jf);
	}
	errno = -rc;
	return NULL;
}

/* Fsync what waits, then release everything; the first error is returned. */
int tt_jfile_close(struct tt_jfile *jf, char *err, size_t err_len)
{
	int rc = 0;

	if (jf == NULL)
		return 0;
	if (!jf->failed && jf->unsynced > 0 && jf->cfg.fsync != TT_JFILE_FSYNC_NEVER)
		rc = do_fsync(jf);
	/* Closing drops the flock. */
	if (close(jf->fd) != 0 && rc == 0)
		rc = call_failed(jf, "close", errno);
	if (rc < 0)
		fmt_err(err, err_len, "%s", jf->err);
	free(jf->image);
	free(jf->enc);
	free(jf->path);
	free(jf);
	return rc;
}

/*
 * Write one record whole. On failure, cut off whatever part of it reached the
 * file so that the next record starts where this one should have; if even
 * that fails the file's tail is unknown and the journal is FAILED.
 */
static int write_record(struct tt_jfile *jf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(jf->fd, jf->enc + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* write() returning 0 for a non-empty regular-file write: treat as full. */
			int e = n < 0 ? errno : ENOSPC;

			jf->ctr.write_errors++;
			call_failed(jf, "write", e);
			if (done > 0 && ftruncate(jf->fd, (off_t)jf->size) != 0) {
				size_t at = strlen(jf->err);

				jf->failed = true;
				fmt_err(jf->err + at, sizeof(jf->err) - at,
					"; then ftruncate (undoing the partial record): %s",
					strerror(errno));
			}
			return -e;
		}
		done += (size_t)n;
	}
	return 0;
}

int tt_jfile_append(struct tt_jfile *jf, const struct tt_jrnl_rec *rec, tt_ns_t now,
		    uint64_t *seq)
{
	int len, rc;

	if (jf->failed)
		return -EIO; /* jf->err keeps the failure that stopped it */
	len = tt_jrnl_encode(rec, jf->next_seq, jf->enc, TT_JRNL_MAX_REC);
	if (len < 0) {
		fmt_err(jf->err, sizeof(jf->err), "journal %s: invalid %s record not written",
			jf->path, rec != NULL ? tt_jrnl_type_name(rec->type) : "NULL");
		return -EINVAL;
	}
	rc = write_record(jf, (size_t)len);
	if (rc < 0)
		return rc;
	if (seq != NULL)
		*seq = jf->next_seq;
	jf->next_seq++;
	jf->size += (uint64_t)len;
	jf->ctr.appends++;
	jf->ctr.bytes += (uint64_t)len;
	if (jf->unsynced++ == 0)
		jf->first_unsynced_ns = now;
	switch (jf->cfg.fsync) {
	case TT_JFILE_FSYNC_ALWAYS:
		return do_fsync(jf);
	case TT_JFILE_FSYNC_BATCH:
		return jf->unsynced >= jf->cfg.batch_records ? do_fsync(jf) : 0;
	default:
		return 0;
	}
}

int tt_jfile_sync(struct tt_jfile *jf)
{
	if (jf->failed)
		return -EIO; /* jf->err keeps the failure that stopped it */
	if (jf->unsynced == 0 || jf->cfg.fsync == TT_JFILE_FSYNC_NEVER)
		return 0;
	return do_fsync(jf);
}

bool tt_jfile_next_deadline(const struct tt_jfile *jf, tt_ns_t *deadline)
{
	if (jf->failed || jf->unsynced == 0 || jf->cfg.fsync != TT_JFILE_FSYNC_BATCH)
		return false;
	*deadline = jf->first_unsynced_ns + jf->cfg.batch_ns;
	return true;
}

int tt_jfile_tick(struct tt_jfile *jf, tt_ns_t now)
{
	tt_ns_t deadline;
	int rc;

	if (jf->failed)
		return -EIO; /* jf->err keeps the failure that stopped it */
	if (!tt_jfile_next_deadline(jf, &deadline) || !tt_time_reached(now, deadline))
		return 0;
	rc = do_fsync(jf);
	return rc < 0 ? rc : 1;
}

const uint8_t *tt_jfile_image(const struct tt_jfile *jf, size_t *len)
{
	*len = jf->image_len;
	return jf->image;
}

uint64_t tt_jfile_next_seq(const struct tt_jfile *jf)
{
	return jf->next_seq;
}

uint64_t tt_jfile_durable_seq(const struct tt_jfile *jf)
{
	return jf->durable_seq;
}

bool tt_jfile_failed(const struct tt_jfile *jf)
{
	return jf->failed;
}

const char *tt_jfile_error(const struct tt_jfile *jf)
{
	return jf->err;
}

const struct tt_jfile_open_info *tt_jfile_open_info(const struct tt_jfile *jf)
{
	return &jf->info;
}

const struct tt_jfile_counters *tt_jfile_counters(const struct tt_jfile *jf)
{
	return &jf->ctr;
}
