/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fencing glue: the channel-down -> heartbeat-silenced association and the
 * fencing timeline. See fence.h for the contracts.
 */
#include "fence.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_fsm.h"
#include "scheduler.h"
#include "task_msg.h"
#include "tt_names.h"

static const char *const route_names[] = {
#define TT_X(name, str) #name,
	TT_FENCE_ROUTES(TT_X)
#undef TT_X
};

const char *tt_fence_route_name(unsigned int route)
{
	return TT_NAME_AT(route_names, route, "?");
}

int tt_fence_assoc_init(struct tt_fence_assoc *a, const struct tt_fence_assoc_config *cfg)
{
	if (cfg->n_chan < 1 || cfg->n_chan > TT_FENCE_MAX_CHAN)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	atomic_init(&a->epoch, 0);
	atomic_init(&a->up_mask, 0);
	atomic_init(&a->down_mask, 0);
	for (unsigned int i = 0; i < TT_FENCE_ROUTE_MAX; i++)
		atomic_init(&a->cnt.downs[i], 0);
	return 0;
}

/*
 * Arm for a new incarnation. The masks are cleared before the epoch is
 * published, so a data lcore that sees the new epoch also sees clean masks.
 */
void tt_fence_arm(struct tt_fence_assoc *a, uint32_t epoch)
{
	atomic_store_explicit(&a->up_mask, 0, memory_order_relaxed);
	atomic_store_explicit(&a->down_mask, 0, memory_order_relaxed);
	a->silenced = false;
	a->silenced_ns = 0;
	atomic_store_explicit(&a->epoch, epoch, memory_order_release);
}

void tt_fence_disarm(struct tt_fence_assoc *a)
{
	atomic_store_explicit(&a->epoch, 0, memory_order_release);
}

uint32_t tt_fence_epoch(const struct tt_fence_assoc *a)
{
	return atomic_load_explicit(&((struct tt_fence_assoc *)a)->epoch, memory_order_acquire);
}

static uint32_t all_mask(const struct tt_fence_assoc *a)
{
	return a->cfg.n_chan >= 32 ? UINT32_MAX : (1u << a->cfg.n_chan) - 1u;
}

bool tt_fence_chan_up(struct tt_fence_assoc *a, unsigned int chan)
{
	uint32_t up;

	if (chan >= a->cfg.n_chan || tt_fence_epoch(a) == 0)
		return false;
	up = atomic_fetch_or_explicit(&a->up_mask, 1u << chan, memory_order_acq_rel) | (1u << chan);
	return up == all_mask(a) && atomic_load_explicit(&a->down_mask, memory_order_acquire) == 0;
}

/*
 * One winner per channel and incarnation: the fetch_or on down_mask. The
 * winner routes the down to the session by lcore ownership (DESIGN.md §4:
 * single writer per session, so another lcore never steps it).
 */
enum tt_fence_route tt_fence_chan_down(struct tt_fence_assoc *a, unsigned int chan, uint8_t reason,
				       uint16_t lcore, struct tt_evq *q, tt_ns_t now)
{
	uint32_t epoch = tt_fence_epoch(a);
	uint32_t bit = 1u << (chan & 31);
	enum tt_fence_route r;

	if (chan >= a->cfg.n_chan || epoch == 0) {
		r = TT_FENCE_ROUTE_IGNORED;
	} else if (atomic_fetch_or_explicit(&a->down_mask, bit, memory_order_acq_rel) & bit) {
		r = TT_FENCE_ROUTE_ALREADY;
	} else {
		atomic_fetch_and_explicit(&a->up_mask, ~bit, memory_order_acq_rel);
		if (lcore == a->cfg.hb_lcore || q == NULL) {
			r = TT_FENCE_ROUTE_DIRECT;
		} else {
			struct tt_evq_event ev = {
				.ts_ns = now,
				.worker_id = a->cfg.worker_id,
				.epoch = epoch,
				.type = TT_EVQ_EV_DC_DOWN,
				.chan_idx = (uint8_t)chan,
				.reason = reason,
			};

			r = tt_evq_enqueue(q, &ev) == 0 ? TT_FENCE_ROUTE_QUEUED
							: TT_FENCE_ROUTE_FULL;
		}
	}
	atomic_fetch_add_explicit(&a->cnt.downs[r], 1, memory_order_relaxed);
	return r;
}

bool tt_fence_on_event(struct tt_fence_assoc *a, const struct tt_evq_event *ev)
{
	if (ev->type != TT_EVQ_EV_DC_DOWN || ev->worker_id != a->cfg.worker_id || ev->epoch == 0 ||
	    ev->epoch != tt_fence_epoch(a)) {
		a->cnt.events_stale++;
		return false;
	}
	if (a->silenced) {
		a->cnt.events_redundant++;
		return false;
	}
	a->cnt.events_applied++;
	return true;
}

int tt_fence_silence(struct tt_fence_assoc *a, struct tt_hb_session *hb, tt_ns_t now,
		     struct tt_hb_actions *out)
{
	struct tt_hb_event ev = {.type = TT_HB_EV_DISCONNECT};
	int rc;

	if (a->silenced) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	rc = tt_hb_step(hb, &ev, now, out);
	if (rc < 0)
		return rc;
	a->silenced = true;
	a->silenced_ns = now;
	a->cnt.silences++;
	return 1;
}

bool tt_fence_silenced(const struct tt_fence_assoc *a)
{
	return a->silenced;
}

uint32_t tt_fence_up_mask(const struct tt_fence_assoc *a)
{
	return atomic_load_explicit(&((struct tt_fence_assoc *)a)->up_mask, memory_order_acquire);
}

uint32_t tt_fence_down_mask(const struct tt_fence_assoc *a)
{
	return atomic_load_explicit(&((struct tt_fence_assoc *)a)->down_mask, memory_order_acquire);
}

const struct tt_fence_counters *tt_fence_counters(const struct tt_fence_assoc *a)
{
	return &a->cnt;
}

/* ---- timeline ---- */

static const char *const event_names[] = {
#define TT_X(name, str) str,
	TT_FENCE_EVENTS(TT_X)
#undef TT_X
};

const char *tt_fence_event_name(unsigned int kind)
{
	return TT_NAME_AT(event_names, kind, "?");
}

#define TL_CAP_MAX (1u << 30)

/* A ring: head is the oldest held event, count the number held. */
struct tt_fence_tl {
	uint32_t cap;
	uint32_t head;
	uint32_t count;
	uint64_t pushed;
	uint64_t dropped;
	struct tt_fence_event ev[];
};

struct tt_fence_tl *tt_fence_tl_create(uint32_t capacity)
{
	struct tt_fence_tl *tl;

	if (capacity == 0 || capacity > TL_CAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	tl = calloc(1, sizeof(*tl) + (size_t)capacity * sizeof(tl->ev[0]));
	if (tl == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	tl->cap = capacity;
	return tl;
}

void tt_fence_tl_destroy(struct tt_fence_tl *tl)
{
	free(tl);
}

int tt_fence_tl_push(struct tt_fence_tl *tl, const struct tt_fence_event *ev)
{
	tl->pushed++;
	/* Drop the newest, not the oldest: a checker needs the start of the story. */
	if (tl->count == tl->cap) {
		tl->dropped++;
		return -ENOBUFS;
	}
	tl->ev[(tl->head + tl->count) % tl->cap] = *ev;
	tl->count++;
	return 0;
}

uint32_t tt_fence_tl_count(const struct tt_fence_tl *tl)
{
	return tl->count;
}

const struct tt_fence_event *tt_fence_tl_at(const struct tt_fence_tl *tl, uint32_t i)
{
	if (i >= tl->count)
		return NULL;
	return &tl->ev[(tl->head + i) % tl->cap];
}

uint32_t tt_fence_tl_drain(struct tt_fence_tl *tl, struct tt_fence_event *out, uint32_t n)
{
	uint32_t k = 0;

	while (k < n && tl->count > 0) {
		out[k++] = tl->ev[tl->head];
		tl->head = (tl->head + 1) % tl->cap;
		tl->count--;
	}
	return k;
}

uint64_t tt_fence_tl_pushed(const struct tt_fence_tl *tl)
{
	return tl->pushed;
}

uint64_t tt_fence_tl_dropped(const struct tt_fence_tl *tl)
{
	return tl->dropped;
}

int64_t tt_fence_tl_find(const struct tt_fence_tl *tl, uint32_t from, unsigned int kind,
			 uint32_t worker, uint64_t val)
{
	for (uint32_t i = from; i < tl->count; i++) {
		const struct tt_fence_event *e = tt_fence_tl_at(tl, i);

		if (e->kind == kind && (worker == UINT32_MAX || e->worker == worker) &&
		    (val == UINT64_MAX || e->val == val))
			return i;
	}
	return -1;
}

/* What follows the kind name, per kind (see the table in fence.h). */
static int detail(const struct tt_fence_event *ev, char *buf, size_t len)
{
	unsigned long long val = (unsigned long long)ev->val;

	switch (ev->kind) {
	case TT_FENCE_EV_HB_DOWN:
		return snprintf(buf, len, " (%s)", tt_bfd_diag_name(ev->aux));
	case TT_FENCE_EV_CHAN_DOWN:
		return snprintf(buf, len, " (%s)", tt_dc_down_reason_name(ev->aux));
	case TT_FENCE_EV_HB_SILENCED:
		return snprintf(buf, len, " (%s, %llu ns after the channel went down)",
				tt_fence_route_name(ev->aux), val);
	case TT_FENCE_EV_LIVE:
		return snprintf(buf, len, " (%u channels up)", ev->aux);
	case TT_FENCE_EV_FENCE:
		return snprintf(buf, len, ": %u tasks aborted, then %s", ev->aux,
				val == 0 ? "exit" : "rejoin");
	case TT_FENCE_EV_EXIT:
		return snprintf(buf, len, " (exit code %u)", ev->aux);
	case TT_FENCE_EV_REJOIN:
		return snprintf(buf, len, " (previous epoch %u)", ev->aux);
	case TT_FENCE_EV_WORKER_DEAD:
		return snprintf(buf, len, ": %u tasks taken back", ev->aux);
	case TT_FENCE_EV_RESCHEDULE:
	case TT_FENCE_EV_TASK_START:
		return snprintf(buf, len, " task %llu", val);
	case TT_FENCE_EV_CANCEL:
		return snprintf(buf, len, " task %llu (%s)", val,
				tt_sched_cancel_route_name(ev->aux));
	case TT_FENCE_EV_CANCELLED:
		return snprintf(buf, len, " task %llu (%s)", val,
				tt_sched_cancel_end_name(ev->aux));
	case TT_FENCE_EV_RESULT_STALE:
		return snprintf(buf, len, " task %llu (%s)", val, tt_sched_verdict_name(ev->aux));
	case TT_FENCE_EV_TASK_RESULT:
		return snprintf(buf, len, " task %llu (%s)", val, tt_tmsg_status_name(ev->aux));
	case TT_FENCE_EV_CANCEL_RX:
		return snprintf(buf, len, " task %llu (%s)", val,
				ev->aux == TT_FENCE_CANCEL_IGNORED ? "ignored: fenced"
								   : tt_tmsg_outcome_name(ev->aux));
	case TT_FENCE_EV_TIMERS:
		return snprintf(buf, len, " (desired min TX %llu us, detect mult %u)", val,
				ev->aux);
	default:
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
}

int tt_fence_event_format(const struct tt_fence_event *ev, char *buf, size_t len)
{
	char chan[16] = "";
	char more[96];

	if (ev->chan != TT_FENCE_NO_CHAN)
		snprintf(chan, sizeof(chan), " chan %u", ev->chan);
	detail(ev, more, sizeof(more));
	return snprintf(buf, len, "%12.6f ms [%s] worker %" PRIu32 " epoch %" PRIu32 "%s: %s%s",
			(double)ev->time_ns / 1e6, tt_hb_role_name(ev->role), ev->worker, ev->epoch,
			chan, tt_fence_event_name(ev->kind), more);
}
