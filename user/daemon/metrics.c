// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus text exposition ([daemon] metrics): libmicrohttpd serves GET /metrics from the
 * control loop (external polling, no thread), built from the same report as 'ctl stats'. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "xskflowd.h"

#define METRICS_CONN_MAX	16
#define METRICS_TIMEOUT_S	5	/* a scraper that stalls is dropped */

struct metrics {
	struct MHD_Daemon *mhd;
	struct runtime *rt;
	char addr[CFG_LISTEN_MAX];
};

/* Where a family's samples are found in the stats report. */
enum level {
	L_DAEMON,	/* the report itself, then 'status' */
	L_IFACE,	/* .interfaces[] */
	L_QUEUE,	/* .interfaces[].queues[] */
	L_FORWARD,	/* .interfaces[].queues[].forward[] */
	L_RULE,		/* .interfaces[].rules[] */
	L_HANDLER,	/* .handlers[] */
};

struct family {
	const char *name, *type, *help;
	enum level lvl;
	const char *key;		/* "a.b": member b of member a */
	const char *const *info;	/* info families: string members as labels, value 1 */
	const char *const *places;	/* frames: one sample per member of @key */
};

static const char *const iface_info[] = { "driver", "attach_mode", NULL };
static const char *const queue_info[] = { "bind_mode", NULL };
static const char *const places[] = { "free", "fill", "app", "tx", NULL };

#define F(n, t, h, l, k, ...) \
	{ .name = n, .type = t, .help = h, .lvl = l, .key = k, __VA_ARGS__ }

static const struct family families[] = {
	F("xskflowd_pinned_bytes", "gauge", "Bytes of UMEM pinned by the daemon", L_DAEMON,
	  "pinned_bytes"),
	F("xskflowd_pinned_limit_bytes", "gauge", "Pinned-memory limit (pinned_limit)", L_DAEMON,
	  "pinned_limit"),
	F("xskflowd_uptime_seconds", "gauge", "Seconds since the daemon started", L_DAEMON,
	  "uptime"),
	F("xskflowd_reloads_total", "counter", "Reloads applied", L_DAEMON, "reloads"),
	F("xskflowd_reload_failures_total", "counter", "Reloads refused (old config kept)",
	  L_DAEMON, "reload_failures"),

	F("xskflowd_interface_info", "gauge", "Driver and XDP attach mode of an interface",
	  L_IFACE, NULL, .info = iface_info),
	F("xskflowd_steering_packets_total", "counter", "Packets seen by the steering program",
	  L_IFACE, "steering.packets"),
	F("xskflowd_steering_malformed_total", "counter",
	  "Packets with truncated or malformed headers (passed)", L_IFACE, "steering.malformed"),
	F("xskflowd_steering_unmatched_total", "counter", "Packets no rule matched (passed)",
	  L_IFACE, "steering.unmatched"),
	F("xskflowd_steering_pass_total", "counter", "Packets a pass rule sent to the kernel",
	  L_IFACE, "steering.pass"),
	F("xskflowd_steering_drop_total", "counter", "Packets a drop rule dropped", L_IFACE,
	  "steering.drop"),
	F("xskflowd_steering_xsk_total", "counter", "Packets redirected to an AF_XDP socket",
	  L_IFACE, "steering.xsk"),
	F("xskflowd_steering_xsk_nosock_total", "counter",
	  "Packets for a queue without a socket (passed)", L_IFACE, "steering.xsk_nosock"),

	F("xskflowd_queue_info", "gauge", "AF_XDP bind mode of a queue's socket", L_QUEUE, NULL, .info = queue_info),
	F("xskflowd_rx_packets_total", "counter", "Packets the poller received", L_QUEUE,
	  "rx_packets"),
	F("xskflowd_rx_bytes_total", "counter", "Bytes the poller received", L_QUEUE, "rx_bytes"),
	F("xskflowd_tx_packets_total", "counter", "Packets sent back out of the queue", L_QUEUE,
	  "tx_packets"),
	F("xskflowd_tx_bytes_total", "counter", "Bytes sent back out of the queue", L_QUEUE,
	  "tx_bytes"),
	F("xskflowd_tx_ring_full_total", "counter", "Packets dropped: the TX ring was full",
	  L_QUEUE, "tx_ring_full"),
	F("xskflowd_unclassified_total", "counter", "Packets no xsk rule claimed (dropped)",
	  L_QUEUE, "unclassified"),
	F("xskflowd_xdp_rx_dropped_total", "counter", "XDP_STATISTICS rx_dropped", L_QUEUE,
	  "xdp_stats.rx_dropped"),
	F("xskflowd_xdp_rx_invalid_descs_total", "counter", "XDP_STATISTICS rx_invalid_descs",
	  L_QUEUE, "xdp_stats.rx_invalid_descs"),
	F("xskflowd_xdp_tx_invalid_descs_total", "counter", "XDP_STATISTICS tx_invalid_descs",
	  L_QUEUE, "xdp_stats.tx_invalid_descs"),
	F("xskflowd_xdp_rx_ring_full_total", "counter", "XDP_STATISTICS rx_ring_full", L_QUEUE,
	  "xdp_stats.rx_ring_full"),
	F("xskflowd_xdp_rx_fill_ring_empty_descs_total", "counter",
	  "XDP_STATISTICS rx_fill_ring_empty_descs", L_QUEUE, "xdp_stats.rx_fill_ring_empty_descs"),
	F("xskflowd_xdp_tx_ring_empty_descs_total", "counter", "XDP_STATISTICS tx_ring_empty_descs",
	  L_QUEUE, "xdp_stats.tx_ring_empty_descs"),
	F("xskflowd_frames", "gauge", "UMEM frames by place (free pool, fill, daemon, TX)",
	  L_QUEUE, "frames", .places = places),
	F("xskflowd_frames_total_count", "gauge", "UMEM frames of a queue", L_QUEUE,
	  "frames.total"),

	F("xskflowd_forward_tx_packets_total", "counter", "Packets put on the target's TX ring",
	  L_FORWARD, "tx_packets"),
	F("xskflowd_forward_tx_bytes_total", "counter", "Bytes put on the target's TX ring",
	  L_FORWARD, "tx_bytes"),
	F("xskflowd_forward_tx_completed_total", "counter",
	  "Forwarded frames the kernel has sent (completions; a chain completes frame by frame)", L_FORWARD, "tx_completed"),
	F("xskflowd_forward_tx_ring_full_total", "counter",
	  "Packets not forwarded: the target's TX ring was full", L_FORWARD, "tx_ring_full"),

	F("xskflowd_rule_hits_total", "counter", "Packets the rule matched in the program",
	  L_RULE, "hits"),
	F("xskflowd_rule_hit_bytes_total", "counter", "Bytes the rule matched in the program",
	  L_RULE, "hit_bytes"),
	F("xskflowd_rule_dispatched_total", "counter", "Packets handed to the rule's handler",
	  L_RULE, "dispatched"),
	F("xskflowd_rule_dispatched_bytes_total", "counter", "Bytes handed to the rule's handler",
	  L_RULE, "dispatched_bytes"),

	F("xskflowd_handler_packets_total", "counter", "Packets handed to the handler",
	  L_HANDLER, "packets"),
	F("xskflowd_handler_bytes_total", "counter", "Bytes handed to the handler", L_HANDLER,
	  "bytes"),
	F("xskflowd_handler_tx_total", "counter", "Packets the handler sent back", L_HANDLER,
	  "tx"),
	F("xskflowd_handler_forwarded_total", "counter", "Packets a forward handler put on a TX ring",
	  L_HANDLER, "forwarded"),
	F("xskflowd_handler_dropped_total", "counter",
	  "Packets a forward handler dropped (TX ring full)", L_HANDLER, "dropped"),
};

/* The text format's label value escapes: backslash, double quote, newline. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

struct labels {
	const char *k[6];
	const char *v[6];
	int n;
};

static void label(struct labels *l, const char *k, const char *v)
{
	l->k[l->n] = k;
	l->v[l->n++] = v;
}

static json_object *member(json_object *o, const char *key)
{
	char buf[64], *dot;
	json_object *v;

	snprintf(buf, sizeof(buf), "%s", key);
	dot = strchr(buf, '.');
	if (dot)
		*dot = '\0';
	if (!json_object_object_get_ex(o, buf, &v))
		return NULL;
	return dot ? member(v, dot + 1) : v;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = member(o, key);

	return v ? json_object_get_string(v) : "";
}

static void sample(FILE *f, const char *name, const struct labels *l, json_object *v)
{
	fputs(name, f);
	for (int i = 0; i < l->n; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "{", l->k[i]);
		put_escaped(f, l->v[i]);
		fputc('"', f);
	}
	fputs(l->n ? "} " : " ", f);
	if (!v)
		fputs("1\n", f);
	else if (json_object_is_type(v, json_type_double))
		fprintf(f, "%.3f\n", json_object_get_double(v));
	else
		fprintf(f, "%llu\n", (unsigned long long)json_object_get_uint64(v));
}

/* The samples of @fam for one object at its level, labelled with @l. */
static unsigned int object_samples(FILE *f, const struct family *fam, json_object *o,
				   struct labels l)
{
	unsigned int n = 0;

	if (fam->info) {
		for (int i = 0; fam->info[i]; i++)
			label(&l, fam->info[i], str(o, fam->info[i]));
		sample(f, fam->name, &l, NULL);
		return 1;
	}
	if (fam->places) {
		json_object *fr = member(o, fam->key);

		for (int i = 0; fr && fam->places[i]; i++) {
			struct labels pl = l;

			label(&pl, "place", fam->places[i]);
			sample(f, fam->name, &pl, member(fr, fam->places[i]));
			n++;
		}
		return n;
	}
	if (!member(o, fam->key))
		return 0;	/* e.g. 'forwarded' of a handler that does not forward */
	sample(f, fam->name, &l, member(o, fam->key));
	return 1;
}

static json_object *array(json_object *o, const char *key)
{
	json_object *a = member(o, key);

	return a && json_object_is_type(a, json_type_array) ? a : NULL;
}

static unsigned int queue_samples(FILE *f, const struct family *fam, json_object *ifc,
				  struct labels l)
{
	json_object *qs = array(ifc, "queues");
	unsigned int n = 0;

	for (size_t i = 0; qs && i < json_object_array_length(qs); i++) {
		json_object *q = json_object_array_get_idx(qs, i), *fw;
		struct labels ql = l;

		label(&ql, "queue", str(q, "queue"));
		if (fam->lvl == L_QUEUE) {
			n += object_samples(f, fam, q, ql);
			continue;
		}
		fw = array(q, "forward");
		for (size_t k = 0; fw && k < json_object_array_length(fw); k++) {
			json_object *t = json_object_array_get_idx(fw, k);
			struct labels tl = ql;

			label(&tl, "target", str(t, "interface"));
			n += object_samples(f, fam, t, tl);
		}
	}
	return n;
}

static unsigned int family_samples(FILE *f, const struct family *fam, json_object *stats,
				   json_object *status)
{
	json_object *ifs = array(stats, "interfaces"), *hs = array(stats, "handlers");
	struct labels none = {};
	unsigned int n = 0;

	if (fam->lvl == L_DAEMON)
		return object_samples(f, fam, member(stats, fam->key) ? stats : status, none);
	if (fam->lvl == L_HANDLER) {
		for (size_t i = 0; hs && i < json_object_array_length(hs); i++) {
			json_object *h = json_object_array_get_idx(hs, i);
			struct labels l = {};

			label(&l, "handler", str(h, "name"));
			label(&l, "type", str(h, "type"));
			n += object_samples(f, fam, h, l);
		}
		return n;
	}
	for (size_t i = 0; ifs && i < json_object_array_length(ifs); i++) {
		json_object *ifc = json_object_array_get_idx(ifs, i), *rs;
		struct labels l = {};

		label(&l, "interface", str(ifc, "name"));
		if (fam->lvl == L_IFACE) {
			n += object_samples(f, fam, ifc, l);
		} else if (fam->lvl == L_RULE) {
			rs = array(ifc, "rules");
			for (size_t k = 0; rs && k < json_object_array_length(rs); k++) {
				struct labels rl = l;

				label(&rl, "rule", str(json_object_array_get_idx(rs, k), "name"));
				n += object_samples(f, fam, json_object_array_get_idx(rs, k), rl);
			}
		} else {
			n += queue_samples(f, fam, ifc, l);
		}
	}
	return n;
}

/* The whole exposition; NULL when out of memory. Families without samples are left out. */
static char *metrics_text(struct runtime *rt, size_t *len)
{
	json_object *stats = runtime_stats(rt), *status = runtime_status(rt);
	char *out = NULL, *fam_buf = NULL;
	size_t fam_len = 0;
	FILE *f = open_memstream(&out, len);

	for (size_t i = 0; f && i < sizeof(families) / sizeof(families[0]); i++) {
		FILE *s = open_memstream(&fam_buf, &fam_len);
		unsigned int n;

		if (!s)
			break;
		n = family_samples(s, &families[i], stats, status);
		fclose(s);
		if (n)
			fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s", families[i].name,
				families[i].help, families[i].name, families[i].type, fam_buf);
		free(fam_buf);
		fam_buf = NULL;
	}
	if (f)
		fclose(f);
	json_object_put(stats);
	json_object_put(status);
	return out;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int code, char *body,
			       size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req)
{
	struct metrics *m = cls;
	size_t len = 0;
	char *body;

	(void)version;
	(void)upload_data;
	(void)req;
	if (*upload_size)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		body = strdup("only GET /metrics\n");
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, body, body ? strlen(body) : 0,
			       "text/plain; charset=utf-8");
	}
	if (strcmp(url, "/metrics")) {
		body = strdup("not found; the metrics are at /metrics\n");
		return respond(conn, MHD_HTTP_NOT_FOUND, body, body ? strlen(body) : 0,
			       "text/plain; charset=utf-8");
	}
	body = metrics_text(m->rt, &len);
	if (!body)
		return MHD_NO;
	return respond(conn, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

/* libmicrohttpd says only that it failed: bind and listen the same way ourselves to learn
 * why (the port in use, an address not on this host, ...). Returns the errno, 0 if none. */
static int listen_errno(const struct sockaddr_storage *ss, socklen_t sl)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1, e = 0;

	if (fd < 0)
		return errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(fd, (const struct sockaddr *)ss, sl) || listen(fd, 1))
		e = errno;
	close(fd);
	return e;
}

struct metrics *metrics_open(const char *addr, struct runtime *rt, char *err, size_t len)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	socklen_t sl;

	if (cfg_parse_listen(addr, &ss, &sl)) {
		snprintf(err, len, "metrics: '%s' is not HOST:PORT", addr);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, len, "metrics: out of memory");
		return NULL;
	}
	m->rt = rt;
	snprintf(m->addr, sizeof(m->addr), "%s", addr);
	/* No thread of its own: requests are served by the control loop, which owns the
	 * state they report. */
	m->mhd = MHD_start_daemon(MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, on_request, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONN_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!m->mhd) {
		int e = listen_errno(&ss, sl);

		snprintf(err, len, "metrics: cannot listen on %s: %s; is the address local and "
			 "the port free?", addr, e ? strerror(e) : "refused by libmicrohttpd");
		free(m);
		return NULL;
	}
	log_info("metrics: serving http://%s/metrics", addr);
	return m;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}

const char *metrics_addr(const struct metrics *m)
{
	return m ? m->addr : "";
}

int metrics_pollfd(struct metrics *m, struct pollfd *fd)
{
	const union MHD_DaemonInfo *info;

	if (!m)
		return 0;
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return 0;
	*fd = (struct pollfd){ .fd = info->epoll_fd, .events = POLLIN };
	return 1;
}

void metrics_serve(struct metrics *m)
{
	if (m)
		MHD_run(m->mhd);
}
