/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker endpoint against a real master, back to back on virtual time
 * (a tiny in-test queue with a fixed one-way delay; a worker can be paused:
 * not stepped, its datagrams held until it resumes). Covers the lifecycle
 * states, the EXIT fence action and its exit code, a heartbeat-only
 * partition, a pause longer than T1 (the worker fences before it sends
 * anything), link down, timer changes through the policy check, and the
 * worker's configuration and receive checks. With split planes (worker 0's
 * heartbeat plane and data plane driven through their own calls, either one
 * held while the other runs): results are held back once the published
 * detection deadline has passed, before the HB plane has fenced; the fence
 * reaches the runner only through the DC plane's queue; EXIT stops both.
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
#include "dc_wire.h"
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
	bool paused[MAX_W]; /* not stepped; datagrams to it wait in its backlog */
	bool w0_planes;	    /* worker 0 has split planes, driven plane by plane */
	bool hold_w0_hb;    /* ... and its HB plane is not polled (heartbeats dropped) */
	struct dgram backlog[MAX_W][256];
	int nbacklog[MAX_W];
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

static void deliver(struct net *n, const struct dgram *d)
{
	if (d->meta.dst_ip == MASTER_IP) {
		if (tt_master_rx(n->m, &d->meta, d->buf, d->len, n->now) < 0)
			n->rx_err_master++;
		return;
	}
	for (int i = 0; i < n->nw; i++)
		if (d->meta.dst_ip == WORKER_IP(i) && n->w[i] == NULL) {
			n->dropped++; /* the process is gone */
			return;
		} else if (d->meta.dst_ip == WORKER_IP(i)) {
			if (n->paused[i]) {
				assert_true(n->nbacklog[i] < 256);
				n->backlog[i][n->nbacklog[i]++] = *d;
				return;
			}
			if (i == 0 && n->w0_planes) {
				bool hb = d->meta.dst_port == TT_BFD_UDP_PORT;

				if (hb && n->hold_w0_hb)
					n->dropped++;
				else if ((hb ? tt_worker_rx_hb : tt_worker_rx_dc)(
						 n->w[i], &d->meta, d->buf, d->len, n->now) < 0)
					n->rx_err_worker++;
				return;
			}
			if (tt_worker_rx(n->w[i], &d->meta, d->buf, d->len, n->now) < 0)
				n->rx_err_worker++;
			return;
		}
	fail_msg("datagram to an unknown address");
}

static bool w_due(struct net *n, int i, tt_ns_t *t)
{
	tt_ns_t d;
	bool any;

	if (n->w[i] == NULL || n->paused[i])
		return false;
	if (i != 0 || !n->w0_planes)
		return tt_worker_next_deadline(n->w[i], t);
	any = !n->hold_w0_hb && tt_worker_next_deadline_hb(n->w[0], t);
	if (tt_worker_next_deadline_dc(n->w[0], &d)) {
		*t = any ? tt_time_min(*t, d) : d;
		any = true;
	}
	return any;
}

static void w_poll(struct net *n, int i)
{
	tt_ns_t d;

	if (i != 0 || !n->w0_planes) {
		tt_worker_poll(n->w[i], n->now);
		return;
	}
	if (!n->hold_w0_hb && tt_worker_next_deadline_hb(n->w[0], &d) &&
	    tt_time_reached(n->now, d))
		tt_worker_poll_hb(n->w[0], n->now);
	if (tt_worker_next_deadline_dc(n->w[0], &d) && tt_time_reached(n->now, d))
		tt_worker_poll_dc(n->w[0], n->now);
}

/* Run every node and the network until `end`, in virtual time order. */
static void run_until(struct net *n, tt_ns_t end)
{
	for (unsigned long guard = 0;; guard++) {
		tt_ns_t t = end + 1, d;

		assert_true(guard < 20000000ul);
		if (n->n > 0)
			t = tt_time_min(t, n->q[n->head].at);
		if (tt_master_next_deadline(n->m, &d))
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
		if (tt_master_next_deadline(n->m, &d) && tt_time_reached(n->now, d))
			tt_master_poll(n->m, n->now);
		for (int i = 0; i < n->nw; i++)
			if (w_due(n, i, &d) && tt_time_reached(n->now, d))
				w_poll(n, i);
	}
}

static void advance(struct net *n, tt_ns_t by)
{
	run_until(n, n->now + by);
}

/* Resume a paused worker: what arrived meanwhile is delivered first, data first. */
static void resume(struct net *n, int i)
{
	n->paused[i] = false;
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < n->nbacklog[i]; k++) {
			const struct dgram *d = &n->backlog[i][k];
			bool hb = d->meta.dst_port == TT_BFD_UDP_PORT;

			if (hb == (pass == 1))
				tt_worker_rx(n->w[i], &d->meta, d->buf, d->len, n->now);
		}
	n->nbacklog[i] = 0;
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

/* Tests may stretch the workers' probe timeout (0: the default above). */
static tt_ns_t wprobe_timeout_ns;
/* Tests may change the Detect Mults of both ends (0: the defaults above). */
static uint8_t master_mult, worker_mult;

static struct tt_hb_timers master_t(void)
{
	struct tt_hb_timers t = MASTER_T;

	if (master_mult != 0)
		t.detect_mult = master_mult;
	return t;
}

static struct tt_hb_timers worker_t(void)
{
	struct tt_hb_timers t = WORKER_T;

	if (worker_mult != 0)
		t.detect_mult = worker_mult;
	return t;
}

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
		.worker_timers = worker_t(),
		.master_timers = master_t(),
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
	};

	dc_cfg(&c.dc);
	if (wprobe_timeout_ns != 0) {
		c.dc.probe_interval_ns = wprobe_timeout_ns / 4;
		c.dc.probe_timeout_ns = wprobe_timeout_ns;
	}
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
		.master_timers = master_t(),
		.worker_timers = worker_t(),
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
	};

	for (int i = 0; i < nw; i++)
		peers[i] = (struct tt_master_peer_config){(uint32_t)i, WORKER_IP(i), DC_BASE};
	dc_cfg(&c.dc);
	return c;
}

/* Worker 0 with split planes in the next net_up(). */
static bool w0_planes_next;

/* Build the network: a master and nw workers, layouts split when asked. */
static void net_up(int nw, bool split_master, bool split_worker, enum tt_worker_fence_action action)
{
	struct tt_master_config mc = master_cfg(nw, 0, split_master ? 1 : 0);
	char err[512];

	memset(&N, 0, sizeof(N));
	N.now = MS(1);
	N.delay = US(20);
	N.nw = nw;
	for (int i = 0; i <= MAX_W; i++)
		N.ports[i] = (struct port){&N, i - 1};
	mc.io.ctx = &N.ports[0];
	mc.sched_log = N.log;
	N.m = tt_master_create(&mc, N.now, err, sizeof(err));
	assert_non_null(N.m);
	for (int i = 0; i < nw; i++) {
		struct tt_worker_config wc = worker_cfg(i, 0, split_worker ? 1 : 0, action);

		if (i == 0 && w0_planes_next) {
			wc.dc_lcore = 1;
			wc.split_planes = true;
			wc.io = (struct tt_io_ops){tx_buf, tx_send, &N.ports[1]};
			wc.io_dc = wc.io;
			N.w0_planes = true;
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
	wprobe_timeout_ns = 0;
	master_mult = 0;
	worker_mult = 0;
	w0_planes_next = false;
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
	struct tt_worker_config wc;
	char err[512];

	(void)state;
	memset(&N, 0, sizeof(N));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	/* T1 = 6 x 1 ms is not above T2 + I + d_max + g with the master's mult at 5. */
	wc.master_timers.detect_mult = 5;
	errno = 0;
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "T1"));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	wc.hb_src_port = 3784;
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "hb_src_port"));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	wc.epoch = 0;
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "epoch"));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	wc.n_chan = 0;
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "n_chan"));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	wc.max_tasks = 0;
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "max_tasks"));
	assert_string_equal(tt_worker_state_name(TT_WORKER_S_LIVE), "live");
	assert_string_equal(tt_worker_fence_action_name(TT_WORKER_FENCE_EXIT), "exit");
	assert_string_equal(tt_worker_state_name(TT_WORKER_S_COUNT), "?");
}

static void test_lifecycle(void **state)
{
	struct tt_fence_tl *wt;
	const struct tt_fence_event *up, *live;

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_JOINING);
	assert_int_equal(tt_worker_epoch(N.w[0]), 1);
	assert_int_equal(tt_worker_id(N.w[0]), 0);
	assert_false(tt_worker_exited(N.w[0], NULL));
	/* Channels are not opened before the heartbeat is Up. */
	assert_int_equal(tt_dc_state(tt_worker_dc(N.w[0], 0)), TT_DC_S_CLOSED);
	for (int i = 0; i < 200 && tt_hb_state(tt_worker_hb(N.w[0])) != TT_HB_S_UP; i++)
		advance(&N, US(5));
	assert_int_equal(tt_hb_state(tt_worker_hb(N.w[0])), TT_HB_S_UP);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_CONNECTING);
	assert_int_equal(tt_dc_state(tt_worker_dc(N.w[0], 0)), TT_DC_S_CONNECTING);
	assert_int_equal(tt_dc_state(tt_worker_dc(N.w[0], 1)), TT_DC_S_CONNECTING);
	advance(&N, MS(5));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_counters(N.w[0])->lives, 1);
	wt = tt_worker_timeline(N.w[0]);
	up = tl_first(wt, TT_FENCE_EV_HB_UP, 0, UINT64_MAX);
	live = tl_first(wt, TT_FENCE_EV_LIVE, 0, UINT64_MAX);
	assert_non_null(up);
	assert_non_null(live);
	assert_true(tt_time_before(up->time_ns, live->time_ns));
	assert_int_equal(tt_fence_tl_find(wt, 0, TT_FENCE_EV_CHAN_UP, 0, UINT64_MAX) >= 0, 1);
	assert_null(tt_worker_dc(N.w[0], K));
	assert_int_equal(tt_fence_up_mask(tt_worker_assoc(N.w[0])), 3);
	assert_int_equal(tt_worker_counters(N.w[0])->step_errors, 0);
}

/*
 * Fence action EXIT: the worker reports the documented exit code and stops;
 * the master declares it dead and its tasks run on the other worker, once.
 */
static void test_exit_action(void **state)
{
	struct tt_fence_tl *wt;
	const struct tt_fence_event *fence, *ex, *dead;
	uint64_t ids[4];
	int code = 0;
	tt_ns_t d, fence_ns;

	(void)state;
	net_up(2, false, false, TT_WORKER_FENCE_EXIT);
	bring_up();
	for (int i = 0; i < 4; i++)
		ids[i] = submit_spin(20000);
	advance(&N, MS(1));
	assert_int_equal(tt_run_in_flight(tt_worker_runner(N.w[0])), 2);
	assert_int_equal(tt_worker_cut(N.w[0], 0, N.now), 0);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_SILENCED);
	advance(&N, MS(10));
	assert_true(tt_worker_exited(N.w[0], &code));
	assert_int_equal(code, TT_WORKER_EXIT_FENCED);
	assert_int_equal(code, 75);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_EXITED);
	assert_int_equal(tt_worker_poll(N.w[0], N.now), TT_WORKER_EXITED);
	assert_false(tt_worker_next_deadline(N.w[0], &d));
	wt = tt_worker_timeline(N.w[0]);
	fence = tl_first(wt, TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	ex = tl_first(wt, TT_FENCE_EV_EXIT, 0, UINT64_MAX);
	assert_non_null(fence);
	assert_non_null(ex);
	assert_int_equal(fence->aux, 2);
	assert_int_equal(fence->val, TT_WORKER_FENCE_EXIT);
	assert_int_equal(ex->aux, TT_WORKER_EXIT_FENCED);
	assert_true(ex->time_ns == fence->time_ns);
	assert_null(tl_first(wt, TT_FENCE_EV_REJOIN, 0, UINT64_MAX));
	/* A datagram after the exit is ignored and counted. */
	{
		struct tt_udp_meta meta = {MASTER_IP, WORKER_IP(0), 49152, TT_BFD_UDP_PORT, 255};
		uint8_t b[24] = {0};
		uint64_t before = tt_worker_counters(N.w[0])->rx_after_exit;

		assert_int_equal(tt_worker_rx(N.w[0], &meta, b, sizeof(b), N.now),
				 TT_WORKER_EXITED);
		assert_int_equal(tt_worker_counters(N.w[0])->rx_after_exit, before + 1);
		assert_int_equal(tt_worker_cut(N.w[0], 1, N.now), -ESHUTDOWN);
	}
	/* The process "exits": the master's T1 path reschedules on worker 1. */
	fence_ns = fence->time_ns;
	tt_worker_destroy(N.w[0]);
	N.w[0] = NULL;
	advance(&N, MS(40));
	dead = tl_first(tt_master_timeline(N.m), TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	assert_non_null(dead);
	assert_true(tt_time_before(fence_ns, dead->time_ns));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(task(ids[i]).state, TT_SCHED_S_COMMITTED);
		assert_int_equal(task(ids[i]).worker, 1);
	}
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->results[TT_SCHED_COMMIT], 4);
}

/*
 * Split planes, fence action EXIT. The master cuts worker 0's channel 0 and
 * silences its heartbeat; worker 0's HB plane is then held (not polled), so
 * nothing fences. Its DC plane goes on, but past the detection deadline the
 * HB plane published it holds every result back and drops every datagram.
 * When the HB plane runs, it fences and exits; the runner learns of it only
 * from the DC plane's queue. The HB plane was held longer than T1 (a stalled
 * HB lcore): the master has already rescheduled, and only the DC plane's
 * gate kept the aborted tasks' results from being committed twice.
 */
static void test_planes_exit_gate(void **state)
{
	struct tt_fence_tl *wt, *wtd;
	const struct tt_fence_event *fence, *ex, *dead;
	uint64_t ids[4], sent0, posted;
	int code = 0;
	tt_ns_t d, fence_ns;

	(void)state;
	w0_planes_next = true;
	net_up(2, false, false, TT_WORKER_FENCE_EXIT);
	assert_true(tt_worker_split(N.w[0]));
	assert_false(tt_worker_split(N.w[1]));
	bring_up();
	wt = tt_worker_timeline(N.w[0]);
	wtd = tt_worker_timeline_dc(N.w[0]);
	for (int i = 0; i < 4; i++)
		ids[i] = submit_spin(6000); /* ends after T2 (3 ms) from the cut */
	advance(&N, MS(1));
	assert_int_equal(tt_run_in_flight(tt_worker_runner(N.w[0])), 2);
	sent0 = tt_run_counters(tt_worker_runner(N.w[0]))->results_sent;
	assert_int_equal(tt_master_cut(N.m, 0, 0, N.now), 0);
	N.hold_w0_hb = true;
	advance(&N, MS(10));
	/* The DC plane ran (probes answered, tasks due) but sent no result. */
	assert_false(tt_worker_exited(N.w[0], NULL));
	assert_false(tt_run_fenced(tt_worker_runner(N.w[0])));
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, sent0);
	assert_null(tl_first(wtd, TT_FENCE_EV_TASK_RESULT, 0, UINT64_MAX));
	assert_true(tt_worker_counters(N.w[0])->dc_rx_hb_expired > 0);
	assert_null(tl_first(wtd, TT_FENCE_EV_FENCE, 0, UINT64_MAX));

	/* The HB plane runs: fence and exit; the DC plane has not heard yet. */
	N.hold_w0_hb = false;
	posted = tt_worker_counters(N.w[0])->xev_posted;
	assert_int_equal(tt_worker_poll_hb(N.w[0], N.now), TT_WORKER_EXITED);
	assert_true(tt_worker_exited(N.w[0], &code));
	assert_int_equal(code, TT_WORKER_EXIT_FENCED);
	assert_int_equal(tt_worker_counters(N.w[0])->xev_posted, posted + 1);
	assert_false(tt_run_fenced(tt_worker_runner(N.w[0])));
	ex = tl_first(wt, TT_FENCE_EV_EXIT, 0, UINT64_MAX);
	assert_non_null(ex);
	assert_null(tl_first(wtd, TT_FENCE_EV_FENCE, 0, UINT64_MAX));
	assert_true(tt_worker_next_deadline_dc(N.w[0], &d));
	assert_true(tt_time_reached(N.now, d));
	assert_int_equal(tt_worker_poll_dc(N.w[0], N.now), TT_WORKER_EXITED);
	assert_true(tt_run_fenced(tt_worker_runner(N.w[0])));
	assert_int_equal(tt_worker_counters(N.w[0])->xev_handled, posted + 1);
	fence = tl_first(wtd, TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	assert_non_null(fence);
	assert_int_equal(fence->epoch, 1);
	assert_int_equal(fence->aux, 2); /* both tasks aborted, their results never sent */
	assert_int_equal(fence->val, TT_WORKER_FENCE_EXIT);
	assert_false(tt_worker_next_deadline_dc(N.w[0], &d));
	assert_false(tt_worker_next_deadline(N.w[0], &d));
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, sent0);
	assert_int_equal(tt_worker_cut(N.w[0], 1, N.now), -ESHUTDOWN);

	/* The process exits; T1 rescheduled on worker 1 while the HB plane was
	 * held, after the last instant worker 0 could send a result. */
	fence_ns = fence->time_ns;
	tt_worker_destroy(N.w[0]);
	N.w[0] = NULL;
	N.w0_planes = false;
	advance(&N, MS(40));
	dead = tl_first(tt_master_timeline(N.m), TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	assert_non_null(dead);
	assert_true(tt_time_before(dead->time_ns, fence_ns));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(task(ids[i]).state, TT_SCHED_S_COMMITTED);
		assert_int_equal(task(ids[i]).worker, 1);
	}
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->results[TT_SCHED_COMMIT], 4);
}

/*
 * Split planes, fence action REJOIN, driven by the combined calls from one
 * thread (both queues drained in every call): the worker fences, re-joins
 * under epoch 2 and takes work again, as a single-thread worker does.
 */
static void test_planes_combined_rejoin(void **state)
{
	const struct tt_fence_event *fence;
	uint64_t id;

	(void)state;
	w0_planes_next = true;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	N.w0_planes = false; /* the combined calls */
	bring_up();
	assert_int_equal(tt_worker_cut(N.w[0], 0, N.now), 0);
	/* tt_worker_cut() is the DC plane's: the session hears of it on a poll. */
	assert_false(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
	tt_worker_poll(N.w[0], N.now);
	assert_true(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
	advance(&N, MS(15));
	fence = tl_first(tt_worker_timeline_dc(N.w[0]), TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	assert_non_null(fence);
	assert_int_equal(fence->epoch, 1);
	assert_int_equal(tt_worker_restore(N.w[0], 0, N.now), 0);
	advance(&N, MS(60));
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	id = submit_spin(100);
	advance(&N, MS(5));
	assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(tt_worker_counters(N.w[0])->xev_handled,
			 tt_worker_counters(N.w[0])->xev_posted);
	assert_int_equal(tt_worker_counters(N.w[0])->step_errors, 0);
}

static bool drop_hb(struct net *n, const struct dgram *d)
{
	(void)n;
	return d->meta.dst_port == TT_BFD_UDP_PORT || d->meta.src_port == 50000;
}

/*
 * Heartbeat-only partition: the data channels stay up but the heartbeats are
 * lost both ways. The worker fences at T2 (leaving Up yields FENCE), the
 * master declares it dead at T1; no result follows the fence.
 */
static void test_hb_partition(void **state)
{
	const struct tt_fence_event *fence, *dead;
	uint64_t id;

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	id = submit_spin(8000);
	advance(&N, MS(1));
	N.filter = drop_hb;
	advance(&N, MS(12));
	fence = tl_first(tt_worker_timeline(N.w[0]), TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	dead = tl_first(tt_master_timeline(N.m), TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	assert_non_null(fence);
	assert_non_null(dead);
	assert_true(tt_time_before(fence->time_ns, dead->time_ns));
	assert_int_equal(fence->aux, 1);
	/* The channel did not go down first: the heartbeat timed out on its own. */
	assert_null(tl_first(tt_worker_timeline(N.w[0]), TT_FENCE_EV_HB_SILENCED, 0, UINT64_MAX));
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, 0);
	assert_int_equal(task(id).state, TT_SCHED_S_PENDING); /* no live worker left */
	assert_int_equal(task(id).epoch, 2);
	N.filter = NULL;
	advance(&N, MS(40));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(task(id).worker, 0);
	assert_int_equal(task(id).epoch, 2);
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->stale, 0);
}

/*
 * A worker paused longer than T1 (SIGSTOP, a VM stall) with a task that
 * finished meanwhile. On waking, data from the master is handed to it before
 * anything else, yet it fences first and sends no result: the task runs again
 * elsewhere and commits once. The worker's probe timeout is longer than the
 * pause, so only its own detection timer can stop the result.
 */
static void test_pause_longer_than_t1(void **state)
{
	const struct tt_fence_event *fence, *dead;
	uint64_t id;
	tt_ns_t wake;

	(void)state;
	wprobe_timeout_ns = MS(40);
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	id = submit_spin(3000);
	advance(&N, MS(1));
	assert_int_equal(task(id).worker, 0);
	N.paused[0] = true;
	advance(&N, MS(15));
	assert_true(N.nbacklog[0] > 0);
	dead = tl_first(tt_master_timeline(N.m), TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	assert_non_null(dead);
	wake = N.now;
	resume(&N, 0);
	fence = tl_first(tt_worker_timeline(N.w[0]), TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	assert_non_null(fence);
	assert_true(fence->time_ns == wake);
	assert_int_equal(fence->aux, 1);
	assert_null(tl_first(tt_worker_timeline(N.w[0]), TT_FENCE_EV_TASK_RESULT, 0, id));
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w[0]))->results_sent, 0);
	assert_int_equal(tt_worker_counters(N.w[0])->stalls, 1);
	advance(&N, MS(40));
	assert_int_equal(task(id).state, TT_SCHED_S_COMMITTED);
	assert_int_equal(task(id).worker, 1);
	assert_int_equal(task(id).epoch, 2);
	assert_int_equal(tt_sched_counters(tt_master_sched(N.m))->stale, 0);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
}

static void test_link_down(void **state)
{
	const struct tt_fence_event *cd;

	(void)state;
	net_up(1, false, true, TT_WORKER_FENCE_REJOIN);
	bring_up();
	assert_int_equal(tt_worker_link_down(N.w[0], N.now), K);
	cd = tl_first(tt_worker_timeline(N.w[0]), TT_FENCE_EV_CHAN_DOWN, 0, UINT64_MAX);
	assert_non_null(cd);
	assert_int_equal(cd->aux, TT_DC_DOWN_LINK_DOWN);
	assert_int_equal(tt_dc_down_reason(tt_worker_dc(N.w[0], 1)), TT_DC_DOWN_LINK_DOWN);
	/* Split layout: one event queued for the first channel, the second ALREADY silenced. */
	assert_int_equal(tt_fence_counters(tt_worker_assoc(N.w[0]))->downs[TT_FENCE_ROUTE_QUEUED],
			 2);
	tt_worker_poll(N.w[0], N.now);
	assert_true(tt_hb_is_disconnected(tt_worker_hb(N.w[0])));
	assert_int_equal(tt_fence_counters(tt_worker_assoc(N.w[0]))->events_applied, 1);
	assert_int_equal(tt_fence_counters(tt_worker_assoc(N.w[0]))->events_redundant, 1);
}

static void test_set_timers(void **state)
{
	struct tt_hb_timers bad = {1000, 1000, 4}; /* T1 = 4 ms: unsafe with T2 = 3 ms */
	struct tt_hb_timers good = {1000, 1000, 8};
	const struct tt_fence_event *tm;
	char err[512];
	uint64_t polls;

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	polls = tt_hb_counters(tt_worker_hb(N.w[0]))->polls_done;
	assert_int_equal(tt_worker_set_hb_timers(N.w[0], &bad, N.now, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "T1"));
	assert_int_equal(tt_worker_set_hb_timers(N.w[0], &good, N.now, err, sizeof(err)), 0);
	assert_true(tt_hb_poll_active(tt_worker_hb(N.w[0])));
	tm = tl_first(tt_worker_timeline(N.w[0]), TT_FENCE_EV_TIMERS, 0, UINT64_MAX);
	assert_non_null(tm);
	assert_int_equal(tm->aux, 8);
	advance(&N, MS(5));
	/* RFC 5880 §6.5: the Poll was answered with a Final. */
	assert_false(tt_hb_poll_active(tt_worker_hb(N.w[0])));
	assert_int_equal(tt_hb_counters(tt_worker_hb(N.w[0]))->polls_done, polls + 1);
	assert_true(tt_worker_policy(N.w[0])->t1_ns == MS(8));
	advance(&N, MS(20));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 0);
}

static void test_rx_checks(void **state)
{
	const struct tt_worker_counters *wc;
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
	struct tt_udp_meta meta = {MASTER_IP, WORKER_IP(0), 49152, TT_BFD_UDP_PORT, 255};

	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	wc = tt_worker_counters(N.w[0]);
	meta.ttl = 1; /* RFC 5881 §5 */
	assert_int_equal(tt_worker_rx(N.w[0], &meta, buf, len, N.now), -EPROTO);
	assert_int_equal(wc->hb_rx.by_reason[TT_BFD_RX_TTL], 1);
	assert_int_equal(tt_hb_counters(tt_worker_hb(N.w[0]))->rx.by_reason[TT_BFD_RX_TTL], 1);
	meta.ttl = 255;
	buf[0] = (uint8_t)(2u << 5); /* version 2 */
	assert_int_equal(tt_worker_rx(N.w[0], &meta, buf, len, N.now), -EPROTO);
	assert_int_equal(wc->hb_rx.by_reason[TT_BFD_RX_VERSION], 1);
	meta.src_ip = 0x0a0000ffu; /* not the master */
	assert_int_equal(tt_worker_rx(N.w[0], &meta, buf, len, N.now), -ENOENT);
	assert_int_equal(wc->rx_bad_dst, 1);
	meta.src_ip = MASTER_IP;
	meta.dst_port = 1; /* no such port */
	assert_int_equal(tt_worker_rx(N.w[0], &meta, buf, len, N.now), -ENOENT);
	assert_int_equal(wc->rx_bad_dst, 2);
	{
		struct tt_dcw_pkt d = {
			.version = 1,
			.type = TT_DCW_T_ACK,
			.worker_id = 5, /* not ours */
			.chan_idx = 0,
			.epoch = 1,
		};
		uint8_t b[128];
		size_t n = tt_dcw_build(&d, b, sizeof(b));
		struct tt_udp_meta dm = {MASTER_IP, WORKER_IP(0), TT_DCW_UDP_PORT, DC_BASE, 64};

		assert_int_equal(tt_worker_rx(N.w[0], &dm, b, n, N.now), -ENOENT);
		assert_int_equal(wc->dc_rx_id_mismatch, 1);
		d.worker_id = 0;
		n = tt_dcw_build(&d, b, sizeof(b));
		assert_int_equal(tt_worker_rx(N.w[0], &dm, b, n - 1, N.now), -EPROTO);
		assert_int_equal(wc->dc_parse.by_reason[TT_DCW_RX_TRUNCATED], 1);
		/* An ACK for a channel that is not open: dropped by the channel. */
		assert_int_equal(tt_worker_rx(N.w[0], &dm, b, n, N.now), -EPROTO);
		assert_int_equal(wc->dc_rx_rejected, 1);
		assert_int_equal(tt_worker_cut(N.w[0], 0, N.now), 0);
		assert_int_equal(tt_worker_cut(N.w[0], 0, N.now), -EALREADY);
		assert_int_equal(tt_worker_cut(N.w[0], K, N.now), -EINVAL);
		assert_int_equal(tt_worker_rx(N.w[0], &dm, b, n, N.now), -ECONNREFUSED);
		assert_int_equal(wc->dc_rx_cut, 1);
		assert_int_equal(tt_worker_restore(N.w[0], 0, N.now), 0);
		assert_int_equal(tt_worker_restore(N.w[0], 0, N.now), -EALREADY);
	}
}

/*
 * A cut channel stays cut: after the fence the worker re-joins, connects the
 * other channels and waits (CONNECTING) until the operator restores it.
 */
static void test_cut_persists(void **state)
{
	(void)state;
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	assert_int_equal(tt_worker_cut(N.w[0], 1, N.now), 0);
	advance(&N, MS(30));
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 1);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_CONNECTING);
	assert_int_equal(tt_dc_state(tt_worker_dc(N.w[0], 0)), TT_DC_S_UP);
	assert_int_equal(tt_dc_state(tt_worker_dc(N.w[0], 1)), TT_DC_S_CLOSED);
	assert_int_equal(tt_worker_restore(N.w[0], 1, N.now), 0);
	advance(&N, MS(5));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_worker_counters(N.w[0])->fences, 1);
	{
		struct tt_master_peer_info pi;

		assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
		assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
		assert_int_equal(pi.epoch, 2);
	}
}

/*
 * A pause shorter than T2 while the master goes silent (the simulation's
 * regression seed 15737). T2 = 5 x 1 ms, T1 = 7 x 1 ms: safe. Worker 0 is
 * stopped with a 20 ms task right after a heartbeat; 1.2 ms later an
 * operator cut at the master silences the master's heartbeat; the worker
 * resumes after 4 ms. The master's heartbeats sent before the cut wait in
 * the worker's ring. Read at the resume they would restart T2 from there
 * (fence 9 ms after the pause), after the master's WORKER_DEAD (7 ms: T1
 * after the worker's last heartbeat) gives the task to worker 1. The worker
 * sees it was called later than the deadline it asked for, drops them and
 * fences T2 after its last timely heartbeat, before WORKER_DEAD.
 */
static void test_stall_drops_heartbeats(void **state)
{
	const struct tt_fence_event *fence, *dead, *resched;
	const struct tt_worker_counters *wc;
	uint64_t id;
	tt_ns_t paused_at, resumed_at;
	int hbs = 0;

	(void)state;
	master_mult = 5;
	worker_mult = 7;
	net_up(2, false, false, TT_WORKER_FENCE_REJOIN);
	bring_up();
	id = submit_spin(20000);
	advance(&N, US(100));
	assert_int_equal(task(id).worker, 0);
	wc = tt_worker_counters(N.w[0]);
	assert_int_equal(wc->stalls, 0);
	/* Stop it right after a heartbeat: its T2 runs out 5 ms later. */
	{
		uint64_t ok = wc->hb_rx.by_reason[TT_BFD_RX_OK];

		for (int k = 0; k < 200 && wc->hb_rx.by_reason[TT_BFD_RX_OK] == ok; k++)
			advance(&N, US(10));
		assert_true(wc->hb_rx.by_reason[TT_BFD_RX_OK] > ok);
	}
	paused_at = N.now;
	N.paused[0] = true;
	advance(&N, US(1200));
	assert_int_equal(tt_master_cut(N.m, 0, 0, N.now), 0);
	advance(&N, US(2800));
	for (int k = 0; k < N.nbacklog[0]; k++)
		hbs += N.backlog[0][k].meta.dst_port == TT_BFD_UDP_PORT;
	assert_true(hbs >= 1);
	resumed_at = N.now;
	/* The ring is read oldest first: the heartbeats before the cut's RESET. */
	N.paused[0] = false;
	for (int k = 0; k < N.nbacklog[0]; k++)
		tt_worker_rx(N.w[0], &N.backlog[0][k].meta, N.backlog[0][k].buf,
			     N.backlog[0][k].len, N.now);
	N.nbacklog[0] = 0;
	assert_int_equal(wc->stalls, 1);
	assert_int_equal(wc->hb_rx_after_stall, (uint64_t)hbs);
	assert_int_equal(wc->fences, 0); /* T2 has not run out yet */
	advance(&N, MS(20));
	fence = tl_first(tt_worker_timeline(N.w[0]), TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	dead = tl_first(tt_master_timeline(N.m), TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	resched = tl_first(tt_master_timeline(N.m), TT_FENCE_EV_RESCHEDULE, UINT32_MAX, id);
	assert_non_null(fence);
	assert_non_null(dead);
	assert_non_null(resched);
	assert_true(tt_time_before(fence->time_ns, dead->time_ns));
	assert_true(tt_time_before(fence->time_ns, resched->time_ns));
	/* Within T2 of the last heartbeat before the pause, not of the resume. */
	assert_true(tt_time_before(fence->time_ns, paused_at + tt_worker_policy(N.w[0])->t2_ns));
	assert_true(tt_time_before(fence->time_ns, resumed_at + US(1100)));
	assert_int_equal(task(id).worker, 1);
	/* Later passes are timely again: nothing more is dropped. */
	assert_int_equal(wc->stalls, 1);
	assert_int_equal(wc->hb_rx_after_stall, (uint64_t)hbs);
}

static bool drop_dc(struct net *n, const struct dgram *d)
{
	(void)n;
	return d->meta.dst_port != TT_BFD_UDP_PORT && d->meta.src_port != 50000;
}

/*
 * The re-join loop. Heartbeat interval 20 ms: T2 = 5 x 20 ms, T1 = 12 x
 * 20 ms. The channels' own settings give up a CONNECT after 1 + 2 + ... + 64
 * = 127 ms (rto 1 ms doubling, max_retx 6). The master's probe timeout is
 * long, so a cut of the data channels on the wire does not disconnect its
 * heartbeat: the worker's channels go down, the worker fences at T2 and
 * re-joins, and its new heartbeat session comes Up while the master still
 * waits for WORKER_DEAD of the old incarnation (up to T2 + d_max + g after
 * its last alive packet) and refuses the new epoch's CONNECTs. With a 127 ms
 * CONNECT the channel went down, the worker fenced again and the next epoch
 * met the same refusal: it cycled for as long as the test ran (23 fences in
 * 5 s). With the CONNECT budget of T1 + d_max (worker.h "Re-joining") the
 * channels keep connecting until the master accepts: one fence, one re-join.
 */
static void test_rejoin_no_cycling(void **state)
{
	struct tt_master_config mc;
	struct tt_worker_config wc;
	const struct tt_fence_event *rejoin, *live;
	struct tt_master_peer_info pi;
	struct tt_fence_tl *wt;
	char err[512];
	int64_t i;

	(void)state;
	memset(&N, 0, sizeof(N));
	N.now = MS(1);
	N.delay = US(20);
	N.nw = 1;
	for (int k = 0; k <= MAX_W; k++)
		N.ports[k] = (struct port){&N, k - 1};
	mc = master_cfg(1, 0, 0);
	mc.master_timers = (struct tt_hb_timers){20000, 20000, 5};
	mc.worker_timers = (struct tt_hb_timers){20000, 20000, 12};
	mc.slow_tx_us = 20000;
	mc.dc.rto_init_ns = MS(1);
	mc.dc.rto_min_ns = MS(1);
	mc.dc.rto_max_ns = MS(64);
	mc.dc.max_retx = 6;
	mc.dc.probe_interval_ns = MS(20);
	mc.dc.probe_timeout_ns = MS(1000);
	mc.io.ctx = &N.ports[0];
	N.m = tt_master_create(&mc, N.now, err, sizeof(err));
	assert_non_null(N.m);
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	wc.master_timers = mc.master_timers;
	wc.worker_timers = mc.worker_timers;
	wc.slow_tx_us = 20000;
	wc.dc = mc.dc;
	wc.dc.probe_timeout_ns = MS(60);
	N.w[0] = tt_worker_create(&wc, N.now, err, sizeof(err));
	assert_non_null(N.w[0]);
	assert_true(tt_worker_policy(N.w[0])->t1_ns == MS(240));
	/* The last CONNECT at 1 + 2 + 4 + ... + 64 + 64 + 64 = 255 ms >= T1 + d_max. */
	assert_int_equal(tt_worker_dc_max_retx(N.w[0]), 9);

	advance(&N, MS(500));
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	N.filter = drop_dc;
	advance(&N, MS(130));
	N.filter = NULL;
	advance(&N, MS(5000));

	assert_int_equal(tt_worker_counters(N.w[0])->fences, 1);
	assert_int_equal(tt_worker_counters(N.w[0])->rejoins, 1);
	assert_int_equal(tt_worker_counters(N.w[0])->lives, 2);
	assert_int_equal(tt_worker_epoch(N.w[0]), 2);
	assert_int_equal(tt_worker_state(N.w[0]), TT_WORKER_S_LIVE);
	assert_int_equal(tt_master_counters(N.m)->workers_dead, 1);
	assert_int_equal(tt_master_counters(N.m)->rejoins, 1);
	assert_int_equal(tt_master_peer(N.m, 0, &pi), 0);
	assert_int_equal(pi.state, TT_CTAB_WS_LIVE);
	assert_int_equal(pi.epoch, 2);
	/* The master did refuse the new epoch for a while... */
	assert_true(tt_master_counters(N.m)->connect_refused > 0);
	/* ...longer than the channels' own 127 ms CONNECT would have lasted. */
	wt = tt_worker_timeline(N.w[0]);
	rejoin = tl_first(wt, TT_FENCE_EV_REJOIN, 0, UINT64_MAX);
	assert_non_null(rejoin);
	i = tt_fence_tl_find(wt, 0, TT_FENCE_EV_HB_UP, 0, UINT64_MAX);
	assert_true(i >= 0);
	i = tt_fence_tl_find(wt, (uint32_t)i + 1, TT_FENCE_EV_HB_UP, 0, UINT64_MAX);
	assert_true(i >= 0);
	live = tl_first(wt, TT_FENCE_EV_LIVE, 0, UINT64_MAX);
	assert_non_null(live);
	i = tt_fence_tl_find(wt, (uint32_t)(live - tt_fence_tl_at(wt, 0)) + 1, TT_FENCE_EV_LIVE, 0,
			     UINT64_MAX);
	assert_true(i >= 0);
	assert_int_equal(tt_fence_tl_at(wt, (uint32_t)i)->epoch, 2);
	assert_true(tt_time_diff(tt_fence_tl_at(wt, (uint32_t)i)->time_ns, rejoin->time_ns) >
		    (int64_t)MS(127));
	assert_null(tl_first(wt, TT_FENCE_EV_REJOIN, 0, 3));
	assert_int_equal(tt_worker_counters(N.w[0])->step_errors, 0);
	/* Called at every deadline it asked for: never taken for stopped. */
	assert_int_equal(tt_worker_counters(N.w[0])->stalls, 0);
}

/* A CONNECT budget the channel settings cannot reach is refused at create. */
static void test_connect_budget_refused(void **state)
{
	struct tt_worker_config wc;
	char err[512];

	(void)state;
	memset(&N, 0, sizeof(N));
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	/* 255 retransmissions of at most 20 us cannot span T1 + d_max = 6.05 ms. */
	wc.dc.rto_min_ns = US(10);
	wc.dc.rto_init_ns = US(10);
	wc.dc.rto_max_ns = US(20);
	wc.dc.granularity_ns = US(10);
	errno = 0;
	assert_null(tt_worker_create(&wc, 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "rto_max_ns"));
	assert_non_null(strstr(err, "CONNECT"));
	/* The default test settings: 1 + 2 + 4 = 7 ms >= 6.05 ms; max_retx 4 stays. */
	net_up(1, false, false, TT_WORKER_FENCE_REJOIN);
	assert_int_equal(tt_worker_dc_max_retx(N.w[0]), 4);
	tt_worker_destroy(N.w[0]);
	/* T1 = 12 ms: 1 + 2 + 4 + 4 = 11 ms is not enough, a fifth reaches 15 ms. */
	worker_mult = 12;
	wc = worker_cfg(0, 0, 0, TT_WORKER_FENCE_REJOIN);
	N.w[0] = tt_worker_create(&wc, N.now, err, sizeof(err));
	assert_non_null(N.w[0]);
	assert_int_equal(tt_worker_dc_max_retx(N.w[0]), 5);
}

static int group_setup(void **state)
{
	(void)state;
	urcu_qsbr_register_thread();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	urcu_qsbr_unregister_thread();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_config_refused, teardown),
		cmocka_unit_test_teardown(test_lifecycle, teardown),
		cmocka_unit_test_teardown(test_exit_action, teardown),
		cmocka_unit_test_teardown(test_planes_exit_gate, teardown),
		cmocka_unit_test_teardown(test_planes_combined_rejoin, teardown),
		cmocka_unit_test_teardown(test_hb_partition, teardown),
		cmocka_unit_test_teardown(test_pause_longer_than_t1, teardown),
		cmocka_unit_test_teardown(test_link_down, teardown),
		cmocka_unit_test_teardown(test_set_timers, teardown),
		cmocka_unit_test_teardown(test_rx_checks, teardown),
		cmocka_unit_test_teardown(test_cut_persists, teardown),
		cmocka_unit_test_teardown(test_stall_drops_heartbeats, teardown),
		cmocka_unit_test_teardown(test_rejoin_no_cycling, teardown),
		cmocka_unit_test_teardown(test_connect_budget_refused, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
