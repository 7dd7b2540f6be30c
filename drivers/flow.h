/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_FLOW_H
#define TT_FLOW_H

/**
 * @file
 * Heartbeat steering: get BFD packets (UDP destination port 3784, RFC 5881
 * section 4) onto the heartbeat lcore's RX queue.
 *
 * tt_flow_hb_steer() tries an rte_flow rule ETH / IPV4 / UDP dst 3784 ->
 * QUEUE q: validate, then create. If the PMD refuses either step (no PMD on
 * the test machines supports it, see TESTBED.md) the mode is SOFTWARE and
 * the caller dispatches in software: the data lcore that receives a packet
 * for which tt_flow_hb_match() is true hands it to the heartbeat lcore. The
 * active mode and the reason are kept for display.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

/** UDP destination port of single-hop BFD control packets (RFC 5881 section 4). */
#define TT_FLOW_BFD_UDP_PORT 3784

/** How heartbeat packets reach their queue; names from one X-macro. */
#define TT_FLOW_MODE_LIST(X)                                                                       \
	X(RTE_FLOW, "rte_flow")                                                                    \
	X(SOFTWARE, "software")

/* clang-format off */
enum tt_flow_mode {
#define TT_FLOW_MODE_ENUM(name, str) TT_FLOW_MODE_##name,
	TT_FLOW_MODE_LIST(TT_FLOW_MODE_ENUM)
#undef TT_FLOW_MODE_ENUM
	TT_FLOW_MODE_MAX
};
/* clang-format on */

/** Printable name of a mode ("?" if out of range). */
const char *tt_flow_mode_name(enum tt_flow_mode mode);

/** Steering state of one port. */
struct tt_flow_steer {
	uint16_t port_id;
	uint16_t queue; /**< heartbeat RX queue. */
	enum tt_flow_mode mode;
	struct rte_flow *flow; /**< the rule in RTE_FLOW mode, else NULL. */
	char reason[160];      /**< why this mode, for display. */
};

/**
 * Try to steer heartbeat packets of a port to one RX queue by rte_flow.
 *
 * @param st      filled in; st->mode says what happened, st->reason why.
 * @param port_id configured port (rules may need it started, per PMD).
 * @param queue   heartbeat RX queue.
 * @return 0 whichever mode results (SOFTWARE is not an error).
 * Context: control thread.
 */
int tt_flow_hb_steer(struct tt_flow_steer *st, uint16_t port_id, uint16_t queue);

/**
 * Remove the rule (RTE_FLOW mode); the mode becomes SOFTWARE.
 * @return 0, or the negative errno of rte_flow_destroy.
 * Context: control thread.
 */
int tt_flow_hb_unsteer(struct tt_flow_steer *st);

/**
 * Software twin of the rule: true if the frame is Ethernet (no VLAN) / IPv4
 * (not a fragment after the first) / UDP with destination port 3784, the
 * first segment holding all three headers.
 *
 * @param m received frame.
 * @return true if it belongs to the heartbeat lcore.
 * Context: any lcore, per packet.
 */
static inline bool tt_flow_hb_match(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint32_t ihl;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip) + sizeof(*udp))
		return false;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return false;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip->next_proto_id != IPPROTO_UDP)
		return false;
	/* Later fragments carry no UDP header. */
	if ((ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return false;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + ihl + sizeof(*udp))
		return false;
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	return udp->dst_port == RTE_BE16(TT_FLOW_BFD_UDP_PORT);
}

#endif /* TT_FLOW_H */
