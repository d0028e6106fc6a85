/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private to libxskflow: logging, interface queries and the structs behind the opaque
 * handles that more than one file of the library touches. */
#ifndef XF_INTERNAL_H
#define XF_INTERNAL_H

#include <errno.h>
#include <xdp/xsk.h>
#include <xskflow/xskflow.h>

#define XF_HIDDEN __attribute__((visibility("hidden")))

__attribute__((format(printf, 2, 3)))
XF_HIDDEN void xf_log(enum xf_log_level level, const char *fmt, ...);
#define xf_err(...)	xf_log(XF_LOG_ERROR, __VA_ARGS__)
#define xf_warn(...)	xf_log(XF_LOG_WARN, __VA_ARGS__)
#define xf_info(...)	xf_log(XF_LOG_INFO, __VA_ARGS__)
#define xf_dbg(...)	xf_log(XF_LOG_DEBUG, __VA_ARGS__)

/* Route libbpf and libxdp messages through our callback (once per process). */
XF_HIDDEN void xf_install_lib_printers(void);

/* Options structs: a field is usable only if the caller's struct is big enough to hold it. */
#define XF_OPT(opts, field, dflt)						\
	(((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +		\
			sizeof((opts)->field) && (opts)->field) ? (opts)->field : (dflt))

/* Interface facts, for negotiation and for error messages. */
#define XF_DRIVER_MAX 32
XF_HIDDEN int xf_iface_driver(const char *ifname, char *buf, size_t len);
XF_HIDDEN int xf_iface_rx_queues(const char *ifname);
/* Resolve @ifname; logs "interface 'X' not found; ..." on failure. Returns ifindex or -errno. */
XF_HIDDEN int xf_iface_index(const char *ifname);

/* Up to this many one-line fallback reasons per object. */
#define XF_MAX_FALLBACKS 4
#define XF_FALLBACK_LEN 200
struct xf_fallbacks {
	unsigned int n;
	char line[XF_MAX_FALLBACKS][XF_FALLBACK_LEN];
};
__attribute__((format(printf, 2, 3)))
XF_HIDDEN void xf_fallback_add(struct xf_fallbacks *fb, const char *fmt, ...);
XF_HIDDEN const char *xf_fallback_get(const struct xf_fallbacks *fb, size_t i);

struct xf_umem {
	void *area;
	size_t size;
	__u32 frame_size;
	__u32 frame_count;
	__u32 headroom;
	__u32 fill_size;
	__u32 comp_size;

	/* Registration with the kernel; made by the first port, see port.c. */
	struct xsk_umem *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	unsigned int nports;

	/* The free pool: a stack of frame base addresses. */
	__u64 *pool;
	__u32 nfree;
	/* Frames elsewhere; with nfree they add up to frame_count. */
	__u32 nfill, napp, ntx;
	/* Where each frame is (enum xf_place), so teardown can take back what the kernel
	 * held and a frame handed over twice is caught. */
	__u8 *place;
};

enum xf_place {
	XF_PLACE_FREE = 0,
	XF_PLACE_FILL,
	XF_PLACE_APP,
	XF_PLACE_TX,
};

/* Move frames between places. Counts and per-frame places change together; debug builds
 * assert that a frame leaves only the place it is in. */
XF_HIDDEN __u32 xf_umem_pool_get(struct xf_umem *u, __u64 *addrs, __u32 n, enum xf_place to);
XF_HIDDEN void xf_umem_pool_put(struct xf_umem *u, const __u64 *addrs, __u32 n,
				enum xf_place from);
XF_HIDDEN void xf_umem_move(struct xf_umem *u, __u64 addr, enum xf_place from,
			    enum xf_place to);
/* After the kernel let go of the UMEM: frames in the fill and TX places come home. */
XF_HIDDEN void xf_umem_reclaim(struct xf_umem *u);
XF_HIDDEN void xf_umem_check(const struct xf_umem *u);

/* Steering internals that ports need. */
XF_HIDDEN int xf_steer_xskmap_fd(const struct xf_steer *steer);

#endif /* XF_INTERNAL_H */
