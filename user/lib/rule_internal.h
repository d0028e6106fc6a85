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

/* Install a rule set into the steering program's maps (by fd): fill the idle generation,
 * then flip the config to it. Returns 0 or -errno; on error the live set is untouched. */
XF_HIDDEN int xf_rules_install(int cfg_fd, int masks_fd, int rules_fd,
			       const struct xf_rule *rules, size_t n);

/* Same with explicit counter ids; when @stats_fd >= 0 the counters of @ids are zeroed once
 * no packet can still be classified by the generation being replaced. */
XF_HIDDEN int xf_rules_install_ids(int cfg_fd, int masks_fd, int rules_fd, int stats_fd,
				   const struct xf_rule *rules, const __u32 *ids, size_t n);

#endif /* XF_RULE_INTERNAL_H */
