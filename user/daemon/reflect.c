// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The reflect handler, a userspace echo responder: swap the Ethernet, IP and port addresses,
 * turn ICMP echo requests into replies, recompute every checksum (over every segment of a
 * multi-buffer chain), send it back. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "xskflowd.h"

#define ETH_HLEN_	14
#define REFLECT_TTL	64

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}


/* The sum of @len bytes from offset @off of a packet in @n segments; a 16-bit word may
 * straddle two segments. */
static __u32 csum_chain(__u32 sum, const struct xskflowd_seg *segs, unsigned int n, __u32 off,
			__u32 len)
{
	bool odd = false;

	for (unsigned int i = 0; i < n && len; i++) {
		const __u8 *p = segs[i].data;
		__u32 l = segs[i].len;

		if (off >= l) {
			off -= l;
			continue;
		}
		p += off;
		l -= off;
		off = 0;
		if (l > len)
			l = len;
		len -= l;
		if (odd && l) {
			sum += p[0];
			p++;
			l--;
			odd = false;
		}
		sum = xf_csum_add(sum, p, l & ~1u);
		if (l & 1) {
			sum += (__u32)p[l - 1] << 8;
			odd = true;
		}
	}
	return sum;
}


static void swap_bytes(__u8 *a, __u8 *b, size_t n)
{
	__u8 t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* A packet: its segments (one unless it came as a chain) and its length. Headers are read
 * and rewritten in the first segment only; checksums cover all of them. */
struct view {
	const struct xskflowd_seg *segs;
	unsigned int n;
	__u32 len;
	__u8 *head;		/* segs[0].data */
	__u32 hlen;		/* segs[0].len */
};

/* Full checksums from scratch: a frame the kernel sent over veth may carry a partial one
 * (CHECKSUM_PARTIAL: only the pseudo-header sum), so patching it would be wrong. @off:
 * where the L4 header starts; @l4len: its bytes up to the end of the IP payload. */
static int reflect_l4(const struct view *v, __u32 off, __u32 l4len, __u8 proto, __u32 pseudo,
		      bool v6)
{
	__u8 *l4 = v->head + off;
	__u32 sum;

	if (off + 8 > v->hlen)
		return -EPROTONOSUPPORT;	/* the L4 header is not in the first segment */
	switch (proto) {
	case IPPROTO_UDP: {
		__u32 ulen;
		__u16 c;

		if (l4len < 8)
			return -EPROTONOSUPPORT;
		ulen = get16(l4 + 4);
		if (ulen < 8 || ulen > l4len)
			return -EPROTONOSUPPORT;
		swap_bytes(l4, l4 + 2, 2);
		put16(l4 + 6, 0);
		c = xf_csum_fold(csum_chain(pseudo + IPPROTO_UDP + ulen, v->segs, v->n, off, ulen));
		put16(l4 + 6, c ? c : 0xffff);	/* 0 means "no checksum" */
		return 0;
	}
	case IPPROTO_TCP:
		if (l4len < 20 || off + 20 > v->hlen)
			return -EPROTONOSUPPORT;
		swap_bytes(l4, l4 + 2, 2);
		put16(l4 + 16, 0);
		sum = csum_chain(pseudo + IPPROTO_TCP + l4len, v->segs, v->n, off, l4len);
		put16(l4 + 16, xf_csum_fold(sum));
		return 0;
	case IPPROTO_ICMP:
		if (v6 || l4len < 8 || l4[0] != 8)	/* echo request */
			return -EPROTONOSUPPORT;
		l4[0] = 0;				/* echo reply */
		put16(l4 + 2, 0);
		put16(l4 + 2, xf_csum_fold(csum_chain(0, v->segs, v->n, off, l4len)));
		return 0;
	case IPPROTO_ICMPV6:
		if (!v6 || l4len < 8 || l4[0] != 128)
			return -EPROTONOSUPPORT;
		l4[0] = 129;
		put16(l4 + 2, 0);
		sum = csum_chain(pseudo + IPPROTO_ICMPV6 + l4len, v->segs, v->n, off, l4len);
		put16(l4 + 2, xf_csum_fold(sum));
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

static int reflect_ipv4(const struct view *v, __u32 off)
{
	__u8 *ip = v->head + off;
	__u32 hlen, tot, pseudo;

	if (off + 20 > v->hlen || ip[0] >> 4 != 4)
		return -EPROTONOSUPPORT;
	hlen = (ip[0] & 0x0f) * 4u;
	tot = get16(ip + 2);
	if (hlen < 20 || off + hlen > v->hlen || tot < hlen || tot > v->len - off)
		return -EPROTONOSUPPORT;
	if (get16(ip + 6) & 0x3fff)		/* a fragment: its L4 checksum is elsewhere */
		return -EPROTONOSUPPORT;
	swap_bytes(ip + 12, ip + 16, 4);
	pseudo = xf_csum_add(0, ip + 12, 8);
	if (reflect_l4(v, off + hlen, tot - hlen, ip[9], pseudo, false)) {
		swap_bytes(ip + 12, ip + 16, 4);
		return -EPROTONOSUPPORT;
	}
	ip[8] = REFLECT_TTL;
	put16(ip + 10, 0);
	put16(ip + 10, xf_csum_fold(xf_csum_add(0, ip, hlen)));
	return 0;
}

static int reflect_ipv6(const struct view *v, __u32 ipoff)
{
	__u8 *ip6 = v->head + ipoff;
	__u32 plen, off = 40, pseudo;
	__u8 next;

	if (ipoff + 40 > v->hlen || ip6[0] >> 4 != 6)
		return -EPROTONOSUPPORT;
	plen = get16(ip6 + 4);
	if (plen > v->len - ipoff - 40)
		return -EPROTONOSUPPORT;
	next = ip6[6];
	/* Options stay valid both ways; routing and fragment headers would not. */
	while (next == IPPROTO_HOPOPTS || next == IPPROTO_DSTOPTS) {
		__u32 len;

		if (off + 2 > 40 + plen || ipoff + off + 2 > v->hlen)
			return -EPROTONOSUPPORT;
		len = (ip6[off + 1] + 1u) * 8;
		if (off + len > 40 + plen)
			return -EPROTONOSUPPORT;
		next = ip6[off];
		off += len;
	}
	swap_bytes(ip6 + 8, ip6 + 24, 16);
	pseudo = xf_csum_add(0, ip6 + 8, 32);
	if (reflect_l4(v, ipoff + off, 40 + plen - off, next, pseudo, true)) {
		swap_bytes(ip6 + 8, ip6 + 24, 16);
		return -EPROTONOSUPPORT;
	}
	ip6[7] = REFLECT_TTL;
	return 0;
}

/* Rewrite the packet of @n segments (@len bytes in all) into its reply. */
static int reflect_chain(const struct xskflowd_seg *segs, unsigned int n, __u32 len)
{
	struct view v = {
		.segs = segs, .n = n, .len = len, .head = segs[0].data, .hlen = segs[0].len,
	};
	__u8 *f = v.head;
	__u32 off = ETH_HLEN_;
	__u16 proto;
	int err;

	if (v.hlen < ETH_HLEN_)
		return -EPROTONOSUPPORT;
	proto = get16(f + 12);
	for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (v.hlen < off + 4)
			return -EPROTONOSUPPORT;
		proto = get16(f + off + 2);
		off += 4;
	}
	if (proto == 0x0800)
		err = reflect_ipv4(&v, off);
	else if (proto == 0x86dd)
		err = reflect_ipv6(&v, off);
	else
		err = -EPROTONOSUPPORT;
	if (err)
		return err;
	swap_bytes(f, f + 6, 6);
	return 0;
}

int reflect_frame(__u8 *f, __u32 len)
{
	struct xskflowd_seg seg = { .data = f, .len = len };

	return reflect_chain(&seg, 1, len);
}

struct reflect_priv {
	atomic_ullong unsupported;
};

static int reflect_open(struct handler *h, char *err, size_t len)
{
	h->priv = calloc(1, sizeof(struct reflect_priv));
	if (!h->priv) {
		snprintf(err, len, "handler '%s': out of memory", h->conf.name);
		return -ENOMEM;
	}
	return 0;
}

static void reflect_burst(struct handler *h, const struct xskflowd_ctx *ctx,
			  struct xskflowd_pkt *pkts, unsigned int n)
{
	struct reflect_priv *rp = h->priv;
	unsigned int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct xskflowd_chain *c = ctx->chains ? &ctx->chains[i] : NULL;
		int err = c ? reflect_chain(c->segs, c->nsegs, c->len) :
			      reflect_frame(pkts[i].data, pkts[i].len);

		if (err)
			bad++;
		else
			pkts[i].verdict = XSKFLOWD_TX;
	}
	if (bad)
		atomic_fetch_add_explicit(&rp->unsupported, bad, memory_order_relaxed);
}

static void reflect_close(struct handler *h)
{
	free(h->priv);
}

static void reflect_stats(struct handler *h, json_object *o)
{
	struct reflect_priv *rp = h->priv;

	json_object_object_add(o, "unsupported",
			       json_object_new_uint64(atomic_load(&rp->unsupported)));
}

const struct handler_ops reflect_ops = {
	.type = HT_REFLECT,
	.open = reflect_open,
	.burst = reflect_burst,
	.close = reflect_close,
	.stats = reflect_stats,
};
