/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiled twice by tests/build/engine_isolation.sh: with the engine's
 * dependency set it must fail (engine/ cannot see DPDK), with libdpdk it must
 * succeed (so the failure is the missing header, not a broken probe).
 */
#include <rte_ethdev.h>

int tt_probe_port_count(void);

int tt_probe_port_count(void)
{
	return (int)rte_eth_dev_count_avail();
}
