/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * start, stop, quit, help, and the scripting commands (sleep, wait) that
 * let a --cmdfile follow a scenario without guessing how long steps take.
 */
#include <string.h>

#include <cmdline.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include "cmd.h"

struct word1 {
	cmdline_fixed_string_t w0;
};

static void start_parsed(void *res, struct cmdline *cl, void *data)
{
	(void)res;
	(void)cl;
	(void)data;
	tt_ctl_start(tt_cmd_ctl(), tt_cmd_out());
}

static void stop_parsed(void *res, struct cmdline *cl, void *data)
{
	(void)res;
	(void)cl;
	(void)data;
	tt_ctl_stop(tt_cmd_ctl(), tt_cmd_out());
}

static void quit_parsed(void *res, struct cmdline *cl, void *data)
{
	(void)res;
	(void)data;
	tt_ctl_quit(tt_cmd_ctl(), tt_cmd_out());
	cmdline_quit(cl);
}

static cmdline_parse_token_string_t tok_start = TOKEN_STRING_INITIALIZER(struct word1, w0, "start");
static cmdline_parse_token_string_t tok_stop = TOKEN_STRING_INITIALIZER(struct word1, w0, "stop");
static cmdline_parse_token_string_t tok_quit = TOKEN_STRING_INITIALIZER(struct word1, w0, "quit");

cmdline_parse_inst_t tt_cmd_run_start = {
	.f = start_parsed,
	.help_str = "start: start the polling lcore (after a stop: a fresh runtime, workers "
		    "re-join under new epochs, the master's task table starts empty)",
	.tokens = {(void *)&tok_start, NULL},
};

cmdline_parse_inst_t tt_cmd_run_stop = {
	.f = stop_parsed,
	.help_str = "stop: stop the polling lcore (heartbeats and channels go silent: peers time "
		    "out)",
	.tokens = {(void *)&tok_stop, NULL},
};

cmdline_parse_inst_t tt_cmd_run_quit = {
	.f = quit_parsed,
	.help_str = "quit: stop everything and exit",
	.tokens = {(void *)&tok_quit, NULL},
};

/* sleep MS */
struct sleep_res {
	cmdline_fixed_string_t w0;
	uint32_t ms;
};

static void sleep_parsed(void *res, struct cmdline *cl, void *data)
{
	struct sleep_res *r = res;

	(void)cl;
	(void)data;
	tt_ctl_sleep(tt_cmd_ctl(), r->ms, tt_cmd_out());
}

static cmdline_parse_token_string_t tok_sleep =
	TOKEN_STRING_INITIALIZER(struct sleep_res, w0, "sleep");
static cmdline_parse_token_num_t tok_sleep_ms =
	TOKEN_NUM_INITIALIZER(struct sleep_res, ms, RTE_UINT32);

cmdline_parse_inst_t tt_cmd_run_sleep = {
	.f = sleep_parsed,
	.help_str = "sleep <ms>: wait that long (state keeps being collected and logged)",
	.tokens = {(void *)&tok_sleep, (void *)&tok_sleep_ms, NULL},
};

/* wait event EVENT [worker W] MS, wait live MS, wait tasks MS */
struct wait_res {
	cmdline_fixed_string_t w0;
	cmdline_fixed_string_t what;
	cmdline_fixed_string_t kind;
	cmdline_fixed_string_t wworker;
	uint32_t worker;
	uint32_t ms;
};

static void wait_event_parsed(void *res, struct cmdline *cl, void *data)
{
	struct wait_res *r = res;

	(void)cl;
	tt_ctl_wait_event(tt_cmd_ctl(), r->kind, data != NULL ? (int64_t)r->worker : -1, r->ms,
			  tt_cmd_out());
}

static void wait_state_parsed(void *res, struct cmdline *cl, void *data)
{
	struct wait_res *r = res;

	(void)cl;
	(void)data;
	if (strcmp(r->what, "live") == 0)
		tt_ctl_wait_live(tt_cmd_ctl(), r->ms, tt_cmd_out());
	else
		tt_ctl_wait_tasks(tt_cmd_ctl(), r->ms, tt_cmd_out());
}

static cmdline_parse_token_string_t tok_wait =
	TOKEN_STRING_INITIALIZER(struct wait_res, w0, "wait");
static cmdline_parse_token_string_t tok_wait_event =
	TOKEN_STRING_INITIALIZER(struct wait_res, what, "event");
static cmdline_parse_token_string_t tok_wait_kind =
	TOKEN_STRING_INITIALIZER(struct wait_res, kind, NULL);
static cmdline_parse_token_string_t tok_wait_wworker =
	TOKEN_STRING_INITIALIZER(struct wait_res, wworker, "worker");
static cmdline_parse_token_num_t tok_wait_worker =
	TOKEN_NUM_INITIALIZER(struct wait_res, worker, RTE_UINT32);
static cmdline_parse_token_num_t tok_wait_ms =
	TOKEN_NUM_INITIALIZER(struct wait_res, ms, RTE_UINT32);
static cmdline_parse_token_string_t tok_wait_state =
	TOKEN_STRING_INITIALIZER(struct wait_res, what, "live#tasks");

cmdline_parse_inst_t tt_cmd_run_wait_event = {
	.f = wait_event_parsed,
	.help_str = "wait event <event> <ms>: wait for the next timeline event of that kind "
		    "(chan-down, hb-silenced, fence, worker-dead, rejoin, live, ...) after the "
		    "last one a wait found; fails after <ms>",
	.tokens = {(void *)&tok_wait, (void *)&tok_wait_event, (void *)&tok_wait_kind,
		   (void *)&tok_wait_ms, NULL},
};

cmdline_parse_inst_t tt_cmd_run_wait_event_w = {
	.f = wait_event_parsed,
	.data = (void *)1,
	.help_str = "wait event <event> worker <id> <ms>: the same, for one worker",
	.tokens = {(void *)&tok_wait, (void *)&tok_wait_event, (void *)&tok_wait_kind,
		   (void *)&tok_wait_wworker, (void *)&tok_wait_worker, (void *)&tok_wait_ms, NULL},
};

cmdline_parse_inst_t tt_cmd_run_wait_live = {
	.f = wait_state_parsed,
	.help_str = "wait live|tasks <ms>: wait until every worker is live with every channel up "
		    "(live), or every task submitted is finished (tasks); fails after <ms>",
	.tokens = {(void *)&tok_wait, (void *)&tok_wait_state, (void *)&tok_wait_ms, NULL},
};

/* help [topic] */
struct help_res {
	cmdline_fixed_string_t w0;
	cmdline_fixed_string_t topic;
};

static void print_help(const char *topic)
{
	FILE *out = tt_cmd_out();
	unsigned int i;
	unsigned int shown = 0;

	if (topic == NULL)
		fputs("Commands (numbers are decimal; <ms> milliseconds, <us> microseconds):\n",
		      out);
	for (i = 0; tt_cmd_ctx[i] != NULL; i++) {
		const char *h = tt_cmd_ctx[i]->help_str;

		if (topic != NULL && strncmp(h, topic, strlen(topic)) != 0)
			continue;
		fprintf(out, "  %s\n", h);
		shown++;
	}
	if (shown == 0)
		tt_cmd_fail("help %s: no such command; 'help' lists them all", topic);
	fflush(out);
}

static void help_parsed(void *res, struct cmdline *cl, void *data)
{
	struct help_res *r = res;

	(void)cl;
	print_help(data != NULL ? r->topic : NULL);
}

static cmdline_parse_token_string_t tok_help =
	TOKEN_STRING_INITIALIZER(struct help_res, w0, "help");
static cmdline_parse_token_string_t tok_help_topic =
	TOKEN_STRING_INITIALIZER(struct help_res, topic, NULL);

cmdline_parse_inst_t tt_cmd_run_help = {
	.f = help_parsed,
	.help_str = "help: list the commands",
	.tokens = {(void *)&tok_help, NULL},
};

cmdline_parse_inst_t tt_cmd_run_help_topic = {
	.f = help_parsed,
	.data = (void *)1,
	.help_str = "help <word>: the commands starting with that word (help fault, help show)",
	.tokens = {(void *)&tok_help, (void *)&tok_help_topic, NULL},
};
