/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Task messages: byte layout in task_msg.h. Encode and decode apply the same
 * rules, so whatever encode writes, decode accepts, and the reverse.
 */

#include "task_msg.h"

#include <string.h>

#include "tt_bytes.h"
#include "tt_names.h"

static const char *const type_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_TMSG_TYPES(TT_X)
#undef TT_X
};

static const char *const status_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_TMSG_STATUSES(TT_X)
#undef TT_X
};

static const char *const outcome_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_TMSG_CANCEL_OUTCOMES(TT_X)
#undef TT_X
};

static const char *const reject_names[] = {
	[TT_TMSG_OK] = "OK",
#define TT_X(name, str) [TT_TMSG_RX_##name] = #name,
	TT_TMSG_REJECTS(TT_X)
#undef TT_X
};

static const char *const reject_rules[] = {
	[TT_TMSG_OK] = "accepted",
#define TT_X(name, str) [TT_TMSG_RX_##name] = str,
	TT_TMSG_REJECTS(TT_X)
#undef TT_X
};

const char *tt_tmsg_type_name(unsigned int type)
{
	return TT_NAME_AT(type_names, type, "?");
}

const char *tt_tmsg_status_name(unsigned int status)
{
	return TT_NAME_AT(status_names, status, "?");
}

const char *tt_tmsg_outcome_name(unsigned int outcome)
{
	return TT_NAME_AT(outcome_names, outcome, "?");
}

const char *tt_tmsg_reject_name(unsigned int reason)
{
	return TT_NAME_AT(reject_names, reason, "?");
}

const char *tt_tmsg_reject_rule(unsigned int reason)
{
	return TT_NAME_AT(reject_rules, reason, "?");
}

static bool handler_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

bool tt_tmsg_handler_valid(const char *name, size_t len)
{
	if (name == NULL || len == 0 || len > TT_TMSG_HANDLER_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!handler_char_ok((unsigned char)name[i]))
			return false;
	return true;
}

/*
 * The length msg would take on the wire, or 0 if any field breaks a rule
 * decode enforces. 64-bit arithmetic so that a huge payload_len cannot wrap.
 */
size_t tt_tmsg_encoded_len(const struct tt_tmsg *msg)
{
	uint64_t len;

	if (msg == NULL || msg->task_id == 0 || msg->epoch == 0)
		return 0;
	switch (msg->type) {
	case TT_TMSG_ASSIGN:
		if (!tt_tmsg_handler_valid(msg->handler, msg->handler_len))
			return 0;
		len = (uint64_t)TT_TMSG_ASSIGN_HDR_LEN + msg->handler_len + msg->payload_len;
		break;
	case TT_TMSG_RESULT:
		if (msg->status >= TT_TMSG_ST_MAX)
			return 0;
		len = (uint64_t)TT_TMSG_RESULT_HDR_LEN + msg->payload_len;
		break;
	case TT_TMSG_CANCEL:
		return TT_TMSG_CANCEL_LEN;
	case TT_TMSG_CANCEL_ACK:
		if (msg->outcome >= TT_TMSG_CANCEL_OUTCOME_MAX)
			return 0;
		return TT_TMSG_CANCEL_ACK_LEN;
	default:
		return 0;
	}
	if (msg->payload_len > 0 && msg->payload == NULL)
		return 0;
	return len <= TT_TMSG_MAX_LEN ? (size_t)len : 0;
}

/* Validate through tt_tmsg_encoded_len, then write head, fixed part and variable part. */
size_t tt_tmsg_encode(const struct tt_tmsg *msg, uint8_t *buf, size_t cap)
{
	size_t len = tt_tmsg_encoded_len(msg);
	size_t off;

	if (len == 0 || buf == NULL || cap < len)
		return 0;
	memset(buf, 0, len < TT_TMSG_RESULT_HDR_LEN ? len : TT_TMSG_RESULT_HDR_LEN);
	buf[0] = TT_TMSG_VERSION;
	buf[1] = msg->type;
	tt_put_be16(buf + 2, 0);
	tt_put_be64(buf + 4, msg->task_id);
	tt_put_be32(buf + 12, msg->epoch);
	switch (msg->type) {
	case TT_TMSG_ASSIGN:
		tt_put_be32(buf + 16, msg->payload_len);
		buf[20] = msg->handler_len;
		memcpy(buf + TT_TMSG_ASSIGN_HDR_LEN, msg->handler, msg->handler_len);
		off = TT_TMSG_ASSIGN_HDR_LEN + msg->handler_len;
		if (msg->payload_len > 0)
			memcpy(buf + off, msg->payload, msg->payload_len);
		break;
	case TT_TMSG_RESULT:
		tt_put_be32(buf + 16, msg->payload_len);
		buf[20] = msg->status;
		if (msg->payload_len > 0)
			memcpy(buf + TT_TMSG_RESULT_HDR_LEN, msg->payload, msg->payload_len);
		break;
	case TT_TMSG_CANCEL_ACK:
		buf[16] = msg->outcome;
		break;
	default:
		break;
	}
	return len;
}

static bool zero3(const uint8_t *p)
{
	return p[0] == 0 && p[1] == 0 && p[2] == 0;
}

/*
 * The payload of a message whose fixed part ends at `off`: its declared
 * length must reach exactly the end of the message. Shared by ASSIGN and
 * RESULT.
 */
static enum tt_tmsg_reject take_payload(const uint8_t *buf, size_t len, size_t off, uint32_t plen,
					struct tt_tmsg *m)
{
	if ((uint64_t)off + plen > len)
		return TT_TMSG_RX_PAYLOAD_SHORT;
	if ((uint64_t)off + plen < len)
		return TT_TMSG_RX_TRAILING;
	m->payload_len = plen;
	m->payload = plen > 0 ? buf + off : NULL;
	return TT_TMSG_OK;
}

static enum tt_tmsg_reject decode_assign(const uint8_t *buf, size_t len, struct tt_tmsg *m)
{
	uint8_t hlen;

	if (len < TT_TMSG_ASSIGN_HDR_LEN)
		return TT_TMSG_RX_TRUNCATED;
	hlen = buf[20];
	if (!zero3(buf + 21))
		return TT_TMSG_RX_RESERVED;
	if (hlen == 0 || hlen > TT_TMSG_HANDLER_MAX)
		return TT_TMSG_RX_HANDLER_LEN;
	/* The name is part of the fixed layout: a message that stops inside it is truncated. */
	if (len < (size_t)TT_TMSG_ASSIGN_HDR_LEN + hlen)
		return TT_TMSG_RX_TRUNCATED;
	if (!tt_tmsg_handler_valid((const char *)buf + TT_TMSG_ASSIGN_HDR_LEN, hlen))
		return TT_TMSG_RX_HANDLER_CHARS;
	m->handler_len = hlen;
	m->handler = (const char *)buf + TT_TMSG_ASSIGN_HDR_LEN;
	return take_payload(buf, len, TT_TMSG_ASSIGN_HDR_LEN + hlen, tt_get_be32(buf + 16), m);
}

static enum tt_tmsg_reject decode_result(const uint8_t *buf, size_t len, struct tt_tmsg *m)
{
	if (len < TT_TMSG_RESULT_HDR_LEN)
		return TT_TMSG_RX_TRUNCATED;
	if (buf[20] >= TT_TMSG_ST_MAX)
		return TT_TMSG_RX_STATUS;
	if (!zero3(buf + 21))
		return TT_TMSG_RX_RESERVED;
	m->status = buf[20];
	return take_payload(buf, len, TT_TMSG_RESULT_HDR_LEN, tt_get_be32(buf + 16), m);
}

static enum tt_tmsg_reject decode_cancel_ack(const uint8_t *buf, size_t len, struct tt_tmsg *m)
{
	if (len < TT_TMSG_CANCEL_ACK_LEN)
		return TT_TMSG_RX_TRUNCATED;
	if (buf[16] >= TT_TMSG_CANCEL_OUTCOME_MAX)
		return TT_TMSG_RX_OUTCOME;
	if (!zero3(buf + 17))
		return TT_TMSG_RX_RESERVED;
	if (len > TT_TMSG_CANCEL_ACK_LEN)
		return TT_TMSG_RX_TRAILING;
	m->outcome = buf[16];
	return TT_TMSG_OK;
}

/*
 * Decode into a local copy first so that `out` is written only on success:
 * a rejected message never leaves half its fields behind.
 */
enum tt_tmsg_reject tt_tmsg_decode(const uint8_t *buf, size_t len, struct tt_tmsg *out)
{
	struct tt_tmsg m = {0};
	enum tt_tmsg_reject r;

	if (buf == NULL || len < TT_TMSG_HEAD_LEN)
		return TT_TMSG_RX_TRUNCATED;
	if (len > TT_TMSG_MAX_LEN)
		return TT_TMSG_RX_TOO_LONG;
	if (buf[0] != TT_TMSG_VERSION)
		return TT_TMSG_RX_VERSION;
	m.type = buf[1];
	if (m.type < TT_TMSG_ASSIGN || m.type > TT_TMSG_CANCEL_ACK)
		return TT_TMSG_RX_TYPE;
	if (tt_get_be16(buf + 2) != 0)
		return TT_TMSG_RX_RESERVED;
	m.task_id = tt_get_be64(buf + 4);
	if (m.task_id == 0)
		return TT_TMSG_RX_TASK_ID_ZERO;
	m.epoch = tt_get_be32(buf + 12);
	if (m.epoch == 0)
		return TT_TMSG_RX_EPOCH_ZERO;

	switch (m.type) {
	case TT_TMSG_ASSIGN:
		r = decode_assign(buf, len, &m);
		break;
	case TT_TMSG_RESULT:
		r = decode_result(buf, len, &m);
		break;
	case TT_TMSG_CANCEL:
		r = len > TT_TMSG_CANCEL_LEN ? TT_TMSG_RX_TRAILING : TT_TMSG_OK;
		break;
	default:
		r = decode_cancel_ack(buf, len, &m);
		break;
	}
	if (r == TT_TMSG_OK && out != NULL)
		*out = m;
	return r;
}
