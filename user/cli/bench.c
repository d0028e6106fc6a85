// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflow bench: throughput and latency benchmarks on one AF_XDP port (rxdrop, txonly,
 * l2fwd, latency) with live per-interval rates and a JSON summary for scripts/bench.sh. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include "cli.h"
#include "rtt.h"

#define BENCH_MAX_BATCH 256
#define BENCH_MAX_RULES 64
#define BENCH_MAX_NAPI 16
#define BENCH_DEFAULT_RULE "udp dport 4242"
#define BENCH_CHECK_PERIOD 0.01	/* seconds between deadline/signal/rate checks */
/* Receive modes: the app shares its core with the NAPI thread and is off the CPU for
 * milliseconds at a time; the fill ring must cover that (at 1 Mpps, 8 ms), or the kernel
 * drops for want of buffers (rx_fill_ring_empty_descs). Measured: 3-6% loss at 2048
 * entries, 0-0.1% at 8192. Frames: fill + RX ring + a batch in hand, at 2 KiB each. */
#define BENCH_RX_RING 8192
#define BENCH_RX_FRAMES 16384
#define BENCH_RX_FRAME_SIZE 2048

enum bench_mode { B_RXDROP, B_TXONLY, B_L2FWD, B_LATENCY };
enum bench_wait { W_POLL, W_SPIN };

static const char *const mode_names[] = { "rxdrop", "txonly", "l2fwd", "latency" };
static const char *const wait_names[] = { "poll", "spin" };

struct bench_opts {
	enum bench_mode mode;
	struct port_settings port;
	const char *rules[BENCH_MAX_RULES];
	size_t nrules;
	unsigned long batch;
	bool json;
	enum bench_wait wait;
	long cpu;
	double seconds, interval, idle_exit;
	unsigned long count, size, timeout_ms;
	struct flow_args fa;
	const char *hist;
};

/* Run-time state of one benchmark. Counters are plain: one thread drives the port. */
struct bench {
	const struct bench_opts *o;
	struct xf_port *port;
	struct xf_umem *umem;
	int xfd, sfd;
	bool stop, interrupted;
	double t_start, t_end, t_first, t_last, deadline, next_check, next_print;
	uint64_t rx, rx_bytes, tx, tx_bytes, completed, sleeps;
	uint64_t tx_frames, completed_frames;	/* differ from tx/completed with chains */
	/* txonly: frames per packet (more than 1 with --multi-buffer) and bytes per frame */
	unsigned int segs, room;
	uint64_t print_rx, print_tx;
	double print_t;
	/* latency */
	struct rtt_samples rtt;
	uint64_t pings, lost, stray;
	/* where the time went */
	struct rusage ru0, ru1;
	int napi_pid[BENCH_MAX_NAPI];
	int nnapi;
	uint64_t napi_ns0, napi_ns1;
	bool napi_same_core;
	uint64_t if_rxdrop0, if_txdrop0, if_rxdrop1, if_txdrop1;
};

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: " CLI_NAME " bench rxdrop|txonly|l2fwd|latency -i IFACE [-q QUEUE] [-r RULE]...\n"
		"         [-t SECONDS] [-n COUNT] [-b BATCH] [--wait poll|spin] [--cpu N]\n"
		"         [--rx-ring N] [--tx-ring N] [--fill-ring N] [--comp-ring N] [--frames N]\n"
		"         [--frame-size 2048|4096] [--no-wakeup] [--busy-poll USECS]\n"
		"         [--busy-budget N] [--prefer-busy-poll] [--napi-yield] [--multi-buffer]\n"
		"         [--mode auto|native|generic]\n"
		"         [--bind auto|copy|zero-copy] [-s SIZE] [--dst-mac MAC] [--src-mac MAC]\n"
		"         [--src-ip IP] [--dst-ip IP] [--src-port P] [--dst-port P]\n"
		"         [--interval S] [--idle-exit S] [--timeout-ms MS] [--hist FILE] [--json] [-v]\n"
		"Modes: rxdrop receives and releases; txonly sends SIZE-byte UDP frames at full speed;\n"
		"l2fwd receives, swaps the MAC addresses and sends back on the same port; latency\n"
		"sends one frame at a time to a reflector (l2fwd on the far end) and times the round\n"
		"trip. Receive modes steer RULE (default '" BENCH_DEFAULT_RULE "'). Runs for SECONDS\n"
		"(default 10), COUNT packets or until SIGINT; prints rates every --interval seconds\n"
		"(default 1, 0: off) on stderr and a summary at the end (--json: one JSON object).\n"
		"Receive modes default to 16384 frames of 2048 bytes and 8192-entry fill and RX\n"
		"rings (the app shares its core with NAPI) and --wait poll; txonly to 4096 frames\n"
		"of 4096 bytes and --wait spin. --napi-yield (with --wait poll): when the queue's\n"
		"NAPI thread shares our CPU, we run SCHED_FIFO 1 and preempt it whenever we have\n"
		"packets to take; it runs while we sleep, and no receive work is spent on packets\n"
		"we cannot take.\n"
		"--multi-buffer: packets larger than a frame (up to %d bytes, MTU 9000) as chains\n"
		"of frames, counted as packets.\n", PAT_MAX_JUMBO);
}

static int parse_seconds(const char *opt, const char *s, double lo, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (!*s || *end || errno || *out < lo || *out > 1e7) {
		cli_err("%s: '%s' is not a number of seconds >= %g", opt, s, lo);
		return -1;
	}
	return 0;
}

static int parse_mode(const char *s, enum bench_mode *m)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(s, mode_names[i])) {
			*m = (enum bench_mode)i;
			return 0;
		}
	}
	return -1;
}

static int parse_bench(int argc, char **argv, struct bench_opts *o)
{
	bool wait_set = false;
	enum { O_JSON = 256, O_WAIT, O_CPU, O_INTERVAL, O_IDLE, O_HIST, O_TMO };
	static const struct option lopts[] = {
		{ "rule", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, O_JSON },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "cpu", required_argument, NULL, O_CPU },
		CLI_FLOW_LOPTS,
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "idle-exit", required_argument, NULL, O_IDLE },
		{ "hist", required_argument, NULL, O_HIST },
		{ "timeout-ms", required_argument, NULL, O_TMO },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct port_settings *ps = &o->port;
	struct flow_args *fa = &o->fa;
	int c, v = 0, r;
	unsigned long n;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		bench_usage(argc < 2 ? stderr : stdout);
		if (argc >= 2)
			exit(0);
		return -1;
	}
	if (parse_mode(argv[1], &o->mode)) {
		cli_err("bench: '%s' is not one of rxdrop, txonly, l2fwd, latency", argv[1]);
		return -1;
	}
	argc--;
	argv++;

	ps->opts = PO_IFACE | PO_QUEUE | PO_MODE | PO_BIND | PO_FRAME_SIZE | PO_FRAMES | PO_RINGS |
		   PO_NO_WAKEUP | PO_BUSY_POLL | PO_NAPI_YIELD | PO_MULTI_BUFFER;
	ps->frames_lo = 64;
	ps->frames_hi = 1u << 20;
	o->batch = 64;
	o->cpu = -1;
	o->seconds = 10;
	o->interval = 1;
	o->size = 64;
	o->timeout_ms = 200;
	memset(fa->flow.dst_mac, 0xff, 6);
	inet_pton(AF_INET, "198.18.0.1", &fa->flow.src);
	inet_pton(AF_INET, "198.18.0.2", &fa->flow.dst);
	fa->flow.sport = 10000;
	fa->flow.dport = 4242;
	fa->sfam = fa->dfam = AF_INET;
	while ((c = portopts_getopt(ps, argc, argv, "i:q:r:t:n:b:s:vh", lopts)) != -1) {
		r = flow_opt(c, optarg, fa);
		if (r <= 0) {
			if (r < 0)
				return -1;
			continue;
		}
		switch (c) {
		case 'r':
			if (o->nrules == BENCH_MAX_RULES) {
				cli_err("--rule: at most %d rules", BENCH_MAX_RULES);
				return -1;
			}
			o->rules[o->nrules++] = optarg;
			break;
		case 't':
			if (parse_seconds("--time", optarg, 0.001, &o->seconds))
				return -1;
			break;
		case 'n':
			if (cli_uint("--count", optarg, 1, ~0ul, &o->count))
				return -1;
			break;
		case 'b':
			if (cli_uint("--batch", optarg, 1, BENCH_MAX_BATCH, &o->batch))
				return -1;
			break;
		case 's':
			if (cli_uint("--size", optarg, 1, PAT_MAX_JUMBO, &o->size))
				return -1;
			break;
		case O_JSON: o->json = true; break;
		case O_WAIT:
			wait_set = true;
			if (!strcmp(optarg, "poll")) {
				o->wait = W_POLL;
			} else if (!strcmp(optarg, "spin")) {
				o->wait = W_SPIN;
			} else {
				cli_err("--wait: '%s' is not one of poll, spin", optarg);
				return -1;
			}
			break;
		case O_CPU:
			if (cli_uint("--cpu", optarg, 0, CPU_SETSIZE - 1, &n))
				return -1;
			o->cpu = (long)n;
			break;
		case O_INTERVAL:
			if (parse_seconds("--interval", optarg, 0, &o->interval))
				return -1;
			break;
		case O_IDLE:
			if (parse_seconds("--idle-exit", optarg, 0.001, &o->idle_exit))
				return -1;
			break;
		case O_HIST: o->hist = optarg; break;
		case O_TMO:
			if (cli_uint("--timeout-ms", optarg, 1, 60000, &o->timeout_ms))
				return -1;
			break;
		case 'v': v++; break;
		case 'h': bench_usage(stdout); exit(0);
		case PORTOPT_ERR: return -1;
		default: bench_usage(stderr); return -1;
		}
	}
	cli_set_verbosity(v);
	if (optind < argc) {
		cli_err("bench: unexpected argument '%s'; rules go after -r", argv[optind]);
		return -1;
	}
	/* Defaults by mode; anything given explicitly stays. txonly spins: in copy mode its
	 * work is done inside sendto() on our own core, and a poll() after EAGAIN only adds
	 * a sleep (measured: 0.60-0.73 Mpps with poll, 0.77-0.86 spinning). */
	if (o->mode == B_TXONLY && !wait_set)
		o->wait = W_SPIN;
	if (o->mode == B_TXONLY) {
		if (!o->port.frames)
			o->port.frames = 4096;
		if (!o->port.frame_size)
			o->port.frame_size = 4096;
	} else {
		if (!o->port.frames)
			o->port.frames = BENCH_RX_FRAMES;
		if (!o->port.frame_size)
			o->port.frame_size = BENCH_RX_FRAME_SIZE;
		if (!o->port.fill_ring)
			o->port.fill_ring = BENCH_RX_RING;
		if (!o->port.rx_ring)
			o->port.rx_ring = BENCH_RX_RING;
	}
	if (!o->port.ifname) {
		cli_err("bench: -i IFACE is required");
		return -1;
	}
	if (fa->sfam != fa->dfam) {
		cli_err("bench: --src-ip and --dst-ip are not the same address family");
		return -1;
	}
	fa->flow.family = fa->sfam;
	if (o->port.multi_buffer) {
		if (o->size < pat_min_frame(fa->sfam) || o->size > PAT_MAX_JUMBO) {
			cli_err("--size: %lu bytes is outside %u-%d for %s packets with "
				"--multi-buffer", o->size, pat_min_frame(fa->sfam), PAT_MAX_JUMBO,
				fa->sfam == AF_INET6 ? "IPv6" : "IPv4");
			return -1;
		}
		if (o->mode == B_LATENCY && o->size > o->port.frame_size - 256) {
			cli_err("--size: latency pings are one frame: at most %lu bytes with "
				"--frame-size %lu", o->port.frame_size - 256, o->port.frame_size);
			return -1;
		}
		if (o->batch < XF_PKT_MAX_SEGS) {
			cli_err("--batch: %lu is below %d, the most frames one packet takes with "
				"--multi-buffer", o->batch, XF_PKT_MAX_SEGS);
			return -1;
		}
	} else if (o->size < pat_min_frame(fa->sfam) || o->size > o->port.frame_size - 256) {
		cli_err("--size: %lu bytes is outside %u-%lu for %s frames of %lu bytes (larger "
			"packets need --multi-buffer)", o->size, pat_min_frame(fa->sfam),
			o->port.frame_size - 256, fa->sfam == AF_INET6 ? "IPv6" : "IPv4",
			o->port.frame_size);
		return -1;
	}
	if (o->port.napi_yield && o->wait == W_SPIN) {
		cli_err("bench: --napi-yield needs --wait poll: a spinning real-time poller would "
			"starve the NAPI thread");
		return -1;
	}
	if (o->nrules && o->mode == B_TXONLY) {
		cli_err("bench: txonly does not receive; -r makes no sense there");
		return -1;
	}
	if (!o->nrules)
		o->rules[o->nrules++] = BENCH_DEFAULT_RULE;
	return 0;
}

/* ---- time, CPU and counters ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static uint64_t read_u64(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static uint64_t if_stat(const char *ifname, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	return read_u64(path);
}

/* The NAPI kernel threads of the interface ('napi/IFNAME-ID' when threaded NAPI is on). */
static void napi_find(struct bench *b)
{
	char prefix[IF_NAMESIZE + 8], path[300], comm[64];
	struct dirent *de;
	DIR *d = opendir("/proc");
	size_t plen;

	snprintf(prefix, sizeof(prefix), "napi/%s-", b->o->port.ifname);
	plen = strlen(prefix);
	while (d && (de = readdir(d)) && b->nnapi < BENCH_MAX_NAPI) {
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, plen))
			b->napi_pid[b->nnapi++] = atoi(de->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
}

/* Run time of the NAPI threads in ns (the first field of schedstat). */
static uint64_t napi_ns(const struct bench *b)
{
	char path[64];
	uint64_t sum = 0;

	for (int i = 0; i < b->nnapi; i++) {
		snprintf(path, sizeof(path), "/proc/%d/schedstat", b->napi_pid[i]);
		sum += read_u64(path);
	}
	return sum;
}

/* True when we and every NAPI thread of the interface are pinned to the same single CPU. */
static bool napi_shares_core(const struct bench *b)
{
	cpu_set_t self, t;

	if (!b->nnapi || sched_getaffinity(0, sizeof(self), &self) || CPU_COUNT(&self) != 1)
		return false;
	for (int i = 0; i < b->nnapi; i++) {
		if (sched_getaffinity(b->napi_pid[i], sizeof(t), &t) || !CPU_EQUAL(&t, &self))
			return false;
	}
	return true;
}

static void measure_begin(struct bench *b)
{
	napi_find(b);
	b->napi_ns0 = napi_ns(b);
	getrusage(RUSAGE_SELF, &b->ru0);
	b->if_rxdrop0 = if_stat(b->o->port.ifname, "rx_dropped");
	b->if_txdrop0 = if_stat(b->o->port.ifname, "tx_dropped");
	b->t_start = cli_now();
	b->next_check = b->t_start + BENCH_CHECK_PERIOD;
	b->next_print = b->o->interval > 0 ? b->t_start + b->o->interval : 0;
	b->print_t = b->t_start;
	b->deadline = b->t_start + b->o->seconds;
}

static void measure_end(struct bench *b)
{
	b->t_end = cli_now();
	getrusage(RUSAGE_SELF, &b->ru1);
	b->napi_ns1 = napi_ns(b);
	b->napi_same_core = napi_shares_core(b);
	b->if_rxdrop1 = if_stat(b->o->port.ifname, "rx_dropped");
	b->if_txdrop1 = if_stat(b->o->port.ifname, "tx_dropped");
}

static void print_live(struct bench *b, double now)
{
	double dt = now - b->print_t;
	struct xf_xdp_stats xs = {};

	if (dt <= 0)
		return;
	xf_port__xdp_stats(b->port, &xs);
	fprintf(stderr, CLI_NAME ": bench %s: %6.1f s  rx %8.3f Mpps  tx %8.3f Mpps  "
		"xsk drops %llu (fill empty %llu, rx full %llu)\n", mode_names[b->o->mode],
		now - b->t_start, (double)(b->rx - b->print_rx) / dt / 1e6,
		(double)(b->completed - b->print_tx) / dt / 1e6, (unsigned long long)xs.rx_dropped,
		(unsigned long long)xs.rx_fill_ring_empty_descs,
		(unsigned long long)xs.rx_ring_full);
	b->print_rx = b->rx;
	b->print_tx = b->completed;
	b->print_t = now;
}

/* Every BENCH_CHECK_PERIOD: signals, the deadline, the idle timeout and the live rates. */
static void check(struct bench *b, double now)
{
	const struct bench_opts *o = b->o;
	struct signalfd_siginfo si;

	if (now < b->next_check)
		return;
	b->next_check = now + BENCH_CHECK_PERIOD;
	if (read(b->sfd, &si, sizeof(si)) > 0) {
		b->interrupted = true;
		b->stop = true;
	}
	if (now >= b->deadline)
		b->stop = true;
	if (o->idle_exit > 0 && b->rx && now - b->t_last >= o->idle_exit)
		b->stop = true;
	if (b->next_print && now >= b->next_print) {
		print_live(b, now);
		b->next_print += o->interval;
		if (b->next_print < now)
			b->next_print = now + o->interval;
	}
}

/* Nothing to do: sleep in poll() until the socket is ready or the next check is due. */
static void wait_ready(struct bench *b, short events, double now)
{
	struct pollfd pfd[2] = {
		{ .fd = b->xfd, .events = events },
		{ .fd = b->sfd, .events = POLLIN },
	};
	int ms = (int)((b->next_check - now) * 1000) + 1;

	if (ms < 0)
		ms = 0;	/* the check is due already: a negative timeout would block */
	b->sleeps++;
	poll(pfd, 2, ms);
}

/* Spinning with busy polling on: drive the NAPI instance from our context. */
static void busy_kick(struct bench *b)
{
	if (b->o->port.busy_poll)
		recvfrom(b->xfd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/* ---- the modes ---- */

static void count_rx(struct bench *b, const struct xf_pkt *pkts, unsigned int n, double now)
{
	for (unsigned int i = 0; i < n; i++)
		b->rx_bytes += pkts[i].len;
	if (!b->rx)
		b->t_first = now;
	b->t_last = now;
	b->rx += b->o->port.multi_buffer ? xf_pkt__count(pkts, n) : n;
}

/* Sent frames back from the completion ring. Completions are frames: with chains the
 * packet count follows from them (exact in txonly and once everything sent has completed,
 * in proportion in between for l2fwd). */
static void take_completions(struct bench *b)
{
	b->completed_frames += xf_port__complete(b->port);
	if (b->tx_frames == b->tx)
		b->completed = b->completed_frames;
	else if (b->completed_frames == b->tx_frames)
		b->completed = b->tx;
	else if (b->segs > 1)	/* txonly: every packet is b->segs frames */
		b->completed = b->completed_frames / b->segs;
	else	/* l2fwd: in floating point (the product outgrows 64 bits); an estimate */
		b->completed = (uint64_t)((double)b->completed_frames * (double)b->tx /
					  (double)b->tx_frames);
}

static void run_rxdrop(struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct xf_pkt pkts[BENCH_MAX_BATCH];

	while (!b->stop) {
		unsigned int n = xf_port__rx(b->port, pkts, (unsigned int)o->batch);
		double now = cli_now();

		if (n) {
			count_rx(b, pkts, n, now);
			xf_port__release(b->port, pkts, n);
			if (o->count && b->rx >= o->count)
				break;
		} else if (o->wait == W_POLL) {
			wait_ready(b, POLLIN, now);
		} else {
			busy_kick(b);
		}
		check(b, now);
	}
}

/* Every frame of the UMEM carries the test frame already (its first frame's worth, with
 * --multi-buffer: the headers go in a chain's first segment, the rest is payload to the
 * sink): txonly only sets lengths. */
static void prebuild_frames(struct bench *b)
{
	static uint8_t whole[PAT_MAX_JUMBO];
	uint8_t *area = xf_umem__area(b->umem);
	__u32 fs = xf_umem__frame_size(b->umem), hr = xf_umem__headroom(b->umem);
	unsigned int size = (unsigned int)b->o->size;

	b->room = fs - hr;
	b->segs = (size + b->room - 1) / b->room;
	pat_build(whole, size, &b->o->fa.flow, 0);
	/* A chain repeats its first frame's bytes: the UDP checksum of the pattern does not
	 * hold; IPv4 says "none" with 0 (IPv6 has no such value: its chains carry a wrong
	 * one, which an XDP sink does not look at). */
	if (b->segs > 1 && b->o->fa.flow.family == AF_INET)
		memset(whole + ETH_HLEN + sizeof(struct iphdr) + 6, 0, 2);
	for (__u32 i = 0; i < xf_umem__frame_count(b->umem); i++)
		memcpy(area + (size_t)i * fs + hr, whole, size < b->room ? size : b->room);
}

/* @n frames (a multiple of b->segs) as chains of b->segs frames, one packet each (one
 * frame of the whole size without --multi-buffer). */
static void chain_frames(const struct bench *b, struct xf_pkt *pkts, unsigned int n)
{
	__u32 last = (__u32)b->o->size - (b->segs - 1) * b->room;

	for (unsigned int i = 0; i < n; i += b->segs) {
		for (unsigned int k = 0; k < b->segs - 1; k++) {
			pkts[i + k].len = b->room;
			pkts[i + k].options = XF_PKT_CONTD;
		}
		pkts[i + b->segs - 1].len = last;
		pkts[i + b->segs - 1].options = 0;
	}
}

static void run_txonly(struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct xf_pkt pkts[BENCH_MAX_BATCH];
	unsigned int per_burst = (unsigned int)o->batch;

	if (per_burst * b->segs > BENCH_MAX_BATCH)
		per_burst = BENCH_MAX_BATCH / b->segs;
	while (!b->stop) {
		unsigned int want = per_burst, n, sent = 0;
		double now;

		take_completions(b);
		if (o->count && o->count - b->tx < want)
			want = (unsigned int)(o->count - b->tx);
		n = want ? xf_port__tx_alloc(b->port, pkts, want * b->segs) : 0;
		xf_port__release(b->port, pkts + n - n % b->segs, n % b->segs);
		n -= n % b->segs;
		chain_frames(b, pkts, n);
		if (n) {
			sent = xf_port__tx(b->port, pkts, n);
			xf_port__release(b->port, pkts + sent, n - sent);
			b->tx += sent / b->segs;
			b->tx_frames += sent;
			b->tx_bytes += (uint64_t)(sent / b->segs) * o->size;
		}
		now = cli_now();
		if (o->count && b->tx >= o->count && b->completed >= b->tx)
			break;
		if (sent < want * b->segs || !want) {
			if (o->wait == W_POLL)
				wait_ready(b, POLLOUT, now);
		}
		check(b, now);
	}
}

static inline void swap_mac(uint8_t *d)
{
	uint8_t tmp[6];

	memcpy(tmp, d, 6);
	memcpy(d, d + 6, 6);
	memcpy(d + 6, tmp, 6);
}

/* Receive, swap MACs, send back. What the TX ring cannot take waits (and RX with it), so
 * the application drops nothing: overload shows up as kernel RX drops. */
static void run_l2fwd(struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct xf_pkt pkts[BENCH_MAX_BATCH];
	unsigned int npend = 0, off = 0;

	while (!b->stop) {
		double now;

		take_completions(b);
		if (npend) {
			unsigned int k = xf_port__tx(b->port, pkts + off, npend);

			b->tx += o->port.multi_buffer ? xf_pkt__count(pkts + off, k) : k;
			b->tx_frames += k;
			for (unsigned int i = 0; i < k; i++)
				b->tx_bytes += pkts[off + i].len;
			off += k;
			npend -= k;
			now = cli_now();
			if (npend && o->wait == W_POLL)
				wait_ready(b, POLLOUT, now);
			check(b, now);
			continue;
		}
		npend = xf_port__rx(b->port, pkts, (unsigned int)o->batch);
		off = 0;
		now = cli_now();
		if (npend) {
			count_rx(b, pkts, npend, now);
			/* The MAC addresses are in a chain's first segment. */
			for (unsigned int i = 0; i < npend; i++)
				if (!i || !(pkts[i - 1].options & XF_PKT_CONTD))
					swap_mac(pkts[i].data);
			if (o->count && b->rx >= o->count)
				b->deadline = now;	/* send these, then stop */
			continue;
		}
		if (o->wait == W_POLL)
			wait_ready(b, POLLIN, now);
		else
			busy_kick(b);
		check(b, now);
	}
	xf_port__release(b->port, pkts + off, npend);
}

/* Our own frames come back with the sequence number where we put it. */
static bool pong_seq(const struct bench *b, const struct xf_pkt *p, uint32_t *seq)
{
	unsigned int off = b->o->fa.flow.family == AF_INET6 ? 14 + 40 + 8 : 14 + 20 + 8;
	const uint8_t *d = p->data;
	uint32_t s;

	if (p->len < off + PAT_HDR_LEN || memcmp(d + off, PAT_MAGIC, 4))
		return false;
	memcpy(&s, d + off + 4, 4);
	*seq = ntohl(s);
	return true;
}

/* One frame in flight at a time: send, wait for it to come back (or time out), repeat. */
static void run_latency(struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct xf_pkt pkts[BENCH_MAX_BATCH];
	uint32_t seq = 0;

	while (!b->stop && (!o->count || b->pings < o->count)) {
		uint64_t t0, tmo;
		bool back = false;

		take_completions(b);
		if (xf_port__tx_alloc(b->port, pkts, 1) != 1) {
			wait_ready(b, POLLOUT, cli_now());
			check(b, cli_now());
			continue;
		}
		pat_build(pkts[0].data, (unsigned int)o->size, &o->fa.flow, seq);
		pkts[0].len = (__u32)o->size;
		t0 = now_ns();
		if (xf_port__tx(b->port, pkts, 1) != 1) {
			xf_port__release(b->port, pkts, 1);
			check(b, cli_now());
			continue;
		}
		b->tx++;
		b->tx_frames++;
		b->tx_bytes += o->size;
		b->pings++;
		tmo = t0 + o->timeout_ms * 1000000ull;
		while (!back) {
			unsigned int n = xf_port__rx(b->port, pkts, (unsigned int)o->batch);
			uint64_t t = now_ns();

			for (unsigned int i = 0; i < n; i++) {
				uint32_t s;

				if (pong_seq(b, &pkts[i], &s) && s == seq) {
					back = true;
					if (rtt_add(&b->rtt, t - t0))
						b->stop = true;
				} else {
					b->stray++;
				}
			}
			if (n) {
				count_rx(b, pkts, n, cli_now());
				xf_port__release(b->port, pkts, n);
				continue;
			}
			if (t >= tmo) {
				b->lost++;
				break;
			}
			if (o->wait == W_POLL) {
				struct pollfd pfd = { .fd = b->xfd, .events = POLLIN };
				int ms = (int)((tmo - t + 999999) / 1000000);

				b->sleeps++;
				poll(&pfd, 1, ms);
			} else {
				busy_kick(b);
			}
		}
		seq++;
		check(b, cli_now());
	}
}

/* ---- report ---- */

static json_object *jdouble(double v, const char *fmt)
{
	char buf[48];

	snprintf(buf, sizeof(buf), fmt, v);
	return json_object_new_double_s(v, buf);
}

static json_object *latency_report(struct bench *b)
{
	json_object *l = json_object_new_object();
	struct rtt_summary r;

	rtt_summarize(&b->rtt, &r);
	json_object_object_add(l, "samples", json_object_new_uint64(r.samples));
	json_object_object_add(l, "lost", json_object_new_uint64(b->lost));
	json_object_object_add(l, "stray", json_object_new_uint64(b->stray));
	json_object_object_add(l, "min_us", jdouble(r.min_us, "%.3f"));
	json_object_object_add(l, "mean_us", jdouble(r.mean_us, "%.3f"));
	json_object_object_add(l, "p50_us", jdouble(r.p50_us, "%.3f"));
	json_object_object_add(l, "p90_us", jdouble(r.p90_us, "%.3f"));
	json_object_object_add(l, "p99_us", jdouble(r.p99_us, "%.3f"));
	json_object_object_add(l, "p999_us", jdouble(r.p999_us, "%.3f"));
	json_object_object_add(l, "max_us", jdouble(r.max_us, "%.3f"));
	return l;
}

static int write_hist(struct bench *b, const char *path)
{
	int err = rtt_write_cdf(&b->rtt, path);

	if (err)
		cli_err("--hist: cannot write '%s': %s", path, strerror(-err));
	return err;
}

static json_object *bench_report(struct bench *b, struct xf_steer *steer)
{
	const struct bench_opts *o = b->o;
	json_object *r = json_object_new_object(), *cpu, *rings;
	struct xf_xdp_stats xs = {};
	struct xf_ring_occupancy sz;
	double secs = b->t_end - b->t_start, active = b->t_last - b->t_first;
	double user = tv_s(&b->ru1.ru_utime) - tv_s(&b->ru0.ru_utime);
	double sys = tv_s(&b->ru1.ru_stime) - tv_s(&b->ru0.ru_stime);
	double napi = (double)(b->napi_ns1 - b->napi_ns0) / 1e9;
	uint64_t rxdrop = b->if_rxdrop1 - b->if_rxdrop0, txdrop = b->if_txdrop1 - b->if_txdrop0;
	uint64_t pkts, bytes, dropped = 0;
	double rate_secs, loss = 0;

	switch (o->mode) {
	case B_TXONLY:
		pkts = b->completed;
		bytes = b->completed * o->size;
		dropped = txdrop;
		loss = pkts ? (double)dropped / (double)pkts : 0;
		break;
	case B_LATENCY:
		pkts = b->pings;
		bytes = b->tx_bytes;
		dropped = b->lost;
		loss = pkts ? (double)b->lost / (double)pkts : 0;
		break;
	case B_L2FWD:
		pkts = b->rx;
		bytes = b->rx_bytes;
		dropped = rxdrop + txdrop;
		loss = pkts + rxdrop ? (double)dropped / (double)(pkts + rxdrop) : 0;
		break;
	default:
		pkts = b->rx;
		bytes = b->rx_bytes;
		dropped = rxdrop;
		loss = pkts + rxdrop ? (double)dropped / (double)(pkts + rxdrop) : 0;
		break;
	}
	/* Receive modes count from the first packet to the last; others over the whole run. */
	rate_secs = (o->mode == B_RXDROP || o->mode == B_L2FWD) && b->rx > 1 && active > 0 ?
		    active : secs;

	json_object_object_add(r, "mode", json_object_new_string(mode_names[o->mode]));
	json_object_object_add(r, "interface", json_object_new_string(o->port.ifname));
	json_object_object_add(r, "queue", json_object_new_uint64(o->port.queue));
	json_object_object_add(r, "packets", json_object_new_uint64(pkts));
	json_object_object_add(r, "bytes", json_object_new_uint64(bytes));
	json_object_object_add(r, "seconds", report_seconds(secs));
	json_object_object_add(r, "active_seconds", report_seconds(rate_secs));
	json_object_object_add(r, "pps", jdouble(rate_secs > 0 ? (double)pkts / rate_secs : 0,
						 "%.0f"));
	json_object_object_add(r, "bps", jdouble(rate_secs > 0 ? (double)bytes * 8 / rate_secs : 0,
						 "%.0f"));
	json_object_object_add(r, "dropped", json_object_new_uint64(dropped));
	json_object_object_add(r, "loss", jdouble(loss, "%.6f"));
	json_object_object_add(r, "rx_packets", json_object_new_uint64(b->rx));
	json_object_object_add(r, "tx_packets", json_object_new_uint64(b->completed));
	json_object_object_add(r, "iface_rx_dropped", json_object_new_uint64(rxdrop));
	json_object_object_add(r, "iface_tx_dropped", json_object_new_uint64(txdrop));

	cpu = json_object_new_object();
	json_object_object_add(cpu, "user_s", jdouble(user, "%.3f"));
	json_object_object_add(cpu, "sys_s", jdouble(sys, "%.3f"));
	json_object_object_add(cpu, "napi_s", jdouble(napi, "%.3f"));
	json_object_object_add(cpu, "napi_threads", json_object_new_int(b->nnapi));
	json_object_object_add(cpu, "napi_same_core", json_object_new_boolean(b->napi_same_core));
	json_object_object_add(cpu, "sleeps", json_object_new_uint64(b->sleeps));
	json_object_object_add(cpu, "ns_per_packet",
			       jdouble(pkts ? (user + sys) * 1e9 / (double)pkts : 0, "%.1f"));
	json_object_object_add(cpu, "ns_per_packet_with_napi",
			       jdouble(pkts ? (user + sys + (b->napi_same_core ? napi : 0)) * 1e9 /
						      (double)pkts : 0, "%.1f"));
	json_object_object_add(r, "cpu", cpu);
	if (o->mode == B_LATENCY)
		json_object_object_add(r, "latency", latency_report(b));

	json_object_object_add(r, "size", json_object_new_uint64(o->size));
	json_object_object_add(r, "multi_buffer", json_object_new_boolean(o->port.multi_buffer));
	json_object_object_add(r, "batch", json_object_new_uint64(o->batch));
	json_object_object_add(r, "wait", json_object_new_string(wait_names[o->wait]));
	json_object_object_add(r, "need_wakeup", json_object_new_boolean(!o->port.no_wakeup));
	json_object_object_add(r, "busy_poll_usecs", json_object_new_uint64(o->port.busy_poll));
	json_object_object_add(r, "napi_yield", xf_port__napi_thread(b->port) ?
			       json_object_new_int(xf_port__napi_thread(b->port)) : NULL);
	json_object_object_add(r, "cpu_pinned", json_object_new_int((int)o->cpu));
	json_object_object_add(r, "attach_mode", json_object_new_string(
		steer ? xf_attach_mode_str(xf_steer__attach_mode(steer)) : "none"));
	json_object_object_add(r, "bind_mode",
			       json_object_new_string(xf_bind_mode_str(xf_port__bind_mode(b->port))));
	rings = json_object_new_object();
	xf_port__ring_sizes(b->port, &sz);
	json_object_object_add(rings, "rx", json_object_new_uint64(sz.rx));
	json_object_object_add(rings, "tx", json_object_new_uint64(sz.tx));
	json_object_object_add(rings, "fill", json_object_new_uint64(sz.fill));
	json_object_object_add(rings, "comp", json_object_new_uint64(sz.comp));
	json_object_object_add(rings, "frames",
			       json_object_new_uint64(xf_umem__frame_count(b->umem)));
	json_object_object_add(rings, "frame_size",
			       json_object_new_uint64(xf_umem__frame_size(b->umem)));
	json_object_object_add(r, "rings", rings);
	json_object_object_add(r, "fallbacks", report_fallbacks(steer, b->port));
	xf_port__xdp_stats(b->port, &xs);
	json_object_object_add(r, "xdp_stats", report_xdp_stats(&xs));
	json_object_object_add(r, "interrupted", json_object_new_boolean(b->interrupted));
	return r;
}

/* ---- setup ---- */

static int pin_cpu(long cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		cli_err("--cpu: cannot run on CPU %ld: %s", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

static int steer_setup(const struct bench_opts *o, struct xf_steer **steer)
{
	struct xf_rule rules[BENCH_MAX_RULES];
	char err[256];

	for (size_t i = 0; i < o->nrules; i++) {
		if (xf_rule__parse(o->rules[i], &rules[i], err, sizeof(err))) {
			cli_err("%s", err);
			return -1;
		}
	}
	XF_OPTS(xf_steer_opts, sopts, .mode = o->port.mode);
	*steer = xf_steer__attach(o->port.ifname, &sopts);
	if (!*steer)
		return -1;
	return xf_steer__set_rules(*steer, rules, o->nrules) ? -1 : 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = {};
	struct bench b = { .o = &o, .xfd = -1, .sfd = -1 };
	struct xf_steer *steer = NULL;
	json_object *report = NULL;
	bool rx, tx;
	int ret = 1;

	if (parse_bench(argc, argv, &o))
		return 1;
	if (!o.fa.src_mac && cli_iface_mac(o.port.ifname, o.fa.flow.src_mac)) {
		cli_err("interface '%s' not found or has no MAC address; check 'ip link'",
			o.port.ifname);
		return 1;
	}
	rx = o.mode != B_TXONLY;
	tx = o.mode != B_RXDROP;
	if (pin_cpu(o.cpu))
		return 1;
	b.sfd = cli_signalfd();
	if (b.sfd < 0) {
		cli_err("bench: cannot create a signal descriptor: %s", strerror(errno));
		return 1;
	}
	if (rx && steer_setup(&o, &steer))
		goto out;

	if (port_settings_open(&o.port, steer, rx, tx, &b.umem, &b.port))
		goto out;
	b.xfd = xf_port__fd(b.port);
	if (o.mode == B_TXONLY)
		prebuild_frames(&b);

	/* Scripts wait for this line before they start traffic. */
	fprintf(stderr, CLI_NAME ": bench %s ready on %s queue %lu (attach %s, bind %s)\n",
		mode_names[o.mode], o.port.ifname, o.port.queue,
		steer ? xf_attach_mode_str(xf_steer__attach_mode(steer)) : "none",
		xf_bind_mode_str(xf_port__bind_mode(b.port)));

	measure_begin(&b);
	switch (o.mode) {
	case B_RXDROP: run_rxdrop(&b); break;
	case B_TXONLY: run_txonly(&b); break;
	case B_L2FWD: run_l2fwd(&b); break;
	case B_LATENCY: run_latency(&b); break;
	}
	measure_end(&b);
	/* Whatever is still in flight on TX completes; it is not counted. */
	for (int i = 0; i < 100 && tx; i++) {
		struct xf_frame_counts fc;

		xf_port__complete(b.port);
		xf_port__frame_counts(b.port, &fc);
		if (!fc.tx)
			break;
		xf_port__poll(b.port, true, 1);
	}
	report = bench_report(&b, steer);
	if (o.hist && o.mode == B_LATENCY && write_hist(&b, o.hist))
		goto out;
	ret = 0;
out:
	port_settings_finish(b.port, steer, b.umem, report, o.json);
	if (b.sfd >= 0)
		close(b.sfd);
	rtt_free(&b.rtt);
	return ret;
}
