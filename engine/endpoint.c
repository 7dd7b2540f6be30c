/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The plumbing the master and the worker endpoints share (endpoint.h):
 * transmit through the caller's io ops, timers on the wheel, the heartbeat
 * transport checks, authentication of both kinds of packets, the timeline
 * record, and the create-time checks.
 */
#include "endpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dc_wire.h"
#include "tt_names.h"

#define TW_SHIFT_MAX  20 /* ~1 ms ticks at most: timers never fire early anyway */
#define DC_TTL	      64
#define DCW_OFF_FLAGS 2 /* engine/dc_wire.h header table: flags byte */

/* The largest wheel tick (a power of two) that is not above the granularity. */
static unsigned int tw_shift(tt_ns_t g)
{
	unsigned int s = 0;

	while (s < TW_SHIFT_MAX && (2ull << s) <= g)
		s++;
	return s;
}

static uint32_t evq_cap_for(uint32_t n)
{
	uint32_t cap = TT_EVQ_MIN_CAPACITY;

	while (cap < n && cap < TT_EVQ_MAX_CAPACITY)
		cap <<= 1;
	return cap;
}

/*
 * Queue sizes. DC -> HB: fence.h, a queue of at least twice the channels it
 * serves never fills; a worker also posts one LIVE per incarnation. HB -> DC
 * (split planes): a session posts at most one event per state change and a
 * pass steps it at most once per received heartbeat (a burst of at most 256)
 * or timer, so 8 per session plus a burst's worth is never reached when the
 * DC plane drains every pass.
 */
int tt_ep_init(struct tt_ep *ep, const struct tt_ep_config *cfg, tt_ns_t now)
{
	ep->cfg = *cfg;
	if (!cfg->split_planes) {
		ep->cfg.io_dc = cfg->io;
		ep->cfg.dc = cfg->hb;
	}
	ep->evq = tt_evq_create(evq_cap_for(4u * cfg->n_chan + 2u * cfg->n_sessions));
	ep->tw = tt_tw_create(tw_shift(cfg->granularity_ns), now);
	ep->tl = tt_fence_tl_create(cfg->timeline_cap);
	if (ep->evq == NULL || ep->tw == NULL || ep->tl == NULL)
		return -ENOMEM;
	if (!cfg->split_planes) {
		ep->tw_dc = ep->tw;
		ep->tl_dc = ep->tl;
		return 0;
	}
	ep->evq_dc = tt_evq_create(evq_cap_for(8u * cfg->n_sessions + 512u));
	ep->tw_dc = tt_tw_create(tw_shift(cfg->granularity_ns), now);
	ep->tl_dc = tt_fence_tl_create(cfg->timeline_cap);
	if (ep->evq_dc == NULL || ep->tw_dc == NULL || ep->tl_dc == NULL)
		return -ENOMEM;
	return 0;
}

void tt_ep_fini(struct tt_ep *ep)
{
	if (ep->tw_dc != ep->tw)
		tt_tw_destroy(ep->tw_dc);
	if (ep->tl_dc != ep->tl)
		tt_fence_tl_destroy(ep->tl_dc);
	tt_evq_destroy(ep->evq_dc);
	tt_evq_destroy(ep->evq);
	tt_tw_destroy(ep->tw);
	tt_fence_tl_destroy(ep->tl);
	ep->evq = NULL;
	ep->tw = NULL;
	ep->tl = NULL;
	ep->evq_dc = NULL;
	ep->tw_dc = NULL;
	ep->tl_dc = NULL;
}

static const char *const xev_names[] = {
#define TT_X(name, str, dir) str,
	TT_EP_XEVS(TT_X)
#undef TT_X
};

const char *tt_ep_xev_name(unsigned int xev)
{
	return TT_NAME_AT(xev_names, xev, "?");
}

int tt_ep_xpost(struct tt_evq *q, enum tt_ep_xev xev, uint32_t worker, uint32_t epoch, uint8_t chan,
		uint8_t reason, tt_ns_t now)
{
	struct tt_evq_event ev = {
		.ts_ns = now,
		.worker_id = worker,
		.epoch = epoch,
		.type = (uint8_t)(TT_EP_XEV_BASE + (unsigned int)xev),
		.chan_idx = chan,
		.reason = reason,
	};

	return tt_evq_enqueue(q, &ev);
}

enum tt_ep_xev tt_ep_xev_of(const struct tt_evq_event *ev)
{
	if (ev->type < TT_EP_XEV_BASE || ev->type >= TT_EP_XEV_BASE + TT_EP_XEV_COUNT)
		return TT_EP_XEV_COUNT;
	return (enum tt_ep_xev)(ev->type - TT_EP_XEV_BASE);
}

static void tl_push(struct tt_ep *ep, struct tt_fence_tl *tl, tt_ns_t now, unsigned int kind,
		    uint32_t worker, uint32_t epoch, unsigned int chan, uint32_t aux, uint64_t val)
{
	struct tt_fence_event ev = {
		.time_ns = now,
		.val = val,
		.worker = worker,
		.epoch = epoch,
		.aux = aux,
		.kind = (uint16_t)kind,
		.chan = (uint8_t)chan,
		.role = (uint8_t)ep->cfg.role,
	};

	tt_fence_tl_push(tl, &ev);
}

void tt_ep_tl_push(struct tt_ep *ep, tt_ns_t now, unsigned int kind, uint32_t worker,
		   uint32_t epoch, unsigned int chan, uint32_t aux, uint64_t val)
{
	tl_push(ep, ep->tl, now, kind, worker, epoch, chan, aux, val);
}

void tt_ep_tl_push_dc(struct tt_ep *ep, tt_ns_t now, unsigned int kind, uint32_t worker,
		      uint32_t epoch, unsigned int chan, uint32_t aux, uint64_t val)
{
	tl_push(ep, ep->tl_dc, now, kind, worker, epoch, chan, aux, val);
}

int tt_ep_auth_check(const struct tt_ep_auth *a, const char *who, char *err, size_t err_len)
{
	if (a->keys == NULL) {
		if (a->bfd_type == 0 && !a->dc_mac)
			return 0;
		tt_ep_set_err(
			err, err_len,
			"%s auth: bfd_type %u / dc_mac %d set without a key ring: allowed only "
			"with auth.keys",
			who, a->bfd_type, a->dc_mac);
		return -EINVAL;
	}
	if (a->ops == NULL) {
		tt_ep_set_err(err, err_len, "%s auth: keys set but ops NULL: allowed only with ops",
			      who);
		return -EINVAL;
	}
	if (a->bfd_type != 0) {
		/* RFC 5880 §6.7.4: the two SHA1 types; tether offers no MD5. */
		if (a->bfd_type != TT_BFD_AUTH_KEYED_SHA1 &&
		    a->bfd_type != TT_BFD_AUTH_METICULOUS_KEYED_SHA1) {
			tt_ep_set_err(
				err, err_len,
				"%s auth: bfd_type %u: allowed 0 (none), %u (Keyed SHA1) or %u "
				"(Meticulous Keyed SHA1)",
				who, a->bfd_type, TT_BFD_AUTH_KEYED_SHA1,
				TT_BFD_AUTH_METICULOUS_KEYED_SHA1);
			return -EINVAL;
		}
		/* auth.h: the ring's first key is the one a node sends with. */
		if (a->keys->n_bfd == 0 || a->keys->bfd[0].type != a->bfd_type ||
		    a->ops->sha1 == NULL) {
			tt_ep_set_err(
				err, err_len,
				"%s auth: bfd_type %u needs the key ring's first bfd key of that "
				"type (ring has %u bfd keys, first of type %u) and ops->sha1",
				who, a->bfd_type, a->keys->n_bfd,
				a->keys->n_bfd > 0 ? a->keys->bfd[0].type : 0u);
			return -EINVAL;
		}
	}
	if (a->dc_mac && (a->keys->n_dc == 0 || a->ops->hmac_sha256 == NULL)) {
		tt_ep_set_err(err, err_len,
			      "%s auth: dc_mac needs a dc key in the key ring (it has %u) and "
			      "ops->hmac_sha256",
			      who, a->keys->n_dc);
		return -EINVAL;
	}
	return 0;
}

/* ---- transmit ---- */

/*
 * The node_io.h buffer contract in two halves: tx_begin() takes a buffer
 * (NULL: counted as no_buf, nothing to hand back), tx_end() hands it back,
 * sent (len > 0) or unsent (len 0). Every outcome is counted.
 */
static uint8_t *tx_begin(const struct tt_io_ops *io, const struct tt_ep_plane_counters *pc,
			 size_t *cap)
{
	uint8_t *buf;

	*cap = 0;
	buf = io->tx_buf(io->ctx, cap);
	if (buf == NULL)
		pc->tx->no_buf++;
	return buf;
}

static void tx_end(const struct tt_io_ops *io, const struct tt_ep_plane_counters *pc,
		   const struct tt_udp_meta *meta, uint8_t *buf, size_t len)
{
	if (io->tx_send(io->ctx, meta, buf, len) < 0 && len > 0)
		pc->tx->send_failed++;
	else if (len > 0)
		pc->tx->sent++;
}

/* ---- heartbeat ---- */

static void hb_timer_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	(void)t;
	tt_ep_hb_fire(arg, now);
}

int tt_ep_hb_init(struct tt_ep *ep, struct tt_ep_hb *h, const struct tt_hb_config *hc, tt_ns_t now,
		  void *owner)
{
	const struct tt_ep_auth *a = &ep->cfg.auth;

	h->ep = ep;
	h->owner = owner;
	h->hc = *hc;
	h->authed = a->keys != NULL && a->bfd_type != 0;
	tt_timer_init(&h->tm, hb_timer_fn, h);
	if (h->authed) {
		struct tt_auth_bfd_config ac = {
			.keys = a->keys,
			.ops = a->ops,
			.tx_key_id = a->keys->bfd[0].id,
			.local_min_rx_us = hc->timers.required_min_rx_us,
			.keyed_accept_same_seq = false,
			/* §6.8.1: a random start, different for every session. */
			.seed = a->seed ^ hc->seed ^ (uint64_t)hc->local_disc << 32,
		};
		int rc = tt_auth_bfd_init(&h->auth, &ac);

		if (rc < 0)
			return rc;
		/* §6.8.6: the A bit must match bfd.AuthType; the digest is ours. */
		h->hc.auth = true;
	}
	return tt_hb_init(&h->sess, &h->hc, now);
}

int tt_ep_hb_renew(struct tt_ep_hb *h, uint32_t local_disc, uint64_t seed, tt_ns_t now,
		   struct tt_hb_actions *act)
{
	int rc;

	h->hc.local_disc = local_disc;
	h->hc.seed = seed;
	/* Same config as the running session but for the discriminator: cannot fail. */
	rc = tt_hb_init(&h->sess, &h->hc, now);
	if (rc < 0) {
		memset(act, 0, sizeof(*act));
		return rc;
	}
	/* tt_hb_init() makes the first packet due at `now`: send it. */
	return tt_hb_tick(&h->sess, now, act);
}

struct tt_udp_meta tt_ep_hb_meta(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port)
{
	return (struct tt_udp_meta){
		.src_ip = src_ip,
		.dst_ip = dst_ip,
		.src_port = src_port,
		.dst_port = TT_BFD_UDP_PORT, /* RFC 5881 §4 */
		.ttl = TT_BFD_TTL,	     /* RFC 5881 §5 */
	};
}

void tt_ep_hb_rearm(struct tt_ep_hb *h, bool stopped)
{
	tt_ns_t d;

	if (!stopped && tt_hb_next_deadline(&h->sess, &d))
		tt_tw_arm(h->ep->tw, &h->tm, d);
	else
		tt_tw_cancel(h->ep->tw, &h->tm);
}

void tt_ep_hb_fire(struct tt_ep_hb *h, tt_ns_t now)
{
	struct tt_hb_actions act;

	(*h->ep->cfg.hb.timers_fired)++;
	if (tt_hb_tick(&h->sess, now, &act) < 0)
		(*h->ep->cfg.hb.step_errors)++;
	h->ep->cfg.hb_apply(h->owner, &act, now);
}

void tt_ep_hb_tx(struct tt_ep_hb *h, const struct tt_hb_actions *act)
{
	struct tt_ep *ep = h->ep;
	struct tt_bfd_ctrl pkt;
	uint8_t *buf;
	size_t cap, len;

	/* hb_fsm.h: a step asks for at most one packet. */
	if (!(act->flags & TT_HB_A_TX) || act->n_tx == 0)
		return;
	buf = tx_begin(&ep->cfg.io, &ep->cfg.hb, &cap);
	if (buf == NULL)
		return;
	pkt = act->tx[0];
	/* auth.h node layer: prepare, build, sign the built bytes. */
	if (h->authed)
		tt_auth_bfd_prepare(&h->auth, &pkt);
	len = tt_bfd_build(&pkt, buf, cap);
	if (len == 0) {
		ep->cfg.hb.tx->build_failed++;
	} else if (h->authed && tt_auth_bfd_sign(&h->auth, buf, len) < 0) {
		/* auth.h: a packet that could not be signed is not sent. */
		(*ep->cfg.hb.sign_failed)++;
		len = 0;
	}
	tx_end(&ep->cfg.io, &ep->cfg.hb, &h->meta, buf, len);
}

enum tt_bfd_rx_reject tt_ep_hb_parse(struct tt_ep *ep, const struct tt_udp_meta *meta,
				     const uint8_t *buf, size_t len, struct tt_bfd_ctrl *pkt)
{
	/* RFC 5881 §5 (TTL 255) and §4 (ports), then RFC 5880 §6.8.6. */
	enum tt_bfd_rx_reject r = tt_bfd_check_transport(meta->ttl, meta->src_port, meta->dst_port);

	if (r == TT_BFD_RX_OK)
		r = tt_bfd_parse(buf, len, pkt);
	if (r != TT_BFD_RX_OK)
		ep->cfg.hb_rx->by_reason[r]++;
	return r;
}

/*
 * Contract: see endpoint.h. The discriminator is checked first so that a
 * packet of an earlier session (a replay after tt_ep_hb_renew()) is dropped
 * without touching the auth sequence state: once §6.8.1 has let that state
 * forget the sequence, the digest of such a packet would pass again.
 */
enum tt_bfd_rx_reject tt_ep_hb_admit(struct tt_ep_hb *h, const struct tt_bfd_ctrl *pkt,
				     const uint8_t *buf, size_t len, tt_ns_t now)
{
	enum tt_auth_bfd_reject why = TT_AUTH_BFD_OK;
	enum tt_bfd_rx_reject r = TT_BFD_RX_OK;

	/* RFC 5880 §6.8.6: a non-zero Your Discriminator selects the session. */
	if (pkt->your_disc != 0 && pkt->your_disc != h->hc.local_disc) {
		r = TT_BFD_RX_NO_SESSION;
	} else if (h->authed) {
		/* RFC 5880 §6.7.4, before the session sees anything (§6.8.6). */
		r = tt_auth_bfd_verify(&h->auth, buf, len, now, &why);
		h->ep->cfg.hb_auth[why]++;
	}
	if (r != TT_BFD_RX_OK) {
		h->ep->cfg.hb_rx->by_reason[r]++;
		tt_hb_count_reject(&h->sess, r);
	}
	return r;
}

int tt_ep_hb_input(struct tt_ep_hb *h, const struct tt_bfd_ctrl *pkt, tt_ns_t now,
		   struct tt_hb_actions *act)
{
	h->ep->cfg.hb_rx->by_reason[TT_BFD_RX_OK]++;
	if (tt_hb_rx(&h->sess, pkt, now, act) < 0)
		(*h->ep->cfg.hb.step_errors)++;
	return act->rx_verdict == TT_BFD_RX_OK ? 0 : -EPROTO;
}

int tt_ep_hb_set_timers(struct tt_ep_hb *h, const struct tt_hb_timers *timers, tt_ns_t now,
			struct tt_hb_actions *act, char *err, size_t err_len)
{
	struct tt_hb_event ev = {.type = TT_HB_EV_SET_TIMERS};
	int rc;

	ev.timers = *timers;
	rc = tt_hb_step(&h->sess, &ev, now, act);
	if (rc < 0)
		tt_ep_set_err(err, err_len, "tt_hb_step refused the timers");
	else
		h->hc.timers = *timers; /* a renewed session starts with them */
	return rc;
}

/*
 * A detection-time expiry in Up (TT_HB_A_DETECT_EXPIRED with Up -> Up) both
 * ends one Up period and starts another: the endpoints treat it as a leave
 * and an entry.
 */
bool tt_ep_hb_entered_up(const struct tt_hb_actions *act)
{
	return (act->flags & TT_HB_A_STATE_CHANGE) && act->new_state == TT_HB_S_UP &&
	       (act->old_state != TT_HB_S_UP || (act->flags & TT_HB_A_DETECT_EXPIRED));
}

bool tt_ep_hb_left_up(const struct tt_hb_actions *act)
{
	return (act->flags & TT_HB_A_STATE_CHANGE) && act->old_state == TT_HB_S_UP &&
	       (act->new_state != TT_HB_S_UP || (act->flags & TT_HB_A_DETECT_EXPIRED));
}

/* ---- data channels ---- */

static void chan_timer_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct tt_ep_chan *c = arg;
	struct tt_dc_actions act;

	(void)t;
	(*c->ep->cfg.dc.timers_fired)++;
	if (tt_dc_tick(c->dc, now, &act) < 0)
		(*c->ep->cfg.dc.step_errors)++;
	c->ep->cfg.dc_apply(c, &act, now);
}

int tt_ep_chan_init(struct tt_ep *ep, struct tt_ep_chan *c, const struct tt_dc_config *tmpl,
		    uint32_t worker_id, unsigned int idx, void *owner)
{
	struct tt_dc_config dc = *tmpl;

	dc.worker_id = worker_id;
	dc.chan_idx = (uint16_t)idx;
	c->ep = ep;
	c->owner = owner;
	c->idx = (uint8_t)idx;
	c->worker_id = worker_id;
	c->authed = ep->cfg.auth.keys != NULL && ep->cfg.auth.dc_mac;
	tt_timer_init(&c->tm, chan_timer_fn, c);
	/* The MAC trailer must fit the MTU too: segments are that much shorter. */
	if (c->authed)
		dc.mtu = dc.mtu > TT_DCW_MAC_LEN ? (uint16_t)(dc.mtu - TT_DCW_MAC_LEN) : 0;
	c->dc = tt_dc_create(&dc);
	if (c->dc == NULL)
		return -1;
	if (c->authed) {
		tt_ep_chan_auth_start(c, 0);
		if (!c->auth_ready) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

void tt_ep_chan_auth_start(struct tt_ep_chan *c, uint32_t epoch)
{
	const struct tt_ep_auth *a = &c->ep->cfg.auth;
	struct tt_auth_dc_config ac = {
		.keys = a->keys,
		.ops = a->ops,
		.is_master = c->ep->cfg.role == TT_HB_ROLE_MASTER,
		.chan_idx = c->idx,
		/* auth.h: a sender that starts again must start above everything
		 * it sent before under the key; epochs only grow. */
		.tx_seq_start = (uint64_t)epoch << 32 | 1u,
	};

	if (!c->authed)
		return;
	ac.tx_key_id = a->keys->dc[0].id;
	ac.worker_id = c->worker_id;
	/* Checked at create (tt_ep_auth_check()): only a broken ring fails here,
	 * and then nothing is sent on the channel. */
	c->auth_ready = tt_auth_dc_init(&c->auth, &ac) == 0;
}

enum tt_auth_dc_reject tt_ep_chan_verify(struct tt_ep_chan *c, const uint8_t *buf, size_t len)
{
	enum tt_auth_dc_reject r;

	if (!c->authed)
		return TT_AUTH_DC_OK;
	r = tt_auth_dc_verify(&c->auth, buf, len);
	c->ep->cfg.dc_auth[r]++;
	return r;
}

struct tt_udp_meta tt_ep_dc_meta(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
				 uint16_t dst_port)
{
	return (struct tt_udp_meta){
		.src_ip = src_ip,
		.dst_ip = dst_ip,
		.src_port = src_port,
		.dst_port = dst_port,
		.ttl = DC_TTL,
	};
}

void tt_ep_chan_rearm(struct tt_ep_chan *c, bool stopped)
{
	tt_ns_t d;

	if (!stopped && tt_dc_next_deadline(c->dc, &d))
		tt_tw_arm(c->ep->tw_dc, &c->tm, d);
	else
		tt_tw_cancel(c->ep->tw_dc, &c->tm);
}

int tt_ep_chan_event(struct tt_ep_chan *c, const struct tt_dc_event *ev, tt_ns_t now)
{
	struct tt_dc_actions act;
	int rc = tt_dc_step(c->dc, ev, now, &act);

	c->ep->cfg.dc_apply(c, &act, now);
	return rc;
}

int tt_ep_chan_input(struct tt_ep_chan *c, const struct tt_dcw_pkt *pkt, tt_ns_t now)
{
	struct tt_dc_actions act;

	if (tt_dc_rx(c->dc, pkt, now, &act) < 0)
		(*c->ep->cfg.dc.step_errors)++;
	c->ep->cfg.dc_apply(c, &act, now);
	return act.rx_verdict == TT_DC_RX_OK ? 0 : -EPROTO;
}

/*
 * One channel packet: tt_dc_build() writes header and payload; with the MAC
 * the flag is set and the trailer appended (dc_wire.h layout), then
 * tt_auth_dc_sign() fills key id, sequence number and tag (auth.h node
 * layer). A packet that cannot be signed is not sent.
 */
static void chan_send(struct tt_ep_chan *c, const struct tt_dc_tx_req *req)
{
	struct tt_ep *ep = c->ep;
	size_t cap, len;
	uint8_t *buf = tx_begin(&ep->cfg.io_dc, &ep->cfg.dc, &cap);

	if (buf == NULL)
		return;
	if (c->authed)
		len = cap > TT_DCW_MAC_LEN ? tt_dc_build(c->dc, req, buf, cap - TT_DCW_MAC_LEN) : 0;
	else
		len = tt_dc_build(c->dc, req, buf, cap);
	if (len == 0) {
		ep->cfg.dc.tx->build_failed++;
	} else if (c->authed) {
		buf[DCW_OFF_FLAGS] |= TT_DCW_F_MAC;
		memset(buf + len, 0, TT_DCW_MAC_LEN);
		len += TT_DCW_MAC_LEN;
		if (!c->auth_ready || tt_auth_dc_sign(&c->auth, buf, len) < 0) {
			(*ep->cfg.dc.sign_failed)++;
			len = 0;
		}
	}
	tx_end(&ep->cfg.io_dc, &ep->cfg.dc, &c->meta, buf, len);
}

void tt_ep_chan_tx(struct tt_ep_chan *c, const struct tt_dc_actions *act)
{
	if (act->flags & TT_DC_A_TX)
		for (unsigned int i = 0; i < act->n_tx; i++)
			chan_send(c, &act->tx[i]);
}

/* Further messages are delivered in the same call, bounded by the channel's
 * receive window, so that none waits for the next timer. */
bool tt_ep_chan_more(struct tt_ep_chan *c, tt_ns_t now, struct tt_dc_actions *act)
{
	if (!(act->flags & TT_DC_A_MORE))
		return false;
	if (tt_dc_tick(c->dc, now, act) < 0) {
		(*c->ep->cfg.dc.step_errors)++;
		return false;
	}
	return true;
}

bool tt_ep_chan_in_use(const struct tt_ep_chan *c)
{
	enum tt_dc_state s = tt_dc_state(c->dc);

	return s == TT_DC_S_CONNECTING || s == TT_DC_S_ACCEPTING || s == TT_DC_S_UP;
}

enum tt_fence_route tt_ep_chan_down(const struct tt_ep_chan *c, struct tt_fence_assoc *a,
				    unsigned int reason, tt_ns_t now)
{
	return tt_fence_chan_down(a, c->idx, (uint8_t)reason, c->ep->cfg.dc_lcore, c->ep->evq, now);
}

/* ---- create helpers ---- */

void tt_ep_assoc_init(struct tt_fence_assoc *a, uint32_t worker_id, uint8_t n_chan,
		      uint16_t hb_lcore, uint16_t dc_lcore)
{
	struct tt_fence_assoc_config ac = {0};

	ac.worker_id = worker_id;
	ac.n_chan = n_chan;
	ac.hb_lcore = hb_lcore;
	for (unsigned int i = 0; i < n_chan; i++)
		ac.chan_lcore[i] = dc_lcore;
	tt_fence_assoc_init(a, &ac);
}

int tt_ep_check_policy(const struct tt_hb_timers *master, const struct tt_hb_timers *worker,
		       tt_ns_t d_max_ns, tt_ns_t granularity_ns, bool skip_check,
		       struct tt_hb_policy_times *out, char *err, size_t err_len)
{
	struct tt_hb_policy_input in = {
		.master = {master->desired_min_tx_us, master->required_min_rx_us,
			   master->detect_mult},
		.worker = {worker->desired_min_tx_us, worker->required_min_rx_us,
			   worker->detect_mult},
		.d_max_ns = d_max_ns,
		.granularity_ns = granularity_ns,
	};
	int rc;

	if (!skip_check) {
		rc = tt_hb_policy_check(&in, err, err_len);
		if (rc < 0)
			return rc;
	}
	return tt_hb_policy_compute(&in, out, err, err_len);
}

void tt_ep_set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}
