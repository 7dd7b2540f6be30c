/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_LINK_H
#define TT_LINK_H

/**
 * @file
 * Link-status watch: turns port link changes into "port P up/down" calls.
 *
 * Where the PMD raises link-status-change interrupts (dev_flags has
 * RTE_ETH_DEV_INTR_LSC and the port was configured with intr_conf.lsc, which
 * tt_port_init() does), the watch registers an RTE_ETH_EVENT_INTR_LSC
 * callback; elsewhere it reads the link status on every poll. Either way the
 * caller's callback runs only from tt_link_watch_poll(), on the thread that
 * calls it (the control lcore): the interrupt thread just records that an
 * event came and whether the link was seen down, so a down that is already
 * up again by the next poll is still delivered (down, then up).
 *
 * TESTBED notes: ring ports have no LSC (set_link_down only flips a flag,
 * which the poll path sees); af_packet and af_xdp always read UP, so only
 * timeouts detect their failures.
 */

#include <stdbool.h>
#include <stdint.h>

/** How a port's link is watched; names from one X-macro. */
#define TT_LINK_MODE_LIST(X)                                                                       \
	X(NONE, "none")                                                                            \
	X(LSC, "lsc-interrupt")                                                                    \
	X(POLL, "poll")

/* clang-format off */
enum tt_link_mode {
#define TT_LINK_MODE_ENUM(name, str) TT_LINK_MODE_##name,
	TT_LINK_MODE_LIST(TT_LINK_MODE_ENUM)
#undef TT_LINK_MODE_ENUM
	TT_LINK_MODE_MAX
};
/* clang-format on */

/** Printable name of a mode ("?" if out of range). */
const char *tt_link_mode_name(enum tt_link_mode mode);

/**
 * Called once per link change.
 * @param port_id port whose link changed.
 * @param up      new state.
 * @param arg     the caller's argument given at create.
 */
typedef void (*tt_link_event_fn)(uint16_t port_id, bool up, void *arg);

struct tt_link_watch;

/**
 * @param cb  called from tt_link_watch_poll() for each change.
 * @param arg passed to cb.
 * @return a watch with no ports, or NULL (errno ENOMEM/EINVAL).
 * Context: control thread.
 */
struct tt_link_watch *tt_link_watch_create(tt_link_event_fn cb, void *arg);

/**
 * Unregister every LSC callback and free the watch. NULL is a no-op.
 * Context: the thread that polls.
 */
void tt_link_watch_destroy(struct tt_link_watch *w);

/**
 * Start watching a port. The current state is recorded, not delivered.
 *
 * @param w       watch.
 * @param port_id configured ethdev port.
 * @param mode    if not NULL, set to TT_LINK_MODE_LSC or TT_LINK_MODE_POLL.
 * @param up      if not NULL, set to the state recorded now.
 * @return 0, -EEXIST if already watched, -ENODEV bad port, or the errno of
 *         the failing rte_eth call.
 * Context: control thread.
 */
int tt_link_watch_add(struct tt_link_watch *w, uint16_t port_id, enum tt_link_mode *mode, bool *up);

/**
 * Stop watching a port (unregisters its LSC callback).
 * @return 0 or -ENOENT if it was not watched.
 */
int tt_link_watch_remove(struct tt_link_watch *w, uint16_t port_id);

/**
 * How a port is watched (TT_LINK_MODE_NONE if it is not).
 */
enum tt_link_mode tt_link_watch_mode(const struct tt_link_watch *w, uint16_t port_id);

/**
 * Read polled ports, collect LSC events, and call the callback for every
 * change since the last poll.
 *
 * @param w watch.
 * @return number of callbacks made.
 * Context: one control thread (the callback runs here).
 */
unsigned int tt_link_watch_poll(struct tt_link_watch *w);

#endif /* TT_LINK_H */
