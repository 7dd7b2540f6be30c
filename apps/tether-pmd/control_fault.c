/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection (the drivers' fault shim, the engine's operator cut, a
 * worker's pause) and live heartbeat timer changes (Poll/Final).
 */
#include "control_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "hb_policy.h"

/* ---- set hb -------------------------------------------------------------------------------- */

/*
 * The timing rule on one worker's would-be timers, with its full message:
 * checked here first so that an unsafe change is refused before any session
 * starts a Poll sequence (the engine checks again, against its configured
 * peer values, and may still refuse).
 */
static int precheck(const struct tt_ctl *c, uint32_t worker, uint32_t interval_us,
		    const uint8_t mult[TT_RT_ROLE_MAX], FILE *out)
{
	const struct tt_cfg_hb *h = &c->topo->cfg->hb;
	struct tt_hb_policy_input in = {
		.master = {interval_us, interval_us, mult[TT_RT_ROLE_MASTER]},
		.worker = {interval_us, interval_us, mult[TT_RT_ROLE_WORKER]},
		.d_max_ns = tt_us_to_ns(h->d_max_us),
		.granularity_ns = tt_us_to_ns(h->granularity_us),
	};
	char msg[1024];

	if (tt_hb_policy_check(&in, msg, sizeof(msg)) == 0)
		return 0;
	return tt_ctl_err_out(out, -EINVAL, "worker %" PRIu32 ": nothing changed: %s", worker, msg);
}

/* One session's new timers: SET_HB_TIMERS; the engine refuses an unsafe pair (message in err). */
static int set_timers(struct tt_ctl *c, uint32_t ep, uint32_t worker, uint32_t interval_us,
		      uint8_t mult, FILE *out)
{
	struct tt_rt_cmd cmd = {
		.type = TT_RT_CMD_SET_HB_TIMERS,
		.ep = ep,
		.worker_id = worker,
		.timers = {.desired_min_tx_us = interval_us,
			   .required_min_rx_us = interval_us,
			   .detect_mult = mult},
	};
	const char *who = c->topo->ep[ep].role == TT_RT_ROLE_MASTER ? "master, " : "";
	int ret = tt_ctl_exec(c, &cmd);

	if (ret < 0)
		return tt_ctl_err_out(out, ret, "%sworker %" PRIu32 ": %s", who, worker,
				      cmd.err[0] != '\0' ? cmd.err : strerror(-ret));
	fprintf(out,
		"%sworker %" PRIu32 ": Poll sequence started: interval %" PRIu32
		" us, detect mult %u\n",
		who, worker, interval_us, mult);
	return 0;
}

/*
 * Apply new timers to one worker's sessions in this process: the master's
 * session of it and its own endpoint's. Each side keeps its own Detect Mult.
 */
static int set_worker(struct tt_ctl *c, uint32_t idx, uint32_t interval_us,
		      const uint8_t mult[TT_RT_ROLE_MAX], FILE *out, uint32_t *applied)
{
	uint32_t id = c->worker_ids[idx];
	uint32_t wep = tt_topo_worker_ep(c->topo, id);
	int ret;

	if (tt_ctl_has_master(c)) {
		ret = set_timers(c, c->topo->master_ep, id, interval_us, mult[TT_RT_ROLE_MASTER],
				 out);
		if (ret < 0)
			return ret;
		(*applied)++;
	}
	if (wep != TT_TOPO_NO_EP) {
		ret = set_timers(c, wep, id, interval_us, mult[TT_RT_ROLE_WORKER], out);
		if (ret < 0)
			return ret;
		(*applied)++;
	}
	c->hb[idx].interval_us = interval_us;
	c->hb[idx].mult[TT_RT_ROLE_MASTER] = mult[TT_RT_ROLE_MASTER];
	c->hb[idx].mult[TT_RT_ROLE_WORKER] = mult[TT_RT_ROLE_WORKER];
	return 0;
}

/*
 * interval_us 0: keep each worker's interval; side/mult: the Detect Mult to
 * change (mult 0: none). Every worker asked for is checked before any is
 * changed.
 */
static int set_hb(struct tt_ctl *c, int64_t worker, uint32_t interval_us, enum tt_rt_role side,
		  uint8_t mult, FILE *out)
{
	uint8_t m[TT_CFG_MAX_WORKERS][TT_RT_ROLE_MAX];
	uint32_t iv[TT_CFG_MAX_WORKERS];
	uint32_t applied = 0;
	uint32_t i;
	int ret;

	if (worker >= 0 && !tt_ctl_known_worker(c, (uint32_t)worker))
		return tt_ctl_unknown_worker(c, (uint32_t)worker, out);
	if (c->topo->rt == NULL)
		return tt_ctl_err_out(out, -ENODEV, "no runtime");
	if (mult != 0 && (side == TT_RT_ROLE_MASTER ? !tt_ctl_has_master(c)
						    : c->topo->mode == TT_ARGS_MODE_MASTER))
		return tt_ctl_err_out(
			out, -ENOENT,
			"no %s session in this process: set the %s's Detect Mult on the %s",
			tt_rt_role_name(side), tt_rt_role_name(side), tt_rt_role_name(side));
	for (i = 0; i < c->n_workers; i++) {
		if (worker >= 0 && (uint32_t)worker != c->worker_ids[i])
			continue;
		iv[i] = interval_us != 0 ? interval_us : c->hb[i].interval_us;
		m[i][TT_RT_ROLE_MASTER] = c->hb[i].mult[TT_RT_ROLE_MASTER];
		m[i][TT_RT_ROLE_WORKER] = c->hb[i].mult[TT_RT_ROLE_WORKER];
		if (mult != 0)
			m[i][side] = mult;
		ret = precheck(c, c->worker_ids[i], iv[i], m[i], out);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < c->n_workers; i++) {
		if (worker >= 0 && (uint32_t)worker != c->worker_ids[i])
			continue;
		ret = set_worker(c, i, iv[i], m[i], out, &applied);
		if (ret < 0)
			return ret;
	}
	fprintf(out,
		"%" PRIu32 " session(s) set; the Poll sequences finish within a few intervals\n",
		applied);
	return 0;
}

int tt_ctl_set_hb_interval(struct tt_ctl *c, uint32_t interval_us, int64_t worker, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, set_hb(c, worker, interval_us, TT_RT_ROLE_MASTER, 0, out));
}

int tt_ctl_set_hb_mult(struct tt_ctl *c, enum tt_rt_role side, uint8_t mult, int64_t worker,
		       FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, set_hb(c, worker, 0, side, mult, out));
}

/*
 * A fault verb that worked: the next wait looks at what happened from the
 * moment it took effect (some of it, e.g. an admin cut's channel-down, is
 * recorded in the same step and may be mirrored already: the time decides,
 * not the position).
 */
static int mark_after(struct tt_ctl *c, int ret)
{
	if (ret == 0) {
		c->wait_cursor = 0;
		c->wait_from_ns = c->last_fault_ns;
	}
	return ret;
}

/* ---- faults -------------------------------------------------------------------------------- */

enum shim_op { SHIM_CUT, SHIM_DROP, SHIM_DUP, SHIM_REORDER, SHIM_DELAY, SHIM_CLEAR };

struct shim_arg {
	uint16_t n;
	uint16_t flow[1 + TT_FENCE_MAX_CHAN];
	enum shim_op op;
	bool cut;
	uint32_t ppm;
	tt_ns_t hold_ns;
	tt_ns_t delay_ns;
	tt_ns_t jitter_ns;
};

/* Polling lcore: read-modify-write each flow's faults, so that drop, dup, reorder and delay
 * combine. */
static int shim_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct shim_arg *a = arg;
	uint16_t i;
	int ret;

	(void)now;
	for (i = 0; i < a->n; i++) {
		struct tt_shim_fault f;

		ret = tt_shim_get(v->shim, a->flow[i], &f);
		if (ret < 0)
			return ret;
		switch (a->op) {
		case SHIM_CUT:
			f.cut = a->cut;
			break;
		case SHIM_DROP:
			f.drop_ppm = a->ppm;
			break;
		case SHIM_DUP:
			f.dup_ppm = a->ppm;
			break;
		case SHIM_REORDER:
			f.reorder_ppm = a->ppm;
			f.reorder_hold_ns = a->ppm != 0 ? a->hold_ns : 0;
			break;
		case SHIM_DELAY:
			f.delay_ns = a->delay_ns;
			f.jitter_ns = a->jitter_ns;
			break;
		case SHIM_CLEAR:
			memset(&f, 0, sizeof(f));
			break;
		}
		ret = tt_shim_set(v->shim, a->flow[i], &f);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * The endpoints whose shims carry a worker's traffic: the master's (its TX
 * to the worker) and the worker's own (its TX to the master), whichever are
 * in this process.
 */
static uint32_t target_eps(const struct tt_ctl *c, uint32_t worker, uint32_t eps[2])
{
	uint32_t n = 0;
	uint32_t wep = tt_topo_worker_ep(c->topo, worker);

	if (tt_ctl_has_master(c))
		eps[n++] = c->topo->master_ep;
	if (wep != TT_TOPO_NO_EP)
		eps[n++] = wep;
	return n;
}

/* Channel selector of the shim helpers: one channel (>= 0), all, or none. */
#define CHAN_ALL  (-1)
#define CHAN_NONE (-2)

/* Build a shim_arg's flows for one endpoint: the heartbeat if hb, and the channels chan selects. */
static int target_flows(const struct tt_ctl *c, uint32_t ep, uint32_t worker, bool hb, int chan,
			struct shim_arg *a)
{
	unsigned int k;
	int f;

	a->n = 0;
	if (hb) {
		f = tt_rt_flow_hb(c->topo->rt, ep, worker);
		if (f < 0)
			return f;
		a->flow[a->n++] = (uint16_t)f;
	}
	for (k = 0; k < c->topo->cfg->chan.count && chan != CHAN_NONE; k++) {
		if (chan >= 0 && (unsigned int)chan != k)
			continue;
		f = tt_rt_flow_chan(c->topo->rt, ep, worker, k);
		if (f < 0)
			return f;
		a->flow[a->n++] = (uint16_t)f;
	}
	return 0;
}

/*
 * Apply one shim operation to a worker's flows in every endpoint of this
 * process that carries them; *done_ns: when it took effect at the first.
 */
static int shim_target(struct tt_ctl *c, uint32_t worker, bool hb, int chan, struct shim_arg *a,
		       tt_ns_t *done_ns, FILE *out)
{
	uint32_t eps[2];
	uint32_t n = target_eps(c, worker, eps);
	uint32_t i;
	int ret;

	if (c->topo->rt == NULL)
		return tt_ctl_err_out(out, -ENODEV, "no runtime");
	for (i = 0; i < n; i++) {
		tt_ns_t done = 0;

		ret = target_flows(c, eps[i], worker, hb, chan, a);
		if (ret == 0)
			ret = tt_ctl_call(c, eps[i], shim_call, a, &done);
		if (ret == 0 && i == 0) {
			/* A verb's fault (not a pause's periodic update, which has no out). */
			if (out != NULL)
				c->last_fault_ns = done;
			if (done_ns != NULL)
				*done_ns = done;
		}
		if (ret < 0)
			return tt_ctl_err_out(out, ret, "%s: fault shim: %s",
					      tt_ctl_ep_name(c, eps[i]), strerror(-ret));
	}
	return 0;
}

static int check_target(struct tt_ctl *c, uint32_t worker, int chan, FILE *out)
{
	if (!tt_ctl_known_worker(c, worker))
		return tt_ctl_unknown_worker(c, worker, out);
	if (chan >= 0 && chan >= (int)c->topo->cfg->chan.count)
		return tt_ctl_err_out(out, -EINVAL,
				      "channel %d: worker %" PRIu32 " has channels 0..%u", chan,
				      worker, c->topo->cfg->chan.count - 1u);
	return 0;
}

static int fault_cut(struct tt_ctl *c, uint32_t worker, uint16_t chan, bool restore, bool admin,
		     FILE *out)
{
	struct shim_arg a = {.op = SHIM_CUT, .cut = !restore};
	tt_ns_t done = 0;
	int ret = check_target(c, worker, chan, out);

	if (ret < 0)
		return ret;
	if (admin) {
		/* The operator cut of the engine, at the master if it is here, else at the worker.
		 */
		struct tt_rt_cmd cmd = {
			.type = restore ? TT_RT_CMD_RESTORE : TT_RT_CMD_CUT,
			.ep = tt_ctl_has_master(c) ? c->topo->master_ep
						   : tt_topo_worker_ep(c->topo, worker),
			.worker_id = worker,
			.chan = chan,
		};

		ret = tt_ctl_exec(c, &cmd);
		if (ret == -EALREADY)
			return tt_ctl_err_out(out, ret, "worker %" PRIu32 " channel %u is %s",
					      worker, chan, restore ? "not cut" : "already cut");
		if (ret < 0)
			return tt_ctl_err_out(out, ret, "admin %s: %s", restore ? "restore" : "cut",
					      strerror(-ret));
		c->last_fault_ns = cmd.done_ns;
		fprintf(out, "worker %" PRIu32 " channel %u: admin %s at t=%.1f us (%s)\n", worker,
			chan, restore ? "restore" : "cut", (double)cmd.done_ns / 1e3,
			tt_ctl_ep_name(c, cmd.ep));
		return 0;
	}
	ret = shim_target(c, worker, false, chan, &a, &done, out);
	if (ret < 0)
		return ret;
	c->last_fault_ns = done;
	fprintf(out, "worker %" PRIu32 " channel %u: %s at t=%.1f us (%s)\n", worker, chan,
		restore ? "restored" : "cut: every packet dropped", (double)done / 1e3,
		tt_ctl_has_master(c) && tt_topo_worker_ep(c->topo, worker) != TT_TOPO_NO_EP
			? "both directions"
			: "this process's direction");
	return 0;
}

int tt_ctl_fault_cut(struct tt_ctl *c, uint32_t worker, uint16_t chan, bool restore, bool admin,
		     FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, mark_after(c, fault_cut(c, worker, chan, restore, admin, out)));
}

static void target_name(const struct tt_ctl_target *t, char *buf, size_t len)
{
	if (t->hb)
		snprintf(buf, len, "worker %" PRIu32 " heartbeat", t->worker_id);
	else
		snprintf(buf, len, "worker %" PRIu32 " channel %u", t->worker_id, t->chan);
}

static int fault_drop(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t ppm, FILE *out)
{
	struct shim_arg a = {.op = SHIM_DROP, .ppm = ppm};
	char name[48];
	int ret = check_target(c, t->worker_id, t->hb ? -1 : t->chan, out);

	if (ret < 0)
		return ret;
	if (ppm > TT_SHIM_PPM_MAX)
		return tt_ctl_err_out(out, -EINVAL, "drop %.4f%%: allowed 0..100", ppm / 1e4);
	ret = shim_target(c, t->worker_id, t->hb, t->hb ? CHAN_NONE : t->chan, &a, NULL, out);
	if (ret < 0)
		return ret;
	target_name(t, name, sizeof(name));
	fprintf(out, "%s: dropping %.4g%% of packets\n", name, ppm / 1e4);
	return 0;
}

int tt_ctl_fault_drop(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t ppm, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, mark_after(c, fault_drop(c, t, ppm, out)));
}

/*
 * A probability fault (dup, reorder) on one target. Percentages over 100 are
 * refused here as well as by the parser: the verb is the contract.
 */
static int fault_ppm(struct tt_ctl *c, const struct tt_ctl_target *t, struct shim_arg *a,
		     const char *what, FILE *out)
{
	char name[48];
	int ret = check_target(c, t->worker_id, t->hb ? -1 : t->chan, out);

	if (ret < 0)
		return ret;
	if (a->ppm > TT_SHIM_PPM_MAX)
		return tt_ctl_err_out(out, -EINVAL, "%s %.4f%%: allowed 0..100", what,
				      a->ppm / 1e4);
	ret = shim_target(c, t->worker_id, t->hb, t->hb ? CHAN_NONE : t->chan, a, NULL, out);
	if (ret < 0)
		return ret;
	target_name(t, name, sizeof(name));
	if (a->op == SHIM_DUP)
		fprintf(out, "%s: duplicating %.4g%% of packets\n", name, a->ppm / 1e4);
	else
		fprintf(out,
			"%s: holding %.4g%% of packets behind the next one (at most %" PRIu64
			" us)\n",
			name, a->ppm / 1e4, (uint64_t)(a->hold_ns / TT_NS_PER_US));
	return 0;
}

int tt_ctl_fault_dup(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t ppm, FILE *out)
{
	struct shim_arg a = {.op = SHIM_DUP, .ppm = ppm};

	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, mark_after(c, fault_ppm(c, t, &a, "dup", out)));
}

int tt_ctl_fault_reorder(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t ppm,
			 uint32_t hold_us, FILE *out)
{
	struct shim_arg a = {.op = SHIM_REORDER, .ppm = ppm, .hold_ns = tt_us_to_ns(hold_us)};

	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, mark_after(c, fault_ppm(c, t, &a, "reorder", out)));
}

static int fault_delay(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t delay_us,
		       uint32_t jitter_us, FILE *out)
{
	struct shim_arg a = {
		.op = SHIM_DELAY,
		.delay_ns = tt_us_to_ns(delay_us),
		.jitter_ns = tt_us_to_ns(jitter_us),
	};
	char name[48];
	int ret = check_target(c, t->worker_id, t->hb ? -1 : t->chan, out);

	if (ret < 0)
		return ret;
	ret = shim_target(c, t->worker_id, t->hb, t->hb ? CHAN_NONE : t->chan, &a, NULL, out);
	if (ret < 0)
		return ret;
	target_name(t, name, sizeof(name));
	fprintf(out, "%s: delay %" PRIu32 " us + jitter up to %" PRIu32 " us\n", name, delay_us,
		jitter_us);
	return 0;
}

int tt_ctl_fault_delay(struct tt_ctl *c, const struct tt_ctl_target *t, uint32_t delay_us,
		       uint32_t jitter_us, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, mark_after(c, fault_delay(c, t, delay_us, jitter_us, out)));
}

static int fault_clear(struct tt_ctl *c, uint32_t worker, FILE *out)
{
	struct shim_arg a = {.op = SHIM_CLEAR};
	int ret = check_target(c, worker, -1, out);

	if (ret < 0)
		return ret;
	ret = shim_target(c, worker, true, CHAN_ALL, &a, NULL, out);
	if (ret < 0)
		return ret;
	fprintf(out, "worker %" PRIu32 ": every shim fault cleared\n", worker);
	return 0;
}

int tt_ctl_fault_clear(struct tt_ctl *c, uint32_t worker, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, mark_after(c, fault_clear(c, worker, out)));
}

/* Polling lcore of a worker process: sleep, as a stopped process would. */
static int pause_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	(void)v;
	(void)now;
	rte_delay_us_sleep(*(const uint32_t *)arg * 1000u);
	return 0;
}

/* Hold every flow of a worker hold_ns (0: release) in every endpoint carrying it. */
int tt_ctl_pause_hold(struct tt_ctl *c, uint32_t worker, tt_ns_t hold_ns, tt_ns_t *done_ns,
		      FILE *out)
{
	struct shim_arg a = {.op = SHIM_DELAY, .delay_ns = hold_ns};

	return shim_target(c, worker, true, CHAN_ALL, &a, done_ns, out);
}

static int fault_pause(struct tt_ctl *c, uint32_t worker, uint32_t ms, FILE *out)
{
	uint32_t wep = tt_topo_worker_ep(c->topo, worker);
	tt_ns_t done = 0;
	uint32_t i;
	int ret;

	if (wep == TT_TOPO_NO_EP)
		return tt_ctl_err_out(out, -ENOENT,
				      "worker %" PRIu32
				      " does not run in this process: pause the worker's "
				      "own tether-pmd (or SIGSTOP it)",
				      worker);
	if (c->topo->mode == TT_ARGS_MODE_WORKER) {
		fprintf(out, "worker %" PRIu32 ": polling lcore paused for %" PRIu32 " ms\n",
			worker, ms);
		fflush(out);
		ret = tt_ctl_call(c, wep, pause_call, &ms, NULL);
		if (ret < 0)
			return tt_ctl_err_out(out, ret, "pause: %s", strerror(-ret));
		fprintf(out, "worker %" PRIu32 ": awake\n", worker);
		return 0;
	}
	/* In-process: hold both directions of every flow of the worker until the end. */
	ret = tt_ctl_pause_hold(c, worker, (tt_ns_t)ms * TT_NS_PER_MS, &done, out);
	if (ret < 0)
		return ret;
	for (i = 0; i < TT_RT_MAX_EPS && c->pause[i].on && c->pause[i].worker != worker; i++)
		;
	if (i == TT_RT_MAX_EPS)
		return tt_ctl_err_out(out, -ENOSPC, "%d pauses running already", TT_RT_MAX_EPS);
	c->last_fault_ns = done;
	c->pause[i].on = true;
	c->pause[i].worker = worker;
	c->pause[i].until_ns = done + (tt_ns_t)ms * TT_NS_PER_MS;
	fprintf(out,
		"worker %" PRIu32 ": links frozen for %" PRIu32
		" ms at t=%.1f us (its packets, both "
		"ways, are held until then)\n",
		worker, ms, (double)done / 1e3);
	return 0;
}

int tt_ctl_fault_pause(struct tt_ctl *c, uint32_t worker, uint32_t ms, FILE *out)
{
	TT_CTL_VERB_BEGIN(c);
	TT_CTL_VERB_END(c, mark_after(c, fault_pause(c, worker, ms, out)));
}
