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

/* A burst of segments cut into packets: packet j is segs pkts[first[j]] ..
 * pkts[first[j] + nsegs[j] - 1], of len[j] bytes. Without multi-buffer every packet is one
 * segment. */
struct burst {
	struct xf_pkt *pkts;
	unsigned int np;
	unsigned int first[XFD_BURST], nsegs[XFD_BURST];
	__u32 len[XFD_BURST];
};

/* Append packet @j's segments to @out. */
static void put(const struct burst *b, unsigned int j, struct xf_pkt *out, unsigned int *nout)
{
	for (unsigned int s = 0; s < b->nsegs[j]; s++)
		out[(*nout)++] = b->pkts[b->first[j] + s];
}

/* Run one handler over the packets of the burst that go to it. */
static void run_handler(struct rt_port *p, struct handler *h, const struct burst *b,
			struct xskflowd_pkt *hp, const unsigned int *which, unsigned int n,
			struct xf_pkt *tx, unsigned int *ntx, struct xf_pkt *drop,
			unsigned int *ndrop)
{
	struct xskflowd_seg segs[XFD_BURST];
	struct xskflowd_chain chains[XFD_BURST];
	struct xskflowd_ctx ctx = {
		.ifname = p->ifc->conf.name, .queue = p->queue, .handler = h->conf.name,
		.chains = p->ifc->conf.multi_buffer ? chains : NULL,
	};
	__u32 fsize = p->ifc->conf.frame_size, nseg = 0;
	unsigned long long bytes = 0, ntxed = 0;

	for (unsigned int k = 0; k < n; k++) {
		unsigned int j = which[k];
		struct xf_pkt *pk = &b->pkts[b->first[j]];

		bytes += b->len[j];
		hp[k].room = fsize - (__u32)(pk->addr % fsize);
		chains[k] = (struct xskflowd_chain){
			.segs = &segs[nseg], .nsegs = b->nsegs[j], .len = b->len[j],
		};
		for (unsigned int s = 0; s < b->nsegs[j]; s++, nseg++)
			segs[nseg] = (struct xskflowd_seg){ .data = pk[s].data, .len = pk[s].len };
	}
	h->ops->burst(h, &ctx, hp, n);
	for (unsigned int k = 0; k < n; k++) {
		unsigned int j = which[k];
		struct xf_pkt *pk = &b->pkts[b->first[j]];

		if (hp[k].verdict != XSKFLOWD_TX || hp[k].len < 14 || hp[k].len > hp[k].room) {
			put(b, j, drop, ndrop);
		} else if (b->nsegs[j] == 1) {
			pk->len = hp[k].len;
			tx[(*ntx)++] = *pk;
			ntxed++;
		} else if (hp[k].len == pk->len) {
			/* A chain leaves as it came, but for the bytes rewritten in place. */
			put(b, j, tx, ntx);
			ntxed++;
		} else {
			put(b, j, drop, ndrop);
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
 * received at, in the same UMEM, so the payload is never copied; chains go whole (the
 * library queues whole chains only). What finds no room is dropped (counted), never held:
 * the RX side must keep its frames moving. */
static void run_forward(struct rt_port *p, struct handler *h, const struct burst *b,
			const unsigned int *which, unsigned int n, struct xf_pkt *drop,
			unsigned int *ndrop)
{
	struct rt_out *o = port_out(p, h->conf.iface);
	unsigned long long bytes = 0, sent_bytes = 0;
	struct xf_pkt out[XFD_BURST];
	unsigned int nout = 0, sent = 0, segs = 0, k;

	for (k = 0; k < n; k++) {
		put(b, which[k], out, &nout);
		bytes += b->len[which[k]];
	}
	/* No socket for the target only while a reload is switching tables. */
	if (o)
		segs = xf_port__tx(o->port, out, nout);
	/* Whole packets were queued: count them by their segments. */
	for (k = 0, nout = 0; k < n && nout + b->nsegs[which[k]] <= segs; k++) {
		nout += b->nsegs[which[k]];
		sent_bytes += b->len[which[k]];
	}
	sent = k;
	for (; k < n; k++)
		put(b, which[k], drop, ndrop);
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

/* The rule of @d that sends packet @j to a handler, or -1. A chain is classified on its
 * gathered copy in @gathered: the classifier checks IP lengths against the whole packet. */
static int lookup(const struct dispatch *d, const struct burst *b, unsigned int j,
		  const __u8 *gathered, __u32 queue)
{
	const struct xf_pkt *pk = &b->pkts[b->first[j]];
	const void *data = b->nsegs[j] > 1 ? gathered : pk->data;
	int r = xf_rules__classify_packet(d->rules, d->n, data, b->len[j], queue);

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
	unsigned int ntx = 0, ndrop = 0, unclassified = 0, sent, sent_pkts = 0;
	unsigned long long rx_bytes = 0, tx_bytes = 0;
	struct burst b = { .pkts = pkts };

	/* xf_port__rx hands out whole chains only. */
	for (unsigned int i = 0, s; i < n; i += s) {
		s = xf_pkt__segs(&pkts[i], n - i);
		if (!s)
			s = n - i;
		b.first[b.np] = i;
		b.nsegs[b.np] = s;
		b.len[b.np] = xf_pkt__len(&pkts[i], s);
		b.np++;
	}
	for (unsigned int j = 0; j < b.np; j++) {
		const struct dispatch *d = cur;
		int r;

		/* The library hands out at most XF_PKT_MAX_SEGS frames: scratch holds them. */
		if (b.nsegs[j] > 1)
			xf_pkt__gather(p->scratch, p->scratch_len, &b.pkts[b.first[j]], b.nsegs[j]);
		r = lookup(cur, &b, j, p->scratch, p->queue);
		/* Steered by the rule set before a reload, read after it. */
		if (r < 0 && alt) {
			d = alt;
			r = lookup(alt, &b, j, p->scratch, p->queue);
		}
		rx_bytes += b.len[j];
		hs[j] = NULL;
		if (r >= 0) {
			struct rt_rule *rr = d->rr[r];

			hs[j] = rr->handler;
			rule_of[j] = (unsigned int)r;
			atomic_fetch_add_explicit(&rr->dispatched, 1, relaxed);
			atomic_fetch_add_explicit(&rr->dispatched_bytes, b.len[j], relaxed);
		} else {
			put(&b, j, drop, &ndrop);
			unclassified++;
		}
	}
	/* One call per handler with all of its packets of this burst, in arrival order. */
	for (unsigned int i = 0; i < b.np; i++) {
		struct handler *h = hs[i];
		unsigned int m = 0;

		if (!h)
			continue;
		for (unsigned int j = i; j < b.np; j++) {
			const struct xf_pkt *pk = &pkts[b.first[j]];

			if (hs[j] != h)
				continue;
			which[m] = j;
			hp[m] = (struct xskflowd_pkt){
				.data = pk->data, .len = pk->len,
				.verdict = XSKFLOWD_DROP, .rule = rule_of[j],
			};
			m++;
			hs[j] = NULL;
		}
		if (h->conf.type == HT_FORWARD)
			run_forward(p, h, &b, which, m, drop, &ndrop);
		else
			run_handler(p, h, &b, hp, which, m, tx, &ntx, drop, &ndrop);
	}
	sent = ntx ? xf_port__tx(p->port, tx, ntx) : 0;
	/* Whole chains were queued; count packets by their last segments. */
	for (unsigned int i = 0; i < sent; i++) {
		tx_bytes += tx[i].len;
		sent_pkts += !(tx[i].options & XF_PKT_CONTD);
	}
	/* What the TX ring had no room for goes back to the pool. */
	if (sent < ntx) {
		unsigned int left = 0;

		for (unsigned int i = sent; i < ntx; i++)
			left += !(tx[i].options & XF_PKT_CONTD);
		atomic_fetch_add_explicit(&p->tx_full, left, relaxed);
		xf_port__release(p->port, tx + sent, ntx - sent);
	}
	if (ndrop)
		xf_port__release(p->port, drop, ndrop);
	atomic_fetch_add_explicit(&p->rx_packets, b.np, relaxed);
	atomic_fetch_add_explicit(&p->rx_bytes, rx_bytes, relaxed);
	atomic_fetch_add_explicit(&p->tx_packets, sent_pkts, relaxed);
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

/* napi_yield: the library decides by this thread's CPUs, so only the poller, once
 * pinned, can ask. The library's message names the interface and queue: the caller says
 * them before it, so they go. */
static int napi_yield(struct rt_port *p)
{
	char why[sizeof(p->setup_why) - 16], prefix[IF_NAMESIZE + 32];
	const char *msg = why;
	int err;

	xfd_log_capture(why, sizeof(why));
	err = xf_port__napi_yield(p->port);
	xfd_log_capture(NULL, 0);
	if (!err)
		return 0;
	snprintf(prefix, sizeof(prefix), "interface '%s' queue %u: ", p->ifc->conf.name,
		 p->queue);
	if (!strncmp(why, prefix, strlen(prefix)))
		msg += strlen(prefix);
	snprintf(p->setup_why, sizeof(p->setup_why), "napi_yield: %s",
		 *msg ? msg : strerror(-err));
	return err;
}

/* What the poller does on its own thread before it polls. Returns 0 or -errno with the
 * reason in p->setup_why. */
static int setup(struct rt_port *p)
{
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
	return p->ifc->conf.napi_yield ? napi_yield(p) : 0;
}

void *poller_main(void *arg)
{
	struct rt_port *p = arg;
	struct xf_pkt pkts[XFD_BURST];

	/* poller_start() reads the outcome after the post and, on failure, joins. */
	p->setup_err = setup(p);
	if (p->setup_err)
		atomic_store(&p->exited, true);
	sem_post(&p->ready);
	if (p->setup_err)
		return NULL;
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
