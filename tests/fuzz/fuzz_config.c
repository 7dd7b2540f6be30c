/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for tether-pmd's INI loader (apps/tether-pmd/config.c): the
 * input is the text of a configuration file, handed to tt_cfg_load_text()
 * (which gives it to rte_cfgfile through a memfd: no EAL is needed). Oracles:
 * - the loader returns 0, -EINVAL or -ENOMEM, nothing else;
 * - a refusal leaves exactly one NUL-terminated line in the error buffer,
 *   starting with the name the file was given ("NAME: " or "NAME:LINE: ",
 *   LINE within the input's lines);
 * - an acceptance leaves the error buffer empty and a configuration that
 *   keeps the header's promises: ranges, the cross-key rules, unique worker
 *   ids and addresses, the timing rule T1 > T2 + I + d_max + g;
 * - what it accepts the engine accepts too: the mapping to the master's or
 *   worker's configuration succeeds, its channel template makes a channel
 *   (tt_dc_create()), and its heartbeat pair passes tt_hb_policy_check();
 * - the line scan refuses, with a line number, whatever rte_cfgfile itself
 *   would refuse: "rte_cfgfile could not read it" is a miss;
 * - a second load of the same text gives the same result, byte for byte.
 * Any break aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "config.h"
#include "dc_fsm.h"
#include "hb_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.ini"

/* rte_cfgfile reads a line into a buffer of a few hundred bytes: larger inputs add nothing. */
#define INPUT_MAX 16384

/* Static: struct tt_app_config holds 256 workers and is large. */
static struct tt_app_config cfg, cfg2;
static struct tt_master_config mcfg;
static struct tt_worker_config wcfg;

static void broke(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_config: oracle failed: %s\n", what);
	if (err != NULL)
		fprintf(stderr, "fuzz_config: message: %s\n", err);
	abort();
}

/* One line, "NAME: ..." or "NAME:LINE: ..." with 1 <= LINE <= lines. */
static void check_message(const char *err, size_t err_len, unsigned int lines)
{
	const char *p;
	unsigned long line;
	char *end;

	if (memchr(err, '\0', err_len) == NULL)
		broke("error message not NUL-terminated", NULL);
	if (strchr(err, '\n') != NULL)
		broke("error message spans lines", err);
	if (strncmp(err, NAME ":", strlen(NAME ":")) != 0)
		broke("error message does not start with the file's name", err);
	p = err + strlen(NAME ":");
	if (*p == ' ') {
		if (p[1] == '\0')
			broke("error message says nothing after the name", err);
		return;
	}
	line = strtoul(p, &end, 10);
	if (end == p || *end != ':' || end[1] != ' ' || end[2] == '\0')
		broke("error message is not NAME:LINE: text", err);
	if (line == 0 || line > lines)
		broke("error message names a line outside the input", err);
}

static bool ids_and_addrs_unique(const struct tt_app_config *c)
{
	uint32_t i, j;

	for (i = 0; i < c->n_workers; i++)
		for (j = 0; j < i; j++)
			if (c->workers[i].worker_id == c->workers[j].worker_id ||
			    c->workers[i].ip == c->workers[j].ip)
				return false;
	for (i = 0; i < c->net.n_neigh; i++)
		for (j = 0; j < i; j++)
			if (c->net.neigh[i].ip == c->net.neigh[j].ip)
				return false;
	return true;
}

/* The header's promises about an accepted configuration. */
static void check_accepted(const struct tt_app_config *c)
{
	const struct tt_cfg_chan *ch = &c->chan;
	const struct tt_hb_policy_times *t = &c->policy;
	uint32_t i;

	if (c->role >= TT_CFG_ROLE_COUNT || c->port.kind >= TT_CFG_PORT_COUNT ||
	    c->lcores.layout >= TT_CFG_LAYOUT_COUNT || c->lcores.poll_mode >= TT_CFG_POLL_COUNT)
		broke("an enum out of range", NULL);
	if (strcmp(c->source, NAME) != 0)
		broke("source is not the name given", NULL);
	if (c->port.queues < (c->port.hb_steer ? 2 : 1) || c->port.queues > TT_CFG_MAX_QUEUES)
		broke("[port] queues out of range", NULL);
	if (c->port.mtu < 576 || c->port.mtu > 9216)
		broke("[port] mtu out of range", NULL);
	if (c->role == TT_CFG_ROLE_DEMO && c->port.kind != TT_CFG_PORT_RING)
		broke("demo not on ring ports", NULL);
	if (c->lcores.layout == TT_CFG_LAYOUT_COMBINED && c->lcores.dc_lcore != c->lcores.hb_lcore)
		broke("combined layout with two lcores", NULL);
	if (ch->count < 1 || ch->count > TT_DCW_MAX_CHANNELS)
		broke("[channels] count out of range", NULL);
	if (ch->probe_interval_us >= ch->probe_timeout_us || ch->rto_min_us > ch->rto_max_us)
		broke("[channels] probe or rto order broken", NULL);
	if (ch->port == 3784)
		broke("[channels] port is the BFD port", NULL);
	if (c->role == TT_CFG_ROLE_WORKER &&
	    ((uint32_t)ch->port_base + ch->count - 1 > 65535 ||
	     (ch->port_base <= 3784 && 3784 <= (uint32_t)ch->port_base + ch->count - 1)))
		broke("worker channel ports past 65535 or over the BFD port", NULL);
	if (c->role == TT_CFG_ROLE_WORKER) {
		if (c->n_workers != 0 || c->net.master_ip == c->net.ip)
			broke("worker with [workers] or its own master", NULL);
	} else {
		if (c->n_workers < 1 || c->n_workers > TT_CFG_MAX_WORKERS)
			broke("master or demo without workers", NULL);
		if (c->net.master_ip != c->net.ip)
			broke("master_ip of a master is not its ip", NULL);
		if ((uint32_t)c->hb.src_port + c->n_workers - 1 > 65535)
			broke("heartbeat source ports past 65535", NULL);
	}
	for (i = 0; i < c->n_workers; i++) {
		const struct tt_master_peer_config *w = &c->workers[i];

		if (w->worker_id >= TT_MASTER_MAX_WORKER_ID || w->ip == c->net.ip ||
		    (uint32_t)w->dc_port_base + ch->count - 1 > 65535 ||
		    (w->dc_port_base <= 3784 && 3784 <= (uint32_t)w->dc_port_base + ch->count - 1))
			broke("a [workers] entry breaks its rules", NULL);
	}
	if (c->net.n_neigh > TT_CFG_MAX_NEIGH)
		broke("too many neighbours", NULL);
	for (i = 0; i < c->net.n_neigh; i++)
		if (c->net.neigh[i].ip == c->net.ip)
			broke("a neighbour entry for the node's own address", NULL);
	if (!ids_and_addrs_unique(c))
		broke("worker ids, worker addresses or neighbour addresses repeat", NULL);
	if (c->role != TT_CFG_ROLE_MASTER &&
	    c->tasks.max_result_bytes + TT_TMSG_RESULT_HDR_LEN > ch->max_msg_bytes)
		broke("a RESULT does not fit a message", NULL);
	if (c->role != TT_CFG_ROLE_DEMO && c->hb.slow_tx_us < 1000000)
		broke("slow_tx_us below 1 s outside the demo", NULL);
	/* T1 > T2 + I + d_max + g. */
	if (t->bound_ns != t->t2_ns + t->interval_ns + tt_us_to_ns(c->hb.d_max_us) +
				   tt_us_to_ns(c->hb.granularity_us) ||
	    !(t->t1_ns > t->bound_ns))
		broke("the timing rule does not hold", NULL);
	if (strncmp(c->policy_msg, "ok", 2) != 0)
		broke("no policy summary", c->policy_msg);
}

/* The pair as the engine checks it at create (master.h, worker.h). */
static bool policy_ok(const struct tt_hb_timers *m, const struct tt_hb_timers *w, tt_ns_t d_max_ns,
		      tt_ns_t granularity_ns)
{
	struct tt_hb_policy_input in = {
		.master = {m->desired_min_tx_us, m->required_min_rx_us, m->detect_mult},
		.worker = {w->desired_min_tx_us, w->required_min_rx_us, w->detect_mult},
		.d_max_ns = d_max_ns,
		.granularity_ns = granularity_ns,
	};

	return tt_hb_policy_check(&in, NULL, 0) == 0;
}

/* What the loader accepts, the engine accepts. */
static void check_engine(const struct tt_app_config *c)
{
	const struct tt_dc_config *dc;
	struct tt_dc *chan;
	unsigned int n, i;

	if (c->role != TT_CFG_ROLE_WORKER) {
		if (tt_cfg_to_master(c, &mcfg) != 0)
			broke("tt_cfg_to_master refused an accepted configuration", NULL);
		if (!policy_ok(&mcfg.master_timers, &mcfg.worker_timers, mcfg.d_max_ns,
			       mcfg.granularity_ns))
			broke("the master's timers fail tt_hb_policy_check", NULL);
	} else {
		if (tt_cfg_to_master(c, &mcfg) != -EINVAL)
			broke("tt_cfg_to_master took a worker's configuration", NULL);
	}
	n = c->role == TT_CFG_ROLE_DEMO ? c->n_workers : c->role == TT_CFG_ROLE_WORKER ? 1 : 0;
	for (i = 0; i < n; i++) {
		if (tt_cfg_to_worker(c, i, &wcfg) != 0)
			broke("tt_cfg_to_worker refused an accepted configuration", NULL);
		if (!policy_ok(&wcfg.master_timers, &wcfg.worker_timers, wcfg.d_max_ns,
			       wcfg.granularity_ns))
			broke("a worker's timers fail tt_hb_policy_check", NULL);
	}
	if (tt_cfg_to_worker(c, n, &wcfg) != -EINVAL)
		broke("tt_cfg_to_worker took an index past the workers", NULL);
	if (n > 0)
		tt_cfg_to_worker(c, 0, &wcfg);
	dc = n > 0 ? &wcfg.dc : &mcfg.dc;
	chan = tt_dc_create(dc);
	if (chan == NULL && errno != ENOMEM)
		broke("tt_dc_create refused the channel template of an accepted configuration",
		      NULL);
	tt_dc_destroy(chan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TT_CFG_ERR_MAX], err2[TT_CFG_ERR_MAX];
	unsigned int lines = 1;
	size_t i;
	int rc, rc2;

	if (size > INPUT_MAX)
		return 0;
	/* rte_cfgfile logs what it refuses: keep the run's output readable (no EAL needed). */
	rte_log_set_global_level(RTE_LOG_EMERG);
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;

	rc = tt_cfg_load_text(NAME, (const char *)data, size, &cfg, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		broke("the loader returned an errno it does not document", err);
	if (rc != 0) {
		check_message(err, sizeof(err), lines);
		if (strcmp(err, NAME ": rte_cfgfile could not read it") == 0)
			broke("rte_cfgfile refused text the line scan passed", err);
	} else {
		if (err[0] != '\0')
			broke("an accepted configuration left a message", err);
		check_accepted(&cfg);
		check_engine(&cfg);
	}

	/* Deterministic: the same text, the same verdict, message and configuration. */
	rc2 = tt_cfg_load_text(NAME, (const char *)data, size, &cfg2, err2, sizeof(err2));
	if (rc2 != rc || strcmp(err, err2) != 0)
		broke("a second load of the same text differs", err2);
	if (rc == 0 && memcmp(&cfg, &cfg2, sizeof(cfg)) != 0)
		broke("a second load of the same text gives another configuration", NULL);
	return 0;
}
