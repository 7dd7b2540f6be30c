/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two BFD endpoints, a master and a worker, over the simulator. Packets
 * travel as bytes (tt_bfd_build on one side, tt_bfd_parse on the other).
 *
 * Exact timing: bring-up, detection after a cut, a Poll/Final timer change.
 * The tether policy: over a sweep of intervals, Detect Mults and delays, every
 * setting tt_hb_policy_check accepts is run with a disconnect at either end
 * or a one-way cut, and the worker fences strictly before the master declares
 * it dead; the refused ones are refused. With loss, duplication and
 * reordering on the links, many seeds, each checked by the same invariant.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hb_endpoint.h"
#include "hb_fsm.h"
#include "hb_policy.h"
#include "netsim.h"

#define MASTER_DISC 0x1111u
#define WORKER_DISC 0x2222u

/* ---- the pair ------------------------------------------------------------------------------ */

struct scenario {
	uint64_t seed;
	struct tt_hb_timers mt; /* master */
	struct tt_hb_timers wt; /* worker */
	struct tt_netsim_link_params m2w;
	struct tt_netsim_link_params w2m;
	tt_ns_t d_max_ns;
	tt_ns_t g_ns; /* granularity: the nodes' timer grid and the policy's g */
	bool worker_admin_down;
};

enum who { MASTER, WORKER };

enum log_kind { L_UP, L_LEAVE, L_FENCE, L_DEAD };

struct log_ent {
	tt_ns_t at;
	uint8_t who;
	uint8_t kind;
};

#define LOG_MAX 8192

struct hb_pair {
	struct tt_netsim *sim;
	struct tt_hb_endpoint m;
	struct tt_hb_endpoint w;
	int m2w;
	int w2m;
	struct log_ent log[LOG_MAX];
	size_t n_log;
	bool log_overflow;
};

static void log_put(struct hb_pair *p, enum who who, enum log_kind kind, tt_ns_t at)
{
	if (p->n_log == LOG_MAX) {
		p->log_overflow = true;
		return;
	}
	p->log[p->n_log++] = (struct log_ent){.at = at, .who = (uint8_t)who, .kind = (uint8_t)kind};
}

/* Leave is logged before enter: a step may do both (Up -> Down -> Up). */
static void pair_hook(void *arg, struct tt_hb_endpoint *ep, const struct tt_hb_actions *act,
		      tt_ns_t now)
{
	struct hb_pair *p = arg;
	enum who who = ep == &p->m ? MASTER : WORKER;

	if (act->flags & TT_HB_A_FENCE)
		log_put(p, who, L_FENCE, now);
	if (tt_hb_endpoint_left_up(act))
		log_put(p, who, L_LEAVE, now);
	if (tt_hb_endpoint_entered_up(act))
		log_put(p, who, L_UP, now);
	if (act->flags & TT_HB_A_WORKER_DEAD)
		log_put(p, who, L_DEAD, now);
}

static struct tt_hb_config hb_cfg(enum tt_hb_role role, const struct scenario *sc)
{
	struct tt_hb_config c = {
		.role = role,
		.local_disc = role == TT_HB_ROLE_MASTER ? MASTER_DISC : WORKER_DISC,
		.timers = role == TT_HB_ROLE_MASTER ? sc->mt : sc->wt,
		.d_max_ns = sc->d_max_ns,
		.granularity_ns = sc->g_ns,
		.seed = sc->seed * 2 + (role == TT_HB_ROLE_MASTER ? 1 : 2),
		.start_admin_down = role == TT_HB_ROLE_WORKER && sc->worker_admin_down,
	};

	return c;
}

static struct hb_pair *pair_create(const struct scenario *sc)
{
	static const struct tt_netsim_limits lim = {.max_nodes = 2,
						    .max_links = 2,
						    .max_faults = 8,
						    .pool_slots = 256,
						    .slot_bytes = 64};
	struct hb_pair *p = calloc(1, sizeof(*p));
	struct tt_hb_config mc = hb_cfg(TT_HB_ROLE_MASTER, sc), wc = hb_cfg(TT_HB_ROLE_WORKER, sc);

	assert_non_null(p);
	p->sim = tt_netsim_create(sc->seed, &lim);
	assert_non_null(p->sim);
	assert_int_equal(tt_hb_endpoint_add(&p->m, p->sim, &mc, sc->g_ns), 0);
	assert_int_equal(tt_hb_endpoint_add(&p->w, p->sim, &wc, sc->g_ns), 1);
	p->m2w = tt_netsim_add_link(p->sim, 0, 1, &sc->m2w);
	p->w2m = tt_netsim_add_link(p->sim, 1, 0, &sc->w2m);
	assert_int_equal(p->m2w, 0);
	assert_int_equal(p->w2m, 1);
	tt_hb_endpoint_set_tx_link(&p->m, p->m2w);
	tt_hb_endpoint_set_tx_link(&p->w, p->w2m);
	tt_hb_endpoint_set_hook(&p->m, pair_hook, p);
	tt_hb_endpoint_set_hook(&p->w, pair_hook, p);
	return p;
}

static void pair_destroy(struct hb_pair *p)
{
	tt_netsim_destroy(p->sim);
	free(p);
}

/* Nothing in the plumbing failed: every packet built, sent and parsed. */
static void assert_clean(const struct hb_pair *p)
{
	const struct tt_hb_endpoint *eps[2] = {&p->m, &p->w};

	for (int i = 0; i < 2; i++) {
		const struct tt_hb_endpoint_record *r = &eps[i]->rec;

		assert_int_equal(r->tx_build_failed, 0);
		assert_int_equal(r->tx_send_failed, 0);
		assert_int_equal(r->step_errors, 0);
		for (int j = 0; j < TT_BFD_RX_REJECT_MAX; j++)
			assert_int_equal(r->parse_rejects[j], 0);
	}
	assert_false(p->log_overflow);
	assert_int_equal(tt_netsim_stalls(p->sim), 0);
}

static void apply(struct tt_hb_endpoint *ep, enum tt_hb_event_type type)
{
	const struct tt_hb_event ev = {.type = type};

	assert_int_equal(tt_hb_endpoint_apply(ep, &ev), 0);
}

static struct tt_netsim_link_params link_delay(tt_ns_t delay_ns)
{
	return (struct tt_netsim_link_params){.delay_ns = delay_ns};
}

static const struct tt_hb_timers timers_1ms = {
	.desired_min_tx_us = 1000, .required_min_rx_us = 1000, .detect_mult = 3};

/* Run until both ends are Up with no Poll pending (the bring-up Poll of §6.8.3 is over). */
static void run_to_steady(struct hb_pair *p, tt_ns_t until)
{
	assert_true(tt_netsim_run_until(p->sim, until) >= 0);
	assert_int_equal(tt_hb_state(&p->m.sess), TT_HB_S_UP);
	assert_int_equal(tt_hb_state(&p->w.sess), TT_HB_S_UP);
	assert_false(tt_hb_poll_active(&p->m.sess));
	assert_false(tt_hb_poll_active(&p->w.sess));
}

/* ---- bring-up ------------------------------------------------------------------------------ */

/*
 * Both start Down at 0 and send at once. Master's Down reaches the worker at
 * d1, the worker's reaches the master at d2; each goes Init and sends Init at
 * once (state change), which arrives at d1 + d2 on both sides: both Up at
 * d1 + d2 exactly (RFC 5880 §6.8.6 three-way bring-up).
 */
static void test_bring_up_time(void **state)
{
	(void)state;
	const tt_ns_t d1 = 30 * TT_NS_PER_US, d2 = 70 * TT_NS_PER_US;
	const struct scenario sc = {.seed = 1,
				    .mt = timers_1ms,
				    .wt = timers_1ms,
				    .m2w = link_delay(d1),
				    .w2m = link_delay(d2),
				    .d_max_ns = d2};
	struct hb_pair *p = pair_create(&sc);

	assert_true(tt_netsim_run_until(p->sim, d1 + d2 - 1) >= 0);
	assert_int_equal(tt_hb_state(&p->m.sess), TT_HB_S_INIT);
	assert_int_equal(tt_hb_state(&p->w.sess), TT_HB_S_INIT);
	assert_true(tt_netsim_run_until(p->sim, d1 + d2) >= 0);
	assert_int_equal(tt_hb_state(&p->m.sess), TT_HB_S_UP);
	assert_int_equal(tt_hb_state(&p->w.sess), TT_HB_S_UP);
	assert_int_equal(p->m.rec.first_up_ns, d1 + d2);
	assert_int_equal(p->w.rec.first_up_ns, d1 + d2);
	/* Down at 0, Init on the Down, Up on the Init: nothing else yet (slow rate 1 s). */
	assert_int_equal(p->m.rec.tx_sent, 3);
	assert_int_equal(p->w.rec.tx_sent, 3);
	assert_int_equal(tt_hb_remote_disc(&p->m.sess), WORKER_DISC);
	assert_int_equal(tt_hb_remote_disc(&p->w.sess), MASTER_DISC);

	/* Once the bring-up Poll is over, the fast rates and detection times are in force. */
	run_to_steady(p, 20 * TT_NS_PER_MS);
	assert_int_equal(tt_hb_detect_time_ns(&p->m.sess), 3 * TT_NS_PER_MS);
	assert_int_equal(tt_hb_detect_time_ns(&p->w.sess), 3 * TT_NS_PER_MS);
	assert_int_equal(tt_hb_tx_interval_ns(&p->m.sess), TT_NS_PER_MS);
	assert_int_equal(tt_hb_tx_interval_ns(&p->w.sess), TT_NS_PER_MS);
	assert_int_equal(p->m.rec.up_count, 1);
	assert_int_equal(p->w.rec.up_count, 1);
	assert_int_equal(p->m.rec.poll_done_count, 1);
	assert_int_equal(p->w.rec.poll_done_count, 1);
	assert_clean(p);
	pair_destroy(p);
}

/*
 * The worker starts AdminDown and is enabled at s. It sends Down at once; the
 * master (Down) answers Init at s + d2; the worker goes Up on it at s + d2 + d1
 * and sends Up; the master goes Up at s + 2 d2 + d1.
 */
static void test_bring_up_three_way(void **state)
{
	(void)state;
	const tt_ns_t d1 = 40 * TT_NS_PER_US, d2 = 60 * TT_NS_PER_US, s = 5 * TT_NS_PER_MS;
	const struct scenario sc = {.seed = 2,
				    .mt = timers_1ms,
				    .wt = timers_1ms,
				    .m2w = link_delay(d1),
				    .w2m = link_delay(d2),
				    .d_max_ns = d2,
				    .worker_admin_down = true};
	struct hb_pair *p = pair_create(&sc);

	assert_true(tt_netsim_run_until(p->sim, s) >= 0);
	assert_int_equal(tt_hb_state(&p->w.sess), TT_HB_S_ADMIN_DOWN);
	assert_int_equal(tt_hb_state(&p->m.sess), TT_HB_S_DOWN);
	apply(&p->w, TT_HB_EV_ADMIN_UP);
	assert_int_equal(tt_hb_state(&p->w.sess), TT_HB_S_DOWN);
	assert_true(tt_netsim_run_until(p->sim, s + d2) >= 0);
	assert_int_equal(tt_hb_state(&p->m.sess), TT_HB_S_INIT);
	assert_true(tt_netsim_run_until(p->sim, s + d2 + d1) >= 0);
	assert_int_equal(tt_hb_state(&p->w.sess), TT_HB_S_UP);
	assert_int_equal(tt_hb_state(&p->m.sess), TT_HB_S_INIT);
	assert_true(tt_netsim_run_until(p->sim, s + 2 * d2 + d1) >= 0);
	assert_int_equal(tt_hb_state(&p->m.sess), TT_HB_S_UP);
	assert_int_equal(p->w.rec.first_up_ns, s + d2 + d1);
	assert_int_equal(p->m.rec.first_up_ns, s + 2 * d2 + d1);
	run_to_steady(p, s + 20 * TT_NS_PER_MS);
	assert_clean(p);
	pair_destroy(p);
}

/* ---- detection ----------------------------------------------------------------------------- */

/*
 * Cut one direction at tc. The receiving end detects exactly one Detection
 * Time (RFC 5880 §6.8.4) after the last packet it accepted (on a timer grid g:
 * at most g - 1 later), goes Down with diag 1, and tells the other end, which
 * goes Down with diag 3 one delay later.
 */
static void detection_case(tt_ns_t g, bool cut_m2w)
{
	const tt_ns_t d = 50 * TT_NS_PER_US, tc = 20 * TT_NS_PER_MS + 333 * TT_NS_PER_US;
	const struct scenario sc = {.seed = 3,
				    .mt = timers_1ms,
				    .wt = timers_1ms,
				    .m2w = link_delay(d),
				    .w2m = link_delay(d),
				    .d_max_ns = d,
				    .g_ns = g};
	struct hb_pair *p = pair_create(&sc);
	struct tt_hb_endpoint *rx_end = cut_m2w ? &p->w : &p->m;
	struct tt_hb_endpoint *tx_end = cut_m2w ? &p->m : &p->w;
	tt_ns_t detect_ns, expect_ns;

	run_to_steady(p, tc - TT_NS_PER_MS);
	detect_ns = tt_hb_detect_time_ns(&rx_end->sess);
	assert_int_equal(detect_ns, 3 * TT_NS_PER_MS);
	assert_int_equal(tt_netsim_schedule_fault(p->sim, tc, TT_NETSIM_FAULT_LINK_CUT,
						  (uint32_t)(cut_m2w ? p->m2w : p->w2m)),
			 0);
	assert_true(tt_netsim_run_until(p->sim, tc + 10 * TT_NS_PER_MS) >= 0);

	/* The last accepted packet is before the cut, by at most one interval. */
	assert_true(rx_end->rec.last_rx_ok_ns <= tc);
	assert_true(rx_end->rec.last_rx_ok_ns + TT_NS_PER_MS + d >= tc);
	expect_ns = rx_end->rec.last_rx_ok_ns + detect_ns;
	assert_int_equal(rx_end->rec.detect_count, 1);
	assert_true(rx_end->rec.last_detect_ns >= expect_ns);
	assert_true(rx_end->rec.last_detect_ns <= expect_ns + (g ? g - 1 : 0));
	if (g == 0)
		assert_int_equal(rx_end->rec.last_detect_ns, expect_ns);
	assert_int_equal(rx_end->rec.last_down_ns, rx_end->rec.last_detect_ns);
	assert_int_equal(tt_hb_state(&rx_end->sess), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_diag(&rx_end->sess), TT_BFD_DIAG_CTRL_EXPIRED);
	/* The other end hears the Down one delay later (its direction still works). */
	assert_int_equal(tx_end->rec.detect_count, 0);
	assert_int_equal(tx_end->rec.last_down_ns, rx_end->rec.last_detect_ns + d);
	assert_int_equal(tt_hb_state(&tx_end->sess), TT_HB_S_DOWN);
	assert_int_equal(tt_hb_diag(&tx_end->sess), TT_BFD_DIAG_NEIGHBOR_DOWN);
	/*
	 * Policy outcome: the worker fenced, then the master declared it dead, no
	 * earlier than T2 + d_max + g after its last alive packet, and its bring-up Init
	 * advertised the slow rate (1 s): 3 s + d_max + g after it.
	 */
	assert_int_equal(p->m.rec.dead_count, 0);
	assert_true(tt_netsim_run_until(p->sim, 5 * TT_NS_PER_S) >= 0);
	assert_int_equal(p->w.rec.fence_count, 1);
	assert_int_equal(p->m.rec.dead_count, 1);
	assert_true(p->w.rec.first_fence_ns < p->m.rec.first_dead_ns);
	assert_clean(p);
	pair_destroy(p);
}

static void test_detection_exact(void **state)
{
	(void)state;
	detection_case(0, true);
	detection_case(0, false);
}

static void test_detection_on_grid(void **state)
{
	(void)state;
	detection_case(10 * TT_NS_PER_US, true);
	detection_case(10 * TT_NS_PER_US, false);
	detection_case(7 * TT_NS_PER_US + 3, true);
	detection_case(7 * TT_NS_PER_US + 3, false);
}

/* ---- Poll/Final ---------------------------------------------------------------------------- */

/*
 * Up at 1 ms/1 ms/3 both ways. At tp the master changes to Desired Min TX
 * 3 ms, Required Min RX 2 ms (RFC 5880 §6.8.3: a Poll Sequence, §6.5). The
 * Poll rides the master's next periodic packet (at most one interval after
 * tp) and the worker answers with a Final at once, so the Poll ends at most
 * one interval + 2d after tp. Then on both sides:
 *   worker detection = 3 x max(1 ms, 3 ms) = 9 ms, worker TX = max(1, 2) = 2 ms,
 *   master detection = 3 x max(2 ms, 1 ms) = 6 ms, master TX = max(3, 1) = 3 ms,
 * and a cut is detected with the new times.
 */
static void poll_case(bool cut_m2w)
{
	const tt_ns_t d = 50 * TT_NS_PER_US, tp = 20 * TT_NS_PER_MS;
	const struct scenario sc = {.seed = 4,
				    .mt = timers_1ms,
				    .wt = timers_1ms,
				    .m2w = link_delay(d),
				    .w2m = link_delay(d),
				    .d_max_ns = d};
	const struct tt_hb_event ev = {.type = TT_HB_EV_SET_TIMERS,
				       .timers = {.desired_min_tx_us = 3000,
						  .required_min_rx_us = 2000,
						  .detect_mult = 3}};
	struct hb_pair *p = pair_create(&sc);
	uint64_t w_finals, w_polls;
	tt_ns_t tc, last_rx;

	run_to_steady(p, tp);
	w_finals = tt_hb_counters(&p->w.sess)->tx_finals;
	w_polls = tt_hb_counters(&p->w.sess)->polls_started;
	assert_int_equal(p->m.rec.poll_done_count, 1);
	assert_int_equal(tt_hb_endpoint_apply(&p->m, &ev), 0);
	assert_true(tt_hb_poll_active(&p->m.sess));
	/* §6.8.3: the slower TX waits for the Final; a higher RX applies at once. */
	assert_int_equal(tt_hb_tx_interval_ns(&p->m.sess), TT_NS_PER_MS);
	assert_int_equal(tt_hb_detect_time_ns(&p->m.sess), 6 * TT_NS_PER_MS);

	assert_true(tt_netsim_run_until(p->sim, tp + TT_NS_PER_MS + 2 * d) >= 0);
	assert_false(tt_hb_poll_active(&p->m.sess));
	assert_int_equal(p->m.rec.poll_done_count, 2);
	assert_true(p->m.rec.last_poll_done_ns > tp + 2 * d);
	assert_true(p->m.rec.last_poll_done_ns <= tp + TT_NS_PER_MS + 2 * d);
	assert_true(tt_hb_counters(&p->w.sess)->tx_finals > w_finals);
	assert_int_equal(tt_hb_counters(&p->w.sess)->polls_started, w_polls);
	assert_int_equal(tt_hb_detect_time_ns(&p->w.sess), 9 * TT_NS_PER_MS);
	assert_int_equal(tt_hb_tx_interval_ns(&p->w.sess), 2 * TT_NS_PER_MS);
	assert_int_equal(tt_hb_detect_time_ns(&p->m.sess), 6 * TT_NS_PER_MS);
	assert_int_equal(tt_hb_tx_interval_ns(&p->m.sess), 3 * TT_NS_PER_MS);

	tc = tp + 10 * TT_NS_PER_MS;
	assert_int_equal(tt_netsim_schedule_fault(p->sim, tc, TT_NETSIM_FAULT_LINK_CUT,
						  (uint32_t)(cut_m2w ? p->m2w : p->w2m)),
			 0);
	assert_true(tt_netsim_run_until(p->sim, tc + 20 * TT_NS_PER_MS) >= 0);
	if (cut_m2w) {
		last_rx = p->w.rec.last_rx_ok_ns;
		assert_true(last_rx <= tc && last_rx + 3 * TT_NS_PER_MS + d >= tc);
		assert_int_equal(p->w.rec.detect_count, 1);
		assert_int_equal(p->w.rec.last_detect_ns, last_rx + 9 * TT_NS_PER_MS);
	} else {
		last_rx = p->m.rec.last_rx_ok_ns;
		assert_true(last_rx <= tc && last_rx + 2 * TT_NS_PER_MS + d >= tc);
		assert_int_equal(p->m.rec.detect_count, 1);
		assert_int_equal(p->m.rec.last_detect_ns, last_rx + 6 * TT_NS_PER_MS);
	}
	assert_true(tt_netsim_run_until(p->sim, 5 * TT_NS_PER_S) >= 0);
	assert_int_equal(p->w.rec.fence_count, 1);
	assert_int_equal(p->m.rec.dead_count, 1);
	assert_true(p->w.rec.first_fence_ns < p->m.rec.first_dead_ns);
	assert_clean(p);
	pair_destroy(p);
}

static void test_poll_final_timer_change(void **state)
{
	(void)state;
	poll_case(true);
	poll_case(false);
}

/* ---- the invariant: every fence before its worker-dead ------------------------------------- */

/*
 * From the log: the worker's Up periods [ws, we) (we = its fence, or open) and
 * the master's [ms, me). Every master Up period that ended must be followed by
 * a WORKER_DEAD at some t >= me, and every worker Up period that overlapped
 * the master's must have ended with a fence strictly before that t: the
 * worker stopped before the master reschedules. Also: the worker fences
 * exactly when it leaves Up, the master never fences, the worker never
 * declares anyone dead. Returns NULL or what broke.
 */
static const char *check_fence_before_dead(const struct hb_pair *p, bool all_ended)
{
	tt_ns_t ws = 0, ms = 0;
	bool w_up = false, m_up = false;
	size_t wi = 0, mi = 0;
	/* static: two log-sized tables are too big for the stack; the tests are single-threaded */
	static struct {
		tt_ns_t s, e;
		bool open;
	} wper[LOG_MAX], mper[LOG_MAX];

	for (size_t i = 0; i < p->n_log; i++) {
		const struct log_ent *e = &p->log[i];

		if (e->who == WORKER) {
			if (e->kind == L_DEAD)
				return "worker declared worker-dead";
			if (e->kind == L_UP) {
				w_up = true;
				ws = e->at;
			} else if (e->kind == L_LEAVE) {
				/* hook order: FENCE then LEAVE of the same step */
				if (i == 0 || p->log[i - 1].kind != L_FENCE ||
				    p->log[i - 1].who != WORKER || p->log[i - 1].at != e->at)
					return "worker left Up without a fence";
				if (!w_up)
					return "worker left Up while not Up";
				w_up = false;
				wper[wi].s = ws;
				wper[wi].e = e->at;
				wper[wi++].open = false;
			} else if (e->kind == L_FENCE) {
				if (i + 1 == p->n_log || p->log[i + 1].kind != L_LEAVE)
					return "worker fenced without leaving Up";
			}
		} else {
			if (e->kind == L_FENCE)
				return "master fenced";
			if (e->kind == L_UP) {
				m_up = true;
				ms = e->at;
			} else if (e->kind == L_LEAVE) {
				if (!m_up)
					return "master left Up while not Up";
				m_up = false;
				mper[mi].s = ms;
				mper[mi].e = e->at;
				mper[mi++].open = false;
			}
		}
	}
	if (w_up) {
		wper[wi].s = ws;
		wper[wi].e = 0;
		wper[wi++].open = true;
	}
	for (size_t k = 0; k < mi; k++) {
		tt_ns_t dead = 0;
		bool found = false;

		for (size_t i = 0; i < p->n_log && !found; i++) {
			if (p->log[i].who == MASTER && p->log[i].kind == L_DEAD &&
			    p->log[i].at >= mper[k].e) {
				dead = p->log[i].at;
				found = true;
			}
		}
		if (!found) {
			if (all_ended)
				return "a master Up period never produced worker-dead";
			continue;
		}
		for (size_t j = 0; j < wi; j++) {
			bool overlap =
				wper[j].s < mper[k].e && (wper[j].open || wper[j].e > mper[k].s);

			if (overlap && (wper[j].open || wper[j].e >= dead))
				return "worker-dead while the worker was not yet fenced";
		}
	}
	return NULL;
}

static void count_log(const struct hb_pair *p, enum who who, enum log_kind kind, size_t *n,
		      tt_ns_t *first)
{
	*n = 0;
	for (size_t i = 0; i < p->n_log; i++) {
		if (p->log[i].who == who && p->log[i].kind == kind) {
			if ((*n)++ == 0)
				*first = p->log[i].at;
		}
	}
}

/* ---- the policy sweep ---------------------------------------------------------------------- */

enum fault_way { DISCONNECT_MASTER, DISCONNECT_WORKER, CUT_M2W, CUT_W2M, FAULT_WAYS };

static const char *const fault_way_names[] = {"disconnect-master", "disconnect-worker",
					      "cut-master-to-worker", "cut-worker-to-master"};

static struct tt_hb_policy_input policy_input(const struct scenario *sc)
{
	return (struct tt_hb_policy_input){
		.master = {sc->mt.desired_min_tx_us, sc->mt.required_min_rx_us, sc->mt.detect_mult},
		.worker = {sc->wt.desired_min_tx_us, sc->wt.required_min_rx_us, sc->wt.detect_mult},
		.d_max_ns = sc->d_max_ns,
		.granularity_ns = sc->g_ns,
	};
}

struct fault_result {
	tt_ns_t t_fault;
	tt_ns_t fence;
	tt_ns_t dead;
	tt_ns_t master_leave;
};

/*
 * One accepted setting, one fault at a seed-chosen instant in steady state:
 * exactly one fence and one worker-dead, fence < dead, and both in time. The
 * fence comes within T2 + d_max + g of the fault (the worker's own detection),
 * or T1 + d_max + g when only worker->master is cut (the master's Down tells
 * it). Worker-dead comes within T1 + T2 + 2 d_max + 3 g of the fault, unless
 * the master's bring-up Init packets, which advertised the slow rate, still
 * hold it: until Up + Detect Mult x max(worker RX, slow TX) + d_max + 2 g.
 */
static struct fault_result run_fault(const struct scenario *sc, enum fault_way way)
{
	struct tt_hb_policy_input in = policy_input(sc);
	struct tt_hb_policy_times t;
	struct hb_pair *p = pair_create(sc);
	struct fault_result r = {0};
	tt_ns_t steady, slow = TT_NS_PER_S, imax, fence_max, dead_max, init_hold;
	size_t n_fence, n_dead, n_leave;
	const char *why;

	assert_int_equal(tt_hb_policy_compute(&in, &t, NULL, 0), 0);
	imax = t.interval_ns > t.worker_interval_ns ? t.interval_ns : t.worker_interval_ns;
	/* Up after 2 delays; the bring-up Poll ends within an interval + 2 delays. */
	steady = 4 * sc->d_max_ns + 3 * imax + 4 * sc->g_ns;
	run_to_steady(p, steady);
	r.t_fault = steady + tt_netsim_rand_upto(p->sim, imax);
	assert_true(tt_netsim_run_until(p->sim, r.t_fault) >= 0);
	switch (way) {
	case DISCONNECT_MASTER:
		apply(&p->m, TT_HB_EV_DISCONNECT);
		break;
	case DISCONNECT_WORKER:
		apply(&p->w, TT_HB_EV_DISCONNECT);
		break;
	case CUT_M2W:
		assert_int_equal(
			tt_netsim_schedule_fault(p->sim, r.t_fault, TT_NETSIM_FAULT_LINK_CUT, 0),
			0);
		break;
	case CUT_W2M:
		assert_int_equal(
			tt_netsim_schedule_fault(p->sim, r.t_fault, TT_NETSIM_FAULT_LINK_CUT, 1),
			0);
		break;
	case FAULT_WAYS:
		fail();
	}
	/* Long enough for both timeouts, whatever was last advertised (the slow rate too). */
	assert_true(tt_netsim_run_until(p->sim, r.t_fault + 2 * (t.t1_ns + t.t2_ns) +
							4 * sc->d_max_ns + 4 * sc->g_ns +
							20 * slow) >= 0);

	count_log(p, WORKER, L_FENCE, &n_fence, &r.fence);
	count_log(p, MASTER, L_DEAD, &n_dead, &r.dead);
	count_log(p, MASTER, L_LEAVE, &n_leave, &r.master_leave);
	why = check_fence_before_dead(p, true);
	fence_max = r.t_fault + (way == CUT_W2M ? t.t1_ns : t.t2_ns) + sc->d_max_ns + sc->g_ns;
	dead_max = r.t_fault + t.t1_ns + t.t2_ns + 2 * sc->d_max_ns + 3 * sc->g_ns;
	init_hold = p->m.rec.first_up_ns +
		    sc->mt.detect_mult *
			    tt_us_to_ns(sc->wt.required_min_rx_us > TT_NS_PER_S / TT_NS_PER_US
						? sc->wt.required_min_rx_us
						: TT_NS_PER_S / TT_NS_PER_US) +
		    sc->d_max_ns + 2 * sc->g_ns;
	if (init_hold > dead_max)
		dead_max = init_hold;
	if (n_fence != 1 || n_dead != 1 || n_leave != 1 || why != NULL || !(r.fence < r.dead) ||
	    r.fence > fence_max || r.dead > dead_max)
		fail_msg("%s seed %" PRIu64 " master %u/%u/%u worker %u/%u/%u d %" PRIu64
			 " jitter %" PRIu64 " g %" PRIu64 ": fault %" PRIu64
			 " fences %zu at %" PRIu64 " deads %zu at %" PRIu64 " T1 %" PRIu64
			 " T2 %" PRIu64 ": %s",
			 fault_way_names[way], sc->seed, sc->mt.desired_min_tx_us,
			 sc->mt.required_min_rx_us, sc->mt.detect_mult, sc->wt.desired_min_tx_us,
			 sc->wt.required_min_rx_us, sc->wt.detect_mult, sc->m2w.delay_ns,
			 sc->m2w.jitter_ns, sc->g_ns, r.t_fault, n_fence, r.fence, n_dead, r.dead,
			 t.t1_ns, t.t2_ns, why ? why : "ordering or bound");
	assert_clean(p);
	pair_destroy(p);
	return r;
}

static const uint32_t sweep_intervals_us[] = {100, 1000, 10000, 100000};
#define N_SWEEP_INTERVALS (sizeof(sweep_intervals_us) / sizeof(sweep_intervals_us[0]))

/*
 * Intervals 100 µs..100 ms, Detect Mults 1..10 each side, two delays per
 * interval (with and without jitter). Each side transmits at its own interval
 * and both accept the faster one, so the two directions differ: I (worker to
 * master) is the worker's, I_w the master's. Settings the policy
 * refuses are refused with a message; the accepted ones are run with each
 * fault way. With a fixed delay, the master's own detection (T1 path) also
 * comes strictly after the fence when the fault silences both directions at
 * once (a disconnect): that is what the policy rule itself promises.
 */
static void test_policy_sweep(void **state)
{
	(void)state;
	unsigned int accepted = 0, refused = 0, runs = 0;
	char msg[1024];

	for (size_t a = 0; a < N_SWEEP_INTERVALS; a++) {
		for (size_t b = 0; b < N_SWEEP_INTERVALS; b++) {
			for (int dv = 0; dv < 2; dv++) {
				uint32_t im = sweep_intervals_us[a], iw = sweep_intervals_us[b];
				uint32_t ismall = im < iw ? im : iw;
				tt_ns_t delay = tt_us_to_ns(ismall) / (dv ? 2 : 10);
				/*
				 * Jitter below 10% of the interval: with Detect Mult 1 a
				 * packet may come 90% of an interval after the previous one
				 * (RFC 5880 §6.8.7), so more arrival jitter than the other
				 * 10% makes plain false positives, which the lossy test
				 * covers; here every run must have one Up period.
				 */
				tt_ns_t jitter = dv ? delay / 8 : 0;

				for (uint8_t mm = 1; mm <= 10; mm++) {
					for (uint8_t wm = 1; wm <= 10; wm++) {
						struct scenario sc = {
							.seed = runs + 1,
							.mt = {im, ismall, mm},
							.wt = {iw, ismall, wm},
							.m2w = {.delay_ns = delay,
								.jitter_ns = jitter},
							.w2m = {.delay_ns = delay,
								.jitter_ns = jitter},
							.d_max_ns = delay + jitter,
							.g_ns = tt_us_to_ns(ismall) / 20,
						};
						struct tt_hb_policy_input in = policy_input(&sc);

						if (tt_hb_policy_check(&in, msg, sizeof(msg)) !=
						    0) {
							assert_memory_equal(msg, "refused", 7);
							refused++;
							continue;
						}
						assert_memory_equal(msg, "ok", 2);
						accepted++;
						for (int way = 0; way < FAULT_WAYS; way++) {
							struct fault_result r;

							sc.seed = ++runs;
							r = run_fault(&sc, (enum fault_way)way);
							if (jitter == 0 && way <= DISCONNECT_WORKER)
								assert_true(r.fence <
									    r.master_leave);
						}
					}
				}
			}
		}
	}
	print_message("# policy sweep: %u settings accepted, %u refused, %u fault runs\n", accepted,
		      refused, runs);
	/* The sweep saw both sides of the rule. */
	assert_true(accepted > 500);
	assert_true(refused > 500);
	assert_int_equal(runs, accepted * FAULT_WAYS);
}

/* Refused settings are refused, and the message names the numbers and a fix. */
static void test_policy_refuses(void **state)
{
	(void)state;
	const struct scenario bad[] = {
		/* equal Detect Mults: T1 = T2 */
		{.mt = {1000, 1000, 3}, .wt = {1000, 1000, 3}, .d_max_ns = 10000, .g_ns = 1000},
		/* one apart: T1 = T2 + I, nothing left for d_max + g */
		{.mt = {1000, 1000, 3}, .wt = {1000, 1000, 4}, .d_max_ns = 1, .g_ns = 0},
		/* master slower than the worker */
		{.mt = {1000, 1000, 5}, .wt = {1000, 1000, 2}, .d_max_ns = 0, .g_ns = 0},
		/* enough mults, too much delay */
		{.mt = {100, 100, 1}, .wt = {100, 100, 4}, .d_max_ns = 200000, .g_ns = 1000},
	};
	const struct scenario good = {
		.mt = {1000, 1000, 3}, .wt = {1000, 1000, 5}, .d_max_ns = 500000, .g_ns = 100000};
	char msg[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tt_hb_policy_input in = policy_input(&bad[i]);

		assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
		assert_non_null(strstr(msg, "refused"));
		assert_non_null(strstr(msg, "T1 ="));
		assert_non_null(strstr(msg, "Fix:"));
	}
	{
		struct tt_hb_policy_input in = policy_input(&good);

		assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
		assert_non_null(strstr(msg, "ok"));
	}
}

/* ---- many seeds with loss ------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb3f91a3d3a3bull;
	return x ^ (x >> 33);
}

/*
 * A seed picks everything: intervals, Detect Mults the policy accepts, delay,
 * jitter, reordering (counted in d_max), duplication, and loss per direction
 * (often only one way). Then a bring-up under that loss, a long stretch where
 * the sessions may flap, a fault, and the invariant over the whole run.
 */
static void make_lossy_scenario(uint64_t seed, struct scenario *sc, enum fault_way *way)
{
	static const uint32_t loss_ppm[] = {0, 0, 10000, 100000, 300000};
	uint64_t r = mix64(seed + 0x5eed);
	uint32_t i_us = sweep_intervals_us[r % 3];
	tt_ns_t delay = tt_us_to_ns(i_us) / (2 + (r >> 8) % 8);
	tt_ns_t jitter = delay / (1 + (r >> 16) % 4);
	tt_ns_t reorder = (r >> 20) % 2 ? delay / 2 + 1 : 0;
	char msg[512];

	memset(sc, 0, sizeof(*sc));
	sc->seed = seed;
	sc->g_ns = tt_us_to_ns(i_us) / (5 + (r >> 24) % 20);
	sc->m2w = (struct tt_netsim_link_params){.delay_ns = delay,
						 .jitter_ns = jitter,
						 .loss_ppm = loss_ppm[(r >> 28) % 5],
						 .dup_ppm = (r >> 32) % 2 ? 20000 : 0,
						 .reorder_ppm = reorder ? 50000 : 0,
						 .reorder_ns = reorder};
	sc->w2m = sc->m2w;
	sc->w2m.loss_ppm = loss_ppm[(r >> 36) % 5];
	sc->d_max_ns = delay + jitter + reorder;
	for (uint64_t k = 0;; k++) {
		uint64_t q = mix64(r + k);
		struct tt_hb_policy_input in;

		sc->mt = (struct tt_hb_timers){i_us, i_us, (uint8_t)(1 + q % 5)};
		sc->wt = (struct tt_hb_timers){i_us, i_us, (uint8_t)(1 + (q >> 8) % 10)};
		in = policy_input(sc);
		if (tt_hb_policy_check(&in, msg, sizeof(msg)) == 0)
			break;
		assert_true(k < 1000);
	}
	*way = (enum fault_way)((r >> 40) % FAULT_WAYS);
}

struct lossy_totals {
	uint64_t fences;
	uint64_t deads;
	uint64_t flapped_runs; /* runs with more than one Up period */
	uint64_t lost;
	uint64_t dups;
	uint64_t reordered;
};

static void run_lossy_seed(uint64_t seed, struct lossy_totals *tot, uint64_t *hash)
{
	struct scenario sc;
	enum fault_way way;
	struct hb_pair *p;
	struct tt_hb_policy_input in;
	struct tt_hb_policy_times t;
	struct tt_netsim_link_stats st;
	tt_ns_t t_fault;
	const char *why;
	size_t n_up, n;
	tt_ns_t first;

	make_lossy_scenario(seed, &sc, &way);
	in = policy_input(&sc);
	assert_int_equal(tt_hb_policy_compute(&in, &t, NULL, 0), 0);
	p = pair_create(&sc);
	/* Up to ~300 intervals of lossy operation, then the fault, then quiet until both ends
	 * timed out whatever was last advertised (slow rate included). */
	t_fault = 50 * t.interval_ns + tt_netsim_rand_upto(p->sim, 250 * t.interval_ns);
	assert_true(tt_netsim_run_until(p->sim, t_fault) >= 0);
	switch (way) {
	case DISCONNECT_MASTER:
		apply(&p->m, TT_HB_EV_DISCONNECT);
		break;
	case DISCONNECT_WORKER:
		apply(&p->w, TT_HB_EV_DISCONNECT);
		break;
	case CUT_M2W:
	case CUT_W2M:
		assert_int_equal(tt_netsim_schedule_fault(p->sim, t_fault, TT_NETSIM_FAULT_LINK_CUT,
							  way == CUT_M2W ? 0 : 1),
				 0);
		break;
	case FAULT_WAYS:
		fail();
	}
	assert_true(tt_netsim_run_until(p->sim,
					t_fault + 2 * (t.t1_ns + t.t2_ns) + 30 * TT_NS_PER_S) >= 0);

	why = check_fence_before_dead(p, true);
	if (why == NULL && tt_hb_state(&p->w.sess) == TT_HB_S_UP)
		why = "worker still Up after the fault";
	if (why == NULL && tt_hb_state(&p->m.sess) == TT_HB_S_UP)
		why = "master still Up after the fault";
	if (why != NULL)
		fail_msg("seed %" PRIu64 " (%s, loss m2w %u w2m %u ppm, T1 %" PRIu64 " T2 %" PRIu64
			 "): %s\nreplay: TT_SIM_SEED=%" PRIu64 " tests/sim/hb_pair_test",
			 seed, fault_way_names[way], sc.m2w.loss_ppm, sc.w2m.loss_ppm, t.t1_ns,
			 t.t2_ns, why, seed);
	assert_clean(p);
	count_log(p, WORKER, L_FENCE, &n, &first);
	tot->fences += n;
	count_log(p, MASTER, L_DEAD, &n, &first);
	tot->deads += n;
	count_log(p, MASTER, L_UP, &n_up, &first);
	tot->flapped_runs += n_up > 1;
	for (uint32_t l = 0; l < 2; l++) {
		assert_int_equal(tt_netsim_link_stats(p->sim, l, &st), 0);
		tot->lost += st.lost;
		tot->dups += st.dup;
		tot->reordered += st.reordered;
	}
	*hash = tt_netsim_trace_hash(p->sim);
	pair_destroy(p);
}

#define LOSSY_SEEDS 600

static void test_lossy_seeds(void **state)
{
	(void)state;
	struct lossy_totals tot = {0};
	const char *only = getenv("TT_SIM_SEED");
	uint64_t h;

	if (only != NULL) {
		run_lossy_seed(strtoull(only, NULL, 0), &tot, &h);
		return;
	}
	for (uint64_t seed = 1; seed <= LOSSY_SEEDS; seed++)
		run_lossy_seed(seed, &tot, &h);
	print_message("# lossy seeds: %d, fences %" PRIu64 ", worker-deads %" PRIu64
		      ", runs with flaps %" PRIu64 ", packets lost %" PRIu64 ", duplicated %" PRIu64
		      ", reordered %" PRIu64 "\n",
		      LOSSY_SEEDS, tot.fences, tot.deads, tot.flapped_runs, tot.lost, tot.dups,
		      tot.reordered);
	/* Not vacuous: faults happened, sessions flapped under loss, every impairment was used. */
	assert_true(tot.fences >= LOSSY_SEEDS / 2);
	assert_true(tot.deads >= LOSSY_SEEDS / 2);
	assert_true(tot.flapped_runs > 20);
	assert_true(tot.lost > 0 && tot.dups > 0 && tot.reordered > 0);
}

/* A seed replays: same trace hash twice, another seed differs. */
static void test_lossy_replay(void **state)
{
	(void)state;
	struct lossy_totals tot = {0};
	uint64_t h1, h2, h3;

	run_lossy_seed(77, &tot, &h1);
	run_lossy_seed(77, &tot, &h2);
	run_lossy_seed(78, &tot, &h3);
	assert_int_equal(h1, h2);
	assert_true(h1 != h3);
}

/* The checker itself catches a worker-dead before the fence (hand-made logs). */
static void test_checker_catches(void **state)
{
	(void)state;
	struct hb_pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	/* Fence at the same instant as worker-dead: not strictly before. */
	log_put(p, WORKER, L_UP, 100);
	log_put(p, MASTER, L_UP, 110);
	log_put(p, MASTER, L_LEAVE, 500);
	log_put(p, MASTER, L_DEAD, 600);
	log_put(p, WORKER, L_FENCE, 600);
	log_put(p, WORKER, L_LEAVE, 600);
	assert_non_null(check_fence_before_dead(p, true));

	/* One ns earlier: fine. */
	p->n_log = 0;
	log_put(p, WORKER, L_UP, 100);
	log_put(p, MASTER, L_UP, 110);
	log_put(p, MASTER, L_LEAVE, 500);
	log_put(p, WORKER, L_FENCE, 599);
	log_put(p, WORKER, L_LEAVE, 599);
	log_put(p, MASTER, L_DEAD, 600);
	assert_null(check_fence_before_dead(p, true));
	/* Without the worker-dead: an error only if every period must have ended. */
	p->n_log = 5;
	assert_non_null(check_fence_before_dead(p, true));
	assert_null(check_fence_before_dead(p, false));

	/* Worker still Up, never fenced, when the master declares it dead. */
	p->n_log = 0;
	log_put(p, WORKER, L_UP, 100);
	log_put(p, MASTER, L_UP, 110);
	log_put(p, MASTER, L_LEAVE, 500);
	log_put(p, MASTER, L_DEAD, 900);
	assert_non_null(check_fence_before_dead(p, true));

	/* A worker Up period that began after the master left Up is not the dead one's. */
	p->n_log = 0;
	log_put(p, WORKER, L_UP, 100);
	log_put(p, MASTER, L_UP, 110);
	log_put(p, MASTER, L_LEAVE, 500);
	log_put(p, WORKER, L_FENCE, 550);
	log_put(p, WORKER, L_LEAVE, 550);
	log_put(p, WORKER, L_UP, 700);
	log_put(p, MASTER, L_DEAD, 900);
	assert_null(check_fence_before_dead(p, true));

	/* Leaving Up without a fence; fencing without leaving; roles swapped. */
	p->n_log = 0;
	log_put(p, WORKER, L_UP, 100);
	log_put(p, WORKER, L_LEAVE, 200);
	assert_non_null(check_fence_before_dead(p, true));
	p->n_log = 0;
	log_put(p, WORKER, L_UP, 100);
	log_put(p, WORKER, L_FENCE, 200);
	assert_non_null(check_fence_before_dead(p, true));
	p->n_log = 0;
	log_put(p, MASTER, L_FENCE, 200);
	assert_non_null(check_fence_before_dead(p, true));
	p->n_log = 0;
	log_put(p, WORKER, L_DEAD, 200);
	assert_non_null(check_fence_before_dead(p, true));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bring_up_time),
		cmocka_unit_test(test_bring_up_three_way),
		cmocka_unit_test(test_detection_exact),
		cmocka_unit_test(test_detection_on_grid),
		cmocka_unit_test(test_poll_final_timer_change),
		cmocka_unit_test(test_checker_catches),
		cmocka_unit_test(test_policy_refuses),
		cmocka_unit_test(test_policy_sweep),
		cmocka_unit_test(test_lossy_seeds),
		cmocka_unit_test(test_lossy_replay),
	};

	return cmocka_run_group_tests_name("sim_hb_pair", tests, NULL, NULL);
}
