// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The reflect handler, a userspace echo responder: swap the Ethernet, IP and port addresses,
 * turn ICMP echo requests into replies, recompute every checksum, send it back. */
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

static __u32 csum_add(__u32 sum, const __u8 *p, __u32 len)
{
	for (; len > 1; len -= 2, p += 2)
		sum += get16(p);
	if (len)
		sum += (__u32)p[0] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static void swap_bytes(__u8 *a, __u8 *b, size_t n)
{
	__u8 t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* Full checksums from scratch: a frame the kernel sent over veth may carry a partial one
 * (CHECKSUM_PARTIAL: only the pseudo-header sum), so patching it would be wrong. */
static int reflect_l4(__u8 *l4, __u32 l4len, __u8 proto, __u32 pseudo, bool v6)
{
	__u32 sum;
	__u16 c;

	switch (proto) {
	case IPPROTO_UDP: {
		__u32 ulen;

		if (l4len < 8)
			return -EPROTONOSUPPORT;
		ulen = get16(l4 + 4);
		if (ulen < 8 || ulen > l4len)
			return -EPROTONOSUPPORT;
		swap_bytes(l4, l4 + 2, 2);
		put16(l4 + 6, 0);
		c = csum_fold(csum_add(pseudo + IPPROTO_UDP + ulen, l4, ulen));
		put16(l4 + 6, c ? c : 0xffff);	/* 0 means "no checksum" */
		return 0;
	}
	case IPPROTO_TCP:
		if (l4len < 20)
			return -EPROTONOSUPPORT;
		swap_bytes(l4, l4 + 2, 2);
		put16(l4 + 16, 0);
		put16(l4 + 16, csum_fold(csum_add(pseudo + IPPROTO_TCP + l4len, l4, l4len)));
		return 0;
	case IPPROTO_ICMP:
		if (v6 || l4len < 8 || l4[0] != 8)	/* echo request */
			return -EPROTONOSUPPORT;
		l4[0] = 0;				/* echo reply */
		put16(l4 + 2, 0);
		put16(l4 + 2, csum_fold(csum_add(0, l4, l4len)));
		return 0;
	case IPPROTO_ICMPV6:
		if (!v6 || l4len < 8 || l4[0] != 128)
			return -EPROTONOSUPPORT;
		l4[0] = 129;
		put16(l4 + 2, 0);
		sum = pseudo + IPPROTO_ICMPV6 + l4len;
		put16(l4 + 2, csum_fold(csum_add(sum, l4, l4len)));
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

static int reflect_ipv4(__u8 *ip, __u32 avail)
{
	__u32 hlen, tot, pseudo;

	if (avail < 20 || ip[0] >> 4 != 4)
		return -EPROTONOSUPPORT;
	hlen = (ip[0] & 0x0f) * 4u;
	tot = get16(ip + 2);
	if (hlen < 20 || tot < hlen || tot > avail)
		return -EPROTONOSUPPORT;
	if (get16(ip + 6) & 0x3fff)		/* a fragment: its L4 checksum is elsewhere */
		return -EPROTONOSUPPORT;
	swap_bytes(ip + 12, ip + 16, 4);
	pseudo = csum_add(0, ip + 12, 8);
	if (reflect_l4(ip + hlen, tot - hlen, ip[9], pseudo, false))
		return -EPROTONOSUPPORT;
	ip[8] = REFLECT_TTL;
	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_add(0, ip, hlen)));
	return 0;
}

static int reflect_ipv6(__u8 *ip6, __u32 avail)
{
	__u32 plen, off = 40, pseudo;
	__u8 next;

	if (avail < 40 || ip6[0] >> 4 != 6)
		return -EPROTONOSUPPORT;
	plen = get16(ip6 + 4);
	if (plen > avail - 40)
		return -EPROTONOSUPPORT;
	next = ip6[6];
	/* Options stay valid both ways; routing and fragment headers would not. */
	while (next == IPPROTO_HOPOPTS || next == IPPROTO_DSTOPTS) {
		__u32 len;

		if (off + 2 > 40 + plen)
			return -EPROTONOSUPPORT;
		len = (ip6[off + 1] + 1u) * 8;
		if (off + len > 40 + plen)
			return -EPROTONOSUPPORT;
		next = ip6[off];
		off += len;
	}
	swap_bytes(ip6 + 8, ip6 + 24, 16);
	pseudo = csum_add(0, ip6 + 8, 32);
	if (reflect_l4(ip6 + off, 40 + plen - off, next, pseudo, true))
		return -EPROTONOSUPPORT;
	ip6[7] = REFLECT_TTL;
	return 0;
}

int reflect_frame(__u8 *f, __u32 len)
{
	__u32 off = ETH_HLEN_;
	__u16 proto;
	int err;

	if (len < ETH_HLEN_)
		return -EPROTONOSUPPORT;
	proto = get16(f + 12);
	for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (len < off + 4)
			return -EPROTONOSUPPORT;
		proto = get16(f + off + 2);
		off += 4;
	}
	if (proto == 0x0800)
		err = reflect_ipv4(f + off, len - off);
	else if (proto == 0x86dd)
		err = reflect_ipv6(f + off, len - off);
	else
		err = -EPROTONOSUPPORT;
	if (err)
		return err;
	swap_bytes(f, f + 6, 6);
	return 0;
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

	(void)ctx;
	for (unsigned int i = 0; i < n; i++) {
		if (reflect_frame(pkts[i].data, pkts[i].len))
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
