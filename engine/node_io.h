/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_NODE_IO_H
#define TT_NODE_IO_H

/**
 * @file
 * The transport boundary of the two endpoints (engine/master.h,
 * engine/worker.h), shared by the deterministic simulator and the DPDK
 * drivers: the endpoints exchange UDP datagrams and know nothing else.
 *
 * RX: the caller has parsed Ethernet/IPv4/UDP (engine/pkt.h in the drivers,
 * nothing at all in the simulator) and hands the endpoint the addressing of
 * the datagram (struct tt_udp_meta), the UDP payload and `now`.
 *
 * TX: the endpoint asks the caller for a buffer (tx_buf), writes the UDP
 * payload into it and hands it back (tx_send) with the addressing to use.
 * The driver gives out mbuf space and prepends the headers; the simulator
 * gives out a scratch buffer and copies the bytes onto a simulated link.
 *
 * Buffer contract: every non-NULL buffer returned by tx_buf is passed to
 * tx_send exactly once, before the next tx_buf call, with len > 0 to send it
 * or len == 0 to give it back unsent (the endpoint could not fill it). From
 * tx_send on the buffer is the caller's again, whatever tx_send returns.
 *
 * Execution context: the ops are called from inside the endpoint's
 * functions, on the thread that called them; they must not call back into
 * the endpoint.
 */

#include <stddef.h>
#include <stdint.h>

/** Addressing of one UDP datagram. Every field in host order. */
struct tt_udp_meta {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t ttl; /* IPv4 TTL: received value on RX, value to send on TX */
};

/**
 * Get a buffer for one UDP payload.
 *
 * @param ctx  tt_io_ops.ctx.
 * @param cap  out: bytes available in the buffer.
 * @return the buffer, or NULL if none is free (the endpoint counts the
 *         datagram as dropped and carries on).
 */
typedef uint8_t *(*tt_io_tx_buf_fn)(void *ctx, size_t *cap);

/**
 * Send (len > 0) or give back (len == 0) a buffer obtained from tx_buf.
 *
 * @param ctx   tt_io_ops.ctx.
 * @param meta  addressing: the endpoint's address and port as source, the
 *              peer's as destination, the TTL to put in the IPv4 header.
 * @param buf   the buffer tx_buf returned.
 * @param len   payload bytes written at buf, or 0 to give it back.
 * @return 0, or a negative errno if the datagram could not be queued (the
 *         endpoint counts it as dropped; the buffer is the caller's anyway).
 */
typedef int (*tt_io_tx_send_fn)(void *ctx, const struct tt_udp_meta *meta, uint8_t *buf,
				size_t len);

/** The caller's transmit side, copied by the endpoint at create. */
struct tt_io_ops {
	tt_io_tx_buf_fn tx_buf;
	tt_io_tx_send_fn tx_send;
	void *ctx;
};

/** TX counters kept by every endpoint. */
struct tt_io_tx_counters {
	uint64_t sent;	       /* datagrams handed to tx_send and accepted */
	uint64_t no_buf;       /* tx_buf returned NULL: datagram dropped */
	uint64_t build_failed; /* the payload did not fit the buffer: dropped */
	uint64_t send_failed;  /* tx_send returned an error: dropped */
};

#endif /* TT_NODE_IO_H */
