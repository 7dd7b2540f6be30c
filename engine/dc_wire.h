/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_DC_WIRE_H
#define TT_DC_WIRE_H

/**
 * @file
 * The data-channel wire format (DESIGN.md §2): tether's own header, carried
 * as the payload of a UDP datagram (destination port TT_DCW_UDP_PORT by
 * default; the caller may configure another). Parse from and build into byte
 * buffers the caller owns. Stateless: this file knows the wire, not
 * channels; the checks that need channel state (ids, epoch, nonce, sequence
 * numbers) are done by dc_fsm.c.
 *
 * Every multi-byte field is in network byte order (big endian). The header is
 * TT_DCW_HDR_LEN = 56 bytes, always all present:
 *
 * | off | size | field        | meaning                                         | valid values |
 * |----:|-----:|--------------|-------------------------------------------------|--------------|
 * |   0 |    1 | version      | format version                                  | 1 |
 * |   1 |    1 | type         | packet type (TT_DCW_TYPES below)                | 1..8 |
 * |   2 |    1 | flags        | bit 0 MAC: a MAC trailer follows the payload    | bits 1-7 zero |
 * |   3 |    1 | mac_key_id   | key of the MAC trailer                          | 0 if no MAC |
 * |   4 |    4 | worker_id    | worker the channel belongs to                   | any |
 * |   8 |    2 | chan_idx     | channel index within the worker (K channels)    | 0..K-1, K <= 16 |
 * |  10 |    2 | window       | sender's receive credits: it accepts sequence   | 0..64 |
 * |     |      |              | numbers below ack + window (segments)           | |
 * |  12 |    4 | epoch        | assignment epoch the channel belongs to         | non-zero |
 * |  16 |    4 | seq          | DATA: segment sequence number; CONNECT/ACCEPT:  | any |
 * |     |      |              | sender's initial sequence number; PROBE: probe  | |
 * |     |      |              | id; PROBE_ACK: the id of the probe it answers   | |
 * |  20 |    4 | ack          | cumulative ack: next sequence number expected   | any |
 * |     |      |              | (all below it received); ACCEPT: the CONNECT's  | |
 * |     |      |              | initial sequence number                         | |
 * |  24 |    8 | sack         | selective ack: bit i (LSB = 0) set means        | any |
 * |     |      |              | segment ack + 1 + i was received                | |
 * |  32 |    8 | nonce        | CONNECT: connector's nonce; ACCEPT: its echo    | non-zero |
 * |  40 |    4 | msg_id       | DATA: message number (0, 1, 2, ... per channel) | any |
 * |  44 |    4 | msg_len      | DATA: total length of the message in bytes      | 0..65536 |
 * |  48 |    4 | seg_off      | DATA: byte offset of this segment in the message| see below |
 * |  52 |    2 | payload_len  | bytes of payload after the header               | see below |
 * |  54 |    2 | reserved     | -                                               | 0 |
 * |  56 |    n | payload      | DATA: message bytes [seg_off, seg_off + n)      | |
 * | 56+n|   40 | MAC trailer  | only with flag MAC: 8-byte MAC sequence number  | |
 * |     |      |              | (for the replay window) + 32-byte tag           | |
 *
 * Fields a type does not use must be zero (TT_DCW_RX_FIELD_NOT_ZERO):
 *
 * | type      | seq      | ack | sack | window | nonce | msg_id/msg_len/seg_off/payload |
 * |-----------|----------|-----|------|--------|-------|--------------------------------|
 * | CONNECT   | ISN      | 0   | 0    | yes    | yes   | 0 |
 * | ACCEPT    | ISN      | yes | 0    | yes    | yes   | 0 |
 * | DATA      | seq      | yes | yes  | yes    | 0     | yes |
 * | ACK       | 0        | yes | yes  | yes    | 0     | 0 |
 * | PROBE     | probe id | yes | yes  | yes    | 0     | 0 |
 * | PROBE_ACK | probe id | yes | yes  | yes    | 0     | 0 |
 * | CLOSE     | 0        | 0   | 0    | 0      | 0     | 0 |
 * | RESET     | 0        | 0   | 0    | 0      | 0     | 0 |
 *
 * DATA segment rules (TT_DCW_RX_SEGMENT): a message of msg_len > 0 bytes is
 * carried by segments with 1 <= payload_len and seg_off + payload_len <=
 * msg_len; an empty message (msg_len 0) by one segment with seg_off 0 and
 * payload_len 0. The first segment has seg_off 0, the last ends at msg_len.
 * Cross-segment rules (same msg_id and msg_len, contiguous offsets) need
 * channel state and are checked by dc_fsm.c.
 *
 * The datagram length must be exactly 56 + payload_len (+ 40 with MAC):
 * trailing bytes are rejected like missing ones (TT_DCW_RX_LENGTH).
 *
 * MAC: the format is reserved here; computing and checking the tag is the
 * authentication module's job. A receiver with no MAC configured rejects the
 * MAC flag (TT_DCW_RX_MAC_UNEXPECTED); one with a MAC configured rejects
 * packets without it (TT_DCW_RX_MAC_MISSING). The tag covers the header and
 * payload.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_DCW_VERSION	    1
#define TT_DCW_UDP_PORT	    4790 /* default destination port; configurable */
#define TT_DCW_HDR_LEN	    56	 /* fixed header */
#define TT_DCW_MAC_SEQ_LEN  8	 /* MAC trailer: replay sequence number */
#define TT_DCW_MAC_TAG_LEN  32	 /* MAC trailer: tag */
#define TT_DCW_MAC_LEN	    (TT_DCW_MAC_SEQ_LEN + TT_DCW_MAC_TAG_LEN)
#define TT_DCW_MAX_CHANNELS 16 /* K: channels per worker */
#define TT_DCW_WINDOW_MAX   64 /* credits; the SACK bitmap covers them */
#define TT_DCW_SACK_BITS    64
#define TT_DCW_MSG_MAX	    (64u * 1024u) /* largest message the format carries */

/** Flag bits (offset 2). */
#define TT_DCW_F_MAC 0x01u
#define TT_DCW_F_ALL TT_DCW_F_MAC

/** Packet types. X(name, wire value, printable) */
#define TT_DCW_TYPES(X)                                                                            \
	X(CONNECT, 1, "CONNECT")                                                                   \
	X(ACCEPT, 2, "ACCEPT")                                                                     \
	X(DATA, 3, "DATA")                                                                         \
	X(ACK, 4, "ACK")                                                                           \
	X(PROBE, 5, "PROBE")                                                                       \
	X(PROBE_ACK, 6, "PROBE_ACK")                                                               \
	X(CLOSE, 7, "CLOSE")                                                                       \
	X(RESET, 8, "RESET")

enum tt_dcw_type {
#define TT_X(name, val, str) TT_DCW_T_##name = val,
	TT_DCW_TYPES(TT_X)
#undef TT_X
	TT_DCW_T_MAX /* one past the last wire value */
};

/**
 * Why a received datagram was rejected by tt_dcw_parse(), in the order the
 * checks run. X(name, printable rule)
 */
#define TT_DCW_RX_REJECTS(X)                                                                       \
	X(TRUNCATED, "fewer bytes than the 56-byte header")                                        \
	X(VERSION, "version is not 1")                                                             \
	X(TYPE, "type unknown (not 1..8)")                                                         \
	X(RESERVED, "reserved bits or bytes set (flags 1-7, reserved, key id without MAC)")        \
	X(MAC_UNEXPECTED, "MAC flag set but no MAC configured")                                    \
	X(MAC_MISSING, "MAC configured but MAC flag clear")                                        \
	X(LENGTH, "datagram length is not header + payload_len (+ MAC trailer)")                   \
	X(CHANNEL, "channel index out of range")                                                   \
	X(EPOCH_ZERO, "epoch is zero")                                                             \
	X(WINDOW, "window above 64 segments")                                                      \
	X(FIELD_NOT_ZERO, "a field this type does not use is not zero")                            \
	X(NONCE_ZERO, "CONNECT/ACCEPT nonce is zero")                                              \
	X(MSG_TOO_BIG, "DATA msg_len above 65536")                                                 \
	X(SEGMENT, "DATA segment fields inconsistent (offset, length, message length)")

enum tt_dcw_rx_reject {
	TT_DCW_RX_OK = 0,
#define TT_X(name, str) TT_DCW_RX_##name,
	TT_DCW_RX_REJECTS(TT_X)
#undef TT_X
	TT_DCW_RX_REJECT_MAX
};

/** Counters indexed by enum tt_dcw_rx_reject (slot 0 counts accepted datagrams). */
struct tt_dcw_counters {
	uint64_t by_reason[TT_DCW_RX_REJECT_MAX];
};

/** What the receiver accepts: per endpoint, not per packet. */
struct tt_dcw_policy {
	uint16_t n_channels; /* K: valid channel indexes are 0..K-1; 1..16 */
	bool mac;	     /* a MAC is configured: the trailer is required */
};

/** A data-channel packet, every header field in host order. */
struct tt_dcw_pkt {
	uint8_t version;
	uint8_t type; /* enum tt_dcw_type */
	uint8_t flags;
	uint8_t mac_key_id;
	uint32_t worker_id;
	uint16_t chan_idx;
	uint16_t window;
	uint32_t epoch;
	uint32_t seq;
	uint32_t ack;
	uint64_t sack;
	uint64_t nonce;
	uint32_t msg_id;
	uint32_t msg_len;
	uint32_t seg_off;
	uint16_t payload_len;
	uint16_t reserved;
	/** Parse: points into the parsed buffer. Build: copied from here. */
	const uint8_t *payload;
	/** Parse: the MAC trailer in the buffer (flag MAC), else NULL. Build: ignored. */
	const uint8_t *mac;
};

/** Printable names, from the X-macros above. */
const char *tt_dcw_type_name(unsigned int type);	/* "?" if unknown */
const char *tt_dcw_rx_reject_name(unsigned int reason); /* short, e.g. "TRUNCATED" */
const char *tt_dcw_rx_reject_rule(unsigned int reason); /* the rule text */

/**
 * Parse a data-channel datagram (the UDP payload) and validate every field
 * against the rules in the table above.
 *
 * Execution context: any thread; touches nothing but its arguments.
 *
 * @param buf     UDP payload.
 * @param len     bytes in buf.
 * @param policy  what this endpoint accepts (channel count, MAC).
 * @param out     filled only on success; untouched on reject. payload and mac
 *                point into buf, valid as long as buf.
 * @param cnt     if not NULL, by_reason[result] is incremented.
 * @return TT_DCW_RX_OK, or the first rule the datagram breaks.
 */
enum tt_dcw_rx_reject tt_dcw_parse(const uint8_t *buf, size_t len,
				   const struct tt_dcw_policy *policy, struct tt_dcw_pkt *out,
				   struct tt_dcw_counters *cnt);

/**
 * Build a datagram into buf: the inverse of tt_dcw_parse(). Every header field
 * is written as given (version and reserved included, so that tests can make
 * malformed packets); payload_len bytes are copied from pkt->payload. With
 * flag MAC, TT_DCW_MAC_LEN zero bytes are reserved after the payload for the
 * authentication module to fill.
 *
 * Execution context: any thread.
 *
 * @return bytes written, or 0 if cap is too small or payload_len > 0 with a
 *         NULL payload.
 */
size_t tt_dcw_build(const struct tt_dcw_pkt *pkt, uint8_t *buf, size_t cap);

/** Bytes tt_dcw_build() writes for pkt (header + payload + MAC trailer). */
size_t tt_dcw_wire_len(const struct tt_dcw_pkt *pkt);

#endif /* TT_DC_WIRE_H */
