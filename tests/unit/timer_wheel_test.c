/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timer wheel tests, all on virtual time: the wheel is driven by explicit
 * `now` values, so every fire time below is exact and reproducible.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timer_wheel.h"

#define SHIFT 10 /* g = 1024 ns */
#define G     (1ull << SHIFT)

/* Starting clocks: an ordinary one and one that wraps through UINT64_MAX. */
static const tt_ns_t starts[] = {1000000007ull, UINT64_MAX - 5000000ull};
#define N_STARTS (sizeof(starts) / sizeof(starts[0]))

static uint64_t rng_state;

/* splitmix64: small, seeded, good enough to spread deadlines. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
	return n ? rng() % n : 0;
}

/* A timer with a record of its fires, for the simple tests. */
struct rec {
	struct tt_timer t;
	unsigned int fires;
	tt_ns_t fired_at;
	unsigned int order; /* global sequence number of the last fire */
};

static unsigned int fire_seq;

static void rec_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct rec *r = arg;

	assert_ptr_equal(t, &r->t);
	assert_false(tt_timer_is_armed(t));
	assert_true(tt_time_reached(now, tt_timer_deadline(t)));
	r->fires++;
	r->fired_at = now;
	r->order = fire_seq++;
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	tt_timer_init(&r->t, rec_fn, r);
}

static void test_create_args(void **state)
{
	struct tt_tw *tw;
	tt_ns_t d = 42;

	(void)state;
	errno = 0;
	assert_null(tt_tw_create(TT_TW_MAX_SHIFT + 1, 0));
	assert_int_equal(errno, EINVAL);
	tw = tt_tw_create(TT_TW_MAX_SHIFT, 5);
	assert_non_null(tw);
	assert_int_equal(tt_tw_granularity_ns(tw), 1ull << TT_TW_MAX_SHIFT);
	tt_tw_destroy(tw);
	tw = tt_tw_create(0, 77);
	assert_non_null(tw);
	assert_int_equal(tt_tw_granularity_ns(tw), 1);
	assert_int_equal(tt_tw_now(tw), 77);
	assert_int_equal(tt_tw_count(tw), 0);
	assert_int_equal(tt_tw_next_deadline(tw, &d), -ENOENT);
	assert_int_equal(d, 42); /* untouched on -ENOENT */
	assert_int_equal(tt_tw_advance(tw, 1000000), 0);
	assert_int_equal(tt_tw_now(tw), 1000000);
	tt_tw_destroy(tw);
	tt_tw_destroy(NULL);
}

static void test_arm_cancel_state(void **state)
{
	struct tt_tw *tw = tt_tw_create(SHIFT, 0);
	struct rec a;

	(void)state;
	rec_init(&a);
	assert_false(tt_timer_is_armed(&a.t));
	assert_false(tt_tw_cancel(tw, &a.t)); /* unarmed: safe, no effect */
	assert_int_equal(tt_tw_count(tw), 0);
	tt_tw_arm(tw, &a.t, 5000);
	assert_true(tt_timer_is_armed(&a.t));
	assert_int_equal(tt_timer_deadline(&a.t), 5000);
	assert_int_equal(tt_tw_count(tw), 1);
	assert_true(tt_tw_cancel(tw, &a.t));
	assert_false(tt_timer_is_armed(&a.t));
	assert_false(tt_tw_cancel(tw, &a.t));
	assert_int_equal(tt_tw_count(tw), 0);
	assert_int_equal(tt_tw_advance(tw, 100000), 0);
	assert_int_equal(a.fires, 0);
	/* Arm, fire, and it is unarmed again. */
	tt_tw_arm(tw, &a.t, 150000);
	assert_int_equal(tt_tw_advance(tw, 149999), 0);
	assert_int_equal(tt_tw_advance(tw, 150000), 1);
	assert_int_equal(a.fires, 1);
	assert_int_equal(a.fired_at, 150000);
	assert_false(tt_timer_is_armed(&a.t));
	assert_int_equal(tt_tw_count(tw), 0);
	/* Time never goes back: an older now is taken as the current one. */
	tt_tw_arm(tw, &a.t, 150010);
	assert_int_equal(tt_tw_advance(tw, 1000), 0);
	assert_int_equal(tt_tw_now(tw), 150000);
	assert_true(tt_timer_is_armed(&a.t));
	assert_int_equal(tt_tw_advance(tw, 150010), 1);
	tt_tw_destroy(tw);
}

/*
 * Stepping 1 ns at a time, every timer fires at exactly its deadline, in
 * every position of a tick and across tick and level 1 boundaries.
 */
static void test_exact_fire_ns_steps(void **state)
{
	enum { N = 40 };
	struct rec r[N];
	unsigned int s, i;

	(void)state;
	for (s = 0; s < N_STARTS; s++) {
		tt_ns_t t0 = starts[s], now;
		struct tt_tw *tw = tt_tw_create(SHIFT, t0);

		for (i = 0; i < N; i++) {
			rec_init(&r[i]);
			/* offsets 1..~70 µs: both sides of level 0 / 1 boundaries */
			tt_tw_arm(tw, &r[i].t, t0 + 1 + i * 1777 + (i % 3));
		}
		/* bounded: a broken wheel fails here instead of hanging */
		for (now = t0; tt_tw_count(tw) > 0 && now - t0 < 100000; now++)
			tt_tw_advance(tw, now);
		assert_int_equal(tt_tw_count(tw), 0);
		for (i = 0; i < N; i++) {
			assert_int_equal(r[i].fires, 1);
			assert_int_equal(r[i].fired_at, tt_timer_deadline(&r[i].t));
		}
		tt_tw_destroy(tw);
	}
}

/*
 * Advanced once per granularity (steps of exactly g, and random steps <= g):
 * never early, and late by less than g.
 */
static void test_late_below_granularity(void **state)
{
	enum { N = 3000 };
	struct rec *r = calloc(N, sizeof(*r));
	unsigned int s, i, mode;

	(void)state;
	rng_state = 11;
	for (mode = 0; mode < 2; mode++) {
		for (s = 0; s < N_STARTS; s++) {
			tt_ns_t t0 = starts[s], now = t0;
			struct tt_tw *tw = tt_tw_create(SHIFT, t0);
			unsigned int fired = 0;

			for (i = 0; i < N; i++) {
				rec_init(&r[i]);
				tt_tw_arm(tw, &r[i].t, t0 + 1 + rng_below(20 * TT_NS_PER_MS));
			}
			while (tt_tw_count(tw) > 0 && now - t0 < 21 * TT_NS_PER_MS) {
				now += mode == 0 ? G : 1 + rng_below(G);
				fired += tt_tw_advance(tw, now);
			}
			assert_int_equal(fired, N);
			for (i = 0; i < N; i++) {
				tt_ns_t late = r[i].fired_at - tt_timer_deadline(&r[i].t);

				assert_int_equal(r[i].fires, 1);
				assert_true(late < G);
			}
			tt_tw_destroy(tw);
		}
	}
	free(r);
}

/*
 * Deadlines exactly on level boundaries (64^L ticks), one tick either side,
 * on the span boundary (2^36 ticks) and beyond it, seen from several
 * positions of the current tick. Each must not fire at deadline - 1 ns and
 * must fire at the deadline.
 */
static void test_cascade_boundaries(void **state)
{
	static const uint64_t offsets[] = {0, 1, 63, 64, 65, 4095, 4096, 262143, 12345678};
	uint64_t ticks[64];
	unsigned int nt = 0, l, o, s, i;

	(void)state;
	for (l = 1; l <= 6; l++) {
		uint64_t b = 1ull << (6 * l);

		ticks[nt++] = b - 1;
		ticks[nt++] = b;
		ticks[nt++] = b + 1;
		ticks[nt++] = 3 * b;
	}
	ticks[nt++] = (1ull << 40) + 5;	  /* 16 spans away: overflow */
	ticks[nt++] = (1ull << 37) - 1;	  /* just under two spans */
	ticks[nt++] = (1ull << 43) + 999; /* far overflow */

	for (s = 0; s < N_STARTS; s++) {
		for (o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
			/* g = 1 ns, so a tick count is a ns count. */
			struct tt_tw *tw = tt_tw_create(0, starts[s]);
			tt_ns_t base = starts[s] + offsets[o];
			struct rec r[64];
			tt_ns_t nd;

			tt_tw_advance(tw, base);
			for (i = 0; i < nt; i++) {
				rec_init(&r[i]);
				tt_tw_arm(tw, &r[i].t, base + ticks[i]);
			}
			assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
			assert_int_equal(nd, base + ticks[0]);
			/* Visit deadlines in time order: ticks[] is sorted per
			 * level but not overall, so pick the earliest each time. */
			for (;;) {
				int best = -1;

				for (i = 0; i < nt; i++)
					if (!r[i].fires && (best < 0 || ticks[i] < ticks[best]))
						best = (int)i;
				if (best < 0)
					break;
				assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
				assert_int_equal(nd, base + ticks[best]);
				assert_int_equal(tt_tw_advance(tw, base + ticks[best] - 1), 0);
				assert_int_equal(r[best].fires, 0);
				assert_int_equal(tt_tw_advance(tw, base + ticks[best]), 1);
				assert_int_equal(r[best].fires, 1);
				assert_int_equal(r[best].fired_at, base + ticks[best]);
			}
			assert_int_equal(tt_tw_count(tw), 0);
			tt_tw_destroy(tw);
		}
	}
}

/* A periodic timer re-arming itself, and arming a second timer. */
struct periodic {
	struct tt_timer t;
	tt_ns_t period;
	unsigned int fires;
	unsigned int late_max;
	struct rec *child;
	tt_ns_t child_delay;
	struct tt_tw *tw;
};

static void periodic_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct periodic *p = arg;
	tt_ns_t late = now - tt_timer_deadline(t);

	if (late > p->late_max)
		p->late_max = (unsigned int)late;
	p->fires++;
	/* Re-arm from the deadline, not from now, so the period does not drift. */
	tt_tw_arm(p->tw, t, tt_timer_deadline(t) + p->period);
	if (p->child)
		tt_tw_arm(p->tw, &p->child->t, now + p->child_delay);
}

static void test_arm_from_callback(void **state)
{
	unsigned int s;

	(void)state;
	for (s = 0; s < N_STARTS; s++) {
		tt_ns_t t0 = starts[s], now;
		struct tt_tw *tw = tt_tw_create(SHIFT, t0);
		struct periodic p = {.period = 10 * TT_NS_PER_US, .tw = tw};
		struct rec child;

		rec_init(&child);
		p.child = &child;
		p.child_delay = 3 * TT_NS_PER_US;
		tt_timer_init(&p.t, periodic_fn, &p);
		tt_tw_arm(tw, &p.t, t0 + p.period);
		/* 1 ms in 100 ns steps: 100 periods. */
		for (now = t0; now - t0 < TT_NS_PER_MS; now += 100)
			tt_tw_advance(tw, now);
		tt_tw_advance(tw, t0 + TT_NS_PER_MS);
		assert_int_equal(p.fires, 100);
		assert_int_equal(p.late_max, 0); /* 100 ns steps hit every deadline */
		assert_true(tt_timer_is_armed(&p.t));
		assert_int_equal(tt_timer_deadline(&p.t), t0 + 101 * p.period);
		/* The child fires 3 µs after each parent fire; the one armed by the
		 * 100th parent fire (at 1 ms) is still pending. */
		assert_int_equal(child.fires, 99);
		assert_true(tt_timer_is_armed(&child.t));
		assert_int_equal(child.fired_at, t0 + 99 * p.period + 3 * TT_NS_PER_US);
		tt_tw_destroy(tw);
	}
}

/* Two timers due in one tick that cancel each other: only one fires. */
struct pair {
	struct tt_timer t[2];
	unsigned int fires[2];
	struct tt_tw *tw;
};

static void pair_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct pair *p = arg;
	unsigned int me = t == &p->t[0] ? 0 : 1;

	(void)now;
	p->fires[me]++;
	assert_true(tt_tw_cancel(p->tw, &p->t[1 - me]));
}

static void test_cancel_same_tick(void **state)
{
	/* the two deadlines: equal; different in one tick (4096..5119); armed
	 * in the past (both wait on the due list); in two ticks due together */
	static const tt_ns_t d0[] = {5000, 5000, 5100, 5000};
	static const tt_ns_t d1[] = {5000, 5100, 0, 5900};
	unsigned int s, c;

	(void)state;
	for (s = 0; s < N_STARTS; s++) {
		for (c = 0; c < 4; c++) {
			tt_ns_t t0 = starts[s];
			struct tt_tw *tw = tt_tw_create(SHIFT, t0);
			struct pair p = {.tw = tw};

			tt_timer_init(&p.t[0], pair_fn, &p);
			tt_timer_init(&p.t[1], pair_fn, &p);
			if (c == 2) {
				tt_tw_advance(tw, t0 + 6000);
				tt_tw_arm(tw, &p.t[0], t0 + d0[c]);
				tt_tw_arm(tw, &p.t[1], t0 + d1[c]);
			} else {
				tt_tw_arm(tw, &p.t[0], t0 + d0[c]);
				tt_tw_arm(tw, &p.t[1], t0 + d1[c]);
			}
			assert_int_equal(tt_tw_advance(tw, t0 + 6000), 1);
			assert_int_equal(p.fires[0] + p.fires[1], 1);
			assert_int_equal(tt_tw_count(tw), 0);
			assert_false(tt_timer_is_armed(&p.t[0]));
			assert_false(tt_timer_is_armed(&p.t[1]));
			assert_int_equal(tt_tw_advance(tw, t0 + 1000000), 0);
			tt_tw_destroy(tw);
		}
	}
}

/* One timer whose callback cancels many others due in the same big jump. */
struct killer {
	struct tt_timer t;
	struct rec *victims;
	unsigned int n;
	struct tt_tw *tw;
};

static void killer_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct killer *k = arg;
	unsigned int i;

	(void)t;
	(void)now;
	for (i = 0; i < k->n; i++)
		tt_tw_cancel(k->tw, &k->victims[i].t);
}

static void test_cancel_from_callback_in_jump(void **state)
{
	enum { N = 200 };
	struct rec v[N];
	struct tt_tw *tw = tt_tw_create(SHIFT, 0);
	struct killer k = {.victims = v, .n = N, .tw = tw};
	unsigned int i;

	(void)state;
	tt_timer_init(&k.t, killer_fn, &k);
	/* The killer's tick comes first, so it fires before every victim
	 * (order inside one tick is unspecified; test_cancel_same_tick covers
	 * that case symmetrically). */
	tt_tw_arm(tw, &k.t, 9 * G + 5);
	for (i = 0; i < N; i++) {
		rec_init(&v[i]);
		/* half in the next tick, half far later, all due by the jump */
		tt_tw_arm(tw, &v[i].t, i % 2 ? 10 * G + i : 10 * G + 1000 * G + i * 77);
	}
	assert_int_equal(tt_tw_advance(tw, TT_NS_PER_S), 1);
	for (i = 0; i < N; i++)
		assert_int_equal(v[i].fires, 0);
	assert_int_equal(tt_tw_count(tw), 0);
	tt_tw_destroy(tw);
}

static void test_rearm_earlier_later(void **state)
{
	unsigned int s;

	(void)state;
	for (s = 0; s < N_STARTS; s++) {
		tt_ns_t t0 = starts[s];
		struct tt_tw *tw = tt_tw_create(SHIFT, t0);
		struct rec a, b;

		rec_init(&a);
		rec_init(&b);
		/* earlier: from level 3 down to level 0 */
		tt_tw_arm(tw, &a.t, t0 + 10 * TT_NS_PER_S);
		tt_tw_arm(tw, &a.t, t0 + 20 * TT_NS_PER_US);
		assert_int_equal(tt_tw_count(tw), 1);
		/* later: from level 0 up to beyond the span */
		tt_tw_arm(tw, &b.t, t0 + 20 * TT_NS_PER_US);
		tt_tw_arm(tw, &b.t, t0 + (1ull << 47));
		assert_int_equal(tt_tw_count(tw), 2);
		assert_int_equal(tt_tw_advance(tw, t0 + 20 * TT_NS_PER_US - 1), 0);
		assert_int_equal(tt_tw_advance(tw, t0 + 20 * TT_NS_PER_US), 1);
		assert_int_equal(a.fires, 1);
		assert_int_equal(b.fires, 0);
		assert_int_equal(tt_tw_advance(tw, t0 + 10 * TT_NS_PER_S), 0);
		assert_int_equal(a.fires, 1);
		assert_int_equal(tt_tw_advance(tw, t0 + (1ull << 47) - 1), 0);
		assert_int_equal(tt_tw_advance(tw, t0 + (1ull << 47)), 1);
		assert_int_equal(b.fires, 1);
		assert_int_equal(b.fired_at, t0 + (1ull << 47));
		tt_tw_destroy(tw);
	}
}

/*
 * Re-arming at the same future deadline (what a session does after about half
 * of its received packets) keeps one timer, fired once, at that deadline, at
 * every level; a cascade in between does not lose it.
 */
static void test_rearm_same_deadline(void **state)
{
	static const tt_ns_t far_ns[] = {20 * TT_NS_PER_US, 10 * TT_NS_PER_MS, 10 * TT_NS_PER_S};
	unsigned int s, k;

	(void)state;
	for (s = 0; s < N_STARTS; s++) {
		for (k = 0; k < 3; k++) {
			tt_ns_t t0 = starts[s], dl = t0 + far_ns[k], nd;
			struct tt_tw *tw = tt_tw_create(SHIFT, t0);
			struct rec a, b;

			rec_init(&a);
			rec_init(&b);
			tt_tw_arm(tw, &a.t, dl);
			tt_tw_arm(tw, &b.t, dl);
			tt_tw_arm(tw, &a.t, dl);
			assert_int_equal(tt_tw_count(tw), 2);
			/* Half way (after the cascades in between), the same again. */
			assert_int_equal(tt_tw_advance(tw, t0 + far_ns[k] / 2), 0);
			tt_tw_arm(tw, &a.t, dl);
			tt_tw_arm(tw, &b.t, dl);
			assert_int_equal(tt_tw_count(tw), 2);
			assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
			assert_true(nd == dl);
			assert_true(tt_timer_deadline(&a.t) == dl);
			assert_int_equal(tt_tw_advance(tw, dl - 1), 0);
			assert_int_equal(tt_tw_advance(tw, dl), 2);
			assert_int_equal(a.fires, 1);
			assert_int_equal(b.fires, 1);
			assert_true(a.fired_at == dl && b.fired_at == dl);
			assert_int_equal(tt_tw_count(tw), 0);
			assert_int_equal(tt_tw_advance(tw, dl + 10 * TT_NS_PER_S), 0);
			tt_tw_destroy(tw);
		}
	}
}

/* Re-arms itself in the past every time: must fire once per advance. */
static void past_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct tt_tw *tw = arg;

	tt_tw_arm(tw, t, now - 5);
}

static void test_arm_in_past(void **state)
{
	tt_ns_t t0 = starts[1];
	struct tt_tw *tw = tt_tw_create(SHIFT, t0);
	struct rec a, b;
	struct tt_timer self;
	tt_ns_t nd;
	unsigned int i;

	(void)state;
	tt_tw_advance(tw, t0 + 100000);
	rec_init(&a);
	rec_init(&b);
	tt_tw_arm(tw, &a.t, t0 + 99000);  /* past: never fires inside arm */
	tt_tw_arm(tw, &b.t, t0 + 100000); /* exactly now: also past */
	assert_int_equal(a.fires + b.fires, 0);
	assert_int_equal(tt_tw_count(tw), 2);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 99000);
	fire_seq = 0;
	assert_int_equal(tt_tw_advance(tw, t0 + 100000), 2); /* same now */
	assert_int_equal(a.fired_at, t0 + 100000);
	assert_int_equal(tt_tw_count(tw), 0);

	tt_timer_init(&self, past_fn, tw);
	tt_tw_arm(tw, &self, t0 + 100001);
	for (i = 1; i <= 5; i++)
		assert_int_equal(tt_tw_advance(tw, t0 + 100000 + i * 3 * G), 1);
	assert_true(tt_timer_is_armed(&self));
	assert_true(tt_tw_cancel(tw, &self));
	assert_int_equal(tt_tw_advance(tw, t0 + 200 * G), 0);
	tt_tw_destroy(tw);
}

/*
 * One advance skipping several rotations of level 0, 1 and 2, and several
 * spans of the whole wheel: everything due fires once, in tick order, none
 * early; everything else stays armed.
 */
static void test_large_jumps(void **state)
{
	enum { N = 4000 };
	struct rec *r = calloc(N, sizeof(*r));
	unsigned int *by_order = calloc(N, sizeof(*by_order));
	static const tt_ns_t jumps[] = {
		70 * G,		      /* > one level 0 rotation */
		5 * 4096 * G,	      /* several level 1 rotations */
		3 * 262144 * G,	      /* several level 2 rotations */
		3 * (1ull << 36) * G, /* three whole spans */
		20 * (1ull << 36) * G,
	};
	unsigned int s, j, i;

	(void)state;
	rng_state = 7;
	for (s = 0; s < N_STARTS; s++) {
		tt_ns_t t0 = starts[s], now = t0;
		struct tt_tw *tw = tt_tw_create(SHIFT, t0);
		unsigned int armed = N;

		for (i = 0; i < N; i++) {
			unsigned int bits = 10 + (unsigned int)rng_below(50);

			rec_init(&r[i]);
			tt_tw_arm(tw, &r[i].t, t0 + 1 + rng_below(1ull << bits));
		}
		for (j = 0; j < sizeof(jumps) / sizeof(jumps[0]); j++) {
			unsigned int expect = 0, got, n = 0;

			now += jumps[j];
			for (i = 0; i < N; i++)
				if (!r[i].fires && tt_time_reached(now, tt_timer_deadline(&r[i].t)))
					expect++;
			fire_seq = 0;
			got = tt_tw_advance(tw, now);
			assert_int_equal(got, expect);
			armed -= got;
			assert_int_equal(tt_tw_count(tw), armed);
			for (i = 0; i < N; i++) {
				assert_true(r[i].fires <= 1);
				assert_int_equal(r[i].fires == 1,
						 tt_time_reached(now, tt_timer_deadline(&r[i].t)));
				assert_int_equal(tt_timer_is_armed(&r[i].t), r[i].fires == 0);
				if (r[i].fires && r[i].fired_at == now) {
					assert_true(r[i].order < got);
					by_order[r[i].order] = i;
					n++;
				}
			}
			assert_int_equal(n, got);
			/* tick order across the fires of this call */
			for (i = 1; i < got; i++) {
				tt_ns_t prev = tt_timer_deadline(&r[by_order[i - 1]].t);
				tt_ns_t cur = tt_timer_deadline(&r[by_order[i]].t);

				assert_true((prev - t0) >> SHIFT <= (cur - t0) >> SHIFT);
			}
		}
		tt_tw_destroy(tw);
	}
	free(by_order);
	free(r);
}

static void test_next_deadline(void **state)
{
	tt_ns_t t0 = starts[1];
	struct tt_tw *tw = tt_tw_create(SHIFT, t0);
	struct rec a, b, c, d, e;
	tt_ns_t nd;

	(void)state;
	rec_init(&e);
	rec_init(&a);
	rec_init(&b);
	rec_init(&c);
	rec_init(&d);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), -ENOENT);
	/* Beyond the span only: overflow minimum. */
	tt_tw_arm(tw, &d.t, t0 + (1ull << 50));
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + (1ull << 50));
	/* Each level in turn becomes the earliest. */
	tt_tw_arm(tw, &c.t, t0 + 5 * TT_NS_PER_S);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 5 * TT_NS_PER_S);
	tt_tw_arm(tw, &b.t, t0 + 3 * TT_NS_PER_MS + 17);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 3 * TT_NS_PER_MS + 17);
	tt_tw_arm(tw, &a.t, t0 + 999);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 999);
	/* Cancelling the only timer of a slot empties it: exact again. */
	tt_tw_cancel(tw, &a.t);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 3 * TT_NS_PER_MS + 17);
	/* Cancelling the earliest of a slot that keeps another timer (both in
	 * tick 0) leaves a lower bound, never a later value... */
	tt_tw_arm(tw, &a.t, t0 + 999);
	tt_tw_arm(tw, &e.t, t0 + 1010);
	tt_tw_cancel(tw, &a.t);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 999);
	/* ...and advancing to that bound fires nothing and makes it exact. */
	assert_int_equal(tt_tw_advance(tw, nd), 0);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 1010);
	assert_int_equal(tt_tw_advance(tw, nd), 1);
	assert_int_equal(e.fires, 1);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 3 * TT_NS_PER_MS + 17);
	/* Re-arming the earliest later also leaves a lower bound (b is alone
	 * in its level 1 slot, c in a later one). */
	tt_tw_arm(tw, &b.t, t0 + 3 * TT_NS_PER_MS + 40);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 3 * TT_NS_PER_MS + 40);
	tt_tw_arm(tw, &a.t, t0 + 3 * TT_NS_PER_MS + 30);
	tt_tw_arm(tw, &a.t, t0 + 3 * TT_NS_PER_MS + 60);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 3 * TT_NS_PER_MS + 30);
	tt_tw_cancel(tw, &a.t);
	tt_tw_arm(tw, &b.t, t0 + 3 * TT_NS_PER_MS + 17);
	/* Partly elapsed tick: the not-yet-due timer keeps it exact. */
	tt_tw_arm(tw, &a.t, t0 + 3 * TT_NS_PER_MS + 5);
	assert_int_equal(tt_tw_advance(tw, t0 + 3 * TT_NS_PER_MS + 10), 1);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 3 * TT_NS_PER_MS + 17);
	assert_int_equal(tt_tw_advance(tw, nd), 1);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + 5 * TT_NS_PER_S);
	assert_int_equal(tt_tw_advance(tw, nd), 1);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, t0 + (1ull << 50));
	assert_int_equal(tt_tw_advance(tw, nd), 1);
	assert_int_equal(tt_tw_next_deadline(tw, &nd), -ENOENT);
	tt_tw_destroy(tw);
}

/*
 * Reference model. Random arms (past, near, far, beyond the span), re-arms,
 * cancels and advances (sub-tick to many spans); callbacks re-arm themselves
 * and cancel other timers. After every operation the wheel must agree with
 * the model: which timers fire, when, how many are armed, and the bound
 * given by next_deadline.
 */
enum { M_N = 600 };

struct m_timer {
	struct tt_timer t;
	bool armed;
	bool armed_past;	    /* armed with a deadline already reached */
	unsigned int armed_in_call; /* advance call number it was armed in, 0 if none */
	tt_ns_t deadline;
};

struct model {
	struct tt_tw *tw;
	struct m_timer tm[M_N];
	unsigned int armed;
	unsigned int call; /* current advance call number, 0 outside advance */
	unsigned int calls;
	tt_ns_t prev_now;
	unsigned int fired;
	bool cancels; /* false: no cancel or re-arm, so next_deadline is exact */
};

static struct model *M;

static tt_ns_t m_delta(bool allow_past)
{
	uint64_t r = rng_below(100);

	if (allow_past && r < 8)
		return (tt_ns_t)0 - rng_below(2 * TT_NS_PER_MS); /* past or now */
	if (r < 55)
		return 1 + rng_below(100 * TT_NS_PER_US);
	if (r < 85)
		return 1 + rng_below(30 * TT_NS_PER_S);
	if (r < 95)
		return 1 + rng_below(1ull << 45);
	return 1 + rng_below(1ull << 52); /* beyond the span (2^46 ns) */
}

static void m_arm(struct m_timer *mt, tt_ns_t deadline)
{
	tt_ns_t now = tt_tw_now(M->tw);

	if (!mt->armed)
		M->armed++;
	mt->armed = true;
	mt->deadline = deadline;
	mt->armed_past = tt_time_reached(now, deadline);
	mt->armed_in_call = M->call;
	tt_tw_arm(M->tw, &mt->t, deadline);
}

static void m_cancel(struct m_timer *mt)
{
	assert_int_equal(tt_tw_cancel(M->tw, &mt->t), mt->armed);
	if (mt->armed)
		M->armed--;
	mt->armed = false;
}

static void m_fn(struct tt_timer *t, tt_ns_t now, void *arg)
{
	struct m_timer *mt = arg;

	assert_ptr_equal(t, &mt->t);
	assert_true(M->call != 0);
	assert_true(mt->armed);
	assert_int_equal(tt_timer_deadline(t), mt->deadline);
	assert_true(tt_time_reached(now, mt->deadline)); /* never early */
	assert_true(mt->armed_in_call != M->call);	 /* not armed by this call */
	if (!mt->armed_past)
		/* not due at the previous call: fired by the first one reaching it */
		assert_true(tt_time_after(mt->deadline, M->prev_now));
	mt->armed = false;
	M->armed--;
	M->fired++;
	if (!M->cancels)
		return;
	if (rng_below(4) == 0)
		m_arm(mt, now + m_delta(true));
	if (rng_below(6) == 0)
		m_cancel(&M->tm[rng_below(M_N)]);
}

static void m_check(void)
{
	tt_ns_t nd, truth = 0;
	bool any = false;
	unsigned int i;

	assert_int_equal(tt_tw_count(M->tw), M->armed);
	for (i = 0; i < M_N; i++) {
		struct m_timer *mt = &M->tm[i];

		assert_int_equal(tt_timer_is_armed(&mt->t), mt->armed);
		if (mt->armed && (!any || tt_time_before(mt->deadline, truth))) {
			truth = mt->deadline;
			any = true;
		}
	}
	if (!any) {
		assert_int_equal(tt_tw_next_deadline(M->tw, &nd), -ENOENT);
		return;
	}
	assert_int_equal(tt_tw_next_deadline(M->tw, &nd), 0);
	if (M->cancels)
		assert_false(tt_time_after(nd, truth));
	else
		assert_int_equal(nd, truth);
}

static void m_advance(tt_ns_t now)
{
	unsigned int i, before = M->fired, got;

	M->call = ++M->calls;
	M->prev_now = tt_tw_now(M->tw);
	got = tt_tw_advance(M->tw, now);
	M->call = 0;
	assert_int_equal(got, M->fired - before);
	/* Complete: nothing armed before this call and due by now is left. */
	for (i = 0; i < M_N; i++) {
		struct m_timer *mt = &M->tm[i];

		if (mt->armed && mt->armed_in_call != M->calls)
			assert_false(tt_time_reached(now, mt->deadline));
	}
}

static void run_model(tt_ns_t t0, bool cancels, unsigned int ops)
{
	tt_ns_t now = t0;
	unsigned int i, op;

	M = calloc(1, sizeof(*M));
	M->tw = tt_tw_create(SHIFT, t0);
	M->cancels = cancels;
	for (i = 0; i < M_N; i++)
		tt_timer_init(&M->tm[i].t, m_fn, &M->tm[i]);
	for (op = 0; op < ops; op++) {
		uint64_t r = rng_below(100);
		struct m_timer *mt = &M->tm[rng_below(M_N)];

		if (r < 45) {
			if (cancels || !mt->armed)
				m_arm(mt, now + m_delta(true));
		} else if (r < 60) {
			if (cancels)
				m_cancel(mt);
		} else {
			uint64_t k = rng_below(100);
			tt_ns_t step;

			if (k < 70)
				step = rng_below(2 * G);
			else if (k < 90)
				step = rng_below(TT_NS_PER_MS);
			else if (k < 98)
				step = rng_below(100 * TT_NS_PER_S);
			else
				step = rng_below(1ull << 50);
			now += step;
			m_advance(now);
		}
		m_check();
	}
	/* Drain: jump past every deadline. */
	for (i = 0; i < 4 && M->armed; i++) {
		now += 1ull << 53;
		m_advance(now);
		m_check();
	}
	assert_true(M->fired > ops / 10);
	tt_tw_destroy(M->tw);
	free(M);
	M = NULL;
}

static void test_model_random(void **state)
{
	unsigned int s;

	(void)state;
	for (s = 0; s < N_STARTS; s++) {
		rng_state = 1234 + s;
		run_model(starts[s], true, 40000);
	}
}

static void test_model_exact_next_deadline(void **state)
{
	unsigned int s;

	(void)state;
	for (s = 0; s < N_STARTS; s++) {
		rng_state = 99 + s;
		run_model(starts[s], false, 20000);
	}
}

/* Starting right below UINT64_MAX, the clock wraps through 0 mid-test. */
static void test_wrap(void **state)
{
	tt_ns_t t0 = UINT64_MAX - 3 * G + 1;
	struct tt_tw *tw = tt_tw_create(SHIFT, t0);
	struct rec r[6];
	static const tt_ns_t at[] = {UINT64_MAX - 100, UINT64_MAX, 0, 1, 70 * G, 5 * TT_NS_PER_S};
	tt_ns_t now, nd;
	unsigned int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		rec_init(&r[i]);
		tt_tw_arm(tw, &r[i].t, at[i]);
	}
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, UINT64_MAX - 100);
	for (now = t0; tt_tw_count(tw) > 2 && now - t0 < 4 * G; now += 7)
		tt_tw_advance(tw, now);
	assert_int_equal(tt_tw_count(tw), 2);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r[i].fires, 1);
		assert_true(r[i].fired_at - at[i] < 7);
	}
	assert_int_equal(tt_tw_next_deadline(tw, &nd), 0);
	assert_int_equal(nd, 70 * G);
	assert_int_equal(tt_tw_advance(tw, 70 * G - 1), 0);
	assert_int_equal(tt_tw_advance(tw, 70 * G), 1);
	assert_int_equal(tt_tw_advance(tw, 5 * TT_NS_PER_S), 1);
	assert_int_equal(r[5].fired_at, 5 * TT_NS_PER_S);
	tt_tw_destroy(tw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_arm_cancel_state),
		cmocka_unit_test(test_exact_fire_ns_steps),
		cmocka_unit_test(test_late_below_granularity),
		cmocka_unit_test(test_cascade_boundaries),
		cmocka_unit_test(test_arm_from_callback),
		cmocka_unit_test(test_cancel_same_tick),
		cmocka_unit_test(test_cancel_from_callback_in_jump),
		cmocka_unit_test(test_rearm_earlier_later),
		cmocka_unit_test(test_arm_in_past),
		cmocka_unit_test(test_large_jumps),
		cmocka_unit_test(test_next_deadline),
		cmocka_unit_test(test_rearm_same_deadline),
		cmocka_unit_test(test_model_random),
		cmocka_unit_test(test_model_exact_next_deadline),
		cmocka_unit_test(test_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
