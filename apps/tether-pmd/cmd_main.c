/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command context, help, the --cmdfile runner and the prompt loop.
 *
 * The prompt reads stdin itself (poll with a timeout, then cmdline_in) rather
 * than in cmdline_interact(), so that the control module keeps housekeeping
 * while nobody types and a signal ends the loop at once. The --cmdfile
 * runner hands each line to cmdline_parse() itself rather than through
 * cmdline_file_new(), whose output stream is closed: that way each command
 * is echoed, and a line that is not a command is reported with its line
 * number and counted.
 */
#include "cmd.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_socket.h>

/* How often the prompt loop housekeeps while waiting for input. */
#define POLL_MS 5

static struct tt_ctl *cur_ctl;

struct tt_ctl *tt_cmd_ctl(void)
{
	return cur_ctl;
}

FILE *tt_cmd_out(void)
{
	return stdout;
}

cmdline_parse_ctx_t tt_cmd_ctx[] = {
	&tt_cmd_run_start,
	&tt_cmd_run_stop,
	&tt_cmd_run_quit,
	&tt_cmd_show_port_all,
	&tt_cmd_show_port_n,
	&tt_cmd_show_workers,
	&tt_cmd_show_sessions,
	&tt_cmd_show_channels,
	&tt_cmd_show_channels_w,
	&tt_cmd_show_tasks,
	&tt_cmd_show_tasks_summary,
	&tt_cmd_show_timeline,
	&tt_cmd_show_timeline_n,
	&tt_cmd_set_interval,
	&tt_cmd_set_interval_w,
	&tt_cmd_set_mult,
	&tt_cmd_set_mult_w,
	&tt_cmd_fault_cut,
	&tt_cmd_fault_cut_admin,
	&tt_cmd_fault_drop_chan,
	&tt_cmd_fault_drop_hb,
	&tt_cmd_fault_dup_chan,
	&tt_cmd_fault_dup_hb,
	&tt_cmd_fault_reorder_chan,
	&tt_cmd_fault_reorder_chan_h,
	&tt_cmd_fault_reorder_hb,
	&tt_cmd_fault_reorder_hb_h,
	&tt_cmd_fault_delay_chan,
	&tt_cmd_fault_delay_chan_j,
	&tt_cmd_fault_delay_hb,
	&tt_cmd_fault_delay_hb_j,
	&tt_cmd_fault_clear,
	&tt_cmd_fault_pause,
	&tt_cmd_task_submit,
	&tt_cmd_task_submit_spin,
	&tt_cmd_task_load,
	&tt_cmd_task_load_spin,
	&tt_cmd_task_load_stop,
	&tt_cmd_run_sleep,
	&tt_cmd_run_wait_event,
	&tt_cmd_run_wait_event_w,
	&tt_cmd_run_wait_live,
	&tt_cmd_run_help,
	&tt_cmd_run_help_topic,
	NULL,
};

void tt_cmd_fail(const char *fmt, ...)
{
	FILE *out = tt_cmd_out();
	va_list ap;

	fputs("error: ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
	if (cur_ctl != NULL)
		tt_ctl_count_failure(cur_ctl);
}

int tt_cmd_parse_percent(const char *s, unsigned int max, uint32_t *scaled)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v))
		return -EINVAL;
	if (*end == '%')
		end++;
	if (*end != '\0' || v < 0 || v > max)
		return -EINVAL;
	*scaled = (uint32_t)lround(v * 1e4);
	return 0;
}

/* The usage lines of the commands that start with the line's first word. */
static void usage_of(const char *line, FILE *out)
{
	size_t n = strcspn(line, " \t");
	unsigned int i;
	bool any = false;

	for (i = 0; tt_cmd_ctx[i] != NULL; i++) {
		const char *h = tt_cmd_ctx[i]->help_str;

		if (strncmp(h, line, n) != 0 || (h[n] != ' ' && h[n] != ':'))
			continue;
		if (!any)
			fputs("  usage:\n", out);
		fprintf(out, "    %s\n", h);
		any = true;
	}
	if (!any)
		fputs("  type 'help' for the commands\n", out);
}

int tt_cmd_run_file(struct tt_ctl *ctl, const char *path, FILE *out)
{
	struct cmdline *cl;
	char cmd[1024];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	unsigned int bad = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		int e = errno;

		fprintf(out, "error: --cmdfile %s: %s\n", path, strerror(e));
		fflush(out);
		return -e;
	}
	cur_ctl = ctl;
	/* No output stream: the handlers print on out themselves; the prompt is echoed here. */
	cl = cmdline_new(tt_cmd_ctx, TT_CMD_PROMPT, -1, -1);
	if (cl == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	while (!tt_ctl_quit_requested(ctl) && (len = getline(&line, &cap, f)) >= 0) {
		const char *p = line;
		int ret;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		fprintf(out, "%s%s\n", TT_CMD_PROMPT, p);
		fflush(out);
		/* cmdline_parse() wants the end of line in the buffer. */
		if ((size_t)snprintf(cmd, sizeof(cmd), "%s\n", p) >= sizeof(cmd)) {
			bad++;
			fprintf(out, "error: %s:%u: line longer than %zu characters\n", path,
				lineno, sizeof(cmd) - 2);
			continue;
		}
		ret = cmdline_parse(cl, cmd);
		if (ret >= 0)
			continue;
		bad++;
		fprintf(out, "error: %s:%u: %s: '%s'\n", path, lineno,
			ret == CMDLINE_PARSE_AMBIGUOUS ? "ambiguous command"
			: ret == CMDLINE_PARSE_NOMATCH ? "unknown command"
						       : "bad arguments",
			p);
		usage_of(p, out);
		fflush(out);
	}
	if (ferror(f)) {
		bad++;
		fprintf(out, "error: --cmdfile %s: cannot read after line %u\n", path, lineno);
		fflush(out);
	}
	free(line);
	cmdline_free(cl);
	fclose(f);
	return bad > 0 ? -EINVAL : 0;
}

void tt_cmd_interact(struct tt_ctl *ctl)
{
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	struct cmdline *cl;
	char buf[256];

	cur_ctl = ctl;
	cl = cmdline_stdin_new(tt_cmd_ctx, TT_CMD_PROMPT);
	if (cl == NULL)
		return;
	while (!tt_ctl_quit_requested(ctl)) {
		int r = poll(&pfd, 1, POLL_MS);

		if (r > 0) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			/* End of input, or the line that quit (cmdline_in < 0). */
			if (n <= 0 || cmdline_in(cl, buf, (int)n) < 0)
				break;
		} else if (r < 0 && errno != EINTR) {
			break;
		}
		tt_ctl_housekeeping(ctl);
	}
	fputc('\n', stdout);
	fflush(stdout);
	cmdline_stdin_exit(cl);
}

void tt_cmd_idle(struct tt_ctl *ctl)
{
	cur_ctl = ctl;
	while (!tt_ctl_quit_requested(ctl)) {
		tt_ctl_housekeeping(ctl);
		poll(NULL, 0, POLL_MS);
	}
}
