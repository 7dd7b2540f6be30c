/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_PORT_H
#define TT_PORT_H

/**
 * @file
 * Ethernet port set-up over rte_ethdev, for any PMD.
 *
 * One struct tt_port per ethdev port: N RX and N TX queues (one pair per
 * polling lcore), an mbuf pool sized from the configuration, IPv4/UDP
 * checksum TX offloads when the PMD has them (software checksums when not),
 * start/stop, MAC address and link status. tt_port_ring_pair_create() makes
 * two ports joined back to back by rte_rings, the in-process link the
 * embedded demo and the eal tests run on.
 *
 * Every function is control path (main lcore, before the polling lcores run
 * or after they stopped) except tt_port_tx_cksum(), which is per packet.
 * Failing calls return a negative errno and log one line naming the port and
 * the rte_eth call that failed (log type user.tether.port).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

/** Most RX (and TX) queues a tt_port configures. */
#define TT_PORT_MAX_QUEUES 16

/** Defaults used where a struct tt_port_conf field is 0. */
#define TT_PORT_DEFAULT_NB_DESC 1024
#define TT_PORT_DEFAULT_BURST	32
#define TT_PORT_DEFAULT_CACHE	256

/**
 * What the caller asks of a port. A zeroed struct with nb_rxq and nb_txq set
 * is a valid configuration: every other 0 means "the default".
 */
struct tt_port_conf {
	uint16_t nb_rxq;	  /**< RX queues, 1..TT_PORT_MAX_QUEUES. */
	uint16_t nb_txq;	  /**< TX queues, 1..TT_PORT_MAX_QUEUES. */
	uint16_t nb_rxd;	  /**< RX descriptors per queue (PMD may adjust). */
	uint16_t nb_txd;	  /**< TX descriptors per queue (PMD may adjust). */
	uint16_t burst;		  /**< largest RX/TX burst an lcore uses. */
	uint16_t nb_lcores;	  /**< lcores allocating from the pool; 0: max(nb_rxq, nb_txq). */
	uint16_t cache_size;	  /**< per-lcore mempool cache, <= RTE_MEMPOOL_CACHE_MAX_SIZE. */
	uint16_t data_room;	  /**< mbuf data room; 0: RTE_MBUF_DEFAULT_BUF_SIZE. */
	uint32_t extra_mbufs;	  /**< mbufs the application holds outside the queues. */
	bool no_tx_cksum_offload; /**< true: never use checksum offloads. */
	struct rte_mempool *pool; /**< use this pool; NULL: create one sized below. */
};

/** A configured port. Fields are read-only for the caller. */
struct tt_port {
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_rxd;    /**< after the PMD's adjustment. */
	uint16_t nb_txd;    /**< after the PMD's adjustment. */
	char name[64];	    /**< ethdev name, e.g. net_ring_demo0. */
	const char *driver; /**< PMD name from dev_info. */
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	bool pool_owned;    /**< created by tt_port_init, freed by tt_port_fini. */
	bool tx_ipv4_cksum; /**< IPv4 header checksum offload enabled. */
	bool tx_udp_cksum;  /**< UDP checksum offload enabled. */
	bool lsc_intr;	    /**< PMD raises LSC interrupts; enabled in the config. */
	bool started;
};

/** Link state as the port reports it. */
struct tt_port_link {
	bool up;
	bool full_duplex;
	uint32_t speed_mbps; /**< 0 when unknown. */
};

/**
 * Number of mbufs tt_port_init() puts in a pool it creates:
 *
 *     n = nb_rxq * nb_rxd                 (one mbuf parked in every RX descriptor)
 *       + nb_txq * nb_txd                 (TX descriptors not yet completed)
 *       + nb_lcores * (cache * 3/2 + burst)  (a full per-lcore cache, which
 *                                         DPDK lets grow to 1.5x its size,
 *                                         plus the burst in the lcore's hands)
 *       + extra_mbufs                     (delay queues, TX buffers, reassembly)
 *
 * rounded up to 2^k - 1, the size a ring-backed mempool uses best.
 *
 * @param conf configuration (0 fields take their defaults).
 * @return the pool size in mbufs.
 */
uint32_t tt_port_pool_size(const struct tt_port_conf *conf);

/**
 * Configure an ethdev port: queues, descriptors, pool, offloads. Does not
 * start it. On failure nothing is left allocated.
 *
 * @param port    filled in.
 * @param port_id ethdev port.
 * @param conf    configuration.
 * @return 0, or a negative errno (-ENODEV bad port, -EINVAL bad conf,
 *         -ENOMEM no pool, or what the failing rte_eth call returned).
 */
int tt_port_init(struct tt_port *port, uint16_t port_id, const struct tt_port_conf *conf);

/**
 * Start the port (rte_eth_dev_start).
 * @return 0 or a negative errno.
 */
int tt_port_start(struct tt_port *port);

/**
 * Return the mbufs waiting in the port's RX queues to their pools, then stop
 * it. Stop every port of a link (both ends of a ring pair) before calling
 * tt_port_fini() on any of them: a port's RX queue may hold mbufs of the
 * other port's pool.
 * @return 0 or a negative errno.
 */
int tt_port_stop(struct tt_port *port);

/**
 * Stop (if needed) and close the port, and free the pool it created. A port
 * already removed (its ring pair destroyed) is skipped.
 */
void tt_port_fini(struct tt_port *port);

/**
 * Read the link state without waiting (rte_eth_link_get_nowait).
 *
 * @param port_id ethdev port.
 * @param link    filled in.
 * @return 0 or a negative errno.
 */
int tt_port_link_get(uint16_t port_id, struct tt_port_link *link);

/**
 * Make the checksums of an Ethernet/IPv4/UDP frame right for transmission on
 * this port: with offloads, set the mbuf TX flags and lengths and seed the
 * UDP pseudo-header checksum; without, compute both checksums in software.
 * The frame must sit in the first segment.
 *
 * @param port port the frame goes out of.
 * @param m    frame (Ethernet header at offset 0, no VLAN).
 * @return 0, or -EINVAL if the frame is not Ethernet/IPv4/UDP.
 *
 * Context: any lcore, per packet; no allocation.
 */
int tt_port_tx_cksum(const struct tt_port *port, struct rte_mbuf *m);

/**
 * Two ring ports joined back to back: what port_id[0] sends on TX queue q,
 * port_id[1] receives on RX queue q, and the other way round.
 */
struct tt_port_ring_pair {
	uint16_t port_id[2];
	uint16_t nb_queues;
	char vdev_name[2][64];
	/** ring[d][q] carries queue q from port_id[d] to port_id[1 - d]. */
	struct rte_ring *ring[2][TT_PORT_MAX_QUEUES];
};

/**
 * Create two ports "<name>0" and "<name>1" (ethdev names net_ring_<name>0/1)
 * with rte_eth_from_rings(), each one's RX rings the other's TX rings. The
 * rings are single-producer/single-consumer: one lcore per queue and side.
 * Configure the ports with tt_port_init() (nb_rxq, nb_txq <= nb_queues).
 *
 * @param pair      filled in.
 * @param name      1..16 characters, unique in the process.
 * @param nb_queues queues per direction, 1..TT_PORT_MAX_QUEUES.
 * @param ring_size slots per ring (a power of two).
 * @param socket_id NUMA socket for the rings (SOCKET_ID_ANY allowed).
 * @return 0 or a negative errno; on failure nothing is left behind.
 */
int tt_port_ring_pair_create(struct tt_port_ring_pair *pair, const char *name, uint16_t nb_queues,
			     unsigned int ring_size, int socket_id);

/**
 * Remove both ports of the pair, free the mbufs still in its rings, free the
 * rings. Call after both ports are stopped and before their pools are freed.
 */
void tt_port_ring_pair_destroy(struct tt_port_ring_pair *pair);

#endif /* TT_PORT_H */
