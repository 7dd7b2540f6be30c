/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tether-pmd's app options: the split at `--`, getopt_long over one option
 * table, and the --help text printed from the same table and from the exit
 * status table (exit_codes.h).
 */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"

/* Long-only options get values above any letter so getopt_long can tell them apart. */
#define OPT_VAL_BASE 256

static const char *const mode_names[] = {
#define TT_X(name, str, desc) str,
	TT_ARGS_MODES(TT_X)
#undef TT_X
};

static const char *const mode_descs[] = {
#define TT_X(name, str, desc) desc,
	TT_ARGS_MODES(TT_X)
#undef TT_X
};

struct opt_def {
	const char *lname;
	char sname;
	const char *val;
	const char *help;
};

static const struct opt_def opt_defs[TT_ARGS_OPT_COUNT] = {
#define TT_X(id, lname, sname, val, help) [TT_ARGS_OPT_##id] = {lname, sname, val, help},
	TT_ARGS_OPTIONS(TT_X)
#undef TT_X
};

/* The values --role takes; the index is the mode it selects. */
static const struct {
	const char *name;
	enum tt_args_mode mode;
} roles[] = {
	{"master", TT_ARGS_MODE_MASTER},
	{"worker", TT_ARGS_MODE_WORKER},
};

const char *tt_args_mode_name(unsigned int mode)
{
	return mode < TT_ARGS_MODE_COUNT ? mode_names[mode] : "?";
}

int tt_args_split(int argc, char **argv, struct tt_args_split *out)
{
	int sep = -1;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	}
	out->separator = sep >= 0;
	out->eal_argc = sep >= 0 ? sep : argc;
	out->eal_argv = argv;
	out->app_argc = sep >= 0 ? argc - sep : 1;
	/* +1: getopt_long and EAL expect argv[argc] == NULL. */
	out->app_argv = calloc((size_t)out->app_argc + 1, sizeof(char *));
	if (out->app_argv == NULL)
		return -ENOMEM;
	out->app_argv[0] = argv[0];
	for (i = 1; i < out->app_argc; i++)
		out->app_argv[i] = argv[sep + i];
	return 0;
}

void tt_args_split_free(struct tt_args_split *s)
{
	free(s->app_argv);
	s->app_argv = NULL;
}

static int opt_val(unsigned int id)
{
	return opt_defs[id].sname != 0 ? opt_defs[id].sname : OPT_VAL_BASE + (int)id;
}

static int opt_id_of_val(int val)
{
	unsigned int id;

	for (id = 0; id < TT_ARGS_OPT_COUNT; id++)
		if (opt_val(id) == val)
			return (int)id;
	return -1;
}

int tt_args_lookup(const char *arg)
{
	unsigned int id;
	size_t n;

	if (arg[0] != '-')
		return -1;
	if (arg[1] == '-') {
		n = strcspn(arg + 2, "=");
		for (id = 0; id < TT_ARGS_OPT_COUNT; id++)
			if (strlen(opt_defs[id].lname) == n &&
			    strncmp(arg + 2, opt_defs[id].lname, n) == 0)
				return (int)id;
		return -1;
	}
	if (arg[1] == '\0' || arg[2] != '\0')
		return -1;
	for (id = 0; id < TT_ARGS_OPT_COUNT; id++)
		if (opt_defs[id].sname != 0 && opt_defs[id].sname == arg[1])
			return (int)id;
	return -1;
}

/* "--role" or "-i, --interactive" for messages. */
static const char *opt_display(unsigned int id, char *buf, size_t len)
{
	snprintf(buf, len, "--%s", opt_defs[id].lname);
	return buf;
}

static int fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Check one option's value: present, not empty, not swallowed from the next option. */
static int check_value(unsigned int id, const char *v, char *err, size_t err_len)
{
	char name[32];

	opt_display(id, name, sizeof(name));
	if (v == NULL || v[0] == '\0')
		return fail(err, err_len, "option '%s' needs a value (%s)", name, opt_defs[id].val);
	/* getopt takes "--role --config" as role "--config": a missing value, really. */
	if (v[0] == '-')
		return fail(err, err_len, "option '%s' needs a value (%s), got the option '%s'",
			    name, opt_defs[id].val, v);
	return 0;
}

static int parse_role(const char *v, struct tt_args *out, char *err, size_t err_len)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(v, roles[i].name) == 0) {
			out->mode = roles[i].mode;
			return 0;
		}
	}
	return fail(err, err_len, "bad value '%s' for --role: allowed values are master, worker",
		    v);
}

/*
 * Parse argv[1..] with getopt_long (":" first in optstring: a missing value
 * is reported as ':' rather than printed by getopt). Messages name the
 * option and the value and say what is allowed. After the options: the mode
 * follows from --role, else from -i / --cmdfile (embedded), else the demo.
 */
int tt_args_parse(int argc, char **argv, struct tt_args *out, char *err, size_t err_len)
{
	struct option lopts[TT_ARGS_OPT_COUNT + 1];
	char sopts[2 * TT_ARGS_OPT_COUNT + 3];
	bool role_set = false;
	size_t ns = 0;
	unsigned int id;
	int c;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	memset(lopts, 0, sizeof(lopts));
	/* '+': stop at the first non-option, so that argv[prev] below is the option;
	 * ':': a missing value comes back as ':' instead of a message from getopt. */
	sopts[ns++] = '+';
	sopts[ns++] = ':';
	for (id = 0; id < TT_ARGS_OPT_COUNT; id++) {
		lopts[id].name = opt_defs[id].lname;
		lopts[id].has_arg = opt_defs[id].val != NULL ? required_argument : no_argument;
		lopts[id].val = opt_val(id);
		if (opt_defs[id].sname != 0) {
			sopts[ns++] = opt_defs[id].sname;
			if (opt_defs[id].val != NULL)
				sopts[ns++] = ':';
		}
	}
	sopts[ns] = '\0';

	/* 0, not 1: a full re-initialisation of getopt between calls (tests parse many times). */
	optind = 0;
	opterr = 0;
	for (;;) {
		int prev = optind > 0 ? optind : 1;
		int oid;

		c = getopt_long(argc, argv, sopts, lopts, NULL);
		if (c == -1)
			break;
		if (c == '?') {
			if (optopt != 0)
				ret = fail(err, err_len, "unknown option '-%c' (see --help)",
					   optopt);
			else
				ret = fail(err, err_len,
					   "unknown or ambiguous option '%s' (see --help)",
					   argv[optind - 1]);
			break;
		}
		if (c == ':') {
			oid = opt_id_of_val(optopt);
			if (oid < 0)
				ret = fail(err, err_len, "option '%s' needs a value",
					   argv[optind - 1]);
			else
				ret = check_value((unsigned int)oid, NULL, err, err_len);
			break;
		}
		oid = opt_id_of_val(c);
		/*
		 * getopt_long also takes unique abbreviations ("--inter"): refuse
		 * them, so that the options accepted are exactly those --help lists.
		 */
		if (oid >= 0 && strncmp(argv[prev], "--", 2) == 0 &&
		    tt_args_lookup(argv[prev]) != oid) {
			ret = fail(err, err_len,
				   "unknown option '%s': did you mean '--%s'? (see --help)",
				   argv[prev], opt_defs[oid].lname);
			break;
		}
		if (oid >= 0 && opt_defs[oid].val != NULL) {
			ret = check_value((unsigned int)oid, optarg, err, err_len);
			if (ret != 0)
				break;
		}
		switch (oid) {
		case TT_ARGS_OPT_ROLE:
			ret = parse_role(optarg, out, err, err_len);
			role_set = true;
			break;
		case TT_ARGS_OPT_CONFIG:
			out->config_path = optarg;
			break;
		case TT_ARGS_OPT_INTERACTIVE:
			out->interactive = true;
			break;
		case TT_ARGS_OPT_CMDFILE:
			out->cmdfile_path = optarg;
			break;
		case TT_ARGS_OPT_BENCH:
			out->bench_spec = optarg;
			break;
		case TT_ARGS_OPT_CHECK:
			out->check = true;
			break;
		case TT_ARGS_OPT_HELP:
			out->help = true;
			break;
		default:
			ret = fail(err, err_len, "internal: option value %d has no handler", c);
			break;
		}
		if (ret != 0)
			break;
	}
	if (ret == 0 && optind < argc)
		ret = fail(err, err_len,
			   "unexpected argument '%s': the app takes options only (see --help)",
			   argv[optind]);
	optind = 0;
	if (ret != 0 || out->help)
		return ret;

	if (out->bench_spec != NULL && (role_set || out->interactive || out->cmdfile_path != NULL))
		return fail(err, err_len,
			    "--bench runs on its own on the in-process topology: drop %s",
			    role_set	       ? "--role"
			    : out->interactive ? "-i"
					       : "--cmdfile");
	if (!role_set)
		out->mode =
			(out->interactive || out->cmdfile_path != NULL || out->bench_spec != NULL)
				? TT_ARGS_MODE_EMBEDDED
				: TT_ARGS_MODE_DEMO;
	if (role_set && out->config_path == NULL)
		return fail(err, err_len,
			    "--role %s needs --config FILE (for example config/%s.ini)",
			    tt_args_mode_name(out->mode), tt_args_mode_name(out->mode));
	return 0;
}

int tt_args_demo_eal(char *prog, int pid, char *prefix_buf, size_t prefix_len, char **argv)
{
	static const char *const fixed[] = {
		"-l", "0-1", "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--log-level=4",
	};
	int n = 0;
	size_t i;

	argv[n++] = prog;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[n++] = (char *)fixed[i];
	snprintf(prefix_buf, prefix_len, "--file-prefix=tether-demo-%d", pid);
	argv[n++] = prefix_buf;
	argv[n] = NULL;
	return n;
}

/* Width of the help text: fits an 80-column terminal. */
#define USAGE_WIDTH  79
#define USAGE_INDENT 26

/* Print text from column col, wrapped at USAGE_WIDTH, continuation lines at indent. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (col > indent && col + 1 + (int)w > USAGE_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, p);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* One option: "  -i, --interactive" or "  --role master|worker", then its text. */
static void usage_option(FILE *f, unsigned int id)
{
	const struct opt_def *d = &opt_defs[id];
	char head[64];
	int n;

	if (d->sname != 0)
		n = snprintf(head, sizeof(head), "  -%c, --%s", d->sname, d->lname);
	else
		n = snprintf(head, sizeof(head), "  --%s", d->lname);
	if (d->val != NULL && n > 0 && (size_t)n < sizeof(head))
		snprintf(head + n, sizeof(head) - (size_t)n, " %s", d->val);
	fprintf(f, "%-*s", USAGE_INDENT, head);
	wrap(f, d->help, USAGE_INDENT, USAGE_INDENT);
}

void tt_args_usage(FILE *f, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *prog = slash != NULL ? slash + 1 : path;
	unsigned int i;

	fprintf(f,
		"Usage: %s [EAL options] -- [app options]\n"
		"       %s                 (no arguments at all: the embedded demo)\n"
		"\n"
		"tether ties every data channel between a master and a worker to their BFD\n"
		"heartbeat: a channel going down silences the heartbeat, the worker fences\n"
		"itself (T2) before the master reschedules its tasks (T1 > T2 + I + d_max + g).\n"
		"\n"
		"Modes:\n",
		prog, prog);
	for (i = 0; i < TT_ARGS_MODE_COUNT; i++) {
		fprintf(f, "  %-10s", mode_names[i]);
		wrap(f, mode_descs[i], 12, 12);
	}
	fprintf(f, "  The mode is --role if given; else embedded with -i, --cmdfile or --bench;\n"
		   "  else demo.\n"
		   "\n"
		   "App options (after --):\n");
	for (i = 0; i < TT_ARGS_OPT_COUNT; i++)
		usage_option(f, i);
	fprintf(f,
		"\n"
		"EAL options (before --): any of DPDK's, e.g. -l 0-1 (lcores: the first is\n"
		"the control lcore, the others poll), -a PCI_ADDR (use a NIC), --vdev (a\n"
		"virtual port), --file-prefix, --log-level. Without any EAL option the demo\n"
		"and embedded modes use:\n"
		"  -l 0-1 --no-huge -m 256 --no-pci --no-shconf --file-prefix=tether-demo-<pid>\n"
		"  --log-level=4   (warnings and errors only: the demo prints its own timeline)\n"
		"\n"
		"Exit status:\n");
#define TT_X(name, val, str)                                                                       \
	fprintf(f, "  %-4d", val);                                                                 \
	wrap(f, str, 6, 6);
	TT_EXIT_CODES(TT_X)
#undef TT_X
	fprintf(f,
		"\n"
		"Observability:\n"
		"  telemetry  /tether/workers, /tether/sessions, /tether/channels,<worker id>,\n"
		"             /tether/tasks, /tether/stats; read them with\n"
		"             dpdk-telemetry.py -f <file-prefix>\n"
		"  capture    rte_pdump is initialised (needs multi-process, so not with\n"
		"             --no-shconf): dpdk-dumpcap --file-prefix=<file-prefix> -i <port>\n"
		"             -w /tmp/tether.pcapng, then tshark -r /tmp/tether.pcapng -Y bfd\n"
		"  logs       --log-level='user.tether.*:info'; types user.tether.app, .hb,\n"
		"             .dc, .sched, .port (state changes at NOTICE, once each)\n"
		"\n"
		"Examples:\n"
		"  %s\n"
		"  %s -- -i\n"
		"  %s -- --cmdfile scenario.cmd\n"
		"  %s -- --config sweep-point.ini --bench cut,count=1000\n"
		"  %s -l 0-1 -a 03:00.0 -- --role master --config master.ini -i\n",
		prog, prog, prog, prog, prog);
}
