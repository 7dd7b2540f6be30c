/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Authentication: RFC 5880 §6.7.3/§6.7.4 on heartbeats, HMAC-SHA256 with an
 * RFC 4303 §3.4.3-style replay window on data channels. The hash primitives
 * come from the caller (struct tt_auth_crypto_ops); this file only lays out
 * what is hashed and keeps the sequence-number state. No clock, no I/O, no
 * allocation.
 */
#include "auth.h"
#include "tt_bytes.h"
#include "tt_rand.h"

#include <errno.h>
#include <string.h>

#include "dc_wire.h"

#define BFD_FLAG_A	   0x04 /* RFC 5880 §4.1 byte 1 */
#define BFD_OFF_MULT	   2
#define BFD_OFF_LENGTH	   3
#define BFD_OFF_DES_MIN_TX 12
#define BFD_SEC_OFF	   TT_BFD_HDR_LEN /* the auth section follows the mandatory one */
#define BFD_SEC_FIXED	   8		  /* §4.3/§4.4: Type, Len, Key ID, Reserved, Seq */
#define BFD_SEC_MIN	   3		  /* Type, Len, Key ID: enough to pick a key */
#define BFD_SEQ_BEHIND	   0x80000000u	  /* circular distance from which a seq is "behind" */

#define DC_OFF_FLAGS	 2 /* engine/dc_wire.h header table */
#define DC_OFF_KEY_ID	 3
#define DC_OFF_WORKER_ID 4
#define DC_OFF_CHAN_IDX	 8
#define DC_DIR_M2W	 'M'
#define DC_DIR_W2M	 'W'

/* X-macro tables: one entry a line, kept as written. */
/* clang-format off */
static const char *const bfd_reject_names[TT_AUTH_BFD_REJECT_MAX] = {
	[TT_AUTH_BFD_OK] = "OK",
#define TT_X(name, str) [TT_AUTH_BFD_##name] = #name,
	TT_AUTH_BFD_REJECTS(TT_X)
#undef TT_X
};

static const char *const bfd_reject_rules[TT_AUTH_BFD_REJECT_MAX] = {
	[TT_AUTH_BFD_OK] = "accepted",
#define TT_X(name, str) [TT_AUTH_BFD_##name] = str,
	TT_AUTH_BFD_REJECTS(TT_X)
#undef TT_X
};

static const char *const dc_reject_names[TT_AUTH_DC_REJECT_MAX] = {
	[TT_AUTH_DC_OK] = "OK",
#define TT_X(name, str) [TT_AUTH_DC_##name] = #name,
	TT_AUTH_DC_REJECTS(TT_X)
#undef TT_X
};

static const char *const dc_reject_rules[TT_AUTH_DC_REJECT_MAX] = {
	[TT_AUTH_DC_OK] = "accepted",
#define TT_X(name, str) [TT_AUTH_DC_##name] = str,
	TT_AUTH_DC_REJECTS(TT_X)
#undef TT_X
};
/* clang-format on */

static const char *table_name(const char *const *tab, unsigned int n, unsigned int v)
{
	return v < n ? tab[v] : "unknown";
}

const char *tt_auth_bfd_reject_name(unsigned int reason)
{
	return table_name(bfd_reject_names, TT_AUTH_BFD_REJECT_MAX, reason);
}

const char *tt_auth_bfd_reject_rule(unsigned int reason)
{
	return table_name(bfd_reject_rules, TT_AUTH_BFD_REJECT_MAX, reason);
}

const char *tt_auth_dc_reject_name(unsigned int reason)
{
	return table_name(dc_reject_names, TT_AUTH_DC_REJECT_MAX, reason);
}

const char *tt_auth_dc_reject_rule(unsigned int reason)
{
	return table_name(dc_reject_rules, TT_AUTH_DC_REJECT_MAX, reason);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

/*
 * Compare without an early exit, so that the time taken does not tell an
 * attacker how many leading bytes of a forged digest were right.
 */
static bool equal_const_time(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t)(a[i] ^ b[i]);
	return diff == 0;
}

/* splitmix64: spreads any seed (even 0 or 1) over the whole 64-bit space. */
static uint64_t mix64(uint64_t x)
{
	return tt_rand_next(&x);
}

/* ------------------------------------------------------------------------ */
/* Key ring                                                                  */

static bool is_sha1(uint8_t type)
{
	return type == TT_BFD_AUTH_KEYED_SHA1 || type == TT_BFD_AUTH_METICULOUS_KEYED_SHA1;
}

static bool is_md5(uint8_t type)
{
	return type == TT_BFD_AUTH_KEYED_MD5 || type == TT_BFD_AUTH_METICULOUS_KEYED_MD5;
}

static bool is_meticulous(uint8_t type)
{
	return type == TT_BFD_AUTH_METICULOUS_KEYED_SHA1 ||
	       type == TT_BFD_AUTH_METICULOUS_KEYED_MD5;
}

/* Digest (= Auth Key/Digest field) length of a type, 0 if not a keyed type. */
static size_t digest_len(uint8_t type)
{
	if (is_sha1(type))
		return TT_AUTH_SHA1_LEN;
	if (is_md5(type))
		return TT_AUTH_MD5_LEN;
	return 0;
}

/* A key the procedures can use: keyed type, secret fits the digest field. */
static bool bfd_key_usable(const struct tt_auth_bfd_key *k)
{
	return k->len >= 1 && k->len <= digest_len(k->type);
}

const struct tt_auth_bfd_key *tt_auth_keyring_bfd(const struct tt_auth_keyring *kr, uint8_t id)
{
	unsigned int n = kr->n_bfd < TT_AUTH_KEYS_MAX ? kr->n_bfd : TT_AUTH_KEYS_MAX;

	for (unsigned int i = 0; i < n; i++)
		if (kr->bfd[i].id == id)
			return &kr->bfd[i];
	return NULL;
}

const struct tt_auth_dc_key *tt_auth_keyring_dc(const struct tt_auth_keyring *kr, uint8_t id)
{
	unsigned int n = kr->n_dc < TT_AUTH_KEYS_MAX ? kr->n_dc : TT_AUTH_KEYS_MAX;

	for (unsigned int i = 0; i < n; i++)
		if (kr->dc[i].id == id)
			return &kr->dc[i];
	return NULL;
}

static bool dc_key_usable(const struct tt_auth_dc_key *k)
{
	return k->len >= TT_AUTH_DC_KEY_MIN && k->len <= TT_AUTH_DC_KEY_MAX;
}

void tt_auth_keyring_wipe(struct tt_auth_keyring *kr)
{
	explicit_bzero(kr, sizeof(*kr));
}

/* ------------------------------------------------------------------------ */
/* Heartbeats                                                                */

int tt_auth_bfd_init(struct tt_auth_bfd *st, const struct tt_auth_bfd_config *cfg)
{
	const struct tt_auth_bfd_key *key;

	if (st == NULL || cfg == NULL || cfg->keys == NULL || cfg->ops == NULL ||
	    cfg->local_min_rx_us == 0)
		return -EINVAL;
	key = tt_auth_keyring_bfd(cfg->keys, cfg->tx_key_id);
	if (key == NULL || !bfd_key_usable(key))
		return -EINVAL;
	if (is_sha1(key->type) && cfg->ops->sha1 == NULL)
		return -EINVAL;
	/* RFC 5880 §6.7: MD5 is optional; a backend may not offer it. */
	if (is_md5(key->type) && cfg->ops->md5 == NULL)
		return -ENOTSUP;

	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	st->tx_key = key;
	st->auth_type = key->type;
	/* §6.8.1: bfd.XmitAuthSeq "MUST be initialized to a random 32-bit
	 * value"; bfd.AuthSeqKnown to 0. */
	st->xmit_seq = (uint32_t)(mix64(cfg->seed) >> 32);
	st->seq_known = false;
	return 0;
}

/*
 * RFC 5880 §6.7.3/§6.7.4: the digest of the whole packet (Length bytes) with
 * the key, zero-padded to the digest length, standing in the Auth Key/Digest
 * field. That field is the last digest_len bytes of the packet, so the
 * packet is hashed as [everything before the field][padded key] in two
 * pieces, without copying it or touching a received buffer.
 */
static int bfd_digest(const struct tt_auth_bfd *st, const struct tt_auth_bfd_key *key,
		      const uint8_t *pkt, size_t pkt_len, uint8_t *out)
{
	uint8_t padded[TT_AUTH_SHA1_LEN];
	size_t dlen = digest_len(key->type);
	tt_auth_hash_fn hash = is_sha1(key->type) ? st->cfg.ops->sha1 : st->cfg.ops->md5;
	struct tt_auth_iov iov[2] = {
		{.base = pkt, .len = pkt_len - dlen},
		{.base = padded, .len = dlen},
	};
	int rc;

	memset(padded, 0, sizeof(padded));
	memcpy(padded, key->secret, key->len);
	rc = hash(st->cfg.ops->ctx, iov, 2, out);
	explicit_bzero(padded, sizeof(padded));
	return rc;
}

void tt_auth_bfd_prepare(const struct tt_auth_bfd *st, struct tt_bfd_ctrl *pkt)
{
	size_t dlen = digest_len(st->auth_type);

	pkt->auth_present = true;
	pkt->auth.type = st->auth_type;
	pkt->auth.len = (uint8_t)(BFD_SEC_FIXED + dlen);
	pkt->auth.key_id = st->tx_key->id;
	pkt->auth.seq = st->xmit_seq;
	pkt->auth.password_len = 0;
	memset(pkt->auth.data, 0, sizeof(pkt->auth.data));
}

/*
 * Contract: see auth.h. The section's layout must already be the session's
 * type (prepare + build made it so); its fields are (re)written here so that
 * what is signed is exactly what the state says.
 */
int tt_auth_bfd_sign(struct tt_auth_bfd *st, uint8_t *buf, size_t len)
{
	size_t dlen = digest_len(st->auth_type);
	size_t total = BFD_SEC_OFF + BFD_SEC_FIXED + dlen;
	uint8_t digest[TT_AUTH_SHA1_LEN];
	uint8_t *sec;
	int rc;

	if (buf == NULL || len < total || !(buf[1] & BFD_FLAG_A) || buf[BFD_OFF_LENGTH] != total)
		goto invalid;
	sec = buf + BFD_SEC_OFF;
	if (sec[1] != BFD_SEC_FIXED + dlen)
		goto invalid;

	/* §6.7.3/§6.7.4 transmission: Auth Type, Key ID of the current key,
	 * Reserved zero, Sequence Number = bfd.XmitAuthSeq. */
	sec[0] = st->auth_type;
	sec[2] = st->tx_key->id;
	sec[3] = 0;
	tt_put_be32(sec + 4, st->xmit_seq);
	rc = bfd_digest(st, st->tx_key, buf, total, digest);
	if (rc != 0) {
		st->counters.sign_failed++;
		return rc < 0 ? rc : -EIO;
	}
	memcpy(buf + total - dlen, digest, dlen);
	/* §6.7.3/§6.7.4: Meticulous MUST increment for every packet, Keyed
	 * MAY, circularly. tether always does, so that its peers can require
	 * every packet to be new (keyed_accept_same_seq false). */
	st->xmit_seq++;
	st->counters.signed_packets++;
	return 0;
invalid:
	st->counters.sign_failed++;
	return -EINVAL;
}

static bool seq_known_at(const struct tt_auth_bfd *st, tt_ns_t now)
{
	return st->seq_known && !tt_time_reached(now, st->last_ok_ns + 2 * st->detect_ns);
}

bool tt_auth_bfd_seq_known(const struct tt_auth_bfd *st, tt_ns_t now)
{
	return seq_known_at(st, now);
}

/*
 * §6.7.3/§6.7.4 sequence check, when bfd.AuthSeqKnown: the sequence number
 * must lie in RcvAuthSeq+1 .. RcvAuthSeq + 3 x Detect Mult (Meticulous) or
 * RcvAuthSeq .. RcvAuthSeq + 3 x Detect Mult (Keyed), in the circular 32-bit
 * space. "Detect Mult" is the received packet's field. A number behind the
 * window (in circular terms: more than 2^31 ahead) is a replay; one too far
 * ahead is counted apart, as it is more likely a restarted or confused peer.
 */
static enum tt_auth_bfd_reject seq_window(const struct tt_auth_bfd *st, uint32_t seq,
					  uint8_t detect_mult)
{
	uint32_t ahead = seq - st->rcv_seq;
	bool same_ok = !is_meticulous(st->auth_type) && st->cfg.keyed_accept_same_seq;

	if (ahead == 0)
		return same_ok ? TT_AUTH_BFD_OK : TT_AUTH_BFD_SEQ_REPLAY;
	if (ahead <= 3u * detect_mult)
		return TT_AUTH_BFD_OK;
	if (ahead >= BFD_SEQ_BEHIND)
		return TT_AUTH_BFD_SEQ_REPLAY;
	return TT_AUTH_BFD_SEQ_AHEAD;
}

/* One reception check after the other in RFC 5880 §6.7.4's order. */
static enum tt_auth_bfd_reject bfd_check(struct tt_auth_bfd *st, const uint8_t *buf, size_t len,
					 tt_ns_t now)
{
	const struct tt_auth_bfd_key *key;
	uint8_t digest[TT_AUTH_SHA1_LEN];
	const uint8_t *sec;
	size_t plen, dlen;
	uint32_t seq;
	enum tt_auth_bfd_reject r;
	uint64_t tx_us;

	/* §6.8.1: bfd.AuthSeqKnown "MUST be set to zero after no packets have
	 * been received on this session for at least twice the Detection
	 * Time", so that a restarted peer (new random sequence) is accepted
	 * again. Only packets that passed count as received. */
	if (st->seq_known && !seq_known_at(st, now)) {
		st->seq_known = false;
		st->counters.seq_resets++;
	}

	if (buf == NULL || len < TT_BFD_HDR_LEN)
		return TT_AUTH_BFD_FORMAT;
	/* §6.7.4: a packet without an Authentication Section MUST be
	 * discarded. */
	if (!(buf[1] & BFD_FLAG_A))
		return TT_AUTH_BFD_NO_AUTH;
	plen = buf[BFD_OFF_LENGTH];
	if (plen < BFD_SEC_OFF + BFD_SEC_MIN || plen > len)
		return TT_AUTH_BFD_FORMAT;
	sec = buf + BFD_SEC_OFF;
	/* §6.7.4: "If ... the Auth Type is not correct (either 4 for Keyed
	 * SHA1 or 5 for Meticulous Keyed SHA1), the received packet MUST be
	 * discarded." Correct = the session's bfd.AuthType. */
	if (sec[0] != st->auth_type)
		return TT_AUTH_BFD_WRONG_TYPE;
	/* §6.7.4: "If the Auth Key ID field does not match the ID of a
	 * configured authentication key, the received packet MUST be
	 * discarded." A key of another type is no key for this session. */
	key = tt_auth_keyring_bfd(st->cfg.keys, sec[2]);
	if (key == NULL || key->type != st->auth_type || !bfd_key_usable(key))
		return TT_AUTH_BFD_UNKNOWN_KEY;
	/* §6.7.4: "If the Auth Len field is not equal to 28, the packet MUST
	 * be discarded" (24 for MD5, §6.7.3); Length must end with it. */
	dlen = digest_len(st->auth_type);
	if (sec[1] != BFD_SEC_FIXED + dlen || plen != BFD_SEC_OFF + BFD_SEC_FIXED + dlen)
		return TT_AUTH_BFD_FORMAT;
	seq = tt_get_be32(sec + 4);
	if (st->seq_known) {
		r = seq_window(st, seq, buf[BFD_OFF_MULT]);
		if (r != TT_AUTH_BFD_OK)
			return r;
	}
	if (bfd_digest(st, key, buf, plen, digest) != 0)
		return TT_AUTH_BFD_CRYPTO;
	if (!equal_const_time(digest, buf + plen - dlen, dlen))
		return TT_AUTH_BFD_BAD_DIGEST;

	/* Accepted (§6.7.4 as corrected by erratum 7083: only now does the
	 * sequence state change). */
	st->rcv_seq = seq;
	st->seq_known = true;
	st->last_ok_ns = now;
	/* §6.8.4 Detection Time as this packet sets it: its Detect Mult x
	 * max(local RequiredMinRx, its Desired Min TX). */
	tx_us = tt_get_be32(buf + BFD_OFF_DES_MIN_TX);
	if (tx_us < st->cfg.local_min_rx_us)
		tx_us = st->cfg.local_min_rx_us;
	st->detect_ns = (tt_ns_t)buf[BFD_OFF_MULT] * tt_us_to_ns(tx_us);
	return TT_AUTH_BFD_OK;
}

enum tt_bfd_rx_reject tt_auth_bfd_verify(struct tt_auth_bfd *st, const uint8_t *buf, size_t len,
					 tt_ns_t now, enum tt_auth_bfd_reject *why)
{
	enum tt_auth_bfd_reject r = bfd_check(st, buf, len, now);

	st->counters.by_reason[r]++;
	if (why != NULL)
		*why = r;
	if (r == TT_AUTH_BFD_OK)
		return TT_BFD_RX_OK;
	/* The session's own name for it (RFC 5880 §6.8.6 A-bit rule). */
	if (r == TT_AUTH_BFD_NO_AUTH)
		return TT_BFD_RX_AUTH_MISSING;
	return TT_BFD_RX_AUTH_FAILED;
}

uint32_t tt_auth_bfd_xmit_seq(const struct tt_auth_bfd *st)
{
	return st->xmit_seq;
}

uint32_t tt_auth_bfd_rcv_seq(const struct tt_auth_bfd *st)
{
	return st->rcv_seq;
}

const struct tt_auth_bfd_counters *tt_auth_bfd_counters(const struct tt_auth_bfd *st)
{
	return &st->counters;
}

/* ------------------------------------------------------------------------ */
/* Data channels                                                             */

int tt_auth_dc_init(struct tt_auth_dc *st, const struct tt_auth_dc_config *cfg)
{
	const struct tt_auth_dc_key *key;

	if (st == NULL || cfg == NULL || cfg->keys == NULL || cfg->ops == NULL ||
	    cfg->ops->hmac_sha256 == NULL || cfg->tx_seq_start == 0)
		return -EINVAL;
	key = tt_auth_keyring_dc(cfg->keys, cfg->tx_key_id);
	if (key == NULL || !dc_key_usable(key))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	st->tx_key = key;
	st->tx_seq = cfg->tx_seq_start;
	/* Sequence number 0 is never sent: mark it received, so that it is
	 * refused as a replay rather than taken as new. */
	st->rx_top = 0;
	st->rx_bitmap = 1;
	return 0;
}

/*
 * The tag: HMAC-SHA256(key, dir || buf with the last 32 bytes (the tag)
 * read as zero). Three pieces, so a received buffer is never written.
 */
static int dc_tag(const struct tt_auth_dc *st, const struct tt_auth_dc_key *key, uint8_t dir,
		  const uint8_t *buf, size_t len, uint8_t *tag)
{
	static const uint8_t zero_tag[TT_DCW_MAC_TAG_LEN];
	struct tt_auth_iov iov[3] = {
		{.base = &dir, .len = 1},
		{.base = buf, .len = len - TT_DCW_MAC_TAG_LEN},
		{.base = zero_tag, .len = TT_DCW_MAC_TAG_LEN},
	};

	return st->cfg.ops->hmac_sha256(st->cfg.ops->ctx, key->secret, key->len, iov, 3, tag);
}

static uint8_t tx_dir(const struct tt_auth_dc *st)
{
	return st->cfg.is_master ? DC_DIR_M2W : DC_DIR_W2M;
}

static uint8_t rx_dir(const struct tt_auth_dc *st)
{
	return st->cfg.is_master ? DC_DIR_W2M : DC_DIR_M2W;
}

int tt_auth_dc_sign(struct tt_auth_dc *st, uint8_t *buf, size_t len)
{
	uint8_t tag[TT_AUTH_HMAC_SHA256_LEN];
	uint8_t *trailer;
	int rc;

	if (buf == NULL || len < TT_DCW_HDR_LEN + TT_DCW_MAC_LEN ||
	    !(buf[DC_OFF_FLAGS] & TT_DCW_F_MAC)) {
		st->counters.sign_failed++;
		return -EINVAL;
	}
	/* The counter wrapped to 0 after 2^64 - 1 datagrams: a receiver would
	 * refuse everything from here on (RFC 4303 §3.3.3: never cycle). */
	if (st->tx_seq == 0) {
		st->counters.sign_failed++;
		return -EOVERFLOW;
	}
	trailer = buf + len - TT_DCW_MAC_LEN;
	buf[DC_OFF_KEY_ID] = st->tx_key->id;
	tt_put_be64(trailer, st->tx_seq);
	rc = dc_tag(st, st->tx_key, tx_dir(st), buf, len, tag);
	if (rc != 0) {
		st->counters.sign_failed++;
		return rc < 0 ? rc : -EIO;
	}
	memcpy(trailer + TT_DCW_MAC_SEQ_LEN, tag, sizeof(tag));
	st->tx_seq++;
	st->counters.signed_packets++;
	return 0;
}

/*
 * RFC 4303 §3.4.3 pre-check, before the tag is computed: to the right of the
 * window is new; inside it, new unless its bit is set; left of it too old.
 */
static enum tt_auth_dc_reject replay_check(const struct tt_auth_dc *st, uint64_t seq)
{
	uint64_t off;

	if (seq > st->rx_top)
		return TT_AUTH_DC_OK;
	off = st->rx_top - seq;
	if (off >= TT_AUTH_DC_REPLAY_WINDOW)
		return TT_AUTH_DC_TOO_OLD;
	if (st->rx_bitmap >> off & 1)
		return TT_AUTH_DC_REPLAY;
	return TT_AUTH_DC_OK;
}

/* RFC 4303 §3.4.3: the window moves only after the integrity check passed. */
static void replay_update(struct tt_auth_dc *st, uint64_t seq)
{
	uint64_t shift;

	if (seq > st->rx_top) {
		shift = seq - st->rx_top;
		st->rx_bitmap = shift >= TT_AUTH_DC_REPLAY_WINDOW ? 1 : st->rx_bitmap << shift | 1;
		st->rx_top = seq;
	} else {
		st->rx_bitmap |= (uint64_t)1 << (st->rx_top - seq);
	}
}

static enum tt_auth_dc_reject dc_check(struct tt_auth_dc *st, const uint8_t *buf, size_t len)
{
	const struct tt_auth_dc_key *key;
	uint8_t tag[TT_AUTH_HMAC_SHA256_LEN];
	const uint8_t *trailer;
	enum tt_auth_dc_reject r;
	uint64_t seq;

	if (buf == NULL || len < TT_DCW_HDR_LEN + TT_DCW_MAC_LEN ||
	    !(buf[DC_OFF_FLAGS] & TT_DCW_F_MAC))
		return TT_AUTH_DC_NO_MAC;
	/* The window is this channel's: a datagram of another channel (sent
	 * here by rewriting its UDP ports, which the tag does not cover) must
	 * not move it. */
	if (tt_get_be32(buf + DC_OFF_WORKER_ID) != st->cfg.worker_id ||
	    tt_get_be16(buf + DC_OFF_CHAN_IDX) != st->cfg.chan_idx)
		return TT_AUTH_DC_CHANNEL;
	key = tt_auth_keyring_dc(st->cfg.keys, buf[DC_OFF_KEY_ID]);
	if (key == NULL || !dc_key_usable(key))
		return TT_AUTH_DC_UNKNOWN_KEY;
	trailer = buf + len - TT_DCW_MAC_LEN;
	seq = tt_get_be64(trailer);
	r = replay_check(st, seq);
	if (r != TT_AUTH_DC_OK)
		return r;
	if (dc_tag(st, key, rx_dir(st), buf, len, tag) != 0)
		return TT_AUTH_DC_CRYPTO;
	if (!equal_const_time(tag, trailer + TT_DCW_MAC_SEQ_LEN, sizeof(tag)))
		return TT_AUTH_DC_BAD_TAG;
	replay_update(st, seq);
	return TT_AUTH_DC_OK;
}

enum tt_auth_dc_reject tt_auth_dc_verify(struct tt_auth_dc *st, const uint8_t *buf, size_t len)
{
	enum tt_auth_dc_reject r = dc_check(st, buf, len);

	st->counters.by_reason[r]++;
	return r;
}

uint64_t tt_auth_dc_tx_seq(const struct tt_auth_dc *st)
{
	return st->tx_seq;
}

const struct tt_auth_dc_counters *tt_auth_dc_counters(const struct tt_auth_dc *st)
{
	return &st->counters;
}
