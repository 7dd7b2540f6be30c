/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_JOURNAL_WRITER_H
#define TT_JOURNAL_WRITER_H

/**
 * @file
 * The master journal's write path (issue 7): the master's polling lcore
 * hands records to a lock-free single-producer, single-consumer queue (the
 * scheduler's append hook, engine/scheduler.h); a writer thread of its own
 * takes them in order, writes them to the journal file (journal_file.h) and
 * fsyncs it as the policy says. The polling lcore never makes a system call
 * for the journal and never waits for the disk.
 *
 * Tickets. Each record queued gets a ticket, 1, 2, 3, ... A ticket is
 * *done* when its record reached what the policy promises (the scheduler
 * releases a finished task, i.e. reports its commit to the submitter, only
 * then):
 *
 *   ALWAYS  fsynced. The writer fsyncs after every pass that wrote records
 *           (group commit: one fsync covers every record the pass wrote), so
 *           a released commit survives a process crash and a power loss.
 *   BATCH   fsynced, by the file's batch rule (batch_records records waiting,
 *           or the oldest batch_ns old). Same promise as ALWAYS; commits are
 *           reported up to batch_ns later, the disk sees fewer fsyncs.
 *   NEVER   written (write() returned): survives the master process being
 *           killed (the kernel has the page), NOT a power loss or a kernel
 *           crash: a reported commit can then be lost, and the task runs and
 *           commits again after the restart.
 * Under every policy a commit that was not done when the master died is not
 * in the replay: the task is PENDING again and runs again (at-least-once
 * execution); the journal never holds two commits of one task.
 *
 * Room. The queue holds `capacity` records (a power of two). The scheduler
 * keeps a finished task until its end record is done, so every queued record
 * belongs to a task in its table, two at most (SUBMIT and its end): with
 * capacity >= 2 * max_tasks the queue never refuses a record. A refusal
 * (smaller queue, or a writer that stopped after an I/O error) is counted
 * in full; the scheduler then refuses the submit (-EAGAIN, its
 * journal_refused) or counts the lost end (journal_lost). A writer that
 * falls behind thus shows as finished tasks held in the table and, once it
 * is full, submits refused (counted), never as a record dropped.
 *
 * Errors. A write() error is retried on the next pass (the record stays
 * queued: the file undid the partial record); an fsync error leaves the
 * file FAILED (journal_file.h): the writer stops writing, nothing becomes
 * done any more, and failed says so; the master must be restarted.
 *
 * Lifetime: a queued SUBMIT points at its handler in the scheduler's table
 * and at the submitter's payload; flush (or drain) the writer before the
 * table (the master) is destroyed or the payloads are freed.
 *
 * Threads: tt_jwriter_append() on one producer thread (the master's lcore);
 * tt_jwriter_done() and tt_jwriter_stats() on any thread; the rest on the
 * control thread. tt_jwriter_drain() is the writer thread's step, public for
 * tests that run it without the thread (never while it runs).
 */

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "journal_file.h"
#include "scheduler.h"
#include "tt_time.h"

/** Defaults for zero fields of struct tt_jwriter_config. */
#define TT_JWRITER_DEFAULT_IDLE_US 200u
#define TT_JWRITER_MAX_CAPACITY	   (1u << 30)
/** tt_jwriter_flush() gives up after this many 100 µs naps (a write() that keeps failing). */
#define TT_JWRITER_FLUSH_NAPS 100000u

struct tt_jwriter_config {
	struct tt_jfile *jf; /* open journal; the writer owns it from create on */
	bool group_sync;     /* ALWAYS: fsync after every pass that wrote (file policy BATCH) */
	bool done_on_write;  /* NEVER: a record is done once written */
	uint32_t capacity;   /* records; rounded up to a power of two; 2..2^30 */
	uint32_t idle_us;    /* writer thread's sleep when the queue is empty; 0: default */
};

struct tt_jwriter_stats {
	uint64_t queued;	/* records taken by append (tickets handed out) */
	uint64_t full;		/* appends refused: queue full (or writer failed) */
	uint64_t written;	/* records in the file */
	uint64_t invalid;	/* records the file refused as invalid (skipped, counted done) */
	uint64_t write_retries; /* passes that stopped on a write() error */
	uint64_t done;		/* last done ticket */
	uint64_t max_depth;	/* most records waiting at a pass */
	uint64_t passes;	/* writer passes that wrote something */
	bool failed;		/* the file is FAILED: nothing is written any more */
};

struct tt_jwriter;

/**
 * Create a writer over an open journal (not started).
 *
 * @return the writer, or NULL with errno EINVAL (no file, capacity out of
 *         range) or ENOMEM. On failure the file is still the caller's.
 */
struct tt_jwriter *tt_jwriter_create(const struct tt_jwriter_config *cfg);

/**
 * Stop the thread (as tt_jwriter_stop()), close the journal, free. NULL is fine.
 * @return 0 or tt_jfile_close()'s error.
 */
int tt_jwriter_destroy(struct tt_jwriter *w);

/** Launch the writer thread. @return 0, -EALREADY, or pthread_create's negative errno. */
int tt_jwriter_start(struct tt_jwriter *w);

/**
 * Stop the thread after it wrote every queued record and fsynced them
 * (unless the policy is NEVER). The producer must have stopped appending.
 * @return 0, -EALREADY (not running), -EIO (the file FAILED), or -EAGAIN
 *         (write() kept failing: records are left in the queue).
 */
int tt_jwriter_stop(struct tt_jwriter *w);

/**
 * Wait until every record queued before the call is done, asking the thread
 * for an fsync now (a BATCH journal does not wait for its batch). Without the
 * thread, write and fsync them on the calling thread.
 *
 * @return 0, -EIO (the file FAILED), -EAGAIN (no thread, write() failed),
 *         or -ETIMEDOUT (write() kept failing). Control thread; sleeps.
 */
int tt_jwriter_flush(struct tt_jwriter *w);

/**
 * Give up on what is still queued after a failed tt_jwriter_flush(): stop
 * the thread, mark the journal FAILED and drop the records that were never
 * done (their SUBMITs point into the master's table and the submitter's
 * payloads, which the caller is about to free; none of them was promised
 * durable). Nothing is written after this. Control thread, with no
 * producer running.
 */
void tt_jwriter_abandon(struct tt_jwriter *w);

/**
 * Producer: queue a record (tt_sched_jrnl_append_fn). Copies the record;
 * its handler and payload must stay valid until its ticket is done.
 *
 * @param arg     the writer.
 * @return 0 and *ticket; -ENOBUFS (full, counted) or -EIO (failed).
 */
int tt_jwriter_append(void *arg, const struct tt_jrnl_rec *rec, uint64_t *ticket);

/** Whether @p ticket is done (tt_sched_jrnl_done_fn). Any thread; one atomic load. */
bool tt_jwriter_done(void *arg, uint64_t ticket);

/** Fill the scheduler's hooks with this writer (restore fields untouched). */
void tt_jwriter_hooks(struct tt_jwriter *w, struct tt_sched_persist *p);

/**
 * Writer step: write every queued record, fsync as the policy says, publish
 * the done ticket. The thread calls it; tests call it instead of starting one.
 *
 * @param now  CLOCK_MONOTONIC time (batch timing).
 * @return records written (>= 0), or -EIO once the file FAILED.
 */
int tt_jwriter_drain(struct tt_jwriter *w, tt_ns_t now);

/** Counters (any thread; relaxed reads). */
void tt_jwriter_stats(const struct tt_jwriter *w, struct tt_jwriter_stats *out);

/** The file (for its counters and error message; not to be written). */
const struct tt_jfile *tt_jwriter_file(const struct tt_jwriter *w);

#endif /* TT_JOURNAL_WRITER_H */
