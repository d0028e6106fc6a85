// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Userspace twin of the steering program's classifier: the parsing of bpf/xf_parse.h and
 * the prio/specificity/index order of bpf/xskflow.bpf.c over rules compiled by rule.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <xskflow/classify.h>
#include "xf_internal.h"

#define ETH_HLEN_	14
#define VLAN_HLEN_	4
#define MAX_VLANS_	2	/* XF_MAX_VLANS */
#define MAX_EXT_HDRS_	8	/* XF_MAX_EXT_HDRS */
#define ETH_P_IP_	0x0800
#define ETH_P_IPV6_	0x86DD
#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88A8

/* Bounds are checked the way the program checks them: against the frame end, and where
 * the program also checks it, against what the IP header says is left ('avail'). */
struct cursor {
	const __u8 *pkt;
	size_t len;
};

static bool have(const struct cursor *c, size_t off, size_t n)
{
	return off <= c->len && n <= c->len - off;
}

static __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static int parse_l4(const struct cursor *c, size_t off, __u32 avail, __u8 proto,
		    struct xf_flow *f)
{
	const __u8 *p = c->pkt + off;

	f->l4 = proto;
	if (proto == IPPROTO_UDP) {
		if (!have(c, off, 8) || avail < 8)
			return -EBADMSG;
	} else if (proto == IPPROTO_TCP) {
		if (!have(c, off, 20) || avail < 20 || (p[12] >> 4) < 5)
			return -EBADMSG;
	} else {
		return 0;
	}
	f->sport = be16(p);
	f->dport = be16(p + 2);
	f->has_ports = true;
	return 0;
}

static int parse_ipv4(const struct cursor *c, size_t off, struct xf_flow *f)
{
	const __u8 *ip = c->pkt + off;
	__u32 hlen, tot;

	if (!have(c, off, 20) || (ip[0] >> 4) != 4 || (ip[0] & 0x0f) < 5)
		return -EBADMSG;
	hlen = (ip[0] & 0x0f) * 4u;
	tot = be16(ip + 2);
	if (tot < hlen || tot > c->len - off)
		return -EBADMSG;
	f->l3 = 4;
	memcpy(f->src, ip + 12, 4);
	memcpy(f->dst, ip + 16, 4);
	/* A later fragment keeps its protocol but has no ports. */
	if (be16(ip + 6) & 0x1fff) {
		f->l4 = ip[9];
		return 0;
	}
	return parse_l4(c, off + hlen, tot - hlen, ip[9], f);
}

static int parse_ipv6(const struct cursor *c, size_t off, struct xf_flow *f)
{
	const __u8 *ip6 = c->pkt + off;
	__u32 avail, len;
	__u8 nexthdr;

	if (!have(c, off, 40) || (ip6[0] >> 4) != 6)
		return -EBADMSG;
	avail = be16(ip6 + 4);
	if (avail > c->len - off - 40)
		return -EBADMSG;
	f->l3 = 6;
	memcpy(f->src, ip6 + 8, 16);
	memcpy(f->dst, ip6 + 24, 16);
	nexthdr = ip6[6];
	off += 40;

	/* As many passes as the program makes: one per extension header, plus the pass that
	 * hands over to L4. */
	for (int i = 0; i <= MAX_EXT_HDRS_; i++) {
		const __u8 *eh = c->pkt + off;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (!have(c, off, 2))
				return -EBADMSG;
			len = (eh[1] + 1u) * 8;
			break;
		case IPPROTO_AH:
			if (!have(c, off, 2))
				return -EBADMSG;
			len = (eh[1] + 2u) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (!have(c, off, 8) || avail < 8)
				return -EBADMSG;
			if (be16(eh + 2) & 0xfff8) {
				f->l4 = eh[0];
				return 0;
			}
			nexthdr = eh[0];
			off += 8;
			avail -= 8;
			continue;
		default:
			return parse_l4(c, off, avail, nexthdr, f);
		}
		if (len > avail)
			return -EBADMSG;
		nexthdr = eh[0];
		off += len;
		avail -= len;
	}
	return -EBADMSG;
}

int xf_flow__parse(const void *pkt, size_t len, __u32 queue, struct xf_flow *f)
{
	struct cursor c = { .pkt = pkt, .len = len };
	size_t off = ETH_HLEN_;
	__u16 proto;

	memset(f, 0, sizeof(*f));
	f->queue = queue;
	if (!pkt || len < ETH_HLEN_)
		return -EBADMSG;
	proto = be16(c.pkt + 12);
	for (int i = 0; i < MAX_VLANS_; i++) {
		if (proto != ETH_P_8021Q_ && proto != ETH_P_8021AD_)
			break;
		if (!have(&c, off, VLAN_HLEN_))
			return -EBADMSG;
		if (!f->has_vlan) {
			f->vlan = be16(c.pkt + off) & 0x0fff;
			f->has_vlan = true;
		}
		proto = be16(c.pkt + off + 2);
		off += VLAN_HLEN_;
	}
	if (proto == ETH_P_IP_)
		return parse_ipv4(&c, off, f);
	if (proto == ETH_P_IPV6_)
		return parse_ipv6(&c, off, f);
	return 0;
}

/* The first @plen bits of @a and @b agree (the program masks both sides). */
static bool prefix_eq(const __u8 *a, const __u8 *b, unsigned int plen)
{
	unsigned int bytes, bits;

	if (plen > 128)
		plen = 128;
	bytes = plen / 8;
	bits = plen % 8;
	if (memcmp(a, b, bytes))
		return false;
	if (bits) {
		__u8 m = (__u8)(0xff << (8 - bits));

		return !((a[bytes] ^ b[bytes]) & m);
	}
	return true;
}

bool xf_rule__matches(const struct xf_rule *r, const struct xf_flow *f)
{
	__u32 fl = r->fields;

	if ((fl & XF_RF_QUEUE) && f->queue != r->queue)
		return false;
	if ((fl & XF_RF_VLAN) && (!f->has_vlan || f->vlan != (r->vlan & 0x0fff)))
		return false;
	if ((fl & XF_RF_L3) && f->l3 != r->l3)
		return false;
	if ((fl & XF_RF_L4) && f->l4 != r->l4)
		return false;
	if ((fl & XF_RF_SRC) && !prefix_eq(f->src, r->src, r->src_len))
		return false;
	if ((fl & XF_RF_DST) && !prefix_eq(f->dst, r->dst, r->dst_len))
		return false;
	if ((fl & (XF_RF_SPORT | XF_RF_DPORT)) && !f->has_ports)
		return false;
	if ((fl & XF_RF_SPORT) && (f->sport < r->sport_lo || f->sport > r->sport_hi))
		return false;
	if ((fl & XF_RF_DPORT) && (f->dport < r->dport_lo || f->dport > r->dport_hi))
		return false;
	return true;
}

/* xf_rule__specificity() is in rule.c, next to the compiler that stores it. */

int xf_rules__classify(const struct xf_rule *rules, size_t n, const struct xf_flow *f)
{
	__u32 best_spec = 0;
	int best = -ENOENT;

	if (!rules)
		return -ENOENT;
	/* Lower prio wins, then higher specificity, then the lower index: a strict order, so
	 * the program's "best of the hash hits" is the best of the matching rules. */
	for (size_t i = 0; i < n; i++) {
		const struct xf_rule *r = &rules[i];
		__u32 spec;

		if (!xf_rule__matches(r, f))
			continue;
		if (best >= 0 && r->prio > rules[best].prio)
			continue;
		spec = xf_rule__specificity(r);
		if (best >= 0 && r->prio == rules[best].prio && spec <= best_spec)
			continue;
		best = (int)i;
		best_spec = spec;
	}
	return best;
}

int xf_rules__classify_packet(const struct xf_rule *rules, size_t n, const void *pkt,
			      size_t len, __u32 queue)
{
	struct xf_flow f;
	int err = xf_flow__parse(pkt, len, queue, &f);

	if (err)
		return err;
	return xf_rules__classify(rules, n, &f);
}
