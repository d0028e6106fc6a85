// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF_PROG_RUN tests of the steering program: crafted packets against rule sets, checking
 * the verdict, the global counters and which rule counted the hit, one table row per case. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include <xskflow/steer.h>
#include "rule_internal.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define PKT_MAX		9216	/* jumbo frames: 9000 bytes and a little damage */
#define MAX_RULES	8	/* per table row */
#define MAX_VLANS	3
#define MAX_EXT		10
#define MANY_RULES	1000	/* test_many_rules */
#define LOAD_SECONDS	2	/* test_replace_under_load */

#include "steer_prog.h"	/* struct pkt, the program fixture, run_packet() */

#define IP4_DF		0x4000
#define IP4_MF		0x2000
#define IP6_MF		0x0001
#define IP4_OPT_NOP	1

/* IPv6 extension headers, short names for the table. */
enum {
	E_HOP = IPPROTO_HOPOPTS,
	E_RT = IPPROTO_ROUTING,
	E_DST = IPPROTO_DSTOPTS,
	E_AH = IPPROTO_AH,
	E_FRAG = IPPROTO_FRAGMENT,
};

struct vlan_tag {
	__u16 tpid;
	__u16 vid;
	__u8 pcp;
};

/* What to build. Zero means "the normal value" for every field, so a row states only what
 * makes its packet special. */
struct pkt_spec {
	__u16 ethertype;		/* non-IP frames (l3 == 0) */
	struct vlan_tag vlan[MAX_VLANS];
	__u8 nvlan;
	__u8 l3;			/* 4, 6, or 0: no IP header */
	__u8 version;			/* IP version field, if not l3 */
	const char *src, *dst;		/* default 10.0.0.1 -> 10.0.0.2, 2001:db8::1 -> ::2 */
	__u8 ip4_opts;			/* bytes of IPv4 options (NOPs), a multiple of 4 */
	__u8 ihl;			/* IPv4 ihl, if not the real one */
	__u16 frag;			/* fragment offset in 8-byte units (IPv4, or IPv6 E_FRAG) */
	bool more_frags;
	bool dont_frag;			/* IPv4 DF */
	__u8 ext[MAX_EXT];		/* IPv6 extension headers, outermost first */
	__u8 n_ext;
	__u8 l4;			/* IP protocol */
	__u16 sport, dport;
	__u8 doff;			/* TCP data offset, if not 5 */
	__u16 payload;			/* bytes after the L4 header (after L2 for non-IP) */
	/* Damage, applied in this order once the packet is built. */
	struct {
		bool set;
		enum layer at;
		__u16 plus;
	} cut;				/* keep only the first off[at] + plus bytes */
	int len_delta;			/* added to tot_len / payload_len after they are fitted */
	bool ext_overrun;		/* first extension header claims far more than is there */
	__u16 pad;			/* trailing bytes not covered by the IP length */
};

struct expect {
	__u32 verdict;
	enum xf_stat stat;	/* the one stat besides XF_STAT_PACKETS that goes up by one */
	int hit;		/* index of the rule whose counters go up, or -1 */
};

struct steer_case {
	const char *name;
	const char *rules[MAX_RULES];	/* rule language, NULL-terminated by omission */
	struct pkt_spec pkt;
	struct expect want;
};

#define UDP4(sp, dp)	.l3 = 4, .l4 = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define TCP4(sp, dp)	.l3 = 4, .l4 = IPPROTO_TCP, .sport = (sp), .dport = (dp)
#define UDP6(sp, dp)	.l3 = 6, .l4 = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define TCP6(sp, dp)	.l3 = 6, .l4 = IPPROTO_TCP, .sport = (sp), .dport = (dp)
#define ICMP4		.l3 = 4, .l4 = IPPROTO_ICMP
#define ICMP6		.l3 = 6, .l4 = IPPROTO_ICMPV6
#define GRE4		.l3 = 4, .l4 = IPPROTO_GRE
#define ARP		.ethertype = ETH_P_ARP, .payload = 28
#define TAGS(...)	.vlan = { __VA_ARGS__ },					\
			.nvlan = ARRAY_SIZE(((struct vlan_tag[]){ __VA_ARGS__ }))
#define Q(vid)		{ ETH_P_8021Q, (vid), 0 }
#define AD(vid)		{ ETH_P_8021AD, (vid), 0 }
#define EXT(...)	.ext = { __VA_ARGS__ }, .n_ext = sizeof((__u8[]){ __VA_ARGS__ })
#define CUT(layer, n)	.cut = { true, (layer), (n) }

#define WANT(v, st, idx) { (v), (st), (idx) }
#define NOSOCK(i)	WANT(XDP_PASS, XF_STAT_XSK_NOSOCK, i)
#define PASSED(i)	WANT(XDP_PASS, XF_STAT_PASS, i)
#define DROPPED(i)	WANT(XDP_DROP, XF_STAT_DROP, i)
#define UNMATCHED	WANT(XDP_PASS, XF_STAT_UNMATCHED, -1)
#define MALFORMED	WANT(XDP_PASS, XF_STAT_MALFORMED, -1)

/* Rules that would catch any well-formed packet: a malformed one must get past all of them. */
#define CATCH_ALL	"queue 0 drop", "udp drop", "tcp drop", "ip drop", "ip6 drop"

static const struct steer_case cases[] = {
	/* Actions, L4 protocols and address families. */
	{ "ip4 udp dport -> xsk, no socket on the queue: pass",
	  { "udp dport 4242" }, { UDP4(1234, 4242) }, NOSOCK(0) },
	{ "ip4 tcp dport -> pass",
	  { "tcp dport 80 pass" }, { TCP4(40000, 80) }, PASSED(0) },
	{ "ip4 udp dport -> drop",
	  { "udp dport 53 drop" }, { UDP4(5353, 53) }, DROPPED(0) },
	{ "ip4 udp sport -> drop",
	  { "udp sport 53 drop" }, { UDP4(53, 40000) }, DROPPED(0) },
	{ "ip4 wrong dport (sport equal to it): unmatched",
	  { "udp dport 53 drop" }, { UDP4(53, 54) }, UNMATCHED },
	{ "ip4 tcp rule, udp packet: unmatched",
	  { "tcp dport 4242 drop" }, { UDP4(1234, 4242) }, UNMATCHED },
	{ "ip4 udp rule, tcp packet: unmatched",
	  { "udp dport 4242 drop" }, { TCP4(1234, 4242) }, UNMATCHED },
	{ "dport without a protocol matches tcp",
	  { "dport 53 drop" }, { TCP4(1234, 53) }, DROPPED(0) },
	{ "dport without a protocol matches ip6 udp",
	  { "dport 53 drop" }, { UDP6(1234, 53) }, DROPPED(0) },
	{ "dport without a protocol does not match icmp",
	  { "dport 0-65535 drop" }, { ICMP4 }, UNMATCHED },
	{ "ip4 'ip' rule matches",
	  { "ip udp dport 4242 drop" }, { UDP4(1234, 4242) }, DROPPED(0) },
	{ "ip4 'ip6' rule does not match",
	  { "ip6 udp dport 4242 drop" }, { UDP4(1234, 4242) }, UNMATCHED },
	{ "ip4 middle rule of three hit, the others not counted",
	  { "tcp dport 4242 drop", "udp dport 4242 pass", "udp dport 4243 drop" },
	  { UDP4(1234, 4242) }, PASSED(1) },
	{ "no rules: unmatched",
	  { NULL }, { UDP4(1234, 4242) }, UNMATCHED },
	{ "ip6 udp dport -> xsk, no socket on the queue: pass",
	  { "ip6 udp dport 4242" }, { UDP6(1234, 4242) }, NOSOCK(0) },
	{ "ip6 tcp dport -> pass",
	  { "tcp dport 443 pass" }, { TCP6(40000, 443) }, PASSED(0) },
	{ "ip6 udp dport -> drop",
	  { "udp dport 53 drop" }, { UDP6(5353, 53) }, DROPPED(0) },
	{ "ip6 wrong dport (sport equal to it): unmatched",
	  { "ip6 udp dport 53 drop" }, { UDP6(53, 54) }, UNMATCHED },
	{ "ip6 tcp rule, udp packet: unmatched",
	  { "ip6 tcp dport 4242 drop" }, { UDP6(1234, 4242) }, UNMATCHED },
	{ "ip6 udp rule, tcp packet: unmatched",
	  { "ip6 udp dport 4242 drop" }, { TCP6(1234, 4242) }, UNMATCHED },
	{ "ip6 'ip' rule does not match",
	  { "ip udp dport 4242 drop" }, { UDP6(1234, 4242) }, UNMATCHED },
	{ "ip6 dst whose first bytes equal an ipv4 /32 rule: unmatched",
	  { "dst 32.1.13.184 drop" }, { UDP6(1, 2), .dst = "2001:db8::" }, UNMATCHED },

	/* Queue (BPF_PROG_RUN delivers on queue 0). */
	{ "queue 0 matches",
	  { "queue 0 udp drop" }, { UDP4(1234, 4242) }, DROPPED(0) },
	{ "queue 1 does not match",
	  { "queue 1 udp drop" }, { UDP4(1234, 4242) }, UNMATCHED },

	/* VLAN: the outer VID is the one matched; two tags are followed, a third is not. */
	{ "802.1Q: ipv4 parsed under the tag",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), TAGS(Q(10)) }, DROPPED(0) },
	{ "802.1Q: vlan 10 matches VID 10",
	  { "vlan 10 udp dport 4242 drop" }, { UDP4(1234, 4242), TAGS(Q(10)) }, DROPPED(0) },
	{ "802.1Q: vlan 11 does not match VID 10",
	  { "vlan 11 drop" }, { UDP4(1234, 4242), TAGS(Q(10)) }, UNMATCHED },
	{ "802.1Q: PCP bits are not part of the VID",
	  { "vlan 10 drop" }, { UDP4(1234, 4242), TAGS({ ETH_P_8021Q, 10, 5 }) }, DROPPED(0) },
	{ "vlan 0 does not match an untagged frame",
	  { "vlan 0 drop" }, { UDP4(1234, 4242) }, UNMATCHED },
	{ "vlan 0 matches a priority tag",
	  { "vlan 0 drop" }, { UDP4(1234, 4242), TAGS({ ETH_P_8021Q, 0, 3 }) }, DROPPED(0) },
	{ "802.1ad single tag: vlan 7 matches",
	  { "vlan 7 udp dport 4242 drop" }, { UDP4(1234, 4242), TAGS(AD(7)) }, DROPPED(0) },
	{ "QinQ 88a8+8100: ipv6 parsed under two tags",
	  { "ip6 udp dport 4242 drop" }, { UDP6(1234, 4242), TAGS(AD(100), Q(200)) },
	  DROPPED(0) },
	{ "QinQ: the outer VID matches",
	  { "vlan 200 drop", "vlan 100 pass" }, { UDP6(1234, 4242), TAGS(AD(100), Q(200)) },
	  PASSED(1) },
	{ "QinQ: the inner VID does not match",
	  { "vlan 200 drop" }, { UDP4(1234, 4242), TAGS(AD(100), Q(200)) }, UNMATCHED },
	{ "8100+8100: ipv4 parsed under two tags",
	  { "vlan 100 ip udp dport 4242 drop" }, { UDP4(1234, 4242), TAGS(Q(100), Q(200)) },
	  DROPPED(0) },
	{ "three tags: not parsed as IP, l3 rules do not match",
	  { "udp dport 4242 drop", "ip drop" }, { UDP4(1234, 4242), TAGS(AD(100), Q(200), Q(300)) },
	  UNMATCHED },
	{ "three tags: a vlan-only rule still sees the outer VID",
	  { "ip drop", "vlan 100 pass" }, { UDP4(1234, 4242), TAGS(AD(100), Q(200), Q(300)) },
	  PASSED(1) },

	/* IPv6 extension headers. */
	{ "ip6 hop-by-hop",
	  { "ip6 udp dport 4242 drop" }, { UDP6(1234, 4242), EXT(E_HOP) }, DROPPED(0) },
	{ "ip6 routing (24 bytes)",
	  { "ip6 udp dport 4242 drop" }, { UDP6(1234, 4242), EXT(E_RT) }, DROPPED(0) },
	{ "ip6 destination options",
	  { "ip6 udp dport 4242 drop" }, { UDP6(1234, 4242), EXT(E_DST) }, DROPPED(0) },
	{ "ip6 AH (length in 4-byte units)",
	  { "ip6 udp dport 4242 drop" }, { UDP6(1234, 4242), EXT(E_AH) }, DROPPED(0) },
	{ "ip6 chain hop, dst, routing, AH, dst",
	  { "ip6 udp dport 4242 drop" },
	  { UDP6(1234, 4242), EXT(E_HOP, E_DST, E_RT, E_AH, E_DST) }, DROPPED(0) },
	{ "ip6 tcp after routing",
	  { "tcp dport 80 pass" }, { TCP6(40000, 80), EXT(E_RT) }, PASSED(0) },
	{ "ip6 icmp6 after hop-by-hop",
	  { "icmp6 drop" }, { ICMP6, EXT(E_HOP) }, DROPPED(0) },
	{ "ip6 first fragment (offset 0, M set) has ports",
	  { "ip6 udp dport 4242 drop" }, { UDP6(1234, 4242), EXT(E_FRAG), .more_frags = true },
	  DROPPED(0) },
	{ "ip6 atomic fragment (offset 0, no M) has ports",
	  { "ip6 udp dport 4242 drop" }, { UDP6(1234, 4242), EXT(E_FRAG) }, DROPPED(0) },
	{ "ip6 hop-by-hop + first fragment has ports",
	  { "ip6 udp dport 4242 drop" },
	  { UDP6(1234, 4242), EXT(E_HOP, E_FRAG), .more_frags = true }, DROPPED(0) },
	{ "ip6 non-first fragment: port rule does not match",
	  { "ip6 udp dport 4242 drop" },
	  { UDP6(1234, 4242), EXT(E_FRAG), .frag = 185, .more_frags = true }, UNMATCHED },
	{ "ip6 non-first fragment: protocol rule matches",
	  { "ip6 udp dport 4242 drop", "ip6 udp pass" },
	  { UDP6(1234, 4242), EXT(E_FRAG), .frag = 185, .more_frags = true }, PASSED(1) },
	{ "ip6 last fragment after dstopts: protocol rule matches",
	  { "udp dport 4242 drop", "udp pass" },
	  { UDP6(1234, 4242), EXT(E_DST, E_FRAG), .frag = 1 }, PASSED(1) },
	{ "ip6 non-first fragment: full port range does not match",
	  { "udp dport 0-65535 drop" }, { UDP6(1234, 4242), EXT(E_FRAG), .frag = 1 }, UNMATCHED },
	{ "ip6 seven extension headers are followed",
	  { "ip6 udp dport 4242 drop" },
	  { UDP6(1234, 4242), EXT(E_HOP, E_DST, E_RT, E_DST, E_AH, E_DST, E_RT) }, DROPPED(0) },
	{ "ip6 eight extension headers are followed",
	  { "ip6 udp dport 4242 drop" },
	  { UDP6(1234, 4242), EXT(E_HOP, E_DST, E_RT, E_DST, E_AH, E_DST, E_RT, E_DST) },
	  DROPPED(0) },
	{ "ip6 nine extension headers: malformed",
	  { CATCH_ALL },
	  { UDP6(1234, 4242), EXT(E_HOP, E_DST, E_RT, E_DST, E_AH, E_DST, E_RT, E_DST, E_DST) },
	  MALFORMED },

	/* IPv4 fragments and options. */
	{ "ip4 first fragment (offset 0, MF) has ports",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), .more_frags = true }, DROPPED(0) },
	{ "ip4 DF set: not a fragment, has ports",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), .dont_frag = true }, DROPPED(0) },
	{ "ip4 middle fragment: port rule does not match",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), .frag = 100, .more_frags = true },
	  UNMATCHED },
	{ "ip4 last fragment: protocol rule matches",
	  { "udp dport 4242 drop", "ip udp pass" }, { UDP4(1234, 4242), .frag = 100 }, PASSED(1) },
	{ "ip4 options, ihl 6",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), .ip4_opts = 4 }, DROPPED(0) },
	{ "ip4 options, ihl 15",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), .ip4_opts = 40 }, DROPPED(0) },

	/* Ethernet padding past the IP length is not a reason to refuse a packet. */
	{ "ip4 with Ethernet padding",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), .pad = 18 }, DROPPED(0) },
	{ "ip6 tcp with trailing padding",
	  { "tcp dport 4242 drop" }, { TCP6(1234, 4242), .pad = 6 }, DROPPED(0) },

	/* Jumbo frames on a multi-buffer port: BPF_PROG_RUN hands the program what does not
	 * fit in one page as fragments, like veth with MTU 9000. Headers are read from the
	 * first buffer; IP lengths and rule byte counters cover the whole packet. */
	{ "jumbo ip4 udp 9000 bytes -> xsk (no socket): IP length checked against all frags",
	  { "udp dport 4242" }, { UDP4(1234, 4242), .payload = 9000 - 42 }, NOSOCK(0) },
	{ "jumbo ip6 udp 9000 bytes -> xsk (no socket)",
	  { "udp dport 4242" }, { UDP6(1234, 4242), .payload = 9000 - 62 }, NOSOCK(0) },
	{ "jumbo ip4 tcp 9000 bytes -> pass",
	  { "tcp dport 80 pass" }, { TCP4(40000, 80), .payload = 9000 - 54 }, PASSED(0) },
	{ "jumbo ip4 udp -> drop, the rule counts every byte",
	  { "udp dport 53 drop" }, { UDP4(5353, 53), .payload = 9000 - 42 }, DROPPED(0) },
	{ "jumbo ip4 with padding in the last fragment",
	  { "udp dport 4242 drop" }, { UDP4(1234, 4242), .payload = 8000, .pad = 60 }, DROPPED(0) },
	{ "jumbo ip4 tot_len one byte past the last fragment: malformed",
	  { CATCH_ALL }, { UDP4(1234, 4242), .payload = 9000 - 42, .len_delta = 1 }, MALFORMED },
	{ "jumbo ip6 payload_len one byte past the last fragment: malformed",
	  { CATCH_ALL }, { UDP6(1234, 4242), .payload = 9000 - 62, .len_delta = 1 }, MALFORMED },

	/* Non-IP. */
	{ "ARP against a udp rule: unmatched",
	  { "udp dport 53 drop" }, { ARP }, UNMATCHED },
	{ "ARP against ip/ip6 rules: unmatched",
	  { "ip drop", "ip6 drop", "icmp drop" }, { ARP }, UNMATCHED },
	{ "ARP matched by an l3-less queue rule",
	  { "queue 0 pass" }, { ARP }, PASSED(0) },
	{ "ARP in 802.1Q matched by a vlan rule",
	  { "ip drop", "vlan 5 drop" }, { ARP, TAGS(Q(5)) }, DROPPED(1) },

	/* Truncated or malformed at every layer: passed, counted, no rule counter moves. */
	{ "802.1Q tag cut", { CATCH_ALL }, { UDP4(1, 2), TAGS(Q(1)), CUT(AT_VLAN, 2) },
	  MALFORMED },
	{ "QinQ inner tag cut", { CATCH_ALL },
	  { UDP4(1, 2), TAGS(AD(1), Q(2)), CUT(AT_VLAN, 6) }, MALFORMED },
	{ "ip4 ethertype, no header", { CATCH_ALL }, { UDP4(1, 2), CUT(AT_L3, 0) }, MALFORMED },
	{ "ip4 header cut", { CATCH_ALL }, { UDP4(1, 2), CUT(AT_L3, 19) }, MALFORMED },
	{ "ip4 header cut under QinQ", { CATCH_ALL },
	  { UDP4(1, 2), TAGS(AD(1), Q(2)), CUT(AT_L3, 10) }, MALFORMED },
	{ "ip4 version 6 in an ipv4 frame", { CATCH_ALL }, { UDP4(1, 2), .version = 6 },
	  MALFORMED },
	{ "ip4 ihl 4", { CATCH_ALL }, { UDP4(1, 2), .ihl = 4 }, MALFORMED },
	{ "ip4 tot_len one past the frame", { CATCH_ALL }, { UDP4(1, 2), .len_delta = 1 },
	  MALFORMED },
	{ "ip4 tot_len shorter than the header", { CATCH_ALL }, { UDP4(1, 2), .len_delta = -9 },
	  MALFORMED },
	{ "ip4 options cut", { CATCH_ALL }, { UDP4(1, 2), .ip4_opts = 8, CUT(AT_EXT, 4) },
	  MALFORMED },
	{ "ip4 later fragment, tot_len past the frame", { CATCH_ALL },
	  { UDP4(1, 2), .frag = 100, .len_delta = 1 }, MALFORMED },
	{ "ip4 udp header cut", { CATCH_ALL }, { UDP4(1, 2), CUT(AT_L4, 7) }, MALFORMED },
	{ "ip4 udp header past tot_len (padded frame)", { CATCH_ALL },
	  { UDP4(1, 2), .len_delta = -1 }, MALFORMED },
	{ "ip4 tcp header cut", { CATCH_ALL }, { TCP4(1, 2), CUT(AT_L4, 19) }, MALFORMED },
	{ "ip4 tcp header past tot_len (padded frame)", { CATCH_ALL },
	  { TCP4(1, 2), .len_delta = -1 }, MALFORMED },
	{ "ip4 tcp doff 4", { CATCH_ALL }, { TCP4(1, 2), .doff = 4 }, MALFORMED },
	{ "ip6 ethertype, no header", { CATCH_ALL }, { UDP6(1, 2), CUT(AT_L3, 0) }, MALFORMED },
	{ "ip6 header cut", { CATCH_ALL }, { UDP6(1, 2), CUT(AT_L3, 39) }, MALFORMED },
	{ "ip6 version 4 in an ipv6 frame", { CATCH_ALL }, { UDP6(1, 2), .version = 4 },
	  MALFORMED },
	{ "ip6 payload_len one past the frame", { CATCH_ALL }, { UDP6(1, 2), .len_delta = 1 },
	  MALFORMED },
	{ "ip6 udp header cut", { CATCH_ALL }, { UDP6(1, 2), CUT(AT_L4, 7) }, MALFORMED },
	{ "ip6 udp header past payload_len (padded frame)", { CATCH_ALL },
	  { UDP6(1, 2), .len_delta = -1 }, MALFORMED },
	{ "ip6 tcp header cut", { CATCH_ALL }, { TCP6(1, 2), CUT(AT_L4, 10) }, MALFORMED },
	{ "ip6 tcp doff 0", { CATCH_ALL }, { TCP6(1, 2), .doff = 0x10 }, MALFORMED },
	{ "ip6 ext header: one byte of it", { CATCH_ALL },
	  { UDP6(1, 2), EXT(E_HOP), CUT(AT_EXT, 1) }, MALFORMED },
	{ "ip6 ext header: half of it", { CATCH_ALL }, { UDP6(1, 2), EXT(E_DST), CUT(AT_EXT, 4) },
	  MALFORMED },
	{ "ip6 AH cut", { CATCH_ALL }, { UDP6(1, 2), EXT(E_AH), CUT(AT_EXT, 12) }, MALFORMED },
	{ "ip6 second ext header cut", { CATCH_ALL },
	  { UDP6(1, 2), EXT(E_HOP, E_DST), CUT(AT_EXT, 9) }, MALFORMED },
	{ "ip6 fragment header cut", { CATCH_ALL }, { UDP6(1, 2), EXT(E_FRAG), CUT(AT_EXT, 7) },
	  MALFORMED },
	{ "ip6 fragment header past payload_len (padded frame)", { CATCH_ALL },
	  { UDP6(1, 2), EXT(E_FRAG), CUT(AT_EXT, 8), .len_delta = -1, .pad = 8 }, MALFORMED },
	{ "ip6 hop-by-hop length runs past the payload", { CATCH_ALL },
	  { UDP6(1, 2), EXT(E_HOP), .ext_overrun = true }, MALFORMED },
	{ "ip6 AH length runs past the payload", { CATCH_ALL },
	  { UDP6(1, 2), EXT(E_AH), .ext_overrun = true }, MALFORMED },
	{ "ip6 udp after dstopts cut", { CATCH_ALL }, { UDP6(1, 2), EXT(E_DST), CUT(AT_L4, 4) },
	  MALFORMED },
	{ "ip6 udp after dstopts past payload_len (padded frame)", { CATCH_ALL },
	  { UDP6(1, 2), EXT(E_DST), .len_delta = -1 }, MALFORMED },

	/* Priorities: lower prio wins; then the more specific mask; then the lower index. */
	{ "lower prio beats a more specific rule listed first",
	  { "prio 20 udp dport 4242 drop", "prio 10 ip pass" }, { UDP4(1234, 4242) }, PASSED(1) },
	{ "lower prio beats a more specific rule listed second",
	  { "prio 10 ip pass", "prio 20 udp dport 4242 drop" }, { UDP4(1234, 4242) }, PASSED(0) },
	{ "prio 0 beats the default",
	  { "udp dport 4242 drop", "prio 0 queue 0 pass" }, { UDP4(1234, 4242) }, PASSED(1) },
	{ "same prio: more specific wins, listed second",
	  { "udp drop", "udp dport 4242 pass" }, { UDP4(1234, 4242) }, PASSED(1) },
	{ "same prio: more specific wins, listed first",
	  { "udp dport 4242 pass", "udp drop" }, { UDP4(1234, 4242) }, PASSED(0) },
	{ "same prio: the general rule takes the rest",
	  { "udp drop", "udp dport 4242 pass" }, { UDP4(1234, 4243) }, DROPPED(0) },
	{ "explicit prio 100 equals the default: specificity decides",
	  { "prio 100 udp drop", "ip udp pass" }, { UDP4(1234, 4242) }, PASSED(1) },
	{ "same prio, same match: lower index wins (drop first)",
	  { "udp dport 4242 drop", "udp dport 4242 pass" }, { UDP4(1234, 4242) }, DROPPED(0) },
	{ "same prio, same match: lower index wins (pass first)",
	  { "udp dport 4242 pass", "udp dport 4242 drop" }, { UDP4(1234, 4242) }, PASSED(0) },
	{ "same prio, equally specific masks: lower index wins (sport first)",
	  { "udp sport 1234 drop", "udp dport 4242 pass" }, { UDP4(1234, 4242) }, DROPPED(0) },
	{ "same prio, equally specific masks: lower index wins (dport first)",
	  { "udp dport 4242 pass", "udp sport 1234 drop" }, { UDP4(1234, 4242) }, PASSED(0) },

	/* Port ranges: every aligned block of 1000-2000 and both edges. */
	{ "dport 1000-2000: 999", { "udp dport 1000-2000 drop" }, { UDP4(1, 999) }, UNMATCHED },
	{ "dport 1000-2000: 1000", { "udp dport 1000-2000 drop" }, { UDP4(1, 1000) }, DROPPED(0) },
	{ "dport 1000-2000: 1023", { "udp dport 1000-2000 drop" }, { UDP4(1, 1023) }, DROPPED(0) },
	{ "dport 1000-2000: 1024", { "udp dport 1000-2000 drop" }, { UDP4(1, 1024) }, DROPPED(0) },
	{ "dport 1000-2000: 1500", { "udp dport 1000-2000 drop" }, { UDP4(1, 1500) }, DROPPED(0) },
	{ "dport 1000-2000: 1999", { "udp dport 1000-2000 drop" }, { UDP4(1, 1999) }, DROPPED(0) },
	{ "dport 1000-2000: 2000", { "udp dport 1000-2000 drop" }, { UDP4(1, 2000) }, DROPPED(0) },
	{ "dport 1000-2000: 2001", { "udp dport 1000-2000 drop" }, { UDP4(1, 2001) }, UNMATCHED },
	{ "dport 1000-2000: 1500 from sport, not dport",
	  { "udp dport 1000-2000 drop" }, { UDP4(1500, 1) }, UNMATCHED },
	{ "ip6 tcp sport 32768-60999: 32767",
	  { "tcp sport 32768-60999 pass" }, { TCP6(32767, 1) }, UNMATCHED },
	{ "ip6 tcp sport 32768-60999: 32768",
	  { "tcp sport 32768-60999 pass" }, { TCP6(32768, 1) }, PASSED(0) },
	{ "ip6 tcp sport 32768-60999: 60999",
	  { "tcp sport 32768-60999 pass" }, { TCP6(60999, 1) }, PASSED(0) },
	{ "ip6 tcp sport 32768-60999: 61000",
	  { "tcp sport 32768-60999 pass" }, { TCP6(61000, 1) }, UNMATCHED },
	{ "dport 0-65535: 0", { "udp dport 0-65535 drop" }, { UDP4(1, 0) }, DROPPED(0) },
	{ "dport 0-65535: 65535", { "udp dport 0-65535 drop" }, { UDP4(1, 65535) }, DROPPED(0) },
	{ "dport 1-65534: 65534", { "udp dport 1-65534 drop" }, { UDP4(1, 65534) }, DROPPED(0) },
	{ "dport 1-65534: 65535", { "udp dport 1-65534 drop" }, { UDP4(1, 65535) }, UNMATCHED },
	{ "dport 1-65534: 0", { "udp dport 1-65534 drop" }, { UDP4(1, 0) }, UNMATCHED },
	{ "sport and dport ranges together",
	  { "tcp sport 1024-1031 dport 80-81 pass" }, { TCP4(1031, 81) }, PASSED(0) },
	{ "sport and dport ranges together: dport outside",
	  { "tcp sport 1024-1031 dport 80-81 pass" }, { TCP4(1031, 82) }, UNMATCHED },

	/* IPv4 prefixes: first and last address inside, the neighbours outside. */
	{ "src 0.0.0.0/0: 0.0.0.0",
	  { "src 0.0.0.0/0 drop" }, { UDP4(1, 2), .src = "0.0.0.0" }, DROPPED(0) },
	{ "src 0.0.0.0/0: 255.255.255.255",
	  { "src 0.0.0.0/0 drop" }, { UDP4(1, 2), .src = "255.255.255.255" }, DROPPED(0) },
	{ "src 0.0.0.0/0: not ipv6", { "src 0.0.0.0/0 drop" }, { UDP6(1, 2) }, UNMATCHED },
	{ "dst 128.0.0.0/1: 127.255.255.255",
	  { "dst 128.0.0.0/1 drop" }, { UDP4(1, 2), .dst = "127.255.255.255" }, UNMATCHED },
	{ "dst 128.0.0.0/1: 128.0.0.0",
	  { "dst 128.0.0.0/1 drop" }, { UDP4(1, 2), .dst = "128.0.0.0" }, DROPPED(0) },
	{ "dst 128.0.0.0/1: 255.255.255.255",
	  { "dst 128.0.0.0/1 drop" }, { UDP4(1, 2), .dst = "255.255.255.255" }, DROPPED(0) },
	{ "src 10.2.0.0/15: 10.1.255.255",
	  { "src 10.2.0.0/15 drop" }, { UDP4(1, 2), .src = "10.1.255.255" }, UNMATCHED },
	{ "src 10.2.0.0/15: 10.2.0.0",
	  { "src 10.2.0.0/15 drop" }, { UDP4(1, 2), .src = "10.2.0.0" }, DROPPED(0) },
	{ "src 10.2.0.0/15: 10.3.255.255",
	  { "src 10.2.0.0/15 drop" }, { UDP4(1, 2), .src = "10.3.255.255" }, DROPPED(0) },
	{ "src 10.2.0.0/15: 10.4.0.0",
	  { "src 10.2.0.0/15 drop" }, { UDP4(1, 2), .src = "10.4.0.0" }, UNMATCHED },
	{ "dst 192.168.1.4/31: .3",
	  { "dst 192.168.1.4/31 drop" }, { UDP4(1, 2), .dst = "192.168.1.3" }, UNMATCHED },
	{ "dst 192.168.1.4/31: .4",
	  { "dst 192.168.1.4/31 drop" }, { UDP4(1, 2), .dst = "192.168.1.4" }, DROPPED(0) },
	{ "dst 192.168.1.4/31: .5",
	  { "dst 192.168.1.4/31 drop" }, { UDP4(1, 2), .dst = "192.168.1.5" }, DROPPED(0) },
	{ "dst 192.168.1.4/31: .6",
	  { "dst 192.168.1.4/31 drop" }, { UDP4(1, 2), .dst = "192.168.1.6" }, UNMATCHED },
	{ "src 192.0.2.7/32: .6",
	  { "src 192.0.2.7/32 drop" }, { UDP4(1, 2), .src = "192.0.2.6" }, UNMATCHED },
	{ "src 192.0.2.7/32: .7",
	  { "src 192.0.2.7/32 drop" }, { UDP4(1, 2), .src = "192.0.2.7" }, DROPPED(0) },
	{ "src 192.0.2.7/32: .8",
	  { "src 192.0.2.7/32 drop" }, { UDP4(1, 2), .src = "192.0.2.8" }, UNMATCHED },
	{ "src 192.0.2.7: the address as dst does not match",
	  { "src 192.0.2.7 drop" }, { UDP4(1, 2), .dst = "192.0.2.7" }, UNMATCHED },
	{ "src, dst, proto and port together",
	  { "src 10.0.0.0/8 dst 192.168.0.0/16 udp dport 53 drop" },
	  { UDP4(1, 53), .src = "10.255.0.1", .dst = "192.168.255.255" }, DROPPED(0) },
	{ "src, dst, proto and port together: src outside",
	  { "src 10.0.0.0/8 dst 192.168.0.0/16 udp dport 53 drop" },
	  { UDP4(1, 53), .src = "11.0.0.1", .dst = "192.168.255.255" }, UNMATCHED },

	/* IPv6 prefixes. */
	{ "src ::/0: ipv6", { "src ::/0 drop" }, { UDP6(1, 2), .src = "::" }, DROPPED(0) },
	{ "src ::/0: not ipv4", { "src ::/0 drop" }, { UDP4(1, 2), .src = "0.0.0.0" }, UNMATCHED },
	{ "dst 2001:db8:1:2::/64: just below",
	  { "dst 2001:db8:1:2::/64 drop" },
	  { UDP6(1, 2), .dst = "2001:db8:1:1:ffff:ffff:ffff:ffff" }, UNMATCHED },
	{ "dst 2001:db8:1:2::/64: first",
	  { "dst 2001:db8:1:2::/64 drop" }, { UDP6(1, 2), .dst = "2001:db8:1:2::" }, DROPPED(0) },
	{ "dst 2001:db8:1:2::/64: last",
	  { "dst 2001:db8:1:2::/64 drop" },
	  { UDP6(1, 2), .dst = "2001:db8:1:2:ffff:ffff:ffff:ffff" }, DROPPED(0) },
	{ "dst 2001:db8:1:2::/64: just above",
	  { "dst 2001:db8:1:2::/64 drop" }, { UDP6(1, 2), .dst = "2001:db8:1:3::" }, UNMATCHED },
	{ "src 2001:db8::10/127: ::f",
	  { "src 2001:db8::10/127 drop" }, { UDP6(1, 2), .src = "2001:db8::f" }, UNMATCHED },
	{ "src 2001:db8::10/127: ::10",
	  { "src 2001:db8::10/127 drop" }, { UDP6(1, 2), .src = "2001:db8::10" }, DROPPED(0) },
	{ "src 2001:db8::10/127: ::11",
	  { "src 2001:db8::10/127 drop" }, { UDP6(1, 2), .src = "2001:db8::11" }, DROPPED(0) },
	{ "src 2001:db8::10/127: ::12",
	  { "src 2001:db8::10/127 drop" }, { UDP6(1, 2), .src = "2001:db8::12" }, UNMATCHED },
	{ "dst 2001:db8::1/128: ::",
	  { "dst 2001:db8::1/128 drop" }, { UDP6(1, 2), .dst = "2001:db8::" }, UNMATCHED },
	{ "dst 2001:db8::1/128: ::1",
	  { "dst 2001:db8::1/128 drop" }, { UDP6(1, 2), .dst = "2001:db8::1" }, DROPPED(0) },
	{ "dst 2001:db8::1/128: ::2",
	  { "dst 2001:db8::1/128 drop" }, { UDP6(1, 2), .dst = "2001:db8::2" }, UNMATCHED },

	/* ICMP and other protocols. */
	{ "icmp echo", { "icmp drop" }, { ICMP4 }, DROPPED(0) },
	{ "icmp rule, udp packet", { "icmp drop" }, { UDP4(1, 2) }, UNMATCHED },
	{ "icmp6 echo", { "icmp6 drop" }, { ICMP6 }, DROPPED(0) },
	{ "icmp6 rule, icmp packet", { "icmp6 drop" }, { ICMP4 }, UNMATCHED },
	{ "proto 47 (GRE)", { "proto 47 pass" }, { GRE4 }, PASSED(0) },
	{ "proto 47 rule, udp packet", { "proto 47 pass" }, { UDP4(1, 2) }, UNMATCHED },
	{ "ip6 proto 47 rule, ipv4 GRE", { "ip6 proto 47 pass" }, { GRE4 }, UNMATCHED },
	{ "proto 17 is udp", { "proto 17 dport 4242 drop" }, { UDP4(1, 4242) }, DROPPED(0) },
};

/* ---- packet building ---- */

static void put_eth(struct pkt *p, __u16 proto)
{
	static const __u8 dmac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const __u8 smac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct ethhdr *eth = pkt_put(p, sizeof(*eth));

	memcpy(eth->h_dest, dmac, ETH_ALEN);
	memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = htons(proto);
}

static void put_vlan(struct pkt *p, const struct vlan_tag *t, __u16 next)
{
	__be16 *h = pkt_put(p, 4);

	h[0] = htons((__u16)(t->pcp << 13) | t->vid);
	h[1] = htons(next);
}

static void put_ipv4(struct pkt *p, const struct pkt_spec *s)
{
	struct iphdr *ip = pkt_put(p, sizeof(*ip) + s->ip4_opts);

	ip->version = s->version ? s->version : 4;
	ip->ihl = s->ihl ? s->ihl : (sizeof(*ip) + s->ip4_opts) / 4;
	ip->ttl = 64;
	ip->protocol = s->l4;
	ip->frag_off = htons((s->dont_frag ? IP4_DF : 0) | (s->more_frags ? IP4_MF : 0) | s->frag);
	put_addr(AF_INET, s->src ? s->src : "10.0.0.1", &ip->saddr);
	put_addr(AF_INET, s->dst ? s->dst : "10.0.0.2", &ip->daddr);
	p->off[AT_EXT] = p->off[AT_L3] + sizeof(*ip);
	memset(ip + 1, IP4_OPT_NOP, s->ip4_opts);
}

/* Sizes chosen so that reading a length with the wrong unit goes visibly wrong: routing is
 * 24 bytes (hdrlen 2, 8-byte units), AH is 24 bytes (hdrlen 4, 4-byte units). */
static void put_ext(struct pkt *p, const struct pkt_spec *s, __u8 type, __u8 next)
{
	__u8 *h;

	switch (type) {
	case E_FRAG:
		h = pkt_put(p, 8);
		put_be16(h + 2, (s->frag << 3) | (s->more_frags ? IP6_MF : 0));
		h[7] = 0x2a;	/* identification */
		break;
	case E_AH:
		h = pkt_put(p, 24);
		h[1] = 24 / 4 - 2;
		h[7] = 1;	/* SPI */
		break;
	case E_RT:
		h = pkt_put(p, 24);
		h[1] = 24 / 8 - 1;
		h[2] = 4;	/* segment routing, segments left 0 */
		break;
	default:		/* hop-by-hop, destination options: one PadN option */
		h = pkt_put(p, 8);
		h[2] = 1;
		h[3] = 4;
		break;
	}
	h[0] = next;
}

static void put_ipv6(struct pkt *p, const struct pkt_spec *s)
{
	struct ipv6hdr *ip6 = pkt_put(p, sizeof(*ip6));

	ip6->version = s->version ? s->version : 6;
	ip6->nexthdr = s->n_ext ? s->ext[0] : s->l4;
	ip6->hop_limit = 64;
	put_addr(AF_INET6, s->src ? s->src : "2001:db8::1", &ip6->saddr);
	put_addr(AF_INET6, s->dst ? s->dst : "2001:db8::2", &ip6->daddr);
	p->off[AT_EXT] = p->len;
	for (unsigned int i = 0; i < s->n_ext; i++)
		put_ext(p, s, s->ext[i], i + 1 < s->n_ext ? s->ext[i + 1] : s->l4);
}

static void put_l4(struct pkt *p, const struct pkt_spec *s)
{
	switch (s->l4) {
	case IPPROTO_UDP: {
		struct udphdr *udp = pkt_put(p, sizeof(*udp));

		udp->source = htons(s->sport);
		udp->dest = htons(s->dport);
		break;
	}
	case IPPROTO_TCP: {
		struct tcphdr *tcp = pkt_put(p, sizeof(*tcp));

		tcp->source = htons(s->sport);
		tcp->dest = htons(s->dport);
		/* 0x10 stands for an explicit 0: the field is four bits wide */
		tcp->doff = s->doff ? s->doff & 0xf : 5;
		tcp->syn = 1;
		tcp->window = htons(65535);
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *h = pkt_put(p, 8);

		h[0] = s->l4 == IPPROTO_ICMP ? 8 : 128;	/* echo request */
		h[5] = 1;				/* identifier */
		break;
	}
	case IPPROTO_GRE: {
		__u8 *h = pkt_put(p, 4);

		put_be16(h + 2, ETH_P_IP);
		break;
	}
	}
}

static void build(const struct pkt_spec *s, struct pkt *p)
{
	__u16 l3type = s->l3 == 6 ? ETH_P_IPV6 : s->l3 == 4 ? ETH_P_IP : s->ethertype;

	memset(p, 0, sizeof(*p));
	put_eth(p, s->nvlan ? s->vlan[0].tpid : l3type);
	p->off[AT_VLAN] = p->len;
	for (unsigned int i = 0; i < s->nvlan; i++)
		put_vlan(p, &s->vlan[i], i + 1 < s->nvlan ? s->vlan[i + 1].tpid : l3type);
	p->off[AT_L3] = p->off[AT_EXT] = p->len;
	if (s->l3 == 4)
		put_ipv4(p, s);
	else if (s->l3 == 6)
		put_ipv6(p, s);
	p->off[AT_L4] = p->len;
	if (s->l3)
		put_l4(p, s);
	memset(pkt_put(p, s->payload), 0xab, s->payload);

	if (s->cut.set) {
		size_t len = p->off[s->cut.at] + s->cut.plus;

		if (len > p->len)
			fail_msg("cut at %zu is past the end of a %zu-byte packet", len, p->len);
		p->len = len;
	}
	/* Length fields describe the (possibly cut) packet, unless the row says otherwise. */
	if (s->l3 == 4)
		put_be16(p->buf + p->off[AT_L3] + 2,
			 (long)p->len - (long)p->off[AT_L3] + s->len_delta);
	else if (s->l3 == 6)
		put_be16(p->buf + p->off[AT_L3] + 4,
			 (long)p->len - (long)p->off[AT_EXT] + s->len_delta);
	if (s->l4 == IPPROTO_UDP)
		put_be16(p->buf + p->off[AT_L4] + 4, (long)p->len - (long)p->off[AT_L4]);
	if (s->ext_overrun)
		p->buf[p->off[AT_EXT] + 1] = 0x20;
	memset(pkt_put(p, s->pad), 0, s->pad);
}

/* ---- running the program ---- */

static struct xf_rule_stats rule_before[MANY_RULES + 1], rule_after[MANY_RULES + 1];

static const char *const stat_names[XF_STAT_MAX] = {
	[XF_STAT_PACKETS] = "packets", [XF_STAT_MALFORMED] = "malformed",
	[XF_STAT_UNMATCHED] = "unmatched", [XF_STAT_PASS] = "pass", [XF_STAT_DROP] = "drop",
	[XF_STAT_XSK] = "xsk", [XF_STAT_XSK_NOSOCK] = "xsk_nosock",
};

static const char *verdict_name(__u32 v)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return v < ARRAY_SIZE(names) ? names[v] : "?";
}

static void snapshot(__u64 *stats, struct xf_rule_stats *rules, size_t nrules)
{
	for (__u32 i = 0; i < XF_STAT_MAX; i++)
		percpu_sum(skel->maps.xf_stats, i, &stats[i], 1);
	for (__u32 i = 0; i < nrules; i++) {
		struct xf_counter c;

		/* A rule's count is spread over the rule-set generations. */
		if (xf_rule_counter_read(bpf_map__fd(skel->maps.xf_rule_stats), i, &c))
			fail_msg("reading the counters of rule %u", i);
		rules[i].packets = c.packets;
		rules[i].bytes = c.bytes;
	}
}

static size_t parse_rules(const char *const *texts, struct xf_rule *rules)
{
	char err[256];
	size_t n;

	for (n = 0; n < MAX_RULES && texts[n]; n++)
		if (xf_rule__parse(texts[n], &rules[n], err, sizeof(err)))
			fail_msg("%s", err);
	return n;
}

static void install(const struct xf_rule *rules, size_t n)
{
	int err = xf_rules_install_obj(skel->obj, rules, n);

	if (err)
		fail_msg("installing %zu rules: %s", n, strerror(-err));
}

#define APPEND(buf, ...)							\
	snprintf((buf) + strlen(buf), sizeof(buf) - strlen(buf), __VA_ARGS__)

/* Run one packet with @nrules rules live and check the verdict, every global counter and
 * the counters of every rule (plus one past the end). */
static void expect_packet(const struct pkt_spec *spec, size_t nrules, const struct expect *want)
{
	__u64 before[XF_STAT_MAX], after[XF_STAT_MAX];
	char got[512] = "", exp[512] = "";
	bool ok;
	struct pkt p;
	__u32 verdict;

	build(spec, &p);
	snapshot(before, rule_before, nrules + 1);
	verdict = run_packet(&p);
	snapshot(after, rule_after, nrules + 1);

	ok = verdict == want->verdict;
	APPEND(got, "XDP_%s,", verdict_name(verdict));
	APPEND(exp, "XDP_%s, packets+1 %s+1,", verdict_name(want->verdict),
	       stat_names[want->stat]);
	for (int i = 0; i < XF_STAT_MAX; i++) {
		__u64 d = after[i] - before[i];

		ok &= d == (__u64)(i == XF_STAT_PACKETS) + (i == (int)want->stat);
		if (d)
			APPEND(got, " %s+%llu", stat_names[i], (unsigned long long)d);
	}
	for (int i = 0; i <= (int)nrules; i++) {
		__u64 dp = rule_after[i].packets - rule_before[i].packets;
		__u64 db = rule_after[i].bytes - rule_before[i].bytes;

		ok &= dp == (i == want->hit) && db == (i == want->hit ? p.len : 0);
		if (dp || db)
			APPEND(got, " rule %d +%llu/+%lluB", i, (unsigned long long)dp,
			       (unsigned long long)db);
	}
	if (want->hit >= 0)
		APPEND(exp, " rule %d +1/+%zuB", want->hit, p.len);
	else
		APPEND(exp, " no rule");
	if (!ok)
		fail_msg("%zu-byte packet: got %s; want %s", p.len, got, exp);
}

/* ---- tests ---- */

static void test_case(void **state)
{
	const struct steer_case *c = *state;
	struct xf_rule rules[MAX_RULES];
	size_t n;

	need_skel();
	n = parse_rules(c->rules, rules);
	install(rules, n);
	expect_packet(&c->pkt, n, &c->want);
}

/* Whole rule sets replace each other: after each install only the new set classifies.
 * A and C are two installs apart, so C is written over A's generation of the maps. */
static const char *const set_a[] = { "src 10.9.9.9 pass", "udp dport 53 drop", NULL };
static const char *const set_b[] = { "tcp dport 80 pass", NULL };
static const char *const set_c[] = { "udp dport 54 pass", NULL };
static const char *const set_empty[] = { NULL };

static const struct replace_step {
	const char *const *install;	/* NULL: keep the live set */
	struct pkt_spec pkt;
	struct expect want;
} replace_steps[] = {
	{ set_a, { UDP4(1, 53) }, DROPPED(1) },
	{ NULL, { UDP4(1, 4242), .src = "10.9.9.9" }, PASSED(0) },
	{ NULL, { TCP4(1, 80) }, UNMATCHED },
	{ set_b, { UDP4(1, 53) }, UNMATCHED },
	{ NULL, { UDP4(1, 4242), .src = "10.9.9.9" }, UNMATCHED },
	{ NULL, { TCP4(1, 80) }, PASSED(0) },
	{ set_c, { UDP4(1, 53) }, UNMATCHED },
	{ NULL, { UDP4(1, 4242), .src = "10.9.9.9" }, UNMATCHED },
	{ NULL, { UDP4(1, 54) }, PASSED(0) },
	{ set_empty, { UDP4(1, 54) }, UNMATCHED },
	{ NULL, { TCP4(1, 80) }, UNMATCHED },
	{ NULL, { UDP4(1, 53) }, UNMATCHED },
	{ set_b, { TCP4(1, 80) }, PASSED(0) },
	{ NULL, { UDP4(1, 54) }, UNMATCHED },
};

static void test_replace(void **state)
{
	struct xf_rule rules[MAX_RULES];
	size_t n = 0;

	(void)state;
	need_skel();
	for (size_t i = 0; i < ARRAY_SIZE(replace_steps); i++) {
		const struct replace_step *st = &replace_steps[i];

		if (st->install) {
			n = parse_rules(st->install, rules);
			install(rules, n);
		}
		expect_packet(&st->pkt, n, &st->want);
	}
}

/* Many rules of one shape share one mask: still one lookup, and the right rule counts. */
/* The kernel never hands XDP less than an Ethernet header: BPF_PROG_RUN refuses such input
 * outright, so the program's own short-frame check is a second line, not the only one. */
static void test_short_frame_refused_by_kernel(void **state)
{
	struct pkt p = { .len = 13 };
	__u64 before[XF_STAT_MAX], after[XF_STAT_MAX];
	__u32 retval;

	(void)state;
	need_skel();
	memset(p.buf, 0xab, sizeof(p.buf));
	snapshot(before, NULL, 0);
	assert_int_equal(try_run_packet(&p, &retval), -EINVAL);
	p.len = 6;
	assert_int_equal(try_run_packet(&p, &retval), -EINVAL);
	snapshot(after, NULL, 0);
	assert_int_equal(after[XF_STAT_PACKETS], before[XF_STAT_PACKETS]);
}

static void test_many_rules(void **state)
{
	static struct xf_rule rules[MANY_RULES];
	static const struct {
		__u16 dport;
		struct expect want;
	} probes[] = {
		{ 10000, DROPPED(0) },
		{ 10777, PASSED(777) },
		{ 10000 + MANY_RULES - 1, PASSED(MANY_RULES - 1) },
		{ 10000 + MANY_RULES, UNMATCHED },
	};
	char text[64], err[256];

	(void)state;
	need_skel();
	for (int i = 0; i < MANY_RULES; i++) {
		snprintf(text, sizeof(text), "udp dport %d %s", 10000 + i, i % 2 ? "pass" : "drop");
		if (xf_rule__parse(text, &rules[i], err, sizeof(err)))
			fail_msg("%s", err);
	}
	install(rules, MANY_RULES);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		struct pkt_spec s = { UDP4(1234, probes[i].dport) };

		expect_packet(&s, MANY_RULES, &probes[i].want);
	}
}

/* Rule sets replaced while packets flow: each packet must be classified by one whole set.
 * Every set drops the probe packet, from a different mask slot, and holds pass rules the
 * probe does not match; so any PASS or UNMATCHED is a packet that saw a torn rule set. */
static const char *const load_sets[][MAX_RULES] = {
	{ "src 192.0.2.1 pass", "dst 192.0.2.1 pass", "tcp pass", "udp dport 4242 drop" },
	{ "udp dport 4242 drop", "tcp pass" },
	{ "src 192.0.2.1 pass", "dst 192.0.2.1 pass", "vlan 1 pass", "icmp pass", "sport 7 pass",
	  "udp dport 4242 drop" },
};

struct load_runner {
	int prog_fd;
	struct pkt pkt;
	bool stop;
	int err;
};

static void *load_run(void *arg)
{
	struct load_runner *lr = arg;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 10000);

	opts.data_in = lr->pkt.buf;
	opts.data_size_in = lr->pkt.len;
	while (!__atomic_load_n(&lr->stop, __ATOMIC_ACQUIRE)) {
		lr->err = bpf_prog_test_run_opts(lr->prog_fd, &opts);
		if (lr->err)
			break;
	}
	return NULL;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

#define STAT_DELTA(i)	((unsigned long long)(after[i] - before[i]))

static void test_replace_under_load(void **state)
{
	static const struct pkt_spec probe = { UDP4(1234, 4242) };
	struct xf_rule rules[ARRAY_SIZE(load_sets)][MAX_RULES];
	__u64 before[XF_STAT_MAX], after[XF_STAT_MAX], seen, dropped;
	size_t n[ARRAY_SIZE(load_sets)];
	struct load_runner lr = {};
	unsigned int installs = 0;
	struct timespec t0;
	pthread_t th;
	int err = 0;

	(void)state;
	need_skel();
	for (size_t i = 0; i < ARRAY_SIZE(load_sets); i++)
		n[i] = parse_rules(load_sets[i], rules[i]);
	install(rules[0], n[0]);
	build(&probe, &lr.pkt);
	lr.prog_fd = bpf_program__fd(skel->progs.xskflow_steer);
	snapshot(before, rule_before, 0);
	if (pthread_create(&th, NULL, load_run, &lr))
		fail_msg("pthread_create failed");
	/* No cmocka assertion may jump out while the runner thread uses the program. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!err && elapsed(&t0) < LOAD_SECONDS) {
		size_t k = ++installs % ARRAY_SIZE(load_sets);

		err = xf_rules_install_obj(skel->obj, rules[k], n[k]);
	}
	__atomic_store_n(&lr.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	snapshot(after, rule_after, 0);

	if (err)
		fail_msg("install %u: %s", installs, strerror(-err));
	if (lr.err)
		fail_msg("BPF_PROG_RUN: %s", strerror(-lr.err));
	seen = after[XF_STAT_PACKETS] - before[XF_STAT_PACKETS];
	dropped = after[XF_STAT_DROP] - before[XF_STAT_DROP];
	if (!seen)
		fail_msg("no packet ran during %u installs", installs);
	if (dropped != seen)
		fail_msg("%llu of %llu packets misclassified during %u installs: unmatched +%llu, "
			 "pass +%llu, malformed +%llu", (unsigned long long)(seen - dropped),
			 (unsigned long long)seen, installs, STAT_DELTA(XF_STAT_UNMATCHED),
			 STAT_DELTA(XF_STAT_PASS), STAT_DELTA(XF_STAT_MALFORMED));
}

int main(void)
{
	static struct CMUnitTest steer_tests[ARRAY_SIZE(cases) + 4];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		steer_tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_case,
									      (void *)&cases[i]);
		steer_tests[i].name = cases[i].name;
	}
	steer_tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_replace);
	steer_tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_many_rules);
	steer_tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_short_frame_refused_by_kernel);
	steer_tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_replace_under_load);
	return cmocka_run_group_tests(steer_tests, group_setup, group_teardown);
}
