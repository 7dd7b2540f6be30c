/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key file loading: open, refuse a file others can access, read it whole,
 * hand the bytes to the pure parser (engine/keyfile.c), wipe the copy.
 */
#include "keyfile_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t err_len, int rc,
						      const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Read up to cap bytes, retrying short reads and EINTR; *got is what was read. */
static int read_all(int fd, char *buf, size_t cap, size_t *got)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

/*
 * Contract: see keyfile_io.h. The buffer is one byte larger than the limit so
 * that a file grown past it after fstat() is still caught.
 */
int tt_keyfile_io_load(const char *path, struct tt_auth_keyring *out, char *err, size_t err_len)
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	tt_auth_keyring_wipe(out);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		return fail(err, err_len, rc, "key file %s: cannot open: %s", path, strerror(-rc));
	}
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		fail(err, err_len, rc, "key file %s: cannot stat: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = fail(err, err_len, -EINVAL, "key file %s is not a regular file", path);
		goto out;
	}
	/* The secrets must be the owner's alone: any group or other bit. */
	if (sb.st_mode & 077) {
		rc = fail(err, err_len, -EACCES,
			  "key file %s has mode %04o: group or others can read or write it; "
			  "refusing to load it. Run: chmod 600 %s",
			  path, (unsigned int)(sb.st_mode & 07777), path);
		goto out;
	}
	if (sb.st_size > TT_KEYFILE_IO_MAX) {
		rc = fail(err, err_len, -EFBIG,
			  "key file %s is %lld bytes: allowed at most %d bytes", path,
			  (long long)sb.st_size, TT_KEYFILE_IO_MAX);
		goto out;
	}
	buf = malloc(TT_KEYFILE_IO_MAX + 1);
	if (buf == NULL) {
		rc = fail(err, err_len, -ENOMEM, "key file %s: out of memory", path);
		goto out;
	}
	rc = read_all(fd, buf, TT_KEYFILE_IO_MAX + 1, &got);
	if (rc != 0) {
		fail(err, err_len, rc, "key file %s: cannot read: %s", path, strerror(-rc));
		goto out;
	}
	if (got > TT_KEYFILE_IO_MAX) {
		rc = fail(err, err_len, -EFBIG, "key file %s is over %d bytes: allowed at most %d",
			  path, TT_KEYFILE_IO_MAX, TT_KEYFILE_IO_MAX);
		goto out;
	}
	rc = tt_keyfile_parse(path, buf, got, out, err, err_len);
out:
	if (buf != NULL) {
		explicit_bzero(buf, got);
		free(buf);
	}
	close(fd);
	if (rc != 0)
		tt_auth_keyring_wipe(out);
	return rc;
}
