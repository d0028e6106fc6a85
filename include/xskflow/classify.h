/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reference classifier: which rule the steering program picks for a packet, computed in
 * userspace with the same header parsing and the same priority and specificity order. */
#ifndef XSKFLOW_CLASSIFY_H
#define XSKFLOW_CLASSIFY_H

#include <xskflow/xskflow.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xf_rule;		/* xskflow/steer.h */

/* What the steering program sees of a packet (see bpf/xf_parse.h). */
struct xf_flow {
	__u32 queue;		/* receive queue */
	__u16 vlan;		/* VLAN id of the outer tag, when has_vlan */
	__u8 l3;		/* 4, 6, or 0 for a frame that is not IP */
	__u8 l4;		/* IP protocol (after IPv6 extension headers); 0 if not IP */
	__u16 sport, dport;	/* host order, when has_ports */
	bool has_vlan;		/* at least one 802.1Q/802.1ad tag */
	bool has_ports;		/* TCP or UDP, and not a later fragment */
	__u8 src[16];		/* network order; IPv4 in the first 4 bytes, the rest zero */
	__u8 dst[16];
};

/* xf_flow__parse - parse a frame the way the steering program does: Ethernet, up to two
 * VLAN tags, IPv4 (options, fragments), IPv6 (up to eight extension headers), TCP, UDP.
 * @pkt, @len: the frame from its Ethernet header on; @queue: the queue it arrived on.
 * Returns 0, or -EBADMSG for a truncated or malformed frame (the program passes those to
 * the kernel without looking at any rule). */
XF_API int xf_flow__parse(const void *pkt, size_t len, __u32 queue, struct xf_flow *flow);

/* xf_rule__matches - whether @rule matches @flow (its action plays no part). */
XF_API bool xf_rule__matches(const struct xf_rule *rule, const struct xf_flow *flow);

/* xf_rule__specificity - the number of packet-key bits @rule pins down; of two matching
 * rules with the same prio, the more specific one wins (then the lower index). */
XF_API __u32 xf_rule__specificity(const struct xf_rule *rule);

/* xf_rules__classify - the index of the rule the steering program chooses for @flow among
 * @rules[0..n), installed in that order by xf_steer__set_rules().
 * Returns the index, or -ENOENT when no rule matches (the packet passes). */
XF_API int xf_rules__classify(const struct xf_rule *rules, size_t n, const struct xf_flow *flow);

/* xf_rules__classify_packet - xf_flow__parse() then xf_rules__classify().
 * Returns the index, -ENOENT when no rule matches, -EBADMSG for a malformed frame. */
XF_API int xf_rules__classify_packet(const struct xf_rule *rules, size_t n, const void *pkt,
				     size_t len, __u32 queue);

#ifdef __cplusplus
}
#endif

#endif /* XSKFLOW_CLASSIFY_H */
