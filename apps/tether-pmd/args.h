/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_ARGS_H
#define TT_ARGS_H

/**
 * @file
 * tether-pmd's command line: `tether-pmd [EAL options] -- [app options]`,
 * as dpdk-testpmd. Everything before the first `--` goes to rte_eal_init();
 * everything after it is parsed here, before EAL starts, so that a usage
 * error costs no EAL start-up and always exits with TT_EXIT_USAGE.
 *
 * The option table and the --help text come from one X-macro
 * (TT_ARGS_OPTIONS), so --help lists exactly the options the parser takes.
 *
 * Execution context: main thread, before rte_eal_init(). Not thread-safe
 * (getopt_long keeps global state).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** What the process runs. X(name, printable, description) */
#define TT_ARGS_MODES(X)                                                                           \
	X(DEMO, "demo", "the scripted embedded demo (no arguments at all)")                        \
	X(EMBEDDED, "embedded",                                                                    \
	  "master and 3 workers in this process over ring port pairs, driven by commands")         \
	X(MASTER, "master", "the master of a deployment, on the ports of --config")                \
	X(WORKER, "worker", "one worker of a deployment, on the ports of --config")

/* The X-macro hides the enumerators from clang-format. */
/* clang-format off */
enum tt_args_mode {
#define TT_X(name, str, desc) TT_ARGS_MODE_##name,
	TT_ARGS_MODES(TT_X)
#undef TT_X
	TT_ARGS_MODE_COUNT
};
/* clang-format on */

/**
 * The app options. X(id, long name, short letter or 0, value name or NULL,
 * help text). A value name means the option requires a value.
 */
#define TT_ARGS_OPTIONS(X)                                                                         \
	X(ROLE, "role", 0, "master|worker",                                                        \
	  "run one endpoint of a deployment (needs --config); without --role the master "          \
	  "and 3 workers run in this process over crossed ring port pairs")                        \
	X(CONFIG, "config", 0, "FILE",                                                             \
	  "INI configuration (config/master.ini, worker.ini, demo.ini); without it the "           \
	  "in-process topology uses the built-in demo configuration")                              \
	X(INTERACTIVE, "interactive", 'i', NULL,                                                   \
	  "interactive prompt (DPDK cmdline); type 'help' for the commands")                       \
	X(CMDFILE, "cmdfile", 0, "FILE",                                                           \
	  "run the commands of FILE (one per line, '#' comments), then stay at the "               \
	  "prompt with -i or exit (status 1 if a command failed, 2 if one was unknown)")           \
	X(BENCH, "bench", 0, "SPEC",                                                               \
	  "run a system benchmark on the in-process topology and print RESULT lines: "             \
	  "SPEC is KIND[,KEY=VALUE]..., kinds cut, fp, tput, rtt (see apps/tether-pmd/bench.h; "   \
	  "perf/sweep.py runs grids of them)")                                                     \
	X(CHECK, "check", 0, NULL,                                                                 \
	  "check the options and the config file, print what would run, and exit "                 \
	  "without starting EAL")                                                                  \
	X(HELP, "help", 'h', NULL, "print this help and exit")

/* clang-format off */
enum tt_args_opt {
#define TT_X(id, lname, sname, val, help) TT_ARGS_OPT_##id,
	TT_ARGS_OPTIONS(TT_X)
#undef TT_X
	TT_ARGS_OPT_COUNT
};
/* clang-format on */

/** Parsed app options. */
struct tt_args {
	enum tt_args_mode mode;
	const char *config_path;  /**< --config, or NULL */
	const char *cmdfile_path; /**< --cmdfile, or NULL */
	const char *bench_spec;	  /**< --bench, or NULL (checked by tt_bench_spec_parse()) */
	bool interactive;	  /**< -i */
	bool check;		  /**< --check */
	bool help;		  /**< --help: print tt_args_usage() and exit 0 */
};

/** The command line split at the first `--`. */
struct tt_args_split {
	int eal_argc;	 /**< argv[0] and the EAL options */
	char **eal_argv; /**< points into the caller's argv */
	int app_argc;	 /**< program name and the app options */
	char **app_argv; /**< allocated: free with tt_args_split_free() */
	bool separator;	 /**< a `--` was present */
};

/** Printable mode name ("demo", ...); "?" when out of range. */
const char *tt_args_mode_name(unsigned int mode);

/**
 * Split argv at the first `--`.
 *
 * @param argc  as main's.
 * @param argv  as main's (argv[0] the program name).
 * @param out   filled in; app_argv[0] is argv[0].
 * @return 0, or -ENOMEM.
 */
int tt_args_split(int argc, char **argv, struct tt_args_split *out);

/** Free what tt_args_split() allocated. */
void tt_args_split_free(struct tt_args_split *s);

/**
 * Parse the app options.
 *
 * @param argc     app_argc of tt_args_split().
 * @param argv     app_argv (argv[0] the program name); not modified, but
 *                 getopt_long may permute it.
 * @param out      filled in (pointers into argv).
 * @param err      on failure, one line naming the option and the bad value
 *                 and what is allowed.
 * @param err_len  size of err.
 * @return 0, or -EINVAL (usage error: exit with TT_EXIT_USAGE).
 */
int tt_args_parse(int argc, char **argv, struct tt_args *out, char *err, size_t err_len);

/**
 * If @p arg is an app option (long or short, with or without "=value"),
 * return its id, else -1. main uses it to tell a user who put an app option
 * before `--` where it belongs.
 */
int tt_args_lookup(const char *arg);

/**
 * Print the full help: synopsis, modes, app options, EAL notes, exit
 * statuses, observability (telemetry, capture, logs) and examples.
 *
 * @param f     stream (stdout for --help).
 * @param path  argv[0]; its last component is the name shown.
 */
void tt_args_usage(FILE *f, const char *path);

/** Most arguments tt_args_demo_eal() returns. */
#define TT_ARGS_DEMO_EAL_MAX 16

/**
 * The built-in EAL options used when no EAL option is given and the topology
 * is in-process (demo, embedded): `-l 0-1 --no-huge -m 256 --no-pci
 * --no-shconf --file-prefix=tether-demo-<pid> --log-level=4`. The global log
 * level 4 (warning) keeps EAL's start-up lines and the NOTICE state-change
 * logs off the demo, which prints the same events as its timeline.
 *
 * @param prog        argv[0] to put first.
 * @param pid         process id for the file prefix (unique per process).
 * @param prefix_buf  storage for the prefix argument, >= 32 bytes.
 * @param prefix_len  its size.
 * @param argv        out: up to TT_ARGS_DEMO_EAL_MAX pointers (into
 *                    static strings and prefix_buf), then NULL.
 * @return argc.
 */
int tt_args_demo_eal(char *prog, int pid, char *prefix_buf, size_t prefix_len, char **argv);

#endif /* TT_ARGS_H */
