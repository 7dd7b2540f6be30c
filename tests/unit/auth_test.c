/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Authentication (engine/auth.c) with the OpenSSL backend
 * (drivers/crypto_openssl.c): known answers for the primitives and for the
 * RFC 5880 §6.7.3/§6.7.4 procedures (vectors computed independently with
 * Python's hashlib/hmac), every reject reason, the sequence windows and the
 * bfd.AuthSeqKnown reset, the data-channel MAC and its replay window, and
 * the guarantee that a spoofed heartbeat never keeps a worker alive, shown
 * on real tt_hb_session pairs on virtual time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "bfd_wire.h"
#include "crypto_openssl.h"
#include "dc_wire.h"
#include "hb_fsm.h"

#define MS	 TT_NS_PER_MS
#define T0	 (10 * TT_NS_PER_S)
#define FAST_US	 10000u /* 10 ms */
#define SHA1_PKT 52
#define MD5_PKT	 48
#define SEQ_OFF	 28 /* sequence number in a packet with an auth section */
#define DIG_OFF	 32 /* digest */

static struct tt_crypto_openssl *crypto;
static const struct tt_auth_crypto_ops *ops;

static int group_setup(void **state)
{
	(void)state;
	crypto = tt_crypto_openssl_create();
	if (crypto == NULL)
		return -1;
	ops = tt_crypto_openssl_ops(crypto);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tt_crypto_openssl_destroy(crypto);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static void add_bfd_key(struct tt_auth_keyring *kr, uint8_t id, uint8_t type, const char *secret)
{
	struct tt_auth_bfd_key *k = &kr->bfd[kr->n_bfd++];

	k->id = id;
	k->type = type;
	k->len = (uint8_t)strlen(secret);
	memcpy(k->secret, secret, k->len);
}

static void add_dc_key(struct tt_auth_keyring *kr, uint8_t id, uint8_t first_byte, uint8_t len)
{
	struct tt_auth_dc_key *k = &kr->dc[kr->n_dc++];

	k->id = id;
	k->len = len;
	for (uint8_t i = 0; i < len; i++)
		k->secret[i] = (uint8_t)(first_byte + i);
}

static struct tt_auth_bfd_config bfd_cfg(const struct tt_auth_keyring *kr, uint8_t key_id,
					 uint64_t seed)
{
	return (struct tt_auth_bfd_config){
		.keys = kr,
		.ops = ops,
		.tx_key_id = key_id,
		.local_min_rx_us = FAST_US,
		.seed = seed,
	};
}

static void init_bfd(struct tt_auth_bfd *st, const struct tt_auth_keyring *kr, uint8_t key_id,
		     uint64_t seed)
{
	struct tt_auth_bfd_config c = bfd_cfg(kr, key_id, seed);

	assert_int_equal(tt_auth_bfd_init(st, &c), 0);
}

/* The packet of the known-answer vectors: Up, A, Detect Mult 3, 10 ms. */
static struct tt_bfd_ctrl ctrl(uint8_t mult)
{
	struct tt_bfd_ctrl p;

	memset(&p, 0, sizeof(p));
	p.version = TT_BFD_VERSION;
	p.state = TT_BFD_STATE_UP;
	p.detect_mult = mult;
	p.my_disc = 0x11111111u;
	p.your_disc = 0x22222222u;
	p.desired_min_tx_us = FAST_US;
	p.required_min_rx_us = FAST_US;
	return p;
}

/* prepare + build + sign, as the node layer does. Returns the length. */
static size_t sign_ctrl(struct tt_auth_bfd *st, struct tt_bfd_ctrl p, uint8_t *buf)
{
	size_t len;

	tt_auth_bfd_prepare(st, &p);
	len = tt_bfd_build(&p, buf, TT_BFD_MAX_LEN);
	assert_true(len > 0);
	assert_int_equal(tt_auth_bfd_sign(st, buf, len), 0);
	return len;
}

static size_t sign_pkt(struct tt_auth_bfd *st, uint8_t *buf)
{
	return sign_ctrl(st, ctrl(3), buf);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The RFC 5880 §6.7.4 procedure written out again here, independent of
 * auth.c: key (padded) in the hash field, SHA1 of the whole packet, hash in
 * the field. Used to craft packets with any sequence number, key or type.
 */
static void reseal_sha1(uint8_t *buf, const char *secret)
{
	struct tt_auth_iov iov = {.base = buf, .len = SHA1_PKT};
	uint8_t digest[TT_AUTH_SHA1_LEN];

	memset(buf + DIG_OFF, 0, TT_AUTH_SHA1_LEN);
	memcpy(buf + DIG_OFF, secret, strlen(secret));
	assert_int_equal(ops->sha1(ops->ctx, &iov, 1, digest), 0);
	memcpy(buf + DIG_OFF, digest, sizeof(digest));
}

/* A Meticulous Keyed SHA1 packet with Detect Mult `mult`, sequence `seq`, sealed with `secret`. */
static void craft(uint8_t *buf, uint8_t key_id, uint32_t seq, uint8_t mult, const char *secret)
{
	struct tt_bfd_ctrl p = ctrl(mult);

	p.auth_present = true;
	p.auth.type = TT_BFD_AUTH_METICULOUS_KEYED_SHA1;
	p.auth.key_id = key_id;
	p.auth.seq = seq;
	assert_int_equal(tt_bfd_build(&p, buf, TT_BFD_MAX_LEN), SHA1_PKT);
	reseal_sha1(buf, secret);
}

static enum tt_auth_bfd_reject verify(struct tt_auth_bfd *st, const uint8_t *buf, size_t len,
				      tt_ns_t now)
{
	enum tt_auth_bfd_reject why = TT_AUTH_BFD_REJECT_MAX;
	enum tt_bfd_rx_reject v = tt_auth_bfd_verify(st, buf, len, now, &why);

	if (why == TT_AUTH_BFD_OK)
		assert_int_equal(v, TT_BFD_RX_OK);
	else if (why == TT_AUTH_BFD_NO_AUTH)
		assert_int_equal(v, TT_BFD_RX_AUTH_MISSING);
	else
		assert_int_equal(v, TT_BFD_RX_AUTH_FAILED);
	return why;
}

/* ------------------------------------------------------------------------ */
/* Known answers                                                             */

static void test_kat_primitives(void **state)
{
	static const uint8_t sha1_abc[] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
					   0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
					   0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
	static const uint8_t md5_abc[] = {0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
					  0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72};
	/* RFC 4231 test case 2 */
	static const uint8_t hmac_tc2[] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
					   0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
					   0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
					   0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
	const char *msg = "what do ya want for nothing?";
	struct tt_auth_iov one = {.base = (const uint8_t *)"abc", .len = 3};
	struct tt_auth_iov three[3] = {
		{.base = (const uint8_t *)"a", .len = 1},
		{.base = (const uint8_t *)"", .len = 0},
		{.base = (const uint8_t *)"bc", .len = 2},
	};
	struct tt_auth_iov hm[2] = {
		{.base = (const uint8_t *)msg, .len = 10},
		{.base = (const uint8_t *)msg + 10, .len = strlen(msg) - 10},
	};
	uint8_t out[32];

	(void)state;
	/* FIPS 180 "abc", in one piece and in three (one of them empty). */
	assert_int_equal(ops->sha1(ops->ctx, &one, 1, out), 0);
	assert_memory_equal(out, sha1_abc, sizeof(sha1_abc));
	memset(out, 0, sizeof(out));
	assert_int_equal(ops->sha1(ops->ctx, three, 3, out), 0);
	assert_memory_equal(out, sha1_abc, sizeof(sha1_abc));
	/* RFC 1321 "abc" */
	assert_non_null(ops->md5);
	assert_int_equal(ops->md5(ops->ctx, &one, 1, out), 0);
	assert_memory_equal(out, md5_abc, sizeof(md5_abc));
	assert_int_equal(ops->hmac_sha256(ops->ctx, (const uint8_t *)"Jefe", 4, hm, 2, out), 0);
	assert_memory_equal(out, hmac_tc2, sizeof(hmac_tc2));
	/* The backend refuses an empty key rather than reuse the last one. */
	assert_int_equal(ops->hmac_sha256(ops->ctx, NULL, 0, hm, 2, out), -EINVAL);
}

/* The whole signed packet, byte for byte, against an independent computation. */
static void test_kat_meticulous_sha1_packet(void **state)
{
	static const uint8_t want[SHA1_PKT] = {
		0x20, 0xc4, 0x03, 0x34, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x00,
		0x00, 0x27, 0x10, 0x00, 0x00, 0x27, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0x1c,
		0x07, 0x00, 0x91, 0x0a, 0x2d, 0xec, 0x9a, 0xc0, 0xfc, 0x3d, 0x6b, 0xd9, 0x0f,
		0x71, 0x76, 0x83, 0xb6, 0xe3, 0xd6, 0x98, 0xba, 0xa4, 0x5a, 0xd5, 0x79, 0x8f};
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd st;
	uint8_t buf[TT_BFD_MAX_LEN];

	(void)state;
	add_bfd_key(&kr, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "tether-key");
	init_bfd(&st, &kr, 7, 1);
	/* §6.8.1 random start: splitmix64(1) >> 32. */
	assert_int_equal(tt_auth_bfd_xmit_seq(&st), 0x910a2decu);
	assert_int_equal(sign_pkt(&st, buf), SHA1_PKT);
	assert_memory_equal(buf, want, SHA1_PKT);
	assert_int_equal(tt_auth_bfd_xmit_seq(&st), 0x910a2dedu);
	assert_int_equal(tt_auth_bfd_counters(&st)->signed_packets, 1);
}

static void test_kat_keyed_md5_packet(void **state)
{
	static const uint8_t want[MD5_PKT] = {
		0x20, 0xc4, 0x03, 0x30, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,
		0x00, 0x00, 0x27, 0x10, 0x00, 0x00, 0x27, 0x10, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x18, 0x03, 0x00, 0x91, 0x0a, 0x2d, 0xec, 0x75, 0xc5, 0xcd, 0x72,
		0xc7, 0x09, 0x85, 0x7f, 0x0d, 0x75, 0xed, 0xba, 0x63, 0x16, 0x82, 0x37};
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd st;
	uint8_t buf[TT_BFD_MAX_LEN];

	(void)state;
	add_bfd_key(&kr, 3, TT_BFD_AUTH_KEYED_MD5, "md5-key");
	init_bfd(&st, &kr, 3, 1);
	assert_int_equal(sign_pkt(&st, buf), MD5_PKT);
	assert_memory_equal(buf, want, MD5_PKT);
}

/* ------------------------------------------------------------------------ */
/* Heartbeat procedures                                                      */

/* Sign and verify in sequence, for each of the four keyed types. */
static void test_bfd_roundtrip_each_type(void **state)
{
	static const uint8_t types[] = {TT_BFD_AUTH_KEYED_SHA1, TT_BFD_AUTH_METICULOUS_KEYED_SHA1,
					TT_BFD_AUTH_KEYED_MD5, TT_BFD_AUTH_METICULOUS_KEYED_MD5};

	(void)state;
	for (size_t t = 0; t < sizeof(types); t++) {
		struct tt_auth_keyring kr = {0};
		struct tt_auth_bfd tx, rx;
		struct tt_bfd_ctrl parsed;
		uint8_t buf[TT_BFD_MAX_LEN];
		uint32_t first;

		add_bfd_key(&kr, 1, types[t], "0123456789abcdef");
		init_bfd(&tx, &kr, 1, 100 + t);
		init_bfd(&rx, &kr, 1, 200 + t);
		first = tt_auth_bfd_xmit_seq(&tx);
		for (uint32_t i = 0; i < 5; i++) {
			size_t len = sign_pkt(&tx, buf);

			assert_int_equal(tt_bfd_parse(buf, len, &parsed), TT_BFD_RX_OK);
			assert_int_equal(parsed.auth.type, types[t]);
			assert_int_equal(parsed.auth.key_id, 1);
			assert_int_equal(parsed.auth.seq, first + i);
			assert_int_equal(verify(&rx, buf, len, T0 + i * MS), TT_AUTH_BFD_OK);
			assert_int_equal(tt_auth_bfd_rcv_seq(&rx), first + i);
		}
		assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_OK], 5);
		assert_int_equal(tt_auth_bfd_counters(&tx)->signed_packets, 5);
	}
}

static void test_bfd_random_start(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd a, b, c;

	(void)state;
	add_bfd_key(&kr, 1, TT_BFD_AUTH_KEYED_SHA1, "k");
	init_bfd(&a, &kr, 1, 1);
	init_bfd(&b, &kr, 1, 2);
	init_bfd(&c, &kr, 1, 1);
	assert_int_equal(tt_auth_bfd_xmit_seq(&a), 0x910a2decu);
	assert_int_equal(tt_auth_bfd_xmit_seq(&b), 0x975835deu);
	assert_int_equal(tt_auth_bfd_xmit_seq(&c), tt_auth_bfd_xmit_seq(&a));
}

/* A forged digest, a tampered field, a wrong secret under the right id. */
static void test_bfd_reject_bad_digest(void **state)
{
	struct tt_auth_keyring kr = {0}, other = {0};
	struct tt_auth_bfd tx, evil, rx;
	uint8_t good[TT_BFD_MAX_LEN], buf[TT_BFD_MAX_LEN];
	uint32_t seq;

	(void)state;
	add_bfd_key(&kr, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "tether-key");
	add_bfd_key(&other, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "guessed-key");
	init_bfd(&tx, &kr, 7, 5);
	init_bfd(&evil, &other, 7, 5);
	init_bfd(&rx, &kr, 7, 6);
	sign_pkt(&tx, good);
	assert_int_equal(verify(&rx, good, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	seq = tt_auth_bfd_rcv_seq(&rx);

	/* The next genuine packet, with one digest bit flipped. */
	sign_pkt(&tx, buf);
	memcpy(good, buf, SHA1_PKT);
	buf[DIG_OFF + 19] ^= 0x01;
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0 + MS), TT_AUTH_BFD_BAD_DIGEST);
	/* Erratum 7083: a failed packet leaves bfd.RcvAuthSeq alone... */
	assert_int_equal(tt_auth_bfd_rcv_seq(&rx), seq);
	/* ...a field changed under a valid digest (Detect Mult 3 -> 255)... */
	memcpy(buf, good, SHA1_PKT);
	buf[2] = 255;
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0 + MS), TT_AUTH_BFD_BAD_DIGEST);
	/* ...the same packet sealed with another secret under key id 7... */
	assert_int_equal(sign_pkt(&evil, buf), SHA1_PKT);
	put_be32(buf + SEQ_OFF, seq + 1);
	reseal_sha1(buf, "guessed-key");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0 + MS), TT_AUTH_BFD_BAD_DIGEST);
	assert_int_equal(tt_auth_bfd_rcv_seq(&rx), seq);
	/* ...and the genuine packet still passes afterwards. */
	assert_int_equal(verify(&rx, good, SHA1_PKT, T0 + MS), TT_AUTH_BFD_OK);
	assert_int_equal(tt_auth_bfd_rcv_seq(&rx), seq + 1);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_BAD_DIGEST], 3);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_OK], 2);
}

static void test_bfd_reject_key_and_type(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd rx, keyed, md5;
	struct tt_bfd_ctrl pw;
	uint8_t buf[TT_BFD_MAX_LEN];
	size_t len;

	(void)state;
	add_bfd_key(&kr, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "tether-key");
	add_bfd_key(&kr, 9, TT_BFD_AUTH_KEYED_SHA1, "keyed-key");
	add_bfd_key(&kr, 4, TT_BFD_AUTH_KEYED_MD5, "md5-key");
	init_bfd(&rx, &kr, 7, 1);
	init_bfd(&keyed, &kr, 9, 2);
	init_bfd(&md5, &kr, 4, 3);

	/* §6.7.4: Key ID with no configured key. */
	craft(buf, 8, 1000, 3, "tether-key");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_UNKNOWN_KEY);
	/* A configured key, but of another type than the session's. */
	craft(buf, 9, 1000, 3, "keyed-key");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_UNKNOWN_KEY);
	/* §6.7.4: Auth Type not the session's: Keyed SHA1 to a Meticulous
	 * session, Keyed MD5, Simple Password. */
	sign_pkt(&keyed, buf);
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_WRONG_TYPE);
	len = sign_pkt(&md5, buf);
	assert_int_equal(verify(&rx, buf, len, T0), TT_AUTH_BFD_WRONG_TYPE);
	pw = ctrl(3);
	pw.auth_present = true;
	pw.auth.type = TT_BFD_AUTH_SIMPLE_PASSWORD;
	pw.auth.password_len = 10;
	memcpy(pw.auth.data, "tether-key", 10);
	len = tt_bfd_build(&pw, buf, sizeof(buf));
	assert_int_equal(verify(&rx, buf, len, T0), TT_AUTH_BFD_WRONG_TYPE);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_UNKNOWN_KEY], 2);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_WRONG_TYPE], 3);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_OK], 0);
}

/* No section, truncated sections, Length and Auth Len that disagree. */
static void test_bfd_reject_format(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd tx, rx;
	struct tt_bfd_ctrl p = ctrl(3), parsed;
	uint8_t good[TT_BFD_MAX_LEN], buf[TT_BFD_MAX_LEN], padded[64];
	size_t len;

	(void)state;
	add_bfd_key(&kr, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "tether-key");
	init_bfd(&tx, &kr, 7, 1);
	init_bfd(&rx, &kr, 7, 2);
	sign_pkt(&tx, good);

	/* A bit clear: the session's AUTH_MISSING. */
	len = tt_bfd_build(&p, buf, sizeof(buf));
	assert_int_equal(len, TT_BFD_HDR_LEN);
	assert_int_equal(verify(&rx, buf, len, T0), TT_AUTH_BFD_NO_AUTH);
	/* The datagram cut inside the digest: the parser refuses it (Length
	 * beyond the payload) and so does verify on its own. */
	assert_int_equal(tt_bfd_parse(good, 40, &parsed), TT_BFD_RX_LENGTH_FIELD);
	assert_int_equal(verify(&rx, good, 40, T0), TT_AUTH_BFD_FORMAT);
	/* Cut inside the mandatory section. */
	assert_int_equal(verify(&rx, good, 20, T0), TT_AUTH_BFD_FORMAT);
	/* Length says 26: not even a key id. */
	memcpy(buf, good, SHA1_PKT);
	buf[3] = 26;
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_FORMAT);
	/* Length and Auth Len shortened to a 20-byte section: the parser calls
	 * it malformed, verify too. */
	memcpy(buf, good, SHA1_PKT);
	buf[3] = 44;
	buf[25] = 20;
	assert_int_equal(tt_bfd_parse(buf, 44, &parsed), TT_BFD_RX_AUTH_FORMAT);
	assert_int_equal(verify(&rx, buf, 44, T0), TT_AUTH_BFD_FORMAT);
	/* Auth Len alone wrong. */
	memcpy(buf, good, SHA1_PKT);
	buf[25] = 27;
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_FORMAT);
	/* Bytes after Length are ignored: the genuine packet with padding. */
	memset(padded, 0xee, sizeof(padded));
	memcpy(padded, good, SHA1_PKT);
	assert_int_equal(verify(&rx, padded, sizeof(padded), T0), TT_AUTH_BFD_OK);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_FORMAT], 5);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_NO_AUTH], 1);
}

/* §6.7.4 Meticulous: RcvAuthSeq+1 .. RcvAuthSeq + 3 x Detect Mult. */
static void test_bfd_meticulous_window(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd rx;
	uint8_t buf[TT_BFD_MAX_LEN];
	const uint32_t base = 5000;

	(void)state;
	add_bfd_key(&kr, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "k7");
	init_bfd(&rx, &kr, 7, 1);
	/* bfd.AuthSeqKnown 0: any sequence number is taken. */
	craft(buf, 7, base, 3, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_true(tt_auth_bfd_seq_known(&rx, T0));
	/* The same again: replay. */
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_SEQ_REPLAY);
	/* One behind, far behind. */
	craft(buf, 7, base - 1, 3, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_SEQ_REPLAY);
	craft(buf, 7, base - 1000000, 3, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_SEQ_REPLAY);
	/* 3 x 3 + 1 ahead: out; exactly 9 ahead: in (the window uses the
	 * packet's Detect Mult). */
	craft(buf, 7, base + 10, 3, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_SEQ_AHEAD);
	craft(buf, 7, base + 9, 3, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_int_equal(tt_auth_bfd_rcv_seq(&rx), base + 9);
	/* With Detect Mult 5 the window is 15. */
	craft(buf, 7, base + 9 + 15, 5, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	craft(buf, 7, base + 9 + 15 + 16, 5, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_SEQ_AHEAD);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_SEQ_REPLAY], 3);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_SEQ_AHEAD], 2);
	assert_int_equal(tt_auth_bfd_counters(&rx)->by_reason[TT_AUTH_BFD_OK], 3);
}

/* The window across 2^32: circular arithmetic. */
static void test_bfd_window_wraps(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd rx;
	uint8_t buf[TT_BFD_MAX_LEN];

	(void)state;
	add_bfd_key(&kr, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "k7");
	init_bfd(&rx, &kr, 7, 1);
	craft(buf, 7, 0xfffffffeu, 3, "k7");
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	craft(buf, 7, 1, 3, "k7"); /* 3 ahead, across zero */
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	craft(buf, 7, 0xffffffffu, 3, "k7"); /* now 2 behind */
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_SEQ_REPLAY);
	craft(buf, 7, 10, 3, "k7"); /* 9 ahead */
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_int_equal(tt_auth_bfd_rcv_seq(&rx), 10);
}

/*
 * Keyed SHA1: the RFC lets the sequence number repeat. tether refuses that
 * by default (a repeated packet is a replay of the last one); the option
 * restores the RFC's range for peers that do not increment. Meticulous
 * never accepts a repeat.
 */
static void test_bfd_keyed_same_seq(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd strict, lax, tx, met;
	struct tt_auth_bfd_config c;
	uint8_t buf[TT_BFD_MAX_LEN], mbuf[TT_BFD_MAX_LEN];

	(void)state;
	add_bfd_key(&kr, 1, TT_BFD_AUTH_KEYED_SHA1, "keyed");
	add_bfd_key(&kr, 2, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "meticulous");
	init_bfd(&tx, &kr, 1, 9);
	init_bfd(&strict, &kr, 1, 10);
	c = bfd_cfg(&kr, 1, 11);
	c.keyed_accept_same_seq = true;
	assert_int_equal(tt_auth_bfd_init(&lax, &c), 0);
	sign_pkt(&tx, buf);

	assert_int_equal(verify(&strict, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_int_equal(verify(&strict, buf, SHA1_PKT, T0 + MS), TT_AUTH_BFD_SEQ_REPLAY);
	assert_int_equal(verify(&lax, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_int_equal(verify(&lax, buf, SHA1_PKT, T0 + MS), TT_AUTH_BFD_OK);
	/* Still nothing behind it. */
	put_be32(buf + SEQ_OFF, get_be32(buf + SEQ_OFF) - 1);
	reseal_sha1(buf, "keyed");
	assert_int_equal(verify(&lax, buf, SHA1_PKT, T0 + MS), TT_AUTH_BFD_SEQ_REPLAY);

	c = bfd_cfg(&kr, 2, 12);
	c.keyed_accept_same_seq = true;
	assert_int_equal(tt_auth_bfd_init(&met, &c), 0);
	craft(mbuf, 2, 77, 3, "meticulous");
	assert_int_equal(verify(&met, mbuf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_int_equal(verify(&met, mbuf, SHA1_PKT, T0), TT_AUTH_BFD_SEQ_REPLAY);
}

/*
 * §6.8.1: bfd.AuthSeqKnown is cleared after 2 x Detection Time without a
 * valid packet. Detection Time here = 3 x max(10 ms local, 10 ms remote) =
 * 30 ms, so the reset is at exactly +60 ms; with a 50 ms local RequiredMinRx
 * it is 3 x 50 ms -> +300 ms.
 */
static void test_bfd_seq_known_reset(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_bfd rx, slow;
	struct tt_auth_bfd_config c;
	uint8_t old[TT_BFD_MAX_LEN], buf[TT_BFD_MAX_LEN];

	(void)state;
	add_bfd_key(&kr, 7, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "k7");
	init_bfd(&rx, &kr, 7, 1);
	assert_false(tt_auth_bfd_seq_known(&rx, T0));
	craft(old, 7, 100, 3, "k7");
	craft(buf, 7, 101, 3, "k7");
	assert_int_equal(verify(&rx, old, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_int_equal(verify(&rx, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	/* One ns before: still known, the old packet is a replay. */
	assert_true(tt_auth_bfd_seq_known(&rx, T0 + 60 * MS - 1));
	assert_int_equal(verify(&rx, old, SHA1_PKT, T0 + 60 * MS - 1), TT_AUTH_BFD_SEQ_REPLAY);
	assert_int_equal(tt_auth_bfd_counters(&rx)->seq_resets, 0);
	/* The rejected replay did not count as received: at +60 ms it is
	 * forgotten, and per the RFC any sequence number is taken again. */
	assert_false(tt_auth_bfd_seq_known(&rx, T0 + 60 * MS));
	assert_int_equal(verify(&rx, old, SHA1_PKT, T0 + 60 * MS), TT_AUTH_BFD_OK);
	assert_int_equal(tt_auth_bfd_counters(&rx)->seq_resets, 1);
	assert_int_equal(tt_auth_bfd_rcv_seq(&rx), 100);

	c = bfd_cfg(&kr, 7, 2);
	c.local_min_rx_us = 50000;
	assert_int_equal(tt_auth_bfd_init(&slow, &c), 0);
	assert_int_equal(verify(&slow, buf, SHA1_PKT, T0), TT_AUTH_BFD_OK);
	assert_true(tt_auth_bfd_seq_known(&slow, T0 + 300 * MS - 1));
	assert_false(tt_auth_bfd_seq_known(&slow, T0 + 300 * MS));
}

static int fail_hash(void *ctx, const struct tt_auth_iov *iov, unsigned int n, uint8_t *out)
{
	(void)ctx;
	(void)iov;
	(void)n;
	(void)out;
	return -EIO;
}

static int fail_hmac(void *ctx, const uint8_t *key, size_t key_len, const struct tt_auth_iov *iov,
		     unsigned int n, uint8_t *tag)
{
	(void)ctx;
	(void)key;
	(void)key_len;
	(void)iov;
	(void)n;
	(void)tag;
	return -EIO;
}

static void test_bfd_init_and_sign_errors(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_crypto_ops no_md5 = *ops, broken = *ops;
	struct tt_auth_bfd st;
	struct tt_auth_bfd_config c;
	struct tt_bfd_ctrl p = ctrl(3);
	uint8_t buf[TT_BFD_MAX_LEN], good[TT_BFD_MAX_LEN];
	uint32_t seq;
	size_t len;

	(void)state;
	add_bfd_key(&kr, 1, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, "sha1");
	add_bfd_key(&kr, 2, TT_BFD_AUTH_KEYED_MD5, "md5");
	add_bfd_key(&kr, 3, TT_BFD_AUTH_METICULOUS_KEYED_MD5, "seventeen-bytes!!");
	add_bfd_key(&kr, 4, TT_BFD_AUTH_SIMPLE_PASSWORD, "pw");

	c = bfd_cfg(&kr, 1, 1);
	c.keys = NULL;
	assert_int_equal(tt_auth_bfd_init(&st, &c), -EINVAL);
	c = bfd_cfg(&kr, 1, 1);
	c.local_min_rx_us = 0;
	assert_int_equal(tt_auth_bfd_init(&st, &c), -EINVAL);
	c = bfd_cfg(&kr, 99, 1); /* no such key */
	assert_int_equal(tt_auth_bfd_init(&st, &c), -EINVAL);
	c = bfd_cfg(&kr, 3, 1); /* 17 bytes do not fit MD5's 16-byte field */
	assert_int_equal(tt_auth_bfd_init(&st, &c), -EINVAL);
	c = bfd_cfg(&kr, 4, 1); /* not a keyed type */
	assert_int_equal(tt_auth_bfd_init(&st, &c), -EINVAL);
	no_md5.md5 = NULL;
	c = bfd_cfg(&kr, 2, 1);
	c.ops = &no_md5;
	assert_int_equal(tt_auth_bfd_init(&st, &c), -ENOTSUP);
	no_md5.sha1 = NULL;
	c = bfd_cfg(&kr, 1, 1);
	c.ops = &no_md5;
	assert_int_equal(tt_auth_bfd_init(&st, &c), -EINVAL);

	/* sign refuses a packet without the session's section... */
	init_bfd(&st, &kr, 1, 1);
	seq = tt_auth_bfd_xmit_seq(&st);
	len = tt_bfd_build(&p, buf, sizeof(buf));
	assert_int_equal(tt_auth_bfd_sign(&st, buf, len), -EINVAL);
	assert_int_equal(tt_auth_bfd_sign(&st, NULL, 0), -EINVAL);
	sign_pkt(&st, good);
	assert_int_equal(tt_auth_bfd_sign(&st, good, SHA1_PKT - 1), -EINVAL);
	assert_int_equal(tt_auth_bfd_xmit_seq(&st), seq + 1);
	assert_int_equal(tt_auth_bfd_counters(&st)->sign_failed, 3);

	/* ...and a failing primitive: nothing advances, verify says CRYPTO. */
	broken.sha1 = fail_hash;
	c = bfd_cfg(&kr, 1, 1);
	c.ops = &broken;
	assert_int_equal(tt_auth_bfd_init(&st, &c), 0);
	tt_auth_bfd_prepare(&st, &p);
	len = tt_bfd_build(&p, buf, sizeof(buf));
	assert_int_equal(tt_auth_bfd_sign(&st, buf, len), -EIO);
	assert_int_equal(tt_auth_bfd_xmit_seq(&st), seq);
	assert_int_equal(verify(&st, good, SHA1_PKT, T0), TT_AUTH_BFD_CRYPTO);
	assert_false(tt_auth_bfd_seq_known(&st, T0));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_auth_bfd_reject_name(TT_AUTH_BFD_OK), "OK");
	assert_string_equal(tt_auth_bfd_reject_name(TT_AUTH_BFD_SEQ_REPLAY), "SEQ_REPLAY");
	assert_string_equal(tt_auth_bfd_reject_name(TT_AUTH_BFD_REJECT_MAX), "unknown");
	assert_non_null(strstr(tt_auth_bfd_reject_rule(TT_AUTH_BFD_SEQ_AHEAD), "3 x Detect Mult"));
	assert_string_equal(tt_auth_dc_reject_name(TT_AUTH_DC_TOO_OLD), "TOO_OLD");
	assert_string_equal(tt_auth_dc_reject_name(TT_AUTH_DC_REJECT_MAX), "unknown");
	assert_non_null(strstr(tt_auth_dc_reject_rule(TT_AUTH_DC_REPLAY), "RFC 4303"));
}

/* ------------------------------------------------------------------------ */
/* Data channels                                                             */

#define DC_WORKER   0x01020304u
#define DC_CHAN	    2
#define DC_DATA_LEN 101 /* 56 + "hello" + 40 */
#define DC_BUF	    128

static struct tt_auth_dc_config dc_cfg(const struct tt_auth_keyring *kr, bool master,
				       uint64_t start)
{
	return (struct tt_auth_dc_config){
		.keys = kr,
		.ops = ops,
		.tx_key_id = 9,
		.is_master = master,
		.worker_id = DC_WORKER,
		.chan_idx = DC_CHAN,
		.tx_seq_start = start,
	};
}

static void init_dc(struct tt_auth_dc *st, const struct tt_auth_keyring *kr, bool master,
		    uint64_t start)
{
	struct tt_auth_dc_config c = dc_cfg(kr, master, start);

	assert_int_equal(tt_auth_dc_init(st, &c), 0);
}

/* DATA "hello" on worker 0x01020304 channel 2, built with room for the MAC. */
static size_t dc_build(uint8_t *buf, size_t cap)
{
	struct tt_dcw_pkt p;

	memset(&p, 0, sizeof(p));
	p.version = TT_DCW_VERSION;
	p.type = TT_DCW_T_DATA;
	p.flags = TT_DCW_F_MAC;
	p.worker_id = DC_WORKER;
	p.chan_idx = DC_CHAN;
	p.window = 16;
	p.epoch = 5;
	p.seq = 100;
	p.ack = 7;
	p.msg_len = 5;
	p.payload_len = 5;
	p.payload = (const uint8_t *)"hello";
	return tt_dcw_build(&p, buf, cap);
}

/* buf: at least DC_BUF bytes. */
static size_t dc_sign(struct tt_auth_dc *st, uint8_t *buf)
{
	size_t len = dc_build(buf, DC_BUF);

	assert_int_equal(len, DC_DATA_LEN);
	assert_int_equal(tt_auth_dc_sign(st, buf, len), 0);
	return len;
}

static void test_dc_known_answer(void **state)
{
	static const uint8_t want[DC_DATA_LEN] = {
		0x01, 0x03, 0x01, 0x09, 0x01, 0x02, 0x03, 0x04, 0x00, 0x02, 0x00, 0x10, 0x00,
		0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x05, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x01, 0xc7, 0x42, 0x29, 0x4c, 0xc2, 0xd8, 0x80, 0x7e, 0xf1,
		0xac, 0x31, 0x08, 0x96, 0x17, 0xa2, 0xe9, 0x9e, 0x6d, 0x0f, 0x3b, 0x34, 0x6c,
		0x14, 0xc2, 0x85, 0xcc, 0x27, 0x5d, 0x94, 0xab, 0x36, 0x55};
	struct tt_auth_keyring kr = {0};
	struct tt_auth_dc m, w;
	struct tt_dcw_policy pol = {.n_channels = 4, .mac = true};
	struct tt_dcw_pkt parsed;
	uint8_t buf[256];

	(void)state;
	add_dc_key(&kr, 9, 0x00, 32);
	init_dc(&m, &kr, true, (uint64_t)5 << 32 | 1);
	init_dc(&w, &kr, false, 1);
	assert_int_equal(dc_sign(&m, buf), DC_DATA_LEN);
	assert_memory_equal(buf, want, DC_DATA_LEN);
	assert_int_equal(tt_auth_dc_tx_seq(&m), ((uint64_t)5 << 32) + 2);
	assert_int_equal(tt_dcw_parse(buf, DC_DATA_LEN, &pol, &parsed, NULL), TT_DCW_RX_OK);
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_OK);
	assert_int_equal(tt_auth_dc_counters(&w)->by_reason[TT_AUTH_DC_OK], 1);
}

/*
 * Both directions work; a datagram reflected to its sender does not (the
 * direction byte); every covered byte matters; key id, channel binding and
 * the MAC flag are checked.
 */
static void test_dc_rejects(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_dc m, w, m_rx;
	struct tt_auth_dc_config c;
	uint8_t good[256], buf[256];
	static const size_t flip[] = {0, 20, 56, 60, 61, 68, 69, 100};

	(void)state;
	add_dc_key(&kr, 9, 0x40, 16);
	add_dc_key(&kr, 10, 0x80, 64);
	init_dc(&m, &kr, true, 1000);
	init_dc(&w, &kr, false, 1);
	init_dc(&m_rx, &kr, true, 1);

	dc_sign(&w, good);
	assert_int_equal(tt_auth_dc_verify(&m_rx, good, DC_DATA_LEN), TT_AUTH_DC_OK);
	dc_sign(&m, good);
	/* Reflected: the master's own datagram back to the master. */
	assert_int_equal(tt_auth_dc_verify(&m_rx, good, DC_DATA_LEN), TT_AUTH_DC_BAD_TAG);
	/* Header, payload, the MAC sequence number, the tag: one bit each.
	 * The sequence number's last byte goes up by one (still new). */
	for (size_t i = 0; i < sizeof(flip) / sizeof(flip[0]); i++) {
		memcpy(buf, good, DC_DATA_LEN);
		buf[flip[i]] ^= 0x01;
		assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_BAD_TAG);
	}
	/* Key id 10 is configured (other secret): the tag fails; 11 is not. */
	memcpy(buf, good, DC_DATA_LEN);
	buf[3] = 10;
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_BAD_TAG);
	buf[3] = 11;
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_UNKNOWN_KEY);
	/* Another channel's datagram (index 3) or another worker's. */
	memcpy(buf, good, DC_DATA_LEN);
	buf[9] = 3;
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_CHANNEL);
	memcpy(buf, good, DC_DATA_LEN);
	buf[7] ^= 0xff;
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_CHANNEL);
	/* No MAC flag; too short for a trailer. */
	memcpy(buf, good, DC_DATA_LEN);
	buf[2] = 0;
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_NO_MAC);
	assert_int_equal(tt_auth_dc_verify(&w, good, TT_DCW_HDR_LEN + TT_DCW_MAC_LEN - 1),
			 TT_AUTH_DC_NO_MAC);
	/* None of that moved the window: the genuine datagram passes, once. */
	assert_int_equal(tt_auth_dc_verify(&w, good, DC_DATA_LEN), TT_AUTH_DC_OK);
	assert_int_equal(tt_auth_dc_verify(&w, good, DC_DATA_LEN), TT_AUTH_DC_REPLAY);
	assert_int_equal(tt_auth_dc_counters(&w)->by_reason[TT_AUTH_DC_BAD_TAG], 9);
	assert_int_equal(tt_auth_dc_counters(&w)->by_reason[TT_AUTH_DC_UNKNOWN_KEY], 1);
	assert_int_equal(tt_auth_dc_counters(&w)->by_reason[TT_AUTH_DC_CHANNEL], 2);
	assert_int_equal(tt_auth_dc_counters(&w)->by_reason[TT_AUTH_DC_NO_MAC], 2);

	/* Init errors. */
	c = dc_cfg(&kr, true, 0);
	assert_int_equal(tt_auth_dc_init(&m, &c), -EINVAL);
	c = dc_cfg(&kr, true, 1);
	c.tx_key_id = 11;
	assert_int_equal(tt_auth_dc_init(&m, &c), -EINVAL);
	c = dc_cfg(&kr, true, 1);
	c.ops = NULL;
	assert_int_equal(tt_auth_dc_init(&m, &c), -EINVAL);
}

/* RFC 4303 §3.4.3 window of 64: every edge. Datagram i carries seq i. */
static void test_dc_replay_window(void **state)
{
	static uint8_t pkt[301][DC_BUF];
	struct tt_auth_keyring kr = {0};
	struct tt_auth_dc w, m;
	uint8_t buf[DC_BUF];

	(void)state;
	add_dc_key(&kr, 9, 0x11, 32);
	init_dc(&m, &kr, true, 1);
	init_dc(&w, &kr, false, 1);
	for (int i = 1; i <= 300; i++)
		dc_sign(&m, pkt[i]);
#define V(i) tt_auth_dc_verify(&w, pkt[i], DC_DATA_LEN)
	assert_int_equal(V(100), TT_AUTH_DC_OK); /* top 100 */
	assert_int_equal(V(37), TT_AUTH_DC_OK);	 /* 63 behind: last slot */
	assert_int_equal(V(36), TT_AUTH_DC_TOO_OLD);
	assert_int_equal(V(37), TT_AUTH_DC_REPLAY);
	assert_int_equal(V(100), TT_AUTH_DC_REPLAY);
	assert_int_equal(V(99), TT_AUTH_DC_OK); /* out of order, in the window */
	assert_int_equal(V(99), TT_AUTH_DC_REPLAY);
	assert_int_equal(V(164), TT_AUTH_DC_OK); /* slides by exactly 64 */
	assert_int_equal(V(100), TT_AUTH_DC_TOO_OLD);
	assert_int_equal(V(101), TT_AUTH_DC_OK); /* 63 behind the new top */
	assert_int_equal(V(165), TT_AUTH_DC_OK); /* slides by 1: 101 falls out */
	assert_int_equal(V(102), TT_AUTH_DC_OK); /* 63 behind 165 */
	assert_int_equal(V(101), TT_AUTH_DC_TOO_OLD);
	assert_int_equal(V(164), TT_AUTH_DC_REPLAY);
	assert_int_equal(V(300), TT_AUTH_DC_OK); /* a jump past the window clears it */
	assert_int_equal(V(237), TT_AUTH_DC_OK);
	assert_int_equal(V(236), TT_AUTH_DC_TOO_OLD);
	/* A forged datagram within the window does not mark its number. */
	memcpy(buf, pkt[250], DC_DATA_LEN);
	buf[60] ^= 0x20;
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_BAD_TAG);
	assert_int_equal(V(250), TT_AUTH_DC_OK);
	/* Sequence number 0 is never sent: a replay, before any tag work. */
	memcpy(buf, pkt[1], DC_DATA_LEN);
	memset(buf + DC_DATA_LEN - TT_DCW_MAC_LEN, 0, TT_DCW_MAC_SEQ_LEN);
	init_dc(&w, &kr, false, 1);
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_REPLAY);
	assert_int_equal(V(1), TT_AUTH_DC_OK);
#undef V
}

static void test_dc_sign_errors(void **state)
{
	struct tt_auth_keyring kr = {0};
	struct tt_auth_crypto_ops broken = *ops;
	struct tt_auth_dc m, w;
	struct tt_auth_dc_config c;
	uint8_t buf[256];
	size_t len;

	(void)state;
	add_dc_key(&kr, 9, 0x11, 32);
	/* The last sequence number is sent; after it the sender stops. */
	init_dc(&m, &kr, true, UINT64_MAX);
	init_dc(&w, &kr, false, 1);
	dc_sign(&m, buf);
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_OK);
	len = dc_build(buf, sizeof(buf));
	assert_int_equal(tt_auth_dc_sign(&m, buf, len), -EOVERFLOW);
	/* No MAC flag, too short. */
	init_dc(&m, &kr, true, 1);
	buf[2] = 0;
	assert_int_equal(tt_auth_dc_sign(&m, buf, len), -EINVAL);
	assert_int_equal(tt_auth_dc_sign(&m, buf, 50), -EINVAL);
	/* A failing primitive: no advance; verify counts CRYPTO. */
	broken.hmac_sha256 = fail_hmac;
	c = dc_cfg(&kr, true, 1);
	c.ops = &broken;
	assert_int_equal(tt_auth_dc_init(&m, &c), 0);
	len = dc_build(buf, sizeof(buf));
	assert_int_equal(tt_auth_dc_sign(&m, buf, len), -EIO);
	assert_int_equal(tt_auth_dc_tx_seq(&m), 1);
	assert_int_equal(tt_auth_dc_counters(&m)->sign_failed, 1);
	c.is_master = false;
	assert_int_equal(tt_auth_dc_init(&w, &c), 0);
	init_dc(&m, &kr, true, 1);
	dc_sign(&m, buf);
	assert_int_equal(tt_auth_dc_verify(&w, buf, DC_DATA_LEN), TT_AUTH_DC_CRYPTO);
}

/* ------------------------------------------------------------------------ */
/* The guarantee on real sessions                                            */

#define M_DISC	   0x0a0a0a0au
#define W_DISC	   0x0b0b0b0bu
#define W_DISC_NEW 0x0c0c0c0cu
#define KEY_ID	   1
#define SECRET	   "the-shared-secret"
#define REC_MAX	   512

enum spoof {
	SP_REPLAY_LAST, /* the last genuine packet again */
	SP_REPLAY_OLD,	/* an older genuine packet */
	SP_NEXT_SEQ,	/* last packet, next sequence number, old digest */
	SP_FAR_AHEAD,	/* last packet, 1000 ahead, old digest */
	SP_GUESSED_KEY, /* next sequence number, sealed with a guessed secret */
	SP_OWN_KEY_ID,	/* the attacker's own key id and secret */
	SP_KEYED_TYPE,	/* Keyed instead of Meticulous (sealed with the real key) */
	SP_NO_AUTH,	/* A bit clear, no section */
	SP_TRUNCATED,	/* cut inside the digest */
	SP_COUNT
};

struct node {
	struct tt_hb_session s;
	struct tt_auth_bfd a;
	bool alive; /* stepped and reachable */
};

struct world {
	struct node m, w;
	tt_ns_t now;
	uint8_t rec[REC_MAX][TT_BFD_MAX_LEN]; /* every packet the master sent */
	unsigned int n_rec;
	tt_ns_t last_genuine_ns; /* last master packet the worker accepted */
	unsigned int fences;
	tt_ns_t fence_ns;
	bool worker_went_up_again;
	unsigned int spoof_sent[SP_COUNT];
	unsigned int parse_rejected;
};

static void carry_out(struct world *W, struct node *from, const struct tt_hb_actions *o);

static struct node *peer_of(struct world *W, struct node *n)
{
	return n == &W->m ? &W->w : &W->m;
}

/* The node layer's RX path: parse, verify, and only then the session. */
static enum tt_auth_bfd_reject node_rx(struct world *W, struct node *to, const uint8_t *buf,
				       size_t len)
{
	enum tt_auth_bfd_reject why;
	struct tt_hb_actions o;
	struct tt_bfd_ctrl pkt;
	enum tt_bfd_rx_reject v;

	if (tt_bfd_parse(buf, len, &pkt) != TT_BFD_RX_OK) {
		W->parse_rejected++;
		return TT_AUTH_BFD_REJECT_MAX;
	}
	v = tt_auth_bfd_verify(&to->a, buf, len, W->now, &why);
	if (v != TT_BFD_RX_OK) {
		tt_hb_count_reject(&to->s, v);
		return why;
	}
	assert_int_equal(tt_hb_rx(&to->s, &pkt, W->now, &o), 0);
	carry_out(W, to, &o);
	return why;
}

/* The node layer's TX path: prepare, build, sign, send (zero delay). */
static void carry_out(struct world *W, struct node *from, const struct tt_hb_actions *o)
{
	struct node *to = peer_of(W, from);

	if (from == &W->w && (o->flags & TT_HB_A_FENCE)) {
		W->fences++;
		W->fence_ns = W->now;
	}
	if (from == &W->w && W->fences > 0 && tt_hb_state(&W->w.s) == TT_HB_S_UP)
		W->worker_went_up_again = true;
	for (unsigned int i = 0; i < o->n_tx; i++) {
		uint8_t buf[TT_BFD_MAX_LEN];
		size_t len = sign_ctrl(&from->a, o->tx[i], buf);

		assert_int_equal(len, SHA1_PKT);
		if (from == &W->m) {
			assert_true(W->n_rec < REC_MAX);
			memcpy(W->rec[W->n_rec++], buf, len);
		}
		if (!to->alive)
			continue;
		if (node_rx(W, to, buf, len) == TT_AUTH_BFD_OK && to == &W->w)
			W->last_genuine_ns = W->now;
	}
}

static void tick(struct world *W, struct node *n)
{
	struct tt_hb_actions o;

	assert_int_equal(tt_hb_tick(&n->s, W->now, &o), 0);
	carry_out(W, n, &o);
}

static bool due(const struct node *n, tt_ns_t now)
{
	tt_ns_t d;

	return n->alive && tt_hb_next_deadline(&n->s, &d) && tt_time_reached(now, d);
}

/* Build spoof number k (cycling through the kinds) from the recording. */
static size_t make_spoof(struct world *W, unsigned int k, uint8_t *buf)
{
	const uint8_t *last = W->rec[W->n_rec - 1];
	uint32_t next = get_be32(last + SEQ_OFF) + 1;

	memcpy(buf, last, SHA1_PKT);
	W->spoof_sent[k % SP_COUNT]++;
	switch (k % SP_COUNT) {
	case SP_REPLAY_LAST:
		return SHA1_PKT;
	case SP_REPLAY_OLD:
		memcpy(buf, W->rec[(k / SP_COUNT) % (W->n_rec - 1)], SHA1_PKT);
		return SHA1_PKT;
	case SP_NEXT_SEQ:
		put_be32(buf + SEQ_OFF, next);
		return SHA1_PKT;
	case SP_FAR_AHEAD:
		put_be32(buf + SEQ_OFF, next + 1000);
		return SHA1_PKT;
	case SP_GUESSED_KEY:
		put_be32(buf + SEQ_OFF, next);
		reseal_sha1(buf, "guess");
		return SHA1_PKT;
	case SP_OWN_KEY_ID:
		buf[26] = 99;
		put_be32(buf + SEQ_OFF, next);
		reseal_sha1(buf, "attacker");
		return SHA1_PKT;
	case SP_KEYED_TYPE:
		buf[24] = TT_BFD_AUTH_KEYED_SHA1;
		put_be32(buf + SEQ_OFF, next);
		reseal_sha1(buf, SECRET);
		return SHA1_PKT;
	case SP_NO_AUTH:
		buf[1] &= (uint8_t)~0x04;
		buf[3] = TT_BFD_HDR_LEN;
		return TT_BFD_HDR_LEN;
	default:
		return 40;
	}
}

/*
 * Run until `end`: step each live session at its deadlines and, when
 * spoof_every is set, inject a spoof into the worker at that period from
 * spoof_start.
 */
static void run(struct world *W, tt_ns_t end, tt_ns_t spoof_start, tt_ns_t spoof_every,
		unsigned int *k)
{
	tt_ns_t next_spoof = spoof_start;

	for (;;) {
		tt_ns_t next = end, d;

		if (W->m.alive && tt_hb_next_deadline(&W->m.s, &d))
			next = tt_time_min(next, d);
		if (tt_hb_next_deadline(&W->w.s, &d))
			next = tt_time_min(next, d);
		if (spoof_every > 0)
			next = tt_time_min(next, next_spoof);
		if (tt_time_after(next, end) || (next == end && W->now == end))
			break;
		W->now = next;
		if (due(&W->m, W->now))
			tick(W, &W->m);
		if (due(&W->w, W->now))
			tick(W, &W->w);
		if (spoof_every > 0 && tt_time_reached(W->now, next_spoof)) {
			uint8_t buf[TT_BFD_MAX_LEN];
			size_t len = make_spoof(W, (*k)++, buf);
			enum tt_auth_bfd_reject why = node_rx(W, &W->w, buf, len);

			/* Not one spoof is accepted while the window is known. */
			if (tt_auth_bfd_seq_known(&W->w.a, W->now))
				assert_int_not_equal(why, TT_AUTH_BFD_OK);
			next_spoof += spoof_every;
		}
		if (W->now == end)
			break;
	}
}

static struct tt_hb_config hb_cfg(enum tt_hb_role role, uint32_t disc)
{
	struct tt_hb_config c;

	memset(&c, 0, sizeof(c));
	c.role = role;
	c.local_disc = disc;
	c.timers.desired_min_tx_us = FAST_US;
	c.timers.required_min_rx_us = FAST_US;
	c.timers.detect_mult = 3;
	c.auth = true;
	c.d_max_ns = 100 * TT_NS_PER_US;
	c.granularity_ns = 10 * TT_NS_PER_US;
	c.seed = role == TT_HB_ROLE_MASTER ? 1 : 2;
	return c;
}

static void world_init(struct world *W, struct tt_auth_keyring *kr)
{
	struct tt_hb_config mc = hb_cfg(TT_HB_ROLE_MASTER, M_DISC);
	struct tt_hb_config wc = hb_cfg(TT_HB_ROLE_WORKER, W_DISC);

	memset(W, 0, sizeof(*W));
	add_bfd_key(kr, KEY_ID, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, SECRET);
	W->now = T0;
	assert_int_equal(tt_hb_init(&W->m.s, &mc, T0), 0);
	assert_int_equal(tt_hb_init(&W->w.s, &wc, T0), 0);
	init_bfd(&W->m.a, kr, KEY_ID, 0x5eed0001);
	init_bfd(&W->w.a, kr, KEY_ID, 0x5eed0002);
	W->m.alive = W->w.alive = true;
}

/*
 * A worker whose master went silent (the master process died) receives, once
 * a millisecond, replays of the master's earlier packets and forgeries of
 * every kind, through verify-then-rx as the node layer does. None is
 * accepted, none resets the detection timer: the worker's detection expires
 * and it FENCEs at exactly last genuine packet + Detection Time, and it does
 * not come back Up. Before the silence, spoofs mixed with genuine traffic are
 * rejected while genuine packets keep the session Up.
 */
static void test_spoofed_heartbeat_never_keeps_worker_alive(void **state)
{
	static struct world W;
	struct tt_auth_keyring kr = {0};
	const struct tt_hb_counters *hc;
	const struct tt_auth_bfd_counters *ac;
	struct tt_auth_bfd_counters a0;
	struct tt_hb_counters h0;
	tt_ns_t silence, detect_ns, expect_fence;
	unsigned int k = 0;

	(void)state;
	world_init(&W, &kr);
	/* Bring-up and 500 ms Up at 10 ms. */
	run(&W, T0 + 500 * MS, 0, 0, &k);
	assert_int_equal(tt_hb_state(&W.m.s), TT_HB_S_UP);
	assert_int_equal(tt_hb_state(&W.w.s), TT_HB_S_UP);
	assert_true(W.n_rec > 40);
	/* 200 ms more with a spoof of every kind every 3 ms between the
	 * genuine packets: all refused, the session stays Up. */
	run(&W, T0 + 700 * MS, T0 + 500 * MS + 1, 3 * MS, &k);
	assert_int_equal(tt_hb_state(&W.w.s), TT_HB_S_UP);
	assert_int_equal(W.fences, 0);

	/* The master dies. */
	silence = W.now;
	W.m.alive = false;
	detect_ns = tt_hb_detect_time_ns(&W.w.s);
	assert_int_equal(detect_ns, 30 * MS);
	expect_fence = W.last_genuine_ns + detect_ns;
	a0 = *tt_auth_bfd_counters(&W.w.a);
	h0 = *tt_hb_counters(&W.w.s);
	memset(W.spoof_sent, 0, sizeof(W.spoof_sent));
	W.parse_rejected = 0;
	k = 0;
	/* Spoofs every 1 ms, through the fence, up to just before the
	 * 2 x Detection Time after which RFC 5880 §6.8.1 forgets the sequence
	 * number. */
	run(&W, W.last_genuine_ns + 2 * detect_ns - 1, silence + 1, MS, &k);

	assert_int_equal(W.fences, 1);
	assert_int_equal(W.fence_ns, expect_fence);
	assert_false(W.worker_went_up_again);
	assert_int_equal(tt_hb_state(&W.w.s), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_diag(&W.w.s), TT_BFD_DIAG_CTRL_EXPIRED);
	hc = tt_hb_counters(&W.w.s);
	ac = tt_auth_bfd_counters(&W.w.a);
	assert_int_equal(hc->detect_expiries, 1);
	/* No spoof reached the session; every one was refused for its reason. */
	assert_true(k >= 50);
	for (unsigned int i = 0; i < SP_COUNT; i++)
		assert_true(W.spoof_sent[i] >= 5);
	assert_int_equal(hc->rx_packets, h0.rx_packets);
	assert_int_equal(ac->by_reason[TT_AUTH_BFD_OK], a0.by_reason[TT_AUTH_BFD_OK]);
#define D(r) (ac->by_reason[TT_AUTH_BFD_##r] - a0.by_reason[TT_AUTH_BFD_##r])
	assert_int_equal(W.parse_rejected, W.spoof_sent[SP_TRUNCATED]);
	assert_int_equal(D(SEQ_REPLAY), W.spoof_sent[SP_REPLAY_LAST] + W.spoof_sent[SP_REPLAY_OLD]);
	assert_int_equal(D(SEQ_AHEAD), W.spoof_sent[SP_FAR_AHEAD]);
	assert_int_equal(D(BAD_DIGEST), W.spoof_sent[SP_NEXT_SEQ] + W.spoof_sent[SP_GUESSED_KEY]);
	assert_int_equal(D(UNKNOWN_KEY), W.spoof_sent[SP_OWN_KEY_ID]);
	assert_int_equal(D(WRONG_TYPE), W.spoof_sent[SP_KEYED_TYPE]);
	assert_int_equal(D(NO_AUTH), W.spoof_sent[SP_NO_AUTH]);
#undef D
	assert_int_equal(hc->rx.by_reason[TT_BFD_RX_AUTH_MISSING] -
				 h0.rx.by_reason[TT_BFD_RX_AUTH_MISSING],
			 W.spoof_sent[SP_NO_AUTH]);
	assert_int_equal(hc->rx.by_reason[TT_BFD_RX_AUTH_FAILED] -
				 h0.rx.by_reason[TT_BFD_RX_AUTH_FAILED],
			 k - W.spoof_sent[SP_NO_AUTH] - W.spoof_sent[SP_TRUNCATED]);
}

/*
 * After the fence, 2 x Detection Time later, RFC 5880 §6.8.1 forgets the
 * sequence number and old packets pass authentication again. What then
 * keeps them out is the discriminator: a worker that re-joins with a fresh
 * local discriminator (the node layer's job) cannot be brought Up by any
 * replay of the previous incarnation, in order or not. Only Down packets
 * (Your Discriminator 0) reach it, and those take it no further than Init.
 */
static void test_replay_after_fence_cannot_bring_worker_up(void **state)
{
	static struct world W;
	struct tt_auth_keyring kr = {0};
	struct tt_hb_config wc = hb_cfg(TT_HB_ROLE_WORKER, W_DISC_NEW);
	const struct tt_hb_counters *hc;
	uint64_t auth_ok_before;
	unsigned int k = 0;

	(void)state;
	world_init(&W, &kr);
	run(&W, T0 + 500 * MS, 0, 0, &k);
	assert_int_equal(tt_hb_state(&W.w.s), TT_HB_S_UP);
	W.m.alive = false;
	run(&W, W.last_genuine_ns + 100 * MS, 0, 0, &k);
	assert_int_equal(W.fences, 1);
	assert_false(tt_auth_bfd_seq_known(&W.w.a, W.now));

	/* Re-join with a new discriminator; the auth state is kept. */
	assert_int_equal(tt_hb_init(&W.w.s, &wc, W.now), 0);
	auth_ok_before = tt_auth_bfd_counters(&W.w.a)->by_reason[TT_AUTH_BFD_OK];
	for (unsigned int i = 0; i < W.n_rec; i++) {
		W.now += MS;
		if (due(&W.w, W.now))
			tick(&W, &W.w);
		node_rx(&W, &W.w, W.rec[i], SHA1_PKT);
		assert_int_not_equal(tt_hb_state(&W.w.s), TT_HB_S_UP);
	}
	hc = tt_hb_counters(&W.w.s);
	/* The replays did pass authentication (the RFC allows it)... */
	assert_true(tt_auth_bfd_counters(&W.w.a)->by_reason[TT_AUTH_BFD_OK] > auth_ok_before);
	/* ...and the session refused every Init/Up one for its discriminator. */
	assert_true(hc->rx.by_reason[TT_BFD_RX_NO_SESSION] > 0);
	assert_int_equal(W.fences, 1);
	assert_false(W.worker_went_up_again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_primitives),
		cmocka_unit_test(test_kat_meticulous_sha1_packet),
		cmocka_unit_test(test_kat_keyed_md5_packet),
		cmocka_unit_test(test_bfd_roundtrip_each_type),
		cmocka_unit_test(test_bfd_random_start),
		cmocka_unit_test(test_bfd_reject_bad_digest),
		cmocka_unit_test(test_bfd_reject_key_and_type),
		cmocka_unit_test(test_bfd_reject_format),
		cmocka_unit_test(test_bfd_meticulous_window),
		cmocka_unit_test(test_bfd_window_wraps),
		cmocka_unit_test(test_bfd_keyed_same_seq),
		cmocka_unit_test(test_bfd_seq_known_reset),
		cmocka_unit_test(test_bfd_init_and_sign_errors),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dc_known_answer),
		cmocka_unit_test(test_dc_rejects),
		cmocka_unit_test(test_dc_replay_window),
		cmocka_unit_test(test_dc_sign_errors),
		cmocka_unit_test(test_spoofed_heartbeat_never_keeps_worker_alive),
		cmocka_unit_test(test_replay_after_fence_cannot_bring_worker_up),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
