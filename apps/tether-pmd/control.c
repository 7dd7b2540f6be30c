/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control module's state and the verbs that drive the run (see
 * control.h; the file map is in control_int.h). Engine objects are touched
 * only inside CALL functions, which the runtime runs on the polling lcore
 * (or on this thread while the lcore is stopped): those are the *_call()
 * functions, and they only copy state out or make the one engine call they
 * were sent for.
 */
#include "control_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "app_log.h"
#include "exit_codes.h"

#define DRAIN_CAP      512  /* timeline events per TL_READ */
#define BATCH_CAP      8192 /* events sorted per housekeeping round */
#define SYNC_MAX       4096 /* tasks queried per sync */
#define SYNC_PERIOD_NS (10 * TT_NS_PER_MS)
#define WAIT_STEP_US   2000 /* housekeeping period of the wait verbs */

int tt_ctl_err_out(FILE *out, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Print "error: ..." and return ret: the one way a verb fails. */
int tt_ctl_err_out(FILE *out, int ret, const char *fmt, ...)
{
	va_list ap;

	if (out == NULL)
		return ret;
	fputs("error: ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return ret;
}

/* ---- task map ---------------------------------------------------------------------------- */

static uint32_t task_hash(uint64_t id, uint32_t cap)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static int task_map_grow(struct task_map *m)
{
	uint32_t ncap = m->cap != 0 ? 2 * m->cap : 1024;
	struct task_rec *ns = calloc(ncap, sizeof(*ns));
	uint32_t i;

	if (ns == NULL)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		uint32_t j;

		if (m->slot[i].id == 0)
			continue;
		for (j = task_hash(m->slot[i].id, ncap); ns[j].id != 0; j = (j + 1) & (ncap - 1))
			;
		ns[j] = m->slot[i];
	}
	free(m->slot);
	m->slot = ns;
	m->cap = ncap;
	return 0;
}

static struct task_rec *task_find(struct task_map *m, uint64_t id)
{
	uint32_t i;

	if (m->cap == 0)
		return NULL;
	for (i = task_hash(id, m->cap); m->slot[i].id != 0; i = (i + 1) & (m->cap - 1))
		if (m->slot[i].id == id)
			return &m->slot[i];
	return NULL;
}

static struct task_rec *task_add(struct task_map *m, uint64_t id)
{
	uint32_t i;

	if ((m->n + 1) * 2 > m->cap && task_map_grow(m) != 0)
		return NULL;
	for (i = task_hash(id, m->cap); m->slot[i].id != 0; i = (i + 1) & (m->cap - 1))
		;
	memset(&m->slot[i], 0, sizeof(m->slot[i]));
	m->slot[i].id = id;
	m->n++;
	return &m->slot[i];
}

/* Remove slot i and shift back the entries of its probe run (Knuth's algorithm R). */
static void task_del_slot(struct task_map *m, uint32_t i)
{
	uint32_t j = i;

	m->slot[i].id = 0;
	m->n--;
	for (;;) {
		uint32_t k;

		j = (j + 1) & (m->cap - 1);
		if (m->slot[j].id == 0)
			return;
		k = task_hash(m->slot[j].id, m->cap);
		/* Leave j where it is if its home k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->slot[i] = m->slot[j];
		m->slot[j].id = 0;
		i = j;
	}
}

/* ---- runtime helpers --------------------------------------------------------------------- */

int tt_ctl_exec(struct tt_ctl *c, struct tt_rt_cmd *cmd)
{
	if (c->topo->rt == NULL)
		return -ENODEV;
	return tt_rt_cmd_exec(c->topo->rt, cmd);
}

int tt_ctl_call(struct tt_ctl *c, uint32_t ep, tt_rt_call_fn fn, void *arg, tt_ns_t *done_ns)
{
	struct tt_rt_cmd cmd = {.type = TT_RT_CMD_CALL, .ep = ep, .fn = fn, .arg = arg};
	int ret = tt_ctl_exec(c, &cmd);

	if (done_ns != NULL)
		*done_ns = cmd.done_ns;
	return ret;
}

bool tt_ctl_has_master(const struct tt_ctl *c)
{
	return c->topo->master_ep != TT_TOPO_NO_EP;
}

/* Index of a worker in worker_ids, or -1. */
int tt_ctl_worker_index(const struct tt_ctl *c, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < c->n_workers; i++)
		if (c->worker_ids[i] == id)
			return (int)i;
	return -1;
}

bool tt_ctl_known_worker(const struct tt_ctl *c, uint32_t id)
{
	return tt_ctl_worker_index(c, id) >= 0;
}

/* "error: no worker 9 (workers: 1 2 3)" */
int tt_ctl_unknown_worker(const struct tt_ctl *c, uint32_t id, FILE *out)
{
	uint32_t i;

	fprintf(out, "error: no worker %" PRIu32 " (workers:", id);
	for (i = 0; i < c->n_workers; i++)
		fprintf(out, " %" PRIu32, c->worker_ids[i]);
	fputs(")\n", out);
	return -ENOENT;
}

const char *tt_ctl_ep_name(const struct tt_ctl *c, uint32_t ep)
{
	return ep < c->topo->n_eps ? c->topo->ep[ep].name : "?";
}

struct tt_topo *tt_ctl_topo(struct tt_ctl *c)
{
	return c->topo;
}

/* ---- timeline mirror --------------------------------------------------------------------- */

/* Worker-side per-task events: logged at DEBUG, not mirrored (a load would flood the ring). */
static bool mirrored(const struct tt_fence_event *ev)
{
	return ev->kind != TT_FENCE_EV_TASK_START && ev->kind != TT_FENCE_EV_TASK_RESULT &&
	       ev->kind != TT_FENCE_EV_CANCEL_RX;
}

static int cmp_event(const void *a, const void *b)
{
	const struct tt_ctl_event *x = a;
	const struct tt_ctl_event *y = b;

	if (x->ev.time_ns != y->ev.time_ns)
		return tt_time_before(x->ev.time_ns, y->ev.time_ns) ? -1 : 1;
	/* Same instant: keep drain order (the address order of the batch array). */
	return x < y ? -1 : x > y;
}

/*
 * The CLOCK_MONOTONIC time of an event stamped `time_ns` on the topology's
 * clock, given one reading of both clocks taken after it. Mapped from a
 * reading a few ms after the event, not from the clock origin, so that the
 * estimate of the TSC frequency cannot add up over a long run.
 */
static uint64_t event_mono_ns(tt_ns_t time_ns, tt_ns_t now_ns, uint64_t mono_now_ns)
{
	int64_t ago = (int64_t)(now_ns - time_ns);

	if (ago < 0)
		ago = 0;
	return (uint64_t)ago < mono_now_ns ? mono_now_ns - (uint64_t)ago : 0;
}

/*
 * Emit the batch's events stamped before `upto` in time order (log, then
 * mirror them) and keep the later ones for the next round. With upto = 0
 * everything is emitted.
 */
static void flush_batch(struct tt_ctl *c, tt_ns_t upto, bool all)
{
	struct timespec ts;
	tt_ns_t now = tt_topo_now(c->topo);
	uint64_t mono_now;
	uint32_t i;
	uint32_t kept = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono_now = (uint64_t)ts.tv_sec * TT_NS_PER_S + (uint64_t)ts.tv_nsec;

	/* qsort is not stable; the tie-break on addresses in cmp_event makes it so. */
	qsort(c->batch, c->n_batch, sizeof(c->batch[0]), cmp_event);
	for (i = 0; i < c->n_batch; i++) {
		if (!all && !tt_time_before(c->batch[i].ev.time_ns, upto)) {
			c->batch[kept++] = c->batch[i];
			continue;
		}
		tt_alog_event(&c->batch[i].ev, tt_ctl_ep_name(c, c->batch[i].ep),
			      event_mono_ns(c->batch[i].ev.time_ns, now, mono_now));
		if (!mirrored(&c->batch[i].ev))
			continue;
		c->tl[c->tl_end % TT_CTL_TL_CAP] = c->batch[i];
		c->tl_end++;
	}
	c->n_batch = kept;
}

/*
 * Drain every endpoint's timeline and mirror the events in time order.
 * The endpoints are drained one after the other, each by a mailbox command
 * the polling lcore runs between two passes. Every event stamped before
 * `now0`, read before the first drain, was recorded by a pass that began
 * before it and so before any of this round's drains ran: all of them are
 * in this round, and emitting only those (the later ones wait for the next
 * round, which may still bring earlier-stamped events of another endpoint)
 * keeps the mirror sorted. With the lcore stopped, every event is final.
 */
void tt_ctl_drain_timelines(struct tt_ctl *c)
{
	bool stopped = !tt_topo_running(c->topo);
	tt_ns_t now0 = tt_topo_now(c->topo);
	uint32_t ep;

	if (c->topo->rt == NULL)
		return;
	for (ep = 0; ep < c->topo->n_eps; ep++) {
		for (;;) {
			struct tt_rt_cmd cmd = {
				.type = TT_RT_CMD_TL_READ,
				.ep = ep,
				.events = c->drain,
				.events_cap = DRAIN_CAP,
				.tl_drain = true,
			};
			uint32_t i;

			if (tt_ctl_exec(c, &cmd) < 0)
				break;
			for (i = 0; i < cmd.count; i++) {
				/* Full: emit what is final; if nothing is, everything (order
				 * may then bend, at this overload only). */
				if (c->n_batch == BATCH_CAP)
					flush_batch(c, now0, false);
				if (c->n_batch == BATCH_CAP)
					flush_batch(c, now0, true);
				c->batch[c->n_batch].ev = c->drain[i];
				c->batch[c->n_batch].ep = ep;
				c->n_batch++;
			}
			if (cmd.count < DRAIN_CAP)
				break;
		}
	}
	flush_batch(c, now0, stopped);
}

uint64_t tt_ctl_tl_oldest(const struct tt_ctl *c)
{
	return c->tl_end > TT_CTL_TL_CAP ? c->tl_end - TT_CTL_TL_CAP : 0;
}

/* ---- tasks -------------------------------------------------------------------------------- */

struct sync_arg {
	uint32_t n;
	uint64_t ids[SYNC_MAX];
	uint8_t state[SYNC_MAX];
	bool released[SYNC_MAX];
	uint32_t log_len;
	uint32_t pending;
	struct tt_sched_counters cnt;
};

/* Polling lcore: read the tasks' states, release the finished ones, read the log length. */
static int sync_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct sync_arg *a = arg;
	const struct tt_sched *s = tt_master_sched(v->master);
	uint32_t i;

	(void)now;
	for (i = 0; i < a->n; i++) {
		struct tt_sched_task_info ti;

		a->released[i] = false;
		if (tt_sched_task(s, a->ids[i], &ti) != 0) {
			a->state[i] = TT_SCHED_S_MAX;
			continue;
		}
		a->state[i] = ti.state;
		if (ti.state == TT_SCHED_S_COMMITTED || ti.state == TT_SCHED_S_CANCELLED)
			a->released[i] = tt_master_release(v->master, a->ids[i]) == 0;
	}
	/* After the releases: every commit of a released task is below this length. */
	a->log_len = tt_sched_log_len(s);
	a->pending = tt_sched_pending(s);
	a->cnt = *tt_sched_counters(s);
	return 0;
}

/* Retire a finished task: its commits, read from the log, decide exactly-once. */
static void task_retire(struct tt_ctl *c, uint32_t slot)
{
	struct task_rec *r = &c->tasks.slot[slot];

	if (r->state == TT_SCHED_S_CANCELLED && r->commits == 0)
		c->sum.cancelled++;
	else if (r->commits == 1)
		c->sum.committed_once++;
	else if (r->commits > 1)
		c->sum.duplicates++;
	c->sum.finished++;
	free(r->payload);
	task_del_slot(&c->tasks, slot);
}

static void read_log(struct tt_ctl *c, uint32_t len)
{
	const struct tt_sched_event *log = c->topo->sched_log;

	for (; c->log_pos < len && c->log_pos < TT_TOPO_SCHED_LOG_CAP; c->log_pos++) {
		const struct tt_sched_event *e = &log[c->log_pos];
		struct task_rec *r;

		if (e->kind != TT_SCHED_EV_RESULT_COMMIT)
			continue;
		r = task_find(&c->tasks, e->task_id);
		if (r == NULL) {
			c->sum.commit_unknown++;
			continue;
		}
		r->commits++;
		if (e->aux == TT_TMSG_ST_OK)
			c->sum.status_ok++;
	}
	c->log_len = len;
}

void tt_ctl_sync_tasks(struct tt_ctl *c, bool force)
{
	struct sync_arg *a;
	tt_ns_t now = tt_topo_now(c->topo);
	uint32_t i;

	if (!tt_ctl_has_master(c) || c->topo->rt == NULL)
		return;
	if (!force && !tt_time_reached(now, c->last_sync_ns + SYNC_PERIOD_NS))
		return;
	c->last_sync_ns = now;
	a = malloc(sizeof(*a));
	if (a == NULL)
		return;
	a->n = 0;
	for (i = 0; i < c->tasks.cap && a->n < SYNC_MAX; i++)
		if (c->tasks.slot[i].id != 0 && !c->tasks.slot[i].released)
			a->ids[a->n++] = c->tasks.slot[i].id;
	if (tt_ctl_call(c, c->topo->master_ep, sync_call, a, NULL) == 0) {
		for (i = 0; i < a->n; i++) {
			struct task_rec *r = task_find(&c->tasks, a->ids[i]);

			if (r == NULL)
				continue;
			if (a->state[i] < TT_SCHED_S_MAX)
				r->state = a->state[i];
			r->released = a->released[i];
		}
		if (a->cnt.log_dropped > 0)
			c->log_overflow = true;
		read_log(c, a->log_len);
		c->sum.pending = a->pending;
		c->sched_cur = a->cnt;
		/* Deleting shifts entries back into slot i: look at i again then. */
		for (i = 0; i < c->tasks.cap;) {
			if (c->tasks.slot[i].id != 0 && c->tasks.slot[i].released)
				task_retire(c, i);
			else
				i++;
		}
	}
	free(a);
}

/* The master is gone (stop, then a fresh runtime): its tasks are abandoned. */
static void abandon_tasks(struct tt_ctl *c)
{
	uint32_t i;
	size_t k;

	for (i = 0; i < c->tasks.cap; i++) {
		if (c->tasks.slot[i].id == 0)
			continue;
		if (c->tasks.slot[i].released)
			c->sum.finished++;
		else
			c->sum.abandoned++;
		free(c->tasks.slot[i].payload);
		c->tasks.slot[i].id = 0;
	}
	c->tasks.n = 0;
	c->log_pos = 0;
	c->log_len = 0;
	/* Fold the old scheduler's counters into the totals: the new one starts at 0. */
	c->sched_prev.assigned += c->sched_cur.assigned;
	c->sched_prev.rescheduled += c->sched_cur.rescheduled;
	c->sched_prev.stale += c->sched_cur.stale;
	for (k = 0; k < TT_SCHED_VERDICT_MAX; k++)
		c->sched_prev.results[k] += c->sched_cur.results[k];
	memset(&c->sched_cur, 0, sizeof(c->sched_cur));
	c->sum.pending = 0;
}

struct submit_arg {
	const char *handler;
	uint32_t n;
	uint8_t *payload[TT_CTL_SUBMIT_BATCH];
	uint32_t len;
	uint64_t ids[TT_CTL_SUBMIT_BATCH];
	uint32_t done;
};

/* Polling lcore: submit until the batch is done or the scheduler refuses one. */
static int submit_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct submit_arg *a = arg;
	int ret = 0;

	for (a->done = 0; a->done < a->n; a->done++) {
		ret = tt_master_submit(v->master, a->handler, a->payload[a->done], a->len, now,
				       &a->ids[a->done]);
		if (ret != 0)
			break;
	}
	return ret;
}

/* The payload of one task: "spin" starts with its time (big-endian µs), the rest a pattern. */
static uint8_t *make_payload(const char *handler, uint32_t size, uint32_t spin_us, uint64_t seq)
{
	uint8_t *p = malloc(size > 0 ? size : 1);
	uint32_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(seq + i);
	if (strcmp(handler, "spin") == 0 && size >= 4) {
		p[0] = (uint8_t)(spin_us >> 24);
		p[1] = (uint8_t)(spin_us >> 16);
		p[2] = (uint8_t)(spin_us >> 8);
		p[3] = (uint8_t)spin_us;
	}
	return p;
}

/*
 * Submit n tasks in batches. Returns the number accepted; *err gets the
 * first refusal's errno (0 if none).
 */
static uint32_t submit_n(struct tt_ctl *c, uint32_t n, const char *handler, uint32_t size,
			 uint32_t spin_us, int *err)
{
	struct submit_arg *a = malloc(sizeof(*a));
	uint32_t total = 0;
	uint32_t i;

	*err = 0;
	if (a == NULL) {
		*err = -ENOMEM;
		return 0;
	}
	while (total < n && *err == 0) {
		a->handler = handler;
		a->len = size;
		a->n = n - total < TT_CTL_SUBMIT_BATCH ? n - total : TT_CTL_SUBMIT_BATCH;
		for (i = 0; i < a->n; i++) {
			a->payload[i] = make_payload(handler, size, spin_us, c->sum.submitted + i);
			if (a->payload[i] == NULL) {
				a->n = i;
				*err = -ENOMEM;
				break;
			}
		}
		a->done = 0;
		if (a->n > 0) {
			int ret = tt_ctl_call(c, c->topo->master_ep, submit_call, a, NULL);

			if (ret < 0 && *err == 0)
				*err = ret;
		}
		for (i = 0; i < a->n; i++) {
			struct task_rec *r = i < a->done ? task_add(&c->tasks, a->ids[i]) : NULL;

			if (r == NULL) {
				free(a->payload[i]);
				continue;
			}
			r->payload = a->payload[i];
			r->state = TT_SCHED_S_PENDING;
		}
		total += a->done;
		c->sum.submitted += a->done;
		if (a->done < a->n)
			c->sum.submit_refused++;
		if (a->n == 0)
			break;
	}
	free(a);
	return total;
}

/* ---- housekeeping -------------------------------------------------------------------------- */

static void run_load(struct tt_ctl *c)
{
	tt_ns_t now = tt_topo_now(c->topo);
	uint64_t due;
	int err;

	if (!c->load_on || c->topo->rt == NULL || !tt_topo_running(c->topo))
		return;
	due = (uint64_t)((double)c->load_rate * (double)(now - c->load_start_ns) / 1e9);
	if (due <= c->load_sent)
		return;
	due -= c->load_sent;
	if (due > TT_CTL_SUBMIT_BATCH)
		due = TT_CTL_SUBMIT_BATCH;
	/* A refusal (table full) is counted; the generator keeps its pace and tries again. */
	c->load_sent += due;
	submit_n(c, (uint32_t)due, c->load_handler, c->load_size, c->load_spin_us, &err);
}

/*
 * In-process pauses: packets of the worker are held until the pause ends.
 * The shim delays each packet by a fixed time, so the delay is lowered as
 * the end nears: a packet sent at any moment of the pause is released at
 * about its end, in order, and nothing is held once it is over.
 */
static void pause_tick(struct tt_ctl *c)
{
	tt_ns_t now = tt_topo_now(c->topo);
	uint32_t i;

	for (i = 0; i < TT_RT_MAX_EPS; i++) {
		struct pause *p = &c->pause[i];

		if (!p->on)
			continue;
		if (tt_time_reached(now, p->until_ns)) {
			p->on = false;
			tt_ctl_pause_hold(c, p->worker, 0, NULL, NULL);
			TT_LOG(app, NOTICE, "pause of worker %" PRIu32 " over", p->worker);
			continue;
		}
		tt_ctl_pause_hold(c, p->worker, p->until_ns - now, NULL, NULL);
	}
}

static void check_exits(struct tt_ctl *c)
{
	uint32_t ep;
	int code;

	if (c->topo->rt == NULL)
		return;
	for (ep = 0; ep < c->topo->n_eps; ep++) {
		if (c->exit_logged[ep] || !tt_rt_ep_exited(c->topo->rt, ep, &code))
			continue;
		c->exit_logged[ep] = true;
		TT_LOG(app, NOTICE, "%s fenced itself and exited (status %d)",
		       tt_ctl_ep_name(c, ep), code);
		if (c->topo->mode == TT_ARGS_MODE_WORKER) {
			c->exit_status = code;
			atomic_store(&c->quit, true);
		}
	}
}

void tt_ctl_housekeeping_locked(struct tt_ctl *c)
{
	tt_ctl_drain_timelines(c);
	tt_ctl_sync_tasks(c, false);
	run_load(c);
	pause_tick(c);
	check_exits(c);
}

void tt_ctl_housekeeping(struct tt_ctl *c)
{
	pthread_mutex_lock(&c->lock);
	tt_ctl_housekeeping_locked(c);
	pthread_mutex_unlock(&c->lock);
}

/* ---- create / destroy ---------------------------------------------------------------------- */

struct tt_ctl *tt_ctl_create(struct tt_topo *topo)
{
	struct tt_ctl *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->tl = calloc(TT_CTL_TL_CAP, sizeof(*c->tl));
	c->drain = calloc(DRAIN_CAP, sizeof(*c->drain));
	c->batch = calloc(BATCH_CAP, sizeof(*c->batch));
	if (c->tl == NULL || c->drain == NULL || c->batch == NULL) {
		tt_ctl_destroy(c);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->topo = topo;
	c->exit_status = TT_EXIT_OK;
	c->gen = topo->generation;
	c->sum.log_complete = true;
	c->n_workers = tt_topo_worker_ids(topo, c->worker_ids, TT_CFG_MAX_WORKERS);
	for (uint32_t i = 0; i < c->n_workers && i < TT_CFG_MAX_WORKERS; i++) {
		c->hb[i].interval_us = topo->cfg->hb.interval_us;
		c->hb[i].mult[TT_RT_ROLE_MASTER] = topo->cfg->hb.master_detect_mult;
		c->hb[i].mult[TT_RT_ROLE_WORKER] = topo->cfg->hb.worker_detect_mult;
	}
	return c;
}

void tt_ctl_destroy(struct tt_ctl *c)
{
	uint32_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->tasks.cap; i++)
		if (c->tasks.slot[i].id != 0)
			free(c->tasks.slot[i].payload);
	free(c->tasks.slot);
	free(c->tl);
	free(c->drain);
	free(c->batch);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void tt_ctl_request_quit(struct tt_ctl *c)
{
	atomic_store(&c->quit, true);
}

bool tt_ctl_quit_requested(struct tt_ctl *c)
{
	return atomic_load(&c->quit);
}

int tt_ctl_exit_status(const struct tt_ctl *c)
{
	return c->exit_status;
}

uint32_t tt_ctl_failures(const struct tt_ctl *c)
{
	return c->failures;
}

void tt_ctl_count_failure(struct tt_ctl *c)
{
	pthread_mutex_lock(&c->lock);
	c->failures++;
	pthread_mutex_unlock(&c->lock);
}

/* ---- start / stop / quit ------------------------------------------------------------------- */

static int do_start(struct tt_ctl *c, FILE *out)
{
	char err[512];
	int ret;

	if (tt_topo_running(c->topo)) {
		fprintf(out, "already running on lcore %u\n", tt_rt_lcore(c->topo->rt));
		return 0;
	}
	ret = tt_topo_start(c->topo, err, sizeof(err));
	if (ret < 0)
		return tt_ctl_err_out(out, ret, "start: %s", err);
	if (c->topo->generation != c->gen) {
		/* A fresh runtime: a fresh master, so the old one's tasks are gone. */
		abandon_tasks(c);
		memset(c->pause, 0, sizeof(c->pause));
		memset(c->exit_logged, 0, sizeof(c->exit_logged));
		c->gen = c->topo->generation;
	}
	fprintf(out, "started: %" PRIu32 " endpoint(s) on lcore %u\n", c->topo->n_eps,
		tt_rt_lcore(c->topo->rt));
	return 0;
}

int tt_ctl_start(struct tt_ctl *c, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, do_start(c, out));
}

static int do_stop(struct tt_ctl *c, FILE *out)
{
	int ret;

	if (!tt_topo_running(c->topo)) {
		fputs("not running\n", out);
		return 0;
	}
	c->load_on = false;
	ret = tt_topo_stop(c->topo);
	if (ret < 0)
		return tt_ctl_err_out(out, ret, "stop: %s", strerror(-ret));
	/* What the lcore did before it stopped: timelines and task ends. */
	tt_ctl_drain_timelines(c);
	tt_ctl_sync_tasks(c, true);
	fprintf(out, "stopped: heartbeats and channels are silent; 'start' builds a fresh "
		     "runtime\n");
	return 0;
}

int tt_ctl_stop(struct tt_ctl *c, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, do_stop(c, out));
}

int tt_ctl_quit(struct tt_ctl *c, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	atomic_store(&c->quit, true);
	fputs("bye\n", out);
	TT_CTL_VERB_END(c, 0);
}

/* ---- tasks --------------------------------------------------------------------------------- */

static int check_task_args(struct tt_ctl *c, const char *handler, uint32_t size, FILE *out)
{
	size_t hl = strlen(handler);

	if (!tt_ctl_has_master(c))
		return tt_ctl_err_out(
			out, -ENOTSUP,
			"tasks are submitted at the master: this process is a worker");
	if (!tt_tmsg_handler_valid(handler, hl))
		return tt_ctl_err_out(
			out, -EINVAL,
			"handler '%s': 1..%u characters of [A-Za-z0-9_.-] (the workers "
			"know echo, crc32, spin)",
			handler, TT_TMSG_HANDLER_MAX);
	if ((uint64_t)TT_TMSG_ASSIGN_HDR_LEN + hl + size > TT_TMSG_MAX_LEN)
		return tt_ctl_err_out(
			out, -EMSGSIZE, "size %" PRIu32 ": at most %zu bytes with handler '%s'",
			size, (size_t)(TT_TMSG_MAX_LEN - TT_TMSG_ASSIGN_HDR_LEN - hl), handler);
	if (strcmp(handler, "spin") == 0 && size < 4)
		return tt_ctl_err_out(out, -EINVAL,
				      "size %" PRIu32 ": a spin task needs at least 4 bytes", size);
	return 0;
}

static int submit(struct tt_ctl *c, uint32_t n, const char *handler, uint32_t size,
		  uint32_t spin_us, FILE *out)
{
	uint32_t done;
	int err;
	int ret = check_task_args(c, handler, size, out);

	if (ret < 0)
		return ret;
	done = submit_n(c, n, handler, size, spin_us, &err);
	if (err < 0)
		return tt_ctl_err_out(out, err,
				      "%" PRIu32 " of %" PRIu32 " task(s) submitted, then: %s",
				      done, n, err == -ENOSPC ? "task table full" : strerror(-err));
	fprintf(out, "%" PRIu32 " task(s) submitted (handler %s, %" PRIu32 " bytes)\n", done,
		handler, size);
	return 0;
}

int tt_ctl_submit(struct tt_ctl *c, uint32_t n, const char *handler, uint32_t size,
		  uint32_t spin_us, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, submit(c, n, handler, size, spin_us, out));
}

static int load_start(struct tt_ctl *c, uint32_t rate, const char *handler, uint32_t size,
		      uint32_t spin_us, FILE *out)
{
	int ret = check_task_args(c, handler, size, out);

	if (ret < 0)
		return ret;
	if (rate == 0)
		return tt_ctl_err_out(out, -EINVAL, "rate 0: give tasks per second, 1 or more");
	if (!tt_topo_running(c->topo))
		return tt_ctl_err_out(out, -ENODEV, "not running: 'start' first");
	c->load_on = true;
	c->load_rate = rate;
	snprintf(c->load_handler, sizeof(c->load_handler), "%s", handler);
	c->load_size = size;
	c->load_spin_us = spin_us;
	c->load_start_ns = tt_topo_now(c->topo);
	c->load_sent = 0;
	fprintf(out, "load: %" PRIu32 " tasks/s (handler %s, %" PRIu32 " bytes)\n", rate, handler,
		size);
	return 0;
}

int tt_ctl_load_start(struct tt_ctl *c, uint32_t rate, const char *handler, uint32_t size,
		      uint32_t spin_us, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, load_start(c, rate, handler, size, spin_us, out));
}

int tt_ctl_load_stop(struct tt_ctl *c, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	if (c->load_on)
		fprintf(out, "load stopped after %" PRIu64 " task(s)\n", c->load_sent);
	else
		fputs("no load running\n", out);
	c->load_on = false;
	TT_CTL_VERB_END(c, 0);
}

/* ---- sleep and waits ----------------------------------------------------------------------- */

/*
 * Housekeep every WAIT_STEP_US until cond says done or the timeout passes.
 * The lock is dropped while sleeping so that telemetry is served meanwhile.
 */
static int wait_until(struct tt_ctl *c, uint32_t timeout_ms, bool (*cond)(struct tt_ctl *, void *),
		      void *arg)
{
	uint64_t end = rte_get_timer_cycles() + (uint64_t)timeout_ms * rte_get_timer_hz() / 1000;

	for (;;) {
		tt_ctl_housekeeping_locked(c);
		if (cond != NULL && cond(c, arg))
			return 0;
		if (atomic_load(&c->quit))
			return -EINTR;
		if (rte_get_timer_cycles() >= end)
			return cond != NULL ? -ETIMEDOUT : 0;
		pthread_mutex_unlock(&c->lock);
		rte_delay_us_sleep(WAIT_STEP_US);
		pthread_mutex_lock(&c->lock);
	}
}

int tt_ctl_sleep(struct tt_ctl *c, uint32_t ms, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, wait_until(c, ms, NULL, NULL) == -EINTR
				   ? tt_ctl_err_out(out, -EINTR, "interrupted")
				   : 0);
}

struct ev_wait {
	unsigned int kind;
	int64_t worker;
	uint64_t found;
};

/* The first matching event at or after wait_cursor stamped at or after wait_from_ns. */
static bool event_found(struct tt_ctl *c, void *arg)
{
	struct ev_wait *w = arg;
	uint64_t pos = c->wait_cursor > tt_ctl_tl_oldest(c) ? c->wait_cursor : tt_ctl_tl_oldest(c);

	for (; pos < c->tl_end; pos++) {
		const struct tt_fence_event *e = &c->tl[pos % TT_CTL_TL_CAP].ev;

		if (tt_time_before(e->time_ns, c->wait_from_ns))
			continue;
		if (e->kind == w->kind && (w->worker < 0 || (uint32_t)w->worker == e->worker)) {
			w->found = pos;
			return true;
		}
	}
	return false;
}

static int wait_event(struct tt_ctl *c, const char *kind, int64_t worker, uint32_t timeout_ms,
		      FILE *out)
{
	struct ev_wait w = {.kind = TT_FENCE_EV_MAX, .worker = worker};
	struct tt_fence_event probe = {0};
	const struct tt_ctl_event *e;
	unsigned int k;
	char text[160];
	int ret;

	for (k = 0; k < TT_FENCE_EV_MAX; k++) {
		probe.kind = (uint16_t)k;
		if (strcmp(kind, tt_fence_event_name(k)) == 0 && mirrored(&probe))
			w.kind = k;
	}
	if (w.kind == TT_FENCE_EV_MAX) {
		fprintf(out, "error: event '%s': one of", kind);
		for (k = 0; k < TT_FENCE_EV_MAX; k++) {
			probe.kind = (uint16_t)k;
			if (mirrored(&probe))
				fprintf(out, " %s", tt_fence_event_name(k));
		}
		fputc('\n', out);
		return -EINVAL;
	}
	if (worker >= 0 && !tt_ctl_known_worker(c, (uint32_t)worker))
		return tt_ctl_unknown_worker(c, (uint32_t)worker, out);
	ret = wait_until(c, timeout_ms, event_found, &w);
	if (ret == -EINTR)
		return tt_ctl_err_out(out, ret, "interrupted");
	if (ret < 0)
		return tt_ctl_err_out(out, ret, "no %s event%s within %" PRIu32 " ms", kind,
				      worker >= 0 ? " for that worker" : "", timeout_ms);
	c->wait_cursor = w.found + 1;
	e = &c->tl[w.found % TT_CTL_TL_CAP];
	tt_alog_event_text(&e->ev, text, sizeof(text));
	fprintf(out, "%s at t=%.1f us: %s, worker %" PRIu32 ": %s\n", kind,
		(double)e->ev.time_ns / 1e3, tt_ctl_ep_name(c, e->ep), e->ev.worker, text);
	return 0;
}

int tt_ctl_wait_event(struct tt_ctl *c, const char *kind, int64_t worker, uint32_t timeout_ms,
		      FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, wait_event(c, kind, worker, timeout_ms, out));
}

void tt_ctl_wait_mark(struct tt_ctl *c)
{
	pthread_mutex_lock(&c->lock);
	c->wait_cursor = 0;
	c->wait_from_ns = tt_topo_now(c->topo);
	pthread_mutex_unlock(&c->lock);
}

tt_ns_t tt_ctl_last_fault_ns(struct tt_ctl *c)
{
	tt_ns_t t;

	pthread_mutex_lock(&c->lock);
	t = c->last_fault_ns;
	pthread_mutex_unlock(&c->lock);
	return t;
}

static bool all_live(struct tt_ctl *c, void *arg)
{
	struct tt_ctl_node_view *nv = arg;
	int n = tt_ctl_nodes_locked(c, -1, nv, TT_CTL_MAX_NODES);
	int i;

	if (n <= 0)
		return false;
	for (i = 0; i < n; i++) {
		uint32_t full = nv[i].n_chan >= 32 ? UINT32_MAX : (1u << nv[i].n_chan) - 1;

		if (strcmp(nv[i].state, "live") != 0 || (nv[i].up_mask & full) != full)
			return false;
	}
	return true;
}

static int wait_live(struct tt_ctl *c, uint32_t timeout_ms, FILE *out)
{
	struct tt_ctl_node_view *nv = tt_ctl_nodes_alloc();
	int ret;

	if (nv == NULL)
		return tt_ctl_err_out(out, -ENOMEM, "out of memory");
	ret = wait_until(c, timeout_ms, all_live, nv);
	free(nv);
	if (ret == -EINTR)
		return tt_ctl_err_out(out, ret, "interrupted");
	if (ret < 0)
		return tt_ctl_err_out(out, ret, "not every worker live within %" PRIu32 " ms",
				      timeout_ms);
	fprintf(out, "every worker live, every channel up\n");
	return 0;
}

int tt_ctl_wait_live(struct tt_ctl *c, uint32_t timeout_ms, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, wait_live(c, timeout_ms, out));
}

static bool tasks_done(struct tt_ctl *c, void *arg)
{
	(void)arg;
	tt_ctl_sync_tasks(c, true);
	return c->tasks.n == 0;
}

static int wait_tasks(struct tt_ctl *c, uint32_t timeout_ms, FILE *out)
{
	int ret;

	if (!tt_ctl_has_master(c))
		return tt_ctl_err_out(out, -ENOTSUP,
				      "no master in this process: no tasks to wait for");
	ret = wait_until(c, timeout_ms, tasks_done, NULL);
	if (ret == -EINTR)
		return tt_ctl_err_out(out, ret, "interrupted");
	if (ret < 0)
		return tt_ctl_err_out(out, ret,
				      "%" PRIu32 " task(s) still in flight after %" PRIu32 " ms",
				      c->tasks.n, timeout_ms);
	fprintf(out, "every task finished: %" PRIu64 " submitted, %" PRIu64 " finished\n",
		c->sum.submitted, c->sum.finished);
	return 0;
}

int tt_ctl_wait_tasks(struct tt_ctl *c, uint32_t timeout_ms, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, wait_tasks(c, timeout_ms, out));
}

/* ---- queries ------------------------------------------------------------------------------- */

uint32_t tt_ctl_events(struct tt_ctl *c, uint64_t from, struct tt_ctl_event *out, uint32_t cap,
		       uint64_t *next)
{
	uint64_t pos;
	uint32_t n = 0;

	pthread_mutex_lock(&c->lock);
	pos = from > tt_ctl_tl_oldest(c) ? from : tt_ctl_tl_oldest(c);
	for (; pos < c->tl_end && n < cap; pos++)
		out[n++] = c->tl[pos % TT_CTL_TL_CAP];
	*next = pos;
	pthread_mutex_unlock(&c->lock);
	return n;
}

uint64_t tt_ctl_events_end(struct tt_ctl *c)
{
	uint64_t end;

	pthread_mutex_lock(&c->lock);
	end = c->tl_end;
	pthread_mutex_unlock(&c->lock);
	return end;
}
