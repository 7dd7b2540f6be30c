/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apps/tether-pmd/args.c without EAL: every option the parser accepts is in
 * --help (the direction a black-box test cannot see), the split at `--`,
 * the mode each option set selects, and the message of each usage error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "args.h"
#include "exit_codes.h"

/* The full --help text, as a user sees it. */
static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	tt_args_usage(f, "/usr/bin/tether-pmd");
	fclose(f);
	return buf;
}

static int parse(struct tt_args *a, char *err, size_t len, int n, ...)
{
	char *argv[16] = {(char *)"tether-pmd"};
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		argv[1 + i] = va_arg(ap, char *);
	va_end(ap);
	return tt_args_parse(1 + n, argv, a, err, len);
}

/*
 * Every option of the parser's table: its long form (and short form) is in
 * --help with its value name, tt_args_lookup() finds it, and the parser
 * accepts it with a value if it takes one.
 */
static void test_every_accepted_option_is_in_help(void **state)
{
	static const struct {
		const char *lname;
		char sname;
		const char *val;
	} table[] = {
#define TT_X(id, lname, sname, val, help) {lname, sname, val},
		TT_ARGS_OPTIONS(TT_X)
#undef TT_X
	};
	char *help = usage_text();
	size_t i;

	(void)state;
	assert_int_equal(sizeof(table) / sizeof(table[0]), TT_ARGS_OPT_COUNT);
	for (i = 0; i < TT_ARGS_OPT_COUNT; i++) {
		char want[96];
		char lopt[64];
		char sopt[4] = "";
		struct tt_args a;
		char err[256];

		snprintf(lopt, sizeof(lopt), "--%s", table[i].lname);
		if (table[i].sname != 0)
			snprintf(sopt, sizeof(sopt), "-%c", table[i].sname);
		if (table[i].sname != 0)
			snprintf(want, sizeof(want), "\n  %s, %s%s%s", sopt, lopt,
				 table[i].val ? " " : "", table[i].val ? table[i].val : "");
		else
			snprintf(want, sizeof(want), "\n  %s%s%s", lopt, table[i].val ? " " : "",
				 table[i].val ? table[i].val : "");
		if (strstr(help, want) == NULL)
			fail_msg("option %s is accepted but --help lacks \"%s\"", lopt, want + 1);
		assert_int_equal(tt_args_lookup(lopt), (int)i);
		if (sopt[0] != '\0')
			assert_int_equal(tt_args_lookup(sopt), (int)i);
		if (strcmp(table[i].lname, "role") == 0)
			assert_int_equal(
				parse(&a, err, sizeof(err), 4, lopt, "master", "--config", "m.ini"),
				0);
		else if (table[i].val != NULL)
			assert_int_equal(parse(&a, err, sizeof(err), 2, lopt, "x"), 0);
		else
			assert_int_equal(parse(&a, err, sizeof(err), 1, lopt), 0);
	}
	free(help);
}

/* Names close to real ones, abbreviations included, are refused, not guessed. */
static void test_near_misses_refused(void **state)
{
	static const char *const bad[] = {
		"--roles",  "--configs", "--interactivee", "-I",      "-H",    "--cmd-file",
		"--checks", "--helpme",	 "--demo",	   "--inter", "--che", "--rol=master"};
	struct tt_args a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&a, err, sizeof(err), 1, bad[i]), -EINVAL);
		assert_non_null(strstr(err, "unknown"));
		assert_int_equal(tt_args_lookup(bad[i]), -1);
	}
}

static void test_modes(void **state)
{
	struct tt_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, sizeof(err), 0), 0);
	assert_int_equal(a.mode, TT_ARGS_MODE_DEMO);
	assert_int_equal(parse(&a, err, sizeof(err), 1, "-i"), 0);
	assert_int_equal(a.mode, TT_ARGS_MODE_EMBEDDED);
	assert_true(a.interactive);
	assert_int_equal(parse(&a, err, sizeof(err), 2, "--cmdfile", "s.cmd"), 0);
	assert_int_equal(a.mode, TT_ARGS_MODE_EMBEDDED);
	assert_string_equal(a.cmdfile_path, "s.cmd");
	assert_int_equal(parse(&a, err, sizeof(err), 4, "--role", "worker", "--config", "w.ini"),
			 0);
	assert_int_equal(a.mode, TT_ARGS_MODE_WORKER);
	assert_string_equal(a.config_path, "w.ini");
	assert_int_equal(parse(&a, err, sizeof(err), 3, "--role=master", "--config=m.ini", "-i"),
			 0);
	assert_int_equal(a.mode, TT_ARGS_MODE_MASTER);
	assert_true(a.interactive);
	assert_int_equal(parse(&a, err, sizeof(err), 1, "--help"), 0);
	assert_true(a.help);
	assert_string_equal(tt_args_mode_name(TT_ARGS_MODE_EMBEDDED), "embedded");
	assert_string_equal(tt_args_mode_name(TT_ARGS_MODE_COUNT), "?");
}

static void test_usage_errors(void **state)
{
	static const struct {
		int n;
		const char *a[4];
		const char *msg;
	} cases[] = {
		{1, {"--frob"}, "unknown or ambiguous option '--frob' (see --help)"},
		{1, {"-z"}, "unknown option '-z' (see --help)"},
		{1, {"--role"}, "option '--role' needs a value (master|worker)"},
		{2,
		 {"--role", "-i"},
		 "option '--role' needs a value (master|worker), got the option "
		 "'-i'"},
		{2,
		 {"--role", "boss"},
		 "bad value 'boss' for --role: allowed values are master, "
		 "worker"},
		{2,
		 {"--role", "master"},
		 "--role master needs --config FILE (for example "
		 "config/master.ini)"},
		{1, {"--config="}, "option '--config' needs a value (FILE)"},
		{1,
		 {"stray"},
		 "unexpected argument 'stray': the app takes options only (see --help)"},
	};
	struct tt_args a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[6] = {(char *)"tether-pmd"};
		int k;

		for (k = 0; k < cases[i].n; k++)
			argv[1 + k] = (char *)cases[i].a[k];
		assert_int_equal(tt_args_parse(1 + cases[i].n, argv, &a, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

static void test_split(void **state)
{
	char *argv[] = {"p", "-l", "0-1", "--", "-i", "--", "x", NULL};
	char *noargs[] = {"p", "-l", "0", NULL};
	struct tt_args_split s;

	(void)state;
	assert_int_equal(tt_args_split(7, argv, &s), 0);
	assert_true(s.separator);
	assert_int_equal(s.eal_argc, 3);
	assert_int_equal(s.app_argc, 4);
	assert_string_equal(s.app_argv[0], "p");
	assert_string_equal(s.app_argv[1], "-i");
	assert_string_equal(s.app_argv[2], "--");
	assert_string_equal(s.app_argv[3], "x");
	assert_null(s.app_argv[4]);
	tt_args_split_free(&s);
	assert_int_equal(tt_args_split(3, noargs, &s), 0);
	assert_false(s.separator);
	assert_int_equal(s.eal_argc, 3);
	assert_int_equal(s.app_argc, 1);
	tt_args_split_free(&s);
}

static void test_demo_eal(void **state)
{
	char *argv[TT_ARGS_DEMO_EAL_MAX + 1];
	char prefix[64];
	int n;
	int i;
	bool no_huge = false;

	(void)state;
	n = tt_args_demo_eal((char *)"p", 1234, prefix, sizeof(prefix), argv);
	assert_true(n > 1 && n <= TT_ARGS_DEMO_EAL_MAX);
	assert_null(argv[n]);
	assert_string_equal(argv[0], "p");
	assert_string_equal(argv[n - 1], "--file-prefix=tether-demo-1234");
	for (i = 0; i < n; i++)
		no_huge |= strcmp(argv[i], "--no-huge") == 0;
	assert_true(no_huge);
}

/* The exit statuses --help documents are the ones the header defines. */
static void test_exit_codes_in_help(void **state)
{
	char *help = usage_text();
	char want[16];

	(void)state;
#define TT_X(name, val, str)                                                                       \
	snprintf(want, sizeof(want), "\n  %-4d", val);                                             \
	assert_non_null(strstr(help, want));
	TT_EXIT_CODES(TT_X)
#undef TT_X
	assert_int_equal(TT_EXIT_FENCED, 75);
	assert_non_null(strstr(help, "Usage: tether-pmd [EAL options] -- [app options]"));
	free(help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_accepted_option_is_in_help),
		cmocka_unit_test(test_near_misses_refused),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_demo_eal),
		cmocka_unit_test(test_exit_codes_in_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
