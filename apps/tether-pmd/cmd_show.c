/* SPDX-License-Identifier: BSD-3-Clause */
/* show port stats|xstats all|N, show workers|sessions|channels|tasks|timeline. */
#include <string.h>

#include <cmdline.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include "cmd.h"

/* Rows `show timeline` prints without a count. */
#define TIMELINE_DEFAULT 20

struct show_res {
	cmdline_fixed_string_t w0;
	cmdline_fixed_string_t what;
	cmdline_fixed_string_t sub;
	cmdline_fixed_string_t sel;
	uint32_t n;
};

static cmdline_parse_token_string_t tok_show =
	TOKEN_STRING_INITIALIZER(struct show_res, w0, "show");

/* show port stats|xstats all|N */
static void port_parsed(void *res, struct cmdline *cl, void *data)
{
	struct show_res *r = res;
	int32_t port = data != NULL ? (int32_t)r->n : -1;

	(void)cl;
	if (strcmp(r->sub, "xstats") == 0)
		tt_ctl_show_port_xstats(tt_cmd_ctl(), port, tt_cmd_out());
	else
		tt_ctl_show_port_stats(tt_cmd_ctl(), port, tt_cmd_out());
}

static cmdline_parse_token_string_t tok_port =
	TOKEN_STRING_INITIALIZER(struct show_res, what, "port");
static cmdline_parse_token_string_t tok_port_kind =
	TOKEN_STRING_INITIALIZER(struct show_res, sub, "stats#xstats");
static cmdline_parse_token_string_t tok_port_all =
	TOKEN_STRING_INITIALIZER(struct show_res, sel, "all");
static cmdline_parse_token_num_t tok_port_n = TOKEN_NUM_INITIALIZER(struct show_res, n, RTE_UINT16);

cmdline_parse_inst_t tt_cmd_show_port_all = {
	.f = port_parsed,
	.help_str = "show port stats|xstats all: ethdev counters and tether's per-port counters "
		    "(stats) or the PMD's extended statistics (xstats) of every port",
	.tokens = {(void *)&tok_show, (void *)&tok_port, (void *)&tok_port_kind,
		   (void *)&tok_port_all, NULL},
};

cmdline_parse_inst_t tt_cmd_show_port_n = {
	.f = port_parsed,
	.data = (void *)1,
	.help_str = "show port stats|xstats <port>: the same for one ethdev port id",
	.tokens = {(void *)&tok_show, (void *)&tok_port, (void *)&tok_port_kind,
		   (void *)&tok_port_n, NULL},
};

/* show workers, show sessions */
static void simple_parsed(void *res, struct cmdline *cl, void *data)
{
	struct show_res *r = res;

	(void)cl;
	(void)data;
	if (strcmp(r->what, "workers") == 0)
		tt_ctl_show_workers(tt_cmd_ctl(), tt_cmd_out());
	else
		tt_ctl_show_sessions(tt_cmd_ctl(), tt_cmd_out());
}

static cmdline_parse_token_string_t tok_workers =
	TOKEN_STRING_INITIALIZER(struct show_res, what, "workers");
static cmdline_parse_token_string_t tok_sessions =
	TOKEN_STRING_INITIALIZER(struct show_res, what, "sessions");

cmdline_parse_inst_t tt_cmd_show_workers = {
	.f = simple_parsed,
	.help_str =
		"show workers: each worker as the master sees it (state, epoch, heartbeat, "
		"channels up, tasks held) and, in-process, as it sees itself (fences, re-joins)",
	.tokens = {(void *)&tok_show, (void *)&tok_workers, NULL},
};

cmdline_parse_inst_t tt_cmd_show_sessions = {
	.f = simple_parsed,
	.help_str = "show sessions: every BFD heartbeat session: state, silenced, discriminator, "
		    "interval, Detect Mult, detection time (us), Poll sequence, packets, faults",
	.tokens = {(void *)&tok_show, (void *)&tok_sessions, NULL},
};

/* show channels [worker W] */
static void channels_parsed(void *res, struct cmdline *cl, void *data)
{
	struct show_res *r = res;

	(void)cl;
	tt_ctl_show_channels(tt_cmd_ctl(), data != NULL ? (int64_t)r->n : -1, tt_cmd_out());
}

static cmdline_parse_token_string_t tok_channels =
	TOKEN_STRING_INITIALIZER(struct show_res, what, "channels");
static cmdline_parse_token_string_t tok_ch_worker =
	TOKEN_STRING_INITIALIZER(struct show_res, sub, "worker");
static cmdline_parse_token_num_t tok_ch_id = TOKEN_NUM_INITIALIZER(struct show_res, n, RTE_UINT32);

cmdline_parse_inst_t tt_cmd_show_channels = {
	.f = channels_parsed,
	.help_str = "show channels: every data channel: state, why it last went down, epoch, "
		    "messages, retransmissions, RTT, faults",
	.tokens = {(void *)&tok_show, (void *)&tok_channels, NULL},
};

cmdline_parse_inst_t tt_cmd_show_channels_w = {
	.f = channels_parsed,
	.data = (void *)1,
	.help_str = "show channels worker <id>: the channels of one worker",
	.tokens = {(void *)&tok_show, (void *)&tok_channels, (void *)&tok_ch_worker,
		   (void *)&tok_ch_id, NULL},
};

/* show tasks [summary] */
static void tasks_parsed(void *res, struct cmdline *cl, void *data)
{
	(void)res;
	(void)cl;
	tt_ctl_show_tasks(tt_cmd_ctl(), data != NULL, tt_cmd_out());
}

static cmdline_parse_token_string_t tok_tasks =
	TOKEN_STRING_INITIALIZER(struct show_res, what, "tasks");
static cmdline_parse_token_string_t tok_summary =
	TOKEN_STRING_INITIALIZER(struct show_res, sub, "summary");

cmdline_parse_inst_t tt_cmd_show_tasks = {
	.f = tasks_parsed,
	.help_str = "show tasks: the tasks in flight (state, worker, epoch, channel, attempts) "
		    "and the summary",
	.tokens = {(void *)&tok_show, (void *)&tok_tasks, NULL},
};

cmdline_parse_inst_t tt_cmd_show_tasks_summary = {
	.f = tasks_parsed,
	.data = (void *)1,
	.help_str = "show tasks summary: submitted, committed exactly once, duplicates, "
		    "rescheduled, stale results rejected (by reason), in flight",
	.tokens = {(void *)&tok_show, (void *)&tok_tasks, (void *)&tok_summary, NULL},
};

/* show timeline [N] */
static void timeline_parsed(void *res, struct cmdline *cl, void *data)
{
	struct show_res *r = res;

	(void)cl;
	tt_ctl_show_timeline(tt_cmd_ctl(), data != NULL ? r->n : TIMELINE_DEFAULT, tt_cmd_out());
}

static cmdline_parse_token_string_t tok_timeline =
	TOKEN_STRING_INITIALIZER(struct show_res, what, "timeline");
static cmdline_parse_token_num_t tok_tl_n = TOKEN_NUM_INITIALIZER(struct show_res, n, RTE_UINT32);

cmdline_parse_inst_t tt_cmd_show_timeline = {
	.f = timeline_parsed,
	.help_str = "show timeline: the last 20 state changes (channel down and why, heartbeat "
		    "silenced, fence, worker dead, reschedule, re-join), times in us",
	.tokens = {(void *)&tok_show, (void *)&tok_timeline, NULL},
};

cmdline_parse_inst_t tt_cmd_show_timeline_n = {
	.f = timeline_parsed,
	.data = (void *)1,
	.help_str = "show timeline <n>: the last <n> state changes",
	.tokens = {(void *)&tok_show, (void *)&tok_timeline, (void *)&tok_tl_n, NULL},
};
