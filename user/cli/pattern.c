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


/* Headers are built in aligned locals and copied in: after a 14-byte Ethernet header the
 * IP header sits at a 2-byte aligned address in the frame. */
void pat_build(uint8_t *frame, unsigned int len, const struct flow *f, uint32_t seq)
{
	unsigned int l3len = f->family == AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	uint8_t *l3 = frame + ETH_HLEN, *l4 = l3 + l3len, *pl = l4 + sizeof(struct udphdr);
	unsigned int ulen = len - ETH_HLEN - l3len;
	struct udphdr udp = {
		.source = htons(f->sport),
		.dest = htons(f->dport),
		.len = htons(ulen),
	};
	uint32_t sum, nseq = htonl(seq);
	uint16_t proto;

	memcpy(frame, f->dst_mac, 6);
	memcpy(frame + 6, f->src_mac, 6);
	memcpy(pl, PAT_MAGIC, 4);
	memcpy(pl + 4, &nseq, 4);
	for (unsigned int k = PAT_HDR_LEN; k < ulen - sizeof(udp); k++)
		pl[k] = (uint8_t)(seq + k);

	/* Pseudo-header, then the UDP header and payload. */
	if (f->family == AF_INET6) {
		struct ipv6hdr ip6 = {
			.version = 6,
			.payload_len = htons(ulen),
			.nexthdr = IPPROTO_UDP,
			.hop_limit = 64,
		};

		proto = htons(ETH_P_IPV6);
		memcpy(&ip6.saddr, &f->src, 16);
		memcpy(&ip6.daddr, &f->dst, 16);
		memcpy(l3, &ip6, sizeof(ip6));
		sum = xf_csum_add(0, &ip6.saddr, 32);
	} else {
		struct iphdr ip = {
			.version = 4,
			.ihl = 5,
			.tot_len = htons(len - ETH_HLEN),
			.id = htons((uint16_t)seq),
			.frag_off = htons(0x4000),	/* DF */
			.ttl = 64,
			.protocol = IPPROTO_UDP,
		};

		proto = htons(ETH_P_IP);
		memcpy(&ip.saddr, &f->src, 4);
		memcpy(&ip.daddr, &f->dst, 4);
		ip.check = htons(xf_csum_fold(xf_csum_add(0, &ip, sizeof(ip))));
		memcpy(l3, &ip, sizeof(ip));
		sum = xf_csum_add(0, &ip.saddr, 8);
	}
	memcpy(frame + 12, &proto, 2);
	sum += IPPROTO_UDP + ulen;
	sum = xf_csum_add(sum, &udp, sizeof(udp));
	sum = xf_csum_add(sum, pl, ulen - sizeof(udp));
	udp.check = htons(xf_csum_fold(sum));
	if (!udp.check)
		udp.check = 0xffff;
	memcpy(l4, &udp, sizeof(udp));
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
		struct iphdr ip;

		if (len < off + sizeof(ip))
			return NULL;
		memcpy(&ip, p + off, sizeof(ip));
		if (ip.version != 4 || ip.protocol != IPPROTO_UDP || ntohs(ip.tot_len) > len - off)
			return NULL;
		off += ip.ihl * 4u;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (len < off + sizeof(ip6))
			return NULL;
		memcpy(&ip6, p + off, sizeof(ip6));
		if (ip6.nexthdr != IPPROTO_UDP)
			return NULL;
		off += sizeof(ip6);
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
