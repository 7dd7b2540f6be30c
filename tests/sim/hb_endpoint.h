/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_HB_ENDPOINT_H
#define TT_HB_ENDPOINT_H

/**
 * @file
 * A heartbeat endpoint for the simulator: one BFD session (engine/hb_fsm.h)
 * whose packets travel as real bytes. Transmitted packets are serialised with
 * tt_bfd_build() and sent on a netsim link; received bytes go through
 * tt_bfd_parse() before the session sees them, so the wire code is under test
 * too. The endpoint carries out every action the session returns and keeps a
 * record of the policy outcomes (Up, detection, FENCE, WORKER_DEAD) with
 * their virtual times, for tests and checkers to assert on.
 *
 * Two ways to use it:
 *  - standalone: tt_hb_endpoint_add() makes the endpoint a netsim node of its
 *    own (one session per node);
 *  - embedded: a bigger node (a master with many workers) holds several
 *    endpoints and calls tt_hb_endpoint_rx()/_tick()/_next_deadline() from its
 *    own callbacks.
 *
 * Execution context: inside netsim callbacks or between simulator steps, one
 * thread. After tt_hb_endpoint_event() from outside a callback, call
 * tt_netsim_node_rearm() on the endpoint's node (tt_hb_endpoint_apply() does
 * both).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bfd_wire.h"
#include "hb_fsm.h"
#include "netsim.h"
#include "tt_time.h"

struct tt_hb_endpoint;

/**
 * Called after the endpoint carried out the actions of a step (packet sent,
 * records updated), for layers above (fencing, scheduling) to react.
 */
typedef void (*tt_hb_endpoint_hook_fn)(void *arg, struct tt_hb_endpoint *ep,
				       const struct tt_hb_actions *act, tt_ns_t now);

/** What happened at this endpoint, with virtual times. "first" fields are valid when count > 0. */
struct tt_hb_endpoint_record {
	uint64_t up_count; /* transitions into Up */
	tt_ns_t first_up_ns;
	tt_ns_t last_up_ns;
	uint64_t down_count; /* transitions out of Up */
	tt_ns_t last_down_ns;
	uint64_t detect_count; /* TT_HB_A_DETECT_EXPIRED */
	tt_ns_t last_detect_ns;
	uint64_t fence_count; /* TT_HB_A_FENCE */
	tt_ns_t first_fence_ns;
	uint64_t dead_count; /* TT_HB_A_WORKER_DEAD */
	tt_ns_t first_dead_ns;
	uint64_t poll_done_count; /* TT_HB_A_POLL_DONE */
	tt_ns_t last_poll_done_ns;
	uint64_t tx_sent;	  /* packets built and handed to the link */
	uint64_t tx_build_failed; /* tt_bfd_build returned 0 (a bug) */
	uint64_t tx_send_failed;  /* tt_netsim_send returned an error (a bug) */
	uint64_t rx_bytes_seen;	  /* datagrams received */
	tt_ns_t last_rx_ok_ns;	  /* last packet the session accepted */
	uint64_t step_errors;	  /* tt_hb_step returned an error (a bug) */
	/* datagrams rejected by tt_bfd_parse, by reason */
	uint64_t parse_rejects[TT_BFD_RX_REJECT_MAX];
};

/** An endpoint. Storage belongs to the caller; fields are read-only outside hb_endpoint.c. */
struct tt_hb_endpoint {
	struct tt_hb_session sess;
	struct tt_netsim *sim;
	int node;    /* netsim node id, or -1 when embedded */
	int tx_link; /* netsim link for transmission, or -1 */
	tt_hb_endpoint_hook_fn hook;
	void *hook_arg;
	struct tt_hb_endpoint_record rec;
};

/**
 * Initialise an endpoint and its session at @p now (embedded use: no node).
 * @return 0 or the negative errno of tt_hb_init().
 */
int tt_hb_endpoint_init(struct tt_hb_endpoint *ep, struct tt_netsim *sim,
			const struct tt_hb_config *cfg, tt_ns_t now);

/**
 * Initialise an endpoint at the simulator's current time and add it as a
 * node of its own with timer granularity @p tick_ns.
 * @return the node id (>= 0), or a negative errno.
 */
int tt_hb_endpoint_add(struct tt_hb_endpoint *ep, struct tt_netsim *sim,
		       const struct tt_hb_config *cfg, tt_ns_t tick_ns);

/** Set the link the endpoint transmits on (-1: none, packets are dropped). */
void tt_hb_endpoint_set_tx_link(struct tt_hb_endpoint *ep, int link);

/** Set a hook run after each step's actions (NULL to clear). */
void tt_hb_endpoint_set_hook(struct tt_hb_endpoint *ep, tt_hb_endpoint_hook_fn hook, void *arg);

/**
 * A datagram arrived: parse it (rejects counted in rec.parse_rejects) and
 * step the session with it.
 */
void tt_hb_endpoint_rx(struct tt_hb_endpoint *ep, const uint8_t *bytes, size_t len, tt_ns_t now);

/** Step the session with a timer event. */
void tt_hb_endpoint_tick(struct tt_hb_endpoint *ep, tt_ns_t now);

/** The session's next deadline, or TT_NETSIM_NO_DEADLINE. */
tt_ns_t tt_hb_endpoint_next_deadline(const struct tt_hb_endpoint *ep);

/**
 * Step the session with any event (DISCONNECT, SET_TIMERS, ADMIN_DOWN...)
 * and carry out the actions.
 * @return tt_hb_step()'s result.
 */
int tt_hb_endpoint_event(struct tt_hb_endpoint *ep, const struct tt_hb_event *ev, tt_ns_t now);

/**
 * tt_hb_endpoint_event() at the simulator's current time, then re-arm the
 * endpoint's node. For standalone endpoints, from outside callbacks.
 * @return tt_hb_step()'s result.
 */
int tt_hb_endpoint_apply(struct tt_hb_endpoint *ep, const struct tt_hb_event *ev);

/**
 * Did this step take the session out of Up? True also when detection expired
 * and the same step brought it Up again (Up -> Down -> Up).
 */
bool tt_hb_endpoint_left_up(const struct tt_hb_actions *act);

/** Did this step bring the session into Up (a new Up period)? */
bool tt_hb_endpoint_entered_up(const struct tt_hb_actions *act);

/** Netsim callbacks for a standalone endpoint (ctx = the endpoint). */
extern const struct tt_netsim_node_ops tt_hb_endpoint_node_ops;

#endif /* TT_HB_ENDPOINT_H */
