/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The master journal's write path: behaviour and promises in
 * journal_writer.h.
 *
 * The queue is a ring of whole records indexed by two free-running 64-bit
 * counters: tail (the producer's, published with release after the slot is
 * filled) and head (the writer's, published with release after the record is
 * in the file, so that the producer never overwrites a slot being written).
 * Ticket k is the record at counter k - 1.
 */

#include "journal_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tt_jwriter {
	struct tt_jwriter_config cfg;
	struct tt_jrnl_rec *ring;
	uint64_t mask;
	/* producer side */
	_Atomic uint64_t tail;
	/* writer side */
	_Atomic uint64_t head;
	uint64_t last_ticket; /* last ticket written (or skipped as invalid) */
	uint64_t last_seq;    /* the file sequence number of the last record written */
	_Atomic uint64_t done;
	atomic_bool failed;
	/* thread */
	pthread_t thread;
	bool running;
	atomic_bool stop;
	int finish_rc;	      /* the thread's last finish(), read after the join */
	atomic_bool sync_req; /* tt_jwriter_flush(): fsync at the next pass, whatever the policy */
	/* counters */
	_Atomic uint64_t full;
	_Atomic uint64_t written;
	_Atomic uint64_t invalid;
	_Atomic uint64_t write_retries;
	_Atomic uint64_t max_depth;
	_Atomic uint64_t passes;
};

static uint64_t ld(const _Atomic uint64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void add(_Atomic uint64_t *a, uint64_t v)
{
	atomic_fetch_add_explicit(a, v, memory_order_relaxed);
}

struct tt_jwriter *tt_jwriter_create(const struct tt_jwriter_config *cfg)
{
	struct tt_jwriter *w;
	uint64_t cap = 2;

	if (cfg == NULL || cfg->jf == NULL || cfg->capacity < 2 ||
	    cfg->capacity > TT_JWRITER_MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	while (cap < cfg->capacity)
		cap <<= 1;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->ring = calloc(cap, sizeof(*w->ring));
	if (w->ring == NULL) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	w->cfg = *cfg;
	if (w->cfg.idle_us == 0)
		w->cfg.idle_us = TT_JWRITER_DEFAULT_IDLE_US;
	w->mask = cap - 1;
	/* Whatever the file held at open (and was written since, e.g. MASTER_START). */
	w->last_seq = tt_jfile_next_seq(cfg->jf) - 1;
	return w;
}

/* Publish the done ticket: written (NEVER) or covered by an fsync. */
static void publish_done(struct tt_jwriter *w)
{
	if (w->cfg.done_on_write || tt_jfile_durable_seq(w->cfg.jf) >= w->last_seq)
		atomic_store_explicit(&w->done, w->last_ticket, memory_order_release);
}

/* The writer's pass: records in queue order, then the fsync the policy wants. */
int tt_jwriter_drain(struct tt_jwriter *w, tt_ns_t now)
{
	uint64_t head = atomic_load_explicit(&w->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&w->tail, memory_order_acquire);
	int n = 0;

	if (atomic_load_explicit(&w->failed, memory_order_relaxed))
		return -EIO;
	if (tail - head > ld(&w->max_depth))
		atomic_store_explicit(&w->max_depth, tail - head, memory_order_relaxed);
	for (; head != tail; head++) {
		uint64_t seq = 0;
		int rc = tt_jfile_append(w->cfg.jf, &w->ring[head & w->mask], now, &seq);

		if (rc == -EINVAL) {
			/* Nothing written, no sequence number used: count it and go on. */
			add(&w->invalid, 1);
		} else if (rc < 0 && seq == 0) {
			/* write() failed and was undone: the record stays queued. */
			add(&w->write_retries, 1);
			break;
		} else {
			/* Written (rc < 0 here: written, then its fsync failed). */
			w->last_seq = seq;
			add(&w->written, 1);
			n++;
		}
		w->last_ticket = head + 1;
		atomic_store_explicit(&w->head, head + 1, memory_order_release);
		if (rc < 0 && rc != -EINVAL)
			break;
	}
	if (!tt_jfile_failed(w->cfg.jf)) {
		if (w->cfg.group_sync && n > 0)
			tt_jfile_sync(w->cfg.jf);
		else if (!w->cfg.group_sync && !w->cfg.done_on_write)
			tt_jfile_tick(w->cfg.jf, now);
	}
	if (tt_jfile_failed(w->cfg.jf)) {
		atomic_store_explicit(&w->failed, true, memory_order_relaxed);
		return -EIO;
	}
	if (n > 0)
		add(&w->passes, 1);
	publish_done(w);
	return n;
}

static tt_ns_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (tt_ns_t)ts.tv_sec * TT_NS_PER_S + (tt_ns_t)ts.tv_nsec;
}

/*
 * Everything queued into the file (one pass writes all of it unless write()
 * fails), fsynced unless the policy is NEVER. 0, -EIO (FAILED) or -EAGAIN
 * (write() failed: records are left in the queue).
 */
static int finish(struct tt_jwriter *w)
{
	int rc = tt_jwriter_drain(w, mono_ns());

	if (rc < 0)
		return rc;
	if (atomic_load_explicit(&w->head, memory_order_relaxed) !=
	    atomic_load_explicit(&w->tail, memory_order_acquire))
		return -EAGAIN;
	if (!w->cfg.done_on_write && tt_jfile_sync(w->cfg.jf) < 0) {
		atomic_store_explicit(&w->failed, true, memory_order_relaxed);
		return -EIO;
	}
	publish_done(w);
	return 0;
}

/* The writer thread: passes until asked to stop, a short sleep when there was nothing. */
static void *writer_main(void *arg)
{
	struct tt_jwriter *w = arg;
	struct timespec idle = {
		.tv_sec = w->cfg.idle_us / 1000000u,
		.tv_nsec = (long)(w->cfg.idle_us % 1000000u) * 1000,
	};

	while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
		int n = tt_jwriter_drain(w, mono_ns());

		if (atomic_exchange_explicit(&w->sync_req, false, memory_order_acq_rel)) {
			/* A flush: what was written is to be done now (BATCH would wait). */
			if (!w->cfg.done_on_write && tt_jfile_sync(w->cfg.jf) < 0)
				atomic_store_explicit(&w->failed, true, memory_order_relaxed);
			publish_done(w);
			continue;
		}
		if (n <= 0)
			nanosleep(&idle, NULL);
	}
	w->finish_rc = finish(w);
	return NULL;
}

int tt_jwriter_start(struct tt_jwriter *w)
{
	int rc;

	if (w->running)
		return -EALREADY;
	atomic_store_explicit(&w->stop, false, memory_order_relaxed);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0)
		return -rc;
	w->running = true;
	return 0;
}

int tt_jwriter_stop(struct tt_jwriter *w)
{
	if (!w->running)
		return -EALREADY;
	atomic_store_explicit(&w->stop, true, memory_order_release);
	pthread_join(w->thread, NULL);
	w->running = false;
	return w->finish_rc;
}

/* Wait (short sleeps) until every record queued so far is done: the thread writes and fsyncs. */
int tt_jwriter_flush(struct tt_jwriter *w)
{
	uint64_t want = atomic_load_explicit(&w->tail, memory_order_acquire);
	struct timespec nap = {.tv_nsec = 100000};

	if (!w->running)
		return finish(w);
	for (uint32_t i = 0; atomic_load_explicit(&w->done, memory_order_acquire) < want; i++) {
		if (atomic_load_explicit(&w->failed, memory_order_relaxed))
			return -EIO;
		/* A write() that keeps failing (a full disk): give up after about 10 s. */
		if (i == TT_JWRITER_FLUSH_NAPS)
			return -ETIMEDOUT;
		atomic_store_explicit(&w->sync_req, true, memory_order_release);
		nanosleep(&nap, NULL);
	}
	return 0;
}

void tt_jwriter_abandon(struct tt_jwriter *w)
{
	if (w->running)
		tt_jwriter_stop(w);
	atomic_store_explicit(&w->failed, true, memory_order_relaxed);
	atomic_store_explicit(&w->head, atomic_load_explicit(&w->tail, memory_order_acquire),
			      memory_order_relaxed);
}

int tt_jwriter_destroy(struct tt_jwriter *w)
{
	int rc;

	if (w == NULL)
		return 0;
	if (w->running)
		tt_jwriter_stop(w);
	else
		finish(w);
	rc = tt_jfile_close(w->cfg.jf, NULL, 0);
	free(w->ring);
	free(w);
	return rc;
}

/* Producer: one slot, published with release; never blocks, never a system call. */
int tt_jwriter_append(void *arg, const struct tt_jrnl_rec *rec, uint64_t *ticket)
{
	struct tt_jwriter *w = arg;
	uint64_t tail = atomic_load_explicit(&w->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&w->head, memory_order_acquire);

	if (atomic_load_explicit(&w->failed, memory_order_relaxed)) {
		add(&w->full, 1);
		return -EIO;
	}
	if (tail - head > w->mask) {
		add(&w->full, 1);
		return -ENOBUFS;
	}
	w->ring[tail & w->mask] = *rec;
	atomic_store_explicit(&w->tail, tail + 1, memory_order_release);
	*ticket = tail + 1;
	return 0;
}

bool tt_jwriter_done(void *arg, uint64_t ticket)
{
	const struct tt_jwriter *w = arg;

	return ticket <= atomic_load_explicit(&w->done, memory_order_acquire);
}

void tt_jwriter_hooks(struct tt_jwriter *w, struct tt_sched_persist *p)
{
	p->append = tt_jwriter_append;
	p->done = tt_jwriter_done;
	p->arg = w;
}

void tt_jwriter_stats(const struct tt_jwriter *w, struct tt_jwriter_stats *out)
{
	*out = (struct tt_jwriter_stats){
		.queued = atomic_load_explicit(&w->tail, memory_order_relaxed),
		.full = ld(&w->full),
		.written = ld(&w->written),
		.invalid = ld(&w->invalid),
		.write_retries = ld(&w->write_retries),
		.done = atomic_load_explicit(&w->done, memory_order_relaxed),
		.max_depth = ld(&w->max_depth),
		.passes = ld(&w->passes),
		.failed = atomic_load_explicit(&w->failed, memory_order_relaxed),
	};
}

const struct tt_jfile *tt_jwriter_file(const struct tt_jwriter *w)
{
	return w->cfg.jf;
}
