/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the show verbs, telemetry and the waits see: views of the endpoints
 * copied on the polling lcore (the *_call() functions), and their printing.
 */
#include "control_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_log.h"
#include "portinfo.h"

#define TASKS_SHOWN 32 /* rows of `show tasks` */

/* ---- node views ---------------------------------------------------------------------------- */

struct nodes_arg {
	const struct tt_topo *topo;
	uint32_t ep;
	uint32_t n_ids;
	const uint32_t *ids;
	struct tt_ctl_node_view *out;
};

static void fill_hb(struct tt_ctl_hb_view *h, const struct tt_hb_session *s)
{
	const struct tt_hb_counters *k;
	unsigned int r;

	if (s == NULL)
		return;
	k = tt_hb_counters(s);
	h->present = true;
	h->state = tt_hb_state(s);
	h->diag = tt_hb_diag(s);
	h->disconnected = tt_hb_is_disconnected(s);
	h->poll_active = tt_hb_poll_active(s);
	h->remote_disc = tt_hb_remote_disc(s);
	h->detect_ns = tt_hb_detect_time_ns(s);
	h->tx_interval_ns = tt_hb_tx_interval_ns(s);
	h->rx_ok = k->rx.by_reason[TT_BFD_RX_OK];
	for (r = 1; r < TT_BFD_RX_REJECT_MAX; r++)
		h->rx_dropped += k->rx.by_reason[r];
	h->tx_packets = k->tx_packets;
	h->state_changes = k->state_changes;
	h->detect_expiries = k->detect_expiries;
	h->polls_done = k->polls_done;
}

static void fill_chan(struct tt_ctl_chan_view *cv, const struct tt_dc *dc)
{
	const struct tt_dc_counters *k;
	unsigned int r;

	if (dc == NULL)
		return;
	tt_dc_info(dc, &cv->info);
	k = tt_dc_counters(dc);
	cv->msgs_queued = k->msgs_queued;
	cv->msgs_delivered = k->msgs_delivered;
	cv->retransmits = k->retransmits;
	cv->ups = k->ups;
	for (r = 0; r < TT_DC_DOWN_COUNT; r++)
		cv->downs += k->down_by_reason[r];
}

static void fill_shim(const struct nodes_arg *a, const struct tt_rt_ep_view *v,
		      struct tt_ctl_node_view *nv)
{
	unsigned int c;
	int flow;

	flow = tt_rt_flow_hb(a->topo->rt, a->ep, nv->worker_id);
	if (flow >= 0)
		tt_shim_get(v->shim, (uint16_t)flow, &nv->hb.fault);
	for (c = 0; c < nv->n_chan; c++) {
		flow = tt_rt_flow_chan(a->topo->rt, a->ep, nv->worker_id, c);
		if (flow < 0)
			continue;
		tt_shim_get(v->shim, (uint16_t)flow, &nv->chan[c].fault);
		tt_shim_stats_get(v->shim, (uint16_t)flow, nv->chan[c].shim);
	}
}

/* Polling lcore: the master's view of each worker asked for. */
static int master_nodes_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct nodes_arg *a = arg;
	uint32_t i;

	(void)now;
	for (i = 0; i < a->n_ids; i++) {
		struct tt_ctl_node_view *nv = &a->out[i];
		struct tt_master_peer_info pi;
		struct tt_sched_worker_info wi;
		unsigned int c;

		memset(nv, 0, sizeof(*nv));
		nv->ep = a->ep;
		nv->role = TT_RT_ROLE_MASTER;
		nv->worker_id = a->ids[i];
		nv->n_chan = a->topo->cfg->chan.count;
		if (tt_master_peer(v->master, a->ids[i], &pi) != 0) {
			snprintf(nv->state, sizeof(nv->state), "unknown");
			continue;
		}
		nv->epoch = pi.epoch;
		snprintf(nv->state, sizeof(nv->state), "%s", tt_ctab_wstate_name(pi.state));
		nv->up_mask = pi.up_mask;
		nv->send_queued = pi.send_queued;
		fill_hb(&nv->hb, tt_master_hb(v->master, a->ids[i]));
		for (c = 0; c < nv->n_chan; c++) {
			fill_chan(&nv->chan[c], tt_master_dc(v->master, a->ids[i], c));
			nv->chan[c].cut = (pi.cut_mask >> c) & 1u;
		}
		if (tt_sched_worker(tt_master_sched(v->master), a->ids[i], &wi) == 0)
			nv->outstanding = wi.outstanding;
		fill_shim(a, v, nv);
	}
	return 0;
}

/* Polling lcore: a worker endpoint's own view. */
static int worker_node_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct nodes_arg *a = arg;
	struct tt_ctl_node_view *nv = a->out;
	const struct tt_worker_counters *k = tt_worker_counters(v->worker);
	unsigned int c;
	int code;

	(void)now;
	memset(nv, 0, sizeof(*nv));
	nv->ep = a->ep;
	nv->role = TT_RT_ROLE_WORKER;
	nv->worker_id = tt_worker_id(v->worker);
	nv->epoch = tt_worker_epoch(v->worker);
	nv->n_chan = a->topo->cfg->chan.count;
	snprintf(nv->state, sizeof(nv->state), "%s",
		 tt_worker_state_name(tt_worker_state(v->worker)));
	fill_hb(&nv->hb, tt_worker_hb(v->worker));
	for (c = 0; c < nv->n_chan; c++) {
		const struct tt_dc *dc = tt_worker_dc(v->worker, c);

		fill_chan(&nv->chan[c], dc);
		if (dc != NULL && tt_dc_state(dc) == TT_DC_S_UP)
			nv->up_mask |= 1u << c;
	}
	nv->in_flight = tt_run_in_flight(tt_worker_runner(v->worker));
	nv->fences = k->fences;
	nv->rejoins = k->rejoins;
	nv->lives = k->lives;
	nv->exited = tt_worker_exited(v->worker, &code);
	fill_shim(a, v, nv);
	return 0;
}

/* The worker endpoint's own cut flags are not in its views: the master's cut_mask has them. */
int tt_ctl_nodes_locked(struct tt_ctl *c, int64_t worker, struct tt_ctl_node_view *out,
			uint32_t cap)
{
	struct nodes_arg a = {.topo = c->topo};
	uint32_t ids[TT_CFG_MAX_WORKERS];
	uint32_t n = 0;
	uint32_t ep;
	int wi;
	int ret;

	if (c->topo->rt == NULL)
		return -ENODEV;
	if (tt_ctl_has_master(c)) {
		uint32_t i;

		for (i = 0; i < c->n_workers; i++)
			if (worker < 0 || (uint32_t)worker == c->worker_ids[i])
				ids[a.n_ids++] = c->worker_ids[i];
		if (a.n_ids > cap)
			a.n_ids = cap;
		a.ep = c->topo->master_ep;
		a.ids = ids;
		a.out = out;
		if (a.n_ids > 0) {
			ret = tt_ctl_call(c, a.ep, master_nodes_call, &a, NULL);
			if (ret < 0)
				return ret;
		}
		n = a.n_ids;
	}
	/* The Detect Mult is not readable from a session: take the one last set. */
	for (ep = 0; ep < n; ep++) {
		int wi = tt_ctl_worker_index(c, out[ep].worker_id);

		out[ep].hb.detect_mult = wi >= 0 ? c->hb[wi].mult[TT_RT_ROLE_MASTER] : 0;
	}
	for (ep = 0; ep < c->topo->n_eps && n < cap; ep++) {
		if (c->topo->ep[ep].role != TT_RT_ROLE_WORKER)
			continue;
		if (worker >= 0 && (uint32_t)worker != c->topo->ep[ep].worker_id)
			continue;
		a.ep = ep;
		a.out = &out[n];
		ret = tt_ctl_call(c, ep, worker_node_call, &a, NULL);
		if (ret < 0)
			return ret;
		wi = tt_ctl_worker_index(c, out[n].worker_id);
		out[n].hb.detect_mult = wi >= 0 ? c->hb[wi].mult[TT_RT_ROLE_WORKER] : 0;
		n++;
	}
	return (int)n;
}

int tt_ctl_nodes(struct tt_ctl *c, int64_t worker, struct tt_ctl_node_view *out, uint32_t cap)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	ret = tt_ctl_nodes_locked(c, worker, out, cap);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* ---- show ---------------------------------------------------------------------------------- */

static void print_port(struct tt_ctl *c, uint16_t port_id, bool xstats, FILE *out)
{
	struct tt_pinfo_stats st;
	struct tt_rt_port_stats rs;
	uint32_t ep;
	uint16_t idx;
	unsigned int k;

	if (tt_topo_port_owner(c->topo, port_id, &ep, &idx) == 0)
		fprintf(out, "######## port %u: %s port %u ########\n", port_id,
			tt_ctl_ep_name(c, ep), idx);
	else
		fprintf(out, "######## port %u ########\n", port_id);
	if (xstats) {
		if (tt_pinfo_print_xstats(out, port_id) < 0)
			fputs("  (no extended statistics)\n", out);
		return;
	}
	if (tt_pinfo_stats(port_id, &st) == 0) {
		fprintf(out,
			"  RX-packets: %-12" PRIu64 " RX-bytes: %-14" PRIu64
			" RX-missed: %-8" PRIu64 " RX-errors: %" PRIu64 " RX-nombuf: %" PRIu64 "\n",
			st.ipackets, st.ibytes, st.imissed, st.ierrors, st.rx_nombuf);
		fprintf(out,
			"  TX-packets: %-12" PRIu64 " TX-bytes: %-14" PRIu64 " TX-errors: %" PRIu64
			"\n",
			st.opackets, st.obytes, st.oerrors);
	}
	if (c->topo->rt == NULL || tt_topo_port_owner(c->topo, port_id, &ep, &idx) != 0 ||
	    tt_rt_port_stats(c->topo->rt, ep, idx, &rs) != 0)
		return;
	fprintf(out, "  heartbeat steering: %s (%s)\n", tt_flow_mode_name(rs.hb_mode),
		rs.hb_reason);
	for (k = 0; k < TT_RT_PC_MAX; k++)
		fprintf(out, "  %-16s %-12" PRIu64 "%s", tt_rt_port_ctr_name(k), rs.ctr[k],
			k % 3 == 2 || k + 1 == TT_RT_PC_MAX ? "\n" : "");
}

static int show_port(struct tt_ctl *c, int32_t port, bool xstats, FILE *out)
{
	uint16_t ids[TT_TOPO_MAX_PORTS];
	uint16_t n = tt_topo_port_ids(c->topo, ids, TT_TOPO_MAX_PORTS);
	uint16_t i;

	if (port >= 0) {
		for (i = 0; i < n && ids[i] != (uint16_t)port; i++)
			;
		if (i == n) {
			fprintf(out, "error: port %" PRId32 " is not one of this process's ports (",
				port);
			for (i = 0; i < n; i++)
				fprintf(out, "%s%u", i > 0 ? " " : "", ids[i]);
			fputs(")\n", out);
			return -ENOENT;
		}
		print_port(c, (uint16_t)port, xstats, out);
		return 0;
	}
	for (i = 0; i < n; i++)
		print_port(c, ids[i], xstats, out);
	return 0;
}

int tt_ctl_show_port_stats(struct tt_ctl *c, int32_t port, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, show_port(c, port, false, out));
}

int tt_ctl_show_port_xstats(struct tt_ctl *c, int32_t port, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, show_port(c, port, true, out));
}

struct tt_ctl_node_view *tt_ctl_nodes_alloc(void)
{
	return calloc(TT_CTL_MAX_NODES, sizeof(struct tt_ctl_node_view));
}

static void chan_summary(const struct tt_ctl_node_view *nv, char *buf, size_t len)
{
	unsigned int c;
	unsigned int up = 0;

	for (c = 0; c < nv->n_chan; c++)
		up += (nv->up_mask >> c) & 1u;
	snprintf(buf, len, "%u/%u up", up, nv->n_chan);
}

static int show_workers(struct tt_ctl *c, FILE *out)
{
	struct tt_ctl_node_view *nv = tt_ctl_nodes_alloc();
	int n;
	int i;

	if (nv == NULL)
		return tt_ctl_err_out(out, -ENOMEM, "out of memory");
	n = tt_ctl_nodes_locked(c, -1, nv, TT_CTL_MAX_NODES);
	if (n < 0) {
		free(nv);
		return tt_ctl_err_out(out, n, "show workers: %s", strerror(-n));
	}
	fprintf(out, "%-8s %-8s %-10s %-11s %-10s %-9s %-8s %-9s %-6s %s\n", "node", "worker",
		"epoch", "state", "heartbeat", "channels", "tasks", "detect", "fences", "rejoins");
	for (i = 0; i < n; i++) {
		char chans[16];
		char det[16];

		chan_summary(&nv[i], chans, sizeof(chans));
		snprintf(det, sizeof(det), "%.1fms", (double)nv[i].hb.detect_ns / 1e6);
		if (nv[i].role == TT_RT_ROLE_MASTER)
			fprintf(out,
				"%-8s %-8" PRIu32 " %-10" PRIu32 " %-11s %-10s %-9s %-8" PRIu32
				" %-9s %-6s %s\n",
				"master", nv[i].worker_id, nv[i].epoch, nv[i].state,
				tt_hb_state_name(nv[i].hb.state), chans, nv[i].outstanding, det,
				"-", "-");
		else
			fprintf(out,
				"%-8s %-8" PRIu32 " %-10" PRIu32 " %-11s %-10s %-9s %-8" PRIu32
				" %-9s %-6" PRIu64 " %" PRIu64 "\n",
				"worker", nv[i].worker_id, nv[i].epoch, nv[i].state,
				tt_hb_state_name(nv[i].hb.state), chans, nv[i].in_flight, det,
				nv[i].fences, nv[i].rejoins);
	}
	free(nv);
	return 0;
}

int tt_ctl_show_workers(struct tt_ctl *c, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, show_workers(c, out));
}

/* "cut", "drop 5%", "dup 1%", "reorder 10%/10000us", "delay 2000+500us", joined; "-" when none. */
static void fault_text(const struct tt_shim_fault *f, bool admin_cut, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (admin_cut)
		n += (size_t)snprintf(buf + n, len - n, "admin-cut ");
	if (f->cut && n < len)
		n += (size_t)snprintf(buf + n, len - n, "cut ");
	if (f->drop_ppm > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "drop %.4g%% ", f->drop_ppm / 1e4);
	if (f->dup_ppm > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "dup %.4g%% ", f->dup_ppm / 1e4);
	if (f->reorder_ppm > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "reorder %.4g%%/%" PRIu64 "us ",
				      f->reorder_ppm / 1e4,
				      (uint64_t)(f->reorder_hold_ns / TT_NS_PER_US));
	if (f->delay_ns > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "delay %" PRIu64 "+%" PRIu64 "us ",
				      (uint64_t)(f->delay_ns / TT_NS_PER_US),
				      (uint64_t)(f->jitter_ns / TT_NS_PER_US));
	if (n == 0)
		snprintf(buf, len, "-");
	else if (n < len)
		buf[n - 1] = '\0';
}

static int show_sessions(struct tt_ctl *c, FILE *out)
{
	struct tt_ctl_node_view *nv = tt_ctl_nodes_alloc();
	int n;
	int i;

	if (nv == NULL)
		return tt_ctl_err_out(out, -ENOMEM, "out of memory");
	n = tt_ctl_nodes_locked(c, -1, nv, TT_CTL_MAX_NODES);
	if (n < 0) {
		free(nv);
		return tt_ctl_err_out(out, n, "show sessions: %s", strerror(-n));
	}
	fprintf(out, "%-7s %-6s %-6s %-9s %-11s %-10s %-4s %-10s %-5s %-9s %-9s %s\n", "node",
		"worker", "state", "silenced", "remote-disc", "interval", "mult", "detect", "poll",
		"rx", "tx", "diag / fault");
	for (i = 0; i < n; i++) {
		const struct tt_ctl_hb_view *h = &nv[i].hb;
		char fault[80];

		fault_text(&h->fault, false, fault, sizeof(fault));
		fprintf(out,
			"%-7s %-6" PRIu32 " %-6s %-9s 0x%08" PRIx32
			"  %-10.0f %-4u %-10.0f %-5s %-9" PRIu64 " %-9" PRIu64 " %s",
			nv[i].role == TT_RT_ROLE_MASTER ? "master" : "worker", nv[i].worker_id,
			tt_hb_state_name(h->state), h->disconnected ? "yes" : "no", h->remote_disc,
			(double)h->tx_interval_ns / 1e3, h->detect_mult, (double)h->detect_ns / 1e3,
			h->poll_active ? "yes" : "no", h->rx_ok, h->tx_packets,
			h->diag != TT_BFD_DIAG_NONE ? tt_bfd_diag_name(h->diag) : "-");
		if (fault[0] != '-')
			fprintf(out, " / %s", fault);
		fputc('\n', out);
	}
	fputs("interval, detect: us; detect is this end's detection time (T1 at the master, T2 at "
	      "a worker); mult is this end's Detect Mult\n",
	      out);
	free(nv);
	return 0;
}

int tt_ctl_show_sessions(struct tt_ctl *c, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, show_sessions(c, out));
}

static int show_channels(struct tt_ctl *c, int64_t worker, FILE *out)
{
	struct tt_ctl_node_view *nv;
	int n;
	int i;

	if (worker >= 0 && !tt_ctl_known_worker(c, (uint32_t)worker))
		return tt_ctl_unknown_worker(c, (uint32_t)worker, out);
	nv = tt_ctl_nodes_alloc();
	if (nv == NULL)
		return tt_ctl_err_out(out, -ENOMEM, "out of memory");
	n = tt_ctl_nodes_locked(c, worker, nv, TT_CTL_MAX_NODES);
	if (n < 0) {
		free(nv);
		return tt_ctl_err_out(out, n, "show channels: %s", strerror(-n));
	}
	fprintf(out, "%-8s %-6s %-4s %-10s %-16s %-6s %-9s %-9s %-7s %-9s %s\n", "node", "worker",
		"chan", "state", "last-down", "epoch", "sent", "delivered", "retx", "rtt(us)",
		"fault");
	for (i = 0; i < n; i++) {
		unsigned int ch;

		for (ch = 0; ch < nv[i].n_chan; ch++) {
			const struct tt_ctl_chan_view *cv = &nv[i].chan[ch];
			char fault[80];
			char rtt[16] = "-";

			fault_text(&cv->fault, cv->cut, fault, sizeof(fault));
			if (cv->info.rtt_valid)
				snprintf(rtt, sizeof(rtt), "%.1f", (double)cv->info.srtt_ns / 1e3);
			fprintf(out,
				"%-8s %-6" PRIu32 " %-4u %-10s %-16s %-6" PRIu32 " %-9" PRIu64
				" %-9" PRIu64 " %-7" PRIu64 " %-9s %s\n",
				nv[i].role == TT_RT_ROLE_MASTER ? "master" : "worker",
				nv[i].worker_id, ch, tt_dc_state_name(cv->info.state),
				cv->downs > 0 ? tt_dc_down_reason_name(cv->info.down_reason) : "-",
				cv->info.epoch, cv->msgs_queued, cv->msgs_delivered,
				cv->retransmits, rtt, fault);
		}
	}
	free(nv);
	return 0;
}

int tt_ctl_show_channels(struct tt_ctl *c, int64_t worker, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, show_channels(c, worker, out));
}

void tt_ctl_summary_locked(struct tt_ctl *c, struct tt_ctl_task_summary *s)
{
	size_t k;

	tt_ctl_sync_tasks(c, true);
	*s = c->sum;
	s->in_flight = c->tasks.n;
	s->has_master = tt_ctl_has_master(c);
	s->log_complete = !c->log_overflow;
	s->rescheduled = c->sched_prev.rescheduled + c->sched_cur.rescheduled;
	s->stale = c->sched_prev.stale + c->sched_cur.stale;
	s->assigned = c->sched_prev.assigned + c->sched_cur.assigned;
	for (k = 0; k < TT_SCHED_VERDICT_MAX; k++)
		s->stale_by[k] = c->sched_prev.results[k] + c->sched_cur.results[k];
	s->load_running = c->load_on;
	s->load_rate = c->load_rate;
	s->run_results = 0;
	s->run_fence_aborted = 0;
	s->run_in_flight = 0;
}

struct runner_arg {
	uint64_t results;
	uint64_t aborted;
	uint32_t in_flight;
};

static int runner_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct runner_arg *a = arg;
	const struct tt_run_counters *k = tt_run_counters(tt_worker_runner(v->worker));

	(void)now;
	a->results += k->results_sent;
	a->aborted += k->fence_aborted;
	a->in_flight += tt_run_in_flight(tt_worker_runner(v->worker));
	return 0;
}

void tt_ctl_runner_summary(struct tt_ctl *c, struct tt_ctl_task_summary *s)
{
	struct runner_arg a = {0};
	uint32_t ep;

	for (ep = 0; ep < c->topo->n_eps; ep++)
		if (c->topo->ep[ep].role == TT_RT_ROLE_WORKER)
			tt_ctl_call(c, ep, runner_call, &a, NULL);
	s->run_results = a.results;
	s->run_fence_aborted = a.aborted;
	s->run_in_flight = a.in_flight;
}

void tt_ctl_task_summary(struct tt_ctl *c, struct tt_ctl_task_summary *out)
{
	pthread_mutex_lock(&c->lock);
	tt_ctl_housekeeping_locked(c);
	tt_ctl_summary_locked(c, out);
	tt_ctl_runner_summary(c, out);
	pthread_mutex_unlock(&c->lock);
}

static void print_summary(const struct tt_ctl_task_summary *s, FILE *out)
{
	unsigned int k;

	if (s->has_master) {
		fprintf(out,
			"tasks: submitted %" PRIu64 ", finished %" PRIu64
			" (committed exactly once %" PRIu64 ", status ok %" PRIu64
			", cancelled %" PRIu64 "), in flight %" PRIu64 " (pending %" PRIu32
			"), abandoned by stop %" PRIu64 "\n",
			s->submitted, s->finished, s->committed_once, s->status_ok, s->cancelled,
			s->in_flight, s->pending, s->abandoned);
		fprintf(out,
			"exactly-once: duplicates %" PRIu64 ", commits of unknown tasks %" PRIu64
			"%s\n",
			s->duplicates, s->commit_unknown,
			s->log_complete ? "" : " (scheduler log full: not every commit checked)");
		fprintf(out,
			"scheduler: assigned %" PRIu64 ", rescheduled %" PRIu64
			", stale results rejected %" PRIu64,
			s->assigned, s->rescheduled, s->stale);
		for (k = 1; k < TT_SCHED_VERDICT_MAX; k++)
			if (s->stale_by[k] > 0)
				fprintf(out, " %s=%" PRIu64, tt_sched_verdict_name(k),
					s->stale_by[k]);
		fprintf(out, ", submits refused %" PRIu64 "\n", s->submit_refused);
		if (s->load_running)
			fprintf(out, "load: running at %" PRIu32 " tasks/s\n", s->load_rate);
	}
	fprintf(out,
		"workers here: results sent %" PRIu64 ", tasks aborted by fences %" PRIu64
		", running now %" PRIu32 "\n",
		s->run_results, s->run_fence_aborted, s->run_in_flight);
}

struct task_list_arg {
	uint32_t n;
	uint64_t ids[TASKS_SHOWN];
	struct tt_sched_task_info info[TASKS_SHOWN];
	bool ok[TASKS_SHOWN];
};

static int task_list_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct task_list_arg *a = arg;
	uint32_t i;

	(void)now;
	for (i = 0; i < a->n; i++)
		a->ok[i] = tt_sched_task(tt_master_sched(v->master), a->ids[i], &a->info[i]) == 0;
	return 0;
}

static int show_tasks(struct tt_ctl *c, bool summary, FILE *out)
{
	struct tt_ctl_task_summary s;
	struct task_list_arg a = {0};
	tt_ns_t now = tt_topo_now(c->topo);
	uint32_t i;

	tt_ctl_summary_locked(c, &s);
	tt_ctl_runner_summary(c, &s);
	if (summary || !tt_ctl_has_master(c)) {
		print_summary(&s, out);
		return 0;
	}
	for (i = 0; i < c->tasks.cap && a.n < TASKS_SHOWN; i++)
		if (c->tasks.slot[i].id != 0)
			a.ids[a.n++] = c->tasks.slot[i].id;
	if (a.n > 0)
		tt_ctl_call(c, c->topo->master_ep, task_list_call, &a, NULL);
	if (a.n == 0)
		fputs("no task in flight\n", out);
	else
		fprintf(out, "%-20s %-10s %-7s %-6s %-5s %-8s %s\n", "task", "state", "worker",
			"epoch", "chan", "attempts", "age(ms)");
	for (i = 0; i < a.n; i++) {
		const struct tt_sched_task_info *ti = &a.info[i];
		char w[12] = "-";

		if (!a.ok[i])
			continue;
		if (ti->worker != TT_SCHED_NO_WORKER)
			snprintf(w, sizeof(w), "%" PRIu32, ti->worker);
		fprintf(out, "0x%-18" PRIx64 " %-10s %-7s %-6" PRIu32 " %-5u %-8" PRIu32 " %.1f\n",
			a.ids[i], tt_sched_state_name(ti->state), w, ti->epoch, ti->channel,
			ti->attempts, (double)(now - ti->submit_ns) / 1e6);
	}
	if (s.in_flight > a.n)
		fprintf(out, "... %" PRIu64 " more in flight\n", s.in_flight - a.n);
	print_summary(&s, out);
	return 0;
}

int tt_ctl_show_tasks(struct tt_ctl *c, bool summary, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, show_tasks(c, summary, out));
}

static int show_timeline(struct tt_ctl *c, uint32_t n, FILE *out)
{
	uint64_t oldest = tt_ctl_tl_oldest(c);
	uint64_t pos;
	uint64_t first = c->tl_end;
	uint32_t shown = 0;

	/* Walk back to the n-th state change from the end. */
	for (pos = c->tl_end; pos > oldest && shown < n; pos--) {
		if (!tt_alog_event_is_task(&c->tl[(pos - 1) % TT_CTL_TL_CAP].ev)) {
			shown++;
			first = pos - 1;
		}
	}
	fprintf(out, "%14s  %-10s %s\n", "time(us)", "node", "event");
	for (pos = first; pos < c->tl_end; pos++) {
		const struct tt_ctl_event *e = &c->tl[pos % TT_CTL_TL_CAP];
		char text[160];

		if (tt_alog_event_is_task(&e->ev))
			continue;
		tt_alog_event_text(&e->ev, text, sizeof(text));
		fprintf(out, "%14.1f  %-10s worker %" PRIu32 ": %s\n", (double)e->ev.time_ns / 1e3,
			tt_ctl_ep_name(c, e->ep), e->ev.worker, text);
	}
	if (shown == 0)
		fputs("(no state change yet)\n", out);
	return 0;
}

int tt_ctl_show_timeline(struct tt_ctl *c, uint32_t n, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, show_timeline(c, n, out));
}
