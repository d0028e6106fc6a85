// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Port: an AF_XDP socket and its rings. Bind-mode negotiation, UMEM sharing between ports,
 * the RX/TX burst calls and frame hand-overs between the pool, the rings and the
 * application. Ring index work is done by libxdp's helpers (acquire/release inside). */
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include "compat.h"
#include "xf_internal.h"
#include "../../bpf/xf_abi.h"

#define XF_PORT_DEF_RING 2048
#define XF_BATCH 64
#define XF_BUSY_RETRIES 20
#define XF_BUSY_RETRY_US 50000

#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9	/* Linux 6.17+ */
#endif

_Static_assert(XF_PORT_SLOTS == XF_SLOTS, "public and map slot counts differ");
_Static_assert(XF_PKT_CONTD == XDP_PKT_CONTD, "public and kernel chain flags differ");
/* options went into the padding after len: callers built before it keep their layout. */
_Static_assert(sizeof(struct xf_pkt) == 24 && offsetof(struct xf_pkt, data) == 16,
	       "struct xf_pkt layout changed");

struct xf_port {
	struct xf_umem *umem;
	struct xf_fq *fq;		/* fill/completion pair of our (interface, queue) */
	__u8 fq_idx;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xf_steer *steer;
	int ifindex;
	__u32 queue, slot;
	bool has_rx, has_tx, need_wakeup, in_map, shared, sg;
	bool rx_dropping;		/* in the middle of dropping a chain that is too long */
	__u64 rx_chains_dropped;	/* chains of more than XF_PKT_MAX_SEGS frames */
	int napi_pid;			/* NAPI thread we yield to (napi_yield), or 0 */
	pid_t yield_tid;		/* the poller thread raised for it, or 0 */
	unsigned long long yield_started; /* when that thread started (tids are reused) */
	enum xf_bind_mode mode;
	char ifname[IF_NAMESIZE];
	char driver[XF_DRIVER_MAX];
	struct xf_fallbacks fb;
};

static void bind_error(const struct xf_port *p, enum xf_bind_mode m, int err)
{
	int nq = xf_iface_rx_queues(p->ifname);

	if (err == -EINVAL && nq > 0 && p->queue >= (__u32)nq) {
		xf_err("interface '%s' has %d RX queue(s); queue %u does not exist, pick one below %d",
		       p->ifname, nq, p->queue, nq);
		return;
	}
	if (p->sg && (err == -EINVAL || err == -EOPNOTSUPP)) {
		xf_err("interface '%s' (driver '%s') queue %u: %s bind with multi-buffer "
		       "(XDP_USE_SG) refused: %s; it needs Linux 6.6+ (and, for zero-copy, a driver "
		       "with multi-buffer support): bind without multi-buffer and keep packets "
		       "within one frame", p->ifname, p->driver, p->queue, xf_bind_mode_str(m),
		       strerror(-err));
		return;
	}
	if (err == -EBUSY) {
		xf_err("interface '%s' queue %u: another AF_XDP socket is already bound there with "
		       "its own UMEM; stop it, pick another queue, or share its UMEM", p->ifname,
		       p->queue);
		return;
	}
	xf_err("interface '%s' (driver '%s') queue %u: %s bind refused: %s; try --bind %s",
	       p->ifname, p->driver, p->queue, xf_bind_mode_str(m), strerror(-err),
	       m == XF_BIND_ZEROCOPY ? "copy or auto" : "auto");
}

/* The fill/completion pair for our (interface, queue): shared with the ports already
 * there, else a free one. */
static int fq_get(struct xf_port *p)
{
	struct xf_umem *u = p->umem;
	int free_idx = -1;

	for (int i = 0; i < XF_MAX_FQS; i++) {
		struct xf_fq *fq = &u->fq[i];

		if (fq->refs && fq->ifindex == p->ifindex && fq->queue == p->queue) {
			free_idx = i;
			break;
		}
		if (!fq->refs && free_idx < 0)
			free_idx = i;
	}
	if (free_idx < 0) {
		xf_err("umem: already bound on %d (interface, queue) pairs; use another UMEM",
		       XF_MAX_FQS);
		return -E2BIG;
	}
	p->fq_idx = free_idx;
	p->fq = &u->fq[free_idx];
	p->shared = p->fq->refs > 0;
	return 0;
}

/* Register the UMEM if no port has yet, and create + bind the socket in mode @m (ports
 * after the first inherit the UMEM's mode). A failed registration is logged here and
 * flagged: it is not the driver refusing a mode. */
static int try_bind(struct xf_port *p, const struct xf_port_opts *opts, enum xf_bind_mode m,
		    bool *reg_failed)
{
	struct xf_umem *u = p->umem;
	struct xsk_umem_config ucfg = {
		.fill_size = u->fill_size,
		.comp_size = u->comp_size,
		.frame_size = u->frame_size,
		.frame_headroom = u->headroom,
		.flags = u->unaligned ? XDP_UMEM_UNALIGNED_CHUNK_FLAG : 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = p->has_rx ? XF_OPT(opts, rx_size, XF_PORT_DEF_RING) : 0,
		.tx_size = p->has_tx ? XF_OPT(opts, tx_size, XF_PORT_DEF_RING) : 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = (m == XF_BIND_ZEROCOPY ? XDP_ZEROCOPY : XDP_COPY) |
			      (p->need_wakeup ? XDP_USE_NEED_WAKEUP : 0) |
			      (p->sg ? XDP_USE_SG : 0),
	};
	bool first = !u->xsk;
	int err;

	if (first) {
		err = xsk_umem__create(&u->xsk, u->area, u->size, &p->fq->fill, &p->fq->comp,
				       &ucfg);
		if (err) {
			u->xsk = NULL;
			*reg_failed = true;
			xf_err("umem: registering %zu bytes with the kernel failed: %s%s", u->size,
			       strerror(-err), err == -EPERM || err == -ENOMEM ?
			       " (locked memory: needs CAP_IPC_LOCK or a higher RLIMIT_MEMLOCK)" : "");
			return err;
		}
	}
	/* A socket closed a moment ago still holds its queue until the kernel's deferred
	 * release runs: give it up to a second before calling the queue busy. */
	for (int tries = 0;; tries++) {
		err = xsk_socket__create_shared(&p->xsk, p->ifname, p->queue, u->xsk,
						p->has_rx ? &p->rx : NULL,
						p->has_tx ? &p->tx : NULL, &p->fq->fill,
						&p->fq->comp, &scfg);
		if (err != -EBUSY || tries == XF_BUSY_RETRIES)
			break;
		usleep(XF_BUSY_RETRY_US);
	}
	if (err) {
		p->xsk = NULL;
		if (first) {
			/* Start the next attempt from a fresh registration. */
			xsk_umem__delete(u->xsk);
			u->xsk = NULL;
		}
	}
	return err;
}

/* False only when the kernel says for sure that the driver has no AF_XDP zero-copy. */
static bool zerocopy_offered(const struct xf_port *p)
{
	struct xf_xdp_features f = { .sz = sizeof(f) };

	if (xf_sysinfo_xdp_features(p->ifname, &f))
		return true;
	return f.xdp & XF_XDP_XSK_ZEROCOPY;
}

static int read_back_bind(struct xf_port *p)
{
	struct xdp_options o = {};
	socklen_t len = sizeof(o);

	if (getsockopt(xsk_socket__fd(p->xsk), SOL_XDP, XDP_OPTIONS, &o, &len))
		return -errno;
	p->mode = (o.flags & XDP_OPTIONS_ZEROCOPY) ? XF_BIND_ZEROCOPY : XF_BIND_COPY;
	return 0;
}

static int set_busy_poll(struct xf_port *p, const struct xf_port_opts *opts)
{
	int usecs = XF_OPT(opts, busy_poll_usecs, 0);
	int budget = XF_OPT(opts, busy_poll_budget, 0);
	int prefer = XF_OPT(opts, prefer_busy_poll, false);
	int fd = xsk_socket__fd(p->xsk);

	if (!usecs)
		return 0;
	if ((prefer && setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &prefer, sizeof(prefer))) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) ||
	    (budget && setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)))) {
		int err = -errno;

		xf_err("interface '%s' queue %u: busy polling refused: %s; it needs "
		       "CAP_NET_ADMIN and a kernel with SO_PREFER_BUSY_POLL (5.11+)", p->ifname,
		       p->queue, strerror(-err));
		return err;
	}
	return 0;
}

/* Close the socket; when the last port of our queue goes, the kernel lets go of the
 * frames in that queue's fill ring and in flight on its TX; when the last port of the
 * UMEM goes, the registration too. */
static void port_close(struct xf_port *p)
{
	struct xf_umem *u = p->umem;

	xf_napi_unyield(p->yield_tid, p->yield_started);
	p->yield_tid = 0;
	p->napi_pid = 0;
	xsk_socket__delete(p->xsk);
	p->xsk = NULL;
	u->nports--;
	if (--p->fq->refs == 0)
		xf_umem_reclaim(u, p->fq_idx);
	if (u->nports == 0) {
		xsk_umem__delete(u->xsk);
		u->xsk = NULL;
	}
}

/* In copy mode one sendto() sends at most 32 descriptors (the kernel's TX_BATCH_SIZE)
 * unless the socket raises its budget (6.17+): let one wakeup drain the whole TX ring.
 * Best effort: older kernels keep 32, zero-copy ignores it. */
static void set_tx_budget(struct xf_port *p)
{
	unsigned int budget = p->tx.size;

	if (!p->has_tx || p->mode != XF_BIND_COPY)
		return;
	if (setsockopt(xsk_socket__fd(p->xsk), SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget,
		       sizeof(budget)))
		xf_dbg("interface '%s' queue %u: TX budget stays at the kernel default: %s",
		       p->ifname, p->queue, strerror(errno));
}

/* Descriptors on the TX ring that the kernel has not consumed yet. */
static bool tx_pending(struct xf_port *p)
{
	return xsk_prod_nb_free(&p->tx, p->tx.size) < p->tx.size;
}

static void fill_ring_refill(struct xf_port *p)
{
	struct xf_umem *u = p->umem;
	struct xsk_ring_prod *fill = &p->fq->fill;
	__u8 place = XF_PLACE(XF_PLACE_FILL, p->fq_idx);
	__u64 addrs[XF_BATCH];
	__u32 n, idx, got;

	if (!p->has_rx)
		return;
	for (;;) {
		n = xsk_prod_nb_free(fill, XF_BATCH);
		if (n > XF_BATCH)
			n = XF_BATCH;
		if (!n || !u->nfree)
			return;
		got = xf_umem_pool_get(u, addrs, n, place);
		if (!got || xsk_ring_prod__reserve(fill, got, &idx) != got) {
			xf_umem_pool_put(u, addrs, got, place);
			return;
		}
		for (__u32 i = 0; i < got; i++)
			*xsk_ring_prod__fill_addr(fill, idx + i) = addrs[i];
		xsk_ring_prod__submit(fill, got);
	}
}

struct xf_port *xf_port__create(const char *ifname, struct xf_umem *umem,
				const struct xf_port_opts *opts)
{
	enum xf_bind_mode want = XF_OPT(opts, bind, XF_BIND_AUTO);
	bool reg_failed = false;
	enum xf_bind_mode m;
	struct xf_port *p;
	int err;

	xf_install_lib_printers();
	if (!umem) {
		errno = EINVAL;
		return NULL;
	}
	err = xf_iface_index(ifname);
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->umem = umem;
	p->ifindex = err;
	p->queue = XF_OPT(opts, queue, 0);
	p->slot = XF_OPT(opts, slot, 0);
	p->steer = XF_OPT(opts, steer, NULL);
	p->need_wakeup = !XF_OPT(opts, no_need_wakeup, false);
	p->has_rx = XF_OPT(opts, rx_size, 0) != XF_PORT_NO_RING;
	p->has_tx = XF_OPT(opts, tx_size, 0) != XF_PORT_NO_RING;
	p->sg = XF_OPT(opts, multi_buffer, false);
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	xf_iface_driver(ifname, p->driver, sizeof(p->driver));
	if (!p->has_rx && !p->has_tx) {
		xf_err("port: a port needs an RX ring, a TX ring or both");
		err = -EINVAL;
		goto err_free;
	}
	if (p->steer && (p->queue >= XF_MAX_QUEUES || p->slot >= XF_SLOTS)) {
		xf_err("interface '%s': queue %u slot %u is beyond the steering program's %d queues "
		       "of %d slots", p->ifname, p->queue, p->slot, XF_MAX_QUEUES, XF_SLOTS);
		err = -E2BIG;
		goto err_free;
	}
	err = fq_get(p);
	if (err)
		goto err_free;

	if (umem->xsk) {
		/* A shared UMEM has the mode of its first socket. */
		m = want;
		err = try_bind(p, opts, m, &reg_failed);
		if (err)
			xf_err("interface '%s' queue %u: cannot share the UMEM: %s", p->ifname,
			       p->queue, strerror(-err));
		if (err)
			goto err_free;
	} else {
		m = want == XF_BIND_COPY ? XF_BIND_COPY : XF_BIND_ZEROCOPY;
		if (want == XF_BIND_AUTO && !zerocopy_offered(p)) {
			/* Skip a doomed attempt: a failed zero-copy registration is freed by the
			 * kernel later, so the retry would be charged twice to locked memory. */
			xf_fallback_add(&p->fb, "zero-copy bind refused by driver '%s' (it does not "
					"advertise AF_XDP zero-copy): using copy mode, every packet "
					"is copied between the driver and the UMEM", p->driver);
			m = XF_BIND_COPY;
		}
		err = try_bind(p, opts, m, &reg_failed);
		if (err && want == XF_BIND_AUTO && !reg_failed && err != -EBUSY &&
		    err != -ENODEV && err != -EINVAL) {
			xf_fallback_add(&p->fb, "zero-copy bind refused by driver '%s' (%s): using "
					"copy mode, every packet is copied between the driver and "
					"the UMEM", p->driver, strerror(-err));
			m = XF_BIND_COPY;
			err = try_bind(p, opts, m, &reg_failed);
		}
		if (err) {
			if (!reg_failed)
				bind_error(p, m, err);
			goto err_free;
		}
	}
	umem->nports++;
	p->fq->ifindex = p->ifindex;
	p->fq->queue = p->queue;
	p->fq->refs++;

	err = read_back_bind(p);
	if (err)
		goto err_close;
	if (want != XF_BIND_AUTO && p->mode != want) {
		xf_err("interface '%s' (driver '%s'): asked for a %s bind, the kernel reports %s%s",
		       p->ifname, p->driver, xf_bind_mode_str(want), xf_bind_mode_str(p->mode),
		       umem->nports > 1 ? " (a shared UMEM keeps the mode of its first socket)" : "");
		err = -EOPNOTSUPP;
		goto err_close;
	}
	err = set_busy_poll(p, opts);
	if (err)
		goto err_close;
	set_tx_budget(p);
	if (XF_OPT(opts, napi_yield, false)) {
		err = xf_port__napi_yield(p);
		if (err)
			goto err_close;
	}
	fill_ring_refill(p);
	if (p->steer && p->has_rx) {
		__u32 key = p->queue * XF_SLOTS + p->slot;
		int fd = xsk_socket__fd(p->xsk);

		if (bpf_map_update_elem(xf_steer_xskmap_fd(p->steer), &key, &fd, 0)) {
			err = -errno;
			xf_err("map 'xf_xsks': cannot add the socket of '%s' queue %u slot %u: %s",
			       p->ifname, p->queue, p->slot, strerror(-err));
			goto err_close;
		}
		p->in_map = true;
	}
	xf_info("interface '%s' queue %u: socket bound in %s mode%s%s%s", p->ifname, p->queue,
		xf_bind_mode_str(p->mode), p->need_wakeup ? ", need_wakeup on" : "",
		p->sg ? ", multi-buffer on" : "",
		p->shared ? ", sharing its fill/completion rings" : "");
	return p;

err_close:
	port_close(p);
err_free:
	free(p);
	errno = -err;
	return NULL;
}

void xf_port__destroy(struct xf_port *p)
{
	if (!p)
		return;
	/* Stop steering into the socket before closing it. */
	if (p->in_map) {
		__u32 key = p->queue * XF_SLOTS + p->slot;

		if (bpf_map_delete_elem(xf_steer_xskmap_fd(p->steer), &key) && errno != ENOENT)
			xf_warn("map 'xf_xsks': cannot remove the socket of '%s' queue %u: %s",
				p->ifname, p->queue, strerror(errno));
	}
	port_close(p);
	free(p);
}

static void kick_rx(struct xf_port *p)
{
	recvfrom(xsk_socket__fd(p->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static void kick_tx(struct xf_port *p)
{
	/* EAGAIN/EBUSY/ENOBUFS mean "later"; the next call kicks again. */
	sendto(xsk_socket__fd(p->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
}

/* How many of the @n descriptors peeked at @idx form whole packets: a chain whose last
 * segment is not in the batch yet is left on the ring for the next call. */
/* How many of the @n descriptors at @idx form whole chains of at most XF_PKT_MAX_SEGS
 * frames. *@too_long: the first chain is longer than that. */
static __u32 whole_chains(struct xf_port *p, __u32 idx, __u32 n, bool *too_long)
{
	__u32 end = 0, segs = 0;

	*too_long = false;
	for (__u32 i = 0; i < n; i++) {
		if (++segs > XF_PKT_MAX_SEGS) {
			*too_long = !end;
			return end;
		}
		if (!(xsk_ring_cons__rx_desc(&p->rx, idx + i)->options & XDP_PKT_CONTD)) {
			end = i + 1;
			segs = 0;
		}
	}
	return end;
}

/* Drop the chain at the head of the RX ring, frame by frame back to the pool: the copy-mode
 * kernel splits a packet into as many frames as it needs (a 64 KiB packet is 32 frames of
 * 2 KiB), more than any caller is asked to take at once. Returns true once its last frame is
 * gone; until then (the rest not in the ring yet) xf_port__rx takes nothing else. */
static bool drop_chain(struct xf_port *p)
{
	__u8 fill = XF_PLACE(XF_PLACE_FILL, p->fq_idx);
	__u32 idx;

	while (xsk_ring_cons__peek(&p->rx, 1, &idx) == 1) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx);
		__u64 addr = xf_umem_flat_addr(p->umem, d->addr);
		bool more = d->options & XDP_PKT_CONTD;

		xsk_ring_cons__release(&p->rx, 1);
		xf_umem_pool_put(p->umem, &addr, 1, fill);
		if (!more) {
			p->rx_dropping = false;
			p->rx_chains_dropped++;
			return true;
		}
	}
	return false;
}

unsigned int xf_port__rx(struct xf_port *p, struct xf_pkt *pkts, unsigned int max)
{
	struct xf_umem *u = p->umem;
	__u8 fill = XF_PLACE(XF_PLACE_FILL, p->fq_idx), app = XF_PLACE(XF_PLACE_APP, 0);
	__u64 addrs[XF_BATCH];
	__u32 idx, n, done = 0;

	if (!p->has_rx)
		return 0;
	while (done < max) {
		__u32 want = max - done > XF_BATCH ? XF_BATCH : max - done;
		__u32 peeked;

		if (p->rx_dropping && !drop_chain(p))
			break;
		peeked = n = xsk_ring_cons__peek(&p->rx, want, &idx);
		if (!n)
			break;
		if (p->sg) {
			bool too_long;

			n = whole_chains(p, idx, n, &too_long);
			xsk_ring_cons__cancel(&p->rx, peeked - n);
			if (too_long) {
				p->rx_dropping = true;
				continue;
			}
			if (!n)
				break;
		}
		for (__u32 i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);
			struct xf_pkt *pk = &pkts[done + i];

			pk->addr = xf_umem_flat_addr(u, d->addr);
			pk->len = d->len;
			pk->options = p->sg ? d->options & XDP_PKT_CONTD : 0;
			pk->data = xsk_umem__get_data(u->area, pk->addr);
			addrs[i] = pk->addr;
		}
		xsk_ring_cons__release(&p->rx, n);
		xf_umem_move(u, addrs, n, fill, app);
		done += n;
		if (peeked < want)
			break;
	}
	fill_ring_refill(p);
	if (!done && p->need_wakeup && xsk_ring_prod__needs_wakeup(&p->fq->fill))
		kick_rx(p);
	return done;
}

/* Hand-overs of application-held packets, in batches of XF_BATCH addresses. */
static void pkts_handover(struct xf_umem *u, const struct xf_pkt *pkts, unsigned int n,
			  __u8 from, __u8 to)
{
	__u64 addrs[XF_BATCH];

	for (unsigned int done = 0; done < n;) {
		__u32 k = n - done > XF_BATCH ? XF_BATCH : n - done;

		for (__u32 i = 0; i < k; i++)
			addrs[i] = pkts[done + i].addr;
		if (to == XF_PLACE_FREE)
			xf_umem_pool_put(u, addrs, k, from);
		else
			xf_umem_move(u, addrs, k, from, to);
		done += k;
	}
}

void xf_port__release(struct xf_port *p, const struct xf_pkt *pkts, unsigned int n)
{
	pkts_handover(p->umem, pkts, n, XF_PLACE(XF_PLACE_APP, 0), XF_PLACE_FREE);
}

unsigned int xf_port__tx_alloc(struct xf_port *p, struct xf_pkt *pkts, unsigned int n)
{
	struct xf_umem *u = p->umem;
	__u64 addrs[XF_BATCH];
	unsigned int done = 0;

	while (done < n) {
		__u32 want = n - done > XF_BATCH ? XF_BATCH : n - done;
		__u32 got = xf_umem_pool_get(u, addrs, want, XF_PLACE(XF_PLACE_APP, 0));

		for (__u32 i = 0; i < got; i++) {
			struct xf_pkt *pk = &pkts[done + i];

			pk->addr = addrs[i] + u->headroom;
			pk->len = u->frame_size - u->headroom;
			pk->options = 0;
			pk->data = xsk_umem__get_data(u->area, pk->addr);
		}
		done += got;
		if (got < want)
			break;
	}
	return done;
}

/* On a multi-buffer port, how many of @pkts end on a whole packet: a chain is queued
 * entirely or not at all, or the kernel would glue it to the next packet. */
static unsigned int tx_whole(const struct xf_port *p, const struct xf_pkt *pkts, unsigned int n)
{
	if (!p->sg)
		return n;
	while (n && (pkts[n - 1].options & XF_PKT_CONTD))
		n--;
	return n;
}

unsigned int xf_port__tx(struct xf_port *p, const struct xf_pkt *pkts, unsigned int n)
{
	__u32 idx, room;

	if (!p->has_tx || !n)
		return 0;
	room = xsk_prod_nb_free(&p->tx, n);
	n = tx_whole(p, pkts, n < room ? n : room);
	if (!n || xsk_ring_prod__reserve(&p->tx, n, &idx) != n)
		return 0;
	for (__u32 i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&p->tx, idx + i);

		d->addr = pkts[i].addr;
		d->len = pkts[i].len;
		d->options = p->sg ? pkts[i].options & XF_PKT_CONTD : 0;
	}
	/* Frames are ours until submit: account first, then hand them to the kernel. */
	pkts_handover(p->umem, pkts, n, XF_PLACE(XF_PLACE_APP, 0),
		      XF_PLACE(XF_PLACE_TX, p->fq_idx));
	xsk_ring_prod__submit(&p->tx, n);
	if (!p->need_wakeup || xsk_ring_prod__needs_wakeup(&p->tx))
		kick_tx(p);
	return n;
}

unsigned int xf_port__complete(struct xf_port *p)
{
	struct xf_umem *u = p->umem;
	struct xsk_ring_cons *comp = &p->fq->comp;
	__u8 tx = XF_PLACE(XF_PLACE_TX, p->fq_idx);
	__u64 addrs[XF_BATCH];
	__u32 idx, n, total = 0;

	if (!p->has_tx)
		return 0;
	/* Kick only for descriptors the kernel has not taken: frames merely waiting for
	 * their completion need no syscall. */
	if (u->ntx && tx_pending(p) && (!p->need_wakeup || xsk_ring_prod__needs_wakeup(&p->tx)))
		kick_tx(p);
	while ((n = xsk_ring_cons__peek(comp, XF_BATCH, &idx))) {
		for (__u32 i = 0; i < n; i++)
			addrs[i] = *xsk_ring_cons__comp_addr(comp, idx + i);
		xsk_ring_cons__release(comp, n);
		total += xf_umem_complete(u, addrs, n, tx);
	}
	return total;
}

int xf_port__poll(struct xf_port *p, bool tx, int timeout_ms)
{
	struct pollfd pfd = { .fd = xsk_socket__fd(p->xsk), .events = tx ? POLLOUT : POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	return ret < 0 ? -errno : ret;
}

void *xf_port__push(const struct xf_port *p, struct xf_pkt *pkt, __u32 len)
{
	__u64 room = pkt->addr % p->umem->frame_size;

	if (len > room)
		return NULL;
	pkt->addr -= len;
	pkt->data = (__u8 *)pkt->data - len;
	pkt->len += len;
	return pkt->data;
}

int xf_port__push_vlan(const struct xf_port *p, struct xf_pkt *pkt, __u16 tpid, __u16 tci)
{
	__u8 *d;

	if (pkt->len < ETH_HLEN)
		return -EINVAL;
	d = xf_port__push(p, pkt, 4);
	if (!d)
		return -ENOSPC;
	/* Only the two MAC addresses move; the payload stays where it is. */
	memmove(d, d + 4, 2 * ETH_ALEN);
	d[12] = tpid >> 8;
	d[13] = tpid & 0xff;
	d[14] = tci >> 8;
	d[15] = tci & 0xff;
	return 0;
}

/* RFC 1071 one's-complement sum of @len bytes, added to @sum (not folded). */

void xf_encap_udp4(__u8 *d, __u32 inner, const struct xf_udp4_encap *e)
{
	__u32 ulen = sizeof(struct udphdr) + inner;
	struct ethhdr eth = { .h_proto = htons(ETH_P_IP) };
	struct iphdr ip = {
		.version = 4,
		.ihl = 5,
		.tos = XF_OPT(e, tos, 0),
		.tot_len = htons(sizeof(ip) + ulen),
		.frag_off = htons(0x4000),	/* DF: never fragment an encapsulated frame */
		.ttl = XF_OPT(e, ttl, 64),
		.protocol = IPPROTO_UDP,
		.saddr = e->saddr,
		.daddr = e->daddr,
	};
	struct udphdr udp = {
		.source = htons(e->sport),
		.dest = htons(e->dport),
		.len = htons(ulen),
	};

	memcpy(eth.h_dest, e->dst_mac, ETH_ALEN);
	memcpy(eth.h_source, e->src_mac, ETH_ALEN);
	ip.check = htons(xf_csum_fold(xf_csum_add(0, &ip, sizeof(ip))));
	if (XF_OPT(e, udp_csum, false)) {
		/* Pseudo-header, UDP header, then the inner frame where it lies. */
		__u32 sum = xf_csum_add(0, &ip.saddr, 8) + IPPROTO_UDP + ulen;

		sum = xf_csum_add(sum, &udp, sizeof(udp));
		sum = xf_csum_add(sum, d + XF_UDP4_ENCAP_LEN, inner);
		udp.check = htons(xf_csum_fold(sum));
		if (!udp.check)
			udp.check = 0xffff;	/* 0 would mean "no checksum" */
	}
	/* Built in aligned locals: after 14 bytes of Ethernet the IP header is unaligned. */
	memcpy(d, &eth, sizeof(eth));
	memcpy(d + sizeof(eth), &ip, sizeof(ip));
	memcpy(d + sizeof(eth) + sizeof(ip), &udp, sizeof(udp));
}

int xf_port__push_udp4(const struct xf_port *p, struct xf_pkt *pkt,
		       const struct xf_udp4_encap *e)
{
	__u8 *d;

	if (pkt->options & XF_PKT_CONTD ||
	    pkt->len > 0xffff - sizeof(struct iphdr) - sizeof(struct udphdr))
		return -EINVAL;
	d = xf_port__push(p, pkt, XF_UDP4_ENCAP_LEN);
	if (!d)
		return -ENOSPC;
	xf_encap_udp4(d, pkt->len - XF_UDP4_ENCAP_LEN, e);
	return 0;
}

int xf_port__xdp_stats(const struct xf_port *p, struct xf_xdp_stats *st)
{
	struct xdp_statistics ks = {};
	socklen_t len = sizeof(ks);

	if (getsockopt(xsk_socket__fd(p->xsk), SOL_XDP, XDP_STATISTICS, &ks, &len))
		return -errno;
	st->rx_dropped = ks.rx_dropped;
	st->rx_invalid_descs = ks.rx_invalid_descs;
	st->tx_invalid_descs = ks.tx_invalid_descs;
	st->rx_ring_full = ks.rx_ring_full;
	st->rx_fill_ring_empty_descs = ks.rx_fill_ring_empty_descs;
	st->tx_ring_empty_descs = ks.tx_ring_empty_descs;
	return 0;
}

void xf_port__frame_counts(const struct xf_port *p, struct xf_frame_counts *fc)
{
	struct xf_umem *u = p->umem;

	pthread_mutex_lock(&u->lock);
	fc->free = u->nfree;
	fc->fill = u->nfill;
	fc->app = u->napp;
	fc->tx = u->ntx;
	pthread_mutex_unlock(&u->lock);
}

void xf_port__rings(struct xf_port *p, struct xf_ring_occupancy *occ)
{
	memset(occ, 0, sizeof(*occ));
	if (p->has_rx) {
		occ->fill = p->fq->fill.size - xsk_prod_nb_free(&p->fq->fill, p->fq->fill.size);
		occ->rx = xsk_cons_nb_avail(&p->rx, p->rx.size);
	}
	if (p->has_tx) {
		occ->tx = p->tx.size - xsk_prod_nb_free(&p->tx, p->tx.size);
		occ->comp = xsk_cons_nb_avail(&p->fq->comp, p->fq->comp.size);
	}
}

void xf_port__ring_sizes(const struct xf_port *p, struct xf_ring_occupancy *sizes)
{
	sizes->fill = p->fq->fill.size;
	sizes->comp = p->fq->comp.size;
	sizes->rx = p->has_rx ? p->rx.size : 0;
	sizes->tx = p->has_tx ? p->tx.size : 0;
}

enum xf_bind_mode xf_port__bind_mode(const struct xf_port *p)
{
	return p->mode;
}

const char *xf_port__fallback(const struct xf_port *p, size_t i)
{
	return xf_fallback_get(&p->fb, i);
}

int xf_port__fd(const struct xf_port *p)
{
	return xsk_socket__fd(p->xsk);
}

bool xf_port__need_wakeup(const struct xf_port *p)
{
	return p->need_wakeup;
}

int xf_port__napi_yield(struct xf_port *p)
{
	if (!p->has_rx || p->napi_pid)
		return 0;
	return xf_napi_yield(p->ifname, p->queue, &p->napi_pid, &p->yield_tid,
			     &p->yield_started);
}

int xf_port__napi_thread(const struct xf_port *p)
{
	return p->napi_pid;
}

bool xf_port__multi_buffer(const struct xf_port *p)
{
	return p->sg;
}

__u64 xf_port__rx_chains_dropped(const struct xf_port *p)
{
	return p->rx_chains_dropped;
}

int xf_port_tx_raw(struct xf_port *p, __u64 addr, __u32 len)
{
	return xf_port_tx_raw_opts(p, addr, len, 0, true);
}

int xf_port_tx_raw_opts(struct xf_port *p, __u64 addr, __u32 len, __u32 options, bool kick)
{
	__u32 idx;

	if (!p->has_tx || xsk_ring_prod__reserve(&p->tx, 1, &idx) != 1)
		return -ENOSPC;
	xsk_ring_prod__tx_desc(&p->tx, idx)->addr = addr;
	xsk_ring_prod__tx_desc(&p->tx, idx)->len = len;
	xsk_ring_prod__tx_desc(&p->tx, idx)->options = options;
	xsk_ring_prod__submit(&p->tx, 1);
	if (kick)
		kick_tx(p);
	return 0;
}
