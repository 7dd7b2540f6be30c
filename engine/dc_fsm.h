/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_DC_FSM_H
#define TT_DC_FSM_H

/**
 * @file
 * The data channel (DESIGN.md §2): one reliable, in-order, message-oriented
 * channel between a worker and the master, over the wire format of
 * dc_wire.h.
 *
 * Pure, like the heartbeat session: no clock reads, no I/O, and no allocation
 * after tt_dc_create(). The caller feeds events with the current time and
 * carries out the actions returned in struct tt_dc_actions. It owns the TX
 * buffers: an action names a packet (struct tt_dc_tx_req) and tt_dc_build()
 * writes that packet into a buffer the caller supplies.
 *
 * Execution context: a channel is written by one thread only (its data
 * lcore). Nothing here blocks.
 *
 * States and transitions (either end may connect; in tether the worker
 * connects and the master accepts):
 *
 *   CLOSED --OPEN--> CONNECTING --ACCEPT (nonce echoed)--> UP
 *   CLOSED --LISTEN--> ACCEPTING --CONNECT--> UP (ACCEPT sent)
 *   CONNECTING, ACCEPTING, UP --failure, CUT, CLOSE--> DOWN
 *   DOWN, CLOSED --RESET--> CLOSED (re-armed; the next OPEN/LISTEN needs a
 *                                   newer epoch)
 *
 * Step order (every step): first the timers that @p now has reached expire
 * (probe timeout, retransmission timeout, probe), then the event is applied,
 * then, while UP, at most one complete message is delivered and the segments
 * due are listed for transmission (retransmissions first, in sequence order),
 * followed by an ACK if one is owed and no DATA carried it.
 *
 * Reliability:
 * - Segments are numbered (32-bit, wrapping). The sender keeps at most
 *   `window` segments in flight and never sends a sequence number at or past
 *   the receiver's advertised edge (ack + window of the newest ACK).
 * - The receiver acks every DATA at once with its cumulative ack, a 64-bit
 *   SACK bitmap and its credits: free reassembly slots
 *   (rx_window - segments received in order but not yet consumed).
 *   Duplicates and out-of-window segments are dropped, counted and acked.
 *   A receiver never discards a segment it has SACKed (no reneging), so the
 *   sender does not resend SACKed segments.
 * - Retransmission timeout per RFC 6298 (SRTT/RTTVAR, §2; Karn's rule, §3;
 *   one timer, §5; exponential backoff, §5.5), clamped to [rto_min,
 *   rto_max] (the RFC's 1 s floor is configurable here). On expiry
 *   every un-SACKed segment in flight is resent. After max_retx consecutive
 *   expirations without progress the next one takes the channel DOWN
 *   (RETX_EXHAUSTED): with RTO r, no new sample and no cap reached, DOWN
 *   comes r (1 + 2 + ... + 2^max_retx) after the first transmission; each
 *   term is capped at rto_max. CONNECT is retransmitted the same way (DOWN
 *   CONNECT_TIMEOUT).
 * - SEND is all-or-nothing: the whole message is copied into the bounded send
 *   buffer (sndbuf_segs segments) and queued, to go out as the window allows;
 *   if it does not fit, SEND returns -ENOBUFS and nothing is queued.
 * - Messages (0..msg_max bytes, msg_max <= 64 KiB) are cut into segments of
 *   tt_dc_seg_size() bytes (IPv4 MTU - 20 - 8 - 56) and reassembled in order.
 *   A complete message is delivered as TT_DC_A_DELIVER: a pointer into the
 *   channel's reassembly buffer, valid until the next step on the channel.
 *   One message per step: if another is already complete, TT_DC_A_MORE is
 *   set and tt_dc_next_deadline() returns an instant already reached.
 *
 * Liveness: while UP, a channel that has received no valid packet for
 * probe_interval sends a PROBE (and another every probe_interval while the
 * silence lasts; the peer answers PROBE_ACK). No valid packet for
 * probe_timeout -> DOWN (PROBE_TIMEOUT).
 *
 * DOWN: entered once, with a reason (TT_DC_DOWN_*) that is kept, counted and
 * readable; the step that enters it sets TT_DC_A_DOWN (the caller ties it to
 * the heartbeat) and, if the peer knew of the connection (from CONNECTING or
 * UP), lists the packet the reason calls for: RESET, CLOSE for a local CLOSE,
 * nothing for LINK_DOWN or when the peer itself ended it. Messages not yet
 * delivered or not yet acked are discarded. A DOWN channel answers every
 * packet of its epoch except RESET and CLOSE with a RESET.
 *
 * Bounded work: a step lists at most TT_DC_TX_MAX packets. Past the cap the
 * remaining segments stay queued, TT_DC_A_MORE is set and the next deadline
 * is already reached: step again (TT_DC_EV_TIMER) to continue. Nothing is
 * lost and no timer is disturbed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dc_wire.h"
#include "tt_time.h"

/** Channel states. X(name, printable) */
#define TT_DC_STATES(X)                                                                            \
	X(CLOSED, "closed")                                                                        \
	X(CONNECTING, "connecting")                                                                \
	X(ACCEPTING, "accepting")                                                                  \
	X(UP, "up")                                                                                \
	X(DOWN, "down")

enum tt_dc_state {
#define TT_X(name, str) TT_DC_S_##name,
	TT_DC_STATES(TT_X)
#undef TT_X
	TT_DC_S_COUNT
};

/** Events a channel is stepped with. X(name, printable) */
#define TT_DC_EVENTS(X)                                                                            \
	X(RX, "rx")                                                                                \
	X(TIMER, "timer")                                                                          \
	X(OPEN, "open")                                                                            \
	X(LISTEN, "listen")                                                                        \
	X(SEND, "send")                                                                            \
	X(LINK_DOWN, "link-down")                                                                  \
	X(CUT, "cut")                                                                              \
	X(CLOSE, "close")                                                                          \
	X(RESET, "reset")

enum tt_dc_event_type {
#define TT_X(name, str) TT_DC_EV_##name,
	TT_DC_EVENTS(TT_X)
#undef TT_X
	TT_DC_EV_COUNT
};

/**
 * Why a channel went DOWN. X(name, printable, packet sent to the peer:
 * a TT_DCW_T_* value or 0 for none). NONE is the value while never DOWN.
 */
#define TT_DC_DOWN_REASONS(X)                                                                      \
	X(NONE, "none", 0)                                                                         \
	X(CONNECT_TIMEOUT, "connect-timeout", TT_DCW_T_RESET)                                      \
	X(RETX_EXHAUSTED, "retx-exhausted", TT_DCW_T_RESET)                                        \
	X(PROBE_TIMEOUT, "probe-timeout", TT_DCW_T_RESET)                                          \
	X(PEER_RESET, "peer-reset", 0)                                                             \
	X(PEER_CLOSE, "peer-close", 0)                                                             \
	X(LINK_DOWN, "link-down", 0)                                                               \
	X(CUT, "cut", TT_DCW_T_RESET)                                                              \
	X(LOCAL_CLOSE, "local-close", TT_DCW_T_CLOSE)                                              \
	X(PROTOCOL, "protocol-error", TT_DCW_T_RESET)

enum tt_dc_down_reason {
#define TT_X(name, str, pkt) TT_DC_DOWN_##name,
	TT_DC_DOWN_REASONS(TT_X)
#undef TT_X
	TT_DC_DOWN_COUNT
};

/**
 * Why a received packet (already accepted by tt_dcw_parse()) was dropped by
 * the channel. X(name, printable)
 */
#define TT_DC_RX_REJECTS(X)                                                                        \
	X(NOT_OPEN, "channel is CLOSED")                                                           \
	X(WORKER, "worker id is not the channel's")                                                \
	X(CHANNEL, "channel index is not the channel's")                                           \
	X(STALE_EPOCH, "epoch is not the channel's")                                               \
	X(UNEXPECTED, "type not expected in this state or role")                                   \
	X(NONCE, "nonce is not the connection's")                                                  \
	X(ACK_INVALID, "ack or SACK covers a sequence number never sent")                          \
	X(DUPLICATE, "segment or handshake already received")                                      \
	X(OUT_OF_WINDOW, "segment at or past the advertised edge")                                 \
	X(PROTOCOL, "segment breaks the message stream: channel reset")                            \
	X(CHANNEL_DOWN, "channel is DOWN (answered with RESET unless RESET/CLOSE)")

enum tt_dc_rx_reject {
	TT_DC_RX_OK = 0,
#define TT_X(name, str) TT_DC_RX_##name,
	TT_DC_RX_REJECTS(TT_X)
#undef TT_X
	TT_DC_RX_REJECT_MAX
};

/** Which end of the connection this channel is. X(name, printable) */
#define TT_DC_ROLES(X)                                                                             \
	X(NONE, "none")                                                                            \
	X(CONNECTOR, "connector")                                                                  \
	X(ACCEPTOR, "acceptor")

enum tt_dc_role {
#define TT_X(name, str) TT_DC_ROLE_##name,
	TT_DC_ROLES(TT_X)
#undef TT_X
	TT_DC_ROLE_COUNT
};

/** Action flags in struct tt_dc_actions.flags. X(name, bit, printable) */
#define TT_DC_ACTIONS(X)                                                                           \
	X(TX, 0, "tx")                                                                             \
	X(STATE_CHANGE, 1, "state-change")                                                         \
	X(UP, 2, "up")                                                                             \
	X(DOWN, 3, "down")                                                                         \
	X(DELIVER, 4, "deliver")                                                                   \
	X(MORE, 5, "more")

enum tt_dc_action {
#define TT_X(name, bit, str) TT_DC_A_##name = 1u << (bit),
	TT_DC_ACTIONS(TT_X)
#undef TT_X
};

/** Most packets one step lists (see "Bounded work" above). */
#define TT_DC_TX_MAX 32

/** Channel configuration, copied by tt_dc_create(). */
struct tt_dc_config {
	uint32_t worker_id;
	uint16_t chan_idx;  /* 0..TT_DCW_MAX_CHANNELS-1 */
	uint16_t mtu;	    /* IPv4 MTU, 576..9216: sets the segment size */
	uint32_t msg_max;   /* largest message, 1..TT_DCW_MSG_MAX bytes */
	uint16_t window;    /* N: segments in flight, 1..TT_DCW_WINDOW_MAX */
	uint16_t rx_window; /* R: receive slots (credits), 1..TT_DCW_WINDOW_MAX */
	/**
	 * Send buffer in segments: at least window and at least the segments of
	 * one msg_max message, at most 65536. 0: that minimum plus window.
	 */
	uint32_t sndbuf_segs;
	tt_ns_t rto_init_ns; /* RTO before the first RTT sample */
	tt_ns_t rto_min_ns;  /* 0 < rto_min <= rto_init <= rto_max <= 1 h */
	tt_ns_t rto_max_ns;
	/**
	 * Clock granularity G of RFC 6298 §2: RTO = SRTT + max(G, 4 RTTVAR).
	 * Keeps the RTO above a perfectly steady RTT. 0 < G <= rto_max.
	 */
	tt_ns_t granularity_ns;
	uint8_t max_retx;	   /* retransmissions before DOWN (0: none) */
	tt_ns_t probe_interval_ns; /* 0 < probe_interval < probe_timeout */
	tt_ns_t probe_timeout_ns;
};

/** A channel: opaque, made by tt_dc_create(). */
struct tt_dc;

/**
 * Arguments of OPEN and LISTEN. The channel serves this epoch only: every
 * packet must carry it (a LISTENing end accepts only a CONNECT of it).
 */
struct tt_dc_open {
	uint32_t epoch; /* non-zero and newer (wrap-safe) than any this channel used */
	uint32_t isn;	/* initial sequence number of this end (any) */
	uint64_t nonce; /* OPEN: non-zero, unpredictable; LISTEN: ignored */
};

/** Arguments of SEND. */
struct tt_dc_msg {
	const void *data; /* may be NULL if len is 0 */
	uint32_t len;	  /* 0..msg_max */
};

/** One input to tt_dc_step(). */
struct tt_dc_event {
	enum tt_dc_event_type type;
	union {
		/** RX: a packet accepted by tt_dcw_parse(); valid during the step. */
		const struct tt_dcw_pkt *pkt;
		struct tt_dc_open open; /* OPEN, LISTEN */
		struct tt_dc_msg msg;	/* SEND: copied during the step */
	};
};

/**
 * A packet to send. type is a TT_DCW_T_* value; seq is the DATA sequence
 * number or the PROBE/PROBE_ACK probe id (unused for the other types).
 */
struct tt_dc_tx_req {
	uint8_t type;
	uint32_t seq;
};

/** What the caller must do after a step. */
struct tt_dc_actions {
	uint32_t flags;			      /* TT_DC_A_* */
	unsigned int n_tx;		      /* TT_DC_A_TX: packets in tx[] */
	struct tt_dc_tx_req tx[TT_DC_TX_MAX]; /* build each with tt_dc_build() */
	enum tt_dc_state old_state;	      /* state before and after the step */
	enum tt_dc_state new_state;
	enum tt_dc_down_reason down_reason; /* TT_DC_A_DOWN */
	/** TT_DC_A_DELIVER: the message, valid until the next step. */
	const uint8_t *msg;
	uint32_t msg_len;
	uint32_t msg_id;
	/** RX only: TT_DC_RX_OK, or why the packet was dropped. */
	enum tt_dc_rx_reject rx_verdict;
};

/** Channel counters. */
struct tt_dc_counters {
	uint64_t rx_events;			 /* RX events offered */
	uint64_t rx_by_type[TT_DCW_T_MAX];	 /* accepted, by type */
	uint64_t rx_reject[TT_DC_RX_REJECT_MAX]; /* dropped, by reason ([0] unused) */
	uint64_t tx_by_type[TT_DCW_T_MAX];	 /* listed for transmission, by type */
	uint64_t retransmits;			 /* DATA and CONNECT listed again */
	uint64_t rtt_samples;
	uint64_t msgs_queued;  /* SEND accepted */
	uint64_t send_refused; /* SEND failed (any errno) */
	uint64_t msgs_delivered;
	uint64_t bytes_delivered;
	uint64_t ups;
	uint64_t down_by_reason[TT_DC_DOWN_COUNT];
	uint64_t events_ignored; /* valid no-op events (e.g. CUT when DOWN) */
	uint64_t tx_cap_hits;	 /* steps that stopped at TT_DC_TX_MAX */
};

/** A snapshot of a channel's state, for telemetry and tests. */
struct tt_dc_info {
	enum tt_dc_state state;
	enum tt_dc_role role;
	enum tt_dc_down_reason down_reason; /* last DOWN's, kept across RESET */
	uint32_t epoch;
	uint16_t seg_size;
	uint32_t snd_una;    /* oldest unacked */
	uint32_t snd_nxt;    /* next never-sent */
	uint32_t snd_end;    /* end of the queued data */
	uint32_t peer_edge;  /* peer accepts seq < peer_edge */
	uint32_t rcv_nxt;    /* cumulative ack */
	uint32_t rcv_cons;   /* next segment to reassemble */
	uint16_t rcv_window; /* credits advertised now */
	bool rtt_valid;
	tt_ns_t srtt_ns;
	tt_ns_t rttvar_ns;
	tt_ns_t rto_ns;
	uint8_t backoffs; /* consecutive RTO expirations */
};

/** Fill cfg with defaults for worker_id/chan_idx 0 (a LAN with 1500-byte MTU). */
void tt_dc_config_default(struct tt_dc_config *cfg);

/**
 * Create a channel in state CLOSED. Allocates everything the channel will
 * ever use: the send buffer, the receive slots and the reassembly buffer.
 * Control path only.
 *
 * @return the channel, or NULL with errno EINVAL (invalid cfg) or ENOMEM.
 */
struct tt_dc *tt_dc_create(const struct tt_dc_config *cfg);

/** Free a channel (NULL is a no-op). Control path only. */
void tt_dc_destroy(struct tt_dc *ch);

/**
 * Step the channel (see "Step order" above). @p out is fully overwritten.
 *
 * @param ch   the channel; data lcore only.
 * @param ev   the event.
 * @param now  current time; must not go back between steps.
 * @param out  actions to carry out: DELIVER (copy the message out before the
 *             next step), TX (build and send each, in order), DOWN.
 * @return 0, or:
 *         -EINVAL    unknown event, RX without a packet, OPEN/LISTEN with
 *                    epoch 0, OPEN with nonce 0, SEND with NULL data and len > 0;
 *         -EALREADY  OPEN/LISTEN when not CLOSED (a DOWN channel needs RESET);
 *         -ESTALE    OPEN/LISTEN with an epoch not newer than the last used;
 *         -ENOTCONN  SEND when not UP;
 *         -EMSGSIZE  SEND longer than msg_max;
 *         -ENOBUFS   SEND that does not fit in the free send buffer;
 *         -EBUSY     RESET while CONNECTING, ACCEPTING or UP.
 *         On error the event had no effect (timers expired and queued work
 *         emitted as in any step). Rejected packets are not errors: see
 *         out->rx_verdict.
 */
int tt_dc_step(struct tt_dc *ch, const struct tt_dc_event *ev, tt_ns_t now,
	       struct tt_dc_actions *out);

/** tt_dc_step() with TT_DC_EV_RX. */
int tt_dc_rx(struct tt_dc *ch, const struct tt_dcw_pkt *pkt, tt_ns_t now,
	     struct tt_dc_actions *out);

/** tt_dc_step() with TT_DC_EV_TIMER. */
int tt_dc_tick(struct tt_dc *ch, tt_ns_t now, struct tt_dc_actions *out);

/** tt_dc_step() with TT_DC_EV_SEND. */
int tt_dc_send(struct tt_dc *ch, const void *data, uint32_t len, tt_ns_t now,
	       struct tt_dc_actions *out);

/**
 * Write the UDP payload of a packet listed by the last step into @p buf.
 * Ack, SACK and credits are the channel's current ones. Call before the next
 * step on the channel: a DATA segment acked since is gone.
 *
 * @param ch   the channel; data lcore only (reads it, writes nothing).
 * @param req  an entry of the last step's out->tx[].
 * @param buf  caller-owned buffer (e.g. an mbuf's UDP payload).
 * @param cap  bytes available in buf (TT_DCW_HDR_LEN + tt_dc_seg_size() suffice).
 * @return bytes written, or 0 if cap is too small, the type is unknown or
 *         the DATA segment is no longer in the send buffer.
 */
size_t tt_dc_build(const struct tt_dc *ch, const struct tt_dc_tx_req *req, uint8_t *buf,
		   size_t cap);

/**
 * The instant the channel must next be stepped (TT_DC_EV_TIMER): the earliest
 * of the retransmission timeout, the next probe and the probe timeout, or the
 * last step's `now` if work is left (TT_DC_A_MORE).
 *
 * @return true and *deadline set, or false if no timer runs (CLOSED,
 *         ACCEPTING, DOWN).
 */
bool tt_dc_next_deadline(const struct tt_dc *ch, tt_ns_t *deadline);

/** Payload bytes per segment. */
uint16_t tt_dc_seg_size(const struct tt_dc *ch);

/** Current state. */
enum tt_dc_state tt_dc_state(const struct tt_dc *ch);

/** The reason of the last DOWN (TT_DC_DOWN_NONE if never DOWN); kept across RESET. */
enum tt_dc_down_reason tt_dc_down_reason(const struct tt_dc *ch);

/** Snapshot of the channel's state. */
void tt_dc_info(const struct tt_dc *ch, struct tt_dc_info *info);

/** The channel's counters (valid as long as the channel). */
const struct tt_dc_counters *tt_dc_counters(const struct tt_dc *ch);

/** Printable names, from the X-macros above ("?" if out of range). */
const char *tt_dc_state_name(unsigned int state);
const char *tt_dc_event_name(unsigned int type);
const char *tt_dc_down_reason_name(unsigned int reason);
const char *tt_dc_rx_reject_name(unsigned int reason); /* short, e.g. "STALE_EPOCH" */
const char *tt_dc_rx_reject_rule(unsigned int reason); /* the rule text */
const char *tt_dc_role_name(unsigned int role);
const char *tt_dc_action_name(unsigned int action_flag);

/** The packet a DOWN reason sends to the peer (TT_DCW_T_*), 0 for none. */
uint8_t tt_dc_down_reason_pkt(unsigned int reason);

#endif /* TT_DC_FSM_H */
