/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateful fuzz target for the data channel (engine/dc_fsm.h) on virtual
 * time: two channels, A (connector) and B (acceptor), joined by a network
 * the input controls.
 *
 * The input is a header that configures both channels (same configuration:
 * MTU, msg_max, windows, retransmissions, timers, initial sequence numbers,
 * optionally near the 32-bit wrap), then records, each an opcode byte and
 * its operands:
 *
 *   0/1  TICK A/B      delta: advance time, tick the channel
 *   2/3  DELIVER A>B / B>A  delta: the head of that queue to its receiver
 *   4    DROP          k: drop 1-4 head packets of a queue
 *   5    DUP           k: duplicate the head of a queue
 *   6    SWAP          k: swap the head with a later packet (reorder)
 *   7/8  SEND A/B      2 bytes: a message of that length (up to msg_max + 1)
 *   9    RUN           n: rounds of a perfect network: deliver everything
 *                      queued, jump to the next deadline, tick
 *   10   FORGE         k, 2-byte length, bytes: tt_dcw_parse, RX if it parses
 *   11   CORRUPT       k, 2-byte offset, xor: alter the head packet, deliver it
 *   12   CONTROL       k: CLOSE/CUT/LINK_DOWN/RESET at one end, refused
 *                      events, or a fresh connection on both ends
 *   13   DEADLINE      k: jump to one channel's next deadline (-1/0/+1 ns), tick
 *   14   FLUSH         deliver everything queued, no time passing
 *   15   RUN           as 9
 *
 * A delta byte is (b & 63) units of 1 us, 100 us, 1 ms or 10 ms (b >> 6).
 *
 * Invariants checked after every step, true for any input (abort on break):
 * - out describes the step: states, UP/DOWN/STATE_CHANGE/DELIVER/MORE flags,
 *   the DOWN reason and the packet it calls for, counters, return codes;
 * - every listed packet builds and parses, and carries the channel's ids;
 * - DATA is sent only inside the window: fewer than `window` segments in
 *   flight and never at or past the peer's advertised edge; receive
 *   credits and the snapshot stay consistent; RTO within its bounds;
 * - the next deadline is now exactly when MORE is set, otherwise in the
 *   future; an UP channel always has one;
 * - delivered messages are numbered 0, 1, 2... per connection, within
 *   msg_max, and readable (ASan checks the bytes).
 * While no forged or corrupted packet has reached either end in the current
 * connection (the network only drops, duplicates, reorders and delays), the
 * stronger oracle holds too: each direction delivers exactly the messages
 * sent, in order, byte for byte, and no packet is refused for a reason only
 * a forger can cause (ids, nonce, ack beyond what was sent, segment outside
 * the advertised window, broken message stream).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_fsm.h"
#include "dc_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR_LEN	       8
#define WORKER_ID      0x00c0ffeeu
#define CHAN_IDX       5
#define DGRAM_MAX      (TT_DCW_HDR_LEN + 9216 - 20 - 8 - TT_DCW_HDR_LEN)
#define QUEUE_LEN      48
#define MSGS_MAX       4096 /* more than an input can send */
#define RUN_DELIVERIES 512

/* clang-format off */
static const uint16_t mtus[4] = {576, 1500, 9216, 600};
static const uint32_t msg_maxes[8] = {1, 16, 100, 1000, 1500, 3000, 10000, TT_DCW_MSG_MAX};
static const tt_ns_t delta_unit_ns[4] = {1000, 100000, 1000000, 10000000};
/* clang-format on */

/* Timer profiles: rto init/min/max, granularity, probe interval/timeout. */
struct profile {
	tt_ns_t rto_init, rto_min, rto_max, g, probe_iv, probe_to;
};

static const struct profile profiles[4] = {
	{1000000, 200000, 200000000, 100000, 10000000, 50000000},
	{100000, 100000, 1000000, 10000, 500000, 2000000},
	{1000000000, 200000000, 60000000000, 1000000, 1000000000, 3000000000},
	{1000000, 1000000, 1000000, 1000000, 9000000, 10000000},
};

struct qpkt {
	uint16_t len;
	uint8_t bytes[DGRAM_MAX];
};

/* A FIFO of packets: slot numbers in order; the packets stay put in their slots. */
struct queue {
	unsigned int n, n_free;
	uint8_t order[QUEUE_LEN];
	uint8_t free[QUEUE_LEN];
	struct qpkt slot[QUEUE_LEN];
};

struct end {
	const char *who;
	struct tt_dc *ch;
	struct queue *q; /* its outgoing packets */
	uint32_t sent_len[MSGS_MAX];
	unsigned int n_sent;
	unsigned int n_delivered; /* by this end, in this connection */
};

struct world {
	struct tt_dc_config cfg;
	uint32_t sbuf_n;
	struct end a, b;
	struct queue qa, qb; /* A -> B, B -> A */
	tt_ns_t now;
	uint32_t epoch;
	uint32_t conn; /* connection number, for message contents */
	bool tainted;  /* a forged or corrupted packet reached an end */
};

static struct world w;
static uint8_t msg_buf[TT_DCW_MSG_MAX + 1];
static uint8_t tmp_pkt[DGRAM_MAX];
static uint8_t build_buf[DGRAM_MAX];

/* The step being judged, for the failure message. */
static struct {
	const struct end *e;
	enum tt_dc_event_type type;
	const struct tt_dc_actions *out; /* NULL outside check_step() */
} cur;

static void broke(const struct end *e, const char *what)
{
	fprintf(stderr, "fuzz_dc_channel: %s: invariant failed: %s\n", e->who, what);
	if (cur.out != NULL)
		fprintf(stderr,
			"  step: event %s at %llu ns, %s -> %s, flags 0x%x, n_tx %u, "
			"rx verdict %s, down reason %s%s\n",
			tt_dc_event_name(cur.type), (unsigned long long)w.now,
			tt_dc_state_name(cur.out->old_state), tt_dc_state_name(cur.out->new_state),
			cur.out->flags, cur.out->n_tx, tt_dc_rx_reject_name(cur.out->rx_verdict),
			tt_dc_down_reason_name(cur.out->down_reason),
			w.tainted ? " (forged input seen)" : "");
	abort();
}

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static uint8_t pattern(const struct end *from, uint32_t k, uint32_t i)
{
	return (uint8_t)(w.conn * 29 + k * 131 + i * 7 + (i >> 8) + (from == &w.a ? 0 : 17));
}

static struct end *peer_of(struct end *e)
{
	return e == &w.a ? &w.b : &w.a;
}

/* What a step was, to judge it. */
struct step {
	enum tt_dc_event_type type;
	const struct tt_dcw_pkt *pkt; /* RX */
	uint32_t len;		      /* SEND */
	bool check_rc;
	int want_rc;
};

static void q_init(struct queue *q)
{
	unsigned int i;

	q->n = 0;
	q->n_free = QUEUE_LEN;
	for (i = 0; i < QUEUE_LEN; i++)
		q->free[i] = (uint8_t)i;
}

/* Onto the wire, if the network has room (else the packet is lost). */
static void q_push(struct queue *q, const uint8_t *bytes, size_t len)
{
	uint8_t s;

	if (q->n_free == 0)
		return;
	s = q->free[--q->n_free];
	q->slot[s].len = (uint16_t)len;
	memcpy(q->slot[s].bytes, bytes, len);
	q->order[q->n++] = s;
}

/* Copy the head packet into tmp_pkt and remove it; returns its length (0: empty). */
static size_t q_pop(struct queue *q)
{
	uint8_t s;

	if (q->n == 0)
		return 0;
	s = q->order[0];
	memcpy(tmp_pkt, q->slot[s].bytes, q->slot[s].len);
	q->n--;
	memmove(&q->order[0], &q->order[1], q->n);
	q->free[q->n_free++] = s;
	return q->slot[s].len;
}

static void check_tx(struct end *e, const struct tt_dc_actions *out, const struct tt_dc_info *in)
{
	struct tt_dcw_policy pol = {.n_channels = TT_DCW_MAX_CHANNELS, .mac = false};
	struct tt_dcw_pkt p;
	unsigned int i;
	size_t n;

	if (out->n_tx > TT_DC_TX_MAX || (out->n_tx > 0) != !!(out->flags & TT_DC_A_TX))
		broke(e, "TX flag or count");
	for (i = 0; i < out->n_tx; i++) {
		const struct tt_dc_tx_req *req = &out->tx[i];

		if (req->type == TT_DCW_T_DATA) {
			uint32_t off = req->seq - in->snd_una;

			if (off >= w.cfg.window)
				broke(e, "DATA beyond the send window");
			if (off >= (uint32_t)(in->snd_end - in->snd_una))
				broke(e, "DATA beyond the queued data");
			if (!seq_lt(req->seq, in->peer_edge))
				broke(e, "DATA at or past the peer's advertised edge");
		}
		n = tt_dc_build(e->ch, req, build_buf, sizeof(build_buf));
		if (n == 0)
			broke(e, "listed packet does not build");
		if (tt_dcw_parse(build_buf, n, &pol, &p, NULL) != TT_DCW_RX_OK)
			broke(e, "built packet is not valid on the wire");
		if (p.type != req->type || p.worker_id != WORKER_ID || p.chan_idx != CHAN_IDX ||
		    p.epoch != in->epoch)
			broke(e, "built packet's type or ids");
		if (p.type == TT_DCW_T_DATA && (p.seq != req->seq || p.payload_len > in->seg_size))
			broke(e, "built DATA's sequence number or size");
		q_push(e->q, build_buf, n);
	}
}

static bool forger_only(enum tt_dc_rx_reject r)
{
	return r == TT_DC_RX_WORKER || r == TT_DC_RX_CHANNEL || r == TT_DC_RX_NONCE ||
	       r == TT_DC_RX_ACK_INVALID || r == TT_DC_RX_OUT_OF_WINDOW || r == TT_DC_RX_PROTOCOL;
}

static void check_deliver(struct end *e, const struct tt_dc_actions *out)
{
	struct end *from = peer_of(e);
	uint32_t k = e->n_delivered, i, sum = 0;

	if (out->new_state != TT_DC_S_UP)
		broke(e, "delivered outside UP");
	if (out->msg_len > w.cfg.msg_max || (out->msg_len > 0 && out->msg == NULL))
		broke(e, "delivered message length or pointer");
	if (out->msg_id != k)
		broke(e, "delivered message out of sequence");
	/* Touch every byte: an out-of-bounds message shows under ASan. */
	for (i = 0; i < out->msg_len; i++)
		sum += out->msg[i];
	(void)sum;
	if (!w.tainted) {
		if (k >= from->n_sent)
			broke(e, "delivered a message that was never sent");
		if (out->msg_len != from->sent_len[k])
			broke(e, "delivered message has the wrong length");
		for (i = 0; i < out->msg_len; i++)
			if (out->msg[i] != pattern(from, k, i))
				broke(e, "delivered message bytes differ from those sent");
	}
	e->n_delivered++;
}

static void check_step(struct end *e, const struct step *st, int rc, enum tt_dc_state old_state,
		       const struct tt_dc_counters *before, const struct tt_dc_actions *out)
{
	const struct tt_dc_counters *c = tt_dc_counters(e->ch);
	struct tt_dc_info in;
	tt_ns_t d;
	bool has, more = out->flags & TT_DC_A_MORE;

	cur.e = e;
	cur.type = st->type;
	cur.out = out;
	tt_dc_info(e->ch, &in);
	if (st->check_rc && rc != st->want_rc)
		broke(e, "step returned an unexpected code");
	if (out->old_state != old_state || out->new_state != tt_dc_state(e->ch) ||
	    (unsigned int)out->new_state >= TT_DC_S_COUNT || in.state != out->new_state)
		broke(e, "out does not describe the step's states");
	if (old_state != out->new_state && !(out->flags & TT_DC_A_STATE_CHANGE))
		broke(e, "state changed without STATE_CHANGE");
	if (!!(out->flags & TT_DC_A_UP) !=
	    (old_state != TT_DC_S_UP && out->new_state == TT_DC_S_UP))
		broke(e, "UP flag not exactly on entering UP");
	if ((out->flags & TT_DC_A_UP) && c->ups != before->ups + 1)
		broke(e, "ups counter");
	if (out->flags & TT_DC_A_DOWN) {
		uint8_t pkt = tt_dc_down_reason_pkt(out->down_reason);
		unsigned int i;
		bool found = false;

		if (out->down_reason == TT_DC_DOWN_NONE || out->down_reason >= TT_DC_DOWN_COUNT ||
		    tt_dc_down_reason(e->ch) != out->down_reason ||
		    in.down_reason != out->down_reason)
			broke(e, "DOWN without a valid, kept reason");
		if (out->new_state != TT_DC_S_DOWN &&
		    !(st->type == TT_DC_EV_RESET && out->new_state == TT_DC_S_CLOSED))
			broke(e, "DOWN flag but not DOWN");
		if (c->down_by_reason[out->down_reason] !=
		    before->down_by_reason[out->down_reason] + 1)
			broke(e, "down_by_reason counter");
		for (i = 0; i < out->n_tx; i++)
			found |= out->tx[i].type == pkt;
		if (pkt != 0 && (old_state == TT_DC_S_CONNECTING || old_state == TT_DC_S_UP) &&
		    !found)
			broke(e, "DOWN did not send the packet its reason calls for");
		if (!w.tainted && out->down_reason == TT_DC_DOWN_PROTOCOL)
			broke(e, "protocol error without a forger");
	} else if (old_state != TT_DC_S_DOWN && out->new_state == TT_DC_S_DOWN) {
		broke(e, "entered DOWN without the DOWN flag");
	}
	if (out->new_state != TT_DC_S_CLOSED &&
	    in.role != (e == &w.a ? TT_DC_ROLE_CONNECTOR : TT_DC_ROLE_ACCEPTOR))
		broke(e, "role");

	/* RX verdicts and their counters. */
	if (st->type == TT_DC_EV_RX && rc == 0) {
		if ((unsigned int)out->rx_verdict >= TT_DC_RX_REJECT_MAX)
			broke(e, "rx verdict out of range");
		if (c->rx_events != before->rx_events + 1)
			broke(e, "rx_events counter");
		if (out->rx_verdict == TT_DC_RX_OK
			    ? c->rx_by_type[st->pkt->type] != before->rx_by_type[st->pkt->type] + 1
			    : c->rx_reject[out->rx_verdict] <
				      before->rx_reject[out->rx_verdict] + 1)
			broke(e, "rx counters");
		if (!w.tainted && forger_only(out->rx_verdict))
			broke(e, "packet refused for a reason only a forger can cause");
	} else if (out->rx_verdict != TT_DC_RX_OK) {
		broke(e, "rx verdict outside RX");
	}

	/* Send side: the window and the send buffer. */
	if ((uint32_t)(in.snd_nxt - in.snd_una) > (uint32_t)(in.snd_end - in.snd_una) ||
	    (uint32_t)(in.snd_end - in.snd_una) > w.sbuf_n)
		broke(e, "send sequence numbers out of order or beyond the buffer");
	if ((uint32_t)(in.snd_nxt - in.snd_una) > w.cfg.window)
		broke(e, "more segments in flight than the window");
	/* Receive side: credits. */
	if ((uint32_t)(in.rcv_nxt - in.rcv_cons) > w.cfg.rx_window ||
	    in.rcv_window != (uint16_t)(in.rcv_cons + w.cfg.rx_window - in.rcv_nxt))
		broke(e, "receive window accounting");
	if (in.rto_ns < w.cfg.rto_min_ns || in.rto_ns > w.cfg.rto_max_ns ||
	    in.backoffs > w.cfg.max_retx)
		broke(e, "RTO outside its bounds or too many backoffs");
	if (in.seg_size != tt_dc_seg_size(e->ch) || in.seg_size != w.cfg.mtu - 20 - 8 - 56)
		broke(e, "segment size");

	check_tx(e, out, &in);

	if (out->flags & TT_DC_A_DELIVER)
		check_deliver(e, out);
	if (c->msgs_delivered != before->msgs_delivered + !!(out->flags & TT_DC_A_DELIVER))
		broke(e, "msgs_delivered counter");

	has = tt_dc_next_deadline(e->ch, &d);
	if (out->new_state == TT_DC_S_UP && !has)
		broke(e, "UP without a deadline");
	if (has != (out->new_state == TT_DC_S_UP || out->new_state == TT_DC_S_CONNECTING))
		broke(e, "deadline in a state without timers");
	if (more ? !has || d != w.now : has && !tt_time_after(d, w.now))
		broke(e, "next deadline: not now with MORE, or not in the future without");
	cur.out = NULL;
}

/* Step one end with ev and judge it. */
static int step(struct end *e, const struct tt_dc_event *ev, const struct step *st)
{
	struct tt_dc_counters before = *tt_dc_counters(e->ch);
	enum tt_dc_state old_state = tt_dc_state(e->ch);
	struct tt_dc_actions out;
	int rc;

	/* The wrappers are the same step; use them where they apply. */
	if (ev->type == TT_DC_EV_TIMER)
		rc = tt_dc_tick(e->ch, w.now, &out);
	else if (ev->type == TT_DC_EV_RX && ev->pkt != NULL)
		rc = tt_dc_rx(e->ch, ev->pkt, w.now, &out);
	else if (ev->type == TT_DC_EV_SEND)
		rc = tt_dc_send(e->ch, ev->msg.data, ev->msg.len, w.now, &out);
	else
		rc = tt_dc_step(e->ch, ev, w.now, &out);
	check_step(e, st, rc, old_state, &before, &out);
	return rc;
}

static void tick(struct end *e)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_TIMER};
	struct step st = {.type = TT_DC_EV_TIMER, .check_rc = true};

	step(e, &ev, &st);
}

/* Hand bytes to an end as a received datagram; forged ones taint the connection. */
static void receive(struct end *to, const uint8_t *bytes, size_t len, bool forged)
{
	struct tt_dcw_policy pol = {.n_channels = TT_DCW_MAX_CHANNELS, .mac = false};
	struct tt_dc_event ev = {.type = TT_DC_EV_RX};
	struct step st = {.type = TT_DC_EV_RX, .check_rc = true};
	struct tt_dcw_pkt p;

	if (tt_dcw_parse(bytes, len, &pol, &p, NULL) != TT_DCW_RX_OK) {
		if (!forged)
			broke(to, "a channel's own packet does not parse");
		return;
	}
	if (forged)
		w.tainted = true;
	ev.pkt = &p;
	st.pkt = &p;
	step(to, &ev, &st);
}

/* Pop the head of q and deliver it to `to`. */
static void deliver_head(struct queue *q, struct end *to)
{
	size_t len = q_pop(q);

	if (len > 0)
		receive(to, tmp_pkt, len, false);
}

static void flush(void)
{
	unsigned int n = 0;

	while ((w.qa.n > 0 || w.qb.n > 0) && n++ < RUN_DELIVERIES) {
		deliver_head(&w.qa, &w.b);
		deliver_head(&w.qb, &w.a);
	}
}

static void run_rounds(unsigned int n)
{
	tt_ns_t da, db, t;
	bool ha, hb;

	while (n--) {
		flush();
		ha = tt_dc_next_deadline(w.a.ch, &da);
		hb = tt_dc_next_deadline(w.b.ch, &db);
		if (!ha && !hb)
			return;
		t = ha && (!hb || !tt_time_after(da, db)) ? da : db;
		if (tt_time_after(t, w.now))
			w.now = t;
		if (ha && tt_time_reached(w.now, da))
			tick(&w.a);
		if (hb && tt_time_reached(w.now, db))
			tick(&w.b);
	}
}

static void send_msg(struct end *e, uint32_t len)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_SEND};
	struct step st = {.type = TT_DC_EV_SEND, .len = len};
	struct tt_dc_info in;
	uint32_t i, nseg, used;
	int rc;

	/* Expire the timers first, so that the state the event meets is known. */
	tick(e);
	tt_dc_info(e->ch, &in);
	for (i = 0; i < len; i++)
		msg_buf[i] = pattern(e, e->n_sent, i);
	ev.msg.data = msg_buf;
	ev.msg.len = len;
	nseg = len == 0 ? 1 : (len + in.seg_size - 1) / in.seg_size;
	used = in.snd_end - in.snd_una;
	st.check_rc = true;
	st.want_rc = in.state != TT_DC_S_UP   ? -ENOTCONN
		     : len > w.cfg.msg_max    ? -EMSGSIZE
		     : nseg > w.sbuf_n - used ? -ENOBUFS
					      : 0;
	rc = step(e, &ev, &st);
	if (rc == 0 && e->n_sent < MSGS_MAX)
		e->sent_len[e->n_sent++] = len;
}

/* Step an end with a control event expected to return want. */
static void control_ev(struct end *e, const struct tt_dc_event *ev, int want)
{
	struct step st = {.type = ev->type, .check_rc = true, .want_rc = want};

	step(e, ev, &st);
}

static void open_end(struct end *e, uint32_t isn, uint64_t nonce)
{
	struct tt_dc_event ev = {.type = e == &w.a ? TT_DC_EV_OPEN : TT_DC_EV_LISTEN};

	ev.open.epoch = w.epoch;
	ev.open.isn = isn;
	ev.open.nonce = nonce;
	control_ev(e, &ev, 0);
}

/* End any connection on both ends and start a new one with a newer epoch. */
static void reconnect(uint8_t k)
{
	struct tt_dc_event ev;
	struct end *ends[2] = {&w.a, &w.b};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		enum tt_dc_state s = tt_dc_state(ends[i]->ch);

		memset(&ev, 0, sizeof(ev));
		if (s == TT_DC_S_CONNECTING || s == TT_DC_S_ACCEPTING || s == TT_DC_S_UP) {
			ev.type = TT_DC_EV_CUT;
			control_ev(ends[i], &ev, 0);
		}
		ev.type = TT_DC_EV_RESET;
		control_ev(ends[i], &ev, 0);
		ends[i]->n_sent = ends[i]->n_delivered = 0;
	}
	w.epoch++;
	w.conn++;
	w.tainted = false;
	open_end(&w.b, 0xfffffff0u + k, 0);
	open_end(&w.a, (uint32_t)k << 24, 0x0123456789abcdefull + k);
}

static void control(uint8_t k)
{
	struct end *e = (k & 1) ? &w.b : &w.a;
	enum tt_dc_state s;
	bool active;
	struct tt_dc_event ev;

	/* Expire the timers first, so that the state the event meets is known. */
	tick(e);
	s = tt_dc_state(e->ch);
	active = s == TT_DC_S_CONNECTING || s == TT_DC_S_ACCEPTING || s == TT_DC_S_UP;
	memset(&ev, 0, sizeof(ev));
	switch (((k >> 1) & 15) % 9) {
	case 0:
		ev.type = TT_DC_EV_CLOSE;
		break;
	case 1:
		ev.type = TT_DC_EV_CUT;
		break;
	case 2:
		ev.type = TT_DC_EV_LINK_DOWN;
		break;
	case 3:
		/* RESET: refused while a connection is live. */
		ev.type = TT_DC_EV_RESET;
		control_ev(e, &ev, active ? -EBUSY : 0);
		return;
	case 4:
		/* OPEN/LISTEN that must be refused, changing nothing. */
		ev.type = e == &w.a ? TT_DC_EV_OPEN : TT_DC_EV_LISTEN;
		ev.open.nonce = 1;
		ev.open.epoch = (k & 0x80) ? 0 : w.epoch;
		control_ev(e, &ev,
			   ev.open.epoch == 0	 ? -EINVAL
			   : s != TT_DC_S_CLOSED ? -EALREADY
						 : -ESTALE);
		return;
	case 5:
		ev.type = TT_DC_EV_SEND;
		ev.msg.data = NULL;
		ev.msg.len = 1;
		control_ev(e, &ev, -EINVAL);
		return;
	case 6:
		ev.type = TT_DC_EV_RX;
		ev.pkt = NULL;
		control_ev(e, &ev, -EINVAL);
		return;
	case 7:
		ev.type = TT_DC_EV_COUNT;
		control_ev(e, &ev, -EINVAL);
		return;
	default:
		reconnect(k);
		return;
	}
	/* CLOSE, CUT, LINK_DOWN: no-ops (counted) when nothing is live. */
	control_ev(e, &ev, 0);
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

static uint16_t rd16(struct reader *r)
{
	uint8_t hi = rd(r);

	return (uint16_t)(hi << 8 | rd(r));
}

static void advance(uint8_t b)
{
	w.now += (tt_ns_t)(b & 63) * delta_unit_ns[b >> 6];
}

static void forge(struct reader *r)
{
	struct end *to = (rd(r) & 1) ? &w.b : &w.a;
	size_t len = rd16(r) % (DGRAM_MAX + 1);

	if (len > r->left)
		len = r->left;
	memcpy(tmp_pkt, r->p, len);
	r->p += len;
	r->left -= len;
	receive(to, tmp_pkt, len, true);
}

static void corrupt(struct reader *r)
{
	uint8_t k = rd(r);
	struct queue *q = (k & 1) ? &w.qb : &w.qa;
	struct end *to = (k & 1) ? &w.a : &w.b;
	uint16_t off = rd16(r);
	uint8_t x = rd(r);
	size_t len = q_pop(q);

	if (len == 0)
		return;
	tmp_pkt[off % len] ^= x;
	receive(to, tmp_pkt, len, x != 0);
}

static void queue_op(uint8_t op, uint8_t k)
{
	struct queue *q = (k & 1) ? &w.qb : &w.qa;
	unsigned int j, n;
	uint8_t s, t;

	if (q->n == 0)
		return;
	switch (op) {
	case 4:
		for (n = 1 + (k >> 1) % 4; n > 0 && q->n > 0; n--)
			q_pop(q);
		break;
	case 5:
		/* The copy goes in front of the original. */
		if (q->n_free > 0) {
			s = q->free[--q->n_free];
			t = q->order[0];
			q->slot[s].len = q->slot[t].len;
			memcpy(q->slot[s].bytes, q->slot[t].bytes, q->slot[t].len);
			memmove(&q->order[1], &q->order[0], q->n);
			q->order[0] = s;
			q->n++;
		}
		break;
	default:
		j = (k >> 1) % q->n;
		t = q->order[0];
		q->order[0] = q->order[j];
		q->order[j] = t;
		break;
	}
}

static void to_deadline(uint8_t k)
{
	struct end *e = (k & 1) ? &w.b : &w.a;
	tt_ns_t d;

	if (tt_dc_next_deadline(e->ch, &d)) {
		d = d - 1 + (k >> 1) % 3;
		if (tt_time_after(d, w.now))
			w.now = d;
	} else {
		w.now += TT_NS_PER_MS;
	}
	tick(e);
}

static bool setup(const uint8_t *h)
{
	const struct profile *pr = &profiles[h[3] & 3];
	uint32_t min_s, seg;

	tt_dc_config_default(&w.cfg);
	w.cfg.worker_id = WORKER_ID;
	w.cfg.chan_idx = CHAN_IDX;
	w.cfg.mtu = mtus[h[0] & 3];
	w.cfg.msg_max = msg_maxes[(h[0] >> 2) & 7];
	w.cfg.max_retx = (uint8_t)(h[0] >> 5);
	w.cfg.window = (uint16_t)(1 + h[1] % TT_DCW_WINDOW_MAX);
	w.cfg.rx_window = (uint16_t)(1 + h[2] % TT_DCW_WINDOW_MAX);
	w.cfg.rto_init_ns = pr->rto_init;
	w.cfg.rto_min_ns = pr->rto_min;
	w.cfg.rto_max_ns = pr->rto_max;
	w.cfg.granularity_ns = pr->g;
	w.cfg.probe_interval_ns = pr->probe_iv;
	w.cfg.probe_timeout_ns = pr->probe_to;
	seg = w.cfg.mtu - 20u - 8u - TT_DCW_HDR_LEN;
	min_s = (w.cfg.msg_max + seg - 1) / seg;
	if (min_s < w.cfg.window)
		min_s = w.cfg.window;
	/* Send buffer: the smallest allowed, or the default (minimum + window). */
	w.cfg.sndbuf_segs = (h[3] & 4) ? min_s : 0;
	w.sbuf_n = (h[3] & 4) ? min_s : min_s + w.cfg.window;
	w.a.ch = tt_dc_create(&w.cfg);
	w.b.ch = tt_dc_create(&w.cfg);
	return w.a.ch != NULL && w.b.ch != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = {data + HDR_LEN, size - HDR_LEN};
	struct tt_dc_config bad;

	if (size < HDR_LEN)
		return 0;
	/* Not memset: the world is large and these are all it needs reset. */
	w.a.n_sent = w.a.n_delivered = w.b.n_sent = w.b.n_delivered = 0;
	w.conn = 0;
	w.tainted = false;
	q_init(&w.qa);
	q_init(&w.qb);
	w.a.who = "A";
	w.b.who = "B";
	w.a.q = &w.qa;
	w.b.q = &w.qb;
	/* Start far from 0, or 1 s before the 64-bit wrap. */
	w.now = (data[3] & 8) ? (tt_ns_t)0 - TT_NS_PER_S + data[7] : TT_NS_PER_MS + data[7];
	if (!setup(data))
		broke(&w.a, "valid configuration refused");
	bad = w.cfg;
	bad.probe_timeout_ns = bad.probe_interval_ns;
	if (tt_dc_create(&bad) != NULL || errno != EINVAL)
		broke(&w.a, "invalid configuration accepted");

	/* ISNs from the header, near the 32-bit wrap if asked. */
	w.epoch = 1 + data[6];
	open_end(&w.b, (data[3] & 16) ? 0xffffffffu - data[4] : (uint32_t)data[4] << 20, 0);
	open_end(&w.a, (data[3] & 32) ? 0xffffffffu - data[5] : (uint32_t)data[5] << 20,
		 0x5eed000000000000ull | data[7]);

	while (r.left > 0) {
		uint8_t op = rd(&r) & 15, k;

		switch (op) {
		case 0:
		case 1:
			advance(rd(&r));
			tick(op ? &w.b : &w.a);
			break;
		case 2:
			advance(rd(&r));
			deliver_head(&w.qa, &w.b);
			break;
		case 3:
			advance(rd(&r));
			deliver_head(&w.qb, &w.a);
			break;
		case 4:
		case 5:
		case 6:
			k = rd(&r);
			queue_op(op, k);
			break;
		case 7:
		case 8:
			send_msg(op == 7 ? &w.a : &w.b, rd16(&r) % (w.cfg.msg_max + 2));
			break;
		case 10:
			forge(&r);
			break;
		case 11:
			corrupt(&r);
			break;
		case 12:
			control(rd(&r));
			break;
		case 13:
			to_deadline(rd(&r));
			break;
		case 14:
			flush();
			break;
		default:
			run_rounds(1 + rd(&r) % 32);
			break;
		}
	}
	tt_dc_destroy(w.a.ch);
	tt_dc_destroy(w.b.ch);
	tt_dc_destroy(NULL);
	return 0;
}
