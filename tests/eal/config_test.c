/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apps/tether-pmd/config.c: the INI loader (rte_cfgfile, no EAL needed).
 *
 * A table of bad configurations, each a small INI written to a temporary
 * file: the loader must return -EINVAL with a message that starts with the
 * file name and contains the exact expected text (line, section, key, value,
 * what is allowed). Then: the three shipped files and the built-in demo load,
 * and their mapping to the engine's master and worker configurations gives
 * the values the files say.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "dc_fsm.h"

#ifndef TT_CONFIG_DIR
#error "TT_CONFIG_DIR (the source tree's config/) must be defined"
#endif

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

/* Six lines each: a valid worker and a valid master; rows append to them. */
#define W_HEAD "[node]\nrole = worker\nworker_id = 1\n[net]\nip = 10.0.0.11\nmaster_ip = 10.0.0.1\n"
#define M_HEAD "[node]\nrole = master\n[net]\nip = 10.0.0.1\n[workers]\n1 = 10.0.0.11\n"

struct bad_row {
	const char *name;
	const char *text;
	const char *expect; /* substring of the message, after "FILE" */
};

static const struct bad_row bad_rows[] = {
	/* The brief's own example. */
	{"mult_zero", W_HEAD "[heartbeat]\nworker_detect_mult = 0\n",
	 ":8: [heartbeat] worker_detect_mult = 0: must be an integer 1..255"},
	{"mult_too_big", W_HEAD "[heartbeat]\nmaster_detect_mult = 256\n",
	 ":8: [heartbeat] master_detect_mult = 256: must be an integer 1..255"},
	/* Structure. */
	{"unknown_section", W_HEAD "[heartbeet]\ninterval_us = 1000\n",
	 ":7: unknown section [heartbeet]; known: node, port, net, neighbours, lcores, heartbeat, "
	 "channels, fence, auth, tasks, workers"},
	{"unknown_key", W_HEAD "[heartbeat]\nintervl_us = 1000\n",
	 ":8: [heartbeat] unknown key 'intervl_us'; known: interval_us, master_detect_mult, "
	 "worker_detect_mult, d_max_us, granularity_us, slow_tx_us, src_port"},
	{"no_equals", W_HEAD "[heartbeat]\ninterval_us 1000\n",
	 ":8: 'interval_us 1000' is neither a [section] nor key = value"},
	{"key_before_section", "role = worker\n" W_HEAD,
	 ":1: 'role = worker' comes before any [section]"},
	{"unclosed_section", W_HEAD "[heartbeat\n",
	 ":7: '[heartbeat': a section header needs a closing ']'"},
	{"text_after_section", W_HEAD "[heartbeat] x\n",
	 ":7: '[heartbeat] x': text after the section header's ']'"},
	{"empty_section_name", W_HEAD "[ ]\n", ":7: '[]': the section has no name"},
	{"no_key_name", W_HEAD "[heartbeat]\n= 5\n", ":8: '= 5': the key name is missing"},
	{"duplicate_key", W_HEAD "[heartbeat]\ninterval_us = 1000\ninterval_us = 2000\n",
	 ":9: [heartbeat] interval_us given again (first at line 8)"},
	{"duplicate_section", W_HEAD "[net]\n",
	 ":7: section [net] given again (first at line 4): put its keys in one section"},
	{"empty_value", W_HEAD "[heartbeat]\ninterval_us =\n",
	 ":8: [heartbeat] interval_us = : the value is empty"},
	{"long_key",
	 W_HEAD "[heartbeat]\n"
		"k1234567890123456789012345678901234567890123456789012345678901234 = 1\n",
	 ":8: [heartbeat] key name is 65 characters long; at most 63"},
	/* Role. */
	{"role_missing", "[net]\nip = 10.0.0.1\n",
	 ": [node] role is missing: must be one of: master, worker, demo"},
	{"role_bad", "[node]\nrole = boss\n",
	 ":2: [node] role = boss: must be one of: master, worker, demo"},
	{"worker_id_missing",
	 "[node]\nrole = worker\n[net]\nip = 10.0.0.11\nmaster_ip = 10.0.0.1\n",
	 ": [node] worker_id is missing: role worker needs it (this worker's id 0..65535"},
	{"master_ip_missing", "[node]\nrole = worker\nworker_id = 1\n[net]\nip = 10.0.0.11\n",
	 ": [net] master_ip is missing: role worker needs it (the master's IPv4 address"},
	{"ip_missing", "[node]\nrole = master\n[workers]\n1 = 10.0.0.11\n",
	 ": [net] ip is missing: role master needs it"},
	{"worker_id_in_master", "[node]\nrole = master\nworker_id = 1\n",
	 ":3: [node] worker_id = 1: role master does not use this key (only worker); remove it"},
	{"fence_in_master", M_HEAD "[fence]\naction = exit\n",
	 ":7: [fence]: role master does not use this section (only worker, demo); remove it"},
	{"workers_in_worker", W_HEAD "[workers]\n2 = 10.0.0.12\n",
	 ":7: [workers]: role worker does not use this section (only master, demo)"},
	{"port_base_in_master", M_HEAD "[channels]\nport_base = 5000\n",
	 ":8: [channels] port_base = 5000: role master does not use this key (only worker)"},
	{"pci_in_demo", "[node]\nrole = demo\n[port]\npci = 0000:03:00.0\n",
	 ":4: [port] pci = 0000:03:00.0: role demo does not use this key (only master, worker)"},
	/* Values. */
	{"ip_bad", "[node]\nrole = worker\nworker_id = 1\n[net]\nip = 10.0.0.300\n",
	 ":5: [net] ip = 10.0.0.300: must be a unicast IPv4 address"},
	{"ip_loopback", "[node]\nrole = worker\nworker_id = 1\n[net]\nip = 127.0.0.1\n",
	 ":5: [net] ip = 127.0.0.1: must be a unicast IPv4 address"},
	{"ip_multicast", "[node]\nrole = worker\nworker_id = 1\n[net]\nip = 224.0.0.1\n",
	 ":5: [net] ip = 224.0.0.1: must be a unicast IPv4 address"},
	{"master_ip_is_own",
	 "[node]\nrole = worker\nworker_id = 1\n[net]\nip = 10.0.0.11\nmaster_ip = 10.0.0.11\n",
	 ":6: [net] master_ip = 10.0.0.11: the worker's own address ([net] ip): they must differ"},
	{"int_with_unit", W_HEAD "[heartbeat]\ninterval_us = 10ms\n",
	 ":8: [heartbeat] interval_us = 10ms: must be an integer 1..4294967295 us"},
	{"int_negative", W_HEAD "[heartbeat]\nd_max_us = -1\n",
	 ":8: [heartbeat] d_max_us = -1: must be an integer 0..3600000000 us"},
	{"int_overflow", W_HEAD "[heartbeat]\ninterval_us = 99999999999999999999999\n",
	 ":8: [heartbeat] interval_us = 99999999999999999999999: must be an integer "
	 "1..4294967295 us"},
	{"int_zero_interval", W_HEAD "[heartbeat]\ninterval_us = 0\n",
	 ":8: [heartbeat] interval_us = 0: must be an integer 1..4294967295 us"},
	{"worker_id_range", "[node]\nrole = worker\nworker_id = 65536\n",
	 ":3: [node] worker_id = 65536: must be an integer 0..65535"},
	{"src_port_range", W_HEAD "[heartbeat]\nsrc_port = 3784\n",
	 ":8: [heartbeat] src_port = 3784: must be an integer 49152..65535"},
	{"count_range", W_HEAD "[channels]\ncount = 17\n",
	 ":8: [channels] count = 17: must be an integer 1..16"},
	{"msg_bytes_range", W_HEAD "[channels]\nmax_msg_bytes = 65537\n",
	 ":8: [channels] max_msg_bytes = 65537: must be an integer 1..65536 bytes"},
	{"window_range", W_HEAD "[channels]\nwindow = 65\n",
	 ":8: [channels] window = 65: must be an integer 1..64 segments"},
	{"mtu_range", W_HEAD "[port]\nmtu = 9000000\n",
	 ":8: [port] mtu = 9000000: must be an integer 576..9216 bytes"},
	{"lcore_range", W_HEAD "[lcores]\nhb_lcore = 128\n",
	 ":8: [lcores] hb_lcore = 128: must be an integer 0..127"},
	{"poll_mode_bad", W_HEAD "[lcores]\npoll_mode = spin\n",
	 ":8: [lcores] poll_mode = spin: must be one of: poll, backoff"},
	{"fence_action_bad", W_HEAD "[fence]\naction = kill\n",
	 ":8: [fence] action = kill: must be one of: exit, rejoin"},
	{"pci_bad", W_HEAD "[port]\npci = 03:00\n",
	 ":8: [port] pci = 03:00: must be a PCI address DDDD:BB:DD.F or BB:DD.F"},
	{"vdev_bad", W_HEAD "[port]\nvdev = eth0\n",
	 ":8: [port] vdev = eth0: must be <net_driver><n>[,arg=value...] without blanks"},
	{"mac_multicast", W_HEAD "[port]\nmac = 01:00:5e:00:00:01\n",
	 ":8: [port] mac = 01:00:5e:00:00:01: must be a unicast, non-zero MAC address"},
	{"hb_steer_bad", W_HEAD "[port]\nhb_steer = maybe\n",
	 ":8: [port] hb_steer = maybe: must be yes or no"},
	/* Cross-key rules. */
	{"two_port_selectors", W_HEAD "[port]\npci = 0000:03:00.0\nvdev = net_tap0\n",
	 ":9: [port] vdev = net_tap0: give only one of pci, vdev and port_id"},
	{"queues_for_steering", W_HEAD "[port]\nhb_steer = yes\nqueues = 1\n",
	 ":9: [port] queues = 1: must be at least 2 with hb_steer = yes"},
	{"layout_split_no_dc", W_HEAD "[lcores]\nlayout = split\n",
	 ":8: [lcores] layout = split: split needs dc_lcore (the data lcore) besides hb_lcore (1)"},
	{"layout_split_same", W_HEAD "[lcores]\nlayout = split\nhb_lcore = 2\ndc_lcore = 2\n",
	 ":10: [lcores] dc_lcore = 2: the split layout needs two lcores"},
	{"dc_lcore_differs", W_HEAD "[lcores]\nhb_lcore = 1\ndc_lcore = 2\n",
	 ":9: [lcores] dc_lcore = 2: the combined layout runs heartbeat and data on hb_lcore (1)"},
	{"probe_interval_not_below",
	 W_HEAD "[channels]\nprobe_interval_us = 50000\nprobe_timeout_us = 50000\n",
	 ":8: [channels] probe_interval_us = 50000: must be below probe_timeout_us (50000 us)"},
	{"probe_interval_vs_default", W_HEAD "[channels]\nprobe_interval_us = 60000\n",
	 ":8: [channels] probe_interval_us = 60000: must be below probe_timeout_us (50000 us)"},
	{"rto_min_above_max", W_HEAD "[channels]\nrto_min_us = 5000\nrto_max_us = 4000\n",
	 ":8: [channels] rto_min_us = 5000: must be at most rto_max_us (4000 us)"},
	{"dc_port_is_bfd", W_HEAD "[channels]\nport = 3784\n",
	 ":8: [channels] port = 3784: 3784 is the heartbeat (BFD) port"},
	{"port_base_covers_bfd", W_HEAD "[channels]\nport_base = 3780\ncount = 8\n",
	 ":8: [channels] port_base = 3780: the channel ports 3780..3787 include 3784"},
	{"port_base_past_end", W_HEAD "[channels]\nport_base = 65535\n",
	 ":8: [channels] port_base = 65535: channels 65535..65536 would end past port 65535"},
	{"result_too_big",
	 W_HEAD "[tasks]\nmax_result_bytes = 65000\n[channels]\nmax_msg_bytes = 1000\n",
	 ":8: [tasks] max_result_bytes = 65000: a RESULT (24 header bytes + payload) must fit in "
	 "[channels] max_msg_bytes = 1000: at most 976"},
	{"slow_tx_below_1s", W_HEAD "[heartbeat]\nslow_tx_us = 100000\n",
	 ":8: [heartbeat] slow_tx_us = 100000: must be an integer 1000000..4294967295 us: RFC "
	 "5880 §6.8.3"},
	{"src_port_room", M_HEAD "2 = 10.0.0.12\n[heartbeat]\nsrc_port = 65535\n",
	 ":9: [heartbeat] src_port = 65535: the master uses src_port + i for its 2 workers: at "
	 "most 65534"},
	/* [workers] */
	{"workers_empty", "[node]\nrole = master\n[net]\nip = 10.0.0.1\n[workers]\n",
	 ":5: [workers] is missing or empty: role master needs at least one worker"},
	{"workers_missing", "[node]\nrole = master\n[net]\nip = 10.0.0.1\n",
	 ": [workers] is missing or empty: role master needs at least one worker"},
	{"workers_bad_id", M_HEAD "w2 = 10.0.0.12\n",
	 ":7: [workers] w2 = 10.0.0.12: the key must be a worker id 0..65535"},
	{"workers_bad_addr", M_HEAD "2 = 10.0.0.12:0\n",
	 ":7: [workers] 2 = 10.0.0.12:0: must be a unicast IPv4 address, optionally ':' and the "
	 "worker's first data-channel port 1..65535 (default 4800)"},
	{"workers_dup_id", M_HEAD "01 = 10.0.0.12\n",
	 ":7: [workers] 01 = 10.0.0.12: worker id 1 given twice: ids are unique"},
	{"workers_dup_addr", M_HEAD "2 = 10.0.0.11\n",
	 ":7: [workers] 2 = 10.0.0.11: address 10.0.0.11 also belongs to worker 1"},
	{"workers_master_addr", M_HEAD "2 = 10.0.0.1\n",
	 ":7: [workers] 2 = 10.0.0.1: the master's own address ([net] ip)"},
	{"workers_ports_cover_bfd", M_HEAD "2 = 10.0.0.12:3783\n",
	 ":7: [workers] 2 = 10.0.0.12:3783: the channel ports 3783..3784 include 3784"},
	/* [neighbours] */
	{"neigh_bad_mac", W_HEAD "[neighbours]\n10.0.0.1 = 02:00:00:00:00\n",
	 ":8: [neighbours] 10.0.0.1 = 02:00:00:00:00: must be a unicast, non-zero MAC address"},
	{"neigh_bad_ip", W_HEAD "[neighbours]\nmaster = 02:00:00:00:00:01\n",
	 ":8: [neighbours] master = 02:00:00:00:00:01: the key must be a unicast IPv4 address"},
	{"neigh_own_ip", W_HEAD "[neighbours]\n10.0.0.11 = 02:00:00:00:00:01\n",
	 ":8: [neighbours] 10.0.0.11 = 02:00:00:00:00:01: this node's own address"},
	/* The timing rule, from a worker's and from a master's file. */
	{"t1_t2_worker", W_HEAD "[heartbeat]\nworker_detect_mult = 3\n",
	 ":7: [heartbeat] refused: T1 > T2 + I + d_max + g does not hold: T1 = worker detect_mult "
	 "3 x I 10000 us = 30000 us; T2 = master detect_mult 3 x I_w 10000 us = 30000 us;"},
	{"t1_t2_master", M_HEAD "[heartbeat]\nd_max_us = 40000\n",
	 ":7: [heartbeat] refused: T1 > T2 + I + d_max + g does not hold: T1 = worker detect_mult "
	 "8 x I 10000 us = 80000 us; T2 = master detect_mult 3 x I_w 10000 us = 30000 us;"},
};

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/tt_config_test_XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Load text from a temporary file: the return code, and the message in err. */
static int load_text_file(const char *text, struct tt_app_config *cfg, char *err, size_t len,
			  char **path_out)
{
	char *path = write_tmp(text);
	int rc = tt_cfg_load(path, cfg, err, len);

	unlink(path);
	*path_out = path;
	return rc;
}

static void test_bad_row(void **state)
{
	const struct bad_row *row = *state;
	static struct tt_app_config cfg;
	char err[TT_CFG_ERR_MAX];
	char *path;
	int rc;

	rc = load_text_file(row->text, &cfg, err, sizeof(err), &path);
	if (rc != -EINVAL || strncmp(err, path, strlen(path)) != 0 ||
	    strstr(err + strlen(path), row->expect) != err + strlen(path))
		print_error("row %s: rc %d\n  got:    %s\n  expect: %s%s\n", row->name, rc, err,
			    path, row->expect);
	assert_int_equal(rc, -EINVAL);
	/* The message starts with the file name, then the expected text. */
	assert_memory_equal(err, path, strlen(path));
	assert_ptr_equal(strstr(err + strlen(path), row->expect), err + strlen(path));
	free(path);
}

static void test_missing_file(void **state)
{
	static struct tt_app_config cfg;
	char err[TT_CFG_ERR_MAX];

	(void)state;
	assert_int_equal(tt_cfg_load("/nonexistent/tether.ini", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/nonexistent/tether.ini: cannot open: No such file or directory");
}

static void test_long_lines(void **state)
{
	static struct tt_app_config cfg;
	char text[1024], err[TT_CFG_ERR_MAX], *path;
	int n;

	(void)state;
	/* A 300-character value: rte_cfgfile would cut it to 255 without a word. */
	n = snprintf(text, sizeof(text), W_HEAD "[auth]\nkey_file = /%0299d\n", 0);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(load_text_file(text, &cfg, err, sizeof(err), &path), -EINVAL);
	assert_non_null(strstr(err, ":8: [auth] key_file: the value is 300 characters long; at "
				    "most 255"));
	free(path);
	/* A line rte_cfgfile cannot read at all. */
	n = snprintf(text, sizeof(text), W_HEAD "; %0400d\n", 0);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(load_text_file(text, &cfg, err, sizeof(err), &path), -EINVAL);
	assert_non_null(strstr(err, ":7: line is 402 characters long; at most 322 are read"));
	free(path);
}

/* Too many workers for the demo's one runtime, and for the file format. */
static void test_too_many_workers(void **state)
{
	static struct tt_app_config cfg;
	static char text[16384];
	char err[TT_CFG_ERR_MAX], *path;
	size_t used;
	unsigned int i;

	(void)state;
	used = (size_t)snprintf(text, sizeof(text),
				"[node]\nrole = demo\n[net]\nip = 10.1.0.1\n"
				"[workers]\n");
	for (i = 1; i <= 32; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%u = 10.2.0.%u\n", i,
					 i);
	assert_int_equal(load_text_file(text, &cfg, err, sizeof(err), &path), -EINVAL);
	assert_non_null(strstr(err, ":5: [workers]: 32 workers; the demo runs at most 31"));
	free(path);

	used = (size_t)snprintf(text, sizeof(text),
				"[node]\nrole = master\n[net]\nip = 10.1.0.1\n"
				"[workers]\n");
	for (i = 1; i <= TT_CFG_MAX_WORKERS + 1; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%u = 10.2.%u.%u\n", i,
					 i / 200, i % 200 + 1);
	assert_true(used < sizeof(text));
	assert_int_equal(load_text_file(text, &cfg, err, sizeof(err), &path), -EINVAL);
	assert_non_null(strstr(err, ":262: [workers] 257 = 10.2.1.58: more than 256 workers"));
	free(path);
}

/* A minimal file: every default, derived values, comments and blanks as rte_cfgfile has them. */
static void test_defaults(void **state)
{
	static struct tt_app_config cfg;
	char err[TT_CFG_ERR_MAX], *path;

	(void)state;
	assert_int_equal(load_text_file("; a comment\n\n  [ node ]  \n role=worker ; inline\n"
					"worker_id = 7\n[net]\nip = 10.0.0.11\n"
					"master_ip = 10.0.0.1\n[auth]\nkey_file =\n",
					&cfg, err, sizeof(err), &path),
			 0);
	free(path);
	assert_string_equal(err, "");
	assert_int_equal(cfg.role, TT_CFG_ROLE_WORKER);
	assert_int_equal(cfg.worker_id, 7);
	assert_int_equal(cfg.net.ip, IP(10, 0, 0, 11));
	assert_int_equal(cfg.net.master_ip, IP(10, 0, 0, 1));
	assert_int_equal(cfg.port.kind, TT_CFG_PORT_PORT_ID);
	assert_int_equal(cfg.port.port_id, 0);
	assert_int_equal(cfg.port.queues, 1);
	assert_false(cfg.port.hb_steer);
	assert_false(cfg.port.has_mac);
	assert_int_equal(cfg.port.mtu, 1500);
	assert_int_equal(cfg.lcores.layout, TT_CFG_LAYOUT_COMBINED);
	assert_int_equal(cfg.lcores.hb_lcore, 1);
	assert_int_equal(cfg.lcores.dc_lcore, 1);
	assert_int_equal(cfg.lcores.poll_mode, TT_CFG_POLL_POLL);
	assert_int_equal(cfg.lcores.idle_passes, 256);
	assert_int_equal(cfg.lcores.sleep_max_us, 200);
	assert_int_equal(cfg.hb.interval_us, 10000);
	assert_int_equal(cfg.hb.master_detect_mult, 3);
	assert_int_equal(cfg.hb.worker_detect_mult, 8);
	assert_int_equal(cfg.hb.d_max_us, 5000);
	assert_int_equal(cfg.hb.granularity_us, 1000);
	assert_int_equal(cfg.hb.slow_tx_us, 1000000);
	assert_int_equal(cfg.hb.src_port, 49152);
	assert_int_equal(cfg.chan.count, 2);
	assert_int_equal(cfg.chan.port, 4790);
	assert_int_equal(cfg.chan.port_base, 4800);
	assert_int_equal(cfg.chan.probe_interval_us, 10000);
	assert_int_equal(cfg.chan.probe_timeout_us, 50000);
	assert_int_equal(cfg.chan.rto_min_us, 200);
	assert_int_equal(cfg.chan.rto_max_us, 200000);
	assert_int_equal(cfg.chan.max_retx, 6);
	assert_int_equal(cfg.chan.max_msg_bytes, 65536);
	assert_int_equal(cfg.chan.window, 32);
	assert_int_equal(cfg.chan.rx_window, 32);
	assert_int_equal(cfg.fence_action, TT_WORKER_FENCE_EXIT);
	assert_string_equal(cfg.key_file, "");
	assert_int_equal(cfg.tasks.max_outstanding, 64);
	assert_int_equal(cfg.tasks.max_result_bytes, 4096);
	assert_int_equal(cfg.n_workers, 0);
	assert_int_equal(cfg.net.n_neigh, 0);
	/* The timing rule's numbers: T1 = 8 x 10 ms, T2 = 3 x 10 ms, bound = 30 + 10 + 5 + 1 ms. */
	assert_int_equal(cfg.policy.t1_ns, 80 * TT_NS_PER_MS);
	assert_int_equal(cfg.policy.t2_ns, 30 * TT_NS_PER_MS);
	assert_int_equal(cfg.policy.bound_ns, 46 * TT_NS_PER_MS);
	assert_string_equal(cfg.policy_msg,
			    "ok: T1 = 80000 us > T2 + I + d_max + g = 30000 + 10000 "
			    "+ 5000 + 1000 = 46000 us (margin 34000 us)");
}

/* Ports, neighbours, maps: the values as written. */
static void test_values(void **state)
{
	static struct tt_app_config cfg;
	char err[TT_CFG_ERR_MAX], *path;

	(void)state;
	assert_int_equal(load_text_file(W_HEAD
					"[port]\nvdev = net_af_packet0,iface=veth1\n"
					"mac = 02:00:00:00:00:0b\nhb_steer = yes\n"
					"[neighbours]\n10.0.0.1 = 02:00:00:00:00:01\n"
					"10.0.0.2 = 02:00:00:00:00:02\n[auth]\n"
					"key_file = keys/tether.keys\n[fence]\naction = rejoin\n"
					"[lcores]\nhb_lcore = 3\ndc_lcore = 3\n",
					&cfg, err, sizeof(err), &path),
			 0);
	free(path);
	assert_int_equal(cfg.port.kind, TT_CFG_PORT_VDEV);
	assert_string_equal(cfg.port.dev, "net_af_packet0,iface=veth1");
	assert_true(cfg.port.has_mac);
	assert_int_equal(cfg.port.mac.addr_bytes[0], 0x02);
	assert_int_equal(cfg.port.mac.addr_bytes[5], 0x0b);
	assert_true(cfg.port.hb_steer);
	assert_int_equal(cfg.port.queues, 2);
	assert_int_equal(cfg.net.n_neigh, 2);
	assert_int_equal(cfg.net.neigh[1].ip, IP(10, 0, 0, 2));
	assert_int_equal(cfg.net.neigh[1].mac.addr_bytes[5], 0x02);
	assert_string_equal(cfg.key_file, "keys/tether.keys");
	assert_int_equal(cfg.fence_action, TT_WORKER_FENCE_REJOIN);
	assert_int_equal(cfg.lcores.hb_lcore, 3);
	assert_int_equal(cfg.lcores.dc_lcore, 3);
	/* The split layout: two lcores, as written. */
	assert_int_equal(load_text_file(W_HEAD "[lcores]\nlayout = split\nhb_lcore = 2\n"
					       "dc_lcore = 1\n",
					&cfg, err, sizeof(err), &path),
			 0);
	free(path);
	assert_int_equal(cfg.lcores.layout, TT_CFG_LAYOUT_SPLIT);
	assert_int_equal(cfg.lcores.hb_lcore, 2);
	assert_int_equal(cfg.lcores.dc_lcore, 1);

	assert_int_equal(load_text_file(W_HEAD "[port]\npci = 0000:03:00.1\n", &cfg, err,
					sizeof(err), &path),
			 0);
	free(path);
	assert_int_equal(cfg.port.kind, TT_CFG_PORT_PCI);
	assert_string_equal(cfg.port.dev, "0000:03:00.1");
	assert_int_equal(cfg.port.queues, 1);
}

static void load_shipped(const char *file, struct tt_app_config *cfg)
{
	char path[512], err[TT_CFG_ERR_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", TT_CONFIG_DIR, file);
	rc = tt_cfg_load(path, cfg, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg->source, path);
}

static void test_master_ini(void **state)
{
	static struct tt_app_config cfg;
	struct tt_master_config m;
	struct tt_worker_config w;
	struct tt_dc *dc;

	(void)state;
	load_shipped("master.ini", &cfg);
	assert_int_equal(cfg.role, TT_CFG_ROLE_MASTER);
	assert_int_equal(cfg.port.kind, TT_CFG_PORT_PORT_ID);
	assert_int_equal(cfg.port.queues, 2);
	assert_true(cfg.port.hb_steer);
	assert_int_equal(tt_cfg_to_worker(&cfg, 0, &w), -EINVAL);

	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(tt_cfg_to_master(&cfg, &m), 0);
	assert_int_equal(m.ip, IP(10, 0, 0, 1));
	assert_int_equal(m.dc_port, 4790);
	assert_int_equal(m.hb_src_port_base, 49152);
	assert_int_equal(m.n_chan, 2);
	assert_int_equal(m.n_workers, 2);
	assert_ptr_equal(m.workers, cfg.workers);
	assert_int_equal(m.workers[0].worker_id, 1);
	assert_int_equal(m.workers[0].ip, IP(10, 0, 0, 11));
	assert_int_equal(m.workers[0].dc_port_base, 4800);
	assert_int_equal(m.workers[1].worker_id, 2);
	assert_int_equal(m.workers[1].ip, IP(10, 0, 0, 12));
	assert_int_equal(m.master_timers.desired_min_tx_us, 10000);
	assert_int_equal(m.master_timers.required_min_rx_us, 10000);
	assert_int_equal(m.master_timers.detect_mult, 3);
	assert_int_equal(m.worker_timers.detect_mult, 8);
	assert_int_equal(m.d_max_ns, 5 * TT_NS_PER_MS);
	assert_int_equal(m.granularity_ns, 1 * TT_NS_PER_MS);
	assert_int_equal(m.slow_tx_us, 1000000);
	assert_false(m.allow_fast_slow_rate);
	assert_false(m.skip_policy_check);
	assert_false(m.epochs_disabled);
	assert_int_equal(m.max_tasks, 65536);
	assert_int_equal(m.max_outstanding, 64);
	assert_null(m.sched_log);
	assert_int_equal(m.sched_log_cap, 0);
	assert_int_equal(m.timeline_cap, TT_CFG_TIMELINE_CAP);
	assert_int_equal(m.hb_lcore, 1);
	assert_int_equal(m.dc_lcore, 1);
	assert_int_equal(m.seed, 0);
	assert_null(m.io.tx_buf);
	assert_null(m.io.tx_send);
	/* The channel template: the file's values, the rest tt_dc_config_default()'s. */
	assert_int_equal(m.dc.mtu, 1500);
	assert_int_equal(m.dc.msg_max, 65536);
	assert_int_equal(m.dc.window, 32);
	assert_int_equal(m.dc.rx_window, 32);
	assert_int_equal(m.dc.rto_min_ns, 200 * TT_NS_PER_US);
	assert_int_equal(m.dc.rto_init_ns, 1 * TT_NS_PER_MS);
	assert_int_equal(m.dc.rto_max_ns, 200 * TT_NS_PER_MS);
	assert_int_equal(m.dc.granularity_ns, 100 * TT_NS_PER_US);
	assert_int_equal(m.dc.max_retx, 6);
	assert_int_equal(m.dc.probe_interval_ns, 10 * TT_NS_PER_MS);
	assert_int_equal(m.dc.probe_timeout_ns, 50 * TT_NS_PER_MS);
	/* ... which the engine accepts. */
	dc = tt_dc_create(&m.dc);
	assert_non_null(dc);
	tt_dc_destroy(dc);
}

static void test_worker_ini(void **state)
{
	static struct tt_app_config cfg;
	struct tt_master_config m;
	struct tt_worker_config w;
	struct tt_dc *dc;

	(void)state;
	load_shipped("worker.ini", &cfg);
	assert_int_equal(cfg.role, TT_CFG_ROLE_WORKER);
	assert_int_equal(tt_cfg_to_master(&cfg, &m), -EINVAL);
	assert_int_equal(tt_cfg_to_worker(&cfg, 1, &w), -EINVAL);

	memset(&w, 0xa5, sizeof(w));
	assert_int_equal(tt_cfg_to_worker(&cfg, 0, &w), 0);
	assert_int_equal(w.worker_id, 1);
	assert_int_equal(w.epoch, 1);
	assert_int_equal(w.ip, IP(10, 0, 0, 11));
	assert_int_equal(w.master_ip, IP(10, 0, 0, 1));
	assert_int_equal(w.hb_src_port, 49152);
	assert_int_equal(w.dc_port_base, 4800);
	assert_int_equal(w.master_dc_port, 4790);
	assert_int_equal(w.n_chan, 2);
	assert_int_equal(w.local_disc, 0);
	assert_int_equal(w.worker_timers.desired_min_tx_us, 10000);
	assert_int_equal(w.worker_timers.detect_mult, 8);
	assert_int_equal(w.master_timers.detect_mult, 3);
	assert_int_equal(w.d_max_ns, 5 * TT_NS_PER_MS);
	assert_int_equal(w.granularity_ns, 1 * TT_NS_PER_MS);
	assert_int_equal(w.slow_tx_us, 1000000);
	assert_false(w.allow_fast_slow_rate);
	assert_false(w.skip_policy_check);
	assert_int_equal(w.max_tasks, 64);
	assert_int_equal(w.max_handlers, TT_CFG_MAX_HANDLERS);
	assert_int_equal(w.max_result, 4096);
	assert_int_equal(w.fence_action, TT_WORKER_FENCE_EXIT);
	assert_int_equal(w.timeline_cap, TT_CFG_TIMELINE_CAP);
	assert_int_equal(w.hb_lcore, 1);
	assert_int_equal(w.dc_lcore, 1);
	assert_int_equal(w.seed, 0);
	assert_null(w.io.tx_buf);
	assert_int_equal(w.dc.probe_timeout_ns, 50 * TT_NS_PER_MS);
	dc = tt_dc_create(&w.dc);
	assert_non_null(dc);
	tt_dc_destroy(dc);
}

static void check_demo(const struct tt_app_config *cfg)
{
	struct tt_master_config m;
	struct tt_worker_config w;
	unsigned int i;

	assert_int_equal(cfg->role, TT_CFG_ROLE_DEMO);
	assert_int_equal(cfg->port.kind, TT_CFG_PORT_RING);
	assert_int_equal(cfg->port.queues, 1);
	assert_int_equal(cfg->lcores.poll_mode, TT_CFG_POLL_BACKOFF);
	assert_int_equal(cfg->n_workers, 3);
	assert_int_equal(cfg->chan.count, 2);
	/* T1 = 10 x 10 ms > T2 + I + d_max + g = 50 + 10 + 10 + 2 ms. */
	assert_int_equal(cfg->policy.t1_ns, 100 * TT_NS_PER_MS);
	assert_int_equal(cfg->policy.t2_ns, 50 * TT_NS_PER_MS);
	assert_int_equal(cfg->policy.bound_ns, 72 * TT_NS_PER_MS);

	assert_int_equal(tt_cfg_to_master(cfg, &m), 0);
	assert_int_equal(m.ip, IP(10, 99, 0, 1));
	assert_int_equal(m.n_workers, 3);
	assert_int_equal(m.slow_tx_us, 100000);
	assert_true(m.allow_fast_slow_rate);
	assert_int_equal(m.max_outstanding, 16);
	assert_int_equal(m.dc.rto_min_ns, 1 * TT_NS_PER_MS);
	assert_int_equal(m.dc.rto_init_ns, 1 * TT_NS_PER_MS);
	assert_int_equal(m.dc.rto_max_ns, 100 * TT_NS_PER_MS);

	for (i = 0; i < 3; i++) {
		assert_int_equal(tt_cfg_to_worker(cfg, i, &w), 0);
		assert_int_equal(w.worker_id, i + 1);
		assert_int_equal(w.ip, IP(10, 99, 0, 11 + i));
		assert_int_equal(w.master_ip, IP(10, 99, 0, 1));
		assert_int_equal(w.dc_port_base, 4800);
		assert_int_equal(w.master_dc_port, 4790);
		assert_int_equal(w.worker_timers.detect_mult, 10);
		assert_int_equal(w.master_timers.detect_mult, 5);
		assert_true(w.allow_fast_slow_rate);
		assert_int_equal(w.fence_action, TT_WORKER_FENCE_REJOIN);
		assert_int_equal(w.max_tasks, 16);
	}
	assert_int_equal(tt_cfg_to_worker(cfg, 3, &w), -EINVAL);
}

static void test_demo_ini(void **state)
{
	static struct tt_app_config cfg;

	(void)state;
	load_shipped("demo.ini", &cfg);
	check_demo(&cfg);
}

/* The built-in demo is config/demo.ini, byte for byte, and loads to the same values. */
static void test_builtin_demo(void **state)
{
	static struct tt_app_config file_cfg, builtin_cfg;
	char err[TT_CFG_ERR_MAX];

	(void)state;
	load_shipped("demo.ini", &file_cfg);
	assert_int_equal(tt_cfg_load_demo(&builtin_cfg, err, sizeof(err)), 0);
	assert_string_equal(builtin_cfg.source, TT_CFG_DEMO_NAME);
	check_demo(&builtin_cfg);
	memcpy(builtin_cfg.source, file_cfg.source, sizeof(file_cfg.source));
	assert_memory_equal(&builtin_cfg, &file_cfg, sizeof(file_cfg));
}

/* Text loaded from memory names the given source in its messages. */
static void test_load_text_names_source(void **state)
{
	static const char text[] = "[node]\nrole = demo\n[net]\nip = 10.99.0.1\n[workers]\n"
				   "1 = 10.99.0.11\n[heartbeat]\nmaster_detect_mult = 9\n";
	static struct tt_app_config cfg;
	char err[TT_CFG_ERR_MAX];

	(void)state;
	assert_int_equal(
		tt_cfg_load_text("builtin.ini", text, strlen(text), &cfg, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "builtin.ini:7: [heartbeat] refused: T1 > T2 + I + d_max + g"));
	/* The fix names numbers: T1 = 80 ms vs 90 + 10 + 5 + 1 ms. */
	assert_non_null(strstr(err, "raise worker detect_mult to at least 11"));
	assert_ptr_equal(strstr(err, "builtin.ini"), err);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tt_cfg_role_name(TT_CFG_ROLE_DEMO), "demo");
	assert_string_equal(tt_cfg_role_name(TT_CFG_ROLE_COUNT), "?");
	assert_string_equal(tt_cfg_port_kind_name(TT_CFG_PORT_VDEV), "vdev");
	assert_string_equal(tt_cfg_port_kind_name(TT_CFG_PORT_COUNT), "?");
	assert_string_equal(tt_cfg_layout_name(TT_CFG_LAYOUT_SPLIT), "split");
	assert_string_equal(tt_cfg_layout_name(TT_CFG_LAYOUT_COUNT), "?");
	assert_string_equal(tt_cfg_poll_mode_name(TT_CFG_POLL_BACKOFF), "backoff");
	assert_string_equal(tt_cfg_poll_mode_name(TT_CFG_POLL_COUNT), "?");
}

#define N_BAD (sizeof(bad_rows) / sizeof(bad_rows[0]))

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_missing_file),
	cmocka_unit_test(test_long_lines),
	cmocka_unit_test(test_too_many_workers),
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_values),
	cmocka_unit_test(test_master_ini),
	cmocka_unit_test(test_worker_ini),
	cmocka_unit_test(test_demo_ini),
	cmocka_unit_test(test_builtin_demo),
	cmocka_unit_test(test_load_text_names_source),
	cmocka_unit_test(test_names),
};

#define N_FIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))

int main(void)
{
	static struct CMUnitTest tests[N_BAD + N_FIXED];
	static char names[N_BAD][64];
	size_t i;

	for (i = 0; i < N_BAD; i++) {
		snprintf(names[i], sizeof(names[i]), "bad_%s", bad_rows[i].name);
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_bad_row,
			.initial_state = (void *)&bad_rows[i],
		};
	}
	for (i = 0; i < N_FIXED; i++)
		tests[N_BAD + i] = fixed_tests[i];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
