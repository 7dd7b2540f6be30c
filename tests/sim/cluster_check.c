/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cluster checker (cluster.h, tt_cluster_check()): reads a run's record
 * and reports what breaks the seed's promises.
 *
 * From the worker histories it builds incarnations (a process start or a
 * re-join, to a fence or a crash), task holds (TASK_START to the RESULT, the
 * incarnation's fence, an aborting CANCEL, a newer epoch of the task, or a
 * crash) and pauses. From the scheduler log it follows each task's current
 * assignment. Then:
 *  - a commit must be the task's first, come from its current (worker,
 *    epoch), and match a RESULT that worker sent;
 *  - a reschedule (and any WORKER_DEAD on the master's timeline) must come
 *    strictly after the owner incarnation ended, unless the owner was paused
 *    at that instant (a stopped process does nothing; what it does on waking
 *    is checked as holds);
 *  - two workers' holds of one task, minus their pauses, must not overlap,
 *    and no worker may send a RESULT strictly inside another's hold;
 *  - every submitted task ends committed or cancelled;
 *  - nothing was dropped from the log or the timelines, and the master's
 *    timeline agrees with the log.
 */
#include "cluster.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task_msg.h"

static void *grow(void *arr, uint32_t *cap, size_t elem)
{
	uint32_t ncap = *cap ? *cap * 2 : 256;
	void *p = realloc(arr, (size_t)ncap * elem);

	if (p == NULL) {
		fprintf(stderr, "cluster checker: out of memory\n");
		abort();
	}
	*cap = ncap;
	return p;
}

enum end_kind { END_OPEN, END_RESULT, END_FENCE, END_CANCEL, END_SUPERSEDED, END_CRASH };

struct inc {
	uint32_t worker;
	uint32_t epoch;
	tt_ns_t start;
	tt_ns_t end;
	uint8_t end_kind; /* END_OPEN, END_FENCE or END_CRASH */
};

struct hold {
	uint64_t task;
	uint32_t worker;
	uint32_t inc;
	uint32_t tepoch;
	tt_ns_t start;
	tt_ns_t end;
	uint8_t end_kind;
};

struct pause {
	uint32_t worker;
	tt_ns_t start;
	tt_ns_t end;
};

struct chk {
	const struct tt_cluster_record *rec;
	struct tt_cluster_result *r;
	struct inc *inc;
	uint32_t n_inc, cap_inc;
	struct hold *hold;
	uint32_t n_hold, cap_hold;
	struct pause *pause;
	uint32_t n_pause, cap_pause;
};

__attribute__((format(printf, 3, 4))) static void
violation(struct chk *k, enum tt_cluster_violation v, const char *fmt, ...);

static void violation(struct chk *k, enum tt_cluster_violation v, const char *fmt, ...)
{
	va_list ap;

	k->r->violations[v]++;
	if (!k->r->ok)
		return;
	k->r->ok = false;
	va_start(ap, fmt);
	vsnprintf(k->r->why, sizeof(k->r->why), fmt, ap);
	va_end(ap);
}

#define PUSH(k, arr, n, cap, val)                                                                  \
	do {                                                                                       \
		if ((k)->n == (k)->cap)                                                            \
			(k)->arr = grow((k)->arr, &(k)->cap, sizeof(*(k)->arr));                   \
		(k)->arr[(k)->n++] = (val);                                                        \
	} while (0)

static void close_holds(struct chk *k, uint32_t w, tt_ns_t t, enum end_kind why)
{
	for (uint32_t i = 0; i < k->n_hold; i++) {
		struct hold *h = &k->hold[i];

		if (h->worker == w && h->end_kind == END_OPEN) {
			h->end = t;
			h->end_kind = (uint8_t)why;
		}
	}
}

static void close_inc(struct chk *k, uint32_t w, uint32_t epoch, tt_ns_t t, enum end_kind why)
{
	for (uint32_t i = k->n_inc; i-- > 0;) {
		struct inc *in = &k->inc[i];

		if (in->worker == w && in->end_kind == END_OPEN &&
		    (epoch == 0 || in->epoch == epoch)) {
			in->end = t;
			in->end_kind = (uint8_t)why;
		}
	}
}

static struct hold *open_hold(struct chk *k, uint32_t w, uint64_t task, uint32_t tepoch)
{
	for (uint32_t i = k->n_hold; i-- > 0;) {
		struct hold *h = &k->hold[i];

		if (h->worker == w && h->task == task && h->end_kind == END_OPEN &&
		    (tepoch == 0 || h->tepoch == tepoch))
			return h;
	}
	return NULL;
}

/*
 * Walk the worker histories: incarnations (from a process start or a re-join
 * to a fence or a crash), task holds (TASK_START to its RESULT, the
 * incarnation's fence, an aborting CANCEL, a newer epoch of the same task,
 * or a crash), and pauses (to the resume, or to the crash of the stopped
 * process).
 */
static void build_histories(struct chk *k)
{
	const struct tt_cluster_record *rec = k->rec;
	uint32_t nw = rec->n_workers;
	uint32_t *cur = calloc(nw ? nw : 1, sizeof(*cur));
	tt_ns_t *pause_at = calloc(nw ? nw : 1, sizeof(*pause_at));
	bool *paused = calloc(nw ? nw : 1, sizeof(*paused));

	if (cur == NULL || pause_at == NULL || paused == NULL)
		abort();
	for (uint32_t i = 0; i < rec->n_wrec; i++) {
		const struct tt_cluster_wrec *e = &rec->wrec[i];
		uint32_t w = e->worker;
		struct hold *h;

		if (w >= nw) {
			violation(k, TT_CLUSTER_V_PLUMBING, "history of worker %u of %u", w, nw);
			continue;
		}
		switch (e->kind) {
		case TT_CLUSTER_H_START:
		case TT_FENCE_EV_REJOIN:
			cur[w] = e->epoch;
			PUSH(k, inc, n_inc, cap_inc,
			     ((struct inc){w, e->epoch, e->time_ns, 0, END_OPEN}));
			break;
		case TT_FENCE_EV_FENCE:
			close_holds(k, w, e->time_ns, END_FENCE);
			close_inc(k, w, e->epoch, e->time_ns, END_FENCE);
			break;
		case TT_FENCE_EV_EXIT:
			cur[w] = 0;
			break;
		case TT_CLUSTER_H_CRASH:
			close_holds(k, w, e->time_ns, END_CRASH);
			close_inc(k, w, 0, e->time_ns, END_CRASH);
			cur[w] = 0;
			if (paused[w]) {
				paused[w] = false;
				PUSH(k, pause, n_pause, cap_pause,
				     ((struct pause){w, pause_at[w], e->time_ns}));
			}
			break;
		case TT_CLUSTER_H_PAUSE:
			paused[w] = true;
			pause_at[w] = e->time_ns;
			break;
		case TT_CLUSTER_H_RESUME:
			if (paused[w])
				PUSH(k, pause, n_pause, cap_pause,
				     ((struct pause){w, pause_at[w], e->time_ns}));
			paused[w] = false;
			break;
		case TT_FENCE_EV_TASK_START:
			/* A newer epoch of a held task replaces it (runner.h). */
			h = open_hold(k, w, e->val, 0);
			if (h != NULL) {
				h->end = e->time_ns;
				h->end_kind = END_SUPERSEDED;
			}
			PUSH(k, hold, n_hold, cap_hold,
			     ((struct hold){e->val, w, cur[w], e->epoch, e->time_ns, 0, END_OPEN}));
			break;
		case TT_FENCE_EV_TASK_RESULT:
			h = open_hold(k, w, e->val, e->epoch);
			if (h != NULL) {
				h->end = e->time_ns;
				h->end_kind = END_RESULT;
			} else if (e->aux == TT_TMSG_ST_OK) {
				violation(k, TT_CLUSTER_V_PLUMBING,
					  "worker %u sent RESULT ok of task %" PRIu64
					  " epoch %u at %" PRIu64 " ns without running it",
					  w, e->val, e->epoch, e->time_ns);
			}
			break;
		case TT_FENCE_EV_CANCEL_RX:
			if (e->aux == TT_TMSG_CANCEL_ABORTED) {
				h = open_hold(k, w, e->val, e->epoch);
				if (h != NULL) {
					h->end = e->time_ns;
					h->end_kind = END_CANCEL;
				}
			}
			break;
		default:
			break;
		}
	}
	for (uint32_t w = 0; w < nw; w++)
		if (paused[w])
			PUSH(k, pause, n_pause, cap_pause,
			     ((struct pause){w, pause_at[w], rec->end_ns}));
	for (uint32_t i = 0; i < k->n_hold; i++)
		if (k->hold[i].end_kind == END_OPEN)
			k->hold[i].end = rec->end_ns;
	for (uint32_t i = 0; i < k->n_inc; i++)
		if (k->inc[i].end_kind == END_OPEN)
			k->inc[i].end = rec->end_ns;
	free(cur);
	free(pause_at);
	free(paused);
}

static bool paused_at(const struct chk *k, uint32_t w, tt_ns_t t)
{
	for (uint32_t i = 0; i < k->n_pause; i++) {
		const struct pause *p = &k->pause[i];

		if (p->worker == w && !tt_time_before(t, p->start) && tt_time_before(t, p->end))
			return true;
	}
	return false;
}

/*
 * The incarnation (w, epoch) must have ended (fenced, crashed) strictly
 * before t, or be paused at t: a stopped process does nothing, and what it
 * does when it wakes is the epochs' business (and checked as holds).
 * Returns 0 (ended), 1 (paused) or -1 (violation; *end set).
 */
static int ended_before(const struct chk *k, uint32_t w, uint32_t epoch, tt_ns_t t,
			const struct inc **found)
{
	*found = NULL;
	for (uint32_t i = k->n_inc; i-- > 0;) {
		const struct inc *in = &k->inc[i];

		if (in->worker != w || in->epoch != epoch)
			continue;
		*found = in;
		if (in->end_kind != END_OPEN && tt_time_before(in->end, t))
			return 0;
		break;
	}
	return paused_at(k, w, t) ? 1 : -1;
}

static const char *end_name(unsigned int e)
{
	static const char *const n[] = {"still open", "result",	    "fence",
					"cancel",     "superseded", "crash"};

	return e < 6 ? n[e] : "?";
}

struct seg {
	tt_ns_t s;
	tt_ns_t e;
};

/* A hold minus its worker's pauses: the stretches in which the worker was running it. */
static uint32_t live_segments(const struct chk *k, const struct hold *h, struct seg *out,
			      uint32_t cap)
{
	uint32_t n = 0;
	tt_ns_t s = h->start;

	for (uint32_t i = 0; i < k->n_pause; i++) {
		const struct pause *p = &k->pause[i];

		if (p->worker != h->worker || !tt_time_before(p->start, h->end) ||
		    tt_time_before(p->end, s))
			continue;
		if (tt_time_before(s, p->start) && n < cap)
			out[n++] = (struct seg){s, p->start};
		if (tt_time_after(p->end, s))
			s = p->end;
	}
	/* Possibly a point (the hold ended at the resume): it matters only for a RESULT. */
	if (!tt_time_after(s, h->end) && n < cap)
		out[n++] = (struct seg){s, h->end};
	return n;
}

static bool inside(tt_ns_t t, const struct seg *g)
{
	return tt_time_after(t, g->s) && tt_time_before(t, g->e);
}

/*
 * Do two holds of one task by different workers conflict? Stretches of
 * positive length overlap; or one worker sends the RESULT at an instant
 * strictly inside the other's stretch (a point: a paused worker that wakes
 * and sends before it fences).
 */
static bool holds_conflict(const struct chk *k, const struct hold *a, const struct hold *b,
			   tt_ns_t *at)
{
	struct seg sa[32], sb[32];
	uint32_t na = live_segments(k, a, sa, 32), nb = live_segments(k, b, sb, 32);

	for (uint32_t i = 0; i < na; i++)
		for (uint32_t j = 0; j < nb; j++) {
			tt_ns_t lo = tt_time_after(sa[i].s, sb[j].s) ? sa[i].s : sb[j].s;
			tt_ns_t hi = tt_time_before(sa[i].e, sb[j].e) ? sa[i].e : sb[j].e;

			if (tt_time_before(lo, hi)) {
				*at = lo;
				return true;
			}
		}
	if (a->end_kind == END_RESULT && na > 0)
		for (uint32_t j = 0; j < nb; j++)
			if (inside(a->end, &sb[j])) {
				*at = a->end;
				return true;
			}
	if (b->end_kind == END_RESULT && nb > 0)
		for (uint32_t i = 0; i < na; i++)
			if (inside(b->end, &sa[i])) {
				*at = b->end;
				return true;
			}
	return false;
}

static int hold_cmp(const void *x, const void *y)
{
	const struct hold *a = x, *b = y;

	if (a->task != b->task)
		return a->task < b->task ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->worker < b->worker ? -1 : a->worker > b->worker;
}

static void check_holders(struct chk *k)
{
	if (k->n_hold > 1) /* qsort's array may not be NULL, even for 0 elements */
		qsort(k->hold, k->n_hold, sizeof(*k->hold), hold_cmp);
	for (uint32_t i = 0; i < k->n_hold;) {
		uint32_t j = i;

		while (j < k->n_hold && k->hold[j].task == k->hold[i].task)
			j++;
		for (uint32_t a = i; a < j; a++)
			for (uint32_t b = a + 1; b < j; b++) {
				const struct hold *ha = &k->hold[a], *hb = &k->hold[b];
				tt_ns_t at;

				if (ha->worker == hb->worker || !holds_conflict(k, ha, hb, &at))
					continue;
				violation(k, TT_CLUSTER_V_TWO_HOLDERS,
					  "task %" PRIu64 ": worker %u (epoch %u, %" PRIu64
					  "..%" PRIu64 " ns, ended by %s) and worker %u (epoch %u, "
					  "%" PRIu64 "..%" PRIu64 " ns, ended by %s) both held it "
					  "live at %" PRIu64 " ns",
					  ha->task, ha->worker, ha->tepoch, ha->start, ha->end,
					  end_name(ha->end_kind), hb->worker, hb->tepoch, hb->start,
					  hb->end, end_name(hb->end_kind), at);
			}
		i = j;
	}
}

struct task_st {
	bool submitted;
	bool assigned;
	bool cancelled;
	uint32_t commits;
	uint32_t worker; /* index of the current assignment */
	uint32_t epoch;
	uint32_t inc;
};

static bool has_result(const struct chk *k, uint32_t w, uint64_t task, uint32_t tepoch, tt_ns_t t)
{
	for (uint32_t i = 0; i < k->n_hold; i++) {
		const struct hold *h = &k->hold[i];

		if (h->worker == w && h->task == task && h->tepoch == tepoch &&
		    h->end_kind == END_RESULT && !tt_time_after(h->end, t))
			return true;
	}
	return false;
}

static void check_log(struct chk *k)
{
	const struct tt_cluster_record *rec = k->rec;
	uint32_t nw = rec->n_workers;
	uint64_t max_task = 0;
	struct task_st *ts;
	uint32_t *wepoch;
	const struct inc *in;

	for (uint32_t i = 0; i < rec->n_log; i++)
		if (rec->log[i].task_id > max_task)
			max_task = rec->log[i].task_id;
	ts = calloc(max_task + 1, sizeof(*ts));
	wepoch = calloc(nw ? nw : 1, sizeof(*wepoch));
	if (ts == NULL || wepoch == NULL)
		abort();
	for (uint32_t i = 0; i < rec->n_log; i++) {
		const struct tt_sched_event *e = &rec->log[i];
		struct task_st *t = &ts[e->task_id];
		uint32_t w = e->worker - rec->worker_id_base;
		int rc;

		if (e->worker != TT_SCHED_NO_WORKER && w >= nw) {
			violation(k, TT_CLUSTER_V_PLUMBING, "log names worker id %u", e->worker);
			continue;
		}
		switch (e->kind) {
		case TT_SCHED_EV_SUBMIT:
			t->submitted = true;
			break;
		case TT_SCHED_EV_WORKER_UP:
			wepoch[w] = e->epoch;
			break;
		case TT_SCHED_EV_ASSIGN:
			*t = (struct task_st){.submitted = t->submitted,
					      .cancelled = t->cancelled,
					      .commits = t->commits,
					      .assigned = true,
					      .worker = w,
					      .epoch = e->epoch,
					      .inc = wepoch[w]};
			break;
		case TT_SCHED_EV_RESULT_COMMIT:
			if (++t->commits == 2)
				violation(k, TT_CLUSTER_V_DOUBLE_COMMIT,
					  "task %" PRIu64 " committed a second time at %" PRIu64
					  " ns (worker %u epoch %u)",
					  e->task_id, e->time_ns, w, e->epoch);
			if (!t->assigned || t->worker != w || t->epoch != e->epoch)
				violation(k, TT_CLUSTER_V_STALE_COMMIT,
					  "task %" PRIu64 " committed at %" PRIu64
					  " ns from worker %u epoch %u, but its current assignment "
					  "is %s %u epoch %u",
					  e->task_id, e->time_ns, w, e->epoch,
					  t->assigned ? "worker" : "none; last worker", t->worker,
					  t->epoch);
			else if (!has_result(k, w, e->task_id, e->epoch, e->time_ns))
				violation(
					k, TT_CLUSTER_V_STALE_COMMIT,
					"task %" PRIu64 " committed at %" PRIu64
					" ns from worker %u epoch %u, which never sent that result",
					e->task_id, e->time_ns, w, e->epoch);
			t->assigned = false;
			break;
		case TT_SCHED_EV_RESCHEDULE:
			if (!t->assigned || t->worker != w) {
				violation(k, TT_CLUSTER_V_PLUMBING,
					  "task %" PRIu64 " rescheduled from worker %u which "
					  "did not hold it",
					  e->task_id, w);
				break;
			}
			rc = ended_before(k, w, t->inc, e->time_ns, &in);
			if (rc == 1)
				k->r->paused_reschedules++;
			else if (rc < 0)
				violation(
					k, TT_CLUSTER_V_RESCHEDULE_BEFORE_FENCE,
					"task %" PRIu64 " rescheduled at %" PRIu64
					" ns; its owner worker %u (incarnation %u) %s%s at %" PRIu64
					" ns",
					e->task_id, e->time_ns, w, t->inc,
					in == NULL ? "never existed" : "ended by ",
					in == NULL ? "" : end_name(in->end_kind),
					in == NULL ? 0 : in->end);
			t->assigned = false;
			break;
		case TT_SCHED_EV_CANCELLED:
			t->cancelled = true;
			t->assigned = false;
			break;
		default:
			break;
		}
	}
	for (uint64_t id = 1; id <= max_task; id++)
		if (ts[id].submitted && ts[id].commits == 0 && !ts[id].cancelled)
			violation(k, TT_CLUSTER_V_LOST,
				  "task %" PRIu64 " neither committed nor cancelled at %" PRIu64
				  " ns (%s, last worker %u epoch %u)",
				  id, rec->end_ns, ts[id].assigned ? "assigned" : "pending",
				  ts[id].worker, ts[id].epoch);
	free(ts);
	free(wepoch);
}

/* The master's WORKER_DEADs (every incarnation, live or not): after the worker's fence. */
static void check_deaths(struct chk *k)
{
	const struct tt_cluster_record *rec = k->rec;
	uint64_t resched = 0, stale = 0, log_resched = 0, log_stale = 0;
	const struct inc *in;

	for (uint32_t i = 0; i < rec->n_mtl; i++) {
		const struct tt_fence_event *e = &rec->mtl[i];
		uint32_t w = e->worker - rec->worker_id_base;

		if (e->kind == TT_FENCE_EV_RESCHEDULE)
			resched++;
		if (e->kind == TT_FENCE_EV_RESULT_STALE)
			stale++;
		if (e->kind != TT_FENCE_EV_WORKER_DEAD || e->epoch == 0)
			continue;
		if (w >= rec->n_workers) {
			violation(k, TT_CLUSTER_V_PLUMBING, "master timeline names worker id %u",
				  e->worker);
			continue;
		}
		if (ended_before(k, w, e->epoch, e->time_ns, &in) < 0)
			violation(
				k, TT_CLUSTER_V_DEAD_BEFORE_FENCE,
				"worker %u (incarnation %u) declared dead at %" PRIu64
				" ns; it %s%s at %" PRIu64 " ns",
				w, e->epoch, e->time_ns, in == NULL ? "never existed" : "ended by ",
				in == NULL ? "" : end_name(in->end_kind), in == NULL ? 0 : in->end);
	}
	for (uint32_t i = 0; i < rec->n_log; i++) {
		log_resched += rec->log[i].kind == TT_SCHED_EV_RESCHEDULE;
		log_stale += rec->log[i].kind == TT_SCHED_EV_RESULT_STALE;
	}
	if (resched != log_resched || stale != log_stale)
		violation(k, TT_CLUSTER_V_PLUMBING,
			  "master timeline and scheduler log disagree: reschedules %" PRIu64
			  "/%" PRIu64 ", stale results %" PRIu64 "/%" PRIu64,
			  resched, log_resched, stale, log_stale);
}

void tt_cluster_check(const struct tt_cluster_record *rec, struct tt_cluster_result *r)
{
	struct chk k = {.rec = rec, .r = r};

	if (rec->log_dropped > 0 || rec->tl_dropped > 0)
		violation(&k, TT_CLUSTER_V_LOG_DROPPED,
			  "records dropped: scheduler log %" PRIu64 ", timelines %" PRIu64,
			  rec->log_dropped, rec->tl_dropped);
	build_histories(&k);
	check_log(&k);
	check_deaths(&k);
	check_holders(&k);
	r->holds += k.n_hold;
	for (uint32_t i = 0; i < k.n_hold; i++)
		r->holds_aborted +=
			k.hold[i].end_kind != END_RESULT && k.hold[i].end_kind != END_OPEN;
	free(k.inc);
	free(k.hold);
	free(k.pause);
}
