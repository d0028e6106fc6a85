// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Interface queries: index, driver name, RX queue count. Used to negotiate modes and to
 * name the driver in every error about what it refused. */
#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include "xf_internal.h"

int xf_iface_index(const char *ifname)
{
	unsigned int idx;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
		xf_err("interface name '%s' is not valid; give an interface name as 'ip link' shows it",
		       ifname ? ifname : "");
		return -EINVAL;
	}
	idx = if_nametoindex(ifname);
	if (!idx) {
		int err = -errno;

		xf_err("interface '%s' not found in this network namespace; check 'ip link'",
		       ifname);
		return err;
	}
	return (int)idx;
}

int xf_iface_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd, err = 0;

	snprintf(buf, len, "unknown");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	else
		snprintf(buf, len, "%s", info.driver);
	close(fd);
	return err;
}

int xf_iface_rx_queues(const char *ifname)
{
	char path[128];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n;
}
