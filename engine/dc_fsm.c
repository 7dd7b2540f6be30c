/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data channel: connection set-up, reliable in-order delivery with
 * selective acks, RFC 6298 retransmission timing, credit flow control,
 * segmentation and reassembly, and liveness probing. Behaviour and contracts:
 * dc_fsm.h. Pure: no clock, no I/O, no allocation after tt_dc_create().
 */
#include "dc_fsm.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tt_names.h"

#define IPV4_HDR_LEN	 20
#define UDP_HDR_LEN	 8
#define MTU_MIN		 576  /* RFC 791: every IPv4 host accepts 576-byte datagrams */
#define MTU_MAX		 9216 /* jumbo frames */
#define SNDBUF_MAX	 65536u
#define RTO_MAX_LIMIT_NS (3600ull * TT_NS_PER_S) /* keeps RTO doubling far from overflow */

/* One segment in the send buffer (the data lives in sdata at the same index). */
struct dc_sslot {
	tt_ns_t sent_ns; /* last transmission */
	uint32_t msg_id;
	uint32_t msg_len;
	uint32_t seg_off;
	uint16_t len;
	uint16_t tx_count; /* transmissions so far (Karn's rule needs exactly 1) */
	bool pending;	   /* to be (re)transmitted when the window allows */
	bool sacked;	   /* peer holds it (SACK); not resent */
};

/* One receive slot (data in rdata at the same index). */
struct dc_rslot {
	uint32_t msg_id;
	uint32_t msg_len;
	uint32_t seg_off;
	uint16_t len;
	bool present;
};

struct tt_dc {
	struct tt_dc_config cfg;
	uint16_t seg_size;
	uint32_t sbuf_n; /* S: send buffer segments */

	/* Memory allocated once, in tt_dc_create(). */
	struct dc_sslot *sslot;
	uint8_t *sdata;
	struct dc_rslot *rslot;
	uint8_t *rdata;
	uint8_t *reasm;

	enum tt_dc_state state;
	enum tt_dc_role role;
	enum tt_dc_down_reason down_reason;
	uint32_t epoch;
	uint32_t last_epoch; /* 0: none used yet (epochs are non-zero) */
	uint64_t nonce;
	uint32_t isn_local;
	uint32_t isn_peer;
	uint16_t connect_tx;
	tt_ns_t connect_sent_ns;

	/* Send side: snd_una <= snd_nxt <= snd_end (wrapping). */
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_end;
	uint32_t peer_edge;
	uint32_t una_idx; /* slot of snd_una */
	/*
	 * No slot in [snd_una, scan_seq) is pending: emit_data() starts there,
	 * so a step costs O(segments it lists), not O(window) (issue 6: the
	 * scan from snd_una was the largest item of tt_dc_step).
	 */
	uint32_t scan_seq;
	uint32_t msg_next;

	/* RFC 6298 state. */
	bool rtt_valid;
	tt_ns_t srtt_ns;
	tt_ns_t rttvar_ns;
	tt_ns_t rto_ns;
	bool rto_armed;
	tt_ns_t rto_deadline_ns;
	uint8_t backoffs;

	/* Receive side: rcv_cons <= rcv_nxt < rcv_cons + R (wrapping). */
	uint32_t rcv_nxt;
	uint32_t rcv_cons;
	uint32_t cons_idx; /* slot of rcv_cons */
	/*
	 * No segment at or beyond rcv_high is held: fill_ack() looks for SACK
	 * bits only below it, so an ACK in order costs O(1), not 64 slot
	 * reads with a division each (issue 6: 10 % of the lcore at 64 B).
	 */
	uint32_t rcv_high;
	uint32_t rcv_msg_next;
	bool in_msg;
	uint32_t cur_msg_id;
	uint32_t cur_msg_len;
	uint32_t reasm_len;
	bool delivered; /* reasm holds a delivered message until the next step */
	bool ack_pending;

	/* Liveness. */
	tt_ns_t last_rx_ns;
	tt_ns_t last_probe_ns;
	uint32_t probe_id;

	tt_ns_t last_step_ns;
	bool work_pending;
	struct tt_dc_counters cnt;
};

static const char *const state_names[TT_DC_S_COUNT] = {
#define TT_X(name, str) [TT_DC_S_##name] = str,
	TT_DC_STATES(TT_X)
#undef TT_X
};

static const char *const event_names[TT_DC_EV_COUNT] = {
#define TT_X(name, str) [TT_DC_EV_##name] = str,
	TT_DC_EVENTS(TT_X)
#undef TT_X
};

static const char *const down_names[TT_DC_DOWN_COUNT] = {
#define TT_X(name, str, pkt) [TT_DC_DOWN_##name] = str,
	TT_DC_DOWN_REASONS(TT_X)
#undef TT_X
};

static const uint8_t down_pkts[TT_DC_DOWN_COUNT] = {
#define TT_X(name, str, pkt) [TT_DC_DOWN_##name] = pkt,
	TT_DC_DOWN_REASONS(TT_X)
#undef TT_X
};

static const char *const reject_names[TT_DC_RX_REJECT_MAX] = {
	[TT_DC_RX_OK] = "OK",
#define TT_X(name, str) [TT_DC_RX_##name] = #name,
	TT_DC_RX_REJECTS(TT_X)
#undef TT_X
};

static const char *const reject_rules[TT_DC_RX_REJECT_MAX] = {
	[TT_DC_RX_OK] = "accepted",
#define TT_X(name, str) [TT_DC_RX_##name] = str,
	TT_DC_RX_REJECTS(TT_X)
#undef TT_X
};

static const char *const role_names[TT_DC_ROLE_COUNT] = {
#define TT_X(name, str) [TT_DC_ROLE_##name] = str,
	TT_DC_ROLES(TT_X)
#undef TT_X
};

const char *tt_dc_state_name(unsigned int state)
{
	return TT_NAME_AT(state_names, state, "?");
}

const char *tt_dc_event_name(unsigned int type)
{
	return TT_NAME_AT(event_names, type, "?");
}

const char *tt_dc_down_reason_name(unsigned int reason)
{
	return TT_NAME_AT(down_names, reason, "?");
}

uint8_t tt_dc_down_reason_pkt(unsigned int reason)
{
	return reason < TT_DC_DOWN_COUNT ? down_pkts[reason] : 0;
}

const char *tt_dc_rx_reject_name(unsigned int reason)
{
	return TT_NAME_AT(reject_names, reason, "?");
}

const char *tt_dc_rx_reject_rule(unsigned int reason)
{
	return TT_NAME_AT(reject_rules, reason, "?");
}

const char *tt_dc_role_name(unsigned int role)
{
	return TT_NAME_AT(role_names, role, "?");
}

const char *tt_dc_action_name(unsigned int action_flag)
{
	switch (action_flag) {
#define TT_X(name, bit, str)                                                                       \
	case TT_DC_A_##name:                                                                       \
		return str;
		TT_DC_ACTIONS(TT_X)
#undef TT_X
	default:
		return "?";
	}
}

/* Serial-number comparisons on the 32-bit segment space (RFC 1982 style). */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static uint32_t segs_for(uint32_t len, uint16_t seg_size)
{
	return len == 0 ? 1 : (len + seg_size - 1) / seg_size;
}

void tt_dc_config_default(struct tt_dc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu = 1500;
	cfg->msg_max = TT_DCW_MSG_MAX;
	cfg->window = 32;
	cfg->rx_window = 32;
	cfg->sndbuf_segs = 0;
	cfg->rto_init_ns = 1 * TT_NS_PER_MS;
	cfg->rto_min_ns = 200 * TT_NS_PER_US;
	cfg->rto_max_ns = 200 * TT_NS_PER_MS;
	cfg->granularity_ns = 100 * TT_NS_PER_US;
	cfg->max_retx = 6;
	cfg->probe_interval_ns = 10 * TT_NS_PER_MS;
	cfg->probe_timeout_ns = 50 * TT_NS_PER_MS;
}

static bool config_valid(const struct tt_dc_config *c)
{
	return c->chan_idx < TT_DCW_MAX_CHANNELS && c->mtu >= MTU_MIN && c->mtu <= MTU_MAX &&
	       c->msg_max >= 1 && c->msg_max <= TT_DCW_MSG_MAX && c->window >= 1 &&
	       c->window <= TT_DCW_WINDOW_MAX && c->rx_window >= 1 &&
	       c->rx_window <= TT_DCW_WINDOW_MAX && c->rto_min_ns > 0 &&
	       c->rto_min_ns <= c->rto_init_ns && c->rto_init_ns <= c->rto_max_ns &&
	       c->rto_max_ns <= RTO_MAX_LIMIT_NS && c->granularity_ns > 0 &&
	       c->granularity_ns <= c->rto_max_ns && c->probe_interval_ns > 0 &&
	       c->probe_interval_ns < c->probe_timeout_ns;
}

struct tt_dc *tt_dc_create(const struct tt_dc_config *cfg)
{
	struct tt_dc *ch;
	uint16_t seg;
	uint32_t min_s;

	if (cfg == NULL || !config_valid(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	seg = (uint16_t)(cfg->mtu - IPV4_HDR_LEN - UDP_HDR_LEN - TT_DCW_HDR_LEN);
	min_s = segs_for(cfg->msg_max, seg);
	if (min_s < cfg->window)
		min_s = cfg->window;
	if (cfg->sndbuf_segs != 0 && (cfg->sndbuf_segs < min_s || cfg->sndbuf_segs > SNDBUF_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		goto nomem;
	ch->cfg = *cfg;
	ch->seg_size = seg;
	ch->sbuf_n = cfg->sndbuf_segs != 0 ? cfg->sndbuf_segs : min_s + cfg->window;
	ch->sslot = calloc(ch->sbuf_n, sizeof(*ch->sslot));
	if (ch->sslot == NULL)
		goto free_ch;
	ch->sdata = malloc((size_t)ch->sbuf_n * seg);
	if (ch->sdata == NULL)
		goto free_sslot;
	ch->rslot = calloc(cfg->rx_window, sizeof(*ch->rslot));
	if (ch->rslot == NULL)
		goto free_sdata;
	ch->rdata = malloc((size_t)cfg->rx_window * seg);
	if (ch->rdata == NULL)
		goto free_rslot;
	ch->reasm = malloc(cfg->msg_max);
	if (ch->reasm == NULL)
		goto free_rdata;
	ch->state = TT_DC_S_CLOSED;
	ch->rto_ns = cfg->rto_init_ns;
	return ch;

free_rdata:
	free(ch->rdata);
free_rslot:
	free(ch->rslot);
free_sdata:
	free(ch->sdata);
free_sslot:
	free(ch->sslot);
free_ch:
	free(ch);
nomem:
	errno = ENOMEM;
	return NULL;
}

void tt_dc_destroy(struct tt_dc *ch)
{
	if (ch == NULL)
		return;
	free(ch->reasm);
	free(ch->rdata);
	free(ch->rslot);
	free(ch->sdata);
	free(ch->sslot);
	free(ch);
}

static uint32_t sidx(const struct tt_dc *ch, uint32_t seq)
{
	return (ch->una_idx + (seq - ch->snd_una)) % ch->sbuf_n;
}

static uint32_t ridx(const struct tt_dc *ch, uint32_t seq)
{
	return (ch->cons_idx + (seq - ch->rcv_cons)) % ch->cfg.rx_window;
}

/*
 * Forget the connection: sequence state, buffers' contents, timers. Keeps
 * config, epochs, the last DOWN reason and counters. Control path (OPEN,
 * LISTEN, RESET): O(S + R).
 */
static void reset_conn(struct tt_dc *ch)
{
	memset(ch->sslot, 0, (size_t)ch->sbuf_n * sizeof(*ch->sslot));
	memset(ch->rslot, 0, (size_t)ch->cfg.rx_window * sizeof(*ch->rslot));
	ch->role = TT_DC_ROLE_NONE;
	ch->nonce = 0;
	ch->isn_local = ch->isn_peer = 0;
	ch->connect_tx = 0;
	ch->connect_sent_ns = 0;
	ch->snd_una = ch->snd_nxt = ch->snd_end = ch->peer_edge = 0;
	ch->una_idx = 0;
	ch->scan_seq = 0;
	ch->msg_next = 0;
	ch->rtt_valid = false;
	ch->srtt_ns = ch->rttvar_ns = 0;
	ch->rto_ns = ch->cfg.rto_init_ns;
	ch->rto_armed = false;
	ch->rto_deadline_ns = 0;
	ch->backoffs = 0;
	ch->rcv_nxt = ch->rcv_cons = ch->cons_idx = ch->rcv_high = 0;
	ch->rcv_msg_next = 0;
	ch->in_msg = false;
	ch->cur_msg_id = ch->cur_msg_len = ch->reasm_len = 0;
	ch->delivered = false;
	ch->ack_pending = false;
	ch->last_rx_ns = ch->last_probe_ns = 0;
	ch->probe_id = 0;
	ch->work_pending = false;
}

/*
 * List a packet for transmission. Returns false when the step's list is full.
 * Control packets never hit the cap: a step lists at most two of them before
 * the DATA loop, which is the only thing that can fill the list.
 */
static bool add_tx(struct tt_dc *ch, struct tt_dc_actions *out, uint8_t type, uint32_t seq)
{
	if (out->n_tx >= TT_DC_TX_MAX)
		return false;
	out->tx[out->n_tx].type = type;
	out->tx[out->n_tx].seq = seq;
	out->n_tx++;
	out->flags |= TT_DC_A_TX;
	ch->cnt.tx_by_type[type]++;
	return true;
}

static tt_ns_t rto_clamp(const struct tt_dc *ch, tt_ns_t rto)
{
	if (rto < ch->cfg.rto_min_ns)
		return ch->cfg.rto_min_ns; /* RFC 6298 §2.4 (min is configured, not 1 s) */
	if (rto > ch->cfg.rto_max_ns)
		return ch->cfg.rto_max_ns; /* RFC 6298 §2.5 */
	return rto;
}

/* One RTT measurement R, from a segment sent exactly once (Karn, RFC 6298 §3). */
static void rtt_sample(struct tt_dc *ch, tt_ns_t r)
{
	if (!ch->rtt_valid) {
		/* RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2 */
		ch->srtt_ns = r;
		ch->rttvar_ns = r / 2;
		ch->rtt_valid = true;
	} else {
		/*
		 * RFC 6298 §2.3 with alpha = 1/8, beta = 1/4; RTTVAR first, from
		 * the old SRTT.
		 */
		tt_ns_t diff = ch->srtt_ns > r ? ch->srtt_ns - r : r - ch->srtt_ns;

		ch->rttvar_ns = (3 * ch->rttvar_ns + diff) / 4;
		ch->srtt_ns = (7 * ch->srtt_ns + r) / 8;
	}
	/* RFC 6298 §2.2/2.3: RTO <- SRTT + max(G, K*RTTVAR), K = 4 */
	ch->rto_ns = rto_clamp(ch, ch->srtt_ns + (4 * ch->rttvar_ns > ch->cfg.granularity_ns
							  ? 4 * ch->rttvar_ns
							  : ch->cfg.granularity_ns));
	ch->cnt.rtt_samples++;
}

static void rto_backoff(struct tt_dc *ch)
{
	/* RFC 6298 §5.5: RTO <- RTO * 2, bounded by the maximum (§2.5). */
	ch->rto_ns = rto_clamp(ch, ch->rto_ns * 2);
	ch->backoffs++;
}

static void set_state(struct tt_dc *ch, enum tt_dc_state s, struct tt_dc_actions *out)
{
	if (ch->state != s)
		out->flags |= TT_DC_A_STATE_CHANGE;
	ch->state = s;
}

/* Entry into UP (either role). */
static void enter_up(struct tt_dc *ch, tt_ns_t now, struct tt_dc_actions *out)
{
	set_state(ch, TT_DC_S_UP, out);
	out->flags |= TT_DC_A_UP;
	ch->cnt.ups++;
	ch->rto_armed = false; /* the CONNECT timer; nothing is in flight yet */
	ch->backoffs = 0;
	ch->last_rx_ns = now;
	ch->last_probe_ns = now;
}

/*
 * Entry into DOWN: keep and count the reason, report it once, and tell the
 * peer what the reason calls for if the peer knew of the connection.
 */
static void enter_down(struct tt_dc *ch, enum tt_dc_down_reason reason, struct tt_dc_actions *out)
{
	enum tt_dc_state prev = ch->state;
	uint8_t pkt = down_pkts[reason];

	set_state(ch, TT_DC_S_DOWN, out);
	ch->down_reason = reason;
	ch->cnt.down_by_reason[reason]++;
	out->flags |= TT_DC_A_DOWN;
	out->down_reason = reason;
	ch->rto_armed = false;
	ch->ack_pending = false;
	if (pkt != 0 && (prev == TT_DC_S_CONNECTING || prev == TT_DC_S_UP))
		add_tx(ch, out, pkt, 0);
}

/*
 * Apply the ack, SACK and credits a packet carries. Validates before it
 * changes anything: an ack or SACK bit beyond what was sent rejects the
 * whole packet. An ack older than snd_una (a reordered packet) is ignored.
 */
static enum tt_dc_rx_reject process_ack(struct tt_dc *ch, const struct tt_dcw_pkt *p, tt_ns_t now)
{
	uint32_t a = p->ack;
	uint32_t edge;
	uint32_t n;
	unsigned int i;

	if (seq_gt(a, ch->snd_nxt))
		return TT_DC_RX_ACK_INVALID;
	if (seq_lt(a, ch->snd_una))
		return TT_DC_RX_OK;
	if (p->sack != 0) {
		unsigned int high = 0;

		for (i = 0; i < TT_DCW_SACK_BITS; i++)
			if (p->sack >> i & 1)
				high = i;
		/* bit i is segment a + 1 + i: it must have been sent */
		if ((uint64_t)high + 1 >= (uint32_t)(ch->snd_nxt - a))
			return TT_DC_RX_ACK_INVALID;
	}

	/* Credits: the edge only moves forward (a late ACK cannot shrink it). */
	edge = a + p->window;
	if (seq_gt(edge, ch->peer_edge))
		ch->peer_edge = edge;

	n = a - ch->snd_una;
	if (n > 0) {
		const struct dc_sslot *last = &ch->sslot[sidx(ch, a - 1)];

		/* Karn's rule (RFC 6298 §3): only a segment sent once gives a sample. */
		if (last->tx_count == 1)
			rtt_sample(ch, now - last->sent_ns);
		for (i = 0; i < n; i++)
			memset(&ch->sslot[sidx(ch, ch->snd_una + i)], 0, sizeof(struct dc_sslot));
		ch->una_idx = (ch->una_idx + n) % ch->sbuf_n;
		ch->snd_una = a;
		ch->backoffs = 0;
		if (ch->snd_una == ch->snd_nxt)
			ch->rto_armed = false; /* RFC 6298 §5.2 */
		else
			ch->rto_deadline_ns = now + ch->rto_ns; /* RFC 6298 §5.3 */
	}
	for (i = 0; i < TT_DCW_SACK_BITS; i++)
		if (p->sack >> i & 1)
			ch->sslot[sidx(ch, a + 1 + i)].sacked = true;
	return TT_DC_RX_OK;
}

/*
 * Store a DATA segment in its receive slot and advance the cumulative ack.
 * Every DATA, kept or not, is acked (the sender learns the edge and stops
 * resending what is already here).
 */
static enum tt_dc_rx_reject process_data(struct tt_dc *ch, const struct tt_dcw_pkt *p,
					 struct tt_dc_actions *out)
{
	struct dc_rslot *sl;
	uint32_t idx;

	ch->ack_pending = true;
	if (seq_lt(p->seq, ch->rcv_nxt))
		return TT_DC_RX_DUPLICATE;
	if (p->seq - ch->rcv_cons >= ch->cfg.rx_window)
		return TT_DC_RX_OUT_OF_WINDOW;
	idx = ridx(ch, p->seq);
	sl = &ch->rslot[idx];
	if (sl->present)
		return TT_DC_RX_DUPLICATE;
	/*
	 * A segment this end cannot hold (peer's MTU or msg_max larger than
	 * ours) or that parse would have refused: the streams disagree.
	 */
	if (p->payload_len > ch->seg_size || p->msg_len > ch->cfg.msg_max ||
	    (uint64_t)p->seg_off + p->payload_len > p->msg_len ||
	    (p->payload_len > 0 && p->payload == NULL)) {
		enter_down(ch, TT_DC_DOWN_PROTOCOL, out);
		return TT_DC_RX_PROTOCOL;
	}
	if (p->payload_len > 0)
		memcpy(ch->rdata + (size_t)idx * ch->seg_size, p->payload, p->payload_len);
	sl->present = true;
	sl->len = p->payload_len;
	sl->msg_id = p->msg_id;
	sl->msg_len = p->msg_len;
	sl->seg_off = p->seg_off;
	if (!seq_lt(p->seq, ch->rcv_high))
		ch->rcv_high = p->seq + 1;
	while (ch->rcv_nxt - ch->rcv_cons < ch->cfg.rx_window &&
	       ch->rslot[ridx(ch, ch->rcv_nxt)].present)
		ch->rcv_nxt++;
	return TT_DC_RX_OK;
}

/*
 * Move in-order segments into the reassembly buffer until one message is
 * complete (delivered) or a gap is reached. Cross-segment rules: a message
 * starts at offset 0 with the next message id; its segments share id and
 * length and are contiguous. Breaking them is a protocol error.
 */
static void drain(struct tt_dc *ch, struct tt_dc_actions *out)
{
	while (!ch->delivered && ch->rcv_cons != ch->rcv_nxt) {
		struct dc_rslot *sl = &ch->rslot[ch->cons_idx];

		if (!ch->in_msg) {
			if (sl->seg_off != 0 || sl->msg_id != ch->rcv_msg_next)
				goto protocol;
			ch->in_msg = true;
			ch->cur_msg_id = sl->msg_id;
			ch->cur_msg_len = sl->msg_len;
			ch->reasm_len = 0;
		} else if (sl->msg_id != ch->cur_msg_id || sl->msg_len != ch->cur_msg_len ||
			   sl->seg_off != ch->reasm_len) {
			goto protocol;
		}
		if (sl->len > 0)
			memcpy(ch->reasm + ch->reasm_len,
			       ch->rdata + (size_t)ch->cons_idx * ch->seg_size, sl->len);
		ch->reasm_len += sl->len;
		sl->present = false;
		ch->rcv_cons++;
		ch->cons_idx = (ch->cons_idx + 1) % ch->cfg.rx_window;
		ch->ack_pending = true; /* credits grew: tell the sender */
		if (ch->reasm_len == ch->cur_msg_len) {
			ch->delivered = true;
			ch->rcv_msg_next++;
			ch->cnt.msgs_delivered++;
			ch->cnt.bytes_delivered += ch->reasm_len;
			out->flags |= TT_DC_A_DELIVER;
			out->msg = ch->reasm;
			out->msg_len = ch->reasm_len;
			out->msg_id = ch->cur_msg_id;
		}
	}
	return;
protocol:
	ch->cnt.rx_reject[TT_DC_RX_PROTOCOL]++;
	enter_down(ch, TT_DC_DOWN_PROTOCOL, out);
}

/*
 * List the DATA segments due: pending ones among the first
 * min(window, credits, queued) from snd_una. Returns false if the list
 * filled up before they were all listed.
 */
static bool emit_data(struct tt_dc *ch, tt_ns_t now, struct tt_dc_actions *out)
{
	uint32_t allow = ch->cfg.window;
	uint32_t credit = seq_gt(ch->peer_edge, ch->snd_una) ? ch->peer_edge - ch->snd_una : 0;
	uint32_t queued = ch->snd_end - ch->snd_una;
	uint32_t seq, end, idx;
	bool sent = false;

	if (credit < allow)
		allow = credit;
	if (queued < allow)
		allow = queued;
	end = ch->snd_una + allow;
	/* Slots below scan_seq are not pending (acked ones are not either). */
	seq = seq_gt(ch->scan_seq, ch->snd_una) ? ch->scan_seq : ch->snd_una;
	if (seq_gt(seq, end))
		seq = end;
	idx = sidx(ch, seq);
	for (; seq != end; seq++, idx = idx + 1 == ch->sbuf_n ? 0 : idx + 1) {
		struct dc_sslot *sl = &ch->sslot[idx];

		if (!sl->pending)
			continue;
		if (!add_tx(ch, out, TT_DCW_T_DATA, seq)) {
			ch->cnt.tx_cap_hits++;
			ch->scan_seq = seq;
			if (sent)
				ch->ack_pending = false;
			return false;
		}
		sent = true;
		sl->pending = false;
		if (sl->tx_count > 0)
			ch->cnt.retransmits++;
		if (sl->tx_count < UINT16_MAX)
			sl->tx_count++;
		sl->sent_ns = now;
		if (!seq_lt(seq, ch->snd_nxt))
			ch->snd_nxt = seq + 1;
		/* RFC 6298 §5.1: start the timer if it is not running. */
		if (!ch->rto_armed) {
			ch->rto_armed = true;
			ch->rto_deadline_ns = now + ch->rto_ns;
		}
	}
	ch->scan_seq = end;
	if (sent)
		ch->ack_pending = false; /* the DATA carries the ack */
	return true;
}

/* Timers of CONNECTING: CONNECT retransmission with backoff. */
static void expire_connecting(struct tt_dc *ch, tt_ns_t now, struct tt_dc_actions *out)
{
	if (!ch->rto_armed || !tt_time_reached(now, ch->rto_deadline_ns))
		return;
	if (ch->backoffs >= ch->cfg.max_retx) {
		enter_down(ch, TT_DC_DOWN_CONNECT_TIMEOUT, out);
		return;
	}
	rto_backoff(ch);
	add_tx(ch, out, TT_DCW_T_CONNECT, 0);
	ch->connect_tx++;
	ch->cnt.retransmits++;
	ch->rto_deadline_ns = now + ch->rto_ns;
}

/* Timers of UP: probe timeout, then retransmission timeout, then probe. */
static void expire_up(struct tt_dc *ch, tt_ns_t now, struct tt_dc_actions *out)
{
	tt_ns_t probe_from;

	if (tt_time_reached(now, ch->last_rx_ns + ch->cfg.probe_timeout_ns)) {
		enter_down(ch, TT_DC_DOWN_PROBE_TIMEOUT, out);
		return;
	}
	if (ch->rto_armed && tt_time_reached(now, ch->rto_deadline_ns)) {
		uint32_t i;

		if (ch->backoffs >= ch->cfg.max_retx) {
			enter_down(ch, TT_DC_DOWN_RETX_EXHAUSTED, out);
			return;
		}
		/*
		 * RFC 6298 §5.4-5.6: retransmit, back off, restart the timer.
		 * With SACK we resend every segment in flight the peer does not
		 * hold, not only the earliest.
		 */
		rto_backoff(ch);
		for (i = 0; i < (uint32_t)(ch->snd_nxt - ch->snd_una); i++) {
			struct dc_sslot *sl = &ch->sslot[sidx(ch, ch->snd_una + i)];

			if (!sl->sacked)
				sl->pending = true;
		}
		ch->scan_seq = ch->snd_una;
		ch->rto_deadline_ns = now + ch->rto_ns;
	}
	probe_from = tt_time_after(ch->last_probe_ns, ch->last_rx_ns) ? ch->last_probe_ns
								      : ch->last_rx_ns;
	if (tt_time_reached(now, probe_from + ch->cfg.probe_interval_ns)) {
		add_tx(ch, out, TT_DCW_T_PROBE, ch->probe_id++);
		ch->last_probe_ns = now;
	}
}

/* RX in ACCEPTING: only a CONNECT is expected. */
static enum tt_dc_rx_reject rx_accepting(struct tt_dc *ch, const struct tt_dcw_pkt *p, tt_ns_t now,
					 struct tt_dc_actions *out)
{
	if (p->type != TT_DCW_T_CONNECT)
		return TT_DC_RX_UNEXPECTED;
	ch->nonce = p->nonce;
	ch->isn_peer = p->seq;
	ch->rcv_nxt = ch->rcv_cons = ch->rcv_high = p->seq;
	/* CONNECT's credits count from our ISN: the connector expects it first. */
	ch->peer_edge = ch->isn_local + p->window;
	add_tx(ch, out, TT_DCW_T_ACCEPT, 0);
	enter_up(ch, now, out);
	return TT_DC_RX_OK;
}

/* RX in CONNECTING: an ACCEPT that echoes our nonce and acks our ISN. */
static enum tt_dc_rx_reject rx_connecting(struct tt_dc *ch, const struct tt_dcw_pkt *p, tt_ns_t now,
					  struct tt_dc_actions *out)
{
	switch (p->type) {
	case TT_DCW_T_ACCEPT:
		if (p->nonce != ch->nonce)
			return TT_DC_RX_NONCE;
		if (p->ack != ch->isn_local)
			return TT_DC_RX_ACK_INVALID;
		if (ch->connect_tx == 1)
			rtt_sample(ch, now - ch->connect_sent_ns); /* Karn: sent once */
		ch->isn_peer = p->seq;
		ch->rcv_nxt = ch->rcv_cons = ch->rcv_high = p->seq;
		ch->peer_edge = ch->isn_local + p->window;
		enter_up(ch, now, out);
		return TT_DC_RX_OK;
	case TT_DCW_T_RESET:
		enter_down(ch, TT_DC_DOWN_PEER_RESET, out);
		return TT_DC_RX_OK;
	case TT_DCW_T_CLOSE:
		enter_down(ch, TT_DC_DOWN_PEER_CLOSE, out);
		return TT_DC_RX_OK;
	default:
		return TT_DC_RX_UNEXPECTED;
	}
}

/* RX in UP. */
static enum tt_dc_rx_reject rx_up(struct tt_dc *ch, const struct tt_dcw_pkt *p, tt_ns_t now,
				  struct tt_dc_actions *out)
{
	enum tt_dc_rx_reject r;

	switch (p->type) {
	case TT_DCW_T_CONNECT:
		if (ch->role != TT_DC_ROLE_ACCEPTOR)
			return TT_DC_RX_UNEXPECTED;
		if (p->nonce != ch->nonce)
			return TT_DC_RX_NONCE;
		/* Our ACCEPT was lost (or this copy is late): accept again. */
		add_tx(ch, out, TT_DCW_T_ACCEPT, 0);
		return TT_DC_RX_DUPLICATE;
	case TT_DCW_T_ACCEPT:
		if (ch->role != TT_DC_ROLE_CONNECTOR)
			return TT_DC_RX_UNEXPECTED;
		if (p->nonce != ch->nonce)
			return TT_DC_RX_NONCE;
		return TT_DC_RX_DUPLICATE;
	case TT_DCW_T_DATA:
		r = process_ack(ch, p, now);
		if (r != TT_DC_RX_OK)
			return r;
		return process_data(ch, p, out);
	case TT_DCW_T_ACK:
	case TT_DCW_T_PROBE_ACK:
		return process_ack(ch, p, now);
	case TT_DCW_T_PROBE:
		r = process_ack(ch, p, now);
		if (r == TT_DC_RX_OK)
			add_tx(ch, out, TT_DCW_T_PROBE_ACK, p->seq);
		return r;
	case TT_DCW_T_CLOSE:
		enter_down(ch, TT_DC_DOWN_PEER_CLOSE, out);
		return TT_DC_RX_OK;
	case TT_DCW_T_RESET:
		enter_down(ch, TT_DC_DOWN_PEER_RESET, out);
		return TT_DC_RX_OK;
	default:
		return TT_DC_RX_UNEXPECTED;
	}
}

/*
 * RX: identity checks common to every state, then the state's handler.
 * Any packet that passes them and is not refused as bogus (nonce, ack,
 * type) proves the peer alive.
 */
static enum tt_dc_rx_reject do_rx(struct tt_dc *ch, const struct tt_dcw_pkt *p, tt_ns_t now,
				  struct tt_dc_actions *out)
{
	enum tt_dc_rx_reject r;

	ch->cnt.rx_events++;
	if (ch->state == TT_DC_S_CLOSED)
		return TT_DC_RX_NOT_OPEN;
	if (p->type == 0 || p->type >= TT_DCW_T_MAX) /* not from tt_dcw_parse() */
		return TT_DC_RX_UNEXPECTED;
	if (p->worker_id != ch->cfg.worker_id)
		return TT_DC_RX_WORKER;
	if (p->chan_idx != ch->cfg.chan_idx)
		return TT_DC_RX_CHANNEL;
	if (p->epoch != ch->epoch)
		return TT_DC_RX_STALE_EPOCH;
	switch (ch->state) {
	case TT_DC_S_ACCEPTING:
		r = rx_accepting(ch, p, now, out);
		break;
	case TT_DC_S_CONNECTING:
		r = rx_connecting(ch, p, now, out);
		break;
	case TT_DC_S_UP:
		r = rx_up(ch, p, now, out);
		if (r == TT_DC_RX_OK || r == TT_DC_RX_DUPLICATE || r == TT_DC_RX_OUT_OF_WINDOW)
			ch->last_rx_ns = now;
		break;
	default: /* DOWN: tell the peer, unless it is ending too. */
		if (p->type != TT_DCW_T_RESET && p->type != TT_DCW_T_CLOSE)
			add_tx(ch, out, TT_DCW_T_RESET, 0);
		r = TT_DC_RX_CHANNEL_DOWN;
		break;
	}
	return r;
}

static int do_open(struct tt_dc *ch, const struct tt_dc_event *ev, tt_ns_t now,
		   struct tt_dc_actions *out)
{
	const struct tt_dc_open *o = &ev->open;
	bool connect = ev->type == TT_DC_EV_OPEN;

	if (o->epoch == 0 || (connect && o->nonce == 0))
		return -EINVAL;
	if (ch->state != TT_DC_S_CLOSED)
		return -EALREADY;
	/* A re-armed channel serves a newer epoch only (DESIGN.md §1). */
	if (ch->last_epoch != 0 && (int32_t)(o->epoch - ch->last_epoch) <= 0)
		return -ESTALE;
	reset_conn(ch);
	ch->epoch = ch->last_epoch = o->epoch;
	ch->isn_local = o->isn;
	ch->snd_una = ch->snd_nxt = ch->snd_end = ch->scan_seq = o->isn;
	if (connect) {
		ch->role = TT_DC_ROLE_CONNECTOR;
		ch->nonce = o->nonce;
		add_tx(ch, out, TT_DCW_T_CONNECT, 0);
		ch->connect_tx = 1;
		ch->connect_sent_ns = now;
		ch->rto_armed = true;
		ch->rto_deadline_ns = now + ch->rto_ns;
		set_state(ch, TT_DC_S_CONNECTING, out);
	} else {
		ch->role = TT_DC_ROLE_ACCEPTOR;
		set_state(ch, TT_DC_S_ACCEPTING, out);
	}
	return 0;
}

/* SEND: all or nothing into the send buffer (see dc_fsm.h). */
static int do_send(struct tt_dc *ch, const struct tt_dc_msg *m)
{
	const uint8_t *src = m->data;
	uint32_t nseg, used, k;

	if (m->len > 0 && src == NULL)
		return -EINVAL;
	if (ch->state != TT_DC_S_UP)
		return -ENOTCONN;
	if (m->len > ch->cfg.msg_max)
		return -EMSGSIZE;
	nseg = segs_for(m->len, ch->seg_size);
	used = ch->snd_end - ch->snd_una;
	if (nseg > ch->sbuf_n - used)
		return -ENOBUFS;
	for (k = 0; k < nseg; k++) {
		uint32_t seq = ch->snd_end + k;
		uint32_t idx = sidx(ch, seq);
		uint32_t off = k * ch->seg_size;
		uint32_t len = m->len - off < ch->seg_size ? m->len - off : ch->seg_size;
		struct dc_sslot *sl = &ch->sslot[idx];

		if (len > 0)
			memcpy(ch->sdata + (size_t)idx * ch->seg_size, src + off, len);
		sl->msg_id = ch->msg_next;
		sl->msg_len = m->len;
		sl->seg_off = off;
		sl->len = (uint16_t)len;
		sl->tx_count = 0;
		sl->sent_ns = 0;
		sl->pending = true;
		sl->sacked = false;
	}
	ch->snd_end += nseg;
	ch->msg_next++;
	ch->cnt.msgs_queued++;
	return 0;
}

/* Local events that end a connection: LINK_DOWN, CUT, CLOSE. */
static int do_local_down(struct tt_dc *ch, enum tt_dc_down_reason reason, struct tt_dc_actions *out)
{
	if (ch->state == TT_DC_S_CLOSED || ch->state == TT_DC_S_DOWN) {
		ch->cnt.events_ignored++;
		return 0;
	}
	enter_down(ch, reason, out);
	return 0;
}

static int do_reset(struct tt_dc *ch, struct tt_dc_actions *out)
{
	if (ch->state != TT_DC_S_CLOSED && ch->state != TT_DC_S_DOWN)
		return -EBUSY;
	reset_conn(ch);
	set_state(ch, TT_DC_S_CLOSED, out);
	return 0;
}

static int apply_event(struct tt_dc *ch, const struct tt_dc_event *ev, tt_ns_t now,
		       struct tt_dc_actions *out)
{
	int rc;

	switch (ev->type) {
	case TT_DC_EV_RX:
		if (ev->pkt == NULL)
			return -EINVAL;
		out->rx_verdict = do_rx(ch, ev->pkt, now, out);
		if (out->rx_verdict == TT_DC_RX_OK)
			ch->cnt.rx_by_type[ev->pkt->type]++;
		else
			ch->cnt.rx_reject[out->rx_verdict]++;
		return 0;
	case TT_DC_EV_TIMER:
		return 0; /* timers already expired at the start of the step */
	case TT_DC_EV_OPEN:
	case TT_DC_EV_LISTEN:
		return do_open(ch, ev, now, out);
	case TT_DC_EV_SEND:
		rc = do_send(ch, &ev->msg);
		if (rc < 0)
			ch->cnt.send_refused++;
		return rc;
	case TT_DC_EV_LINK_DOWN:
		return do_local_down(ch, TT_DC_DOWN_LINK_DOWN, out);
	case TT_DC_EV_CUT:
		return do_local_down(ch, TT_DC_DOWN_CUT, out);
	case TT_DC_EV_CLOSE:
		return do_local_down(ch, TT_DC_DOWN_LOCAL_CLOSE, out);
	case TT_DC_EV_RESET:
		return do_reset(ch, out);
	default:
		return -EINVAL;
	}
}

/* tt_dc_step() clears the actions around tx[]: tx[] must be followed by old_state. */
_Static_assert(offsetof(struct tt_dc_actions, old_state) ==
		       offsetof(struct tt_dc_actions, tx) + sizeof(((struct tt_dc_actions *)0)->tx),
	       "struct tt_dc_actions: tx[] directly before old_state");

int tt_dc_step(struct tt_dc *ch, const struct tt_dc_event *ev, tt_ns_t now,
	       struct tt_dc_actions *out)
{
	bool all_listed = true;
	int rc;

	/*
	 * Everything but tx[]: it is read only up to n_tx, and clearing its
	 * TT_DC_TX_MAX requests was the largest part of a step's own cost.
	 */
	memset(out, 0, offsetof(struct tt_dc_actions, tx));
	memset(&out->old_state, 0, sizeof(*out) - offsetof(struct tt_dc_actions, old_state));
	out->old_state = ch->state;
	ch->last_step_ns = now;
	/* The message delivered by the previous step is released now. */
	if (ch->delivered) {
		ch->delivered = false;
		ch->in_msg = false;
		ch->reasm_len = 0;
	}

	if (ch->state == TT_DC_S_CONNECTING)
		expire_connecting(ch, now, out);
	else if (ch->state == TT_DC_S_UP)
		expire_up(ch, now, out);

	rc = apply_event(ch, ev, now, out);

	if (ch->state == TT_DC_S_UP) {
		drain(ch, out);
		if (ch->state == TT_DC_S_UP)
			all_listed = emit_data(ch, now, out);
		if (ch->ack_pending && ch->state == TT_DC_S_UP && add_tx(ch, out, TT_DCW_T_ACK, 0))
			ch->ack_pending = false;
	}
	ch->work_pending =
		ch->state == TT_DC_S_UP &&
		(!all_listed || ch->ack_pending || (ch->delivered && ch->rcv_cons != ch->rcv_nxt));
	if (ch->work_pending)
		out->flags |= TT_DC_A_MORE;
	out->new_state = ch->state;
	return rc;
}

int tt_dc_rx(struct tt_dc *ch, const struct tt_dcw_pkt *pkt, tt_ns_t now, struct tt_dc_actions *out)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_RX, .pkt = pkt};

	return tt_dc_step(ch, &ev, now, out);
}

int tt_dc_tick(struct tt_dc *ch, tt_ns_t now, struct tt_dc_actions *out)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_TIMER};

	return tt_dc_step(ch, &ev, now, out);
}

int tt_dc_send(struct tt_dc *ch, const void *data, uint32_t len, tt_ns_t now,
	       struct tt_dc_actions *out)
{
	struct tt_dc_event ev = {.type = TT_DC_EV_SEND, .msg = {.data = data, .len = len}};

	return tt_dc_step(ch, &ev, now, out);
}

/* Cumulative ack, SACK bitmap and credits as of now. */
static void fill_ack(const struct tt_dc *ch, struct tt_dcw_pkt *p)
{
	uint32_t seq = ch->rcv_nxt + 1;
	uint32_t idx = ridx(ch, seq);
	unsigned int i;

	p->ack = ch->rcv_nxt;
	p->window = (uint16_t)(ch->rcv_cons + ch->cfg.rx_window - ch->rcv_nxt);
	p->sack = 0;
	/* Nothing is held at or beyond rcv_high: in-order traffic skips the loop. */
	for (i = 0; i < TT_DCW_SACK_BITS && seq_lt(seq, ch->rcv_high); i++, seq++) {
		if (seq - ch->rcv_cons >= ch->cfg.rx_window)
			break;
		if (ch->rslot[idx].present)
			p->sack |= 1ull << i;
		idx = idx + 1 == ch->cfg.rx_window ? 0 : idx + 1;
	}
}

size_t tt_dc_build(const struct tt_dc *ch, const struct tt_dc_tx_req *req, uint8_t *buf, size_t cap)
{
	struct tt_dcw_pkt p;
	uint32_t idx;

	memset(&p, 0, sizeof(p));
	p.version = TT_DCW_VERSION;
	p.type = req->type;
	p.worker_id = ch->cfg.worker_id;
	p.chan_idx = ch->cfg.chan_idx;
	p.epoch = ch->epoch;
	switch (req->type) {
	case TT_DCW_T_CONNECT:
		p.seq = ch->isn_local;
		p.window = ch->cfg.rx_window;
		p.nonce = ch->nonce;
		break;
	case TT_DCW_T_ACCEPT:
		p.seq = ch->isn_local;
		p.ack = ch->isn_peer;
		p.window = ch->cfg.rx_window;
		p.nonce = ch->nonce;
		break;
	case TT_DCW_T_DATA:
		if (req->seq - ch->snd_una >= ch->snd_end - ch->snd_una)
			return 0;
		idx = sidx(ch, req->seq);
		p.seq = req->seq;
		p.msg_id = ch->sslot[idx].msg_id;
		p.msg_len = ch->sslot[idx].msg_len;
		p.seg_off = ch->sslot[idx].seg_off;
		p.payload_len = ch->sslot[idx].len;
		p.payload = ch->sdata + (size_t)idx * ch->seg_size;
		fill_ack(ch, &p);
		break;
	case TT_DCW_T_ACK:
		fill_ack(ch, &p);
		break;
	case TT_DCW_T_PROBE:
	case TT_DCW_T_PROBE_ACK:
		p.seq = req->seq;
		fill_ack(ch, &p);
		break;
	case TT_DCW_T_CLOSE:
	case TT_DCW_T_RESET:
		break;
	default:
		return 0;
	}
	return tt_dcw_build(&p, buf, cap);
}

bool tt_dc_next_deadline(const struct tt_dc *ch, tt_ns_t *deadline)
{
	tt_ns_t d, probe_from;

	switch (ch->state) {
	case TT_DC_S_CONNECTING:
		if (!ch->rto_armed)
			return false;
		*deadline = ch->rto_deadline_ns;
		return true;
	case TT_DC_S_UP:
		if (ch->work_pending) {
			*deadline = ch->last_step_ns;
			return true;
		}
		d = ch->last_rx_ns + ch->cfg.probe_timeout_ns;
		probe_from = tt_time_after(ch->last_probe_ns, ch->last_rx_ns) ? ch->last_probe_ns
									      : ch->last_rx_ns;
		d = tt_time_min(d, probe_from + ch->cfg.probe_interval_ns);
		if (ch->rto_armed)
			d = tt_time_min(d, ch->rto_deadline_ns);
		*deadline = d;
		return true;
	default:
		return false;
	}
}

uint16_t tt_dc_seg_size(const struct tt_dc *ch)
{
	return ch->seg_size;
}

enum tt_dc_state tt_dc_state(const struct tt_dc *ch)
{
	return ch->state;
}

enum tt_dc_down_reason tt_dc_down_reason(const struct tt_dc *ch)
{
	return ch->down_reason;
}

const struct tt_dc_counters *tt_dc_counters(const struct tt_dc *ch)
{
	return &ch->cnt;
}

void tt_dc_info(const struct tt_dc *ch, struct tt_dc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = ch->state;
	info->role = ch->role;
	info->down_reason = ch->down_reason;
	info->epoch = ch->epoch;
	info->seg_size = ch->seg_size;
	info->snd_una = ch->snd_una;
	info->snd_nxt = ch->snd_nxt;
	info->snd_end = ch->snd_end;
	info->peer_edge = ch->peer_edge;
	info->rcv_nxt = ch->rcv_nxt;
	info->rcv_cons = ch->rcv_cons;
	info->rcv_window = (uint16_t)(ch->rcv_cons + ch->cfg.rx_window - ch->rcv_nxt);
	info->rtt_valid = ch->rtt_valid;
	info->srtt_ns = ch->srtt_ns;
	info->rttvar_ns = ch->rttvar_ns;
	info->rto_ns = ch->rto_ns;
	info->backoffs = ch->backoffs;
}
