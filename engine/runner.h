/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_RUNNER_H
#define TT_RUNNER_H

/**
 * @file
 * The worker's task runner (DESIGN.md §1, issue 3 "running").
 *
 * The caller decodes ASSIGN and CANCEL messages from its data channels and
 * hands them in; the runner looks the handler up, runs it, and returns the
 * RESULT and CANCEL_ACK messages to send, each tagged with the channel the
 * task came on. It never touches a channel or a clock.
 *
 * Virtual time. A handler runs to completion inside tt_run_assign() and says
 * how long the task occupies the worker (busy_ns). The RESULT is released by
 * the first tt_run_tick() at or after now + busy_ns; until then the task is in
 * flight and can be cancelled or fenced away. Nothing ever spins a CPU: that
 * is how tests keep tasks in flight for as long as they like.
 *
 * Fencing (DESIGN.md §1 step 4): tt_run_fence() aborts every task in flight,
 * discards every queued reply, and refuses everything after it. From the fence
 * on, the runner emits no message at all, until tt_run_rejoin() under a newer
 * epoch; the aborted tasks are gone for good.
 *
 * Memory is allocated once, in tt_run_create(). Execution context: the worker
 * lcore that owns the runner; no call is thread-safe against another on the
 * same runner.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "task_msg.h"
#include "tt_time.h"

#define TT_RUN_OUT_MAX 32	/* messages one struct tt_run_out holds */

/** What tt_run_assign() did with an ASSIGN. X(name, printable) */
#define TT_RUN_VERDICTS(X)                                                                         \
	X(ACCEPTED, "accepted: a RESULT follows on its channel")                                   \
	X(DUPLICATE, "already held under this epoch: nothing changes")                             \
	X(FENCED, "the runner is fenced: refused, no reply")                                       \
	X(STALE, "held under a newer epoch: refused, no reply")                                    \
	X(NOT_ASSIGN, "not an ASSIGN message: refused, no reply")                                  \
	X(FULL, "task table full: refused, a RESULT with status BUSY is queued")                   \
	X(NO_HANDLER, "no such handler: refused, a RESULT with status NO_HANDLER is queued")

enum tt_run_verdict {
#define TT_X(name, str) TT_RUN_##name,
	TT_RUN_VERDICTS(TT_X)
#undef TT_X
	TT_RUN_VERDICT_MAX
};

/**
 * One handler invocation. The handler reads in, writes at most out_cap bytes
 * to out, and sets out_len and busy_ns (both start at 0).
 */
struct tt_run_call {
	const uint8_t *in;
	uint32_t in_len;
	uint8_t *out;
	uint32_t out_cap;
	uint32_t out_len;
	tt_ns_t busy_ns;	/* virtual time the task occupies the worker */
};

/**
 * A task handler. Runs on the worker lcore inside tt_run_assign(); must not
 * block, sleep or read a clock.
 *
 * @return the RESULT status (TT_TMSG_ST_OK, ...). A value out of range is
 *         reported as TT_TMSG_ST_FAILED.
 */
typedef enum tt_tmsg_status (*tt_run_handler_fn)(void *ctx, struct tt_run_call *call);

struct tt_run_config {
	uint32_t max_tasks;	/* tasks in flight at once, >= 1 */
	uint32_t max_handlers;	/* registry size, >= 1 */
	uint32_t max_result;	/* result bytes per task, <= TT_TMSG_MAX_PAYLOAD */
	uint32_t reply_cap;	/* refusal replies queued between ticks, >= 1 */
	uint32_t epoch;		/* the worker's epoch at start, >= 1 */
};

/** One message to send: encode msg with tt_tmsg_encode and put it on channel. */
struct tt_run_send {
	uint16_t channel;
	struct tt_tmsg msg;	/* RESULT or CANCEL_ACK */
};

/**
 * Messages appended by tt_run_tick() and tt_run_cancel(). The caller sends
 * send[0..n-1] in order and sets n back to 0. A RESULT's payload points into
 * the runner and is valid until the next tt_run_assign() or tt_run_rejoin().
 */
struct tt_run_out {
	uint32_t n;
	struct tt_run_send send[TT_RUN_OUT_MAX];
};

struct tt_run_counters {
	uint64_t assigns[TT_RUN_VERDICT_MAX];	/* by verdict */
	uint64_t superseded;		/* held attempt replaced by a newer epoch */
	uint64_t results_sent;		/* RESULTs of tasks that ran */
	uint64_t replies_sent;		/* RESULTs refusing a task (BUSY, NO_HANDLER) */
	uint64_t replies_dropped;	/* refusals lost: reply queue full */
	uint64_t cancel_aborted;	/* CANCEL found the task in flight */
	uint64_t cancel_not_held;	/* CANCEL for a task not held under that epoch */
	uint64_t cancel_fenced;		/* CANCEL while fenced: ignored, no ACK */
	uint64_t fences;
	uint64_t fence_aborted;		/* tasks in flight when fenced */
	uint64_t fence_replies_dropped;	/* queued refusals discarded by a fence */
	uint64_t rejoins;
};

struct tt_run;

/** Printable names of enum tt_run_verdict ("ACCEPTED", ...); "?" when out of range. */
const char *tt_run_verdict_name(unsigned int verdict);

/**
 * Allocate a runner, running under cfg->epoch, with an empty registry.
 *
 * @return the runner, or NULL with errno EINVAL (a size out of range) or
 *         ENOMEM. Control context.
 */
struct tt_run *tt_run_create(const struct tt_run_config *cfg);

/** Free a runner (NULL is fine). */
void tt_run_destroy(struct tt_run *r);

/**
 * Register a handler under a name ASSIGN messages can carry.
 *
 * @param name  NUL-terminated, legal per tt_tmsg_handler_valid(); copied.
 * @param fn    the handler.
 * @param ctx   passed to fn.
 * @return 0; -EINVAL (bad name, NULL fn); -EEXIST (name taken); -ENOSPC
 *         (registry full). Control context.
 */
int tt_run_register(struct tt_run *r, const char *name, tt_run_handler_fn fn, void *ctx);

/**
 * Register the reference handlers:
 *  - "echo":  returns the payload.
 *  - "crc32": returns CRC-32/IEEE of the payload, 4 bytes big-endian.
 *  - "spin":  payload starts with N, a big-endian u32 in microseconds; the
 *             task occupies the worker for N µs of virtual time, then returns
 *             the payload. Fewer than 4 bytes: status BAD_PAYLOAD.
 * A result longer than max_result gets status TOO_LARGE and no payload.
 *
 * @return 0 or the first tt_run_register() error.
 */
int tt_run_register_reference(struct tt_run *r);

/**
 * Take a decoded ASSIGN. A duplicate of a held (task, epoch) changes nothing;
 * a newer epoch of a held task replaces (aborts) the older attempt. A full
 * table or an unknown handler is answered by a RESULT (BUSY, NO_HANDLER)
 * released at the next tick.
 *
 * @param msg      decoded ASSIGN; its payload is only read during the call.
 * @param channel  the channel it came on: the RESULT goes back on it.
 * @param now      current time.
 * @return the verdict (counted).
 */
enum tt_run_verdict tt_run_assign(struct tt_run *r, const struct tt_tmsg *msg, uint16_t channel,
				  tt_ns_t now);

/**
 * Release what is due at now: first the queued refusals, then the RESULT of
 * every task whose busy time has passed, earliest due first (equal due times
 * in the order the tasks were accepted), freeing its slot. Emits nothing while
 * fenced. What does not fit in out stays for the next tick. Cost: O(1) when
 * nothing is due, O(log tasks in flight) per RESULT released.
 *
 * @return messages appended to out.
 */
int tt_run_tick(struct tt_run *r, tt_ns_t now, struct tt_run_out *out);

/**
 * A CANCEL(task, epoch) arrived on channel. If that attempt is in flight it is
 * aborted (its RESULT will never be sent); either way a CANCEL_ACK with the
 * outcome is appended to out, for channel. While fenced: ignored, no ACK.
 *
 * @return 1 (ACK appended); 0 (fenced, nothing sent); -ENOBUFS (out full,
 *         nothing changed).
 */
int tt_run_cancel(struct tt_run *r, uint64_t task_id, uint32_t epoch, uint16_t channel,
		  tt_ns_t now, struct tt_run_out *out);

/**
 * Fence (the worker's detection timeout T2 ran out): abort every task in
 * flight, discard queued refusals, and from now on refuse every ASSIGN,
 * ignore every CANCEL and emit nothing. Idempotent.
 *
 * @return tasks aborted by this call.
 */
int tt_run_fence(struct tt_run *r, tt_ns_t now);

/**
 * Leave the fence under a new epoch, with an empty task table.
 *
 * @return 0; -EBUSY (not fenced); -ESTALE (new_epoch not above the current one).
 */
int tt_run_rejoin(struct tt_run *r, uint32_t new_epoch, tt_ns_t now);

/**
 * When tt_run_tick() next has something to release. O(1).
 *
 * @param deadline  out: that instant (may already be past).
 * @return 0, or -ENOENT if nothing is waiting (or fenced).
 */
int tt_run_next_deadline(const struct tt_run *r, tt_ns_t *deadline);

uint32_t tt_run_in_flight(const struct tt_run *r);
bool tt_run_fenced(const struct tt_run *r);
uint32_t tt_run_epoch(const struct tt_run *r);
const struct tt_run_counters *tt_run_counters(const struct tt_run *r);

/** CRC-32/IEEE 802.3 (reflected 0xEDB88320, init and xorout 0xFFFFFFFF). */
uint32_t tt_run_crc32(const uint8_t *buf, size_t len);

#endif /* TT_RUNNER_H */
