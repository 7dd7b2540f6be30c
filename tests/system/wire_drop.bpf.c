/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tc classifier (cls_bpf, direct action) for the wire bridge of the
 * system tests: drop some of the IPv4/UDP packets between master and
 * worker, pass everything else (ARP above all, so that neither side has to
 * resolve its peer again once the fault clears).
 *
 * Which packets, set at build time:
 *   -DTT_DROP_PORT=N  only UDP packets with N as source or destination port
 *                     (the master's data-channel port: every channel of every
 *                     worker talks to it, so heartbeats on 3784 still pass);
 *                     0: every UDP packet, heartbeats and data alike.
 *   -DTT_DROP_PPM=P   drop each such packet with probability P parts per
 *                     million, drawn with bpf_get_prandom_u32() (default
 *                     1000000: all of them).
 *
 *   clang -O2 -g -target bpf -DTT_DROP_PORT=4790 \
 *       -I/usr/include/$(uname -m)-linux-gnu -c wire_drop.bpf.c -o wire_drop.o
 *   tc qdisc add dev PORT clsact
 *   tc filter add dev PORT ingress bpf da obj wire_drop.o sec tc
 *
 * On the ingress of both bridge ports, the filter sees each direction once.
 */
#include <stddef.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef TT_DROP_PORT
#error "build with -DTT_DROP_PORT=<a UDP port, or 0 for every UDP packet>"
#endif
#ifndef TT_DROP_PPM
#define TT_DROP_PPM 1000000u
#endif
#if TT_DROP_PPM > 1000000
#error "TT_DROP_PPM is a probability in parts per million: 0..1000000"
#endif

/* Index 0: packets the filter matched; 1: packets it dropped (bpftool map dump). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} tt_dropped SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 *n = bpf_map_lookup_elem(&tt_dropped, &key);

	if (n != NULL)
		__sync_fetch_and_add(n, 1);
}

/*
 * Headers are read with bpf_skb_load_bytes(), not through skb->data: frames
 * an af_packet socket sends (DPDK's net_af_packet) reach the bridge with only
 * the Ethernet header in the linear part and the rest in page fragments, out
 * of reach of direct packet access.
 */
SEC("tc")
int tt_wire_drop(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct udphdr udp;
	__u16 proto;

	if (bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto)) < 0 ||
	    proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ip, sizeof(ip)) < 0 ||
	    ip.protocol != IPPROTO_UDP || ip.ihl < 5)
		return TC_ACT_OK;
	/* A fragment other than the first has no UDP header: tether never fragments. */
	if (ip.frag_off & bpf_htons(0x1fff))
		return TC_ACT_OK;
	if (TT_DROP_PORT != 0) {
		__u32 l4 = sizeof(struct ethhdr) + ip.ihl * 4;

		if (bpf_skb_load_bytes(skb, l4, &udp, sizeof(udp)) < 0)
			return TC_ACT_OK;
		if (udp.source != bpf_htons(TT_DROP_PORT) && udp.dest != bpf_htons(TT_DROP_PORT))
			return TC_ACT_OK;
	}
	count(0);
	/*
	 * Uniform draw against P/10^6 of 2^32; the threshold is computed in 64
	 * bits so that 100 % (2^32) drops every packet.
	 */
	if ((__u64)bpf_get_prandom_u32() >= ((__u64)TT_DROP_PPM << 32) / 1000000u)
		return TC_ACT_OK;
	count(1);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
