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
	__u32 frame_size;	/* 2048 or 4096 (default 4096) */
	__u32 frame_count;	/* default 4096 */
	__u32 headroom;		/* bytes reserved in front of every received packet (default 0) */
	__u32 fill_size;	/* fill ring entries, power of two (default 2048) */
	__u32 comp_size;	/* completion ring entries, power of two (default 2048) */
	size_t : 0;
};

/* xf_umem__create - allocate a UMEM: page-aligned, MADV_DONTFORK so that a fork() neither
 * shares nor copies the pinned pages. Registration with the kernel happens when the first
 * port is created on it.
 * @opts: may be NULL for defaults.
 * Returns the UMEM, or NULL with errno set (EINVAL for a bad size, ENOMEM). */
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

#ifdef __cplusplus
}
#endif

#endif /* XSKFLOW_UMEM_H */
