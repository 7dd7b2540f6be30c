/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/flow: heartbeat steering. rte_flow_validate/create/destroy are
 * wrapped (-Wl,--wrap=): in mock mode the test checks the exact rule and
 * chooses the PMD's answer; in passthrough mode the real calls reach a ring
 * port, which (like every PMD on these machines) refuses the rule. The
 * software matcher is checked on real mbufs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_flow.h>

#include "eal_test.h"
#include "flow.h"
#include "pkt.h"
#include "port.h"

static struct {
	bool passthrough;
	int validate_ret;
	bool create_fails;
	int destroy_ret;
	unsigned int validates, creates, destroys;
	uint16_t port_id;
	struct rte_flow *destroyed;
} mock;

/* A handle the mocked PMD returns; never dereferenced. */
static char fake_flow_storage;
#define FAKE_FLOW ((struct rte_flow *)&fake_flow_storage)

int __real_rte_flow_validate(uint16_t port_id, const struct rte_flow_attr *attr,
			     const struct rte_flow_item pattern[],
			     const struct rte_flow_action actions[], struct rte_flow_error *error);
struct rte_flow *__real_rte_flow_create(uint16_t port_id, const struct rte_flow_attr *attr,
					const struct rte_flow_item pattern[],
					const struct rte_flow_action actions[],
					struct rte_flow_error *error);
int __real_rte_flow_destroy(uint16_t port_id, struct rte_flow *flow, struct rte_flow_error *error);
int __wrap_rte_flow_validate(uint16_t port_id, const struct rte_flow_attr *attr,
			     const struct rte_flow_item pattern[],
			     const struct rte_flow_action actions[], struct rte_flow_error *error);
struct rte_flow *__wrap_rte_flow_create(uint16_t port_id, const struct rte_flow_attr *attr,
					const struct rte_flow_item pattern[],
					const struct rte_flow_action actions[],
					struct rte_flow_error *error);
int __wrap_rte_flow_destroy(uint16_t port_id, struct rte_flow *flow, struct rte_flow_error *error);

/* The rule tether must ask for: ETH / IPV4 / UDP dst 3784 -> QUEUE q. */
static void check_rule(uint16_t port_id, const struct rte_flow_attr *attr,
		       const struct rte_flow_item pattern[], const struct rte_flow_action actions[])
{
	const struct rte_flow_item_udp *spec, *mask;
	const struct rte_flow_action_queue *q;

	assert_int_equal(port_id, mock.port_id);
	assert_int_equal(attr->ingress, 1);
	assert_int_equal(attr->egress, 0);
	assert_int_equal(attr->transfer, 0);
	assert_int_equal(attr->group, 0);
	assert_int_equal(attr->priority, 0);

	assert_int_equal(pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
	assert_null(pattern[0].spec);
	assert_null(pattern[0].mask);
	assert_int_equal(pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
	assert_null(pattern[1].spec);
	assert_null(pattern[1].mask);
	assert_int_equal(pattern[2].type, RTE_FLOW_ITEM_TYPE_UDP);
	assert_null(pattern[2].last);
	spec = pattern[2].spec;
	mask = pattern[2].mask;
	assert_non_null(spec);
	assert_non_null(mask);
	assert_int_equal(rte_be_to_cpu_16(spec->hdr.dst_port), 3784);
	assert_int_equal(spec->hdr.src_port, 0);
	assert_int_equal(mask->hdr.dst_port, 0xffff);
	assert_int_equal(mask->hdr.src_port, 0);
	assert_int_equal(mask->hdr.dgram_len, 0);
	assert_int_equal(mask->hdr.dgram_cksum, 0);
	assert_int_equal(pattern[3].type, RTE_FLOW_ITEM_TYPE_END);

	assert_int_equal(actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
	q = actions[0].conf;
	assert_non_null(q);
	assert_int_equal(q->index, 1);
	assert_int_equal(actions[1].type, RTE_FLOW_ACTION_TYPE_END);
}

int __wrap_rte_flow_validate(uint16_t port_id, const struct rte_flow_attr *attr,
			     const struct rte_flow_item pattern[],
			     const struct rte_flow_action actions[], struct rte_flow_error *error)
{
	if (mock.passthrough)
		return __real_rte_flow_validate(port_id, attr, pattern, actions, error);
	mock.validates++;
	check_rule(port_id, attr, pattern, actions);
	if (mock.validate_ret != 0)
		return rte_flow_error_set(error, -mock.validate_ret, RTE_FLOW_ERROR_TYPE_ITEM,
					  &pattern[2], "mock: item not supported");
	return 0;
}

struct rte_flow *__wrap_rte_flow_create(uint16_t port_id, const struct rte_flow_attr *attr,
					const struct rte_flow_item pattern[],
					const struct rte_flow_action actions[],
					struct rte_flow_error *error)
{
	if (mock.passthrough)
		return __real_rte_flow_create(port_id, attr, pattern, actions, error);
	mock.creates++;
	check_rule(port_id, attr, pattern, actions);
	if (mock.create_fails) {
		rte_flow_error_set(error, EOPNOTSUPP, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
				   "mock: no flower");
		return NULL;
	}
	return FAKE_FLOW;
}

int __wrap_rte_flow_destroy(uint16_t port_id, struct rte_flow *flow, struct rte_flow_error *error)
{
	if (mock.passthrough)
		return __real_rte_flow_destroy(port_id, flow, error);
	mock.destroys++;
	assert_int_equal(port_id, mock.port_id);
	mock.destroyed = flow;
	if (mock.destroy_ret != 0)
		return rte_flow_error_set(error, -mock.destroy_ret, RTE_FLOW_ERROR_TYPE_HANDLE,
					  flow, "mock: busy");
	return 0;
}

static int reset(void **state)
{
	(void)state;
	memset(&mock, 0, sizeof(mock));
	mock.port_id = 5;
	return 0;
}

static void test_rule_installed(void **state)
{
	struct tt_flow_steer st;

	(void)state;
	assert_int_equal(tt_flow_hb_steer(&st, 5, 1), 0);
	assert_int_equal(mock.validates, 1);
	assert_int_equal(mock.creates, 1);
	assert_int_equal(st.mode, TT_FLOW_MODE_RTE_FLOW);
	assert_ptr_equal(st.flow, FAKE_FLOW);
	assert_int_equal(st.port_id, 5);
	assert_int_equal(st.queue, 1);
	assert_non_null(strstr(st.reason, "3784"));
	assert_string_equal(tt_flow_mode_name(st.mode), "rte_flow");

	assert_int_equal(tt_flow_hb_unsteer(&st), 0);
	assert_int_equal(mock.destroys, 1);
	assert_ptr_equal(mock.destroyed, FAKE_FLOW);
	assert_null(st.flow);
	assert_int_equal(st.mode, TT_FLOW_MODE_SOFTWARE);
	/* Nothing left to destroy. */
	assert_int_equal(tt_flow_hb_unsteer(&st), 0);
	assert_int_equal(mock.destroys, 1);
}

static void test_validate_refused_falls_back(void **state)
{
	struct tt_flow_steer st;

	(void)state;
	mock.validate_ret = -ENOTSUP;
	assert_int_equal(tt_flow_hb_steer(&st, 5, 1), 0);
	assert_int_equal(mock.validates, 1);
	assert_int_equal(mock.creates, 0);
	assert_int_equal(st.mode, TT_FLOW_MODE_SOFTWARE);
	assert_null(st.flow);
	assert_non_null(strstr(st.reason, "rte_flow_validate"));
	assert_non_null(strstr(st.reason, "mock: item not supported"));
	assert_string_equal(tt_flow_mode_name(st.mode), "software");
	assert_int_equal(tt_flow_hb_unsteer(&st), 0);
	assert_int_equal(mock.destroys, 0);
}

static void test_create_refused_falls_back(void **state)
{
	struct tt_flow_steer st;

	(void)state;
	mock.create_fails = true;
	assert_int_equal(tt_flow_hb_steer(&st, 5, 1), 0);
	assert_int_equal(mock.validates, 1);
	assert_int_equal(mock.creates, 1);
	assert_int_equal(st.mode, TT_FLOW_MODE_SOFTWARE);
	assert_null(st.flow);
	assert_non_null(strstr(st.reason, "rte_flow_create"));
	assert_non_null(strstr(st.reason, "mock: no flower"));
}

static void test_destroy_failure_reported(void **state)
{
	struct tt_flow_steer st;

	(void)state;
	assert_int_equal(tt_flow_hb_steer(&st, 5, 1), 0);
	mock.destroy_ret = -EBUSY;
	assert_int_equal(tt_flow_hb_unsteer(&st), -EBUSY);
	assert_int_equal(st.mode, TT_FLOW_MODE_RTE_FLOW);
	assert_ptr_equal(st.flow, FAKE_FLOW);
	mock.destroy_ret = 0;
	assert_int_equal(tt_flow_hb_unsteer(&st), 0);
	assert_int_equal(mock.destroys, 2);
	assert_string_equal(tt_flow_mode_name(TT_FLOW_MODE_MAX), "?");
}

/* A real PMD: ring ports have no rte_flow, so the software mode results. */
static void test_ring_port_uses_software(void **state)
{
	struct tt_port_ring_pair pair;
	const struct tt_port_conf conf = {.nb_rxq = 2, .nb_txq = 2, .nb_rxd = 64, .nb_txd = 64};
	struct tt_flow_steer st;
	struct tt_port port;

	(void)state;
	mock.passthrough = true;
	assert_int_equal(tt_port_ring_pair_create(&pair, "fl", 2, 64, SOCKET_ID_ANY), 0);
	assert_int_equal(tt_port_init(&port, pair.port_id[0], &conf), 0);
	assert_int_equal(tt_port_start(&port), 0);
	assert_int_equal(tt_flow_hb_steer(&st, port.port_id, 1), 0);
	assert_int_equal(st.mode, TT_FLOW_MODE_SOFTWARE);
	assert_null(st.flow);
	assert_non_null(strstr(st.reason, "rte_flow_validate"));
	tt_port_stop(&port);
	tt_port_fini(&port);
	tt_port_ring_pair_destroy(&pair);
}

static struct rte_mbuf *frame(struct rte_mempool *mp, uint16_t dst_port)
{
	struct tt_pkt_udp4_hdr h = {
		.ip_src = 0x0a000001,
		.ip_dst = 0x0a000002,
		.ttl = 255,
		.src_port = 49152,
		.dst_port = dst_port,
	};
	const uint8_t payload[24] = {0x20};
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	size_t len = TT_PKT_UDP4_HDRS_LEN + sizeof(payload);
	uint8_t *buf;

	assert_non_null(m);
	buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_int_equal(tt_pkt_build_udp4(buf, len, &h, payload, sizeof(payload)), len);
	return m;
}

static void test_software_match(void **state)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create("flowpool", 63, 0, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct rte_mbuf *m;
	uint8_t *b;

	(void)state;
	assert_non_null(mp);
	m = frame(mp, 3784);
	assert_true(tt_flow_hb_match(m));
	rte_pktmbuf_free(m);

	m = frame(mp, 3785);
	assert_false(tt_flow_hb_match(m));
	rte_pktmbuf_free(m);
	m = frame(mp, 4784); /* BFD multihop: not ours */
	assert_false(tt_flow_hb_match(m));
	rte_pktmbuf_free(m);

	m = frame(mp, 3784);
	b = rte_pktmbuf_mtod(m, uint8_t *);
	b[12] = 0x86; /* IPv6 */
	b[13] = 0xdd;
	assert_false(tt_flow_hb_match(m));
	b[12] = 0x08;
	b[13] = 0x00;
	b[14 + 9] = IPPROTO_TCP;
	assert_false(tt_flow_hb_match(m));
	b[14 + 9] = IPPROTO_UDP;
	b[14 + 7] = 0x10; /* fragment offset 16 */
	assert_false(tt_flow_hb_match(m));
	b[14 + 7] = 0x00;
	b[14] = 0x65; /* IHL 5, version 6 */
	assert_false(tt_flow_hb_match(m));
	b[14] = 0x45;
	assert_true(tt_flow_hb_match(m));
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - (14 + 20 + 4));
	assert_false(tt_flow_hb_match(m));
	rte_pktmbuf_free(m);

	/*
	 * IHL 6: one option word, so the UDP header starts at byte 38 and its
	 * destination port is at 40..41; the matcher must look there, not at 36.
	 */
	m = frame(mp, 3785);
	b = rte_pktmbuf_mtod(m, uint8_t *);
	b[14] = 0x46;
	b[14 + 24 + 2] = 3784 >> 8;
	b[14 + 24 + 3] = 3784 & 0xff;
	assert_true(tt_flow_hb_match(m));
	rte_pktmbuf_free(m);
	rte_mempool_free(mp);
}

static int setup(void **state)
{
	(void)state;
	return tt_eal_test_init("flow") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rule_installed, reset),
		cmocka_unit_test_setup(test_validate_refused_falls_back, reset),
		cmocka_unit_test_setup(test_create_refused_falls_back, reset),
		cmocka_unit_test_setup(test_destroy_failure_reported, reset),
		cmocka_unit_test_setup(test_ring_port_uses_software, reset),
		cmocka_unit_test_setup(test_software_match, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
