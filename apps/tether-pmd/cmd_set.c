/* SPDX-License-Identifier: BSD-3-Clause */
/* set hb interval <us> [worker W], set hb mult master|worker <n> [worker W]. */
#include <string.h>

#include <cmdline.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include "cmd.h"

struct set_res {
	cmdline_fixed_string_t w0;
	cmdline_fixed_string_t w1;
	cmdline_fixed_string_t what;
	cmdline_fixed_string_t side;
	uint32_t value;
	cmdline_fixed_string_t wworker;
	uint32_t worker;
};

static cmdline_parse_token_string_t tok_set = TOKEN_STRING_INITIALIZER(struct set_res, w0, "set");
static cmdline_parse_token_string_t tok_hb = TOKEN_STRING_INITIALIZER(struct set_res, w1, "hb");
static cmdline_parse_token_string_t tok_interval =
	TOKEN_STRING_INITIALIZER(struct set_res, what, "interval");
static cmdline_parse_token_string_t tok_mult =
	TOKEN_STRING_INITIALIZER(struct set_res, what, "mult");
static cmdline_parse_token_string_t tok_side =
	TOKEN_STRING_INITIALIZER(struct set_res, side, "master#worker");
static cmdline_parse_token_num_t tok_value =
	TOKEN_NUM_INITIALIZER(struct set_res, value, RTE_UINT32);
static cmdline_parse_token_string_t tok_wworker =
	TOKEN_STRING_INITIALIZER(struct set_res, wworker, "worker");
static cmdline_parse_token_num_t tok_worker =
	TOKEN_NUM_INITIALIZER(struct set_res, worker, RTE_UINT32);

static void interval_parsed(void *res, struct cmdline *cl, void *data)
{
	struct set_res *r = res;

	(void)cl;
	if (r->value == 0) {
		tt_cmd_fail("interval 0 us: give 1 or more (BFD timers are in microseconds)");
		return;
	}
	tt_ctl_set_hb_interval(tt_cmd_ctl(), r->value, data != NULL ? (int64_t)r->worker : -1,
			       tt_cmd_out());
}

static void mult_parsed(void *res, struct cmdline *cl, void *data)
{
	struct set_res *r = res;
	enum tt_rt_role side =
		strcmp(r->side, "master") == 0 ? TT_RT_ROLE_MASTER : TT_RT_ROLE_WORKER;

	(void)cl;
	if (r->value < 1 || r->value > UINT8_MAX) {
		tt_cmd_fail("Detect Mult %u: allowed 1..255 (RFC 5880 §4.1)", r->value);
		return;
	}
	tt_ctl_set_hb_mult(tt_cmd_ctl(), side, (uint8_t)r->value,
			   data != NULL ? (int64_t)r->worker : -1, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_set_interval = {
	.f = interval_parsed,
	.help_str = "set hb interval <us>: heartbeat interval of every session here, changed live "
		    "by a Poll/Final sequence; refused if it breaks T1 > T2 + I + d_max + g",
	.tokens = {(void *)&tok_set, (void *)&tok_hb, (void *)&tok_interval, (void *)&tok_value,
		   NULL},
};

cmdline_parse_inst_t tt_cmd_set_interval_w = {
	.f = interval_parsed,
	.data = (void *)1,
	.help_str = "set hb interval <us> worker <id>: the same for one worker's sessions",
	.tokens = {(void *)&tok_set, (void *)&tok_hb, (void *)&tok_interval, (void *)&tok_value,
		   (void *)&tok_wworker, (void *)&tok_worker, NULL},
};

cmdline_parse_inst_t tt_cmd_set_mult = {
	.f = mult_parsed,
	.help_str = "set hb mult master|worker <n>: that side's Detect Mult (master: T2 = n x I; "
		    "worker: T1 = n x I), live by Poll/Final; refused if unsafe",
	.tokens = {(void *)&tok_set, (void *)&tok_hb, (void *)&tok_mult, (void *)&tok_side,
		   (void *)&tok_value, NULL},
};

cmdline_parse_inst_t tt_cmd_set_mult_w = {
	.f = mult_parsed,
	.data = (void *)1,
	.help_str = "set hb mult master|worker <n> worker <id>: the same for one worker",
	.tokens = {(void *)&tok_set, (void *)&tok_hb, (void *)&tok_mult, (void *)&tok_side,
		   (void *)&tok_value, (void *)&tok_wworker, (void *)&tok_worker, NULL},
};
