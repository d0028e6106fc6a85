// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Port: an AF_XDP socket and its rings. Bind-mode negotiation, the RX/TX burst calls and
 * frame hand-overs between the pool, the rings and the application. Ring index work is
 * done by libxdp's helpers (acquire/release ordering inside). */
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include "xf_internal.h"
#include "../../bpf/xf_abi.h"

#define XF_PORT_DEF_RING 2048
#define XF_BATCH 64

struct xf_port {
	struct xf_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xf_steer *steer;
	__u32 queue;
	bool has_rx, has_tx, need_wakeup, in_map;
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
	if (err == -EBUSY) {
		xf_err("interface '%s' queue %u: another AF_XDP socket is already bound there; stop "
		       "it or pick another queue", p->ifname, p->queue);
		return;
	}
	xf_err("interface '%s' (driver '%s') queue %u: %s bind refused: %s; try --bind %s",
	       p->ifname, p->driver, p->queue, xf_bind_mode_str(m), strerror(-err),
	       m == XF_BIND_ZEROCOPY ? "copy or auto" : "auto");
}

/* Register the UMEM and create + bind the socket in mode @m. A failed registration is
 * logged here and flagged: it is not the driver refusing a mode. */
static int try_bind(struct xf_port *p, const struct xf_port_opts *opts, enum xf_bind_mode m,
		    bool *reg_failed)
{
	struct xf_umem *u = p->umem;
	struct xsk_umem_config ucfg = {
		.fill_size = u->fill_size,
		.comp_size = u->comp_size,
		.frame_size = u->frame_size,
		.frame_headroom = u->headroom,
	};
	struct xsk_socket_config scfg = {
		.rx_size = p->has_rx ? XF_OPT(opts, rx_size, XF_PORT_DEF_RING) : 0,
		.tx_size = p->has_tx ? XF_OPT(opts, tx_size, XF_PORT_DEF_RING) : 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = (m == XF_BIND_ZEROCOPY ? XDP_ZEROCOPY : XDP_COPY) |
			      (p->need_wakeup ? XDP_USE_NEED_WAKEUP : 0),
	};
	int err;

	err = xsk_umem__create(&u->xsk, u->area, u->size, &u->fill, &u->comp, &ucfg);
	if (err) {
		u->xsk = NULL;
		*reg_failed = true;
		xf_err("umem: registering %zu bytes with the kernel failed: %s%s", u->size,
		       strerror(-err), err == -EPERM || err == -ENOMEM ?
		       " (locked memory: needs CAP_IPC_LOCK or a higher RLIMIT_MEMLOCK)" : "");
		return err;
	}
	err = xsk_socket__create(&p->xsk, p->ifname, p->queue, u->xsk,
				 p->has_rx ? &p->rx : NULL, p->has_tx ? &p->tx : NULL, &scfg);
	if (err) {
		p->xsk = NULL;
		/* Start the next attempt from a fresh registration. */
		xsk_umem__delete(u->xsk);
		u->xsk = NULL;
	}
	return err;
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

/* Close the socket; with the last port gone, unregister the UMEM and take back the frames
 * the kernel held (it can no longer touch them). */
static void port_close(struct xf_port *p)
{
	struct xf_umem *u = p->umem;

	xsk_socket__delete(p->xsk);
	p->xsk = NULL;
	if (--u->nports == 0) {
		xsk_umem__delete(u->xsk);
		u->xsk = NULL;
		xf_umem_reclaim(u);
	}
}

static void fill_ring_refill(struct xf_port *p)
{
	struct xf_umem *u = p->umem;
	__u64 addrs[XF_BATCH];
	__u32 n, idx, got;

	if (!p->has_rx)
		return;
	for (;;) {
		n = xsk_prod_nb_free(&u->fill, XF_BATCH);
		if (n > XF_BATCH)
			n = XF_BATCH;
		if (!n || !u->nfree)
			return;
		got = xf_umem_pool_get(u, addrs, n, XF_PLACE_FILL);
		if (xsk_ring_prod__reserve(&u->fill, got, &idx) != got) {
			xf_umem_pool_put(u, addrs, got, XF_PLACE_FILL);
			return;
		}
		for (__u32 i = 0; i < got; i++)
			*xsk_ring_prod__fill_addr(&u->fill, idx + i) = addrs[i];
		xsk_ring_prod__submit(&u->fill, got);
		xf_umem_check(u);
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
	if (umem->nports) {
		xf_err("umem: already used by a port; sharing a UMEM between ports is not "
		       "supported yet, create one UMEM per port");
		errno = EBUSY;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->umem = umem;
	p->queue = XF_OPT(opts, queue, 0);
	p->steer = XF_OPT(opts, steer, NULL);
	p->need_wakeup = !XF_OPT(opts, no_need_wakeup, false);
	p->has_rx = XF_OPT(opts, rx_size, 0) != XF_PORT_NO_RING;
	p->has_tx = XF_OPT(opts, tx_size, 0) != XF_PORT_NO_RING;
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	xf_iface_driver(ifname, p->driver, sizeof(p->driver));
	if (!p->has_rx && !p->has_tx) {
		xf_err("port: a port needs an RX ring, a TX ring or both");
		err = -EINVAL;
		goto err_free;
	}

	m = want == XF_BIND_COPY ? XF_BIND_COPY : XF_BIND_ZEROCOPY;
	err = try_bind(p, opts, m, &reg_failed);
	if (err && want == XF_BIND_AUTO && !reg_failed && err != -EBUSY && err != -ENODEV &&
	    err != -EINVAL) {
		xf_fallback_add(&p->fb, "zero-copy bind refused by driver '%s' (%s): using copy "
				"mode, every packet is copied between the driver and the UMEM",
				p->driver, strerror(-err));
		m = XF_BIND_COPY;
		err = try_bind(p, opts, m, &reg_failed);
	}
	if (err) {
		if (!reg_failed)
			bind_error(p, m, err);
		goto err_free;
	}
	umem->nports++;
	err = read_back_bind(p);
	if (err)
		goto err_close;
	if (want != XF_BIND_AUTO && p->mode != want) {
		xf_err("interface '%s' (driver '%s'): asked for a %s bind, the kernel reports %s",
		       p->ifname, p->driver, xf_bind_mode_str(want), xf_bind_mode_str(p->mode));
		err = -EOPNOTSUPP;
		goto err_close;
	}
	fill_ring_refill(p);
	if (p->steer && p->has_rx) {
		if (p->queue >= XF_MAX_QUEUES) {
			xf_err("interface '%s': queue %u is above the steering program's limit of %d",
			       p->ifname, p->queue, XF_MAX_QUEUES);
			err = -E2BIG;
			goto err_close;
		}
		err = xsk_socket__update_xskmap(p->xsk, xf_steer_xskmap_fd(p->steer));
		if (err) {
			xf_err("map 'xf_xsks': cannot add the socket of '%s' queue %u: %s", p->ifname,
			       p->queue, strerror(-err));
			goto err_close;
		}
		p->in_map = true;
	}
	xf_info("interface '%s' queue %u: socket bound in %s mode%s", p->ifname, p->queue,
		xf_bind_mode_str(p->mode), p->need_wakeup ? ", need_wakeup on" : "");
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
		if (bpf_map_delete_elem(xf_steer_xskmap_fd(p->steer), &p->queue) && errno != ENOENT)
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

unsigned int xf_port__rx(struct xf_port *p, struct xf_pkt *pkts, unsigned int max)
{
	struct xf_umem *u = p->umem;
	__u32 idx, n;

	if (!p->has_rx)
		return 0;
	n = xsk_ring_cons__peek(&p->rx, max, &idx);
	for (__u32 i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);

		pkts[i].addr = d->addr;
		pkts[i].len = d->len;
		pkts[i].data = xsk_umem__get_data(u->area, d->addr);
		xf_umem_move(u, d->addr, XF_PLACE_FILL, XF_PLACE_APP);
	}
	if (n)
		xsk_ring_cons__release(&p->rx, n);
	fill_ring_refill(p);
	if (!n && p->need_wakeup && xsk_ring_prod__needs_wakeup(&u->fill))
		kick_rx(p);
	xf_umem_check(u);
	return n;
}

void xf_port__release(struct xf_port *p, const struct xf_pkt *pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		xf_umem_pool_put(p->umem, &pkts[i].addr, 1, XF_PLACE_APP);
	xf_umem_check(p->umem);
}

unsigned int xf_port__tx_alloc(struct xf_port *p, struct xf_pkt *pkts, unsigned int n)
{
	struct xf_umem *u = p->umem;
	__u64 addrs[XF_BATCH];
	unsigned int done = 0;

	while (done < n) {
		__u32 want = n - done > XF_BATCH ? XF_BATCH : n - done;
		__u32 got = xf_umem_pool_get(u, addrs, want, XF_PLACE_APP);

		for (__u32 i = 0; i < got; i++) {
			struct xf_pkt *pk = &pkts[done + i];

			pk->addr = addrs[i] + u->headroom;
			pk->len = u->frame_size - u->headroom;
			pk->data = xsk_umem__get_data(u->area, pk->addr);
		}
		done += got;
		if (got < want)
			break;
	}
	xf_umem_check(u);
	return done;
}

unsigned int xf_port__tx(struct xf_port *p, const struct xf_pkt *pkts, unsigned int n)
{
	struct xf_umem *u = p->umem;
	__u32 idx;

	if (!p->has_tx || !n)
		return 0;
	n = xsk_ring_prod__reserve(&p->tx, n, &idx);
	for (__u32 i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&p->tx, idx + i);

		d->addr = pkts[i].addr;
		d->len = pkts[i].len;
		d->options = 0;
		xf_umem_move(u, pkts[i].addr, XF_PLACE_APP, XF_PLACE_TX);
	}
	if (n) {
		xsk_ring_prod__submit(&p->tx, n);
		if (!p->need_wakeup || xsk_ring_prod__needs_wakeup(&p->tx))
			kick_tx(p);
	}
	xf_umem_check(u);
	return n;
}

unsigned int xf_port__complete(struct xf_port *p)
{
	struct xf_umem *u = p->umem;
	__u32 idx, n, total = 0;

	if (!p->has_tx)
		return 0;
	if (u->ntx && (!p->need_wakeup || xsk_ring_prod__needs_wakeup(&p->tx)))
		kick_tx(p);
	while ((n = xsk_ring_cons__peek(&u->comp, XF_BATCH, &idx))) {
		for (__u32 i = 0; i < n; i++) {
			__u64 addr = *xsk_ring_cons__comp_addr(&u->comp, idx + i);

			xf_umem_pool_put(u, &addr, 1, XF_PLACE_TX);
		}
		xsk_ring_cons__release(&u->comp, n);
		total += n;
	}
	xf_umem_check(u);
	return total;
}

int xf_port__poll(struct xf_port *p, bool tx, int timeout_ms)
{
	struct pollfd pfd = { .fd = xsk_socket__fd(p->xsk), .events = tx ? POLLOUT : POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	return ret < 0 ? -errno : ret;
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
	const struct xf_umem *u = p->umem;

	fc->free = u->nfree;
	fc->fill = u->nfill;
	fc->app = u->napp;
	fc->tx = u->ntx;
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
