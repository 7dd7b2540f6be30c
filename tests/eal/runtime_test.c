/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/runtime on one crossed ring pair: a worker endpoint runs on lcore
 * 1; the test thread (main lcore) plays the rest of the network on the
 * other port, sending and receiving raw frames. Covers the configuration
 * checks, commands before start / while running / after stop, ARP (answered,
 * peers resolved with retry, static entries), foreign and malformed frames
 * counted exactly, the frames the runtime builds (parsed back, checksums
 * verified), a shim cut of the heartbeat flow, the link watch, both poll
 * modes (POLL, BACKOFF: sleeps counted, utilisation, lateness histogram) and
 * heartbeat steering in RTE_FLOW mode (rte_flow mocked).
 *
 * Nothing here depends on timing beyond generous waits (a missing frame
 * fails after WAIT_MS, it never blocks the run).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "bfd_wire.h"
#include "pkt.h"
#include "port.h"
#include "runtime.h"
#include "tsc_clock.h"

#define MS(n)	   ((tt_ns_t)(n)*TT_NS_PER_MS)
#define WORKER_IP  0x0a00000bu /* 10.0.0.11 */
#define MASTER_IP  0x0a000001u /* 10.0.0.1 */
#define OTHER_IP   0x0a000063u
#define HB_SPORT   49200
#define WAIT_MS	   3000u
#define DATA_LCORE 1

static const uint8_t master_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xaa};

/*
 * rte_flow is wrapped (-Wl,--wrap): no PMD here supports it, so the RTE_FLOW
 * steering path is taken by a mock that accepts the rule; otherwise the
 * calls reach the ring PMD, which refuses (SOFTWARE mode).
 */
static struct {
	bool accept;
	unsigned int creates, destroys;
} flow_mock;

#define FAKE_FLOW ((struct rte_flow *)(uintptr_t)0x7e7e)

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

int __wrap_rte_flow_validate(uint16_t port_id, const struct rte_flow_attr *attr,
			     const struct rte_flow_item pattern[],
			     const struct rte_flow_action actions[], struct rte_flow_error *error)
{
	if (!flow_mock.accept)
		return __real_rte_flow_validate(port_id, attr, pattern, actions, error);
	return 0;
}

struct rte_flow *__wrap_rte_flow_create(uint16_t port_id, const struct rte_flow_attr *attr,
					const struct rte_flow_item pattern[],
					const struct rte_flow_action actions[],
					struct rte_flow_error *error)
{
	if (!flow_mock.accept)
		return __real_rte_flow_create(port_id, attr, pattern, actions, error);
	flow_mock.creates++;
	return FAKE_FLOW;
}

int __wrap_rte_flow_destroy(uint16_t port_id, struct rte_flow *flow, struct rte_flow_error *error)
{
	if (flow != FAKE_FLOW)
		return __real_rte_flow_destroy(port_id, flow, error);
	flow_mock.destroys++;
	return 0;
}

static struct tt_tsc_clock clk;

/* One ring pair per test: [0] the runtime's port, [1] the test's. */
struct fixture {
	struct tt_port_ring_pair pair;
	struct tt_port port[2];
	struct tt_rt *rt;
	uint8_t wmac[6]; /* the worker's MAC on port[0] */
};

static struct fixture fx;
static unsigned int fixture_seq;

static int eal_init(void)
{
	char *argv[] = {
		(char *)"tether-runtime-test",
		(char *)"--no-huge",
		(char *)"-m",
		(char *)"256",
		(char *)"--no-pci",
		(char *)"--no-shconf",
		(char *)"--no-telemetry",
		(char *)"-l",
		(char *)"0-1",
		(char *)"--file-prefix=tt_eal_runtime",
		(char *)"--log-level=lib.eal:warning",
	};

	rte_openlog_stream(stderr);
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv);
}

static int group_setup(void **state)
{
	(void)state;
	if (eal_init() < 0 || rte_lcore_count() < 2)
		return -1;
	return tt_tsc_clock_init(&clk, 0);
}

static int group_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static int setup_q(uint16_t nb_q)
{
	const struct tt_port_conf pc = {
		.nb_rxq = nb_q,
		.nb_txq = nb_q,
		.nb_rxd = 128,
		.nb_txd = 128,
		.nb_lcores = 2,
		.cache_size = 32,
		.extra_mbufs = 256,
	};
	char name[16];

	memset(&fx, 0, sizeof(fx));
	snprintf(name, sizeof(name), "rt%u", fixture_seq++);
	if (tt_port_ring_pair_create(&fx.pair, name, nb_q, 512, SOCKET_ID_ANY) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (tt_port_init(&fx.port[i], fx.pair.port_id[i], &pc) != 0 ||
		    tt_port_start(&fx.port[i]) != 0)
			return -1;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_q(1);
}

static int setup2(void **state)
{
	(void)state;
	return setup_q(2);
}

static int teardown(void **state)
{
	(void)state;
	tt_rt_destroy(fx.rt);
	tt_port_stop(&fx.port[0]);
	tt_port_stop(&fx.port[1]);
	tt_port_ring_pair_destroy(&fx.pair);
	tt_port_fini(&fx.port[0]);
	tt_port_fini(&fx.port[1]);
	return 0;
}

static void worker_ep(struct tt_rt_ep_config *ec)
{
	struct tt_worker_config *c = &ec->worker;

	memset(ec, 0, sizeof(*ec));
	ec->role = TT_RT_ROLE_WORKER;
	c->worker_id = 1;
	c->epoch = 1;
	c->ip = WORKER_IP;
	c->master_ip = MASTER_IP;
	c->hb_src_port = HB_SPORT;
	c->dc_port_base = 40000;
	c->n_chan = 2;
	c->worker_timers = (struct tt_hb_timers){10000, 10000, 6};
	c->master_timers = (struct tt_hb_timers){10000, 10000, 3};
	c->d_max_ns = MS(5);
	c->granularity_ns = MS(1);
	/* Down-state heartbeats every 10 ms: a steady stream to watch. */
	c->slow_tx_us = 10000;
	c->allow_fast_slow_rate = true;
	tt_dc_config_default(&c->dc);
	c->max_tasks = 8;
	c->max_handlers = 4;
	c->max_result = 256;
	c->fence_action = TT_WORKER_FENCE_EXIT;
	c->timeline_cap = 256;
	c->seed = 5;
	ec->n_ports = 1;
	ec->ports[0].port = &fx.port[0];
	ec->arp_retry_ns = MS(5);
}

static struct tt_rt *rt_new(const struct tt_rt_ep_config *ec, uint32_t n, enum tt_rt_poll_mode mode,
			    char *err, size_t len)
{
	struct tt_rt_config cfg = {
		.lcore_id = DATA_LCORE,
		.poll_mode = mode,
		.clock = &clk,
		.n_eps = n,
		.eps = ec,
	};

	return tt_rt_create(&cfg, err, len);
}

static void sleep_ms(unsigned int ms)
{
	rte_delay_us_sleep(ms * 1000u);
}

/* ---- the test's side of the wire ---- */

static void send_frame_q(uint16_t queue, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx.port[1].pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	assert_int_equal(rte_eth_tx_burst(fx.port[1].port_id, queue, &m, 1), 1);
}

static void send_frame(const uint8_t *frame, size_t len)
{
	send_frame_q(0, frame, len);
}

/* The next frame from the runtime, within WAIT_MS. @return its length, 0 on timeout. */
static size_t recv_frame(uint8_t *buf, size_t cap, unsigned int wait_ms)
{
	for (unsigned int t = 0; t <= wait_ms * 10; t++) {
		struct rte_mbuf *m;

		if (rte_eth_rx_burst(fx.port[1].port_id, 0, &m, 1) == 1) {
			size_t len = rte_pktmbuf_data_len(m);

			assert_true(len <= cap);
			memcpy(buf, rte_pktmbuf_mtod(m, const void *), len);
			rte_pktmbuf_free(m);
			return len;
		}
		rte_delay_us_sleep(100);
	}
	return 0;
}

/* Frames received within wait_ms, by kind. */
struct tally {
	unsigned int arp_req, bfd, other;
};

static struct tally recv_for(unsigned int wait_ms)
{
	struct tally t = {0};
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * wait_ms / 1000;
	uint8_t f[2048];
	struct tt_pkt_view v;
	struct tt_pkt_arp a;

	while (rte_get_timer_cycles() < end) {
		size_t len = recv_frame(f, sizeof(f), 1);

		if (len == 0)
			continue;
		if (tt_pkt_parse_arp(f, len, &a) == TT_PKT_RX_OK && a.op == TT_PKT_ARP_REQUEST)
			t.arp_req++;
		else if (tt_pkt_parse_udp4(f, len, &v) == TT_PKT_RX_OK && v.dst_port == 3784)
			t.bfd++;
		else
			t.other++;
	}
	return t;
}

static size_t udp_frame(uint8_t *f, uint32_t dst_ip, uint16_t dst_port, uint8_t proto_fix)
{
	struct tt_pkt_udp4_hdr h = {0};
	static const uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	size_t len;

	memcpy(h.eth_dst, fx.wmac, 6);
	memcpy(h.eth_src, master_mac, 6);
	h.ip_src = MASTER_IP;
	h.ip_dst = dst_ip;
	h.ttl = 64;
	h.src_port = 5000;
	h.dst_port = dst_port;
	len = tt_pkt_build_udp4(f, 2048, &h, payload, sizeof(payload));
	if (proto_fix != 0) {
		/* Another IPv4 protocol, checksum recomputed (RFC 791). */
		f[14 + 9] = proto_fix;
		f[14 + 10] = 0;
		f[14 + 11] = 0;
		uint16_t c = tt_pkt_csum_finish(tt_pkt_csum_add(0, f + 14, 20));
		f[14 + 10] = (uint8_t)(c >> 8);
		f[14 + 11] = (uint8_t)c;
	}
	return len;
}

static void wait_rx_pkts(uint32_t ep, uint64_t n, struct tt_rt_port_stats *ps)
{
	for (unsigned int t = 0; t < WAIT_MS; t++) {
		assert_int_equal(tt_rt_port_stats(fx.rt, ep, 0, ps), 0);
		if (ps->ctr[TT_RT_PC_RX_PKTS] >= n)
			return;
		sleep_ms(1);
	}
}

/* ---- tests ---- */

static int call_fn(const struct tt_rt_ep_view *ep, tt_ns_t now, void *arg)
{
	(void)now;
	*(unsigned int *)arg += 1;
	return ep->role == TT_RT_ROLE_WORKER && ep->worker != NULL && ep->master == NULL &&
			       ep->neigh != NULL && ep->shim != NULL
		       ? 42
		       : -1;
}

static void test_config_and_commands_stopped(void **state)
{
	struct tt_rt_ep_config ec[2];
	struct tt_port unstarted;
	struct tt_rt_ep_snapshot s;
	struct tt_rt_ep_view v;
	struct tt_rt_config cfg;
	char err[256];
	unsigned int calls = 0;

	(void)state;
	worker_ep(&ec[0]);
	cfg = (struct tt_rt_config){.lcore_id = DATA_LCORE, .clock = &clk, .n_eps = 1, .eps = ec};
	/* SPLIT needs a heartbeat lcore of its own. */
	cfg.layout = TT_RT_LAYOUT_SPLIT;
	cfg.hb_lcore_id = DATA_LCORE;
	errno = 0;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "split"));
	assert_non_null(strstr(err, "hb_lcore_id"));
	cfg.layout = TT_RT_LAYOUT_COMBINED;
	cfg.lcore_id = rte_get_main_lcore();
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "lcore"));
	cfg.lcore_id = DATA_LCORE;
	cfg.n_eps = 0;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	cfg.n_eps = 1;
	cfg.burst = 1000;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "burst 1000"));
	cfg.burst = 0;
	cfg.cmd_ring_size = 100;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "power of two"));
	cfg.cmd_ring_size = 0;

	unstarted = fx.port[0];
	unstarted.started = false;
	ec[0].ports[0].port = &unstarted;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "not started"));
	ec[0].ports[0].port = &fx.port[0];
	ec[0].ports[0].queue = 1;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "queue 1"));
	ec[0].ports[0].queue = 0;
	ec[0].ports[0].mac[0] = 0x01;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "multicast"));
	ec[0].ports[0].mac[0] = 0;
	/* Two endpoints on one queue. */
	worker_ep(&ec[1]);
	ec[1].worker.ip = WORKER_IP + 1;
	cfg.n_eps = 2;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "already used"));
	cfg.n_eps = 1;
	/* The engine's own check: T1 = 3 x 10 ms is not above T2 + I + d_max + g. */
	ec[0].worker.worker_timers.detect_mult = 3;
	errno = 0;
	assert_null(tt_rt_create(&cfg, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "ep 0 (worker)"));
	ec[0].worker.worker_timers.detect_mult = 6;

	/* A valid runtime, never started: commands run on the calling thread. */
	fx.rt = tt_rt_create(&cfg, err, sizeof(err));
	assert_non_null(fx.rt);
	assert_int_equal(tt_rt_state(fx.rt), TT_RT_S_CREATED);
	assert_false(tt_rt_running(fx.rt));
	assert_int_equal(tt_rt_lcore(fx.rt), DATA_LCORE);
	assert_int_equal(tt_rt_n_eps(fx.rt), 1);
	struct tt_rt_cmd c = {.type = TT_RT_CMD_SNAPSHOT, .ep = 0, .snap = &s};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);
	assert_int_equal(s.role, TT_RT_ROLE_WORKER);
	assert_int_equal(s.worker_state, TT_WORKER_S_JOINING);
	assert_int_equal(s.worker_epoch, 1);
	assert_false(s.exited);
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_CALL, .ep = 0, .fn = call_fn, .arg = &calls};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 42);
	assert_int_equal(calls, 1);
	/* Refused before they run: bad endpoint, master-only commands, missing fields. */
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_SNAPSHOT, .ep = 1, .snap = &s};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), -EINVAL);
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_SUBMIT, .ep = 0, .handler = "echo"};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), -EINVAL);
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_SNAPSHOT, .ep = 0};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), -EINVAL);
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_MAX, .ep = 0};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), -EINVAL);
	/* The engine's answer comes back: a channel out of range. */
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_CUT, .ep = 0, .chan = 5};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), -EINVAL);
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_CUT, .ep = 0, .chan = 1};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), -EALREADY);
	c.type = TT_RT_CMD_RESTORE;
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);

	assert_int_equal(tt_rt_ep(fx.rt, 0, &v), 0);
	assert_non_null(v.worker);
	assert_null(v.master);
	assert_int_equal(tt_rt_ep(fx.rt, 1, &v), -ENOENT);
	assert_non_null(tt_rt_timeline(fx.rt, 0));
	assert_null(tt_rt_timeline(fx.rt, 1));
	assert_int_equal(tt_rt_flow_hb(fx.rt, 0, 0), 0);
	assert_int_equal(tt_rt_flow_chan(fx.rt, 0, 0, 1), 2);
	assert_int_equal(tt_rt_flow_chan(fx.rt, 0, 0, 2), -EINVAL);
	assert_int_equal(tt_rt_flow_hb(fx.rt, 1, 0), -ENOENT);
	assert_true(tt_rt_clock(fx.rt) == &clk);
	assert_int_equal(tt_rt_stop(fx.rt), -EALREADY);
	assert_string_equal(tt_rt_role_name(TT_RT_ROLE_MASTER), "master");
	assert_string_equal(tt_rt_layout_name(TT_RT_LAYOUT_COMBINED), "combined");
	assert_string_equal(tt_rt_poll_mode_name(TT_RT_POLL_BACKOFF), "idle-backoff");
	assert_string_equal(tt_rt_state_name(TT_RT_S_STOPPED), "stopped");
	assert_string_equal(tt_rt_port_ctr_name(TT_RT_PC_RX_FOREIGN), "rx_foreign");
	assert_string_equal(tt_rt_cmd_name(TT_RT_CMD_SHIM_SET), "shim-set");
	assert_string_equal(tt_rt_cmd_name(TT_RT_CMD_MAX), "?");
}

/*
 * POLL mode, ARP resolution of the master: requests repeat until answered;
 * then heartbeats flow to the master's MAC; the test's frames are sorted and
 * counted exactly; a shim cut stops the heartbeats; the link watch reports a
 * link down.
 */
static void test_arp_foreign_shim_link(void **state)
{
	struct tt_rt_ep_config ec;
	struct tt_rt_port_stats ps;
	struct tt_rt_ep_snapshot s;
	struct tt_rt_lcore_stats ls;
	struct tt_rt_ep_view v;
	struct tt_pkt_arp a;
	struct tt_pkt_view pv;
	struct tt_bfd_ctrl bfd;
	struct tally t;
	uint8_t f[2048];
	size_t len;
	unsigned int calls = 0;
	char err[256];

	(void)state;
	worker_ep(&ec);
	fx.rt = rt_new(&ec, 1, TT_RT_POLL_POLL, err, sizeof(err));
	assert_non_null(fx.rt);
	assert_int_equal(tt_rt_port_stats(fx.rt, 0, 0, &ps), 0);
	memcpy(fx.wmac, ps.mac, 6);
	/* Ring ports have no MAC: the runtime made one, locally administered. */
	assert_int_equal(fx.wmac[0], 0x02);
	assert_int_equal(fx.wmac[5], (uint8_t)fx.port[0].port_id);
	assert_int_equal(ps.hb_mode, TT_FLOW_MODE_SOFTWARE);
	assert_int_equal(tt_rt_start(fx.rt), 0);
	assert_true(tt_rt_running(fx.rt));
	assert_int_equal(tt_rt_ep(fx.rt, 0, &v), -EBUSY);

	/* Unanswered, the request is repeated every arp_retry_ns. */
	for (int k = 0; k < 2; k++) {
		len = recv_frame(f, sizeof(f), WAIT_MS);
		assert_int_equal(len, TT_PKT_ARP_FRAME_LEN);
		assert_int_equal(tt_pkt_parse_arp(f, len, &a), TT_PKT_RX_OK);
		assert_int_equal(a.op, TT_PKT_ARP_REQUEST);
		assert_int_equal(a.spa, WORKER_IP);
		assert_int_equal(a.tpa, MASTER_IP);
		assert_memory_equal(a.sha, fx.wmac, 6);
	}
	/* Answer it. */
	struct tt_pkt_arp rep = {0};
	memcpy(rep.eth_dst, fx.wmac, 6);
	memcpy(rep.eth_src, master_mac, 6);
	rep.op = TT_PKT_ARP_REPLY;
	memcpy(rep.sha, master_mac, 6);
	rep.spa = MASTER_IP;
	memcpy(rep.tha, fx.wmac, 6);
	rep.tpa = WORKER_IP;
	send_frame(f, tt_pkt_build_arp(f, sizeof(f), &rep));

	/* Heartbeats now reach the master's MAC: RFC 5881 addressing, checksums right. */
	for (;;) {
		len = recv_frame(f, sizeof(f), WAIT_MS);
		assert_true(len > 0);
		if (tt_pkt_ethertype(f, len) != TT_PKT_ETHERTYPE_ARP)
			break;
	}
	assert_int_equal(tt_pkt_parse_udp4(f, len, &pv), TT_PKT_RX_OK);
	assert_memory_equal(pv.eth_dst, master_mac, 6);
	assert_memory_equal(pv.eth_src, fx.wmac, 6);
	assert_int_equal(pv.ip_src, WORKER_IP);
	assert_int_equal(pv.ip_dst, MASTER_IP);
	assert_int_equal(pv.dst_port, 3784);
	assert_int_equal(pv.src_port, HB_SPORT);
	assert_int_equal(pv.ttl, 255);
	assert_int_equal(tt_bfd_parse(pv.payload, pv.payload_len, &bfd), TT_BFD_RX_OK);

	/* The test's frames: ARP request for us, then the ones to count. */
	struct tt_pkt_arp req;
	tt_pkt_arp_request(&req, master_mac, MASTER_IP, WORKER_IP);
	send_frame(f, tt_pkt_build_arp(f, sizeof(f), &req));
	tt_pkt_arp_request(&req, master_mac, MASTER_IP, OTHER_IP); /* not ours */
	send_frame(f, tt_pkt_build_arp(f, sizeof(f), &req));
	len = udp_frame(f, WORKER_IP, 9, 0); /* to us, no such port: the engine drops it */
	send_frame(f, len);
	len = udp_frame(f, OTHER_IP, 9, 0); /* another host's */
	send_frame(f, len);
	len = udp_frame(f, WORKER_IP, 9, 1); /* ICMP */
	send_frame(f, len);
	len = udp_frame(f, WORKER_IP, 9, 0);
	f[14 + 10] ^= 0xff; /* broken IPv4 header checksum */
	send_frame(f, len);
	len = udp_frame(f, WORKER_IP, 9, 0);
	f[12] = 0x86; /* IPv6 (an ND solicitation would look the same here) */
	f[13] = 0xdd;
	send_frame(f, len);

	/* 1 ARP reply + 7 frames. */
	wait_rx_pkts(0, 8, &ps);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_PKTS], 8);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_ARP], 2);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_FOREIGN], 4);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_MALFORMED], 1);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_UDP], 1);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_ENGINE_DROP], 1);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_HB], 0);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_SEGMENTED], 0);
	assert_int_equal(ps.parse[TT_PKT_RX_OK], 2);
	assert_int_equal(ps.parse[TT_PKT_RX_NOT_UDP], 1);
	assert_int_equal(ps.parse[TT_PKT_RX_IP_CHECKSUM], 1);
	assert_int_equal(ps.parse[TT_PKT_RX_FOREIGN], 1);
	assert_true(ps.ctr[TT_RT_PC_TX_NO_NEIGH] > 0); /* heartbeats before the reply */

	/* Our ARP reply, among the heartbeats. */
	for (;;) {
		len = recv_frame(f, sizeof(f), WAIT_MS);
		assert_true(len > 0);
		if (tt_pkt_parse_arp(f, len, &a) == TT_PKT_RX_OK)
			break;
	}
	assert_int_equal(a.op, TT_PKT_ARP_REPLY);
	assert_memory_equal(a.sha, fx.wmac, 6);
	assert_int_equal(a.spa, WORKER_IP);
	assert_memory_equal(a.tha, master_mac, 6);
	assert_int_equal(a.tpa, MASTER_IP);

	struct tt_rt_cmd c = {.type = TT_RT_CMD_SNAPSHOT, .ep = 0, .snap = &s};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);
	assert_true(s.neigh[TT_NEIGH_C_REQ_TX] >= 2);
	assert_int_equal(s.neigh[TT_NEIGH_C_REPLY_RX], 1);
	assert_int_equal(s.neigh[TT_NEIGH_C_LEARNED], 1);
	assert_int_equal(s.neigh[TT_NEIGH_C_REQ_RX], 1);
	assert_int_equal(s.neigh[TT_NEIGH_C_REPLY_TX], 1);
	assert_int_equal(s.neigh[TT_NEIGH_C_NOT_OURS], 1);
	assert_int_equal(s.worker_state, TT_WORKER_S_JOINING);
	assert_true(s.worker.rx_datagrams >= 1);
	assert_true(tt_time_after(c.done_ns, 0));

	/* A CALL runs on the lcore with the endpoint at hand. */
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_CALL, .ep = 0, .fn = call_fn, .arg = &calls};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 42);
	assert_int_equal(calls, 1);

	/* Cut the heartbeat flow in the shim: nothing more reaches the wire. */
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_SHIM_SET, .ep = 0, .flow = 0};
	c.fault.cut = true;
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);
	recv_for(20); /* what was queued before the cut */
	t = recv_for(100);
	assert_int_equal(t.bfd, 0);
	c.fault.cut = false;
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);
	t = recv_for(200);
	assert_true(t.bfd >= 2);

	/* Link down (ring ports: polled) reaches the endpoint. */
	assert_int_equal(rte_eth_dev_set_link_down(fx.port[0].port_id), 0);
	for (unsigned int w = 0; w < WAIT_MS; w++) {
		tt_rt_lcore_stats(fx.rt, &ls);
		if (ls.link_downs > 0)
			break;
		sleep_ms(1);
	}
	assert_int_equal(ls.link_downs, 1);
	assert_int_equal(rte_eth_dev_set_link_up(fx.port[0].port_id), 0);

	assert_int_equal(tt_rt_stop(fx.rt), 0);
	assert_int_equal(tt_rt_state(fx.rt), TT_RT_S_STOPPED);
	assert_int_equal(tt_rt_stop(fx.rt), -EALREADY);
	assert_int_equal(tt_rt_start(fx.rt), -EALREADY);
	tt_rt_lcore_stats(fx.rt, &ls);
	assert_int_equal(ls.poll_mode, TT_RT_POLL_POLL);
	assert_int_equal(ls.sleeps, 0);
	assert_true(ls.passes > 1000);
	assert_true(ls.cmds >= 4);
	assert_int_equal(tt_rt_port_stats(fx.rt, 0, 0, &ps), 0);
	assert_true(ps.ctr[TT_RT_PC_TX_ARP] >= 3);
	assert_int_equal(ps.ctr[TT_RT_PC_TX_NIC_FULL], 0);
	/* After stop, commands run on the caller. */
	c = (struct tt_rt_cmd){.type = TT_RT_CMD_SNAPSHOT, .ep = 0, .snap = &s};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);
	assert_int_equal(tt_rt_ep(fx.rt, 0, &v), 0);
}

/* BACKOFF mode with a static entry for the master: no ARP, sleeps, histogram. */
static void test_backoff_static(void **state)
{
	struct tt_rt_ep_config ec;
	struct tt_rt_neigh_static st = {.ip = MASTER_IP, .port_idx = 0};
	struct tt_rt_lcore_stats ls;
	struct tt_rt_port_stats ps;
	struct tt_fence_event ev[8];
	struct tally t;
	uint64_t sum = 0;
	char err[256];

	(void)state;
	memcpy(st.mac, master_mac, 6);
	worker_ep(&ec);
	ec.n_static = 1;
	ec.statics = &st;
	fx.rt = rt_new(&ec, 1, TT_RT_POLL_BACKOFF, err, sizeof(err));
	assert_non_null(fx.rt);
	assert_int_equal(tt_rt_start(fx.rt), 0);
	t = recv_for(300);
	assert_int_equal(t.arp_req, 0);
	assert_int_equal(t.other, 0);
	assert_true(t.bfd >= 5);

	struct tt_rt_cmd c = {.type = TT_RT_CMD_TL_READ, .ep = 0, .events = ev, .events_cap = 8};
	assert_int_equal(tt_rt_cmd_exec(fx.rt, &c), 0);
	assert_int_equal(c.count, 0); /* nothing happened to the worker yet */

	tt_rt_request_stop(fx.rt);
	assert_int_equal(tt_rt_stop(fx.rt), 0);
	tt_rt_lcore_stats(fx.rt, &ls);
	assert_int_equal(ls.poll_mode, TT_RT_POLL_BACKOFF);
	assert_true(ls.sleeps > 0);
	assert_true(ls.sleep_ns > 0);
	assert_true(ls.busy_ns * 2 < ls.total_ns); /* utilisation below 50 % */
	assert_true(ls.deadlines > 0);
	for (unsigned int b = 0; b < TT_RT_LATE_BUCKETS; b++)
		sum += ls.late_hist[b];
	assert_int_equal(sum, ls.deadlines);
	assert_int_equal(tt_rt_port_stats(fx.rt, 0, 0, &ps), 0);
	assert_int_equal(ps.ctr[TT_RT_PC_TX_ARP], 0);
	assert_int_equal(ps.ctr[TT_RT_PC_TX_NO_NEIGH], 0);
	assert_true(ps.ctr[TT_RT_PC_TX_PKTS] >= 5);
	printf("# backoff: %" PRIu64 " passes, %" PRIu64 " sleeps, utilisation %.2f %%, "
	       "lateness max %.1f us\n",
	       ls.passes, ls.sleeps, 100.0 * (double)ls.busy_ns / (double)ls.total_ns,
	       (double)ls.late_max_ns / 1000.0);
}

/*
 * RTE_FLOW steering (mocked rule): heartbeats arrive on a queue of their own,
 * which the runtime polls besides the data queue; the rule is removed at destroy.
 */
static void test_rte_flow_steering(void **state)
{
	struct tt_rt_ep_config ec;
	struct tt_rt_port_stats ps;
	uint8_t f[2048];
	size_t len;
	char err[256];

	(void)state;
	worker_ep(&ec);
	ec.ports[0].try_hb_steer = true;
	ec.ports[0].hb_queue = 1;
	flow_mock.accept = true;
	flow_mock.creates = 0;
	flow_mock.destroys = 0;
	fx.rt = rt_new(&ec, 1, TT_RT_POLL_POLL, err, sizeof(err));
	flow_mock.accept = false;
	assert_non_null(fx.rt);
	assert_int_equal(flow_mock.creates, 1);
	assert_int_equal(tt_rt_port_stats(fx.rt, 0, 0, &ps), 0);
	assert_int_equal(ps.hb_mode, TT_FLOW_MODE_RTE_FLOW);
	memcpy(fx.wmac, ps.mac, 6);
	assert_int_equal(tt_rt_start(fx.rt), 0);
	/* A heartbeat-port datagram on the heartbeat queue, a data one on queue 0. */
	len = udp_frame(f, WORKER_IP, 3784, 0);
	send_frame_q(1, f, len);
	len = udp_frame(f, WORKER_IP, 9, 0);
	send_frame_q(0, f, len);
	wait_rx_pkts(0, 2, &ps);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_PKTS], 2);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_UDP], 2);
	assert_int_equal(ps.ctr[TT_RT_PC_RX_HB], 1);
	assert_int_equal(tt_rt_stop(fx.rt), 0);
	tt_rt_destroy(fx.rt);
	fx.rt = NULL;
	assert_int_equal(flow_mock.destroys, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_commands_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_foreign_shim_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_static, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rte_flow_steering, setup2, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
