/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_flow.h>
#include <rte_log.h>

#include "flow.h"
#include "tt_names.h"

RTE_LOG_REGISTER(tt_flow_logtype, user.tether.flow, NOTICE);

#define FLOW_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, tt_flow_logtype, "tether.flow: " fmt "\n", ##__VA_ARGS__)

static const char *const mode_names[] = {
#define TT_FLOW_MODE_NAME(name, str) [TT_FLOW_MODE_##name] = str,
	TT_FLOW_MODE_LIST(TT_FLOW_MODE_NAME)
#undef TT_FLOW_MODE_NAME
};

const char *tt_flow_mode_name(enum tt_flow_mode mode)
{
	return TT_NAME_AT(mode_names, mode, "?");
}

static void set_software(struct tt_flow_steer *st, const char *step,
			 const struct rte_flow_error *err, int ret)
{
	st->mode = TT_FLOW_MODE_SOFTWARE;
	st->flow = NULL;
	snprintf(st->reason, sizeof(st->reason), "%s refused: %s (type %d, errno %d)", step,
		 err->message != NULL ? err->message : "no message", (int)err->type, ret);
	FLOW_LOG(NOTICE, "port %u: heartbeat steering in software: %s", st->port_id, st->reason);
}

/*
 * The rule matches what RFC 5881 section 4 says a single-hop BFD control
 * packet is: UDP to port 3784 over IPv4. ETH and IPV4 items carry no spec:
 * any MAC, any address. Only the UDP destination port is masked in, so the
 * source port (49152-65535, chosen by the peer) does not matter.
 */
int tt_flow_hb_steer(struct tt_flow_steer *st, uint16_t port_id, uint16_t queue)
{
	const struct rte_flow_attr attr = {.ingress = 1};
	const struct rte_flow_item_udp udp_spec = {
		.hdr.dst_port = RTE_BE16(TT_FLOW_BFD_UDP_PORT),
	};
	const struct rte_flow_item_udp udp_mask = {
		.hdr.dst_port = RTE_BE16(0xffff),
	};
	const struct rte_flow_item pattern[] = {
		{.type = RTE_FLOW_ITEM_TYPE_ETH},
		{.type = RTE_FLOW_ITEM_TYPE_IPV4},
		{.type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &udp_spec, .mask = &udp_mask},
		{.type = RTE_FLOW_ITEM_TYPE_END},
	};
	const struct rte_flow_action_queue act_queue = {.index = queue};
	const struct rte_flow_action actions[] = {
		{.type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &act_queue},
		{.type = RTE_FLOW_ACTION_TYPE_END},
	};
	struct rte_flow_error err;
	int ret;

	memset(st, 0, sizeof(*st));
	st->port_id = port_id;
	st->queue = queue;

	memset(&err, 0, sizeof(err));
	ret = rte_flow_validate(port_id, &attr, pattern, actions, &err);
	if (ret != 0) {
		set_software(st, "rte_flow_validate", &err, ret);
		return 0;
	}
	/* tap validates such a rule yet cannot create it (TESTBED.md). */
	memset(&err, 0, sizeof(err));
	st->flow = rte_flow_create(port_id, &attr, pattern, actions, &err);
	if (st->flow == NULL) {
		set_software(st, "rte_flow_create", &err, -rte_errno);
		return 0;
	}
	st->mode = TT_FLOW_MODE_RTE_FLOW;
	snprintf(st->reason, sizeof(st->reason), "rule UDP dst %u -> queue %u installed",
		 TT_FLOW_BFD_UDP_PORT, queue);
	FLOW_LOG(NOTICE, "port %u: heartbeat steering by rte_flow: %s", port_id, st->reason);
	return 0;
}

int tt_flow_hb_unsteer(struct tt_flow_steer *st)
{
	struct rte_flow_error err;
	int ret;

	if (st->mode != TT_FLOW_MODE_RTE_FLOW || st->flow == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	ret = rte_flow_destroy(st->port_id, st->flow, &err);
	if (ret != 0) {
		FLOW_LOG(ERR, "port %u: rte_flow_destroy failed: %s (%d)", st->port_id,
			 err.message != NULL ? err.message : rte_strerror(-ret), ret);
		return ret;
	}
	st->flow = NULL;
	st->mode = TT_FLOW_MODE_SOFTWARE;
	snprintf(st->reason, sizeof(st->reason), "rule removed");
	return 0;
}
