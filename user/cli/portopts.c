// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The options every packet command shares (interface, queue, attach and bind mode, UMEM
 * and ring sizes, wakeup, busy polling), described once in a table, parsed by one function
 * and turned into a UMEM and a port by another. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

enum portopt_kind { K_STR, K_UINT, K_FLAG, K_ATTACH, K_BIND };

/* Value checks beyond the range. */
#define F_POW2		(1u << 0)	/* a power of two (ring sizes) */
#define F_ALIGNED_FS	(1u << 1)	/* 2048 or 4096: the CLI has no unaligned chunk mode */
#define F_FRAMES	(1u << 2)	/* the command may narrow the range (frames_lo/hi) */

#define OFF(f) offsetof(struct port_settings, f)

static const struct portopt {
	const char *name;
	int shortopt;		/* 0: long only */
	unsigned int set;	/* PO_* */
	enum portopt_kind kind;
	size_t off;
	unsigned long lo, hi;	/* K_UINT */
	unsigned int flags;
} portopts[] = {
	{ "interface", 'i', PO_IFACE, K_STR, OFF(ifname), 0, 0, 0 },
	{ "queue", 'q', PO_QUEUE, K_UINT, OFF(queue), 0, 255, 0 },
	{ "mode", 0, PO_MODE, K_ATTACH, OFF(mode), 0, 0, 0 },
	{ "bind", 0, PO_BIND, K_BIND, OFF(bind), 0, 0, 0 },
	{ "frame-size", 0, PO_FRAME_SIZE, K_UINT, OFF(frame_size), 2048, 4096, F_ALIGNED_FS },
	{ "frames", 0, PO_FRAMES, K_UINT, OFF(frames), 2, 1u << 24, F_FRAMES },
	{ "headroom", 0, PO_HEADROOM, K_UINT, OFF(headroom), 0, 4096, 0 },
	{ "ring-size", 0, PO_RING_SIZE, K_UINT, OFF(ring_size), 64, 1u << 20, F_POW2 },
	{ "rx-ring", 0, PO_RINGS, K_UINT, OFF(rx_ring), 64, 1u << 16, F_POW2 },
	{ "tx-ring", 0, PO_RINGS, K_UINT, OFF(tx_ring), 64, 1u << 16, F_POW2 },
	{ "fill-ring", 0, PO_RINGS, K_UINT, OFF(fill_ring), 64, 1u << 16, F_POW2 },
	{ "comp-ring", 0, PO_RINGS, K_UINT, OFF(comp_ring), 64, 1u << 16, F_POW2 },
	{ "no-wakeup", 0, PO_NO_WAKEUP, K_FLAG, OFF(no_wakeup), 0, 0, 0 },
	{ "hugepages", 0, PO_HUGEPAGES, K_FLAG, OFF(hugepages), 0, 0, 0 },
	{ "multi-buffer", 0, PO_MULTI_BUFFER, K_FLAG, OFF(multi_buffer), 0, 0, 0 },
	{ "busy-poll", 0, PO_BUSY_POLL, K_UINT, OFF(busy_poll), 0, 1000000, 0 },
	{ "busy-budget", 0, PO_BUSY_POLL, K_UINT, OFF(busy_budget), 1, 65535, 0 },
	{ "prefer-busy-poll", 0, PO_BUSY_POLL, K_FLAG, OFF(prefer_busy_poll), 0, 0, 0 },
	{ "napi-yield", 0, PO_NAPI_YIELD, K_FLAG, OFF(napi_yield), 0, 0, 0 },
};

#define N_PORTOPTS (sizeof(portopts) / sizeof(portopts[0]))
/* getopt codes of the long-only shared options: above any command's own. */
#define PORTOPT_CODE 0x1000
#define MAX_LONGOPTS 64

static int portopt_set(struct port_settings *ps, const struct portopt *po, const char *arg)
{
	void *field = (char *)ps + po->off;
	unsigned long lo = po->lo, hi = po->hi, v;
	char opt[32];

	snprintf(opt, sizeof(opt), "--%s", po->name);
	switch (po->kind) {
	case K_STR:
		*(const char **)field = arg;
		return 0;
	case K_FLAG:
		*(bool *)field = true;
		return 0;
	case K_ATTACH:
		if (xf_attach_mode_parse(arg, field)) {
			cli_err("%s: '%s' is not one of auto, native, generic", opt, arg);
			return -1;
		}
		return 0;
	case K_BIND:
		if (xf_bind_mode_parse(arg, field)) {
			cli_err("%s: '%s' is not one of auto, copy, zero-copy", opt, arg);
			return -1;
		}
		return 0;
	case K_UINT:
		break;
	}
	if ((po->flags & F_FRAMES) && ps->frames_hi) {
		lo = ps->frames_lo;
		hi = ps->frames_hi;
	}
	if (cli_uint(opt, arg, lo, hi, &v))
		return -1;
	if ((po->flags & F_POW2) && (v & (v - 1))) {
		cli_err("%s: %lu is not a power of two", opt, v);
		return -1;
	}
	if ((po->flags & F_ALIGNED_FS) && v != 2048 && v != 4096) {
		cli_err("%s: %lu is not 2048 or 4096", opt, v);
		return -1;
	}
	*(unsigned long *)field = v;
	return 0;
}

static const struct portopt *portopt_find(const struct port_settings *ps, int c)
{
	if (c >= PORTOPT_CODE && c < PORTOPT_CODE + (int)N_PORTOPTS)
		return &portopts[c - PORTOPT_CODE];
	for (size_t i = 0; i < N_PORTOPTS; i++)
		if (portopts[i].shortopt && portopts[i].shortopt == c && (ps->opts & portopts[i].set))
			return &portopts[i];
	return NULL;
}

int portopts_getopt(struct port_settings *ps, int argc, char **argv, const char *shortopts,
		    const struct option *own)
{
	struct option lopts[MAX_LONGOPTS];
	size_t n = 0;
	int c;

	for (; own && own->name; own++) {
		if (n == MAX_LONGOPTS - 1)
			goto too_many;
		lopts[n++] = *own;
	}
	for (size_t i = 0; i < N_PORTOPTS; i++) {
		const struct portopt *po = &portopts[i];

		if (!(ps->opts & po->set))
			continue;
		if (n == MAX_LONGOPTS - 1)
			goto too_many;
		lopts[n++] = (struct option){
			.name = po->name,
			.has_arg = po->kind == K_FLAG ? no_argument : required_argument,
			.val = po->shortopt ? po->shortopt : PORTOPT_CODE + (int)i,
		};
	}
	lopts[n] = (struct option){};

	while ((c = getopt_long(argc, argv, shortopts, lopts, NULL)) != -1) {
		const struct portopt *po = portopt_find(ps, c);

		if (!po)
			return c;
		if (portopt_set(ps, po, optarg))
			return PORTOPT_ERR;
	}
	return -1;
too_many:
	/* A command with this many options is a bug here, not a user error. */
	cli_err("internal error: more than %d long options", MAX_LONGOPTS - 1);
	return PORTOPT_ERR;
}

int port_settings_open(const struct port_settings *ps, struct xf_steer *steer, bool rx,
		       bool tx, struct xf_umem **umem, struct xf_port **port)
{
	/* --ring-size sizes both rings of the receive path; the four ring options each one. */
	__u32 fill = (__u32)(ps->fill_ring ? ps->fill_ring : ps->ring_size);
	__u32 rxs = (__u32)(ps->rx_ring ? ps->rx_ring : ps->ring_size);

	*port = NULL;
	XF_OPTS(xf_umem_opts, uopts, .frame_size = (__u32)ps->frame_size,
		.frame_count = (__u32)ps->frames, .headroom = (__u32)ps->headroom,
		.fill_size = fill, .comp_size = (__u32)ps->comp_ring,
		.numa_ifname = ps->numa_local ? ps->ifname : NULL,
		.flags = ps->hugepages ? XF_UMEM_F_HUGEPAGES : 0);
	*umem = xf_umem__create(&uopts);
	if (!*umem)
		return -1;
	XF_OPTS(xf_port_opts, popts, .queue = (__u32)ps->queue, .bind = ps->bind, .steer = steer,
		.rx_size = rx ? rxs : XF_PORT_NO_RING,
		.tx_size = tx ? (__u32)ps->tx_ring : XF_PORT_NO_RING,
		.no_need_wakeup = ps->no_wakeup, .busy_poll_usecs = (__u32)ps->busy_poll,
		.busy_poll_budget = (__u32)ps->busy_budget,
		.prefer_busy_poll = ps->prefer_busy_poll, .multi_buffer = ps->multi_buffer,
		.napi_yield = ps->napi_yield);
	*port = xf_port__create(ps->ifname, *umem, &popts);
	return *port ? 0 : -1;
}

void port_settings_finish(struct xf_port *port, struct xf_steer *steer, struct xf_umem *umem,
			  json_object *report, bool json)
{
	/* Socket out of the XSKMAP and closed, program detached, then the UMEM freed. */
	xf_port__destroy(port);
	xf_steer__close(steer);
	if (umem) {
		if (report)
			json_object_object_add(report, "frames_home",
					       json_object_new_boolean(xf_umem__free_frames(umem) ==
								       xf_umem__frame_count(umem)));
		xf_umem__destroy(umem);
	}
	/* Printed last: frames_home is only known once the socket is gone. */
	if (report) {
		report_print(report, json);
		json_object_put(report);
	}
}
