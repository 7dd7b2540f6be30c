/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key file parser (engine/keyfile.c): good files in every allowed shape,
 * then every error with its exact message (file, line, bad value, what is
 * allowed), and that a failed parse leaves no secret behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keyfile.h"

static struct tt_auth_keyring kr;
static char err[TT_KEYFILE_ERR_MAX];

static int parse(const char *text)
{
	return tt_keyfile_parse("keys", text, strlen(text), &kr, err, sizeof(err));
}

/* Parsing must fail with exactly this message, and leave an empty ring. */
static void expect_error(const char *text, const char *msg)
{
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(err, msg);
	assert_int_equal(kr.n_bfd, 0);
	assert_int_equal(kr.n_dc, 0);
}

static const char dc32[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void test_good_file(void **state)
{
	static const uint8_t s1[] = {0x8f, 0x14, 0xe4, 0x5f, 0xce, 0xea, 0x16, 0x7a,
				     0x5a, 0x36, 0xde, 0xdd, 0x4b, 0xea, 0x25, 0x43};
	const char *text = "# tether keys\n"
			   "\n"
			   "bfd 1 meticulous-sha1 8f14e45fceea167a5a36dedd4bea2543   # current\n"
			   "\tbfd\t200\tsha1\tABCDEF\r\n"
			   "   # indented comment\n"
			   "bfd 3 md5 01#comment right after the secret\n"
			   "bfd 0 meticulous-md5 00112233445566778899aabbccddeeff\n"
			   "dc 7 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
			   "dc 255 000102030405060708090a0b0c0d0e0f"; /* no final newline */

	(void)state;
	assert_int_equal(parse(text), 0);
	assert_string_equal(err, "");
	assert_int_equal(kr.n_bfd, 4);
	assert_int_equal(kr.n_dc, 2);
	/* File order is kept: index 0 of each kind is the key sent with. */
	assert_int_equal(kr.bfd[0].id, 1);
	assert_int_equal(kr.bfd[0].type, TT_BFD_AUTH_METICULOUS_KEYED_SHA1);
	assert_int_equal(kr.bfd[0].len, 16);
	assert_memory_equal(kr.bfd[0].secret, s1, sizeof(s1));
	assert_int_equal(kr.bfd[1].id, 200);
	assert_int_equal(kr.bfd[1].type, TT_BFD_AUTH_KEYED_SHA1);
	assert_int_equal(kr.bfd[1].len, 3);
	assert_memory_equal(kr.bfd[1].secret, "\xab\xcd\xef", 3);
	assert_int_equal(kr.bfd[2].id, 3);
	assert_int_equal(kr.bfd[2].type, TT_BFD_AUTH_KEYED_MD5);
	assert_int_equal(kr.bfd[2].len, 1);
	assert_int_equal(kr.bfd[2].secret[0], 0x01);
	assert_int_equal(kr.bfd[3].id, 0);
	assert_int_equal(kr.bfd[3].type, TT_BFD_AUTH_METICULOUS_KEYED_MD5);
	assert_int_equal(kr.bfd[3].len, 16);
	assert_int_equal(kr.dc[0].id, 7);
	assert_int_equal(kr.dc[0].len, 32);
	assert_int_equal(kr.dc[0].secret[31], 0xff);
	assert_int_equal(kr.dc[1].id, 255);
	assert_int_equal(kr.dc[1].len, 16);
	assert_int_equal(kr.dc[1].secret[15], 0x0f);
	assert_ptr_equal(tt_auth_keyring_bfd(&kr, 200), &kr.bfd[1]);
	assert_ptr_equal(tt_auth_keyring_dc(&kr, 255), &kr.dc[1]);
	assert_null(tt_auth_keyring_bfd(&kr, 7));
	assert_null(tt_auth_keyring_dc(&kr, 1));
	/* bfd and dc ids are separate spaces */
	assert_int_equal(parse("bfd 5 sha1 aa\ndc 5 00112233445566778899aabbccddeeff\n"), 0);
}

/* The limits themselves are allowed. */
static void test_limits(void **state)
{
	char text[16 * 64];
	size_t n = 0;

	(void)state;
	assert_int_equal(
		parse("bfd 1 sha1 00112233445566778899aabbccddeeff00112233\n"
		      "bfd 2 md5 00112233445566778899aabbccddeeff\n"
		      "dc 1 00112233445566778899aabbccddeeff\n"
		      "dc 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
		      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"),
		0);
	assert_int_equal(kr.bfd[0].len, 20);
	assert_int_equal(kr.bfd[1].len, 16);
	assert_int_equal(kr.dc[0].len, 16);
	assert_int_equal(kr.dc[1].len, 64);
	for (int i = 0; i < TT_AUTH_KEYS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "bfd %d sha1 %02x\n", i, i);
	assert_int_equal(parse(text), 0);
	assert_int_equal(kr.n_bfd, TT_AUTH_KEYS_MAX);
	assert_int_equal(kr.bfd[15].secret[0], 0x0f);
	/* Only dc keys is a valid file too. */
	assert_int_equal(parse("dc 0 00112233445566778899aabbccddeeff\n"), 0);
	assert_int_equal(kr.n_bfd, 0);
	assert_int_equal(kr.n_dc, 1);
}

static void test_errors_entry_and_fields(void **state)
{
	(void)state;
	expect_error("bfd 1 sha1 aa\n\nkey 2 sha1 aa\n",
		     "keys:3: entry \"key\" is unknown: allowed \"bfd\" or \"dc\"");
	expect_error("BFD 1 sha1 aa\n",
		     "keys:1: entry \"BFD\" is unknown: allowed \"bfd\" or \"dc\"");
	/* A long bad value is quoted up to 40 bytes. */
	expect_error("0123456789012345678901234567890123456789EXTRA 1\n",
		     "keys:1: entry \"0123456789012345678901234567890123456789...\" is unknown: "
		     "allowed \"bfd\" or \"dc\"");
	expect_error("bfd 1 sha1\n", "keys:1: bfd entry has 3 fields: allowed exactly 4, "
				     "\"bfd <key-id> <type> <hex-secret>\"");
	expect_error("bfd 1 sha1 aa bb\n", "keys:1: bfd entry has 5 fields: allowed exactly 4, "
					   "\"bfd <key-id> <type> <hex-secret>\"");
	expect_error(
		"dc 1\n",
		"keys:1: dc entry has 2 fields: allowed exactly 3, \"dc <key-id> <hex-secret>\"");
	expect_error(
		"dc 1 sha1 00112233445566778899aabbccddeeff\n",
		"keys:1: dc entry has 4 fields: allowed exactly 3, \"dc <key-id> <hex-secret>\"");
}

static void test_errors_key_id(void **state)
{
	static const char *const bad[] = {"256", "-1", "x", "1a", "1000", "+1"};
	char text[64], msg[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "bfd %s sha1 aa\n", bad[i]);
		snprintf(msg, sizeof(msg),
			 "keys:1: key id \"%s\" is not allowed: allowed a decimal number from 0 "
			 "to 255",
			 bad[i]);
		expect_error(text, msg);
	}
	expect_error(
		"dc 999 00112233445566778899aabbccddeeff\n",
		"keys:1: key id \"999\" is not allowed: allowed a decimal number from 0 to 255");
	expect_error("# keys\nbfd 1 sha1 aa\nbfd 2 sha1 bb\nbfd 1 md5 cc\n",
		     "keys:4: bfd key id 1 is already defined on line 2: allowed each id once");
	expect_error("dc 9 00112233445566778899aabbccddeeff\n"
		     "dc 009 00112233445566778899aabbccddeeff\n",
		     "keys:2: dc key id 9 is already defined on line 1: allowed each id once");
}

static void test_errors_type(void **state)
{
	(void)state;
	expect_error("bfd 1 sha256 aa\n", "keys:1: bfd auth type \"sha256\" is unknown: allowed "
					  "sha1, meticulous-sha1, md5, meticulous-md5");
	expect_error("bfd 1 SHA1 aa\n", "keys:1: bfd auth type \"SHA1\" is unknown: allowed sha1, "
					"meticulous-sha1, md5, meticulous-md5");
	expect_error("bfd 1 simple aa\n", "keys:1: bfd auth type \"simple\" is unknown: allowed "
					  "sha1, meticulous-sha1, md5, meticulous-md5");
	assert_string_equal(tt_keyfile_type_name(TT_BFD_AUTH_METICULOUS_KEYED_SHA1),
			    "meticulous-sha1");
	assert_string_equal(tt_keyfile_type_name(TT_BFD_AUTH_KEYED_MD5), "md5");
	assert_string_equal(tt_keyfile_type_name(TT_BFD_AUTH_SIMPLE_PASSWORD), "?");
}

/* Secrets: hex, even, within the type's length. Never quoted back. */
static void test_errors_secret(void **state)
{
	static const char nul_text[] = "bfd 1 sha1 ab\0d\n";

	(void)state;
	expect_error("bfd 1 sha1 deXdbeef\n",
		     "keys:1: sha1 secret: character 3 is not a hex digit: "
		     "allowed 0-9, a-f, A-F");
	assert_null(strstr(err, "deXdbeef"));
	expect_error("bfd 1 meticulous-md5 0x1234\n",
		     "keys:1: meticulous-md5 secret: character 2 is not a hex digit: allowed 0-9, "
		     "a-f, A-F");
	assert_int_equal(
		tt_keyfile_parse("keys", nul_text, sizeof(nul_text) - 1, &kr, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "keys:1: sha1 secret: character 3 is not a hex digit: allowed "
				 "0-9, a-f, A-F");
	expect_error("bfd 1 sha1 abc\n", "keys:1: sha1 secret has an odd number of hex digits (3): "
					 "allowed two digits a byte");
	expect_error(
		"bfd 1 meticulous-sha1 00112233445566778899aabbccddeeff0011223344\n",
		"keys:1: meticulous-sha1 secret is 21 bytes: allowed 1 to 20 bytes (2 to 40 hex "
		"digits)");
	expect_error("bfd 1 md5 00112233445566778899aabbccddeeff00\n",
		     "keys:1: md5 secret is 17 bytes: allowed 1 to 16 bytes (2 to 32 hex digits)");
	expect_error(
		"dc 1 00112233445566778899aabbccddee\n",
		"keys:1: dc secret is 15 bytes: allowed 16 to 64 bytes (32 to 128 hex digits)");
	expect_error(
		"dc 1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n",
		"keys:1: dc secret is 65 bytes: allowed 16 to 64 bytes (32 to 128 hex digits)");
	expect_error("dc 1 00112233445566778899aabbccddeeff0\n",
		     "keys:1: dc secret has an odd number of hex digits (33): allowed two digits a "
		     "byte");
}

static void test_errors_counts(void **state)
{
	char text[17 * 80];
	size_t n = 0;

	(void)state;
	for (int i = 0; i <= TT_AUTH_KEYS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "bfd %d sha1 aa\n", i);
	expect_error(text,
		     "keys:17: bfd key id 16 is one key too many: allowed at most 16 bfd keys");
	n = 0;
	for (int i = 0; i <= TT_AUTH_KEYS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "dc %d %s\n", i, dc32);
	expect_error(text, "keys:17: dc key id 16 is one key too many: allowed at most 16 dc keys");
	expect_error("", "keys: holds no key: allowed at least one \"bfd\" or \"dc\" line");
	expect_error("# nothing yet\n\n   \n",
		     "keys: holds no key: allowed at least one \"bfd\" or \"dc\" line");
}

/* A failure after good lines wipes them; messages survive small buffers. */
static void test_wipe_and_buffers(void **state)
{
	const char *text = "bfd 1 sha1 ffffffff\nbfd 2 sha1 zz\n";
	char small[12];
	static const uint8_t zero[TT_AUTH_BFD_KEY_MAX];

	(void)state;
	assert_int_equal(parse(text), -EINVAL);
	assert_int_equal(kr.n_bfd, 0);
	assert_memory_equal(kr.bfd[0].secret, zero, sizeof(zero));
	assert_int_equal(kr.bfd[0].len, 0);
	assert_int_equal(tt_keyfile_parse("keys", text, strlen(text), &kr, small, sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "keys:2: sha");
	assert_int_equal(tt_keyfile_parse("keys", text, strlen(text), &kr, NULL, 0), -EINVAL);
	assert_int_equal(tt_keyfile_parse(NULL, "dc 1 zz\n", 8, &kr, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "key file:1: dc secret: character 1 is not a hex digit: allowed "
				 "0-9, a-f, A-F");
	/* A successful parse clears an earlier message. */
	assert_int_equal(parse("bfd 1 sha1 aa"), 0);
	assert_string_equal(err, "");
	tt_auth_keyring_wipe(&kr);
	assert_int_equal(kr.n_bfd, 0);
	assert_int_equal(kr.bfd[0].secret[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_errors_entry_and_fields),
		cmocka_unit_test(test_errors_key_id),
		cmocka_unit_test(test_errors_type),
		cmocka_unit_test(test_errors_secret),
		cmocka_unit_test(test_errors_counts),
		cmocka_unit_test(test_wipe_and_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
