/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_JOURNAL_FILE_H
#define TT_JOURNAL_FILE_H

/**
 * @file
 * The master journal's file: records (engine/journal.h) appended to one file
 * with an fsync policy. Part of the tether_journal library: POSIX I/O, no
 * DPDK.
 *
 * Open (tt_jfile_open()) creates the file (mode 0600, and fsyncs its
 * directory so that the name survives a crash) or opens it, takes an
 * exclusive flock() so that a second master cannot append to it, reads it
 * whole and decodes it. A torn tail (the decoder's at_tail: a record cut
 * short or damaged with no intact record after it, as a crash inside write()
 * or a power loss leaves) is cut off with ftruncate() before anything is
 * appended. Damage that is not at the tail (an intact record follows it)
 * means the middle of the file changed: cutting there would lose commits, so
 * open refuses, saying where, unless the operator sets truncate_corrupt.
 * The bytes read stay in memory (tt_jfile_image()) for the master's replay:
 * the replayed tasks' handler names and payloads point into them.
 *
 * Appends go through one write() per record on an O_APPEND descriptor. A
 * record is in the file (it survives the process being killed) when
 * tt_jfile_append() returns, and on disk (it survives a power loss) once it
 * is fsynced: when tt_jfile_durable_seq() reaches its sequence number. The
 * fsync policy says when that happens:
 *
 *  - always: after every record (one fsync per append);
 *  - batch:  when batch_records records are waiting, or when tt_jfile_tick()
 *            finds the oldest waiting record batch_ns old (caller-driven:
 *            call it by tt_jfile_next_deadline()), and at close;
 *  - never:  fsync is never called (not at open or close either); nothing is
 *            ever reported durable (durable_seq stays 0).
 * With always and batch, open also fsyncs the file once, so that what it
 * found is durable too.
 *
 * A failed write is undone (the partial record is cut off with ftruncate())
 * and reported; the record's sequence number is not used. A failed fsync, or
 * a failed undo, leaves the journal FAILED: the kernel may have dropped the
 * unsynced pages, so nothing written since the last good fsync can be trusted
 * on disk, and every later call returns -EIO. The master must stop; a new
 * open re-reads what the file really holds.
 *
 * Errors name the file and the failing call, e.g.
 *     journal /var/lib/tether/master.jrnl: write: No space left on device
 * (tt_jfile_error() keeps the last one).
 *
 * Execution context: one thread owns a journal (the master's control lcore,
 * or a thread of its own); blocking I/O: not on a polling lcore's fast path.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "tt_time.h"

/** Room for any error message of this module with a path of up to 256 bytes. */
#define TT_JFILE_ERR_MAX 512

/* fsync policies. X(name, config value, printable) */
#define TT_JFILE_FSYNC_POLICIES(X)                                                                 \
	X(ALWAYS, "always", "fsync after every record")                                            \
	X(BATCH, "batch", "fsync every batch_records records or batch_ns after the oldest")        \
	X(NEVER, "never", "never fsync: records survive a process crash, not a power loss")

enum tt_jfile_fsync {
#define TT_X(name, val, str) TT_JFILE_FSYNC_##name,
	TT_JFILE_FSYNC_POLICIES(TT_X)
#undef TT_X
	TT_JFILE_FSYNC_MAX
};

struct tt_jfile_config {
	const char *path;	   /* the journal file; copied */
	enum tt_jfile_fsync fsync; /* policy */
	uint32_t batch_records;	   /* batch: fsync once this many records wait; >= 1 */
	tt_ns_t batch_ns;	   /* batch: longest a record waits for tt_jfile_tick(); >= 1 */
	/**
	 * Operator override: cut off damage even when intact records follow it
	 * (they are lost). Off by default: such a file is refused.
	 */
	bool truncate_corrupt;
};

/** What open found. */
struct tt_jfile_open_info {
	bool created;		/* the file did not exist */
	uint64_t records;	/* valid records kept */
	uint64_t file_len;	/* bytes in the file when opened */
	uint64_t valid_len;	/* bytes of valid records: the file's length after open */
	enum tt_jrnl_stop stop; /* why decoding stopped (TT_JRNL_END: a clean file) */
	bool at_tail;		/* the bytes cut were a torn tail (see journal.h) */
	uint64_t cut_bytes;	/* file_len - valid_len, removed with ftruncate() */
};

struct tt_jfile_counters {
	uint64_t appends;      /* records written */
	uint64_t bytes;	       /* their bytes */
	uint64_t fsyncs;       /* fsync calls on the file (open, policy, sync, close) */
	uint64_t write_errors; /* appends that failed in write() */
	uint64_t fsync_errors;
};

struct tt_jfile;

/** Printable names, from the X-macro; "?" when out of range. */
const char *tt_jfile_fsync_name(unsigned int policy); /* "always", "batch", "never" */
const char *tt_jfile_fsync_rule(unsigned int policy); /* the sentence */

/**
 * Map a config value to a policy.
 *
 * @param s       "always", "batch" or "never" (exact).
 * @param policy  out.
 * @return 0, or -EINVAL (unknown value; policy unchanged).
 */
int tt_jfile_fsync_parse(const char *s, enum tt_jfile_fsync *policy);

/**
 * Open or create a journal, cut a torn tail, keep what it holds in memory.
 *
 * @param cfg      the configuration (path copied).
 * @param err      on failure, a message naming the file and the failing call
 *                 or the problem; may be NULL if err_len is 0.
 * @param err_len  size of err (TT_JFILE_ERR_MAX).
 * @return the journal, or NULL with errno: EINVAL (configuration, or not a
 *         regular file), EBUSY (another process holds it), EBADMSG (damage
 *         that is not a torn tail), EFBIG (larger than memory can hold), or
 *         the errno of open/flock/fstat/read/ftruncate/fsync/malloc.
 *         Control context; blocking.
 */
struct tt_jfile *tt_jfile_open(const struct tt_jfile_config *cfg, char *err, size_t err_len);

/**
 * Close a journal (NULL is fine): fsync what waits (unless the policy is
 * never or the journal FAILED), unlock, close, free the image.
 *
 * @return 0, or the negative errno of that last fsync or of close() (err says
 *         which); the journal is freed either way.
 */
int tt_jfile_close(struct tt_jfile *jf, char *err, size_t err_len);

/**
 * Append one record under the next sequence number, then fsync if the
 * policy says so.
 *
 * @param rec  the record (rec->seq is ignored).
 * @param now  current time (batch: when the record started waiting).
 * @param seq  out, may be NULL: the record's sequence number, set whenever
 *             the record reached the file (also when its fsync failed).
 * @return 0; -EINVAL (invalid record, nothing written); the negative errno of
 *         write() (record undone, seq not used); of fsync() (the record is in
 *         the file, the journal is FAILED); -EIO (FAILED earlier).
 */
int tt_jfile_append(struct tt_jfile *jf, const struct tt_jrnl_rec *rec, tt_ns_t now,
		    uint64_t *seq);

/**
 * fsync now if any record waits (any policy but never: there it does nothing).
 *
 * @return 0, the negative errno of fsync() (FAILED), or -EIO (FAILED earlier).
 */
int tt_jfile_sync(struct tt_jfile *jf);

/**
 * Batch policy: fsync if the oldest waiting record has waited batch_ns.
 *
 * @return 1 if it fsynced, 0 if nothing was due, or tt_jfile_sync()'s error.
 */
int tt_jfile_tick(struct tt_jfile *jf, tt_ns_t now);

/**
 * When tt_jfile_tick() must next run.
 *
 * @return true and *deadline, or false if no record waits for a timed fsync.
 */
bool tt_jfile_next_deadline(const struct tt_jfile *jf, tt_ns_t *deadline);

/**
 * The valid bytes the file held at open (after cutting a torn tail), for
 * tt_jrnl_replay_buf(). Owned by the journal; valid until tt_jfile_close().
 *
 * @param len  out: their number.
 */
const uint8_t *tt_jfile_image(const struct tt_jfile *jf, size_t *len);

/** The sequence number the next record will get. */
uint64_t tt_jfile_next_seq(const struct tt_jfile *jf);

/** The largest sequence number known to be on disk (fsynced); 0 if none. */
uint64_t tt_jfile_durable_seq(const struct tt_jfile *jf);

/** Whether a failed fsync or undo stopped the journal (every call then returns -EIO). */
bool tt_jfile_failed(const struct tt_jfile *jf);

/** The last error message ("" if none). */
const char *tt_jfile_error(const struct tt_jfile *jf);

const struct tt_jfile_open_info *tt_jfile_open_info(const struct tt_jfile *jf);
const struct tt_jfile_counters *tt_jfile_counters(const struct tt_jfile *jf);

#endif /* TT_JOURNAL_FILE_H */
