/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CLUSTER_H
#define TT_CLUSTER_H

/**
 * @file
 * A whole tether cluster on the simulator: one master (engine/master.h) and N
 * workers (engine/worker.h), K data channels each, every UDP flow on its own
 * netsim link, a seeded fault schedule, a task load, and a checker.
 *
 * Topology. Node 0 is the master, node 1 + i is worker i. Each worker has
 * 2 + 2K directed links: its heartbeat both ways and each data channel both
 * ways, so that a fault can hit one data channel, all of them, the heartbeat
 * only, or everything. The endpoints' tx_send (engine/node_io.h) is routed to
 * the link of its flow by destination address and port; the datagram
 * travels with its UDP addressing in a 16-byte pseudo header.
 *
 * Faults (enum tt_cluster_fault_kind): link impairment windows (loss, delay,
 * jitter, reordering, duplication; delay, jitter and reordering are clamped
 * so that no datagram takes longer than d_max, the bound the timing rule
 * assumes), partitions with restore, worker pause (netsim NODE_PAUSE: the
 * process is not stepped; datagrams to it wait in its NIC ring, see
 * netsim.h), worker crash (for good, or restarted as a fresh process under a
 * new epoch), operator cuts at either end and port link-downs. A worker that
 * fences with action EXIT is restarted by a "supervisor" after a delay, under
 * the next epoch.
 *
 * The run: faults and task submissions (spin of random length, echo, some
 * cancelled) happen on schedule; after the last fault healed the run goes on
 * until every task is committed or cancelled (quiescent), within a bound.
 *
 * The checker reads the master's scheduler log, the master's and every
 * worker's fence timeline (drained into the record as the run goes) and the
 * harness's own events (process start, pause, resume, crash), and reports
 * the violations of enum tt_cluster_violation.
 *
 * Execution context: one thread, registered with liburcu QSBR and online
 * (the master's association table needs it). Deterministic: the same params
 * give the same run, bit for bit (tt_cluster_result.trace_hash).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fence.h"
#include "hb_fsm.h"
#include "netsim.h"
#include "scheduler.h"
#include "tt_time.h"
#include "worker.h"

#define TT_CLUSTER_MAX_WORKERS 64
#define TT_CLUSTER_MAX_CHAN    16
#define TT_CLUSTER_MAX_FAULTS  16
#define TT_CLUSTER_MAX_TASKS   4096
/** tt_cluster_fault.worker: every worker at once. */
#define TT_CLUSTER_ALL_WORKERS UINT32_MAX

/** Fault kinds. X(name, printable) */
#define TT_CLUSTER_FAULTS(X)                                                                       \
	X(LOSS, "loss")                                                                            \
	X(DELAY, "delay")                                                                          \
	X(JITTER, "jitter")                                                                        \
	X(REORDER, "reorder")                                                                      \
	X(DUP, "duplicate")                                                                        \
	X(PART_ONE_DC, "partition-one-dc")                                                         \
	X(PART_ALL_DC, "partition-all-dc")                                                         \
	X(PART_HB, "partition-hb")                                                                 \
	X(PART_ALL, "partition-all")                                                               \
	X(PAUSE, "pause")                                                                          \
	X(CRASH, "crash")                                                                          \
	X(CRASH_RESTART, "crash-restart")                                                          \
	X(OP_CUT_MASTER, "operator-cut-master")                                                    \
	X(OP_CUT_WORKER, "operator-cut-worker")                                                    \
	X(LINK_DOWN_WORKER, "link-down-worker")                                                    \
	X(LINK_DOWN_MASTER, "link-down-master")

enum tt_cluster_fault_kind {
#define TT_X(name, str) TT_CLUSTER_F_##name,
	TT_CLUSTER_FAULTS(TT_X)
#undef TT_X
		TT_CLUSTER_F_MAX
};

/** Which directions of the targeted flows a link fault hits. X(name, printable) */
#define TT_CLUSTER_DIRS(X)                                                                         \
	X(BOTH, "both ways")                                                                       \
	X(M2W, "master to worker")                                                                 \
	X(W2M, "worker to master")

enum tt_cluster_dir {
#define TT_X(name, str) TT_CLUSTER_DIR_##name,
	TT_CLUSTER_DIRS(TT_X)
#undef TT_X
		TT_CLUSTER_DIR_MAX
};

/**
 * One fault, from at_ns for dur_ns. Link faults (LOSS..PART_ALL) hit the
 * flows of one worker (or all) in the directions dir says: impairments
 * (LOSS..DUP) raise their field of params on channel chan (0xff: every
 * channel) and, with scope_hb, on the heartbeat; PART_ONE_DC cuts channel
 * chan, PART_ALL_DC every channel, PART_HB the heartbeat, PART_ALL all of
 * them. PAUSE stops the worker; CRASH kills it for good, CRASH_RESTART
 * starts a fresh process after dur_ns; OP_CUT_* cut channel chan at that
 * end; LINK_DOWN_* are instantaneous.
 */
struct tt_cluster_fault {
	uint8_t kind;	  /* enum tt_cluster_fault_kind */
	uint8_t dir;	  /* enum tt_cluster_dir: link faults */
	uint8_t chan;	  /* a channel index, or 0xff: all (impairments) */
	uint8_t scope_hb; /* impairments: the heartbeat too */
	uint32_t worker;  /* index, or TT_CLUSTER_ALL_WORKERS (link faults only) */
	tt_ns_t at_ns;
	tt_ns_t dur_ns;
	struct tt_netsim_link_params params; /* impairments: the field of the kind */
};

/** Everything a run is made of. tt_cluster_params_gen() makes one from a seed. */
struct tt_cluster_params {
	uint64_t seed;
	uint32_t n_workers; /* 1..TT_CLUSTER_MAX_WORKERS */
	uint8_t n_chan;	    /* 1..TT_CLUSTER_MAX_CHAN */
	struct tt_hb_timers master_timers;
	struct tt_hb_timers worker_timers;
	tt_ns_t d_max_ns;		   /* the network's real delay bound */
	tt_ns_t g_ns;			   /* timer granularity: the nodes' grid and g */
	tt_ns_t cfg_d_max_ns;		   /* d_max the endpoints are told; 0: d_max_ns */
	tt_ns_t cfg_g_ns;		   /* g the endpoints are told; 0: g_ns */
	struct tt_netsim_link_params base; /* every link, all the time */
	uint32_t pause_ring;		   /* a paused worker's NIC ring (netsim.h) */
	uint16_t mtu;
	uint16_t window; /* data-channel window and rx_window */
	tt_ns_t probe_interval_ns;
	tt_ns_t probe_timeout_ns;
	tt_ns_t rto_min_ns;
	tt_ns_t rto_max_ns;
	uint8_t max_retx;
	bool split_master; /* master's hb_lcore != dc_lcore */
	bool split_worker;
	enum tt_worker_fence_action fence_action;
	tt_ns_t exit_restart_ns;  /* EXIT: the supervisor restarts after it */
	bool skip_policy_check;	  /* negative control (a) */
	bool epochs_disabled;	  /* negative control (b): scheduler, master and workers */
	uint32_t max_outstanding; /* per worker */
	/* load */
	uint32_t n_tasks; /* 0..TT_CLUSTER_MAX_TASKS */
	tt_ns_t submit_from_ns;
	tt_ns_t submit_until_ns;
	uint32_t spin_min_us; /* spin tasks last [min, max] µs */
	uint32_t spin_max_us;
	uint32_t echo_pct; /* % of tasks that are echo (the rest spin) */
	uint32_t echo_max_bytes;
	uint32_t cancel_pct; /* % of tasks cancelled some time after submit */
	/* faults */
	uint32_t n_faults;
	struct tt_cluster_fault faults[TT_CLUSTER_MAX_FAULTS];
	tt_ns_t quiesce_max_ns; /* after the last fault healed */
};

/** What the generator is asked for. X(name, printable) */
#define TT_CLUSTER_MODES(X)                                                                        \
	X(NORMAL, "normal: safe timers, epochs on")                                                \
	X(UNSAFE_T1, "policy check skipped, T1 <= T2 + I (d_max and g told truly)")                \
	X(UNSAFE_TIMERS, "negative control (a): policy check skipped, T1 <= T2 + I, d_max and g "  \
			 "told as 1 ns")                                                           \
	X(NO_EPOCHS, "negative control (b): epochs disabled, naive workers, pauses longer than "   \
		     "T1")

enum tt_cluster_mode {
#define TT_X(name, str) TT_CLUSTER_MODE_##name,
	TT_CLUSTER_MODES(TT_X)
#undef TT_X
		TT_CLUSTER_MODE_MAX
};

/** What the checker fails on. X(name, printable) */
#define TT_CLUSTER_VIOLATIONS(X)                                                                   \
	X(DOUBLE_COMMIT, "a task committed twice")                                                 \
	X(LOST, "a task neither committed nor cancelled at the end (lost, or not quiescent)")      \
	X(TWO_HOLDERS, "two workers held a live assignment of one task at the same instant")       \
	X(RESCHEDULE_BEFORE_FENCE, "a task rescheduled before its owner's fence")                  \
	X(DEAD_BEFORE_FENCE, "a worker declared dead before it fenced")                            \
	X(STALE_COMMIT, "a result committed that is not the task's current assignment's")          \
	X(LOG_DROPPED, "the scheduler log or a timeline dropped records")                          \
	X(PLUMBING, "the harness or an endpoint reported an internal error")

enum tt_cluster_violation {
#define TT_X(name, str) TT_CLUSTER_V_##name,
	TT_CLUSTER_VIOLATIONS(TT_X)
#undef TT_X
		TT_CLUSTER_V_MAX
};

/** Harness events in the record, numbered after the timeline's kinds. X(name, printable) */
#define TT_CLUSTER_HEVENTS(X)                                                                      \
	X(START, "process-start")                                                                  \
	X(PAUSE, "pause")                                                                          \
	X(RESUME, "resume")                                                                        \
	X(CRASH, "crash")

enum tt_cluster_hevent {
	TT_CLUSTER_H_BASE = 0x100,
#define TT_X(name, str) TT_CLUSTER_H_##name,
	TT_CLUSTER_HEVENTS(TT_X)
#undef TT_X
		TT_CLUSTER_H_END
};

/**
 * One entry of a worker's history: a worker timeline event (kind < TT_FENCE_EV_MAX,
 * fields as in engine/fence.h) or a harness event (kind TT_CLUSTER_H_*: time_ns; epoch
 * for START, the new process's epoch).
 */
struct tt_cluster_wrec {
	tt_ns_t time_ns;
	uint64_t val;
	uint32_t worker; /* index 0..n_workers-1 */
	uint32_t epoch;
	uint32_t aux;
	uint16_t kind;
	uint8_t chan;
};

/**
 * What the checker reads. Arrays are in the order things happened (the
 * worker histories of all workers interleaved, each worker's in its own
 * order).
 */
struct tt_cluster_record {
	uint32_t n_workers;
	uint32_t worker_id_base; /* worker i has id base + i in the scheduler and timelines */
	tt_ns_t end_ns;
	const struct tt_sched_event *log;
	uint32_t n_log;
	uint64_t log_dropped;
	const struct tt_fence_event *mtl; /* the master's timeline */
	uint32_t n_mtl;
	uint64_t tl_dropped; /* master's and workers' timelines together */
	const struct tt_cluster_wrec *wrec;
	uint32_t n_wrec;
};

/** The run's and the checker's findings. */
struct tt_cluster_result {
	bool ok;
	char why[768]; /* the first violation, in words */
	uint32_t violations[TT_CLUSTER_V_MAX];
	bool quiescent;
	tt_ns_t end_ns;
	uint64_t trace_hash;
	uint64_t events;
	uint64_t stalls; /* netsim: a node asked again for the instant it was just woken at */
	/* what happened */
	uint64_t faults[TT_CLUSTER_F_MAX];
	uint64_t submitted;
	uint64_t committed;
	uint64_t cancelled;
	uint64_t assigns;
	uint64_t reschedules;
	uint64_t stale_rejected;
	uint64_t epochs_bypassed;
	uint64_t worker_deads;
	uint64_t fences;
	uint64_t rejoins;
	uint64_t restarts;
	uint64_t holds;		     /* (worker, task, epoch) executions seen */
	uint64_t holds_aborted;	     /* ended by a fence, cancel, supersede or crash */
	uint64_t paused_reschedules; /* rescheduled while the owner was paused: epochs' case */
	uint64_t pkts_sent;
	uint64_t pkts_lost;
	uint64_t pkts_dup;
	uint64_t pkts_reordered;
	uint64_t pkts_cut;
	uint64_t pkts_paused_held;
	uint64_t pkts_paused_dropped;
	uint64_t pool_overflow;
	uint64_t old_epoch_drops; /* master: data of an older or dead incarnation dropped */
	uint64_t old_epoch_taken; /* master: their task messages taken (epochs disabled) */
	uint64_t connect_refused; /* master: a new epoch's CONNECT before the old one was dead */
	uint32_t n_workers;
	uint8_t n_chan;
	tt_ns_t t1_ns;
	tt_ns_t t2_ns;
};

/** Printable names; "?" when out of range. */
const char *tt_cluster_fault_name(unsigned int kind);
const char *tt_cluster_dir_name(unsigned int dir);
const char *tt_cluster_mode_name(unsigned int mode);
const char *tt_cluster_violation_name(unsigned int v);
/** A worker-history kind: timeline kinds by engine/fence.h, harness ones by TT_CLUSTER_HEVENTS. */
const char *tt_cluster_wrec_name(unsigned int kind);

/**
 * Make the params of a seeded run: cluster size, timers (safe ones, or an
 * unsafe pair in UNSAFE_TIMERS mode), link quality, task load and a random
 * fault schedule. Pure function of (seed, mode).
 */
void tt_cluster_params_gen(uint64_t seed, enum tt_cluster_mode mode, struct tt_cluster_params *p);

/**
 * Run the cluster and check it.
 *
 * @param p        the run.
 * @param r        out: findings and counts (fully overwritten).
 * @param verbose  print the run's fault schedule and every recorded event
 *                 to stdout (for replaying a failing seed).
 * @return 0 when the run took place (r->ok says whether it was clean), or a
 *         negative errno when it could not be set up (r->why says why).
 *         QSBR-registered, online thread.
 */
int tt_cluster_run(const struct tt_cluster_params *p, struct tt_cluster_result *r, bool verbose);

/**
 * The checker on its own (tt_cluster_run() calls it on the run's record):
 * adds what it finds to r->violations, sets r->ok and r->why (keeping an
 * earlier why), and counts holds, reschedules and paused reschedules.
 * Quiescence is judged from the log: every submitted task must have a
 * commit or a cancel.
 */
void tt_cluster_check(const struct tt_cluster_record *rec, struct tt_cluster_result *r);

#endif /* TT_CLUSTER_H */
