/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet/IPv4/UDP and ARP: checksum vectors computed by hand, round trips,
 * every receive reject reason, offload flags, ARP request and reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pkt.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint8_t mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

static struct tt_pkt_udp4_hdr base_hdr(void)
{
	struct tt_pkt_udp4_hdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.eth_dst, mac_b, 6);
	memcpy(h.eth_src, mac_a, 6);
	h.ip_src = IP(10, 0, 0, 1);
	h.ip_dst = IP(10, 0, 0, 2);
	h.ttl = 255;
	h.tos = 0xb8;
	h.ip_id = 0x1234;
	h.dont_fragment = true;
	h.src_port = 49152;
	h.dst_port = 3784;
	return h;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Recompute the IPv4 header checksum after a test edits the header. */
static void fix_ip_csum(uint8_t *frame)
{
	uint8_t *ip = frame + TT_PKT_ETH_HDR_LEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = tt_pkt_csum_finish(tt_pkt_csum_add(0, ip, ihl));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/* A valid frame with a 24-byte payload; returns its length. */
static size_t good_frame(uint8_t *buf, size_t cap)
{
	struct tt_pkt_udp4_hdr h = base_hdr();
	unsigned int i;

	for (i = 0; i < 24; i++)
		tt_pkt_udp4_payload(buf)[i] = (uint8_t)(i * 7);
	return tt_pkt_udp4_finish(buf, cap, &h, 24);
}

static void expect_reject(const uint8_t *frame, size_t len, enum tt_pkt_rx_reject want)
{
	struct tt_pkt_view v, before;

	memset(&v, 0x5a, sizeof(v));
	memcpy(&before, &v, sizeof(v));
	assert_string_equal(tt_pkt_rx_reject_name(tt_pkt_parse_udp4(frame, len, &v)),
			    tt_pkt_rx_reject_name(want));
	assert_memory_equal(&v, &before, sizeof(v));
}

static void test_csum_rfc1071_vector(void **state)
{
	/* RFC 1071 §3 example: 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded
	 * ddf2, complemented 220d. */
	static const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint32_t s;

	(void)state;
	assert_int_equal(tt_pkt_csum_add(0, bytes, sizeof(bytes)), 0xddf2);
	assert_int_equal(tt_pkt_csum_finish(tt_pkt_csum_add(0, bytes, sizeof(bytes))), 0x220d);
	/* Chained sums of even chunks equal the one-shot sum. */
	s = tt_pkt_csum_add(0, bytes, 2);
	s = tt_pkt_csum_add(s, bytes + 2, 4);
	s = tt_pkt_csum_add(s, bytes + 6, 2);
	assert_int_equal(s, 0xddf2);
	/* An odd last byte is the high half of a zero-padded word. */
	assert_int_equal(tt_pkt_csum_add(0, bytes + 1, 3), 0x01f2 + 0x0300);
	assert_int_equal(tt_pkt_csum_finish(0), 0xffff);
	assert_int_equal(tt_pkt_csum_finish(0xffff), 0);
}

/* RFC 1071 §4.1 word by word, the definition the fast sum must agree with. */
static uint32_t csum_ref(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/*
 * The sum over native words equals the definition for every length 0..300,
 * every alignment, any incoming partial sum, all-zero and all-0xff data
 * (the two representations of zero) and seeded random bytes.
 */
static void test_csum_matches_definition(void **state)
{
	uint8_t buf[304 + 3];
	uint64_t rng = 12345;

	(void)state;
	for (int pattern = 0; pattern < 3; pattern++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = pattern == 0 ? 0 : pattern == 1 ? 0xff : (uint8_t)(rng >> 56);
		}
		for (size_t off = 0; off < 4; off++)
			for (size_t len = 0; len <= 300; len++)
				for (uint32_t sum = 0; sum <= 0xffff; sum += 0x7fff)
					assert_int_equal(tt_pkt_csum_add(sum, buf + off, len),
							 csum_ref(sum, buf + off, len));
	}
}

static void test_ip_csum_vector(void **state)
{
	struct tt_pkt_udp4_hdr h;
	uint8_t buf[256];
	size_t n;

	(void)state;
	/*
	 * The classic header 4500 0073 0000 4000 4011 xxxx c0a8 0001 c0a8 00c7:
	 * 4500+0073+0000+4000+4011+c0a8+0001+c0a8+00c7 = 2479c; fold 479c + 2
	 * = 479e; complement b861. Total Length 0x73 = 115 = 20 + 8 + 87.
	 */
	memset(&h, 0, sizeof(h));
	h.ip_src = IP(192, 168, 0, 1);
	h.ip_dst = IP(192, 168, 0, 199);
	h.ttl = 64;
	h.dont_fragment = true;
	memset(tt_pkt_udp4_payload(buf), 0, 87);
	n = tt_pkt_udp4_finish(buf, sizeof(buf), &h, 87);
	assert_int_equal(n, 14 + 115);
	assert_int_equal(be16(buf + 14 + 10), 0xb861);
}

static void test_udp_csum_vector(void **state)
{
	struct tt_pkt_udp4_hdr h = base_hdr();
	static const uint8_t payload[] = {0x01, 0x02, 0x03, 0x04};
	uint8_t buf[64];
	uint8_t *udp = buf + 34;

	(void)state;
	/*
	 * 10.0.0.1 -> 10.0.0.2, 49152 -> 3784, 4-byte payload 01020304.
	 * Pseudo-header 0a00+0001+0a00+0002+0011+000c = 1420; UDP header
	 * c000+0ec8+000c+0000 and data 0102+0304: total e6fa; complement 1905.
	 */
	assert_int_equal(tt_pkt_build_udp4(buf, sizeof(buf), &h, payload, 4), 46);
	assert_int_equal(be16(udp + 4), 12);
	assert_int_equal(be16(udp + 6), 0x1905);

	/* Offload: IP checksum 0, UDP field seeded with the pseudo sum 1420.
	 * A NIC completing it (complement of the sum over the segment) gets
	 * the same 1905. */
	h.flags = TT_PKT_TX_IP_CSUM_OFFLOAD | TT_PKT_TX_UDP_CSUM_OFFLOAD;
	assert_int_equal(tt_pkt_build_udp4(buf, sizeof(buf), &h, payload, 4), 46);
	assert_int_equal(be16(buf + 14 + 10), 0);
	assert_int_equal(be16(udp + 6), 0x1420);
	assert_int_equal(tt_pkt_csum_finish(tt_pkt_csum_add(0, udp, 12)), 0x1905);

	/* No checksum: field 0, and the parser accepts it. */
	h.flags = TT_PKT_TX_UDP_CSUM_NONE;
	assert_int_equal(tt_pkt_build_udp4(buf, sizeof(buf), &h, payload, 4), 46);
	assert_int_equal(be16(udp + 6), 0);
	assert_int_equal(tt_pkt_parse_udp4(buf, 46, &(struct tt_pkt_view){0}), TT_PKT_RX_OK);
}

static void test_udp_csum_zero_sent_as_ones(void **state)
{
	struct tt_pkt_udp4_hdr h = base_hdr();
	/* Pseudo 141e (Length 10) + c000+0ec8+000a = e2f0; data 1d0f makes
	 * the sum ffff, whose complement 0 must go out as ffff (RFC 768). */
	static const uint8_t payload[] = {0x1d, 0x0f};
	struct tt_pkt_view v;
	uint8_t buf[64];

	(void)state;
	assert_int_equal(tt_pkt_build_udp4(buf, sizeof(buf), &h, payload, 2), 44);
	assert_int_equal(be16(buf + 34 + 6), 0xffff);
	assert_int_equal(tt_pkt_parse_udp4(buf, 44, &v), TT_PKT_RX_OK);
	assert_int_equal(v.payload_len, 2);
}

static void test_udp4_round_trip(void **state)
{
	struct tt_pkt_udp4_hdr h = base_hdr();
	uint8_t buf[128], copy[128];
	struct tt_pkt_view v;
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	assert_int_equal(n, 42 + 24);
	assert_int_equal(tt_pkt_ethertype(buf, n), TT_PKT_ETHERTYPE_IPV4);
	assert_int_equal(tt_pkt_parse_udp4(buf, n, &v), TT_PKT_RX_OK);
	assert_memory_equal(v.eth_dst, mac_b, 6);
	assert_memory_equal(v.eth_src, mac_a, 6);
	assert_int_equal(v.ethertype, TT_PKT_ETHERTYPE_IPV4);
	assert_int_equal(v.ip_src, IP(10, 0, 0, 1));
	assert_int_equal(v.ip_dst, IP(10, 0, 0, 2));
	assert_int_equal(v.ttl, 255);
	assert_int_equal(v.tos, 0xb8);
	assert_int_equal(v.proto, TT_PKT_IPPROTO_UDP);
	assert_int_equal(v.src_port, 49152);
	assert_int_equal(v.dst_port, 3784);
	assert_ptr_equal(v.payload, buf + 42);
	assert_int_equal(v.payload_len, 24);
	assert_int_equal(v.payload[23], 23 * 7);
	/* Fixed header bytes: IHL 5, id, DF, protocol. */
	assert_int_equal(buf[14], 0x45);
	assert_int_equal(be16(buf + 18), 0x1234);
	assert_int_equal(be16(buf + 20), 0x4000);
	assert_int_equal(buf[23], 17);

	/* The copying builder makes the same bytes. */
	assert_int_equal(tt_pkt_build_udp4(copy, sizeof(copy), &h, buf + 42, 24), n);
	assert_memory_equal(copy, buf, n);
	/* Empty payload. */
	assert_int_equal(tt_pkt_build_udp4(copy, sizeof(copy), &h, NULL, 0), 42);
	assert_int_equal(tt_pkt_parse_udp4(copy, 42, &v), TT_PKT_RX_OK);
	assert_int_equal(v.payload_len, 0);
}

static void test_udp4_build_limits(void **state)
{
	struct tt_pkt_udp4_hdr h = base_hdr();
	uint8_t buf[64], zero[64];

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(tt_pkt_udp4_finish(buf, 42 + 9, &h, 10), 0);
	assert_int_equal(tt_pkt_udp4_finish(buf, 41, &h, 0), 0);
	assert_int_equal(tt_pkt_udp4_finish(buf, (size_t)-1, &h, TT_PKT_UDP4_MAX_PAYLOAD + 1), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	assert_int_equal(tt_pkt_udp4_finish(buf, 42 + 10, &h, 10), 52);
}

static void test_udp4_max_payload(void **state)
{
	static uint8_t buf[TT_PKT_UDP4_HDRS_LEN + TT_PKT_UDP4_MAX_PAYLOAD];
	struct tt_pkt_udp4_hdr h = base_hdr();
	struct tt_pkt_view v;
	size_t n;

	(void)state;
	memset(tt_pkt_udp4_payload(buf), 0xff, TT_PKT_UDP4_MAX_PAYLOAD);
	n = tt_pkt_udp4_finish(buf, sizeof(buf), &h, TT_PKT_UDP4_MAX_PAYLOAD);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(be16(buf + 16), 65535);
	assert_int_equal(tt_pkt_parse_udp4(buf, n, &v), TT_PKT_RX_OK);
	assert_int_equal(v.payload_len, TT_PKT_UDP4_MAX_PAYLOAD);
}

static void test_parse_ip_options_and_padding(void **state)
{
	uint8_t buf[128], opt[128];
	struct tt_pkt_view v;
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	/* IHL 6: insert 4 option bytes (NOP x4) after the 20-byte header. */
	memcpy(opt, buf, 34);
	memset(opt + 34, 1, 4);
	memcpy(opt + 38, buf + 34, n - 34);
	opt[14] = 0x46;
	opt[17] = (uint8_t)(opt[17] + 4); /* Total Length */
	fix_ip_csum(opt);
	assert_int_equal(tt_pkt_parse_udp4(opt, n + 4, &v), TT_PKT_RX_OK);
	assert_ptr_equal(v.payload, opt + 46);
	assert_int_equal(v.payload_len, 24);
	assert_int_equal(v.dst_port, 3784);

	/* Ethernet padding after Total Length is ignored. */
	memset(buf + n, 0, 10);
	assert_int_equal(tt_pkt_parse_udp4(buf, n + 10, &v), TT_PKT_RX_OK);
	assert_int_equal(v.payload_len, 24);
}

static void test_parse_udp_length_shorter_than_ip(void **state)
{
	uint8_t buf[128];
	struct tt_pkt_view v;
	size_t n;

	(void)state;
	/* UDP Length below the IPv4 payload: the rest is not UDP data. The
	 * checksum covers UDP Length bytes, so rebuild it for 8 + 20. */
	n = good_frame(buf, sizeof(buf));
	{
		struct tt_pkt_udp4_hdr h = base_hdr();
		uint8_t tmp[128];

		memcpy(tmp, buf, n);
		assert_int_equal(tt_pkt_udp4_finish(tmp, sizeof(tmp), &h, 20), 62);
		memcpy(buf + 34, tmp + 34, 8); /* UDP header for 20 bytes */
	}
	assert_int_equal(tt_pkt_parse_udp4(buf, n, &v), TT_PKT_RX_OK);
	assert_int_equal(v.payload_len, 20);
}

static void test_reject_truncated(void **state)
{
	uint8_t buf[128];

	(void)state;
	good_frame(buf, sizeof(buf));
	expect_reject(buf, 0, TT_PKT_RX_TRUNCATED);
	expect_reject(buf, 13, TT_PKT_RX_TRUNCATED);
	expect_reject(buf, 14 + 19, TT_PKT_RX_TRUNCATED);
	assert_int_equal(tt_pkt_ethertype(buf, 13), 0);
}

static void test_reject_foreign(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	buf[12] = 0x86;
	buf[13] = 0xdd;
	expect_reject(buf, n, TT_PKT_RX_FOREIGN);
	buf[12] = 0x08;
	buf[13] = 0x06;
	expect_reject(buf, n, TT_PKT_RX_FOREIGN);
	buf[12] = 0x81;
	buf[13] = 0x00;
	expect_reject(buf, n, TT_PKT_RX_FOREIGN);
	/* Foreign is decided on the Ethernet header alone. */
	expect_reject(buf, 14, TT_PKT_RX_FOREIGN);
}

static void test_reject_ip_version(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	buf[14] = 0x65;
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_IP_VERSION);
}

static void test_reject_ip_ihl(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	buf[14] = 0x44;
	expect_reject(buf, n, TT_PKT_RX_IP_IHL);
	buf[14] = 0x40;
	expect_reject(buf, n, TT_PKT_RX_IP_IHL);
	/* IHL 15 = 60 bytes, beyond a 14 + 40 frame. */
	buf[14] = 0x4f;
	expect_reject(buf, 54, TT_PKT_RX_IP_IHL);
}

static void test_reject_ip_total_len(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	/* Beyond the frame. */
	buf[16] = 0;
	buf[17] = (uint8_t)(n - 14 + 1);
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_IP_TOTAL_LEN);
	/* Below the header. */
	buf[17] = 19;
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_IP_TOTAL_LEN);
}

static void test_reject_ip_checksum(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	buf[14 + 8] = 254; /* TTL changed, checksum not */
	expect_reject(buf, n, TT_PKT_RX_IP_CHECKSUM);
	fix_ip_csum(buf);
	assert_int_equal(tt_pkt_parse_udp4(buf, n, &(struct tt_pkt_view){0}), TT_PKT_RX_OK);
	buf[14 + 11] ^= 1;
	expect_reject(buf, n, TT_PKT_RX_IP_CHECKSUM);
}

static void test_reject_ip_fragment(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	buf[20] = 0x20; /* MF */
	buf[21] = 0;
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_IP_FRAGMENT);
	buf[20] = 0x00; /* last fragment: offset 8 */
	buf[21] = 0x01;
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_IP_FRAGMENT);
	buf[20] = 0x40; /* DF alone is not a fragment */
	buf[21] = 0;
	fix_ip_csum(buf);
	assert_int_equal(tt_pkt_parse_udp4(buf, n, &(struct tt_pkt_view){0}), TT_PKT_RX_OK);
}

static void test_reject_not_udp(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	buf[14 + 9] = 6;
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_NOT_UDP);
}

static void test_reject_udp_length(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	/* UDP Length beyond the IPv4 payload (20 + 8 + 24). */
	buf[38] = 0;
	buf[39] = 33;
	expect_reject(buf, n, TT_PKT_RX_UDP_LENGTH);
	/* Below the UDP header. */
	buf[39] = 7;
	expect_reject(buf, n, TT_PKT_RX_UDP_LENGTH);
	/* IPv4 payload too short for a UDP header at all. */
	buf[16] = 0;
	buf[17] = 27;
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_UDP_LENGTH);
}

static void test_reject_udp_checksum(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = good_frame(buf, sizeof(buf));
	buf[50] ^= 0x40; /* payload bit */
	expect_reject(buf, n, TT_PKT_RX_UDP_CHECKSUM);
	buf[50] ^= 0x40;
	buf[29] ^= 1; /* IP source: the pseudo-header is covered */
	fix_ip_csum(buf);
	expect_reject(buf, n, TT_PKT_RX_UDP_CHECKSUM);
}

static void test_arp_request(void **state)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[6] = {0};
	/* RFC 826 layout by hand. */
	/* clang-format off */
	static const uint8_t want[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* broadcast */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,	/* source MAC */
		0x08, 0x06,				/* ethertype ARP */
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04,	/* htype 1, ptype IPv4, 6, 4 */
		0x00, 0x01,				/* op request */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,	/* sha */
		10, 0, 0, 1,				/* spa */
		0, 0, 0, 0, 0, 0,			/* tha: unknown */
		10, 0, 0, 2,				/* tpa */
	};
	/* clang-format on */
	struct tt_pkt_arp a, p;
	uint8_t buf[64];

	(void)state;
	tt_pkt_arp_request(&a, mac_a, IP(10, 0, 0, 1), IP(10, 0, 0, 2));
	assert_memory_equal(a.eth_dst, bcast, 6);
	assert_memory_equal(a.tha, zero, 6);
	assert_int_equal(tt_pkt_build_arp(buf, sizeof(buf), &a), 42);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(tt_pkt_ethertype(buf, 42), TT_PKT_ETHERTYPE_ARP);
	assert_int_equal(tt_pkt_parse_arp(buf, 42, &p), TT_PKT_RX_OK);
	assert_int_equal(p.op, TT_PKT_ARP_REQUEST);
	assert_memory_equal(p.eth_dst, bcast, 6);
	assert_memory_equal(p.eth_src, mac_a, 6);
	assert_memory_equal(p.sha, mac_a, 6);
	assert_int_equal(p.spa, IP(10, 0, 0, 1));
	assert_memory_equal(p.tha, zero, 6);
	assert_int_equal(p.tpa, IP(10, 0, 0, 2));
	/* The UDP parser leaves ARP to this one. */
	expect_reject(buf, 42, TT_PKT_RX_FOREIGN);
}

static void test_arp_reply(void **state)
{
	struct tt_pkt_arp req, rep, p;
	uint8_t buf[64];

	(void)state;
	tt_pkt_arp_request(&req, mac_a, IP(10, 0, 0, 1), IP(10, 0, 0, 2));
	tt_pkt_arp_reply(&rep, &req, mac_b);
	assert_int_equal(tt_pkt_build_arp(buf, sizeof(buf), &rep), 42);
	/* Padded to the 60-byte Ethernet minimum: padding ignored. */
	memset(buf + 42, 0, 18);
	assert_int_equal(tt_pkt_parse_arp(buf, 60, &p), TT_PKT_RX_OK);
	assert_int_equal(p.op, TT_PKT_ARP_REPLY);
	assert_memory_equal(p.eth_dst, mac_a, 6);
	assert_memory_equal(p.eth_src, mac_b, 6);
	assert_memory_equal(p.sha, mac_b, 6);
	assert_int_equal(p.spa, IP(10, 0, 0, 2));
	assert_memory_equal(p.tha, mac_a, 6);
	assert_int_equal(p.tpa, IP(10, 0, 0, 1));
	assert_int_equal(be16(buf + 20), 2);

	/* In place: reply may alias the request. */
	tt_pkt_arp_reply(&req, &req, mac_b);
	assert_int_equal(req.op, TT_PKT_ARP_REPLY);
	assert_memory_equal(req.eth_dst, mac_a, 6);
	assert_memory_equal(req.sha, mac_b, 6);
	assert_int_equal(req.spa, IP(10, 0, 0, 2));
	assert_memory_equal(req.tha, mac_a, 6);
	assert_int_equal(req.tpa, IP(10, 0, 0, 1));
}

static void expect_arp_reject(const uint8_t *frame, size_t len, enum tt_pkt_rx_reject want)
{
	struct tt_pkt_arp a, before;

	memset(&a, 0x5a, sizeof(a));
	memcpy(&before, &a, sizeof(a));
	assert_string_equal(tt_pkt_rx_reject_name(tt_pkt_parse_arp(frame, len, &a)),
			    tt_pkt_rx_reject_name(want));
	assert_memory_equal(&a, &before, sizeof(a));
}

static void test_arp_rejects(void **state)
{
	struct tt_pkt_arp a;
	uint8_t buf[128];

	(void)state;
	tt_pkt_arp_request(&a, mac_a, IP(10, 0, 0, 1), IP(10, 0, 0, 2));
	tt_pkt_build_arp(buf, sizeof(buf), &a);
	expect_arp_reject(buf, 13, TT_PKT_RX_TRUNCATED);
	expect_arp_reject(buf, 41, TT_PKT_RX_TRUNCATED);
	buf[15] = 6; /* htype IEEE 802 */
	expect_arp_reject(buf, 42, TT_PKT_RX_ARP_FORMAT);
	buf[15] = 1;
	buf[16] = 0x86; /* ptype IPv6 */
	buf[17] = 0xdd;
	expect_arp_reject(buf, 42, TT_PKT_RX_ARP_FORMAT);
	buf[16] = 0x08;
	buf[17] = 0x00;
	buf[18] = 8; /* hlen */
	expect_arp_reject(buf, 42, TT_PKT_RX_ARP_FORMAT);
	buf[18] = 6;
	buf[19] = 16; /* plen */
	expect_arp_reject(buf, 42, TT_PKT_RX_ARP_FORMAT);
	buf[19] = 4;
	buf[21] = 3; /* RARP request */
	expect_arp_reject(buf, 42, TT_PKT_RX_ARP_OP);
	buf[21] = 0;
	expect_arp_reject(buf, 42, TT_PKT_RX_ARP_OP);
	buf[21] = 1;
	assert_int_equal(tt_pkt_parse_arp(buf, 42, &a), TT_PKT_RX_OK);
	/* An IPv4 frame is foreign to the ARP parser. */
	assert_int_equal(good_frame(buf, sizeof(buf)), 66);
	expect_arp_reject(buf, 66, TT_PKT_RX_FOREIGN);
	/* Build needs room for the whole frame. */
	assert_int_equal(tt_pkt_build_arp(buf, 41, &a), 0);
}

static void test_names(void **state)
{
	unsigned int i, j;

	(void)state;
	assert_string_equal(tt_pkt_rx_reject_name(TT_PKT_RX_OK), "OK");
	assert_string_equal(tt_pkt_rx_reject_name(TT_PKT_RX_FOREIGN), "FOREIGN");
	assert_string_equal(tt_pkt_rx_reject_name(TT_PKT_RX_UDP_CHECKSUM), "UDP_CHECKSUM");
	assert_string_equal(tt_pkt_rx_reject_name(TT_PKT_RX_REJECT_MAX), "unknown");
	assert_string_equal(tt_pkt_rx_reject_rule(TT_PKT_RX_IP_CHECKSUM),
			    "RFC 791: IPv4 header checksum does not verify");
	assert_string_equal(tt_pkt_rx_reject_rule(TT_PKT_RX_REJECT_MAX), "unknown");
	assert_string_equal(tt_pkt_arp_op_name(TT_PKT_ARP_REQUEST), "request");
	assert_string_equal(tt_pkt_arp_op_name(TT_PKT_ARP_REPLY), "reply");
	assert_string_equal(tt_pkt_arp_op_name(0), "unknown");
	assert_string_equal(tt_pkt_arp_op_name(3), "unknown");
	for (i = 0; i < TT_PKT_RX_REJECT_MAX; i++) {
		assert_string_not_equal(tt_pkt_rx_reject_name(i), "unknown");
		assert_string_not_equal(tt_pkt_rx_reject_rule(i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(tt_pkt_rx_reject_name(i), tt_pkt_rx_reject_name(j));
	}
}

static void test_counters_indexed_by_reason(void **state)
{
	struct tt_pkt_rx_counters c;
	struct tt_pkt_view v;
	uint8_t buf[128];
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	n = good_frame(buf, sizeof(buf));
	c.by_reason[tt_pkt_parse_udp4(buf, n, &v)]++;
	c.by_reason[tt_pkt_parse_udp4(buf, 10, &v)]++;
	buf[13] = 0xdd;
	c.by_reason[tt_pkt_parse_udp4(buf, n, &v)]++;
	assert_int_equal(c.by_reason[TT_PKT_RX_OK], 1);
	assert_int_equal(c.by_reason[TT_PKT_RX_TRUNCATED], 1);
	assert_int_equal(c.by_reason[TT_PKT_RX_FOREIGN], 1);
	assert_int_equal(sizeof(c.by_reason) / sizeof(c.by_reason[0]), TT_PKT_RX_REJECT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_rfc1071_vector),
		cmocka_unit_test(test_csum_matches_definition),
		cmocka_unit_test(test_ip_csum_vector),
		cmocka_unit_test(test_udp_csum_vector),
		cmocka_unit_test(test_udp_csum_zero_sent_as_ones),
		cmocka_unit_test(test_udp4_round_trip),
		cmocka_unit_test(test_udp4_build_limits),
		cmocka_unit_test(test_udp4_max_payload),
		cmocka_unit_test(test_parse_ip_options_and_padding),
		cmocka_unit_test(test_parse_udp_length_shorter_than_ip),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_foreign),
		cmocka_unit_test(test_reject_ip_version),
		cmocka_unit_test(test_reject_ip_ihl),
		cmocka_unit_test(test_reject_ip_total_len),
		cmocka_unit_test(test_reject_ip_checksum),
		cmocka_unit_test(test_reject_ip_fragment),
		cmocka_unit_test(test_reject_not_udp),
		cmocka_unit_test(test_reject_udp_length),
		cmocka_unit_test(test_reject_udp_checksum),
		cmocka_unit_test(test_arp_request),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_arp_rejects),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_counters_indexed_by_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
