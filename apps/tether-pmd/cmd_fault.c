/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault cut|restore|drop|dup|reorder|delay|clear|pause: fault injection on one worker's
 * channels or heartbeat, through the drivers' fault shim (or the engine's
 * operator cut with "admin").
 */
#include <inttypes.h>
#include <string.h>

#include <cmdline.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include "cmd.h"

struct fault_res {
	cmdline_fixed_string_t w0;
	cmdline_fixed_string_t op;
	cmdline_fixed_string_t wworker;
	uint32_t worker;
	cmdline_fixed_string_t wchan;
	uint16_t chan;
	cmdline_fixed_string_t amount; /* a percentage: parsed here, it may have a fraction */
	uint32_t us;
	uint32_t jitter_us;
	cmdline_fixed_string_t admin;
};

static cmdline_parse_token_string_t tok_fault =
	TOKEN_STRING_INITIALIZER(struct fault_res, w0, "fault");
static cmdline_parse_token_string_t tok_cut =
	TOKEN_STRING_INITIALIZER(struct fault_res, op, "cut#restore");
static cmdline_parse_token_string_t tok_drop =
	TOKEN_STRING_INITIALIZER(struct fault_res, op, "drop");
static cmdline_parse_token_string_t tok_dup = TOKEN_STRING_INITIALIZER(struct fault_res, op, "dup");
static cmdline_parse_token_string_t tok_reorder =
	TOKEN_STRING_INITIALIZER(struct fault_res, op, "reorder");
static cmdline_parse_token_string_t tok_delay =
	TOKEN_STRING_INITIALIZER(struct fault_res, op, "delay");
static cmdline_parse_token_string_t tok_clear =
	TOKEN_STRING_INITIALIZER(struct fault_res, op, "clear");
static cmdline_parse_token_string_t tok_pause =
	TOKEN_STRING_INITIALIZER(struct fault_res, op, "pause");
static cmdline_parse_token_string_t tok_wworker =
	TOKEN_STRING_INITIALIZER(struct fault_res, wworker, "worker");
static cmdline_parse_token_num_t tok_worker =
	TOKEN_NUM_INITIALIZER(struct fault_res, worker, RTE_UINT32);
static cmdline_parse_token_string_t tok_wchan =
	TOKEN_STRING_INITIALIZER(struct fault_res, wchan, "channel");
static cmdline_parse_token_string_t tok_whb =
	TOKEN_STRING_INITIALIZER(struct fault_res, wchan, "hb");
static cmdline_parse_token_num_t tok_chan =
	TOKEN_NUM_INITIALIZER(struct fault_res, chan, RTE_UINT16);
static cmdline_parse_token_string_t tok_amount =
	TOKEN_STRING_INITIALIZER(struct fault_res, amount, NULL);
static cmdline_parse_token_num_t tok_us = TOKEN_NUM_INITIALIZER(struct fault_res, us, RTE_UINT32);
static cmdline_parse_token_num_t tok_jitter =
	TOKEN_NUM_INITIALIZER(struct fault_res, jitter_us, RTE_UINT32);
static cmdline_parse_token_string_t tok_admin =
	TOKEN_STRING_INITIALIZER(struct fault_res, admin, "admin");

static void cut_parsed(void *res, struct cmdline *cl, void *data)
{
	struct fault_res *r = res;

	(void)cl;
	tt_ctl_fault_cut(tt_cmd_ctl(), r->worker, r->chan, strcmp(r->op, "restore") == 0,
			 data != NULL, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_fault_cut = {
	.f = cut_parsed,
	.help_str = "fault cut|restore worker <id> channel <c>: drop every packet of the channel "
		    "(both ways in-process) so that its probes find the failure, or lift that",
	.tokens = {(void *)&tok_fault, (void *)&tok_cut, (void *)&tok_wworker, (void *)&tok_worker,
		   (void *)&tok_wchan, (void *)&tok_chan, NULL},
};

cmdline_parse_inst_t tt_cmd_fault_cut_admin = {
	.f = cut_parsed,
	.data = (void *)1,
	.help_str = "fault cut|restore worker <id> channel <c> admin: the engine's operator cut "
		    "instead: the channel goes DOWN at once (reason cut), or is allowed up again",
	.tokens = {(void *)&tok_fault, (void *)&tok_cut, (void *)&tok_wworker, (void *)&tok_worker,
		   (void *)&tok_wchan, (void *)&tok_chan, (void *)&tok_admin, NULL},
};

static void target_of(const struct fault_res *r, bool hb, struct tt_ctl_target *t)
{
	t->worker_id = r->worker;
	t->hb = hb;
	t->chan = hb ? 0 : r->chan;
}

static void drop_parsed(void *res, struct cmdline *cl, void *data)
{
	struct fault_res *r = res;
	struct tt_ctl_target t;
	uint32_t ppm;

	(void)cl;
	if (tt_cmd_parse_percent(r->amount, 100, &ppm) != 0) {
		tt_cmd_fail("drop '%s': a percentage 0..100 (fractions allowed, e.g. 0.5)",
			    r->amount);
		return;
	}
	target_of(r, data != NULL, &t);
	tt_ctl_fault_drop(tt_cmd_ctl(), &t, ppm, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_fault_drop_chan = {
	.f = drop_parsed,
	.help_str = "fault drop worker <id> channel <c> <percent>: drop that share of the "
		    "channel's packets at random (0 stops dropping)",
	.tokens = {(void *)&tok_fault, (void *)&tok_drop, (void *)&tok_wworker, (void *)&tok_worker,
		   (void *)&tok_wchan, (void *)&tok_chan, (void *)&tok_amount, NULL},
};

cmdline_parse_inst_t tt_cmd_fault_drop_hb = {
	.f = drop_parsed,
	.data = (void *)1,
	.help_str = "fault drop worker <id> hb <percent>: the same for the worker's heartbeat",
	.tokens = {(void *)&tok_fault, (void *)&tok_drop, (void *)&tok_wworker, (void *)&tok_worker,
		   (void *)&tok_whb, (void *)&tok_amount, NULL},
};

static void dup_parsed(void *res, struct cmdline *cl, void *data)
{
	struct fault_res *r = res;
	struct tt_ctl_target t;
	uint32_t ppm;

	(void)cl;
	if (tt_cmd_parse_percent(r->amount, 100, &ppm) != 0) {
		tt_cmd_fail("dup '%s': a percentage 0..100 (fractions allowed, e.g. 0.5)",
			    r->amount);
		return;
	}
	target_of(r, data != NULL, &t);
	tt_ctl_fault_dup(tt_cmd_ctl(), &t, ppm, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_fault_dup_chan = {
	.f = dup_parsed,
	.help_str = "fault dup worker <id> channel <c> <percent>: send that share of the "
		    "channel's packets twice, the copy right after the packet (0 stops)",
	.tokens = {(void *)&tok_fault, (void *)&tok_dup, (void *)&tok_wworker, (void *)&tok_worker,
		   (void *)&tok_wchan, (void *)&tok_chan, (void *)&tok_amount, NULL},
};

cmdline_parse_inst_t tt_cmd_fault_dup_hb = {
	.f = dup_parsed,
	.data = (void *)1,
	.help_str = "fault dup worker <id> hb <percent>: the same for the worker's heartbeat",
	.tokens = {(void *)&tok_fault, (void *)&tok_dup, (void *)&tok_wworker, (void *)&tok_worker,
		   (void *)&tok_whb, (void *)&tok_amount, NULL},
};

/* A packet held for reordering goes anyway after this long without a next packet. */
#define REORDER_HOLD_US_DEFAULT 10000u

/* data: bit 0 heartbeat, bit 1 with a hold time */
static void reorder_parsed(void *res, struct cmdline *cl, void *data)
{
	struct fault_res *r = res;
	uintptr_t d = (uintptr_t)data;
	struct tt_ctl_target t;
	uint32_t ppm;

	(void)cl;
	if (tt_cmd_parse_percent(r->amount, 100, &ppm) != 0) {
		tt_cmd_fail("reorder '%s': a percentage 0..100 (fractions allowed, e.g. 0.5)",
			    r->amount);
		return;
	}
	if ((d & 2u) != 0 && r->us == 0) {
		tt_cmd_fail("reorder hold %" PRIu32 " us: give 1 or more", r->us);
		return;
	}
	target_of(r, (d & 1u) != 0, &t);
	tt_ctl_fault_reorder(tt_cmd_ctl(), &t, ppm, (d & 2u) != 0 ? r->us : REORDER_HOLD_US_DEFAULT,
			     tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_fault_reorder_chan = {
	.f = reorder_parsed,
	.data = (void *)0,
	.help_str = "fault reorder worker <id> channel <c> <percent>: hold that share of the "
		    "channel's packets and send each after the next one (held at most 10000 us; "
		    "0 stops)",
	.tokens = {(void *)&tok_fault, (void *)&tok_reorder, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_wchan, (void *)&tok_chan, (void *)&tok_amount,
		   NULL},
};

cmdline_parse_inst_t tt_cmd_fault_reorder_chan_h = {
	.f = reorder_parsed,
	.data = (void *)2,
	.help_str = "fault reorder worker <id> channel <c> <percent> <hold-us>: the same, held "
		    "at most <hold-us> (1 or more) waiting for the next packet",
	.tokens = {(void *)&tok_fault, (void *)&tok_reorder, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_wchan, (void *)&tok_chan, (void *)&tok_amount,
		   (void *)&tok_us, NULL},
};

cmdline_parse_inst_t tt_cmd_fault_reorder_hb = {
	.f = reorder_parsed,
	.data = (void *)1,
	.help_str = "fault reorder worker <id> hb <percent>: the same for the worker's heartbeat",
	.tokens = {(void *)&tok_fault, (void *)&tok_reorder, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_whb, (void *)&tok_amount, NULL},
};

cmdline_parse_inst_t tt_cmd_fault_reorder_hb_h = {
	.f = reorder_parsed,
	.data = (void *)3,
	.help_str = "fault reorder worker <id> hb <percent> <hold-us>: with a hold time",
	.tokens = {(void *)&tok_fault, (void *)&tok_reorder, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_whb, (void *)&tok_amount, (void *)&tok_us,
		   NULL},
};

/* data: bit 0 heartbeat, bit 1 with jitter */
static void delay_parsed(void *res, struct cmdline *cl, void *data)
{
	struct fault_res *r = res;
	uintptr_t d = (uintptr_t)data;
	struct tt_ctl_target t;

	(void)cl;
	target_of(r, (d & 1u) != 0, &t);
	tt_ctl_fault_delay(tt_cmd_ctl(), &t, r->us, (d & 2u) != 0 ? r->jitter_us : 0, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_fault_delay_chan = {
	.f = delay_parsed,
	.data = (void *)0,
	.help_str = "fault delay worker <id> channel <c> <us>: delay the channel's packets "
		    "(0 ends the delay)",
	.tokens = {(void *)&tok_fault, (void *)&tok_delay, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_wchan, (void *)&tok_chan, (void *)&tok_us,
		   NULL},
};

cmdline_parse_inst_t tt_cmd_fault_delay_chan_j = {
	.f = delay_parsed,
	.data = (void *)2,
	.help_str = "fault delay worker <id> channel <c> <us> <jitter-us>: plus a uniform jitter "
		    "(which may reorder packets)",
	.tokens = {(void *)&tok_fault, (void *)&tok_delay, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_wchan, (void *)&tok_chan, (void *)&tok_us,
		   (void *)&tok_jitter, NULL},
};

cmdline_parse_inst_t tt_cmd_fault_delay_hb = {
	.f = delay_parsed,
	.data = (void *)1,
	.help_str = "fault delay worker <id> hb <us>: delay the worker's heartbeat packets",
	.tokens = {(void *)&tok_fault, (void *)&tok_delay, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_whb, (void *)&tok_us, NULL},
};

cmdline_parse_inst_t tt_cmd_fault_delay_hb_j = {
	.f = delay_parsed,
	.data = (void *)3,
	.help_str = "fault delay worker <id> hb <us> <jitter-us>: plus a uniform jitter",
	.tokens = {(void *)&tok_fault, (void *)&tok_delay, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_whb, (void *)&tok_us, (void *)&tok_jitter,
		   NULL},
};

static void clear_parsed(void *res, struct cmdline *cl, void *data)
{
	struct fault_res *r = res;

	(void)cl;
	(void)data;
	tt_ctl_fault_clear(tt_cmd_ctl(), r->worker, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_fault_clear = {
	.f = clear_parsed,
	.help_str = "fault clear worker <id>: lift every shim fault (cut, drop, dup, reorder, "
		    "delay) on the "
		    "worker's heartbeat and channels",
	.tokens = {(void *)&tok_fault, (void *)&tok_clear, (void *)&tok_wworker,
		   (void *)&tok_worker, NULL},
};

static void pause_parsed(void *res, struct cmdline *cl, void *data)
{
	struct fault_res *r = res;

	(void)cl;
	(void)data;
	tt_ctl_fault_pause(tt_cmd_ctl(), r->worker, r->us, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_fault_pause = {
	.f = pause_parsed,
	.help_str = "fault pause worker <id> <ms>: a worker process sleeps that long (it wakes "
		    "past its detection time and fences); in-process, the worker's links freeze "
		    "(its packets, both ways, are held until the end)",
	.tokens = {(void *)&tok_fault, (void *)&tok_pause, (void *)&tok_wworker,
		   (void *)&tok_worker, (void *)&tok_us, NULL},
};
