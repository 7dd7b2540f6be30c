/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building the process's ports, endpoints and runtime from a configuration.
 * See topo.h for the shapes; the rules checked here are the ones the config
 * loader cannot know: which mode the file is used in, which lcores EAL has,
 * which ports exist.
 */
#include "topo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "app_log.h"
#include "keyfile.h"
#include "keyfile_io.h"
#include "portinfo.h"

/* Descriptors of a ring port: the demo's traffic is small and --no-huge memory is 256 MB. */
#define RING_PAIR_DESC	512
#define RING_PAIR_SLOTS 1024
/* The MTU a port has unless told otherwise (Ethernet). */
#define DEFAULT_MTU 1500
/* Seconds from the Unix epoch to 2020-01-01: the origin of deployment workers' epochs. */
#define EPOCH_ORIGIN_S 1577836800

static int fail(char *err, size_t err_len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t err_len, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/*
 * A worker process's first epoch: seconds since 2020. A worker restarted by
 * its supervisor after a fence must come back under a newer epoch than the
 * one the master declared dead; a fence needs the session Up first, and
 * bring-up at the RFC 5880 §6.8.3 slow rate takes at least a second, so two
 * starts are always at least a second apart and the clock orders them.
 */
static uint32_t fresh_epoch(uint32_t previous)
{
	time_t now = time(NULL);
	uint32_t e = now > EPOCH_ORIGIN_S ? (uint32_t)(now - EPOCH_ORIGIN_S) : 1;

	return e > previous ? e : previous + 1;
}

int tt_topo_check_mode(const struct tt_app_config *cfg, enum tt_args_mode mode, char *err,
		       size_t err_len)
{
	enum tt_cfg_role want;

	switch (mode) {
	case TT_ARGS_MODE_MASTER:
		want = TT_CFG_ROLE_MASTER;
		break;
	case TT_ARGS_MODE_WORKER:
		want = TT_CFG_ROLE_WORKER;
		break;
	default:
		want = TT_CFG_ROLE_DEMO;
		break;
	}
	if (cfg->role == want)
		return 0;
	if (want == TT_CFG_ROLE_DEMO)
		return fail(err, err_len, -EINVAL,
			    "%s: [node] role = %s: without --role the master and its workers run "
			    "in this process and need role = demo; for this file use --role %s",
			    cfg->source, tt_cfg_role_name(cfg->role), tt_cfg_role_name(cfg->role));
	return fail(err, err_len, -EINVAL, "%s: [node] role = %s, but --role %s was given",
		    cfg->source, tt_cfg_role_name(cfg->role), tt_args_mode_name(mode));
}

/* One lcore of [lcores] against EAL's lcore set: enabled and not the main lcore. */
static int check_lcore(const struct tt_app_config *cfg, const char *key, unsigned int lc,
		       char *err, size_t err_len)
{
	if (lc >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lc) || lc == rte_get_main_lcore())
		return fail(err, err_len, -EINVAL,
			    "%s: [lcores] %s = %u: not a worker lcore of this process "
			    "(EAL main lcore %u, %u lcores in -l/--lcores): give EAL an lcore "
			    "%u, or change the file",
			    cfg->source, key, lc, rte_get_main_lcore(), rte_lcore_count(), lc);
	return 0;
}

/*
 * The layout against EAL (the loader checked the file: combined has
 * dc_lcore == hb_lcore, split two different lcores): every lcore named must
 * be a worker lcore of this process.
 */
static int check_lcores(const struct tt_app_config *cfg, char *err, size_t err_len)
{
	int ret = check_lcore(cfg, "hb_lcore", cfg->lcores.hb_lcore, err, err_len);

	if (ret == 0 && cfg->lcores.layout == TT_CFG_LAYOUT_SPLIT) {
		if (cfg->lcores.dc_lcore == cfg->lcores.hb_lcore)
			return fail(err, err_len, -EINVAL,
				    "%s: [lcores] layout = split: dc_lcore %u must differ from "
				    "hb_lcore %u",
				    cfg->source, cfg->lcores.dc_lcore, cfg->lcores.hb_lcore);
		ret = check_lcore(cfg, "dc_lcore", cfg->lcores.dc_lcore, err, err_len);
	}
	return ret;
}

static int init_port(struct tt_topo *t, uint16_t port_id, uint16_t queues, char *err,
		     size_t err_len)
{
	struct tt_port_conf pc = {
		.nb_rxq = queues,
		.nb_txq = queues,
		.nb_rxd = RING_PAIR_DESC,
		.nb_txd = RING_PAIR_DESC,
	};
	struct tt_port *p = &t->ports[t->n_ports];
	int ret;

	if (t->mode == TT_ARGS_MODE_MASTER || t->mode == TT_ARGS_MODE_WORKER)
		pc.nb_rxd = pc.nb_txd = 0; /* a NIC: the default ring sizes */
	ret = tt_port_init(p, port_id, &pc);
	if (ret < 0)
		return fail(err, err_len, ret, "port %u: configuration failed: %s", port_id,
			    strerror(-ret));
	t->n_ports++;
	return 0;
}

static int start_ports(struct tt_topo *t, char *err, size_t err_len)
{
	uint16_t i;
	int ret;

	for (i = 0; i < t->n_ports; i++) {
		ret = tt_port_start(&t->ports[i]);
		if (ret < 0)
			return fail(err, err_len, ret, "port %u (%s): start failed: %s",
				    t->ports[i].port_id, t->ports[i].name, strerror(-ret));
	}
	return 0;
}

/* The demo's links: ring pair i joins the master's port i to worker i's only port. */
static int make_ring_ports(struct tt_topo *t, char *err, size_t err_len)
{
	const struct tt_app_config *cfg = t->cfg;
	uint32_t i;
	int ret;

	/* The master has one ring port per worker, and an endpoint at most TT_RT_MAX_PORTS. */
	const uint32_t max_workers =
		TT_RT_MAX_EPS - 1 < TT_RT_MAX_PORTS ? TT_RT_MAX_EPS - 1 : TT_RT_MAX_PORTS;

	if (cfg->n_workers == 0 || cfg->n_workers > max_workers)
		return fail(err, err_len, -EINVAL,
			    "%s: [workers]: %" PRIu32 " workers; the in-process topology runs "
			    "1..%" PRIu32,
			    cfg->source, cfg->n_workers, max_workers);
	for (i = 0; i < cfg->n_workers; i++) {
		char name[16];

		snprintf(name, sizeof(name), "tt%" PRIu32, i);
		ret = tt_port_ring_pair_create(&t->pairs[i], name, 1, RING_PAIR_SLOTS,
					       SOCKET_ID_ANY);
		if (ret < 0)
			return fail(err, err_len, ret, "ring pair %s: %s", name, strerror(-ret));
		t->n_pairs++;
		ret = init_port(t, t->pairs[i].port_id[0], 1, err, err_len);
		if (ret == 0)
			ret = init_port(t, t->pairs[i].port_id[1], 1, err, err_len);
		if (ret < 0)
			return ret;
	}
	return start_ports(t, err, err_len);
}

/* A deployment's one port: found or created as [port] says, then MAC and MTU applied. */
static int make_nic_port(struct tt_topo *t, char *err, size_t err_len)
{
	const struct tt_cfg_port *pc = &t->cfg->port;
	char msg[256];
	uint16_t port_id = pc->port_id;
	int ret;

	switch (pc->kind) {
	case TT_CFG_PORT_PORT_ID:
		if (!tt_pinfo_valid(port_id))
			return fail(err, err_len, -EINVAL,
				    "%s: [port] port_id = %u: no such ethdev port; add it with EAL "
				    "-a or --vdev, or name the device with pci or vdev",
				    t->cfg->source, port_id);
		break;
	case TT_CFG_PORT_PCI:
	case TT_CFG_PORT_VDEV:
		ret = tt_pinfo_open(pc->dev, pc->kind == TT_CFG_PORT_VDEV, &port_id, msg,
				    sizeof(msg));
		if (ret < 0)
			return fail(err, err_len, -EINVAL, "%s: [port] dev = %s: %s",
				    t->cfg->source, pc->dev, msg);
		break;
	default:
		return fail(err, err_len, -EINVAL,
			    "%s: [port] kind = %s: ring ports exist only in-process (run "
			    "without --role)",
			    t->cfg->source, tt_cfg_port_kind_name(pc->kind));
	}
	ret = init_port(t, port_id, pc->queues, err, err_len);
	if (ret < 0)
		return ret;
	if (pc->has_mac) {
		ret = tt_pinfo_set_mac(port_id, pc->mac.addr_bytes);
		if (ret < 0)
			return fail(err, err_len, ret, "%s: [port] mac: port %u refused it: %s",
				    t->cfg->source, port_id, strerror(-ret));
		t->ports[0].mac = pc->mac;
	}
	if (pc->mtu != DEFAULT_MTU) {
		ret = tt_pinfo_set_mtu(port_id, pc->mtu);
		if (ret < 0)
			return fail(err, err_len, ret,
				    "%s: [port] mtu = %u: port %u refused it: %s", t->cfg->source,
				    pc->mtu, port_id, strerror(-ret));
	}
	return start_ports(t, err, err_len);
}

static void add_static(struct tt_topo *t, uint32_t ep, uint32_t ip,
		       const struct rte_ether_addr *mac, uint16_t port_idx)
{
	struct tt_rt_ep_config *e = &t->epcfg[ep];
	struct tt_rt_neigh_static *s = &t->statics[ep][e->n_static++];

	s->ip = ip;
	memcpy(s->mac, mac->addr_bytes, sizeof(s->mac));
	s->port_idx = port_idx;
	e->statics = t->statics[ep];
}

static void add_cfg_statics(struct tt_topo *t, uint32_t ep)
{
	uint32_t i;

	for (i = 0; i < t->cfg->net.n_neigh; i++)
		add_static(t, ep, t->cfg->net.neigh[i].ip, &t->cfg->net.neigh[i].mac, 0);
}

/*
 * The MAC an endpoint uses on a port: the port's own, or (ring ports have
 * none) a locally administered unicast one made from the port id. Set
 * explicitly in the runtime configuration, so that the static neighbour
 * entries of the other end name the same address.
 */
static struct rte_ether_addr port_mac(const struct tt_port *p)
{
	static const struct rte_ether_addr zero;
	struct rte_ether_addr m = p->mac;

	if (memcmp(&m, &zero, sizeof(m)) == 0) {
		m.addr_bytes[0] = 0x02; /* locally administered, unicast */
		m.addr_bytes[1] = 0x74;
		m.addr_bytes[2] = 0x74;
		m.addr_bytes[3] = 0x00;
		m.addr_bytes[4] = (uint8_t)(p->port_id >> 8);
		m.addr_bytes[5] = (uint8_t)p->port_id;
	}
	return m;
}

static void set_port(struct tt_rt_ep_config *e, const struct tt_port *p, bool steer)
{
	struct tt_rt_port_config *pc = &e->ports[e->n_ports++];
	struct rte_ether_addr mac = port_mac(p);

	memcpy(pc->mac, mac.addr_bytes, sizeof(pc->mac));
	pc->port = p;
	pc->queue = 0;
	pc->try_hb_steer = steer;
	pc->hb_queue = steer ? 1 : 0;
}

static void name_ep(struct tt_topo *t, uint32_t ep, enum tt_rt_role role, uint32_t worker_id)
{
	t->ep[ep].role = role;
	t->ep[ep].worker_id = worker_id;
	if (role == TT_RT_ROLE_MASTER)
		snprintf(t->ep[ep].name, sizeof(t->ep[ep].name), "master");
	else
		snprintf(t->ep[ep].name, sizeof(t->ep[ep].name), "worker %" PRIu32, worker_id);
}

/*
 * [auth] key_file: load the keys (refused if group or others can read or
 * write the file) and the OpenSSL backend the engine's auth is given.
 * Heartbeats are signed with the first bfd key, whose type must be one the
 * endpoints speak (Keyed or Meticulous Keyed SHA1); data channels carry a
 * MAC when the file has a dc key.
 */
static int load_auth(struct tt_topo *t, char *err, size_t err_len)
{
	const struct tt_app_config *cfg = t->cfg;
	uint8_t type;
	int ret;

	if (cfg->key_file[0] == '\0')
		return 0;
	ret = tt_keyfile_io_load(cfg->key_file, &t->keys, err, err_len);
	if (ret < 0)
		return -EINVAL;
	type = t->keys.n_bfd > 0 ? t->keys.bfd[0].type : 0;
	if (type != TT_BFD_AUTH_KEYED_SHA1 && type != TT_BFD_AUTH_METICULOUS_KEYED_SHA1)
		return fail(err, err_len, -EINVAL,
			    "%s: [auth] key_file = %s: the first bfd key must be of type sha1 or "
			    "meticulous-sha1 (heartbeats are signed with it), not %s",
			    cfg->source, cfg->key_file,
			    t->keys.n_bfd > 0 ? tt_keyfile_type_name(type) : "missing");
	t->crypto = tt_crypto_openssl_create();
	if (t->crypto == NULL)
		return fail(err, err_len, -ENOMEM, "OpenSSL: no SHA1/HMAC-SHA256 backend");
	t->auth = true;
	return 0;
}

/*
 * A seed for BFD jitter, channel sequence numbers and, with authentication,
 * the first auth sequence number (RFC 5880 §6.7.3 wants it unpredictable):
 * from the kernel's random pool, the TSC if that fails.
 */
static uint64_t ep_seed(uint64_t salt)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = rte_rdtsc();
	return seed ^ salt;
}

/* ---- master journal ([journal], issue 7) ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TT_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Stop the writer (everything written and fsynced), close the file, drop the replay. */
/*
 * Before the master's table and the submitters' payloads go: everything
 * queued written and done, or, if the journal cannot (a failed or stuck
 * write), abandoned so that no record is later encoded from freed memory.
 */
static void journal_flush_or_abandon(struct tt_topo *t)
{
	int rc;

	if (t->journal == NULL)
		return;
	rc = tt_jwriter_flush(t->journal);
	if (rc < 0) {
		TT_LOG(app, ERR, "journal %s: flush: %s; the records not yet written are dropped",
		       t->cfg->journal.path, strerror(-rc));
		tt_jwriter_abandon(t->journal);
	}
}

static void journal_close(struct tt_topo *t)
{
	struct tt_jwriter_stats st;
	int rc;

	if (t->journal != NULL) {
		tt_jwriter_stats(t->journal, &st);
		TT_LOG(app, NOTICE,
		       "journal %s: generation %" PRIu32 " wrote %" PRIu64 " records (%" PRIu64
		       " fsyncs), queue max depth %" PRIu64 ", refused %" PRIu64 "%s",
		       t->cfg->journal.path, t->jinfo.gen, st.written,
		       tt_jfile_counters(tt_jwriter_file(t->journal))->fsyncs, st.max_depth,
		       st.full, st.failed ? ", FAILED" : "");
		rc = tt_jwriter_destroy(t->journal);
		if (rc < 0)
			TT_LOG(app, ERR, "journal %s: close: %s", t->cfg->journal.path,
			       strerror(-rc));
	}
	t->journal = NULL;
	tt_jrnl_replay_destroy(t->replay);
	t->replay = NULL;
	memset(&t->persist, 0, sizeof(t->persist));
}

/* Errors of the journal's path or contents that the operator fixes in the file or config. */
static bool usage_errno(int e)
{
	return e == EINVAL || e == ENOENT || e == ENOTDIR || e == EISDIR || e == EACCES ||
	       e == EROFS || e == ENAMETOOLONG;
}

/*
 * Open the journal, replay it, append this generation's MASTER_START and
 * hand the scheduler its hooks and the replayed tasks (t->persist). The
 * messages name the config file and the line of [journal] path.
 */
static int journal_open(struct tt_topo *t, uint32_t max_tasks, char *err, size_t err_len)
{
	const struct tt_cfg_journal *jc = &t->cfg->journal;
	struct tt_jfile_config fc = {
		.path = jc->path,
		.fsync = jc->fsync,
		.batch_records = jc->batch_records,
		.batch_ns = tt_us_to_ns(jc->batch_us),
		.truncate_corrupt = jc->truncate_corrupt,
	};
	struct tt_jwriter_config wc = {.capacity = 2 * max_tasks};
	const struct tt_jfile_open_info *oi;
	char jerr[TT_JFILE_ERR_MAX];
	struct tt_jrnl_rec start;
	struct tt_jrnl_dec d;
	struct tt_jfile *jf;
	const uint8_t *img;
	uint64_t t0 = mono_ns();
	size_t len;
	uint32_t n, cap;
	int rc;

	/* ALWAYS is a group commit: the writer fsyncs once per pass (journal_writer.h). */
	if (jc->fsync == TT_JFILE_FSYNC_ALWAYS) {
		fc.fsync = TT_JFILE_FSYNC_BATCH;
		fc.batch_records = UINT32_MAX;
		fc.batch_ns = 3600ull * TT_NS_PER_S;
		wc.group_sync = true;
	}
	wc.done_on_write = jc->fsync == TT_JFILE_FSYNC_NEVER;
	if (max_tasks > TT_JWRITER_MAX_CAPACITY / 2)
		return fail(err, err_len, -EINVAL,
			    "%s: [tasks] max_tasks = %" PRIu32 " with a [journal]: at most %u (the "
			    "journal queue holds 2 records per task)",
			    t->cfg->source, max_tasks, TT_JWRITER_MAX_CAPACITY / 2);
	jf = tt_jfile_open(&fc, jerr, sizeof(jerr));
	if (jf == NULL) {
		int e = errno;

		return fail(err, err_len, usage_errno(e) ? -EINVAL : -e,
			    "%s:%u: [journal] path = %s: %s%s", t->cfg->source, jc->path_line,
			    jc->path, jerr,
			    e == EBADMSG ? " (damage before intact records: restore the file, or "
					   "set truncate_corrupt = yes to cut it and lose what "
					   "follows)"
					 : "");
	}
	oi = tt_jfile_open_info(jf);
	img = tt_jfile_image(jf, &len);
	t->jinfo.open_ns = mono_ns() - t0;
	t0 = mono_ns();
	/* Every task has a record: the record count bounds the tasks (freed after create). */
	cap = oi->records < (1u << 30) ? (uint32_t)oi->records : 1u << 30;
	t->replay = tt_jrnl_replay_create(cap > 0 ? cap : 1);
	if (t->replay == NULL) {
		tt_jfile_close(jf, NULL, 0);
		return fail(err, err_len, -ENOMEM, "journal %s: out of memory for the replay",
			    jc->path);
	}
	if (tt_jrnl_replay_buf(t->replay, img, len, &d) < 0 ||
	    tt_jrnl_replay_next_gen(t->replay, &t->jinfo.gen) < 0) {
		tt_jfile_close(jf, NULL, 0);
		return fail(err, err_len, -EINVAL,
			    "%s:%u: [journal] path = %s: cannot replay it (%s, or every one of "
			    "the %u generations used)",
			    t->cfg->source, jc->path_line, jc->path, tt_jrnl_stop_rule(d.stop),
			    TT_JRNL_GEN_MAX);
	}
	t->jinfo.replay_ns = mono_ns() - t0;
	t->persist.restore = tt_jrnl_replay_tasks(t->replay, &n);
	t->persist.n_restore = n;
	t->persist.epoch_base = tt_jrnl_epoch_base(t->jinfo.gen);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t slot = (uint32_t)t->persist.restore[i].task_id;

		if (t->persist.restore[i].state == TT_JRNL_T_PENDING && slot > max_tasks) {
			tt_jfile_close(jf, NULL, 0);
			return fail(err, err_len, -EINVAL,
				    "%s: [tasks] max_tasks = %" PRIu32 ": journal %s holds pending "
				    "task %" PRIu64 " in slot %" PRIu32
				    ": max_tasks must be at least that",
				    t->cfg->source, max_tasks, jc->path,
				    t->persist.restore[i].task_id, slot);
		}
	}
	start = (struct tt_jrnl_rec){
		.type = TT_JRNL_MASTER_START,
		.gen = t->jinfo.gen,
		.epoch_base = t->persist.epoch_base,
	};
	rc = tt_jfile_append(jf, &start, 0, NULL);
	if (rc == 0 && jc->fsync != TT_JFILE_FSYNC_NEVER)
		rc = tt_jfile_sync(jf);
	if (rc < 0) {
		snprintf(jerr, sizeof(jerr), "%s", tt_jfile_error(jf));
		tt_jfile_close(jf, NULL, 0);
		return fail(err, err_len, rc, "journal %s: MASTER_START: %s", jc->path, jerr);
	}
	wc.jf = jf;
	t->journal = tt_jwriter_create(&wc);
	if (t->journal == NULL) {
		tt_jfile_close(jf, NULL, 0);
		return fail(err, err_len, -ENOMEM, "journal %s: out of memory for its queue",
			    jc->path);
	}
	tt_jwriter_hooks(t->journal, &t->persist);
	t->jinfo.records = oi->records;
	t->jinfo.tasks = n;
	t->jinfo.committed = tt_jrnl_replay_count(t->replay, TT_JRNL_T_COMMITTED);
	t->jinfo.cancelled = tt_jrnl_replay_count(t->replay, TT_JRNL_T_CANCELLED);
	t->jinfo.pending = tt_jrnl_replay_count(t->replay, TT_JRNL_T_PENDING);
	t->jinfo.cut_bytes = oi->cut_bytes;
	t->jinfo.file_bytes = oi->file_len;
	TT_LOG(app, NOTICE,
	       "journal %s: %s in %.3f ms (read, cut, fsync); replayed %" PRIu64
	       " records (%" PRIu64 " bytes) in %.3f ms: %" PRIu32 " tasks, %" PRIu32
	       " committed, %" PRIu32 " cancelled, %" PRIu32 " to reschedule; torn tail: %" PRIu64
	       " bytes ignored%s%s; generation %" PRIu32 ", task epochs from %" PRIu32 ", fsync %s",
	       jc->path, oi->created ? "created" : "opened", (double)t->jinfo.open_ns / 1e6,
	       oi->records, oi->valid_len, (double)t->jinfo.replay_ns / 1e6, n, t->jinfo.committed,
	       t->jinfo.cancelled, t->jinfo.pending, oi->cut_bytes,
	       oi->cut_bytes > 0 ? " and cut: " : "",
	       oi->cut_bytes > 0 ? tt_jrnl_stop_rule(oi->stop) : "", t->jinfo.gen,
	       t->persist.epoch_base + 1, tt_jfile_fsync_name(jc->fsync));
	/* A crash (or power loss) inside a write: worth a warning of its own. */
	if (oi->cut_bytes > 0)
		TT_LOG(app, WARNING,
		       "journal %s: torn tail: %" PRIu64 " bytes after the last whole record (%s) "
		       "ignored and cut off",
		       jc->path, oi->cut_bytes, tt_jrnl_stop_rule(oi->stop));
	return 0;
}

static int master_ep(struct tt_topo *t, uint32_t ep, char *err, size_t err_len)
{
	struct tt_rt_ep_config *e = &t->epcfg[ep];

	e->role = TT_RT_ROLE_MASTER;
	if (tt_cfg_to_master(t->cfg, &e->master) != 0)
		return fail(err, err_len, -EINVAL, "%s: [node] role = %s cannot run a master",
			    t->cfg->source, tt_cfg_role_name(t->cfg->role));
	e->master.sched_log = t->sched_log;
	e->master.sched_log_cap = TT_TOPO_SCHED_LOG_CAP;
	if (t->cfg->journal.path[0] != '\0') {
		int ret = journal_open(t, e->master.max_tasks, err, err_len);

		if (ret < 0)
			return ret;
		e->master.sched_persist = &t->persist;
	}
	e->master.seed = ep_seed(0x6d617374ull);
	if (t->auth)
		e->master.auth = (struct tt_master_auth_config){
			.keys = &t->keys,
			.ops = tt_crypto_openssl_ops(t->crypto),
			.bfd_type = t->keys.bfd[0].type,
			.dc_mac = t->keys.n_dc > 0,
		};
	e->shim_seed = e->master.seed + 1;
	name_ep(t, ep, TT_RT_ROLE_MASTER, 0);
	t->master_ep = ep;
	return 0;
}

static int worker_ep(struct tt_topo *t, uint32_t ep, unsigned int idx, char *err, size_t err_len)
{
	struct tt_rt_ep_config *e = &t->epcfg[ep];

	e->role = TT_RT_ROLE_WORKER;
	if (tt_cfg_to_worker(t->cfg, idx, &e->worker) != 0)
		return fail(err, err_len, -EINVAL, "%s: no worker %u to run", t->cfg->source, idx);
	e->worker.seed = ep_seed(((uint64_t)idx << 32) ^ 0x776f726bull);
	if (t->auth)
		e->worker.auth = (struct tt_worker_auth_config){
			.keys = &t->keys,
			.ops = tt_crypto_openssl_ops(t->crypto),
			.bfd_type = t->keys.bfd[0].type,
			.dc_mac = t->keys.n_dc > 0,
		};
	e->shim_seed = e->worker.seed + 1;
	name_ep(t, ep, TT_RT_ROLE_WORKER, e->worker.worker_id);
	return 0;
}

static int build_eps(struct tt_topo *t, char *err, size_t err_len)
{
	const struct tt_app_config *cfg = t->cfg;
	uint32_t i;
	int ret;

	t->master_ep = TT_TOPO_NO_EP;
	if (t->mode == TT_ARGS_MODE_MASTER || t->mode == TT_ARGS_MODE_WORKER) {
		/* [port] hb_steer: heartbeats to RX queue 1 by rte_flow (software dispatch if
		 * refused). */
		bool steer = cfg->port.hb_steer && cfg->port.queues >= 2;

		ret = t->mode == TT_ARGS_MODE_MASTER ? master_ep(t, 0, err, err_len)
						     : worker_ep(t, 0, 0, err, err_len);
		if (ret < 0)
			return ret;
		if (t->mode == TT_ARGS_MODE_WORKER)
			t->epcfg[0].worker.epoch = fresh_epoch(0);
		set_port(&t->epcfg[0], &t->ports[0], steer);
		add_cfg_statics(t, 0);
		t->n_eps = 1;
		return 0;
	}
	ret = master_ep(t, 0, err, err_len);
	if (ret < 0)
		return ret;
	for (i = 0; i < cfg->n_workers; i++) {
		const struct tt_port *mside = &t->ports[2 * i];
		const struct tt_port *wside = &t->ports[2 * i + 1];
		struct rte_ether_addr mmac = port_mac(mside);
		struct rte_ether_addr wmac = port_mac(wside);

		ret = worker_ep(t, 1 + i, i, err, err_len);
		if (ret < 0)
			return ret;
		set_port(&t->epcfg[0], mside, false);
		add_static(t, 0, cfg->workers[i].ip, &wmac, (uint16_t)i);
		set_port(&t->epcfg[1 + i], wside, false);
		add_static(t, 1 + i, cfg->net.ip, &mmac, 0);
	}
	t->n_eps = 1 + cfg->n_workers;
	return 0;
}

static int build_rt(struct tt_topo *t, char *err, size_t err_len)
{
	char msg[512];

	t->rt = tt_rt_create(&t->rtcfg, msg, sizeof(msg));
	/*
	 * The master's scheduler copied what it needed of the replay (its
	 * payloads point into the journal's image, kept): free the task array.
	 */
	tt_jrnl_replay_destroy(t->replay);
	t->replay = NULL;
	t->persist.restore = NULL;
	t->persist.n_restore = 0;
	if (t->rt == NULL) {
		int e = errno;

		return fail(err, err_len, e == EINVAL || e == ENOTSUP ? -EINVAL : -e,
			    "%s: the runtime refused the configuration: %s", t->cfg->source, msg);
	}
	t->generation++;
	return 0;
}

int tt_topo_create(struct tt_topo *t, enum tt_args_mode mode, const struct tt_app_config *cfg,
		   char *err, size_t err_len)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->mode = mode;
	t->cfg = cfg;
	t->master_ep = TT_TOPO_NO_EP;
	ret = tt_topo_check_mode(cfg, mode, err, err_len);
	if (ret == 0)
		ret = check_lcores(cfg, err, err_len);
	if (ret < 0)
		return ret;
	ret = tt_tsc_clock_init(&t->clock, 0);
	if (ret < 0)
		return fail(err, err_len, ret, "TSC clock: no TSC frequency");
	t->sched_log = calloc(TT_TOPO_SCHED_LOG_CAP, sizeof(*t->sched_log));
	if (t->sched_log == NULL)
		return fail(err, err_len, -ENOMEM, "out of memory for the scheduler log");
	ret = load_auth(t, err, err_len);
	if (ret < 0) {
		tt_topo_destroy(t);
		return ret;
	}

	if (mode == TT_ARGS_MODE_MASTER || mode == TT_ARGS_MODE_WORKER)
		ret = make_nic_port(t, err, err_len);
	else
		ret = make_ring_ports(t, err, err_len);
	if (ret == 0)
		ret = build_eps(t, err, err_len);
	if (ret == 0) {
		t->rtcfg.lcore_id = cfg->lcores.hb_lcore;
		t->rtcfg.layout = TT_RT_LAYOUT_COMBINED;
		if (cfg->lcores.layout == TT_CFG_LAYOUT_SPLIT) {
			/* drivers/runtime.h: lcore_id is the data lane. */
			t->rtcfg.lcore_id = cfg->lcores.dc_lcore;
			t->rtcfg.hb_lcore_id = cfg->lcores.hb_lcore;
			t->rtcfg.layout = TT_RT_LAYOUT_SPLIT;
		}
		t->rtcfg.poll_mode = cfg->lcores.poll_mode == TT_CFG_POLL_BACKOFF
					     ? TT_RT_POLL_BACKOFF
					     : TT_RT_POLL_POLL;
		t->rtcfg.idle_passes = cfg->lcores.idle_passes;
		t->rtcfg.sleep_max_us = cfg->lcores.sleep_max_us;
		t->rtcfg.clock = &t->clock;
		t->rtcfg.n_eps = t->n_eps;
		t->rtcfg.eps = t->epcfg;
		ret = build_rt(t, err, err_len);
	}
	if (ret < 0) {
		tt_topo_destroy(t);
		return ret;
	}
	TT_LOG(app, INFO, "%s: %" PRIu32 " endpoint(s) on lcore %u (%s, heartbeats on lcore %u), "
	       "%u port(s), config %s",
	       tt_args_mode_name(mode), t->n_eps, t->rtcfg.lcore_id,
	       tt_rt_layout_name(t->rtcfg.layout), tt_rt_hb_lcore(t->rt), t->n_ports, cfg->source);
	return 0;
}

void tt_topo_destroy(struct tt_topo *t)
{
	uint16_t i;

	/* Queued records point into the master's table: written before it goes. */
	journal_flush_or_abandon(t);
	tt_rt_destroy(t->rt);
	t->rt = NULL;
	/* After the master: its restored tasks point into the journal's image. */
	journal_close(t);
	/* Every port of a link stops before any is closed: RX queues hold the peer's mbufs. */
	for (i = 0; i < t->n_ports; i++)
		if (t->ports[i].started)
			tt_port_stop(&t->ports[i]);
	for (i = 0; i < t->n_pairs; i++)
		tt_port_ring_pair_destroy(&t->pairs[i]);
	for (i = 0; i < t->n_ports; i++)
		tt_port_fini(&t->ports[i]);
	t->n_ports = 0;
	t->n_pairs = 0;
	free(t->sched_log);
	t->sched_log = NULL;
	tt_crypto_openssl_destroy(t->crypto);
	t->crypto = NULL;
	tt_auth_keyring_wipe(&t->keys);
	t->auth = false;
}

/*
 * A fresh runtime after a stop: the old one cannot run again. Workers take
 * a newer epoch than the one they last ran under, so that a master that
 * still remembers them accepts the new incarnation once it declares the old
 * one dead.
 */
static int rebuild(struct tt_topo *t, char *err, size_t err_len)
{
	uint32_t i;

	for (i = 0; i < t->n_eps; i++) {
		struct tt_rt_ep_view v;

		if (t->epcfg[i].role != TT_RT_ROLE_WORKER)
			continue;
		if (t->rt != NULL && tt_rt_ep(t->rt, i, &v) == 0 && v.worker != NULL)
			t->epcfg[i].worker.epoch = t->mode == TT_ARGS_MODE_WORKER
							   ? fresh_epoch(tt_worker_epoch(v.worker))
							   : tt_worker_epoch(v.worker) + 1;
	}
	journal_flush_or_abandon(t);
	tt_rt_destroy(t->rt);
	t->rt = NULL;
	/*
	 * A fresh master is a master restart: the journal is replayed again, one
	 * generation on. Decided by the configuration, not by an open journal:
	 * after a failed reopen the next start must try again, never run the
	 * master without its journal.
	 */
	if (t->cfg->journal.path[0] != '\0' && t->master_ep < t->n_eps) {
		int ret;

		journal_close(t);
		ret = journal_open(t, t->epcfg[t->master_ep].master.max_tasks, err, err_len);
		if (ret < 0)
			return ret;
	}
	return build_rt(t, err, err_len);
}

int tt_topo_start(struct tt_topo *t, char *err, size_t err_len)
{
	int ret;

	if (t->rt != NULL && tt_rt_state(t->rt) == TT_RT_S_RUNNING)
		return -EALREADY;
	if (t->rt == NULL || tt_rt_state(t->rt) == TT_RT_S_STOPPED) {
		ret = rebuild(t, err, err_len);
		if (ret < 0)
			return ret;
	}
	if (t->journal != NULL) {
		ret = tt_jwriter_start(t->journal);
		if (ret < 0 && ret != -EALREADY)
			return fail(err, err_len, ret, "journal %s: writer thread: %s",
				    t->cfg->journal.path, strerror(-ret));
	}
	ret = tt_rt_start(t->rt);
	if (ret < 0)
		return fail(err, err_len, ret, "lcore %u: start failed: %s", tt_rt_lcore(t->rt),
			    strerror(-ret));
	TT_LOG(app, NOTICE, "data plane started on lcore %u (runtime %" PRIu32 ")",
	       tt_rt_lcore(t->rt), t->generation);
	return 0;
}

int tt_topo_stop(struct tt_topo *t)
{
	int ret;

	if (t->rt == NULL)
		return -EALREADY;
	ret = tt_rt_stop(t->rt);
	if (ret == 0)
		TT_LOG(app, NOTICE, "data plane stopped on lcore %u", tt_rt_lcore(t->rt));
	/*
	 * Write and fsync what the master queued, before the control module
	 * frees the payloads the queued SUBMITs point to. The writer thread
	 * goes on (a command run while stopped may still journal) until the
	 * master is replaced or the process ends.
	 */
	if (t->journal != NULL) {
		int jret = tt_jwriter_flush(t->journal);

		if (jret < 0)
			TT_LOG(app, ERR, "journal %s: flush at stop: %s%s%s", t->cfg->journal.path,
			       strerror(-jret), jret == -EIO ? ": " : "",
			       jret == -EIO ? tt_jfile_error(tt_jwriter_file(t->journal)) : "");
	}
	return ret;
}

bool tt_topo_running(const struct tt_topo *t)
{
	return t->rt != NULL && tt_rt_running(t->rt);
}

uint32_t tt_topo_worker_ep(const struct tt_topo *t, uint32_t worker_id)
{
	uint32_t i;

	for (i = 0; i < t->n_eps; i++)
		if (t->ep[i].role == TT_RT_ROLE_WORKER && t->ep[i].worker_id == worker_id)
			return i;
	return TT_TOPO_NO_EP;
}

uint32_t tt_topo_worker_ids(const struct tt_topo *t, uint32_t *ids, uint32_t cap)
{
	uint32_t i;

	if (t->master_ep == TT_TOPO_NO_EP) {
		if (cap > 0 && t->n_eps > 0)
			ids[0] = t->ep[0].worker_id;
		return t->n_eps > 0 ? 1 : 0;
	}
	for (i = 0; i < t->cfg->n_workers && i < cap; i++)
		ids[i] = t->cfg->workers[i].worker_id;
	return t->cfg->n_workers;
}

uint16_t tt_topo_port_ids(const struct tt_topo *t, uint16_t *ids, uint16_t cap)
{
	uint16_t i;

	for (i = 0; i < t->n_ports && i < cap; i++)
		ids[i] = t->ports[i].port_id;
	return t->n_ports;
}

int tt_topo_port_owner(const struct tt_topo *t, uint16_t port_id, uint32_t *ep, uint16_t *port_idx)
{
	uint32_t e;
	uint16_t p;

	for (e = 0; e < t->n_eps; e++) {
		for (p = 0; p < t->epcfg[e].n_ports; p++) {
			if (t->epcfg[e].ports[p].port->port_id == port_id) {
				*ep = e;
				*port_idx = p;
				return 0;
			}
		}
	}
	return -ENOENT;
}

tt_ns_t tt_topo_now(const struct tt_topo *t)
{
	return tt_tsc_now((void *)&t->clock);
}
