/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_EXIT_CODES_H
#define TT_EXIT_CODES_H

/**
 * @file
 * Process exit statuses of tether-pmd. The same X-macro makes the constants
 * and the table printed by --help, so the two cannot disagree.
 *
 * A supervisor restarts a fenced worker on TT_EXIT_FENCED (systemd:
 * RestartForceExitStatus=75); every other non-zero status is for a human.
 */

#include "worker.h"

/** X(name, value, meaning) */
#define TT_EXIT_CODES(X)                                                                           \
	X(OK, 0, "success: the run ended normally, or the demo held every invariant")              \
	X(RUNTIME, 1,                                                                              \
	  "runtime error: EAL, port or lcore start-up failed, or a command of --cmdfile failed")   \
	X(USAGE, 2,                                                                                \
	  "usage or configuration error: unknown option, missing or bad value, bad config "        \
	  "file, unknown command in --cmdfile")                                                    \
	X(INVARIANT, 3,                                                                            \
	  "the embedded demo saw a broken invariant (a task lost or committed twice, a "           \
	  "reschedule before its fence, a missing timeline step)")                                 \
	X(FENCED, 75,                                                                              \
	  "worker: fenced itself (fence action exit) after losing the master; restart it "         \
	  "(EX_TEMPFAIL) and it re-joins under a new epoch")

enum tt_exit_code {
#define TT_X(name, val, str) TT_EXIT_##name = val,
	TT_EXIT_CODES(TT_X)
#undef TT_X
};

_Static_assert(TT_EXIT_FENCED == TT_WORKER_EXIT_FENCED,
	       "the fenced exit status is the engine's TT_WORKER_EXIT_FENCED");

#endif /* TT_EXIT_CODES_H */
