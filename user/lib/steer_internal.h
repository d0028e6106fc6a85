/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The steering handle behind struct xf_steer, shared by steer.c (program life cycle,
 * pins, ownership) and ruleset.c (rule sets, store, counters). */
#ifndef XF_STEER_INTERNAL_H
#define XF_STEER_INTERNAL_H

#include <net/if.h>
#include "xf_internal.h"

/* The maps of the steering program, by role. Pinned under XF_PIN_ROOT/IFNAME/<name>. */
enum xf_map_idx {
	XF_M_CONFIG,
	XF_M_MASKS,
	XF_M_RULES,
	XF_M_RULE_STATS,
	XF_M_STATS,
	XF_M_XSKS,
	XF_M_RULE_STORE,
	XF_M_PREFILTER,
	XF_M_MAX,
};

struct xf_steer {
	struct xskflow_bpf *skel;	/* set when this handle attached the program */
	struct xdp_program *prog;
	int fd[XF_M_MAX];		/* owned by the handle */
	int ifindex;
	char ifname[IF_NAMESIZE];
	char driver[XF_DRIVER_MAX];
	enum xf_attach_mode mode;
	__u32 prog_id;			/* ours, once attached */
	bool dispatched;		/* behind libxdp's dispatcher, not attached directly */
	bool persist;			/* stays attached when the handle is closed */
	char pin_dir[64];
	struct xf_fallbacks fb;
};

#endif /* XF_STEER_INTERNAL_H */
