/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_KEYFILE_IO_H
#define TT_KEYFILE_IO_H

/**
 * @file
 * Load the key file named in the config (format: engine/keyfile.h).
 *
 * The file holds the secrets that authenticate heartbeats and data channels:
 * a node refuses to start with one that group or others can access. The
 * mode is taken with fstat() on the opened file (not stat() on the name), so
 * the file checked is the file read. On that refusal the message is, for a
 * file of mode 0644:
 *
 *     key file /etc/tether/keys has mode 0644: group or others can read or
 *     write it; refusing to load it. Run: chmod 600 /etc/tether/keys
 *
 * Part of the tether_crypto library (no DPDK). Execution context: any
 * thread, at start-up; blocking I/O.
 */

#include <stddef.h>

#include "auth.h"

/** Largest key file accepted, in bytes. */
#define TT_KEYFILE_IO_MAX (64 * 1024)

/**
 * Open, check and parse a key file.
 *
 * @param path     the file.
 * @param out      filled on success; wiped on any error.
 * @param err      on error, a message naming the file and the problem
 *                 (truncated to err_len); may be NULL.
 * @param err_len  size of err (TT_KEYFILE_ERR_MAX is enough for parse errors
 *                 with short paths; allow for the path's length).
 * @return 0; -EACCES if group or others have any permission on it; the
 *         negative errno of open/fstat/read; -EINVAL if it is not a regular
 *         file or does not parse; -EFBIG above TT_KEYFILE_IO_MAX bytes.
 */
int tt_keyfile_io_load(const char *path, struct tt_auth_keyring *out, char *err, size_t err_len);

#endif /* TT_KEYFILE_IO_H */
