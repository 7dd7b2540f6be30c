/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_MASTER_H
#define TT_MASTER_H

/**
 * @file
 * The master endpoint (DESIGN.md §1): per worker one heartbeat session (role
 * MASTER) and K data channels it accepts, all found through the association
 * table (engine/chan_table.h), and the task table (engine/scheduler.h).
 *
 * What it does with them (the seed's method):
 *  - Any data channel of a worker going DOWN (probe timeout, retransmissions
 *    exhausted, peer RESET or CLOSE, link down, operator cut) disconnects that
 *    worker's heartbeat session: at once in the combined layout (hb_lcore ==
 *    dc_lcore), through the event queue in the split layout, one poll later.
 *  - Heartbeat WORKER_DEAD (T1 after the worker went silent, T2 + d_max + g
 *    after the master's last alive packet) -> tt_sched_worker_dead(): the
 *    worker's tasks go back to PENDING under new epochs and are placed on live
 *    workers; the worker's record is marked DEAD, its channels are reset, and
 *    a silenced (or Down) session is started again as a new session, with a
 *    fresh discriminator, so that the worker can re-join.
 *  - A CONNECT carrying a new epoch for a worker is accepted only once the old
 *    incarnation was declared dead (or never went live): before that it is
 *    ignored (counted; the worker retries). Accepting it replaces the
 *    worker's record in the table (RCU replace) with the new epoch. Data of
 *    an older epoch is dropped and counted (except under the TEST-ONLY
 *    epochs_disabled).
 *  - Heartbeat Up and all K channels up -> tt_sched_worker_up() and the
 *    channel states -> tasks are dispatched. RESULTs go to tt_sched_result()
 *    (stale ones dropped and counted), CANCEL_ACKs to tt_sched_cancel_ack().
 *
 * Demultiplexing: heartbeats by Your Discriminator or, when it is 0, by the
 * source IP (RFC 5880 §6.3, §6.8.6); data channels by flow key (worker IP,
 * worker port, dc_port), host order, in the association table. workers[i]'s
 * session starts with My Discriminator 0x4d000000 + i + 1; whenever it
 * starts again as a new BFD session (after WORKER_DEAD or a quiet re-join,
 * when it was disconnected or Down) it takes a fresh one from the master's
 * PRNG, different from the one before: random high bits above the low
 * bits, which hold i + 1 (as many bits as n_workers needs), so that demux
 * stays a lookup. A packet naming an earlier discriminator (a replay) then
 * selects no session and is dropped before authentication
 * (tt_master_peer_info.hb_local_disc says the current one). The session's
 * counters start again with each new session.
 *
 * Authentication (struct tt_master_auth_config, engine/auth.h): as the
 * worker's (worker.h): heartbeats signed with the key ring's first bfd key
 * and verified before the session sees them (RFC 5880 §6.7.4); channel
 * datagrams with the HMAC-SHA256 trailer of the first dc key, verified
 * before the epoch checks and the channel, each incarnation sending from
 * (epoch << 32) | 1, segments TT_DCW_MAC_LEN bytes shorter so that the
 * trailer fits dc.mtu (at least 616). Rejects are counted by reason
 * (hb_auth, dc_auth) and never step a session or a channel, so a forged
 * CONNECT cannot replace a worker's record and a spoofed heartbeat cannot
 * keep a dead worker alive. The initial bfd.XmitAuthSeq of each session
 * comes from seed: give an unpredictable one (getrandom()) when
 * authenticating.
 *
 * Transport: UDP datagrams through engine/node_io.h. Heartbeats are RFC 5881
 * single-hop BFD: to port 3784, from the session's source port (49152-65535),
 * TTL 255; received ones are checked with tt_bfd_check_transport(). Data
 * channels use dc_port at the master and dc_port_base + c at the worker for
 * channel c. A datagram to any other port is dropped and counted.
 *
 * Timers: every session and channel is on a timing wheel; tt_master_poll()
 * advances it. Deterministic: the same calls with the same `now` values give
 * the same datagrams and the same timeline.
 *
 * Layouts: hb_lcore == dc_lcore is the combined layout (a channel-down
 * silences the session inside the same call). Otherwise the split layout is
 * modelled: channel-downs go through a real lock-free event queue (evq.h),
 * drained at the start of the next tt_master_poll(). The node itself is still
 * driven by one thread (see "Execution context").
 *
 * Split planes (split_planes, DESIGN.md §4): the heartbeat plane (sessions,
 * their timers) and the data plane (channels, scheduler, send queues) are
 * driven by two threads, each through its own entry points:
 *   HB plane  tt_master_rx_hb(), tt_master_poll_hb(),
 *             tt_master_next_deadline_hb(), tt_master_set_hb_timers();
 *   DC plane  tt_master_rx_dc(), tt_master_poll_dc(),
 *             tt_master_next_deadline_dc(), submit, cancel, release, cut,
 *             restore, link_down, tt_master_peer().
 * Each plane has its own timer wheel, timeline (tt_master_timeline() is the
 * HB plane's, tt_master_timeline_dc() the DC plane's) and inbound event
 * queue, drained at the start of its poll: a channel DOWN reaches the HB
 * plane as TT_EVQ_EV_DC_DOWN (the session is silenced on its next poll);
 * the session's Up, Down, silence, WORKER_DEAD and quiet reset reach the DC
 * plane as the cross-plane events of endpoint.h (WORKER_DEAD reschedules the
 * tasks on the DC plane's next poll). Each field has one writing plane (see
 * master.c); what the other plane needs is an event or an atomic read. The
 * combined calls (tt_master_rx(), tt_master_poll(),
 * tt_master_next_deadline()) still work, from one thread: they run both
 * planes and drain both queues before they return. Without split_planes the
 * plane entry points must not be used.
 *
 * Execution context: one thread calls every function of a master (the
 * lcore that owns it); with split planes, one thread per plane as listed
 * above (accessors not listed belong to the thread of the plane whose state
 * they return: tt_master_hb() and tt_master_hb_auth() the HB plane's, the
 * others the DC plane's). Those threads must be registered with liburcu QSBR
 * (urcu_qsbr_register_thread()) and online before tt_master_create() and for
 * every call; they should report a quiescent state (tt_ctab_quiescent_state())
 * between calls now and then so that replaced records are reclaimed. The
 * master keeps no table pointer across calls.
 *
 * Memory: everything is allocated in tt_master_create(), except one record per
 * re-join (tt_ctab_worker_replace(), a control event, never per data packet).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "chan_table.h"
#include "dc_fsm.h"
#include "fence.h"
#include "hb_fsm.h"
#include "hb_policy.h"
#include "node_io.h"
#include "scheduler.h"
#include "tt_time.h"

/** Largest worker id + 1 a master accepts. */
#define TT_MASTER_MAX_WORKER_ID 65536u
/** Default HB source port of the session for workers[0]; workers[i] use base + i. */
#define TT_MASTER_HB_SRC_PORT_BASE 49152u

/** One worker the master serves. */
struct tt_master_peer_config {
	uint32_t worker_id;    /* below TT_MASTER_MAX_WORKER_ID, unique */
	uint32_t ip;	       /* worker's IPv4 address, host order, unique */
	uint16_t dc_port_base; /* worker's channel c is at UDP port dc_port_base + c */
};

/**
 * Authentication, optional: with keys NULL (a zeroed config) nothing is
 * authenticated and nothing else may be set. Every worker must use the same
 * settings and keys (struct tt_worker_auth_config).
 */
struct tt_master_auth_config {
	const struct tt_auth_keyring *keys;   /* shared, read-only, outlives the master */
	const struct tt_auth_crypto_ops *ops; /* this thread's (drivers/crypto_openssl.h) */
	/**
	 * Heartbeats: 0 (not authenticated), TT_BFD_AUTH_KEYED_SHA1 or
	 * TT_BFD_AUTH_METICULOUS_KEYED_SHA1; the ring's first bfd key (the one
	 * sent with) must be of this type.
	 */
	uint8_t bfd_type;
	bool dc_mac; /* MAC trailer on every data-channel datagram (first dc key) */
};

/** Master configuration, copied by tt_master_create(). */
struct tt_master_config {
	uint32_t ip;		   /* master's IPv4 address, host order */
	uint16_t dc_port;	   /* master's data-channel port; 0: TT_DCW_UDP_PORT */
	uint16_t hb_src_port_base; /* 0: TT_MASTER_HB_SRC_PORT_BASE; base + n - 1 <= 65535 */
	uint8_t n_chan;		   /* K, 1..TT_FENCE_MAX_CHAN */
	uint32_t n_workers;	   /* entries in workers, >= 1 */
	const struct tt_master_peer_config *workers; /* copied */

	/* Heartbeat. The pair is checked with tt_hb_policy_check() at create. */
	struct tt_hb_timers master_timers; /* this end's sessions */
	struct tt_hb_timers worker_timers; /* what the workers are configured with */
	tt_ns_t d_max_ns;		   /* one-way delay bound */
	tt_ns_t granularity_ns;		   /* timer granularity g (>= 1 ns) */
	uint32_t slow_tx_us;		   /* tt_hb_config.slow_tx_us */
	bool allow_fast_slow_rate;	   /* tt_hb_config: tests only */
	/**
	 * TEST-ONLY: skip the T1 > T2 + I + d_max + g rule (ranges are still
	 * checked) so that the simulation's negative control can run an unsafe
	 * pair. Never set it in a deployment.
	 */
	bool skip_policy_check;

	/** Channel template: worker_id and chan_idx are set per channel. */
	struct tt_dc_config dc;

	/* Scheduler (tt_sched_config). Worker ids must be below max worker id + 1. */
	uint32_t max_tasks;
	uint32_t max_outstanding;	  /* per worker */
	struct tt_sched_event *sched_log; /* caller-owned, may be NULL */
	uint32_t sched_log_cap;
	/**
	 * Journal hooks and the replayed tasks (struct tt_sched_persist, issue
	 * 7), passed to the scheduler; NULL: no journal. Must outlive the master.
	 */
	const struct tt_sched_persist *sched_persist;
	/**
	 * TEST-ONLY negative control: passed to the scheduler (tt_sched_config:
	 * any PENDING or ASSIGNED task takes a RESULT), and the master forgets
	 * incarnations for the task messages too: a DATA segment of an older or
	 * dead incarnation, instead of being dropped, has its task message (when
	 * the segment carries a whole one) handed to the scheduler as if the
	 * channel had delivered it (dc_rx_old_epoch_taken). Never set it in a
	 * deployment.
	 */
	bool epochs_disabled;

	uint32_t timeline_cap; /* events the timeline holds, >= 1 (each plane's) */
	uint16_t hb_lcore;     /* == dc_lcore: combined layout */
	uint16_t dc_lcore;
	/** Two threads drive the planes (file comment); needs hb_lcore != dc_lcore, io_dc. */
	bool split_planes;
	uint64_t seed;			   /* BFD jitter, discriminators, channel ISNs, auth seq */
	struct tt_io_ops io;		   /* tx_buf and tx_send required (HB plane's with split) */
	struct tt_io_ops io_dc;		   /* split_planes: the DC plane's transport */
	struct tt_master_auth_config auth; /* optional (keys NULL: off) */
};

/** Master counters. Every dropped datagram or message lands in one of them. */
struct tt_master_counters {
	struct tt_io_tx_counters tx;
	uint64_t rx_datagrams;			  /* tt_master_rx calls */
	uint64_t rx_bad_dst;			  /* not to the master's IP or a known port */
	struct tt_bfd_rx_counters hb_rx;	  /* HB: transport, parse, demux, auth; [0] ok */
	uint64_t hb_auth[TT_AUTH_BFD_REJECT_MAX]; /* HB tt_auth_bfd_verify verdicts; [0] ok */
	uint64_t dc_auth[TT_AUTH_DC_REJECT_MAX];  /* DC tt_auth_dc_verify verdicts; [0] ok */
	uint64_t auth_sign_failed;		  /* packets not sent: signing failed */
	uint64_t hb_rx_wrong_src;	    /* HB from an IP other than the session's worker */
	struct tt_dcw_counters dc_parse;    /* DC: tt_dcw_parse verdicts; [0] ok */
	uint64_t dc_rx_no_flow;		    /* no worker channel for the flow key */
	uint64_t dc_rx_id_mismatch;	    /* header worker/channel differs from the flow's */
	uint64_t dc_rx_old_epoch;	    /* epoch older than the worker's record: dropped */
	uint64_t dc_rx_old_epoch_taken;	    /* TEST-ONLY epochs_disabled: their messages taken */
	uint64_t dc_rx_no_incarnation;	    /* non-CONNECT of an epoch never accepted */
	uint64_t dc_rx_cut;		    /* channel cut by the operator: dropped */
	uint64_t dc_rx_rejected;	    /* dropped by the channel (its counters say why) */
	uint64_t connect_refused;	    /* new epoch before the old one was declared dead */
	struct tt_tmsg_rx_counters tmsg_rx; /* task messages: decode verdicts; [0] ok */
	uint64_t tmsg_unexpected;	    /* ASSIGN or CANCEL from a worker */
	uint64_t send_queued;		    /* sched actions queued for a channel */
	uint64_t send_queue_full;	    /* sched actions lost: per-worker queue full (bug) */
	uint64_t send_dropped_down;	    /* queued messages dropped: channel down */
	uint64_t send_encode_failed;	    /* tt_tmsg_encode failed (bug) */
	uint64_t evq_stale;		    /* queued channel-downs of an old incarnation */
	uint64_t xev_posted;		    /* split: events posted to the DC plane */
	uint64_t xev_full;		    /* split: not posted, queue full (sizing bug) */
	uint64_t xev_handled;		    /* split: events the DC plane handled */
	uint64_t xev_stale;		    /* ... of them found nothing to do */
	uint64_t workers_live;		    /* worker_up reported to the scheduler */
	uint64_t workers_dead;		    /* WORKER_DEAD handled */
	uint64_t rejoins;		    /* records replaced under a new epoch */
	uint64_t quiet_rejoins;		    /* incarnations reset without ever going live */
	uint64_t ctab_errors;		    /* table add/replace failed (-ENOMEM...) */
	uint64_t step_errors;		    /* a module step returned an error (bug) */
	uint64_t timers_fired;
};

/** One worker as the master sees it. */
struct tt_master_peer_info {
	uint32_t worker_id;
	uint32_t epoch;		   /* accepted incarnation, 0 before the first */
	enum tt_ctab_wstate state; /* JOINING, LIVE, SILENCED or DEAD */
	enum tt_hb_state hb_state;
	bool hb_disconnected;
	uint32_t up_mask;  /* bit c: channel c up */
	uint32_t cut_mask; /* bit c: channel c cut by the operator */
	enum tt_dc_state chan_state[TT_FENCE_MAX_CHAN];
	uint32_t send_queued;	/* messages waiting for room in a channel */
	uint32_t hb_local_disc; /* the session's My Discriminator now */
};

struct tt_master;

/**
 * Create a master: check the configuration (the heartbeat pair with
 * tt_hb_policy_check()), create the table, the scheduler, the sessions (all
 * Down, first packets due at @p now), the channels (CLOSED until a worker
 * connects), the event queue, the timer wheel and the timeline.
 *
 * @param cfg      configuration (copied, workers[] included).
 * @param now      current time.
 * @param err      on failure a message naming the bad value (the policy
 *                 check's own message for an unsafe pair); may be NULL if
 *                 err_len is 0.
 * @param err_len  size of err.
 * @return the master, or NULL with errno EINVAL (bad configuration) or
 *         ENOMEM. QSBR-registered, online thread.
 */
struct tt_master *tt_master_create(const struct tt_master_config *cfg, tt_ns_t now, char *err,
				   size_t err_len);

/** Free a master (NULL is fine). QSBR-registered thread; waits for a grace period. */
void tt_master_destroy(struct tt_master *m);

/**
 * A datagram arrived. Heartbeats (dst port 3784) are transport-checked,
 * parsed, demultiplexed (Your Discriminator, or the source IP when it is 0)
 * and stepped; data-channel datagrams (dst port dc_port) are parsed, found
 * by flow key, checked against the worker's epoch and stepped. Everything it
 * causes (replies, deliveries, channel-downs, commits) happens in this call.
 *
 * @param meta     addressing of the datagram.
 * @param payload  UDP payload; only read during the call.
 * @param len      its length.
 * @param now      current time (never goes back).
 * @return 0 if the datagram was accepted by a session or channel, or a
 *         negative errno if it was dropped (counted): -EPROTO (malformed or
 *         failed a check), -ENOENT (no session or channel for it), -EACCES
 *         (failed authentication), -ESTALE (older epoch), -EAGAIN (new epoch
 *         refused for now), -ECONNREFUSED (channel cut).
 */
int tt_master_rx(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *payload,
		 size_t len, tt_ns_t now);

/**
 * Run what is due at @p now: drain the event queue (split layout), fire the
 * timers (sessions, channels), flush queued messages, dispatch tasks.
 *
 * @return the number of timers fired and events handled (0 when idle).
 */
int tt_master_poll(struct tt_master *m, tt_ns_t now);

/**
 * Split planes, HB plane: a heartbeat datagram (dst port 3784) arrived; as
 * tt_master_rx() for it. Anything else is dropped (-ENOENT, rx_bad_dst).
 */
int tt_master_rx_hb(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now);

/**
 * Split planes, DC plane: a data-channel datagram (dst port dc_port)
 * arrived; as tt_master_rx() for it, then dispatch. Anything else is dropped
 * (-ENOENT, rx_bad_dst).
 */
int tt_master_rx_dc(struct tt_master *m, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now);

/**
 * Split planes, HB plane: drain the channel-downs queued by the DC plane
 * (silencing sessions), fire the session timers due at @p now.
 *
 * @return timers fired and events handled.
 */
int tt_master_poll_hb(struct tt_master *m, tt_ns_t now);

/**
 * Split planes, DC plane: drain the HB plane's events (session Up/Down,
 * silence, WORKER_DEAD -> tt_sched_worker_dead(), quiet reset), fire the
 * channel timers, flush queued messages, dispatch tasks.
 *
 * @return timers fired and events handled.
 */
int tt_master_poll_dc(struct tt_master *m, tt_ns_t now);

/** Split planes: when tt_master_poll_hb() / tt_master_poll_dc() must next run. */
bool tt_master_next_deadline_hb(const struct tt_master *m, tt_ns_t *deadline);
bool tt_master_next_deadline_dc(const struct tt_master *m, tt_ns_t *deadline);

/** @return true if the master was created with split_planes. Any thread. */
bool tt_master_split(const struct tt_master *m);

/**
 * When tt_master_poll() must next run.
 *
 * @param deadline  out: that instant; may be at or before the last `now`
 *                  when work is waiting (call poll again at once).
 * @return true, or false if nothing is scheduled.
 */
bool tt_master_next_deadline(const struct tt_master *m, tt_ns_t *deadline);

/**
 * Submit a task (tt_sched_submit()) and dispatch what can be placed now.
 *
 * @param payload  NOT copied: keep it unchanged until tt_master_release()
 *                 of the task.
 * @return 0 and *task_id; or tt_sched_submit()'s negative errno.
 */
int tt_master_submit(struct tt_master *m, const char *handler, const uint8_t *payload,
		     uint32_t payload_len, tt_ns_t now, uint64_t *task_id);

/**
 * Cancel a task (tt_sched_cancel()): CANCEL goes on the task's channel if it
 * is up; if not, the owner's fence ends the task (route DEFERRED).
 *
 * @return tt_sched_cancel()'s result.
 */
int tt_master_cancel(struct tt_master *m, uint64_t task_id, tt_ns_t now);

/** Forget a finished task (tt_sched_release()): its payload is the caller's again. */
int tt_master_release(struct tt_master *m, uint64_t task_id);

/**
 * Operator: cut channel @p chan of a worker (the channel goes DOWN with
 * reason CUT, which silences the worker's heartbeat) and keep it cut: its
 * datagrams are dropped until tt_master_restore().
 *
 * @return 0; -ENOENT (unknown worker); -EINVAL (chan out of range);
 *         -EALREADY (already cut).
 */
int tt_master_cut(struct tt_master *m, uint32_t worker_id, unsigned int chan, tt_ns_t now);

/** Operator: lift a cut. @return 0; -ENOENT; -EINVAL; -EALREADY (not cut). */
int tt_master_restore(struct tt_master *m, uint32_t worker_id, unsigned int chan, tt_ns_t now);

/**
 * The port's link went down: every channel goes DOWN with reason LINK_DOWN
 * (and so every worker's heartbeat is silenced).
 *
 * @return channels taken down.
 */
int tt_master_link_down(struct tt_master *m, tt_ns_t now);

/**
 * Operator: change one worker session's timers (a Poll Sequence, RFC 5880
 * §6.5). The new values with the configured worker timers must pass
 * tt_hb_policy_check() (unless skip_policy_check).
 *
 * @return 0; -ENOENT; -EINVAL (refused: err says why).
 */
int tt_master_set_hb_timers(struct tt_master *m, uint32_t worker_id,
			    const struct tt_hb_timers *timers, tt_ns_t now, char *err,
			    size_t err_len);

/** One worker's state. @return 0 or -ENOENT. */
int tt_master_peer(const struct tt_master *m, uint32_t worker_id, struct tt_master_peer_info *info);

/** The timeline (read, find or drain it between calls); with split planes the HB plane's. */
struct tt_fence_tl *tt_master_timeline(struct tt_master *m);

/** The DC plane's timeline: tt_master_timeline() itself unless split planes. */
struct tt_fence_tl *tt_master_timeline_dc(struct tt_master *m);

/** The task table, for queries (tt_sched_task(), tt_sched_counters(), ...). */
const struct tt_sched *tt_master_sched(const struct tt_master *m);

/** The association table (telemetry, tests). */
struct tt_ctab *tt_master_ctab(struct tt_master *m);

/** A worker's heartbeat session, or NULL. */
const struct tt_hb_session *tt_master_hb(const struct tt_master *m, uint32_t worker_id);

/** A worker's data channel, or NULL. */
const struct tt_dc *tt_master_dc(const struct tt_master *m, uint32_t worker_id, unsigned int chan);

/** A worker's association (fencing counters), or NULL. */
const struct tt_fence_assoc *tt_master_assoc(const struct tt_master *m, uint32_t worker_id);

/**
 * The master's counters. With split planes the HB plane's and the DC
 * plane's own fields; the fields both planes count (tx, rx_datagrams,
 * rx_bad_dst, auth_sign_failed, step_errors, timers_fired) hold the HB
 * plane's share only: tt_master_counters_sum() adds the DC plane's.
 */
const struct tt_master_counters *tt_master_counters(const struct tt_master *m);

/**
 * All counters, both planes' shares added (== *tt_master_counters() without
 * split planes). With split planes a snapshot of values the other plane's
 * thread may be changing: exact once both are quiet.
 */
void tt_master_counters_sum(const struct tt_master *m, struct tt_master_counters *out);

/** The policy times computed at create (T1, T2, I, bound). */
const struct tt_hb_policy_times *tt_master_policy(const struct tt_master *m);

/** A worker session's authentication state, or NULL (unknown worker, or off). */
const struct tt_auth_bfd *tt_master_hb_auth(const struct tt_master *m, uint32_t worker_id);

/** A worker channel's MAC state, or NULL (unknown worker or channel, or off). */
const struct tt_auth_dc *tt_master_dc_auth(const struct tt_master *m, uint32_t worker_id,
					   unsigned int chan);

#endif /* TT_MASTER_H */
