/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateful fuzz target for the heartbeat session (engine/hb_fsm.h) on
 * virtual time.
 *
 * The input is a header that configures the session under test ("local")
 * and an honest peer session of the other role, followed by records, each an
 * opcode byte and its operands:
 *
 *   0 TICK      delta: advance time, tick local
 *   1 DEADLINE  k: jump to local's next deadline (-1 ns, exact, +1 ns), tick
 *   2 RAW       delta, len, bytes: tt_bfd_parse, then RX to local if it parses
 *   3 FORGED    delta, 4 bytes: a well-formed packet from fields (state,
 *               P/F, discriminators, timers, A bit), built, parsed, RX
 *   4 CONTROL   k [, 2 bytes]: admin up/down, disconnect/reconnect,
 *               SET_TIMERS (valid or zero), invalid events, hand-built
 *               packets, a link direction up/down, a peer tick
 *   5 PEER_RX   delta: hand local the peer's last packet
 *   6 PEER_TICK k: jump to the peer's next deadline and tick it
 *   7 RUN       n: n rounds without delay: time jumps to the earlier
 *               deadline of the two and each packet crosses at once if its
 *               direction is up
 *
 * Every local packet goes to the peer while the link is up. A delta byte is
 * (b & 63) units of 1 us, 100 us, 10 ms or 1 s (b >> 6). Time may start just
 * below 2^64 to cross the wrap.
 *
 * After every step of either session, invariants from hb_fsm.h and RFC 5880
 * are checked against a model the harness keeps, and any break aborts:
 * - out describes the step (old/new state, flags, counters, deadline);
 * - the next deadline is in the future;
 * - detection never fires before last accepted RX + detection time, and an
 *   Init/Up session always has a deadline no later than that;
 * - a worker fences exactly when it leaves Up, so once per Up period; a
 *   master never fences;
 * - a master's WORKER_DEAD fires exactly when the last Up exit's deadline
 *   (max(exit, last alive packet + T2 + d_max + g)) is reached, never before,
 *   and at most once per exit;
 * - state changes only by the RFC's causes; transmitted packets carry the
 *   session's state, timers (slow rate while not Up, RFC 5880 §6.8.3),
 *   discriminators, never P and F together, a Final exactly in answer to
 *   a Poll, nothing while disconnected, and are valid on the wire.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_wire.h"
#include "hb_fsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOCAL_DISC 0x1111u
#define PEER_DISC  0x2222u
#define HDR_LEN	   8

/* clang-format off */
static const uint32_t intervals_us[16] = {
	1, 10, 100, 1000, 3300, 10000, 20000, 50000,
	100000, 250000, 300000, 1000000, 2000000, 65535, 16777215, 0xffffffffu,
};
static const tt_ns_t delays_ns[16] = {
	0, 1, 1000, 10000, 50000, 100000, 500000, 1000000,
	2000000, 5000000, 10000000, 50000000, 100000000, 1000000000, 5000000000, 60000000000,
};
static const uint32_t slow_us[4] = {0, 1000, 100000, 2000000};
static const tt_ns_t delta_unit_ns[4] = {1000, 100000, 10000000, 1000000000};
/* clang-format on */

/* What the harness knows about one session, to judge its steps. */
struct model {
	const char *who;
	struct tt_hb_session s;
	struct tt_hb_config cfg; /* as given to tt_hb_init (timers updated by SET_TIMERS) */
	uint32_t slow_tx_us;	 /* effective slow rate */
	bool have_rx;
	tt_ns_t last_ok_rx_ns;	/* last accepted RX outside AdminDown */
	tt_ns_t detect_prev_ns; /* detection time after the previous step */
	bool alive_any;
	tt_ns_t alive_until_ns; /* master: max of alive tx + T2 + d_max + g */
	bool dead_pending;
	tt_ns_t dead_req_ns;
	uint64_t seq; /* auth sequence number for serialised packets */
};

/* A step as the harness made it: what to expect. */
struct step {
	enum tt_hb_event_type type; /* TT_HB_EV_COUNT: invalid event */
	const struct tt_bfd_ctrl *pkt;
	int want_rc;
	/* RX: the verdict expected, or TT_BFD_RX_REJECT_MAX for any. */
	enum tt_bfd_rx_reject want_verdict;
};

struct world {
	struct model local, peer;
	tt_ns_t now;
	bool link_up;	   /* local -> peer */
	bool peer_link_up; /* peer -> local, for RUN */
	bool peer_pkt_valid;
	struct tt_bfd_ctrl peer_pkt;
};

/* The step being judged, for the failure message. */
static struct {
	enum tt_hb_event_type type;
	tt_ns_t now;
	enum tt_hb_state old_state;
	const struct tt_hb_actions *out; /* NULL outside check_step() */
} cur;

static void broke(const struct model *m, const char *what)
{
	fprintf(stderr, "fuzz_hb_session: %s: invariant failed: %s\n", m->who, what);
	if (cur.out != NULL)
		fprintf(stderr,
			"  step: event %s at %llu ns, %s -> %s, flags 0x%x, n_tx %u, deadline "
			"%s%llu\n",
			tt_hb_event_name(cur.type), (unsigned long long)cur.now,
			tt_hb_state_name(cur.old_state), tt_hb_state_name(cur.out->new_state),
			cur.out->flags, cur.out->n_tx, cur.out->has_deadline ? "" : "(none) ",
			(unsigned long long)cur.out->next_deadline_ns);
	abort();
}

static tt_ns_t time_max(tt_ns_t a, tt_ns_t b)
{
	return tt_time_after(a, b) ? a : b;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Give a packet of an authenticated session the section the auth module would add. */
static void add_auth(struct model *m, struct tt_bfd_ctrl *p)
{
	memset(&p->auth, 0, sizeof(p->auth));
	if (!p->auth_present)
		return;
	p->auth.type = TT_BFD_AUTH_KEYED_SHA1;
	p->auth.len = 28;
	p->auth.key_id = 1;
	p->auth.seq = (uint32_t)++m->seq;
}

/* Serialise and parse: what the peer's NIC would hand over. */
static bool wire(struct model *from, const struct tt_bfd_ctrl *in, struct tt_bfd_ctrl *out)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	struct tt_bfd_ctrl p = *in;
	size_t n;

	add_auth(from, &p);
	n = tt_bfd_build(&p, buf, sizeof(buf));
	if (n == 0)
		return false;
	return tt_bfd_parse(buf, n, out) == TT_BFD_RX_OK;
}

static void check_tx(struct model *m, const struct step *st, bool rx_ok,
		     const struct tt_hb_actions *out)
{
	const struct tt_bfd_ctrl *p = &out->tx[0];
	const struct tt_hb_timers *t = &m->cfg.timers;
	struct tt_bfd_ctrl parsed;
	uint32_t want_desired;

	if (tt_hb_is_disconnected(&m->s))
		broke(m, "transmitted while disconnected");
	if (p->version != TT_BFD_VERSION || p->state != out->new_state || p->diag != out->diag ||
	    p->my_disc != m->cfg.local_disc || p->your_disc != tt_hb_remote_disc(&m->s) ||
	    p->multipoint || p->demand || p->required_min_echo_rx_us != 0 ||
	    p->auth_present != m->cfg.auth)
		broke(m, "packet header fields do not match the session");
	if (p->poll && p->final)
		broke(m, "packet with both Poll and Final (RFC 5880 §6.8.7)");
	if (p->final != (rx_ok && st->pkt->poll))
		broke(m, "Final not exactly in answer to a received Poll (§6.8.6)");
	if (p->poll != tt_hb_poll_active(&m->s) && !p->final)
		broke(m, "Poll bit differs from the Poll Sequence state (§6.5)");
	/* §6.8.3: the slow rate while not Up, the configured rate once Up. */
	want_desired = out->new_state == TT_HB_S_UP ? t->desired_min_tx_us
						    : max_u32(t->desired_min_tx_us, m->slow_tx_us);
	if (p->desired_min_tx_us != want_desired ||
	    p->required_min_rx_us != t->required_min_rx_us || p->detect_mult != t->detect_mult)
		broke(m, "advertised timers differ from the configuration (§6.8.3)");
	if (!wire(m, p, &parsed))
		broke(m, "transmitted packet is not valid on the wire");
}

/*
 * Judge one step of m's session, made with st at now, that returned rc and
 * out; old_state and before are the state and counters before it.
 */
static void check_step(struct model *m, const struct step *st, tt_ns_t now, int rc,
		       enum tt_hb_state old_state, const struct tt_hb_counters *before,
		       const struct tt_hb_actions *out)
{
	const struct tt_hb_counters *c = tt_hb_counters(&m->s);
	bool worker = m->cfg.role == TT_HB_ROLE_WORKER;
	bool rx_acc = st->type == TT_HB_EV_RX && rc == 0 && out->rx_verdict == TT_BFD_RX_OK;
	/* Accepted and not then discarded by AdminDown (RFC 5880 §6.8.6). */
	bool rx_ok = rx_acc && old_state != TT_HB_S_ADMIN_DOWN;
	bool expired = out->flags & TT_HB_A_DETECT_EXPIRED;
	bool left_up = old_state == TT_HB_S_UP && (out->new_state != TT_HB_S_UP || expired);
	uint64_t changes = c->state_changes - before->state_changes;
	tt_ns_t d, detect_ns;
	bool has;

	cur.type = st->type;
	cur.now = now;
	cur.old_state = old_state;
	cur.out = out;
	if (rc != st->want_rc)
		broke(m, "step returned an unexpected code");
	if (out->old_state != old_state || out->new_state != tt_hb_state(&m->s) ||
	    (unsigned int)out->new_state >= TT_HB_S_COUNT || out->diag != tt_hb_diag(&m->s))
		broke(m, "out does not describe the step's states");
	if (changes > 2 || (changes != 0) != !!(out->flags & TT_HB_A_STATE_CHANGE) ||
	    (old_state != out->new_state && changes == 0))
		broke(m, "STATE_CHANGE flag or counter");
	if (out->n_tx > TT_HB_TX_MAX || (out->n_tx == 1) != !!(out->flags & TT_HB_A_TX) ||
	    c->tx_packets - before->tx_packets != out->n_tx)
		broke(m, "TX flag, count or counter");
	if (c->rx_packets - before->rx_packets != (st->type == TT_HB_EV_RX && rc == 0))
		broke(m, "rx_packets counter");
	if (c->detect_expiries - before->detect_expiries != expired)
		broke(m, "detect_expiries counter");
	if (st->type != TT_HB_EV_RX && out->rx_verdict != TT_BFD_RX_OK)
		broke(m, "rx verdict outside RX");
	if (st->type == TT_HB_EV_RX && st->want_verdict != TT_BFD_RX_REJECT_MAX &&
	    out->rx_verdict != st->want_verdict)
		broke(m, "hand-built packet not refused for its broken rule");
	/* A refused packet changes nothing (the step's own expiry aside). */
	if (st->type == TT_HB_EV_RX && out->rx_verdict != TT_BFD_RX_OK &&
	    out->new_state != (expired ? TT_HB_S_DOWN : old_state))
		broke(m, "refused packet changed the state");
	if (st->type == TT_HB_EV_RX && rc == 0 &&
	    c->rx.by_reason[out->rx_verdict] != before->rx.by_reason[out->rx_verdict] + 1)
		broke(m, "rx verdict not counted");
	/* §6.8.6 ends the Poll Sequence before the AdminDown discard. */
	if ((out->flags & TT_HB_A_POLL_DONE) && !(rx_acc && st->pkt->final))
		broke(m, "Poll Sequence ended without a Final");

	/* Detection (RFC 5880 §6.8.4): never early, only from Init or Up. */
	if (expired) {
		if (old_state != TT_HB_S_INIT && old_state != TT_HB_S_UP)
			broke(m, "detection expired outside Init/Up");
		/*
		 * At the start of the step with the previous detection time, or,
		 * after SET_TIMERS lowered RequiredMinRx outside Up (§6.8.3 takes
		 * it at once), within the step with the new one.
		 */
		tt_ns_t limit_ns = m->detect_prev_ns;

		if (st->type == TT_HB_EV_SET_TIMERS && tt_hb_detect_time_ns(&m->s) < limit_ns)
			limit_ns = tt_hb_detect_time_ns(&m->s);
		if (!m->have_rx || limit_ns == 0 ||
		    !tt_time_reached(now, m->last_ok_rx_ns + limit_ns))
			broke(m, "detection fired before its deadline");
		if (out->diag != TT_BFD_DIAG_CTRL_EXPIRED && out->new_state == TT_HB_S_DOWN)
			broke(m, "detection expiry without diag 1");
	}

	/* Causes of state changes (§6.8.6, §6.8.16). */
	if (out->new_state == TT_HB_S_ADMIN_DOWN && old_state != TT_HB_S_ADMIN_DOWN &&
	    st->type != TT_HB_EV_ADMIN_DOWN)
		broke(m, "entered AdminDown without ADMIN_DOWN");
	if (old_state == TT_HB_S_ADMIN_DOWN && out->new_state != TT_HB_S_ADMIN_DOWN &&
	    (st->type != TT_HB_EV_ADMIN_UP || out->new_state != TT_HB_S_DOWN))
		broke(m, "left AdminDown other than to Down by ADMIN_UP");
	if (out->new_state == TT_HB_S_UP && (old_state != TT_HB_S_UP || expired) &&
	    !(rx_ok && (st->pkt->state == TT_BFD_STATE_INIT || st->pkt->state == TT_BFD_STATE_UP)))
		broke(m, "entered Up without a received Init/Up");
	if (out->new_state == TT_HB_S_INIT && old_state != TT_HB_S_INIT &&
	    !(rx_ok && st->pkt->state == TT_BFD_STATE_DOWN))
		broke(m, "entered Init without a received Down");

	/* tether: a worker fences exactly when it leaves Up; a master never. */
	if (!!(out->flags & TT_HB_A_FENCE) != (worker && left_up))
		broke(m, worker ? "FENCE not exactly once per Up exit" : "master fenced");
	if (worker && (out->flags & TT_HB_A_WORKER_DEAD))
		broke(m, "worker declared a worker dead");

	/* tether master: WORKER_DEAD at max(exit, alive packets + T2 + d_max + g). */
	if (!worker) {
		if (left_up) {
			tt_ns_t req = m->alive_any ? time_max(now, m->alive_until_ns) : now;

			m->dead_req_ns = m->dead_pending ? time_max(m->dead_req_ns, req) : req;
			m->dead_pending = true;
		}
		if (out->flags & TT_HB_A_WORKER_DEAD) {
			if (!m->dead_pending || !tt_time_reached(now, m->dead_req_ns))
				broke(m, "WORKER_DEAD before its deadline or without an Up exit");
			m->dead_pending = false;
		} else if (m->dead_pending && tt_time_reached(now, m->dead_req_ns)) {
			broke(m, "WORKER_DEAD deadline reached but not fired");
		}
	}

	if (out->n_tx == 1) {
		check_tx(m, st, rx_ok, out);
		if (!worker && (out->tx[0].state == TT_BFD_STATE_INIT ||
				out->tx[0].state == TT_BFD_STATE_UP)) {
			tt_ns_t until =
				now + tt_hb_t2_ns(&m->s) + m->cfg.d_max_ns + m->cfg.granularity_ns;

			m->alive_until_ns =
				m->alive_any ? time_max(m->alive_until_ns, until) : until;
			m->alive_any = true;
		}
	} else if (rx_ok && st->pkt->poll) {
		broke(m, "a received Poll was not answered");
	}

	/* The model's RX clock: §6.8.6 counts a packet unless AdminDown discards it. */
	if (rx_ok) {
		m->have_rx = true;
		m->last_ok_rx_ns = now;
	}
	detect_ns = tt_hb_detect_time_ns(&m->s);
	m->detect_prev_ns = detect_ns;

	/* The deadline: reported as the accessor says, in the future, bounding the timers. */
	has = tt_hb_next_deadline(&m->s, &d);
	if (has != out->has_deadline || (has && d != out->next_deadline_ns))
		broke(m, "out's deadline differs from tt_hb_next_deadline()");
	if (has && !tt_time_after(d, now))
		broke(m, "next deadline not in the future after a step");
	if (out->new_state == TT_HB_S_INIT || out->new_state == TT_HB_S_UP) {
		if (!m->have_rx || detect_ns == 0 || !has ||
		    tt_time_after(d, m->last_ok_rx_ns + detect_ns))
			broke(m, "Init/Up without a detection deadline");
	}
	if (!worker && m->dead_pending && (!has || tt_time_after(d, m->dead_req_ns)))
		broke(m, "pending WORKER_DEAD not covered by the deadline");
	cur.out = NULL;
}

/* Step one session and judge it; local's packets go to the peer if the link is up. */
static void step(struct world *w, struct model *m, const struct step *st,
		 const struct tt_hb_event *ev);

static void deliver(struct world *w, struct model *to, const struct tt_bfd_ctrl *pkt)
{
	struct tt_hb_event ev = {.type = TT_HB_EV_RX, .pkt = pkt};
	struct step st = {.type = TT_HB_EV_RX,
			  .pkt = pkt,
			  .want_rc = 0,
			  .want_verdict = TT_BFD_RX_REJECT_MAX};

	step(w, to, &st, &ev);
}

static void step(struct world *w, struct model *m, const struct step *st,
		 const struct tt_hb_event *ev)
{
	struct tt_hb_counters before = *tt_hb_counters(&m->s);
	enum tt_hb_state old_state = tt_hb_state(&m->s);
	struct tt_hb_actions out;
	struct tt_bfd_ctrl parsed;
	int rc;

	/* The wrappers are the same step; use them where they apply. */
	if (ev != NULL && ev->type == TT_HB_EV_RX && ev->pkt != NULL)
		rc = tt_hb_rx(&m->s, ev->pkt, w->now, &out);
	else if (ev != NULL && ev->type == TT_HB_EV_TIMER)
		rc = tt_hb_tick(&m->s, w->now, &out);
	else
		rc = tt_hb_step(&m->s, ev, w->now, &out);
	check_step(m, st, w->now, rc, old_state, &before, &out);
	if (out.n_tx == 0)
		return;
	if (m == &w->peer) {
		if (wire(m, &out.tx[0], &w->peer_pkt))
			w->peer_pkt_valid = true;
	} else if (w->link_up && wire(m, &out.tx[0], &parsed)) {
		deliver(w, &w->peer, &parsed);
	}
}

static void tick(struct world *w, struct model *m)
{
	struct tt_hb_event ev = {.type = TT_HB_EV_TIMER};
	struct step st = {.type = TT_HB_EV_TIMER, .want_rc = 0};

	step(w, m, &st, &ev);
}

/* Move time to m's next deadline, shifted by -1, 0 or +1 ns; never back. */
static void to_deadline(struct world *w, const struct model *m, unsigned int k)
{
	tt_ns_t d;

	if (!tt_hb_next_deadline(&m->s, &d)) {
		w->now += TT_NS_PER_S;
		return;
	}
	d = d - 1 + k % 3;
	if (tt_time_after(d, w->now))
		w->now = d;
}

/* Byte reader over the records. */
struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t rd(struct reader *r)
{
	if (r->left == 0)
		return 0;
	r->left--;
	return *r->p++;
}

static void advance(struct world *w, uint8_t b)
{
	w->now += (tt_ns_t)(b & 63) * delta_unit_ns[b >> 6];
}

/* FORGED: a packet that passes tt_bfd_parse, from 4 bytes of fields. */
static void forged(struct world *w, struct reader *r)
{
	struct tt_bfd_ctrl p, parsed;
	uint8_t a = rd(r), b = rd(r), c = rd(r), e = rd(r);
	static const uint32_t your[4] = {LOCAL_DISC, 0, 0x3333u, LOCAL_DISC};

	memset(&p, 0, sizeof(p));
	p.version = TT_BFD_VERSION;
	p.state = a & 3;
	p.poll = a & 4;
	p.final = (a & 8) && !p.poll; /* §6.5: never both (tt_bfd_parse refuses it) */
	p.your_disc = your[(a >> 4) & 3];
	p.auth_present = (a & 0x40) ? !w->local.cfg.auth : w->local.cfg.auth;
	p.diag = (a & 0x80) ? TT_BFD_DIAG_CTRL_EXPIRED : TT_BFD_DIAG_NONE;
	p.desired_min_tx_us = intervals_us[b & 15];
	p.required_min_rx_us = intervals_us[b >> 4];
	p.detect_mult = (uint8_t)(1 + c % 5);
	p.my_disc = (c & 0x80) ? 0x4444u : PEER_DISC;
	p.cpi = e & 1;
	if (!wire(&w->peer, &p, &parsed))
		broke(&w->local, "forged packet does not survive the wire (harness)");
	deliver(w, &w->local, &parsed);
}

/*
 * A hand-built packet that breaks one stateless rule: tt_bfd_parse would
 * refuse it, and the session must too, with the same reason, changing nothing.
 */
static void hand_built(struct world *w, uint8_t k)
{
	struct tt_hb_event ev = {.type = TT_HB_EV_RX};
	struct step st = {.type = TT_HB_EV_RX, .want_rc = 0};
	struct tt_bfd_ctrl p;
	enum tt_bfd_rx_reject want;

	memset(&p, 0, sizeof(p));
	p.version = TT_BFD_VERSION;
	p.state = TT_BFD_STATE_DOWN;
	p.detect_mult = 3;
	p.my_disc = PEER_DISC;
	p.desired_min_tx_us = p.required_min_rx_us = 1000;
	p.auth_present = w->local.cfg.auth;
	switch (k % 5) {
	case 0:
		p.version = 0;
		want = TT_BFD_RX_VERSION;
		break;
	case 1:
		p.detect_mult = 0;
		want = TT_BFD_RX_DETECT_MULT_ZERO;
		break;
	case 2:
		p.multipoint = true;
		want = TT_BFD_RX_MULTIPOINT;
		break;
	case 3:
		p.my_disc = 0;
		want = TT_BFD_RX_MY_DISC_ZERO;
		break;
	default:
		p.poll = p.final = true;
		want = TT_BFD_RX_POLL_AND_FINAL;
		break;
	}
	if (tt_hb_is_disconnected(&w->local.s))
		want = TT_BFD_RX_DISCONNECTED;
	ev.pkt = &p;
	st.pkt = &p;
	st.want_verdict = want;
	step(w, &w->local, &st, &ev);
}

static void control(struct world *w, struct reader *r)
{
	struct model *m = &w->local;
	struct tt_hb_event ev;
	struct step st = {.want_rc = 0};
	struct tt_bfd_ctrl bad;
	uint8_t k = rd(r), x, y;

	memset(&ev, 0, sizeof(ev));
	switch (k % 11) {
	case 0:
		ev.type = TT_HB_EV_ADMIN_UP;
		break;
	case 1:
		ev.type = TT_HB_EV_ADMIN_DOWN;
		break;
	case 2:
		ev.type = TT_HB_EV_DISCONNECT;
		break;
	case 3:
		ev.type = TT_HB_EV_RECONNECT;
		break;
	case 4:
	case 5:
		x = rd(r);
		y = rd(r);
		ev.type = TT_HB_EV_SET_TIMERS;
		/* Index 0 of each nibble stands for 0: refused with -EINVAL. */
		ev.timers.desired_min_tx_us = (x & 15) ? intervals_us[x & 15] : 0;
		ev.timers.required_min_rx_us = (x >> 4) ? intervals_us[x >> 4] : 0;
		ev.timers.detect_mult = (uint8_t)(y % 6);
		if (ev.timers.desired_min_tx_us == 0 || ev.timers.required_min_rx_us == 0 ||
		    ev.timers.detect_mult == 0)
			st.want_rc = -EINVAL;
		else
			m->cfg.timers = ev.timers;
		break;
	case 6:
		/* Invalid events: the rest of the step still happens. */
		st.want_rc = -EINVAL;
		switch (rd(r) % 3) {
		case 0:
			ev.type = TT_HB_EV_COUNT;
			break;
		case 1:
			ev.type = TT_HB_EV_RX;
			ev.pkt = NULL;
			break;
		default:
			memset(&bad, 0, sizeof(bad));
			bad.state = 4;
			ev.type = TT_HB_EV_RX;
			ev.pkt = &bad;
			break;
		}
		st.type = TT_HB_EV_COUNT;
		step(w, m, &st, &ev);
		return;
	case 8:
		hand_built(w, rd(r));
		return;
	case 7:
		/* One-way loss: bit 7 picks the direction. */
		if (k & 0x80)
			w->peer_link_up = !w->peer_link_up;
		else
			w->link_up = !w->link_up;
		return;
	default:
		tick(w, &w->peer);
		return;
	}
	st.type = ev.type;
	step(w, m, &st, &ev);
}

static void run_rounds(struct world *w, unsigned int n)
{
	tt_ns_t dl, dp;
	bool hl, hp;

	while (n--) {
		hl = tt_hb_next_deadline(&w->local.s, &dl);
		hp = tt_hb_next_deadline(&w->peer.s, &dp);
		if (!hl && !hp)
			return;
		if (hl && (!hp || !tt_time_after(dl, dp))) {
			if (tt_time_after(dl, w->now))
				w->now = dl;
			tick(w, &w->local);
		} else {
			if (tt_time_after(dp, w->now))
				w->now = dp;
			tick(w, &w->peer);
		}
		if (w->peer_pkt_valid) {
			w->peer_pkt_valid = false;
			if (w->peer_link_up)
				deliver(w, &w->local, &w->peer_pkt);
		}
	}
}

static void raw(struct world *w, struct reader *r)
{
	struct tt_hb_counters before;
	struct tt_bfd_ctrl p;
	enum tt_bfd_rx_reject rej;
	size_t len;

	advance(w, rd(r));
	len = rd(r) % (TT_BFD_MAX_LEN + 8);
	if (len > r->left)
		len = r->left;
	rej = tt_bfd_parse(r->p, len, &p);
	r->p += len;
	r->left -= len;
	if (rej == TT_BFD_RX_OK) {
		deliver(w, &w->local, &p);
		return;
	}
	/* The caller counts a parse reject in the session. */
	before = *tt_hb_counters(&w->local.s);
	tt_hb_count_reject(&w->local.s, rej);
	if (tt_hb_counters(&w->local.s)->rx.by_reason[rej] != before.rx.by_reason[rej] + 1)
		broke(&w->local, "tt_hb_count_reject did not count");
}

static bool init_model(struct model *m, const char *who, enum tt_hb_role role, uint32_t disc,
		       uint8_t a, uint8_t b, uint8_t c, uint16_t seed, bool auth, tt_ns_t now)
{
	memset(m, 0, sizeof(*m));
	m->who = who;
	m->cfg.role = role;
	m->cfg.local_disc = disc;
	m->cfg.auth = auth;
	m->cfg.start_admin_down = a & 4;
	m->cfg.timers.detect_mult = (uint8_t)(1 + ((a >> 4) & 3));
	m->cfg.slow_tx_us = slow_us[a >> 6];
	m->cfg.allow_fast_slow_rate = true;
	m->cfg.timers.desired_min_tx_us = intervals_us[b & 15];
	m->cfg.timers.required_min_rx_us = intervals_us[b >> 4];
	m->cfg.d_max_ns = delays_ns[c & 15];
	m->cfg.granularity_ns = delays_ns[c >> 4];
	m->cfg.seed = seed;
	m->slow_tx_us = m->cfg.slow_tx_us ? m->cfg.slow_tx_us : 1000000u;
	return tt_hb_init(&m->s, &m->cfg, now) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	struct reader r = {data + HDR_LEN, size - HDR_LEN};
	struct tt_hb_config bad;
	enum tt_hb_role role;
	bool auth;

	if (size < HDR_LEN)
		return 0;
	memset(&w, 0, sizeof(w));
	/* Start far from 0, or 5 s before the 64-bit wrap. */
	w.now = (data[0] & 8) ? (tt_ns_t)0 - 5 * TT_NS_PER_S + data[7] : TT_NS_PER_MS + data[7];
	w.link_up = w.peer_link_up = true;
	role = (data[0] & 1) ? TT_HB_ROLE_WORKER : TT_HB_ROLE_MASTER;
	auth = data[0] & 2;
	if (!init_model(&w.local, "local", role, LOCAL_DISC, data[0], data[1], data[2],
			(uint16_t)(data[3] | data[4] << 8), auth, w.now) ||
	    !init_model(&w.peer, "peer",
			role == TT_HB_ROLE_WORKER ? TT_HB_ROLE_MASTER : TT_HB_ROLE_WORKER,
			PEER_DISC, data[5] & ~4u, data[6], data[2], data[4], auth, w.now))
		broke(&w.local, "valid configuration refused");
	/* And an invalid one is refused. */
	bad = w.local.cfg;
	bad.local_disc = 0;
	if (tt_hb_init(&w.local.s, &bad, w.now) != -EINVAL)
		broke(&w.local, "configuration check");
	bad = w.local.cfg;
	bad.allow_fast_slow_rate = false;
	if (tt_hb_init(&w.local.s, &bad, w.now) != (w.local.slow_tx_us < 1000000u ? -EINVAL : 0) ||
	    tt_hb_init(&w.local.s, &w.local.cfg, w.now) != 0)
		broke(&w.local, "configuration check");

	while (r.left > 0) {
		uint8_t op = rd(&r);

		switch (op & 7) {
		case 0:
			advance(&w, rd(&r));
			tick(&w, &w.local);
			break;
		case 1:
			to_deadline(&w, &w.local, rd(&r));
			tick(&w, &w.local);
			break;
		case 2:
			raw(&w, &r);
			break;
		case 3:
			advance(&w, rd(&r));
			forged(&w, &r);
			break;
		case 4:
			control(&w, &r);
			break;
		case 5:
			advance(&w, rd(&r));
			if (w.peer_pkt_valid)
				deliver(&w, &w.local, &w.peer_pkt);
			break;
		case 6:
			to_deadline(&w, &w.peer, rd(&r));
			tick(&w, &w.peer);
			break;
		default:
			run_rounds(&w, 1 + (op >> 3));
			break;
		}
	}
	return 0;
}
