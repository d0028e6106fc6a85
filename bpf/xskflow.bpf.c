// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The xskflow steering program: classify every packet against the live rule set and
 * redirect, pass or drop it. Unmatched and malformed traffic goes to the kernel. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>
#include "xf_abi.h"
#include "xf_maps.h"
#include "xf_parse.h"

struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xskflow_steer);

static __always_inline void xf_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&xf_stats, &stat);

	if (v)
		*v += 1;
}

static __always_inline int xf_better(const struct xf_rule_val *a, const struct xf_rule_val *b)
{
	if (!b)
		return 1;
	if (a->prio != b->prio)
		return a->prio < b->prio;
	if (a->spec != b->spec)
		return a->spec > b->spec;
	return a->rule_id < b->rule_id;
}

static __always_inline __u32 xf_pf_get(__u32 gen, __u32 field, __u32 value)
{
	__u32 idx = gen * XF_PF_GEN_SIZE + field * XF_PF_SLOTS + value;
	__u32 *bm = bpf_map_lookup_elem(&xf_prefilter, &idx);

	return bm ? *bm : 0;
}

/* The masks that could match *k: one array lookup per prefilter field, no hashing. */
static __always_inline __u32 xf_candidates(__u32 gen, const struct xf_key *k)
{
	__u32 cand = xf_pf_get(gen, XF_PF_DPORT, k->dport);

	if (cand)
		cand &= xf_pf_get(gen, XF_PF_SPORT, k->sport);
	if (cand)
		cand &= xf_pf_get(gen, XF_PF_SRC16, (__u32)k->src[0] << 8 | k->src[1]);
	return cand;
}

/* Tuple-space search: one hash lookup per distinct mask the prefilter lets through,
 * whatever the number of rules. */
static __always_inline struct xf_rule_val *xf_classify(const struct xf_key *k, __u32 *genp)
{
	struct xf_rule_val *best = NULL;
	struct xf_rule_key rk;
	struct xf_config *cfg;
	__u32 zero = 0, gen, n, i, w, cand;

	cfg = bpf_map_lookup_elem(&xf_config, &zero);
	if (!cfg)
		return NULL;
	gen = cfg->gen & 1;
	*genp = gen;
	n = cfg->nmasks[gen];
	cand = xf_candidates(gen, k);
	if (!cand)
		return NULL;

	for (i = 0; i < XF_MAX_MASKS; i++) {
		const __u32 *kw = (const __u32 *)k;
		struct xf_rule_val *v;
		struct xf_mask *m;
		__u32 slot;

		if (i >= n || !(cand >> i))
			break;
		if (!(cand & (1u << i)))
			continue;
		slot = gen * XF_MAX_MASKS + i;
		m = bpf_map_lookup_elem(&xf_masks, &slot);
		if (!m)
			break;
		rk.slot = slot;
#pragma unroll
		for (w = 0; w < sizeof(struct xf_key) / 4; w++)
			((__u32 *)&rk.key)[w] = kw[w] & ((const __u32 *)&m->mask)[w];
		v = bpf_map_lookup_elem(&xf_rules, &rk);
		if (v && xf_better(v, best))
			best = v;
	}
	return best;
}

/* Frags-aware (multi-buffer): the headers are parsed from the first buffer, lengths are
 * checked against the whole packet. */
SEC("xdp.frags")
int xskflow_steer(struct xdp_md *ctx)
{
	struct xf_rule_stats *rs;
	struct xf_rule_val *rv;
	struct xf_key k = {};
	__u32 id, gen = 0;
	long ret;

	xf_count(XF_STAT_PACKETS);
	k.queue = ctx->rx_queue_index;
	if (xf_parse(ctx, &k) != XF_PARSE_OK) {
		xf_count(XF_STAT_MALFORMED);
		return XDP_PASS;
	}

	rv = xf_classify(&k, &gen);
	if (!rv) {
		xf_count(XF_STAT_UNMATCHED);
		return XDP_PASS;
	}

	/* Counters are per generation too: a rule set being replaced never counts on the
	 * counters of the set replacing it. Readers add both up. */
	id = gen * XF_MAX_RULES + rv->rule_id;
	rs = bpf_map_lookup_elem(&xf_rule_stats, &id);
	if (rs) {
		rs->packets++;
		rs->bytes += bpf_xdp_get_buff_len(ctx);
	}

	switch (rv->action) {
	case XF_ACT_DROP:
		xf_count(XF_STAT_DROP);
		return XDP_DROP;
	case XF_ACT_XSK:
		ret = bpf_redirect_map(&xf_xsks, ctx->rx_queue_index * XF_SLOTS + rv->slot, XDP_PASS);
		xf_count(ret == XDP_REDIRECT ? XF_STAT_XSK : XF_STAT_XSK_NOSOCK);
		return ret;
	default:
		xf_count(XF_STAT_PASS);
		return XDP_PASS;
	}
}

char _license[] SEC("license") = "Dual BSD/GPL";
