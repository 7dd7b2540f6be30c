/* SPDX-License-Identifier: BSD-3-Clause */
/* CRC-32/IEEE: parameters in tt_crc32.h. */

#include "tt_crc32.h"

/*
 * Nibble-at-a-time table: 16 entries, no init step, fast enough for the
 * largest thing the engine checksums (a 64 KiB task payload or journal record).
 */
uint32_t tt_crc32_update(uint32_t crc, const uint8_t *buf, size_t len)
{
	static const uint32_t tab[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
		0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};

	/* The register holds the inverted CRC; undoing the final xor resumes it. */
	crc ^= 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		crc = (crc >> 4) ^ tab[crc & 0xf];
		crc = (crc >> 4) ^ tab[crc & 0xf];
	}
	return crc ^ 0xffffffffu;
}

uint32_t tt_crc32(const uint8_t *buf, size_t len)
{
	return tt_crc32_update(0, buf, len);
}
