/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Port: one AF_XDP socket on (interface, queue) with its RX, TX, fill and completion rings.
 * A port is driven by one thread; nothing here takes a lock. */
#ifndef XSKFLOW_PORT_H
#define XSKFLOW_PORT_H

#include <xskflow/xskflow.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xf_port;

struct xf_port_opts {
	size_t sz;		/* sizeof(struct xf_port_opts), set by XF_OPTS() */
	__u32 queue;		/* RX/TX queue to bind */
	enum xf_bind_mode bind;
	__u32 rx_size;		/* RX ring entries (default 2048; XF_PORT_NO_RING for TX only) */
	__u32 tx_size;		/* TX ring entries (default 2048; XF_PORT_NO_RING for RX only) */
	bool no_need_wakeup;	/* need_wakeup is on unless this is set */
	struct xf_steer *steer;	/* if set, the socket is put in its XSKMAP for (@queue, @slot) */
	__u32 slot;		/* which socket of the queue rules send to ('xsk slot N') */
	__u32 busy_poll_usecs;	/* SO_BUSY_POLL; 0: off */
	__u32 busy_poll_budget;	/* SO_BUSY_POLL_BUDGET; 0: kernel default */
	bool prefer_busy_poll;	/* SO_PREFER_BUSY_POLL */
	bool multi_buffer;	/* XDP_USE_SG: packets larger than a frame arrive and leave as
				 * chains of frames (xf_pkt.options); without it the kernel
				 * drops them and counts them in rx_dropped */
	bool napi_yield;	/* co-scheduling for a poller that shares its CPU with the
				 * queue's NAPI thread and sleeps (poll()) when idle: the
				 * creating thread becomes SCHED_FIFO 1 while the port exists,
				 * so it preempts the NAPI thread whenever it has packets to
				 * take and NAPI runs while it sleeps; receive work is never
				 * spent on packets the poller cannot take. Needs threaded
				 * NAPI (otherwise nothing to do), CAP_SYS_NICE and Linux
				 * 6.8+. Not for a poller that spins: the NAPI thread would
				 * starve. See xf_port__napi_yield(). */
	size_t : 0;
};

#define XF_PORT_NO_RING ((__u32)-1)
#define XF_PORT_SLOTS 8		/* sockets per queue the steering program can tell apart */

/* A packet (or a frame to fill for TX). @data points into the UMEM. On a multi-buffer
 * port a packet may be a chain of these, one per frame: every segment but the last has
 * XF_PKT_CONTD set, and the chain is received, sent and released as one unit. */
struct xf_pkt {
	__u64 addr;		/* UMEM offset of the segment's first byte */
	__u32 len;		/* bytes in this segment */
	__u32 options;		/* XF_PKT_CONTD; read only on multi-buffer ports */
	void *data;
};

#define XF_PKT_CONTD	(1u << 0)	/* more segments of this packet follow (XDP_PKT_CONTD) */
/* Most segments of a packet: what the kernel sends in one chain (MAX_SKB_FRAGS plus the
 * head) and what xf_port__rx hands out; pass at least this many to xf_port__rx on a
 * multi-buffer port. A received packet the kernel splits into more frames (copy mode splits
 * by frame size: more than 18 frames of 2 KiB once the MTU is above ~36 KiB) is dropped
 * whole and counted (xf_port__rx_chains_dropped), never truncated. */
#define XF_PKT_MAX_SEGS	18

/* xf_pkt__segs - segments of the packet that starts at @pkts[0], looking at most @n far.
 * Returns 0 when the chain is not complete within @n. */
static inline unsigned int xf_pkt__segs(const struct xf_pkt *pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (!(pkts[i].options & XF_PKT_CONTD))
			return i + 1;
	return 0;
}

/* xf_pkt__count - packets among @n whole segments (the chain ends). */
static inline unsigned int xf_pkt__count(const struct xf_pkt *pkts, unsigned int n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		k += !(pkts[i].options & XF_PKT_CONTD);
	return k;
}

/* xf_pkt__gather - copy the packet of @nsegs segments at @pkts into @buf, at most @cap
 * bytes (what is past them is left out: compare with xf_pkt__len). Returns the bytes
 * copied. */
static inline __u32 xf_pkt__gather(void *buf, __u32 cap, const struct xf_pkt *pkts,
				   unsigned int nsegs)
{
	__u32 off = 0;

	for (unsigned int i = 0; i < nsegs && off < cap; i++) {
		__u32 l = pkts[i].len < cap - off ? pkts[i].len : cap - off;

		memcpy((__u8 *)buf + off, pkts[i].data, l);
		off += l;
	}
	return off;
}

/* xf_pkt__len - total bytes of a packet of @nsegs segments. */
static inline __u32 xf_pkt__len(const struct xf_pkt *pkts, unsigned int nsegs)
{
	__u32 len = 0;

	for (unsigned int i = 0; i < nsegs; i++)
		len += pkts[i].len;
	return len;
}

/* xf_port__create - create and bind an AF_XDP socket, negotiating the bind mode, and fill
 * the fill ring. Several ports may share one UMEM: on the same queue (told apart by their
 * slot) they share its fill and completion rings and must be driven by one thread; on
 * other queues or interfaces they get their own, and frames can move between them (e.g.
 * received on one, transmitted on another) without copying. Ports after the first take
 * the UMEM's bind mode. Returns the port or NULL with errno set; nothing is left behind
 * on failure. */
XF_API struct xf_port *xf_port__create(const char *ifname, struct xf_umem *umem,
				       const struct xf_port_opts *opts);

/* xf_port__destroy - remove the socket from the XSKMAP, then close it. Frames the
 * application still holds stay counted as "application" until it releases them; frames in
 * kernel rings return to the pool. NULL is a no-op. */
XF_API void xf_port__destroy(struct xf_port *port);

/* xf_port__rx - take up to @max received packets (the application now owns them) and top
 * up the fill ring. Returns the number taken. On a multi-buffer port the count is of
 * segments and only whole chains are taken (a chain never straddles two calls): @max
 * must be at least XF_PKT_MAX_SEGS. */
XF_API unsigned int xf_port__rx(struct xf_port *port, struct xf_pkt *pkts, unsigned int max);

/* xf_port__release - give packets back to the free pool (from xf_port__rx or
 * xf_port__tx_alloc). */
XF_API void xf_port__release(struct xf_port *port, const struct xf_pkt *pkts, unsigned int n);

/* xf_port__tx_alloc - take up to @n free frames to build packets in. Each comes with
 * @data at the frame start plus headroom, @len = the room available and @options 0.
 * Returns the number allocated. */
XF_API unsigned int xf_port__tx_alloc(struct xf_port *port, struct xf_pkt *pkts, unsigned int n);

/* xf_port__tx - submit packets to send (set @len first). Returns how many were queued;
 * the rest stay with the application. Wakes the kernel when it asks to be woken. On a
 * multi-buffer port @options is passed on (XF_PKT_CONTD chains frames into one packet)
 * and only whole chains are queued; elsewhere it is ignored. */
XF_API unsigned int xf_port__tx(struct xf_port *port, const struct xf_pkt *pkts, unsigned int n);

/* xf_port__complete - take sent frames back from the completion ring to the pool,
 * kicking the kernel if TX is pending. Returns the number reaped. */
XF_API unsigned int xf_port__complete(struct xf_port *port);

/* xf_port__push - grow @pkt at the front by @len bytes of the frame's headroom, without
 * moving the packet. Returns the new start, or NULL if the headroom is too small. */
XF_API void *xf_port__push(const struct xf_port *port, struct xf_pkt *pkt, __u32 len);

/* xf_port__push_vlan - insert a VLAN tag (@tpid 0x8100 or 0x88a8) after the MAC addresses:
 * only the 12 address bytes move. Returns 0, -ENOSPC (no headroom) or -EINVAL. */
XF_API int xf_port__push_vlan(const struct xf_port *port, struct xf_pkt *pkt, __u16 tpid,
			      __u16 tci);

/* Outer headers for xf_port__push_udp4: Ethernet + IPv4 + UDP around a whole frame. */
struct xf_udp4_encap {
	size_t sz;		/* sizeof(struct xf_udp4_encap), set by XF_OPTS() */
	__u8 dst_mac[6];
	__u8 src_mac[6];
	__u32 saddr;		/* IPv4 addresses in network byte order */
	__u32 daddr;
	__u16 sport;		/* UDP ports in host byte order */
	__u16 dport;
	__u8 ttl;		/* default 64 */
	__u8 tos;
	bool udp_csum;		/* compute the UDP checksum over the whole inner frame; unset,
				 * the checksum is 0 ("none", allowed for UDP over IPv4 by
				 * RFC 768) and nothing is read past the headers */
	size_t : 0;
};

#define XF_UDP4_ENCAP_LEN 42	/* Ethernet 14 + IPv4 20 + UDP 8 */

/* xf_port__push_udp4 - encapsulate @pkt: push outer Ethernet, IPv4 (no options, DF set,
 * header checksum computed) and UDP headers into the headroom in front of it, so that the
 * whole frame becomes the UDP payload. Nothing of the packet moves. Single-frame packets
 * only: a multi-buffer chain cannot be encapsulated this way (its length is not in @pkt),
 * and only a segment with XF_PKT_CONTD is recognisable as part of one — the last segment
 * of a chain looks like a whole packet, so the caller must not pass it.
 * Returns 0, -ENOSPC (headroom below XF_UDP4_ENCAP_LEN; @pkt unchanged), or -EINVAL (a
 * segment with XF_PKT_CONTD, or an outer IPv4 packet longer than 65535 bytes). */
XF_API int xf_port__push_udp4(const struct xf_port *port, struct xf_pkt *pkt,
			      const struct xf_udp4_encap *encap);

/* xf_port__poll - wait up to @timeout_ms for RX packets (or TX room when @tx is set).
 * Returns >0 when ready, 0 on timeout, -errno on error (-EINTR included). */
XF_API int xf_port__poll(struct xf_port *port, bool tx, int timeout_ms);

/* Where the frames of a port's UMEM are right now. They always add up to frame_count. */
struct xf_frame_counts {
	__u32 free;		/* in the pool */
	__u32 fill;		/* given to the kernel for RX (fill ring or in flight) */
	__u32 app;		/* held by the application (received or allocated for TX) */
	__u32 tx;		/* submitted for TX, not completed yet */
};

/* The six XDP_STATISTICS fields, by their kernel names. */
struct xf_xdp_stats {
	__u64 rx_dropped;
	__u64 rx_invalid_descs;
	__u64 tx_invalid_descs;
	__u64 rx_ring_full;
	__u64 rx_fill_ring_empty_descs;
	__u64 tx_ring_empty_descs;
};

/* Entries waiting in each ring right now. */
struct xf_ring_occupancy {
	__u32 fill;		/* fill ring: buffers the kernel has not taken yet */
	__u32 rx;		/* RX ring: packets not read yet */
	__u32 tx;		/* TX ring: descriptors the kernel has not sent yet */
	__u32 comp;		/* completion ring: sent frames not reaped yet */
};

XF_API int xf_port__xdp_stats(const struct xf_port *port, struct xf_xdp_stats *st);
XF_API void xf_port__rings(struct xf_port *port, struct xf_ring_occupancy *occ);
/* The entries each ring has (what the kernel was given; 0 for a ring the port has not). */
XF_API void xf_port__ring_sizes(const struct xf_port *port, struct xf_ring_occupancy *sizes);
XF_API void xf_port__frame_counts(const struct xf_port *port, struct xf_frame_counts *fc);
/* The mode the kernel reports through XDP_OPTIONS (never AUTO). */
XF_API enum xf_bind_mode xf_port__bind_mode(const struct xf_port *port);
XF_API const char *xf_port__fallback(const struct xf_port *port, size_t i);
XF_API int xf_port__fd(const struct xf_port *port);
XF_API bool xf_port__need_wakeup(const struct xf_port *port);
/* Whether the socket was bound with XDP_USE_SG (multi-buffer). */
XF_API bool xf_port__multi_buffer(const struct xf_port *port);
/* xf_port__napi_yield - what the napi_yield option does at create, for a port created by
 * one thread and polled by another: call it from the poller, once it is on its CPU(s).
 * If the NAPI thread of the port's RX queue shares a CPU with the calling thread, the
 * caller becomes SCHED_FIFO priority 1 (put back when the port is destroyed; a thread that
 * is real-time already is left as it is). Returns 0 (also when there was nothing to do:
 * threaded NAPI off, other CPUs, no RX ring, already done) or -errno, reason logged. */
XF_API int xf_port__napi_yield(struct xf_port *port);
/* The NAPI thread this port's poller yields to (napi_yield; its pid), or 0. */
XF_API int xf_port__napi_thread(const struct xf_port *port);
/* Received packets dropped whole for having more than XF_PKT_MAX_SEGS frames. */
XF_API __u64 xf_port__rx_chains_dropped(const struct xf_port *port);

#ifdef __cplusplus
}
#endif

#endif /* XSKFLOW_PORT_H */
