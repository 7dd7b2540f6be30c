/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Association table (engine/chan_table.c): add, lookup, replace, delete, flow
 * demultiplexing, capacity, channel and worker atomics, RCU reclamation, and
 * the record slab (a slot reused only after its grace period, the heap when
 * every spare slot still waits).
 *
 * The test thread is a registered QSBR reader and writer, online for the whole
 * run, like the control thread. Reclamation is observed by going offline and
 * calling urcu_qsbr_barrier(), which returns once every queued call_rcu
 * callback has run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "chan_table.h"

#define K 2

/* What the on_free hook saw. */
struct free_log {
	unsigned n;
	uint32_t ids[16];
	uintptr_t recs[16];
};

static void log_free(struct tt_worker_rec *rec, void *arg)
{
	struct free_log *log = arg;

	if (log->n < 16) {
		log->ids[log->n] = rec->worker_id;
		log->recs[log->n] = (uintptr_t)rec;
	}
	log->n++;
}

static struct tt_ctab *make_table(uint32_t max_workers, struct free_log *log)
{
	struct tt_ctab_config cfg = {
		.max_workers = max_workers,
		.n_chan = K,
		.on_free = log ? log_free : NULL,
		.on_free_arg = log,
	};
	struct tt_ctab *t = tt_ctab_create(&cfg);

	assert_non_null(t);
	return t;
}

static struct tt_ctab_flow_key key_of(uint32_t worker_id, unsigned chan, uint16_t local_port)
{
	return (struct tt_ctab_flow_key){
		.remote_ip = 0x0a000000u | worker_id,
		.remote_port = (uint16_t)(40000 + chan),
		.local_port = local_port,
	};
}

static struct tt_ctab_worker_spec spec_of(uint32_t worker_id, uint32_t epoch)
{
	struct tt_ctab_worker_spec s = {
		.worker_id = worker_id,
		.epoch = epoch,
		.state = TT_CTAB_WS_JOINING,
		.hb_lcore = 1,
		.hb = NULL,
	};

	for (unsigned i = 0; i < K; i++) {
		s.chan[i].key = key_of(worker_id, i, 7000);
		s.chan[i].lcore = (uint16_t)(1 + i);
	}
	return s;
}

static bool key_eq(const struct tt_ctab_flow_key *a, const struct tt_ctab_flow_key *b)
{
	return a->remote_ip == b->remote_ip && a->remote_port == b->remote_port &&
	       a->local_port == b->local_port;
}

/* Let every pending call_rcu callback run: a grace period needs this thread offline. */
static void reclaim_all(void)
{
	urcu_qsbr_thread_offline();
	urcu_qsbr_barrier();
	urcu_qsbr_thread_online();
}

static int group_setup(void **state)
{
	(void)state;
	urcu_qsbr_register_thread();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	urcu_qsbr_unregister_thread();
	return 0;
}

static void test_create_rejects_bad_config(void **state)
{
	struct tt_ctab_config cfg = {.max_workers = 4, .n_chan = K};

	(void)state;
	errno = 0;
	assert_null(tt_ctab_create(NULL));
	assert_int_equal(errno, EINVAL);
	cfg.max_workers = 0;
	errno = 0;
	assert_null(tt_ctab_create(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg.max_workers = TT_CTAB_MAX_WORKERS + 1;
	assert_null(tt_ctab_create(&cfg));
	cfg.max_workers = 4;
	cfg.n_chan = 0;
	assert_null(tt_ctab_create(&cfg));
	cfg.n_chan = TT_CTAB_MAX_CHAN + 1;
	errno = 0;
	assert_null(tt_ctab_create(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg.n_chan = TT_CTAB_MAX_CHAN;
	struct tt_ctab *t = tt_ctab_create(&cfg);
	assert_non_null(t);
	assert_int_equal(tt_ctab_n_chan(t), TT_CTAB_MAX_CHAN);
	tt_ctab_destroy(t);
}

static void test_add_lookup(void **state)
{
	struct tt_ctab *t = make_table(4, NULL);
	struct tt_ctab_worker_spec s = spec_of(7, 3);
	struct tt_worker_rec *out = NULL, *rec;
	struct tt_ctab_stats st;

	(void)state;
	s.hb = (struct tt_hb_session *)&s; /* any address: the table never dereferences it */
	assert_int_equal(tt_ctab_worker_add(t, &s, &out), 0);
	rec = tt_ctab_worker_lookup(t, 7);
	assert_ptr_equal(rec, out);
	assert_int_equal(rec->worker_id, 7);
	assert_int_equal(tt_ctab_worker_epoch(rec), 3);
	assert_int_equal(tt_ctab_worker_state(rec), TT_CTAB_WS_JOINING);
	assert_ptr_equal(tt_ctab_worker_hb(rec), &s);
	assert_false(tt_ctab_worker_retired(rec));
	assert_int_equal(rec->hb_lcore, 1);
	assert_int_equal(rec->n_chan, K);
	for (unsigned i = 0; i < K; i++) {
		struct tt_ctab_chan *c = tt_ctab_worker_chan(rec, i);
		uint8_t reason = 0xff;

		assert_ptr_equal(c, &rec->chan[i]);
		assert_ptr_equal(c->rec, rec);
		assert_int_equal(c->idx, i);
		assert_int_equal(c->lcore, 1 + i);
		assert_true(key_eq(&c->key, &s.chan[i].key));
		/* New channels are down, reason 0, until their connection is up. */
		assert_false(tt_ctab_chan_is_up(c, &reason));
		assert_int_equal(reason, 0);
		/* Demultiplexing finds the same channel. */
		assert_ptr_equal(tt_ctab_flow_lookup(t, &s.chan[i].key), c);
	}
	assert_null(tt_ctab_worker_chan(rec, K));
	assert_null(tt_ctab_worker_lookup(t, 8));
	struct tt_ctab_flow_key other = key_of(7, 0, 7001);
	assert_null(tt_ctab_flow_lookup(t, &other));
	other = key_of(8, 0, 7000);
	assert_null(tt_ctab_flow_lookup(t, &other));

	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.adds, 1);
	assert_int_equal(st.live, 1);
	assert_int_equal(st.dels + st.replaces + st.full + st.exists + st.noent, 0);
	/* out may be NULL. */
	s = spec_of(9, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), 0);
	assert_non_null(tt_ctab_worker_lookup(t, 9));
	tt_ctab_destroy(t);
}

static void test_add_rejects(void **state)
{
	struct tt_ctab *t = make_table(4, NULL);
	struct tt_ctab_worker_spec s = spec_of(1, 1);
	struct tt_worker_rec *rec;
	struct tt_ctab_stats st;

	(void)state;
	assert_int_equal(tt_ctab_worker_add(t, &s, &rec), 0);

	/* Same worker id again. */
	s = spec_of(1, 2);
	s.chan[0].key.local_port = 8000;
	s.chan[1].key.local_port = 8001;
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), -EEXIST);
	assert_int_equal(tt_ctab_worker_epoch(tt_ctab_worker_lookup(t, 1)), 1);

	/* A flow key of worker 1 in worker 2's spec: nothing of worker 2 goes in. */
	s = spec_of(2, 1);
	s.chan[1].key = key_of(1, 1, 7000);
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), -EADDRINUSE);
	assert_null(tt_ctab_worker_lookup(t, 2));
	assert_null(tt_ctab_flow_lookup(t, &s.chan[0].key));
	assert_ptr_equal(tt_ctab_flow_lookup(t, &s.chan[1].key), &rec->chan[1]);

	/* The same key twice in one spec. */
	s = spec_of(3, 1);
	s.chan[1].key = s.chan[0].key;
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), -EINVAL);
	/* State out of range. */
	s = spec_of(3, 1);
	s.state = TT_CTAB_WS_COUNT;
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), -EINVAL);
	assert_int_equal(tt_ctab_worker_add(t, NULL, NULL), -EINVAL);
	assert_null(tt_ctab_worker_lookup(t, 3));

	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.adds, 1);
	assert_int_equal(st.exists, 1);
	assert_int_equal(st.flow_conflicts, 1);
	assert_int_equal(st.live, 1);
	tt_ctab_destroy(t);
}

static void test_full_table(void **state)
{
	struct tt_ctab *t = make_table(3, NULL);
	struct tt_ctab_worker_spec s;
	struct tt_ctab_stats st;

	(void)state;
	for (uint32_t id = 1; id <= 3; id++) {
		s = spec_of(id, 1);
		assert_int_equal(tt_ctab_worker_add(t, &s, NULL), 0);
	}
	s = spec_of(4, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), -ENOSPC);
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), -ENOSPC);
	assert_null(tt_ctab_worker_lookup(t, 4));
	assert_null(tt_ctab_flow_lookup(t, &s.chan[0].key));
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.full, 2);
	assert_int_equal(st.live, 3);

	/* A full table still replaces in place... */
	s = spec_of(2, 5);
	assert_int_equal(tt_ctab_worker_replace(t, &s, NULL), 0);
	/* ...and takes a new worker once one leaves. */
	assert_int_equal(tt_ctab_worker_del(t, 1), 0);
	s = spec_of(4, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), 0);
	assert_non_null(tt_ctab_worker_lookup(t, 4));
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.full, 2);
	assert_int_equal(st.adds, 4);
	assert_int_equal(st.live, 3);
	tt_ctab_destroy(t);
}

static void test_delete_and_reclaim(void **state)
{
	struct free_log log = {0};
	struct tt_ctab *t = make_table(4, &log);
	struct tt_ctab_worker_spec s1 = spec_of(1, 1), s2 = spec_of(2, 1);
	struct tt_worker_rec *rec;
	struct tt_ctab_stats st;

	(void)state;
	assert_int_equal(tt_ctab_worker_add(t, &s1, &rec), 0);
	assert_int_equal(tt_ctab_worker_add(t, &s2, NULL), 0);
	assert_int_equal(tt_ctab_worker_del(t, 1), 0);

	/* Unlinked from both indexes; the other worker untouched. */
	assert_null(tt_ctab_worker_lookup(t, 1));
	assert_null(tt_ctab_flow_lookup(t, &s1.chan[0].key));
	assert_null(tt_ctab_flow_lookup(t, &s1.chan[1].key));
	assert_non_null(tt_ctab_worker_lookup(t, 2));
	assert_non_null(tt_ctab_flow_lookup(t, &s2.chan[1].key));

	/* This thread has not passed a quiescent state: the record is still readable. */
	assert_true(tt_ctab_worker_retired(rec));
	assert_int_equal(rec->worker_id, 1);
	assert_int_equal(log.n, 0);

	assert_int_equal(tt_ctab_worker_del(t, 1), -ENOENT);
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.dels, 1);
	assert_int_equal(st.noent, 1);
	assert_int_equal(st.live, 1);
	assert_int_equal(st.reclaimed, 0);

	reclaim_all();
	assert_int_equal(log.n, 1);
	assert_int_equal(log.ids[0], 1);
	assert_int_equal(log.recs[0], (uintptr_t)rec);
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.reclaimed, 1);

	/* The id and its keys are free again. */
	assert_int_equal(tt_ctab_worker_add(t, &s1, NULL), 0);
	assert_non_null(tt_ctab_flow_lookup(t, &s1.chan[0].key));
	tt_ctab_destroy(t);
	/* destroy frees the two records left. */
	assert_int_equal(log.n, 3);
}

static void test_replace_epoch(void **state)
{
	struct free_log log = {0};
	struct tt_ctab *t = make_table(4, &log);
	struct tt_ctab_worker_spec s = spec_of(5, 1);
	struct tt_worker_rec *old, *rec, *out;
	struct tt_ctab_stats st;

	(void)state;
	assert_int_equal(tt_ctab_worker_add(t, &s, &old), 0);
	tt_ctab_worker_set_state(old, TT_CTAB_WS_LIVE);
	tt_ctab_chan_set_up(&old->chan[0]);

	/* New epoch: channel 0 keeps its flow key, channel 1 moves to a new port. */
	struct tt_ctab_worker_spec n = spec_of(5, 2);
	n.chan[1].key = key_of(5, 1, 7100);
	n.hb_lcore = 0;
	assert_int_equal(tt_ctab_worker_replace(t, &n, &out), 0);

	rec = tt_ctab_worker_lookup(t, 5);
	assert_ptr_equal(rec, out);
	assert_ptr_not_equal(rec, old);
	assert_int_equal(tt_ctab_worker_epoch(rec), 2);
	assert_int_equal(tt_ctab_worker_state(rec), TT_CTAB_WS_JOINING);
	assert_false(tt_ctab_worker_retired(rec));
	assert_int_equal(rec->hb_lcore, 0);
	assert_false(tt_ctab_chan_is_up(&rec->chan[0], NULL));
	/* The old record: retired, contents as they were, still readable. */
	assert_true(tt_ctab_worker_retired(old));
	assert_int_equal(tt_ctab_worker_epoch(old), 1);
	assert_int_equal(tt_ctab_worker_state(old), TT_CTAB_WS_LIVE);
	assert_true(tt_ctab_chan_is_up(&old->chan[0], NULL));

	/* Flows: shared key -> new channel, new key -> new channel, dropped key -> none. */
	assert_ptr_equal(tt_ctab_flow_lookup(t, &n.chan[0].key), &rec->chan[0]);
	assert_ptr_equal(tt_ctab_flow_lookup(t, &n.chan[1].key), &rec->chan[1]);
	assert_null(tt_ctab_flow_lookup(t, &s.chan[1].key));

	/* Replace errors leave the table as it is. */
	struct tt_ctab_worker_spec bad = spec_of(6, 1);
	assert_int_equal(tt_ctab_worker_replace(t, &bad, NULL), -ENOENT);
	assert_int_equal(tt_ctab_worker_add(t, &bad, NULL), 0);
	struct tt_ctab_worker_spec clash = spec_of(5, 3);
	clash.chan[1].key = bad.chan[0].key;
	assert_int_equal(tt_ctab_worker_replace(t, &clash, NULL), -EADDRINUSE);
	assert_ptr_equal(tt_ctab_worker_lookup(t, 5), rec);
	assert_int_equal(tt_ctab_worker_epoch(tt_ctab_worker_lookup(t, 5)), 2);
	clash.chan[1].key = clash.chan[0].key;
	assert_int_equal(tt_ctab_worker_replace(t, &clash, NULL), -EINVAL);

	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.replaces, 1);
	assert_int_equal(st.noent, 1);
	assert_int_equal(st.flow_conflicts, 1);
	assert_int_equal(st.live, 2);

	reclaim_all();
	assert_int_equal(log.n, 1);
	assert_int_equal(log.recs[0], (uintptr_t)old);
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.reclaimed, 1);
	tt_ctab_destroy(t);
	assert_int_equal(log.n, 3);
}

/* Reader thread for test_replace_seen_by_reader. */
struct epoch_watch {
	struct tt_ctab *t;
	_Atomic int saw_first;
	uint32_t seen[4];
	unsigned n_seen;
	unsigned bad;
};

static void *epoch_reader(void *arg)
{
	struct epoch_watch *w = arg;
	uint32_t last = 0;

	urcu_qsbr_register_thread();
	while (w->n_seen < 2) {
		struct tt_worker_rec *rec = tt_ctab_worker_lookup(w->t, 9);

		if (!rec || rec->worker_id != 9) {
			w->bad++;
		} else {
			uint32_t e = tt_ctab_worker_epoch(rec);

			if (e != last && w->n_seen < 4) {
				w->seen[w->n_seen++] = e;
				last = e;
			}
			atomic_store(&w->saw_first, 1);
		}
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

/* A polling reader on another thread sees the replace: old epoch, then new, never a gap. */
static void test_replace_seen_by_reader(void **state)
{
	struct free_log log = {0};
	struct epoch_watch w = {.t = make_table(2, &log)};
	struct tt_ctab_worker_spec s = spec_of(9, 100);
	pthread_t th;

	(void)state;
	assert_int_equal(tt_ctab_worker_add(w.t, &s, NULL), 0);
	assert_int_equal(pthread_create(&th, NULL, epoch_reader, &w), 0);
	/* Offline while waiting so the reader's grace periods never wait on us. */
	urcu_qsbr_thread_offline();
	while (!atomic_load(&w.saw_first))
		;
	urcu_qsbr_thread_online();
	s.epoch = 101;
	assert_int_equal(tt_ctab_worker_replace(w.t, &s, NULL), 0);
	urcu_qsbr_thread_offline();
	pthread_join(th, NULL);
	urcu_qsbr_barrier();
	urcu_qsbr_thread_online();
	assert_int_equal(w.bad, 0);
	assert_int_equal(w.n_seen, 2);
	assert_int_equal(w.seen[0], 100);
	assert_int_equal(w.seen[1], 101);
	assert_int_equal(log.n, 1);
	tt_ctab_destroy(w.t);
}

static void test_chan_link_state(void **state)
{
	struct tt_ctab *t = make_table(2, NULL);
	struct tt_ctab_worker_spec s = spec_of(3, 1);
	struct tt_worker_rec *rec;
	struct tt_ctab_chan *c;
	uint8_t reason = 0xff;

	(void)state;
	s.chan[1].lcore = s.hb_lcore;
	assert_int_equal(tt_ctab_worker_add(t, &s, &rec), 0);
	c = &rec->chan[0];

	assert_false(tt_ctab_chan_set_down(c, 4)); /* already down */
	assert_true(tt_ctab_chan_set_up(c));
	assert_false(tt_ctab_chan_set_up(c));
	assert_true(tt_ctab_chan_is_up(c, &reason));
	assert_int_equal(reason, 0);
	/* One winner per transition; the first reason stays. */
	assert_true(tt_ctab_chan_set_down(c, 5));
	assert_false(tt_ctab_chan_set_down(c, 7));
	assert_false(tt_ctab_chan_is_up(c, &reason));
	assert_int_equal(reason, 5);
	assert_true(tt_ctab_chan_set_up(c));
	assert_true(tt_ctab_chan_set_down(c, 255));
	assert_false(tt_ctab_chan_is_up(c, &reason));
	assert_int_equal(reason, 255);
	assert_int_equal(atomic_load(&c->downs), 2);
	assert_int_equal(atomic_load(&c->ups), 2);
	/* The other channel is independent. */
	assert_false(tt_ctab_chan_is_up(&rec->chan[1], &reason));
	assert_int_equal(reason, 0);
	assert_int_equal(atomic_load(&rec->chan[1].downs), 0);

	/* Channel 0 is on lcore 1 like the HB session; channel 1 was moved to it too. */
	assert_true(tt_ctab_chan_hb_local(&rec->chan[0]));
	assert_true(tt_ctab_chan_hb_local(&rec->chan[1]));
	s = spec_of(4, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, &rec), 0);
	assert_true(tt_ctab_chan_hb_local(&rec->chan[0]));
	assert_false(tt_ctab_chan_hb_local(&rec->chan[1]));

	tt_ctab_chan_add_rx(&rec->chan[1], 3);
	tt_ctab_chan_add_rx(&rec->chan[1], 4);
	tt_ctab_chan_add_tx(&rec->chan[1], 9);
	assert_int_equal(atomic_load(&rec->chan[1].rx_pkts), 7);
	assert_int_equal(atomic_load(&rec->chan[1].tx_pkts), 9);
	assert_int_equal(atomic_load(&rec->chan[0].rx_pkts), 0);
	tt_ctab_destroy(t);
}

static void test_worker_atomics(void **state)
{
	struct tt_ctab *t = make_table(1, NULL);
	struct tt_ctab_worker_spec s = spec_of(1, 10);
	struct tt_worker_rec *rec;
	int session;

	(void)state;
	assert_int_equal(tt_ctab_worker_add(t, &s, &rec), 0);
	assert_null(tt_ctab_worker_hb(rec));
	tt_ctab_worker_set_hb(rec, (struct tt_hb_session *)&session);
	assert_ptr_equal(tt_ctab_worker_hb(rec), &session);

	assert_false(tt_ctab_worker_cas_state(rec, TT_CTAB_WS_LIVE, TT_CTAB_WS_SILENCED));
	assert_int_equal(tt_ctab_worker_state(rec), TT_CTAB_WS_JOINING);
	assert_true(tt_ctab_worker_cas_state(rec, TT_CTAB_WS_JOINING, TT_CTAB_WS_LIVE));
	assert_true(tt_ctab_worker_cas_state(rec, TT_CTAB_WS_LIVE, TT_CTAB_WS_SILENCED));
	assert_int_equal(tt_ctab_worker_state(rec), TT_CTAB_WS_SILENCED);
	tt_ctab_worker_set_state(rec, TT_CTAB_WS_DEAD);
	assert_int_equal(tt_ctab_worker_state(rec), TT_CTAB_WS_DEAD);

	tt_ctab_worker_set_epoch(rec, 11);
	assert_int_equal(tt_ctab_worker_epoch(tt_ctab_worker_lookup(t, 1)), 11);
	tt_ctab_destroy(t);
}

static int visit(struct tt_worker_rec *rec, void *arg)
{
	uint32_t *seen = arg;

	seen[0]++;
	seen[rec->worker_id] = 1;
	return 0;
}

static int visit_stop(struct tt_worker_rec *rec, void *arg)
{
	(void)rec;
	(*(unsigned *)arg)++;
	return 1;
}

static void test_walk(void **state)
{
	struct tt_ctab *t = make_table(8, NULL);
	uint32_t seen[8] = {0};
	unsigned calls = 0;

	(void)state;
	assert_int_equal(tt_ctab_worker_walk(t, visit, seen), 0);
	for (uint32_t id = 2; id <= 6; id += 2) {
		struct tt_ctab_worker_spec s = spec_of(id, 1);

		assert_int_equal(tt_ctab_worker_add(t, &s, NULL), 0);
	}
	assert_int_equal(tt_ctab_worker_walk(t, visit, seen), 3);
	assert_int_equal(seen[0], 3);
	assert_int_equal(seen[2] + seen[4] + seen[6], 3);
	assert_int_equal(seen[1] + seen[3] + seen[5] + seen[7], 0);
	assert_int_equal(tt_ctab_worker_walk(t, visit_stop, &calls), 1);
	assert_int_equal(calls, 1);
	tt_ctab_destroy(t);
}

static void test_destroy_frees_and_keeps_thread_state(void **state)
{
	struct free_log log = {0};
	struct tt_ctab *t = make_table(4, &log);

	(void)state;
	for (uint32_t id = 1; id <= 3; id++) {
		struct tt_ctab_worker_spec s = spec_of(id, 1);

		assert_int_equal(tt_ctab_worker_add(t, &s, NULL), 0);
	}
	assert_true(urcu_qsbr_read_ongoing());
	tt_ctab_destroy(t);
	assert_true(urcu_qsbr_read_ongoing());
	assert_int_equal(log.n, 3);
	assert_int_equal(log.ids[0] + log.ids[1] + log.ids[2], 6);

	/* Called offline, it stays offline. */
	log.n = 0;
	t = make_table(4, &log);
	struct tt_ctab_worker_spec s = spec_of(1, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), 0);
	urcu_qsbr_thread_offline();
	tt_ctab_destroy(t);
	assert_false(urcu_qsbr_read_ongoing());
	urcu_qsbr_thread_online();
	assert_int_equal(log.n, 1);
	tt_ctab_destroy(NULL);
}

static void test_many_workers_spread(void **state)
{
	struct tt_ctab_config cfg = {.max_workers = 1024, .n_chan = 4};
	struct tt_ctab *t = tt_ctab_create(&cfg);
	struct tt_ctab_stats st;

	(void)state;
	assert_non_null(t);
	for (uint32_t id = 0; id < 1024; id++) {
		struct tt_ctab_worker_spec s = {.worker_id = id, .epoch = id};

		for (unsigned i = 0; i < 4; i++)
			s.chan[i].key = key_of(id, i, 7000);
		assert_int_equal(tt_ctab_worker_add(t, &s, NULL), 0);
	}
	for (uint32_t id = 0; id < 1024; id++) {
		struct tt_worker_rec *rec = tt_ctab_worker_lookup(t, id);

		assert_non_null(rec);
		assert_int_equal(tt_ctab_worker_epoch(rec), id);
		for (unsigned i = 0; i < 4; i++) {
			struct tt_ctab_flow_key k = key_of(id, i, 7000);

			assert_ptr_equal(tt_ctab_flow_lookup(t, &k), &rec->chan[i]);
		}
	}
	struct tt_ctab_worker_spec s = {.worker_id = 5000};
	for (unsigned i = 0; i < 4; i++)
		s.chan[i].key = key_of(5000, i, 7000);
	assert_int_equal(tt_ctab_worker_add(t, &s, NULL), -ENOSPC);
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.live, 1024);
	tt_ctab_destroy(t);
}

/*
 * Records live in a slab of 2 x max_workers slots. A released record's slot is
 * reused only after its grace period: before it, a new record takes another
 * slot; after it, the released one.
 */
static void test_slot_recycled_after_grace_period(void **state)
{
	struct free_log log = {0};
	struct tt_ctab *t = make_table(2, &log);
	struct tt_ctab_worker_spec s;
	struct tt_worker_rec *r1, *r2, *r3, *r4, *r5;
	struct tt_ctab_stats st;

	(void)state;
	s = spec_of(1, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, &r1), 0);
	s = spec_of(2, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, &r2), 0);
	assert_int_equal(tt_ctab_worker_del(t, 1), 0);

	/* Worker 1's slot waits for its grace period: worker 3 gets another one. */
	s = spec_of(3, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, &r3), 0);
	assert_true(r3 != r1 && r3 != r2);
	/* The retired record is intact while this thread has not passed a quiescent state. */
	assert_int_equal(r1->worker_id, 1);
	assert_true(tt_ctab_worker_retired(r1));

	reclaim_all();
	assert_int_equal(log.n, 1);
	assert_int_equal(log.recs[0], (uintptr_t)r1);

	/* Now a new record takes worker 1's old slot, and the lookups see the new contents. */
	assert_int_equal(tt_ctab_worker_del(t, 3), 0);
	s = spec_of(4, 7);
	assert_int_equal(tt_ctab_worker_add(t, &s, &r4), 0);
	assert_ptr_equal(r4, r1);
	assert_int_equal(r4->worker_id, 4);
	assert_false(tt_ctab_worker_retired(r4));
	assert_ptr_equal(tt_ctab_worker_lookup(t, 4), r4);
	assert_null(tt_ctab_worker_lookup(t, 1));
	assert_ptr_equal(tt_ctab_flow_lookup(t, &s.chan[1].key), &r4->chan[1]);
	assert_int_equal(tt_ctab_worker_epoch(r4), 7);

	/* Worker 3's slot is the next to come back, after its own grace period. */
	reclaim_all();
	assert_int_equal(tt_ctab_worker_del(t, 2), 0);
	s = spec_of(5, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, &r5), 0);
	assert_ptr_equal(r5, r3);

	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.heap_recs, 0);
	assert_int_equal(st.reclaimed, 2);
	assert_int_equal(st.live, 2);
	tt_ctab_destroy(t);
	assert_int_equal(log.n, 5);
}

/*
 * Replaces faster than grace periods: once every spare slot waits, records come
 * from the heap (counted), work like slab records, and are freed after their
 * grace period; then the slab serves again.
 */
static void test_heap_when_every_slot_waits(void **state)
{
	struct free_log log = {0};
	struct tt_ctab *t = make_table(2, &log);
	struct tt_ctab_worker_spec s;
	struct tt_worker_rec *rec, *slab[4];
	struct tt_ctab_stats st;

	(void)state;
	s = spec_of(1, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, &slab[0]), 0);
	s = spec_of(2, 1);
	assert_int_equal(tt_ctab_worker_add(t, &s, &slab[1]), 0);
	s = spec_of(1, 2);
	assert_int_equal(tt_ctab_worker_replace(t, &s, &slab[2]), 0);
	s = spec_of(1, 3);
	assert_int_equal(tt_ctab_worker_replace(t, &s, &slab[3]), 0);
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.heap_recs, 0);

	/* All four slots are live or waiting: the heap. */
	for (uint32_t epoch = 4; epoch <= 5; epoch++) {
		s = spec_of(1, epoch);
		assert_int_equal(tt_ctab_worker_replace(t, &s, &rec), 0);
		for (unsigned i = 0; i < 4; i++)
			assert_true(rec != slab[i]);
		assert_ptr_equal(tt_ctab_worker_lookup(t, 1), rec);
		assert_int_equal(tt_ctab_worker_epoch(rec), epoch);
		for (unsigned i = 0; i < K; i++) {
			assert_ptr_equal(tt_ctab_flow_lookup(t, &s.chan[i].key), &rec->chan[i]);
			assert_ptr_equal(rec->chan[i].rec, rec);
		}
	}
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.heap_recs, 2);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.live, 2);

	/* Three slab records and the first heap record were released. */
	reclaim_all();
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.reclaimed, 4);
	assert_int_equal(log.n, 4);

	/* The slab serves again. */
	s = spec_of(1, 6);
	assert_int_equal(tt_ctab_worker_replace(t, &s, &rec), 0);
	assert_true(rec == slab[0] || rec == slab[2] || rec == slab[3]);
	tt_ctab_stats_get(t, &st);
	assert_int_equal(st.heap_recs, 2);
	tt_ctab_destroy(t);
	/* Every record, slab and heap, went through on_free exactly once. */
	assert_int_equal(log.n, 7);
}

static void test_wstate_names(void **state)
{
	(void)state;
	assert_string_equal(tt_ctab_wstate_name(TT_CTAB_WS_JOINING), "joining");
	assert_string_equal(tt_ctab_wstate_name(TT_CTAB_WS_LIVE), "live");
	assert_string_equal(tt_ctab_wstate_name(TT_CTAB_WS_SILENCED), "silenced");
	assert_string_equal(tt_ctab_wstate_name(TT_CTAB_WS_FENCED), "fenced");
	assert_string_equal(tt_ctab_wstate_name(TT_CTAB_WS_DEAD), "dead");
	assert_string_equal(tt_ctab_wstate_name(TT_CTAB_WS_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rejects_bad_config),
		cmocka_unit_test(test_add_lookup),
		cmocka_unit_test(test_add_rejects),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_delete_and_reclaim),
		cmocka_unit_test(test_replace_epoch),
		cmocka_unit_test(test_replace_seen_by_reader),
		cmocka_unit_test(test_chan_link_state),
		cmocka_unit_test(test_worker_atomics),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_destroy_frees_and_keeps_thread_state),
		cmocka_unit_test(test_many_workers_spread),
		cmocka_unit_test(test_slot_recycled_after_grace_period),
		cmocka_unit_test(test_heap_when_every_slot_waits),
		cmocka_unit_test(test_wstate_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
