// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Frame ownership: the free pool (a LIFO stack, so recently freed frames are warm in
 * cache) and every hand-over between pool, fill rings, application and TX rings. */
#include <assert.h>
#include "xf_internal.h"

static __u32 *kind_count(struct xf_umem *u, __u8 place)
{
	switch (XF_PLACE_KIND(place)) {
	case XF_PLACE_FILL: return &u->nfill;
	case XF_PLACE_APP: return &u->napp;
	case XF_PLACE_TX: return &u->ntx;
	default: return &u->nfree;
	}
}

/* Debug builds check the books on every hand-over, under the lock. */
static inline void books_balance(const struct xf_umem *u)
{
	assert(u->nfree + u->nfill + u->napp + u->ntx == u->frame_count);
	(void)u;
}

/* Frames sit at multiples of frame_size in both chunk modes; in unaligned mode the
 * frame size need not be a power of two, so this is a division, not a shift. */
static inline __u32 frame_index(const struct xf_umem *u, __u64 addr)
{
	return (__u32)(xf_umem_flat_addr(u, addr) / u->frame_size);
}

static inline void set_place(struct xf_umem *u, __u32 idx, __u8 from, __u8 to)
{
	assert(idx < u->frame_count && u->place[idx] == from);
	(void)from;
	u->place[idx] = to;
}

__u32 xf_umem_pool_get(struct xf_umem *u, __u64 *addrs, __u32 n, __u8 to)
{
	pthread_mutex_lock(&u->lock);
	if (n > u->nfree)
		n = u->nfree;
	for (__u32 i = 0; i < n; i++) {
		addrs[i] = u->pool[--u->nfree];
		set_place(u, frame_index(u, addrs[i]), XF_PLACE_FREE, to);
	}
	*kind_count(u, to) += n;
	books_balance(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

static void put_locked(struct xf_umem *u, const __u64 *addrs, __u32 n, __u8 from)
{
	for (__u32 i = 0; i < n; i++) {
		__u32 idx = frame_index(u, addrs[i]);

		set_place(u, idx, from, XF_PLACE_FREE);
		u->pool[u->nfree++] = (__u64)idx * u->frame_size;
	}
	*kind_count(u, from) -= n;
	books_balance(u);
}

void xf_umem_pool_put(struct xf_umem *u, const __u64 *addrs, __u32 n, __u8 from)
{
	pthread_mutex_lock(&u->lock);
	put_locked(u, addrs, n, from);
	pthread_mutex_unlock(&u->lock);
}

__u32 xf_umem_complete(struct xf_umem *u, const __u64 *addrs, __u32 n, __u8 from)
{
	__u32 stray = 0;

	pthread_mutex_lock(&u->lock);
	for (__u32 i = 0; i < n; i++) {
		__u64 flat = xf_umem_flat_addr(u, addrs[i]);
		__u32 idx = frame_index(u, flat);

		/* The kernel hands back what it was given, invalid descriptors included: only
		 * a frame we actually submitted comes home. */
		if (flat >= u->size || idx >= u->frame_count || u->place[idx] != from) {
			stray++;
			continue;
		}
		u->place[idx] = XF_PLACE_FREE;
		u->pool[u->nfree++] = (__u64)idx * u->frame_size;
		(*kind_count(u, from))--;
	}
	u->stray_completions += stray;
	books_balance(u);
	pthread_mutex_unlock(&u->lock);
	return n - stray;
}

void xf_umem_move(struct xf_umem *u, const __u64 *addrs, __u32 n, __u8 from, __u8 to)
{
	pthread_mutex_lock(&u->lock);
	for (__u32 i = 0; i < n; i++)
		set_place(u, frame_index(u, addrs[i]), from, to);
	*kind_count(u, from) -= n;
	*kind_count(u, to) += n;
	books_balance(u);
	pthread_mutex_unlock(&u->lock);
}

void xf_umem_reclaim(struct xf_umem *u, int fq)
{
	pthread_mutex_lock(&u->lock);
	for (__u32 i = 0; i < u->frame_count; i++) {
		__u8 pl = u->place[i], kind = XF_PLACE_KIND(pl);
		__u64 addr = (__u64)i * u->frame_size;

		if ((kind == XF_PLACE_FILL || kind == XF_PLACE_TX) && (fq < 0 || pl >> 2 == fq))
			put_locked(u, &addr, 1, pl);
	}
	pthread_mutex_unlock(&u->lock);
	xf_umem_check(u);
}

void xf_umem_check(struct xf_umem *u)
{
#ifndef NDEBUG
	pthread_mutex_lock(&u->lock);
	assert(u->nfree + u->nfill + u->napp + u->ntx == u->frame_count);
	pthread_mutex_unlock(&u->lock);
#else
	(void)u;
#endif
}
