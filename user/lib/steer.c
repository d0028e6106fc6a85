// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Steering program life cycle: load, attach with mode negotiation, read back what the
 * kernel gave us, pin the maps so other processes can join, find and replace stale
 * instances, detach. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include "steer_internal.h"
#include "rule_internal.h"
#include "xskflow.skel.h"

#define XF_PROG_NAME "xskflow_steer"

static const char *const map_names[XF_M_MAX] = {
	[XF_M_CONFIG] = "xf_config",	   [XF_M_MASKS] = "xf_masks",
	[XF_M_RULES] = "xf_rules",	   [XF_M_RULE_STATS] = "xf_rule_stats",
	[XF_M_STATS] = "xf_stats",	   [XF_M_XSKS] = "xf_xsks",
	[XF_M_RULE_STORE] = "xf_rule_store", [XF_M_PREFILTER] = "xf_prefilter",
};

static enum xdp_attach_mode to_libxdp(enum xf_attach_mode m)
{
	return m == XF_ATTACH_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static struct xf_steer *steer_new(const char *ifname)
{
	struct xf_steer *s;
	int idx;

	xf_install_lib_printers();
	idx = xf_iface_index(ifname);
	if (idx < 0) {
		errno = -idx;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	for (int i = 0; i < XF_M_MAX; i++)
		s->fd[i] = -1;
	s->ifindex = idx;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	snprintf(s->pin_dir, sizeof(s->pin_dir), XF_PIN_ROOT "/%s", ifname);
	xf_iface_driver(ifname, s->driver, sizeof(s->driver));
	return s;
}

static void steer_free(struct xf_steer *s)
{
	for (int i = 0; i < XF_M_MAX; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	if (s->prog)
		xdp_program__close(s->prog);
	if (s->skel)
		xskflow_bpf__destroy(s->skel);
	free(s);
}

/* ---- pins ---- */

static void unpin_all(const char *dir)
{
	char path[128];

	for (int i = 0; i < XF_M_MAX; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int pin_all(struct xf_steer *s)
{
	char path[128];
	int err;

	if (mkdir(XF_PIN_ROOT, 0700) && errno != EEXIST)
		goto fail;
	if (mkdir(s->pin_dir, 0700) && errno != EEXIST)
		goto fail;
	for (int i = 0; i < XF_M_MAX; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->pin_dir, map_names[i]);
		if (bpf_obj_pin(s->fd[i], path))
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	xf_err("cannot pin the steering maps under %s: %s; is bpffs mounted on /sys/fs/bpf?",
	       s->pin_dir, strerror(-err));
	unpin_all(s->pin_dir);
	return err;
}

static int open_pins(struct xf_steer *s)
{
	char path[128];

	for (int i = 0; i < XF_M_MAX; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->pin_dir, map_names[i]);
		s->fd[i] = bpf_obj_get(path);
		if (s->fd[i] < 0)
			return -errno;
	}
	return 0;
}

/* ---- what is attached now ---- */

enum xf_owner_state {
	XF_NONE,	/* no XDP program on the interface */
	XF_OTHER,	/* someone else's program */
	XF_PERSISTENT,	/* ours, from 'xskflow attach' */
	XF_LIVE,	/* ours, owned by a running process */
	XF_STALE,	/* ours, its owner is gone or its pins are missing */
	XF_UNIDENTIFIED, /* a program we may not look up (no CAP_SYS_ADMIN) */
};

struct xf_existing {
	enum xf_owner_state state;
	__u32 prog_id;
	__u32 owner_pid;
	enum xf_attach_mode mode;
	struct xdp_program *prog;	/* ours, for detaching; caller closes */
};

static bool prog_uses_map(__u32 prog_id, int map_fd)
{
	struct bpf_prog_info info = {};
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(info), mlen = sizeof(minfo), ids[16];
	bool found = false;
	int fd;

	if (bpf_obj_get_info_by_fd(map_fd, &minfo, &mlen))
		return false;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++)
			found |= ids[i] == minfo.id;
	close(fd);
	return found;
}

/* The program attached to @ifindex: its id, mode, and (@name not NULL) name. libxdp's
 * multiprog queries leak a program fd per call on single-program attachments (libxdp
 * 1.3.1), so they are only used when a dispatcher is actually there. The name needs the
 * program's fd by id (BPF_PROG_GET_FD_BY_ID, CAP_SYS_ADMIN): without it this returns
 * -EPERM with @id and @mode set; the id and mode alone need only a netlink query. */
static int attached_prog(int ifindex, __u32 *id, enum xf_attach_mode *mode, char *name)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	*id = 0;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.attach_mode == XDP_ATTACHED_NONE)
		return 0;
	*id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.prog_id;
	*mode = q.drv_prog_id ? XF_ATTACH_NATIVE : XF_ATTACH_GENERIC;
	if (!name)
		return 0;
	name[0] = '\0';
	fd = bpf_prog_get_fd_by_id(*id);
	if (fd < 0)
		return -errno;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	close(fd);
	return 0;
}

static void find_existing(struct xf_steer *s, struct xf_existing *ex)
{
	char name[BPF_OBJ_NAME_LEN];
	struct xf_config cfg;
	struct xf_steer probe;
	__u32 zero = 0, id;

	memset(ex, 0, sizeof(*ex));
	name[0] = '\0';
	if (attached_prog(s->ifindex, &id, &ex->mode, name) == -EPERM && id) {
		ex->prog_id = id;
		ex->state = XF_UNIDENTIFIED;
		return;
	}
	if (!id || !name[0])
		return;
	ex->prog_id = id;
	ex->state = XF_OTHER;
	if (!strncmp(name, "xdp_dispatcher", 14)) {
		/* Ours may be one of the dispatcher's programs. */
		struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(s->ifindex);
		struct xdp_program *p = NULL;

		if (libxdp_get_error(mp) || !mp)
			return;
		while ((p = xdp_multiprog__next_prog(p, mp)))
			if (!strcmp(xdp_program__name(p), XF_PROG_NAME))
				break;
		if (p) {
			ex->prog_id = xdp_program__id(p);
			ex->prog = xdp_program__from_id(ex->prog_id);
			if (libxdp_get_error(ex->prog))
				ex->prog = NULL;
		}
		xdp_multiprog__close(mp);
		if (!p)
			return;
	} else if (strcmp(name, XF_PROG_NAME)) {
		return;
	}

	memcpy(&probe, s, sizeof(probe));
	for (int i = 0; i < XF_M_MAX; i++)
		probe.fd[i] = -1;
	ex->state = XF_STALE;
	if (!open_pins(&probe) && prog_uses_map(ex->prog_id, probe.fd[XF_M_CONFIG]) &&
	    !bpf_map_lookup_elem(probe.fd[XF_M_CONFIG], &zero, &cfg)) {
		ex->owner_pid = cfg.owner_pid;
		if (!cfg.owner_pid)
			ex->state = XF_PERSISTENT;
		else if (!kill((pid_t)cfg.owner_pid, 0) || errno == EPERM)
			ex->state = XF_LIVE;
	}
	for (int i = 0; i < XF_M_MAX; i++)
		if (probe.fd[i] >= 0)
			close(probe.fd[i]);
}

/* Detach the program of @prog_fd (attached directly, in @mode) from @ifindex, only if it is
 * still the one there (XDP_FLAGS_REPLACE): a netlink request, CAP_NET_ADMIN is enough. */
static int detach_fd(int ifindex, int prog_fd, enum xf_attach_mode mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = prog_fd);

	return bpf_xdp_detach(ifindex, (mode == XF_ATTACH_GENERIC ? XDP_FLAGS_SKB_MODE :
							   XDP_FLAGS_DRV_MODE) |
					       XDP_FLAGS_REPLACE, &o);
}

/* The same for a program known by id only: someone else's fd for it needs CAP_SYS_ADMIN. */
static int detach_direct(int ifindex, __u32 prog_id, enum xf_attach_mode mode)
{
	int fd = bpf_prog_get_fd_by_id(prog_id), err;

	if (fd < 0)
		return -errno;
	err = detach_fd(ifindex, fd, mode);
	close(fd);
	return err;
}

static int detach_existing(struct xf_steer *s, struct xf_existing *ex)
{
	int err = 0;

	if (ex->prog) {
		/* Behind a dispatcher: libxdp takes it out. */
		err = xdp_program__detach(ex->prog, s->ifindex, to_libxdp(ex->mode), 0);
		if (err > 0)
			err = -err;
		xdp_program__close(ex->prog);
		ex->prog = NULL;
	} else if (ex->prog_id) {
		err = detach_direct(s->ifindex, ex->prog_id, ex->mode);
	}
	unpin_all(s->pin_dir);
	return err;
}

/* ---- attach ---- */

static int try_attach(struct xf_steer *s, enum xf_attach_mode m)
{
	int err = xdp_program__attach(s->prog, s->ifindex, to_libxdp(m), 0);

	return err > 0 ? -err : err;
}

/* One line that names the interface, driver and mode, and says what to do. */
static void attach_error(const struct xf_steer *s, enum xf_attach_mode m, int err)
{
	xf_err("interface '%s' (driver '%s'): %s XDP attach refused: %s; try --mode %s",
	       s->ifname, s->driver, xf_attach_mode_str(m), strerror(-err),
	       m == XF_ATTACH_NATIVE ? "generic or auto" : "native or auto");
}

static int read_back_mode(struct xf_steer *s, enum xf_attach_mode asked)
{
	__u32 id;
	int err;

	err = attached_prog(s->ifindex, &id, &s->mode, NULL);
	if (err)
		return err;
	if (!id) {
		xf_err("interface '%s': the kernel reports no XDP program after attaching",
		       s->ifname);
		return -ENOENT;
	}
	(void)asked;
	s->prog_id = xdp_program__id(s->prog);
	s->dispatched = id != s->prog_id;
	if (!s->dispatched)
		xf_fallback_add(&s->fb, "libxdp dispatcher unavailable on this kernel: attached as "
				"a single program, other XDP programs cannot share '%s'", s->ifname);
	return 0;
}

/* Take our own program off the interface. Attached directly, by the fd we hold: no
 * lookup by id, so a process that kept only CAP_NET_ADMIN can do it. Behind a dispatcher,
 * libxdp finds the dispatcher by id, which needs CAP_SYS_ADMIN. */
static int detach_own(struct xf_steer *s)
{
	int err;

	if (!s->dispatched)
		return detach_fd(s->ifindex, xdp_program__fd(s->prog), s->mode);
	err = xdp_program__detach(s->prog, s->ifindex, to_libxdp(s->mode), 0);
	return err > 0 ? -err : err;
}

/* Refuse, join-hint or clean up whatever is attached already. */
static int check_existing(struct xf_steer *s)
{
	struct xf_existing ex;

	find_existing(s, &ex);
	switch (ex.state) {
	case XF_NONE:
		unpin_all(s->pin_dir);	/* leftovers of a program someone else detached */
		return 0;
	case XF_OTHER:
		xf_err("interface '%s' already has an XDP program attached (id %u); detach it "
		       "first, e.g. 'xdp-loader unload %s --all'", s->ifname, ex.prog_id, s->ifname);
		return -EEXIST;
	case XF_PERSISTENT:
		xdp_program__close(ex.prog);
		xf_err("interface '%s' already has the xskflow steering program attached "
		       "persistently; manage it with 'xskflow rule', join it with 'xskflow recv' "
		       "without -r, or remove it with 'xskflow detach -i %s'", s->ifname, s->ifname);
		return -EEXIST;
	case XF_LIVE:
		xdp_program__close(ex.prog);
		xf_err("interface '%s' is in use by xskflow process %u; stop it first", s->ifname,
		       ex.owner_pid);
		return -EBUSY;
	case XF_STALE:
		xf_fallback_add(&s->fb, "replaced a stale xskflow steering program (id %u) left "
				"on '%s' by a process that is gone", ex.prog_id, s->ifname);
		return detach_existing(s, &ex);
	case XF_UNIDENTIFIED:
		xf_err("interface '%s' already has an XDP program attached (id %u) that this "
		       "process cannot identify without CAP_SYS_ADMIN; detach it first (e.g. "
		       "'xdp-loader unload %s --all') or attach as root", s->ifname, ex.prog_id,
		       s->ifname);
		return -EPERM;
	}
	return 0;
}

struct xf_steer *xf_steer__attach(const char *ifname, const struct xf_steer_opts *opts)
{
	enum xf_attach_mode want = XF_OPT(opts, mode, XF_ATTACH_AUTO);
	struct xf_config cfg = {};
	enum xf_attach_mode m;
	struct xf_steer *s;
	__u32 zero = 0;
	int err;

	s = steer_new(ifname);
	if (!s)
		return NULL;
	s->persist = XF_OPT(opts, persist, false);
	err = check_existing(s);
	if (err)
		goto err_free;

	s->skel = xskflow_bpf__open();
	if (!s->skel) {
		err = -errno;
		xf_err("steering program: cannot open the embedded BPF object: %s", strerror(-err));
		goto err_free;
	}
	s->prog = xdp_program__from_bpf_obj(s->skel->obj, "xdp.frags");
	err = libxdp_get_error(s->prog);
	if (err) {
		s->prog = NULL;
		xf_err("steering program: libxdp cannot use the BPF object: %s", strerror(-err));
		goto err_free;
	}
	/* Frags-aware: multi-buffer sockets get packets bigger than a page, and drivers
	 * such as veth accept an MTU above one page only with such a program. */
	err = xdp_program__set_xdp_frags_support(s->prog, true);
	if (err) {
		xf_err("steering program: cannot mark it frags-aware: %s", strerror(-err));
		goto err_free;
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
		goto err_free;
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

	for (int i = 0; i < XF_M_MAX; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(s->skel->obj, map_names[i]);

		s->fd[i] = map ? fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0) : -1;
		if (s->fd[i] < 0) {
			err = map ? -errno : -ENOENT;
			xf_err("steering program: map '%s' unavailable: %s", map_names[i],
			       strerror(-err));
			goto err_detach;
		}
	}
	cfg.owner_pid = s->persist ? 0 : (__u32)getpid();
	if (bpf_map_update_elem(s->fd[XF_M_CONFIG], &zero, &cfg, 0)) {
		err = -errno;
		goto err_detach;
	}
	err = pin_all(s);
	if (err)
		goto err_detach;
	xf_info("interface '%s' (driver '%s'): steering program attached in %s mode", s->ifname,
		s->driver, xf_attach_mode_str(s->mode));
	return s;

err_detach:
	if (s->prog_id)
		detach_own(s);
	else
		xdp_program__detach(s->prog, s->ifindex, to_libxdp(m), 0);
err_free:
	steer_free(s);
	errno = -err;
	return NULL;
}

struct xf_steer *xf_steer__open(const char *ifname)
{
	struct xf_existing ex;
	struct xf_steer *s;
	int err;

	s = steer_new(ifname);
	if (!s)
		return NULL;
	find_existing(s, &ex);
	if (ex.prog)
		xdp_program__close(ex.prog);
	if (ex.state != XF_PERSISTENT) {
		/* Callers probe with this (recv joins if it can): the reason is in errno. */
		err = ex.state == XF_LIVE ? -EBUSY : ex.state == XF_OTHER ? -EEXIST :
		      ex.state == XF_UNIDENTIFIED ? -EPERM : -ENOENT;
		xf_dbg("interface '%s': no persistent xskflow steering program to join (%s)",
		       s->ifname, strerror(-err));
		goto err_free;
	}
	err = open_pins(s);
	if (err) {
		xf_err("interface '%s': cannot open the pinned maps under %s: %s", s->ifname,
		       s->pin_dir, strerror(-err));
		goto err_free;
	}
	s->mode = ex.mode;
	s->persist = true;
	return s;

err_free:
	steer_free(s);
	errno = -err;
	return NULL;
}

void xf_steer__close(struct xf_steer *s)
{
	if (!s)
		return;
	if (!s->persist) {
		xf_steer__detach(s);
		return;
	}
	steer_free(s);
}

void xf_steer__detach(struct xf_steer *s)
{
	struct xf_existing ex;
	char name[IF_NAMESIZE];
	int err;

	if (!s)
		return;
	if (!if_indextoname(s->ifindex, name)) {
		/* The interface is gone, and its XDP program with it. */
		unpin_all(s->pin_dir);
		steer_free(s);
		return;
	}
	if (s->prog && s->skel) {
		/* Someone may have detached it already (xf_steer__check() says so). */
		err = xf_steer__check(s) ? 0 : detach_own(s);
		unpin_all(s->pin_dir);
	} else {
		find_existing(s, &ex);
		err = ex.state == XF_NONE || ex.state == XF_OTHER ? 0 :
		      ex.state == XF_UNIDENTIFIED ? -EPERM : detach_existing(s, &ex);
	}
	if (err)
		xf_warn("interface '%s': detaching the steering program failed: %s", s->ifname,
			strerror(err < 0 ? -err : err));
	steer_free(s);
}

int xf_steer__check(struct xf_steer *s)
{
	struct xf_existing ex;
	char name[IF_NAMESIZE];

	if (!if_indextoname(s->ifindex, name))
		return -ENODEV;
	if (s->prog && !s->dispatched) {
		/* Our own program, attached directly: the id the kernel reports is ours while
		 * we hold its fd (ids are not reused before the program is freed). */
		__u32 id;
		enum xf_attach_mode mode;

		if (attached_prog(s->ifindex, &id, &mode, NULL))
			return -ENOENT;
		return id == s->prog_id ? 0 : -ENOENT;
	}
	find_existing(s, &ex);
	if (ex.prog)
		xdp_program__close(ex.prog);
	if (ex.state == XF_NONE || ex.state == XF_OTHER ||
	    !prog_uses_map(ex.prog_id, s->fd[XF_M_CONFIG]))
		return -ENOENT;
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

bool xf_steer__dispatched(const struct xf_steer *s)
{
	return s->dispatched;
}

bool xf_steer__persistent(const struct xf_steer *s)
{
	return s->persist;
}

int xf_steer_xskmap_fd(const struct xf_steer *s)
{
	return s->fd[XF_M_XSKS];
}
