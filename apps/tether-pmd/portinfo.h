/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_PINFO_H
#define TT_PINFO_H

/**
 * @file
 * The few ethdev calls the app needs beyond drivers/port.h: opening the port
 * a config names (PCI address, vdev string or port id), applying its MTU and
 * MAC, and reading ethdev statistics and extended statistics for
 * `show port stats|xstats` and /tether/stats.
 *
 * Execution context: control thread (main lcore or the telemetry thread);
 * the statistics calls are the thread-safe ethdev readers.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** Basic ethdev counters (rte_eth_stats). */
struct tt_pinfo_stats {
	uint64_t ipackets;
	uint64_t opackets;
	uint64_t ibytes;
	uint64_t obytes;
	uint64_t imissed;
	uint64_t ierrors;
	uint64_t oerrors;
	uint64_t rx_nombuf;
};

/**
 * Find or create the ethdev of a device: a PCI address is probed
 * (rte_dev_probe), a vdev string "net_xxx0,args" is created (rte_vdev_init),
 * and its port id is looked up by name.
 *
 * @param dev      the device string.
 * @param is_vdev  true for a vdev string, false for a PCI address.
 * @param port_id  out.
 * @param err      on failure, the device and what failed.
 * @return 0 or a negative errno.
 */
int tt_pinfo_open(const char *dev, bool is_vdev, uint16_t *port_id, char *err, size_t err_len);

/** @return true if @p port_id is a valid ethdev port. */
bool tt_pinfo_valid(uint16_t port_id);

/** Set the MTU (rte_eth_dev_set_mtu). @return 0 or a negative errno. */
int tt_pinfo_set_mtu(uint16_t port_id, uint16_t mtu);

/** Set the MAC address (rte_eth_dev_default_mac_addr_set). @return 0 or a negative errno. */
int tt_pinfo_set_mac(uint16_t port_id, const uint8_t mac[6]);

/** Read the basic counters. @return 0 or a negative errno. */
int tt_pinfo_stats(uint16_t port_id, struct tt_pinfo_stats *out);

/**
 * Print every extended statistic, "  name: value" per line.
 * @return the number printed, or a negative errno.
 */
int tt_pinfo_print_xstats(FILE *out, uint16_t port_id);

#endif /* TT_PINFO_H */
