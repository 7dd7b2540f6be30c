/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for tt_bfd_parse with a round-trip oracle: whatever parses
 * must rebuild, re-parse to the same fields, and rebuild to the same bytes.
 * A reject must leave `out` untouched. Any break aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broke(const char *what)
{
	fprintf(stderr, "fuzz_bfd: oracle failed: %s\n", what);
	abort();
}

/* Every field but Length, which build recomputes from the contents. */
static bool same_fields(const struct tt_bfd_ctrl *a, const struct tt_bfd_ctrl *b)
{
	return a->version == b->version && a->diag == b->diag && a->state == b->state &&
	       a->poll == b->poll && a->final == b->final && a->cpi == b->cpi &&
	       a->auth_present == b->auth_present && a->demand == b->demand &&
	       a->multipoint == b->multipoint && a->detect_mult == b->detect_mult &&
	       a->my_disc == b->my_disc && a->your_disc == b->your_disc &&
	       a->desired_min_tx_us == b->desired_min_tx_us &&
	       a->required_min_rx_us == b->required_min_rx_us &&
	       a->required_min_echo_rx_us == b->required_min_echo_rx_us &&
	       a->auth.type == b->auth.type && a->auth.len == b->auth.len &&
	       a->auth.key_id == b->auth.key_id && a->auth.seq == b->auth.seq &&
	       a->auth.password_len == b->auth.password_len &&
	       memcmp(a->auth.data, b->auth.data, sizeof(a->auth.data)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_bfd_ctrl p1, p2, sentinel;
	uint8_t b1[TT_BFD_MAX_LEN], b2[TT_BFD_MAX_LEN];
	enum tt_bfd_rx_reject r;
	size_t n1, n2;

	memset(&p1, 0xa5, sizeof(p1));
	memcpy(&sentinel, &p1, sizeof(p1));
	r = tt_bfd_parse(data, size, &p1);
	if (r >= TT_BFD_RX_REJECT_MAX)
		broke("reason out of range");
	if (r != TT_BFD_RX_OK) {
		if (memcmp(&p1, &sentinel, sizeof(p1)) != 0)
			broke("out written on reject");
		return 0;
	}
	if (p1.length > size || p1.length < TT_BFD_HDR_LEN)
		broke("accepted Length outside the payload");
	if (p1.auth_present && p1.length != TT_BFD_HDR_LEN + p1.auth.len)
		broke("accepted Length disagrees with Auth Len");
	/* Names exist for everything that parsed. */
	if (!tt_bfd_state_name(p1.state) || !tt_bfd_diag_name(p1.diag) ||
	    !tt_bfd_auth_type_name(p1.auth.type))
		broke("missing name");

	n1 = tt_bfd_build(&p1, b1, sizeof(b1));
	if (n1 == 0)
		broke("accepted packet does not rebuild");
	if (n1 != (size_t)TT_BFD_HDR_LEN + (p1.auth_present ? p1.auth.len : 0))
		broke("rebuilt length");
	if (tt_bfd_build(&p1, b2, n1 - 1) != 0)
		broke("build ignored cap");
	if (tt_bfd_parse(b1, n1, &p2) != TT_BFD_RX_OK)
		broke("rebuilt packet rejected");
	if (!same_fields(&p1, &p2) || p2.length != n1)
		broke("fields changed across the round trip");
	/* The rebuilt bytes equal the input's but for what the receiver
	 * ignores (Reserved byte of §4.3/4.4) and the Length of an
	 * authentication-less packet with trailing bytes. */
	n2 = tt_bfd_build(&p2, b2, sizeof(b2));
	if (n2 != n1 || memcmp(b1, b2, n1) != 0)
		broke("build is not deterministic");
	if (memcmp(b1, data, 3) != 0 || memcmp(b1 + 4, data + 4, TT_BFD_HDR_LEN - 4) != 0)
		broke("mandatory section bytes changed");
	if (p1.auth_present) {
		const uint8_t *in = data + TT_BFD_HDR_LEN, *out = b1 + TT_BFD_HDR_LEN;
		bool pw = p1.auth.type == TT_BFD_AUTH_SIMPLE_PASSWORD;

		/* Byte 3 of a digest section is Reserved: rebuilt as zero. */
		if (pw ? memcmp(in, out, p1.auth.len) != 0
		       : memcmp(in, out, 3) != 0 || out[3] != 0 ||
				    memcmp(in + 4, out + 4, p1.auth.len - 4u) != 0)
			broke("authentication section bytes changed");
	}
	return 0;
}
