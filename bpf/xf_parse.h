/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Header parsing for the steering program: Ethernet, up to two VLAN tags, IPv4, IPv6 with
 * extension headers, TCP, UDP. Anything truncated or malformed is reported, never guessed. */
#ifndef XF_PARSE_H
#define XF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xf_abi.h"

#define XF_MAX_VLANS		2
#define XF_MAX_EXT_HDRS		8

#ifndef ETH_P_8021Q
#define ETH_P_8021Q		0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD		0x88A8
#endif

enum xf_parse_res {
	XF_PARSE_OK = 0,
	XF_PARSE_MALFORMED = -1,
};

struct xf_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct xf_ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct xf_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

/* 'end' is the end of the first buffer (the verifier only trusts data_end; with
 * multi-buffer the rest of the packet is in fragments the headers never reach into);
 * 'avail' is what the IP header says is left, which may be shorter (Ethernet padding).
 * Both must hold. */
static __always_inline int xf_parse_l4(void *p, void *end, __u32 avail, __u8 proto,
				       struct xf_key *k)
{
	k->l4 = proto;
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = p;

		if ((void *)(udp + 1) > end || avail < sizeof(*udp))
			return XF_PARSE_MALFORMED;
		k->sport = bpf_ntohs(udp->source);
		k->dport = bpf_ntohs(udp->dest);
		k->flags |= XF_KF_PORTS;
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = p;

		if ((void *)(tcp + 1) > end || avail < sizeof(*tcp) || tcp->doff < 5)
			return XF_PARSE_MALFORMED;
		k->sport = bpf_ntohs(tcp->source);
		k->dport = bpf_ntohs(tcp->dest);
		k->flags |= XF_KF_PORTS;
	}
	return XF_PARSE_OK;
}

/* @left: bytes of the whole packet from @p on, fragments included. */
static __always_inline int xf_parse_ipv4(void *p, void *end, __u32 left, struct xf_key *k)
{
	struct iphdr *ip = p;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
		return XF_PARSE_MALFORMED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen || tot > left)
		return XF_PARSE_MALFORMED;
	k->l3 = XF_L3_IPV4;
	__builtin_memcpy(k->src, &ip->saddr, 4);
	__builtin_memcpy(k->dst, &ip->daddr, 4);
	/* A later fragment carries no L4 header: it keeps its protocol but has no ports. */
	if (ip->frag_off & bpf_htons(0x1fff)) {
		k->l4 = ip->protocol;
		return XF_PARSE_OK;
	}
	return xf_parse_l4(p + hlen, end, tot - hlen, ip->protocol, k);
}

static __always_inline int xf_parse_ipv6(void *p, void *end, __u32 left, struct xf_key *k)
{
	struct ipv6hdr *ip6 = p;
	__u32 avail, len;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return XF_PARSE_MALFORMED;
	avail = bpf_ntohs(ip6->payload_len);
	if (avail > left - sizeof(*ip6))
		return XF_PARSE_MALFORMED;
	k->l3 = XF_L3_IPV6;
	__builtin_memcpy(k->src, &ip6->saddr, 16);
	__builtin_memcpy(k->dst, &ip6->daddr, 16);
	nexthdr = ip6->nexthdr;
	p = ip6 + 1;

	/* One pass per extension header, plus the pass that hands over to L4. */
#pragma unroll
	for (i = 0; i <= XF_MAX_EXT_HDRS; i++) {
		struct xf_ext_hdr *eh = p;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(eh + 1) > end)
				return XF_PARSE_MALFORMED;
			len = (eh->hdrlen + 1) * 8;
			goto skip;
		case IPPROTO_AH:
			if ((void *)(eh + 1) > end)
				return XF_PARSE_MALFORMED;
			len = (eh->hdrlen + 2) * 4;
			goto skip;
		case IPPROTO_FRAGMENT: {
			struct xf_frag_hdr *fh = p;

			if ((void *)(fh + 1) > end || avail < sizeof(*fh))
				return XF_PARSE_MALFORMED;
			if (fh->frag_off & bpf_htons(0xfff8)) {
				k->l4 = fh->nexthdr;
				return XF_PARSE_OK;
			}
			nexthdr = fh->nexthdr;
			p = fh + 1;
			avail -= sizeof(*fh);
			continue;
		}
		default:
			return xf_parse_l4(p, end, avail, nexthdr, k);
		}
skip:
		if (len > avail)
			return XF_PARSE_MALFORMED;
		nexthdr = eh->nexthdr;
		p += len;
		avail -= len;
	}
	/* More extension headers than we follow: do not guess. */
	return XF_PARSE_MALFORMED;
}

/* Fill *k from the packet. Returns XF_PARSE_OK or XF_PARSE_MALFORMED. Non-IP traffic is
 * OK with k->l3 == 0. */
static __always_inline int xf_parse(struct xdp_md *ctx, struct xf_key *k)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *p = eth + 1;
	__u32 left;
	__u16 proto;
	int i;

	if (p > end)
		return XF_PARSE_MALFORMED;
	proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < XF_MAX_VLANS; i++) {
		struct xf_vlan_hdr *vh = p;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > end)
			return XF_PARSE_MALFORMED;
		if (!(k->flags & XF_KF_VLAN)) {
			k->vlan = bpf_ntohs(vh->tci) & 0x0fff;
			k->flags |= XF_KF_VLAN;
		}
		proto = bpf_ntohs(vh->proto);
		p = vh + 1;
	}

	/* The whole packet's length, not the first buffer's: a jumbo frame's IP length
	 * reaches into its fragments. */
	left = bpf_xdp_get_buff_len(ctx) - (p - data);
	if (proto == ETH_P_IP)
		return xf_parse_ipv4(p, end, left, k);
	if (proto == ETH_P_IPV6)
		return xf_parse_ipv6(p, end, left, k);
	return XF_PARSE_OK;
}

#endif /* XF_PARSE_H */
