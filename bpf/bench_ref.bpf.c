// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reference programs for the steering-cost benchmark: the floor (a bare XDP_PASS) and what
 * every other AF_XDP framework runs instead of steering (libxdp's xsk_def_prog). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Same shape as libxdp's xsks_map: one socket slot per receive queue. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} ref_xsks SEC(".maps");

SEC("xdp")
int ref_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

/* The whole queue goes to its socket; with no socket bound, the packet passes. */
SEC("xdp")
int ref_queue_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ref_xsks, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
