// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* UMEM allocation, pinned-memory accounting and the free-frame pool.
 * The pool is a LIFO stack: recently freed frames are warm in cache. */
#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "xf_internal.h"

#define XF_UMEM_DEF_FRAME_SIZE	4096
#define XF_UMEM_DEF_FRAMES	4096
#define XF_UMEM_DEF_RING	2048

static atomic_size_t xf_pinned;

size_t xf_pinned_bytes(void)
{
	return atomic_load(&xf_pinned);
}

static bool is_pow2(__u32 v)
{
	return v && !(v & (v - 1));
}

struct xf_umem *xf_umem__create(const struct xf_umem_opts *opts)
{
	struct xf_umem *u;
	int err;

	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->frame_size = XF_OPT(opts, frame_size, XF_UMEM_DEF_FRAME_SIZE);
	u->frame_count = XF_OPT(opts, frame_count, XF_UMEM_DEF_FRAMES);
	u->headroom = XF_OPT(opts, headroom, 0);
	u->fill_size = XF_OPT(opts, fill_size, XF_UMEM_DEF_RING);
	u->comp_size = XF_OPT(opts, comp_size, XF_UMEM_DEF_RING);

	if (u->frame_size != 2048 && u->frame_size != 4096) {
		xf_err("umem: frame size %u is not supported; use 2048 or 4096", u->frame_size);
		err = -EINVAL;
		goto err_free;
	}
	/* The kernel puts XDP_PACKET_HEADROOM (256) in front in copy mode; leave room for a
	 * minimum-size Ethernet frame after our own headroom. */
	if (u->headroom > u->frame_size - 256 - 64) {
		xf_err("umem: headroom %u leaves no room for a packet in a %u-byte frame; use at most %u",
		       u->headroom, u->frame_size, u->frame_size - 256 - 64);
		err = -EINVAL;
		goto err_free;
	}
	if (!is_pow2(u->fill_size) || !is_pow2(u->comp_size)) {
		xf_err("umem: ring sizes must be powers of two (fill %u, completion %u)",
		       u->fill_size, u->comp_size);
		err = -EINVAL;
		goto err_free;
	}
	if (u->frame_count < 2 || u->frame_count > (1u << 24)) {
		xf_err("umem: frame count %u is out of range; use 2..16777216", u->frame_count);
		err = -EINVAL;
		goto err_free;
	}

	u->size = (size_t)u->frame_size * u->frame_count;
	u->area = mmap(NULL, u->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (u->area == MAP_FAILED) {
		err = -errno;
		xf_err("umem: cannot map %zu bytes (%u frames of %u): %s", u->size,
		       u->frame_count, u->frame_size, strerror(-err));
		goto err_free;
	}
	/* A fork() must neither share nor copy-on-write pages the kernel writes into. */
	if (madvise(u->area, u->size, MADV_DONTFORK)) {
		err = -errno;
		xf_err("umem: madvise(MADV_DONTFORK) failed: %s", strerror(-err));
		goto err_unmap;
	}

	u->pool = calloc(u->frame_count, sizeof(*u->pool));
	u->place = calloc(u->frame_count, 1);
	if (!u->pool || !u->place) {
		free(u->pool);
		free(u->place);
		err = -ENOMEM;
		goto err_unmap;
	}
	/* Lowest addresses on top of the stack. */
	for (__u32 i = 0; i < u->frame_count; i++)
		u->pool[i] = (__u64)(u->frame_count - 1 - i) * u->frame_size;
	u->nfree = u->frame_count;
	atomic_fetch_add(&xf_pinned, u->size);
	xf_dbg("umem: %u frames of %u bytes, headroom %u, %zu bytes", u->frame_count,
	       u->frame_size, u->headroom, u->size);
	return u;

err_unmap:
	munmap(u->area, u->size);
err_free:
	free(u);
	errno = -err;
	return NULL;
}

int xf_umem__destroy(struct xf_umem *u)
{
	if (!u)
		return 0;
	if (u->nports) {
		xf_err("umem: %u port(s) still use it; destroy them first", u->nports);
		return -EBUSY;
	}
	munmap(u->area, u->size);
	atomic_fetch_sub(&xf_pinned, u->size);
	free(u->pool);
	free(u->place);
	free(u);
	return 0;
}

void *xf_umem__area(const struct xf_umem *u)
{
	return u->area;
}

__u32 xf_umem__frame_size(const struct xf_umem *u)
{
	return u->frame_size;
}

__u32 xf_umem__frame_count(const struct xf_umem *u)
{
	return u->frame_count;
}

__u32 xf_umem__headroom(const struct xf_umem *u)
{
	return u->headroom;
}

__u32 xf_umem__free_frames(const struct xf_umem *u)
{
	return u->nfree;
}

static __u32 *place_count(struct xf_umem *u, enum xf_place p)
{
	switch (p) {
	case XF_PLACE_FILL: return &u->nfill;
	case XF_PLACE_APP: return &u->napp;
	case XF_PLACE_TX: return &u->ntx;
	default: return &u->nfree;
	}
}

static void set_place(struct xf_umem *u, __u64 addr, enum xf_place from, enum xf_place to)
{
	__u8 *pl = &u->place[addr / u->frame_size];

	assert(*pl == from);
	(void)from;
	*pl = to;
}

__u32 xf_umem_pool_get(struct xf_umem *u, __u64 *addrs, __u32 n, enum xf_place to)
{
	if (n > u->nfree)
		n = u->nfree;
	for (__u32 i = 0; i < n; i++) {
		addrs[i] = u->pool[--u->nfree];
		set_place(u, addrs[i], XF_PLACE_FREE, to);
	}
	*place_count(u, to) += n;
	return n;
}

void xf_umem_pool_put(struct xf_umem *u, const __u64 *addrs, __u32 n, enum xf_place from)
{
	__u64 mask = ~(__u64)(u->frame_size - 1);

	for (__u32 i = 0; i < n; i++) {
		__u64 base = addrs[i] & mask;

		set_place(u, base, from, XF_PLACE_FREE);
		u->pool[u->nfree++] = base;
	}
	*place_count(u, from) -= n;
}

void xf_umem_move(struct xf_umem *u, __u64 addr, enum xf_place from, enum xf_place to)
{
	set_place(u, addr & ~(__u64)(u->frame_size - 1), from, to);
	(*place_count(u, from))--;
	(*place_count(u, to))++;
}

void xf_umem_reclaim(struct xf_umem *u)
{
	for (__u32 i = 0; i < u->frame_count; i++) {
		__u8 pl = u->place[i];

		if (pl == XF_PLACE_FILL || pl == XF_PLACE_TX) {
			__u64 addr = (__u64)i * u->frame_size;

			xf_umem_pool_put(u, &addr, 1, pl);
		}
	}
	xf_umem_check(u);
}

void xf_umem_check(const struct xf_umem *u)
{
#ifndef NDEBUG
	assert(u->nfree + u->nfill + u->napp + u->ntx == u->frame_count);
#else
	(void)u;
#endif
}
