/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tether-pmd: `tether-pmd [EAL options] -- [app options]`, or no arguments
 * at all for the embedded demo. This file parses the command line, loads
 * the configuration, starts EAL, builds the topology, and runs the mode; it
 * is the only place the process exits (rte_exit once EAL is up). Exit
 * statuses: exit_codes.h.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_pdump.h>

#include "app_log.h"
#include "args.h"
#include "bench.h"
#include "cmd.h"
#include "config.h"
#include "control.h"
#include "demo.h"
#include "exit_codes.h"
#include "telemetry.h"
#include "topo.h"

/* Large: kept off the stack. */
static struct tt_app_config app_cfg;
static struct tt_topo topo;
static struct tt_bench_spec bench_spec;
static struct tt_ctl *volatile signal_ctl;
static volatile sig_atomic_t got_signal;
/* The runtime directory of a built-in --file-prefix, removed at exit. */
static char owned_runtime_dir[PATH_MAX];

/*
 * A built-in file prefix is unique per process (tether-demo-<pid>): remove
 * its runtime directory at exit so that runs do not pile up directories in
 * /var/run/dpdk. Registered before rte_eal_init(), so it runs after the
 * exit handlers EAL's libraries register (telemetry unlinks its socket in
 * one), when the directory is empty.
 */
static void remove_runtime_dir(void)
{
	if (owned_runtime_dir[0] != '\0')
		rmdir(owned_runtime_dir);
}

/*
 * SIGINT/SIGTERM: ask the control loop to end (a C11 atomic store, which is
 * async-signal-safe). The loops see it within a few ms, stop the polling
 * lcore and exit normally. No SA_RESTART, so that a blocked poll() returns.
 */
static void on_signal(int sig)
{
	struct tt_ctl *c = signal_ctl;

	(void)sig;
	got_signal = 1; /* before the control module exists: seen once it does */
	if (c != NULL)
		tt_ctl_request_quit(c);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/*
	 * A vhost-user or memif peer that went away makes the PMD write to a
	 * closed socket: that must be an error return, not a SIGPIPE that kills
	 * a fenced worker before it can exit with its own status.
	 */
	signal(SIGPIPE, SIG_IGN);
}

static void usage_error(const char *prog, const char *msg)
{
	fprintf(stderr, "%s: %s\nUsage: %s [EAL options] -- [app options]; see %s --help\n", prog,
		msg, prog, prog);
	exit(TT_EXIT_USAGE);
}

/*
 * Without `--` every argument is EAL's. Catch the two mistakes that make: a
 * --help meant for us, and an app option put before `--`.
 */
static void check_no_separator(int argc, char **argv)
{
	char msg[256];
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			tt_args_usage(stdout, argv[0]);
			exit(TT_EXIT_OK);
		}
	}
	for (i = 1; i < argc; i++) {
		int id = tt_args_lookup(argv[i]);

		/* -i is no EAL option either; every other letter may be EAL's own. */
		if (id >= 0 && (argv[i][1] == '-' || strcmp(argv[i], "-i") == 0)) {
			snprintf(msg, sizeof(msg),
				 "'%s' is a tether-pmd option: put it after '--' (for example: %s "
				 "-- %s)",
				 argv[i], argv[0], argv[i]);
			usage_error(argv[0], msg);
		}
	}
}

static void load_config(const struct tt_args *a, const char *prog)
{
	char err[TT_CFG_ERR_MAX];
	int ret;

	if (a->config_path != NULL)
		ret = tt_cfg_load(a->config_path, &app_cfg, err, sizeof(err));
	else
		ret = tt_cfg_load_demo(&app_cfg, err, sizeof(err));
	if (ret == 0)
		ret = tt_topo_check_mode(&app_cfg, a->mode, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit(TT_EXIT_USAGE);
	}
}

/* --check: what would run, without EAL. */
static void print_check(const struct tt_args *a)
{
	printf("mode: %s\n", tt_args_mode_name(a->mode));
	printf("config: %s (role %s)\n", app_cfg.source, tt_cfg_role_name(app_cfg.role));
	printf("timing: %s\n", app_cfg.policy_msg);
	if (a->cmdfile_path != NULL)
		printf("cmdfile: %s\n", a->cmdfile_path);
	if (a->bench_spec != NULL)
		printf("bench: %s\n", a->bench_spec);
	printf("interactive: %s\n", a->interactive ? "yes" : "no");
}

static bool in_process(enum tt_args_mode m)
{
	return m == TT_ARGS_MODE_DEMO || m == TT_ARGS_MODE_EMBEDDED;
}

/* Start the data plane: the demo says so itself, the other modes print it. */
static int start(struct tt_ctl *ctl, const struct tt_args *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (a->mode != TT_ARGS_MODE_DEMO)
		return tt_ctl_start(ctl, stdout) < 0 ? TT_EXIT_RUNTIME : TT_EXIT_OK;
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return TT_EXIT_RUNTIME;
	ret = tt_ctl_start(ctl, f);
	fclose(f);
	if (ret < 0)
		fprintf(stderr, "%s", buf);
	free(buf);
	return ret < 0 ? TT_EXIT_RUNTIME : TT_EXIT_OK;
}

/* Run what the mode asks and return the exit status. */
static int run_mode(struct tt_ctl *ctl, const struct tt_args *a)
{
	uint32_t file_failures = 0;
	int file_ret = 0;
	int status;

	if (a->mode == TT_ARGS_MODE_DEMO)
		return tt_demo_run(ctl, stdout);
	if (a->bench_spec != NULL)
		return tt_bench_run(ctl, &bench_spec, stdout);
	if (a->cmdfile_path != NULL) {
		file_ret = tt_cmd_run_file(ctl, a->cmdfile_path, stdout);
		file_failures = tt_ctl_failures(ctl);
	}
	if (a->interactive)
		tt_cmd_interact(ctl);
	else if (a->cmdfile_path == NULL)
		tt_cmd_idle(ctl); /* a deployment without a prompt: until a signal or a fence */
	status = tt_ctl_exit_status(ctl);
	if (status != TT_EXIT_OK)
		return status;
	/* A line that is not a command, or a file that cannot be read: a usage error. */
	if (file_ret < 0)
		return TT_EXIT_USAGE;
	/* Commands typed at the prompt may fail without failing the run; a script's may not. */
	return file_failures > 0 ? TT_EXIT_RUNTIME : TT_EXIT_OK;
}

int main(int argc, char **argv)
{
	char *demo_argv[TT_ARGS_DEMO_EAL_MAX + 1];
	char prefix[64];
	char err[1024];
	struct tt_args_split sp;
	struct tt_args a;
	struct tt_ctl *ctl;
	int eal_argc;
	char **eal_argv;
	FILE *quiet;
	int status;
	int ret;

	if (tt_args_split(argc, argv, &sp) != 0) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return TT_EXIT_RUNTIME;
	}
	if (!sp.separator)
		check_no_separator(argc, argv);
	if (tt_args_parse(sp.app_argc, sp.app_argv, &a, err, sizeof(err)) != 0)
		usage_error(argv[0], err);
	if (a.help) {
		tt_args_usage(stdout, argv[0]);
		return TT_EXIT_OK;
	}
	if (a.cmdfile_path != NULL) {
		struct stat st;
		int e = 0;

		/* fopen() takes a directory and getline() then fails at once: say so now. */
		if (access(a.cmdfile_path, R_OK) != 0 || stat(a.cmdfile_path, &st) != 0)
			e = errno;
		else if (S_ISDIR(st.st_mode))
			e = EISDIR;
		if (e != 0) {
			snprintf(err, sizeof(err), "--cmdfile %s: %s", a.cmdfile_path, strerror(e));
			usage_error(argv[0], err);
		}
	}
	if (a.bench_spec != NULL &&
	    tt_bench_spec_parse(a.bench_spec, &bench_spec, err, sizeof(err)) < 0)
		usage_error(argv[0], err);
	load_config(&a, argv[0]);
	if (a.check) {
		print_check(&a);
		return TT_EXIT_OK;
	}

	install_signals();
	eal_argc = sp.eal_argc;
	eal_argv = sp.eal_argv;
	if (eal_argc == 1 && in_process(a.mode)) {
		eal_argc =
			tt_args_demo_eal(argv[0], (int)getpid(), prefix, sizeof(prefix), demo_argv);
		eal_argv = demo_argv;
		atexit(remove_runtime_dir);
	}
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0)
		rte_exit(rte_errno == EINVAL ? TT_EXIT_USAGE : TT_EXIT_RUNTIME,
			 "EAL initialisation failed: %s\n", rte_strerror(rte_errno));
	if (eal_argv == demo_argv)
		snprintf(owned_runtime_dir, sizeof(owned_runtime_dir), "%s",
			 rte_eal_get_runtime_dir());
	/* Logs on stderr: stdout carries the demo, the command output and nothing else. */
	rte_openlog_stream(stderr);

	/* Capture for dpdk-dumpcap/dpdk-pdump; multi-process IPC is off under --no-shconf. */
	if (rte_pdump_init() < 0)
		TT_LOG(app, INFO,
		       "packet capture unavailable: %s (it needs multi-process: run "
		       "without --no-shconf)",
		       rte_strerror(rte_errno));

	ret = tt_topo_create(&topo, a.mode, &app_cfg, err, sizeof(err));
	if (ret < 0)
		rte_exit(ret == -EINVAL ? TT_EXIT_USAGE : TT_EXIT_RUNTIME, "%s\n", err);
	ctl = tt_ctl_create(&topo);
	if (ctl == NULL)
		rte_exit(TT_EXIT_RUNTIME, "out of memory\n");
	signal_ctl = ctl;
	if (got_signal)
		tt_ctl_request_quit(ctl);
	if (tt_tel_register(ctl) < 0)
		TT_LOG(app, WARNING, "telemetry commands not registered");
	TT_LOG(app, NOTICE, "mode %s, config %s; %s", tt_args_mode_name(a.mode), app_cfg.source,
	       app_cfg.policy_msg);

	status = start(ctl, &a);
	if (status == TT_EXIT_OK)
		status = run_mode(ctl, &a);

	tt_tel_detach();
	signal_ctl = NULL;
	quiet = fopen("/dev/null", "w");
	tt_ctl_stop(ctl, quiet != NULL ? quiet : stderr);
	if (quiet != NULL)
		fclose(quiet);
	tt_ctl_destroy(ctl);
	tt_topo_destroy(&topo);
	rte_pdump_uninit();
	rte_eal_cleanup();
	tt_args_split_free(&sp);
	return status;
}
