/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Discrete-event network simulator: see netsim.h for the model.
 *
 * Every queued thing is an "event id" in one flat space:
 *   [0, P)          packet slot i in flight (a delivery),
 *   [P, P+N)        node i's single pending wake-up,
 *   [P+N, P+N+F)    scheduled fault i.
 * Each id has a key (instant, sequence) and its position in a binary min-heap
 * of ids, so a node's wake-up is moved in place instead of piling up stale
 * entries, and the heap never holds more than P+N+F entries. The sequence is
 * a counter taken when a key is set: equal instants run in the order they
 * were queued, which is what makes runs repeatable.
 */
#include "netsim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NOT_QUEUED UINT32_MAX

struct ns_node {
	struct tt_netsim_node_ops ops;
	void *ctx;
	tt_ns_t tick_ns;
	bool paused;
	/* receive ring while paused: a FIFO of pool slots linked through ns_slot.next */
	uint32_t ring_head;
	uint32_t ring_tail;
	uint32_t ring_len;
};

struct ns_link {
	uint32_t from;
	uint32_t to;
	struct tt_netsim_link_params p;
	bool cut;
	tt_ns_t fifo_ns; /* delivery instant of the last in-order copy */
	struct tt_netsim_link_stats st;
};

struct ns_fault {
	uint32_t kind;
	uint32_t target;
};

struct ns_slot {
	uint32_t link;
	uint32_t len;
	uint32_t next; /* next slot in a paused node's ring */
	bool ringed;   /* taken off the wire into a receive ring: cuts no longer apply */
};

struct ns_key {
	tt_ns_t at;
	uint64_t seq;
	uint32_t pos; /* index in heap[], or NOT_QUEUED */
};

struct tt_netsim {
	struct tt_netsim_limits lim;
	tt_ns_t now;
	uint64_t rng[4]; /* xoshiro256** state */
	uint64_t seq;
	uint64_t hash;
	uint64_t events;
	uint64_t stalls;

	uint32_t n_nodes;
	uint32_t n_links;
	uint32_t n_faults;
	uint32_t n_free;
	uint32_t heap_len;

	struct ns_node *nodes;
	struct ns_link *links;
	struct ns_fault *faults;
	struct ns_slot *slots;
	uint32_t *free_slots; /* stack of free slot indices */
	uint8_t *pool;	      /* pool_slots * slot_bytes */
	struct ns_key *keys;  /* indexed by event id */
	uint32_t *heap;	      /* event ids */
};

static const char *const fault_names[] = {
#define TT_X(name, str) str,
	TT_NETSIM_FAULTS(TT_X)
#undef TT_X
};

const char *tt_netsim_fault_name(unsigned int kind)
{
	return kind < TT_NETSIM_FAULT_MAX ? fault_names[kind] : "?";
}

/* ---- PRNG: the only source of randomness --------------------------------------------------- */

/* splitmix64: expands the one 64-bit seed into xoshiro's 256-bit state. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna): fast, 2^256-1 period, good in every bit. */
uint64_t tt_netsim_rand(struct tt_netsim *sim)
{
	uint64_t *s = sim->rng;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in [0, bound]: reject the short tail so that no value is favoured. */
uint64_t tt_netsim_rand_upto(struct tt_netsim *sim, uint64_t bound)
{
	uint64_t range, floor, r;

	if (bound == UINT64_MAX)
		return tt_netsim_rand(sim);
	range = bound + 1;
	floor = (0 - range) % range; /* 2^64 mod range */
	do {
		r = tt_netsim_rand(sim);
	} while (r < floor);
	return r % range;
}

/* True with probability ppm/10^6; draws nothing for 0, so a disabled feature leaves the stream
 * untouched. */
static bool chance(struct tt_netsim *sim, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	return tt_netsim_rand_upto(sim, TT_NETSIM_PPM - 1) < ppm;
}

/* ---- trace hash ---------------------------------------------------------------------------- */

static void hash_word(struct tt_netsim *sim, uint64_t v)
{
	sim->hash = (sim->hash ^ v) * 0x100000001b3ull;
	sim->hash ^= sim->hash >> 29;
}

static void hash_bytes(struct tt_netsim *sim, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sim->hash = (sim->hash ^ b[i]) * 0x100000001b3ull;
}

/* ---- event heap ---------------------------------------------------------------------------- */

static inline uint32_t id_wake(const struct tt_netsim *sim, uint32_t node)
{
	return sim->lim.pool_slots + node;
}

static inline uint32_t id_fault(const struct tt_netsim *sim, uint32_t fault)
{
	return sim->lim.pool_slots + sim->lim.max_nodes + fault;
}

static bool key_less(const struct tt_netsim *sim, uint32_t a, uint32_t b)
{
	const struct ns_key *ka = &sim->keys[a], *kb = &sim->keys[b];

	if (ka->at != kb->at)
		return tt_time_before(ka->at, kb->at);
	return ka->seq < kb->seq;
}

static void heap_set(struct tt_netsim *sim, uint32_t pos, uint32_t id)
{
	sim->heap[pos] = id;
	sim->keys[id].pos = pos;
}

static void sift_up(struct tt_netsim *sim, uint32_t pos)
{
	uint32_t id = sim->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (!key_less(sim, id, sim->heap[parent]))
			break;
		heap_set(sim, pos, sim->heap[parent]);
		pos = parent;
	}
	heap_set(sim, pos, id);
}

static void sift_down(struct tt_netsim *sim, uint32_t pos)
{
	uint32_t id = sim->heap[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= sim->heap_len)
			break;
		if (c + 1 < sim->heap_len && key_less(sim, sim->heap[c + 1], sim->heap[c]))
			c++;
		if (!key_less(sim, sim->heap[c], id))
			break;
		heap_set(sim, pos, sim->heap[c]);
		pos = c;
	}
	heap_set(sim, pos, id);
}

/* Queue id at instant at, or move it there if already queued. Takes a fresh sequence number. */
static void heap_put(struct tt_netsim *sim, uint32_t id, tt_ns_t at)
{
	struct ns_key *k = &sim->keys[id];

	k->at = at;
	k->seq = sim->seq++;
	if (k->pos == NOT_QUEUED) {
		heap_set(sim, sim->heap_len++, id);
		sift_up(sim, k->pos);
	} else {
		/* The key may have moved either way: one of the two sifts is a no-op. */
		sift_up(sim, k->pos);
		sift_down(sim, k->pos);
	}
}

static void heap_remove(struct tt_netsim *sim, uint32_t id)
{
	uint32_t pos = sim->keys[id].pos;
	uint32_t last;

	if (pos == NOT_QUEUED)
		return;
	sim->keys[id].pos = NOT_QUEUED;
	last = sim->heap[--sim->heap_len];
	if (pos == sim->heap_len)
		return;
	heap_set(sim, pos, last);
	sift_up(sim, pos);
	sift_down(sim, sim->keys[last].pos);
}

/* ---- create / destroy ---------------------------------------------------------------------- */

struct tt_netsim *tt_netsim_create(uint64_t seed, const struct tt_netsim_limits *lim)
{
	struct tt_netsim *sim;
	uint64_t ids;

	if (lim == NULL || lim->max_nodes == 0 || lim->max_links == 0 || lim->pool_slots == 0 ||
	    lim->slot_bytes == 0) {
		errno = EINVAL;
		return NULL;
	}
	/* Event ids and heap positions are 32-bit with one value reserved. */
	ids = (uint64_t)lim->pool_slots + lim->max_nodes + lim->max_faults;
	if (ids >= NOT_QUEUED || (uint64_t)lim->pool_slots * lim->slot_bytes > SIZE_MAX / 2) {
		errno = EINVAL;
		return NULL;
	}
	sim = calloc(1, sizeof(*sim));
	if (sim == NULL)
		return NULL;
	sim->lim = *lim;
	sim->nodes = calloc(lim->max_nodes, sizeof(*sim->nodes));
	sim->links = calloc(lim->max_links, sizeof(*sim->links));
	sim->faults = calloc(lim->max_faults ? lim->max_faults : 1, sizeof(*sim->faults));
	sim->slots = calloc(lim->pool_slots, sizeof(*sim->slots));
	sim->free_slots = calloc(lim->pool_slots, sizeof(*sim->free_slots));
	sim->pool = malloc((size_t)lim->pool_slots * lim->slot_bytes);
	sim->keys = calloc(ids, sizeof(*sim->keys));
	sim->heap = calloc(ids, sizeof(*sim->heap));
	if (sim->nodes == NULL || sim->links == NULL || sim->faults == NULL || sim->slots == NULL ||
	    sim->free_slots == NULL || sim->pool == NULL || sim->keys == NULL ||
	    sim->heap == NULL) {
		tt_netsim_destroy(sim);
		errno = ENOMEM;
		return NULL;
	}
	for (uint64_t i = 0; i < ids; i++)
		sim->keys[i].pos = NOT_QUEUED;
	/* Hand out low slots first: the stack holds them in reverse. */
	for (uint32_t i = 0; i < lim->pool_slots; i++)
		sim->free_slots[i] = lim->pool_slots - 1 - i;
	sim->n_free = lim->pool_slots;
	for (int i = 0; i < 4; i++)
		sim->rng[i] = splitmix64(&seed);
	sim->hash = 0xcbf29ce484222325ull;
	return sim;
}

void tt_netsim_destroy(struct tt_netsim *sim)
{
	if (sim == NULL)
		return;
	free(sim->nodes);
	free(sim->links);
	free(sim->faults);
	free(sim->slots);
	free(sim->free_slots);
	free(sim->pool);
	free(sim->keys);
	free(sim->heap);
	free(sim);
}

/* ---- nodes --------------------------------------------------------------------------------- */

/* Round t up to the node's timer grid: a wheel with granularity g fires a timer at the first
 * tick at or after its deadline. */
static tt_ns_t on_grid(const struct ns_node *n, tt_ns_t t)
{
	tt_ns_t r;

	if (n->tick_ns <= 1)
		return t;
	r = t % n->tick_ns;
	return r == 0 ? t : t + (n->tick_ns - r);
}

/*
 * Re-read the node's deadline and move its wake-up. A deadline already past is due now (on the
 * grid). If the node was just ticked at now and still asks for now, it would spin forever: that
 * is counted as a stall and the wake-up goes to the next grid instant instead.
 */
static void rearm(struct tt_netsim *sim, uint32_t node, bool just_ticked)
{
	struct ns_node *n = &sim->nodes[node];
	uint32_t id = id_wake(sim, node);
	tt_ns_t d;

	if (n->ops.next_deadline == NULL || n->paused) {
		heap_remove(sim, id);
		return;
	}
	d = n->ops.next_deadline(n->ctx);
	if (d == TT_NETSIM_NO_DEADLINE) {
		heap_remove(sim, id);
		return;
	}
	if (tt_time_before(d, sim->now))
		d = sim->now;
	d = on_grid(n, d);
	if (just_ticked && d == sim->now) {
		sim->stalls++;
		d = on_grid(n, sim->now + 1);
	}
	/* Unchanged: keep the old sequence so that re-reading is not a reordering. */
	if (sim->keys[id].pos != NOT_QUEUED && sim->keys[id].at == d)
		return;
	heap_put(sim, id, d);
}

int tt_netsim_add_node(struct tt_netsim *sim, const struct tt_netsim_node_ops *ops, void *ctx,
		       tt_ns_t tick_ns)
{
	uint32_t id;

	if (sim == NULL || ops == NULL || ops->rx == NULL)
		return -EINVAL;
	if (sim->n_nodes == sim->lim.max_nodes)
		return -ENOSPC;
	id = sim->n_nodes++;
	sim->nodes[id] = (struct ns_node){.ops = *ops, .ctx = ctx, .tick_ns = tick_ns};
	rearm(sim, id, false);
	return (int)id;
}

int tt_netsim_node_rearm(struct tt_netsim *sim, uint32_t node)
{
	if (sim == NULL || node >= sim->n_nodes)
		return -EINVAL;
	rearm(sim, node, false);
	return 0;
}

/* ---- links --------------------------------------------------------------------------------- */

static bool params_valid(const struct tt_netsim_link_params *p)
{
	return p != NULL && p->loss_ppm <= TT_NETSIM_PPM && p->dup_ppm <= TT_NETSIM_PPM &&
	       p->reorder_ppm <= TT_NETSIM_PPM && (p->reorder_ppm == 0 || p->reorder_ns > 0);
}

int tt_netsim_add_link(struct tt_netsim *sim, uint32_t from, uint32_t to,
		       const struct tt_netsim_link_params *params)
{
	const struct tt_netsim_link_params *p = params;
	uint32_t id;

	if (sim == NULL || p == NULL || from >= sim->n_nodes || to >= sim->n_nodes)
		return -EINVAL;
	if (!params_valid(p))
		return -EINVAL;
	if (sim->n_links == sim->lim.max_links)
		return -ENOSPC;
	id = sim->n_links++;
	sim->links[id] = (struct ns_link){.from = from, .to = to, .p = *p};
	return (int)id;
}

bool tt_netsim_link_is_cut(const struct tt_netsim *sim, uint32_t link)
{
	return link < sim->n_links && sim->links[link].cut;
}

bool tt_netsim_node_is_paused(const struct tt_netsim *sim, uint32_t node)
{
	return node < sim->n_nodes && sim->nodes[node].paused;
}

uint32_t tt_netsim_node_held(const struct tt_netsim *sim, uint32_t node)
{
	return node < sim->n_nodes ? sim->nodes[node].ring_len : 0;
}

int tt_netsim_set_link_params(struct tt_netsim *sim, uint32_t link,
			      const struct tt_netsim_link_params *params)
{
	if (sim == NULL || link >= sim->n_links || !params_valid(params))
		return -EINVAL;
	sim->links[link].p = *params;
	return 0;
}

int tt_netsim_link_params(const struct tt_netsim *sim, uint32_t link,
			  struct tt_netsim_link_params *out)
{
	if (sim == NULL || out == NULL || link >= sim->n_links)
		return -EINVAL;
	*out = sim->links[link].p;
	return 0;
}

int tt_netsim_link_stats(const struct tt_netsim *sim, uint32_t link,
			 struct tt_netsim_link_stats *out)
{
	if (sim == NULL || out == NULL || link >= sim->n_links)
		return -EINVAL;
	*out = sim->links[link].st;
	return 0;
}

/* Put one copy in flight: take a slot, draw its delivery instant, queue it. */
static int send_copy(struct tt_netsim *sim, uint32_t link, const uint8_t *bytes, size_t len,
		     tt_ns_t now)
{
	struct ns_link *l = &sim->links[link];
	tt_ns_t at = now + l->p.delay_ns;
	uint32_t slot;

	if (sim->n_free == 0) {
		l->st.pool_overflow++;
		return 0;
	}
	slot = sim->free_slots[--sim->n_free];
	sim->slots[slot] = (struct ns_slot){.link = link, .len = (uint32_t)len, .next = NOT_QUEUED};
	memcpy(sim->pool + (size_t)slot * sim->lim.slot_bytes, bytes, len);

	if (l->p.jitter_ns > 0)
		at += tt_netsim_rand_upto(sim, l->p.jitter_ns);
	if (chance(sim, l->p.reorder_ppm)) {
		/* Held back and out of the FIFO: later copies may pass it. */
		at += 1 + tt_netsim_rand_upto(sim, l->p.reorder_ns - 1);
		l->st.reordered++;
	} else {
		/* A FIFO wire: never overtake the previous in-order copy. */
		if (tt_time_before(at, l->fifo_ns))
			at = l->fifo_ns;
		l->fifo_ns = at;
	}
	heap_put(sim, slot, at);
	return 1;
}

int tt_netsim_send(struct tt_netsim *sim, uint32_t link, const uint8_t *bytes, size_t len,
		   tt_ns_t now)
{
	struct ns_link *l;
	int queued;

	if (sim == NULL || link >= sim->n_links || (bytes == NULL && len > 0) ||
	    tt_time_before(now, sim->now))
		return -EINVAL;
	if (len > sim->lim.slot_bytes)
		return -EMSGSIZE;
	l = &sim->links[link];
	l->st.sent++;
	if (l->cut) {
		l->st.dropped_cut++;
		return 0;
	}
	if (chance(sim, l->p.loss_ppm)) {
		l->st.lost++;
		return 0;
	}
	queued = send_copy(sim, link, bytes, len, now);
	if (chance(sim, l->p.dup_ppm)) {
		l->st.dup++;
		queued += send_copy(sim, link, bytes, len, now);
	}
	return queued;
}

/* ---- faults -------------------------------------------------------------------------------- */

static bool fault_on_node(enum tt_netsim_fault_kind kind)
{
	return kind == TT_NETSIM_FAULT_NODE_PAUSE || kind == TT_NETSIM_FAULT_NODE_RESUME;
}

/* SIGSTOP: no more wake-ups; deliveries go to the ring from now on (tt_netsim_step). */
static void node_pause(struct tt_netsim *sim, uint32_t node)
{
	sim->nodes[node].paused = true;
	heap_remove(sim, id_wake(sim, node));
}

/*
 * SIGCONT: the ring's packets are queued for delivery at now, oldest first, and the node's
 * wake-up after them, so that the resumed node reads its RX burst before its timers run (the
 * lcore loop's order: RX, then timers).
 */
static void node_resume(struct tt_netsim *sim, uint32_t node)
{
	struct ns_node *n = &sim->nodes[node];

	if (!n->paused)
		return;
	n->paused = false;
	while (n->ring_len > 0) {
		uint32_t slot = n->ring_head;

		n->ring_head = sim->slots[slot].next;
		n->ring_len--;
		heap_put(sim, slot, sim->now);
	}
	rearm(sim, node, false);
}

int tt_netsim_schedule_fault(struct tt_netsim *sim, tt_ns_t at_ns, enum tt_netsim_fault_kind kind,
			     uint32_t target)
{
	uint32_t f;

	if (sim == NULL || (unsigned int)kind >= TT_NETSIM_FAULT_MAX ||
	    target >= (fault_on_node(kind) ? sim->n_nodes : sim->n_links) ||
	    tt_time_before(at_ns, sim->now))
		return -EINVAL;
	if (sim->n_faults == sim->lim.max_faults)
		return -ENOSPC;
	f = sim->n_faults++;
	sim->faults[f] = (struct ns_fault){.kind = kind, .target = target};
	heap_put(sim, id_fault(sim, f), at_ns);
	return 0;
}

static void apply_fault(struct tt_netsim *sim, const struct ns_fault *f)
{
	switch ((enum tt_netsim_fault_kind)f->kind) {
	case TT_NETSIM_FAULT_LINK_CUT:
		sim->links[f->target].cut = true;
		break;
	case TT_NETSIM_FAULT_LINK_RESTORE:
		sim->links[f->target].cut = false;
		break;
	case TT_NETSIM_FAULT_NODE_PAUSE:
		node_pause(sim, f->target);
		break;
	case TT_NETSIM_FAULT_NODE_RESUME:
		node_resume(sim, f->target);
		break;
	case TT_NETSIM_FAULT_MAX:
		break;
	}
}

/* ---- running ------------------------------------------------------------------------------- */

/*
 * A copy reached a paused node: keep it in the node's ring if there is room (the slot stays
 * taken), else drop it. @return true if kept.
 */
static bool ring_hold(struct tt_netsim *sim, uint32_t slot)
{
	struct ns_slot *s = &sim->slots[slot];
	struct ns_link *l = &sim->links[s->link];
	struct ns_node *n = &sim->nodes[l->to];

	if (n->ring_len >= sim->lim.pause_ring) {
		l->st.dropped_paused++;
		hash_word(sim, 0x600000000ull | s->link);
		return false;
	}
	s->ringed = true;
	s->next = NOT_QUEUED;
	if (n->ring_len++ == 0)
		n->ring_head = slot;
	else
		sim->slots[n->ring_tail].next = slot;
	n->ring_tail = slot;
	l->st.held_paused++;
	hash_word(sim, 0x500000000ull | s->link);
	return true;
}

/*
 * Run the earliest event. A delivery to a cut link is dropped (a partition loses what is on the
 * wire too) unless the copy was already in a receive ring; a delivery to a paused node goes to
 * its ring; otherwise the receiver's rx runs with the bytes still in the slot, which is freed
 * only afterwards so that sends from inside rx cannot overwrite them.
 */
int tt_netsim_step(struct tt_netsim *sim)
{
	uint32_t id, P = sim->lim.pool_slots, N = sim->lim.max_nodes;

	if (sim->heap_len == 0)
		return 0;
	id = sim->heap[0];
	heap_remove(sim, id);
	sim->now = sim->keys[id].at;
	sim->events++;
	hash_word(sim, sim->now);

	if (id < P) {
		struct ns_slot *s = &sim->slots[id];
		struct ns_link *l = &sim->links[s->link];
		const uint8_t *bytes = sim->pool + (size_t)id * sim->lim.slot_bytes;
		bool deliver = s->ringed || !l->cut;

		if (deliver && sim->nodes[l->to].paused) {
			if (ring_hold(sim, id))
				return 1;
			sim->free_slots[sim->n_free++] = id;
			return 1;
		}
		if (deliver) {
			l->st.delivered++;
			hash_word(sim, 0x100000000ull | s->link);
			hash_bytes(sim, bytes, s->len);
			sim->nodes[l->to].ops.rx(sim->nodes[l->to].ctx, s->link, bytes, s->len,
						 sim->now);
		} else {
			l->st.dropped_cut++;
			hash_word(sim, 0x200000000ull | s->link);
		}
		sim->free_slots[sim->n_free++] = id;
		if (deliver)
			rearm(sim, l->to, false);
	} else if (id < P + N) {
		uint32_t node = id - P;
		struct ns_node *n = &sim->nodes[node];

		hash_word(sim, 0x300000000ull | node);
		if (n->ops.tick != NULL)
			n->ops.tick(n->ctx, sim->now);
		rearm(sim, node, true);
	} else {
		struct ns_fault *f = &sim->faults[id - P - N];

		hash_word(sim, 0x400000000ull | ((uint64_t)f->kind << 24) | f->target);
		apply_fault(sim, f);
	}
	return 1;
}

int64_t tt_netsim_run_until(struct tt_netsim *sim, tt_ns_t t)
{
	int64_t n = 0;

	if (sim == NULL || tt_time_before(t, sim->now))
		return -EINVAL;
	while (sim->heap_len > 0 && !tt_time_after(sim->keys[sim->heap[0]].at, t))
		n += tt_netsim_step(sim);
	sim->now = t;
	return n;
}

tt_ns_t tt_netsim_now(const struct tt_netsim *sim)
{
	return sim->now;
}

tt_ns_t tt_netsim_next_event(const struct tt_netsim *sim)
{
	return sim->heap_len ? sim->keys[sim->heap[0]].at : TT_NETSIM_NO_DEADLINE;
}

uint64_t tt_netsim_trace_hash(const struct tt_netsim *sim)
{
	return sim->hash;
}

uint64_t tt_netsim_events(const struct tt_netsim *sim)
{
	return sim->events;
}

uint64_t tt_netsim_stalls(const struct tt_netsim *sim)
{
	return sim->stalls;
}
