/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "chan_table.h"
#include "link.h"
#include "runtime.h"
#include "tt_names.h"

RTE_LOG_REGISTER(tt_rt_logtype, user.tether.rt, NOTICE);

#define RT_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, tt_rt_logtype, "tether.rt: " fmt "\n", ##__VA_ARGS__)

/** Largest burst (and TX buffer) a runtime uses. */
#define RT_MAX_BURST 256
/** Delayed packets taken from a shim per call. */
#define RT_SHIM_POLL 32
/** Mailbox commands run per housekeeping. */
#define RT_CMD_BURST 16
/** Shortest sleep worth a syscall in BACKOFF mode. */
#define RT_MIN_SLEEP_NS (2 * TT_NS_PER_US)
/** How long tt_rt_cmd_exec() sleeps between looks at a posted command. */
#define RT_CMD_WAIT_US 20
/** Shim flow id that passes untouched (tt_shim_tx: ids >= nb_flows). */
#define RT_FLOW_NONE UINT16_MAX
/** SPLIT: slots of an endpoint's heartbeat rings (RX dispatch, TX hand-off). */
#define RT_HB_RING 1024

/* Per-lcore counters, local to the lcore and folded into pub_lc. */
enum rt_lc {
	RT_LC_PASSES,
	RT_LC_BUSY_PASSES,
	RT_LC_TOTAL_NS,
	RT_LC_BUSY_NS,
	RT_LC_PASS_MAX,
	RT_LC_SLEEPS,
	RT_LC_SLEEP_NS,
	RT_LC_CMDS,
	RT_LC_LINK_DOWNS,
	RT_LC_DEADLINES,
	RT_LC_LATE_MAX,
	RT_LC_HB_RX,	    /* SPLIT, HB lane: heartbeats handed to the HB plane */
	RT_LC_HB_DROP,	    /* ... refused by it */
	RT_LC_HB_TX,	    /* ... heartbeats handed to the data lane */
	RT_LC_HB_RING_FULL, /* ... not handed: TX ring full, or RX ring full (data lane) */
	RT_LC_MAX
};

/*
 * The per-lcore part of the loop: the data lane (lcore_id) always; with the
 * SPLIT layout also the heartbeat lane (hb_lcore_id). Each lane's counters
 * and mailbox are its own.
 */
struct rt_lane {
	unsigned int lcore_id;
	bool hb;     /* the heartbeat lane */
	tt_ns_t now; /* the current pass's time */
	struct rte_ring *cmd_ring;
	uint64_t lc[RT_LC_MAX];
	uint64_t hist[TT_RT_LATE_BUCKETS];
	_Atomic uint64_t pub_lc[RT_LC_MAX];
	_Atomic uint64_t pub_hist[TT_RT_LATE_BUCKETS];
};

struct rt_port {
	const struct tt_port *port;
	uint16_t port_id;
	uint16_t queue;
	uint16_t hb_queue;
	bool hb_queue_active; /* RTE_FLOW steering to a queue of its own: poll it first */
	bool offload;	      /* IPv4 and UDP checksum offloads */
	struct tt_flow_steer steer;
	uint8_t mac[TT_PKT_ETH_ADDR_LEN];
	/* lcore-owned */
	uint16_t tx_n;
	tt_ns_t tx_first_ns; /* when the oldest buffered frame was queued */
	struct rte_mbuf *tx_pkts[RT_MAX_BURST];
	uint64_t ctr[TT_RT_PC_MAX];
	uint64_t parse[TT_PKT_RX_REJECT_MAX];
	/* folded */
	_Atomic uint64_t pub_ctr[TT_RT_PC_MAX];
	_Atomic uint64_t pub_parse[TT_PKT_RX_REJECT_MAX];
};

/* The last deadline whose lateness was recorded (each is recorded once). */
struct late_mark {
	bool armed;
	tt_ns_t seen;
};

struct rt_ep {
	struct tt_rt *rt;
	uint32_t idx;
	enum tt_rt_role role;
	uint32_t my_ip;
	uint8_t n_chan;
	struct tt_master *master;
	struct tt_worker *worker;
	struct tt_neigh *neigh;
	struct tt_shim *shim;
	struct rte_mempool *pool; /* TX datagrams come from the first port's pool */
	uint16_t n_ports;
	struct rt_port *ports; /* n_ports */
	/* MASTER: the workers in configuration order; neighbour entry p is workers[p]. */
	uint32_t n_peers;
	struct tt_master_peer_config *peers;
	uint16_t dc_port_base; /* WORKER */
	uint16_t ip_id;
	struct rte_mbuf *pending; /* handed out by tx_buf, not yet back through tx_send */
	/* SPLIT: the HB lane's side (hb_pending, late_hb) and the two rings */
	struct rte_mbuf *hb_pending;
	struct rte_ring *hb_rx_ring; /* data lane -> HB lane: received heartbeats */
	struct rte_ring *hb_tx_ring; /* HB lane -> data lane: heartbeats to send */
	struct late_mark late_hb;
	bool exited;
	int exit_code;
	atomic_bool pub_exited;
	atomic_int pub_exit_code;
	struct late_mark late;
};

struct tt_rt {
	unsigned int lcore_id;
	unsigned int hb_lcore_id; /* SPLIT */
	bool split;
	enum tt_rt_layout layout;
	enum tt_rt_poll_mode poll_mode;
	uint16_t burst;
	uint32_t hk_passes;
	uint32_t idle_passes;
	tt_ns_t drain_ns;
	tt_ns_t sleep_max_ns;
	struct tt_tsc_clock own_clock;
	const struct tt_tsc_clock *clock;
	uint32_t n_eps;
	struct rt_ep *eps;
	struct rte_ring *cmd_ring;
	struct tt_link_watch *link;
	pthread_mutex_t ctl_lock;
	bool launched; /* under ctl_lock */
	atomic_bool quit;
	atomic_int state;     /* enum tt_rt_state */
	atomic_int lanes_run; /* lanes still looping */
	tt_ns_t now;	      /* the data lane's pass time (tx callbacks have no `now`) */
	uint64_t lc[RT_LC_MAX];
	uint64_t hist[TT_RT_LATE_BUCKETS];
	_Atomic uint64_t pub_lc[RT_LC_MAX];
	_Atomic uint64_t pub_hist[TT_RT_LATE_BUCKETS];
	struct rt_lane hbl; /* SPLIT: the heartbeat lane */
};

#define TT_X(name, str) str,
static const char *const role_names[] = {TT_RT_ROLES(TT_X)};
static const char *const layout_names[] = {TT_RT_LAYOUTS(TT_X)};
static const char *const poll_names[] = {TT_RT_POLL_MODES(TT_X)};
static const char *const state_names[] = {TT_RT_STATES(TT_X)};
static const char *const port_ctr_names[] = {TT_RT_PORT_CTRS(TT_X)};
static const char *const cmd_names[] = {TT_RT_CMDS(TT_X)};
#undef TT_X

const char *tt_rt_role_name(unsigned int role)
{
	return TT_NAME_AT(role_names, role, "?");
}

const char *tt_rt_layout_name(unsigned int layout)
{
	return TT_NAME_AT(layout_names, layout, "?");
}

const char *tt_rt_poll_mode_name(unsigned int mode)
{
	return TT_NAME_AT(poll_names, mode, "?");
}

const char *tt_rt_state_name(unsigned int state)
{
	return TT_NAME_AT(state_names, state, "?");
}

const char *tt_rt_port_ctr_name(unsigned int ctr)
{
	return TT_NAME_AT(port_ctr_names, ctr, "?");
}

const char *tt_rt_cmd_name(unsigned int type)
{
	return TT_NAME_AT(cmd_names, type, "?");
}

/* The engine's view of a received datagram's addressing. */
static struct tt_udp_meta meta_of(const struct tt_pkt_view *v)
{
	return (struct tt_udp_meta){
		.src_ip = v->ip_src,
		.dst_ip = v->ip_dst,
		.src_port = v->src_port,
		.dst_port = v->dst_port,
		.ttl = v->ttl,
	};
}

/* ---- TX ---------------------------------------------------------------- */

static uint16_t txq_flush(struct rt_port *p)
{
	uint16_t n = p->tx_n, sent;

	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(p->port_id, p->queue, p->tx_pkts, n);
	p->ctr[TT_RT_PC_TX_PKTS] += sent;
	if (sent < n) {
		/* A full TX ring: drop rather than stall the loop; the engine's
		 * retransmissions and the next heartbeat cover the loss. */
		rte_pktmbuf_free_bulk(&p->tx_pkts[sent], n - sent);
		p->ctr[TT_RT_PC_TX_NIC_FULL] += n - sent;
	}
	p->tx_n = 0;
	return sent;
}

static void txq_add(const struct tt_rt *rt, struct rt_port *p, struct rte_mbuf *m, tt_ns_t now)
{
	if (p->tx_n == 0)
		p->tx_first_ns = now;
	p->tx_pkts[p->tx_n++] = m;
	if (p->tx_n >= rt->burst)
		txq_flush(p);
}

/* Neighbour table output (ARP requests and replies): copy into an mbuf, queue. */
static int neigh_tx(void *ctx, uint16_t port_idx, const uint8_t *frame, size_t len)
{
	struct rt_ep *ep = ctx;
	struct rt_port *p = &ep->ports[port_idx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->port->pool);
	char *dst;

	if (m == NULL) {
		p->ctr[TT_RT_PC_TX_NO_MBUF]++;
		return -ENOBUFS;
	}
	dst = rte_pktmbuf_append(m, (uint16_t)len);
	if (dst == NULL) {
		rte_pktmbuf_free(m);
		p->ctr[TT_RT_PC_TX_BUILD_FAILED]++;
		return -EMSGSIZE;
	}
	memcpy(dst, frame, len);
	p->ctr[TT_RT_PC_TX_ARP]++;
	txq_add(ep->rt, p, m, ep->rt->now);
	return 0;
}

/* node_io tx_buf: an mbuf's data room after the Ethernet/IPv4/UDP headers. */
static uint8_t *ep_tx_buf(void *ctx, size_t *cap)
{
	struct rt_ep *ep = ctx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(ep->pool);

	if (m == NULL) {
		ep->ports[0].ctr[TT_RT_PC_TX_NO_MBUF]++;
		return NULL;
	}
	ep->pending = m;
	*cap = rte_pktmbuf_tailroom(m) - TT_PKT_UDP4_HDRS_LEN;
	return tt_pkt_udp4_payload(rte_pktmbuf_mtod(m, uint8_t *));
}

/*
 * The shim flow of a datagram (tt_rt_flow_hb() documents the numbering):
 * heartbeats go to port 3784 (RFC 5881 §4); a master's channel c of worker p
 * is addressed to dc_port_base + c, a worker's channel c leaves from
 * dc_port_base + c.
 */
static uint16_t tx_flow(const struct rt_ep *ep, int nidx, const struct tt_udp_meta *meta)
{
	uint32_t per = 1u + ep->n_chan;
	uint16_t c;

	if (ep->role == TT_RT_ROLE_MASTER) {
		if (nidx < 0 || (uint32_t)nidx >= ep->n_peers)
			return RT_FLOW_NONE;
		if (meta->dst_port == TT_FLOW_BFD_UDP_PORT)
			return (uint16_t)((uint32_t)nidx * per);
		c = (uint16_t)(meta->dst_port - ep->peers[nidx].dc_port_base);
		return c < ep->n_chan ? (uint16_t)((uint32_t)nidx * per + 1u + c) : RT_FLOW_NONE;
	}
	if (meta->dst_port == TT_FLOW_BFD_UDP_PORT)
		return 0;
	c = (uint16_t)(meta->src_port - ep->dc_port_base);
	return c < ep->n_chan ? (uint16_t)(1u + c) : RT_FLOW_NONE;
}

/*
 * node_io tx_send: resolve the destination, write the headers in front of
 * the payload, pass the frame through the fault shim and queue what comes
 * out. The output port index rides in m->port (an mbuf we built has no input
 * port) so that frames the shim releases later find their TX buffer.
 */
/*
 * A datagram's payload is in m after the header room: resolve, write the
 * headers, pass the shim, queue. Data lane only (neighbour table, shim, TX
 * buffers are its own).
 */
static int tx_finish(struct rt_ep *ep, struct rte_mbuf *m, const struct tt_udp_meta *meta,
		     size_t len)
{
	struct tt_rt *rt = ep->rt;
	struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX];
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	struct tt_pkt_udp4_hdr h;
	const uint8_t *mac;
	struct rt_port *p;
	uint16_t pidx = 0;
	unsigned int n;
	size_t flen;
	int nidx;

	nidx = tt_neigh_find(ep->neigh, meta->dst_ip);
	mac = nidx >= 0 ? tt_neigh_resolve(ep->neigh, (uint32_t)nidx, &pidx) : NULL;
	if (mac == NULL) {
		ep->ports[0].ctr[TT_RT_PC_TX_NO_NEIGH]++;
		rte_pktmbuf_free(m);
		return -EHOSTUNREACH;
	}
	p = &ep->ports[pidx];
	memcpy(h.eth_dst, mac, TT_PKT_ETH_ADDR_LEN);
	memcpy(h.eth_src, p->mac, TT_PKT_ETH_ADDR_LEN);
	h.ip_src = meta->src_ip;
	h.ip_dst = meta->dst_ip;
	h.ttl = meta->ttl;
	h.tos = 0;
	/* DF set: an atomic datagram, whose ID carries no meaning (RFC 6864 §4.1). */
	h.ip_id = ep->ip_id++;
	h.dont_fragment = true;
	h.src_port = meta->src_port;
	h.dst_port = meta->dst_port;
	h.flags = p->offload ? TT_PKT_TX_IP_CSUM_OFFLOAD | TT_PKT_TX_UDP_CSUM_OFFLOAD : 0;
	flen = tt_pkt_udp4_finish(frame, rte_pktmbuf_tailroom(m), &h, len);
	if (flen == 0) {
		p->ctr[TT_RT_PC_TX_BUILD_FAILED]++;
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	m->data_len = (uint16_t)flen;
	m->pkt_len = (uint32_t)flen;
	if (p->offload) {
		m->ol_flags |=
			RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
		m->l2_len = TT_PKT_ETH_HDR_LEN;
		m->l3_len = TT_PKT_IP4_HDR_LEN;
	}
	m->port = pidx;
	n = tt_shim_tx(ep->shim, tx_flow(ep, nidx, meta), m, rt->now, out);
	for (unsigned int i = 0; i < n; i++)
		txq_add(rt, &ep->ports[out[i]->port], out[i], rt->now);
	return 0;
}

static int ep_tx_send(void *ctx, const struct tt_udp_meta *meta, uint8_t *buf, size_t len)
{
	struct rt_ep *ep = ctx;
	struct rte_mbuf *m = ep->pending;

	ep->pending = NULL;
	if (m == NULL)
		return -EINVAL;
	if (len == 0 || buf != tt_pkt_udp4_payload(rte_pktmbuf_mtod(m, uint8_t *))) {
		rte_pktmbuf_free(m);
		return len == 0 ? 0 : -EINVAL;
	}
	return tx_finish(ep, m, meta, len);
}

/*
 * SPLIT, HB lane. A heartbeat's mbuf crosses to the data lane through
 * hb_tx_ring with its addressing in the header room (overwritten by the
 * headers there) and its payload length in data_len: the neighbour table,
 * the shim and the TX queue stay the data lane's alone.
 */
struct hb_tx_note {
	struct tt_udp_meta meta;
	uint32_t len;
};

_Static_assert(sizeof(struct hb_tx_note) <= TT_PKT_UDP4_HDRS_LEN,
	       "a heartbeat's note fits the header room");

static uint8_t *ep_hb_tx_buf(void *ctx, size_t *cap)
{
	struct rt_ep *ep = ctx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(ep->pool);

	if (m == NULL) {
		ep->rt->hbl.lc[RT_LC_HB_RING_FULL]++;
		return NULL;
	}
	ep->hb_pending = m;
	*cap = rte_pktmbuf_tailroom(m) - TT_PKT_UDP4_HDRS_LEN;
	return tt_pkt_udp4_payload(rte_pktmbuf_mtod(m, uint8_t *));
}

static int ep_hb_tx_send(void *ctx, const struct tt_udp_meta *meta, uint8_t *buf, size_t len)
{
	struct rt_ep *ep = ctx;
	struct rte_mbuf *m = ep->hb_pending;
	struct hb_tx_note note = {.meta = *meta, .len = (uint32_t)len};
	uint8_t *frame;

	ep->hb_pending = NULL;
	if (m == NULL)
		return -EINVAL;
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	if (len == 0 || buf != tt_pkt_udp4_payload(frame)) {
		rte_pktmbuf_free(m);
		return len == 0 ? 0 : -EINVAL;
	}
	memcpy(frame, &note, sizeof(note));
	if (rte_ring_sp_enqueue(ep->hb_tx_ring, m) != 0) {
		rte_pktmbuf_free(m);
		ep->rt->hbl.lc[RT_LC_HB_RING_FULL]++;
		return -ENOBUFS;
	}
	ep->rt->hbl.lc[RT_LC_HB_TX]++;
	return 0;
}

/* SPLIT, data lane: send what the HB lane handed over. @return true if any. */
static bool ep_hb_tx_drain(struct rt_ep *ep)
{
	struct rte_mbuf *ms[RT_SHIM_POLL];
	unsigned int n, k = 0;

	do {
		n = rte_ring_sc_dequeue_burst(ep->hb_tx_ring, (void **)ms, RT_SHIM_POLL, NULL);
		for (unsigned int i = 0; i < n; i++) {
			struct hb_tx_note note;

			memcpy(&note, rte_pktmbuf_mtod(ms[i], uint8_t *), sizeof(note));
			tx_finish(ep, ms[i], &note.meta, note.len);
		}
		k += n;
	} while (n == RT_SHIM_POLL);
	return k > 0;
}

/* ---- RX ---------------------------------------------------------------- */

static void ep_mark_exited(struct rt_ep *ep)
{
	int code = 0;

	if (ep->exited || ep->role != TT_RT_ROLE_WORKER || !tt_worker_exited(ep->worker, &code))
		return;
	ep->exited = true;
	ep->exit_code = code;
	atomic_store_explicit(&ep->pub_exit_code, code, memory_order_relaxed);
	atomic_store_explicit(&ep->pub_exited, true, memory_order_release);
	RT_LOG(NOTICE, "lcore %u ep %u: worker %u exited after its fence (exit code %d)",
	       ep->rt->lcore_id, ep->idx, tt_worker_id(ep->worker), code);
}

/*
 * One received frame: ARP to the neighbour table; Ethernet/IPv4/UDP addressed
 * to us (our MAC on that port, our IPv4 address) to the endpoint; anything
 * else counted as foreign (IPv6 ND/MLD, other ethertypes, other hosts'
 * traffic, non-UDP IPv4) or malformed. SPLIT: a heartbeat goes to the HB
 * lane's dispatch ring (software steering) and is not the caller's any more.
 * @return true if the mbuf was handed on; else the caller frees it.
 */
static bool rx_one(struct rt_ep *ep, struct rt_port *p, uint16_t pidx, struct rte_mbuf *m,
		   tt_ns_t now)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t len = rte_pktmbuf_data_len(m);
	struct tt_udp_meta meta;
	struct tt_pkt_view v;
	enum tt_pkt_rx_reject r;
	int rc;

	p->ctr[TT_RT_PC_RX_PKTS]++;
	if (unlikely(m->nb_segs != 1)) {
		p->ctr[TT_RT_PC_RX_SEGMENTED]++;
		return false;
	}
	if (unlikely(ep->exited)) {
		p->ctr[TT_RT_PC_RX_EXITED]++;
		return false;
	}
	if (tt_pkt_ethertype(data, len) == TT_PKT_ETHERTYPE_ARP) {
		switch (tt_neigh_rx_arp(ep->neigh, pidx, data, len, now)) {
		case TT_NEIGH_RX_OURS:
			p->ctr[TT_RT_PC_RX_ARP]++;
			break;
		case TT_NEIGH_RX_NOT_OURS:
			p->ctr[TT_RT_PC_RX_FOREIGN]++;
			break;
		default:
			p->ctr[TT_RT_PC_RX_MALFORMED]++;
			break;
		}
		return false;
	}
	r = tt_pkt_parse_udp4(data, len, &v);
	p->parse[r]++;
	if (r == TT_PKT_RX_FOREIGN || r == TT_PKT_RX_NOT_UDP) {
		p->ctr[TT_RT_PC_RX_FOREIGN]++;
		return false;
	}
	if (r != TT_PKT_RX_OK) {
		p->ctr[TT_RT_PC_RX_MALFORMED]++;
		return false;
	}
	if (v.ip_dst != ep->my_ip || memcmp(v.eth_dst, p->mac, TT_PKT_ETH_ADDR_LEN) != 0) {
		p->ctr[TT_RT_PC_RX_FOREIGN]++;
		return false;
	}
	p->ctr[TT_RT_PC_RX_UDP]++;
	/* Software dispatch of heartbeats: the rule tt_flow_hb_match() applies. */
	if (v.dst_port == TT_FLOW_BFD_UDP_PORT) {
		p->ctr[TT_RT_PC_RX_HB]++;
		if (ep->rt->split) {
			if (rte_ring_sp_enqueue(ep->hb_rx_ring, m) == 0)
				return true;
			ep->rt->lc[RT_LC_HB_RING_FULL]++;
			p->ctr[TT_RT_PC_RX_ENGINE_DROP]++;
			return false;
		}
	}
	meta = meta_of(&v);
	if (ep->role == TT_RT_ROLE_MASTER) {
		rc = ep->rt->split
			     ? tt_master_rx_dc(ep->master, &meta, v.payload, v.payload_len, now)
			     : tt_master_rx(ep->master, &meta, v.payload, v.payload_len, now);
	} else {
		rc = ep->rt->split
			     ? tt_worker_rx_dc(ep->worker, &meta, v.payload, v.payload_len, now)
			     : tt_worker_rx(ep->worker, &meta, v.payload, v.payload_len, now);
		if (rc == TT_WORKER_EXITED)
			ep_mark_exited(ep);
	}
	if (rc < 0)
		p->ctr[TT_RT_PC_RX_ENGINE_DROP]++;
	return false;
}

static bool rx_queue(struct rt_ep *ep, uint16_t pidx, uint16_t queue, tt_ns_t now)
{
	struct rt_port *p = &ep->ports[pidx];
	struct rte_mbuf *pkts[RT_MAX_BURST];
	uint16_t n = rte_eth_rx_burst(p->port_id, queue, pkts, ep->rt->burst);

	if (n == 0)
		return false;
	for (uint16_t i = 0; i < n; i++)
		if (rx_one(ep, p, pidx, pkts[i], now))
			pkts[i] = NULL;
	rte_pktmbuf_free_bulk(pkts, n);
	return true;
}

/* ---- the loop ---------------------------------------------------------- */

/* The data lane's deadline: the endpoint's, or with SPLIT its DC plane's. */
static bool ep_next_deadline(const struct rt_ep *ep, tt_ns_t *d)
{
	if (ep->exited)
		return false;
	if (ep->rt->split)
		return ep->role == TT_RT_ROLE_MASTER ? tt_master_next_deadline_dc(ep->master, d)
						     : tt_worker_next_deadline_dc(ep->worker, d);
	if (ep->role == TT_RT_ROLE_MASTER)
		return tt_master_next_deadline(ep->master, d);
	return tt_worker_next_deadline(ep->worker, d);
}

static unsigned int late_bucket(tt_ns_t late_ns)
{
	uint64_t us = late_ns / TT_NS_PER_US;
	unsigned int b;

	if (us == 0)
		return 0;
	b = 64u - (unsigned int)__builtin_clzll(us);
	return b < TT_RT_LATE_BUCKETS ? b : TT_RT_LATE_BUCKETS - 1;
}

/* A reached deadline @p d: its lateness into a lane's counters, once per deadline. */
static void record_late(struct late_mark *mk, uint64_t *lc, uint64_t *hist, tt_ns_t d, tt_ns_t now)
{
	tt_ns_t late = now - d;

	if (mk->armed && mk->seen == d)
		return;
	mk->armed = true;
	mk->seen = d;
	hist[late_bucket(late)]++;
	lc[RT_LC_DEADLINES]++;
	if (late > lc[RT_LC_LATE_MAX])
		lc[RT_LC_LATE_MAX] = late;
}

/*
 * Run the endpoint's timers. poll() runs every pass (it returns at once when
 * nothing is due); the lateness of each distinct deadline is recorded once,
 * on the pass that first sees it reached.
 * @return true if a deadline was reached (the pass did timer work).
 */
static bool ep_poll(struct rt_ep *ep, tt_ns_t now)
{
	struct tt_rt *rt = ep->rt;
	bool due = false;
	tt_ns_t d;
	int rc;

	if (ep->exited)
		return false;
	if (ep_next_deadline(ep, &d) && tt_time_reached(now, d)) {
		due = true;
		record_late(&ep->late, rt->lc, rt->hist, d, now);
	}
	if (ep->role == TT_RT_ROLE_MASTER) {
		rc = rt->split ? tt_master_poll_dc(ep->master, now)
			       : tt_master_poll(ep->master, now);
		return due || rc > 0;
	}
	rc = rt->split ? tt_worker_poll_dc(ep->worker, now) : tt_worker_poll(ep->worker, now);
	if (rc == TT_WORKER_EXITED)
		ep_mark_exited(ep);
	return due || (rt->split && rc > 0);
}

static bool ep_shim_release(struct rt_ep *ep, tt_ns_t now)
{
	struct rte_mbuf *out[RT_SHIM_POLL];
	uint16_t n;
	bool any = false;

	do {
		n = tt_shim_poll(ep->shim, now, out, RT_SHIM_POLL);
		for (uint16_t i = 0; i < n; i++)
			txq_add(ep->rt, &ep->ports[out[i]->port], out[i], now);
		any |= n > 0;
	} while (n == RT_SHIM_POLL);
	return any;
}

/* One pass over every endpoint: RX, timers, ARP, shim, TX drain. */
static bool rt_pass(struct tt_rt *rt, tt_ns_t now)
{
	bool busy = false;

	for (uint32_t e = 0; e < rt->n_eps; e++) {
		struct rt_ep *ep = &rt->eps[e];

		for (uint16_t i = 0; i < ep->n_ports; i++) {
			struct rt_port *p = &ep->ports[i];

			/* A heartbeat queue of its own goes first: heartbeats do
			 * not wait behind a burst of data (SPLIT: the HB lane's). */
			if (p->hb_queue_active && !rt->split)
				busy |= rx_queue(ep, i, p->hb_queue, now);
			busy |= rx_queue(ep, i, p->queue, now);
		}
		busy |= ep_poll(ep, now);
		if (rt->split)
			busy |= ep_hb_tx_drain(ep);
		busy |= tt_neigh_poll(ep->neigh, now) > 0;
		busy |= ep_shim_release(ep, now);
		for (uint16_t i = 0; i < ep->n_ports; i++) {
			struct rt_port *p = &ep->ports[i];

			if (p->tx_n != 0 && tt_time_reached(now, p->tx_first_ns + rt->drain_ns))
				busy |= txq_flush(p) > 0;
		}
	}
	return busy;
}

static void rt_flush_all(struct tt_rt *rt)
{
	for (uint32_t e = 0; e < rt->n_eps; e++)
		for (uint16_t i = 0; i < rt->eps[e].n_ports; i++)
			txq_flush(&rt->eps[e].ports[i]);
}

/* Publish the lcore-owned counters for the getters (relaxed: each value is whole). */
static void rt_fold(struct tt_rt *rt)
{
	for (uint32_t e = 0; e < rt->n_eps; e++) {
		for (uint16_t i = 0; i < rt->eps[e].n_ports; i++) {
			struct rt_port *p = &rt->eps[e].ports[i];

			for (unsigned int c = 0; c < TT_RT_PC_MAX; c++)
				atomic_store_explicit(&p->pub_ctr[c], p->ctr[c],
						      memory_order_relaxed);
			for (unsigned int c = 0; c < TT_PKT_RX_REJECT_MAX; c++)
				atomic_store_explicit(&p->pub_parse[c], p->parse[c],
						      memory_order_relaxed);
		}
	}
	for (unsigned int c = 0; c < RT_LC_MAX; c++)
		atomic_store_explicit(&rt->pub_lc[c], rt->lc[c], memory_order_relaxed);
	for (unsigned int b = 0; b < TT_RT_LATE_BUCKETS; b++)
		atomic_store_explicit(&rt->pub_hist[b], rt->hist[b], memory_order_relaxed);
}

static struct tt_fence_tl *ep_timeline(struct rt_ep *ep)
{
	return ep->role == TT_RT_ROLE_MASTER ? tt_master_timeline(ep->master)
					     : tt_worker_timeline(ep->worker);
}

/* The DC plane's timeline (the same one unless SPLIT). */
static struct tt_fence_tl *ep_timeline_dc(struct rt_ep *ep)
{
	return ep->role == TT_RT_ROLE_MASTER ? tt_master_timeline_dc(ep->master)
					     : tt_worker_timeline_dc(ep->worker);
}

static void ep_view(struct rt_ep *ep, struct tt_rt_ep_view *v)
{
	v->role = ep->role;
	v->master = ep->master;
	v->worker = ep->worker;
	v->neigh = ep->neigh;
	v->shim = ep->shim;
}

static void fill_snapshot(struct rt_ep *ep, struct tt_rt_ep_snapshot *s)
{
	struct tt_fence_tl *tl = ep_timeline(ep), *tld = ep_timeline_dc(ep);

	memset(s, 0, sizeof(*s));
	s->role = ep->role;
	s->exited = ep->exited;
	s->exit_code = ep->exit_code;
	if (ep->role == TT_RT_ROLE_MASTER) {
		tt_master_counters_sum(ep->master, &s->master);
		s->n_peers = ep->n_peers;
	} else {
		tt_worker_counters_sum(ep->worker, &s->worker);
		s->worker_state = tt_worker_state(ep->worker);
		s->worker_epoch = tt_worker_epoch(ep->worker);
		s->hb_state = tt_hb_state(tt_worker_hb(ep->worker));
	}
	memcpy(s->neigh, tt_neigh_counters(ep->neigh), sizeof(s->neigh));
	s->tl_events = tt_fence_tl_count(tl);
	s->tl_dropped = tt_fence_tl_dropped(tl);
	if (tld != tl) {
		s->tl_events += tt_fence_tl_count(tld);
		s->tl_dropped += tt_fence_tl_dropped(tld);
	}
}

static int cmd_tl_read(struct rt_ep *ep, struct tt_rt_cmd *c)
{
	struct tt_fence_tl *tl = c->tl_dc ? ep_timeline_dc(ep) : ep_timeline(ep);
	uint32_t n, k = 0;

	if (c->tl_drain) {
		c->count = tt_fence_tl_drain(tl, c->events, c->events_cap);
		return 0;
	}
	n = tt_fence_tl_count(tl);
	for (uint32_t i = c->tl_from; i < n && k < c->events_cap; i++)
		c->events[k++] = *tt_fence_tl_at(tl, i);
	c->count = k;
	return 0;
}

/*
 * Run one command on the thread that owns the endpoints (the polling lcore,
 * or the control thread while the loop does not run), then publish its
 * completion. cmd_check() has validated it.
 */
static void run_cmd(struct tt_rt *rt, uint64_t *lc, struct tt_rt_cmd *c, tt_ns_t now)
{
	struct rt_ep *ep = &rt->eps[c->ep];
	bool master = ep->role == TT_RT_ROLE_MASTER;
	struct tt_rt_ep_view view;
	int rc = 0;

	c->count = 0;
	switch (c->type) {
	case TT_RT_CMD_CUT:
		rc = master ? tt_master_cut(ep->master, c->worker_id, c->chan, now)
			    : tt_worker_cut(ep->worker, c->chan, now);
		break;
	case TT_RT_CMD_RESTORE:
		rc = master ? tt_master_restore(ep->master, c->worker_id, c->chan, now)
			    : tt_worker_restore(ep->worker, c->chan, now);
		break;
	case TT_RT_CMD_SET_HB_TIMERS:
		rc = master ? tt_master_set_hb_timers(ep->master, c->worker_id, &c->timers, now,
						      c->err, sizeof(c->err))
			    : tt_worker_set_hb_timers(ep->worker, &c->timers, now, c->err,
						      sizeof(c->err));
		break;
	case TT_RT_CMD_SUBMIT:
		rc = tt_master_submit(ep->master, c->handler, c->payload, c->payload_len, now,
				      &c->task_id);
		break;
	case TT_RT_CMD_CANCEL:
		rc = tt_master_cancel(ep->master, c->task_id, now);
		break;
	case TT_RT_CMD_RELEASE:
		rc = tt_master_release(ep->master, c->task_id);
		break;
	case TT_RT_CMD_SHIM_SET:
		rc = tt_shim_set(ep->shim, c->flow, &c->fault);
		break;
	case TT_RT_CMD_SNAPSHOT:
		fill_snapshot(ep, c->snap);
		break;
	case TT_RT_CMD_PEER:
		rc = tt_master_peer(ep->master, c->worker_id, c->peer);
		break;
	case TT_RT_CMD_TL_READ:
		rc = cmd_tl_read(ep, c);
		break;
	case TT_RT_CMD_CALL:
		ep_view(ep, &view);
		rc = c->fn(&view, now, c->arg);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	/* A command (a CALL, a cut) may have made a worker fence and exit
	 * (SPLIT: the data lane sees it when its DC plane has fenced). */
	if (!master && !rt->split)
		ep_mark_exited(ep);
	c->rc = rc;
	c->done_ns = now;
	lc[RT_LC_CMDS]++;
	atomic_store_explicit(&c->done_, 1, memory_order_release);
}

static void lane_mailbox(struct tt_rt *rt, struct rte_ring *ring, uint64_t *lc, tt_ns_t now)
{
	void *cmds[RT_CMD_BURST];
	unsigned int n;

	do {
		n = rte_ring_sc_dequeue_burst(ring, cmds, RT_CMD_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			run_cmd(rt, lc, cmds[i], now);
	} while (n == RT_CMD_BURST);
}

static void rt_mailbox(struct tt_rt *rt, tt_ns_t now)
{
	lane_mailbox(rt, rt->cmd_ring, rt->lc, now);
}

/* Link watch callback (runs inside tt_link_watch_poll(), on the polling lcore). */
static void rt_link_event(uint16_t port_id, bool up, void *arg)
{
	struct tt_rt *rt = arg;

	RT_LOG(NOTICE, "lcore %u: port %u link %s", rt->lcore_id, port_id, up ? "up" : "down");
	if (up)
		return;
	for (uint32_t e = 0; e < rt->n_eps; e++) {
		struct rt_ep *ep = &rt->eps[e];

		for (uint16_t i = 0; i < ep->n_ports; i++) {
			if (ep->ports[i].port_id != port_id || ep->exited)
				continue;
			/* Every channel of the endpoint goes DOWN (LINK_DOWN), which
			 * silences its heartbeats (DESIGN.md §2). */
			if (ep->role == TT_RT_ROLE_MASTER)
				tt_master_link_down(ep->master, rt->now);
			else
				tt_worker_link_down(ep->worker, rt->now);
			rt->lc[RT_LC_LINK_DOWNS]++;
			break;
		}
	}
}

/* Every housekeeping_passes passes. @return true when asked to quit. */
static bool rt_housekeeping(struct tt_rt *rt, tt_ns_t now)
{
	rt_mailbox(rt, now);
	tt_link_watch_poll(rt->link);
	rt_fold(rt);
	return atomic_load_explicit(&rt->quit, memory_order_acquire);
}

/*
 * BACKOFF: sleep until the earliest thing that can need the lcore (an
 * endpoint deadline, an ARP retry, a shim release), at most sleep_max_ns.
 * TX buffers are flushed first so that nothing waits out the sleep in them.
 * The thread is QSBR-offline while it sleeps, so grace periods do not wait
 * for it. @return true if it slept.
 */
static bool rt_sleep(struct tt_rt *rt, tt_ns_t now)
{
	tt_ns_t wake = now + rt->sleep_max_ns, d;

	rt_flush_all(rt);
	for (uint32_t e = 0; e < rt->n_eps; e++) {
		struct rt_ep *ep = &rt->eps[e];

		/* SPLIT: heartbeats handed over by the HB lane go out first. */
		if (rt->split && rte_ring_count(ep->hb_tx_ring) > 0)
			return false;
		if (ep_next_deadline(ep, &d))
			wake = tt_time_min(wake, d);
		if (tt_neigh_next_deadline(ep->neigh, &d))
			wake = tt_time_min(wake, d);
		if (tt_shim_next_deadline(ep->shim, &d))
			wake = tt_time_min(wake, d);
	}
	if (tt_time_diff(wake, now) < (int64_t)RT_MIN_SLEEP_NS)
		return false;
	tt_ctab_thread_offline();
	rte_delay_us_sleep((unsigned int)((wake - now) / TT_NS_PER_US));
	urcu_qsbr_thread_online();
	rt->lc[RT_LC_SLEEPS]++;
	rt->lc[RT_LC_SLEEP_NS] += wake - now;
	return true;
}

/* A lane's loop returned: the last one marks the runtime stopped. */
static void lane_done(struct tt_rt *rt)
{
	if (atomic_fetch_sub_explicit(&rt->lanes_run, 1, memory_order_acq_rel) == 1)
		atomic_store_explicit(&rt->state, TT_RT_S_STOPPED, memory_order_release);
}

/*
 * The lcore's main function (STYLE.md "The lcore loop"). Runs until the quit
 * flag; then flushes TX, runs the commands left in the mailbox, publishes the
 * counters, and leaves QSBR.
 */
static int rt_loop(void *arg)
{
	struct tt_rt *rt = arg;
	void *clk = (void *)(uintptr_t)rt->clock;
	uint32_t hk = 0, idle = 0;
	bool busy = false, slept = false;
	tt_ns_t prev, now;

	urcu_qsbr_register_thread();
	RT_LOG(INFO, "lcore %u: loop starts, %u endpoints, %s, %s", rt->lcore_id, rt->n_eps,
	       tt_rt_layout_name(rt->layout), tt_rt_poll_mode_name(rt->poll_mode));
	prev = tt_tsc_now(clk);
	for (;;) {
		now = tt_tsc_now(clk);
		/* The previous pass lasted until now. */
		rt->lc[RT_LC_TOTAL_NS] += now - prev;
		if (busy)
			rt->lc[RT_LC_BUSY_NS] += now - prev;
		/* A sleeping pass is not a stall. */
		if (now - prev > rt->lc[RT_LC_PASS_MAX] && !slept)
			rt->lc[RT_LC_PASS_MAX] = now - prev;
		slept = false;
		prev = now;
		rt->now = now;
		rt->lc[RT_LC_PASSES]++;
		busy = rt_pass(rt, now);
		tt_ctab_quiescent_state();
		if (busy) {
			rt->lc[RT_LC_BUSY_PASSES]++;
			idle = 0;
		} else {
			idle++;
		}
		if (++hk >= rt->hk_passes) {
			hk = 0;
			if (rt_housekeeping(rt, now))
				break;
		}
		if (rt->poll_mode == TT_RT_POLL_BACKOFF && idle >= rt->idle_passes &&
		    rt_sleep(rt, now)) {
			slept = true;
			/* After a sleep the mailbox and the quit flag are looked at
			 * at once: a sleeping lcore would otherwise take N sleeps. */
			hk = 0;
			if (rt_housekeeping(rt, now))
				break;
		}
	}
	rt->now = tt_tsc_now(clk);
	for (uint32_t e = 0; rt->split && e < rt->n_eps; e++)
		ep_hb_tx_drain(&rt->eps[e]);
	rt_flush_all(rt);
	rt_mailbox(rt, rt->now);
	rt_fold(rt);
	tt_ctab_thread_offline();
	urcu_qsbr_unregister_thread();
	RT_LOG(INFO, "lcore %u: loop stops after %" PRIu64 " passes", rt->lcore_id,
	       rt->lc[RT_LC_PASSES]);
	lane_done(rt);
	return 0;
}

/* ---- the heartbeat lane (SPLIT) ------------------------------------------ */

/*
 * A received heartbeat frame on the HB lane (from the dispatch ring, or the
 * port's heartbeat queue under rte_flow steering): the same checks as the
 * data lane's rx_one(), then the HB plane's rx. The caller frees the mbuf.
 */
static void hb_rx_frame(struct rt_ep *ep, struct rte_mbuf *m, tt_ns_t now)
{
	struct rt_lane *l = &ep->rt->hbl;
	struct tt_pkt_view v;
	struct tt_udp_meta meta;
	int rc;

	if (m->nb_segs != 1 ||
	    tt_pkt_parse_udp4(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &v) !=
		    TT_PKT_RX_OK ||
	    v.ip_dst != ep->my_ip || v.dst_port != TT_FLOW_BFD_UDP_PORT) {
		l->lc[RT_LC_HB_DROP]++;
		return;
	}
	meta = meta_of(&v);
	l->lc[RT_LC_HB_RX]++;
	if (ep->role == TT_RT_ROLE_MASTER)
		rc = tt_master_rx_hb(ep->master, &meta, v.payload, v.payload_len, now);
	else
		rc = tt_worker_rx_hb(ep->worker, &meta, v.payload, v.payload_len, now);
	if (rc < 0)
		l->lc[RT_LC_HB_DROP]++;
}

static bool hb_ep_exited(const struct rt_ep *ep)
{
	return ep->role == TT_RT_ROLE_WORKER && tt_worker_exited(ep->worker, NULL);
}

static bool hb_next_deadline(const struct rt_ep *ep, tt_ns_t *d)
{
	if (hb_ep_exited(ep))
		return false;
	return ep->role == TT_RT_ROLE_MASTER ? tt_master_next_deadline_hb(ep->master, d)
					     : tt_worker_next_deadline_hb(ep->worker, d);
}

/* One HB lane pass over an endpoint: heartbeats in, HB plane polled. */
static bool hb_ep_pass(struct rt_ep *ep, tt_ns_t now)
{
	struct rt_lane *l = &ep->rt->hbl;
	struct rte_mbuf *ms[RT_MAX_BURST];
	bool busy = false;
	unsigned int n;
	tt_ns_t d;

	do {
		n = rte_ring_sc_dequeue_burst(ep->hb_rx_ring, (void **)ms, ep->rt->burst, NULL);
		for (unsigned int i = 0; i < n; i++)
			if (!hb_ep_exited(ep))
				hb_rx_frame(ep, ms[i], now);
		rte_pktmbuf_free_bulk(ms, n);
		busy |= n > 0;
	} while (n == ep->rt->burst);
	for (uint16_t i = 0; i < ep->n_ports; i++) {
		struct rt_port *p = &ep->ports[i];

		if (!p->hb_queue_active)
			continue;
		n = rte_eth_rx_burst(p->port_id, p->hb_queue, ms, ep->rt->burst);
		for (unsigned int k = 0; k < n; k++)
			if (!hb_ep_exited(ep))
				hb_rx_frame(ep, ms[k], now);
		rte_pktmbuf_free_bulk(ms, n);
		busy |= n > 0;
	}
	if (hb_ep_exited(ep))
		return busy;
	/* Lateness of the HB plane's deadlines, recorded once each. */
	if (hb_next_deadline(ep, &d) && tt_time_reached(now, d)) {
		busy = true;
		record_late(&ep->late_hb, l->lc, l->hist, d, now);
	}
	if (ep->role == TT_RT_ROLE_MASTER)
		busy |= tt_master_poll_hb(ep->master, now) > 0;
	else
		tt_worker_poll_hb(ep->worker, now);
	return busy;
}

static void hb_fold(struct tt_rt *rt)
{
	struct rt_lane *l = &rt->hbl;

	for (unsigned int c = 0; c < RT_LC_MAX; c++)
		atomic_store_explicit(&l->pub_lc[c], l->lc[c], memory_order_relaxed);
	for (unsigned int b = 0; b < TT_RT_LATE_BUCKETS; b++)
		atomic_store_explicit(&l->pub_hist[b], l->hist[b], memory_order_relaxed);
}

/* BACKOFF on the HB lane: sleep until the next HB deadline, at most sleep_max_ns. */
static bool hb_sleep(struct tt_rt *rt, tt_ns_t now)
{
	tt_ns_t wake = now + rt->sleep_max_ns, d;

	for (uint32_t e = 0; e < rt->n_eps; e++) {
		if (rte_ring_count(rt->eps[e].hb_rx_ring) > 0)
			return false;
		if (hb_next_deadline(&rt->eps[e], &d))
			wake = tt_time_min(wake, d);
	}
	if (tt_time_diff(wake, now) < (int64_t)RT_MIN_SLEEP_NS)
		return false;
	tt_ctab_thread_offline();
	rte_delay_us_sleep((unsigned int)((wake - now) / TT_NS_PER_US));
	urcu_qsbr_thread_online();
	rt->hbl.lc[RT_LC_SLEEPS]++;
	rt->hbl.lc[RT_LC_SLEEP_NS] += wake - now;
	return true;
}

/*
 * The heartbeat lane's main function (SPLIT): the loop shape of rt_loop()
 * for the HB planes of every endpoint. It owns the HB planes, the HB
 * dispatch rings' consumer side, the heartbeat queues under rte_flow
 * steering and its own mailbox; it transmits through the data lane.
 */
static int rt_hb_loop(void *arg)
{
	struct tt_rt *rt = arg;
	struct rt_lane *l = &rt->hbl;
	void *clk = (void *)(uintptr_t)rt->clock;
	uint32_t hk = 0, idle = 0;
	bool busy = false, slept = false;
	tt_ns_t prev, now;

	urcu_qsbr_register_thread();
	RT_LOG(INFO, "lcore %u: heartbeat lane starts, %u endpoints, %s", l->lcore_id, rt->n_eps,
	       tt_rt_poll_mode_name(rt->poll_mode));
	prev = tt_tsc_now(clk);
	for (;;) {
		now = tt_tsc_now(clk);
		l->lc[RT_LC_TOTAL_NS] += now - prev;
		if (busy)
			l->lc[RT_LC_BUSY_NS] += now - prev;
		if (now - prev > l->lc[RT_LC_PASS_MAX] && !slept)
			l->lc[RT_LC_PASS_MAX] = now - prev;
		slept = false;
		prev = now;
		l->now = now;
		l->lc[RT_LC_PASSES]++;
		busy = false;
		for (uint32_t e = 0; e < rt->n_eps; e++)
			busy |= hb_ep_pass(&rt->eps[e], now);
		tt_ctab_quiescent_state();
		if (busy) {
			l->lc[RT_LC_BUSY_PASSES]++;
			idle = 0;
		} else {
			idle++;
		}
		if (++hk >= rt->hk_passes) {
			hk = 0;
			lane_mailbox(rt, l->cmd_ring, l->lc, now);
			hb_fold(rt);
			if (atomic_load_explicit(&rt->quit, memory_order_acquire))
				break;
		}
		if (rt->poll_mode == TT_RT_POLL_BACKOFF && idle >= rt->idle_passes &&
		    hb_sleep(rt, now)) {
			slept = true;
			hk = 0;
			lane_mailbox(rt, l->cmd_ring, l->lc, now);
			hb_fold(rt);
			if (atomic_load_explicit(&rt->quit, memory_order_acquire))
				break;
		}
	}
	lane_mailbox(rt, l->cmd_ring, l->lc, tt_tsc_now(clk));
	hb_fold(rt);
	tt_ctab_thread_offline();
	urcu_qsbr_unregister_thread();
	RT_LOG(INFO, "lcore %u: heartbeat lane stops after %" PRIu64 " passes", l->lcore_id,
	       l->lc[RT_LC_PASSES]);
	lane_done(rt);
	return 0;
}

/* ---- control ----------------------------------------------------------- */

static bool is_pow2(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static int check_port(const struct tt_rt_config *cfg, uint32_t e, uint16_t i, char *err,
		      size_t err_len)
{
	const struct tt_rt_port_config *pc = &cfg->eps[e].ports[i];
	const struct tt_port *p = pc->port;

	if (p == NULL || !p->started) {
		snprintf(err, err_len, "ep %u port %u: %s", e, i,
			 p == NULL ? "port is NULL" : "port not started (tt_port_start first)");
		return -EINVAL;
	}
	if (pc->queue >= p->nb_rxq || pc->queue >= p->nb_txq) {
		snprintf(err, err_len,
			 "ep %u port %u (ethdev %u): queue %u, port has %u RX / %u TX", e, i,
			 p->port_id, pc->queue, p->nb_rxq, p->nb_txq);
		return -EINVAL;
	}
	if (pc->mac[0] & 1) {
		snprintf(err, err_len,
			 "ep %u port %u: mac %02x:%02x:%02x:%02x:%02x:%02x is multicast", e, i,
			 pc->mac[0], pc->mac[1], pc->mac[2], pc->mac[3], pc->mac[4], pc->mac[5]);
		return -EINVAL;
	}
	if (pc->try_hb_steer && pc->hb_queue >= p->nb_rxq) {
		snprintf(err, err_len, "ep %u port %u (ethdev %u): hb_queue %u, port has %u RX", e,
			 i, p->port_id, pc->hb_queue, p->nb_rxq);
		return -EINVAL;
	}
	/* One owner per queue: the rings and the PMD queues are single-consumer. */
	for (uint32_t e2 = 0; e2 <= e; e2++) {
		uint16_t n = e2 == e ? i : cfg->eps[e2].n_ports;

		for (uint16_t j = 0; j < n; j++) {
			const struct tt_rt_port_config *o = &cfg->eps[e2].ports[j];

			if (o->port != NULL && o->port->port_id == p->port_id &&
			    o->queue == pc->queue) {
				snprintf(err, err_len,
					 "ep %u port %u: ethdev %u queue %u already used by ep %u "
					 "port %u",
					 e, i, p->port_id, pc->queue, e2, j);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int check_config(const struct tt_rt_config *cfg, char *err, size_t err_len)
{
	if (cfg->layout >= TT_RT_LAYOUT_MAX || cfg->poll_mode >= TT_RT_POLL_MAX) {
		snprintf(err, err_len, "layout %d / poll mode %d out of range", (int)cfg->layout,
			 (int)cfg->poll_mode);
		return -EINVAL;
	}
	if (cfg->lcore_id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(cfg->lcore_id) ||
	    cfg->lcore_id == rte_get_main_lcore()) {
		snprintf(err, err_len, "lcore %u: not an enabled worker lcore (main lcore is %u)",
			 cfg->lcore_id, rte_get_main_lcore());
		return -EINVAL;
	}
	if (cfg->layout == TT_RT_LAYOUT_SPLIT &&
	    (cfg->hb_lcore_id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(cfg->hb_lcore_id) ||
	     cfg->hb_lcore_id == rte_get_main_lcore() || cfg->hb_lcore_id == cfg->lcore_id)) {
		snprintf(err, err_len,
			 "layout split: hb_lcore_id %u must be an enabled worker lcore other than "
			 "the data lcore %u (main lcore is %u)",
			 cfg->hb_lcore_id, cfg->lcore_id, rte_get_main_lcore());
		return -EINVAL;
	}
	if (cfg->burst > RT_MAX_BURST) {
		snprintf(err, err_len, "burst %u, allowed 1..%u (0: %u)", cfg->burst, RT_MAX_BURST,
			 TT_RT_DEFAULT_BURST);
		return -EINVAL;
	}
	if (cfg->cmd_ring_size != 0 && !is_pow2(cfg->cmd_ring_size)) {
		snprintf(err, err_len, "cmd_ring_size %u is not a power of two",
			 cfg->cmd_ring_size);
		return -EINVAL;
	}
	if (cfg->n_eps == 0 || cfg->n_eps > TT_RT_MAX_EPS || cfg->eps == NULL) {
		snprintf(err, err_len, "n_eps %u, allowed 1..%u with eps set", cfg->n_eps,
			 TT_RT_MAX_EPS);
		return -EINVAL;
	}
	for (uint32_t e = 0; e < cfg->n_eps; e++) {
		const struct tt_rt_ep_config *ec = &cfg->eps[e];
		uint32_t flows;
		int rc;

		if (ec->role >= TT_RT_ROLE_MAX) {
			snprintf(err, err_len, "ep %u: role %d out of range", e, (int)ec->role);
			return -EINVAL;
		}
		if (ec->n_ports == 0 || ec->n_ports > TT_RT_MAX_PORTS) {
			snprintf(err, err_len, "ep %u: n_ports %u, allowed 1..%u", e, ec->n_ports,
				 TT_RT_MAX_PORTS);
			return -EINVAL;
		}
		for (uint16_t i = 0; i < ec->n_ports; i++) {
			rc = check_port(cfg, e, i, err, err_len);
			if (rc != 0)
				return rc;
		}
		if (ec->n_static > 0 && ec->statics == NULL) {
			snprintf(err, err_len, "ep %u: n_static %u with statics NULL", e,
				 ec->n_static);
			return -EINVAL;
		}
		if (ec->role == TT_RT_ROLE_MASTER) {
			if (ec->master.n_workers == 0 || ec->master.workers == NULL) {
				snprintf(err, err_len, "ep %u (master): no workers", e);
				return -EINVAL;
			}
			flows = ec->master.n_workers * (1u + ec->master.n_chan);
			if (ec->master.n_workers > 65535 || flows >= RT_FLOW_NONE) {
				snprintf(err, err_len,
					 "ep %u (master): %u workers x (1 + %u channels) = %u shim "
					 "flows, at most %u",
					 e, ec->master.n_workers, ec->master.n_chan, flows,
					 RT_FLOW_NONE - 1);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int ep_neigh_create(struct rt_ep *ep, const struct tt_rt_ep_config *ec, tt_ns_t now,
			   char *err, size_t err_len)
{
	struct tt_neigh_config nc = {0};
	struct tt_neigh_entry_config *ents;
	uint32_t n = 0;
	uint32_t peers = ec->role == TT_RT_ROLE_MASTER ? ec->master.n_workers : 1;

	ents = calloc(peers + ec->n_static, sizeof(*ents));
	if (ents == NULL)
		return -ENOMEM;
	/* The peers first, in configuration order: entry p is workers[p]. */
	for (uint32_t p = 0; p < peers; p++) {
		ents[n].ip = ec->role == TT_RT_ROLE_MASTER ? ec->master.workers[p].ip
							   : ec->worker.master_ip;
		ents[n].port_idx = TT_NEIGH_PORT_ANY;
		n++;
	}
	/* A static entry for a peer pins that peer; others are added. */
	for (uint32_t s = 0; s < ec->n_static; s++) {
		const struct tt_rt_neigh_static *st = &ec->statics[s];
		uint32_t k;

		for (k = 0; k < n && ents[k].ip != st->ip; k++)
			;
		if (k == n)
			n++;
		ents[k].ip = st->ip;
		ents[k].is_static = true;
		memcpy(ents[k].mac, st->mac, TT_PKT_ETH_ADDR_LEN);
		ents[k].port_idx = st->port_idx;
	}
	nc.my_ip = ep->my_ip;
	nc.n_ports = ep->n_ports;
	for (uint16_t i = 0; i < ep->n_ports; i++)
		memcpy(nc.port_mac[i], ep->ports[i].mac, TT_PKT_ETH_ADDR_LEN);
	nc.n_entries = n;
	nc.entries = ents;
	nc.retry_ns = ec->arp_retry_ns;
	nc.max_tries = ec->arp_max_tries;
	nc.failed_retry_ns = ec->arp_failed_retry_ns;
	nc.tx = neigh_tx;
	nc.tx_ctx = ep;
	ep->neigh = tt_neigh_create(&nc, now, err, err_len);
	free(ents);
	return ep->neigh != NULL ? 0 : -errno;
}

/* The MAC an endpoint uses on a port (tt_rt_port_config documents the choice). */
static void pick_mac(uint8_t mac[TT_PKT_ETH_ADDR_LEN], const struct tt_rt_port_config *pc)
{
	static const uint8_t zero[TT_PKT_ETH_ADDR_LEN];
	uint16_t id = pc->port->port_id;

	if (memcmp(pc->mac, zero, TT_PKT_ETH_ADDR_LEN) != 0) {
		memcpy(mac, pc->mac, TT_PKT_ETH_ADDR_LEN);
	} else if (memcmp(pc->port->mac.addr_bytes, zero, TT_PKT_ETH_ADDR_LEN) != 0) {
		memcpy(mac, pc->port->mac.addr_bytes, TT_PKT_ETH_ADDR_LEN);
	} else {
		/* Locally administered, unicast (IEEE 802 bit 1 set, bit 0 clear). */
		const uint8_t gen[TT_PKT_ETH_ADDR_LEN] = {
			0x02, 0x74, 0x74, 0x00, (uint8_t)(id >> 8), (uint8_t)id};

		memcpy(mac, gen, TT_PKT_ETH_ADDR_LEN);
	}
}

static int ep_create(struct tt_rt *rt, uint32_t e, const struct tt_rt_ep_config *ec, char *err,
		     size_t err_len)
{
	struct rt_ep *ep = &rt->eps[e];
	int socket = (int)rte_lcore_to_socket_id(rt->lcore_id);
	struct tt_io_ops io = {.tx_buf = ep_tx_buf, .tx_send = ep_tx_send, .ctx = ep};
	struct tt_io_ops io_hb = {.tx_buf = ep_hb_tx_buf, .tx_send = ep_hb_tx_send, .ctx = ep};
	struct tt_shim_conf sc = {0};
	char eerr[256] = "";
	tt_ns_t now = tt_tsc_now((void *)(uintptr_t)rt->clock);
	int rc;

	ep->rt = rt;
	ep->idx = e;
	ep->role = ec->role;
	ep->n_ports = ec->n_ports;
	ep->ports = rte_zmalloc_socket("tt_rt_ports", ec->n_ports * sizeof(*ep->ports),
				       RTE_CACHE_LINE_SIZE, socket);
	if (ep->ports == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < ec->n_ports; i++) {
		const struct tt_rt_port_config *pc = &ec->ports[i];
		struct rt_port *p = &ep->ports[i];

		p->port = pc->port;
		p->port_id = pc->port->port_id;
		p->queue = pc->queue;
		p->offload = pc->port->tx_ipv4_cksum && pc->port->tx_udp_cksum;
		pick_mac(p->mac, pc);
		if (pc->try_hb_steer) {
			tt_flow_hb_steer(&p->steer, p->port_id, pc->hb_queue);
			p->hb_queue = pc->hb_queue;
			p->hb_queue_active =
				p->steer.mode == TT_FLOW_MODE_RTE_FLOW && pc->hb_queue != pc->queue;
		} else {
			p->steer.port_id = p->port_id;
			p->steer.queue = pc->queue;
			p->steer.mode = TT_FLOW_MODE_SOFTWARE;
			snprintf(p->steer.reason, sizeof(p->steer.reason),
				 "steering not requested: heartbeats share queue %u", pc->queue);
		}
		RT_LOG(INFO, "lcore %u ep %u port %u: heartbeat steering %s (%s)", rt->lcore_id, e,
		       p->port_id, tt_flow_mode_name(p->steer.mode), p->steer.reason);
		rc = tt_link_watch_add(rt->link, p->port_id, NULL, NULL);
		if (rc != 0 && rc != -EEXIST)
			RT_LOG(WARNING,
			       "lcore %u ep %u port %u: no link watch (%s): timeouts detect",
			       rt->lcore_id, e, p->port_id, strerror(-rc));
	}
	ep->pool = ep->ports[0].port->pool;
	if (rt->split) {
		char name[RTE_RING_NAMESIZE];
		static atomic_uint hb_seq;
		unsigned int k = atomic_fetch_add(&hb_seq, 1);

		/* Single producer, single consumer: one lane on each side. */
		snprintf(name, sizeof(name), "tt_hbrx_%u", k);
		ep->hb_rx_ring =
			rte_ring_create(name, RT_HB_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tt_hbtx_%u", k);
		ep->hb_tx_ring =
			rte_ring_create(name, RT_HB_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ep->hb_rx_ring == NULL || ep->hb_tx_ring == NULL) {
			snprintf(err, err_len, "ep %u: heartbeat rings: %s", e,
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}

	if (ec->role == TT_RT_ROLE_MASTER) {
		struct tt_master_config mc = ec->master;

		ep->my_ip = mc.ip;
		ep->n_chan = mc.n_chan;
		ep->n_peers = mc.n_workers;
		ep->peers = calloc(mc.n_workers, sizeof(*ep->peers));
		if (ep->peers == NULL)
			return -ENOMEM;
		memcpy(ep->peers, mc.workers, mc.n_workers * sizeof(*ep->peers));
		mc.io = io;
		mc.hb_lcore = (uint16_t)rt->lcore_id;
		mc.dc_lcore = (uint16_t)rt->lcore_id;
		if (rt->split) {
			mc.split_planes = true;
			mc.io = io_hb;
			mc.io_dc = io;
			mc.hb_lcore = (uint16_t)rt->hb_lcore_id;
		}
		ep->master = tt_master_create(&mc, now, eerr, sizeof(eerr));
		if (ep->master == NULL) {
			rc = -errno;
			snprintf(err, err_len, "ep %u (master): %s", e, eerr);
			return rc;
		}
		sc.nb_flows = (uint16_t)(mc.n_workers * (1u + mc.n_chan));
	} else {
		struct tt_worker_config wc = ec->worker;

		ep->my_ip = wc.ip;
		ep->n_chan = wc.n_chan;
		ep->dc_port_base = wc.dc_port_base;
		wc.io = io;
		wc.hb_lcore = (uint16_t)rt->lcore_id;
		wc.dc_lcore = (uint16_t)rt->lcore_id;
		if (rt->split) {
			wc.split_planes = true;
			wc.io = io_hb;
			wc.io_dc = io;
			wc.hb_lcore = (uint16_t)rt->hb_lcore_id;
		}
		ep->worker = tt_worker_create(&wc, now, eerr, sizeof(eerr));
		if (ep->worker == NULL) {
			rc = -errno;
			snprintf(err, err_len, "ep %u (worker): %s", e, eerr);
			return rc;
		}
		sc.nb_flows = (uint16_t)(1u + wc.n_chan);
	}

	rc = ep_neigh_create(ep, ec, now, eerr, sizeof(eerr));
	if (rc != 0) {
		snprintf(err, err_len, "ep %u: %s", e, eerr);
		return rc;
	}
	sc.delay_cap = ec->shim_delay_cap ? ec->shim_delay_cap : TT_RT_DEFAULT_SHIM_DELAY_CAP;
	sc.seed = ec->shim_seed;
	sc.socket_id = socket;
	ep->shim = tt_shim_create(&sc);
	if (ep->shim == NULL) {
		snprintf(err, err_len, "ep %u: fault shim: %s", e, rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static void ep_free(struct rt_ep *ep)
{
	if (ep->rt == NULL)
		return;
	if (ep->ports != NULL) {
		for (uint16_t i = 0; i < ep->n_ports; i++) {
			struct rt_port *p = &ep->ports[i];

			rte_pktmbuf_free_bulk(p->tx_pkts, p->tx_n);
			p->tx_n = 0;
			if (p->steer.mode == TT_FLOW_MODE_RTE_FLOW)
				tt_flow_hb_unsteer(&p->steer);
		}
	}
	rte_pktmbuf_free(ep->pending);
	rte_pktmbuf_free(ep->hb_pending);
	for (int r = 0; r < 2; r++) {
		struct rte_ring *ring = r == 0 ? ep->hb_rx_ring : ep->hb_tx_ring;
		void *m;

		while (ring != NULL && rte_ring_sc_dequeue(ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(ring);
	}
	tt_master_destroy(ep->master);
	tt_worker_destroy(ep->worker);
	tt_neigh_destroy(ep->neigh);
	tt_shim_destroy(ep->shim);
	free(ep->peers);
	rte_free(ep->ports);
	memset(ep, 0, sizeof(*ep));
}

/* The calling control thread as a registered, online QSBR reader (and writer), briefly. */
static void ctl_rcu_enter(void)
{
	urcu_qsbr_register_thread();
}

static void ctl_rcu_leave(void)
{
	tt_ctab_thread_offline();
	urcu_qsbr_unregister_thread();
}

struct tt_rt *tt_rt_create(const struct tt_rt_config *cfg, char *err, size_t err_len)
{
	char ring_name[RTE_RING_NAMESIZE];
	static atomic_uint rt_seq;
	struct tt_rt *rt;
	int rc, socket;

	if (err_len > 0)
		err[0] = '\0';
	rc = check_config(cfg, err, err_len);
	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	socket = (int)rte_lcore_to_socket_id(cfg->lcore_id);
	rt = rte_zmalloc_socket("tt_rt", sizeof(*rt), RTE_CACHE_LINE_SIZE, socket);
	if (rt == NULL) {
		snprintf(err, err_len, "out of memory for the runtime of lcore %u", cfg->lcore_id);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&rt->ctl_lock, NULL);
	atomic_init(&rt->quit, false);
	atomic_init(&rt->state, TT_RT_S_CREATED);
	rt->lcore_id = cfg->lcore_id;
	rt->layout = cfg->layout;
	rt->split = cfg->layout == TT_RT_LAYOUT_SPLIT;
	rt->hb_lcore_id = rt->split ? cfg->hb_lcore_id : cfg->lcore_id;
	rt->hbl.lcore_id = rt->hb_lcore_id;
	rt->hbl.hb = true;
	rt->poll_mode = cfg->poll_mode;
	rt->burst = cfg->burst ? cfg->burst : TT_RT_DEFAULT_BURST;
	rt->hk_passes =
		cfg->housekeeping_passes ? cfg->housekeeping_passes : TT_RT_DEFAULT_HOUSEKEEPING;
	rt->idle_passes = cfg->idle_passes ? cfg->idle_passes : TT_RT_DEFAULT_IDLE_PASSES;
	rt->drain_ns = tt_us_to_ns(cfg->tx_drain_us ? cfg->tx_drain_us : TT_RT_DEFAULT_TX_DRAIN_US);
	rt->sleep_max_ns =
		tt_us_to_ns(cfg->sleep_max_us ? cfg->sleep_max_us : TT_RT_DEFAULT_SLEEP_MAX_US);
	if (cfg->clock != NULL) {
		rt->clock = cfg->clock;
	} else {
		tt_tsc_clock_init(&rt->own_clock, 0);
		rt->clock = &rt->own_clock;
	}
	snprintf(ring_name, sizeof(ring_name), "tt_rt_cmd_%u_%u", cfg->lcore_id,
		 atomic_fetch_add(&rt_seq, 1));
	rt->cmd_ring = rte_ring_create(
		ring_name, cfg->cmd_ring_size ? cfg->cmd_ring_size : TT_RT_DEFAULT_CMD_RING, socket,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rt->split) {
		snprintf(ring_name, sizeof(ring_name), "tt_rt_hbcmd_%u_%u", cfg->hb_lcore_id,
			 atomic_fetch_add(&rt_seq, 1));
		rt->hbl.cmd_ring = rte_ring_create(
			ring_name, cfg->cmd_ring_size ? cfg->cmd_ring_size : TT_RT_DEFAULT_CMD_RING,
			socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rt->hbl.cmd_ring == NULL) {
			snprintf(err, err_len, "out of memory for the runtime of lcore %u",
				 cfg->lcore_id);
			tt_rt_destroy(rt);
			errno = ENOMEM;
			return NULL;
		}
	}
	rt->link = tt_link_watch_create(rt_link_event, rt);
	rt->eps = rte_zmalloc_socket("tt_rt_eps", cfg->n_eps * sizeof(*rt->eps),
				     RTE_CACHE_LINE_SIZE, socket);
	if (rt->cmd_ring == NULL || rt->link == NULL || rt->eps == NULL) {
		snprintf(err, err_len, "out of memory for the runtime of lcore %u", cfg->lcore_id);
		tt_rt_destroy(rt);
		errno = ENOMEM;
		return NULL;
	}
	/* The masters' association tables need a registered writer. */
	ctl_rcu_enter();
	for (uint32_t e = 0; e < cfg->n_eps; e++) {
		rt->n_eps = e + 1;
		rc = ep_create(rt, e, &cfg->eps[e], err, err_len);
		if (rc != 0)
			break;
	}
	ctl_rcu_leave();
	if (rc != 0) {
		RT_LOG(ERR, "lcore %u: %s", cfg->lcore_id, err_len > 0 ? err : "create failed");
		tt_rt_destroy(rt);
		errno = -rc;
		return NULL;
	}
	rt_fold(rt);
	return rt;
}

void tt_rt_destroy(struct tt_rt *rt)
{
	if (rt == NULL)
		return;
	tt_rt_stop(rt);
	if (rt->eps != NULL) {
		ctl_rcu_enter();
		for (uint32_t e = 0; e < rt->n_eps; e++)
			ep_free(&rt->eps[e]);
		ctl_rcu_leave();
		rte_free(rt->eps);
	}
	tt_link_watch_destroy(rt->link);
	rte_ring_free(rt->cmd_ring);
	rte_ring_free(rt->hbl.cmd_ring);
	pthread_mutex_destroy(&rt->ctl_lock);
	rte_free(rt);
}

int tt_rt_start(struct tt_rt *rt)
{
	int rc;

	pthread_mutex_lock(&rt->ctl_lock);
	if (atomic_load(&rt->state) != TT_RT_S_CREATED) {
		rc = -EALREADY;
	} else if (rt->lcore_id == rte_lcore_id() || rt->hb_lcore_id == rte_lcore_id()) {
		rc = -EINVAL;
	} else if (rte_eal_get_lcore_state(rt->lcore_id) != WAIT ||
		   (rt->split && rte_eal_get_lcore_state(rt->hb_lcore_id) != WAIT)) {
		rc = -EBUSY;
	} else {
		atomic_store(&rt->quit, false);
		atomic_store(&rt->lanes_run, rt->split ? 2 : 1);
		atomic_store(&rt->state, TT_RT_S_RUNNING);
		/* SPLIT: the heartbeat lane first; if the data lane cannot
		 * start, the heartbeat lane is stopped again. */
		rc = rt->split ? rte_eal_remote_launch(rt_hb_loop, rt, rt->hb_lcore_id) : 0;
		if (rc == 0) {
			rc = rte_eal_remote_launch(rt_loop, rt, rt->lcore_id);
			if (rc != 0 && rt->split) {
				atomic_store(&rt->quit, true);
				rte_eal_wait_lcore(rt->hb_lcore_id);
			}
		}
		if (rc == 0)
			rt->launched = true;
		else
			atomic_store(&rt->state, TT_RT_S_CREATED);
	}
	pthread_mutex_unlock(&rt->ctl_lock);
	return rc;
}

void tt_rt_request_stop(struct tt_rt *rt)
{
	atomic_store_explicit(&rt->quit, true, memory_order_release);
}

int tt_rt_stop(struct tt_rt *rt)
{
	int rc = -EALREADY;

	tt_rt_request_stop(rt);
	pthread_mutex_lock(&rt->ctl_lock);
	if (rt->launched) {
		rte_eal_wait_lcore(rt->lcore_id);
		if (rt->split)
			rte_eal_wait_lcore(rt->hb_lcore_id);
		rt->launched = false;
		rc = 0;
	}
	pthread_mutex_unlock(&rt->ctl_lock);
	return rc;
}

enum tt_rt_state tt_rt_state(const struct tt_rt *rt)
{
	return (enum tt_rt_state)atomic_load_explicit(&rt->state, memory_order_acquire);
}

bool tt_rt_running(const struct tt_rt *rt)
{
	return tt_rt_state(rt) == TT_RT_S_RUNNING;
}

unsigned int tt_rt_lcore(const struct tt_rt *rt)
{
	return rt->lcore_id;
}

uint32_t tt_rt_n_eps(const struct tt_rt *rt)
{
	return rt->n_eps;
}

static int cmd_check(const struct tt_rt *rt, const struct tt_rt_cmd *c)
{
	bool master;

	if (c->type >= TT_RT_CMD_MAX || c->ep >= rt->n_eps)
		return -EINVAL;
	master = rt->eps[c->ep].role == TT_RT_ROLE_MASTER;
	switch (c->type) {
	case TT_RT_CMD_SUBMIT:
		return master && c->handler != NULL ? 0 : -EINVAL;
	case TT_RT_CMD_CANCEL:
	case TT_RT_CMD_RELEASE:
		return master ? 0 : -EINVAL;
	case TT_RT_CMD_PEER:
		return master && c->peer != NULL ? 0 : -EINVAL;
	case TT_RT_CMD_SNAPSHOT:
		return c->snap != NULL ? 0 : -EINVAL;
	case TT_RT_CMD_TL_READ:
		return c->events != NULL || c->events_cap == 0 ? 0 : -EINVAL;
	case TT_RT_CMD_CALL:
		return c->fn != NULL ? 0 : -EINVAL;
	default:
		return 0;
	}
}

/* Run a command on the calling thread: the loop does not run (ctl_lock held). */
static void run_direct(struct tt_rt *rt, struct tt_rt_cmd *c)
{
	ctl_rcu_enter();
	rt->now = tt_tsc_now((void *)(uintptr_t)rt->clock);
	run_cmd(rt, rt->lc, c, rt->now);
	ctl_rcu_leave();
	rt_fold(rt);
}

/*
 * The mailbox of the lane that owns what a command touches (SPLIT: the
 * heartbeat lane for the HB plane's timers and timeline; everything else,
 * the data plane's, on the data lane).
 */
static struct rte_ring *cmd_ring_of(const struct tt_rt *rt, const struct tt_rt_cmd *c)
{
	if (!rt->split)
		return rt->cmd_ring;
	if (c->type == TT_RT_CMD_SET_HB_TIMERS || (c->type == TT_RT_CMD_TL_READ && !c->tl_dc))
		return rt->hbl.cmd_ring;
	return rt->cmd_ring;
}

static int cmd_exec_one(struct tt_rt *rt, struct tt_rt_cmd *cmd);

/*
 * SPLIT: a TL_READ drain of "the" timeline (tl_dc not set) drains both
 * planes' timelines, the HB plane's first, each on its own lane, so that a
 * reader written for one timeline per endpoint sees every event (in two
 * runs of time order: sort them).
 */
int tt_rt_cmd_exec(struct tt_rt *rt, struct tt_rt_cmd *cmd)
{
	int rc = cmd_exec_one(rt, cmd);

	if (rc == 0 && rt->split && cmd->type == TT_RT_CMD_TL_READ && cmd->tl_drain &&
	    !cmd->tl_dc && cmd->count < cmd->events_cap) {
		struct tt_rt_cmd dc = {
			.type = TT_RT_CMD_TL_READ,
			.ep = cmd->ep,
			.events = cmd->events + cmd->count,
			.events_cap = cmd->events_cap - cmd->count,
			.tl_drain = true,
			.tl_dc = true,
		};

		rc = cmd_exec_one(rt, &dc);
		if (rc == 0)
			cmd->count += dc.count;
		cmd->rc = rc;
		cmd->done_ns = dc.done_ns;
	}
	return rc;
}

static int cmd_exec_one(struct tt_rt *rt, struct tt_rt_cmd *cmd)
{
	int rc = cmd_check(rt, cmd);

	if (rc != 0) {
		snprintf(cmd->err, sizeof(cmd->err), "%s: bad command for endpoint %u",
			 tt_rt_cmd_name(cmd->type), cmd->ep);
		cmd->rc = rc;
		return rc;
	}
	cmd->err[0] = '\0';
	pthread_mutex_lock(&rt->ctl_lock);
	atomic_store_explicit(&cmd->done_, 0, memory_order_relaxed);
	if (tt_rt_state(rt) != TT_RT_S_RUNNING) {
		run_direct(rt, cmd);
	} else if (rte_ring_sp_enqueue(cmd_ring_of(rt, cmd), cmd) != 0) {
		cmd->rc = -ENOSPC;
	} else {
		while (!atomic_load_explicit(&cmd->done_, memory_order_acquire)) {
			if (tt_rt_state(rt) != TT_RT_S_RUNNING) {
				/* The loops returned after their last look at the
				 * mailboxes: the command is still there, and this
				 * thread is the only consumer left. */
				void *p;

				while (rte_ring_sc_dequeue(cmd_ring_of(rt, cmd), &p) == 0)
					run_direct(rt, p);
				break;
			}
			rte_delay_us_sleep(RT_CMD_WAIT_US);
		}
	}
	pthread_mutex_unlock(&rt->ctl_lock);
	return cmd->rc;
}

int tt_rt_flow_hb(const struct tt_rt *rt, uint32_t ep, uint32_t worker_id)
{
	const struct rt_ep *p;

	if (ep >= rt->n_eps)
		return -ENOENT;
	p = &rt->eps[ep];
	if (p->role == TT_RT_ROLE_WORKER)
		return 0;
	for (uint32_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].worker_id == worker_id)
			return (int)(i * (1u + p->n_chan));
	return -ENOENT;
}

int tt_rt_flow_chan(const struct tt_rt *rt, uint32_t ep, uint32_t worker_id, unsigned int chan)
{
	int base = tt_rt_flow_hb(rt, ep, worker_id);

	if (base < 0)
		return base;
	if (chan >= rt->eps[ep].n_chan)
		return -EINVAL;
	return base + 1 + (int)chan;
}

int tt_rt_port_stats(const struct tt_rt *rt, uint32_t ep, uint16_t port_idx,
		     struct tt_rt_port_stats *out)
{
	const struct rt_port *p;

	if (ep >= rt->n_eps || port_idx >= rt->eps[ep].n_ports)
		return -ENOENT;
	p = &rt->eps[ep].ports[port_idx];
	memset(out, 0, sizeof(*out));
	out->port_id = p->port_id;
	out->queue = p->queue;
	memcpy(out->mac, p->mac, TT_PKT_ETH_ADDR_LEN);
	out->hb_mode = p->steer.mode;
	snprintf(out->hb_reason, sizeof(out->hb_reason), "%s", p->steer.reason);
	for (unsigned int c = 0; c < TT_RT_PC_MAX; c++)
		out->ctr[c] = atomic_load_explicit(&p->pub_ctr[c], memory_order_relaxed);
	for (unsigned int c = 0; c < TT_PKT_RX_REJECT_MAX; c++)
		out->parse[c] = atomic_load_explicit(&p->pub_parse[c], memory_order_relaxed);
	return 0;
}

static void lane_stats(const struct tt_rt *rt, const _Atomic uint64_t *pub_lc,
		       const _Atomic uint64_t *pub_hist, unsigned int lcore_id,
		       struct tt_rt_lcore_stats *out)
{
	uint64_t v[RT_LC_MAX];

	for (unsigned int c = 0; c < RT_LC_MAX; c++)
		v[c] = atomic_load_explicit(&pub_lc[c], memory_order_relaxed);
	memset(out, 0, sizeof(*out));
	out->lcore_id = lcore_id;
	out->state = tt_rt_state(rt);
	out->layout = rt->layout;
	out->poll_mode = rt->poll_mode;
	out->passes = v[RT_LC_PASSES];
	out->busy_passes = v[RT_LC_BUSY_PASSES];
	out->total_ns = v[RT_LC_TOTAL_NS];
	out->busy_ns = v[RT_LC_BUSY_NS];
	out->pass_max_ns = v[RT_LC_PASS_MAX];
	out->sleeps = v[RT_LC_SLEEPS];
	out->sleep_ns = v[RT_LC_SLEEP_NS];
	out->cmds = v[RT_LC_CMDS];
	out->link_downs = v[RT_LC_LINK_DOWNS];
	out->deadlines = v[RT_LC_DEADLINES];
	out->late_max_ns = v[RT_LC_LATE_MAX];
	out->hb_rx = v[RT_LC_HB_RX];
	out->hb_drop = v[RT_LC_HB_DROP];
	out->hb_tx = v[RT_LC_HB_TX];
	out->hb_ring_full = v[RT_LC_HB_RING_FULL];
	for (unsigned int b = 0; b < TT_RT_LATE_BUCKETS; b++)
		out->late_hist[b] = atomic_load_explicit(&pub_hist[b], memory_order_relaxed);
}

void tt_rt_lcore_stats(const struct tt_rt *rt, struct tt_rt_lcore_stats *out)
{
	lane_stats(rt, rt->pub_lc, rt->pub_hist, rt->lcore_id, out);
}

int tt_rt_hb_lcore_stats(const struct tt_rt *rt, struct tt_rt_lcore_stats *out)
{
	if (!rt->split)
		return -ENOENT;
	lane_stats(rt, rt->hbl.pub_lc, rt->hbl.pub_hist, rt->hb_lcore_id, out);
	return 0;
}

unsigned int tt_rt_hb_lcore(const struct tt_rt *rt)
{
	return rt->hb_lcore_id;
}

bool tt_rt_ep_exited(const struct tt_rt *rt, uint32_t ep, int *code)
{
	if (ep >= rt->n_eps || !atomic_load_explicit(&rt->eps[ep].pub_exited, memory_order_acquire))
		return false;
	if (code != NULL)
		*code = atomic_load_explicit(&rt->eps[ep].pub_exit_code, memory_order_relaxed);
	return true;
}

bool tt_rt_all_workers_exited(const struct tt_rt *rt)
{
	bool any = false;

	for (uint32_t e = 0; e < rt->n_eps; e++) {
		if (rt->eps[e].role != TT_RT_ROLE_WORKER)
			continue;
		if (!tt_rt_ep_exited(rt, e, NULL))
			return false;
		any = true;
	}
	return any;
}

int tt_rt_ep(struct tt_rt *rt, uint32_t ep, struct tt_rt_ep_view *view)
{
	if (ep >= rt->n_eps)
		return -ENOENT;
	if (tt_rt_running(rt))
		return -EBUSY;
	ep_view(&rt->eps[ep], view);
	return 0;
}

struct tt_fence_tl *tt_rt_timeline(struct tt_rt *rt, uint32_t ep)
{
	return ep < rt->n_eps ? ep_timeline(&rt->eps[ep]) : NULL;
}

struct tt_fence_tl *tt_rt_timeline_dc(struct tt_rt *rt, uint32_t ep)
{
	return ep < rt->n_eps ? ep_timeline_dc(&rt->eps[ep]) : NULL;
}

const struct tt_tsc_clock *tt_rt_clock(const struct tt_rt *rt)
{
	return rt->clock;
}
