/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel ABI constants newer than the installed UAPI headers (linux-libc-dev 6.1).
 * Whether the running kernel has a feature is always detected at run time, never assumed. */
#ifndef XF_COMPAT_H
#define XF_COMPAT_H

#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* 5.14 */
#endif

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69		/* 5.11 */
#endif

#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70		/* 5.11 */
#endif

#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)		/* 6.6: AF_XDP multi-buffer */
#endif

#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)		/* 6.6: xdp_desc.options, more frags follow */
#endif

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* The netdev generic netlink family (6.3+). Its command and attribute numbers are enums in
 * <linux/netdev.h>, which #ifndef cannot see, so they get names of our own here; the values
 * are kernel ABI and never change. */
#ifndef NETDEV_FAMILY_NAME
#define NETDEV_FAMILY_NAME "netdev"
#endif

enum {
	XF_NETDEV_CMD_DEV_GET = 1,
	XF_NETDEV_CMD_QUEUE_GET = 10,		/* 6.8 */
	XF_NETDEV_CMD_NAPI_GET = 11,		/* 6.8 */
};

enum {
	XF_NETDEV_A_DEV_IFINDEX = 1,
	XF_NETDEV_A_DEV_PAD,
	XF_NETDEV_A_DEV_XDP_FEATURES,		/* u64, NETDEV_XDP_ACT_* */
	XF_NETDEV_A_DEV_XDP_ZC_MAX_SEGS,	/* u32, 6.6 */
	XF_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES, /* u64, 6.8 */
	XF_NETDEV_A_DEV_XSK_FEATURES,		/* u64, NETDEV_XSK_FLAGS_*, 6.8 */
	XF_NETDEV_A_DEV_MAX = XF_NETDEV_A_DEV_XSK_FEATURES,
};

enum {
	XF_NETDEV_A_QUEUE_ID = 1,
	XF_NETDEV_A_QUEUE_IFINDEX,
	XF_NETDEV_A_QUEUE_TYPE,			/* 0 rx, 1 tx */
	XF_NETDEV_A_QUEUE_NAPI_ID,
	XF_NETDEV_A_QUEUE_DMABUF,
	XF_NETDEV_A_QUEUE_IO_URING,
	XF_NETDEV_A_QUEUE_XSK,			/* empty nest: an AF_XDP socket is bound */
	XF_NETDEV_A_QUEUE_MAX = XF_NETDEV_A_QUEUE_XSK,
};

#define XF_NETDEV_QUEUE_TYPE_TX 1

enum {
	XF_NETDEV_A_NAPI_IFINDEX = 1,
	XF_NETDEV_A_NAPI_ID,
	XF_NETDEV_A_NAPI_IRQ,
	XF_NETDEV_A_NAPI_PID,			/* u32, the NAPI thread when threaded; 6.8 */
	XF_NETDEV_A_NAPI_MAX = XF_NETDEV_A_NAPI_PID,
};

#endif /* XF_COMPAT_H */
