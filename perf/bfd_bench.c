/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BFD micro-benchmark: ns per control packet parsed and built, and ns per
 * heartbeat of a running session pair, as p50/p99/max over batches plus
 * ops/s. No DPDK; the sessions run on virtual time and only the batches are
 * timed (bench_util.h).
 *
 * Figures (RESULT lines, format in bench_util.h):
 *  bfd.parse             tt_bfd_parse() of a 24-byte packet (no auth), over
 *                        a ring of 1024 distinct Up packets
 *  bfd.parse_sha1        the same with a Keyed SHA1 section (52 bytes; the
 *                        digest is not checked here, as in the engine)
 *  bfd.build             tt_bfd_build() of the 24-byte packets
 *  bfd.hb_step_rxtx      one heartbeat between two Up sessions (master and
 *                        worker, 1 ms / 1 ms / x3): the sender's tick that
 *                        emits the periodic packet, its build, the receiver's
 *                        parse and rx step. In steady state each session
 *                        does this once per interval as sender and once as
 *                        receiver, so this is one session's work per
 *                        interval (rx + tx).
 * Exit status 1 if a packet does not round-trip or a session leaves Up.
 *
 * Usage: bfd_bench [--quick]   (--quick: 10x fewer batches)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "bfd_wire.h"
#include "hb_fsm.h"

#define N_PKT		   1024 /* packets per parse/build batch */
#define WIRE_BATCHES	   4000 /* full run */
#define HB_TURNS_PER_BATCH 1000
#define HB_BATCHES	   2000

static uint64_t rng_state = 0xbfdbe4c4;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A plausible Up packet with random discriminators and intervals. */
static void make_ctrl(struct tt_bfd_ctrl *c, bool sha1)
{
	memset(c, 0, sizeof(*c));
	c->version = TT_BFD_VERSION;
	c->state = TT_BFD_STATE_UP;
	c->detect_mult = 3;
	c->my_disc = (uint32_t)rng() | 1;
	c->your_disc = (uint32_t)rng() | 1;
	c->desired_min_tx_us = 100 + (uint32_t)(rng() % 1000000);
	c->required_min_rx_us = 100 + (uint32_t)(rng() % 1000000);
	if (sha1) {
		c->auth_present = true;
		c->auth.type = TT_BFD_AUTH_KEYED_SHA1;
		c->auth.len = 28;
		c->auth.key_id = 1;
		c->auth.seq = (uint32_t)rng();
		for (unsigned int i = 0; i < 20; i++)
			c->auth.data[i] = (uint8_t)rng();
	}
}

struct wire_set {
	struct tt_bfd_ctrl ctrl[N_PKT];
	uint8_t buf[N_PKT][TT_BFD_MAX_LEN];
	size_t len[N_PKT];
};

static int wire_set_make(struct wire_set *w, bool sha1)
{
	for (unsigned int i = 0; i < N_PKT; i++) {
		make_ctrl(&w->ctrl[i], sha1);
		w->len[i] = tt_bfd_build(&w->ctrl[i], w->buf[i], sizeof(w->buf[i]));
		if (w->len[i] != (sha1 ? 52u : 24u))
			return -1;
	}
	return 0;
}

/* One timed parse batch; -1 if a packet is rejected or parses differently. */
static int parse_batch(const struct wire_set *w, struct tt_bench_series *s, bool check)
{
	static struct tt_bfd_ctrl out[N_PKT];
	unsigned int bad = 0;
	uint64_t t0 = tt_bench_now_ns();

	for (unsigned int i = 0; i < N_PKT; i++)
		bad += tt_bfd_parse(w->buf[i], w->len[i], &out[i]) != TT_BFD_RX_OK;
	tt_bench_add(s, tt_bench_now_ns() - t0, N_PKT);
	if (bad)
		return -1;
	if (check)
		for (unsigned int i = 0; i < N_PKT; i++)
			if (out[i].my_disc != w->ctrl[i].my_disc ||
			    out[i].required_min_rx_us != w->ctrl[i].required_min_rx_us ||
			    out[i].auth_present != w->ctrl[i].auth_present)
				return -1;
	return 0;
}

static int build_batch(const struct wire_set *w, struct tt_bench_series *s)
{
	static uint8_t buf[N_PKT][TT_BFD_MAX_LEN];
	size_t total = 0;
	uint64_t t0 = tt_bench_now_ns();

	for (unsigned int i = 0; i < N_PKT; i++)
		total += tt_bfd_build(&w->ctrl[i], buf[i], sizeof(buf[i]));
	tt_bench_add(s, tt_bench_now_ns() - t0, N_PKT);
	return total == (size_t)N_PKT * 24 && memcmp(buf, w->buf, sizeof(buf)) == 0 ? 0 : -1;
}

/* One end of the heartbeat pair. */
struct hb_end {
	struct tt_hb_session s;
	struct tt_hb_actions out;
};

/*
 * Carry out e[from]'s TX: build, parse, step the peer with it; the peer may
 * answer at once (a Final), and so on. Returns -1 on a packet that does not
 * survive build + parse.
 */
static int hb_carry(struct hb_end e[2], unsigned int from, tt_ns_t now)
{
	uint8_t buf[TT_BFD_MAX_LEN];
	struct tt_bfd_ctrl pkt;

	for (unsigned int hop = 0; hop < 4 && e[from].out.n_tx > 0; hop++) {
		size_t len = tt_bfd_build(&e[from].out.tx[0], buf, sizeof(buf));

		if (len == 0 || tt_bfd_parse(buf, len, &pkt) != TT_BFD_RX_OK)
			return -1;
		from ^= 1;
		tt_hb_rx(&e[from].s, &pkt, now, &e[from].out);
	}
	return 0;
}

/* Step the end whose deadline comes first at that deadline, and carry out its TX. */
static int hb_turn(struct hb_end e[2], tt_ns_t *now)
{
	tt_ns_t d0, d1;
	unsigned int i;

	if (!tt_hb_next_deadline(&e[0].s, &d0) || !tt_hb_next_deadline(&e[1].s, &d1))
		return -1;
	i = tt_time_before(d1, d0);
	if (tt_time_after(i ? d1 : d0, *now))
		*now = i ? d1 : d0;
	tt_hb_tick(&e[i].s, *now, &e[i].out);
	return hb_carry(e, i, *now);
}

static int hb_pair_init(struct hb_end e[2], tt_ns_t *now)
{
	struct tt_hb_config cfg = {
		.timers = {.desired_min_tx_us = 1000, .required_min_rx_us = 1000, .detect_mult = 3},
		.slow_tx_us = 1000,
		.allow_fast_slow_rate = true,
		.d_max_ns = 100 * TT_NS_PER_US,
		.granularity_ns = TT_NS_PER_US,
	};
	unsigned int turn;

	memset(e, 0, 2 * sizeof(*e));
	cfg.role = TT_HB_ROLE_MASTER;
	cfg.local_disc = 1;
	cfg.seed = 11;
	if (tt_hb_init(&e[0].s, &cfg, *now))
		return -1;
	cfg.role = TT_HB_ROLE_WORKER;
	cfg.local_disc = 2;
	cfg.seed = 22;
	if (tt_hb_init(&e[1].s, &cfg, *now))
		return -1;
	/* Come Up and let any Poll Sequence finish before timing. */
	for (turn = 0; turn < 1000; turn++)
		if (hb_turn(e, now))
			return -1;
	return tt_hb_state(&e[0].s) == TT_HB_S_UP && tt_hb_state(&e[1].s) == TT_HB_S_UP ? 0 : -1;
}

static int hb_bench(unsigned int batches, struct tt_bench_series *s)
{
	struct hb_end e[2];
	tt_ns_t now = TT_NS_PER_S;
	uint64_t tx_before, tx_after;

	if (hb_pair_init(e, &now))
		return -1;
	tx_before = tt_hb_counters(&e[0].s)->tx_packets + tt_hb_counters(&e[1].s)->tx_packets;
	for (unsigned int b = 0; b < batches; b++) {
		uint64_t t0 = tt_bench_now_ns();
		int rc = 0;

		for (unsigned int t = 0; t < HB_TURNS_PER_BATCH; t++)
			rc |= hb_turn(e, &now);
		tt_bench_add(s, tt_bench_now_ns() - t0, HB_TURNS_PER_BATCH);
		if (rc)
			return -1;
	}
	tx_after = tt_hb_counters(&e[0].s)->tx_packets + tt_hb_counters(&e[1].s)->tx_packets;
	/*
	 * Every turn was a heartbeat and nobody left Up. A receiver whose own
	 * transmission falls due at the same instant sends it in its rx step:
	 * a few more packets than turns, never fewer.
	 */
	if (tt_hb_state(&e[0].s) != TT_HB_S_UP || tt_hb_state(&e[1].s) != TT_HB_S_UP ||
	    tt_hb_counters(&e[0].s)->detect_expiries + tt_hb_counters(&e[1].s)->detect_expiries ||
	    tx_after - tx_before < (uint64_t)batches * HB_TURNS_PER_BATCH ||
	    tx_after - tx_before > (uint64_t)batches * HB_TURNS_PER_BATCH * 101 / 100) {
		fprintf(stderr, "bfd_bench: hb pair: %llu packets in %llu turns, states %s/%s\n",
			(unsigned long long)(tx_after - tx_before),
			(unsigned long long)batches * HB_TURNS_PER_BATCH,
			tt_hb_state_name(tt_hb_state(&e[0].s)),
			tt_hb_state_name(tt_hb_state(&e[1].s)));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct wire_set plain, sha1;
	struct tt_bench_series parse, parse_sha1, build, hb;
	struct tt_bench_opts opts;
	unsigned int wb, hbb;
	int rc = 0;

	if (tt_bench_parse_args(argc, argv, &opts))
		return 2;
	wb = tt_bench_reps(&opts, WIRE_BATCHES, 20);
	hbb = tt_bench_reps(&opts, HB_BATCHES, 20);
	if (wire_set_make(&plain, false) || wire_set_make(&sha1, true)) {
		fprintf(stderr, "bfd_bench: building the packet sets failed\n");
		return 1;
	}
	if (tt_bench_series_init(&parse, "bfd.parse", wb) ||
	    tt_bench_series_init(&parse_sha1, "bfd.parse_sha1", wb) ||
	    tt_bench_series_init(&build, "bfd.build", wb) ||
	    tt_bench_series_init(&hb, "bfd.hb_step_rxtx", hbb))
		return 1;

	printf("# BFD: ns per packet (batches of %u) and per heartbeat (batches of %u)\n", N_PKT,
	       HB_TURNS_PER_BATCH);
	/* Interleaved, so that a noisy moment hits every figure alike. */
	for (unsigned int b = 0; b < wb && rc == 0; b++) {
		rc |= parse_batch(&plain, &parse, b == 0);
		rc |= parse_batch(&sha1, &parse_sha1, b == 0);
		rc |= build_batch(&plain, &build);
	}
	if (rc) {
		fprintf(stderr, "bfd_bench: a packet did not parse or build as expected\n");
		return 1;
	}
	if (hb_bench(hbb, &hb)) {
		fprintf(stderr, "bfd_bench: the heartbeat pair did not stay Up\n");
		return 1;
	}
	tt_bench_print(&parse);
	tt_bench_print(&parse_sha1);
	tt_bench_print(&build);
	tt_bench_print(&hb);
	tt_bench_series_fini(&parse);
	tt_bench_series_fini(&parse_sha1);
	tt_bench_series_fini(&build);
	tt_bench_series_fini(&hb);
	return 0;
}
