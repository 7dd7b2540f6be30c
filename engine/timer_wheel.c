/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hierarchical timing wheel (Varghese and Lauck's scheme 7), six levels of
 * 64 slots plus an overflow list.
 *
 * Why hierarchical and not one level plus an overflow list: tether's timers
 * span 10 µs intervals to detection times of tens of seconds. A single level
 * fine enough for the short ones (say 4096 slots of 1 µs, a 4 ms span) would
 * leave every detection timer on the overflow list, and that list would be
 * rescanned every 4 ms: with 10,000 sessions, 10,000 visits per rotation,
 * which is O(n) and not O(1). Six levels of 64 slots cover 2^36 ticks (19.5 h
 * at 1.024 µs ticks, 68 s even at 1 ns ticks); a timer moves down at most
 * five times before it fires, and a BFD detection timer is normally re-armed
 * by the next received packet long before its first cascade. Only deadlines
 * beyond 2^36 ticks wait on the overflow list, which is re-placed once per
 * 2^36 ticks.
 *
 * Placement. Ticks are counted from the origin: tick(d) = (d - origin) >> shift
 * in unsigned arithmetic, which is wrap-safe for the wheel's lifetime. `cur`
 * is the current tick. A timer of tick k >= cur is stored at the level of the
 * highest 6-bit group in which k and cur differ, in the slot given by k's
 * group at that level. So level 0 holds only ticks of cur's 64-tick block
 * (k >= cur), and a level L >= 1 slot holds ticks whose group L is above
 * cur's: no slot at L >= 1 ever holds cur's own group. When cur enters a new
 * group at level L (its low 6L bits are zero), the level L slot of that group
 * is cascaded: its timers are placed again, relative to the new cur, and land
 * lower. Deadlines whose ticks differ from cur above bit 36 go to overflow.
 *
 * Exact firing. The level 0 slot of cur holds timers whose deadline lies in
 * the current, partly elapsed tick. advance() fires those with deadline <=
 * now and leaves the others, so a timer fires at the first advance whose now
 * reaches it, not at the next tick boundary: lateness is bounded by the call
 * gap rather than by gap + g. Each slot keeps a lower bound of its deadlines
 * (slot_min) so that repeated advances inside one tick skip the slot until
 * something in it can be due.
 *
 * Timers armed with a deadline already reached go to the `due` list, fired
 * first by the next advance. Lists being fired are detached onto a local
 * list first; every list is circular and doubly linked, so cancel unlinks a
 * timer from whichever list it is on, the local one included.
 */
#include "timer_wheel.h"

#include <errno.h>
#include <stdlib.h>

#define TW_SLOT_BITS 6
#define TW_SLOTS     (1u << TW_SLOT_BITS)
#define TW_SLOT_MASK (TW_SLOTS - 1)
#define TW_LEVELS    6
#define TW_SPAN_BITS (TW_SLOT_BITS * TW_LEVELS)

/*
 * tt_timer.where: a wheel slot is level * TW_SLOTS + slot; then these. A
 * timer on a detached (local) list keeps the where of the list it came from:
 * see unlink_timer().
 */
#define TW_WHERE_DUE	  (TW_LEVELS * TW_SLOTS)
#define TW_WHERE_OVERFLOW (TW_WHERE_DUE + 1)

struct tt_tw {
	tt_ns_t origin;
	tt_ns_t now;
	uint64_t cur; /* tick of now: ticks before it are fully fired */
	unsigned int shift;
	unsigned int count;
	uint64_t occupied[TW_LEVELS]; /* bit s set <=> slots[L][s] non-empty */
	struct tt_tw_link slots[TW_LEVELS][TW_SLOTS];
	tt_ns_t slot_min[TW_LEVELS][TW_SLOTS]; /* lower bound, valid if occupied */
	struct tt_tw_link due;
	tt_ns_t due_min;
	struct tt_tw_link overflow;
	tt_ns_t overflow_min;
};

static inline void list_init(struct tt_tw_link *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool list_empty(const struct tt_tw_link *head)
{
	return head->next == head;
}

static inline void list_add(struct tt_tw_link *head, struct tt_tw_link *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

static inline void list_del(struct tt_tw_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n;
	n->prev = n;
}

/* Move every node of src onto the empty list dst; src ends empty. */
static inline void list_splice(struct tt_tw_link *src, struct tt_tw_link *dst)
{
	if (list_empty(src)) {
		list_init(dst);
		return;
	}
	dst->next = src->next;
	dst->prev = src->prev;
	dst->next->prev = dst;
	dst->prev->next = dst;
	list_init(src);
}

static inline struct tt_timer *link_timer(struct tt_tw_link *l)
{
	return (struct tt_timer *)(void *)l;
}

static inline uint64_t tick_of(const struct tt_tw *tw, tt_ns_t t)
{
	return (uint64_t)(t - tw->origin) >> tw->shift;
}

/* Mask of the bits strictly above bit b (b in 0..63). */
static inline uint64_t bits_above(unsigned int b)
{
	return b >= 63 ? 0 : ~0ull << (b + 1);
}

/* Add t to a list and lower that list's minimum if t is earlier. */
static inline void list_add_min(struct tt_tw_link *head, tt_ns_t *min, struct tt_timer *t)
{
	if (list_empty(head) || tt_time_before(t->deadline, *min))
		*min = t->deadline;
	list_add(head, &t->link);
}

/*
 * Put an armed timer on the wheel relative to tw->cur (see the file comment).
 * The caller guarantees tick(deadline) >= cur; a smaller tick would be an
 * internal error, and is clamped to cur so that the timer still fires.
 */
static void place(struct tt_tw *tw, struct tt_timer *t)
{
	uint64_t k = tick_of(tw, t->deadline);
	uint64_t diff;
	unsigned int level, slot;

	if (k < tw->cur)
		k = tw->cur;
	diff = k ^ tw->cur;
	if (diff >> TW_SPAN_BITS) {
		t->where = TW_WHERE_OVERFLOW;
		list_add_min(&tw->overflow, &tw->overflow_min, t);
		return;
	}
	level = diff < TW_SLOTS ? 0 : (unsigned int)(63 - __builtin_clzll(diff)) / TW_SLOT_BITS;
	slot = (unsigned int)(k >> (level * TW_SLOT_BITS)) & TW_SLOT_MASK;
	t->where = (uint16_t)(level * TW_SLOTS + slot);
	list_add_min(&tw->slots[level][slot], &tw->slot_min[level][slot], t);
	tw->occupied[level] |= 1ull << slot;
}

/*
 * Take t off whatever list it is on and keep the occupancy bitmaps true. The
 * bit of t's slot is cleared only if that slot's list is now empty, which is
 * right whether t was on the slot itself or on a local list detached from it
 * (the slot may have been refilled meanwhile, and then keeps its bit).
 */
static void unlink_timer(struct tt_tw *tw, struct tt_timer *t)
{
	unsigned int w = t->where;

	list_del(&t->link);
	t->where = TT_TW_NOWHERE;
	tw->count--;
	if (w < TW_WHERE_DUE) {
		unsigned int level = w / TW_SLOTS, slot = w % TW_SLOTS;

		if (list_empty(&tw->slots[level][slot]))
			tw->occupied[level] &= ~(1ull << slot);
	}
}

/* Detach slot (level, slot) onto the local list `out`, leaving it empty. */
static void detach_slot(struct tt_tw *tw, unsigned int level, unsigned int slot,
			struct tt_tw_link *out)
{
	list_splice(&tw->slots[level][slot], out);
	tw->occupied[level] &= ~(1ull << slot);
}

/*
 * Fire, or place again, every timer of a detached list. Timers are popped one
 * at a time because a callback may cancel or re-arm any other timer of the
 * list, which unlinks it from `local` before we reach it.
 */
static unsigned int run_local(struct tt_tw *tw, struct tt_tw_link *local, tt_ns_t now)
{
	unsigned int fired = 0;

	while (!list_empty(local)) {
		struct tt_timer *t = link_timer(local->next);

		list_del(&t->link);
		if (!tt_time_reached(now, t->deadline)) {
			place(tw, t);
			continue;
		}
		t->where = TT_TW_NOWHERE;
		tw->count--;
		fired++;
		t->fn(t, now, t->arg);
	}
	return fired;
}

/*
 * Cascade at tick tw->cur: for each level whose group boundary cur sits on,
 * place that group's slot again. Top-down, although no placement ever lands
 * in a slot cascaded here (placement never uses cur's own group at L >= 1).
 */
static void cascade(struct tt_tw *tw)
{
	struct tt_tw_link local;
	unsigned int level;

	if (tw->cur & TW_SLOT_MASK)
		return;
	if ((tw->cur & ((1ull << TW_SPAN_BITS) - 1)) == 0 && !list_empty(&tw->overflow)) {
		list_splice(&tw->overflow, &local);
		while (!list_empty(&local)) {
			struct tt_timer *t = link_timer(local.next);

			list_del(&t->link);
			place(tw, t);
		}
	}
	for (level = TW_LEVELS - 1; level >= 1; level--) {
		unsigned int shift = level * TW_SLOT_BITS;
		unsigned int slot = (unsigned int)(tw->cur >> shift) & TW_SLOT_MASK;

		if (tw->cur & ((1ull << shift) - 1))
			continue;
		if (!(tw->occupied[level] & (1ull << slot)))
			continue;
		detach_slot(tw, level, slot, &local);
		while (!list_empty(&local)) {
			struct tt_timer *t = link_timer(local.next);

			list_del(&t->link);
			place(tw, t);
		}
	}
}

/*
 * The next tick after cur at which the wheel has work: the next occupied
 * level 0 slot of cur's block, else the boundary of the next occupied group
 * at the lowest level that has one, else the next span boundary if overflow
 * is non-empty. Levels are ordered in time: everything at level L comes
 * before everything at level L + 1. Returns UINT64_MAX when the wheel is
 * empty (advance then jumps straight to its target tick).
 */
static uint64_t next_event_tick(const struct tt_tw *tw)
{
	unsigned int level;

	for (level = 0; level < TW_LEVELS; level++) {
		unsigned int shift = level * TW_SLOT_BITS;
		unsigned int group = (unsigned int)(tw->cur >> shift) & TW_SLOT_MASK;
		uint64_t above = tw->occupied[level] & bits_above(group);
		uint64_t block;

		if (!above)
			continue;
		block = tw->cur >> (shift + TW_SLOT_BITS) << (shift + TW_SLOT_BITS);
		return block | ((uint64_t)__builtin_ctzll(above) << shift);
	}
	if (!list_empty(&tw->overflow))
		return ((tw->cur >> TW_SPAN_BITS) + 1) << TW_SPAN_BITS;
	return UINT64_MAX;
}

/* Fire what is due in level 0 slot of cur; skip it if nothing can be due. */
static unsigned int run_cur_slot(struct tt_tw *tw, tt_ns_t now)
{
	unsigned int slot = (unsigned int)tw->cur & TW_SLOT_MASK;
	struct tt_tw_link local;

	if (!(tw->occupied[0] & (1ull << slot)))
		return 0;
	if (tt_time_before(now, tw->slot_min[0][slot]))
		return 0;
	detach_slot(tw, 0, slot, &local);
	return run_local(tw, &local, now);
}

struct tt_tw *tt_tw_create(unsigned int granularity_shift, tt_ns_t now)
{
	struct tt_tw *tw;
	unsigned int level, slot;

	if (granularity_shift > TT_TW_MAX_SHIFT) {
		errno = EINVAL;
		return NULL;
	}
	tw = calloc(1, sizeof(*tw));
	if (!tw) {
		errno = ENOMEM;
		return NULL;
	}
	tw->origin = now;
	tw->now = now;
	tw->shift = granularity_shift;
	for (level = 0; level < TW_LEVELS; level++)
		for (slot = 0; slot < TW_SLOTS; slot++)
			list_init(&tw->slots[level][slot]);
	list_init(&tw->due);
	list_init(&tw->overflow);
	return tw;
}

void tt_tw_destroy(struct tt_tw *tw)
{
	free(tw);
}

void tt_timer_init(struct tt_timer *t, tt_timer_fn fn, void *arg)
{
	t->link.next = &t->link;
	t->link.prev = &t->link;
	t->deadline = 0;
	t->fn = fn;
	t->arg = arg;
	t->where = TT_TW_NOWHERE;
}

/*
 * Arm: unlink if armed, then a deadline already reached goes to `due`
 * (never fired here), anything later is placed. tick(deadline) >= cur holds
 * for the later ones because cur is the tick of tw->now, also during an
 * advance (cur only trails the target tick while walking, and the target
 * is the tick of tw->now, already updated).
 */
void tt_tw_arm(struct tt_tw *tw, struct tt_timer *t, tt_ns_t deadline)
{
	if (tt_timer_is_armed(t))
		unlink_timer(tw, t);
	t->deadline = deadline;
	tw->count++;
	if (tt_time_reached(tw->now, deadline)) {
		t->where = TW_WHERE_DUE;
		list_add_min(&tw->due, &tw->due_min, t);
		return;
	}
	place(tw, t);
}

bool tt_tw_cancel(struct tt_tw *tw, struct tt_timer *t)
{
	if (!tt_timer_is_armed(t))
		return false;
	unlink_timer(tw, t);
	return true;
}

/*
 * Advance: fire the due list (detached, so re-arms in the past wait for the
 * next call), then walk cur to the target tick, landing only on ticks that
 * have work (next_event_tick), cascading at each landing and firing level 0
 * slots. Every landed tick before the target is fully elapsed, so its slot
 * fires whole; the target tick's slot fires only what now has reached.
 */
unsigned int tt_tw_advance(struct tt_tw *tw, tt_ns_t now)
{
	struct tt_tw_link local;
	unsigned int fired;
	uint64_t target;

	if (tt_time_before(now, tw->now))
		now = tw->now;
	tw->now = now;
	target = tick_of(tw, now);

	list_splice(&tw->due, &local);
	fired = run_local(tw, &local, now);

	for (;;) {
		uint64_t next;

		fired += run_cur_slot(tw, now);
		if (tw->cur == target)
			break;
		next = next_event_tick(tw);
		tw->cur = next < target ? next : target;
		cascade(tw);
	}
	return fired;
}

int tt_tw_next_deadline(const struct tt_tw *tw, tt_ns_t *deadline)
{
	unsigned int level;

	/* Due timers are at or before now, hence before anything on the wheel. */
	if (!list_empty(&tw->due)) {
		*deadline = tw->due_min;
		return 0;
	}
	/* Levels are in time order and slots within one level too (no slot
	 * holds a group at or below cur's), so the lowest occupied slot of the
	 * lowest occupied level holds the earliest deadline. */
	for (level = 0; level < TW_LEVELS; level++) {
		if (tw->occupied[level]) {
			*deadline = tw->slot_min[level][__builtin_ctzll(tw->occupied[level])];
			return 0;
		}
	}
	if (!list_empty(&tw->overflow)) {
		*deadline = tw->overflow_min;
		return 0;
	}
	return -ENOENT;
}

tt_ns_t tt_tw_now(const struct tt_tw *tw)
{
	return tw->now;
}

tt_ns_t tt_tw_granularity_ns(const struct tt_tw *tw)
{
	return (tt_ns_t)1 << tw->shift;
}

unsigned int tt_tw_count(const struct tt_tw *tw)
{
	return tw->count;
}
