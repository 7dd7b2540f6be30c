/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/port: pool sizing, crossed ring pairs carrying UDP frames both
 * ways, offload reporting, software/offload checksums, MAC and link, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "eal_test.h"
#include "pkt.h"
#include "port.h"

#define NB_PKTS 16

/* A two-queue ring pair with both ports configured and started. */
struct fixture {
	struct tt_port_ring_pair pair;
	struct tt_port port[2];
};

static const struct tt_port_conf small_conf = {
	.nb_rxq = 2,
	.nb_txq = 2,
	.nb_rxd = 128,
	.nb_txd = 128,
	.cache_size = 32,
};

static int fixture_setup(void **state)
{
	static struct fixture fx;
	unsigned int i;

	if (tt_port_ring_pair_create(&fx.pair, "pt", 2, 256, SOCKET_ID_ANY) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (tt_port_init(&fx.port[i], fx.pair.port_id[i], &small_conf) != 0)
			return -1;
		if (tt_port_start(&fx.port[i]) != 0)
			return -1;
	}
	*state = &fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	tt_port_stop(&fx->port[0]);
	tt_port_stop(&fx->port[1]);
	tt_port_fini(&fx->port[0]);
	tt_port_fini(&fx->port[1]);
	tt_port_ring_pair_destroy(&fx->pair);
	return 0;
}

static struct tt_pkt_udp4_hdr udp_hdr(const struct tt_port *from, const struct tt_port *to,
				      uint16_t sport, uint32_t flags)
{
	struct tt_pkt_udp4_hdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.eth_src, from->mac.addr_bytes, 6);
	memcpy(h.eth_dst, to->mac.addr_bytes, 6);
	h.ip_src = 0x0a000001 + from->port_id;
	h.ip_dst = 0x0a000001 + to->port_id;
	h.ttl = 64;
	h.src_port = sport;
	h.dst_port = 7000;
	h.flags = flags;
	return h;
}

/* An mbuf holding an Ethernet/IPv4/UDP frame with an 8-byte payload `tag`. */
static struct rte_mbuf *udp_frame(struct rte_mempool *mp, const struct tt_pkt_udp4_hdr *h,
				  uint64_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	size_t len = TT_PKT_UDP4_HDRS_LEN + sizeof(tag);
	uint8_t *buf;

	assert_non_null(m);
	buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(buf);
	assert_int_equal(tt_pkt_build_udp4(buf, len, h, (const uint8_t *)&tag, sizeof(tag)), len);
	return m;
}

static void test_pool_size_formula(void **state)
{
	struct tt_port_conf c = {
		.nb_rxq = 2,
		.nb_txq = 2,
		.nb_rxd = 512,
		.nb_txd = 256,
		.burst = 32,
		.nb_lcores = 2,
		.cache_size = 64,
		.extra_mbufs = 100,
	};

	(void)state;
	/* 2*512 + 2*256 + 2*(64*3/2 + 32) + 100 = 1892 -> 2047. */
	assert_int_equal(tt_port_pool_size(&c), 2047);
	/* Defaults: 1024 + 1024 + 1*(256*3/2 + 32) = 2464 -> 4095. */
	memset(&c, 0, sizeof(c));
	c.nb_rxq = 1;
	c.nb_txq = 1;
	assert_int_equal(tt_port_pool_size(&c), 4095);
	/* Exactly 2^k - 1 stays put. */
	c.nb_rxd = 1;
	c.nb_txd = 1;
	c.cache_size = 2;
	c.burst = 1;
	c.extra_mbufs = 1;
	/* 1 + 1 + (3 + 1) + 1 = 7. */
	assert_int_equal(tt_port_pool_size(&c), 7);
}

static void test_init_reports_port(void **state)
{
	struct fixture *fx = *state;
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		const struct tt_port *p = &fx->port[i];

		assert_int_equal(p->port_id, fx->pair.port_id[i]);
		assert_int_equal(p->nb_rxq, 2);
		assert_int_equal(p->nb_txq, 2);
		assert_int_equal(p->nb_rxd, 128);
		assert_true(p->started);
		assert_true(p->pool_owned);
		assert_int_equal(p->pool->size, tt_port_pool_size(&small_conf));
		assert_string_equal(p->name, i == 0 ? "net_ring_pt0" : "net_ring_pt1");
		assert_string_equal(p->driver, "net_ring");
		assert_int_equal(rte_eth_macaddr_get(p->port_id, &mac), 0);
		assert_memory_equal(&mac, &p->mac, sizeof(mac));
		/* Offloads reported exactly as the PMD advertises both checksums. */
		assert_int_equal(rte_eth_dev_info_get(p->port_id, &info), 0);
		assert_int_equal(p->tx_ipv4_cksum,
				 (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0 &&
					 (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) !=
						 0);
		assert_int_equal(p->tx_udp_cksum, p->tx_ipv4_cksum);
		/* Ring ports have no checksum offload and no LSC interrupt. */
		assert_false(p->tx_ipv4_cksum);
		assert_false(p->lsc_intr);
	}
}

/* Send NB_PKTS tagged frames from a to b on queue q, receive and parse them. */
static void send_and_check(struct tt_port *a, struct tt_port *b, uint16_t q, uint64_t base)
{
	struct tt_pkt_udp4_hdr h = udp_hdr(a, b, (uint16_t)(49152 + q), 0);
	struct rte_mbuf *pkts[NB_PKTS];
	struct tt_pkt_view v;
	unsigned int i, n;

	for (i = 0; i < NB_PKTS; i++)
		pkts[i] = udp_frame(a->pool, &h, base + i);
	assert_int_equal(rte_eth_tx_burst(a->port_id, q, pkts, NB_PKTS), NB_PKTS);
	/* Nothing on the other queue, nothing looped back to the sender. */
	assert_int_equal(rte_eth_rx_burst(b->port_id, (uint16_t)(1 - q), pkts, NB_PKTS), 0);
	assert_int_equal(rte_eth_rx_burst(a->port_id, q, pkts, NB_PKTS), 0);
	n = rte_eth_rx_burst(b->port_id, q, pkts, NB_PKTS);
	assert_int_equal(n, NB_PKTS);
	for (i = 0; i < n; i++) {
		uint64_t tag;

		assert_int_equal(tt_pkt_parse_udp4(rte_pktmbuf_mtod(pkts[i], uint8_t *),
						   rte_pktmbuf_data_len(pkts[i]), &v),
				 TT_PKT_RX_OK);
		assert_memory_equal(v.eth_dst, b->mac.addr_bytes, 6);
		assert_int_equal(v.ip_src, 0x0a000001 + a->port_id);
		assert_int_equal(v.src_port, 49152 + q);
		assert_int_equal(v.dst_port, 7000);
		assert_int_equal(v.payload_len, sizeof(tag));
		memcpy(&tag, v.payload, sizeof(tag));
		assert_int_equal(tag, base + i);
		rte_pktmbuf_free(pkts[i]);
	}
}

static void test_crossed_pair_both_ways(void **state)
{
	struct fixture *fx = *state;
	unsigned int free0 = rte_mempool_avail_count(fx->port[0].pool);
	unsigned int free1 = rte_mempool_avail_count(fx->port[1].pool);

	send_and_check(&fx->port[0], &fx->port[1], 0, 100);
	send_and_check(&fx->port[1], &fx->port[0], 0, 200);
	send_and_check(&fx->port[0], &fx->port[1], 1, 300);
	send_and_check(&fx->port[1], &fx->port[0], 1, 400);
	/* Every mbuf went back to the pool it came from. */
	assert_int_equal(rte_mempool_avail_count(fx->port[0].pool), free0);
	assert_int_equal(rte_mempool_avail_count(fx->port[1].pool), free1);
}

static void test_link_status(void **state)
{
	struct fixture *fx = *state;
	struct tt_port_link link;

	assert_int_equal(tt_port_link_get(fx->port[0].port_id, &link), 0);
	assert_true(link.up);
	assert_int_equal(rte_eth_dev_set_link_down(fx->port[0].port_id), 0);
	assert_int_equal(tt_port_link_get(fx->port[0].port_id, &link), 0);
	assert_false(link.up);
	/* The peer's flag is its own: ring pairs do not propagate link state. */
	assert_int_equal(tt_port_link_get(fx->port[1].port_id, &link), 0);
	assert_true(link.up);
	assert_int_equal(rte_eth_dev_set_link_up(fx->port[0].port_id), 0);
	assert_int_equal(tt_port_link_get(fx->port[0].port_id, &link), 0);
	assert_true(link.up);
	assert_int_equal(tt_port_link_get(RTE_MAX_ETHPORTS - 1, &link), -ENODEV);
}

static void test_tx_cksum_software(void **state)
{
	struct fixture *fx = *state;
	struct tt_pkt_udp4_hdr h =
		udp_hdr(&fx->port[0], &fx->port[1], 50000, TT_PKT_TX_UDP_CSUM_NONE);
	struct rte_mbuf *m = udp_frame(fx->port[0].pool, &h, 7);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct tt_pkt_view v;
	uint16_t sum;

	/* Spoil the IP checksum: the helper must compute both from scratch. */
	ip->hdr_checksum = 0x1234;
	assert_int_equal(udp->dgram_cksum, 0);
	assert_int_equal(tt_port_tx_cksum(&fx->port[0], m), 0);
	assert_int_equal(m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM), 0);
	assert_int_not_equal(udp->dgram_cksum, 0);
	/* A header with a right checksum in place sums to 0 (RFC 1071). */
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	sum = udp->dgram_cksum;
	udp->dgram_cksum = 0;
	assert_int_equal(rte_ipv4_udptcp_cksum(ip, udp), sum);
	udp->dgram_cksum = sum;
	assert_int_equal(
		tt_pkt_parse_udp4(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), &v),
		TT_PKT_RX_OK);
	rte_pktmbuf_free(m);
}

static void test_tx_cksum_offload(void **state)
{
	struct fixture *fx = *state;
	struct tt_port offl = fx->port[0];
	struct tt_pkt_udp4_hdr h = udp_hdr(&fx->port[0], &fx->port[1], 50000, 0);
	struct rte_mbuf *m = udp_frame(fx->port[0].pool, &h, 7);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	/* As tt_port_init() leaves a port whose PMD has both offloads. */
	offl.tx_ipv4_cksum = true;
	offl.tx_udp_cksum = true;
	assert_int_equal(tt_port_tx_cksum(&offl, m), 0);
	assert_int_equal(
		m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK),
		RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(ip->hdr_checksum, 0);
	assert_int_equal(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, m->ol_flags));
	rte_pktmbuf_free(m);
}

static void test_tx_cksum_rejects_non_udp(void **state)
{
	struct fixture *fx = *state;
	struct tt_pkt_udp4_hdr h = udp_hdr(&fx->port[0], &fx->port[1], 50000, 0);
	struct rte_mbuf *m = udp_frame(fx->port[0].pool, &h, 7);
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

	frame[14 + 9] = IPPROTO_TCP;
	assert_int_equal(tt_port_tx_cksum(&fx->port[0], m), -EINVAL);
	frame[14 + 9] = IPPROTO_UDP;
	frame[12] = 0x86; /* IPv6 ethertype */
	frame[13] = 0xdd;
	assert_int_equal(tt_port_tx_cksum(&fx->port[0], m), -EINVAL);
	frame[12] = 0x08;
	frame[13] = 0x00;
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - 30);
	assert_int_equal(tt_port_tx_cksum(&fx->port[0], m), -EINVAL);
	rte_pktmbuf_free(m);
}

static void test_no_offload_conf(void **state)
{
	struct tt_port_ring_pair pair;
	struct tt_port p;
	struct tt_port_conf c = small_conf;

	(void)state;
	c.no_tx_cksum_offload = true;
	assert_int_equal(tt_port_ring_pair_create(&pair, "noof", 2, 64, SOCKET_ID_ANY), 0);
	assert_int_equal(tt_port_init(&p, pair.port_id[0], &c), 0);
	assert_false(p.tx_ipv4_cksum);
	assert_false(p.tx_udp_cksum);
	tt_port_fini(&p);
	tt_port_ring_pair_destroy(&pair);
}

static void test_init_errors(void **state)
{
	struct tt_port_ring_pair pair;
	struct tt_port_conf c = small_conf;
	struct tt_port p;

	(void)state;
	assert_int_equal(tt_port_init(&p, RTE_MAX_ETHPORTS - 1, &c), -ENODEV);
	assert_int_equal(tt_port_ring_pair_create(&pair, "err", 1, 64, SOCKET_ID_ANY), 0);
	/* More queues than the ring port has. */
	assert_int_equal(tt_port_init(&p, pair.port_id[0], &c), -EINVAL);
	c.nb_rxq = 0;
	assert_int_equal(tt_port_init(&p, pair.port_id[0], &c), -EINVAL);
	c.nb_rxq = 1;
	c.nb_txq = 1;
	c.cache_size = RTE_MEMPOOL_CACHE_MAX_SIZE + 1;
	assert_int_equal(tt_port_init(&p, pair.port_id[0], &c), -EINVAL);
	/* A caller-supplied pool is used, not freed by fini. */
	c.cache_size = 0;
	c.pool = rte_pktmbuf_pool_create("errpool", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	assert_non_null(c.pool);
	assert_int_equal(tt_port_init(&p, pair.port_id[0], &c), 0);
	assert_ptr_equal(p.pool, c.pool);
	assert_false(p.pool_owned);
	tt_port_fini(&p);
	assert_ptr_equal(rte_mempool_lookup("errpool"), c.pool);
	rte_mempool_free(c.pool);
	tt_port_ring_pair_destroy(&pair);
}

static void test_ring_pair_errors(void **state)
{
	struct tt_port_ring_pair pair, again;

	(void)state;
	assert_int_equal(tt_port_ring_pair_create(&pair, "", 1, 64, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(tt_port_ring_pair_create(&pair, "x", 0, 64, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(
		tt_port_ring_pair_create(&pair, "x", TT_PORT_MAX_QUEUES + 1, 64, SOCKET_ID_ANY),
		-EINVAL);
	assert_int_equal(tt_port_ring_pair_create(&pair, "x", 1, 100, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(tt_port_ring_pair_create(&pair, "seventeen_chars_x", 1, 64, SOCKET_ID_ANY),
			 -EINVAL);
	/* A name in use fails and leaves nothing behind; the first pair still works. */
	assert_int_equal(tt_port_ring_pair_create(&pair, "dup", 1, 64, SOCKET_ID_ANY), 0);
	assert_int_equal(tt_port_ring_pair_create(&again, "dup", 1, 64, SOCKET_ID_ANY), -EEXIST);
	assert_true(rte_eth_dev_is_valid_port(pair.port_id[0]));
	assert_true(rte_eth_dev_is_valid_port(pair.port_id[1]));
	tt_port_ring_pair_destroy(&pair);
	assert_false(rte_eth_dev_is_valid_port(pair.port_id[0]));
	assert_false(rte_eth_dev_is_valid_port(pair.port_id[1]));
	assert_int_equal(tt_port_ring_pair_create(&pair, "dup", 1, 64, SOCKET_ID_ANY), 0);
	tt_port_ring_pair_destroy(&pair);
}

static int setup(void **state)
{
	(void)state;
	return tt_eal_test_init("port") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_size_formula),
		cmocka_unit_test_setup_teardown(test_init_reports_port, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_crossed_pair_both_ways, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_link_status, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tx_cksum_software, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tx_cksum_offload, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tx_cksum_rejects_non_udp, fixture_setup,
						fixture_teardown),
		cmocka_unit_test(test_no_offload_conf),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_ring_pair_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
