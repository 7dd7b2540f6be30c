/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-channel micro-benchmark: ns per message between two channels that
 * are UP back to back in memory, for 64 B, 1 KiB and 64 KiB messages, as
 * p50/p99/max over batches plus messages/s. No DPDK, no network: the wire is
 * two in-memory FIFOs; the channels run on virtual time and only the batches
 * are timed (bench_util.h).
 *
 * One message, all of it timed: SEND on the sender; every DATA segment it
 * lists is built (tt_dc_build), parsed (tt_dcw_parse) and stepped into the
 * receiver (tt_dc_rx), which delivers the message and acks every segment;
 * each ACK is built, parsed and stepped into the sender, which then sends
 * what the window allows, until both FIFOs are empty and every segment is
 * acked. Default channel configuration (1500-byte MTU: 1416-byte segments,
 * window 32); virtual time advances 1 µs per message, so no timer fires.
 *
 * Figures (RESULT lines, format in bench_util.h): dc.msg.<bytes>, ns per
 * message; ops_per_s is messages/s (payload Gbit/s follows as a comment).
 * Exit status 1 if a message is not delivered whole and in order, or a
 * segment is left unacked.
 *
 * Usage: dc_bench [--quick]   (--quick: 10x fewer batches)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "dc_fsm.h"
#include "dc_wire.h"

#define WIRE_CAP 2048 /* a 1500-byte MTU datagram's UDP payload fits */
#define FIFO_CAP 256  /* well above window + its ACKs */
#define BATCHES	 2000

static const struct tt_dcw_policy policy = {.n_channels = TT_DCW_MAX_CHANNELS, .mac = false};

/* One direction of the wire. */
struct fifo {
	uint8_t buf[FIFO_CAP][WIRE_CAP];
	size_t len[FIFO_CAP];
	unsigned int head, tail; /* free-running */
};

struct end {
	struct tt_dc *ch;
	struct tt_dc_actions out;
	struct fifo *tx; /* to the peer */
	/* receiver side bookkeeping */
	uint64_t delivered;
	uint32_t next_msg_id;
	uint32_t want_len;
	const uint8_t *check_data; /* compare the next delivery with this, then clear */
	int err;
};

static uint8_t msg_data[TT_DCW_MSG_MAX];
static struct fifo fifo_ab, fifo_ba;

/*
 * Carry out the last step's actions of e: check a delivery, build every listed
 * packet into the FIFO to the peer, and step again while the channel says it
 * has more (TT_DC_A_MORE).
 */
static void carry(struct end *e, tt_ns_t now)
{
	for (;;) {
		if (e->out.flags & TT_DC_A_DELIVER) {
			if (e->out.msg_id != e->next_msg_id || e->out.msg_len != e->want_len ||
			    (e->check_data && memcmp(e->out.msg, e->check_data, e->want_len) != 0))
				e->err = -1;
			e->check_data = NULL;
			e->next_msg_id++;
			e->delivered++;
		}
		if (e->out.flags & TT_DC_A_DOWN)
			e->err = -1;
		for (unsigned int i = 0; i < e->out.n_tx; i++) {
			struct fifo *f = e->tx;
			unsigned int slot = f->head % FIFO_CAP;

			if (f->head - f->tail >= FIFO_CAP) {
				e->err = -1;
				return;
			}
			f->len[slot] = tt_dc_build(e->ch, &e->out.tx[i], f->buf[slot], WIRE_CAP);
			if (f->len[slot] == 0)
				e->err = -1;
			f->head++;
		}
		if (!(e->out.flags & TT_DC_A_MORE))
			return;
		tt_dc_tick(e->ch, now, &e->out);
	}
}

/* Deliver the oldest datagram of f to e; false if f is empty. */
static bool deliver_one(struct fifo *f, struct end *e, tt_ns_t now)
{
	unsigned int slot = f->tail % FIFO_CAP;
	struct tt_dcw_pkt pkt;

	if (f->head == f->tail)
		return false;
	if (tt_dcw_parse(f->buf[slot], f->len[slot], &policy, &pkt, NULL) != TT_DCW_RX_OK) {
		e->err = -1;
	} else {
		tt_dc_rx(e->ch, &pkt, now, &e->out);
		if (e->out.rx_verdict != TT_DC_RX_OK)
			e->err = -1;
		carry(e, now);
	}
	f->tail++;
	return true;
}

/* Move datagrams both ways until the wire is quiet. */
static void pump(struct end *a, struct end *b, tt_ns_t now)
{
	bool moved;

	do {
		moved = false;
		while (deliver_one(&fifo_ab, b, now))
			moved = true;
		while (deliver_one(&fifo_ba, a, now))
			moved = true;
	} while (moved && !a->err && !b->err);
}

/* Two channels, b listening and a connecting, stepped until both are UP. */
static int pair_up(struct end *a, struct end *b, tt_ns_t now)
{
	struct tt_dc_config cfg;
	struct tt_dc_event listen = {.type = TT_DC_EV_LISTEN, .open = {.epoch = 1, .isn = 7000}};
	struct tt_dc_event open = {.type = TT_DC_EV_OPEN,
				   .open = {.epoch = 1, .isn = 9000, .nonce = 0x7e7e7e7e}};

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	tt_dc_config_default(&cfg);
	a->ch = tt_dc_create(&cfg);
	b->ch = tt_dc_create(&cfg);
	if (!a->ch || !b->ch)
		return -1;
	a->tx = &fifo_ab;
	b->tx = &fifo_ba;
	if (tt_dc_step(b->ch, &listen, now, &b->out) || tt_dc_step(a->ch, &open, now, &a->out))
		return -1;
	carry(b, now);
	carry(a, now);
	pump(a, b, now);
	return tt_dc_state(a->ch) == TT_DC_S_UP && tt_dc_state(b->ch) == TT_DC_S_UP ? 0 : -1;
}

/* One message from a to b, to the last ack. */
static int one_msg(struct end *a, struct end *b, uint32_t len, tt_ns_t now)
{
	if (tt_dc_send(a->ch, msg_data, len, now, &a->out))
		return -1;
	carry(a, now);
	pump(a, b, now);
	return a->err | b->err;
}

static int bench_size(uint32_t len, unsigned int batches, unsigned int per_batch)
{
	struct tt_bench_series s;
	struct tt_dc_info info;
	struct end a, b;
	tt_ns_t now = TT_NS_PER_S;
	char name[64];
	int rc = 0;

	snprintf(name, sizeof(name), "dc.msg.%u", len);
	if (tt_bench_series_init(&s, name, batches) || pair_up(&a, &b, now))
		return -1;
	/* Untimed: one message checked byte for byte. */
	b.want_len = len;
	b.check_data = msg_data;
	rc = one_msg(&a, &b, len, now += TT_NS_PER_US);
	for (unsigned int bt = 0; bt < batches && rc == 0; bt++) {
		uint64_t t0 = tt_bench_now_ns();

		for (unsigned int m = 0; m < per_batch; m++)
			rc |= one_msg(&a, &b, len, now += TT_NS_PER_US);
		tt_bench_add(&s, tt_bench_now_ns() - t0, per_batch);
	}
	tt_dc_info(a.ch, &info);
	if (rc || b.delivered != 1 + (uint64_t)batches * per_batch ||
	    info.snd_una != info.snd_end || tt_dc_counters(a.ch)->retransmits != 0) {
		fprintf(stderr,
			"dc_bench: %u-byte messages: %llu delivered, %u segments unacked, "
			"%llu retransmits\n",
			len, (unsigned long long)b.delivered, info.snd_end - info.snd_una,
			(unsigned long long)tt_dc_counters(a.ch)->retransmits);
		rc = -1;
	} else {
		struct tt_bench_stats st;

		tt_bench_print(&s);
		tt_bench_stats(&s, &st);
		printf("#   %s: %u segment(s) of <= %u bytes per message, %.2f Gbit/s payload\n",
		       name, (len + info.seg_size - 1) / info.seg_size, info.seg_size,
		       st.ops_per_s * len * 8 / 1e9);
	}
	tt_dc_destroy(a.ch);
	tt_dc_destroy(b.ch);
	tt_bench_series_fini(&s);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		uint32_t len;
		unsigned int per_batch;
	} sizes[] = {{64, 256}, {1024, 256}, {TT_DCW_MSG_MAX, 16}};
	struct tt_bench_opts opts;
	int rc = 0;

	if (tt_bench_parse_args(argc, argv, &opts))
		return 2;
	for (size_t i = 0; i < sizeof(msg_data); i++)
		msg_data[i] = (uint8_t)(i * 131 + 7);
	printf("# data channel, two channels back to back in memory; ns per message\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (bench_size(sizes[i].len, tt_bench_reps(&opts, BATCHES, 20), sizes[i].per_batch))
			rc = 1;
	return rc;
}
