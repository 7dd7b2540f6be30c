/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_KEYFILE_H
#define TT_KEYFILE_H

/**
 * @file
 * The key file: the secrets a node authenticates heartbeats and data
 * channels with (engine/auth.h). This file parses one held in memory; the
 * file itself is opened by drivers/keyfile_io.h, which also refuses one that
 * group or others can access.
 *
 * Format: text, one entry a line; '#' starts a comment that runs to the end
 * of the line; fields are separated by spaces or tabs; empty lines are
 * ignored.
 *
 *     # heartbeats: RFC 5880 §6.7 keyed authentication
 *     bfd <key-id> <type> <hex-secret>
 *     # data channels: HMAC-SHA256 MAC trailer
 *     dc <key-id> <hex-secret>
 *
 * | field      | allowed                                                       |
 * |------------|---------------------------------------------------------------|
 * | key-id     | decimal 0..255, unique among the bfd lines (and the dc lines) |
 * | type       | sha1 (RFC 5880 Keyed SHA1), meticulous-sha1 (Meticulous       |
 * |            | Keyed SHA1), md5 (Keyed MD5), meticulous-md5 (Meticulous      |
 * |            | Keyed MD5)                                                    |
 * | hex-secret | an even number of hex digits (0-9, a-f, A-F): 1..20 bytes     |
 * |            | for the sha1 types, 1..16 for md5 types, 16..64 for dc        |
 *
 * At most 16 keys of each kind; at least one key in the file. The first bfd
 * line is the key heartbeats are sent with, the first dc line the key data
 * channels are sent with; every listed key is accepted on receive. To roll a
 * key over: add the new key as a second line on every node, then move it
 * first everywhere, then delete the old one.
 *
 * Example:
 *
 *     bfd 1 meticulous-sha1 8f14e45fceea167a5a36dedd4bea2543
 *     dc  1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
 *
 * Error messages name the file, the line, the bad value and what is allowed;
 * they never repeat a secret.
 */

#include <stddef.h>
#include <stdint.h>

#include "auth.h"

/** Longest error message tt_keyfile_parse() writes, with its NUL. */
#define TT_KEYFILE_ERR_MAX 256

/**
 * Parse a key file held in memory.
 *
 * Execution context: any thread, at start-up (not the fast path).
 *
 * @param name     the file's name, used in messages (NULL: "key file").
 * @param buf      the file's bytes (need not be NUL-terminated).
 * @param len      bytes in buf.
 * @param out      filled on success; wiped (tt_auth_keyring_wipe) on error.
 * @param err      on error, the message ("name:line: what; allowed: ..."),
 *                 truncated to err_len; may be NULL.
 * @param err_len  size of err.
 * @return 0, or -EINVAL with err set.
 */
int tt_keyfile_parse(const char *name, const char *buf, size_t len, struct tt_auth_keyring *out,
		     char *err, size_t err_len);

/** The key-file spelling of a heartbeat auth type ("sha1", ...), or "?" if none. */
const char *tt_keyfile_type_name(unsigned int type);

#endif /* TT_KEYFILE_H */
