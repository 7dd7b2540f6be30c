/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_FENCE_H
#define TT_FENCE_H

/**
 * @file
 * Fencing glue (DESIGN.md §1 steps 1-3, §4): the association of one heartbeat
 * session with the K data channels it stands for, at one endpoint, and the
 * timeline of fencing events both endpoints record.
 *
 * The association. Any associated channel going DOWN disconnects the
 * heartbeat session at this endpoint:
 *  - at once when the channel's data lcore is the session's HB lcore
 *    (TT_FENCE_ROUTE_DIRECT: the caller steps the session with DISCONNECT,
 *    tt_fence_silence(), in the same call);
 *  - otherwise through the HB lcore's event queue (engine/evq.h): the data
 *    lcore posts TT_EVQ_EV_DC_DOWN (TT_FENCE_ROUTE_QUEUED); the HB lcore
 *    drains the queue in its next pass, checks the event against the
 *    association (tt_fence_on_event()) and silences the session.
 * Only the first DOWN of a channel per incarnation (epoch) counts, and only
 * while the association is armed: channels an endpoint closes on purpose
 * (its own fence, a reset after a worker died) are disarmed first, so closing
 * them does not silence anything.
 *
 * Threads. tt_fence_chan_down() and tt_fence_chan_up() may run on a data
 * lcore while the HB lcore runs the others: the masks and the epoch are C11
 * atomics, and exactly one caller wins a channel's down transition. Arm,
 * disarm, tt_fence_on_event() and tt_fence_silence() belong to the HB lcore.
 *
 * Queue sizing: a channel posts at most once per incarnation and the HB lcore
 * re-arms at most once per pass, so a queue of at least twice the number of
 * channels it serves, drained every pass, never fills. TT_FENCE_ROUTE_FULL is
 * still reported and counted (a sizing bug).
 *
 * The timeline: a fixed-capacity ring of typed events with ns timestamps,
 * written by one endpoint (one thread) and read or drained by whoever prints
 * or checks it (the demo, the simulator's checker). When full, new events are
 * dropped and counted: a checker must require dropped == 0.
 *
 * Pure: no clock reads, no I/O; memory is allocated only by
 * tt_fence_tl_create().
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evq.h"
#include "hb_fsm.h"
#include "tt_time.h"

/** Most channels one association ties to its session (K, DESIGN.md §1). */
#define TT_FENCE_MAX_CHAN 16
/** struct tt_fence_event.chan when no channel is concerned. */
#define TT_FENCE_NO_CHAN 0xffu

/** What became of a channel-down. X(name, printable) */
#define TT_FENCE_ROUTES(X)                                                                         \
	X(DIRECT, "direct: same lcore, silence the session now")                                   \
	X(QUEUED, "queued: posted to the HB lcore's event queue")                                  \
	X(ALREADY, "the channel was already down in this incarnation")                             \
	X(IGNORED, "the association is disarmed (channels closed on purpose)")                     \
	X(FULL, "the event queue was full: not posted (sizing bug)")

enum tt_fence_route {
#define TT_X(name, str) TT_FENCE_ROUTE_##name,
	TT_FENCE_ROUTES(TT_X)
#undef TT_X
	TT_FENCE_ROUTE_MAX
};

/** Association configuration. */
struct tt_fence_assoc_config {
	uint32_t worker_id;			/* the worker the session belongs to */
	uint8_t n_chan;				/* K, 1..TT_FENCE_MAX_CHAN */
	uint16_t hb_lcore;			/* lcore owning the session */
	uint16_t chan_lcore[TT_FENCE_MAX_CHAN]; /* lcore owning each channel */
};

/** Association counters. Written by the HB lcore except where noted. */
struct tt_fence_counters {
	_Atomic uint64_t downs[TT_FENCE_ROUTE_MAX]; /* channel-downs by route (data lcore) */
	uint64_t events_applied;		    /* queued events that silenced the session */
	uint64_t events_stale;			    /* queued events of another incarnation */
	uint64_t events_redundant;		    /* queued events finding it silenced already */
	uint64_t silences;			    /* DISCONNECTs issued */
};

/**
 * One association. Storage belongs to the caller; fields are private to
 * fence.c: use the functions below.
 */
struct tt_fence_assoc {
	struct tt_fence_assoc_config cfg;
	_Atomic uint32_t epoch;	    /* armed incarnation; 0 = disarmed */
	_Atomic uint32_t up_mask;   /* bit c: channel c up in this incarnation */
	_Atomic uint32_t down_mask; /* bit c: channel c went down in this incarnation */
	/* HB lcore only */
	bool silenced; /* DISCONNECT issued in this incarnation */
	tt_ns_t silenced_ns;
	struct tt_fence_counters cnt;
};

/** Printable name of a route ("DIRECT", ...); "?" when out of range. */
const char *tt_fence_route_name(unsigned int route);

/**
 * Initialise an association, disarmed.
 *
 * @return 0, or -EINVAL (n_chan out of range).
 */
int tt_fence_assoc_init(struct tt_fence_assoc *a, const struct tt_fence_assoc_config *cfg);

/**
 * Arm for a new incarnation: channels none up, none down, session not
 * silenced. Call before opening (worker) or accepting (master) the channels
 * of that incarnation. HB lcore.
 *
 * @param epoch  the incarnation, not 0.
 */
void tt_fence_arm(struct tt_fence_assoc *a, uint32_t epoch);

/**
 * Disarm: channels are about to be closed on purpose; their DOWNs are
 * ignored until the next tt_fence_arm(). HB lcore.
 */
void tt_fence_disarm(struct tt_fence_assoc *a);

/** @return the armed incarnation, 0 when disarmed. Any lcore. */
uint32_t tt_fence_epoch(const struct tt_fence_assoc *a);

/**
 * Channel @p chan came up. Data lcore.
 *
 * @return true if every channel of the association is now up (and none went
 *         down in this incarnation); false otherwise or when disarmed.
 */
bool tt_fence_chan_up(struct tt_fence_assoc *a, unsigned int chan);

/**
 * Channel @p chan went DOWN. Data lcore (or any lcore for an operator cut or a
 * link-down; the caller then passes the lcore it runs on).
 *
 * @param a       the association.
 * @param chan    channel index, below n_chan.
 * @param reason  the dc module's down reason (stored in the event).
 * @param lcore   lcore the caller runs on.
 * @param q       the HB lcore's event queue; may be NULL when every channel
 *                is on the HB lcore.
 * @param now     current time, stamped on a queued event.
 * @return the route. DIRECT: the caller must call tt_fence_silence() now.
 *         QUEUED: the HB lcore will. ALREADY / IGNORED / FULL: nothing to do.
 *         A channel index out of range is IGNORED.
 */
enum tt_fence_route tt_fence_chan_down(struct tt_fence_assoc *a, unsigned int chan, uint8_t reason,
				       uint16_t lcore, struct tt_evq *q, tt_ns_t now);

/**
 * A TT_EVQ_EV_DC_DOWN event for this association was dequeued. HB lcore.
 *
 * @return true if it belongs to the armed incarnation and the session is not
 *         silenced yet: the caller must call tt_fence_silence() now. False for
 *         stale or redundant events (counted).
 */
bool tt_fence_on_event(struct tt_fence_assoc *a, const struct tt_evq_event *ev);

/**
 * Silence the session: step it with TT_HB_EV_DISCONNECT (DESIGN.md §1 step
 * 3: no TX, RX dropped, the detection timer runs out). HB lcore.
 *
 * @param a    the association.
 * @param hb   its session.
 * @param now  current time.
 * @param out  the step's actions, for the caller to carry out (the step may
 *             still report a due detection expiry or WORKER_DEAD).
 * @return 1 if this call silenced the session, 0 if it was silenced already
 *         in this incarnation (nothing stepped, out->flags 0), or the negative
 *         errno of tt_hb_step().
 */
int tt_fence_silence(struct tt_fence_assoc *a, struct tt_hb_session *hb, tt_ns_t now,
		     struct tt_hb_actions *out);

/** @return true once the session was silenced in the armed incarnation. HB lcore. */
bool tt_fence_silenced(const struct tt_fence_assoc *a);

/** Channels up / down in this incarnation, bit c for channel c. Any lcore. */
uint32_t tt_fence_up_mask(const struct tt_fence_assoc *a);
uint32_t tt_fence_down_mask(const struct tt_fence_assoc *a);

/** The association's counters. */
const struct tt_fence_counters *tt_fence_counters(const struct tt_fence_assoc *a);

/*
 * The timeline.
 *
 * Event kinds and their fields. role: the endpoint that recorded it (enum
 * tt_hb_role); worker: the worker concerned; chan: TT_FENCE_NO_CHAN unless
 * given; "w.epoch" is the worker's epoch (incarnation) at that endpoint.
 *
 *   kind          role    epoch        chan     aux                 val
 *   HB_UP         both    w.epoch      -        0                   0
 *   HB_DOWN       both    w.epoch      -        BFD diag            0
 *   CHAN_UP       both    w.epoch      channel  0                   0
 *   CHAN_DOWN     both    w.epoch      channel  dc down reason      0
 *   HB_SILENCED   both    w.epoch      cause    route (DIRECT,      ns from the channel
 *                                               QUEUED)             down to the silence
 *   LIVE          both    w.epoch      -        K                   0
 *   FENCE         worker  fenced       -        tasks aborted       action: 0 exit,
 *                                                                   1 rejoin
 *   EXIT          worker  fenced       -        exit code           0
 *   REJOIN        worker  new          -        old epoch           0
 *                 master  new (record  -        old epoch (0: the   0
 *                         replaced)             first join)
 *   WORKER_DEAD   master  dead         -        tasks taken back    0
 *   HB_RECONNECT  master  dead         -        0                   0
 *   RESCHEDULE    master  task's new   -        0                   task id
 *   CANCEL        master  task's       channel  sched cancel route  task id
 *   CANCELLED     master  task's       ACK's    sched cancel end    task id
 *                                      channel or -
 *   RESULT_STALE  master  RESULT's     channel  sched verdict       task id
 *   TASK_START    worker  task's       channel  0                   task id
 *   TASK_RESULT   worker  task's       channel  RESULT status       task id
 *   CANCEL_RX     worker  task's       channel  outcome, or         task id
 *                                               TT_FENCE_CANCEL_IGNORED
 *   CUT, RESTORE  both    w.epoch      channel  0                   0
 *   TIMERS        both    w.epoch      -        detect mult         desired min TX, µs
 *
 * X(name, printable)
 */
#define TT_FENCE_EVENTS(X)                                                                         \
	X(HB_UP, "hb-up")                                                                          \
	X(HB_DOWN, "hb-down")                                                                      \
	X(CHAN_UP, "chan-up")                                                                      \
	X(CHAN_DOWN, "chan-down")                                                                  \
	X(HB_SILENCED, "hb-silenced")                                                              \
	X(LIVE, "live")                                                                            \
	X(FENCE, "fence")                                                                          \
	X(EXIT, "exit")                                                                            \
	X(REJOIN, "rejoin")                                                                        \
	X(WORKER_DEAD, "worker-dead")                                                              \
	X(HB_RECONNECT, "hb-reconnect")                                                            \
	X(RESCHEDULE, "reschedule")                                                                \
	X(CANCEL, "cancel")                                                                        \
	X(CANCELLED, "cancelled")                                                                  \
	X(RESULT_STALE, "result-stale")                                                            \
	X(TASK_START, "task-start")                                                                \
	X(TASK_RESULT, "task-result")                                                              \
	X(CANCEL_RX, "cancel-rx")                                                                  \
	X(CUT, "cut")                                                                              \
	X(RESTORE, "restore")                                                                      \
	X(TIMERS, "timers")

enum tt_fence_event_kind {
#define TT_X(name, str) TT_FENCE_EV_##name,
	TT_FENCE_EVENTS(TT_X)
#undef TT_X
	TT_FENCE_EV_MAX
};

/** CANCEL_RX aux when the CANCEL was ignored because the worker is fenced. */
#define TT_FENCE_CANCEL_IGNORED 0xffu

/** One timeline event; see the table above for the fields of each kind. */
struct tt_fence_event {
	tt_ns_t time_ns;
	uint64_t val;
	uint32_t worker;
	uint32_t epoch;
	uint32_t aux;
	uint16_t kind; /* enum tt_fence_event_kind */
	uint8_t chan;  /* channel index or TT_FENCE_NO_CHAN */
	uint8_t role;  /* enum tt_hb_role of the recording endpoint */
};

/** A timeline: opaque, made by tt_fence_tl_create(). */
struct tt_fence_tl;

/** Printable name of an event kind ("fence", ...); "?" when out of range. */
const char *tt_fence_event_name(unsigned int kind);

/**
 * Allocate a timeline holding up to @p capacity events. Control path.
 *
 * @return the timeline, or NULL with errno EINVAL (capacity 0 or above 2^30)
 *         or ENOMEM.
 */
struct tt_fence_tl *tt_fence_tl_create(uint32_t capacity);

/** Free a timeline (NULL is fine). */
void tt_fence_tl_destroy(struct tt_fence_tl *tl);

/**
 * Append an event (copied). If the ring is full the event is dropped and
 * counted. The writer's thread only; no allocation.
 *
 * @return 0, or -ENOBUFS when dropped.
 */
int tt_fence_tl_push(struct tt_fence_tl *tl, const struct tt_fence_event *ev);

/** Events held now (pushed and not yet drained). */
uint32_t tt_fence_tl_count(const struct tt_fence_tl *tl);

/** The i-th oldest event held, or NULL if i >= count. Valid until the next push or drain. */
const struct tt_fence_event *tt_fence_tl_at(const struct tt_fence_tl *tl, uint32_t i);

/**
 * Take up to n of the oldest events out of the ring, freeing their room.
 *
 * @return events copied to out.
 */
uint32_t tt_fence_tl_drain(struct tt_fence_tl *tl, struct tt_fence_event *out, uint32_t n);

/** Events ever pushed, dropped ones included. */
uint64_t tt_fence_tl_pushed(const struct tt_fence_tl *tl);

/** Events dropped because the ring was full. */
uint64_t tt_fence_tl_dropped(const struct tt_fence_tl *tl);

/**
 * Find the first held event at or after position @p from matching kind and
 * worker (UINT32_MAX: any worker) and, if val is not UINT64_MAX, val.
 *
 * @return its position (for tt_fence_tl_at()), or -1 if none.
 */
int64_t tt_fence_tl_find(const struct tt_fence_tl *tl, uint32_t from, unsigned int kind,
			 uint32_t worker, uint64_t val);

/**
 * Format one event as a line of text without newline, e.g.
 * "   12.345678 ms [worker] worker 2 epoch 1 chan 0: chan-down (cut)".
 *
 * @return the length snprintf would write (the line is truncated to len).
 */
int tt_fence_event_format(const struct tt_fence_event *ev, char *buf, size_t len);

#endif /* TT_FENCE_H */
