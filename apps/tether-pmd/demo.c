/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded demo: a scripted scenario on the control module's verbs, then
 * a readable timeline and the invariants checked from the timeline mirror
 * and the task accounting (see demo.h).
 */
#include "demo.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "app_log.h"
#include "bfd_wire.h"
#include "exit_codes.h"

#define LIVE_TIMEOUT_MS	  5000
#define STEP_TIMEOUT_MS	  3000
#define REJOIN_TIMEOUT_MS 5000
#define DRAIN_TIMEOUT_MS  5000
#define LOAD_RATE	  500	/* tasks per second */
#define LOAD_SIZE	  64	/* payload bytes */
#define LOAD_SPIN_US	  20000 /* each task keeps its worker busy this long */
#define LOAD_WARMUP_MS	  300	/* load before the cut */
#define MAX_EVENTS	  8192
#define MAX_FAILS	  16

/* Verb output goes to a memory stream, shown only when the verb failed. */
struct quiet {
	char *buf;
	size_t len;
	FILE *f;
};

struct demo {
	struct tt_ctl *ctl;
	FILE *out;
	struct quiet q;
	uint64_t start_cycles;
	uint32_t victim;
	uint16_t chan;
	tt_ns_t cut_ns;
	tt_ns_t restore_ns;
	uint32_t n_fail;
	const char *fail[MAX_FAILS];
};

/* What the timeline shows, as found in the mirror (0: not seen). */
struct steps {
	tt_ns_t chan_down[TT_HB_ROLE_COUNT];
	uint32_t down_reason[TT_HB_ROLE_COUNT];
	tt_ns_t silenced[TT_HB_ROLE_COUNT];
	tt_ns_t fence;
	tt_ns_t dead;
	uint32_t taken_back;
	tt_ns_t resched;
	uint32_t n_resched;
	uint32_t resched_epoch_min;
	uint32_t resched_epoch_max;
	tt_ns_t rejoin[TT_HB_ROLE_COUNT];
	uint32_t old_epoch;
	uint32_t new_epoch;
	tt_ns_t live_again;
	uint32_t others_failed;
};

static double ms_since(const struct demo *d)
{
	return (double)(rte_get_timer_cycles() - d->start_cycles) * 1e3 /
	       (double)rte_get_timer_hz();
}

static void fail(struct demo *d, const char *what)
{
	if (d->n_fail < MAX_FAILS)
		d->fail[d->n_fail++] = what;
}

/* Show a failed verb's own message. */
static int verb(struct demo *d, int ret)
{
	fflush(d->q.f);
	if (ret < 0 && d->q.len > 0)
		fprintf(d->out, "  %.*s", (int)d->q.len, d->q.buf);
	rewind(d->q.f);
	d->q.len = 0;
	return ret;
}

/* Earliest event of a kind for a worker, by role (UINT32_MAX: any worker), from the list. */
static void scan(const struct tt_ctl_event *ev, uint32_t n, const struct demo *d, struct steps *s)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->resched_epoch_min = UINT32_MAX;
	for (i = 0; i < n; i++) {
		const struct tt_fence_event *e = &ev[i].ev;
		unsigned int role = e->role < TT_HB_ROLE_COUNT ? e->role : 0;

		if (e->worker != d->victim) {
			if (e->kind == TT_FENCE_EV_FENCE || e->kind == TT_FENCE_EV_WORKER_DEAD)
				s->others_failed++;
			continue;
		}
		switch (e->kind) {
		case TT_FENCE_EV_CHAN_DOWN:
			if (s->chan_down[role] == 0) {
				s->chan_down[role] = e->time_ns;
				s->down_reason[role] = e->aux;
			}
			break;
		case TT_FENCE_EV_HB_SILENCED:
			if (s->silenced[role] == 0)
				s->silenced[role] = e->time_ns;
			break;
		case TT_FENCE_EV_FENCE:
			if (s->fence == 0)
				s->fence = e->time_ns;
			break;
		case TT_FENCE_EV_WORKER_DEAD:
			if (s->dead == 0) {
				s->dead = e->time_ns;
				s->taken_back = e->aux;
			}
			break;
		case TT_FENCE_EV_RESCHEDULE:
			if (s->resched == 0)
				s->resched = e->time_ns;
			s->n_resched++;
			if (e->epoch < s->resched_epoch_min)
				s->resched_epoch_min = e->epoch;
			if (e->epoch > s->resched_epoch_max)
				s->resched_epoch_max = e->epoch;
			break;
		case TT_FENCE_EV_REJOIN:
			if (s->rejoin[role] == 0) {
				s->rejoin[role] = e->time_ns;
				if (role == TT_HB_ROLE_WORKER) {
					s->old_epoch = e->aux;
					s->new_epoch = e->epoch;
				}
			}
			break;
		case TT_FENCE_EV_LIVE:
			if (role == TT_HB_ROLE_WORKER && s->rejoin[TT_HB_ROLE_WORKER] != 0 &&
			    s->live_again == 0)
				s->live_again = e->time_ns;
			break;
		default:
			break;
		}
	}
}

static void line(const struct demo *d, tt_ns_t t, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void line(const struct demo *d, tt_ns_t t, const char *node, const char *fmt, ...)
{
	va_list ap;

	fprintf(d->out, "  %+12.1f us  %-9s ", (double)tt_time_diff(t, d->cut_ns) / 1e3, node);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

/*
 * The timeline since the cut: state changes of every node, the operator's
 * cut and restore in their place, per-task events folded into one line per
 * burst (a reschedule moves every task of the dead worker at once).
 */
static void print_timeline(const struct demo *d, const struct tt_ctl_event *ev, uint32_t n)
{
	uint32_t last_diag[TT_RT_MAX_EPS] = {0}; /* each endpoint's last heartbeat-down diag */
	bool cut_shown = false;
	bool restore_shown = d->restore_ns == 0;
	uint32_t i = 0;

	fprintf(d->out, "\nTimeline (us since the cut):\n");
	while (i < n) {
		const struct tt_fence_event *e = &ev[i].ev;
		const char *node = tt_ctl_ep_name(d->ctl, ev[i].ep);
		char text[160];

		if (!cut_shown && !tt_time_before(e->time_ns, d->cut_ns)) {
			line(d, d->cut_ns, "operator",
			     "worker %" PRIu32 " channel %u CUT: the fault shim drops its packets, "
			     "both ways",
			     d->victim, d->chan);
			cut_shown = true;
		}
		if (!restore_shown && !tt_time_before(e->time_ns, d->restore_ns)) {
			line(d, d->restore_ns, "operator",
			     "worker %" PRIu32 " channel %u restored (the link is back)", d->victim,
			     d->chan);
			restore_shown = true;
		}
		if (e->kind == TT_FENCE_EV_RESCHEDULE || e->kind == TT_FENCE_EV_RESULT_STALE) {
			uint32_t j = i;
			uint32_t lo = UINT32_MAX;
			uint32_t hi = 0;

			while (j < n && ev[j].ev.kind == e->kind && ev[j].ev.worker == e->worker &&
			       ev[j].ep == ev[i].ep) {
				lo = ev[j].ev.epoch < lo ? ev[j].ev.epoch : lo;
				hi = ev[j].ev.epoch > hi ? ev[j].ev.epoch : hi;
				j++;
			}
			if (e->kind == TT_FENCE_EV_RESCHEDULE)
				line(d, e->time_ns, node,
				     "worker %" PRIu32 ": %" PRIu32 " task(s) RESCHEDULED on live "
				     "workers, new task epoch %" PRIu32 "%s",
				     e->worker, j - i, hi, lo != hi ? " (and lower)" : "");
			else
				line(d, e->time_ns, node,
				     "worker %" PRIu32 ": %" PRIu32
				     " stale RESULT(s) rejected (%s)",
				     e->worker, j - i, tt_sched_verdict_name(e->aux));
			i = j;
			continue;
		}
		if (e->kind == TT_FENCE_EV_HB_DOWN && ev[i].ep < TT_RT_MAX_EPS)
			last_diag[ev[i].ep] = e->aux;
		if (!tt_alog_event_is_task(e)) {
			tt_alog_event_text(e, text, sizeof(text));
			/* A fence after the session's own detection time ran out is the T2 path. */
			line(d, e->time_ns, node, "worker %" PRIu32 ": %s%s", e->worker, text,
			     e->kind == TT_FENCE_EV_FENCE && ev[i].ep < TT_RT_MAX_EPS &&
					     last_diag[ev[i].ep] == TT_BFD_DIAG_CTRL_EXPIRED
				     ? " (T2)"
				     : "");
		}
		i++;
	}
	if (!restore_shown)
		line(d, d->restore_ns, "operator", "worker %" PRIu32 " channel %u restored",
		     d->victim, d->chan);
}

static double us_after(tt_ns_t t, tt_ns_t cut)
{
	return t != 0 ? (double)tt_time_diff(t, cut) / 1e3 : -1.0;
}

static void check(struct demo *d, const struct steps *s, const struct tt_ctl_task_summary *ts)
{
	uint64_t lost = ts->submitted - ts->committed_once - ts->cancelled - ts->duplicates;

	if (s->chan_down[TT_HB_ROLE_MASTER] == 0 && s->chan_down[TT_HB_ROLE_WORKER] == 0)
		fail(d, "the cut channel never went DOWN");
	if (s->silenced[TT_HB_ROLE_MASTER] == 0 && s->silenced[TT_HB_ROLE_WORKER] == 0)
		fail(d, "the heartbeat was never silenced");
	if (s->fence == 0)
		fail(d, "the worker never fenced itself (T2)");
	if (s->dead == 0)
		fail(d, "the master never declared the worker dead (T1)");
	if (s->fence != 0 && s->dead != 0 && !tt_time_before(s->fence, s->dead))
		fail(d, "the master rescheduled before the worker fenced (T1 before T2)");
	if (s->n_resched != s->taken_back)
		fail(d, "not every task taken back was rescheduled");
	if (s->rejoin[TT_HB_ROLE_WORKER] == 0 || s->new_epoch <= s->old_epoch)
		fail(d, "the worker did not re-join under a newer epoch");
	if (s->live_again == 0)
		fail(d, "the worker did not come back live");
	if (s->others_failed > 0)
		fail(d, "another worker fenced or was declared dead (a false positive)");
	if (ts->duplicates > 0 || ts->commit_unknown > 0)
		fail(d, "a task was committed more than once");
	if (lost > 0 || ts->in_flight > 0 || ts->abandoned > 0)
		fail(d, "a task was lost (submitted, never committed)");
	if (!ts->log_complete)
		fail(d, "the scheduler log overflowed: exactly-once not fully checked");
	if (ts->submitted == 0)
		fail(d, "no task ran");
}

static void print_summary(struct demo *d, const struct steps *s,
			  const struct tt_ctl_task_summary *ts)
{
	uint64_t lost = ts->submitted - ts->committed_once - ts->cancelled - ts->duplicates;

	fprintf(d->out, "\nSummary:\n");
	fprintf(d->out,
		"  tasks submitted %" PRIu64 ", committed exactly once %" PRIu64
		", duplicates %" PRIu64 ", lost %" PRIu64 "\n",
		ts->submitted, ts->committed_once, ts->duplicates, lost);
	fprintf(d->out,
		"  rescheduled %" PRIu64 " (new epoch %" PRIu32 "), stale results rejected %" PRIu64
		", aborted by the fence %" PRIu64 "\n",
		ts->rescheduled, s->n_resched > 0 ? s->resched_epoch_max : 0, ts->stale,
		ts->run_fence_aborted);
	fprintf(d->out, "  worker %" PRIu32 " re-joined: epoch %" PRIu32 " -> %" PRIu32 "\n",
		d->victim, s->old_epoch, s->new_epoch);
	fprintf(d->out, "  cut->silence    %9.1f us at the master, %.1f us at the worker\n",
		us_after(s->silenced[TT_HB_ROLE_MASTER], d->cut_ns),
		us_after(s->silenced[TT_HB_ROLE_WORKER], d->cut_ns));
	fprintf(d->out, "  cut->fence      %9.1f us (T2 path: the worker stops)\n",
		us_after(s->fence, d->cut_ns));
	fprintf(d->out,
		"  cut->reschedule %9.1f us (T1 path: the master moves its tasks, %.1f us after "
		"the fence)\n",
		us_after(s->resched != 0 ? s->resched : s->dead, d->cut_ns),
		s->fence != 0 && s->dead != 0 ? (double)tt_time_diff(s->dead, s->fence) / 1e3
					      : -1.0);
}

static int run(struct demo *d)
{
	struct tt_topo *t = tt_ctl_topo(d->ctl);
	const struct tt_app_config *cfg = t->cfg;
	const struct tt_hb_policy_times *p = &cfg->policy;
	struct tt_ctl_task_summary ts;
	struct tt_ctl_event *ev;
	struct steps s;
	uint64_t mark;
	uint64_t next;
	uint32_t n;
	uint32_t i;

	fprintf(d->out,
		"tether demo: 1 master + %" PRIu32 " workers x %u data channels over crossed ring "
		"port pairs, polling lcore %u\n",
		cfg->n_workers, cfg->chan.count, cfg->lcores.hb_lcore);
	fprintf(d->out,
		"heartbeat every %.1f ms: a worker fences itself after T2 = %.1f ms of silence,\n"
		"the master reschedules after T1 = %.1f ms > T2 + I + d_max + g = %.1f ms\n",
		(double)p->interval_ns / 1e6, (double)p->t2_ns / 1e6, (double)p->t1_ns / 1e6,
		(double)p->bound_ns / 1e6);

	if (verb(d, tt_ctl_wait_live(d->ctl, LIVE_TIMEOUT_MS, d->q.f)) < 0)
		return TT_EXIT_RUNTIME;
	fprintf(d->out,
		"[%7.1f ms] every worker live: %" PRIu32 " heartbeats Up, %" PRIu32
		" channels up\n",
		ms_since(d), cfg->n_workers, cfg->n_workers * cfg->chan.count);
	if (verb(d, tt_ctl_load_start(d->ctl, LOAD_RATE, "spin", LOAD_SIZE, LOAD_SPIN_US, d->q.f)) <
		    0 ||
	    verb(d, tt_ctl_sleep(d->ctl, LOAD_WARMUP_MS, d->q.f)) < 0)
		return TT_EXIT_RUNTIME;
	tt_ctl_task_summary(d->ctl, &ts);
	fprintf(d->out,
		"[%7.1f ms] task load: %d tasks/s of 'spin' (%d ms each), %" PRIu64
		" submitted, %" PRIu64 " committed so far\n",
		ms_since(d), LOAD_RATE, LOAD_SPIN_US / 1000, ts.submitted, ts.committed_once);

	tt_ctl_wait_mark(d->ctl);
	mark = tt_ctl_events_end(d->ctl);
	if (verb(d, tt_ctl_fault_cut(d->ctl, d->victim, d->chan, false, false, d->q.f)) < 0)
		return TT_EXIT_RUNTIME;
	d->cut_ns = tt_ctl_last_fault_ns(d->ctl);
	fprintf(d->out, "[%7.1f ms] cut worker %" PRIu32 " channel %u (load continues)\n",
		ms_since(d), d->victim, d->chan);

	/* Each wait looks from the cut on, so that the order is judged from the times. */
	verb(d, tt_ctl_wait_event(d->ctl, "fence", d->victim, STEP_TIMEOUT_MS, d->q.f));
	tt_ctl_wait_mark(d->ctl);
	verb(d, tt_ctl_wait_event(d->ctl, "worker-dead", d->victim, STEP_TIMEOUT_MS, d->q.f));
	if (verb(d, tt_ctl_fault_cut(d->ctl, d->victim, d->chan, true, false, d->q.f)) < 0)
		return TT_EXIT_RUNTIME;
	d->restore_ns = tt_ctl_last_fault_ns(d->ctl);
	tt_ctl_wait_mark(d->ctl);
	verb(d, tt_ctl_wait_event(d->ctl, "live", d->victim, REJOIN_TIMEOUT_MS, d->q.f));
	fprintf(d->out, "[%7.1f ms] worker %" PRIu32 " live again; stopping the load\n",
		ms_since(d), d->victim);
	verb(d, tt_ctl_load_stop(d->ctl, d->q.f));
	verb(d, tt_ctl_wait_tasks(d->ctl, DRAIN_TIMEOUT_MS, d->q.f));
	if (tt_ctl_quit_requested(d->ctl)) {
		fprintf(d->out, "interrupted\n");
		return TT_EXIT_RUNTIME;
	}
	tt_ctl_task_summary(d->ctl, &ts);

	ev = calloc(MAX_EVENTS, sizeof(*ev));
	if (ev == NULL)
		return TT_EXIT_RUNTIME;
	n = tt_ctl_events(d->ctl, mark, ev, MAX_EVENTS, &next);
	scan(ev, n, d, &s);
	print_timeline(d, ev, n);
	free(ev);
	print_summary(d, &s, &ts);
	check(d, &s, &ts);
	if (d->n_fail == 0) {
		fprintf(d->out, "\nresult: every invariant held (%.1f s)\n", ms_since(d) / 1e3);
		return TT_EXIT_OK;
	}
	fprintf(d->out, "\nresult: %" PRIu32 " invariant(s) BROKEN:\n", d->n_fail);
	for (i = 0; i < d->n_fail; i++)
		fprintf(d->out, "  - %s\n", d->fail[i]);
	return TT_EXIT_INVARIANT;
}

int tt_demo_run(struct tt_ctl *ctl, FILE *out)
{
	struct tt_topo *t = tt_ctl_topo(ctl);
	struct demo d = {.ctl = ctl, .out = out, .start_cycles = rte_get_timer_cycles()};
	uint32_t vi = t->cfg->n_workers > TT_DEMO_VICTIM_INDEX ? TT_DEMO_VICTIM_INDEX : 0;
	int ret;

	d.victim = t->cfg->workers[vi].worker_id;
	d.chan = t->cfg->chan.count > TT_DEMO_VICTIM_CHAN ? TT_DEMO_VICTIM_CHAN : 0;
	d.q.f = open_memstream(&d.q.buf, &d.q.len);
	if (d.q.f == NULL)
		return TT_EXIT_RUNTIME;
	ret = run(&d);
	fflush(out);
	fclose(d.q.f);
	free(d.q.buf);
	return ret;
}
