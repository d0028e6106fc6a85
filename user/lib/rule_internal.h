/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Compiled rule sets: what xf_steer__set_rules writes into the maps. Private to the
 * library, exposed to its unit tests. */
#ifndef XF_RULE_INTERNAL_H
#define XF_RULE_INTERNAL_H

#include "../../bpf/xf_abi.h"
#include "xf_internal.h"

struct xf_compiled_entry {
	__u32 mask_idx;
	struct xf_key key;	/* already masked */
	struct xf_rule_val val;
};

struct xf_compiled {
	__u32 nmasks;
	struct xf_key masks[XF_MAX_MASKS];
	__u32 nentries, cap;
	struct xf_compiled_entry *entries;
};

/* Returns 0, -E2BIG (too many masks or entries) or -ENOMEM. */
XF_HIDDEN int xf_rules_compile(const struct xf_rule *rules, size_t n, struct xf_compiled *c);
/* Same, with rule @ids[i] for rules[i] (counter index) instead of the position. */
XF_HIDDEN int xf_rules_compile_ids(const struct xf_rule *rules, const __u32 *ids, size_t n,
				   struct xf_compiled *c);
XF_HIDDEN void xf_rules_compiled_free(struct xf_compiled *c);

/* The steering program's maps a rule set is written to (fds). */
struct xf_rule_maps {
	int config, masks, rules, prefilter;
	int rule_stats;		/* -1: leave counters alone */
};

/* Install a rule set: fill the idle generation (masks, entries, prefilter), then flip the
 * config to it. With @ids, rules[i] counts on ids[i] (else on i). The counters of the
 * @fresh ids (new rules) are zeroed in both generations, each once no packet can still be
 * counted there by the rules that had those ids before (needs m->rule_stats >= 0).
 * Returns 0 or -errno; on error the live set is untouched. */
XF_HIDDEN int xf_rules_install_maps(const struct xf_rule_maps *m, const struct xf_rule *rules,
				    const __u32 *ids, size_t n, const __u32 *fresh,
				    size_t nfresh);

/* A rule's counters from the per-CPU, per-generation counter map @stats_fd. */
XF_HIDDEN int xf_rule_counter_read(int stats_fd, __u32 id, struct xf_counter *c);

struct bpf_object;
/* Same, for a loaded steering object (tests, benchmarks): maps found by name. */
XF_HIDDEN int xf_rules_install_obj(struct bpf_object *obj, const struct xf_rule *rules, size_t n);

#endif /* XF_RULE_INTERNAL_H */
