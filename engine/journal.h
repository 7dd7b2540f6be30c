/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_JOURNAL_H
#define TT_JOURNAL_H

/**
 * @file
 * The master journal (issue 7 "Master journal"): the record format, its
 * decoder and the replay that rebuilds a restarted master's task set. Pure:
 * no I/O. drivers/journal_file.h keeps the records in a file.
 *
 * The master appends a record when a task is submitted, when it commits and
 * when it is cancelled, and one MASTER_START at every start. A restarted
 * master decodes the file, replays it and learns which tasks are committed
 * or cancelled (never run again: a late RESULT for them is stale) and which
 * are pending (submitted again, under epochs above any the old master handed
 * out: see MASTER_START below).
 *
 * Layout. A journal is records back to back, no file header, no padding. All
 * multi-byte fields are unsigned, big-endian (network order). Every record is
 * a 28-byte header followed by a body of `body length` bytes:
 *
 *   offset size field
 *        0    4 magic        0x544A524E ("TJRN")
 *        4    1 version      TT_JRNL_VERSION (1)
 *        5    1 type         1 MASTER_START, 2 SUBMIT, 3 COMMIT, 4 CANCELLED
 *        6    2 reserved     must be 0
 *        8    8 seq          sequence number: 1 for a journal's first record,
 *                            then exactly one more per record
 *       16    4 body length  B: exact for the type, see below
 *       20    4 header CRC   CRC-32 (tt_crc32.h) of bytes 0..19
 *       24    4 record CRC   CRC-32 of bytes 0..23 followed by the B body bytes
 *       28    B body
 *
 * The header CRC makes the length trustworthy before it is used: a damaged
 * length can never make the decoder skip over, or swallow, good records.
 * The record CRC covers the header (with the header CRC) and the body.
 *
 * MASTER_START (B = 8): a master started, after replaying what came before.
 *
 *       28    4 generation   1 for the first start, then one more than the
 *                            largest generation in the journal; 1..65535
 *       32    4 epoch base   generation << TT_JRNL_EPOCH_SHIFT: the master's
 *                            task epochs are all above it and below the next
 *                            generation's base
 *
 * SUBMIT (B = 16 + H + P): a task entered the master's table.
 *
 *       28    8 task id      not 0
 *       36    1 handler name length H, 1..TT_TMSG_HANDLER_MAX
 *       37    3 reserved     must be 0
 *       40    4 payload length P, at most TT_JRNL_PAYLOAD_MAX(H)
 *       44    H handler name: as task_msg.h allows ([A-Za-z0-9_.-], no NUL)
 *   44 + H    P payload
 *
 * COMMIT (B = 20): a RESULT committed the task (tt_sched_result()).
 *
 *       28    8 task id      not 0
 *       36    4 epoch        the committed attempt's epoch; not 0
 *       40    4 worker       the worker that sent the RESULT
 *       44    1 status       enum tt_tmsg_status of the RESULT
 *       45    3 reserved     must be 0
 *
 * CANCELLED (B = 20): the task ended cancelled (never run again).
 *
 *       28    8 task id      not 0
 *       36    4 epoch        the task's epoch when it ended; not 0
 *       40    4 worker       last owner, or 0xFFFFFFFF (never assigned)
 *       44    1 reason       enum tt_sched_cancel_end
 *       45    3 reserved     must be 0
 *
 * Decoding walks the records in order and stops at the first one it cannot
 * take whole, saying why (enum tt_jrnl_stop) and where (the valid length:
 * every byte before it belongs to an accepted record). It checks, in order:
 * that a header fits (else TRUNCATED), magic, header CRC, version, type,
 * reserved, body length, sequence number, that the body fits (else
 * TRUNCATED), record CRC, body fields. A torn last record therefore ends the
 * walk as TRUNCATED, BAD_MAGIC, BAD_HDR_CRC or BAD_CRC and is never returned.
 *
 * The decoder also says whether the bad bytes are a torn tail that can be cut
 * off without losing a record (at_tail): true for a header cut short or a
 * body running past the end, and for damage (bad magic, header or record CRC)
 * that no intact header (magic and header CRC right) follows. An intact
 * header with wrong contents (version, type, reserved, length, sequence,
 * body) was written as such: never a tail. A journal whose damage is not at
 * its tail is corruption in the middle of the file, which truncation would
 * turn into lost commits.
 *
 * Execution context: any thread; the decoder and the replay are owned by
 * one thread. Only tt_jrnl_replay_create() allocates.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "task_msg.h"

#define TT_JRNL_MAGIC 0x544a524eu /* "TJRN" */
#define TT_JRNL_VERSION 1
#define TT_JRNL_HDR_LEN 28
#define TT_JRNL_FIRST_SEQ 1
#define TT_JRNL_MASTER_START_LEN 8 /* body lengths */
#define TT_JRNL_SUBMIT_FIXED_LEN 16
#define TT_JRNL_COMMIT_LEN 20
#define TT_JRNL_CANCELLED_LEN 20
/** Largest SUBMIT payload for a handler name of @p h bytes: what an ASSIGN can carry. */
#define TT_JRNL_PAYLOAD_MAX(h) (TT_TMSG_MAX_LEN - TT_TMSG_ASSIGN_HDR_LEN - (h))
/** Largest body (a SUBMIT with the largest ASSIGN) and record. */
#define TT_JRNL_MAX_BODY (TT_JRNL_SUBMIT_FIXED_LEN + TT_TMSG_MAX_LEN - TT_TMSG_ASSIGN_HDR_LEN)
#define TT_JRNL_MAX_REC (TT_JRNL_HDR_LEN + TT_JRNL_MAX_BODY)
/** A generation's task epochs are in [gen << shift, (gen + 1) << shift). */
#define TT_JRNL_EPOCH_SHIFT 16
#define TT_JRNL_GEN_MAX 0xffffu
/** CANCELLED worker of a task never assigned (TT_SCHED_NO_WORKER). */
#define TT_JRNL_NO_WORKER UINT32_MAX

/* Record types. X(name, wire value, printable) */
#define TT_JRNL_TYPES(X)                                                                           \
	X(MASTER_START, 1, "master-start")                                                         \
	X(SUBMIT, 2, "submit")                                                                     \
	X(COMMIT, 3, "commit")                                                                     \
	X(CANCELLED, 4, "cancelled")

enum tt_jrnl_type {
#define TT_X(name, val, str) TT_JRNL_##name = val,
	TT_JRNL_TYPES(TT_X)
#undef TT_X
	TT_JRNL_TYPE_END
};

/**
 * Why decoding stopped. END: every byte was a whole valid record. The
 * others, in the order they are checked. X(name, printable)
 */
#define TT_JRNL_STOPS(X)                                                                           \
	X(TRUNCATED, "the data ends inside a record (torn write)")                                 \
	X(BAD_MAGIC, "no record magic where a record must start")                                  \
	X(BAD_HDR_CRC, "header checksum mismatch")                                                 \
	X(BAD_VERSION, "unknown record version")                                                   \
	X(BAD_TYPE, "unknown record type")                                                         \
	X(BAD_RESERVED, "reserved header bytes are not 0")                                         \
	X(BAD_LENGTH, "body length wrong for the record type")                                     \
	X(SEQ_GAP, "sequence number is not the previous one plus 1")                               \
	X(BAD_CRC, "record checksum mismatch")                                                     \
	X(BAD_BODY, "a body field is invalid (id, epoch, lengths, name, status, reserved)")

enum tt_jrnl_stop {
	TT_JRNL_END = 0,
#define TT_X(name, str) TT_JRNL_STOP_##name,
	TT_JRNL_STOPS(TT_X)
#undef TT_X
	TT_JRNL_STOP_MAX
};

/**
 * One record. Which fields a type uses (the others are 0 / NULL):
 *
 *   MASTER_START  gen, epoch_base
 *   SUBMIT        task_id, handler, handler_len, payload, payload_len
 *   COMMIT        task_id, epoch, worker, status (enum tt_tmsg_status)
 *   CANCELLED     task_id, epoch, worker, status (enum tt_sched_cancel_end)
 *
 * Decoded handler and payload point into the decoded buffer (no copy).
 */
struct tt_jrnl_rec {
	uint8_t type; /* enum tt_jrnl_type */
	uint8_t status;
	uint8_t handler_len;
	uint64_t seq; /* set by the decoder; the encoder takes it as an argument */
	uint64_t task_id;
	uint32_t epoch;
	uint32_t worker;
	uint32_t gen;
	uint32_t epoch_base;
	const char *handler; /* not NUL-terminated */
	const uint8_t *payload;
	uint32_t payload_len;
};

/**
 * Decoder over one buffer. Fields after stopping (tt_jrnl_dec_next() returned
 * 0) say where and why; the caller only reads them.
 */
struct tt_jrnl_dec {
	const uint8_t *buf;
	size_t len;
	size_t off;	   /* valid length: bytes of accepted records */
	uint64_t next_seq; /* sequence number the next record must carry */
	uint64_t records;  /* accepted so far */
	bool stopped;
	enum tt_jrnl_stop stop; /* after stopping */
	/**
	 * After stopping: the bytes from off on are a torn tail that holds no
	 * intact record (cutting them loses nothing). Always true at END.
	 */
	bool at_tail;
	/** After a stop that is not at_tail: the first intact header at or after off. */
	size_t intact_off;
};

/** Printable names, from the X-macros; "?" when out of range. */
const char *tt_jrnl_type_name(unsigned int type);
const char *tt_jrnl_stop_name(unsigned int stop); /* "END", "TRUNCATED", ... */
const char *tt_jrnl_stop_rule(unsigned int stop); /* the sentence */

/** @return the epoch base of generation @p gen (gen << TT_JRNL_EPOCH_SHIFT). */
static inline uint32_t tt_jrnl_epoch_base(uint32_t gen)
{
	return gen << TT_JRNL_EPOCH_SHIFT;
}

/**
 * Bytes the encoded record takes.
 *
 * @return header + body length, or 0 if the record is invalid (what the
 *         decoder would refuse: unknown type, task id or epoch 0, bad handler
 *         name, payload too long, status out of range, generation 0 or above
 *         TT_JRNL_GEN_MAX or a base that is not tt_jrnl_epoch_base(gen)).
 */
size_t tt_jrnl_encoded_len(const struct tt_jrnl_rec *rec);

/**
 * Encode a record into a caller buffer. rec->seq is ignored: @p seq is used.
 *
 * @param rec  the record (see struct tt_jrnl_rec for the fields per type).
 * @param seq  its sequence number, not 0.
 * @param buf  where to write.
 * @param cap  room at @p buf.
 * @return bytes written (tt_jrnl_encoded_len()), or -EINVAL (invalid record
 *         or seq 0) or -ENOBUFS (cap too small; nothing written).
 */
int tt_jrnl_encode(const struct tt_jrnl_rec *rec, uint64_t seq, uint8_t *buf, size_t cap);

/**
 * Start decoding @p len bytes at @p buf, a journal's first byte on.
 * The buffer must stay unchanged while the decoder and its records are used.
 */
void tt_jrnl_dec_init(struct tt_jrnl_dec *d, const uint8_t *buf, size_t len);

/**
 * Take the next record.
 *
 * @param d    the decoder.
 * @param rec  out: the record, when 1 is returned.
 * @return 1 and the record; or 0 once stopped (END or a stop reason, in d),
 *         and 0 again on every later call.
 */
int tt_jrnl_dec_next(struct tt_jrnl_dec *d, struct tt_jrnl_rec *rec);

/* Replay ---------------------------------------------------------------- */

/** What a replayed task became. X(name, printable) */
#define TT_JRNL_TASK_STATES(X)                                                                     \
	X(PENDING, "pending: submit it again")                                                     \
	X(COMMITTED, "committed: keep, never run again")                                           \
	X(CANCELLED, "cancelled: keep, never run again")

enum tt_jrnl_task_state {
#define TT_X(name, str) TT_JRNL_T_##name,
	TT_JRNL_TASK_STATES(TT_X)
#undef TT_X
	TT_JRNL_T_MAX
};

/** One task rebuilt from the journal. Handler and payload point into the replayed buffer. */
struct tt_jrnl_task {
	uint64_t task_id;
	uint64_t submit_seq; /* its SUBMIT record */
	uint64_t end_seq;    /* its COMMIT or CANCELLED record; 0 while pending */
	uint8_t state;	     /* enum tt_jrnl_task_state */
	uint8_t status;	     /* COMMITTED: tmsg status; CANCELLED: cancel end */
	uint8_t handler_len;
	uint32_t epoch;	 /* of the COMMIT or CANCELLED */
	uint32_t worker; /* of the COMMIT or CANCELLED */
	const char *handler;
	const uint8_t *payload;
	uint32_t payload_len;
};

/** Replay counters. Duplicates and conflicts never change a task. */
struct tt_jrnl_replay_counters {
	uint64_t records;	    /* applied, duplicates included */
	uint64_t by_type[TT_JRNL_TYPE_END];
	uint64_t dup_submits;	    /* SUBMIT of a known task, same handler and payload */
	uint64_t conflicting_submits; /* SUBMIT of a known task, other handler or payload */
	uint64_t dup_ends;	    /* COMMIT/CANCELLED repeating the task's end exactly */
	uint64_t conflicting_ends;  /* COMMIT/CANCELLED of a task that ended otherwise */
	uint64_t orphan_ends;	    /* COMMIT/CANCELLED of a task never submitted */
	uint64_t full;		    /* SUBMITs dropped: max_tasks reached */
};

struct tt_jrnl_replay;

/**
 * Allocate a replay for up to @p max_tasks tasks (an array and a hash index).
 *
 * @return the replay, or NULL with errno EINVAL (0 or above 2^30) or ENOMEM.
 *         Control context (start-up).
 */
struct tt_jrnl_replay *tt_jrnl_replay_create(uint32_t max_tasks);

/** Free a replay (NULL is fine). */
void tt_jrnl_replay_destroy(struct tt_jrnl_replay *r);

/**
 * Apply one decoded record. Idempotent: applying a record again, or a second
 * SUBMIT / end of the same task, changes no task (only counters). The first
 * SUBMIT of a task id creates it PENDING; its first COMMIT or CANCELLED ends
 * it; MASTER_START raises the largest generation seen.
 *
 * @return 0; -EINVAL (record type unknown); -ENOSPC (a new task and no room:
 *         counted in full, the caller must not start with a partial set).
 */
int tt_jrnl_replay_apply(struct tt_jrnl_replay *r, const struct tt_jrnl_rec *rec);

/**
 * Decode a whole journal buffer and apply every accepted record.
 *
 * @param r    the replay.
 * @param buf  the journal bytes; must outlive the replay's tasks (they point into it).
 * @param len  their number.
 * @param d    out: the decoder after it stopped (valid length, stop reason, at_tail).
 * @return records applied (>= 0), or tt_jrnl_replay_apply()'s error.
 */
int64_t tt_jrnl_replay_buf(struct tt_jrnl_replay *r, const uint8_t *buf, size_t len,
			   struct tt_jrnl_dec *d);

/**
 * The rebuilt tasks, in the order of their first SUBMIT: resubmit the
 * PENDING ones in this order.
 *
 * @param n  out: how many.
 */
const struct tt_jrnl_task *tt_jrnl_replay_tasks(const struct tt_jrnl_replay *r, uint32_t *n);

/** The task with this id, or NULL. */
const struct tt_jrnl_task *tt_jrnl_replay_find(const struct tt_jrnl_replay *r, uint64_t task_id);

/** Tasks in @p state (enum tt_jrnl_task_state); 0 when out of range. */
uint32_t tt_jrnl_replay_count(const struct tt_jrnl_replay *r, unsigned int state);

/** Largest MASTER_START generation applied; 0 if none. */
uint32_t tt_jrnl_replay_max_gen(const struct tt_jrnl_replay *r);

/**
 * The generation the restarting master takes: one more than the largest seen.
 *
 * @param gen  out: it (its epochs start above tt_jrnl_epoch_base(*gen)).
 * @return 0, or -EOVERFLOW if TT_JRNL_GEN_MAX generations were used.
 */
int tt_jrnl_replay_next_gen(const struct tt_jrnl_replay *r, uint32_t *gen);

const struct tt_jrnl_replay_counters *tt_jrnl_replay_counters(const struct tt_jrnl_replay *r);

#endif /* TT_JOURNAL_H */
