/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CFG_H
#define TT_CFG_H

/**
 * @file
 * tether-pmd's configuration: one INI file (DPDK rte_cfgfile) read into one
 * struct tt_app_config, and the one mapping from it to the engine's
 * struct tt_master_config and struct tt_worker_config.
 *
 * The files are documented key by key in config/master.ini, worker.ini and
 * demo.ini (meaning, unit, default, range). Sections: [node] [port] [net]
 * [neighbours] [lcores] [heartbeat] [channels] [fence] [auth] [tasks]
 * [workers].
 *
 * Checks: every value's syntax and range; keys a role does not use; unknown
 * sections and keys (typos are errors, never ignored); keys or sections given
 * twice; lines that are neither "[section]" nor "key = value"; lines
 * rte_cfgfile would truncate; the cross-key rules (probe interval below the
 * timeout, unique worker ids and addresses, port ranges, lcore layout, ...);
 * and the master/worker timing rule T1 > T2 + I + d_max + g
 * (tt_hb_policy_check() on the two Detect Mults and the interval, which both
 * roles' files carry since each side must know the other's).
 *
 * Errors name the file, the line when there is one, the section and key, the
 * bad value and what is allowed, gcc-style:
 *
 *     config/worker.ini:57: [heartbeat] worker_detect_mult = 0: must be an integer 1..255
 *
 * Nothing here exits: every function returns -EINVAL and the message.
 *
 * Execution context: control path (main lcore or before EAL init: rte_cfgfile
 * needs no EAL). Not thread-safe per struct; no global state.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "hb_policy.h"
#include "journal_file.h"
#include "master.h"
#include "worker.h"

/** Node roles. X(name, printable) */
#define TT_CFG_ROLES(X)                                                                            \
	X(MASTER, "master")                                                                        \
	X(WORKER, "worker")                                                                        \
	X(DEMO, "demo")

enum tt_cfg_role {
#define TT_X(name, str) TT_CFG_ROLE_##name,
	TT_CFG_ROLES(TT_X)
#undef TT_X
	TT_CFG_ROLE_COUNT
};

/** How the node's port is found. X(name, printable) */
#define TT_CFG_PORT_KINDS(X)                                                                       \
	X(PORT_ID, "port-id") /* an ethdev port EAL already probed: port.port_id */                \
	X(PCI, "pci")	      /* port.dev is a PCI address, probed by the app */                   \
	X(VDEV, "vdev")	      /* port.dev is a vdev argument string, created by the app */         \
	X(RING, "ring")	      /* the demo's in-process ring pairs */

enum tt_cfg_port_kind {
#define TT_X(name, str) TT_CFG_PORT_##name,
	TT_CFG_PORT_KINDS(TT_X)
#undef TT_X
	TT_CFG_PORT_COUNT
};

/** Lcore layouts (DESIGN.md §4). X(name, printable) */
#define TT_CFG_LAYOUTS(X)                                                                          \
	X(COMBINED, "combined") /* heartbeat and data on one lcore */                              \
	X(SPLIT, "split")	/* heartbeat lcore and data lcore */

enum tt_cfg_layout {
#define TT_X(name, str) TT_CFG_LAYOUT_##name,
	TT_CFG_LAYOUTS(TT_X)
#undef TT_X
	TT_CFG_LAYOUT_COUNT
};

/** What a polling lcore does when a pass found no work. X(name, printable) */
#define TT_CFG_POLL_MODES(X)                                                                       \
	X(POLL, "poll")	      /* spin: lowest latency, one full core per lcore */                  \
	X(BACKOFF, "backoff") /* pause, then sleep up to the next deadline when idle */

enum tt_cfg_poll_mode {
#define TT_X(name, str) TT_CFG_POLL_##name,
	TT_CFG_POLL_MODES(TT_X)
#undef TT_X
	TT_CFG_POLL_COUNT
};

/** Limits of the file format. */
#define TT_CFG_MAX_WORKERS 256 /* [workers] entries */
#define TT_CFG_MAX_NEIGH   64  /* [neighbours] entries */
#define TT_CFG_STR_MAX	   256 /* strings (paths, device arguments), NUL included */
#define TT_CFG_MAX_QUEUES  16  /* [port] queues; == TT_PORT_MAX_QUEUES */
#define TT_CFG_ERR_MAX	   1024 /* an error buffer this large holds any message */

/** Values tt_cfg_to_master() / tt_cfg_to_worker() fill that the file does not set. */
#define TT_CFG_TIMELINE_CAP 4096 /* timeline events kept */
#define TT_CFG_MAX_HANDLERS 16	 /* worker handler registry size */

/** [port] */
struct tt_cfg_port {
	enum tt_cfg_port_kind kind;
	char dev[TT_CFG_STR_MAX]; /* PCI: address; VDEV: "net_xxxN,args"; else "" */
	uint16_t port_id;	  /* PORT_ID only */
	uint16_t queues;	  /* RX = TX queues, 1..TT_CFG_MAX_QUEUES; >= 2 with hb_steer */
	bool hb_steer;		  /* try rte_flow: BFD to its own RX queue (queue 1) */
	uint16_t mtu;		  /* IPv4 MTU, 576..9216 */
	bool has_mac;		  /* false: keep the port's own MAC */
	struct rte_ether_addr mac;
};

/** [neighbours]: a static ARP entry. */
struct tt_cfg_neigh {
	uint32_t ip; /* host order */
	struct rte_ether_addr mac;
};

/** [net] and [neighbours] */
struct tt_cfg_net {
	uint32_t ip;	    /* own IPv4, host order */
	uint32_t master_ip; /* worker: the master's; master and demo: ip */
	uint32_t n_neigh;
	struct tt_cfg_neigh neigh[TT_CFG_MAX_NEIGH];
};

/**
 * [lcores]. COMBINED: one lcore (hb_lcore) runs heartbeats and data. SPLIT
 * (drivers/runtime.h): heartbeats on hb_lcore, data channels on dc_lcore,
 * which must differ (the loader checks that; start-up checks EAL has both).
 */
struct tt_cfg_lcores {
	enum tt_cfg_layout layout; /* COMBINED or SPLIT */
	uint16_t hb_lcore;
	uint16_t dc_lcore; /* == hb_lcore in the combined layout */
	enum tt_cfg_poll_mode poll_mode;
	uint32_t idle_passes;  /* BACKOFF: empty passes before sleeping */
	uint32_t sleep_max_us; /* BACKOFF: longest sleep */
};

/** [heartbeat]: both roles' settings (each side must know the other's). */
struct tt_cfg_hb {
	uint32_t interval_us;	    /* DesiredMinTx = RequiredMinRx, both ends */
	uint8_t master_detect_mult; /* the master's Detect Mult: T2 = it x interval */
	uint8_t worker_detect_mult; /* the workers' Detect Mult: T1 = it x interval */
	uint32_t d_max_us;	    /* one-way delay bound */
	uint32_t granularity_us;    /* timer granularity g */
	uint32_t slow_tx_us;	    /* DesiredMinTx while not Up (RFC 5880 §6.8.3) */
	uint16_t src_port;	    /* worker: its source port; master: the first one */
};

/** [channels] */
struct tt_cfg_chan {
	uint8_t count;		    /* K, 1..16 */
	uint16_t port;		    /* the master's data-channel UDP port */
	uint16_t port_base;	    /* worker: channel c at local port port_base + c */
	uint32_t probe_interval_us; /* < probe_timeout_us */
	uint32_t probe_timeout_us;
	uint32_t rto_min_us;	    /* <= rto_max_us */
	uint32_t rto_max_us;
	uint8_t max_retx;
	uint32_t max_msg_bytes;
	uint16_t window;    /* segments in flight */
	uint16_t rx_window; /* receive credits */
};

/** [tasks] */
struct tt_cfg_tasks {
	uint32_t max_tasks;	   /* master: task table capacity */
	uint32_t max_outstanding;  /* tasks a worker holds at once (master limit, worker capacity) */
	uint32_t max_result_bytes; /* worker: largest result payload */
};

/**
 * [journal] (master, demo): the master journal (issue 7). No path: no
 * journal, and a restarted master starts with an empty task table.
 */
struct tt_cfg_journal {
	char path[TT_CFG_STR_MAX]; /* the journal file; "" if none */
	unsigned int path_line;	   /* its line in the file, for messages about it */
	enum tt_jfile_fsync fsync; /* always (default), batch, never */
	uint32_t batch_records;	   /* batch: fsync once this many records wait */
	uint32_t batch_us;	   /* batch: ... or once the oldest waited this long */
	bool truncate_corrupt;	   /* operator override: cut damage in the middle */
};

/** The whole file. Filled by tt_cfg_load*(); read-only afterwards. */
struct tt_app_config {
	char source[TT_CFG_STR_MAX]; /* the file name messages use */
	enum tt_cfg_role role;	     /* [node] role */
	uint32_t worker_id;	     /* [node] worker_id (worker) */
	struct tt_cfg_port port;
	struct tt_cfg_net net;
	struct tt_cfg_lcores lcores;
	struct tt_cfg_hb hb;
	struct tt_cfg_chan chan;
	enum tt_worker_fence_action fence_action; /* [fence] action */
	char key_file[TT_CFG_STR_MAX];		  /* [auth] key_file, as written; "" if none */
	struct tt_cfg_tasks tasks;
	struct tt_cfg_journal journal;
	uint32_t n_workers; /* [workers] (master, demo), in file order */
	struct tt_master_peer_config workers[TT_CFG_MAX_WORKERS];
	/** The timing rule's numbers (T1, T2, I, bound) and its one-line "ok: ..." summary. */
	struct tt_hb_policy_times policy;
	char policy_msg[512];
};

/** The embedded config/demo.ini (generated at build time), NUL-terminated. */
extern const char tt_cfg_demo_ini[];

/** The name messages use for the embedded demo configuration. */
#define TT_CFG_DEMO_NAME "demo.ini (built-in)"

/**
 * Put every default in @p cfg (role master, nothing required set). The
 * loaders start from this; tests use it to build configurations.
 */
void tt_cfg_defaults(struct tt_app_config *cfg);

/**
 * Read and check an INI file.
 *
 * @param path     the file; messages name it as given.
 * @param cfg      filled on success (undefined on failure).
 * @param err      on failure one line "FILE[:LINE]: [section] key = value:
 *                 what is allowed"; on success "". May be NULL if err_len is 0.
 * @param err_len  size of err (TT_CFG_ERR_MAX holds any message).
 * @return 0; -EINVAL (bad configuration, or the file cannot be read:
 *         the message says which); -ENOMEM.
 */
int tt_cfg_load(const char *path, struct tt_app_config *cfg, char *err, size_t err_len);

/**
 * Read and check INI text held in memory (rte_cfgfile reads it through a
 * memfd). Same checks and messages as tt_cfg_load(), naming @p name.
 *
 * @param name  the name messages use, e.g. TT_CFG_DEMO_NAME.
 * @param text  the INI text; need not be NUL-terminated.
 * @param len   its length in bytes.
 * @return as tt_cfg_load(); also -errno if the memfd cannot be made.
 */
int tt_cfg_load_text(const char *name, const char *text, size_t len, struct tt_app_config *cfg,
		     char *err, size_t err_len);

/** tt_cfg_load_text() of the embedded tt_cfg_demo_ini, named TT_CFG_DEMO_NAME. */
int tt_cfg_load_demo(struct tt_app_config *cfg, char *err, size_t err_len);

/**
 * Map a loaded configuration (role master or demo) to the engine's master
 * configuration. Fields the file does not set: io (zeroed: the caller sets
 * it), seed 0, sched_log NULL / 0, timeline_cap TT_CFG_TIMELINE_CAP, the
 * TEST-ONLY flags false except allow_fast_slow_rate (true when slow_tx_us is
 * below 1 s, which only the demo accepts).
 *
 * @param cfg  a configuration tt_cfg_load*() accepted. out->workers points
 *             into cfg->workers: keep cfg until tt_master_create() returns.
 * @param out  overwritten.
 * @return 0, or -EINVAL if cfg's role is worker.
 */
int tt_cfg_to_master(const struct tt_app_config *cfg, struct tt_master_config *out);

/**
 * Map a loaded configuration to the engine's configuration of one worker.
 * Role worker: @p idx must be 0 (the node itself). Role demo: worker
 * cfg->workers[idx], whose master is the demo's master (net.ip) and whose
 * channels start at its [workers] port. Fields the file does not set: io
 * (zeroed), seed 0, epoch 1 (a worker process restarted after a fence must
 * be given a newer one), local_disc 0 (the engine's default),
 * max_handlers TT_CFG_MAX_HANDLERS, timeline_cap TT_CFG_TIMELINE_CAP.
 *
 * @param cfg  a configuration tt_cfg_load*() accepted.
 * @param idx  which worker (see above).
 * @param out  overwritten.
 * @return 0, or -EINVAL (role master, or idx out of range).
 */
int tt_cfg_to_worker(const struct tt_app_config *cfg, unsigned int idx,
		     struct tt_worker_config *out);

/** Printable names from the X-macros above ("?" when out of range). */
const char *tt_cfg_role_name(unsigned int role);
const char *tt_cfg_port_kind_name(unsigned int kind);
const char *tt_cfg_layout_name(unsigned int layout);
const char *tt_cfg_poll_mode_name(unsigned int mode);

#endif /* TT_CFG_H */
