// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The plugin handler: a user's shared object with the entry points of plugin.h, loaded
 * with dlopen, checked for the ABI it was built against, fed packet bursts. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "xskflowd.h"

#define PLUGIN_STATS_MAX 2048

struct plugin_priv {
	void *dl;
	xskflowd_plugin_burst_fn burst;
	xskflowd_plugin_fini_fn fini;
	xskflowd_plugin_stats_fn stats;
	void *state;
};

/* Code loaded into a privileged daemon must be as protected as its config. */
static int check_file(const char *path, char *err, size_t len, const char *name)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, len, "handler '%s': plugin '%s': %s", name, path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, len, "handler '%s': plugin '%s' is not a regular file or is "
			 "writable by group or others; run 'chmod go-w %s'", name, path, path);
		return -EPERM;
	}
	return 0;
}

static void *need(void *dl, const char *sym, const char *path, const char *name, char *err,
		  size_t len)
{
	void *p = dlsym(dl, sym);

	if (!p)
		snprintf(err, len, "handler '%s': plugin '%s' does not export '%s' (see "
			 "include/xskflow/plugin.h)", name, path, sym);
	return p;
}

static int plugin_open(struct handler *h, char *err, size_t len)
{
	const struct cfg_handler *c = &h->conf;
	struct plugin_priv *pp;
	xskflowd_plugin_init_fn init;
	const __u32 *abi;
	int ret;

	ret = check_file(c->path, err, len, c->name);
	if (ret)
		return ret;
	pp = calloc(1, sizeof(*pp));
	if (!pp) {
		snprintf(err, len, "handler '%s': out of memory", c->name);
		return -ENOMEM;
	}
	pp->dl = dlopen(c->path, RTLD_NOW | RTLD_LOCAL);
	if (!pp->dl) {
		snprintf(err, len, "handler '%s': cannot load the plugin: %s", c->name, dlerror());
		free(pp);
		return -ENOEXEC;
	}
	ret = -ENOEXEC;
	abi = need(pp->dl, "xskflowd_plugin_abi", c->path, c->name, err, len);
	if (!abi)
		goto err;
	/* Every change so far only added to the interface: older plugins still work. */
	if (*abi < 1 || *abi > XSKFLOWD_PLUGIN_ABI) {
		snprintf(err, len, "handler '%s': plugin '%s' was built for plugin ABI %u, this "
			 "daemon has ABI 1 to %u; rebuild it against this plugin.h", c->name, c->path,
			 *abi, XSKFLOWD_PLUGIN_ABI);
		goto err;
	}
	*(void **)&init = need(pp->dl, "xskflowd_plugin_init", c->path, c->name, err, len);
	*(void **)&pp->burst = need(pp->dl, "xskflowd_plugin_burst", c->path, c->name, err, len);
	*(void **)&pp->fini = need(pp->dl, "xskflowd_plugin_fini", c->path, c->name, err, len);
	*(void **)&pp->stats = dlsym(pp->dl, "xskflowd_plugin_stats");
	if (!init || !pp->burst || !pp->fini)
		goto err;
	ret = init(c->args, &pp->state);
	if (ret) {
		snprintf(err, len, "handler '%s': plugin '%s' refused to start (args '%s'): %s",
			 c->name, c->path, c->args, strerror(ret < 0 ? -ret : ret));
		ret = ret < 0 ? ret : -ret;
		goto err;
	}
	h->priv = pp;
	log_info("handler '%s': plugin '%s' loaded", c->name, c->path);
	return 0;
err:
	dlclose(pp->dl);
	free(pp);
	return ret;
}

static void plugin_burst(struct handler *h, const struct xskflowd_ctx *ctx,
			 struct xskflowd_pkt *pkts, unsigned int n)
{
	struct plugin_priv *pp = h->priv;

	pp->burst(pp->state, ctx, pkts, n);
}

static void plugin_close(struct handler *h)
{
	struct plugin_priv *pp = h->priv;

	pp->fini(pp->state);
	dlclose(pp->dl);
	free(pp);
}

static void plugin_stats(struct handler *h, json_object *o)
{
	struct plugin_priv *pp = h->priv;
	char buf[PLUGIN_STATS_MAX];
	json_object *j;
	int n;

	json_object_object_add(o, "path", json_object_new_string(h->conf.path));
	if (!pp->stats)
		return;
	n = pp->stats(pp->state, buf, sizeof(buf));
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	buf[n] = '\0';
	j = json_tokener_parse(buf);
	if (j)
		json_object_object_add(o, "plugin", j);
}

const struct handler_ops plugin_ops = {
	.type = HT_PLUGIN,
	.open = plugin_open,
	.burst = plugin_burst,
	.close = plugin_close,
	.stats = plugin_stats,
};
