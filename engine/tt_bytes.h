/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_BYTES_H
#define TT_BYTES_H

/**
 * @file
 * Network-order (big-endian) loads and stores on byte buffers, shared by every
 * wire format of the engine (bfd_wire.c, dc_wire.c, pkt.c, task_msg.c) and the
 * reference task handlers (runner.c).
 *
 * Byte by byte on purpose: a field in a received frame may sit at any address,
 * so the helpers need no alignment and no byte-swapping header, and they read
 * the same on every host. The caller checks the buffer length first.
 *
 * Execution context: any thread; pure functions.
 */

#include <stdint.h>

/** @return the 16-bit big-endian value at @p p (2 bytes readable). */
static inline uint16_t tt_get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

/** @return the 32-bit big-endian value at @p p (4 bytes readable). */
static inline uint32_t tt_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/** @return the 64-bit big-endian value at @p p (8 bytes readable). */
static inline uint64_t tt_get_be64(const uint8_t *p)
{
	return (uint64_t)tt_get_be32(p) << 32 | tt_get_be32(p + 4);
}

/** Store @p v big-endian at @p p (2 bytes writable). */
static inline void tt_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/** Store @p v big-endian at @p p (4 bytes writable). */
static inline void tt_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/** Store @p v big-endian at @p p (8 bytes writable). */
static inline void tt_put_be64(uint8_t *p, uint64_t v)
{
	tt_put_be32(p, (uint32_t)(v >> 32));
	tt_put_be32(p + 4, (uint32_t)v);
}

#endif /* TT_BYTES_H */
