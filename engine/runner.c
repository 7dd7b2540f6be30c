/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's task runner. Contract in runner.h.
 *
 * Tasks live in a fixed array of slots, each with its own result buffer of
 * max_result bytes, allocated at create. Lookups scan the slots: the table
 * is sized to the tasks one worker holds at once (tens), where a scan beats
 * a hash.
 */

#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_bytes.h"
#include "tt_crc32.h"
#include "tt_names.h"

struct slot {
	bool used;
	uint8_t status;
	uint16_t channel;
	uint32_t epoch;
	uint32_t out_len;
	uint64_t task_id;
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

/* Validate the sizes; allocate slots, result buffers, reply ring, registry. NULL + errno. */
struct tt_run *tt_run_create(const struct tt_run_config *cfg)
{
	struct tt_run *r;

	if (cfg == NULL || cfg->max_tasks == 0 || cfg->max_handlers == 0 ||
	    cfg->max_result > TT_TMSG_MAX_PAYLOAD || cfg->reply_cap == 0 || cfg->epoch == 0) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto fail;
	r->slots = calloc(cfg->max_tasks, sizeof(*r->slots));
	r->replies = calloc(cfg->reply_cap, sizeof(*r->replies));
	r->handlers = calloc(cfg->max_handlers, sizeof(*r->handlers));
	/* One block for every result buffer; +1 so a 0-byte max_result still allocates. */
	r->bufs = malloc((size_t)cfg->max_tasks * cfg->max_result + 1);
	if (r->slots == NULL || r->replies == NULL || r->handlers == NULL || r->bufs == NULL)
		goto fail_parts;
	for (uint32_t i = 0; i < cfg->max_tasks; i++)
		r->slots[i].buf = r->bufs + (size_t)i * cfg->max_result;
	r->cfg = *cfg;
	r->epoch = cfg->epoch;
	return r;

fail_parts:
	free(r->bufs);
	free(r->handlers);
	free(r->replies);
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

static struct slot *find_task(struct tt_run *r, uint64_t task_id)
{
	for (uint32_t i = 0; i < r->cfg.max_tasks; i++)
		if (r->slots[i].used && r->slots[i].task_id == task_id)
			return &r->slots[i];
	return NULL;
}

static struct slot *free_slot(struct tt_run *r)
{
	for (uint32_t i = 0; i < r->cfg.max_tasks; i++)
		if (!r->slots[i].used)
			return &r->slots[i];
	return NULL;
}

static void drop_slot(struct tt_run *r, struct slot *sl)
{
	sl->used = false;
	r->in_flight--;
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
		.due_ns = now + call.busy_ns,
		.buf = sl->buf,
	};
	r->in_flight++;
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

/* Replies first (they are already due), then due tasks in slot order. Returns appended. */
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
	for (uint32_t i = 0; i < r->cfg.max_tasks && out->n < TT_RUN_OUT_MAX; i++) {
		struct slot *sl = &r->slots[i];

		if (!sl->used || !tt_time_reached(now, sl->due_ns))
			continue;
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
	int aborted = 0;

	(void)now;
	if (r->fenced)
		return 0;
	for (uint32_t i = 0; i < r->cfg.max_tasks; i++) {
		if (r->slots[i].used) {
			drop_slot(r, &r->slots[i]);
			aborted++;
		}
	}
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

/* Earliest of the oldest queued reply and every slot's due time. 0 or -ENOENT. */
int tt_run_next_deadline(const struct tt_run *r, tt_ns_t *deadline)
{
	bool any = false;
	tt_ns_t best = 0;

	if (r->fenced)
		return -ENOENT;
	if (r->nreplies > 0) {
		best = r->replies[r->reply_head].queued_ns;
		any = true;
	}
	for (uint32_t i = 0; i < r->cfg.max_tasks; i++) {
		const struct slot *sl = &r->slots[i];

		if (!sl->used)
			continue;
		best = any ? tt_time_min(best, sl->due_ns) : sl->due_ns;
		any = true;
	}
	if (!any)
		return -ENOENT;
	*deadline = best;
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
