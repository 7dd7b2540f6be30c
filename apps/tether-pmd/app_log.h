/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_ALOG_H
#define TT_ALOG_H

/**
 * @file
 * tether-pmd's rte_log types, one per module (STYLE.md "Errors and logs"):
 *
 *   user.tether.app    the application: start-up, mode, data plane start and
 *                      stop, pauses, a worker that exited
 *   user.tether.hb     heartbeat sessions: Up, Down, silenced, timers changed
 *   user.tether.dc     data channels: up, down (and why), cut, restored
 *   user.tether.sched  workers and tasks: live, fenced, dead, re-joined,
 *                      rescheduled (per task at DEBUG)
 *   user.tether.port   ports (drivers/port.c), user.tether.rt the lcore
 *                      runtime (drivers/runtime.c), and the drivers' others
 *
 * Levels: `--log-level='user.tether.*:info'` (EAL option). State changes are
 * logged once each, at NOTICE, from the endpoints' timelines as the control
 * module drains them (tt_alog_event()); per-task events at DEBUG. Each such
 * line carries the event's time on CLOCK_MONOTONIC, "[seconds.micros]" as
 * in dmesg: every process of the host shares that clock, so the logs of a
 * master and its workers merge into one order (tests/system does).
 *
 * Execution context: any thread (rte_log is thread-safe).
 */

#include <stdint.h>

#include <rte_log.h>

#include "fence.h"

extern int tt_alog_app;
extern int tt_alog_hb;
extern int tt_alog_dc;
extern int tt_alog_sched;

/** Log on one of the types above: TT_LOG(hb, NOTICE, "worker %u up", id). */
#define TT_LOG(type, level, fmt, ...)                                                              \
	rte_log(RTE_LOG_##level, tt_alog_##type, "tether." #type ": " fmt "\n", ##__VA_ARGS__)

/**
 * Log one timeline event once, on the type of its module, at NOTICE for a
 * state change and DEBUG for a per-task event:
 * "tether.sched: [4242.123456] master: worker 2 (epoch 7): ...".
 *
 * @param ev       the event.
 * @param node     who recorded it, e.g. "master" or "worker 2".
 * @param mono_ns  the event's time on CLOCK_MONOTONIC, in ns.
 */
void tt_alog_event(const struct tt_fence_event *ev, const char *node, uint64_t mono_ns);

/**
 * Describe an event in words: "channel 1 DOWN (cut)", "worker fenced: 3
 * tasks aborted, action rejoin", ... without time or node.
 *
 * @return snprintf's result.
 */
int tt_alog_event_text(const struct tt_fence_event *ev, char *buf, size_t len);

/** True for per-task events (TASK_START, TASK_RESULT, CANCEL_RX, RESCHEDULE, ...). */
bool tt_alog_event_is_task(const struct tt_fence_event *ev);

#endif /* TT_ALOG_H */
