/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/neigh: the neighbour table on virtual time, without EAL (the table
 * is pure). Frames the table sends are captured by the tx callback and
 * parsed back with engine/pkt.h; received frames are built the same way.
 * Covers: configuration checks, answering ARP for our address, RFC 826
 * merge, resolution with retry then FAILED and late recovery, static
 * entries (fixed, conflicts ignored), per-entry ports, foreign and malformed
 * ARP counted, the hash with many entries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "neigh.h"
#include "pkt.h"

#define MY_IP	0x0a000001u /* 10.0.0.1 */
#define PEER_A	0x0a000002u
#define PEER_B	0x0a000003u
#define OTHER	0x0a0000feu
#define RETRY	(10 * TT_NS_PER_MS)
#define FRETRY	(100 * TT_NS_PER_MS)
#define TRIES	3
#define MAX_CAP 16

static const uint8_t mac0[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x11};
static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0xa0};
static const uint8_t mac_a2[6] = {0x02, 0, 0, 0, 0, 0xa2};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0xb0};

struct sent {
	uint16_t port;
	struct tt_pkt_arp arp;
	size_t len;
};

static struct sent cap[MAX_CAP];
static unsigned int n_cap;
static int tx_rc;

static int cap_tx(void *ctx, uint16_t port_idx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (tx_rc != 0)
		return tx_rc;
	assert_true(n_cap < MAX_CAP);
	cap[n_cap].port = port_idx;
	cap[n_cap].len = len;
	assert_int_equal(tt_pkt_parse_arp(frame, len, &cap[n_cap].arp), TT_PKT_RX_OK);
	n_cap++;
	return 0;
}

static void cfg_base(struct tt_neigh_config *c, const struct tt_neigh_entry_config *e, uint32_t n)
{
	memset(c, 0, sizeof(*c));
	c->my_ip = MY_IP;
	c->n_ports = 2;
	memcpy(c->port_mac[0], mac0, 6);
	memcpy(c->port_mac[1], mac1, 6);
	c->n_entries = n;
	c->entries = e;
	c->retry_ns = RETRY;
	c->max_tries = TRIES;
	c->failed_retry_ns = FRETRY;
	c->tx = cap_tx;
}

static int setup(void **state)
{
	(void)state;
	n_cap = 0;
	tx_rc = 0;
	return 0;
}

/* Build an ARP frame as a peer would send it. */
static size_t arp_frame(uint8_t *buf, uint16_t op, const uint8_t sha[6], uint32_t spa,
			const uint8_t tha[6], uint32_t tpa)
{
	struct tt_pkt_arp a;

	memset(&a, 0, sizeof(a));
	memset(a.eth_dst, 0xff, 6);
	memcpy(a.eth_src, sha, 6);
	a.op = op;
	memcpy(a.sha, sha, 6);
	a.spa = spa;
	if (tha != NULL)
		memcpy(a.tha, tha, 6);
	a.tpa = tpa;
	return tt_pkt_build_arp(buf, TT_PKT_ARP_FRAME_LEN, &a);
}

static void test_config_refused(void **state)
{
	struct tt_neigh_entry_config e[2] = {{.ip = PEER_A, .port_idx = TT_NEIGH_PORT_ANY},
					     {.ip = PEER_B, .port_idx = TT_NEIGH_PORT_ANY}};
	struct tt_neigh_config c;
	char err[160];

	(void)state;
	cfg_base(&c, e, 2);
	c.my_ip = 0;
	errno = 0;
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "my_ip"));

	cfg_base(&c, e, 2);
	c.n_ports = TT_NEIGH_MAX_PORTS + 1;
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "n_ports"));

	cfg_base(&c, e, 2);
	c.tx = NULL;
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "tx"));

	cfg_base(&c, e, 2);
	e[1].ip = PEER_A;
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "twice"));

	e[1].ip = MY_IP;
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "own address"));

	e[1].ip = PEER_B;
	e[1].port_idx = 2;
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "port_idx 2"));

	/* A static entry needs a unicast MAC and a port. */
	e[1].port_idx = 0;
	e[1].is_static = true;
	memset(e[1].mac, 0xff, 6);
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "unicast"));
	memcpy(e[1].mac, mac_b, 6);
	e[1].port_idx = TT_NEIGH_PORT_ANY;
	assert_null(tt_neigh_create(&c, 0, err, sizeof(err)));
	e[1].port_idx = 1;
	struct tt_neigh *n = tt_neigh_create(&c, 0, err, sizeof(err));
	assert_non_null(n);
	tt_neigh_destroy(n);
	assert_int_equal(n_cap, 0);
}

/* RFC 826: a request for our address is answered on its port, and merges the sender. */
static void test_answer_request(void **state)
{
	struct tt_neigh_entry_config e = {.ip = PEER_A, .port_idx = TT_NEIGH_PORT_ANY};
	struct tt_neigh_config c;
	struct tt_neigh_entry_info info;
	uint8_t f[TT_PKT_ARP_FRAME_LEN];
	const uint8_t *mac;
	uint16_t port = 99;
	struct tt_neigh *n;
	const uint64_t *ctr;
	size_t len;

	(void)state;
	cfg_base(&c, &e, 1);
	n = tt_neigh_create(&c, 0, NULL, 0);
	assert_non_null(n);
	ctr = tt_neigh_counters(n);
	assert_null(tt_neigh_resolve(n, 0, &port));

	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a, PEER_A, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 1, f, len, 5), TT_NEIGH_RX_OURS);
	assert_int_equal(n_cap, 1);
	assert_int_equal(cap[0].port, 1);
	assert_int_equal(cap[0].len, TT_PKT_ARP_FRAME_LEN);
	assert_int_equal(cap[0].arp.op, TT_PKT_ARP_REPLY);
	assert_memory_equal(cap[0].arp.eth_dst, mac_a, 6);
	assert_memory_equal(cap[0].arp.eth_src, mac1, 6);
	assert_memory_equal(cap[0].arp.sha, mac1, 6);
	assert_int_equal(cap[0].arp.spa, MY_IP);
	assert_memory_equal(cap[0].arp.tha, mac_a, 6);
	assert_int_equal(cap[0].arp.tpa, PEER_A);
	assert_int_equal(ctr[TT_NEIGH_C_REQ_RX], 1);
	assert_int_equal(ctr[TT_NEIGH_C_REPLY_TX], 1);

	/* The requester was in the table: learned, on the port it came in on. */
	mac = tt_neigh_resolve(n, 0, &port);
	assert_non_null(mac);
	assert_memory_equal(mac, mac_a, 6);
	assert_int_equal(port, 1);
	assert_int_equal(ctr[TT_NEIGH_C_LEARNED], 1);
	assert_int_equal(tt_neigh_entry_get(n, 0, &info), 0);
	assert_int_equal(info.state, TT_NEIGH_S_REACHABLE);
	tt_ns_t d;
	assert_false(tt_neigh_next_deadline(n, &d));

	/* A request for someone else: not answered, counted, not an error. */
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_b, PEER_B, NULL, OTHER);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 6), TT_NEIGH_RX_NOT_OURS);
	assert_int_equal(n_cap, 1);
	assert_int_equal(ctr[TT_NEIGH_C_NOT_OURS], 1);

	/* A requester not in the table is answered but not learned. */
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_b, PEER_B, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 7), TT_NEIGH_RX_OURS);
	assert_int_equal(n_cap, 2);
	assert_memory_equal(cap[1].arp.eth_dst, mac_b, 6);
	assert_memory_equal(cap[1].arp.sha, mac0, 6);
	assert_int_equal(tt_neigh_find(n, PEER_B), -ENOENT);
	assert_int_equal(ctr[TT_NEIGH_C_LEARNED], 1);

	/* The peer moves (new MAC, other port): updated. */
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a2, PEER_A, NULL, OTHER);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 8), TT_NEIGH_RX_NOT_OURS);
	mac = tt_neigh_resolve(n, 0, &port);
	assert_memory_equal(mac, mac_a2, 6);
	assert_int_equal(port, 0);
	assert_int_equal(ctr[TT_NEIGH_C_UPDATED], 1);

	/* A refused transmission is counted. */
	tx_rc = -ENOBUFS;
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a2, PEER_A, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 9), TT_NEIGH_RX_OURS);
	assert_int_equal(ctr[TT_NEIGH_C_TX_FAILED], 1);
	assert_int_equal(ctr[TT_NEIGH_C_REPLY_TX], 2);
	tt_neigh_destroy(n);
}

/* Requests every retry_ns, max_tries of them, then FAILED with slow probes; a late reply. */
static void test_resolve_retry(void **state)
{
	struct tt_neigh_entry_config e[2] = {{.ip = PEER_A, .port_idx = TT_NEIGH_PORT_ANY},
					     {.ip = PEER_B, .port_idx = 1}};
	struct tt_neigh_config c;
	struct tt_neigh_entry_info info;
	uint8_t f[TT_PKT_ARP_FRAME_LEN];
	const uint64_t *ctr;
	struct tt_neigh *n;
	uint16_t port;
	tt_ns_t t0 = 1000, d;
	size_t len;

	(void)state;
	cfg_base(&c, e, 2);
	n = tt_neigh_create(&c, t0, NULL, 0);
	assert_non_null(n);
	ctr = tt_neigh_counters(n);
	assert_true(tt_neigh_next_deadline(n, &d));
	assert_int_equal(d, t0);
	assert_int_equal(tt_neigh_poll(n, t0 - 1), 0);
	assert_int_equal(n_cap, 0);

	/* First round: PEER_A on both ports, PEER_B only on its port 1. */
	assert_int_equal(tt_neigh_poll(n, t0), 2);
	assert_int_equal(n_cap, 3);
	assert_int_equal(cap[0].port, 0);
	assert_int_equal(cap[1].port, 1);
	assert_int_equal(cap[2].port, 1);
	assert_int_equal(cap[0].arp.op, TT_PKT_ARP_REQUEST);
	assert_int_equal(cap[0].arp.tpa, PEER_A);
	assert_int_equal(cap[0].arp.spa, MY_IP);
	assert_memory_equal(cap[0].arp.sha, mac0, 6);
	assert_memory_equal(cap[1].arp.sha, mac1, 6);
	assert_int_equal(cap[2].arp.tpa, PEER_B);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_memory_equal(cap[0].arp.eth_dst, bcast, 6);
	assert_int_equal(ctr[TT_NEIGH_C_REQ_TX], 3);
	assert_true(tt_neigh_next_deadline(n, &d));
	assert_int_equal(d, t0 + RETRY);
	assert_int_equal(tt_neigh_poll(n, t0 + RETRY - 1), 0);
	assert_int_equal(n_cap, 3);

	/* PEER_B answers after the first request. */
	len = arp_frame(f, TT_PKT_ARP_REPLY, mac_b, PEER_B, mac1, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 1, f, len, t0 + 5), TT_NEIGH_RX_OURS);
	assert_int_equal(ctr[TT_NEIGH_C_REPLY_RX], 1);
	assert_non_null(tt_neigh_resolve(n, 1, &port));
	assert_int_equal(port, 1);

	/* Tries 2 and 3 for PEER_A only. */
	for (unsigned int k = 1; k < TRIES; k++) {
		n_cap = 0;
		assert_int_equal(tt_neigh_poll(n, t0 + k * RETRY), 1);
		assert_int_equal(n_cap, 2);
		assert_int_equal(cap[0].arp.tpa, PEER_A);
	}
	assert_int_equal(tt_neigh_entry_get(n, 0, &info), 0);
	assert_int_equal(info.state, TT_NEIGH_S_INCOMPLETE);
	assert_int_equal(info.tries, TRIES);
	assert_int_equal(ctr[TT_NEIGH_C_RESOLVE_FAILED], 0);

	/* Unanswered: FAILED, and probed again every failed_retry_ns. */
	n_cap = 0;
	assert_int_equal(tt_neigh_poll(n, t0 + TRIES * RETRY), 1);
	assert_int_equal(tt_neigh_entry_get(n, 0, &info), 0);
	assert_int_equal(info.state, TT_NEIGH_S_FAILED);
	assert_int_equal(ctr[TT_NEIGH_C_RESOLVE_FAILED], 1);
	assert_null(tt_neigh_resolve(n, 0, &port));
	assert_true(tt_neigh_next_deadline(n, &d));
	assert_int_equal(d, t0 + TRIES * RETRY + FRETRY);
	assert_int_equal(tt_neigh_poll(n, t0 + TRIES * RETRY + RETRY), 0);
	assert_int_equal(tt_neigh_poll(n, t0 + TRIES * RETRY + FRETRY), 1);
	assert_int_equal(ctr[TT_NEIGH_C_RESOLVE_FAILED], 1);

	/* A late reply recovers it. */
	len = arp_frame(f, TT_PKT_ARP_REPLY, mac_a, PEER_A, mac0, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, t0 + 1), TT_NEIGH_RX_OURS);
	assert_non_null(tt_neigh_resolve(n, 0, &port));
	assert_int_equal(port, 0);
	assert_int_equal(ctr[TT_NEIGH_C_LEARNED], 2);
	assert_false(tt_neigh_next_deadline(n, &d));
	n_cap = 0;
	assert_int_equal(tt_neigh_poll(n, t0 + 100 * FRETRY), 0);
	assert_int_equal(n_cap, 0);
	tt_neigh_destroy(n);
}

/* Static entries resolve at once, are never asked for, and ARP cannot change them. */
static void test_static(void **state)
{
	struct tt_neigh_entry_config e = {.ip = PEER_A, .is_static = true, .port_idx = 1};
	struct tt_neigh_config c;
	uint8_t f[TT_PKT_ARP_FRAME_LEN];
	const uint8_t *mac;
	struct tt_neigh *n;
	uint16_t port;
	tt_ns_t d;
	size_t len;

	(void)state;
	memcpy(e.mac, mac_a, 6);
	cfg_base(&c, &e, 1);
	n = tt_neigh_create(&c, 0, NULL, 0);
	assert_non_null(n);
	mac = tt_neigh_resolve(n, 0, &port);
	assert_non_null(mac);
	assert_memory_equal(mac, mac_a, 6);
	assert_int_equal(port, 1);
	assert_false(tt_neigh_next_deadline(n, &d));
	assert_int_equal(tt_neigh_poll(n, 0), 0);
	assert_int_equal(tt_neigh_poll(n, 10 * FRETRY), 0);
	assert_int_equal(n_cap, 0);

	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a2, PEER_A, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 1), TT_NEIGH_RX_OURS);
	assert_int_equal(tt_neigh_counters(n)[TT_NEIGH_C_STATIC_CONFLICT], 1);
	mac = tt_neigh_resolve(n, 0, &port);
	assert_memory_equal(mac, mac_a, 6);
	assert_int_equal(port, 1);
	/* Same MAC: no conflict. */
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a, PEER_A, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 1, f, len, 2), TT_NEIGH_RX_OURS);
	assert_int_equal(tt_neigh_counters(n)[TT_NEIGH_C_STATIC_CONFLICT], 1);
	assert_int_equal(tt_neigh_counters(n)[TT_NEIGH_C_REPLY_TX], 2);
	assert_null(tt_neigh_resolve(n, 1, &port));
	tt_neigh_destroy(n);
}

/* Malformed ARP, a multicast sender, a bad port: counted, never answered or learned. */
static void test_malformed(void **state)
{
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	struct tt_neigh_entry_config e = {.ip = PEER_A, .port_idx = TT_NEIGH_PORT_ANY};
	struct tt_neigh_config c;
	uint8_t f[TT_PKT_ARP_FRAME_LEN + 8];
	struct tt_neigh *n;
	uint16_t port;
	size_t len;

	(void)state;
	cfg_base(&c, &e, 1);
	n = tt_neigh_create(&c, 0, NULL, 0);
	assert_non_null(n);
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a, PEER_A, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len - 1, 1), TT_NEIGH_RX_MALFORMED);
	assert_int_equal(tt_neigh_rx_arp(n, 2, f, len, 1), TT_NEIGH_RX_MALFORMED);
	f[14] = 0x01; /* hardware type 0x0101 */
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 1), TT_NEIGH_RX_MALFORMED);
	len = arp_frame(f, 7, mac_a, PEER_A, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 1), TT_NEIGH_RX_MALFORMED);
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mcast, PEER_A, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 1), TT_NEIGH_RX_MALFORMED);
	assert_int_equal(tt_neigh_counters(n)[TT_NEIGH_C_MALFORMED], 5);
	assert_int_equal(n_cap, 0);
	assert_null(tt_neigh_resolve(n, 0, &port));
	/* Padding after the ARP body (a 60-byte minimum frame) is fine. */
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a, PEER_A, NULL, MY_IP);
	memset(f + len, 0, 8);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len + 8, 1), TT_NEIGH_RX_OURS);
	assert_int_equal(n_cap, 1);
	/* An address probe (sender 0.0.0.0, RFC 5227) is answered, never merged. */
	len = arp_frame(f, TT_PKT_ARP_REQUEST, mac_a, 0, NULL, MY_IP);
	assert_int_equal(tt_neigh_rx_arp(n, 0, f, len, 1), TT_NEIGH_RX_OURS);
	assert_int_equal(n_cap, 2);
	assert_int_equal(cap[1].arp.tpa, 0);
	assert_int_equal(tt_neigh_counters(n)[TT_NEIGH_C_LEARNED], 1);
	assert_string_equal(tt_neigh_state_name(TT_NEIGH_S_FAILED), "failed");
	assert_string_equal(tt_neigh_state_name(TT_NEIGH_S_MAX), "?");
	assert_string_equal(tt_neigh_ctr_name(TT_NEIGH_C_MAX), "?");
	tt_neigh_destroy(n);
}

/* Many entries: every address is found at its index, unknown ones are not. */
static void test_many_entries(void **state)
{
	enum { N = 3000 };
	static struct tt_neigh_entry_config e[N];
	struct tt_neigh_config c;
	struct tt_neigh *n;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		e[i].ip = 0x0b000000u + i * 7u + 1u;
		e[i].port_idx = TT_NEIGH_PORT_ANY;
	}
	cfg_base(&c, e, N);
	n = tt_neigh_create(&c, 0, NULL, 0);
	assert_non_null(n);
	assert_int_equal(tt_neigh_count(n), N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(tt_neigh_find(n, e[i].ip), (int)i);
	assert_int_equal(tt_neigh_find(n, 0x0b000000u), -ENOENT);
	assert_int_equal(tt_neigh_find(n, MY_IP), -ENOENT);
	struct tt_neigh_entry_info info;
	assert_int_equal(tt_neigh_entry_get(n, N, &info), -ENOENT);
	tt_neigh_destroy(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config_refused, setup),
		cmocka_unit_test_setup(test_answer_request, setup),
		cmocka_unit_test_setup(test_resolve_retry, setup),
		cmocka_unit_test_setup(test_static, setup),
		cmocka_unit_test_setup(test_malformed, setup),
		cmocka_unit_test_setup(test_many_entries, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
