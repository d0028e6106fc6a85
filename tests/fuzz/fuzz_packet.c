// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz target: the steering program's packet parser and classifier, run under BPF_PROG_RUN
 * on fuzzed frames and checked against the userspace reference classifier (classify.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <xskflow/xskflow.h>
#include "rule_internal.h"
#include "xskflow.skel.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* One rule of every kind the language has, overlapping on purpose, actions spread so that
 * the verdict tells which rule won. */
static const char *const rule_texts[] = {
	"prio 10 udp dport 4242 drop",
	"udp dport 4000-4999 pass",
	"tcp dport 22 drop",
	"ip6 udp sport 53 drop",
	"src 198.18.0.0/15 udp pass",
	"dst 2001:db8::/32 tcp dport 80-90 drop",
	"vlan 7 pass",
	"prio 5 vlan 7 udp dport 9 drop",
	"icmp drop",
	"icmp6 pass",
	"proto 47 drop",
	"ip tcp sport 1024-65535 dport 443 pass",
	"queue 0 ip6 dst 2001:db8:1::1 drop",
	"prio 200 ip drop",
};
#define NRULES (sizeof(rule_texts) / sizeof(rule_texts[0]))

static struct xskflow_bpf *skel;
static struct xf_rule rules[NRULES];

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l; (void)f; (void)a;
	return 0;
}

static void setup(void)
{
	char err[256];
	int e;

	libbpf_set_print(quiet);
	for (size_t i = 0; i < NRULES; i++) {
		if (xf_rule__parse(rule_texts[i], &rules[i], err, sizeof(err))) {
			fprintf(stderr, "fuzz_packet: %s\n", err);
			exit(1);
		}
	}
	skel = xskflow_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "fuzz_packet: cannot load the steering program: %s (needs root)\n",
			strerror(errno));
		exit(1);
	}
	e = xf_rules_install_obj(skel->obj, rules, NRULES);
	if (e) {
		fprintf(stderr, "fuzz_packet: cannot install rules: %s\n", strerror(-e));
		exit(1);
	}
}

/* Which rule's counter moved during the last run: the program's own answer. */
static int rule_hit(__u64 *before)
{
	int hit = -ENOENT;

	for (__u32 id = 0; id < NRULES; id++) {
		struct xf_counter c;
		__u64 sum;

		if (xf_rule_counter_read(bpf_map__fd(skel->maps.xf_rule_stats), id, &c))
			abort();
		sum = c.packets;
		if (sum != before[id]) {
			if (hit != -ENOENT)
				abort();	/* two rules counted one packet */
			hit = id;
		}
		before[id] = sum;
	}
	return hit;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static __u64 counts[NRULES];
	unsigned char buf[2048];
	int want, got, err;

	if (!skel) {
		setup();
		rule_hit(counts);
	}
	if (size < 14)	/* BPF_PROG_RUN refuses frames shorter than an Ethernet header */
		return 0;
	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = size, .repeat = 1);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xskflow_steer), &opts);
	if (err)
		abort();
	got = rule_hit(counts);
	want = xf_rules__classify_packet(rules, NRULES, data, size, 0);
	if (want == -EBADMSG)
		want = -ENOENT;	/* malformed frames pass without touching a rule */
	if (got != want) {
		fprintf(stderr, "fuzz_packet: the program picked rule %d, the reference %d\n", got,
			want);
		abort();
	}
	/* The verdict follows from the rule: drop, or pass (xsk without a socket passes). */
	if (opts.retval != (got >= 0 && rules[got].action == XF_RULE_DROP ? XDP_DROP : XDP_PASS))
		abort();
	return 0;
}
