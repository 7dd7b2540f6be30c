/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_BFD_WIRE_H
#define TT_BFD_WIRE_H

/**
 * @file
 * BFD control packets (RFC 5880 §4.1) and their authentication sections
 * (§4.2-4.4): parse from and build into byte buffers the caller owns.
 *
 * Stateless: this file knows the wire, not sessions. The checks of RFC 5880
 * §6.8.6 that need no session state are done here; the ones that need it
 * (Your Discriminator by state, A bit versus configured auth) are done by
 * the session (hb_fsm.c), against the same counter set.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_BFD_VERSION 1
#define TT_BFD_UDP_PORT 3784	    /* RFC 5881 §4: single-hop control */
#define TT_BFD_SRC_PORT_MIN 49152   /* RFC 5881 §4 */
#define TT_BFD_SRC_PORT_MAX 65535
#define TT_BFD_TTL 255		    /* RFC 5881 §5 (GTSM) */
#define TT_BFD_HDR_LEN 24	    /* mandatory section */
#define TT_BFD_MAX_LEN (24 + 28)    /* mandatory + largest auth (SHA1) */

/* Session states, RFC 5880 §4.1 "Sta". X(name, wire value, printable) */
#define TT_BFD_STATES(X)                                                                           \
	X(ADMIN_DOWN, 0, "AdminDown")                                                              \
	X(DOWN, 1, "Down")                                                                         \
	X(INIT, 2, "Init")                                                                         \
	X(UP, 3, "Up")

enum tt_bfd_state {
#define TT_X(name, val, str) TT_BFD_STATE_##name = val,
	TT_BFD_STATES(TT_X)
#undef TT_X
};

/* Diagnostic codes, RFC 5880 §4.1 "Diag". */
#define TT_BFD_DIAGS(X)                                                                            \
	X(NONE, 0, "No Diagnostic")                                                                \
	X(CTRL_EXPIRED, 1, "Control Detection Time Expired")                                       \
	X(ECHO_FAILED, 2, "Echo Function Failed")                                                  \
	X(NEIGHBOR_DOWN, 3, "Neighbor Signaled Session Down")                                      \
	X(FWD_RESET, 4, "Forwarding Plane Reset")                                                  \
	X(PATH_DOWN, 5, "Path Down")                                                               \
	X(CONCAT_PATH_DOWN, 6, "Concatenated Path Down")                                           \
	X(ADMIN_DOWN, 7, "Administratively Down")                                                  \
	X(REV_CONCAT_PATH_DOWN, 8, "Reverse Concatenated Path Down")

enum tt_bfd_diag {
#define TT_X(name, val, str) TT_BFD_DIAG_##name = val,
	TT_BFD_DIAGS(TT_X)
#undef TT_X
};

/* Authentication types, RFC 5880 §4.1 "Auth Type". */
#define TT_BFD_AUTH_TYPES(X)                                                                       \
	X(NONE, 0, "None")                                                                         \
	X(SIMPLE_PASSWORD, 1, "Simple Password")                                                   \
	X(KEYED_MD5, 2, "Keyed MD5")                                                               \
	X(METICULOUS_KEYED_MD5, 3, "Meticulous Keyed MD5")                                         \
	X(KEYED_SHA1, 4, "Keyed SHA1")                                                             \
	X(METICULOUS_KEYED_SHA1, 5, "Meticulous Keyed SHA1")

enum tt_bfd_auth_type {
#define TT_X(name, val, str) TT_BFD_AUTH_##name = val,
	TT_BFD_AUTH_TYPES(TT_X)
#undef TT_X
};

/**
 * Why a received heartbeat packet was dropped. One counter per rule, named
 * after it. X(name, printable rule)
 */
#define TT_BFD_RX_REJECTS(X)                                                                       \
	X(TTL, "RFC 5881 §5: IP TTL is not 255")                                                   \
	X(UDP_DST_PORT, "RFC 5881 §4: UDP destination port is not 3784")                           \
	X(UDP_SRC_PORT, "RFC 5881 §4: UDP source port outside 49152-65535")                        \
	X(TRUNCATED, "RFC 5880 §6.8.6: fewer bytes than the mandatory section")                    \
	X(VERSION, "RFC 5880 §6.8.6: version is not 1")                                            \
	X(LENGTH_FIELD, "RFC 5880 §6.8.6: Length below minimum or beyond the payload")            \
	X(DETECT_MULT_ZERO, "RFC 5880 §6.8.6: Detect Mult is zero")                                \
	X(MULTIPOINT, "RFC 5880 §6.8.6: Multipoint bit is set")                                    \
	X(MY_DISC_ZERO, "RFC 5880 §6.8.6: My Discriminator is zero")                               \
	X(YOUR_DISC_ZERO, "RFC 5880 §6.8.6: Your Discriminator zero in state other than Down/AdminDown") \
	X(NO_SESSION, "RFC 5880 §6.8.6: no session matches Your Discriminator")                    \
	X(AUTH_FORMAT, "RFC 5880 §4.2-4.4: malformed authentication section")                      \
	X(AUTH_UNEXPECTED, "RFC 5880 §6.8.6: A bit set but no authentication configured")          \
	X(AUTH_MISSING, "RFC 5880 §6.8.6: A bit clear but authentication configured")              \
	X(AUTH_FAILED, "RFC 5880 §6.7: authentication failed (type, key, digest or sequence)")     \
	X(POLL_AND_FINAL, "RFC 5880 §6.5: Poll and Final both set")                              \
	X(DISCONNECTED, "tether: session is disconnected at this endpoint")

enum tt_bfd_rx_reject {
	TT_BFD_RX_OK = 0,
#define TT_X(name, str) TT_BFD_RX_##name,
	TT_BFD_RX_REJECTS(TT_X)
#undef TT_X
	TT_BFD_RX_REJECT_MAX
};

/** Counters indexed by enum tt_bfd_rx_reject (slot 0 counts accepted packets). */
struct tt_bfd_rx_counters {
	uint64_t by_reason[TT_BFD_RX_REJECT_MAX];
};

/** Authentication section, RFC 5880 §4.2 (password) and §4.4 (SHA1). */
struct tt_bfd_auth {
	uint8_t type;		/* enum tt_bfd_auth_type */
	uint8_t len;		/* Auth Len on the wire */
	uint8_t key_id;
	uint32_t seq;		/* §4.3/4.4; unused for simple password */
	uint8_t password_len;	/* §4.2: 1-16 */
	uint8_t data[20];	/* password (§4.2) or digest (MD5: 16, SHA1: 20) */
};

/** A BFD control packet, every field of RFC 5880 §4.1 in host order. */
struct tt_bfd_ctrl {
	uint8_t version;
	uint8_t diag;		/* enum tt_bfd_diag */
	uint8_t state;		/* enum tt_bfd_state */
	bool poll;
	bool final;
	bool cpi;		/* Control Plane Independent */
	bool auth_present;	/* A */
	bool demand;		/* D */
	bool multipoint;	/* M */
	uint8_t detect_mult;
	uint8_t length;		/* filled by build, checked by parse */
	uint32_t my_disc;
	uint32_t your_disc;
	uint32_t desired_min_tx_us;
	uint32_t required_min_rx_us;
	uint32_t required_min_echo_rx_us;
	struct tt_bfd_auth auth;	/* valid when auth_present */
};

/** Printable names, from the same X-macros as the enums. */
const char *tt_bfd_state_name(unsigned int state);
const char *tt_bfd_diag_name(unsigned int diag);
const char *tt_bfd_auth_type_name(unsigned int type);
const char *tt_bfd_rx_reject_name(unsigned int reason);	/* short name, e.g. "TTL" */
const char *tt_bfd_rx_reject_rule(unsigned int reason);	/* the rule text */

/**
 * Parse a BFD control packet (the UDP payload) and apply the stateless
 * reception checks of RFC 5880 §6.8.6 in the RFC's order.
 *
 * @param buf  UDP payload.
 * @param len  bytes in buf.
 * @param out  filled only on success; never half-applied to anything.
 * @return TT_BFD_RX_OK, or the reject reason (the caller counts it).
 */
enum tt_bfd_rx_reject tt_bfd_parse(const uint8_t *buf, size_t len, struct tt_bfd_ctrl *out);

/**
 * RFC 5881 transport checks on a received packet's IP TTL and UDP ports.
 * @return TT_BFD_RX_OK or the reject reason.
 */
enum tt_bfd_rx_reject tt_bfd_check_transport(uint8_t ttl, uint16_t src_port, uint16_t dst_port);

/**
 * Build a control packet into buf. Sets the Length field (and Auth Len) from
 * the contents. Digests are not computed here: the auth module fills them
 * after the packet is laid out.
 *
 * @return bytes written, or 0 if cap is too small or a field cannot be
 *         encoded (state > 3, diag > 31, detect_mult 0 is allowed to build
 *         so that tests can make malformed packets).
 */
size_t tt_bfd_build(const struct tt_bfd_ctrl *pkt, uint8_t *buf, size_t cap);

#endif /* TT_BFD_WIRE_H */
