/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CRYPTO_OPENSSL_H
#define TT_CRYPTO_OPENSSL_H

/**
 * @file
 * The hash primitives of engine/auth.h (struct tt_auth_crypto_ops) backed by
 * OpenSSL 3's libcrypto: SHA1 and MD5 through EVP_Digest*, HMAC-SHA256
 * through EVP_MAC.
 *
 * Part of the tether_crypto library (drivers/meson.build), which needs
 * libcrypto but not DPDK, so that the engine stays free of both and tests
 * can use it without EAL.
 *
 * The algorithms are fetched and the contexts allocated once, at create;
 * a call then allocates nothing of its own. A context is not thread-safe:
 * create one per thread that signs or verifies (one per lcore).
 */

#include "auth.h"

struct tt_crypto_openssl;

/**
 * Fetch the algorithms and allocate the reusable contexts.
 *
 * Execution context: any thread, at start-up.
 *
 * @return the backend, or NULL with errno set (ENOMEM; ENOTSUP if SHA1 or
 *         HMAC-SHA256 is not available from libcrypto's providers). MD5
 *         missing (e.g. a FIPS-only provider) is not an error: ops->md5 is
 *         then NULL and the MD5 types are refused by tt_auth_bfd_init().
 */
struct tt_crypto_openssl *tt_crypto_openssl_create(void);

/** Free the backend (NULL is a no-op). No ops obtained from it may be used after. */
void tt_crypto_openssl_destroy(struct tt_crypto_openssl *c);

/**
 * The ops to put in struct tt_auth_bfd_config / tt_auth_dc_config. Valid as
 * long as @p c; every call through them runs on the backend's contexts, so
 * only the thread that owns @p c may use them.
 */
const struct tt_auth_crypto_ops *tt_crypto_openssl_ops(const struct tt_crypto_openssl *c);

#endif /* TT_CRYPTO_OPENSSL_H */
