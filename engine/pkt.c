/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet II, ARP, IPv4 and UDP over caller-owned byte buffers. All
 * multi-byte fields are read and written byte by byte in network order, so
 * the code needs no alignment and no byte-swapping headers.
 */
#include "pkt.h"

#include <string.h>

#include "tt_bytes.h"
#include "tt_names.h"

/* Offsets inside the frame (IPv4 without options for building). */
#define ETH_DST	 0
#define ETH_SRC	 6
#define ETH_TYPE 12
#define IP4_OFF	 TT_PKT_ETH_HDR_LEN

/* IPv4 flags/fragment word, RFC 791 §3.1. */
#define IP4_FLAG_DF	  0x4000
#define IP4_FLAG_MF	  0x2000
#define IP4_FRAG_OFF_MASK 0x1fff

/* ARP for IPv4 over Ethernet, RFC 826. */
#define ARP_HTYPE_ETHER 1
#define ARP_HLEN	6
#define ARP_PLEN	4

/* X-macro tables: one entry a line, kept as written. */
/* clang-format off */
static const char *const reject_names[TT_PKT_RX_REJECT_MAX] = {
	[TT_PKT_RX_OK] = "OK",
#define TT_X(name, str) [TT_PKT_RX_##name] = #name,
	TT_PKT_RX_REJECTS(TT_X)
#undef TT_X
};

static const char *const reject_rules[TT_PKT_RX_REJECT_MAX] = {
	[TT_PKT_RX_OK] = "accepted",
#define TT_X(name, str) [TT_PKT_RX_##name] = str,
	TT_PKT_RX_REJECTS(TT_X)
#undef TT_X
};

static const char *const arp_op_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_PKT_ARP_OPS(TT_X)
#undef TT_X
};
/* clang-format on */

const char *tt_pkt_rx_reject_name(unsigned int reason)
{
	return TT_NAME_AT(reject_names, reason, "unknown");
}

const char *tt_pkt_rx_reject_rule(unsigned int reason)
{
	return TT_NAME_AT(reject_rules, reason, "unknown");
}

const char *tt_pkt_arp_op_name(unsigned int op)
{
	return TT_NAME_AT(arp_op_names, op, "unknown");
}

static uint32_t fold16(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/*
 * RFC 1071 §4.1: one's complement sum of 16-bit big-endian words, an odd
 * last byte padded with zero. §2(B): the sum does not depend on byte order,
 * so the data is added as native 32-bit words (two 16-bit words each, since
 * 2^16 = 1 mod 2^16 - 1), folded once, and the folded 16 bits are read back
 * big-endian. A 64-bit accumulator cannot overflow for any buffer a frame
 * can hold.
 */
uint32_t tt_pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0;
	uint8_t tail[4] = {0};
	uint32_t w;
	uint16_t h;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&w, p + i, sizeof(w));
		acc += w;
	}
	/* 0-3 bytes left, zero-padded: as one more word in the same byte order. */
	memcpy(tail, p + i, len - i);
	memcpy(&w, tail, sizeof(w));
	acc += w;
	h = (uint16_t)fold16(acc);
	memcpy(tail, &h, sizeof(h));
	return fold16((uint64_t)sum + (uint32_t)(tail[0] << 8 | tail[1]));
}

uint16_t tt_pkt_csum_finish(uint32_t sum)
{
	return (uint16_t)~fold16(sum);
}

/* RFC 768: pseudo-header sum (source, destination, zero + protocol, UDP
 * Length), not complemented. */
static uint32_t udp4_pseudo_sum(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	uint8_t ph[12];

	tt_put_be32(ph, src);
	tt_put_be32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = TT_PKT_IPPROTO_UDP;
	tt_put_be16(ph + 10, udp_len);
	return tt_pkt_csum_add(0, ph, sizeof(ph));
}

uint16_t tt_pkt_ethertype(const uint8_t *frame, size_t len)
{
	if (len < TT_PKT_ETH_HDR_LEN)
		return 0;
	return tt_get_be16(frame + ETH_TYPE);
}

/*
 * Contract: see pkt.h. Checks go outside-in (Ethernet, IPv4, UDP) so a frame
 * is counted under the outermost layer that is wrong; *v is assigned once, at
 * the end.
 */
enum tt_pkt_rx_reject tt_pkt_parse_udp4(const uint8_t *frame, size_t len, struct tt_pkt_view *v)
{
	struct tt_pkt_view r;
	const uint8_t *ip, *udp;
	size_t ihl_bytes, total_len, udp_len;
	uint16_t frag, csum;

	if (len < TT_PKT_ETH_HDR_LEN)
		return TT_PKT_RX_TRUNCATED;
	r.ethertype = tt_get_be16(frame + ETH_TYPE);
	/* Anything but IPv4 belongs to another parser (ARP) or nobody (IPv6,
	 * 802.1Q and the rest). */
	if (r.ethertype != TT_PKT_ETHERTYPE_IPV4)
		return TT_PKT_RX_FOREIGN;
	if (len < IP4_OFF + TT_PKT_IP4_HDR_LEN)
		return TT_PKT_RX_TRUNCATED;
	ip = frame + IP4_OFF;

	/* RFC 791 §3.1: Version 4. */
	if (ip[0] >> 4 != 4)
		return TT_PKT_RX_IP_VERSION;
	/* RFC 791 §3.1: IHL counts 32-bit words, minimum 5; options (IHL > 5)
	 * are skipped, never interpreted. */
	ihl_bytes = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl_bytes < TT_PKT_IP4_HDR_LEN || IP4_OFF + ihl_bytes > len)
		return TT_PKT_RX_IP_IHL;
	/* RFC 791 §3.1: Total Length covers header and data; bytes past it are
	 * Ethernet padding. */
	total_len = tt_get_be16(ip + 2);
	if (total_len < ihl_bytes || IP4_OFF + total_len > len)
		return TT_PKT_RX_IP_TOTAL_LEN;
	/* RFC 791 §3.1 / RFC 1071: the one's complement sum over the header,
	 * checksum field included, is all ones. */
	if (tt_pkt_csum_finish(tt_pkt_csum_add(0, ip, ihl_bytes)) != 0)
		return TT_PKT_RX_IP_CHECKSUM;
	/* RFC 791 §3.2: MF set or a non-zero offset is a fragment. Heartbeats
	 * and data segments always fit one frame; reassembly would be a
	 * memory-exhaustion surface for nothing. */
	frag = tt_get_be16(ip + 6);
	if ((frag & IP4_FLAG_MF) || (frag & IP4_FRAG_OFF_MASK))
		return TT_PKT_RX_IP_FRAGMENT;
	if (ip[9] != TT_PKT_IPPROTO_UDP)
		return TT_PKT_RX_NOT_UDP;

	/* RFC 768: Length covers header and data, at least 8, and must fit in
	 * the IPv4 payload. */
	udp = ip + ihl_bytes;
	if (total_len - ihl_bytes < TT_PKT_UDP_HDR_LEN)
		return TT_PKT_RX_UDP_LENGTH;
	udp_len = tt_get_be16(udp + 4);
	if (udp_len < TT_PKT_UDP_HDR_LEN || udp_len > total_len - ihl_bytes)
		return TT_PKT_RX_UDP_LENGTH;
	/* RFC 768: checksum 0 means the sender computed none; otherwise the sum
	 * over pseudo-header, header and data is all ones. */
	csum = tt_get_be16(udp + 6);
	if (csum != 0) {
		uint32_t sum = udp4_pseudo_sum(tt_get_be32(ip + 12), tt_get_be32(ip + 16),
					       (uint16_t)udp_len);

		if (tt_pkt_csum_finish(tt_pkt_csum_add(sum, udp, udp_len)) != 0)
			return TT_PKT_RX_UDP_CHECKSUM;
	}

	memcpy(r.eth_dst, frame + ETH_DST, TT_PKT_ETH_ADDR_LEN);
	memcpy(r.eth_src, frame + ETH_SRC, TT_PKT_ETH_ADDR_LEN);
	r.tos = ip[1];
	r.ttl = ip[8];
	r.proto = ip[9];
	r.ip_src = tt_get_be32(ip + 12);
	r.ip_dst = tt_get_be32(ip + 16);
	r.src_port = tt_get_be16(udp);
	r.dst_port = tt_get_be16(udp + 2);
	r.payload = udp + TT_PKT_UDP_HDR_LEN;
	r.payload_len = udp_len - TT_PKT_UDP_HDR_LEN;
	*v = r;
	return TT_PKT_RX_OK;
}

/*
 * Contract: see pkt.h. Writes a 20-byte IPv4 header (no options) and the UDP
 * header; the payload is summed where it lies.
 */
size_t tt_pkt_udp4_finish(uint8_t *buf, size_t cap, const struct tt_pkt_udp4_hdr *h,
			  size_t payload_len)
{
	uint8_t *ip, *udp;
	uint16_t udp_len, csum;

	if (payload_len > TT_PKT_UDP4_MAX_PAYLOAD || cap < TT_PKT_UDP4_HDRS_LEN + payload_len)
		return 0;
	ip = buf + IP4_OFF;
	udp = ip + TT_PKT_IP4_HDR_LEN;
	udp_len = (uint16_t)(TT_PKT_UDP_HDR_LEN + payload_len);

	memcpy(buf + ETH_DST, h->eth_dst, TT_PKT_ETH_ADDR_LEN);
	memcpy(buf + ETH_SRC, h->eth_src, TT_PKT_ETH_ADDR_LEN);
	tt_put_be16(buf + ETH_TYPE, TT_PKT_ETHERTYPE_IPV4);

	/* RFC 791 §3.1. */
	ip[0] = 4 << 4 | TT_PKT_IP4_HDR_LEN / 4;
	ip[1] = h->tos;
	tt_put_be16(ip + 2, (uint16_t)(TT_PKT_IP4_HDR_LEN + udp_len));
	tt_put_be16(ip + 4, h->ip_id);
	tt_put_be16(ip + 6, h->dont_fragment ? IP4_FLAG_DF : 0);
	ip[8] = h->ttl;
	ip[9] = TT_PKT_IPPROTO_UDP;
	tt_put_be16(ip + 10, 0);
	tt_put_be32(ip + 12, h->ip_src);
	tt_put_be32(ip + 16, h->ip_dst);
	/* An offloading NIC expects the field zero and fills it. */
	if (!(h->flags & TT_PKT_TX_IP_CSUM_OFFLOAD))
		tt_put_be16(ip + 10,
			    tt_pkt_csum_finish(tt_pkt_csum_add(0, ip, TT_PKT_IP4_HDR_LEN)));

	/* RFC 768. */
	tt_put_be16(udp, h->src_port);
	tt_put_be16(udp + 2, h->dst_port);
	tt_put_be16(udp + 4, udp_len);
	tt_put_be16(udp + 6, 0);
	if (h->flags & TT_PKT_TX_UDP_CSUM_NONE)
		return TT_PKT_UDP4_HDRS_LEN + payload_len;
	csum = (uint16_t)udp4_pseudo_sum(h->ip_src, h->ip_dst, udp_len);
	if (!(h->flags & TT_PKT_TX_UDP_CSUM_OFFLOAD)) {
		csum = tt_pkt_csum_finish(tt_pkt_csum_add(csum, udp, udp_len));
		/* RFC 768: a computed zero is sent as all ones, since zero on the
		 * wire means "no checksum". */
		if (csum == 0)
			csum = 0xffff;
	}
	tt_put_be16(udp + 6, csum);
	return TT_PKT_UDP4_HDRS_LEN + payload_len;
}

size_t tt_pkt_build_udp4(uint8_t *buf, size_t cap, const struct tt_pkt_udp4_hdr *h,
			 const uint8_t *payload, size_t len)
{
	if (len > TT_PKT_UDP4_MAX_PAYLOAD || cap < TT_PKT_UDP4_HDRS_LEN + len)
		return 0;
	/* memmove: the caller may already hold the payload somewhere in buf.
	 * An empty payload may come as NULL, which memmove must not see. */
	if (len != 0)
		memmove(tt_pkt_udp4_payload(buf), payload, len);
	return tt_pkt_udp4_finish(buf, cap, h, len);
}

/*
 * Contract: see pkt.h. RFC 826 packet layout after the Ethernet header:
 * htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4).
 */
enum tt_pkt_rx_reject tt_pkt_parse_arp(const uint8_t *frame, size_t len, struct tt_pkt_arp *a)
{
	const uint8_t *arp;
	struct tt_pkt_arp r;

	if (len < TT_PKT_ETH_HDR_LEN)
		return TT_PKT_RX_TRUNCATED;
	if (tt_get_be16(frame + ETH_TYPE) != TT_PKT_ETHERTYPE_ARP)
		return TT_PKT_RX_FOREIGN;
	if (len < TT_PKT_ARP_FRAME_LEN)
		return TT_PKT_RX_TRUNCATED;
	arp = frame + TT_PKT_ETH_HDR_LEN;
	/* Only IPv4 over Ethernet is tether's business. */
	if (tt_get_be16(arp) != ARP_HTYPE_ETHER || tt_get_be16(arp + 2) != TT_PKT_ETHERTYPE_IPV4 ||
	    arp[4] != ARP_HLEN || arp[5] != ARP_PLEN)
		return TT_PKT_RX_ARP_FORMAT;
	r.op = tt_get_be16(arp + 6);
	if (r.op != TT_PKT_ARP_REQUEST && r.op != TT_PKT_ARP_REPLY)
		return TT_PKT_RX_ARP_OP;

	memcpy(r.eth_dst, frame + ETH_DST, TT_PKT_ETH_ADDR_LEN);
	memcpy(r.eth_src, frame + ETH_SRC, TT_PKT_ETH_ADDR_LEN);
	memcpy(r.sha, arp + 8, TT_PKT_ETH_ADDR_LEN);
	r.spa = tt_get_be32(arp + 14);
	memcpy(r.tha, arp + 18, TT_PKT_ETH_ADDR_LEN);
	r.tpa = tt_get_be32(arp + 24);
	*a = r;
	return TT_PKT_RX_OK;
}

size_t tt_pkt_build_arp(uint8_t *buf, size_t cap, const struct tt_pkt_arp *a)
{
	uint8_t *arp;

	if (cap < TT_PKT_ARP_FRAME_LEN)
		return 0;
	arp = buf + TT_PKT_ETH_HDR_LEN;
	memcpy(buf + ETH_DST, a->eth_dst, TT_PKT_ETH_ADDR_LEN);
	memcpy(buf + ETH_SRC, a->eth_src, TT_PKT_ETH_ADDR_LEN);
	tt_put_be16(buf + ETH_TYPE, TT_PKT_ETHERTYPE_ARP);
	tt_put_be16(arp, ARP_HTYPE_ETHER);
	tt_put_be16(arp + 2, TT_PKT_ETHERTYPE_IPV4);
	arp[4] = ARP_HLEN;
	arp[5] = ARP_PLEN;
	tt_put_be16(arp + 6, a->op);
	memcpy(arp + 8, a->sha, TT_PKT_ETH_ADDR_LEN);
	tt_put_be32(arp + 14, a->spa);
	memcpy(arp + 18, a->tha, TT_PKT_ETH_ADDR_LEN);
	tt_put_be32(arp + 24, a->tpa);
	return TT_PKT_ARP_FRAME_LEN;
}

void tt_pkt_arp_request(struct tt_pkt_arp *a, const uint8_t my_mac[TT_PKT_ETH_ADDR_LEN],
			uint32_t my_ip, uint32_t target_ip)
{
	/* RFC 826: broadcast; the target hardware address is what we ask for,
	 * so it is sent as zero. */
	memset(a->eth_dst, 0xff, TT_PKT_ETH_ADDR_LEN);
	memcpy(a->eth_src, my_mac, TT_PKT_ETH_ADDR_LEN);
	a->op = TT_PKT_ARP_REQUEST;
	memcpy(a->sha, my_mac, TT_PKT_ETH_ADDR_LEN);
	a->spa = my_ip;
	memset(a->tha, 0, TT_PKT_ETH_ADDR_LEN);
	a->tpa = target_ip;
}

void tt_pkt_arp_reply(struct tt_pkt_arp *reply, const struct tt_pkt_arp *req,
		      const uint8_t my_mac[TT_PKT_ETH_ADDR_LEN])
{
	struct tt_pkt_arp r;

	/* RFC 826 reception: swap the sender and target fields, put the local
	 * hardware address in sender, set the opcode to reply and send it to
	 * the requester's hardware address. Built in a local so reply may
	 * alias req. */
	memcpy(r.eth_dst, req->sha, TT_PKT_ETH_ADDR_LEN);
	memcpy(r.eth_src, my_mac, TT_PKT_ETH_ADDR_LEN);
	r.op = TT_PKT_ARP_REPLY;
	memcpy(r.sha, my_mac, TT_PKT_ETH_ADDR_LEN);
	r.spa = req->tpa;
	memcpy(r.tha, req->sha, TT_PKT_ETH_ADDR_LEN);
	r.tpa = req->spa;
	*reply = r;
}
