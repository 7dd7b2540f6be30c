/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded MPSC event queue: an array of cells, each with a sequence number
 * that says whose turn the cell is.
 *
 * For the cell at position pos (index pos & mask):
 *   seq == pos            free, waiting for the producer that claims pos
 *   seq == pos + 1        filled, waiting for the consumer at pos
 *   seq == pos + capacity emptied, free for the producer of the next lap
 *
 * Producers claim a position with a CAS on `head`, fill the cell and publish
 * it with a release store of seq; the consumer acquires seq, copies the event
 * and hands the cell to the next lap with another release store. Neither side
 * reads the other's index, so `head` and `tail` live on separate cache lines
 * and the only shared line per event is its cell.
 */
#include "evq.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tt_names.h"

#define EVQ_CACHE_LINE 64

struct evq_cell {
	_Atomic uint64_t seq;
	struct tt_evq_event ev;
};

struct tt_evq {
	/* Read-only after create. */
	_Alignas(EVQ_CACHE_LINE) uint64_t mask;
	uint32_t capacity;
	/* Next position producers claim; also the count of events accepted. */
	_Alignas(EVQ_CACHE_LINE) _Atomic uint64_t head;
	/* Next position the consumer reads; written by the consumer only. */
	_Alignas(EVQ_CACHE_LINE) _Atomic uint64_t tail;
	_Alignas(EVQ_CACHE_LINE) _Atomic uint64_t full;
	_Alignas(EVQ_CACHE_LINE) struct evq_cell cells[];
};

static const char *const type_names[] = {
#define TT_X(name, str) [TT_EVQ_EV_##name] = str,
	TT_EVQ_TYPES(TT_X)
#undef TT_X
};

const char *tt_evq_type_name(enum tt_evq_type type)
{
	return TT_NAME_AT(type_names, type, "?");
}

struct tt_evq *tt_evq_create(uint32_t capacity)
{
	struct tt_evq *q;
	size_t size;

	if (capacity < TT_EVQ_MIN_CAPACITY || capacity > TT_EVQ_MAX_CAPACITY ||
	    (capacity & (capacity - 1))) {
		errno = EINVAL;
		return NULL;
	}
	size = sizeof(*q) + (size_t)capacity * sizeof(struct evq_cell);
	/* aligned_alloc wants a multiple of the alignment. */
	size = (size + EVQ_CACHE_LINE - 1) & ~(size_t)(EVQ_CACHE_LINE - 1);
	q = aligned_alloc(EVQ_CACHE_LINE, size);
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	memset(q, 0, size);
	q->mask = capacity - 1;
	q->capacity = capacity;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	atomic_init(&q->full, 0);
	for (uint32_t i = 0; i < capacity; i++)
		atomic_init(&q->cells[i].seq, i);
	return q;
}

void tt_evq_destroy(struct tt_evq *q)
{
	free(q);
}

/*
 * Claim the next position whose cell is free for this lap, fill it, publish it.
 * Returns -ENOBUFS without claiming anything when the cell at head still holds
 * an event of the previous lap (the queue is full).
 */
int tt_evq_enqueue(struct tt_evq *q, const struct tt_evq_event *ev)
{
	uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
	struct evq_cell *cell;

	for (;;) {
		int64_t dif;

		cell = &q->cells[pos & q->mask];
		/* Acquire: pairs with the consumer's release, so our write of ev below
		 * cannot overtake its read of the previous lap's event. */
		dif = (int64_t)(atomic_load_explicit(&cell->seq, memory_order_acquire) - pos);
		if (dif == 0) {
			/* Free for pos: claim it. On failure pos is reloaded; retry. */
			if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			/* seq == pos - capacity + 1: last lap's event not consumed yet. */
			atomic_fetch_add_explicit(&q->full, 1, memory_order_relaxed);
			return -ENOBUFS;
		} else {
			/* Another producer claimed pos meanwhile. */
			pos = atomic_load_explicit(&q->head, memory_order_relaxed);
		}
	}
	cell->ev = *ev;
	atomic_store_explicit(&cell->seq, pos + 1, memory_order_release);
	return 0;
}

/*
 * Copy out filled cells in position order and hand each back for the next lap.
 * Stops at the first cell not yet published (empty, or a producer still filling it).
 */
unsigned tt_evq_dequeue_burst(struct tt_evq *q, struct tt_evq_event *out, unsigned n)
{
	uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	unsigned i;

	for (i = 0; i < n; i++, pos++) {
		struct evq_cell *cell = &q->cells[pos & q->mask];

		if (atomic_load_explicit(&cell->seq, memory_order_acquire) != pos + 1)
			break;
		out[i] = cell->ev;
		atomic_store_explicit(&cell->seq, pos + q->mask + 1, memory_order_release);
	}
	/* Only the consumer writes tail; the store is for count/stats readers. */
	atomic_store_explicit(&q->tail, pos, memory_order_relaxed);
	return i;
}

uint32_t tt_evq_count(struct tt_evq *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);

	/* Two loads, not one snapshot: head may be seen older than tail, hence the
	 * guard. A slot claimed but not yet published counts as posted. */
	return head > tail ? (uint32_t)(head - tail) : 0;
}

uint32_t tt_evq_capacity(const struct tt_evq *q)
{
	return q->capacity;
}

void tt_evq_stats_get(struct tt_evq *q, struct tt_evq_stats *out)
{
	out->dequeued = atomic_load_explicit(&q->tail, memory_order_relaxed);
	out->enqueued = atomic_load_explicit(&q->head, memory_order_relaxed);
	out->full = atomic_load_explicit(&q->full, memory_order_relaxed);
}
