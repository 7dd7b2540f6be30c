/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_HB_FSM_H
#define TT_HB_FSM_H

/**
 * @file
 * The heartbeat session: one BFD asynchronous-mode session (RFC 5880) with
 * tether's master/worker policy on top.
 *
 * Pure: no clock reads, no I/O, no allocation. The caller owns the session
 * storage, feeds it events with the current time, and carries out the
 * actions returned in struct tt_hb_actions (send the packet, fence, declare
 * the worker dead, re-arm its timer at the next deadline).
 *
 * Execution context: a session is written by one thread only (the HB lcore).
 * No function here blocks or allocates.
 *
 * Step order (every step): first, if `now` has reached the detection
 * deadline, the detection timer expires (RFC 5880 §6.8.4); only then is the
 * event applied. A worker that wakes from a long pause therefore notices its
 * own timeout (and fences) before it accepts a packet that arrived meanwhile.
 *
 * tether policy:
 * - Disconnect: the session goes silent both ways at this endpoint. It
 *   transmits nothing (not even a Final), drops every received packet for
 *   the session (counted as TT_BFD_RX_DISCONNECTED) and lets its detection
 *   timer run out. RECONNECT clears it: state Down, fresh start.
 * - WORKER: leaving Up for any reason yields TT_HB_A_FENCE, exactly once per
 *   Up period. Carry out the fence before transmitting the packet of the
 *   same step.
 * - MASTER: leaving Up arms a WORKER_DEAD timer, owned by the session, at
 *       max(time Up was left, last_alive_tx + T2 + d_max + g)
 *   where last_alive_tx is the last time the master sent a packet with state
 *   Init or Up (only those keep a worker's Up alive: RFC 5880 §6.8.6) and T2
 *   is the worker's detection time as the master knows it: the master's
 *   Detect Mult x max(worker's Required Min RX, master's Desired Min TX),
 *   taken per packet from the values that packet carried. When detection
 *   expired this is max(local detection expiry, ...). After leaving Up the
 *   master sends no Init/Up packet until the worker has signalled Down, so
 *   the deadline is final when it is armed. It fires TT_HB_A_WORKER_DEAD
 *   exactly once per master Up period. This holds under one-way loss
 *   (worker->master lost, master->worker fine): the master's own detection
 *   expires, but the worker is declared dead only once its T2 after the last
 *   alive packet (plus delay and granularity) has passed. At most one
 *   WORKER_DEAD is pending: if a second Up period ends before the first one's
 *   fired, the pending deadline becomes the later of the two and one
 *   WORKER_DEAD covers both periods.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bfd_wire.h"
#include "tt_time.h"

/** Session states, RFC 5880 §6.2; values equal the wire's "Sta" field. */
#define TT_HB_STATES(X)                                                                            \
	X(ADMIN_DOWN, 0, "AdminDown")                                                              \
	X(DOWN, 1, "Down")                                                                         \
	X(INIT, 2, "Init")                                                                         \
	X(UP, 3, "Up")

/* The X-macro hides the enumerators from clang-format. */
/* clang-format off */
enum tt_hb_state {
#define TT_X(name, val, str) TT_HB_S_##name = val,
	TT_HB_STATES(TT_X)
#undef TT_X
	TT_HB_S_COUNT
};
/* clang-format on */

/** Events a session is stepped with. X(name, printable) */
#define TT_HB_EVENTS(X)                                                                            \
	X(RX, "rx")                                                                                \
	X(TIMER, "timer")                                                                          \
	X(ADMIN_UP, "admin-up")                                                                    \
	X(ADMIN_DOWN, "admin-down")                                                                \
	X(DISCONNECT, "disconnect")                                                                \
	X(RECONNECT, "reconnect")                                                                  \
	X(SET_TIMERS, "set-timers")

/* The X-macro hides the enumerators from clang-format. */
/* clang-format off */
enum tt_hb_event_type {
#define TT_X(name, str) TT_HB_EV_##name,
	TT_HB_EVENTS(TT_X)
#undef TT_X
	TT_HB_EV_COUNT
};
/* clang-format on */

/** Action flags in struct tt_hb_actions.flags. X(name, bit, printable) */
#define TT_HB_ACTIONS(X)                                                                           \
	X(TX, 0, "tx")                                                                             \
	X(STATE_CHANGE, 1, "state-change")                                                         \
	X(DETECT_EXPIRED, 2, "detect-expired")                                                     \
	X(POLL_DONE, 3, "poll-done")                                                               \
	X(FENCE, 4, "fence")                                                                       \
	X(WORKER_DEAD, 5, "worker-dead")

enum tt_hb_action {
#define TT_X(name, bit, str) TT_HB_A_##name = 1u << (bit),
	TT_HB_ACTIONS(TT_X)
#undef TT_X
};

/** Which end of the master/worker pair this session is. */
#define TT_HB_ROLES(X)                                                                             \
	X(MASTER, "master")                                                                        \
	X(WORKER, "worker")

/* The X-macro hides the enumerators from clang-format. */
/* clang-format off */
enum tt_hb_role {
#define TT_X(name, str) TT_HB_ROLE_##name,
	TT_HB_ROLES(TT_X)
#undef TT_X
	TT_HB_ROLE_COUNT
};
/* clang-format on */

/** The three timer parameters of RFC 5880 §6.8.1, as configured. */
struct tt_hb_timers {
	uint32_t desired_min_tx_us;  /* bfd.DesiredMinTxInterval, > 0 */
	uint32_t required_min_rx_us; /* bfd.RequiredMinRxInterval, > 0 */
	uint8_t detect_mult;	     /* bfd.DetectMult, >= 1 */
};

/** Session configuration, copied by tt_hb_init(). */
struct tt_hb_config {
	enum tt_hb_role role;
	uint32_t local_disc;	    /* bfd.LocalDiscr, non-zero (RFC 5880 §6.8.1) */
	struct tt_hb_timers timers; /* rates used once Up */
	/**
	 * bfd.DesiredMinTxInterval while not Up (RFC 5880 §6.8.3: at least one
	 * second). 0 means the default, 1 s. Values below 1 s are refused unless
	 * allow_fast_slow_rate is set (tests only).
	 */
	uint32_t slow_tx_us;
	bool allow_fast_slow_rate;
	/**
	 * Authentication in use (bfd.AuthType != 0). Only the A-bit check of
	 * RFC 5880 §6.8.6 is done here; digests are verified by the caller.
	 */
	bool auth;
	bool start_admin_down;	/* start in AdminDown instead of Down */
	tt_ns_t d_max_ns;	/* one-way delay bound (master policy) */
	tt_ns_t granularity_ns; /* timer granularity g (master policy) */
	uint64_t seed;		/* jitter PRNG seed (RFC 5880 §6.8.7) */
};

/** One input to tt_hb_step(). */
struct tt_hb_event {
	enum tt_hb_event_type type;
	union {
		/** RX: a packet that passed tt_bfd_parse() (stateless checks). */
		const struct tt_bfd_ctrl *pkt;
		/** SET_TIMERS: the new values; a change starts a Poll (§6.5). */
		struct tt_hb_timers timers;
	};
};

/**
 * A step sends at most one packet: a state change, a Final and a due
 * periodic transmission all go out as the same packet.
 */
#define TT_HB_TX_MAX 1

/** What the caller must do after a step. */
struct tt_hb_actions {
	uint32_t flags;			     /* TT_HB_A_* */
	unsigned int n_tx;		     /* packets in tx[] (TT_HB_A_TX) */
	struct tt_bfd_ctrl tx[TT_HB_TX_MAX]; /* to serialise and send */
	/**
	 * TT_HB_A_STATE_CHANGE: old_state is the state before the step,
	 * new_state the state after it, diag the session's bfd.LocalDiag after
	 * it. Reported at most once per step. When detection expired at the
	 * start of the step and the event then moved the session again (e.g.
	 * Up -> Down by expiry, then Down -> Init on a received Down),
	 * TT_HB_A_DETECT_EXPIRED is also set and old_state may equal new_state.
	 */
	enum tt_hb_state old_state;
	enum tt_hb_state new_state;
	enum tt_bfd_diag diag;
	/** RX only: TT_BFD_RX_OK, or why the packet was dropped. */
	enum tt_bfd_rx_reject rx_verdict;
	/** When to step again (TT_HB_EV_TIMER) at the latest, if has_deadline. */
	bool has_deadline;
	tt_ns_t next_deadline_ns;
};

/** Session counters. rx.by_reason[TT_BFD_RX_OK] counts accepted packets. */
struct tt_hb_counters {
	struct tt_bfd_rx_counters rx;
	uint64_t rx_packets; /* RX events offered, accepted or not */
	uint64_t tx_packets; /* packets returned for transmission */
	uint64_t tx_finals;  /* of which Final responses (F set) */
	uint64_t state_changes;
	uint64_t detect_expiries; /* Init/Up -> Down by detection time */
	uint64_t polls_started;
	uint64_t polls_done;
};

/**
 * A session. Storage belongs to the caller; the fields are private to
 * hb_fsm.c: read them through the accessors below.
 */
struct tt_hb_session {
	struct tt_hb_config cfg;
	/* RFC 5880 §6.8.1 state variables */
	enum tt_hb_state state;
	enum tt_hb_state remote_state;
	uint32_t remote_disc;
	enum tt_bfd_diag local_diag;
	uint32_t desired_min_tx_us;  /* advertised bfd.DesiredMinTxInterval */
	uint32_t required_min_rx_us; /* advertised bfd.RequiredMinRxInterval */
	uint8_t detect_mult;	     /* bfd.DetectMult */
	uint32_t remote_min_rx_us;   /* bfd.RemoteMinRxInterval */
	uint32_t remote_desired_min_tx_us;
	uint8_t remote_detect_mult;
	/* §6.8.3: values in force while a Poll Sequence is pending */
	uint32_t tx_desired_in_force_us;
	uint32_t rx_required_in_force_us;
	/* §6.5 Poll Sequence */
	bool poll_active;
	bool final_owed;
	bool poll_dirty; /* values changed since the Poll began */
	/* timers */
	bool tx_now; /* a state change asks for a packet */
	bool tx_sent;
	tt_ns_t last_tx_ns;
	tt_ns_t next_tx_ns;
	bool detect_armed;
	tt_ns_t detect_deadline_ns;
	tt_ns_t last_rx_ns;
	/* tether policy */
	bool disconnected;
	bool alive_sent;	   /* master: an Init/Up packet went out */
	tt_ns_t alive_deadline_ns; /* master: max over those of tx + T2 + d_max + g */
	bool dead_pending;
	tt_ns_t dead_at_ns;
	uint32_t t2_remote_min_rx_us; /* master: worker's RequiredMinRx for T2 */
	uint64_t prng;
	struct tt_hb_counters counters;
};

/**
 * Initialise a session in caller-owned storage: state Down (or AdminDown if
 * cfg->start_admin_down), first packet due at @p now.
 *
 * @param s    storage, fully overwritten.
 * @param cfg  configuration, copied.
 * @param now  current time.
 * @return 0, or -EINVAL if cfg is invalid (local_disc 0, a timer 0, role out
 *         of range, slow_tx_us below 1 s without allow_fast_slow_rate).
 */
int tt_hb_init(struct tt_hb_session *s, const struct tt_hb_config *cfg, tt_ns_t now);

/**
 * Step the session: expire the detection timer if @p now reached it, then
 * apply @p ev, then transmit what is due and fire the WORKER_DEAD timer if
 * due. @p out is fully overwritten.
 *
 * @param s    the session.
 * @param ev   the event (RX: ev->pkt must be non-NULL).
 * @param now  current time; must not go back between steps.
 * @param out  actions to carry out, in this order: FENCE, then TX.
 * @return 0, or -EINVAL for an invalid event (unknown type, RX without a
 *         packet or with a State field above 3, SET_TIMERS with a zero
 *         value). The event is then ignored, but the rest of the step (the
 *         detection expiry, a due transmission, a due WORKER_DEAD) still
 *         happens and out reports it.
 */
int tt_hb_step(struct tt_hb_session *s, const struct tt_hb_event *ev, tt_ns_t now,
	       struct tt_hb_actions *out);

/** tt_hb_step() with a TT_HB_EV_RX event. */
int tt_hb_rx(struct tt_hb_session *s, const struct tt_bfd_ctrl *pkt, tt_ns_t now,
	     struct tt_hb_actions *out);

/** tt_hb_step() with a TT_HB_EV_TIMER event. */
int tt_hb_tick(struct tt_hb_session *s, tt_ns_t now, struct tt_hb_actions *out);

/**
 * The next instant the session must be stepped (TT_HB_EV_TIMER): the earliest
 * of the next transmission, the detection deadline and the WORKER_DEAD timer.
 *
 * @return true and *deadline set, or false if nothing is pending (e.g.
 *         disconnected after detection expired).
 */
bool tt_hb_next_deadline(const struct tt_hb_session *s, tt_ns_t *deadline);

/**
 * Count a reject the caller found for this session (e.g. an authentication
 * failure) in the session's counters.
 */
void tt_hb_count_reject(struct tt_hb_session *s, enum tt_bfd_rx_reject reason);

/** The session's counters (valid as long as the session). */
const struct tt_hb_counters *tt_hb_counters(const struct tt_hb_session *s);

/** Accessors. */
enum tt_hb_state tt_hb_state(const struct tt_hb_session *s);
enum tt_bfd_diag tt_hb_diag(const struct tt_hb_session *s);
uint32_t tt_hb_remote_disc(const struct tt_hb_session *s);
bool tt_hb_is_disconnected(const struct tt_hb_session *s);
bool tt_hb_poll_active(const struct tt_hb_session *s);

/**
 * The local detection time now in force (RFC 5880 §6.8.4): remote Detect
 * Mult x max(local RequiredMinRx in force, remote DesiredMinTx), in ns; 0
 * before any packet was received.
 */
tt_ns_t tt_hb_detect_time_ns(const struct tt_hb_session *s);

/**
 * The negotiated transmit interval before jitter (RFC 5880 §6.8.2, §6.8.7):
 * max(bfd.DesiredMinTxInterval in force, bfd.RemoteMinRxInterval), in ns.
 */
tt_ns_t tt_hb_tx_interval_ns(const struct tt_hb_session *s);

/**
 * Master: T2 as the master knows it (RFC 5880 §6.8.4 seen from the worker):
 * local Detect Mult x max(worker's Required Min RX, local DesiredMinTx), ns.
 */
tt_ns_t tt_hb_t2_ns(const struct tt_hb_session *s);

/** Printable names, from the X-macros above. */
const char *tt_hb_state_name(unsigned int state);
const char *tt_hb_event_name(unsigned int type);
const char *tt_hb_action_name(unsigned int action_flag);
const char *tt_hb_role_name(unsigned int role);

#endif /* TT_HB_FSM_H */
