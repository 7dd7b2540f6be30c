/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_DEMO_H
#define TT_DEMO_H

/**
 * @file
 * The embedded demo (DESIGN.md §5): on the in-process topology (topo.h),
 * bring every worker up, run a task load, cut one data channel of one
 * worker (the fault shim drops its packets both ways), and print the
 * timeline of what follows in microseconds since the cut: channel DOWN and
 * why, heartbeat silenced, worker fenced (T2), master timeout (T1), tasks
 * rescheduled (how many, under which epoch), link restored, worker re-joined;
 * then the summary (tasks submitted, committed exactly once, duplicates,
 * lost, stale results rejected) and the measured cut->silence, cut->fence
 * and cut->reschedule.
 *
 * Invariants checked (any failure: TT_EXIT_INVARIANT, and each is named):
 * every step above happened; the worker fenced before the master declared it
 * dead (T2 path before T1 path); no other worker fenced or was declared
 * dead; after the load, every task submitted was committed exactly once (no
 * duplicate, none lost) according to the scheduler's complete decision log;
 * the worker came back live under a newer epoch.
 *
 * Execution context: main lcore; the runtime must be running.
 */

#include <stdio.h>

#include "control.h"

/** The worker and channel the demo cuts. */
#define TT_DEMO_VICTIM_INDEX 1 /* the second [workers] entry */
#define TT_DEMO_VICTIM_CHAN  1

/**
 * Run the demo and print it on @p out.
 *
 * @return TT_EXIT_OK if every invariant held, TT_EXIT_INVARIANT if one did
 *         not, TT_EXIT_RUNTIME if the demo could not run (interrupted, a
 *         command failed).
 */
int tt_demo_run(struct tt_ctl *ctl, FILE *out);

#endif /* TT_DEMO_H */
