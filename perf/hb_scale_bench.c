/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Heartbeat session scale (DESIGN.md §6 "session scale"): how many BFD
 * sessions one thread keeps at an interval I, with its loop utilisation and
 * how late its timers fire.
 *
 * Engine level, on the real clock: tether-pmd hosts at most 31 workers per
 * process, so thousands of sessions are driven here directly. One thread
 * runs N tt_hb_session (role MASTER) on one timer wheel (1.024 µs ticks, as
 * an endpoint's), in the runtime's loop shape: read the clock once, advance
 * the wheel (each due session is stepped; a packet it sends is built into
 * a frame: BFD control packet, then Ethernet/IPv4/UDP headers with
 * checksums), then receive: parse each frame (Ethernet/IPv4/UDP, RFC 5881
 * transport checks, BFD parse), find the session by Your Discriminator,
 * step it, re-arm its timer.
 *
 * The peers are not run on this thread: a reflector answers each packet at
 * once with the peer's frame, prebuilt per session (Down -> Init, Init or
 * Up -> Up, a Poll -> the same with Final), as a remote BFD system at the
 * other end of a zero-delay link would. The thread therefore does exactly
 * one session's work per packet sent and received; the peers' own work is
 * theirs. Not included: the ethdev RX/TX bursts and the session lookup
 * through the RCU table (an array index here; lookup_bench measures that).
 *
 * Sessions start Down, first packets spread over one interval, the slow
 * rate set to I (tests only allow it) so that they come up within a few
 * intervals. Measurement starts once every session is Up.
 *
 * Figures (RESULT lines, bench_util.h format; the late line adds p999):
 *   hb_scale.late        timer lateness, now - deadline, of every fire (µs)
 *   hb_scale.util        busy time / loop time, % (a pass is busy if it
 *                        fired a timer or received a frame; it lasts from
 *                        its clock read to the next)
 *   hb_scale.over_interval  fires later than one interval (the goal: 0);
 *                        over_interval_stall: of those, the ones right after
 *                        a stall (an idle pass longer than 50 µs: the thread
 *                        had lost its CPU, which work cannot explain)
 *   hb_scale.stalls, stall_max, pass_max  such stalls, the longest, and the
 *                        longest pass or gap between two clock reads (µs)
 *   hb_scale.expiries    detection-time expiries (false positives)
 *   hb_scale.pkts_per_s  packets sent per second
 *   hb_scale.ok          1 if the thread keeps the sessions: util < 50 %,
 *                        every session Up at the end, no error
 *   hb_scale.clean       1 if also no fire later than one interval at all and
 *                        no expiry (the goal as stated; a VM stall breaks it)
 *
 * Usage: hb_scale_bench [--quick] [--sessions N] [--interval-us I]
 *                       [--seconds S] [--mult M]
 * Defaults: 1000 sessions, 1000 µs, 2 s (--quick: 0.5 s), Detect Mult 3.
 * Exit status 2 on a bad argument, 1 if the sessions never all came up.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "bfd_wire.h"
#include "hb_fsm.h"
#include "pkt.h"
#include "timer_wheel.h"

#define WHEEL_SHIFT	  10	      /* 1.024 µs ticks */
#define LOCAL_DISC0	  0x00010000u /* session i: Local Discriminator LOCAL_DISC0 + i */
#define PEER_DISC0	  0x40000000u
#define HIST_STEP_NS	  100u	     /* lateness histogram resolution */
#define HIST_BUCKETS	  (1u << 20) /* 100 ns x 2^20: 105 ms */
#define FRAME_CAP	  128
#define UP_WAIT_INTERVALS 200 /* bring-up: give up after this many intervals */
#define MIN_UP_WAIT_NS	  2000000000ull
#define STALL_NS	  50000u /* an idle pass this long: the thread lost its CPU */

/* The prebuilt answers of a session's peer. */
enum { PEER_INIT, PEER_UP, PEER_UP_FINAL, PEER_VARIANTS };

struct sess {
	struct tt_hb_session hb;
	struct tt_timer tm;
	uint32_t idx;
};

struct frame {
	uint16_t len;
	uint8_t buf[FRAME_CAP];
};

struct bench {
	uint32_t n;
	tt_ns_t interval_ns;
	struct sess *s;
	struct frame *peer; /* n x PEER_VARIANTS */
	struct tt_tw *tw;
	/* receive queue: the reflected frames of this pass */
	const struct frame **rxq;
	uint32_t rxq_n;
	uint32_t rxq_cap;
	/* scratch TX frame and its headers */
	uint8_t tx[FRAME_CAP];
	struct tt_pkt_udp4_hdr tx_hdr;
	/* state */
	uint32_t up;
	bool measuring;
	uint64_t expiries;
	uint64_t tx_pkts;
	uint64_t rx_bad;
	uint64_t step_errors;
	/* lateness, while measuring */
	uint32_t *hist;
	uint64_t fires;
	uint64_t late_max_ns;
	uint64_t over_interval;
	uint64_t over_interval_stall; /* of those, fired right after a stall */
	bool after_stall;	      /* this pass followed a stall */
	uint64_t stalls;
	uint64_t stall_max_ns;
	uint64_t pass_max_ns;
};

static void apply(struct bench *b, struct sess *s, const struct tt_hb_actions *act);

/* Reflect a packet of session s: queue its peer's answer (RFC 5880 §6.8.6 seen from the peer). */
static void reflect(struct bench *b, struct sess *s, const struct tt_bfd_ctrl *pkt)
{
	unsigned int v = pkt->state == TT_BFD_STATE_DOWN ? PEER_INIT
			 : pkt->poll			 ? PEER_UP_FINAL
							 : PEER_UP;

	if (b->rxq_n == b->rxq_cap) {
		b->rx_bad++; /* cannot happen with the sizing in setup(); counted if it does */
		return;
	}
	b->rxq[b->rxq_n++] = &b->peer[(size_t)s->idx * PEER_VARIANTS + v];
}

/* Serialise a packet the way an endpoint sends one, then hand it to the reflector. */
static void transmit(struct bench *b, struct sess *s, const struct tt_bfd_ctrl *pkt)
{
	size_t len =
		tt_bfd_build(pkt, tt_pkt_udp4_payload(b->tx), FRAME_CAP - TT_PKT_UDP4_HDRS_LEN);

	b->tx_hdr.src_port = (uint16_t)(TT_BFD_SRC_PORT_MIN + (s->idx & 0x3fff));
	if (len == 0 || tt_pkt_udp4_finish(b->tx, sizeof(b->tx), &b->tx_hdr, len) == 0) {
		b->step_errors++;
		return;
	}
	b->tx_pkts++;
	reflect(b, s, pkt);
}

static void fire(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct bench *b = arg;
	struct sess *s = (struct sess *)((char *)t - offsetof(struct sess, tm));
	struct tt_hb_actions act;

	if (b->measuring) {
		uint64_t late = tt_time_diff(now, tt_timer_deadline(t));
		uint64_t k = late / HIST_STEP_NS;

		b->hist[k < HIST_BUCKETS ? k : HIST_BUCKETS - 1]++;
		b->fires++;
		if (late > b->late_max_ns)
			b->late_max_ns = late;
		if (late > b->interval_ns) {
			b->over_interval++;
			if (b->after_stall)
				b->over_interval_stall++;
		}
	}
	if (tt_hb_tick(&s->hb, now, &act) < 0)
		b->step_errors++;
	apply(b, s, &act);
}

/* Carry out a step: count state changes, send, re-arm. */
static void apply(struct bench *b, struct sess *s, const struct tt_hb_actions *act)
{
	tt_ns_t d;

	if (act->flags & TT_HB_A_STATE_CHANGE) {
		if (act->new_state == TT_HB_S_UP && act->old_state != TT_HB_S_UP)
			b->up++;
		else if (act->old_state == TT_HB_S_UP && act->new_state != TT_HB_S_UP)
			b->up--;
	}
	if ((act->flags & TT_HB_A_DETECT_EXPIRED) && b->measuring)
		b->expiries++;
	if ((act->flags & TT_HB_A_TX) && act->n_tx > 0)
		transmit(b, s, &act->tx[0]);
	if (tt_hb_next_deadline(&s->hb, &d))
		tt_tw_arm(b->tw, &s->tm, d);
	else
		tt_tw_cancel(b->tw, &s->tm);
}

/* The receive half of a pass: parse, demultiplex by Your Discriminator, step. */
static uint32_t receive(struct bench *b, tt_ns_t now)
{
	uint32_t n = b->rxq_n;
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct frame *f = b->rxq[i];
		struct tt_pkt_view v;
		struct tt_bfd_ctrl pkt;
		struct tt_hb_actions act;
		uint32_t idx;

		if (tt_pkt_parse_udp4(f->buf, f->len, &v) != TT_PKT_RX_OK ||
		    tt_bfd_check_transport(v.ttl, v.src_port, v.dst_port) != TT_BFD_RX_OK ||
		    tt_bfd_parse(v.payload, v.payload_len, &pkt) != TT_BFD_RX_OK) {
			b->rx_bad++;
			continue;
		}
		idx = pkt.your_disc - LOCAL_DISC0;
		if (idx >= b->n) {
			b->rx_bad++;
			continue;
		}
		if (tt_hb_rx(&b->s[idx].hb, &pkt, now, &act) < 0)
			b->step_errors++;
		apply(b, &b->s[idx], &act);
	}
	/* Answers to packets sent while receiving wait for the next pass. */
	memmove(b->rxq, b->rxq + n, (b->rxq_n - n) * sizeof(b->rxq[0]));
	b->rxq_n -= n;
	return n;
}

static int build_peer(struct bench *b, uint32_t i, uint32_t interval_us, uint8_t mult)
{
	static const uint8_t states[PEER_VARIANTS] = {TT_BFD_STATE_INIT, TT_BFD_STATE_UP,
						      TT_BFD_STATE_UP};
	struct tt_pkt_udp4_hdr h = {
		.eth_dst = {0x02, 0, 0, 0, 0, 1},
		.eth_src = {0x02, 0, 0, 0, 0, 2},
		.ip_src = 0x0a000002,
		.ip_dst = 0x0a000001,
		.ttl = TT_BFD_TTL,
		.src_port = (uint16_t)(TT_BFD_SRC_PORT_MIN + (i & 0x3fff)),
		.dst_port = TT_BFD_UDP_PORT,
	};
	unsigned int v;

	for (v = 0; v < PEER_VARIANTS; v++) {
		struct frame *f = &b->peer[(size_t)i * PEER_VARIANTS + v];
		struct tt_bfd_ctrl c = {
			.version = TT_BFD_VERSION,
			.state = states[v],
			.final = v == PEER_UP_FINAL,
			.detect_mult = mult,
			.my_disc = PEER_DISC0 + i,
			.your_disc = LOCAL_DISC0 + i,
			.desired_min_tx_us = interval_us,
			.required_min_rx_us = interval_us,
		};
		size_t len = tt_bfd_build(&c, tt_pkt_udp4_payload(f->buf),
					  FRAME_CAP - TT_PKT_UDP4_HDRS_LEN);

		len = len > 0 ? tt_pkt_udp4_finish(f->buf, FRAME_CAP, &h, len) : 0;
		if (len == 0)
			return -EINVAL;
		f->len = (uint16_t)len;
	}
	return 0;
}

static int setup(struct bench *b, uint32_t n, uint32_t interval_us, uint8_t mult, tt_ns_t now)
{
	uint32_t i;

	memset(b, 0, sizeof(*b));
	b->n = n;
	b->interval_ns = (tt_ns_t)interval_us * 1000u;
	b->s = calloc(n, sizeof(*b->s));
	b->peer = calloc((size_t)n * PEER_VARIANTS, sizeof(*b->peer));
	/*
	 * Answers wait at most one pass: a pass queues one per timer fired (at
	 * most n) and one per packet a received answer makes the session send
	 * (at most the answers it holds), so 4n is ample.
	 */
	b->rxq_cap = 4 * n + 16;
	b->rxq = calloc(b->rxq_cap, sizeof(*b->rxq));
	b->hist = calloc(HIST_BUCKETS, sizeof(*b->hist));
	b->tw = tt_tw_create(WHEEL_SHIFT, now);
	if (b->s == NULL || b->peer == NULL || b->rxq == NULL || b->hist == NULL || b->tw == NULL)
		return -ENOMEM;
	b->tx_hdr = (struct tt_pkt_udp4_hdr){
		.eth_dst = {0x02, 0, 0, 0, 0, 2},
		.eth_src = {0x02, 0, 0, 0, 0, 1},
		.ip_src = 0x0a000001,
		.ip_dst = 0x0a000002,
		.ttl = TT_BFD_TTL,
		.dst_port = TT_BFD_UDP_PORT,
	};
	for (i = 0; i < n; i++) {
		struct tt_hb_config hc = {
			.role = TT_HB_ROLE_MASTER,
			.local_disc = LOCAL_DISC0 + i,
			.timers = {interval_us, interval_us, mult},
			.slow_tx_us = interval_us,
			.allow_fast_slow_rate = true,
			.d_max_ns = b->interval_ns,
			.granularity_ns = b->interval_ns,
			.seed = 0x5ca1eull + i,
		};

		if (tt_hb_init(&b->s[i].hb, &hc, now) != 0 ||
		    build_peer(b, i, interval_us, mult) != 0)
			return -EINVAL;
		b->s[i].idx = i;
		tt_timer_init(&b->s[i].tm, fire, b);
		/* First packets spread over one interval, as sessions started one by one. */
		tt_tw_arm(b->tw, &b->s[i].tm, now + b->interval_ns * i / n);
	}
	return 0;
}

static void teardown(struct bench *b)
{
	tt_tw_destroy(b->tw);
	free(b->s);
	free(b->peer);
	free(b->rxq);
	free(b->hist);
}

struct loop_stats {
	uint64_t passes;
	uint64_t total_ns;
	uint64_t busy_ns;
};

/* Run the loop until `end` (or, with until_up, until every session is Up). */
static void run(struct bench *b, tt_ns_t end, bool until_up, struct loop_stats *ls)
{
	tt_ns_t prev = tt_bench_now_ns();
	bool prev_busy = false;

	memset(ls, 0, sizeof(*ls));
	for (;;) {
		tt_ns_t now = tt_bench_now_ns();
		uint32_t work;

		tt_ns_t gap = now - prev;

		ls->total_ns += gap;
		if (prev_busy)
			ls->busy_ns += gap;
		if (b->measuring && gap > b->pass_max_ns)
			b->pass_max_ns = gap;
		/* An idle pass costs tens of ns: one this long was not running. */
		b->after_stall = !prev_busy && gap > STALL_NS;
		if (b->measuring && b->after_stall) {
			b->stalls++;
			if (gap > b->stall_max_ns)
				b->stall_max_ns = gap;
		}
		prev = now;
		if (tt_time_reached(now, end) || (until_up && b->up == b->n))
			break;
		work = tt_tw_advance(b->tw, now);
		work += receive(b, now);
		prev_busy = work > 0;
		ls->passes++;
	}
}

static double hist_rank_us(const struct bench *b, double p)
{
	uint64_t want = (uint64_t)ceil(p * (double)b->fires);
	uint64_t acc = 0;
	uint32_t k;

	if (want == 0)
		want = 1;
	for (k = 0; k < HIST_BUCKETS; k++) {
		acc += b->hist[k];
		if (acc >= want)
			return (double)(k + 1) * HIST_STEP_NS / 1e3; /* the bucket's upper bound */
	}
	return (double)b->late_max_ns / 1e3;
}

static void value(const char *name, const char *unit, double v)
{
	printf("RESULT name=%-34s unit=%-4s value=%.6g\n", name, unit, v);
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--quick] [--sessions N (1..1000000)] [--interval-us I (10..1000000)] "
		"[--seconds S (0.1..600)] [--mult M (1..255)]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	uint32_t n = 1000;
	uint32_t interval_us = 1000;
	uint32_t mult = 3;
	double seconds = 2.0;
	bool quick = false;
	bool sec_given = false;
	struct loop_stats ls;
	struct bench b;
	tt_ns_t t0;
	tt_ns_t up_wait;
	bool ok;
	bool clean;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0) {
			quick = true;
			continue;
		}
		if (v == NULL)
			return usage(argv[0]);
		i++;
		if (strcmp(a, "--sessions") == 0) {
			if (parse_u32(v, 1, 1000000, &n) != 0)
				return usage(argv[0]);
		} else if (strcmp(a, "--interval-us") == 0) {
			if (parse_u32(v, 10, 1000000, &interval_us) != 0)
				return usage(argv[0]);
		} else if (strcmp(a, "--mult") == 0) {
			if (parse_u32(v, 1, 255, &mult) != 0)
				return usage(argv[0]);
		} else if (strcmp(a, "--seconds") == 0) {
			char *end;

			seconds = strtod(v, &end);
			if (end == v || *end != '\0' || !(seconds >= 0.1 && seconds <= 600))
				return usage(argv[0]);
			sec_given = true;
		} else {
			return usage(argv[0]);
		}
	}
	if (quick && !sec_given)
		seconds = 0.5;

	t0 = tt_bench_now_ns();
	if (setup(&b, n, interval_us, (uint8_t)mult, t0) != 0) {
		fprintf(stderr, "hb_scale_bench: out of memory for %" PRIu32 " sessions\n", n);
		teardown(&b);
		return 1;
	}
	printf("# hb_scale: %" PRIu32 " BFD sessions on one thread, interval %" PRIu32
	       " us, Detect Mult %" PRIu32 ", %.1f s\n",
	       n, interval_us, mult, seconds);
	up_wait = (tt_ns_t)UP_WAIT_INTERVALS * b.interval_ns;
	if (up_wait < MIN_UP_WAIT_NS)
		up_wait = MIN_UP_WAIT_NS;
	run(&b, t0 + up_wait, true, &ls);
	if (b.up != b.n) {
		printf("# only %" PRIu32 " of %" PRIu32 " sessions came up within %.1f s\n", b.up,
		       b.n, (double)up_wait / 1e9);
		value("hb_scale.ok", "bool", 0);
		value("hb_scale.clean", "bool", 0);
		teardown(&b);
		return 1;
	}
	b.measuring = true;
	b.tx_pkts = 0;
	run(&b, tt_bench_now_ns() + (tt_ns_t)(seconds * 1e9), false, &ls);
	b.measuring = false;

	ok = ls.busy_ns * 2 < ls.total_ns && b.up == b.n && b.step_errors == 0 && b.rx_bad == 0;
	clean = ok && b.over_interval == 0 && b.expiries == 0;
	if (b.fires > 0)
		printf("RESULT name=%-34s unit=us   p50=%-9.1f p99=%-9.1f p999=%-9.1f max=%-10.1f "
		       "samples=%" PRIu64 "\n",
		       "hb_scale.late", hist_rank_us(&b, 0.5), hist_rank_us(&b, 0.99),
		       hist_rank_us(&b, 0.999), (double)b.late_max_ns / 1e3, b.fires);
	value("hb_scale.sessions", "n", n);
	value("hb_scale.interval", "us", interval_us);
	value("hb_scale.util", "pct",
	      ls.total_ns > 0 ? 100.0 * (double)ls.busy_ns / (double)ls.total_ns : 0);
	value("hb_scale.over_interval", "n", (double)b.over_interval);
	value("hb_scale.over_interval_stall", "n", (double)b.over_interval_stall);
	value("hb_scale.stalls", "n", (double)b.stalls);
	value("hb_scale.stall_max", "us", (double)b.stall_max_ns / 1e3);
	value("hb_scale.pass_max", "us", (double)b.pass_max_ns / 1e3);
	value("hb_scale.expiries", "n", (double)b.expiries);
	value("hb_scale.up", "n", b.up);
	value("hb_scale.pkts_per_s", "1/s", (double)b.tx_pkts * 1e9 / (double)ls.total_ns);
	value("hb_scale.ns_per_pkt", "ns",
	      b.tx_pkts > 0 ? (double)ls.busy_ns / (double)b.tx_pkts : 0);
	value("hb_scale.errors", "n", (double)(b.step_errors + b.rx_bad));
	value("hb_scale.ok", "bool", ok ? 1 : 0);
	value("hb_scale.clean", "bool", clean ? 1 : 0);
	teardown(&b);
	return 0;
}
