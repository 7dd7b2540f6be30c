/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CTL_INT_H
#define TT_CTL_INT_H

/**
 * @file
 * Inside the control module, shared by its three files and by nothing else
 * (other modules use control.h):
 *
 *   control.c        state, the timeline mirror, task accounting,
 *                    housekeeping, start/stop, tasks, waits, queries
 *   control_show.c   the views of the endpoints and the show verbs
 *   control_fault.c  fault injection and heartbeat timer changes
 *
 * Every public verb runs between TT_CTL_VERB_BEGIN and TT_CTL_VERB_END: the
 * control mutex is held, the state was just housekept, a failure is counted
 * and the output flushed. The helpers below expect the mutex held.
 */

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h"
#include "task_msg.h"

/** Most (endpoint, worker) views one query returns. */
#define TT_CTL_MAX_NODES (TT_CFG_MAX_WORKERS + TT_RT_MAX_EPS)

/* One task this process submitted. id 0 marks an empty slot of the map. */
struct task_rec {
	uint64_t id;
	uint8_t *payload;
	uint32_t commits;
	uint8_t state;
	bool released;
};

/* Open addressing, linear probing, backward-shift deletion; cap a power of two. */
struct task_map {
	struct task_rec *slot;
	uint32_t cap;
	uint32_t n;
};

struct pause {
	bool on;
	uint32_t worker;
	tt_ns_t until_ns;
};

struct tt_ctl {
	pthread_mutex_t lock;
	struct tt_topo *topo;
	atomic_bool quit;
	int exit_status;
	uint32_t failures;
	bool exit_logged[TT_RT_MAX_EPS];

	/* timeline mirror */
	struct tt_ctl_event *tl;
	uint64_t tl_end;
	struct tt_fence_event *drain;
	struct tt_ctl_event *batch;
	uint32_t n_batch;
	uint64_t wait_cursor; /* wait_event looks from this mirror position ... */
	tt_ns_t wait_from_ns; /* ... at events stamped from this time on (the mirror is sorted) */

	/* tasks */
	struct task_map tasks;
	uint32_t log_pos;
	uint32_t log_len;
	bool log_overflow;
	tt_ns_t last_sync_ns;
	struct tt_ctl_task_summary sum;
	struct tt_sched_counters sched_prev; /* of runtimes before the current one */
	struct tt_sched_counters sched_cur;
	uint32_t gen; /* topology generation the task state belongs to */

	/* load generator */
	bool load_on;
	uint32_t load_rate;
	char load_handler[TT_TMSG_HANDLER_MAX + 1];
	uint32_t load_size;
	uint32_t load_spin_us;
	tt_ns_t load_start_ns;
	uint64_t load_sent;

	struct pause pause[TT_RT_MAX_EPS];
	tt_ns_t last_fault_ns;

	/* heartbeat timers as last set, per worker (index of worker_ids) */
	struct {
		uint32_t interval_us;
		uint8_t mult[TT_RT_ROLE_MAX];
	} hb[TT_CFG_MAX_WORKERS];

	uint32_t n_workers;
	uint32_t worker_ids[TT_CFG_MAX_WORKERS];
};

/* Every verb: take the lock, housekeep so that what it shows is fresh ... */
#define TT_CTL_VERB_BEGIN(c)                                                                       \
	int ret_;                                                                                  \
	pthread_mutex_lock(&(c)->lock);                                                            \
	tt_ctl_housekeeping_locked(c)

/* ... and count a failure, flush the output, unlock, return. Needs `out` in scope. */
#define TT_CTL_VERB_END(c, ret)                                                                    \
	ret_ = (ret);                                                                              \
	if (ret_ < 0)                                                                              \
		(c)->failures++;                                                                   \
	fflush(out);                                                                               \
	pthread_mutex_unlock(&(c)->lock);                                                          \
	return ret_

/** Print "error: ..." on out (nothing if out is NULL) and return ret. */
int tt_ctl_err_out(FILE *out, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** tt_rt_cmd_exec() on the current runtime. @return its result, or -ENODEV. */
int tt_ctl_exec(struct tt_ctl *c, struct tt_rt_cmd *cmd);

/** Run fn(endpoint, now, arg) on the polling lcore (a CALL). *done_ns: when it ran (or NULL). */
int tt_ctl_call(struct tt_ctl *c, uint32_t ep, tt_rt_call_fn fn, void *arg, tt_ns_t *done_ns);

bool tt_ctl_has_master(const struct tt_ctl *c);

/** Index of a worker in worker_ids, or -1. */
int tt_ctl_worker_index(const struct tt_ctl *c, uint32_t id);
bool tt_ctl_known_worker(const struct tt_ctl *c, uint32_t id);

/** Print "error: no worker N (workers: ...)". @return -ENOENT. */
int tt_ctl_unknown_worker(const struct tt_ctl *c, uint32_t id, FILE *out);

/** tt_ctl_housekeeping() with the mutex held. */
void tt_ctl_housekeeping_locked(struct tt_ctl *c);

/** Drain the endpoints' timelines into the mirror (and the log). */
void tt_ctl_drain_timelines(struct tt_ctl *c);

/** Position of the oldest event the mirror still holds. */
uint64_t tt_ctl_tl_oldest(const struct tt_ctl *c);

/** Account and release finished tasks (at most every 10 ms unless forced). */
void tt_ctl_sync_tasks(struct tt_ctl *c, bool force);

/** tt_ctl_nodes() with the mutex held. */
int tt_ctl_nodes_locked(struct tt_ctl *c, int64_t worker, struct tt_ctl_node_view *out,
			uint32_t cap);

/** calloc() room for TT_CTL_MAX_NODES views (free it). */
struct tt_ctl_node_view *tt_ctl_nodes_alloc(void);

/** The task summary from the control side's counters (synced first). */
void tt_ctl_summary_locked(struct tt_ctl *c, struct tt_ctl_task_summary *s);

/** Add the local worker endpoints' runner counters to the summary. */
void tt_ctl_runner_summary(struct tt_ctl *c, struct tt_ctl_task_summary *s);

/**
 * Hold every packet of a worker's flows hold_ns in every endpoint of this
 * process that carries them (0: release). out NULL: a pause's periodic update.
 */
int tt_ctl_pause_hold(struct tt_ctl *c, uint32_t worker, tt_ns_t hold_ns, tt_ns_t *done_ns,
		      FILE *out);

#endif /* TT_CTL_INT_H */
