/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BFD control packet wire format: RFC 5880 §4.1 (mandatory section) and
 * §4.2-4.4 (authentication sections), stateless reception checks of §6.8.6,
 * RFC 5881 transport checks. Pure byte-buffer code: no state, no allocation.
 */
#include "bfd_wire.h"

#include <string.h>

#include "tt_bytes.h"
#include "tt_names.h"

/* RFC 5880 §4.1 byte 1 flag bits, after the 2-bit State. */
#define BFD_FLAG_P 0x20
#define BFD_FLAG_F 0x10
#define BFD_FLAG_C 0x08
#define BFD_FLAG_A 0x04
#define BFD_FLAG_D 0x02
#define BFD_FLAG_M 0x01

#define BFD_MIN_LEN_AUTH     26 /* §6.8.6: 24 + Auth Type + Auth Len */
#define BFD_AUTH_PW_MIN	     1	/* §4.2: password is 1 to 16 bytes */
#define BFD_AUTH_PW_MAX	     16
#define BFD_AUTH_PW_OVERHEAD 3	/* §4.2: Type, Len, Key ID */
#define BFD_AUTH_MD5_LEN     24 /* §4.3 */
#define BFD_AUTH_SHA1_LEN    28 /* §4.4 */
#define BFD_AUTH_DIGEST_OFF  8	/* §4.3/4.4: Type, Len, Key ID, Reserved, Seq */
#define BFD_MD5_DIGEST_LEN   16
#define BFD_SHA1_DIGEST_LEN  20

/* X-macro tables: one entry a line, kept as written. */
/* clang-format off */
static const char *const state_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_BFD_STATES(TT_X)
#undef TT_X
};

static const char *const diag_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_BFD_DIAGS(TT_X)
#undef TT_X
};

static const char *const auth_type_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_BFD_AUTH_TYPES(TT_X)
#undef TT_X
};

static const char *const reject_names[TT_BFD_RX_REJECT_MAX] = {
	[TT_BFD_RX_OK] = "OK",
#define TT_X(name, str) [TT_BFD_RX_##name] = #name,
	TT_BFD_RX_REJECTS(TT_X)
#undef TT_X
};

static const char *const reject_rules[TT_BFD_RX_REJECT_MAX] = {
	[TT_BFD_RX_OK] = "accepted",
#define TT_X(name, str) [TT_BFD_RX_##name] = str,
	TT_BFD_RX_REJECTS(TT_X)
#undef TT_X
};
/* clang-format on */

const char *tt_bfd_state_name(unsigned int state)
{
	return TT_NAME_AT(state_names, state, "unknown");
}

const char *tt_bfd_diag_name(unsigned int diag)
{
	return TT_NAME_AT(diag_names, diag, "unknown");
}

const char *tt_bfd_auth_type_name(unsigned int type)
{
	return TT_NAME_AT(auth_type_names, type, "unknown");
}

const char *tt_bfd_rx_reject_name(unsigned int reason)
{
	return TT_NAME_AT(reject_names, reason, "unknown");
}

const char *tt_bfd_rx_reject_rule(unsigned int reason)
{
	return TT_NAME_AT(reject_rules, reason, "unknown");
}

/*
 * Decode the authentication section at sec (auth_len bytes: exactly what the
 * Length field leaves after the mandatory section). Returns false when the
 * section is malformed for its type; fills *a otherwise. The digest or
 * password is copied, never checked: checking is the auth module's job.
 */
static bool parse_auth(const uint8_t *sec, size_t sec_len, struct tt_bfd_auth *a)
{
	size_t digest_len;

	a->type = sec[0];
	a->len = sec[1];
	/* §4.1: Auth Len covers the whole section including Type and Len, and
	 * Length covers the whole packet; the two must agree. */
	if (a->len != sec_len)
		return false;

	switch (a->type) {
	case TT_BFD_AUTH_SIMPLE_PASSWORD:
		/* §4.2: Auth Len = 3 + password length, password 1..16 bytes. */
		if (a->len < BFD_AUTH_PW_OVERHEAD + BFD_AUTH_PW_MIN ||
		    a->len > BFD_AUTH_PW_OVERHEAD + BFD_AUTH_PW_MAX)
			return false;
		a->key_id = sec[2];
		a->password_len = (uint8_t)(a->len - BFD_AUTH_PW_OVERHEAD);
		memcpy(a->data, sec + BFD_AUTH_PW_OVERHEAD, a->password_len);
		return true;
	case TT_BFD_AUTH_KEYED_MD5:
	case TT_BFD_AUTH_METICULOUS_KEYED_MD5:
		/* §4.3: Auth Len is 24; 16-byte digest. */
		if (a->len != BFD_AUTH_MD5_LEN)
			return false;
		digest_len = BFD_MD5_DIGEST_LEN;
		break;
	case TT_BFD_AUTH_KEYED_SHA1:
	case TT_BFD_AUTH_METICULOUS_KEYED_SHA1:
		/* §4.4: Auth Len is 28; 20-byte hash. */
		if (a->len != BFD_AUTH_SHA1_LEN)
			return false;
		digest_len = BFD_SHA1_DIGEST_LEN;
		break;
	default:
		/* §4.1: type 0 is "Reserved" when A is set; 6-255 are unassigned. */
		return false;
	}
	/* §4.3/4.4: sec[3] is Reserved, "ignored on receipt". */
	a->key_id = sec[2];
	a->seq = tt_get_be32(sec + 4);
	memcpy(a->data, sec + BFD_AUTH_DIGEST_OFF, digest_len);
	return true;
}

/*
 * Contract: see bfd_wire.h. Checks run in RFC 5880 §6.8.6 order so that a
 * packet breaking several rules is always counted under the first; `out` is
 * assigned once, at the end, from a zeroed local.
 */
enum tt_bfd_rx_reject tt_bfd_parse(const uint8_t *buf, size_t len, struct tt_bfd_ctrl *out)
{
	struct tt_bfd_ctrl c;
	unsigned int min_len;

	/* Without the mandatory section none of the fields below exist. */
	if (len < TT_BFD_HDR_LEN)
		return TT_BFD_RX_TRUNCATED;

	memset(&c, 0, sizeof(c));
	c.version = buf[0] >> 5;
	c.diag = buf[0] & 0x1f;
	c.state = buf[1] >> 6;
	c.poll = (buf[1] & BFD_FLAG_P) != 0;
	c.final = (buf[1] & BFD_FLAG_F) != 0;
	c.cpi = (buf[1] & BFD_FLAG_C) != 0;
	c.auth_present = (buf[1] & BFD_FLAG_A) != 0;
	c.demand = (buf[1] & BFD_FLAG_D) != 0;
	c.multipoint = (buf[1] & BFD_FLAG_M) != 0;
	c.detect_mult = buf[2];
	c.length = buf[3];
	c.my_disc = tt_get_be32(buf + 4);
	c.your_disc = tt_get_be32(buf + 8);
	c.desired_min_tx_us = tt_get_be32(buf + 12);
	c.required_min_rx_us = tt_get_be32(buf + 16);
	c.required_min_echo_rx_us = tt_get_be32(buf + 20);

	/* §6.8.6: "If the version number is not correct (1), the packet MUST be
	 * discarded." */
	if (c.version != TT_BFD_VERSION)
		return TT_BFD_RX_VERSION;
	/* §6.8.6: Length below 24 (A clear) or 26 (A set) is discarded... */
	min_len = c.auth_present ? BFD_MIN_LEN_AUTH : TT_BFD_HDR_LEN;
	if (c.length < min_len)
		return TT_BFD_RX_LENGTH_FIELD;
	/* ...and so is a Length greater than the UDP payload. Bytes beyond
	 * Length are ignored. */
	if (c.length > len)
		return TT_BFD_RX_LENGTH_FIELD;
	/* §6.8.6: "If the Detect Mult field is zero, the packet MUST be
	 * discarded." */
	if (c.detect_mult == 0)
		return TT_BFD_RX_DETECT_MULT_ZERO;
	/* §6.8.6: "If the Multipoint (M) bit is nonzero, the packet MUST be
	 * discarded." */
	if (c.multipoint)
		return TT_BFD_RX_MULTIPOINT;
	/* §6.8.6: "If the My Discriminator field is zero, the packet MUST be
	 * discarded." */
	if (c.my_disc == 0)
		return TT_BFD_RX_MY_DISC_ZERO;
	/* §6.5: "A BFD Control packet MUST NOT have both the Poll (P) and Final
	 * (F) bits set." Such a packet cannot be answered consistently. */
	if (c.poll && c.final)
		return TT_BFD_RX_POLL_AND_FINAL;
	/* §4.2-4.4: the section's layout must match its type. */
	if (c.auth_present &&
	    !parse_auth(buf + TT_BFD_HDR_LEN, (size_t)c.length - TT_BFD_HDR_LEN, &c.auth))
		return TT_BFD_RX_AUTH_FORMAT;

	*out = c;
	return TT_BFD_RX_OK;
}

/*
 * RFC 5881 transport rules, in the X-macro's order: TTL, then ports.
 * §5: received packets MUST carry TTL 255 (GTSM, RFC 5082) so that only a
 * directly connected peer can reach the session; tether requires it whether
 * or not authentication is on. §4: destination port 3784; the source port
 * MUST be in 49152-65535 (a sender rule that tether enforces on receive).
 */
enum tt_bfd_rx_reject tt_bfd_check_transport(uint8_t ttl, uint16_t src_port, uint16_t dst_port)
{
	if (ttl != TT_BFD_TTL)
		return TT_BFD_RX_TTL;
	if (dst_port != TT_BFD_UDP_PORT)
		return TT_BFD_RX_UDP_DST_PORT;
	if (src_port < TT_BFD_SRC_PORT_MIN)
		return TT_BFD_RX_UDP_SRC_PORT;
	return TT_BFD_RX_OK;
}

/* Auth Len for the section build will write, or 0 if it cannot be encoded. */
static size_t auth_wire_len(const struct tt_bfd_auth *a)
{
	switch (a->type) {
	case TT_BFD_AUTH_SIMPLE_PASSWORD:
		if (a->password_len < BFD_AUTH_PW_MIN || a->password_len > BFD_AUTH_PW_MAX)
			return 0;
		return BFD_AUTH_PW_OVERHEAD + (size_t)a->password_len;
	case TT_BFD_AUTH_KEYED_MD5:
	case TT_BFD_AUTH_METICULOUS_KEYED_MD5:
		return BFD_AUTH_MD5_LEN;
	case TT_BFD_AUTH_KEYED_SHA1:
	case TT_BFD_AUTH_METICULOUS_KEYED_SHA1:
		return BFD_AUTH_SHA1_LEN;
	default:
		return 0;
	}
}

/*
 * Contract: see bfd_wire.h. Fields are encoded as given (no validation beyond
 * what the wire can hold), so tests can build packets that parse rejects.
 * Length and Auth Len come from the contents, not from pkt->length and
 * pkt->auth.len. Nothing is written unless the whole packet fits.
 */
size_t tt_bfd_build(const struct tt_bfd_ctrl *pkt, uint8_t *buf, size_t cap)
{
	size_t auth_len = 0;
	size_t total;
	uint8_t *sec;

	if (pkt->version > 7 || pkt->diag > 31 || pkt->state > 3)
		return 0;
	if (pkt->auth_present) {
		auth_len = auth_wire_len(&pkt->auth);
		if (auth_len == 0)
			return 0;
	}
	total = TT_BFD_HDR_LEN + auth_len;
	if (cap < total)
		return 0;

	/* §4.1 mandatory section. */
	buf[0] = (uint8_t)(pkt->version << 5 | pkt->diag);
	buf[1] = (uint8_t)(pkt->state << 6 | (pkt->poll ? BFD_FLAG_P : 0) |
			   (pkt->final ? BFD_FLAG_F : 0) | (pkt->cpi ? BFD_FLAG_C : 0) |
			   (pkt->auth_present ? BFD_FLAG_A : 0) | (pkt->demand ? BFD_FLAG_D : 0) |
			   (pkt->multipoint ? BFD_FLAG_M : 0));
	buf[2] = pkt->detect_mult;
	buf[3] = (uint8_t)total;
	tt_put_be32(buf + 4, pkt->my_disc);
	tt_put_be32(buf + 8, pkt->your_disc);
	tt_put_be32(buf + 12, pkt->desired_min_tx_us);
	tt_put_be32(buf + 16, pkt->required_min_rx_us);
	tt_put_be32(buf + 20, pkt->required_min_echo_rx_us);
	if (!pkt->auth_present)
		return total;

	sec = buf + TT_BFD_HDR_LEN;
	sec[0] = pkt->auth.type;
	sec[1] = (uint8_t)auth_len;
	sec[2] = pkt->auth.key_id;
	if (pkt->auth.type == TT_BFD_AUTH_SIMPLE_PASSWORD) {
		/* §4.2: Type, Len, Key ID, Password. */
		memcpy(sec + BFD_AUTH_PW_OVERHEAD, pkt->auth.data, pkt->auth.password_len);
		return total;
	}
	/* §4.3/4.4: Reserved "MUST be set to zero on transmit", then Sequence
	 * Number and the digest as given (the auth module computes it later). */
	sec[3] = 0;
	tt_put_be32(sec + 4, pkt->auth.seq);
	memcpy(sec + BFD_AUTH_DIGEST_OFF, pkt->auth.data, auth_len - BFD_AUTH_DIGEST_OFF);
	return total;
}
