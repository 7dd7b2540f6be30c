/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for tt_dcw_parse with a round-trip oracle. Every input is
 * parsed under both MAC policies with all 16 channels allowed. Whatever
 * parses must rebuild to the same bytes (the MAC trailer excepted: build
 * reserves it as zeros for the authentication module), re-parse to the same
 * fields, and be refused with the documented reason when the policy is
 * narrowed (one channel fewer, the other MAC setting). A reject must leave
 * `out` untouched and count exactly its reason. Any break aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DGRAM_MAX (TT_DCW_HDR_LEN + 65535 + TT_DCW_MAC_LEN)

static uint8_t rebuilt[DGRAM_MAX];

static void broke(const char *what)
{
	fprintf(stderr, "fuzz_dc_wire: oracle failed: %s\n", what);
	abort();
}

/* Every header field and the payload bytes (pointers differ by buffer). */
static bool same_pkt(const struct tt_dcw_pkt *a, const struct tt_dcw_pkt *b)
{
	return a->version == b->version && a->type == b->type && a->flags == b->flags &&
	       a->mac_key_id == b->mac_key_id && a->worker_id == b->worker_id &&
	       a->chan_idx == b->chan_idx && a->window == b->window && a->epoch == b->epoch &&
	       a->seq == b->seq && a->ack == b->ack && a->sack == b->sack && a->nonce == b->nonce &&
	       a->msg_id == b->msg_id && a->msg_len == b->msg_len && a->seg_off == b->seg_off &&
	       a->payload_len == b->payload_len && a->reserved == b->reserved &&
	       (a->mac == NULL) == (b->mac == NULL) &&
	       (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

/* Parse with a sentinel-filled out and counters; check the reject contract. */
static enum tt_dcw_rx_reject checked_parse(const uint8_t *buf, size_t len,
					   const struct tt_dcw_policy *pol, struct tt_dcw_pkt *out)
{
	struct tt_dcw_counters cnt;
	struct tt_dcw_pkt sentinel;
	enum tt_dcw_rx_reject r;
	unsigned int i;

	memset(&cnt, 0, sizeof(cnt));
	memset(out, 0x5a, sizeof(*out));
	memcpy(&sentinel, out, sizeof(*out));
	r = tt_dcw_parse(buf, len, pol, out, &cnt);
	if (r >= TT_DCW_RX_REJECT_MAX)
		broke("reason out of range");
	for (i = 0; i < TT_DCW_RX_REJECT_MAX; i++)
		if (cnt.by_reason[i] != (i == (unsigned int)r))
			broke("counters do not show exactly the result");
	if (strcmp(tt_dcw_rx_reject_name(r), "?") == 0 ||
	    strcmp(tt_dcw_rx_reject_rule(r), "?") == 0)
		broke("reason without a name");
	if (r != TT_DCW_RX_OK && memcmp(out, &sentinel, sizeof(*out)) != 0)
		broke("out written on reject");
	/* The same verdict without counters. */
	if (tt_dcw_parse(buf, len, pol, &sentinel, NULL) != r)
		broke("verdict depends on the counters");
	return r;
}

/* Checks on one accepted datagram, parsed under `pol`. */
static void accepted(const uint8_t *data, size_t size, const struct tt_dcw_policy *pol,
		     const struct tt_dcw_pkt *p1)
{
	struct tt_dcw_policy narrow;
	struct tt_dcw_pkt p2;
	size_t body, n;

	if (p1->version != TT_DCW_VERSION || p1->type == 0 || p1->type >= TT_DCW_T_MAX ||
	    strcmp(tt_dcw_type_name(p1->type), "?") == 0)
		broke("accepted version or type");
	if (p1->epoch == 0 || p1->window > TT_DCW_WINDOW_MAX || p1->chan_idx >= pol->n_channels)
		broke("accepted epoch, window or channel");
	if (p1->type == TT_DCW_T_DATA && (p1->msg_len > TT_DCW_MSG_MAX ||
					  (uint64_t)p1->seg_off + p1->payload_len > p1->msg_len ||
					  (p1->msg_len > 0 && p1->payload_len == 0)))
		broke("accepted inconsistent DATA segment");
	if (p1->type != TT_DCW_T_DATA && p1->payload_len != 0)
		broke("accepted payload on a non-DATA type");
	if (tt_dcw_wire_len(p1) != size)
		broke("accepted length differs from the datagram");
	if (p1->payload != data + TT_DCW_HDR_LEN)
		broke("payload does not point into the datagram");
	body = TT_DCW_HDR_LEN + (size_t)p1->payload_len;
	if ((p1->flags & TT_DCW_F_MAC) ? p1->mac != data + body : p1->mac != NULL)
		broke("MAC trailer pointer");

	n = tt_dcw_build(p1, rebuilt, sizeof(rebuilt));
	if (n != size)
		broke("accepted datagram does not rebuild to its length");
	if (memcmp(rebuilt, data, body) != 0)
		broke("rebuilt header or payload bytes differ");
	if (n > body && (rebuilt[body] != 0 ||
			 memcmp(rebuilt + body, rebuilt + body + 1, TT_DCW_MAC_LEN - 1) != 0))
		broke("MAC trailer not reserved as zeros");
	if (tt_dcw_build(p1, rebuilt, size - 1) != 0)
		broke("build ignored cap");
	n = tt_dcw_build(p1, rebuilt, sizeof(rebuilt));
	if (checked_parse(rebuilt, n, pol, &p2) != TT_DCW_RX_OK || !same_pkt(p1, &p2))
		broke("fields changed across the round trip");

	/* The channel rule, at its boundary: index == count is refused. */
	narrow = *pol;
	narrow.n_channels = p1->chan_idx;
	if (checked_parse(data, size, &narrow, &p2) != TT_DCW_RX_CHANNEL)
		broke("channel index not refused at the channel count");
	/* The MAC rule both ways. */
	narrow = *pol;
	narrow.mac = !pol->mac;
	if (checked_parse(data, size, &narrow, &p2) !=
	    (pol->mac ? TT_DCW_RX_MAC_UNEXPECTED : TT_DCW_RX_MAC_MISSING))
		broke("MAC policy not enforced");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tt_dcw_policy pols[] = {
		{.n_channels = TT_DCW_MAX_CHANNELS, .mac = false},
		{.n_channels = TT_DCW_MAX_CHANNELS, .mac = true},
	};
	enum tt_dcw_rx_reject r[2];
	struct tt_dcw_pkt p;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		r[i] = checked_parse(data, size, &pols[i], &p);
		if (r[i] == TT_DCW_RX_OK)
			accepted(data, size, &pols[i], &p);
	}
	/* At most one policy accepts: the MAC flag decides which. */
	if (r[0] == TT_DCW_RX_OK && r[1] == TT_DCW_RX_OK)
		broke("accepted with and without MAC");
	/* The checks before the MAC rule do not depend on the policy. */
	if (r[0] != TT_DCW_RX_OK && r[0] < TT_DCW_RX_MAC_UNEXPECTED && r[0] != r[1])
		broke("early verdict depends on the MAC policy");
	return 0;
}
