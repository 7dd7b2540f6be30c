/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exhaustion on real packets in one process (issue 7: "mbuf pool empty, ring
 * full, table full, too many workers: counted, reported, and never turned
 * into a wrong commit or a crash").
 *
 * A master with two configured workers, over crossed rte_eth_from_rings()
 * pairs, run by one lcore runtime on lcore 1:
 *   - worker 1 is a real worker endpoint on pair A;
 *   - worker 2 is a "ghost": its side of pair B is started but never polled
 *     (a host that took the link and hung), reached through a static
 *     neighbour entry. Pair B's rings hold 15 frames.
 * The master's two ports share one small mbuf pool without per-lcore caches,
 * so the main lcore can empty it.
 *
 * In order:
 *   1. bring-up: worker 1 LIVE at both ends;
 *   2. ring full: the master's heartbeats to the ghost fill pair B's ring;
 *      the frames the ring refuses are freed and counted (tx_nic_full on
 *      master port 1); the ghost never goes LIVE, so no task goes to it;
 *   3. mbuf pool empty: the main lcore takes every mbuf of the master's
 *      pool, tasks are submitted, the master cannot build their ASSIGNs
 *      (tx_no_mbuf on master port 0, tx.no_buf in the master's counters);
 *      the pool comes back before T2 and every task is committed exactly
 *      once; no task lost, worker 1 never fenced;
 *   4. more tasks than the workers' capacity (max_outstanding 2): never more
 *      than 2 in flight on worker 1, the rest PENDING, all committed once.
 * And without the running cluster:
 *   5. shim duplicate with an empty pool: the original passes alone,
 *      dup_failed counts it, nothing leaks;
 *   6. too many endpoints / workers: tt_rt_create() refuses with a message
 *      naming the limit, nothing started.
 * The counters named are those `show port stats` and /tether/port/stats
 * print (tt_rt_port_ctr_name()); their values are printed as TAP comments.
 *
 * Timers are generous (a noisy 2-vCPU VM must not fence worker 1 while the
 * pool is empty): I = 10 ms, T2 = 20 x I = 200 ms, T1 = 30 x I = 300 ms
 * (300 > 200 + 10 + 5 + 1).
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
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "port.h"
#include "runtime.h"
#include "scheduler.h"
#include "shim.h"
#include "tsc_clock.h"

#define MS(n) ((tt_ns_t)(n)*TT_NS_PER_MS)

#define DATA_LCORE   1
#define K	     2
#define MASTER_IP    0x0a000001u	 /* 10.0.0.1 */
#define WORKER_IP(i) (0x0a00000au + (i)) /* 10.0.0.11, 10.0.0.12 */
#define DC_BASE	     40000
#define EP_MASTER    0
#define EP_WORKER    1
#define GHOST	     2	 /* worker id of the ghost */
#define GHOST_RING   16	 /* pair B ring slots (15 usable) */
#define POOL_N	     511 /* the master's pool */
#define N_DRAIN	     8	 /* tasks submitted while the pool is empty */
#define N_CAP	     10	 /* tasks submitted against a capacity of 2 */
#define OUTSTANDING  2	 /* the master's max_outstanding */
#define N_TASKS	     (N_DRAIN + N_CAP)
#define LOG_CAP	     8192
#define WAIT_MS	     10000u /* upper bound for any wait: a hang fails, not blocks */

static const struct tt_hb_timers MASTER_T = {10000, 10000, 20};
static const struct tt_hb_timers WORKER_T = {10000, 10000, 30};

static struct tt_tsc_clock clk;
static struct rte_mempool *pool_m;
static struct tt_port_ring_pair pair_a, pair_b;
static struct tt_port port_m[2], port_w, port_g;
static struct tt_rt *rt;
static struct tt_master_peer_config peers[2];
static struct tt_rt_neigh_static ghost_neigh;
static struct tt_sched_event sched_log[LOG_CAP];
static uint8_t payload[N_TASKS][4];
static uint64_t task_ids[N_TASKS];
static struct rte_mbuf *held[POOL_N];

static int eal_init(void)
{
	char *argv[] = {
		(char *)"tether-exhaust-test",
		(char *)"--no-huge",
		(char *)"-m",
		(char *)"256",
		(char *)"--no-pci",
		(char *)"--no-shconf",
		(char *)"--no-telemetry",
		(char *)"-l",
		(char *)"0-1",
		(char *)"--file-prefix=tt_eal_exhaust",
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
	dc->rto_max_ns = MS(50);
	dc->granularity_ns = MS(1);
	dc->max_retx = 30;
	dc->probe_interval_ns = MS(20);
	dc->probe_timeout_ns = MS(150);
}

static void master_ep(struct tt_rt_ep_config *ec)
{
	struct tt_master_config *c = &ec->master;

	memset(ec, 0, sizeof(*ec));
	ec->role = TT_RT_ROLE_MASTER;
	peers[0] = (struct tt_master_peer_config){1, WORKER_IP(1), DC_BASE};
	peers[1] = (struct tt_master_peer_config){GHOST, WORKER_IP(GHOST), DC_BASE};
	c->ip = MASTER_IP;
	c->n_chan = K;
	c->n_workers = 2;
	c->workers = peers;
	c->master_timers = MASTER_T;
	c->worker_timers = WORKER_T;
	c->d_max_ns = MS(5);
	c->granularity_ns = MS(1);
	c->slow_tx_us = 10000;
	c->allow_fast_slow_rate = true;
	dc_cfg(&c->dc);
	c->max_tasks = 256;
	c->max_outstanding = OUTSTANDING;
	c->sched_log = sched_log;
	c->sched_log_cap = LOG_CAP;
	c->timeline_cap = 4096;
	c->seed = 7;
	ec->n_ports = 2;
	ec->ports[0].port = &port_m[0];
	ec->ports[1].port = &port_m[1];
	/* The ghost answers no ARP: a static entry on port 1. */
	ghost_neigh = (struct tt_rt_neigh_static){
		.ip = WORKER_IP(GHOST), .mac = {0x02, 0, 0, 0, 0, 0x99}, .port_idx = 1};
	ec->n_static = 1;
	ec->statics = &ghost_neigh;
	ec->arp_retry_ns = MS(20);
	ec->shim_seed = 11;
}

static void worker_ep(struct tt_rt_ep_config *ec)
{
	struct tt_worker_config *c = &ec->worker;

	memset(ec, 0, sizeof(*ec));
	ec->role = TT_RT_ROLE_WORKER;
	c->worker_id = 1;
	c->epoch = 1;
	c->ip = WORKER_IP(1);
	c->master_ip = MASTER_IP;
	c->hb_src_port = 49153;
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
	c->seed = 101;
	ec->n_ports = 1;
	ec->ports[0].port = &port_w;
	ec->arp_retry_ns = MS(20);
	ec->shim_seed = 21;
}

static int group_setup(void **state)
{
	struct tt_port_conf pc = {
		.nb_rxq = 1,
		.nb_txq = 1,
		.nb_rxd = 256,
		.nb_txd = 256,
		.nb_lcores = 2,
		.cache_size = 64,
		.extra_mbufs = 512,
	};
	struct tt_rt_ep_config eps[2];
	struct tt_rt_config cfg = {0};
	char err[256];

	(void)state;
	if (eal_init() < 0 || rte_lcore_count() < 2) {
		fprintf(stderr, "exhaust: EAL init failed or fewer than 2 lcores\n");
		return -1;
	}
	if (tt_tsc_clock_init(&clk, 0) != 0)
		return -1;
	/* No per-lcore cache: every free mbuf is in the common pool, where
	 * the main lcore can take it. */
	pool_m = rte_pktmbuf_pool_create("tt_exh_m", POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	if (pool_m == NULL)
		return -1;
	if (tt_port_ring_pair_create(&pair_a, "exa", 1, 1024, SOCKET_ID_ANY) != 0 ||
	    tt_port_ring_pair_create(&pair_b, "exb", 1, GHOST_RING, SOCKET_ID_ANY) != 0)
		return -1;
	if (tt_port_init(&port_w, pair_a.port_id[1], &pc) != 0 ||
	    tt_port_init(&port_g, pair_b.port_id[1], &pc) != 0)
		return -1;
	pc.pool = pool_m;
	if (tt_port_init(&port_m[0], pair_a.port_id[0], &pc) != 0 ||
	    tt_port_init(&port_m[1], pair_b.port_id[0], &pc) != 0)
		return -1;
	if (tt_port_start(&port_m[0]) != 0 || tt_port_start(&port_m[1]) != 0 ||
	    tt_port_start(&port_w) != 0 || tt_port_start(&port_g) != 0)
		return -1;
	master_ep(&eps[0]);
	worker_ep(&eps[1]);
	cfg.lcore_id = DATA_LCORE;
	cfg.layout = TT_RT_LAYOUT_COMBINED;
	cfg.poll_mode = TT_RT_POLL_BACKOFF;
	cfg.clock = &clk;
	cfg.n_eps = 2;
	cfg.eps = eps;
	rt = tt_rt_create(&cfg, err, sizeof(err));
	if (rt == NULL) {
		fprintf(stderr, "exhaust: tt_rt_create: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (rt != NULL && tt_rt_state(rt) == TT_RT_S_RUNNING)
		tt_rt_stop(rt);
	tt_rt_destroy(rt);
	tt_port_stop(&port_m[0]);
	tt_port_stop(&port_m[1]);
	tt_port_stop(&port_w);
	tt_port_stop(&port_g);
	tt_port_ring_pair_destroy(&pair_a);
	tt_port_ring_pair_destroy(&pair_b);
	tt_port_fini(&port_m[0]);
	tt_port_fini(&port_m[1]);
	tt_port_fini(&port_w);
	tt_port_fini(&port_g);
	rte_mempool_free(pool_m);
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

static uint64_t port_ctr(uint32_t ep, uint16_t port_idx, enum tt_rt_port_ctr k)
{
	struct tt_rt_port_stats ps;

	assert_int_equal(tt_rt_port_stats(rt, ep, port_idx, &ps), 0);
	return ps.ctr[k];
}

static void sleep_ms(unsigned int ms)
{
	rte_delay_us_sleep(ms * 1000u);
}

static bool worker_live(void)
{
	struct tt_rt_ep_snapshot s;
	struct tt_master_peer_info pi;

	snapshot(EP_WORKER, &s);
	if (s.worker_state != TT_WORKER_S_LIVE)
		return false;
	peer(1, &pi);
	return pi.state == TT_CTAB_WS_LIVE;
}

static void submit_spin(unsigned int slot, uint32_t us)
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
}

/* CALL: the states of a range of tasks (runs on lcore 1). */
struct count_arg {
	unsigned int from, to;
	unsigned int pending, assigned, committed, other;
	unsigned int on_ghost;
};

static int count_tasks(const struct tt_rt_ep_view *ep, tt_ns_t now, void *arg)
{
	struct count_arg *a = arg;
	const struct tt_sched *s = tt_master_sched(ep->master);

	(void)now;
	a->pending = a->assigned = a->committed = a->other = a->on_ghost = 0;
	for (unsigned int i = a->from; i < a->to; i++) {
		struct tt_sched_task_info ti;

		if (tt_sched_task(s, task_ids[i], &ti) != 0)
			return -EINVAL;
		if (ti.state == TT_SCHED_S_PENDING) {
			a->pending++;
		} else if (ti.state == TT_SCHED_S_ASSIGNED) {
			a->assigned++;
			if (ti.worker == GHOST)
				a->on_ghost++;
		} else if (ti.state == TT_SCHED_S_COMMITTED) {
			a->committed++;
		} else {
			a->other++;
		}
	}
	return 0;
}

static struct count_arg count(unsigned int from, unsigned int to)
{
	struct count_arg a = {.from = from, .to = to};
	struct tt_rt_cmd c = {
		.type = TT_RT_CMD_CALL, .ep = EP_MASTER, .fn = count_tasks, .arg = &a};

	assert_int_equal(exec(&c), 0);
	/* Safe at every instant: each task pending, in flight or committed. */
	assert_int_equal(a.other, 0);
	assert_int_equal(a.pending + a.assigned + a.committed, to - from);
	assert_int_equal(a.on_ghost, 0);
	return a;
}

static bool all_committed(unsigned int from, unsigned int to)
{
	return count(from, to).committed == to - from;
}

/* Commits of task slot t in the scheduler's log (the runtime stopped). */
static unsigned int commits_of(unsigned int t)
{
	struct tt_rt_ep_view v;
	const struct tt_sched *sch;
	unsigned int n = 0;
	uint32_t len;

	assert_int_equal(tt_rt_ep(rt, EP_MASTER, &v), 0);
	sch = tt_master_sched(v.master);
	assert_int_equal(tt_sched_counters(sch)->log_dropped, 0);
	len = tt_sched_log_len(sch);
	for (uint32_t i = 0; i < len; i++)
		if (sched_log[i].kind == TT_SCHED_EV_RESULT_COMMIT &&
		    sched_log[i].task_id == task_ids[t])
			n++;
	return n;
}

static void test_bring_up(void **state)
{
	unsigned int waited;

	(void)state;
	assert_int_equal(tt_rt_start(rt), 0);
	for (waited = 0; waited < WAIT_MS && !worker_live(); waited += 10)
		sleep_ms(10);
	assert_true(worker_live());
	printf("# bring-up to worker 1 LIVE: about %u ms\n", waited);
}

/* 2. The ghost's ring fills; what it refuses is freed and counted. */
static void test_ring_full(void **state)
{
	struct tt_master_peer_info pi;
	uint64_t full = 0;
	unsigned int waited;

	(void)state;
	for (waited = 0; waited < WAIT_MS; waited += 10) {
		full = port_ctr(EP_MASTER, 1, TT_RT_PC_TX_NIC_FULL);
		if (full > 0)
			break;
		sleep_ms(10);
	}
	assert_true(full > 0);
	/* The ring toward the ghost is full; the ghost never sent anything. */
	assert_true(rte_ring_full(pair_b.ring[0][0]) || rte_ring_full(pair_b.ring[1][0]));
	assert_int_equal(port_ctr(EP_MASTER, 1, TT_RT_PC_RX_PKTS), 0);
	assert_string_equal(tt_rt_port_ctr_name(TT_RT_PC_TX_NIC_FULL), "tx_nic_full");
	peer(GHOST, &pi);
	assert_int_not_equal(pi.state, TT_CTAB_WS_LIVE);
	/* The other port is untouched. */
	assert_int_equal(port_ctr(EP_MASTER, 0, TT_RT_PC_TX_NIC_FULL), 0);
	assert_true(worker_live());
	printf("# ring full: master port 1 (to the ghost) tx_nic_full=%" PRIu64 " tx_pkts=%" PRIu64
	       " after about %u ms; ghost state %s\n",
	       full, port_ctr(EP_MASTER, 1, TT_RT_PC_TX_PKTS), waited,
	       tt_ctab_wstate_name(pi.state));
}

/* Take every mbuf the pool has left (and any that come back); returns how many are held. */
static unsigned int grab(unsigned int n)
{
	struct rte_mbuf *m;

	while (n < POOL_N && (m = rte_pktmbuf_alloc(pool_m)) != NULL)
		held[n++] = m;
	return n;
}

/* 3. The master's pool is empty: no ASSIGN can be built; none lost, none twice. */
static void test_pool_empty(void **state)
{
	struct tt_rt_ep_snapshot ms0, ms1, ws;
	uint64_t nombuf0, nombuf1, hz, t0, t_seen = 0;
	unsigned int n, waited;
	struct count_arg a;

	(void)state;
	snapshot(EP_MASTER, &ms0);
	nombuf0 = port_ctr(EP_MASTER, 0, TT_RT_PC_TX_NO_MBUF);
	n = grab(0);
	assert_int_equal(rte_mempool_avail_count(pool_m), 0);
	for (unsigned int i = 0; i < N_DRAIN; i++)
		submit_spin(i, 1000);
	/*
	 * Keep the pool empty (frames in flight come back to it) until the
	 * master has failed to allocate, then 20 ms more, all within 100 ms of
	 * TSC time however the sleeps run late on a loaded machine: well below
	 * T2 (200 ms).
	 */
	hz = rte_get_timer_hz();
	t0 = rte_get_timer_cycles();
	for (;;) {
		uint64_t now = rte_get_timer_cycles();

		n = grab(n);
		if (t_seen == 0 && port_ctr(EP_MASTER, 0, TT_RT_PC_TX_NO_MBUF) > nombuf0)
			t_seen = now;
		if ((t_seen != 0 && now - t_seen >= hz / 50) || now - t0 >= hz / 10)
			break;
		rte_delay_us_sleep(500);
	}
	nombuf1 = port_ctr(EP_MASTER, 0, TT_RT_PC_TX_NO_MBUF);
	snapshot(EP_MASTER, &ms1);
	a = count(0, N_DRAIN);
	rte_pktmbuf_free_bulk(held, n);
	assert_true(nombuf1 > nombuf0);
	assert_true(ms1.master.tx.no_buf > ms0.master.tx.no_buf);
	assert_string_equal(tt_rt_port_ctr_name(TT_RT_PC_TX_NO_MBUF), "tx_no_mbuf");
	printf("# pool empty: %u mbufs held; master port 0 tx_no_mbuf %" PRIu64 " -> %" PRIu64
	       ", master tx.no_buf %" PRIu64 " -> %" PRIu64
	       "; tasks then: %u pending, %u assigned, %u committed\n",
	       n, nombuf0, nombuf1, ms0.master.tx.no_buf, ms1.master.tx.no_buf, a.pending,
	       a.assigned, a.committed);

	for (waited = 0; waited < WAIT_MS && !all_committed(0, N_DRAIN); waited += 5)
		sleep_ms(5);
	assert_true(all_committed(0, N_DRAIN));
	snapshot(EP_WORKER, &ws);
	assert_int_equal(ws.worker.fences, 0);
	assert_int_equal(ws.worker_state, TT_WORKER_S_LIVE);
	assert_true(worker_live());
	printf("# pool back: all %u tasks committed %u ms later, worker 1 never fenced\n", N_DRAIN,
	       waited);
}

/* 4. More tasks than the workers hold: the rest wait, PENDING; each commits once. */
static void test_capacity(void **state)
{
	unsigned int waited, max_in_flight = 0, max_pending = 0;
	uint64_t t0 = rte_get_timer_cycles();
	struct count_arg a;

	(void)state;
	for (unsigned int i = N_DRAIN; i < N_TASKS; i++)
		submit_spin(i, 20000);
	for (waited = 0; waited < WAIT_MS; waited++) {
		a = count(N_DRAIN, N_TASKS);
		if (a.assigned > max_in_flight)
			max_in_flight = a.assigned;
		if (a.pending > max_pending)
			max_pending = a.pending;
		if (a.committed == N_CAP)
			break;
		sleep_ms(1);
	}
	assert_int_equal(a.committed, N_CAP);
	assert_true(max_in_flight >= 1);
	assert_true(max_in_flight <= OUTSTANDING);
	assert_true(max_pending >= N_CAP - OUTSTANDING - 1);
	printf("# capacity %u: %u tasks of 20 ms, at most %u in flight, up to %u pending, all "
	       "committed in %.1f ms\n",
	       OUTSTANDING, N_CAP, max_in_flight, max_pending,
	       (double)(rte_get_timer_cycles() - t0) * 1e3 / (double)rte_get_timer_hz());

	/* Exactly once, for every task of this binary, from the scheduler's log. */
	assert_int_equal(tt_rt_stop(rt), 0);
	for (unsigned int t = 0; t < N_TASKS; t++)
		assert_int_equal(commits_of(t), 1);
	{
		struct tt_rt_ep_view v;
		const struct tt_sched_counters *sc;

		assert_int_equal(tt_rt_ep(rt, EP_MASTER, &v), 0);
		sc = tt_sched_counters(tt_master_sched(v.master));
		assert_int_equal(sc->results[TT_SCHED_COMMIT], N_TASKS);
		assert_int_equal(sc->stale, 0);
		assert_int_equal(sc->workers_dead, 0);
		assert_int_equal(tt_master_counters(v.master)->send_queue_full, 0);
		assert_int_equal(tt_master_counters(v.master)->step_errors, 0);
	}
}

/* 5. A duplicate wanted, no mbuf for it: the original goes alone, counted. */
static void test_shim_dup_no_mbuf(void **state)
{
	struct rte_mempool *empty;
	struct rte_mbuf *m, *out[TT_SHIM_TX_OUT_MAX];
	uint64_t ctr[TT_SHIM_CTR_MAX];
	struct tt_shim *s;
	unsigned int k;

	(void)state;
	empty = rte_pktmbuf_pool_create("tt_exh_dup", 1, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	assert_non_null(empty);
	m = rte_pktmbuf_alloc(empty);
	assert_non_null(m);
	assert_int_equal(rte_mempool_avail_count(empty), 0);
	s = tt_shim_create(&(struct tt_shim_conf){.nb_flows = 1,
						  .delay_cap = 4,
						  .seed = 1,
						  .dup_pool = empty,
						  .socket_id = SOCKET_ID_ANY});
	assert_non_null(s);
	assert_int_equal(tt_shim_set(s, 0, &(struct tt_shim_fault){.dup_ppm = TT_SHIM_PPM_MAX}), 0);
	assert_non_null(rte_pktmbuf_append(m, 64));
	k = tt_shim_tx(s, 0, m, 0, out);
	assert_int_equal(k, 1);
	assert_ptr_equal(out[0], m);
	assert_int_equal(tt_shim_stats_get(s, 0, ctr), 0);
	assert_int_equal(ctr[TT_SHIM_CTR_DUP_FAILED], 1);
	assert_int_equal(ctr[TT_SHIM_CTR_DUPLICATED], 0);
	assert_string_equal(tt_shim_ctr_name(TT_SHIM_CTR_DUP_FAILED), "dup_failed");
	rte_pktmbuf_free(m);
	tt_shim_destroy(s);
	assert_int_equal(rte_mempool_avail_count(empty), 1);
	rte_mempool_free(empty);
	printf("# shim duplicate with an empty pool: dup_failed=%" PRIu64 ", original sent\n",
	       ctr[TT_SHIM_CTR_DUP_FAILED]);
}

/* 6. More endpoints than a runtime holds, more workers than a master takes: refused. */
static void test_too_many(void **state)
{
	static struct tt_rt_ep_config eps[TT_RT_MAX_EPS + 1];
	static struct tt_master_peer_config many[1];
	struct tt_rt_config cfg = {0};
	char err[256];

	(void)state;
	for (unsigned int i = 0; i <= TT_RT_MAX_EPS; i++)
		worker_ep(&eps[i]);
	cfg.lcore_id = DATA_LCORE;
	cfg.layout = TT_RT_LAYOUT_COMBINED;
	cfg.clock = &clk;
	cfg.n_eps = TT_RT_MAX_EPS + 1;
	cfg.eps = eps;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	printf("# %u endpoints: %s\n", TT_RT_MAX_EPS + 1, err);
	assert_non_null(strstr(err, "33"));

	/* A master with more workers than one runtime has shim flows for. */
	master_ep(&eps[0]);
	many[0] = peers[0];
	eps[0].master.workers = many;
	eps[0].master.n_workers = 30000;
	cfg.n_eps = 1;
	err[0] = '\0';
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	printf("# 30000 workers on one runtime: %s\n", err);
	assert_non_null(strstr(err, "30000 workers"));

	/* The engine's own limit: more workers than worker ids exist. */
	eps[0].master.n_workers = TT_MASTER_MAX_WORKER_ID + 1;
	err[0] = '\0';
	assert_null(tt_master_create(&eps[0].master, 0, err, sizeof(err)));
	printf("# %u workers on a master: %s\n", TT_MASTER_MAX_WORKER_ID + 1, err);
	assert_non_null(strstr(err, "n_workers = 65537"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bring_up),	 cmocka_unit_test(test_ring_full),
		cmocka_unit_test(test_pool_empty),	 cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_shim_dup_no_mbuf), cmocka_unit_test(test_too_many),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
