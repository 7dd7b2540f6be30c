/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_pause.h>

#include "link.h"
#include "port.h"

RTE_LOG_REGISTER(tt_link_logtype, user.tether.link, NOTICE);

#define LINK_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, tt_link_logtype, "tether.link: " fmt "\n", ##__VA_ARGS__)

static const char *const mode_names[] = {
#define TT_LINK_MODE_NAME(name, str) [TT_LINK_MODE_##name] = str,
	TT_LINK_MODE_LIST(TT_LINK_MODE_NAME)
#undef TT_LINK_MODE_NAME
};

/*
 * Per watched port. `events` and `down_seen` are written by the interrupt
 * thread (LSC callback) and read by the polling thread; everything else is
 * the polling thread's.
 */
struct link_port {
	enum tt_link_mode mode;
	uint16_t port_id;
	bool up;		  /* last state delivered (or recorded at add) */
	unsigned int events_seen; /* value of `events` at the last poll */
	atomic_uint events;
	atomic_bool down_seen;
};

struct tt_link_watch {
	tt_link_event_fn cb;
	void *arg;
	struct link_port ports[RTE_MAX_ETHPORTS];
};

const char *tt_link_mode_name(enum tt_link_mode mode)
{
	return (unsigned int)mode < TT_LINK_MODE_MAX ? mode_names[mode] : "?";
}

struct tt_link_watch *tt_link_watch_create(tt_link_event_fn cb, void *arg)
{
	struct tt_link_watch *w;

	if (cb == NULL) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->cb = cb;
	w->arg = arg;
	return w;
}

/*
 * Interrupt-thread side: note that something happened and whether the link
 * read down, so that a short down/up flap between two polls is not lost.
 * Never calls the user's callback (that would run engine code on the
 * interrupt thread).
 */
static int lsc_event(uint16_t port_id, enum rte_eth_event_type type, void *cb_arg, void *ret_param)
{
	struct link_port *lp = cb_arg;
	struct tt_port_link link;

	(void)ret_param;
	if (type != RTE_ETH_EVENT_INTR_LSC)
		return 0;
	if (tt_port_link_get(port_id, &link) == 0 && !link.up)
		atomic_store_explicit(&lp->down_seen, true, memory_order_relaxed);
	atomic_fetch_add_explicit(&lp->events, 1, memory_order_release);
	return 0;
}

static void unregister_lsc(struct link_port *lp)
{
	int ret;

	/* -EAGAIN: the callback is running right now; it finishes quickly. */
	do {
		ret = rte_eth_dev_callback_unregister(lp->port_id, RTE_ETH_EVENT_INTR_LSC,
						      lsc_event, lp);
		if (ret == -EAGAIN)
			rte_pause();
	} while (ret == -EAGAIN);
	if (ret < 0)
		LINK_LOG(ERR, "port %u: rte_eth_dev_callback_unregister failed: %s (%d)",
			 lp->port_id, rte_strerror(-ret), ret);
}

/*
 * The callback is registered before the first read so that a change
 * between the two is seen as an event rather than lost.
 */
int tt_link_watch_add(struct tt_link_watch *w, uint16_t port_id, enum tt_link_mode *mode, bool *up)
{
	struct rte_eth_dev_info info;
	struct tt_port_link link;
	struct link_port *lp;
	int ret;

	if (port_id >= RTE_MAX_ETHPORTS)
		return -ENODEV;
	lp = &w->ports[port_id];
	if (lp->mode != TT_LINK_MODE_NONE)
		return -EEXIST;
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0) {
		LINK_LOG(ERR, "port %u: rte_eth_dev_info_get failed: %s (%d)", port_id,
			 rte_strerror(-ret), ret);
		return ret;
	}
	lp->port_id = port_id;
	atomic_store(&lp->events, 0);
	atomic_store(&lp->down_seen, false);
	lp->events_seen = 0;
	lp->mode = TT_LINK_MODE_POLL;
	if (info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0) {
		ret = rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_LSC, lsc_event, lp);
		if (ret == 0)
			lp->mode = TT_LINK_MODE_LSC;
		else
			LINK_LOG(WARNING,
				 "port %u: rte_eth_dev_callback_register failed: %s (%d); "
				 "polling instead",
				 port_id, rte_strerror(-ret), ret);
	}
	ret = tt_port_link_get(port_id, &link);
	if (ret < 0) {
		if (lp->mode == TT_LINK_MODE_LSC)
			unregister_lsc(lp);
		lp->mode = TT_LINK_MODE_NONE;
		return ret;
	}
	lp->up = link.up;
	LINK_LOG(INFO, "port %u: watched by %s, link %s", port_id, tt_link_mode_name(lp->mode),
		 link.up ? "up" : "down");
	if (mode != NULL)
		*mode = lp->mode;
	if (up != NULL)
		*up = link.up;
	return 0;
}

int tt_link_watch_remove(struct tt_link_watch *w, uint16_t port_id)
{
	struct link_port *lp;

	if (port_id >= RTE_MAX_ETHPORTS || w->ports[port_id].mode == TT_LINK_MODE_NONE)
		return -ENOENT;
	lp = &w->ports[port_id];
	if (lp->mode == TT_LINK_MODE_LSC)
		unregister_lsc(lp);
	lp->mode = TT_LINK_MODE_NONE;
	return 0;
}

enum tt_link_mode tt_link_watch_mode(const struct tt_link_watch *w, uint16_t port_id)
{
	return port_id < RTE_MAX_ETHPORTS ? w->ports[port_id].mode : TT_LINK_MODE_NONE;
}

void tt_link_watch_destroy(struct tt_link_watch *w)
{
	uint16_t p;

	if (w == NULL)
		return;
	for (p = 0; p < RTE_MAX_ETHPORTS; p++)
		if (w->ports[p].mode != TT_LINK_MODE_NONE)
			tt_link_watch_remove(w, p);
	free(w);
}

static unsigned int deliver(struct tt_link_watch *w, struct link_port *lp, bool up)
{
	if (lp->up == up)
		return 0;
	lp->up = up;
	LINK_LOG(NOTICE, "port %u: link %s", lp->port_id, up ? "up" : "down");
	w->cb(lp->port_id, up, w->arg);
	return 1;
}

/*
 * An LSC port is read only when its event counter moved. A down recorded by
 * the interrupt thread is delivered first even if the link is up again now,
 * so that the channels on the port still learn they lost packets.
 */
unsigned int tt_link_watch_poll(struct tt_link_watch *w)
{
	struct tt_port_link link;
	unsigned int calls = 0;
	unsigned int events;
	uint16_t p;

	for (p = 0; p < RTE_MAX_ETHPORTS; p++) {
		struct link_port *lp = &w->ports[p];
		bool down_seen = false;

		if (lp->mode == TT_LINK_MODE_NONE)
			continue;
		if (lp->mode == TT_LINK_MODE_LSC) {
			events = atomic_load_explicit(&lp->events, memory_order_acquire);
			if (events == lp->events_seen)
				continue;
			lp->events_seen = events;
			down_seen = atomic_exchange_explicit(&lp->down_seen, false,
							     memory_order_relaxed);
		}
		if (tt_port_link_get(p, &link) < 0)
			continue;
		if (down_seen)
			calls += deliver(w, lp, false);
		calls += deliver(w, lp, link.up);
	}
	return calls;
}
