/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_RUNTIME_H
#define TT_RUNTIME_H

/**
 * @file
 * The lcore runtime: one polling lcore running engine endpoints (masters,
 * workers) on DPDK ports.
 *
 * A struct tt_rt is one lcore and the list of endpoints it owns. Each
 * endpoint owns its ports' queues (one RX queue and one TX queue per port,
 * plus a heartbeat RX queue when rte_flow steering took), a neighbour table
 * (drivers/neigh.h), a fault shim (drivers/shim.h) and a TX burst buffer per
 * port. Several endpoints on one lcore is what the eal tests and the
 * embedded demo run; a deployment runs one endpoint per process.
 *
 * The loop (STYLE.md "The lcore loop"), per pass:
 *   now = TSC (once) -> per endpoint and port: RX burst -> parse
 *   (engine/pkt.h): ARP to the neighbour table, UDP for us to the endpoint's
 *   rx, anything else dropped and counted as foreign -> endpoint poll(now)
 *   -> ARP retries -> shim releases -> TX flush of buffers that are full or
 *   older than tx_drain_us -> tt_ctab_quiescent_state().
 *   Every housekeeping_passes passes: the quit flag, the command mailbox,
 *   the link watch (link down -> tt_master_link_down/tt_worker_link_down
 *   for every endpoint on that port; the engine has no per-port link-down,
 *   so a master with several ports takes down every worker's channels),
 *   and the counters folded into what the getters below read.
 * TX: the endpoint's tx_buf gets mbuf data room after the Ethernet/IPv4/UDP
 * headroom; its tx_send resolves the destination (neighbour table), writes
 * the headers (tt_pkt_udp4_finish; checksum offloads where the port has
 * both), passes the frame through the fault shim under its flow id (the
 * heartbeat or one data channel, see tt_rt_flow_hb()) and queues it.
 *
 * Layouts. COMBINED: one lcore runs heartbeats and data channels (what
 * `-l 0-1` gives). SPLIT (DESIGN.md §4): two lcores, the data lane
 * (lcore_id) and the heartbeat lane (hb_lcore_id); the endpoints are
 * created with split planes (engine/master.h, worker.h "Split planes"):
 *   heartbeat lane  the HB planes: heartbeats in (from the dispatch ring,
 *                   or the port's hb_queue under rte_flow steering),
 *                   tt_*_poll_hb() (session timers, the channel-downs the DC
 *                   planes queued), its own mailbox (SET_HB_TIMERS, TL_READ
 *                   of the HB plane's timeline), its own counters
 *                   (tt_rt_hb_lcore_stats());
 *   data lane       everything else: RX of every queue it owns, ARP, the
 *                   DC planes (tt_*_rx_dc, tt_*_poll_dc: channels, scheduler,
 *                   runner), the shim, all TX, the link watch, the other
 *                   commands.
 * The lanes meet only through lock-free rings and the engine's event queues:
 * per endpoint an SP/SC ring of received heartbeats (data lane -> HB lane:
 * the software dispatch of tt_flow_hb_match(), the only one the PMDs here
 * allow) and an SP/SC ring of heartbeats to send (HB lane -> data lane,
 * which resolves, passes the shim and transmits them, so that the neighbour
 * table, the shim and the TX queues keep one owner). Both lanes are QSBR
 * readers with a quiescent state every pass, read the TSC once per pass and
 * back off alike in BACKOFF mode.
 *
 * Heartbeat steering: per port, if asked (try_hb_steer), tt_flow_hb_steer()
 * to hb_queue; in RTE_FLOW mode that queue is polled first in every pass (by
 * the heartbeat lane in SPLIT); in SOFTWARE mode (every virtual PMD here)
 * heartbeats arrive on the data queue and are told apart by
 * tt_flow_hb_match() (counted in RX_HB). The mode is in struct
 * tt_rt_port_stats.
 *
 * Poll modes: POLL (production default) spins; BACKOFF sleeps after
 * idle_passes empty passes, for at most sleep_max_us and never past the
 * next deadline of an endpoint, ARP retry, shim release or TX drain, going
 * QSBR-offline around the sleep. Sleeps are counted.
 *
 * Threads. Control functions (create, destroy, start, stop, tt_rt_cmd_exec)
 * run on control threads (the main lcore); tt_rt_cmd_exec() calls are
 * serialised by a control-side mutex the polling lcore never takes. The
 * polling lcore takes no lock: commands reach it through an SP/SC rte_ring
 * drained every housekeeping_passes passes, and counters leave it through
 * relaxed atomics. tt_rt_request_stop() is async-signal-safe.
 *
 * RCU: tt_rt_create() and tt_rt_destroy() register the calling thread with
 * liburcu QSBR for their duration (the master's association table needs a
 * registered writer), so that thread must not be QSBR-registered already.
 * The polling lcore registers itself while it runs.
 *
 * Log type user.tether.rt. Errors a user sees name the endpoint, port and
 * the bad value.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fence.h"
#include "flow.h"
#include "master.h"
#include "neigh.h"
#include "port.h"
#include "shim.h"
#include "tsc_clock.h"
#include "tt_time.h"
#include "worker.h"

/** Most endpoints one runtime (lcore) runs. */
#define TT_RT_MAX_EPS 32
/** Most ports one endpoint sends and receives on. */
#define TT_RT_MAX_PORTS TT_NEIGH_MAX_PORTS
/** Log2 buckets of the timer lateness histogram (see struct tt_rt_lcore_stats). */
#define TT_RT_LATE_BUCKETS 20

/** Defaults used where a struct tt_rt_config field is 0. */
#define TT_RT_DEFAULT_BURST	     32u
#define TT_RT_DEFAULT_HOUSEKEEPING   64u
#define TT_RT_DEFAULT_TX_DRAIN_US    100u
#define TT_RT_DEFAULT_IDLE_PASSES    256u
#define TT_RT_DEFAULT_SLEEP_MAX_US   200u
#define TT_RT_DEFAULT_CMD_RING	     64u
#define TT_RT_DEFAULT_SHIM_DELAY_CAP 1024u

/** Endpoint roles. X(name, printable) */
#define TT_RT_ROLES(X)                                                                             \
	X(MASTER, "master")                                                                        \
	X(WORKER, "worker")

/* clang-format off */
enum tt_rt_role {
#define TT_X(name, str) TT_RT_ROLE_##name,
	TT_RT_ROLES(TT_X)
#undef TT_X
	TT_RT_ROLE_MAX
};
/* clang-format on */

/** Lcore layouts. X(name, printable) */
#define TT_RT_LAYOUTS(X)                                                                           \
	X(COMBINED, "combined")                                                                    \
	X(SPLIT, "split")

/* clang-format off */
enum tt_rt_layout {
#define TT_X(name, str) TT_RT_LAYOUT_##name,
	TT_RT_LAYOUTS(TT_X)
#undef TT_X
	TT_RT_LAYOUT_MAX
};
/* clang-format on */

/** Poll modes. X(name, printable) */
#define TT_RT_POLL_MODES(X)                                                                        \
	X(POLL, "poll")                                                                            \
	X(BACKOFF, "idle-backoff")

/* clang-format off */
enum tt_rt_poll_mode {
#define TT_X(name, str) TT_RT_POLL_##name,
	TT_RT_POLL_MODES(TT_X)
#undef TT_X
	TT_RT_POLL_MAX
};
/* clang-format on */

/** Runtime states. X(name, printable) */
#define TT_RT_STATES(X)                                                                            \
	X(CREATED, "created")                                                                      \
	X(RUNNING, "running")                                                                      \
	X(STOPPED, "stopped")

/* clang-format off */
enum tt_rt_state {
#define TT_X(name, str) TT_RT_S_##name,
	TT_RT_STATES(TT_X)
#undef TT_X
	TT_RT_S_MAX
};
/* clang-format on */

/**
 * Per-port counters. X(name, printable). Every frame received lands in
 * RX_PKTS and in exactly one of RX_UDP, RX_ARP, RX_FOREIGN, RX_MALFORMED,
 * RX_SEGMENTED, RX_EXITED; RX_ENGINE_DROP counts the RX_UDP ones the
 * endpoint refused (its own counters say why). A datagram dropped before
 * its port is known (TX_NO_MBUF from tx_buf, TX_NO_NEIGH) counts on port 0.
 */
#define TT_RT_PORT_CTRS(X)                                                                         \
	X(RX_PKTS, "rx_pkts")		/* frames received */                                      \
	X(RX_UDP, "rx_udp")		/* UDP datagrams for us, given to the endpoint */          \
	X(RX_HB, "rx_hb")		/* of those, heartbeats (HB queue or software match) */    \
	X(RX_ARP, "rx_arp")		/* ARP frames handled by the neighbour table */            \
	X(RX_FOREIGN, "rx_foreign")	/* not ours: IPv6 (ND, MLD), other MAC/IP, non-UDP */      \
	X(RX_MALFORMED, "rx_malformed") /* failed tt_pkt_parse_udp4 (not FOREIGN) */               \
	X(RX_SEGMENTED, "rx_segmented") /* multi-segment frames: dropped */                        \
	X(RX_EXITED, "rx_exited")	/* the endpoint has exited: dropped */                     \
	X(RX_ENGINE_DROP, "rx_engine_drop")   /* the endpoint's rx refused the datagram */         \
	X(TX_PKTS, "tx_pkts")		      /* frames the NIC took */                            \
	X(TX_ARP, "tx_arp")		      /* ARP frames queued */                              \
	X(TX_NO_MBUF, "tx_no_mbuf")	      /* no mbuf for a datagram or ARP frame */            \
	X(TX_NO_NEIGH, "tx_no_neigh")	      /* destination not resolved (yet): dropped */        \
	X(TX_BUILD_FAILED, "tx_build_failed") /* headers did not fit: dropped */                   \
	X(TX_NIC_FULL, "tx_nic_full")	      /* the NIC did not take them: freed */

/* clang-format off */
enum tt_rt_port_ctr {
#define TT_X(name, str) TT_RT_PC_##name,
	TT_RT_PORT_CTRS(TT_X)
#undef TT_X
	TT_RT_PC_MAX
};
/* clang-format on */

/**
 * One port of an endpoint. The endpoint's MAC address on the port is `mac`
 * if set, else the port's own; a port without one (ring ports report
 * 00:00:00:00:00:00) gets the locally administered 02:74:74:00:hi:lo, hi/lo
 * being the ethdev port id, unique in the process.
 */
struct tt_rt_port_config {
	const struct tt_port *port;	  /**< configured and started (drivers/port.h) */
	uint16_t queue;			  /**< RX and TX queue this endpoint owns */
	bool try_hb_steer;		  /**< try an rte_flow rule: BFD -> hb_queue */
	uint16_t hb_queue;		  /**< RX queue for heartbeats when steering takes */
	uint8_t mac[TT_PKT_ETH_ADDR_LEN]; /**< MAC to use; all zero: see above */
};

/** A static neighbour entry: ip -> MAC on a port. */
struct tt_rt_neigh_static {
	uint32_t ip;			  /**< host order */
	uint8_t mac[TT_PKT_ETH_ADDR_LEN]; /**< wire order */
	uint16_t port_idx;		  /**< index into tt_rt_ep_config.ports */
};

/**
 * One endpoint. The engine configuration of the role is used as given,
 * except io, hb_lcore and dc_lcore, which the runtime sets (its lcore). The
 * endpoint's own IPv4 address is master.ip / worker.ip; its peers (the
 * addresses the neighbour table resolves) are master.workers[].ip /
 * worker.master_ip, plus the static entries.
 */
struct tt_rt_ep_config {
	enum tt_rt_role role;
	struct tt_master_config master; /**< role MASTER */
	struct tt_worker_config worker; /**< role WORKER */
	uint16_t n_ports;		/**< 1..TT_RT_MAX_PORTS */
	struct tt_rt_port_config ports[TT_RT_MAX_PORTS];
	uint32_t n_static;			  /**< static neighbour entries */
	const struct tt_rt_neigh_static *statics; /**< copied */
	tt_ns_t arp_retry_ns;			  /**< 0: TT_NEIGH_DEFAULT_RETRY_NS */
	uint32_t arp_max_tries;			  /**< 0: TT_NEIGH_DEFAULT_MAX_TRIES */
	tt_ns_t arp_failed_retry_ns;		  /**< 0: TT_NEIGH_DEFAULT_FAILED_RETRY_NS */
	uint32_t shim_delay_cap;		  /**< 0: TT_RT_DEFAULT_SHIM_DELAY_CAP */
	uint64_t shim_seed;
};

/** One lcore and its endpoints. 0 fields take their defaults. */
struct tt_rt_config {
	unsigned int lcore_id; /**< the polling lcore (not the main lcore); SPLIT: the data lane */
	unsigned int hb_lcore_id; /**< SPLIT: the heartbeat lane (not main, not lcore_id) */
	enum tt_rt_layout layout; /**< COMBINED or SPLIT */
	enum tt_rt_poll_mode poll_mode;
	uint32_t idle_passes;		   /**< BACKOFF: empty passes before sleeping */
	uint32_t sleep_max_us;		   /**< BACKOFF: longest sleep */
	uint32_t housekeeping_passes;	   /**< N: passes between mailbox/quit/stats/link */
	uint32_t tx_drain_us;		   /**< flush a TX buffer this old */
	uint16_t burst;			   /**< RX and TX burst, <= 256 */
	uint32_t cmd_ring_size;		   /**< mailbox slots, power of two */
	const struct tt_tsc_clock *clock;  /**< shared origin for several runtimes; NULL: own */
	uint32_t n_eps;			   /**< 1..TT_RT_MAX_EPS */
	const struct tt_rt_ep_config *eps; /**< copied (master.workers and statics too) */
};

/** Per-port counters and steering, as of the last fold. */
struct tt_rt_port_stats {
	uint16_t port_id;
	uint16_t queue;
	uint8_t mac[TT_PKT_ETH_ADDR_LEN];     /**< the endpoint's MAC on the port */
	enum tt_flow_mode hb_mode;	      /**< RTE_FLOW or SOFTWARE */
	char hb_reason[160];		      /**< why that mode */
	uint64_t ctr[TT_RT_PC_MAX];	      /**< by enum tt_rt_port_ctr */
	uint64_t parse[TT_PKT_RX_REJECT_MAX]; /**< tt_pkt_parse_udp4 verdicts ([0] ok) */
};

/**
 * Per-lcore counters, as of the last fold.
 *
 * Loop utilisation = busy_ns / total_ns, where a pass is busy if it received
 * a frame, transmitted one, or the endpoints' poll did work; a pass lasts
 * from its TSC read to the next one's (no extra clock read).
 *
 * Timer lateness: each time an endpoint's next deadline is reached, the pass
 * records now - deadline in late_hist: bucket 0 is < 1 µs, bucket k (k >= 1)
 * is [2^(k-1), 2^k) µs, the last bucket everything above.
 */
struct tt_rt_lcore_stats {
	unsigned int lcore_id;
	enum tt_rt_state state;
	enum tt_rt_layout layout;
	enum tt_rt_poll_mode poll_mode;
	uint64_t passes;
	uint64_t busy_passes;
	uint64_t total_ns;
	uint64_t busy_ns;
	uint64_t pass_max_ns; /**< longest pass seen (a stall: the lcore lost its CPU) */
	uint64_t sleeps;
	uint64_t sleep_ns;
	uint64_t cmds;	     /**< mailbox commands run */
	uint64_t link_downs; /**< link-down events handed to endpoints */
	uint64_t deadlines;  /**< deadlines serviced (sum of late_hist) */
	uint64_t late_max_ns;
	uint64_t late_hist[TT_RT_LATE_BUCKETS];
	/* SPLIT, heartbeat lane (hb_ring_full also on the data lane: RX ring full) */
	uint64_t hb_rx;	       /**< heartbeats handed to the HB planes */
	uint64_t hb_drop;      /**< ... refused by them (or not ours) */
	uint64_t hb_tx;	       /**< heartbeats handed to the data lane to send */
	uint64_t hb_ring_full; /**< heartbeats lost: a ring between the lanes full (or no mbuf) */
};

/** An endpoint as a CALL command or a stopped runtime sees it. */
struct tt_rt_ep_view {
	enum tt_rt_role role;
	struct tt_master *master; /**< role MASTER, else NULL */
	struct tt_worker *worker; /**< role WORKER, else NULL */
	struct tt_neigh *neigh;
	struct tt_shim *shim;
};

/** Per-endpoint (per-session) snapshot, taken on the polling lcore. */
struct tt_rt_ep_snapshot {
	enum tt_rt_role role;
	bool exited;			  /**< worker fenced with action EXIT */
	int exit_code;			  /**< TT_WORKER_EXIT_FENCED once exited */
	struct tt_master_counters master; /**< role MASTER */
	struct tt_worker_counters worker; /**< role WORKER */
	enum tt_worker_state worker_state;
	uint32_t worker_epoch;
	enum tt_hb_state hb_state; /**< WORKER: its session */
	uint32_t n_peers;	   /**< MASTER: workers configured */
	uint64_t neigh[TT_NEIGH_C_MAX];
	uint64_t tl_events;  /**< timeline: events held */
	uint64_t tl_dropped; /**< timeline: events dropped (ring full) */
};

/**
 * A function run on the polling lcore by a CALL command, with the endpoint
 * at hand: read anything, call any engine function.
 *
 * @return copied to tt_rt_cmd.rc.
 */
typedef int (*tt_rt_call_fn)(const struct tt_rt_ep_view *ep, tt_ns_t now, void *arg);

/**
 * Mailbox commands. X(name, printable). Fields used by each (all in struct
 * tt_rt_cmd; `ep` always):
 *   CUT, RESTORE   worker_id (MASTER), chan: engine operator cut / restore
 *   SET_HB_TIMERS  worker_id (MASTER), timers; err on refusal
 *   SUBMIT         handler, payload, payload_len (MASTER; payload NOT copied:
 *                  keep it until RELEASE) -> task_id
 *   CANCEL         task_id (MASTER)
 *   RELEASE        task_id (MASTER)
 *   SHIM_SET       flow, fault (see tt_rt_flow_hb/tt_rt_flow_chan)
 *   SNAPSHOT       snap
 *   PEER           worker_id, peer (MASTER)
 *   TL_READ        events, events_cap, tl_from, tl_drain, tl_dc -> count: copy
 *                  (or drain) timeline events from position tl_from; SPLIT:
 *                  of the HB plane's timeline, or with tl_dc the DC plane's
 *                  (the same timeline in COMBINED); a SPLIT drain without
 *                  tl_dc drains both, the HB plane's events first (each
 *                  part in time order)
 *   CALL           fn, arg
 * Every command sets rc (0 or the engine's negative errno) and done_ns (the
 * polling lcore's `now` when it ran: e.g. the instant a SHIM_SET cut took
 * effect). SPLIT: SET_HB_TIMERS and TL_READ without tl_dc run on the
 * heartbeat lane, every other command on the data lane (a CALL's function
 * may then use the DC plane's functions only; SNAPSHOT's counters add both
 * planes' shares, the HB plane's as last written).
 */
#define TT_RT_CMDS(X)                                                                              \
	X(CUT, "cut")                                                                              \
	X(RESTORE, "restore")                                                                      \
	X(SET_HB_TIMERS, "set-hb-timers")                                                          \
	X(SUBMIT, "submit")                                                                        \
	X(CANCEL, "cancel")                                                                        \
	X(RELEASE, "release")                                                                      \
	X(SHIM_SET, "shim-set")                                                                    \
	X(SNAPSHOT, "snapshot")                                                                    \
	X(PEER, "peer")                                                                            \
	X(TL_READ, "timeline-read")                                                                \
	X(CALL, "call")

/* clang-format off */
enum tt_rt_cmd_type {
#define TT_X(name, str) TT_RT_CMD_##name,
	TT_RT_CMDS(TT_X)
#undef TT_X
	TT_RT_CMD_MAX
};
/* clang-format on */

/** A command: the caller fills the inputs, tt_rt_cmd_exec() the outputs. */
struct tt_rt_cmd {
	/* in */
	enum tt_rt_cmd_type type;
	uint32_t ep;	    /**< endpoint index in tt_rt_config.eps */
	uint32_t worker_id; /**< MASTER commands about one worker */
	uint16_t chan;
	uint16_t flow;
	struct tt_shim_fault fault;
	struct tt_hb_timers timers;
	const char *handler;
	const uint8_t *payload;
	uint32_t payload_len;
	uint64_t task_id; /**< CANCEL, RELEASE; out for SUBMIT */
	struct tt_fence_event *events;
	uint32_t events_cap;
	uint32_t tl_from;
	bool tl_drain;
	bool tl_dc; /**< TL_READ: the DC plane's timeline (SPLIT) */
	struct tt_rt_ep_snapshot *snap;
	struct tt_master_peer_info *peer;
	tt_rt_call_fn fn;
	void *arg;
	/* out */
	int rc;
	tt_ns_t done_ns;
	uint32_t count;
	char err[256];
	/* private to runtime.c */
	atomic_uint done_;
};

struct tt_rt;

/** Printable names from the X-macros; "?" out of range. */
const char *tt_rt_role_name(unsigned int role);
const char *tt_rt_layout_name(unsigned int layout);
const char *tt_rt_poll_mode_name(unsigned int mode);
const char *tt_rt_state_name(unsigned int state);
const char *tt_rt_port_ctr_name(unsigned int ctr);
const char *tt_rt_cmd_name(unsigned int type);

/**
 * Create a runtime: check the configuration, create every endpoint (engine
 * object, neighbour table, shim, TX buffers), try heartbeat steering on its
 * ports, add the ports to a link watch. Nothing runs until tt_rt_start().
 *
 * @param cfg      configuration (copied).
 * @param err      on failure a message naming the endpoint, port or value;
 *                 may be NULL if err_len is 0.
 * @param err_len  size of err.
 * @return the runtime, or NULL with errno: EINVAL (bad configuration, incl.
 *         the engine's own checks, a SPLIT hb_lcore_id), ENOMEM.
 * Context: control thread, EAL initialised, not QSBR-registered (see file comment).
 */
struct tt_rt *tt_rt_create(const struct tt_rt_config *cfg, char *err, size_t err_len);

/**
 * Stop the runtime if it runs, then free it: endpoints, tables, shims (and
 * the mbufs they hold), TX buffers, steering rules, link watch. NULL is fine.
 * Ports are the caller's: stop and close them afterwards.
 * Context: control thread, not QSBR-registered.
 */
void tt_rt_destroy(struct tt_rt *rt);

/**
 * Launch the loop on the runtime's lcore (rte_eal_remote_launch); SPLIT:
 * both lanes.
 * @return 0; -EALREADY (running or stopped: a runtime runs once); -EBUSY (an
 *         lcore is not idle); -EINVAL (an lcore is the caller's own).
 * Context: main lcore.
 */
int tt_rt_start(struct tt_rt *rt);

/**
 * Ask the loop to stop. Only sets a C11 atomic flag: async-signal-safe, so
 * the app's SIGINT/SIGTERM handler may call it. The loop sees it within
 * housekeeping_passes passes (or one sleep), flushes its TX buffers, runs
 * the commands still in the mailbox, goes QSBR-offline, and returns.
 */
void tt_rt_request_stop(struct tt_rt *rt);

/**
 * tt_rt_request_stop() and wait for the lcore (rte_eal_wait_lcore).
 * @return 0, or -EALREADY if it was not running.
 * Context: main lcore.
 */
int tt_rt_stop(struct tt_rt *rt);

/** @return the state (any thread). */
enum tt_rt_state tt_rt_state(const struct tt_rt *rt);

/** @return true while the loop runs (false once it returned). Any thread. */
bool tt_rt_running(const struct tt_rt *rt);

/** @return the lcore id, the number of endpoints. */
unsigned int tt_rt_lcore(const struct tt_rt *rt);
uint32_t tt_rt_n_eps(const struct tt_rt *rt);

/**
 * Run a command on the polling lcore and wait for it (polls its completion
 * with short sleeps). If the loop is not running (before start, after stop)
 * the command runs on the calling thread instead, which then owns the
 * endpoints. Commands of concurrent callers are serialised.
 *
 * @param rt   runtime.
 * @param cmd  command; its outputs are set on return.
 * @return cmd->rc, or -EINVAL (type or ep out of range, or a field the type
 *         needs missing), -ENOSPC (mailbox full: retry).
 * Context: control threads, never the polling lcore.
 */
int tt_rt_cmd_exec(struct tt_rt *rt, struct tt_rt_cmd *cmd);

/**
 * Shim flow id of a heartbeat session: for a MASTER endpoint the session of
 * @p worker_id; for a WORKER endpoint its session (worker_id ignored).
 * Flow ids: MASTER, worker at index p of master.workers: p * (1 + K) for its
 * heartbeat, p * (1 + K) + 1 + c for channel c; WORKER: 0 and 1 + c.
 *
 * @return the flow id, or -ENOENT (unknown endpoint or worker).
 * Context: any thread (configuration only).
 */
int tt_rt_flow_hb(const struct tt_rt *rt, uint32_t ep, uint32_t worker_id);

/** Shim flow id of data channel @p chan (see tt_rt_flow_hb()). @return it, -ENOENT or -EINVAL. */
int tt_rt_flow_chan(const struct tt_rt *rt, uint32_t ep, uint32_t worker_id, unsigned int chan);

/**
 * Per-port counters of an endpoint as of the last fold (at most
 * housekeeping_passes passes old while running; exact once stopped).
 * @return 0 or -ENOENT.
 * Context: any thread; lock-free.
 */
int tt_rt_port_stats(const struct tt_rt *rt, uint32_t ep, uint16_t port_idx,
		     struct tt_rt_port_stats *out);

/**
 * Per-lcore counters as of the last fold.
 * Context: any thread; lock-free.
 */
void tt_rt_lcore_stats(const struct tt_rt *rt, struct tt_rt_lcore_stats *out);

/**
 * SPLIT: the heartbeat lane's counters as of its last fold.
 * @return 0, or -ENOENT (COMBINED).
 * Context: any thread; lock-free.
 */
int tt_rt_hb_lcore_stats(const struct tt_rt *rt, struct tt_rt_lcore_stats *out);

/** @return the heartbeat lane's lcore (SPLIT), else the polling lcore. */
unsigned int tt_rt_hb_lcore(const struct tt_rt *rt);

/**
 * Whether an endpoint exited (a worker fenced with action EXIT): the app
 * then exits with *code (TT_WORKER_EXIT_FENCED).
 * Context: any thread; lock-free.
 */
bool tt_rt_ep_exited(const struct tt_rt *rt, uint32_t ep, int *code);

/** True once every worker endpoint of the runtime exited (false if it has none). Any thread. */
bool tt_rt_all_workers_exited(const struct tt_rt *rt);

/**
 * The endpoint itself (engine objects, neighbour table, shim), for a
 * runtime that is not running (before start, after stop); while it runs
 * use a CALL command.
 * @return 0, -ENOENT, or -EBUSY (running).
 */
int tt_rt_ep(struct tt_rt *rt, uint32_t ep, struct tt_rt_ep_view *view);

/**
 * An endpoint's timeline (engine/fence.h), to read while the runtime is not
 * running (while it runs use TL_READ), or NULL (bad index).
 */
struct tt_fence_tl *tt_rt_timeline(struct tt_rt *rt, uint32_t ep);

/** The DC plane's timeline of an endpoint (SPLIT; else tt_rt_timeline()), or NULL. */
struct tt_fence_tl *tt_rt_timeline_dc(struct tt_rt *rt, uint32_t ep);

/** The runtime's clock (to turn TSC readings into the endpoints' `now`). */
const struct tt_tsc_clock *tt_rt_clock(const struct tt_rt *rt);

#endif /* TT_RUNTIME_H */
