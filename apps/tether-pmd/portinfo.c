/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethdev look-ups and statistics for the app. drivers/port.h configures and
 * starts ports; this file only finds them and reads them.
 */
#include "portinfo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

/*
 * A vdev string is "name,args": rte_vdev_init takes them apart. The port's
 * name is the vdev name; a PCI device's ports are named by its address
 * (the first port of the device, which is what a config can name).
 */
int tt_pinfo_open(const char *dev, bool is_vdev, uint16_t *port_id, char *err, size_t err_len)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *comma = strchr(dev, ',');
	size_t n = comma != NULL ? (size_t)(comma - dev) : strlen(dev);
	int ret;

	if (n == 0 || n >= sizeof(name)) {
		snprintf(err, err_len, "device '%s': the name must be 1..%zu characters", dev,
			 sizeof(name) - 1);
		return -EINVAL;
	}
	memcpy(name, dev, n);
	name[n] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0; /* EAL already made it (-a / --vdev) */
	if (is_vdev)
		ret = rte_vdev_init(name, comma != NULL ? comma + 1 : "");
	else
		ret = rte_dev_probe(dev);
	if (ret < 0) {
		snprintf(err, err_len, "device '%s': %s failed: %s", dev,
			 is_vdev ? "rte_vdev_init" : "rte_dev_probe", strerror(-ret));
		return ret;
	}
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		snprintf(err, err_len, "device '%s' was created but has no ethdev port named '%s'",
			 dev, name);
		return -ENODEV;
	}
	return 0;
}

bool tt_pinfo_valid(uint16_t port_id)
{
	return rte_eth_dev_is_valid_port(port_id) != 0;
}

int tt_pinfo_set_mtu(uint16_t port_id, uint16_t mtu)
{
	return rte_eth_dev_set_mtu(port_id, mtu);
}

int tt_pinfo_set_mac(uint16_t port_id, const uint8_t mac[6])
{
	struct rte_ether_addr a;

	memcpy(a.addr_bytes, mac, sizeof(a.addr_bytes));
	return rte_eth_dev_default_mac_addr_set(port_id, &a);
}

int tt_pinfo_stats(uint16_t port_id, struct tt_pinfo_stats *out)
{
	struct rte_eth_stats st;
	int ret = rte_eth_stats_get(port_id, &st);

	if (ret != 0)
		return ret;
	out->ipackets = st.ipackets;
	out->opackets = st.opackets;
	out->ibytes = st.ibytes;
	out->obytes = st.obytes;
	out->imissed = st.imissed;
	out->ierrors = st.ierrors;
	out->oerrors = st.oerrors;
	out->rx_nombuf = st.rx_nombuf;
	return 0;
}

int tt_pinfo_print_xstats(FILE *out, uint16_t port_id)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n;
	int got;
	int i;

	n = rte_eth_xstats_get(port_id, NULL, 0);
	if (n < 0)
		return n;
	names = calloc((size_t)n + 1, sizeof(*names));
	vals = calloc((size_t)n + 1, sizeof(*vals));
	if (names == NULL || vals == NULL) {
		n = -ENOMEM;
		goto out;
	}
	if (rte_eth_xstats_get_names(port_id, names, (unsigned int)n) != n) {
		n = -EIO;
		goto out;
	}
	got = rte_eth_xstats_get(port_id, vals, (unsigned int)n);
	if (got != n) {
		n = got < 0 ? got : -EIO;
		goto out;
	}
	for (i = 0; i < n; i++)
		fprintf(out, "  %-32s %" PRIu64 "\n", names[vals[i].id].name, vals[i].value);
out:
	free(names);
	free(vals);
	return n;
}
