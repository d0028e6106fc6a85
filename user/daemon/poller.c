// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The poller: one thread per (interface, queue) owning that socket's rings. It classifies
 * each packet with the reference classifier, hands it to its rule's handler, transmits or
 * frees it. No locks: the dispatch table is swapped by pointer and retired by epoch. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xskflowd.h"

#define relaxed memory_order_relaxed

struct dispatch *dispatch_new(const struct rt_iface *ifc, struct rt_rule **rr, size_t n)
{
	struct dispatch *d = calloc(1, sizeof(*d));

	(void)ifc;
	if (!d)
		return NULL;
	d->n = n;
	d->rules = calloc(n ? n : 1, sizeof(*d->rules));
	d->rr = calloc(n ? n : 1, sizeof(*d->rr));
	if (!d->rules || !d->rr) {
		dispatch_free(d);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		d->rules[i] = rr[i]->conf.rule;
		d->rr[i] = rr[i];
	}
	return d;
}

void dispatch_free(struct dispatch *d)
{
	if (!d)
		return;
	free(d->rules);
	free(d->rr);
	free(d);
}

/* Run one handler over the packets of the burst that go to it. */
static void run_handler(struct rt_port *p, struct handler *h, struct xf_pkt *pkts,
			struct xskflowd_pkt *hp, const unsigned int *which, unsigned int n,
			struct xf_pkt *tx, unsigned int *ntx, struct xf_pkt *drop,
			unsigned int *ndrop)
{
	struct xskflowd_ctx ctx = {
		.ifname = p->ifc->conf.name, .queue = p->queue, .handler = h->conf.name,
	};
	__u32 fsize = p->ifc->conf.frame_size;
	unsigned long long bytes = 0, ntxed = 0;

	for (unsigned int k = 0; k < n; k++) {
		struct xf_pkt *pk = &pkts[which[k]];

		bytes += pk->len;
		hp[k].room = fsize - (__u32)(pk->addr % fsize);
	}
	h->ops->burst(h, &ctx, hp, n);
	for (unsigned int k = 0; k < n; k++) {
		struct xf_pkt *pk = &pkts[which[k]];

		if (hp[k].verdict == XSKFLOWD_TX && hp[k].len >= 14 && hp[k].len <= hp[k].room) {
			pk->len = hp[k].len;
			tx[(*ntx)++] = *pk;
			ntxed++;
		} else {
			drop[(*ndrop)++] = *pk;
		}
	}
	atomic_fetch_add_explicit(&h->packets, n, relaxed);
	atomic_fetch_add_explicit(&h->bytes, bytes, relaxed);
	atomic_fetch_add_explicit(&h->tx, ntxed, relaxed);
}

static struct rt_out *port_out(struct rt_port *p, const char *ifname)
{
	for (unsigned int i = 0; i < p->nouts; i++)
		if (!strcmp(p->outs[i].ifname, ifname))
			return &p->outs[i];
	return NULL;
}

/* Forward: the descriptors go into the target's TX ring with the addresses they were
 * received at, in the same UMEM, so the payload is never copied. What finds no room is
 * dropped (counted), never held: the RX side must keep its frames moving. */
static void run_forward(struct rt_port *p, struct handler *h, struct xf_pkt *pkts,
			const unsigned int *which, unsigned int n, struct xf_pkt *drop,
			unsigned int *ndrop)
{
	struct rt_out *o = port_out(p, h->conf.iface);
	unsigned long long bytes = 0, sent_bytes = 0;
	struct xf_pkt out[XFD_BURST];
	unsigned int sent = 0;

	for (unsigned int k = 0; k < n; k++) {
		out[k] = pkts[which[k]];
		bytes += out[k].len;
	}
	/* No socket for the target only while a reload is switching tables. */
	if (o)
		sent = xf_port__tx(o->port, out, n);
	for (unsigned int k = 0; k < sent; k++)
		sent_bytes += out[k].len;
	for (unsigned int k = sent; k < n; k++)
		drop[(*ndrop)++] = out[k];
	if (o) {
		atomic_fetch_add_explicit(&o->tx_packets, sent, relaxed);
		atomic_fetch_add_explicit(&o->tx_bytes, sent_bytes, relaxed);
		atomic_fetch_add_explicit(&o->tx_full, n - sent, relaxed);
	}
	atomic_fetch_add_explicit(&h->packets, n, relaxed);
	atomic_fetch_add_explicit(&h->bytes, bytes, relaxed);
	atomic_fetch_add_explicit(&h->forwarded, sent, relaxed);
	atomic_fetch_add_explicit(&h->fwd_dropped, n - sent, relaxed);
}

/* The rule of @d that sends this packet to a handler, or -1. */
static int lookup(const struct dispatch *d, const struct xf_pkt *pk, __u32 queue)
{
	int r = xf_rules__classify_packet(d->rules, d->n, pk->data, pk->len, queue);

	if (r >= 0 && d->rules[r].action == XF_RULE_XSK && d->rr[r]->handler)
		return r;
	return -1;
}

static void process(struct rt_port *p, const struct dispatch *cur, const struct dispatch *alt,
		    struct xf_pkt *pkts, unsigned int n)
{
	struct handler *hs[XFD_BURST];
	struct xskflowd_pkt hp[XFD_BURST];
	unsigned int which[XFD_BURST], rule_of[XFD_BURST];
	struct xf_pkt tx[XFD_BURST], drop[XFD_BURST];
	unsigned int ntx = 0, ndrop = 0, unclassified = 0, sent;
	unsigned long long rx_bytes = 0, tx_bytes = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct dispatch *d = cur;
		int r = lookup(cur, &pkts[i], p->queue);

		/* Steered by the rule set before a reload, read after it. */
		if (r < 0 && alt) {
			d = alt;
			r = lookup(alt, &pkts[i], p->queue);
		}
		rx_bytes += pkts[i].len;
		hs[i] = NULL;
		if (r >= 0) {
			struct rt_rule *rr = d->rr[r];

			hs[i] = rr->handler;
			rule_of[i] = (unsigned int)r;
			atomic_fetch_add_explicit(&rr->dispatched, 1, relaxed);
			atomic_fetch_add_explicit(&rr->dispatched_bytes, pkts[i].len, relaxed);
		} else {
			drop[ndrop++] = pkts[i];
			unclassified++;
		}
	}
	/* One call per handler with all of its packets of this burst, in arrival order. */
	for (unsigned int i = 0; i < n; i++) {
		struct handler *h = hs[i];
		unsigned int m = 0;

		if (!h)
			continue;
		for (unsigned int j = i; j < n; j++) {
			if (hs[j] != h)
				continue;
			which[m] = j;
			hp[m] = (struct xskflowd_pkt){
				.data = pkts[j].data, .len = pkts[j].len,
				.verdict = XSKFLOWD_DROP, .rule = rule_of[j],
			};
			m++;
			hs[j] = NULL;
		}
		if (h->conf.type == HT_FORWARD)
			run_forward(p, h, pkts, which, m, drop, &ndrop);
		else
			run_handler(p, h, pkts, hp, which, m, tx, &ntx, drop, &ndrop);
	}
	sent = ntx ? xf_port__tx(p->port, tx, ntx) : 0;
	for (unsigned int i = 0; i < sent; i++)
		tx_bytes += tx[i].len;
	/* What the TX ring had no room for goes back to the pool. */
	if (sent < ntx) {
		atomic_fetch_add_explicit(&p->tx_full, ntx - sent, relaxed);
		xf_port__release(p->port, tx + sent, ntx - sent);
	}
	if (ndrop)
		xf_port__release(p->port, drop, ndrop);
	atomic_fetch_add_explicit(&p->rx_packets, n, relaxed);
	atomic_fetch_add_explicit(&p->rx_bytes, rx_bytes, relaxed);
	atomic_fetch_add_explicit(&p->tx_packets, sent, relaxed);
	atomic_fetch_add_explicit(&p->tx_bytes, tx_bytes, relaxed);
	if (unclassified)
		atomic_fetch_add_explicit(&p->unclassified, unclassified, relaxed);
}

static void complete_all(struct rt_port *p)
{
	xf_port__complete(p->port);
	for (unsigned int i = 0; i < p->nouts; i++) {
		unsigned int n = xf_port__complete(p->outs[i].port);

		if (n)
			atomic_fetch_add_explicit(&p->outs[i].tx_completed, n, relaxed);
	}
}

static void publish_frames(struct rt_port *p)
{
	struct xf_frame_counts fc;

	xf_port__frame_counts(p->port, &fc);
	atomic_store_explicit(&p->fc_free, fc.free, relaxed);
	atomic_store_explicit(&p->fc_fill, fc.fill, relaxed);
	atomic_store_explicit(&p->fc_app, fc.app, relaxed);
	atomic_store_explicit(&p->fc_tx, fc.tx, relaxed);
}

void *poller_main(void *arg)
{
	struct rt_port *p = arg;
	struct xf_pkt pkts[XFD_BURST];
	char name[16];

	snprintf(name, sizeof(name), "xf:%.8s:%u", p->ifc->conf.name, p->queue);
	pthread_setname_np(pthread_self(), name);
	if (p->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(p->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			log_warn("interface '%s' queue %u: cannot pin the poller to CPU %d",
				 p->ifc->conf.name, p->queue, p->cpu);
	}
	while (!atomic_load(&p->stop)) {
		/* The tables are read once per pass; the control thread frees an old one
		 * only after seeing the epoch move past the pass that could have read it. */
		const struct dispatch *d = atomic_load(&p->disp);
		const struct dispatch *alt = atomic_load(&d->alt);
		unsigned int n = xf_port__rx(p->port, pkts, XFD_BURST);

		if (n)
			process(p, d, alt, pkts, n);
		else
			atomic_fetch_add(&p->rx_empty, 1);
		complete_all(p);
		publish_frames(p);
		atomic_fetch_add(&p->epoch, 1);
		if (!n) {
			int err = xf_port__poll(p->port, false, XFD_POLL_MS);

			if (err < 0 && err != -EINTR) {
				log_err("interface '%s' queue %u: poll: %s; the poller stops",
					p->ifc->conf.name, p->queue, strerror(-err));
				break;
			}
		}
	}
	/* Frames still in the TX rings come home when the sockets are closed. */
	complete_all(p);
	publish_frames(p);
	atomic_store(&p->exited, true);
	return NULL;
}
