/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The master endpoint: per worker a heartbeat session and K accepted data
 * channels, in the association table, and the task table. See master.h.
 *
 * Per worker ("peer") the master keeps, besides the modules' own state:
 *   epoch         the accepted incarnation (0 before the first CONNECT)
 *   state         JOINING (no incarnation live in the scheduler), LIVE,
 *                 SILENCED (was live; heartbeat disconnected or left Up,
 *                 WORKER_DEAD is coming), DEAD (WORKER_DEAD handled)
 *   dead_pending  the session left Up and its WORKER_DEAD has not fired yet
 * The record in the table mirrors epoch, state and the channel link words
 * for other lcores and telemetry.
 *
 * Every session and channel has a timer on the master's wheel, re-armed to
 * its next_deadline() after each step; one apply function per object type
 * carries out a step's actions whatever caused the step. The plumbing shared
 * with the worker (transmit, timers, heartbeat transport checks, timeline) is
 * in endpoint.c.
 *
 * Two planes (DESIGN.md §4). Every field has one writing plane:
 *   HB plane  the session (hb), hb_up, dead_pending, quiet_tm, resets_posted,
 *             the published words hb_pub/hb_disc_pub, the association's
 *             silenced flag and its disarm when an incarnation ends, prng,
 *             now_hb, the HB timeline, wheel and counters share;
 *   DC plane  epoch, state, live, dc_hb_up (its view of hb_up), resets_done,
 *             the channels, the send queues, the scheduler, sout, msgbuf,
 *             dispatch_needed, the table records, the association's arm and
 *             channel masks, prng_dc, now, the DC timeline, wheel and
 *             counters share (cnt_dc).
 * What one plane needs of the other is an event or an atomic read:
 *   HB -> DC  HB_UP, HB_DOWN, SILENCED (stop using the worker), WORKER_DEAD
 *             (scheduler, record, channels), QUIET (reset a silent joining
 *             incarnation): tt_ep_xpost() on evq_dc, or with the planes on
 *             one thread (split_planes off) a direct call of the same handler
 *             at the same point, which keeps the order of the single-thread
 *             endpoint;
 *   DC -> HB  a channel DOWN (fence.h route QUEUED on evq, DIRECT when the
 *             lcores are the same);
 *   atomics   epoch, state, live (read by the HB plane for its timeline and
 *             its quiet timer); hb_pub, hb_disc_pub, resets_posted (read by
 *             the DC plane before accepting a new incarnation).
 * The association's epoch is written by both in turn, never at once: the HB
 * plane disarms when an incarnation ends and posts the reset; the DC plane
 * arms a new incarnation only after it handled every reset posted
 * (resets_done == resets_posted) and saw the session reconnected.
 */
#include "master.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_wire.h"
#include "dc_wire.h"
#include "endpoint.h"
#include "evq.h"
#include "task_msg.h"
#include "timer_wheel.h"
#include "tt_rand.h"

#define EVQ_BURST  32
#define SETTLE_MAX 16 /* split planes, combined calls: rounds of queue draining */

/* hb_pub bits: what the DC plane may read of the session. */
#define PUB_STATE_MASK	 0x3u /* enum tt_hb_state */
#define PUB_DISCONNECTED (1u << 2)
#define PUB_DEAD_PENDING (1u << 3)
#define DISC_BASE	 0x4d000000u /* 'M': first My Discriminator of workers[i]: DISC_BASE + i + 1 */
#define NO_PEER		 UINT32_MAX

/*
 * Scheduler actions waiting for room in a channel's send buffer, in order,
 * each tagged with the incarnation it was meant for: a message never reaches
 * a later incarnation of the worker.
 */
struct qent {
	struct tt_sched_action a;
	uint32_t epoch;
};

struct sendq {
	struct qent *e;
	uint32_t cap;
	uint32_t head;
	uint32_t n;
	uint32_t gen; /* bumped by sendq_clear() */
};

struct peer {
	struct tt_master *m;
	struct tt_master_peer_config pc;
	/* DC plane */
	_Atomic uint32_t epoch;
	_Atomic int state;			 /* enum tt_ctab_wstate */
	_Atomic bool live;			 /* reported up to the scheduler */
	bool dc_hb_up;				 /* the session is Up, as the DC plane was told */
	uint32_t resets_done;			 /* WORKER_DEAD and QUIET events handled */
	struct tt_ep_chan ch[TT_FENCE_MAX_CHAN]; /* owner: the peer */
	struct sendq q;
	/* HB plane */
	bool hb_up;	   /* the session is Up */
	bool dead_pending; /* left Up; WORKER_DEAD not fired yet */
	struct tt_ep_hb hb;
	struct tt_timer quiet_tm;
	_Atomic uint32_t resets_posted; /* WORKER_DEAD and QUIET events posted */
	_Atomic uint32_t hb_pub;	/* PUB_* of the session */
	_Atomic uint32_t hb_disc_pub;	/* its My Discriminator */
	/* both in turn: see the file comment */
	struct tt_fence_assoc assoc;
};

struct tt_master {
	struct tt_master_config cfg;
	struct tt_master_peer_config *workers; /* cfg.workers points here */
	struct tt_hb_policy_times pol;
	struct peer *peers;
	uint32_t *id_to_peer;
	uint32_t id_space;
	struct tt_ctab *ctab;
	struct tt_sched *sched;
	struct tt_sched_out sout;
	struct tt_ep ep; /* io, wheels, event queues, timelines */
	uint8_t *msgbuf;
	struct tt_dcw_policy dcw;
	uint32_t disc_mask; /* low bits of a discriminator: peer index + 1 */
	uint64_t prng;	    /* HB plane */
	uint64_t prng_dc;   /* DC plane, split planes only */
	uint64_t *dprng;    /* the DC plane's: &prng_dc, or &prng on one thread */
	tt_ns_t now;	    /* DC plane */
	tt_ns_t now_hb;	    /* HB plane */
	bool dispatch_needed;
	uint32_t q_busy;		  /* DC plane: peers whose send queue holds something */
	bool split;			  /* cfg.split_planes */
	struct tt_master_counters cnt;	  /* HB plane and the DC plane's own fields */
	struct tt_master_counters cnt_dc; /* split: the DC plane's share of shared fields */
	struct tt_master_counters *dcc;	  /* &cnt_dc, or &cnt on one thread */
};

static void hb_apply(struct peer *p, const struct tt_hb_actions *act, tt_ns_t now);
static void dc_apply(struct tt_ep_chan *c, struct tt_dc_actions *act, tt_ns_t now);
static void dc_on_xev(struct peer *p, const struct tt_evq_event *ev, tt_ns_t now);

static uint32_t all_mask(const struct tt_master *m)
{
	return (1u << m->cfg.n_chan) - 1u;
}

/* A timeline record of the HB plane. */
static void ptl(struct peer *p, tt_ns_t now, unsigned int kind, unsigned int chan, uint32_t aux,
		uint64_t val)
{
	tt_ep_tl_push(&p->m->ep, now, kind, p->pc.worker_id, p->epoch, chan, aux, val);
}

/* A timeline record of the DC plane. */
static void ptl_dc(struct peer *p, tt_ns_t now, unsigned int kind, unsigned int chan, uint32_t aux,
		   uint64_t val)
{
	tt_ep_tl_push_dc(&p->m->ep, now, kind, p->pc.worker_id, p->epoch, chan, aux, val);
}

/* HB plane: publish what the DC plane may read of the session. */
static void hb_publish(struct peer *p)
{
	uint32_t v = (uint32_t)tt_hb_state(&p->hb.sess) & PUB_STATE_MASK;

	if (tt_hb_is_disconnected(&p->hb.sess))
		v |= PUB_DISCONNECTED;
	if (p->dead_pending)
		v |= PUB_DEAD_PENDING;
	atomic_store_explicit(&p->hb_disc_pub, p->hb.hc.local_disc, memory_order_relaxed);
	atomic_store_explicit(&p->hb_pub, v, memory_order_release);
}

/* DC plane: the session as the HB plane published it (exact on one thread). */
static uint32_t hb_view(const struct peer *p)
{
	return atomic_load_explicit(&((struct peer *)p)->hb_pub, memory_order_acquire);
}

/*
 * HB plane: hand an event to the DC plane. Split planes: publish the session
 * first (the DC plane may run the event at once), then post; on one thread,
 * run the DC plane's handler now, where the single-thread endpoint did that
 * work.
 */
static void post_dc(struct peer *p, enum tt_ep_xev x, tt_ns_t now)
{
	struct tt_master *m = p->m;
	struct tt_evq_event ev = {
		.ts_ns = now,
		.worker_id = p->pc.worker_id,
		.epoch = p->epoch,
		.type = (uint8_t)(TT_EP_XEV_BASE + (unsigned int)x),
	};

	hb_publish(p);
	if (!m->split) {
		dc_on_xev(p, &ev, now);
		return;
	}
	if (tt_ep_xpost(m->ep.evq_dc, x, ev.worker_id, ev.epoch, 0, 0, now) < 0)
		m->cnt.xev_full++;
	else
		m->cnt.xev_posted++;
}

/* The worker's record; valid until the caller's next quiescent state. */
static struct tt_worker_rec *rec_of(struct peer *p)
{
	return tt_ctab_worker_lookup(p->m->ctab, p->pc.worker_id);
}

static void set_state(struct peer *p, enum tt_ctab_wstate s)
{
	struct tt_worker_rec *rec = rec_of(p);

	p->state = (int)s;
	if (rec != NULL)
		tt_ctab_worker_set_state(rec, s);
}

static struct peer *peer_by_id(const struct tt_master *m, uint32_t id)
{
	if (id >= m->id_space || m->id_to_peer[id] == NO_PEER)
		return NULL;
	return &m->peers[m->id_to_peer[id]];
}

/* ---- channels ---- */

static void listen_chan(struct peer *p, struct tt_ep_chan *c, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_LISTEN};

	if (c->cut || tt_dc_state(c->dc) != TT_DC_S_CLOSED)
		return;
	tt_ep_chan_auth_start(c, p->epoch);
	ev.open.epoch = p->epoch;
	ev.open.isn = (uint32_t)tt_rand_next(p->m->dprng);
	tt_ep_chan_event(c, &ev, now);
}

/*
 * Bring every channel back to CLOSED: close the ones in use (their DOWN is
 * ignored: the caller disarmed the association), then RESET.
 */
static void reset_chans(struct peer *p, tt_ns_t now)
{
	struct tt_dc_event close = {.type = TT_DC_EV_CLOSE};
	struct tt_dc_event reset = {.type = TT_DC_EV_RESET};
	struct tt_worker_rec *rec = rec_of(p);

	for (unsigned int i = 0; i < p->m->cfg.n_chan; i++) {
		struct tt_ep_chan *c = &p->ch[i];

		if (tt_ep_chan_in_use(c))
			tt_ep_chan_event(c, &close, now);
		if (tt_ep_chan_event(c, &reset, now) < 0)
			p->m->dcc->step_errors++;
		if (rec != NULL)
			tt_ctab_chan_set_down(&rec->chan[i], TT_DC_DOWN_LOCAL_CLOSE);
	}
}

static void sendq_clear(struct peer *p)
{
	p->m->cnt.send_dropped_down += p->q.n;
	if (p->q.n > 0)
		p->m->q_busy--;
	p->q.head = 0;
	p->q.n = 0;
	p->q.gen++;
}

/*
 * Put queued scheduler actions on their channels, in order. A full send
 * buffer stops the flush (retried when the channel next moves); a channel
 * that is not up loses the message: the fence path covers it (an ASSIGN never
 * sent is rescheduled at WORKER_DEAD, a CANCEL ends with the owner's fence).
 */
static void sendq_flush(struct peer *p, tt_ns_t now)
{
	struct tt_master *m = p->m;

	while (p->q.n > 0) {
		const struct qent *e = &p->q.e[p->q.head];
		uint32_t gen = p->q.gen;
		struct tt_dc_actions act;
		size_t len;
		int rc = -ENOTCONN;

		if (e->epoch == p->epoch && p->live && e->a.channel < m->cfg.n_chan) {
			len = tt_tmsg_encode(&e->a.msg, m->msgbuf, TT_TMSG_MAX_LEN);
			if (len == 0) {
				m->cnt.send_encode_failed++;
				rc = 0;
			} else {
				rc = tt_dc_send(p->ch[e->a.channel].dc, m->msgbuf, (uint32_t)len,
						now, &act);
				dc_apply(&p->ch[e->a.channel], &act, now);
			}
		}
		/* The step may have ended the incarnation (and cleared the queue). */
		if (gen != p->q.gen)
			return;
		if (rc == -ENOBUFS)
			return;
		if (rc < 0)
			m->cnt.send_dropped_down++;
		p->q.head = (p->q.head + 1) % p->q.cap;
		if (--p->q.n == 0)
			m->q_busy--;
	}
}

/* Flush the send queues that hold something, in peer order; no scan while none does. */
static void flush_sendqs(struct tt_master *m, tt_ns_t now)
{
	for (uint32_t i = 0; i < m->cfg.n_workers && m->q_busy > 0; i++)
		if (m->peers[i].q.n > 0)
			sendq_flush(&m->peers[i], now);
}

/* Hand the scheduler's actions to their workers' queues and flush them. */
static void route_actions(struct tt_master *m, tt_ns_t now)
{
	for (uint32_t i = 0; i < m->sout.n; i++) {
		struct peer *p = peer_by_id(m, m->sout.act[i].worker);

		if (p == NULL || p->q.n == p->q.cap) {
			m->cnt.send_queue_full++;
			continue;
		}
		p->q.e[(p->q.head + p->q.n) % p->q.cap] =
			(struct qent){.a = m->sout.act[i], .epoch = p->epoch};
		if (p->q.n++ == 0)
			m->q_busy++;
		m->cnt.send_queued++;
	}
	m->sout.n = 0;
	flush_sendqs(m, now);
}

static void dispatch(struct tt_master *m, tt_ns_t now)
{
	if (!m->dispatch_needed)
		return;
	m->dispatch_needed = false;
	for (;;) {
		int n;

		m->sout.n = 0;
		n = tt_sched_dispatch(m->sched, now, &m->sout);
		route_actions(m, now);
		if (n < TT_SCHED_OUT_MAX)
			break;
	}
}

/* ---- liveness of a worker ---- */

/* Heartbeat Up and all K channels up in the accepted incarnation -> live. */
static void check_live(struct peer *p, tt_ns_t now)
{
	struct tt_master *m = p->m;
	int rc;

	/* A silenced session had a channel go down in this incarnation: with
	 * split planes the down mask says so (silenced is the HB plane's). */
	if (p->live || p->state != TT_CTAB_WS_JOINING || !p->dc_hb_up || p->epoch == 0 ||
	    tt_fence_epoch(&p->assoc) != p->epoch || (!m->split && tt_fence_silenced(&p->assoc)) ||
	    tt_fence_up_mask(&p->assoc) != all_mask(m) || tt_fence_down_mask(&p->assoc) != 0)
		return;
	rc = tt_sched_worker_up(m->sched, p->pc.worker_id, p->epoch, m->cfg.n_chan, now);
	if (rc < 0) {
		m->dcc->step_errors++;
		return;
	}
	for (unsigned int i = 0; i < m->cfg.n_chan; i++)
		tt_sched_channel_state(m->sched, p->pc.worker_id, (uint16_t)i, true);
	p->live = true;
	set_state(p, TT_CTAB_WS_LIVE);
	m->cnt.workers_live++;
	ptl_dc(p, now, TT_FENCE_EV_LIVE, TT_FENCE_NO_CHAN, m->cfg.n_chan, 0);
	m->dispatch_needed = true;
}

/* A live worker is going away: no new tasks or CANCELs on its channels. */
static void stop_using(struct peer *p)
{
	if (!p->live || p->state != TT_CTAB_WS_LIVE)
		return;
	for (unsigned int i = 0; i < p->m->cfg.n_chan; i++)
		tt_sched_channel_state(p->m->sched, p->pc.worker_id, (uint16_t)i, false);
	set_state(p, TT_CTAB_WS_SILENCED);
}

/*
 * The peer's discriminator after @p old (master.h "Demultiplexing"): the
 * index bits kept, the others random, never the same value twice in a row.
 * The index bits are i + 1 >= 1, so the result is never 0 (RFC 5880 §6.8.1).
 */
static uint32_t fresh_disc(struct tt_master *m, uint32_t old)
{
	uint32_t disc;

	do
		disc = ((uint32_t)tt_rand_next(&m->prng) & ~m->disc_mask) | (old & m->disc_mask);
	while (disc == old);
	return disc;
}

/*
 * Let the worker's next incarnation meet a new BFD session: a disconnected
 * session (silenced) or one that is Down starts again with a fresh
 * discriminator (tt_ep_hb_renew(), instead of RECONNECT) so that packets of
 * the earlier session select nothing. A session in Init or Up is left alone:
 * it is talking to the re-joined worker already.
 */
static void reconnect_hb(struct peer *p, tt_ns_t now)
{
	struct tt_master *m = p->m;
	struct tt_hb_actions act;

	if (!tt_hb_is_disconnected(&p->hb.sess) && tt_hb_state(&p->hb.sess) != TT_HB_S_DOWN)
		return;
	ptl(p, now, TT_FENCE_EV_HB_RECONNECT, TT_FENCE_NO_CHAN, 0, 0);
	if (tt_ep_hb_renew(&p->hb, fresh_disc(m, p->hb.hc.local_disc), tt_rand_next(&m->prng), now,
			   &act) < 0)
		m->cnt.step_errors++;
	hb_apply(p, &act, now);
}

/*
 * HB plane: an incarnation ends (WORKER_DEAD, or QUIET): disarm the
 * association, so that no DOWN still queued silences the session that
 * starts again, count the reset posted, then let the DC plane reset.
 */
static void hb_end_incarnation(struct peer *p, enum tt_ep_xev x, tt_ns_t now)
{
	tt_fence_disarm(&p->assoc);
	atomic_fetch_add_explicit(&p->resets_posted, 1, memory_order_release);
	post_dc(p, x, now);
}

/*
 * WORKER_DEAD (DESIGN.md §1 step 5), DC plane: the worker has fenced itself.
 * Its tasks go back to the scheduler under new epochs (one RESCHEDULE per
 * task on the timeline, taken from the scheduler's log), its record is
 * marked DEAD, its channels reset.
 */
static void dc_worker_dead(struct peer *p, tt_ns_t now)
{
	struct tt_master *m = p->m;
	uint32_t from = tt_sched_log_len(m->sched);
	int n;

	n = tt_sched_worker_dead(m->sched, p->pc.worker_id, now);
	m->cnt.workers_dead++;
	ptl_dc(p, now, TT_FENCE_EV_WORKER_DEAD, TT_FENCE_NO_CHAN, n < 0 ? 0 : (uint32_t)n, 0);
	if (m->cfg.sched_log != NULL) {
		uint32_t to = tt_sched_log_len(m->sched);

		for (uint32_t i = from; i < to && i < m->cfg.sched_log_cap; i++) {
			const struct tt_sched_event *e = &m->cfg.sched_log[i];

			if (e->kind == TT_SCHED_EV_RESCHEDULE)
				tt_ep_tl_push_dc(&m->ep, now, TT_FENCE_EV_RESCHEDULE, e->worker,
						 e->epoch, TT_FENCE_NO_CHAN, 0, e->task_id);
			else if (e->kind == TT_SCHED_EV_CANCELLED)
				tt_ep_tl_push_dc(&m->ep, now, TT_FENCE_EV_CANCELLED, e->worker,
						 e->epoch, TT_FENCE_NO_CHAN, e->aux, e->task_id);
		}
	}
	p->live = false;
	set_state(p, TT_CTAB_WS_DEAD);
	reset_chans(p, now);
	sendq_clear(p);
	m->dispatch_needed = true;
}

/*
 * WORKER_DEAD, HB plane: the incarnation ends (the DC plane takes the tasks
 * back, dc_worker_dead()), and a silenced session is reconnected for the
 * re-join.
 */
static void on_worker_dead(struct peer *p, tt_ns_t now)
{
	p->dead_pending = false;
	tt_tw_cancel(p->m->ep.tw, &p->quiet_tm);
	hb_end_incarnation(p, TT_EP_XEV_WORKER_DEAD, now);
	reconnect_hb(p, now);
}

/* QUIET, DC plane: the silent joining incarnation's channels are reset. */
static void dc_quiet(struct peer *p, tt_ns_t now)
{
	p->m->cnt.quiet_rejoins++;
	reset_chans(p, now);
	sendq_clear(p);
}

/*
 * The session was silenced while not Up: it never leaves Up, so no
 * WORKER_DEAD will come. That happens to an incarnation that joined over its
 * channels while our session was being renewed, live or not. After T1 from
 * the silence the worker, cut off from our heartbeat, has fenced (the timer
 * rule), so the DC plane may take its tasks back if it went live, or just
 * reset its channels; the session is reconnected for the next re-join.
 */
static void quiet_timer_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct peer *p = arg;

	(void)t;
	p->m->cnt.timers_fired++;
	if (p->dead_pending)
		return;
	hb_end_incarnation(p, TT_EP_XEV_QUIET, now);
	reconnect_hb(p, now);
}

static void hb_apply(struct peer *p, const struct tt_hb_actions *act, tt_ns_t now)
{
	if (tt_ep_hb_left_up(act)) {
		/* hb_fsm arms WORKER_DEAD whenever a master session leaves Up. */
		p->hb_up = false;
		p->dead_pending = true;
		ptl(p, now, TT_FENCE_EV_HB_DOWN, TT_FENCE_NO_CHAN, act->diag, 0);
		post_dc(p, TT_EP_XEV_HB_DOWN, now);
	}
	if (act->flags & TT_HB_A_WORKER_DEAD)
		on_worker_dead(p, now);
	tt_ep_hb_tx(&p->hb, act);
	if (tt_ep_hb_entered_up(act)) {
		p->hb_up = true;
		ptl(p, now, TT_FENCE_EV_HB_UP, TT_FENCE_NO_CHAN, 0, 0);
		post_dc(p, TT_EP_XEV_HB_UP, now);
	}
	tt_ep_hb_rearm(&p->hb, false);
	hb_publish(p);
}

/* The session's timer fired (tt_ep_hb_apply_fn). */
static void hb_apply_cb(void *owner, const struct tt_hb_actions *act, tt_ns_t now)
{
	hb_apply(owner, act, now);
}

/* Disconnect the worker's heartbeat (DESIGN.md §1 step 3) and record it. */
static void silence(struct peer *p, unsigned int chan, enum tt_fence_route route, tt_ns_t down_ns,
		    tt_ns_t now)
{
	struct tt_hb_actions act;
	int rc = tt_fence_silence(&p->assoc, &p->hb.sess, now, &act);

	if (rc < 0) {
		p->m->cnt.step_errors++;
		return;
	}
	if (rc == 0)
		return;
	/* A queued DOWN may carry a `now` of the other lane read after ours: 0. */
	ptl(p, now, TT_FENCE_EV_HB_SILENCED, chan, route,
	    tt_time_after(now, down_ns) ? (uint64_t)tt_time_diff(now, down_ns) : 0u);
	post_dc(p, TT_EP_XEV_SILENCED, now);
	if (!p->hb_up && !p->dead_pending)
		tt_tw_arm(p->m->ep.tw, &p->quiet_tm, now + p->m->pol.t1_ns);
	hb_apply(p, &act, now);
}

/*
 * DC plane: an event of the HB plane (post_dc()). WORKER_DEAD and QUIET are
 * counted in resets_done whatever they find, so that a new incarnation is
 * accepted only once every reset posted was carried out (may_accept()).
 */
static void dc_on_xev(struct peer *p, const struct tt_evq_event *ev, tt_ns_t now)
{
	switch (tt_ep_xev_of(ev)) {
	case TT_EP_XEV_HB_UP:
		p->dc_hb_up = true;
		check_live(p, now);
		break;
	case TT_EP_XEV_HB_DOWN:
		p->dc_hb_up = false;
		stop_using(p);
		break;
	case TT_EP_XEV_SILENCED:
		stop_using(p);
		break;
	case TT_EP_XEV_WORKER_DEAD:
		dc_worker_dead(p, now);
		p->resets_done++;
		break;
	case TT_EP_XEV_QUIET:
		/*
		 * T1 after a silence that no WORKER_DEAD follows (quiet_timer_fn):
		 * the worker has fenced. Decided here, on the plane that owns it,
		 * whether the incarnation went live (and may hold tasks) meanwhile.
		 */
		if (ev->epoch != p->epoch)
			p->m->cnt.xev_stale++;
		else if (p->live || p->state == TT_CTAB_WS_SILENCED)
			dc_worker_dead(p, now);
		else if (p->state == TT_CTAB_WS_JOINING)
			dc_quiet(p, now);
		else
			p->m->cnt.xev_stale++;
		p->resets_done++;
		break;
	default:
		p->m->cnt.xev_stale++;
		break;
	}
}

static void on_message(struct peer *p, struct tt_ep_chan *c, const uint8_t *msg, uint32_t len,
		       tt_ns_t now)
{
	struct tt_master *m = p->m;
	struct tt_tmsg t;
	enum tt_tmsg_reject rj = tt_tmsg_decode(msg, len, &t);
	enum tt_sched_verdict v;

	m->cnt.tmsg_rx.by_reason[rj]++;
	if (rj != TT_TMSG_OK)
		return;
	switch (t.type) {
	case TT_TMSG_RESULT:
		v = tt_sched_result(m->sched, p->pc.worker_id, t.task_id, t.epoch, t.status, now);
		if (v != TT_SCHED_COMMIT)
			ptl_dc(p, now, TT_FENCE_EV_RESULT_STALE, c->idx, v, t.task_id);
		m->dispatch_needed = true;
		return;
	case TT_TMSG_CANCEL_ACK:
		if (tt_sched_cancel_ack(m->sched, p->pc.worker_id, t.task_id, t.epoch, t.outcome,
					now) == 0)
			tt_ep_tl_push_dc(&m->ep, now, TT_FENCE_EV_CANCELLED, p->pc.worker_id,
					 t.epoch, c->idx, TT_SCHED_END_ACK, t.task_id);
		m->dispatch_needed = true;
		return;
	default:
		m->cnt.tmsg_unexpected++;
		return;
	}
}

/* Carry out a channel step: TX first, then UP, DELIVER, DOWN; drain MORE. */
static void dc_apply(struct tt_ep_chan *c, struct tt_dc_actions *act, tt_ns_t now)
{
	struct peer *p = c->owner;
	struct tt_master *m = p->m;

	for (;;) {
		tt_ep_chan_tx(c, act);
		if (act->flags & TT_DC_A_UP) {
			struct tt_worker_rec *rec = rec_of(p);

			ptl_dc(p, now, TT_FENCE_EV_CHAN_UP, c->idx, 0, 0);
			if (rec != NULL)
				tt_ctab_chan_set_up(&rec->chan[c->idx]);
			tt_fence_chan_up(&p->assoc, c->idx);
			check_live(p, now);
		}
		if (act->flags & TT_DC_A_DELIVER)
			on_message(p, c, act->msg, act->msg_len, now);
		if (act->flags & TT_DC_A_DOWN) {
			struct tt_worker_rec *rec = rec_of(p);
			enum tt_fence_route r;

			ptl_dc(p, now, TT_FENCE_EV_CHAN_DOWN, c->idx, act->down_reason, 0);
			if (rec != NULL)
				tt_ctab_chan_set_down(&rec->chan[c->idx],
						      (uint8_t)act->down_reason);
			if (p->live)
				tt_sched_channel_state(m->sched, p->pc.worker_id, c->idx, false);
			r = tt_ep_chan_down(c, &p->assoc, act->down_reason, now);
			if (r == TT_FENCE_ROUTE_DIRECT)
				silence(p, c->idx, r, now, now);
		}
		if (!tt_ep_chan_more(c, now, act))
			break;
	}
	tt_ep_chan_rearm(c, false);
}

/*
 * Accept incarnation @p epoch of a worker: replace its record (RCU replace),
 * reset its channels and listen on them under the new epoch.
 * Returns 0, or -EAGAIN if the table refused (counted).
 */
static int accept_epoch(struct peer *p, uint32_t epoch, tt_ns_t now)
{
	struct tt_master *m = p->m;
	struct tt_ctab_worker_spec spec = {
		.worker_id = p->pc.worker_id,
		.epoch = epoch,
		.state = TT_CTAB_WS_JOINING,
		.hb_lcore = m->cfg.hb_lcore,
		.hb = &p->hb.sess,
	};
	uint32_t old = p->epoch;

	tt_fence_disarm(&p->assoc);
	reset_chans(p, now);
	sendq_clear(p);
	for (unsigned int i = 0; i < m->cfg.n_chan; i++) {
		spec.chan[i].key = (struct tt_ctab_flow_key){
			.remote_ip = p->pc.ip,
			.remote_port = (uint16_t)(p->pc.dc_port_base + i),
			.local_port = m->cfg.dc_port,
		};
		spec.chan[i].lcore = m->cfg.dc_lcore;
	}
	if (tt_ctab_worker_replace(m->ctab, &spec, NULL) < 0) {
		m->cnt.ctab_errors++;
		return -EAGAIN;
	}
	p->epoch = epoch;
	p->state = TT_CTAB_WS_JOINING;
	p->live = false;
	/* The quiet timer is the HB plane's; with split planes it is never
	 * armed here (may_accept(): the session is not disconnected). */
	if (!m->split)
		tt_tw_cancel(m->ep.tw, &p->quiet_tm);
	if (old != 0)
		m->cnt.rejoins++;
	ptl_dc(p, now, TT_FENCE_EV_REJOIN, TT_FENCE_NO_CHAN, old, 0);
	tt_fence_arm(&p->assoc, epoch);
	for (unsigned int i = 0; i < m->cfg.n_chan; i++)
		listen_chan(p, &p->ch[i], now);
	return 0;
}

/*
 * A new epoch may replace the record only once the old incarnation can hold
 * no task: it was declared dead, or it never went live; and no WORKER_DEAD is
 * still due (it would reset the new incarnation) and the session is not
 * disconnected (the reset that reconnects it would, too).
 */
static bool may_accept(const struct peer *p)
{
	uint32_t hb = hb_view(p);

	if (!p->m->split) /* exact: the HB plane runs on this thread */
		hb = (p->dead_pending ? PUB_DEAD_PENDING : 0u) |
		     (tt_hb_is_disconnected(&p->hb.sess) ? PUB_DISCONNECTED : 0u);
	return (p->state == TT_CTAB_WS_DEAD || (p->state == TT_CTAB_WS_JOINING && !p->live)) &&
	       !(hb & (PUB_DEAD_PENDING | PUB_DISCONNECTED)) &&
	       p->resets_done == atomic_load_explicit(&((struct peer *)p)->resets_posted,
						      memory_order_acquire);
}

static bool epoch_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* ---- RX ---- */

static int rx_hb(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *buf,
		 size_t len, tt_ns_t now)
{
	struct tt_bfd_ctrl pkt;
	struct tt_hb_actions act;
	struct peer *p = NULL;
	enum tt_bfd_rx_reject r;
	int rc;

	/* RFC 5881 §5 (TTL 255) and §4 (ports), then RFC 5880 §6.8.6. */
	if (tt_ep_hb_parse(&m->ep, meta, buf, len, &pkt) != TT_BFD_RX_OK)
		return -EPROTO;
	/* §6.8.6: Your Discriminator selects the session (its index bits name
	 * the peer, tt_ep_hb_admit() checks the rest); zero: by source address
	 * (§6.3). */
	if (pkt.your_disc != 0) {
		uint32_t i = (pkt.your_disc & m->disc_mask) - 1u;

		if (i < m->cfg.n_workers)
			p = &m->peers[i];
	} else {
		/* Addresses are unique (check_config()): the first match is the peer. */
		for (uint32_t i = 0; i < m->cfg.n_workers && p == NULL; i++)
			if (m->peers[i].pc.ip == meta->src_ip)
				p = &m->peers[i];
	}
	if (p == NULL) {
		m->cnt.hb_rx.by_reason[TT_BFD_RX_NO_SESSION]++;
		return -ENOENT;
	}
	if (p->pc.ip != meta->src_ip) {
		m->cnt.hb_rx_wrong_src++;
		return -ENOENT;
	}
	/* The whole discriminator, then RFC 5880 §6.7.4: a reject never steps
	 * the session. */
	r = tt_ep_hb_admit(&p->hb, &pkt, buf, len, now);
	if (r != TT_BFD_RX_OK)
		return r == TT_BFD_RX_NO_SESSION ? -ENOENT : -EACCES;
	rc = tt_ep_hb_input(&p->hb, &pkt, now, &act);
	hb_apply(p, &act, now);
	return rc;
}

/*
 * TEST-ONLY (tt_master_config.epochs_disabled): a master that does not tell
 * incarnations apart takes the task message of a DATA segment of an older or
 * dead incarnation, whose channel no longer exists here, straight from the
 * segment when it carries the whole message; anything else of that
 * incarnation is still dropped. This is what lets a paused worker's late
 * RESULT reach the scheduler for the simulation's negative control.
 */
static int rx_old_epoch_taken(struct peer *p, struct tt_ep_chan *c, const struct tt_dcw_pkt *pkt,
			      tt_ns_t now)
{
	if (pkt->type != TT_DCW_T_DATA || pkt->seg_off != 0 || pkt->payload_len != pkt->msg_len) {
		p->m->cnt.dc_rx_old_epoch++;
		return -ESTALE;
	}
	p->m->cnt.dc_rx_old_epoch_taken++;
	on_message(p, c, pkt->payload, pkt->payload_len, now);
	return 0;
}

static int rx_dc(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *buf,
		 size_t len, tt_ns_t now)
{
	struct tt_ctab_flow_key key = {
		.remote_ip = meta->src_ip,
		.remote_port = meta->src_port,
		.local_port = meta->dst_port,
	};
	struct tt_dcw_pkt pkt;
	struct tt_ctab_chan *tc;
	struct peer *p;
	struct tt_ep_chan *c;
	int rc;

	if (tt_dcw_parse(buf, len, &m->dcw, &pkt, &m->cnt.dc_parse) != TT_DCW_RX_OK)
		return -EPROTO;
	tc = tt_ctab_flow_lookup(m->ctab, &key);
	p = tc != NULL ? peer_by_id(m, tc->rec->worker_id) : NULL;
	if (p == NULL) {
		m->cnt.dc_rx_no_flow++;
		return -ENOENT;
	}
	if (pkt.worker_id != p->pc.worker_id || pkt.chan_idx != tc->idx) {
		m->cnt.dc_rx_id_mismatch++;
		return -ENOENT;
	}
	c = &p->ch[tc->idx];
	/* auth.h node layer: the MAC first, so that nothing unauthenticated
	 * reaches the epoch checks (a forged CONNECT would replace the record)
	 * or the channel. */
	if (tt_ep_chan_verify(c, buf, len) != TT_AUTH_DC_OK)
		return -EACCES;
	if (c->cut) {
		m->cnt.dc_rx_cut++;
		return -ECONNREFUSED;
	}
	if (p->epoch == 0 || epoch_newer(pkt.epoch, p->epoch)) {
		/* A new incarnation announces itself with CONNECT; nothing else. */
		if (pkt.type != TT_DCW_T_CONNECT) {
			m->cnt.dc_rx_no_incarnation++;
			return -ENOENT;
		}
		if (!may_accept(p)) {
			m->cnt.connect_refused++;
			return -EAGAIN;
		}
		if (accept_epoch(p, pkt.epoch, now) < 0)
			return -EAGAIN;
	} else if (pkt.epoch != p->epoch || p->state == TT_CTAB_WS_DEAD) {
		/* An older incarnation, or the one declared dead. */
		if (m->cfg.epochs_disabled)
			return rx_old_epoch_taken(p, c, &pkt, now);
		m->cnt.dc_rx_old_epoch++;
		return -ESTALE;
	}
	rc = tt_ep_chan_input(c, &pkt, now);
	if (p->q.n > 0)
		sendq_flush(p, now);
	if (rc < 0) {
		m->cnt.dc_rx_rejected++;
		return -EPROTO;
	}
	return 0;
}

/* The DC plane's share of the datagram counters (rx entry points). */
static int rx_check_dst(struct tt_master *m, struct tt_master_counters *pc,
			const struct tt_udp_meta *meta)
{
	pc->rx_datagrams++;
	if (meta->dst_ip != m->cfg.ip) {
		pc->rx_bad_dst++;
		return -ENOENT;
	}
	return 0;
}

static int drain_evq(struct tt_master *m, tt_ns_t now)
{
	struct tt_evq_event ev[EVQ_BURST];
	unsigned int n;
	int handled = 0;

	while ((n = tt_evq_dequeue_burst(m->ep.evq, ev, EVQ_BURST)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			struct peer *p = peer_by_id(m, ev[i].worker_id);

			handled++;
			if (p == NULL || !tt_fence_on_event(&p->assoc, &ev[i])) {
				m->cnt.evq_stale++;
				continue;
			}
			silence(p, ev[i].chan_idx, TT_FENCE_ROUTE_QUEUED, ev[i].ts_ns, now);
		}
	}
	return handled;
}

/* DC plane: the events the HB plane posted since the last pass. */
static int drain_evq_dc(struct tt_master *m, tt_ns_t now)
{
	struct tt_evq_event ev[EVQ_BURST];
	unsigned int n;
	int handled = 0;

	if (m->ep.evq_dc == NULL)
		return 0;
	while ((n = tt_evq_dequeue_burst(m->ep.evq_dc, ev, EVQ_BURST)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			struct peer *p = peer_by_id(m, ev[i].worker_id);

			handled++;
			m->cnt.xev_handled++;
			if (p == NULL) {
				m->cnt.xev_stale++;
				continue;
			}
			dc_on_xev(p, &ev[i], now);
		}
	}
	return handled;
}

/*
 * Split planes driven by one thread (the combined calls): run both planes'
 * queues until neither has anything, so that everything a call causes
 * happens in it. Bounded: each round only handles what the other posted.
 */
static int settle(struct tt_master *m, tt_ns_t now)
{
	int n = 0;

	for (unsigned int r = 0; r < SETTLE_MAX; r++) {
		int k = drain_evq_dc(m, now);

		if (tt_time_after(now, m->now_hb))
			m->now_hb = now;
		k += drain_evq(m, now);
		if (k == 0)
			break;
		n += k;
	}
	return n;
}

int tt_master_rx_hb(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now)
{
	if (tt_time_after(now, m->now_hb))
		m->now_hb = now;
	if (rx_check_dst(m, &m->cnt, meta) < 0)
		return -ENOENT;
	if (meta->dst_port != TT_BFD_UDP_PORT) {
		m->cnt.rx_bad_dst++;
		return -ENOENT;
	}
	return rx_hb(m, meta, payload, len, now);
}

int tt_master_rx_dc(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now)
{
	int rc;

	if (tt_time_after(now, m->now))
		m->now = now;
	if (rx_check_dst(m, m->dcc, meta) < 0)
		return -ENOENT;
	if (meta->dst_port != m->cfg.dc_port) {
		m->dcc->rx_bad_dst++;
		return -ENOENT;
	}
	rc = rx_dc(m, meta, payload, len, now);
	dispatch(m, now);
	return rc;
}

int tt_master_rx(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *payload,
		 size_t len, tt_ns_t now)
{
	int rc;

	m->cnt.rx_datagrams++;
	if (tt_time_after(now, m->now))
		m->now = now;
	if (tt_time_after(now, m->now_hb))
		m->now_hb = now;
	if (meta->dst_ip != m->cfg.ip) {
		m->cnt.rx_bad_dst++;
		return -ENOENT;
	}
	if (meta->dst_port == TT_BFD_UDP_PORT) {
		rc = rx_hb(m, meta, payload, len, now);
	} else if (meta->dst_port == m->cfg.dc_port) {
		rc = rx_dc(m, meta, payload, len, now);
	} else {
		m->cnt.rx_bad_dst++;
		return -ENOENT;
	}
	if (m->split)
		settle(m, now);
	dispatch(m, now);
	return rc;
}

int tt_master_poll_hb(struct tt_master *m, tt_ns_t now)
{
	int n;

	if (tt_time_after(now, m->now_hb))
		m->now_hb = now;
	/* The channel-downs posted since the last pass (DESIGN.md §4). */
	n = drain_evq(m, now);
	n += (int)tt_tw_advance(m->ep.tw, now);
	return n;
}

int tt_master_poll_dc(struct tt_master *m, tt_ns_t now)
{
	int n;

	if (tt_time_after(now, m->now))
		m->now = now;
	n = drain_evq_dc(m, now);
	n += (int)tt_tw_advance(m->ep.tw_dc, now);
	flush_sendqs(m, now);
	dispatch(m, now);
	return n;
}

int tt_master_poll(struct tt_master *m, tt_ns_t now)
{
	int n;

	if (m->split) {
		n = tt_master_poll_hb(m, now);
		n += tt_master_poll_dc(m, now);
		n += settle(m, now);
		dispatch(m, now);
		return n;
	}
	if (tt_time_after(now, m->now))
		m->now = now;
	m->now_hb = m->now;
	/* Modelled split layout: the channel-downs posted since the last pass. */
	n = drain_evq(m, now);
	n += (int)tt_tw_advance(m->ep.tw, now);
	flush_sendqs(m, now);
	dispatch(m, now);
	return n;
}

bool tt_master_next_deadline_hb(const struct tt_master *m, tt_ns_t *deadline)
{
	tt_ns_t d;

	if (tt_evq_count(m->ep.evq) > 0) {
		*deadline = m->now_hb;
		return true;
	}
	if (tt_tw_next_deadline(m->ep.tw, &d) == 0) {
		*deadline = d;
		return true;
	}
	return false;
}

bool tt_master_next_deadline_dc(const struct tt_master *m, tt_ns_t *deadline)
{
	tt_ns_t d;

	if (m->ep.evq_dc != NULL && tt_evq_count(m->ep.evq_dc) > 0) {
		*deadline = m->now;
		return true;
	}
	if (tt_tw_next_deadline(m->ep.tw_dc, &d) == 0) {
		*deadline = d;
		return true;
	}
	return false;
}

bool tt_master_next_deadline(const struct tt_master *m, tt_ns_t *deadline)
{
	tt_ns_t h, d;
	bool bh, bd;

	if (!m->split) {
		if (tt_evq_count(m->ep.evq) > 0) {
			*deadline = m->now;
			return true;
		}
		if (tt_tw_next_deadline(m->ep.tw, &d) == 0) {
			*deadline = d;
			return true;
		}
		return false;
	}
	bh = tt_master_next_deadline_hb(m, &h);
	bd = tt_master_next_deadline_dc(m, &d);
	if (bh && bd)
		*deadline = tt_time_min(h, d);
	else if (bh || bd)
		*deadline = bh ? h : d;
	return bh || bd;
}

/* ---- tasks ---- */

int tt_master_submit(struct tt_master *m, const char *handler, const uint8_t *payload,
		     uint32_t payload_len, tt_ns_t now, uint64_t *task_id)
{
	int rc = tt_sched_submit(m->sched, handler, payload, payload_len, now, task_id);

	if (rc == 0) {
		m->dispatch_needed = true;
		dispatch(m, now);
	}
	return rc;
}

int tt_master_cancel(struct tt_master *m, uint64_t task_id, tt_ns_t now)
{
	struct tt_sched_task_info ti;
	uint32_t before;
	int rc;

	m->sout.n = 0;
	rc = tt_sched_cancel(m->sched, task_id, now, &m->sout);
	if (rc < 0)
		return rc;
	tt_sched_task(m->sched, task_id, &ti);
	before = m->sout.n;
	if (ti.state == TT_SCHED_S_CANCELLED) {
		tt_ep_tl_push_dc(&m->ep, now, TT_FENCE_EV_CANCEL, ti.worker, ti.epoch,
				 TT_FENCE_NO_CHAN, TT_SCHED_CANCEL_PENDING, task_id);
		tt_ep_tl_push_dc(&m->ep, now, TT_FENCE_EV_CANCELLED, ti.worker, ti.epoch,
				 TT_FENCE_NO_CHAN, TT_SCHED_END_WAS_PENDING, task_id);
	} else {
		tt_ep_tl_push_dc(&m->ep, now, TT_FENCE_EV_CANCEL, ti.worker, ti.epoch, ti.channel,
				 before > 0 ? TT_SCHED_CANCEL_SENT : TT_SCHED_CANCEL_DEFERRED,
				 task_id);
	}
	route_actions(m, now);
	m->dispatch_needed = true;
	dispatch(m, now);
	return 0;
}

int tt_master_release(struct tt_master *m, uint64_t task_id)
{
	return tt_sched_release(m->sched, task_id);
}

/* ---- operator ---- */

static int chan_of(struct tt_master *m, uint32_t worker_id, unsigned int chan, struct peer **pp)
{
	*pp = peer_by_id(m, worker_id);
	if (*pp == NULL)
		return -ENOENT;
	if (chan >= m->cfg.n_chan)
		return -EINVAL;
	return 0;
}

int tt_master_cut(struct tt_master *m, uint32_t worker_id, unsigned int chan, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_CUT};
	struct peer *p;
	int rc = chan_of(m, worker_id, chan, &p);

	if (rc < 0)
		return rc;
	if (p->ch[chan].cut)
		return -EALREADY;
	if (tt_time_after(now, m->now))
		m->now = now;
	p->ch[chan].cut = true;
	ptl_dc(p, now, TT_FENCE_EV_CUT, chan, 0, 0);
	if (tt_ep_chan_in_use(&p->ch[chan]))
		tt_ep_chan_event(&p->ch[chan], &ev, now);
	dispatch(m, now);
	return 0;
}

int tt_master_restore(struct tt_master *m, uint32_t worker_id, unsigned int chan, tt_ns_t now)
{
	struct peer *p;
	int rc = chan_of(m, worker_id, chan, &p);

	if (rc < 0)
		return rc;
	if (!p->ch[chan].cut)
		return -EALREADY;
	p->ch[chan].cut = false;
	ptl_dc(p, now, TT_FENCE_EV_RESTORE, chan, 0, 0);
	if (p->state == TT_CTAB_WS_JOINING && p->epoch != 0 &&
	    tt_fence_epoch(&p->assoc) == p->epoch)
		listen_chan(p, &p->ch[chan], now);
	return 0;
}

int tt_master_link_down(struct tt_master *m, tt_ns_t now)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_LINK_DOWN};
	int n = 0;

	for (uint32_t i = 0; i < m->cfg.n_workers; i++) {
		for (unsigned int k = 0; k < m->cfg.n_chan; k++) {
			struct tt_ep_chan *c = &m->peers[i].ch[k];

			if (tt_ep_chan_in_use(c)) {
				tt_ep_chan_event(c, &ev, now);
				n++;
			}
		}
	}
	dispatch(m, now);
	return n;
}

int tt_master_set_hb_timers(struct tt_master *m, uint32_t worker_id,
			    const struct tt_hb_timers *timers, tt_ns_t now, char *err,
			    size_t err_len)
{
	struct tt_hb_policy_times pol;
	struct tt_hb_actions act;
	struct peer *p = peer_by_id(m, worker_id);
	int rc;

	if (p == NULL)
		return -ENOENT;
	if (tt_time_after(now, m->now_hb))
		m->now_hb = now;
	if (tt_ep_check_policy(timers, &m->cfg.worker_timers, m->cfg.d_max_ns,
			       m->cfg.granularity_ns, m->cfg.skip_policy_check, &pol, err,
			       err_len) < 0)
		return -EINVAL;
	rc = tt_ep_hb_set_timers(&p->hb, timers, now, &act, err, err_len);
	if (rc == 0)
		ptl(p, now, TT_FENCE_EV_TIMERS, TT_FENCE_NO_CHAN, timers->detect_mult,
		    timers->desired_min_tx_us);
	hb_apply(p, &act, now);
	/* With split planes this is the HB plane's call: the DC plane dispatches. */
	if (!m->split)
		dispatch(m, now);
	return rc < 0 ? -EINVAL : 0;
}

/* ---- create / destroy ---- */

static int check_config(const struct tt_master_config *cfg, char *err, size_t len)
{
	uint32_t base = cfg->hb_src_port_base ? cfg->hb_src_port_base : TT_MASTER_HB_SRC_PORT_BASE;

	if (cfg->n_chan < 1 || cfg->n_chan > TT_FENCE_MAX_CHAN) {
		tt_ep_set_err(err, len, "master n_chan = %u: allowed 1..%u", cfg->n_chan,
			      TT_FENCE_MAX_CHAN);
		return -EINVAL;
	}
	if (cfg->n_workers == 0 || cfg->workers == NULL ||
	    cfg->n_workers > TT_MASTER_MAX_WORKER_ID) {
		tt_ep_set_err(err, len, "master n_workers = %u: allowed 1..%u with a workers array",
			      cfg->n_workers, TT_MASTER_MAX_WORKER_ID);
		return -EINVAL;
	}
	if (base < TT_BFD_SRC_PORT_MIN || base + cfg->n_workers - 1 > TT_BFD_SRC_PORT_MAX) {
		tt_ep_set_err(err, len,
			      "master hb_src_port_base = %u with %u workers: ports must stay in "
			      "%u..%u (RFC 5881 §4)",
			      base, cfg->n_workers, TT_BFD_SRC_PORT_MIN, TT_BFD_SRC_PORT_MAX);
		return -EINVAL;
	}
	if (cfg->split_planes && (cfg->hb_lcore == cfg->dc_lcore || cfg->io_dc.tx_buf == NULL ||
				  cfg->io_dc.tx_send == NULL)) {
		tt_ep_set_err(err, len,
			      "master split_planes with hb_lcore %u, dc_lcore %u: needs two "
			      "different lcores and io_dc (tx_buf, tx_send) set",
			      cfg->hb_lcore, cfg->dc_lcore);
		return -EINVAL;
	}
	if (cfg->timeline_cap == 0 || cfg->io.tx_buf == NULL || cfg->io.tx_send == NULL) {
		tt_ep_set_err(err, len,
			      "master timeline_cap = %u or io ops missing: timeline_cap >= 1, "
			      "tx_buf and tx_send set",
			      cfg->timeline_cap);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < cfg->n_workers; i++) {
		const struct tt_master_peer_config *w = &cfg->workers[i];

		if (w->worker_id >= TT_MASTER_MAX_WORKER_ID || w->dc_port_base == 0 ||
		    (uint32_t)w->dc_port_base + cfg->n_chan - 1 > 65535u) {
			tt_ep_set_err(err, len,
				      "master workers[%u]: worker_id %u (allowed below %u) or "
				      "dc_port_base "
				      "%u (non-zero, + n_chan - 1 <= 65535)",
				      i, w->worker_id, TT_MASTER_MAX_WORKER_ID, w->dc_port_base);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (cfg->workers[j].worker_id == w->worker_id ||
			    cfg->workers[j].ip == w->ip) {
				tt_ep_set_err(
					err, len,
					"master workers[%u] and workers[%u]: worker ids and IPs "
					"must be unique",
					j, i);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int init_peer(struct tt_master *m, uint32_t i, tt_ns_t now, char *err, size_t len)
{
	struct peer *p = &m->peers[i];
	struct tt_hb_config hc = {0};
	struct tt_ctab_worker_spec spec = {0};

	p->m = m;
	p->pc = m->workers[i];
	p->hb.meta = tt_ep_hb_meta(m->cfg.ip, p->pc.ip, (uint16_t)(m->cfg.hb_src_port_base + i));
	p->state = TT_CTAB_WS_JOINING;
	hc.role = TT_HB_ROLE_MASTER;
	/* The low bits (disc_mask) hold i + 1: DISC_BASE has none set. */
	hc.local_disc = DISC_BASE + i + 1u;
	hc.timers = m->cfg.master_timers;
	hc.slow_tx_us = m->cfg.slow_tx_us;
	hc.allow_fast_slow_rate = m->cfg.allow_fast_slow_rate;
	hc.d_max_ns = m->cfg.d_max_ns;
	hc.granularity_ns = m->cfg.granularity_ns;
	hc.seed = m->cfg.seed ^ (0x4d42ull << 32) ^ p->pc.worker_id;
	if (tt_ep_hb_init(&m->ep, &p->hb, &hc, now, p) < 0) {
		tt_ep_set_err(err, len,
			      "master heartbeat config refused by tt_hb_init (timers zero, "
			      "or slow_tx_us below 1 s without allow_fast_slow_rate)");
		return -EINVAL;
	}
	tt_timer_init(&p->quiet_tm, quiet_timer_fn, p);
	tt_ep_assoc_init(&p->assoc, p->pc.worker_id, m->cfg.n_chan, m->cfg.hb_lcore,
			 m->cfg.dc_lcore);
	p->q.cap = 2u * m->cfg.max_outstanding + TT_SCHED_OUT_MAX;
	p->q.e = calloc(p->q.cap, sizeof(*p->q.e));
	if (p->q.e == NULL)
		return -ENOMEM;
	for (unsigned int k = 0; k < m->cfg.n_chan; k++) {
		struct tt_ep_chan *c = &p->ch[k];

		c->meta = tt_ep_dc_meta(m->cfg.ip, p->pc.ip, m->cfg.dc_port,
					(uint16_t)(p->pc.dc_port_base + k));
		if (tt_ep_chan_init(&m->ep, c, &m->cfg.dc, p->pc.worker_id, k, p) < 0) {
			tt_ep_set_err(err, len,
				      "master channel %u of worker %u: tt_dc_create refused "
				      "the dc template (see tt_dc_config)",
				      k, p->pc.worker_id);
			return errno == ENOMEM ? -ENOMEM : -EINVAL;
		}
		spec.chan[k].key = (struct tt_ctab_flow_key){
			.remote_ip = p->pc.ip,
			.remote_port = (uint16_t)(p->pc.dc_port_base + k),
			.local_port = m->cfg.dc_port,
		};
		spec.chan[k].lcore = m->cfg.dc_lcore;
	}
	spec.worker_id = p->pc.worker_id;
	spec.epoch = 0;
	spec.state = TT_CTAB_WS_JOINING;
	spec.hb_lcore = m->cfg.hb_lcore;
	spec.hb = &p->hb.sess;
	if (tt_ctab_worker_add(m->ctab, &spec, NULL) < 0) {
		tt_ep_set_err(err, len,
			      "master workers[%u]: association table refused worker %u "
			      "(a data-channel flow key is shared with another worker)",
			      i, p->pc.worker_id);
		return -EINVAL;
	}
	m->id_to_peer[p->pc.worker_id] = i;
	tt_ep_hb_rearm(&p->hb, false);
	hb_publish(p);
	return 0;
}

struct tt_master *tt_master_create(const struct tt_master_config *cfg, tt_ns_t now, char *err,
				   size_t err_len)
{
	struct tt_master *m;
	struct tt_ctab_config tc = {0};
	struct tt_sched_config sc = {0};
	struct tt_ep_config ec = {0};
	uint32_t max_id = 0;
	int rc;

	tt_ep_set_err(err, err_len, "ok");
	if (check_config(cfg, err, err_len) < 0) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	m->cfg = *cfg;
	if (m->cfg.dc_port == 0)
		m->cfg.dc_port = TT_DCW_UDP_PORT;
	if (m->cfg.hb_src_port_base == 0)
		m->cfg.hb_src_port_base = TT_MASTER_HB_SRC_PORT_BASE;
	rc = tt_ep_check_policy(&cfg->master_timers, &cfg->worker_timers, cfg->d_max_ns,
				cfg->granularity_ns, cfg->skip_policy_check, &m->pol, err, err_len);
	if (rc < 0)
		goto fail;
	ec.auth = (struct tt_ep_auth){
		.keys = cfg->auth.keys,
		.ops = cfg->auth.ops,
		.bfd_type = cfg->auth.bfd_type,
		.dc_mac = cfg->auth.dc_mac,
		.seed = cfg->seed ^ 0x4155544800000000ull,
	};
	rc = tt_ep_auth_check(&ec.auth, "master", err, err_len);
	if (rc < 0)
		goto fail;
	m->now = now;
	m->now_hb = now;
	m->split = cfg->split_planes;
	m->prng = cfg->seed ^ 0x4d4153544552ull;
	m->prng_dc = cfg->seed ^ 0x4d41535445524443ull;
	m->dprng = m->split ? &m->prng_dc : &m->prng;
	m->dcc = m->split ? &m->cnt_dc : &m->cnt;
	m->dcw.n_channels = cfg->n_chan;
	m->dcw.mac = ec.auth.keys != NULL && ec.auth.dc_mac;
	/* Enough low bits for i + 1 up to n_workers (master.h "Demultiplexing"). */
	m->disc_mask = 1;
	while (m->disc_mask < cfg->n_workers)
		m->disc_mask = m->disc_mask << 1 | 1u;
	for (uint32_t i = 0; i < cfg->n_workers; i++)
		if (cfg->workers[i].worker_id > max_id)
			max_id = cfg->workers[i].worker_id;
	m->id_space = max_id + 1;

	m->workers = calloc(cfg->n_workers, sizeof(*m->workers));
	m->peers = calloc(cfg->n_workers, sizeof(*m->peers));
	m->id_to_peer = malloc(m->id_space * sizeof(*m->id_to_peer));
	m->msgbuf = malloc(TT_TMSG_MAX_LEN);
	ec.role = TT_HB_ROLE_MASTER;
	ec.io = cfg->io;
	ec.io_dc = cfg->io_dc;
	ec.split_planes = cfg->split_planes;
	ec.dc_lcore = cfg->dc_lcore;
	ec.granularity_ns = cfg->granularity_ns;
	ec.timeline_cap = cfg->timeline_cap;
	ec.n_chan = cfg->n_workers * cfg->n_chan;
	ec.n_sessions = cfg->n_workers;
	ec.hb_apply = hb_apply_cb;
	ec.dc_apply = dc_apply;
	ec.hb = (struct tt_ep_plane_counters){&m->cnt.tx, &m->cnt.auth_sign_failed,
					      &m->cnt.timers_fired, &m->cnt.step_errors};
	ec.dc = (struct tt_ep_plane_counters){&m->dcc->tx, &m->dcc->auth_sign_failed,
					      &m->dcc->timers_fired, &m->dcc->step_errors};
	ec.hb_rx = &m->cnt.hb_rx;
	ec.hb_auth = m->cnt.hb_auth;
	ec.dc_auth = m->cnt.dc_auth;
	rc = tt_ep_init(&m->ep, &ec, now);
	if (rc < 0 || m->workers == NULL || m->peers == NULL || m->id_to_peer == NULL ||
	    m->msgbuf == NULL) {
		tt_ep_set_err(err, err_len, "master: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	memcpy(m->workers, cfg->workers, cfg->n_workers * sizeof(*m->workers));
	m->cfg.workers = m->workers;
	for (uint32_t i = 0; i < m->id_space; i++)
		m->id_to_peer[i] = NO_PEER;

	tc.max_workers = cfg->n_workers;
	tc.n_chan = cfg->n_chan;
	m->ctab = tt_ctab_create(&tc);
	sc.max_tasks = cfg->max_tasks;
	sc.max_workers = m->id_space;
	sc.max_outstanding = cfg->max_outstanding;
	sc.log = cfg->sched_log;
	sc.log_cap = cfg->sched_log_cap;
	sc.epochs_disabled = cfg->epochs_disabled;
	sc.persist = cfg->sched_persist;
	m->sched = tt_sched_create(&sc);
	if (m->ctab == NULL || m->sched == NULL) {
		tt_ep_set_err(
			err, err_len,
			"master: scheduler refused max_tasks %u / max_outstanding %u (both >= 1), "
			"or out of memory",
			cfg->max_tasks, cfg->max_outstanding);
		rc = -EINVAL;
		goto fail;
	}
	for (uint32_t i = 0; i < cfg->n_workers; i++) {
		rc = init_peer(m, i, now, err, err_len);
		if (rc < 0)
			goto fail;
	}
	return m;

fail:
	tt_master_destroy(m);
	errno = rc == -ENOMEM ? ENOMEM : EINVAL;
	return NULL;
}

void tt_master_destroy(struct tt_master *m)
{
	if (m == NULL)
		return;
	if (m->peers != NULL) {
		for (uint32_t i = 0; i < m->cfg.n_workers; i++) {
			for (unsigned int k = 0; k < TT_FENCE_MAX_CHAN; k++)
				tt_dc_destroy(m->peers[i].ch[k].dc);
			free(m->peers[i].q.e);
		}
	}
	tt_ctab_destroy(m->ctab);
	tt_sched_destroy(m->sched);
	tt_ep_fini(&m->ep);
	free(m->msgbuf);
	free(m->id_to_peer);
	free(m->peers);
	free(m->workers);
	free(m);
}

/* ---- accessors ---- */

int tt_master_peer(const struct tt_master *m, uint32_t worker_id, struct tt_master_peer_info *info)
{
	const struct peer *p = peer_by_id(m, worker_id);

	if (p == NULL)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->worker_id = worker_id;
	info->epoch = p->epoch;
	info->state = (enum tt_ctab_wstate)p->state;
	/* The session as the HB plane published it (after its every step). */
	info->hb_state = (enum tt_hb_state)(hb_view(p) & PUB_STATE_MASK);
	info->hb_disconnected = (hb_view(p) & PUB_DISCONNECTED) != 0;
	info->up_mask = tt_fence_up_mask(&p->assoc);
	for (unsigned int k = 0; k < m->cfg.n_chan; k++) {
		if (p->ch[k].cut)
			info->cut_mask |= 1u << k;
		info->chan_state[k] = tt_dc_state(p->ch[k].dc);
	}
	info->send_queued = p->q.n;
	info->hb_local_disc =
		atomic_load_explicit(&((struct peer *)p)->hb_disc_pub, memory_order_relaxed);
	return 0;
}

struct tt_fence_tl *tt_master_timeline(struct tt_master *m)
{
	return m->ep.tl;
}

struct tt_fence_tl *tt_master_timeline_dc(struct tt_master *m)
{
	return m->ep.tl_dc;
}

bool tt_master_split(const struct tt_master *m)
{
	return m->split;
}

const struct tt_sched *tt_master_sched(const struct tt_master *m)
{
	return m->sched;
}

struct tt_ctab *tt_master_ctab(struct tt_master *m)
{
	return m->ctab;
}

const struct tt_hb_session *tt_master_hb(const struct tt_master *m, uint32_t worker_id)
{
	const struct peer *p = peer_by_id(m, worker_id);

	return p != NULL ? &p->hb.sess : NULL;
}

const struct tt_dc *tt_master_dc(const struct tt_master *m, uint32_t worker_id, unsigned int chan)
{
	const struct peer *p = peer_by_id(m, worker_id);

	return p != NULL && chan < m->cfg.n_chan ? p->ch[chan].dc : NULL;
}

const struct tt_fence_assoc *tt_master_assoc(const struct tt_master *m, uint32_t worker_id)
{
	const struct peer *p = peer_by_id(m, worker_id);

	return p != NULL ? &p->assoc : NULL;
}

const struct tt_master_counters *tt_master_counters(const struct tt_master *m)
{
	return &m->cnt;
}

/* Every field of the counters is a uint64_t: add them as an array. */
_Static_assert(sizeof(struct tt_master_counters) % sizeof(uint64_t) == 0,
	       "tt_master_counters holds uint64_t only");

void tt_master_counters_sum(const struct tt_master *m, struct tt_master_counters *out)
{
	const uint64_t *a = (const uint64_t *)&m->cnt, *b = (const uint64_t *)&m->cnt_dc;
	uint64_t *o = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = a[i] + (m->split ? b[i] : 0u);
}

const struct tt_hb_policy_times *tt_master_policy(const struct tt_master *m)
{
	return &m->pol;
}

const struct tt_auth_bfd *tt_master_hb_auth(const struct tt_master *m, uint32_t worker_id)
{
	const struct peer *p = peer_by_id(m, worker_id);

	return p != NULL && p->hb.authed ? &p->hb.auth : NULL;
}

const struct tt_auth_dc *tt_master_dc_auth(const struct tt_master *m, uint32_t worker_id,
					   unsigned int chan)
{
	const struct peer *p = peer_by_id(m, worker_id);

	return p != NULL && chan < m->cfg.n_chan && p->ch[chan].authed ? &p->ch[chan].auth : NULL;
}
