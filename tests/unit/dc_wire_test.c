/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-channel wire format: exact byte layout, round trips for every type,
 * and one test per reject reason (each checks that `out` is untouched and
 * that exactly that reason was counted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dc_wire.h"

#define BUF_MAX 2048

static const struct tt_dcw_policy pol = {.n_channels = TT_DCW_MAX_CHANNELS, .mac = false};
static const struct tt_dcw_policy pol_mac = {.n_channels = TT_DCW_MAX_CHANNELS, .mac = true};

static uint8_t payload[1500];

/* The usage table of dc_wire.h, written out again so the code is checked against it. */
enum { F_SEQ = 1, F_ACK = 2, F_SACK = 4, F_WIN = 8, F_NONCE = 16, F_MSG = 32 };

static unsigned int uses(uint8_t type)
{
	switch (type) {
	case TT_DCW_T_CONNECT:
		return F_SEQ | F_WIN | F_NONCE;
	case TT_DCW_T_ACCEPT:
		return F_SEQ | F_ACK | F_WIN | F_NONCE;
	case TT_DCW_T_DATA:
		return F_SEQ | F_ACK | F_SACK | F_WIN | F_MSG;
	case TT_DCW_T_ACK:
		return F_ACK | F_SACK | F_WIN;
	case TT_DCW_T_PROBE:
	case TT_DCW_T_PROBE_ACK:
		return F_SEQ | F_ACK | F_SACK | F_WIN;
	default:
		return 0;
	}
}

/* A valid packet of the type, with every field it uses set to a distinct value. */
static struct tt_dcw_pkt valid_pkt(uint8_t type)
{
	struct tt_dcw_pkt p;
	unsigned int u = uses(type);

	memset(&p, 0, sizeof(p));
	p.version = TT_DCW_VERSION;
	p.type = type;
	p.worker_id = 0x01020304;
	p.chan_idx = 15;
	p.epoch = 0x0a0b0c0d;
	if (u & F_SEQ)
		p.seq = 0x11223344;
	if (u & F_ACK)
		p.ack = 0x55667788;
	if (u & F_SACK)
		p.sack = 0x8000000000000101ull;
	if (u & F_WIN)
		p.window = TT_DCW_WINDOW_MAX;
	if (u & F_NONCE)
		p.nonce = 0xdeadbeefcafef00dull;
	if (u & F_MSG) {
		p.msg_id = 0x99;
		p.msg_len = 3000;
		p.seg_off = 1416;
		p.payload_len = 1416;
		p.payload = payload;
	}
	return p;
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

static size_t build_ok(const struct tt_dcw_pkt *p, uint8_t *buf)
{
	size_t n = tt_dcw_build(p, buf, BUF_MAX);

	assert_int_equal(n, tt_dcw_wire_len(p));
	assert_true(n >= TT_DCW_HDR_LEN);
	return n;
}

static void assert_same_fields(const struct tt_dcw_pkt *a, const struct tt_dcw_pkt *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->mac_key_id, b->mac_key_id);
	assert_int_equal(a->worker_id, b->worker_id);
	assert_int_equal(a->chan_idx, b->chan_idx);
	assert_int_equal(a->window, b->window);
	assert_int_equal(a->epoch, b->epoch);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_true(a->sack == b->sack);
	assert_true(a->nonce == b->nonce);
	assert_int_equal(a->msg_id, b->msg_id);
	assert_int_equal(a->msg_len, b->msg_len);
	assert_int_equal(a->seg_off, b->seg_off);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_int_equal(a->reserved, b->reserved);
	if (a->payload_len > 0)
		assert_memory_equal(a->payload, b->payload, a->payload_len);
}

/* Every header byte at the offset the table in dc_wire.h gives, big endian. */
static void test_layout(void **state)
{
	static const uint8_t expect[TT_DCW_HDR_LEN] = {
		1,    3,    0,	  0,			  /* version, type DATA, flags, key id */
		0x01, 0x02, 0x03, 0x04,			  /* worker_id */
		0x00, 0x0f,				  /* chan_idx */
		0x00, 0x40,				  /* window */
		0x0a, 0x0b, 0x0c, 0x0d,			  /* epoch */
		0x11, 0x22, 0x33, 0x44,			  /* seq */
		0x55, 0x66, 0x77, 0x88,			  /* ack */
		0x80, 0,    0,	  0,	0, 0, 0x01, 0x01, /* sack */
		0,    0,    0,	  0,	0, 0, 0,    0,	  /* nonce */
		0,    0,    0,	  0x99,			  /* msg_id */
		0,    0,    0x0b, 0xb8,			  /* msg_len 3000 */
		0,    0,    0x05, 0x88,			  /* seg_off 1416 */
		0x05, 0x88,				  /* payload_len 1416 */
		0,    0,				  /* reserved */
	};
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_DATA);
	uint8_t buf[BUF_MAX];
	size_t n;

	(void)state;
	n = build_ok(&p, buf);
	assert_int_equal(n, TT_DCW_HDR_LEN + 1416);
	assert_memory_equal(buf, expect, TT_DCW_HDR_LEN);
	assert_memory_equal(buf + TT_DCW_HDR_LEN, payload, 1416);

	p = valid_pkt(TT_DCW_T_CONNECT);
	n = build_ok(&p, buf);
	assert_int_equal(n, TT_DCW_HDR_LEN);
	assert_int_equal(buf[1], 1);
	static const uint8_t nonce[8] = {0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d};
	assert_memory_equal(buf + 32, nonce, 8);
	assert_int_equal(TT_DCW_UDP_PORT, 4790);
}

/* build -> parse gives every field back, and parse -> build the same bytes. */
static void test_round_trip_every_type(void **state)
{
	unsigned int types = 0;

	(void)state;
	for (uint8_t t = 1; t < TT_DCW_T_MAX; t++) {
		struct tt_dcw_pkt p = valid_pkt(t), q;
		struct tt_dcw_counters cnt = {0};
		uint8_t buf[BUF_MAX], buf2[BUF_MAX];
		size_t n = build_ok(&p, buf);

		assert_int_equal(tt_dcw_parse(buf, n, &pol, &q, &cnt), TT_DCW_RX_OK);
		assert_same_fields(&p, &q);
		assert_ptr_equal(q.payload, buf + TT_DCW_HDR_LEN);
		assert_null(q.mac);
		assert_int_equal(cnt.by_reason[TT_DCW_RX_OK], 1);
		assert_int_equal(tt_dcw_build(&q, buf2, sizeof(buf2)), n);
		assert_memory_equal(buf, buf2, n);
		types++;
	}
	assert_int_equal(types, 8);
}

/* Field extremes survive the trip: all-ones values, empty DATA, 64 KiB msg_len. */
static void test_round_trip_extremes(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_DATA), q;
	uint8_t buf[BUF_MAX];
	size_t n;

	(void)state;
	p.worker_id = UINT32_MAX;
	p.chan_idx = 0;
	p.epoch = UINT32_MAX;
	p.seq = UINT32_MAX;
	p.ack = UINT32_MAX;
	p.sack = UINT64_MAX;
	p.window = 0;
	p.msg_id = UINT32_MAX;
	p.msg_len = TT_DCW_MSG_MAX;
	p.seg_off = TT_DCW_MSG_MAX - 1;
	p.payload_len = 1;
	n = build_ok(&p, buf);
	assert_int_equal(tt_dcw_parse(buf, n, &pol, &q, NULL), TT_DCW_RX_OK);
	assert_same_fields(&p, &q);

	p.msg_len = 0;
	p.seg_off = 0;
	p.payload_len = 0;
	p.payload = NULL;
	n = build_ok(&p, buf);
	assert_int_equal(n, TT_DCW_HDR_LEN);
	assert_int_equal(tt_dcw_parse(buf, n, &pol, &q, NULL), TT_DCW_RX_OK);
	assert_int_equal(q.msg_len, 0);
	assert_int_equal(q.payload_len, 0);
}

/* With a MAC configured, the flag, key id and 40-byte trailer round-trip. */
static void test_round_trip_mac(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_ACK), q;
	uint8_t buf[BUF_MAX];
	size_t n;

	(void)state;
	p.flags = TT_DCW_F_MAC;
	p.mac_key_id = 7;
	memset(buf, 0xff, sizeof(buf));
	n = build_ok(&p, buf);
	assert_int_equal(n, TT_DCW_HDR_LEN + TT_DCW_MAC_LEN);
	for (size_t i = TT_DCW_HDR_LEN; i < n; i++)
		assert_int_equal(buf[i], 0); /* reserved for the auth module */
	assert_int_equal(tt_dcw_parse(buf, n, &pol_mac, &q, NULL), TT_DCW_RX_OK);
	assert_int_equal(q.flags, TT_DCW_F_MAC);
	assert_int_equal(q.mac_key_id, 7);
	assert_ptr_equal(q.mac, buf + TT_DCW_HDR_LEN);

	p = valid_pkt(TT_DCW_T_DATA);
	p.flags = TT_DCW_F_MAC;
	n = build_ok(&p, buf);
	assert_int_equal(n, TT_DCW_HDR_LEN + 1416 + TT_DCW_MAC_LEN);
	assert_int_equal(tt_dcw_parse(buf, n, &pol_mac, &q, NULL), TT_DCW_RX_OK);
	assert_ptr_equal(q.mac, buf + TT_DCW_HDR_LEN + 1416);
}

/*
 * Parse buf and expect reason: out untouched (byte pattern kept) and only
 * that reason counted.
 */
static void expect_reject(const uint8_t *buf, size_t len, const struct tt_dcw_policy *policy,
			  enum tt_dcw_rx_reject reason)
{
	struct tt_dcw_pkt out, pattern;
	struct tt_dcw_counters cnt = {0};

	memset(&pattern, 0xa5, sizeof(pattern));
	out = pattern;
	assert_int_equal(tt_dcw_parse(buf, len, policy, &out, &cnt), reason);
	assert_memory_equal(&out, &pattern, sizeof(out));
	for (unsigned int r = 0; r < TT_DCW_RX_REJECT_MAX; r++)
		assert_int_equal(cnt.by_reason[r], r == reason ? 1 : 0);
}

static void expect_pkt_reject(const struct tt_dcw_pkt *p, const struct tt_dcw_policy *policy,
			      enum tt_dcw_rx_reject reason)
{
	uint8_t buf[BUF_MAX];
	size_t n = build_ok(p, buf);

	expect_reject(buf, n, policy, reason);
}

static void test_reject_truncated(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_ACK);
	uint8_t buf[BUF_MAX];

	(void)state;
	build_ok(&p, buf);
	expect_reject(buf, 0, &pol, TT_DCW_RX_TRUNCATED);
	expect_reject(buf, TT_DCW_HDR_LEN - 1, &pol, TT_DCW_RX_TRUNCATED);
}

static void test_reject_version(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_ACK);

	(void)state;
	p.version = 0;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_VERSION);
	p.version = 2;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_VERSION);
}

static void test_reject_type(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_CLOSE);

	(void)state;
	p.type = 0;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_TYPE);
	p.type = 9;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_TYPE);
	p.type = 255;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_TYPE);
}

static void test_reject_reserved(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_ACK);

	(void)state;
	for (unsigned int bit = 1; bit < 8; bit++) {
		p = valid_pkt(TT_DCW_T_ACK);
		p.flags = (uint8_t)(1u << bit);
		expect_pkt_reject(&p, &pol, TT_DCW_RX_RESERVED);
	}
	p = valid_pkt(TT_DCW_T_ACK);
	p.reserved = 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_RESERVED);
	p = valid_pkt(TT_DCW_T_ACK);
	p.mac_key_id = 3; /* key id without the MAC flag */
	expect_pkt_reject(&p, &pol, TT_DCW_RX_RESERVED);
}

static void test_reject_mac_unexpected(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_PROBE);

	(void)state;
	p.flags = TT_DCW_F_MAC;
	p.mac_key_id = 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_MAC_UNEXPECTED);
}

static void test_reject_mac_missing(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_PROBE);

	(void)state;
	expect_pkt_reject(&p, &pol_mac, TT_DCW_RX_MAC_MISSING);
}

static void test_reject_length(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_DATA);
	uint8_t buf[BUF_MAX];
	size_t n;

	(void)state;
	n = build_ok(&p, buf);
	expect_reject(buf, n - 1, &pol, TT_DCW_RX_LENGTH); /* payload cut short */
	expect_reject(buf, n + 1, &pol, TT_DCW_RX_LENGTH); /* trailing byte */
	expect_reject(buf, TT_DCW_HDR_LEN, &pol, TT_DCW_RX_LENGTH);
	p = valid_pkt(TT_DCW_T_ACK);
	p.flags = TT_DCW_F_MAC;
	n = build_ok(&p, buf);
	expect_reject(buf, n - 1, &pol_mac, TT_DCW_RX_LENGTH); /* trailer cut short */
}

static void test_reject_channel(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_ACK);
	struct tt_dcw_policy k2 = {.n_channels = 2, .mac = false};
	struct tt_dcw_pkt q;
	uint8_t buf[BUF_MAX];
	size_t n;

	(void)state;
	p.chan_idx = TT_DCW_MAX_CHANNELS;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_CHANNEL);
	p.chan_idx = 2;
	expect_pkt_reject(&p, &k2, TT_DCW_RX_CHANNEL);
	p.chan_idx = 1;
	n = build_ok(&p, buf);
	assert_int_equal(tt_dcw_parse(buf, n, &k2, &q, NULL), TT_DCW_RX_OK);
}

static void test_reject_epoch_zero(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_CONNECT);

	(void)state;
	p.epoch = 0;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_EPOCH_ZERO);
}

static void test_reject_window(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_ACK);

	(void)state;
	p.window = TT_DCW_WINDOW_MAX + 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_WINDOW);
	p.window = UINT16_MAX;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_WINDOW);
}

/* Every unused field of every type, set alone, is refused. */
static void test_reject_field_not_zero(void **state)
{
	unsigned int cases = 0;

	(void)state;
	for (uint8_t t = 1; t < TT_DCW_T_MAX; t++) {
		unsigned int u = uses(t);

		for (unsigned int f = F_SEQ; f <= F_MSG; f <<= 1) {
			if (u & f)
				continue;
			struct tt_dcw_pkt p = valid_pkt(t);

			switch (f) {
			case F_SEQ:
				p.seq = 1;
				break;
			case F_ACK:
				p.ack = 1;
				break;
			case F_SACK:
				p.sack = 1ull << 63;
				break;
			case F_WIN:
				p.window = 1;
				break;
			case F_NONCE:
				p.nonce = 1;
				break;
			default:
				/* each message field alone */
				p.msg_id = 1;
				expect_pkt_reject(&p, &pol, TT_DCW_RX_FIELD_NOT_ZERO);
				p.msg_id = 0;
				p.msg_len = 1;
				expect_pkt_reject(&p, &pol, TT_DCW_RX_FIELD_NOT_ZERO);
				p.msg_len = 0;
				p.seg_off = 1;
				expect_pkt_reject(&p, &pol, TT_DCW_RX_FIELD_NOT_ZERO);
				p.seg_off = 0;
				p.payload_len = 4;
				p.payload = payload;
				cases += 3;
				break;
			}
			expect_pkt_reject(&p, &pol, TT_DCW_RX_FIELD_NOT_ZERO);
			cases++;
		}
	}
	/* CONNECT 2+4, ACCEPT 1+4, DATA 1, ACK 2+4, PROBE 1+4, PROBE_ACK 1+4, CLOSE 5+4, RESET 5+4
	 */
	assert_int_equal(cases, 46);
}

static void test_reject_nonce_zero(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_CONNECT);

	(void)state;
	p.nonce = 0;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_NONCE_ZERO);
	p = valid_pkt(TT_DCW_T_ACCEPT);
	p.nonce = 0;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_NONCE_ZERO);
}

static void test_reject_msg_too_big(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_DATA);

	(void)state;
	p.msg_len = TT_DCW_MSG_MAX + 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_MSG_TOO_BIG);
	p.msg_len = UINT32_MAX;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_MSG_TOO_BIG);
}

static void test_reject_segment(void **state)
{
	struct tt_dcw_pkt p;

	(void)state;
	/* segment runs past the message */
	p = valid_pkt(TT_DCW_T_DATA);
	p.seg_off = 3000 - 1415;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_SEGMENT);
	/* offset at the end of the message */
	p = valid_pkt(TT_DCW_T_DATA);
	p.seg_off = 3000;
	p.payload_len = 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_SEGMENT);
	/* offset so large the sum wraps 32 bits */
	p = valid_pkt(TT_DCW_T_DATA);
	p.seg_off = UINT32_MAX;
	p.payload_len = 2;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_SEGMENT);
	/* empty segment of a non-empty message */
	p = valid_pkt(TT_DCW_T_DATA);
	p.payload_len = 0;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_SEGMENT);
	/* empty message at a non-zero offset */
	p = valid_pkt(TT_DCW_T_DATA);
	p.msg_len = 0;
	p.payload_len = 0;
	p.seg_off = 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_SEGMENT);
	/* empty message with payload */
	p = valid_pkt(TT_DCW_T_DATA);
	p.msg_len = 0;
	p.seg_off = 0;
	p.payload_len = 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_SEGMENT);
}

/* The first failing rule in X-macro order wins. */
static void test_reject_order(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_DATA);

	(void)state;
	p.version = 9;
	p.type = 0;
	p.epoch = 0;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_VERSION);
	p.version = 1;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_TYPE);
	p.type = TT_DCW_T_DATA;
	p.window = 65;
	expect_pkt_reject(&p, &pol, TT_DCW_RX_EPOCH_ZERO);
}

static void test_build_limits(void **state)
{
	struct tt_dcw_pkt p = valid_pkt(TT_DCW_T_DATA);
	uint8_t buf[BUF_MAX];

	(void)state;
	assert_int_equal(tt_dcw_build(&p, buf, TT_DCW_HDR_LEN + 1415), 0);
	assert_int_equal(tt_dcw_build(&p, buf, TT_DCW_HDR_LEN + 1416), TT_DCW_HDR_LEN + 1416);
	p.payload = NULL;
	assert_int_equal(tt_dcw_build(&p, buf, sizeof(buf)), 0);
	p = valid_pkt(TT_DCW_T_RESET);
	assert_int_equal(tt_dcw_build(&p, buf, TT_DCW_HDR_LEN - 1), 0);
	assert_int_equal(tt_dcw_build(&p, buf, TT_DCW_HDR_LEN), TT_DCW_HDR_LEN);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_dcw_type_name(TT_DCW_T_CONNECT), "CONNECT");
	assert_string_equal(tt_dcw_type_name(TT_DCW_T_PROBE_ACK), "PROBE_ACK");
	assert_string_equal(tt_dcw_type_name(TT_DCW_T_RESET), "RESET");
	assert_string_equal(tt_dcw_type_name(0), "?");
	assert_string_equal(tt_dcw_type_name(9), "?");
	assert_string_equal(tt_dcw_rx_reject_name(TT_DCW_RX_OK), "OK");
	assert_string_equal(tt_dcw_rx_reject_name(TT_DCW_RX_SEGMENT), "SEGMENT");
	assert_string_equal(tt_dcw_rx_reject_name(TT_DCW_RX_REJECT_MAX), "?");
	assert_string_equal(tt_dcw_rx_reject_rule(TT_DCW_RX_VERSION), "version is not 1");
	for (unsigned int r = 0; r < TT_DCW_RX_REJECT_MAX; r++)
		assert_string_not_equal(tt_dcw_rx_reject_rule(r), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_round_trip_extremes),
		cmocka_unit_test(test_round_trip_mac),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_version),
		cmocka_unit_test(test_reject_type),
		cmocka_unit_test(test_reject_reserved),
		cmocka_unit_test(test_reject_mac_unexpected),
		cmocka_unit_test(test_reject_mac_missing),
		cmocka_unit_test(test_reject_length),
		cmocka_unit_test(test_reject_channel),
		cmocka_unit_test(test_reject_epoch_zero),
		cmocka_unit_test(test_reject_window),
		cmocka_unit_test(test_reject_field_not_zero),
		cmocka_unit_test(test_reject_nonce_zero),
		cmocka_unit_test(test_reject_msg_too_big),
		cmocka_unit_test(test_reject_segment),
		cmocka_unit_test(test_reject_order),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
