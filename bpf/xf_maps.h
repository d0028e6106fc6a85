/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* BPF map definitions of the steering program. Sizes come from xf_abi.h so that
 * userspace and the program agree on them by construction. */
#ifndef XF_MAPS_H
#define XF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xf_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xf_config);
} xf_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XF_GENERATIONS * XF_MAX_MASKS);
	__type(key, __u32);
	__type(value, struct xf_mask);
} xf_masks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XF_GENERATIONS * XF_MAX_RULES);
	__type(key, struct xf_rule_key);
	__type(value, struct xf_rule_val);
} xf_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XF_GENERATIONS * XF_MAX_RULES);
	__type(key, __u32);
	__type(value, struct xf_rule_stats);
} xf_rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XF_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xf_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XF_MAX_QUEUES * XF_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} xf_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XF_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct xf_rule_rec);
} xf_rule_store SEC(".maps");

/* Index: generation * XF_PF_GEN_SIZE + field * XF_PF_SLOTS + value; value: mask bitmap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XF_GENERATIONS * XF_PF_GEN_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} xf_prefilter SEC(".maps");

#endif /* XF_MAPS_H */
