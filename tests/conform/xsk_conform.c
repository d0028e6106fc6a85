// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* AF_XDP conformance cases for libxskflow, one subcommand each, run inside a veth lab by
 * tests/e2e/conform.sh while the other namespace sends or receives the test pattern. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <xskflow/xskflow.h>
#include "xf_internal.h"
#include "cli.h"

#define CF_NAME "xsk_conform"
#define CF_BURST 64
#define CF_MAX_FRAME 1514	/* MTU 1500 plus the Ethernet header */
#define CF_MAX_JUMBO PAT_MAX_JUMBO	/* MTU 9000 plus the Ethernet header */
#define CF_MAX_PORTS 4
#define CF_MAX_STEERS 2
#define CF_MAX_UMEMS 2
#define CF_PIN_ROOT "/sys/fs/bpf/xskflow"
#define CF_VLAN_TPID 0x8100

/* ---- options ---- */

struct opts {
	const char *ifname, *ifname2;
	unsigned int queue, queue2;
	enum xf_attach_mode mode;
	unsigned int frame_size, frames, headroom, fill_size, comp_size, rx_size, tx_size;
	unsigned int count, count2, rate, size_min, size_max, iters, vlan, busy_poll;
	double timeout;
	uint8_t peer_mac[6], fwd_mac[6];
	bool have_peer_mac, have_fwd_mac;
	int family;
	struct in6_addr local_ip, peer_ip;
	uint16_t sport, dport, sport2, dport2;
	bool q2_tx, multi_buffer, unaligned;
};

static struct opts o;

/* ---- global state, so that a failure can tear everything down ---- */

static struct {
	const char *name;
	pthread_t main_thread;
	struct xf_steer *steer[CF_MAX_STEERS];
	struct xf_port *port[CF_MAX_PORTS];
	struct xf_umem *umem[CF_MAX_UMEMS];
	int fd_base, fd_base_bpf;
	bool fd_open[1024];
	char summary[1024];
	size_t sumlen;
	/* A worker thread that fails leaves its reason here and stops the others. */
	pthread_mutex_t lock;
	char thread_err[512];
	atomic_bool stop;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void cleanup(void)
{
	for (int i = CF_MAX_PORTS - 1; i >= 0; i--) {
		xf_port__destroy(g.port[i]);
		g.port[i] = NULL;
	}
	for (int i = 0; i < CF_MAX_STEERS; i++) {
		xf_steer__close(g.steer[i]);
		g.steer[i] = NULL;
	}
	for (int i = 0; i < CF_MAX_UMEMS; i++) {
		if (g.umem[i])
			xf_umem__destroy(g.umem[i]);
		g.umem[i] = NULL;
	}
}

/* One line saying what was violated, then teardown and exit 1. Worker threads hand the
 * reason to the main thread, which fails after joining them. */
__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!pthread_equal(pthread_self(), g.main_thread)) {
		pthread_mutex_lock(&g.lock);
		if (!g.thread_err[0])
			snprintf(g.thread_err, sizeof(g.thread_err), "%s", msg);
		pthread_mutex_unlock(&g.lock);
		atomic_store(&g.stop, true);
		pthread_exit(NULL);
	}
	fprintf(stderr, CF_NAME ": %s: FAIL: %s\n", g.name, msg);
	cleanup();
	exit(1);
}

__attribute__((format(printf, 1, 2))) static void sum_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g.sumlen >= sizeof(g.summary) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(g.summary + g.sumlen, sizeof(g.summary) - g.sumlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		g.sumlen += (size_t)n;
	if (g.sumlen > sizeof(g.summary) - 1)
		g.sumlen = sizeof(g.summary) - 1;
}

static int lib_print(enum xf_log_level level, const char *fmt, va_list args)
{
	if (level > XF_LOG_WARN)
		return 0;
	fprintf(stderr, "libxskflow: ");
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static double deadline(void)
{
	return now() + o.timeout;
}

/* The sender waits for this line on stderr before it starts. */
static void ready(void)
{
	fprintf(stderr, CF_NAME ": %s: ready\n", g.name);
}

/* ---- process resources ---- */

/* Open descriptors; @bpf receives how many of them are BPF program or map handles and
 * @extra (if set) what the descriptors that were not open at the start point to. */
static int fd_count_kinds(int *bpf, char *extra, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	char target[128];
	struct dirent *e;
	size_t used = 0;
	int n = 0, p = 0;

	if (!d)
		fail("cannot open /proc/self/fd: %s", strerror(errno));
	if (extra && len)
		extra[0] = '\0';
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		ssize_t k;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		n++;
		k = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		target[k > 0 ? k : 0] = '\0';
		if (!strcmp(target, "anon_inode:bpf-prog") || !strcmp(target, "anon_inode:bpf-map"))
			p++;
		if (extra && fd < (int)sizeof(g.fd_open) && !g.fd_open[fd] && used + 1 < len) {
			struct bpf_prog_info info = {};
			struct bpf_map_info minfo = {};
			__u32 ilen = sizeof(info), mlen = sizeof(minfo);

			if (!strcmp(target, "anon_inode:bpf-prog") &&
			    !bpf_obj_get_info_by_fd(fd, &info, &ilen))
				snprintf(target, sizeof(target), "bpf-prog id %u '%.16s'", info.id,
					 info.name);
			else if (!strcmp(target, "anon_inode:bpf-map") &&
				 !bpf_obj_get_info_by_fd(fd, &minfo, &mlen))
				snprintf(target, sizeof(target), "bpf-map id %u '%.16s'", minfo.id,
					 minfo.name);
			used += (size_t)snprintf(extra + used, len - used, "%s%d -> %s",
						 used ? ", " : "", fd, target);
			if (used >= len)
				used = len - 1;
		}
	}
	closedir(d);
	if (bpf)
		*bpf = p;
	return n;
}

/* Remember which descriptors are open at the start. */
static void fd_baseline(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		fail("cannot open /proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d) && fd < (int)sizeof(g.fd_open))
			g.fd_open[fd] = true;
	}
	closedir(d);
	g.fd_base = fd_count_kinds(&g.fd_base_bpf, NULL, 0);
}

static int fd_count(void)
{
	return fd_count_kinds(NULL, NULL, 0);
}

static long rss_kib(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &size, &res) != 2)
		fail("cannot read /proc/self/statm");
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Descriptors other than BPF handles are back to the start: sockets, rings, files. The BPF
 * objects' life cycle is the teardown case's business, where it is checked over a loop. */
static void check_fds(const char *when)
{
	char extra[512];
	int bpf, n = fd_count_kinds(&bpf, extra, sizeof(extra));

	if (n - bpf != g.fd_base - g.fd_base_bpf)
		fail("%s: %d file descriptors open besides BPF objects, %d at the start; new: %s",
		     when, n - bpf, g.fd_base - g.fd_base_bpf, extra);
}

/* The interface has no XDP program and no pins are left for it. */
static void check_detached(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char pin[128];
	int idx = (int)if_nametoindex(ifname);

	if (!idx)
		fail("interface '%s' is gone", ifname);
	if (bpf_xdp_query(idx, 0, &q))
		fail("cannot query the XDP program of '%s': %s", ifname, strerror(errno));
	if (q.attach_mode != XDP_ATTACHED_NONE)
		fail("an XDP program (id %u) is still attached to '%s' after teardown", q.prog_id,
		     ifname);
	snprintf(pin, sizeof(pin), CF_PIN_ROOT "/%s", ifname);
	if (!access(pin, F_OK))
		fail("pins are left under %s after teardown", pin);
}

static __u32 xdp_prog_id(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query((int)if_nametoindex(ifname), 0, &q))
		fail("cannot query the XDP program of '%s': %s", ifname, strerror(errno));
	return q.prog_id;
}

/* ---- addresses and the test pattern ---- */

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int parse_ip(const char *s, int *family, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, a) == 1)
		*family = AF_INET6;
	else
		return -1;
	return 0;
}

static void iface_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		fail("cannot read the MAC address of '%s': %s", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

/* The flow the peer sends to @ifname (@in) and the one we send back to the peer (@out). */
static void flows(const char *ifname, struct flow *in, struct flow *out)
{
	struct flow f = { .family = o.family, .sport = o.sport, .dport = o.dport };

	if (!o.have_peer_mac || !o.family)
		fail("--peer-mac, --local-ip and --peer-ip are required");
	if (in) {
		*in = f;
		memcpy(in->src_mac, o.peer_mac, 6);
		iface_mac(ifname, in->dst_mac);
		in->src = o.peer_ip;
		in->dst = o.local_ip;
	}
	if (out) {
		*out = f;
		iface_mac(ifname, out->src_mac);
		memcpy(out->dst_mac, o.peer_mac, 6);
		out->src = o.local_ip;
		out->dst = o.peer_ip;
	}
}

static unsigned int l3_len(int family)
{
	return family == AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
}

/* A stream of sequenced frames from one flow, checked byte by byte: each frame is rebuilt
 * from the flow and its sequence number and must be identical. */
struct stream {
	const char *who;
	struct flow flow;
	bool any_start;		/* the first sequence may be anything (joined mid-stream) */
	bool started;
	uint32_t first, next;
	uint64_t pkts, bytes;
};

static void stream_init(struct stream *s, const char *who, const struct flow *f)
{
	memset(s, 0, sizeof(*s));
	s->who = who;
	s->flow = *f;
}

static void stream_check(struct stream *s, const uint8_t *d, unsigned int len)
{
	unsigned int off = ETH_HLEN + l3_len(s->flow.family) + sizeof(struct udphdr);
	static __thread uint8_t want[CF_MAX_JUMBO];
	unsigned int max = o.multi_buffer ? CF_MAX_JUMBO : CF_MAX_FRAME;
	uint32_t seq;

	if (len < pat_min_frame(s->flow.family) || len > max)
		fail("%s: packet %lu has length %u, outside %u..%u", s->who,
		     (unsigned long)s->pkts, len, pat_min_frame(s->flow.family), max);
	if (memcmp(d + off, PAT_MAGIC, 4))
		fail("%s: packet %lu (length %u) is not a test frame of this flow", s->who,
		     (unsigned long)s->pkts, len);
	memcpy(&seq, d + off + 4, 4);
	seq = ntohl(seq);
	pat_build(want, len, &s->flow, seq);
	if (memcmp(want, d, len)) {
		unsigned int i = 0;

		while (want[i] == d[i])
			i++;
		fail("%s: packet seq %u (length %u) differs from the pattern at byte %u: "
		     "0x%02x, expected 0x%02x", s->who, seq, len, i, d[i], want[i]);
	}
	if (!s->started) {
		if (!s->any_start && seq != 0)
			fail("%s: first packet has sequence %u, expected 0 (lost or misrouted)",
			     s->who, seq);
		s->started = true;
		s->first = seq;
	} else if (seq != s->next) {
		fail("%s: sequence %u after %u: %s", s->who, seq, s->next - 1,
		     seq < s->next ? "reordered or duplicated" : "packets missing");
	}
	s->next = seq + 1;
	s->pkts++;
	s->bytes += len;
}

/* ---- setup ---- */

static struct xf_steer *steer_up(const char *ifname, const char *const *rules, size_t n)
{
	XF_OPTS(xf_steer_opts, so, .mode = o.mode);
	struct xf_rule r[4];
	struct xf_steer *s;
	char err[256];
	int i, ret;

	for (size_t k = 0; k < n; k++)
		if (xf_rule__parse(rules[k], &r[k], err, sizeof(err)))
			fail("rule '%s': %s", rules[k], err);
	for (i = 0; i < CF_MAX_STEERS && g.steer[i]; i++)
		;
	if (i == CF_MAX_STEERS)
		fail("internal: too many steering programs");
	s = xf_steer__attach(ifname, &so);
	if (!s)
		fail("cannot attach the steering program to '%s' in %s mode: %s", ifname,
		     xf_attach_mode_str(o.mode), strerror(errno));
	g.steer[i] = s;
	if (xf_steer__attach_mode(s) != o.mode)
		fail("asked for %s XDP on '%s', got %s", xf_attach_mode_str(o.mode), ifname,
		     xf_attach_mode_str(xf_steer__attach_mode(s)));
	ret = xf_steer__set_rules(s, r, n);
	if (ret)
		fail("cannot set the rules on '%s': %s", ifname, strerror(-ret));
	return s;
}

static void steer_down(struct xf_steer *s)
{
	for (int i = 0; i < CF_MAX_STEERS; i++)
		if (g.steer[i] == s)
			g.steer[i] = NULL;
	xf_steer__close(s);
}

static struct xf_umem *umem_up(unsigned int frames)
{
	XF_OPTS(xf_umem_opts, uo, .frame_size = o.frame_size, .frame_count = frames,
		.headroom = o.headroom, .fill_size = o.fill_size, .comp_size = o.comp_size,
		.flags = o.unaligned ? XF_UMEM_F_UNALIGNED : 0);
	struct xf_umem *u;
	int i;

	for (i = 0; i < CF_MAX_UMEMS && g.umem[i]; i++)
		;
	if (i == CF_MAX_UMEMS)
		fail("internal: too many UMEMs");
	u = xf_umem__create(&uo);
	if (!u)
		fail("cannot create a UMEM of %u frames of %u bytes: %s", frames, o.frame_size,
		     strerror(errno));
	g.umem[i] = u;
	if (xf_umem__free_frames(u) != frames || xf_umem__frame_count(u) != frames ||
	    xf_umem__frame_size(u) != o.frame_size || xf_umem__headroom(u) != o.headroom)
		fail("new UMEM reports %u free of %u frames of %u, headroom %u; asked %u of %u, %u",
		     xf_umem__free_frames(u), xf_umem__frame_count(u), xf_umem__frame_size(u),
		     xf_umem__headroom(u), frames, o.frame_size, o.headroom);
	return u;
}

enum { RX = 1, TX = 2 };

static struct xf_port *port_up(const char *ifname, struct xf_umem *u, unsigned int queue,
			       unsigned int slot, struct xf_steer *steer, int dirs)
{
	XF_OPTS(xf_port_opts, po, .queue = queue, .slot = slot, .steer = steer,
		.rx_size = (dirs & RX) ? o.rx_size : XF_PORT_NO_RING,
		.tx_size = (dirs & TX) ? o.tx_size : XF_PORT_NO_RING,
		.busy_poll_usecs = o.busy_poll, .busy_poll_budget = o.busy_poll ? 64 : 0,
		.prefer_busy_poll = o.busy_poll > 0, .multi_buffer = o.multi_buffer);
	struct xf_port *p;
	int i;

	for (i = 0; i < CF_MAX_PORTS && g.port[i]; i++)
		;
	if (i == CF_MAX_PORTS)
		fail("internal: too many ports");
	p = xf_port__create(ifname, u, &po);
	if (!p)
		fail("cannot create a port on '%s' queue %u slot %u: %s", ifname, queue, slot,
		     strerror(errno));
	g.port[i] = p;
	/* veth has no zero-copy: auto must have fallen back to copy mode, and said why. */
	if (xf_port__bind_mode(p) != XF_BIND_COPY)
		fail("port on '%s' bound in %s mode, expected copy on veth", ifname,
		     xf_bind_mode_str(xf_port__bind_mode(p)));
	if (!xf_port__need_wakeup(p))
		fail("need_wakeup is off by default");
	if (xf_port__multi_buffer(p) != o.multi_buffer)
		fail("port on '%s': multi-buffer %s, asked %s", ifname,
		     xf_port__multi_buffer(p) ? "on" : "off", o.multi_buffer ? "on" : "off");
	return p;
}

static void port_down(struct xf_port *p)
{
	for (int i = 0; i < CF_MAX_PORTS; i++)
		if (g.port[i] == p)
			g.port[i] = NULL;
	xf_port__destroy(p);
}

/* Every frame came home, then the UMEM goes. */
static void umem_down(struct xf_umem *u, const char *who)
{
	__u32 free_frames = xf_umem__free_frames(u), count = xf_umem__frame_count(u);
	int err;

	if (free_frames != count)
		fail("%s: %u of %u frames came home after teardown", who, free_frames, count);
	for (int i = 0; i < CF_MAX_UMEMS; i++)
		if (g.umem[i] == u)
			g.umem[i] = NULL;
	err = xf_umem__destroy(u);
	if (err)
		fail("%s: xf_umem__destroy: %s", who, strerror(-err));
	sum_add(" frames_home=%u/%u", free_frames, count);
}

/* Tear down in the documented order and check that nothing is left. */
static void teardown(const char *ifname, const char *ifname2)
{
	for (int i = CF_MAX_PORTS - 1; i >= 0; i--)
		if (g.port[i])
			port_down(g.port[i]);
	for (int i = 0; i < CF_MAX_STEERS; i++)
		if (g.steer[i])
			steer_down(g.steer[i]);
	for (int i = 0; i < CF_MAX_UMEMS; i++)
		if (g.umem[i])
			umem_down(g.umem[i], "umem");
	if (xf_pinned_bytes())
		fail("%zu bytes still counted as pinned after every UMEM was destroyed",
		     xf_pinned_bytes());
	if (ifname)
		check_detached(ifname);
	if (ifname2)
		check_detached(ifname2);
	check_fds("after teardown");
	sum_add(" fds=%d", fd_count());
}

/* ---- counters ---- */

enum { ST_RX_DROPPED, ST_RX_INVALID, ST_TX_INVALID, ST_RX_FULL, ST_FILL_EMPTY, ST_TX_EMPTY,
       ST_N };
#define ST_ANY UINT64_MAX	/* not predictable in this case: reported, not checked */

static const char *const st_name[ST_N] = {
	"rx_dropped", "rx_invalid_descs", "tx_invalid_descs", "rx_ring_full",
	"rx_fill_ring_empty_descs", "tx_ring_empty_descs",
};

static void stats_read(struct xf_port *p, uint64_t v[ST_N])
{
	struct xf_xdp_stats s;
	int err = xf_port__xdp_stats(p, &s);

	if (err)
		fail("XDP_STATISTICS: %s", strerror(-err));
	v[ST_RX_DROPPED] = s.rx_dropped;
	v[ST_RX_INVALID] = s.rx_invalid_descs;
	v[ST_TX_INVALID] = s.tx_invalid_descs;
	v[ST_RX_FULL] = s.rx_ring_full;
	v[ST_FILL_EMPTY] = s.rx_fill_ring_empty_descs;
	v[ST_TX_EMPTY] = s.tx_ring_empty_descs;
}

/* The counters and rings of @p, for a failure message. */
static const char *diag(struct xf_port *p)
{
	static __thread char buf[256];
	struct xf_ring_occupancy r;
	struct xf_frame_counts fc;
	uint64_t v[ST_N];

	stats_read(p, v);
	xf_port__rings(p, &r);
	xf_port__frame_counts(p, &fc);
	snprintf(buf, sizeof(buf), "[dropped %lu ring_full %lu fill_empty %lu tx_invalid %lu; "
		 "rings fill %u rx %u tx %u comp %u; frames free %u fill %u app %u tx %u]",
		 (unsigned long)v[ST_RX_DROPPED], (unsigned long)v[ST_RX_FULL],
		 (unsigned long)v[ST_FILL_EMPTY], (unsigned long)v[ST_TX_INVALID], r.fill, r.rx,
		 r.tx, r.comp, fc.free, fc.fill, fc.app, fc.tx);
	return buf;
}

/* The kernel's counters for @p must be exactly @want (ST_ANY: reported only). */
static void stats_expect(struct xf_port *p, const char *who, const uint64_t want[ST_N])
{
	uint64_t v[ST_N];

	stats_read(p, v);
	for (int i = 0; i < ST_N; i++) {
		sum_add(" %s.%s=%lu", who, st_name[i], (unsigned long)v[i]);
		if (want[i] != ST_ANY && v[i] != want[i])
			fail("%s: XDP_STATISTICS %s = %lu, expected %lu", who, st_name[i],
			     (unsigned long)v[i], (unsigned long)want[i]);
	}
}

/* All zero, except what the case says. */
#define STATS(...) ((const uint64_t[ST_N]){ __VA_ARGS__ })

static struct xf_steer_stats steer_stats(struct xf_steer *s)
{
	struct xf_steer_stats st;
	int err = xf_steer__stats(s, &st);

	if (err)
		fail("steering counters: %s", strerror(-err));
	return st;
}

/* Wait until the program has redirected @n packets to sockets (including to a queue
 * without one), i.e. the peer's traffic has all been classified. */
static struct xf_steer_stats wait_steered(struct xf_steer *s, uint64_t n)
{
	double end = deadline();
	struct xf_steer_stats st;

	for (;;) {
		st = steer_stats(s);
		if (st.xsk + st.xsk_nosock >= n)
			break;
		if (now() > end)
			fail("only %lu of %lu packets reached the steering program's xsk action "
			     "within %.0f s (unmatched %lu, malformed %lu)",
			     (unsigned long)(st.xsk + st.xsk_nosock), (unsigned long)n, o.timeout,
			     (unsigned long)st.unmatched, (unsigned long)st.malformed);
		sleep_s(0.005);
	}
	/* The redirect completes after the program returns: let the last one land. */
	sleep_s(0.05);
	return st;
}

static void rule_hits(struct xf_steer *s, __u32 id, uint64_t want)
{
	struct xf_counter c;
	int err = xf_steer__rule_counter(s, id, &c);

	if (err)
		fail("rule %u counter: %s", id, strerror(-err));
	if (c.packets != want)
		fail("rule %u matched %lu packets, expected %lu", id, (unsigned long)c.packets,
		     (unsigned long)want);
}

/* ---- RX ---- */

struct cport {
	const char *who;
	struct xf_port *port;
	struct xf_umem *umem;
	struct stream st;
	uint64_t chains;	/* packets that came as more than one segment */
};

/* Where copy mode puts a received packet: after the UMEM headroom and the kernel's
 * XDP_PACKET_HEADROOM, in the frame the fill ring gave it. */
static void check_rx_pkt(struct cport *cp, const struct xf_pkt *p)
{
	__u32 fs = xf_umem__frame_size(cp->umem);
	__u64 off = p->addr % fs;
	__u64 size = (__u64)fs * xf_umem__frame_count(cp->umem);
	__u32 want = xf_umem__headroom(cp->umem) + XDP_PACKET_HEADROOM;

	if (p->addr >= size || off + p->len > fs)
		fail("%s: RX descriptor addr %llu len %u is outside its frame or the UMEM",
		     cp->who, (unsigned long long)p->addr, p->len);
	if (p->data != (uint8_t *)xf_umem__area(cp->umem) + p->addr)
		fail("%s: packet data pointer does not match its UMEM address", cp->who);
	if (off != want)
		fail("%s: packet starts %llu bytes into its frame, expected headroom %u + %u",
		     cp->who, (unsigned long long)off, xf_umem__headroom(cp->umem),
		     XDP_PACKET_HEADROOM);
	stream_check(&cp->st, p->data, p->len);
}

/* A multi-buffer packet: every segment where a single packet would be (each frame the
 * fill ring gave starts its data after the headrooms), every segment but the last full,
 * and the reassembled frame byte-exact. */
static void check_rx_chain(struct cport *cp, const struct xf_pkt *p, unsigned int nsegs)
{
	static __thread uint8_t whole[CF_MAX_JUMBO];
	__u32 room = xf_umem__frame_size(cp->umem) - xf_umem__headroom(cp->umem) -
		     XDP_PACKET_HEADROOM;
	unsigned int len;

	if (nsegs == 1) {
		check_rx_pkt(cp, p);
		return;
	}
	for (unsigned int i = 0; i < nsegs; i++) {
		__u32 fs = xf_umem__frame_size(cp->umem);
		__u64 off = p[i].addr % fs;

		if (i + 1 < nsegs && p[i].len != room)
			fail("%s: segment %u of %u has %u bytes; all but the last must be full (%u)",
			     cp->who, i, nsegs, p[i].len, room);
		if (!p[i].len)
			fail("%s: segment %u of %u is empty", cp->who, i, nsegs);
		if (off != xf_umem__headroom(cp->umem) + XDP_PACKET_HEADROOM || off + p[i].len > fs ||
		    p[i].data != (uint8_t *)xf_umem__area(cp->umem) + p[i].addr)
			fail("%s: segment %u of %u at addr %llu (offset %llu) len %u is not where "
			     "a received buffer starts", cp->who, i, nsegs,
			     (unsigned long long)p[i].addr, (unsigned long long)off, p[i].len);
	}
	len = xf_pkt__len(p, nsegs);
	if (len > sizeof(whole))
		fail("%s: a chain of %u segments is longer than %u bytes", cp->who, nsegs,
		     CF_MAX_JUMBO);
	xf_pkt__gather(whole, sizeof(whole), p, nsegs);
	stream_check(&cp->st, whole, len);
	cp->chains++;
}

static void cport_init(struct cport *cp, const char *who, struct xf_port *p,
		       struct xf_umem *u, const struct flow *f)
{
	cp->who = who;
	cp->port = p;
	cp->umem = u;
	stream_init(&cp->st, who, f);
}

/* Take a burst of at most @max, check every packet, give the frames back. Returns the
 * number taken. */
static unsigned int rx_burst_max(struct cport *cp, uint64_t max)
{
	struct xf_pkt pk[CF_BURST];
	unsigned int n, pkts = 0, segs;

	/* Multi-buffer: the count is of segments, and whole chains only come. */
	if (xf_port__multi_buffer(cp->port) || max > CF_BURST)
		max = CF_BURST;
	n = xf_port__rx(cp->port, pk, (unsigned int)max);
	for (unsigned int i = 0; i < n; i += segs, pkts++) {
		segs = xf_pkt__segs(&pk[i], n - i);
		if (!segs)
			fail("%s: xf_port__rx handed out a chain without its last segment",
			     cp->who);
		check_rx_chain(cp, &pk[i], segs);
	}
	xf_port__release(cp->port, pk, n);
	return pkts;
}

static unsigned int rx_burst(struct cport *cp)
{
	return rx_burst_max(cp, CF_BURST);
}

/* Receive on @np ports until each has @want[i] packets. */
static void rx_until(struct cport *cp, int np, const uint64_t *want)
{
	double end = deadline();

	for (;;) {
		bool done = true, got = false;

		for (int i = 0; i < np; i++) {
			if (cp[i].st.pkts > want[i])
				fail("%s: %lu packets received, expected %lu", cp[i].who,
				     (unsigned long)cp[i].st.pkts, (unsigned long)want[i]);
			if (cp[i].st.pkts < want[i]) {
				done = false;
				got |= rx_burst_max(&cp[i], want[i] - cp[i].st.pkts) > 0;
			}
		}
		if (done || atomic_load(&g.stop))
			return;
		if (now() > end) {
			for (int i = 0; i < np; i++)
				if (cp[i].st.pkts < want[i])
					fail("%s: %lu of %lu packets within %.0f s %s", cp[i].who,
					     (unsigned long)cp[i].st.pkts, (unsigned long)want[i],
					     o.timeout, diag(cp[i].port));
		}
		if (!got && np == 1)
			xf_port__poll(cp[0].port, false, 10);
		else if (!got)
			sleep_s(0.0002);
	}
}

/* Nothing more may arrive: a late extra packet is a duplicate or misrouted. */
static void rx_quiet(struct cport *cp, int np, double secs)
{
	double end = now() + secs;

	while (now() < end) {
		for (int i = 0; i < np; i++) {
			uint64_t before = cp[i].st.pkts;

			if (rx_burst(&cp[i]))
				fail("%s: %lu packets received, more than the %lu expected",
				     cp[i].who, (unsigned long)cp[i].st.pkts,
				     (unsigned long)before);
		}
		sleep_s(0.01);
	}
}

static void rule_text(char *buf, size_t len, uint16_t dport, unsigned int slot)
{
	if (slot)
		snprintf(buf, len, "udp dport %u xsk slot %u", dport, slot);
	else
		snprintf(buf, len, "udp dport %u", dport);
}

/* rx: receive @count packets of one flow on one socket. Covers frame sizes, a single
 * packet (-n 1) and busy polling (--busy-poll). Every counter must stay 0. */
static int case_rx(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	ready();
	rx_until(&cp, 1, (uint64_t[]){ o.count });
	rx_quiet(&cp, 1, 0.05);
	stats_expect(cp.port, "rx", STATS(0));
	if (steer_stats(s).xsk != o.count || steer_stats(s).xsk_nosock)
		fail("steering program redirected %lu (%lu to no socket), expected %u",
		     (unsigned long)steer_stats(s).xsk, (unsigned long)steer_stats(s).xsk_nosock,
		     o.count);
	rule_hits(s, 0, o.count);
	/* Unmapping under a live socket would let the kernel write into freed memory. */
	if (xf_umem__destroy(u) != -EBUSY)
		fail("xf_umem__destroy with a port still on the UMEM did not refuse with EBUSY");
	sum_add(" packets=%lu bytes=%lu", (unsigned long)cp.st.pkts, (unsigned long)cp.st.bytes);
	teardown(o.ifname, NULL);
	return 0;
}

/* poll_rx: poll() times out with no traffic, then every wakeup has packets behind it,
 * then it times out again once the stream is over. */
static void poll_timeout(struct xf_port *p, bool tx, int ms, const char *when)
{
	double t0 = now(), dt;
	int ret = xf_port__poll(p, tx, ms);

	dt = now() - t0;
	if (ret != 0)
		fail("%s: poll(%s, %d ms) returned %d, expected a timeout (0)", when,
		     tx ? "POLLOUT" : "POLLIN", ms, ret);
	if (dt < ms / 1000.0 - 0.005 || dt > ms / 1000.0 + 1.0)
		fail("%s: poll(%d ms) timed out after %.3f s", when, ms, dt);
	sum_add(" %s_timeout=%.3f", when, dt);
}

static int case_poll_rx(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;
	unsigned long wakeups = 0;
	double end;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	poll_timeout(cp.port, false, 100, "idle");
	ready();
	end = deadline();
	while (cp.st.pkts < o.count) {
		int ret = xf_port__poll(cp.port, false, 1000);

		if (ret < 0)
			fail("poll: %s", strerror(-ret));
		if (now() > end)
			fail("%lu of %u packets within %.0f s %s", (unsigned long)cp.st.pkts,
			     o.count, o.timeout, diag(cp.port));
		if (!ret)
			continue;
		wakeups++;
		/* POLLIN means the RX ring is not empty. */
		if (!rx_burst_max(&cp, o.count - cp.st.pkts))
			fail("poll() reported POLLIN but the RX ring was empty (after %lu packets)",
			     (unsigned long)cp.st.pkts);
		while (cp.st.pkts < o.count && rx_burst_max(&cp, o.count - cp.st.pkts))
			;
	}
	poll_timeout(cp.port, false, 100, "drained");
	stats_expect(cp.port, "rx", STATS(0));
	sum_add(" packets=%lu wakeups=%lu", (unsigned long)cp.st.pkts, wakeups);
	(void)s;
	teardown(o.ifname, NULL);
	return 0;
}

/* stat_rx_dropped: with headroom H a frame holds fs - 256 - H bytes of packet. The peer
 * first sends -N frames one byte too long (dropped, counted in rx_dropped, never
 * truncated), then -n frames of exactly the maximum (all delivered). */
static int case_stat_rx_dropped(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	sum_add(" max_len=%u", o.frame_size - XDP_PACKET_HEADROOM - o.headroom);
	ready();
	rx_until(&cp, 1, (uint64_t[]){ o.count });
	wait_steered(s, (uint64_t)o.count + o.count2);
	rx_quiet(&cp, 1, 0.05);
	if (cp.st.bytes != (uint64_t)o.count * (o.frame_size - XDP_PACKET_HEADROOM - o.headroom))
		fail("received %lu bytes in %lu packets: not all of the maximum length",
		     (unsigned long)cp.st.bytes, (unsigned long)cp.st.pkts);
	stats_expect(cp.port, "rx", STATS([ST_RX_DROPPED] = o.count2));
	teardown(o.ifname, NULL);
	return 0;
}

/* stat_rx_full: an RX ring of --rx-size entries that is not read while the peer sends -N
 * packets: the ring holds the first rx_size, the rest count in rx_ring_full (not in
 * rx_dropped) and the fill ring keeps its frames. */
static int case_stat_rx_full(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_ring_occupancy occ;
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;
	unsigned int fill;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	xf_port__rings(cp.port, &occ);
	fill = occ.fill;
	ready();
	wait_steered(s, o.count2);
	xf_port__rings(cp.port, &occ);
	sum_add(" ring_rx=%u ring_fill=%u", occ.rx, occ.fill);
	/* Each packet that finds the RX ring full was first copied into a buffer from the fill
	 * ring, which the kernel then keeps on its pool's free list for the next packet: one
	 * more fill entry may be gone (generic mode does this, native on veth does not). */
	if (occ.rx != o.rx_size || occ.fill > fill - o.rx_size || occ.fill < fill - o.rx_size - 1)
		fail("rings after %u packets: rx %u (expected %u, full), fill %u (expected %u, or "
		     "one less)", o.count2, occ.rx, o.rx_size, occ.fill, fill - o.rx_size);
	stats_expect(cp.port, "rx", STATS([ST_RX_FULL] = o.count2 - o.rx_size));
	rx_until(&cp, 1, (uint64_t[]){ o.rx_size });
	rx_quiet(&cp, 1, 0.05);
	teardown(o.ifname, NULL);
	return 0;
}

/* stat_fill_empty: a UMEM of --frames frames, all in the fill ring, and an RX ring that is
 * not read while the peer sends -N packets: the first `frames` land, every later one finds
 * the fill ring empty (rx_fill_ring_empty_descs) and is dropped (rx_dropped). */
static int case_stat_fill_empty(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_ring_occupancy occ;
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;
	unsigned int lost = o.count2 - o.frames;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	xf_port__rings(cp.port, &occ);
	if (occ.fill != o.frames || xf_umem__free_frames(u))
		fail("fill ring holds %u frames and %u are free; expected all %u in the fill ring",
		     occ.fill, xf_umem__free_frames(u), o.frames);
	ready();
	wait_steered(s, o.count2);
	xf_port__rings(cp.port, &occ);
	sum_add(" ring_rx=%u ring_fill=%u", occ.rx, occ.fill);
	if (occ.rx != o.frames || occ.fill)
		fail("rings after %u packets: rx %u (expected %u), fill %u (expected 0)", o.count2,
		     occ.rx, o.frames, occ.fill);
	stats_expect(cp.port, "rx",
		     STATS([ST_RX_DROPPED] = lost, [ST_FILL_EMPTY] = lost));
	rx_until(&cp, 1, (uint64_t[]){ o.frames });
	rx_quiet(&cp, 1, 0.05);
	teardown(o.ifname, NULL);
	return 0;
}

/* ---- TX ---- */

struct txgen {
	struct xf_port *port;
	struct xf_umem *umem;
	struct flow flow;
	uint32_t sent, count, rng;
	uint32_t bad;		/* invalid descriptors in our own frames: they complete too */
	uint64_t extra_segs;	/* segments after the first of each chain: they complete too */
	bool loose;		/* hook descriptors may complete: do not count completions */
	double start;
	uint64_t completed;
};

static void txgen_init(struct txgen *t, struct xf_port *p, struct xf_umem *u,
		       const struct flow *f, uint32_t count)
{
	memset(t, 0, sizeof(*t));
	t->port = p;
	t->umem = u;
	t->flow = *f;
	t->count = count;
	t->rng = 1;
	t->start = now();
}

static unsigned int txgen_len(struct txgen *t)
{
	uint32_t x = t->rng;

	if (o.size_max <= o.size_min)
		return o.size_min;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	t->rng = x;
	return o.size_min + x % (o.size_max - o.size_min + 1);
}

/* How many frames the pacing allows now (all that are left without --rate). */
static uint32_t txgen_due(const struct txgen *t)
{
	uint32_t left = t->count - t->sent;
	double allowed;

	if (!o.rate)
		return left;
	allowed = (now() - t->start) * o.rate + 1 - t->sent;
	if (allowed <= 0)
		return 0;
	return allowed < left ? (uint32_t)allowed : left;
}

static void tx_build(struct txgen *t, struct xf_pkt *p, uint32_t seq)
{
	unsigned int len = txgen_len(t);

	if (p->len < len)
		fail("TX frame has room for %u bytes, need %u", p->len, len);
	pat_build(p->data, len, &t->flow, seq);
	p->len = len;
}

/* Queue up to @max due frames. Returns how many the TX ring took. */
static unsigned int tx_step(struct txgen *t, uint32_t max)
{
	struct xf_pkt pk[CF_BURST];
	uint32_t want = txgen_due(t);
	unsigned int n, done;

	if (want > CF_BURST)
		want = CF_BURST;
	if (want > max)
		want = max;
	if (!want)
		return 0;
	n = xf_port__tx_alloc(t->port, pk, want);
	for (unsigned int i = 0; i < n; i++) {
		__u64 off = pk[i].addr % xf_umem__frame_size(t->umem);

		if (off != xf_umem__headroom(t->umem) ||
		    pk[i].len != xf_umem__frame_size(t->umem) - xf_umem__headroom(t->umem))
			fail("tx_alloc gave a frame at offset %llu with room %u; expected %u, %u",
			     (unsigned long long)off, pk[i].len, xf_umem__headroom(t->umem),
			     xf_umem__frame_size(t->umem) - xf_umem__headroom(t->umem));
		tx_build(t, &pk[i], t->sent + i);
	}
	done = xf_port__tx(t->port, pk, n);
	xf_port__release(t->port, pk + done, n - done);
	t->sent += done;
	return done;
}

static void tx_reap(struct txgen *t)
{
	t->completed += xf_port__complete(t->port);
}

static uint32_t frames_in_tx(struct xf_port *p)
{
	struct xf_frame_counts fc;

	xf_port__frame_counts(p, &fc);
	return fc.tx;
}

/* Queue all @n packets on @p (forwarded or pushed frames), reaping completions into
 * *@completed while the TX ring is full. */
static void tx_queue_all(struct xf_port *p, const struct xf_pkt *pk, unsigned int n,
			 uint64_t *completed)
{
	unsigned int done = xf_port__tx(p, pk, n);

	for (double t_end = now() + 2; done < n;) {
		*completed += xf_port__complete(p);
		done += xf_port__tx(p, pk + done, n - done);
		if (now() > t_end)
			fail("TX ring stuck");
		xf_port__poll(p, true, 1);
	}
}

/* Until every frame queued on @p has completed by @end; then @sent completions in all. */
static void tx_settle(struct xf_port *p, uint64_t sent, uint64_t *completed, double end,
		      const char *what)
{
	while (frames_in_tx(p)) {
		*completed += xf_port__complete(p);
		if (now() > end)
			fail("%u %s frames not completed", frames_in_tx(p), what);
		xf_port__poll(p, true, 1);
	}
	if (*completed != sent)
		fail("%lu completions for %lu frames %s", (unsigned long)*completed,
		     (unsigned long)sent, what);
}

/* Until every frame sent has completed. */
static void tx_drain(struct txgen *t)
{
	double end = deadline();

	while (frames_in_tx(t->port)) {
		tx_reap(t);
		if (now() > end)
			fail("%u frames not completed within %.0f s %s", frames_in_tx(t->port),
			     o.timeout, diag(t->port));
		xf_port__poll(t->port, true, 1);
	}
	tx_reap(t);
	if (!t->loose && t->completed != (uint64_t)t->sent + t->bad + t->extra_segs)
		fail("%lu completions for %u packets sent (%lu more segments) and %u invalid",
		     (unsigned long)t->completed, t->sent, (unsigned long)t->extra_segs, t->bad);
}

/* Send the whole stream, waiting with poll(POLLOUT) when the ring is full. */
static void tx_all(struct txgen *t, bool use_poll)
{
	double end = deadline();

	while (t->sent < t->count) {
		uint32_t due = txgen_due(t), got;

		tx_reap(t);
		got = tx_step(t, UINT32_MAX);
		if (now() > end)
			fail("sent %u of %u frames within %.0f s", t->sent, t->count, o.timeout);
		if (got < due && got < CF_BURST) {
			if (use_poll) {
				int ret = xf_port__poll(t->port, true, 1000);

				if (ret < 0)
					fail("poll(POLLOUT): %s", strerror(-ret));
			} else {
				sleep_s(0.0001);
			}
		} else if (!due) {
			sleep_s(0.0005);
		}
	}
	tx_drain(t);
}

static struct xf_port *tx_setup(struct xf_umem **u, struct flow *out)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;

	/* The program on the sending side shares the attach mode with the receiver. */
	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, NULL, out);
	s = steer_up(o.ifname, rules, 1);
	*u = umem_up(o.frames);
	return port_up(o.ifname, *u, o.queue, 0, s, TX);
}

/* tx: send -n frames of the pattern; the peer verifies them. */
static int case_tx(void)
{
	struct xf_umem *u;
	struct flow out;
	struct txgen t;
	struct xf_port *p = tx_setup(&u, &out);

	ready();
	txgen_init(&t, p, u, &out, o.count);
	tx_all(&t, false);
	stats_expect(p, "tx", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" sent=%u completed=%lu", t.sent, (unsigned long)t.completed);
	teardown(o.ifname, NULL);
	return 0;
}

/* poll_tx: with a completion ring of C entries that is not reaped, the kernel sends C
 * frames and stops; the TX ring stays more than half full, so poll(POLLOUT) times out.
 * Reaping makes it writable again; the rest of the stream is sent poll-driven. */
static int case_poll_tx(void)
{
	struct xf_ring_occupancy occ;
	struct xf_umem *u;
	struct flow out;
	struct txgen t;
	struct xf_port *p = tx_setup(&u, &out);
	unsigned int queued;
	double end;

	if (o.comp_size * 2 > o.tx_size || o.count < o.tx_size)
		fail("needs --comp-size at most half of --tx-size and -n at least --tx-size");
	ready();
	txgen_init(&t, p, u, &out, o.count);
	/* One burst of tx_size frames, in CF_BURST-sized submits, no reaping. */
	for (queued = 0; queued < o.tx_size;)
		queued += tx_step(&t, o.tx_size - queued);
	poll_timeout(p, true, 100, "stalled");
	xf_port__rings(p, &occ);
	sum_add(" ring_tx=%u ring_comp=%u", occ.tx, occ.comp);
	if (occ.comp != o.comp_size || occ.tx != o.tx_size - o.comp_size)
		fail("stalled rings: completion %u (expected %u, full), TX %u (expected %u)",
		     occ.comp, o.comp_size, occ.tx, o.tx_size - o.comp_size);
	if (frames_in_tx(p) != o.tx_size)
		fail("frame accounting: %u frames in TX, expected %u", frames_in_tx(p), o.tx_size);
	/* Reaping frees the completion ring; the kernel moves on and POLLOUT comes back. */
	end = now() + 2;
	for (;;) {
		int ret;

		tx_reap(&t);
		ret = xf_port__poll(p, true, 100);
		if (ret > 0)
			break;
		if (ret < 0 || now() > end)
			fail("TX ring not writable 2 s after reaping completions (poll %d)", ret);
	}
	tx_all(&t, true);
	stats_expect(p, "tx", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" sent=%u completed=%lu", t.sent, (unsigned long)t.completed);
	teardown(o.ifname, NULL);
	return 0;
}

/* stat_tx_empty: every kick (sendto) on an empty TX ring counts once in
 * tx_ring_empty_descs; xf_port__complete() with nothing in flight does not kick. */
static void kick_empty(struct xf_port *p, int kicks, const char *when)
{
	uint64_t v0[ST_N], v1[ST_N];

	stats_read(p, v0);
	for (int i = 0; i < 8; i++)
		xf_port__complete(p);
	stats_read(p, v1);
	if (v1[ST_TX_EMPTY] != v0[ST_TX_EMPTY])
		fail("%s: xf_port__complete() with no TX pending kicked the kernel (%lu -> %lu)",
		     when, (unsigned long)v0[ST_TX_EMPTY], (unsigned long)v1[ST_TX_EMPTY]);
	for (int i = 0; i < kicks; i++)
		if (sendto(xf_port__fd(p), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN)
			fail("%s: sendto kick: %s", when, strerror(errno));
	stats_read(p, v1);
	if (v1[ST_TX_EMPTY] - v0[ST_TX_EMPTY] != (uint64_t)kicks)
		fail("%s: %d kicks on an empty TX ring moved tx_ring_empty_descs by %lu",
		     when, kicks, (unsigned long)(v1[ST_TX_EMPTY] - v0[ST_TX_EMPTY]));
}

static int case_stat_tx_empty(void)
{
	struct xf_umem *u;
	struct flow out;
	struct txgen t;
	struct xf_port *p = tx_setup(&u, &out);
	uint64_t v[ST_N];

	stats_expect(p, "idle", STATS(0));
	kick_empty(p, 10, "before traffic");
	ready();
	txgen_init(&t, p, u, &out, o.count);
	tx_all(&t, false);
	kick_empty(p, 7, "after traffic");
	stats_read(p, v);
	if (v[ST_TX_EMPTY] < 17)
		fail("tx_ring_empty_descs %lu, below the 17 kicks counted",
		     (unsigned long)v[ST_TX_EMPTY]);
	stats_expect(p, "tx", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" sent=%u", t.sent);
	teardown(o.ifname, NULL);
	return 0;
}

/* inval_tx, inval_tx_oob: a stream of -n valid frames (the peer verifies them all, in
 * order) with special descriptors spread through it, each right among valid ones in the
 * TX ring. Bad ones break a rule of the kernel's aligned-mode check (xp_aligned_validate_desc:
 * len 0, offset + len beyond the frame, addr beyond the UMEM) and must count exactly once in
 * tx_invalid_descs; valid corner cases (frame 0 at offset 0, a frame ending at the UMEM's
 * last byte, one ending at its frame's last byte, one across the 2K midpoint of a 4K frame)
 * must arrive. inval_tx builds every bad descriptor in a frame the application owns, through
 * the public API; the kernel hands those frames back on the completion ring (6.18) and they
 * must come home. inval_tx_oob submits addresses outside the UMEM, which no frame owns,
 * through the hidden hook. */
enum special_kind { SP_VALID, SP_BAD, SP_RAW };

struct special {
	const char *what;
	enum special_kind kind;
	__u64 base;		/* frame (valid, bad) or raw address (raw) */
	__u64 off;		/* bad: offset in the frame */
	__u32 len;		/* bad, raw */
};

/* Where a corner frame of @len bytes starts in its frame. */
static __u64 corner_offset(__u64 base, __u64 size, __u64 fs, unsigned int len)
{
	if (base == 0)
		return 0;			/* the very first byte of the UMEM */
	if (base == size - fs || base == fs * 7)
		return fs - len;		/* ends at the UMEM's or the frame's last byte */
	return fs / 2 - len / 2;		/* 4K frame: across its 2K midpoint */
}

/* Once nothing is in flight, take the frame at @base out of the pool. */
static struct xf_pkt grab_frame(struct txgen *t, __u64 base)
{
	struct xf_pkt *all, got = {};
	unsigned int n;
	bool found = false;

	tx_drain(t);
	all = calloc(o.frames, sizeof(*all));
	if (!all)
		fail("out of memory");
	n = xf_port__tx_alloc(t->port, all, o.frames);
	for (unsigned int i = 0; i < n; i++) {
		if (all[i].addr - all[i].addr % o.frame_size == base && !found) {
			got = all[i];
			found = true;
		} else {
			xf_port__release(t->port, &all[i], 1);
		}
	}
	free(all);
	if (!found)
		fail("frame %llu is not in the pool with nothing in flight (%u frames free)",
		     (unsigned long long)base, n);
	return got;
}

static int inval_run(const struct special *sp, unsigned int nsp, bool raw)
{
	struct xf_umem *u;
	struct flow out;
	struct txgen t;
	struct xf_port *p;
	unsigned int invalid = 0, k = 0;
	__u64 size = (__u64)o.frame_size * o.frames;
	double end;

	if (o.headroom || o.frames < 16)
		fail("needs --headroom 0 and at least 16 frames");
	p = tx_setup(&u, &out);
	ready();
	txgen_init(&t, p, u, &out, o.count);
	end = deadline();
	while (t.sent < t.count || k < nsp) {
		/* Special k goes in once this many valid frames are out. */
		uint32_t at = (uint32_t)((uint64_t)(k + 1) * t.count / (nsp + 1));
		const struct special *x = &sp[k];
		struct xf_pkt c;

		tx_reap(&t);
		if (now() > end)
			fail("sent %u of %u within %.0f s %s", t.sent, t.count, o.timeout, diag(p));
		if (k >= nsp || t.sent < at) {
			if (!tx_step(&t, k < nsp ? at - t.sent : UINT32_MAX))
				xf_port__poll(p, true, 1);
			continue;
		}
		if (x->kind == SP_RAW) {
			if (xf_port_tx_raw(p, x->base, x->len)) {
				xf_port__poll(p, true, 1);	/* ring full */
				continue;
			}
			invalid++;
			k++;
			continue;
		}
		c = grab_frame(&t, x->base);
		/* A burst of valid frames right before it shares the ring with it. */
		tx_step(&t, 8);
		if (x->kind == SP_VALID) {
			c.len = txgen_len(&t);
			c.addr = x->base + corner_offset(x->base, size, o.frame_size, c.len);
			c.data = (uint8_t *)xf_umem__area(u) + c.addr;
			pat_build(c.data, c.len, &t.flow, t.sent);
		} else {
			c.addr = x->base + x->off;
			c.len = x->len;
			c.data = (uint8_t *)xf_umem__area(u) + c.addr;
		}
		if (xf_port__tx(p, &c, 1) != 1)
			fail("the TX ring refused a descriptor with nothing in flight");
		if (x->kind == SP_VALID) {
			t.sent++;
		} else {
			invalid++;
			t.bad++;
		}
		k++;
	}
	/* A bad descriptor last in the ring is looked at on the next kick. */
	xf_port__poll(p, true, 10);
	t.loose = raw;
	tx_drain(&t);
	sum_add(" sent=%u invalid=%u specials=%u completed=%lu", t.sent, invalid, nsp,
		(unsigned long)t.completed);
	stats_expect(p, "tx", STATS([ST_TX_INVALID] = invalid, [ST_TX_EMPTY] = ST_ANY));
	teardown(o.ifname, NULL);
	return 0;
}

static int case_inval_tx(void)
{
	__u64 fs = o.frame_size, size = fs * o.frames;
	struct special sp[] = {
		{ "len 0", SP_BAD, fs * 3, 0, 0 },
		{ "frame 0 at offset 0", SP_VALID, 0, 0, 0 },
		{ "len frame size + 1", SP_BAD, fs * 4, 0, (__u32)fs + 1 },
		{ "last frame, ending at the UMEM's last byte", SP_VALID, size - fs, 0, 0 },
		{ "len 65535", SP_BAD, fs * 5, 0, 65535 },
		{ "frame 7, ending at its last byte", SP_VALID, fs * 7, 0, 0 },
		{ "len 2^32-1", SP_BAD, fs * 6, 0, ~0u },
		{ "4K frame 9 across its 2K midpoint", SP_VALID, fs * 9, 0, 0 },
		{ "addr+len crosses a frame boundary", SP_BAD, fs * 10, fs - 32, 64 },
		{ "addr+len ends one byte into the next frame", SP_BAD, fs * 11, fs - 100, 101 },
		{ "addr+len crosses the end of the UMEM", SP_BAD, size - fs, fs - 32, 64 },
		{ "len frame size at offset 1", SP_BAD, fs * 12, 1, (__u32)fs },
	};
	unsigned int n = sizeof(sp) / sizeof(sp[0]);

	/* Across 2K inside a 2K frame is crossing a frame: that one is in the bad list. */
	if (fs == 2048) {
		memmove(&sp[7], &sp[8], (n - 8) * sizeof(sp[0]));
		n--;
	}
	return inval_run(sp, n, false);
}

static int case_inval_tx_oob(void)
{
	__u64 fs = o.frame_size, size = fs * o.frames;
	const struct special sp[] = {
		{ "addr at the end of the UMEM", SP_RAW, size, 0, 64 },
		{ "frame 0 at offset 0", SP_VALID, 0, 0, 0 },
		{ "addr one frame beyond the UMEM", SP_RAW, size + fs, 0, 64 },
		{ "addr far beyond the UMEM", SP_RAW, size << 8, 0, 64 },
		{ "last frame, ending at the UMEM's last byte", SP_VALID, size - fs, 0, 0 },
		{ "addr below 0 (wraps)", SP_RAW, ~0ull - 1, 0, 64 },
	};

	return inval_run(sp, sizeof(sp) / sizeof(sp[0]), true);
}

/* ---- headroom and in-place header push ---- */

/* headroom: receive on queue -q, push a VLAN tag into the headroom in place, rewrite the
 * MACs and transmit the same frame back on queue -Q (a second socket on the same UMEM).
 * The peer receives every frame tagged and byte-exact. */
static int case_headroom(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct xf_port *rxp, *txp;
	struct cport cp;
	struct flow in;
	uint8_t own_mac[6];
	uint8_t before[CF_MAX_FRAME];
	uint64_t fwd = 0, completed = 0;
	double end;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	iface_mac(o.ifname, own_mac);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	rxp = port_up(o.ifname, u, o.queue, 0, s, RX);
	txp = port_up(o.ifname, u, o.queue2, 0, NULL, TX);
	cport_init(&cp, "rx", rxp, u, &in);

	/* A frame taken for TX has exactly the headroom in front: push fails beyond it. */
	{
		struct xf_pkt pk, orig;

		if (xf_port__tx_alloc(txp, &pk, 1) != 1)
			fail("tx_alloc: no frame");
		orig = pk;
		pk.len = 64;
		orig.len = 64;
		if (xf_port__push(txp, &pk, o.headroom + 1) || pk.addr != orig.addr ||
		    pk.data != orig.data || pk.len != orig.len)
			fail("push of headroom + 1 bytes into a TX frame succeeded or moved it");
		memset(pk.data, 0xab, 64);
		if (o.headroom < 4) {
			if (xf_port__push_vlan(txp, &pk, CF_VLAN_TPID, 7) != -ENOSPC ||
			    pk.addr != orig.addr)
				fail("push_vlan with headroom %u did not fail with ENOSPC",
				     o.headroom);
		} else if (xf_port__push_vlan(txp, &pk, CF_VLAN_TPID, 7) ||
			   pk.addr != orig.addr - 4 || pk.len != 68) {
			fail("push_vlan into a TX frame with headroom %u failed", o.headroom);
		}
		pk = orig;
		xf_port__release(txp, &pk, 1);
	}
	ready();
	end = deadline();
	while (fwd < o.count) {
		struct xf_pkt pk[CF_BURST];
		unsigned int n = xf_port__rx(rxp, pk, CF_BURST);

		for (unsigned int i = 0; i < n; i++) {
			struct xf_pkt orig = pk[i];
			__u32 room = (__u32)(orig.addr % o.frame_size);
			uint8_t *d;

			check_rx_pkt(&cp, &pk[i]);
			memcpy(before, pk[i].data, pk[i].len);
			if (xf_port__push(rxp, &pk[i], room + 1) || pk[i].addr != orig.addr)
				fail("push of %u bytes into %u bytes of headroom succeeded",
				     room + 1, room);
			if (xf_port__push_vlan(rxp, &pk[i], CF_VLAN_TPID, (__u16)o.vlan))
				fail("push_vlan into %u bytes of headroom failed", room);
			d = pk[i].data;
			/* In place: the start moved back 4 bytes, nothing after the tag moved. */
			if (pk[i].addr != orig.addr - 4 || d != (uint8_t *)orig.data - 4 ||
			    pk[i].len != orig.len + 4)
				fail("push_vlan: addr %llu -> %llu, len %u -> %u; expected -4, +4",
				     (unsigned long long)orig.addr, (unsigned long long)pk[i].addr,
				     orig.len, pk[i].len);
			if (memcmp(d, before, 12) || d[12] != 0x81 || d[13] != 0x00 ||
			    d[14] != (uint8_t)(o.vlan >> 8) || d[15] != (uint8_t)o.vlan ||
			    memcmp(d + 16, before + 12, orig.len - 12))
				fail("frame seq %lu is not the original with a VLAN tag inserted",
				     (unsigned long)cp.st.pkts - 1);
			memcpy(d, o.peer_mac, 6);
			memcpy(d + 6, own_mac, 6);
		}
		/* Ring full: keep what did not fit until the kernel catches up. */
		tx_queue_all(txp, pk, n, &completed);
		fwd += n;
		completed += xf_port__complete(txp);
		if (now() > end)
			fail("forwarded %lu of %u within %.0f s: rx %s", (unsigned long)fwd,
			     o.count, o.timeout, diag(rxp));
		if (!n)
			xf_port__poll(rxp, false, 10);
	}
	tx_settle(txp, fwd, &completed, end, "forwarded");
	rx_quiet(&cp, 1, 0.05);
	stats_expect(rxp, "rx", STATS(0));
	stats_expect(txp, "tx", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" forwarded=%lu headroom=%u", (unsigned long)fwd, o.headroom);
	teardown(o.ifname, NULL);
	return 0;
}

/* ---- shared UMEM ---- */

/* forward: receive on -i, transmit the very same frame (same UMEM address, MACs
 * rewritten, payload untouched) on -I through a second socket sharing the UMEM. */
static int case_forward(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct xf_port *rxp, *txp;
	struct cport cp;
	struct flow in;
	uint8_t mac2[6];
	uint64_t fwd = 0, completed = 0;
	__u32 free0;
	double end;

	if (!o.ifname2 || !o.have_fwd_mac)
		fail("forward needs -I IFACE2 and --fwd-mac");
	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	iface_mac(o.ifname2, mac2);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	rxp = port_up(o.ifname, u, o.queue, 0, s, RX);
	txp = port_up(o.ifname2, u, o.queue2, 0, NULL, TX);
	cport_init(&cp, "rx", rxp, u, &in);
	free0 = xf_umem__free_frames(u);
	ready();
	end = deadline();
	while (fwd < o.count) {
		struct xf_pkt pk[CF_BURST];
		__u64 addr[CF_BURST];
		unsigned int n = xf_port__rx(rxp, pk, CF_BURST), done = 0;

		for (unsigned int i = 0; i < n; i++) {
			uint8_t *d = pk[i].data;

			check_rx_pkt(&cp, &pk[i]);
			addr[i] = pk[i].addr;
			memcpy(d, o.fwd_mac, 6);
			memcpy(d + 6, mac2, 6);
		}
		/* No allocation on the forwarding path: the pool only feeds the fill ring. */
		if (xf_umem__free_frames(u) > free0)
			fail("free pool grew while forwarding: a frame was copied or lost");
		while (done < n) {
			unsigned int k = xf_port__tx(txp, pk + done, n - done);

			for (unsigned int i = done; i < done + k; i++)
				if (pk[i].addr != addr[i] ||
				    pk[i].data != (uint8_t *)xf_umem__area(u) + addr[i])
					fail("TX address %llu is not the RX address %llu",
					     (unsigned long long)pk[i].addr,
					     (unsigned long long)addr[i]);
			done += k;
			completed += xf_port__complete(txp);
			if (done < n) {
				if (now() > end)
					fail("TX ring stuck");
				xf_port__poll(txp, true, 1);
			}
		}
		fwd += n;
		completed += xf_port__complete(txp);
		if (now() > end)
			fail("forwarded %lu of %u within %.0f s: rx %s", (unsigned long)fwd,
			     o.count, o.timeout, diag(rxp));
		if (!n)
			xf_port__poll(rxp, false, 10);
	}
	tx_settle(txp, fwd, &completed, end, "forwarded");
	rx_quiet(&cp, 1, 0.05);
	stats_expect(rxp, "rx", STATS(0));
	stats_expect(txp, "tx", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" forwarded=%lu", (unsigned long)fwd);
	teardown(o.ifname, o.ifname2);
	return 0;
}

/* shared_slots: two sockets on one queue sharing a UMEM (and so its fill and completion
 * rings), told apart by slot: dport -> slot 0 gets -n packets, dport2 -> slot 1 gets -N,
 * each exactly its own flow. */
/* Two sockets on -q sharing a UMEM, slot 0 for dport and slot 1 for dport2, in @cp.
 * Returns the steering handle. */
static struct xf_steer *two_slots_up(struct cport cp[2])
{
	static char r0[64], r1[64];
	const char *rules[] = { r0, r1 };
	static struct flow in0, in1;
	struct xf_steer *s;
	struct xf_umem *u;

	rule_text(r0, sizeof(r0), o.dport, 0);
	rule_text(r1, sizeof(r1), o.dport2, 1);
	flows(o.ifname, &in0, NULL);
	in1 = in0;
	in1.dport = o.dport2;
	s = steer_up(o.ifname, rules, 2);
	u = umem_up(o.frames);
	cport_init(&cp[0], "slot0", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in0);
	cport_init(&cp[1], "slot1", port_up(o.ifname, u, o.queue, 1, s, RX), u, &in1);
	return s;
}

/* Both streams of two_slots_up arrive whole, nothing else, no drops. */
static void two_slots_rx(struct cport cp[2])
{
	rx_until(cp, 2, (uint64_t[]){ o.count, o.count2 });
	rx_quiet(cp, 2, 0.05);
	stats_expect(cp[0].port, "slot0", STATS(0));
	stats_expect(cp[1].port, "slot1", STATS(0));
}

static int case_shared_slots(void)
{
	struct cport cp[2];
	struct xf_steer *s = two_slots_up(cp);

	ready();
	two_slots_rx(cp);
	rule_hits(s, 0, o.count);
	rule_hits(s, 1, o.count2);
	sum_add(" slot0=%lu slot1=%lu", (unsigned long)cp[0].st.pkts, (unsigned long)cp[1].st.pkts);
	teardown(o.ifname, NULL);
	return 0;
}

/* napi_yield: the queue's NAPI thread shares this thread's CPU (the script pins both to one
 * CPU, threaded NAPI on). Two ports on the queue (slots 0 and 1) yield to it from this
 * thread: it is SCHED_FIFO 1 while either exists and SCHED_OTHER again after the last one
 * goes, the NAPI thread keeps its own priority, and both streams arrive whole. */
static void expect_policy(int policy, int prio, const char *when)
{
	struct sched_param sp;
	int now = sched_getscheduler(0);

	if (now != policy || sched_getparam(0, &sp) || sp.sched_priority != prio)
		fail("%s: this thread runs policy %d priority %d, expected %d priority %d", when,
		     now, sp.sched_priority, policy, prio);
}

static int case_napi_yield(void)
{
	struct xf_port *p0, *p1;
	struct cport cp[2];
	int napi, nice0, err;
	cpu_set_t cpus;

	napi = xf_sysinfo_napi_thread(o.ifname, o.queue);
	if (napi <= 0)
		fail("no NAPI thread for '%s' queue %u (%d): the script turns threaded NAPI on",
		     o.ifname, o.queue, napi);
	if (sched_getaffinity(napi, sizeof(cpus), &cpus))
		fail("cannot read the CPUs of NAPI thread %d: %s", napi, strerror(errno));
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		fail("cannot move to the NAPI thread's CPUs: %s", strerror(errno));
	nice0 = getpriority(PRIO_PROCESS, (id_t)napi);
	expect_policy(SCHED_OTHER, 0, "before");
	two_slots_up(cp);
	p0 = cp[0].port;
	p1 = cp[1].port;
	if (xf_port__napi_thread(p0))
		fail("a port yields to NAPI without being asked");
	if ((err = xf_port__napi_yield(p0)) || (err = xf_port__napi_yield(p1)))
		fail("xf_port__napi_yield failed: %s", strerror(-err));
	if (xf_port__napi_thread(p0) != napi || xf_port__napi_thread(p1) != napi)
		fail("ports yield to NAPI threads %d and %d, expected %d", xf_port__napi_thread(p0),
		     xf_port__napi_thread(p1), napi);
	if (xf_port__napi_yield(p0))
		fail("a second xf_port__napi_yield on a port failed");
	expect_policy(SCHED_FIFO, 1, "with two ports yielding");
	ready();
	two_slots_rx(cp);
	if (getpriority(PRIO_PROCESS, (id_t)napi) != nice0 ||
	    sched_getscheduler(napi) != SCHED_OTHER)
		fail("the NAPI thread's priority changed (nice %d -> %d)", nice0,
		     getpriority(PRIO_PROCESS, (id_t)napi));
	port_down(p1);
	expect_policy(SCHED_FIFO, 1, "with one port left");
	port_down(p0);
	expect_policy(SCHED_OTHER, 0, "after the last port");
	sum_add(" napi=%d slot0=%lu slot1=%lu", napi, (unsigned long)cp[0].st.pkts,
		(unsigned long)cp[1].st.pkts);
	teardown(o.ifname, NULL);
	return 0;
}

/* two_queues: sockets on queues -q and -Q sharing a UMEM (each with its own fill and
 * completion rings), each driven by its own thread at the same time. Both receive their
 * own stream; with --q2-tx the second one sends -N frames to the peer instead (generic XDP
 * on veth sees every packet on queue 0, so only a queue 0 socket can receive there). */
struct qworker {
	struct cport cp;
	struct txgen tx;
	bool is_tx;
	uint64_t want;
	pthread_t th;
};

static void *qworker_run(void *arg)
{
	struct qworker *w = arg;

	if (w->is_tx)
		tx_all(&w->tx, false);
	else
		rx_until(&w->cp, 1, &w->want);
	return NULL;
}

static int case_two_queues(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct qworker w[2] = {};
	struct flow in0, in1, out;
	struct xf_port *p1;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in0, &out);
	in1 = in0;
	in1.sport = o.sport2;
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&w[0].cp, "queue0", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in0);
	w[0].want = o.count;
	if (o.q2_tx) {
		p1 = port_up(o.ifname, u, o.queue2, 0, NULL, TX);
		w[1].is_tx = true;
	} else {
		p1 = port_up(o.ifname, u, o.queue2, 0, s, RX);
		cport_init(&w[1].cp, "queue1", p1, u, &in1);
		w[1].want = o.count2;
	}
	ready();
	if (o.q2_tx)
		txgen_init(&w[1].tx, p1, u, &out, o.count2);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&w[i].th, NULL, qworker_run, &w[i]))
			fail("pthread_create failed");
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].th, NULL);
	if (g.thread_err[0])
		fail("%s", g.thread_err);
	rx_quiet(&w[0].cp, 1, 0.05);
	stats_expect(w[0].cp.port, "queue0", STATS(0));
	if (o.q2_tx) {
		stats_expect(p1, "queue1", STATS([ST_TX_EMPTY] = ST_ANY));
		sum_add(" queue0=%lu queue1_sent=%u", (unsigned long)w[0].cp.st.pkts, w[1].tx.sent);
	} else {
		rx_quiet(&w[1].cp, 1, 0.05);
		stats_expect(p1, "queue1", STATS(0));
		sum_add(" queue0=%lu queue1=%lu", (unsigned long)w[0].cp.st.pkts,
			(unsigned long)w[1].cp.st.pkts);
	}
	teardown(o.ifname, NULL);
	return 0;
}

/* repoint: the rule sends the flow to slot 0, and is replaced by one sending it to slot 1
 * while the stream runs. Every packet lands exactly once: slot 0 gets 0..k-1, slot 1 gets
 * k..n-1, each in order. */
static int case_repoint(void)
{
	char r0[64], r1[64];
	const char *rules[] = { r0 };
	struct xf_rule nr;
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp[2];
	struct flow in;
	char err[256];
	double end, t_set;
	int ret;

	rule_text(r0, sizeof(r0), o.dport, 0);
	rule_text(r1, sizeof(r1), o.dport, 1);
	if (xf_rule__parse(r1, &nr, err, sizeof(err)))
		fail("rule '%s': %s", r1, err);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp[0], "slot0", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	cport_init(&cp[1], "slot1", port_up(o.ifname, u, o.queue, 1, s, RX), u, &in);
	cp[1].st.any_start = true;
	ready();
	rx_until(&cp[0], 1, (uint64_t[]){ o.count / 3 });
	t_set = now();
	ret = xf_steer__set_rules(s, &nr, 1);
	t_set = now() - t_set;
	if (ret)
		fail("replacing the rule: %s", strerror(-ret));
	end = deadline();
	while (cp[0].st.pkts + cp[1].st.pkts < o.count) {
		uint64_t left = o.count - cp[0].st.pkts - cp[1].st.pkts;

		if (!rx_burst_max(&cp[0], left) &&
		    !rx_burst_max(&cp[1], o.count - cp[0].st.pkts - cp[1].st.pkts))
			sleep_s(0.0002);
		if (now() > end)
			fail("%lu + %lu of %u packets within %.0f s", (unsigned long)cp[0].st.pkts,
			     (unsigned long)cp[1].st.pkts, o.count, o.timeout);
	}
	rx_quiet(cp, 2, 0.05);
	if (!cp[1].st.pkts || cp[1].st.first != cp[0].st.next)
		fail("slot 0 got 0..%u, slot 1 got %lu packets from %u: the cut is not clean",
		     cp[0].st.next - 1, (unsigned long)cp[1].st.pkts, cp[1].st.first);
	if (cp[1].st.next != o.count)
		fail("slot 1 ends at %u, expected %u", cp[1].st.next - 1, o.count - 1);
	if (steer_stats(s).xsk != o.count || steer_stats(s).xsk_nosock)
		fail("steering program redirected %lu (%lu to no socket), expected %u",
		     (unsigned long)steer_stats(s).xsk, (unsigned long)steer_stats(s).xsk_nosock,
		     o.count);
	stats_expect(cp[0].port, "slot0", STATS(0));
	stats_expect(cp[1].port, "slot1", STATS(0));
	sum_add(" slot0=%lu slot1=%lu cut=%u set_rules_ms=%.1f", (unsigned long)cp[0].st.pkts,
		(unsigned long)cp[1].st.pkts, cp[1].st.first, t_set * 1e3);
	/* "Counters restart" with the new set: it matched exactly what slot 1 received. */
	{
		struct xf_counter c;

		ret = xf_steer__rule_counter(s, 0, &c);
		if (ret)
			fail("rule 0 counter: %s", strerror(-ret));
		if (c.packets != cp[1].st.pkts)
			fail("the new rule 0 counts %lu packets but classified %lu (slot 1 got "
			     "%u..%u); the other %ld were the old rule 0's, classified while "
			     "set_rules ran (%.1f ms)", (unsigned long)c.packets,
			     (unsigned long)cp[1].st.pkts, cp[1].st.first, cp[1].st.next - 1,
			     (long)c.packets - (long)cp[1].st.pkts, t_set * 1e3);
	}
	teardown(o.ifname, NULL);
	return 0;
}

/* ---- both directions, one socket ---- */

/* bidi: one socket receives the peer's stream and sends its own at the same time, from
 * one thread. Both sides run this case; they start on SIGUSR1 once both are ready. */
static int case_bidi(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct xf_port *p;
	struct cport cp;
	struct txgen t;
	struct flow in, out;
	struct timespec ts = { .tv_sec = (time_t)o.timeout };
	sigset_t set;
	double end;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, &out);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	p = port_up(o.ifname, u, o.queue, 0, s, RX | TX);
	cport_init(&cp, "rx", p, u, &in);
	ready();
	if (sigtimedwait(&set, NULL, &ts) != SIGUSR1)
		fail("no SIGUSR1 to start within %.0f s", o.timeout);
	txgen_init(&t, p, u, &out, o.count);
	end = deadline();
	while (cp.st.pkts < o.count2 || t.sent < t.count || frames_in_tx(p)) {
		unsigned int got = 0;

		unsigned int n;

		/* Receive first: the RX ring must not overflow while we send. */
		while (cp.st.pkts < o.count2 && (n = rx_burst_max(&cp, o.count2 - cp.st.pkts)))
			got += n;
		tx_reap(&t);
		got += tx_step(&t, UINT32_MAX);
		if (cp.st.pkts > o.count2)
			fail("received %lu, more than %u", (unsigned long)cp.st.pkts, o.count2);
		if (now() > end)
			fail("received %lu of %u, sent %u of %u, %u not completed within %.0f s %s",
			     (unsigned long)cp.st.pkts, o.count2, t.sent, t.count, frames_in_tx(p),
			     o.timeout, diag(p));
		if (!got)
			sleep_s(0.0001);
	}
	tx_drain(&t);
	rx_quiet(&cp, 1, 0.05);
	stats_expect(p, "bidi", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" received=%lu sent=%u", (unsigned long)cp.st.pkts, t.sent);
	teardown(o.ifname, NULL);
	return 0;
}

/* ---- life cycle ---- */

/* The BPF objects behind the attached program: its id and its maps' ids. */
struct bpf_objs {
	__u32 prog;
	__u32 maps[16];
	__u32 nmaps;
};

static void bpf_objs_get(const char *ifname, struct bpf_objs *b)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	memset(b, 0, sizeof(*b));
	b->prog = xdp_prog_id(ifname);
	if (!b->prog)
		fail("no XDP program attached to '%s' while the steering handle is open", ifname);
	fd = bpf_prog_get_fd_by_id(b->prog);
	if (fd < 0)
		fail("program %u: %s", b->prog, strerror(errno));
	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)b->maps;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		fail("program %u info: %s", b->prog, strerror(errno));
	close(fd);
	b->nmaps = info.nr_map_ids < 16 ? info.nr_map_ids : 16;
}

/* After teardown the kernel frees them (maps after an RCU grace period). */
static void bpf_objs_gone(const struct bpf_objs *b, unsigned int iter)
{
	double end = now() + 2;

	for (;;) {
		int alive = 0, fd;
		__u32 id = 0;

		fd = bpf_prog_get_fd_by_id(b->prog);
		if (fd >= 0) {
			close(fd);
			alive++;
			id = b->prog;
		}
		for (__u32 i = 0; i < b->nmaps; i++) {
			fd = bpf_map_get_fd_by_id(b->maps[i]);
			if (fd >= 0) {
				close(fd);
				alive++;
				id = b->maps[i];
			}
		}
		if (!alive)
			return;
		if (now() > end) {
			char extra[512];
			int bpf;

			fd_count_kinds(&bpf, extra, sizeof(extra));
			fail("iteration %u: %d of the steering program's BPF objects (program "
			     "%u and its %u maps; e.g. id %u) still exist 2 s after teardown; "
			     "this process holds %d more BPF descriptors than at the start: %s",
			     iter, alive, b->prog, b->nmaps, id, bpf - g.fd_base_bpf, extra);
		}
		sleep_s(0.01);
	}
}

static bool running_under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#endif
#endif
	return false;
}

/* teardown: --iters times, attach, create the UMEM and the socket, receive some packets of
 * the peer's continuous stream (each checked), tear down; after every iteration no fd,
 * pin, program or map is left and every frame came home; RSS stays flat. */
static int case_teardown(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct flow in;
	long rss0 = 0, rss = 0;
	unsigned long total = 0;
	int fds0 = 0, bpf0 = 0;
	double t0 = now();

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	ready();
	for (unsigned int it = 0; it < o.iters; it++) {
		struct bpf_objs b;
		struct xf_steer *s = steer_up(o.ifname, rules, 1);
		struct xf_umem *u = umem_up(o.frames);
		struct cport cp;

		cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
		/* Packets between iterations went to the kernel: join the stream anywhere. */
		cp.st.any_start = true;
		bpf_objs_get(o.ifname, &b);
		rx_until(&cp, 1, (uint64_t[]){ o.count });
		stats_expect(cp.port, "rx", STATS(0));
		total += cp.st.pkts;
		g.sumlen = 0;
		teardown(o.ifname, NULL);
		bpf_objs_gone(&b, it);
		/* The first iteration warms up libbpf, libxdp, malloc and the library's
		 * process-wide caches; from then on nothing may accumulate. */
		if (it == 0) {
			rss0 = rss_kib();
			fds0 = fd_count_kinds(&bpf0, NULL, 0);
		} else if (fd_count() != fds0) {
			char extra[512];
			int bpf, n = fd_count_kinds(&bpf, extra, sizeof(extra));

			fail("iteration %u: %d descriptors open (%d BPF), %d (%d BPF) after the "
			     "first; new since the start: %s", it, n, bpf, fds0, bpf0, extra);
		}
		rss = rss_kib();
	}
	g.sumlen = 0;
	sum_add(" iterations=%u packets=%lu fds=%d fds_cached=%d rss_kib=%ld..%ld seconds=%.1f",
		o.iters, total, fd_count(), fds0 - g.fd_base, rss0, rss, now() - t0);
	/* One leaked UMEM is frames * frame_size; a few pages of drift is malloc. Under
	 * AddressSanitizer freed memory sits in its quarantine (RSS grows by design) and
	 * LeakSanitizer checks for leaks at exit instead. */
	if (rss - rss0 > 2048 && !running_under_asan())
		fail("RSS grew from %ld to %ld KiB over %u iterations", rss0, rss, o.iters);
	return 0;
}

/* fork: fork() while the stream runs. The UMEM is MADV_DONTFORK: a child touching it dies
 * of SIGSEGV, a child that does not touch it exits normally, and the parent receives every
 * packet intact. */
static bool umem_vma_dontfork(const void *area)
{
	char line[256];
	unsigned long lo, hi, a = (unsigned long)area;
	bool in = false, dc = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		fail("cannot open /proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && !strncmp(line, "VmFlags:", 8))
			dc = strstr(line, " dc") != NULL;	/* VM_DONTCOPY */
	}
	fclose(f);
	return dc;
}

static pid_t fork_child(const volatile uint8_t *touch)
{
	pid_t pid = fork();

	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		volatile uint8_t sink;

		/* Sanitizer runtimes catch SIGSEGV: the child must die of it. */
		sigaction(SIGSEGV, &sa, NULL);
		sink = *touch;
		(void)sink;
		_exit(touch == NULL ? 4 : 0);
	}
	return pid;
}

static int case_fork(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;
	pid_t toucher, control;
	int st1, st2;
	static uint8_t heap_byte = 1;

	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	if (!umem_vma_dontfork(xf_umem__area(u)))
		fail("the UMEM mapping has no 'dc' (MADV_DONTFORK) in /proc/self/smaps");
	ready();
	rx_until(&cp, 1, (uint64_t[]){ o.count / 4 });
	toucher = fork_child((const volatile uint8_t *)xf_umem__area(u) + o.frame_size);
	control = fork_child(&heap_byte);
	rx_until(&cp, 1, (uint64_t[]){ o.count });
	if (waitpid(toucher, &st1, 0) != toucher || waitpid(control, &st2, 0) != control)
		fail("waitpid: %s", strerror(errno));
	if (!WIFSIGNALED(st1) || WTERMSIG(st1) != SIGSEGV)
		fail("the child that read the UMEM %s %d instead of dying of SIGSEGV",
		     WIFSIGNALED(st1) ? "died of signal" : "exited with",
		     WIFSIGNALED(st1) ? WTERMSIG(st1) : WEXITSTATUS(st1));
	if (!WIFEXITED(st2) || WEXITSTATUS(st2))
		fail("the control child (no UMEM access) ended with status 0x%x", st2);
	rx_quiet(&cp, 1, 0.05);
	stats_expect(cp.port, "rx", STATS(0));
	sum_add(" packets=%lu child=SIGSEGV control=0", (unsigned long)cp.st.pkts);
	(void)s;
	teardown(o.ifname, NULL);
	return 0;
}

/* ---- main ---- */


/* ---- multi-buffer ---- */

/* mb_rx: jumbo frames (MTU 9000) received as chains: each segment where a received buffer
 * starts, all but the last full, the reassembled frame byte-exact and in order. Every
 * counter stays 0. */
static int case_mb_rx(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;

	if (!o.multi_buffer)
		fail("needs --multi-buffer");
	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	ready();
	rx_until(&cp, 1, (uint64_t[]){ o.count });
	rx_quiet(&cp, 1, 0.05);
	stats_expect(cp.port, "rx", STATS(0));
	rule_hits(s, 0, o.count);
	if (!cp.chains)
		fail("no packet came as a chain: the sizes do not need multi-buffer");
	sum_add(" packets=%lu chains=%lu bytes=%lu", (unsigned long)cp.st.pkts,
		(unsigned long)cp.chains, (unsigned long)cp.st.bytes);
	teardown(o.ifname, NULL);
	return 0;
}

/* One packet of the stream in a chain of frames. The frame is built whole and cut every
 * @cut bytes, so segments end anywhere in their frames, not only where a frame is full.
 * Returns the segments (0: not enough free frames; the size is drawn again next time). */
static unsigned int tx_chain(struct txgen *t, struct xf_pkt *seg, unsigned int cut)
{
	static uint8_t whole[CF_MAX_JUMBO];
	uint32_t rng = t->rng;
	unsigned int len = txgen_len(t), n = (len + cut - 1) / cut, got;

	if (n > XF_PKT_MAX_SEGS)
		fail("a %u-byte frame cut every %u bytes needs %u segments", len, cut, n);
	got = xf_port__tx_alloc(t->port, seg, n);
	if (got < n) {
		xf_port__release(t->port, seg, got);
		t->rng = rng;
		return 0;
	}
	pat_build(whole, len, &t->flow, t->sent);
	for (unsigned int i = 0, off = 0; i < n; i++, off += cut) {
		seg[i].len = len - off < cut ? len - off : cut;
		seg[i].options = i + 1 < n ? XF_PKT_CONTD : 0;
		memcpy(seg[i].data, whole + off, seg[i].len);
	}
	return n;
}

/* Send one chain; on a full ring it goes back to the pool and is rebuilt later. */
static bool tx_chain_send(struct txgen *t, unsigned int cut)
{
	struct xf_pkt seg[XF_PKT_MAX_SEGS];
	uint32_t rng = t->rng;
	unsigned int n = tx_chain(t, seg, cut);

	if (!n)
		return false;
	if (xf_port__tx(t->port, seg, n) != n) {
		xf_port__release(t->port, seg, n);
		t->rng = rng;
		return false;
	}
	t->sent++;
	t->extra_segs += n - 1;
	return true;
}

/* mb_tx: the stream sent as chains, cut at varying points; the peer reassembles and checks
 * every frame. Every segment completes. */
static int case_mb_tx(void)
{
	struct xf_umem *u;
	struct flow out;
	struct txgen t;
	struct xf_port *p;
	__u32 room;
	double end;

	if (!o.multi_buffer)
		fail("needs --multi-buffer");
	p = tx_setup(&u, &out);
	room = o.frame_size - o.headroom;
	ready();
	txgen_init(&t, p, u, &out, o.count);
	end = deadline();
	while (t.sent < t.count) {
		tx_reap(&t);
		if (now() > end)
			fail("sent %u of %u within %.0f s %s", t.sent, t.count, o.timeout, diag(p));
		if (!txgen_due(&t)) {
			sleep_s(0.0005);
			continue;
		}
		/* Cut at a full frame, or up to 1500 bytes short of one. */
		if (!tx_chain_send(&t, room - (t.sent % 6) * 300))
			xf_port__poll(p, true, 1);
	}
	tx_drain(&t);
	stats_expect(p, "tx", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" sent=%u segments=%lu completed=%lu", t.sent,
		(unsigned long)(t.sent + t.extra_segs), (unsigned long)t.completed);
	teardown(o.ifname, NULL);
	return 0;
}

/* A chain for mb_tx_bad: a pattern frame of @len bytes cut into @n equal segments (the
 * last takes the rest); segment @bad (if < n) gets an impossible length. */
static void bad_chain(struct txgen *t, struct xf_pkt *seg, unsigned int n, unsigned int len,
		      unsigned int bad, uint32_t seq)
{
	static uint8_t whole[CF_MAX_JUMBO];
	unsigned int cut = len / n;

	if (xf_port__tx_alloc(t->port, seg, n) != n)
		fail("no %u free frames with nothing in flight", n);
	pat_build(whole, len, &t->flow, seq);
	for (unsigned int i = 0; i < n; i++) {
		seg[i].len = i + 1 < n ? cut : len - cut * i;
		memcpy(seg[i].data, whole + cut * i, seg[i].len);
		seg[i].options = i + 1 < n ? XF_PKT_CONTD : 0;
		if (i == bad)
			seg[i].len = o.frame_size + 1;	/* beyond its frame */
	}
}

/* Queue a chain through the public API with nothing else in flight, and wait until every
 * frame of it is back from the kernel. Returns the tx_invalid_descs it added. */
static uint64_t chain_alone(struct txgen *t, const struct xf_pkt *seg, unsigned int n)
{
	uint64_t before[ST_N], after[ST_N];

	tx_drain(t);
	stats_read(t->port, before);
	if (xf_port__tx(t->port, seg, n) != n)
		fail("the TX ring refused a whole chain of %u with nothing in flight", n);
	t->extra_segs += n;	/* every descriptor completes, valid or not */
	xf_port__poll(t->port, true, 10);
	tx_drain(t);
	stats_read(t->port, after);
	/* Pace on from here: a burst of everything "due" during the pause would overflow
	 * the peer's veth ring (256 entries), a loss this case is not about. */
	if (o.rate)
		t->start = now() - (double)t->sent / o.rate;
	return after[ST_TX_INVALID] - before[ST_TX_INVALID];
}

/* mb_tx_bad: malformed chains among a valid stream. Each must be dropped whole (the peer
 * sees none of its bytes and the stream stays in order), counted in tx_invalid_descs as
 * the kernel defines, and every frame must come home through the completion ring:
 *  - an invalid descriptor in the middle of a chain,
 *  - a chain one descriptor longer than the kernel takes (MAX_SKB_FRAGS + 1),
 *  and, as controls, a chain of exactly the maximum length (sent), and a chain whose last
 *  descriptor still says "more follows", which xf_port__tx refuses to queue; the hidden
 *  hook queues it last, and the kernel must keep it to itself until the socket closes. */
static int case_mb_tx_bad(void)
{
	struct xf_pkt seg[XF_PKT_MAX_SEGS + 2];
	struct xf_umem *u;
	struct flow out;
	struct txgen t;
	struct xf_port *p;
	uint64_t inv_mid, inv_long, inv_max, v[ST_N];
	unsigned int max = XF_PKT_MAX_SEGS;

	if (!o.multi_buffer)
		fail("needs --multi-buffer");
	p = tx_setup(&u, &out);
	ready();
	txgen_init(&t, p, u, &out, o.count);

	/* A third of the stream, then an invalid descriptor in the middle of a chain. */
	t.count = o.count / 3;
	tx_all(&t, false);
	bad_chain(&t, seg, 3, 3000, 1, 0xbad00001);
	inv_mid = chain_alone(&t, seg, 3);

	/* A chain one longer than the maximum, then one of exactly the maximum. */
	t.count = 2 * o.count / 3;
	tx_all(&t, false);
	bad_chain(&t, seg, max + 1, 64 * (max + 1), max + 1, 0xbad00002);
	inv_long = chain_alone(&t, seg, max + 1);
	bad_chain(&t, seg, max, 64 * max, max, t.sent);
	inv_max = chain_alone(&t, seg, max);
	t.sent++;
	t.extra_segs -= 1;

	/* The rest of the stream. */
	t.count = o.count;
	tx_all(&t, false);

	/* A chain that never ends: the public API will not queue it. */
	bad_chain(&t, seg, 2, 200, 2, 0xbad00003);
	seg[1].options = XF_PKT_CONTD;
	if (xf_port__tx(p, seg, 2) != 0)
		fail("xf_port__tx queued a chain whose last segment has XF_PKT_CONTD");
	for (unsigned int i = 0; i < 2; i++)
		if (xf_port_tx_raw_opts(p, seg[i].addr, seg[i].len, seg[i].options, i == 1))
			fail("the TX ring refused a raw descriptor with nothing in flight");
	xf_port__poll(p, true, 10);
	sleep_s(0.1);
	if (xf_port__complete(p) || frames_in_tx(p))
		fail("completions for a chain that never ended");
	stats_read(p, v);
	sum_add(" sent=%u inv_mid=%lu inv_long=%lu inv_max=%lu completed=%lu", t.sent,
		(unsigned long)inv_mid, (unsigned long)inv_long, (unsigned long)inv_max,
		(unsigned long)t.completed);
	/* The kernel drops a malformed chain whole and counts every descriptor of it. */
	if (inv_mid != 3 || inv_long != max + 1 || inv_max)
		fail("tx_invalid_descs rose by %lu for a 3-descriptor chain with a bad middle "
		     "(expected 3), by %lu for %u descriptors (expected %u), by %lu for %u "
		     "(expected 0)", (unsigned long)inv_mid, (unsigned long)inv_long, max + 1,
		     max + 1, (unsigned long)inv_max, max);
	stats_expect(p, "tx", STATS([ST_TX_INVALID] = 3 + max + 1, [ST_TX_EMPTY] = ST_ANY));
	/* The dangling chain's frames were never handed over through the library: they are
	 * the application's; once the socket is closed nothing can touch them. */
	port_down(p);
	{
		__u64 addrs[2] = { seg[0].addr, seg[1].addr };

		xf_umem_pool_put(u, addrs, 2, XF_PLACE(XF_PLACE_APP, 0));
	}
	teardown(o.ifname, NULL);
	return 0;
}

/* mb_fill_short: a UMEM of --frames frames, all in the fill ring, an RX ring not read, and
 * -N jumbo frames of -s bytes that need S segments each. The kernel takes a packet
 * only when the fill ring has a buffer for every segment of it: the first frames/S land as
 * whole chains, every later one is dropped whole (rx_dropped), and no chain is ever left
 * without its end on the RX ring. */
static int case_mb_fill_short(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	struct xf_ring_occupancy occ;
	struct xf_steer *s;
	struct xf_umem *u;
	struct cport cp;
	struct flow in;
	__u32 room = o.frame_size - o.headroom - XDP_PACKET_HEADROOM;
	unsigned int segs = (o.size_min + room - 1) / room, fit = o.frames / segs;
	uint64_t v[ST_N];

	if (!o.multi_buffer || o.size_min != o.size_max || o.frames % segs == 0)
		fail("needs --multi-buffer, one -s size, and --frames not a multiple of the %u "
		     "segments a packet takes", segs);
	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	cport_init(&cp, "rx", port_up(o.ifname, u, o.queue, 0, s, RX), u, &in);
	ready();
	wait_steered(s, o.count2);
	xf_port__rings(cp.port, &occ);
	stats_read(cp.port, v);
	sum_add(" segs=%u ring_rx=%u ring_fill=%u", segs, occ.rx, occ.fill);
	if (occ.rx != fit * segs || occ.fill != o.frames - fit * segs)
		fail("rings after %u packets of %u segments: rx %u (expected %u), fill %u "
		     "(expected %u: too few for another packet, left alone)", o.count2, segs,
		     occ.rx, fit * segs, occ.fill, o.frames - fit * segs);
	stats_expect(cp.port, "rx", STATS([ST_RX_DROPPED] = o.count2 - fit,
					  [ST_FILL_EMPTY] = ST_ANY));
	rx_until(&cp, 1, (uint64_t[]){ fit });
	rx_quiet(&cp, 1, 0.05);
	if (cp.chains != fit)
		fail("%lu of %u packets came as chains", (unsigned long)cp.chains, fit);
	teardown(o.ifname, NULL);
	return 0;
}

/* ---- unaligned chunk mode ---- */

/* A descriptor for un_descs: in frame @frame at offset @off (may run past the frame), with
 * @hi (if not 0) moved into the upper 16 bits the way the kernel encodes offsets. */
struct udesc {
	const char *what;
	bool valid;
	bool raw;		/* outside every frame: through the hidden hook, unaccounted */
	__u64 frame, off;
	__u32 len;
	__u16 hi;
};

/* Own every frame [first, last] so that a descriptor across them touches nothing else. */
static unsigned int grab_span(struct txgen *t, __u64 first, __u64 last, struct xf_pkt *held)
{
	unsigned int n = 0;

	for (__u64 f = first; f <= last && f < o.frames; f++)
		held[n++] = grab_frame(t, f * o.frame_size);
	return n;
}

/* un_descs: what unaligned chunk mode allows that aligned mode does not (a packet at any
 * offset, across a page, across a frame, with the offset encoded in the upper 16 bits,
 * ending at the UMEM's last byte) and what it still refuses (past the UMEM's end, directly
 * or through the encoded offset; longer than a frame; empty), among a valid stream. Valid
 * ones arrive at the peer in order and byte-exact; invalid ones count in tx_invalid_descs;
 * every frame comes home. */
static int case_un_descs(void)
{
	__u64 fs = o.frame_size;
	const struct udesc ud[] = {
		{ "at an odd offset", true, false, 3, 1, 1000, 0 },
		{ "across a 4 KiB page boundary", true, false, 1, 500, 1000, 0 },
		{ "across a frame boundary", true, false, 5, fs - 100, 1000, 0 },
		{ "offset 64 encoded in the upper 16 bits", true, false, 7, 0, 1000, 64 },
		{ "ending at the UMEM's last byte", true, false, o.frames - 1, fs - 1000, 1000, 0 },
		{ "across the end of the UMEM", false, false, o.frames - 1, fs - 32, 64, 0 },
		{ "encoded offset past the end of the UMEM", false, true, o.frames - 1, fs - 100,
		  64, 200 },
		{ "longer than a frame", false, false, 9, 0, (__u32)fs + 1, 0 },
		{ "len 0", false, false, 11, 0, 0, 0 },
	};
	unsigned int nud = sizeof(ud) / sizeof(ud[0]), k = 0, invalid = 0;
	struct xf_pkt held[4];
	struct xf_umem *u;
	struct flow out;
	struct txgen t;
	struct xf_port *p;
	double end;

	if (!o.unaligned || o.headroom || o.frames < 16 || fs > 4096 - 1000)
		fail("needs --unaligned, --headroom 0, at least 16 frames, frames of at most 3096");
	p = tx_setup(&u, &out);
	if (!xf_umem__unaligned(u))
		fail("the UMEM is not in unaligned chunk mode");
	ready();
	txgen_init(&t, p, u, &out, o.count);
	end = deadline();
	while (t.sent < t.count || k < nud) {
		uint32_t at = (uint32_t)((uint64_t)(k + 1) * t.count / (nud + 1));
		const struct udesc *x = &ud[k];
		__u64 flat, last;
		unsigned int nh;
		struct xf_pkt c;

		tx_reap(&t);
		if (now() > end)
			fail("sent %u of %u within %.0f s %s", t.sent, t.count, o.timeout, diag(p));
		if (k >= nud || t.sent < at) {
			if (!tx_step(&t, k < nud ? at - t.sent : UINT32_MAX))
				xf_port__poll(p, true, 1);
			continue;
		}
		flat = x->frame * fs + x->off + x->hi;
		last = (flat + (x->len ? x->len : 1) - 1) / fs;
		nh = grab_span(&t, x->frame, last, held);
		c.addr = (x->frame * fs + x->off) | (__u64)x->hi << XSK_UNALIGNED_BUF_OFFSET_SHIFT;
		c.len = x->len;
		c.options = 0;
		c.data = (uint8_t *)xf_umem__area(u) + flat;
		if (x->valid)
			pat_build(c.data, c.len, &t.flow, t.sent);
		if (x->raw ? xf_port_tx_raw(p, c.addr, c.len) : xf_port__tx(p, &c, 1) != 1)
			fail("the TX ring refused a descriptor with nothing in flight");
		if (x->valid)
			t.sent++;
		else if (!x->raw)
			t.bad++;
		invalid += !x->valid;
		/* An accounted descriptor took its first frame along; the others it covers come
		 * back once the kernel is done with it. */
		tx_drain(&t);
		xf_port__release(p, held + !x->raw, nh - !x->raw);
		if (o.rate)
			t.start = now() - (double)t.sent / o.rate;
		k++;
	}
	xf_port__poll(p, true, 10);
	tx_drain(&t);
	sum_add(" sent=%u invalid=%u specials=%u completed=%lu", t.sent, invalid, nud,
		(unsigned long)t.completed);
	stats_expect(p, "tx", STATS([ST_TX_INVALID] = invalid, [ST_TX_EMPTY] = ST_ANY));
	teardown(o.ifname, NULL);
	return 0;
}

/* ---- outer IPv4/UDP encapsulation ---- */

/* encap: receive on -q, push outer Ethernet/IPv4/UDP headers (to the peer, UDP port
 * --dport2) into the headroom in front of each frame, and transmit it from another
 * socket on -Q. The peer's kernel UDP socket gets every original frame, intact, as the
 * payload. Even frames carry UDP checksum 0 (none), odd ones a computed one, which the
 * peer's kernel checks. */
static int case_encap(void)
{
	char r0[64];
	const char *rules[] = { r0 };
	XF_OPTS(xf_udp4_encap, e, .sport = 4789, .dport = o.dport2);
	struct xf_steer *s;
	struct xf_umem *u;
	struct xf_port *rxp, *txp;
	struct cport cp;
	struct flow in;
	uint64_t fwd = 0, completed = 0;
	double end;

	if (o.family != AF_INET)
		fail("needs IPv4 addresses");
	rule_text(r0, sizeof(r0), o.dport, 0);
	flows(o.ifname, &in, NULL);
	iface_mac(o.ifname, e.src_mac);
	memcpy(e.dst_mac, o.peer_mac, 6);
	memcpy(&e.saddr, &o.local_ip, 4);
	memcpy(&e.daddr, &o.peer_ip, 4);
	s = steer_up(o.ifname, rules, 1);
	u = umem_up(o.frames);
	rxp = port_up(o.ifname, u, o.queue, 0, s, RX);
	txp = port_up(o.ifname, u, o.queue2, 0, NULL, TX);
	cport_init(&cp, "rx", rxp, u, &in);

	/* A TX frame with less headroom than the headers: refused, left as it was. */
	{
		struct xf_pkt pk, orig;

		if (xf_port__tx_alloc(txp, &pk, 1) != 1)
			fail("tx_alloc: no frame");
		pk.len = 64;
		orig = pk;
		if (xf_port__push_udp4(txp, &pk, &e) != (o.headroom < XF_UDP4_ENCAP_LEN ?
							  -ENOSPC : 0))
			fail("push_udp4 with headroom %u: wrong verdict", o.headroom);
		if (o.headroom < XF_UDP4_ENCAP_LEN && memcmp(&pk, &orig, sizeof(pk)))
			fail("a refused push_udp4 changed the packet");
		xf_port__release(txp, &orig, 1);
	}
	ready();
	end = deadline();
	while (fwd < o.count) {
		struct xf_pkt pk[CF_BURST];
		unsigned int n = xf_port__rx(rxp, pk, CF_BURST);

		for (unsigned int i = 0; i < n; i++) {
			struct xf_pkt orig = pk[i];
			int err;

			check_rx_pkt(&cp, &pk[i]);
			e.udp_csum = (fwd + i) & 1;
			err = xf_port__push_udp4(rxp, &pk[i], &e);
			if (err)
				fail("push_udp4: %s", strerror(-err));
			/* In place: only the start moved back; the frame is the payload now. */
			if (pk[i].addr != orig.addr - XF_UDP4_ENCAP_LEN ||
			    pk[i].data != (uint8_t *)orig.data - XF_UDP4_ENCAP_LEN ||
			    pk[i].len != orig.len + XF_UDP4_ENCAP_LEN)
				fail("push_udp4 moved the packet: addr %llu -> %llu, len %u -> %u",
				     (unsigned long long)orig.addr, (unsigned long long)pk[i].addr,
				     orig.len, pk[i].len);
		}
		tx_queue_all(txp, pk, n, &completed);
		fwd += n;
		completed += xf_port__complete(txp);
		if (now() > end)
			fail("encapsulated %lu of %u within %.0f s: rx %s", (unsigned long)fwd,
			     o.count, o.timeout, diag(rxp));
		if (!n)
			xf_port__poll(rxp, false, 10);
	}
	tx_settle(txp, fwd, &completed, end, "encapsulated");
	rx_quiet(&cp, 1, 0.05);
	stats_expect(rxp, "rx", STATS(0));
	stats_expect(txp, "tx", STATS([ST_TX_EMPTY] = ST_ANY));
	sum_add(" encapsulated=%lu", (unsigned long)fwd);
	teardown(o.ifname, NULL);
	return 0;
}

struct ccase {
	const char *name;
	int (*fn)(void);
	const char *what;
};

static const struct ccase cases[] = {
	{ "rx", case_rx, "receive -n packets of the pattern on one socket" },
	{ "poll_rx", case_poll_rx, "poll() on RX: timeouts with no traffic, wakeups with it" },
	{ "tx", case_tx, "send -n packets of the pattern" },
	{ "poll_tx", case_poll_tx, "poll() on TX: timeout on a stalled ring, then poll-driven TX" },
	{ "inval_tx", case_inval_tx, "invalid TX descriptors in owned frames among valid ones" },
	{ "inval_tx_oob", case_inval_tx_oob, "TX descriptors outside the UMEM (hidden hook)" },
	{ "stat_rx_dropped", case_stat_rx_dropped, "rx_dropped: frames longer than the buffer" },
	{ "stat_rx_full", case_stat_rx_full, "rx_ring_full: a small RX ring not read" },
	{ "stat_fill_empty", case_stat_fill_empty, "rx_fill_ring_empty_descs: starved fill ring" },
	{ "stat_tx_empty", case_stat_tx_empty, "tx_ring_empty_descs: kicks on an empty TX ring" },
	{ "headroom", case_headroom, "headroom and push_vlan, forwarded back" },
	{ "forward", case_forward, "forward between interfaces sharing a UMEM, no copy" },
	{ "shared_slots", case_shared_slots, "two sockets on one queue, slots 0 and 1" },
	{ "napi_yield", case_napi_yield, "two ports yield to their NAPI thread, then stop" },
	{ "two_queues", case_two_queues, "sockets on two queues sharing a UMEM, two threads" },
	{ "repoint", case_repoint, "a rule moves the flow from slot 0 to slot 1 mid-stream" },
	{ "bidi", case_bidi, "one socket sends and receives at once" },
	{ "teardown", case_teardown, "create and destroy everything in a loop" },
	{ "fork", case_fork, "fork() while receiving: the UMEM is not inherited" },
	{ "mb_rx", case_mb_rx, "multi-buffer: jumbo frames received as chains" },
	{ "mb_tx", case_mb_tx, "multi-buffer: jumbo frames sent as chains cut anywhere" },
	{ "encap", case_encap, "outer IPv4/UDP pushed in place, to a kernel UDP socket" },
	{ "un_descs", case_un_descs, "unaligned chunks: descriptors aligned mode refuses" },
	{ "mb_fill_short", case_mb_fill_short, "multi-buffer: fill ring short of a whole chain" },
	{ "mb_tx_bad", case_mb_tx_bad, "multi-buffer: malformed TX chains among valid frames" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " CF_NAME " CASE -i IFACE [--mode native|generic] [options]\n"
		   "options: -I IFACE2 -q Q -Q Q2 -n N -N N2 -s SIZE|MIN-MAX --rate PPS -t SECS\n"
		   "  --frame-size 2048|4096 --frames N --headroom N --fill-size N --comp-size N\n"
		   "  --rx-size N --tx-size N --peer-mac MAC --local-ip IP --peer-ip IP\n"
		   "  --sport P --dport P --sport2 P --dport2 P --fwd-mac MAC --vlan ID\n"
		   "  --iters N --busy-poll USECS --q2-tx --multi-buffer --unaligned\n"
		   "Prints one key=value summary line; exits 1 with a one-line reason on any "
		   "violation.\ncases:\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fprintf(f, "  %-16s %s\n", cases[i].name, cases[i].what);
}

static unsigned int num(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s || v < lo || v > hi) {
		fprintf(stderr, CF_NAME ": %s: '%s' is not a number in %lu..%lu\n", opt, s, lo, hi);
		exit(2);
	}
	return (unsigned int)v;
}

static void parse(int argc, char **argv)
{
	enum { O_MODE = 256, O_FS, O_FRAMES, O_HR, O_FILL, O_COMP, O_RXS, O_TXS, O_RATE,
	       O_PMAC, O_LIP, O_PIP, O_SPORT, O_DPORT, O_SPORT2, O_DPORT2, O_FMAC, O_VLAN,
	       O_ITERS, O_BUSY, O_Q2TX, O_MB, O_UNALIGNED };
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, O_MODE },
		{ "frame-size", required_argument, NULL, O_FS },
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "headroom", required_argument, NULL, O_HR },
		{ "fill-size", required_argument, NULL, O_FILL },
		{ "comp-size", required_argument, NULL, O_COMP },
		{ "rx-size", required_argument, NULL, O_RXS },
		{ "tx-size", required_argument, NULL, O_TXS },
		{ "rate", required_argument, NULL, O_RATE },
		{ "peer-mac", required_argument, NULL, O_PMAC },
		{ "local-ip", required_argument, NULL, O_LIP },
		{ "peer-ip", required_argument, NULL, O_PIP },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "sport2", required_argument, NULL, O_SPORT2 },
		{ "dport2", required_argument, NULL, O_DPORT2 },
		{ "fwd-mac", required_argument, NULL, O_FMAC },
		{ "vlan", required_argument, NULL, O_VLAN },
		{ "iters", required_argument, NULL, O_ITERS },
		{ "busy-poll", required_argument, NULL, O_BUSY },
		{ "q2-tx", no_argument, NULL, O_Q2TX },
		{ "multi-buffer", no_argument, NULL, O_MB },
		{ "unaligned", no_argument, NULL, O_UNALIGNED },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, fam = 0;
	char *dash;

	o.mode = XF_ATTACH_NATIVE;
	o.frame_size = 4096;
	o.frames = 4096;
	o.fill_size = 2048;
	o.comp_size = 2048;
	o.rx_size = 2048;
	o.tx_size = 2048;
	o.count = 1000;
	o.size_min = 64;
	o.size_max = 64;
	o.timeout = 20;
	o.sport = o.sport2 = 10000;
	o.dport = 4242;
	o.dport2 = 4243;
	o.vlan = 7;
	o.iters = 50;
	while ((c = getopt_long(argc, argv, "i:I:q:Q:n:N:s:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'I': o.ifname2 = optarg; break;
		case 'q': o.queue = num("-q", optarg, 0, 63); break;
		case 'Q': o.queue2 = num("-Q", optarg, 0, 63); break;
		case 'n': o.count = num("-n", optarg, 1, 10000000); break;
		case 'N': o.count2 = num("-N", optarg, 0, 10000000); break;
		case 's':
			dash = strchr(optarg, '-');
			if (dash)
				*dash = '\0';
			o.size_min = o.size_max = num("-s", optarg, 60, CF_MAX_JUMBO);
			if (dash)
				o.size_max = num("-s", dash + 1, o.size_min, CF_MAX_JUMBO);
			break;
		case 't': o.timeout = num("-t", optarg, 1, 3600); break;
		case O_MODE:
			if (xf_attach_mode_parse(optarg, &o.mode) || o.mode == XF_ATTACH_AUTO) {
				fprintf(stderr, CF_NAME ": --mode: native or generic\n");
				exit(2);
			}
			break;
		case O_FS: o.frame_size = num("--frame-size", optarg, 2048, 4096); break;
		case O_FRAMES: o.frames = num("--frames", optarg, 2, 1 << 20); break;
		case O_HR: o.headroom = num("--headroom", optarg, 0, 4096); break;
		case O_FILL: o.fill_size = num("--fill-size", optarg, 1, 1 << 16); break;
		case O_COMP: o.comp_size = num("--comp-size", optarg, 1, 1 << 16); break;
		case O_RXS: o.rx_size = num("--rx-size", optarg, 1, 1 << 16); break;
		case O_TXS: o.tx_size = num("--tx-size", optarg, 1, 1 << 16); break;
		case O_RATE: o.rate = num("--rate", optarg, 1, 100000000); break;
		case O_PMAC:
		case O_FMAC:
			if (parse_mac(optarg, c == O_PMAC ? o.peer_mac : o.fwd_mac)) {
				fprintf(stderr, CF_NAME ": '%s' is not a MAC address\n", optarg);
				exit(2);
			}
			if (c == O_PMAC)
				o.have_peer_mac = true;
			else
				o.have_fwd_mac = true;
			break;
		case O_LIP:
		case O_PIP:
			if (parse_ip(optarg, &fam, c == O_LIP ? &o.local_ip : &o.peer_ip) ||
			    (o.family && o.family != fam)) {
				fprintf(stderr, CF_NAME ": '%s': not an address of the family "
					"of the other\n", optarg);
				exit(2);
			}
			o.family = fam;
			break;
		case O_SPORT: o.sport = (uint16_t)num("--sport", optarg, 1, 65535); break;
		case O_DPORT: o.dport = (uint16_t)num("--dport", optarg, 1, 65535); break;
		case O_SPORT2: o.sport2 = (uint16_t)num("--sport2", optarg, 1, 65535); break;
		case O_DPORT2: o.dport2 = (uint16_t)num("--dport2", optarg, 1, 65535); break;
		case O_VLAN: o.vlan = num("--vlan", optarg, 0, 4095); break;
		case O_ITERS: o.iters = num("--iters", optarg, 1, 100000); break;
		case O_BUSY: o.busy_poll = num("--busy-poll", optarg, 0, 1000000); break;
		case O_Q2TX: o.q2_tx = true; break;
		case O_MB: o.multi_buffer = true; break;
		case O_UNALIGNED: o.unaligned = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || !o.ifname) {
		usage(stderr);
		exit(2);
	}
	if (o.size_max > CF_MAX_FRAME && !o.multi_buffer) {
		fprintf(stderr, CF_NAME ": -s: frames above %d bytes need --multi-buffer\n",
			CF_MAX_FRAME);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const struct ccase *cc = NULL;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(argv[1], cases[i].name))
			cc = &cases[i];
	if (!cc) {
		fprintf(stderr, CF_NAME ": unknown case '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	g.name = cc->name;
	g.main_thread = pthread_self();
	parse(argc - 1, argv + 1);
	xf_set_print(lib_print);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Everything the case opens must be closed again by its end. */
	fd_baseline();
	cc->fn();
	printf("case=%s mode=%s frame_size=%u%s result=pass\n", cc->name,
	       xf_attach_mode_str(o.mode), o.frame_size, g.summary);
	return 0;
}
