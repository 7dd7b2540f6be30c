/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Master journal: record layout in journal.h. Encode and decode check records
 * with the same function (rec_valid), so whatever encode writes, decode
 * accepts, and what decode refuses, encode never writes.
 */

#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"
#include "tt_bytes.h"
#include "tt_crc32.h"
#include "tt_names.h"

/* Header field offsets (journal.h). */
#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_TYPE 5
#define OFF_RESERVED 6
#define OFF_SEQ 8
#define OFF_BODY_LEN 16
#define OFF_HDR_CRC 20
#define OFF_REC_CRC 24

static const char *const type_names[] = {
#define TT_X(name, val, str) [val] = str,
	TT_JRNL_TYPES(TT_X)
#undef TT_X
};

static const char *const stop_names[] = {
	[TT_JRNL_END] = "END",
#define TT_X(name, str) [TT_JRNL_STOP_##name] = #name,
	TT_JRNL_STOPS(TT_X)
#undef TT_X
};

static const char *const stop_rules[] = {
	[TT_JRNL_END] = "every byte is a whole, valid record",
#define TT_X(name, str) [TT_JRNL_STOP_##name] = str,
	TT_JRNL_STOPS(TT_X)
#undef TT_X
};

const char *tt_jrnl_type_name(unsigned int type)
{
	return TT_NAME_AT(type_names, type, "?");
}

const char *tt_jrnl_stop_name(unsigned int stop)
{
	return TT_NAME_AT(stop_names, stop, "?");
}

const char *tt_jrnl_stop_rule(unsigned int stop)
{
	return TT_NAME_AT(stop_rules, stop, "?");
}

static bool type_known(unsigned int type)
{
	return type >= TT_JRNL_MASTER_START && type < TT_JRNL_TYPE_END;
}

/*
 * The body length a header may announce for its type. A SUBMIT's exact
 * length depends on its body (16 + H + P, checked with the body); here only
 * its bounds.
 */
static bool body_len_ok(unsigned int type, uint32_t blen)
{
	switch (type) {
	case TT_JRNL_MASTER_START:
		return blen == TT_JRNL_MASTER_START_LEN;
	case TT_JRNL_SUBMIT:
		return blen > TT_JRNL_SUBMIT_FIXED_LEN && blen <= TT_JRNL_MAX_BODY;
	case TT_JRNL_COMMIT:
		return blen == TT_JRNL_COMMIT_LEN;
	case TT_JRNL_CANCELLED:
		return blen == TT_JRNL_CANCELLED_LEN;
	default:
		return false;
	}
}

/* Whether a record's fields are what journal.h allows for its type. */
static bool rec_valid(const struct tt_jrnl_rec *rec)
{
	switch (rec->type) {
	case TT_JRNL_MASTER_START:
		return rec->gen >= 1 && rec->gen <= TT_JRNL_GEN_MAX &&
		       rec->epoch_base == tt_jrnl_epoch_base(rec->gen);
	case TT_JRNL_SUBMIT:
		return rec->task_id != 0 && tt_tmsg_handler_valid(rec->handler, rec->handler_len) &&
		       (rec->payload != NULL || rec->payload_len == 0) &&
		       rec->payload_len <= TT_JRNL_PAYLOAD_MAX(rec->handler_len);
	case TT_JRNL_COMMIT:
		return rec->task_id != 0 && rec->epoch != 0 && rec->status < TT_TMSG_ST_MAX;
	case TT_JRNL_CANCELLED:
		return rec->task_id != 0 && rec->epoch != 0 &&
		       rec->status < TT_SCHED_CANCEL_END_MAX;
	default:
		return false;
	}
}

size_t tt_jrnl_encoded_len(const struct tt_jrnl_rec *rec)
{
	if (rec == NULL || !rec_valid(rec))
		return 0;
	switch (rec->type) {
	case TT_JRNL_MASTER_START:
		return TT_JRNL_HDR_LEN + TT_JRNL_MASTER_START_LEN;
	case TT_JRNL_SUBMIT:
		return TT_JRNL_HDR_LEN + TT_JRNL_SUBMIT_FIXED_LEN + (size_t)rec->handler_len +
		       rec->payload_len;
	case TT_JRNL_COMMIT:
		return TT_JRNL_HDR_LEN + TT_JRNL_COMMIT_LEN;
	default:
		return TT_JRNL_HDR_LEN + TT_JRNL_CANCELLED_LEN;
	}
}

/* Header, then body, then the two CRCs over what was written. Bytes or -errno. */
int tt_jrnl_encode(const struct tt_jrnl_rec *rec, uint64_t seq, uint8_t *buf, size_t cap)
{
	size_t len = tt_jrnl_encoded_len(rec);
	uint8_t *b;

	if (len == 0 || seq == 0 || buf == NULL)
		return -EINVAL;
	if (cap < len)
		return -ENOBUFS;
	memset(buf, 0, TT_JRNL_HDR_LEN);
	tt_put_be32(buf + OFF_MAGIC, TT_JRNL_MAGIC);
	buf[OFF_VERSION] = TT_JRNL_VERSION;
	buf[OFF_TYPE] = rec->type;
	tt_put_be64(buf + OFF_SEQ, seq);
	tt_put_be32(buf + OFF_BODY_LEN, (uint32_t)(len - TT_JRNL_HDR_LEN));

	b = buf + TT_JRNL_HDR_LEN;
	switch (rec->type) {
	case TT_JRNL_MASTER_START:
		tt_put_be32(b, rec->gen);
		tt_put_be32(b + 4, rec->epoch_base);
		break;
	case TT_JRNL_SUBMIT:
		tt_put_be64(b, rec->task_id);
		b[8] = rec->handler_len;
		b[9] = b[10] = b[11] = 0;
		tt_put_be32(b + 12, rec->payload_len);
		memcpy(b + 16, rec->handler, rec->handler_len);
		if (rec->payload_len > 0)
			memcpy(b + 16 + rec->handler_len, rec->payload, rec->payload_len);
		break;
	default: /* COMMIT, CANCELLED: the same layout */
		tt_put_be64(b, rec->task_id);
		tt_put_be32(b + 8, rec->epoch);
		tt_put_be32(b + 12, rec->worker);
		b[16] = rec->status;
		b[17] = b[18] = b[19] = 0;
		break;
	}
	tt_put_be32(buf + OFF_HDR_CRC, tt_crc32(buf, OFF_HDR_CRC));
	tt_put_be32(buf + OFF_REC_CRC,
		    tt_crc32_update(tt_crc32(buf, OFF_REC_CRC), buf + TT_JRNL_HDR_LEN,
				    len - TT_JRNL_HDR_LEN));
	return (int)len;
}

void tt_jrnl_dec_init(struct tt_jrnl_dec *d, const uint8_t *buf, size_t len)
{
	*d = (struct tt_jrnl_dec){
		.buf = buf,
		.len = buf != NULL ? len : 0,
		.next_seq = TT_JRNL_FIRST_SEQ,
	};
}

/* Magic and header CRC right: a header someone wrote whole, whatever it says. */
static bool header_intact(const uint8_t *p)
{
	return tt_get_be32(p + OFF_MAGIC) == TT_JRNL_MAGIC &&
	       tt_get_be32(p + OFF_HDR_CRC) == tt_crc32(p, OFF_HDR_CRC);
}

/* Stop at d->off; done is always 0, the value tt_jrnl_dec_next() returns. */
static int stop_at(struct tt_jrnl_dec *d, enum tt_jrnl_stop why, bool at_tail, size_t intact_off)
{
	d->stopped = true;
	d->stop = why;
	d->at_tail = at_tail;
	d->intact_off = at_tail ? d->len : intact_off;
	return 0;
}

/*
 * Stop on damage (the bytes at d->off are not what the writer wrote): the
 * damage is a torn tail unless an intact header starts at or after `from`.
 * `from` is past the damaged record when its header was intact (so a payload
 * that happens to hold journal bytes is not taken for a record), else one
 * byte past d->off.
 */
static int stop_damaged(struct tt_jrnl_dec *d, enum tt_jrnl_stop why, size_t from)
{
	for (size_t i = from; i + TT_JRNL_HDR_LEN <= d->len; i++) {
		if (header_intact(d->buf + i))
			return stop_at(d, why, false, i);
	}
	return stop_at(d, why, true, 0);
}

/* Fill rec from a CRC-checked body; false if a field breaks journal.h's rules. */
static bool parse_body(unsigned int type, const uint8_t *b, uint32_t blen,
		       struct tt_jrnl_rec *rec)
{
	uint32_t fixed;

	*rec = (struct tt_jrnl_rec){.type = (uint8_t)type};
	switch (type) {
	case TT_JRNL_MASTER_START:
		rec->gen = tt_get_be32(b);
		rec->epoch_base = tt_get_be32(b + 4);
		break;
	case TT_JRNL_SUBMIT:
		rec->task_id = tt_get_be64(b);
		rec->handler_len = b[8];
		rec->payload_len = tt_get_be32(b + 12);
		if (b[9] != 0 || b[10] != 0 || b[11] != 0)
			return false;
		/* The two lengths must add up to the header's: no slack, no overlap. */
		fixed = TT_JRNL_SUBMIT_FIXED_LEN + rec->handler_len;
		if (blen < fixed || rec->payload_len != blen - fixed)
			return false;
		rec->handler = (const char *)b + 16;
		rec->payload = b + 16 + rec->handler_len;
		break;
	default: /* COMMIT, CANCELLED */
		rec->task_id = tt_get_be64(b);
		rec->epoch = tt_get_be32(b + 8);
		rec->worker = tt_get_be32(b + 12);
		rec->status = b[16];
		if (b[17] != 0 || b[18] != 0 || b[19] != 0)
			return false;
		break;
	}
	return rec_valid(rec);
}

/*
 * One record, checked in the order journal.h gives. A header is trusted
 * (its length used) only after its own CRC; a body only after the record CRC.
 */
int tt_jrnl_dec_next(struct tt_jrnl_dec *d, struct tt_jrnl_rec *rec)
{
	const uint8_t *p;
	size_t rem;
	uint32_t blen, crc;
	unsigned int type;
	uint64_t seq;

	if (d->stopped)
		return 0;
	rem = d->len - d->off;
	if (rem == 0)
		return stop_at(d, TT_JRNL_END, true, 0);
	if (rem < TT_JRNL_HDR_LEN)
		return stop_damaged(d, TT_JRNL_STOP_TRUNCATED, d->off + 1);
	p = d->buf + d->off;
	if (tt_get_be32(p + OFF_MAGIC) != TT_JRNL_MAGIC)
		return stop_damaged(d, TT_JRNL_STOP_BAD_MAGIC, d->off + 1);
	if (!header_intact(p))
		return stop_damaged(d, TT_JRNL_STOP_BAD_HDR_CRC, d->off + 1);

	/* An intact header: anything wrong in it was written so, never a tear. */
	type = p[OFF_TYPE];
	blen = tt_get_be32(p + OFF_BODY_LEN);
	seq = tt_get_be64(p + OFF_SEQ);
	if (p[OFF_VERSION] != TT_JRNL_VERSION)
		return stop_at(d, TT_JRNL_STOP_BAD_VERSION, false, d->off);
	if (!type_known(type))
		return stop_at(d, TT_JRNL_STOP_BAD_TYPE, false, d->off);
	if (tt_get_be16(p + OFF_RESERVED) != 0)
		return stop_at(d, TT_JRNL_STOP_BAD_RESERVED, false, d->off);
	if (!body_len_ok(type, blen))
		return stop_at(d, TT_JRNL_STOP_BAD_LENGTH, false, d->off);
	if (seq != d->next_seq)
		return stop_at(d, TT_JRNL_STOP_SEQ_GAP, false, d->off);
	/* The header is whole and says the body runs past the data: a torn write. */
	if (blen > rem - TT_JRNL_HDR_LEN)
		return stop_at(d, TT_JRNL_STOP_TRUNCATED, true, 0);

	crc = tt_crc32_update(tt_crc32(p, OFF_REC_CRC), p + TT_JRNL_HDR_LEN, blen);
	if (crc != tt_get_be32(p + OFF_REC_CRC))
		return stop_damaged(d, TT_JRNL_STOP_BAD_CRC, d->off + TT_JRNL_HDR_LEN + blen);
	if (!parse_body(type, p + TT_JRNL_HDR_LEN, blen, rec))
		return stop_at(d, TT_JRNL_STOP_BAD_BODY, false, d->off);

	rec->seq = seq;
	d->off += TT_JRNL_HDR_LEN + blen;
	d->next_seq++;
	d->records++;
	return 1;
}

/* Replay ---------------------------------------------------------------- */

struct tt_jrnl_replay {
	struct tt_jrnl_task *tasks; /* first-SUBMIT order */
	uint32_t n, cap;
	uint32_t *index; /* open addressing, linear probing: task index + 1, 0 empty */
	uint32_t mask;
	uint32_t max_gen;
	uint32_t count[TT_JRNL_T_MAX];
	struct tt_jrnl_replay_counters ctr;
};

/* Allocate the task array and an index at most half full. NULL + errno. */
struct tt_jrnl_replay *tt_jrnl_replay_create(uint32_t max_tasks)
{
	struct tt_jrnl_replay *r;
	uint32_t slots = 2;

	if (max_tasks == 0 || max_tasks > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while (slots < 2 * (uint64_t)max_tasks)
		slots <<= 1;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto fail;
	r->tasks = calloc(max_tasks, sizeof(*r->tasks));
	r->index = calloc(slots, sizeof(*r->index));
	if (r->tasks == NULL || r->index == NULL)
		goto fail;
	r->cap = max_tasks;
	r->mask = slots - 1;
	return r;
fail:
	tt_jrnl_replay_destroy(r);
	errno = ENOMEM;
	return NULL;
}

void tt_jrnl_replay_destroy(struct tt_jrnl_replay *r)
{
	if (r == NULL)
		return;
	free(r->index);
	free(r->tasks);
	free(r);
}

/* splitmix64's finaliser: task ids are slot | generation << 32, far from uniform. */
static uint32_t hash_id(uint64_t id)
{
	id ^= id >> 30;
	id *= 0xbf58476d1ce4e5b9ull;
	id ^= id >> 27;
	id *= 0x94d049bb133111ebull;
	id ^= id >> 31;
	return (uint32_t)id;
}

/* The index slot holding task_id, or the empty slot where it would go. */
static uint32_t *index_slot(const struct tt_jrnl_replay *r, uint64_t task_id)
{
	uint32_t h = hash_id(task_id) & r->mask;

	/* Never full (at most half the slots used), so the probe ends. */
	while (r->index[h] != 0 && r->tasks[r->index[h] - 1].task_id != task_id)
		h = (h + 1) & r->mask;
	return &r->index[h];
}

const struct tt_jrnl_task *tt_jrnl_replay_find(const struct tt_jrnl_replay *r, uint64_t task_id)
{
	uint32_t slot = *index_slot(r, task_id);

	return slot != 0 ? &r->tasks[slot - 1] : NULL;
}

static int apply_submit(struct tt_jrnl_replay *r, const struct tt_jrnl_rec *rec)
{
	uint32_t *slot = index_slot(r, rec->task_id);
	struct tt_jrnl_task *t;

	if (*slot != 0) {
		/* Seen before: the first SUBMIT stands; say whether this one agrees. */
		t = &r->tasks[*slot - 1];
		if (t->handler_len == rec->handler_len && t->payload_len == rec->payload_len &&
		    memcmp(t->handler, rec->handler, rec->handler_len) == 0 &&
		    (rec->payload_len == 0 ||
		     memcmp(t->payload, rec->payload, rec->payload_len) == 0))
			r->ctr.dup_submits++;
		else
			r->ctr.conflicting_submits++;
		return 0;
	}
	if (r->n == r->cap) {
		r->ctr.full++;
		return -ENOSPC;
	}
	t = &r->tasks[r->n];
	*t = (struct tt_jrnl_task){
		.task_id = rec->task_id,
		.submit_seq = rec->seq,
		.state = TT_JRNL_T_PENDING,
		.handler_len = rec->handler_len,
		.handler = rec->handler,
		.payload = rec->payload,
		.payload_len = rec->payload_len,
	};
	*slot = ++r->n;
	r->count[TT_JRNL_T_PENDING]++;
	return 0;
}

/* COMMIT or CANCELLED: the first end of a pending task wins; later ones are counted only. */
static void apply_end(struct tt_jrnl_replay *r, const struct tt_jrnl_rec *rec)
{
	uint32_t slot = *index_slot(r, rec->task_id);
	uint8_t state = rec->type == TT_JRNL_COMMIT ? TT_JRNL_T_COMMITTED : TT_JRNL_T_CANCELLED;
	struct tt_jrnl_task *t;

	if (slot == 0) {
		r->ctr.orphan_ends++;
		return;
	}
	t = &r->tasks[slot - 1];
	if (t->state != TT_JRNL_T_PENDING) {
		if (t->state == state && t->status == rec->status && t->epoch == rec->epoch &&
		    t->worker == rec->worker)
			r->ctr.dup_ends++;
		else
			r->ctr.conflicting_ends++;
		return;
	}
	r->count[TT_JRNL_T_PENDING]--;
	r->count[state]++;
	t->state = state;
	t->status = rec->status;
	t->epoch = rec->epoch;
	t->worker = rec->worker;
	t->end_seq = rec->seq;
}

/* Apply one record; every path leaves the tasks as they were if it was seen before. */
int tt_jrnl_replay_apply(struct tt_jrnl_replay *r, const struct tt_jrnl_rec *rec)
{
	int rc = 0;

	if (rec == NULL || !rec_valid(rec))
		return -EINVAL;
	switch (rec->type) {
	case TT_JRNL_MASTER_START:
		if (rec->gen > r->max_gen)
			r->max_gen = rec->gen;
		break;
	case TT_JRNL_SUBMIT:
		rc = apply_submit(r, rec);
		break;
	default:
		apply_end(r, rec);
		break;
	}
	if (rc == 0) {
		r->ctr.records++;
		r->ctr.by_type[rec->type]++;
	}
	return rc;
}

int64_t tt_jrnl_replay_buf(struct tt_jrnl_replay *r, const uint8_t *buf, size_t len,
			   struct tt_jrnl_dec *d)
{
	struct tt_jrnl_rec rec;
	int64_t n = 0;
	int rc;

	tt_jrnl_dec_init(d, buf, len);
	while (tt_jrnl_dec_next(d, &rec) == 1) {
		rc = tt_jrnl_replay_apply(r, &rec);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

const struct tt_jrnl_task *tt_jrnl_replay_tasks(const struct tt_jrnl_replay *r, uint32_t *n)
{
	*n = r->n;
	return r->tasks;
}

uint32_t tt_jrnl_replay_count(const struct tt_jrnl_replay *r, unsigned int state)
{
	return state < TT_JRNL_T_MAX ? r->count[state] : 0;
}

uint32_t tt_jrnl_replay_max_gen(const struct tt_jrnl_replay *r)
{
	return r->max_gen;
}

int tt_jrnl_replay_next_gen(const struct tt_jrnl_replay *r, uint32_t *gen)
{
	if (r->max_gen >= TT_JRNL_GEN_MAX)
		return -EOVERFLOW;
	*gen = r->max_gen + 1;
	return 0;
}

const struct tt_jrnl_replay_counters *tt_jrnl_replay_counters(const struct tt_jrnl_replay *r)
{
	return &r->ctr;
}
