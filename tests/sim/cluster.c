/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A master and N workers on the simulator, a seeded fault schedule and a
 * task load; the checker is in cluster_check.c. See cluster.h for the model.
 *
 * The run is a loop of "run the simulator up to the next thing the harness
 * must do, then do it": a fault starting or ending, a task submitted or
 * cancelled, a supervisor restarting a process. Before each of these every
 * timeline is drained into the record, so that a worker's history holds its
 * own events and the harness's (pause, crash, start) in the order they
 * happened.
 */
#include "cluster.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_wire.h"
#include "dc_wire.h"
#include "hb_policy.h"
#include "master.h"
#include "runner.h"
#include "task_msg.h"

/* ---- names --------------------------------------------------------------------------------- */

static const char *const fault_names[] = {
#define TT_X(name, str) str,
	TT_CLUSTER_FAULTS(TT_X)
#undef TT_X
};

static const char *const dir_names[] = {
#define TT_X(name, str) str,
	TT_CLUSTER_DIRS(TT_X)
#undef TT_X
};

static const char *const mode_names[] = {
#define TT_X(name, str) str,
	TT_CLUSTER_MODES(TT_X)
#undef TT_X
};

static const char *const violation_names[] = {
#define TT_X(name, str) str,
	TT_CLUSTER_VIOLATIONS(TT_X)
#undef TT_X
};

static const char *const hevent_names[] = {
#define TT_X(name, str) str,
	TT_CLUSTER_HEVENTS(TT_X)
#undef TT_X
};

const char *tt_cluster_fault_name(unsigned int kind)
{
	return kind < TT_CLUSTER_F_MAX ? fault_names[kind] : "?";
}

const char *tt_cluster_dir_name(unsigned int dir)
{
	return dir < TT_CLUSTER_DIR_MAX ? dir_names[dir] : "?";
}

const char *tt_cluster_mode_name(unsigned int mode)
{
	return mode < TT_CLUSTER_MODE_MAX ? mode_names[mode] : "?";
}

const char *tt_cluster_violation_name(unsigned int v)
{
	return v < TT_CLUSTER_V_MAX ? violation_names[v] : "?";
}

const char *tt_cluster_wrec_name(unsigned int kind)
{
	if (kind < TT_FENCE_EV_MAX)
		return tt_fence_event_name(kind);
	if (kind > TT_CLUSTER_H_BASE && kind < TT_CLUSTER_H_END)
		return hevent_names[kind - TT_CLUSTER_H_BASE - 1];
	return "?";
}

/* ---- the generator ------------------------------------------------------------------------- */

/* splitmix64: the generator's own stream, independent of the simulator's. */
static uint64_t gen_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform enough in [lo, hi] for choosing scenarios (the modulo bias is irrelevant here). */
static uint64_t gen_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + gen_next(s) % (hi - lo + 1);
}

static bool gen_pct(uint64_t *s, unsigned int pct)
{
	return gen_next(s) % 100 < pct;
}

static struct tt_hb_policy_input policy_input(const struct tt_cluster_params *p)
{
	struct tt_hb_policy_input in = {
		.master = {p->master_timers.desired_min_tx_us, p->master_timers.required_min_rx_us,
			   p->master_timers.detect_mult},
		.worker = {p->worker_timers.desired_min_tx_us, p->worker_timers.required_min_rx_us,
			   p->worker_timers.detect_mult},
		.d_max_ns = p->d_max_ns,
		.granularity_ns = p->g_ns,
	};

	return in;
}

/* Relative weights of the fault kinds in a random schedule. */
static const uint8_t fault_weight[TT_CLUSTER_F_MAX] = {
	[TT_CLUSTER_F_LOSS] = 3,
	[TT_CLUSTER_F_DELAY] = 2,
	[TT_CLUSTER_F_JITTER] = 2,
	[TT_CLUSTER_F_REORDER] = 2,
	[TT_CLUSTER_F_DUP] = 2,
	[TT_CLUSTER_F_PART_ONE_DC] = 4,
	[TT_CLUSTER_F_PART_ALL_DC] = 3,
	[TT_CLUSTER_F_PART_HB] = 3,
	[TT_CLUSTER_F_PART_ALL] = 3,
	[TT_CLUSTER_F_PAUSE] = 4,
	[TT_CLUSTER_F_CRASH] = 1,
	[TT_CLUSTER_F_CRASH_RESTART] = 2,
	[TT_CLUSTER_F_OP_CUT_MASTER] = 2,
	[TT_CLUSTER_F_OP_CUT_WORKER] = 2,
	[TT_CLUSTER_F_LINK_DOWN_WORKER] = 1,
	[TT_CLUSTER_F_LINK_DOWN_MASTER] = 1,
};

static void gen_fault(uint64_t *s, const struct tt_cluster_params *p, tt_ns_t t1, tt_ns_t t2,
		      tt_ns_t from, tt_ns_t len, bool *crashed_for_good, struct tt_cluster_fault *f)
{
	unsigned int total = 0, pick, kind = 0;
	uint32_t alive_left = 0;

	for (unsigned int k = 0; k < TT_CLUSTER_F_MAX; k++)
		total += fault_weight[k];
	pick = (unsigned int)gen_range(s, 0, total - 1);
	while (pick >= fault_weight[kind])
		pick -= fault_weight[kind++];
	memset(f, 0, sizeof(*f));
	f->kind = (uint8_t)kind;
	f->at_ns = from + gen_range(s, 0, len);
	f->worker = (uint32_t)gen_range(s, 0, p->n_workers - 1);
	f->dir = TT_CLUSTER_DIR_BOTH;
	if (gen_pct(s, 40))
		f->dir = gen_pct(s, 50) ? TT_CLUSTER_DIR_M2W : TT_CLUSTER_DIR_W2M;
	f->chan = (uint8_t)gen_range(s, 0, p->n_chan - 1);
	f->scope_hb = 0;
	f->dur_ns = gen_range(s, t2 / 2, 4 * t1);
	switch ((enum tt_cluster_fault_kind)kind) {
	case TT_CLUSTER_F_LOSS:
	case TT_CLUSTER_F_DELAY:
	case TT_CLUSTER_F_JITTER:
	case TT_CLUSTER_F_REORDER:
	case TT_CLUSTER_F_DUP:
		if (gen_pct(s, 50))
			f->chan = 0xff;
		f->scope_hb = gen_pct(s, 50);
		if (gen_pct(s, 10))
			f->worker = TT_CLUSTER_ALL_WORKERS;
		f->params.loss_ppm = (uint32_t)gen_range(s, 50000, 1000000);
		f->params.delay_ns = p->d_max_ns;
		f->params.jitter_ns = gen_range(s, p->d_max_ns / 2, p->d_max_ns);
		f->params.reorder_ppm = (uint32_t)gen_range(s, 50000, 300000);
		f->params.reorder_ns = p->d_max_ns / 2 + 1;
		f->params.dup_ppm = (uint32_t)gen_range(s, 50000, 500000);
		break;
	case TT_CLUSTER_F_PART_ONE_DC:
	case TT_CLUSTER_F_PART_ALL_DC:
	case TT_CLUSTER_F_PART_HB:
	case TT_CLUSTER_F_PART_ALL:
		if (gen_pct(s, 8))
			f->worker = TT_CLUSTER_ALL_WORKERS;
		break;
	case TT_CLUSTER_F_PAUSE:
		/* Mostly longer than T1 (the epochs' case), sometimes shorter (T2's). */
		if (gen_pct(s, 75))
			f->dur_ns = t1 + gen_range(s, t1 / 10, 2 * t1);
		else
			f->dur_ns = gen_range(s, t2 / 10, t1);
		break;
	case TT_CLUSTER_F_CRASH:
		for (uint32_t i = 0; i < p->n_workers; i++)
			alive_left += !crashed_for_good[i];
		if (alive_left <= 1 || crashed_for_good[f->worker]) {
			f->kind = TT_CLUSTER_F_CRASH_RESTART;
			f->dur_ns = gen_range(s, 0, 3 * t1);
			break;
		}
		crashed_for_good[f->worker] = true;
		f->dur_ns = 0;
		break;
	case TT_CLUSTER_F_CRASH_RESTART:
		f->dur_ns = gen_range(s, 0, 3 * t1);
		break;
	case TT_CLUSTER_F_OP_CUT_MASTER:
	case TT_CLUSTER_F_OP_CUT_WORKER:
		break;
	case TT_CLUSTER_F_LINK_DOWN_WORKER:
	case TT_CLUSTER_F_LINK_DOWN_MASTER:
		f->dur_ns = 0;
		break;
	case TT_CLUSTER_F_MAX:
		break;
	}
}

void tt_cluster_params_gen(uint64_t seed, enum tt_cluster_mode mode, struct tt_cluster_params *p)
{
	static const uint32_t intervals_us[] = {250, 500, 1000, 2000};
	uint64_t s = seed ^ 0x636c757374657221ull;
	struct tt_hb_policy_input in;
	struct tt_hb_policy_times t;
	bool crashed_for_good[TT_CLUSTER_MAX_WORKERS] = {false};
	uint64_t sz = gen_range(&s, 0, 99);
	uint32_t i_us;
	tt_ns_t i_ns, slack, window_from, window_len;

	memset(p, 0, sizeof(*p));
	p->seed = seed;
	p->n_workers = sz < 70	 ? (uint32_t)gen_range(&s, 2, 4)
		       : sz < 96 ? (uint32_t)gen_range(&s, 5, 12)
				 : (uint32_t)gen_range(&s, 13, TT_CLUSTER_MAX_WORKERS);
	p->n_chan = (uint8_t)(p->n_workers <= 12 ? gen_range(&s, 1, 4) : gen_range(&s, 1, 2));
	if (p->n_workers <= 4 && gen_pct(&s, 4))
		p->n_chan = TT_CLUSTER_MAX_CHAN;

	i_us = intervals_us[gen_range(&s, 0, 3)];
	i_ns = tt_us_to_ns(i_us);
	p->g_ns = i_ns / gen_range(&s, 10, 50);
	p->d_max_ns = i_ns * gen_range(&s, 5, 40) / 100;
	p->master_timers = (struct tt_hb_timers){i_us, i_us, (uint8_t)gen_range(&s, 2, 5)};
	p->worker_timers = (struct tt_hb_timers){i_us, i_us, 1};
	if (mode == TT_CLUSTER_MODE_UNSAFE_T1 || mode == TT_CLUSTER_MODE_UNSAFE_TIMERS) {
		/* T1 <= T2 + I: the worker's mult at most the master's + 1. */
		p->worker_timers.detect_mult =
			(uint8_t)gen_range(&s, 1, p->master_timers.detect_mult + 1u);
		p->skip_policy_check = true;
		if (mode == TT_CLUSTER_MODE_UNSAFE_TIMERS) {
			/* The master's WORKER_DEAD guard (hb_fsm.h) waits T2 + d_max + g after
			 * its last alive packet whatever T1 is: only a d_max and a g below the
			 * real ones make the pair unsafe. */
			p->cfg_d_max_ns = 1;
			p->cfg_g_ns = 1;
		}
	} else {
		for (;;) {
			in = policy_input(p);
			if (tt_hb_policy_check(&in, NULL, 0) == 0)
				break;
			p->worker_timers.detect_mult++;
		}
		p->worker_timers.detect_mult += (uint8_t)gen_range(&s, 0, 2);
	}
	in = policy_input(p);
	tt_hb_policy_compute(&in, &t, NULL, 0);

	/* Base link quality: delay + jitter + reordering stay within d_max. */
	p->base.delay_ns = p->d_max_ns * gen_range(&s, 10, 50) / 100;
	slack = p->d_max_ns - p->base.delay_ns;
	p->base.jitter_ns = gen_range(&s, 0, slack / 2);
	if (gen_pct(&s, 30)) {
		p->base.reorder_ns = slack - p->base.jitter_ns;
		p->base.reorder_ppm =
			p->base.reorder_ns > 0 ? (uint32_t)gen_range(&s, 1000, 50000) : 0;
	}
	if (gen_pct(&s, 50))
		p->base.loss_ppm = (uint32_t)gen_range(&s, 100, 10000);
	if (gen_pct(&s, 30))
		p->base.dup_ppm = (uint32_t)gen_range(&s, 1000, 20000);

	p->pause_ring = gen_pct(&s, 50) ? (uint32_t)gen_range(&s, 2, 32) : 256;
	p->mtu = gen_pct(&s, 50) ? 576 : 1500;
	p->window = (uint16_t)gen_range(&s, 4, 16);
	p->probe_interval_ns = i_ns * gen_range(&s, 2, 4);
	p->probe_timeout_ns = p->probe_interval_ns * gen_range(&s, 3, 5);
	p->rto_min_ns = 2 * p->d_max_ns + p->g_ns;
	p->rto_max_ns = p->probe_timeout_ns;
	p->max_retx = (uint8_t)gen_range(&s, 3, 8);
	p->split_master = gen_pct(&s, 30);
	p->split_worker = gen_pct(&s, 30);
	p->fence_action = gen_pct(&s, 70) ? TT_WORKER_FENCE_REJOIN : TT_WORKER_FENCE_EXIT;
	p->exit_restart_ns = gen_range(&s, 0, 3 * t.t1_ns);
	p->max_outstanding = (uint32_t)gen_range(&s, 2, 8);
	p->epochs_disabled = mode == TT_CLUSTER_MODE_NO_EPOCHS;

	window_from = 4 * t.t1_ns;
	window_len = 30 * t.t1_ns;
	p->n_tasks = (uint32_t)(6 + p->n_workers * gen_range(&s, 4, 12));
	p->submit_from_ns = 2 * t.t1_ns;
	p->submit_until_ns = window_from + window_len;
	p->spin_max_us = (uint32_t)(t.t1_ns * gen_range(&s, 5, 30) / 10 / TT_NS_PER_US);
	p->echo_pct = 20;
	p->echo_max_bytes = (uint32_t)gen_range(&s, 1, 3000);
	p->cancel_pct = 5;

	{
		static const uint8_t n_table[20] = {0, 1, 1, 1, 2, 2, 2, 2, 3, 3,
						    3, 3, 4, 4, 4, 5, 5, 6, 7, 8};

		p->n_faults = n_table[gen_range(&s, 0, 19)];
	}
	for (uint32_t k = 0; k < p->n_faults; k++)
		gen_fault(&s, p, t.t1_ns, t.t2_ns, window_from, window_len, crashed_for_good,
			  &p->faults[k]);
	if (mode == TT_CLUSTER_MODE_NO_EPOCHS) {
		/* Make sure of a long pause of a busy worker; tasks no longer than T1,
		 * so that every task it holds when the pause starts finishes before
		 * the pause (2 to 4 x T1) ends: the woken naive worker has results to
		 * send for tasks the master rescheduled meanwhile. */
		struct tt_cluster_fault *f = &p->faults[p->n_faults++];

		memset(f, 0, sizeof(*f));
		f->kind = TT_CLUSTER_F_PAUSE;
		f->worker = (uint32_t)gen_range(&s, 0, p->n_workers - 1);
		f->at_ns = window_from + gen_range(&s, 0, window_len / 2);
		f->dur_ns = 2 * t.t1_ns + gen_range(&s, 0, 2 * t.t1_ns);
		p->spin_max_us = (uint32_t)(t.t1_ns / TT_NS_PER_US);
		/* Enough tasks (half a T1 each on average over the 30 x T1 window)
		 * that every worker is busy most of the time. */
		p->n_tasks = p->n_workers * 60;
		/* Channels that outlive the pause: every dc_fsm step checks the probe
		 * timeout, so a shorter one would take the woken worker's channels
		 * down before its first RESULT goes out. */
		p->probe_timeout_ns = 6 * t.t1_ns;
		p->rto_max_ns = p->probe_timeout_ns;
	}
	{
		uint64_t rounds = p->n_tasks / p->max_outstanding + 2;

		p->quiesce_max_ns = 100 * t.t1_ns + rounds * tt_us_to_ns(p->spin_max_us) * 2;
	}
}

/* ---- the harness --------------------------------------------------------------------------- */

#define MASTER_IP      0x0a000001u
#define WORKER_IP_BASE 0x0a000100u
#define WORKER_ID_BASE 100u
#define WORKER_DC_BASE 5000u
#define WORKER_HB_SRC  49200u
#define HDR_LEN	       16 /* the pseudo header: UDP addressing of the datagram */
#define DGRAM_MAX      9216
#define BUF_CAP	       (HDR_LEN + DGRAM_MAX)
#define WTL_CAP	       8192
#define MTL_CAP	       65536
#define NO_TIME	       UINT64_MAX
#define SPIN_PAYLOAD   8

struct tt_cluster;

/* What every node owns: a transmit buffer, and who it is. */
struct cl_node {
	struct tt_cluster *cl;
	uint32_t idx; /* worker index, or UINT32_MAX for the master */
	uint32_t node;
	uint8_t buf[BUF_CAP];
};

struct cl_worker {
	struct cl_node n;
	struct tt_worker *w; /* the running process, or NULL */
	uint32_t gen;	     /* process generation: bumps at each start */
	uint32_t last_epoch; /* highest epoch any of its processes used */
	bool restart_pending;
	tt_ns_t restart_at;
	uint32_t pause_depth;
	uint32_t mcut[TT_CLUSTER_MAX_CHAN]; /* operator cuts at the master, nested */
	uint32_t wcut[TT_CLUSTER_MAX_CHAN]; /* operator cuts at the worker, nested */
	uint32_t wcut_gen[TT_CLUSTER_MAX_CHAN];
};

enum act_type { ACT_FAULT_START, ACT_FAULT_END, ACT_SUBMIT, ACT_CANCEL };

struct action {
	tt_ns_t at;
	uint32_t seq;
	uint8_t type;
	uint32_t idx;
};

struct tt_cluster {
	const struct tt_cluster_params *p;
	struct tt_cluster_result *r;
	bool verbose;
	struct tt_netsim *sim;
	struct tt_master *m;
	struct cl_node mn;
	struct cl_worker *w;
	uint32_t lpw; /* links per worker: 2 + 2K */
	uint32_t n_links;
	uint32_t *cut_ref;
	bool *imp_active; /* per fault */
	tt_ns_t i_ns;
	struct tt_hb_policy_times pol;
	/* load */
	uint8_t *payload;
	uint32_t stride;
	uint32_t *plen;
	uint64_t *task_id;
	struct action *act;
	uint32_t n_act;
	/* record */
	struct tt_sched_event *log;
	uint32_t log_cap;
	struct tt_fence_event *mtl;
	uint32_t n_mtl, cap_mtl;
	struct tt_cluster_wrec *wrec;
	uint32_t n_wrec, cap_wrec;
	struct tt_fence_event drain_buf[256];
	uint64_t tl_dropped;
	/* plumbing */
	uint64_t unroutable;
	uint64_t rx_bad;
	uint64_t endpoint_bugs;
	char bug_what[256];
};

static void plumbing(struct tt_cluster *cl, const char *what)
{
	if (cl->endpoint_bugs++ == 0)
		snprintf(cl->bug_what, sizeof(cl->bug_what), "%s", what);
}

/* ---- links and routing ---- */

enum { L_HB_M2W, L_HB_W2M, L_DC0 };

static uint32_t link_hb(const struct tt_cluster *cl, uint32_t w, bool w2m)
{
	return w * cl->lpw + (w2m ? L_HB_W2M : L_HB_M2W);
}

static uint32_t link_dc(const struct tt_cluster *cl, uint32_t w, unsigned int c, bool w2m)
{
	return w * cl->lpw + L_DC0 + 2 * c + (w2m ? 1 : 0);
}

static void put_hdr(uint8_t *b, const struct tt_udp_meta *m)
{
	memset(b, 0, HDR_LEN);
	memcpy(b, &m->src_ip, 4);
	memcpy(b + 4, &m->dst_ip, 4);
	memcpy(b + 8, &m->src_port, 2);
	memcpy(b + 10, &m->dst_port, 2);
	b[12] = m->ttl;
}

static void get_hdr(const uint8_t *b, struct tt_udp_meta *m)
{
	memcpy(&m->src_ip, b, 4);
	memcpy(&m->dst_ip, b + 4, 4);
	memcpy(&m->src_port, b + 8, 2);
	memcpy(&m->dst_port, b + 10, 2);
	m->ttl = b[12];
}

static uint8_t *io_tx_buf(void *ctx, size_t *cap)
{
	struct cl_node *n = ctx;

	*cap = DGRAM_MAX;
	return n->buf + HDR_LEN;
}

/*
 * The flow of a datagram decides its link: master -> worker by destination
 * address (the worker) and port (3784: heartbeat; dc_port_base + c: channel
 * c); worker -> master by destination port (3784, or the master's data port
 * from dc_port_base + c).
 */
static int route(const struct tt_cluster *cl, const struct cl_node *n, const struct tt_udp_meta *m,
		 uint32_t *link)
{
	uint32_t w, c;

	if (n->idx == UINT32_MAX) {
		w = m->dst_ip - WORKER_IP_BASE;
		if (m->src_ip != MASTER_IP || w >= cl->p->n_workers)
			return -1;
		if (m->dst_port == TT_BFD_UDP_PORT) {
			*link = link_hb(cl, w, false);
			return 0;
		}
		c = (uint32_t)m->dst_port - WORKER_DC_BASE;
		if (c >= cl->p->n_chan || m->src_port != TT_DCW_UDP_PORT)
			return -1;
		*link = link_dc(cl, w, c, false);
		return 0;
	}
	w = n->idx;
	if (m->dst_ip != MASTER_IP || m->src_ip != WORKER_IP_BASE + w)
		return -1;
	if (m->dst_port == TT_BFD_UDP_PORT) {
		*link = link_hb(cl, w, true);
		return 0;
	}
	c = (uint32_t)m->src_port - WORKER_DC_BASE;
	if (m->dst_port != TT_DCW_UDP_PORT || c >= cl->p->n_chan)
		return -1;
	*link = link_dc(cl, w, c, true);
	return 0;
}

static int io_tx_send(void *ctx, const struct tt_udp_meta *meta, uint8_t *buf, size_t len)
{
	struct cl_node *n = ctx;
	struct tt_cluster *cl = n->cl;
	uint32_t link;
	int rc;

	if (len == 0)
		return 0;
	if (buf != n->buf + HDR_LEN || len > DGRAM_MAX) {
		plumbing(cl, "tx_send with a foreign buffer or an oversize length");
		return -EINVAL;
	}
	if (route(cl, n, meta, &link) < 0) {
		cl->unroutable++;
		return -EHOSTUNREACH;
	}
	put_hdr(n->buf, meta);
	rc = tt_netsim_send(cl->sim, link, n->buf, HDR_LEN + len, tt_netsim_now(cl->sim));
	return rc < 0 ? rc : 0;
}

/* ---- record keeping ---- */

static void *grow(void *arr, uint32_t *cap, size_t elem)
{
	uint32_t ncap = *cap ? *cap * 2 : 1024;
	void *p = realloc(arr, (size_t)ncap * elem);

	if (p == NULL) {
		fprintf(stderr, "cluster: out of memory\n");
		abort();
	}
	*cap = ncap;
	return p;
}

static void wrec_push(struct tt_cluster *cl, const struct tt_cluster_wrec *e)
{
	if (cl->n_wrec == cl->cap_wrec)
		cl->wrec = grow(cl->wrec, &cl->cap_wrec, sizeof(*cl->wrec));
	cl->wrec[cl->n_wrec++] = *e;
}

static void hevent(struct tt_cluster *cl, uint32_t w, unsigned int kind, uint32_t epoch,
		   tt_ns_t now)
{
	struct tt_cluster_wrec e = {.time_ns = now,
				    .worker = w,
				    .epoch = epoch,
				    .kind = (uint16_t)kind,
				    .chan = TT_FENCE_NO_CHAN};

	wrec_push(cl, &e);
}

static void drain_worker(struct tt_cluster *cl, struct cl_worker *cw)
{
	struct tt_fence_tl *tl;
	uint32_t n;

	if (cw->w == NULL)
		return;
	tl = tt_worker_timeline(cw->w);
	while ((n = tt_fence_tl_drain(tl, cl->drain_buf, 256)) > 0)
		for (uint32_t i = 0; i < n; i++) {
			const struct tt_fence_event *ev = &cl->drain_buf[i];
			struct tt_cluster_wrec e = {
				.time_ns = ev->time_ns,
				.val = ev->val,
				.worker = cw->n.idx,
				.epoch = ev->epoch,
				.aux = ev->aux,
				.kind = ev->kind,
				.chan = ev->chan,
			};

			if (ev->kind == TT_FENCE_EV_REJOIN && ev->epoch > cw->last_epoch)
				cw->last_epoch = ev->epoch;
			wrec_push(cl, &e);
		}
}

static void drain_master(struct tt_cluster *cl)
{
	struct tt_fence_tl *tl = tt_master_timeline(cl->m);
	uint32_t n;

	while ((n = tt_fence_tl_drain(tl, cl->drain_buf, 256)) > 0)
		for (uint32_t i = 0; i < n; i++) {
			if (cl->n_mtl == cl->cap_mtl)
				cl->mtl = grow(cl->mtl, &cl->cap_mtl, sizeof(*cl->mtl));
			cl->mtl[cl->n_mtl++] = cl->drain_buf[i];
		}
}

static void drain_all(struct tt_cluster *cl)
{
	drain_master(cl);
	for (uint32_t i = 0; i < cl->p->n_workers; i++)
		drain_worker(cl, &cl->w[i]);
}

/* A process ends (crash, exit, end of run): keep its history and what it counted. */
static void worker_stop(struct tt_cluster *cl, struct cl_worker *cw)
{
	const struct tt_worker_counters *c;
	char what[160];

	if (cw->w == NULL)
		return;
	drain_worker(cl, cw);
	c = tt_worker_counters(cw->w);
	cl->tl_dropped += tt_fence_tl_dropped(tt_worker_timeline(cw->w));
	if (c->step_errors || c->encode_failed || c->cancel_dropped || c->tx.no_buf ||
	    c->tx.build_failed || c->tx.send_failed) {
		snprintf(what, sizeof(what),
			 "worker %u: step_errors %" PRIu64 " encode_failed %" PRIu64
			 " cancel_dropped %" PRIu64 " tx no_buf/build/send %" PRIu64 "/%" PRIu64
			 "/%" PRIu64,
			 cw->n.idx, c->step_errors, c->encode_failed, c->cancel_dropped,
			 c->tx.no_buf, c->tx.build_failed, c->tx.send_failed);
		plumbing(cl, what);
	}
	tt_worker_destroy(cw->w);
	cw->w = NULL;
}

/* ---- nodes ---- */

static void master_rx(void *ctx, uint32_t link, const uint8_t *b, size_t len, tt_ns_t now)
{
	struct cl_node *n = ctx;
	struct tt_udp_meta meta;

	(void)link;
	if (len < HDR_LEN) {
		n->cl->rx_bad++;
		return;
	}
	get_hdr(b, &meta);
	tt_master_rx(n->cl->m, &meta, b + HDR_LEN, len - HDR_LEN, now);
}

static void master_tick(void *ctx, tt_ns_t now)
{
	struct cl_node *n = ctx;

	tt_master_poll(n->cl->m, now);
}

static tt_ns_t master_deadline(void *ctx)
{
	struct cl_node *n = ctx;
	tt_ns_t d;

	return tt_master_next_deadline(n->cl->m, &d) ? d : TT_NETSIM_NO_DEADLINE;
}

static const struct tt_netsim_node_ops master_ops = {
	.rx = master_rx, .tick = master_tick, .next_deadline = master_deadline};

/* The process fenced with action EXIT: it is gone; the supervisor restarts it later. */
static void worker_exited(struct tt_cluster *cl, struct cl_worker *cw, tt_ns_t now)
{
	worker_stop(cl, cw);
	cw->restart_pending = true;
	cw->restart_at = now + cl->p->exit_restart_ns;
}

static void worker_rx(void *ctx, uint32_t link, const uint8_t *b, size_t len, tt_ns_t now)
{
	struct cl_worker *cw = ctx;
	struct tt_udp_meta meta;

	(void)link;
	if (cw->w == NULL)
		return; /* no process: the port drops it */
	if (len < HDR_LEN) {
		cw->n.cl->rx_bad++;
		return;
	}
	get_hdr(b, &meta);
	if (tt_worker_rx(cw->w, &meta, b + HDR_LEN, len - HDR_LEN, now) == TT_WORKER_EXITED)
		worker_exited(cw->n.cl, cw, now);
}

static void worker_tick(void *ctx, tt_ns_t now)
{
	struct cl_worker *cw = ctx;

	if (cw->w != NULL && tt_worker_poll(cw->w, now) == TT_WORKER_EXITED)
		worker_exited(cw->n.cl, cw, now);
}

static tt_ns_t worker_deadline(void *ctx)
{
	struct cl_worker *cw = ctx;
	tt_ns_t d;

	if (cw->w == NULL || !tt_worker_next_deadline(cw->w, &d))
		return TT_NETSIM_NO_DEADLINE;
	return d;
}

static const struct tt_netsim_node_ops worker_ops = {
	.rx = worker_rx, .tick = worker_tick, .next_deadline = worker_deadline};

/* ---- configuration ---- */

static tt_ns_t told_d_max(const struct tt_cluster_params *p)
{
	return p->cfg_d_max_ns ? p->cfg_d_max_ns : p->d_max_ns;
}

static tt_ns_t told_g(const struct tt_cluster_params *p)
{
	return p->cfg_g_ns ? p->cfg_g_ns : p->g_ns;
}

static void dc_template(const struct tt_cluster_params *p, struct tt_dc_config *dc)
{
	tt_dc_config_default(dc);
	dc->mtu = p->mtu;
	dc->msg_max = 4096;
	dc->window = p->window;
	dc->rx_window = p->window;
	dc->rto_min_ns = p->rto_min_ns;
	dc->rto_init_ns = 2 * p->rto_min_ns;
	dc->rto_max_ns = p->rto_max_ns > dc->rto_init_ns ? p->rto_max_ns : dc->rto_init_ns;
	dc->granularity_ns = p->g_ns;
	dc->max_retx = p->max_retx;
	dc->probe_interval_ns = p->probe_interval_ns;
	dc->probe_timeout_ns = p->probe_timeout_ns;
}

static int worker_start(struct tt_cluster *cl, struct cl_worker *cw, uint32_t epoch, tt_ns_t now)
{
	const struct tt_cluster_params *p = cl->p;
	struct tt_worker_config c = {
		.worker_id = WORKER_ID_BASE + cw->n.idx,
		.epoch = epoch,
		.ip = WORKER_IP_BASE + cw->n.idx,
		.master_ip = MASTER_IP,
		.hb_src_port = WORKER_HB_SRC,
		.dc_port_base = WORKER_DC_BASE,
		.n_chan = p->n_chan,
		.worker_timers = p->worker_timers,
		.master_timers = p->master_timers,
		.d_max_ns = told_d_max(p),
		.granularity_ns = told_g(p),
		.slow_tx_us = p->worker_timers.desired_min_tx_us,
		.allow_fast_slow_rate = true,
		.skip_policy_check = p->skip_policy_check,
		/* Negative control (b): a naive worker, too (worker.h). */
		.wake_check_disabled = p->epochs_disabled,
		.max_tasks = p->max_outstanding + 2,
		.max_handlers = 4,
		.max_result = 4096,
		.fence_action = p->fence_action,
		.timeline_cap = WTL_CAP,
		.hb_lcore = 0,
		.dc_lcore = p->split_worker ? 1 : 0,
		.seed = p->seed * 131 + cw->n.idx * 7 + epoch,
		.io = {io_tx_buf, io_tx_send, &cw->n},
	};
	char err[512];

	dc_template(p, &c.dc);
	cw->w = tt_worker_create(&c, now, err, sizeof(err));
	if (cw->w == NULL) {
		snprintf(cl->r->why, sizeof(cl->r->why), "tt_worker_create: %s", err);
		return -EINVAL;
	}
	cw->gen++;
	if (epoch > cw->last_epoch)
		cw->last_epoch = epoch;
	hevent(cl, cw->n.idx, TT_CLUSTER_H_START, epoch, now);
	return 0;
}

/* ---- faults ---- */

/* Does link fault f hit the link of worker w, flow (hb, or channel c), direction w2m? */
static bool link_targeted(const struct tt_cluster_fault *f, uint32_t w, bool hb, unsigned int c,
			  bool w2m)
{
	if (f->worker != TT_CLUSTER_ALL_WORKERS && f->worker != w)
		return false;
	if ((f->dir == TT_CLUSTER_DIR_M2W && w2m) || (f->dir == TT_CLUSTER_DIR_W2M && !w2m))
		return false;
	switch ((enum tt_cluster_fault_kind)f->kind) {
	case TT_CLUSTER_F_PART_ONE_DC:
		return !hb && c == f->chan;
	case TT_CLUSTER_F_PART_ALL_DC:
		return !hb;
	case TT_CLUSTER_F_PART_HB:
		return hb;
	case TT_CLUSTER_F_PART_ALL:
		return true;
	default: /* impairments */
		return hb ? f->scope_hb : (f->chan == 0xff || c == f->chan);
	}
}

/*
 * A link's parameters: the base, with each active impairment's field raised
 * to the impairment's value; then clamped so that delay + jitter + reorder
 * hold-back stay within d_max (the timing rule's premise).
 */
static void link_recompute(struct tt_cluster *cl, uint32_t link, uint32_t w, bool hb,
			   unsigned int c, bool w2m)
{
	const struct tt_cluster_params *p = cl->p;
	struct tt_netsim_link_params lp = p->base;
	tt_ns_t room;

	for (uint32_t k = 0; k < p->n_faults; k++) {
		const struct tt_cluster_fault *f = &p->faults[k];

		if (!cl->imp_active[k] || !link_targeted(f, w, hb, c, w2m))
			continue;
		switch ((enum tt_cluster_fault_kind)f->kind) {
		case TT_CLUSTER_F_LOSS:
			if (f->params.loss_ppm > lp.loss_ppm)
				lp.loss_ppm = f->params.loss_ppm;
			break;
		case TT_CLUSTER_F_DELAY:
			if (f->params.delay_ns > lp.delay_ns)
				lp.delay_ns = f->params.delay_ns;
			break;
		case TT_CLUSTER_F_JITTER:
			if (f->params.jitter_ns > lp.jitter_ns)
				lp.jitter_ns = f->params.jitter_ns;
			break;
		case TT_CLUSTER_F_REORDER:
			if (f->params.reorder_ppm > lp.reorder_ppm)
				lp.reorder_ppm = f->params.reorder_ppm;
			if (f->params.reorder_ns > lp.reorder_ns)
				lp.reorder_ns = f->params.reorder_ns;
			break;
		case TT_CLUSTER_F_DUP:
			if (f->params.dup_ppm > lp.dup_ppm)
				lp.dup_ppm = f->params.dup_ppm;
			break;
		default:
			break;
		}
	}
	if (lp.delay_ns > p->d_max_ns)
		lp.delay_ns = p->d_max_ns;
	room = p->d_max_ns - lp.delay_ns;
	if (lp.jitter_ns > room)
		lp.jitter_ns = room;
	room -= lp.jitter_ns;
	if (lp.reorder_ns > room)
		lp.reorder_ns = room;
	if (lp.reorder_ns == 0)
		lp.reorder_ppm = 0;
	if (tt_netsim_set_link_params(cl->sim, link, &lp) < 0)
		plumbing(cl, "tt_netsim_set_link_params refused");
}

/* Apply fn to every link fault f targets: (link, worker, hb, chan, w2m). */
static void for_links(struct tt_cluster *cl, const struct tt_cluster_fault *f,
		      void (*fn)(struct tt_cluster *, uint32_t, uint32_t, bool, unsigned int, bool,
				 int),
		      int arg)
{
	for (uint32_t w = 0; w < cl->p->n_workers; w++)
		for (unsigned int d = 0; d < 2; d++) {
			bool w2m = d == 1;

			if (link_targeted(f, w, true, 0, w2m))
				fn(cl, link_hb(cl, w, w2m), w, true, 0, w2m, arg);
			for (unsigned int c = 0; c < cl->p->n_chan; c++)
				if (link_targeted(f, w, false, c, w2m))
					fn(cl, link_dc(cl, w, c, w2m), w, false, c, w2m, arg);
		}
}

static void cut_fn(struct tt_cluster *cl, uint32_t link, uint32_t w, bool hb, unsigned int c,
		   bool w2m, int delta)
{
	tt_ns_t now = tt_netsim_now(cl->sim);

	(void)w;
	(void)hb;
	(void)c;
	(void)w2m;
	if (delta > 0 && cl->cut_ref[link]++ == 0)
		tt_netsim_schedule_fault(cl->sim, now, TT_NETSIM_FAULT_LINK_CUT, link);
	else if (delta < 0 && cl->cut_ref[link] > 0 && --cl->cut_ref[link] == 0)
		tt_netsim_schedule_fault(cl->sim, now, TT_NETSIM_FAULT_LINK_RESTORE, link);
}

static void imp_fn(struct tt_cluster *cl, uint32_t link, uint32_t w, bool hb, unsigned int c,
		   bool w2m, int unused)
{
	(void)unused;
	link_recompute(cl, link, w, hb, c, w2m);
}

static void rearm_all(struct tt_cluster *cl)
{
	for (uint32_t i = 0; i <= cl->p->n_workers; i++)
		tt_netsim_node_rearm(cl->sim, i);
}

static void crash(struct tt_cluster *cl, struct cl_worker *cw, bool restart, tt_ns_t dur,
		  tt_ns_t now)
{
	if (cw->w == NULL) {
		/* No process (exited, or crashed already): "for good" cancels a restart. */
		if (!restart)
			cw->restart_pending = false;
		return;
	}
	worker_stop(cl, cw);
	hevent(cl, cw->n.idx, TT_CLUSTER_H_CRASH, cw->last_epoch, now);
	if (cw->pause_depth > 0) {
		/* The stopped process is killed: its ring is flushed into the void. */
		cw->pause_depth = 0;
		tt_netsim_schedule_fault(cl->sim, now, TT_NETSIM_FAULT_NODE_RESUME, cw->n.node);
	}
	memset(cw->wcut, 0, sizeof(cw->wcut));
	cw->restart_pending = restart;
	cw->restart_at = now + dur;
}

static void fault_apply(struct tt_cluster *cl, uint32_t k, bool start, tt_ns_t now)
{
	const struct tt_cluster_fault *f = &cl->p->faults[k];
	struct cl_worker *cw = f->worker < cl->p->n_workers ? &cl->w[f->worker] : NULL;

	if (start)
		cl->r->faults[f->kind]++;
	switch ((enum tt_cluster_fault_kind)f->kind) {
	case TT_CLUSTER_F_LOSS:
	case TT_CLUSTER_F_DELAY:
	case TT_CLUSTER_F_JITTER:
	case TT_CLUSTER_F_REORDER:
	case TT_CLUSTER_F_DUP:
		cl->imp_active[k] = start;
		for_links(cl, f, imp_fn, 0);
		break;
	case TT_CLUSTER_F_PART_ONE_DC:
	case TT_CLUSTER_F_PART_ALL_DC:
	case TT_CLUSTER_F_PART_HB:
	case TT_CLUSTER_F_PART_ALL:
		for_links(cl, f, cut_fn, start ? 1 : -1);
		break;
	case TT_CLUSTER_F_PAUSE:
		if (start && cw->w != NULL && cw->pause_depth++ == 0) {
			hevent(cl, cw->n.idx, TT_CLUSTER_H_PAUSE, cw->last_epoch, now);
			tt_netsim_schedule_fault(cl->sim, now, TT_NETSIM_FAULT_NODE_PAUSE,
						 cw->n.node);
		} else if (!start && cw->pause_depth > 0 && --cw->pause_depth == 0) {
			hevent(cl, cw->n.idx, TT_CLUSTER_H_RESUME, cw->last_epoch, now);
			tt_netsim_schedule_fault(cl->sim, now, TT_NETSIM_FAULT_NODE_RESUME,
						 cw->n.node);
		}
		break;
	case TT_CLUSTER_F_CRASH:
	case TT_CLUSTER_F_CRASH_RESTART:
		if (start)
			crash(cl, cw, f->kind == TT_CLUSTER_F_CRASH_RESTART, f->dur_ns, now);
		break;
	case TT_CLUSTER_F_OP_CUT_MASTER:
		if (start && cw->mcut[f->chan]++ == 0)
			tt_master_cut(cl->m, WORKER_ID_BASE + f->worker, f->chan, now);
		else if (!start && cw->mcut[f->chan] > 0 && --cw->mcut[f->chan] == 0)
			tt_master_restore(cl->m, WORKER_ID_BASE + f->worker, f->chan, now);
		break;
	case TT_CLUSTER_F_OP_CUT_WORKER:
		/* An operator command does not reach a stopped process. */
		if (start && cw->w != NULL && cw->pause_depth == 0 && cw->wcut[f->chan]++ == 0) {
			cw->wcut_gen[f->chan] = cw->gen;
			tt_worker_cut(cw->w, f->chan, now);
		} else if (!start && cw->wcut[f->chan] > 0 && --cw->wcut[f->chan] == 0 &&
			   cw->w != NULL && cw->wcut_gen[f->chan] == cw->gen) {
			tt_worker_restore(cw->w, f->chan, now);
		}
		break;
	case TT_CLUSTER_F_LINK_DOWN_WORKER:
		if (start && cw->w != NULL && cw->pause_depth == 0)
			tt_worker_link_down(cw->w, now);
		break;
	case TT_CLUSTER_F_LINK_DOWN_MASTER:
		if (start)
			tt_master_link_down(cl->m, now);
		break;
	case TT_CLUSTER_F_MAX:
		break;
	}
	/* A worker's own call may have made it exit. */
	if (cw != NULL && cw->w != NULL && tt_worker_exited(cw->w, NULL))
		worker_exited(cl, cw, now);
}

/* ---- load ---- */

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static int action_cmp(const void *a, const void *b)
{
	const struct action *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void add_action(struct action *a, uint32_t *n, tt_ns_t at, enum act_type type, uint32_t idx)
{
	a[*n] = (struct action){.at = at, .seq = *n, .type = (uint8_t)type, .idx = idx};
	(*n)++;
}

/* Tasks (payloads made now, kept until the end) and the time-ordered action list. */
static int plan(struct tt_cluster *cl)
{
	const struct tt_cluster_params *p = cl->p;
	uint64_t s = p->seed ^ 0x6c6f6164ull;
	uint32_t n = 0, cap = 2 * p->n_faults + 2 * p->n_tasks;

	cl->stride = p->echo_max_bytes > SPIN_PAYLOAD ? p->echo_max_bytes : SPIN_PAYLOAD;
	cl->payload = calloc((size_t)p->n_tasks + 1, cl->stride);
	cl->plen = calloc((size_t)p->n_tasks + 1, sizeof(*cl->plen));
	cl->task_id = calloc((size_t)p->n_tasks + 1, sizeof(*cl->task_id));
	cl->act = calloc((size_t)cap + 1, sizeof(*cl->act));
	if (cl->payload == NULL || cl->plen == NULL || cl->task_id == NULL || cl->act == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < p->n_faults; k++) {
		const struct tt_cluster_fault *f = &p->faults[k];

		add_action(cl->act, &n, f->at_ns, ACT_FAULT_START, k);
		if (f->kind != TT_CLUSTER_F_CRASH && f->kind != TT_CLUSTER_F_CRASH_RESTART &&
		    f->kind != TT_CLUSTER_F_LINK_DOWN_WORKER &&
		    f->kind != TT_CLUSTER_F_LINK_DOWN_MASTER)
			add_action(cl->act, &n, f->at_ns + f->dur_ns, ACT_FAULT_END, k);
	}
	for (uint32_t t = 0; t < p->n_tasks; t++) {
		uint8_t *pl = cl->payload + (size_t)t * cl->stride;
		tt_ns_t at = p->submit_from_ns +
			     gen_range(&s, 0, p->submit_until_ns - p->submit_from_ns);

		if (gen_pct(&s, p->echo_pct)) {
			cl->plen[t] = (uint32_t)gen_range(&s, 1, p->echo_max_bytes);
			for (uint32_t i = 0; i < cl->plen[t]; i++)
				pl[i] = (uint8_t)gen_next(&s);
			cl->plen[t] |= 0x80000000u; /* marks echo */
		} else {
			put_be32(pl, (uint32_t)gen_range(&s, p->spin_min_us, p->spin_max_us));
			put_be32(pl + 4, t);
			cl->plen[t] = SPIN_PAYLOAD;
		}
		add_action(cl->act, &n, at, ACT_SUBMIT, t);
		if (gen_pct(&s, p->cancel_pct))
			add_action(cl->act, &n, at + gen_range(&s, 0, 2 * cl->pol.t1_ns),
				   ACT_CANCEL, t);
	}
	cl->n_act = n;
	qsort(cl->act, n, sizeof(*cl->act), action_cmp);
	return 0;
}

static void do_action(struct tt_cluster *cl, const struct action *a, tt_ns_t now)
{
	uint32_t t = a->idx;

	switch ((enum act_type)a->type) {
	case ACT_FAULT_START:
	case ACT_FAULT_END:
		fault_apply(cl, a->idx, a->type == ACT_FAULT_START, now);
		break;
	case ACT_SUBMIT: {
		bool echo = cl->plen[t] & 0x80000000u;
		uint32_t len = cl->plen[t] & 0x7fffffffu;

		if (tt_master_submit(cl->m, echo ? "echo" : "spin",
				     cl->payload + (size_t)t * cl->stride, len, now,
				     &cl->task_id[t]) < 0)
			plumbing(cl, "tt_master_submit failed");
		break;
	}
	case ACT_CANCEL:
		if (cl->task_id[t] != 0)
			tt_master_cancel(cl->m, cl->task_id[t], now);
		break;
	}
}

/* ---- set-up and tear-down ---- */

static int cluster_build(struct tt_cluster *cl)
{
	const struct tt_cluster_params *p = cl->p;
	struct tt_master_peer_config peers[TT_CLUSTER_MAX_WORKERS];
	struct tt_hb_policy_input in = policy_input(p);
	struct tt_netsim_limits lim;
	struct tt_master_config mc;
	char err[512];
	int rc;

	if (p->n_workers < 1 || p->n_workers > TT_CLUSTER_MAX_WORKERS || p->n_chan < 1 ||
	    p->n_chan > TT_CLUSTER_MAX_CHAN || p->n_tasks > TT_CLUSTER_MAX_TASKS ||
	    p->n_faults > TT_CLUSTER_MAX_FAULTS) {
		snprintf(cl->r->why, sizeof(cl->r->why), "params out of range");
		return -EINVAL;
	}
	if (tt_hb_policy_compute(&in, &cl->pol, err, sizeof(err)) < 0) {
		snprintf(cl->r->why, sizeof(cl->r->why), "timers: %s", err);
		return -EINVAL;
	}
	cl->i_ns = cl->pol.interval_ns;
	cl->lpw = 2 + 2u * p->n_chan;
	cl->n_links = p->n_workers * cl->lpw;
	lim = (struct tt_netsim_limits){
		.max_nodes = p->n_workers + 1,
		.max_links = cl->n_links,
		.max_faults = 4 * cl->n_links * (p->n_faults + 1) + 4 * p->n_faults + 64,
		.pool_slots = p->n_workers * (16 + 2u * p->n_chan * (p->window + 8u)) +
			      2 * p->pause_ring + 1024,
		.slot_bytes = HDR_LEN + p->mtu,
		.pause_ring = p->pause_ring,
	};
	cl->sim = tt_netsim_create(p->seed, &lim);
	cl->w = calloc(p->n_workers, sizeof(*cl->w));
	cl->cut_ref = calloc(cl->n_links, sizeof(*cl->cut_ref));
	cl->imp_active = calloc(p->n_faults + 1, sizeof(*cl->imp_active));
	cl->log_cap = 64 * p->n_tasks + 64 * p->n_workers * (p->n_faults + 4) + 4096;
	cl->log = calloc(cl->log_cap, sizeof(*cl->log));
	if (cl->sim == NULL || cl->w == NULL || cl->cut_ref == NULL || cl->imp_active == NULL ||
	    cl->log == NULL || plan(cl) < 0) {
		snprintf(cl->r->why, sizeof(cl->r->why), "out of memory");
		return -ENOMEM;
	}

	for (uint32_t i = 0; i < p->n_workers; i++)
		peers[i] = (struct tt_master_peer_config){WORKER_ID_BASE + i, WORKER_IP_BASE + i,
							  WORKER_DC_BASE};
	mc = (struct tt_master_config){
		.ip = MASTER_IP,
		.n_chan = p->n_chan,
		.n_workers = p->n_workers,
		.workers = peers,
		.master_timers = p->master_timers,
		.worker_timers = p->worker_timers,
		.d_max_ns = told_d_max(p),
		.granularity_ns = told_g(p),
		.slow_tx_us = p->master_timers.desired_min_tx_us,
		.allow_fast_slow_rate = true,
		.skip_policy_check = p->skip_policy_check,
		.max_tasks = p->n_tasks + 1,
		.max_outstanding = p->max_outstanding,
		.sched_log = cl->log,
		.sched_log_cap = cl->log_cap,
		.epochs_disabled = p->epochs_disabled,
		.timeline_cap = MTL_CAP,
		.hb_lcore = 0,
		.dc_lcore = p->split_master ? 1 : 0,
		.seed = p->seed * 7 + 1,
		.io = {io_tx_buf, io_tx_send, &cl->mn},
	};
	dc_template(p, &mc.dc);
	cl->mn = (struct cl_node){.cl = cl, .idx = UINT32_MAX, .node = 0};
	cl->m = tt_master_create(&mc, 0, err, sizeof(err));
	if (cl->m == NULL) {
		snprintf(cl->r->why, sizeof(cl->r->why), "tt_master_create: %s", err);
		return -EINVAL;
	}
	rc = tt_netsim_add_node(cl->sim, &master_ops, &cl->mn, p->g_ns);
	if (rc != 0)
		return -EINVAL;
	for (uint32_t i = 0; i < p->n_workers; i++) {
		struct cl_worker *cw = &cl->w[i];

		cw->n = (struct cl_node){.cl = cl, .idx = i, .node = i + 1};
		if (worker_start(cl, cw, 1, 0) < 0)
			return -EINVAL;
		rc = tt_netsim_add_node(cl->sim, &worker_ops, cw, p->g_ns);
		if (rc != (int)(i + 1))
			return -EINVAL;
	}
	for (uint32_t i = 0; i < p->n_workers; i++) {
		int hb[2], dc[2];

		hb[0] = tt_netsim_add_link(cl->sim, 0, i + 1, &p->base);
		hb[1] = tt_netsim_add_link(cl->sim, i + 1, 0, &p->base);
		if (hb[0] != (int)link_hb(cl, i, false) || hb[1] != (int)link_hb(cl, i, true))
			return -EINVAL;
		for (unsigned int c = 0; c < p->n_chan; c++) {
			dc[0] = tt_netsim_add_link(cl->sim, 0, i + 1, &p->base);
			dc[1] = tt_netsim_add_link(cl->sim, i + 1, 0, &p->base);
			if (dc[0] != (int)link_dc(cl, i, c, false) ||
			    dc[1] != (int)link_dc(cl, i, c, true))
				return -EINVAL;
		}
	}
	return 0;
}

static void cluster_free(struct tt_cluster *cl)
{
	if (cl->w != NULL)
		for (uint32_t i = 0; i < cl->p->n_workers; i++)
			tt_worker_destroy(cl->w[i].w);
	tt_master_destroy(cl->m);
	tt_netsim_destroy(cl->sim);
	free(cl->w);
	free(cl->cut_ref);
	free(cl->imp_active);
	free(cl->log);
	free(cl->mtl);
	free(cl->wrec);
	free(cl->payload);
	free(cl->plen);
	free(cl->task_id);
	free(cl->act);
}

/* ---- the run ---- */

static bool quiescent(const struct tt_cluster *cl)
{
	const struct tt_sched_counters *c = tt_sched_counters(tt_master_sched(cl->m));
	uint64_t done = c->results[TT_SCHED_COMMIT];

	for (unsigned int i = 0; i < TT_SCHED_CANCEL_END_MAX; i++)
		done += c->cancelled[i];
	return done == c->submitted && c->submitted == cl->p->n_tasks;
}

/* The instant after which nothing is broken any more (every fault over, every restart done). */
static tt_ns_t heal_time(const struct tt_cluster *cl)
{
	tt_ns_t h = cl->n_act > 0 ? cl->act[cl->n_act - 1].at : 0;

	for (uint32_t k = 0; k < cl->p->n_faults; k++) {
		const struct tt_cluster_fault *f = &cl->p->faults[k];
		tt_ns_t end = f->at_ns + f->dur_ns + cl->p->exit_restart_ns;

		if (end > h)
			h = end;
	}
	return h;
}

static void run_loop(struct tt_cluster *cl)
{
	const tt_ns_t chunk = cl->pol.t1_ns;
	tt_ns_t heal = heal_time(cl), stop = NO_TIME;
	uint32_t ai = 0;

	for (;;) {
		tt_ns_t now = tt_netsim_now(cl->sim);
		tt_ns_t next = now + chunk;

		if (ai < cl->n_act && cl->act[ai].at < next)
			next = cl->act[ai].at;
		for (uint32_t i = 0; i < cl->p->n_workers; i++)
			if (cl->w[i].restart_pending && cl->w[i].restart_at < next)
				next = cl->w[i].restart_at;
		if (next < now)
			next = now;
		tt_netsim_run_until(cl->sim, next);
		drain_all(cl);
		tt_ctab_quiescent_state();
		now = next;
		for (uint32_t i = 0; i < cl->p->n_workers; i++) {
			struct cl_worker *cw = &cl->w[i];

			if (cw->restart_pending && !tt_time_after(cw->restart_at, now)) {
				cw->restart_pending = false;
				if (worker_start(cl, cw, cw->last_epoch + 1, now) == 0)
					cl->r->restarts++;
			}
		}
		while (ai < cl->n_act && !tt_time_after(cl->act[ai].at, now))
			do_action(cl, &cl->act[ai++], now);
		rearm_all(cl);
		if (ai < cl->n_act || now < heal)
			continue;
		if (stop == NO_TIME)
			stop = now + cl->p->quiesce_max_ns;
		if (quiescent(cl)) {
			cl->r->quiescent = true;
			break;
		}
		if (now >= stop)
			break;
	}
}

static void collect(struct tt_cluster *cl)
{
	struct tt_cluster_result *r = cl->r;
	const struct tt_sched_counters *sc = tt_sched_counters(tt_master_sched(cl->m));
	const struct tt_master_counters *mc = tt_master_counters(cl->m);
	char what[200];

	r->submitted = sc->submitted;
	r->committed = sc->results[TT_SCHED_COMMIT];
	for (unsigned int i = 0; i < TT_SCHED_CANCEL_END_MAX; i++)
		r->cancelled += sc->cancelled[i];
	r->assigns = sc->assigned;
	r->reschedules = sc->rescheduled;
	r->stale_rejected = sc->stale;
	r->epochs_bypassed = sc->epochs_bypassed;
	r->worker_deads = sc->workers_dead;
	r->old_epoch_drops = mc->dc_rx_old_epoch;
	r->old_epoch_taken = mc->dc_rx_old_epoch_taken;
	r->connect_refused = mc->connect_refused;
	for (uint32_t l = 0; l < cl->n_links; l++) {
		struct tt_netsim_link_stats st;

		tt_netsim_link_stats(cl->sim, l, &st);
		r->pkts_sent += st.sent;
		r->pkts_lost += st.lost;
		r->pkts_dup += st.dup;
		r->pkts_reordered += st.reordered;
		r->pkts_cut += st.dropped_cut;
		r->pkts_paused_held += st.held_paused;
		r->pkts_paused_dropped += st.dropped_paused;
		r->pool_overflow += st.pool_overflow;
	}
	r->trace_hash = tt_netsim_trace_hash(cl->sim);
	r->events = tt_netsim_events(cl->sim);
	r->stalls = tt_netsim_stalls(cl->sim);
	r->end_ns = tt_netsim_now(cl->sim);
	cl->tl_dropped += tt_fence_tl_dropped(tt_master_timeline(cl->m));
	if (mc->step_errors || mc->send_queue_full || mc->send_encode_failed || mc->ctab_errors ||
	    mc->tx.no_buf || mc->tx.build_failed || mc->tx.send_failed) {
		snprintf(what, sizeof(what),
			 "master: step_errors %" PRIu64 " send_queue_full %" PRIu64
			 " encode_failed %" PRIu64 " ctab_errors %" PRIu64
			 " tx no_buf/build/send %" PRIu64 "/%" PRIu64 "/%" PRIu64,
			 mc->step_errors, mc->send_queue_full, mc->send_encode_failed,
			 mc->ctab_errors, mc->tx.no_buf, mc->tx.build_failed, mc->tx.send_failed);
		plumbing(cl, what);
	}
}

static void print_params(const struct tt_cluster_params *p, const struct tt_cluster *cl)
{
	printf("# seed %" PRIu64 ": %u workers x %u channels, I %" PRIu64 " us, T2 %" PRIu64
	       " us, T1 %" PRIu64 " us, d_max %" PRIu64 " ns, g %" PRIu64 " ns, mtu %u, "
	       "window %u, action %s, layouts %s/%s%s%s\n",
	       p->seed, p->n_workers, p->n_chan, (uint64_t)(cl->pol.interval_ns / TT_NS_PER_US),
	       (uint64_t)(cl->pol.t2_ns / TT_NS_PER_US), (uint64_t)(cl->pol.t1_ns / TT_NS_PER_US),
	       p->d_max_ns, p->g_ns, p->mtu, p->window,
	       tt_worker_fence_action_name(p->fence_action), p->split_master ? "split" : "combined",
	       p->split_worker ? "split" : "combined",
	       p->skip_policy_check ? ", POLICY CHECK SKIPPED" : "",
	       p->epochs_disabled ? ", EPOCHS DISABLED" : "");
	printf("# base link: delay %" PRIu64 " jitter %" PRIu64 " reorder %u ppm/%" PRIu64
	       " ns loss %u ppm dup %u ppm; %u tasks, spin <= %u us\n",
	       p->base.delay_ns, p->base.jitter_ns, p->base.reorder_ppm, p->base.reorder_ns,
	       p->base.loss_ppm, p->base.dup_ppm, p->n_tasks, p->spin_max_us);
	for (uint32_t k = 0; k < p->n_faults; k++) {
		const struct tt_cluster_fault *f = &p->faults[k];

		printf("# fault %u: %s at %" PRIu64 " us for %" PRIu64 " us, worker %d, chan %u, "
		       "%s%s\n",
		       k, tt_cluster_fault_name(f->kind), (uint64_t)(f->at_ns / TT_NS_PER_US),
		       (uint64_t)(f->dur_ns / TT_NS_PER_US),
		       f->worker == TT_CLUSTER_ALL_WORKERS ? -1 : (int)f->worker, f->chan,
		       tt_cluster_dir_name(f->dir), f->scope_hb ? ", heartbeat too" : "");
	}
}

struct pline {
	tt_ns_t t;
	uint32_t src; /* 0 log, 1 master timeline, 2 worker histories */
	uint32_t i;
};

static int pline_cmp(const void *x, const void *y)
{
	const struct pline *a = x, *b = y;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Everything recorded, one line each, merged by time. */
static void print_record(const struct tt_cluster_record *rec)
{
	uint32_t n = rec->n_log + rec->n_mtl + rec->n_wrec, k = 0;
	struct pline *l = calloc(n + 1, sizeof(*l));
	char line[256];

	if (l == NULL)
		return;
	for (uint32_t i = 0; i < rec->n_log; i++)
		l[k++] = (struct pline){rec->log[i].time_ns, 0, i};
	for (uint32_t i = 0; i < rec->n_mtl; i++)
		l[k++] = (struct pline){rec->mtl[i].time_ns, 1, i};
	for (uint32_t i = 0; i < rec->n_wrec; i++)
		l[k++] = (struct pline){rec->wrec[i].time_ns, 2, i};
	qsort(l, n, sizeof(*l), pline_cmp);
	for (uint32_t j = 0; j < n; j++) {
		double ms = (double)l[j].t / 1e6;

		if (l[j].src == 0) {
			const struct tt_sched_event *e = &rec->log[l[j].i];

			printf("%12.6f ms  sched  %-14s task %" PRIu64
			       " worker %d epoch %u aux %u\n",
			       ms, tt_sched_event_name(e->kind), e->task_id,
			       e->worker == TT_SCHED_NO_WORKER
				       ? -1
				       : (int)(e->worker - rec->worker_id_base),
			       e->epoch, e->aux);
		} else if (l[j].src == 1) {
			tt_fence_event_format(&rec->mtl[l[j].i], line, sizeof(line));
			printf("%12.6f ms  master %s\n", ms, line);
		} else {
			const struct tt_cluster_wrec *e = &rec->wrec[l[j].i];

			printf("%12.6f ms  w%-3u   %-14s epoch %u chan %d aux %u val %" PRIu64 "\n",
			       ms, e->worker, tt_cluster_wrec_name(e->kind), e->epoch,
			       e->chan == TT_FENCE_NO_CHAN ? -1 : e->chan, e->aux, e->val);
		}
	}
	free(l);
}

int tt_cluster_run(const struct tt_cluster_params *p, struct tt_cluster_result *r, bool verbose)
{
	struct tt_cluster *cl = calloc(1, sizeof(*cl));
	struct tt_cluster_record rec;
	int rc;

	memset(r, 0, sizeof(*r));
	r->ok = true;
	r->n_workers = p->n_workers;
	r->n_chan = p->n_chan;
	if (cl == NULL)
		return -ENOMEM;
	cl->p = p;
	cl->r = r;
	cl->verbose = verbose;
	rc = cluster_build(cl);
	if (rc < 0) {
		r->ok = false;
		cluster_free(cl);
		free(cl);
		return rc;
	}
	r->t1_ns = cl->pol.t1_ns;
	r->t2_ns = cl->pol.t2_ns;
	if (verbose)
		print_params(p, cl);
	run_loop(cl);
	drain_all(cl);
	for (uint32_t i = 0; i < p->n_workers; i++) {
		struct cl_worker *cw = &cl->w[i];

		if (cw->w != NULL)
			cl->tl_dropped += tt_fence_tl_dropped(tt_worker_timeline(cw->w));
		worker_stop(cl, cw);
	}
	collect(cl);

	rec = (struct tt_cluster_record){
		.n_workers = p->n_workers,
		.worker_id_base = WORKER_ID_BASE,
		.end_ns = r->end_ns,
		.log = cl->log,
		.n_log = tt_sched_log_len(tt_master_sched(cl->m)),
		.log_dropped = tt_sched_counters(tt_master_sched(cl->m))->log_dropped,
		.mtl = cl->mtl,
		.n_mtl = cl->n_mtl,
		.tl_dropped = cl->tl_dropped,
		.wrec = cl->wrec,
		.n_wrec = cl->n_wrec,
	};
	tt_cluster_check(&rec, r);
	if (cl->unroutable || cl->rx_bad || cl->endpoint_bugs) {
		r->violations[TT_CLUSTER_V_PLUMBING]++;
		if (r->ok)
			snprintf(r->why, sizeof(r->why),
				 "plumbing: %" PRIu64 " unroutable datagrams, %" PRIu64
				 " short ones, %" PRIu64 " endpoint errors (first: %s)",
				 cl->unroutable, cl->rx_bad, cl->endpoint_bugs, cl->bug_what);
		r->ok = false;
	}
	for (uint32_t i = 0; i < rec.n_wrec; i++)
		if (rec.wrec[i].kind == TT_FENCE_EV_FENCE)
			r->fences++;
		else if (rec.wrec[i].kind == TT_FENCE_EV_REJOIN)
			r->rejoins++;
	if (verbose) {
		print_record(&rec);
		printf("# %s\n", r->ok ? "clean" : r->why);
	}
	cluster_free(cl);
	free(cl);
	return 0;
}
