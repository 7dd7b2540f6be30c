/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for task messages, both directions:
 * - decode: whatever tt_tmsg_decode accepts re-encodes to exactly the same
 *   bytes (the layout has one encoding per message) and decodes again to the
 *   same fields; a reject leaves `out` untouched.
 * - encode: the input is also read as the fields of a struct tt_tmsg. Encode
 *   must accept it exactly when the header's rules (task_msg.h) allow it,
 *   write tt_tmsg_encoded_len() bytes, refuse a buffer one byte short without
 *   touching it, and produce bytes that decode to the same message.
 * Any break aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One byte past the largest message, for the TOO_LONG rule. */
static uint8_t big[TT_TMSG_MAX_LEN + 1];
static uint8_t out_buf[TT_TMSG_MAX_LEN];
static uint8_t out_buf2[TT_TMSG_MAX_LEN];
/* Payload source for the encode direction (contents do not matter). */
static uint8_t payload_src[TT_TMSG_MAX_LEN];

static void broke(const char *what)
{
	fprintf(stderr, "fuzz_task_msg: oracle failed: %s\n", what);
	abort();
}

/* The fields a message of its type carries. */
static bool same_msg(const struct tt_tmsg *a, const struct tt_tmsg *b)
{
	if (a->type != b->type || a->task_id != b->task_id || a->epoch != b->epoch)
		return false;
	switch (a->type) {
	case TT_TMSG_ASSIGN:
		if (a->handler_len != b->handler_len ||
		    memcmp(a->handler, b->handler, a->handler_len) != 0)
			return false;
		break;
	case TT_TMSG_RESULT:
		if (a->status != b->status)
			return false;
		break;
	case TT_TMSG_CANCEL_ACK:
		return a->outcome == b->outcome;
	default:
		return true;
	}
	return a->payload_len == b->payload_len &&
	       (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static enum tt_tmsg_reject checked_decode(const uint8_t *buf, size_t len, struct tt_tmsg *out)
{
	struct tt_tmsg sentinel;
	enum tt_tmsg_reject r;

	memset(out, 0xa5, sizeof(*out));
	memcpy(&sentinel, out, sizeof(*out));
	r = tt_tmsg_decode(buf, len, out);
	if (r >= TT_TMSG_REJECT_MAX || strcmp(tt_tmsg_reject_name(r), "?") == 0 ||
	    strcmp(tt_tmsg_reject_rule(r), "?") == 0)
		broke("reason out of range or unnamed");
	if (r != TT_TMSG_OK && memcmp(out, &sentinel, sizeof(*out)) != 0)
		broke("out written on reject");
	return r;
}

static void decode_direction(const uint8_t *data, size_t size)
{
	struct tt_tmsg m1, m2;
	size_t n;

	if (checked_decode(data, size, &m1) != TT_TMSG_OK)
		return;
	if (strcmp(tt_tmsg_type_name(m1.type), "?") == 0)
		broke("accepted type has no name");
	switch (m1.type) {
	case TT_TMSG_ASSIGN:
		if (!tt_tmsg_handler_valid(m1.handler, m1.handler_len) ||
		    (const uint8_t *)m1.handler != data + TT_TMSG_ASSIGN_HDR_LEN)
			broke("accepted handler name");
		if ((size_t)TT_TMSG_ASSIGN_HDR_LEN + m1.handler_len + m1.payload_len != size)
			broke("ASSIGN length");
		break;
	case TT_TMSG_RESULT:
		if (strcmp(tt_tmsg_status_name(m1.status), "?") == 0 ||
		    (size_t)TT_TMSG_RESULT_HDR_LEN + m1.payload_len != size)
			broke("RESULT status or length");
		break;
	case TT_TMSG_CANCEL:
		if (size != TT_TMSG_CANCEL_LEN)
			broke("CANCEL length");
		break;
	default:
		if (strcmp(tt_tmsg_outcome_name(m1.outcome), "?") == 0 ||
		    size != TT_TMSG_CANCEL_ACK_LEN)
			broke("CANCEL_ACK outcome or length");
		break;
	}
	if ((m1.payload_len == 0) != (m1.payload == NULL))
		broke("payload pointer disagrees with its length");

	n = tt_tmsg_encode(&m1, out_buf, sizeof(out_buf));
	if (n != size || tt_tmsg_encoded_len(&m1) != size)
		broke("accepted message does not re-encode to its length");
	if (memcmp(out_buf, data, size) != 0)
		broke("re-encoded bytes differ");
	if (checked_decode(out_buf, n, &m2) != TT_TMSG_OK || !same_msg(&m1, &m2))
		broke("fields changed across the round trip");
}

static uint64_t get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* What task_msg.h allows, written from the header, not from the code. */
static size_t expected_len(const struct tt_tmsg *m)
{
	uint64_t len;

	if (m->task_id == 0 || m->epoch == 0)
		return 0;
	switch (m->type) {
	case TT_TMSG_ASSIGN:
		if (!tt_tmsg_handler_valid(m->handler, m->handler_len))
			return 0;
		len = (uint64_t)TT_TMSG_ASSIGN_HDR_LEN + m->handler_len + m->payload_len;
		break;
	case TT_TMSG_RESULT:
		if (m->status >= TT_TMSG_ST_MAX)
			return 0;
		len = (uint64_t)TT_TMSG_RESULT_HDR_LEN + m->payload_len;
		break;
	case TT_TMSG_CANCEL:
		return TT_TMSG_CANCEL_LEN;
	case TT_TMSG_CANCEL_ACK:
		return m->outcome < TT_TMSG_CANCEL_OUTCOME_MAX ? TT_TMSG_CANCEL_ACK_LEN : 0;
	default:
		return 0;
	}
	if (m->payload_len > 0 && m->payload == NULL)
		return 0;
	return len <= TT_TMSG_MAX_LEN ? (size_t)len : 0;
}

/*
 * Input as fields: type, task id (8), epoch (4), status, outcome, handler
 * length, payload length (3 bytes, so lengths past 64 KiB occur), and
 * whether the handler and payload pointers are NULL;
 * the handler name is read from the rest of the input.
 */
#define FIELDS_LEN 20
/* Bytes checked for "untouched" after a refused encode. */
#define GUARD_LEN 64

static void encode_direction(const uint8_t *data, size_t size)
{
	struct tt_tmsg m, d;
	size_t want, n;

	if (size < FIELDS_LEN)
		return;
	memset(&m, 0, sizeof(m));
	m.type = data[0] % 6; /* 0 and 5 are invalid types */
	m.task_id = get_be(data + 1, 8);
	m.epoch = (uint32_t)get_be(data + 9, 4);
	m.status = data[13] % (TT_TMSG_ST_MAX + 2);
	m.outcome = data[14] % (TT_TMSG_CANCEL_OUTCOME_MAX + 2);
	m.handler_len = data[15] % (TT_TMSG_HANDLER_MAX + 3);
	m.payload_len = (uint32_t)get_be(data + 16, 3) % (TT_TMSG_MAX_LEN + 64);
	m.handler = (data[19] & 1) ? NULL : (const char *)data + FIELDS_LEN;
	m.payload = (data[19] & 2) ? NULL : payload_src;
	if (m.handler != NULL && m.handler_len > size - FIELDS_LEN)
		m.handler_len = (uint8_t)(size - FIELDS_LEN);

	want = expected_len(&m);
	if (tt_tmsg_encoded_len(&m) != want)
		broke("encoded_len disagrees with the header's rules");
	memset(out_buf, 0xee, GUARD_LEN);
	memset(out_buf2, 0xee, GUARD_LEN);
	n = tt_tmsg_encode(&m, out_buf, sizeof(out_buf));
	if (n != want)
		broke("encode accepted a message the rules refuse, or refused a valid one");
	if (n == 0) {
		if (memcmp(out_buf, out_buf2, GUARD_LEN) != 0)
			broke("refused encode wrote to buf");
		return;
	}
	if (checked_decode(out_buf, n, &d) != TT_TMSG_OK || !same_msg(&m, &d))
		broke("encoded message does not decode to itself");
	/* One byte short: refused and buf untouched. */
	memset(out_buf2, 0xee, n);
	if (tt_tmsg_encode(&m, out_buf2, n - 1) != 0 || out_buf2[0] != 0xee ||
	    out_buf2[n - 2] != 0xee)
		broke("encode ignored cap or wrote on refusal");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_tmsg m;
	size_t head = size < TT_TMSG_HEAD_LEN ? size : TT_TMSG_HEAD_LEN;

	decode_direction(data, size);
	encode_direction(data, size);

	/* Past 64 KiB the length rule comes first, whatever the contents. */
	memcpy(big, data, head);
	if (checked_decode(big, sizeof(big), &m) != TT_TMSG_RX_TOO_LONG)
		broke("message above 64 KiB not refused as TOO_LONG");
	/* Below the head, TRUNCATED whatever the contents. */
	if (size < TT_TMSG_HEAD_LEN && checked_decode(data, size, &m) != TT_TMSG_RX_TRUNCATED)
		broke("short message not refused as TRUNCATED");
	return 0;
}
