/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_PKT_H
#define TT_PKT_H

/**
 * @file
 * Ethernet II, ARP (IPv4 over Ethernet), IPv4 and UDP over byte buffers the
 * caller owns. No allocation, no state: any lcore may call any function on
 * its own buffers.
 *
 * Addresses and ports in the structs are in host order; MAC addresses are
 * byte arrays in wire order. Frames are built without Ethernet padding or
 * FCS (the NIC adds both).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_PKT_ETH_ADDR_LEN 6
#define TT_PKT_ETH_HDR_LEN  14
#define TT_PKT_IP4_HDR_LEN  20 /* without options; parse skips options */
#define TT_PKT_UDP_HDR_LEN  8
#define TT_PKT_ARP_LEN	    28 /* ARP body for IPv4 over Ethernet */
/** Headroom of a built UDP/IPv4 frame: where the payload starts. */
#define TT_PKT_UDP4_HDRS_LEN (TT_PKT_ETH_HDR_LEN + TT_PKT_IP4_HDR_LEN + TT_PKT_UDP_HDR_LEN)
/** Largest UDP payload: IPv4 Total Length is 16 bits. */
#define TT_PKT_UDP4_MAX_PAYLOAD (65535 - TT_PKT_IP4_HDR_LEN - TT_PKT_UDP_HDR_LEN)
#define TT_PKT_ARP_FRAME_LEN	(TT_PKT_ETH_HDR_LEN + TT_PKT_ARP_LEN)

#define TT_PKT_ETHERTYPE_IPV4  0x0800
#define TT_PKT_ETHERTYPE_ARP   0x0806
#define TT_PKT_ETHERTYPE_IPV6  0x86dd
#define TT_PKT_IPPROTO_UDP     17

/* TX flags (struct tt_pkt_udp4_hdr.flags): what the NIC or nobody computes. */
/** IPv4 header checksum written as 0 for the NIC to fill. */
#define TT_PKT_TX_IP_CSUM_OFFLOAD (1u << 0)
/** UDP checksum field holds the pseudo-header sum (not complemented), the
 * seed NICs expect (DPDK: rte_ipv4_phdr_cksum); the NIC completes it. */
#define TT_PKT_TX_UDP_CSUM_OFFLOAD (1u << 1)
/** Send UDP checksum 0 ("no checksum", legal over IPv4, RFC 768). */
#define TT_PKT_TX_UDP_CSUM_NONE (1u << 2)

/**
 * Why a received frame was not taken. X(name, printable rule). FOREIGN is
 * traffic for another parser (IPv6, ARP given to the UDP parser, VLAN,
 * anything else): it is counted, it is not an error.
 */
#define TT_PKT_RX_REJECTS(X)                                                                       \
	X(TRUNCATED, "frame shorter than the headers it announces")                                \
	X(FOREIGN, "ethertype is not the one this parser takes (counted, not an error)")           \
	X(IP_VERSION, "RFC 791: IP version is not 4")                                              \
	X(IP_IHL, "RFC 791: IHL below 5 or header beyond the frame")                               \
	X(IP_TOTAL_LEN, "RFC 791: Total Length below the header or beyond the frame")              \
	X(IP_CHECKSUM, "RFC 791: IPv4 header checksum does not verify")                            \
	X(IP_FRAGMENT, "RFC 791: IPv4 fragment (MF set or offset non-zero)")                       \
	X(NOT_UDP, "IPv4 protocol is not UDP")                                                     \
	X(UDP_LENGTH, "RFC 768: UDP Length below 8 or beyond the IPv4 payload")                    \
	X(UDP_CHECKSUM, "RFC 768: UDP checksum does not verify")                                   \
	X(ARP_FORMAT, "RFC 826: ARP is not IPv4 over Ethernet (htype 1, ptype 0x0800, 6/4)")       \
	X(ARP_OP, "RFC 826: ARP opcode is neither request (1) nor reply (2)")

enum tt_pkt_rx_reject {
	TT_PKT_RX_OK = 0,
#define TT_X(name, str) TT_PKT_RX_##name,
	TT_PKT_RX_REJECTS(TT_X)
#undef TT_X
		TT_PKT_RX_REJECT_MAX
};

/** Counters indexed by enum tt_pkt_rx_reject (slot 0 counts accepted frames). */
struct tt_pkt_rx_counters {
	uint64_t by_reason[TT_PKT_RX_REJECT_MAX];
};

/** ARP opcodes, RFC 826. X(name, wire value, printable) */
#define TT_PKT_ARP_OPS(X)                                                                          \
	X(REQUEST, 1, "request")                                                                   \
	X(REPLY, 2, "reply")

enum tt_pkt_arp_op {
#define TT_X(name, val, str) TT_PKT_ARP_##name = val,
	TT_PKT_ARP_OPS(TT_X)
#undef TT_X
};

/** A received UDP/IPv4 frame, as tt_pkt_parse_udp4 found it. */
struct tt_pkt_view {
	uint8_t eth_dst[TT_PKT_ETH_ADDR_LEN];
	uint8_t eth_src[TT_PKT_ETH_ADDR_LEN];
	uint16_t ethertype;
	uint32_t ip_src;
	uint32_t ip_dst;
	uint8_t ttl;
	uint8_t tos;
	uint8_t proto;
	uint16_t src_port;
	uint16_t dst_port;
	const uint8_t *payload; /* points into the frame */
	size_t payload_len;	/* UDP Length - 8 */
};

/** What tt_pkt_udp4_finish writes in front of a payload. */
struct tt_pkt_udp4_hdr {
	uint8_t eth_dst[TT_PKT_ETH_ADDR_LEN];
	uint8_t eth_src[TT_PKT_ETH_ADDR_LEN];
	uint32_t ip_src;
	uint32_t ip_dst;
	uint8_t ttl; /* 255 for BFD (RFC 5881 §5) */
	uint8_t tos; /* DSCP + ECN */
	uint16_t ip_id;
	bool dont_fragment;
	uint16_t src_port;
	uint16_t dst_port;
	uint32_t flags; /* TT_PKT_TX_* */
};

/** An ARP packet for IPv4 over Ethernet, with its Ethernet addresses. */
struct tt_pkt_arp {
	uint8_t eth_dst[TT_PKT_ETH_ADDR_LEN];
	uint8_t eth_src[TT_PKT_ETH_ADDR_LEN];
	uint16_t op;			  /* enum tt_pkt_arp_op */
	uint8_t sha[TT_PKT_ETH_ADDR_LEN]; /* sender hardware address */
	uint32_t spa;			  /* sender protocol address */
	uint8_t tha[TT_PKT_ETH_ADDR_LEN]; /* target hardware address */
	uint32_t tpa;			  /* target protocol address */
};

/** Printable names, from the same X-macros as the enums ("unknown" off the table). */
const char *tt_pkt_rx_reject_name(unsigned int reason); /* short name, e.g. "IP_CHECKSUM" */
const char *tt_pkt_rx_reject_rule(unsigned int reason); /* the rule text */
const char *tt_pkt_arp_op_name(unsigned int op);

/**
 * Internet checksum (RFC 1071), step 1: add len bytes to a running sum.
 * Bytes are taken as big-endian 16-bit words, so the result does not depend
 * on host byte order. Only the last chunk of a chained sum may be odd-length.
 *
 * @param sum   previous return value, or 0 to start.
 * @return the new running sum, folded to 16 bits (never complemented).
 */
uint32_t tt_pkt_csum_add(uint32_t sum, const void *data, size_t len);

/**
 * Internet checksum, step 2: fold and complement.
 * @return the checksum, host order, ready to be stored big-endian.
 */
uint16_t tt_pkt_csum_finish(uint32_t sum);

/**
 * The ethertype of a frame, for dispatch before parsing.
 * @return the ethertype, or 0 if len is below an Ethernet header.
 */
uint16_t tt_pkt_ethertype(const uint8_t *frame, size_t len);

/**
 * Parse and verify an Ethernet II / IPv4 / UDP frame: IPv4 header checksum
 * always, UDP checksum when non-zero; IPv4 options skipped; fragments
 * rejected. Trailing bytes after IPv4 Total Length (Ethernet padding) and
 * after UDP Length are ignored.
 *
 * @param frame  the frame from the destination MAC on, without FCS.
 * @param v      filled only on success; payload points into frame.
 * @return TT_PKT_RX_OK or the reject reason (the caller counts it).
 */
enum tt_pkt_rx_reject tt_pkt_parse_udp4(const uint8_t *frame, size_t len, struct tt_pkt_view *v);

/** Where the payload of a UDP/IPv4 frame built in buf goes (buf + 42). */
static inline uint8_t *tt_pkt_udp4_payload(uint8_t *buf)
{
	return buf + TT_PKT_UDP4_HDRS_LEN;
}

/**
 * Write the Ethernet, IPv4 and UDP headers in front of a payload already at
 * tt_pkt_udp4_payload(buf), with checksums per h->flags. The fast path: no
 * payload copy.
 *
 * @return the frame length, or 0 if cap < 42 + payload_len or payload_len
 *         exceeds TT_PKT_UDP4_MAX_PAYLOAD (nothing written then).
 */
size_t tt_pkt_udp4_finish(uint8_t *buf, size_t cap, const struct tt_pkt_udp4_hdr *h,
			  size_t payload_len);

/**
 * Copy a payload into buf and build the frame around it (payload may
 * overlap buf). Same return as tt_pkt_udp4_finish.
 */
size_t tt_pkt_build_udp4(uint8_t *buf, size_t cap, const struct tt_pkt_udp4_hdr *h,
			 const uint8_t *payload, size_t len);

/**
 * Parse an ARP frame (RFC 826, IPv4 over Ethernet). Trailing bytes
 * (Ethernet padding) are ignored.
 *
 * @param a  filled only on success.
 * @return TT_PKT_RX_OK, TRUNCATED, FOREIGN (not ethertype ARP), ARP_FORMAT
 *         or ARP_OP.
 */
enum tt_pkt_rx_reject tt_pkt_parse_arp(const uint8_t *frame, size_t len, struct tt_pkt_arp *a);

/**
 * Build an ARP frame from a (any opcode, encoded as given).
 * @return TT_PKT_ARP_FRAME_LEN, or 0 if cap is smaller.
 */
size_t tt_pkt_build_arp(uint8_t *buf, size_t cap, const struct tt_pkt_arp *a);

/**
 * Fill a broadcast request "who has target_ip? tell my_ip" (RFC 826).
 */
void tt_pkt_arp_request(struct tt_pkt_arp *a, const uint8_t my_mac[TT_PKT_ETH_ADDR_LEN],
			uint32_t my_ip, uint32_t target_ip);

/**
 * Fill the reply to a request for one of our addresses (RFC 826: swap
 * sender and target, sender hardware address = my_mac, sent unicast to the
 * requester). The caller has checked that req->tpa is its address.
 */
void tt_pkt_arp_reply(struct tt_pkt_arp *reply, const struct tt_pkt_arp *req,
		      const uint8_t my_mac[TT_PKT_ETH_ADDR_LEN]);

#endif /* TT_PKT_H */
