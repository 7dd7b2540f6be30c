/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_udp.h>

#include "port.h"

RTE_LOG_REGISTER(tt_port_logtype, user.tether.port, NOTICE);

#define PORT_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, tt_port_logtype, "tether.port: " fmt "\n", ##__VA_ARGS__)

/* The one error format: which port, which call, what it returned. */
#define PORT_ERR(port_id, call, ret)                                                               \
	PORT_LOG(ERR, "port %u: %s failed: %s (%d)", (unsigned int)(port_id), call,                \
		 rte_strerror(-(ret)), (ret))

static uint16_t or_default(uint16_t v, uint16_t dflt)
{
	return v != 0 ? v : dflt;
}

uint32_t tt_port_pool_size(const struct tt_port_conf *conf)
{
	uint32_t nb_rxd = or_default(conf->nb_rxd, TT_PORT_DEFAULT_NB_DESC);
	uint32_t nb_txd = or_default(conf->nb_txd, TT_PORT_DEFAULT_NB_DESC);
	uint32_t burst = or_default(conf->burst, TT_PORT_DEFAULT_BURST);
	uint32_t cache = or_default(conf->cache_size, TT_PORT_DEFAULT_CACHE);
	uint32_t lcores = or_default(conf->nb_lcores, RTE_MAX(conf->nb_rxq, conf->nb_txq));
	uint64_t n;

	n = (uint64_t)conf->nb_rxq * nb_rxd + (uint64_t)conf->nb_txq * nb_txd +
	    (uint64_t)lcores * (cache * 3 / 2 + burst) + conf->extra_mbufs;
	/* Round up to 2^k - 1. */
	n = rte_align64pow2(n + 1) - 1;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/*
 * Enable the IPv4 and UDP checksum TX offloads only when the PMD has both:
 * tt_port_tx_cksum() then sets flags and lengths; with one of the two alone
 * it would have to mix offload and software per packet for no gain.
 */
static uint64_t pick_tx_offloads(struct tt_port *port, const struct rte_eth_dev_info *info,
				 const struct tt_port_conf *conf)
{
	const uint64_t want = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

	port->tx_ipv4_cksum = false;
	port->tx_udp_cksum = false;
	if (conf->no_tx_cksum_offload || (info->tx_offload_capa & want) != want)
		return 0;
	port->tx_ipv4_cksum = true;
	port->tx_udp_cksum = true;
	return want;
}

static int check_conf(uint16_t port_id, const struct tt_port_conf *conf,
		      const struct rte_eth_dev_info *info)
{
	if (conf->nb_rxq == 0 || conf->nb_rxq > TT_PORT_MAX_QUEUES || conf->nb_txq == 0 ||
	    conf->nb_txq > TT_PORT_MAX_QUEUES) {
		PORT_LOG(ERR, "port %u: %u RX / %u TX queues asked, allowed 1..%u", port_id,
			 conf->nb_rxq, conf->nb_txq, TT_PORT_MAX_QUEUES);
		return -EINVAL;
	}
	if (conf->nb_rxq > info->max_rx_queues || conf->nb_txq > info->max_tx_queues) {
		PORT_LOG(ERR, "port %u (%s): %u RX / %u TX queues asked, PMD allows %u / %u",
			 port_id, info->driver_name, conf->nb_rxq, conf->nb_txq,
			 info->max_rx_queues, info->max_tx_queues);
		return -EINVAL;
	}
	if (conf->cache_size > RTE_MEMPOOL_CACHE_MAX_SIZE) {
		PORT_LOG(ERR, "port %u: mbuf cache %u, allowed 0..%u", port_id, conf->cache_size,
			 RTE_MEMPOOL_CACHE_MAX_SIZE);
		return -EINVAL;
	}
	return 0;
}

static int create_pool(struct tt_port *port, const struct tt_port_conf *conf, int socket)
{
	struct tt_port_conf sized = *conf;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t n;

	/* Size with the descriptor counts the PMD settled on. */
	sized.nb_rxd = port->nb_rxd;
	sized.nb_txd = port->nb_txd;
	n = tt_port_pool_size(&sized);
	snprintf(name, sizeof(name), "tt_pool_p%u", port->port_id);
	port->pool = rte_pktmbuf_pool_create(
		name, n, or_default(conf->cache_size, TT_PORT_DEFAULT_CACHE), 0,
		or_default(conf->data_room, RTE_MBUF_DEFAULT_BUF_SIZE), socket);
	if (port->pool == NULL) {
		PORT_LOG(ERR, "port %u: rte_pktmbuf_pool_create(%s, %u mbufs) failed: %s",
			 port->port_id, name, n, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	port->pool_owned = true;
	return 0;
}

static int setup_queues(struct tt_port *port, const struct rte_eth_dev_info *info,
			uint64_t tx_offloads, int socket)
{
	struct rte_eth_txconf txconf = info->default_txconf;
	struct rte_eth_rxconf rxconf = info->default_rxconf;
	uint16_t q;
	int ret;

	txconf.offloads = tx_offloads;
	for (q = 0; q < port->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port->port_id, q, port->nb_rxd, socket, &rxconf,
					     port->pool);
		if (ret < 0) {
			PORT_ERR(port->port_id, "rte_eth_rx_queue_setup", ret);
			return ret;
		}
	}
	for (q = 0; q < port->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port->port_id, q, port->nb_txd, socket, &txconf);
		if (ret < 0) {
			PORT_ERR(port->port_id, "rte_eth_tx_queue_setup", ret);
			return ret;
		}
	}
	return 0;
}

/*
 * Order follows the ethdev contract: dev_info, configure, adjust descriptor
 * counts, then queue set-up (which needs the pool). The pool is created
 * after the adjustment so that it is sized for the real descriptor counts.
 */
int tt_port_init(struct tt_port *port, uint16_t port_id, const struct tt_port_conf *conf)
{
	struct rte_eth_conf eth_conf;
	struct rte_eth_dev_info info;
	uint64_t tx_offloads;
	int socket;
	int ret;

	memset(port, 0, sizeof(*port));
	port->port_id = port_id;
	if (!rte_eth_dev_is_valid_port(port_id)) {
		PORT_LOG(ERR, "port %u: no such ethdev port", port_id);
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0) {
		PORT_ERR(port_id, "rte_eth_dev_info_get", ret);
		return ret;
	}
	ret = check_conf(port_id, conf, &info);
	if (ret < 0)
		return ret;
	rte_eth_dev_get_name_by_port(port_id, port->name);
	port->driver = info.driver_name;
	port->nb_rxq = conf->nb_rxq;
	port->nb_txq = conf->nb_txq;
	port->nb_rxd = or_default(conf->nb_rxd, TT_PORT_DEFAULT_NB_DESC);
	port->nb_txd = or_default(conf->nb_txd, TT_PORT_DEFAULT_NB_DESC);

	memset(&eth_conf, 0, sizeof(eth_conf));
	tx_offloads = pick_tx_offloads(port, &info, conf);
	eth_conf.txmode.offloads = tx_offloads;
	/* LSC interrupts fire only if asked for at configure time. */
	port->lsc_intr = info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
	eth_conf.intr_conf.lsc = port->lsc_intr;
	ret = rte_eth_dev_configure(port_id, port->nb_rxq, port->nb_txq, &eth_conf);
	if (ret < 0) {
		PORT_ERR(port_id, "rte_eth_dev_configure", ret);
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &port->nb_rxd, &port->nb_txd);
	if (ret < 0) {
		PORT_ERR(port_id, "rte_eth_dev_adjust_nb_rx_tx_desc", ret);
		return ret;
	}

	socket = rte_eth_dev_socket_id(port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	if (conf->pool != NULL) {
		port->pool = conf->pool;
	} else {
		ret = create_pool(port, conf, socket);
		if (ret < 0)
			return ret;
	}
	ret = setup_queues(port, &info, tx_offloads, socket);
	if (ret < 0)
		goto fail_pool;
	ret = rte_eth_macaddr_get(port_id, &port->mac);
	if (ret < 0) {
		PORT_ERR(port_id, "rte_eth_macaddr_get", ret);
		goto fail_pool;
	}
	PORT_LOG(INFO,
		 "port %u (%s, %s): %u RX / %u TX queues, %u/%u descriptors, "
		 "checksum offload %s",
		 port_id, port->name, port->driver, port->nb_rxq, port->nb_txq, port->nb_rxd,
		 port->nb_txd, tx_offloads ? "on" : "off (software)");
	return 0;

fail_pool:
	if (port->pool_owned)
		rte_mempool_free(port->pool);
	port->pool = NULL;
	port->pool_owned = false;
	return ret;
}

int tt_port_start(struct tt_port *port)
{
	int ret = rte_eth_dev_start(port->port_id);

	if (ret < 0) {
		PORT_ERR(port->port_id, "rte_eth_dev_start", ret);
		return ret;
	}
	port->started = true;
	return 0;
}

/* Free what sits in the RX queues; a ring port's RX queue is its peer's TX. */
static void drain_rx(const struct tt_port *port)
{
	struct rte_mbuf *pkts[TT_PORT_DEFAULT_BURST];
	uint16_t q, n;

	for (q = 0; q < port->nb_rxq; q++) {
		do {
			n = rte_eth_rx_burst(port->port_id, q, pkts, RTE_DIM(pkts));
			rte_pktmbuf_free_bulk(pkts, n);
		} while (n > 0);
	}
}

int tt_port_stop(struct tt_port *port)
{
	int ret;

	if (!port->started)
		return 0;
	drain_rx(port);
	ret = rte_eth_dev_stop(port->port_id);
	if (ret < 0) {
		PORT_ERR(port->port_id, "rte_eth_dev_stop", ret);
		return ret;
	}
	port->started = false;
	return 0;
}

void tt_port_fini(struct tt_port *port)
{
	int ret;

	if (rte_eth_dev_is_valid_port(port->port_id)) {
		tt_port_stop(port);
		ret = rte_eth_dev_close(port->port_id);
		if (ret < 0)
			PORT_ERR(port->port_id, "rte_eth_dev_close", ret);
	}
	port->started = false;
	if (port->pool_owned)
		rte_mempool_free(port->pool);
	port->pool = NULL;
	port->pool_owned = false;
}

int tt_port_link_get(uint16_t port_id, struct tt_port_link *link)
{
	struct rte_eth_link l;
	int ret;

	memset(&l, 0, sizeof(l));
	ret = rte_eth_link_get_nowait(port_id, &l);
	if (ret < 0) {
		PORT_ERR(port_id, "rte_eth_link_get_nowait", ret);
		return ret;
	}
	link->up = l.link_status == RTE_ETH_LINK_UP;
	link->full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	link->speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
	return 0;
}

/*
 * Offload contract (rte_mbuf_core.h, RTE_MBUF_F_TX_UDP_CKSUM): l2_len and
 * l3_len set, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | _UDP_CKSUM, the
 * IPv4 checksum 0 and the UDP checksum seeded with the pseudo-header sum.
 */
int tt_port_tx_cksum(const struct tt_port *port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint16_t l3_len;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip) + sizeof(*udp))
		return -EINVAL;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return -EINVAL;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	l3_len = rte_ipv4_hdr_len(ip);
	if ((ip->version_ihl >> 4) != 4 || l3_len < sizeof(*ip) ||
	    ip->next_proto_id != IPPROTO_UDP ||
	    rte_pktmbuf_data_len(m) < sizeof(*eth) + l3_len + sizeof(*udp))
		return -EINVAL;
	udp = (struct rte_udp_hdr *)((uint8_t *)ip + l3_len);

	ip->hdr_checksum = 0;
	udp->dgram_cksum = 0;
	if (port->tx_ipv4_cksum && port->tx_udp_cksum) {
		m->l2_len = sizeof(*eth);
		m->l3_len = l3_len;
		m->ol_flags |=
			RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
		udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		return 0;
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return 0;
}

static void free_rings(struct tt_port_ring_pair *pair)
{
	struct rte_mbuf *m;
	unsigned int d, q;

	for (d = 0; d < 2; d++) {
		for (q = 0; q < TT_PORT_MAX_QUEUES; q++) {
			if (pair->ring[d][q] == NULL)
				continue;
			while (rte_ring_dequeue(pair->ring[d][q], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(pair->ring[d][q]);
			pair->ring[d][q] = NULL;
		}
	}
}

/*
 * Port d transmits on ring[d][q] and receives on ring[1-d][q]: crossing the
 * rings is what makes the two ports a link instead of two loopbacks.
 */
int tt_port_ring_pair_create(struct tt_port_ring_pair *pair, const char *name, uint16_t nb_queues,
			     unsigned int ring_size, int socket_id)
{
	char ring_name[RTE_RING_NAMESIZE];
	char dev_name[32];
	unsigned int d, q;
	int ret;

	memset(pair, 0, sizeof(*pair));
	if (name == NULL || name[0] == '\0' || strlen(name) > 16 || nb_queues == 0 ||
	    nb_queues > TT_PORT_MAX_QUEUES || !rte_is_power_of_2(ring_size)) {
		PORT_LOG(ERR,
			 "ring pair \"%s\": bad arguments (name 1..16 chars, 1..%u queues, "
			 "ring size a power of two; got %u queues, size %u)",
			 name ? name : "(null)", TT_PORT_MAX_QUEUES, nb_queues, ring_size);
		return -EINVAL;
	}
	pair->nb_queues = nb_queues;
	for (d = 0; d < 2; d++) {
		for (q = 0; q < nb_queues; q++) {
			snprintf(ring_name, sizeof(ring_name), "tt_%s_%u%u_q%u", name, d, 1 - d, q);
			pair->ring[d][q] = rte_ring_create(ring_name, ring_size, socket_id,
							   RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (pair->ring[d][q] == NULL) {
				ret = -rte_errno;
				PORT_LOG(ERR, "ring pair %s: rte_ring_create(%s) failed: %s", name,
					 ring_name, rte_strerror(rte_errno));
				goto fail;
			}
		}
	}
	for (d = 0; d < 2; d++) {
		snprintf(dev_name, sizeof(dev_name), "%s%u", name, d);
		ret = rte_eth_from_rings(dev_name, pair->ring[1 - d], nb_queues, pair->ring[d],
					 nb_queues, socket_id == SOCKET_ID_ANY ? 0 : socket_id);
		if (ret < 0) {
			ret = -rte_errno;
			PORT_LOG(ERR, "ring pair %s: rte_eth_from_rings(%s) failed: %s", name,
				 dev_name, rte_strerror(rte_errno));
			goto fail;
		}
		pair->port_id[d] = (uint16_t)ret;
		rte_eth_dev_get_name_by_port(pair->port_id[d], pair->vdev_name[d]);
	}
	return 0;

fail:
	tt_port_ring_pair_destroy(pair);
	return ret < 0 ? ret : -EINVAL;
}

void tt_port_ring_pair_destroy(struct tt_port_ring_pair *pair)
{
	unsigned int d;
	int ret;

	for (d = 0; d < 2; d++) {
		if (pair->vdev_name[d][0] == '\0')
			continue;
		ret = rte_vdev_uninit(pair->vdev_name[d]);
		if (ret < 0)
			PORT_LOG(ERR, "ring pair: rte_vdev_uninit(%s) failed: %s",
				 pair->vdev_name[d], rte_strerror(-ret));
		pair->vdev_name[d][0] = '\0';
	}
	free_rings(pair);
}
