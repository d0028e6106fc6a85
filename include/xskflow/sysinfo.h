/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* System facts that decide how well AF_XDP works on an interface: driver and queues, XDP
 * capabilities, attached programs, IOMMU, NUMA, locked memory and kernel features. */
#ifndef XSKFLOW_SYSINFO_H
#define XSKFLOW_SYSINFO_H

#include <xskflow/xskflow.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A fact the running kernel may be unable to tell. */
enum xf_tristate {
	XF_UNKNOWN = 0,
	XF_NO,
	XF_YES,
};

/* Every struct below starts with @sz: set it to sizeof(struct ...) (XF_OPTS() does). The
 * library fills only what fits, so a program built against an older header keeps working. */

#define XF_INFO_STR 32

struct xf_iface_info {
	size_t sz;
	int ifindex;
	/* ETHTOOL_GDRVINFO; "" where the driver does not say. */
	char driver[XF_INFO_STR];
	char version[XF_INFO_STR];
	char fw_version[XF_INFO_STR];
	char bus_info[XF_INFO_STR];
	/* ETHTOOL_GCHANNELS when the driver supports it (@channels_known), current and
	 * maximum; AF_XDP queue ids run over rx + combined. */
	bool channels_known;
	__u32 rx, tx, combined, other;
	__u32 max_rx, max_tx, max_combined, max_other;
	/* Queues the kernel exposes in /sys/class/net/IF/queues (always known). */
	__u32 sysfs_rx, sysfs_tx;
	/* A bus device behind the interface (/sys/class/net/IF/device); virtual interfaces
	 * such as veth have none and do no DMA. */
	bool has_device;
	int numa_node;		/* the device's node; -1 when unknown or no device */
	int iommu_group;	/* -1 when not behind an IOMMU (or no device) */
	/* Drop counters since the interface was created (/sys/class/net/IF/statistics). */
	__u64 rx_dropped, rx_missed_errors, rx_fifo_errors, tx_dropped;
};

/* xf_sysinfo_iface - driver, queues, device, NUMA node, IOMMU group and drop counters of
 * @ifname in the caller's network namespace. Returns 0 or -errno (-ENODEV: no such
 * interface, logged). */
XF_API int xf_sysinfo_iface(const char *ifname, struct xf_iface_info *info);

/* XDP capability bits, as the kernel's netdev family reports them (NETDEV_XDP_ACT_*). */
#define XF_XDP_BASIC		(1ULL << 0)	/* XDP_PASS/DROP/TX/ABORTED in driver mode */
#define XF_XDP_REDIRECT		(1ULL << 1)	/* XDP_REDIRECT: AF_XDP needs it */
#define XF_XDP_NDO_XMIT		(1ULL << 2)	/* can be a redirect target */
#define XF_XDP_XSK_ZEROCOPY	(1ULL << 3)	/* AF_XDP zero-copy */
#define XF_XDP_HW_OFFLOAD	(1ULL << 4)
#define XF_XDP_RX_SG		(1ULL << 5)	/* multi-buffer (scatter-gather) RX */
#define XF_XDP_NDO_XMIT_SG	(1ULL << 6)

/* AF_XDP TX metadata bits (NETDEV_XSK_FLAGS_*). */
#define XF_XSK_TX_TIMESTAMP	(1ULL << 0)
#define XF_XSK_TX_CHECKSUM	(1ULL << 1)
#define XF_XSK_TX_LAUNCH_TIME	(1ULL << 2)

struct xf_xdp_features {
	size_t sz;
	__u64 xdp;		/* XF_XDP_* */
	bool zc_max_segs_known;	/* reported (6.6+, and only with XF_XDP_XSK_ZEROCOPY) */
	__u32 zc_max_segs;	/* fragments per packet in zero-copy mode */
	bool xsk_known;		/* the kernel reports it (6.8+) */
	__u64 xsk;		/* XF_XSK_* */
};

/* xf_sysinfo_xdp_features - what the driver of @ifname supports, from the kernel's netdev
 * generic netlink family. Returns 0, -EOPNOTSUPP when the kernel has no such family (older
 * than 6.3: capabilities unknown), or another -errno. */
XF_API int xf_sysinfo_xdp_features(const char *ifname, struct xf_xdp_features *f);

#define XF_XDP_MAX_PROGS 16
#define XF_PROG_NAME_LEN 16

struct xf_xdp_prog_info {
	__u32 id;
	char name[XF_PROG_NAME_LEN];
	__u8 mode;		/* XDP_ATTACHED_DRV, _SKB or _HW (linux/if_link.h) */
	__u32 dispatcher_id;	/* run by this libxdp dispatcher; 0 when attached directly */
};

struct xf_xdp_attached {
	size_t sz;
	__u8 mode;		/* XDP_ATTACHED_NONE, _DRV, _SKB, _HW or _MULTI */
	unsigned int nprogs;	/* entries in @progs: attached programs and, after each
				 * dispatcher, the programs it runs */
	struct xf_xdp_prog_info progs[XF_XDP_MAX_PROGS];
};

/* xf_sysinfo_xdp_attached - the XDP programs attached to @ifname, in every mode, with the
 * programs behind a libxdp dispatcher. Returns 0 or -errno. */
XF_API int xf_sysinfo_xdp_attached(const char *ifname, struct xf_xdp_attached *a);

/* "native", "generic", "offload", "multi" or "none" for an XDP_ATTACHED_* value. */
XF_API const char *xf_xdp_attached_str(__u8 mode);

/* One queue as the kernel's netdev family lists it. This struct never grows. */
struct xf_queue_info {
	__u32 id;
	bool tx;		/* a TX queue; otherwise RX */
	bool xsk;		/* an AF_XDP socket is bound to it */
	__u32 napi_id;		/* 0: none */
};

/* xf_sysinfo_queues - the RX and TX queues of @ifname and which have an AF_XDP socket bound.
 * Stores at most @max entries. Returns the number of queues the kernel listed (which may be
 * more than @max), -ENETDOWN when the interface is down (the kernel lists no queues then),
 * -EOPNOTSUPP when the kernel cannot list queues or does not report AF_XDP sockets on them
 * (its BTF has no NETDEV_A_QUEUE_XSK), or another -errno. */
XF_API int xf_sysinfo_queues(const char *ifname, struct xf_queue_info *q, size_t max);

/* xf_sysinfo_napi_thread - the kernel thread that runs the NAPI instance of RX queue @rxq
 * of @ifname. Returns its pid (as the kernel numbers it: in the initial pid namespace, so
 * it means nothing inside a container with a pid namespace of its own), 0 when that NAPI runs in softirq context (threaded NAPI
 * off) or the queue has none, -ENOENT when the driver has several NAPI instances and does
 * not say which serves @rxq (veth with several queues), -ENETDOWN when the interface is
 * down, -EOPNOTSUPP when the kernel cannot tell (netdev queue-get/napi-get, 6.8+), or
 * another -errno. */
XF_API int xf_sysinfo_napi_thread(const char *ifname, __u32 rxq);

struct xf_mem_info {
	size_t sz;
	/* /proc/meminfo, bytes, system-wide. */
	__u64 ram;
	__u64 mlocked;
	__u64 unevictable;
	__u64 hugepage_size;
	__u64 hugepages_total, hugepages_free, hugepages_rsvd, hugepages_surp;
	/* What the kernel checks when a UMEM is registered: with CAP_IPC_LOCK nothing,
	 * otherwise the user's locked pages against RLIMIT_MEMLOCK. */
	__u64 memlock_cur, memlock_max;		/* bytes; UINT64_MAX: unlimited */
	bool cap_ipc_lock;
	/* The library's own guard (see xf_set_pin_limit() in umem.h). */
	__u64 pinned;			/* by this process, through libxskflow */
	__u64 pin_limit;
	enum xf_pin_limit_source pin_limit_source;
};

/* xf_sysinfo_mem - memory facts for pinning UMEMs. Returns 0 or -errno. */
XF_API int xf_sysinfo_mem(struct xf_mem_info *m);

/* xf_sysinfo_umem_probe - ask the kernel whether it would let this process register a UMEM
 * of @bytes in @frame_size frames now. Only the locked-memory accounting is tried (with
 * CAP_IPC_LOCK none; otherwise all of the user's locked pages against RLIMIT_MEMLOCK):
 * nothing is allocated, pinned or kept. Returns 0 when it would, -ENOBUFS when the lock
 * limit refuses it, another -errno when the probe cannot tell. */
XF_API int xf_sysinfo_umem_probe(size_t bytes, __u32 frame_size);

#define XF_RELEASE_LEN 65

struct xf_kernel_info {
	size_t sz;
	char release[XF_RELEASE_LEN];	/* uname -r */
	/* bpffs where libxdp looks for it ($LIBXDP_BPFFS or /sys/fs/bpf). */
	char bpffs_path[128];
	bool bpffs;
	/* AF_XDP features, each found by asking the running kernel. */
	enum xf_tristate af_xdp;	/* an AF_XDP socket can be created */
	enum xf_tristate need_wakeup;	/* XDP_MMAP_OFFSETS carries ring flags (5.4) */
	enum xf_tristate busy_poll;	/* SO_PREFER_BUSY_POLL accepted (5.11) */
	enum xf_tristate multi_buffer;	/* AF_XDP sockets know XDP_USE_SG (6.6, kernel BTF) */
	enum xf_tristate tx_metadata;	/* UMEMs carry TX metadata (6.8, kernel BTF) */
	/* Library versions: libbpf from libbpf itself, libxdp from its shared object's name
	 * ("" when linked statically). */
	char libbpf_version[16];
	char libxdp_version[16];
};

/* xf_sysinfo_kernel - kernel release, bpffs and AF_XDP features. Returns 0 or -errno. */
XF_API int xf_sysinfo_kernel(struct xf_kernel_info *k);

/* xf_iface_numa_node - the NUMA node of @ifname's device. Returns the node, -ENOENT when the
 * kernel does not know it (virtual interface, or firmware did not say), -ENODEV when there
 * is no such interface. */
XF_API int xf_iface_numa_node(const char *ifname);

/* xf_cpu_numa_node - the NUMA node of CPU @cpu. Returns the node or -EINVAL. */
XF_API int xf_cpu_numa_node(int cpu);

/* xf_numa_nodes - NUMA nodes with memory or CPUs (1 on a machine without NUMA). */
XF_API int xf_numa_nodes(void);

/* xf_numa_node_cpus - the CPUs of @node this process may run on, in ascending order; node
 * -1: all of them. This is where pollers go by default: next to the device and its UMEM.
 * Stores at most @max. Returns the number of CPUs or -errno. */
XF_API int xf_numa_node_cpus(int node, int *cpus, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* XSKFLOW_SYSINFO_H */
