/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A BFD session as a netsim node: bytes in, tt_bfd_parse, tt_hb_step, actions
 * carried out, tt_bfd_build, bytes out. See hb_endpoint.h.
 */
#include "hb_endpoint.h"

#include <errno.h>
#include <string.h>

/*
 * With DETECT_EXPIRED the step went through Down first (hb_fsm.h), so Up -> Up
 * is a real down-and-up: expiry, then a received Init.
 */
bool tt_hb_endpoint_left_up(const struct tt_hb_actions *act)
{
	if (!(act->flags & TT_HB_A_STATE_CHANGE) || act->old_state != TT_HB_S_UP)
		return false;
	return act->new_state != TT_HB_S_UP || (act->flags & TT_HB_A_DETECT_EXPIRED);
}

bool tt_hb_endpoint_entered_up(const struct tt_hb_actions *act)
{
	if (!(act->flags & TT_HB_A_STATE_CHANGE) || act->new_state != TT_HB_S_UP)
		return false;
	return act->old_state != TT_HB_S_UP || (act->flags & TT_HB_A_DETECT_EXPIRED);
}

/*
 * Carry out one step's actions in the order hb_fsm.h requires (FENCE before
 * TX), recording what the policy layer above will want to check: the first
 * fence and the first worker-dead instant are the ones that matter for
 * "fence strictly before reschedule".
 */
static void carry_out(struct tt_hb_endpoint *ep, const struct tt_hb_actions *act, tt_ns_t now)
{
	struct tt_hb_endpoint_record *r = &ep->rec;

	if (act->flags & TT_HB_A_FENCE) {
		if (r->fence_count++ == 0)
			r->first_fence_ns = now;
	}
	if (act->flags & TT_HB_A_WORKER_DEAD) {
		if (r->dead_count++ == 0)
			r->first_dead_ns = now;
	}
	if (act->flags & TT_HB_A_DETECT_EXPIRED) {
		r->detect_count++;
		r->last_detect_ns = now;
	}
	if (act->flags & TT_HB_A_POLL_DONE) {
		r->poll_done_count++;
		r->last_poll_done_ns = now;
	}
	if (tt_hb_endpoint_left_up(act)) {
		r->down_count++;
		r->last_down_ns = now;
	}
	if (tt_hb_endpoint_entered_up(act)) {
		if (r->up_count++ == 0)
			r->first_up_ns = now;
		r->last_up_ns = now;
	}
	if (act->flags & TT_HB_A_TX) {
		for (unsigned int i = 0; i < act->n_tx && i < TT_HB_TX_MAX; i++) {
			uint8_t buf[TT_BFD_MAX_LEN];
			size_t len = tt_bfd_build(&act->tx[i], buf, sizeof(buf));

			if (len == 0) {
				r->tx_build_failed++;
				continue;
			}
			if (ep->tx_link < 0)
				continue;
			if (tt_netsim_send(ep->sim, (uint32_t)ep->tx_link, buf, len, now) < 0)
				r->tx_send_failed++;
			else
				r->tx_sent++;
		}
	}
	if (ep->hook != NULL)
		ep->hook(ep->hook_arg, ep, act, now);
}

static int step(struct tt_hb_endpoint *ep, const struct tt_hb_event *ev, tt_ns_t now)
{
	struct tt_hb_actions act;
	int rc = tt_hb_step(&ep->sess, ev, now, &act);

	if (rc < 0)
		ep->rec.step_errors++;
	/* Even a refused event reports the detection expiry of its step (hb_fsm.h). */
	carry_out(ep, &act, now);
	if (ev->type == TT_HB_EV_RX && act.rx_verdict == TT_BFD_RX_OK)
		ep->rec.last_rx_ok_ns = now;
	return rc;
}

int tt_hb_endpoint_init(struct tt_hb_endpoint *ep, struct tt_netsim *sim,
			const struct tt_hb_config *cfg, tt_ns_t now)
{
	int rc;

	memset(ep, 0, sizeof(*ep));
	ep->sim = sim;
	ep->node = -1;
	ep->tx_link = -1;
	rc = tt_hb_init(&ep->sess, cfg, now);
	return rc < 0 ? rc : 0;
}

int tt_hb_endpoint_add(struct tt_hb_endpoint *ep, struct tt_netsim *sim,
		       const struct tt_hb_config *cfg, tt_ns_t tick_ns)
{
	int rc;

	if (sim == NULL)
		return -EINVAL;
	rc = tt_hb_endpoint_init(ep, sim, cfg, tt_netsim_now(sim));
	if (rc < 0)
		return rc;
	rc = tt_netsim_add_node(sim, &tt_hb_endpoint_node_ops, ep, tick_ns);
	if (rc >= 0)
		ep->node = rc;
	return rc;
}

void tt_hb_endpoint_set_tx_link(struct tt_hb_endpoint *ep, int link)
{
	ep->tx_link = link;
}

void tt_hb_endpoint_set_hook(struct tt_hb_endpoint *ep, tt_hb_endpoint_hook_fn hook, void *arg)
{
	ep->hook = hook;
	ep->hook_arg = arg;
}

void tt_hb_endpoint_rx(struct tt_hb_endpoint *ep, const uint8_t *bytes, size_t len, tt_ns_t now)
{
	struct tt_bfd_ctrl pkt;
	struct tt_hb_event ev = {.type = TT_HB_EV_RX, .pkt = &pkt};
	enum tt_bfd_rx_reject why;

	ep->rec.rx_bytes_seen++;
	why = tt_bfd_parse(bytes, len, &pkt);
	if (why != TT_BFD_RX_OK) {
		/* The session never sees it, as on a real port (RFC 5880 §6.8.6: discard). */
		if ((unsigned int)why < TT_BFD_RX_REJECT_MAX)
			ep->rec.parse_rejects[why]++;
		return;
	}
	step(ep, &ev, now);
}

void tt_hb_endpoint_tick(struct tt_hb_endpoint *ep, tt_ns_t now)
{
	const struct tt_hb_event ev = {.type = TT_HB_EV_TIMER};

	step(ep, &ev, now);
}

tt_ns_t tt_hb_endpoint_next_deadline(const struct tt_hb_endpoint *ep)
{
	tt_ns_t d;

	return tt_hb_next_deadline(&ep->sess, &d) ? d : TT_NETSIM_NO_DEADLINE;
}

int tt_hb_endpoint_event(struct tt_hb_endpoint *ep, const struct tt_hb_event *ev, tt_ns_t now)
{
	return step(ep, ev, now);
}

int tt_hb_endpoint_apply(struct tt_hb_endpoint *ep, const struct tt_hb_event *ev)
{
	int rc = step(ep, ev, tt_netsim_now(ep->sim));

	if (ep->node >= 0)
		tt_netsim_node_rearm(ep->sim, (uint32_t)ep->node);
	return rc;
}

static void node_rx(void *ctx, uint32_t link, const uint8_t *bytes, size_t len, tt_ns_t now)
{
	(void)link;
	tt_hb_endpoint_rx(ctx, bytes, len, now);
}

static void node_tick(void *ctx, tt_ns_t now)
{
	tt_hb_endpoint_tick(ctx, now);
}

static tt_ns_t node_deadline(void *ctx)
{
	return tt_hb_endpoint_next_deadline(ctx);
}

const struct tt_netsim_node_ops tt_hb_endpoint_node_ops = {
	.rx = node_rx,
	.tick = node_tick,
	.next_deadline = node_deadline,
};
