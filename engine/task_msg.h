/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TASK_MSG_H
#define TT_TASK_MSG_H

/**
 * @file
 * Task messages (DESIGN.md §2): what the master and a worker say to each
 * other inside data-channel messages. The data channel delivers each message
 * whole, in order, exactly once; this file only lays out and checks bytes.
 *
 * Stateless and allocation-free. Decode never copies: the handler name and
 * the payload of a decoded message point into the caller's buffer, so the
 * decoded struct is valid only as long as that buffer is.
 *
 * Layout. All multi-byte fields are unsigned, big-endian (network order).
 * Every message starts with the same 16-byte head:
 *
 *   offset size field
 *        0    1 version      TT_TMSG_VERSION (1)
 *        1    1 type         1 ASSIGN, 2 RESULT, 3 CANCEL, 4 CANCEL_ACK
 *        2    2 reserved     must be 0
 *        4    8 task id      must not be 0
 *       12    4 epoch        the task's attempt number; must not be 0
 *
 * ASSIGN (master -> worker): 24 + H + P bytes
 *
 *       16    4 payload length P
 *       20    1 handler name length H, 1..TT_TMSG_HANDLER_MAX
 *       21    3 reserved     must be 0
 *       24    H handler name: ASCII letters, digits, '_', '-', '.'; no NUL
 *   24 + H    P payload
 *
 * RESULT (worker -> master): 24 + P bytes
 *
 *       16    4 payload length P
 *       20    1 status       enum tt_tmsg_status
 *       21    3 reserved     must be 0
 *       24    P payload
 *
 * CANCEL (master -> worker): exactly the 16-byte head.
 *
 * CANCEL_ACK (worker -> master): 20 bytes
 *
 *       16    1 outcome      enum tt_tmsg_cancel_outcome
 *       17    3 reserved     must be 0
 *
 * A message is at most TT_TMSG_MAX_LEN (64 KiB) bytes and its length must be
 * exactly what its fields say: no short payload, no trailing bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_TMSG_VERSION 1
#define TT_TMSG_HEAD_LEN 16	     /* common head; all of CANCEL */
#define TT_TMSG_ASSIGN_HDR_LEN 24   /* before the handler name */
#define TT_TMSG_RESULT_HDR_LEN 24   /* before the payload */
#define TT_TMSG_CANCEL_LEN 16
#define TT_TMSG_CANCEL_ACK_LEN 20
#define TT_TMSG_MAX_LEN 65536u	     /* largest data-channel message */
#define TT_TMSG_HANDLER_MAX 31	     /* longest handler name */
/** Largest RESULT payload. An ASSIGN's is this minus its handler name length. */
#define TT_TMSG_MAX_PAYLOAD (TT_TMSG_MAX_LEN - TT_TMSG_RESULT_HDR_LEN)

/* Message types. X(name, wire value, printable) */
#define TT_TMSG_TYPES(X)                                                                           \
	X(ASSIGN, 1, "ASSIGN")                                                                     \
	X(RESULT, 2, "RESULT")                                                                     \
	X(CANCEL, 3, "CANCEL")                                                                     \
	X(CANCEL_ACK, 4, "CANCEL_ACK")

enum tt_tmsg_type {
#define TT_X(name, val, str) TT_TMSG_##name = val,
	TT_TMSG_TYPES(TT_X)
#undef TT_X
};

/* RESULT status: how the worker ended the task. X(name, wire value, printable) */
#define TT_TMSG_STATUSES(X)                                                                        \
	X(OK, 0, "ok")                                                                             \
	X(FAILED, 1, "handler failed")                                                             \
	X(NO_HANDLER, 2, "no such handler on the worker")                                          \
	X(BAD_PAYLOAD, 3, "payload malformed for the handler")                                     \
	X(TOO_LARGE, 4, "output larger than the worker's result buffer")                           \
	X(BUSY, 5, "worker's task table full; not run")

enum tt_tmsg_status {
#define TT_X(name, val, str) TT_TMSG_ST_##name = val,
	TT_TMSG_STATUSES(TT_X)
#undef TT_X
	TT_TMSG_ST_MAX
};

/* CANCEL_ACK outcome. X(name, wire value, printable) */
#define TT_TMSG_CANCEL_OUTCOMES(X)                                                                 \
	X(ABORTED, 0, "aborted; no result will be sent")                                           \
	X(NOT_HELD, 1, "not held: already finished, never arrived, or another epoch")

enum tt_tmsg_cancel_outcome {
#define TT_X(name, val, str) TT_TMSG_CANCEL_##name = val,
	TT_TMSG_CANCEL_OUTCOMES(TT_X)
#undef TT_X
	TT_TMSG_CANCEL_OUTCOME_MAX
};

/**
 * Why a received task message was dropped, one counter per rule. Decode checks
 * field by field in layout order and returns the first rule broken.
 * X(name, printable rule)
 */
#define TT_TMSG_REJECTS(X)                                                                         \
	X(TRUNCATED, "shorter than the head or than its type's fixed part")                        \
	X(TOO_LONG, "longer than 64 KiB")                                                          \
	X(VERSION, "version is not 1")                                                             \
	X(TYPE, "unknown message type")                                                            \
	X(RESERVED, "a reserved field is not zero")                                                \
	X(TASK_ID_ZERO, "task id is zero")                                                         \
	X(EPOCH_ZERO, "epoch is zero")                                                             \
	X(HANDLER_LEN, "handler name length is 0 or above 31")                                     \
	X(HANDLER_CHARS, "handler name has a byte outside [A-Za-z0-9_.-]")                         \
	X(STATUS, "unknown result status")                                                         \
	X(OUTCOME, "unknown cancel outcome")                                                       \
	X(PAYLOAD_SHORT, "payload length runs past the end of the message")                        \
	X(TRAILING, "bytes after the last field")

enum tt_tmsg_reject {
	TT_TMSG_OK = 0,
#define TT_X(name, str) TT_TMSG_RX_##name,
	TT_TMSG_REJECTS(TT_X)
#undef TT_X
	TT_TMSG_REJECT_MAX
};

/** Counters indexed by enum tt_tmsg_reject (slot 0 counts accepted messages). */
struct tt_tmsg_rx_counters {
	uint64_t by_reason[TT_TMSG_REJECT_MAX];
};

/**
 * One task message of any type, in host order. Fields a type does not carry
 * are ignored by encode and zeroed by decode.
 */
struct tt_tmsg {
	uint8_t type;		/* enum tt_tmsg_type */
	uint64_t task_id;
	uint32_t epoch;
	uint8_t status;		/* RESULT: enum tt_tmsg_status */
	uint8_t outcome;	/* CANCEL_ACK: enum tt_tmsg_cancel_outcome */
	uint8_t handler_len;	/* ASSIGN */
	const char *handler;	/* ASSIGN: not NUL-terminated */
	uint32_t payload_len;	/* ASSIGN, RESULT */
	const uint8_t *payload; /* ASSIGN, RESULT; may be NULL when payload_len is 0 */
};

/** Printable names, from the same X-macros as the enums; "?" when out of range. */
const char *tt_tmsg_type_name(unsigned int type);
const char *tt_tmsg_status_name(unsigned int status);
const char *tt_tmsg_outcome_name(unsigned int outcome);
const char *tt_tmsg_reject_name(unsigned int reason); /* short name, e.g. "TRUNCATED" */
const char *tt_tmsg_reject_rule(unsigned int reason); /* the rule text */

/**
 * Whether a handler name is legal on the wire: 1..TT_TMSG_HANDLER_MAX bytes
 * from [A-Za-z0-9_.-].
 *
 * @param name  the bytes (not necessarily NUL-terminated).
 * @param len   their number.
 * @return true if legal. Any context.
 */
bool tt_tmsg_handler_valid(const char *name, size_t len);

/**
 * Bytes tt_tmsg_encode() would write for msg.
 *
 * @return the length, or 0 if msg cannot be encoded (a field that decode
 *         would reject, or a total above TT_TMSG_MAX_LEN).
 */
size_t tt_tmsg_encoded_len(const struct tt_tmsg *msg);

/**
 * Lay out msg into buf. Refuses anything decode would reject, so a well-formed
 * sender never puts a bad message on the wire.
 *
 * @param msg  the message; handler and payload are copied from its pointers.
 * @param buf  destination.
 * @param cap  bytes available in buf.
 * @return bytes written, or 0 if msg is invalid or cap is too small (buf is
 *         then untouched). Any context; no allocation.
 */
size_t tt_tmsg_encode(const struct tt_tmsg *msg, uint8_t *buf, size_t cap);

/**
 * Check every field of a received message, in layout order, and describe it.
 *
 * @param buf  the data-channel message.
 * @param len  its length.
 * @param out  filled only on success; its handler and payload point into buf.
 * @return TT_TMSG_OK, or the reject reason (the caller counts it). Any
 *         context; no allocation, no copy.
 */
enum tt_tmsg_reject tt_tmsg_decode(const uint8_t *buf, size_t len, struct tt_tmsg *out);

#endif /* TT_TASK_MSG_H */
