/* SPDX-License-Identifier: BSD-3-Clause */
/* Task messages: exact layout, round trips, 64 KiB limits, every decode rejection. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "task_msg.h"

static const uint8_t hi[2] = {'h', 'i'};

static struct tt_tmsg assign_msg(void)
{
	return (struct tt_tmsg){
		.type = TT_TMSG_ASSIGN,
		.task_id = 0x0102030405060708ull,
		.epoch = 0x0a0b0c0d,
		.handler = "echo",
		.handler_len = 4,
		.payload = hi,
		.payload_len = 2,
	};
}

static size_t enc(const struct tt_tmsg *m, uint8_t *buf, size_t cap)
{
	size_t n = tt_tmsg_encode(m, buf, cap);

	assert_true(n > 0);
	return n;
}

static void test_assign_golden_bytes(void **state)
{
	(void)state;
	static const uint8_t want[] = {
		1, 1, 0, 0,			/* version, type ASSIGN, reserved */
		1, 2, 3, 4, 5, 6, 7, 8,		/* task id */
		0x0a, 0x0b, 0x0c, 0x0d,		/* epoch */
		0, 0, 0, 2,			/* payload length */
		4, 0, 0, 0,			/* handler length, reserved */
		'e', 'c', 'h', 'o', 'h', 'i',
	};
	struct tt_tmsg m = assign_msg(), d;
	uint8_t buf[64];

	assert_int_equal(tt_tmsg_encoded_len(&m), sizeof(want));
	assert_int_equal(enc(&m, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	assert_int_equal(tt_tmsg_decode(buf, sizeof(want), &d), TT_TMSG_OK);
	assert_int_equal(d.type, TT_TMSG_ASSIGN);
	assert_true(d.task_id == 0x0102030405060708ull);
	assert_int_equal(d.epoch, 0x0a0b0c0d);
	assert_int_equal(d.handler_len, 4);
	/* No copy: the decoded pointers are into the caller's buffer. */
	assert_ptr_equal(d.handler, (const char *)buf + 24);
	assert_ptr_equal(d.payload, buf + 28);
	assert_int_equal(d.payload_len, 2);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.outcome, 0);
}

static void test_result_cancel_ack_golden_bytes(void **state)
{
	(void)state;
	static const uint8_t want_res[] = {
		1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 3, /* head: task 9, epoch 3 */
		0, 0, 0, 2, 3, 0, 0, 0,				/* len 2, BAD_PAYLOAD */
		'h', 'i',
	};
	static const uint8_t want_cancel[] = {1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 3};
	static const uint8_t want_ack[] = {
		1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 3, 1, 0, 0, 0,
	};
	struct tt_tmsg m = {.type = TT_TMSG_RESULT, .task_id = 9, .epoch = 3,
			    .status = TT_TMSG_ST_BAD_PAYLOAD, .payload = hi, .payload_len = 2};
	struct tt_tmsg d;
	uint8_t buf[64];

	assert_int_equal(enc(&m, buf, sizeof(buf)), sizeof(want_res));
	assert_memory_equal(buf, want_res, sizeof(want_res));
	assert_int_equal(tt_tmsg_decode(buf, sizeof(want_res), &d), TT_TMSG_OK);
	assert_int_equal(d.type, TT_TMSG_RESULT);
	assert_int_equal(d.status, TT_TMSG_ST_BAD_PAYLOAD);
	assert_ptr_equal(d.payload, buf + 24);
	assert_int_equal(d.payload_len, 2);
	assert_null(d.handler);

	m = (struct tt_tmsg){.type = TT_TMSG_CANCEL, .task_id = 9, .epoch = 3};
	assert_int_equal(enc(&m, buf, sizeof(buf)), sizeof(want_cancel));
	assert_memory_equal(buf, want_cancel, sizeof(want_cancel));
	assert_int_equal(tt_tmsg_decode(buf, sizeof(want_cancel), &d), TT_TMSG_OK);
	assert_int_equal(d.type, TT_TMSG_CANCEL);
	assert_true(d.task_id == 9);
	assert_int_equal(d.epoch, 3);

	m = (struct tt_tmsg){.type = TT_TMSG_CANCEL_ACK, .task_id = 9, .epoch = 3,
			     .outcome = TT_TMSG_CANCEL_NOT_HELD};
	assert_int_equal(enc(&m, buf, sizeof(buf)), sizeof(want_ack));
	assert_memory_equal(buf, want_ack, sizeof(want_ack));
	assert_int_equal(tt_tmsg_decode(buf, sizeof(want_ack), &d), TT_TMSG_OK);
	assert_int_equal(d.type, TT_TMSG_CANCEL_ACK);
	assert_int_equal(d.outcome, TT_TMSG_CANCEL_NOT_HELD);
}

static void test_empty_payloads(void **state)
{
	(void)state;
	struct tt_tmsg m = assign_msg(), d;
	uint8_t buf[64];

	m.payload = NULL;
	m.payload_len = 0;
	assert_int_equal(enc(&m, buf, sizeof(buf)), 28);
	assert_int_equal(tt_tmsg_decode(buf, 28, &d), TT_TMSG_OK);
	assert_int_equal(d.payload_len, 0);
	assert_null(d.payload);

	m = (struct tt_tmsg){.type = TT_TMSG_RESULT, .task_id = 1, .epoch = 1};
	assert_int_equal(enc(&m, buf, sizeof(buf)), 24);
	assert_int_equal(tt_tmsg_decode(buf, 24, &d), TT_TMSG_OK);
	assert_int_equal(d.payload_len, 0);
	assert_null(d.payload);
}

/* 64 KiB is the largest message; one byte more is refused both ways. */
static void test_max_size(void **state)
{
	(void)state;
	uint8_t *buf = malloc(TT_TMSG_MAX_LEN + 16);
	uint8_t *payload = malloc(TT_TMSG_MAX_LEN);
	struct tt_tmsg m = {.type = TT_TMSG_RESULT, .task_id = 7, .epoch = 2, .payload = payload};
	struct tt_tmsg d;
	char name[TT_TMSG_HANDLER_MAX + 1];

	assert_non_null(buf);
	assert_non_null(payload);
	for (size_t i = 0; i < TT_TMSG_MAX_LEN; i++)
		payload[i] = (uint8_t)(i * 7);

	m.payload_len = TT_TMSG_MAX_PAYLOAD;
	assert_int_equal(tt_tmsg_encode(&m, buf, TT_TMSG_MAX_LEN), TT_TMSG_MAX_LEN);
	assert_int_equal(tt_tmsg_decode(buf, TT_TMSG_MAX_LEN, &d), TT_TMSG_OK);
	assert_int_equal(d.payload_len, TT_TMSG_MAX_PAYLOAD);
	assert_memory_equal(d.payload, payload, TT_TMSG_MAX_PAYLOAD);

	m.payload_len = TT_TMSG_MAX_PAYLOAD + 1;
	assert_int_equal(tt_tmsg_encoded_len(&m), 0);
	assert_int_equal(tt_tmsg_encode(&m, buf, TT_TMSG_MAX_LEN + 16), 0);
	assert_int_equal(tt_tmsg_decode(buf, TT_TMSG_MAX_LEN + 1, &d), TT_TMSG_RX_TOO_LONG);

	/* ASSIGN with the longest name: the payload shrinks by the name. */
	memset(name, 'x', TT_TMSG_HANDLER_MAX);
	name[TT_TMSG_HANDLER_MAX] = '\0';
	m = (struct tt_tmsg){.type = TT_TMSG_ASSIGN, .task_id = 7, .epoch = 2, .handler = name,
			     .handler_len = TT_TMSG_HANDLER_MAX, .payload = payload,
			     .payload_len = TT_TMSG_MAX_LEN - 24 - TT_TMSG_HANDLER_MAX};
	assert_int_equal(tt_tmsg_encode(&m, buf, TT_TMSG_MAX_LEN), TT_TMSG_MAX_LEN);
	assert_int_equal(tt_tmsg_decode(buf, TT_TMSG_MAX_LEN, &d), TT_TMSG_OK);
	assert_int_equal(d.handler_len, TT_TMSG_HANDLER_MAX);
	assert_memory_equal(d.handler, name, TT_TMSG_HANDLER_MAX);
	assert_memory_equal(d.payload, payload, m.payload_len);
	m.payload_len++;
	assert_int_equal(tt_tmsg_encoded_len(&m), 0);
	/* A 32-bit length near 4 GiB must not wrap the size check. */
	m.payload_len = UINT32_MAX;
	assert_int_equal(tt_tmsg_encoded_len(&m), 0);

	free(payload);
	free(buf);
}

static void test_encode_refuses_invalid(void **state)
{
	(void)state;
	uint8_t buf[64], before[64];
	struct tt_tmsg m;

	memset(buf, 0xa5, sizeof(buf));
	memcpy(before, buf, sizeof(buf));

	m = assign_msg();
	m.task_id = 0;
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = assign_msg();
	m.epoch = 0;
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = assign_msg();
	m.handler_len = 0;
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = assign_msg();
	m.handler = "ec o";
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = assign_msg();
	m.handler = NULL;
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = assign_msg();
	m.payload = NULL;
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = assign_msg();
	m.type = 0;
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m.type = 5;
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = (struct tt_tmsg){.type = TT_TMSG_RESULT, .task_id = 1, .epoch = 1,
			     .status = TT_TMSG_ST_MAX};
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	m = (struct tt_tmsg){.type = TT_TMSG_CANCEL_ACK, .task_id = 1, .epoch = 1,
			     .outcome = TT_TMSG_CANCEL_OUTCOME_MAX};
	assert_int_equal(tt_tmsg_encode(&m, buf, sizeof(buf)), 0);
	/* Too small a buffer: nothing written. */
	m = assign_msg();
	assert_int_equal(tt_tmsg_encode(&m, buf, 29), 0);
	assert_int_equal(tt_tmsg_encode(&m, NULL, 64), 0);
	assert_int_equal(tt_tmsg_encoded_len(NULL), 0);
	assert_memory_equal(buf, before, sizeof(buf));
	assert_int_equal(tt_tmsg_encode(&m, buf, 30), 30);
}

/* Decode `len` bytes, expect `want`, and check a reject leaves out untouched. */
static void expect_reject(const uint8_t *buf, size_t len, enum tt_tmsg_reject want)
{
	struct tt_tmsg d, sentinel;

	memset(&d, 0x5a, sizeof(d));
	memcpy(&sentinel, &d, sizeof(d));
	assert_string_equal(tt_tmsg_reject_name(tt_tmsg_decode(buf, len, &d)),
			    tt_tmsg_reject_name(want));
	assert_memory_equal(&d, &sentinel, sizeof(d));
}

static size_t valid_assign(uint8_t *buf)
{
	struct tt_tmsg m = assign_msg();

	return enc(&m, buf, 64);
}

static size_t valid_result(uint8_t *buf)
{
	struct tt_tmsg m = {.type = TT_TMSG_RESULT, .task_id = 5, .epoch = 1, .payload = hi,
			    .payload_len = 2};

	return enc(&m, buf, 64);
}

static size_t valid_ack(uint8_t *buf)
{
	struct tt_tmsg m = {.type = TT_TMSG_CANCEL_ACK, .task_id = 5, .epoch = 1};

	return enc(&m, buf, 64);
}

static void test_reject_head(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n;

	n = valid_assign(buf);
	expect_reject(NULL, 16, TT_TMSG_RX_TRUNCATED);
	expect_reject(buf, 0, TT_TMSG_RX_TRUNCATED);
	expect_reject(buf, 15, TT_TMSG_RX_TRUNCATED);

	buf[0] = 2;
	expect_reject(buf, n, TT_TMSG_RX_VERSION);
	buf[0] = 0;
	expect_reject(buf, n, TT_TMSG_RX_VERSION);
	n = valid_assign(buf);
	buf[1] = 0;
	expect_reject(buf, n, TT_TMSG_RX_TYPE);
	buf[1] = 5;
	expect_reject(buf, n, TT_TMSG_RX_TYPE);
	buf[1] = 0xff;
	expect_reject(buf, n, TT_TMSG_RX_TYPE);
	n = valid_assign(buf);
	buf[2] = 0x80;
	expect_reject(buf, n, TT_TMSG_RX_RESERVED);
	n = valid_assign(buf);
	buf[3] = 1;
	expect_reject(buf, n, TT_TMSG_RX_RESERVED);
	n = valid_assign(buf);
	memset(buf + 4, 0, 8);
	expect_reject(buf, n, TT_TMSG_RX_TASK_ID_ZERO);
	n = valid_assign(buf);
	memset(buf + 12, 0, 4);
	expect_reject(buf, n, TT_TMSG_RX_EPOCH_ZERO);
}

static void test_reject_assign(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n;

	n = valid_assign(buf);
	expect_reject(buf, 23, TT_TMSG_RX_TRUNCATED);
	for (size_t i = 21; i < 24; i++) {
		n = valid_assign(buf);
		buf[i] = 1;
		expect_reject(buf, n, TT_TMSG_RX_RESERVED);
	}
	n = valid_assign(buf);
	buf[20] = 0;
	expect_reject(buf, n, TT_TMSG_RX_HANDLER_LEN);
	buf[20] = TT_TMSG_HANDLER_MAX + 1;
	expect_reject(buf, n, TT_TMSG_RX_HANDLER_LEN);
	/* The name runs past the end: the fixed part is missing. */
	n = valid_assign(buf);
	buf[20] = 20;
	expect_reject(buf, n, TT_TMSG_RX_TRUNCATED);
	n = valid_assign(buf);
	expect_reject(buf, 27, TT_TMSG_RX_TRUNCATED);
	const uint8_t bad_chars[] = {' ', '\0', '/', 0x80, 0xff, '\n', ':'};
	for (size_t i = 0; i < sizeof(bad_chars); i++) {
		n = valid_assign(buf);
		buf[26] = bad_chars[i];
		expect_reject(buf, n, TT_TMSG_RX_HANDLER_CHARS);
	}
	/* Payload length says more than there is, or less. */
	n = valid_assign(buf);
	buf[19] = 3;
	expect_reject(buf, n, TT_TMSG_RX_PAYLOAD_SHORT);
	n = valid_assign(buf);
	buf[16] = 0x80;
	expect_reject(buf, n, TT_TMSG_RX_PAYLOAD_SHORT);
	n = valid_assign(buf);
	expect_reject(buf, n - 1, TT_TMSG_RX_PAYLOAD_SHORT);
	n = valid_assign(buf);
	buf[19] = 1;
	expect_reject(buf, n, TT_TMSG_RX_TRAILING);
	n = valid_assign(buf);
	expect_reject(buf, n + 1, TT_TMSG_RX_TRAILING);
}

static void test_reject_result(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n;

	n = valid_result(buf);
	expect_reject(buf, 23, TT_TMSG_RX_TRUNCATED);
	n = valid_result(buf);
	buf[20] = TT_TMSG_ST_MAX;
	expect_reject(buf, n, TT_TMSG_RX_STATUS);
	buf[20] = 0xff;
	expect_reject(buf, n, TT_TMSG_RX_STATUS);
	for (size_t i = 21; i < 24; i++) {
		n = valid_result(buf);
		buf[i] = 4;
		expect_reject(buf, n, TT_TMSG_RX_RESERVED);
	}
	n = valid_result(buf);
	expect_reject(buf, n - 1, TT_TMSG_RX_PAYLOAD_SHORT);
	n = valid_result(buf);
	expect_reject(buf, n + 1, TT_TMSG_RX_TRAILING);
	n = valid_result(buf);
	memset(buf + 16, 0xff, 4);
	expect_reject(buf, n, TT_TMSG_RX_PAYLOAD_SHORT);
}

static void test_reject_cancel_and_ack(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct tt_tmsg m = {.type = TT_TMSG_CANCEL, .task_id = 5, .epoch = 1};
	size_t n;

	n = enc(&m, buf, sizeof(buf));
	expect_reject(buf, n + 1, TT_TMSG_RX_TRAILING);
	expect_reject(buf, n - 1, TT_TMSG_RX_TRUNCATED);

	n = valid_ack(buf);
	expect_reject(buf, 19, TT_TMSG_RX_TRUNCATED);
	expect_reject(buf, 16, TT_TMSG_RX_TRUNCATED);
	buf[16] = TT_TMSG_CANCEL_OUTCOME_MAX;
	expect_reject(buf, n, TT_TMSG_RX_OUTCOME);
	for (size_t i = 17; i < 20; i++) {
		n = valid_ack(buf);
		buf[i] = 1;
		expect_reject(buf, n, TT_TMSG_RX_RESERVED);
	}
	n = valid_ack(buf);
	expect_reject(buf, n + 1, TT_TMSG_RX_TRAILING);
}

/* Every proper prefix of every valid message is refused. */
static void test_every_prefix_rejected(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct tt_tmsg d;
	size_t (*makers[])(uint8_t *) = {valid_assign, valid_result, valid_ack};

	for (size_t k = 0; k < 3; k++) {
		size_t n = makers[k](buf);

		assert_int_equal(tt_tmsg_decode(buf, n, &d), TT_TMSG_OK);
		for (size_t len = 0; len < n; len++)
			assert_int_not_equal(tt_tmsg_decode(buf, len, &d), TT_TMSG_OK);
	}
}

static void test_handler_valid(void **state)
{
	(void)state;
	assert_true(tt_tmsg_handler_valid("echo", 4));
	assert_true(tt_tmsg_handler_valid("A-z_0.9", 7));
	assert_true(tt_tmsg_handler_valid("abcdefghijklmnopqrstuvwxyz01234", 31));
	assert_false(tt_tmsg_handler_valid("abcdefghijklmnopqrstuvwxyz012345", 32));
	assert_false(tt_tmsg_handler_valid("", 0));
	assert_false(tt_tmsg_handler_valid(NULL, 3));
	assert_false(tt_tmsg_handler_valid("a b", 3));
	assert_false(tt_tmsg_handler_valid("ab\0", 3));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_tmsg_type_name(TT_TMSG_ASSIGN), "ASSIGN");
	assert_string_equal(tt_tmsg_type_name(TT_TMSG_CANCEL_ACK), "CANCEL_ACK");
	assert_string_equal(tt_tmsg_type_name(0), "?");
	assert_string_equal(tt_tmsg_type_name(5), "?");
	assert_string_equal(tt_tmsg_status_name(TT_TMSG_ST_BUSY),
			    "worker's task table full; not run");
	assert_string_equal(tt_tmsg_status_name(TT_TMSG_ST_MAX), "?");
	assert_string_equal(tt_tmsg_outcome_name(TT_TMSG_CANCEL_ABORTED),
			    "aborted; no result will be sent");
	assert_string_equal(tt_tmsg_outcome_name(9), "?");
	assert_string_equal(tt_tmsg_reject_name(TT_TMSG_OK), "OK");
	assert_string_equal(tt_tmsg_reject_name(TT_TMSG_RX_TRAILING), "TRAILING");
	assert_string_equal(tt_tmsg_reject_rule(TT_TMSG_RX_TOO_LONG), "longer than 64 KiB");
	assert_string_equal(tt_tmsg_reject_name(TT_TMSG_REJECT_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assign_golden_bytes),
		cmocka_unit_test(test_result_cancel_ack_golden_bytes),
		cmocka_unit_test(test_empty_payloads),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_encode_refuses_invalid),
		cmocka_unit_test(test_reject_head),
		cmocka_unit_test(test_reject_assign),
		cmocka_unit_test(test_reject_result),
		cmocka_unit_test(test_reject_cancel_and_ack),
		cmocka_unit_test(test_every_prefix_rejected),
		cmocka_unit_test(test_handler_valid),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
