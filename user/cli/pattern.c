// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The test pattern: building sequenced UDP frames with valid checksums, and checking
 * received ones byte by byte. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include "cli.h"

#define VLAN_HLEN 4

unsigned int pat_min_frame(int family)
{
	unsigned int l3 = family == AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	unsigned int len = ETH_HLEN + l3 + sizeof(struct udphdr) + PAT_HDR_LEN;

	return len < ETH_ZLEN ? ETH_ZLEN : len;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void pat_build(uint8_t *frame, unsigned int len, const struct flow *f, uint32_t seq)
{
	struct ethhdr *eth = (struct ethhdr *)frame;
	unsigned int l3len = f->family == AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	struct udphdr *udp = (struct udphdr *)(frame + ETH_HLEN + l3len);
	uint8_t *pl = (uint8_t *)(udp + 1);
	unsigned int ulen = len - ETH_HLEN - l3len;
	uint32_t sum, nseq = htonl(seq);

	memcpy(eth->h_dest, f->dst_mac, 6);
	memcpy(eth->h_source, f->src_mac, 6);
	memcpy(pl, PAT_MAGIC, 4);
	memcpy(pl + 4, &nseq, 4);
	for (unsigned int k = PAT_HDR_LEN; k < ulen - sizeof(*udp); k++)
		pl[k] = (uint8_t)(seq + k);

	udp->source = htons(f->sport);
	udp->dest = htons(f->dport);
	udp->len = htons(ulen);
	udp->check = 0;

	/* Pseudo-header, then the UDP header and payload. */
	if (f->family == AF_INET6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->version = 6;
		ip6->payload_len = htons(ulen);
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, &f->src, 16);
		memcpy(&ip6->daddr, &f->dst, 16);
		sum = csum_add(0, &ip6->saddr, 32);
	} else {
		struct iphdr *ip = (struct iphdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		memset(ip, 0, sizeof(*ip));
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(len - ETH_HLEN);
		ip->id = htons((uint16_t)seq);
		ip->frag_off = htons(0x4000);	/* DF */
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		memcpy(&ip->saddr, &f->src, 4);
		memcpy(&ip->daddr, &f->dst, 4);
		ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip))));
		sum = csum_add(0, &ip->saddr, 8);
	}
	sum += IPPROTO_UDP + ulen;
	sum = csum_add(sum, udp, ulen);
	udp->check = htons(csum_fold(sum));
	if (!udp->check)
		udp->check = 0xffff;
}

/* Locate the UDP payload of an untagged or VLAN-tagged IPv4/IPv6 frame. */
static const uint8_t *udp_payload(const uint8_t *p, unsigned int len, unsigned int *plen)
{
	unsigned int off = ETH_HLEN, ulen;
	uint16_t proto;

	if (len < ETH_HLEN)
		return NULL;
	proto = (uint16_t)(p[12] << 8 | p[13]);
	for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (len < off + VLAN_HLEN)
			return NULL;
		proto = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += VLAN_HLEN;
	}
	if (proto == ETH_P_IP) {
		const struct iphdr *ip = (const void *)(p + off);

		if (len < off + sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_UDP ||
		    ntohs(ip->tot_len) > len - off)
			return NULL;
		off += ip->ihl * 4u;
	} else if (proto == ETH_P_IPV6) {
		const struct ipv6hdr *ip6 = (const void *)(p + off);

		if (len < off + sizeof(*ip6) || ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		off += sizeof(*ip6);
	} else {
		return NULL;
	}
	if (len < off + sizeof(struct udphdr))
		return NULL;
	ulen = (unsigned int)(p[off + 4] << 8 | p[off + 5]);
	if (ulen < sizeof(struct udphdr) || ulen > len - off)
		return NULL;
	*plen = ulen - sizeof(struct udphdr);
	return p + off + sizeof(struct udphdr);
}

static void mark_seen(struct verify *v, uint32_t seq)
{
	if (seq >= v->seen_bits) {
		size_t bits = v->seen_bits ? v->seen_bits : 8192;
		uint8_t *n;

		while (bits <= seq)
			bits *= 2;
		n = realloc(v->seen, bits / 8);
		if (!n)
			return;
		memset(n + v->seen_bits / 8, 0, (bits - v->seen_bits) / 8);
		v->seen = n;
		v->seen_bits = bits;
	}
	v->seen[seq / 8] |= 1u << (seq % 8);
}

void verify_packet(struct verify *v, const uint8_t *frame, unsigned int len)
{
	unsigned int plen;
	const uint8_t *pl = udp_payload(frame, len, &plen);
	uint32_t seq;

	if (!pl || plen < PAT_HDR_LEN || memcmp(pl, PAT_MAGIC, 4)) {
		v->bad++;
		return;
	}
	memcpy(&seq, pl + 4, 4);
	seq = ntohl(seq);
	for (unsigned int k = PAT_HDR_LEN; k < plen; k++) {
		if (pl[k] != (uint8_t)(seq + k)) {
			v->bad++;
			return;
		}
	}
	if (v->any && seq == v->expect)
		v->ok++;
	else if (!v->any && seq == 0)
		v->ok++;
	else
		v->out_of_order++;
	if (!v->any || seq > v->max_seq)
		v->max_seq = seq;
	v->any = true;
	v->expect = seq + 1;
	mark_seen(v, seq);
}

void verify_finish(struct verify *v, uint64_t expected_total)
{
	uint64_t total = v->any ? (uint64_t)v->max_seq + 1 : 0, seen = 0;

	if (expected_total > total)
		total = expected_total;
	for (uint64_t s = 0; s < total && s < v->seen_bits; s++)
		seen += (v->seen[s / 8] >> (s % 8)) & 1;
	v->missing = total - seen;
}

void verify_free(struct verify *v)
{
	free(v->seen);
	v->seen = NULL;
}
