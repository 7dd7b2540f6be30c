/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tether-pmd configuration loader (config.h).
 *
 * Two readers look at each file. rte_cfgfile parses it and gives every value.
 * A line scan beside it gives what rte_cfgfile cannot: the line of each
 * section and key for the messages, and the mistakes rte_cfgfile lets through
 * silently (a line without '=' is skipped, a long name or value is truncated,
 * a repeated key hides behind the first). The scan applies rte_cfgfile's own
 * rules (comment character, whitespace stripping) so that both agree on names.
 *
 * Then, in this order: section and key names (unknown or repeated), [node]
 * role, every value in file order (syntax, range, does the role use it),
 * required keys, [workers] and [neighbours], cross-key rules, the timing rule.
 * The first problem found is the one reported.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cfgfile.h>
#include <rte_config.h>
#include <rte_ether.h>
#include <rte_pci.h>

#include "config.h"
#include "dc_wire.h"
#include "port.h"
#include "runtime.h"
#include "task_msg.h"

_Static_assert(TT_CFG_MAX_QUEUES == TT_PORT_MAX_QUEUES, "[port] queues is a tt_port's queues");
_Static_assert(TT_CFG_STR_MAX >= CFG_VALUE_LEN, "a string value fits in the struct");
_Static_assert(TT_DCW_MAX_CHANNELS <= TT_FENCE_MAX_CHAN, "K channels fit a fence association");

/* rte_cfgfile_load() reads lines into a buffer of this many bytes. */
#define LINE_BUF (CFG_NAME_LEN + CFG_VALUE_LEN + 4)
/* Longest line it accepts: the line and its '\n' must fit in LINE_BUF - 1. */
#define LINE_MAX_CHARS (LINE_BUF - 2)

/* The BFD control port (RFC 5881 §4): no data-channel port may take it. */
#define BFD_PORT 3784u
/* RFC 5880 §6.8.3: at least one second between packets while not Up. */
#define SLOW_TX_MIN_US	  1000000u
#define DEFAULT_PORT_BASE 4800u
#define MAX_US_HOUR	  3600000000ull

#define R_MASTER (1u << TT_CFG_ROLE_MASTER)
#define R_WORKER (1u << TT_CFG_ROLE_WORKER)
#define R_DEMO	 (1u << TT_CFG_ROLE_DEMO)
#define R_ALL	 (R_MASTER | R_WORKER | R_DEMO)

/* ---- names ---- */

/* clang-format off */
static const char *const role_names[] = {
#define TT_X(name, str) str,
	TT_CFG_ROLES(TT_X)
#undef TT_X
	NULL,
};
static const char *const port_kind_names[] = {
#define TT_X(name, str) str,
	TT_CFG_PORT_KINDS(TT_X)
#undef TT_X
	NULL,
};
static const char *const layout_names[] = {
#define TT_X(name, str) str,
	TT_CFG_LAYOUTS(TT_X)
#undef TT_X
	NULL,
};
static const char *const poll_names[] = {
#define TT_X(name, str) str,
	TT_CFG_POLL_MODES(TT_X)
#undef TT_X
	NULL,
};
static const char *const fence_names[] = {
#define TT_X(name, str) str,
	TT_WORKER_FENCE_ACTIONS(TT_X)
#undef TT_X
	NULL,
};
static const char *const fsync_names[] = {
#define TT_X(name, val, str) val,
	TT_JFILE_FSYNC_POLICIES(TT_X)
#undef TT_X
	NULL,
};
/* clang-format on */

static const char *name_of(const char *const *names, unsigned int n, unsigned int i)
{
	return i < n ? names[i] : "?";
}

const char *tt_cfg_role_name(unsigned int role)
{
	return name_of(role_names, TT_CFG_ROLE_COUNT, role);
}

const char *tt_cfg_port_kind_name(unsigned int kind)
{
	return name_of(port_kind_names, TT_CFG_PORT_COUNT, kind);
}

const char *tt_cfg_layout_name(unsigned int layout)
{
	return name_of(layout_names, TT_CFG_LAYOUT_COUNT, layout);
}

const char *tt_cfg_poll_mode_name(unsigned int mode)
{
	return name_of(poll_names, TT_CFG_POLL_COUNT, mode);
}

/* ---- the key table ---- */

enum ktype {
	K_UINT, /* decimal integer in [min, max], stored in a field of `size` bytes */
	K_ENUM, /* one of names[], stored as the enum */
	K_BOOL, /* yes or no, stored as a bool */
	K_IPV4, /* unicast IPv4, stored host order in a uint32_t */
	K_MAC,	/* unicast MAC: port.mac, sets port.has_mac */
	K_PCI,	/* PCI address: port.dev, kind PCI */
	K_VDEV, /* vdev argument string: port.dev, kind VDEV */
	K_PATH, /* a path, stored as written ("" means none) */
};

struct key_def {
	const char *name;
	enum ktype type;
	uint8_t roles;	  /* roles that use the key */
	uint8_t required; /* roles that must give it */
	uint8_t size;	  /* K_UINT, K_ENUM: the field's bytes */
	size_t off;	  /* the field in struct tt_app_config */
	uint64_t min, max;
	const char *const *names; /* K_ENUM, NULL-terminated */
	const char *unit;	  /* K_UINT: printed after the range, or NULL */
};

#define FIELD_SIZE(f) ((uint8_t)sizeof(((struct tt_app_config *)0)->f))
#define KU(n, r, req, f, lo, hi, u)                                                                \
	{                                                                                          \
		.name = n, .type = K_UINT, .roles = r, .required = req, .size = FIELD_SIZE(f),     \
		.off = offsetof(struct tt_app_config, f), .min = lo, .max = hi, .unit = u          \
	}
#define KE(n, r, req, f, nm)                                                                       \
	{                                                                                          \
		.name = n, .type = K_ENUM, .roles = r, .required = req, .size = FIELD_SIZE(f),     \
		.off = offsetof(struct tt_app_config, f), .names = nm                              \
	}
#define KT(n, t, r, req, f)                                                                        \
	{                                                                                          \
		.name = n, .type = t, .roles = r, .required = req,                                 \
		.off = offsetof(struct tt_app_config, f)                                           \
	}

static const struct key_def node_keys[] = {
	KE("role", R_ALL, R_ALL, role, role_names),
	KU("worker_id", R_WORKER, R_WORKER, worker_id, 0, TT_MASTER_MAX_WORKER_ID - 1, NULL),
};

static const struct key_def port_keys[] = {
	KT("pci", K_PCI, R_MASTER | R_WORKER, 0, port.dev),
	KT("vdev", K_VDEV, R_MASTER | R_WORKER, 0, port.dev),
	KU("port_id", R_MASTER | R_WORKER, 0, port.port_id, 0, RTE_MAX_ETHPORTS - 1, NULL),
	KU("queues", R_ALL, 0, port.queues, 1, TT_CFG_MAX_QUEUES, NULL),
	KT("hb_steer", K_BOOL, R_MASTER | R_WORKER, 0, port.hb_steer),
	KU("mtu", R_ALL, 0, port.mtu, 576, 9216, "bytes"),
	KT("mac", K_MAC, R_MASTER | R_WORKER, 0, port.mac),
};

static const struct key_def net_keys[] = {
	KT("ip", K_IPV4, R_ALL, R_ALL, net.ip),
	KT("master_ip", K_IPV4, R_WORKER, R_WORKER, net.master_ip),
};

static const struct key_def lcores_keys[] = {
	KE("layout", R_ALL, 0, lcores.layout, layout_names),
	KU("hb_lcore", R_ALL, 0, lcores.hb_lcore, 0, RTE_MAX_LCORE - 1, NULL),
	KU("dc_lcore", R_ALL, 0, lcores.dc_lcore, 0, RTE_MAX_LCORE - 1, NULL),
	KE("poll_mode", R_ALL, 0, lcores.poll_mode, poll_names),
	KU("idle_passes", R_ALL, 0, lcores.idle_passes, 1, 1000000, NULL),
	KU("sleep_max_us", R_ALL, 0, lcores.sleep_max_us, 1, 1000000, "us"),
};

static const struct key_def hb_keys[] = {
	KU("interval_us", R_ALL, 0, hb.interval_us, TT_HB_POLICY_INTERVAL_MIN_US,
	   TT_HB_POLICY_INTERVAL_MAX_US, "us"),
	KU("master_detect_mult", R_ALL, 0, hb.master_detect_mult, TT_HB_POLICY_MULT_MIN,
	   TT_HB_POLICY_MULT_MAX, NULL),
	KU("worker_detect_mult", R_ALL, 0, hb.worker_detect_mult, TT_HB_POLICY_MULT_MIN,
	   TT_HB_POLICY_MULT_MAX, NULL),
	KU("d_max_us", R_ALL, 0, hb.d_max_us, 0, MAX_US_HOUR, "us"),
	KU("granularity_us", R_ALL, 0, hb.granularity_us, 1, MAX_US_HOUR, "us"),
	KU("slow_tx_us", R_ALL, 0, hb.slow_tx_us, 1, UINT32_MAX, "us"),
	KU("src_port", R_ALL, 0, hb.src_port, 49152, 65535, NULL),
};

static const struct key_def chan_keys[] = {
	KU("count", R_ALL, 0, chan.count, 1, TT_DCW_MAX_CHANNELS, NULL),
	KU("port", R_ALL, 0, chan.port, 1, 65535, NULL),
	KU("port_base", R_WORKER, 0, chan.port_base, 1, 65535, NULL),
	KU("probe_interval_us", R_ALL, 0, chan.probe_interval_us, 1, MAX_US_HOUR, "us"),
	KU("probe_timeout_us", R_ALL, 0, chan.probe_timeout_us, 2, MAX_US_HOUR, "us"),
	KU("rto_min_us", R_ALL, 0, chan.rto_min_us, 1, MAX_US_HOUR, "us"),
	KU("rto_max_us", R_ALL, 0, chan.rto_max_us, 1, MAX_US_HOUR, "us"),
	KU("max_retx", R_ALL, 0, chan.max_retx, 0, 255, NULL),
	KU("max_msg_bytes", R_ALL, 0, chan.max_msg_bytes, 1, TT_DCW_MSG_MAX, "bytes"),
	KU("window", R_ALL, 0, chan.window, 1, TT_DCW_WINDOW_MAX, "segments"),
	KU("rx_window", R_ALL, 0, chan.rx_window, 1, TT_DCW_WINDOW_MAX, "segments"),
};

static const struct key_def fence_keys[] = {
	KE("action", R_WORKER | R_DEMO, 0, fence_action, fence_names),
};

static const struct key_def auth_keys[] = {
	KT("key_file", K_PATH, R_ALL, 0, key_file),
};

static const struct key_def tasks_keys[] = {
	KU("max_tasks", R_MASTER | R_DEMO, 0, tasks.max_tasks, 1, 1u << 31, NULL),
	KU("max_outstanding", R_ALL, 0, tasks.max_outstanding, 1, 65536, NULL),
	KU("max_result_bytes", R_WORKER | R_DEMO, 0, tasks.max_result_bytes, 0, TT_TMSG_MAX_PAYLOAD,
	   "bytes"),
};

_Static_assert(sizeof(enum tt_jfile_fsync) == sizeof(unsigned int),
	       "[journal] fsync is stored as unsigned int (K_ENUM)");

static const struct key_def journal_keys[] = {
	KT("path", K_PATH, R_MASTER | R_DEMO, 0, journal.path),
	KE("fsync", R_MASTER | R_DEMO, 0, journal.fsync, fsync_names),
	KU("batch_records", R_MASTER | R_DEMO, 0, journal.batch_records, 1, 1000000, NULL),
	KU("batch_us", R_MASTER | R_DEMO, 0, journal.batch_us, 1, MAX_US_HOUR, "us"),
	KT("truncate_corrupt", K_BOOL, R_MASTER | R_DEMO, 0, journal.truncate_corrupt),
};

struct section_def {
	const char *name;
	uint8_t roles;		    /* roles that use the section */
	const struct key_def *keys; /* NULL: a map (any key) */
	unsigned int n_keys;
	const char *map_format; /* maps: what an entry looks like */
};

#define SEC(n, r, k)                                                                               \
	{                                                                                          \
		.name = n, .roles = r, .keys = k, .n_keys = sizeof(k) / sizeof(k[0])               \
	}

enum {
	SEC_NODE,
	SEC_PORT,
	SEC_NET,
	SEC_NEIGH,
	SEC_LCORES,
	SEC_HB,
	SEC_CHAN,
	SEC_FENCE,
	SEC_AUTH,
	SEC_TASKS,
	SEC_WORKERS,
	SEC_JOURNAL,
	SEC_COUNT
};

static const struct section_def sections[SEC_COUNT] = {
	[SEC_NODE] = SEC("node", R_ALL, node_keys),
	[SEC_PORT] = SEC("port", R_ALL, port_keys),
	[SEC_NET] = SEC("net", R_ALL, net_keys),
	[SEC_NEIGH] = {.name = "neighbours",
		       .roles = R_ALL,
		       .map_format = "<IPv4 address> = <MAC address>, e.g. 10.0.0.2 = "
				     "02:00:00:00:00:02"},
	[SEC_LCORES] = SEC("lcores", R_ALL, lcores_keys),
	[SEC_HB] = SEC("heartbeat", R_ALL, hb_keys),
	[SEC_CHAN] = SEC("channels", R_ALL, chan_keys),
	[SEC_FENCE] = SEC("fence", R_WORKER | R_DEMO, fence_keys),
	[SEC_AUTH] = SEC("auth", R_ALL, auth_keys),
	[SEC_TASKS] = SEC("tasks", R_ALL, tasks_keys),
	[SEC_WORKERS] = {.name = "workers",
			 .roles = R_MASTER | R_DEMO,
			 .map_format = "<worker id 0..65535> = <IPv4 address>[:<first data-channel "
				       "port>], e.g. 1 = 10.0.0.11:4800"},
	[SEC_JOURNAL] = SEC("journal", R_MASTER | R_DEMO, journal_keys),
};

/* ---- messages ---- */

/* One line of the file as the scan saw it: a section header (key "") or a key. */
struct scan_line {
	char sec[CFG_NAME_LEN];
	char key[CFG_NAME_LEN];
	unsigned int line;
};

struct ctx {
	const char *name; /* the file as messages name it */
	char *err;
	size_t err_len;
	struct scan_line *lines;
	size_t n_lines;
	size_t cap_lines;
	struct rte_cfgfile *cf;
	struct tt_app_config *cfg;
	unsigned int role_bit;
};

/* "NAME[:LINE]: " + the formatted text into the caller's buffer; returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, unsigned int line,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err_len == 0)
		return -EINVAL;
	if (line > 0)
		n = snprintf(c->err, c->err_len, "%s:%u: ", c->name, line);
	else
		n = snprintf(c->err, c->err_len, "%s: ", c->name);
	if (n < 0 || (size_t)n >= c->err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Line of the nth (0-based) occurrence of section sec's header, or of key in sec; 0 if none. */
static unsigned int line_of(const struct ctx *c, const char *sec, const char *key, unsigned int nth)
{
	size_t i;

	for (i = 0; i < c->n_lines; i++) {
		const struct scan_line *l = &c->lines[i];

		if (strcmp(l->sec, sec) == 0 && strcmp(l->key, key ? key : "") == 0 && nth-- == 0)
			return l->line;
	}
	return 0;
}

/* A bad value: "NAME:LINE: [sec] key = value: what is allowed". */
__attribute__((format(printf, 5, 6))) static int
bad(struct ctx *c, const char *sec, const char *key, const char *val, const char *fmt, ...)
{
	char what[TT_CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(c, line_of(c, sec, key, 0), "[%s] %s = %s: %s", sec, key, val, what);
}

/* A cross-key rule broken by key (given in the file, or its default). */
__attribute__((format(printf, 4, 5))) static int bad_key(struct ctx *c, const char *sec,
							 const char *key, const char *fmt, ...)
{
	const char *val = rte_cfgfile_get_entry(c->cf, sec, key);
	char what[TT_CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (val != NULL)
		return fail(c, line_of(c, sec, key, 0), "[%s] %s = %s: %s", sec, key, val, what);
	return fail(c, 0, "[%s] %s (not set: default): %s", sec, key, what);
}

/* "a, b, c" of a NULL-terminated name list. */
static void join_names(char *buf, size_t len, const char *const *names)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
}

static void join_roles(char *buf, size_t len, unsigned int mask)
{
	const char *names[TT_CFG_ROLE_COUNT + 1];
	unsigned int i, n = 0;

	for (i = 0; i < TT_CFG_ROLE_COUNT; i++)
		if (mask & (1u << i))
			names[n++] = role_names[i];
	names[n] = NULL;
	join_names(buf, len, names);
}

/* ---- the line scan ---- */

/* rte_cfgfile's whitespace rule: strip both ends in place; returns the new length. */
static size_t strip(char *s, size_t len)
{
	size_t start = 0;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	while (start < len && isspace((unsigned char)s[start]))
		start++;
	memmove(s, s + start, len - start);
	len -= start;
	s[len] = '\0';
	return len;
}

static int scan_add(struct ctx *c, const char *sec, const char *key, unsigned int line)
{
	struct scan_line *l;

	if (c->n_lines == c->cap_lines) {
		size_t cap = c->cap_lines ? 2 * c->cap_lines : 64;
		struct scan_line *v = realloc(c->lines, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->lines = v;
		c->cap_lines = cap;
	}
	l = &c->lines[c->n_lines++];
	snprintf(l->sec, sizeof(l->sec), "%s", sec);
	snprintf(l->key, sizeof(l->key), "%s", key);
	l->line = line;
	return 0;
}

/*
 * Scan one line (no '\n'), mirroring rte_cfgfile_load_with_params(): cut at
 * the first unescaped ';', strip, skip empty lines. Refuse what rte_cfgfile
 * would skip or truncate without a word.
 */
static int scan_one(struct ctx *c, char *buf, size_t len, unsigned int lineno, char *cur_sec)
{
	char *p, *eq, *end;
	size_t klen, vlen;

	if (len > LINE_MAX_CHARS)
		return fail(c, lineno, "line is %zu characters long; at most %d are read", len,
			    LINE_MAX_CHARS);
	/* rte_cfgfile reads a line only up to a NUL: the rest would vanish unseen. */
	p = memchr(buf, '\0', len);
	if (p != NULL)
		return fail(c, lineno, "a NUL byte at column %zu: the file must be text",
			    (size_t)(p - buf) + 1);
	p = memchr(buf, CFG_DEFAULT_COMMENT_CHARACTER, len);
	if (p != NULL && (p == buf || p[-1] != '\\'))
		len = (size_t)(p - buf);
	buf[len] = '\0';
	len = strip(buf, len);
	if (len == 0)
		return 0;

	if (buf[0] == '[') {
		end = memchr(buf, ']', len);
		if (end == NULL)
			return fail(c, lineno, "'%s': a section header needs a closing ']'", buf);
		if (end[1] != '\0')
			return fail(c, lineno, "'%s': text after the section header's ']'", buf);
		*end = '\0';
		klen = strip(buf + 1, (size_t)(end - buf - 1));
		if (klen == 0)
			return fail(c, lineno, "'[]': the section has no name");
		if (klen >= CFG_NAME_LEN)
			return fail(c, lineno, "section name is %zu characters long; at most %d",
				    klen, CFG_NAME_LEN - 1);
		snprintf(cur_sec, CFG_NAME_LEN, "%s", buf + 1);
		return scan_add(c, cur_sec, "", lineno);
	}

	eq = memchr(buf, '=', len);
	if (eq == NULL)
		return fail(c, lineno, "'%s' is neither a [section] nor key = value", buf);
	*eq = '\0';
	klen = strip(buf, (size_t)(eq - buf));
	vlen = strip(eq + 1, strlen(eq + 1));
	if (klen == 0)
		return fail(c, lineno, "'= %s': the key name is missing", eq + 1);
	if (cur_sec[0] == '\0')
		return fail(c, lineno, "'%s = %s' comes before any [section]", buf, eq + 1);
	if (klen >= CFG_NAME_LEN)
		return fail(c, lineno, "[%s] key name is %zu characters long; at most %d", cur_sec,
			    klen, CFG_NAME_LEN - 1);
	if (vlen >= CFG_VALUE_LEN)
		return fail(c, lineno, "[%s] %s: the value is %zu characters long; at most %d",
			    cur_sec, buf, vlen, CFG_VALUE_LEN - 1);
	return scan_add(c, cur_sec, buf, lineno);
}

static int scan_file(struct ctx *c, const char *path)
{
	char sec[CFG_NAME_LEN] = "";
	unsigned int lineno = 0;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int rc = 0;

	f = fopen(path, "r");
	if (f == NULL)
		return fail(c, 0, "cannot open: %s", strerror(errno));
	errno = 0;
	while (rc == 0 && (n = getline(&buf, &cap, f)) >= 0) {
		size_t len = (size_t)n;

		lineno++;
		if (len > 0 && buf[len - 1] == '\n')
			len--;
		rc = scan_one(c, buf, len, lineno, sec);
	}
	/* fopen() takes a directory; the first read says EISDIR: name it. */
	if (rc == 0 && ferror(f))
		rc = lineno > 0 ? fail(c, 0, "cannot read after line %u: %s", lineno,
				       strerror(errno ? errno : EIO))
				: fail(c, 0, "cannot read: %s", strerror(errno ? errno : EIO));
	free(buf);
	fclose(f);
	return rc;
}

/* ---- value parsers ---- */

/* Strict decimal: digits only, no sign, no blanks, no overflow. */
static bool parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

/* A unicast IPv4 address a node can own: not 0/8, 127/8, multicast or above. */
static bool parse_ipv4(const char *s, uint32_t *ip)
{
	struct in_addr a;
	uint32_t h;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	h = ntohl(a.s_addr);
	if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) >= 0xe)
		return false;
	*ip = h;
	return true;
}

static bool parse_mac(const char *s, struct rte_ether_addr *mac)
{
	return rte_ether_unformat_addr(s, mac) == 0 && rte_is_valid_assigned_ether_addr(mac);
}

static void store_uint(void *field, uint8_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1:
		memcpy(field, &u8, 1);
		break;
	case 2:
		memcpy(field, &u16, 2);
		break;
	case 4:
		memcpy(field, &u32, 4);
		break;
	default:
		memcpy(field, &v, 8);
		break;
	}
}

static int parse_value(struct ctx *c, const char *sec, const struct key_def *k, const char *val)
{
	void *field = (char *)c->cfg + k->off;
	char list[256];
	unsigned int i;
	uint64_t v;

	switch (k->type) {
	case K_UINT:
		if (!parse_u64(val, &v) || v < k->min || v > k->max)
			return bad(c, sec, k->name, val,
				   "must be an integer %" PRIu64 "..%" PRIu64 "%s%s", k->min,
				   k->max, k->unit ? " " : "", k->unit ? k->unit : "");
		store_uint(field, k->size, v);
		return 0;
	case K_ENUM:
		for (i = 0; k->names[i] != NULL; i++) {
			if (strcmp(val, k->names[i]) == 0) {
				_Static_assert(sizeof(enum tt_cfg_role) == sizeof(unsigned int) &&
						       sizeof(enum tt_cfg_layout) ==
							       sizeof(unsigned int) &&
						       sizeof(enum tt_cfg_poll_mode) ==
							       sizeof(unsigned int) &&
						       sizeof(enum tt_worker_fence_action) ==
							       sizeof(unsigned int),
					       "enums are stored as unsigned int");
				memcpy(field, &i, sizeof(i));
				return 0;
			}
		}
		join_names(list, sizeof(list), k->names);
		return bad(c, sec, k->name, val, "must be one of: %s", list);
	case K_BOOL:
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return bad(c, sec, k->name, val, "must be yes or no");
		*(bool *)field = strcmp(val, "yes") == 0;
		return 0;
	case K_IPV4:
		if (!parse_ipv4(val, field))
			return bad(c, sec, k->name, val,
				   "must be a unicast IPv4 address (dotted quad, not 0.x, 127.x or "
				   "multicast), e.g. 10.0.0.1");
		return 0;
	case K_MAC:
		if (!parse_mac(val, field))
			return bad(
				c, sec, k->name, val,
				"must be a unicast, non-zero MAC address XX:XX:XX:XX:XX:XX, e.g. "
				"02:00:00:00:00:01");
		c->cfg->port.has_mac = true;
		return 0;
	case K_PCI: {
		struct rte_pci_addr pci;

		if (rte_pci_addr_parse(val, &pci) != 0)
			return bad(
				c, sec, k->name, val,
				"must be a PCI address DDDD:BB:DD.F or BB:DD.F, e.g. 0000:03:00.0 "
				"(see dpdk-devbind.py --status)");
		snprintf(field, TT_CFG_STR_MAX, "%s", val);
		c->cfg->port.kind = TT_CFG_PORT_PCI;
		return 0;
	}
	case K_VDEV: {
		size_t name_len = strcspn(val, ",");

		if (strncmp(val, "net_", 4) != 0 || name_len <= 4 || strchr(val, ' ') != NULL)
			return bad(c, sec, k->name, val,
				   "must be <net_driver><n>[,arg=value...] without blanks, e.g. "
				   "net_af_packet0,iface=eth1");
		snprintf(field, TT_CFG_STR_MAX, "%s", val);
		c->cfg->port.kind = TT_CFG_PORT_VDEV;
		return 0;
	}
	case K_PATH:
		snprintf(field, TT_CFG_STR_MAX, "%s", val);
		return 0;
	}
	return -EINVAL;
}

/* ---- structure ---- */

static const struct section_def *find_section(const char *name)
{
	unsigned int i;

	for (i = 0; i < SEC_COUNT; i++)
		if (strcmp(sections[i].name, name) == 0)
			return &sections[i];
	return NULL;
}

static const struct key_def *find_key(const struct section_def *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

/* The entries of section index idx (malloc'ed into *out), or a negative errno. */
static int section_entries(struct ctx *c, int idx, char *name, struct rte_cfgfile_entry **out)
{
	int n = rte_cfgfile_section_num_entries_by_index(c->cf, name, idx);

	*out = NULL;
	if (n < 0)
		return -EINVAL;
	if (n == 0)
		return 0;
	*out = calloc((size_t)n, sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	return rte_cfgfile_section_entries_by_index(c->cf, idx, name, *out, n);
}

/*
 * Every section known and given once; every key of a fixed section known;
 * no key given twice in a section (rte_cfgfile would keep the first silently).
 */
static int check_names(struct ctx *c)
{
	int n_sec = rte_cfgfile_num_sections(c->cf, NULL, 0);
	char name[CFG_NAME_LEN], other[CFG_NAME_LEN];
	struct rte_cfgfile_entry *e;
	int i, j, k, n, rc = 0;

	for (i = 0; rc == 0 && i < n_sec; i++) {
		const struct section_def *s;
		unsigned int nth = 0;

		n = section_entries(c, i, name, &e);
		if (n < 0)
			return n;
		for (j = 0; j < i; j++) {
			rte_cfgfile_section_num_entries_by_index(c->cf, other, j);
			if (strcmp(other, name) == 0)
				nth++;
		}
		s = find_section(name);
		if (s == NULL) {
			const char *names[SEC_COUNT + 1];
			char list[256];

			for (j = 0; j < SEC_COUNT; j++)
				names[j] = sections[j].name;
			names[SEC_COUNT] = NULL;
			join_names(list, sizeof(list), names);
			rc = fail(c, line_of(c, name, NULL, nth), "unknown section [%s]; known: %s",
				  name, list);
		} else if (nth > 0) {
			rc = fail(
				c, line_of(c, name, NULL, nth),
				"section [%s] given again (first at line %u): put its keys in one "
				"section",
				name, line_of(c, name, NULL, 0));
		}
		for (j = 0; rc == 0 && j < n; j++) {
			unsigned int seen = 0;

			for (k = 0; k < j; k++)
				if (strcmp(e[k].name, e[j].name) == 0)
					seen++;
			if (seen > 0) {
				rc = fail(c, line_of(c, name, e[j].name, seen),
					  "[%s] %s given again (first at line %u)", name, e[j].name,
					  line_of(c, name, e[j].name, 0));
			} else if (s->keys != NULL && find_key(s, e[j].name) == NULL) {
				const char *names[32];
				char list[512];
				unsigned int m;

				for (m = 0; m < s->n_keys && m < 31; m++)
					names[m] = s->keys[m].name;
				names[m] = NULL;
				join_names(list, sizeof(list), names);
				rc = fail(c, line_of(c, name, e[j].name, 0),
					  "[%s] unknown key '%s'; known: %s", name, e[j].name,
					  list);
			}
		}
		free(e);
	}
	return rc;
}

static int parse_role(struct ctx *c)
{
	const char *val = rte_cfgfile_get_entry(c->cf, "node", "role");
	char list[64];
	int rc;

	if (val == NULL) {
		join_names(list, sizeof(list), role_names);
		return fail(c, 0, "[node] role is missing: must be one of: %s", list);
	}
	rc = parse_value(c, "node", &node_keys[0], val);
	if (rc == 0)
		c->role_bit = 1u << c->cfg->role;
	return rc;
}

/* The role uses the section and the key (NULL: the section only). */
static int check_role(struct ctx *c, const struct section_def *s, const char *key, uint8_t roles,
		      const char *val)
{
	char who[64];

	if (roles & c->role_bit)
		return 0;
	join_roles(who, sizeof(who), roles);
	if (key == NULL)
		return fail(c, line_of(c, s->name, NULL, 0),
			    "[%s]: role %s does not use this section (only %s); remove it", s->name,
			    role_names[c->cfg->role], who);
	return bad(c, s->name, key, val, "role %s does not use this key (only %s); remove it",
		   role_names[c->cfg->role], who);
}

/* Every key of the fixed sections, in file order. */
static int parse_fixed(struct ctx *c)
{
	int n_sec = rte_cfgfile_num_sections(c->cf, NULL, 0);
	char name[CFG_NAME_LEN];
	struct rte_cfgfile_entry *e;
	int i, j, n, rc = 0;

	for (i = 0; rc == 0 && i < n_sec; i++) {
		const struct section_def *s;

		n = section_entries(c, i, name, &e);
		if (n < 0)
			return n;
		s = find_section(name);
		rc = check_role(c, s, NULL, s->roles, NULL);
		for (j = 0; rc == 0 && s->keys != NULL && j < n; j++) {
			const struct key_def *k = find_key(s, e[j].name);

			rc = check_role(c, s, k->name, k->roles, e[j].value);
			if (rc == 0 && k->type == K_PATH && e[j].value[0] == '\0')
				continue;
			if (rc == 0 && e[j].value[0] == '\0')
				rc = bad(c, s->name, k->name, "", "the value is empty");
			else if (rc == 0 && k != &node_keys[0])
				rc = parse_value(c, s->name, k, e[j].value);
		}
		free(e);
	}
	return rc;
}

static int check_required(struct ctx *c)
{
	static const struct {
		const char *sec, *key, *what;
	} help[] = {
		{"node", "worker_id",
		 "this worker's id 0..65535, as the master's [workers] lists it"},
		{"net", "ip", "this node's IPv4 address, e.g. 10.0.0.1"},
		{"net", "master_ip", "the master's IPv4 address, e.g. 10.0.0.1"},
	};
	unsigned int i, j;

	for (i = 0; i < SEC_COUNT; i++) {
		const struct section_def *s = &sections[i];

		for (j = 0; j < s->n_keys; j++) {
			const struct key_def *k = &s->keys[j];
			const char *what = "required";
			unsigned int h;

			if (!(k->required & c->role_bit) ||
			    rte_cfgfile_has_entry(c->cf, s->name, k->name))
				continue;
			for (h = 0; h < sizeof(help) / sizeof(help[0]); h++)
				if (strcmp(help[h].sec, s->name) == 0 &&
				    strcmp(help[h].key, k->name) == 0)
					what = help[h].what;
			return fail(c, 0, "[%s] %s is missing: role %s needs it (%s)", s->name,
				    k->name, role_names[c->cfg->role], what);
		}
	}
	return 0;
}

/* ---- [workers] and [neighbours] ---- */

static int parse_worker(struct ctx *c, const struct rte_cfgfile_entry *e)
{
	const struct section_def *s = &sections[SEC_WORKERS];
	struct tt_master_peer_config *w;
	char ip[CFG_VALUE_LEN];
	const char *colon;
	uint64_t id, port = DEFAULT_PORT_BASE;
	uint32_t i, addr;

	if (c->cfg->n_workers == TT_CFG_MAX_WORKERS)
		return bad(c, "workers", e->name, e->value, "more than %u workers",
			   TT_CFG_MAX_WORKERS);
	if (!parse_u64(e->name, &id) || id >= TT_MASTER_MAX_WORKER_ID)
		return bad(c, "workers", e->name, e->value,
			   "the key must be a worker id 0..%u; entries are %s",
			   TT_MASTER_MAX_WORKER_ID - 1, s->map_format);
	colon = strchr(e->value, ':');
	snprintf(ip, sizeof(ip), "%.*s",
		 (int)(colon ? (size_t)(colon - e->value) : strlen(e->value)), e->value);
	if (!parse_ipv4(ip, &addr) ||
	    (colon != NULL && (!parse_u64(colon + 1, &port) || port < 1 || port > 65535)))
		return bad(c, "workers", e->name, e->value,
			   "must be a unicast IPv4 address, optionally ':' and the worker's first "
			   "data-channel port 1..65535 (default %u); entries are %s",
			   DEFAULT_PORT_BASE, s->map_format);
	w = &c->cfg->workers[c->cfg->n_workers];
	w->worker_id = (uint32_t)id;
	w->ip = addr;
	w->dc_port_base = (uint16_t)port;
	if (port + c->cfg->chan.count - 1 > 65535)
		return bad(c, "workers", e->name, e->value,
			   "channels %u..%u would end past port 65535 ([channels] count = %u)",
			   (unsigned int)port, (unsigned int)port + c->cfg->chan.count - 1,
			   c->cfg->chan.count);
	if (BFD_PORT >= port && BFD_PORT < port + c->cfg->chan.count)
		return bad(c, "workers", e->name, e->value,
			   "the channel ports %u..%u include %u, the heartbeat (BFD) port",
			   (unsigned int)port, (unsigned int)port + c->cfg->chan.count - 1,
			   BFD_PORT);
	if (w->ip == c->cfg->net.ip)
		return bad(c, "workers", e->name, e->value, "the master's own address ([net] ip)");
	for (i = 0; i < c->cfg->n_workers; i++) {
		if (c->cfg->workers[i].worker_id == w->worker_id)
			return bad(c, "workers", e->name, e->value,
				   "worker id %u given twice: ids are unique", w->worker_id);
		if (c->cfg->workers[i].ip == w->ip)
			return bad(c, "workers", e->name, e->value,
				   "address %s also belongs to worker %u: one address per worker",
				   ip, c->cfg->workers[i].worker_id);
	}
	c->cfg->n_workers++;
	return 0;
}

static int parse_neigh(struct ctx *c, const struct rte_cfgfile_entry *e)
{
	const struct section_def *s = &sections[SEC_NEIGH];
	struct tt_cfg_neigh *nb;
	uint32_t i;

	if (c->cfg->net.n_neigh == TT_CFG_MAX_NEIGH)
		return bad(c, "neighbours", e->name, e->value, "more than %u neighbours",
			   TT_CFG_MAX_NEIGH);
	nb = &c->cfg->net.neigh[c->cfg->net.n_neigh];
	if (!parse_ipv4(e->name, &nb->ip))
		return bad(c, "neighbours", e->name, e->value,
			   "the key must be a unicast IPv4 address; entries are %s", s->map_format);
	if (!parse_mac(e->value, &nb->mac))
		return bad(c, "neighbours", e->name, e->value,
			   "must be a unicast, non-zero MAC address XX:XX:XX:XX:XX:XX; entries are "
			   "%s",
			   s->map_format);
	if (nb->ip == c->cfg->net.ip)
		return bad(c, "neighbours", e->name, e->value,
			   "this node's own address ([net] ip)");
	for (i = 0; i < c->cfg->net.n_neigh; i++)
		if (c->cfg->net.neigh[i].ip == nb->ip)
			return bad(c, "neighbours", e->name, e->value,
				   "this address has an entry already");
	c->cfg->net.n_neigh++;
	return 0;
}

static int parse_map(struct ctx *c, unsigned int sec,
		     int (*one)(struct ctx *, const struct rte_cfgfile_entry *))
{
	char name[CFG_NAME_LEN];
	struct rte_cfgfile_entry *e;
	int n_sec = rte_cfgfile_num_sections(c->cf, NULL, 0);
	int i, j, n, rc = 0;

	for (i = 0; i < n_sec; i++) {
		rte_cfgfile_section_num_entries_by_index(c->cf, name, i);
		if (strcmp(name, sections[sec].name) == 0)
			break;
	}
	if (i == n_sec)
		return 0;
	n = section_entries(c, i, name, &e);
	if (n < 0)
		return n;
	for (j = 0; rc == 0 && j < n; j++)
		rc = one(c, &e[j]);
	free(e);
	return rc;
}

/* ---- cross-key rules ---- */

static int check_port(struct ctx *c)
{
	static const char *const sel[] = {"pci", "vdev", "port_id"};
	struct tt_app_config *cfg = c->cfg;
	unsigned int i, given = 0, need;

	for (i = 0; i < 3; i++) {
		if (!rte_cfgfile_has_entry(c->cf, "port", sel[i]))
			continue;
		if (given++ > 0)
			return bad_key(c, "port", sel[i],
				       "give only one of pci, vdev and port_id (the port to use)");
	}
	if (cfg->role == TT_CFG_ROLE_DEMO)
		cfg->port.kind = TT_CFG_PORT_RING;

	/* One RX/TX queue pair for the endpoint, one more RX queue for steered heartbeats. */
	need = cfg->port.hb_steer ? 2 : 1;
	if (!rte_cfgfile_has_entry(c->cf, "port", "queues"))
		cfg->port.queues = (uint16_t)need;
	else if (cfg->port.queues < need)
		return bad_key(c, "port", "queues",
			       "must be at least 2 with hb_steer = yes (heartbeats get their own "
			       "RX queue)");
	return 0;
}

static int check_lcores(struct ctx *c)
{
	struct tt_cfg_lcores *l = &c->cfg->lcores;

	/*
	 * Split (drivers/runtime.h): heartbeats on hb_lcore, data channels on
	 * dc_lcore, two lcores. Whether EAL has them is checked at start-up
	 * (apps/tether-pmd/topo.c), once EAL is up; here only the file.
	 */
	if (l->layout == TT_CFG_LAYOUT_SPLIT) {
		if (!rte_cfgfile_has_entry(c->cf, "lcores", "dc_lcore"))
			return bad_key(c, "lcores", "layout",
				       "split needs dc_lcore (the data lcore) besides hb_lcore "
				       "(%u)",
				       l->hb_lcore);
		if (l->dc_lcore == l->hb_lcore)
			return bad_key(c, "lcores", "dc_lcore",
				       "the split layout needs two lcores: dc_lcore must differ "
				       "from hb_lcore (%u)",
				       l->hb_lcore);
		return 0;
	}
	if (rte_cfgfile_has_entry(c->cf, "lcores", "dc_lcore") && l->dc_lcore != l->hb_lcore)
		return bad_key(c, "lcores", "dc_lcore",
			       "the combined layout runs heartbeat and data on hb_lcore (%u): "
			       "drop dc_lcore or make it %u",
			       l->hb_lcore, l->hb_lcore);
	l->dc_lcore = l->hb_lcore;
	return 0;
}

static int check_channels(struct ctx *c)
{
	struct tt_cfg_chan *ch = &c->cfg->chan;
	unsigned int last = (unsigned int)ch->port_base + ch->count - 1;

	if (ch->probe_interval_us >= ch->probe_timeout_us)
		return bad_key(c, "channels", "probe_interval_us",
			       "must be below probe_timeout_us (%" PRIu32
			       " us): a channel sends several probes before it gives up",
			       ch->probe_timeout_us);
	if (ch->rto_min_us > ch->rto_max_us)
		return bad_key(c, "channels", "rto_min_us",
			       "must be at most rto_max_us (%" PRIu32 " us)", ch->rto_max_us);
	if (ch->port == BFD_PORT)
		return bad_key(c, "channels", "port",
			       "%u is the heartbeat (BFD) port (RFC 5881 §4); choose another",
			       BFD_PORT);
	if (c->cfg->role != TT_CFG_ROLE_WORKER)
		return 0;
	if (last > 65535)
		return bad_key(c, "channels", "port_base",
			       "channels %u..%u would end past port 65535 (count = %u)",
			       ch->port_base, last, ch->count);
	if (BFD_PORT >= ch->port_base && BFD_PORT <= last)
		return bad_key(c, "channels", "port_base",
			       "the channel ports %u..%u include %u, the heartbeat (BFD) port",
			       ch->port_base, last, BFD_PORT);
	return 0;
}

static int check_heartbeat(struct ctx *c)
{
	struct tt_app_config *cfg = c->cfg;

	if (cfg->role != TT_CFG_ROLE_DEMO && cfg->hb.slow_tx_us < SLOW_TX_MIN_US)
		return bad_key(c, "heartbeat", "slow_tx_us",
			       "must be an integer %u..%u us: RFC 5880 §6.8.3 wants at least 1 s "
			       "between packets while the session is not Up (only role demo, on "
			       "in-process links, may go lower)",
			       SLOW_TX_MIN_US, UINT32_MAX);
	if (cfg->role != TT_CFG_ROLE_WORKER && cfg->n_workers > 0 &&
	    (uint32_t)cfg->hb.src_port + cfg->n_workers - 1 > 65535)
		return bad_key(c, "heartbeat", "src_port",
			       "the master uses src_port + i for its %u workers: at most %u",
			       cfg->n_workers, 65535 - (cfg->n_workers - 1));
	return 0;
}

static int check_roles_rules(struct ctx *c)
{
	struct tt_app_config *cfg = c->cfg;

	if (cfg->role == TT_CFG_ROLE_WORKER) {
		if (cfg->net.master_ip == cfg->net.ip)
			return bad_key(c, "net", "master_ip",
				       "the worker's own address ([net] ip): they must differ");
	} else {
		cfg->net.master_ip = cfg->net.ip;
		if (cfg->n_workers == 0)
			return fail(c, line_of(c, "workers", NULL, 0),
				    "[workers] is missing or empty: role %s needs at least one "
				    "worker: %s",
				    role_names[cfg->role], sections[SEC_WORKERS].map_format);
		/* The demo runs the master and every worker on one runtime (lcore). */
		if (cfg->role == TT_CFG_ROLE_DEMO && cfg->n_workers > TT_RT_MAX_EPS - 1)
			return fail(c, line_of(c, "workers", NULL, 0),
				    "[workers]: %u workers; the demo runs at most %u (one lcore "
				    "runtime holds %u endpoints)",
				    cfg->n_workers, TT_RT_MAX_EPS - 1, TT_RT_MAX_EPS);
	}
	if (cfg->role != TT_CFG_ROLE_MASTER &&
	    cfg->tasks.max_result_bytes + TT_TMSG_RESULT_HDR_LEN > cfg->chan.max_msg_bytes)
		return bad_key(c, "tasks", "max_result_bytes",
			       "a RESULT (%u header bytes + payload) must fit in [channels] "
			       "max_msg_bytes = %" PRIu32 ": at most %" PRIu32,
			       TT_TMSG_RESULT_HDR_LEN, cfg->chan.max_msg_bytes,
			       cfg->chan.max_msg_bytes >= TT_TMSG_RESULT_HDR_LEN
				       ? cfg->chan.max_msg_bytes - TT_TMSG_RESULT_HDR_LEN
				       : 0);
	return 0;
}

/*
 * [journal]: the other keys mean something only with a path, the batch keys
 * only with fsync = batch. The path's line is kept for the messages of the
 * journal's open (topo.c).
 */
static int check_journal(struct ctx *c)
{
	static const char *const batch_keys[] = {"batch_records", "batch_us"};
	struct tt_cfg_journal *j = &c->cfg->journal;
	unsigned int i;

	j->path_line = line_of(c, "journal", "path", 0);
	if (j->path[0] == '\0') {
		for (i = 0; i < sizeof(journal_keys) / sizeof(journal_keys[0]); i++)
			if (line_of(c, "journal", journal_keys[i].name, 0) > 0 &&
			    strcmp(journal_keys[i].name, "path") != 0)
				return bad_key(c, "journal", journal_keys[i].name,
					       "needs [journal] path (the journal file); without "
					       "a path there is no journal");
		return 0;
	}
	if (j->fsync == TT_JFILE_FSYNC_BATCH)
		return 0;
	for (i = 0; i < 2; i++)
		if (line_of(c, "journal", batch_keys[i], 0) > 0)
			return bad_key(c, "journal", batch_keys[i],
				       "applies to fsync = batch only (fsync is %s)",
				       fsync_names[j->fsync]);
	return 0;
}

/* T1 > T2 + I + d_max + g (engine/hb_policy.h), on the two roles' settings in the file. */
static int check_policy(struct ctx *c)
{
	struct tt_app_config *cfg = c->cfg;
	struct tt_hb_policy_input in = {
		.master = {cfg->hb.interval_us, cfg->hb.interval_us, cfg->hb.master_detect_mult},
		.worker = {cfg->hb.interval_us, cfg->hb.interval_us, cfg->hb.worker_detect_mult},
		.d_max_ns = tt_us_to_ns(cfg->hb.d_max_us),
		.granularity_ns = tt_us_to_ns(cfg->hb.granularity_us),
	};
	char msg[TT_CFG_ERR_MAX];

	if (tt_hb_policy_check(&in, msg, sizeof(msg)) != 0)
		return fail(c, line_of(c, "heartbeat", NULL, 0), "[heartbeat] %s", msg);
	/* Accepted: keep the one-line summary ("ok: T1 = ...") for the app to show. */
	tt_hb_policy_check(&in, cfg->policy_msg, sizeof(cfg->policy_msg));
	return tt_hb_policy_compute(&in, &cfg->policy, NULL, 0);
}

/* ---- entry points ---- */

void tt_cfg_defaults(struct tt_app_config *cfg)
{
	struct tt_dc_config dc;

	tt_dc_config_default(&dc);
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = TT_CFG_ROLE_MASTER;
	cfg->port.kind = TT_CFG_PORT_PORT_ID;
	cfg->port.mtu = dc.mtu;
	cfg->lcores.layout = TT_CFG_LAYOUT_COMBINED;
	cfg->lcores.hb_lcore = 1;
	cfg->lcores.dc_lcore = 1;
	cfg->lcores.poll_mode = TT_CFG_POLL_POLL;
	cfg->lcores.idle_passes = TT_RT_DEFAULT_IDLE_PASSES;
	cfg->lcores.sleep_max_us = TT_RT_DEFAULT_SLEEP_MAX_US;
	cfg->hb.interval_us = 10000;
	cfg->hb.master_detect_mult = 3;
	cfg->hb.worker_detect_mult = 8;
	cfg->hb.d_max_us = 5000;
	cfg->hb.granularity_us = 1000;
	cfg->hb.slow_tx_us = SLOW_TX_MIN_US;
	cfg->hb.src_port = TT_MASTER_HB_SRC_PORT_BASE;
	cfg->chan.count = 2;
	cfg->chan.port = TT_DCW_UDP_PORT;
	cfg->chan.port_base = DEFAULT_PORT_BASE;
	cfg->chan.probe_interval_us = (uint32_t)(dc.probe_interval_ns / TT_NS_PER_US);
	cfg->chan.probe_timeout_us = (uint32_t)(dc.probe_timeout_ns / TT_NS_PER_US);
	cfg->chan.rto_min_us = (uint32_t)(dc.rto_min_ns / TT_NS_PER_US);
	cfg->chan.rto_max_us = (uint32_t)(dc.rto_max_ns / TT_NS_PER_US);
	cfg->chan.max_retx = dc.max_retx;
	cfg->chan.max_msg_bytes = dc.msg_max;
	cfg->chan.window = dc.window;
	cfg->chan.rx_window = dc.rx_window;
	cfg->fence_action = TT_WORKER_FENCE_EXIT;
	cfg->tasks.max_tasks = 65536;
	cfg->tasks.max_outstanding = 64;
	cfg->tasks.max_result_bytes = 4096;
	cfg->journal.fsync = TT_JFILE_FSYNC_ALWAYS;
	cfg->journal.batch_records = 64;
	cfg->journal.batch_us = 10000;
}

static int load(const char *path, const char *name, struct tt_app_config *cfg, char *err,
		size_t err_len)
{
	struct ctx c = {.name = name, .err = err, .err_len = err_len, .cfg = cfg};
	int rc;

	if (err_len > 0)
		err[0] = '\0';
	tt_cfg_defaults(cfg);
	snprintf(cfg->source, sizeof(cfg->source), "%s", name);

	rc = scan_file(&c, path);
	if (rc == 0) {
		c.cf = rte_cfgfile_load(path, CFG_FLAG_EMPTY_VALUES);
		if (c.cf == NULL)
			rc = fail(&c, 0, "rte_cfgfile could not read it");
	}
	if (rc == 0)
		rc = check_names(&c);
	if (rc == 0)
		rc = parse_role(&c);
	if (rc == 0)
		rc = parse_fixed(&c);
	if (rc == 0)
		rc = check_required(&c);
	if (rc == 0)
		rc = check_lcores(&c);
	if (rc == 0)
		rc = check_port(&c);
	if (rc == 0)
		rc = check_channels(&c);
	if (rc == 0)
		rc = parse_map(&c, SEC_WORKERS, parse_worker);
	if (rc == 0)
		rc = parse_map(&c, SEC_NEIGH, parse_neigh);
	if (rc == 0)
		rc = check_roles_rules(&c);
	if (rc == 0)
		rc = check_heartbeat(&c);
	if (rc == 0)
		rc = check_journal(&c);
	if (rc == 0)
		rc = check_policy(&c);

	if (rc == -ENOMEM)
		fail(&c, 0, "out of memory");
	if (c.cf != NULL)
		rte_cfgfile_close(c.cf);
	free(c.lines);
	return rc;
}

int tt_cfg_load(const char *path, struct tt_app_config *cfg, char *err, size_t err_len)
{
	return load(path, path, cfg, err, err_len);
}

int tt_cfg_load_text(const char *name, const char *text, size_t len, struct tt_app_config *cfg,
		     char *err, size_t err_len)
{
	char path[64];
	size_t done = 0;
	int fd, rc;

	/* rte_cfgfile only opens files: hand it the text as an anonymous one. */
	fd = memfd_create("tether-config", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "%s: memfd_create: %s", name, strerror(-rc));
		return rc;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, err_len, "%s: writing the memfd: %s", name, strerror(-rc));
			close(fd);
			return rc;
		}
		done += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = load(path, name, cfg, err, err_len);
	close(fd);
	return rc;
}

int tt_cfg_load_demo(struct tt_app_config *cfg, char *err, size_t err_len)
{
	return tt_cfg_load_text(TT_CFG_DEMO_NAME, tt_cfg_demo_ini, strlen(tt_cfg_demo_ini), cfg,
				err, err_len);
}

/* ---- the mapping to the engine ---- */

static struct tt_hb_timers hb_timers(const struct tt_app_config *cfg, uint8_t mult)
{
	struct tt_hb_timers t = {
		.desired_min_tx_us = cfg->hb.interval_us,
		.required_min_rx_us = cfg->hb.interval_us,
		.detect_mult = mult,
	};

	return t;
}

static tt_ns_t clamp_ns(tt_ns_t v, tt_ns_t lo, tt_ns_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The channel template; values the file does not set keep tt_dc_config_default()'s. */
static void dc_config(const struct tt_app_config *cfg, struct tt_dc_config *dc)
{
	tt_dc_config_default(dc);
	dc->mtu = cfg->port.mtu;
	dc->msg_max = cfg->chan.max_msg_bytes;
	dc->window = cfg->chan.window;
	dc->rx_window = cfg->chan.rx_window;
	dc->rto_min_ns = tt_us_to_ns(cfg->chan.rto_min_us);
	dc->rto_max_ns = tt_us_to_ns(cfg->chan.rto_max_us);
	/* rto_min <= rto_init <= rto_max and 0 < G <= rto_max (tt_dc_create()). */
	dc->rto_init_ns = clamp_ns(dc->rto_init_ns, dc->rto_min_ns, dc->rto_max_ns);
	dc->granularity_ns = clamp_ns(dc->granularity_ns, 1, dc->rto_max_ns);
	dc->max_retx = cfg->chan.max_retx;
	dc->probe_interval_ns = tt_us_to_ns(cfg->chan.probe_interval_us);
	dc->probe_timeout_ns = tt_us_to_ns(cfg->chan.probe_timeout_us);
}

int tt_cfg_to_master(const struct tt_app_config *cfg, struct tt_master_config *out)
{
	if (cfg->role != TT_CFG_ROLE_MASTER && cfg->role != TT_CFG_ROLE_DEMO)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ip = cfg->net.ip;
	out->dc_port = cfg->chan.port;
	out->hb_src_port_base = cfg->hb.src_port;
	out->n_chan = cfg->chan.count;
	out->n_workers = cfg->n_workers;
	out->workers = cfg->workers;
	out->master_timers = hb_timers(cfg, cfg->hb.master_detect_mult);
	out->worker_timers = hb_timers(cfg, cfg->hb.worker_detect_mult);
	out->d_max_ns = tt_us_to_ns(cfg->hb.d_max_us);
	out->granularity_ns = tt_us_to_ns(cfg->hb.granularity_us);
	out->slow_tx_us = cfg->hb.slow_tx_us;
	out->allow_fast_slow_rate = cfg->hb.slow_tx_us < SLOW_TX_MIN_US;
	dc_config(cfg, &out->dc);
	out->max_tasks = cfg->tasks.max_tasks;
	out->max_outstanding = cfg->tasks.max_outstanding;
	out->timeline_cap = TT_CFG_TIMELINE_CAP;
	out->hb_lcore = cfg->lcores.hb_lcore;
	out->dc_lcore = cfg->lcores.dc_lcore;
	return 0;
}

int tt_cfg_to_worker(const struct tt_app_config *cfg, unsigned int idx,
		     struct tt_worker_config *out)
{
	if (cfg->role == TT_CFG_ROLE_MASTER || (cfg->role == TT_CFG_ROLE_WORKER && idx != 0) ||
	    (cfg->role == TT_CFG_ROLE_DEMO && idx >= cfg->n_workers))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (cfg->role == TT_CFG_ROLE_WORKER) {
		out->worker_id = cfg->worker_id;
		out->ip = cfg->net.ip;
		out->master_ip = cfg->net.master_ip;
		out->dc_port_base = cfg->chan.port_base;
	} else {
		out->worker_id = cfg->workers[idx].worker_id;
		out->ip = cfg->workers[idx].ip;
		out->master_ip = cfg->net.ip;
		out->dc_port_base = cfg->workers[idx].dc_port_base;
	}
	out->epoch = 1;
	out->hb_src_port = cfg->hb.src_port;
	out->master_dc_port = cfg->chan.port;
	out->n_chan = cfg->chan.count;
	out->worker_timers = hb_timers(cfg, cfg->hb.worker_detect_mult);
	out->master_timers = hb_timers(cfg, cfg->hb.master_detect_mult);
	out->d_max_ns = tt_us_to_ns(cfg->hb.d_max_us);
	out->granularity_ns = tt_us_to_ns(cfg->hb.granularity_us);
	out->slow_tx_us = cfg->hb.slow_tx_us;
	out->allow_fast_slow_rate = cfg->hb.slow_tx_us < SLOW_TX_MIN_US;
	dc_config(cfg, &out->dc);
	/* The worker's capacity is the master's per-worker limit: never a BUSY refusal. */
	out->max_tasks = cfg->tasks.max_outstanding;
	out->max_handlers = TT_CFG_MAX_HANDLERS;
	out->max_result = cfg->tasks.max_result_bytes;
	out->fence_action = cfg->fence_action;
	out->timeline_cap = TT_CFG_TIMELINE_CAP;
	out->hb_lcore = cfg->lcores.hb_lcore;
	out->dc_lcore = cfg->lcores.dc_lcore;
	return 0;
}
