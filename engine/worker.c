/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker endpoint: heartbeat session + K data channels + task runner,
 * tied together by the fencing association. See worker.h for the lifecycle.
 *
 * Every object (session, channel) has one timer on the worker's timing wheel,
 * re-armed to the object's next_deadline() after each step. All side effects
 * of a step are carried out by one "apply" function per object type, so that
 * a step taken from RX, from a timer or from an operator call behaves alike.
 */
#include "worker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_wire.h"
#include "dc_wire.h"
#include "evq.h"
#include "task_msg.h"
#include "timer_wheel.h"

#define EVQ_BURST    32
#define TW_SHIFT_MAX 20 /* ~1 ms ticks at most: timers never fire early anyway */

struct wchan {
	struct tt_dc *dc;
	struct tt_timer tm;
	struct tt_worker *w;
	uint8_t idx;
	bool cut;
};

struct tt_worker {
	struct tt_worker_config cfg;
	struct tt_hb_policy_times pol;
	enum tt_worker_state state;
	uint32_t epoch;
	bool exited;
	tt_ns_t now; /* latest `now` seen */
	struct tt_hb_session hb;
	struct tt_timer hb_tm;
	struct tt_fence_assoc assoc;
	struct wchan ch[TT_FENCE_MAX_CHAN];
	struct tt_run *run;
	struct tt_run_out rout;
	struct tt_evq *evq;
	struct tt_tw *tw;
	struct tt_fence_tl *tl;
	struct tt_dcw_policy dcw;
	/* flush_runner's stage: TT_RUN_OUT_MAX encoded messages */
	struct staged {
		struct tt_tmsg msg;
		uint16_t channel;
		size_t len;
	} stage[TT_RUN_OUT_MAX];
	uint8_t *stage_buf;
	size_t stage_slot;
	bool flushing;
	uint64_t prng;
	struct tt_worker_counters cnt;
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
	return state < TT_WORKER_S_COUNT ? state_names[state] : "?";
}

const char *tt_worker_fence_action_name(unsigned int action)
{
	return action < TT_WORKER_FENCE_COUNT ? action_names[action] : "?";
}

static void hb_apply(struct tt_worker *w, const struct tt_hb_actions *act, tt_ns_t now);
static void dc_apply(struct wchan *c, struct tt_dc_actions *act, tt_ns_t now);
static void flush_runner(struct tt_worker *w, tt_ns_t now);

/* splitmix64: deterministic ISNs and nonces from the configured seed. */
static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void tl_push(struct tt_worker *w, tt_ns_t now, unsigned int kind, uint32_t epoch,
		    unsigned int chan, uint32_t aux, uint64_t val)
{
	struct tt_fence_event ev = {
		.time_ns = now,
		.val = val,
		.worker = w->cfg.worker_id,
		.epoch = epoch,
		.aux = aux,
		.kind = (uint16_t)kind,
		.chan = (uint8_t)chan,
		.role = TT_HB_ROLE_WORKER,
	};

	tt_fence_tl_push(w->tl, &ev);
}

/* ---- transmit ---- */

static void io_send_hb(struct tt_worker *w, const struct tt_bfd_ctrl *pkt)
{
	struct tt_udp_meta meta = {
		.src_ip = w->cfg.ip,
		.dst_ip = w->cfg.master_ip,
		.src_port = w->cfg.hb_src_port,
		.dst_port = TT_BFD_UDP_PORT,
		.ttl = TT_BFD_TTL, /* RFC 5881 §5 */
	};
	size_t cap = 0;
	uint8_t *buf = w->cfg.io.tx_buf(w->cfg.io.ctx, &cap);
	size_t len;

	if (buf == NULL) {
		w->cnt.tx.no_buf++;
		return;
	}
	len = tt_bfd_build(pkt, buf, cap);
	if (len == 0)
		w->cnt.tx.build_failed++;
	if (w->cfg.io.tx_send(w->cfg.io.ctx, &meta, buf, len) < 0 && len > 0)
		w->cnt.tx.send_failed++;
	else if (len > 0)
		w->cnt.tx.sent++;
}

static void io_send_dc(struct tt_worker *w, struct wchan *c, const struct tt_dc_tx_req *req)
{
	struct tt_udp_meta meta = {
		.src_ip = w->cfg.ip,
		.dst_ip = w->cfg.master_ip,
		.src_port = (uint16_t)(w->cfg.dc_port_base + c->idx),
		.dst_port = w->cfg.master_dc_port,
		.ttl = 64,
	};
	size_t cap = 0;
	uint8_t *buf = w->cfg.io.tx_buf(w->cfg.io.ctx, &cap);
	size_t len;

	if (buf == NULL) {
		w->cnt.tx.no_buf++;
		return;
	}
	len = tt_dc_build(c->dc, req, buf, cap);
	if (len == 0)
		w->cnt.tx.build_failed++;
	if (w->cfg.io.tx_send(w->cfg.io.ctx, &meta, buf, len) < 0 && len > 0)
		w->cnt.tx.send_failed++;
	else if (len > 0)
		w->cnt.tx.sent++;
}

/* ---- timers ---- */

static void hb_rearm(struct tt_worker *w)
{
	tt_ns_t d;

	if (!w->exited && tt_hb_next_deadline(&w->hb, &d))
		tt_tw_arm(w->tw, &w->hb_tm, d);
	else
		tt_tw_cancel(w->tw, &w->hb_tm);
}

static void dc_rearm(struct wchan *c)
{
	tt_ns_t d;

	if (!c->w->exited && tt_dc_next_deadline(c->dc, &d))
		tt_tw_arm(c->w->tw, &c->tm, d);
	else
		tt_tw_cancel(c->w->tw, &c->tm);
}

static void hb_timer_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct tt_worker *w = arg;
	struct tt_hb_actions act;

	(void)t;
	w->cnt.timers_fired++;
	if (tt_hb_tick(&w->hb, now, &act) < 0)
		w->cnt.step_errors++;
	hb_apply(w, &act, now);
}

static void dc_timer_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct wchan *c = arg;
	struct tt_dc_actions act;

	(void)t;
	c->w->cnt.timers_fired++;
	if (tt_dc_tick(c->dc, now, &act) < 0)
		c->w->cnt.step_errors++;
	dc_apply(c, &act, now);
}

/* ---- channels ---- */

/* Step a channel with an event and carry out what it says. */
static int dc_event(struct wchan *c, const struct tt_dc_event *ev, tt_ns_t now)
{
	struct tt_dc_actions act;
	int rc = tt_dc_step(c->dc, ev, now, &act);

	dc_apply(c, &act, now);
	return rc;
}

static void open_channel(struct tt_worker *w, struct wchan *c, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_OPEN};

	if (c->cut || tt_dc_state(c->dc) != TT_DC_S_CLOSED)
		return;
	ev.open.epoch = w->epoch;
	ev.open.isn = (uint32_t)prng_next(&w->prng);
	ev.open.nonce = prng_next(&w->prng) | 1u; /* non-zero */
	if (dc_event(c, &ev, now) < 0)
		w->cnt.step_errors++;
}

/* HB Up: connect every channel under the current epoch (DESIGN.md §1). */
static void connect_all(struct tt_worker *w, tt_ns_t now)
{
	w->state = TT_WORKER_S_CONNECTING;
	tt_fence_arm(&w->assoc, w->epoch);
	for (unsigned int i = 0; i < w->cfg.n_chan; i++)
		open_channel(w, &w->ch[i], now);
}

/* Close every channel that the peer knows of; the association is disarmed. */
static void close_all(struct tt_worker *w, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_CLOSE};

	for (unsigned int i = 0; i < w->cfg.n_chan; i++) {
		enum tt_dc_state s = tt_dc_state(w->ch[i].dc);

		if (s == TT_DC_S_CONNECTING || s == TT_DC_S_ACCEPTING || s == TT_DC_S_UP)
			dc_event(&w->ch[i], &ev, now);
	}
}

static void reset_all(struct tt_worker *w, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_RESET};

	for (unsigned int i = 0; i < w->cfg.n_chan; i++)
		if (dc_event(&w->ch[i], &ev, now) < 0)
			w->cnt.step_errors++;
}

/* Tasks are taken while HB Up and no channel went down (worker.h). */
static bool taking_tasks(const struct tt_worker *w)
{
	return (w->state == TT_WORKER_S_CONNECTING || w->state == TT_WORKER_S_LIVE) &&
	       tt_hb_state(&w->hb) == TT_HB_S_UP && tt_fence_down_mask(&w->assoc) == 0 &&
	       !tt_run_fenced(w->run);
}

static void on_message(struct tt_worker *w, struct wchan *c, const uint8_t *msg, uint32_t len,
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
		if (!taking_tasks(w)) {
			w->cnt.assign_not_live++;
			return;
		}
		/* rout is flushed after every tick and cancel, so no RESULT payload
		 * pointer is outstanding when the runner reuses its buffers here. */
		if (tt_run_assign(w->run, &m, c->idx, now) == TT_RUN_ACCEPTED)
			tl_push(w, now, TT_FENCE_EV_TASK_START, m.epoch, c->idx, 0, m.task_id);
		return;
	case TT_TMSG_CANCEL:
		rc = tt_run_cancel(w->run, m.task_id, m.epoch, c->idx, now, &w->rout);
		if (rc == -ENOBUFS && !w->flushing) {
			flush_runner(w, now);
			rc = tt_run_cancel(w->run, m.task_id, m.epoch, c->idx, now, &w->rout);
		}
		if (rc == -ENOBUFS)
			w->cnt.cancel_dropped++;
		tl_push(w, now, TT_FENCE_EV_CANCEL_RX, m.epoch, c->idx,
			rc == 1 ? w->rout.send[w->rout.n - 1].msg.outcome : TT_FENCE_CANCEL_IGNORED,
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
static void dc_apply(struct wchan *c, struct tt_dc_actions *act, tt_ns_t now)
{
	struct tt_worker *w = c->w;

	for (;;) {
		if (act->flags & TT_DC_A_TX)
			for (unsigned int i = 0; i < act->n_tx; i++)
				io_send_dc(w, c, &act->tx[i]);
		if (act->flags & TT_DC_A_UP) {
			tl_push(w, now, TT_FENCE_EV_CHAN_UP, w->epoch, c->idx, 0, 0);
			if (tt_fence_chan_up(&w->assoc, c->idx) &&
			    w->state == TT_WORKER_S_CONNECTING) {
				w->state = TT_WORKER_S_LIVE;
				w->cnt.lives++;
				tl_push(w, now, TT_FENCE_EV_LIVE, w->epoch, TT_FENCE_NO_CHAN,
					w->cfg.n_chan, 0);
			}
		}
		if (act->flags & TT_DC_A_DELIVER)
			on_message(w, c, act->msg, act->msg_len, now);
		if (act->flags & TT_DC_A_DOWN) {
			enum tt_fence_route r;

			tl_push(w, now, TT_FENCE_EV_CHAN_DOWN, w->epoch, c->idx, act->down_reason,
				0);
			r = tt_fence_chan_down(&w->assoc, c->idx, (uint8_t)act->down_reason,
					       w->cfg.dc_lcore, w->evq, now);
			if (r == TT_FENCE_ROUTE_DIRECT)
				silence(w, c->idx, r, now, now);
		}
		if (!(act->flags & TT_DC_A_MORE) || w->exited)
			break;
		/* Another complete message waits: deliver it now (bounded by rx_window). */
		if (tt_dc_tick(c->dc, now, act) < 0) {
			w->cnt.step_errors++;
			break;
		}
	}
	dc_rearm(c);
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
	w->flushing = true;
	while (w->rout.n > 0 && !w->exited && !tt_run_fenced(w->run)) {
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
			struct wchan *c;
			int rc;

			if (tt_run_fenced(w->run) || w->exited) {
				w->cnt.fence_dropped += n - i;
				break;
			}
			if (st->len == 0 || st->channel >= w->cfg.n_chan)
				continue;
			c = &w->ch[st->channel];
			rc = tt_dc_send(c->dc, w->stage_buf + (size_t)i * w->stage_slot,
					(uint32_t)st->len, now, &act);
			if (rc == 0 && st->msg.type == TT_TMSG_RESULT)
				tl_push(w, now, TT_FENCE_EV_TASK_RESULT, st->msg.epoch, c->idx,
					st->msg.status, st->msg.task_id);
			if (rc == -ENOTCONN)
				w->cnt.send_dropped_down++;
			dc_apply(c, &act, now);
			if (rc == -ENOBUFS || rc == -EMSGSIZE) {
				struct tt_dc_event cut = {.type = TT_DC_EV_CUT};

				w->cnt.overflow_cuts++;
				dc_event(c, &cut, now);
			}
		}
	}
	if (tt_run_fenced(w->run) || w->exited)
		w->rout.n = 0;
	w->flushing = false;
}

static void service_runner(struct tt_worker *w, tt_ns_t now)
{
	/* tt_run_tick stops at a full out; loop until it has nothing more due. */
	for (unsigned int guard = 0; guard < 1024 && !w->exited; guard++) {
		int n = tt_run_tick(w->run, now, &w->rout);

		flush_runner(w, now);
		if (n < TT_RUN_OUT_MAX)
			break;
	}
}

/* ---- heartbeat and fencing ---- */

/*
 * The fence (DESIGN.md §1 step 4): runner fenced first, so that nothing it
 * had in flight can produce a result, then the channels closed, then the
 * configured action.
 */
static void do_fence(struct tt_worker *w, tt_ns_t now)
{
	uint32_t old = w->epoch;
	int aborted;

	tt_fence_disarm(&w->assoc);
	aborted = tt_run_fence(w->run, now);
	w->rout.n = 0;
	w->cnt.fences++;
	w->cnt.last_fence_ns = now;
	w->cnt.last_fence_epoch = old;
	tl_push(w, now, TT_FENCE_EV_FENCE, old, TT_FENCE_NO_CHAN,
		(uint32_t)(aborted < 0 ? 0 : aborted), w->cfg.fence_action);
	close_all(w, now);

	if (w->cfg.fence_action == TT_WORKER_FENCE_EXIT) {
		w->state = TT_WORKER_S_EXITED;
		w->exited = true;
		tl_push(w, now, TT_FENCE_EV_EXIT, old, TT_FENCE_NO_CHAN, TT_WORKER_EXIT_FENCED, 0);
		tt_tw_cancel(w->tw, &w->hb_tm);
		for (unsigned int i = 0; i < w->cfg.n_chan; i++)
			tt_tw_cancel(w->tw, &w->ch[i].tm);
		return;
	}

	/* REJOIN: a new incarnation; 0 is not an epoch. */
	w->epoch = old + 1 == 0 ? 1 : old + 1;
	if (tt_run_rejoin(w->run, w->epoch, now) < 0)
		w->cnt.step_errors++;
	reset_all(w, now);
	w->state = TT_WORKER_S_JOINING;
	w->cnt.rejoins++;
	tl_push(w, now, TT_FENCE_EV_REJOIN, w->epoch, TT_FENCE_NO_CHAN, old, 0);
	{
		struct tt_hb_event ev = {.type = TT_HB_EV_RECONNECT};
		struct tt_hb_actions act;

		if (tt_hb_step(&w->hb, &ev, now, &act) < 0)
			w->cnt.step_errors++;
		hb_apply(w, &act, now);
	}
}

static bool entered_up(const struct tt_hb_actions *act)
{
	return (act->flags & TT_HB_A_STATE_CHANGE) && act->new_state == TT_HB_S_UP &&
	       (act->old_state != TT_HB_S_UP || (act->flags & TT_HB_A_DETECT_EXPIRED));
}

static bool left_up(const struct tt_hb_actions *act)
{
	return (act->flags & TT_HB_A_STATE_CHANGE) && act->old_state == TT_HB_S_UP &&
	       (act->new_state != TT_HB_S_UP || (act->flags & TT_HB_A_DETECT_EXPIRED));
}

/* Carry out a session step, in the order hb_fsm.h asks: FENCE before TX. */
static void hb_apply(struct tt_worker *w, const struct tt_hb_actions *act, tt_ns_t now)
{
	if (w->exited)
		return;
	if (left_up(act))
		tl_push(w, now, TT_FENCE_EV_HB_DOWN, w->epoch, TT_FENCE_NO_CHAN, act->diag, 0);
	if (act->flags & TT_HB_A_FENCE)
		do_fence(w, now);
	if (w->exited)
		return;
	if ((act->flags & TT_HB_A_TX) && act->n_tx > 0)
		io_send_hb(w, &act->tx[0]);
	if (entered_up(act)) {
		tl_push(w, now, TT_FENCE_EV_HB_UP, w->epoch, TT_FENCE_NO_CHAN, 0, 0);
		if (w->state == TT_WORKER_S_JOINING)
			connect_all(w, now);
	}
	hb_rearm(w);
}

/* Disconnect the heartbeat (DESIGN.md §1 step 3) and record it. */
static void silence(struct tt_worker *w, unsigned int chan, enum tt_fence_route route,
		    tt_ns_t down_ns, tt_ns_t now)
{
	struct tt_hb_actions act;
	int rc = tt_fence_silence(&w->assoc, &w->hb, now, &act);

	if (rc < 0) {
		w->cnt.step_errors++;
		return;
	}
	if (rc == 0)
		return;
	tl_push(w, now, TT_FENCE_EV_HB_SILENCED, w->epoch, chan, route,
		(uint64_t)tt_time_diff(now, down_ns));
	if (w->state == TT_WORKER_S_CONNECTING || w->state == TT_WORKER_S_LIVE)
		w->state = TT_WORKER_S_SILENCED;
	hb_apply(w, &act, now);
}

static void drain_evq(struct tt_worker *w, tt_ns_t now)
{
	struct tt_evq_event ev[EVQ_BURST];
	unsigned int n;

	while ((n = tt_evq_dequeue_burst(w->evq, ev, EVQ_BURST)) > 0)
		for (unsigned int i = 0; i < n; i++)
			if (tt_fence_on_event(&w->assoc, &ev[i]))
				silence(w, ev[i].chan_idx, TT_FENCE_ROUTE_QUEUED, ev[i].ts_ns, now);
}

/* ---- create / destroy ---- */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t len, const char *fmt,
							  ...);

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int check_policy(const struct tt_hb_timers *wt, const struct tt_hb_timers *mt, tt_ns_t d_max,
			tt_ns_t g, bool skip, struct tt_hb_policy_times *out, char *err, size_t len)
{
	struct tt_hb_policy_input in = {
		.master = {mt->desired_min_tx_us, mt->required_min_rx_us, mt->detect_mult},
		.worker = {wt->desired_min_tx_us, wt->required_min_rx_us, wt->detect_mult},
		.d_max_ns = d_max,
		.granularity_ns = g,
	};
	int rc;

	if (!skip) {
		rc = tt_hb_policy_check(&in, err, len);
		if (rc < 0)
			return rc;
	}
	return tt_hb_policy_compute(&in, out, err, len);
}

static unsigned int tw_shift(tt_ns_t g)
{
	unsigned int s = 0;

	while (s < TW_SHIFT_MAX && (2ull << s) <= g)
		s++;
	return s;
}

struct tt_worker *tt_worker_create(const struct tt_worker_config *cfg, tt_ns_t now, char *err,
				   size_t err_len)
{
	struct tt_worker *w;
	struct tt_fence_assoc_config ac = {0};
	struct tt_hb_config hc = {0};
	struct tt_run_config rc = {0};
	uint32_t evq_cap = TT_EVQ_MIN_CAPACITY;

	set_err(err, err_len, "ok");
	if (cfg->n_chan < 1 || cfg->n_chan > TT_FENCE_MAX_CHAN ||
	    cfg->n_chan > TT_DCW_MAX_CHANNELS) {
		set_err(err, err_len, "worker n_chan = %u: allowed 1..%u", cfg->n_chan,
			TT_FENCE_MAX_CHAN);
		goto inval;
	}
	if (cfg->epoch == 0) {
		set_err(err, err_len, "worker epoch = 0: allowed 1..4294967295");
		goto inval;
	}
	if (cfg->hb_src_port < TT_BFD_SRC_PORT_MIN) {
		set_err(err, err_len, "worker hb_src_port = %u: allowed %u..%u (RFC 5881 §4)",
			cfg->hb_src_port, TT_BFD_SRC_PORT_MIN, TT_BFD_SRC_PORT_MAX);
		goto inval;
	}
	if (cfg->dc_port_base == 0 || (uint32_t)cfg->dc_port_base + cfg->n_chan - 1 > 65535u ||
	    (cfg->hb_src_port >= cfg->dc_port_base &&
	     cfg->hb_src_port < cfg->dc_port_base + cfg->n_chan)) {
		set_err(err, err_len,
			"worker dc_port_base = %u: needs dc_port_base + n_chan - 1 <= 65535, "
			"non-zero, not overlapping hb_src_port %u",
			cfg->dc_port_base, cfg->hb_src_port);
		goto inval;
	}
	if (cfg->fence_action >= TT_WORKER_FENCE_COUNT || cfg->timeline_cap == 0 ||
	    cfg->io.tx_buf == NULL || cfg->io.tx_send == NULL) {
		set_err(err, err_len,
			"worker fence_action %u, timeline_cap %u or io ops invalid: action "
			"exit|rejoin, timeline_cap >= 1, tx_buf and tx_send set",
			(unsigned int)cfg->fence_action, cfg->timeline_cap);
		goto inval;
	}

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto nomem;
	w->cfg = *cfg;
	if (w->cfg.master_dc_port == 0)
		w->cfg.master_dc_port = TT_DCW_UDP_PORT;
	if (w->cfg.local_disc == 0)
		w->cfg.local_disc = 0x57000000u + cfg->worker_id + 1u;
	if (check_policy(&cfg->worker_timers, &cfg->master_timers, cfg->d_max_ns,
			 cfg->granularity_ns, cfg->skip_policy_check, &w->pol, err, err_len) < 0) {
		free(w);
		goto inval;
	}
	w->epoch = cfg->epoch;
	w->state = TT_WORKER_S_JOINING;
	w->now = now;
	w->prng = cfg->seed ^ 0x5745524b45520000ull ^ cfg->worker_id;
	w->dcw.n_channels = cfg->n_chan;
	w->dcw.mac = false;

	hc.role = TT_HB_ROLE_WORKER;
	hc.local_disc = w->cfg.local_disc;
	hc.timers = cfg->worker_timers;
	hc.slow_tx_us = cfg->slow_tx_us;
	hc.allow_fast_slow_rate = cfg->allow_fast_slow_rate;
	hc.d_max_ns = cfg->d_max_ns;
	hc.granularity_ns = cfg->granularity_ns;
	hc.seed = cfg->seed ^ 0x48420000ull ^ cfg->worker_id;
	if (tt_hb_init(&w->hb, &hc, now) < 0) {
		set_err(err, err_len,
			"worker heartbeat config refused by tt_hb_init "
			"(timers zero, or slow_tx_us below 1 s without "
			"allow_fast_slow_rate)");
		free(w);
		goto inval;
	}

	ac.worker_id = cfg->worker_id;
	ac.n_chan = cfg->n_chan;
	ac.hb_lcore = cfg->hb_lcore;
	for (unsigned int i = 0; i < cfg->n_chan; i++)
		ac.chan_lcore[i] = cfg->dc_lcore;
	tt_fence_assoc_init(&w->assoc, &ac);

	rc.max_tasks = cfg->max_tasks;
	rc.max_handlers = cfg->max_handlers;
	rc.max_result = cfg->max_result;
	rc.reply_cap = cfg->max_tasks > 0 ? cfg->max_tasks : 1;
	rc.epoch = cfg->epoch;
	w->run = tt_run_create(&rc);
	if (w->run == NULL || tt_run_register_reference(w->run) < 0) {
		set_err(err, err_len,
			"worker runner refused: max_tasks %u, max_handlers %u (>= 3), max_result "
			"%u "
			"(<= %u)",
			cfg->max_tasks, cfg->max_handlers, cfg->max_result, TT_TMSG_MAX_PAYLOAD);
		goto fail;
	}

	while (evq_cap < 4u * cfg->n_chan)
		evq_cap <<= 1;
	w->evq = tt_evq_create(evq_cap);
	w->tw = tt_tw_create(tw_shift(cfg->granularity_ns), now);
	w->tl = tt_fence_tl_create(cfg->timeline_cap);
	w->stage_slot = TT_TMSG_RESULT_HDR_LEN + (size_t)cfg->max_result;
	w->stage_buf = malloc(TT_RUN_OUT_MAX * w->stage_slot);
	if (w->evq == NULL || w->tw == NULL || w->tl == NULL || w->stage_buf == NULL) {
		set_err(err, err_len, "worker: out of memory");
		goto fail;
	}
	tt_timer_init(&w->hb_tm, hb_timer_fn, w);
	for (unsigned int i = 0; i < cfg->n_chan; i++) {
		struct tt_dc_config dc = cfg->dc;
		struct wchan *c = &w->ch[i];

		dc.worker_id = cfg->worker_id;
		dc.chan_idx = (uint16_t)i;
		c->w = w;
		c->idx = (uint8_t)i;
		tt_timer_init(&c->tm, dc_timer_fn, c);
		c->dc = tt_dc_create(&dc);
		if (c->dc == NULL) {
			set_err(err, err_len,
				"worker channel %u: tt_dc_create refused the dc "
				"template (see tt_dc_config)",
				i);
			goto fail;
		}
	}
	hb_rearm(w);
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
	set_err(err, err_len, "worker: out of memory");
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
	tt_evq_destroy(w->evq);
	tt_tw_destroy(w->tw);
	tt_fence_tl_destroy(w->tl);
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

	if (tt_time_after(now, w->now))
		w->now = now;
	if (tt_hb_next_deadline(&w->hb, &d) && tt_time_reached(now, d)) {
		struct tt_hb_actions act;

		tt_tw_cancel(w->tw, &w->hb_tm);
		w->cnt.timers_fired++;
		if (tt_hb_tick(&w->hb, now, &act) < 0)
			w->cnt.step_errors++;
		hb_apply(w, &act, now);
	}
}

static int rx_hb(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *p, size_t len,
		 tt_ns_t now)
{
	struct tt_bfd_ctrl pkt;
	struct tt_hb_actions act;
	enum tt_bfd_rx_reject r;

	/* RFC 5881 §5 (TTL 255) and §4 (ports). */
	r = tt_bfd_check_transport(meta->ttl, meta->src_port, meta->dst_port);
	if (r == TT_BFD_RX_OK)
		r = tt_bfd_parse(p, len, &pkt);
	if (r != TT_BFD_RX_OK) {
		w->cnt.hb_rx.by_reason[r]++;
		tt_hb_count_reject(&w->hb, r);
		return -EPROTO;
	}
	w->cnt.hb_rx.by_reason[TT_BFD_RX_OK]++;
	if (tt_hb_rx(&w->hb, &pkt, now, &act) < 0)
		w->cnt.step_errors++;
	hb_apply(w, &act, now);
	return act.rx_verdict == TT_BFD_RX_OK ? 0 : -EPROTO;
}

static int rx_dc(struct tt_worker *w, unsigned int idx, const uint8_t *p, size_t len, tt_ns_t now)
{
	struct wchan *c = &w->ch[idx];
	struct tt_dcw_pkt pkt;
	struct tt_dc_actions act;

	if (tt_dcw_parse(p, len, &w->dcw, &pkt, &w->cnt.dc_parse) != TT_DCW_RX_OK)
		return -EPROTO;
	if (pkt.worker_id != w->cfg.worker_id || pkt.chan_idx != idx) {
		w->cnt.dc_rx_id_mismatch++;
		return -ENOENT;
	}
	if (c->cut) {
		w->cnt.dc_rx_cut++;
		return -ECONNREFUSED;
	}
	if (tt_dc_rx(c->dc, &pkt, now, &act) < 0)
		w->cnt.step_errors++;
	dc_apply(c, &act, now);
	if (act.rx_verdict != TT_DC_RX_OK) {
		w->cnt.dc_rx_rejected++;
		return -EPROTO;
	}
	return 0;
}

int tt_worker_rx(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *payload,
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

int tt_worker_poll(struct tt_worker *w, tt_ns_t now)
{
	if (w->exited)
		return TT_WORKER_EXITED;
	note_now(w, now);
	/* Split layout: what the data side posted since the last pass (DESIGN.md §4). */
	if (!w->exited)
		drain_evq(w, now);
	if (!w->exited)
		tt_tw_advance(w->tw, now);
	if (!w->exited)
		service_runner(w, now);
	return w->exited ? TT_WORKER_EXITED : 0;
}

bool tt_worker_next_deadline(const struct tt_worker *w, tt_ns_t *deadline)
{
	tt_ns_t d, best = 0;
	bool any = false;

	if (w->exited)
		return false;
	if (tt_evq_count(w->evq) > 0) {
		best = w->now;
		any = true;
	}
	if (tt_tw_next_deadline(w->tw, &d) == 0) {
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

int tt_worker_cut(struct tt_worker *w, unsigned int chan, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_CUT};
	struct wchan *c;

	if (w->exited)
		return -ESHUTDOWN;
	if (chan >= w->cfg.n_chan)
		return -EINVAL;
	c = &w->ch[chan];
	if (c->cut)
		return -EALREADY;
	note_now(w, now);
	c->cut = true;
	if (w->exited)
		return 0;
	tl_push(w, now, TT_FENCE_EV_CUT, w->epoch, chan, 0, 0);
	if (tt_dc_state(c->dc) != TT_DC_S_CLOSED && tt_dc_state(c->dc) != TT_DC_S_DOWN)
		dc_event(c, &ev, now);
	return 0;
}

int tt_worker_restore(struct tt_worker *w, unsigned int chan, tt_ns_t now)
{
	struct wchan *c;

	if (w->exited)
		return -ESHUTDOWN;
	if (chan >= w->cfg.n_chan)
		return -EINVAL;
	c = &w->ch[chan];
	if (!c->cut)
		return -EALREADY;
	note_now(w, now);
	c->cut = false;
	if (w->exited)
		return 0;
	tl_push(w, now, TT_FENCE_EV_RESTORE, w->epoch, chan, 0, 0);
	if (w->state == TT_WORKER_S_CONNECTING && tt_hb_state(&w->hb) == TT_HB_S_UP)
		open_channel(w, c, now);
	return 0;
}

int tt_worker_link_down(struct tt_worker *w, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_LINK_DOWN};
	int n = 0;

	if (w->exited)
		return 0;
	note_now(w, now);
	for (unsigned int i = 0; i < w->cfg.n_chan && !w->exited; i++) {
		enum tt_dc_state s = tt_dc_state(w->ch[i].dc);

		if (s == TT_DC_S_CONNECTING || s == TT_DC_S_ACCEPTING || s == TT_DC_S_UP) {
			dc_event(&w->ch[i], &ev, now);
			n++;
		}
	}
	return n;
}

int tt_worker_set_hb_timers(struct tt_worker *w, const struct tt_hb_timers *timers, tt_ns_t now,
			    char *err, size_t err_len)
{
	struct tt_hb_policy_times pol;
	struct tt_hb_event ev = {.type = TT_HB_EV_SET_TIMERS};
	struct tt_hb_actions act;

	if (w->exited)
		return -ESHUTDOWN;
	if (check_policy(timers, &w->cfg.master_timers, w->cfg.d_max_ns, w->cfg.granularity_ns,
			 w->cfg.skip_policy_check, &pol, err, err_len) < 0)
		return -EINVAL;
	note_now(w, now);
	if (w->exited)
		return -ESHUTDOWN;
	ev.timers = *timers;
	if (tt_hb_step(&w->hb, &ev, now, &act) < 0) {
		set_err(err, err_len, "tt_hb_step refused the timers");
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
	return w->state;
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
	return &w->hb;
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
	return w->tl;
}

const struct tt_worker_counters *tt_worker_counters(const struct tt_worker *w)
{
	return &w->cnt;
}

const struct tt_hb_policy_times *tt_worker_policy(const struct tt_worker *w)
{
	return &w->pol;
}
