/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CMD_H
#define TT_CMD_H

/**
 * @file
 * The command layer (DPDK librte_cmdline), testpmd style: the cmd_*.c files
 * declare the token lists and help text of each command and, when a line
 * matches, call one verb of the control module (control.h) with the parsed
 * values. Nothing here knows an engine object.
 *
 *   cmd_run.c    start, stop, quit, sleep, wait ...
 *   cmd_show.c   show port|workers|sessions|channels|tasks|timeline
 *   cmd_set.c    set hb interval|mult
 *   cmd_fault.c  fault cut|restore|drop|dup|reorder|delay|clear|pause
 *   cmd_task.c   submit, load start|stop
 *   cmd_main.c   the context, help, the --cmdfile runner, the prompt loop
 *
 * Execution context: main lcore.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cmdline_parse.h>

#include "control.h"

/** Prompt of the interactive mode. */
#define TT_CMD_PROMPT "tether> "

/** The command set, NULL-terminated. */
extern cmdline_parse_ctx_t tt_cmd_ctx[];

/** The control module the commands act on, and the stream they print on. */
struct tt_ctl *tt_cmd_ctl(void);
FILE *tt_cmd_out(void);

/**
 * Count and print a value error the command layer found (a percentage that
 * is not a number...): "error: ..." on tt_cmd_out().
 */
void tt_cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Parse a decimal number with an optional fraction and '%' ("0.5", "100%"),
 * scaled by 10^4: a percentage becomes parts per million ("2.5" -> 25000).
 *
 * @param s       the text.
 * @param max     largest allowed value of the number (100 for a percentage).
 * @param scaled  out: the value x 10^4, rounded.
 * @return 0, or -EINVAL (not a number, or outside 0..max).
 */
int tt_cmd_parse_percent(const char *s, unsigned int max, uint32_t *scaled);

/**
 * Run the commands of a file, one per line ('#' comments and blank lines
 * skipped), each echoed after the prompt. A line that is not a command
 * prints "error: FILE:LINE: ..." with the help of the command it resembles.
 * Stops early if a command asks to quit.
 *
 * @param ctl   control module.
 * @param path  the file.
 * @param out   where the echo and the outputs go.
 * @return 0; -ENOENT etc. if the file cannot be read; -EINVAL if a line
 *         was not a command (the rest still ran). Failed verbs are counted
 *         in tt_ctl_failures().
 */
int tt_cmd_run_file(struct tt_ctl *ctl, const char *path, FILE *out);

/**
 * The interactive prompt on stdin/stdout, until quit, end of input or
 * tt_ctl_request_quit() (a signal). Housekeeps every few ms meanwhile.
 */
void tt_cmd_interact(struct tt_ctl *ctl);

/**
 * Housekeep until tt_ctl_request_quit() (non-interactive runs: a deployment
 * without -i, after its --cmdfile).
 */
void tt_cmd_idle(struct tt_ctl *ctl);

/* The command instances, one per file (see the list above). */
extern cmdline_parse_inst_t tt_cmd_run_start, tt_cmd_run_stop, tt_cmd_run_quit, tt_cmd_run_sleep,
	tt_cmd_run_wait_event, tt_cmd_run_wait_event_w, tt_cmd_run_wait_live, tt_cmd_run_help,
	tt_cmd_run_help_topic;
extern cmdline_parse_inst_t tt_cmd_show_port_all, tt_cmd_show_port_n, tt_cmd_show_workers,
	tt_cmd_show_sessions, tt_cmd_show_channels, tt_cmd_show_channels_w, tt_cmd_show_tasks,
	tt_cmd_show_tasks_summary, tt_cmd_show_timeline, tt_cmd_show_timeline_n;
extern cmdline_parse_inst_t tt_cmd_set_interval, tt_cmd_set_interval_w, tt_cmd_set_mult,
	tt_cmd_set_mult_w;
extern cmdline_parse_inst_t tt_cmd_fault_cut, tt_cmd_fault_cut_admin, tt_cmd_fault_drop_chan,
	tt_cmd_fault_drop_hb, tt_cmd_fault_delay_chan, tt_cmd_fault_delay_chan_j,
	tt_cmd_fault_delay_hb, tt_cmd_fault_delay_hb_j, tt_cmd_fault_clear, tt_cmd_fault_pause,
	tt_cmd_fault_dup_chan, tt_cmd_fault_dup_hb, tt_cmd_fault_reorder_chan,
	tt_cmd_fault_reorder_chan_h, tt_cmd_fault_reorder_hb, tt_cmd_fault_reorder_hb_h;
extern cmdline_parse_inst_t tt_cmd_task_submit, tt_cmd_task_submit_spin, tt_cmd_task_load,
	tt_cmd_task_load_spin, tt_cmd_task_load_stop;

#endif /* TT_CMD_H */
