/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tether's master/worker timing rule T1 > T2 + I + d_max + g (see
 * hb_policy.h for the derivation of each term).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "hb_policy.h"

/* A message under construction; appends never overflow, always terminated. */
struct msgbuf {
	char *buf;
	size_t len;
	size_t used;
};

__attribute__((format(printf, 2, 3))) static void put(struct msgbuf *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len == 0 || m->used >= m->len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->used, m->len - m->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	m->used += (size_t)n;
	if (m->used > m->len - 1)
		m->used = m->len - 1;
}

/* ns printed as µs: integral when exact, else with three decimals. */
struct us_str {
	char s[32];
};

static struct us_str us(tt_ns_t ns)
{
	struct us_str r;

	if (ns % TT_NS_PER_US == 0)
		snprintf(r.s, sizeof(r.s), "%" PRIu64, (uint64_t)(ns / TT_NS_PER_US));
	else
		snprintf(r.s, sizeof(r.s), "%" PRIu64 ".%03" PRIu64, (uint64_t)(ns / TT_NS_PER_US),
			 (uint64_t)(ns % TT_NS_PER_US));
	return r;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static bool check_mult(struct msgbuf *m, const char *who, uint64_t v)
{
	if (v >= TT_HB_POLICY_MULT_MIN && v <= TT_HB_POLICY_MULT_MAX)
		return true;
	put(m, "%s detect_mult is %" PRIu64 "; allowed %u..%u", who, v, TT_HB_POLICY_MULT_MIN,
	    TT_HB_POLICY_MULT_MAX);
	return false;
}

static bool check_interval(struct msgbuf *m, const char *who, const char *key, uint64_t v)
{
	if (v >= TT_HB_POLICY_INTERVAL_MIN_US && v <= TT_HB_POLICY_INTERVAL_MAX_US)
		return true;
	put(m, "%s %s is %" PRIu64 " us; allowed %llu..%llu us", who, key, v,
	    TT_HB_POLICY_INTERVAL_MIN_US, TT_HB_POLICY_INTERVAL_MAX_US);
	return false;
}

static bool check_delay(struct msgbuf *m, const char *key, tt_ns_t v)
{
	if (v <= TT_HB_POLICY_DELAY_MAX_NS)
		return true;
	put(m, "%s is %s us; allowed 0..%s us", key, us(v).s, us(TT_HB_POLICY_DELAY_MAX_NS).s);
	return false;
}

static bool check_side(struct msgbuf *m, const char *who, const struct tt_hb_policy_side *s)
{
	return check_mult(m, who, s->detect_mult) &&
	       check_interval(m, who, "desired_min_tx", s->desired_min_tx_us) &&
	       check_interval(m, who, "required_min_rx", s->required_min_rx_us);
}

int tt_hb_policy_compute(const struct tt_hb_policy_input *in, struct tt_hb_policy_times *out,
			 char *msg, size_t len)
{
	struct msgbuf m = {.buf = msg, .len = len};
	uint64_t i_us, iw_us;

	if (len > 0)
		msg[0] = '\0';
	if (!check_side(&m, "master", &in->master) || !check_side(&m, "worker", &in->worker) ||
	    !check_delay(&m, "d_max", in->d_max_ns) ||
	    !check_delay(&m, "granularity", in->granularity_ns))
		return -EINVAL;

	/* RFC 5880 §6.8.2: each direction's interval is the larger of the two ends' wishes. */
	i_us = max_u64(in->worker.desired_min_tx_us, in->master.required_min_rx_us);
	iw_us = max_u64(in->master.desired_min_tx_us, in->worker.required_min_rx_us);
	out->interval_ns = tt_us_to_ns(i_us);
	out->worker_interval_ns = tt_us_to_ns(iw_us);
	/* RFC 5880 §6.8.4: detection time = the remote's Detect Mult x that interval. */
	out->t1_ns = in->worker.detect_mult * out->interval_ns;
	out->t2_ns = in->master.detect_mult * out->worker_interval_ns;
	out->bound_ns = out->t2_ns + out->interval_ns + in->d_max_ns + in->granularity_ns;
	return 0;
}

/*
 * Append the ways to fix a refused setting: the smallest worker Detect Mult,
 * the largest master Detect Mult, and (when both directions share one
 * interval and the Detect Mults leave room) the smallest interval.
 */
static void put_fixes(struct msgbuf *m, const struct tt_hb_policy_input *in,
		      const struct tt_hb_policy_times *t)
{
	tt_ns_t slack_ns = in->d_max_ns + in->granularity_ns;
	uint64_t need_wm = t->bound_ns / t->interval_ns + 1; /* wm x I > bound */
	tt_ns_t room_ns =
		t->t1_ns > t->interval_ns + slack_ns ? t->t1_ns - t->interval_ns - slack_ns : 0;
	uint64_t max_mm =
		room_ns > 0 ? (room_ns - 1) / t->worker_interval_ns : 0; /* mm x I_w < room */
	uint64_t k = in->worker.detect_mult > in->master.detect_mult + 1
			     ? in->worker.detect_mult - in->master.detect_mult - 1
			     : 0;
	bool any = false;

	put(m, " Fix:");
	if (need_wm <= TT_HB_POLICY_MULT_MAX) {
		put(m, " raise worker detect_mult to at least %" PRIu64, need_wm);
		any = true;
	}
	if (max_mm >= TT_HB_POLICY_MULT_MIN) {
		put(m, "%s lower master detect_mult to at most %" PRIu64, any ? " or" : "", max_mm);
		any = true;
	}
	/*
	 * Same interval I both ways: T1 - T2 - I = k x I with k = wm - mm - 1,
	 * so k x I > d_max + g needs I > (d_max + g) / k.
	 */
	if (k > 0 && t->interval_ns == t->worker_interval_ns) {
		uint64_t min_i_us = slack_ns / (k * TT_NS_PER_US) + 1;

		if (min_i_us <= TT_HB_POLICY_INTERVAL_MAX_US) {
			put(m,
			    "%s raise the interval (desired_min_tx and required_min_rx on both "
			    "sides) to at least %" PRIu64 " us",
			    any ? " or" : "", min_i_us);
			any = true;
		}
	}
	if (!any)
		put(m, " no single detect_mult change is enough; lower d_max or g, or change "
		       "both detect_mults and the intervals");
	put(m, ".");
}

int tt_hb_policy_check(const struct tt_hb_policy_input *in, char *msg, size_t len)
{
	struct msgbuf m = {.buf = msg, .len = len};
	struct tt_hb_policy_times t;
	int rc;

	rc = tt_hb_policy_compute(in, &t, msg, len);
	if (rc < 0)
		return rc;

	if (t.t1_ns > t.bound_ns) {
		put(&m,
		    "ok: T1 = %s us > T2 + I + d_max + g = %s + %s + %s + %s = %s us (margin %s "
		    "us)",
		    us(t.t1_ns).s, us(t.t2_ns).s, us(t.interval_ns).s, us(in->d_max_ns).s,
		    us(in->granularity_ns).s, us(t.bound_ns).s, us(t.t1_ns - t.bound_ns).s);
		return 0;
	}
	put(&m, "refused: T1 > T2 + I + d_max + g does not hold:");
	put(&m, " T1 = worker detect_mult %" PRIu64 " x I %s us = %s us;", in->worker.detect_mult,
	    us(t.interval_ns).s, us(t.t1_ns).s);
	put(&m, " T2 = master detect_mult %" PRIu64 " x I_w %s us = %s us;", in->master.detect_mult,
	    us(t.worker_interval_ns).s, us(t.t2_ns).s);
	put(&m,
	    " I = max(worker desired_min_tx %" PRIu64 ", master required_min_rx %" PRIu64
	    ") = %s us;",
	    in->worker.desired_min_tx_us, in->master.required_min_rx_us, us(t.interval_ns).s);
	put(&m,
	    " I_w = max(master desired_min_tx %" PRIu64 ", worker required_min_rx %" PRIu64
	    ") = %s us;",
	    in->master.desired_min_tx_us, in->worker.required_min_rx_us,
	    us(t.worker_interval_ns).s);
	put(&m, " d_max = %s us; g = %s us; T2 + I + d_max + g = %s us >= T1 = %s us.",
	    us(in->d_max_ns).s, us(in->granularity_ns).s, us(t.bound_ns).s, us(t.t1_ns).s);
	put_fixes(&m, in, &t);
	return -EINVAL;
}
