// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Benchmark sink: attach a two-instruction XDP_DROP program (frags-aware) to an interface
 * (it stays attached after exit), or detach whatever XDP program is there. Counts:
 * 'ip -s link'. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int usage(void)
{
	fprintf(stderr, "usage: xdp_sink attach IFACE [native|generic]\n"
			"       xdp_sink detach IFACE\n"
			"Attaches an XDP_DROP program to IFACE (it stays attached), or detaches.\n");
	return 1;
}

int main(int argc, char **argv)
{
	const struct bpf_insn prog[] = {
		/* r0 = XDP_DROP; exit */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, load, .prog_flags = BPF_F_XDP_HAS_FRAGS);
	__u32 flags = XDP_FLAGS_DRV_MODE;
	unsigned int ifindex;
	int fd, err;

	if (argc < 3)
		return usage();
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		fprintf(stderr, "xdp_sink: interface '%s' not found\n", argv[2]);
		return 1;
	}
	if (!strcmp(argv[1], "detach")) {
		err = bpf_xdp_detach(ifindex, 0, NULL);
		if (err) {
			fprintf(stderr, "xdp_sink: detach from '%s': %s\n", argv[2], strerror(-err));
			return 1;
		}
		return 0;
	}
	if (strcmp(argv[1], "attach"))
		return usage();
	if (argc > 3 && !strcmp(argv[3], "generic"))
		flags = XDP_FLAGS_SKB_MODE;
	else if (argc > 3 && strcmp(argv[3], "native"))
		return usage();
	/* Frags-aware (it never looks at the packet), so either end may run a 9000 MTU. */
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xf_sink_drop", "GPL", prog, 2, &load);
	if (fd < 0) {
		fprintf(stderr, "xdp_sink: loading the XDP_DROP program: %s\n", strerror(-fd));
		return 1;
	}
	err = bpf_xdp_attach(ifindex, fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		fprintf(stderr, "xdp_sink: attach to '%s': %s\n", argv[2], strerror(-err));
		return 1;
	}
	return 0;
}
