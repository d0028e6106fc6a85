// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* UMEM allocation: hugepages, NUMA placement and the pinned-memory guard. The free pool
 * and frame hand-overs are in frames.c. */
#include <assert.h>
#include <numaif.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xskflow/sysinfo.h>
#include "compat.h"
#include "xf_internal.h"

#define XF_UMEM_DEF_FRAME_SIZE	4096
#define XF_UMEM_DEF_FRAMES	4096
#define XF_UMEM_DEF_RING	2048

/* Highest NUMA node id we can name in an mbind() mask. */
#define XF_MAX_NODES 1024
#define XF_LONG_BITS (8 * sizeof(unsigned long))

static atomic_size_t xf_pinned;
static atomic_size_t xf_pin_limit_set;	/* 0: not set by xf_set_pin_limit() */

size_t xf_pinned_bytes(void)
{
	return atomic_load(&xf_pinned);
}

int xf_pin_limit_parse(const char *s, __u64 ram, size_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == '%') {
		if (end[1] || v > 100 || !ram)
			return -EINVAL;
		*out = (size_t)(ram * v / 100);
		return 0;
	}
	switch (*end) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	case 'T': case 't': shift = 40; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (shift && *++end)
		return -EINVAL;
	if (v > (SIZE_MAX >> shift))
		return -EINVAL;
	*out = (size_t)v << shift;
	return 0;
}

int xf_set_pin_limit(size_t bytes)
{
	atomic_store(&xf_pin_limit_set, bytes);
	if (bytes && getenv("XSKFLOW_PIN_LIMIT"))
		xf_info("pinned-memory limit %zu set, but XSKFLOW_PIN_LIMIT overrides it", bytes);
	return 0;
}

size_t xf_pin_limit(enum xf_pin_limit_source *source)
{
	const char *env = getenv("XSKFLOW_PIN_LIMIT");
	enum xf_pin_limit_source src;
	__u64 ram = xf_ram_bytes();
	size_t v = 0;

	if (env && *env) {
		if (!xf_pin_limit_parse(env, ram, &v)) {
			src = XF_PIN_LIMIT_FROM_ENV;
			goto out;
		}
		xf_warn("XSKFLOW_PIN_LIMIT='%s' is not a size like 512M, 4G or 10%%; ignoring it",
			env);
	}
	v = atomic_load(&xf_pin_limit_set);
	if (v) {
		src = XF_PIN_LIMIT_FROM_CALL;
		goto out;
	}
	src = XF_PIN_LIMIT_FROM_DEFAULT;
	v = (size_t)(ram * XF_PIN_LIMIT_DEFAULT_SHARE / 100);
out:
	if (source)
		*source = src;
	return v;
}

static const char *pin_limit_origin(enum xf_pin_limit_source src)
{
	switch (src) {
	case XF_PIN_LIMIT_FROM_ENV: return "from XSKFLOW_PIN_LIMIT";
	case XF_PIN_LIMIT_FROM_CALL: return "set by xf_set_pin_limit()";
	default: return "the default, 25% of RAM";
	}
}

/* Count @bytes as pinned unless that passes the limit. A compare-and-swap loop, so that
 * threads creating UMEMs at once cannot pass it together. */
static int pin_reserve(size_t bytes)
{
	enum xf_pin_limit_source src;
	size_t limit = xf_pin_limit(&src);
	size_t cur = atomic_load(&xf_pinned);

	do {
		if (bytes > limit || cur > limit - bytes) {
			xf_err("umem: pinning %zu more bytes would pass the pinned-memory limit: %zu "
			       "pinned now by this process, limit %zu (%s); raise XSKFLOW_PIN_LIMIT "
			       "(or call xf_set_pin_limit()) or use fewer or smaller frames",
			       bytes, cur, limit, pin_limit_origin(src));
			return -ENOBUFS;
		}
	} while (!atomic_compare_exchange_weak(&xf_pinned, &cur, cur + bytes));
	return 0;
}

static void pin_release(size_t bytes)
{
	atomic_fetch_sub(&xf_pinned, bytes);
}

/* Which node the caller wants: -1 none. Strict when the node was named, not derived. */
static int numa_choice(const struct xf_umem_opts *opts, int *node, bool *strict)
{
	const char *ifname = XF_OPT(opts, numa_ifname, NULL);
	int n;

	*node = -1;
	*strict = false;
	if (XF_OPT(opts, flags, 0) & XF_UMEM_F_NUMA_NODE) {
		if (!XF_OPT_HAS(opts, numa_node) || opts->numa_node < 0 ||
		    opts->numa_node >= XF_MAX_NODES) {
			xf_err("umem: NUMA node %d is not valid; see 'ls /sys/devices/system/node'",
			       XF_OPT_HAS(opts, numa_node) ? opts->numa_node : -1);
			return -EINVAL;
		}
		*node = opts->numa_node;
		*strict = true;
		return 0;
	}
	if (!ifname)
		return 0;
	n = xf_iface_numa_node(ifname);
	if (n == -ENODEV)
		return n;	/* logged: interface not found */
	if (n < 0 || n >= XF_MAX_NODES)
		xf_dbg("umem: the kernel does not know the NUMA node of '%s'; pages go where they "
		       "are first touched", ifname);
	else
		*node = n;
	return 0;
}

/* Bind (strict) or prefer @node for the area, then fault every page in so that the kernel
 * allocates them under that policy now, before anything pins them. */
static int numa_place(struct xf_umem *u, int node, bool strict)
{
	unsigned long mask[XF_MAX_NODES / XF_LONG_BITS] = {};
	long page = sysconf(_SC_PAGESIZE);
	int err = 0;

	mask[node / XF_LONG_BITS] = 1ul << (node % XF_LONG_BITS);
	if (mbind(u->area, u->size, strict ? MPOL_BIND : MPOL_PREFERRED, mask, XF_MAX_NODES + 1,
		  0)) {
		err = -errno;
		if (strict) {
			xf_err("umem: cannot bind %zu bytes to NUMA node %d: %s; pick a node that "
			       "has memory (numactl -H)", u->size, node, strerror(-err));
			return err;
		}
		if (err != -ENOSYS)
			xf_warn("umem: cannot prefer NUMA node %d: %s; pages go where they are "
				"first touched", node, strerror(-err));
		node = -1;
	}
	if (madvise(u->area, u->size, MADV_POPULATE_WRITE)) {
		err = -errno;
		if (err != -EINVAL) {
			xf_err("umem: cannot allocate %zu bytes%s: %s", u->size,
			       node >= 0 ? " on the chosen NUMA node" : "", strerror(-err));
			return err;
		}
		/* Before 5.14: touch every page instead. */
		for (size_t off = 0; off < u->size; off += (size_t)page)
			((volatile char *)u->area)[off] = 0;
	}
	u->numa_node = node;
	if (node >= 0)
		xf_dbg("umem: %zu bytes %s NUMA node %d", u->size, strict ? "bound to" : "prefer",
		       node);
	return 0;
}

static bool is_pow2(__u32 v)
{
	return v && !(v & (v - 1));
}

#define XF_HUGEPAGE_SIZE (2u << 20)

/* Map the frames, on 2 MiB hugepages if asked and reserved (fewer TLB misses on the data
 * path), else on normal pages with a warning that says how to reserve some. @populate:
 * fault everything in now (not when a NUMA policy is still to be applied). */
static int umem_map(struct xf_umem *u, bool huge, bool populate)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0);

	if (huge) {
		u->map_size = (u->size + XF_HUGEPAGE_SIZE - 1) & ~(size_t)(XF_HUGEPAGE_SIZE - 1);
		u->area = mmap(NULL, u->map_size, PROT_READ | PROT_WRITE,
			       flags | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT), -1, 0);
		if (u->area != MAP_FAILED) {
			u->hugepages = true;
			return 0;
		}
		xf_warn("umem: no 2 MiB hugepages for %zu bytes (%s): using normal pages; reserve "
			"some with 'sysctl vm.nr_hugepages=%zu'", u->map_size, strerror(errno),
			u->map_size / XF_HUGEPAGE_SIZE);
	}
	u->map_size = u->size;
	u->area = mmap(NULL, u->map_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	return u->area == MAP_FAILED ? -errno : 0;
}

struct xf_umem *xf_umem__create(const struct xf_umem_opts *opts)
{
	struct xf_umem *u;
	bool strict;
	int err, node;

	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->frame_size = XF_OPT(opts, frame_size, XF_UMEM_DEF_FRAME_SIZE);
	u->frame_count = XF_OPT(opts, frame_count, XF_UMEM_DEF_FRAMES);
	u->headroom = XF_OPT(opts, headroom, 0);
	u->fill_size = XF_OPT(opts, fill_size, XF_UMEM_DEF_RING);
	u->comp_size = XF_OPT(opts, comp_size, XF_UMEM_DEF_RING);

	u->unaligned = XF_OPT(opts, flags, 0) & XF_UMEM_F_UNALIGNED;
	if (u->unaligned && (u->frame_size < 2048 || u->frame_size > 4096)) {
		xf_err("umem: frame size %u is not supported in unaligned chunk mode; use 2048..4096",
		       u->frame_size);
		err = -EINVAL;
		goto err_free;
	}
	if (!u->unaligned && u->frame_size != 2048 && u->frame_size != 4096) {
		xf_err("umem: frame size %u is not supported; use 2048 or 4096, or any size from "
		       "2048 to 4096 in unaligned chunk mode", u->frame_size);
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

	err = numa_choice(opts, &node, &strict);
	if (err)
		goto err_free;

	u->size = (size_t)u->frame_size * u->frame_count;
	u->numa_node = -1;
	err = pin_reserve(u->size);
	if (err)
		goto err_free;
	err = umem_map(u, XF_OPT(opts, flags, 0) & XF_UMEM_F_HUGEPAGES, node < 0);
	if (err) {
		err = -errno;
		xf_err("umem: cannot map %zu bytes (%u frames of %u): %s", u->size,
		       u->frame_count, u->frame_size, strerror(-err));
		goto err_unpin;
	}
	if (node >= 0) {
		err = numa_place(u, node, strict);
		if (err)
			goto err_unmap;
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
	pthread_mutex_init(&u->lock, NULL);
	xf_dbg("umem: %u frames of %u bytes, headroom %u, %zu bytes%s", u->frame_count,
	       u->frame_size, u->headroom, u->size, u->unaligned ? ", unaligned chunks" : "");
	return u;

err_unmap:
	munmap(u->area, u->map_size);
err_unpin:
	pin_release(u->size);
err_free:
	free(u);
	errno = -err;
	return NULL;
}

bool xf_umem__unaligned(const struct xf_umem *u)
{
	return u->unaligned;
}

bool xf_umem__hugepages(const struct xf_umem *u)
{
	return u->hugepages;
}

int xf_umem__destroy(struct xf_umem *u)
{
	if (!u)
		return 0;
	if (u->nports) {
		xf_err("umem: %u port(s) still use it; destroy them first", u->nports);
		return -EBUSY;
	}
	munmap(u->area, u->map_size);
	pin_release(u->size);
	pthread_mutex_destroy(&u->lock);
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

int xf_umem__numa_node(const struct xf_umem *u)
{
	return u->numa_node;
}
