/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The heartbeat session (engine/hb_fsm.c) on virtual time: every state x
 * event cell of the RFC 5880 state machine, for both roles, then the timer
 * rules (slow rate, jitter, detection time, Poll/Final), the reception
 * rejects, and tether's policy (FENCE, WORKER_DEAD, disconnect, step order).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hb_fsm.h"

#define LOCAL_DISC 0x11111111u
#define PEER_DISC  0x22222222u
#define MS	   TT_NS_PER_MS
#define US	   TT_NS_PER_US
#define T0	   (10 * TT_NS_PER_S)
#define FAST_US	   10000u /* 10 ms */
#define D_MAX_NS   (100 * US)
#define GRAN_NS	   (10 * US)

static struct tt_hb_config config(enum tt_hb_role role)
{
	struct tt_hb_config c;

	memset(&c, 0, sizeof(c));
	c.role = role;
	c.local_disc = LOCAL_DISC;
	c.timers.desired_min_tx_us = FAST_US;
	c.timers.required_min_rx_us = FAST_US;
	c.timers.detect_mult = 3;
	c.d_max_ns = D_MAX_NS;
	c.granularity_ns = GRAN_NS;
	c.seed = 42;
	return c;
}

/* A packet from the peer: 10 ms both ways, the given Detect Mult. */
static struct tt_bfd_ctrl peer(uint8_t state, uint32_t your, uint8_t mult)
{
	struct tt_bfd_ctrl p;

	memset(&p, 0, sizeof(p));
	p.version = TT_BFD_VERSION;
	p.state = state;
	p.detect_mult = mult;
	p.my_disc = PEER_DISC;
	p.your_disc = your;
	p.desired_min_tx_us = FAST_US;
	p.required_min_rx_us = FAST_US;
	return p;
}

static void rx(struct tt_hb_session *s, struct tt_bfd_ctrl p, tt_ns_t now, struct tt_hb_actions *o)
{
	assert_int_equal(tt_hb_rx(s, &p, now, o), 0);
}

static void ev(struct tt_hb_session *s, enum tt_hb_event_type type, tt_ns_t now,
	       struct tt_hb_actions *o)
{
	struct tt_hb_event e = {.type = type};

	assert_int_equal(tt_hb_step(s, &e, now, o), 0);
}

/* Down -> Init -> Up at `now` with the peer's Detect Mult. */
static void bring_up(struct tt_hb_session *s, tt_ns_t now, uint8_t mult)
{
	struct tt_hb_actions o;

	rx(s, peer(TT_BFD_STATE_DOWN, 0, mult), now, &o);
	assert_int_equal(tt_hb_state(s), TT_HB_S_INIT);
	rx(s, peer(TT_BFD_STATE_UP, LOCAL_DISC, mult), now, &o);
	assert_int_equal(tt_hb_state(s), TT_HB_S_UP);
}

/* ------------------------------------------------------------------------ */
/* The state x event table                                                   */

enum col {
	C_RX_ADMIN_DOWN,
	C_RX_DOWN,
	C_RX_INIT,
	C_RX_UP,
	C_RX_ADMIN_DOWN_P,
	C_RX_DOWN_P,
	C_RX_INIT_P,
	C_RX_UP_P,
	C_TIMER_EXPIRE,
	C_TIMER_TX,
	C_ADMIN_UP,
	C_ADMIN_DOWN,
	C_DISCONNECT,
	C_RECONNECT,
	C_SET_TIMERS,
	C_COUNT
};

static const char *const col_names[C_COUNT] = {
	"rx AdminDown", "rx Down",    "rx Init",    "rx Up",	    "rx AdminDown+P",
	"rx Down+P",	"rx Init+P",  "rx Up+P",    "timer expiry", "timer tx",
	"admin-up",	"admin-down", "disconnect", "reconnect",    "set-timers",
};

struct cell {
	uint8_t next;	/* state after the step */
	uint8_t diag;	/* bfd.LocalDiag after the step */
	bool tx;	/* a packet goes out (its State/Diag = next/diag) */
	bool p, f;	/* its Poll and Final bits */
	bool your_zero; /* its Your Discriminator is 0 (RemoteDiscr cleared) */
};

/* One line per cell reads best. */
/* clang-format off */
#define NOTX(st, dg) {TT_HB_S_##st, TT_BFD_DIAG_##dg, false, false, false, false}
#define TX(st, dg, p, f, yz) {TT_HB_S_##st, TT_BFD_DIAG_##dg, true, p, f, yz}

/*
 * Rows by state. Every row starts from the same history at T0: the first
 * packet sent, the peer's AdminDown received (RemoteDiscr learned, detection
 * armed for 200 x 10 ms = 2 s); then AdminDown: admin-down; Init: the peer's
 * Down; Up: the peer's Down, then Up (a Poll runs from the Up transition,
 * §6.8.3). Cells run at T0 + 1 ms, timer cells at their deadline.
 */
static const struct cell table[TT_HB_S_COUNT][C_COUNT] = {
	[TT_HB_S_ADMIN_DOWN] = {
		/* §6.8.6: AdminDown discards every packet, even a Poll. */
		[C_RX_ADMIN_DOWN] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RX_DOWN] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RX_INIT] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RX_UP] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RX_ADMIN_DOWN_P] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RX_DOWN_P] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RX_INIT_P] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RX_UP_P] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		/* no detection in AdminDown; the periodic packet is due */
		[C_TIMER_EXPIRE] = TX(ADMIN_DOWN, ADMIN_DOWN, false, false, false),
		[C_TIMER_TX] = TX(ADMIN_DOWN, ADMIN_DOWN, false, false, false),
		[C_ADMIN_UP] = TX(DOWN, NONE, false, false, false),
		[C_ADMIN_DOWN] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_DISCONNECT] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
		[C_RECONNECT] = TX(ADMIN_DOWN, ADMIN_DOWN, false, false, true),
		[C_SET_TIMERS] = NOTX(ADMIN_DOWN, ADMIN_DOWN),
	},
	[TT_HB_S_DOWN] = {
		[C_RX_ADMIN_DOWN] = NOTX(DOWN, NONE),
		[C_RX_DOWN] = TX(INIT, NONE, false, false, false),
		[C_RX_INIT] = TX(UP, NONE, true, false, false),
		[C_RX_UP] = NOTX(DOWN, NONE),
		[C_RX_ADMIN_DOWN_P] = TX(DOWN, NONE, false, true, false),
		[C_RX_DOWN_P] = TX(INIT, NONE, false, true, false),
		[C_RX_INIT_P] = TX(UP, NONE, false, true, false),
		[C_RX_UP_P] = TX(DOWN, NONE, false, true, false),
		/* §6.8.1: RemoteDiscr cleared; no state change in Down */
		[C_TIMER_EXPIRE] = TX(DOWN, NONE, false, false, true),
		[C_TIMER_TX] = TX(DOWN, NONE, false, false, false),
		[C_ADMIN_UP] = NOTX(DOWN, NONE),
		[C_ADMIN_DOWN] = TX(ADMIN_DOWN, ADMIN_DOWN, false, false, false),
		[C_DISCONNECT] = NOTX(DOWN, NONE),
		[C_RECONNECT] = TX(DOWN, NONE, false, false, true),
		[C_SET_TIMERS] = NOTX(DOWN, NONE),
	},
	[TT_HB_S_INIT] = {
		[C_RX_ADMIN_DOWN] = TX(DOWN, NEIGHBOR_DOWN, false, false, false),
		[C_RX_DOWN] = NOTX(INIT, NONE),
		[C_RX_INIT] = TX(UP, NONE, true, false, false),
		[C_RX_UP] = TX(UP, NONE, true, false, false),
		[C_RX_ADMIN_DOWN_P] = TX(DOWN, NEIGHBOR_DOWN, false, true, false),
		[C_RX_DOWN_P] = TX(INIT, NONE, false, true, false),
		[C_RX_INIT_P] = TX(UP, NONE, false, true, false),
		[C_RX_UP_P] = TX(UP, NONE, false, true, false),
		[C_TIMER_EXPIRE] = TX(DOWN, CTRL_EXPIRED, false, false, true),
		[C_TIMER_TX] = TX(INIT, NONE, false, false, false),
		[C_ADMIN_UP] = NOTX(INIT, NONE),
		[C_ADMIN_DOWN] = TX(ADMIN_DOWN, ADMIN_DOWN, false, false, false),
		[C_DISCONNECT] = NOTX(INIT, NONE),
		[C_RECONNECT] = TX(DOWN, PATH_DOWN, false, false, true),
		[C_SET_TIMERS] = NOTX(INIT, NONE),
	},
	[TT_HB_S_UP] = {
		/* leaving Up restores the slow rate: the running Poll goes on (P)
		*/
		[C_RX_ADMIN_DOWN] = TX(DOWN, NEIGHBOR_DOWN, true, false, false),
		[C_RX_DOWN] = TX(DOWN, NEIGHBOR_DOWN, true, false, false),
		[C_RX_INIT] = NOTX(UP, NONE),
		[C_RX_UP] = NOTX(UP, NONE),
		[C_RX_ADMIN_DOWN_P] = TX(DOWN, NEIGHBOR_DOWN, false, true, false),
		[C_RX_DOWN_P] = TX(DOWN, NEIGHBOR_DOWN, false, true, false),
		[C_RX_INIT_P] = TX(UP, NONE, false, true, false),
		[C_RX_UP_P] = TX(UP, NONE, false, true, false),
		[C_TIMER_EXPIRE] = TX(DOWN, CTRL_EXPIRED, true, false, true),
		[C_TIMER_TX] = TX(UP, NONE, true, false, false),
		[C_ADMIN_UP] = NOTX(UP, NONE),
		[C_ADMIN_DOWN] = TX(ADMIN_DOWN, ADMIN_DOWN, true, false, false),
		[C_DISCONNECT] = NOTX(UP, NONE),
		/* fresh start: the Poll is forgotten with the remote */
		[C_RECONNECT] = TX(DOWN, PATH_DOWN, false, false, true),
		[C_SET_TIMERS] = NOTX(UP, NONE),
	},
};
/* clang-format on */

#define TABLE_PEER_MULT 200

static void setup_row(struct tt_hb_session *s, enum tt_hb_role role, enum tt_hb_state row)
{
	struct tt_hb_config c = config(role);
	struct tt_hb_actions o;

	assert_int_equal(tt_hb_init(s, &c, T0), 0);
	assert_int_equal(tt_hb_tick(s, T0, &o), 0);
	assert_int_equal(o.n_tx, 1);
	rx(s, peer(TT_BFD_STATE_ADMIN_DOWN, LOCAL_DISC, TABLE_PEER_MULT), T0, &o);
	assert_int_equal(tt_hb_state(s), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_remote_disc(s), PEER_DISC);
	switch (row) {
	case TT_HB_S_ADMIN_DOWN:
		ev(s, TT_HB_EV_ADMIN_DOWN, T0, &o);
		break;
	case TT_HB_S_INIT:
		rx(s, peer(TT_BFD_STATE_DOWN, LOCAL_DISC, TABLE_PEER_MULT), T0, &o);
		break;
	case TT_HB_S_UP:
		rx(s, peer(TT_BFD_STATE_DOWN, LOCAL_DISC, TABLE_PEER_MULT), T0, &o);
		rx(s, peer(TT_BFD_STATE_UP, LOCAL_DISC, TABLE_PEER_MULT), T0, &o);
		assert_true(tt_hb_poll_active(s));
		break;
	default:
		break;
	}
	assert_int_equal(tt_hb_state(s), row);
}

static void run_cell(struct tt_hb_session *s, enum col c, struct tt_hb_actions *o)
{
	static const uint8_t rx_state[] = {TT_BFD_STATE_ADMIN_DOWN, TT_BFD_STATE_DOWN,
					   TT_BFD_STATE_INIT, TT_BFD_STATE_UP};
	struct tt_hb_event e;
	tt_ns_t now = T0 + 1 * MS;

	memset(&e, 0, sizeof(e));
	if (c <= C_RX_UP_P) {
		struct tt_bfd_ctrl p = peer(rx_state[c % 4], LOCAL_DISC, TABLE_PEER_MULT);

		p.poll = c >= C_RX_ADMIN_DOWN_P;
		rx(s, p, now, o);
		assert_int_equal(o->rx_verdict, TT_BFD_RX_OK);
		return;
	}
	switch (c) {
	case C_TIMER_EXPIRE:
		/* T0 + 2 s, or when nothing is armed (AdminDown) the same instant */
		assert_int_equal(tt_hb_tick(s, T0 + TABLE_PEER_MULT * FAST_US * US, o), 0);
		return;
	case C_TIMER_TX:
		assert_int_equal(tt_hb_tick(s, s->next_tx_ns, o), 0);
		assert_false(o->flags & TT_HB_A_DETECT_EXPIRED);
		return;
	case C_ADMIN_UP:
		e.type = TT_HB_EV_ADMIN_UP;
		break;
	case C_ADMIN_DOWN:
		e.type = TT_HB_EV_ADMIN_DOWN;
		break;
	case C_DISCONNECT:
		e.type = TT_HB_EV_DISCONNECT;
		break;
	case C_RECONNECT:
		ev(s, TT_HB_EV_DISCONNECT, now, o);
		assert_int_equal(o->n_tx, 0);
		e.type = TT_HB_EV_RECONNECT;
		break;
	case C_SET_TIMERS:
		e.type = TT_HB_EV_SET_TIMERS;
		e.timers.desired_min_tx_us = 2 * FAST_US;
		e.timers.required_min_rx_us = 2 * FAST_US;
		e.timers.detect_mult = 3;
		break;
	default:
		fail();
	}
	assert_int_equal(tt_hb_step(s, &e, now, o), 0);
}

static unsigned int check_table(enum tt_hb_role role)
{
	unsigned int cells = 0;

	for (unsigned int row = 0; row < TT_HB_S_COUNT; row++) {
		for (unsigned int c = 0; c < C_COUNT; c++) {
			const struct cell *want = &table[row][c];
			struct tt_hb_session s;
			struct tt_hb_actions o;
			bool left_up;

			setup_row(&s, role, row);
			run_cell(&s, c, &o);
			print_message("# %s: %s x %s -> %s (%s)%s\n", tt_hb_role_name(role),
				      tt_hb_state_name(row), col_names[c],
				      tt_hb_state_name(want->next), tt_bfd_diag_name(want->diag),
				      want->tx ? (want->f   ? " tx F"
						  : want->p ? " tx P"
							    : " tx")
					       : "");
			assert_int_equal(tt_hb_state(&s), want->next);
			assert_int_equal(tt_hb_diag(&s), want->diag);
			assert_int_equal(o.old_state, row);
			assert_int_equal(o.new_state, want->next);
			assert_int_equal(o.diag, want->diag);
			assert_int_equal(!!(o.flags & TT_HB_A_STATE_CHANGE), want->next != row);
			assert_int_equal(o.n_tx, want->tx ? 1 : 0);
			assert_int_equal(!!(o.flags & TT_HB_A_TX), want->tx);
			if (want->tx) {
				const struct tt_bfd_ctrl *p = &o.tx[0];

				assert_int_equal(p->version, TT_BFD_VERSION);
				assert_int_equal(p->state, want->next);
				assert_int_equal(p->diag, want->diag);
				assert_int_equal(p->poll, want->p);
				assert_int_equal(p->final, want->f);
				assert_int_equal(p->my_disc, LOCAL_DISC);
				assert_int_equal(p->your_disc, want->your_zero ? 0 : PEER_DISC);
				assert_false(p->multipoint);
				assert_false(p->demand);
				assert_int_equal(p->detect_mult, 3);
			}
			left_up = row == TT_HB_S_UP && want->next != TT_HB_S_UP;
			if (role == TT_HB_ROLE_WORKER) {
				assert_int_equal(!!(o.flags & TT_HB_A_FENCE), left_up);
				assert_false(o.flags & TT_HB_A_WORKER_DEAD);
			} else {
				assert_false(o.flags & TT_HB_A_FENCE);
				assert_int_equal((o.flags & TT_HB_A_WORKER_DEAD) || s.dead_pending,
						 left_up);
				/*
				 * The Init packet of T0 carried the slow rate (1 s):
				 * a worker Up from it times out 3 x 1 s later, so
				 * WORKER_DEAD waits until then, not only 2 s.
				 */
				if (left_up)
					assert_int_equal(s.dead_at_ns,
							 T0 + 3 * TT_NS_PER_S + D_MAX_NS + GRAN_NS);
			}
			assert_int_equal(!!(o.flags & TT_HB_A_DETECT_EXPIRED),
					 c == C_TIMER_EXPIRE &&
						 (row == TT_HB_S_INIT || row == TT_HB_S_UP));
			assert_int_equal(tt_hb_is_disconnected(&s), c == C_DISCONNECT);
			cells++;
		}
	}
	return cells;
}

static void test_state_event_table(void **state)
{
	unsigned int w, m;

	(void)state;
	w = check_table(TT_HB_ROLE_WORKER);
	m = check_table(TT_HB_ROLE_MASTER);
	assert_int_equal(w, TT_HB_S_COUNT * C_COUNT);
	assert_int_equal(m, TT_HB_S_COUNT * C_COUNT);
	print_message("# hb_fsm: %u states x %u events = %u cells, checked for 2 roles (%u)\n",
		      (unsigned int)TT_HB_S_COUNT, (unsigned int)C_COUNT, w, w + m);
}

/* ------------------------------------------------------------------------ */
/* Configuration and names                                                   */

static void test_init_validation(void **state)
{
	struct tt_hb_session s;
	struct tt_hb_config c;

	(void)state;
	c = config(TT_HB_ROLE_WORKER);
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_diag(&s), TT_BFD_DIAG_NONE);
	assert_int_equal(tt_hb_remote_disc(&s), 0);
	c.local_disc = 0;
	assert_int_equal(tt_hb_init(&s, &c, T0), -EINVAL);
	c = config(TT_HB_ROLE_WORKER);
	c.timers.detect_mult = 0;
	assert_int_equal(tt_hb_init(&s, &c, T0), -EINVAL);
	c = config(TT_HB_ROLE_WORKER);
	c.timers.desired_min_tx_us = 0;
	assert_int_equal(tt_hb_init(&s, &c, T0), -EINVAL);
	c = config(TT_HB_ROLE_WORKER);
	c.timers.required_min_rx_us = 0;
	assert_int_equal(tt_hb_init(&s, &c, T0), -EINVAL);
	c = config(TT_HB_ROLE_WORKER);
	c.role = TT_HB_ROLE_COUNT;
	assert_int_equal(tt_hb_init(&s, &c, T0), -EINVAL);
	/* RFC 5880 §6.8.3: slow rate below 1 s only with the test flag */
	c = config(TT_HB_ROLE_WORKER);
	c.slow_tx_us = 999999;
	assert_int_equal(tt_hb_init(&s, &c, T0), -EINVAL);
	c.allow_fast_slow_rate = true;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	c = config(TT_HB_ROLE_MASTER);
	c.start_admin_down = true;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_ADMIN_DOWN);
}

static void test_invalid_events(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	struct tt_hb_event e = {.type = TT_HB_EV_SET_TIMERS};
	struct tt_bfd_ctrl p = peer(TT_BFD_STATE_DOWN, 0, 3);

	(void)state;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	e.timers = (struct tt_hb_timers){
		.desired_min_tx_us = 0, .required_min_rx_us = 1, .detect_mult = 1};
	assert_int_equal(tt_hb_step(&s, &e, T0, &o), -EINVAL);
	/* the due first packet still goes out: the rest of the step happens */
	assert_int_equal(o.n_tx, 1);
	assert_false(tt_hb_poll_active(&s));
	e.timers = (struct tt_hb_timers){
		.desired_min_tx_us = 1, .required_min_rx_us = 1, .detect_mult = 0};
	assert_int_equal(tt_hb_step(&s, &e, T0, &o), -EINVAL);
	e.type = TT_HB_EV_COUNT;
	assert_int_equal(tt_hb_step(&s, &e, T0, &o), -EINVAL);
	e.type = TT_HB_EV_RX;
	e.pkt = NULL;
	assert_int_equal(tt_hb_step(&s, &e, T0, &o), -EINVAL);
	p.state = 4;
	assert_int_equal(tt_hb_rx(&s, &p, T0, &o), -EINVAL);
	assert_int_equal(tt_hb_step(&s, NULL, T0, &o), -EINVAL);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_counters(&s)->rx_packets, 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_hb_state_name(TT_HB_S_ADMIN_DOWN), "AdminDown");
	assert_string_equal(tt_hb_state_name(TT_HB_S_DOWN), "Down");
	assert_string_equal(tt_hb_state_name(TT_HB_S_INIT), "Init");
	assert_string_equal(tt_hb_state_name(TT_HB_S_UP), "Up");
	assert_string_equal(tt_hb_state_name(4), "?");
	assert_string_equal(tt_hb_event_name(TT_HB_EV_RX), "rx");
	assert_string_equal(tt_hb_event_name(TT_HB_EV_SET_TIMERS), "set-timers");
	assert_string_equal(tt_hb_event_name(TT_HB_EV_COUNT), "?");
	assert_string_equal(tt_hb_action_name(TT_HB_A_FENCE), "fence");
	assert_string_equal(tt_hb_action_name(TT_HB_A_WORKER_DEAD), "worker-dead");
	assert_string_equal(tt_hb_action_name(TT_HB_A_TX | TT_HB_A_FENCE), "?");
	assert_string_equal(tt_hb_role_name(TT_HB_ROLE_MASTER), "master");
	assert_string_equal(tt_hb_role_name(TT_HB_ROLE_WORKER), "worker");
	/* the FSM's states are the wire's (RFC 5880 §4.1 Sta) */
	assert_int_equal(TT_HB_S_UP, TT_BFD_STATE_UP);
	assert_int_equal(TT_HB_S_ADMIN_DOWN, TT_BFD_STATE_ADMIN_DOWN);
}

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */

/* RFC 5880 §6.8.3: DesiredMinTx >= 1 s while not Up, the configured rate once Up. */
static void test_slow_rate_before_up(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	tt_ns_t now = T0, last = 0;

	(void)state;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_true(tt_hb_next_deadline(&s, &now));
	assert_int_equal(now, T0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(tt_hb_tick(&s, now, &o), 0);
		assert_int_equal(o.n_tx, 1);
		assert_int_equal(o.tx[0].state, TT_BFD_STATE_DOWN);
		assert_int_equal(o.tx[0].desired_min_tx_us, 1000000);
		assert_int_equal(o.tx[0].required_min_rx_us, FAST_US);
		if (i > 0) {
			assert_true(now - last >= 750 * MS);
			assert_true(now - last <= 1000 * MS);
		}
		last = now;
		assert_true(o.has_deadline);
		now = o.next_deadline_ns;
	}
	assert_int_equal(tt_hb_tx_interval_ns(&s), TT_NS_PER_S);

	/* Up: the configured 10 ms, announced with a Poll (§6.8.3) */
	bring_up(&s, now, 3);
	assert_int_equal(s.desired_min_tx_us, FAST_US);
	assert_int_equal(tt_hb_tx_interval_ns(&s), 10 * MS);

	/* a configured rate slower than 1 s is kept before Up */
	c.timers.desired_min_tx_us = 2000000;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_int_equal(tt_hb_tick(&s, T0, &o), 0);
	assert_int_equal(o.tx[0].desired_min_tx_us, 2000000);

	/* a test-only fast slow rate */
	c = config(TT_HB_ROLE_WORKER);
	c.slow_tx_us = 100000;
	c.allow_fast_slow_rate = true;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_int_equal(tt_hb_tick(&s, T0, &o), 0);
	assert_int_equal(o.tx[0].desired_min_tx_us, 100000);
	assert_true(o.next_deadline_ns - T0 >= 75 * MS && o.next_deadline_ns - T0 <= 100 * MS);
}

/*
 * Drive an Up session for n periodic packets (the peer keeps it alive) and
 * return the min and max gap between them.
 */
static void measure_jitter(uint8_t mult, uint64_t seed, int n, tt_ns_t *min_gap, tt_ns_t *max_gap,
			   uint64_t *sum)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	struct tt_bfd_ctrl fin = peer(TT_BFD_STATE_UP, LOCAL_DISC, 3);
	tt_ns_t now = T0, last;

	c.timers.detect_mult = mult;
	c.seed = seed;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	bring_up(&s, T0, 3);
	fin.final = true;
	rx(&s, fin, T0, &o);
	assert_true(o.flags & TT_HB_A_POLL_DONE);
	last = T0;
	*min_gap = UINT64_MAX;
	*max_gap = 0;
	*sum = 0;
	for (int i = 0; i < n; i++) {
		now = s.next_tx_ns;
		assert_int_equal(tt_hb_tick(&s, now, &o), 0);
		assert_int_equal(o.n_tx, 1);
		assert_int_equal(o.tx[0].state, TT_BFD_STATE_UP);
		rx(&s, peer(TT_BFD_STATE_UP, LOCAL_DISC, 3), now, &o);
		assert_int_equal(o.n_tx, 0);
		if (now - last < *min_gap)
			*min_gap = now - last;
		if (now - last > *max_gap)
			*max_gap = now - last;
		*sum += now - last;
		last = now;
	}
}

/* RFC 5880 §6.8.7: 75-100% of the interval; 75-90% when Detect Mult is 1. */
static void test_jitter_bounds(void **state)
{
	tt_ns_t lo, hi, lo2, hi2;
	uint64_t sum, sum2;
	const int n = 20000;

	(void)state;
	measure_jitter(3, 42, n, &lo, &hi, &sum);
	assert_true(lo >= 7500 * US);
	assert_true(hi <= 10000 * US);
	assert_true(lo < 7550 * US); /* the whole band is used */
	assert_true(hi > 9950 * US);
	/* mean 87.5% of 10 ms, within 0.5% */
	assert_true(sum / n > 8700 * US && sum / n < 8800 * US);

	measure_jitter(1, 42, n, &lo, &hi, &sum);
	assert_true(lo >= 7500 * US);
	assert_true(hi <= 9000 * US);
	assert_true(lo < 7550 * US);
	assert_true(hi > 8950 * US);

	/* deterministic per seed, different across seeds */
	measure_jitter(3, 7, 100, &lo, &hi, &sum);
	measure_jitter(3, 7, 100, &lo2, &hi2, &sum2);
	assert_int_equal(sum, sum2);
	assert_int_equal(lo, lo2);
	measure_jitter(3, 8, 100, &lo2, &hi2, &sum2);
	assert_true(sum != sum2);
}

/*
 * RFC 5880 §6.8.4: Detection Time = remote Detect Mult x max(local
 * RequiredMinRx, remote DesiredMinTx); §6.8.2: tx interval = max(local
 * DesiredMinTx, remote RequiredMinRx). Expiry exactly at the deadline.
 */
static void test_detection_time(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	struct tt_bfd_ctrl p;
	tt_ns_t t;

	(void)state;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_int_equal(tt_hb_detect_time_ns(&s), 0);
	bring_up(&s, T0, 3);
	assert_int_equal(tt_hb_detect_time_ns(&s), 30 * MS);

	/* remote slower than our RequiredMinRx: its DesiredMinTx counts */
	p = peer(TT_BFD_STATE_UP, LOCAL_DISC, 4);
	p.desired_min_tx_us = 30000;
	p.required_min_rx_us = 25000;
	rx(&s, p, T0 + 1 * MS, &o);
	assert_int_equal(tt_hb_detect_time_ns(&s), 120 * MS);
	assert_int_equal(tt_hb_tx_interval_ns(&s), 25 * MS);
	assert_true(tt_hb_next_deadline(&s, &t));

	/* remote faster: our RequiredMinRx counts */
	p.desired_min_tx_us = 5000;
	p.required_min_rx_us = 1000;
	rx(&s, p, T0 + 2 * MS, &o);
	assert_int_equal(tt_hb_detect_time_ns(&s), 40 * MS);
	assert_int_equal(tt_hb_tx_interval_ns(&s), 10 * MS);
	assert_int_equal(s.detect_deadline_ns, T0 + 42 * MS);

	/* one ns before: still Up; at the deadline: Down, diag 1 */
	assert_int_equal(tt_hb_tick(&s, T0 + 42 * MS - 1, &o), 0);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_UP);
	assert_false(o.flags & TT_HB_A_DETECT_EXPIRED);
	assert_int_equal(tt_hb_tick(&s, T0 + 42 * MS, &o), 0);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	assert_int_equal(o.flags & (TT_HB_A_DETECT_EXPIRED | TT_HB_A_STATE_CHANGE | TT_HB_A_FENCE),
			 TT_HB_A_DETECT_EXPIRED | TT_HB_A_STATE_CHANGE | TT_HB_A_FENCE);
	assert_int_equal(o.diag, TT_BFD_DIAG_CTRL_EXPIRED);
	assert_int_equal(tt_hb_remote_disc(&s), 0);
	assert_int_equal(tt_hb_counters(&s)->detect_expiries, 1);
}

/*
 * RFC 5880 §6.8.3: outside Up a lower RequiredMinRx takes effect at once, and
 * §6.8.4 re-derives the detection deadline from the last reception. When that
 * deadline is already behind `now`, the SET_TIMERS step itself expires it (as
 * a step does with a deadline reached at its start): it never returns a
 * deadline in the past.
 */
static void test_set_timers_expires_at_once(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	struct tt_hb_event e = {.type = TT_HB_EV_SET_TIMERS};
	struct tt_bfd_ctrl down = peer(TT_BFD_STATE_DOWN, 0, 3);
	tt_ns_t now;

	(void)state;
	/* Init: 3 x max(100 ms local RequiredMinRx, 1 ms remote DesiredMinTx) = 300 ms. */
	c.timers.required_min_rx_us = 100000;
	down.desired_min_tx_us = 1000;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	rx(&s, down, T0, &o);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_INIT);
	assert_int_equal(tt_hb_detect_time_ns(&s), 300 * MS);

	/* 30 ms after the packet: 3 x 40 ms = 120 ms still lies ahead. */
	now = T0 + 30 * MS;
	e.timers = c.timers;
	e.timers.required_min_rx_us = 40000;
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_INIT);
	assert_false(o.flags & TT_HB_A_DETECT_EXPIRED);
	assert_true(o.has_deadline);
	assert_true(tt_time_after(o.next_deadline_ns, now));
	assert_true(o.next_deadline_ns <= T0 + 120 * MS);

	/* 50 ms after it: 3 x 10 ms = 30 ms lies behind: expired in this step. */
	now = T0 + 50 * MS;
	e.timers.required_min_rx_us = 10000;
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	assert_int_equal(o.old_state, TT_HB_S_INIT);
	assert_int_equal(o.new_state, TT_HB_S_DOWN);
	assert_int_equal(o.flags & (TT_HB_A_DETECT_EXPIRED | TT_HB_A_STATE_CHANGE | TT_HB_A_TX),
			 TT_HB_A_DETECT_EXPIRED | TT_HB_A_STATE_CHANGE | TT_HB_A_TX);
	assert_false(o.flags & TT_HB_A_FENCE); /* Init is not Up */
	assert_int_equal(o.diag, TT_BFD_DIAG_CTRL_EXPIRED);
	assert_int_equal(o.tx[0].state, TT_BFD_STATE_DOWN);
	assert_int_equal(o.tx[0].required_min_rx_us, 10000);
	assert_int_equal(tt_hb_remote_disc(&s), 0);
	assert_int_equal(tt_hb_counters(&s)->detect_expiries, 1);
	assert_true(o.has_deadline);
	assert_true(tt_time_after(o.next_deadline_ns, now));

	/* Down with detection armed (a received AdminDown keeps it Down): the
	 * expiry only forgets the remote (§6.8.1), still in the same step. */
	now = T0 + 100 * MS;
	e.timers.required_min_rx_us = 100000;
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	down.state = TT_BFD_STATE_ADMIN_DOWN;
	rx(&s, down, now, &o);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_remote_disc(&s), PEER_DISC);
	now += 20 * MS;
	e.timers.required_min_rx_us = 5000;
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	assert_false(o.flags & (TT_HB_A_DETECT_EXPIRED | TT_HB_A_STATE_CHANGE));
	assert_int_equal(tt_hb_remote_disc(&s), 0);
	assert_true(o.has_deadline);
	assert_true(tt_time_after(o.next_deadline_ns, now));
	assert_int_equal(tt_hb_counters(&s)->detect_expiries, 1);
}

/* Up with both Polls done: our Poll answered by the peer's Final. */
static void up_and_quiet(struct tt_hb_session *s, struct tt_hb_config *c, tt_ns_t now)
{
	struct tt_hb_actions o;
	struct tt_bfd_ctrl fin = peer(TT_BFD_STATE_UP, LOCAL_DISC, 3);

	assert_int_equal(tt_hb_init(s, c, now), 0);
	bring_up(s, now, 3);
	fin.final = true;
	rx(s, fin, now, &o);
	assert_true(o.flags & TT_HB_A_POLL_DONE);
	assert_false(tt_hb_poll_active(s));
}

/* RFC 5880 §6.5 and §6.8.3: timer changes through Poll/Final. */
static void test_poll_final_timer_change(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	struct tt_hb_event e = {.type = TT_HB_EV_SET_TIMERS};
	struct tt_bfd_ctrl up = peer(TT_BFD_STATE_UP, LOCAL_DISC, 10);
	struct tt_bfd_ctrl fin = up;
	tt_ns_t now = T0;

	(void)state;
	fin.final = true;
	up_and_quiet(&s, &c, now);
	assert_int_equal(tt_hb_counters(&s)->polls_started, 1);
	assert_int_equal(tt_hb_counters(&s)->polls_done, 1);

	/* increase DesiredMinTx while Up: advertised now, used after the Final */
	e.timers = (struct tt_hb_timers){
		.desired_min_tx_us = 40000, .required_min_rx_us = FAST_US, .detect_mult = 3};
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	assert_int_equal(o.n_tx, 0);
	assert_true(tt_hb_poll_active(&s));
	assert_int_equal(tt_hb_tx_interval_ns(&s), 10 * MS);
	now = s.next_tx_ns;
	assert_int_equal(tt_hb_tick(&s, now, &o), 0);
	assert_int_equal(o.n_tx, 1);
	assert_true(o.tx[0].poll);
	assert_false(o.tx[0].final);
	assert_int_equal(o.tx[0].desired_min_tx_us, 40000);
	assert_true(o.next_deadline_ns - now <= 10 * MS);
	rx(&s, fin, now, &o);
	assert_true(o.flags & TT_HB_A_POLL_DONE);
	assert_false(tt_hb_poll_active(&s));
	assert_int_equal(tt_hb_tx_interval_ns(&s), 40 * MS);
	/* the next packet is rescheduled on the new interval, without P */
	assert_true(s.next_tx_ns - now >= 30 * MS);
	assert_true(s.next_tx_ns - now <= 40 * MS);
	now = s.next_tx_ns;
	assert_int_equal(tt_hb_tick(&s, now, &o), 0);
	assert_int_equal(o.n_tx, 1);
	assert_false(o.tx[0].poll);

	/* reduce RequiredMinRx while Up: detection keeps the old value until Final */
	e.timers = (struct tt_hb_timers){
		.desired_min_tx_us = 40000, .required_min_rx_us = 2000, .detect_mult = 3};
	up.desired_min_tx_us = 1000;
	rx(&s, up, now, &o);
	assert_int_equal(tt_hb_detect_time_ns(&s), 100 * MS);
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	assert_int_equal(tt_hb_detect_time_ns(&s), 100 * MS);
	fin.desired_min_tx_us = 1000;
	rx(&s, fin, now + 1 * MS, &o);
	assert_true(o.flags & TT_HB_A_POLL_DONE);
	assert_int_equal(tt_hb_detect_time_ns(&s), 20 * MS);
	assert_int_equal(s.detect_deadline_ns, now + 21 * MS);

	/* increase RequiredMinRx and reduce DesiredMinTx: both at once */
	e.timers = (struct tt_hb_timers){
		.desired_min_tx_us = 5000, .required_min_rx_us = 20000, .detect_mult = 3};
	now += 2 * MS;
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	assert_int_equal(tt_hb_detect_time_ns(&s), 200 * MS);
	assert_int_equal(tt_hb_tx_interval_ns(&s), 10 * MS); /* peer's RequiredMinRx 10 ms */
	assert_true(tt_hb_poll_active(&s));

	/* answering the peer's Poll: F set, P clear although we poll too */
	up.poll = true;
	rx(&s, up, now, &o);
	assert_int_equal(o.n_tx, 1);
	assert_true(o.tx[0].final);
	assert_false(o.tx[0].poll);
	assert_int_equal(tt_hb_counters(&s)->tx_finals, 1);
	assert_true(tt_hb_poll_active(&s));

	/* a change during a Poll: the first Final restarts it, the second ends it */
	e.timers.required_min_rx_us = 30000;
	assert_int_equal(tt_hb_step(&s, &e, now, &o), 0);
	rx(&s, fin, now, &o);
	assert_false(o.flags & TT_HB_A_POLL_DONE);
	assert_true(tt_hb_poll_active(&s));
	rx(&s, fin, now, &o);
	assert_true(o.flags & TT_HB_A_POLL_DONE);
	assert_false(tt_hb_poll_active(&s));
	assert_int_equal(tt_hb_detect_time_ns(&s), 300 * MS);
	assert_int_equal(s.required_min_rx_us, 30000);

	/* a Final while not polling changes nothing */
	rx(&s, fin, now, &o);
	assert_false(o.flags & TT_HB_A_POLL_DONE);
}

/* Two sessions wired back to back: three-way bring-up and both Polls. */
static void test_three_way_bring_up(void **state)
{
	struct tt_hb_config ca = config(TT_HB_ROLE_MASTER);
	struct tt_hb_config cb = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session a, b;
	struct tt_hb_actions oa, ob;
	tt_ns_t t;

	(void)state;
	cb.local_disc = PEER_DISC;
	assert_int_equal(tt_hb_init(&a, &ca, T0), 0);
	assert_int_equal(tt_hb_init(&b, &cb, T0), 0);
	assert_int_equal(tt_hb_tick(&a, T0, &oa), 0);
	assert_int_equal(oa.tx[0].state, TT_BFD_STATE_DOWN);
	assert_int_equal(oa.tx[0].your_disc, 0);
	assert_int_equal(tt_hb_rx(&b, &oa.tx[0], T0, &ob), 0);
	assert_int_equal(tt_hb_state(&b), TT_HB_S_INIT);
	assert_int_equal(ob.tx[0].state, TT_BFD_STATE_INIT);
	assert_int_equal(ob.tx[0].your_disc, LOCAL_DISC);
	assert_int_equal(tt_hb_rx(&a, &ob.tx[0], T0, &oa), 0);
	assert_int_equal(tt_hb_state(&a), TT_HB_S_UP);
	assert_true(oa.tx[0].poll);
	assert_int_equal(oa.tx[0].desired_min_tx_us, FAST_US);
	assert_int_equal(tt_hb_rx(&b, &oa.tx[0], T0, &ob), 0);
	assert_int_equal(tt_hb_state(&b), TT_HB_S_UP);
	assert_true(ob.tx[0].final);
	assert_int_equal(tt_hb_rx(&a, &ob.tx[0], T0, &oa), 0);
	assert_true(oa.flags & TT_HB_A_POLL_DONE);
	assert_int_equal(oa.n_tx, 0);
	/* b's own Poll goes out on its next periodic packet */
	t = b.next_tx_ns;
	assert_int_equal(tt_hb_tick(&b, t, &ob), 0);
	assert_true(ob.tx[0].poll);
	assert_int_equal(tt_hb_rx(&a, &ob.tx[0], t, &oa), 0);
	assert_true(oa.tx[0].final);
	assert_int_equal(tt_hb_rx(&b, &oa.tx[0], t, &ob), 0);
	assert_true(ob.flags & TT_HB_A_POLL_DONE);
	assert_false(tt_hb_poll_active(&a));
	assert_false(tt_hb_poll_active(&b));
	assert_int_equal(tt_hb_remote_disc(&a), PEER_DISC);
	assert_int_equal(tt_hb_remote_disc(&b), LOCAL_DISC);
}

/* ------------------------------------------------------------------------ */
/* Reception rejects                                                         */

static void expect_reject(struct tt_hb_session *s, struct tt_bfd_ctrl p,
			  enum tt_bfd_rx_reject reason)
{
	struct tt_hb_actions o;
	uint64_t before = tt_hb_counters(s)->rx.by_reason[reason];
	uint64_t ok = tt_hb_counters(s)->rx.by_reason[TT_BFD_RX_OK];
	enum tt_hb_state st = tt_hb_state(s);
	uint32_t rd = tt_hb_remote_disc(s);

	rx(s, p, T0 + 1 * MS, &o);
	assert_int_equal(o.rx_verdict, reason);
	assert_int_equal(tt_hb_counters(s)->rx.by_reason[reason], before + 1);
	assert_int_equal(tt_hb_counters(s)->rx.by_reason[TT_BFD_RX_OK], ok);
	assert_int_equal(tt_hb_state(s), st);
	assert_int_equal(tt_hb_remote_disc(s), rd);
	assert_int_equal(o.n_tx, 0);
}

static void test_rx_rejects(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	struct tt_bfd_ctrl p;

	(void)state;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_int_equal(tt_hb_tick(&s, T0, &o), 0);

	/* §6.8.6: Your Discriminator zero with State Init or Up */
	expect_reject(&s, peer(TT_BFD_STATE_UP, 0, 3), TT_BFD_RX_YOUR_DISC_ZERO);
	expect_reject(&s, peer(TT_BFD_STATE_INIT, 0, 3), TT_BFD_RX_YOUR_DISC_ZERO);
	/* ... but fine with Down or AdminDown */
	rx(&s, peer(TT_BFD_STATE_ADMIN_DOWN, 0, 3), T0, &o);
	assert_int_equal(o.rx_verdict, TT_BFD_RX_OK);
	/* §6.8.6: Your Discriminator selects the session */
	expect_reject(&s, peer(TT_BFD_STATE_UP, LOCAL_DISC + 1, 3), TT_BFD_RX_NO_SESSION);
	/* §6.8.6: A bit versus configured authentication */
	p = peer(TT_BFD_STATE_DOWN, 0, 3);
	p.auth_present = true;
	expect_reject(&s, p, TT_BFD_RX_AUTH_UNEXPECTED);
	/* stateless rules, re-checked so nothing half-applies */
	p = peer(TT_BFD_STATE_DOWN, 0, 0);
	expect_reject(&s, p, TT_BFD_RX_DETECT_MULT_ZERO);
	p = peer(TT_BFD_STATE_DOWN, 0, 3);
	p.my_disc = 0;
	expect_reject(&s, p, TT_BFD_RX_MY_DISC_ZERO);
	p = peer(TT_BFD_STATE_DOWN, 0, 3);
	p.version = 2;
	expect_reject(&s, p, TT_BFD_RX_VERSION);
	p = peer(TT_BFD_STATE_DOWN, 0, 3);
	p.multipoint = true;
	expect_reject(&s, p, TT_BFD_RX_MULTIPOINT);
	p = peer(TT_BFD_STATE_DOWN, 0, 3);
	p.poll = p.final = true;
	expect_reject(&s, p, TT_BFD_RX_POLL_AND_FINAL);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);

	/* caller-found rejects land in the same counters */
	tt_hb_count_reject(&s, TT_BFD_RX_AUTH_FAILED);
	tt_hb_count_reject(&s, TT_BFD_RX_REJECT_MAX);
	assert_int_equal(tt_hb_counters(&s)->rx.by_reason[TT_BFD_RX_AUTH_FAILED], 1);
	assert_int_equal(tt_hb_counters(&s)->rx_packets, 10);
	assert_int_equal(tt_hb_counters(&s)->rx.by_reason[TT_BFD_RX_OK], 1);

	/* authentication configured: a packet without the A bit */
	c.auth = true;
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	assert_int_equal(tt_hb_tick(&s, T0, &o), 0);
	assert_true(o.tx[0].auth_present);
	expect_reject(&s, peer(TT_BFD_STATE_DOWN, 0, 3), TT_BFD_RX_AUTH_MISSING);
	p = peer(TT_BFD_STATE_DOWN, 0, 3);
	p.auth_present = true;
	rx(&s, p, T0, &o);
	assert_int_equal(o.rx_verdict, TT_BFD_RX_OK);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_INIT);
	assert_true(o.tx[0].auth_present);

	/* disconnected: dropped and counted, nothing learned */
	c = config(TT_HB_ROLE_WORKER);
	assert_int_equal(tt_hb_init(&s, &c, T0), 0);
	ev(&s, TT_HB_EV_DISCONNECT, T0, &o);
	expect_reject(&s, peer(TT_BFD_STATE_DOWN, 0, 3), TT_BFD_RX_DISCONNECTED);
	p = peer(TT_BFD_STATE_DOWN, 0, 3);
	p.poll = true;
	expect_reject(&s, p, TT_BFD_RX_DISCONNECTED);
	assert_int_equal(tt_hb_counters(&s)->rx.by_reason[TT_BFD_RX_DISCONNECTED], 2);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
}

/* ------------------------------------------------------------------------ */
/* tether policy                                                             */

/* Disconnect: no TX at all, detection runs out; RECONNECT: fresh start. */
static void test_disconnect_reconnect(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	tt_ns_t now = T0, d;
	uint64_t tx_before;

	(void)state;
	up_and_quiet(&s, &c, T0);
	ev(&s, TT_HB_EV_DISCONNECT, now, &o);
	assert_true(tt_hb_is_disconnected(&s));
	tx_before = tt_hb_counters(&s)->tx_packets;
	/* the only deadline left is detection (30 ms after the last packet) */
	assert_true(tt_hb_next_deadline(&s, &d));
	assert_int_equal(d, T0 + 30 * MS);
	for (now = T0; now <= T0 + 100 * MS; now += 1 * MS) {
		assert_int_equal(tt_hb_tick(&s, now, &o), 0);
		assert_int_equal(o.n_tx, 0);
		if (now == T0 + 30 * MS) {
			assert_true(o.flags & TT_HB_A_DETECT_EXPIRED);
			assert_true(o.flags & TT_HB_A_FENCE);
		} else {
			assert_false(o.flags & (TT_HB_A_DETECT_EXPIRED | TT_HB_A_FENCE));
		}
	}
	/* admin-down while disconnected: state changes, still silent */
	ev(&s, TT_HB_EV_ADMIN_DOWN, now, &o);
	assert_int_equal(o.n_tx, 0);
	ev(&s, TT_HB_EV_ADMIN_UP, now, &o);
	assert_int_equal(o.n_tx, 0);
	assert_int_equal(tt_hb_counters(&s)->tx_packets, tx_before);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	assert_false(tt_hb_next_deadline(&s, &d));
	assert_false(o.has_deadline);
	/* a second DISCONNECT changes nothing */
	ev(&s, TT_HB_EV_DISCONNECT, now, &o);
	assert_true(tt_hb_is_disconnected(&s));

	/* RECONNECT: Down, remote forgotten, a packet at once */
	ev(&s, TT_HB_EV_RECONNECT, now, &o);
	assert_false(tt_hb_is_disconnected(&s));
	assert_int_equal(o.n_tx, 1);
	assert_int_equal(o.tx[0].state, TT_BFD_STATE_DOWN);
	assert_int_equal(o.tx[0].your_disc, 0);
	assert_int_equal(o.tx[0].desired_min_tx_us, 1000000);
	assert_false(o.tx[0].poll);
	assert_int_equal(s.remote_min_rx_us, 1);
	assert_false(s.detect_armed);
	/* RECONNECT when connected: nothing */
	ev(&s, TT_HB_EV_RECONNECT, now, &o);
	assert_int_equal(o.flags, 0);
	/* and it comes back up */
	bring_up(&s, now, 3);
}

/* A worker fences exactly once per Up period, whatever takes it out of Up. */
static void test_worker_fence_once(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	tt_ns_t now = T0;
	unsigned int fences = 0;

	(void)state;
	up_and_quiet(&s, &c, now);
	/* period 1: detection expiry, then more events that must not fence again */
	for (; now <= T0 + 200 * MS; now += 1 * MS) {
		assert_int_equal(tt_hb_tick(&s, now, &o), 0);
		fences += !!(o.flags & TT_HB_A_FENCE);
	}
	rx(&s, peer(TT_BFD_STATE_ADMIN_DOWN, LOCAL_DISC, 3), now, &o);
	fences += !!(o.flags & TT_HB_A_FENCE);
	ev(&s, TT_HB_EV_ADMIN_DOWN, now, &o);
	fences += !!(o.flags & TT_HB_A_FENCE);
	assert_int_equal(fences, 1);
	ev(&s, TT_HB_EV_ADMIN_UP, now, &o);
	assert_false(o.flags & TT_HB_A_FENCE);

	/* period 2: neighbour signals AdminDown */
	bring_up(&s, now, 3);
	rx(&s, peer(TT_BFD_STATE_ADMIN_DOWN, LOCAL_DISC, 3), now, &o);
	assert_true(o.flags & TT_HB_A_FENCE);
	assert_int_equal(o.diag, TT_BFD_DIAG_NEIGHBOR_DOWN);
	rx(&s, peer(TT_BFD_STATE_ADMIN_DOWN, LOCAL_DISC, 3), now, &o);
	assert_false(o.flags & TT_HB_A_FENCE);

	/* period 3: neighbour signals Down */
	bring_up(&s, now, 3);
	rx(&s, peer(TT_BFD_STATE_DOWN, LOCAL_DISC, 3), now, &o);
	assert_true(o.flags & TT_HB_A_FENCE);
	/* ... which also moves Down -> Init at once: no fence there */
	assert_int_equal(tt_hb_state(&s), TT_HB_S_DOWN);
	rx(&s, peer(TT_BFD_STATE_DOWN, LOCAL_DISC, 3), now, &o);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_INIT);
	assert_false(o.flags & TT_HB_A_FENCE);

	/* period 4: local admin down */
	rx(&s, peer(TT_BFD_STATE_UP, LOCAL_DISC, 3), now, &o);
	assert_int_equal(tt_hb_state(&s), TT_HB_S_UP);
	ev(&s, TT_HB_EV_ADMIN_DOWN, now, &o);
	assert_true(o.flags & TT_HB_A_FENCE);
	assert_int_equal(o.tx[0].state, TT_BFD_STATE_ADMIN_DOWN);
	assert_int_equal(o.tx[0].diag, TT_BFD_DIAG_ADMIN_DOWN);
	/* a master session never fences */
	c = config(TT_HB_ROLE_MASTER);
	up_and_quiet(&s, &c, now);
	ev(&s, TT_HB_EV_ADMIN_DOWN, now, &o);
	assert_false(o.flags & TT_HB_A_FENCE);
}

/*
 * The step-order rule: a worker woken long after its detection deadline
 * (SIGSTOP, VM stall) with a packet waiting sees its own timeout first.
 */
static void test_stale_wakeup(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	tt_ns_t wake = T0 + 5 * TT_NS_PER_S;

	(void)state;
	up_and_quiet(&s, &c, T0);
	assert_int_equal(s.detect_deadline_ns, T0 + 30 * MS);
	/* the master's Up packet is accepted only after the expiry: Down + Up = Down */
	rx(&s, peer(TT_BFD_STATE_UP, LOCAL_DISC, 3), wake, &o);
	assert_int_equal(o.flags & (TT_HB_A_DETECT_EXPIRED | TT_HB_A_FENCE | TT_HB_A_STATE_CHANGE),
			 TT_HB_A_DETECT_EXPIRED | TT_HB_A_FENCE | TT_HB_A_STATE_CHANGE);
	assert_int_equal(o.rx_verdict, TT_BFD_RX_OK);
	assert_int_equal(o.old_state, TT_HB_S_UP);
	assert_int_equal(o.new_state, TT_HB_S_DOWN);
	assert_int_equal(o.diag, TT_BFD_DIAG_CTRL_EXPIRED);
	assert_int_equal(o.n_tx, 1);
	assert_int_equal(o.tx[0].state, TT_BFD_STATE_DOWN);
	assert_int_equal(o.tx[0].diag, TT_BFD_DIAG_CTRL_EXPIRED);
	/* the packet still counts for the new detection period */
	assert_int_equal(tt_hb_remote_disc(&s), PEER_DISC);
	assert_true(s.detect_armed);

	/* the same with an Init packet: Up -> Down (fence) -> Up in one step */
	up_and_quiet(&s, &c, T0);
	rx(&s, peer(TT_BFD_STATE_INIT, LOCAL_DISC, 3), wake, &o);
	assert_true(o.flags & TT_HB_A_DETECT_EXPIRED);
	assert_true(o.flags & TT_HB_A_FENCE);
	assert_true(o.flags & TT_HB_A_STATE_CHANGE);
	assert_int_equal(o.old_state, TT_HB_S_UP);
	assert_int_equal(o.new_state, TT_HB_S_UP);
	/* §6.8.1: the diag tells the reason of the last change; Up has none */
	assert_int_equal(o.diag, TT_BFD_DIAG_NONE);
	assert_int_equal(o.tx[0].state, TT_BFD_STATE_UP);
	assert_int_equal(o.tx[0].diag, TT_BFD_DIAG_NONE);
	assert_int_equal(tt_hb_counters(&s)->state_changes, 2 + 2);
}

/* A packet in flight on a virtual link. */
struct flight {
	tt_ns_t at;
	struct tt_bfd_ctrl pkt;
};

struct link {
	struct flight q[64];
	unsigned int n;
	tt_ns_t delay_ns;
	bool lossy; /* drop everything */
};

static void link_send(struct link *l, const struct tt_hb_actions *o, tt_ns_t now)
{
	for (unsigned int i = 0; i < o->n_tx && !l->lossy; i++) {
		assert_true(l->n < 64);
		l->q[l->n].at = now + l->delay_ns;
		l->q[l->n].pkt = o->tx[i];
		l->n++;
	}
}

/* Deliver the first packet due by `now`, if any (FIFO: constant delay). */
static bool link_pop(struct link *l, tt_ns_t now, struct tt_bfd_ctrl *p)
{
	if (l->n == 0 || tt_time_after(l->q[0].at, now))
		return false;
	*p = l->q[0].pkt;
	memmove(&l->q[0], &l->q[1], (l->n - 1) * sizeof(l->q[0]));
	l->n--;
	return true;
}

struct pair_result {
	tt_ns_t fence_at;
	tt_ns_t master_expired_at;
	tt_ns_t dead_at;
	tt_ns_t last_alive_tx;
	unsigned int fences, deads;
	bool alive_after_expiry;
};

/* Record what a master step did, then put its packet on the link. */
static void master_out(struct pair_result *r, struct link *m2w, const struct tt_hb_actions *o,
		       tt_ns_t now)
{
	if (o->flags & TT_HB_A_DETECT_EXPIRED)
		r->master_expired_at = now;
	if (o->flags & TT_HB_A_WORKER_DEAD) {
		r->deads++;
		r->dead_at = now;
	}
	for (unsigned int i = 0; i < o->n_tx; i++) {
		bool alive =
			o->tx[i].state == TT_BFD_STATE_UP || o->tx[i].state == TT_BFD_STATE_INIT;

		if (alive && r->master_expired_at != 0)
			r->alive_after_expiry = true;
		if (alive)
			r->last_alive_tx = now;
	}
	link_send(m2w, o, now);
}

/*
 * Master (mult 3) and worker (mult 5), 10 ms both ways: T2 = 30 ms, T1 =
 * 50 ms. Both Up and quiet by `cut`, then either the worker->master link
 * loses everything (one-way loss) or `disconnect_master` silences the
 * master. Runs event by event on virtual time until `end`.
 */
static struct pair_result run_pair(bool one_way_loss, bool disconnect_master, tt_ns_t cut,
				   tt_ns_t end)
{
	struct tt_hb_config cm = config(TT_HB_ROLE_MASTER);
	struct tt_hb_config cw = config(TT_HB_ROLE_WORKER);
	struct tt_hb_session m, w;
	struct tt_hb_actions o;
	struct link m2w = {.delay_ns = D_MAX_NS}, w2m = {.delay_ns = D_MAX_NS};
	struct pair_result r = {0};
	struct tt_bfd_ctrl p;
	tt_ns_t now = T0;
	bool cut_done = false;

	cw.local_disc = PEER_DISC;
	cw.timers.detect_mult = 5;
	cw.seed = 99;
	assert_int_equal(tt_hb_init(&m, &cm, T0), 0);
	assert_int_equal(tt_hb_init(&w, &cw, T0), 0);
	while (tt_time_before(now, end)) {
		tt_ns_t next = end, d;

		if (!cut_done && !tt_time_before(now, cut)) {
			assert_int_equal(tt_hb_state(&m), TT_HB_S_UP);
			assert_int_equal(tt_hb_state(&w), TT_HB_S_UP);
			if (one_way_loss)
				w2m.lossy = true;
			if (disconnect_master) {
				ev(&m, TT_HB_EV_DISCONNECT, now, &o);
				assert_int_equal(o.n_tx, 0);
			}
			/* T2 as the master knows it, and the worker's own */
			assert_int_equal(tt_hb_t2_ns(&m), 30 * MS);
			assert_int_equal(tt_hb_detect_time_ns(&w), 30 * MS);
			assert_int_equal(tt_hb_detect_time_ns(&m), 50 * MS);
			cut_done = true;
		}
		while (link_pop(&m2w, now, &p)) {
			rx(&w, p, now, &o);
			link_send(&w2m, &o, now);
			if (o.flags & TT_HB_A_FENCE) {
				r.fences++;
				r.fence_at = now;
			}
		}
		while (link_pop(&w2m, now, &p)) {
			rx(&m, p, now, &o);
			master_out(&r, &m2w, &o, now);
		}
		if (tt_hb_next_deadline(&m, &d) && tt_time_reached(now, d)) {
			assert_int_equal(tt_hb_tick(&m, now, &o), 0);
			master_out(&r, &m2w, &o, now);
		}
		if (tt_hb_next_deadline(&w, &d) && tt_time_reached(now, d)) {
			assert_int_equal(tt_hb_tick(&w, now, &o), 0);
			if (o.flags & TT_HB_A_FENCE) {
				r.fences++;
				r.fence_at = now;
			}
			link_send(&w2m, &o, now);
		}
		/* next event: a deadline, a delivery or the cut */
		if (tt_hb_next_deadline(&m, &d))
			next = tt_time_min(next, d);
		if (tt_hb_next_deadline(&w, &d))
			next = tt_time_min(next, d);
		if (m2w.n > 0)
			next = tt_time_min(next, m2w.q[0].at);
		if (w2m.n > 0)
			next = tt_time_min(next, w2m.q[0].at);
		if (!cut_done)
			next = tt_time_min(next, cut);
		assert_true(tt_time_after(next, now) || next == end);
		now = next;
	}
	return r;
}

/*
 * One-way loss (worker->master lost, master->worker fine): the master's
 * detection expires at T1 after the last packet it heard, but it keeps the
 * worker Up until then with its own packets; WORKER_DEAD comes only at
 * last alive tx + T2 + d_max + g, after the worker has fenced.
 */
static void test_master_worker_dead_one_way_loss(void **state)
{
	struct pair_result r;
	tt_ns_t cut = T0 + 3 * TT_NS_PER_S;

	(void)state;
	r = run_pair(true, false, cut, cut + 2 * TT_NS_PER_S);
	assert_int_equal(r.deads, 1);
	assert_int_equal(r.fences, 1);
	assert_true(r.master_expired_at > cut && r.master_expired_at <= cut + 50 * MS);
	/* the master sent alive packets right up to its own expiry ... */
	assert_true(r.master_expired_at - r.last_alive_tx <= 10 * MS);
	assert_false(r.alive_after_expiry);
	/* ... so WORKER_DEAD waits for the worker's T2 after the last of them */
	assert_int_equal(r.dead_at, r.last_alive_tx + 30 * MS + D_MAX_NS + GRAN_NS);
	assert_true(r.dead_at > r.master_expired_at);
	/* the master's Down (sent at its expiry) reached the worker d_max later */
	assert_int_equal(r.fence_at, r.master_expired_at + D_MAX_NS);
	assert_true(r.fence_at < r.dead_at);
	print_message("# one-way loss: master expired at +%llu us, worker fenced at +%llu us, "
		      "WORKER_DEAD at +%llu us (after cut)\n",
		      (unsigned long long)((r.master_expired_at - cut) / US),
		      (unsigned long long)((r.fence_at - cut) / US),
		      (unsigned long long)((r.dead_at - cut) / US));
}

/* Disconnect at the master: the worker fences at T2, the master declares at T1. */
static void test_master_worker_dead_disconnect(void **state)
{
	struct pair_result r;
	tt_ns_t cut = T0 + 3 * TT_NS_PER_S;

	(void)state;
	r = run_pair(false, true, cut, cut + 2 * TT_NS_PER_S);
	assert_int_equal(r.deads, 1);
	assert_int_equal(r.fences, 1);
	assert_true(r.last_alive_tx <= cut);
	assert_int_equal(r.fence_at, r.last_alive_tx + D_MAX_NS + 30 * MS);
	/* T1 > T2 + I + d_max + g: the master's own expiry is the later one */
	assert_int_equal(r.dead_at, r.master_expired_at);
	assert_true(r.fence_at < r.dead_at);
}

/* WORKER_DEAD when the master leaves Up without expiry, and the timer's bookkeeping. */
static void test_master_worker_dead_timer(void **state)
{
	struct tt_hb_config c = config(TT_HB_ROLE_MASTER);
	struct tt_hb_session s;
	struct tt_hb_actions o;
	struct tt_bfd_ctrl p = peer(TT_BFD_STATE_UP, LOCAL_DISC, 3);
	tt_ns_t now = T0, d, dead;

	(void)state;
	up_and_quiet(&s, &c, now);
	/*
	 * Stay Up for 4 s: the bring-up's Init packet carried the slow rate
	 * (T2 = 3 x 1 s) and must not matter here.
	 */
	for (; now < T0 + 4 * TT_NS_PER_S; now += 5 * MS) {
		assert_int_equal(tt_hb_tick(&s, now, &o), 0);
		rx(&s, peer(TT_BFD_STATE_UP, LOCAL_DISC, 3), now, &o);
	}
	assert_int_equal(tt_hb_state(&s), TT_HB_S_UP);
	/* the worker asks for 20 ms: T2 = 3 x max(20, 10) ms = 60 ms */
	p.required_min_rx_us = 20000;
	rx(&s, p, now, &o);
	assert_int_equal(tt_hb_t2_ns(&s), 60 * MS);
	now = s.next_tx_ns;
	assert_int_equal(tt_hb_tick(&s, now, &o), 0);
	assert_int_equal(o.tx[0].state, TT_BFD_STATE_UP);
	dead = now + 60 * MS + D_MAX_NS + GRAN_NS;
	/* admin down 1 ms later: the AdminDown packet is not alive */
	ev(&s, TT_HB_EV_ADMIN_DOWN, now + 1 * MS, &o);
	assert_false(o.flags & TT_HB_A_WORKER_DEAD);
	assert_true(s.dead_pending);
	assert_int_equal(s.dead_at_ns, dead);
	assert_true(tt_hb_next_deadline(&s, &d));
	assert_true(d <= dead);
	/* never early, exactly once */
	assert_int_equal(tt_hb_tick(&s, dead - 1, &o), 0);
	assert_false(o.flags & TT_HB_A_WORKER_DEAD);
	assert_int_equal(tt_hb_tick(&s, dead, &o), 0);
	assert_true(o.flags & TT_HB_A_WORKER_DEAD);
	assert_int_equal(tt_hb_tick(&s, dead + 1, &o), 0);
	assert_false(o.flags & TT_HB_A_WORKER_DEAD);
	assert_false(s.dead_pending);

	/* a reduced Required Min RX counts for T2 only once the worker stops polling */
	up_and_quiet(&s, &c, now);
	p.required_min_rx_us = 20000;
	rx(&s, p, now, &o);
	p.required_min_rx_us = 5000;
	p.poll = true;
	rx(&s, p, now, &o);
	assert_int_equal(tt_hb_t2_ns(&s), 60 * MS);
	p.poll = false;
	rx(&s, p, now, &o);
	assert_int_equal(tt_hb_t2_ns(&s), 30 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_event_table),
		cmocka_unit_test(test_init_validation),
		cmocka_unit_test(test_invalid_events),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_slow_rate_before_up),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_detection_time),
		cmocka_unit_test(test_poll_final_timer_change),
		cmocka_unit_test(test_set_timers_expires_at_once),
		cmocka_unit_test(test_three_way_bring_up),
		cmocka_unit_test(test_rx_rejects),
		cmocka_unit_test(test_disconnect_reconnect),
		cmocka_unit_test(test_worker_fence_once),
		cmocka_unit_test(test_stale_wakeup),
		cmocka_unit_test(test_master_worker_dead_one_way_loss),
		cmocka_unit_test(test_master_worker_dead_disconnect),
		cmocka_unit_test(test_master_worker_dead_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
