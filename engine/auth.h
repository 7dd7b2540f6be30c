/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_AUTH_H
#define TT_AUTH_H

/**
 * @file
 * Authentication of heartbeats and data-channel packets.
 *
 * Heartbeats: RFC 5880 §6.7.3 (Keyed MD5, Meticulous Keyed MD5) and §6.7.4
 * (Keyed SHA1, Meticulous Keyed SHA1) with the state variables of §6.8.1
 * (bfd.XmitAuthSeq, bfd.RcvAuthSeq, bfd.AuthSeqKnown). Simple Password
 * (§6.7.2) is not offered: it sends the key in clear.
 *
 * Data channels: a MAC trailer (engine/dc_wire.h: 8-byte sequence number +
 * 32-byte tag) with HMAC-SHA256 and a per-channel anti-replay window of 64
 * like IPsec's (RFC 4303 §3.4.3). The tag is
 *
 *     HMAC-SHA256(key, dir || datagram with the 32 tag bytes set to zero)
 *
 * where datagram is the whole UDP payload (header with its key id, payload,
 * MAC sequence number, tag) and dir is one byte naming the direction: 'M'
 * for master -> worker, 'W' for worker -> master. The direction byte makes a
 * packet reflected back to its sender fail the tag check.
 *
 * Pure: the hash primitives are injected (struct tt_auth_crypto_ops), no
 * clock is read (`now` is passed in), nothing is allocated. The engine links
 * no crypto library; drivers/crypto_openssl.h provides ops backed by
 * OpenSSL's libcrypto.
 *
 * Execution context: a struct tt_auth_bfd belongs to one heartbeat session
 * and is used by the thread that owns the session (the HB lcore); a struct
 * tt_auth_dc to one data channel and its data lcore. The key ring is shared
 * read-only by all of them and must outlive them. The crypto ops context is
 * used by whoever calls sign/verify: give each thread its own.
 *
 * Node layer, heartbeat (session with struct tt_hb_config.auth = true):
 *   TX, for each packet of TT_HB_A_TX: tt_auth_bfd_prepare(); tt_bfd_build();
 *      tt_auth_bfd_sign() on the built bytes; send. If sign fails, do not
 *      send the packet.
 *   RX: tt_bfd_check_transport(); tt_bfd_parse(); find the session; then
 *      tt_auth_bfd_verify() on the received bytes; if it does not return
 *      TT_BFD_RX_OK, tt_hb_count_reject(session, verdict) and drop the packet
 *      WITHOUT calling tt_hb_rx(): a packet that fails authentication never
 *      touches the session (RFC 5880 §6.8.6: it "MUST be discarded").
 * Node layer, data channel (struct tt_dcw_policy.mac = true):
 *   TX: tt_dcw_build() with flag TT_DCW_F_MAC; tt_auth_dc_sign(); send.
 *   RX: tt_dcw_parse(); find the channel; tt_auth_dc_verify(); on anything
 *      but TT_AUTH_DC_OK drop it before the channel state machine sees it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bfd_wire.h"
#include "tt_time.h"

#define TT_AUTH_SHA1_LEN	 20 /* SHA1 digest, RFC 5880 §4.4 Auth Key/Hash */
#define TT_AUTH_MD5_LEN		 16 /* MD5 digest, RFC 5880 §4.3 */
#define TT_AUTH_HMAC_SHA256_LEN	 32 /* = TT_DCW_MAC_TAG_LEN */
#define TT_AUTH_BFD_KEY_MAX	 20 /* §6.7.4: SHA1 key up to 20 bytes (MD5: 16) */
#define TT_AUTH_DC_KEY_MIN	 16 /* 128 bits: below that a key is guessable */
#define TT_AUTH_DC_KEY_MAX	 64 /* HMAC-SHA256 block size */
#define TT_AUTH_KEYS_MAX	 16 /* keys per kind in a key ring */
#define TT_AUTH_DC_REPLAY_WINDOW 64 /* sequence numbers the DC window holds */

/* ------------------------------------------------------------------------ */
/* Injected hash primitives                                                  */

/** One piece of a message hashed in several pieces. */
struct tt_auth_iov {
	const uint8_t *base;
	size_t len;
};

/**
 * A plain digest (SHA1: 20 bytes out, MD5: 16) over the concatenation of
 * iov[0..n_iov). @return 0, or a negative errno if the primitive failed.
 */
typedef int (*tt_auth_hash_fn)(void *ctx, const struct tt_auth_iov *iov, unsigned int n_iov,
			       uint8_t *digest);

/**
 * HMAC-SHA256 (32 bytes out) with key[0..key_len) over the concatenation of
 * iov[0..n_iov). @return 0, or a negative errno if the primitive failed.
 */
typedef int (*tt_auth_hmac_fn)(void *ctx, const uint8_t *key, size_t key_len,
			       const struct tt_auth_iov *iov, unsigned int n_iov, uint8_t *tag);

/** The primitives, supplied by the caller (drivers/crypto_openssl.h). */
struct tt_auth_crypto_ops {
	tt_auth_hash_fn sha1;	     /* required for heartbeat SHA1 types */
	tt_auth_hash_fn md5;	     /* optional: NULL means MD5 types are refused */
	tt_auth_hmac_fn hmac_sha256; /* required for data channels */
	void *ctx;		     /* passed to every call */
};

/* ------------------------------------------------------------------------ */
/* Keys                                                                      */

/** A heartbeat key: RFC 5880 §6.7.3/§6.7.4, selected by Auth Key ID. */
struct tt_auth_bfd_key {
	uint8_t id;
	uint8_t type; /* enum tt_bfd_auth_type: KEYED/METICULOUS_KEYED SHA1 or MD5 */
	uint8_t len;  /* 1..20 (SHA1), 1..16 (MD5) */
	uint8_t secret[TT_AUTH_BFD_KEY_MAX];
};

/** A data-channel key, selected by the header's mac_key_id. */
struct tt_auth_dc_key {
	uint8_t id;
	uint8_t len; /* TT_AUTH_DC_KEY_MIN..TT_AUTH_DC_KEY_MAX */
	uint8_t secret[TT_AUTH_DC_KEY_MAX];
};

/**
 * Every key a node holds (engine/keyfile.h fills it). Ids are unique within
 * a kind. The first key of each kind (index 0) is the one a node sends with;
 * all listed keys are accepted on receive, so keys can be rolled over.
 */
struct tt_auth_keyring {
	unsigned int n_bfd;
	struct tt_auth_bfd_key bfd[TT_AUTH_KEYS_MAX];
	unsigned int n_dc;
	struct tt_auth_dc_key dc[TT_AUTH_KEYS_MAX];
};

/** The heartbeat key with this id, or NULL. */
const struct tt_auth_bfd_key *tt_auth_keyring_bfd(const struct tt_auth_keyring *kr, uint8_t id);

/** The data-channel key with this id, or NULL. */
const struct tt_auth_dc_key *tt_auth_keyring_dc(const struct tt_auth_keyring *kr, uint8_t id);

/** Erase every secret (memory the compiler may not optimise away) and empty the ring. */
void tt_auth_keyring_wipe(struct tt_auth_keyring *kr);

/* ------------------------------------------------------------------------ */
/* Heartbeats: RFC 5880 §6.7                                                 */

/**
 * Why tt_auth_bfd_verify() refused a packet (sub-reasons of
 * TT_BFD_RX_AUTH_MISSING / TT_BFD_RX_AUTH_FAILED). X(name, printable rule)
 */
#define TT_AUTH_BFD_REJECTS(X)                                                                     \
	X(NO_AUTH, "RFC 5880 §6.7.4: no authentication section (A bit clear)")                     \
	X(FORMAT, "RFC 5880 §4.3/§4.4: section truncated, or Auth Len/Length wrong for the type")  \
	X(WRONG_TYPE, "RFC 5880 §6.7.4: Auth Type is not the session's bfd.AuthType")              \
	X(UNKNOWN_KEY, "RFC 5880 §6.7.4: Auth Key ID names no configured key of this type")        \
	X(SEQ_REPLAY, "RFC 5880 §6.7.4: sequence number at or behind bfd.RcvAuthSeq (replay)")     \
	X(SEQ_AHEAD, "RFC 5880 §6.7.4: sequence number beyond bfd.RcvAuthSeq + 3 x Detect Mult")   \
	X(BAD_DIGEST, "RFC 5880 §6.7.3/§6.7.4: digest does not match the key")                     \
	X(CRYPTO, "tether: the hash primitive failed")

/* The X-macro hides the enumerators from clang-format. */
/* clang-format off */
enum tt_auth_bfd_reject {
	TT_AUTH_BFD_OK = 0,
#define TT_X(name, str) TT_AUTH_BFD_##name,
	TT_AUTH_BFD_REJECTS(TT_X)
#undef TT_X
	TT_AUTH_BFD_REJECT_MAX
};
/* clang-format on */

/** Per-session counters. by_reason[TT_AUTH_BFD_OK] counts accepted packets. */
struct tt_auth_bfd_counters {
	uint64_t by_reason[TT_AUTH_BFD_REJECT_MAX];
	uint64_t signed_packets;
	uint64_t sign_failed; /* tt_auth_bfd_sign() returned an error */
	uint64_t seq_resets;  /* bfd.AuthSeqKnown cleared after 2 x Detection Time */
};

/** Heartbeat authentication configuration, copied by tt_auth_bfd_init(). */
struct tt_auth_bfd_config {
	const struct tt_auth_keyring *keys;   /* shared, read-only, outlives the state */
	const struct tt_auth_crypto_ops *ops; /* caller-owned, outlives the state */
	uint8_t tx_key_id;		      /* key to sign with; its type is bfd.AuthType */
	/**
	 * The session's bfd.RequiredMinRxInterval (µs, > 0): with the received
	 * Detect Mult and Desired Min TX it gives the Detection Time of
	 * RFC 5880 §6.8.4, twice which without a valid packet clears
	 * bfd.AuthSeqKnown (§6.8.1).
	 */
	uint32_t local_min_rx_us;
	/**
	 * Keyed (non-meticulous) types only. RFC 5880 §6.7.3/§6.7.4 let a
	 * Keyed packet repeat bfd.RcvAuthSeq, for peers that increment their
	 * sequence number only "occasionally". A replay of the last accepted
	 * packet then passes too, and replaying it keeps the session alive.
	 * tether always increments, so by default (false) it requires every
	 * packet to advance the sequence number, as for Meticulous. Set true
	 * only to interoperate with a peer that does not.
	 */
	bool keyed_accept_same_seq;
	/**
	 * Seed of the random initial bfd.XmitAuthSeq (§6.8.1: "MUST be
	 * initialized to a random 32-bit value"). Must be unpredictable and
	 * differ for every session and restart (e.g. from getrandom()).
	 */
	uint64_t seed;
};

/** Per-session authentication state. Fields are private to auth.c. */
struct tt_auth_bfd {
	struct tt_auth_bfd_config cfg;
	const struct tt_auth_bfd_key *tx_key;
	uint8_t auth_type;  /* bfd.AuthType: tx_key->type */
	uint32_t xmit_seq;  /* bfd.XmitAuthSeq: sequence number of the next packet sent */
	uint32_t rcv_seq;   /* bfd.RcvAuthSeq */
	bool seq_known;	    /* bfd.AuthSeqKnown */
	tt_ns_t last_ok_ns; /* last packet that passed verification */
	tt_ns_t detect_ns;  /* Detection Time from that packet's fields */
	struct tt_auth_bfd_counters counters;
};

/**
 * Initialise a session's authentication state.
 *
 * @param st   storage, fully overwritten.
 * @param cfg  copied. The key named by tx_key_id must be in the ring.
 * @return 0; -EINVAL if keys/ops is NULL, local_min_rx_us is 0, tx_key_id
 *         names no heartbeat key, or ops->sha1 is NULL for a SHA1 key;
 *         -ENOTSUP for an MD5 key when ops->md5 is NULL.
 */
int tt_auth_bfd_init(struct tt_auth_bfd *st, const struct tt_auth_bfd_config *cfg);

/**
 * Fill the authentication fields of a packet the session asked to send
 * (struct tt_hb_actions.tx[i]) before tt_bfd_build(): A bit, Auth Type, Key
 * ID, and the sequence number it will carry. The digest is left for
 * tt_auth_bfd_sign().
 *
 * Execution context: the session's thread.
 */
void tt_auth_bfd_prepare(const struct tt_auth_bfd *st, struct tt_bfd_ctrl *pkt);

/**
 * Sign a built packet in place (RFC 5880 §6.7.3/§6.7.4 transmission): write
 * Auth Type, Key ID, Sequence Number = bfd.XmitAuthSeq and the digest, then
 * advance bfd.XmitAuthSeq by one (circularly). tether increments it for
 * every packet in both Keyed and Meticulous modes.
 *
 * Execution context: the session's thread; calls the injected hash once.
 *
 * @param buf  the bytes tt_bfd_build() wrote for a packet prepared by
 *             tt_auth_bfd_prepare().
 * @param len  tt_bfd_build()'s return value.
 * @return 0; -EINVAL if buf does not hold a packet with an authentication
 *         section of the session's type; the hash's negative errno if it
 *         failed. On error bfd.XmitAuthSeq is unchanged and the packet must
 *         not be sent.
 */
int tt_auth_bfd_sign(struct tt_auth_bfd *st, uint8_t *buf, size_t len);

/**
 * Authenticate a received packet (RFC 5880 §6.7.3/§6.7.4 reception, with the
 * order fixed by erratum 7083: bfd.RcvAuthSeq and bfd.AuthSeqKnown change
 * only when the digest matched).
 *
 * First, if bfd.AuthSeqKnown is set and no packet passed for 2 x the
 * Detection Time (taken from the last packet that passed), it is cleared
 * (§6.8.1). Then: A bit, Length and Auth Len, Auth Type, Auth Key ID, the
 * sequence window (when bfd.AuthSeqKnown: Meticulous RcvAuthSeq+1 ..
 * RcvAuthSeq + 3 x Detect Mult, circular; Keyed the same, or from
 * RcvAuthSeq itself with keyed_accept_same_seq), the digest.
 *
 * Works from the received bytes alone (the Detect Mult and Desired Min TX
 * used are the packet's); call it after tt_bfd_parse() accepted them.
 *
 * Execution context: the session's thread; calls the injected hash at most
 * once; never allocates.
 *
 * @param buf  the UDP payload as received.
 * @param len  its length (bytes beyond the Length field are ignored).
 * @param now  current time.
 * @param why  if not NULL, set to the sub-reason (TT_AUTH_BFD_OK on success).
 * @return TT_BFD_RX_OK; TT_BFD_RX_AUTH_MISSING if the A bit is clear;
 *         TT_BFD_RX_AUTH_FAILED otherwise. The sub-reason is counted.
 */
enum tt_bfd_rx_reject tt_auth_bfd_verify(struct tt_auth_bfd *st, const uint8_t *buf, size_t len,
					 tt_ns_t now, enum tt_auth_bfd_reject *why);

/**
 * bfd.AuthSeqKnown as verify would see it at @p now (false once 2 x the
 * Detection Time passed without a valid packet). Does not change the state.
 */
bool tt_auth_bfd_seq_known(const struct tt_auth_bfd *st, tt_ns_t now);

/** bfd.XmitAuthSeq: the sequence number the next signed packet carries. */
uint32_t tt_auth_bfd_xmit_seq(const struct tt_auth_bfd *st);

/** bfd.RcvAuthSeq: the sequence number of the last packet that passed. */
uint32_t tt_auth_bfd_rcv_seq(const struct tt_auth_bfd *st);

/** The state's counters (valid as long as the state). */
const struct tt_auth_bfd_counters *tt_auth_bfd_counters(const struct tt_auth_bfd *st);

/** Printable names of enum tt_auth_bfd_reject ("OK", "NO_AUTH", ...) and their rules. */
const char *tt_auth_bfd_reject_name(unsigned int reason);
const char *tt_auth_bfd_reject_rule(unsigned int reason);

/* ------------------------------------------------------------------------ */
/* Data channels: HMAC-SHA256 trailer with an anti-replay window             */

/** Why tt_auth_dc_verify() refused a datagram. X(name, printable rule) */
#define TT_AUTH_DC_REJECTS(X)                                                                      \
	X(NO_MAC, "MAC flag clear or datagram too short for a MAC trailer")                        \
	X(CHANNEL, "worker id or channel index is not this channel's")                             \
	X(UNKNOWN_KEY, "MAC key id names no configured data-channel key")                          \
	X(TOO_OLD, "RFC 4303 §3.4.3: sequence number left of the 64-wide replay window")           \
	X(REPLAY, "RFC 4303 §3.4.3: sequence number already received (or 0, never sent)")          \
	X(BAD_TAG, "HMAC-SHA256 tag does not match")                                               \
	X(CRYPTO, "tether: the HMAC primitive failed")

/* The X-macro hides the enumerators from clang-format. */
/* clang-format off */
enum tt_auth_dc_reject {
	TT_AUTH_DC_OK = 0,
#define TT_X(name, str) TT_AUTH_DC_##name,
	TT_AUTH_DC_REJECTS(TT_X)
#undef TT_X
	TT_AUTH_DC_REJECT_MAX
};
/* clang-format on */

/** Per-channel counters. by_reason[TT_AUTH_DC_OK] counts accepted datagrams. */
struct tt_auth_dc_counters {
	uint64_t by_reason[TT_AUTH_DC_REJECT_MAX];
	uint64_t signed_packets;
	uint64_t sign_failed;
};

/** Data-channel MAC configuration, copied by tt_auth_dc_init(). */
struct tt_auth_dc_config {
	const struct tt_auth_keyring *keys;   /* shared, read-only, outlives the state */
	const struct tt_auth_crypto_ops *ops; /* caller-owned, outlives the state */
	uint8_t tx_key_id;		      /* key to sign with */
	bool is_master;			      /* this end is the master (direction byte) */
	uint32_t worker_id;		      /* the channel's worker id and index: a */
	uint16_t chan_idx;		      /* datagram naming others is refused */
	/**
	 * MAC sequence number of the first datagram sent (>= 1; 0 is never
	 * sent). The receiver's window only moves forward, so a sender that
	 * starts again (a restart, a new incarnation of the channel) must start
	 * above everything it sent before under the same key, e.g.
	 * (uint64_t)epoch << 32 | 1 with epochs that only grow.
	 */
	uint64_t tx_seq_start;
};

/** Per-channel MAC state (both directions). Fields are private to auth.c. */
struct tt_auth_dc {
	struct tt_auth_dc_config cfg;
	const struct tt_auth_dc_key *tx_key;
	uint64_t tx_seq;    /* next sequence number to send */
	uint64_t rx_top;    /* highest sequence number accepted (0: none yet) */
	uint64_t rx_bitmap; /* bit i: rx_top - i was accepted */
	struct tt_auth_dc_counters counters;
};

/**
 * Initialise a channel's MAC state: nothing received yet, first datagram
 * sent with cfg->tx_seq_start.
 *
 * @return 0, or -EINVAL if keys/ops/ops->hmac_sha256 is NULL, tx_key_id
 *         names no data-channel key, or tx_seq_start is 0.
 */
int tt_auth_dc_init(struct tt_auth_dc *st, const struct tt_auth_dc_config *cfg);

/**
 * Sign a built datagram in place: set the header's mac_key_id to the tx key,
 * write the next sequence number into the trailer, then the tag (see the
 * file comment for what it covers); advance the sequence number.
 *
 * Execution context: the channel's thread; calls the injected HMAC once.
 *
 * @param buf  bytes tt_dcw_build() wrote for a packet with flag TT_DCW_F_MAC.
 * @param len  tt_dcw_build()'s return value (the trailer is the last 40 bytes).
 * @return 0; -EINVAL if buf is shorter than header + trailer or the MAC flag
 *         is clear; -EOVERFLOW if the sequence space is used up; the HMAC's
 *         negative errno. On error nothing is advanced: do not send.
 */
int tt_auth_dc_sign(struct tt_auth_dc *st, uint8_t *buf, size_t len);

/**
 * Verify a received datagram: MAC flag, worker id and channel index, key
 * id, a replay pre-check (RFC 4303 §3.4.3: rejected before the tag is
 * computed), the tag, then the window moves. The window changes only for a
 * datagram whose tag matched.
 *
 * Execution context: the channel's thread; calls the injected HMAC at most
 * once; never allocates.
 *
 * @param buf  the UDP payload as received (tt_dcw_parse() accepted it).
 * @param len  its length.
 * @return TT_AUTH_DC_OK or the reason, which is also counted.
 */
enum tt_auth_dc_reject tt_auth_dc_verify(struct tt_auth_dc *st, const uint8_t *buf, size_t len);

/** Sequence number the next signed datagram carries. */
uint64_t tt_auth_dc_tx_seq(const struct tt_auth_dc *st);

/** The channel's counters (valid as long as the state). */
const struct tt_auth_dc_counters *tt_auth_dc_counters(const struct tt_auth_dc *st);

/** Printable names of enum tt_auth_dc_reject ("OK", "NO_MAC", ...) and their rules. */
const char *tt_auth_dc_reject_name(unsigned int reason);
const char *tt_auth_dc_reject_rule(unsigned int reason);

#endif /* TT_AUTH_H */
