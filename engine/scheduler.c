/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The master's task table. Contract and state diagram in scheduler.h.
 *
 * Task ids name their slot: the low 32 bits are slot + 1, the high 32 bits
 * count how many times the slot was reused. Lookup is then one index and one
 * compare, ids are never reused, and the first max_tasks ids are simply
 * 1, 2, 3, ... which keeps logs readable.
 *
 * With a journal (struct tt_sched_persist) every SUBMIT, COMMIT and
 * CANCELLED goes to the append hook as the table changes; a finished task
 * keeps its slot (and so its handler, and the caller its payload, which the
 * queued records point to) until the done hook says its end record is done.
 * Every record in the writer's queue therefore belongs to a task still in
 * the table, at most two per task: a queue of 2 * max_tasks records never
 * refuses one (drivers/journal_writer.h sizes it so).
 */

#include "scheduler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_names.h"

#define NIL UINT32_MAX /* end of an index list */

struct task {
	uint64_t id;		/* 0: slot free */
	uint32_t gen;		/* reuses of this slot */
	uint8_t state;		/* enum tt_sched_state */
	uint8_t status;
	uint8_t handler_len;
	uint16_t channel;
	uint32_t worker;
	uint32_t epoch;
	uint32_t attempts;
	uint32_t prev, next; /* pending list; next also links the free and reap lists */
	bool restored;	     /* from the journal: the table releases it itself */
	uint64_t end_ticket; /* journal ticket of its COMMIT/CANCELLED; 0: none */
	const uint8_t *payload;
	uint32_t payload_len;
	tt_ns_t submit_ns, first_assign_ns, last_assign_ns, end_ns;
	char handler[TT_TMSG_HANDLER_MAX];
};

struct worker {
	bool live;
	uint16_t nchannels;
	uint16_t rr;		/* last channel used */
	uint32_t epoch;
	uint32_t up_mask;
	uint32_t outstanding;
	uint32_t cap; /* learned from a BUSY result: most tasks it holds; 0: max_outstanding */
};

struct tt_sched {
	struct tt_sched_config cfg;
	struct task *tasks;
	struct worker *workers;
	uint32_t free_head;
	uint32_t pend_head, pend_tail, npending;
	uint32_t log_len;
	struct tt_sched_persist jp;    /* hooks only (restore is read at create) */
	uint32_t gen_floor;	       /* reuse count every slot starts at, above replayed ids */
	uint32_t epoch_first;	       /* epoch of a new task: epoch_base + 1 */
	uint32_t reap_head, reap_tail; /* ended restored tasks, in end order */
	struct tt_sched_counters ctr;
};

static const char *const state_names[] = {
#define TT_X(name, str) [TT_SCHED_S_##name] = str,
	TT_SCHED_STATES(TT_X)
#undef TT_X
};

static const char *const verdict_names[] = {
	[TT_SCHED_COMMIT] = "COMMIT",
#define TT_X(name, str) [TT_SCHED_STALE_##name] = #name,
	TT_SCHED_STALE_REASONS(TT_X)
#undef TT_X
};

static const char *const event_names[] = {
#define TT_X(name, str) [TT_SCHED_EV_##name] = str,
	TT_SCHED_EVENTS(TT_X)
#undef TT_X
};

static const char *const route_names[] = {
#define TT_X(name, str) [TT_SCHED_CANCEL_##name] = str,
	TT_SCHED_CANCEL_ROUTES(TT_X)
#undef TT_X
};

static const char *const end_names[] = {
#define TT_X(name, str) [TT_SCHED_END_##name] = str,
	TT_SCHED_CANCEL_ENDS(TT_X)
#undef TT_X
};

const char *tt_sched_state_name(unsigned int state)
{
	return TT_NAME_AT(state_names, state, "?");
}

const char *tt_sched_verdict_name(unsigned int verdict)
{
	return TT_NAME_AT(verdict_names, verdict, "?");
}

const char *tt_sched_event_name(unsigned int kind)
{
	return TT_NAME_AT(event_names, kind, "?");
}

const char *tt_sched_cancel_route_name(unsigned int route)
{
	return TT_NAME_AT(route_names, route, "?");
}

const char *tt_sched_cancel_end_name(unsigned int end)
{
	return TT_NAME_AT(end_names, end, "?");
}

/* Append one record; a full (or absent) log drops and counts, never overwrites. */
static void log_ev(struct tt_sched *s, tt_ns_t now, enum tt_sched_event_kind kind,
		   uint64_t task_id, uint32_t worker, uint32_t epoch, uint16_t aux)
{
	if (s->cfg.log == NULL || s->log_len >= s->cfg.log_cap) {
		s->ctr.log_dropped++;
		return;
	}
	s->cfg.log[s->log_len++] = (struct tt_sched_event){
		.time_ns = now,
		.task_id = task_id,
		.worker = worker,
		.epoch = epoch,
		.kind = (uint16_t)kind,
		.aux = aux,
	};
}

static void pend_push_tail(struct tt_sched *s, struct task *t);

/*
 * Put the replayed PENDING tasks in their slots (ids kept, so that their
 * COMMIT records name the task their SUBMIT record did), start every slot's
 * reuse count above the largest replayed one, and chain the free slots in
 * slot order. 0, or -ERANGE / -EEXIST for a task that cannot have its slot.
 */
static int restore(struct tt_sched *s, const struct tt_sched_persist *p)
{
	uint32_t max_hi = 0;

	for (uint32_t k = 0; k < p->n_restore; k++) {
		uint32_t hi = (uint32_t)(p->restore[k].task_id >> 32);

		if (hi > max_hi)
			max_hi = hi;
	}
	/* Nothing replayed: ids start at 1, 2, 3, ... as without a journal. */
	s->gen_floor = p->n_restore > 0 ? max_hi + 1 : 0;
	for (uint32_t i = 0; i < s->cfg.max_tasks; i++)
		s->tasks[i].gen = s->gen_floor;
	for (uint32_t k = 0; k < p->n_restore; k++) {
		const struct tt_jrnl_task *jt = &p->restore[k];
		uint32_t lo = (uint32_t)jt->task_id;
		struct task *t;

		if (jt->state != TT_JRNL_T_PENDING)
			continue;
		if (lo == 0 || lo > s->cfg.max_tasks)
			return -ERANGE;
		t = &s->tasks[lo - 1];
		if (t->id != 0)
			return -EEXIST;
		*t = (struct task){
			.id = jt->task_id,
			.gen = (uint32_t)(jt->task_id >> 32),
			.state = TT_SCHED_S_PENDING,
			.handler_len = jt->handler_len,
			.worker = TT_SCHED_NO_WORKER,
			.epoch = s->epoch_first,
			.payload = jt->payload,
			.payload_len = jt->payload_len,
			.restored = true,
		};
		memcpy(t->handler, jt->handler, jt->handler_len);
		/* In first-SUBMIT order (the replay's): the oldest is placed first. */
		pend_push_tail(s, t);
		s->ctr.restored++;
	}
	s->free_head = NIL;
	for (uint32_t i = s->cfg.max_tasks; i-- > 0;) {
		if (s->tasks[i].id != 0)
			continue;
		s->tasks[i].next = s->free_head;
		s->free_head = i;
	}
	return 0;
}

/* Validate the sizes and allocate everything the table will ever use. NULL + errno on failure. */
struct tt_sched *tt_sched_create(const struct tt_sched_config *cfg)
{
	struct tt_sched *s;

	if (cfg == NULL || cfg->max_tasks == 0 || cfg->max_tasks > (1u << 31) ||
	    cfg->max_workers == 0 || cfg->max_workers >= TT_SCHED_NO_WORKER ||
	    cfg->max_outstanding == 0 || (cfg->log == NULL && cfg->log_cap != 0)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->tasks = calloc(cfg->max_tasks, sizeof(*s->tasks));
	if (s->tasks == NULL)
		goto fail_tasks;
	s->workers = calloc(cfg->max_workers, sizeof(*s->workers));
	if (s->workers == NULL)
		goto fail_workers;
	s->cfg = *cfg;
	s->cfg.persist = NULL;
	s->pend_head = s->pend_tail = NIL;
	s->reap_head = s->reap_tail = NIL;
	s->epoch_first = 1;
	if (cfg->persist != NULL) {
		int rc;

		s->jp = *cfg->persist;
		s->jp.restore = NULL;
		s->jp.n_restore = 0;
		s->epoch_first = cfg->persist->epoch_base + 1;
		rc = restore(s, cfg->persist);
		if (rc < 0) {
			tt_sched_destroy(s);
			errno = -rc;
			return NULL;
		}
		return s;
	}
	/* Free list in slot order, so the first ids handed out are 1, 2, 3, ... */
	for (uint32_t i = 0; i < cfg->max_tasks; i++)
		s->tasks[i].next = i + 1 < cfg->max_tasks ? i + 1 : NIL;
	s->free_head = 0;
	return s;

fail_workers:
	free(s->tasks);
fail_tasks:
	free(s);
fail:
	errno = ENOMEM;
	return NULL;
}

void tt_sched_destroy(struct tt_sched *s)
{
	if (s == NULL)
		return;
	free(s->workers);
	free(s->tasks);
	free(s);
}

static struct task *find(const struct tt_sched *s, uint64_t task_id)
{
	uint32_t lo = (uint32_t)task_id;
	struct task *t;

	if (lo == 0 || lo > s->cfg.max_tasks)
		return NULL;
	t = &s->tasks[lo - 1];
	return t->id == task_id ? t : NULL;
}

static uint32_t slot_of(const struct tt_sched *s, const struct task *t)
{
	return (uint32_t)(t - s->tasks);
}

/* The end ticket of a task whose end record the journal refused. */
#define END_NEVER_DONE UINT64_MAX

/* Hand a record to the journal hook: 0 (*ticket 0 without a journal) or the hook's error. */
static int jrnl(struct tt_sched *s, const struct tt_jrnl_rec *rec, uint64_t *ticket)
{
	*ticket = 0;
	if (s->jp.append == NULL)
		return 0;
	return s->jp.append(s->jp.arg, rec, ticket);
}

/*
 * A task has just become COMMITTED or CANCELLED: journal its end. A refusal
 * (a failed journal; a full queue cannot happen when sized as the file
 * comment says) is counted, and the end is then never done: the task is
 * not released as if its end were durable, and it holds its slot, so that
 * a broken journal ends in refused submits rather than in promises it
 * cannot keep. A restored task joins the reap list, in end order, which is
 * ticket order.
 */
static void end_record(struct tt_sched *s, struct task *t, uint8_t type, uint32_t epoch,
		       uint32_t worker, uint8_t status)
{
	struct tt_jrnl_rec rec = {
		.type = type,
		.task_id = t->id,
		.epoch = epoch,
		.worker = worker,
		.status = status,
	};

	if (jrnl(s, &rec, &t->end_ticket) < 0) {
		s->ctr.journal_lost++;
		t->end_ticket = END_NEVER_DONE;
	}
	if (!t->restored)
		return;
	t->next = NIL;
	if (s->reap_tail != NIL)
		s->tasks[s->reap_tail].next = slot_of(s, t);
	else
		s->reap_head = slot_of(s, t);
	s->reap_tail = slot_of(s, t);
}

/* Whether a finished task's end record is done (the fsync policy's promise kept). */
static bool end_done(const struct tt_sched *s, const struct task *t)
{
	if (t->end_ticket == END_NEVER_DONE)
		return false;
	return t->end_ticket == 0 || s->jp.done == NULL || s->jp.done(s->jp.arg, t->end_ticket);
}

/* Free a finished task's slot; the slot's next id is above every id handed out or replayed. */
static void free_slot(struct tt_sched *s, struct task *t)
{
	uint32_t i = slot_of(s, t);

	t->id = 0;
	t->gen = t->gen + 1 > s->gen_floor ? t->gen + 1 : s->gen_floor;
	t->restored = false;
	t->end_ticket = 0;
	t->next = s->free_head;
	s->free_head = i;
}

/* Release the ended restored tasks whose end record is done, oldest first. */
static void reap(struct tt_sched *s)
{
	while (s->reap_head != NIL) {
		struct task *t = &s->tasks[s->reap_head];

		/* Tickets grow in end order: if the oldest is not done, none after it is. */
		if (!end_done(s, t))
			return;
		s->reap_head = t->next;
		if (s->reap_head == NIL)
			s->reap_tail = NIL;
		free_slot(s, t);
		s->ctr.restored_reaped++;
	}
}

static void pend_push_tail(struct tt_sched *s, struct task *t)
{
	uint32_t i = slot_of(s, t);

	t->next = NIL;
	t->prev = s->pend_tail;
	if (s->pend_tail != NIL)
		s->tasks[s->pend_tail].next = i;
	else
		s->pend_head = i;
	s->pend_tail = i;
	s->npending++;
}

static void pend_push_head(struct tt_sched *s, struct task *t)
{
	uint32_t i = slot_of(s, t);

	t->prev = NIL;
	t->next = s->pend_head;
	if (s->pend_head != NIL)
		s->tasks[s->pend_head].prev = i;
	else
		s->pend_tail = i;
	s->pend_head = i;
	s->npending++;
}

static void pend_remove(struct tt_sched *s, struct task *t)
{
	if (t->prev != NIL)
		s->tasks[t->prev].next = t->next;
	else
		s->pend_head = t->next;
	if (t->next != NIL)
		s->tasks[t->next].prev = t->prev;
	else
		s->pend_tail = t->prev;
	t->prev = t->next = NIL;
	s->npending--;
}

/* Take a free slot, PENDING at the tail, epoch 1. 0 or -EINVAL/-EMSGSIZE/-ENOSPC. */
int tt_sched_submit(struct tt_sched *s, const char *handler, const uint8_t *payload,
		    uint32_t payload_len, tt_ns_t now, uint64_t *task_id)
{
	size_t hlen;
	struct task *t;
	uint32_t i;

	if (handler == NULL || task_id == NULL || (payload == NULL && payload_len > 0))
		return -EINVAL;
	hlen = strnlen(handler, TT_TMSG_HANDLER_MAX + 1);
	if (!tt_tmsg_handler_valid(handler, hlen))
		return -EINVAL;
	if ((uint64_t)TT_TMSG_ASSIGN_HDR_LEN + hlen + payload_len > TT_TMSG_MAX_LEN)
		return -EMSGSIZE;
	reap(s);
	if (s->free_head == NIL) {
		s->ctr.submit_full++;
		return -ENOSPC;
	}
	i = s->free_head;
	t = &s->tasks[i];

	uint32_t gen = t->gen;
	uint64_t id = (uint64_t)gen << 32 | (i + 1);
	uint64_t ticket;
	/*
	 * Journaled before the task is taken: a refusal leaves nothing to undo.
	 * The record points at the slot's copy of the handler (the free slot's
	 * buffer is nobody's), which lives as long as the task: the caller's
	 * string need not.
	 */
	memcpy(t->handler, handler, hlen);
	struct tt_jrnl_rec rec = {
		.type = TT_JRNL_SUBMIT,
		.task_id = id,
		.handler = t->handler,
		.handler_len = (uint8_t)hlen,
		.payload = payload,
		.payload_len = payload_len,
	};

	if (jrnl(s, &rec, &ticket) < 0) {
		s->ctr.journal_refused++;
		return -EAGAIN;
	}
	s->free_head = t->next;
	*t = (struct task){
		.id = id,
		.gen = gen,
		.state = TT_SCHED_S_PENDING,
		.handler_len = (uint8_t)hlen,
		.worker = TT_SCHED_NO_WORKER,
		.epoch = s->epoch_first,
		.payload = payload,
		.payload_len = payload_len,
		.submit_ns = now,
	};
	memcpy(t->handler, handler, hlen);
	pend_push_tail(s, t);
	s->ctr.submitted++;
	log_ev(s, now, TT_SCHED_EV_SUBMIT, t->id, TT_SCHED_NO_WORKER, t->epoch, 0);
	*task_id = t->id;
	return 0;
}

/*
 * Take back every task of a worker that is gone. Reverse slot order with
 * head insertion leaves the rescheduled tasks at the front of the pending
 * list in slot order: they are placed before anything submitted since.
 */
static uint32_t take_back(struct tt_sched *s, uint32_t w, tt_ns_t now)
{
	uint32_t taken = 0;

	for (uint32_t i = s->cfg.max_tasks; i-- > 0;) {
		struct task *t = &s->tasks[i];

		if (t->id == 0 || t->worker != w)
			continue;
		if (t->state == TT_SCHED_S_ASSIGNED) {
			/*
			 * DESIGN.md §1 step 5: the master reschedules only after T1,
			 * when the worker has fenced (T1 > T2 + I + d_max + g). The new
			 * epoch makes any result of the old attempt stale.
			 */
			t->state = TT_SCHED_S_PENDING;
			t->epoch++;
			pend_push_head(s, t);
			s->ctr.rescheduled++;
			log_ev(s, now, TT_SCHED_EV_RESCHEDULE, t->id, w, t->epoch, 0);
			taken++;
		} else if (t->state == TT_SCHED_S_CANCELLING) {
			/* The fence aborted it on the worker; no ACK will come. */
			t->state = TT_SCHED_S_CANCELLED;
			t->end_ns = now;
			end_record(s, t, TT_JRNL_CANCELLED, t->epoch, w, TT_SCHED_END_WORKER_DEAD);
			s->ctr.cancelled[TT_SCHED_END_WORKER_DEAD]++;
			log_ev(s, now, TT_SCHED_EV_CANCELLED, t->id, w, t->epoch,
			       TT_SCHED_END_WORKER_DEAD);
			taken++;
		}
	}
	return taken;
}

/* Mark a worker dead and take back its tasks. @return tasks taken back. */
static uint32_t declare_dead(struct tt_sched *s, uint32_t w, tt_ns_t now)
{
	struct worker *wk = &s->workers[w];
	uint32_t taken;

	wk->live = false;
	wk->up_mask = 0;
	s->ctr.workers_dead++;
	/* outstanding is exactly its ASSIGNED + CANCELLING tasks: the ones take_back moves. */
	log_ev(s, now, TT_SCHED_EV_WORKER_DEAD, 0, w, wk->epoch,
	       wk->outstanding > UINT16_MAX ? UINT16_MAX : (uint16_t)wk->outstanding);
	taken = take_back(s, w, now);
	wk->outstanding = 0;
	return taken;
}

/*
 * Mark a worker live under an epoch, channels down. A live worker with a newer
 * epoch is declared dead first. 0 or -EINVAL/-EALREADY/-ESTALE.
 */
int tt_sched_worker_up(struct tt_sched *s, uint32_t worker, uint32_t epoch, uint16_t nchannels,
		       tt_ns_t now)
{
	struct worker *wk;

	if (worker >= s->cfg.max_workers || epoch == 0 || nchannels == 0 ||
	    nchannels > TT_SCHED_MAX_CHANNELS)
		return -EINVAL;
	wk = &s->workers[worker];
	if (wk->live && epoch == wk->epoch)
		return -EALREADY;
	/* A worker comes back only under a newer epoch: the fence ended the old one. */
	if (wk->epoch != 0 && epoch <= wk->epoch)
		return -ESTALE;
	if (wk->live)
		declare_dead(s, worker, now);
	*wk = (struct worker){
		.live = true,
		.nchannels = nchannels,
		.rr = (uint16_t)(nchannels - 1),
		.epoch = epoch,
	};
	s->ctr.workers_up++;
	log_ev(s, now, TT_SCHED_EV_WORKER_UP, 0, worker, epoch, nchannels);
	return 0;
}

/* T1 expired for a live worker: take its tasks back. Count or -EINVAL/-EALREADY. */
int tt_sched_worker_dead(struct tt_sched *s, uint32_t worker, tt_ns_t now)
{
	if (worker >= s->cfg.max_workers)
		return -EINVAL;
	if (!s->workers[worker].live)
		return -EALREADY;
	return (int)declare_dead(s, worker, now);
}

/* Record one channel's up/down bit. 0 or -EINVAL/-ENOENT. */
int tt_sched_channel_state(struct tt_sched *s, uint32_t worker, uint16_t channel, bool up)
{
	struct worker *wk;

	if (worker >= s->cfg.max_workers)
		return -EINVAL;
	wk = &s->workers[worker];
	if (!wk->live)
		return -ENOENT;
	if (channel >= wk->nchannels)
		return -EINVAL;
	if (up)
		wk->up_mask |= 1u << channel;
	else
		wk->up_mask &= ~(1u << channel);
	return 0;
}

/* Least outstanding first; strict < keeps the lowest id on a tie. */
static uint32_t pick_worker(const struct tt_sched *s)
{
	uint32_t best = NIL;

	for (uint32_t w = 0; w < s->cfg.max_workers; w++) {
		const struct worker *wk = &s->workers[w];

		if (!wk->live || wk->up_mask == 0 || wk->outstanding >= s->cfg.max_outstanding ||
		    (wk->cap != 0 && wk->outstanding >= wk->cap))
			continue;
		if (best == NIL || wk->outstanding < s->workers[best].outstanding)
			best = w;
	}
	return best;
}

/* The next up channel after the last one used. The caller checked one is up. */
static uint16_t pick_channel(struct worker *wk)
{
	for (uint16_t i = 1; i <= wk->nchannels; i++) {
		uint16_t c = (uint16_t)((wk->rr + i) % wk->nchannels);

		if (wk->up_mask & (1u << c)) {
			wk->rr = c;
			return c;
		}
	}
	return wk->rr;
}

static void emit(struct tt_sched_out *out, const struct task *t, uint8_t type)
{
	struct tt_sched_action *a = &out->act[out->n++];

	*a = (struct tt_sched_action){
		.worker = t->worker,
		.channel = t->channel,
		.msg = {.type = type, .task_id = t->id, .epoch = t->epoch},
	};
	if (type == TT_TMSG_ASSIGN) {
		a->msg.handler = t->handler;
		a->msg.handler_len = t->handler_len;
		a->msg.payload = t->payload;
		a->msg.payload_len = t->payload_len;
	}
}

/* Place pending tasks head first while a worker has room and out has space. Returns placed. */
int tt_sched_dispatch(struct tt_sched *s, tt_ns_t now, struct tt_sched_out *out)
{
	int placed = 0;

	reap(s);
	while (s->pend_head != NIL && out->n < TT_SCHED_OUT_MAX) {
		uint32_t w = pick_worker(s);
		struct task *t = &s->tasks[s->pend_head];
		struct worker *wk;

		if (w == NIL)
			break;
		wk = &s->workers[w];
		pend_remove(s, t);
		t->state = TT_SCHED_S_ASSIGNED;
		t->worker = w;
		t->channel = pick_channel(wk);
		if (t->attempts++ == 0)
			t->first_assign_ns = now;
		t->last_assign_ns = now;
		wk->outstanding++;
		s->ctr.assigned++;
		log_ev(s, now, TT_SCHED_EV_ASSIGN, t->id, w, t->epoch, t->channel);
		emit(out, t, TT_TMSG_ASSIGN);
		placed++;
	}
	return placed;
}

/*
 * The commit rule (DESIGN.md §1 "every assignment carries an epoch"): only
 * the current (worker, epoch) of an ASSIGNED task. The checks run in the
 * order of TT_SCHED_STALE_REASONS so each stale result has one reason.
 */
static enum tt_sched_verdict judge(const struct tt_sched *s, const struct task *t,
				   uint32_t worker, uint32_t epoch)
{
	if (t == NULL)
		return TT_SCHED_STALE_UNKNOWN_TASK;
	if (t->state == TT_SCHED_S_COMMITTED)
		return TT_SCHED_STALE_ALREADY_COMMITTED;
	if (t->state == TT_SCHED_S_CANCELLING || t->state == TT_SCHED_S_CANCELLED)
		return TT_SCHED_STALE_CANCELLED;
	/* Test-only negative control: any PENDING or ASSIGNED task takes the result. */
	if (s->cfg.epochs_disabled)
		return TT_SCHED_COMMIT;
	if (worker != t->worker)
		return TT_SCHED_STALE_WRONG_WORKER;
	if (epoch != t->epoch)
		return TT_SCHED_STALE_WRONG_EPOCH;
	if (t->state != TT_SCHED_S_ASSIGNED)
		return TT_SCHED_STALE_NOT_ASSIGNED;
	return TT_SCHED_COMMIT;
}

/*
 * The worker answered BUSY: its task table (its own max_outstanding) is
 * smaller than ours, and it ran nothing, so committing would report a task
 * done that never ran. Back to the front of PENDING under a new epoch (a
 * repeated answer of this attempt is stale), and the worker is held to the
 * tasks it holds now, so that dispatch does not bounce the task off it.
 */
static void requeue_busy(struct tt_sched *s, struct task *t, tt_ns_t now)
{
	struct worker *wk = &s->workers[t->worker];

	wk->outstanding--;
	wk->cap = wk->outstanding > 0 ? wk->outstanding : 1;
	log_ev(s, now, TT_SCHED_EV_RESULT_BUSY, t->id, t->worker, t->epoch, TT_TMSG_ST_BUSY);
	t->state = TT_SCHED_S_PENDING;
	t->epoch++;
	pend_push_head(s, t);
	s->ctr.busy_requeued++;
}

/* Judge a RESULT, then commit it or log it stale. Returns the verdict (counted). */
enum tt_sched_verdict tt_sched_result(struct tt_sched *s, uint32_t worker, uint64_t task_id,
				      uint32_t epoch, uint8_t status, tt_ns_t now)
{
	struct task *t = find(s, task_id);
	enum tt_sched_verdict v = judge(s, t, worker, epoch);

	if (v == TT_SCHED_COMMIT && status == TT_TMSG_ST_BUSY && t->state == TT_SCHED_S_ASSIGNED &&
	    worker == t->worker && epoch == t->epoch) {
		requeue_busy(s, t, now);
		return v;
	}
	s->ctr.results[v]++;
	if (v != TT_SCHED_COMMIT) {
		s->ctr.stale++;
		log_ev(s, now, TT_SCHED_EV_RESULT_STALE, task_id, worker, epoch, (uint16_t)v);
		return v;
	}
	if (t->state != TT_SCHED_S_ASSIGNED || worker != t->worker || epoch != t->epoch)
		s->ctr.epochs_bypassed++;
	if (t->state == TT_SCHED_S_PENDING)
		pend_remove(s, t);
	else
		s->workers[t->worker].outstanding--;
	t->state = TT_SCHED_S_COMMITTED;
	t->status = status;
	t->end_ns = now;
	/* The committed attempt is the RESULT's: what a replay must find (journal.h COMMIT). */
	end_record(s, t, TT_JRNL_COMMIT, epoch, worker, status);
	/* Log what arrived, not what was expected: a checker compares it with the last ASSIGN. */
	log_ev(s, now, TT_SCHED_EV_RESULT_COMMIT, task_id, worker, epoch, status);
	return v;
}

/* PENDING -> CANCELLED; ASSIGNED -> CANCELLING (+ CANCEL if its channel is up). 0 or -errno. */
int tt_sched_cancel(struct tt_sched *s, uint64_t task_id, tt_ns_t now, struct tt_sched_out *out)
{
	struct task *t = find(s, task_id);
	enum tt_sched_cancel_route route;

	if (t == NULL)
		return -ENOENT;
	switch (t->state) {
	case TT_SCHED_S_PENDING:
		pend_remove(s, t);
		t->state = TT_SCHED_S_CANCELLED;
		t->end_ns = now;
		end_record(s, t, TT_JRNL_CANCELLED, t->epoch, t->worker, TT_SCHED_END_WAS_PENDING);
		s->ctr.cancels[TT_SCHED_CANCEL_PENDING]++;
		s->ctr.cancelled[TT_SCHED_END_WAS_PENDING]++;
		log_ev(s, now, TT_SCHED_EV_CANCEL, t->id, t->worker, t->epoch,
		       TT_SCHED_CANCEL_PENDING);
		log_ev(s, now, TT_SCHED_EV_CANCELLED, t->id, t->worker, t->epoch,
		       TT_SCHED_END_WAS_PENDING);
		return 0;
	case TT_SCHED_S_ASSIGNED:
		break;
	default:
		return -EALREADY;
	}
	if (out->n >= TT_SCHED_OUT_MAX)
		return -ENOBUFS;
	/*
	 * Only on the task's own channel: the channel is in order, so the worker
	 * has seen the ASSIGN before the CANCEL. If that channel is down the
	 * fence path ends the task (DESIGN.md §1 steps 3-5): the worker stops at
	 * T2, the master hears of it at T1, and the task is never reassigned.
	 */
	if (s->workers[t->worker].up_mask & (1u << t->channel)) {
		route = TT_SCHED_CANCEL_SENT;
		emit(out, t, TT_TMSG_CANCEL);
	} else {
		route = TT_SCHED_CANCEL_DEFERRED;
	}
	t->state = TT_SCHED_S_CANCELLING;
	s->ctr.cancels[route]++;
	log_ev(s, now, TT_SCHED_EV_CANCEL, t->id, t->worker, t->epoch, (uint16_t)route);
	return 0;
}

/* CANCELLING -> CANCELLED when the ACK names the current (worker, epoch). 0 or -ESTALE. */
int tt_sched_cancel_ack(struct tt_sched *s, uint32_t worker, uint64_t task_id, uint32_t epoch,
			uint8_t outcome, tt_ns_t now)
{
	struct task *t = find(s, task_id);

	if (t == NULL || t->state != TT_SCHED_S_CANCELLING || t->worker != worker ||
	    t->epoch != epoch || outcome >= TT_TMSG_CANCEL_OUTCOME_MAX) {
		s->ctr.cancel_ack_stale++;
		return -ESTALE;
	}
	t->state = TT_SCHED_S_CANCELLED;
	t->end_ns = now;
	end_record(s, t, TT_JRNL_CANCELLED, epoch, worker, TT_SCHED_END_ACK);
	s->workers[worker].outstanding--;
	s->ctr.cancel_acks[outcome]++;
	s->ctr.cancelled[TT_SCHED_END_ACK]++;
	log_ev(s, now, TT_SCHED_EV_CANCELLED, t->id, worker, epoch, TT_SCHED_END_ACK);
	return 0;
}

/*
 * Free a finished task's slot once its end record is done; the next id of the
 * slot has a higher generation. A restored task is the table's to release
 * (reap()). 0 or -errno.
 */
int tt_sched_release(struct tt_sched *s, uint64_t task_id)
{
	struct task *t = find(s, task_id);

	if (t == NULL)
		return -ENOENT;
	if (t->state != TT_SCHED_S_COMMITTED && t->state != TT_SCHED_S_CANCELLED)
		return -EBUSY;
	if (t->restored)
		return -EPERM;
	if (!end_done(s, t)) {
		s->ctr.release_not_done++;
		return -EAGAIN;
	}
	free_slot(s, t);
	s->ctr.released++;
	return 0;
}

int tt_sched_task(const struct tt_sched *s, uint64_t task_id, struct tt_sched_task_info *info)
{
	const struct task *t = find(s, task_id);

	if (t == NULL)
		return -ENOENT;
	*info = (struct tt_sched_task_info){
		.state = t->state,
		.status = t->status,
		.channel = t->channel,
		.worker = t->worker,
		.epoch = t->epoch,
		.attempts = t->attempts,
		.submit_ns = t->submit_ns,
		.first_assign_ns = t->first_assign_ns,
		.last_assign_ns = t->last_assign_ns,
		.end_ns = t->end_ns,
		.restored = t->restored,
	};
	return 0;
}

int tt_sched_worker(const struct tt_sched *s, uint32_t worker, struct tt_sched_worker_info *info)
{
	const struct worker *wk;

	if (worker >= s->cfg.max_workers)
		return -EINVAL;
	wk = &s->workers[worker];
	*info = (struct tt_sched_worker_info){
		.live = wk->live,
		.epoch = wk->epoch,
		.nchannels = wk->nchannels,
		.up_mask = wk->up_mask,
		.outstanding = wk->outstanding,
		.cap = wk->cap,
	};
	return 0;
}

uint32_t tt_sched_pending(const struct tt_sched *s)
{
	return s->npending;
}

uint32_t tt_sched_log_len(const struct tt_sched *s)
{
	return s->log_len;
}

const struct tt_sched_counters *tt_sched_counters(const struct tt_sched *s)
{
	return &s->ctr;
}
