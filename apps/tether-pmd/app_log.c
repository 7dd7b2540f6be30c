/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log types and the words for timeline events. The timeline (engine/fence.h)
 * is the one record of state changes; logging from it, as the control module
 * drains it, is what makes "logged once" hold: each event is drained once.
 */
#include "app_log.h"

#include <inttypes.h>
#include <stdio.h>

#include "bfd_wire.h"
#include "dc_fsm.h"
#include "scheduler.h"
#include "task_msg.h"
#include "worker.h"

RTE_LOG_REGISTER(tt_alog_app, user.tether.app, NOTICE);
RTE_LOG_REGISTER(tt_alog_hb, user.tether.hb, NOTICE);
RTE_LOG_REGISTER(tt_alog_dc, user.tether.dc, NOTICE);
RTE_LOG_REGISTER(tt_alog_sched, user.tether.sched, NOTICE);

bool tt_alog_event_is_task(const struct tt_fence_event *ev)
{
	switch (ev->kind) {
	case TT_FENCE_EV_RESCHEDULE:
	case TT_FENCE_EV_CANCEL:
	case TT_FENCE_EV_CANCELLED:
	case TT_FENCE_EV_RESULT_STALE:
	case TT_FENCE_EV_TASK_START:
	case TT_FENCE_EV_TASK_RESULT:
	case TT_FENCE_EV_CANCEL_RX:
		return true;
	default:
		return false;
	}
}

/* The fields of each kind are tabled in engine/fence.h; this follows that table. */
int tt_alog_event_text(const struct tt_fence_event *ev, char *buf, size_t len)
{
	const bool master = ev->role == TT_HB_ROLE_MASTER;

	switch (ev->kind) {
	case TT_FENCE_EV_HB_UP:
		return snprintf(buf, len, "heartbeat Up");
	case TT_FENCE_EV_HB_DOWN:
		return snprintf(buf, len, "heartbeat Down (%s)", tt_bfd_diag_name(ev->aux));
	case TT_FENCE_EV_CHAN_UP:
		return snprintf(buf, len, "channel %u up", ev->chan);
	case TT_FENCE_EV_CHAN_DOWN:
		return snprintf(buf, len, "channel %u DOWN (%s)", ev->chan,
				tt_dc_down_reason_name(ev->aux));
	case TT_FENCE_EV_HB_SILENCED:
		return snprintf(buf, len, "heartbeat silenced: channel %u went down (%s, +%.1f us)",
				ev->chan,
				ev->aux == TT_FENCE_ROUTE_DIRECT ? "same lcore" : "queued",
				(double)ev->val / 1e3);
	case TT_FENCE_EV_LIVE:
		return snprintf(buf, len, "live: all %" PRIu32 " channels up (epoch %" PRIu32 ")",
				ev->aux, ev->epoch);
	case TT_FENCE_EV_FENCE:
		/* The heartbeat event just before says why (detection time, peer Down). */
		return snprintf(buf, len,
				"FENCED: heartbeat lost; %" PRIu32 " task(s) aborted, action %s",
				ev->aux, tt_worker_fence_action_name((unsigned int)ev->val));
	case TT_FENCE_EV_EXIT:
		return snprintf(buf, len, "exit with status %" PRIu32, ev->aux);
	case TT_FENCE_EV_REJOIN:
		return snprintf(buf, len, "%s epoch %" PRIu32 " (was %" PRIu32 ")",
				master ? "accepted the re-join under" : "re-joined under",
				ev->epoch, ev->aux);
	case TT_FENCE_EV_WORKER_DEAD:
		return snprintf(buf, len,
				"worker declared DEAD (master timeout, T1): %" PRIu32
				" task(s) taken back",
				ev->aux);
	case TT_FENCE_EV_HB_RECONNECT:
		return snprintf(buf, len, "heartbeat reconnected: waiting for the re-join");
	case TT_FENCE_EV_RESCHEDULE:
		return snprintf(buf, len,
				"task %" PRIu64 " rescheduled as attempt (epoch) %" PRIu32, ev->val,
				ev->epoch);
	case TT_FENCE_EV_CANCEL:
		return snprintf(buf, len, "task %" PRIu64 " cancel: %s", ev->val,
				tt_sched_cancel_route_name(ev->aux));
	case TT_FENCE_EV_CANCELLED:
		return snprintf(buf, len, "task %" PRIu64 " cancelled: %s", ev->val,
				tt_sched_cancel_end_name(ev->aux));
	case TT_FENCE_EV_RESULT_STALE:
		return snprintf(buf, len, "stale RESULT of task %" PRIu64 " rejected: %s", ev->val,
				tt_sched_verdict_name(ev->aux));
	case TT_FENCE_EV_TASK_START:
		return snprintf(buf, len, "task %" PRIu64 " started", ev->val);
	case TT_FENCE_EV_TASK_RESULT:
		return snprintf(buf, len, "task %" PRIu64 " result sent (%s)", ev->val,
				tt_tmsg_status_name(ev->aux));
	case TT_FENCE_EV_CANCEL_RX:
		return snprintf(buf, len, "CANCEL of task %" PRIu64 ": %s", ev->val,
				ev->aux == TT_FENCE_CANCEL_IGNORED ? "ignored (fenced)"
								   : tt_tmsg_outcome_name(ev->aux));
	case TT_FENCE_EV_CUT:
		return snprintf(buf, len, "channel %u CUT by the operator", ev->chan);
	case TT_FENCE_EV_RESTORE:
		return snprintf(buf, len, "channel %u restored by the operator", ev->chan);
	case TT_FENCE_EV_TIMERS:
		return snprintf(buf, len,
				"timers set: interval %" PRIu64 " us, detect mult %" PRIu32,
				ev->val, ev->aux);
	default:
		return snprintf(buf, len, "%s", tt_fence_event_name(ev->kind));
	}
}

static int event_logtype(const struct tt_fence_event *ev)
{
	switch (ev->kind) {
	case TT_FENCE_EV_HB_UP:
	case TT_FENCE_EV_HB_DOWN:
	case TT_FENCE_EV_HB_SILENCED:
	case TT_FENCE_EV_HB_RECONNECT:
	case TT_FENCE_EV_TIMERS:
		return tt_alog_hb;
	case TT_FENCE_EV_CHAN_UP:
	case TT_FENCE_EV_CHAN_DOWN:
	case TT_FENCE_EV_CUT:
	case TT_FENCE_EV_RESTORE:
		return tt_alog_dc;
	default:
		return tt_alog_sched;
	}
}

void tt_alog_event(const struct tt_fence_event *ev, const char *node, uint64_t mono_ns)
{
	uint32_t level = tt_alog_event_is_task(ev) ? RTE_LOG_DEBUG : RTE_LOG_NOTICE;
	int type = event_logtype(ev);
	char text[160];

	if (!rte_log_can_log(type, level))
		return;
	tt_alog_event_text(ev, text, sizeof(text));
	/* "worker 2 (epoch 1): ..." from the worker itself, "master: worker 2 (epoch 1): ..." */
	rte_log(level, type,
		"tether.%s: [%" PRIu64 ".%06" PRIu64 "] %s%sworker %" PRIu32 " (epoch %" PRIu32
		"): %s\n",
		type == tt_alog_hb   ? "hb"
		: type == tt_alog_dc ? "dc"
				     : "sched",
		(uint64_t)(mono_ns / TT_NS_PER_S), (uint64_t)(mono_ns % TT_NS_PER_S / TT_NS_PER_US),
		ev->role == TT_HB_ROLE_MASTER ? node : "",
		ev->role == TT_HB_ROLE_MASTER ? ": " : "", ev->worker, ev->epoch, text);
}
