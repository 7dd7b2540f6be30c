/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Master journal records (engine/journal.c): exact layout, round trips, every
 * stop reason at the right offset, torn last records at every byte, damage in
 * the middle never taken for a tail, replay and its idempotence.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "scheduler.h"
#include "tt_bytes.h"
#include "tt_crc32.h"

#define JB_CAP (4 * TT_JRNL_MAX_REC)
#define JB_RECS 16

/* A journal being built in memory, with each record's start offset. */
struct jb {
	uint8_t buf[JB_CAP];
	size_t len;
	size_t start[JB_RECS];
	unsigned int n;
};

static const uint8_t pay8[8] = {1, 2, 3, 4, 5, 6, 7, 0xff};

static struct tt_jrnl_rec ms_rec(uint32_t gen)
{
	return (struct tt_jrnl_rec){
		.type = TT_JRNL_MASTER_START,
		.gen = gen,
		.epoch_base = tt_jrnl_epoch_base(gen),
	};
}

static struct tt_jrnl_rec submit_rec(uint64_t id, const char *handler, const uint8_t *pay,
				     uint32_t len)
{
	return (struct tt_jrnl_rec){
		.type = TT_JRNL_SUBMIT,
		.task_id = id,
		.handler = handler,
		.handler_len = (uint8_t)strlen(handler),
		.payload = pay,
		.payload_len = len,
	};
}

static struct tt_jrnl_rec end_rec(uint8_t type, uint64_t id, uint32_t epoch, uint32_t worker,
				  uint8_t status)
{
	return (struct tt_jrnl_rec){
		.type = type,
		.task_id = id,
		.epoch = epoch,
		.worker = worker,
		.status = status,
	};
}

/* Append rec under sequence number seq (0: the next one, n + 1). */
static void jb_add_seq(struct jb *j, const struct tt_jrnl_rec *rec, uint64_t seq)
{
	int n;

	assert_true(j->n < JB_RECS);
	n = tt_jrnl_encode(rec, seq != 0 ? seq : j->n + 1, j->buf + j->len, JB_CAP - j->len);
	assert_true(n > 0);
	assert_int_equal((size_t)n, tt_jrnl_encoded_len(rec));
	j->start[j->n++] = j->len;
	j->len += (size_t)n;
}

static void jb_add(struct jb *j, const struct tt_jrnl_rec *rec)
{
	jb_add_seq(j, rec, 0);
}

/* Four records: MASTER_START, SUBMIT, COMMIT, SUBMIT (last byte of the journal 0xff). */
static struct jb *jb_four(void)
{
	struct jb *j = calloc(1, sizeof(*j));
	struct tt_jrnl_rec r;

	assert_non_null(j);
	r = ms_rec(1);
	jb_add(j, &r);
	r = submit_rec(7, "echo", pay8, sizeof(pay8));
	jb_add(j, &r);
	r = end_rec(TT_JRNL_COMMIT, 7, 65537, 2, TT_TMSG_ST_OK);
	jb_add(j, &r);
	r = submit_rec(8, "crc32", pay8, sizeof(pay8));
	jb_add(j, &r);
	return j;
}

/* Recompute both CRCs of a record as a writer would: an intact, deliberate record. */
static void reseal(uint8_t *rec, size_t body_len)
{
	tt_put_be32(rec + 20, tt_crc32(rec, 20));
	tt_put_be32(rec + 24, tt_crc32_update(tt_crc32(rec, 24), rec + 28, body_len));
}

struct walk {
	unsigned int records;
	enum tt_jrnl_stop stop;
	size_t off;
	bool at_tail;
	size_t intact_off;
	uint64_t last_seq;
};

static struct walk walk(const uint8_t *buf, size_t len)
{
	struct tt_jrnl_dec d;
	struct tt_jrnl_rec rec;
	struct walk w = {0};

	tt_jrnl_dec_init(&d, buf, len);
	while (tt_jrnl_dec_next(&d, &rec) == 1) {
		w.records++;
		assert_true(rec.seq == w.records);
		w.last_seq = rec.seq;
	}
	assert_true(d.stopped);
	assert_int_equal(tt_jrnl_dec_next(&d, &rec), 0); /* stays stopped */
	assert_int_equal(d.records, w.records);
	w.stop = d.stop;
	w.off = d.off;
	w.at_tail = d.at_tail;
	w.intact_off = d.intact_off;
	return w;
}

static void expect_stop(const uint8_t *buf, size_t len, unsigned int records,
			enum tt_jrnl_stop stop, size_t off, bool at_tail, size_t intact_off)
{
	struct walk w = walk(buf, len);

	assert_int_equal(w.records, records);
	assert_string_equal(tt_jrnl_stop_name(w.stop), tt_jrnl_stop_name(stop));
	assert_int_equal(w.off, off);
	assert_int_equal(w.at_tail, at_tail);
	assert_int_equal(w.intact_off, at_tail ? len : intact_off);
}

static void test_crc32(void **state)
{
	(void)state;
	const uint8_t *check = (const uint8_t *)"123456789";

	assert_int_equal(tt_crc32(check, 9), 0xcbf43926u);
	assert_int_equal(tt_crc32(NULL, 0), 0);
	/* Incremental = one pass, at every split. */
	for (size_t k = 0; k <= 9; k++)
		assert_int_equal(tt_crc32_update(tt_crc32(check, k), check + k, 9 - k),
				 0xcbf43926u);
}

static void test_golden_bytes(void **state)
{
	(void)state;
	uint8_t want_ms[36] = {
		0x54, 0x4a, 0x52, 0x4e, 1, 1, 0, 0,	/* magic, version, MASTER_START, reserved */
		0, 0, 0, 0, 0, 0, 0, 1,			/* seq 1 */
		0, 0, 0, 8,				/* body length */
		0, 0, 0, 0, 0, 0, 0, 0,			/* CRCs, filled below */
		0, 0, 0, 3, 0, 3, 0, 0,			/* generation 3, epoch base 3 << 16 */
	};
	uint8_t want_sub[] = {
		0x54, 0x4a, 0x52, 0x4e, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 22,
		0, 0, 0, 0, 0, 0, 0, 0,
		1, 2, 3, 4, 5, 6, 7, 8,			/* task id */
		4, 0, 0, 0,				/* handler length, reserved */
		0, 0, 0, 2,				/* payload length */
		'e', 'c', 'h', 'o', 'h', 'i',
	};
	uint8_t want_commit[] = {
		0x54, 0x4a, 0x52, 0x4e, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 20,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 9,			/* task id */
		0, 1, 0, 2,				/* epoch 65538 */
		0, 0, 0, 5,				/* worker */
		3, 0, 0, 0,				/* status BAD_PAYLOAD, reserved */
	};
	uint8_t want_cancelled[] = {
		0x54, 0x4a, 0x52, 0x4e, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 20,
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1,
		0xff, 0xff, 0xff, 0xff,			/* never assigned */
		0, 0, 0, 0,				/* WAS_PENDING */
	};
	struct tt_jrnl_rec r;
	uint8_t buf[64];

	reseal(want_ms, 8);
	reseal(want_sub, 22);
	reseal(want_commit, 20);
	reseal(want_cancelled, 20);
	/* The header CRC of the first record, pinned so the CRC's placement cannot drift. */
	assert_int_equal(tt_get_be32(want_ms + 20), tt_crc32(want_ms, 20));

	r = ms_rec(3);
	assert_int_equal(tt_jrnl_encode(&r, 1, buf, sizeof(buf)), sizeof(want_ms));
	assert_memory_equal(buf, want_ms, sizeof(want_ms));

	r = submit_rec(0x0102030405060708ull, "echo", (const uint8_t *)"hi", 2);
	assert_int_equal(tt_jrnl_encode(&r, 2, buf, sizeof(buf)), sizeof(want_sub));
	assert_memory_equal(buf, want_sub, sizeof(want_sub));

	r = end_rec(TT_JRNL_COMMIT, 9, 65538, 5, TT_TMSG_ST_BAD_PAYLOAD);
	assert_int_equal(tt_jrnl_encode(&r, 3, buf, sizeof(buf)), sizeof(want_commit));
	assert_memory_equal(buf, want_commit, sizeof(want_commit));

	r = end_rec(TT_JRNL_CANCELLED, 9, 1, TT_JRNL_NO_WORKER, TT_SCHED_END_WAS_PENDING);
	assert_int_equal(tt_jrnl_encode(&r, 4, buf, sizeof(buf)), sizeof(want_cancelled));
	assert_memory_equal(buf, want_cancelled, sizeof(want_cancelled));
}

static void test_round_trip(void **state)
{
	(void)state;
	struct jb *j = calloc(1, sizeof(*j));
	uint8_t *big = malloc(TT_JRNL_PAYLOAD_MAX(31));
	char name31[32];
	struct tt_jrnl_rec in[6], out;
	struct tt_jrnl_dec d;

	assert_non_null(j);
	assert_non_null(big);
	for (size_t i = 0; i < TT_JRNL_PAYLOAD_MAX(31); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	memset(name31, 'h', 31);
	name31[31] = '\0';
	in[0] = ms_rec(TT_JRNL_GEN_MAX);
	in[1] = submit_rec(UINT64_MAX, name31, big, TT_JRNL_PAYLOAD_MAX(31));
	in[2] = submit_rec(2, "a", NULL, 0);
	in[3] = end_rec(TT_JRNL_COMMIT, UINT64_MAX, UINT32_MAX, 0, TT_TMSG_ST_BUSY);
	in[4] = end_rec(TT_JRNL_CANCELLED, 2, 1, UINT32_MAX, TT_SCHED_END_WORKER_DEAD);
	in[5] = ms_rec(1);
	for (unsigned int i = 0; i < 6; i++)
		jb_add(j, &in[i]);
	/* The largest SUBMIT is the largest record. */
	assert_int_equal(tt_jrnl_encoded_len(&in[1]), TT_JRNL_MAX_REC);

	tt_jrnl_dec_init(&d, j->buf, j->len);
	for (unsigned int i = 0; i < 6; i++) {
		assert_int_equal(tt_jrnl_dec_next(&d, &out), 1);
		assert_true(out.seq == i + 1);
		assert_int_equal(out.type, in[i].type);
		assert_true(out.task_id == in[i].task_id);
		assert_int_equal(out.epoch, in[i].epoch);
		assert_int_equal(out.worker, in[i].worker);
		assert_int_equal(out.status, in[i].status);
		assert_int_equal(out.gen, in[i].gen);
		assert_int_equal(out.epoch_base, in[i].epoch_base);
		assert_int_equal(out.handler_len, in[i].handler_len);
		assert_int_equal(out.payload_len, in[i].payload_len);
		if (in[i].type == TT_JRNL_SUBMIT) {
			/* No copy: pointers into the buffer, right after the fixed body. */
			assert_ptr_equal(out.handler, (const char *)j->buf + j->start[i] + 44);
			assert_memory_equal(out.handler, in[i].handler, in[i].handler_len);
			assert_ptr_equal(out.payload, out.handler + out.handler_len);
			if (in[i].payload_len > 0)
				assert_memory_equal(out.payload, in[i].payload, in[i].payload_len);
		} else {
			assert_null(out.handler);
			assert_null(out.payload);
		}
		assert_int_equal(d.off, i + 1 < 6 ? j->start[i + 1] : j->len);
	}
	assert_int_equal(tt_jrnl_dec_next(&d, &out), 0);
	assert_int_equal(d.stop, TT_JRNL_END);
	assert_true(d.at_tail);
	assert_int_equal(d.off, j->len);
	assert_int_equal(d.records, 6);
	assert_true(d.next_seq == 7);

	/* Empty and NULL buffers: END at once. */
	expect_stop(j->buf, 0, 0, TT_JRNL_END, 0, true, 0);
	struct walk w = walk(NULL, 100);
	assert_int_equal(w.records, 0);
	assert_int_equal(w.stop, TT_JRNL_END);
	assert_int_equal(w.off, 0);
	free(big);
	free(j);
}

static void test_encode_refuses(void **state)
{
	(void)state;
	uint8_t buf[128], big[TT_JRNL_PAYLOAD_MAX(4) + 1];
	struct tt_jrnl_rec ok = submit_rec(1, "echo", pay8, sizeof(pay8)), r;

	memset(big, 1, sizeof(big));
	memset(buf, 0xaa, sizeof(buf));
	/* Too small: nothing written. */
	assert_int_equal(tt_jrnl_encode(&ok, 1, buf, tt_jrnl_encoded_len(&ok) - 1), -ENOBUFS);
	assert_int_equal(buf[0], 0xaa);
	assert_int_equal(tt_jrnl_encode(&ok, 1, buf, tt_jrnl_encoded_len(&ok)), 28 + 16 + 4 + 8);
	assert_int_equal(tt_jrnl_encode(&ok, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(tt_jrnl_encode(&ok, 1, NULL, sizeof(buf)), -EINVAL);
	assert_int_equal(tt_jrnl_encoded_len(NULL), 0);

#define REFUSED(expr)                                                                              \
	do {                                                                                       \
		r = ok;                                                                            \
		expr;                                                                              \
		assert_int_equal(tt_jrnl_encoded_len(&r), 0);                                      \
		assert_int_equal(tt_jrnl_encode(&r, 1, buf, sizeof(buf)), -EINVAL);                \
	} while (0)
	REFUSED(r.type = 0);
	REFUSED(r.type = TT_JRNL_TYPE_END);
	REFUSED(r.task_id = 0);
	REFUSED(r.handler = NULL);
	REFUSED(r.handler_len = 0);
	REFUSED(r.handler = "ec o");
	REFUSED((r.handler = "abcdefghijabcdefghijabcdefghijab", r.handler_len = 32));
	REFUSED(r.payload = NULL);
	REFUSED((r.payload = big, r.payload_len = sizeof(big)));
	REFUSED(r = end_rec(TT_JRNL_COMMIT, 0, 1, 0, 0));
	REFUSED(r = end_rec(TT_JRNL_COMMIT, 1, 0, 0, 0));
	REFUSED(r = end_rec(TT_JRNL_COMMIT, 1, 1, 0, TT_TMSG_ST_MAX));
	REFUSED(r = end_rec(TT_JRNL_CANCELLED, 0, 1, 0, 0));
	REFUSED(r = end_rec(TT_JRNL_CANCELLED, 1, 0, 0, 0));
	REFUSED(r = end_rec(TT_JRNL_CANCELLED, 1, 1, 0, TT_SCHED_CANCEL_END_MAX));
	REFUSED(r = ms_rec(0));
	REFUSED(r = ms_rec(TT_JRNL_GEN_MAX + 1));
	REFUSED((r = ms_rec(2), r.epoch_base = 1));
#undef REFUSED
	/* One byte under the payload limit is fine. */
	r = ok;
	r.payload = big;
	r.payload_len = sizeof(big) - 1;
	assert_int_equal(tt_jrnl_encoded_len(&r), TT_JRNL_MAX_REC);
}

/*
 * Each stop reason, caused in record 3 of four (offset start[2]): the first
 * two records come out, the walk stops exactly there, and the at_tail verdict
 * and the next intact header are right.
 */
static void test_every_stop_reason(void **state)
{
	(void)state;
	struct jb *j = jb_four();
	struct jb *k = calloc(1, sizeof(*k));
	size_t s3 = j->start[2], s4 = j->start[3];
	struct tt_jrnl_rec r;

	assert_non_null(k);
	expect_stop(j->buf, j->len, 4, TT_JRNL_END, j->len, true, 0);

#define DAMAGE(expr, stop, at_tail, intact)                                                        \
	do {                                                                                       \
		memcpy(k, j, sizeof(*j));                                                          \
		uint8_t *p = k->buf + s3;                                                          \
		(void)p;                                                                           \
		expr;                                                                              \
		expect_stop(k->buf, k->len, 2, stop, s3, at_tail, intact);                         \
	} while (0)
	/* Damage: the record after it is intact, so this is not a tail. */
	DAMAGE(p[0] ^= 0x01, TT_JRNL_STOP_BAD_MAGIC, false, s4);
	DAMAGE(p[15] ^= 0x01, TT_JRNL_STOP_BAD_HDR_CRC, false, s4);	  /* seq */
	DAMAGE(p[19] ^= 0x40, TT_JRNL_STOP_BAD_HDR_CRC, false, s4);	  /* body length */
	DAMAGE(p[21] ^= 0x01, TT_JRNL_STOP_BAD_HDR_CRC, false, s4);	  /* header CRC */
	DAMAGE(p[25] ^= 0x01, TT_JRNL_STOP_BAD_CRC, false, s4);	  /* record CRC */
	DAMAGE(p[28 + 9] ^= 0x01, TT_JRNL_STOP_BAD_CRC, false, s4); /* epoch */
	/* Written so (both CRCs right): never a tail; the intact header is this one. */
	DAMAGE((p[4] = 2, reseal(p, 20)), TT_JRNL_STOP_BAD_VERSION, false, s3);
	DAMAGE((p[5] = 0, reseal(p, 20)), TT_JRNL_STOP_BAD_TYPE, false, s3);
	DAMAGE((p[5] = 5, reseal(p, 20)), TT_JRNL_STOP_BAD_TYPE, false, s3);
	DAMAGE((p[7] = 1, reseal(p, 20)), TT_JRNL_STOP_BAD_RESERVED, false, s3);
	DAMAGE((p[19] = 19, reseal(p, 19)), TT_JRNL_STOP_BAD_LENGTH, false, s3);
	DAMAGE((p[5] = TT_JRNL_MASTER_START, reseal(p, 20)), TT_JRNL_STOP_BAD_LENGTH, false, s3);
	DAMAGE((p[15] = 2, reseal(p, 20)), TT_JRNL_STOP_SEQ_GAP, false, s3);	 /* repeat */
	DAMAGE((p[15] = 4, reseal(p, 20)), TT_JRNL_STOP_SEQ_GAP, false, s3);	 /* gap */
	DAMAGE((p[15] = 1, reseal(p, 20)), TT_JRNL_STOP_SEQ_GAP, false, s3);	 /* back */
	DAMAGE((p[8] = 1, reseal(p, 20)), TT_JRNL_STOP_SEQ_GAP, false, s3);	 /* far */
	DAMAGE((p[28 + 16] = TT_TMSG_ST_MAX, reseal(p, 20)), TT_JRNL_STOP_BAD_BODY, false, s3);
	DAMAGE((p[28 + 19] = 1, reseal(p, 20)), TT_JRNL_STOP_BAD_BODY, false, s3);
	DAMAGE((memset(p + 28, 0, 8), reseal(p, 20)), TT_JRNL_STOP_BAD_BODY, false, s3);
	DAMAGE((memset(p + 36, 0, 4), reseal(p, 20)), TT_JRNL_STOP_BAD_BODY, false, s3);
	/* Cut inside record 3: a torn tail whatever the cut. */
	DAMAGE(k->len = s3 + 1, TT_JRNL_STOP_TRUNCATED, true, 0);
	DAMAGE(k->len = s3 + 27, TT_JRNL_STOP_TRUNCATED, true, 0);
	DAMAGE(k->len = s3 + 28, TT_JRNL_STOP_TRUNCATED, true, 0);
	DAMAGE(k->len = s4 - 1, TT_JRNL_STOP_TRUNCATED, true, 0);
	/* Damage with nothing intact after it: a tail. */
	DAMAGE((k->len = s4, p[0] = 0), TT_JRNL_STOP_BAD_MAGIC, true, 0);
	DAMAGE((k->len = s4, p[10] ^= 0x80), TT_JRNL_STOP_BAD_HDR_CRC, true, 0);
	DAMAGE((k->len = s4, p[30] ^= 0x80), TT_JRNL_STOP_BAD_CRC, true, 0);
	/* ... but written-so records at the end still are not. */
	DAMAGE((k->len = s4, p[15] = 9, reseal(p, 20)), TT_JRNL_STOP_SEQ_GAP, false, s3);
#undef DAMAGE

	/* Bodies of the other types. SUBMIT: reserved, lengths that disagree, bad name. */
	memset(k, 0, sizeof(*k));
	r = submit_rec(5, "echo", pay8, sizeof(pay8));
	jb_add(k, &r);
	uint8_t *p = k->buf;
	struct jb *save = calloc(1, sizeof(*save));

	assert_non_null(save);
	memcpy(save, k, sizeof(*k));
	p[28 + 10] = 1;
	reseal(p, 28);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_BODY, 0, false, 0);
	memcpy(k, save, sizeof(*k));
	p[28 + 15] = 9; /* payload length 9: 16 + 4 + 9 != 28 */
	reseal(p, 28);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_BODY, 0, false, 0);
	memcpy(k, save, sizeof(*k));
	p[28 + 8] = 3; /* handler length 3: sums to 27 */
	reseal(p, 28);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_BODY, 0, false, 0);
	memcpy(k, save, sizeof(*k));
	p[28 + 17] = ' ';
	reseal(p, 28);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_BODY, 0, false, 0);
	memcpy(k, save, sizeof(*k));
	/* Above the largest: refused before the extent is looked at. */
	tt_put_be32(p + 16, TT_JRNL_MAX_BODY + 1);
	reseal(p, 0);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_LENGTH, 0, false, 0);
	tt_put_be32(p + 16, 16); /* no room for a handler name */
	reseal(p, 0);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_LENGTH, 0, false, 0);

	/* MASTER_START: a base that is not gen << 16; generation 0. */
	memset(k, 0, sizeof(*k));
	r = ms_rec(2);
	jb_add(k, &r);
	k->buf[28 + 7] = 1;
	reseal(k->buf, 8);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_BODY, 0, false, 0);
	memset(k->buf + 28, 0, 8);
	reseal(k->buf, 8);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_BAD_BODY, 0, false, 0);

	/* A journal must start at sequence number 1. */
	memset(k, 0, sizeof(*k));
	r = ms_rec(1);
	jb_add_seq(k, &r, 2);
	expect_stop(k->buf, k->len, 0, TT_JRNL_STOP_SEQ_GAP, 0, false, 0);

	/* Garbage where the journal starts: bad magic, and no intact header anywhere. */
	memset(k->buf, 0x5a, 200);
	expect_stop(k->buf, 200, 0, TT_JRNL_STOP_BAD_MAGIC, 0, true, 0);
	free(save);
	free(k);
	free(j);
}

/* A torn last record, cut at every byte: never returned, always a clean tail at its start. */
static void test_torn_at_every_byte(void **state)
{
	(void)state;
	struct jb *j = jb_four();
	uint8_t *zero = malloc(j->len), *junk = malloc(j->len);
	size_t s4 = j->start[3];

	assert_non_null(zero);
	assert_non_null(junk);
	for (size_t cut = s4; cut < j->len; cut++) {
		/* The file ends at the cut (SIGKILL inside write()); at s4, between records. */
		expect_stop(j->buf, cut, 3, cut == s4 ? TT_JRNL_END : TT_JRNL_STOP_TRUNCATED, s4,
			    true, 0);

		/* The size was written but the data was not: zeros from the cut on. */
		memcpy(zero, j->buf, j->len);
		memset(zero + cut, 0, j->len - cut);
		struct walk w = walk(zero, j->len);
		assert_int_equal(w.records, 3);
		assert_int_equal(w.off, s4);
		assert_true(w.at_tail);
		assert_int_equal(w.stop, cut < s4 + 4	 ? TT_JRNL_STOP_BAD_MAGIC
					 : cut < s4 + 24 ? TT_JRNL_STOP_BAD_HDR_CRC
							 : TT_JRNL_STOP_BAD_CRC);

		/* Or garbage from the cut on. */
		memcpy(junk, j->buf, j->len);
		for (size_t i = cut; i < j->len; i++)
			junk[i] = (uint8_t)(j->buf[i] ^ (0x80 | (i * 37)));
		w = walk(junk, j->len);
		assert_int_equal(w.records, 3);
		assert_int_equal(w.off, s4);
		assert_true(w.at_tail);
	}
	free(junk);
	free(zero);
	free(j);
}

/*
 * Every single-bit flip of every record: the damaged record and all after it
 * are never returned, the walk stops exactly at its start, and damage before
 * the last record is never called a tail (truncating there would lose the
 * intact records after it).
 */
static void test_every_bit_flip(void **state)
{
	(void)state;
	struct jb *j = jb_four();
	struct jb *k = malloc(sizeof(*k));

	assert_non_null(k);
	for (unsigned int rec = 0; rec < 4; rec++) {
		size_t end = rec + 1 < 4 ? j->start[rec + 1] : j->len;

		for (size_t i = j->start[rec]; i < end; i++) {
			for (unsigned int bit = 0; bit < 8; bit++) {
				memcpy(k->buf, j->buf, j->len);
				k->len = j->len;
				k->buf[i] ^= (uint8_t)(1u << bit);
				struct walk w = walk(k->buf, k->len);

				assert_int_equal(w.records, rec);
				assert_int_equal(w.off, j->start[rec]);
				/* Covered by a CRC (or the magic): damage, never "written so". */
				assert_true(w.stop == TT_JRNL_STOP_BAD_MAGIC ||
					    w.stop == TT_JRNL_STOP_BAD_HDR_CRC ||
					    w.stop == TT_JRNL_STOP_BAD_CRC);
				assert_int_equal(w.at_tail, rec == 3);
				if (rec < 3)
					assert_int_equal(w.intact_off, j->start[rec + 1]);
			}
		}
	}
	free(k);
	free(j);
}

/*
 * A SUBMIT whose payload is itself a journal record: when that SUBMIT is torn
 * or damaged at the end of the journal, the look-alike inside it must not be
 * taken for an intact record following the damage.
 */
static void test_lookalike_payload(void **state)
{
	(void)state;
	struct jb *j = calloc(1, sizeof(*j));
	uint8_t inner[64];
	struct tt_jrnl_rec r = ms_rec(1);
	int n = tt_jrnl_encode(&r, 3, inner, sizeof(inner));

	assert_non_null(j);
	assert_true(n > 0);
	jb_add(j, &r);
	r = submit_rec(1, "echo", inner, (uint32_t)n);
	jb_add(j, &r);
	expect_stop(j->buf, j->len, 2, TT_JRNL_END, j->len, true, 0);
	/* Cut after the look-alike: the header is intact, the body runs past the end. */
	expect_stop(j->buf, j->len - 1, 1, TT_JRNL_STOP_TRUNCATED, j->start[1], true, 0);
	/* Body damaged before the look-alike: scanning starts past the damaged record. */
	j->buf[j->start[1] + 28 + 2] ^= 1;
	expect_stop(j->buf, j->len, 1, TT_JRNL_STOP_BAD_CRC, j->start[1], true, 0);
	/* With its header damaged, the look-alike shows (bad magic can't be trusted). */
	j->buf[j->start[1] + 28 + 2] ^= 1;
	j->buf[j->start[1]] ^= 1;
	expect_stop(j->buf, j->len, 1, TT_JRNL_STOP_BAD_MAGIC, j->start[1], false,
		    j->start[1] + 28 + 16 + 4);
	free(j);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_jrnl_type_name(TT_JRNL_SUBMIT), "submit");
	assert_string_equal(tt_jrnl_type_name(TT_JRNL_CANCELLED), "cancelled");
	assert_string_equal(tt_jrnl_type_name(0), "?");
	assert_string_equal(tt_jrnl_type_name(TT_JRNL_TYPE_END), "?");
	assert_string_equal(tt_jrnl_stop_name(TT_JRNL_END), "END");
	assert_string_equal(tt_jrnl_stop_name(TT_JRNL_STOP_SEQ_GAP), "SEQ_GAP");
	assert_string_equal(tt_jrnl_stop_rule(TT_JRNL_STOP_TRUNCATED),
			    "the data ends inside a record (torn write)");
	assert_string_equal(tt_jrnl_stop_name(TT_JRNL_STOP_MAX), "?");
	assert_string_equal(tt_jrnl_stop_rule(TT_JRNL_STOP_MAX), "?");
	assert_int_equal(tt_jrnl_epoch_base(1), 65536);
	assert_int_equal(tt_jrnl_epoch_base(TT_JRNL_GEN_MAX), 0xffff0000u);
}

/* Replay ---------------------------------------------------------------- */

static const uint8_t pa[] = {'a'}, pb[] = {'b', 'b'}, pc[] = {'c'};

/*
 * MASTER_START 1, SUBMIT 11/12/13/14, COMMIT 11, CANCELLED 13, MASTER_START 2,
 * SUBMIT 15, COMMIT 15.
 */
static struct jb *jb_history(void)
{
	struct jb *j = calloc(1, sizeof(*j));
	struct tt_jrnl_rec r[] = {
		ms_rec(1),
		submit_rec(11, "echo", pa, sizeof(pa)),
		submit_rec(12, "echo", pb, sizeof(pb)),
		submit_rec(13, "crc32", pc, sizeof(pc)),
		submit_rec(14, "spin", NULL, 0),
		end_rec(TT_JRNL_COMMIT, 11, 65537, 3, TT_TMSG_ST_OK),
		end_rec(TT_JRNL_CANCELLED, 13, 65538, 1, TT_SCHED_END_ACK),
		ms_rec(2),
		submit_rec(15, "echo", pa, sizeof(pa)),
		end_rec(TT_JRNL_COMMIT, 15, 131073, 0, TT_TMSG_ST_FAILED),
	};

	assert_non_null(j);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		jb_add(j, &r[i]);
	return j;
}

static void check_history(const struct tt_jrnl_replay *rp, const struct jb *j)
{
	const struct tt_jrnl_task *t;
	uint32_t n, gen = 0;

	t = tt_jrnl_replay_tasks(rp, &n);
	assert_int_equal(n, 5);
	/* First-SUBMIT order. */
	assert_true(t[0].task_id == 11 && t[1].task_id == 12 && t[2].task_id == 13 &&
		    t[3].task_id == 14 && t[4].task_id == 15);
	assert_int_equal(t[0].state, TT_JRNL_T_COMMITTED);
	assert_int_equal(t[0].epoch, 65537);
	assert_int_equal(t[0].worker, 3);
	assert_int_equal(t[0].status, TT_TMSG_ST_OK);
	assert_true(t[0].submit_seq == 2 && t[0].end_seq == 6);
	assert_int_equal(t[1].state, TT_JRNL_T_PENDING);
	assert_true(t[1].end_seq == 0);
	assert_int_equal(t[1].payload_len, 2);
	assert_ptr_equal(t[1].payload, j->buf + j->start[2] + 28 + 16 + 4);
	assert_memory_equal(t[1].handler, "echo", 4);
	assert_int_equal(t[2].state, TT_JRNL_T_CANCELLED);
	assert_int_equal(t[2].status, TT_SCHED_END_ACK);
	assert_int_equal(t[3].state, TT_JRNL_T_PENDING);
	assert_int_equal(t[3].payload_len, 0);
	assert_int_equal(t[3].handler_len, 4);
	assert_int_equal(t[4].state, TT_JRNL_T_COMMITTED);
	assert_int_equal(t[4].status, TT_TMSG_ST_FAILED);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_PENDING), 2);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_COMMITTED), 2);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_CANCELLED), 1);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_MAX), 0);
	assert_ptr_equal(tt_jrnl_replay_find(rp, 13), &t[2]);
	assert_null(tt_jrnl_replay_find(rp, 16));
	assert_int_equal(tt_jrnl_replay_max_gen(rp), 2);
	assert_int_equal(tt_jrnl_replay_next_gen(rp, &gen), 0);
	assert_int_equal(gen, 3);
}

static void test_replay(void **state)
{
	(void)state;
	struct jb *j = jb_history();
	struct tt_jrnl_replay *rp = tt_jrnl_replay_create(8);
	struct tt_jrnl_dec d;
	const struct tt_jrnl_replay_counters *c;

	assert_non_null(rp);
	assert_int_equal(tt_jrnl_replay_buf(rp, j->buf, j->len, &d), 10);
	assert_int_equal(d.stop, TT_JRNL_END);
	check_history(rp, j);
	c = tt_jrnl_replay_counters(rp);
	assert_true(c->records == 10);
	assert_true(c->by_type[TT_JRNL_MASTER_START] == 2 && c->by_type[TT_JRNL_SUBMIT] == 5 &&
		    c->by_type[TT_JRNL_COMMIT] == 2 && c->by_type[TT_JRNL_CANCELLED] == 1);
	assert_true(c->dup_submits == 0 && c->dup_ends == 0 && c->conflicting_submits == 0 &&
		    c->conflicting_ends == 0 && c->orphan_ends == 0 && c->full == 0);
	tt_jrnl_replay_destroy(rp);

	/* A torn journal: only the records before the tear are applied. */
	rp = tt_jrnl_replay_create(8);
	assert_non_null(rp);
	assert_int_equal(tt_jrnl_replay_buf(rp, j->buf, j->start[5] + 3, &d), 5);
	assert_int_equal(d.stop, TT_JRNL_STOP_TRUNCATED);
	assert_int_equal(d.off, j->start[5]);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_PENDING), 4);
	assert_int_equal(tt_jrnl_replay_find(rp, 11)->state, TT_JRNL_T_PENDING);
	tt_jrnl_replay_destroy(rp);

	/* An empty journal: nothing, and the first generation is 1. */
	uint32_t gen = 0;
	rp = tt_jrnl_replay_create(1);
	assert_non_null(rp);
	assert_int_equal(tt_jrnl_replay_buf(rp, NULL, 0, &d), 0);
	assert_int_equal(tt_jrnl_replay_next_gen(rp, &gen), 0);
	assert_int_equal(gen, 1);
	tt_jrnl_replay_destroy(rp);

	errno = 0;
	assert_null(tt_jrnl_replay_create(0));
	assert_int_equal(errno, EINVAL);
	assert_null(tt_jrnl_replay_create((1u << 30) + 1));
	assert_int_equal(errno, EINVAL);
	tt_jrnl_replay_destroy(NULL);
	free(j);
}

static void same_task(const struct tt_jrnl_task *a, const struct tt_jrnl_task *b)
{
	assert_true(a->task_id == b->task_id);
	assert_true(a->submit_seq == b->submit_seq);
	assert_true(a->end_seq == b->end_seq);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->handler_len, b->handler_len);
	assert_int_equal(a->epoch, b->epoch);
	assert_int_equal(a->worker, b->worker);
	assert_ptr_equal(a->handler, b->handler);
	assert_ptr_equal(a->payload, b->payload);
	assert_int_equal(a->payload_len, b->payload_len);
}

/* Replaying twice, or each record twice in a row, leaves exactly the state of one replay. */
static void test_replay_idempotent(void **state)
{
	(void)state;
	struct jb *j = jb_history();
	struct tt_jrnl_replay *once = tt_jrnl_replay_create(8), *twice = tt_jrnl_replay_create(8);
	struct tt_jrnl_replay *each = tt_jrnl_replay_create(8);
	const struct tt_jrnl_task *a, *b;
	struct tt_jrnl_dec d;
	struct tt_jrnl_rec rec;
	uint32_t na, nb;

	assert_non_null(once);
	assert_non_null(twice);
	assert_non_null(each);
	assert_int_equal(tt_jrnl_replay_buf(once, j->buf, j->len, &d), 10);
	assert_int_equal(tt_jrnl_replay_buf(twice, j->buf, j->len, &d), 10);
	assert_int_equal(tt_jrnl_replay_buf(twice, j->buf, j->len, &d), 10);
	tt_jrnl_dec_init(&d, j->buf, j->len);
	while (tt_jrnl_dec_next(&d, &rec) == 1) {
		assert_int_equal(tt_jrnl_replay_apply(each, &rec), 0);
		assert_int_equal(tt_jrnl_replay_apply(each, &rec), 0);
	}
	check_history(twice, j);
	check_history(each, j);
	a = tt_jrnl_replay_tasks(once, &na);
	b = tt_jrnl_replay_tasks(twice, &nb);
	assert_int_equal(na, nb);
	for (uint32_t i = 0; i < na; i++)
		same_task(&a[i], &b[i]);
	b = tt_jrnl_replay_tasks(each, &nb);
	assert_int_equal(na, nb);
	for (uint32_t i = 0; i < na; i++)
		same_task(&a[i], &b[i]);
	/* Only the counters tell: 5 SUBMITs and 3 ends seen again. */
	assert_true(tt_jrnl_replay_counters(twice)->dup_submits == 5);
	assert_true(tt_jrnl_replay_counters(twice)->dup_ends == 3);
	assert_true(tt_jrnl_replay_counters(twice)->records == 20);
	assert_true(tt_jrnl_replay_counters(each)->dup_submits == 5);
	assert_true(tt_jrnl_replay_counters(each)->dup_ends == 3);
	assert_true(tt_jrnl_replay_counters(each)->conflicting_ends == 0);
	tt_jrnl_replay_destroy(each);
	tt_jrnl_replay_destroy(twice);
	tt_jrnl_replay_destroy(once);
	free(j);
}

/* Conflicts, orphans, a full table, an exhausted generation: counted, tasks unchanged. */
static void test_replay_conflicts(void **state)
{
	(void)state;
	struct tt_jrnl_replay *rp = tt_jrnl_replay_create(2);
	const struct tt_jrnl_replay_counters *c;
	const struct tt_jrnl_task *t;
	struct tt_jrnl_rec r;
	uint32_t gen;

	assert_non_null(rp);
	c = tt_jrnl_replay_counters(rp);
	r = submit_rec(1, "echo", pa, 1);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = submit_rec(1, "echo", pb, 1); /* same id, other payload */
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = submit_rec(1, "eche", pa, 1); /* other handler */
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = submit_rec(1, "echo", pb, 2); /* other length */
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	assert_true(c->conflicting_submits == 3 && c->dup_submits == 0);
	t = tt_jrnl_replay_find(rp, 1);
	assert_ptr_equal(t->payload, pa);

	r = end_rec(TT_JRNL_CANCELLED, 1, 2, 4, TT_SCHED_END_ACK);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = end_rec(TT_JRNL_COMMIT, 1, 2, 4, TT_TMSG_ST_OK); /* commit after cancel */
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = end_rec(TT_JRNL_CANCELLED, 1, 3, 4, TT_SCHED_END_ACK); /* other epoch */
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = end_rec(TT_JRNL_CANCELLED, 1, 2, 5, TT_SCHED_END_ACK); /* other worker */
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = end_rec(TT_JRNL_CANCELLED, 1, 2, 4, TT_SCHED_END_WORKER_DEAD); /* other reason */
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	assert_true(c->conflicting_ends == 4 && c->dup_ends == 0);
	assert_int_equal(t->state, TT_JRNL_T_CANCELLED);
	assert_int_equal(t->epoch, 2);
	assert_int_equal(t->worker, 4);
	assert_int_equal(t->status, TT_SCHED_END_ACK);

	r = end_rec(TT_JRNL_COMMIT, 99, 1, 0, TT_TMSG_ST_OK);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	assert_true(c->orphan_ends == 1);
	assert_null(tt_jrnl_replay_find(rp, 99));

	/* Full: the second task fits, the third does not. */
	r = submit_rec(2, "echo", NULL, 0);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = submit_rec(3, "echo", NULL, 0);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), -ENOSPC);
	assert_true(c->full == 1);
	assert_null(tt_jrnl_replay_find(rp, 3));
	/* A known task still replays when full. */
	r = submit_rec(2, "echo", NULL, 0);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	assert_true(c->dup_submits == 1);

	/* Invalid records are refused, not counted. */
	r = end_rec(TT_JRNL_COMMIT, 0, 1, 0, 0);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), -EINVAL);
	r.type = 9;
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), -EINVAL);
	assert_int_equal(tt_jrnl_replay_apply(rp, NULL), -EINVAL);
	assert_true(c->records == 12);

	/* Generations: the largest wins, in any order; the last one cannot be followed. */
	r = ms_rec(7);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	r = ms_rec(3);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	assert_int_equal(tt_jrnl_replay_max_gen(rp), 7);
	r = ms_rec(TT_JRNL_GEN_MAX);
	assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	gen = 42;
	assert_int_equal(tt_jrnl_replay_next_gen(rp, &gen), -EOVERFLOW);
	assert_int_equal(gen, 42);
	tt_jrnl_replay_destroy(rp);
}

/* Many tasks whose ids differ only in the generation half: the index keeps them apart. */
static void test_replay_many(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct tt_jrnl_replay *rp = tt_jrnl_replay_create(N);
	struct tt_jrnl_rec r;
	const struct tt_jrnl_task *t;
	uint32_t n;

	assert_non_null(rp);
	for (uint64_t i = 0; i < N; i++) {
		r = submit_rec((i % 3 + 1) | (i / 3) << 32, "echo", NULL, 0);
		r.seq = i + 1;
		assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	}
	for (uint64_t i = 0; i < N; i += 2) {
		r = end_rec(TT_JRNL_COMMIT, (i % 3 + 1) | (i / 3) << 32, 1, 0, 0);
		assert_int_equal(tt_jrnl_replay_apply(rp, &r), 0);
	}
	t = tt_jrnl_replay_tasks(rp, &n);
	assert_int_equal(n, N);
	for (uint32_t i = 0; i < N; i++) {
		assert_true(t[i].task_id == ((i % 3 + 1) | (uint64_t)(i / 3) << 32));
		assert_int_equal(t[i].state, i % 2 == 0 ? TT_JRNL_T_COMMITTED : TT_JRNL_T_PENDING);
		assert_ptr_equal(tt_jrnl_replay_find(rp, t[i].task_id), &t[i]);
	}
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_COMMITTED), N / 2);
	assert_int_equal(tt_jrnl_replay_count(rp, TT_JRNL_T_PENDING), N / 2);
	assert_true(tt_jrnl_replay_counters(rp)->orphan_ends == 0);
	tt_jrnl_replay_destroy(rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_every_stop_reason),
		cmocka_unit_test(test_torn_at_every_byte),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_lookalike_payload),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_idempotent),
		cmocka_unit_test(test_replay_conflicts),
		cmocka_unit_test(test_replay_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
