/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_HB_POLICY_H
#define TT_HB_POLICY_H

/**
 * @file
 * tether's master/worker timing rule, checked before any session starts.
 *
 * Two BFD sessions' views (RFC 5880 §6.8.2, §6.8.4):
 *   I   = worker->master agreed interval
 *       = max(worker desired_min_tx, master required_min_rx)
 *   I_w = master->worker agreed interval
 *       = max(master desired_min_tx, worker required_min_rx)
 *   T1  = the master's detection time = worker detect_mult x I
 *   T2  = the worker's detection time = master detect_mult x I_w
 * With one-way delay bound d_max and timer granularity g the worker has
 * fenced before the master declares it dead when
 *   T1 > T2 + I + d_max + g.
 * Why I is the worker->master interval: after a disconnect at either end the
 * master last heard the worker at most one such interval before the cut.
 * When all four interval values are equal, I = I_w is "the" agreed interval.
 *
 * Pure functions, any thread.
 */

#include <stddef.h>
#include <stdint.h>

#include "tt_time.h"

/** Allowed ranges (the wire's fields: RFC 5880 §4.1). */
#define TT_HB_POLICY_MULT_MIN	     1u
#define TT_HB_POLICY_MULT_MAX	     255u
#define TT_HB_POLICY_INTERVAL_MIN_US 1ull
#define TT_HB_POLICY_INTERVAL_MAX_US 4294967295ull
/** d_max and g above an hour are certainly a unit mistake. */
#define TT_HB_POLICY_DELAY_MAX_NS (3600ull * TT_NS_PER_S)

/** One end's timer settings, as read from a configuration (wide on purpose). */
struct tt_hb_policy_side {
	uint64_t desired_min_tx_us;
	uint64_t required_min_rx_us;
	uint64_t detect_mult;
};

struct tt_hb_policy_input {
	struct tt_hb_policy_side master;
	struct tt_hb_policy_side worker;
	tt_ns_t d_max_ns;	/* one-way delay bound */
	tt_ns_t granularity_ns; /* timer granularity g */
};

/** The derived times, all in ns. */
struct tt_hb_policy_times {
	tt_ns_t interval_ns;	    /* I: worker->master agreed interval */
	tt_ns_t worker_interval_ns; /* I_w: master->worker agreed interval */
	tt_ns_t t1_ns;		    /* master's detection time */
	tt_ns_t t2_ns;		    /* worker's detection time */
	tt_ns_t bound_ns;	    /* T2 + I + d_max + g: T1 must exceed it */
};

/**
 * Validate ranges and compute I, I_w, T1, T2 and the bound. Does not apply
 * the rule.
 *
 * @param in   the settings.
 * @param out  filled on success.
 * @param msg  on failure, a message naming the value, what it is and what
 *             is allowed; may be NULL if len is 0. Always NUL-terminated.
 * @param len  size of msg.
 * @return 0, or -EINVAL if a value is out of range.
 */
int tt_hb_policy_compute(const struct tt_hb_policy_input *in, struct tt_hb_policy_times *out,
			 char *msg, size_t len);

/**
 * Check the settings: ranges, then T1 > T2 + I + d_max + g.
 *
 * @param in   the settings.
 * @param msg  filled in every case: on success a one-line summary of the
 *             numbers; on refusal every number (in µs) and which value to
 *             change and to what. May be NULL if len is 0.
 * @param len  size of msg.
 * @return 0 if the settings are safe, -EINVAL otherwise.
 */
int tt_hb_policy_check(const struct tt_hb_policy_input *in, char *msg, size_t len);

#endif /* TT_HB_POLICY_H */
