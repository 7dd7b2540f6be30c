/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_NEIGH_H
#define TT_NEIGH_H

/**
 * @file
 * Neighbours of one endpoint (DESIGN.md §2 "ARP"): answer ARP for the
 * endpoint's IPv4 address, and map each peer's IPv4 address to a MAC address
 * and the port it is reached through, from a static entry or by ARP
 * (RFC 826) with retry.
 *
 * The table holds a fixed set of addresses given at create (the endpoint's
 * peers and any static entries): an endpoint only ever sends to those, so
 * nothing is learned about other hosts (their requests are still answered).
 * Entry states:
 *
 *   STATIC      MAC fixed by the configuration; ARP never changes it
 *               (a conflicting ARP is counted in static_conflict).
 *   INCOMPLETE  no MAC yet: a request is broadcast on the entry's port (or on
 *               every port when it has none) every retry_ns, max_tries times.
 *   REACHABLE   MAC learned from an ARP packet of that address (RFC 826
 *               "merge": any request or reply whose sender is the entry).
 *   FAILED      max_tries requests unanswered (counted in resolve_failed);
 *               still probed every failed_retry_ns, and a late answer makes
 *               it REACHABLE.
 *
 * Learned entries do not age: a peer that changes its MAC is re-learned from
 * its next ARP packet (every request it sends us carries it).
 *
 * Pure: no DPDK, no clock reads, no allocation after tt_neigh_create().
 * Frames go out through a callback the caller supplies. One thread (the
 * lcore owning the endpoint) calls every function except the counters and
 * tt_neigh_entry_get(), which are plain reads meant for a stopped lcore or
 * for that same thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "tt_time.h"

/** Most ports one table sends requests on. */
#define TT_NEIGH_MAX_PORTS 8
/** tt_neigh_entry_config.port_idx: no fixed port, ARP on every port. */
#define TT_NEIGH_PORT_ANY 0xffffu

/** Defaults used where a struct tt_neigh_config field is 0. */
#define TT_NEIGH_DEFAULT_RETRY_NS	 (100ull * TT_NS_PER_MS)
#define TT_NEIGH_DEFAULT_MAX_TRIES	 5u
#define TT_NEIGH_DEFAULT_FAILED_RETRY_NS (1000ull * TT_NS_PER_MS)

/** Entry states. X(name, printable) */
#define TT_NEIGH_STATES(X)                                                                         \
	X(STATIC, "static")                                                                        \
	X(INCOMPLETE, "incomplete")                                                                \
	X(REACHABLE, "reachable")                                                                  \
	X(FAILED, "failed")

/* clang-format off */
enum tt_neigh_state {
#define TT_X(name, str) TT_NEIGH_S_##name,
	TT_NEIGH_STATES(TT_X)
#undef TT_X
	TT_NEIGH_S_MAX
};
/* clang-format on */

/** Counters. X(name, printable) */
#define TT_NEIGH_CTRS(X)                                                                           \
	X(REQ_RX, "requests received for our address")                                             \
	X(REPLY_TX, "replies sent")                                                                \
	X(REQ_TX, "requests sent")                                                                 \
	X(REPLY_RX, "replies received")                                                            \
	X(LEARNED, "entries resolved (INCOMPLETE/FAILED -> REACHABLE)")                            \
	X(UPDATED, "REACHABLE entries whose MAC or port changed")                                  \
	X(NOT_OURS, "ARP about other hosts' addresses (counted, not an error)")                    \
	X(MALFORMED, "ARP frames that failed tt_pkt_parse_arp")                                    \
	X(STATIC_CONFLICT, "ARP claiming a static entry's address with another MAC: ignored")      \
	X(RESOLVE_FAILED, "entries that ran out of tries (-> FAILED)")                             \
	X(TX_FAILED, "frames the tx callback refused")

/* clang-format off */
enum tt_neigh_ctr {
#define TT_X(name, str) TT_NEIGH_C_##name,
	TT_NEIGH_CTRS(TT_X)
#undef TT_X
	TT_NEIGH_C_MAX
};
/* clang-format on */

/** One address of the table. */
struct tt_neigh_entry_config {
	uint32_t ip;			  /**< host order, not 0, unique in the table */
	bool is_static;			  /**< true: mac is fixed, never resolved */
	uint8_t mac[TT_PKT_ETH_ADDR_LEN]; /**< static MAC */
	uint16_t port_idx; /**< port it is reached through; TT_NEIGH_PORT_ANY: learn it */
};

/**
 * Send one frame on a port of the endpoint.
 *
 * @param ctx      tt_neigh_config.tx_ctx.
 * @param port_idx index into tt_neigh_config.port_mac.
 * @param frame    the frame (copy it: it is only valid during the call).
 * @param len      its length.
 * @return 0, or a negative errno (counted in TX_FAILED).
 */
typedef int (*tt_neigh_tx_fn)(void *ctx, uint16_t port_idx, const uint8_t *frame, size_t len);

/** Table configuration, copied by tt_neigh_create(). 0 fields take their defaults. */
struct tt_neigh_config {
	uint32_t my_ip;	  /**< the endpoint's IPv4 address, host order */
	uint16_t n_ports; /**< 1..TT_NEIGH_MAX_PORTS */
	uint8_t port_mac[TT_NEIGH_MAX_PORTS][TT_PKT_ETH_ADDR_LEN]; /**< our MAC on each port */
	uint32_t n_entries;
	const struct tt_neigh_entry_config *entries; /**< copied */
	tt_ns_t retry_ns;			     /**< INCOMPLETE: time between requests */
	uint32_t max_tries;			     /**< requests before FAILED */
	tt_ns_t failed_retry_ns;		     /**< FAILED: time between requests */
	tt_neigh_tx_fn tx;
	void *tx_ctx;
};

/** What tt_neigh_entry_get() reports. */
struct tt_neigh_entry_info {
	uint32_t ip;
	enum tt_neigh_state state;
	uint8_t mac[TT_PKT_ETH_ADDR_LEN]; /**< valid in STATIC and REACHABLE */
	uint16_t port_idx;		  /**< valid in STATIC and REACHABLE */
	uint32_t tries;			  /**< requests sent since the last resolution */
};

struct tt_neigh;

/** Printable names ("reachable"; the counter's description); "?" out of range. */
const char *tt_neigh_state_name(unsigned int state);
const char *tt_neigh_ctr_name(unsigned int ctr);

/**
 * Create a table. Entries that are not static start INCOMPLETE with their
 * first request due at @p now (tt_neigh_poll() sends it).
 *
 * @param cfg  configuration.
 * @param now  current time.
 * @param err  on failure, a message naming the bad value; may be NULL if err_len is 0.
 * @return the table, or NULL with errno EINVAL (bad configuration: my_ip 0,
 *         n_ports, an entry IP 0 or repeated or equal to my_ip, a port_idx
 *         out of range, a static MAC that is multicast or zero, tx NULL) or ENOMEM.
 * Context: control path.
 */
struct tt_neigh *tt_neigh_create(const struct tt_neigh_config *cfg, tt_ns_t now, char *err,
				 size_t err_len);

/** Free a table (NULL is fine). */
void tt_neigh_destroy(struct tt_neigh *n);

/**
 * Find the entry of an address.
 * @return its index (0..n_entries-1, the order of the configuration), or -ENOENT.
 * Context: owning thread, per packet; no allocation (open addressing hash).
 */
int tt_neigh_find(const struct tt_neigh *n, uint32_t ip);

/**
 * The MAC and port to send to entry @p idx.
 *
 * @param port_idx out: the port.
 * @return the MAC (valid until the next tt_neigh_rx_arp()), or NULL while the
 *         entry is unresolved (INCOMPLETE, FAILED) or idx is out of range.
 * Context: owning thread, per packet.
 */
const uint8_t *tt_neigh_resolve(const struct tt_neigh *n, uint32_t idx, uint16_t *port_idx);

/** Result of tt_neigh_rx_arp(). */
enum tt_neigh_rx {
	TT_NEIGH_RX_OURS,     /**< a request for our address (answered) or a reply to us */
	TT_NEIGH_RX_NOT_OURS, /**< ARP about another host: counted, not an error */
	TT_NEIGH_RX_MALFORMED /**< not ARP for IPv4 over Ethernet: counted */
};

/**
 * Handle a received ARP frame (ethertype 0x0806) that came in on @p port_idx:
 * RFC 826 "packet reception": merge the sender into its entry if the table
 * has one (unless static), then, if the target is our address and the
 * opcode is request, send the reply on the same port.
 *
 * @return the verdict.
 * Context: owning thread, per packet; sends at most one frame.
 */
enum tt_neigh_rx tt_neigh_rx_arp(struct tt_neigh *n, uint16_t port_idx, const uint8_t *frame,
				 size_t len, tt_ns_t now);

/**
 * Send the requests that are due (INCOMPLETE every retry_ns up to max_tries,
 * then FAILED every failed_retry_ns).
 *
 * @return frames sent.
 * Context: owning thread, once per loop pass or when tt_neigh_next_deadline() is reached.
 */
unsigned int tt_neigh_poll(struct tt_neigh *n, tt_ns_t now);

/**
 * When tt_neigh_poll() must next run.
 * @return false if every entry is resolved (nothing to send).
 */
bool tt_neigh_next_deadline(const struct tt_neigh *n, tt_ns_t *deadline);

/** Entries in the table. */
uint32_t tt_neigh_count(const struct tt_neigh *n);

/**
 * Read one entry.
 * @return 0, or -ENOENT (idx out of range).
 */
int tt_neigh_entry_get(const struct tt_neigh *n, uint32_t idx, struct tt_neigh_entry_info *info);

/**
 * The counters, indexed by enum tt_neigh_ctr (TT_NEIGH_C_MAX values).
 */
const uint64_t *tt_neigh_counters(const struct tt_neigh *n);

#endif /* TT_NEIGH_H */
