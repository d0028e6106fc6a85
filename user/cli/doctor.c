// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflow doctor: what the kernel, the driver and the machine mean for AF_XDP on one
 * interface, each check with a verdict (ok, warn, fail), its values and one line of advice. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include "cli.h"

#define DOCTOR_MAX_CPUS 1024
#define DOCTOR_MAX_QUEUES 1024
#define STEER_PROG_NAME "xskflow_steer"

enum verdict { V_OK, V_WARN, V_FAIL };

static const char *const verdict_names[] = { "ok", "warn", "fail" };

struct doctor_opts {
	struct port_settings port;	/* -i, and the UMEM whose pinning is checked */
	bool json;
	int cpus[DOCTOR_MAX_CPUS];
	size_t ncpus;
};

struct doctor {
	const struct doctor_opts *o;
	json_object *checks;
	unsigned int count[3];
	/* Facts several checks share. */
	struct xf_iface_info ifi;
	struct xf_mem_info mem;
	__u64 umem_bytes;
};

static void doctor_usage(FILE *f)
{
	fprintf(f,
		"usage: " CLI_NAME " doctor -i IFACE [--json] [--cpus LIST] [--frames N]\n"
		"                      [--frame-size 2048|4096] [-v]\n"
		"Checks what AF_XDP on IFACE depends on: driver and queues, XDP capabilities and\n"
		"programs, IOMMU, NUMA (poller CPUs in LIST, e.g. 0-3,8), locked memory for a UMEM of\n"
		"N frames (default 4096 of 4096 bytes), kernel features. Exit status 1 if a check fails.\n");
}

/* "0-3,8" -> 0 1 2 3 8, each CPU one this process may use. */
static int parse_cpus(const char *s, struct doctor_opts *o)
{
	int allowed[DOCTOR_MAX_CPUS], nallowed;
	const char *p = s;

	nallowed = xf_numa_node_cpus(-1, allowed, DOCTOR_MAX_CPUS);
	if (nallowed < 0)
		nallowed = 0;
	while (*p) {
		unsigned long lo, hi;
		char *end;

		if (*p < '0' || *p > '9')
			goto bad;
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoul(p, &end, 10);
		}
		if (hi < lo || hi >= INT_MAX || (*end && *end != ','))
			goto bad;
		/* Every CPU of the range must be usable: the first that is not stops it. */
		for (unsigned long c = lo; c <= hi; c++) {
			bool ok = false;

			for (int i = 0; i < nallowed; i++)
				ok |= allowed[i] == (int)c;
			if (!ok) {
				cli_err("--cpus: CPU %lu is not online or not allowed for this process; "
					"see 'taskset -p $$' or /sys/devices/system/cpu/online", c);
				return -1;
			}
			if (o->ncpus < DOCTOR_MAX_CPUS)
				o->cpus[o->ncpus++] = (int)c;
		}
		p = *end ? end + 1 : end;
	}
	if (o->ncpus)
		return 0;
bad:
	cli_err("--cpus: '%s' is not a CPU list like 0-3,8", s);
	return -1;
}

static int parse_doctor(int argc, char **argv, struct doctor_opts *o)
{
	enum { O_JSON = 256, O_CPUS };
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, v = 0;

	o->port.opts = PO_IFACE | PO_FRAMES | PO_FRAME_SIZE;
	o->port.frames = 4096;
	o->port.frame_size = 4096;
	while ((c = portopts_getopt(&o->port, argc, argv, "i:vh", lopts)) != -1) {
		switch (c) {
		case O_JSON: o->json = true; break;
		case O_CPUS:
			if (parse_cpus(optarg, o))
				return -1;
			break;
		case 'v': v++; break;
		case 'h': doctor_usage(stdout); exit(0);
		case PORTOPT_ERR: return -1;
		default: doctor_usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		cli_err("doctor: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!o->port.ifname) {
		cli_err("doctor: -i IFACE is required");
		doctor_usage(stderr);
		return -1;
	}
	cli_set_verbosity(v);
	return 0;
}

/* ---- building the report ---- */

__attribute__((format(printf, 5, 6)))
static void check(struct doctor *d, const char *name, enum verdict v, json_object *value,
		  const char *fmt, ...)
{
	json_object *c = json_object_new_object();
	char advice[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(advice, sizeof(advice), fmt, ap);
	va_end(ap);
	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "verdict", json_object_new_string(verdict_names[v]));
	json_object_object_add(c, "value", value);
	json_object_object_add(c, "advice", json_object_new_string(advice));
	json_object_array_add(d->checks, c);
	d->count[v]++;
}

static void add_u64(json_object *o, const char *k, __u64 v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_int_or_null(json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, v < 0 ? NULL : json_object_new_int64(v));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static void add_tristate(json_object *o, const char *k, enum xf_tristate t)
{
	json_object_object_add(o, k, t == XF_UNKNOWN ? NULL : json_object_new_boolean(t == XF_YES));
}

/* A ratio with four significant decimals, as a number. */
static json_object *ratio(double r)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.6f", r);
	return json_object_new_double_s(r, buf);
}

/* "16.0 MiB": sizes in advice lines. */
static const char *human(__u64 b, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu bytes", (unsigned long long)b);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

/* "0-3,8" from a sorted list. */
static const char *cpu_list(const int *c, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		size_t j = i;

		while (j + 1 < n && c[j + 1] == c[j] + 1)
			j++;
		if (j > i)
			off += (size_t)snprintf(buf + off, len - off, "%s%d-%d", i ? "," : "", c[i], c[j]);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? "," : "", c[i]);
		i = j;
	}
	return buf;
}

/* ---- the checks ---- */

static void check_driver(struct doctor *d)
{
	const struct xf_iface_info *i = &d->ifi;
	json_object *v = json_object_new_object();

	add_str(v, "driver", i->driver);
	add_str(v, "version", i->version);
	add_str(v, "firmware", i->fw_version);
	add_str(v, "bus", i->bus_info);
	if (!i->driver[0])
		check(d, "driver", V_WARN, v, "the driver does not answer ETHTOOL_GDRVINFO: check "
		      "'ethtool -i %s'; zero-copy support is listed under xdp_features", d->o->port.ifname);
	else
		check(d, "driver", V_OK, v, "driver '%s' %s%s%s: quote these in bug reports, AF_XDP "
		      "fixes often land in drivers", i->driver, i->version,
		      i->fw_version[0] ? ", firmware " : "", i->fw_version);
}

static __u32 usable_rx(const struct xf_iface_info *i)
{
	return i->channels_known ? i->rx + i->combined : i->sysfs_rx;
}

static void check_queues(struct doctor *d)
{
	const struct xf_iface_info *i = &d->ifi;
	json_object *v = json_object_new_object();
	__u32 nrx = usable_rx(i);

	add_str(v, "source", i->channels_known ? "ethtool" : "sysfs");
	add_u64(v, "rx", i->channels_known ? i->rx : i->sysfs_rx);
	add_u64(v, "tx", i->channels_known ? i->tx : i->sysfs_tx);
	add_u64(v, "combined", i->channels_known ? i->combined : 0);
	add_int_or_null(v, "max_rx", i->channels_known ? (long long)i->max_rx : -1);
	add_int_or_null(v, "max_tx", i->channels_known ? (long long)i->max_tx : -1);
	add_int_or_null(v, "max_combined", i->channels_known ? (long long)i->max_combined : -1);
	add_u64(v, "sysfs_rx", i->sysfs_rx);
	add_u64(v, "sysfs_tx", i->sysfs_tx);
	if (!nrx)
		check(d, "queues", V_FAIL, v, "'%s' reports no RX queue: AF_XDP has nothing to "
		      "bind to", d->o->port.ifname);
	else if (nrx == 1)
		check(d, "queues", V_OK, v, "one RX queue: every flow arrives on queue 0; more "
		      "queues need 'ethtool -L %s combined N' (veth: numrxqueues when created)",
		      d->o->port.ifname);
	else
		check(d, "queues", V_OK, v, "AF_XDP sockets can bind queues 0-%u; the NIC's RSS or "
		      "ntuple rules (ethtool -X/-N) decide which flow lands on which", nrx - 1);
}

static void check_sockets(struct doctor *d)
{
	static struct xf_queue_info q[DOCTOR_MAX_QUEUES];
	json_object *v = json_object_new_object();
	json_object *rx = json_object_new_array(), *tx = json_object_new_array();
	int rxq[DOCTOR_MAX_QUEUES];
	size_t nrxq = 0;
	char list[256];
	int n;

	n = xf_sysinfo_queues(d->o->port.ifname, q, DOCTOR_MAX_QUEUES);
	add_bool(v, "known", n >= 0);
	if (n < 0) {
		json_object_put(rx);
		json_object_put(tx);
		json_object_object_add(v, "rx", NULL);
		json_object_object_add(v, "tx", NULL);
		if (n == -ENETDOWN)
			check(d, "sockets", V_WARN, v, "'%s' is down: the kernel lists its queues "
			      "only while it is up (ip link set %s up)", d->o->port.ifname, d->o->port.ifname);
		else
			check(d, "sockets", V_WARN, v, "this kernel does not say which queues have "
			      "AF_XDP sockets (%s); nothing else in this report depends on it",
			      strerror(-n));
		return;
	}
	for (int i = 0; i < n && i < DOCTOR_MAX_QUEUES; i++) {
		if (!q[i].xsk)
			continue;
		json_object_array_add(q[i].tx ? tx : rx, json_object_new_int64(q[i].id));
		if (!q[i].tx)
			rxq[nrxq++] = (int)q[i].id;
	}
	json_object_object_add(v, "rx", rx);
	json_object_object_add(v, "tx", tx);
	if (!nrxq)
		check(d, "sockets", V_OK, v, "no AF_XDP socket is bound to '%s'", d->o->port.ifname);
	else
		check(d, "sockets", V_OK, v, "AF_XDP sockets are bound on RX queue(s) %s; another "
		      "socket on the same queue gets EBUSY", cpu_list(rxq, nrxq, list, sizeof(list)));
}

static void check_xdp_features(struct doctor *d)
{
	struct xf_xdp_features f = { .sz = sizeof(f) };
	json_object *v = json_object_new_object();
	const char *drv = d->ifi.driver[0] ? d->ifi.driver : "?";
	int err = xf_sysinfo_xdp_features(d->o->port.ifname, &f);

	add_bool(v, "known", !err);
#define BIT(name, flag) json_object_object_add(v, name, err ? NULL :			\
					      json_object_new_boolean(f.xdp & (flag)))
	BIT("basic", XF_XDP_BASIC);
	BIT("redirect", XF_XDP_REDIRECT);
	BIT("ndo_xmit", XF_XDP_NDO_XMIT);
	BIT("xsk_zerocopy", XF_XDP_XSK_ZEROCOPY);
	BIT("hw_offload", XF_XDP_HW_OFFLOAD);
	BIT("rx_sg", XF_XDP_RX_SG);
	BIT("ndo_xmit_sg", XF_XDP_NDO_XMIT_SG);
#undef BIT
	add_int_or_null(v, "zc_max_segs", !err && f.zc_max_segs_known ? (long long)f.zc_max_segs : -1);
#define XBIT(name, flag) json_object_object_add(v, name, err || !f.xsk_known ? NULL :	\
					       json_object_new_boolean(f.xsk & (flag)))
	XBIT("tx_timestamp", XF_XSK_TX_TIMESTAMP);
	XBIT("tx_checksum", XF_XSK_TX_CHECKSUM);
	XBIT("tx_launch_time", XF_XSK_TX_LAUNCH_TIME);
#undef XBIT
	if (err)
		check(d, "xdp_features", V_WARN, v, "capabilities unknown: %s; try 'xskflow recv "
		      "--mode native --bind zero-copy' and read the error",
		      err == -EOPNOTSUPP ? "this kernel has no netdev netlink family (before 6.3)" :
		      strerror(-err));
	else if (!(f.xdp & XF_XDP_BASIC))
		check(d, "xdp_features", V_WARN, v, "driver '%s' offers no native XDP on '%s' now: "
		      "only generic (SKB) mode, which builds an skb for every packet first%s", drv,
		      d->o->port.ifname, !strcmp(drv, "veth") ? " (veth: its peer has more TX than RX "
		      "queues)" : "");
	else if (!(f.xdp & XF_XDP_REDIRECT))
		check(d, "xdp_features", V_WARN, v, "driver '%s' cannot XDP_REDIRECT in native mode: "
		      "AF_XDP needs generic mode here", drv);
	else if (f.xdp & XF_XDP_XSK_ZEROCOPY)
		check(d, "xdp_features", V_OK, v, "zero-copy AF_XDP possible (up to %u fragments per "
		      "packet): --bind zero-copy", f.zc_max_segs_known ? f.zc_max_segs : 1);
	else
		check(d, "xdp_features", V_WARN, v, "driver '%s' has no AF_XDP zero-copy: sockets "
		      "bind in copy mode, one copy per packet; zero-copy needs e.g. i40e, ice, mlx5",
		      drv);
}

static void check_programs(struct doctor *d)
{
	struct xf_xdp_attached a = { .sz = sizeof(a) };
	json_object *v = json_object_new_object(), *progs = json_object_new_array();
	const struct xf_xdp_prog_info *top = NULL;
	bool ours = false, generic = false;
	int err = xf_sysinfo_xdp_attached(d->o->port.ifname, &a);

	if (err) {
		json_object_put(progs);
		json_object_object_add(v, "mode", NULL);
		json_object_object_add(v, "programs", NULL);
		check(d, "xdp_programs", V_WARN, v, "cannot query attached XDP programs: %s",
		      strerror(-err));
		return;
	}
	add_str(v, "mode", xf_xdp_attached_str(a.mode));
	for (unsigned int i = 0; i < a.nprogs; i++) {
		const struct xf_xdp_prog_info *p = &a.progs[i];
		json_object *po = json_object_new_object();

		add_u64(po, "id", p->id);
		add_str(po, "name", p->name);
		add_str(po, "mode", xf_xdp_attached_str(p->mode));
		if (p->dispatcher_id)
			add_u64(po, "dispatcher_id", p->dispatcher_id);
		json_object_array_add(progs, po);
		ours |= !strcmp(p->name, STEER_PROG_NAME);
		generic |= p->mode == XDP_ATTACHED_SKB;
		if (!p->dispatcher_id && !top)
			top = p;
	}
	json_object_object_add(v, "programs", progs);
	if (!top)
		check(d, "xdp_programs", V_OK, v, "no XDP program attached: 'xskflow recv' or "
		      "'xskflow attach' attaches the steering program");
	else if (!ours)
		check(d, "xdp_programs", V_WARN, v, "another XDP program ('%s', id %u) is attached: "
		      "xskflow cannot attach until it is removed (xdp-loader unload %s --all)",
		      top->name, top->id, d->o->port.ifname);
	else if (generic)
		check(d, "xdp_programs", V_WARN, v, "'%s' (id %u) runs in generic (SKB) mode: every "
		      "packet gets an skb first; native mode is faster where the driver has it",
		      top->name, top->id);
	else
		check(d, "xdp_programs", V_OK, v, "'%s' (id %u) attached in %s mode", top->name,
		      top->id, xf_xdp_attached_str(top->mode));
}

static void check_iommu(struct doctor *d)
{
	const struct xf_iface_info *i = &d->ifi;
	json_object *v = json_object_new_object();
	__u64 ram = d->mem.ram;
	double r = ram ? (double)d->umem_bytes / (double)ram : 0;
	char a[32], b[32];

	add_bool(v, "device", i->has_device);
	add_int_or_null(v, "group", i->iommu_group);
	add_u64(v, "umem_bytes", d->umem_bytes);
	add_u64(v, "ram_bytes", ram);
	/* What the device could write to: nothing, the mapped UMEM, or all of RAM. */
	add_u64(v, "dma_reach_bytes", !i->has_device ? 0 : i->iommu_group >= 0 ? d->umem_bytes : ram);
	json_object_object_add(v, "umem_ram_ratio", ratio(r));
	if (!i->has_device)
		check(d, "iommu", V_OK, v, "virtual interface, no device DMA: the IOMMU does not "
		      "apply (the kernel copies packets into the UMEM)");
	else if (i->iommu_group >= 0)
		check(d, "iommu", V_OK, v, "IOMMU group %d confines the device's DMA to mapped "
		      "memory: the UMEM, %s = %.4f%% of %s RAM", i->iommu_group,
		      human(d->umem_bytes, a, sizeof(a)), r * 100, human(ram, b, sizeof(b)));
	else
		check(d, "iommu", V_WARN, v, "no IOMMU group: the device can DMA anywhere in %s of "
		      "RAM, not just the %s UMEM; enable the IOMMU (intel_iommu=on or amd_iommu=on)",
		      human(ram, b, sizeof(b)), human(d->umem_bytes, a, sizeof(a)));
}

static void check_numa(struct doctor *d)
{
	static int cpus[DOCTOR_MAX_CPUS];
	json_object *v = json_object_new_object(), *jc = json_object_new_array();
	json_object *jn = json_object_new_array();
	int dev = d->ifi.numa_node, nodes = xf_numa_nodes(), first_off = -1, off_node = -1;
	const char *source;
	size_t n;
	char list[256];

	if (d->o->ncpus) {
		memcpy(cpus, d->o->cpus, d->o->ncpus * sizeof(int));
		n = d->o->ncpus;
		source = "given";
	} else {
		/* The default a poller would get: the device's node, or anywhere. */
		int r = xf_numa_node_cpus(dev, cpus, DOCTOR_MAX_CPUS);

		if (r <= 0 && dev >= 0)
			r = xf_numa_node_cpus(-1, cpus, DOCTOR_MAX_CPUS);
		n = r > 0 ? (size_t)(r < DOCTOR_MAX_CPUS ? r : DOCTOR_MAX_CPUS) : 0;
		source = dev >= 0 ? "device node" : "all";
	}
	add_u64(v, "nodes", (__u64)nodes);
	add_int_or_null(v, "device_node", dev);
	for (size_t i = 0; i < n; i++) {
		int cn = xf_cpu_numa_node(cpus[i]);

		json_object_array_add(jc, json_object_new_int(cpus[i]));
		json_object_array_add(jn, cn < 0 ? NULL : json_object_new_int(cn));
		if (dev >= 0 && cn >= 0 && cn != dev && first_off < 0) {
			first_off = cpus[i];
			off_node = cn;
		}
	}
	json_object_object_add(v, "cpus", jc);
	json_object_object_add(v, "cpu_nodes", jn);
	add_str(v, "cpus_from", source);
	add_int_or_null(v, "umem_node", dev);
	add_str(v, "umem_placement", dev >= 0 ? "device node" : "first touch");
	cpu_list(cpus, n, list, sizeof(list));
	if (first_off >= 0)
		check(d, "numa", V_WARN, v, "poller CPU %d is on node %d, the device and its UMEM on "
		      "node %d: every packet crosses the interconnect; pick --cpus from node %d",
		      first_off, off_node, dev, dev);
	else if (dev >= 0)
		check(d, "numa", V_OK, v, "device, UMEM and poller CPUs %s all on node %d", list, dev);
	else if (nodes > 1)
		check(d, "numa", V_WARN, v, "the kernel does not know the device's node on this "
		      "%d-node machine: keep the UMEM and pollers on one node by hand (numactl)",
		      nodes);
	else
		check(d, "numa", V_OK, v, "single NUMA node: device, UMEM and poller CPUs %s share "
		      "it", list);
}

static void check_memlock(struct doctor *d)
{
	const struct xf_mem_info *m = &d->mem;
	json_object *v = json_object_new_object();
	char a[32], b[32];
	int probe;

	add_int_or_null(v, "rlimit_cur", m->memlock_cur == UINT64_MAX ? -1 :
			(long long)m->memlock_cur);
	add_int_or_null(v, "rlimit_max", m->memlock_max == UINT64_MAX ? -1 :
			(long long)m->memlock_max);
	add_bool(v, "cap_ipc_lock", m->cap_ipc_lock);
	add_u64(v, "umem_bytes", d->umem_bytes);
	/* The kernel's own answer, when it can be had; the rlimit arithmetic otherwise. */
	probe = xf_sysinfo_umem_probe(d->umem_bytes, (__u32)d->o->port.frame_size);
	json_object_object_add(v, "kernel_accepts", probe == 0 ? json_object_new_boolean(true) :
			       probe == -ENOBUFS ? json_object_new_boolean(false) : NULL);
	if (m->cap_ipc_lock && probe != -ENOBUFS)
		check(d, "memlock", V_OK, v, "CAP_IPC_LOCK: the kernel does not charge UMEM pages "
		      "to RLIMIT_MEMLOCK");
	else if (probe == -ENOBUFS || (probe && m->memlock_cur < d->umem_bytes))
		check(d, "memlock", V_FAIL, v, "the kernel refuses to lock a %s UMEM for this user: "
		      "RLIMIT_MEMLOCK is %s, shared with the user's other locked pages; raise it "
		      "(ulimit -l, LimitMEMLOCK=) or grant CAP_IPC_LOCK",
		      human(d->umem_bytes, b, sizeof(b)), human(m->memlock_cur, a, sizeof(a)));
	else
		check(d, "memlock", V_OK, v, "the kernel accepts locking %s now under RLIMIT_MEMLOCK "
		      "%s; the limit is shared with all of the user's locked pages",
		      human(d->umem_bytes, b, sizeof(b)), human(m->memlock_cur, a, sizeof(a)));
}

static void check_locked(struct doctor *d)
{
	const struct xf_mem_info *m = &d->mem;
	json_object *v = json_object_new_object();
	double now = m->ram ? (double)m->unevictable / (double)m->ram : 0;
	double after = m->ram ? (double)(m->unevictable + d->umem_bytes) / (double)m->ram : 0;
	char a[32];

	add_u64(v, "mlocked", m->mlocked);
	add_u64(v, "unevictable", m->unevictable);
	add_u64(v, "ram", m->ram);
	json_object_object_add(v, "unevictable_share", ratio(now));
	json_object_object_add(v, "share_with_umem", ratio(after));
	if (after * 100 > XF_PIN_LIMIT_DEFAULT_SHARE)
		check(d, "locked_memory", V_WARN, v, "with this UMEM %.1f%% of RAM would be "
		      "unevictable (more than %d%%): the kernel has little left to reclaim; use a "
		      "smaller UMEM or find who locks %s", after * 100, XF_PIN_LIMIT_DEFAULT_SHARE,
		      human(m->unevictable, a, sizeof(a)));
	else
		check(d, "locked_memory", V_OK, v, "%s unevictable now (%.2f%% of RAM), %.2f%% with "
		      "this UMEM", human(m->unevictable, a, sizeof(a)), now * 100, after * 100);
}

static void check_pin_limit(struct doctor *d)
{
	static const char *const src[] = {
		[XF_PIN_LIMIT_FROM_DEFAULT] = "default",
		[XF_PIN_LIMIT_FROM_CALL] = "xf_set_pin_limit",
		[XF_PIN_LIMIT_FROM_ENV] = "XSKFLOW_PIN_LIMIT",
	};
	const struct xf_mem_info *m = &d->mem;
	json_object *v = json_object_new_object();
	__u64 total = m->pinned + d->umem_bytes;
	char a[32], b[32];

	add_u64(v, "pinned_now", m->pinned);
	add_u64(v, "asked", d->umem_bytes);
	add_u64(v, "limit", m->pin_limit);
	add_str(v, "source", src[m->pin_limit_source]);
	json_object_object_add(v, "asked_share_of_ram",
			       ratio(m->ram ? (double)d->umem_bytes / (double)m->ram : 0));
	json_object_object_add(v, "limit_share_of_ram",
			       ratio(m->ram ? (double)m->pin_limit / (double)m->ram : 0));
	if (total > m->pin_limit)
		check(d, "pin_limit", V_FAIL, v, "the library would refuse this UMEM: %s pinned "
		      "would pass the limit of %s (%s); raise XSKFLOW_PIN_LIMIT or use fewer frames",
		      human(total, a, sizeof(a)), human(m->pin_limit, b, sizeof(b)),
		      src[m->pin_limit_source]);
	else
		check(d, "pin_limit", V_OK, v, "this UMEM takes %.1f%% of the pinned-memory limit "
		      "%s (%s); XSKFLOW_PIN_LIMIT changes it",
		      m->pin_limit ? (double)total * 100 / (double)m->pin_limit : 0,
		      human(m->pin_limit, a, sizeof(a)), src[m->pin_limit_source]);
}

static void check_hugepages(struct doctor *d)
{
	const struct xf_mem_info *m = &d->mem;
	json_object *v = json_object_new_object();
	char a[32];

	add_u64(v, "size", m->hugepage_size);
	add_u64(v, "total", m->hugepages_total);
	add_u64(v, "free", m->hugepages_free);
	add_u64(v, "reserved", m->hugepages_rsvd);
	add_u64(v, "surplus", m->hugepages_surp);
	if (!m->hugepages_total)
		check(d, "hugepages", V_OK, v, "none reserved; xskflow UMEMs use normal pages, "
		      "other AF_XDP users (DPDK) may want vm.nr_hugepages");
	else
		check(d, "hugepages", V_OK, v, "%llu of %llu %s hugepages free",
		      (unsigned long long)m->hugepages_free, (unsigned long long)m->hugepages_total,
		      human(m->hugepage_size, a, sizeof(a)));
}

static void check_drops(struct doctor *d)
{
	const struct xf_iface_info *i = &d->ifi;
	json_object *v = json_object_new_object();

	add_u64(v, "rx_dropped", i->rx_dropped);
	add_u64(v, "rx_missed_errors", i->rx_missed_errors);
	add_u64(v, "rx_fifo_errors", i->rx_fifo_errors);
	add_u64(v, "tx_dropped", i->tx_dropped);
	if (i->rx_missed_errors || i->rx_fifo_errors)
		check(d, "drops", V_WARN, v, "the NIC dropped %llu packets for want of RX buffers: "
		      "refill the fill ring faster or make it bigger, or spread flows over more queues",
		      (unsigned long long)(i->rx_missed_errors + i->rx_fifo_errors));
	else
		check(d, "drops", V_OK, v, "no RX misses at the NIC; per-socket drops are in the "
		      "xdp_stats of 'xskflow recv'");
}

static void check_bpffs(struct doctor *d, const struct xf_kernel_info *k)
{
	json_object *v = json_object_new_object();

	add_str(v, "path", k->bpffs_path);
	add_bool(v, "mounted", k->bpffs);
	if (k->bpffs)
		check(d, "bpffs", V_OK, v, "mounted: libxdp and 'xskflow attach' pin there");
	else
		check(d, "bpffs", V_WARN, v, "not mounted at %s: 'xskflow attach' and libxdp's "
		      "dispatcher need it; mount -t bpf bpf %s", k->bpffs_path, k->bpffs_path);
}

static void check_kernel(struct doctor *d, const struct xf_kernel_info *k)
{
	json_object *v = json_object_new_object();

	add_str(v, "release", k->release);
	add_tristate(v, "af_xdp", k->af_xdp);
	add_tristate(v, "need_wakeup", k->need_wakeup);
	add_tristate(v, "busy_poll", k->busy_poll);
	add_tristate(v, "multi_buffer", k->multi_buffer);
	add_tristate(v, "tx_metadata", k->tx_metadata);
	if (k->af_xdp == XF_NO)
		check(d, "kernel", V_FAIL, v, "kernel %s has no AF_XDP sockets: it needs "
		      "CONFIG_XDP_SOCKETS=y", k->release);
	else if (k->af_xdp == XF_UNKNOWN)
		check(d, "kernel", V_WARN, v, "cannot create an AF_XDP socket to probe (needs "
		      "CAP_NET_RAW): features unknown");
	else if (k->need_wakeup != XF_YES)
		check(d, "kernel", V_WARN, v, "kernel %s has no need_wakeup (before 5.4): pollers "
		      "must spin; upgrade for a poller that can sleep", k->release);
	else
		check(d, "kernel", V_OK, v, "need_wakeup%s%s%s", k->busy_poll == XF_YES ?
		      ", busy polling (SO_PREFER_BUSY_POLL)" : "",
		      k->multi_buffer == XF_YES ? ", multi-buffer (XDP_USE_SG)" : "",
		      k->tx_metadata == XF_YES ? ", TX metadata" : "");
}

static void check_libraries(struct doctor *d, const struct xf_kernel_info *k)
{
	json_object *v = json_object_new_object();

	add_str(v, "xskflow", XSKFLOW_VERSION);
	add_str(v, "libbpf", k->libbpf_version);
	json_object_object_add(v, "libxdp", k->libxdp_version[0] ?
			       json_object_new_string(k->libxdp_version) : NULL);
	check(d, "libraries", V_OK, v, "xskflow %s, libbpf %s, libxdp %s", XSKFLOW_VERSION,
	      k->libbpf_version, k->libxdp_version[0] ? k->libxdp_version : "(linked statically)");
}

/* ---- output ---- */

static void print_value(json_object *v)
{
	json_object_object_foreach(v, k, val) {
		const char *s;

		if (!val)
			s = "unknown";
		else if (json_object_is_type(val, json_type_array) ||
			 json_object_is_type(val, json_type_object))
			s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
		else
			s = json_object_get_string(val);
		printf(" %s=%s", k, *s ? s : "\"\"");
	}
}

static void print_text(json_object *r)
{
	json_object *checks = json_object_object_get(r, "checks");
	json_object *sum = json_object_object_get(r, "summary");

	printf("%s (ifindex %s)\n", json_object_get_string(json_object_object_get(r, "interface")),
	       json_object_get_string(json_object_object_get(r, "ifindex")));
	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i);

		printf("%-5s %-14s", json_object_get_string(json_object_object_get(c, "verdict")),
		       json_object_get_string(json_object_object_get(c, "name")));
		print_value(json_object_object_get(c, "value"));
		printf("\n%20s %s\n", "",
		       json_object_get_string(json_object_object_get(c, "advice")));
	}
	printf("%s ok, %s warn, %s fail\n",
	       json_object_get_string(json_object_object_get(sum, "ok")),
	       json_object_get_string(json_object_object_get(sum, "warn")),
	       json_object_get_string(json_object_object_get(sum, "fail")));
}

int cmd_doctor(int argc, char **argv)
{
	static struct doctor_opts o;
	struct doctor d = { .o = &o };
	struct xf_kernel_info k = { .sz = sizeof(k) };
	json_object *r, *sum;
	int err;

	if (parse_doctor(argc, argv, &o))
		return 1;
	d.ifi.sz = sizeof(d.ifi);
	d.mem.sz = sizeof(d.mem);
	d.umem_bytes = (__u64)o.port.frames * o.port.frame_size;
	err = xf_sysinfo_iface(o.port.ifname, &d.ifi);
	if (err)
		return 1;	/* the library said which interface and what to do */
	err = xf_sysinfo_mem(&d.mem);
	if (err) {
		cli_err("doctor: cannot read /proc/meminfo or RLIMIT_MEMLOCK: %s", strerror(-err));
		return 1;
	}
	xf_sysinfo_kernel(&k);

	d.checks = json_object_new_array();
	check_driver(&d);
	check_queues(&d);
	check_sockets(&d);
	check_xdp_features(&d);
	check_programs(&d);
	check_iommu(&d);
	check_numa(&d);
	check_memlock(&d);
	check_locked(&d);
	check_pin_limit(&d);
	check_hugepages(&d);
	check_drops(&d);
	check_bpffs(&d, &k);
	check_kernel(&d, &k);
	check_libraries(&d, &k);

	r = json_object_new_object();
	add_str(r, "interface", o.port.ifname);
	add_u64(r, "ifindex", (__u64)d.ifi.ifindex);
	json_object_object_add(r, "checks", d.checks);
	sum = json_object_new_object();
	add_u64(sum, "ok", d.count[V_OK]);
	add_u64(sum, "warn", d.count[V_WARN]);
	add_u64(sum, "fail", d.count[V_FAIL]);
	json_object_object_add(r, "summary", sum);
	if (o.json)
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	else
		print_text(r);
	json_object_put(r);
	return d.count[V_FAIL] ? 1 : 0;
}
