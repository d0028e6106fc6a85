// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflow recv: attach the steering program with the given rules, receive the steered
 * flows on one queue until a count, a deadline or a signal, detach, and report. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

#define RECV_BURST 64	/* descriptors: at least XF_PKT_MAX_SEGS */
#define RECV_MAX_RULES 1024
#define RECV_DEFAULT_RULE "udp dport 4242"

struct recv_opts {
	struct port_settings port;
	const char *rules[RECV_MAX_RULES];
	size_t nrules;
	unsigned long count;
	double seconds;
	bool verify, json, user_rules, hugepages_got;
};

static void recv_usage(FILE *f)
{
	fprintf(f,
		"usage: " CLI_NAME " recv -i IFACE [-q QUEUE] [-r RULE]... [--mode auto|native|generic]\n"
		"                    [--bind auto|copy|zero-copy] [-n COUNT] [-t SECONDS] [--verify]\n"
		"                    [--json] [--frame-size 2048|4096] [--frames N] [--headroom N]\n"
		"                    [--ring-size N] [--hugepages] [--multi-buffer] [--no-wakeup] [-v]\n"
		"Steers packets matching RULE (default '" RECV_DEFAULT_RULE "') on IFACE into an AF_XDP\n"
		"socket on QUEUE and receives them. Exit status 2 when --verify finds a problem.\n"
		"--multi-buffer receives packets larger than a frame (jumbo frames up to an MTU of\n"
		"9000) as chains of frames; without it the kernel drops them (xdp_stats.rx_dropped).\n");
}

static int parse_recv(int argc, char **argv, struct recv_opts *o)
{
	enum { O_VERIFY = 256, O_JSON };
	static const struct option lopts[] = {
		{ "rule", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "time", required_argument, NULL, 't' },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct port_settings *ps = &o->port;
	int c, v = 0;
	char *end;

	ps->opts = PO_IFACE | PO_QUEUE | PO_MODE | PO_BIND | PO_FRAME_SIZE | PO_FRAMES |
		   PO_HEADROOM | PO_RING_SIZE | PO_NO_WAKEUP | PO_HUGEPAGES | PO_MULTI_BUFFER;
	ps->numa_local = true;
	ps->frame_size = 4096;
	ps->frames = 4096;
	while ((c = portopts_getopt(ps, argc, argv, "i:q:r:n:t:vh", lopts)) != -1) {
		switch (c) {
		case 'r':
			if (o->nrules == RECV_MAX_RULES) {
				cli_err("--rule: at most %d rules on the command line", RECV_MAX_RULES);
				return -1;
			}
			o->rules[o->nrules++] = optarg;
			break;
		case 'n':
			if (cli_uint("--count", optarg, 1, ~0ul, &o->count))
				return -1;
			break;
		case 't':
			o->seconds = strtod(optarg, &end);
			if (*end || o->seconds <= 0 || o->seconds > 1e7) {
				cli_err("--time: '%s' is not a positive number of seconds", optarg);
				return -1;
			}
			break;
		case O_VERIFY: o->verify = true; break;
		case O_JSON: o->json = true; break;
		case 'v': v++; break;
		case 'h': recv_usage(stdout); exit(0);
		case PORTOPT_ERR: return -1;
		default: recv_usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		cli_err("recv: unexpected argument '%s'; rules go after -r", argv[optind]);
		return -1;
	}
	if (!ps->ifname) {
		cli_err("recv: -i IFACE is required");
		recv_usage(stderr);
		return -1;
	}
	o->user_rules = o->nrules > 0;
	if (!o->nrules)
		o->rules[o->nrules++] = RECV_DEFAULT_RULE;
	cli_set_verbosity(v);
	return 0;
}

struct recv_totals {
	uint64_t packets, bytes, chained;
	double elapsed;
	bool interrupted;
};

/* Count and check the packets of a burst of @n descriptors; a multi-buffer packet (a
 * chain) is checked as the one frame it was on the wire. Returns the packets. */
static unsigned int take_burst(const struct recv_opts *o, struct verify *vf,
			       struct recv_totals *t, const struct xf_pkt *pkts, unsigned int n)
{
	static uint8_t whole[PAT_MAX_JUMBO];
	unsigned int i = 0, npkts = 0;

	while (i < n) {
		unsigned int segs = o->port.multi_buffer ? xf_pkt__segs(pkts + i, n - i) : 1;
		unsigned int len;

		if (!segs)
			segs = n - i;	/* the library hands out whole chains; never loop on one */
		len = xf_pkt__len(pkts + i, segs);

		t->bytes += len;
		if (segs > 1)
			t->chained++;
		if (o->verify && segs == 1)
			verify_packet(vf, pkts[i].data, len);
		else if (o->verify && len <= sizeof(whole) &&
			 xf_pkt__gather(whole, sizeof(whole), pkts + i, segs))
			verify_packet(vf, whole, len);
		else if (o->verify)
			vf->bad++;	/* longer than any test frame */
		i += segs;
		npkts++;
	}
	return npkts;
}

/* Why the socket stopped: the interface went away or was reconfigured under us. */
static void socket_gone(const struct recv_opts *o, struct xf_port *port)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	getsockopt(xf_port__fd(port), SOL_SOCKET, SO_ERROR, &soerr, &len);
	cli_err("interface '%s' queue %lu: the AF_XDP socket was shut down (%s): the interface "
		"went away or was reconfigured; stopping", o->port.ifname, o->port.queue,
		strerror(soerr ? soerr : ENETDOWN));
}

/* The receive loop: poll the socket, the signalfd and the deadline timer. Signals and the
 * deadline are also checked every RECV_CHECK_EVERY bursts under continuous traffic, and
 * once a second of silence the program is checked to still be ours. */
#define RECV_CHECK_EVERY 256
static int recv_loop(struct xf_port *port, struct xf_steer *steer, const struct recv_opts *o,
		     struct verify *vf, struct recv_totals *t)
{
	struct xf_pkt pkts[RECV_BURST];
	int sfd = cli_signalfd(), tfd = cli_timerfd(o->seconds);
	struct pollfd pfd[3] = {
		{ .fd = xf_port__fd(port), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
		{ .fd = tfd, .events = POLLIN },
	};
	double start = cli_now();
	unsigned int bursts = 0;
	int err = 0, ready;

	if (sfd < 0 || tfd < 0) {
		cli_err("recv: cannot create signal or timer descriptors: %s", strerror(errno));
		err = -1;
		goto out;
	}
	while (!o->count || t->packets < o->count) {
		unsigned int want = RECV_BURST, n;

		if (o->count && o->count - t->packets < want)
			want = (unsigned int)(o->count - t->packets);
		if (o->port.multi_buffer)
			want = RECV_BURST;	/* counts segments; only whole chains come */
		n = xf_port__rx(port, pkts, want);
		t->packets += take_burst(o, vf, t, pkts, n);
		xf_port__release(port, pkts, n);
		if (n && ++bursts % RECV_CHECK_EVERY)
			continue;

		ready = poll(n ? pfd + 1 : pfd, n ? 2 : 3, n ? 0 : 1000);
		if (ready < 0 && errno != EINTR) {
			cli_err("recv: poll: %s", strerror(errno));
			err = -1;
			break;
		}
		if (pfd[1].revents) {
			t->interrupted = true;
			break;
		}
		if (pfd[2].revents)
			break;
		if (!n && (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			socket_gone(o, port);
			err = -1;
			break;
		}
		if (!n && !ready) {
			int c = xf_steer__check(steer);

			if (c == -ENODEV) {
				cli_err("interface '%s' is gone; stopping", o->port.ifname);
				err = -1;
				break;
			}
			if (c == -ENOENT) {
				cli_err("the steering program on '%s' was detached or replaced by "
					"someone else; its traffic no longer reaches this socket; "
					"stopping", o->port.ifname);
				err = -1;
				break;
			}
		}
	}
out:
	t->elapsed = cli_now() - start;
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return err;
}

static json_object *recv_report(const struct recv_opts *o, const struct recv_totals *t,
				struct xf_steer *steer, struct xf_port *port,
				const struct verify *vf)
{
	json_object *r = json_object_new_object();
	struct xf_xdp_stats xs = {};

	json_object_object_add(r, "interface", json_object_new_string(o->port.ifname));
	json_object_object_add(r, "queue", json_object_new_uint64(o->port.queue));
	json_object_object_add(r, "packets", json_object_new_uint64(t->packets));
	json_object_object_add(r, "bytes", json_object_new_uint64(t->bytes));
	json_object_object_add(r, "seconds", report_seconds(t->elapsed));
	json_object_object_add(r, "attach_mode",
			       json_object_new_string(xf_attach_mode_str(xf_steer__attach_mode(steer))));
	json_object_object_add(r, "bind_mode",
			       json_object_new_string(xf_bind_mode_str(xf_port__bind_mode(port))));
	json_object_object_add(r, "driver", json_object_new_string(xf_steer__driver(steer)));
	json_object_object_add(r, "need_wakeup", json_object_new_boolean(xf_port__need_wakeup(port)));
	json_object_object_add(r, "hugepages", json_object_new_boolean(o->hugepages_got));
	json_object_object_add(r, "multi_buffer", json_object_new_boolean(xf_port__multi_buffer(port)));
	json_object_object_add(r, "chained", json_object_new_uint64(t->chained));
	json_object_object_add(r, "chains_dropped",
			       json_object_new_uint64(xf_port__rx_chains_dropped(port)));
	json_object_object_add(r, "fallbacks", report_fallbacks(steer, port));
	xf_port__xdp_stats(port, &xs);
	json_object_object_add(r, "xdp_stats", report_xdp_stats(&xs));

	json_object_object_add(r, "joined", json_object_new_boolean(xf_steer__persistent(steer)));
	json_object_object_add(r, "steering", report_steer_stats(steer));

	json_object_object_add(r, "rules", report_rules(steer));

	if (o->verify) {
		json_object *v = json_object_new_object();

		json_object_object_add(v, "ok", json_object_new_uint64(vf->ok));
		json_object_object_add(v, "bad", json_object_new_uint64(vf->bad));
		json_object_object_add(v, "out_of_order", json_object_new_uint64(vf->out_of_order));
		json_object_object_add(v, "missing", json_object_new_uint64(vf->missing));
		json_object_object_add(r, "verify", v);
	}
	return r;
}

int cmd_recv(int argc, char **argv)
{
	struct recv_opts o = {};
	struct xf_rule *rules = NULL;
	struct xf_steer *steer = NULL;
	struct xf_umem *umem = NULL;
	struct xf_port *port = NULL;
	struct recv_totals t = {};
	struct verify vf = {};
	json_object *report = NULL;
	char err[256];
	int ret = 1;

	if (parse_recv(argc, argv, &o))
		return 1;
	rules = calloc(o.nrules, sizeof(*rules));
	if (!rules)
		return 1;
	for (size_t i = 0; i < o.nrules; i++) {
		if (xf_rule__parse(o.rules[i], &rules[i], err, sizeof(err))) {
			cli_err("%s", err);
			goto out;
		}
	}

	/* Join a persistent program ('xskflow attach') if there is one; else bring our own. */
	steer = xf_steer__open(o.port.ifname);
	if (steer) {
		if (o.user_rules) {
			cli_err("interface '%s' has a persistent steering program: its rules are "
				"managed with '" CLI_NAME " rule', not -r", o.port.ifname);
			goto out;
		}
		o.nrules = 0;
	} else if (errno == ENODEV) {
		goto out;	/* no such interface: the library has said so */
	} else {
		XF_OPTS(xf_steer_opts, sopts, .mode = o.port.mode);
		steer = xf_steer__attach(o.port.ifname, &sopts);
		if (!steer)
			goto out;
		if (xf_steer__set_rules(steer, rules, o.nrules))
			goto out;
	}

	if (port_settings_open(&o.port, steer, true, false, &umem, &port))
		goto out;
	o.hugepages_got = xf_umem__hugepages(umem);

	/* Tests and scripts wait for this line before sending. */
	fprintf(stderr, CLI_NAME ": receiving on %s queue %lu (attach %s, bind %s)\n",
		o.port.ifname, o.port.queue, xf_attach_mode_str(xf_steer__attach_mode(steer)),
		xf_bind_mode_str(xf_port__bind_mode(port)));

	if (recv_loop(port, steer, &o, &vf, &t))
		goto out;
	if (o.verify)
		verify_finish(&vf, o.count);
	report = recv_report(&o, &t, steer, port, &vf);
	ret = 0;
	if (o.verify && (vf.bad || vf.out_of_order || vf.missing))
		ret = 2;
out:
	port_settings_finish(port, steer, umem, report, o.json);
	verify_free(&vf);
	free(rules);
	return ret;
}
