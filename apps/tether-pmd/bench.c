/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The system benchmarks of `--bench` (see bench.h). Faults and waits go
 * through the control module's verbs, as a user's commands would; the task
 * load of fp/tput/rtt goes through CALL commands of the runtime (the "pump")
 * because the control module's load generator tracks every task it submits
 * on the control side and tops up every few milliseconds only, far below
 * what the data path carries.
 *
 * Every time comes from the polling lcore's clock: the timeline events of
 * the endpoints, the scheduler's per-task times, the instant a fault took
 * effect. How fast the control thread notices them changes how long a run
 * lasts, never a figure.
 */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "dc_wire.h"
#include "exit_codes.h"
#include "runtime.h"
#include "task_msg.h"
#include "topo.h"

#define LIVE_TIMEOUT_MS	 10000
#define WINDOW_NS	 (100 * TT_NS_PER_MS) /* throughput sample window */
#define WARMUP_MS	 300
#define SAT_PROBE_MS	 1000  /* rtt: closed-loop saturation probe before the open loop */
#define CUT_SPIN_US	 20000 /* cut: each background task holds its worker this long */
#define CUT_TASK_BYTES	 64
#define CUT_MAX_STUCK	 10	    /* cut: consecutive victims never live: give up */
#define PUMP_RING	 (1u << 16) /* task ids the pump tracks; a power of two */
#define PUMP_SCAN_MAX	 1024	    /* tasks looked at per CALL */
#define PUMP_MISS_MAX	 32	    /* unfinished tasks a CALL steps over before it stops */
#define PUMP_BATCH_MAX	 256	    /* tasks submitted per CALL (as TT_CTL_SUBMIT_BATCH) */
#define PUMP_HANDLER	 "echo"
#define L2L3L4_HDR_BYTES (14 + 20 + 8) /* Ethernet, IPv4, UDP */
#define IP_UDP_HDR_BYTES (20 + 8)

static const char *const kind_names[] = {
#define TT_X(name, str) str,
	TT_BENCH_KINDS(TT_X)
#undef TT_X
};

const char *tt_bench_kind_name(unsigned int kind)
{
	return kind < TT_BENCH_KIND_MAX ? kind_names[kind] : "?";
}

/* ---- spec ---------------------------------------------------------------------------------- */

/* Keys and the kinds that use them (bit per kind). */
#define K_CUT  (1u << TT_BENCH_CUT)
#define K_LOAD ((1u << TT_BENCH_FP) | (1u << TT_BENCH_TPUT) | (1u << TT_BENCH_RTT))

static const struct {
	const char *key;
	unsigned int kinds;
	uint64_t min;
	uint64_t max;
} spec_keys[] = {
	{"count", K_CUT, 1, 10000000},
	{"mode", K_CUT, 0, 0},
	{"tasks", K_CUT, 0, 1000000},
	{"timeout_ms", K_CUT, 1, 600000},
	{"seconds", K_LOAD, 0, 0},
	{"size", K_LOAD, 1, TT_TMSG_MAX_LEN},
	{"inflight", K_LOAD, 0, PUMP_RING - PUMP_BATCH_MAX},
	{"load", 1u << TT_BENCH_RTT, 0, 100},
};

static int spec_fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int spec_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;

	if (v[0] < '0' || v[0] > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

/* One KEY=VALUE of a spec of kind `kind`. */
static int spec_key(struct tt_bench_spec *s, const char *key, const char *val, char *err,
		    size_t err_len)
{
	size_t i;
	uint64_t u = 0;

	for (i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++)
		if (strcmp(key, spec_keys[i].key) == 0)
			break;
	if (i == sizeof(spec_keys) / sizeof(spec_keys[0]))
		return spec_fail(
			err, err_len,
			"--bench: unknown key '%s' (keys: count, mode, tasks, timeout_ms "
			"for cut; seconds, size, inflight for fp, tput, rtt; load for rtt)",
			key);
	if (!(spec_keys[i].kinds & (1u << s->kind)))
		return spec_fail(err, err_len, "--bench %s: key '%s' is not used by this kind",
				 tt_bench_kind_name(s->kind), key);
	if (strcmp(key, "mode") == 0) {
		if (strcmp(val, "shim") != 0 && strcmp(val, "admin") != 0)
			return spec_fail(
				err, err_len,
				"--bench cut: mode=%s: allowed shim (the fault shim drops "
				"the channel's packets) or admin (the engine's operator cut)",
				val);
		s->admin = strcmp(val, "admin") == 0;
		return 0;
	}
	if (strcmp(key, "seconds") == 0) {
		char *end;
		double d;

		errno = 0;
		d = strtod(val, &end);
		if (errno != 0 || end == val || *end != '\0' || !(d >= 0.1 && d <= 3600.0))
			return spec_fail(err, err_len,
					 "--bench: seconds=%s: a number of seconds, 0.1..3600",
					 val);
		s->duration_ms = (uint32_t)lround(d * 1000.0);
		return 0;
	}
	if (parse_u64(val, &u) != 0 || u < spec_keys[i].min || u > spec_keys[i].max)
		return spec_fail(err, err_len, "--bench: %s=%s: an integer, %" PRIu64 "..%" PRIu64,
				 key, val, spec_keys[i].min, spec_keys[i].max);
	if (strcmp(key, "count") == 0)
		s->count = (uint32_t)u;
	else if (strcmp(key, "tasks") == 0)
		s->tasks = (uint32_t)u;
	else if (strcmp(key, "timeout_ms") == 0)
		s->timeout_ms = (uint32_t)u;
	else if (strcmp(key, "size") == 0)
		s->size = (uint32_t)u;
	else if (strcmp(key, "inflight") == 0)
		s->inflight = (uint32_t)u;
	else
		s->load_pct = (uint32_t)u;
	return 0;
}

int tt_bench_spec_parse(const char *spec, struct tt_bench_spec *out, char *err, size_t err_len)
{
	char buf[256];
	char *save = NULL;
	char *tok;
	unsigned int k;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->count = 1000;
	out->tasks = 200;
	out->timeout_ms = 5000;
	out->duration_ms = 5000;
	out->size = 64;
	out->inflight = 512;
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return spec_fail(err, err_len, "--bench: the spec is longer than %zu characters",
				 sizeof(buf) - 1);
	tok = strtok_r(buf, ",", &save);
	for (k = 0; tok != NULL && k < TT_BENCH_KIND_MAX; k++)
		if (strcmp(tok, kind_names[k]) == 0)
			break;
	if (tok == NULL || k == TT_BENCH_KIND_MAX)
		return spec_fail(err, err_len,
				 "--bench '%s': the spec starts with a kind: cut, fp, tput or rtt "
				 "(e.g. --bench cut,count=1000)",
				 spec);
	out->kind = (enum tt_bench_kind)k;
	while (ret == 0 && (tok = strtok_r(NULL, ",", &save)) != NULL) {
		char *eq = strchr(tok, '=');

		if (eq == NULL || eq == tok || eq[1] == '\0')
			return spec_fail(err, err_len, "--bench: '%s' is not KEY=VALUE", tok);
		*eq = '\0';
		ret = spec_key(out, tok, eq + 1, err, err_len);
	}
	return ret;
}

/* ---- statistics and output ----------------------------------------------------------------- */

/* Samples of one figure, in the unit it is printed in. */
struct series {
	double *v;
	size_t n;
	size_t cap;
};

static void series_add(struct series *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap != 0 ? 2 * s->cap : 1024;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return; /* out of memory: the sample is lost, the count shows it */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static void series_free(struct series *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the ceil(p n)-th smallest of the n sorted samples (as perf/bench_util.c). */
static double rank(const struct series *s, double p)
{
	size_t r = (size_t)ceil(p * (double)s->n);

	return s->v[r > 0 ? r - 1 : 0];
}

static void print_dist(FILE *out, const char *name, const char *unit, struct series *s)
{
	double sum = 0;
	size_t i;

	if (s->n == 0) {
		fprintf(out, "# %s: no sample\n", name);
		return;
	}
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_double);
	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	fprintf(out,
		"RESULT name=%-22s unit=%-4s p50=%-10.3f p99=%-10.3f p999=%-10.3f max=%-10.3f "
		"mean=%-10.3f samples=%zu\n",
		name, unit, rank(s, 0.5), rank(s, 0.99), rank(s, 0.999), s->v[s->n - 1],
		sum / (double)s->n, s->n);
}

static void print_value(FILE *out, const char *name, const char *unit, double v)
{
	fprintf(out, "RESULT name=%-22s unit=%-4s value=%.6g\n", name, unit, v);
}

/* ---- the run ------------------------------------------------------------------------------- */

/* Verb output goes to a memory stream, shown (as comments) only when the verb failed. */
struct quiet {
	char *buf;
	size_t len;
	FILE *f;
};

struct bench {
	struct tt_ctl *ctl;
	struct tt_topo *topo;
	const struct tt_app_config *cfg;
	const struct tt_bench_spec *spec;
	FILE *out;
	struct quiet q;
};

static int verb(struct bench *b, int ret)
{
	fflush(b->q.f);
	if (ret < 0 && b->q.len > 0)
		fprintf(b->out, "# %.*s", (int)b->q.len, b->q.buf);
	rewind(b->q.f);
	b->q.len = 0;
	return ret;
}

static double us(tt_ns_t ns)
{
	return (double)ns / 1e3;
}

static int exec_call(struct bench *b, uint32_t ep, tt_rt_call_fn fn, void *arg)
{
	struct tt_rt_cmd cmd = {.type = TT_RT_CMD_CALL, .ep = ep, .fn = fn, .arg = arg};

	if (b->topo->rt == NULL)
		return -ENODEV;
	return tt_rt_cmd_exec(b->topo->rt, &cmd);
}

/* ---- lcore and port counters --------------------------------------------------------------- */

struct lcore_mark {
	struct tt_rt_lcore_stats ls;
	uint64_t tx_frames;
};

static void lcore_mark(struct bench *b, struct lcore_mark *m)
{
	uint32_t ep;

	memset(m, 0, sizeof(*m));
	tt_rt_lcore_stats(b->topo->rt, &m->ls);
	for (ep = 0; ep < b->topo->n_eps; ep++) {
		struct tt_rt_port_stats ps;
		uint16_t p;

		for (p = 0; tt_rt_port_stats(b->topo->rt, ep, p, &ps) == 0; p++)
			m->tx_frames += ps.ctr[TT_RT_PC_TX_PKTS];
	}
}

/* Upper bound of a lateness bucket, µs (runtime.h: bucket 0 < 1 µs, k < 2^k µs). */
static double late_bucket_us(unsigned int k)
{
	return ldexp(1.0, (int)k);
}

/*
 * Loop utilisation and timer lateness between two marks, as RESULT lines
 * `prefix.*`: util and late_p99_le (an upper bound: the lateness histogram
 * has power-of-two buckets) over the measured period; late_max and pass_max
 * since the runtime started (the runtime keeps only those maxima).
 */
static void print_lcore(struct bench *b, const char *prefix, const struct lcore_mark *a,
			const struct lcore_mark *z)
{
	uint64_t total = z->ls.total_ns - a->ls.total_ns;
	uint64_t busy = z->ls.busy_ns - a->ls.busy_ns;
	uint64_t n = 0;
	uint64_t acc = 0;
	double p99 = 0;
	unsigned int k;
	char name[64];

	for (k = 0; k < TT_RT_LATE_BUCKETS; k++)
		n += z->ls.late_hist[k] - a->ls.late_hist[k];
	for (k = 0; k < TT_RT_LATE_BUCKETS && n > 0; k++) {
		acc += z->ls.late_hist[k] - a->ls.late_hist[k];
		if ((double)acc >= 0.99 * (double)n) {
			p99 = late_bucket_us(k);
			break;
		}
	}
	snprintf(name, sizeof(name), "%s.util", prefix);
	print_value(b->out, name, "pct", total > 0 ? 100.0 * (double)busy / (double)total : 0);
	snprintf(name, sizeof(name), "%s.late_p99_le", prefix);
	print_value(b->out, name, "us", p99);
	snprintf(name, sizeof(name), "%s.late_max", prefix);
	print_value(b->out, name, "us", (double)z->ls.late_max_ns / 1e3);
	snprintf(name, sizeof(name), "%s.pass_max", prefix);
	print_value(b->out, name, "us", (double)z->ls.pass_max_ns / 1e3);
}

/* ---- the pump: a task load driven by CALLs on the master ----------------------------------- */

struct pump {
	uint64_t *ids; /* ring of submitted, unreleased task ids; 0: released */
	uint32_t head;
	uint32_t tail;
	const uint8_t *payload;
	uint32_t size;
	/* in, per CALL */
	uint32_t to_submit;
	/* out, per CALL */
	uint32_t submitted;
	int submit_err;
	uint32_t n_rtt;
	tt_ns_t rtt_ns[PUMP_SCAN_MAX];
	/* totals */
	uint64_t ok;
	uint64_t failed; /* committed with a status other than ok, or cancelled */
	uint64_t vanished;
	uint64_t refused;
};

static uint32_t pump_inflight(const struct pump *p)
{
	return p->tail - p->head;
}

/*
 * Polling lcore: release the finished tasks near the head of the ring
 * (scanning stops after PUMP_MISS_MAX unfinished ones, so a CALL costs
 * O(finished), not O(in flight)), keep their ASSIGN->RESULT times, then
 * submit to_submit new ones.
 */
static int pump_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct pump *p = arg;
	const struct tt_sched *s = tt_master_sched(v->master);
	uint32_t scanned = 0;
	uint32_t misses = 0;
	uint32_t i;

	p->n_rtt = 0;
	p->submitted = 0;
	p->submit_err = 0;
	for (i = p->head; i != p->tail && scanned < PUMP_SCAN_MAX && misses < PUMP_MISS_MAX;
	     i++, scanned++) {
		uint64_t *slot = &p->ids[i & (PUMP_RING - 1)];
		struct tt_sched_task_info ti;

		if (*slot == 0)
			continue;
		if (tt_sched_task(s, *slot, &ti) != 0) {
			p->vanished++;
			*slot = 0;
			continue;
		}
		if (ti.state != TT_SCHED_S_COMMITTED && ti.state != TT_SCHED_S_CANCELLED) {
			misses++;
			continue;
		}
		if (ti.state == TT_SCHED_S_COMMITTED && ti.status == TT_TMSG_ST_OK) {
			p->ok++;
			p->rtt_ns[p->n_rtt++] = ti.end_ns - ti.last_assign_ns;
		} else {
			p->failed++;
		}
		tt_master_release(v->master, *slot);
		*slot = 0;
	}
	while (p->head != p->tail && p->ids[p->head & (PUMP_RING - 1)] == 0)
		p->head++;
	while (p->submitted < p->to_submit && pump_inflight(p) < PUMP_RING) {
		uint64_t id;
		int rc = tt_master_submit(v->master, PUMP_HANDLER, p->payload, p->size, now, &id);

		if (rc != 0) {
			p->submit_err = rc;
			p->refused++;
			break;
		}
		p->ids[p->tail++ & (PUMP_RING - 1)] = id;
		p->submitted++;
	}
	return 0;
}

/* What one pumping period does: a closed loop (target) or an open loop (rate). */
struct pump_plan {
	uint32_t ms;
	uint32_t target;	/* closed loop: tasks kept in the system */
	double rate;		/* open loop: tasks per second */
	struct series *rtt;	/* ASSIGN->RESULT µs, or NULL */
	struct series *windows; /* tasks/s per WINDOW_NS, or NULL */
	/* out */
	uint64_t done;
	uint64_t offered;
	tt_ns_t elapsed_ns;
};

static int pump_run(struct bench *b, struct pump *p, struct pump_plan *plan)
{
	tt_ns_t t0 = tt_topo_now(b->topo);
	tt_ns_t end = t0 + (tt_ns_t)plan->ms * TT_NS_PER_MS;
	tt_ns_t win_start = t0;
	uint64_t ok0 = p->ok;
	uint64_t win_ok = p->ok;
	uint64_t offered = 0;
	tt_ns_t now = t0;

	while (!tt_time_reached(now, end)) {
		uint32_t in = pump_inflight(p);
		uint32_t want = 0;
		uint32_t i;
		int ret;

		if (tt_ctl_quit_requested(b->ctl))
			return -EINTR;
		if (plan->rate > 0) {
			double due = plan->rate * (double)(now - t0) / 1e9 - (double)offered;

			uint32_t room = in < PUMP_RING - PUMP_BATCH_MAX
						? PUMP_RING - PUMP_BATCH_MAX - in
						: 0;

			want = due > 0 ? (uint32_t)fmin(due, PUMP_BATCH_MAX) : 0;
			/* What does not fit is offered all the same: the open loop keeps its pace.
			 */
			offered += want;
			if (want > room)
				want = room;
		} else if (plan->target > in) {
			want = plan->target - in;
			if (want > PUMP_BATCH_MAX)
				want = PUMP_BATCH_MAX;
		}
		p->to_submit = want;
		ret = exec_call(b, b->topo->master_ep, pump_call, p);
		if (ret < 0)
			return ret;
		if (plan->rate <= 0)
			offered += p->submitted;
		if (plan->rtt != NULL)
			for (i = 0; i < p->n_rtt; i++)
				series_add(plan->rtt, us(p->rtt_ns[i]));
		now = tt_topo_now(b->topo);
		if (tt_time_reached(now, win_start + WINDOW_NS)) {
			if (plan->windows != NULL)
				series_add(plan->windows, (double)(p->ok - win_ok) * 1e9 /
								  (double)(now - win_start));
			win_ok = p->ok;
			win_start = now;
		}
	}
	plan->done = p->ok - ok0;
	plan->offered = offered;
	plan->elapsed_ns = now - t0;
	return 0;
}

static int pump_init(struct pump *p, uint32_t size)
{
	uint8_t *payload;
	uint32_t i;

	memset(p, 0, sizeof(*p));
	p->ids = calloc(PUMP_RING, sizeof(*p->ids));
	payload = malloc(size);
	if (p->ids == NULL || payload == NULL) {
		free(p->ids);
		free(payload);
		return -ENOMEM;
	}
	for (i = 0; i < size; i++)
		payload[i] = (uint8_t)(i * 31u + 7u);
	p->payload = payload;
	p->size = size;
	return 0;
}

/* The payload is shared by every task: free it only once none is left in the scheduler. */
static void pump_fini(struct pump *p)
{
	free((void *)(uintptr_t)p->payload);
	free(p->ids);
}

/* Stop submitting and release what is left (so that the payload may go). */
static void pump_drain(struct bench *b, struct pump *p)
{
	uint64_t end = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

	p->to_submit = 0;
	while (pump_inflight(p) > 0 && rte_get_timer_cycles() < end)
		if (exec_call(b, b->topo->master_ep, pump_call, p) < 0)
			break;
}

static void print_pump_totals(struct bench *b, const char *prefix, const struct pump *p)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.failed_tasks", prefix);
	print_value(b->out, name, "n", (double)(p->failed + p->vanished));
	snprintf(name, sizeof(name), "%s.refused", prefix);
	print_value(b->out, name, "n", (double)p->refused);
}

/* Check the pump's task fits the channels and the workers' result limit. */
static int check_size(struct bench *b)
{
	uint32_t s = b->spec->size;
	uint32_t assign = TT_TMSG_ASSIGN_HDR_LEN + (uint32_t)strlen(PUMP_HANDLER) + s;
	uint32_t result = TT_TMSG_RESULT_HDR_LEN + s;
	uint32_t maxmsg = b->cfg->chan.max_msg_bytes;

	if (assign > maxmsg || result > maxmsg || s > b->cfg->tasks.max_result_bytes) {
		fprintf(b->out,
			"# error: --bench size=%" PRIu32 ": an echo task carries it both ways: "
			"ASSIGN %" PRIu32 " and RESULT %" PRIu32 " bytes must fit [channels] "
			"max_msg_bytes = %" PRIu32
			", and the size [tasks] max_result_bytes = %" PRIu32 " (%s)\n",
			s, assign, result, maxmsg, b->cfg->tasks.max_result_bytes, b->cfg->source);
		return -EINVAL;
	}
	if (b->spec->inflight > b->cfg->tasks.max_tasks) {
		fprintf(b->out,
			"# error: --bench inflight=%" PRIu32 ": above [tasks] max_tasks = %" PRIu32
			" (%s)\n",
			b->spec->inflight, b->cfg->tasks.max_tasks, b->cfg->source);
		return -EINVAL;
	}
	return 0;
}

/* Segments and wire bytes (Ethernet frames) of one data-channel message of m bytes. */
static void msg_wire(const struct bench *b, uint32_t m, uint32_t *segs, uint64_t *bytes)
{
	uint32_t seg = b->cfg->port.mtu - IP_UDP_HDR_BYTES - TT_DCW_HDR_LEN;

	*segs = m == 0 ? 1 : (m + seg - 1) / seg;
	*bytes = (uint64_t)m + (uint64_t)*segs * (L2L3L4_HDR_BYTES + TT_DCW_HDR_LEN);
}

/* ---- fp: heartbeat false positives under load ---------------------------------------------- */

/*
 * Failure-detection counters of every endpoint of the process, summed: the
 * workers' fences, the master's WORKER_DEADs and the channels' DOWNs. They
 * only grow (the objects live as long as the runtime; a session's own
 * counters do not: a re-join starts it afresh), so the difference of two
 * snapshots is what happened in between.
 */
struct health {
	uint64_t fences;		 /* worker endpoints: fences */
	uint64_t stale_hb;		 /* worker endpoints: heartbeats dropped after a stall */
	uint64_t dead;			 /* master: workers declared dead */
	uint64_t down[TT_DC_DOWN_COUNT]; /* channel DOWNs by reason, both ends */
};

struct health_arg {
	const struct tt_app_config *cfg;
	struct health *h;
};

static void add_chan(struct health *h, const struct tt_dc *dc)
{
	unsigned int r;

	if (dc == NULL)
		return;
	for (r = 0; r < TT_DC_DOWN_COUNT; r++)
		h->down[r] += tt_dc_counters(dc)->down_by_reason[r];
}

/* Polling lcore: add one endpoint's counters. */
static int health_call(const struct tt_rt_ep_view *v, tt_ns_t now, void *arg)
{
	struct health_arg *a = arg;
	unsigned int c;
	uint32_t i;

	(void)now;
	if (v->master != NULL) {
		for (i = 0; i < a->cfg->n_workers; i++) {
			uint32_t id = a->cfg->workers[i].worker_id;

			for (c = 0; c < a->cfg->chan.count; c++)
				add_chan(a->h, tt_master_dc(v->master, id, c));
		}
		a->h->dead += tt_master_counters(v->master)->workers_dead;
		return 0;
	}
	for (c = 0; c < a->cfg->chan.count; c++)
		add_chan(a->h, tt_worker_dc(v->worker, c));
	a->h->fences += tt_worker_counters(v->worker)->fences;
	a->h->stale_hb += tt_worker_counters(v->worker)->hb_rx_after_stall;
	return 0;
}

static int health_read(struct bench *b, struct health *h)
{
	struct health_arg a = {.cfg = b->cfg, .h = h};
	uint32_t ep;
	int ret;

	memset(h, 0, sizeof(*h));
	for (ep = 0; ep < b->topo->n_eps; ep++) {
		ret = exec_call(b, ep, health_call, &a);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * What the failure detection did between two snapshots: `prefix.fences`,
 * `.dead` and `.down.<reason>` for each channel-down reason
 * seen (the first cause of a false positive: probe-timeout, retx-exhausted;
 * the others follow from a fence).
 */
static void print_health(struct bench *b, const char *prefix, const struct health *a,
			 const struct health *z)
{
	char name[64];
	unsigned int r;

	snprintf(name, sizeof(name), "%s.fences", prefix);
	print_value(b->out, name, "n", (double)(z->fences - a->fences));
	snprintf(name, sizeof(name), "%s.dead", prefix);
	print_value(b->out, name, "n", (double)(z->dead - a->dead));
	/*
	 * A worker whose pass came more than g after its deadline drops the
	 * heartbeats of that pass (engine/worker.h "Waking up"): with g below
	 * the loop's pass time under load, that alone starves the session.
	 */
	snprintf(name, sizeof(name), "%s.stale_hb", prefix);
	print_value(b->out, name, "n", (double)(z->stale_hb - a->stale_hb));
	for (r = 1; r < TT_DC_DOWN_COUNT; r++) {
		const char *rn = tt_dc_down_reason_name(r);
		char word[32];
		size_t k;

		if (z->down[r] == a->down[r])
			continue;
		/* Figure names are [a-z0-9_.]: "probe-timeout" -> "probe_timeout". */
		for (k = 0; rn[k] != '\0' && k + 1 < sizeof(word); k++)
			word[k] = rn[k] == '-' ? '_' : rn[k];
		word[k] = '\0';
		snprintf(name, sizeof(name), "%s.down.%s", prefix, word);
		print_value(b->out, name, "n", (double)(z->down[r] - a->down[r]));
	}
}

static int wait_live(struct bench *b)
{
	return verb(b, tt_ctl_wait_live(b->ctl, LIVE_TIMEOUT_MS, b->q.f));
}

/* Health and lcore figures at both ends of a measured run. */
struct measured {
	struct health h0, h1;
	struct lcore_mark m0, m1;
};

/*
 * The shape every load benchmark shares: the load runs for the plan's
 * warm-up (plan->ms) before anything is counted, then for duration_ms with
 * @p rtt and @p windows filled (either may be NULL), marked at both ends;
 * then the pump is drained and finished. 0 or the first error.
 */
static int pump_measure(struct bench *b, struct pump *p, struct pump_plan *plan,
			struct series *rtt, struct series *windows, struct measured *m)
{
	int ret = pump_run(b, p, plan);

	if (ret == 0)
		ret = health_read(b, &m->h0);
	lcore_mark(b, &m->m0);
	plan->ms = b->spec->duration_ms;
	plan->rtt = rtt;
	plan->windows = windows;
	if (ret == 0)
		ret = pump_run(b, p, plan);
	if (ret == 0)
		ret = health_read(b, &m->h1);
	lcore_mark(b, &m->m1);
	pump_drain(b, p);
	pump_fini(p);
	return ret;
}

static int run_fp(struct bench *b)
{
	struct pump p;
	struct measured m;
	struct pump_plan plan = {.ms = WARMUP_MS, .target = b->spec->inflight};
	double intervals;
	uint64_t fp;

	if (check_size(b) < 0)
		return TT_EXIT_USAGE;
	/* Sessions that never settle are what this counts: measure them all the same. */
	if (wait_live(b) < 0)
		fprintf(b->out, "# warning: not every worker live at the start\n");
	if (pump_init(&p, b->spec->size) < 0)
		return TT_EXIT_RUNTIME;
	fprintf(b->out,
		"# fp: %" PRIu32 " workers, heartbeat every %" PRIu32
		" us (T2 %.0f us, T1 %.0f us, probe timeout %" PRIu32 " us), %" PRIu32
		" echo tasks of %" PRIu32 " bytes in flight, %.1f s\n",
		b->cfg->n_workers, b->cfg->hb.interval_us, us(b->cfg->policy.t2_ns),
		us(b->cfg->policy.t1_ns), b->cfg->chan.probe_timeout_us, b->spec->inflight,
		b->spec->size, b->spec->duration_ms / 1e3);
	/* The load starts before the count: the first windows fill the pipes. */
	if (pump_measure(b, &p, &plan, NULL, NULL, &m) < 0)
		return TT_EXIT_RUNTIME;
	/*
	 * A false positive: a worker lost with no fault injected, i.e. a fence
	 * (its session left Up: timed out, or told Down by a master that timed
	 * out or was silenced by a channel that went down under load). Counted
	 * per worker session and heartbeat interval.
	 */
	fp = m.h1.fences - m.h0.fences;
	intervals = (double)b->cfg->n_workers * (double)plan.elapsed_ns /
		    (double)tt_us_to_ns(b->cfg->hb.interval_us);
	print_value(b->out, "fp.interval", "us", b->cfg->hb.interval_us);
	print_value(b->out, "fp.session_intervals", "n", intervals);
	print_value(b->out, "fp.false_positives", "n", (double)fp);
	print_value(b->out, "fp.per_1e6", "n", intervals > 0 ? (double)fp * 1e6 / intervals : 0);
	print_health(b, "fp", &m.h0, &m.h1);
	print_value(b->out, "fp.tasks_per_s", "1/s",
		    (double)plan.done * 1e9 / (double)plan.elapsed_ns);
	print_lcore(b, "fp", &m.m0, &m.m1);
	print_pump_totals(b, "fp", &p);
	return TT_EXIT_OK;
}

/* ---- tput: data throughput ----------------------------------------------------------------- */

static int run_tput(struct bench *b)
{
	struct series windows = {0};
	struct series rtt = {0};
	struct measured m;
	struct pump p;
	struct pump_plan plan = {.ms = WARMUP_MS, .target = b->spec->inflight};
	uint32_t size = b->spec->size;
	uint32_t seg_a, seg_r;
	uint64_t wire_a, wire_r;
	uint32_t seg = b->cfg->port.mtu - IP_UDP_HDR_BYTES - TT_DCW_HDR_LEN;
	uint32_t m_a = TT_TMSG_ASSIGN_HDR_LEN + (uint32_t)strlen(PUMP_HANDLER) + size;
	double tasks_s;
	double secs;
	int ret;

	if (check_size(b) < 0)
		return TT_EXIT_USAGE;
	if (b->spec->inflight == 0) {
		fprintf(b->out, "# error: --bench tput needs inflight=1 or more\n");
		return TT_EXIT_USAGE;
	}
	if (wait_live(b) < 0 || pump_init(&p, size) < 0)
		return TT_EXIT_RUNTIME;
	msg_wire(b, m_a, &seg_a, &wire_a);
	msg_wire(b, TT_TMSG_RESULT_HDR_LEN + size, &seg_r, &wire_r);
	fprintf(b->out,
		"# tput: %" PRIu32 " worker(s) x %u channels, echo tasks of %" PRIu32
		" bytes (ASSIGN %" PRIu32 " + RESULT %" PRIu32 " segments of <= %" PRIu32
		" bytes), %" PRIu32 " in flight, %.1f s\n",
		b->cfg->n_workers, b->cfg->chan.count, size, seg_a, seg_r, seg, b->spec->inflight,
		b->spec->duration_ms / 1e3);
	ret = pump_measure(b, &p, &plan, &rtt, &windows, &m);
	if (ret < 0) {
		series_free(&windows);
		series_free(&rtt);
		return TT_EXIT_RUNTIME;
	}
	secs = (double)plan.elapsed_ns / 1e9;
	tasks_s = (double)plan.done / secs;
	print_dist(b->out, "tput.tasks_per_s", "1/s", &windows);
	print_value(b->out, "tput.size", "B", size);
	print_value(b->out, "tput.msgs_per_s", "1/s", 2 * tasks_s);
	print_value(b->out, "tput.goodput_gbps", "Gb/s", 2 * tasks_s * size * 8 / 1e9);
	print_value(b->out, "tput.wire_gbps", "Gb/s",
		    tasks_s * (double)(wire_a + wire_r) * 8 / 1e9);
	print_value(b->out, "tput.data_frames_per_s", "1/s", tasks_s * (seg_a + seg_r));
	print_value(b->out, "tput.frames_per_s", "1/s",
		    (double)(m.m1.tx_frames - m.m0.tx_frames) / secs);
	/* The frame a testpmd comparison should forward: the ASSIGN's first (full) segment. */
	print_value(b->out, "tput.frame_bytes", "B",
		    L2L3L4_HDR_BYTES + TT_DCW_HDR_LEN + (m_a < seg ? m_a : seg));
	print_dist(b->out, "tput.rtt", "us", &rtt);
	print_lcore(b, "tput", &m.m0, &m.m1);
	print_health(b, "tput", &m.h0, &m.h1);
	print_pump_totals(b, "tput", &p);
	series_free(&windows);
	series_free(&rtt);
	return TT_EXIT_OK;
}

/* ---- rtt: ASSIGN->RESULT round trip -------------------------------------------------------- */

static int run_rtt(struct bench *b)
{
	struct series rtt = {0};
	struct measured m;
	struct pump p;
	struct pump_plan plan = {.ms = WARMUP_MS, .target = 1};
	double sat = 0;
	int ret;

	if (check_size(b) < 0)
		return TT_EXIT_USAGE;
	if (b->spec->load_pct > 0 && b->spec->inflight == 0) {
		fprintf(b->out, "# error: --bench rtt,load=P measures saturation with inflight "
				"tasks: give inflight=1 or more\n");
		return TT_EXIT_USAGE;
	}
	if (wait_live(b) < 0 || pump_init(&p, b->spec->size) < 0)
		return TT_EXIT_RUNTIME;
	if (b->spec->load_pct > 0) {
		plan.target = b->spec->inflight;
		plan.ms = SAT_PROBE_MS;
		ret = pump_run(b, &p, &plan);
		sat = ret == 0 ? (double)plan.done * 1e9 / (double)plan.elapsed_ns : 0;
		/* Let the closed loop's queue empty before the open loop starts. */
		pump_drain(b, &p);
		plan.target = 0;
		plan.rate = sat * b->spec->load_pct / 100.0;
		if (ret < 0 || plan.rate < 1) {
			pump_fini(&p);
			return TT_EXIT_RUNTIME;
		}
	}
	fprintf(b->out,
		"# rtt: %" PRIu32 " worker(s) x %u channels, echo tasks of %" PRIu32 " bytes, %s, "
		"%.1f s\n",
		b->cfg->n_workers, b->cfg->chan.count, b->spec->size,
		b->spec->load_pct > 0 ? "open loop at a share of saturation" : "one task at a time",
		b->spec->duration_ms / 1e3);
	plan.ms = WARMUP_MS;
	ret = pump_measure(b, &p, &plan, &rtt, NULL, &m);
	if (ret < 0) {
		series_free(&rtt);
		return TT_EXIT_RUNTIME;
	}
	print_dist(b->out, "rtt.rtt", "us", &rtt);
	print_value(b->out, "rtt.load", "pct", b->spec->load_pct);
	print_value(b->out, "rtt.sat_per_s", "1/s", sat);
	print_value(b->out, "rtt.offered_per_s", "1/s",
		    (double)plan.offered * 1e9 / (double)plan.elapsed_ns);
	print_value(b->out, "rtt.achieved_per_s", "1/s",
		    (double)plan.done * 1e9 / (double)plan.elapsed_ns);
	print_lcore(b, "rtt", &m.m0, &m.m1);
	print_health(b, "rtt", &m.h0, &m.h1);
	print_pump_totals(b, "rtt", &p);
	series_free(&rtt);
	return TT_EXIT_OK;
}

/* ---- cut: cut -> silence, fence, reschedule ------------------------------------------------ */

/* What one cut led to, in ns since the cut (0: not seen). */
struct cut_steps {
	tt_ns_t down;
	tt_ns_t silenced;
	tt_ns_t hop_ns;
	tt_ns_t fence;
	tt_ns_t dead;
	tt_ns_t resched;
	uint32_t others; /* FENCE or WORKER_DEAD of another worker: a false positive */
};

static tt_ns_t since(tt_ns_t t, tt_ns_t cut)
{
	tt_ns_t d = tt_time_diff(t, cut);

	return d > 0 ? d : 1; /* 0 means "not seen" */
}

static void cut_scan(const struct tt_ctl_event *ev, uint32_t n, uint32_t victim, tt_ns_t cut,
		     struct cut_steps *s)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		const struct tt_fence_event *e = &ev[i].ev;

		if (tt_time_before(e->time_ns, cut))
			continue;
		if (e->worker != victim) {
			if (e->kind == TT_FENCE_EV_FENCE || e->kind == TT_FENCE_EV_WORKER_DEAD)
				s->others++;
			continue;
		}
		switch (e->kind) {
		case TT_FENCE_EV_CHAN_DOWN:
			if (s->down == 0)
				s->down = since(e->time_ns, cut);
			break;
		case TT_FENCE_EV_HB_SILENCED:
			if (s->silenced == 0) {
				s->silenced = since(e->time_ns, cut);
				s->hop_ns = e->val;
			}
			break;
		case TT_FENCE_EV_FENCE:
			if (s->fence == 0)
				s->fence = since(e->time_ns, cut);
			break;
		case TT_FENCE_EV_WORKER_DEAD:
			if (s->dead == 0)
				s->dead = since(e->time_ns, cut);
			break;
		case TT_FENCE_EV_RESCHEDULE:
			if (s->resched == 0)
				s->resched = since(e->time_ns, cut);
			break;
		default:
			break;
		}
	}
}

struct cut_figs {
	struct series detect, hop, silence, fence, resched, margin, policy, cycle;
	uint32_t done;
	uint32_t not_live;
	uint32_t failed;
	uint32_t with_tasks;
	uint32_t order_violations;
	uint32_t same_pass;
	uint32_t others;
};

static void cut_record(struct cut_figs *f, const struct cut_steps *s, double cycle_ms)
{
	tt_ns_t resched = s->resched != 0 ? s->resched : s->dead;

	f->others += s->others;
	if (s->dead == 0 || s->fence == 0) {
		f->failed++;
		return;
	}
	f->done++;
	if (s->resched != 0)
		f->with_tasks++;
	/*
	 * The safety rule: the worker is gone before the master moves its tasks.
	 * Both in one pass (same instant) happens when the lcore stalled past T1:
	 * counted apart.
	 */
	if (tt_time_before(s->dead, s->fence))
		f->order_violations++;
	else if (s->dead == s->fence)
		f->same_pass++;
	if (s->down != 0)
		series_add(&f->detect, us(s->down));
	if (s->silenced != 0) {
		series_add(&f->silence, us(s->silenced));
		series_add(&f->hop, us(s->hop_ns));
	}
	series_add(&f->fence, us(s->fence));
	series_add(&f->resched, us(resched));
	series_add(&f->margin, us(resched) - us(s->fence));
	if (s->down != 0)
		series_add(&f->policy, us(resched) - us(s->down));
	series_add(&f->cycle, cycle_ms);
}

static void cut_figs_free(struct cut_figs *f)
{
	series_free(&f->detect);
	series_free(&f->hop);
	series_free(&f->silence);
	series_free(&f->fence);
	series_free(&f->resched);
	series_free(&f->margin);
	series_free(&f->policy);
	series_free(&f->cycle);
}

static void cut_print(struct bench *b, struct cut_figs *f)
{
	struct tt_ctl_task_summary ts;

	print_dist(b->out, "cut.detect", "us", &f->detect);
	print_dist(b->out, "cut.hop", "us", &f->hop);
	print_dist(b->out, "cut.silence", "us", &f->silence);
	print_dist(b->out, "cut.fence", "us", &f->fence);
	print_dist(b->out, "cut.resched", "us", &f->resched);
	print_dist(b->out, "cut.margin", "us", &f->margin);
	print_dist(b->out, "cut.down_to_resched", "us", &f->policy);
	print_dist(b->out, "cut.cycle", "ms", &f->cycle);
	print_value(b->out, "cut.interval", "us", b->cfg->hb.interval_us);
	print_value(b->out, "cut.t2", "us", us(b->cfg->policy.t2_ns));
	print_value(b->out, "cut.t1", "us", us(b->cfg->policy.t1_ns));
	print_value(b->out, "cut.probe_timeout", "us", b->cfg->chan.probe_timeout_us);
	print_value(b->out, "cut.cuts", "n", f->done);
	print_value(b->out, "cut.failed", "n", f->failed);
	print_value(b->out, "cut.not_live", "n", f->not_live);
	print_value(b->out, "cut.with_tasks", "n", f->with_tasks);
	print_value(b->out, "cut.order_violations", "n", f->order_violations);
	print_value(b->out, "cut.same_pass", "n", f->same_pass);
	print_value(b->out, "cut.other_failures", "n", f->others);
	tt_ctl_task_summary(b->ctl, &ts);
	print_value(b->out, "cut.tasks_committed", "n", (double)ts.committed_once);
	print_value(b->out, "cut.duplicates", "n", (double)(ts.duplicates + ts.commit_unknown));
}

/* How long bring-up's slow-rate packets keep the master's WORKER_DEAD deadline late. */
static uint32_t settle_ms(const struct tt_app_config *cfg)
{
	uint64_t slow =
		cfg->hb.slow_tx_us > cfg->hb.interval_us ? cfg->hb.slow_tx_us : cfg->hb.interval_us;
	uint64_t us = (uint64_t)cfg->hb.master_detect_mult * slow + cfg->hb.d_max_us +
		      cfg->hb.granularity_us;

	return (uint32_t)(us / 1000 + 10);
}

/*
 * Wait until the master sees one worker live with every channel up. Only the
 * victim matters: at short intervals the others may be re-joining after a
 * false positive, and waiting for all of them would measure that instead.
 */
static int wait_worker_live(struct bench *b, uint32_t worker, uint32_t timeout_ms)
{
	uint32_t full = b->cfg->chan.count >= 32 ? UINT32_MAX : (1u << b->cfg->chan.count) - 1;
	uint64_t end = rte_get_timer_cycles() + (uint64_t)timeout_ms * rte_get_timer_hz() / 1000;
	struct tt_ctl_node_view *nv = malloc(sizeof(*nv));
	int ret = -ETIMEDOUT;

	if (nv == NULL)
		return -ENOMEM;
	for (;;) {
		/* The master's view of the worker comes first. */
		if (tt_ctl_nodes(b->ctl, worker, nv, 1) == 1 && nv->role == TT_RT_ROLE_MASTER &&
		    strcmp(nv->state, "live") == 0 && (nv->up_mask & full) == full) {
			ret = 0;
			break;
		}
		if (tt_ctl_quit_requested(b->ctl)) {
			ret = -EINTR;
			break;
		}
		if (rte_get_timer_cycles() >= end)
			break;
		verb(b, tt_ctl_sleep(b->ctl, 1, b->q.f));
	}
	free(nv);
	return ret;
}

static int run_cut(struct bench *b)
{
	const struct tt_bench_spec *sp = b->spec;
	uint32_t n_chan = b->cfg->chan.count;
	uint32_t n_w = b->cfg->n_workers;
	struct tt_ctl_event *ev;
	struct cut_figs f;
	uint32_t stuck = 0;
	uint32_t i;
	int status = TT_EXIT_OK;

	memset(&f, 0, sizeof(f));
	ev = calloc(TT_CTL_TL_CAP, sizeof(*ev));
	if (ev == NULL)
		return TT_EXIT_RUNTIME;
	fprintf(b->out,
		"# cut: %" PRIu32 " %s cuts over %" PRIu32 " workers x %" PRIu32
		" channels; heartbeat every %" PRIu32 " us, T2 %.0f us, T1 %.0f us, probe timeout "
		"%" PRIu32 " us; background load %" PRIu32 " spin tasks/s\n",
		sp->count, sp->admin ? "admin" : "shim", n_w, n_chan, b->cfg->hb.interval_us,
		us(b->cfg->policy.t2_ns), us(b->cfg->policy.t1_ns), b->cfg->chan.probe_timeout_us,
		sp->tasks);
	/*
	 * Until the first packets of bring-up (sent at the slow rate) are older
	 * than the worker's T2 for them, the master's WORKER_DEAD deadline still
	 * counts on that long T2 (engine/hb_fsm.h): let it pass before the
	 * first cut, or the first cycles measure the bring-up.
	 */
	if (wait_live(b) < 0)
		fprintf(b->out, "# warning: not every worker live at the start\n");
	if (verb(b, tt_ctl_sleep(b->ctl, settle_ms(b->cfg), b->q.f)) < 0) {
		free(ev);
		return TT_EXIT_RUNTIME;
	}
	if (sp->tasks > 0 && verb(b, tt_ctl_load_start(b->ctl, sp->tasks, "spin", CUT_TASK_BYTES,
						       CUT_SPIN_US, b->q.f)) < 0) {
		free(ev);
		return TT_EXIT_RUNTIME;
	}
	for (i = 0; i < sp->count && !tt_ctl_quit_requested(b->ctl); i++) {
		uint32_t victim = b->cfg->workers[i % n_w].worker_id;
		uint16_t chan = (uint16_t)((i / n_w) % n_chan);
		uint64_t c0;
		struct cut_steps s;
		uint64_t mark;
		uint64_t next;
		tt_ns_t cut_ns;
		uint32_t n;

		if (wait_worker_live(b, victim, sp->timeout_ms) < 0) {
			f.not_live++;
			if (++stuck >= CUT_MAX_STUCK) {
				fprintf(b->out, "# giving up: %u victims in a row never came up\n",
					CUT_MAX_STUCK);
				status = TT_EXIT_RUNTIME;
				break;
			}
			continue;
		}
		stuck = 0;
		c0 = rte_get_timer_cycles();
		mark = tt_ctl_events_end(b->ctl);
		if (verb(b, tt_ctl_fault_cut(b->ctl, victim, chan, false, sp->admin, b->q.f)) < 0) {
			status = TT_EXIT_RUNTIME;
			break;
		}
		cut_ns = tt_ctl_last_fault_ns(b->ctl);
		/* A missing step is counted from the timeline below; the wait only paces. */
		verb(b, tt_ctl_wait_event(b->ctl, "worker-dead", victim, sp->timeout_ms, b->q.f));
		verb(b, tt_ctl_fault_cut(b->ctl, victim, chan, true, sp->admin, b->q.f));
		/* Its re-join is part of the cycle (and of the events scanned). */
		wait_worker_live(b, victim, sp->timeout_ms);
		n = tt_ctl_events(b->ctl, mark, ev, TT_CTL_TL_CAP, &next);
		cut_scan(ev, n, victim, cut_ns, &s);
		cut_record(&f, &s,
			   (double)(rte_get_timer_cycles() - c0) * 1e3 /
				   (double)rte_get_timer_hz());
		if (sp->count >= 10 && (i + 1) % (sp->count / 10) == 0) {
			fprintf(b->out, "# progress %" PRIu32 "/%" PRIu32 "\n", i + 1, sp->count);
			fflush(b->out);
		}
	}
	if (sp->tasks > 0)
		verb(b, tt_ctl_load_stop(b->ctl, b->q.f));
	cut_print(b, &f);
	cut_figs_free(&f);
	free(ev);
	return status;
}

int tt_bench_run(struct tt_ctl *ctl, const struct tt_bench_spec *spec, FILE *out)
{
	struct bench b = {.ctl = ctl, .topo = tt_ctl_topo(ctl), .spec = spec, .out = out};
	int ret;

	b.cfg = b.topo->cfg;
	if (b.topo->master_ep == TT_TOPO_NO_EP || b.topo->mode != TT_ARGS_MODE_EMBEDDED) {
		fprintf(out, "# error: --bench runs on the in-process topology (no --role)\n");
		return TT_EXIT_USAGE;
	}
	b.q.f = open_memstream(&b.q.buf, &b.q.len);
	if (b.q.f == NULL)
		return TT_EXIT_RUNTIME;
	fprintf(out, "# tether-pmd --bench %s, config %s; %s\n", tt_bench_kind_name(spec->kind),
		b.cfg->source, b.cfg->policy_msg);
	switch (spec->kind) {
	case TT_BENCH_CUT:
		ret = run_cut(&b);
		break;
	case TT_BENCH_FP:
		ret = run_fp(&b);
		break;
	case TT_BENCH_TPUT:
		ret = run_tput(&b);
		break;
	default:
		ret = run_rtt(&b);
		break;
	}
	fflush(out);
	fclose(b.q.f);
	free(b.q.buf);
	return ret;
}
