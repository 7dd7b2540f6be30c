/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The heartbeat session: RFC 5880 asynchronous mode plus tether's
 * master/worker policy. See hb_fsm.h for the contract.
 *
 * Layout of a step (tt_hb_step):
 *   1. expire_detection()   RFC 5880 §6.8.4, before anything else
 *   2. the event            §6.8.6 reception, §6.8.16 admin, §6.8.3 timers,
 *                           tether disconnect/reconnect
 *   3. fire_worker_dead()   tether master policy
 *   4. transmit()           §6.8.7, at most one packet
 * Every state change goes through on_state_change(), which holds all entry
 * and exit actions.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "hb_fsm.h"
#include "tt_names.h"
#include "tt_rand.h"

#define SLOW_TX_MIN_US 1000000u /* RFC 5880 §6.8.3: one second */

static const char *const state_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_HB_STATES(TT_X)
#undef TT_X
};

static const char *const event_names[] = {
#define TT_X(name, str) [TT_HB_EV_##name] = str,
	TT_HB_EVENTS(TT_X)
#undef TT_X
};

static const char *const role_names[] = {
#define TT_X(name, str) [TT_HB_ROLE_##name] = str,
	TT_HB_ROLES(TT_X)
#undef TT_X
};

const char *tt_hb_state_name(unsigned int state)
{
	return TT_NAME_AT(state_names, state, "?");
}

const char *tt_hb_event_name(unsigned int type)
{
	return TT_NAME_AT(event_names, type, "?");
}

const char *tt_hb_role_name(unsigned int role)
{
	return TT_NAME_AT(role_names, role, "?");
}

const char *tt_hb_action_name(unsigned int action_flag)
{
#define TT_X(name, bit, str)                                                                       \
	if (action_flag == TT_HB_A_##name)                                                         \
		return str;
	TT_HB_ACTIONS(TT_X)
#undef TT_X
	return "?";
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static tt_ns_t time_max(tt_ns_t a, tt_ns_t b)
{
	return tt_time_after(a, b) ? a : b;
}

/*
 * bfd.DesiredMinTxInterval to advertise in the current state: the configured
 * value once Up, at least the slow rate otherwise (RFC 5880 §6.8.3).
 */
static uint32_t wanted_desired_tx_us(const struct tt_hb_session *s)
{
	if (s->state == TT_HB_S_UP)
		return s->cfg.timers.desired_min_tx_us;
	return max_u32(s->cfg.timers.desired_min_tx_us, s->cfg.slow_tx_us);
}

tt_ns_t tt_hb_tx_interval_ns(const struct tt_hb_session *s)
{
	/* RFC 5880 §6.8.2, §6.8.7: the larger of our desired and their required */
	return tt_us_to_ns(max_u32(s->tx_desired_in_force_us, s->remote_min_rx_us));
}

tt_ns_t tt_hb_detect_time_ns(const struct tt_hb_session *s)
{
	/*
	 * RFC 5880 §6.8.4: remote Detect Mult x the agreed interval of the
	 * remote's transmissions, max(bfd.RequiredMinRxInterval, last received
	 * Desired Min TX). §6.8.3: a reduced RequiredMinRx counts only after
	 * its Poll Sequence, hence the "in force" value.
	 */
	uint32_t agreed_us = max_u32(s->rx_required_in_force_us, s->remote_desired_min_tx_us);

	return (tt_ns_t)s->remote_detect_mult * tt_us_to_ns(agreed_us);
}

tt_ns_t tt_hb_t2_ns(const struct tt_hb_session *s)
{
	uint32_t agreed_us = max_u32(s->t2_remote_min_rx_us, s->desired_min_tx_us);

	return (tt_ns_t)s->detect_mult * tt_us_to_ns(agreed_us);
}

/*
 * One jittered transmit interval. RFC 5880 §6.8.7: reduce the interval by a
 * random 0-25%; if bfd.DetectMult is 1 the result must lie within 75%-90% of
 * the interval, i.e. a reduction of 10-25%. Resolution: parts per million.
 */
static tt_ns_t jittered(struct tt_hb_session *s, tt_ns_t interval_ns)
{
	uint64_t lo_ppm = s->detect_mult == 1 ? 100000 : 0;
	uint64_t hi_ppm = 250000;
	uint64_t ppm = lo_ppm + tt_rand_next(&s->prng) % (hi_ppm - lo_ppm + 1);

	return interval_ns - interval_ns / 1000000 * ppm - interval_ns % 1000000 * ppm / 1000000;
}

/* RFC 5880 §6.8.7: no periodic transmission while bfd.RemoteMinRxInterval is 0. */
static bool periodic_allowed(const struct tt_hb_session *s)
{
	return !s->disconnected && s->remote_min_rx_us != 0;
}

/*
 * The negotiated transmit interval changed: move the next periodic packet to
 * last transmission + the new (jittered) interval, never into the past.
 */
static void reschedule_tx(struct tt_hb_session *s, tt_ns_t old_interval_ns, tt_ns_t now)
{
	tt_ns_t interval_ns = tt_hb_tx_interval_ns(s);

	if (interval_ns == old_interval_ns || !s->tx_sent)
		return;
	s->next_tx_ns = time_max(now, s->last_tx_ns + jittered(s, interval_ns));
}

/* Re-derive the detection deadline after the detection time changed (§6.8.4). */
static void rearm_detection(struct tt_hb_session *s)
{
	if (s->detect_armed)
		s->detect_deadline_ns = s->last_rx_ns + tt_hb_detect_time_ns(s);
}

/*
 * Bring the advertised timer values in line with the configuration and the
 * state, applying RFC 5880 §6.8.3:
 * - any change of DesiredMinTx or RequiredMinRx initiates a Poll Sequence
 *   (§6.5); tether also polls on a Detect Mult change, harmlessly, so that
 *   the peer confirms it saw it;
 * - an increase of DesiredMinTx while Up is used for transmission only
 *   after the Poll Sequence ended (the peer first stretches its detection
 *   time);
 * - a reduction of RequiredMinRx while Up is used for the detection time only
 *   after the Poll Sequence ended.
 * Every other change takes effect at once.
 */
static void update_local_timers(struct tt_hb_session *s, tt_ns_t now)
{
	uint32_t desired = wanted_desired_tx_us(s);
	uint32_t required = s->cfg.timers.required_min_rx_us;
	uint8_t mult = s->cfg.timers.detect_mult;
	tt_ns_t old_interval_ns = tt_hb_tx_interval_ns(s);
	uint32_t old_rx_in_force = s->rx_required_in_force_us;
	bool up = s->state == TT_HB_S_UP;

	if (desired == s->desired_min_tx_us && required == s->required_min_rx_us &&
	    mult == s->detect_mult)
		return;
	s->desired_min_tx_us = desired;
	s->required_min_rx_us = required;
	s->detect_mult = mult;
	if (!up || desired <= s->tx_desired_in_force_us)
		s->tx_desired_in_force_us = desired;
	if (!up || required >= s->rx_required_in_force_us)
		s->rx_required_in_force_us = required;

	/*
	 * §6.5: one Poll Sequence at a time. A change during a running one
	 * marks it dirty: its Final then restarts the Poll instead of applying
	 * the deferred values, since the peer may have answered a packet that
	 * still carried the previous ones.
	 */
	if (s->poll_active) {
		s->poll_dirty = true;
	} else {
		s->poll_active = true;
		s->poll_dirty = false;
		s->counters.polls_started++;
	}
	reschedule_tx(s, old_interval_ns, now);
	if (s->rx_required_in_force_us != old_rx_in_force)
		rearm_detection(s);
}

/*
 * A Final arrived while we poll (RFC 5880 §6.8.6: "the Poll Sequence MUST
 * be terminated"). The deferred §6.8.3 values now take effect; the caller
 * (on_rx) then updates the transmit interval and the detection time.
 */
static void poll_final_received(struct tt_hb_session *s, struct tt_hb_actions *out)
{
	if (s->poll_dirty) {
		s->poll_dirty = false;
		return;
	}
	s->poll_active = false;
	s->tx_desired_in_force_us = s->desired_min_tx_us;
	s->rx_required_in_force_us = s->required_min_rx_us;
	s->counters.polls_done++;
	out->flags |= TT_HB_A_POLL_DONE;
}

/*
 * The one place a state changes; holds every entry and exit action.
 * Callers set bfd.LocalDiag before calling when the RFC gives a reason.
 */
static void on_state_change(struct tt_hb_session *s, enum tt_hb_state next, tt_ns_t now,
			    struct tt_hb_actions *out)
{
	enum tt_hb_state prev = s->state;

	if (prev == next)
		return;
	s->state = next;
	s->counters.state_changes++;
	out->flags |= TT_HB_A_STATE_CHANGE;
	/* tether: the peer learns a new state at once, not an interval later. */
	s->tx_now = true;

	if (prev == TT_HB_S_UP) {
		if (s->cfg.role == TT_HB_ROLE_WORKER) {
			/* tether: a worker that leaves Up fences, once per Up period. */
			out->flags |= TT_HB_A_FENCE;
		} else {
			/*
			 * tether: the worker may run until T2 (+ d_max + g) after
			 * the last Init/Up packet we sent; no new one goes out
			 * before the worker signals Down (§6.8.6), so the
			 * deadline is final now.
			 */
			tt_ns_t dead_at = s->alive_sent ? time_max(now, s->alive_deadline_ns) : now;

			s->dead_at_ns =
				s->dead_pending ? time_max(s->dead_at_ns, dead_at) : dead_at;
			s->dead_pending = true;
		}
	}
	if (next == TT_HB_S_UP) {
		/* §6.8.1: LocalDiag is the reason of the last change; Up has none. */
		s->local_diag = TT_BFD_DIAG_NONE;
	}
	if (next == TT_HB_S_ADMIN_DOWN) {
		/* §6.8.6: AdminDown discards every packet: nothing to detect. */
		s->detect_armed = false;
	}
	/* §6.8.3: the slow rate applies exactly while not Up. */
	if (prev == TT_HB_S_UP || next == TT_HB_S_UP)
		update_local_timers(s, now);
}

/*
 * RFC 5880 §6.8.4: no valid packet for a Detection Time. In Init or Up the
 * session goes Down with diag 1; in any state bfd.RemoteDiscr is cleared
 * (§6.8.1).
 */
static void expire_detection(struct tt_hb_session *s, tt_ns_t now, struct tt_hb_actions *out)
{
	if (!s->detect_armed || !tt_time_reached(now, s->detect_deadline_ns))
		return;
	s->detect_armed = false;
	s->remote_disc = 0;
	if (s->state == TT_HB_S_INIT || s->state == TT_HB_S_UP) {
		s->local_diag = TT_BFD_DIAG_CTRL_EXPIRED;
		s->counters.detect_expiries++;
		out->flags |= TT_HB_A_DETECT_EXPIRED;
		on_state_change(s, TT_HB_S_DOWN, now, out);
	}
}

/*
 * Session-dependent reception checks of RFC 5880 §6.8.6, plus the stateless
 * ones again (cheap) so that a hand-built packet can never half-apply.
 */
static enum tt_bfd_rx_reject rx_check(const struct tt_hb_session *s, const struct tt_bfd_ctrl *p)
{
	if (s->disconnected)
		return TT_BFD_RX_DISCONNECTED; /* tether: silent both ways */
	if (p->version != TT_BFD_VERSION)
		return TT_BFD_RX_VERSION;
	if (p->detect_mult == 0)
		return TT_BFD_RX_DETECT_MULT_ZERO;
	if (p->multipoint)
		return TT_BFD_RX_MULTIPOINT;
	if (p->my_disc == 0)
		return TT_BFD_RX_MY_DISC_ZERO;
	/* §6.8.6: a non-zero Your Discriminator selects the session. */
	if (p->your_disc != 0 && p->your_disc != s->cfg.local_disc)
		return TT_BFD_RX_NO_SESSION;
	/* §6.8.6: Your Discriminator zero and received State not Down/AdminDown */
	if (p->your_disc == 0 && p->state != TT_BFD_STATE_DOWN &&
	    p->state != TT_BFD_STATE_ADMIN_DOWN)
		return TT_BFD_RX_YOUR_DISC_ZERO;
	/* §6.8.6: A bit versus bfd.AuthType */
	if (p->auth_present && !s->cfg.auth)
		return TT_BFD_RX_AUTH_UNEXPECTED;
	if (!p->auth_present && s->cfg.auth)
		return TT_BFD_RX_AUTH_MISSING;
	/* §6.8.7 forbids sending both; such a packet is not to be trusted. */
	if (p->poll && p->final)
		return TT_BFD_RX_POLL_AND_FINAL;
	return TT_BFD_RX_OK;
}

/*
 * Master: the worker's Required Min RX used for T2. An increase is used at
 * once; a reduction only once the worker's packets show its Poll Sequence
 * over (P and F clear), because until then the worker may still time out
 * with the previous, larger value (§6.8.3).
 */
static void learn_worker_min_rx(struct tt_hb_session *s, const struct tt_bfd_ctrl *p)
{
	if (p->required_min_rx_us >= s->t2_remote_min_rx_us || (!p->poll && !p->final))
		s->t2_remote_min_rx_us = p->required_min_rx_us;
}

/* RFC 5880 §6.8.6, after the checks: update variables, then the FSM. */
static void on_rx(struct tt_hb_session *s, const struct tt_bfd_ctrl *p, tt_ns_t now,
		  struct tt_hb_actions *out)
{
	tt_ns_t old_interval_ns = tt_hb_tx_interval_ns(s);
	enum tt_hb_state next = s->state;

	s->remote_disc = p->my_disc;
	s->remote_state = p->state;
	s->remote_min_rx_us = p->required_min_rx_us;
	s->remote_desired_min_tx_us = p->desired_min_tx_us;
	s->remote_detect_mult = p->detect_mult;
	learn_worker_min_rx(s, p);

	/* §6.8.6: a Final terminates our Poll Sequence. */
	if (s->poll_active && p->final)
		poll_final_received(s, out);
	/* §6.8.6 "Update the transmit interval" (§6.8.2) and Detection Time. */
	reschedule_tx(s, old_interval_ns, now);
	rearm_detection(s);

	/* §6.8.6: in AdminDown the packet is discarded here. */
	if (s->state == TT_HB_S_ADMIN_DOWN)
		return;

	if (p->state == TT_BFD_STATE_ADMIN_DOWN) {
		if (s->state != TT_HB_S_DOWN) {
			s->local_diag = TT_BFD_DIAG_NEIGHBOR_DOWN;
			next = TT_HB_S_DOWN;
		}
	} else if (s->state == TT_HB_S_DOWN) {
		/* §6.8.6 three-way bring-up: Down + Down -> Init, Down + Init -> Up */
		if (p->state == TT_BFD_STATE_DOWN)
			next = TT_HB_S_INIT;
		else if (p->state == TT_BFD_STATE_INIT)
			next = TT_HB_S_UP;
	} else if (s->state == TT_HB_S_INIT) {
		if (p->state == TT_BFD_STATE_INIT || p->state == TT_BFD_STATE_UP)
			next = TT_HB_S_UP;
	} else if (p->state == TT_BFD_STATE_DOWN) {
		/* Up, neighbour says Down */
		s->local_diag = TT_BFD_DIAG_NEIGHBOR_DOWN;
		next = TT_HB_S_DOWN;
	}
	on_state_change(s, next, now, out);

	/* §6.8.6: answer a Poll with a Final (sent by transmit()). */
	if (p->poll)
		s->final_owed = true;

	/* §6.8.6: not discarded, so it counts as received for §6.8.4. */
	s->last_rx_ns = now;
	s->detect_armed = true;
	s->detect_deadline_ns = now + tt_hb_detect_time_ns(s);
}

/*
 * tether RECONNECT: a fresh start after a disconnect. The remote is
 * forgotten (§6.8.1 initial values), a session still Init/Up goes Down with
 * diag Path Down (the path the session stands for was cut), AdminDown stays.
 */
static void on_reconnect(struct tt_hb_session *s, tt_ns_t now, struct tt_hb_actions *out)
{
	if (!s->disconnected)
		return;
	s->disconnected = false;
	if (s->state == TT_HB_S_INIT || s->state == TT_HB_S_UP) {
		s->local_diag = TT_BFD_DIAG_PATH_DOWN;
		on_state_change(s, TT_HB_S_DOWN, now, out);
	}
	s->remote_disc = 0;
	s->remote_state = TT_HB_S_DOWN;
	s->remote_min_rx_us = 1;
	s->remote_desired_min_tx_us = 0;
	s->remote_detect_mult = 0;
	s->detect_armed = false;
	s->poll_active = false;
	s->poll_dirty = false;
	s->final_owed = false;
	s->tx_desired_in_force_us = s->desired_min_tx_us;
	s->rx_required_in_force_us = s->required_min_rx_us;
	s->tx_now = true;
}

static int apply_event(struct tt_hb_session *s, const struct tt_hb_event *ev, tt_ns_t now,
		       struct tt_hb_actions *out)
{
	enum tt_bfd_rx_reject verdict;

	switch (ev->type) {
	case TT_HB_EV_RX:
		if (ev->pkt == NULL || ev->pkt->state > TT_BFD_STATE_UP)
			return -EINVAL;
		s->counters.rx_packets++;
		verdict = rx_check(s, ev->pkt);
		s->counters.rx.by_reason[verdict]++;
		out->rx_verdict = verdict;
		if (verdict == TT_BFD_RX_OK)
			on_rx(s, ev->pkt, now, out);
		return 0;
	case TT_HB_EV_TIMER:
		return 0;
	case TT_HB_EV_ADMIN_UP:
		/* §6.8.16: to enable the session, set it to Down. */
		if (s->state == TT_HB_S_ADMIN_DOWN) {
			s->local_diag = TT_BFD_DIAG_NONE;
			on_state_change(s, TT_HB_S_DOWN, now, out);
		}
		return 0;
	case TT_HB_EV_ADMIN_DOWN:
		/* §6.8.16: AdminDown with diag 7; packets keep going (allowed). */
		if (s->state != TT_HB_S_ADMIN_DOWN) {
			s->local_diag = TT_BFD_DIAG_ADMIN_DOWN;
			on_state_change(s, TT_HB_S_ADMIN_DOWN, now, out);
		}
		return 0;
	case TT_HB_EV_DISCONNECT:
		/* tether: silent both ways; detection runs out on its own. */
		s->disconnected = true;
		s->final_owed = false;
		return 0;
	case TT_HB_EV_RECONNECT:
		on_reconnect(s, now, out);
		return 0;
	case TT_HB_EV_SET_TIMERS:
		if (ev->timers.desired_min_tx_us == 0 || ev->timers.required_min_rx_us == 0 ||
		    ev->timers.detect_mult == 0)
			return -EINVAL;
		s->cfg.timers = ev->timers;
		update_local_timers(s, now);
		return 0;
	case TT_HB_EV_COUNT:
		break;
	}
	return -EINVAL;
}

/* tether master policy: the WORKER_DEAD timer. */
static void fire_worker_dead(struct tt_hb_session *s, tt_ns_t now, struct tt_hb_actions *out)
{
	if (s->dead_pending && tt_time_reached(now, s->dead_at_ns)) {
		s->dead_pending = false;
		out->flags |= TT_HB_A_WORKER_DEAD;
	}
}

/* RFC 5880 §6.8.7: the contents of every transmitted control packet. */
static void build_packet(const struct tt_hb_session *s, bool final, struct tt_bfd_ctrl *p)
{
	memset(p, 0, sizeof(*p));
	p->version = TT_BFD_VERSION;
	p->diag = (uint8_t)s->local_diag;
	p->state = (uint8_t)s->state;
	/* §6.8.7: a Final has P clear; otherwise P while we poll (§6.5). */
	p->poll = s->poll_active && !final;
	p->final = final;
	p->auth_present = s->cfg.auth;
	p->detect_mult = s->detect_mult;
	p->my_disc = s->cfg.local_disc;
	p->your_disc = s->remote_disc;
	p->desired_min_tx_us = s->desired_min_tx_us;
	p->required_min_rx_us = s->required_min_rx_us;
	/* No Echo function: Required Min Echo RX Interval 0 (§6.8.7). */
	p->required_min_echo_rx_us = 0;
}

/*
 * Send at most one packet: when a state change or a Final asks for one now,
 * or when the periodic timer is due. Nothing while disconnected (tether).
 */
static void transmit(struct tt_hb_session *s, tt_ns_t now, struct tt_hb_actions *out)
{
	bool final = s->final_owed;
	struct tt_bfd_ctrl *p;

	s->final_owed = false;
	if (s->disconnected) {
		s->tx_now = false;
		return;
	}
	/* §6.8.7: a Final goes out regardless of the transmit timer. */
	if (!final && !s->tx_now && !(periodic_allowed(s) && tt_time_reached(now, s->next_tx_ns)))
		return;
	s->tx_now = false;
	p = &out->tx[out->n_tx++];
	build_packet(s, final, p);
	out->flags |= TT_HB_A_TX;
	s->counters.tx_packets++;
	if (final)
		s->counters.tx_finals++;
	s->tx_sent = true;
	s->last_tx_ns = now;
	s->next_tx_ns = now + jittered(s, tt_hb_tx_interval_ns(s));

	if (p->state == TT_BFD_STATE_INIT || p->state == TT_BFD_STATE_UP) {
		/* tether: an alive packet keeps the worker Up until T2 after it. */
		tt_ns_t t2_ns = (tt_ns_t)p->detect_mult *
				tt_us_to_ns(max_u32(s->t2_remote_min_rx_us, p->desired_min_tx_us));
		tt_ns_t until = now + t2_ns + s->cfg.d_max_ns + s->cfg.granularity_ns;

		s->alive_deadline_ns =
			s->alive_sent ? time_max(s->alive_deadline_ns, until) : until;
		s->alive_sent = true;
	}
}

bool tt_hb_next_deadline(const struct tt_hb_session *s, tt_ns_t *deadline)
{
	bool have = false;
	tt_ns_t d = 0;

	if (periodic_allowed(s)) {
		d = s->next_tx_ns;
		have = true;
	}
	if (s->detect_armed) {
		d = have ? tt_time_min(d, s->detect_deadline_ns) : s->detect_deadline_ns;
		have = true;
	}
	if (s->dead_pending) {
		d = have ? tt_time_min(d, s->dead_at_ns) : s->dead_at_ns;
		have = true;
	}
	if (have)
		*deadline = d;
	return have;
}

int tt_hb_step(struct tt_hb_session *s, const struct tt_hb_event *ev, tt_ns_t now,
	       struct tt_hb_actions *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->old_state = s->state;
	out->rx_verdict = TT_BFD_RX_OK;

	/* tether step order: a stale wake-up sees its own timeout first. */
	expire_detection(s, now, out);
	rc = ev != NULL ? apply_event(s, ev, now, out) : -EINVAL;
	/*
	 * A timer change outside Up takes effect at once (§6.8.3) and re-derives
	 * the deadline from the last reception (§6.8.4): a lower RequiredMinRx
	 * can put it behind `now`. It expires here, as it would have at the
	 * start of the step, so that no step returns a deadline already past.
	 */
	if (rc == 0 && ev->type == TT_HB_EV_SET_TIMERS)
		expire_detection(s, now, out);
	fire_worker_dead(s, now, out);
	transmit(s, now, out);

	out->new_state = s->state;
	out->diag = s->local_diag;
	out->has_deadline = tt_hb_next_deadline(s, &out->next_deadline_ns);
	return rc;
}

int tt_hb_rx(struct tt_hb_session *s, const struct tt_bfd_ctrl *pkt, tt_ns_t now,
	     struct tt_hb_actions *out)
{
	struct tt_hb_event ev = {.type = TT_HB_EV_RX, .pkt = pkt};

	return tt_hb_step(s, &ev, now, out);
}

int tt_hb_tick(struct tt_hb_session *s, tt_ns_t now, struct tt_hb_actions *out)
{
	struct tt_hb_event ev = {.type = TT_HB_EV_TIMER};

	return tt_hb_step(s, &ev, now, out);
}

int tt_hb_init(struct tt_hb_session *s, const struct tt_hb_config *cfg, tt_ns_t now)
{
	uint32_t slow_us;

	if (cfg == NULL || cfg->role >= TT_HB_ROLE_COUNT || cfg->local_disc == 0 ||
	    cfg->timers.desired_min_tx_us == 0 || cfg->timers.required_min_rx_us == 0 ||
	    cfg->timers.detect_mult == 0)
		return -EINVAL;
	slow_us = cfg->slow_tx_us != 0 ? cfg->slow_tx_us : SLOW_TX_MIN_US;
	/* RFC 5880 §6.8.3: at least one second while not Up. */
	if (slow_us < SLOW_TX_MIN_US && !cfg->allow_fast_slow_rate)
		return -EINVAL;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->cfg.slow_tx_us = slow_us;
	/* RFC 5880 §6.8.1 initial values */
	s->state = cfg->start_admin_down ? TT_HB_S_ADMIN_DOWN : TT_HB_S_DOWN;
	s->remote_state = TT_HB_S_DOWN;
	s->remote_disc = 0;
	s->local_diag = TT_BFD_DIAG_NONE;
	s->detect_mult = cfg->timers.detect_mult;
	s->required_min_rx_us = cfg->timers.required_min_rx_us;
	s->desired_min_tx_us = wanted_desired_tx_us(s);
	s->tx_desired_in_force_us = s->desired_min_tx_us;
	s->rx_required_in_force_us = s->required_min_rx_us;
	s->remote_min_rx_us = 1;
	s->next_tx_ns = now;
	s->prng = cfg->seed;
	return 0;
}

void tt_hb_count_reject(struct tt_hb_session *s, enum tt_bfd_rx_reject reason)
{
	if ((unsigned int)reason < TT_BFD_RX_REJECT_MAX)
		s->counters.rx.by_reason[reason]++;
}

const struct tt_hb_counters *tt_hb_counters(const struct tt_hb_session *s)
{
	return &s->counters;
}

enum tt_hb_state tt_hb_state(const struct tt_hb_session *s)
{
	return s->state;
}

enum tt_bfd_diag tt_hb_diag(const struct tt_hb_session *s)
{
	return s->local_diag;
}

uint32_t tt_hb_remote_disc(const struct tt_hb_session *s)
{
	return s->remote_disc;
}

bool tt_hb_is_disconnected(const struct tt_hb_session *s)
{
	return s->disconnected;
}

bool tt_hb_poll_active(const struct tt_hb_session *s)
{
	return s->poll_active;
}
