/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_WORKER_H
#define TT_WORKER_H

/**
 * @file
 * The worker endpoint (DESIGN.md §1): one heartbeat session (role WORKER) to
 * the master, K data channels it connects, and the task runner
 * (engine/runner.h).
 *
 * Lifecycle (enum tt_worker_state):
 *
 *   JOINING --HB Up--> CONNECTING (OPEN all K channels under the current
 *                                  epoch) --all K up--> LIVE
 *   CONNECTING, LIVE --any channel DOWN--> SILENCED (HB disconnected)
 *   any --HB FENCE (T2 expired, or Up left for any reason)--> fence:
 *       runner fenced (in-flight tasks aborted, no result after this),
 *       channels closed, then the configured action:
 *         EXIT:   EXITED for good; the caller exits the process with
 *                 TT_WORKER_EXIT_FENCED;
 *         REJOIN: epoch + 1, runner re-joined, channels reset, HB
 *                 started again as a new session (fresh discriminator)
 *                 -> JOINING (connects again after HB Up).
 *
 * Tasks are taken while the heartbeat is Up and no channel has gone down in
 * this incarnation (CONNECTING or LIVE): the master only assigns once it saw
 * every channel up, and an ASSIGN can arrive on an up channel while the
 * worker still waits for another channel's ACCEPT. RESULTs go back on the
 * channel the task came on. Nothing is sent on a data channel after the
 * fence.
 *
 * A channel goes DOWN on a probe timeout, retransmissions exhausted, a RESET
 * or CLOSE from the master, the link going down, an operator cut, and also
 * when a RESULT does not fit its send buffer (reason CUT, counted in
 * overflow_cuts: a result is never silently lost). Size dc.sndbuf_segs for
 * the RESULTs of max_tasks tasks of max_result bytes (plus the window) and
 * keep the master's max_outstanding at most max_tasks: then it never happens. The first DOWN in an
 * incarnation disconnects the heartbeat: at once in the combined layout
 * (hb_lcore == dc_lcore), through the event queue in the split layout (one
 * poll later).
 *
 * Every fence is recorded on the timeline (FENCE with its time and epoch,
 * then EXIT or REJOIN) and in the counters.
 *
 * Re-joining: the master ignores the CONNECTs of a new epoch until it has
 * declared the previous incarnation dead (master.h). That can take up to
 * T2 + d_max + g after the re-joined worker's heartbeat came Up, and never
 * more than T1 + d_max. So a channel must keep its CONNECT going at least
 * that long, or its CONNECT_TIMEOUT would silence the heartbeat, fence the
 * worker again, and the next incarnation would meet the same refusal (a
 * re-join loop). The worker therefore creates its channels with a CONNECT
 * budget: max_retx is raised above dc.max_retx, when needed, to the fewest
 * retransmissions whose last CONNECT (rto_init, doubling, capped at
 * rto_max, RFC 6298 §5.5) goes out at least T1 + d_max after the first
 * (tt_worker_dc_max_retx()); a configuration that cannot reach it within 255
 * retransmissions is refused. dc_fsm has one max_retx, so the same count
 * bounds DATA retransmissions of a live channel; its probe timeout still
 * bounds a silent peer. T1 is taken from the timers at create: channels
 * cannot change later, so after tt_worker_set_hb_timers() raised T1 beyond
 * the budget a re-join may again take more than one attempt.
 *
 * Discriminators: each incarnation's heartbeat session is a new BFD session
 * with a fresh local discriminator (the first one is local_disc, then a
 * random non-zero value from the worker's PRNG that differs from the one
 * before, tt_worker_local_disc()): a master packet captured earlier names a
 * Your Discriminator that no longer selects the session (RFC 5880 §6.8.6),
 * even after the auth sequence window was forgotten (§6.8.1). The session's
 * counters (tt_hb_counters()) start again with each new session; the
 * worker's own (hb_rx, hb_auth) go on.
 *
 * Authentication (struct tt_worker_auth_config, engine/auth.h): every
 * heartbeat is prepared, built and signed with the key ring's first bfd key
 * (RFC 5880 §6.7.4) and every received one verified before the session sees
 * it; every channel datagram carries the HMAC-SHA256 trailer of the ring's
 * first dc key, verified before the channel sees it, with the MAC sequence
 * of each incarnation starting at (epoch << 32) | 1; segments are then
 * TT_DCW_MAC_LEN bytes shorter so that a datagram with its trailer stays
 * within dc.mtu (which must be at least 616). Rejects are counted by
 * reason (hb_auth, dc_auth) and never step a session or a channel. The
 * random initial bfd.XmitAuthSeq (RFC 5880 §6.8.1) comes from seed: give an
 * unpredictable one (getrandom()) when authenticating.
 *
 * Transport: engine/node_io.h. Heartbeats: RFC 5881 single-hop BFD, from
 * hb_src_port to the master's port 3784, TTL 255, received ones checked with
 * tt_bfd_check_transport(). Channel c: from local port dc_port_base + c to
 * master_dc_port.
 *
 * Waking up: every entry point first lets the heartbeat session see `now`;
 * a worker that was stopped longer than its detection time fences before it
 * handles a datagram or releases a result (DESIGN.md §1). A worker called
 * later than the deadline it asked for (tt_worker_next_deadline()) by more
 * than granularity_ns knows it was stopped: the heartbeats handed to it in
 * that pass (the calls with that same `now`: give every datagram read in one
 * pass the same `now`) are dropped and counted (hb_rx_after_stall). They may
 * have waited in the receive ring since before the stop, longer than d_max,
 * and would restart T2 from the time they were read, past the instant the
 * master takes the worker for fenced. Dropping them only brings the fence
 * forward.
 * The TEST-ONLY wake_check_disabled turns all of this off. With split planes
 * the DC plane cannot step the session: it reads the detection deadline the
 * HB plane published and, once it has passed (or the session left Up),
 * handles no datagram (dc_rx_hb_expired) and releases no result until the
 * HB plane's fence reaches it.
 *
 * Split planes (split_planes, DESIGN.md §4): the heartbeat plane (session,
 * lifecycle state, fence decision) and the data plane (channels, runner)
 * are driven by two threads, each through its own entry points:
 *   HB plane  tt_worker_rx_hb(), tt_worker_poll_hb(),
 *             tt_worker_next_deadline_hb(), tt_worker_set_hb_timers();
 *   DC plane  tt_worker_rx_dc(), tt_worker_poll_dc(),
 *             tt_worker_next_deadline_dc(), cut, restore, link_down, the
 *             runner (tt_worker_runner()).
 * Each plane has its own wheel, timeline (tt_worker_timeline() is the HB
 * plane's, tt_worker_timeline_dc() the DC plane's: FENCE, CHAN_*, TASK_*,
 * CUT are there) and inbound queue, drained at the start of its poll: a
 * channel DOWN and LIVE (all channels up) reach the HB plane; CONNECT,
 * FENCE and REJOIN the DC plane. The combined calls still work from one
 * thread: they run both planes and drain both queues before returning.
 * Without split_planes the plane entry points must not be used.
 *
 * Execution context: one thread calls every function of a worker; with
 * split planes one thread per plane as listed above (tt_worker_state(),
 * tt_worker_epoch() and tt_worker_exited() from any thread; other accessors
 * from the thread of the plane whose state they return). No liburcu
 * requirement. Memory is allocated in tt_worker_create() only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "dc_fsm.h"
#include "fence.h"
#include "hb_fsm.h"
#include "hb_policy.h"
#include "node_io.h"
#include "runner.h"
#include "tt_time.h"

/**
 * Exit status of a worker process that fenced itself with action EXIT:
 * sysexits' EX_TEMPFAIL, "try again later", so that a supervisor restarts it
 * (systemd: RestartForceExitStatus=75) and it joins under a new epoch.
 */
#define TT_WORKER_EXIT_FENCED 75

/** tt_worker_poll() / tt_worker_rx() return value once the worker has exited. */
#define TT_WORKER_EXITED 1

/** Worker lifecycle states. X(name, printable) */
#define TT_WORKER_STATES(X)                                                                        \
	X(JOINING, "joining")                                                                      \
	X(CONNECTING, "connecting")                                                                \
	X(LIVE, "live")                                                                            \
	X(SILENCED, "silenced")                                                                    \
	X(EXITED, "exited")

enum tt_worker_state {
#define TT_X(name, str) TT_WORKER_S_##name,
	TT_WORKER_STATES(TT_X)
#undef TT_X
	TT_WORKER_S_COUNT
};

/** What the worker does after fencing. X(name, printable) */
#define TT_WORKER_FENCE_ACTIONS(X)                                                                 \
	X(EXIT, "exit")                                                                            \
	X(REJOIN, "rejoin")

enum tt_worker_fence_action {
#define TT_X(name, str) TT_WORKER_FENCE_##name,
	TT_WORKER_FENCE_ACTIONS(TT_X)
#undef TT_X
	TT_WORKER_FENCE_COUNT
};

/**
 * Authentication, optional: with keys NULL (a zeroed config) nothing is
 * authenticated and nothing else may be set. The master must use the same
 * settings and keys.
 */
struct tt_worker_auth_config {
	const struct tt_auth_keyring *keys;   /* shared, read-only, outlives the worker */
	const struct tt_auth_crypto_ops *ops; /* this thread's (drivers/crypto_openssl.h) */
	/**
	 * Heartbeats: 0 (not authenticated), TT_BFD_AUTH_KEYED_SHA1 or
	 * TT_BFD_AUTH_METICULOUS_KEYED_SHA1; the ring's first bfd key (the one
	 * sent with) must be of this type.
	 */
	uint8_t bfd_type;
	bool dc_mac; /* MAC trailer on every data-channel datagram (first dc key) */
};

/** Worker configuration, copied by tt_worker_create(). */
struct tt_worker_config {
	uint32_t worker_id;
	uint32_t epoch; /* first incarnation, >= 1 */
	uint32_t ip;	/* own IPv4 address, host order */
	uint32_t master_ip;
	uint16_t hb_src_port;	 /* 49152..65535 (RFC 5881 §4) */
	uint16_t dc_port_base;	 /* channel c at local port dc_port_base + c */
	uint16_t master_dc_port; /* 0: TT_DCW_UDP_PORT */
	uint8_t n_chan;		 /* K, 1..TT_FENCE_MAX_CHAN */
	uint32_t local_disc;	 /* BFD My Discriminator; 0: 0x57000000 + worker_id + 1 */

	/* Heartbeat. The pair is checked with tt_hb_policy_check() at create. */
	struct tt_hb_timers worker_timers; /* this end's session */
	struct tt_hb_timers master_timers; /* what the master is configured with */
	tt_ns_t d_max_ns;
	tt_ns_t granularity_ns;
	uint32_t slow_tx_us;
	bool allow_fast_slow_rate; /* tests only */
	bool skip_policy_check;	   /* TEST-ONLY, see tt_master_config */
	/**
	 * TEST-ONLY negative control: a naive worker. Each entry point first
	 * sends the results of tasks that finished meanwhile, without letting the
	 * heartbeat session see the time and without the stall rule ("Waking
	 * up"): a worker woken after a pause longer than T1 sends them before it
	 * fences. Never set it in a deployment.
	 */
	bool wake_check_disabled;

	/** Channel template: worker_id and chan_idx are set per channel. */
	struct tt_dc_config dc;

	/* Runner (tt_run_config; epoch is the worker's). The reference handlers
	 * echo, crc32 and spin are registered; add more with tt_worker_runner(). */
	uint32_t max_tasks;
	uint32_t max_handlers;
	uint32_t max_result;

	enum tt_worker_fence_action fence_action;
	uint32_t timeline_cap; /* >= 1 */
	uint16_t hb_lcore;     /* == dc_lcore: combined layout */
	uint16_t dc_lcore;
	/** Two threads drive the planes ("Split planes"); needs hb_lcore != dc_lcore, io_dc. */
	bool split_planes;
	uint64_t seed;		/* BFD jitter, discriminators, channel ISNs, nonces, auth seq */
	struct tt_io_ops io;	/* the HB plane's with split planes */
	struct tt_io_ops io_dc; /* split_planes: the DC plane's transport */
	struct tt_worker_auth_config auth; /* optional (keys NULL: off) */
};

/** Worker counters. Every dropped datagram or message lands in one of them. */
struct tt_worker_counters {
	struct tt_io_tx_counters tx;
	uint64_t rx_datagrams;
	uint64_t rx_bad_dst;		 /* not to our IP or a known port, or not from the master */
	uint64_t rx_after_exit;		 /* datagrams after EXIT: ignored */
	struct tt_bfd_rx_counters hb_rx; /* HB transport, parse, discriminator, auth; [0] ok */
	uint64_t hb_auth[TT_AUTH_BFD_REJECT_MAX]; /* HB tt_auth_bfd_verify verdicts; [0] ok */
	uint64_t dc_auth[TT_AUTH_DC_REJECT_MAX];  /* DC tt_auth_dc_verify verdicts; [0] ok */
	uint64_t auth_sign_failed;		  /* packets not sent: signing failed */
	struct tt_dcw_counters dc_parse;	  /* DC parse verdicts; [0] ok */
	uint64_t dc_rx_id_mismatch;		  /* header worker id / channel not ours */
	uint64_t dc_rx_cut;			  /* channel cut by the operator: dropped */
	uint64_t dc_rx_rejected;	    /* dropped by the channel (its counters say why) */
	struct tt_tmsg_rx_counters tmsg_rx; /* task message decode verdicts; [0] ok */
	uint64_t tmsg_unexpected;	    /* RESULT or CANCEL_ACK from the master */
	uint64_t assign_not_live;	    /* ASSIGN while JOINING/SILENCED: dropped */
	uint64_t overflow_cuts;		    /* RESULT did not fit: channel taken down */
	uint64_t send_dropped_down;	    /* RESULT/CANCEL_ACK for a channel not up: dropped */
	uint64_t fence_dropped;		    /* released messages not sent: the fence came first */
	uint64_t cancel_dropped;	    /* CANCEL not handled: runner out full (bug) */
	uint64_t encode_failed;		    /* tt_tmsg_encode failed (bug) */
	uint64_t stalls;		    /* passes that found the worker stopped ("Waking up") */
	uint64_t hb_rx_after_stall;	    /* heartbeats read in such a pass: dropped */
	uint64_t fences;
	tt_ns_t last_fence_ns;
	uint32_t last_fence_epoch;
	uint64_t rejoins;
	uint64_t lives;		   /* CONNECTING -> LIVE */
	uint64_t xev_posted;	   /* split: events posted to the DC plane */
	uint64_t xev_full;	   /* split: not posted, DC plane's queue full (sizing bug) */
	uint64_t xev_dc_full;	   /* split: LIVE not posted, HB plane's queue full (sizing bug) */
	uint64_t xev_handled;	   /* split: events the DC plane handled */
	uint64_t xev_stale;	   /* ... of them after its EXIT, or unknown */
	uint64_t dc_rx_hb_expired; /* split: DC datagrams past the detection deadline: dropped */
	uint64_t step_errors;	   /* a module step returned an error (bug) */
	uint64_t timers_fired;
};

struct tt_worker;

/** Printable names ("live", "rejoin"); "?" when out of range. */
const char *tt_worker_state_name(unsigned int state);
const char *tt_worker_fence_action_name(unsigned int action);

/**
 * Create a worker: check the configuration (the heartbeat pair with
 * tt_hb_policy_check()), create the session (Down, first packet due at
 * @p now), the K channels (CLOSED), the runner with the reference handlers,
 * the event queue, the timer wheel and the timeline. State JOINING.
 *
 * @param err      on failure a message naming the bad value; may be NULL if
 *                 err_len is 0.
 * @return the worker, or NULL with errno EINVAL or ENOMEM.
 */
struct tt_worker *tt_worker_create(const struct tt_worker_config *cfg, tt_ns_t now, char *err,
				   size_t err_len);

/** Free a worker (NULL is fine). */
void tt_worker_destroy(struct tt_worker *w);

/**
 * A datagram arrived (heartbeat to port 3784 from the master, or data on
 * dc_port_base + c). Everything it causes happens in this call.
 *
 * @return 0 if accepted by the session or a channel; a negative errno if
 *         dropped (counted): -EPROTO, -ENOENT (also: Your Discriminator not
 *         the session's), -EACCES (failed authentication), -ESTALE (a
 *         heartbeat read right after a stall, "Waking up"), -ECONNREFUSED
 *         (cut); TT_WORKER_EXITED once the worker has exited (this call
 *         included).
 */
int tt_worker_rx(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *payload,
		 size_t len, tt_ns_t now);

/**
 * Run what is due at @p now: drain the event queue (split layout), fire the
 * session's and channels' timers, release finished tasks' RESULTs.
 *
 * @return 0, or TT_WORKER_EXITED once the worker has exited: the caller must
 *         exit the process with tt_worker_exit_code().
 */
int tt_worker_poll(struct tt_worker *w, tt_ns_t now);

/** Split planes, HB plane: a heartbeat arrived (as tt_worker_rx()); else -ENOENT. */
int tt_worker_rx_hb(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now);

/**
 * Split planes, DC plane: a data-channel datagram arrived (as
 * tt_worker_rx()); -ESTALE once the published detection deadline passed.
 */
int tt_worker_rx_dc(struct tt_worker *w, const struct tt_udp_meta *meta, const uint8_t *payload,
		    size_t len, tt_ns_t now);

/**
 * Split planes, HB plane: let the session see @p now (it may fence), drain
 * the DC plane's events (channel downs silence the session, LIVE), fire the
 * session's timer.
 *
 * @return events and timers handled, or TT_WORKER_EXITED.
 */
int tt_worker_poll_hb(struct tt_worker *w, tt_ns_t now);

/**
 * Split planes, DC plane: drain the HB plane's events (CONNECT, FENCE,
 * REJOIN), fire the channel timers, run the runner.
 *
 * @return events and timers handled, or TT_WORKER_EXITED once its FENCE
 *         with action EXIT was handled.
 */
int tt_worker_poll_dc(struct tt_worker *w, tt_ns_t now);

/** Split planes: when tt_worker_poll_hb() / tt_worker_poll_dc() must next run. */
bool tt_worker_next_deadline_hb(const struct tt_worker *w, tt_ns_t *deadline);
bool tt_worker_next_deadline_dc(const struct tt_worker *w, tt_ns_t *deadline);

/** @return true if the worker was created with split_planes. Any thread. */
bool tt_worker_split(const struct tt_worker *w);

/**
 * When tt_worker_poll() must next run.
 *
 * @return true and *deadline (possibly already reached when work is
 *         waiting), or false if nothing is scheduled (exited).
 */
bool tt_worker_next_deadline(const struct tt_worker *w, tt_ns_t *deadline);

/**
 * Operator: cut channel @p chan (DOWN, reason CUT, which silences the
 * heartbeat) and keep it cut: it is neither used nor reconnected until
 * tt_worker_restore().
 *
 * @return 0; -EINVAL (chan out of range); -EALREADY (already cut); -ESHUTDOWN
 *         (exited).
 */
int tt_worker_cut(struct tt_worker *w, unsigned int chan, tt_ns_t now);

/**
 * Operator: lift a cut. The channel connects again when the worker next
 * connects (now, if it is CONNECTING).
 *
 * @return 0; -EINVAL; -EALREADY (not cut); -ESHUTDOWN.
 */
int tt_worker_restore(struct tt_worker *w, unsigned int chan, tt_ns_t now);

/**
 * The port's link went down: every channel goes DOWN with reason LINK_DOWN.
 *
 * @return channels taken down.
 */
int tt_worker_link_down(struct tt_worker *w, tt_ns_t now);

/**
 * Operator: change the session's timers (a Poll Sequence, RFC 5880 §6.5). The
 * new values with the configured master timers must pass
 * tt_hb_policy_check() (unless skip_policy_check). The channels' CONNECT
 * budget stays as sized at create ("Re-joining").
 *
 * @return 0; -EINVAL (refused: err says why); -ESHUTDOWN.
 */
int tt_worker_set_hb_timers(struct tt_worker *w, const struct tt_hb_timers *timers, tt_ns_t now,
			    char *err, size_t err_len);

enum tt_worker_state tt_worker_state(const struct tt_worker *w);
uint32_t tt_worker_epoch(const struct tt_worker *w);
uint32_t tt_worker_id(const struct tt_worker *w);

/**
 * @return true once the worker fenced with action EXIT; *code (if not NULL)
 *         is then TT_WORKER_EXIT_FENCED.
 */
bool tt_worker_exited(const struct tt_worker *w, int *code);

/** The runner: register handlers (control path), read its counters. */
struct tt_run *tt_worker_runner(struct tt_worker *w);

/** The heartbeat session. */
const struct tt_hb_session *tt_worker_hb(const struct tt_worker *w);

/** Channel @p chan, or NULL. */
const struct tt_dc *tt_worker_dc(const struct tt_worker *w, unsigned int chan);

/** The association (fencing counters). */
const struct tt_fence_assoc *tt_worker_assoc(const struct tt_worker *w);

/** The timeline (read, find or drain it between calls). */
struct tt_fence_tl *tt_worker_timeline(struct tt_worker *w);
/** The DC plane's timeline: tt_worker_timeline() itself unless split planes. */
struct tt_fence_tl *tt_worker_timeline_dc(struct tt_worker *w);

const struct tt_worker_counters *tt_worker_counters(const struct tt_worker *w);
/**
 * All counters with both planes' shares added (tt_worker_counters() holds
 * only the HB plane's share of tx, rx_datagrams, rx_bad_dst, rx_after_exit,
 * auth_sign_failed, step_errors, timers_fired with split planes). A snapshot;
 * exact once both planes are quiet.
 */
void tt_worker_counters_sum(const struct tt_worker *w, struct tt_worker_counters *out);

/** The policy times computed at create. */
const struct tt_hb_policy_times *tt_worker_policy(const struct tt_worker *w);

/** The session's current local discriminator (bfd.LocalDiscr, non-zero). */
uint32_t tt_worker_local_disc(const struct tt_worker *w);

/** max_retx the channels were created with: the CONNECT budget ("Re-joining"). */
uint8_t tt_worker_dc_max_retx(const struct tt_worker *w);

/** The heartbeat's authentication state (counters, sequence numbers), or NULL if off. */
const struct tt_auth_bfd *tt_worker_hb_auth(const struct tt_worker *w);

/** Channel @p chan's MAC state, or NULL if off or out of range. */
const struct tt_auth_dc *tt_worker_dc_auth(const struct tt_worker *w, unsigned int chan);

#endif /* TT_WORKER_H */
