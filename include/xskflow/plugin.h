/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The xskflowd plugin interface: what a shared object loaded by a [handler] of type plugin
 * exports. Packets are handed over in bursts; the plugin says, per packet, drop or transmit. */
#ifndef XSKFLOWD_PLUGIN_H
#define XSKFLOWD_PLUGIN_H

#include <stddef.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this file describes. The daemon loads plugins built for any ABI from 1 up to
 * its own; a plugin built for a newer one than the daemon's is refused.
 *   1: struct xskflowd_pkt, struct xskflowd_ctx up to @handler.
 *   2: xskflowd_ctx.chains (multi-buffer packets). */
#define XSKFLOWD_PLUGIN_ABI 2

enum xskflowd_verdict {
	XSKFLOWD_DROP = 0,	/* give the frame back (the default) */
	XSKFLOWD_TX = 1,	/* transmit it out of the queue it came in on */
};

/* One packet. @data points into the UMEM frame; the plugin may rewrite the bytes in place
 * and change @len (up to @room) before returning XSKFLOWD_TX. @data itself must not move.
 * A packet that came as a chain of frames (multi_buffer = yes) is still one entry: @data,
 * @len and @room describe its first segment (which holds the headers) and ctx->chains
 * the whole of it. */
struct xskflowd_pkt {
	void *data;
	__u32 len;
	__u32 room;		/* bytes from @data to the end of its frame */
	__u32 verdict;		/* enum xskflowd_verdict, XSKFLOWD_DROP on entry */
	__u32 rule;		/* index of the matching rule among its interface's rules */
};

/* One segment of a chained packet: a frame of its own. */
struct xskflowd_seg {
	void *data;
	__u32 len;
};

/* All the segments of one packet, the first being the one in struct xskflowd_pkt. */
struct xskflowd_chain {
	const struct xskflowd_seg *segs;
	__u32 nsegs;		/* 1 for a packet that fits a frame */
	__u32 len;		/* bytes of the whole packet */
};

/* Where a burst comes from. */
struct xskflowd_ctx {
	const char *ifname;
	__u32 queue;
	const char *handler;	/* the [handler NAME] */
	/* ABI 2. On an interface with multi_buffer = yes, chains[i] is packet i of the
	 * burst, segment by segment (bytes may be rewritten in place, lengths not); NULL
	 * elsewhere. A chain is transmitted whole with its segments' lengths as received:
	 * XSKFLOWD_TX with pkts[i].len changed drops it. A plugin built for ABI 1 does not
	 * know this field: it sees the first segment of a chain only, and XSKFLOWD_TX sends
	 * the chain unchanged past that segment. */
	const struct xskflowd_chain *chains;
};

/*
 * A plugin exports these symbols (C linkage):
 *
 *   const __u32 xskflowd_plugin_abi = XSKFLOWD_PLUGIN_ABI;
 *
 *   int xskflowd_plugin_init(const char *args, void **state);
 *	Called once when the handler is created (at start or on a reload that adds or changes
 *	it), from the control thread. @args is the handler's 'args' key ("" if absent). Store
 *	private state in *@state. Return 0, or a negative errno to refuse (the start or the
 *	reload then fails and says so).
 *
 *   void xskflowd_plugin_burst(void *state, const struct xskflowd_ctx *ctx,
 *				struct xskflowd_pkt *pkts, unsigned int n);
 *	Called from the poller threads with 1..64 packets. A handler used by rules on several
 *	queues is called from several threads at once: guard shared state. Must not block.
 *
 *   void xskflowd_plugin_fini(void *state);
 *	Called once, from the control thread, after the last burst has returned.
 *
 * Optional:
 *
 *   int xskflowd_plugin_stats(void *state, char *buf, size_t len);
 *	Write a JSON object (e.g. {"seen": 12}) into @buf for the daemon's 'stats'; return
 *	its length, or a negative errno.
 */
typedef int (*xskflowd_plugin_init_fn)(const char *args, void **state);
typedef void (*xskflowd_plugin_burst_fn)(void *state, const struct xskflowd_ctx *ctx,
					 struct xskflowd_pkt *pkts, unsigned int n);
typedef void (*xskflowd_plugin_fini_fn)(void *state);
typedef int (*xskflowd_plugin_stats_fn)(void *state, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* XSKFLOWD_PLUGIN_H */
