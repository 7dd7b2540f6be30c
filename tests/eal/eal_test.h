/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_EAL_TEST_H
#define TT_EAL_TEST_H

/*
 * EAL start-up shared by the eal suite: no hugepages, no PCI, no shared
 * config, one lcore, a file prefix unique to the test binary (so that two
 * DPDK processes never meet), logs on stderr so that stdout stays pure TAP.
 */

#include <stdio.h>

#include <rte_eal.h>
#include <rte_log.h>

static inline int tt_eal_test_init(const char *test_name)
{
	char prefix[64];
	char *argv[] = {
		(char *)"tether-eal-test",
		(char *)"--no-huge",
		(char *)"-m",
		(char *)"128",
		(char *)"--no-pci",
		(char *)"--no-shconf",
		(char *)"--no-telemetry",
		(char *)"-l",
		(char *)"0",
		(char *)"--log-level=lib.eal:warning",
		prefix,
	};

	snprintf(prefix, sizeof(prefix), "--file-prefix=tt_eal_%s", test_name);
	rte_openlog_stream(stderr);
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv);
}

#endif /* TT_EAL_TEST_H */
