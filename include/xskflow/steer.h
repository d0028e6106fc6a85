/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Steering: the XDP program on an interface and the rules it classifies packets with.
 * A rule is a match plus an action with a priority; unmatched traffic passes. */
#ifndef XSKFLOW_STEER_H
#define XSKFLOW_STEER_H

#include <xskflow/xskflow.h>

#ifdef __cplusplus
extern "C" {
#endif

enum xf_rule_action {
	XF_RULE_XSK = 0,	/* to the socket bound to the receiving queue */
	XF_RULE_PASS,		/* to the kernel stack */
	XF_RULE_DROP,
};

/* Which match fields a rule sets (xf_rule.fields). */
#define XF_RF_VLAN	(1u << 0)
#define XF_RF_L3	(1u << 1)
#define XF_RF_L4	(1u << 2)
#define XF_RF_SRC	(1u << 3)
#define XF_RF_DST	(1u << 4)
#define XF_RF_SPORT	(1u << 5)
#define XF_RF_DPORT	(1u << 6)
#define XF_RF_QUEUE	(1u << 7)
#define XF_RF_PRIO	(1u << 8)	/* prio was given explicitly */
#define XF_RF_SLOT	(1u << 9)	/* slot was given explicitly */

#define XF_RULE_PRIO_DEFAULT	100
#define XF_RULES_MAX		16384	/* rules per interface */
#define XF_RULE_TEXT_MAX	256

struct xf_rule {
	__u32 fields;		/* XF_RF_* */
	__u32 prio;		/* lower wins; XF_RULE_PRIO_DEFAULT unless given */
	__u16 vlan;		/* 0..4095 */
	__u8 l3;		/* 4 or 6 */
	__u8 l4;		/* IP protocol number */
	__u8 src[16];		/* network order; IPv4 in the first 4 bytes */
	__u8 dst[16];
	__u8 src_len;		/* prefix length */
	__u8 dst_len;
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u32 queue;
	enum xf_rule_action action;
	__u32 slot;		/* xsk: which socket of the receiving queue (XF_SLOTS per queue) */
};

/* xf_rule__parse - parse one rule in the rule language, e.g. "ip6 udp dport 4242 xsk".
 * Grammar: [prio N] [vlan ID] [ip|ip6] [tcp|udp|icmp|icmp6|proto N] [src PREFIX]
 * [dst PREFIX] [sport P|P-Q] [dport P|P-Q] [queue N] [xsk [slot N] | pass | drop]
 * @err: receives a one-line message naming the offending word when parsing fails.
 * Returns 0 or -EINVAL. */
XF_API int xf_rule__parse(const char *text, struct xf_rule *rule, char *err, size_t errlen);

/* xf_rule__format - print a rule in canonical form; parsing the result yields the same rule.
 * Returns the length the full text needs (like snprintf). */
XF_API int xf_rule__format(const struct xf_rule *rule, char *buf, size_t len);

struct xf_steer;

struct xf_steer_opts {
	size_t sz;		/* sizeof(struct xf_steer_opts), set by XF_OPTS() */
	enum xf_attach_mode mode;
	bool persist;		/* stay attached after xf_steer__close() (like 'xskflow attach') */
	size_t : 0;
};

/* Where steering programs pin their maps: XF_PIN_ROOT/IFNAME/<map>. */
#define XF_PIN_ROOT "/sys/fs/bpf/xskflow"

/* xf_steer__attach - load the steering program and attach it to @ifname, negotiating the
 * mode (see enum xf_attach_mode), and pin its maps under /sys/fs/bpf/xskflow/IFNAME so that
 * other processes can join it. It starts with no rules: everything passes. A stale instance
 * left by a process that died is replaced (and reported as a fallback); a live one, a
 * persistent one or another program is an error.
 * Returns the handle, or NULL with errno set; nothing is left attached on failure. */
XF_API struct xf_steer *xf_steer__attach(const char *ifname, const struct xf_steer_opts *opts);

/* xf_steer__open - join the persistent steering program attached to @ifname through its
 * pinned maps. Returns NULL with errno ENOENT when there is none (or only a stale one),
 * EBUSY when it belongs to a running process, EEXIST when another program is attached;
 * these are not logged as errors, so the call doubles as a probe. */
XF_API struct xf_steer *xf_steer__open(const char *ifname);

/* xf_steer__close - free the handle; a non-persistent program is detached. NULL: no-op. */
XF_API void xf_steer__close(struct xf_steer *steer);

/* xf_steer__detach - detach the program, remove its pins and free the handle (persistent
 * or not). NULL is a no-op. */
XF_API void xf_steer__detach(struct xf_steer *steer);

XF_API bool xf_steer__persistent(const struct xf_steer *steer);

/* xf_steer__check - whether this handle's program is still attached to its interface.
 * Returns 0, -ENOENT when it was detached or replaced by someone else (packets now go
 * to the kernel or to that program), -ENODEV when the interface is gone. */
XF_API int xf_steer__check(struct xf_steer *steer);

/* xf_steer__set_rules - replace the whole rule set atomically: every packet is classified
 * by either the old set or the new one. Rule i gets id (counter index) i; counters restart.
 * Returns 0, -E2BIG when the rules need more masks or entries than the maps hold, or
 * another -errno from the map updates (the old set then stays live). */
XF_API int xf_steer__set_rules(struct xf_steer *steer, const struct xf_rule *rules, size_t n);

/* A rule and its id (counter index). */
struct xf_rule_entry {
	__u32 id;
	struct xf_rule rule;
};

/* xf_steer__add_rule - add one rule to the live set (atomically, like set_rules), with the
 * lowest free id, returned in @id (may be NULL). Returns 0 or -errno. */
XF_API int xf_steer__add_rule(struct xf_steer *steer, const struct xf_rule *rule, __u32 *id);

/* xf_steer__del_rule - remove rule @id from the live set. Returns 0, -ENOENT or -errno. */
XF_API int xf_steer__del_rule(struct xf_steer *steer, __u32 id);

/* xf_steer__list_rules - copy up to @max live rules, sorted by id, into @out.
 * Returns the total number of rules (may exceed @max) or -errno. */
XF_API int xf_steer__list_rules(const struct xf_steer *steer, struct xf_rule_entry *out,
				size_t max);

struct xf_counter {
	__u64 packets;
	__u64 bytes;
};

/* xf_steer__rule_counter - sum the per-CPU hit counters of rule id @idx. Returns 0 or -errno. */
XF_API int xf_steer__rule_counter(const struct xf_steer *steer, __u32 idx, struct xf_counter *c);

struct xf_steer_stats {
	__u64 packets;		/* every packet the program saw */
	__u64 malformed;	/* truncated or malformed headers, passed */
	__u64 unmatched;	/* passed, no rule matched */
	__u64 pass;		/* passed by a rule */
	__u64 drop;		/* dropped by a rule */
	__u64 xsk;		/* redirected to a socket */
	__u64 xsk_nosock;	/* an xsk rule matched on a queue without a socket: passed */
};

XF_API int xf_steer__stats(const struct xf_steer *steer, struct xf_steer_stats *st);

/* The mode the kernel reports for the attached program (never AUTO). */
XF_API enum xf_attach_mode xf_steer__attach_mode(const struct xf_steer *steer);
/* Fallback reasons, one line each: index 0.. until NULL. */
XF_API const char *xf_steer__fallback(const struct xf_steer *steer, size_t i);
XF_API int xf_steer__ifindex(const struct xf_steer *steer);
XF_API const char *xf_steer__driver(const struct xf_steer *steer);
/* xf_steer__dispatched - whether the program runs behind libxdp's dispatcher (shared with
 * other XDP programs) rather than attached directly. Detaching a directly attached program
 * needs only CAP_NET_ADMIN (the handle holds its fd); behind a dispatcher libxdp looks the
 * dispatcher up by id, which needs CAP_SYS_ADMIN as well. */
XF_API bool xf_steer__dispatched(const struct xf_steer *steer);

#ifdef __cplusplus
}
#endif

#endif /* XSKFLOW_STEER_H */
