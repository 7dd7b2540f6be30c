/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TOPO_H
#define TT_TOPO_H

/**
 * @file
 * The process's topology: the ports, the endpoints and the lcore runtime
 * (drivers/runtime.h) that runs them, built from a checked configuration
 * (config.h) for one mode (args.h):
 *
 *   demo, embedded  one master and every [workers] entry of a demo
 *                   configuration in this process: one crossed ring port
 *                   pair per worker (master side i <-> worker i), static
 *                   neighbour entries for the pair's MAC addresses, all
 *                   endpoints on one polling lcore.
 *   master, worker  one endpoint on the configured port (a port EAL probed,
 *                   a PCI address or a vdev string), its neighbours from
 *                   [neighbours] or ARP.
 *
 * A runtime runs once (tt_rt_start() after tt_rt_stop() is refused), so a
 * `stop` then `start` builds a fresh runtime on the same ports
 * (tt_topo_restart()): the endpoints start over (a worker under a newer
 * epoch; a master with an empty task table, or, with a [journal], with the
 * tasks the journal replays).
 *
 * Master journal ([journal] path, issue 7): before the master is created
 * the journal file is opened (a torn tail cut), replayed, and a
 * MASTER_START of the next generation appended; the master's scheduler is
 * restored from the replay (pending tasks rescheduled under the new
 * generation's epochs) and journals through a writer thread
 * (drivers/journal_writer.h), started with the data plane and kept until
 * the master is replaced or the process ends; a `stop` waits until what
 * the master queued is written and fsynced. What was
 * replayed is logged once (tether.app, NOTICE): records, tasks, committed,
 * cancelled, to reschedule, torn tail bytes cut, and the replay time. A
 * `stop` then `start` is a master restart: the writer is stopped (every
 * record written and fsynced), the file closed and opened again.
 *
 * Execution context: main lcore, EAL initialised, not QSBR-registered.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "auth.h"
#include "config.h"
#include "crypto_openssl.h"
#include "journal.h"
#include "journal_writer.h"
#include "port.h"
#include "runtime.h"
#include "scheduler.h"

/** Most ports one process configures (a ring pair is two). */
#define TT_TOPO_MAX_PORTS (2 * (TT_RT_MAX_EPS - 1))
/** Scheduler log entries kept for the exactly-once check (engine/scheduler.h). */
#define TT_TOPO_SCHED_LOG_CAP (1u << 18)
/** TT_TOPO_NO_EP: no such endpoint in this process. */
#define TT_TOPO_NO_EP UINT32_MAX

/** One endpoint of the runtime. */
struct tt_topo_ep {
	enum tt_rt_role role;
	uint32_t worker_id; /**< role WORKER */
	char name[24];	    /**< "master", "worker 2" */
};

struct tt_topo {
	enum tt_args_mode mode;
	const struct tt_app_config *cfg; /**< the caller's, kept for restarts */
	struct tt_rt *rt;		 /**< NULL while stopped */
	uint32_t generation;		 /**< runtimes built so far */
	uint32_t n_eps;
	struct tt_topo_ep ep[TT_RT_MAX_EPS];
	uint32_t master_ep; /**< index, or TT_TOPO_NO_EP */
	uint16_t n_ports;
	struct tt_port ports[TT_TOPO_MAX_PORTS];
	uint16_t n_pairs;
	struct tt_port_ring_pair pairs[TT_RT_MAX_EPS - 1];
	struct tt_tsc_clock clock; /**< shared by every runtime generation */
	struct tt_sched_event *sched_log;
	/* [auth] key_file: the keys and the hash backend (used by the polling lcore only). */
	bool auth;
	struct tt_auth_keyring keys;
	struct tt_crypto_openssl *crypto;
	/* [journal]: the writer (owns the open file), the replay (until the master is
	 * created), the scheduler's hooks and restore data. */
	struct tt_jwriter *journal;
	struct tt_jrnl_replay *replay;
	struct tt_sched_persist persist;
	struct tt_topo_journal_info {
		uint32_t gen;	  /* this master's generation */
		uint64_t records; /* valid records replayed */
		uint32_t tasks;	  /* tasks in them */
		uint32_t committed;
		uint32_t cancelled;
		uint32_t pending;    /* restored: rescheduled once workers join */
		uint64_t cut_bytes;  /* torn tail ignored and cut off */
		uint64_t file_bytes; /* the file's size at open */
		uint64_t open_ns;    /* open: read, cut a torn tail, fsync (CLOCK_MONOTONIC) */
		uint64_t replay_ns;  /* decode + replay of what open read */
	} jinfo;
	/* Everything tt_rt_create() copies, kept for restarts. */
	struct tt_rt_config rtcfg;
	struct tt_rt_ep_config epcfg[TT_RT_MAX_EPS];
	struct tt_rt_neigh_static statics[TT_RT_MAX_EPS][TT_CFG_MAX_NEIGH + TT_RT_MAX_EPS];
};

/**
 * Check that a configuration's [node] role suits the mode: master and
 * worker want their own role, the in-process modes (demo, embedded) a demo
 * configuration. Needs no EAL.
 *
 * @return 0, or -EINVAL with the message in err.
 */
int tt_topo_check_mode(const struct tt_app_config *cfg, enum tt_args_mode mode, char *err,
		       size_t err_len);

/**
 * Build the topology: check that the configuration suits the mode, open
 * and start the ports, fill the runtime configuration and create the
 * runtime (not started).
 *
 * @param t        storage, overwritten.
 * @param mode     what to build.
 * @param cfg      a configuration tt_cfg_load*() accepted; must outlive t.
 * @param err      on failure a message naming the file, key or value.
 * @param err_len  size of err.
 * @return 0; -EINVAL (the configuration does not suit the mode or this EAL
 *         set-up: a usage error); another negative errno (a runtime error).
 */
int tt_topo_create(struct tt_topo *t, enum tt_args_mode mode, const struct tt_app_config *cfg,
		   char *err, size_t err_len);

/** Stop and free the runtime, stop and close the ports, remove the ring pairs. */
void tt_topo_destroy(struct tt_topo *t);

/**
 * Start the runtime's lcore; after a stop, build a fresh runtime first.
 * @return 0, -EALREADY (running), or a negative errno (err says why).
 */
int tt_topo_start(struct tt_topo *t, char *err, size_t err_len);

/**
 * Stop the runtime's lcore (the endpoints are kept for reading until the
 * next start).
 * @return 0 or -EALREADY (not running).
 */
int tt_topo_stop(struct tt_topo *t);

/** @return true while the polling lcore runs. */
bool tt_topo_running(const struct tt_topo *t);

/** @return the endpoint of worker @p worker_id in this process, or TT_TOPO_NO_EP. */
uint32_t tt_topo_worker_ep(const struct tt_topo *t, uint32_t worker_id);

/**
 * The workers the process knows: the master's [workers] (master, embedded),
 * or the node itself (worker).
 *
 * @return the count; ids in ids[0..min(count, cap)-1].
 */
uint32_t tt_topo_worker_ids(const struct tt_topo *t, uint32_t *ids, uint32_t cap);

/** @return the ethdev port ids the endpoints use, in ports[]. */
uint16_t tt_topo_port_ids(const struct tt_topo *t, uint16_t *ids, uint16_t cap);

/**
 * Which endpoint and port index own an ethdev port.
 * @return 0, or -ENOENT.
 */
int tt_topo_port_owner(const struct tt_topo *t, uint16_t port_id, uint32_t *ep, uint16_t *port_idx);

/** Nanoseconds since the topology's clock origin (the endpoints' `now`). */
tt_ns_t tt_topo_now(const struct tt_topo *t);

#endif /* TT_TOPO_H */
