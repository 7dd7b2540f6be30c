/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /tether/... telemetry commands. Each builds one rte_tel_data dict from
 * the control module's views; nested values are dicts of plain values (one
 * level, which is what rte_telemetry allows).
 */
#include "telemetry.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_telemetry.h>

#include "portinfo.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tt_ctl *tel_ctl;

#define MAX_VIEWS (TT_CFG_MAX_WORKERS + TT_RT_MAX_EPS)

static const char *role_key(enum tt_rt_role r)
{
	return r == TT_RT_ROLE_MASTER ? "master" : "worker";
}

/* A nested dict under name; freed by the parent (keep = 0). */
static struct rte_tel_data *child(struct rte_tel_data *d, const char *name)
{
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c == NULL)
		return NULL;
	rte_tel_data_start_dict(c);
	if (rte_tel_data_add_dict_container(d, name, c, 0) != 0) {
		rte_tel_data_free(c);
		return NULL;
	}
	return c;
}

static int with_views(int64_t worker, struct tt_ctl_node_view **nv)
{
	int n;

	*nv = calloc(MAX_VIEWS, sizeof(**nv));
	if (*nv == NULL)
		return -ENOMEM;
	n = tt_ctl_nodes(tel_ctl, worker, *nv, MAX_VIEWS);
	if (n < 0) {
		free(*nv);
		*nv = NULL;
	}
	return n;
}

static int workers_locked(struct rte_tel_data *d)
{
	struct tt_ctl_node_view *nv;
	int n = with_views(-1, &nv);
	int i;

	if (n < 0)
		return n;
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		char key[48];
		struct rte_tel_data *c;
		uint32_t up = 0;
		unsigned int k;

		for (k = 0; k < nv[i].n_chan; k++)
			up += (nv[i].up_mask >> k) & 1u;
		snprintf(key, sizeof(key), "%s/%" PRIu32, role_key(nv[i].role), nv[i].worker_id);
		c = child(d, key);
		if (c == NULL)
			continue;
		rte_tel_data_add_dict_u64(c, "worker_id", nv[i].worker_id);
		rte_tel_data_add_dict_u64(c, "epoch", nv[i].epoch);
		rte_tel_data_add_dict_string(c, "state", nv[i].state);
		rte_tel_data_add_dict_string(c, "hb_state", tt_hb_state_name(nv[i].hb.state));
		rte_tel_data_add_dict_u64(c, "channels", nv[i].n_chan);
		rte_tel_data_add_dict_u64(c, "channels_up", up);
		if (nv[i].role == TT_RT_ROLE_MASTER) {
			rte_tel_data_add_dict_u64(c, "tasks_held", nv[i].outstanding);
			rte_tel_data_add_dict_u64(c, "send_queued", nv[i].send_queued);
		} else {
			rte_tel_data_add_dict_u64(c, "tasks_running", nv[i].in_flight);
			rte_tel_data_add_dict_u64(c, "fences", nv[i].fences);
			rte_tel_data_add_dict_u64(c, "rejoins", nv[i].rejoins);
			rte_tel_data_add_dict_u64(c, "exited", nv[i].exited);
		}
	}
	free(nv);
	return 0;
}

static int sessions_locked(struct rte_tel_data *d)
{
	struct tt_ctl_node_view *nv;
	int n = with_views(-1, &nv);
	int i;

	if (n < 0)
		return n;
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		const struct tt_ctl_hb_view *h = &nv[i].hb;
		struct rte_tel_data *c;
		char key[48];

		snprintf(key, sizeof(key), "%s/%" PRIu32, role_key(nv[i].role), nv[i].worker_id);
		c = child(d, key);
		if (c == NULL)
			continue;
		rte_tel_data_add_dict_string(c, "state", tt_hb_state_name(h->state));
		rte_tel_data_add_dict_u64(c, "silenced", h->disconnected);
		rte_tel_data_add_dict_u64(c, "remote_disc", h->remote_disc);
		rte_tel_data_add_dict_u64(c, "interval_us", h->tx_interval_ns / TT_NS_PER_US);
		rte_tel_data_add_dict_u64(c, "detect_mult", h->detect_mult);
		rte_tel_data_add_dict_u64(c, "detect_us", h->detect_ns / TT_NS_PER_US);
		rte_tel_data_add_dict_u64(c, "poll_active", h->poll_active);
		rte_tel_data_add_dict_string(c, "diag", tt_bfd_diag_name(h->diag));
		rte_tel_data_add_dict_u64(c, "rx", h->rx_ok);
		rte_tel_data_add_dict_u64(c, "rx_dropped", h->rx_dropped);
		rte_tel_data_add_dict_u64(c, "tx", h->tx_packets);
		rte_tel_data_add_dict_u64(c, "state_changes", h->state_changes);
		rte_tel_data_add_dict_u64(c, "detect_expiries", h->detect_expiries);
		rte_tel_data_add_dict_u64(c, "polls_done", h->polls_done);
	}
	free(nv);
	return 0;
}

static int channels_locked(const char *params, struct rte_tel_data *d)
{
	struct tt_ctl_node_view *nv;
	uint32_t ids[TT_CFG_MAX_WORKERS];
	char *end;
	unsigned long w;
	int n;
	int i;

	if (params == NULL || params[0] == '\0') {
		/* No worker given: say which ones exist. */
		uint32_t k;

		n = (int)tt_topo_worker_ids(tt_ctl_topo(tel_ctl), ids, TT_CFG_MAX_WORKERS);
		rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
		for (k = 0; k < (uint32_t)n && k < TT_CFG_MAX_WORKERS; k++)
			rte_tel_data_add_array_u64(d, ids[k]);
		return 0;
	}
	w = strtoul(params, &end, 10);
	if (end == params || *end != '\0' || w > UINT32_MAX)
		return -EINVAL;
	n = with_views((int64_t)w, &nv);
	if (n < 0)
		return n;
	if (n == 0) {
		free(nv);
		return -ENOENT;
	}
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		unsigned int k;

		for (k = 0; k < nv[i].n_chan; k++) {
			const struct tt_ctl_chan_view *cv = &nv[i].chan[k];
			struct rte_tel_data *c;
			enum tt_shim_ctr ctr;
			char key[48];

			snprintf(key, sizeof(key), "%s/%u", role_key(nv[i].role), k);
			c = child(d, key);
			if (c == NULL)
				continue;
			rte_tel_data_add_dict_string(c, "state", tt_dc_state_name(cv->info.state));
			rte_tel_data_add_dict_string(
				c, "last_down",
				cv->downs > 0 ? tt_dc_down_reason_name(cv->info.down_reason)
					      : "none");
			rte_tel_data_add_dict_u64(c, "epoch", cv->info.epoch);
			rte_tel_data_add_dict_u64(c, "msgs_sent", cv->msgs_queued);
			rte_tel_data_add_dict_u64(c, "msgs_delivered", cv->msgs_delivered);
			rte_tel_data_add_dict_u64(c, "retransmits", cv->retransmits);
			rte_tel_data_add_dict_u64(c, "ups", cv->ups);
			rte_tel_data_add_dict_u64(c, "downs", cv->downs);
			rte_tel_data_add_dict_u64(
				c, "srtt_us",
				cv->info.rtt_valid ? cv->info.srtt_ns / TT_NS_PER_US : 0);
			rte_tel_data_add_dict_u64(c, "admin_cut", cv->cut);
			rte_tel_data_add_dict_u64(c, "shim_cut", cv->fault.cut);
			rte_tel_data_add_dict_u64(c, "shim_drop_ppm", cv->fault.drop_ppm);
			rte_tel_data_add_dict_u64(c, "shim_delay_us",
						  cv->fault.delay_ns / TT_NS_PER_US);
			rte_tel_data_add_dict_u64(c, "shim_dup_ppm", cv->fault.dup_ppm);
			rte_tel_data_add_dict_u64(c, "shim_reorder_ppm", cv->fault.reorder_ppm);
			/* What this end's shim did to the channel's packets: "shim_pkts_cut"... */
			for (ctr = 0; ctr < TT_SHIM_CTR_MAX; ctr++) {
				snprintf(key, sizeof(key), "shim_pkts_%s", tt_shim_ctr_name(ctr));
				rte_tel_data_add_dict_u64(c, key, cv->shim[ctr]);
			}
		}
	}
	free(nv);
	return 0;
}

static int tasks_locked(struct rte_tel_data *d)
{
	struct tt_ctl_task_summary s;

	tt_ctl_task_summary(tel_ctl, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "submitted", s.submitted);
	rte_tel_data_add_dict_u64(d, "submit_refused", s.submit_refused);
	rte_tel_data_add_dict_u64(d, "finished", s.finished);
	rte_tel_data_add_dict_u64(d, "committed_once", s.committed_once);
	rte_tel_data_add_dict_u64(d, "duplicates", s.duplicates);
	rte_tel_data_add_dict_u64(d, "commit_unknown", s.commit_unknown);
	rte_tel_data_add_dict_u64(d, "status_ok", s.status_ok);
	rte_tel_data_add_dict_u64(d, "cancelled", s.cancelled);
	rte_tel_data_add_dict_u64(d, "abandoned", s.abandoned);
	rte_tel_data_add_dict_u64(d, "in_flight", s.in_flight);
	rte_tel_data_add_dict_u64(d, "pending", s.pending);
	rte_tel_data_add_dict_u64(d, "assigned", s.assigned);
	rte_tel_data_add_dict_u64(d, "rescheduled", s.rescheduled);
	rte_tel_data_add_dict_u64(d, "stale_rejected", s.stale);
	rte_tel_data_add_dict_u64(d, "log_complete", s.log_complete);
	rte_tel_data_add_dict_u64(d, "load_rate", s.load_running ? s.load_rate : 0);
	rte_tel_data_add_dict_u64(d, "worker_results_sent", s.run_results);
	rte_tel_data_add_dict_u64(d, "worker_fence_aborted", s.run_fence_aborted);
	return 0;
}

static int stats_locked(struct rte_tel_data *d)
{
	struct tt_topo *t = tt_ctl_topo(tel_ctl);
	struct tt_rt_lcore_stats ls;
	struct rte_tel_data *c;
	uint16_t ids[TT_TOPO_MAX_PORTS];
	uint16_t n;
	uint16_t i;

	rte_tel_data_start_dict(d);
	if (t->rt == NULL)
		return 0;
	tt_rt_lcore_stats(t->rt, &ls);
	c = child(d, "lcore");
	if (c != NULL) {
		rte_tel_data_add_dict_u64(c, "lcore_id", ls.lcore_id);
		rte_tel_data_add_dict_string(c, "state", tt_rt_state_name(ls.state));
		rte_tel_data_add_dict_string(c, "poll_mode", tt_rt_poll_mode_name(ls.poll_mode));
		rte_tel_data_add_dict_u64(c, "passes", ls.passes);
		rte_tel_data_add_dict_u64(c, "busy_passes", ls.busy_passes);
		rte_tel_data_add_dict_u64(c, "busy_permille",
					  ls.total_ns > 0 ? ls.busy_ns * 1000 / ls.total_ns : 0);
		rte_tel_data_add_dict_u64(c, "sleeps", ls.sleeps);
		rte_tel_data_add_dict_u64(c, "cmds", ls.cmds);
		rte_tel_data_add_dict_u64(c, "link_downs", ls.link_downs);
		rte_tel_data_add_dict_u64(c, "deadlines", ls.deadlines);
		rte_tel_data_add_dict_u64(c, "late_max_ns", ls.late_max_ns);
	}
	n = tt_topo_port_ids(t, ids, TT_TOPO_MAX_PORTS);
	for (i = 0; i < n; i++) {
		struct tt_rt_port_stats ps;
		struct tt_pinfo_stats es;
		char key[24];
		uint32_t ep;
		uint16_t idx;
		unsigned int k;

		snprintf(key, sizeof(key), "port%u", ids[i]);
		c = child(d, key);
		if (c == NULL)
			continue;
		if (tt_pinfo_stats(ids[i], &es) == 0) {
			rte_tel_data_add_dict_u64(c, "ipackets", es.ipackets);
			rte_tel_data_add_dict_u64(c, "opackets", es.opackets);
			rte_tel_data_add_dict_u64(c, "imissed", es.imissed);
		}
		if (tt_topo_port_owner(t, ids[i], &ep, &idx) != 0 ||
		    tt_rt_port_stats(t->rt, ep, idx, &ps) != 0)
			continue;
		rte_tel_data_add_dict_string(c, "endpoint", tt_ctl_ep_name(tel_ctl, ep));
		rte_tel_data_add_dict_string(c, "hb_steering", tt_flow_mode_name(ps.hb_mode));
		for (k = 0; k < TT_RT_PC_MAX; k++)
			rte_tel_data_add_dict_u64(c, tt_rt_port_ctr_name(k), ps.ctr[k]);
	}
	return 0;
}

/* One wrapper per command: serve only while attached. */
#define TEL_CMD(name, body)                                                                        \
	static int tel_##name(const char *cmd, const char *params, struct rte_tel_data *d)         \
	{                                                                                          \
		int ret;                                                                           \
		(void)cmd;                                                                         \
		(void)params;                                                                      \
		pthread_mutex_lock(&tel_lock);                                                     \
		ret = tel_ctl != NULL ? (body) : -ENODEV;                                          \
		pthread_mutex_unlock(&tel_lock);                                                   \
		return ret;                                                                        \
	}

TEL_CMD(workers, workers_locked(d))
TEL_CMD(sessions, sessions_locked(d))
TEL_CMD(channels, channels_locked(params, d))
TEL_CMD(tasks, tasks_locked(d))
TEL_CMD(stats, stats_locked(d))

int tt_tel_register(struct tt_ctl *ctl)
{
	static const struct {
		const char *name;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{"/tether/workers", tel_workers,
		 "Each worker as the master and the worker see it. Takes no parameters."},
		{"/tether/sessions", tel_sessions,
		 "Each BFD heartbeat session: state, timers, detection time. No parameters."},
		{"/tether/channels", tel_channels,
		 "Data channels of one worker at each end. Parameter: worker id "
		 "(without it: the worker ids)."},
		{"/tether/tasks", tel_tasks,
		 "Task summary: submitted, committed exactly once, duplicates, rescheduled, stale "
		 "results rejected. No parameters."},
		{"/tether/stats", tel_stats, "Polling lcore and per-port counters. No parameters."},
	};
	static bool registered;
	size_t i;
	int ret;

	pthread_mutex_lock(&tel_lock);
	tel_ctl = ctl;
	pthread_mutex_unlock(&tel_lock);
	if (registered)
		return 0;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		ret = rte_telemetry_register_cmd(cmds[i].name, cmds[i].fn, cmds[i].help);
		if (ret < 0)
			return ret;
	}
	registered = true;
	return 0;
}

void tt_tel_detach(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_ctl = NULL;
	pthread_mutex_unlock(&tel_lock);
}
