/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/link on ring ports: the poll path. Ring ports raise no LSC
 * interrupt; rte_eth_dev_set_link_down() flips their link flag, which the
 * poll must turn into exactly one "down" (and later one "up") event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <rte_ethdev.h>

#include "eal_test.h"
#include "link.h"
#include "port.h"

#define MAX_EVENTS 8

struct events {
	unsigned int n;
	uint16_t port[MAX_EVENTS];
	bool up[MAX_EVENTS];
};

static void on_link(uint16_t port_id, bool up, void *arg)
{
	struct events *ev = arg;

	assert_true(ev->n < MAX_EVENTS);
	ev->port[ev->n] = port_id;
	ev->up[ev->n] = up;
	ev->n++;
}

struct fixture {
	struct tt_port_ring_pair pair;
	struct tt_port port[2];
	struct events ev;
	struct tt_link_watch *w;
};

static int fixture_setup(void **state)
{
	static struct fixture fx;
	const struct tt_port_conf conf = {.nb_rxq = 1, .nb_txq = 1, .nb_rxd = 64, .nb_txd = 64};
	unsigned int i;

	memset(&fx, 0, sizeof(fx));
	if (tt_port_ring_pair_create(&fx.pair, "lk", 1, 64, SOCKET_ID_ANY) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (tt_port_init(&fx.port[i], fx.pair.port_id[i], &conf) != 0 ||
		    tt_port_start(&fx.port[i]) != 0)
			return -1;
	fx.w = tt_link_watch_create(on_link, &fx.ev);
	if (fx.w == NULL)
		return -1;
	*state = &fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	tt_link_watch_destroy(fx->w);
	tt_port_stop(&fx->port[0]);
	tt_port_stop(&fx->port[1]);
	tt_port_fini(&fx->port[0]);
	tt_port_fini(&fx->port[1]);
	tt_port_ring_pair_destroy(&fx->pair);
	return 0;
}

static void test_ring_port_is_polled(void **state)
{
	struct fixture *fx = *state;
	enum tt_link_mode mode = TT_LINK_MODE_NONE;
	bool up = false;

	assert_int_equal(tt_link_watch_add(fx->w, fx->port[0].port_id, &mode, &up), 0);
	assert_int_equal(mode, TT_LINK_MODE_POLL);
	assert_true(up);
	assert_int_equal(tt_link_watch_mode(fx->w, fx->port[0].port_id), TT_LINK_MODE_POLL);
	assert_int_equal(tt_link_watch_mode(fx->w, fx->port[1].port_id), TT_LINK_MODE_NONE);
	assert_string_equal(tt_link_mode_name(TT_LINK_MODE_POLL), "poll");
	assert_string_equal(tt_link_mode_name(TT_LINK_MODE_LSC), "lsc-interrupt");
	assert_string_equal(tt_link_mode_name(TT_LINK_MODE_MAX), "?");
	/* The state at add is recorded, not delivered. */
	assert_int_equal(tt_link_watch_poll(fx->w), 0);
	assert_int_equal(fx->ev.n, 0);
}

static void test_set_link_down_delivers_event(void **state)
{
	struct fixture *fx = *state;
	uint16_t p0 = fx->port[0].port_id, p1 = fx->port[1].port_id;

	assert_int_equal(tt_link_watch_add(fx->w, p0, NULL, NULL), 0);
	assert_int_equal(tt_link_watch_add(fx->w, p1, NULL, NULL), 0);

	assert_int_equal(rte_eth_dev_set_link_down(p1), 0);
	assert_int_equal(tt_link_watch_poll(fx->w), 1);
	assert_int_equal(fx->ev.n, 1);
	assert_int_equal(fx->ev.port[0], p1);
	assert_false(fx->ev.up[0]);
	/* No change, no event. */
	assert_int_equal(tt_link_watch_poll(fx->w), 0);
	assert_int_equal(fx->ev.n, 1);

	assert_int_equal(rte_eth_dev_set_link_up(p1), 0);
	assert_int_equal(rte_eth_dev_set_link_down(p0), 0);
	assert_int_equal(tt_link_watch_poll(fx->w), 2);
	assert_int_equal(fx->ev.n, 3);
	/* Ports are visited in id order. */
	assert_int_equal(fx->ev.port[1], p0);
	assert_false(fx->ev.up[1]);
	assert_int_equal(fx->ev.port[2], p1);
	assert_true(fx->ev.up[2]);
}

static void test_add_remove(void **state)
{
	struct fixture *fx = *state;
	uint16_t p0 = fx->port[0].port_id;

	assert_int_equal(tt_link_watch_add(fx->w, p0, NULL, NULL), 0);
	assert_int_equal(tt_link_watch_add(fx->w, p0, NULL, NULL), -EEXIST);
	assert_int_equal(tt_link_watch_remove(fx->w, p0), 0);
	assert_int_equal(tt_link_watch_remove(fx->w, p0), -ENOENT);
	assert_int_equal(tt_link_watch_mode(fx->w, p0), TT_LINK_MODE_NONE);
	/* A removed port is not polled any more. */
	assert_int_equal(rte_eth_dev_set_link_down(p0), 0);
	assert_int_equal(tt_link_watch_poll(fx->w), 0);
	assert_int_equal(fx->ev.n, 0);
	/* Bad ports. */
	assert_int_equal(tt_link_watch_add(fx->w, RTE_MAX_ETHPORTS, NULL, NULL), -ENODEV);
	assert_int_equal(tt_link_watch_add(fx->w, RTE_MAX_ETHPORTS - 1, NULL, NULL), -ENODEV);
	assert_null(tt_link_watch_create(NULL, NULL));
}

static int setup(void **state)
{
	(void)state;
	return tt_eal_test_init("link") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ring_port_is_polled, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_set_link_down_delivers_event, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_add_remove, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
