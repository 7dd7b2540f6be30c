/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key file loader (drivers/keyfile_io.c): a file group or others can
 * access is refused with a message that says so and gives the chmod to run;
 * an owner-only file loads. Also: missing file, not a regular file, parse
 * errors naming the path, the size limit. Files live in a fresh temporary
 * directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "keyfile_io.h"

#define GOOD                                                                                       \
	"bfd 1 meticulous-sha1 8f14e45fceea167a5a36dedd4bea2543\n"                                 \
	"dc 2 00112233445566778899aabbccddeeff\n"

static char dir[64];
static char path[128];
static char err[512];
static struct tt_auth_keyring kr;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/tt_keyfile_io_XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/keys", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* Write the file with exactly this mode (umask does not apply to fchmod). */
static void write_file(const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void expect_refused(mode_t mode)
{
	char msg[512];

	write_file(GOOD, strlen(GOOD), mode);
	assert_int_equal(tt_keyfile_io_load(path, &kr, err, sizeof(err)), -EACCES);
	snprintf(msg, sizeof(msg),
		 "key file %s has mode %04o: group or others can read or write it; refusing to "
		 "load it. Run: chmod 600 %s",
		 path, (unsigned int)mode, path);
	assert_string_equal(err, msg);
	assert_int_equal(kr.n_bfd, 0);
	assert_int_equal(kr.n_dc, 0);
}

static void test_mode_0600_loads(void **state)
{
	(void)state;
	write_file(GOOD, strlen(GOOD), 0600);
	err[0] = '\0';
	assert_int_equal(tt_keyfile_io_load(path, &kr, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(kr.n_bfd, 1);
	assert_int_equal(kr.bfd[0].id, 1);
	assert_int_equal(kr.bfd[0].type, TT_BFD_AUTH_METICULOUS_KEYED_SHA1);
	assert_int_equal(kr.bfd[0].len, 16);
	assert_int_equal(kr.n_dc, 1);
	assert_int_equal(kr.dc[0].id, 2);
	/* Owner-only modes of any kind are fine. */
	write_file(GOOD, strlen(GOOD), 0400);
	assert_int_equal(tt_keyfile_io_load(path, &kr, err, sizeof(err)), 0);
	write_file(GOOD, strlen(GOOD), 0700);
	assert_int_equal(tt_keyfile_io_load(path, &kr, err, sizeof(err)), 0);
}

static void test_group_or_other_access_refused(void **state)
{
	(void)state;
	expect_refused(0644);
	expect_refused(0640); /* group read */
	expect_refused(0620); /* group write */
	expect_refused(0604); /* other read */
	expect_refused(0602); /* other write */
	expect_refused(0601); /* other execute: still an "other" bit */
}

static void test_other_failures(void **state)
{
	char msg[512];
	char *big;

	(void)state;
	/* Missing. */
	unlink(path);
	assert_int_equal(tt_keyfile_io_load(path, &kr, err, sizeof(err)), -ENOENT);
	snprintf(msg, sizeof(msg), "key file %s: cannot open: No such file or directory", path);
	assert_string_equal(err, msg);
	/* A directory (mode 0700: the type is checked). */
	assert_int_equal(tt_keyfile_io_load(dir, &kr, err, sizeof(err)), -EINVAL);
	snprintf(msg, sizeof(msg), "key file %s is not a regular file", dir);
	assert_string_equal(err, msg);
	/* A parse error names the path and line. */
	write_file("# keys\nbfd 1 sha256 aa\n", 22, 0600);
	assert_int_equal(tt_keyfile_io_load(path, &kr, err, sizeof(err)), -EINVAL);
	snprintf(msg, sizeof(msg),
		 "%s:2: bfd auth type \"sha256\" is unknown: allowed sha1, meticulous-sha1, md5, "
		 "meticulous-md5",
		 path);
	assert_string_equal(err, msg);
	/* Too big. */
	big = malloc(TT_KEYFILE_IO_MAX + 1);
	assert_non_null(big);
	memset(big, '#', TT_KEYFILE_IO_MAX + 1);
	write_file(big, TT_KEYFILE_IO_MAX + 1, 0600);
	free(big);
	assert_int_equal(tt_keyfile_io_load(path, &kr, err, sizeof(err)), -EFBIG);
	snprintf(msg, sizeof(msg), "key file %s is 65537 bytes: allowed at most 65536 bytes", path);
	assert_string_equal(err, msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_0600_loads),
		cmocka_unit_test(test_group_or_other_access_refused),
		cmocka_unit_test(test_other_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
