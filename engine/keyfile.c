/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key file parser: text lines into a struct tt_auth_keyring. Pure: works on a
 * buffer, allocates nothing, never echoes a secret into a message.
 */
#include "keyfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_FIELDS    4	 /* "bfd", id, type, secret */
#define SHOW_MAX      40 /* longest bad value quoted in a message */
#define TYPES_ALLOWED "sha1, meticulous-sha1, md5, meticulous-md5"

/* Key-file spellings of the heartbeat types. X(spelling, enum tt_bfd_auth_type) */
#define KEYFILE_TYPES(X)                                                                           \
	X("sha1", TT_BFD_AUTH_KEYED_SHA1)                                                          \
	X("meticulous-sha1", TT_BFD_AUTH_METICULOUS_KEYED_SHA1)                                    \
	X("md5", TT_BFD_AUTH_KEYED_MD5)                                                            \
	X("meticulous-md5", TT_BFD_AUTH_METICULOUS_KEYED_MD5)

struct type_name {
	const char *name;
	uint8_t type;
};

static const struct type_name type_names[] = {
#define TT_X(str, val) {str, val},
	KEYFILE_TYPES(TT_X)
#undef TT_X
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *tt_keyfile_type_name(unsigned int type)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "?";
}

struct field {
	const char *p;
	size_t n;
};

/* Where the parser is, for messages. */
struct ctx {
	const char *name;
	unsigned int line;
	char *err;
	size_t err_len;
};

static bool field_is(const struct field *f, const char *word)
{
	return f->n == strlen(word) && memcmp(f->p, word, f->n) == 0;
}

/* "name:line: " + the formatted message. Always returns -EINVAL. */
__attribute__((format(printf, 2, 3))) static int fail(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err == NULL || c->err_len == 0)
		return -EINVAL;
	if (c->line > 0)
		n = snprintf(c->err, c->err_len, "%s:%u: ", c->name, c->line);
	else
		n = snprintf(c->err, c->err_len, "%s: ", c->name);
	if (n < 0 || (size_t)n >= c->err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A field as it may be quoted back: at most SHOW_MAX bytes (then "..."). */
#define SHOW(f)                                                                                    \
	(int)((f)->n > SHOW_MAX ? SHOW_MAX : (f)->n), (f)->p, ((f)->n > SHOW_MAX ? "..." : "")

/*
 * Split one line (without its '\n') into fields; a '#' ends it. Returns how
 * many fields there are, filling at most `max` of them.
 */
static unsigned int split(const char *s, size_t n, struct field *f, unsigned int max)
{
	unsigned int count = 0;
	size_t i = 0;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == n || s[i] == '#')
			return count;
		size_t start = i;

		while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#')
			i++;
		if (count < max)
			f[count] = (struct field){.p = s + start, .n = i - start};
		count++;
	}
}

/* Decimal 0..255. */
static int parse_id(const struct ctx *c, const struct field *f, uint8_t *id)
{
	unsigned int v = 0;

	if (f->n == 0 || f->n > 3)
		goto bad;
	for (size_t i = 0; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			goto bad;
		v = v * 10 + (unsigned int)(f->p[i] - '0');
	}
	if (v > 255)
		goto bad;
	*id = (uint8_t)v;
	return 0;
bad:
	return fail(c, "key id \"%.*s%s\" is not allowed: allowed a decimal number from 0 to 255",
		    SHOW(f));
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Hex secret of min..max bytes into out. Messages say where and how it is
 * wrong but never quote it: the file holds secrets and the message goes to
 * logs.
 */
static int parse_secret(const struct ctx *c, const struct field *f, const char *what, size_t min,
			size_t max, uint8_t *out, uint8_t *len)
{
	size_t bytes = f->n / 2;

	for (size_t i = 0; i < f->n; i++)
		if (hex_digit(f->p[i]) < 0)
			return fail(
				c,
				"%s secret: character %zu is not a hex digit: allowed 0-9, a-f, "
				"A-F",
				what, i + 1);
	if (f->n % 2 != 0)
		return fail(c,
			    "%s secret has an odd number of hex digits (%zu): allowed two digits a "
			    "byte",
			    what, f->n);
	if (bytes < min || bytes > max)
		return fail(
			c,
			"%s secret is %zu bytes: allowed %zu to %zu bytes (%zu to %zu hex digits)",
			what, bytes, min, max, 2 * min, 2 * max);
	for (size_t i = 0; i < bytes; i++)
		out[i] = (uint8_t)(hex_digit(f->p[2 * i]) << 4 | hex_digit(f->p[2 * i + 1]));
	*len = (uint8_t)bytes;
	return 0;
}

static int parse_bfd(const struct ctx *c, const struct field *f, unsigned int n,
		     struct tt_auth_keyring *kr, unsigned int *lines)
{
	struct tt_auth_bfd_key *k;
	const struct tt_auth_bfd_key *dup;
	const struct type_name *t = NULL;
	uint8_t id;
	size_t max;
	int rc;

	if (n != 4)
		return fail(c,
			    "bfd entry has %u fields: allowed exactly 4, \"bfd <key-id> <type> "
			    "<hex-secret>\"",
			    n);
	rc = parse_id(c, &f[1], &id);
	if (rc != 0)
		return rc;
	dup = tt_auth_keyring_bfd(kr, id);
	if (dup != NULL)
		return fail(c, "bfd key id %u is already defined on line %u: allowed each id once",
			    id, lines[dup - kr->bfd]);
	if (kr->n_bfd == TT_AUTH_KEYS_MAX)
		return fail(c, "bfd key id %u is one key too many: allowed at most %u bfd keys", id,
			    TT_AUTH_KEYS_MAX);
	for (size_t i = 0; i < N_TYPES; i++)
		if (field_is(&f[2], type_names[i].name))
			t = &type_names[i];
	if (t == NULL)
		return fail(c, "bfd auth type \"%.*s%s\" is unknown: allowed " TYPES_ALLOWED,
			    SHOW(&f[2]));
	k = &kr->bfd[kr->n_bfd];
	k->id = id;
	k->type = t->type;
	/* RFC 5880 §6.7.4: a SHA1 key fills at most the 20-byte hash field;
	 * §6.7.3: an MD5 key the 16-byte digest field. */
	max = (t->type == TT_BFD_AUTH_KEYED_SHA1 || t->type == TT_BFD_AUTH_METICULOUS_KEYED_SHA1)
		      ? TT_AUTH_SHA1_LEN
		      : TT_AUTH_MD5_LEN;
	rc = parse_secret(c, &f[3], t->name, 1, max, k->secret, &k->len);
	if (rc != 0)
		return rc;
	lines[kr->n_bfd++] = c->line;
	return 0;
}

static int parse_dc(const struct ctx *c, const struct field *f, unsigned int n,
		    struct tt_auth_keyring *kr, unsigned int *lines)
{
	struct tt_auth_dc_key *k;
	const struct tt_auth_dc_key *dup;
	uint8_t id;
	int rc;

	if (n != 3)
		return fail(
			c,
			"dc entry has %u fields: allowed exactly 3, \"dc <key-id> <hex-secret>\"",
			n);
	rc = parse_id(c, &f[1], &id);
	if (rc != 0)
		return rc;
	dup = tt_auth_keyring_dc(kr, id);
	if (dup != NULL)
		return fail(c, "dc key id %u is already defined on line %u: allowed each id once",
			    id, lines[dup - kr->dc]);
	if (kr->n_dc == TT_AUTH_KEYS_MAX)
		return fail(c, "dc key id %u is one key too many: allowed at most %u dc keys", id,
			    TT_AUTH_KEYS_MAX);
	k = &kr->dc[kr->n_dc];
	k->id = id;
	rc = parse_secret(c, &f[2], "dc", TT_AUTH_DC_KEY_MIN, TT_AUTH_DC_KEY_MAX, k->secret,
			  &k->len);
	if (rc != 0)
		return rc;
	lines[kr->n_dc++] = c->line;
	return 0;
}

/* Contract: see keyfile.h. One pass, line by line; the first error wins. */
int tt_keyfile_parse(const char *name, const char *buf, size_t len, struct tt_auth_keyring *out,
		     char *err, size_t err_len)
{
	struct ctx c = {.name = name != NULL ? name : "key file", .err = err, .err_len = err_len};
	unsigned int bfd_lines[TT_AUTH_KEYS_MAX], dc_lines[TT_AUTH_KEYS_MAX];
	struct field f[MAX_FIELDS];
	size_t pos = 0;
	int rc = 0;

	tt_auth_keyring_wipe(out);
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (buf == NULL && len > 0)
		return fail(&c, "no data");

	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;
		unsigned int nf;

		c.line++;
		pos += n + (nl != NULL ? 1 : 0);
		nf = split(line, n, f, MAX_FIELDS);
		if (nf == 0)
			continue;
		if (field_is(&f[0], "bfd"))
			rc = parse_bfd(&c, f, nf, out, bfd_lines);
		else if (field_is(&f[0], "dc"))
			rc = parse_dc(&c, f, nf, out, dc_lines);
		else
			rc = fail(&c, "entry \"%.*s%s\" is unknown: allowed \"bfd\" or \"dc\"",
				  SHOW(&f[0]));
		if (rc != 0)
			goto wipe;
	}
	if (out->n_bfd == 0 && out->n_dc == 0) {
		c.line = 0;
		rc = fail(&c, "holds no key: allowed at least one \"bfd\" or \"dc\" line");
		goto wipe;
	}
	return 0;
wipe:
	tt_auth_keyring_wipe(out);
	return rc;
}
