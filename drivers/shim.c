/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "shim.h"
#include "tt_names.h"
#include "tt_rand.h"

/*
 * Per-flow state. The fault parameters are written by the control thread
 * and read by the owning lcore (relaxed atomics); `fault` is the control
 * thread's own copy for tt_shim_get(). `held`, `held_until` are the
 * lcore's. Counters have a single writer (the lcore) and are read by
 * anyone, hence atomics updated with a plain load/store pair, no lock.
 */
struct tt_shim_flow {
	atomic_bool active;
	atomic_bool cut;
	/* Probabilities as thresholds on a 32-bit draw: p = thr / 2^32. */
	_Atomic uint64_t drop_thr;
	_Atomic uint64_t dup_thr;
	_Atomic uint64_t reorder_thr;
	_Atomic uint64_t hold_ns;
	_Atomic uint64_t delay_ns;
	_Atomic uint64_t jitter_ns;
	struct rte_mbuf *held;
	tt_ns_t held_until;
	_Atomic uint64_t ctr[TT_SHIM_CTR_MAX];
	struct tt_shim_fault fault;
};

/* One delay queue entry. */
struct tt_shim_slot {
	tt_ns_t release;
	uint64_t seq;
	struct rte_mbuf *m;
	uint16_t flow;
};

static const char *const ctr_names[] = {
#define TT_SHIM_CTR_NAME(name, str) [TT_SHIM_CTR_##name] = str,
	TT_SHIM_CTR_LIST(TT_SHIM_CTR_NAME)
#undef TT_SHIM_CTR_NAME
};

const char *tt_shim_ctr_name(enum tt_shim_ctr ctr)
{
	return TT_NAME_AT(ctr_names, ctr, "?");
}

static void ctr_inc(struct tt_shim_flow *f, enum tt_shim_ctr c)
{
	uint64_t v = atomic_load_explicit(&f->ctr[c], memory_order_relaxed);

	atomic_store_explicit(&f->ctr[c], v + 1, memory_order_relaxed);
}

/* No draw when the probability is 0, so unrelated stages keep their sequence. */
static bool chance(struct tt_shim *s, uint64_t thr)
{
	if (thr == 0)
		return false;
	return (tt_rand_next(&s->rng) >> 32) < thr;
}

/* Uniform in [0, range) by multiply-high: no division on the packet path. */
static uint64_t rand_below(struct tt_shim *s, uint64_t range)
{
	__extension__ typedef unsigned __int128 u128;

	return (uint64_t)(((u128)tt_rand_next(&s->rng) * range) >> 64);
}

static uint64_t ppm_to_thr(uint32_t ppm)
{
	return ((uint64_t)ppm << 32) / TT_SHIM_PPM_MAX;
}

static bool slot_before(const struct tt_shim_slot *a, const struct tt_shim_slot *b)
{
	if (a->release != b->release)
		return tt_time_before(a->release, b->release);
	return a->seq < b->seq;
}

static bool heap_push(struct tt_shim *s, tt_ns_t release, struct rte_mbuf *m, uint16_t flow)
{
	struct tt_shim_slot slot = {.release = release, .seq = s->seq++, .m = m, .flow = flow};
	uint32_t i, parent;

	if (s->heap_len == s->heap_cap)
		return false;
	i = s->heap_len++;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!slot_before(&slot, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = slot;
	return true;
}

static struct tt_shim_slot heap_pop(struct tt_shim *s)
{
	struct tt_shim_slot top = s->heap[0];
	struct tt_shim_slot last = s->heap[--s->heap_len];
	uint32_t i = 0, child;

	while ((child = 2 * i + 1) < s->heap_len) {
		if (child + 1 < s->heap_len && slot_before(&s->heap[child + 1], &s->heap[child]))
			child++;
		if (!slot_before(&s->heap[child], &last))
			break;
		s->heap[i] = s->heap[child];
		i = child;
	}
	if (s->heap_len > 0)
		s->heap[i] = last;
	return top;
}

struct tt_shim *tt_shim_create(const struct tt_shim_conf *conf)
{
	struct tt_shim *s;

	if (conf == NULL || conf->nb_flows == 0 || conf->delay_cap == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = rte_zmalloc_socket("tt_shim", sizeof(*s), RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (s == NULL)
		goto nomem;
	s->flows = rte_zmalloc_socket("tt_shim_flows", sizeof(*s->flows) * conf->nb_flows,
				      RTE_CACHE_LINE_SIZE, conf->socket_id);
	s->heap = rte_zmalloc_socket("tt_shim_heap", sizeof(*s->heap) * conf->delay_cap,
				     RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (s->flows == NULL || s->heap == NULL)
		goto nomem;
	atomic_init(&s->nactive, 0);
	s->nb_flows = conf->nb_flows;
	s->heap_cap = conf->delay_cap;
	s->rng = conf->seed;
	s->dup_pool = conf->dup_pool;
	return s;

nomem:
	if (s != NULL) {
		rte_free(s->flows);
		rte_free(s->heap);
		rte_free(s);
	}
	rte_errno = ENOMEM;
	return NULL;
}

void tt_shim_destroy(struct tt_shim *s)
{
	uint16_t f;

	if (s == NULL)
		return;
	while (s->heap_len > 0)
		rte_pktmbuf_free(heap_pop(s).m);
	for (f = 0; f < s->nb_flows; f++)
		rte_pktmbuf_free(s->flows[f].held);
	rte_free(s->flows);
	rte_free(s->heap);
	rte_free(s);
}

static bool fault_any(const struct tt_shim_fault *f)
{
	return f->cut || f->drop_ppm != 0 || f->dup_ppm != 0 || f->reorder_ppm != 0 ||
	       f->delay_ns != 0 || f->jitter_ns != 0;
}

/*
 * Parameters are stored before the flow is marked active (release), and the
 * flow is marked inactive before the count drops, so that the lcore never
 * applies a half-cleared fault as if it were new. The hold time only
 * matters with a reorder probability, so it alone does not activate a flow.
 */
int tt_shim_set(struct tt_shim *s, uint16_t flow, const struct tt_shim_fault *fault)
{
	static const struct tt_shim_fault none;
	struct tt_shim_flow *f;
	bool was, now_active;

	if (fault == NULL)
		fault = &none;
	if (flow >= s->nb_flows || fault->drop_ppm > TT_SHIM_PPM_MAX ||
	    fault->dup_ppm > TT_SHIM_PPM_MAX || fault->reorder_ppm > TT_SHIM_PPM_MAX)
		return -EINVAL;
	f = &s->flows[flow];
	was = atomic_load_explicit(&f->active, memory_order_relaxed);
	now_active = fault_any(fault);
	if (was && !now_active) {
		atomic_store_explicit(&f->active, false, memory_order_release);
		atomic_fetch_sub_explicit(&s->nactive, 1, memory_order_release);
	}
	atomic_store_explicit(&f->cut, fault->cut, memory_order_relaxed);
	atomic_store_explicit(&f->drop_thr, ppm_to_thr(fault->drop_ppm), memory_order_relaxed);
	atomic_store_explicit(&f->dup_thr, ppm_to_thr(fault->dup_ppm), memory_order_relaxed);
	atomic_store_explicit(&f->reorder_thr, ppm_to_thr(fault->reorder_ppm),
			      memory_order_relaxed);
	atomic_store_explicit(&f->hold_ns, fault->reorder_hold_ns, memory_order_relaxed);
	atomic_store_explicit(&f->delay_ns, fault->delay_ns, memory_order_relaxed);
	atomic_store_explicit(&f->jitter_ns, fault->jitter_ns, memory_order_relaxed);
	f->fault = *fault;
	if (!was && now_active) {
		atomic_store_explicit(&f->active, true, memory_order_release);
		atomic_fetch_add_explicit(&s->nactive, 1, memory_order_release);
	}
	return 0;
}

int tt_shim_get(const struct tt_shim *s, uint16_t flow, struct tt_shim_fault *fault)
{
	if (flow >= s->nb_flows)
		return -EINVAL;
	*fault = s->flows[flow].fault;
	return 0;
}

int tt_shim_stats_get(const struct tt_shim *s, uint16_t flow, uint64_t ctr[TT_SHIM_CTR_MAX])
{
	unsigned int c;

	if (flow >= s->nb_flows)
		return -EINVAL;
	for (c = 0; c < TT_SHIM_CTR_MAX; c++)
		ctr[c] = atomic_load_explicit(&s->flows[flow].ctr[c], memory_order_relaxed);
	return 0;
}

/* Last stage: into the delay queue if the flow has a delay, else out now. */
static unsigned int stage_delay(struct tt_shim *s, struct tt_shim_flow *f, uint16_t flow,
				struct rte_mbuf *m, tt_ns_t now, struct rte_mbuf **out,
				unsigned int k)
{
	uint64_t delay = atomic_load_explicit(&f->delay_ns, memory_order_relaxed);
	uint64_t jitter = atomic_load_explicit(&f->jitter_ns, memory_order_relaxed);

	if (delay == 0 && jitter == 0) {
		out[k++] = m;
		return k;
	}
	if (jitter != 0)
		delay += rand_below(s, jitter + 1);
	if (heap_push(s, now + delay, m, flow)) {
		ctr_inc(f, TT_SHIM_CTR_DELAYED);
	} else {
		rte_pktmbuf_free(m);
		ctr_inc(f, TT_SHIM_CTR_DELAY_FULL);
	}
	return k;
}

/*
 * Reorder: a packet may be held (one per flow) until the next packet of the
 * flow has gone, then it follows that packet. Either way what leaves goes
 * through the delay stage.
 */
static unsigned int stage_reorder(struct tt_shim *s, struct tt_shim_flow *f, uint16_t flow,
				  struct rte_mbuf *m, tt_ns_t now, struct rte_mbuf **out,
				  unsigned int k)
{
	struct rte_mbuf *held;

	if (f->held == NULL &&
	    chance(s, atomic_load_explicit(&f->reorder_thr, memory_order_relaxed))) {
		f->held = m;
		f->held_until = now + atomic_load_explicit(&f->hold_ns, memory_order_relaxed);
		s->nheld++;
		ctr_inc(f, TT_SHIM_CTR_REORDERED);
		return k;
	}
	k = stage_delay(s, f, flow, m, now, out, k);
	if (f->held != NULL) {
		held = f->held;
		f->held = NULL;
		s->nheld--;
		k = stage_delay(s, f, flow, held, now, out, k);
	}
	return k;
}

/*
 * Outputs at most: the packet, the held one behind it, and the duplicate
 * (which, the hold slot being free again, may itself be held instead):
 * TT_SHIM_TX_OUT_MAX = 3.
 */
unsigned int tt_shim_tx_slow(struct tt_shim *s, uint16_t flow, struct rte_mbuf *m, tt_ns_t now,
			     struct rte_mbuf *out[TT_SHIM_TX_OUT_MAX])
{
	struct rte_mbuf *dup = NULL;
	struct tt_shim_flow *f;
	unsigned int k;

	if (flow >= s->nb_flows ||
	    !atomic_load_explicit(&s->flows[flow].active, memory_order_acquire)) {
		out[0] = m;
		return 1;
	}
	f = &s->flows[flow];
	if (atomic_load_explicit(&f->cut, memory_order_relaxed)) {
		rte_pktmbuf_free(m);
		ctr_inc(f, TT_SHIM_CTR_CUT);
		return 0;
	}
	if (chance(s, atomic_load_explicit(&f->drop_thr, memory_order_relaxed))) {
		rte_pktmbuf_free(m);
		ctr_inc(f, TT_SHIM_CTR_DROPPED);
		return 0;
	}
	if (chance(s, atomic_load_explicit(&f->dup_thr, memory_order_relaxed))) {
		/*
		 * A deep copy, not a clone: the receiver may rewrite a frame in
		 * place, which must not change its twin.
		 */
		dup = rte_pktmbuf_copy(m, s->dup_pool != NULL ? s->dup_pool : m->pool, 0,
				       UINT32_MAX);
		ctr_inc(f, dup != NULL ? TT_SHIM_CTR_DUPLICATED : TT_SHIM_CTR_DUP_FAILED);
	}
	k = stage_reorder(s, f, flow, m, now, out, 0);
	if (dup != NULL)
		k = stage_reorder(s, f, flow, dup, now, out, k);
	return k;
}

/*
 * A held packet whose hold ran out goes through the delay stage like any
 * other; without a delay it needs a slot in `out`, and waits for the next
 * poll if there is none.
 */
static uint16_t release_held(struct tt_shim *s, tt_ns_t now, struct rte_mbuf **out, uint16_t cap)
{
	unsigned int k = 0;
	uint32_t unseen = s->nheld; /* the scan ends at the last flow holding a packet */
	uint16_t flow;

	for (flow = 0; flow < s->nb_flows && unseen > 0; flow++) {
		struct tt_shim_flow *f = &s->flows[flow];
		struct rte_mbuf *m = f->held;
		bool delayed;

		if (m == NULL)
			continue;
		unseen--;
		if (!tt_time_reached(now, f->held_until))
			continue;
		delayed = atomic_load_explicit(&f->delay_ns, memory_order_relaxed) != 0 ||
			  atomic_load_explicit(&f->jitter_ns, memory_order_relaxed) != 0;
		if (!delayed && k == cap)
			break;
		f->held = NULL;
		s->nheld--;
		ctr_inc(f, TT_SHIM_CTR_HOLD_EXPIRED);
		k = stage_delay(s, f, flow, m, now, out, k);
	}
	return (uint16_t)k;
}

uint16_t tt_shim_poll(struct tt_shim *s, tt_ns_t now, struct rte_mbuf **out, uint16_t cap)
{
	uint16_t k = 0;
	struct tt_shim_slot slot;

	if (s->nheld == 0 && s->heap_len == 0)
		return 0;
	if (s->nheld > 0)
		k = release_held(s, now, out, cap);
	while (k < cap && s->heap_len > 0 && tt_time_reached(now, s->heap[0].release)) {
		slot = heap_pop(s);
		ctr_inc(&s->flows[slot.flow], TT_SHIM_CTR_RELEASED);
		out[k++] = slot.m;
	}
	return k;
}

bool tt_shim_next_deadline(const struct tt_shim *s, tt_ns_t *deadline)
{
	bool any = false;
	tt_ns_t d = 0;
	uint32_t unseen = s->nheld;
	uint16_t flow;

	if (s->heap_len > 0) {
		d = s->heap[0].release;
		any = true;
	}
	for (flow = 0; flow < s->nb_flows && unseen > 0; flow++) {
		const struct tt_shim_flow *f = &s->flows[flow];

		if (f->held == NULL)
			continue;
		unseen--;
		d = any ? tt_time_min(d, f->held_until) : f->held_until;
		any = true;
	}
	if (any)
		*deadline = d;
	return any;
}

unsigned int tt_shim_pending(const struct tt_shim *s)
{
	return s->heap_len + s->nheld;
}
