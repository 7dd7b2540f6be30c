/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker endpoint: heartbeat session + K data channels + task runner,
 * tied together by the fencing association. See worker.h for the lifecycle.
 *
 * Every object (session, channel) has one timer on the worker's timing wheel,
 * re-armed to the object's next_deadline() after each step. All side effects
 * of a step are carried out by one "apply" function per object type, so that
 * a step taken from RX, from a timer or from an operator call behaves alike.
 * The plumbing shared with the master (transmit, timers, heartbeat transport
 * checks, timeline) is in endpoint.c.
 *
 * Two planes (DESIGN.md §4). Every field has one writing plane:
 *   HB plane  the session (hb), state, epoch, exited, now, stalled, stall_ns,
 *             prng, the published words hb_pub/alive_pub, the association's
 *             arm, disarm and silenced flag, the fence counters, the HB
 *             timeline, wheel and counters share;
 *   DC plane  the channels, the runner and its out/stage, flushing, dc_epoch
 *             (its copy of epoch), dc_exited, prng_dc, now_dc, the
 *             association's channel masks, the DC timeline, wheel and
 *             counters share (cnt_dc).
 * What one plane needs of the other is an event or an atomic read:
 *   HB -> DC  CONNECT (HB Up: open the channels under the epoch), FENCE
 *             (runner fenced, channels closed; EXIT stops the plane), REJOIN
 *             (runner and channels to the new epoch): tt_ep_xpost() on
 *             evq_dc, or with the planes on one thread (split_planes off) a
 *             direct call of the same handler at the same point, which keeps
 *             the order of the single-thread endpoint;
 *   DC -> HB  a channel DOWN (fence.h, on evq), LIVE (every channel up);
 *   atomics   hb_pub (session Up, taking tasks, connecting) and alive_pub
 *             (the detection deadline): with split planes the DC plane
 *             releases no result and handles no datagram once the published
 *             deadline has passed or the session left Up, before the HB
 *             plane has even fenced ("Waking up" for two threads).
 */
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_wire.h"
#include "dc_wire.h"
#include "endpoint.h"
#include "evq.h"
#include "task_msg.h"
#include "timer_wheel.h"
#include "tt_names.h"
#include "tt_rand.h"

#define EVQ_BURST  32
#define SETTLE_MAX 16 /* split planes, combined calls: rounds of queue draining */

/* hb_pub bits: what the DC plane may read of the HB plane. */
#define PUB_UP	       (1u << 0) /* session Up */
#define PUB_TAKING     (1u << 1) /* CONNECTING or LIVE, and Up */
#define PUB_CONNECTING (1u << 2) /* CONNECTING */

struct tt_worker {
	struct tt_worker_config cfg;
	struct tt_hb_policy_times pol;
	/* HB plane */
	_Atomic int state; /* enum tt_worker_state */
	_Atomic uint32_t epoch;
	_Atomic bool exited;
	tt_ns_t now;  /* latest `now` seen */
	bool stalled; /* stall_ns is the pass that found the worker stopped */
	tt_ns_t stall_ns;
	struct tt_ep_hb hb;
	_Atomic uint32_t hb_pub;    /* PUB_* */
	_Atomic uint64_t alive_pub; /* detection deadline while it runs, else 0 */
	uint64_t prng;
	/* both, see fence.h and the file comment */
	struct tt_ep ep; /* io, wheels, event queues, timelines */
	struct tt_fence_assoc assoc;
	/* DC plane */
	uint32_t dc_epoch;
	bool dc_exited;
	tt_ns_t now_dc;
	uint64_t prng_dc;
	uint64_t *dprng;			 /* &prng_dc, or &prng on one thread */
	struct tt_ep_chan ch[TT_FENCE_MAX_CHAN]; /* owner: the worker */
	struct tt_run *run;
	struct tt_run_out rout;
	struct tt_dcw_policy dcw;
	uint8_t dc_max_retx; /* the channels' max_retx: the CONNECT budget */
	/* flush_runner's stage: TT_RUN_OUT_MAX encoded messages */
	struct staged {
		struct tt_tmsg msg;
		uint16_t channel;
		size_t len;
	} stage[TT_RUN_OUT_MAX];
	uint8_t *stage_buf;
	size_t stage_slot;
	bool flushing;
	bool split;			  /* cfg.split_planes */
	struct tt_worker_counters cnt;	  /* HB plane and the DC plane's own fields */
	struct tt_worker_counters cnt_dc; /* split: the DC plane's share of shared fields */
	struct tt_worker_counters *dcc;	  /* &cnt_dc, or &cnt on one thread */
};

static const char *const state_names[] = {
#define TT_X(name, str) str,
	TT_WORKER_STATES(TT_X)
#undef TT_X
};

static const char *const action_names[] = {
#define TT_X(name, str) str,
	TT_WORKER_FENCE_ACTIONS(TT_X)
#undef TT_X
};

const char *tt_worker_state_name(unsigned int state)
{
	return TT_NAME_AT(state_names, state, "?");
}

const char *tt_worker_fence_action_name(unsigned int action)
{
	return TT_NAME_AT(action_names, action, "?");
}

static void hb_apply(struct tt_worker *w, const struct tt_hb_actions *act, tt_ns_t now);
static void dc_apply(struct tt_ep_chan *c, struct tt_dc_actions *act, tt_ns_t now);
static void flush_runner(struct tt_worker *w, tt_ns_t now);
static void dc_on_xev(struct tt_worker *w, const struct tt_evq_event *ev, tt_ns_t now);
static void hb_on_live(struct tt_worker *w, uint32_t epoch, tt_ns_t now);

/* A timeline record of the HB plane. */
static void tl_push(struct tt_worker *w, tt_ns_t now, unsigned int kind, uint32_t epoch,
		    unsigned int chan, uint32_t aux, uint64_t val)
{
	tt_ep_tl_push(&w->ep, now, kind, w->cfg.worker_id, epoch, chan, aux, val);
}

/* A timeline record of the DC plane. */
static void tl_push_dc(struct tt_worker *w, tt_ns_t now, unsigned int kind, uint32_t epoch,
		       unsigned int chan, uint32_t aux, uint64_t val)
{
	tt_ep_tl_push_dc(&w->ep, now, kind, w->cfg.worker_id, epoch, chan, aux, val);
}

/* HB plane: publish what the DC plane may read (after every step and state change). */
static void hb_publish(struct tt_worker *w)
{
	const struct tt_hb_session *s = &w->hb.sess;
	bool up = tt_hb_state(s) == TT_HB_S_UP && !w->exited;
	uint32_t v = up ? PUB_UP : 0u;

	if (up && (w->state == TT_WORKER_S_CONNECTING || w->state == TT_WORKER_S_LIVE))
		v |= PUB_TAKING;
	if (w->state == TT_WORKER_S_CONNECTING)
		v |= PUB_CONNECTING;
	atomic_store_explicit(&w->alive_pub, s->detect_armed ? s->detect_deadline_ns : 0,
			      memory_order_relaxed);
	atomic_store_explicit(&w->hb_pub, v, memory_order_release);
}

static uint32_t hb_view(const struct tt_worker *w)
{
	return atomic_load_explicit(&((struct tt_worker *)w)->hb_pub, memory_order_acquire);
}

/*
 * DC plane, split planes: the HB plane is still alive as far as it
 * published: session Up, its detection deadline armed and not reached at
 * @p now, and for the incarnation this plane serves. Once false, a fence is
 * on its way; results wait for it (and are dropped). The epoch matters when
 * this plane lags: the HB plane may have fenced and re-joined, its new
 * session Up, while FENCE and REJOIN still wait in our queue; until they are
 * handled nothing of the old incarnation may run or leave. hb_pub is read
 * first (acquire): the other words are then at least as new as it.
 */
static bool dc_hb_alive(const struct tt_worker *w, tt_ns_t now)
{
	struct tt_worker *mw = (struct tt_worker *)w;
	uint64_t until;

	if (!(hb_view(w) & PUB_UP))
		return false;
	until = atomic_load_explicit(&mw->alive_pub, memory_order_relaxed);
	if (atomic_load_explicit(&mw->epoch, memory_order_relaxed) != w->dc_epoch)
		return false;
	return until != 0 && !tt_time_reached(now, until);
}

/*
 * HB plane: hand an event to the DC plane. Split planes: publish first,
 * then post; on one thread, run the DC plane's handler now, where the
 * single-thread endpoint did that work.
 */
static void post_dc(struct tt_worker *w, enum tt_ep_xev x, uint32_t epoch, uint8_t reason,
		    tt_ns_t now)
{
	struct tt_evq_event ev = {
		.ts_ns = now,
		.worker_id = w->cfg.worker_id,
		.epoch = epoch,
		.type = (uint8_t)(TT_EP_XEV_BASE + (unsigned int)x),
		.reason = reason,
	};

	hb_publish(w);
	if (!w->split) {
		dc_on_xev(w, &ev, now);
		return;
	}
	if (tt_ep_xpost(w->ep.evq_dc, x, ev.worker_id, epoch, 0, reason, now) < 0)
		w->cnt.xev_full++;
	else
		w->cnt.xev_posted++;
}

/* DC plane: every channel is up in epoch: tell the HB plane. */
static void post_live(struct tt_worker *w, tt_ns_t now)
{
	if (!w->split) {
		hb_on_live(w, w->dc_epoch, now);
		return;
	}
	if (tt_ep_xpost(w->ep.evq, TT_EP_XEV_LIVE, w->cfg.worker_id, w->dc_epoch, 0, 0, now) < 0)
		w->cnt.xev_dc_full++;
}

/* ---- channels ---- */

static void open_channel(struct tt_worker *w, struct tt_ep_chan *c, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_OPEN};

	if (c->cut || tt_dc_state(c->dc) != TT_DC_S_CLOSED)
		return;
	tt_ep_chan_auth_start(c, w->dc_epoch);
	ev.open.epoch = w->dc_epoch;
	ev.open.isn = (uint32_t)tt_rand_next(w->dprng);
	ev.open.nonce = tt_rand_next(w->dprng) | 1u; /* non-zero */
	if (tt_ep_chan_event(c, &ev, now) < 0)
		w->dcc->step_errors++;
}

/* HB Up: connect every channel under the current epoch (DESIGN.md §1). HB plane. */
static void connect_all(struct tt_worker *w, tt_ns_t now)
{
	w->state = TT_WORKER_S_CONNECTING;
	tt_fence_arm(&w->assoc, w->epoch);
	post_dc(w, TT_EP_XEV_CONNECT, w->epoch, 0, now);
}

/* CONNECT, DC plane. */
static void dc_connect(struct tt_worker *w, uint32_t epoch, tt_ns_t now)
{
	w->dc_epoch = epoch;
	for (unsigned int i = 0; i < w->cfg.n_chan; i++)
		open_channel(w, &w->ch[i], now);
}

/* Close every channel that the peer knows of; the association is disarmed. */
static void close_all(struct tt_worker *w, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_CLOSE};

	for (unsigned int i = 0; i < w->cfg.n_chan; i++)
		if (tt_ep_chan_in_use(&w->ch[i]))
			tt_ep_chan_event(&w->ch[i], &ev, now);
}

static void reset_all(struct tt_worker *w, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_RESET};

	for (unsigned int i = 0; i < w->cfg.n_chan; i++)
		if (tt_ep_chan_event(&w->ch[i], &ev, now) < 0)
			w->dcc->step_errors++;
}

/* Tasks are taken while HB Up and no channel went down (worker.h). DC plane. */
static bool taking_tasks(const struct tt_worker *w, tt_ns_t now)
{
	if (w->split)
		return (hb_view(w) & PUB_TAKING) && dc_hb_alive(w, now) &&
		       tt_fence_down_mask(&w->assoc) == 0 && !tt_run_fenced(w->run);
	return (w->state == TT_WORKER_S_CONNECTING || w->state == TT_WORKER_S_LIVE) &&
	       tt_hb_state(&w->hb.sess) == TT_HB_S_UP && tt_fence_down_mask(&w->assoc) == 0 &&
	       !tt_run_fenced(w->run);
}

static void on_message(struct tt_worker *w, struct tt_ep_chan *c, const uint8_t *msg, uint32_t len,
		       tt_ns_t now)
{
	struct tt_tmsg m;
	enum tt_tmsg_reject rj = tt_tmsg_decode(msg, len, &m);
	int rc;

	w->cnt.tmsg_rx.by_reason[rj]++;
	if (rj != TT_TMSG_OK)
		return;
	switch (m.type) {
	case TT_TMSG_ASSIGN:
		if (!taking_tasks(w, now)) {
			w->cnt.assign_not_live++;
			return;
		}
		/* rout is flushed after every tick and cancel, so no RESULT payload
		 * pointer is outstanding when the runner reuses its buffers here. */
		if (tt_run_assign(w->run, &m, c->idx, now) == TT_RUN_ACCEPTED)
			tl_push_dc(w, now, TT_FENCE_EV_TASK_START, m.epoch, c->idx, 0, m.task_id);
		return;
	case TT_TMSG_CANCEL:
		rc = tt_run_cancel(w->run, m.task_id, m.epoch, c->idx, now, &w->rout);
		if (rc == -ENOBUFS && !w->flushing) {
			flush_runner(w, now);
			rc = tt_run_cancel(w->run, m.task_id, m.epoch, c->idx, now, &w->rout);
		}
		if (rc == -ENOBUFS)
			w->cnt.cancel_dropped++;
		tl_push_dc(w, now, TT_FENCE_EV_CANCEL_RX, m.epoch, c->idx,
			   rc == 1 ? w->rout.send[w->rout.n - 1].msg.outcome
				   : TT_FENCE_CANCEL_IGNORED,
			   m.task_id);
		flush_runner(w, now);
		return;
	default:
		w->cnt.tmsg_unexpected++;
		return;
	}
}

static void silence(struct tt_worker *w, unsigned int chan, enum tt_fence_route route,
		    tt_ns_t down_ns, tt_ns_t now);

/*
 * Carry out a channel step: transmit first (tt_dc_build() must run before
 * the next step on the channel), then UP, DELIVER and DOWN, then drain any
 * further complete messages (TT_DC_A_MORE) and re-arm the channel's timer.
 */
static void dc_apply(struct tt_ep_chan *c, struct tt_dc_actions *act, tt_ns_t now)
{
	struct tt_worker *w = c->owner;

	for (;;) {
		tt_ep_chan_tx(c, act);
		if (act->flags & TT_DC_A_UP) {
			tl_push_dc(w, now, TT_FENCE_EV_CHAN_UP, w->dc_epoch, c->idx, 0, 0);
			if (tt_fence_chan_up(&w->assoc, c->idx))
				post_live(w, now);
		}
		if (act->flags & TT_DC_A_DELIVER)
			on_message(w, c, act->msg, act->msg_len, now);
		if (act->flags & TT_DC_A_DOWN) {
			enum tt_fence_route r;

			tl_push_dc(w, now, TT_FENCE_EV_CHAN_DOWN, w->dc_epoch, c->idx,
				   act->down_reason, 0);
			r = tt_ep_chan_down(c, &w->assoc, act->down_reason, now);
			if (r == TT_FENCE_ROUTE_DIRECT)
				silence(w, c->idx, r, now, now);
		}
		/* Another complete message waits: deliver it now (bounded by rx_window). */
		if (w->dc_exited || !tt_ep_chan_more(c, now, act))
			break;
	}
	tt_ep_chan_rearm(c, w->dc_exited);
}

/* LIVE, HB plane: every channel of the incarnation is up. */
static void hb_on_live(struct tt_worker *w, uint32_t epoch, tt_ns_t now)
{
	if (w->state != TT_WORKER_S_CONNECTING || epoch != w->epoch)
		return;
	w->state = TT_WORKER_S_LIVE;
	w->cnt.lives++;
	tl_push(w, now, TT_FENCE_EV_LIVE, w->epoch, TT_FENCE_NO_CHAN, w->cfg.n_chan, 0);
	hb_publish(w);
}

/* ---- runner ---- */

/*
 * Send what the runner released. Two phases: every message is first encoded
 * into the stage (so that an ASSIGN delivered while sending cannot reuse a
 * runner buffer a RESULT still points into), then sent in order. Nothing goes
 * out once the runner is fenced (a send can lead to the fence: channel down
 * -> silence -> detection already expired -> FENCE): the rest is dropped, so
 * no result follows the fence. A RESULT that does not fit its channel takes
 * the channel down rather than vanish (worker.h). Not re-entered: a CANCEL_ACK
 * appended while sending is sent by the next round of the loop.
 */
static void flush_runner(struct tt_worker *w, tt_ns_t now)
{
	if (w->flushing)
		return;
	/* Split planes: a fence is on its way; nothing leaves before it. */
	if (w->split && !dc_hb_alive(w, now))
		return;
	w->flushing = true;
	while (w->rout.n > 0 && !w->dc_exited && !tt_run_fenced(w->run)) {
		uint32_t n = w->rout.n;

		for (uint32_t i = 0; i < n; i++) {
			const struct tt_run_send *s = &w->rout.send[i];
			struct staged *st = &w->stage[i];

			st->msg = s->msg;
			st->channel = s->channel;
			st->len = tt_tmsg_encode(&s->msg, w->stage_buf + (size_t)i * w->stage_slot,
						 w->stage_slot);
			if (st->len == 0)
				w->cnt.encode_failed++;
		}
		w->rout.n = 0;
		for (uint32_t i = 0; i < n; i++) {
			const struct staged *st = &w->stage[i];
			struct tt_dc_actions act;
			struct tt_ep_chan *c;
			int rc;

			if (tt_run_fenced(w->run) || w->dc_exited ||
			    (w->split && !dc_hb_alive(w, now))) {
				w->cnt.fence_dropped += n - i;
				break;
			}
			if (st->len == 0 || st->channel >= w->cfg.n_chan)
				continue;
			c = &w->ch[st->channel];
			rc = tt_dc_send(c->dc, w->stage_buf + (size_t)i * w->stage_slot,
					(uint32_t)st->len, now, &act);
			if (rc == 0 && st->msg.type == TT_TMSG_RESULT)
				tl_push_dc(w, now, TT_FENCE_EV_TASK_RESULT, st->msg.epoch, c->idx,
					   st->msg.status, st->msg.task_id);
			if (rc == -ENOTCONN)
				w->cnt.send_dropped_down++;
			dc_apply(c, &act, now);
			if (rc == -ENOBUFS || rc == -EMSGSIZE) {
				struct tt_dc_event cut = {.type = TT_DC_EV_CUT};

				w->cnt.overflow_cuts++;
				tt_ep_chan_event(c, &cut, now);
			}
		}
	}
	if (tt_run_fenced(w->run) || w->dc_exited)
		w->rout.n = 0;
	w->flushing = false;
}

static void service_runner(struct tt_worker *w, tt_ns_t now)
{
	if (w->split && !dc_hb_alive(w, now))
		return;
	/* tt_run_tick stops at a full out; loop until it has nothing more due. */
	for (unsigned int guard = 0; guard < 1024 && !w->dc_exited; guard++) {
		int n = tt_run_tick(w->run, now, &w->rout);

		flush_runner(w, now);
		if (n < TT_RUN_OUT_MAX)
			break;
	}
}

/* ---- heartbeat and fencing ---- */

/*
 * The fence (DESIGN.md §1 step 4), DC plane: runner fenced first, so that
 * nothing it had in flight can produce a result, then the channels closed;
 * EXIT stops the plane.
 */
static void dc_fence(struct tt_worker *w, uint32_t epoch, unsigned int action, tt_ns_t now)
{
	int aborted = tt_run_fence(w->run, now);

	w->rout.n = 0;
	tl_push_dc(w, now, TT_FENCE_EV_FENCE, epoch, TT_FENCE_NO_CHAN,
		   (uint32_t)(aborted < 0 ? 0 : aborted), action);
	close_all(w, now);
	if (action != TT_WORKER_FENCE_EXIT)
		return;
	w->dc_exited = true;
	for (unsigned int i = 0; i < w->cfg.n_chan; i++)
		tt_tw_cancel(w->ep.tw_dc, &w->ch[i].tm);
}

/* REJOIN, DC plane: runner and channels to the new incarnation. */
static void dc_rejoin(struct tt_worker *w, uint32_t epoch, tt_ns_t now)
{
	w->dc_epoch = epoch;
	if (tt_run_rejoin(w->run, epoch, now) < 0)
		w->dcc->step_errors++;
	reset_all(w, now);
}

/*
 * The fence, HB plane: the association disarmed, the DC plane fences
 * (dc_fence()), then the configured action.
 */
static void do_fence(struct tt_worker *w, tt_ns_t now)
{
	uint32_t old = w->epoch;

	tt_fence_disarm(&w->assoc);
	w->cnt.fences++;
	w->cnt.last_fence_ns = now;
	w->cnt.last_fence_epoch = old;
	post_dc(w, TT_EP_XEV_FENCE, old, (uint8_t)w->cfg.fence_action, now);

	if (w->cfg.fence_action == TT_WORKER_FENCE_EXIT) {
		w->state = TT_WORKER_S_EXITED;
		w->exited = true;
		tl_push(w, now, TT_FENCE_EV_EXIT, old, TT_FENCE_NO_CHAN, TT_WORKER_EXIT_FENCED, 0);
		tt_tw_cancel(w->ep.tw, &w->hb.tm);
		hb_publish(w);
		return;
	}

	/* REJOIN: a new incarnation; 0 is not an epoch. */
	w->epoch = old + 1 == 0 ? 1 : old + 1;
	post_dc(w, TT_EP_XEV_REJOIN, w->epoch, 0, now);
	w->state = TT_WORKER_S_JOINING;
	w->cnt.rejoins++;
	tl_push(w, now, TT_FENCE_EV_REJOIN, w->epoch, TT_FENCE_NO_CHAN, old, 0);
	{
		/*
		 * The new incarnation's heartbeat is a new BFD session with a
		 * fresh discriminator (worker.h "Discriminators"): non-zero
		 * (RFC 5880 §6.8.1) and not the previous one.
		 */
		uint32_t prev = w->hb.hc.local_disc, disc;
		struct tt_hb_actions act;

		do
			disc = (uint32_t)tt_rand_next(&w->prng);
		while (disc == 0 || disc == prev);
		if (tt_ep_hb_renew(&w->hb, disc, tt_rand_next(&w->prng), now, &act) < 0)
			w->cnt.step_errors++;
		hb_apply(w, &act, now);
	}
}

/* DC plane: an event of the HB plane (post_dc()), in the order posted. */
static void dc_on_xev(struct tt_worker *w, const struct tt_evq_event *ev, tt_ns_t now)
{
	if (w->dc_exited) {
		w->cnt.xev_stale++;
		return;
	}
	switch (tt_ep_xev_of(ev)) {
	case TT_EP_XEV_CONNECT:
		dc_connect(w, ev->epoch, now);
		break;
	case TT_EP_XEV_FENCE:
		dc_fence(w, ev->epoch, ev->reason, now);
		break;
	case TT_EP_XEV_REJOIN:
		dc_rejoin(w, ev->epoch, now);
		break;
	default:
		w->cnt.xev_stale++;
		break;
	}
}

/* Carry out a session step, in the order hb_fsm.h asks: FENCE before TX. */
static void hb_apply(struct tt_worker *w, const struct tt_hb_actions *act, tt_ns_t now)
{
	if (w->exited)
		return;
	if (tt_ep_hb_left_up(act))
		tl_push(w, now, TT_FENCE_EV_HB_DOWN, w->epoch, TT_FENCE_NO_CHAN, act->diag, 0);
	if (act->flags & TT_HB_A_FENCE)
		do_fence(w, now);
	if (w->exited)
		return;
	tt_ep_hb_tx(&w->hb, act);
	if (tt_ep_hb_entered_up(act)) {
		tl_push(w, now, TT_FENCE_EV_HB_UP, w->epoch, TT_FENCE_NO_CHAN, 0, 0);
		if (w->state == TT_WORKER_S_JOINING)
			connect_all(w, now);
	}
	tt_ep_hb_rearm(&w->hb, w->exited);
	hb_publish(w);
}

/* The session's timer fired (tt_ep_hb_apply_fn). */
static void hb_apply_cb(void *owner, const struct tt_hb_actions *act, tt_ns_t now)
{
	hb_apply(owner, act, now);
}

/* Disconnect the heartbeat (DESIGN.md §1 step 3) and record it. */
static void silence(struct tt_worker *w, unsigned int chan, enum tt_fence_route route,
		    tt_ns_t down_ns, tt_ns_t now)
{
	struct tt_hb_actions act;
	int rc = tt_fence_silence(&w->assoc, &w->hb.sess, now, &act);

	if (rc < 0) {
		w->cnt.step_errors++;
		return;
	}
	if (rc == 0)
		return;
	/* A queued DOWN may carry a `now` of the other lane read after ours: 0. */
	tl_push(w, now, TT_FENCE_EV_HB_SILENCED, w->epoch, chan, route,
		tt_time_after(now, down_ns) ? (uint64_t)tt_time_diff(now, down_ns) : 0u);
	if (w->state == TT_WORKER_S_CONNECTING || w->state == TT_WORKER_S_LIVE)
		w->state = TT_WORKER_S_SILENCED;
	hb_apply(w, &act, now);
}

/* HB plane: the DC plane's events (channel downs, LIVE). @return events handled. */
static int drain_evq(struct tt_worker *w, tt_ns_t now)
{
	struct tt_evq_event ev[EVQ_BURST];
	unsigned int n;
	int handled = 0;

	while ((n = tt_evq_dequeue_burst(w->ep.evq, ev, EVQ_BURST)) > 0) {
		for (unsigned int i = 0; i < n && !w->exited; i++) {
			handled++;
			if (tt_ep_xev_of(&ev[i]) == TT_EP_XEV_LIVE)
				hb_on_live(w, ev[i].epoch, now);
			else if (tt_fence_on_event(&w->assoc, &ev[i]))
				silence(w, ev[i].chan_idx, TT_FENCE_ROUTE_QUEUED, ev[i].ts_ns, now);
		}
	}
	return handled;
}

/* DC plane: the HB plane's events. @return events handled. */
static int drain_evq_dc(struct tt_worker *w, tt_ns_t now)
{
	struct tt_evq_event ev[EVQ_BURST];
	unsigned int n;
	int handled = 0;

	if (w->ep.evq_dc == NULL)
		return 0;
	while ((n = tt_evq_dequeue_burst(w->ep.evq_dc, ev, EVQ_BURST)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			handled++;
			w->cnt.xev_handled++;
			dc_on_xev(w, &ev[i], now);
		}
	}
	return handled;
}

/* ---- create / destroy ---- */

/*
 * The CONNECT budget (worker.h "Re-joining"): raise dc->max_retx, if needed,
 * to the fewest retransmissions whose last CONNECT goes out at least
 * @p budget_ns after the first. dc_fsm.h: retransmission k follows the one
 * before by the RTO, which starts at rto_init and doubles, capped at rto_max
 * (RFC 6298 §5.5). Returns 0, or -ERANGE (err set) if 255 are not enough.
 */
static int connect_budget(struct tt_dc_config *dc, tt_ns_t budget_ns, char *err, size_t err_len)
{
	tt_ns_t rto = dc->rto_init_ns, last = 0;
	unsigned int n = 0;

	while (last < budget_ns) {
		if (n == UINT8_MAX || rto == 0) {
			tt_ep_set_err(
				err, err_len,
				"worker dc: rto_init_ns %llu and rto_max_ns %llu cannot keep a "
				"CONNECT going for T1 + d_max = %llu ns within 255 "
				"retransmissions (the master accepts a re-joined worker only "
				"after declaring its previous incarnation dead): raise rto_max_ns",
				(unsigned long long)dc->rto_init_ns,
				(unsigned long long)dc->rto_max_ns, (unsigned long long)budget_ns);
			return -ERANGE;
		}
		last += rto;
		n++;
		rto = rto * 2 > dc->rto_max_ns ? dc->rto_max_ns : rto * 2;
	}
	if (n > dc->max_retx)
		dc->max_retx = (uint8_t)n;
	return 0;
}

struct tt_worker *tt_worker_create(const struct tt_worker_config *cfg, tt_ns_t now, char *err,
				   size_t err_len)
{
	struct tt_worker *w;
	struct tt_ep_config ec = {0};
	struct tt_ep_auth ea;
	struct tt_hb_config hc = {0};
	struct tt_run_config rc = {0};
	struct tt_dc_config dc;

	tt_ep_set_err(err, err_len, "ok");
	if (cfg->n_chan < 1 || cfg->n_chan > TT_FENCE_MAX_CHAN ||
	    cfg->n_chan > TT_DCW_MAX_CHANNELS) {
		tt_ep_set_err(err, err_len, "worker n_chan = %u: allowed 1..%u", cfg->n_chan,
			      TT_FENCE_MAX_CHAN);
		goto inval;
	}
	if (cfg->epoch == 0) {
		tt_ep_set_err(err, err_len, "worker epoch = 0: allowed 1..4294967295");
		goto inval;
	}
	if (cfg->hb_src_port < TT_BFD_SRC_PORT_MIN) {
		tt_ep_set_err(err, err_len, "worker hb_src_port = %u: allowed %u..%u (RFC 5881 §4)",
			      cfg->hb_src_port, TT_BFD_SRC_PORT_MIN, TT_BFD_SRC_PORT_MAX);
		goto inval;
	}
	if (cfg->dc_port_base == 0 || (uint32_t)cfg->dc_port_base + cfg->n_chan - 1 > 65535u ||
	    (cfg->hb_src_port >= cfg->dc_port_base &&
	     cfg->hb_src_port < cfg->dc_port_base + cfg->n_chan)) {
		tt_ep_set_err(err, err_len,
			      "worker dc_port_base = %u: needs dc_port_base + n_chan - 1 <= 65535, "
			      "non-zero, not overlapping hb_src_port %u",
			      cfg->dc_port_base, cfg->hb_src_port);
		goto inval;
	}
	if (cfg->split_planes && (cfg->hb_lcore == cfg->dc_lcore || cfg->io_dc.tx_buf == NULL ||
				  cfg->io_dc.tx_send == NULL)) {
		tt_ep_set_err(err, err_len,
			      "worker split_planes with hb_lcore %u, dc_lcore %u: needs two "
			      "different lcores and io_dc (tx_buf, tx_send) set",
			      cfg->hb_lcore, cfg->dc_lcore);
		goto inval;
	}
	if (cfg->fence_action >= TT_WORKER_FENCE_COUNT || cfg->timeline_cap == 0 ||
	    cfg->io.tx_buf == NULL || cfg->io.tx_send == NULL) {
		tt_ep_set_err(err, err_len,
			      "worker fence_action %u, timeline_cap %u or io ops invalid: action "
			      "exit|rejoin, timeline_cap >= 1, tx_buf and tx_send set",
			      (unsigned int)cfg->fence_action, cfg->timeline_cap);
		goto inval;
	}

	ea = (struct tt_ep_auth){
		.keys = cfg->auth.keys,
		.ops = cfg->auth.ops,
		.bfd_type = cfg->auth.bfd_type,
		.dc_mac = cfg->auth.dc_mac,
		.seed = cfg->seed ^ 0x4155544800000000ull ^ cfg->worker_id,
	};
	if (tt_ep_auth_check(&ea, "worker", err, err_len) < 0)
		goto inval;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto nomem;
	w->cfg = *cfg;
	if (w->cfg.master_dc_port == 0)
		w->cfg.master_dc_port = TT_DCW_UDP_PORT;
	if (w->cfg.local_disc == 0)
		w->cfg.local_disc = 0x57000000u + cfg->worker_id + 1u;
	if (tt_ep_check_policy(&cfg->master_timers, &cfg->worker_timers, cfg->d_max_ns,
			       cfg->granularity_ns, cfg->skip_policy_check, &w->pol, err,
			       err_len) < 0) {
		free(w);
		goto inval;
	}
	dc = cfg->dc;
	if (connect_budget(&dc, w->pol.t1_ns + cfg->d_max_ns, err, err_len) < 0) {
		free(w);
		goto inval;
	}
	w->dc_max_retx = dc.max_retx;
	w->epoch = cfg->epoch;
	w->dc_epoch = cfg->epoch;
	w->state = TT_WORKER_S_JOINING;
	w->now = now;
	w->now_dc = now;
	w->split = cfg->split_planes;
	w->prng = cfg->seed ^ 0x5745524b45520000ull ^ cfg->worker_id;
	w->prng_dc = cfg->seed ^ 0x5745524b44430000ull ^ cfg->worker_id;
	w->dprng = w->split ? &w->prng_dc : &w->prng;
	w->dcc = w->split ? &w->cnt_dc : &w->cnt;
	w->dcw.n_channels = cfg->n_chan;
	w->dcw.mac = cfg->auth.keys != NULL && cfg->auth.dc_mac;

	tt_ep_assoc_init(&w->assoc, cfg->worker_id, cfg->n_chan, cfg->hb_lcore, cfg->dc_lcore);

	rc.max_tasks = cfg->max_tasks;
	rc.max_handlers = cfg->max_handlers;
	rc.max_result = cfg->max_result;
	rc.reply_cap = cfg->max_tasks > 0 ? cfg->max_tasks : 1;
	rc.epoch = cfg->epoch;
	w->run = tt_run_create(&rc);
	if (w->run == NULL || tt_run_register_reference(w->run) < 0) {
		tt_ep_set_err(
			err, err_len,
			"worker runner refused: max_tasks %u, max_handlers %u (>= 3), max_result "
			"%u "
			"(<= %u)",
			cfg->max_tasks, cfg->max_handlers, cfg->max_result, TT_TMSG_MAX_PAYLOAD);
		goto fail;
	}

	ec.role = TT_HB_ROLE_WORKER;
	ec.io = cfg->io;
	ec.io_dc = cfg->io_dc;
	ec.split_planes = cfg->split_planes;
	ec.auth = ea;
	ec.dc_lcore = cfg->dc_lcore;
	ec.granularity_ns = cfg->granularity_ns;
	ec.timeline_cap = cfg->timeline_cap;
	ec.n_chan = cfg->n_chan;
	ec.n_sessions = 1;
	ec.hb_apply = hb_apply_cb;
	ec.dc_apply = dc_apply;
	ec.hb = (struct tt_ep_plane_counters){&w->cnt.tx, &w->cnt.auth_sign_failed,
					      &w->cnt.timers_fired, &w->cnt.step_errors};
	ec.dc = (struct tt_ep_plane_counters){&w->dcc->tx, &w->dcc->auth_sign_failed,
					      &w->dcc->timers_fired, &w->dcc->step_errors};
	ec.hb_rx = &w->cnt.hb_rx;
	ec.hb_auth = w->cnt.hb_auth;
	ec.dc_auth = w->cnt.dc_auth;
	w->stage_slot = TT_TMSG_RESULT_HDR_LEN + (size_t)cfg->max_result;
	w->stage_buf = malloc(TT_RUN_OUT_MAX * w->stage_slot);
	if (tt_ep_init(&w->ep, &ec, now) < 0 || w->stage_buf == NULL) {
		tt_ep_set_err(err, err_len, "worker: out of memory");
		goto fail;
	}

	hc.role = TT_HB_ROLE_WORKER;
	hc.local_disc = w->cfg.local_disc;
	hc.timers = cfg->worker_timers;
	hc.slow_tx_us = cfg->slow_tx_us;
	hc.allow_fast_slow_rate = cfg->allow_fast_slow_rate;
	hc.d_max_ns = cfg->d_max_ns;
	hc.granularity_ns = cfg->granularity_ns;
	hc.seed = cfg->seed ^ 0x48420000ull ^ cfg->worker_id;
	if (tt_ep_hb_init(&w->ep, &w->hb, &hc, now, w) < 0) {
		tt_ep_set_err(err, err_len,
			      "worker heartbeat config refused by tt_hb_init "
			      "(timers zero, or slow_tx_us below 1 s without "
			      "allow_fast_slow_rate)");
		errno = EINVAL;
		goto fail;
	}
	w->hb.meta = tt_ep_hb_meta(cfg->ip, cfg->master_ip, cfg->hb_src_port);
	for (unsigned int i = 0; i < cfg->n_chan; i++) {
		struct tt_ep_chan *c = &w->ch[i];

		c->meta = tt_ep_dc_meta(cfg->ip, cfg->master_ip, (uint16_t)(cfg->dc_port_base + i),
					w->cfg.master_dc_port);
		if (tt_ep_chan_init(&w->ep, c, &dc, cfg->worker_id, i, w) < 0) {
			tt_ep_set_err(err, err_len,
				      "worker channel %u: tt_dc_create refused the dc "
				      "template (see tt_dc_config)",
				      i);
			goto fail;
		}
	}
	tt_ep_hb_rearm(&w->hb, false);
	hb_publish(w);
	return w;

fail : {
	int e = errno == ENOMEM ? ENOMEM : EINVAL;

	tt_worker_destroy(w);
	errno = e;
	return NULL;
}
inval:
	errno = EINVAL;
	return NULL;
nomem:
	tt_ep_set_err(err, err_len, "worker: out of memory");
	errno = ENOMEM;
	return NULL;
}

void tt_worker_destroy(struct tt_worker *w)
{
	if (w == NULL)
		return;
	for (unsigned int i = 0; i < TT_FENCE_MAX_CHAN; i++)
		tt_dc_destroy(w->ch[i].dc);
	tt_run_destroy(w->run);
	tt_ep_fini(&w->ep);
	free(w->stage_buf);
	free(w);
}

/* ---- entry points ---- */

/*
 * Before touching anything else, a worker that may have been stopped (a
 * pause, a stalled lcore) lets its heartbeat session see the time: if its
 * detection time ran out meanwhile it fences now, before a received datagram
 * or a finished task can make it send anything (DESIGN.md §1).
 */
static void note_now(struct tt_worker *w, tt_ns_t now)
{
	tt_ns_t d;

	if (w->cfg.wake_check_disabled) {
		/* TEST-ONLY (worker.h): results first, the session sees the time later. */
		if (tt_time_after(now, w->now))
			w->now = now;
		service_runner(w, now);
		return;
	}
	if (tt_time_after(now, w->now)) {
		/*
		 * A pass later than the deadline the worker asked for, by more
		 * than the granularity g: it was stopped meanwhile (worker.h
		 * "Waking up"). The heartbeats read in this pass may have waited
		 * in the receive ring since before the stall, longer than d_max:
		 * they are dropped (rx_hb()).
		 */
		if ((w->split ? tt_worker_next_deadline_hb(w, &d)
			      : tt_worker_next_deadline(w, &d)) &&
		    tt_time_after(now, d + w->cfg.granularity_ns)) {
			w->stalled = true;
			w->stall_ns = now;
			w->cnt.stalls++;
		}
		w->now = now;
	}
	if (tt_hb_next_deadline(&w->hb.sess, &d) && tt_time_reached(now, d)) {
		tt_tw_cancel(w->ep.tw, &w->hb.tm);
		tt_ep_hb_fire(&w->hb, now);
	}
}

static void settle(struct tt_worker *w, tt_ns_t now);

static int rx_hb(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *p, size_t len,
		 tt_ns_t now)
{
	struct tt_bfd_ctrl pkt;
	struct tt_hb_actions act;
	enum tt_bfd_rx_reject r;
	int rc;

	/*
	 * Read in the pass that found the worker stalled (note_now()): it may
	 * have arrived long before, yet would restart T2 from now, after the
	 * master's WORKER_DEAD assumes the worker fenced (T2 + d_max + g after
	 * the master sent it). Dropping it only shortens the worker's life.
	 */
	if (w->stalled && w->stall_ns == now) {
		w->cnt.hb_rx_after_stall++;
		return -ESTALE;
	}
	/* RFC 5881 §5 (TTL 255) and §4 (ports), then RFC 5880 §6.8.6. */
	r = tt_ep_hb_parse(&w->ep, meta, p, len, &pkt);

	if (r != TT_BFD_RX_OK) {
		tt_hb_count_reject(&w->hb.sess, r);
		return -EPROTO;
	}
	/* §6.8.6 Your Discriminator, then §6.7.4 authentication: a reject
	 * never steps the session. */
	r = tt_ep_hb_admit(&w->hb, &pkt, p, len, now);
	if (r != TT_BFD_RX_OK)
		return r == TT_BFD_RX_NO_SESSION ? -ENOENT : -EACCES;
	rc = tt_ep_hb_input(&w->hb, &pkt, now, &act);
	hb_apply(w, &act, now);
	return rc;
}

static int rx_dc(struct tt_worker *w, unsigned int idx, const uint8_t *p, size_t len, tt_ns_t now)
{
	struct tt_ep_chan *c = &w->ch[idx];
	struct tt_dcw_pkt pkt;

	if (tt_dcw_parse(p, len, &w->dcw, &pkt, &w->cnt.dc_parse) != TT_DCW_RX_OK)
		return -EPROTO;
	if (pkt.worker_id != w->cfg.worker_id || pkt.chan_idx != idx) {
		w->cnt.dc_rx_id_mismatch++;
		return -ENOENT;
	}
	/* auth.h node layer: the MAC before the channel sees the datagram. */
	if (tt_ep_chan_verify(c, p, len) != TT_AUTH_DC_OK)
		return -EACCES;
	if (c->cut) {
		w->cnt.dc_rx_cut++;
		return -ECONNREFUSED;
	}
	if (tt_ep_chan_input(c, &pkt, now) < 0) {
		w->cnt.dc_rx_rejected++;
		return -EPROTO;
	}
	return 0;
}

int tt_worker_rx(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *payload,
		 size_t len, tt_ns_t now)
{
	int rc;

	if (w->split) {
		if (w->exited) {
			w->cnt.rx_datagrams++;
			w->cnt.rx_after_exit++;
			return TT_WORKER_EXITED;
		}
		if (meta->dst_port == TT_BFD_UDP_PORT)
			rc = tt_worker_rx_hb(w, meta, payload, len, now);
		else
			rc = tt_worker_rx_dc(w, meta, payload, len, now);
		settle(w, now);
		return w->exited ? TT_WORKER_EXITED : rc;
	}
	w->cnt.rx_datagrams++;
	if (w->exited) {
		w->cnt.rx_after_exit++;
		return TT_WORKER_EXITED;
	}
	note_now(w, now);
	if (w->exited)
		return TT_WORKER_EXITED;
	if (meta->dst_ip != w->cfg.ip || meta->src_ip != w->cfg.master_ip) {
		w->cnt.rx_bad_dst++;
		return -ENOENT;
	}
	if (meta->dst_port == TT_BFD_UDP_PORT) {
		rc = rx_hb(w, meta, payload, len, now);
	} else if (meta->dst_port >= w->cfg.dc_port_base &&
		   meta->dst_port < w->cfg.dc_port_base + w->cfg.n_chan &&
		   meta->src_port == w->cfg.master_dc_port) {
		rc = rx_dc(w, meta->dst_port - w->cfg.dc_port_base, payload, len, now);
	} else {
		w->cnt.rx_bad_dst++;
		return -ENOENT;
	}
	if (!w->exited)
		service_runner(w, now);
	return w->exited ? TT_WORKER_EXITED : rc;
}

int tt_worker_rx_hb(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now)
{
	int rc;

	w->cnt.rx_datagrams++;
	if (w->exited) {
		w->cnt.rx_after_exit++;
		return TT_WORKER_EXITED;
	}
	note_now(w, now);
	if (w->exited)
		return TT_WORKER_EXITED;
	if (meta->dst_ip != w->cfg.ip || meta->src_ip != w->cfg.master_ip ||
	    meta->dst_port != TT_BFD_UDP_PORT) {
		w->cnt.rx_bad_dst++;
		return -ENOENT;
	}
	rc = rx_hb(w, meta, payload, len, now);
	return w->exited ? TT_WORKER_EXITED : rc;
}

int tt_worker_rx_dc(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now)
{
	int rc;

	w->dcc->rx_datagrams++;
	if (tt_time_after(now, w->now_dc))
		w->now_dc = now;
	if (w->dc_exited) {
		w->dcc->rx_after_exit++;
		return TT_WORKER_EXITED;
	}
	if (meta->dst_ip != w->cfg.ip || meta->src_ip != w->cfg.master_ip ||
	    meta->dst_port < w->cfg.dc_port_base ||
	    meta->dst_port >= w->cfg.dc_port_base + w->cfg.n_chan ||
	    meta->src_port != w->cfg.master_dc_port) {
		w->dcc->rx_bad_dst++;
		return -ENOENT;
	}
	/* "Waking up" for two threads: past the published detection deadline
	 * the HB plane is about to fence; nothing is handled before it. */
	if (!dc_hb_alive(w, now) &&
	    atomic_load_explicit(&w->alive_pub, memory_order_relaxed) != 0 &&
	    tt_time_reached(now, atomic_load_explicit(&w->alive_pub, memory_order_relaxed))) {
		w->cnt.dc_rx_hb_expired++;
		return -ESTALE;
	}
	rc = rx_dc(w, meta->dst_port - w->cfg.dc_port_base, payload, len, now);
	if (!w->dc_exited)
		service_runner(w, now);
	return w->dc_exited ? TT_WORKER_EXITED : rc;
}

/*
 * Split planes driven by one thread (the combined calls): run both planes'
 * queues until neither has anything. Bounded: each round only handles what
 * the other plane posted.
 */
static void settle(struct tt_worker *w, tt_ns_t now)
{
	for (unsigned int r = 0; r < SETTLE_MAX; r++) {
		int k = drain_evq_dc(w, now);

		if (!w->exited)
			k += drain_evq(w, now);
		if (k == 0)
			break;
	}
	if (!w->dc_exited)
		service_runner(w, now);
}

int tt_worker_poll_hb(struct tt_worker *w, tt_ns_t now)
{
	int n;

	if (w->exited)
		return TT_WORKER_EXITED;
	note_now(w, now);
	/* What the data plane posted since the last pass (DESIGN.md §4). */
	n = w->exited ? 0 : drain_evq(w, now);
	if (!w->exited)
		n += (int)tt_tw_advance(w->ep.tw, now);
	return w->exited ? TT_WORKER_EXITED : n;
}

int tt_worker_poll_dc(struct tt_worker *w, tt_ns_t now)
{
	int n;

	if (tt_time_after(now, w->now_dc))
		w->now_dc = now;
	/* The HB plane's events first: a FENCE there stops everything below. */
	n = drain_evq_dc(w, now);
	if (w->dc_exited)
		return TT_WORKER_EXITED;
	n += (int)tt_tw_advance(w->ep.tw_dc, now);
	if (!w->dc_exited)
		service_runner(w, now);
	return w->dc_exited ? TT_WORKER_EXITED : n;
}

int tt_worker_poll(struct tt_worker *w, tt_ns_t now)
{
	if (w->split) {
		if (w->exited)
			return TT_WORKER_EXITED;
		tt_worker_poll_hb(w, now);
		tt_worker_poll_dc(w, now);
		settle(w, now);
		return w->exited ? TT_WORKER_EXITED : 0;
	}
	if (w->exited)
		return TT_WORKER_EXITED;
	note_now(w, now);
	/* Split layout: what the data side posted since the last pass (DESIGN.md §4). */
	if (!w->exited)
		drain_evq(w, now);
	if (!w->exited)
		tt_tw_advance(w->ep.tw, now);
	if (!w->exited)
		service_runner(w, now);
	return w->exited ? TT_WORKER_EXITED : 0;
}

bool tt_worker_next_deadline_hb(const struct tt_worker *w, tt_ns_t *deadline)
{
	tt_ns_t d;

	if (w->exited)
		return false;
	if (tt_evq_count(w->ep.evq) > 0) {
		*deadline = w->now;
		return true;
	}
	if (tt_tw_next_deadline(w->ep.tw, &d) == 0) {
		*deadline = d;
		return true;
	}
	return false;
}

bool tt_worker_next_deadline_dc(const struct tt_worker *w, tt_ns_t *deadline)
{
	tt_ns_t d, best = 0;
	bool any = false;

	if (w->ep.evq_dc != NULL && tt_evq_count(w->ep.evq_dc) > 0) {
		*deadline = w->now_dc;
		return true;
	}
	if (w->dc_exited)
		return false;
	if (tt_tw_next_deadline(w->ep.tw_dc, &d) == 0) {
		best = d;
		any = true;
	}
	/* Results held back for the coming fence (dc_hb_alive()) are not work:
	 * the FENCE event or a new deadline from the HB plane wakes the plane. */
	if (dc_hb_alive(w, w->now_dc) && tt_run_next_deadline(w->run, &d) == 0) {
		best = any ? tt_time_min(best, d) : d;
		any = true;
	}
	if (any)
		*deadline = best;
	return any;
}

bool tt_worker_next_deadline(const struct tt_worker *w, tt_ns_t *deadline)
{
	tt_ns_t d, best = 0;
	bool any = false;

	if (w->exited)
		return false;
	if (w->split) {
		tt_ns_t h;
		bool bh = tt_worker_next_deadline_hb(w, &h);
		bool bd = tt_worker_next_deadline_dc(w, &d);

		if (bh && bd)
			*deadline = tt_time_min(h, d);
		else if (bh || bd)
			*deadline = bh ? h : d;
		return bh || bd;
	}
	if (tt_evq_count(w->ep.evq) > 0) {
		best = w->now;
		any = true;
	}
	if (tt_tw_next_deadline(w->ep.tw, &d) == 0) {
		best = any ? tt_time_min(best, d) : d;
		any = true;
	}
	if (tt_run_next_deadline(w->run, &d) == 0) {
		best = any ? tt_time_min(best, d) : d;
		any = true;
	}
	if (any)
		*deadline = best;
	return any;
}

/* ---- operator ---- */

/*
 * The common part of cut and restore: check, let the session see `now` (it
 * may fence, worker.h "Waking up"), set the flag, record it. Returns 0 when
 * the caller goes on with the channel, 1 when the worker exited meanwhile
 * (the call still succeeded), or the negative errno of the public functions.
 */
static int set_cut(struct tt_worker *w, unsigned int chan, bool cut, tt_ns_t now)
{
	if (w->dc_exited)
		return -ESHUTDOWN;
	if (chan >= w->cfg.n_chan)
		return -EINVAL;
	if (w->ch[chan].cut == cut)
		return -EALREADY;
	/* With split planes this is the DC plane's call: the HB plane checks
	 * its own time; dc_hb_alive() holds back what must wait for it. */
	if (!w->split)
		note_now(w, now);
	w->ch[chan].cut = cut;
	if (w->dc_exited)
		return 1;
	tl_push_dc(w, now, cut ? TT_FENCE_EV_CUT : TT_FENCE_EV_RESTORE, w->dc_epoch, chan, 0, 0);
	return 0;
}

int tt_worker_cut(struct tt_worker *w, unsigned int chan, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_CUT};
	int rc = set_cut(w, chan, true, now);
	struct tt_ep_chan *c;

	if (rc != 0)
		return rc < 0 ? rc : 0;
	c = &w->ch[chan];
	if (tt_dc_state(c->dc) != TT_DC_S_CLOSED && tt_dc_state(c->dc) != TT_DC_S_DOWN)
		tt_ep_chan_event(c, &ev, now);
	return 0;
}

int tt_worker_restore(struct tt_worker *w, unsigned int chan, tt_ns_t now)
{
	int rc = set_cut(w, chan, false, now);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (w->split ? (hb_view(w) & (PUB_CONNECTING | PUB_UP)) == (PUB_CONNECTING | PUB_UP)
		     : w->state == TT_WORKER_S_CONNECTING && tt_hb_state(&w->hb.sess) == TT_HB_S_UP)
		open_channel(w, &w->ch[chan], now);
	return 0;
}

int tt_worker_link_down(struct tt_worker *w, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_LINK_DOWN};
	int n = 0;

	if (w->dc_exited)
		return 0;
	if (!w->split)
		note_now(w, now);
	for (unsigned int i = 0; i < w->cfg.n_chan && !w->dc_exited; i++) {
		if (tt_ep_chan_in_use(&w->ch[i])) {
			tt_ep_chan_event(&w->ch[i], &ev, now);
			n++;
		}
	}
	return n;
}

int tt_worker_set_hb_timers(struct tt_worker *w, const struct tt_hb_timers *timers, tt_ns_t now,
			    char *err, size_t err_len)
{
	struct tt_hb_policy_times pol;
	struct tt_hb_actions act;

	if (w->exited)
		return -ESHUTDOWN;
	if (tt_ep_check_policy(&w->cfg.master_timers, timers, w->cfg.d_max_ns,
			       w->cfg.granularity_ns, w->cfg.skip_policy_check, &pol, err,
			       err_len) < 0)
		return -EINVAL;
	note_now(w, now);
	if (w->exited)
		return -ESHUTDOWN;
	if (tt_ep_hb_set_timers(&w->hb, timers, now, &act, err, err_len) < 0) {
		hb_apply(w, &act, now);
		return -EINVAL;
	}
	w->cfg.worker_timers = *timers;
	w->pol = pol;
	tl_push(w, now, TT_FENCE_EV_TIMERS, w->epoch, TT_FENCE_NO_CHAN, timers->detect_mult,
		timers->desired_min_tx_us);
	hb_apply(w, &act, now);
	return 0;
}

/* ---- accessors ---- */

enum tt_worker_state tt_worker_state(const struct tt_worker *w)
{
	return (enum tt_worker_state)w->state;
}

uint32_t tt_worker_epoch(const struct tt_worker *w)
{
	return w->epoch;
}

uint32_t tt_worker_id(const struct tt_worker *w)
{
	return w->cfg.worker_id;
}

bool tt_worker_exited(const struct tt_worker *w, int *code)
{
	if (w->exited && code != NULL)
		*code = TT_WORKER_EXIT_FENCED;
	return w->exited;
}

struct tt_run *tt_worker_runner(struct tt_worker *w)
{
	return w->run;
}

const struct tt_hb_session *tt_worker_hb(const struct tt_worker *w)
{
	return &w->hb.sess;
}

const struct tt_dc *tt_worker_dc(const struct tt_worker *w, unsigned int chan)
{
	return chan < w->cfg.n_chan ? w->ch[chan].dc : NULL;
}

const struct tt_fence_assoc *tt_worker_assoc(const struct tt_worker *w)
{
	return &w->assoc;
}

struct tt_fence_tl *tt_worker_timeline(struct tt_worker *w)
{
	return w->ep.tl;
}

struct tt_fence_tl *tt_worker_timeline_dc(struct tt_worker *w)
{
	return w->ep.tl_dc;
}

bool tt_worker_split(const struct tt_worker *w)
{
	return w->split;
}

const struct tt_worker_counters *tt_worker_counters(const struct tt_worker *w)
{
	return &w->cnt;
}

void tt_worker_counters_sum(const struct tt_worker *w, struct tt_worker_counters *out)
{
	const struct tt_worker_counters *d = &w->cnt_dc;

	*out = w->cnt;
	if (!w->split)
		return;
	out->tx.sent += d->tx.sent;
	out->tx.no_buf += d->tx.no_buf;
	out->tx.build_failed += d->tx.build_failed;
	out->tx.send_failed += d->tx.send_failed;
	out->rx_datagrams += d->rx_datagrams;
	out->rx_bad_dst += d->rx_bad_dst;
	out->rx_after_exit += d->rx_after_exit;
	out->auth_sign_failed += d->auth_sign_failed;
	out->step_errors += d->step_errors;
	out->timers_fired += d->timers_fired;
}

const struct tt_hb_policy_times *tt_worker_policy(const struct tt_worker *w)
{
	return &w->pol;
}

uint32_t tt_worker_local_disc(const struct tt_worker *w)
{
	return w->hb.hc.local_disc;
}

uint8_t tt_worker_dc_max_retx(const struct tt_worker *w)
{
	return w->dc_max_retx;
}

const struct tt_auth_bfd *tt_worker_hb_auth(const struct tt_worker *w)
{
	return w->hb.authed ? &w->hb.auth : NULL;
}

const struct tt_auth_dc *tt_worker_dc_auth(const struct tt_worker *w, unsigned int chan)
{
	return chan < w->cfg.n_chan && w->ch[chan].authed ? &w->ch[chan].auth : NULL;
}
