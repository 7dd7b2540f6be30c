/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neigh.h"
#include "tt_names.h"

struct neigh_entry {
	uint32_t ip;
	uint8_t state; /* enum tt_neigh_state */
	uint8_t mac[TT_PKT_ETH_ADDR_LEN];
	uint16_t port_idx; /* learned (or static) port */
	uint16_t cfg_port; /* port to ask on, or TT_NEIGH_PORT_ANY */
	uint32_t tries;
	tt_ns_t next_ns; /* next request (INCOMPLETE, FAILED) */
};

struct tt_neigh {
	uint32_t my_ip;
	uint16_t n_ports;
	uint8_t port_mac[TT_NEIGH_MAX_PORTS][TT_PKT_ETH_ADDR_LEN];
	tt_ns_t retry_ns;
	uint32_t max_tries;
	tt_ns_t failed_retry_ns;
	tt_neigh_tx_fn tx;
	void *tx_ctx;
	uint32_t n_entries;
	uint32_t n_unresolved; /* INCOMPLETE + FAILED */
	tt_ns_t next_due;      /* no request is due before this (a lower bound) */
	uint32_t hash_mask;
	uint32_t *hash; /* open addressing: entry index + 1, 0 = empty */
	struct neigh_entry *entries;
	uint64_t ctr[TT_NEIGH_C_MAX];
};

static const char *const state_names[] = {
#define TT_X(name, str) str,
	TT_NEIGH_STATES(TT_X)
#undef TT_X
};

static const char *const ctr_names[] = {
#define TT_X(name, str) str,
	TT_NEIGH_CTRS(TT_X)
#undef TT_X
};

const char *tt_neigh_state_name(unsigned int state)
{
	return TT_NAME_AT(state_names, state, "?");
}

const char *tt_neigh_ctr_name(unsigned int ctr)
{
	return TT_NAME_AT(ctr_names, ctr, "?");
}

/* Fibonacci hashing of the address: consecutive addresses spread well. */
static inline uint32_t ip_hash(uint32_t ip)
{
	return (uint32_t)(((uint64_t)ip * 0x9e3779b97f4a7c15ull) >> 32);
}

static bool mac_is_unicast(const uint8_t mac[TT_PKT_ETH_ADDR_LEN])
{
	static const uint8_t zero[TT_PKT_ETH_ADDR_LEN];

	return (mac[0] & 1) == 0 && memcmp(mac, zero, TT_PKT_ETH_ADDR_LEN) != 0;
}

int tt_neigh_find(const struct tt_neigh *n, uint32_t ip)
{
	uint32_t i = ip_hash(ip) & n->hash_mask;

	for (;;) {
		uint32_t slot = n->hash[i];

		if (slot == 0)
			return -ENOENT;
		if (n->entries[slot - 1].ip == ip)
			return (int)(slot - 1);
		i = (i + 1) & n->hash_mask;
	}
}

static void hash_insert(struct tt_neigh *n, uint32_t idx)
{
	uint32_t i = ip_hash(n->entries[idx].ip) & n->hash_mask;

	while (n->hash[i] != 0)
		i = (i + 1) & n->hash_mask;
	n->hash[i] = idx + 1;
}

static int check_config(const struct tt_neigh_config *cfg, char *err, size_t err_len)
{
	if (cfg->my_ip == 0) {
		snprintf(err, err_len, "neigh: my_ip is 0.0.0.0, a host address is required");
		return -EINVAL;
	}
	if (cfg->n_ports == 0 || cfg->n_ports > TT_NEIGH_MAX_PORTS) {
		snprintf(err, err_len, "neigh: n_ports %u, allowed 1..%u", cfg->n_ports,
			 TT_NEIGH_MAX_PORTS);
		return -EINVAL;
	}
	if (cfg->tx == NULL) {
		snprintf(err, err_len, "neigh: tx callback missing");
		return -EINVAL;
	}
	if (cfg->n_entries > 0 && cfg->entries == NULL) {
		snprintf(err, err_len, "neigh: %u entries announced, entries is NULL",
			 cfg->n_entries);
		return -EINVAL;
	}
	if (cfg->n_entries > (1u << 24)) {
		snprintf(err, err_len, "neigh: %u entries, allowed up to %u", cfg->n_entries,
			 1u << 24);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < cfg->n_entries; i++) {
		const struct tt_neigh_entry_config *e = &cfg->entries[i];

		if (e->ip == 0 || e->ip == cfg->my_ip) {
			snprintf(err, err_len,
				 "neigh: entry %u: ip 0x%08x is %s, a peer's address is required",
				 i, e->ip, e->ip == 0 ? "0.0.0.0" : "our own address");
			return -EINVAL;
		}
		if (e->port_idx != TT_NEIGH_PORT_ANY && e->port_idx >= cfg->n_ports) {
			snprintf(err, err_len, "neigh: entry %u: port_idx %u, allowed 0..%u", i,
				 e->port_idx, cfg->n_ports - 1);
			return -EINVAL;
		}
		if (e->is_static && (!mac_is_unicast(e->mac) || e->port_idx == TT_NEIGH_PORT_ANY)) {
			snprintf(err, err_len,
				 "neigh: entry %u: a static entry needs a unicast MAC and a port",
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

struct tt_neigh *tt_neigh_create(const struct tt_neigh_config *cfg, tt_ns_t now, char *err,
				 size_t err_len)
{
	struct tt_neigh *n;
	uint32_t hsize = 2;
	int rc;

	rc = check_config(cfg, err, err_len);
	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	/* At most half full: probes stay short. */
	while (hsize < 2 * cfg->n_entries)
		hsize <<= 1;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		goto nomem;
	n->hash = calloc(hsize, sizeof(*n->hash));
	n->entries = calloc(cfg->n_entries ? cfg->n_entries : 1, sizeof(*n->entries));
	if (n->hash == NULL || n->entries == NULL)
		goto nomem;
	n->hash_mask = hsize - 1;
	n->my_ip = cfg->my_ip;
	n->n_ports = cfg->n_ports;
	memcpy(n->port_mac, cfg->port_mac, sizeof(n->port_mac));
	n->retry_ns = cfg->retry_ns ? cfg->retry_ns : TT_NEIGH_DEFAULT_RETRY_NS;
	n->max_tries = cfg->max_tries ? cfg->max_tries : TT_NEIGH_DEFAULT_MAX_TRIES;
	n->failed_retry_ns =
		cfg->failed_retry_ns ? cfg->failed_retry_ns : TT_NEIGH_DEFAULT_FAILED_RETRY_NS;
	n->tx = cfg->tx;
	n->tx_ctx = cfg->tx_ctx;
	n->next_due = now;
	for (uint32_t i = 0; i < cfg->n_entries; i++) {
		const struct tt_neigh_entry_config *c = &cfg->entries[i];
		struct neigh_entry *e = &n->entries[i];

		if (tt_neigh_find(n, c->ip) >= 0) {
			snprintf(err, err_len, "neigh: entry %u: ip 0x%08x given twice", i, c->ip);
			tt_neigh_destroy(n);
			errno = EINVAL;
			return NULL;
		}
		e->ip = c->ip;
		e->cfg_port = c->port_idx;
		e->port_idx = c->port_idx;
		if (c->is_static) {
			e->state = TT_NEIGH_S_STATIC;
			memcpy(e->mac, c->mac, TT_PKT_ETH_ADDR_LEN);
		} else {
			e->state = TT_NEIGH_S_INCOMPLETE;
			e->next_ns = now;
			n->n_unresolved++;
		}
		n->n_entries++;
		hash_insert(n, i);
	}
	return n;

nomem:
	tt_neigh_destroy(n);
	snprintf(err, err_len, "neigh: out of memory for %u entries", cfg->n_entries);
	errno = ENOMEM;
	return NULL;
}

void tt_neigh_destroy(struct tt_neigh *n)
{
	if (n == NULL)
		return;
	free(n->hash);
	free(n->entries);
	free(n);
}

const uint8_t *tt_neigh_resolve(const struct tt_neigh *n, uint32_t idx, uint16_t *port_idx)
{
	const struct neigh_entry *e;

	if (idx >= n->n_entries)
		return NULL;
	e = &n->entries[idx];
	if (e->state != TT_NEIGH_S_STATIC && e->state != TT_NEIGH_S_REACHABLE)
		return NULL;
	*port_idx = e->port_idx;
	return e->mac;
}

static void send_frame(struct tt_neigh *n, uint16_t port_idx, const struct tt_pkt_arp *a,
		       enum tt_neigh_ctr what)
{
	uint8_t frame[TT_PKT_ARP_FRAME_LEN];
	size_t len = tt_pkt_build_arp(frame, sizeof(frame), a);

	if (len != 0 && n->tx(n->tx_ctx, port_idx, frame, len) == 0)
		n->ctr[what]++;
	else
		n->ctr[TT_NEIGH_C_TX_FAILED]++;
}

/*
 * Merge the sender of an ARP packet into its entry (RFC 826, "Packet
 * Reception": if the sender's protocol address is in the table, update its
 * hardware address). Static entries keep their MAC; a different one is
 * counted as a conflict.
 */
static void merge_sender(struct tt_neigh *n, const struct tt_pkt_arp *a, uint16_t port_idx)
{
	struct neigh_entry *e;
	int idx;

	/* 0.0.0.0 is an address probe (RFC 5227 §2.1.1): the sender has no address yet. */
	if (a->spa == 0)
		return;
	idx = tt_neigh_find(n, a->spa);
	if (idx < 0)
		return;
	e = &n->entries[idx];
	switch (e->state) {
	case TT_NEIGH_S_STATIC:
		if (memcmp(e->mac, a->sha, TT_PKT_ETH_ADDR_LEN) != 0)
			n->ctr[TT_NEIGH_C_STATIC_CONFLICT]++;
		return;
	case TT_NEIGH_S_REACHABLE:
		if (memcmp(e->mac, a->sha, TT_PKT_ETH_ADDR_LEN) != 0 || e->port_idx != port_idx)
			n->ctr[TT_NEIGH_C_UPDATED]++;
		break;
	default:
		n->n_unresolved--;
		n->ctr[TT_NEIGH_C_LEARNED]++;
		break;
	}
	e->state = TT_NEIGH_S_REACHABLE;
	memcpy(e->mac, a->sha, TT_PKT_ETH_ADDR_LEN);
	/* The peer is where its packet came from. */
	e->port_idx = port_idx;
	e->tries = 0;
}

enum tt_neigh_rx tt_neigh_rx_arp(struct tt_neigh *n, uint16_t port_idx, const uint8_t *frame,
				 size_t len, tt_ns_t now)
{
	struct tt_pkt_arp a, reply;

	(void)now;
	if (port_idx >= n->n_ports || tt_pkt_parse_arp(frame, len, &a) != TT_PKT_RX_OK ||
	    !mac_is_unicast(a.sha)) {
		n->ctr[TT_NEIGH_C_MALFORMED]++;
		return TT_NEIGH_RX_MALFORMED;
	}
	merge_sender(n, &a, port_idx);
	/* RFC 826: "?Am I the target protocol address?" If not, stop here. */
	if (a.tpa != n->my_ip) {
		n->ctr[TT_NEIGH_C_NOT_OURS]++;
		return TT_NEIGH_RX_NOT_OURS;
	}
	if (a.op == TT_PKT_ARP_REPLY) {
		n->ctr[TT_NEIGH_C_REPLY_RX]++;
		return TT_NEIGH_RX_OURS;
	}
	/* RFC 826: a request for us is answered on the interface it came in on. */
	n->ctr[TT_NEIGH_C_REQ_RX]++;
	tt_pkt_arp_reply(&reply, &a, n->port_mac[port_idx]);
	send_frame(n, port_idx, &reply, TT_NEIGH_C_REPLY_TX);
	return TT_NEIGH_RX_OURS;
}

static void send_request(struct tt_neigh *n, const struct neigh_entry *e)
{
	struct tt_pkt_arp req;

	for (uint16_t p = 0; p < n->n_ports; p++) {
		if (e->cfg_port != TT_NEIGH_PORT_ANY && e->cfg_port != p)
			continue;
		tt_pkt_arp_request(&req, n->port_mac[p], n->my_ip, e->ip);
		send_frame(n, p, &req, TT_NEIGH_C_REQ_TX);
	}
}

/*
 * Contract: neigh.h. Walks the unresolved entries only when the cached lower
 * bound next_due is reached, and recomputes it on the way, so an idle table
 * costs one comparison per pass.
 */
unsigned int tt_neigh_poll(struct tt_neigh *n, tt_ns_t now)
{
	unsigned int sent = 0;
	bool any = false;
	tt_ns_t next = 0;

	if (n->n_unresolved == 0 || !tt_time_reached(now, n->next_due))
		return 0;
	for (uint32_t i = 0; i < n->n_entries; i++) {
		struct neigh_entry *e = &n->entries[i];

		if (e->state != TT_NEIGH_S_INCOMPLETE && e->state != TT_NEIGH_S_FAILED)
			continue;
		if (tt_time_reached(now, e->next_ns)) {
			if (e->state == TT_NEIGH_S_INCOMPLETE && e->tries >= n->max_tries) {
				e->state = TT_NEIGH_S_FAILED;
				n->ctr[TT_NEIGH_C_RESOLVE_FAILED]++;
			}
			send_request(n, e);
			e->tries++;
			sent++;
			e->next_ns = now + (e->state == TT_NEIGH_S_FAILED ? n->failed_retry_ns
									  : n->retry_ns);
		}
		if (!any || tt_time_before(e->next_ns, next))
			next = e->next_ns;
		any = true;
	}
	n->next_due = next;
	return sent;
}

bool tt_neigh_next_deadline(const struct tt_neigh *n, tt_ns_t *deadline)
{
	if (n->n_unresolved == 0)
		return false;
	*deadline = n->next_due;
	return true;
}

uint32_t tt_neigh_count(const struct tt_neigh *n)
{
	return n->n_entries;
}

int tt_neigh_entry_get(const struct tt_neigh *n, uint32_t idx, struct tt_neigh_entry_info *info)
{
	const struct neigh_entry *e;

	if (idx >= n->n_entries)
		return -ENOENT;
	e = &n->entries[idx];
	memset(info, 0, sizeof(*info));
	info->ip = e->ip;
	info->state = (enum tt_neigh_state)e->state;
	info->tries = e->tries;
	if (e->state == TT_NEIGH_S_STATIC || e->state == TT_NEIGH_S_REACHABLE) {
		memcpy(info->mac, e->mac, TT_PKT_ETH_ADDR_LEN);
		info->port_idx = e->port_idx;
	}
	return 0;
}

const uint64_t *tt_neigh_counters(const struct tt_neigh *n)
{
	return n->ctr;
}
