/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-channel wire format (layout and rules: dc_wire.h). Pure byte-buffer
 * code: no state, no allocation.
 */
#include "dc_wire.h"

#include <string.h>

#include "tt_bytes.h"
#include "tt_names.h"

/* Byte offsets of the header fields (the table in dc_wire.h). */
#define OFF_VERSION	0
#define OFF_TYPE	1
#define OFF_FLAGS	2
#define OFF_KEY_ID	3
#define OFF_WORKER	4
#define OFF_CHAN	8
#define OFF_WINDOW	10
#define OFF_EPOCH	12
#define OFF_SEQ		16
#define OFF_ACK		20
#define OFF_SACK	24
#define OFF_NONCE	32
#define OFF_MSG_ID	40
#define OFF_MSG_LEN	44
#define OFF_SEG_OFF	48
#define OFF_PAYLOAD_LEN 52
#define OFF_RESERVED	54

_Static_assert(OFF_RESERVED + 2 == TT_DCW_HDR_LEN, "header table and length disagree");

/* Optional fields, for the per-type "must be zero unless used" rule. */
enum {
	U_SEQ = 1u << 0,
	U_ACK = 1u << 1,
	U_SACK = 1u << 2,
	U_WINDOW = 1u << 3,
	U_NONCE = 1u << 4,
	U_MSG = 1u << 5, /* msg_id, msg_len, seg_off and the payload */
};

/* The second table in dc_wire.h. */
static const uint8_t field_use[TT_DCW_T_MAX] = {
	[TT_DCW_T_CONNECT] = U_SEQ | U_WINDOW | U_NONCE,
	[TT_DCW_T_ACCEPT] = U_SEQ | U_ACK | U_WINDOW | U_NONCE,
	[TT_DCW_T_DATA] = U_SEQ | U_ACK | U_SACK | U_WINDOW | U_MSG,
	[TT_DCW_T_ACK] = U_ACK | U_SACK | U_WINDOW,
	[TT_DCW_T_PROBE] = U_SEQ | U_ACK | U_SACK | U_WINDOW,
	[TT_DCW_T_PROBE_ACK] = U_SEQ | U_ACK | U_SACK | U_WINDOW,
	[TT_DCW_T_CLOSE] = 0,
	[TT_DCW_T_RESET] = 0,
};

static const char *const type_names[TT_DCW_T_MAX] = {
#define TT_X(name, val, str) [val] = str,
	TT_DCW_TYPES(TT_X)
#undef TT_X
};

static const char *const reject_names[TT_DCW_RX_REJECT_MAX] = {
	[TT_DCW_RX_OK] = "OK",
#define TT_X(name, str) [TT_DCW_RX_##name] = #name,
	TT_DCW_RX_REJECTS(TT_X)
#undef TT_X
};

static const char *const reject_rules[TT_DCW_RX_REJECT_MAX] = {
	[TT_DCW_RX_OK] = "accepted",
#define TT_X(name, str) [TT_DCW_RX_##name] = str,
	TT_DCW_RX_REJECTS(TT_X)
#undef TT_X
};

const char *tt_dcw_type_name(unsigned int type)
{
	return TT_NAME_AT(type_names, type, "?");
}

const char *tt_dcw_rx_reject_name(unsigned int reason)
{
	return TT_NAME_AT(reject_names, reason, "?");
}

const char *tt_dcw_rx_reject_rule(unsigned int reason)
{
	return TT_NAME_AT(reject_rules, reason, "?");
}

size_t tt_dcw_wire_len(const struct tt_dcw_pkt *pkt)
{
	return TT_DCW_HDR_LEN + (size_t)pkt->payload_len +
	       ((pkt->flags & TT_DCW_F_MAC) ? TT_DCW_MAC_LEN : 0);
}

/*
 * The per-type rules: fields the type does not use are zero; CONNECT and
 * ACCEPT carry a nonce; DATA segments are consistent on their own.
 */
static enum tt_dcw_rx_reject check_type_fields(const struct tt_dcw_pkt *p)
{
	unsigned int use = field_use[p->type];

	if ((!(use & U_SEQ) && p->seq != 0) || (!(use & U_ACK) && p->ack != 0) ||
	    (!(use & U_SACK) && p->sack != 0) || (!(use & U_WINDOW) && p->window != 0) ||
	    (!(use & U_NONCE) && p->nonce != 0) ||
	    (!(use & U_MSG) &&
	     (p->msg_id != 0 || p->msg_len != 0 || p->seg_off != 0 || p->payload_len != 0)))
		return TT_DCW_RX_FIELD_NOT_ZERO;
	if ((use & U_NONCE) && p->nonce == 0)
		return TT_DCW_RX_NONCE_ZERO;
	if (use & U_MSG) {
		if (p->msg_len > TT_DCW_MSG_MAX)
			return TT_DCW_RX_MSG_TOO_BIG;
		if (p->msg_len == 0) {
			if (p->seg_off != 0 || p->payload_len != 0)
				return TT_DCW_RX_SEGMENT;
		} else if (p->payload_len == 0 ||
			   (uint64_t)p->seg_off + p->payload_len > p->msg_len) {
			return TT_DCW_RX_SEGMENT;
		}
	}
	return TT_DCW_RX_OK;
}

/*
 * Decode into a local copy and validate it in the order of the reject
 * X-macro; `out` is written only once every rule has passed.
 */
static enum tt_dcw_rx_reject parse(const uint8_t *buf, size_t len,
				   const struct tt_dcw_policy *policy, struct tt_dcw_pkt *out)
{
	struct tt_dcw_pkt p;
	size_t expect;
	enum tt_dcw_rx_reject r;

	if (len < TT_DCW_HDR_LEN)
		return TT_DCW_RX_TRUNCATED;
	memset(&p, 0, sizeof(p));
	p.version = buf[OFF_VERSION];
	p.type = buf[OFF_TYPE];
	p.flags = buf[OFF_FLAGS];
	p.mac_key_id = buf[OFF_KEY_ID];
	p.worker_id = tt_get_be32(buf + OFF_WORKER);
	p.chan_idx = tt_get_be16(buf + OFF_CHAN);
	p.window = tt_get_be16(buf + OFF_WINDOW);
	p.epoch = tt_get_be32(buf + OFF_EPOCH);
	p.seq = tt_get_be32(buf + OFF_SEQ);
	p.ack = tt_get_be32(buf + OFF_ACK);
	p.sack = tt_get_be64(buf + OFF_SACK);
	p.nonce = tt_get_be64(buf + OFF_NONCE);
	p.msg_id = tt_get_be32(buf + OFF_MSG_ID);
	p.msg_len = tt_get_be32(buf + OFF_MSG_LEN);
	p.seg_off = tt_get_be32(buf + OFF_SEG_OFF);
	p.payload_len = tt_get_be16(buf + OFF_PAYLOAD_LEN);
	p.reserved = tt_get_be16(buf + OFF_RESERVED);

	if (p.version != TT_DCW_VERSION)
		return TT_DCW_RX_VERSION;
	if (p.type == 0 || p.type >= TT_DCW_T_MAX)
		return TT_DCW_RX_TYPE;
	if ((p.flags & ~TT_DCW_F_ALL) != 0 || p.reserved != 0 ||
	    (!(p.flags & TT_DCW_F_MAC) && p.mac_key_id != 0))
		return TT_DCW_RX_RESERVED;
	if ((p.flags & TT_DCW_F_MAC) && !policy->mac)
		return TT_DCW_RX_MAC_UNEXPECTED;
	if (!(p.flags & TT_DCW_F_MAC) && policy->mac)
		return TT_DCW_RX_MAC_MISSING;
	expect = tt_dcw_wire_len(&p);
	if (len != expect)
		return TT_DCW_RX_LENGTH;
	if (p.chan_idx >= policy->n_channels || p.chan_idx >= TT_DCW_MAX_CHANNELS)
		return TT_DCW_RX_CHANNEL;
	if (p.epoch == 0)
		return TT_DCW_RX_EPOCH_ZERO;
	if (p.window > TT_DCW_WINDOW_MAX)
		return TT_DCW_RX_WINDOW;
	r = check_type_fields(&p);
	if (r != TT_DCW_RX_OK)
		return r;

	p.payload = buf + TT_DCW_HDR_LEN;
	p.mac = (p.flags & TT_DCW_F_MAC) ? buf + TT_DCW_HDR_LEN + p.payload_len : NULL;
	*out = p;
	return TT_DCW_RX_OK;
}

enum tt_dcw_rx_reject tt_dcw_parse(const uint8_t *buf, size_t len,
				   const struct tt_dcw_policy *policy, struct tt_dcw_pkt *out,
				   struct tt_dcw_counters *cnt)
{
	enum tt_dcw_rx_reject r = parse(buf, len, policy, out);

	if (cnt != NULL)
		cnt->by_reason[r]++;
	return r;
}

size_t tt_dcw_build(const struct tt_dcw_pkt *pkt, uint8_t *buf, size_t cap)
{
	size_t len = tt_dcw_wire_len(pkt);

	if (len > cap || (pkt->payload_len > 0 && pkt->payload == NULL))
		return 0;
	buf[OFF_VERSION] = pkt->version;
	buf[OFF_TYPE] = pkt->type;
	buf[OFF_FLAGS] = pkt->flags;
	buf[OFF_KEY_ID] = pkt->mac_key_id;
	tt_put_be32(buf + OFF_WORKER, pkt->worker_id);
	tt_put_be16(buf + OFF_CHAN, pkt->chan_idx);
	tt_put_be16(buf + OFF_WINDOW, pkt->window);
	tt_put_be32(buf + OFF_EPOCH, pkt->epoch);
	tt_put_be32(buf + OFF_SEQ, pkt->seq);
	tt_put_be32(buf + OFF_ACK, pkt->ack);
	tt_put_be64(buf + OFF_SACK, pkt->sack);
	tt_put_be64(buf + OFF_NONCE, pkt->nonce);
	tt_put_be32(buf + OFF_MSG_ID, pkt->msg_id);
	tt_put_be32(buf + OFF_MSG_LEN, pkt->msg_len);
	tt_put_be32(buf + OFF_SEG_OFF, pkt->seg_off);
	tt_put_be16(buf + OFF_PAYLOAD_LEN, pkt->payload_len);
	tt_put_be16(buf + OFF_RESERVED, pkt->reserved);
	if (pkt->payload_len > 0)
		memcpy(buf + TT_DCW_HDR_LEN, pkt->payload, pkt->payload_len);
	if (pkt->flags & TT_DCW_F_MAC)
		memset(buf + TT_DCW_HDR_LEN + pkt->payload_len, 0, TT_DCW_MAC_LEN);
	return len;
}
