/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_BENCH_H
#define TT_BENCH_H

/**
 * @file
 * `tether-pmd -- --bench SPEC`: system benchmarks on the in-process topology
 * (a master and its workers over crossed ring port pairs, every endpoint on
 * one polling lcore), driven through the control module's verbs and the
 * runtime's CALL commands, printing machine-readable lines on stdout:
 *
 *     RESULT name=<figure> unit=<unit> p50=<x> p99=<x> p999=<x> max=<x> mean=<x> samples=<n>
 *     RESULT name=<figure> unit=<unit> value=<x>
 *     # <comment or progress>
 *
 * The format is the one of perf/bench_util.h (blank-separated key=value
 * tokens, names [a-z0-9_.]) with p999 and mean added to distributions and a
 * value-only form for single figures; perf/sweep.py reads it.
 *
 * SPEC is `KIND[,KEY=VALUE]...`. The heartbeat interval, Detect Mults, probe
 * timeout, worker and channel counts come from the configuration
 * (--config FILE with [node] role = demo), so that one spec runs at any of
 * them. Kinds (DESIGN.md §6):
 *
 *   cut   count cuts of a data channel (the fault shim drops its packets both
 *         ways; mode=admin: the engine's operator cut), rotating over the
 *         workers and channels: cut, wait for the master to declare the
 *         worker dead, restore, wait until every worker is live again. From
 *         the endpoints' timelines: cut->channel down (detection),
 *         down->silence (the DC-down -> HB-silenced hop), cut->silence,
 *         cut->fence (T2 path), cut->reschedule (T1 path), fence->reschedule
 *         margin. A background load of `tasks` spin tasks/s keeps tasks on
 *         the victims so that there is something to reschedule.
 *   fp    heartbeat false positives: `inflight` echo tasks of `size` bytes
 *         kept in the system (a closed loop saturating the data path) for
 *         `seconds`, no fault injected; detection-time expiries, fences and
 *         workers declared dead, per 10^6 expected heartbeat receptions.
 *   tput  data throughput: the same closed loop; tasks/s in 100 ms windows,
 *         messages/s, goodput and wire Gbit/s, frames/s, ASSIGN->RESULT
 *         round trip at saturation, loop utilisation.
 *   rtt   ASSIGN->RESULT round trip: load=0, one task at a time; load=P,
 *         an open loop at P % of the saturation rate measured first.
 *
 * Keys (default): count (1000), mode=shim|admin (shim), tasks (200),
 * timeout_ms (5000), seconds (5; a decimal), size (64), inflight (512),
 * load (0). A key a kind does not use is refused.
 *
 * Figures (µs unless said):
 *   cut.detect, .hop, .silence, .fence, .resched  cut->channel down, down->
 *       HB silenced (the engine's own count, 0 when the channel and the
 *       session share the lcore), cut->silenced, cut->fence, cut->reschedule
 *       (the master's first RESCHEDULE, or WORKER_DEAD when the victim held
 *       no task); .margin fence->reschedule; .down_to_resched; .cycle (ms);
 *       counts: .cuts, .failed (no fence or no WORKER_DEAD within
 *       timeout_ms), .not_live (victim skipped: never came up),
 *       .order_violations (reschedule before the fence), .same_pass (both in
 *       one loop pass: the lcore stalled past T1), .other_failures (fences
 *       and deaths of other workers: false positives), .duplicates.
 *   fp.false_positives (worker fences: no fault is injected), .per_1e6
 *       (per 10^6 worker-session heartbeat intervals), .session_intervals,
 *       .tasks_per_s.
 *   tput.tasks_per_s (per 100 ms window), .msgs_per_s (ASSIGN + RESULT),
 *       .goodput_gbps (payload bits), .wire_gbps (the data frames' bits,
 *       headers included), .data_frames_per_s, .frames_per_s (every frame
 *       sent, ACKs and heartbeats included), .frame_bytes (the ASSIGN's
 *       first frame: what a testpmd comparison forwards), .rtt.
 *   rtt.rtt, .sat_per_s, .offered_per_s, .achieved_per_s.
 *   <kind>.util (loop utilisation %, struct tt_rt_lcore_stats), .late_p99_le,
 *       .late_max, .pass_max; fp/tput/rtt .failed_tasks, .refused, and what
 *       the failure detection did meanwhile: .fences, .dead, .stale_hb
 *       (heartbeats a worker dropped because its pass came more than g
 *       late), .down.<reason> (channel DOWNs by reason, both ends).
 *
 * Execution context: main lcore, the runtime running (after tt_ctl_start()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h"

/** Benchmark kinds. X(name, printable) */
#define TT_BENCH_KINDS(X)                                                                          \
	X(CUT, "cut")                                                                              \
	X(FP, "fp")                                                                                \
	X(TPUT, "tput")                                                                            \
	X(RTT, "rtt")

/* clang-format off */
enum tt_bench_kind {
#define TT_X(name, str) TT_BENCH_##name,
	TT_BENCH_KINDS(TT_X)
#undef TT_X
	TT_BENCH_KIND_MAX
};
/* clang-format on */

/** A parsed SPEC. */
struct tt_bench_spec {
	enum tt_bench_kind kind;
	uint32_t count;	      /**< cut: cuts */
	bool admin;	      /**< cut: operator cut instead of the shim */
	uint32_t tasks;	      /**< cut: background spin tasks per second (0: none) */
	uint32_t timeout_ms;  /**< cut: longest wait for each step */
	uint32_t duration_ms; /**< fp, tput, rtt: measured time */
	uint32_t size;	      /**< fp, tput, rtt: task payload bytes */
	uint32_t inflight;    /**< fp, tput, rtt: tasks kept in the system (closed loop) */
	uint32_t load_pct;    /**< rtt: open-loop rate, % of saturation; 0: one at a time */
};

/** Printable kind name ("cut", ...); "?" when out of range. */
const char *tt_bench_kind_name(unsigned int kind);

/**
 * Parse a SPEC (see the file comment). Needs no EAL.
 *
 * @param spec     the text after --bench.
 * @param out      filled in, defaults for the keys not given.
 * @param err      on failure one line naming the key or value and what is allowed.
 * @param err_len  size of err.
 * @return 0, or -EINVAL.
 */
int tt_bench_spec_parse(const char *spec, struct tt_bench_spec *out, char *err, size_t err_len);

/**
 * Run a benchmark and print its RESULT lines on @p out.
 *
 * @param ctl   control module, runtime started, in-process topology with a master.
 * @param spec  what to run.
 * @param out   stdout.
 * @return TT_EXIT_OK; TT_EXIT_USAGE (the configuration does not suit the
 *         spec: message on out); TT_EXIT_RUNTIME (the run could not finish:
 *         the workers never came up, interrupted).
 */
int tt_bench_run(struct tt_ctl *ctl, const struct tt_bench_spec *spec, FILE *out);

#endif /* TT_BENCH_H */
