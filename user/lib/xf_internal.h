/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private to libxskflow: logging, interface queries and the structs behind the opaque
 * handles that more than one file of the library touches. */
#ifndef XF_INTERNAL_H
#define XF_INTERNAL_H

#include <errno.h>
#include <pthread.h>
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

/* True when the caller's options struct is big enough to hold @field. */
#define XF_OPT_HAS(opts, field)							\
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + sizeof((opts)->field))

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

/* napi.c: when the NAPI thread of (@ifname, @queue) shares a CPU with the calling thread,
 * make the caller SCHED_FIFO 1 so that it preempts NAPI. *@napi_out: that NAPI thread (0:
 * none needed it), *@tid_out: the thread raised (0: none). 0 or -errno (said). */
XF_HIDDEN int xf_napi_yield(const char *ifname, __u32 queue, int *napi_out, pid_t *tid_out,
			    unsigned long long *started_out);
/* Put a thread raised by xf_napi_yield back (its last user). tid 0: no-op. */
XF_HIDDEN void xf_napi_unyield(pid_t tid, unsigned long long started);

/* A fill/completion ring pair: one per (interface, queue) a UMEM is bound on. Ports on
 * the same queue share it (and must be driven by the same thread). */
#define XF_MAX_FQS 16
struct xf_fq {
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	int ifindex;
	__u32 queue;
	unsigned int refs;	/* ports using it; 0: free slot */
};

struct xf_umem {
	void *area;
	size_t size;
	__u32 frame_size;
	__u32 frame_count;
	__u32 headroom;
	__u32 fill_size;
	__u32 comp_size;
	int numa_node;
	size_t map_size;	/* size rounded up to the page size actually used */
	bool hugepages;		/* bound or preferred node, -1 none */
	bool unaligned;		/* XDP_UMEM_UNALIGNED_CHUNK_FLAG: frames of any size */

	/* Registration with the kernel; made by the first port, see port.c. */
	struct xsk_umem *xsk;
	struct xf_fq fq[XF_MAX_FQS];
	unsigned int nports;

	/* Pool, counters and places, shared by every port on the UMEM: taken once per
	 * burst, never per packet. */
	pthread_mutex_t lock;
	/* The free pool: a stack of frame base addresses. */
	__u64 *pool;
	__u32 nfree;
	/* Frames elsewhere; with nfree they add up to frame_count. */
	__u32 nfill, napp, ntx;
	__u64 stray_completions;	/* completions for descriptors we never submitted */
	/* Where each frame is (XF_PLACE()), so teardown can take back what the kernel held
	 * and a frame handed over twice is caught. */
	__u8 *place;
};

/* A descriptor address as a plain UMEM offset. In unaligned chunk mode the kernel hands
 * back the chunk base in the low 48 bits and the offset of the data inside it in the
 * upper 16 (XSK_UNALIGNED_BUF_OFFSET_SHIFT); elsewhere addresses are plain already. */
static inline __u64 xf_umem_flat_addr(const struct xf_umem *u, __u64 addr)
{
	return u->unaligned ? xsk_umem__add_offset_to_addr(addr) : addr;
}

/* A frame's place: its kind, and for the fill and TX kinds the fill/completion ring
 * pair (xf_fq index) through which the kernel holds it. */
enum xf_place_kind {
	XF_PLACE_FREE = 0,
	XF_PLACE_FILL,
	XF_PLACE_APP,
	XF_PLACE_TX,
};
#define XF_PLACE(kind, fq)	((__u8)((kind) | ((fq) << 2)))
#define XF_PLACE_KIND(pl)	((pl) & 3)

/* Move frames between places (frames/frames.c). Counts and per-frame places change
 * together under the UMEM lock; debug builds assert that a frame leaves only the place
 * it is in. Addresses may point anywhere inside their frame. */
XF_HIDDEN __u32 xf_umem_pool_get(struct xf_umem *u, __u64 *addrs, __u32 n, __u8 to);
XF_HIDDEN void xf_umem_pool_put(struct xf_umem *u, const __u64 *addrs, __u32 n, __u8 from);
XF_HIDDEN void xf_umem_move(struct xf_umem *u, const __u64 *addrs, __u32 n, __u8 from,
			    __u8 to);
/* Completion-ring addresses to the pool: like pool_put, but addresses that are not frames
 * in place @from (the kernel returns invalid TX descriptors too) are skipped and counted in
 * stray_completions. Returns the frames that came home. */
XF_HIDDEN __u32 xf_umem_complete(struct xf_umem *u, const __u64 *addrs, __u32 n, __u8 from);
/* After the kernel let go of fill/completion pair @fq (-1: of the whole UMEM), the frames
 * it held in fill and TX places come home. */
XF_HIDDEN void xf_umem_reclaim(struct xf_umem *u, int fq);
XF_HIDDEN void xf_umem_check(struct xf_umem *u);

/* Where sysfs and procfs are; tests point these at fake trees. */
XF_HIDDEN extern const char *xf_sysfs_root;
XF_HIDDEN extern const char *xf_procfs_root;
/* MemTotal from /proc/meminfo in bytes, or 0 when it cannot be read. */
XF_HIDDEN __u64 xf_ram_bytes(void);
/* Parse a pin limit: bytes with an optional K/M/G/T suffix, or "N%" of @ram.
 * Returns 0 or -EINVAL. */
XF_HIDDEN int xf_pin_limit_parse(const char *s, __u64 ram, size_t *out);

/* Submit one TX descriptor as given, outside frame accounting: for conformance tests that
 * feed the kernel invalid descriptors. Returns 0 or -ENOSPC. */
XF_HIDDEN int xf_port_tx_raw(struct xf_port *p, __u64 addr, __u32 len);
/* The same with descriptor @options (XDP_PKT_CONTD for malformed chains) and, unless
 * @kick, without waking the kernel (so that a chain is on the ring whole first). */
XF_HIDDEN int xf_port_tx_raw_opts(struct xf_port *p, __u64 addr, __u32 len, __u32 options,
				  bool kick);

/* Write outer Ethernet + IPv4 + UDP headers (XF_UDP4_ENCAP_LEN bytes) at @d, in front of
 * the @inner bytes that follow them (xf_port__push_udp4 without the push). */
struct xf_udp4_encap;
XF_HIDDEN void xf_encap_udp4(__u8 *d, __u32 inner, const struct xf_udp4_encap *e);

/* Steering internals that ports need. */
XF_HIDDEN int xf_steer_xskmap_fd(const struct xf_steer *steer);

#endif /* XF_INTERNAL_H */
