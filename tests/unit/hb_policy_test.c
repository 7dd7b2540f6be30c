/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tether's timing rule T1 > T2 + I + d_max + g (engine/hb_policy.c):
 * accepted and refused settings with their exact messages, the suggested
 * fixes (each of which must then pass), range checks, and agreement of T1/T2
 * with the detection times two live sessions actually use.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hb_fsm.h"
#include "hb_policy.h"

#define US TT_NS_PER_US

/* Both ends at interval_us both ways. */
static struct tt_hb_policy_input input(uint64_t interval_us, uint64_t master_mult,
				       uint64_t worker_mult, tt_ns_t d_max_ns, tt_ns_t g_ns)
{
	struct tt_hb_policy_input in;

	memset(&in, 0, sizeof(in));
	in.master.desired_min_tx_us = interval_us;
	in.master.required_min_rx_us = interval_us;
	in.master.detect_mult = master_mult;
	in.worker.desired_min_tx_us = interval_us;
	in.worker.required_min_rx_us = interval_us;
	in.worker.detect_mult = worker_mult;
	in.d_max_ns = d_max_ns;
	in.granularity_ns = g_ns;
	return in;
}

static void test_accepted(void **state)
{
	struct tt_hb_policy_input in = input(1000, 3, 5, 50 * US, 10 * US);
	struct tt_hb_policy_times t;
	char msg[512];

	(void)state;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "ok: T1 = 5000 us > T2 + I + d_max + g = 3000 + 1000 + 50 + 10 = "
				 "4060 us (margin 940 us)");
	assert_int_equal(tt_hb_policy_compute(&in, &t, msg, sizeof(msg)), 0);
	assert_int_equal(t.interval_ns, 1000 * US);
	assert_int_equal(t.worker_interval_ns, 1000 * US);
	assert_int_equal(t.t1_ns, 5000 * US);
	assert_int_equal(t.t2_ns, 3000 * US);
	assert_int_equal(t.bound_ns, 4060 * US);
	assert_string_equal(msg, "");
}

static void test_refused_mults(void **state)
{
	struct tt_hb_policy_input in = input(1000, 3, 3, 50 * US, 10 * US);
	char msg[1024];

	(void)state;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(
		msg,
		"refused: T1 > T2 + I + d_max + g does not hold: "
		"T1 = worker detect_mult 3 x I 1000 us = 3000 us; "
		"T2 = master detect_mult 3 x I_w 1000 us = 3000 us; "
		"I = max(worker desired_min_tx 1000, master required_min_rx 1000) = 1000 us; "
		"I_w = max(master desired_min_tx 1000, worker required_min_rx 1000) = 1000 us; "
		"d_max = 50 us; g = 10 us; T2 + I + d_max + g = 4060 us >= T1 = 3000 us. "
		"Fix: raise worker detect_mult to at least 5 or lower master detect_mult to "
		"at most 1.");
	/* the fixes work, and they are the tightest ones */
	in.worker.detect_mult = 5;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
	in.worker.detect_mult = 4;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	in.worker.detect_mult = 3;
	in.master.detect_mult = 1;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
}

/* When the Detect Mults leave room, raising the shared interval is offered too. */
static void test_refused_interval_fix(void **state)
{
	struct tt_hb_policy_input in = input(100, 3, 5, 100 * US, 10 * US);
	char msg[1024];
	const char *fix;

	(void)state;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	fix = strstr(msg, " Fix:");
	assert_non_null(fix);
	assert_string_equal(fix, " Fix: raise worker detect_mult to at least 6 or lower master "
				 "detect_mult to at most 2 or raise the interval (desired_min_tx "
				 "and required_min_rx on both sides) to at least 111 us.");
	assert_non_null(strstr(msg, "T2 + I + d_max + g = 510 us >= T1 = 500 us."));
	in = input(111, 3, 5, 100 * US, 10 * US);
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
	in = input(110, 3, 5, 100 * US, 10 * US);
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	in = input(100, 2, 5, 100 * US, 10 * US);
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
	in = input(100, 3, 6, 100 * US, 10 * US);
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
}

/* Strictly greater: equality is refused, one ns less delay is accepted. */
static void test_boundary(void **state)
{
	struct tt_hb_policy_input in = input(1000, 3, 5, 990 * US, 10 * US);
	char msg[1024];

	(void)state;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "T2 + I + d_max + g = 5000 us >= T1 = 5000 us."));
	in.d_max_ns = 990 * US - 1;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "ok: T1 = 5000 us > T2 + I + d_max + g = 3000 + 1000 + 989.999 + "
				 "10 = 4999.999 us (margin 0.001 us)");
}

/* Different intervals each way: I is worker->master, I_w master->worker. */
static void test_asymmetric(void **state)
{
	struct tt_hb_policy_input in;
	struct tt_hb_policy_times t;
	char msg[1024];

	(void)state;
	memset(&in, 0, sizeof(in));
	in.worker = (struct tt_hb_policy_side){
		.desired_min_tx_us = 2000, .required_min_rx_us = 800, .detect_mult = 3};
	in.master = (struct tt_hb_policy_side){
		.desired_min_tx_us = 500, .required_min_rx_us = 1000, .detect_mult = 4};
	in.d_max_ns = 100 * US;
	in.granularity_ns = 10 * US;
	assert_int_equal(tt_hb_policy_compute(&in, &t, msg, sizeof(msg)), 0);
	assert_int_equal(t.interval_ns, 2000 * US);
	assert_int_equal(t.worker_interval_ns, 800 * US);
	assert_int_equal(t.t1_ns, 6000 * US);
	assert_int_equal(t.t2_ns, 3200 * US);
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "ok: T1 = 6000 us > T2 + I + d_max + g = 3200 + 2000 + 100 + 10 = "
				 "5310 us (margin 690 us)");
	/* refused: no interval fix offered when the two directions differ */
	in.master.detect_mult = 5;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "I_w = max(master desired_min_tx 500, worker required_min_rx "
				    "800) = 800 us;"));
	assert_non_null(strstr(msg, " Fix: raise worker detect_mult to at least 4 or lower master "
				    "detect_mult to at most 4."));
}

static void test_no_single_fix(void **state)
{
	struct tt_hb_policy_input in = input(1000, 1, 1, 1000 * TT_NS_PER_MS, 10 * US);
	char msg[1024];
	const char *fix;

	(void)state;
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	fix = strstr(msg, " Fix:");
	assert_non_null(fix);
	assert_string_equal(fix, " Fix: no single detect_mult change is enough; lower d_max or g, "
				 "or change both detect_mults and the intervals.");
}

static void expect_range(struct tt_hb_policy_input in, const char *want)
{
	char msg[256];
	struct tt_hb_policy_times t;

	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, want);
	assert_int_equal(tt_hb_policy_compute(&in, &t, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, want);
}

static void test_ranges(void **state)
{
	struct tt_hb_policy_input in;

	(void)state;
	in = input(1000, 0, 5, 0, 0);
	expect_range(in, "master detect_mult is 0; allowed 1..255");
	in = input(1000, 3, 256, 0, 0);
	expect_range(in, "worker detect_mult is 256; allowed 1..255");
	in = input(1000, 3, 5, 0, 0);
	in.worker.desired_min_tx_us = 0;
	expect_range(in, "worker desired_min_tx is 0 us; allowed 1..4294967295 us");
	in = input(1000, 3, 5, 0, 0);
	in.master.required_min_rx_us = 4294967296ull;
	expect_range(in, "master required_min_rx is 4294967296 us; allowed 1..4294967295 us");
	in = input(1000, 3, 5, TT_HB_POLICY_DELAY_MAX_NS + 1000, 0);
	expect_range(in, "d_max is 3600000001 us; allowed 0..3600000000 us");
	in = input(1000, 3, 5, 0, TT_HB_POLICY_DELAY_MAX_NS + 500);
	expect_range(in, "granularity is 3600000000.500 us; allowed 0..3600000000 us");
	/* extremes inside the ranges do not overflow */
	in = input(4294967295ull, 254, 255, TT_HB_POLICY_DELAY_MAX_NS, TT_HB_POLICY_DELAY_MAX_NS);
	assert_int_equal(tt_hb_policy_check(&in, NULL, 0), -EINVAL);
	in = input(1, 1, 255, 0, 0);
	assert_int_equal(tt_hb_policy_check(&in, NULL, 0), 0);
}

static void test_message_buffer(void **state)
{
	struct tt_hb_policy_input in = input(1000, 3, 3, 50 * US, 10 * US);
	char msg[17];

	(void)state;
	memset(msg, 'x', sizeof(msg));
	assert_int_equal(tt_hb_policy_check(&in, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "refused: T1 > T2");
	assert_int_equal(tt_hb_policy_check(&in, NULL, 0), -EINVAL);
	memset(msg, 'x', sizeof(msg));
	assert_int_equal(tt_hb_policy_check(&in, msg, 1), -EINVAL);
	assert_int_equal(msg[0], '\0');
}

/*
 * Two live sessions with the policy's settings, wired back to back with no
 * delay until both Polls are done: the master's detection time is T1, the
 * worker's is T2, and the master's own estimate of T2 matches.
 */
static void run_live(const struct tt_hb_policy_input *in, tt_ns_t *t1, tt_ns_t *t2,
		     tt_ns_t *master_t2)
{
	struct tt_hb_config cm, cw;
	struct tt_hb_session m, w;
	struct tt_hb_actions o;
	tt_ns_t now = TT_NS_PER_S;

	memset(&cm, 0, sizeof(cm));
	cm.role = TT_HB_ROLE_MASTER;
	cm.local_disc = 1;
	cm.timers.desired_min_tx_us = (uint32_t)in->master.desired_min_tx_us;
	cm.timers.required_min_rx_us = (uint32_t)in->master.required_min_rx_us;
	cm.timers.detect_mult = (uint8_t)in->master.detect_mult;
	cw = cm;
	cw.role = TT_HB_ROLE_WORKER;
	cw.local_disc = 2;
	cw.timers.desired_min_tx_us = (uint32_t)in->worker.desired_min_tx_us;
	cw.timers.required_min_rx_us = (uint32_t)in->worker.required_min_rx_us;
	cw.timers.detect_mult = (uint8_t)in->worker.detect_mult;
	assert_int_equal(tt_hb_init(&m, &cm, now), 0);
	assert_int_equal(tt_hb_init(&w, &cw, now), 0);
	for (int i = 0; i < 400; i++) {
		struct tt_hb_session *from = &m, *to = &w, *tmp;
		tt_ns_t dm, dw;
		struct tt_bfd_ctrl p;

		/* event-driven: the session whose deadline comes first */
		assert_true(tt_hb_next_deadline(&m, &dm));
		assert_true(tt_hb_next_deadline(&w, &dw));
		if (tt_time_before(dw, dm)) {
			from = &w;
			to = &m;
			dm = dw;
		}
		if (tt_time_after(dm, now))
			now = dm;
		assert_int_equal(tt_hb_tick(from, now, &o), 0);
		assert_false(o.flags & TT_HB_A_DETECT_EXPIRED);
		/* deliver at once, and the answers to the answers */
		while (o.n_tx > 0) {
			p = o.tx[0];
			assert_int_equal(tt_hb_rx(to, &p, now, &o), 0);
			tmp = from;
			from = to;
			to = tmp;
		}
	}
	assert_int_equal(tt_hb_state(&m), TT_HB_S_UP);
	assert_int_equal(tt_hb_state(&w), TT_HB_S_UP);
	assert_false(tt_hb_poll_active(&m));
	assert_false(tt_hb_poll_active(&w));
	*t1 = tt_hb_detect_time_ns(&m);
	*t2 = tt_hb_detect_time_ns(&w);
	*master_t2 = tt_hb_t2_ns(&m);
}

static void test_matches_sessions(void **state)
{
	static const uint64_t intervals[][4] = {
		/* master tx, master rx, worker tx, worker rx (us) */
		{1000, 1000, 1000, 1000},
		{500, 2000, 800, 300},
		{20000, 100, 100, 50000},
	};
	static const uint64_t mults[][2] = {{3, 5}, {1, 4}, {2, 9}};
	unsigned int n = 0;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		for (unsigned int j = 0; j < 3; j++) {
			struct tt_hb_policy_input in = input(1, mults[j][0], mults[j][1], 0, 0);
			struct tt_hb_policy_times t;
			tt_ns_t t1, t2, mt2;

			in.master.desired_min_tx_us = intervals[i][0];
			in.master.required_min_rx_us = intervals[i][1];
			in.worker.desired_min_tx_us = intervals[i][2];
			in.worker.required_min_rx_us = intervals[i][3];
			assert_int_equal(tt_hb_policy_compute(&in, &t, NULL, 0), 0);
			run_live(&in, &t1, &t2, &mt2);
			assert_int_equal(t1, t.t1_ns);
			assert_int_equal(t2, t.t2_ns);
			assert_int_equal(mt2, t.t2_ns);
			n++;
		}
	}
	assert_int_equal(n, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused_mults),
		cmocka_unit_test(test_refused_interval_fix),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_asymmetric),
		cmocka_unit_test(test_no_single_fix),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_message_buffer),
		cmocka_unit_test(test_matches_sessions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
