// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel UDP round-trip baseline for the latency benchmark: an echo server and a client
 * that keeps one datagram in flight and reports p50/p99/p99.9 like 'xskflow bench latency'
 * (the same sample keeping and quantiles: user/cli/rtt.c). --spin: never sleep in recv
 * (MSG_DONTWAIT in a loop), the kernel-socket counterpart of 'xskflow bench --wait spin'. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "rtt.h"

#define HDRS_V4 42	/* Ethernet + IPv4 + UDP */

static volatile sig_atomic_t stop;

static struct {
	bool server, json, spin;
	const char *addr, *hist;
	int port, cpu;
	unsigned int size;
	double seconds;
	unsigned long count;
	int timeout_ms;
} opt = { .port = 4243, .cpu = -1, .size = 64, .seconds = 5, .timeout_ms = 200 };

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "udp_rtt: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: udp_rtt server [-p PORT] [--cpu N] [--spin]\n"
		   "       udp_rtt client -a IPV4 [-p PORT] [-s FRAME_SIZE] [-t SECONDS] [-n COUNT]\n"
		   "                      [--cpu N] [--timeout-ms MS] [--hist FILE] [--json] [--spin]\n"
		   "The server echoes datagrams; the client keeps one in flight and times round\n"
		   "trips. FRAME_SIZE is the Ethernet frame without FCS (UDP payload = size - 42).\n"
		   "--spin polls the socket without sleeping instead of blocking in recv().\n");
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "hist", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "spin", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (argc < 2) {
		usage(stderr);
		exit(1);
	}
	if (!strcmp(argv[1], "server"))
		opt.server = true;
	else if (strcmp(argv[1], "client")) {
		usage(!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ? stdout : stderr);
		exit(strcmp(argv[1], "-h") && strcmp(argv[1], "--help"));
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "a:p:s:t:n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 's': opt.size = (unsigned int)atoi(optarg); break;
		case 't': opt.seconds = atof(optarg); break;
		case 'n': opt.count = strtoul(optarg, NULL, 0); break;
		case 'c': opt.cpu = atoi(optarg); break;
		case 'T': opt.timeout_ms = atoi(optarg); break;
		case 'H': opt.hist = optarg; break;
		case 'j': opt.json = true; break;
		case 'S': opt.spin = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if ((!opt.server && !opt.addr) || opt.size < 60 || opt.size > 1500 || opt.port <= 0 ||
	    opt.port > 65535) {
		usage(stderr);
		exit(1);
	}
}

static void pin(void)
{
	cpu_set_t set;

	if (opt.cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(opt.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static int serve(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[2048];

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("server socket");
	fprintf(stderr, "udp_rtt: server ready on port %d\n", opt.port);
	while (!stop) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), opt.spin ? MSG_DONTWAIT : 0,
				     (struct sockaddr *)&from, &flen);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("recvfrom");
		}
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
	}
	close(fd);
	return 0;
}

static int client(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	struct timeval tv = { .tv_sec = opt.timeout_ms / 1000,
			      .tv_usec = (opt.timeout_ms % 1000) * 1000 };
	size_t len = opt.size - HDRS_V4;
	struct rtt_samples rtt = {};
	struct rtt_summary r;
	uint64_t end, lost = 0, pings = 0;
	uint32_t seq = 0;
	char buf[2048] = {}, in[2048];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t got = -1;

	if (fd < 0)
		die("client socket");
	if (inet_pton(AF_INET, opt.addr, &a.sin_addr) != 1) {
		fprintf(stderr, "udp_rtt: '%s' is not an IPv4 address\n", opt.addr);
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("connect");
	end = now_ns() + (uint64_t)(opt.seconds * 1e9);
	while (!stop && now_ns() < end && (!opt.count || pings < opt.count)) {
		uint64_t t0;

		memcpy(buf, &seq, sizeof(seq));
		t0 = now_ns();
		if (send(fd, buf, len, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		pings++;
		for (;;) {
			uint32_t s;

			got = recv(fd, in, sizeof(in), opt.spin ? MSG_DONTWAIT : 0);
			if (got < 0) {
				if (errno == EINTR && !stop)
					continue;
				/* Spinning: EAGAIN until the echo is there or the timeout passes. */
				if (errno == EAGAIN && opt.spin && !stop &&
				    now_ns() - t0 < (uint64_t)opt.timeout_ms * 1000000ull)
					continue;
				lost++;
				break;
			}
			memcpy(&s, in, sizeof(s));
			if (got >= 4 && s == seq)
				break;
		}
		if (got >= 0 && rtt_add(&rtt, now_ns() - t0))
			die("keeping samples");
		seq++;
	}
	rtt_summarize(&rtt, &r);
	if (opt.json)
		printf("{\"tool\": \"kernel-udp\", \"wait\": \"%s\", \"size\": %u, "
		       "\"packets\": %llu, \"latency\": "
		       "{\"samples\": %zu, \"lost\": %llu, \"min_us\": %.3f, \"mean_us\": %.3f, "
		       "\"p50_us\": %.3f, \"p90_us\": %.3f, \"p99_us\": %.3f, \"p999_us\": %.3f, "
		       "\"max_us\": %.3f}}\n", opt.spin ? "spin" : "block", opt.size,
		       (unsigned long long)pings, r.samples,
		       (unsigned long long)lost, r.min_us, r.mean_us, r.p50_us, r.p90_us, r.p99_us,
		       r.p999_us, r.max_us);
	else
		printf("samples %zu lost %llu p50 %.1f us p99 %.1f us p99.9 %.1f us\n", r.samples,
		       (unsigned long long)lost, r.p50_us, r.p99_us, r.p999_us);
	if (opt.hist) {
		errno = -rtt_write_cdf(&rtt, opt.hist);
		if (errno)
			die("--hist");
	}
	rtt_free(&rtt);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	parse_args(argc, argv);
	pin();
	/* No SA_RESTART: a signal ends a blocking recv. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return opt.server ? serve() : client();
}
