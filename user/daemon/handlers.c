// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Packet handlers: the registry by type, their life cycle and counters, and the simplest
 * one, count (count and drop: a capture sink). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xskflowd.h"

static const struct handler_ops *const types[HT_TYPES] = {
	[HT_COUNT] = &count_ops,
	[HT_REFLECT] = &reflect_ops,
	[HT_PCAP] = &pcap_ops,
	[HT_PLUGIN] = &plugin_ops,
	[HT_FORWARD] = &forward_ops,
};

struct handler *handler_open(const struct cfg_handler *conf, char *err, size_t len)
{
	struct handler *h;
	int ret;

	if ((unsigned int)conf->type >= HT_TYPES || !types[conf->type]) {
		snprintf(err, len, "handler '%s': type %d is not built in", conf->name, conf->type);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, len, "handler '%s': out of memory", conf->name);
		return NULL;
	}
	h->conf = *conf;
	h->ops = types[conf->type];
	if (h->ops->open) {
		ret = h->ops->open(h, err, len);
		if (ret) {
			free(h);
			return NULL;
		}
	}
	log_dbg("handler '%s' (%s) ready", conf->name, handler_type_str(conf->type));
	return h;
}

void handler_close(struct handler *h)
{
	if (!h)
		return;
	if (h->ops->close)
		h->ops->close(h);
	log_dbg("handler '%s' closed", h->conf.name);
	free(h);
}

/* Equal settings, whatever the lines they were written on. */
bool handler_same(const struct cfg_handler *a, const struct cfg_handler *b)
{
	return !strcmp(a->name, b->name) && a->type == b->type && !strcmp(a->file, b->file) &&
	       a->snaplen == b->snaplen && a->rotate_size == b->rotate_size &&
	       a->rotate_count == b->rotate_count && a->compress == b->compress &&
	       !strcmp(a->path, b->path) && !strcmp(a->args, b->args) &&
	       !strcmp(a->iface, b->iface);
}

json_object *handler_stats(struct handler *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(h->conf.name));
	json_object_object_add(o, "type", json_object_new_string(handler_type_str(h->conf.type)));
	json_object_object_add(o, "packets", json_object_new_uint64(atomic_load(&h->packets)));
	json_object_object_add(o, "bytes", json_object_new_uint64(atomic_load(&h->bytes)));
	json_object_object_add(o, "tx", json_object_new_uint64(atomic_load(&h->tx)));
	if (h->ops->stats)
		h->ops->stats(h, o);
	return o;
}

/* ---- count: the packets are counted by the caller; all of them are dropped ---- */

static void count_burst(struct handler *h, const struct xskflowd_ctx *ctx,
			struct xskflowd_pkt *pkts, unsigned int n)
{
	(void)h;
	(void)ctx;
	(void)pkts;
	(void)n;
}

const struct handler_ops count_ops = {
	.type = HT_COUNT,
	.burst = count_burst,
};

/* ---- forward: the poller transmits the frames out of its TX socket on the target
 * interface (see run_forward() in poller.c); burst is never called ---- */

static void forward_stats(struct handler *h, json_object *o)
{
	json_object_object_add(o, "interface", json_object_new_string(h->conf.iface));
	json_object_object_add(o, "forwarded", json_object_new_uint64(atomic_load(&h->forwarded)));
	json_object_object_add(o, "dropped", json_object_new_uint64(atomic_load(&h->fwd_dropped)));
}

const struct handler_ops forward_ops = {
	.type = HT_FORWARD,
	.burst = count_burst,
	.stats = forward_stats,
};
