/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Structures and constants shared by the steering program and libxskflow.
 * Plain __u8/__u16/__u32/__u64 only: this header is the whole contract between them. */
#ifndef XF_ABI_H
#define XF_ABI_H

#include <linux/types.h>

/* Map sizes. Masks are the distinct "shapes" of rules (which fields they look at);
 * per-packet cost grows with the number of masks, never with the number of rules. */
#define XF_MAX_MASKS	32
#define XF_MAX_RULES	16384
#define XF_MAX_QUEUES	256
#define XF_SLOTS	8	/* sockets per queue, picked by the rule: XSKMAP key q*XF_SLOTS+slot */
#define XF_GENERATIONS	2

/* xf_key.flags */
#define XF_KF_VLAN	0x01	/* packet carried at least one VLAN tag */
#define XF_KF_PORTS	0x02	/* sport/dport are valid (TCP/UDP, not a later fragment) */

/* xf_key.l3 */
#define XF_L3_IPV4	4
#define XF_L3_IPV6	6

/* What a packet looks like to the classifier. Every field is in host byte order except
 * the addresses, which stay in network order (IPv4 in src[0..3]). No implicit padding:
 * the struct is used as (part of) a hash key. */
struct xf_key {
	__u32 queue;
	__u16 vlan;
	__u8 l3;
	__u8 l4;
	__u16 sport;
	__u16 dport;
	__u8 flags;
	__u8 pad[3];
	__u8 src[16];
	__u8 dst[16];
};

/* Rule table key: the masked packet key plus the slot of the mask that produced it.
 * slot = generation * XF_MAX_MASKS + mask index. */
struct xf_rule_key {
	__u32 slot;
	struct xf_key key;
};

enum xf_action {
	XF_ACT_XSK = 0,
	XF_ACT_PASS = 1,
	XF_ACT_DROP = 2,
};

struct xf_rule_val {
	__u32 rule_id;	/* index into the rule counters */
	__u32 prio;	/* lower wins */
	__u16 action;	/* enum xf_action */
	__u16 slot;	/* XF_ACT_XSK: socket slot on the receiving queue */
	__u32 spec;	/* specificity: number of mask bits; breaks prio ties */
};

/* The mask array: slot -> the bits of xf_key a group of rules looks at. */
struct xf_mask {
	struct xf_key mask;
};

/* Config array, one entry: which generation of masks and rules is live.
 * Userspace fills the idle generation, then flips 'gen' with one map write. */
struct xf_config {
	__u32 gen;
	__u32 nmasks[XF_GENERATIONS];
	__u32 owner_pid;	/* process that detaches it on exit; 0: persistent (xskflow attach) */
};

/* Userspace-only rule store (rule id -> canonical rule text), so that any process can list
 * and edit the live rule set of an attached program through its pinned maps. */
struct xf_rule_rec {
	char text[256];
};

/* Prefilter: for a few 16-bit packet fields, a table from the field's value to the bitmap
 * of masks that have at least one entry compatible with that value (a mask that ignores
 * the field is in every slot). A mask is looked up only if every table lets it through,
 * so a packet costs one hash lookup per mask that could match it, not per mask. */
enum xf_pf_field {
	XF_PF_DPORT,	/* xf_key.dport */
	XF_PF_SPORT,	/* xf_key.sport */
	XF_PF_SRC16,	/* xf_key.src[0..1]: first 16 bits of the source address */
	XF_PF_FIELDS,
};
#define XF_PF_SLOTS	65536
#define XF_PF_GEN_SIZE	(XF_PF_FIELDS * XF_PF_SLOTS)

/* Per-rule counters (per-CPU array indexed by generation * XF_MAX_RULES + rule_id; a
 * rule's count is the sum over both generations). */
struct xf_rule_stats {
	__u64 packets;
	__u64 bytes;
};

/* Global counters (per-CPU array indexed by enum xf_stat). */
enum xf_stat {
	XF_STAT_PACKETS = 0,	/* every packet the program saw */
	XF_STAT_MALFORMED,	/* truncated or malformed headers: passed */
	XF_STAT_UNMATCHED,	/* no rule matched: passed */
	XF_STAT_PASS,		/* a rule said pass */
	XF_STAT_DROP,		/* a rule said drop */
	XF_STAT_XSK,		/* redirected to a socket */
	XF_STAT_XSK_NOSOCK,	/* a rule said xsk but the queue has no socket: passed */
	XF_STAT_MAX,
};

#endif /* XF_ABI_H */
