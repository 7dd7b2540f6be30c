/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/link, LSC path, without EAL: no PMD here raises LSC interrupts in
 * one process, so dev_info, callback (un)registration and the link read are
 * wrapped (-Wl,--wrap=) and the test plays the interrupt thread by calling
 * the registered callback itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ethdev.h>

#include "link.h"

#define PORT 3

static struct {
	uint32_t dev_flags;
	int register_ret;
	unsigned int registers;
	unsigned int unregisters;
	rte_eth_dev_cb_fn cb;
	void *cb_arg;
	enum rte_eth_event_type event;
	uint16_t link_status;
	unsigned int link_reads;
} mock;

int __wrap_rte_eth_dev_info_get(uint16_t port_id, struct rte_eth_dev_info *info);
int __wrap_rte_eth_dev_callback_register(uint16_t port_id, enum rte_eth_event_type event,
					 rte_eth_dev_cb_fn cb_fn, void *cb_arg);
int __wrap_rte_eth_dev_callback_unregister(uint16_t port_id, enum rte_eth_event_type event,
					   rte_eth_dev_cb_fn cb_fn, void *cb_arg);
int __wrap_rte_eth_link_get_nowait(uint16_t port_id, struct rte_eth_link *link);

int __wrap_rte_eth_dev_info_get(uint16_t port_id, struct rte_eth_dev_info *info)
{
	assert_int_equal(port_id, PORT);
	memset(info, 0, sizeof(*info));
	info->dev_flags = &mock.dev_flags;
	info->driver_name = "net_mock";
	return 0;
}

int __wrap_rte_eth_dev_callback_register(uint16_t port_id, enum rte_eth_event_type event,
					 rte_eth_dev_cb_fn cb_fn, void *cb_arg)
{
	assert_int_equal(port_id, PORT);
	mock.registers++;
	if (mock.register_ret != 0)
		return mock.register_ret;
	mock.event = event;
	mock.cb = cb_fn;
	mock.cb_arg = cb_arg;
	return 0;
}

int __wrap_rte_eth_dev_callback_unregister(uint16_t port_id, enum rte_eth_event_type event,
					   rte_eth_dev_cb_fn cb_fn, void *cb_arg)
{
	assert_int_equal(port_id, PORT);
	assert_int_equal(event, RTE_ETH_EVENT_INTR_LSC);
	assert_ptr_equal(cb_fn, mock.cb);
	assert_ptr_equal(cb_arg, mock.cb_arg);
	mock.unregisters++;
	return 0;
}

int __wrap_rte_eth_link_get_nowait(uint16_t port_id, struct rte_eth_link *link)
{
	assert_int_equal(port_id, PORT);
	memset(link, 0, sizeof(*link));
	link->link_status = mock.link_status;
	link->link_speed = RTE_ETH_SPEED_NUM_10G;
	link->link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	mock.link_reads++;
	return 0;
}

#define MAX_EVENTS 8

static struct {
	unsigned int n;
	bool up[MAX_EVENTS];
} ev;

static void on_link(uint16_t port_id, bool up, void *arg)
{
	assert_int_equal(port_id, PORT);
	assert_ptr_equal(arg, &ev);
	assert_true(ev.n < MAX_EVENTS);
	ev.up[ev.n++] = up;
}

/* What the EAL interrupt thread does when the PMD signals a change. */
static void fire_lsc(uint16_t status)
{
	mock.link_status = status;
	assert_non_null(mock.cb);
	assert_int_equal(mock.cb(PORT, RTE_ETH_EVENT_INTR_LSC, mock.cb_arg, NULL), 0);
}

static int reset(void **state)
{
	(void)state;
	memset(&mock, 0, sizeof(mock));
	memset(&ev, 0, sizeof(ev));
	mock.dev_flags = RTE_ETH_DEV_INTR_LSC;
	mock.link_status = RTE_ETH_LINK_UP;
	return 0;
}

static void test_lsc_registered(void **state)
{
	struct tt_link_watch *w = tt_link_watch_create(on_link, &ev);
	enum tt_link_mode mode = TT_LINK_MODE_NONE;
	bool up = false;

	(void)state;
	assert_non_null(w);
	assert_int_equal(tt_link_watch_add(w, PORT, &mode, &up), 0);
	assert_int_equal(mode, TT_LINK_MODE_LSC);
	assert_true(up);
	assert_int_equal(mock.registers, 1);
	assert_int_equal(mock.event, RTE_ETH_EVENT_INTR_LSC);
	/* Without an event the LSC port is not even read. */
	mock.link_reads = 0;
	assert_int_equal(tt_link_watch_poll(w), 0);
	assert_int_equal(mock.link_reads, 0);
	tt_link_watch_destroy(w);
	assert_int_equal(mock.unregisters, 1);
}

static void test_lsc_event_delivered_on_poll(void **state)
{
	struct tt_link_watch *w = tt_link_watch_create(on_link, &ev);

	(void)state;
	assert_int_equal(tt_link_watch_add(w, PORT, NULL, NULL), 0);
	fire_lsc(RTE_ETH_LINK_DOWN);
	/* The callback records; only the poll delivers. */
	assert_int_equal(ev.n, 0);
	assert_int_equal(tt_link_watch_poll(w), 1);
	assert_int_equal(ev.n, 1);
	assert_false(ev.up[0]);
	assert_int_equal(tt_link_watch_poll(w), 0);
	fire_lsc(RTE_ETH_LINK_UP);
	assert_int_equal(tt_link_watch_poll(w), 1);
	assert_int_equal(ev.n, 2);
	assert_true(ev.up[1]);
	tt_link_watch_destroy(w);
}

/* Down and up again between two polls: both are delivered, in order. */
static void test_lsc_flap_not_lost(void **state)
{
	struct tt_link_watch *w = tt_link_watch_create(on_link, &ev);

	(void)state;
	assert_int_equal(tt_link_watch_add(w, PORT, NULL, NULL), 0);
	fire_lsc(RTE_ETH_LINK_DOWN);
	fire_lsc(RTE_ETH_LINK_UP);
	assert_int_equal(tt_link_watch_poll(w), 2);
	assert_int_equal(ev.n, 2);
	assert_false(ev.up[0]);
	assert_true(ev.up[1]);
	/* A spurious event with no change delivers nothing. */
	fire_lsc(RTE_ETH_LINK_UP);
	assert_int_equal(tt_link_watch_poll(w), 0);
	assert_int_equal(ev.n, 2);
	tt_link_watch_destroy(w);
}

static void test_register_failure_falls_back_to_poll(void **state)
{
	struct tt_link_watch *w = tt_link_watch_create(on_link, &ev);
	enum tt_link_mode mode = TT_LINK_MODE_NONE;

	(void)state;
	mock.register_ret = -ENOTSUP;
	assert_int_equal(tt_link_watch_add(w, PORT, &mode, NULL), 0);
	assert_int_equal(mode, TT_LINK_MODE_POLL);
	mock.link_status = RTE_ETH_LINK_DOWN;
	assert_int_equal(tt_link_watch_poll(w), 1);
	assert_false(ev.up[0]);
	tt_link_watch_destroy(w);
	assert_int_equal(mock.unregisters, 0);
}

static void test_no_lsc_flag_polls(void **state)
{
	struct tt_link_watch *w = tt_link_watch_create(on_link, &ev);
	enum tt_link_mode mode = TT_LINK_MODE_NONE;

	(void)state;
	mock.dev_flags = 0;
	assert_int_equal(tt_link_watch_add(w, PORT, &mode, NULL), 0);
	assert_int_equal(mode, TT_LINK_MODE_POLL);
	assert_int_equal(mock.registers, 0);
	mock.link_reads = 0;
	assert_int_equal(tt_link_watch_poll(w), 0);
	assert_int_equal(mock.link_reads, 1);
	tt_link_watch_destroy(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lsc_registered, reset),
		cmocka_unit_test_setup(test_lsc_event_delivered_on_poll, reset),
		cmocka_unit_test_setup(test_lsc_flap_not_lost, reset),
		cmocka_unit_test_setup(test_register_failure_falls_back_to_poll, reset),
		cmocka_unit_test_setup(test_no_lsc_flag_polls, reset),
	};

	rte_openlog_stream(stderr);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
