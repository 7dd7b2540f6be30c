/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Association table under real concurrency: polling readers, one writer.
 *
 * Readers are registered QSBR threads that loop like data lcores: look up
 * workers by id and channels by flow key, check every invariant of what they
 * find, flip channel link states, and report a quiescent state once per pass.
 * The writer (one thread, as the single-writer rule demands) runs a fixed,
 * seeded sequence of adds, replaces (new epoch, some flow keys moved) and
 * deletes over more worker ids than the table holds, so "table full" is hit
 * too. Readers run until the writer is done: the run is bounded by the
 * writer's operation count, not by time.
 *
 * Every record carries values derived from (worker id, generation), so a
 * reader can tell a consistent record from a torn or reused one. Before a
 * record is freed the on_free hook poisons it; a reader that could still see
 * it would find the poison (and under valgrind memcheck or ThreadSanitizer,
 * touch freed memory). At the end every record ever created must have been
 * freed exactly once.
 *
 * Usage: chan_table_stress_test [writer-ops]   (default 20000)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "chan_table.h"

#define N_READERS 2
#define N_IDS	  48 /* worker ids in play ... */
#define CAPACITY  32 /* ... more than fit */
#define K	  4
#define POISON_ID 0xdeadbeefu

static unsigned writer_ops = 20000;

struct stress {
	struct tt_ctab *t;
	_Atomic int stop;
	_Atomic uint64_t frees;
	_Atomic unsigned ready;
};

struct reader {
	struct stress *s;
	pthread_t th;
	unsigned id;
	_Atomic uint64_t progress; /* passes, published for the writer's sync points */
	uint64_t passes;
	uint64_t hits;
	uint64_t flow_hits;
	uint64_t errors;
};

/* xorshift64: a deterministic sequence per seed. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Epoch = generation << 8 | worker id: a reader can check it against the id. */
static uint32_t epoch_of(uint32_t id, uint32_t gen)
{
	return gen << 8 | id;
}

/*
 * Flow key of channel i of worker id at an epoch. Channels 0 and 1 keep their
 * key across epochs (replace swaps them in place); 2 and 3 move between two
 * ports with the epoch's parity (replace adds one and deletes the other).
 */
static struct tt_ctab_flow_key key_of(uint32_t id, unsigned i, uint32_t epoch)
{
	uint16_t lport = (uint16_t)(7000 + i);

	if (i >= 2)
		lport = (uint16_t)(lport + 100 * ((epoch >> 8) & 1));
	return (struct tt_ctab_flow_key){
		.remote_ip = 0x0a000000u | id,
		.remote_port = (uint16_t)(40000 + i),
		.local_port = lport,
	};
}

static struct tt_hb_session *hb_of(uint32_t epoch)
{
	return (struct tt_hb_session *)(uintptr_t)(0x100000u + epoch);
}

static bool key_eq(const struct tt_ctab_flow_key *a, const struct tt_ctab_flow_key *b)
{
	return a->remote_ip == b->remote_ip && a->remote_port == b->remote_port &&
	       a->local_port == b->local_port;
}

static struct tt_ctab_worker_spec spec_of(uint32_t id, uint32_t gen)
{
	struct tt_ctab_worker_spec sp = {
		.worker_id = id,
		.epoch = epoch_of(id, gen),
		.state = TT_CTAB_WS_LIVE,
		.hb_lcore = 0,
		.hb = hb_of(epoch_of(id, gen)),
	};

	for (unsigned i = 0; i < K; i++) {
		sp.chan[i].key = key_of(id, i, sp.epoch);
		sp.chan[i].lcore = (uint16_t)(i % 2);
	}
	return sp;
}

/* Poison what readers check, so a reader reaching freed memory sees it. */
static void poison(struct tt_worker_rec *rec, void *arg)
{
	struct stress *s = arg;

	rec->worker_id = POISON_ID;
	rec->n_chan = 0;
	for (unsigned i = 0; i < K; i++) {
		rec->chan[i].rec = NULL;
		rec->chan[i].key.local_port = 0;
	}
	atomic_fetch_add_explicit(&s->frees, 1, memory_order_relaxed);
}

/* All invariants of a record found for worker id. Returns the number broken. */
static unsigned check_rec(struct tt_worker_rec *rec, uint32_t id)
{
	unsigned bad = 0;
	uint32_t epoch = tt_ctab_worker_epoch(rec);
	enum tt_ctab_wstate st = tt_ctab_worker_state(rec);

	bad += rec->worker_id != id;
	bad += rec->n_chan != K;
	bad += rec->hb_lcore != 0;
	bad += (epoch & 0xff) != id;
	bad += tt_ctab_worker_hb(rec) != hb_of(epoch);
	bad += st != TT_CTAB_WS_LIVE && st != TT_CTAB_WS_SILENCED;
	for (unsigned i = 0; i < K && i < rec->n_chan; i++) {
		struct tt_ctab_chan *c = &rec->chan[i];
		struct tt_ctab_flow_key want = key_of(id, i, epoch);

		bad += c->rec != rec;
		bad += c->idx != i;
		bad += c->lcore != i % 2;
		bad += !key_eq(&c->key, &want);
	}
	return bad;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct stress *s = r->s;
	uint64_t x = 0x9e3779b97f4a7c15ull * (r->id + 1);

	urcu_qsbr_register_thread();
	atomic_fetch_add(&s->ready, 1);
	while (!atomic_load_explicit(&s->stop, memory_order_acquire)) {
		uint32_t id = (uint32_t)(rnd(&x) % N_IDS);
		unsigned i = (unsigned)(rnd(&x) % K);
		struct tt_worker_rec *rec = tt_ctab_worker_lookup(s->t, id);

		if (rec) {
			r->hits++;
			r->errors += check_rec(rec, id);
			/* Cross-lcore channel state, as a data lcore would flip it. */
			if (rnd(&x) & 1)
				tt_ctab_chan_set_down(&rec->chan[i], (uint8_t)(1 + r->id));
			else
				tt_ctab_chan_set_up(&rec->chan[i]);
			tt_ctab_worker_cas_state(rec, TT_CTAB_WS_LIVE, TT_CTAB_WS_SILENCED);
		}

		/* Demultiplex a packet of either epoch parity. */
		struct tt_ctab_flow_key k = key_of(id, i, (uint32_t)(rnd(&x) & 1) << 8);
		struct tt_ctab_chan *c = tt_ctab_flow_lookup(s->t, &k);

		if (c) {
			struct tt_worker_rec *owner = c->rec;

			r->flow_hits++;
			r->errors += !owner || !key_eq(&c->key, &k);
			if (owner) {
				r->errors += &owner->chan[c->idx] != c;
				r->errors += check_rec(owner, id);
			}
		}
		/* Both pointers are still ours: re-check after the other work. */
		if (rec)
			r->errors += check_rec(rec, id);
		r->passes++;
		atomic_store_explicit(&r->progress, r->passes, memory_order_relaxed);
		tt_ctab_quiescent_state();
	}
	tt_ctab_thread_offline();
	urcu_qsbr_unregister_thread();
	return NULL;
}

struct writer_result {
	uint64_t created; /* records made by successful adds and replaces */
	uint64_t full;
};

/*
 * Wait until every reader has made a few more passes. This interleaves writer
 * and readers whatever the scheduler does (valgrind runs one thread at a time),
 * without any timing assumption.
 */
static void sync_readers(struct reader *r)
{
	uint64_t from[N_READERS];

	tt_ctab_thread_offline();
	for (unsigned i = 0; i < N_READERS; i++)
		from[i] = atomic_load_explicit(&r[i].progress, memory_order_relaxed);
	for (unsigned i = 0; i < N_READERS; i++)
		while (atomic_load_explicit(&r[i].progress, memory_order_relaxed) < from[i] + 4)
			;
	urcu_qsbr_thread_online();
}

static void run_writer(struct stress *s, struct reader *r, struct writer_result *res)
{
	uint32_t gen[N_IDS] = {0};
	bool present[N_IDS] = {false};
	unsigned live = 0;
	uint64_t x = 0x2545f4914f6cdd1dull;

	for (unsigned op = 0; op < writer_ops; op++) {
		uint32_t id = (uint32_t)(rnd(&x) % N_IDS);
		unsigned what = (unsigned)(rnd(&x) % 4);
		struct tt_ctab_worker_spec sp;
		int ret;

		if (!present[id]) {
			sp = spec_of(id, ++gen[id]);
			ret = tt_ctab_worker_add(s->t, &sp, NULL);
			if (live >= CAPACITY) {
				assert_int_equal(ret, -ENOSPC);
				res->full++;
			} else {
				assert_int_equal(ret, 0);
				present[id] = true;
				live++;
				res->created++;
			}
		} else if (what < 2) {
			sp = spec_of(id, ++gen[id]);
			assert_int_equal(tt_ctab_worker_replace(s->t, &sp, NULL), 0);
			res->created++;
		} else {
			assert_int_equal(tt_ctab_worker_del(s->t, id), 0);
			present[id] = false;
			live--;
		}
		/* The writer is a QSBR thread too: it holds nothing across operations. */
		tt_ctab_quiescent_state();
		if (op % 128 == 127)
			sync_readers(r);
	}
}

static void test_stress(void **state)
{
	struct stress s = {0};
	struct reader r[N_READERS];
	struct writer_result res = {0};
	struct tt_ctab_config cfg = {
		.max_workers = CAPACITY,
		.n_chan = K,
		.on_free = poison,
		.on_free_arg = &s,
	};
	struct tt_ctab_stats st;

	(void)state;
	s.t = tt_ctab_create(&cfg);
	assert_non_null(s.t);
	urcu_qsbr_register_thread();
	for (unsigned i = 0; i < N_READERS; i++) {
		r[i] = (struct reader){.s = &s, .id = i};
		assert_int_equal(pthread_create(&r[i].th, NULL, reader_main, &r[i]), 0);
	}
	/* Start writing only once every reader is polling. */
	tt_ctab_thread_offline();
	while (atomic_load(&s.ready) < N_READERS)
		;
	urcu_qsbr_thread_online();

	run_writer(&s, r, &res);

	atomic_store_explicit(&s.stop, 1, memory_order_release);
	tt_ctab_thread_offline();
	for (unsigned i = 0; i < N_READERS; i++)
		pthread_join(r[i].th, NULL);
	urcu_qsbr_thread_online();

	tt_ctab_stats_get(s.t, &st);
	assert_int_equal(st.adds + st.replaces, res.created);
	assert_int_equal(st.full, res.full);
	assert_int_equal(st.live, st.adds - st.dels);
	tt_ctab_destroy(s.t);
	urcu_qsbr_unregister_thread();

	uint64_t passes = 0, hits = 0, flow_hits = 0;
	for (unsigned i = 0; i < N_READERS; i++) {
		assert_int_equal(r[i].errors, 0);
		passes += r[i].passes;
		hits += r[i].hits;
		flow_hits += r[i].flow_hits;
	}
	/* Every record ever created was freed, once. */
	assert_int_equal(atomic_load(&s.frees), res.created);
	/* The run did what it is meant to: table full hit, readers found records. */
	assert_true(res.full > 0);
	assert_true(hits > 0);
	assert_true(flow_hits > 0);
	print_message("# writer ops %u, records %llu, full %llu; reader passes %llu, hits %llu, "
		      "flow hits %llu\n",
		      writer_ops, (unsigned long long)res.created, (unsigned long long)res.full,
		      (unsigned long long)passes, (unsigned long long)hits,
		      (unsigned long long)flow_hits);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};

	if (argc > 1)
		writer_ops = (unsigned)strtoul(argv[1], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
