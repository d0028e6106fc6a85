/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* xskflowd internals: logging, packet handlers, the running state (interfaces, pollers,
 * rules) and the control socket. Only the control thread changes the running state. */
#ifndef XFD_XSKFLOWD_H
#define XFD_XSKFLOWD_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <json-c/json.h>
#include <xskflow/xskflow.h>
#include "config.h"
#include <xskflow/plugin.h>

#define XFD_NAME	"xskflowd"
#define XFD_BURST	64	/* packets per RX call and per handler call */
#define XFD_POLL_MS	100	/* longest a poller sleeps: bounds reload and stop latency */

/* ---- log.c: stderr, one line per message, filtered by level ---- */

void xfd_log_set_level(enum log_level level);
enum log_level xfd_log_level(void);
__attribute__((format(printf, 2, 3))) void xfd_log(enum log_level level, const char *fmt, ...);
#define log_err(...)	xfd_log(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	xfd_log(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	xfd_log(LOG_LVL_INFO, __VA_ARGS__)
#define log_dbg(...)	xfd_log(LOG_LVL_DEBUG, __VA_ARGS__)
/* Route libxskflow's messages through xfd_log. */
void xfd_log_library(void);
/* While a capture buffer is set (per thread), libxskflow's error messages are kept there
 * (the last one wins) instead of being logged: the caller reports them with context. */
void xfd_log_capture(char *buf, size_t len);

/* ---- handlers.c: what happens to packets a rule sends to userspace ---- */

struct handler;

struct handler_ops {
	enum handler_type type;
	/* Set up from h->conf; on error write one line into @err and return -errno. */
	int (*open)(struct handler *h, char *err, size_t len);
	/* Poller threads, concurrently when several queues feed the handler. Set each
	 * packet's verdict; counting is done by the caller. */
	void (*burst)(struct handler *h, const struct xskflowd_ctx *ctx, struct xskflowd_pkt *pkts,
		      unsigned int n);
	/* Control thread, after the last burst. */
	void (*close)(struct handler *h);
	/* Type-specific counters added to @o (control thread). */
	void (*stats)(struct handler *h, json_object *o);
};

struct handler {
	struct cfg_handler conf;
	const struct handler_ops *ops;
	void *priv;
	atomic_ullong packets, bytes;	/* handed to the handler */
	atomic_ullong tx;		/* it asked to transmit */
	atomic_ullong forwarded, fwd_dropped;	/* forward: sent out, or no room (dropped) */
};

/* Returns the handler or NULL with a message in @err. */
struct handler *handler_open(const struct cfg_handler *conf, char *err, size_t len);
void handler_close(struct handler *h);
/* Whether a handler with conf @a can keep running for conf @b (reload). */
bool handler_same(const struct cfg_handler *a, const struct cfg_handler *b);
json_object *handler_stats(struct handler *h);

extern const struct handler_ops count_ops, reflect_ops, pcap_ops, plugin_ops, forward_ops;

/* reflect.c, exposed for tests of the checksum code: rewrite one frame into its reply.
 * Returns 0, or -EPROTONOSUPPORT for what reflect does not answer. */
int reflect_frame(__u8 *frame, __u32 len);

/* ---- runtime.c and poller.c: the running state ---- */

struct rt_rule {
	struct cfg_rule conf;
	struct handler *handler;	/* action xsk only */
	atomic_ullong dispatched, dispatched_bytes;	/* handed to the handler */
	/* Steering program hits: the counters restart with every rule set, so what a rule
	 * had before a reload is carried over. */
	__u64 hits_carry, bytes_carry;
	unsigned int idx;
};

/* What a poller needs to hand a packet to its rule's handler; immutable once published,
 * but for @alt. While a reload switches rule sets, packets steered by the old set can meet
 * the new table: one that the new set does not send to a handler goes by @alt, the old
 * table, until every packet the old set steered has been read. */
struct dispatch {
	size_t n;
	struct xf_rule *rules;		/* as installed in the steering program */
	struct rt_rule **rr;
	_Atomic(struct dispatch *) alt;
};

struct rt_iface;

/* A TX-only socket on (another interface, the poller's queue) on the poller's UMEM: frames
 * received here leave there as they are. Driven by the poller alone. */
struct rt_out {
	char ifname[IF_NAMESIZE];
	struct xf_port *port;
	atomic_ullong tx_packets, tx_bytes;	/* put on its TX ring */
	atomic_ullong tx_completed;	/* sent: the kernel gave the frame back */
	atomic_ullong tx_full;		/* to forward, but the TX ring was full: dropped */
};

struct rt_port {
	struct rt_iface *ifc;
	__u32 queue;
	int cpu;			/* -1: not pinned */
	struct xf_umem *umem;
	struct xf_port *port;
	struct rt_out outs[CFG_MAX_OUTS];	/* one per forward target of the interface */
	unsigned int nouts;
	pthread_t thread;
	bool started;
	/* Start-up handshake: the poller posts @ready once it has set itself up, with
	 * @setup_err 0 or -errno and, on failure, the reason in @setup_why. */
	sem_t ready;
	int setup_err;
	char setup_why[512];
	atomic_bool stop;
	atomic_bool exited;		/* the poller returned (stopped, or failed) */
	_Atomic(struct dispatch *) disp;
	atomic_ullong epoch;		/* bumped by the poller after every pass */
	/* Written by the poller, read by the control thread. */
	atomic_ullong rx_packets, rx_bytes, tx_packets, tx_bytes;
	atomic_ullong tx_full;		/* handler said transmit, the TX ring was full */
	atomic_ullong unclassified;	/* arrived but no xsk rule claims it */
	atomic_ullong rx_empty;		/* passes that found the RX ring empty */
	atomic_uint fc_free, fc_fill, fc_app, fc_tx;
	__u8 *scratch;			/* multi_buffer: a chain gathered for the classifier */
	__u32 scratch_len;
};

struct rt_iface {
	struct runtime *rt;
	struct cfg_iface conf;
	struct xf_steer *steer;
	struct rt_port *ports[CFG_MAX_QUEUES];
	struct dispatch *disp;
};

struct runtime {
	struct config cfg;
	struct rt_iface **ifaces;
	size_t n_ifaces;
	struct handler **handlers;
	size_t n_handlers;
	double started;
	unsigned int reloads, reload_failures;
	int barrier_fd[2];		/* see steering_barrier(); -1 until first used */
	bool hold_pollers;		/* ports are made but their threads wait for
					 * runtime_start_pollers() (the privilege drop) */
};

/* runtime_apply - make @rt run @cfg (taken over on success): everything on the first call,
 * on later calls only what changed. On failure everything that ran keeps running, @cfg is
 * left to the caller and every reason is in @errs. Returns 0 or -errno. */
int runtime_apply(struct runtime *rt, struct config *cfg, struct cfg_errors *errs);
/* runtime_start_pollers - start the threads of ports made while hold_pollers was set, and
 * clear it. Returns 0 or -errno (the caller stops everything). */
int runtime_start_pollers(struct runtime *rt);
/* runtime_stop - stop pollers, close sockets, detach programs, free UMEMs, close handlers. */
void runtime_stop(struct runtime *rt);
json_object *runtime_status(struct runtime *rt);
json_object *runtime_stats(struct runtime *rt);
json_object *runtime_rules(struct runtime *rt);
/* One line for the log: packets, rates since the last call. */
void runtime_log_stats(struct runtime *rt);
void runtime_counts(const struct runtime *rt, size_t *queues, size_t *rules);

struct dispatch *dispatch_new(const struct rt_iface *ifc, struct rt_rule **rr, size_t n);
void dispatch_free(struct dispatch *d);
void *poller_main(void *arg);

double xfd_now(void);

/* ---- privdrop.c: [daemon] user ---- */

/* privdrop - after setup and before any poller starts: give the control socket and the
 * pins to @user, switch to its uid and gids, keep only the capabilities running needs.
 * Returns 0, or -errno with one line in @err. */
int privdrop(const char *user, struct runtime *rt, const char *ctl_sock, char *err, size_t len);
/* privdrop_reload_check - after the drop: whether @cfg needs a capability that was not
 * kept (napi_yield without CAP_SYS_NICE). Returns 0, or -EPERM with one line. */
int privdrop_reload_check(const struct config *cfg, char *err, size_t len);
/* privdrop_check - before setup: can @user do after the drop what the daemon will ask of
 * it (remove the control socket, re-read @config, rotate the pcap files of @cfg)? Returns
 * 0, or -errno with one line. */
int privdrop_check(const char *user, const struct config *cfg, const char *config,
		   const char *ctl_sock, char *err, size_t len);

/* ---- metrics.c: [daemon] metrics, Prometheus text served by libmicrohttpd ---- */

struct metrics;
/* Listen on @addr (HOST:PORT). NULL with one line in @err. */
struct metrics *metrics_open(const char *addr, struct runtime *rt, char *err, size_t len);
void metrics_close(struct metrics *m);
const char *metrics_addr(const struct metrics *m);	/* "" for NULL */
/* The fd the control loop polls (returns 1), or 0 when @m is NULL. */
int metrics_pollfd(struct metrics *m, struct pollfd *fd);
/* Serve what is ready; never blocks. */
void metrics_serve(struct metrics *m);

/* ---- ctlsock.c: the control socket ---- */

struct ctl;
typedef json_object *(*ctl_handler_fn)(void *ctx, const char *cmd);

struct ctl *ctl_open(const char *path, char *err, size_t len);
void ctl_close(struct ctl *c);
const char *ctl_path(const struct ctl *c);
/* pollfds the main loop must watch; returns how many were written (at most @max). */
int ctl_pollfds(struct ctl *c, struct pollfd *fds, int max);
/* Serve whatever is ready among the fds ctl_pollfds() returned. */
void ctl_serve(struct ctl *c, const struct pollfd *fds, int n, ctl_handler_fn fn, void *ctx);

#endif /* XFD_XSKFLOWD_H */
