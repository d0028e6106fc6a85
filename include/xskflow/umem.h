/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* UMEM: one page-aligned region of frames shared with the kernel, and the pool of frames
 * that are currently free. Every frame is owned by exactly one place at a time. */
#ifndef XSKFLOW_UMEM_H
#define XSKFLOW_UMEM_H

#include <xskflow/xskflow.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xf_umem;

struct xf_umem_opts {
	size_t sz;		/* sizeof(struct xf_umem_opts), set by XF_OPTS() */
	__u32 frame_size;	/* 2048 or 4096 (default 4096); with XF_UMEM_F_UNALIGNED any
				 * size from 2048 to 4096 (e.g. 3000) */
	__u32 frame_count;	/* default 4096 */
	__u32 headroom;		/* bytes reserved in front of every received packet (default 0) */
	__u32 fill_size;	/* fill ring entries, power of two (default 2048) */
	__u32 comp_size;	/* completion ring entries, power of two (default 2048) */
	/* NUMA placement. Without either of these, pages land where they are first touched. */
	__u32 flags;		/* XF_UMEM_F_* */
	int numa_node;		/* with XF_UMEM_F_NUMA_NODE: bind the memory to this node, or fail */
	const char *numa_ifname; /* otherwise, if set: prefer the node of this interface's
				  * device, where the kernel knows it */
	size_t : 0;
};

/* xf_umem_opts.flags */
#define XF_UMEM_F_NUMA_NODE	(1u << 0)	/* @numa_node is set (0 is a valid node) */
#define XF_UMEM_F_HUGEPAGES	(1u << 1)	/* back with 2 MiB hugepages; normal pages and
						 * a warning when none are reserved */
#define XF_UMEM_F_UNALIGNED	(1u << 2)	/* unaligned chunk mode: frame sizes that are
						 * not powers of two, and descriptors that may
						 * start anywhere and cross frame boundaries.
						 * Received addresses are plain UMEM offsets
						 * (the kernel's base + offset<<48 encoding is
						 * undone). */

/* xf_umem__create - allocate a UMEM: page-aligned, MADV_DONTFORK so that a fork() neither
 * shares nor copies the pinned pages, placed on a NUMA node if asked. Registration with the
 * kernel happens when the first port is created on it.
 * @opts: may be NULL for defaults.
 * Returns the UMEM, or NULL with errno set (EINVAL for a bad size or node, ENODEV for an
 * unknown numa_ifname, ENOBUFS when the pinned-memory limit would be passed, ENOMEM). */
XF_API struct xf_umem *xf_umem__create(const struct xf_umem_opts *opts);

/* xf_umem__destroy - unmap the UMEM. Every port on it must have been destroyed first
 * (the kernel may otherwise still write into it): returns -EBUSY and keeps it if not. */
XF_API int xf_umem__destroy(struct xf_umem *umem);

XF_API void *xf_umem__area(const struct xf_umem *umem);
XF_API __u32 xf_umem__frame_size(const struct xf_umem *umem);
XF_API __u32 xf_umem__frame_count(const struct xf_umem *umem);
XF_API __u32 xf_umem__headroom(const struct xf_umem *umem);
/* Frames currently in the free pool. */
XF_API __u32 xf_umem__free_frames(const struct xf_umem *umem);
/* Whether the UMEM is in unaligned chunk mode (XF_UMEM_F_UNALIGNED). */
XF_API bool xf_umem__unaligned(const struct xf_umem *umem);
/* Whether the UMEM got hugepages (asked with XF_UMEM_F_HUGEPAGES and available). */
XF_API bool xf_umem__hugepages(const struct xf_umem *umem);
/* The NUMA node the memory was bound to or preferred, -1 when no placement was made. */
XF_API int xf_umem__numa_node(const struct xf_umem *umem);

/* The pinned-memory guard: xf_umem__create refuses a UMEM that would take the bytes this
 * process has pinned through the library (xf_pinned_bytes()) past a limit. The limit is, in
 * order of precedence: the environment variable XSKFLOW_PIN_LIMIT (bytes, with an optional
 * K, M, G or T suffix for binary multiples, or a percentage of RAM such as "10%"), the last
 * xf_set_pin_limit(), or XF_PIN_LIMIT_DEFAULT_SHARE percent of RAM. */
#define XF_PIN_LIMIT_DEFAULT_SHARE 25

enum xf_pin_limit_source {
	XF_PIN_LIMIT_FROM_DEFAULT = 0,	/* XF_PIN_LIMIT_DEFAULT_SHARE percent of RAM */
	XF_PIN_LIMIT_FROM_CALL,		/* xf_set_pin_limit() */
	XF_PIN_LIMIT_FROM_ENV,		/* XSKFLOW_PIN_LIMIT */
};

/* xf_set_pin_limit - set the limit in bytes; 0 goes back to the default. Returns 0. */
XF_API int xf_set_pin_limit(size_t bytes);

/* xf_pin_limit - the limit in force now, in bytes; @source (may be NULL) receives where it
 * comes from. */
XF_API size_t xf_pin_limit(enum xf_pin_limit_source *source);

#ifdef __cplusplus
}
#endif

#endif /* XSKFLOW_UMEM_H */
