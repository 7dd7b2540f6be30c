/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The master and workers wired back to back on virtual time: datagrams go
 * through a tiny in-test queue with a fixed one-way delay, optionally dropped
 * or held by a filter. Covers bring-up to LIVE, tasks committed exactly once,
 * the seed's fencing path with the cut on either side and across lcores
 * (event queue), CANCEL delivered and CANCEL made undeliverable, a late
 * result of an old incarnation, the master's configuration and receive
 * checks, fresh discriminators on every new session, and authentication
 * (engine/auth.h with drivers/crypto_openssl): end to end, wrong key,
 * replayed heartbeats, forged, replayed and truncated data-channel datagrams.
 * With split planes (each endpoint's heartbeat plane and data plane driven
 * through their own entry points, in any order the test chooses): a cut
 * reaches the other side's session only through the HB plane's queue,
 * WORKER_DEAD reaches the scheduler only through the DC plane's, and the
 * whole fencing story still commits every task exactly once.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>

#include "bfd_wire.h"
#include "crypto_openssl.h"
#include "dc_wire.h"
#include "keyfile.h"
#include "master.h"
#include "scheduler.h"
#include "task_msg.h"
#include "worker.h"

#define US(n)	     tt_us_to_ns(n)
#define MS(n)	     ((tt_ns_t)(n)*TT_NS_PER_MS)
#define MAX_W	     3
#define QCAP	     4096
#define DG_MAX	     2048
#define MASTER_IP    0x0a000001u
#define WORKER_IP(i) (0x0a00000au + (uint32_t)(i))
#define DC_BASE	     40000u
#define K	     2

/* ---- the in-test network ---- */

struct dgram {
	tt_ns_t at;
	int src; /* -1 master, else worker index */
	struct tt_udp_meta meta;
	size_t len;
	uint8_t buf[DG_MAX];
};

struct net;
/** Return true to drop a datagram (the filter may keep a copy). */
typedef bool (*filter_fn)(struct net *n, const struct dgram *d);

struct port {
	struct net *net;
	int id;
};

struct net {
	tt_ns_t now;
	tt_ns_t delay;
	struct dgram q[QCAP];
	uint32_t head, n;
	uint8_t scratch[DG_MAX];
	struct port ports[MAX_W + 1];
	struct tt_master *m;
	struct tt_worker *w[MAX_W];
	int nw;
	filter_fn filter;
	struct dgram held[64];
	int nheld;
	bool hold_w0_dc; /* hold every DC datagram worker 0 sends */
	bool planes;	 /* split planes: drive each plane through its own calls */
	bool hold_m_dc;	 /* planes: the master's DC plane is not polled */
	uint64_t dropped;
	uint64_t rx_err_master, rx_err_worker;
	struct tt_sched_event log[8192];
};

static struct net N;

static uint8_t *tx_buf(void *ctx, size_t *cap)
{
	struct port *p = ctx;

	*cap = sizeof(p->net->scratch);
	return p->net->scratch;
}

static int tx_send(void *ctx, const struct tt_udp_meta *meta, uint8_t *buf, size_t len)
{
	struct port *p = ctx;
	struct net *n = p->net;
	struct dgram *d;

	if (len == 0)
		return 0;
	assert_true(n->n < QCAP);
	assert_true(len <= DG_MAX);
	d = &n->q[(n->head + n->n) % QCAP];
	d->at = n->now + n->delay;
	d->src = p->id;
	d->meta = *meta;
	d->len = len;
	memcpy(d->buf, buf, len);
	if (n->filter != NULL && n->filter(n, d)) {
		n->dropped++;
		return 0;
	}
	n->n++;
	return 0;
}

static int master_rx(struct net *n, const struct dgram *d)
{
	if (!n->planes)
		return tt_master_rx(n->m, &d->meta, d->buf, d->len, n->now);
	if (d->meta.dst_port == TT_BFD_UDP_PORT)
		return tt_master_rx_hb(n->m, &d->meta, d->buf, d->len, n->now);
	return tt_master_rx_dc(n->m, &d->meta, d->buf, d->len, n->now);
}

static int worker_rx(struct net *n, int i, const struct dgram *d)
{
	if (!n->planes)
		return tt_worker_rx(n->w[i], &d->meta, d->buf, d->len, n->now);
	if (d->meta.dst_port == TT_BFD_UDP_PORT)
		return tt_worker_rx_hb(n->w[i], &d->meta, d->buf, d->len, n->now);
	return tt_worker_rx_dc(n->w[i], &d->meta, d->buf, d->len, n->now);
}

static void deliver(struct net *n, const struct dgram *d)
{
	if (d->meta.dst_ip == MASTER_IP) {
		if (master_rx(n, d) < 0)
			n->rx_err_master++;
		return;
	}
	for (int i = 0; i < n->nw; i++)
		if (d->meta.dst_ip == WORKER_IP(i) && n->w[i] != NULL) {
			if (worker_rx(n, i, d) < 0)
				n->rx_err_worker++;
			return;
		}
	fail_msg("datagram to an unknown address");
}

static bool w_due(struct net *n, int i, tt_ns_t *t)
{
	return n->w[i] != NULL && tt_worker_next_deadline(n->w[i], t);
}

/* The master's next deadline; planes: the DC plane's only when it is polled. */
static bool m_due(struct net *n, tt_ns_t *t)
{
	tt_ns_t d;
	bool any;

	if (!n->planes)
		return tt_master_next_deadline(n->m, t);
	any = tt_master_next_deadline_hb(n->m, t);
	if (!n->hold_m_dc && tt_master_next_deadline_dc(n->m, &d)) {
		*t = any ? tt_time_min(*t, d) : d;
		any = true;
	}
	return any;
}

/* Poll what is due; planes: each plane on its own deadline, HB plane first. */
static void poll_due(struct net *n)
{
	tt_ns_t d;

	if (!n->planes) {
		if (tt_master_next_deadline(n->m, &d) && tt_time_reached(n->now, d))
			tt_master_poll(n->m, n->now);
		for (int i = 0; i < n->nw; i++)
			if (w_due(n, i, &d) && tt_time_reached(n->now, d))
				tt_worker_poll(n->w[i], n->now);
		return;
	}
	if (tt_master_next_deadline_hb(n->m, &d) && tt_time_reached(n->now, d))
		tt_master_poll_hb(n->m, n->now);
	if (!n->hold_m_dc && tt_master_next_deadline_dc(n->m, &d) && tt_time_reached(n->now, d))
		tt_master_poll_dc(n->m, n->now);
	for (int i = 0; i < n->nw; i++) {
		if (n->w[i] == NULL)
			continue;
		if (tt_worker_next_deadline_hb(n->w[i], &d) && tt_time_reached(n->now, d))
			tt_worker_poll_hb(n->w[i], n->now);
		if (tt_worker_next_deadline_dc(n->w[i], &d) && tt_time_reached(n->now, d))
			tt_worker_poll_dc(n->w[i], n->now);
	}
}

/* Run every node and the network until `end`, in virtual time order. */
static void run_until(struct net *n, tt_ns_t end)
{
	for (unsigned long guard = 0;; guard++) {
		tt_ns_t t = end + 1, d;

		assert_true(guard < 20000000ul);
		if (n->n > 0)
			t = tt_time_min(t, n->q[n->head].at);
		if (m_due(n, &d))
			t = tt_time_min(t, d);
		for (int i = 0; i < n->nw; i++)
			if (w_due(n, i, &d))
				t = tt_time_min(t, d);
		if (tt_time_after(t, end)) {
			n->now = end;
			return;
		}
		if (tt_time_after(t, n->now))
			n->now = t;
		while (n->n > 0 && tt_time_reached(n->now, n->q[n->head].at)) {
			struct dgram d0 = n->q[n->head];

			n->head = (n->head + 1) % QCAP;
			n->n--;
			deliver(n, &d0);
		}
		poll_due(n);
	}
}

static void advance(struct net *n, tt_ns_t by)
{
	run_until(n, n->now + by);
}

/* Heartbeat timers: T2 = 3 x 1 ms, T1 = 6 x 1 ms > T2 + I + d_max + g. */
static const struct tt_hb_timers MASTER_T = {1000, 1000, 3};
static const struct tt_hb_timers WORKER_T = {1000, 1000, 6};

static void dc_cfg(struct tt_dc_config *dc)
{
	tt_dc_config_default(dc);
	dc->msg_max = 4096;
	dc->window = 16;
	dc->rx_window = 16;
	dc->rto_init_ns = MS(1);
	dc->rto_min_ns = US(200);
	dc->rto_max_ns = MS(4);
	dc->max_retx = 4;
	dc->probe_interval_ns = MS(2);
	dc->probe_timeout_ns = MS(6);
}

/* Authentication the next net_up() gives the master and the workers (zero: none). */
static struct tt_master_auth_config m_auth;
static struct tt_worker_auth_config w_auth;

static struct tt_worker_config worker_cfg(int i, uint16_t hb_lcore, uint16_t dc_lcore,
					  enum tt_worker_fence_action action)
{
	struct tt_worker_config c = {
		.worker_id = (uint32_t)i,
		.epoch = 1,
		.ip = WORKER_IP(i),
		.master_ip = MASTER_IP,
		.hb_src_port = 50000,
		.dc_port_base = DC_BASE,
		.n_chan = K,
		.worker_timers = WORKER_T,
		.master_timers = MASTER_T,
		.d_max_ns = US(50),
		.granularity_ns = US(1),
		.slow_tx_us = 1000,
		.allow_fast_slow_rate = true,
		.max_tasks = 16,
		.max_handlers = 8,
		.max_result = 1024,
		.fence_action = action,
		.timeline_cap = 4096,
		.hb_lcore = hb_lcore,
		.dc_lcore = dc_lcore,
		.seed = 1000u + (uint64_t)i,
		.io = {tx_buf, tx_send, &N.ports[i + 1]},
		.auth = w_auth,
	};

	dc_cfg(&c.dc);
	return c;
}

static struct tt_master_peer_config peers[MAX_W];

static struct tt_master_config master_cfg(int nw, uint16_t hb_lcore, uint16_t dc_lcore)
{
	struct tt_master_config c = {
		.ip = MASTER_IP,
		.n_chan = K,
		.n_workers = (uint32_t)nw,
		.workers = peers,
		.master_timers = MASTER_T,
		.worker_timers = WORKER_T,
		.d_max_ns = US(50),
		.granularity_ns = US(1),
		.slow_tx_us = 1000,
		.allow_fast_slow_rate = true,
		.max_tasks = 256,
		.max_outstanding = 16,
		.sched_log = N.log,
		.sched_log_cap = 8192,
		.timeline_cap = 4096,
		.hb_lcore = hb_lcore,
		.dc_lcore = dc_lcore,
		.seed = 7,
		.io = {tx_buf, tx_send, &N.ports[0]},
		.auth = m_auth,
	};

	for (int i = 0; i < nw; i++)
		peers[i] = (struct tt_master_peer_config){(uint32_t)i, WORKER_IP(i), DC_BASE};
	dc_cfg(&c.dc);
	return c;
}

/* Split planes for the next net_up(): every endpoint, lcores 0 (HB) and 1 (DC). */
static bool planes_next;

/* Build the network: a master and nw workers, layouts split when asked. */
static void net_up(int nw, bool split_master, bool split_worker, enum tt_worker_fence_action action)
{
	struct tt_master_config mc = master_cfg(nw, 0, split_master ? 1 : 0);
	char err[512];

	memset(&N, 0, sizeof(N));
	N.planes = planes_next;
	N.now = MS(1);
	N.delay = US(20);
	N.nw = nw;
	for (int i = 0; i <= MAX_W; i++)
		N.ports[i] = (struct port){&N, i - 1};
	mc.io.ctx = &N.ports[0];
	if (planes_next) {
		mc.split_planes = true;
		mc.io_dc = mc.io;
	}
	mc.sched_log = N.log;
	N.m = tt_master_create(&mc, N.now, err, sizeof(err));
	assert_non_null(N.m);
	for (int i = 0; i < nw; i++) {
		struct tt_worker_config wc = worker_cfg(i, 0, split_worker ? 1 : 0, action);

		if (planes_next) {
			wc.split_planes = true;
			wc.io = (struct tt_io_ops){tx_buf, tx_send, &N.ports[i + 1]};
			wc.io_dc = wc.io;
		}
		N.w[i] = tt_worker_create(&wc, N.now, err, sizeof(err));
		assert_non_null(N.w[i]);
	}
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < MAX_W; i++)
		tt_worker_destroy(N.w[i]);
	tt_master_destroy(N.m);
	memset(N.w, 0, sizeof(N.w));
	N.m = NULL;
	memset(&m_auth, 0, sizeof(m_auth));
	memset(&w_auth, 0, sizeof(w_auth));
	planes_next = false;
	urcu_qsbr_quiescent_state();
	return 0;
}

static void bring_up(void)
{
	advance(&N, MS(30));
	for (int i = 0; i < N.nw; i++) {
		struct tt_master_peer_info pi;

		assert_int_equal(tt_worker_state(N.w[i]), TT_WORKER_S_LIVE);
		assert_int_equal(tt_master_peer(N.m, (uint32_t)i, &pi), 0);
		assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
		assert_int_equal(pi.epoch, 1);
	}
}

static uint8_t spin_payload[MAX_W * 64][4];

/* Submit a spin task of `us` microseconds. */
static uint64_t submit_spin(uint32_t us)
{
	static unsigned int next;
	uint8_t *p = spin_payload[next++ % (MAX_W * 64)];
	uint64_t id;

	p[0] = (uint8_t)(us >> 24);
	p[1] = (uint8_t)(us >> 16);
	p[2] = (uint8_t)(us >> 8);
	p[3] = (uint8_t)us;
	assert_int_equal(tt_master_submit(N.m, "spin", p, 4, N.now, &id), 0);
	return id;
}

static struct tt_sched_task_info task(uint64_t id)
{
	struct tt_sched_task_info ti;

	assert_int_equal(tt_sched_task(tt_master_sched(N.m), id, &ti), 0);
	return ti;
}

static const struct tt_fence_event *tl_first(struct tt_fence_tl *tl, unsigned int kind,
					     uint32_t worker, uint64_t val)
{
	int64_t i = tt_fence_tl_find(tl, 0, kind, worker, val);

	return i < 0 ? NULL : tt_fence_tl_at(tl, (uint32_t)i);
}

/* ---- tests ---- */

static void test_config_refused(void **state)
{
	struct tt_master_config mc;
	char err[512];

	(void)state;
	memset(&N, 0, sizeof(N));
	mc = master_cfg(2, 0, 0);
	/* T1 = 4 ms is not above T2 + I + d_max + g = 3 + 1 + 0.05 + 0.001 ms. */
	mc.worker_timers.detect_mult = 4;
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "T1"));
	/* The test-only bypass lets it through (the simulation's negative control). */
	mc.skip_policy_check = true;
	N.m = tt_master_create(&mc, 0, err, sizeof(err));
	assert_non_null(N.m);
	assert_int_equal(tt_master_policy(N.m)->t1_ns, MS(4));
	tt_master_destroy(N.m);
	N.m = NULL;
	mc = master_cfg(2, 0, 0);
	peers[1].ip = peers[0].ip;
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "unique"));
	mc = master_cfg(2, 0, 0);
	mc.n_chan = 17;
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "n_chan"));
}

static void test_bring_up(void **state)
{
	struct tt_fence_tl *mt, *wt;
	const struct tt_fence_event *up, *live;

	(void)state;
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	mt = tt_master_timeline(N.m);
	wt = tt_worker_timeline(N.w[0]);
	up = tl_first(wt, TT_FENCE_EV_HB_UP, 0, UINT64_MAX);
	live = tl_first(wt, TT_FENCE_EV_LIVE, 0, UINT64_MAX);
	assert_non_null(up);
	assert_non_null(live);
	assert_true(tt_time_before(up->time_ns, live->time_ns));
	assert_int_equal(live->aux, K);
	assert_non_null(tl_first(mt, TT_FENCE_EV_LIVE, 1, UINT64_MAX));
	assert_non_null(tl_first(mt, TT_FENCE_EV_REJOIN, 0, UINT64_MAX)); /* first join */
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->workers_up, 2);
	assert_int_equal(tt_master_counters(N.m)->step_errors, 0);
	assert_int_equal(tt_worker_counters(N.w[1])->step_errors, 0);
	assert_int_equal(N.rx_err_master, 0);
	assert_int_equal(N.rx_err_worker, 0);
	/* The record in the association table says the same. */
	{
		struct tt_worker_rec *rec = tt_ctab_worker_lookup(tt_master_ctab(N.m), 1);

		assert_non_null(rec);
		assert_int_equal(tt_ctab_worker_epoch(rec), 1);
		assert_int_equal(tt_ctab_worker_state(rec), TT_CTAB_WS_LIVE);
		assert_true(tt_ctab_chan_is_up(&rec->chan[0], NULL));
		assert_true(tt_ctab_chan_is_up(&rec->chan[1], NULL));
	}
	/* Steady state: nothing goes down while everything is healthy. */
	advance(&N, MS(100));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 0);
	assert_int_equal(tt_master_counters(N.m)->workers_dead, 0);
}

static void test_tasks_commit_once(void **state)
{
	static const uint8_t msg[] = "hello";
	uint64_t ids[40];
	const struct tt_sched_counters *sc;

	(void)state;
	net_up(3, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	for (int i = 0; i < 40; i++)
		assert_int_equal(tt_master_submit(N.m, "echo", msg, sizeof(msg), N.now, &ids[i]),
				 0);
	advance(&N, MS(20));
	sc = tt_sched_counters(tt_master_sched(N.m));
	assert_int_equal(sc->results[TT_SCHED_COMMIT], 40);
	assert_int_equal(sc->stale, 0);
	assert_int_equal(sc->assigned, 40);
	for (int i = 0; i < 40; i++) {
		struct tt_sched_task_info ti = task(ids[i]);

		assert_int_equal(ti.state, TT_SCHED_S_COMMITTED);
		assert_int_equal(ti.attempts, 1);
		assert_int_equal(ti.epoch, 1);
		assert_int_equal(ti.status, TT_TMSG_ST_OK);
		assert_int_equal(tt_master_release(N.m, ids[i]), 0);
	}
	/* Spread over all three workers (least outstanding first). */
	for (int i = 0; i < 3; i++)
		assert_true(tt_run_counters(tt_worker_runner(N.w[i]))->results_sent > 0);
}

/*
 * The seed: a data channel goes down with tasks in flight on that worker.
 * Checks the whole story from both timelines and returns the cut time.
 */
static void fencing_story(bool cut_on_worker, bool split)
{
	struct tt_fence_tl *mt, *wt;
	const struct tt_fence_event *sil, *fence, *dead, *rejoin, *resched;
	const struct tt_hb_policy_times *pol;
	uint64_t ids[6];
	int on_w0 = 0;
	tt_ns_t cut_at;

	net_up(2, split, split, TT_WORKER_FENCE_REJOIN);
	bring_up();
	pol = tt_master_policy(N.m);
	for (int i = 0; i < 6; i++)
		ids[i] = submit_spin(50000); /* 50 ms: in flight during the whole story */
	advance(&N, MS(1));
	for (int i = 0; i < 6; i++)
		on_w0 += task(ids[i]).worker == 0;
	assert_int_equal(on_w0, 3);
	assert_int_equal(tt_run_in_flight(tt_worker_runner(N.w[0])), 3);

	cut_at = N.now;
	if (cut_on_worker)
		assert_int_equal(tt_worker_cut(N.w[0], 1, N.now), 0);
	else
		assert_int_equal(tt_master_cut(N.m, 0, 1, N.now), 0);
	mt = tt_master_timeline(N.m);
	wt = tt_worker_timeline(N.w[0]);

	if (split) {
		/* Across lcores: posted to the HB lcore's queue, silenced one poll later. */
		tt_ns_t d;

		if (cut_on_worker) {
			assert_false(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
			assert_true(tt_worker_next_deadline(N.w[0], &d));
			assert_true(d == N.now);
			tt_worker_poll(N.w[0], N.now);
			assert_true(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
		} else {
			assert_false(tt_hb_is_disconnected(tt_master_hb(N.m, 0)));
			assert_true(tt_master_next_deadline(N.m, &d));
			assert_true(d == N.now);
			tt_master_poll(N.m, N.now);
			assert_true(tt_hb_is_disconnected(tt_master_hb(N.m, 0)));
		}
	} else {
		/* Same lcore: silenced inside the cut call. */
		if (cut_on_worker)
			assert_true(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
		else
			assert_true(tt_hb_is_disconnected(tt_master_hb(N.m, 0)));
	}
	sil = tl_first(cut_on_worker ? wt : mt, TT_FENCE_EV_HB_SILENCED, 0, UINT64_MAX);
	assert_non_null(sil);
	assert_true(sil->time_ns == cut_at);
	assert_int_equal(sil->chan, 1);
	assert_int_equal(sil->aux, split ? TT_FENCE_ROUTE_QUEUED : TT_FENCE_ROUTE_DIRECT);
	{
		const struct tt_fence_event *cd =
			tl_first(cut_on_worker ? wt : mt, TT_FENCE_EV_CHAN_DOWN, 0, UINT64_MAX);

		assert_non_null(cd);
		assert_int_equal(cd->aux, TT_DC_DOWN_CUT);
	}

	/* Let T2 and then T1 run out; tasks are 50 ms, so nothing commits meanwhile. */
	advance(&N, MS(12));
	fence = tl_first(wt, TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	dead = tl_first(mt, TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	assert_non_null(fence);
	assert_non_null(dead);
	assert_int_equal(fence->epoch, 1);
	assert_int_equal(fence->aux, 3); /* the three tasks in flight aborted */
	assert_int_equal(tt_worker_counters(N.w[0])->last_fence_epoch, 1);
	assert_true(tt_worker_counters(N.w[0])->last_fence_ns == fence->time_ns);
	/* Worker fenced within T2 (+ one interval of jitter slack) of the cut. */
	assert_true(tt_time_diff(fence->time_ns, cut_at) <=
		    (int64_t)(pol->t2_ns + pol->interval_ns));
	/* The seed's guarantee: the fence comes before the master's WORKER_DEAD... */
	assert_true(tt_time_before(fence->time_ns, dead->time_ns));
	assert_int_equal(dead->aux, 3);
	/* ...and before every reschedule, each under a new epoch. */
	for (int i = 0; i < 6; i++) {
		if (task(ids[i]).worker == 1 && task(ids[i]).attempts == 1)
			continue;
		resched = tl_first(mt, TT_FENCE_EV_RESCHEDULE, UINT32_MAX, ids[i]);
		assert_non_null(resched);
		assert_true(tt_time_before(fence->time_ns, resched->time_ns));
		assert_int_equal(resched->epoch, 2);
		assert_int_equal(task(ids[i]).epoch, 2);
		assert_int_equal(task(ids[i]).worker, 1); /* placed on the live worker */
		assert_int_equal(task(ids[i]).state, TT_SCHED_S_ASSIGNED);
	}
	/* No result ever left the fenced worker's aborted tasks. */
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, 0);

	/* Restore the cut; the worker re-joins under epoch 2 and gets work again. */
	if (cut_on_worker)
		assert_int_equal(tt_worker_restore(N.w[0], 1, N.now), 0);
	else
		assert_int_equal(tt_master_restore(N.m, 0, 1, N.now), 0);
	advance(&N, MS(60));
	rejoin = tl_first(wt, TT_FENCE_EV_REJOIN, 0, UINT64_MAX);
	assert_non_null(rejoin);
	assert_int_equal(rejoin->epoch, 2);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	{
		struct tt_master_peer_info pi;
		int64_t r = tt_fence_tl_find(mt, 0, TT_FENCE_EV_REJOIN, 0, UINT64_MAX);

		/* Master: first join (epoch 1), then the re-join replacing the record. */
		r = tt_fence_tl_find(mt, (uint32_t)r + 1, TT_FENCE_EV_REJOIN, 0, UINT64_MAX);
		assert_true(r >= 0);
		assert_int_equal(tt_fence_tl_at(mt, (uint32_t)r)->epoch, 2);
		assert_int_equal(tt_fence_tl_at(mt, (uint32_t)r)->aux, 1);
		assert_true(
			tt_time_before(dead->time_ns, tt_fence_tl_at(mt, (uint32_t)r)->time_ns));
		assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
		assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
		assert_int_equal(pi.epoch, 2);
		assert_int_equal(tt_master_counters(N.m)->rejoins, 1);
	}
	/* All six committed exactly once, by worker 1. */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(task(ids[i]).state, TT_SCHED_S_COMMITTED);
		assert_int_equal(task(ids[i]).worker, 1);
	}
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->results[TT_SCHED_COMMIT], 6);
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->stale, 0);
	/* New work reaches the re-joined worker (fewest outstanding). */
	{
		uint64_t id = submit_spin(100);

		assert_int_equal(task(id).worker, 0);
		advance(&N, MS(5));
		assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
		assert_int_equal(task(id).worker, 0);
	}
	assert_int_equal(tt_master_counters(N.m)->step_errors, 0);
	assert_int_equal(tt_worker_counters(N.w[0])->step_errors, 0);
	assert_int_equal(tt_fence_tl_dropped(mt), 0);
}

static void test_cut_worker_side(void **state)
{
	(void)state;
	fencing_story(true, false);
}

static void test_cut_master_side(void **state)
{
	(void)state;
	fencing_story(false, false);
}

static void test_cut_worker_side_split(void **state)
{
	(void)state;
	fencing_story(true, true);
}

static void test_cut_master_side_split(void **state)
{
	(void)state;
	fencing_story(false, true);
}

/*
 * The fencing story with split planes, each plane driven on its own: the cut
 * reaches the session only when the HB plane polls, the HB plane's
 * WORKER_DEAD reaches the scheduler only when the DC plane polls, and every
 * task still commits exactly once, after the fence.
 */
static void planes_story(bool cut_on_worker)
{
	const struct tt_fence_event *sil, *fence, *dead, *resched;
	struct tt_fence_tl *mt, *mtd, *wt, *wtd;
	struct tt_master_peer_info pi;
	uint64_t ids[6], posted;
	int on_w0 = 0;
	uint32_t disc0;
	tt_ns_t cut_at, d;

	planes_next = true;
	net_up(2, true, true, TT_WORKER_FENCE_REJOIN);
	assert_true(tt_master_split(N.m));
	assert_true(tt_worker_split(N.w[0]));
	bring_up();
	mt = tt_master_timeline(N.m);
	mtd = tt_master_timeline_dc(N.m);
	wt = tt_worker_timeline(N.w[0]);
	wtd = tt_worker_timeline_dc(N.w[0]);
	assert_ptr_not_equal(mt, mtd);
	assert_ptr_not_equal(wt, wtd);
	/* Each plane records its own events. */
	assert_non_null(tl_first(mt, TT_FENCE_EV_HB_UP, 0, UINT64_MAX));
	assert_null(tl_first(mtd, TT_FENCE_EV_HB_UP, 0, UINT64_MAX));
	assert_non_null(tl_first(mtd, TT_FENCE_EV_LIVE, 0, UINT64_MAX));
	assert_non_null(tl_first(wt, TT_FENCE_EV_LIVE, 0, UINT64_MAX));
	assert_non_null(tl_first(wtd, TT_FENCE_EV_CHAN_UP, 0, UINT64_MAX));
	for (int i = 0; i < 6; i++)
		ids[i] = submit_spin(50000);
	advance(&N, MS(1));
	for (int i = 0; i < 6; i++)
		on_w0 += task(ids[i]).worker == 0;
	assert_int_equal(on_w0, 3);

	cut_at = N.now;
	if (cut_on_worker) {
		/* The DC plane's call: down posted, the session untouched. */
		assert_int_equal(tt_worker_cut(N.w[0], 1, N.now), 0);
		assert_int_equal(
			tt_fence_counters(tt_worker_assoc(N.w[0]))->downs[TT_FENCE_ROUTE_QUEUED], 1);
		assert_false(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
		assert_non_null(tl_first(wtd, TT_FENCE_EV_CHAN_DOWN, 0, UINT64_MAX));
		tt_worker_poll_dc(N.w[0], N.now);
		assert_false(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
		/* Work waiting: due at once (the HB plane's last `now` or before). */
		assert_true(tt_worker_next_deadline_hb(N.w[0], &d));
		assert_true(tt_time_reached(N.now, d));
		assert_true(tt_worker_poll_hb(N.w[0], N.now) >= 1);
		assert_true(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
		assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_SILENCED);
		assert_int_equal(tt_fence_counters(tt_worker_assoc(N.w[0]))->events_applied, 1);
		sil = tl_first(wt, TT_FENCE_EV_HB_SILENCED, 0, UINT64_MAX);
	} else {
		assert_int_equal(tt_master_cut(N.m, 0, 1, N.now), 0);
		assert_int_equal(
			tt_fence_counters(tt_master_assoc(N.m, 0))->downs[TT_FENCE_ROUTE_QUEUED], 1);
		assert_false(tt_hb_is_disconnected(tt_master_hb(N.m, 0)));
		assert_non_null(tl_first(mtd, TT_FENCE_EV_CHAN_DOWN, 0, UINT64_MAX));
		tt_master_poll_dc(N.m, N.now);
		assert_false(tt_hb_is_disconnected(tt_master_hb(N.m, 0)));
		posted = tt_master_counters(N.m)->xev_posted;
		assert_true(tt_master_next_deadline_hb(N.m, &d));
		assert_true(tt_time_reached(N.now, d));
		assert_true(tt_master_poll_hb(N.m, N.now) >= 1);
		assert_true(tt_hb_is_disconnected(tt_master_hb(N.m, 0)));
		assert_int_equal(tt_fence_counters(tt_master_assoc(N.m, 0))->events_applied, 1);
		/* SILENCED posted to the DC plane, which still uses the worker... */
		assert_int_equal(tt_master_counters(N.m)->xev_posted, posted + 1);
		assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
		assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
		assert_true(pi.hb_disconnected);
		/* ...until it polls. */
		assert_true(tt_master_next_deadline_dc(N.m, &d));
		assert_true(tt_time_reached(N.now, d));
		assert_true(tt_master_poll_dc(N.m, N.now) >= 1);
		assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
		assert_int_equal(pi.state, TT_CTAB_WS_SILENCED);
		sil = tl_first(mt, TT_FENCE_EV_HB_SILENCED, 0, UINT64_MAX);
	}
	assert_non_null(sil);
	assert_true(sil->time_ns == cut_at);
	assert_int_equal(sil->chan, 1);
	assert_int_equal(sil->aux, TT_FENCE_ROUTE_QUEUED);

	/* T2 then T1 run out with the master's DC plane not polled. */
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	disc0 = pi.hb_local_disc;
	N.hold_m_dc = true;
	advance(&N, MS(12));
	fence = tl_first(wtd, TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	assert_non_null(fence);
	assert_int_equal(fence->epoch, 1);
	assert_int_equal(fence->aux, 3);
	assert_null(tl_first(wt, TT_FENCE_EV_FENCE, 0, UINT64_MAX));
	assert_non_null(tl_first(wt, TT_FENCE_EV_REJOIN, 0, UINT64_MAX));
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, 0);
	/* The HB plane declared the worker dead and reconnected its session... */
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	assert_true(pi.hb_local_disc != disc0);
	assert_true(tt_master_counters(N.m)->xev_handled < tt_master_counters(N.m)->xev_posted);
	/* ...but the scheduler has not heard of it: the tasks stay where they were. */
	assert_null(tl_first(mtd, TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX));
	for (int i = 0; i < 6; i++)
		if (task(ids[i]).worker == 0)
			assert_int_equal(task(ids[i]).epoch, 1);
	/* (the session's Down after a worker-side cut has not reached it either) */
	assert_int_equal(pi.state, cut_on_worker ? TT_CTAB_WS_LIVE : TT_CTAB_WS_SILENCED);

	/* The DC plane's next poll takes the tasks back. */
	assert_true(tt_master_poll_dc(N.m, N.now) >= 1);
	N.hold_m_dc = false;
	assert_int_equal(tt_master_counters(N.m)->xev_handled, tt_master_counters(N.m)->xev_posted);
	assert_int_equal(tt_master_counters(N.m)->xev_full, 0);
	dead = tl_first(mtd, TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	assert_non_null(dead);
	assert_int_equal(dead->aux, 3);
	assert_true(dead->time_ns == N.now);
	assert_true(tt_time_before(fence->time_ns, dead->time_ns));
	for (int i = 0; i < 6; i++) {
		if (task(ids[i]).attempts == 1)
			continue;
		resched = tl_first(mtd, TT_FENCE_EV_RESCHEDULE, UINT32_MAX, ids[i]);
		assert_non_null(resched);
		assert_int_equal(resched->epoch, 2);
		assert_int_equal(task(ids[i]).worker, 1);
	}
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	assert_int_equal(pi.state, TT_CTAB_WS_DEAD);

	/* Restore: the worker re-joins under epoch 2; all six commit once, on worker 1. */
	if (cut_on_worker)
		assert_int_equal(tt_worker_restore(N.w[0], 1, N.now), 0);
	else
		assert_int_equal(tt_master_restore(N.m, 0, 1, N.now), 0);
	advance(&N, MS(60));
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
	assert_int_equal(pi.epoch, 2);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(task(ids[i]).state, TT_SCHED_S_COMMITTED);
		assert_int_equal(task(ids[i]).worker, 1);
	}
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->results[TT_SCHED_COMMIT], 6);
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->stale, 0);
	{
		struct tt_master_counters mc;
		struct tt_worker_counters wc;

		tt_master_counters_sum(N.m, &mc);
		tt_worker_counters_sum(N.w[0], &wc);
		assert_int_equal(mc.step_errors, 0);
		assert_int_equal(wc.step_errors, 0);
		/* Both planes sent: the sum holds more than the HB plane's share. */
		assert_true(mc.tx.sent > tt_master_counters(N.m)->tx.sent);
		assert_true(wc.tx.sent > tt_worker_counters(N.w[0])->tx.sent);
		assert_int_equal(wc.xev_full + wc.xev_dc_full, 0);
	}
	assert_int_equal(tt_fence_tl_dropped(mt) + tt_fence_tl_dropped(mtd), 0);
}

static void test_planes_cut_worker_side(void **state)
{
	(void)state;
	planes_story(true);
}

static void test_planes_cut_master_side(void **state)
{
	(void)state;
	planes_story(false);
}

/* Split planes need two lcores and the DC plane's transport. */
static void test_planes_config_refused(void **state)
{
	struct tt_master_config mc;
	char err[256];

	(void)state;
	memset(&N, 0, sizeof(N));
	mc = master_cfg(1, 0, 0);
	mc.split_planes = true;
	mc.io_dc = mc.io;
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "split_planes"));
	mc = master_cfg(1, 0, 1);
	mc.split_planes = true;
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "io_dc"));
}

static void test_cancel_delivered(void **state)
{
	struct tt_fence_tl *wt;
	const struct tt_fence_event *rx;
	uint64_t id;

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	id = submit_spin(20000);
	advance(&N, MS(1));
	assert_int_equal(tt_run_in_flight(tt_worker_runner(N.w[0])), 1);
	assert_int_equal(tt_master_cancel(N.m, id, N.now), 0);
	assert_int_equal(task(id).state, TT_SCHED_S_CANCELLING);
	advance(&N, MS(30));
	wt = tt_worker_timeline(N.w[0]);
	rx = tl_first(wt, TT_FENCE_EV_CANCEL_RX, 0, id);
	assert_non_null(rx);
	assert_int_equal(rx->aux, TT_TMSG_CANCEL_ABORTED);
	assert_int_equal(tt_run_in_flight(tt_worker_runner(N.w[0])), 0);
	assert_int_equal(task(id).state, TT_SCHED_S_CANCELLED);
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->cancelled[TT_SCHED_END_ACK], 1);
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, 0);
	assert_non_null(tl_first(tt_master_timeline(N.m), TT_FENCE_EV_CANCELLED, 0, id));
	/* Nothing was fenced for it. */
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 0);
}

/*
 * The seed's point: the CANCEL cannot be delivered because the task's channel
 * is down. The channel being down silences the heartbeat; the worker's fence
 * ends the task before the master considers it ended, and it never runs
 * anywhere else.
 */
static void test_cancel_undeliverable(void **state)
{
	struct tt_fence_tl *mt, *wt;
	const struct tt_fence_event *cancel, *fence, *cancelled;
	uint64_t id;
	uint16_t ch;

	(void)state;
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	id = submit_spin(40000);
	advance(&N, MS(1));
	assert_int_equal(task(id).worker, 0);
	ch = task(id).channel;
	assert_int_equal(tt_master_cut(N.m, 0, ch, N.now), 0);
	assert_int_equal(tt_master_cancel(N.m, id, N.now), 0);
	mt = tt_master_timeline(N.m);
	wt = tt_worker_timeline(N.w[0]);
	cancel = tl_first(mt, TT_FENCE_EV_CANCEL, 0, id);
	assert_non_null(cancel);
	assert_int_equal(cancel->aux, TT_SCHED_CANCEL_DEFERRED);
	assert_int_equal(task(id).state, TT_SCHED_S_CANCELLING);
	advance(&N, MS(15));
	fence = tl_first(wt, TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	cancelled = tl_first(mt, TT_FENCE_EV_CANCELLED, 0, id);
	assert_non_null(fence);
	assert_non_null(cancelled);
	assert_int_equal(fence->aux, 1); /* the task was in flight and aborted by the fence */
	assert_int_equal(cancelled->aux, TT_SCHED_END_WORKER_DEAD);
	assert_true(tt_time_before(fence->time_ns, cancelled->time_ns));
	/* The worker never saw the CANCEL; the task never ran anywhere else. */
	assert_null(tl_first(wt, TT_FENCE_EV_CANCEL_RX, 0, id));
	assert_null(tl_first(mt, TT_FENCE_EV_RESCHEDULE, UINT32_MAX, id));
	assert_int_equal(task(id).state, TT_SCHED_S_CANCELLED);
	assert_int_equal(task(id).attempts, 1);
	assert_null(tl_first(tt_worker_timeline(N.w[1]), TT_FENCE_EV_TASK_START, 1, id));
	advance(&N, MS(60));
	assert_int_equal(task(id).state, TT_SCHED_S_CANCELLED);
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, 0);
}

/* Hold every data-channel datagram worker 0 sends (the filter of the next test). */
static bool hold_w0(struct net *n, const struct dgram *d)
{
	if (!n->hold_w0_dc || d->src != 0 || d->meta.dst_port == TT_BFD_UDP_PORT)
		return false;
	if (n->nheld < (int)(sizeof(n->held) / sizeof(n->held[0])))
		n->held[n->nheld++] = *d;
	return true;
}

/*
 * A RESULT of an old incarnation arrives late: the worker finished the task
 * but its data never got through; its channel gave up, the heartbeat was
 * silenced, it fenced and re-joined, the master rescheduled the task under
 * epoch 2 on the other worker. The late datagrams (epoch 1) are dropped and
 * counted; the task is committed exactly once.
 */
static void test_stale_result_dropped(void **state)
{
	const struct tt_master_counters *mc;
	uint64_t id;

	(void)state;
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	N.filter = hold_w0;
	id = submit_spin(2000);
	advance(&N, MS(1));
	assert_int_equal(task(id).worker, 0);
	N.hold_w0_dc = true;
	for (int i = 0; i < 40 && tt_worker_counters(N.w[0])->fences == 0; i++)
		advance(&N, MS(1));
	N.hold_w0_dc = false;
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 1);
	advance(&N, MS(60));
	assert_true(N.nheld > 0);
	assert_true(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent >= 1);
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 1);
	assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(task(id).worker, 1);
	assert_int_equal(task(id).epoch, 2);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	/* Now the held datagrams of epoch 1 arrive. */
	mc = tt_master_counters(N.m);
	for (int i = 0; i < N.nheld; i++)
		assert_int_equal(
			tt_master_rx(N.m, &N.held[i].meta, N.held[i].buf, N.held[i].len, N.now),
			-ESTALE);
	assert_int_equal(mc->dc_rx_old_epoch, (uint64_t)N.nheld);
	assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(task(id).worker, 1);
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->results[TT_SCHED_COMMIT], 1);
	advance(&N, MS(10));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
}

/*
 * A RESULT the scheduler must refuse: it races a CANCEL. The task finishes on
 * the worker while the CANCEL is on its way; the master, already cancelling,
 * drops the RESULT as stale and records it; the CANCEL_ACK (not held) ends it.
 */
static void test_stale_result_cancel_race(void **state)
{
	const struct tt_fence_event *st;
	uint64_t id;

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	id = submit_spin(1000);
	/* ASSIGN takes 20 µs, the task 1 ms: cancel just before the RESULT lands. */
	advance(&N, US(1030));
	assert_int_equal(tt_run_in_flight(tt_worker_runner(N.w[0])), 0);
	assert_int_equal(task(id).state, TT_SCHED_S_ASSIGNED);
	assert_int_equal(tt_master_cancel(N.m, id, N.now), 0);
	advance(&N, MS(5));
	st = tl_first(tt_master_timeline(N.m), TT_FENCE_EV_RESULT_STALE, 0, id);
	assert_non_null(st);
	assert_int_equal(st->aux, TT_SCHED_STALE_CANCELLED);
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->stale, 1);
	assert_int_equal(task(id).state, TT_SCHED_S_CANCELLED);
	assert_int_equal(
		tt_sched_counters(tt_master_sched(N.m))->cancel_acks[TT_TMSG_CANCEL_NOT_HELD], 1);
}

static void test_rx_checks(void **state)
{
	const struct tt_master_counters *mc;
	struct tt_bfd_ctrl pkt = {
		.version = 1,
		.state = TT_BFD_STATE_DOWN,
		.detect_mult = 3,
		.my_disc = 99,
		.desired_min_tx_us = 1000,
		.required_min_rx_us = 1000,
	};
	uint8_t buf[64];
	size_t len = tt_bfd_build(&pkt, buf, sizeof(buf));
	struct tt_udp_meta meta = {WORKER_IP(0), MASTER_IP, 50000, TT_BFD_UDP_PORT, 255};

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	mc = tt_master_counters(N.m);
	meta.ttl = 254; /* RFC 5881 §5 */
	assert_int_equal(tt_master_rx(N.m, &meta, buf, len, N.now), -EPROTO);
	assert_int_equal(mc->hb_rx.by_reason[TT_BFD_RX_TTL], 1);
	meta.ttl = 255;
	meta.src_port = 3784; /* RFC 5881 §4 */
	assert_int_equal(tt_master_rx(N.m, &meta, buf, len, N.now), -EPROTO);
	assert_int_equal(mc->hb_rx.by_reason[TT_BFD_RX_UDP_SRC_PORT], 1);
	meta.src_port = 50000;
	assert_int_equal(tt_master_rx(N.m, &meta, buf, 10, N.now), -EPROTO);
	assert_int_equal(mc->hb_rx.by_reason[TT_BFD_RX_TRUNCATED], 1);
	meta.src_ip = WORKER_IP(2); /* no such worker */
	assert_int_equal(tt_master_rx(N.m, &meta, buf, len, N.now), -ENOENT);
	assert_int_equal(mc->hb_rx.by_reason[TT_BFD_RX_NO_SESSION], 1);
	meta.dst_port = 9999;
	meta.src_ip = WORKER_IP(0);
	assert_int_equal(tt_master_rx(N.m, &meta, buf, len, N.now), -ENOENT);
	assert_int_equal(mc->rx_bad_dst, 1);
	/* Data channel: malformed, unknown flow, DATA of an epoch never accepted. */
	{
		struct tt_dcw_pkt d = {
			.version = 1,
			.type = TT_DCW_T_ACK,
			.worker_id = 0,
			.chan_idx = 0,
			.epoch = 1,
		};
		uint8_t b[128];
		size_t n = tt_dcw_build(&d, b, sizeof(b));
		struct tt_udp_meta dm = {WORKER_IP(0), MASTER_IP, DC_BASE, TT_DCW_UDP_PORT, 64};

		assert_int_equal(tt_master_rx(N.m, &dm, b, 20, N.now), -EPROTO);
		assert_int_equal(mc->dc_parse.by_reason[TT_DCW_RX_TRUNCATED], 1);
		dm.src_port = 1234;
		assert_int_equal(tt_master_rx(N.m, &dm, b, n, N.now), -ENOENT);
		assert_int_equal(mc->dc_rx_no_flow, 1);
		dm.src_port = DC_BASE;
		assert_int_equal(tt_master_rx(N.m, &dm, b, n, N.now), -ENOENT);
		assert_int_equal(mc->dc_rx_no_incarnation, 1);
		dm.src_port = DC_BASE + 1; /* flow of channel 1, header says 0 */
		assert_int_equal(tt_master_rx(N.m, &dm, b, n, N.now), -ENOENT);
		assert_int_equal(mc->dc_rx_id_mismatch, 1);
	}
}

/*
 * A new incarnation is refused while the old one, live, may still hold tasks:
 * a CONNECT with epoch 2 for a live worker is ignored and counted.
 */
static void test_new_epoch_refused_while_live(void **state)
{
	struct tt_dcw_pkt d = {
		.version = 1,
		.type = TT_DCW_T_CONNECT,
		.worker_id = 0,
		.chan_idx = 0,
		.window = 16,
		.epoch = 2,
		.seq = 5,
		.nonce = 77,
	};
	uint8_t b[128];
	size_t n = tt_dcw_build(&d, b, sizeof(b));
	struct tt_udp_meta dm = {WORKER_IP(0), MASTER_IP, DC_BASE, TT_DCW_UDP_PORT, 64};
	struct tt_master_peer_info pi;

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	assert_int_equal(tt_master_rx(N.m, &dm, b, n, N.now), -EAGAIN);
	assert_int_equal(tt_master_counters(N.m)->connect_refused, 1);
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	assert_int_equal(pi.epoch, 1);
	assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
	advance(&N, MS(20));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
}

/* The port's link goes down at the master: every worker is silenced and fences. */
static void test_link_down(void **state)
{
	(void)state;
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	assert_int_equal(tt_master_link_down(N.m, N.now), 2 * K);
	assert_true(tt_hb_is_disconnected(tt_master_hb(N.m, 0)));
	assert_true(tt_hb_is_disconnected(tt_master_hb(N.m, 1)));
	advance(&N, MS(80));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tt_worker_counters(N.w[i])->fences, 1);
		assert_int_equal(tt_worker_epoch(N.w[i]), 2);
		assert_int_equal(tt_worker_state(N.w[i]), TT_WORKER_S_LIVE);
	}
	assert_int_equal(tt_master_counters(N.m)->workers_dead, 2);
}

/* ---- fresh discriminators ---- */

/* The last heartbeat each way that went on the wire (copies; nothing dropped). */
static struct dgram hb_m2w, hb_w2m;
/* Drop the master's heartbeats to worker 0 (keep_hb still records them). */
static bool drop_m2w_hb;

static bool keep_hb(struct net *n, const struct dgram *d)
{
	(void)n;
	if (d->meta.dst_port != TT_BFD_UDP_PORT)
		return false;
	if (d->src < 0 && d->meta.dst_ip == WORKER_IP(0)) {
		if (drop_m2w_hb)
			return true;
		hb_m2w = *d;
	} else if (d->src == 0) {
		hb_w2m = *d;
	}
	return false;
}

/* Hand a datagram to its destination now, as the network would. */
static int replay(const struct dgram *d, size_t len)
{
	if (d->meta.dst_ip == MASTER_IP)
		return tt_master_rx(N.m, &d->meta, d->buf, len, N.now);
	return tt_worker_rx(N.w[0], &d->meta, d->buf, len, N.now);
}

static uint32_t your_disc_of(const struct dgram *d)
{
	struct tt_bfd_ctrl p;

	assert_int_equal(tt_bfd_parse(d->buf, d->len, &p), TT_BFD_RX_OK);
	return p.your_disc;
}

/*
 * Every new heartbeat session gets a fresh discriminator (RFC 5880 §6.8.6,
 * §6.8.1): the worker's at its REJOIN, the master's when it reconnects the
 * session after WORKER_DEAD. Demultiplexing still works (by Your
 * Discriminator, and by source address while it is 0), for the other worker
 * too, and packets captured before the re-join select no session any more.
 */
static void test_fresh_discriminators(void **state)
{
	struct tt_master_peer_info pi;
	struct dgram old_m2w, old_w2m;
	uint32_t m1, w1, m2, w2;
	uint64_t wns, mns;

	(void)state;
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	N.filter = keep_hb;
	bring_up();
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	m1 = pi.hb_local_disc;
	w1 = tt_worker_local_disc(N.w[0]);
	assert_int_equal(m1, 0x4d000001u);
	assert_int_equal(w1, 0x57000001u);
	assert_int_equal(tt_hb_remote_disc(tt_worker_hb(N.w[0])), m1);
	assert_int_equal(tt_hb_remote_disc(tt_master_hb(N.m, 0)), w1);
	old_m2w = hb_m2w;
	old_w2m = hb_w2m;
	assert_int_equal(your_disc_of(&old_m2w), w1);
	assert_int_equal(your_disc_of(&old_w2m), m1);

	/* A re-join: cut, fence, WORKER_DEAD, restore, LIVE under epoch 2. */
	assert_int_equal(tt_worker_cut(N.w[0], 1, N.now), 0);
	advance(&N, MS(12));
	assert_int_equal(tt_master_counters(N.m)->workers_dead, 1);
	assert_int_equal(tt_worker_restore(N.w[0], 1, N.now), 0);
	advance(&N, MS(60));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
	m2 = pi.hb_local_disc;
	w2 = tt_worker_local_disc(N.w[0]);
	assert_true(m2 != 0 && m2 != m1);
	assert_true(w2 != 0 && w2 != w1);
	/* Two workers: the two low bits name the peer (index + 1). */
	assert_int_equal(m2 & 3u, 1);
	assert_int_equal(tt_hb_state(tt_master_hb(N.m, 0)), TT_HB_S_UP);
	assert_int_equal(tt_hb_remote_disc(tt_worker_hb(N.w[0])), m2);
	assert_int_equal(tt_hb_remote_disc(tt_master_hb(N.m, 0)), w2);
	/* The other worker's session went on undisturbed. */
	assert_int_equal(tt_master_peer(N.m, 1, &pi), 0);
	assert_int_equal(pi.hb_local_disc, 0x4d000002u);
	assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
	assert_int_equal(tt_worker_counters(N.w[1])->fences, 0);

	/* Replays of the packets captured before: no session. */
	wns = tt_worker_counters(N.w[0])->hb_rx.by_reason[TT_BFD_RX_NO_SESSION];
	mns = tt_master_counters(N.m)->hb_rx.by_reason[TT_BFD_RX_NO_SESSION];
	assert_int_equal(replay(&old_m2w, old_m2w.len), -ENOENT);
	assert_int_equal(replay(&old_w2m, old_w2m.len), -ENOENT);
	assert_int_equal(tt_worker_counters(N.w[0])->hb_rx.by_reason[TT_BFD_RX_NO_SESSION],
			 wns + 1);
	assert_int_equal(tt_master_counters(N.m)->hb_rx.by_reason[TT_BFD_RX_NO_SESSION], mns + 1);
	assert_int_equal(tt_hb_counters(tt_worker_hb(N.w[0]))->rx.by_reason[TT_BFD_RX_NO_SESSION],
			 1);
	advance(&N, MS(20));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 1);
	assert_int_equal(tt_master_counters(N.m)->step_errors, 0);
	assert_int_equal(tt_worker_counters(N.w[0])->step_errors, 0);
}

/* ---- authentication ---- */

static struct tt_crypto_openssl *crypto;

static const char KEYS_A[] =
	"bfd 1 meticulous-sha1 8f14e45fceea167a5a36dedd4bea2543\n"
	"dc 1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
/* The same key ids with other secrets. */
static const char KEYS_B[] =
	"bfd 1 meticulous-sha1 0123456789abcdef0123456789abcdef\n"
	"dc 1 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n";
static const char KEYS_KEYED[] =
	"bfd 7 sha1 c9f0f895fb98ab9159f51fd0297e236d\n"
	"dc 3 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\n";

static struct tt_auth_keyring ring_a, ring_b, ring_keyed;

static void parse_keys(struct tt_auth_keyring *kr, const char *text)
{
	char err[TT_KEYFILE_ERR_MAX];

	assert_int_equal(tt_keyfile_parse("test", text, strlen(text), kr, err, sizeof(err)), 0);
}

static void use_auth(const struct tt_auth_keyring *mk, const struct tt_auth_keyring *wk,
		     uint8_t type, bool mac)
{
	const struct tt_auth_crypto_ops *ops = tt_crypto_openssl_ops(crypto);

	if (mk != NULL)
		m_auth = (struct tt_master_auth_config){mk, ops, type, mac};
	if (wk != NULL)
		w_auth = (struct tt_worker_auth_config){wk, ops, type, mac};
}

static void assert_no_auth_rejects(const uint64_t *hb, const uint64_t *dc)
{
	for (unsigned int r = 1; r < TT_AUTH_BFD_REJECT_MAX; r++)
		assert_int_equal(hb[r], 0);
	for (unsigned int r = 1; r < TT_AUTH_DC_REJECT_MAX; r++)
		assert_int_equal(dc[r], 0);
}

/* Same key ring at both ends: Up, tasks end to end, every packet signed and accepted. */
static void auth_end_to_end(const struct tt_auth_keyring *kr, uint8_t type)
{
	static const uint8_t msg[] = "authenticated";
	const struct tt_master_counters *mc;
	const struct tt_worker_counters *wc;
	uint64_t ids[20];

	use_auth(kr, kr, type, true);
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	for (int i = 0; i < 20; i++)
		assert_int_equal(tt_master_submit(N.m, "echo", msg, sizeof(msg), N.now, &ids[i]),
				 0);
	advance(&N, MS(20));
	for (int i = 0; i < 20; i++)
		assert_int_equal(task(ids[i]).state, TT_SCHED_S_COMMITTED);
	mc = tt_master_counters(N.m);
	wc = tt_worker_counters(N.w[0]);
	assert_true(mc->hb_auth[TT_AUTH_BFD_OK] > 0);
	assert_true(mc->dc_auth[TT_AUTH_DC_OK] > 0);
	assert_true(wc->hb_auth[TT_AUTH_BFD_OK] > 0);
	assert_true(wc->dc_auth[TT_AUTH_DC_OK] > 0);
	assert_no_auth_rejects(mc->hb_auth, mc->dc_auth);
	assert_no_auth_rejects(wc->hb_auth, wc->dc_auth);
	assert_int_equal(mc->auth_sign_failed, 0);
	assert_int_equal(wc->auth_sign_failed, 0);
	assert_int_equal(N.rx_err_master, 0);
	assert_int_equal(N.rx_err_worker, 0);
	/* Every heartbeat the worker accepted was one the master signed, and so on. */
	assert_int_equal(tt_auth_bfd_counters(tt_worker_hb_auth(N.w[0]))->by_reason[0],
			 wc->hb_auth[0]);
	assert_true(tt_auth_bfd_counters(tt_master_hb_auth(N.m, 0))->signed_packets >=
		    wc->hb_auth[0]);
	assert_int_equal(tt_auth_bfd_xmit_seq(tt_master_hb_auth(N.m, 0)) - 1,
			 tt_auth_bfd_rcv_seq(tt_worker_hb_auth(N.w[0])));
	/* Incarnation 1 sends from (1 << 32) | 1. */
	assert_true(tt_auth_dc_tx_seq(tt_master_dc_auth(N.m, 0, 0)) > (1ull << 32 | 1u));
	assert_true(tt_auth_dc_tx_seq(tt_worker_dc_auth(N.w[0], 1)) < 2ull << 32);
	assert_null(tt_master_dc_auth(N.m, 0, K));
	assert_null(tt_master_hb_auth(N.m, 7));

	/* A re-join under authentication: sequence numbers go on, MAC from epoch 2. */
	assert_int_equal(tt_worker_cut(N.w[0], 1, N.now), 0);
	advance(&N, MS(12));
	assert_int_equal(tt_worker_restore(N.w[0], 1, N.now), 0);
	advance(&N, MS(60));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_true(tt_auth_dc_tx_seq(tt_master_dc_auth(N.m, 0, 0)) > (2ull << 32 | 1u));
	assert_true(tt_auth_dc_tx_seq(tt_worker_dc_auth(N.w[0], 0)) > (2ull << 32 | 1u));
	{
		uint64_t id = submit_spin(100);

		assert_int_equal(task(id).worker, 0);
		advance(&N, MS(5));
		assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
	}
	assert_int_equal(mc->auth_sign_failed, 0);
	assert_int_equal(wc->auth_sign_failed, 0);
	assert_int_equal(mc->hb_auth[TT_AUTH_BFD_BAD_DIGEST], 0);
	assert_int_equal(wc->hb_auth[TT_AUTH_BFD_BAD_DIGEST], 0);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_BAD_TAG], 0);
	assert_int_equal(wc->dc_auth[TT_AUTH_DC_BAD_TAG], 0);
	assert_int_equal(mc->step_errors, 0);
	assert_int_equal(wc->step_errors, 0);
	assert_int_equal(wc->stalls, 0);
}

static void test_auth_meticulous_end_to_end(void **state)
{
	(void)state;
	auth_end_to_end(&ring_a, TT_BFD_AUTH_METICULOUS_KEYED_SHA1);
}

static void test_auth_keyed_end_to_end(void **state)
{
	(void)state;
	auth_end_to_end(&ring_keyed, TT_BFD_AUTH_KEYED_SHA1);
}

/* A worker with another key never comes Up; every packet is refused and counted. */
static void test_auth_wrong_key(void **state)
{
	const struct tt_master_counters *mc;
	const struct tt_worker_counters *wc;
	struct tt_master_peer_info pi;

	(void)state;
	use_auth(&ring_a, &ring_b, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, true);
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	advance(&N, MS(100));
	mc = tt_master_counters(N.m);
	wc = tt_worker_counters(N.w[0]);
	assert_int_equal(tt_hb_state(tt_master_hb(N.m, 0)), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_state(tt_worker_hb(N.w[0])), TT_HB_S_DOWN);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_JOINING);
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	assert_int_equal(pi.epoch, 0);
	assert_true(mc->hb_auth[TT_AUTH_BFD_BAD_DIGEST] > 50);
	assert_true(wc->hb_auth[TT_AUTH_BFD_BAD_DIGEST] > 50);
	assert_int_equal(mc->hb_auth[TT_AUTH_BFD_OK], 0);
	assert_int_equal(wc->hb_auth[TT_AUTH_BFD_OK], 0);
	assert_int_equal(mc->hb_rx.by_reason[TT_BFD_RX_AUTH_FAILED],
			 mc->hb_auth[TT_AUTH_BFD_BAD_DIGEST]);
	assert_int_equal(wc->hb_rx.by_reason[TT_BFD_RX_AUTH_FAILED],
			 wc->hb_auth[TT_AUTH_BFD_BAD_DIGEST]);
	/* Never stepped: the sessions saw no packet, only the counted rejects. */
	assert_int_equal(tt_hb_counters(tt_master_hb(N.m, 0))->rx_packets, 0);
	assert_int_equal(tt_hb_counters(tt_worker_hb(N.w[0]))->rx.by_reason[TT_BFD_RX_AUTH_FAILED],
			 wc->hb_auth[TT_AUTH_BFD_BAD_DIGEST]);
	assert_int_equal(tt_hb_remote_disc(tt_master_hb(N.m, 0)), 0);
	/* No channel was ever opened. */
	assert_int_equal(mc->dc_parse.by_reason[TT_DCW_RX_OK], 0);
	assert_int_equal(wc->dc_parse.by_reason[TT_DCW_RX_OK], 0);
}

/*
 * Authentication at the master only: the worker's unsigned heartbeats are
 * refused (RFC 5880 §6.7.4: no section), the master's signed ones by the
 * worker's session (§6.8.6: A bit set, no authentication configured).
 */
static void test_auth_one_side(void **state)
{
	(void)state;
	use_auth(&ring_a, NULL, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, true);
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	advance(&N, MS(30));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_JOINING);
	assert_true(tt_master_counters(N.m)->hb_auth[TT_AUTH_BFD_NO_AUTH] > 10);
	assert_int_equal(tt_master_counters(N.m)->hb_rx.by_reason[TT_BFD_RX_AUTH_MISSING],
			 tt_master_counters(N.m)->hb_auth[TT_AUTH_BFD_NO_AUTH]);
	assert_true(tt_hb_counters(tt_worker_hb(N.w[0]))->rx.by_reason[TT_BFD_RX_AUTH_UNEXPECTED] >
		    10);
	assert_null(tt_worker_hb_auth(N.w[0]));
	assert_null(tt_worker_dc_auth(N.w[0], 0));
}

static void test_auth_config_refused(void **state)
{
	struct tt_master_config mc;
	struct tt_worker_config wc;
	char err[512];

	(void)state;
	memset(&N, 0, sizeof(N));
	/* The ring's first bfd key is Meticulous: Keyed is not what it sends with. */
	use_auth(&ring_a, &ring_a, TT_BFD_AUTH_KEYED_SHA1, true);
	mc = master_cfg(1, 0, 0);
	errno = 0;
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "bfd_type"));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "bfd_type"));
	/* MD5 is not offered. */
	use_auth(&ring_a, &ring_a, TT_BFD_AUTH_KEYED_MD5, false);
	mc = master_cfg(1, 0, 0);
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "Meticulous Keyed SHA1"));
	/* Something enabled without a key ring. */
	use_auth(&ring_a, &ring_a, 0, true);
	m_auth.keys = NULL;
	w_auth.keys = NULL;
	mc = master_cfg(1, 0, 0);
	assert_null(tt_master_create(&mc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "key ring"));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "key ring"));
	memset(&m_auth, 0, sizeof(m_auth));
	memset(&w_auth, 0, sizeof(w_auth));
}

/*
 * Run until worker 0 fences after the master's heartbeats to it stop, while
 * (if @p replays) a heartbeat the master sent before is replayed to it every
 * 500 us for 10 ms. Returns the fence time; *expect is the last genuine
 * heartbeat's arrival + T2, *n the replays made before the fence.
 */
static tt_ns_t fence_under_replay(bool auth, bool replays, tt_ns_t *expect, unsigned int *n)
{
	struct dgram captured;
	tt_ns_t t2 = 0;

	if (auth)
		use_auth(&ring_a, &ring_a, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, true);
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	N.filter = keep_hb;
	drop_m2w_hb = false;
	bring_up();
	advance(&N, MS(5));
	captured = hb_m2w;
	t2 = tt_master_policy(N.m)->t2_ns;
	drop_m2w_hb = true;
	/* The last heartbeat let through arrives at its `at` (still queued, maybe). */
	*expect = hb_m2w.at + t2;
	*n = 0;
	for (int i = 0; i < 20 && tt_worker_counters(N.w[0])->fences == 0; i++) {
		advance(&N, US(500));
		if (replays && tt_worker_counters(N.w[0])->fences == 0) {
			replay(&captured, captured.len);
			(*n)++;
		}
	}
	advance(&N, MS(10));
	drop_m2w_hb = false;
	assert_true(tt_worker_counters(N.w[0])->fences >= 1);
	return tt_fence_tl_at(tt_worker_timeline(N.w[0]),
			      (uint32_t)tt_fence_tl_find(tt_worker_timeline(N.w[0]), 0,
							 TT_FENCE_EV_FENCE, 0, UINT64_MAX))
		->time_ns;
}

/*
 * A heartbeat captured earlier and replayed does not keep a worker alive: the
 * worker fences exactly when it would without the replays, T2 after the last
 * genuine heartbeat (RFC 5880 §6.7.4 sequence check: a replay is refused and
 * never steps the session). Without authentication the same replays do keep
 * it Up (the control that shows the test can fail).
 */
static void test_auth_replayed_heartbeat(void **state)
{
	tt_ns_t quiet, replayed, plain, expect_q, expect_r, expect_p;
	unsigned int n_q, n_r, n_p;
	uint64_t refused;

	(void)state;
	quiet = fence_under_replay(true, false, &expect_q, &n_q);
	teardown(NULL);
	replayed = fence_under_replay(true, true, &expect_r, &n_r);
	refused = tt_worker_counters(N.w[0])->hb_auth[TT_AUTH_BFD_SEQ_REPLAY];
	teardown(NULL);
	plain = fence_under_replay(false, true, &expect_p, &n_p);

	assert_true(expect_q == expect_r);
	assert_true(quiet == replayed);
	/* At the detection deadline, up to the timer wheel's tick (512 ns here). */
	assert_true(tt_time_reached(replayed, expect_r));
	assert_true(tt_time_diff(replayed, expect_r) < 512);
	assert_int_equal(n_q, 0);
	assert_true(n_r >= 4);
	assert_int_equal(refused, n_r);
	/* Unauthenticated, the replays were taken for the master's: no fence until they stop. */
	assert_true(tt_time_diff(plain, expect_p) > (int64_t)MS(5));
}

/* Overwrite the MAC trailer's sequence number (engine/dc_wire.h layout). */
static void set_mac_seq(struct dgram *d, uint64_t seq)
{
	uint8_t *p = d->buf + d->len - TT_DCW_MAC_LEN;

	for (int i = 7; i >= 0; i--, seq >>= 8)
		p[i] = (uint8_t)seq;
}

static uint64_t mac_seq(const struct dgram *d)
{
	const uint8_t *p = d->buf + d->len - TT_DCW_MAC_LEN;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Hold exactly one data-channel datagram of worker 0's (the filter of the next test). */
static bool hold_one_w0(struct net *n, const struct dgram *d)
{
	if (n->nheld > 0 || d->src != 0 || d->meta.dst_port == TT_BFD_UDP_PORT)
		return false;
	n->held[n->nheld++] = *d;
	return true;
}

/*
 * Forged, replayed, truncated, unsigned and unknown-key data-channel
 * datagrams are refused and counted by reason, before the channel (or the
 * epoch checks) see them; the forged one (a genuine datagram with its MAC
 * sequence number raised by 1000) does not move the replay window: the
 * genuine datagram it was made from is still accepted after it. A forged
 * heartbeat is refused too. The channels stay up and carry tasks.
 */
static void test_auth_forged_dc(void **state)
{
	const struct tt_master_counters *mc;
	struct dgram g, f;
	uint64_t ok, seq;
	static const uint8_t msg[] = "still fine";
	uint64_t id;

	(void)state;
	use_auth(&ring_a, &ring_a, TT_BFD_AUTH_METICULOUS_KEYED_SHA1, true);
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	N.filter = keep_hb;
	bring_up();
	N.filter = hold_one_w0;
	for (int i = 0; i < 100 && N.nheld == 0; i++)
		advance(&N, US(50));
	N.filter = keep_hb;
	assert_int_equal(N.nheld, 1);
	g = N.held[0];
	seq = mac_seq(&g);
	assert_true(seq > (1ull << 32));
	mc = tt_master_counters(N.m);
	ok = mc->dc_auth[TT_AUTH_DC_OK];

	/* Forged: the sequence number moved, the tag no longer matches. */
	f = g;
	set_mac_seq(&f, seq + 1000);
	assert_int_equal(replay(&f, f.len), -EACCES);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_BAD_TAG], 1);
	/* The window did not move: the genuine datagram still passes. */
	assert_true(replay(&g, g.len) != -EACCES);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_OK], ok + 1);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_TOO_OLD], 0);
	/* Replayed: refused before the tag is computed (RFC 4303 §3.4.3). */
	assert_int_equal(replay(&g, g.len), -EACCES);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_REPLAY], 1);
	/* Truncated: the parser refuses it (length is header + payload + trailer). */
	assert_int_equal(replay(&g, g.len - 1), -EPROTO);
	assert_int_equal(mc->dc_parse.by_reason[TT_DCW_RX_LENGTH], 1);
	/* Unknown key id. */
	f = g;
	f.buf[3] = 99;
	assert_int_equal(replay(&f, f.len), -EACCES);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_UNKNOWN_KEY], 1);
	/* Unsigned: no MAC flag. */
	{
		struct tt_dcw_pkt d = {
			.version = 1,
			.type = TT_DCW_T_ACK,
			.worker_id = 0,
			.chan_idx = 0,
			.window = 16,
			.epoch = 1,
		};

		f = g;
		f.len = tt_dcw_build(&d, f.buf, sizeof(f.buf));
		assert_int_equal(replay(&f, f.len), -EPROTO);
		assert_int_equal(mc->dc_parse.by_reason[TT_DCW_RX_MAC_MISSING], 1);
	}
	/* A forged heartbeat: the next sequence number (RFC 5880 §4.4: at offset
	 * 24 + 4), the digest of an older packet. */
	f = hb_m2w;
	seq = tt_auth_bfd_rcv_seq(tt_worker_hb_auth(N.w[0])) + 1u;
	for (int i = 3; i >= 0; i--, seq >>= 8)
		f.buf[TT_BFD_HDR_LEN + 4 + i] = (uint8_t)seq;
	assert_int_equal(replay(&f, f.len), -EACCES);
	assert_int_equal(tt_worker_counters(N.w[0])->hb_auth[TT_AUTH_BFD_BAD_DIGEST], 1);
	assert_int_equal(tt_worker_counters(N.w[0])->hb_auth[TT_AUTH_BFD_SEQ_REPLAY], 0);
	/* The packet it was made from, as it was: a replay. */
	assert_int_equal(replay(&hb_m2w, hb_m2w.len), -EACCES);
	assert_int_equal(tt_worker_counters(N.w[0])->hb_auth[TT_AUTH_BFD_SEQ_REPLAY], 1);

	assert_int_equal(tt_master_submit(N.m, "echo", msg, sizeof(msg), N.now, &id), 0);
	advance(&N, MS(20));
	assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 0);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_BAD_TAG], 1);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_TOO_OLD], 0);
	assert_int_equal(mc->dc_auth[TT_AUTH_DC_REPLAY], 1);
}

static int group_setup(void **state)
{
	(void)state;
	urcu_qsbr_register_thread();
	crypto = tt_crypto_openssl_create();
	if (crypto == NULL)
		return -1;
	parse_keys(&ring_a, KEYS_A);
	parse_keys(&ring_b, KEYS_B);
	parse_keys(&ring_keyed, KEYS_KEYED);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tt_crypto_openssl_destroy(crypto);
	tt_auth_keyring_wipe(&ring_a);
	tt_auth_keyring_wipe(&ring_b);
	tt_auth_keyring_wipe(&ring_keyed);
	urcu_qsbr_unregister_thread();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_config_refused, teardown),
		cmocka_unit_test_teardown(test_bring_up, teardown),
		cmocka_unit_test_teardown(test_tasks_commit_once, teardown),
		cmocka_unit_test_teardown(test_cut_worker_side, teardown),
		cmocka_unit_test_teardown(test_cut_master_side, teardown),
		cmocka_unit_test_teardown(test_cut_worker_side_split, teardown),
		cmocka_unit_test_teardown(test_cut_master_side_split, teardown),
		cmocka_unit_test_teardown(test_planes_cut_worker_side, teardown),
		cmocka_unit_test_teardown(test_planes_cut_master_side, teardown),
		cmocka_unit_test_teardown(test_planes_config_refused, teardown),
		cmocka_unit_test_teardown(test_cancel_delivered, teardown),
		cmocka_unit_test_teardown(test_cancel_undeliverable, teardown),
		cmocka_unit_test_teardown(test_stale_result_dropped, teardown),
		cmocka_unit_test_teardown(test_stale_result_cancel_race, teardown),
		cmocka_unit_test_teardown(test_rx_checks, teardown),
		cmocka_unit_test_teardown(test_new_epoch_refused_while_live, teardown),
		cmocka_unit_test_teardown(test_link_down, teardown),
		cmocka_unit_test_teardown(test_fresh_discriminators, teardown),
		cmocka_unit_test_teardown(test_auth_meticulous_end_to_end, teardown),
		cmocka_unit_test_teardown(test_auth_keyed_end_to_end, teardown),
		cmocka_unit_test_teardown(test_auth_wrong_key, teardown),
		cmocka_unit_test_teardown(test_auth_one_side, teardown),
		cmocka_unit_test_teardown(test_auth_config_refused, teardown),
		cmocka_unit_test_teardown(test_auth_replayed_heartbeat, teardown),
		cmocka_unit_test_teardown(test_auth_forged_dc, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
