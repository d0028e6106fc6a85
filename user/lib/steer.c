// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Steering program life cycle: load, attach with mode negotiation, read back what the
 * kernel gave us, swap rule sets atomically, read counters, detach. */
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include "xf_internal.h"
#include "rule_internal.h"
#include "xskflow.skel.h"

struct xf_steer {
	struct xskflow_bpf *skel;
	struct xdp_program *prog;
	int ifindex;
	char ifname[IF_NAMESIZE];
	char driver[XF_DRIVER_MAX];
	enum xf_attach_mode mode;
	struct xf_fallbacks fb;
};

static enum xdp_attach_mode to_libxdp(enum xf_attach_mode m)
{
	return m == XF_ATTACH_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static int try_attach(struct xf_steer *s, enum xf_attach_mode m)
{
	int err = xdp_program__attach(s->prog, s->ifindex, to_libxdp(m), 0);

	if (err > 0)
		err = -err;
	return err;
}

/* One line that names the interface, driver and mode, and says what to do. */
static void attach_error(const struct xf_steer *s, enum xf_attach_mode m, int err)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if ((err == -EEXIST || err == -EBUSY) && !bpf_xdp_query(s->ifindex, 0, &q) &&
	    q.attach_mode != XDP_ATTACHED_NONE) {
		xf_err("interface '%s' already has an XDP program attached (id %u); detach it first, "
		       "e.g. 'xdp-loader unload %s --all'", s->ifname, q.prog_id, s->ifname);
		return;
	}
	xf_err("interface '%s' (driver '%s'): %s XDP attach refused: %s; try --mode %s",
	       s->ifname, s->driver, xf_attach_mode_str(m), strerror(-err),
	       m == XF_ATTACH_NATIVE ? "generic or auto" : "native or auto");
}

static int read_back_mode(struct xf_steer *s, enum xf_attach_mode asked)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xdp_multiprog *mp;
	int err;

	err = bpf_xdp_query(s->ifindex, 0, &q);
	if (err)
		return err;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		s->mode = XF_ATTACH_NATIVE;
		break;
	case XDP_ATTACHED_SKB:
		s->mode = XF_ATTACH_GENERIC;
		break;
	case XDP_ATTACHED_MULTI:
		s->mode = asked;
		break;
	default:
		xf_err("interface '%s': the kernel reports no XDP program after attaching",
		       s->ifname);
		return -ENOENT;
	}

	mp = xdp_multiprog__get_from_ifindex(s->ifindex);
	if (!libxdp_get_error(mp)) {
		if (xdp_multiprog__is_legacy(mp))
			xf_fallback_add(&s->fb, "libxdp dispatcher unavailable on this kernel: "
					"attached as a single program, other XDP programs cannot "
					"share '%s'", s->ifname);
		xdp_multiprog__close(mp);
	}
	return 0;
}

struct xf_steer *xf_steer__attach(const char *ifname, const struct xf_steer_opts *opts)
{
	enum xf_attach_mode want = XF_OPT(opts, mode, XF_ATTACH_AUTO);
	enum xf_attach_mode m;
	struct xf_steer *s;
	int err;

	xf_install_lib_printers();
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	err = xf_iface_index(ifname);
	if (err < 0)
		goto err_free;
	s->ifindex = err;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	xf_iface_driver(ifname, s->driver, sizeof(s->driver));

	s->skel = xskflow_bpf__open();
	if (!s->skel) {
		err = -errno;
		xf_err("steering program: cannot open the embedded BPF object: %s", strerror(-err));
		goto err_free;
	}
	s->prog = xdp_program__from_bpf_obj(s->skel->obj, "xdp");
	err = libxdp_get_error(s->prog);
	if (err) {
		s->prog = NULL;
		xf_err("steering program: libxdp cannot use the BPF object: %s", strerror(-err));
		goto err_skel;
	}

	m = want == XF_ATTACH_GENERIC ? XF_ATTACH_GENERIC : XF_ATTACH_NATIVE;
	err = try_attach(s, m);
	if (err && want == XF_ATTACH_AUTO && err != -EEXIST && err != -EBUSY) {
		xf_fallback_add(&s->fb, "native XDP attach refused by driver '%s' (%s): using "
				"generic (SKB) mode", s->driver, strerror(-err));
		m = XF_ATTACH_GENERIC;
		err = try_attach(s, m);
	}
	if (err) {
		attach_error(s, m, err);
		goto err_prog;
	}
	err = read_back_mode(s, m);
	if (err)
		goto err_detach;
	if (want != XF_ATTACH_AUTO && s->mode != want) {
		xf_err("interface '%s' (driver '%s'): asked for %s XDP, the kernel reports %s",
		       s->ifname, s->driver, xf_attach_mode_str(want), xf_attach_mode_str(s->mode));
		err = -EOPNOTSUPP;
		goto err_detach;
	}
	xf_info("interface '%s' (driver '%s'): steering program attached in %s mode", s->ifname,
		s->driver, xf_attach_mode_str(s->mode));
	return s;

err_detach:
	xdp_program__detach(s->prog, s->ifindex, to_libxdp(m), 0);
err_prog:
	xdp_program__close(s->prog);
err_skel:
	xskflow_bpf__destroy(s->skel);
err_free:
	free(s);
	errno = -err;
	return NULL;
}

void xf_steer__detach(struct xf_steer *s)
{
	int err;

	if (!s)
		return;
	err = xdp_program__detach(s->prog, s->ifindex, to_libxdp(s->mode), 0);
	if (err)
		xf_warn("interface '%s': detaching the steering program failed: %s", s->ifname,
			strerror(err < 0 ? -err : err));
	xdp_program__close(s->prog);
	xskflow_bpf__destroy(s->skel);
	free(s);
}

static int delete_generation(int rules_fd, __u32 gen)
{
	struct xf_rule_key key, next, *doomed = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	/* Collect first: deleting while walking with get_next_key restarts the walk. */
	while (!bpf_map_get_next_key(rules_fd, prev, &next)) {
		if (next.slot / XF_MAX_MASKS == gen) {
			if (n == cap) {
				void *p;

				cap = cap ? cap * 2 : 256;
				p = realloc(doomed, cap * sizeof(*doomed));
				if (!p) {
					free(doomed);
					return -ENOMEM;
				}
				doomed = p;
			}
			doomed[n++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(rules_fd, &doomed[i]) && errno != ENOENT)
			err = -errno;
	free(doomed);
	return err;
}

/* Wait until every steering program run that started before now has finished. An update
 * of a map-of-maps makes the kernel wait for an RCU grace period (all running BPF programs
 * done) before returning, so one such update is the barrier. */
static int wait_for_programs(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int outer_fd = -1, inner_fd = -1;
	LIBBPF_OPTS(bpf_map_create_opts, o);
	__u32 zero = 0;
	int err = 0;

	pthread_mutex_lock(&lock);
	if (outer_fd < 0) {
		inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xf_barrier_in", 4, 4, 1, NULL);
		if (inner_fd < 0) {
			err = -errno;
			goto out;
		}
		o.inner_map_fd = inner_fd;
		outer_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "xf_barrier", 4, 4, 1, &o);
		if (outer_fd < 0) {
			err = -errno;
			close(inner_fd);
			inner_fd = -1;
			goto out;
		}
	}
	if (bpf_map_update_elem(outer_fd, &zero, &inner_fd, 0))
		err = -errno;
out:
	pthread_mutex_unlock(&lock);
	if (err)
		xf_err("cannot wait for running steering programs (map-of-maps barrier): %s",
		       strerror(-err));
	return err;
}

int xf_rules_install(int cfg_fd, int masks_fd, int rules_fd, const struct xf_rule *rules,
		     size_t n)
{
	struct xf_config cfg;
	struct xf_compiled c;
	__u32 zero = 0, idle;
	int err;

	err = xf_rules_compile(rules, n, &c);
	if (err)
		return err;
	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg)) {
		err = -errno;
		goto out;
	}
	/* Build the idle generation completely, then flip to it with one map write. Packets
	 * classified against the idle generation before the last flip may still be in flight:
	 * wait for them before touching it. */
	idle = (cfg.gen & 1) ^ 1;
	err = wait_for_programs();
	if (err)
		goto out;
	err = delete_generation(rules_fd, idle);
	if (err)
		goto out;
	for (__u32 i = 0; i < c.nmasks; i++) {
		__u32 slot = idle * XF_MAX_MASKS + i;
		struct xf_mask m = { .mask = c.masks[i] };

		if (bpf_map_update_elem(masks_fd, &slot, &m, 0)) {
			err = -errno;
			goto out;
		}
	}
	for (__u32 i = 0; i < c.nentries; i++) {
		struct xf_rule_key k = {
			.slot = idle * XF_MAX_MASKS + c.entries[i].mask_idx,
			.key = c.entries[i].key,
		};

		if (bpf_map_update_elem(rules_fd, &k, &c.entries[i].val, 0)) {
			err = -errno;
			goto out;
		}
	}
	/* Two writes: a reader that sees the new gen must also see its mask count, and the
	 * value copy gives no ordering between fields. */
	cfg.nmasks[idle] = c.nmasks;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, 0)) {
		err = -errno;
		goto out;
	}
	cfg.gen = idle;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, 0))
		err = -errno;
	else
		xf_dbg("%zu rules live (%u masks, %u entries, generation %u)", n, c.nmasks,
		       c.nentries, idle);
out:
	xf_rules_compiled_free(&c);
	return err;
}

int xf_steer__set_rules(struct xf_steer *s, const struct xf_rule *rules, size_t n)
{
	int err = xf_rules_install(bpf_map__fd(s->skel->maps.xf_config),
				   bpf_map__fd(s->skel->maps.xf_masks),
				   bpf_map__fd(s->skel->maps.xf_rules), rules, n);

	if (err == -E2BIG)
		xf_err("interface '%s': %zu rules need more than %d masks or %d table entries; "
		       "use fewer distinct rule shapes or port ranges", s->ifname, n, XF_MAX_MASKS,
		       XF_MAX_RULES);
	else if (err)
		xf_err("interface '%s': map 'xf_rules': cannot install %zu rules: %s; the previous "
		       "rules stay live", s->ifname, n, strerror(-err));
	return err;
}

static int percpu_sum(int fd, __u32 idx, __u64 *out, size_t nfields)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu < 0)
		return ncpu;
	vals = calloc((size_t)ncpu * nfields, sizeof(__u64));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &idx, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	memset(out, 0, nfields * sizeof(__u64));
	for (int c = 0; c < ncpu; c++)
		for (size_t f = 0; f < nfields; f++)
			out[f] += vals[(size_t)c * nfields + f];
	free(vals);
	return 0;
}

int xf_steer__rule_counter(const struct xf_steer *s, __u32 idx, struct xf_counter *c)
{
	__u64 v[2];
	int err;

	if (idx >= XF_MAX_RULES)
		return -EINVAL;
	err = percpu_sum(bpf_map__fd(s->skel->maps.xf_rule_stats), idx, v, 2);
	if (err)
		return err;
	c->packets = v[0];
	c->bytes = v[1];
	return 0;
}

int xf_steer__stats(const struct xf_steer *s, struct xf_steer_stats *st)
{
	__u64 *out[XF_STAT_MAX] = {
		[XF_STAT_PACKETS] = &st->packets,   [XF_STAT_MALFORMED] = &st->malformed,
		[XF_STAT_UNMATCHED] = &st->unmatched, [XF_STAT_PASS] = &st->pass,
		[XF_STAT_DROP] = &st->drop,	    [XF_STAT_XSK] = &st->xsk,
		[XF_STAT_XSK_NOSOCK] = &st->xsk_nosock,
	};
	int fd = bpf_map__fd(s->skel->maps.xf_stats);

	for (__u32 i = 0; i < XF_STAT_MAX; i++) {
		int err = percpu_sum(fd, i, out[i], 1);

		if (err)
			return err;
	}
	return 0;
}

enum xf_attach_mode xf_steer__attach_mode(const struct xf_steer *s)
{
	return s->mode;
}

const char *xf_steer__fallback(const struct xf_steer *s, size_t i)
{
	return xf_fallback_get(&s->fb, i);
}

int xf_steer__ifindex(const struct xf_steer *s)
{
	return s->ifindex;
}

const char *xf_steer__driver(const struct xf_steer *s)
{
	return s->driver;
}

int xf_steer_xskmap_fd(const struct xf_steer *s)
{
	return bpf_map__fd(s->skel->maps.xf_xsks);
}
