// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* AF_PACKET receive baseline for the benchmarks: a TPACKET_V3 ring (what people use
 * without AF_XDP), counting packets and bytes until a deadline, idleness or a signal. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
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
#include <net/if.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define BLOCK_SIZE	(1u << 20)
#define BLOCK_NR	64
#define FRAME_SIZE	2048

static volatile sig_atomic_t stop;

static struct {
	const char *ifname;
	double seconds, idle_exit;
	int cpu;
	bool json;
} opt = { .seconds = 10, .cpu = -1 };

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "afpacket_rx: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: afpacket_rx -i IFACE [-t SECONDS] [--idle-exit S] [--cpu N] [--json]\n"
		   "Receives everything on IFACE through a TPACKET_V3 ring and reports packets/s.\n"
		   "Prints 'afpacket_rx: ready' on stderr once the ring is in place.\n");
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "time", required_argument, NULL, 't' },
		{ "idle-exit", required_argument, NULL, 'I' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "i:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': opt.ifname = optarg; break;
		case 't': opt.seconds = atof(optarg); break;
		case 'I': opt.idle_exit = atof(optarg); break;
		case 'c': opt.cpu = atoi(optarg); break;
		case 'j': opt.json = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (!opt.ifname || opt.seconds <= 0) {
		usage(stderr);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct tpacket_req3 req = {
		.tp_block_size = BLOCK_SIZE,
		.tp_block_nr = BLOCK_NR,
		.tp_frame_size = FRAME_SIZE,
		.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR,
		.tp_retire_blk_tov = 10,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct tpacket_stats_v3 st = {};
	socklen_t stlen = sizeof(st);
	uint64_t pkts = 0, bytes = 0;
	double t0, t1, first = 0, last = 0, active;
	struct rusage ru0, ru1;
	unsigned int blk = 0;
	int fd, ver = TPACKET_V3;
	uint8_t *ring;

	parse_args(argc, argv);
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("socket(AF_PACKET)");
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)))
		die("PACKET_VERSION");
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		die("PACKET_RX_RING");
	ring = mmap(NULL, (size_t)BLOCK_SIZE * BLOCK_NR, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_LOCKED, fd, 0);
	if (ring == MAP_FAILED)
		ring = mmap(NULL, (size_t)BLOCK_SIZE * BLOCK_NR, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd, 0);
	if (ring == MAP_FAILED)
		die("mmap");
	sll.sll_ifindex = (int)if_nametoindex(opt.ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "afpacket_rx: interface '%s' not found\n", opt.ifname);
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind");
	/* Drop what arrived before the measurement. */
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);
	fprintf(stderr, "afpacket_rx: ready on %s\n", opt.ifname);

	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_s();
	while (!stop) {
		struct tpacket_block_desc *bd =
			(struct tpacket_block_desc *)(ring + (size_t)blk * BLOCK_SIZE);
		double now;

		if (!(bd->hdr.bh1.block_status & TP_STATUS_USER)) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLERR };

			poll(&pfd, 1, 10);
			now = now_s();
			if (now - t0 >= opt.seconds ||
			    (opt.idle_exit > 0 && pkts && now - last >= opt.idle_exit))
				break;
			continue;
		}
		{
			struct tpacket3_hdr *h = (struct tpacket3_hdr *)((uint8_t *)bd +
							bd->hdr.bh1.offset_to_first_pkt);
			uint32_t n = bd->hdr.bh1.num_pkts;

			for (uint32_t i = 0; i < n; i++) {
				bytes += h->tp_snaplen;
				h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
			}
			now = now_s();
			if (!pkts)
				first = now;
			last = now;
			pkts += n;
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		blk = (blk + 1) % BLOCK_NR;
		if (now - t0 >= opt.seconds)
			break;
	}
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru1);
	stlen = sizeof(st);
	memset(&st, 0, sizeof(st));
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);
	active = pkts > 1 && last > first ? last - first : t1 - t0;
	{
		double user = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
			      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
		double sys = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
			     (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
		uint64_t drops = st.tp_drops;
		double loss = pkts + drops ? (double)drops / (double)(pkts + drops) : 0;

		if (opt.json)
			printf("{\"tool\": \"afpacket\", \"ring\": \"TPACKET_V3\", \"interface\": \"%s\", "
			       "\"packets\": %llu, \"bytes\": %llu, \"seconds\": %.3f, "
			       "\"active_seconds\": %.3f, \"pps\": %.0f, \"dropped\": %llu, "
			       "\"loss\": %.6f, \"freeze_q\": %u, \"cpu\": {\"user_s\": %.3f, "
			       "\"sys_s\": %.3f, \"ns_per_packet\": %.1f}}\n",
			       opt.ifname, (unsigned long long)pkts, (unsigned long long)bytes,
			       t1 - t0, active, active > 0 ? (double)pkts / active : 0,
			       (unsigned long long)drops, loss, st.tp_freeze_q_cnt, user, sys,
			       pkts ? (user + sys) * 1e9 / (double)pkts : 0);
		else
			printf("packets %llu  pps %.0f  drops %llu  loss %.4f\n",
			       (unsigned long long)pkts, active > 0 ? (double)pkts / active : 0,
			       (unsigned long long)drops, loss);
	}
	munmap(ring, (size_t)BLOCK_SIZE * BLOCK_NR);
	close(fd);
	return 0;
}
