// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* System facts behind `xskflow doctor` and the library's guards: ethtool and sysfs for the
 * interface, the netdev netlink family for XDP capabilities and queues, kernel BTF and probe
 * sockets for AF_XDP features, /proc for memory, libnuma for NUMA. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <link.h>
#include <net/if.h>
#include <numa.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <xdp/libxdp.h>
#include <xskflow/sysinfo.h>
#include "compat.h"
#include "xf_internal.h"

const char *xf_sysfs_root = "/sys";
const char *xf_procfs_root = "/proc";

/* ---- small helpers ---- */

/* Copy a fully built info struct to the caller's, which may be older (smaller) or newer
 * (larger: the tail it knows and we do not is zeroed). */
static int fill_out(void *dst, const void *src, size_t full)
{
	size_t sz = *(const size_t *)dst;

	if (sz < sizeof(size_t))
		return -EINVAL;
	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       (sz < full ? sz : full) - sizeof(size_t));
	if (sz > full)
		memset((char *)dst + full, 0, sz - full);
	return 0;
}

/* The path of @rel in the interface's sysfs folder: every sysfs read below goes through
 * here, so that tests can point xf_sysfs_root at a made-up tree. */
static void net_path(char *path, size_t len, const char *ifname, const char *rel)
{
	snprintf(path, len, "%s/class/net/%s/%s", xf_sysfs_root, ifname, rel);
}

/* Read a small text file; trailing newlines removed. Returns its length or -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = (ssize_t)fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

/* A number from the interface's sysfs file @rel. */
static int net_s64(const char *ifname, const char *rel, long long *v)
{
	char path[PATH_MAX], buf[64], *end;

	net_path(path, sizeof(path), ifname, rel);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -ENOENT;
	errno = 0;
	*v = strtoll(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static __u64 stat_counter(const char *ifname, const char *name)
{
	char rel[64];
	long long v;

	snprintf(rel, sizeof(rel), "statistics/%s", name);
	if (net_s64(ifname, rel, &v) || v < 0)
		return 0;
	return (__u64)v;
}

/* ---- /proc/meminfo ---- */

struct meminfo {
	__u64 total, mlocked, unevictable, hp_size, hp_total, hp_free, hp_rsvd, hp_surp;
};

static int read_meminfo(struct meminfo *mi)
{
	static const struct {
		const char *key;
		size_t off;
		bool kb;
	} keys[] = {
		{ "MemTotal:", offsetof(struct meminfo, total), true },
		{ "Mlocked:", offsetof(struct meminfo, mlocked), true },
		{ "Unevictable:", offsetof(struct meminfo, unevictable), true },
		{ "Hugepagesize:", offsetof(struct meminfo, hp_size), true },
		{ "HugePages_Total:", offsetof(struct meminfo, hp_total), false },
		{ "HugePages_Free:", offsetof(struct meminfo, hp_free), false },
		{ "HugePages_Rsvd:", offsetof(struct meminfo, hp_rsvd), false },
		{ "HugePages_Surp:", offsetof(struct meminfo, hp_surp), false },
	};
	char path[PATH_MAX], line[256];
	FILE *f;

	memset(mi, 0, sizeof(*mi));
	snprintf(path, sizeof(path), "%s/meminfo", xf_procfs_root);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t kl = strlen(keys[i].key);
			unsigned long long v;

			if (strncmp(line, keys[i].key, kl) || sscanf(line + kl, "%llu", &v) != 1)
				continue;
			*(__u64 *)((char *)mi + keys[i].off) = keys[i].kb ? v * 1024 : v;
		}
	}
	fclose(f);
	return mi->total ? 0 : -EINVAL;
}

__u64 xf_ram_bytes(void)
{
	struct meminfo mi;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	if (!read_meminfo(&mi))
		return mi.total;
	return pages > 0 && page > 0 ? (__u64)pages * (__u64)page : 0;
}

/* ---- interface: ethtool and sysfs ---- */

static int ethtool_ioctl(int fd, const char *ifname, void *data)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

static void count_sysfs_queues(const char *ifname, __u32 *rx, __u32 *tx)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	*rx = *tx = 0;
	net_path(path, sizeof(path), ifname, "queues");
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "rx-", 3))
			(*rx)++;
		else if (!strncmp(de->d_name, "tx-", 3))
			(*tx)++;
	}
	closedir(d);
}

/* The numeric name of the IOMMU group the device's iommu_group link points to, or -1. */
static int iommu_group_of(const char *ifname)
{
	char path[PATH_MAX], target[PATH_MAX], *base, *end;
	ssize_t n;
	long g;

	net_path(path, sizeof(path), ifname, "device/iommu_group");
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	g = strtol(base, &end, 10);
	return (*base && !*end && g >= 0 && g <= INT_MAX) ? (int)g : -1;
}

static int device_numa_node(const char *ifname)
{
	long long v;

	if (net_s64(ifname, "device/numa_node", &v) || v < 0 || v > INT_MAX)
		return -ENOENT;
	return (int)v;
}

int xf_iface_numa_node(const char *ifname)
{
	int err = xf_iface_index(ifname);

	if (err < 0)
		return -ENODEV;
	return device_numa_node(ifname);
}

int xf_sysinfo_iface(const char *ifname, struct xf_iface_info *out)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct xf_iface_info i = { .sz = sizeof(i) };
	char path[PATH_MAX];
	struct stat st;
	int fd, idx;

	idx = xf_iface_index(ifname);
	if (idx < 0)
		return -ENODEV;
	i.ifindex = idx;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!ethtool_ioctl(fd, ifname, &drv)) {
		snprintf(i.driver, sizeof(i.driver), "%s", drv.driver);
		snprintf(i.version, sizeof(i.version), "%s", drv.version);
		snprintf(i.fw_version, sizeof(i.fw_version), "%s", drv.fw_version);
		snprintf(i.bus_info, sizeof(i.bus_info), "%s", drv.bus_info);
	} else {
		xf_dbg("interface '%s': no ethtool driver info", ifname);
	}
	if (!ethtool_ioctl(fd, ifname, &ch)) {
		i.channels_known = true;
		i.rx = ch.rx_count;
		i.tx = ch.tx_count;
		i.combined = ch.combined_count;
		i.other = ch.other_count;
		i.max_rx = ch.max_rx;
		i.max_tx = ch.max_tx;
		i.max_combined = ch.max_combined;
		i.max_other = ch.max_other;
	}
	close(fd);
	count_sysfs_queues(ifname, &i.sysfs_rx, &i.sysfs_tx);

	net_path(path, sizeof(path), ifname, "device");
	i.has_device = !stat(path, &st);
	i.numa_node = i.has_device ? device_numa_node(ifname) : -1;
	if (i.numa_node < 0)
		i.numa_node = -1;
	i.iommu_group = i.has_device ? iommu_group_of(ifname) : -1;

	i.rx_dropped = stat_counter(ifname, "rx_dropped");
	i.rx_missed_errors = stat_counter(ifname, "rx_missed_errors");
	i.rx_fifo_errors = stat_counter(ifname, "rx_fifo_errors");
	i.tx_dropped = stat_counter(ifname, "tx_dropped");
	return fill_out(out, &i, sizeof(i));
}

/* ---- generic netlink through libmnl ---- */

struct nl {
	struct mnl_socket *sock;
	unsigned int portid, seq;
	char buf[32768];
};

static int nl_open(struct nl *nl, int bus)
{
	nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(nl->sock);
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

static void nl_close(struct nl *nl)
{
	mnl_socket_close(nl->sock);
}

/* A generic netlink request with its header; attributes go after it. */
static struct nlmsghdr *genl_req(struct nl *nl, char *buf, __u16 type, __u16 flags, __u8 cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* Send @req and run @cb over every reply until the kernel says done (or acks).
 * Returns 0 or -errno, the kernel's error included. */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		int ret;

		if (n < 0)
			return -errno;
		ret = mnl_cb_run(nl->buf, (size_t)n, req->nlmsg_seq, nl->portid, cb, data);
		if (ret < 0)
			return errno ? -errno : -EIO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* Collect attributes up to @max into tb[], ignoring types we do not know. */
struct attr_tab {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attr_tab *t = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int parse_genl(const struct nlmsghdr *nlh, const struct nlattr **tb, unsigned int max)
{
	struct attr_tab t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, &t);
}

static bool attr_u32(const struct nlattr *a, __u32 *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(a);
	return true;
}

static bool attr_u64(const struct nlattr *a, __u64 *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return false;
	*v = mnl_attr_get_u64(a);
	return true;
}

struct family {
	__u16 id;
	__u64 ops;	/* bit n: command n exists */
};

static int op_cb(const struct nlattr *a, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_OP_MAX + 1] = {};
	struct attr_tab t = { tb, CTRL_ATTR_OP_MAX };
	struct family *fam = data;
	__u32 id;

	if (mnl_attr_parse_nested(a, attr_cb, &t) < 0)
		return MNL_CB_ERROR;
	if (attr_u32(tb[CTRL_ATTR_OP_ID], &id) && id < 64)
		fam->ops |= 1ull << id;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct family *fam = data;

	if (parse_genl(nlh, tb, CTRL_ATTR_MAX) < 0)
		return MNL_CB_ERROR;
	if (tb[CTRL_ATTR_FAMILY_ID] && !mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16))
		fam->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_OPS] && mnl_attr_parse_nested(tb[CTRL_ATTR_OPS], op_cb, fam) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/* Resolve the netdev family. -EOPNOTSUPP when this kernel has none. */
static int netdev_family(struct nl *nl, struct family *fam)
{
	char buf[256];
	struct nlmsghdr *req = genl_req(nl, buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY);
	int err;

	memset(fam, 0, sizeof(*fam));
	mnl_attr_put_strz(req, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME);
	err = nl_talk(nl, req, family_cb, fam);
	if (err == -ENOENT || (!err && !fam->id))
		return -EOPNOTSUPP;
	return err;
}

/* One netdev request: command @cmd (NLM_F_ACK for one reply, NLM_F_DUMP for many) about
 * interface @ifindex in attribute @ifattr, every reply through @cb. -EOPNOTSUPP when the
 * kernel has no netdev family or not that command. */
static int netdev_request(__u8 cmd, __u16 flags, __u16 ifattr, __u32 ifindex, mnl_cb_t cb,
			  void *data)
{
	struct family fam;
	struct nlmsghdr *req;
	char buf[256];
	struct nl nl;
	int err;

	err = nl_open(&nl, NETLINK_GENERIC);
	if (err)
		return err;
	err = netdev_family(&nl, &fam);
	if (!err && !(fam.ops & (1ull << cmd)))
		err = -EOPNOTSUPP;
	if (!err) {
		req = genl_req(&nl, buf, fam.id, flags, cmd);
		mnl_attr_put_u32(req, ifattr, ifindex);
		err = nl_talk(&nl, req, cb, data);
	}
	nl_close(&nl);
	return err;
}

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[XF_NETDEV_A_DEV_MAX + 1];
	struct xf_xdp_features *f = data;

	if (parse_genl(nlh, tb, XF_NETDEV_A_DEV_MAX) < 0)
		return MNL_CB_ERROR;
	attr_u64(tb[XF_NETDEV_A_DEV_XDP_FEATURES], &f->xdp);
	f->zc_max_segs_known = attr_u32(tb[XF_NETDEV_A_DEV_XDP_ZC_MAX_SEGS], &f->zc_max_segs);
	f->xsk_known = attr_u64(tb[XF_NETDEV_A_DEV_XSK_FEATURES], &f->xsk);
	return MNL_CB_OK;
}

int xf_sysinfo_xdp_features(const char *ifname, struct xf_xdp_features *out)
{
	struct xf_xdp_features f = { .sz = sizeof(f) };
	int idx, err;

	idx = xf_iface_index(ifname);
	if (idx < 0)
		return -ENODEV;
	err = netdev_request(XF_NETDEV_CMD_DEV_GET, NLM_F_ACK, XF_NETDEV_A_DEV_IFINDEX,
			     (__u32)idx, dev_cb, &f);
	if (err == -EOPNOTSUPP)
		xf_dbg("the kernel has no '%s' netlink family: XDP features unknown",
		       NETDEV_FAMILY_NAME);
	else if (err)
		xf_dbg("interface '%s': netdev dev-get failed: %s", ifname, strerror(-err));
	return err ? err : fill_out(out, &f, sizeof(f));
}

/* ---- kernel BTF ---- */

static struct btf *vmlinux_btf(void)
{
	struct btf *btf;

	xf_install_lib_printers();
	btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(btf))
		return NULL;
	return btf;
}

static enum xf_tristate btf_has_member(const struct btf *btf, const char *sname,
				       const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id;

	if (!btf)
		return XF_UNKNOWN;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	if (id < 0)
		return XF_UNKNOWN;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (unsigned short i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return XF_YES;
	return XF_NO;
}

static enum xf_tristate btf_has_enumerator(const struct btf *btf, const char *name)
{
	__u32 n;

	if (!btf)
		return XF_UNKNOWN;
	n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (unsigned short i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name))
				return XF_YES;
	}
	return XF_NO;
}

/* ---- queues and AF_XDP sockets ---- */

struct queue_dump {
	__u32 ifindex;
	struct xf_queue_info *q;
	size_t max, n;
	bool any_xsk;
	/* With @find_rx set, only the NAPI id of RX queue @rx_id is kept (in @rx_napi). */
	bool find_rx, rx_found;
	__u32 rx_id, rx_napi;
};

static int queue_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[XF_NETDEV_A_QUEUE_MAX + 1];
	struct queue_dump *d = data;
	struct xf_queue_info qi = {};
	__u32 ifindex = 0, type = 0;

	if (parse_genl(nlh, tb, XF_NETDEV_A_QUEUE_MAX) < 0)
		return MNL_CB_ERROR;
	if (!attr_u32(tb[XF_NETDEV_A_QUEUE_IFINDEX], &ifindex) || ifindex != d->ifindex ||
	    !attr_u32(tb[XF_NETDEV_A_QUEUE_ID], &qi.id))
		return MNL_CB_OK;
	attr_u32(tb[XF_NETDEV_A_QUEUE_TYPE], &type);
	attr_u32(tb[XF_NETDEV_A_QUEUE_NAPI_ID], &qi.napi_id);
	qi.tx = type == XF_NETDEV_QUEUE_TYPE_TX;
	qi.xsk = tb[XF_NETDEV_A_QUEUE_XSK] != NULL;
	if (d->find_rx) {
		if (!qi.tx && qi.id == d->rx_id) {
			d->rx_found = true;
			d->rx_napi = qi.napi_id;
		}
		d->n++;
		return MNL_CB_OK;
	}
	d->any_xsk |= qi.xsk;
	if (d->n < d->max)
		d->q[d->n] = qi;
	d->n++;
	return MNL_CB_OK;
}

/* Dump the queues of d->ifindex into @d. -ENETDOWN when the kernel lists none (it lists
 * the queues of interfaces that are up only), -EOPNOTSUPP when it cannot list queues. */
static int queue_dump_run(struct queue_dump *d)
{
	int err = netdev_request(XF_NETDEV_CMD_QUEUE_GET, NLM_F_DUMP, XF_NETDEV_A_QUEUE_IFINDEX,
				 d->ifindex, queue_cb, d);

	if (!err && !d->n)
		err = -ENETDOWN;
	return err;
}

int xf_sysinfo_queues(const char *ifname, struct xf_queue_info *q, size_t max)
{
	struct queue_dump d = { .q = q, .max = max };
	enum xf_tristate knows_xsk;
	struct btf *btf;
	int idx, err;

	idx = xf_iface_index(ifname);
	if (idx < 0)
		return -ENODEV;
	d.ifindex = (__u32)idx;
	err = queue_dump_run(&d);
	if (err)
		return err;
	/* A queue without the attribute means "no socket" only if the kernel knows it. */
	if (!d.any_xsk) {
		btf = vmlinux_btf();
		knows_xsk = btf_has_enumerator(btf, "NETDEV_A_QUEUE_XSK");
		btf__free(btf);
		if (knows_xsk != XF_YES) {
			xf_dbg("the kernel does not report AF_XDP sockets per queue");
			return -EOPNOTSUPP;
		}
	}
	return (int)d.n;
}

/* The NAPI instances of an interface: how many, the first's thread, and the one looked for. */
struct napi_dump {
	__u32 ifindex, want;		/* want: a NAPI id, 0 for none */
	size_t n;
	__u32 first_pid;
	bool found;
	__u32 pid;
};

static int napi_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[XF_NETDEV_A_NAPI_MAX + 1];
	struct napi_dump *d = data;
	__u32 ifindex = 0, id = 0, pid = 0;

	if (parse_genl(nlh, tb, XF_NETDEV_A_NAPI_MAX) < 0)
		return MNL_CB_ERROR;
	if (!attr_u32(tb[XF_NETDEV_A_NAPI_IFINDEX], &ifindex) || ifindex != d->ifindex ||
	    !attr_u32(tb[XF_NETDEV_A_NAPI_ID], &id))
		return MNL_CB_OK;
	attr_u32(tb[XF_NETDEV_A_NAPI_PID], &pid);
	if (!d->n++)
		d->first_pid = pid;
	if (d->want && id == d->want) {
		d->found = true;
		d->pid = pid;
	}
	return MNL_CB_OK;
}

int xf_sysinfo_napi_thread(const char *ifname, __u32 rxq)
{
	struct queue_dump qd = { .find_rx = true, .rx_id = rxq };
	struct napi_dump nd = {};
	int idx, err;

	idx = xf_iface_index(ifname);
	if (idx < 0)
		return -ENODEV;
	qd.ifindex = nd.ifindex = (__u32)idx;
	err = queue_dump_run(&qd);
	if (err)
		return err;
	if (!qd.rx_found)
		return -ENOENT;
	nd.want = qd.rx_napi;
	err = netdev_request(XF_NETDEV_CMD_NAPI_GET, NLM_F_DUMP, XF_NETDEV_A_NAPI_IFINDEX,
			     nd.ifindex, napi_cb, &nd);
	if (err)
		return err;
	if (!nd.n)
		return 0;
	if (nd.want)
		return nd.found ? (int)nd.pid : -ENOENT;
	/* Drivers that do not link queues to NAPI instances (veth) leave the queue's NAPI id
	 * 0; with one instance there is no doubt which serves the queue. */
	return nd.n == 1 ? (int)nd.first_pid : -ENOENT;
}

const char *xf_xdp_attached_str(__u8 mode)
{
	switch (mode) {
	case XDP_ATTACHED_NONE: return "none";
	case XDP_ATTACHED_DRV: return "native";
	case XDP_ATTACHED_SKB: return "generic";
	case XDP_ATTACHED_HW: return "offload";
	case XDP_ATTACHED_MULTI: return "multi";
	default: return "unknown";
	}
}

static void add_prog(struct xf_xdp_attached *a, __u32 id, const char *name, __u8 mode,
		     __u32 dispatcher)
{
	struct xf_xdp_prog_info *p;

	if (a->nprogs >= XF_XDP_MAX_PROGS)
		return;
	p = &a->progs[a->nprogs++];
	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
	p->mode = mode;
	p->dispatcher_id = dispatcher;
}

static void prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(name, len, "%s", info.name);
	close(fd);
}

/* The programs a libxdp dispatcher runs. */
static void add_dispatched(struct xf_xdp_attached *a, int ifindex, __u32 disp_id, __u8 mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;

	if (libxdp_get_error(mp)) {
		xf_dbg("ifindex %d: cannot read the programs of dispatcher %u", ifindex, disp_id);
		return;
	}
	if (!xdp_multiprog__is_legacy(mp))
		for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
			add_prog(a, xdp_program__id(p), xdp_program__name(p), mode, disp_id);
	xdp_multiprog__close(mp);
}

int xf_sysinfo_xdp_attached(const char *ifname, struct xf_xdp_attached *out)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xf_xdp_attached a = { .sz = sizeof(a) };
	static const __u8 modes[3] = { XDP_ATTACHED_DRV, XDP_ATTACHED_SKB, XDP_ATTACHED_HW };
	__u32 idv[3];
	int idx, err;

	idx = xf_iface_index(ifname);
	if (idx < 0)
		return -ENODEV;
	xf_install_lib_printers();
	err = bpf_xdp_query(idx, 0, &q);
	if (err) {
		xf_dbg("interface '%s': cannot query XDP programs: %s", ifname, strerror(-err));
		return err;
	}
	a.mode = q.attach_mode;
	idv[0] = q.drv_prog_id;
	idv[1] = q.skb_prog_id;
	idv[2] = q.hw_prog_id;
	for (size_t i = 0; i < 3; i++) {
		char name[XF_PROG_NAME_LEN];

		if (!idv[i])
			continue;
		prog_name(idv[i], name, sizeof(name));
		add_prog(&a, idv[i], name, modes[i], 0);
		if (!strcmp(name, "xdp_dispatcher"))
			add_dispatched(&a, idx, idv[i], modes[i]);
	}
	return fill_out(out, &a, sizeof(a));
}

/* ---- memory ---- */

static bool have_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int xf_sysinfo_mem(struct xf_mem_info *out)
{
	struct xf_mem_info m = { .sz = sizeof(m) };
	struct meminfo mi;
	struct rlimit rl;
	int err;

	err = read_meminfo(&mi);
	if (err)
		return err;
	m.ram = mi.total;
	m.mlocked = mi.mlocked;
	m.unevictable = mi.unevictable;
	m.hugepage_size = mi.hp_size;
	m.hugepages_total = mi.hp_total;
	m.hugepages_free = mi.hp_free;
	m.hugepages_rsvd = mi.hp_rsvd;
	m.hugepages_surp = mi.hp_surp;
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return -errno;
	m.memlock_cur = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
	m.memlock_max = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
	m.cap_ipc_lock = have_cap(CAP_IPC_LOCK);
	m.pinned = xf_pinned_bytes();
	m.pin_limit = xf_pin_limit(&m.pin_limit_source);
	return fill_out(out, &m, sizeof(m));
}

int xf_sysinfo_umem_probe(size_t bytes, __u32 frame_size)
{
	struct xdp_umem_reg mr = { .len = bytes, .chunk_size = frame_size };
	void *area;
	int fd, err;

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Inaccessible memory: the kernel charges the pages first, then fails to pin them. */
	area = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	mr.addr = (__u64)(uintptr_t)area;
	if (!setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)))
		err = 0;
	else if (errno == EFAULT || errno == ENOMEM)
		err = 0;	/* charged, then refused for the memory itself */
	else
		err = -errno;
	close(fd);	/* releases anything registered */
	munmap(area, bytes);
	return err;
}

/* ---- kernel ---- */

/* An AF_XDP socket answers for need_wakeup and busy polling without binding anything. */
static void probe_xsk(struct xf_kernel_info *k)
{
	struct xdp_mmap_offsets off;
	socklen_t len = sizeof(off);
	int one = 1, fd;

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		k->af_xdp = errno == EAFNOSUPPORT ? XF_NO : XF_UNKNOWN;
		return;
	}
	k->af_xdp = XF_YES;
	/* 5.4 added a flags word (need_wakeup) to every ring's offsets. */
	if (!getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len))
		k->need_wakeup = len == sizeof(off) ? XF_YES : XF_NO;
	/* EPERM still means the kernel knows the option. */
	if (!setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) || errno == EPERM)
		k->busy_poll = XF_YES;
	else if (errno == ENOPROTOOPT || errno == EINVAL)
		k->busy_poll = XF_NO;
	close(fd);
}

static int find_libxdp(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name;
	char real[PATH_MAX], *v, *out = data;

	(void)size;
	if (!name || !strstr(name, "/libxdp.so") || !realpath(name, real))
		return 0;
	v = strstr(real, "libxdp.so.");
	if (!v)
		return 0;
	snprintf(out, 16, "%s", v + strlen("libxdp.so."));
	return 1;
}

int xf_sysinfo_kernel(struct xf_kernel_info *out)
{
	struct xf_kernel_info k = { .sz = sizeof(k) };
	const char *bpffs = getenv("LIBXDP_BPFFS");
	struct utsname u;
	struct statfs sf;
	struct btf *btf;

	if (!uname(&u))
		snprintf(k.release, sizeof(k.release), "%s", u.release);
	snprintf(k.bpffs_path, sizeof(k.bpffs_path), "%s", bpffs && *bpffs ? bpffs : "/sys/fs/bpf");
	k.bpffs = !statfs(k.bpffs_path, &sf) && (unsigned long)sf.f_type == BPF_FS_MAGIC;

	probe_xsk(&k);
	btf = vmlinux_btf();
	k.multi_buffer = btf_has_member(btf, "xdp_sock", "sg");
	k.tx_metadata = btf_has_member(btf, "xdp_umem", "tx_metadata_len");
	btf__free(btf);

	snprintf(k.libbpf_version, sizeof(k.libbpf_version), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	dl_iterate_phdr(find_libxdp, k.libxdp_version);
	return fill_out(out, &k, sizeof(k));
}

/* ---- NUMA ---- */

static bool numa_ok(void)
{
	static int avail = -2;

	if (avail == -2)
		avail = numa_available();
	return avail >= 0;
}

int xf_numa_nodes(void)
{
	int n;

	if (!numa_ok())
		return 1;
	n = numa_num_configured_nodes();
	return n > 0 ? n : 1;
}

int xf_cpu_numa_node(int cpu)
{
	int n;

	if (cpu < 0 || cpu >= numa_num_possible_cpus())
		return -EINVAL;
	if (!numa_ok())
		return 0;
	n = numa_node_of_cpu(cpu);
	return n < 0 ? -EINVAL : n;
}

int xf_numa_node_cpus(int node, int *cpus, size_t max)
{
	struct bitmask *bm = NULL;
	cpu_set_t allowed;
	size_t n = 0;
	int ncpu = numa_num_possible_cpus();

	if (node < -1)
		return -EINVAL;
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -errno;
	if (node >= 0 && numa_ok()) {
		if (node > numa_max_node())
			return -EINVAL;
		bm = numa_allocate_cpumask();
		if (!bm)
			return -ENOMEM;
		if (numa_node_to_cpus(node, bm)) {
			numa_free_cpumask(bm);
			return -EINVAL;
		}
	} else if (node > 0) {
		return -EINVAL;
	}
	for (int c = 0; c < ncpu && c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &allowed) || (bm && !numa_bitmask_isbitset(bm, (unsigned int)c)))
			continue;
		if (n < max)
			cpus[n] = c;
		n++;
	}
	if (bm)
		numa_free_cpumask(bm);
	return (int)n;
}
