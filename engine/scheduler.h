/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_SCHED_H
#define TT_SCHED_H

/**
 * @file
 * The master's task table (DESIGN.md §1, issue 3 "scheduling").
 *
 *   submit -> PENDING --dispatch--> ASSIGNED(worker, epoch, channel) --RESULT--> COMMITTED
 *              ^   |                     |         |
 *              |   |                     |         cancel
 *              +---|--- worker dead -----+         v
 *                  |    (epoch + 1)             CANCELLING --ACK or worker dead--> CANCELLED
 *                  +--- cancel ----------------------------------------------> CANCELLED
 *
 * A task's epoch is its attempt number: 1 at submit, one more every time the
 * task is taken back from a dead worker. A RESULT commits only if it carries
 * the task's current (worker, epoch) while the task is ASSIGNED; anything else
 * is dropped and counted as stale, by reason. So a worker that was paused past
 * its master's timeout, and wakes to send an old result, cannot commit it.
 *
 * The module never touches a channel, a clock or a heartbeat. The caller:
 *  - reports workers live (tt_sched_worker_up) and dead (tt_sched_worker_dead:
 *    the master's detection timeout T1, which by the config rule
 *    T1 > T2 + I + d_max + g comes after the worker fenced itself);
 *  - reports which of a worker's data channels are up;
 *  - feeds in RESULT and CANCEL_ACK messages;
 *  - carries out the actions (messages to send on a worker's channel) that
 *    tt_sched_dispatch() and tt_sched_cancel() append to a struct tt_sched_out.
 *
 * Every decision is appended to an event log in a caller-provided array, so
 * that a checker can replay the run.
 *
 * Memory is allocated once, in tt_sched_create(); nothing allocates after.
 * Execution context: one thread (the master's control or data lcore) owns a
 * table; no call is thread-safe against another on the same table.
 */

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "task_msg.h"
#include "tt_time.h"

#define TT_SCHED_MAX_CHANNELS 16	/* data channels per worker, DESIGN.md §1 */
#define TT_SCHED_OUT_MAX 64		/* actions one struct tt_sched_out holds */
#define TT_SCHED_NO_WORKER UINT32_MAX	/* a task never assigned */

/* Task states. X(name, printable) */
#define TT_SCHED_STATES(X)                                                                         \
	X(PENDING, "pending")                                                                      \
	X(ASSIGNED, "assigned")                                                                    \
	X(CANCELLING, "cancelling")                                                                \
	X(COMMITTED, "committed")                                                                  \
	X(CANCELLED, "cancelled")

enum tt_sched_state {
#define TT_X(name, str) TT_SCHED_S_##name,
	TT_SCHED_STATES(TT_X)
#undef TT_X
	TT_SCHED_S_MAX
};

/**
 * What became of a RESULT. Slot 0 commits; every other is a stale reason,
 * checked in this order. X(name, printable)
 */
#define TT_SCHED_STALE_REASONS(X)                                                                  \
	X(UNKNOWN_TASK, "no such task: never submitted, or released")                              \
	X(ALREADY_COMMITTED, "the task is already committed")                                      \
	X(CANCELLED, "the task is cancelled or being cancelled")                                   \
	X(WRONG_WORKER, "the sender does not hold the task's current assignment")                  \
	X(WRONG_EPOCH, "the result is for another attempt (epoch) of the task")                    \
	X(NOT_ASSIGNED, "the task is pending: no attempt is outstanding")

enum tt_sched_verdict {
	TT_SCHED_COMMIT = 0,
#define TT_X(name, str) TT_SCHED_STALE_##name,
	TT_SCHED_STALE_REASONS(TT_X)
#undef TT_X
	TT_SCHED_VERDICT_MAX
};

/** How a cancel request went (aux of a CANCEL event). X(name, printable) */
#define TT_SCHED_CANCEL_ROUTES(X)                                                                  \
	X(PENDING, "task was pending: cancelled at once")                                          \
	X(SENT, "CANCEL sent to the owner on the task's channel")                                  \
	X(DEFERRED, "the task's channel is down: the owner's fence ends the task")

enum tt_sched_cancel_route {
#define TT_X(name, str) TT_SCHED_CANCEL_##name,
	TT_SCHED_CANCEL_ROUTES(TT_X)
#undef TT_X
	TT_SCHED_CANCEL_ROUTE_MAX
};

/** Why a task became CANCELLED (aux of a CANCELLED event). X(name, printable) */
#define TT_SCHED_CANCEL_ENDS(X)                                                                    \
	X(WAS_PENDING, "never assigned")                                                           \
	X(ACK, "the owner acknowledged the CANCEL")                                                \
	X(WORKER_DEAD, "the owner was declared dead: its fence ended the task")

enum tt_sched_cancel_end {
#define TT_X(name, str) TT_SCHED_END_##name,
	TT_SCHED_CANCEL_ENDS(TT_X)
#undef TT_X
	TT_SCHED_CANCEL_END_MAX
};

/**
 * Event log kinds. Fields of struct tt_sched_event per kind:
 *
 *   kind           task  worker          epoch                  aux
 *   SUBMIT         id    NO_WORKER       1                      0
 *   ASSIGN         id    placed on       attempt's epoch        channel
 *   RESULT_COMMIT  id    sender          epoch in the RESULT    status
 *   RESULT_STALE   id    sender          epoch in the RESULT    enum tt_sched_verdict
 *   WORKER_UP      0     worker          worker's epoch         channels
 *   WORKER_DEAD    0     worker          worker's epoch         tasks taken back
 *   RESCHEDULE     id    dead owner      the task's new epoch   0
 *   CANCEL         id    owner or NO_W.  task's epoch           enum tt_sched_cancel_route
 *   CANCELLED      id    owner or NO_W.  task's epoch           enum tt_sched_cancel_end
 *
 * X(name, printable)
 */
#define TT_SCHED_EVENTS(X)                                                                         \
	X(SUBMIT, "submit")                                                                        \
	X(ASSIGN, "assign")                                                                        \
	X(RESULT_COMMIT, "result-commit")                                                          \
	X(RESULT_STALE, "result-stale")                                                            \
	X(WORKER_UP, "worker-up")                                                                  \
	X(WORKER_DEAD, "worker-dead")                                                              \
	X(RESCHEDULE, "reschedule")                                                                \
	X(CANCEL, "cancel")                                                                        \
	X(CANCELLED, "cancelled")                                                                  \
	X(RESULT_BUSY, "result-busy")

enum tt_sched_event_kind {
#define TT_X(name, str) TT_SCHED_EV_##name,
	TT_SCHED_EVENTS(TT_X)
#undef TT_X
	TT_SCHED_EV_MAX
};

/** One log record; see TT_SCHED_EVENTS for the fields of each kind. */
struct tt_sched_event {
	tt_ns_t time_ns;
	uint64_t task_id;
	uint32_t worker;
	uint32_t epoch;
	uint16_t kind;	/* enum tt_sched_event_kind */
	uint16_t aux;
};

/**
 * Journal hook (issue 7 "Master journal"): take one record for the journal
 * (engine/journal.h). Called for a task's SUBMIT before the task enters the
 * table, and for its COMMIT or CANCELLED as it ends, in the order the table
 * changes. Must not block: it queues the record for a writer elsewhere.
 * Handler and payload pointers in @p rec stay valid until the task is
 * released, which waits for the done hook to say its end record is done.
 *
 * @param arg     tt_sched_persist.arg.
 * @param rec     the record (seq unused: the writer numbers records).
 * @param ticket  out: a number > 0 for the done hook, increasing by one per
 *                record taken.
 * @return 0, or a negative errno (no room): a SUBMIT is then refused with
 *         -EAGAIN; an end is counted in journal_lost.
 */
typedef int (*tt_sched_jrnl_append_fn)(void *arg, const struct tt_jrnl_rec *rec, uint64_t *ticket);

/**
 * Journal hook: whether the record of @p ticket is done, i.e. has reached the
 * safety the fsync policy promises (drivers/journal_writer.h). Called from
 * tt_sched_release(), tt_sched_submit() and tt_sched_dispatch().
 */
typedef bool (*tt_sched_jrnl_done_fn)(void *arg, uint64_t ticket);

/**
 * Persistence of a table (issue 7): the journal hooks and what a restarted
 * master replayed. A zeroed struct (or none) is a table without a journal.
 *
 * Restore: the table starts with every PENDING task of @p restore in it,
 * under its replayed id (the slot its low 32 bits name), handler and payload
 * (not copied: they point into the journal image, which must outlive the
 * table), at epoch epoch_base + 1, ahead of anything submitted later, and
 * flagged `restored`. COMMITTED and CANCELLED tasks are not put in the table
 * (a late RESULT for one is stale as UNKNOWN_TASK: never committed again);
 * no record is journaled for any of them (the journal has them already).
 * Every id the table hands out afterwards is numerically above every
 * replayed id (their slots' reuse counts start above the largest replayed
 * one). A restored task that ends is released by the table itself once its
 * end record is done (the submitter of the new master does not know it).
 */
struct tt_sched_persist {
	tt_sched_jrnl_append_fn append; /* NULL: nothing journaled */
	tt_sched_jrnl_done_fn done;	/* NULL: every record counts as done */
	void *arg;
	const struct tt_jrnl_task *restore; /* tt_jrnl_replay_tasks(); may be NULL */
	uint32_t n_restore;
	/**
	 * Every task epoch the table hands out is above it: new tasks start at
	 * epoch_base + 1 (tt_jrnl_epoch_base() of the master's generation), so
	 * none equals an epoch an earlier master generation issued.
	 */
	uint32_t epoch_base;
};

struct tt_sched_config {
	/** Task table capacity: live plus unreleased finished tasks, 1..2^31. */
	uint32_t max_tasks;
	/** Worker ids are 0..max_workers-1; at least 1. */
	uint32_t max_workers;
	/** Per worker, tasks ASSIGNED or CANCELLING at once; at least 1. */
	uint32_t max_outstanding;
	/**
	 * Append-only event log, owned by the caller, valid while the table
	 * lives. When full (or NULL), further events are dropped and counted in
	 * log_dropped: a checker must require log_dropped == 0.
	 */
	struct tt_sched_event *log;
	uint32_t log_cap;
	/**
	 * TEST-ONLY knob for the simulation's negative control; never set it in
	 * a deployment. When true, a RESULT commits whenever its task id names a
	 * PENDING or ASSIGNED task, whatever its worker and epoch: this turns off
	 * the epoch check so that a test can show the checker catching the stale
	 * commit a paused worker then causes.
	 */
	bool epochs_disabled;
	/** Journal hooks and restore data (read at create; hooks kept); NULL: none. */
	const struct tt_sched_persist *persist;
};

/** One message to send: put msg (encode with tt_tmsg_encode) on worker's channel. */
struct tt_sched_action {
	uint32_t worker;
	uint16_t channel;
	/** ASSIGN or CANCEL; handler and payload point into the table / the submitter's buffer. */
	struct tt_tmsg msg;
};

/**
 * Actions, appended by tt_sched_dispatch() and tt_sched_cancel(). The caller
 * zeroes n, carries out act[0..n-1] in order and sets n back to 0. The
 * pointers inside are valid until the task is released.
 */
struct tt_sched_out {
	uint32_t n;
	struct tt_sched_action act[TT_SCHED_OUT_MAX];
};

struct tt_sched_task_info {
	uint8_t state;		/* enum tt_sched_state */
	uint8_t status;		/* COMMITTED: the RESULT's enum tt_tmsg_status */
	uint16_t channel;	/* of the current or last assignment */
	uint32_t worker;	/* current or last owner, or TT_SCHED_NO_WORKER */
	uint32_t epoch;		/* current attempt number */
	uint32_t attempts;	/* ASSIGNs sent */
	tt_ns_t submit_ns;
	tt_ns_t first_assign_ns;	/* valid when attempts > 0 */
	tt_ns_t last_assign_ns;		/* valid when attempts > 0 */
	tt_ns_t end_ns;			/* COMMITTED or CANCELLED: when */
	bool restored;			/* put in the table from the journal at create */
};

struct tt_sched_worker_info {
	bool live;
	uint32_t epoch;		/* last epoch reported up (0: never) */
	uint16_t nchannels;
	uint32_t up_mask;	/* bit c: channel c reported up */
	uint32_t outstanding;	/* tasks ASSIGNED or CANCELLING on it */
	uint32_t cap;		/* learned from a BUSY result (0: max_outstanding) */
};

struct tt_sched_counters {
	uint64_t submitted;
	uint64_t submit_full;		/* -ENOSPC */
	uint64_t assigned;		/* ASSIGNs emitted */
	uint64_t results[TT_SCHED_VERDICT_MAX];	/* [0] commits, others stale by reason */
	uint64_t stale;			/* sum of the stale reasons */
	uint64_t epochs_bypassed;	/* commits only epochs_disabled let through */
	uint64_t rescheduled;
	uint64_t workers_up;
	uint64_t workers_dead;
	uint64_t cancels[TT_SCHED_CANCEL_ROUTE_MAX];
	uint64_t cancelled[TT_SCHED_CANCEL_END_MAX];
	uint64_t cancel_acks[TT_TMSG_CANCEL_OUTCOME_MAX];	/* matched ACKs by outcome */
	uint64_t cancel_ack_stale;	/* ACK matching no CANCELLING (task, worker, epoch) */
	uint64_t released;
	uint64_t log_dropped;
	uint64_t restored;	   /* PENDING tasks put in the table from the journal */
	uint64_t restored_reaped;  /* of those, ended and released by the table */
	uint64_t journal_refused;  /* submits refused: the journal hook had no room */
	uint64_t journal_lost;	   /* end records the hook refused (must stay 0) */
	uint64_t release_not_done; /* releases refused: end record not done yet */
	uint64_t busy_requeued;	   /* BUSY results: the worker ran nothing, task PENDING again */
};

struct tt_sched;

/** Printable names, from the same X-macros as the enums; "?" when out of range. */
const char *tt_sched_state_name(unsigned int state);
const char *tt_sched_verdict_name(unsigned int verdict);	/* "COMMIT", "WRONG_EPOCH", ... */
const char *tt_sched_event_name(unsigned int kind);
const char *tt_sched_cancel_route_name(unsigned int route);
const char *tt_sched_cancel_end_name(unsigned int end);

/**
 * Allocate a table. The only allocation the module makes. With
 * cfg->persist, restore the replayed PENDING tasks (struct tt_sched_persist).
 *
 * @param cfg  sizes, the log, the test knob and the persistence (copied).
 * @return the table, or NULL with errno EINVAL (a size out of range), ERANGE
 *         (a restored task's slot is above max_tasks), EEXIST (two restored
 *         PENDING tasks in one slot), or ENOMEM. Control context.
 */
struct tt_sched *tt_sched_create(const struct tt_sched_config *cfg);

/** Free a table (NULL is fine). The log array stays the caller's. */
void tt_sched_destroy(struct tt_sched *s);

/**
 * Add a task, PENDING, epoch 1. Logs SUBMIT.
 *
 * @param handler      worker-side handler name, NUL-terminated; copied.
 * @param payload      argument bytes; NOT copied: the caller keeps them
 *                     unchanged until tt_sched_release() of the task.
 * @param payload_len  bytes; at most TT_TMSG_MAX_LEN - 24 - strlen(handler).
 * @param now          submission time.
 * @param task_id      out: the new task's id (never 0).
 * With a journal the SUBMIT record goes to the append hook first.
 *
 * @return 0; -EINVAL (bad handler name, NULL payload with a length);
 *         -EMSGSIZE (the ASSIGN would exceed 64 KiB); -ENOSPC (table full,
 *         counted in submit_full); -EAGAIN (the journal hook had no room:
 *         counted in journal_refused; nothing changed).
 */
int tt_sched_submit(struct tt_sched *s, const char *handler, const uint8_t *payload,
		    uint32_t payload_len, tt_ns_t now, uint64_t *task_id);

/**
 * A worker's heartbeat came up: the worker may take tasks once one of its
 * channels is reported up. Its channels start down. Logs WORKER_UP.
 *
 * A worker declared dead can only come back under a newer epoch (it fenced
 * itself and re-joined, DESIGN.md §1 step 4). A live worker reporting a newer
 * epoch has fenced and re-joined without the master noticing: it is declared
 * dead first (its tasks are taken back), then up.
 *
 * @param worker     id, below max_workers.
 * @param epoch      the worker's epoch, not 0.
 * @param nchannels  its data channels, 1..TT_SCHED_MAX_CHANNELS.
 * @return 0; -EINVAL (argument out of range); -EALREADY (live with this
 *         epoch); -ESTALE (epoch not newer than the last one seen).
 */
int tt_sched_worker_up(struct tt_sched *s, uint32_t worker, uint32_t epoch, uint16_t nchannels,
		       tt_ns_t now);

/**
 * The master's detection timer for this worker ran out (T1): the worker has
 * fenced itself. Its ASSIGNED tasks go back to PENDING, each with a new epoch,
 * ahead of the other pending tasks (they have waited longest); its
 * CANCELLING tasks become CANCELLED. Logs WORKER_DEAD, then RESCHEDULE /
 * CANCELLED per task. Tasks are placed again by the next tt_sched_dispatch().
 *
 * @return tasks taken back (>= 0); -EINVAL (id out of range); -EALREADY (not live).
 */
int tt_sched_worker_dead(struct tt_sched *s, uint32_t worker, tt_ns_t now);

/**
 * A worker's data channel went up or down. Only channels up take new tasks
 * and CANCELs. Going down does not move tasks: that is the fence's job.
 *
 * @return 0; -EINVAL (out of range); -ENOENT (worker not live).
 */
int tt_sched_channel_state(struct tt_sched *s, uint32_t worker, uint16_t channel, bool up);

/**
 * Place pending tasks, oldest first, until none is pending, no worker can
 * take one, or out is full. Each goes to the live worker with an up channel
 * and the fewest outstanding tasks below max_outstanding (ties: lowest id),
 * on that worker's next up channel round-robin. Appends an ASSIGN action and
 * logs ASSIGN per task. First releases the ended restored tasks whose end
 * record is done (tt_sched_submit() does too).
 *
 * @return actions appended.
 */
int tt_sched_dispatch(struct tt_sched *s, tt_ns_t now, struct tt_sched_out *out);

/**
 * A RESULT arrived from a worker. Commits (task COMMITTED, logs RESULT_COMMIT)
 * if and only if the task is ASSIGNED to this worker under this epoch (see
 * epochs_disabled); otherwise logs RESULT_STALE and counts the reason.
 * A current RESULT with status BUSY (the worker's task table was full; it
 * ran nothing) is not a commit: the task goes back to the front of PENDING
 * under a new epoch, logs RESULT_BUSY, counts busy_requeued, and the worker
 * gets no more tasks than it holds now until it re-joins.
 *
 * @param worker  the worker whose channel carried it (any value is accepted).
 * @return TT_SCHED_COMMIT or the stale reason.
 */
enum tt_sched_verdict tt_sched_result(struct tt_sched *s, uint32_t worker, uint64_t task_id,
				      uint32_t epoch, uint8_t status, tt_ns_t now);

/**
 * Cancel a task. PENDING: CANCELLED at once. ASSIGNED: CANCELLING, and a
 * CANCEL(task, epoch) action for the owner on the task's own channel (in
 * order behind its ASSIGN); if that channel is down, nothing is sent: the
 * channel being down silences the heartbeat, the owner fences, and
 * tt_sched_worker_dead() ends the task. A cancelled task is never reassigned.
 * Logs CANCEL (and CANCELLED).
 *
 * @return 0; -ENOENT (unknown task); -EALREADY (committed, cancelling or
 *         cancelled); -ENOBUFS (out full; nothing changed).
 */
int tt_sched_cancel(struct tt_sched *s, uint64_t task_id, tt_ns_t now, struct tt_sched_out *out);

/**
 * A CANCEL_ACK arrived. Ends a CANCELLING task whose (worker, epoch) it
 * matches, whatever the outcome (aborted, or not held because it finished
 * first: its RESULT, if any, was dropped as stale). Logs CANCELLED.
 *
 * @return 0; -ESTALE (matches nothing; counted in cancel_ack_stale).
 */
int tt_sched_cancel_ack(struct tt_sched *s, uint32_t worker, uint64_t task_id, uint32_t epoch,
			uint8_t outcome, tt_ns_t now);

/**
 * Forget a COMMITTED or CANCELLED task and free its slot. Results for it are
 * then stale as UNKNOWN_TASK; its id is never reused. With a journal, only
 * once the task's end record is done (the done hook): a commit is reported
 * to the submitter no earlier than the fsync policy makes it safe.
 *
 * @return 0; -ENOENT (unknown); -EBUSY (not finished); -EPERM (a restored
 *         task: the table releases it itself); -EAGAIN (its end record is not
 *         done yet: retry later; counted in release_not_done).
 */
int tt_sched_release(struct tt_sched *s, uint64_t task_id);

/** Copy a task's state. @return 0 or -ENOENT. */
int tt_sched_task(const struct tt_sched *s, uint64_t task_id, struct tt_sched_task_info *info);

/** Copy a worker's state. @return 0 or -EINVAL (id out of range). */
int tt_sched_worker(const struct tt_sched *s, uint32_t worker, struct tt_sched_worker_info *info);

/** Tasks PENDING now. */
uint32_t tt_sched_pending(const struct tt_sched *s);

/** Events written to the log so far (the rest, if any, are in log_dropped). */
uint32_t tt_sched_log_len(const struct tt_sched *s);

const struct tt_sched_counters *tt_sched_counters(const struct tt_sched *s);

#endif /* TT_SCHED_H */
