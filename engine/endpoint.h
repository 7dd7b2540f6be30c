/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_ENDPOINT_H
#define TT_ENDPOINT_H

/**
 * @file
 * INTERNAL to engine/: what the two endpoints (master.c, worker.c) share. Not
 * an API for drivers, apps or tests; they use master.h and worker.h.
 *
 * An endpoint drives heartbeat sessions (hb_fsm.h) and data channels
 * (dc_fsm.h) over the transport of node_io.h, keeps one timer per object on a
 * timing wheel, records fencing events on a timeline and routes channel-downs
 * through the association (fence.h). The plumbing for that is the same at
 * both ends and lives here:
 *  - struct tt_ep: the io ops, the wheel, the event queue, the timeline, the
 *    owner's two apply functions and pointers to the owner's counters, so
 *    that every drop is counted where the owner's public counters say;
 *  - struct tt_ep_hb / struct tt_ep_chan: a session or a channel with its
 *    timer, the addressing of what it sends and its owner;
 *  - transmit (tx_buf, build, sign, tx_send, count), timers (re-arm, fire),
 *    the BFD transport checks of received heartbeats, the timeline record;
 *  - authentication (auth.h): a heartbeat's struct tt_auth_bfd lives in its
 *    struct tt_ep_hb, a channel's struct tt_auth_dc in its struct
 *    tt_ep_chan; packets are signed on the way out and verified on the way
 *    in, before a session or a channel sees them;
 *  - a fresh local discriminator for a session that starts again
 *    (tt_ep_hb_renew()).
 * What a step's actions mean for the endpoint (its state, the scheduler, the
 * runner) stays in master.c and worker.c, in the apply functions the owner
 * hands to tt_ep_init(); timers and tt_ep_chan_event() call them.
 *
 * Execution context: the thread that owns the endpoint, or with split
 * planes the thread of each plane: heartbeat functions (tt_ep_hb_*) on the
 * HB plane's, channel functions (tt_ep_chan_*) on the DC plane's; no liburcu
 * requirement. Memory is allocated in tt_ep_init() and tt_ep_chan_init()
 * only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "bfd_wire.h"
#include "dc_fsm.h"
#include "evq.h"
#include "fence.h"
#include "hb_fsm.h"
#include "hb_policy.h"
#include "node_io.h"
#include "timer_wheel.h"
#include "tt_time.h"

struct tt_ep_chan;

/**
 * Carry out a step of the heartbeat session owned by @p owner (the owner
 * given to tt_ep_hb_init()).
 */
typedef void (*tt_ep_hb_apply_fn)(void *owner, const struct tt_hb_actions *act, tt_ns_t now);

/**
 * Carry out a step of channel @p c; @p act may be reused for the further
 * steps tt_ep_chan_more() asks for.
 */
typedef void (*tt_ep_dc_apply_fn)(struct tt_ep_chan *c, struct tt_dc_actions *act, tt_ns_t now);

/**
 * Authentication at an endpoint, copied from the owner's configuration
 * (struct tt_master_auth_config / tt_worker_auth_config, same fields).
 * Checked by tt_ep_auth_check().
 */
struct tt_ep_auth {
	const struct tt_auth_keyring *keys;   /* NULL: no authentication at all */
	const struct tt_auth_crypto_ops *ops; /* the owner thread's primitives */
	uint8_t bfd_type;		      /* 0: heartbeats not authenticated */
	bool dc_mac;			      /* MAC trailer on every channel datagram */
	uint64_t seed;			      /* random initial bfd.XmitAuthSeq */
};

/**
 * The counters one plane writes. With split planes each plane has its own
 * set (no counter is written by two threads); otherwise both point to the
 * same.
 */
struct tt_ep_plane_counters {
	struct tt_io_tx_counters *tx;
	uint64_t *sign_failed; /* packets not sent: signing failed */
	uint64_t *timers_fired;
	uint64_t *step_errors;
};

/** What tt_ep_init() needs. The counter pointers must stay valid. */
struct tt_ep_config {
	enum tt_hb_role role;	/* written on every timeline event */
	struct tt_io_ops io;	/* tx_buf and tx_send set: the HB plane's transport */
	struct tt_io_ops io_dc; /* the DC plane's transport (split planes; else io) */
	uint16_t dc_lcore;	/* lcore of every channel (fence routing) */
	tt_ns_t granularity_ns; /* timer granularity g: sizes the wheel's tick */
	uint32_t timeline_cap;	/* >= 1 */
	uint32_t n_chan;	/* channels served in all: sizes the event queue */
	uint32_t n_sessions;	/* heartbeat sessions served: sizes the DC plane's queue */
	/**
	 * The heartbeat plane and the data plane run on two threads (DESIGN.md
	 * §4): each plane gets its own wheel, timeline and inbound event queue;
	 * channels use io_dc and the dc counters.
	 */
	bool split_planes;
	tt_ep_hb_apply_fn hb_apply;
	tt_ep_dc_apply_fn dc_apply;
	struct tt_ep_auth auth;
	struct tt_ep_plane_counters hb; /* written by the HB plane */
	struct tt_ep_plane_counters dc; /* written by the DC plane (== hb unless split) */
	struct tt_bfd_rx_counters *hb_rx;
	uint64_t *hb_auth; /* [TT_AUTH_BFD_REJECT_MAX]: verify verdicts (HB plane) */
	uint64_t *dc_auth; /* [TT_AUTH_DC_REJECT_MAX]: verify verdicts (DC plane) */
};

/**
 * The shared part of an endpoint, in two planes. The heartbeat plane owns
 * tw, evq (its inbound queue: DC -> HB events) and tl; the data plane owns
 * tw_dc, evq_dc (HB -> DC events) and tl_dc. Without split planes tw_dc and
 * tl_dc are tw and tl, and evq_dc is NULL (the HB plane calls the DC plane's
 * handlers directly).
 */
struct tt_ep {
	struct tt_ep_config cfg;
	struct tt_tw *tw;
	struct tt_evq *evq;
	struct tt_fence_tl *tl;
	struct tt_tw *tw_dc;
	struct tt_evq *evq_dc;
	struct tt_fence_tl *tl_dc;
};

/*
 * Cross-plane events, carried in struct tt_evq_event (type above the
 * TT_EVQ_EV_* types; worker_id, epoch, chan_idx, reason as noted).
 * X(name, printable, direction)
 */
#define TT_EP_XEVS(X)                                                                              \
	X(HB_UP, "hb-up", "hb->dc")		/* master: session entered Up */                   \
	X(HB_DOWN, "hb-down", "hb->dc")		/* master: session left Up */                      \
	X(SILENCED, "silenced", "hb->dc")	/* master: session disconnected */                 \
	X(WORKER_DEAD, "worker-dead", "hb->dc") /* master: T1 ran out; epoch: the dead one */      \
	X(QUIET, "quiet-reset", "hb->dc")	/* master: reset a silent joining incarnation */   \
	X(CONNECT, "connect", "hb->dc")		/* worker: open the channels under epoch */        \
	X(FENCE, "fence", "hb->dc")		/* worker: fence; reason: the action */            \
	X(REJOIN, "rejoin", "hb->dc")		/* worker: runner and channels to new epoch */     \
	X(LIVE, "live", "dc->hb")		/* worker: every channel up in epoch */

/** First cross-plane event type: above the evq.h types. */
#define TT_EP_XEV_BASE 16u

enum tt_ep_xev {
#define TT_X(name, str, dir) TT_EP_XEV_##name,
	TT_EP_XEVS(TT_X)
#undef TT_X
	TT_EP_XEV_COUNT
};

/** Printable name of a cross-plane event (enum tt_ep_xev), "?" out of range. */
const char *tt_ep_xev_name(unsigned int xev);

/**
 * Post a cross-plane event to @p q (the other plane's inbound queue).
 *
 * @return 0, or -ENOBUFS (queue full: a sizing bug, the caller counts it).
 */
int tt_ep_xpost(struct tt_evq *q, enum tt_ep_xev xev, uint32_t worker, uint32_t epoch, uint8_t chan,
		uint8_t reason, tt_ns_t now);

/** The cross-plane event of a dequeued event, or TT_EP_XEV_COUNT if it is not one. */
enum tt_ep_xev tt_ep_xev_of(const struct tt_evq_event *ev);

/** Record one event on the DC plane's timeline (tl_dc). */
void tt_ep_tl_push_dc(struct tt_ep *ep, tt_ns_t now, unsigned int kind, uint32_t worker,
		      uint32_t epoch, unsigned int chan, uint32_t aux, uint64_t val);

/** A heartbeat session, its timer and the addressing of its packets. */
struct tt_ep_hb {
	struct tt_hb_session sess;
	struct tt_hb_config hc; /* the session's config: current timers and discriminator */
	struct tt_timer tm;
	struct tt_udp_meta meta;
	struct tt_ep *ep;
	void *owner;		 /* what the session belongs to (the worker, a master's peer) */
	bool authed;		 /* heartbeats signed and verified with auth */
	struct tt_auth_bfd auth; /* RFC 5880 §6.8.1 auth state, kept across tt_ep_hb_renew() */
};

/** A data channel, its timer and the addressing of its packets. */
struct tt_ep_chan {
	struct tt_dc *dc;
	struct tt_timer tm;
	struct tt_udp_meta meta;
	struct tt_ep *ep;
	void *owner; /* what the channel belongs to (the worker, a master's peer) */
	uint32_t worker_id;
	uint8_t idx;
	bool cut;		/* cut by the operator */
	bool authed;		/* datagrams carry and need the MAC trailer */
	bool auth_ready;	/* auth initialised (tt_ep_chan_auth_start()) */
	struct tt_auth_dc auth; /* MAC state of the current incarnation */
};

/**
 * Copy the configuration; create the wheel, the event queue and the timeline.
 *
 * @return 0, or -ENOMEM (errno as the failed allocation left it); call
 *         tt_ep_fini() either way when done.
 */
int tt_ep_init(struct tt_ep *ep, const struct tt_ep_config *cfg, tt_ns_t now);

/** Free what tt_ep_init() created (a zeroed or half-made ep is fine). */
void tt_ep_fini(struct tt_ep *ep);

/**
 * Check an endpoint's authentication settings: with keys NULL nothing may be
 * enabled; bfd_type is 0 or a SHA1 type (RFC 5880 §6.7.4) and the ring's
 * first heartbeat key (the one sent with) is of that type, with ops->sha1;
 * dc_mac needs a data-channel key and ops->hmac_sha256.
 *
 * @param who  "master" or "worker", for the message.
 * @return 0, or -EINVAL with @p err naming the bad value and what is allowed.
 */
int tt_ep_auth_check(const struct tt_ep_auth *a, const char *who, char *err, size_t err_len);

/** Record one event on the HB plane's timeline (tl) with the endpoint's role. */
void tt_ep_tl_push(struct tt_ep *ep, tt_ns_t now, unsigned int kind, uint32_t worker,
		   uint32_t epoch, unsigned int chan, uint32_t aux, uint64_t val);

/* ---- heartbeat ---- */

/**
 * Initialise the session (tt_hb_init()), its authentication state when the
 * endpoint authenticates heartbeats (hc->auth is then forced on), and its
 * timer, which calls tt_ep_hb_fire(). The addressing (meta) is the caller's
 * to set.
 *
 * @return tt_hb_init()'s or tt_auth_bfd_init()'s result.
 */
int tt_ep_hb_init(struct tt_ep *ep, struct tt_ep_hb *h, const struct tt_hb_config *hc, tt_ns_t now,
		  void *owner);

/** Addressing of heartbeats: RFC 5881 §4 (port 3784) and §5 (TTL 255). */
struct tt_udp_meta tt_ep_hb_meta(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port);

/** Arm the session's timer at its next deadline, or cancel it (none, or @p stopped). */
void tt_ep_hb_rearm(struct tt_ep_hb *h, bool stopped);

/** The session's timer is due: count it, tick the session, apply the step. */
void tt_ep_hb_fire(struct tt_ep_hb *h, tt_ns_t now);

/**
 * Send the packet a step asks for (TT_HB_A_TX), if any: with authentication
 * prepared, built and signed (RFC 5880 §6.7.4); a packet that cannot be
 * signed is not sent (counted in sign_failed).
 */
void tt_ep_hb_tx(struct tt_ep_hb *h, const struct tt_hb_actions *act);

/**
 * Start the session again as a new BFD session with local discriminator
 * @p local_disc (non-zero): state Down, remote forgotten, the current timers,
 * the first packet sent at @p now (into @p act). The authentication state is
 * kept, so the peer sees the sequence numbers go on (RFC 5880 §6.7.4). Used
 * instead of RECONNECT when an incarnation ends: packets captured before
 * carry a Your Discriminator that no longer selects the session (§6.8.6),
 * even once the auth sequence window is forgotten (§6.8.1). The session's
 * counters start again from zero.
 *
 * @return 0; carry out @p act.
 */
int tt_ep_hb_renew(struct tt_ep_hb *h, uint32_t local_disc, uint64_t seed, tt_ns_t now,
		   struct tt_hb_actions *act);

/**
 * Admit a parsed heartbeat to its session, before tt_ep_hb_input(): a non-zero
 * Your Discriminator must be the session's (RFC 5880 §6.8.6), then, with
 * authentication, tt_auth_bfd_verify() on the received bytes. A reject is
 * counted (hb_rx, the session's counters, and the auth sub-reason in
 * hb_auth) and the packet must be dropped without stepping the session.
 *
 * @return TT_BFD_RX_OK, TT_BFD_RX_NO_SESSION, TT_BFD_RX_AUTH_MISSING or
 *         TT_BFD_RX_AUTH_FAILED.
 */
enum tt_bfd_rx_reject tt_ep_hb_admit(struct tt_ep_hb *h, const struct tt_bfd_ctrl *pkt,
				     const uint8_t *buf, size_t len, tt_ns_t now);

/**
 * Transport checks (RFC 5881 §5 TTL, §4 ports) and parse (RFC 5880 §6.8.6)
 * of a received heartbeat. A reject is counted in hb_rx; OK is not (the
 * caller counts it once the datagram has found its session).
 */
enum tt_bfd_rx_reject tt_ep_hb_parse(struct tt_ep *ep, const struct tt_udp_meta *meta,
				     const uint8_t *buf, size_t len, struct tt_bfd_ctrl *pkt);

/**
 * Hand a parsed heartbeat to its session (counted OK in hb_rx).
 *
 * @return 0 if the session accepted it, -EPROTO if not; carry out @p act
 *         either way.
 */
int tt_ep_hb_input(struct tt_ep_hb *h, const struct tt_bfd_ctrl *pkt, tt_ns_t now,
		   struct tt_hb_actions *act);

/**
 * Step the session with new timers (a Poll Sequence, RFC 5880 §6.5).
 *
 * @return 0, or a negative errno with @p err set; carry out @p act either way.
 */
int tt_ep_hb_set_timers(struct tt_ep_hb *h, const struct tt_hb_timers *timers, tt_ns_t now,
			struct tt_hb_actions *act, char *err, size_t err_len);

/** The step took the session (back) into Up: a new Up period starts. */
bool tt_ep_hb_entered_up(const struct tt_hb_actions *act);

/** The step ended an Up period (left Up, or detection expired in Up). */
bool tt_ep_hb_left_up(const struct tt_hb_actions *act);

/* ---- data channels ---- */

/**
 * Create channel @p idx of worker @p worker_id from the template and set up
 * its timer, which applies its ticks with the endpoint's dc_apply, and its
 * MAC state (as for epoch 0) when the endpoint authenticates channels; the
 * channel's mtu is then the template's less TT_DCW_MAC_LEN, so that a full
 * segment with its trailer still fits the MTU. The addressing (meta) is the
 * caller's to set.
 *
 * @return 0, or -1 with errno from tt_dc_create() or tt_auth_dc_init().
 */
int tt_ep_chan_init(struct tt_ep *ep, struct tt_ep_chan *c, const struct tt_dc_config *tmpl,
		    uint32_t worker_id, unsigned int idx, void *owner);

/** Addressing of data-channel packets (TTL 64). */
struct tt_udp_meta tt_ep_dc_meta(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
				 uint16_t dst_port);

/** Arm the channel's timer at its next deadline, or cancel it (none, or @p stopped). */
void tt_ep_chan_rearm(struct tt_ep_chan *c, bool stopped);

/**
 * A new incarnation of the channel starts (call right before OPEN or
 * LISTEN): its MAC state starts again, sending from (epoch << 32) | 1, above
 * everything an earlier incarnation sent under the same key, with an empty
 * replay window. No-op without authentication.
 */
void tt_ep_chan_auth_start(struct tt_ep_chan *c, uint32_t epoch);

/**
 * Verify a parsed datagram's MAC (tt_auth_dc_verify()) before the channel
 * sees it; the verdict is counted in dc_auth. Always TT_AUTH_DC_OK without
 * authentication.
 */
enum tt_auth_dc_reject tt_ep_chan_verify(struct tt_ep_chan *c, const uint8_t *buf, size_t len);

/**
 * Step the channel with @p ev and apply the step.
 *
 * @return tt_dc_step()'s result.
 */
int tt_ep_chan_event(struct tt_ep_chan *c, const struct tt_dc_event *ev, tt_ns_t now);

/**
 * Hand a parsed packet to the channel (tt_dc_rx()) and apply the step.
 *
 * @return 0 if the channel accepted it, -EPROTO if not (its counters say why).
 */
int tt_ep_chan_input(struct tt_ep_chan *c, const struct tt_dcw_pkt *pkt, tt_ns_t now);

/**
 * Send the packets a step asks for (TT_DC_A_TX), in order; with
 * authentication each with the MAC trailer, signed.
 */
void tt_ep_chan_tx(struct tt_ep_chan *c, const struct tt_dc_actions *act);

/**
 * After a step's actions are carried out: if another complete message waits
 * (TT_DC_A_MORE), tick the channel again into @p act.
 *
 * @return true if @p act holds a new step to carry out.
 */
bool tt_ep_chan_more(struct tt_ep_chan *c, tt_ns_t now, struct tt_dc_actions *act);

/** The peer knows of the channel: CONNECTING, ACCEPTING or UP. */
bool tt_ep_chan_in_use(const struct tt_ep_chan *c);

/**
 * The channel went DOWN: tell the association (tt_fence_chan_down()).
 *
 * @return the route; DIRECT: the caller silences the session now.
 */
enum tt_fence_route tt_ep_chan_down(const struct tt_ep_chan *c, struct tt_fence_assoc *a,
				    unsigned int reason, tt_ns_t now);

/* ---- create helpers ---- */

/** Initialise an association of @p n_chan channels, all on @p dc_lcore. */
void tt_ep_assoc_init(struct tt_fence_assoc *a, uint32_t worker_id, uint8_t n_chan,
		      uint16_t hb_lcore, uint16_t dc_lcore);

/**
 * The timing rule for a master/worker timer pair (tt_hb_policy_check(),
 * skipped when @p skip_check) and the policy times (tt_hb_policy_compute()).
 *
 * @return 0, or a negative errno with @p err naming the broken rule.
 */
int tt_ep_check_policy(const struct tt_hb_timers *master, const struct tt_hb_timers *worker,
		       tt_ns_t d_max_ns, tt_ns_t granularity_ns, bool skip_check,
		       struct tt_hb_policy_times *out, char *err, size_t err_len);

/** snprintf into a caller's error buffer; nothing if @p err is NULL or @p len 0. */
__attribute__((format(printf, 3, 4))) void tt_ep_set_err(char *err, size_t len, const char *fmt,
							 ...);

#endif /* TT_ENDPOINT_H */
