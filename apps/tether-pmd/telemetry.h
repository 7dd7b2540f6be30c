/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TEL_H
#define TT_TEL_H

/**
 * @file
 * rte_telemetry endpoints of tether-pmd, read with dpdk-telemetry.py or any
 * client of the v2 socket (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2):
 *
 *   /tether/workers          each worker: the master's view and, in-process,
 *                            the worker's own (state, epoch, fences...)
 *   /tether/sessions         each BFD session (state, timers, detection time)
 *   /tether/channels,<id>    the data channels of worker <id> at each end (a
 *                            parameter, as one reply holds at most 256
 *                            entries); without it: the worker ids
 *   /tether/tasks            the task summary (exactly-once accounting)
 *   /tether/stats            the polling lcore and per-port counters
 *
 * Execution context: the callbacks run on DPDK's telemetry thread and read
 * through the control module (thread-safe).
 */

#include "control.h"

/**
 * Register the commands (once per process) and serve @p ctl.
 * @return 0 or the first rte_telemetry_register_cmd() error.
 */
int tt_tel_register(struct tt_ctl *ctl);

/** Stop serving (before the control module is destroyed): replies become errors. */
void tt_tel_detach(void);

#endif /* TT_TEL_H */
