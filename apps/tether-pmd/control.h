/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CTL_H
#define TT_CTL_H

/**
 * @file
 * The control module: every verb of tether-pmd (the cmd_*.c command layer
 * parses tokens and calls these; the telemetry endpoints and the demo read
 * through them too). It talks to the endpoints only through the runtime's
 * mailbox (tt_rt_cmd_exec(): a command, or a CALL run on the polling lcore
 * with the endpoint at hand), so the polling lcore stays the single writer
 * of every engine object.
 *
 * State kept here, on the control side:
 *  - the timeline mirror: each endpoint's timeline (engine/fence.h) is
 *    drained into one time-ordered ring, and each event is logged once
 *    (app_log.h) as it is drained;
 *  - the tasks this process submitted: their payloads (the scheduler does not
 *    copy them), their ends, and the exactly-once accounting read from the
 *    scheduler's decision log (a task committed twice would show there);
 *  - the load generator, the fault "pause" timers, the current heartbeat
 *    timers, the wait cursor of `wait`.
 * tt_ctl_housekeeping() advances all of it; the main loop calls it every few
 * milliseconds, and the wait verbs call it while they wait.
 *
 * Output: verbs print their result, or one line "error: ..." naming the bad
 * value and what is allowed, on the FILE they are given, and return 0 or a
 * negative errno (counted in tt_ctl_failures()).
 *
 * Threads: every function may be called from the main lcore or the
 * telemetry thread; one mutex serialises them (never held while sleeping).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dc_fsm.h"
#include "fence.h"
#include "hb_fsm.h"
#include "runtime.h"
#include "scheduler.h"
#include "topo.h"

/** Timeline events the mirror keeps (the oldest are overwritten). */
#define TT_CTL_TL_CAP (1u << 16)
/** Most tasks one submit or load step hands to the master at once. */
#define TT_CTL_SUBMIT_BATCH 256u
/** Default spin time of a "spin" task (the handler's payload header). */
#define TT_CTL_DEFAULT_SPIN_US 20000u

/** One event of the mirror, with the endpoint that recorded it. */
struct tt_ctl_event {
	struct tt_fence_event ev;
	uint32_t ep;
};

/** A heartbeat session as a command sees it. */
struct tt_ctl_hb_view {
	bool present;
	enum tt_hb_state state;
	enum tt_bfd_diag diag;
	bool disconnected;
	bool poll_active;
	uint8_t detect_mult; /**< this end's, as last set */
	uint32_t remote_disc;
	tt_ns_t detect_ns;	/**< local detection time in force */
	tt_ns_t tx_interval_ns; /**< negotiated transmit interval */
	uint64_t rx_ok;
	uint64_t rx_dropped;
	uint64_t tx_packets;
	uint64_t state_changes;
	uint64_t detect_expiries;
	uint64_t polls_done;
	struct tt_shim_fault fault; /**< this endpoint's shim on the session's flow */
};

/** A data channel as a command sees it. */
struct tt_ctl_chan_view {
	struct tt_dc_info info;
	bool cut; /**< engine operator cut */
	uint64_t msgs_queued;
	uint64_t msgs_delivered;
	uint64_t retransmits;
	uint64_t ups;
	uint64_t downs;
	struct tt_shim_fault fault;	/**< this endpoint's shim on the channel's flow */
	uint64_t shim[TT_SHIM_CTR_MAX]; /**< and its counters */
};

/**
 * One (endpoint, worker) pair: the master's view of worker W, or worker W's
 * own endpoint.
 */
struct tt_ctl_node_view {
	uint32_t ep;
	enum tt_rt_role role;
	uint32_t worker_id;
	uint32_t epoch;
	char state[16]; /**< master: dead/joining/live/silenced; worker: its state */
	uint8_t n_chan;
	struct tt_ctl_hb_view hb;
	struct tt_ctl_chan_view chan[TT_FENCE_MAX_CHAN];
	/* master's view */
	uint32_t up_mask;
	uint32_t outstanding; /**< tasks ASSIGNED or CANCELLING on the worker */
	uint32_t send_queued;
	/* worker endpoint */
	uint32_t in_flight;
	uint64_t fences;
	uint64_t rejoins;
	uint64_t lives;
	bool exited;
};

/** Task accounting since the process started (all runtime generations). */
struct tt_ctl_task_summary {
	uint64_t submitted;	 /**< accepted by the scheduler */
	uint64_t submit_refused; /**< refused (table full, bad handler, ...) */
	uint64_t finished;	 /**< committed or cancelled, released */
	uint64_t committed_once; /**< exactly one commit in the scheduler log */
	uint64_t duplicates;	 /**< more than one commit (must stay 0) */
	uint64_t commit_unknown; /**< commits of tasks not tracked (must stay 0) */
	uint64_t status_ok;	 /**< commits whose RESULT status was ok */
	uint64_t cancelled;
	uint64_t abandoned;   /**< unfinished when a `stop` dropped the master */
	uint64_t in_flight;   /**< tracked, not finished */
	uint32_t pending;     /**< scheduler: PENDING now */
	uint64_t rescheduled; /**< scheduler: tasks taken back from dead workers */
	uint64_t stale;	      /**< scheduler: RESULTs rejected as stale */
	uint64_t stale_by[TT_SCHED_VERDICT_MAX];
	uint64_t assigned; /**< scheduler: ASSIGNs sent */
	bool log_complete; /**< the scheduler log held every event (check valid) */
	bool load_running;
	uint32_t load_rate;
	bool has_master;
	/* worker endpoints of this process (runner counters summed) */
	uint64_t run_results;
	uint64_t run_fence_aborted;
	uint32_t run_in_flight;
};

/** Fault targets: a worker's heartbeat or one of its channels. */
struct tt_ctl_target {
	uint32_t worker_id;
	bool hb; /**< the heartbeat; else channel `chan` */
	uint16_t chan;
};

struct tt_ctl;

/**
 * @param topo  the topology (runtime created, maybe not started); must
 *              outlive the control module.
 * @return the module, or NULL (errno ENOMEM).
 */
struct tt_ctl *tt_ctl_create(struct tt_topo *topo);

/** Free it (NULL is fine): task payloads, the mirror. */
void tt_ctl_destroy(struct tt_ctl *c);

/**
 * Advance the control-side state: drain the timelines (and log the new
 * events), account and release finished tasks, run the load generator, end
 * due pauses, notice a worker endpoint that exited. Call every few ms.
 */
void tt_ctl_housekeeping(struct tt_ctl *c);

/** Ask the main loop to end (the quit verb, a signal, an exited worker). */
void tt_ctl_request_quit(struct tt_ctl *c);
bool tt_ctl_quit_requested(struct tt_ctl *c);

/** Process exit status the control module asks for (TT_EXIT_FENCED once the worker exited). */
int tt_ctl_exit_status(const struct tt_ctl *c);

/** Verbs that failed so far (a --cmdfile run exits 1 if any did). */
uint32_t tt_ctl_failures(const struct tt_ctl *c);

/** Count a failure the command layer found itself (bad argument value). */
void tt_ctl_count_failure(struct tt_ctl *c);

/* Verbs. Each prints its result or "error: ..." on out and returns 0 or a negative errno. */

int tt_ctl_start(struct tt_ctl *c, FILE *out);
int tt_ctl_stop(struct tt_ctl *c, FILE *out);
int tt_ctl_quit(struct tt_ctl *c, FILE *out);

/** @param port  an ethdev port id, or -1 for all the topology's ports. */
int tt_ctl_show_port_stats(struct tt_ctl *c, int32_t port, FILE *out);
int tt_ctl_show_port_xstats(struct tt_ctl *c, int32_t port, FILE *out);
int tt_ctl_show_workers(struct tt_ctl *c, FILE *out);
int tt_ctl_show_sessions(struct tt_ctl *c, FILE *out);
/** @param worker  a worker id, or -1 for all. */
int tt_ctl_show_channels(struct tt_ctl *c, int64_t worker, FILE *out);
int tt_ctl_show_tasks(struct tt_ctl *c, bool summary, FILE *out);
/** The last @p n state changes (per-task events left out), times in µs. */
int tt_ctl_show_timeline(struct tt_ctl *c, uint32_t n, FILE *out);

/**
 * Change the heartbeat interval (DesiredMinTx = RequiredMinRx) live, by a
 * Poll Sequence (RFC 5880 §6.5), on every session this process runs for
 * @p worker (-1: every worker): the master's and, in-process, the worker's.
 */
int tt_ctl_set_hb_interval(struct tt_ctl *c, uint32_t interval_us, int64_t worker, FILE *out);

/**
 * Change one side's Detect Mult live (a Poll Sequence): MASTER (T2 follows
 * it) or WORKER (T1 follows it), on the sessions of that side this process
 * runs, for @p worker or every worker (-1).
 */
int tt_ctl_set_hb_mult(struct tt_ctl *c, enum tt_rt_role side, uint8_t mult, int64_t worker,
		       FILE *out);

/**
 * Cut (or restore) a data channel. Network cut (@p admin false): every
 * packet of the channel is dropped by the fault shim, in both directions
 * in-process, so the channel's probes find the failure. Admin cut: the
 * engine's operator cut (the channel goes DOWN at once, reason "cut").
 */
int tt_ctl_fault_cut(struct tt_ctl *c, uint32_t worker, uint16_t chan, bool restore, bool admin,
		     FILE *out);

/** Drop @p ppm parts per million of the target's packets (0: stop dropping). */
int tt_ctl_fault_drop(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t ppm, FILE *out);

/** Delay the target's packets by @p delay_us plus up to @p jitter_us (0 0: no delay). */
int tt_ctl_fault_delay(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t delay_us,
		       uint32_t jitter_us, FILE *out);

/**
 * Duplicate @p ppm parts per million of the target's packets: the copy
 * follows the packet (0: stop duplicating).
 */
int tt_ctl_fault_dup(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t ppm, FILE *out);

/**
 * Reorder: hold @p ppm parts per million of the target's packets until the
 * next packet of the flow has gone, then send them after it; a held packet
 * goes anyway after @p hold_us (0 ppm: stop reordering).
 */
int tt_ctl_fault_reorder(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t ppm,
			 uint32_t hold_us, FILE *out);

/** Clear every shim fault (cut, drop, dup, reorder, delay) on every flow of a worker. */
int tt_ctl_fault_clear(struct tt_ctl *c, uint32_t worker, FILE *out);

/**
 * Pause a worker for @p ms. Worker process: its polling lcore sleeps (a real
 * pause: it wakes to find its detection time long past). In-process: every
 * packet to and from the worker is held @p ms by the shims (its links
 * freeze; the endpoint itself keeps its timers).
 */
int tt_ctl_fault_pause(struct tt_ctl *c, uint32_t worker, uint32_t ms, FILE *out);

/**
 * Submit @p n tasks to the master: handler "echo", "crc32", "spin" (payload
 * starts with the spin time, @p spin_us) or any name the workers know.
 */
int tt_ctl_submit(struct tt_ctl *c, uint32_t n, const char *handler, uint32_t size,
		  uint32_t spin_us, FILE *out);

/** Submit @p rate tasks per second until load stop. */
int tt_ctl_load_start(struct tt_ctl *c, uint32_t rate, const char *handler, uint32_t size,
		      uint32_t spin_us, FILE *out);
int tt_ctl_load_stop(struct tt_ctl *c, FILE *out);

/** Keep housekeeping for @p ms, then return. */
int tt_ctl_sleep(struct tt_ctl *c, uint32_t ms, FILE *out);

/**
 * Wait for the next timeline event of @p kind (a tt_fence_event_name()) for
 * @p worker (-1: any) after the last one a wait found, the last fault verb
 * or tt_ctl_wait_mark(), whichever came last.
 *
 * @return 0, or -ETIMEDOUT after @p timeout_ms (or -EINVAL for a bad kind).
 */
int tt_ctl_wait_event(struct tt_ctl *c, const char *kind, int64_t worker, uint32_t timeout_ms,
		      FILE *out);

/** Make the next wait_event look only at events recorded from now on. */
void tt_ctl_wait_mark(struct tt_ctl *c);

/** When the last fault verb took effect on the polling lcore (its `now`). */
tt_ns_t tt_ctl_last_fault_ns(struct tt_ctl *c);

/** Wait until the master sees every worker live (and every channel up). */
int tt_ctl_wait_live(struct tt_ctl *c, uint32_t timeout_ms, FILE *out);

/** Wait until every task submitted is finished (committed or cancelled). */
int tt_ctl_wait_tasks(struct tt_ctl *c, uint32_t timeout_ms, FILE *out);

/* Queries for telemetry and the demo. */

/**
 * Views of the (endpoint, worker) pairs of this process: the master's view
 * of each worker first, then the local worker endpoints.
 *
 * @param worker  a worker id, or -1 for all.
 * @return the number filled (at most cap), or a negative errno.
 */
int tt_ctl_nodes(struct tt_ctl *c, int64_t worker, struct tt_ctl_node_view *out, uint32_t cap);

/** Fill the task summary (runs a housekeeping pass first). */
void tt_ctl_task_summary(struct tt_ctl *c, struct tt_ctl_task_summary *out);

/**
 * Copy mirror events from position @p from (0: the oldest still held).
 *
 * @return events copied; *next is the position after the last one.
 */
uint32_t tt_ctl_events(struct tt_ctl *c, uint64_t from, struct tt_ctl_event *out, uint32_t cap,
		       uint64_t *next);

/** Position the next event will get (events ever mirrored). */
uint64_t tt_ctl_events_end(struct tt_ctl *c);

/** The endpoint's printable name ("master", "worker 2"). */
const char *tt_ctl_ep_name(const struct tt_ctl *c, uint32_t ep);

/** The topology. */
struct tt_topo *tt_ctl_topo(struct tt_ctl *c);

#endif /* TT_CTL_H */
