// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflow send: transmit sequenced UDP test frames through an AF_XDP socket, optionally
 * paced, wait for every completion, and report. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "cli.h"

#define SEND_BURST 64
#define SEND_COMPLETE_TIMEOUT 5.0
#define SEND_MAX_SINGLE (4096 - 256)
#define SEND_MAX_SEGS 3		/* frames of 4096 bytes a PAT_MAX_JUMBO frame needs */

struct send_opts {
	struct port_settings port;
	struct flow_args fa;
	unsigned long count, size_min, size_max, rate, seed, first_seq;
	bool json;
};

static void send_usage(FILE *f)
{
	fprintf(f,
		"usage: " CLI_NAME " send -i IFACE [-q QUEUE] --dst-mac MAC [--src-mac MAC]\n"
		"                    --src-ip IP --dst-ip IP [--src-port P] --dst-port P [-n COUNT]\n"
		"                    [-s SIZE | -s MIN-MAX] [--rate PPS] [--seed N]\n"
		"                    [--first-seq N] [--bind auto|copy|zero-copy] [--multi-buffer]\n"
		"                    [--json] [-v]\n"
		"Sends COUNT (default 1000) UDP frames of SIZE bytes (Ethernet frame without FCS,\n"
		"default 64) carrying the xskflow test pattern, sequence numbers from --first-seq\n"
		"(default 0); MIN-MAX draws sizes from a PRNG seeded by --seed. SIZE is at most\n"
		"3840 bytes, or %d with --multi-buffer (frames chained, for an MTU of 9000).\n",
		PAT_MAX_JUMBO);
}

static int parse_size(const char *s, unsigned long *lo, unsigned long *hi)
{
	char buf[32], *dash;

	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (cli_uint("--size", buf, 1, 65535, lo))
		return -1;
	*hi = *lo;
	if (dash && cli_uint("--size", dash + 1, 1, 65535, hi))
		return -1;
	if (*lo > *hi) {
		cli_err("--size: range '%s' is upside down; write %lu-%lu", s, *hi, *lo);
		return -1;
	}
	return 0;
}

static int parse_send(int argc, char **argv, struct send_opts *o)
{
	enum { O_RATE = 256, O_SEED, O_JSON, O_FIRST };
	static const struct option lopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		CLI_FLOW_LOPTS,
		{ "rate", required_argument, NULL, O_RATE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "first-seq", required_argument, NULL, O_FIRST },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct flow_args *fa = &o->fa;
	int c, v = 0, r;
	unsigned int min;
	struct port_settings *ps = &o->port;

	ps->opts = PO_IFACE | PO_QUEUE | PO_BIND | PO_MULTI_BUFFER;
	o->count = 1000;
	o->size_min = o->size_max = 64;
	o->seed = 1;
	while ((c = portopts_getopt(ps, argc, argv, "i:q:n:s:vh", lopts)) != -1) {
		r = flow_opt(c, optarg, fa);
		if (r <= 0) {
			if (r < 0)
				return -1;
			continue;
		}
		switch (c) {
		case 'n':
			if (cli_uint("--count", optarg, 1, ~0u, &o->count))
				return -1;
			break;
		case 's':
			if (parse_size(optarg, &o->size_min, &o->size_max))
				return -1;
			break;
		case O_RATE:
			if (cli_uint("--rate", optarg, 1, 100000000, &o->rate))
				return -1;
			break;
		case O_SEED:
			if (cli_uint("--seed", optarg, 0, ~0u, &o->seed))
				return -1;
			break;
		case O_FIRST:
			if (cli_uint("--first-seq", optarg, 0, ~0u, &o->first_seq))
				return -1;
			break;
		case O_JSON: o->json = true; break;
		case 'v': v++; break;
		case 'h': send_usage(stdout); exit(0);
		case PORTOPT_ERR: return -1;
		default: send_usage(stderr); return -1;
		}
	}
	cli_set_verbosity(v);
	if (optind < argc) {
		cli_err("send: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!ps->ifname || !fa->dst_mac || !fa->src_ip || !fa->dst_ip || !fa->dport) {
		cli_err("send: -i, --dst-mac, --src-ip, --dst-ip and --dst-port are required");
		send_usage(stderr);
		return -1;
	}
	if (fa->sfam != fa->dfam) {
		cli_err("send: --src-ip %s and --dst-ip %s are not the same address family",
			fa->src_ip, fa->dst_ip);
		return -1;
	}
	fa->flow.family = fa->sfam;
	if (!fa->sport)
		fa->flow.sport = 10000;
	min = pat_min_frame(fa->sfam);
	if (o->size_min < min) {
		cli_err("--size: %lu bytes is too small for an %s test frame; use at least %u",
			o->size_min, fa->sfam == AF_INET6 ? "IPv6" : "IPv4", min);
		return -1;
	}
	if (o->size_max > (o->port.multi_buffer ? PAT_MAX_JUMBO : SEND_MAX_SINGLE)) {
		if (o->port.multi_buffer)
			cli_err("--size: %lu bytes is more than a 9000-byte MTU carries; use at most %d",
				o->size_max, PAT_MAX_JUMBO);
		else
			cli_err("--size: %lu bytes does not fit a 4096-byte frame; use at most %d, "
				"or --multi-buffer for jumbo frames", o->size_max, SEND_MAX_SINGLE);
		return -1;
	}
	return 0;
}

/* xorshift32: sizes are reproducible from --seed. */
static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (time_t)t) * 1e9) };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static unsigned int pkt_len(const struct send_opts *o, uint32_t *rng)
{
	unsigned int len = (unsigned int)o->size_min;

	if (o->size_max > o->size_min)
		len += next_rand(rng) % (o->size_max - o->size_min + 1);
	return len;
}

/* The PRNG state after drawing the sizes of @n packets from state @rng. */
static uint32_t rng_at(const struct send_opts *o, uint32_t rng, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pkt_len(o, &rng);
	return rng;
}

/* One packet of @len bytes as a chain of frames: built whole in @scratch, then cut at
 * frame boundaries. Returns the segments used, 0 when the pool ran short. */
static unsigned int build_chain(struct xf_port *port, struct xf_pkt *segs, unsigned int len,
				const struct flow *f, uint32_t seq)
{
	static uint8_t scratch[PAT_MAX_JUMBO];
	unsigned int n, off = 0, want;

	if (xf_port__tx_alloc(port, segs, 1) != 1)
		return 0;
	want = (len + segs[0].len - 1) / segs[0].len;
	n = 1 + xf_port__tx_alloc(port, segs + 1, want - 1);
	if (n < want) {
		xf_port__release(port, segs, n);
		return 0;
	}
	pat_build(scratch, len, f, seq);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = len - off < segs[i].len ? len - off : segs[i].len;

		memcpy(segs[i].data, scratch + off, k);
		segs[i].len = k;
		segs[i].options = i + 1 < n ? XF_PKT_CONTD : 0;
		off += k;
	}
	return n;
}

/* Up to @want packets in @pkts (segments with multi-buffer). Returns segments built;
 * @npkts receives the packets they make. */
static unsigned int build_burst(struct xf_port *port, struct xf_pkt *pkts, unsigned int want,
				const struct send_opts *o, uint64_t sent, uint32_t *rng,
				unsigned int *npkts)
{
	unsigned int n = 0, k;

	*npkts = 0;
	if (!o->port.multi_buffer) {
		n = xf_port__tx_alloc(port, pkts, want);
		for (unsigned int i = 0; i < n; i++) {
			pkts[i].len = pkt_len(o, rng);
			pkts[i].options = 0;
			pat_build(pkts[i].data, pkts[i].len, &o->fa.flow,
				  (uint32_t)(o->first_seq + sent + i));
		}
		*npkts = n;
		return n;
	}
	for (; *npkts < want; (*npkts)++) {
		uint32_t r = *rng;

		k = build_chain(port, pkts + n, pkt_len(o, &r), &o->fa.flow,
				(uint32_t)(o->first_seq + sent + *npkts));
		if (!k)
			break;
		*rng = r;
		n += k;
	}
	return n;
}

int cmd_send(int argc, char **argv)
{
	struct send_opts o = {};
	struct xf_umem *umem = NULL;
	struct xf_port *port = NULL;
	struct xf_pkt pkts[SEND_BURST * SEND_MAX_SEGS];
	uint64_t sent = 0, bytes = 0;
	json_object *report = NULL;
	uint32_t rng, rng_before;
	unsigned int npkts;
	double start, deadline;
	int ret = 1;

	if (parse_send(argc, argv, &o))
		return 1;
	rng = rng_before = (uint32_t)o.seed;
	if (!o.fa.src_mac && cli_iface_mac(o.port.ifname, o.fa.flow.src_mac)) {
		cli_err("interface '%s' not found or has no MAC address; check 'ip link' or give "
			"--src-mac", o.port.ifname);
		return 1;
	}

	/* No UMEM options here: frames as large as the largest packet needs. */
	o.port.frame_size = o.size_max > 2048 ? 4096 : 2048;
	o.port.frames = 4096;
	if (port_settings_open(&o.port, NULL, false, true, &umem, &port))
		goto out;

	start = cli_now();
	while (sent < o.count) {
		unsigned int want = SEND_BURST, n, done;

		if (o.count - sent < want)
			want = (unsigned int)(o.count - sent);
		if (o.rate) {
			/* Pace per burst: the burst is due when its first frame is. */
			if (want > o.rate / 1000 + 1)
				want = o.rate / 1000 + 1;
			sleep_until(start + (double)sent / o.rate);
		}
		xf_port__complete(port);
		n = build_burst(port, pkts, want, &o, sent, &rng, &npkts);
		done = xf_port__tx(port, pkts, n);
		for (unsigned int i = 0; i < done; i++)
			bytes += pkts[i].len;
		/* What the ring could not take goes back; it is rebuilt with the same numbers
		 * (the PRNG is rewound to the first packet not sent). */
		xf_port__release(port, pkts + done, n - done);
		npkts = xf_pkt__count(pkts, done);
		rng = rng_at(&o, rng_before, npkts);
		sent += npkts;
		rng_before = rng;
		if (npkts < want)
			xf_port__poll(port, true, 10);
	}

	deadline = cli_now() + SEND_COMPLETE_TIMEOUT;
	for (;;) {
		struct xf_frame_counts fc;

		xf_port__complete(port);
		xf_port__frame_counts(port, &fc);
		if (!fc.tx)
			break;
		if (cli_now() > deadline) {
			cli_err("interface '%s': %u frames not completed after %.0f s; the link may be "
				"down", o.port.ifname, fc.tx, SEND_COMPLETE_TIMEOUT);
			goto out;
		}
		xf_port__poll(port, true, 1);
	}

	report = json_object_new_object();
	json_object_object_add(report, "interface", json_object_new_string(o.port.ifname));
	json_object_object_add(report, "queue", json_object_new_uint64(o.port.queue));
	json_object_object_add(report, "packets", json_object_new_uint64(sent));
	json_object_object_add(report, "bytes", json_object_new_uint64(bytes));
	json_object_object_add(report, "seconds", report_seconds(cli_now() - start));
	json_object_object_add(report, "attach_mode", json_object_new_string("none"));
	json_object_object_add(report, "bind_mode",
			       json_object_new_string(xf_bind_mode_str(xf_port__bind_mode(port))));
	json_object_object_add(report, "fallbacks", report_fallbacks(NULL, port));
	{
		struct xf_xdp_stats xs = {};

		xf_port__xdp_stats(port, &xs);
		json_object_object_add(report, "xdp_stats", report_xdp_stats(&xs));
	}
	ret = 0;
out:
	port_settings_finish(port, NULL, umem, report, o.json);
	return ret;
}
