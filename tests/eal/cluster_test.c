/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The whole engine on real packets in one process (DESIGN.md §7, issue 4
 * "eal" suite): a master and two workers, two data channels each, over
 * crossed rte_eth_from_rings() pairs (one pair per worker, so the master has
 * two ports), in either lcore layout (DESIGN.md §4), chosen by argv[1]:
 *   (none)  COMBINED: every endpoint on ONE lcore (lcore 1), `-l 0-1`;
 *   split   SPLIT: every endpoint's heartbeat plane on the heartbeat lane
 *           (lcore 2), its data plane on the data lane (lcore 1), two
 *           threads; the VM has 2 CPUs, so EAL --lcores maps lcore 1 on
 *           CPU 1 and lcores 0 and 2 on CPU 0.
 * The main lcore controls the runtime through the command mailbox; the lanes
 * back off when idle. Ring ports have no rte_flow: heartbeats are steered in
 * software (SPLIT: the data lane hands them to the heartbeat lane through the
 * dispatch ring, and takes back the ones it sends, so that the neighbour
 * table, the shim and the TX queue keep one owner).
 *
 * One story, in order:
 *   1. ARP resolves the peers, heartbeats come Up, every channel connects:
 *      both workers LIVE, the master sees both LIVE.
 *   2. Short tasks flow end to end and are committed.
 *   3. Long tasks are placed on both workers; channel 1 of worker 1 is cut
 *      in the fault shim (both directions, every packet of that flow).
 *   4. The channel's probes time out, the heartbeat is silenced at both
 *      ends (SPLIT: the DOWN reaches the session on the heartbeat lane only
 *      through the event queue, and the HB_SILENCED event's value is that
 *      hop alone), worker 1 fences after T2 and exits, the master declares
 *      it dead after T1 and reschedules its tasks onto worker 2.
 *   5. Every task is committed exactly once (the scheduler's log), nothing
 *      stale, worker 2 never timed out; the fence comes before the master's
 *      WORKER_DEAD and before every reschedule.
 * The measured cut->silence, cut->fence and cut->reschedule (TSC, from the
 * timelines) are printed as TAP comments, with the heartbeat steering mode
 * and the lanes' utilisation and timer lateness.
 *
 * Timers are generous for a noisy 2-vCPU VM: heartbeat interval I = 10 ms;
 * master Detect Mult 3 -> T2 = 30 ms, worker Detect Mult 6 -> T1 = 60 ms,
 * which tt_hb_policy_check() accepts with d_max = 5 ms, g = 1 ms
 * (60 > 30 + 10 + 5 + 1). Channel probes every 5 ms, timeout 20 ms.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "port.h"
#include "runtime.h"
#include "scheduler.h"
#include "tsc_clock.h"

#define MS(n) ((tt_ns_t)(n)*TT_NS_PER_MS)
#define US(n) tt_us_to_ns(n)

#define DATA_LCORE   1
#define HB_LCORE     2
#define K	     2
#define NW	     2
#define MASTER_IP    0x0a000001u	 /* 10.0.0.1 */
#define WORKER_IP(i) (0x0a00000au + (i)) /* 10.0.0.11, 10.0.0.12 */
#define DC_BASE	     40000
#define EP_MASTER    0
#define EP_W(i)	     ((uint32_t)(i)) /* worker i (1, 2) is endpoint i */
#define N_SHORT	     12
#define N_LONG	     6
#define LONG_US	     100000u
#define CUT_CHAN     1
#define CUT_WORKER   1
#define LOG_CAP	     8192
#define WAIT_MS	     10000u /* upper bound for any wait: a hang fails, not blocks */

static const struct tt_hb_timers MASTER_T = {10000, 10000, 3};
static const struct tt_hb_timers WORKER_T = {10000, 10000, 6};

static struct tt_tsc_clock clk;
static struct tt_port_ring_pair pair[NW];
static struct tt_port port[NW][2]; /* [w][0] master side, [w][1] worker side */
static struct tt_rt *rt;
static bool split; /* argv[1] == "split": the SPLIT layout */
static struct tt_master_peer_config peers[NW];
static struct tt_sched_event sched_log[LOG_CAP];
static uint8_t payload[N_SHORT + N_LONG][4];
static uint64_t task_ids[N_SHORT + N_LONG];

static int eal_init(void)
{
	char *argv[] = {
		(char *)"tether-cluster-test",
		(char *)"--no-huge",
		(char *)"-m",
		(char *)"256",
		(char *)"--no-pci",
		(char *)"--no-shconf",
		(char *)"--no-telemetry",
		split ? (char *)"--lcores=0@0,1@1,2@0" : (char *)"-l0-1",
		split ? (char *)"--file-prefix=tt_eal_split" : (char *)"--file-prefix=tt_eal_cluster",
		(char *)"--log-level=lib.eal:warning",
	};

	rte_openlog_stream(stderr);
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv);
}

static void dc_cfg(struct tt_dc_config *dc)
{
	tt_dc_config_default(dc);
	dc->msg_max = 4096;
	dc->window = 16;
	dc->rx_window = 16;
	dc->rto_init_ns = MS(5);
	dc->rto_min_ns = MS(2);
	dc->rto_max_ns = MS(100);
	dc->granularity_ns = MS(1);
	dc->max_retx = 8;
	dc->probe_interval_ns = MS(5);
	dc->probe_timeout_ns = MS(20);
}

static void master_ep(struct tt_rt_ep_config *ec)
{
	struct tt_master_config *c = &ec->master;

	memset(ec, 0, sizeof(*ec));
	ec->role = TT_RT_ROLE_MASTER;
	for (int i = 0; i < NW; i++)
		peers[i] = (struct tt_master_peer_config){(uint32_t)(i + 1), WORKER_IP(i + 1),
							  DC_BASE};
	c->ip = MASTER_IP;
	c->n_chan = K;
	c->n_workers = NW;
	c->workers = peers;
	c->master_timers = MASTER_T;
	c->worker_timers = WORKER_T;
	c->d_max_ns = MS(5);
	c->granularity_ns = MS(1);
	c->slow_tx_us = 10000;
	c->allow_fast_slow_rate = true;
	dc_cfg(&c->dc);
	c->max_tasks = 256;
	c->max_outstanding = 8;
	c->sched_log = sched_log;
	c->sched_log_cap = LOG_CAP;
	c->timeline_cap = 4096;
	c->seed = 7;
	ec->n_ports = NW;
	for (int i = 0; i < NW; i++) {
		ec->ports[i].port = &port[i][0];
		ec->ports[i].queue = 0;
		/* Ring ports have no rte_flow: this reports SOFTWARE, with the reason. */
		ec->ports[i].try_hb_steer = true;
		ec->ports[i].hb_queue = 0;
	}
	ec->arp_retry_ns = MS(20);
	ec->shim_seed = 11;
}

static void worker_ep(struct tt_rt_ep_config *ec, int i)
{
	struct tt_worker_config *c = &ec->worker;

	memset(ec, 0, sizeof(*ec));
	ec->role = TT_RT_ROLE_WORKER;
	c->worker_id = (uint32_t)i;
	c->epoch = 1;
	c->ip = WORKER_IP(i);
	c->master_ip = MASTER_IP;
	c->hb_src_port = (uint16_t)(49152 + i);
	c->dc_port_base = DC_BASE;
	c->n_chan = K;
	c->worker_timers = WORKER_T;
	c->master_timers = MASTER_T;
	c->d_max_ns = MS(5);
	c->granularity_ns = MS(1);
	c->slow_tx_us = 10000;
	c->allow_fast_slow_rate = true;
	dc_cfg(&c->dc);
	c->max_tasks = 64;
	c->max_handlers = 8;
	c->max_result = 1024;
	c->fence_action = TT_WORKER_FENCE_EXIT;
	c->timeline_cap = 4096;
	c->seed = 100u + (uint64_t)i;
	ec->n_ports = 1;
	ec->ports[0].port = &port[i - 1][1];
	ec->arp_retry_ns = MS(20);
	ec->shim_seed = 20u + (uint64_t)i;
}

static int group_setup(void **state)
{
	const struct tt_port_conf pc = {
		.nb_rxq = 1,
		.nb_txq = 1,
		.nb_rxd = 256,
		.nb_txd = 256,
		.nb_lcores = split ? 3 : 2,
		.cache_size = 64,
		.extra_mbufs = 512,
	};
	struct tt_rt_ep_config eps[1 + NW];
	struct tt_rt_config cfg = {0};
	char name[16], err[256];

	(void)state;
	if (eal_init() < 0 || rte_lcore_count() < (split ? 3u : 2u)) {
		fprintf(stderr, "cluster: EAL init failed or too few lcores\n");
		return -1;
	}
	if (tt_tsc_clock_init(&clk, 0) != 0)
		return -1;
	for (int w = 0; w < NW; w++) {
		snprintf(name, sizeof(name), "cl%d", w);
		if (tt_port_ring_pair_create(&pair[w], name, 1, 1024, SOCKET_ID_ANY) != 0)
			return -1;
		for (int s = 0; s < 2; s++) {
			if (tt_port_init(&port[w][s], pair[w].port_id[s], &pc) != 0 ||
			    tt_port_start(&port[w][s]) != 0)
				return -1;
		}
	}
	master_ep(&eps[0]);
	for (int i = 1; i <= NW; i++)
		worker_ep(&eps[i], i);
	cfg.lcore_id = DATA_LCORE;
	cfg.hb_lcore_id = split ? HB_LCORE : 0;
	cfg.layout = split ? TT_RT_LAYOUT_SPLIT : TT_RT_LAYOUT_COMBINED;
	cfg.poll_mode = TT_RT_POLL_BACKOFF;
	cfg.clock = &clk;
	cfg.n_eps = 1 + NW;
	cfg.eps = eps;
	rt = tt_rt_create(&cfg, err, sizeof(err));
	if (rt == NULL) {
		fprintf(stderr, "cluster: tt_rt_create: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tt_rt_destroy(rt);
	for (int w = 0; w < NW; w++) {
		tt_port_stop(&port[w][0]);
		tt_port_stop(&port[w][1]);
	}
	for (int w = 0; w < NW; w++) {
		tt_port_ring_pair_destroy(&pair[w]);
		tt_port_fini(&port[w][0]);
		tt_port_fini(&port[w][1]);
	}
	rte_eal_cleanup();
	return 0;
}

static int exec(struct tt_rt_cmd *c)
{
	return tt_rt_cmd_exec(rt, c);
}

static void snapshot(uint32_t ep, struct tt_rt_ep_snapshot *s)
{
	struct tt_rt_cmd c = {.type = TT_RT_CMD_SNAPSHOT, .ep = ep, .snap = s};

	assert_int_equal(exec(&c), 0);
}

static void peer(uint32_t worker_id, struct tt_master_peer_info *pi)
{
	struct tt_rt_cmd c = {
		.type = TT_RT_CMD_PEER, .ep = EP_MASTER, .worker_id = worker_id, .peer = pi};

	assert_int_equal(exec(&c), 0);
}

static void sleep_ms(unsigned int ms)
{
	rte_delay_us_sleep(ms * 1000u);
}

static bool both_live(void)
{
	struct tt_rt_ep_snapshot s;
	struct tt_master_peer_info pi;

	for (int i = 1; i <= NW; i++) {
		snapshot(EP_W(i), &s);
		if (s.worker_state != TT_WORKER_S_LIVE)
			return false;
		peer((uint32_t)i, &pi);
		if (pi.state != TT_CTAB_WS_LIVE)
			return false;
	}
	return true;
}

/* On a failed wait: what every endpoint and port looked like (stderr). */
static void dump(const char *what)
{
	struct tt_rt_ep_snapshot s;
	struct tt_rt_port_stats ps;

	fprintf(stderr, "cluster: %s; state of the runtime:\n", what);
	for (uint32_t e = 0; e < tt_rt_n_eps(rt); e++) {
		snapshot(e, &s);
		fprintf(stderr,
			"  ep %u %s: worker state %s hb %s exited %d, arp req_tx %" PRIu64
			" reply_rx %" PRIu64 " req_rx %" PRIu64 " learned %" PRIu64 "\n",
			e, tt_rt_role_name(s.role), tt_worker_state_name(s.worker_state),
			tt_hb_state_name(s.hb_state), s.exited, s.neigh[TT_NEIGH_C_REQ_TX],
			s.neigh[TT_NEIGH_C_REPLY_RX], s.neigh[TT_NEIGH_C_REQ_RX],
			s.neigh[TT_NEIGH_C_LEARNED]);
		for (uint16_t i = 0; tt_rt_port_stats(rt, e, i, &ps) == 0; i++) {
			fprintf(stderr, "    port %u:", ps.port_id);
			for (unsigned int c = 0; c < TT_RT_PC_MAX; c++)
				fprintf(stderr, " %s=%" PRIu64, tt_rt_port_ctr_name(c), ps.ctr[c]);
			fprintf(stderr, "\n");
		}
	}
}

static uint64_t submit_spin(unsigned int slot, uint32_t us)
{
	struct tt_rt_cmd c = {
		.type = TT_RT_CMD_SUBMIT,
		.ep = EP_MASTER,
		.handler = "spin",
		.payload = payload[slot],
		.payload_len = 4,
	};

	payload[slot][0] = (uint8_t)(us >> 24);
	payload[slot][1] = (uint8_t)(us >> 16);
	payload[slot][2] = (uint8_t)(us >> 8);
	payload[slot][3] = (uint8_t)us;
	assert_int_equal(exec(&c), 0);
	task_ids[slot] = c.task_id;
	return c.task_id;
}

/* CALL: count the tasks of a range that are committed (runs on the data lane). */
struct count_arg {
	unsigned int from, to;
	unsigned int committed;
	unsigned int assigned_w[NW + 1];
};

static int count_tasks(const struct tt_rt_ep_view *ep, tt_ns_t now, void *arg)
{
	struct count_arg *a = arg;
	const struct tt_sched *s = tt_master_sched(ep->master);

	(void)now;
	a->committed = 0;
	memset(a->assigned_w, 0, sizeof(a->assigned_w));
	for (unsigned int i = a->from; i < a->to; i++) {
		struct tt_sched_task_info ti;

		if (tt_sched_task(s, task_ids[i], &ti) != 0)
			return -EINVAL;
		if (ti.state == TT_SCHED_S_COMMITTED)
			a->committed++;
		else if (ti.state == TT_SCHED_S_ASSIGNED && ti.worker <= NW)
			a->assigned_w[ti.worker]++;
	}
	return 0;
}

static struct count_arg count(unsigned int from, unsigned int to)
{
	struct count_arg a = {.from = from, .to = to};
	struct tt_rt_cmd c = {
		.type = TT_RT_CMD_CALL, .ep = EP_MASTER, .fn = count_tasks, .arg = &a};

	assert_int_equal(exec(&c), 0);
	return a;
}

static void shim_cut(uint32_t ep, int flow, struct tt_rt_cmd *c)
{
	assert_true(flow >= 0);
	memset(c, 0, sizeof(*c));
	c->type = TT_RT_CMD_SHIM_SET;
	c->ep = ep;
	c->flow = (uint16_t)flow;
	c->fault.cut = true;
	assert_int_equal(exec(c), 0);
}

static const struct tt_fence_event *tl_first(struct tt_fence_tl *tl, unsigned int kind,
					     uint32_t worker)
{
	int64_t i = tt_fence_tl_find(tl, 0, kind, worker, UINT64_MAX);

	return i < 0 ? NULL : tt_fence_tl_at(tl, (uint32_t)i);
}

static double us_since(tt_ns_t t, tt_ns_t from)
{
	return (double)tt_time_diff(t, from) / 1000.0;
}

static void test_cluster(void **state)
{
	struct tt_rt_cmd cut_w, cut_m;
	struct tt_rt_ep_snapshot s;
	struct tt_rt_lcore_stats ls;
	struct tt_rt_port_stats ps;
	struct count_arg a;
	unsigned int waited;
	int code = 0;

	(void)state;
	assert_int_equal(tt_rt_start(rt), 0);
	assert_int_equal(tt_rt_start(rt), -EALREADY);

	/* 1. Bring-up: ARP, heartbeats Up, all channels connected. */
	for (waited = 0; waited < WAIT_MS && !both_live(); waited += 10)
		sleep_ms(10);
	if (!both_live())
		dump("bring-up did not complete");
	assert_true(both_live());
	printf("# bring-up to both workers LIVE: about %u ms\n", waited);

	/* 2. Short tasks end to end. */
	for (unsigned int i = 0; i < N_SHORT; i++)
		submit_spin(i, 1000);
	for (waited = 0; waited < WAIT_MS && count(0, N_SHORT).committed < N_SHORT; waited += 5)
		sleep_ms(5);
	assert_int_equal(count(0, N_SHORT).committed, N_SHORT);

	/* 3. Long tasks on both workers, then the cut. */
	for (unsigned int i = N_SHORT; i < N_SHORT + N_LONG; i++)
		submit_spin(i, LONG_US);
	for (waited = 0; waited < WAIT_MS; waited += 1) {
		a = count(N_SHORT, N_SHORT + N_LONG);
		if (a.assigned_w[1] + a.assigned_w[2] == N_LONG)
			break;
		sleep_ms(1);
	}
	assert_true(a.assigned_w[1] > 0);
	assert_true(a.assigned_w[2] > 0);
	assert_int_equal(a.committed, 0);
	shim_cut(EP_W(CUT_WORKER), tt_rt_flow_chan(rt, EP_W(CUT_WORKER), 0, CUT_CHAN), &cut_w);
	shim_cut(EP_MASTER, tt_rt_flow_chan(rt, EP_MASTER, CUT_WORKER, CUT_CHAN), &cut_m);

	/* 4-5. Worker 1 exits; every long task ends committed. */
	for (waited = 0; waited < WAIT_MS && !tt_rt_ep_exited(rt, EP_W(CUT_WORKER), NULL);
	     waited += 5)
		sleep_ms(5);
	assert_true(tt_rt_ep_exited(rt, EP_W(CUT_WORKER), &code));
	assert_int_equal(code, TT_WORKER_EXIT_FENCED);
	for (waited = 0; waited < WAIT_MS && count(N_SHORT, N_SHORT + N_LONG).committed < N_LONG;
	     waited += 10)
		sleep_ms(10);
	assert_int_equal(count(N_SHORT, N_SHORT + N_LONG).committed, N_LONG);
	snapshot(EP_W(2), &s);
	assert_false(s.exited);
	assert_int_equal(s.worker_state, TT_WORKER_S_LIVE);
	assert_int_equal(s.worker.fences, 0);

	assert_int_equal(tt_rt_stop(rt), 0);
	assert_int_equal(tt_rt_state(rt), TT_RT_S_STOPPED);

	/* Exactly once, from the scheduler's log. */
	{
		struct tt_rt_ep_view v;
		const struct tt_sched *sch;
		const struct tt_sched_counters *sc;
		unsigned int commits[N_SHORT + N_LONG] = {0};
		uint32_t n;

		assert_int_equal(tt_rt_ep(rt, EP_MASTER, &v), 0);
		sch = tt_master_sched(v.master);
		sc = tt_sched_counters(sch);
		assert_int_equal(sc->log_dropped, 0);
		n = tt_sched_log_len(sch);
		for (uint32_t i = 0; i < n; i++) {
			if (sched_log[i].kind != TT_SCHED_EV_RESULT_COMMIT)
				continue;
			for (unsigned int t = 0; t < N_SHORT + N_LONG; t++)
				if (task_ids[t] == sched_log[i].task_id)
					commits[t]++;
		}
		for (unsigned int t = 0; t < N_SHORT + N_LONG; t++)
			assert_int_equal(commits[t], 1);
		assert_int_equal(sc->results[TT_SCHED_COMMIT], N_SHORT + N_LONG);
		assert_int_equal(sc->stale, 0);
		assert_int_equal(sc->workers_dead, 1);
		assert_true(sc->rescheduled >= 1);
		assert_int_equal(tt_master_counters(v.master)->step_errors, 0);
	}

	/* The fencing order and the measured figures, from the timelines. */
	{
		/* Each plane's own timeline: HB (silence, exit), DC (channels,
		 * fence, scheduler). */
		struct tt_fence_tl *mt = tt_rt_timeline(rt, EP_MASTER);
		struct tt_fence_tl *wt = tt_rt_timeline(rt, EP_W(CUT_WORKER));
		struct tt_fence_tl *mtd = tt_rt_timeline_dc(rt, EP_MASTER);
		struct tt_fence_tl *wtd = tt_rt_timeline_dc(rt, EP_W(CUT_WORKER));
		const struct tt_fence_event *w_sil, *m_sil, *fence, *dead, *resched, *cd, *mcd;
		tt_ns_t cut = cut_w.done_ns;
		int64_t r;

		/* COMBINED: one timeline per endpoint (the same pointer). */
		assert_true(split ? mt != mtd && wt != wtd : mt == mtd && wt == wtd);
		assert_int_equal(tt_fence_tl_dropped(mt) + tt_fence_tl_dropped(mtd), 0);
		assert_int_equal(tt_fence_tl_dropped(wt) + tt_fence_tl_dropped(wtd), 0);
		w_sil = tl_first(wt, TT_FENCE_EV_HB_SILENCED, CUT_WORKER);
		m_sil = tl_first(mt, TT_FENCE_EV_HB_SILENCED, CUT_WORKER);
		fence = tl_first(wtd, TT_FENCE_EV_FENCE, CUT_WORKER);
		dead = tl_first(mtd, TT_FENCE_EV_WORKER_DEAD, CUT_WORKER);
		resched = tl_first(mtd, TT_FENCE_EV_RESCHEDULE, UINT32_MAX);
		cd = tl_first(wtd, TT_FENCE_EV_CHAN_DOWN, CUT_WORKER);
		mcd = tl_first(mtd, TT_FENCE_EV_CHAN_DOWN, CUT_WORKER);
		assert_non_null(mcd);
		if (split) {
			/* Across lanes: both silences came through the event queue. */
			assert_int_equal(w_sil->aux, TT_FENCE_ROUTE_QUEUED);
			assert_int_equal(m_sil->aux, TT_FENCE_ROUTE_QUEUED);
			assert_null(tl_first(wtd, TT_FENCE_EV_HB_SILENCED, UINT32_MAX));
			assert_null(tl_first(mt, TT_FENCE_EV_WORKER_DEAD, UINT32_MAX));
		}
		assert_non_null(w_sil);
		assert_non_null(m_sil);
		assert_non_null(fence);
		assert_non_null(dead);
		assert_non_null(resched);
		assert_non_null(cd);
		/* The cut channel went down (probe timeout), after the cut. */
		assert_int_equal(cd->chan, CUT_CHAN);
		assert_true(tt_time_after(cd->time_ns, cut));
		assert_true(tt_time_after(w_sil->time_ns, cut));
		assert_true(tt_time_after(m_sil->time_ns, cut));
		assert_true(tt_time_before(fence->time_ns, dead->time_ns));
		/* Every reschedule after the fence. */
		for (r = tt_fence_tl_find(mtd, 0, TT_FENCE_EV_RESCHEDULE, UINT32_MAX, UINT64_MAX);
		     r >= 0; r = tt_fence_tl_find(mtd, (uint32_t)r + 1, TT_FENCE_EV_RESCHEDULE,
						  UINT32_MAX, UINT64_MAX))
			assert_true(tt_time_before(fence->time_ns,
						   tt_fence_tl_at(mtd, (uint32_t)r)->time_ns));
		/* Worker 2 was never declared dead nor silenced. */
		assert_null(tl_first(mtd, TT_FENCE_EV_WORKER_DEAD, 2));
		assert_null(tl_first(mt, TT_FENCE_EV_HB_SILENCED, 2));

		printf("# interval I = 10 ms, T2 = 30 ms (master mult 3), T1 = 60 ms (worker "
		       "mult 6), DC probe timeout 20 ms\n");
		printf("# cut (shim, worker side) at %.1f us; master side %.1f us later\n",
		       (double)cut / 1000.0, us_since(cut_m.done_ns, cut));
		printf("# cut->chan-down (worker)     %10.1f us\n", us_since(cd->time_ns, cut));
		printf("# cut->chan-down (master)     %10.1f us\n", us_since(mcd->time_ns, cut));
		/* The silence's value: channel down -> session silenced, the
		 * cross-lane hop in SPLIT, 0 in COMBINED (the same call). */
		printf("# cut->silence   (worker)     %10.1f us (channel down -> silenced %.1f us, %s)\n",
		       us_since(w_sil->time_ns, cut), (double)w_sil->val / 1000.0,
		       tt_fence_route_name(w_sil->aux));
		printf("# cut->silence   (master)     %10.1f us (channel down -> silenced %.1f us, %s)\n",
		       us_since(m_sil->time_ns, cut), (double)m_sil->val / 1000.0,
		       tt_fence_route_name(m_sil->aux));
		printf("# cut->fence     (worker, T2) %10.1f us\n", us_since(fence->time_ns, cut));
		printf("# cut->dead      (master, T1) %10.1f us\n", us_since(dead->time_ns, cut));
		printf("# cut->reschedule (master)    %10.1f us\n",
		       us_since(resched->time_ns, cut));
	}

	/* Counters: steering mode, traffic, no drops at the NIC, loop figures. */
	for (uint16_t i = 0; i < NW; i++) {
		assert_int_equal(tt_rt_port_stats(rt, EP_MASTER, i, &ps), 0);
		assert_int_equal(ps.hb_mode, TT_FLOW_MODE_SOFTWARE);
		assert_true(ps.ctr[TT_RT_PC_RX_HB] > 0);
		assert_true(ps.ctr[TT_RT_PC_RX_ARP] > 0);
		assert_int_equal(ps.ctr[TT_RT_PC_TX_NIC_FULL], 0);
		assert_int_equal(ps.ctr[TT_RT_PC_RX_MALFORMED], 0);
		assert_int_equal(ps.ctr[TT_RT_PC_RX_PKTS], ps.ctr[TT_RT_PC_RX_UDP] +
								   ps.ctr[TT_RT_PC_RX_ARP] +
								   ps.ctr[TT_RT_PC_RX_FOREIGN]);
		if (i == 0)
			printf("# heartbeat steering: %s (%s)\n", tt_flow_mode_name(ps.hb_mode),
			       ps.hb_reason);
		printf("# master port %u: rx %" PRIu64 " (hb %" PRIu64 ", arp %" PRIu64
		       ") tx %" PRIu64 "\n",
		       ps.port_id, ps.ctr[TT_RT_PC_RX_PKTS], ps.ctr[TT_RT_PC_RX_HB],
		       ps.ctr[TT_RT_PC_RX_ARP], ps.ctr[TT_RT_PC_TX_PKTS]);
	}
	assert_int_equal(tt_rt_port_stats(rt, EP_MASTER, NW, &ps), -ENOENT);
	if (split) {
		struct tt_rt_lcore_stats hs;
		struct tt_master_counters mc;

		assert_int_equal(tt_rt_hb_lcore_stats(rt, &hs), 0);
		assert_int_equal(hs.lcore_id, HB_LCORE);
		assert_int_equal(tt_rt_hb_lcore(rt), HB_LCORE);
		assert_true(hs.passes > 0 && hs.sleeps > 0);
		assert_true(hs.hb_rx > 0);
		assert_true(hs.hb_tx > 0);
		assert_int_equal(hs.hb_ring_full, 0);
		assert_true(hs.deadlines > 0);
		printf("# HB lane lcore %u: %" PRIu64 " passes, utilisation %.1f %%, %" PRIu64
		       " heartbeats in (%" PRIu64 " refused), %" PRIu64
		       " out, HB deadlines %" PRIu64 ", lateness max %.1f us\n",
		       hs.lcore_id, hs.passes, 100.0 * (double)hs.busy_ns / (double)hs.total_ns,
		       hs.hb_rx, hs.hb_drop, hs.hb_tx, hs.deadlines,
		       (double)hs.late_max_ns / 1000.0);
		snapshot(EP_MASTER, &s);
		mc = s.master;
		assert_int_equal(mc.xev_full, 0);
		assert_true(mc.xev_posted > 0);
		assert_int_equal(mc.xev_handled, mc.xev_posted);
		assert_int_equal(mc.step_errors, 0);
	}
	tt_rt_lcore_stats(rt, &ls);
	assert_int_equal(ls.lcore_id, DATA_LCORE);
	assert_int_equal(ls.state, TT_RT_S_STOPPED);
	assert_int_equal(ls.layout, split ? TT_RT_LAYOUT_SPLIT : TT_RT_LAYOUT_COMBINED);
	assert_true(ls.passes > 0 && ls.busy_passes <= ls.passes && ls.busy_ns <= ls.total_ns);
	assert_true(ls.sleeps > 0);
	assert_int_equal(ls.hb_ring_full, 0);
	{
		uint64_t sum = 0;

		for (unsigned int b = 0; b < TT_RT_LATE_BUCKETS; b++)
			sum += ls.late_hist[b];
		assert_int_equal(sum, ls.deadlines);
		assert_true(ls.deadlines > 0);
	}
	printf("# data lane lcore %u: %" PRIu64
	       " passes, utilisation %.1f %%, longest pass %.1f us, %" PRIu64
	       " deadlines, lateness max %.1f us; histogram (<1us, <2us, <4us, ...):",
	       ls.lcore_id, ls.passes, 100.0 * (double)ls.busy_ns / (double)ls.total_ns,
	       (double)ls.pass_max_ns / 1000.0, ls.deadlines, (double)ls.late_max_ns / 1000.0);
	for (unsigned int b = 0; b < TT_RT_LATE_BUCKETS; b++)
		printf(" %" PRIu64, ls.late_hist[b]);
	printf("\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster),
	};

	split = argc > 1 && strcmp(argv[1], "split") == 0;

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
