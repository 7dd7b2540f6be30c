/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BFD control packet wire format: round trips of every field and every
 * authentication format (RFC 5880 §4.1-4.4), one test per stateless
 * reception rule (§6.8.6, §6.5, RFC 5881), build limits and names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bfd_wire.h"

/* A valid Up packet with every mandatory field distinct. */
static struct tt_bfd_ctrl base_pkt(void)
{
	struct tt_bfd_ctrl c;

	memset(&c, 0, sizeof(c));
	c.version = TT_BFD_VERSION;
	c.diag = TT_BFD_DIAG_PATH_DOWN;
	c.state = TT_BFD_STATE_UP;
	c.detect_mult = 3;
	c.my_disc = 0x11223344;
	c.your_disc = 0x55667788;
	c.desired_min_tx_us = 100;
	c.required_min_rx_us = 250000;
	c.required_min_echo_rx_us = 0x0a0b0c0d;
	return c;
}

static void assert_ctrl_equal(const struct tt_bfd_ctrl *a, const struct tt_bfd_ctrl *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->diag, b->diag);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->poll, b->poll);
	assert_int_equal(a->final, b->final);
	assert_int_equal(a->cpi, b->cpi);
	assert_int_equal(a->auth_present, b->auth_present);
	assert_int_equal(a->demand, b->demand);
	assert_int_equal(a->multipoint, b->multipoint);
	assert_int_equal(a->detect_mult, b->detect_mult);
	assert_int_equal(a->my_disc, b->my_disc);
	assert_int_equal(a->your_disc, b->your_disc);
	assert_int_equal(a->desired_min_tx_us, b->desired_min_tx_us);
	assert_int_equal(a->required_min_rx_us, b->required_min_rx_us);
	assert_int_equal(a->required_min_echo_rx_us, b->required_min_echo_rx_us);
}

/* Build, then parse back, asserting OK and the expected wire length. */
static struct tt_bfd_ctrl round_trip(const struct tt_bfd_ctrl *in, uint8_t *buf, size_t want_len)
{
	struct tt_bfd_ctrl out;

	assert_int_equal(tt_bfd_build(in, buf, TT_BFD_MAX_LEN), want_len);
	assert_int_equal(buf[3], want_len);
	memset(&out, 0, sizeof(out));
	assert_int_equal(tt_bfd_parse(buf, want_len, &out), TT_BFD_RX_OK);
	assert_ctrl_equal(&out, in);
	assert_int_equal(out.length, want_len);
	return out;
}

static void test_mandatory_layout(void **state)
{
	struct tt_bfd_ctrl c = base_pkt();
	uint8_t buf[TT_BFD_MAX_LEN];
	/* RFC 5880 §4.1 by hand: Vers 1 | Diag 5 = 0x25; Sta 3, P, C, D =
	 * 0xc0|0x20|0x08|0x02 = 0xea; Detect Mult 3; Length 24. */
	static const uint8_t want[TT_BFD_HDR_LEN] = {
		0x25, 0xea, 0x03, 0x18, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0x00, 0x00, 0x00, 0x64, 0x00, 0x03, 0xd0, 0x90, 0x0a, 0x0b, 0x0c, 0x0d,
	};

	(void)state;
	c.poll = true;
	c.cpi = true;
	c.demand = true;
	round_trip(&c, buf, TT_BFD_HDR_LEN);
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_every_flag_and_state(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	unsigned int st, bit, diag;

	(void)state;
	/* Each flag alone (Multipoint excepted: parse rejects it), in each state. */
	for (st = 0; st <= 3; st++) {
		for (bit = 0; bit < 5; bit++) {
			struct tt_bfd_ctrl c = base_pkt();

			c.state = (uint8_t)st;
			c.poll = bit == 0;
			c.final = bit == 1;
			c.cpi = bit == 2;
			c.demand = bit == 3;
			round_trip(&c, buf, TT_BFD_HDR_LEN);
		}
	}
	/* Every Diag value the 5-bit field holds, reserved ones included. */
	for (diag = 0; diag <= 31; diag++) {
		struct tt_bfd_ctrl c = base_pkt();

		c.diag = (uint8_t)diag;
		round_trip(&c, buf, TT_BFD_HDR_LEN);
	}
	/* Extremes of the 32-bit fields. */
	{
		struct tt_bfd_ctrl c = base_pkt();

		c.my_disc = 0xffffffffu;
		c.your_disc = 0;
		c.desired_min_tx_us = 0xffffffffu;
		c.required_min_rx_us = 0;
		c.required_min_echo_rx_us = 0x80000000u;
		c.detect_mult = 255;
		round_trip(&c, buf, TT_BFD_HDR_LEN);
	}
}

static void test_auth_simple_password(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	unsigned int pwlen, i;

	(void)state;
	/* RFC 5880 §4.2: password 1..16 bytes, Auth Len = 3 + length. */
	for (pwlen = 1; pwlen <= 16; pwlen++) {
		struct tt_bfd_ctrl c = base_pkt(), out;

		c.auth_present = true;
		c.auth.type = TT_BFD_AUTH_SIMPLE_PASSWORD;
		c.auth.key_id = 7;
		c.auth.password_len = (uint8_t)pwlen;
		for (i = 0; i < pwlen; i++)
			c.auth.data[i] = (uint8_t)('a' + i);
		out = round_trip(&c, buf, TT_BFD_HDR_LEN + 3 + pwlen);
		assert_int_equal(buf[24], TT_BFD_AUTH_SIMPLE_PASSWORD);
		assert_int_equal(buf[25], 3 + pwlen);
		assert_int_equal(buf[26], 7);
		assert_memory_equal(buf + 27, c.auth.data, pwlen);
		assert_int_equal(out.auth.type, TT_BFD_AUTH_SIMPLE_PASSWORD);
		assert_int_equal(out.auth.len, 3 + pwlen);
		assert_int_equal(out.auth.key_id, 7);
		assert_int_equal(out.auth.password_len, pwlen);
		assert_int_equal(out.auth.seq, 0);
		assert_memory_equal(out.auth.data, c.auth.data, pwlen);
	}
}

/* §4.3/4.4 layout: Type, Len, Key ID, Reserved, Seq (4), digest. */
static void check_digest_auth(uint8_t type, unsigned int auth_len)
{
	struct tt_bfd_ctrl c = base_pkt(), out;
	uint8_t buf[TT_BFD_MAX_LEN];
	unsigned int digest_len = auth_len - 8, i;

	c.auth_present = true;
	c.auth.type = type;
	c.auth.key_id = 0xc3;
	c.auth.seq = 0xdeadbeef;
	for (i = 0; i < digest_len; i++)
		c.auth.data[i] = (uint8_t)(0x80 + i);
	out = round_trip(&c, buf, TT_BFD_HDR_LEN + auth_len);
	assert_int_equal(buf[24], type);
	assert_int_equal(buf[25], auth_len);
	assert_int_equal(buf[26], 0xc3);
	assert_int_equal(buf[27], 0);
	assert_int_equal(buf[28], 0xde);
	assert_int_equal(buf[31], 0xef);
	assert_memory_equal(buf + 32, c.auth.data, digest_len);
	assert_int_equal(out.auth.type, type);
	assert_int_equal(out.auth.len, auth_len);
	assert_int_equal(out.auth.key_id, 0xc3);
	assert_int_equal(out.auth.seq, 0xdeadbeef);
	assert_memory_equal(out.auth.data, c.auth.data, digest_len);

	/* "Reserved ... ignored on receipt". */
	buf[27] = 0x5a;
	assert_int_equal(tt_bfd_parse(buf, TT_BFD_HDR_LEN + auth_len, &out), TT_BFD_RX_OK);
	assert_int_equal(out.auth.seq, 0xdeadbeef);
}

static void test_auth_keyed_md5(void **state)
{
	(void)state;
	check_digest_auth(TT_BFD_AUTH_KEYED_MD5, 24);
}

static void test_auth_meticulous_md5(void **state)
{
	(void)state;
	check_digest_auth(TT_BFD_AUTH_METICULOUS_KEYED_MD5, 24);
}

static void test_auth_keyed_sha1(void **state)
{
	(void)state;
	check_digest_auth(TT_BFD_AUTH_KEYED_SHA1, 28);
}

static void test_auth_meticulous_sha1(void **state)
{
	(void)state;
	check_digest_auth(TT_BFD_AUTH_METICULOUS_KEYED_SHA1, 28);
}

/* Build a valid packet (optionally with SHA1 auth) into buf, return its length. */
static size_t good(uint8_t *buf, bool sha1)
{
	struct tt_bfd_ctrl c = base_pkt();
	size_t n;

	if (sha1) {
		c.auth_present = true;
		c.auth.type = TT_BFD_AUTH_METICULOUS_KEYED_SHA1;
		c.auth.seq = 1;
	}
	n = tt_bfd_build(&c, buf, TT_BFD_MAX_LEN);
	assert_int_not_equal(n, 0);
	return n;
}

/* Parse, expect a reject, and check `out` was not touched. */
static void expect_reject(const uint8_t *buf, size_t len, enum tt_bfd_rx_reject want)
{
	struct tt_bfd_ctrl out, before;

	memset(&out, 0xa5, sizeof(out));
	memcpy(&before, &out, sizeof(out));
	assert_string_equal(tt_bfd_rx_reject_name(tt_bfd_parse(buf, len, &out)),
			    tt_bfd_rx_reject_name(want));
	assert_memory_equal(&out, &before, sizeof(out));
}

static void test_reject_truncated(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];

	(void)state;
	good(buf, false);
	expect_reject(buf, 23, TT_BFD_RX_TRUNCATED);
	expect_reject(buf, 0, TT_BFD_RX_TRUNCATED);
}

static void test_reject_version(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	/* RFC 5880 §6.8.6: version must be 1. */
	n = good(buf, false);
	buf[0] = (uint8_t)(0 << 5 | (buf[0] & 0x1f));
	expect_reject(buf, n, TT_BFD_RX_VERSION);
	buf[0] = (uint8_t)(2 << 5 | (buf[0] & 0x1f));
	expect_reject(buf, n, TT_BFD_RX_VERSION);
	buf[0] = (uint8_t)(7 << 5 | (buf[0] & 0x1f));
	expect_reject(buf, n, TT_BFD_RX_VERSION);
}

static void test_reject_length_below_min(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	/* §6.8.6: Length < 24 with A clear. */
	n = good(buf, false);
	buf[3] = 23;
	expect_reject(buf, n, TT_BFD_RX_LENGTH_FIELD);
	buf[3] = 0;
	expect_reject(buf, n, TT_BFD_RX_LENGTH_FIELD);
	/* §6.8.6: Length < 26 with A set, even with the bytes there. */
	n = good(buf, true);
	buf[3] = 25;
	expect_reject(buf, n, TT_BFD_RX_LENGTH_FIELD);
	buf[3] = 24;
	expect_reject(buf, n, TT_BFD_RX_LENGTH_FIELD);
}

static void test_reject_length_beyond_payload(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	/* §6.8.6: Length greater than the UDP payload. */
	n = good(buf, false);
	buf[3] = 25;
	expect_reject(buf, n, TT_BFD_RX_LENGTH_FIELD);
	n = good(buf, true);
	expect_reject(buf, n - 1, TT_BFD_RX_LENGTH_FIELD);
}

static void test_reject_detect_mult_zero(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	n = good(buf, false);
	buf[2] = 0;
	expect_reject(buf, n, TT_BFD_RX_DETECT_MULT_ZERO);
}

static void test_reject_multipoint(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	n = good(buf, false);
	buf[1] |= 0x01;
	expect_reject(buf, n, TT_BFD_RX_MULTIPOINT);
}

static void test_reject_my_disc_zero(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	n = good(buf, false);
	memset(buf + 4, 0, 4);
	expect_reject(buf, n, TT_BFD_RX_MY_DISC_ZERO);
}

static void test_reject_poll_and_final(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	/* RFC 5880 §6.5: P and F never together. */
	n = good(buf, false);
	buf[1] |= 0x30;
	expect_reject(buf, n, TT_BFD_RX_POLL_AND_FINAL);
}

/* Set Auth Type/Len and Length of an A-set packet in buf, and parse. */
static void expect_auth_format(uint8_t type, uint8_t auth_len, uint8_t length)
{
	uint8_t buf[64];

	memset(buf, 0, sizeof(buf));
	good(buf, true);
	buf[3] = length;
	buf[24] = type;
	buf[25] = auth_len;
	expect_reject(buf, sizeof(buf), TT_BFD_RX_AUTH_FORMAT);
}

static void test_reject_auth_format(void **state)
{
	(void)state;
	/* §4.1: Auth Type 0 is reserved, 6 and up unassigned. */
	expect_auth_format(0, 28, 52);
	expect_auth_format(6, 28, 52);
	expect_auth_format(255, 28, 52);
	/* §4.2: password 1..16 bytes, so Auth Len 4..19. */
	expect_auth_format(TT_BFD_AUTH_SIMPLE_PASSWORD, 2, 26);
	expect_auth_format(TT_BFD_AUTH_SIMPLE_PASSWORD, 3, 27);
	expect_auth_format(TT_BFD_AUTH_SIMPLE_PASSWORD, 20, 44);
	/* §4.3: MD5 Auth Len is 24. */
	expect_auth_format(TT_BFD_AUTH_KEYED_MD5, 23, 47);
	expect_auth_format(TT_BFD_AUTH_METICULOUS_KEYED_MD5, 28, 52);
	/* §4.4: SHA1 Auth Len is 28. */
	expect_auth_format(TT_BFD_AUTH_KEYED_SHA1, 24, 48);
	expect_auth_format(TT_BFD_AUTH_METICULOUS_KEYED_SHA1, 29, 53);
	/* §4.1: Auth Len and Length must agree (section shorter or longer). */
	expect_auth_format(TT_BFD_AUTH_KEYED_SHA1, 28, 51);
	expect_auth_format(TT_BFD_AUTH_KEYED_SHA1, 28, 53);
	expect_auth_format(TT_BFD_AUTH_SIMPLE_PASSWORD, 10, 26);
}

static void test_reject_order(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t n;

	(void)state;
	/* A packet breaking every rule counts under the first, in §6.8.6 order. */
	n = good(buf, true);
	buf[0] = 0x40;	       /* version 2 */
	buf[1] |= 0x31;	       /* P, F, M */
	buf[2] = 0;	       /* Detect Mult */
	buf[3] = 25;	       /* below 26 with A */
	memset(buf + 4, 0, 4); /* My Discriminator */
	buf[24] = 0;	       /* Auth Type */
	expect_reject(buf, n, TT_BFD_RX_VERSION);
	buf[0] = 0x20;
	expect_reject(buf, n, TT_BFD_RX_LENGTH_FIELD);
	buf[3] = (uint8_t)n;
	expect_reject(buf, n, TT_BFD_RX_DETECT_MULT_ZERO);
	buf[2] = 3;
	expect_reject(buf, n, TT_BFD_RX_MULTIPOINT);
	buf[1] &= (uint8_t)~0x01;
	expect_reject(buf, n, TT_BFD_RX_MY_DISC_ZERO);
	buf[4] = 1;
	expect_reject(buf, n, TT_BFD_RX_POLL_AND_FINAL);
	buf[1] &= (uint8_t)~0x10;
	expect_reject(buf, n, TT_BFD_RX_AUTH_FORMAT);
	buf[24] = TT_BFD_AUTH_METICULOUS_KEYED_SHA1;
	expect_reject(buf, 23, TT_BFD_RX_TRUNCATED);
	assert_int_equal(tt_bfd_parse(buf, n, &(struct tt_bfd_ctrl){0}), TT_BFD_RX_OK);
}

static void test_accept_trailing_bytes(void **state)
{
	uint8_t buf[64];
	struct tt_bfd_ctrl out;

	(void)state;
	/* Bytes after Length in the UDP payload are not part of the packet. */
	memset(buf, 0xee, sizeof(buf));
	good(buf, false);
	assert_int_equal(tt_bfd_parse(buf, sizeof(buf), &out), TT_BFD_RX_OK);
	assert_int_equal(out.length, 24);
	assert_false(out.auth_present);
	/* A clear and Length above 24: only the bounds of §6.8.6 apply. */
	buf[3] = 30;
	assert_int_equal(tt_bfd_parse(buf, 30, &out), TT_BFD_RX_OK);
	assert_int_equal(out.length, 30);
}

static void test_your_disc_zero_left_to_session(void **state)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	struct tt_bfd_ctrl out;
	size_t n;

	(void)state;
	/* The header puts Your Discriminator rules in the session (hb_fsm);
	 * the wire layer passes a zero through. */
	n = good(buf, false);
	memset(buf + 8, 0, 4);
	assert_int_equal(tt_bfd_parse(buf, n, &out), TT_BFD_RX_OK);
	assert_int_equal(out.your_disc, 0);
	assert_int_equal(out.state, TT_BFD_STATE_UP);
}

static void test_build_limits(void **state)
{
	struct tt_bfd_ctrl c = base_pkt();
	uint8_t buf[TT_BFD_MAX_LEN], zero[TT_BFD_MAX_LEN];

	(void)state;
	memset(zero, 0, sizeof(zero));
	memset(buf, 0, sizeof(buf));
	/* Too small: nothing written. */
	assert_int_equal(tt_bfd_build(&c, buf, 23), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	c.auth_present = true;
	c.auth.type = TT_BFD_AUTH_KEYED_SHA1;
	assert_int_equal(tt_bfd_build(&c, buf, 51), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	assert_int_equal(tt_bfd_build(&c, buf, 52), 52);

	/* Fields the wire cannot hold. */
	c = base_pkt();
	c.state = 4;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 0);
	c = base_pkt();
	c.diag = 32;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 0);
	c = base_pkt();
	c.version = 8;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 0);
	c = base_pkt();
	c.auth_present = true;
	c.auth.type = TT_BFD_AUTH_NONE;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 0);
	c.auth.type = 6;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 0);
	c.auth.type = TT_BFD_AUTH_SIMPLE_PASSWORD;
	c.auth.password_len = 0;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 0);
	c.auth.password_len = 17;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 0);

	/* Malformed-but-encodable packets build, so tests can make them. */
	c = base_pkt();
	c.detect_mult = 0;
	c.multipoint = true;
	c.my_disc = 0;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 24);
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[1] & 0x01, 1);

	/* Length and Auth Len come from the contents, not the struct. */
	c = base_pkt();
	c.length = 99;
	c.auth.type = TT_BFD_AUTH_KEYED_MD5; /* ignored: A clear */
	c.auth.len = 77;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 24);
	assert_int_equal(buf[3], 24);
	c.auth_present = true;
	assert_int_equal(tt_bfd_build(&c, buf, sizeof(buf)), 48);
	assert_int_equal(buf[3], 48);
	assert_int_equal(buf[25], 24);
}

static void test_transport(void **state)
{
	(void)state;
	assert_int_equal(tt_bfd_check_transport(255, 49152, 3784), TT_BFD_RX_OK);
	assert_int_equal(tt_bfd_check_transport(255, 65535, 3784), TT_BFD_RX_OK);
	/* RFC 5881 §5: TTL 255 required. */
	assert_int_equal(tt_bfd_check_transport(254, 49152, 3784), TT_BFD_RX_TTL);
	assert_int_equal(tt_bfd_check_transport(0, 49152, 3784), TT_BFD_RX_TTL);
	/* RFC 5881 §4: destination 3784 (not multihop 4784, not echo 3785). */
	assert_int_equal(tt_bfd_check_transport(255, 49152, 4784), TT_BFD_RX_UDP_DST_PORT);
	assert_int_equal(tt_bfd_check_transport(255, 49152, 3785), TT_BFD_RX_UDP_DST_PORT);
	/* RFC 5881 §4: source 49152-65535. */
	assert_int_equal(tt_bfd_check_transport(255, 49151, 3784), TT_BFD_RX_UDP_SRC_PORT);
	assert_int_equal(tt_bfd_check_transport(255, 3784, 3784), TT_BFD_RX_UDP_SRC_PORT);
	/* Order: TTL, destination, source. */
	assert_int_equal(tt_bfd_check_transport(1, 1, 1), TT_BFD_RX_TTL);
	assert_int_equal(tt_bfd_check_transport(255, 1, 1), TT_BFD_RX_UDP_DST_PORT);
}

static void test_names(void **state)
{
	unsigned int i, j;

	(void)state;
	assert_string_equal(tt_bfd_state_name(TT_BFD_STATE_ADMIN_DOWN), "AdminDown");
	assert_string_equal(tt_bfd_state_name(TT_BFD_STATE_UP), "Up");
	assert_string_equal(tt_bfd_state_name(4), "unknown");
	assert_string_equal(tt_bfd_diag_name(TT_BFD_DIAG_CTRL_EXPIRED),
			    "Control Detection Time Expired");
	assert_string_equal(tt_bfd_diag_name(TT_BFD_DIAG_REV_CONCAT_PATH_DOWN),
			    "Reverse Concatenated Path Down");
	assert_string_equal(tt_bfd_diag_name(9), "unknown");
	assert_string_equal(tt_bfd_auth_type_name(TT_BFD_AUTH_METICULOUS_KEYED_SHA1),
			    "Meticulous Keyed SHA1");
	assert_string_equal(tt_bfd_auth_type_name(6), "unknown");
	assert_string_equal(tt_bfd_rx_reject_name(TT_BFD_RX_OK), "OK");
	assert_string_equal(tt_bfd_rx_reject_name(TT_BFD_RX_TTL), "TTL");
	assert_string_equal(tt_bfd_rx_reject_name(TT_BFD_RX_POLL_AND_FINAL), "POLL_AND_FINAL");
	assert_string_equal(tt_bfd_rx_reject_name(TT_BFD_RX_REJECT_MAX), "unknown");
	assert_string_equal(tt_bfd_rx_reject_rule(TT_BFD_RX_DETECT_MULT_ZERO),
			    "RFC 5880 §6.8.6: Detect Mult is zero");
	assert_string_equal(tt_bfd_rx_reject_rule(TT_BFD_RX_REJECT_MAX), "unknown");
	/* Every reason has its own name and rule. */
	for (i = 0; i < TT_BFD_RX_REJECT_MAX; i++) {
		assert_string_not_equal(tt_bfd_rx_reject_name(i), "unknown");
		assert_string_not_equal(tt_bfd_rx_reject_rule(i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(tt_bfd_rx_reject_name(i), tt_bfd_rx_reject_name(j));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mandatory_layout),
		cmocka_unit_test(test_every_flag_and_state),
		cmocka_unit_test(test_auth_simple_password),
		cmocka_unit_test(test_auth_keyed_md5),
		cmocka_unit_test(test_auth_meticulous_md5),
		cmocka_unit_test(test_auth_keyed_sha1),
		cmocka_unit_test(test_auth_meticulous_sha1),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_version),
		cmocka_unit_test(test_reject_length_below_min),
		cmocka_unit_test(test_reject_length_beyond_payload),
		cmocka_unit_test(test_reject_detect_mult_zero),
		cmocka_unit_test(test_reject_multipoint),
		cmocka_unit_test(test_reject_my_disc_zero),
		cmocka_unit_test(test_reject_poll_and_final),
		cmocka_unit_test(test_reject_auth_format),
		cmocka_unit_test(test_reject_order),
		cmocka_unit_test(test_accept_trailing_bytes),
		cmocka_unit_test(test_your_disc_zero_left_to_session),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
