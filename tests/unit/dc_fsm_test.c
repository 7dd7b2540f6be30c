/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data channel on virtual time: every state x event cell (RX expanded by
 * packet type), handshake, segmentation edge cases, flow control, RTO
 * estimation and backoff, probing, and loss/duplication/reordering recovery
 * between two channels joined by an in-test link with a seeded PRNG.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dc_fsm.h"

#define MS	TT_NS_PER_MS
#define US	TT_NS_PER_US
#define PKT_MAX 1600
#define WORKER	42
#define CHAN	1
#define EPOCH	5
#define ISN_C	1000u /* connector's ISN */
#define ISN_A	2000u /* acceptor's ISN */
#define NONCE	0x0123456789abcdefull
#define SEG	1416 /* 1500 - 20 - 8 - 56 */

static const struct tt_dcw_policy pol = {.n_channels = TT_DCW_MAX_CHANNELS, .mac = false};

static struct tt_dc_config base_cfg(void)
{
	struct tt_dc_config c;

	tt_dc_config_default(&c);
	c.worker_id = WORKER;
	c.chan_idx = CHAN;
	c.window = 8;
	c.rx_window = 8;
	c.rto_init_ns = 10 * MS;
	c.rto_min_ns = 1 * MS;
	c.rto_max_ns = 1000 * MS;
	c.max_retx = 3;
	c.probe_interval_ns = 100 * MS;
	c.probe_timeout_ns = 350 * MS;
	return c;
}

static struct tt_dc *mk(const struct tt_dc_config *c)
{
	struct tt_dc *ch = tt_dc_create(c);

	assert_non_null(ch);
	return ch;
}

static int ev_open(struct tt_dc *ch, uint32_t epoch, uint32_t isn, uint64_t nonce, tt_ns_t now,
		   struct tt_dc_actions *out)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_OPEN,
				 .open = {.epoch = epoch, .isn = isn, .nonce = nonce}};

	return tt_dc_step(ch, &ev, now, out);
}

static int ev_listen(struct tt_dc *ch, uint32_t epoch, uint32_t isn, tt_ns_t now,
		     struct tt_dc_actions *out)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_LISTEN, .open = {.epoch = epoch, .isn = isn}};

	return tt_dc_step(ch, &ev, now, out);
}

static int ev_simple(struct tt_dc *ch, enum tt_dc_event_type t, tt_ns_t now,
		     struct tt_dc_actions *out)
{
	struct tt_dc_event ev = {.type = t};

	return tt_dc_step(ch, &ev, now, out);
}

/* Build a packet into buf and parse it back, as a receiver would see it. */
static void wire(const struct tt_dcw_pkt *in, uint8_t *buf, struct tt_dcw_pkt *out)
{
	size_t n = tt_dcw_build(in, buf, PKT_MAX);

	assert_true(n >= TT_DCW_HDR_LEN);
	assert_int_equal(tt_dcw_parse(buf, n, &pol, out, NULL), TT_DCW_RX_OK);
}

/* What channel `from` would send for req, parsed. */
static void pkt_from(const struct tt_dc *from, const struct tt_dc_tx_req *req, uint8_t *buf,
		     struct tt_dcw_pkt *out)
{
	size_t n = tt_dc_build(from, req, buf, PKT_MAX);

	assert_true(n >= TT_DCW_HDR_LEN);
	assert_int_equal(tt_dcw_parse(buf, n, &pol, out, NULL), TT_DCW_RX_OK);
}

/* A packet from the peer of a channel with worker/chan/epoch of the fixture. */
static struct tt_dcw_pkt peer_pkt(uint8_t type)
{
	struct tt_dcw_pkt p;

	memset(&p, 0, sizeof(p));
	p.version = TT_DCW_VERSION;
	p.type = type;
	p.worker_id = WORKER;
	p.chan_idx = CHAN;
	p.epoch = EPOCH;
	return p;
}

static int rx_crafted(struct tt_dc *ch, const struct tt_dcw_pkt *p, tt_ns_t now,
		      struct tt_dc_actions *out)
{
	uint8_t buf[PKT_MAX];
	struct tt_dcw_pkt q;

	wire(p, buf, &q);
	return tt_dc_rx(ch, &q, now, out);
}

static void assert_tx(const struct tt_dc_actions *out, unsigned int n, const uint8_t *types)
{
	assert_int_equal(out->n_tx, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(out->tx[i].type, types[i]);
	assert_int_equal(!!(out->flags & TT_DC_A_TX), n > 0);
}

static void assert_no_tx(const struct tt_dc_actions *out)
{
	assert_tx(out, 0, NULL);
}

/* ------------------------------------------------------------------ */
/* A two-endpoint network on virtual time: link with delay, jitter, loss */
/* and duplication from a seeded PRNG; message generators and checkers.  */
/* ------------------------------------------------------------------ */

#define QMAX	 4096
#define LOGMAX	 4096
#define NMSG_MAX 64

struct qpkt {
	tt_ns_t at;
	uint64_t order;
	int dst;
	size_t len;
	uint8_t data[PKT_MAX];
};

struct logent {
	tt_ns_t t;
	int from;
	uint8_t type;
	uint32_t seq;
};

struct net {
	struct tt_dc *ch[2]; /* 0: connector (worker), 1: acceptor (master) */
	struct tt_dc_config cfg[2];
	tt_ns_t now;
	tt_ns_t delay_ns;
	tt_ns_t jitter_ns;
	unsigned int loss_pm; /* per mille */
	unsigned int dup_pm;
	uint64_t rng;
	bool cut_to[2]; /* drop everything towards endpoint i */
	bool stop_when_done;
	struct qpkt *q;
	unsigned int nq;
	uint64_t order;
	struct logent log[LOGMAX];
	unsigned int nlog;
	/* application */
	unsigned int nmsg[2];	   /* messages endpoint i sends */
	uint32_t len[2][NMSG_MAX]; /* their lengths */
	unsigned int sent[2];	   /* queued so far */
	unsigned int got[2];	   /* delivered at endpoint i (from 1 - i) */
	unsigned int downs[2];
	enum tt_dc_down_reason down_reason[2];
	tt_ns_t down_at[2];
	unsigned int ups[2];
	unsigned int max_inflight[2];
	uint64_t data_tx[2];
};

static uint64_t rnd(struct net *n)
{
	/* xorshift64* */
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return n->rng * 0x2545f4914f6cdd1dull;
}

static uint8_t msg_byte(int from, unsigned int k, uint32_t j)
{
	return (uint8_t)(k * 131u + j * 7u + (unsigned int)from * 61u + (j >> 8));
}

static void net_init(struct net *n, const struct tt_dc_config *c0, const struct tt_dc_config *c1,
		     uint64_t seed)
{
	memset(n, 0, sizeof(*n));
	n->cfg[0] = *c0;
	n->cfg[1] = *c1;
	n->ch[0] = mk(c0);
	n->ch[1] = mk(c1);
	n->q = calloc(QMAX, sizeof(*n->q));
	assert_non_null(n->q);
	n->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	n->delay_ns = 1 * MS;
}

static void net_fini(struct net *n)
{
	tt_dc_destroy(n->ch[0]);
	tt_dc_destroy(n->ch[1]);
	free(n->q);
}

static void enqueue(struct net *n, int dst, const uint8_t *buf, size_t len)
{
	struct qpkt *p;

	assert_true(n->nq < QMAX);
	p = &n->q[n->nq++];
	p->at = n->now + n->delay_ns + (n->jitter_ns ? rnd(n) % n->jitter_ns : 0);
	p->order = n->order++;
	p->dst = dst;
	p->len = len;
	memcpy(p->data, buf, len);
}

/* The window invariants, checked at every DATA transmission. */
static void check_window(struct net *n, int from, uint32_t seq)
{
	struct tt_dc_info s, r;

	tt_dc_info(n->ch[from], &s);
	tt_dc_info(n->ch[1 - from], &r);
	/* sender: at most `window` segments from snd_una, below the edge it knows */
	assert_true(seq - s.snd_una < n->cfg[from].window);
	assert_true((int32_t)(seq - s.peer_edge) < 0);
	/* receiver: never past its real edge (what it can hold) */
	assert_true((int32_t)(seq - r.rcv_cons) < (int32_t)n->cfg[1 - from].rx_window);
	if (s.snd_nxt - s.snd_una > n->max_inflight[from])
		n->max_inflight[from] = s.snd_nxt - s.snd_una;
}

static void handle(struct net *n, int i, const struct tt_dc_actions *out)
{
	if (out->flags & TT_DC_A_DELIVER) {
		unsigned int k = n->got[i]++;

		assert_true(k < n->nmsg[1 - i]);
		assert_int_equal(out->msg_id, k);
		assert_int_equal(out->msg_len, n->len[1 - i][k]);
		for (uint32_t j = 0; j < out->msg_len; j++)
			if (out->msg[j] != msg_byte(1 - i, k, j))
				fail_msg("message %u from %d: byte %u differs", k, 1 - i, j);
	}
	if (out->flags & TT_DC_A_UP)
		n->ups[i]++;
	if (out->flags & TT_DC_A_DOWN) {
		n->downs[i]++;
		n->down_reason[i] = out->down_reason;
		n->down_at[i] = n->now;
	}
	for (unsigned int t = 0; t < out->n_tx; t++) {
		uint8_t buf[PKT_MAX];
		size_t len = tt_dc_build(n->ch[i], &out->tx[t], buf, sizeof(buf));

		assert_true(len >= TT_DCW_HDR_LEN);
		if (n->nlog < LOGMAX)
			n->log[n->nlog++] =
				(struct logent){n->now, i, out->tx[t].type, out->tx[t].seq};
		if (out->tx[t].type == TT_DCW_T_DATA) {
			check_window(n, i, out->tx[t].seq);
			n->data_tx[i]++;
		}
		if (n->cut_to[1 - i] || (n->loss_pm && rnd(n) % 1000 < n->loss_pm))
			continue;
		enqueue(n, 1 - i, buf, len);
		if (n->dup_pm && rnd(n) % 1000 < n->dup_pm)
			enqueue(n, 1 - i, buf, len);
	}
}

static int net_step(struct net *n, int i, const struct tt_dc_event *ev)
{
	struct tt_dc_actions out;
	int rc = tt_dc_step(n->ch[i], ev, n->now, &out);

	handle(n, i, &out);
	return rc;
}

/* The application: queue the next messages until the send buffer refuses. */
static void app(struct net *n)
{
	static uint8_t msg[TT_DCW_MSG_MAX];

	for (int i = 0; i < 2; i++) {
		while (tt_dc_state(n->ch[i]) == TT_DC_S_UP && n->sent[i] < n->nmsg[i]) {
			unsigned int k = n->sent[i];
			struct tt_dc_event ev = {.type = TT_DC_EV_SEND,
						 .msg = {.data = msg, .len = n->len[i][k]}};
			int rc;

			for (uint32_t j = 0; j < n->len[i][k]; j++)
				msg[j] = msg_byte(i, k, j);
			rc = net_step(n, i, &ev);
			if (rc == -ENOBUFS)
				break;
			assert_int_equal(rc, 0);
			n->sent[i]++;
		}
	}
}

static bool all_done(const struct net *n)
{
	struct tt_dc_info a, b;

	tt_dc_info(n->ch[0], &a);
	tt_dc_info(n->ch[1], &b);
	return n->got[1] == n->nmsg[0] && n->got[0] == n->nmsg[1] && a.snd_una == a.snd_end &&
	       b.snd_una == b.snd_end;
}

/*
 * Run until t_end (or, with stop_when_done, until every message is delivered
 * and acked): packets arrive in (time, order), timers fire at their deadlines;
 * at equal times packets go first.
 */
static void net_run(struct net *n, tt_ns_t t_end)
{
	for (unsigned long iter = 0;; iter++) {
		tt_ns_t next = t_end, d;
		int qi = -1, ti = -1;
		bool have = false;

		assert_true(iter < 10000000ul);
		if (n->stop_when_done && all_done(n))
			return;
		for (unsigned int k = 0; k < n->nq; k++)
			if (qi < 0 || tt_time_before(n->q[k].at, n->q[qi].at) ||
			    (n->q[k].at == n->q[qi].at && n->q[k].order < n->q[qi].order))
				qi = (int)k;
		if (qi >= 0 && !tt_time_after(n->q[qi].at, t_end)) {
			next = n->q[qi].at;
			have = true;
		} else {
			qi = -1;
		}
		for (int i = 0; i < 2; i++) {
			if (!tt_dc_next_deadline(n->ch[i], &d))
				continue;
			if (tt_time_before(d, n->now))
				d = n->now;
			if (!tt_time_after(d, t_end) && (!have || tt_time_before(d, next))) {
				next = d;
				ti = i;
				qi = -1;
				have = true;
			}
		}
		if (!have) {
			n->now = t_end;
			return;
		}
		n->now = next;
		if (ti >= 0) {
			struct tt_dc_event ev = {.type = TT_DC_EV_TIMER};

			assert_int_equal(net_step(n, ti, &ev), 0);
		} else {
			struct qpkt p = n->q[qi];
			struct tt_dcw_pkt pkt;
			struct tt_dc_event ev = {.type = TT_DC_EV_RX, .pkt = &pkt};

			n->q[qi] = n->q[--n->nq];
			assert_int_equal(tt_dcw_parse(p.data, p.len, &pol, &pkt, NULL),
					 TT_DCW_RX_OK);
			assert_int_equal(net_step(n, p.dst, &ev), 0);
		}
		app(n);
	}
}

/* LISTEN on 1, OPEN on 0, run until both are UP. */
static void net_connect(struct net *n, uint32_t isn0, uint32_t isn1)
{
	struct tt_dc_event l = {.type = TT_DC_EV_LISTEN, .open = {.epoch = EPOCH, .isn = isn1}};
	struct tt_dc_event o = {.type = TT_DC_EV_OPEN,
				.open = {.epoch = EPOCH, .isn = isn0, .nonce = NONCE}};

	assert_int_equal(net_step(n, 1, &l), 0);
	assert_int_equal(net_step(n, 0, &o), 0);
	net_run(n, n->now + 2 * (n->delay_ns + n->jitter_ns));
	assert_int_equal(tt_dc_state(n->ch[0]), TT_DC_S_UP);
	assert_int_equal(tt_dc_state(n->ch[1]), TT_DC_S_UP);
}

/* ------------------------------------------------------------------ */
/* State x event table                                                  */
/* ------------------------------------------------------------------ */

/* Bring a fresh channel into a state. UP and DOWN are reached as the connector. */
static struct tt_dc *in_state(enum tt_dc_state s, tt_ns_t *now)
{
	struct tt_dc_config c = base_cfg();
	struct tt_dc *ch = mk(&c);
	struct tt_dc_actions out;
	struct tt_dcw_pkt acc;

	*now = 1000 * MS;
	switch (s) {
	case TT_DC_S_CLOSED:
		break;
	case TT_DC_S_ACCEPTING:
		assert_int_equal(ev_listen(ch, EPOCH, ISN_A, *now, &out), 0);
		break;
	case TT_DC_S_CONNECTING:
	case TT_DC_S_UP:
	case TT_DC_S_DOWN:
		assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, *now, &out), 0);
		if (s == TT_DC_S_CONNECTING)
			break;
		acc = peer_pkt(TT_DCW_T_ACCEPT);
		acc.seq = ISN_A;
		acc.ack = ISN_C;
		acc.window = 8;
		acc.nonce = NONCE;
		*now += 2 * MS;
		assert_int_equal(rx_crafted(ch, &acc, *now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
		if (s == TT_DC_S_DOWN)
			assert_int_equal(ev_simple(ch, TT_DC_EV_LINK_DOWN, *now, &out), 0);
		break;
	default:
		fail();
	}
	assert_int_equal(tt_dc_state(ch), s);
	return ch;
}

/* Columns: the 8 non-RX events, then RX of each packet type. */
#define COL_RX(type) (TT_DC_EV_COUNT + (type) - 1)
#define NCOLS	     (TT_DC_EV_COUNT + TT_DCW_T_MAX - 1)

/* A valid packet of each type from the fixture's peer, as the UP connector expects. */
static struct tt_dcw_pkt col_pkt(uint8_t type)
{
	struct tt_dcw_pkt p = peer_pkt(type);
	static const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};

	switch (type) {
	case TT_DCW_T_CONNECT:
		p.seq = ISN_C;
		p.window = 8;
		p.nonce = NONCE;
		break;
	case TT_DCW_T_ACCEPT:
		p.seq = ISN_A;
		p.ack = ISN_C;
		p.window = 8;
		p.nonce = NONCE;
		break;
	case TT_DCW_T_DATA:
		p.seq = ISN_A;
		p.ack = ISN_C;
		p.window = 8;
		p.msg_len = 5;
		p.payload_len = 5;
		p.payload = hello;
		break;
	case TT_DCW_T_ACK:
	case TT_DCW_T_PROBE_ACK:
		p.ack = ISN_C;
		p.window = 8;
		break;
	case TT_DCW_T_PROBE:
		p.seq = 77;
		p.ack = ISN_C;
		p.window = 8;
		break;
	default:
		break;
	}
	return p;
}

struct cell {
	enum tt_dc_state from;
	int col;
	int rc;
	enum tt_dc_state to;
	uint32_t flags; /* exact, among UP, DOWN, DELIVER, STATE_CHANGE */
	enum tt_dc_down_reason reason;
	enum tt_dc_rx_reject verdict;
	uint8_t ntx;
	uint8_t tx[2];
};

#define SC    TT_DC_A_STATE_CHANGE
#define FUP   (TT_DC_A_UP | SC)
#define FDOWN (TT_DC_A_DOWN | SC)
#define S(x)  TT_DC_S_##x
#define T(x)  TT_DCW_T_##x
#define D(x)  TT_DC_DOWN_##x
#define V(x)  TT_DC_RX_##x
#define E(x)  TT_DC_EV_##x

static const struct cell cells[] = {
	/* CLOSED */
	{S(CLOSED), E(RX), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), E(TIMER), 0, S(CLOSED), 0, D(NONE), V(OK), 0, {0}},
	{S(CLOSED), E(OPEN), 0, S(CONNECTING), SC, D(NONE), V(OK), 1, {T(CONNECT)}},
	{S(CLOSED), E(LISTEN), 0, S(ACCEPTING), SC, D(NONE), V(OK), 0, {0}},
	{S(CLOSED), E(SEND), -ENOTCONN, S(CLOSED), 0, D(NONE), V(OK), 0, {0}},
	{S(CLOSED), E(LINK_DOWN), 0, S(CLOSED), 0, D(NONE), V(OK), 0, {0}},
	{S(CLOSED), E(CUT), 0, S(CLOSED), 0, D(NONE), V(OK), 0, {0}},
	{S(CLOSED), E(CLOSE), 0, S(CLOSED), 0, D(NONE), V(OK), 0, {0}},
	{S(CLOSED), E(RESET), 0, S(CLOSED), 0, D(NONE), V(OK), 0, {0}},
	{S(CLOSED), COL_RX(T(CONNECT)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), COL_RX(T(ACCEPT)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), COL_RX(T(DATA)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), COL_RX(T(ACK)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), COL_RX(T(PROBE)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), COL_RX(T(PROBE_ACK)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), COL_RX(T(CLOSE)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	{S(CLOSED), COL_RX(T(RESET)), 0, S(CLOSED), 0, D(NONE), V(NOT_OPEN), 0, {0}},
	/* CONNECTING (TIMER at the RTO: CONNECT again) */
	{S(CONNECTING), E(RX), 0, S(UP), FUP, D(NONE), V(OK), 0, {0}},
	{S(CONNECTING), E(TIMER), 0, S(CONNECTING), 0, D(NONE), V(OK), 1, {T(CONNECT)}},
	{S(CONNECTING), E(OPEN), -EALREADY, S(CONNECTING), 0, D(NONE), V(OK), 0, {0}},
	{S(CONNECTING), E(LISTEN), -EALREADY, S(CONNECTING), 0, D(NONE), V(OK), 0, {0}},
	{S(CONNECTING), E(SEND), -ENOTCONN, S(CONNECTING), 0, D(NONE), V(OK), 0, {0}},
	{S(CONNECTING), E(LINK_DOWN), 0, S(DOWN), FDOWN, D(LINK_DOWN), V(OK), 0, {0}},
	{S(CONNECTING), E(CUT), 0, S(DOWN), FDOWN, D(CUT), V(OK), 1, {T(RESET)}},
	{S(CONNECTING), E(CLOSE), 0, S(DOWN), FDOWN, D(LOCAL_CLOSE), V(OK), 1, {T(CLOSE)}},
	{S(CONNECTING), E(RESET), -EBUSY, S(CONNECTING), 0, D(NONE), V(OK), 0, {0}},
	{S(CONNECTING), COL_RX(T(CONNECT)), 0, S(CONNECTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(CONNECTING), COL_RX(T(ACCEPT)), 0, S(UP), FUP, D(NONE), V(OK), 0, {0}},
	{S(CONNECTING), COL_RX(T(DATA)), 0, S(CONNECTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(CONNECTING), COL_RX(T(ACK)), 0, S(CONNECTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(CONNECTING), COL_RX(T(PROBE)), 0, S(CONNECTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(CONNECTING), COL_RX(T(PROBE_ACK)), 0, S(CONNECTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(CONNECTING), COL_RX(T(CLOSE)), 0, S(DOWN), FDOWN, D(PEER_CLOSE), V(OK), 0, {0}},
	{S(CONNECTING), COL_RX(T(RESET)), 0, S(DOWN), FDOWN, D(PEER_RESET), V(OK), 0, {0}},
	/* ACCEPTING */
	{S(ACCEPTING), E(RX), 0, S(UP), FUP, D(NONE), V(OK), 1, {T(ACCEPT)}},
	{S(ACCEPTING), E(TIMER), 0, S(ACCEPTING), 0, D(NONE), V(OK), 0, {0}},
	{S(ACCEPTING), E(OPEN), -EALREADY, S(ACCEPTING), 0, D(NONE), V(OK), 0, {0}},
	{S(ACCEPTING), E(LISTEN), -EALREADY, S(ACCEPTING), 0, D(NONE), V(OK), 0, {0}},
	{S(ACCEPTING), E(SEND), -ENOTCONN, S(ACCEPTING), 0, D(NONE), V(OK), 0, {0}},
	{S(ACCEPTING), E(LINK_DOWN), 0, S(DOWN), FDOWN, D(LINK_DOWN), V(OK), 0, {0}},
	{S(ACCEPTING), E(CUT), 0, S(DOWN), FDOWN, D(CUT), V(OK), 0, {0}},
	{S(ACCEPTING), E(CLOSE), 0, S(DOWN), FDOWN, D(LOCAL_CLOSE), V(OK), 0, {0}},
	{S(ACCEPTING), E(RESET), -EBUSY, S(ACCEPTING), 0, D(NONE), V(OK), 0, {0}},
	{S(ACCEPTING), COL_RX(T(CONNECT)), 0, S(UP), FUP, D(NONE), V(OK), 1, {T(ACCEPT)}},
	{S(ACCEPTING), COL_RX(T(ACCEPT)), 0, S(ACCEPTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(ACCEPTING), COL_RX(T(DATA)), 0, S(ACCEPTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(ACCEPTING), COL_RX(T(ACK)), 0, S(ACCEPTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(ACCEPTING), COL_RX(T(PROBE)), 0, S(ACCEPTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(ACCEPTING), COL_RX(T(PROBE_ACK)), 0, S(ACCEPTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(ACCEPTING), COL_RX(T(CLOSE)), 0, S(ACCEPTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(ACCEPTING), COL_RX(T(RESET)), 0, S(ACCEPTING), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	/* UP, as connector (TIMER at the first deadline: a PROBE) */
	{S(UP), E(RX), 0, S(UP), TT_DC_A_DELIVER, D(NONE), V(OK), 1, {T(ACK)}},
	{S(UP), E(TIMER), 0, S(UP), 0, D(NONE), V(OK), 1, {T(PROBE)}},
	{S(UP), E(OPEN), -EALREADY, S(UP), 0, D(NONE), V(OK), 0, {0}},
	{S(UP), E(LISTEN), -EALREADY, S(UP), 0, D(NONE), V(OK), 0, {0}},
	{S(UP), E(SEND), 0, S(UP), 0, D(NONE), V(OK), 1, {T(DATA)}},
	{S(UP), E(LINK_DOWN), 0, S(DOWN), FDOWN, D(LINK_DOWN), V(OK), 0, {0}},
	{S(UP), E(CUT), 0, S(DOWN), FDOWN, D(CUT), V(OK), 1, {T(RESET)}},
	{S(UP), E(CLOSE), 0, S(DOWN), FDOWN, D(LOCAL_CLOSE), V(OK), 1, {T(CLOSE)}},
	{S(UP), E(RESET), -EBUSY, S(UP), 0, D(NONE), V(OK), 0, {0}},
	{S(UP), COL_RX(T(CONNECT)), 0, S(UP), 0, D(NONE), V(UNEXPECTED), 0, {0}},
	{S(UP), COL_RX(T(ACCEPT)), 0, S(UP), 0, D(NONE), V(DUPLICATE), 0, {0}},
	{S(UP), COL_RX(T(DATA)), 0, S(UP), TT_DC_A_DELIVER, D(NONE), V(OK), 1, {T(ACK)}},
	{S(UP), COL_RX(T(ACK)), 0, S(UP), 0, D(NONE), V(OK), 0, {0}},
	{S(UP), COL_RX(T(PROBE)), 0, S(UP), 0, D(NONE), V(OK), 1, {T(PROBE_ACK)}},
	{S(UP), COL_RX(T(PROBE_ACK)), 0, S(UP), 0, D(NONE), V(OK), 0, {0}},
	{S(UP), COL_RX(T(CLOSE)), 0, S(DOWN), FDOWN, D(PEER_CLOSE), V(OK), 0, {0}},
	{S(UP), COL_RX(T(RESET)), 0, S(DOWN), FDOWN, D(PEER_RESET), V(OK), 0, {0}},
	/* DOWN (from LINK_DOWN) */
	{S(DOWN), E(RX), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 1, {T(RESET)}},
	{S(DOWN), E(TIMER), 0, S(DOWN), 0, D(NONE), V(OK), 0, {0}},
	{S(DOWN), E(OPEN), -EALREADY, S(DOWN), 0, D(NONE), V(OK), 0, {0}},
	{S(DOWN), E(LISTEN), -EALREADY, S(DOWN), 0, D(NONE), V(OK), 0, {0}},
	{S(DOWN), E(SEND), -ENOTCONN, S(DOWN), 0, D(NONE), V(OK), 0, {0}},
	{S(DOWN), E(LINK_DOWN), 0, S(DOWN), 0, D(NONE), V(OK), 0, {0}},
	{S(DOWN), E(CUT), 0, S(DOWN), 0, D(NONE), V(OK), 0, {0}},
	{S(DOWN), E(CLOSE), 0, S(DOWN), 0, D(NONE), V(OK), 0, {0}},
	{S(DOWN), E(RESET), 0, S(CLOSED), SC, D(NONE), V(OK), 0, {0}},
	{S(DOWN), COL_RX(T(CONNECT)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 1, {T(RESET)}},
	{S(DOWN), COL_RX(T(ACCEPT)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 1, {T(RESET)}},
	{S(DOWN), COL_RX(T(DATA)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 1, {T(RESET)}},
	{S(DOWN), COL_RX(T(ACK)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 1, {T(RESET)}},
	{S(DOWN), COL_RX(T(PROBE)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 1, {T(RESET)}},
	{S(DOWN), COL_RX(T(PROBE_ACK)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 1, {T(RESET)}},
	{S(DOWN), COL_RX(T(CLOSE)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 0, {0}},
	{S(DOWN), COL_RX(T(RESET)), 0, S(DOWN), 0, D(NONE), V(CHANNEL_DOWN), 0, {0}},
};

/* The packet the plain RX column uses in each state: the one that moves it. */
static uint8_t rx_col_type(enum tt_dc_state s)
{
	switch (s) {
	case TT_DC_S_CONNECTING:
		return TT_DCW_T_ACCEPT;
	case TT_DC_S_ACCEPTING:
		return TT_DCW_T_CONNECT;
	default:
		return TT_DCW_T_DATA;
	}
}

static void run_cell(const struct cell *c)
{
	tt_ns_t now, d;
	struct tt_dc *ch = in_state(c->from, &now);
	struct tt_dc_actions out;
	struct tt_dc_event ev;
	const struct tt_dc_counters *cnt = tt_dc_counters(ch);
	uint64_t downs_before = cnt->down_by_reason[c->reason];
	static const uint8_t two[2] = {1, 2};
	uint8_t buf[PKT_MAX];
	struct tt_dcw_pkt pkt;
	int rc;

	memset(&ev, 0, sizeof(ev));
	if (c->col == TT_DC_EV_RX || c->col >= TT_DC_EV_COUNT) {
		uint8_t type = c->col == TT_DC_EV_RX ? rx_col_type(c->from)
						     : (uint8_t)(c->col - TT_DC_EV_COUNT + 1);
		struct tt_dcw_pkt p = col_pkt(type);

		wire(&p, buf, &pkt);
		ev.type = TT_DC_EV_RX;
		ev.pkt = &pkt;
		now += 1 * MS;
	} else {
		ev.type = (enum tt_dc_event_type)c->col;
		if (ev.type == TT_DC_EV_OPEN || ev.type == TT_DC_EV_LISTEN)
			ev.open = (struct tt_dc_open){.epoch = EPOCH + 1, .isn = 9, .nonce = 99};
		if (ev.type == TT_DC_EV_SEND)
			ev.msg = (struct tt_dc_msg){.data = two, .len = 2};
		if (ev.type == TT_DC_EV_TIMER)
			now = tt_dc_next_deadline(ch, &d) ? d : now + 1000 * MS;
	}
	rc = tt_dc_step(ch, &ev, now, &out);
	assert_int_equal(rc, c->rc);
	assert_int_equal(tt_dc_state(ch), c->to);
	assert_int_equal(out.old_state, c->from);
	assert_int_equal(out.new_state, c->to);
	assert_int_equal(out.flags & (TT_DC_A_UP | TT_DC_A_DOWN | TT_DC_A_DELIVER | SC), c->flags);
	assert_tx(&out, c->ntx, c->tx);
	if (ev.type == TT_DC_EV_RX)
		assert_int_equal(out.rx_verdict, c->verdict);
	if (c->flags & TT_DC_A_DOWN) {
		assert_int_equal(out.down_reason, c->reason);
		assert_int_equal(tt_dc_down_reason(ch), c->reason);
		assert_int_equal(cnt->down_by_reason[c->reason], downs_before + 1);
		assert_int_equal(tt_dc_down_reason_pkt(c->reason),
				 c->from == TT_DC_S_ACCEPTING ? tt_dc_down_reason_pkt(c->reason)
							      : (c->ntx ? c->tx[0] : 0));
	}
	/* Every listed packet builds. */
	for (unsigned int i = 0; i < out.n_tx; i++)
		assert_true(tt_dc_build(ch, &out.tx[i], buf, sizeof(buf)) >= TT_DCW_HDR_LEN);
	/* A DOWN is reported once: a second step does not repeat it. */
	if (c->flags & TT_DC_A_DOWN) {
		assert_int_equal(tt_dc_tick(ch, now + 1000 * MS, &out), 0);
		assert_int_equal(out.flags & TT_DC_A_DOWN, 0);
		assert_int_equal(cnt->down_by_reason[c->reason], downs_before + 1);
	}
	tt_dc_destroy(ch);
}

static void test_state_event_table(void **state)
{
	bool seen[TT_DC_S_COUNT][NCOLS];
	unsigned int base = 0, all = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		const struct cell *c = &cells[i];

		assert_false(seen[c->from][c->col]);
		seen[c->from][c->col] = true;
		run_cell(c);
	}
	for (int s = 0; s < TT_DC_S_COUNT; s++)
		for (int e = 0; e < NCOLS; e++) {
			if (!seen[s][e])
				fail_msg("cell %s x col %d not covered", tt_dc_state_name(s), e);
			if (e < TT_DC_EV_COUNT)
				base++;
			all++;
		}
	assert_int_equal(base, TT_DC_S_COUNT * TT_DC_EV_COUNT);
	printf("# dc state x event cells covered: %u of %u (%d states x %d events); "
	       "with RX split by packet type: %u\n",
	       base, TT_DC_S_COUNT * TT_DC_EV_COUNT, TT_DC_S_COUNT, TT_DC_EV_COUNT, all);
}

/* The acceptor in UP answers a repeated CONNECT (lost ACCEPT) and refuses foreign ones. */
static void test_up_acceptor_cells(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct tt_dc *ch = mk(&c);
	struct tt_dc_actions out;
	struct tt_dcw_pkt p = col_pkt(TT_DCW_T_CONNECT), acc;
	uint8_t buf[PKT_MAX];
	static const uint8_t accept[1] = {TT_DCW_T_ACCEPT};

	(void)state;
	assert_int_equal(ev_listen(ch, EPOCH, ISN_A, 0, &out), 0);
	assert_int_equal(rx_crafted(ch, &p, 1 * MS, &out), 0);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_UP);
	assert_tx(&out, 1, accept);
	pkt_from(ch, &out.tx[0], buf, &acc);
	assert_int_equal(acc.seq, ISN_A);
	assert_int_equal(acc.ack, ISN_C);
	assert_true(acc.nonce == NONCE);
	assert_int_equal(acc.window, 8);

	/* the same CONNECT again: ACCEPT again, counted as a duplicate */
	assert_int_equal(rx_crafted(ch, &p, 2 * MS, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_DUPLICATE);
	assert_tx(&out, 1, accept);
	/* a CONNECT with another nonce: dropped */
	p.nonce = 1;
	assert_int_equal(rx_crafted(ch, &p, 3 * MS, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_NONCE);
	assert_no_tx(&out);
	/* an ACCEPT to the acceptor: unexpected */
	p = col_pkt(TT_DCW_T_ACCEPT);
	assert_int_equal(rx_crafted(ch, &p, 4 * MS, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_UNEXPECTED);
	assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_DUPLICATE], 1);
	assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_NONCE], 1);
	assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_UNEXPECTED], 1);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_UP);
	tt_dc_destroy(ch);
}

/* Invalid arguments: -EINVAL and no effect. */
static void test_invalid_events(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_CLOSED, &now);
	struct tt_dc_actions out;
	struct tt_dc_event ev = {.type = TT_DC_EV_COUNT};

	(void)state;
	assert_int_equal(tt_dc_step(ch, &ev, now, &out), -EINVAL);
	ev.type = TT_DC_EV_RX;
	ev.pkt = NULL;
	assert_int_equal(tt_dc_step(ch, &ev, now, &out), -EINVAL);
	assert_int_equal(ev_open(ch, 0, 1, NONCE, now, &out), -EINVAL);
	assert_int_equal(ev_open(ch, EPOCH, 1, 0, now, &out), -EINVAL);
	assert_int_equal(ev_listen(ch, 0, 1, now, &out), -EINVAL);
	assert_int_equal(tt_dc_send(ch, NULL, 3, now, &out), -EINVAL);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_CLOSED);
	assert_int_equal(tt_dc_counters(ch)->send_refused, 1);
	tt_dc_destroy(ch);
}

/* ------------------------------------------------------------------ */
/* Handshake and identity                                               */
/* ------------------------------------------------------------------ */

static void test_handshake_pair(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct net n;
	struct tt_dc_info a, b;

	(void)state;
	net_init(&n, &c, &c, 1);
	n.delay_ns = 1 * MS;
	net_connect(&n, ISN_C, ISN_A);
	assert_int_equal(n.ups[0], 1);
	assert_int_equal(n.ups[1], 1);
	tt_dc_info(n.ch[0], &a);
	tt_dc_info(n.ch[1], &b);
	assert_int_equal(a.role, TT_DC_ROLE_CONNECTOR);
	assert_int_equal(b.role, TT_DC_ROLE_ACCEPTOR);
	assert_int_equal(a.epoch, EPOCH);
	assert_int_equal(a.snd_una, ISN_C);
	assert_int_equal(a.rcv_nxt, ISN_A);
	assert_int_equal(b.snd_una, ISN_A);
	assert_int_equal(b.rcv_nxt, ISN_C);
	assert_int_equal(a.peer_edge, ISN_C + 8);
	assert_int_equal(b.peer_edge, ISN_A + 8);
	/* the CONNECT, sent once, gave the first RTT sample: 2 ms (RFC 6298 §2.2) */
	assert_true(a.rtt_valid);
	assert_int_equal(a.srtt_ns, 2 * MS);
	assert_int_equal(a.rttvar_ns, 1 * MS);
	assert_int_equal(a.rto_ns, 6 * MS);
	assert_false(b.rtt_valid);
	assert_int_equal(b.rto_ns, 10 * MS);
	assert_string_equal(tt_dc_role_name(a.role), "connector");
	net_fini(&n);
}

/* A lost ACCEPT: the connector repeats CONNECT, the acceptor repeats ACCEPT. */
static void test_handshake_accept_lost(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct net n;
	struct tt_dc_info a;

	(void)state;
	net_init(&n, &c, &c, 2);
	struct tt_dc_event l = {.type = TT_DC_EV_LISTEN, .open = {.epoch = EPOCH, .isn = ISN_A}};
	struct tt_dc_event o = {.type = TT_DC_EV_OPEN,
				.open = {.epoch = EPOCH, .isn = ISN_C, .nonce = NONCE}};
	assert_int_equal(net_step(&n, 1, &l), 0);
	n.cut_to[0] = true;
	assert_int_equal(net_step(&n, 0, &o), 0);
	net_run(&n, 5 * MS);
	assert_int_equal(tt_dc_state(n.ch[1]), TT_DC_S_UP);
	assert_int_equal(tt_dc_state(n.ch[0]), TT_DC_S_CONNECTING);
	n.cut_to[0] = false;
	net_run(&n, 20 * MS);
	assert_int_equal(tt_dc_state(n.ch[0]), TT_DC_S_UP);
	/* CONNECT at 0 and 10 ms; the second ACCEPT arrived at 12 ms */
	assert_int_equal(tt_dc_counters(n.ch[0])->tx_by_type[TT_DCW_T_CONNECT], 2);
	assert_int_equal(tt_dc_counters(n.ch[0])->retransmits, 1);
	assert_int_equal(tt_dc_counters(n.ch[1])->tx_by_type[TT_DCW_T_ACCEPT], 2);
	assert_int_equal(tt_dc_counters(n.ch[1])->rx_reject[TT_DC_RX_DUPLICATE], 1);
	/* Karn: a retransmitted CONNECT gives no sample; the RTO stays backed off */
	tt_dc_info(n.ch[0], &a);
	assert_false(a.rtt_valid);
	assert_int_equal(a.rto_ns, 20 * MS);
	assert_int_equal(n.ups[0], 1);
	assert_int_equal(n.ups[1], 1);
	net_fini(&n);
}

static void test_accept_checks(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_CONNECTING, &now);
	struct tt_dc_actions out;
	struct tt_dcw_pkt p = col_pkt(TT_DCW_T_ACCEPT);

	(void)state;
	p.nonce = NONCE + 1; /* must echo the nonce */
	assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_NONCE);
	p = col_pkt(TT_DCW_T_ACCEPT);
	p.ack = ISN_C + 1; /* must ack our ISN */
	assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_ACK_INVALID);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_CONNECTING);
	assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_NONCE], 1);
	assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_ACK_INVALID], 1);
	tt_dc_destroy(ch);
}

/* Worker id, channel index and epoch must be the channel's, in every open state. */
static void test_identity_rejects(void **state)
{
	static const enum tt_dc_state states[] = {TT_DC_S_CONNECTING, TT_DC_S_ACCEPTING, TT_DC_S_UP,
						  TT_DC_S_DOWN};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		tt_ns_t now;
		struct tt_dc *ch = in_state(states[i], &now);
		struct tt_dc_actions out;
		struct tt_dcw_pkt p = col_pkt(TT_DCW_T_RESET);
		const struct tt_dc_counters *cnt = tt_dc_counters(ch);

		p.worker_id = WORKER + 1;
		assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_WORKER);
		p = col_pkt(TT_DCW_T_RESET);
		p.chan_idx = CHAN + 1;
		assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_CHANNEL);
		p = col_pkt(TT_DCW_T_RESET);
		p.epoch = EPOCH - 1;
		assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_STALE_EPOCH);
		p.epoch = EPOCH + 1;
		assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_STALE_EPOCH);
		assert_no_tx(&out);
		assert_int_equal(tt_dc_state(ch), states[i]);
		assert_int_equal(cnt->rx_reject[TT_DC_RX_WORKER], 1);
		assert_int_equal(cnt->rx_reject[TT_DC_RX_CHANNEL], 1);
		assert_int_equal(cnt->rx_reject[TT_DC_RX_STALE_EPOCH], 2);
		assert_int_equal(cnt->rx_by_type[TT_DCW_T_RESET], 0);
		tt_dc_destroy(ch);
	}
}

/* DOWN -> RESET -> CLOSED; reopening needs a newer epoch; the reason is kept. */
static void test_rearm_epoch(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	struct tt_dc_info info;

	(void)state;
	assert_int_equal(ev_simple(ch, TT_DC_EV_CUT, now, &out), 0);
	assert_int_equal(ev_simple(ch, TT_DC_EV_RESET, now, &out), 0);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_CLOSED);
	assert_int_equal(tt_dc_down_reason(ch), TT_DC_DOWN_CUT);
	assert_int_equal(ev_open(ch, EPOCH, 1, NONCE, now, &out), -ESTALE);
	assert_int_equal(ev_listen(ch, EPOCH - 1, 1, now, &out), -ESTALE);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_CLOSED);
	assert_int_equal(ev_open(ch, EPOCH + 1, 77, NONCE + 1, now, &out), 0);
	tt_dc_info(ch, &info);
	assert_int_equal(info.state, TT_DC_S_CONNECTING);
	assert_int_equal(info.epoch, EPOCH + 1);
	assert_int_equal(info.snd_una, 77);
	assert_false(info.rtt_valid);
	assert_int_equal(info.rto_ns, 10 * MS);
	/* the old epoch's packets are now stale */
	struct tt_dcw_pkt p = col_pkt(TT_DCW_T_ACCEPT);

	assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_STALE_EPOCH);
	assert_int_equal(tt_dc_counters(ch)->ups, 1);
	tt_dc_destroy(ch);
}

/* ------------------------------------------------------------------ */
/* Segmentation                                                         */
/* ------------------------------------------------------------------ */

static void one_way(uint32_t len, unsigned int expect_segs, uint16_t expect_last)
{
	struct tt_dc_config c = base_cfg();
	struct net n;
	unsigned int segs = 0;

	net_init(&n, &c, &c, 3);
	net_connect(&n, ISN_C, ISN_A);
	assert_int_equal(tt_dc_seg_size(n.ch[0]), SEG);
	n.nmsg[0] = 1;
	n.len[0][0] = len;
	n.nlog = 0;
	app(&n);
	net_run(&n, n.now + 200 * MS);
	assert_int_equal(n.got[1], 1);
	for (unsigned int i = 0; i < n.nlog; i++)
		if (n.log[i].from == 0 && n.log[i].type == TT_DCW_T_DATA)
			segs++;
	assert_int_equal(segs, expect_segs);
	assert_int_equal(tt_dc_counters(n.ch[0])->retransmits, 0);
	assert_int_equal(tt_dc_counters(n.ch[1])->msgs_delivered, 1);
	assert_int_equal(tt_dc_counters(n.ch[1])->bytes_delivered, len);
	/* every segment on the wire, window wide open: offsets, lengths, the last one short */
	{
		struct tt_dc_config cw = base_cfg();
		struct tt_dc *ch;
		struct tt_dc_actions out;
		static uint8_t msg[TT_DCW_MSG_MAX];
		struct tt_dcw_pkt acc = col_pkt(TT_DCW_T_ACCEPT), p;
		uint8_t buf[PKT_MAX];
		unsigned int listed = 0;
		uint32_t end = 0;

		cw.window = 64;
		acc.window = 64;
		ch = mk(&cw);
		assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, 0, &out), 0);
		assert_int_equal(rx_crafted(ch, &acc, 1 * MS, &out), 0);
		assert_int_equal(tt_dc_send(ch, msg, len, 2 * MS, &out), 0);
		for (;;) {
			for (unsigned int i = 0; i < out.n_tx; i++) {
				assert_int_equal(out.tx[i].type, TT_DCW_T_DATA);
				pkt_from(ch, &out.tx[i], buf, &p);
				assert_int_equal(p.seq, ISN_C + listed);
				assert_int_equal(p.msg_len, len);
				assert_int_equal(p.seg_off, end);
				assert_int_equal(p.payload_len,
						 listed + 1 < expect_segs ? SEG : expect_last);
				end += p.payload_len;
				listed++;
			}
			if (!(out.flags & TT_DC_A_MORE))
				break;
			assert_int_equal(tt_dc_tick(ch, 2 * MS, &out), 0);
		}
		assert_int_equal(listed, expect_segs);
		assert_int_equal(end, len);
		tt_dc_destroy(ch);
	}
	net_fini(&n);
}

static void test_seg_exactly_one(void **state)
{
	(void)state;
	one_way(SEG, 1, SEG);
}

static void test_seg_last_short(void **state)
{
	(void)state;
	one_way(2 * SEG + 1, 3, 1);
}

static void test_seg_64k(void **state)
{
	(void)state;
	/* 65536 = 46 x 1416 + 400: 47 segments (the window of 8 paces them) */
	one_way(TT_DCW_MSG_MAX, 47, 400);
}

static void test_seg_empty_and_one_byte(void **state)
{
	(void)state;
	one_way(0, 1, 0);
	one_way(1, 1, 1);
	one_way(SEG + 1, 2, 1);
}

static void test_seg_too_big(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	static uint8_t msg[TT_DCW_MSG_MAX + 1];
	struct tt_dc_info before, after;
	struct tt_dc_config c = base_cfg();

	(void)state;
	tt_dc_info(ch, &before);
	assert_int_equal(tt_dc_send(ch, msg, TT_DCW_MSG_MAX + 1, now, &out), -EMSGSIZE);
	assert_no_tx(&out);
	tt_dc_info(ch, &after);
	assert_int_equal(after.snd_end, before.snd_end);
	assert_int_equal(tt_dc_counters(ch)->send_refused, 1);
	assert_int_equal(tt_dc_counters(ch)->msgs_queued, 0);
	assert_int_equal(tt_dc_send(ch, msg, TT_DCW_MSG_MAX, now, &out), 0);
	tt_dc_destroy(ch);

	/* a smaller configured maximum */
	c.msg_max = 1000;
	ch = mk(&c);
	struct tt_dcw_pkt acc = col_pkt(TT_DCW_T_ACCEPT);

	assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, 0, &out), 0);
	assert_int_equal(rx_crafted(ch, &acc, 1 * MS, &out), 0);
	assert_int_equal(tt_dc_send(ch, msg, 1001, 2 * MS, &out), -EMSGSIZE);
	assert_int_equal(tt_dc_send(ch, msg, 1000, 2 * MS, &out), 0);
	tt_dc_destroy(ch);
}

/* A peer sending more than our msg_max, or a bigger segment than ours: protocol error. */
static void test_rx_too_big_for_us(void **state)
{
	struct tt_dc_config c = base_cfg();
	static uint8_t big[2000];
	static const uint8_t reset[1] = {TT_DCW_T_RESET};

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct tt_dc *ch;

		c.msg_max = k == 0 ? 1000 : TT_DCW_MSG_MAX;
		ch = mk(&c);
		struct tt_dc_actions out;
		struct tt_dcw_pkt acc = col_pkt(TT_DCW_T_ACCEPT), d = col_pkt(TT_DCW_T_DATA);

		assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, 0, &out), 0);
		assert_int_equal(rx_crafted(ch, &acc, 1 * MS, &out), 0);
		d.payload = big;
		if (k == 0) {
			d.msg_len = 1001;
			d.payload_len = 1001;
		} else {
			d.msg_len = 2000;
			d.payload_len = SEG + 1;
		}
		assert_int_equal(rx_crafted(ch, &d, 2 * MS, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_PROTOCOL);
		assert_true(out.flags & TT_DC_A_DOWN);
		assert_int_equal(out.down_reason, TT_DC_DOWN_PROTOCOL);
		assert_tx(&out, 1, reset);
		assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_PROTOCOL], 1);
		tt_dc_destroy(ch);
	}
}

/* Cross-segment rules: message ids in order, segments contiguous. */
static void test_rx_stream_inconsistent(void **state)
{
	static const uint8_t data[100];

	(void)state;
	for (int k = 0; k < 4; k++) {
		tt_ns_t now;
		struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
		struct tt_dc_actions out;
		struct tt_dcw_pkt d = col_pkt(TT_DCW_T_DATA);

		d.payload = data;
		d.msg_len = 100;
		d.payload_len = 50;
		switch (k) {
		case 0: /* first message must be id 0 */
			d.msg_id = 1;
			break;
		case 1: /* a message must start at offset 0 */
			d.seg_off = 50;
			break;
		default:
			assert_int_equal(rx_crafted(ch, &d, now, &out), 0);
			assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
			assert_int_equal(out.flags & TT_DC_A_DELIVER, 0);
			d.seq++;
			if (k == 2) {
				d.seg_off = 49; /* not contiguous */
			} else {
				d.seg_off = 50;
				d.msg_len = 101; /* length changed mid-message */
				d.payload_len = 51;
			}
			break;
		}
		assert_int_equal(rx_crafted(ch, &d, now, &out), 0);
		assert_true(out.flags & TT_DC_A_DOWN);
		assert_int_equal(out.down_reason, TT_DC_DOWN_PROTOCOL);
		assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_PROTOCOL], 1);
		assert_int_equal(out.n_tx, 1);
		assert_int_equal(out.tx[0].type, TT_DCW_T_RESET);
		tt_dc_destroy(ch);
	}
}

/* ------------------------------------------------------------------ */
/* Send buffer, window, credits, action cap                            */
/* ------------------------------------------------------------------ */

static void test_enobufs_all_or_nothing(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct tt_dc *ch;
	struct tt_dc_actions out;
	struct tt_dc_info i0, i1;
	static uint8_t msg[TT_DCW_MSG_MAX];
	struct tt_dcw_pkt acc = col_pkt(TT_DCW_T_ACCEPT);
	struct tt_dcw_pkt ack = col_pkt(TT_DCW_T_ACK);

	(void)state;
	c.sndbuf_segs = 50; /* one 64 KiB message (47) + 3 */
	ch = mk(&c);
	assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, 0, &out), 0);
	assert_int_equal(rx_crafted(ch, &acc, 1 * MS, &out), 0);
	assert_int_equal(tt_dc_send(ch, msg, TT_DCW_MSG_MAX, 2 * MS, &out), 0);
	assert_int_equal(out.n_tx, 8); /* window */
	assert_int_equal(tt_dc_send(ch, msg, 3 * SEG, 2 * MS, &out), 0);
	tt_dc_info(ch, &i0);
	assert_int_equal(i0.snd_end - i0.snd_una, 50);
	/* one more byte does not fit: refused, nothing queued */
	assert_int_equal(tt_dc_send(ch, msg, 1, 2 * MS, &out), -ENOBUFS);
	tt_dc_info(ch, &i1);
	assert_int_equal(i1.snd_end, i0.snd_end);
	assert_int_equal(tt_dc_counters(ch)->send_refused, 1);
	assert_int_equal(tt_dc_counters(ch)->msgs_queued, 2);
	/* acking 2 segments frees room for a 2-segment message, not a 3-segment one */
	ack.ack = ISN_C + 2;
	assert_int_equal(rx_crafted(ch, &ack, 3 * MS, &out), 0);
	assert_int_equal(tt_dc_send(ch, msg, 2 * SEG + 1, 3 * MS, &out), -ENOBUFS);
	assert_int_equal(tt_dc_send(ch, msg, 2 * SEG, 3 * MS, &out), 0);
	assert_int_equal(tt_dc_counters(ch)->send_refused, 2);
	tt_dc_destroy(ch);

	/* a send buffer smaller than one maximum message is refused at create */
	c.sndbuf_segs = 46;
	errno = 0;
	assert_null(tt_dc_create(&c));
	assert_int_equal(errno, EINVAL);
}

/* Sender window N and receiver credits R: the smaller one binds. */
static void test_window_and_credits(void **state)
{
	static const struct {
		uint16_t window, rx_window;
	} cases[] = {{4, 8}, {8, 3}, {1, 1}, {64, 64}};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct tt_dc_config c0 = base_cfg(), c1 = base_cfg();
		struct net n;
		unsigned int lim =
			cases[k].window < cases[k].rx_window ? cases[k].window : cases[k].rx_window;

		c0.window = cases[k].window;
		c1.rx_window = cases[k].rx_window;
		net_init(&n, &c0, &c1, 10 + k);
		net_connect(&n, ISN_C, ISN_A);
		n.nmsg[0] = 3;
		n.len[0][0] = TT_DCW_MSG_MAX;
		n.len[0][1] = 10 * SEG;
		n.len[0][2] = TT_DCW_MSG_MAX;
		app(&n);
		net_run(&n, n.now + 500 * MS);
		assert_int_equal(n.got[1], 3);
		/* check_window() asserted on every DATA; the limit was also reached */
		assert_int_equal(n.max_inflight[0], lim);
		assert_int_equal(tt_dc_counters(n.ch[0])->retransmits, 0);
		net_fini(&n);
	}
}

/* More segments due than TT_DC_TX_MAX: the rest follow on the next step at once. */
static void test_tx_cap(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct tt_dc *ch;
	struct tt_dc_actions out;
	static uint8_t msg[TT_DCW_MSG_MAX];
	struct tt_dcw_pkt acc = col_pkt(TT_DCW_T_ACCEPT);
	tt_ns_t d;

	(void)state;
	c.window = 64;
	ch = mk(&c);
	acc.window = 64;
	assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, 0, &out), 0);
	assert_int_equal(rx_crafted(ch, &acc, 1 * MS, &out), 0);
	/* 47 segments due at once: 32 listed, MORE, and the deadline is now */
	assert_int_equal(tt_dc_send(ch, msg, TT_DCW_MSG_MAX, 2 * MS, &out), 0);
	assert_int_equal(out.n_tx, TT_DC_TX_MAX);
	assert_true(out.flags & TT_DC_A_MORE);
	for (unsigned int i = 0; i < out.n_tx; i++) {
		assert_int_equal(out.tx[i].type, TT_DCW_T_DATA);
		assert_int_equal(out.tx[i].seq, ISN_C + i);
	}
	assert_true(tt_dc_next_deadline(ch, &d));
	assert_int_equal(d, 2 * MS);
	assert_int_equal(tt_dc_tick(ch, 2 * MS, &out), 0);
	assert_int_equal(out.n_tx, 15);
	assert_int_equal(out.tx[0].seq, ISN_C + 32);
	assert_false(out.flags & TT_DC_A_MORE);
	/* a second message fills the window (64) and no more */
	assert_int_equal(tt_dc_send(ch, msg, TT_DCW_MSG_MAX, 2 * MS, &out), 0);
	assert_int_equal(out.n_tx, 17);
	assert_int_equal(out.tx[16].seq, ISN_C + 63);
	assert_false(out.flags & TT_DC_A_MORE);
	/* next: the RTO, 3 ms (1 ms handshake RTT: 1 + 4 x 0.5) after the first DATA */
	assert_true(tt_dc_next_deadline(ch, &d));
	assert_int_equal(d, 2 * MS + 3 * MS);
	assert_int_equal(tt_dc_counters(ch)->tx_by_type[TT_DCW_T_DATA], 64);
	assert_int_equal(tt_dc_counters(ch)->tx_cap_hits, 1);
	tt_dc_destroy(ch);
}

/* ------------------------------------------------------------------ */
/* Acks, duplicates, out of window, SACK                               */
/* ------------------------------------------------------------------ */

static void test_ack_invalid(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	struct tt_dcw_pkt ack = col_pkt(TT_DCW_T_ACK);
	static const uint8_t msg[3 * SEG];
	struct tt_dc_info info;

	(void)state;
	assert_int_equal(tt_dc_send(ch, msg, sizeof(msg), now, &out), 0); /* 3 in flight */
	ack.ack = ISN_C + 4;						  /* beyond snd_nxt */
	assert_int_equal(rx_crafted(ch, &ack, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_ACK_INVALID);
	ack.ack = ISN_C;
	ack.sack = 1ull << 2; /* ISN_C + 3: never sent */
	assert_int_equal(rx_crafted(ch, &ack, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_ACK_INVALID);
	ack.sack = 1ull << 1; /* ISN_C + 2: sent */
	assert_int_equal(rx_crafted(ch, &ack, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
	ack.sack = 0;
	ack.ack = ISN_C + 3;
	assert_int_equal(rx_crafted(ch, &ack, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
	/* an older ack (reordered) is harmless */
	ack.ack = ISN_C + 1;
	assert_int_equal(rx_crafted(ch, &ack, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
	tt_dc_info(ch, &info);
	assert_int_equal(info.snd_una, ISN_C + 3);
	assert_int_equal(info.peer_edge, ISN_C + 3 + 8);
	assert_int_equal(tt_dc_counters(ch)->rx_reject[TT_DC_RX_ACK_INVALID], 2);
	tt_dc_destroy(ch);
}

/* Receiver: duplicates, out-of-order storage with SACK, out of window; all acked. */
static void test_dup_ooo_out_of_window(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	static uint8_t data[4 * SEG];
	struct tt_dcw_pkt d = col_pkt(TT_DCW_T_DATA), ack;
	static const uint8_t ackt[1] = {TT_DCW_T_ACK};
	uint8_t buf[PKT_MAX];
	const struct tt_dc_counters *cnt = tt_dc_counters(ch);

	(void)state;
	for (uint32_t j = 0; j < sizeof(data); j++)
		data[j] = (uint8_t)j;
	/* one message of 4 segments, seq ISN_A..ISN_A+3; send 2 and 3 first */
	d.msg_len = sizeof(data);
	d.payload_len = SEG;
	for (int s = 2; s <= 3; s++) {
		d.seq = ISN_A + s;
		d.seg_off = s * SEG;
		d.payload = data + s * SEG;
		assert_int_equal(rx_crafted(ch, &d, now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
		assert_tx(&out, 1, ackt);
	}
	pkt_from(ch, &out.tx[0], buf, &ack);
	assert_int_equal(ack.ack, ISN_A);
	assert_true(ack.sack == 0x6); /* ISN_A+2 (bit 1) and ISN_A+3 (bit 2) */
	assert_int_equal(ack.window, 8);
	/* the same out-of-order segment again */
	assert_int_equal(rx_crafted(ch, &d, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_DUPLICATE);
	assert_tx(&out, 1, ackt);
	/* ISN_A + 8 is at the edge: out of window */
	d.seq = ISN_A + 8;
	assert_int_equal(rx_crafted(ch, &d, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_OUT_OF_WINDOW);
	assert_tx(&out, 1, ackt);
	/* fill the hole: the message completes */
	for (int s = 0; s <= 1; s++) {
		d.seq = ISN_A + s;
		d.seg_off = s * SEG;
		d.payload = data + s * SEG;
		assert_int_equal(rx_crafted(ch, &d, now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
	}
	assert_true(out.flags & TT_DC_A_DELIVER);
	assert_int_equal(out.msg_len, sizeof(data));
	assert_memory_equal(out.msg, data, sizeof(data));
	pkt_from(ch, &out.tx[0], buf, &ack);
	assert_int_equal(ack.ack, ISN_A + 4);
	assert_true(ack.sack == 0);
	assert_int_equal(ack.window, 8);
	/* a segment below the cumulative ack */
	d.seq = ISN_A + 1;
	assert_int_equal(rx_crafted(ch, &d, now, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_DUPLICATE);
	assert_tx(&out, 1, ackt);
	assert_int_equal(cnt->rx_reject[TT_DC_RX_DUPLICATE], 2);
	assert_int_equal(cnt->rx_reject[TT_DC_RX_OUT_OF_WINDOW], 1);
	assert_int_equal(cnt->rx_by_type[TT_DCW_T_DATA], 4);
	assert_int_equal(cnt->msgs_delivered, 1);
	tt_dc_destroy(ch);
}

/* One message per step; the others follow through MORE, each valid until the next step. */
static void test_deliver_one_per_step(void **state)
{
	tt_ns_t now, d;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	struct tt_dcw_pkt p = col_pkt(TT_DCW_T_DATA), ack;
	uint8_t bytes[3] = {'a', 'b', 'c'};
	uint8_t buf[PKT_MAX];

	(void)state;
	/* three 1-byte messages; the first arrives last */
	for (int k = 2; k >= 0; k--) {
		p.seq = ISN_A + k;
		p.msg_id = k;
		p.msg_len = 1;
		p.payload_len = 1;
		p.payload = &bytes[k];
		assert_int_equal(rx_crafted(ch, &p, now, &out), 0);
		assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
	}
	assert_true(out.flags & TT_DC_A_DELIVER);
	assert_int_equal(out.msg_id, 0);
	assert_int_equal(out.msg[0], 'a');
	assert_true(out.flags & TT_DC_A_MORE);
	pkt_from(ch, &out.tx[0], buf, &ack);
	assert_int_equal(ack.ack, ISN_A + 3);
	assert_int_equal(ack.window, 8 - 2); /* two segments wait for reassembly */
	assert_true(tt_dc_next_deadline(ch, &d));
	assert_int_equal(d, now);
	assert_int_equal(tt_dc_tick(ch, now, &out), 0);
	assert_true(out.flags & TT_DC_A_DELIVER);
	assert_int_equal(out.msg_id, 1);
	assert_int_equal(out.msg[0], 'b');
	assert_true(out.flags & TT_DC_A_MORE);
	/* the drain frees credits: a window update goes out */
	assert_int_equal(out.n_tx, 1);
	assert_int_equal(out.tx[0].type, TT_DCW_T_ACK);
	assert_int_equal(tt_dc_tick(ch, now, &out), 0);
	assert_int_equal(out.msg_id, 2);
	assert_int_equal(out.msg[0], 'c');
	assert_false(out.flags & TT_DC_A_MORE);
	pkt_from(ch, &out.tx[0], buf, &ack);
	assert_int_equal(ack.window, 8);
	assert_int_equal(tt_dc_tick(ch, now, &out), 0);
	assert_false(out.flags & TT_DC_A_DELIVER);
	assert_no_tx(&out);
	assert_int_equal(tt_dc_counters(ch)->msgs_delivered, 3);
	tt_dc_destroy(ch);
}

/* On RTO only un-SACKed segments are resent. */
static void test_rto_skips_sacked(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	struct tt_dcw_pkt ack = col_pkt(TT_DCW_T_ACK);
	static const uint8_t msg[4 * SEG];
	struct tt_dc_info info;

	(void)state;
	assert_int_equal(tt_dc_send(ch, msg, sizeof(msg), now, &out), 0);
	assert_int_equal(out.n_tx, 4);
	ack.ack = ISN_C;
	ack.sack = 0x5; /* ISN_C+1 and ISN_C+3 held by the peer */
	assert_int_equal(rx_crafted(ch, &ack, now + 1 * MS, &out), 0);
	tt_dc_info(ch, &info);
	assert_int_equal(tt_dc_tick(ch, now + info.rto_ns, &out), 0);
	assert_int_equal(out.n_tx, 2);
	assert_int_equal(out.tx[0].seq, ISN_C);
	assert_int_equal(out.tx[1].seq, ISN_C + 2);
	assert_int_equal(tt_dc_counters(ch)->retransmits, 2);
	tt_dc_destroy(ch);
}

/* ------------------------------------------------------------------ */
/* Timers: RTT estimation, RTO backoff, retries, probes                 */
/* ------------------------------------------------------------------ */

static void test_rtt_estimation(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now); /* handshake RTT 2 ms */
	struct tt_dc_actions out;
	struct tt_dcw_pkt ack = col_pkt(TT_DCW_T_ACK);
	static const uint8_t msg[10];
	struct tt_dc_info info;

	(void)state;
	tt_dc_info(ch, &info);
	assert_int_equal(info.srtt_ns, 2 * MS);
	assert_int_equal(info.rttvar_ns, 1 * MS);
	assert_int_equal(info.rto_ns, 6 * MS);
	/* RFC 6298 §2.3: R' = 4 ms -> RTTVAR = 3/4 1 + 1/4 |2 - 4| = 1.25, SRTT = 2.25 */
	assert_int_equal(tt_dc_send(ch, msg, 10, now, &out), 0);
	ack.ack = ISN_C + 1;
	assert_int_equal(rx_crafted(ch, &ack, now + 4 * MS, &out), 0);
	tt_dc_info(ch, &info);
	assert_int_equal(info.rttvar_ns, 1250 * US);
	assert_int_equal(info.srtt_ns, 2250 * US);
	assert_int_equal(info.rto_ns, 7250 * US);
	assert_int_equal(tt_dc_counters(ch)->rtt_samples, 2);
	now += 4 * MS;

	/* Karn: a retransmitted segment gives no sample, the backed-off RTO stays */
	assert_int_equal(tt_dc_send(ch, msg, 10, now, &out), 0);
	assert_int_equal(tt_dc_tick(ch, now + 7250 * US, &out), 0);
	assert_int_equal(out.n_tx, 1);
	tt_dc_info(ch, &info);
	assert_int_equal(info.rto_ns, 14500 * US);
	assert_int_equal(info.backoffs, 1);
	ack.ack = ISN_C + 2;
	assert_int_equal(rx_crafted(ch, &ack, now + 8 * MS, &out), 0);
	tt_dc_info(ch, &info);
	assert_int_equal(info.rto_ns, 14500 * US);
	assert_int_equal(info.backoffs, 0);
	assert_int_equal(tt_dc_counters(ch)->rtt_samples, 2);
	now += 8 * MS;

	/* tiny RTTs: the RTO is clamped to rto_min (1 ms) */
	for (int k = 0; k < 40; k++) {
		assert_int_equal(tt_dc_send(ch, msg, 10, now, &out), 0);
		ack.ack++;
		now += 10 * US;
		assert_int_equal(rx_crafted(ch, &ack, now, &out), 0);
	}
	tt_dc_info(ch, &info);
	assert_true(info.srtt_ns + 4 * info.rttvar_ns < 1 * MS);
	assert_int_equal(info.rto_ns, 1 * MS);
	tt_dc_destroy(ch);
}

/* Drive one channel by its own deadlines (peer silent); log DATA and PROBE times. */
struct timeline {
	tt_ns_t data[16];
	unsigned int ndata;
	tt_ns_t probe[16];
	unsigned int nprobe;
	tt_ns_t down_at;
	enum tt_dc_down_reason reason;
	bool reset_sent;
	unsigned int downs;
};

static void run_silent(struct tt_dc *ch, tt_ns_t now, tt_ns_t until, struct timeline *tl)
{
	struct tt_dc_actions out;
	tt_ns_t d;

	while (tt_dc_next_deadline(ch, &d) && !tt_time_after(d, until)) {
		now = d;
		assert_int_equal(tt_dc_tick(ch, now, &out), 0);
		for (unsigned int i = 0; i < out.n_tx; i++) {
			if (out.tx[i].type == TT_DCW_T_DATA || out.tx[i].type == TT_DCW_T_CONNECT)
				tl->data[tl->ndata++] = now;
			if (out.tx[i].type == TT_DCW_T_PROBE)
				tl->probe[tl->nprobe++] = now;
			if (out.tx[i].type == TT_DCW_T_RESET)
				tl->reset_sent = true;
		}
		if (out.flags & TT_DC_A_DOWN) {
			tl->downs++;
			tl->down_at = now;
			tl->reason = out.down_reason;
		}
	}
}

static void test_rto_backoff_exhausted(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct tt_dc *ch;
	struct tt_dc_actions out;
	struct tt_dcw_pkt acc = col_pkt(TT_DCW_T_ACCEPT);
	struct timeline tl = {0};
	static const uint8_t msg[10];
	const tt_ns_t t0 = 100 * MS;

	(void)state;
	c.probe_interval_ns = 10000 * MS; /* keep probes out of the picture */
	c.probe_timeout_ns = 20000 * MS;
	ch = mk(&c);
	assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, 0, &out), 0);
	/* handshake RTT 2.5 ms: SRTT 2.5, RTTVAR 1.25, RTO 7.5 ms */
	assert_int_equal(rx_crafted(ch, &acc, 2500 * US, &out), 0);
	assert_int_equal(tt_dc_send(ch, msg, 10, t0, &out), 0);
	tl.data[tl.ndata++] = t0;
	run_silent(ch, t0, t0 + 1000 * MS, &tl);
	/* first send, then RTO 7.5, 15, 30; the 4th expiry (+60) with 3 retries done */
	assert_int_equal(tl.ndata, 4);
	assert_int_equal(tl.data[1], t0 + 7500 * US);
	assert_int_equal(tl.data[2], t0 + 22500 * US);
	assert_int_equal(tl.data[3], t0 + 52500 * US);
	assert_int_equal(tl.downs, 1);
	assert_int_equal(tl.down_at, t0 + 112500 * US);
	assert_int_equal(tl.reason, TT_DC_DOWN_RETX_EXHAUSTED);
	assert_true(tl.reset_sent);
	assert_int_equal(tl.nprobe, 0);
	assert_int_equal(tt_dc_counters(ch)->retransmits, 3);
	assert_int_equal(tt_dc_counters(ch)->down_by_reason[TT_DC_DOWN_RETX_EXHAUSTED], 1);
	assert_string_equal(tt_dc_down_reason_name(tt_dc_down_reason(ch)), "retx-exhausted");
	tt_dc_destroy(ch);

	/* rto_max caps the backoff: 7.5, 15, 20, 20 */
	c.rto_max_ns = 20 * MS;
	c.rto_init_ns = 10 * MS;
	ch = mk(&c);
	memset(&tl, 0, sizeof(tl));
	assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, 0, &out), 0);
	assert_int_equal(rx_crafted(ch, &acc, 2500 * US, &out), 0);
	assert_int_equal(tt_dc_send(ch, msg, 10, t0, &out), 0);
	run_silent(ch, t0, t0 + 1000 * MS, &tl);
	assert_int_equal(tl.ndata, 3);
	assert_int_equal(tl.data[0], t0 + 7500 * US);
	assert_int_equal(tl.data[1], t0 + 22500 * US);
	assert_int_equal(tl.data[2], t0 + 42500 * US);
	assert_int_equal(tl.down_at, t0 + 62500 * US);
	tt_dc_destroy(ch);
}

static void test_connect_timeout_exact(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct tt_dc *ch = mk(&c);
	struct tt_dc_actions out;
	struct timeline tl = {0};
	const tt_ns_t t0 = 5 * MS;

	(void)state;
	assert_int_equal(ev_open(ch, EPOCH, ISN_C, NONCE, t0, &out), 0);
	tl.data[tl.ndata++] = t0;
	run_silent(ch, t0, t0 + 10000 * MS, &tl);
	/* RTO 10 ms doubling: CONNECT at 0, 10, 30, 70; DOWN at 150 */
	assert_int_equal(tl.ndata, 4);
	assert_int_equal(tl.data[1], t0 + 10 * MS);
	assert_int_equal(tl.data[2], t0 + 30 * MS);
	assert_int_equal(tl.data[3], t0 + 70 * MS);
	assert_int_equal(tl.downs, 1);
	assert_int_equal(tl.down_at, t0 + 150 * MS);
	assert_int_equal(tl.reason, TT_DC_DOWN_CONNECT_TIMEOUT);
	assert_true(tl.reset_sent);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_DOWN);
	tt_dc_destroy(ch);
}

static void test_probe_timeout_exact(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct timeline tl = {0};

	(void)state;
	/* UP at now; silence: PROBE at +100, +200, +300; DOWN at +350 */
	run_silent(ch, now, now + 10000 * MS, &tl);
	assert_int_equal(tl.nprobe, 3);
	assert_int_equal(tl.probe[0], now + 100 * MS);
	assert_int_equal(tl.probe[1], now + 200 * MS);
	assert_int_equal(tl.probe[2], now + 300 * MS);
	assert_int_equal(tl.downs, 1);
	assert_int_equal(tl.down_at, now + 350 * MS);
	assert_int_equal(tl.reason, TT_DC_DOWN_PROBE_TIMEOUT);
	assert_true(tl.reset_sent);
	assert_int_equal(tt_dc_counters(ch)->tx_by_type[TT_DCW_T_PROBE], 3);
	tt_dc_destroy(ch);
}

/* Any valid packet postpones probing and the probe timeout. */
static void test_probe_answered(void **state)
{
	tt_ns_t now, d;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	struct tt_dcw_pkt pa = col_pkt(TT_DCW_T_PROBE_ACK);
	const tt_ns_t up = now;

	(void)state;
	assert_true(tt_dc_next_deadline(ch, &d));
	assert_int_equal(d, up + 100 * MS);
	assert_int_equal(tt_dc_tick(ch, d, &out), 0);
	assert_int_equal(out.tx[0].type, TT_DCW_T_PROBE);
	assert_int_equal(out.tx[0].seq, 0);
	pa.seq = 0;
	assert_int_equal(rx_crafted(ch, &pa, up + 101 * MS, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_OK);
	assert_true(tt_dc_next_deadline(ch, &d));
	assert_int_equal(d, up + 201 * MS);
	/* a duplicate packet counts as life too */
	struct tt_dcw_pkt acc = col_pkt(TT_DCW_T_ACCEPT);

	assert_int_equal(rx_crafted(ch, &acc, up + 150 * MS, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_DUPLICATE);
	assert_true(tt_dc_next_deadline(ch, &d));
	assert_int_equal(d, up + 250 * MS);
	/* a bogus one does not */
	acc.nonce = 5;
	assert_int_equal(rx_crafted(ch, &acc, up + 200 * MS, &out), 0);
	assert_int_equal(out.rx_verdict, TT_DC_RX_NONCE);
	assert_true(tt_dc_next_deadline(ch, &d));
	assert_int_equal(d, up + 250 * MS);
	assert_int_equal(tt_dc_tick(ch, up + 250 * MS, &out), 0);
	assert_int_equal(out.tx[0].type, TT_DCW_T_PROBE);
	assert_int_equal(out.tx[0].seq, 1);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_UP);
	tt_dc_destroy(ch);
}

/* Two idle channels keep each other UP by probing. */
static void test_idle_pair_stays_up(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct net n;

	(void)state;
	net_init(&n, &c, &c, 4);
	net_connect(&n, ISN_C, ISN_A);
	net_run(&n, n.now + 5000 * MS);
	assert_int_equal(tt_dc_state(n.ch[0]), TT_DC_S_UP);
	assert_int_equal(tt_dc_state(n.ch[1]), TT_DC_S_UP);
	assert_int_equal(n.downs[0] + n.downs[1], 0);
	/* ~one probe per interval between the two of them */
	/*
	 * Lossless and jitter-free, the two probe timers come due together: each
	 * end probes once per 102 ms (interval + the answer's 2 ms round trip).
	 */
	assert_int_equal(tt_dc_counters(n.ch[0])->tx_by_type[TT_DCW_T_PROBE], 49);
	assert_int_equal(tt_dc_counters(n.ch[1])->tx_by_type[TT_DCW_T_PROBE], 49);
	/* never more often than the probe interval */
	for (int i = 0; i < 2; i++) {
		tt_ns_t last = 0;
		bool first = true;

		for (unsigned int k = 0; k < n.nlog; k++) {
			if (n.log[k].from != i || n.log[k].type != TT_DCW_T_PROBE)
				continue;
			assert_true(first || n.log[k].t - last >= 100 * MS);
			last = n.log[k].t;
			first = false;
		}
	}
	net_fini(&n);
}

/* A cut at one end: RESET takes the other end DOWN(PEER_RESET) at once. */
static void test_cut_resets_peer(void **state)
{
	struct tt_dc_config c = base_cfg();
	struct net n;
	struct tt_dc_event cut = {.type = TT_DC_EV_CUT};
	struct tt_dc_event close = {.type = TT_DC_EV_CLOSE};
	struct tt_dc_event link = {.type = TT_DC_EV_LINK_DOWN};
	tt_ns_t t;

	(void)state;
	net_init(&n, &c, &c, 5);
	net_connect(&n, ISN_C, ISN_A);
	t = n.now;
	assert_int_equal(net_step(&n, 1, &cut), 0);
	net_run(&n, t + 10 * MS);
	assert_int_equal(n.down_reason[1], TT_DC_DOWN_CUT);
	assert_int_equal(n.down_reason[0], TT_DC_DOWN_PEER_RESET);
	assert_int_equal(n.down_at[0], t + 1 * MS);
	assert_int_equal(n.downs[0], 1);
	assert_int_equal(n.downs[1], 1);
	net_fini(&n);

	net_init(&n, &c, &c, 6);
	net_connect(&n, ISN_C, ISN_A);
	t = n.now;
	assert_int_equal(net_step(&n, 0, &close), 0);
	net_run(&n, t + 10 * MS);
	assert_int_equal(n.down_reason[0], TT_DC_DOWN_LOCAL_CLOSE);
	assert_int_equal(n.down_reason[1], TT_DC_DOWN_PEER_CLOSE);
	assert_int_equal(n.down_at[1], t + 1 * MS);
	net_fini(&n);

	/* link down: nothing is sent; the peer finds out by probe timeout */
	net_init(&n, &c, &c, 7);
	net_connect(&n, ISN_C, ISN_A);
	t = n.now;
	assert_int_equal(net_step(&n, 0, &link), 0);
	assert_int_equal(n.down_reason[0], TT_DC_DOWN_LINK_DOWN);
	assert_int_equal(tt_dc_counters(n.ch[0])->tx_by_type[TT_DCW_T_RESET], 0);
	n.cut_to[0] = n.cut_to[1] = true; /* the port is down both ways */
	net_run(&n, t + 1000 * MS);
	assert_int_equal(n.down_reason[1], TT_DC_DOWN_PROBE_TIMEOUT);
	assert_int_equal(n.down_at[1], t - 1 * MS + 350 * MS); /* B last heard A at t - 1 ms */
	net_fini(&n);
}

/* ------------------------------------------------------------------ */
/* Loss, duplication and reordering between two channels               */
/* ------------------------------------------------------------------ */

static void test_lossy_link_recovery(void **state)
{
	const unsigned int seeds = 24;
	uint64_t retx = 0, dups = 0, oow = 0, data = 0;

	(void)state;
	for (unsigned int seed = 1; seed <= seeds; seed++) {
		struct tt_dc_config c0 = base_cfg(), c1 = base_cfg();
		struct net n;
		struct tt_dc_info i0;

		c0.max_retx = 12;
		c1.max_retx = 12;
		c0.window = 8;
		c1.rx_window = 6;
		c1.window = 5;
		c0.rx_window = 7;
		net_init(&n, &c0, &c1, seed);
		n.jitter_ns = 3 * MS; /* > 1 ms spacing: reorders */
		/* ISNs near the 32-bit wrap */
		net_connect(&n, 0xffffffffu - seed * 5, 0xfffffff0u + seed);
		n.loss_pm = 100;
		n.dup_pm = 50;
		n.stop_when_done = true;
		for (int i = 0; i < 2; i++) {
			n.nmsg[i] = 24;
			for (unsigned int k = 0; k < n.nmsg[i]; k++) {
				uint64_t r = rnd(&n);
				static const uint32_t special[] = {0,	1,	 SEG - 1,
								   SEG, SEG + 1, TT_DCW_MSG_MAX};

				n.len[i][k] = (r & 3) == 0 ? special[(r >> 2) % 6]
							   : (uint32_t)((r >> 8) % 9000);
			}
		}
		app(&n);
		net_run(&n, n.now + 20000 * MS);
		if (n.got[1] != n.nmsg[0] || n.got[0] != n.nmsg[1])
			fail_msg("seed %u: delivered %u/%u and %u/%u, downs %u %u (%s %s)", seed,
				 n.got[1], n.nmsg[0], n.got[0], n.nmsg[1], n.downs[0], n.downs[1],
				 tt_dc_down_reason_name(n.down_reason[0]),
				 tt_dc_down_reason_name(n.down_reason[1]));
		assert_int_equal(n.downs[0] + n.downs[1], 0);
		assert_true(n.max_inflight[0] <= 6);
		assert_true(n.max_inflight[1] <= 5);
		tt_dc_info(n.ch[0], &i0);
		assert_int_equal(i0.snd_una, i0.snd_end); /* all acked */
		for (int i = 0; i < 2; i++) {
			const struct tt_dc_counters *cnt = tt_dc_counters(n.ch[i]);

			retx += cnt->retransmits;
			dups += cnt->rx_reject[TT_DC_RX_DUPLICATE];
			oow += cnt->rx_reject[TT_DC_RX_OUT_OF_WINDOW];
			data += cnt->tx_by_type[TT_DCW_T_DATA];
			assert_int_equal(cnt->msgs_delivered, n.nmsg[1 - i]);
		}
		net_fini(&n);
	}
	printf("# lossy link: %u seeds, %llu DATA sent, %llu retransmits, %llu duplicates "
	       "dropped, %llu out of window\n",
	       seeds, (unsigned long long)data, (unsigned long long)retx, (unsigned long long)dups,
	       (unsigned long long)oow);
	assert_true(retx > 0);
	assert_true(dups > 0);
}

/* ------------------------------------------------------------------ */
/* Create, build, names                                                 */
/* ------------------------------------------------------------------ */

static void test_create_invalid(void **state)
{
	struct tt_dc_config good = base_cfg(), c;
	struct tt_dc *ch;

	(void)state;
#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		c = good;                                                                          \
		stmt;                                                                              \
		errno = 0;                                                                         \
		assert_null(tt_dc_create(&c));                                                     \
		assert_int_equal(errno, EINVAL);                                                   \
	} while (0)
	BAD(c.chan_idx = TT_DCW_MAX_CHANNELS);
	BAD(c.mtu = 575);
	BAD(c.mtu = 9217);
	BAD(c.msg_max = 0);
	BAD(c.msg_max = TT_DCW_MSG_MAX + 1);
	BAD(c.window = 0);
	BAD(c.window = TT_DCW_WINDOW_MAX + 1);
	BAD(c.rx_window = 0);
	BAD(c.rx_window = TT_DCW_WINDOW_MAX + 1);
	BAD(c.rto_min_ns = 0);
	BAD(c.rto_init_ns = c.rto_min_ns - 1);
	BAD(c.rto_max_ns = c.rto_init_ns - 1);
	BAD(c.rto_max_ns = 3601 * TT_NS_PER_S);
	BAD(c.granularity_ns = 0);
	BAD(c.granularity_ns = c.rto_max_ns + 1);
	BAD(c.probe_interval_ns = 0);
	BAD(c.probe_timeout_ns = c.probe_interval_ns);
	BAD(c.sndbuf_segs = 65537);
#undef BAD
	errno = 0;
	assert_null(tt_dc_create(NULL));
	assert_int_equal(errno, EINVAL);
	tt_dc_config_default(&c);
	ch = tt_dc_create(&c);
	assert_non_null(ch);
	assert_int_equal(tt_dc_seg_size(ch), SEG);
	assert_int_equal(tt_dc_state(ch), TT_DC_S_CLOSED);
	assert_int_equal(tt_dc_down_reason(ch), TT_DC_DOWN_NONE);
	tt_ns_t d;

	assert_false(tt_dc_next_deadline(ch, &d));
	tt_dc_destroy(ch);
	c.mtu = 576;
	c.msg_max = 1;
	c.window = 1;
	c.rx_window = 1;
	ch = tt_dc_create(&c);
	assert_non_null(ch);
	assert_int_equal(tt_dc_seg_size(ch), 576 - 84);
	tt_dc_destroy(ch);
	tt_dc_destroy(NULL);
}

static void test_build_limits(void **state)
{
	tt_ns_t now;
	struct tt_dc *ch = in_state(TT_DC_S_UP, &now);
	struct tt_dc_actions out;
	struct tt_dcw_pkt ack = col_pkt(TT_DCW_T_ACK);
	static const uint8_t msg[100];
	struct tt_dc_tx_req req;
	uint8_t buf[PKT_MAX];

	(void)state;
	assert_int_equal(tt_dc_send(ch, msg, 100, now, &out), 0);
	req = out.tx[0];
	assert_int_equal(tt_dc_build(ch, &req, buf, TT_DCW_HDR_LEN + 99), 0);
	assert_int_equal(tt_dc_build(ch, &req, buf, TT_DCW_HDR_LEN + 100), TT_DCW_HDR_LEN + 100);
	ack.ack = ISN_C + 1;
	assert_int_equal(rx_crafted(ch, &ack, now, &out), 0);
	assert_int_equal(tt_dc_build(ch, &req, buf, sizeof(buf)), 0); /* acked: gone */
	req.type = 0;
	assert_int_equal(tt_dc_build(ch, &req, buf, sizeof(buf)), 0);
	req.type = 9;
	assert_int_equal(tt_dc_build(ch, &req, buf, sizeof(buf)), 0);
	tt_dc_destroy(ch);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_dc_state_name(TT_DC_S_CLOSED), "closed");
	assert_string_equal(tt_dc_state_name(TT_DC_S_ACCEPTING), "accepting");
	assert_string_equal(tt_dc_state_name(TT_DC_S_DOWN), "down");
	assert_string_equal(tt_dc_state_name(TT_DC_S_COUNT), "?");
	assert_string_equal(tt_dc_event_name(TT_DC_EV_LINK_DOWN), "link-down");
	assert_string_equal(tt_dc_event_name(TT_DC_EV_COUNT), "?");
	assert_string_equal(tt_dc_down_reason_name(TT_DC_DOWN_PROBE_TIMEOUT), "probe-timeout");
	assert_string_equal(tt_dc_down_reason_name(TT_DC_DOWN_NONE), "none");
	assert_string_equal(tt_dc_down_reason_name(TT_DC_DOWN_COUNT), "?");
	assert_string_equal(tt_dc_rx_reject_name(TT_DC_RX_STALE_EPOCH), "STALE_EPOCH");
	assert_string_equal(tt_dc_rx_reject_rule(TT_DC_RX_OK), "accepted");
	assert_string_equal(tt_dc_rx_reject_name(TT_DC_RX_REJECT_MAX), "?");
	assert_string_equal(tt_dc_role_name(TT_DC_ROLE_ACCEPTOR), "acceptor");
	assert_string_equal(tt_dc_action_name(TT_DC_A_DELIVER), "deliver");
	assert_string_equal(tt_dc_action_name(3), "?");
	assert_int_equal(tt_dc_down_reason_pkt(TT_DC_DOWN_LOCAL_CLOSE), TT_DCW_T_CLOSE);
	assert_int_equal(tt_dc_down_reason_pkt(TT_DC_DOWN_LINK_DOWN), 0);
	assert_int_equal(tt_dc_down_reason_pkt(TT_DC_DOWN_COUNT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_event_table),
		cmocka_unit_test(test_up_acceptor_cells),
		cmocka_unit_test(test_invalid_events),
		cmocka_unit_test(test_handshake_pair),
		cmocka_unit_test(test_handshake_accept_lost),
		cmocka_unit_test(test_accept_checks),
		cmocka_unit_test(test_identity_rejects),
		cmocka_unit_test(test_rearm_epoch),
		cmocka_unit_test(test_seg_exactly_one),
		cmocka_unit_test(test_seg_last_short),
		cmocka_unit_test(test_seg_64k),
		cmocka_unit_test(test_seg_empty_and_one_byte),
		cmocka_unit_test(test_seg_too_big),
		cmocka_unit_test(test_rx_too_big_for_us),
		cmocka_unit_test(test_rx_stream_inconsistent),
		cmocka_unit_test(test_enobufs_all_or_nothing),
		cmocka_unit_test(test_window_and_credits),
		cmocka_unit_test(test_tx_cap),
		cmocka_unit_test(test_ack_invalid),
		cmocka_unit_test(test_dup_ooo_out_of_window),
		cmocka_unit_test(test_deliver_one_per_step),
		cmocka_unit_test(test_rto_skips_sacked),
		cmocka_unit_test(test_rtt_estimation),
		cmocka_unit_test(test_rto_backoff_exhausted),
		cmocka_unit_test(test_connect_timeout_exact),
		cmocka_unit_test(test_probe_timeout_exact),
		cmocka_unit_test(test_probe_answered),
		cmocka_unit_test(test_idle_pair_stays_up),
		cmocka_unit_test(test_cut_resets_peer),
		cmocka_unit_test(test_lossy_link_recovery),
		cmocka_unit_test(test_create_invalid),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
