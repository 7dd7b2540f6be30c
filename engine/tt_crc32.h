/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CRC32_H
#define TT_CRC32_H

/**
 * @file
 * CRC-32/IEEE 802.3 (reflected polynomial 0xEDB88320, initial value and final
 * xor 0xFFFFFFFF; check value 0xCBF43926 for "123456789"): the one CRC of the
 * engine, behind the "crc32" task handler (runner.c) and the master journal's
 * record checksums (journal.c).
 *
 * Execution context: any thread; pure functions, no state.
 */

#include <stddef.h>
#include <stdint.h>

/**
 * Extend a CRC over more bytes, zlib-style: the CRC of A followed by B is
 * tt_crc32_update(tt_crc32(A), B).
 *
 * @param crc  the CRC of the bytes before @p buf; 0 for none.
 * @param buf  bytes; may be NULL when @p len is 0.
 * @param len  their number.
 * @return the CRC of the concatenation.
 */
uint32_t tt_crc32_update(uint32_t crc, const uint8_t *buf, size_t len);

/** @return the CRC-32 of @p len bytes at @p buf (0 for none). */
uint32_t tt_crc32(const uint8_t *buf, size_t len);

#endif /* TT_CRC32_H */
