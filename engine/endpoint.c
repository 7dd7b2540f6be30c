/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The plumbing the master and the worker endpoints share (endpoint.h):
 * transmit through the caller's io ops, timers on the wheel, the heartbeat
 * transport checks, the timeline record, and the create-time checks.
 */
#include "endpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define TW_SHIFT_MAX 20 /* ~1 ms ticks at most: timers never fire early anyway */
#define DC_TTL	     64

/* The largest wheel tick (a power of two) that is not above the granularity. */
static unsigned int tw_shift(tt_ns_t g)
{
	unsigned int s = 0;

	while (s < TW_SHIFT_MAX && (2ull << s) <= g)
		s++;
	return s;
}

int tt_ep_init(struct tt_ep *ep, const struct tt_ep_config *cfg, tt_ns_t now)
{
	uint32_t evq_cap = TT_EVQ_MIN_CAPACITY;

	ep->cfg = *cfg;
	/* fence.h: a queue of at least twice the channels it serves never fills. */
	while (evq_cap < 4u * cfg->n_chan && evq_cap < TT_EVQ_MAX_CAPACITY)
		evq_cap <<= 1;
	ep->evq = tt_evq_create(evq_cap);
	ep->tw = tt_tw_create(tw_shift(cfg->granularity_ns), now);
	ep->tl = tt_fence_tl_create(cfg->timeline_cap);
	if (ep->evq == NULL || ep->tw == NULL || ep->tl == NULL)
		return -ENOMEM;
	return 0;
}

void tt_ep_fini(struct tt_ep *ep)
{
	tt_evq_destroy(ep->evq);
	tt_tw_destroy(ep->tw);
	tt_fence_tl_destroy(ep->tl);
	ep->evq = NULL;
	ep->tw = NULL;
	ep->tl = NULL;
}

void tt_ep_tl_push(struct tt_ep *ep, tt_ns_t now, unsigned int kind, uint32_t worker,
		   uint32_t epoch, unsigned int chan, uint32_t aux, uint64_t val)
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

	tt_fence_tl_push(ep->tl, &ev);
}

/* ---- transmit ---- */

/*
 * One datagram through the io ops (node_io.h buffer contract): take a buffer,
 * build the heartbeat (@p hb) or the channel packet (@p dc, @p req) into it,
 * hand it back, sent (len > 0) or unsent (len 0). Every outcome is counted.
 */
static void send(struct tt_ep *ep, const struct tt_udp_meta *meta, const struct tt_bfd_ctrl *hb,
		 const struct tt_dc *dc, const struct tt_dc_tx_req *req)
{
	size_t cap = 0;
	uint8_t *buf = ep->cfg.io.tx_buf(ep->cfg.io.ctx, &cap);
	size_t len;

	if (buf == NULL) {
		ep->cfg.tx->no_buf++;
		return;
	}
	len = hb != NULL ? tt_bfd_build(hb, buf, cap) : tt_dc_build(dc, req, buf, cap);
	if (len == 0)
		ep->cfg.tx->build_failed++;
	if (ep->cfg.io.tx_send(ep->cfg.io.ctx, meta, buf, len) < 0 && len > 0)
		ep->cfg.tx->send_failed++;
	else if (len > 0)
		ep->cfg.tx->sent++;
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
	h->ep = ep;
	h->owner = owner;
	tt_timer_init(&h->tm, hb_timer_fn, h);
	return tt_hb_init(&h->sess, hc, now);
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

	(*h->ep->cfg.timers_fired)++;
	if (tt_hb_tick(&h->sess, now, &act) < 0)
		(*h->ep->cfg.step_errors)++;
	h->ep->cfg.hb_apply(h->owner, &act, now);
}

void tt_ep_hb_tx(const struct tt_ep_hb *h, const struct tt_hb_actions *act)
{
	/* hb_fsm.h: a step asks for at most one packet. */
	if ((act->flags & TT_HB_A_TX) && act->n_tx > 0)
		send(h->ep, &h->meta, &act->tx[0], NULL, NULL);
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

int tt_ep_hb_input(struct tt_ep_hb *h, const struct tt_bfd_ctrl *pkt, tt_ns_t now,
		   struct tt_hb_actions *act)
{
	h->ep->cfg.hb_rx->by_reason[TT_BFD_RX_OK]++;
	if (tt_hb_rx(&h->sess, pkt, now, act) < 0)
		(*h->ep->cfg.step_errors)++;
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
	(*c->ep->cfg.timers_fired)++;
	if (tt_dc_tick(c->dc, now, &act) < 0)
		(*c->ep->cfg.step_errors)++;
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
	tt_timer_init(&c->tm, chan_timer_fn, c);
	c->dc = tt_dc_create(&dc);
	return c->dc != NULL ? 0 : -1;
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
		tt_tw_arm(c->ep->tw, &c->tm, d);
	else
		tt_tw_cancel(c->ep->tw, &c->tm);
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
		(*c->ep->cfg.step_errors)++;
	c->ep->cfg.dc_apply(c, &act, now);
	return act.rx_verdict == TT_DC_RX_OK ? 0 : -EPROTO;
}

void tt_ep_chan_tx(const struct tt_ep_chan *c, const struct tt_dc_actions *act)
{
	if (act->flags & TT_DC_A_TX)
		for (unsigned int i = 0; i < act->n_tx; i++)
			send(c->ep, &c->meta, NULL, c->dc, &act->tx[i]);
}

/* Further messages are delivered in the same call, bounded by the channel's
 * receive window, so that none waits for the next timer. */
bool tt_ep_chan_more(struct tt_ep_chan *c, tt_ns_t now, struct tt_dc_actions *act)
{
	if (!(act->flags & TT_DC_A_MORE))
		return false;
	if (tt_dc_tick(c->dc, now, act) < 0) {
		(*c->ep->cfg.step_errors)++;
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
