// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The running state: steering programs, ports and their pollers, rules and handlers. It is
 * built from a config and changed to match a new one in steps that can be undone until
 * the last one, so a reload that fails anywhere leaves the old configuration running. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "xskflowd.h"

#define ERR_LEN		512
#define QUIESCE_MS	2000

double xfd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 2, 3)))
static void add_err(struct cfg_errors *errs, const char *fmt, ...)
{
	char buf[ERR_LEN + 256], **p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_err("%s", buf);
	p = realloc(errs->msg, (errs->n + 1) * sizeof(*p));
	if (!p)
		return;
	errs->msg = p;
	errs->msg[errs->n] = strdup(buf);
	if (errs->msg[errs->n])
		errs->n++;
}

/* Library messages suggest command-line options; here the same advice is a config key. */
static const char *as_config_advice(char *msg)
{
	static const struct {
		const char *opt, *key;
	} map[] = { { "--bind ", "bind = " }, { "--mode ", "attach = " } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		char *at = strstr(msg, map[i].opt);
		size_t ol = strlen(map[i].opt), kl = strlen(map[i].key), len = strlen(msg);

		if (!at || len + kl - ol >= ERR_LEN)
			continue;
		memmove(at + kl, at + ol, len - (size_t)(at - msg) - ol + 1);
		memcpy(at, map[i].key, kl);
	}
	return msg;
}

/* ---- ports ---- */

/* Pollers take the configured CPUs in queue order, round robin. */
static int port_cpu(const struct cfg_iface *c, __u32 queue)
{
	unsigned int k = 0, seen = 0;

	if (!c->ncpus)
		return -1;
	for (__u32 q = 0; q < queue; q++)
		k += cfg_bit(c->queues, q);
	k %= c->ncpus;
	for (unsigned int cpu = 0; cpu < CFG_MAX_CPUS; cpu++)
		if (cfg_bit(c->cpus, cpu) && seen++ == k)
			return (int)cpu;
	return -1;
}

static void port_stop(struct rt_port *p)
{
	if (!p)
		return;
	if (p->started) {
		atomic_store(&p->stop, true);
		pthread_join(p->thread, NULL);
	}
	/* Teardown order: out of the XSKMAP and closed, then the memory. */
	for (unsigned int i = 0; i < p->nouts; i++)
		xf_port__destroy(p->outs[i].port);
	xf_port__destroy(p->port);
	if (p->umem) {
		__u32 home = xf_umem__free_frames(p->umem), all = xf_umem__frame_count(p->umem);

		/* With every socket closed, every frame is back in the pool. */
		if (home != all)
			log_warn("interface '%s' queue %u: %u of %u frames did not come home",
				 p->ifc->conf.name, p->queue, all - home, all);
		if (xf_umem__destroy(p->umem))
			log_warn("interface '%s' queue %u: UMEM still in use, not freed",
				 p->ifc->conf.name, p->queue);
	}
	free(p->scratch);
	free(p);
}

/* The TX sockets of forward handlers: same queue on the target, same UMEM (and so the
 * UMEM's bind mode), no RX ring and no steering there. */
static int ports_out(struct rt_port *p, struct cfg_errors *errs)
{
	const struct cfg_iface *c = &p->ifc->conf;
	char why[ERR_LEN] = "";

	for (unsigned int i = 0; i < c->nouts; i++) {
		struct rt_out *o = &p->outs[i];

		snprintf(o->ifname, sizeof(o->ifname), "%s", c->outs[i]);
		xfd_log_capture(why, sizeof(why));
		XF_OPTS(xf_port_opts, po, .queue = p->queue, .bind = c->bind,
			.rx_size = XF_PORT_NO_RING, .tx_size = c->ring_size,
			.no_need_wakeup = !c->need_wakeup, .multi_buffer = c->multi_buffer);
		o->port = xf_port__create(o->ifname, p->umem, &po);
		xfd_log_capture(NULL, 0);
		if (!o->port) {
			add_err(errs, "[interface %s] queue %u: forward to '%s': %s", c->name,
				p->queue, o->ifname, *why ? as_config_advice(why) : strerror(errno));
			return -ENODEV;
		}
		p->nouts++;
		log_dbg("interface '%s' queue %u: forwards out of '%s' queue %u, same UMEM",
			c->name, p->queue, o->ifname, p->queue);
	}
	return 0;
}

/* Start the poller and wait until it has set itself up: a poller that cannot run as
 * configured fails the start (or the reload) here, instead of a line in the log later. */
static int poller_start(struct rt_port *p, struct cfg_errors *errs)
{
	int err;

	if (sem_init(&p->ready, 0, 0)) {
		err = errno;
		add_err(errs, "[interface %s] queue %u: cannot start the poller thread: %s",
			p->ifc->conf.name, p->queue, strerror(err));
		return -err;
	}
	err = pthread_create(&p->thread, NULL, poller_main, p);
	if (err) {
		sem_destroy(&p->ready);
		add_err(errs, "[interface %s] queue %u: cannot start the poller thread: %s",
			p->ifc->conf.name, p->queue, strerror(err));
		return -err;
	}
	while (sem_wait(&p->ready) && errno == EINTR)
		;
	sem_destroy(&p->ready);
	if (p->setup_err) {
		/* The poller has returned: nothing more of it runs. */
		pthread_join(p->thread, NULL);
		add_err(errs, "[interface %s] queue %u: %s", p->ifc->conf.name, p->queue,
			*p->setup_why ? p->setup_why : strerror(-p->setup_err));
		return p->setup_err;
	}
	p->started = true;
	return 0;
}

int runtime_start_pollers(struct runtime *rt)
{
	struct cfg_errors errs = {};
	int err = 0;

	rt->hold_pollers = false;
	for (size_t i = 0; i < rt->n_ifaces && !err; i++)
		for (unsigned int q = 0; q < CFG_MAX_QUEUES && !err; q++)
			if (rt->ifaces[i]->ports[q] && !rt->ifaces[i]->ports[q]->started)
				err = poller_start(rt->ifaces[i]->ports[q], &errs);
	cfg_errors_free(&errs);
	return err;
}

static struct rt_port *port_start(struct rt_iface *ifc, __u32 q, struct dispatch *d,
				  struct cfg_errors *errs)
{
	const struct cfg_iface *c = &ifc->conf;
	char why[ERR_LEN] = "";
	struct rt_port *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p) {
		add_err(errs, "interface '%s' queue %u: out of memory", c->name, q);
		return NULL;
	}
	p->ifc = ifc;
	p->queue = q;
	p->cpu = port_cpu(c, q);
	atomic_store(&p->disp, d);

	xfd_log_capture(why, sizeof(why));
	XF_OPTS(xf_umem_opts, uo, .frame_size = c->frame_size, .frame_count = c->frames,
		.headroom = c->headroom, .fill_size = c->ring_size, .comp_size = c->ring_size,
		.flags = c->hugepages ? XF_UMEM_F_HUGEPAGES : 0, .numa_ifname = c->name);
	p->umem = xf_umem__create(&uo);
	if (!p->umem) {
		err = errno;
		xfd_log_capture(NULL, 0);
		add_err(errs, "[interface %s] queue %u: %s", c->name, q,
			*why ? why : strerror(err));
		free(p);
		return NULL;
	}
	/* Busy polling is the library's (SO_PREFER_BUSY_POLL, SO_BUSY_POLL, budget). */
	XF_OPTS(xf_port_opts, po, .queue = q, .bind = c->bind, .rx_size = c->ring_size,
		.tx_size = c->ring_size, .no_need_wakeup = !c->need_wakeup, .steer = ifc->steer,
		.busy_poll_usecs = c->busy_poll, .busy_poll_budget = c->busy_poll_budget,
		.prefer_busy_poll = c->busy_poll > 0, .multi_buffer = c->multi_buffer);
	p->port = xf_port__create(c->name, p->umem, &po);
	xfd_log_capture(NULL, 0);
	if (!p->port) {
		add_err(errs, "[interface %s] queue %u: %s", c->name, q,
			*why ? as_config_advice(why) : strerror(errno));
		goto err;
	}
	if (ports_out(p, errs))
		goto err;
	/* Chains are classified on a gathered copy (see lookup() in poller.c). */
	if (c->multi_buffer) {
		p->scratch_len = XF_PKT_MAX_SEGS * c->frame_size;
		p->scratch = malloc(p->scratch_len);
		if (!p->scratch) {
			add_err(errs, "interface '%s' queue %u: out of memory", c->name, q);
			goto err;
		}
	}
	if (!ifc->rt->hold_pollers && poller_start(p, errs))
		goto err;
	log_dbg("interface '%s' queue %u: socket bound in %s mode, poller started%s%s%s", c->name,
		 q, xf_bind_mode_str(xf_port__bind_mode(p->port)),
		 p->cpu >= 0 ? " on a pinned CPU" : "", xf_port__fallback(p->port, 0) ? "; " : "",
		 xf_port__fallback(p->port, 0) ? xf_port__fallback(p->port, 0) : "");
	return p;
err:
	port_stop(p);
	return NULL;
}

/* ---- interfaces ---- */

static void iface_halt(struct rt_iface *ifc)
{
	for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
		port_stop(ifc->ports[q]);
		ifc->ports[q] = NULL;
	}
	if (ifc->steer) {
		xf_steer__detach(ifc->steer);
		ifc->steer = NULL;
		log_info("interface '%s': steering program detached", ifc->conf.name);
	}
}

/* Attach and start every queue; the rules come later (everything passes until then). */
static int iface_run(struct rt_iface *ifc, struct dispatch *d, struct cfg_errors *errs)
{
	const struct cfg_iface *c = &ifc->conf;
	char why[ERR_LEN] = "";

	xfd_log_capture(why, sizeof(why));
	XF_OPTS(xf_steer_opts, so, .mode = c->attach);
	ifc->steer = xf_steer__attach(c->name, &so);
	xfd_log_capture(NULL, 0);
	if (!ifc->steer) {
		/* After the privilege drop a program already there cannot be identified
		 * (that takes CAP_SYS_ADMIN); a restart, as root, replaces a stale one. */
		bool dropped = errno == EPERM && geteuid() != 0;

		add_err(errs, "[interface %s]: %s%s", c->name,
			*why ? as_config_advice(why) : strerror(errno),
			dropped ? "; or restart xskflowd, which replaces a stale xskflow "
				  "program when it starts" : "");
		return -ENODEV;
	}
	log_dbg("interface '%s' (driver '%s'): steering program attached in %s mode%s%s",
		 c->name, xf_steer__driver(ifc->steer),
		 xf_attach_mode_str(xf_steer__attach_mode(ifc->steer)),
		 xf_steer__fallback(ifc->steer, 0) ? "; " : "",
		 xf_steer__fallback(ifc->steer, 0) ? xf_steer__fallback(ifc->steer, 0) : "");
	for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
		if (!cfg_bit(c->queues, q))
			continue;
		ifc->ports[q] = port_start(ifc, q, d, errs);
		if (!ifc->ports[q]) {
			iface_halt(ifc);
			return -EIO;
		}
	}
	return 0;
}

static void rules_free(struct rt_rule **rr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rr[i]);
}

static void iface_free(struct rt_iface *ifc)
{
	if (!ifc)
		return;
	iface_halt(ifc);
	if (ifc->disp) {
		rules_free(ifc->disp->rr, ifc->disp->n);
		dispatch_free(ifc->disp);
	}
	free(ifc);
}

/* The TX sockets to forward targets are made with the ports. */
static bool outs_same(const struct cfg_iface *a, const struct cfg_iface *b)
{
	if (a->nouts != b->nouts)
		return false;
	for (unsigned int i = 0; i < a->nouts; i++)
		if (strcmp(a->outs[i], b->outs[i]))
			return false;
	return true;
}

/* Whether every queue of @b has the CPU under @b that @a gives it. A queue added on reload
 * starts on the CPU of the running config @a (port_start() reads the running one) and
 * moves at commit; kept queues move at commit. */
static bool cpus_same(const struct cfg_iface *a, const struct cfg_iface *b)
{
	for (__u32 q = 0; q < CFG_MAX_QUEUES; q++)
		if (cfg_bit(b->queues, q) && port_cpu(a, q) != port_cpu(b, q))
			return false;
	return true;
}

/* Settings that need the sockets (or the program) re-created when they change. With
 * napi_yield, a poller decided at its start whether it shares its CPU with its NAPI thread
 * (and runs SCHED_FIFO to preempt it): one that would move to another CPU is restarted
 * instead, and decides again. */
static bool iface_compatible(const struct cfg_iface *a, const struct cfg_iface *b)
{
	return a->attach == b->attach && a->bind == b->bind && a->frame_size == b->frame_size &&
	       a->frames == b->frames && a->headroom == b->headroom &&
	       a->ring_size == b->ring_size && a->need_wakeup == b->need_wakeup &&
	       a->busy_poll == b->busy_poll && a->busy_poll_budget == b->busy_poll_budget &&
	       a->hugepages == b->hugepages && a->multi_buffer == b->multi_buffer &&
	       a->napi_yield == b->napi_yield && (!b->napi_yield || cpus_same(a, b)) &&
	       outs_same(a, b);
}

static bool rule_same(const struct rt_rule *old, const struct cfg_rule *c, struct handler *h)
{
	return !strcmp(old->conf.name, c->name) && !strcmp(old->conf.iface, c->iface) &&
	       !strcmp(old->conf.match, c->match) && old->conf.action == c->action &&
	       !strcmp(old->conf.handler, c->handler) && old->handler == h;
}

static int rule_counter(struct rt_iface *ifc, unsigned int idx, __u64 *pk, __u64 *by)
{
	struct xf_counter c = {};
	int err = ifc->steer ? xf_steer__rule_counter(ifc->steer, idx, &c) : -ENODEV;

	*pk = c.packets;
	*by = c.bytes;
	return err;
}

/* ---- applying a config ---- */

enum plan_kind { PLAN_NEW, PLAN_KEEP, PLAN_RESTART };

struct plan {
	const struct cfg_iface *conf;
	enum plan_kind kind;
	struct rt_iface *old;		/* same name in the running state */
	struct rt_iface *ifc;		/* in the new state */
	struct rt_rule **rr;		/* the new rule list */
	bool *reused;			/* rr[i] comes from the running state */
	size_t n;
	struct dispatch *disp;
	__u64 (*pend)[2];		/* hits and bytes carried over */
	struct rt_port *added[CFG_MAX_QUEUES];
	bool old_halted, switched, rules_set;
};

struct apply {
	struct runtime *rt;
	struct config *cfg;
	struct cfg_errors *errs;
	struct plan *plans;
	struct handler **h;
	bool *h_opened;
};

static struct rt_iface *find_iface(struct runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->n_ifaces; i++)
		if (!strcmp(rt->ifaces[i]->conf.name, name))
			return rt->ifaces[i];
	return NULL;
}

static struct handler *find_handler(struct runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->n_handlers; i++)
		if (!strcmp(rt->handlers[i]->conf.name, name))
			return rt->handlers[i];
	return NULL;
}

static int open_handlers(struct apply *a)
{
	char why[ERR_LEN];

	for (size_t i = 0; i < a->cfg->n_handlers; i++) {
		const struct cfg_handler *c = &a->cfg->handlers[i];
		struct handler *old = find_handler(a->rt, c->name);

		if (old && handler_same(&old->conf, c)) {
			a->h[i] = old;
			continue;
		}
		a->h[i] = handler_open(c, why, sizeof(why));
		if (!a->h[i]) {
			add_err(a->errs, "[handler %s]: %s", c->name, why);
			return -EINVAL;
		}
		a->h_opened[i] = true;
	}
	return 0;
}

static int plan_rules(struct apply *a, struct plan *pl, size_t iface_idx)
{
	const struct config *cfg = a->cfg;
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_rules; i++)
		n += cfg->rules[i].iface_idx == (int)iface_idx;
	pl->rr = calloc(n ? n : 1, sizeof(*pl->rr));
	pl->reused = calloc(n ? n : 1, sizeof(*pl->reused));
	pl->pend = calloc(n ? n : 1, sizeof(*pl->pend));
	if (!pl->rr || !pl->reused || !pl->pend)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct cfg_rule *c = &cfg->rules[i];
		struct handler *h = c->handler_idx >= 0 ? a->h[c->handler_idx] : NULL;
		struct rt_rule *r = NULL;

		if (c->iface_idx != (int)iface_idx)
			continue;
		/* Counters of a rule carry over only while its program keeps running. */
		if (pl->kind == PLAN_KEEP && pl->old->disp) {
			for (size_t j = 0; j < pl->old->disp->n && !r; j++)
				if (rule_same(pl->old->disp->rr[j], c, h))
					r = pl->old->disp->rr[j];
		}
		if (r) {
			pl->reused[pl->n] = true;
		} else {
			r = calloc(1, sizeof(*r));
			if (!r)
				return -ENOMEM;
			r->conf = *c;
			r->handler = h;
			r->idx = (unsigned int)pl->n;
		}
		pl->rr[pl->n++] = r;
	}
	pl->disp = dispatch_new(pl->ifc, pl->rr, pl->n);
	return pl->disp ? 0 : -ENOMEM;
}

static int make_plans(struct apply *a)
{
	for (size_t i = 0; i < a->cfg->n_ifaces; i++) {
		struct plan *pl = &a->plans[i];
		int err;

		pl->conf = &a->cfg->ifaces[i];
		pl->old = find_iface(a->rt, pl->conf->name);
		if (!pl->old)
			pl->kind = PLAN_NEW;
		else if (pl->old->steer && iface_compatible(&pl->old->conf, pl->conf))
			pl->kind = PLAN_KEEP;
		else
			pl->kind = PLAN_RESTART;
		err = plan_rules(a, pl, i);
		if (err) {
			add_err(a->errs, "[interface %s]: out of memory", pl->conf->name);
			return err;
		}
		if (pl->kind == PLAN_KEEP)
			atomic_store(&pl->disp->alt, pl->old->disp);
	}
	return 0;
}

static struct rt_iface *iface_new(struct runtime *rt, const struct cfg_iface *c)
{
	struct rt_iface *ifc = calloc(1, sizeof(*ifc));

	if (ifc) {
		ifc->rt = rt;
		ifc->conf = *c;
	}
	return ifc;
}

/* New interfaces, and new queues of unchanged ones: nothing running is touched. */
static int start_new(struct apply *a)
{
	for (size_t i = 0; i < a->cfg->n_ifaces; i++) {
		struct plan *pl = &a->plans[i];

		if (pl->kind == PLAN_NEW) {
			pl->ifc = iface_new(a->rt, pl->conf);
			if (!pl->ifc) {
				add_err(a->errs, "[interface %s]: out of memory", pl->conf->name);
				return -ENOMEM;
			}
			if (iface_run(pl->ifc, pl->disp, a->errs))
				return -EIO;
		} else if (pl->kind == PLAN_KEEP) {
			pl->ifc = pl->old;
			for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
				if (!cfg_bit(pl->conf->queues, q) || pl->old->ports[q])
					continue;
				pl->added[q] = port_start(pl->old, q, pl->disp, a->errs);
				if (!pl->added[q])
					return -EIO;
			}
		}
	}
	return 0;
}

/* Interfaces whose sockets must be re-created (or that are down after a failed restart):
 * the old ones go first (a queue takes one socket, an interface one program). */
static int restart_changed(struct apply *a)
{
	for (size_t i = 0; i < a->cfg->n_ifaces; i++) {
		struct plan *pl = &a->plans[i];

		if (pl->kind != PLAN_RESTART)
			continue;
		log_info("interface '%s': settings changed, restarting its sockets", pl->conf->name);
		iface_halt(pl->old);
		pl->old_halted = true;
		pl->ifc = iface_new(a->rt, pl->conf);
		if (!pl->ifc) {
			add_err(a->errs, "[interface %s]: out of memory", pl->conf->name);
			return -ENOMEM;
		}
		if (iface_run(pl->ifc, pl->disp, a->errs))
			return -EIO;
	}
	return 0;
}

static int set_rules(struct apply *a)
{
	char why[ERR_LEN];

	for (size_t i = 0; i < a->cfg->n_ifaces; i++) {
		struct plan *pl = &a->plans[i];
		int err;

		/* set_rules restarts the counters: what a kept rule had is carried. Hits that
		 * land between this read and the restart (inside set_rules, an RCU grace
		 * period) are not counted; 'dispatched' stays exact for xsk rules. */
		for (size_t k = 0; k < pl->n; k++) {
			__u64 hp = 0, hb = 0;

			if (pl->reused[k]) {
				struct rt_rule *r = pl->rr[k];

				rule_counter(pl->ifc, r->idx, &hp, &hb);
				pl->pend[k][0] = r->hits_carry + hp;
				pl->pend[k][1] = r->bytes_carry + hb;
			}
		}
		xfd_log_capture(why, sizeof(why));
		err = xf_steer__set_rules(pl->ifc->steer, pl->disp->rules, pl->n);
		xfd_log_capture(NULL, 0);
		if (err) {
			add_err(a->errs, "[interface %s]: cannot install %zu rules: %s",
				pl->conf->name, pl->n, *why ? why : strerror(-err));
			return err;
		}
		pl->rules_set = true;
	}
	return 0;
}

/* Wait until no poller of @ifc can still be reading a dispatch table it read before.
 * Returns false if one did not move on in time (the caller then leaks what it would free). */
static bool quiesce(struct rt_iface *ifc)
{
	unsigned long long seen[CFG_MAX_QUEUES];
	double deadline = xfd_now() + QUIESCE_MS / 1000.0;

	for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++)
		if (ifc->ports[q])
			seen[q] = atomic_load(&ifc->ports[q]->epoch);
	for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
		struct rt_port *p = ifc->ports[q];

		while (p && atomic_load(&p->epoch) == seen[q] && !atomic_load(&p->exited)) {
			if (xfd_now() > deadline) {
				log_warn("interface '%s' queue %u: the poller did not move on; the "
					 "old rule table is leaked rather than freed under it",
					 ifc->conf.name, q);
				return false;
			}
			usleep(1000);
		}
	}
	return true;
}

/* Wait until every XDP program run that started before now has finished, so that every
 * packet the previous rule set steered is in a socket's RX ring: the kernel waits for an
 * RCU grace period before an update of a map-of-maps returns. */
static int steering_barrier(int *fds)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	__u32 zero = 0;

	if (fds[1] < 0) {
		fds[0] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xfd_barrier_in", 4, 4, 1, NULL);
		if (fds[0] < 0)
			return -errno;
		o.inner_map_fd = fds[0];
		fds[1] = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "xfd_barrier", 4, 4, 1, &o);
		if (fds[1] < 0) {
			close(fds[0]);
			fds[0] = -1;
			return -errno;
		}
	}
	return bpf_map_update_elem(fds[1], &zero, &fds[0], 0) ? -errno : 0;
}

static void barrier(struct runtime *rt)
{
	int err = steering_barrier(rt->barrier_fd);

	if (err) {
		/* Softirq work is short: this covers it in practice, not by construction. */
		log_warn("cannot wait for running steering programs (map-of-maps barrier: %s); "
			 "waiting 50 ms instead", strerror(-err));
		usleep(50000);
	}
}

/* After a barrier: wait until each poller of @ifc has read what its RX ring held, seen by
 * two passes that found it empty or a ring's worth of packets (plus a burst) read. */
static void drain(struct rt_iface *ifc, struct rt_port *const *added)
{
	unsigned long long e0[CFG_MAX_QUEUES][2], r0[CFG_MAX_QUEUES][2];
	double deadline = xfd_now() + QUIESCE_MS / 1000.0;
	unsigned long long ring = ifc->conf.ring_size + XFD_BURST;

	for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
		for (int k = 0; k < 2; k++) {
			struct rt_port *p = k ? (added ? added[q] : NULL) : ifc->ports[q];

			if (!p)
				continue;
			e0[q][k] = atomic_load(&p->rx_empty);
			r0[q][k] = atomic_load(&p->rx_packets);
		}
	}
	for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
		for (int k = 0; k < 2; k++) {
			struct rt_port *p = k ? (added ? added[q] : NULL) : ifc->ports[q];

			while (p && atomic_load(&p->rx_empty) < e0[q][k] + 2 &&
			       atomic_load(&p->rx_packets) < r0[q][k] + ring &&
			       !atomic_load(&p->exited)) {
				if (xfd_now() > deadline) {
					log_warn("interface '%s' queue %u: the poller did not drain "
						 "its ring in time", ifc->conf.name, q);
					return;
				}
				usleep(1000);
			}
		}
	}
}

/* Unchanged interfaces: their pollers take the new table (which knows the old one) before
 * the new rules go live, so a packet steered by either set finds its handler. */
static void switch_tables(struct apply *a)
{
	for (size_t i = 0; i < a->cfg->n_ifaces; i++) {
		struct plan *pl = &a->plans[i];

		if (pl->kind != PLAN_KEEP)
			continue;
		for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++)
			if (pl->old->ports[q])
				atomic_store(&pl->old->ports[q]->disp, pl->disp);
		quiesce(pl->old);
		pl->switched = true;
	}
}

static void undo(struct apply *a)
{
	struct runtime *rt = a->rt;

	for (size_t i = 0; i < a->cfg->n_ifaces; i++) {
		struct plan *pl = &a->plans[i];

		if (pl->kind == PLAN_KEEP) {
			struct dispatch *od = pl->old->disp;

			if (pl->rules_set) {
				if (xf_steer__set_rules(pl->old->steer, od->rules, od->n))
					log_err("interface '%s': the previous rules could not be put "
						"back", pl->conf->name);
				barrier(rt);
				drain(pl->old, pl->added);
			}
			for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++)
				port_stop(pl->added[q]);
			if (pl->switched) {
				for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++)
					if (pl->old->ports[q])
						atomic_store(&pl->old->ports[q]->disp, od);
				if (!quiesce(pl->old))
					pl->disp = NULL;	/* leaked, not freed under a poller */
			}
			pl->ifc = NULL;
		} else {
			if (pl->ifc) {
				iface_halt(pl->ifc);
				free(pl->ifc);
				pl->ifc = NULL;
			}
		}
		/* An interface restarted for nothing: start it again as it was. */
		if (pl->kind == PLAN_RESTART && pl->old_halted) {
			struct cfg_errors errs = {};

			if (iface_run(pl->old, pl->old->disp, &errs) ||
			    xf_steer__set_rules(pl->old->steer, pl->old->disp->rules,
						pl->old->disp->n))
				log_err("interface '%s': could not be restarted with its previous "
					"settings; it is down until the next reload", pl->conf->name);
			cfg_errors_free(&errs);
		}
		for (size_t k = 0; pl->disp && k < pl->n; k++)
			if (!pl->reused[k])
				free(pl->rr[k]);
		dispatch_free(pl->disp);
	}
	for (size_t i = 0; i < a->cfg->n_handlers; i++)
		if (a->h_opened[i])
			handler_close(a->h[i]);
}

static bool in_new(const struct apply *a, const void *p, bool iface)
{
	for (size_t i = 0; i < (iface ? a->cfg->n_ifaces : a->cfg->n_handlers); i++)
		if (iface ? a->plans[i].old == p : a->h[i] == p)
			return true;
	return false;
}

/* Past the point of no return: publish, retire what the old state had alone. */
static void commit(struct apply *a)
{
	struct runtime *rt = a->rt;
	struct rt_iface **ifaces = calloc(a->cfg->n_ifaces ? a->cfg->n_ifaces : 1, sizeof(*ifaces));
	struct handler **hs = calloc(a->cfg->n_handlers ? a->cfg->n_handlers : 1, sizeof(*hs));

	/* The calloc()s above are small; without them the state cannot be recorded. */
	if (!ifaces || !hs)
		abort();
	barrier(rt);
	for (size_t i = 0; i < a->cfg->n_ifaces; i++) {
		struct plan *pl = &a->plans[i];
		struct rt_iface *ifc = pl->ifc;

		if (pl->kind == PLAN_KEEP) {
			struct dispatch *old = ifc->disp;
			bool moved_on;

			/* Every packet the old set steered has been read: its table can go. */
			drain(ifc, pl->added);
			for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++)
				if (pl->added[q])
					ifc->ports[q] = pl->added[q];
			atomic_store(&pl->disp->alt, NULL);
			moved_on = quiesce(ifc);
			/* Queues no longer wanted stop. */
			for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
				if (ifc->ports[q] && !cfg_bit(pl->conf->queues, q)) {
					port_stop(ifc->ports[q]);
					ifc->ports[q] = NULL;
					log_info("interface '%s' queue %u: stopped", pl->conf->name,
						 q);
				}
			}
			if (old && moved_on) {
				for (size_t j = 0; j < old->n; j++) {
					bool kept = false;

					for (size_t k = 0; k < pl->n && !kept; k++)
						kept = pl->rr[k] == old->rr[j];
					if (!kept)
						free(old->rr[j]);
				}
				dispatch_free(old);
			}
			ifc->conf = *pl->conf;
			for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
				struct rt_port *p = ifc->ports[q];
				int cpu;

				if (!p || (cpu = port_cpu(&ifc->conf, q)) == p->cpu)
					continue;
				p->cpu = cpu;
				if (cpu >= 0) {
					cpu_set_t set;

					CPU_ZERO(&set);
					CPU_SET(cpu, &set);
					pthread_setaffinity_np(p->thread, sizeof(set), &set);
				}
			}
		} else if (pl->kind == PLAN_RESTART) {
			iface_free(pl->old);	/* already halted */
		}
		ifc->disp = pl->disp;
		for (size_t k = 0; k < pl->n; k++) {
			struct rt_rule *r = pl->rr[k];

			r->hits_carry = pl->reused[k] ? pl->pend[k][0] : 0;
			r->bytes_carry = pl->reused[k] ? pl->pend[k][1] : 0;
			r->idx = (unsigned int)k;
		}
		ifaces[i] = ifc;
	}
	/* Interfaces gone from the config. */
	for (size_t i = 0; i < rt->n_ifaces; i++) {
		if (!in_new(a, rt->ifaces[i], true)) {
			log_info("interface '%s': removed from the configuration",
				 rt->ifaces[i]->conf.name);
			iface_free(rt->ifaces[i]);
		}
	}
	/* Handlers last: every poller that could call them is stopped or has moved on. */
	for (size_t i = 0; i < rt->n_handlers; i++)
		if (!in_new(a, rt->handlers[i], false))
			handler_close(rt->handlers[i]);
	for (size_t i = 0; i < a->cfg->n_handlers; i++)
		hs[i] = a->h[i];
	free(rt->ifaces);
	free(rt->handlers);
	rt->ifaces = ifaces;
	rt->n_ifaces = a->cfg->n_ifaces;
	rt->handlers = hs;
	rt->n_handlers = a->cfg->n_handlers;
	config_free(&rt->cfg);
	rt->cfg = *a->cfg;
	memset(a->cfg, 0, sizeof(*a->cfg));
	/* The plans pointed into the config, which rt owns now. */
}

static void plans_free(struct apply *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a->plans[i].rr);
		free(a->plans[i].reused);
		free(a->plans[i].pend);
	}
	free(a->plans);
	free(a->h);
	free(a->h_opened);
}

int runtime_apply(struct runtime *rt, struct config *cfg, struct cfg_errors *errs)
{
	struct apply a = { .rt = rt, .cfg = cfg, .errs = errs };
	size_t nplans = cfg->n_ifaces;
	int err;

	a.plans = calloc(nplans ? nplans : 1, sizeof(*a.plans));
	a.h = calloc(cfg->n_handlers ? cfg->n_handlers : 1, sizeof(*a.h));
	a.h_opened = calloc(cfg->n_handlers ? cfg->n_handlers : 1, sizeof(*a.h_opened));
	if (!a.plans || !a.h || !a.h_opened) {
		add_err(errs, "out of memory");
		plans_free(&a, 0);
		return -ENOMEM;
	}
	if (!rt->started)
		rt->started = xfd_now();
	err = open_handlers(&a);
	if (!err)
		err = make_plans(&a);
	if (!err)
		err = start_new(&a);
	if (!err)
		err = restart_changed(&a);
	if (!err) {
		switch_tables(&a);
		err = set_rules(&a);
	}
	if (err) {
		undo(&a);
		plans_free(&a, nplans);
		return err;
	}
	commit(&a);
	plans_free(&a, nplans);
	return 0;
}

void runtime_stop(struct runtime *rt)
{
	/* Reverse order of setup: interfaces (pollers, sockets, programs, memory), then the
	 * handlers they fed. */
	for (size_t i = rt->n_ifaces; i-- > 0;)
		iface_free(rt->ifaces[i]);
	for (size_t i = rt->n_handlers; i-- > 0;)
		handler_close(rt->handlers[i]);
	free(rt->ifaces);
	free(rt->handlers);
	rt->ifaces = NULL;
	rt->handlers = NULL;
	rt->n_ifaces = rt->n_handlers = 0;
	config_free(&rt->cfg);
	for (int i = 0; i < 2; i++) {
		if (rt->barrier_fd[i] >= 0)
			close(rt->barrier_fd[i]);
		rt->barrier_fd[i] = -1;
	}
}

void runtime_counts(const struct runtime *rt, size_t *queues, size_t *rules)
{
	*queues = 0;
	*rules = 0;
	for (size_t i = 0; i < rt->n_ifaces; i++) {
		for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++)
			*queues += rt->ifaces[i]->ports[q] != NULL;
		*rules += rt->ifaces[i]->disp ? rt->ifaces[i]->disp->n : 0;
	}
}

/* ---- reports ---- */

static json_object *j_u64(unsigned long long v)
{
	return json_object_new_uint64(v);
}

static json_object *j_str(const char *s)
{
	return json_object_new_string(s);
}

static json_object *rule_json(struct rt_iface *ifc, struct rt_rule *r)
{
	json_object *o = json_object_new_object();
	char text[XF_RULE_TEXT_MAX];
	__u64 hp = 0, hb = 0;

	rule_counter(ifc, r->idx, &hp, &hb);
	xf_rule__format(&r->conf.rule, text, sizeof(text));
	json_object_object_add(o, "name", j_str(r->conf.name));
	json_object_object_add(o, "interface", j_str(ifc->conf.name));
	json_object_object_add(o, "index", j_u64(r->idx));
	json_object_object_add(o, "match", j_str(r->conf.match));
	json_object_object_add(o, "rule", j_str(text));
	json_object_object_add(o, "action", j_str(r->conf.rule.action == XF_RULE_XSK ? "xsk" :
				   r->conf.rule.action == XF_RULE_PASS ? "pass" : "drop"));
	if (r->handler)
		json_object_object_add(o, "handler", j_str(r->handler->conf.name));
	json_object_object_add(o, "hits", j_u64(r->hits_carry + hp));
	json_object_object_add(o, "hit_bytes", j_u64(r->bytes_carry + hb));
	json_object_object_add(o, "dispatched", j_u64(atomic_load(&r->dispatched)));
	json_object_object_add(o, "dispatched_bytes", j_u64(atomic_load(&r->dispatched_bytes)));
	return o;
}

json_object *runtime_rules(struct runtime *rt)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < rt->n_ifaces; i++) {
		struct rt_iface *ifc = rt->ifaces[i];

		for (size_t k = 0; ifc->disp && k < ifc->disp->n; k++)
			json_object_array_add(a, rule_json(ifc, ifc->disp->rr[k]));
	}
	json_object_object_add(o, "rules", a);
	return o;
}

static json_object *fallbacks_json(const struct xf_steer *s, const struct xf_port *p)
{
	json_object *a = json_object_new_array();
	const char *f;

	for (size_t i = 0; s && (f = xf_steer__fallback(s, i)); i++)
		json_object_array_add(a, j_str(f));
	for (size_t i = 0; p && (f = xf_port__fallback(p, i)); i++)
		json_object_array_add(a, j_str(f));
	return a;
}

static json_object *outs_json(struct rt_port *p)
{
	json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < p->nouts; i++) {
		struct rt_out *out = &p->outs[i];
		json_object *o = json_object_new_object();
		struct xf_xdp_stats xs = {};

		xf_port__xdp_stats(out->port, &xs);
		json_object_object_add(o, "interface", j_str(out->ifname));
		json_object_object_add(o, "bind_mode",
				       j_str(xf_bind_mode_str(xf_port__bind_mode(out->port))));
		json_object_object_add(o, "tx_packets", j_u64(atomic_load(&out->tx_packets)));
		json_object_object_add(o, "tx_bytes", j_u64(atomic_load(&out->tx_bytes)));
		json_object_object_add(o, "tx_completed", j_u64(atomic_load(&out->tx_completed)));
		json_object_object_add(o, "tx_ring_full", j_u64(atomic_load(&out->tx_full)));
		json_object_object_add(o, "tx_invalid_descs", j_u64(xs.tx_invalid_descs));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *port_json(struct rt_port *p)
{
	json_object *o = json_object_new_object(), *x = json_object_new_object();
	json_object *fr = json_object_new_object();
	struct xf_xdp_stats xs = {};

	json_object_object_add(o, "queue", j_u64(p->queue));
	json_object_object_add(o, "bind_mode", j_str(xf_bind_mode_str(xf_port__bind_mode(p->port))));
	json_object_object_add(o, "need_wakeup",
			       json_object_new_boolean(xf_port__need_wakeup(p->port)));
	json_object_object_add(o, "cpu", json_object_new_int(p->cpu));
	/* napi_yield: the NAPI thread the poller preempts, null when it shares no CPU with one. */
	json_object_object_add(o, "napi_thread", xf_port__napi_thread(p->port) ?
			       json_object_new_int(xf_port__napi_thread(p->port)) : NULL);
	json_object_object_add(o, "fallbacks", fallbacks_json(NULL, p->port));
	json_object_object_add(o, "rx_packets", j_u64(atomic_load(&p->rx_packets)));
	json_object_object_add(o, "rx_bytes", j_u64(atomic_load(&p->rx_bytes)));
	json_object_object_add(o, "tx_packets", j_u64(atomic_load(&p->tx_packets)));
	json_object_object_add(o, "tx_bytes", j_u64(atomic_load(&p->tx_bytes)));
	json_object_object_add(o, "tx_ring_full", j_u64(atomic_load(&p->tx_full)));
	json_object_object_add(o, "unclassified", j_u64(atomic_load(&p->unclassified)));
	xf_port__xdp_stats(p->port, &xs);
#define ADD(f) json_object_object_add(x, #f, j_u64(xs.f))
	ADD(rx_dropped);
	ADD(rx_invalid_descs);
	ADD(tx_invalid_descs);
	ADD(rx_ring_full);
	ADD(rx_fill_ring_empty_descs);
	ADD(tx_ring_empty_descs);
#undef ADD
	json_object_object_add(o, "xdp_stats", x);
	json_object_object_add(fr, "total", j_u64(p->ifc->conf.frames));
	json_object_object_add(fr, "free", j_u64(atomic_load(&p->fc_free)));
	json_object_object_add(fr, "fill", j_u64(atomic_load(&p->fc_fill)));
	json_object_object_add(fr, "app", j_u64(atomic_load(&p->fc_app)));
	json_object_object_add(fr, "tx", j_u64(atomic_load(&p->fc_tx)));
	json_object_object_add(o, "frames", fr);
	json_object_object_add(o, "forward", outs_json(p));
	return o;
}

static json_object *iface_json(struct rt_iface *ifc, bool full)
{
	json_object *o = json_object_new_object(), *qs = json_object_new_array();
	char list[256];

	json_object_object_add(o, "name", j_str(ifc->conf.name));
	if (ifc->steer) {
		json_object_object_add(o, "driver", j_str(xf_steer__driver(ifc->steer)));
		json_object_object_add(o, "attach_mode",
				       j_str(xf_attach_mode_str(xf_steer__attach_mode(ifc->steer))));
	} else {
		json_object_object_add(o, "attach_mode", j_str("down"));
	}
	cfg_format_list(ifc->conf.queues, CFG_MAX_QUEUES, list, sizeof(list));
	json_object_object_add(o, "queues_configured", j_str(list));
	if (full) {
		struct xf_steer_stats ss = {};
		json_object *st = json_object_new_object(), *rules = json_object_new_array();

		json_object_object_add(o, "fallbacks", fallbacks_json(ifc->steer, NULL));
		if (ifc->steer)
			xf_steer__stats(ifc->steer, &ss);
#define ADD(f) json_object_object_add(st, #f, j_u64(ss.f))
		ADD(packets);
		ADD(malformed);
		ADD(unmatched);
		ADD(pass);
		ADD(drop);
		ADD(xsk);
		ADD(xsk_nosock);
#undef ADD
		json_object_object_add(o, "steering", st);
		for (size_t k = 0; ifc->disp && k < ifc->disp->n; k++)
			json_object_array_add(rules, rule_json(ifc, ifc->disp->rr[k]));
		json_object_object_add(o, "rules", rules);
	}
	for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
		if (!ifc->ports[q])
			continue;
		if (full)
			json_object_array_add(qs, port_json(ifc->ports[q]));
		else
			json_object_array_add(qs, j_u64(q));
	}
	json_object_object_add(o, "queues", qs);
	return o;
}

json_object *runtime_status(struct runtime *rt)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t queues, rules;
	char s[32];

	runtime_counts(rt, &queues, &rules);
	json_object_object_add(o, "version", j_str(XSKFLOW_VERSION));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "config", j_str(rt->cfg.file));
	snprintf(s, sizeof(s), "%.3f", xfd_now() - rt->started);
	json_object_object_add(o, "uptime", json_object_new_double_s(xfd_now() - rt->started, s));
	json_object_object_add(o, "reloads", j_u64(rt->reloads));
	json_object_object_add(o, "reload_failures", j_u64(rt->reload_failures));
	json_object_object_add(o, "queues", j_u64(queues));
	json_object_object_add(o, "rules", j_u64(rules));
	json_object_object_add(o, "handlers", j_u64(rt->n_handlers));
	json_object_object_add(o, "pinned_bytes", j_u64(xf_pinned_bytes()));
	for (size_t i = 0; i < rt->n_ifaces; i++)
		json_object_array_add(a, iface_json(rt->ifaces[i], false));
	json_object_object_add(o, "interfaces", a);
	return o;
}

json_object *runtime_stats(struct runtime *rt)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	json_object *hs = json_object_new_array();

	json_object_object_add(o, "pinned_bytes", j_u64(xf_pinned_bytes()));
	json_object_object_add(o, "pinned_limit", j_u64(rt->cfg.daemon.pinned_limit));
	for (size_t i = 0; i < rt->n_ifaces; i++)
		json_object_array_add(a, iface_json(rt->ifaces[i], true));
	json_object_object_add(o, "interfaces", a);
	for (size_t i = 0; i < rt->n_handlers; i++)
		json_object_array_add(hs, handler_stats(rt->handlers[i]));
	json_object_object_add(o, "handlers", hs);
	return o;
}

void runtime_log_stats(struct runtime *rt)
{
	static unsigned long long last_rx, last_tx;
	static double last_t;
	unsigned long long rx = 0, tx = 0, uncl = 0;
	double now = xfd_now(), dt = last_t ? now - last_t : now - rt->started;

	for (size_t i = 0; i < rt->n_ifaces; i++) {
		for (unsigned int q = 0; q < CFG_MAX_QUEUES; q++) {
			struct rt_port *p = rt->ifaces[i]->ports[q];

			if (!p)
				continue;
			rx += atomic_load(&p->rx_packets);
			tx += atomic_load(&p->tx_packets);
			uncl += atomic_load(&p->unclassified);
		}
	}
	log_info("stats: rx %llu packets (%.0f/s), tx %llu (%.0f/s), unclassified %llu, "
		 "pinned %zu bytes", rx, dt > 0 ? (rx - last_rx) / dt : 0.0, tx,
		 dt > 0 ? (tx - last_tx) / dt : 0.0, uncl, xf_pinned_bytes());
	last_rx = rx;
	last_tx = tx;
	last_t = now;
}
