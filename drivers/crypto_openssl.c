/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenSSL 3 libcrypto behind struct tt_auth_crypto_ops. The algorithms are
 * fetched explicitly once (an implicit fetch per call would search the
 * providers every time) and the digest and MAC contexts are reused.
 */
#include "crypto_openssl.h"

#include <errno.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

struct tt_crypto_openssl {
	EVP_MD *sha1;
	EVP_MD *md5; /* NULL when no provider offers it */
	EVP_MD_CTX *md_ctx;
	EVP_MAC *hmac;
	EVP_MAC_CTX *mac_ctx;
	struct tt_auth_crypto_ops ops;
};

/*
 * One digest over the pieces. On a libcrypto failure its error queue is
 * cleared (it is per thread and would otherwise grow) and -EIO returned.
 */
static int digest(struct tt_crypto_openssl *c, const EVP_MD *md, const struct tt_auth_iov *iov,
		  unsigned int n_iov, uint8_t *out)
{
	unsigned int out_len;

	if (EVP_DigestInit_ex2(c->md_ctx, md, NULL) != 1)
		goto fail;
	for (unsigned int i = 0; i < n_iov; i++)
		if (EVP_DigestUpdate(c->md_ctx, iov[i].base, iov[i].len) != 1)
			goto fail;
	if (EVP_DigestFinal_ex(c->md_ctx, out, &out_len) != 1)
		goto fail;
	return 0;
fail:
	ERR_clear_error();
	return -EIO;
}

static int sha1_fn(void *ctx, const struct tt_auth_iov *iov, unsigned int n_iov, uint8_t *out)
{
	struct tt_crypto_openssl *c = ctx;

	return digest(c, c->sha1, iov, n_iov, out);
}

static int md5_fn(void *ctx, const struct tt_auth_iov *iov, unsigned int n_iov, uint8_t *out)
{
	struct tt_crypto_openssl *c = ctx;

	return digest(c, c->md5, iov, n_iov, out);
}

/* HMAC-SHA256: EVP_MAC_init with a key re-keys the reused context. */
static int hmac_sha256_fn(void *ctx, const uint8_t *key, size_t key_len,
			  const struct tt_auth_iov *iov, unsigned int n_iov, uint8_t *tag)
{
	struct tt_crypto_openssl *c = ctx;
	size_t out_len;

	/* A NULL/empty key would make EVP_MAC_init keep the previous one. */
	if (key == NULL || key_len == 0)
		return -EINVAL;
	if (EVP_MAC_init(c->mac_ctx, key, key_len, NULL) != 1)
		goto fail;
	for (unsigned int i = 0; i < n_iov; i++)
		if (EVP_MAC_update(c->mac_ctx, iov[i].base, iov[i].len) != 1)
			goto fail;
	if (EVP_MAC_final(c->mac_ctx, tag, &out_len, TT_AUTH_HMAC_SHA256_LEN) != 1 ||
	    out_len != TT_AUTH_HMAC_SHA256_LEN)
		goto fail;
	return 0;
fail:
	ERR_clear_error();
	return -EIO;
}

struct tt_crypto_openssl *tt_crypto_openssl_create(void)
{
	char digest_name[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
		OSSL_PARAM_construct_end(),
	};
	struct tt_crypto_openssl *c = calloc(1, sizeof(*c));
	int err = ENOTSUP;

	if (c == NULL)
		return NULL;
	c->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (c->sha1 == NULL || c->hmac == NULL)
		goto fail;
	c->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	err = ENOMEM;
	c->md_ctx = EVP_MD_CTX_new();
	c->mac_ctx = EVP_MAC_CTX_new(c->hmac);
	if (c->md_ctx == NULL || c->mac_ctx == NULL)
		goto fail;
	err = ENOTSUP;
	if (EVP_MAC_CTX_set_params(c->mac_ctx, params) != 1)
		goto fail;
	/* A missing MD5 left an error on the queue: it is not one. */
	ERR_clear_error();

	c->ops.sha1 = sha1_fn;
	c->ops.md5 = c->md5 != NULL ? md5_fn : NULL;
	c->ops.hmac_sha256 = hmac_sha256_fn;
	c->ops.ctx = c;
	return c;
fail:
	ERR_clear_error();
	tt_crypto_openssl_destroy(c);
	errno = err;
	return NULL;
}

void tt_crypto_openssl_destroy(struct tt_crypto_openssl *c)
{
	if (c == NULL)
		return;
	EVP_MAC_CTX_free(c->mac_ctx);
	EVP_MAC_free(c->hmac);
	EVP_MD_CTX_free(c->md_ctx);
	EVP_MD_free(c->md5);
	EVP_MD_free(c->sha1);
	free(c);
}

const struct tt_auth_crypto_ops *tt_crypto_openssl_ops(const struct tt_crypto_openssl *c)
{
	return &c->ops;
}
