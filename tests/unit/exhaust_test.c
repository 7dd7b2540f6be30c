/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exhaustion at the engine's edge, on virtual time (issue 7: "mbuf pool
 * empty, ring full, table full, too many workers: counted, reported, and
 * never turned into a wrong commit or a crash").
 *
 * A master and one worker wired back to back through an in-test network
 * whose node_io ops can fail the way the DPDK glue does:
 *   - "no buffer": tx_buf returns NULL, as drivers/runtime.c does when the
 *     mbuf pool is empty (engine counter tx.no_buf);
 *   - "ring full": tx_send returns -ENOBUFS once a node has a given number of
 *     datagrams in flight, as a full TX ring refuses frames (tx.send_failed).
 * Each case runs tasks through the fault and checks, from the scheduler's
 * log and both timelines: every task committed exactly once, no stale
 * commit, and, if the worker was declared dead, its fence came first and
 * every reschedule after it. Short faults (below T2) must not fence at all.
 *
 * Timers: I = 1 ms; T2 = master Detect Mult 10 x I = 10 ms; T1 = worker
 * Detect Mult 15 x I = 15 ms > T2 + I + d_max + g = 10 + 1 + 0.05 + 0.001 ms.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>

#include "master.h"
#include "runner.h"
#include "scheduler.h"
#include "task_msg.h"
#include "worker.h"

#define US(n)	    tt_us_to_ns(n)
#define MS(n)	    ((tt_ns_t)(n)*TT_NS_PER_MS)
#define QCAP	    4096
#define DG_MAX	    2048
#define MASTER_IP   0x0a000001u
#define WORKER_IP   0x0a00000bu
#define DC_BASE	    40000u
#define K	    2
#define N_TASKS	    12
#define LOG_CAP	    8192
#define NO_LIMIT    UINT32_MAX
#define NODE_MASTER 0
#define NODE_WORKER 1

/* ---- the in-test network ---- */

struct dgram {
	tt_ns_t at;
	int src;
	struct tt_udp_meta meta;
	size_t len;
	uint8_t buf[DG_MAX];
};

/* One node's side of the glue, with its faults. */
struct nic {
	int id;
	bool no_buf;	       /* tx_buf returns NULL (the pool is empty) */
	uint32_t ring_limit;   /* tx_send refuses past this many in flight (ring full) */
	uint32_t in_flight;    /* datagrams of this node in the network */
	uint64_t refused_full; /* what tx_send refused */
	uint64_t no_buf_calls; /* what tx_buf refused */
};

static struct {
	tt_ns_t now;
	tt_ns_t delay;
	struct dgram q[QCAP];
	uint32_t head, n;
	uint8_t scratch[DG_MAX];
	struct nic nic[2];
	struct tt_master *m;
	struct tt_worker *w;
	struct tt_sched_event log[LOG_CAP];
	uint64_t task_ids[N_TASKS];
	uint8_t payload[N_TASKS][4];
} N;

static uint8_t *tx_buf(void *ctx, size_t *cap)
{
	struct nic *nic = ctx;

	if (nic->no_buf) {
		nic->no_buf_calls++;
		return NULL;
	}
	*cap = sizeof(N.scratch);
	return N.scratch;
}

static int tx_send(void *ctx, const struct tt_udp_meta *meta, uint8_t *buf, size_t len)
{
	struct nic *nic = ctx;
	struct dgram *d;

	assert_true(len <= DG_MAX);
	if (nic->in_flight >= nic->ring_limit) {
		nic->refused_full++;
		return -ENOBUFS;
	}
	assert_true(N.n < QCAP);
	d = &N.q[(N.head + N.n) % QCAP];
	d->at = N.now + N.delay;
	d->src = nic->id;
	d->meta = *meta;
	d->len = len;
	memcpy(d->buf, buf, len);
	N.n++;
	nic->in_flight++;
	return 0;
}

static void deliver(const struct dgram *d)
{
	N.nic[d->src].in_flight--;
	if (d->meta.dst_ip == MASTER_IP)
		tt_master_rx(N.m, &d->meta, d->buf, d->len, N.now);
	else if (d->meta.dst_ip == WORKER_IP)
		tt_worker_rx(N.w, &d->meta, d->buf, d->len, N.now);
	else
		fail_msg("datagram to an unknown address");
}

/* Run both nodes and the network until `end`, in virtual time order. */
static void run_until(tt_ns_t end)
{
	for (unsigned long guard = 0;; guard++) {
		tt_ns_t t = end + 1, d;

		assert_true(guard < 20000000ul);
		if (N.n > 0)
			t = tt_time_min(t, N.q[N.head].at);
		if (tt_master_next_deadline(N.m, &d))
			t = tt_time_min(t, d);
		if (tt_worker_next_deadline(N.w, &d))
			t = tt_time_min(t, d);
		if (tt_time_after(t, end)) {
			N.now = end;
			return;
		}
		if (tt_time_after(t, N.now))
			N.now = t;
		while (N.n > 0 && tt_time_reached(N.now, N.q[N.head].at)) {
			struct dgram d0 = N.q[N.head];

			N.head = (N.head + 1) % QCAP;
			N.n--;
			deliver(&d0);
		}
		if (tt_master_next_deadline(N.m, &d) && tt_time_reached(N.now, d))
			tt_master_poll(N.m, N.now);
		if (tt_worker_next_deadline(N.w, &d) && tt_time_reached(N.now, d))
			tt_worker_poll(N.w, N.now);
	}
}

static void advance(tt_ns_t by)
{
	run_until(N.now + by);
}

static const struct tt_hb_timers MASTER_T = {1000, 1000, 10};
static const struct tt_hb_timers WORKER_T = {1000, 1000, 15};

static void dc_cfg(struct tt_dc_config *dc)
{
	tt_dc_config_default(dc);
	dc->msg_max = 4096;
	dc->window = 16;
	dc->rx_window = 16;
	dc->rto_init_ns = MS(1);
	dc->rto_min_ns = US(200);
	dc->rto_max_ns = MS(4);
	dc->max_retx = 8;
	dc->probe_interval_ns = MS(2);
	dc->probe_timeout_ns = MS(8);
}

static struct tt_master_peer_config peer_cfg = {0, WORKER_IP, DC_BASE};

/* A master and worker 0 (fence action rejoin), both Up and LIVE. */
static int setup(void **state)
{
	struct tt_master_config mc = {
		.ip = MASTER_IP,
		.n_chan = K,
		.n_workers = 1,
		.workers = &peer_cfg,
		.master_timers = MASTER_T,
		.worker_timers = WORKER_T,
		.d_max_ns = US(50),
		.granularity_ns = US(1),
		.slow_tx_us = 1000,
		.allow_fast_slow_rate = true,
		.max_tasks = 256,
		.max_outstanding = 4,
		.sched_log = N.log,
		.sched_log_cap = LOG_CAP,
		.timeline_cap = 4096,
		.seed = 7,
		.io = {tx_buf, tx_send, &N.nic[NODE_MASTER]},
	};
	struct tt_worker_config wc = {
		.worker_id = 0,
		.epoch = 1,
		.ip = WORKER_IP,
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
		.max_tasks = 4,
		.max_handlers = 8,
		.max_result = 1024,
		.fence_action = TT_WORKER_FENCE_REJOIN,
		.timeline_cap = 4096,
		.seed = 1000,
		.io = {tx_buf, tx_send, &N.nic[NODE_WORKER]},
	};
	char err[512];

	(void)state;
	memset(&N, 0, sizeof(N));
	N.now = MS(1);
	N.delay = US(20);
	for (int i = 0; i < 2; i++)
		N.nic[i] = (struct nic){.id = i, .ring_limit = NO_LIMIT};
	dc_cfg(&mc.dc);
	dc_cfg(&wc.dc);
	N.m = tt_master_create(&mc, N.now, err, sizeof(err));
	N.w = tt_worker_create(&wc, N.now, err, sizeof(err));
	if (N.m == NULL || N.w == NULL) {
		fprintf(stderr, "exhaust: create: %s\n", err);
		return -1;
	}
	advance(MS(30));
	if (tt_worker_state(N.w) != TT_WORKER_S_LIVE)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_worker_destroy(N.w);
	tt_master_destroy(N.m);
	N.w = NULL;
	N.m = NULL;
	urcu_qsbr_quiescent_state();
	return 0;
}

/* Submit N_TASKS spin tasks of `us` microseconds. */
static void submit_all(uint32_t us)
{
	for (unsigned int i = 0; i < N_TASKS; i++) {
		uint8_t *p = N.payload[i];

		p[0] = (uint8_t)(us >> 24);
		p[1] = (uint8_t)(us >> 16);
		p[2] = (uint8_t)(us >> 8);
		p[3] = (uint8_t)us;
		assert_int_equal(tt_master_submit(N.m, "spin", p, 4, N.now, &N.task_ids[i]), 0);
	}
}

/* Run until every task is committed (bounded); each exactly once, none stale. */
static void assert_exactly_once(void)
{
	const struct tt_sched *s = tt_master_sched(N.m);
	unsigned int commits[N_TASKS] = {0};
	uint32_t len;

	for (unsigned int step = 0; step < 1000; step++) {
		unsigned int done = 0;

		for (unsigned int i = 0; i < N_TASKS; i++) {
			struct tt_sched_task_info ti;

			assert_int_equal(tt_sched_task(s, N.task_ids[i], &ti), 0);
			done += ti.state == TT_SCHED_S_COMMITTED;
		}
		if (done == N_TASKS)
			break;
		advance(MS(1));
	}
	assert_int_equal(tt_sched_counters(s)->log_dropped, 0);
	len = tt_sched_log_len(s);
	for (uint32_t e = 0; e < len; e++) {
		if (N.log[e].kind != TT_SCHED_EV_RESULT_COMMIT)
			continue;
		for (unsigned int i = 0; i < N_TASKS; i++)
			if (N.log[e].task_id == N.task_ids[i]) {
				commits[i]++;
				/* The handler ran: never a refusal committed as the outcome. */
				assert_int_equal(N.log[e].aux, TT_TMSG_ST_OK);
			}
	}
	for (unsigned int i = 0; i < N_TASKS; i++)
		assert_int_equal(commits[i], 1);
	assert_int_equal(tt_sched_counters(s)->results[TT_SCHED_COMMIT], N_TASKS);
	assert_int_equal(tt_master_counters(N.m)->step_errors, 0);
	assert_int_equal(tt_worker_counters(N.w)->step_errors, 0);
}

/* The master declared the worker dead, the worker fenced first, every reschedule after it. */
static void assert_fence_first(void)
{
	struct tt_fence_tl *mt = tt_master_timeline(N.m), *wt = tt_worker_timeline(N.w);
	int64_t d = tt_fence_tl_find(mt, 0, TT_FENCE_EV_WORKER_DEAD, 0, UINT64_MAX);
	int64_t f = tt_fence_tl_find(wt, 0, TT_FENCE_EV_FENCE, 0, UINT64_MAX);
	tt_ns_t fence_ns;

	assert_int_equal(tt_fence_tl_dropped(mt), 0);
	assert_int_equal(tt_fence_tl_dropped(wt), 0);
	assert_true(d >= 0);
	assert_true(f >= 0);
	fence_ns = tt_fence_tl_at(wt, (uint32_t)f)->time_ns;
	assert_true(tt_time_before(fence_ns, tt_fence_tl_at(mt, (uint32_t)d)->time_ns));
	for (int64_t r = tt_fence_tl_find(mt, 0, TT_FENCE_EV_RESCHEDULE, UINT32_MAX, UINT64_MAX);
	     r >= 0; r = tt_fence_tl_find(mt, (uint32_t)r + 1, TT_FENCE_EV_RESCHEDULE, UINT32_MAX,
					  UINT64_MAX))
		assert_true(tt_time_before(fence_ns, tt_fence_tl_at(mt, (uint32_t)r)->time_ns));
}

/* ---- tests ---- */

/* The master's pool empty for 4 ms (< T2): ASSIGNs and heartbeats lost, counted; no fence. */
static void test_master_no_buf_short(void **state)
{
	const struct tt_master_counters *mc = tt_master_counters(N.m);

	(void)state;
	N.nic[NODE_MASTER].no_buf = true;
	submit_all(200);
	advance(MS(4));
	N.nic[NODE_MASTER].no_buf = false;
	assert_true(mc->tx.no_buf > 0);
	assert_int_equal(mc->tx.no_buf, N.nic[NODE_MASTER].no_buf_calls);
	assert_exactly_once();
	assert_int_equal(tt_worker_counters(N.w)->fences, 0);
	assert_int_equal(mc->workers_dead, 0);
	assert_int_equal(tt_worker_state(N.w), TT_WORKER_S_LIVE);
	printf("# master pool empty 4 ms: master tx.no_buf=%" PRIu64 ", tasks committed once, "
	       "no fence\n",
	       mc->tx.no_buf);
}

/* The master's pool empty for 40 ms (> T1): the worker fences first, re-joins; each task once. */
static void test_master_no_buf_long(void **state)
{
	const struct tt_master_counters *mc = tt_master_counters(N.m);

	(void)state;
	submit_all(5000);
	advance(MS(2));
	N.nic[NODE_MASTER].no_buf = true;
	advance(MS(40));
	N.nic[NODE_MASTER].no_buf = false;
	assert_true(mc->tx.no_buf > 0);
	/* Heard nothing for T2: the worker fenced itself. */
	assert_true(tt_worker_counters(N.w)->fences >= 1);
	assert_exactly_once();
	assert_fence_first();
	assert_true(tt_worker_epoch(N.w) > 1);
	printf("# master pool empty 40 ms: master tx.no_buf=%" PRIu64 ", worker fences=%" PRIu64
	       ", workers_dead=%" PRIu64 ", rescheduled=%" PRIu64 ", each task committed once\n",
	       mc->tx.no_buf, tt_worker_counters(N.w)->fences, mc->workers_dead,
	       tt_sched_counters(tt_master_sched(N.m))->rescheduled);
}

/* The worker's pool empty for 40 ms (> T1): no results, no heartbeats; safe, each task once. */
static void test_worker_no_buf_long(void **state)
{
	const struct tt_worker_counters *wc = tt_worker_counters(N.w);
	const struct tt_master_counters *mc = tt_master_counters(N.m);

	(void)state;
	submit_all(5000);
	advance(MS(2));
	N.nic[NODE_WORKER].no_buf = true;
	advance(MS(40));
	N.nic[NODE_WORKER].no_buf = false;
	assert_true(wc->tx.no_buf > 0);
	assert_int_equal(wc->tx.no_buf, N.nic[NODE_WORKER].no_buf_calls);
	/* No heartbeat left the worker for longer than T1. */
	assert_true(wc->fences >= 1);
	assert_true(mc->workers_dead >= 1);
	assert_exactly_once();
	assert_fence_first();
	printf("# worker pool empty 40 ms: worker tx.no_buf=%" PRIu64 ", fences=%" PRIu64
	       ", master workers_dead=%" PRIu64 ", each task committed once\n",
	       wc->tx.no_buf, wc->fences, mc->workers_dead);
}

/* Both TX rings hold one datagram for 5 ms (< T2): refusals counted; no fence, each task once. */
static void test_ring_full_short(void **state)
{
	const struct tt_master_counters *mc = tt_master_counters(N.m);
	const struct tt_worker_counters *wc = tt_worker_counters(N.w);

	(void)state;
	N.nic[NODE_MASTER].ring_limit = 1;
	N.nic[NODE_WORKER].ring_limit = 1;
	submit_all(100);
	advance(MS(5));
	N.nic[NODE_MASTER].ring_limit = NO_LIMIT;
	N.nic[NODE_WORKER].ring_limit = NO_LIMIT;
	assert_true(mc->tx.send_failed + wc->tx.send_failed > 0);
	assert_int_equal(mc->tx.send_failed, N.nic[NODE_MASTER].refused_full);
	assert_int_equal(wc->tx.send_failed, N.nic[NODE_WORKER].refused_full);
	assert_exactly_once();
	assert_int_equal(wc->fences, 0);
	assert_int_equal(mc->workers_dead, 0);
	printf("# TX rings of one slot for 5 ms: master tx.send_failed=%" PRIu64
	       ", worker tx.send_failed=%" PRIu64 ", no fence, each task committed once\n",
	       mc->tx.send_failed, wc->tx.send_failed);
}

/* The master's ring refuses everything for 40 ms (> T1): as the empty pool, fence first. */
static void test_ring_full_long(void **state)
{
	const struct tt_master_counters *mc = tt_master_counters(N.m);

	(void)state;
	submit_all(5000);
	advance(MS(2));
	N.nic[NODE_MASTER].ring_limit = 0;
	advance(MS(40));
	N.nic[NODE_MASTER].ring_limit = NO_LIMIT;
	assert_true(mc->tx.send_failed > 0);
	assert_true(tt_worker_counters(N.w)->fences >= 1);
	assert_exactly_once();
	assert_fence_first();
	printf("# master TX ring full 40 ms: master tx.send_failed=%" PRIu64
	       ", worker fences=%" PRIu64 ", each task committed once\n",
	       mc->tx.send_failed, tt_worker_counters(N.w)->fences);
}

/* More tasks than the worker's capacity (max_outstanding 4): the rest wait PENDING. */
static void test_capacity(void **state)
{
	const struct tt_sched *s = tt_master_sched(N.m);
	unsigned int max_assigned = 0;

	(void)state;
	submit_all(3000);
	for (unsigned int step = 0; step < 40; step++) {
		unsigned int assigned = 0, pending = 0;

		for (unsigned int i = 0; i < N_TASKS; i++) {
			struct tt_sched_task_info ti;

			assert_int_equal(tt_sched_task(s, N.task_ids[i], &ti), 0);
			assigned += ti.state == TT_SCHED_S_ASSIGNED;
			pending += ti.state == TT_SCHED_S_PENDING;
		}
		if (assigned > max_assigned)
			max_assigned = assigned;
		assert_true(assigned <= 4);
		if (step == 0)
			assert_int_equal(pending, N_TASKS - 4);
		advance(US(500));
	}
	assert_int_equal(max_assigned, 4);
	assert_exactly_once();
	assert_int_equal(tt_master_counters(N.m)->send_queue_full, 0);
	assert_int_equal(tt_run_counters(tt_worker_runner(N.w))->assigns[TT_RUN_FULL], 0);
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
		cmocka_unit_test_setup_teardown(test_master_no_buf_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_master_no_buf_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_no_buf_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
