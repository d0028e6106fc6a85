/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the BPF_PROG_RUN tests of the steering program share: the program loaded once per
 * test binary, packets built byte by byte, one packet run, per-CPU counters summed.
 * Header-only for tests/unit/test_*.c: define PKT_MAX, then include after <cmocka.h>. */
#ifndef XF_TESTS_STEER_PROG_H
#define XF_TESTS_STEER_PROG_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xskflow.skel.h"

#ifndef PKT_MAX
#error "define PKT_MAX (the largest test packet) before including steer_prog.h"
#endif

/* ---- packets ---- */

/* Where a layer starts in a built packet, for builders that fit lengths or cut there. */
enum layer { AT_ETH, AT_VLAN, AT_L3, AT_EXT, AT_L4, AT_MAX };

struct pkt {
	/* NET_IP_ALIGN: after the 14-byte Ethernet header, IP headers are 4-byte aligned. */
	__u8 align_pad[2];
	__u8 buf[PKT_MAX];
	size_t len;
	size_t off[AT_MAX];
} __attribute__((aligned(8)));

/* @n zeroed bytes appended to @p; a packet that outgrows PKT_MAX fails the test. */
static void *pkt_put(struct pkt *p, size_t n)
{
	void *h = p->buf + p->len;

	if (p->len + n > sizeof(p->buf))
		fail_msg("test packet longer than %zu bytes", sizeof(p->buf));
	memset(h, 0, n);
	p->len += n;
	return h;
}

static void put_addr(int af, const char *text, void *dst)
{
	if (inet_pton(af, text, dst) != 1)
		fail_msg("bad address '%s' in the test", text);
}

/* Big-endian, negative values as 0: lengths fitted with a delta may go below zero. */
static void put_be16(__u8 *at, long v)
{
	if (v < 0)
		v = 0;
	at[0] = v >> 8;
	at[1] = v & 0xff;
}

/* ---- the program ---- */

static struct xskflow_bpf *skel;
static int load_err, ncpus;
static __u64 *cpu_vals;		/* one per-CPU map value: ncpus * 2 words */

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	libbpf_set_print(quiet);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1)
		return -1;
	cpu_vals = calloc((size_t)ncpus * 2, sizeof(*cpu_vals));
	if (!cpu_vals)
		return -1;
	skel = xskflow_bpf__open_and_load();
	if (!skel)
		load_err = errno;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	xskflow_bpf__destroy(skel);
	free(cpu_vals);
	return 0;
}

/* Skip without the privilege to load BPF; any other load failure is a failure. */
static void need_skel(void)
{
	if (skel)
		return;
	if (load_err == EPERM || load_err == EACCES)
		skip();
	fail_msg("loading the steering program: %s", strerror(load_err));
}

/* Entry @idx of per-CPU @map, whose values are @nfields 64-bit words, summed over CPUs. */
static void percpu_sum(struct bpf_map *map, __u32 idx, __u64 *out, size_t nfields)
{
	if (bpf_map_lookup_elem(bpf_map__fd(map), &idx, cpu_vals))
		fail_msg("map '%s': lookup of %u: %s", bpf_map__name(map), idx, strerror(errno));
	memset(out, 0, nfields * sizeof(*out));
	for (int c = 0; c < ncpus; c++)
		for (size_t f = 0; f < nfields; f++)
			out[f] += cpu_vals[(size_t)c * nfields + f];
}

/* One BPF_PROG_RUN of @p. Returns 0 (verdict in *@retval) or -errno. */
static int try_run_packet(const struct pkt *p, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	__u8 in[32 + PKT_MAX] = {};
	struct xdp_md ctx = {};
	int err;

	memcpy(in, p->buf, p->len);
	ctx.data_end = p->len;
	opts.data_in = in;
	opts.data_size_in = ctx.data_end;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xskflow_steer), &opts);
	*retval = opts.retval;
	return err;
}

static __u32 run_packet(const struct pkt *p)
{
	__u32 retval = 0;
	int err = try_run_packet(p, &retval);

	if (err)
		fail_msg("BPF_PROG_RUN on a %zu-byte packet: %s", p->len, strerror(-err));
	return retval;
}

#endif /* XF_TESTS_STEER_PROG_H */
