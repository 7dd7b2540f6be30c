/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's task runner. Contract in runner.h.
 *
 * Tasks live in a fixed array of slots, each with its own result buffer of
 * max_result bytes, allocated at create. Every per-message operation is O(1)
 * or O(log tasks in flight), never a scan of the slots (issue 6: the scans of
 * tt_run_tick() and tt_run_next_deadline() over max_tasks slots on every loop
 * pass took 30 % of the polling lcore):
 *  - free slots: a stack of slot indexes;
 *  - task id -> slot: a chained hash (buckets of slot indexes, a link per
 *    slot), 2 buckets per slot;
 *  - due times: a binary min-heap of the slots in flight, ordered by
 *    (due_ns, acceptance number), each slot knowing its heap position so that
 *    a cancel or a superseded attempt leaves the heap in O(log n).
 */
#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_bytes.h"
#include "tt_crc32.h"
#include "tt_names.h"

/* Index meaning "no slot" in hash chains. */
#define NIL UINT32_MAX

struct slot {
	bool used;
	uint8_t status;
	uint16_t channel;
	uint32_t epoch;
	uint32_t out_len;
	uint32_t hnext;		/* next slot in the hash chain, NIL ends */
	uint32_t hpos;		/* position in the due heap while used */
	uint64_t task_id;
	uint64_t seq;		/* acceptance number: ties in due time release in order */
	tt_ns_t due_ns;
	uint8_t *buf;		/* max_result bytes */
};

struct reply {
	uint64_t task_id;
	uint32_t epoch;
	uint16_t channel;
	uint8_t status;
	tt_ns_t queued_ns;
};

struct handler {
	char name[TT_TMSG_HANDLER_MAX];
	uint8_t len;
	tt_run_handler_fn fn;
	void *ctx;
};

struct tt_run {
	struct tt_run_config cfg;
	bool fenced;
	uint32_t epoch;
	uint32_t in_flight;
	uint32_t nhandlers;
	uint32_t reply_head, nreplies;
	struct slot *slots;
	uint32_t *free;		/* stack of free slot indexes */
	uint32_t nfree;
	uint32_t *heap;		/* slots in flight, min-heap on (due_ns, seq) */
	uint32_t *bucket;	/* task id hash -> first slot, NIL if none */
	uint32_t hmask;		/* buckets - 1 */
	uint64_t seq;
	struct reply *replies;
	struct handler *handlers;
	uint8_t *bufs;
	struct tt_run_counters ctr;
};

static const char *const verdict_names[] = {
#define TT_X(name, str) [TT_RUN_##name] = #name,
	TT_RUN_VERDICTS(TT_X)
#undef TT_X
};

const char *tt_run_verdict_name(unsigned int verdict)
{
	return TT_NAME_AT(verdict_names, verdict, "?");
}

/* One CRC implementation for the engine: tt_crc32.c. */
uint32_t tt_run_crc32(const uint8_t *buf, size_t len)
{
	return tt_crc32(buf, len);
}

/* Buckets for the task hash: a power of two, at least twice the slots. */
static uint32_t bucket_count(uint32_t max_tasks)
{
	uint32_t n = 2;

	while (n < 2 * (uint64_t)max_tasks && n < (1u << 31))
		n <<= 1;
	return n;
}

/* Empty every index: all slots free (stack order: slot 0 on top), heap and hash empty. */
static void reset_tasks(struct tt_run *r)
{
	for (uint32_t i = 0; i < r->cfg.max_tasks; i++) {
		r->slots[i].used = false;
		r->free[i] = r->cfg.max_tasks - 1 - i;
	}
	r->nfree = r->cfg.max_tasks;
	for (uint32_t b = 0; b <= r->hmask; b++)
		r->bucket[b] = NIL;
	r->in_flight = 0;
}

/* Validate the sizes; allocate slots, indexes, result buffers, reply ring, registry. */
struct tt_run *tt_run_create(const struct tt_run_config *cfg)
{
	struct tt_run *r;
	uint32_t nb;

	if (cfg == NULL || cfg->max_tasks == 0 || cfg->max_handlers == 0 ||
	    cfg->max_result > TT_TMSG_MAX_PAYLOAD || cfg->reply_cap == 0 || cfg->epoch == 0) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto fail;
	nb = bucket_count(cfg->max_tasks);
	r->slots = calloc(cfg->max_tasks, sizeof(*r->slots));
	r->free = calloc(cfg->max_tasks, sizeof(*r->free));
	r->heap = calloc(cfg->max_tasks, sizeof(*r->heap));
	r->bucket = calloc(nb, sizeof(*r->bucket));
	r->replies = calloc(cfg->reply_cap, sizeof(*r->replies));
	r->handlers = calloc(cfg->max_handlers, sizeof(*r->handlers));
	/* One block for every result buffer; +1 so a 0-byte max_result still allocates. */
	r->bufs = malloc((size_t)cfg->max_tasks * cfg->max_result + 1);
	if (r->slots == NULL || r->free == NULL || r->heap == NULL || r->bucket == NULL ||
	    r->replies == NULL || r->handlers == NULL || r->bufs == NULL)
		goto fail_parts;
	for (uint32_t i = 0; i < cfg->max_tasks; i++)
		r->slots[i].buf = r->bufs + (size_t)i * cfg->max_result;
	r->cfg = *cfg;
	r->epoch = cfg->epoch;
	r->hmask = nb - 1;
	reset_tasks(r);
	return r;

fail_parts:
	free(r->bufs);
	free(r->handlers);
	free(r->replies);
	free(r->bucket);
	free(r->heap);
	free(r->free);
	free(r->slots);
	free(r);
fail:
	errno = ENOMEM;
	return NULL;
}

void tt_run_destroy(struct tt_run *r)
{
	if (r == NULL)
		return;
	free(r->bufs);
	free(r->handlers);
	free(r->replies);
	free(r->bucket);
	free(r->heap);
	free(r->free);
	free(r->slots);
	free(r);
}

static const struct handler *find_handler(const struct tt_run *r, const char *name, size_t len)
{
	for (uint32_t i = 0; i < r->nhandlers; i++) {
		const struct handler *h = &r->handlers[i];

		if (h->len == len && memcmp(h->name, name, len) == 0)
			return h;
	}
	return NULL;
}

/* Append a handler to the registry. 0 or -EINVAL/-EEXIST/-ENOSPC. */
int tt_run_register(struct tt_run *r, const char *name, tt_run_handler_fn fn, void *ctx)
{
	size_t len;
	struct handler *h;

	if (name == NULL || fn == NULL)
		return -EINVAL;
	len = strnlen(name, TT_TMSG_HANDLER_MAX + 1);
	if (!tt_tmsg_handler_valid(name, len))
		return -EINVAL;
	if (find_handler(r, name, len) != NULL)
		return -EEXIST;
	if (r->nhandlers >= r->cfg.max_handlers)
		return -ENOSPC;
	h = &r->handlers[r->nhandlers++];
	memcpy(h->name, name, len);
	h->len = (uint8_t)len;
	h->fn = fn;
	h->ctx = ctx;
	return 0;
}

static enum tt_tmsg_status copy_out(struct tt_run_call *c)
{
	if (c->in_len > c->out_cap)
		return TT_TMSG_ST_TOO_LARGE;
	if (c->in_len > 0)
		memcpy(c->out, c->in, c->in_len);
	c->out_len = c->in_len;
	return TT_TMSG_ST_OK;
}

static enum tt_tmsg_status h_echo(void *ctx, struct tt_run_call *c)
{
	(void)ctx;
	return copy_out(c);
}

static enum tt_tmsg_status h_crc32(void *ctx, struct tt_run_call *c)
{
	uint32_t crc = tt_run_crc32(c->in, c->in_len);

	(void)ctx;
	if (c->out_cap < 4)
		return TT_TMSG_ST_TOO_LARGE;
	tt_put_be32(c->out, crc);
	c->out_len = 4;
	return TT_TMSG_ST_OK;
}

static enum tt_tmsg_status h_spin(void *ctx, struct tt_run_call *c)
{
	uint32_t us;

	(void)ctx;
	if (c->in_len < 4)
		return TT_TMSG_ST_BAD_PAYLOAD;
	us = tt_get_be32(c->in);
	/* Injected virtual time: the runner holds the result, nothing spins. */
	c->busy_ns = tt_us_to_ns(us);
	return copy_out(c);
}

int tt_run_register_reference(struct tt_run *r)
{
	int rc = tt_run_register(r, "echo", h_echo, NULL);

	if (rc == 0)
		rc = tt_run_register(r, "crc32", h_crc32, NULL);
	if (rc == 0)
		rc = tt_run_register(r, "spin", h_spin, NULL);
	return rc;
}

/* Task ids are sequential per master: Fibonacci hashing spreads them over the buckets. */
static uint32_t task_bucket(const struct tt_run *r, uint64_t task_id)
{
	return (uint32_t)((task_id * 0x9e3779b97f4a7c15ull) >> 32) & r->hmask;
}

static struct slot *find_task(struct tt_run *r, uint64_t task_id)
{
	for (uint32_t i = r->bucket[task_bucket(r, task_id)]; i != NIL; i = r->slots[i].hnext)
		if (r->slots[i].task_id == task_id)
			return &r->slots[i];
	return NULL;
}

static void hash_insert(struct tt_run *r, uint32_t i)
{
	uint32_t *head = &r->bucket[task_bucket(r, r->slots[i].task_id)];

	r->slots[i].hnext = *head;
	*head = i;
}

static void hash_remove(struct tt_run *r, uint32_t i)
{
	uint32_t *link = &r->bucket[task_bucket(r, r->slots[i].task_id)];

	while (*link != i)
		link = &r->slots[*link].hnext;
	*link = r->slots[i].hnext;
}

/* Heap order: earlier due time first (wrap-safe), then earlier acceptance. */
static bool due_before(const struct slot *a, const struct slot *b)
{
	if (a->due_ns != b->due_ns)
		return tt_time_before(a->due_ns, b->due_ns);
	return a->seq < b->seq;
}

static void heap_set(struct tt_run *r, uint32_t pos, uint32_t i)
{
	r->heap[pos] = i;
	r->slots[i].hpos = pos;
}

/* Restore the heap order around pos (its entry moved either way). */
static void heap_fix(struct tt_run *r, uint32_t pos)
{
	uint32_t i = r->heap[pos];

	while (pos > 0) {
		uint32_t up = (pos - 1) / 2;

		if (!due_before(&r->slots[i], &r->slots[r->heap[up]]))
			break;
		heap_set(r, pos, r->heap[up]);
		pos = up;
	}
	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= r->in_flight)
			break;
		if (c + 1 < r->in_flight &&
		    due_before(&r->slots[r->heap[c + 1]], &r->slots[r->heap[c]]))
			c++;
		if (!due_before(&r->slots[r->heap[c]], &r->slots[i]))
			break;
		heap_set(r, pos, r->heap[c]);
		pos = c;
	}
	heap_set(r, pos, i);
}

/* Take a free slot off the stack; NULL if every slot is in flight. */
static struct slot *free_slot(struct tt_run *r)
{
	if (r->nfree == 0)
		return NULL;
	return &r->slots[r->free[r->nfree - 1]];
}

/* The slot free_slot() returned, now filled: index it by task id and due time. */
static void commit_slot(struct tt_run *r, struct slot *sl)
{
	uint32_t i = (uint32_t)(sl - r->slots);

	r->nfree--;
	hash_insert(r, i);
	heap_set(r, r->in_flight++, i);
	heap_fix(r, r->in_flight - 1);
}

/* Leave every index and give the slot back. */
static void drop_slot(struct tt_run *r, struct slot *sl)
{
	uint32_t i = (uint32_t)(sl - r->slots);
	uint32_t pos = sl->hpos;

	hash_remove(r, i);
	sl->used = false;
	r->in_flight--;
	if (pos < r->in_flight) {
		heap_set(r, pos, r->heap[r->in_flight]);
		heap_fix(r, pos);
	}
	r->free[r->nfree++] = i;
}

/* Queue a refusal so the master learns the task did not run; a full queue drops and counts. */
static void queue_reply(struct tt_run *r, const struct tt_tmsg *msg, uint16_t channel,
			enum tt_tmsg_status status, tt_ns_t now)
{
	if (r->nreplies >= r->cfg.reply_cap) {
		r->ctr.replies_dropped++;
		return;
	}
	r->replies[(r->reply_head + r->nreplies++) % r->cfg.reply_cap] = (struct reply){
		.task_id = msg->task_id,
		.epoch = msg->epoch,
		.channel = channel,
		.status = (uint8_t)status,
		.queued_ns = now,
	};
}

/*
 * Decide on one ASSIGN, in order: fenced (DESIGN.md §1 step 4: nothing runs
 * after the fence), malformed, same task already held, handler, room.
 */
static enum tt_run_verdict admit(struct tt_run *r, const struct tt_tmsg *msg, uint16_t channel,
				 tt_ns_t now)
{
	const struct handler *h;
	struct slot *sl;
	struct tt_run_call call;
	enum tt_tmsg_status st;

	if (r->fenced)
		return TT_RUN_FENCED;
	if (msg == NULL || msg->type != TT_TMSG_ASSIGN || msg->task_id == 0 || msg->epoch == 0 ||
	    (msg->payload == NULL && msg->payload_len > 0))
		return TT_RUN_NOT_ASSIGN;
	sl = find_task(r, msg->task_id);
	if (sl != NULL) {
		if (sl->epoch == msg->epoch)
			return TT_RUN_DUPLICATE;
		if (sl->epoch > msg->epoch)
			return TT_RUN_STALE;
		/*
		 * The master issues a newer epoch only after it gave the old
		 * attempt up: the old RESULT would be stale, so stop it here.
		 */
		drop_slot(r, sl);
		r->ctr.superseded++;
	}
	h = find_handler(r, msg->handler, msg->handler_len);
	if (h == NULL) {
		queue_reply(r, msg, channel, TT_TMSG_ST_NO_HANDLER, now);
		return TT_RUN_NO_HANDLER;
	}
	sl = free_slot(r);
	if (sl == NULL) {
		queue_reply(r, msg, channel, TT_TMSG_ST_BUSY, now);
		return TT_RUN_FULL;
	}
	call = (struct tt_run_call){
		.in = msg->payload,
		.in_len = msg->payload_len,
		.out = sl->buf,
		.out_cap = r->cfg.max_result,
	};
	st = h->fn(h->ctx, &call);
	if ((unsigned int)st >= TT_TMSG_ST_MAX)
		st = TT_TMSG_ST_FAILED;
	*sl = (struct slot){
		.used = true,
		.status = (uint8_t)st,
		.channel = channel,
		.epoch = msg->epoch,
		/* Whatever a failed handler wrote is not a result: send none of it. */
		.out_len =
			st == TT_TMSG_ST_OK && call.out_len <= r->cfg.max_result ? call.out_len : 0,
		.task_id = msg->task_id,
		.seq = r->seq++,
		.due_ns = now + call.busy_ns,
		.buf = sl->buf,
	};
	commit_slot(r, sl);
	return TT_RUN_ACCEPTED;
}

enum tt_run_verdict tt_run_assign(struct tt_run *r, const struct tt_tmsg *msg, uint16_t channel,
				  tt_ns_t now)
{
	enum tt_run_verdict v = admit(r, msg, channel, now);

	r->ctr.assigns[v]++;
	return v;
}

static void put_result(struct tt_run_out *out, uint16_t channel, uint64_t task_id,
		       uint32_t epoch, uint8_t status, const uint8_t *payload, uint32_t len)
{
	out->send[out->n++] = (struct tt_run_send){
		.channel = channel,
		.msg = {
			.type = TT_TMSG_RESULT,
			.task_id = task_id,
			.epoch = epoch,
			.status = status,
			.payload = len > 0 ? payload : NULL,
			.payload_len = len,
		},
	};
}

/* Replies first (they are already due), then due tasks off the heap top. Returns appended. */
int tt_run_tick(struct tt_run *r, tt_ns_t now, struct tt_run_out *out)
{
	uint32_t start = out->n;

	/* DESIGN.md §1 step 4: after the fence, no result, ever. */
	if (r->fenced)
		return 0;
	while (r->nreplies > 0 && out->n < TT_RUN_OUT_MAX) {
		const struct reply *rp = &r->replies[r->reply_head];

		put_result(out, rp->channel, rp->task_id, rp->epoch, rp->status, NULL, 0);
		r->reply_head = (r->reply_head + 1) % r->cfg.reply_cap;
		r->nreplies--;
		r->ctr.replies_sent++;
	}
	while (r->in_flight > 0 && out->n < TT_RUN_OUT_MAX) {
		struct slot *sl = &r->slots[r->heap[0]];

		if (!tt_time_reached(now, sl->due_ns))
			break;
		put_result(out, sl->channel, sl->task_id, sl->epoch, sl->status, sl->buf,
			   sl->out_len);
		drop_slot(r, sl);
		r->ctr.results_sent++;
	}
	return (int)(out->n - start);
}

/* Abort the named attempt if held, and acknowledge either way. 1, 0 (fenced) or -ENOBUFS. */
int tt_run_cancel(struct tt_run *r, uint64_t task_id, uint32_t epoch, uint16_t channel,
		  tt_ns_t now, struct tt_run_out *out)
{
	struct slot *sl;
	uint8_t outcome;

	(void)now;
	if (r->fenced) {
		r->ctr.cancel_fenced++;
		return 0;
	}
	if (out->n >= TT_RUN_OUT_MAX)
		return -ENOBUFS;
	sl = find_task(r, task_id);
	/* A CANCEL names one attempt: another epoch of the same task is left alone. */
	if (sl != NULL && sl->epoch == epoch) {
		drop_slot(r, sl);
		outcome = TT_TMSG_CANCEL_ABORTED;
		r->ctr.cancel_aborted++;
	} else {
		outcome = TT_TMSG_CANCEL_NOT_HELD;
		r->ctr.cancel_not_held++;
	}
	out->send[out->n++] = (struct tt_run_send){
		.channel = channel,
		.msg = {.type = TT_TMSG_CANCEL_ACK,
			.task_id = task_id,
			.epoch = epoch,
			.outcome = outcome},
	};
	return 1;
}

/* Drop every slot and queued reply and stop emitting. Returns tasks aborted. */
int tt_run_fence(struct tt_run *r, tt_ns_t now)
{
	int aborted;

	(void)now;
	if (r->fenced)
		return 0;
	aborted = (int)r->in_flight;
	reset_tasks(r);
	r->ctr.fence_replies_dropped += r->nreplies;
	r->nreplies = 0;
	r->reply_head = 0;
	r->fenced = true;
	r->ctr.fences++;
	r->ctr.fence_aborted += (uint64_t)aborted;
	return aborted;
}

/* Leave the fence under a strictly newer epoch. 0 or -EBUSY/-ESTALE. */
int tt_run_rejoin(struct tt_run *r, uint32_t new_epoch, tt_ns_t now)
{
	(void)now;
	if (!r->fenced)
		return -EBUSY;
	if (new_epoch <= r->epoch)
		return -ESTALE;
	r->epoch = new_epoch;
	r->fenced = false;
	r->ctr.rejoins++;
	return 0;
}

/* Earliest of the oldest queued reply and the heap top. 0 or -ENOENT. */
int tt_run_next_deadline(const struct tt_run *r, tt_ns_t *deadline)
{
	if (r->fenced)
		return -ENOENT;
	if (r->nreplies > 0) {
		tt_ns_t best = r->replies[r->reply_head].queued_ns;

		if (r->in_flight > 0)
			best = tt_time_min(best, r->slots[r->heap[0]].due_ns);
		*deadline = best;
		return 0;
	}
	if (r->in_flight == 0)
		return -ENOENT;
	*deadline = r->slots[r->heap[0]].due_ns;
	return 0;
}

uint32_t tt_run_in_flight(const struct tt_run *r)
{
	return r->in_flight;
}

bool tt_run_fenced(const struct tt_run *r)
{
	return r->fenced;
}

uint32_t tt_run_epoch(const struct tt_run *r)
{
	return r->epoch;
}

const struct tt_run_counters *tt_run_counters(const struct tt_run *r)
{
	return &r->ctr;
}
