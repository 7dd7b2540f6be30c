/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for tt_pkt_parse_udp4 and tt_pkt_parse_arp with round-trip
 * oracles: an accepted frame rebuilds from its view and re-parses to the
 * same view and payload. Rejects leave the output untouched. Random bytes
 * almost never carry valid checksums, so each IPv4 input is also tried once
 * more with its checksums repaired, to reach the layers behind them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME_MAX (TT_PKT_UDP4_HDRS_LEN + TT_PKT_UDP4_MAX_PAYLOAD)

static uint8_t rebuilt[FRAME_MAX];
static uint8_t repaired[FRAME_MAX];

static void broke(const char *what)
{
	fprintf(stderr, "fuzz_pkt: oracle failed: %s\n", what);
	abort();
}

static bool same_view(const struct tt_pkt_view *a, const struct tt_pkt_view *b)
{
	return memcmp(a->eth_dst, b->eth_dst, 6) == 0 && memcmp(a->eth_src, b->eth_src, 6) == 0 &&
	       a->ethertype == b->ethertype && a->ip_src == b->ip_src && a->ip_dst == b->ip_dst &&
	       a->ttl == b->ttl && a->tos == b->tos && a->proto == b->proto &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       a->payload_len == b->payload_len &&
	       memcmp(a->payload, b->payload, a->payload_len) == 0;
}

static void udp4_round_trip(const uint8_t *data, size_t size)
{
	struct tt_pkt_view v1, v2, sentinel;
	struct tt_pkt_udp4_hdr h;
	enum tt_pkt_rx_reject r;
	size_t n;

	memset(&v1, 0x5a, sizeof(v1));
	memcpy(&sentinel, &v1, sizeof(v1));
	r = tt_pkt_parse_udp4(data, size, &v1);
	if (r >= TT_PKT_RX_REJECT_MAX)
		broke("udp4 reason out of range");
	if (r != TT_PKT_RX_OK) {
		if (memcmp(&v1, &sentinel, sizeof(v1)) != 0)
			broke("udp4 view written on reject");
		return;
	}
	if (v1.payload < data + TT_PKT_UDP4_HDRS_LEN || v1.payload + v1.payload_len > data + size)
		broke("payload outside the frame");

	memset(&h, 0, sizeof(h));
	memcpy(h.eth_dst, v1.eth_dst, 6);
	memcpy(h.eth_src, v1.eth_src, 6);
	h.ip_src = v1.ip_src;
	h.ip_dst = v1.ip_dst;
	h.ttl = v1.ttl;
	h.tos = v1.tos;
	h.src_port = v1.src_port;
	h.dst_port = v1.dst_port;
	n = tt_pkt_build_udp4(rebuilt, sizeof(rebuilt), &h, v1.payload, v1.payload_len);
	if (n != TT_PKT_UDP4_HDRS_LEN + v1.payload_len)
		broke("accepted frame does not rebuild");
	if (tt_pkt_parse_udp4(rebuilt, n, &v2) != TT_PKT_RX_OK || !same_view(&v1, &v2))
		broke("udp4 view changed across the round trip");
	/* Against the input's own bytes, so a lossy but stable parse shows:
	 * Ethernet header, TOS, TTL, protocol, addresses, ports (IHL 5 only:
	 * options shift the UDP header). */
	if ((data[TT_PKT_ETH_HDR_LEN] & 0x0f) == 5 &&
	    (memcmp(rebuilt, data, TT_PKT_ETH_HDR_LEN) != 0 || rebuilt[15] != data[15] ||
	     memcmp(rebuilt + 22, data + 22, 2) != 0 || memcmp(rebuilt + 26, data + 26, 12) != 0))
		broke("udp4 header bytes changed across the round trip");
	h.flags = TT_PKT_TX_UDP_CSUM_NONE;
	n = tt_pkt_build_udp4(rebuilt, sizeof(rebuilt), &h, v1.payload, v1.payload_len);
	if (tt_pkt_parse_udp4(rebuilt, n, &v2) != TT_PKT_RX_OK || !same_view(&v1, &v2))
		broke("udp4 round trip without checksum");
}

/* Copy an IPv4 frame and make its IPv4 checksum right and its UDP checksum
 * absent, where the header bounds allow. Returns the copy's length or 0. */
static size_t repair(const uint8_t *data, size_t size)
{
	uint8_t *ip = repaired + TT_PKT_ETH_HDR_LEN;
	size_t ihl;
	uint16_t c;

	if (size > sizeof(repaired) || tt_pkt_ethertype(data, size) != TT_PKT_ETHERTYPE_IPV4 ||
	    size < TT_PKT_ETH_HDR_LEN + TT_PKT_IP4_HDR_LEN)
		return 0;
	memcpy(repaired, data, size);
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < TT_PKT_IP4_HDR_LEN || TT_PKT_ETH_HDR_LEN + ihl > size)
		return 0;
	ip[10] = ip[11] = 0;
	c = tt_pkt_csum_finish(tt_pkt_csum_add(0, ip, ihl));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	if (TT_PKT_ETH_HDR_LEN + ihl + TT_PKT_UDP_HDR_LEN <= size)
		ip[ihl + 6] = ip[ihl + 7] = 0;
	return size;
}

static void arp_round_trip(const uint8_t *data, size_t size)
{
	struct tt_pkt_arp a1, a2, sentinel;
	uint8_t buf[TT_PKT_ARP_FRAME_LEN];
	enum tt_pkt_rx_reject r;

	memset(&a1, 0x5a, sizeof(a1));
	memcpy(&sentinel, &a1, sizeof(a1));
	r = tt_pkt_parse_arp(data, size, &a1);
	if (r >= TT_PKT_RX_REJECT_MAX)
		broke("arp reason out of range");
	if (r != TT_PKT_RX_OK) {
		if (memcmp(&a1, &sentinel, sizeof(a1)) != 0)
			broke("arp written on reject");
		return;
	}
	if (tt_pkt_build_arp(buf, sizeof(buf), &a1) != TT_PKT_ARP_FRAME_LEN)
		broke("accepted arp does not rebuild");
	/* Every byte of an accepted ARP frame is meaningful: exact copy. */
	if (memcmp(buf, data, TT_PKT_ARP_FRAME_LEN) != 0)
		broke("arp bytes changed across the round trip");
	if (tt_pkt_parse_arp(buf, sizeof(buf), &a2) != TT_PKT_RX_OK || a2.op != a1.op ||
	    a2.spa != a1.spa || a2.tpa != a1.tpa || memcmp(a2.sha, a1.sha, 6) != 0 ||
	    memcmp(a2.tha, a1.tha, 6) != 0)
		broke("arp fields changed across the round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, split;

	/* Chained checksum equals one-shot when the first chunk is even. */
	split = (size / 2) & ~(size_t)1;
	if (tt_pkt_csum_add(tt_pkt_csum_add(0, data, split), data + split, size - split) !=
	    tt_pkt_csum_add(0, data, size))
		broke("chained checksum");

	udp4_round_trip(data, size);
	arp_round_trip(data, size);
	n = repair(data, size);
	if (n != 0)
		udp4_round_trip(repaired, n);
	return 0;
}
