// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Dropping root after setup ([daemon] user): hand the pins to the user, switch uid and gid,
 * keep only the capabilities that running, reloading and stopping need (libcap). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "xskflowd.h"

/* What the daemon does after the drop, and what each of those needs. */
static const cap_value_t always[] = {
	CAP_NET_ADMIN,	/* attach/detach XDP (netlink) on reload and at exit; socket options */
	CAP_NET_RAW,	/* AF_XDP sockets for queues a reload starts */
	CAP_IPC_LOCK,	/* UMEM registration outside RLIMIT_MEMLOCK (which root cannot raise
			 * here without CAP_SYS_RESOURCE) */
	CAP_BPF,	/* load the program for an interface a reload adds; rule tables */
	CAP_PERFMON,	/* with CAP_BPF only, the verifier refuses the steering program
			 * (EACCES); CAP_SYS_ADMIN used to imply this */
};

/* The capabilities kept: always[], and what the configuration at start needs of
 *   CAP_SYS_NICE	napi_yield: pollers make themselves SCHED_FIFO to preempt their
 *			queue's NAPI thread, and every poller (the first ones too) starts
 *			after the drop;
 *   CAP_SYS_ADMIN	only behind libxdp's dispatcher: libxdp finds it by id
 *			(BPF_PROG_GET_FD_BY_ID) to detach; a program attached directly is
 *			detached by the fd the daemon holds.
 * Empty until privdrop(). */
static cap_value_t keep[sizeof(always) / sizeof(always[0]) + 2];
static size_t n_keep;

static bool kept(cap_value_t c)
{
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] == c)
			return true;
	return false;
}

static const struct cfg_iface *napi_yielder(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		if (cfg->ifaces[i].napi_yield)
			return &cfg->ifaces[i];
	return NULL;
}

/* Fill keep[] for the running state @rt. */
static void choose_caps(const struct runtime *rt)
{
	const struct cfg_iface *ny = napi_yielder(&rt->cfg);

	for (n_keep = 0; n_keep < sizeof(always) / sizeof(always[0]); n_keep++)
		keep[n_keep] = always[n_keep];
	if (ny) {
		keep[n_keep++] = CAP_SYS_NICE;
		log_info("interface '%s': napi_yield makes its pollers (all started after this "
			 "drop) SCHED_FIFO, which needs CAP_SYS_NICE: keeping it", ny->name);
	}
	for (size_t i = 0; i < rt->n_ifaces; i++) {
		if (rt->ifaces[i]->steer && xf_steer__dispatched(rt->ifaces[i]->steer)) {
			keep[n_keep++] = CAP_SYS_ADMIN;
			log_info("interface '%s': the steering program is behind libxdp's "
				 "dispatcher, which needs CAP_SYS_ADMIN to detach it: keeping it",
				 rt->ifaces[i]->conf.name);
			break;
		}
	}
}

int privdrop_reload_check(const struct config *cfg, char *err, size_t len)
{
	const struct cfg_iface *ny = napi_yielder(cfg);

	if (!n_keep || !ny || kept(CAP_SYS_NICE))
		return 0;
	snprintf(err, len, "%s:%u: napi_yield: [interface %s] turns it on, but xskflowd gave up "
		 "CAP_SYS_NICE when it switched to user '%s' (no interface had napi_yield then); "
		 "restart the daemon to apply", cfg->file, config_iface_line(ny, "napi_yield"),
		 ny->name, cfg->daemon.user);
	return -EPERM;
}

/* Whether @pw will be in group @gid after initgroups(). */
static bool in_group(const struct passwd *pw, gid_t gid)
{
	gid_t groups[256];
	int n = sizeof(groups) / sizeof(groups[0]);

	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return gid == pw->pw_gid;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* The permission bits (owner, group or other) that apply to @pw for @st; ACLs aside. */
static mode_t perm_for(const struct stat *st, const struct passwd *pw)
{
	if (st->st_uid == pw->pw_uid)
		return (st->st_mode >> 6) & 7;
	if (in_group(pw, st->st_gid))
		return (st->st_mode >> 3) & 7;
	return st->st_mode & 7;
}

/* Can @pw create and remove entries in @dir? */
static bool dir_writable_by(const char *dir, const struct passwd *pw)
{
	struct stat st;

	return !stat(dir, &st) && (perm_for(&st, pw) & 3) == 3;
}

static bool file_readable_by(const char *file, const struct passwd *pw)
{
	struct stat st;

	return !stat(file, &st) && (perm_for(&st, pw) & 4);
}

/* pcap handlers rotate (rename, create, gzip beside) and reloads create files: all as the
 * user, in the directory of each capture file. */
static int pcap_dirs_check(const struct config *cfg, const struct passwd *pw, char *err,
			   size_t len)
{
	for (size_t i = 0; i < cfg->n_handlers; i++) {
		const struct cfg_handler *h = &cfg->handlers[i];
		char path[PATH_MAX], *dir;

		if (h->type != HT_PCAP)
			continue;
		snprintf(path, sizeof(path), "%s", h->file);
		dir = dirname(path);
		if (!dir_writable_by(dir, pw)) {
			snprintf(err, len, "user: '%s' cannot write to %s, so [handler %s] could not "
				 "rotate or re-create %s after the drop; give it that directory or "
				 "put the file in one it owns", pw->pw_name, dir, h->name, h->file);
			return -EACCES;
		}
	}
	return 0;
}

int privdrop_check(const char *user, const struct config *cfg, const char *config,
		   const char *ctl_sock, char *err, size_t len)
{
	struct passwd *pw = getpwnam(user);
	char sockdir[CFG_SUN_PATH], *dir;

	if (!pw) {
		snprintf(err, len, "user: no user '%s' on this system", user);
		return -ENOENT;
	}
	snprintf(sockdir, sizeof(sockdir), "%s", ctl_sock);
	dir = dirname(sockdir);
	if (!dir_writable_by(dir, pw)) {
		snprintf(err, len, "user: '%s' cannot write to %s, so the control socket could not "
			 "be removed at exit; put control_socket in a directory it owns "
			 "(systemd: RuntimeDirectory=)", user, dir);
		return -EACCES;
	}
	/* Reloads read the file again, as the user. Only reading: others must not write. */
	if (!file_readable_by(config, pw)) {
		snprintf(err, len, "user: '%s' cannot read %s, so reloads would fail; give it "
			 "read access (chgrp %s %s; chmod 0640 %s)", user, config, user, config,
			 config);
		return -EACCES;
	}
	return pcap_dirs_check(cfg, pw, err, len);
}

/* The pin directory of an interface and its pins become the user's, and so does the root
 * of all pin directories: unpinning at exit removes the directory, a reload may add one. */
static int chown_pins(const char *ifname, uid_t uid, gid_t gid, char *err, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), XF_PIN_ROOT "/%s", ifname);
	if (chown(XF_PIN_ROOT, uid, gid) || chown(dir, uid, gid))
		goto fail;
	d = opendir(dir);
	if (!d)
		goto fail;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (fchownat(dirfd(d), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW)) {
			closedir(d);
			goto fail;
		}
	}
	closedir(d);
	return 0;
fail:
	snprintf(err, len, "user: cannot give the pins under %s to uid %u: %s", dir,
		 (unsigned int)uid, strerror(errno));
	return -errno;
}

/* Bounding set first: dropping from it needs CAP_SETPCAP, which the user will not have. */
static int drop_bounding(void)
{
	for (cap_value_t c = 0; c < cap_max_bits(); c++)
		if (!kept(c) && cap_drop_bound(c))
			return -errno;
	return 0;
}

static int set_caps(void)
{
	cap_t caps = cap_init();
	int ret = 0;

	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_PERMITTED, (int)n_keep, keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, (int)n_keep, keep, CAP_SET) ||
	    cap_set_proc(caps))
		ret = -errno;
	cap_free(caps);
	if (!ret && cap_reset_ambient())
		ret = -errno;
	return ret;
}

int privdrop(const char *user, struct runtime *rt, const char *ctl_sock, char *err, size_t len)
{
	struct passwd *pw = getpwnam(user);
	struct rlimit rl;
	char *caps_text;
	cap_t now;
	int ret;

	if (!pw) {
		snprintf(err, len, "user: no user '%s' on this system", user);
		return -ENOENT;
	}
	if (chown(ctl_sock, pw->pw_uid, pw->pw_gid)) {
		snprintf(err, len, "user: cannot give %s to '%s': %s", ctl_sock, user,
			 strerror(errno));
		return -errno;
	}
	/* Capture files opened as root: the user reopens them after a rotation. */
	for (size_t i = 0; i < rt->cfg.n_handlers; i++) {
		const struct cfg_handler *h = &rt->cfg.handlers[i];

		if (h->type == HT_PCAP && lchown(h->file, pw->pw_uid, pw->pw_gid) &&
		    errno != ENOENT) {
			snprintf(err, len, "user: cannot give %s to '%s': %s", h->file, user,
				 strerror(errno));
			return -errno;
		}
	}
	for (size_t i = 0; i < rt->n_ifaces; i++) {
		ret = chown_pins(rt->ifaces[i]->conf.name, pw->pw_uid, pw->pw_gid, err, len);
		if (ret)
			return ret;
	}
	choose_caps(rt);
	/* CAP_IPC_LOCK covers UMEMs; the soft limit still goes up to the hard one, for
	 * anything that asks the limit rather than the capability. */
	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	/* Keep the permitted set across setuid (this thread; no other thread exists yet
	 * but the pcap compressors, which glibc moves to the new ids without capabilities). */
	if (drop_bounding() || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    initgroups(pw->pw_name, pw->pw_gid) ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid)) {
		snprintf(err, len, "user: cannot switch to '%s': %s", user, strerror(errno));
		return -errno;
	}
	ret = set_caps();
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (ret || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, len, "user: cannot set the capabilities to keep: %s",
			 strerror(ret ? -ret : errno));
		return ret ? ret : -errno;
	}
	/* There is no way back: check. */
	if (setuid(0) == 0 || getuid() != pw->pw_uid || geteuid() != pw->pw_uid) {
		snprintf(err, len, "user: still able to become root after the switch to '%s'",
			 user);
		return -EPERM;
	}
	now = cap_get_proc();
	caps_text = now ? cap_to_text(now, NULL) : NULL;
	log_info("running as user '%s' (uid %u, gid %u) with capabilities %s", user,
		 (unsigned int)pw->pw_uid, (unsigned int)pw->pw_gid, caps_text ? caps_text : "?");
	cap_free(caps_text);
	cap_free(now);
	return 0;
}
