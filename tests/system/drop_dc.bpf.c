/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tc classifier (cls_bpf, direct action) for the wire bridge of the
 * system tests: drop tether's data-channel packets, pass everything else.
 *
 * A data-channel packet is IPv4/UDP with the master's data-channel port
 * (TT_DC_PORT, set at build time with -DTT_DC_PORT=N) as its source or
 * destination port: every channel of every worker talks to that one port.
 * Heartbeats (UDP 3784 from 49152..65535), ARP and everything else pass: the
 * heartbeats keep flowing on the wire while every data channel starves, and
 * only tether's own tie between the two silences them.
 *
 *   clang -O2 -g -target bpf -DTT_DC_PORT=4790 \
 *       -I/usr/include/$(uname -m)-linux-gnu -c drop_dc.bpf.c -o drop_dc.o
 *   tc qdisc add dev PORT clsact
 *   tc filter add dev PORT ingress bpf da obj drop_dc.o sec tc
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

#ifndef TT_DC_PORT
#error "build with -DTT_DC_PORT=<the master's data-channel UDP port>"
#endif

/* Packets dropped, read with `bpftool map dump` when debugging a run. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tt_dropped SEC(".maps");

/*
 * Headers are read with bpf_skb_load_bytes(), not through skb->data: frames
 * an af_packet socket sends (DPDK's net_af_packet) reach the bridge with only
 * the Ethernet header in the linear part and the rest in page fragments, out
 * of reach of direct packet access.
 */
SEC("tc")
int tt_drop_dc(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct udphdr udp;
	__u16 proto;
	__u32 key = 0;
	__u64 *n;

	if (bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto)) < 0 ||
	    proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ip, sizeof(ip)) < 0 ||
	    ip.protocol != IPPROTO_UDP || ip.ihl < 5)
		return TC_ACT_OK;
	/* A fragment other than the first has no UDP header: tether never fragments. */
	if (ip.frag_off & bpf_htons(0x1fff))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr) + ip.ihl * 4, &udp, sizeof(udp)) < 0)
		return TC_ACT_OK;
	if (udp.source != bpf_htons(TT_DC_PORT) && udp.dest != bpf_htons(TT_DC_PORT))
		return TC_ACT_OK;
	n = bpf_map_lookup_elem(&tt_dropped, &key);
	if (n != NULL)
		__sync_fetch_and_add(n, 1);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
