/* SPDX-License-Identifier: BSD-3-Clause */
/* submit <n> <handler> <size> [spin-us], load start <rate> <handler> <size> [spin-us], load stop.
 */
#include <cmdline.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include "cmd.h"

struct task_res {
	cmdline_fixed_string_t w0;
	cmdline_fixed_string_t w1;
	uint32_t n;
	cmdline_fixed_string_t handler;
	uint32_t size;
	uint32_t spin_us;
};

static cmdline_parse_token_string_t tok_submit =
	TOKEN_STRING_INITIALIZER(struct task_res, w0, "submit");
static cmdline_parse_token_string_t tok_load =
	TOKEN_STRING_INITIALIZER(struct task_res, w0, "load");
static cmdline_parse_token_string_t tok_start =
	TOKEN_STRING_INITIALIZER(struct task_res, w1, "start");
static cmdline_parse_token_string_t tok_stop =
	TOKEN_STRING_INITIALIZER(struct task_res, w1, "stop");
static cmdline_parse_token_num_t tok_n = TOKEN_NUM_INITIALIZER(struct task_res, n, RTE_UINT32);
static cmdline_parse_token_string_t tok_handler =
	TOKEN_STRING_INITIALIZER(struct task_res, handler, NULL);
static cmdline_parse_token_num_t tok_size =
	TOKEN_NUM_INITIALIZER(struct task_res, size, RTE_UINT32);
static cmdline_parse_token_num_t tok_spin =
	TOKEN_NUM_INITIALIZER(struct task_res, spin_us, RTE_UINT32);

static void submit_parsed(void *res, struct cmdline *cl, void *data)
{
	struct task_res *r = res;

	(void)cl;
	if (r->n == 0) {
		tt_cmd_fail("submit 0 tasks: give 1 or more");
		return;
	}
	tt_ctl_submit(tt_cmd_ctl(), r->n, r->handler, r->size,
		      data != NULL ? r->spin_us : TT_CTL_DEFAULT_SPIN_US, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_task_submit = {
	.f = submit_parsed,
	.help_str = "submit <n> <handler> <size>: submit n tasks of size payload bytes to the "
		    "master; handlers echo, crc32, spin (busy 20000 us, payload >= 4 bytes)",
	.tokens = {(void *)&tok_submit, (void *)&tok_n, (void *)&tok_handler, (void *)&tok_size,
		   NULL},
};

cmdline_parse_inst_t tt_cmd_task_submit_spin = {
	.f = submit_parsed,
	.data = (void *)1,
	.help_str = "submit <n> spin <size> <us>: spin tasks busy that long on the worker",
	.tokens = {(void *)&tok_submit, (void *)&tok_n, (void *)&tok_handler, (void *)&tok_size,
		   (void *)&tok_spin, NULL},
};

static void load_parsed(void *res, struct cmdline *cl, void *data)
{
	struct task_res *r = res;

	(void)cl;
	tt_ctl_load_start(tt_cmd_ctl(), r->n, r->handler, r->size,
			  data != NULL ? r->spin_us : TT_CTL_DEFAULT_SPIN_US, tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_task_load = {
	.f = load_parsed,
	.help_str = "load start <rate> <handler> <size>: submit <rate> tasks per second until "
		    "load stop",
	.tokens = {(void *)&tok_load, (void *)&tok_start, (void *)&tok_n, (void *)&tok_handler,
		   (void *)&tok_size, NULL},
};

cmdline_parse_inst_t tt_cmd_task_load_spin = {
	.f = load_parsed,
	.data = (void *)1,
	.help_str = "load start <rate> spin <size> <us>: a load of spin tasks busy <us> each",
	.tokens = {(void *)&tok_load, (void *)&tok_start, (void *)&tok_n, (void *)&tok_handler,
		   (void *)&tok_size, (void *)&tok_spin, NULL},
};

static void load_stop_parsed(void *res, struct cmdline *cl, void *data)
{
	(void)res;
	(void)cl;
	(void)data;
	tt_ctl_load_stop(tt_cmd_ctl(), tt_cmd_out());
}

cmdline_parse_inst_t tt_cmd_task_load_stop = {
	.f = load_stop_parsed,
	.help_str = "load stop: stop the load generator",
	.tokens = {(void *)&tok_load, (void *)&tok_stop, NULL},
};
