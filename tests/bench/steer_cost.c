// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Steering-cost benchmark: the steering program under BPF_PROG_RUN (repeat mode) with 1 to
 * 10,000 rules of mixed kinds, next to a bare XDP_PASS and a libxdp-style queue redirect. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/utsname.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xskflow/steer.h>
#include "rule_internal.h"
#include "xskflow.skel.h"
#include "bench_ref.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_REPS	31
#define PKT_LEN		64	/* Ethernet frame without FCS */
#define TARGET_RATIO	1.5
#define PORT_BASE	10000	/* rule i names destination port PORT_BASE + i */
#define MISS_PORT	9	/* no rule names it */
#define MATCH_RULE	0	/* the matching packet is aimed at rule 0 */
#define SWEEP_RULES	1000

static const unsigned int rule_counts[] = { 1, 10, 100, 1000, 10000 };
static const unsigned int sweep_masks[] = { 0, 1, 2, 4, 8, 16, 32 };
#define NCOUNTS		ARRAY_SIZE(rule_counts)
#define NSWEEP		ARRAY_SIZE(sweep_masks)

/* The rule mix: rule i is kind i % NKINDS with values taken from i, so that all rules are
 * distinct and live. Kinds 0 and 1 differ only in a value (the protocol), not in the fields
 * they look at: they share a mask, and a set of 8 rules or more has 7 masks. */
static const char *const kind_desc[] = {
	"udp dport P",
	"tcp dport P",
	"ip6 udp dport P",
	"udp sport S dport P",
	"dst 198.18.X.Y udp dport P",
	"src 2001:db8::X/128 tcp dport P",
	"vlan V udp dport P",
	"src 198.19.X.Y/28 udp",
};
#define NKINDS		ARRAY_SIZE(kind_desc)

enum series { S_MIXED, S_SINGLE, S_SWEEP };
enum pkt_kind { P_MATCH, P_MISS, P_MAX };

static const char *const pkt_name[P_MAX] = { "match", "miss" };

struct samples {
	double v[MAX_REPS];
	unsigned int n;
};

struct summary {
	double med, min, max;
};

/* One loaded steering program with one rule set installed. */
struct setup {
	enum series series;
	unsigned int nrules;
	unsigned int want_masks;	/* S_SWEEP only */
	unsigned int nmasks;		/* as installed, read back from xf_config */
	double install_ms;
	struct xskflow_bpf *skel;
	struct samples s[P_MAX];
};

struct ref {
	const char *name;
	const char *key;		/* in the JSON */
	int fd;
	struct samples s[P_MAX];
};

static struct {
	__u32 repeat;
	unsigned int reps;
	int cpu;			/* -2: pick the last allowed CPU, -1: do not pin */
	bool quick;
	bool verbose;
	const char *json;
} opt = { .repeat = 1000000, .reps = 7, .cpu = -2 };

static struct setup mixed[NCOUNTS], single[NCOUNTS], sweep[NSWEEP];
static struct ref refs[] = {
	{ .name = "bare XDP_PASS", .key = "xdp_pass" },
	{ .name = "queue redirect (xsk_def_prog)", .key = "queue_redirect" },
};
static struct bench_ref_bpf *ref_skel;
static __u8 pkts[P_MAX][PKT_LEN];
static int ncpus, pinned_cpu = -1;
static __u64 *cpu_vals;

/* What the report says about the run as a whole. */
static struct {
	double ratio[P_MAX];		/* cost(max rules) / cost(1 rule), medians */
	bool ok[P_MAX];
	double base, per_mask;		/* fit of the mask sweep */
	struct utsname un;
	int jit;
} res;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "steer_cost: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- packets ---- */

static __u16 ip_csum(const void *hdr, size_t len)
{
	const __u16 *w = hdr;
	__u32 sum = 0;

	for (size_t i = 0; i < len / 2; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* IPv4/UDP 198.18.200.1:40000 -> 198.18.200.2:dport, PKT_LEN bytes: no rule of the mix
 * looks at these addresses, so only the port decides. Headers are built apart and copied:
 * in the frame the IP header is not 4-byte aligned. */
static void build_udp4(__u8 *buf, __u16 dport)
{
	struct ethhdr eth = { .h_proto = htons(ETH_P_IP) };
	struct iphdr ip = {
		.version = 4,
		.ihl = 5,
		.tot_len = htons(PKT_LEN - sizeof(eth)),
		.ttl = 64,
		.protocol = IPPROTO_UDP,
	};
	struct udphdr udp = {
		.source = htons(40000),
		.dest = htons(dport),
		.len = htons(PKT_LEN - sizeof(eth) - sizeof(ip)),
	};

	memcpy(eth.h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth.h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	inet_pton(AF_INET, "198.18.200.1", &ip.saddr);
	inet_pton(AF_INET, "198.18.200.2", &ip.daddr);
	ip.check = ip_csum(&ip, sizeof(ip));
	memset(buf, 0, PKT_LEN);
	memcpy(buf, &eth, sizeof(eth));
	memcpy(buf + sizeof(eth), &ip, sizeof(ip));
	memcpy(buf + sizeof(eth) + sizeof(ip), &udp, sizeof(udp));
}

/* ---- rule sets ---- */

static void mixed_rule(unsigned int i, char *buf, size_t len)
{
	unsigned int j = i / NKINDS, port = PORT_BASE + i;

	switch (i % NKINDS) {
	case 0:
		snprintf(buf, len, "udp dport %u pass", port);
		break;
	case 1:
		snprintf(buf, len, "tcp dport %u pass", port);
		break;
	case 2:
		snprintf(buf, len, "ip6 udp dport %u pass", port);
		break;
	case 3:
		snprintf(buf, len, "udp sport %u dport %u pass", 20000 + j, port);
		break;
	case 4:
		snprintf(buf, len, "dst 198.18.%u.%u udp dport %u pass", j >> 8, j & 0xff, port);
		break;
	case 5:
		snprintf(buf, len, "src 2001:db8::%x/128 tcp dport %u pass", j + 1, port);
		break;
	case 6:
		snprintf(buf, len, "vlan %u udp dport %u pass", 1 + j % 4094, port);
		break;
	default:
		snprintf(buf, len, "src 198.19.%u.%u/28 udp pass", j >> 4, (j & 15) << 4);
		break;
	}
}

static void rule_text(const struct setup *st, unsigned int i, char *buf, size_t len)
{
	switch (st->series) {
	case S_MIXED:
		mixed_rule(i, buf, len);
		break;
	case S_SINGLE:
		snprintf(buf, len, "udp dport %u pass", PORT_BASE + i);
		break;
	case S_SWEEP:
		/* One mask per prefix length; 0.0.0.0/L never matches 198.18.200.1. */
		snprintf(buf, len, "src 0.0.0.0/%u udp dport %u pass", 32 - i % st->want_masks,
			 PORT_BASE + i);
		break;
	}
}

static unsigned int live_masks(const struct xskflow_bpf *skel)
{
	struct xf_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xf_config), &zero, &cfg))
		die("map 'xf_config': lookup: %s", strerror(errno));
	return cfg.nmasks[cfg.gen & 1];
}

static const char *load_hint(int err)
{
	return err == EPERM || err == EACCES ? " (needs root, or CAP_BPF and CAP_NET_ADMIN)" : "";
}

/* Each rule set gets a program of its own, so that measurements can alternate between them
 * without reinstalling anything. */
static void setup_load(struct setup *st)
{
	struct xf_rule *rules = calloc(st->nrules ? st->nrules : 1, sizeof(*rules));
	char text[XF_RULE_TEXT_MAX], why[256];
	double t0;
	int err;

	if (!rules)
		die("out of memory");
	for (unsigned int i = 0; i < st->nrules; i++) {
		rule_text(st, i, text, sizeof(text));
		if (xf_rule__parse(text, &rules[i], why, sizeof(why)))
			die("rule %u '%s': %s", i, text, why);
	}
	st->skel = xskflow_bpf__open_and_load();
	if (!st->skel)
		die("loading the steering program: %s%s", strerror(errno), load_hint(errno));
	t0 = now_ms();
	err = xf_rules_install_obj(st->skel->obj, rules, st->nrules);
	if (err)
		die("installing %u rules: %s", st->nrules, strerror(-err));
	st->install_ms = now_ms() - t0;
	st->nmasks = live_masks(st->skel);
	if (st->series == S_SWEEP && st->nmasks != st->want_masks)
		die("mask sweep: %u rules installed as %u masks, expected %u", st->nrules,
		    st->nmasks, st->want_masks);
	free(rules);
}

static void load_all(void)
{
	ref_skel = bench_ref_bpf__open_and_load();
	if (!ref_skel)
		die("loading the reference programs: %s%s", strerror(errno), load_hint(errno));
	refs[0].fd = bpf_program__fd(ref_skel->progs.ref_pass);
	refs[1].fd = bpf_program__fd(ref_skel->progs.ref_queue_redirect);

	for (size_t i = 0; i < NCOUNTS; i++) {
		mixed[i] = (struct setup){ .series = S_MIXED, .nrules = rule_counts[i] };
		single[i] = (struct setup){ .series = S_SINGLE, .nrules = rule_counts[i] };
		setup_load(&mixed[i]);
		setup_load(&single[i]);
	}
	for (size_t i = 0; i < NSWEEP; i++) {
		sweep[i] = (struct setup){ .series = S_SWEEP, .want_masks = sweep_masks[i],
					   .nrules = sweep_masks[i] ? SWEEP_RULES : 0 };
		setup_load(&sweep[i]);
	}
}

static void unload_all(void)
{
	for (size_t i = 0; i < NCOUNTS; i++) {
		xskflow_bpf__destroy(mixed[i].skel);
		xskflow_bpf__destroy(single[i].skel);
	}
	for (size_t i = 0; i < NSWEEP; i++)
		xskflow_bpf__destroy(sweep[i].skel);
	bench_ref_bpf__destroy(ref_skel);
}

/* ---- measuring ---- */

/* The first word (the packet count) of a per-CPU value of @words 64-bit words, summed. */
static __u64 percpu_sum(struct bpf_map *map, __u32 idx, size_t words)
{
	__u64 sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(map), &idx, cpu_vals))
		die("map '%s': lookup of %u: %s", bpf_map__name(map), idx, strerror(errno));
	for (int c = 0; c < ncpus; c++)
		sum += cpu_vals[(size_t)c * words];
	return sum;
}

/* Packets counted on the rule the matching packet aims at (over both generations). */
static __u64 rule_hits(struct xskflow_bpf *sk)
{
	struct xf_counter c;

	if (xf_rule_counter_read(bpf_map__fd(sk->maps.xf_rule_stats), MATCH_RULE, &c))
		die("reading the counters of rule %d", MATCH_RULE);
	return c.packets;
}

/* One BPF_PROG_RUN of opt.repeat runs; returns the kernel's average ns per run (it leaves
 * out the time spent rescheduled, not interrupts). */
static __u32 prog_run(int fd, const __u8 *pkt, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = opt.repeat);
	struct xdp_md ctx = { .data_end = PKT_LEN };
	__u8 in[PKT_LEN];

	memcpy(in, pkt, PKT_LEN);
	o.data_in = in;
	o.data_size_in = PKT_LEN;
	o.ctx_in = &ctx;
	o.ctx_size_in = sizeof(ctx);
	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_RUN: %s", strerror(errno));
	*retval = o.retval;
	return o.duration;
}

static void add_sample(struct samples *s, double v)
{
	if (s->n < MAX_REPS)
		s->v[s->n++] = v;
}

/* Measure one rule set on one packet and check that the program did what the rules say:
 * the verdict, the global counter, and the hit counter of the rule aimed at. */
static void measure_setup(struct setup *st, enum pkt_kind pk)
{
	struct xskflow_bpf *sk = st->skel;
	__u32 stat = pk == P_MATCH ? XF_STAT_PASS : XF_STAT_UNMATCHED;
	__u64 want_hits = pk == P_MATCH ? opt.repeat : 0, stat0, hit0, stat1, hit1;
	__u32 ret, ns;

	stat0 = percpu_sum(sk->maps.xf_stats, stat, 1);
	hit0 = st->nrules ? rule_hits(sk) : 0;
	ns = prog_run(bpf_program__fd(sk->progs.xskflow_steer), pkts[pk], &ret);
	stat1 = percpu_sum(sk->maps.xf_stats, stat, 1);
	hit1 = st->nrules ? rule_hits(sk) : 0;
	if (ret != XDP_PASS)
		die("%u rules, %s packet: verdict %u, expected XDP_PASS", st->nrules, pkt_name[pk],
		    ret);
	if (stat1 - stat0 != opt.repeat)
		die("%u rules, %s packet: counter '%s' went up by %llu, expected %u", st->nrules,
		    pkt_name[pk], pk == P_MATCH ? "pass" : "unmatched",
		    (unsigned long long)(stat1 - stat0), opt.repeat);
	if (hit1 - hit0 != want_hits)
		die("%u rules, %s packet: rule %u counted %llu hits, expected %llu", st->nrules,
		    pkt_name[pk], MATCH_RULE, (unsigned long long)(hit1 - hit0),
		    (unsigned long long)want_hits);
	add_sample(&st->s[pk], ns);
}

static void measure_ref(struct ref *r, enum pkt_kind pk)
{
	__u32 ret, ns = prog_run(r->fd, pkts[pk], &ret);

	if (ret != XDP_PASS)
		die("%s: verdict %u, expected XDP_PASS (no socket in its XSKMAP)", r->name, ret);
	add_sample(&r->s[pk], ns);
}

/* Alternate: each repetition measures everything once, so that drift on a noisy VM hits
 * every configuration alike instead of one of them. */
static void measure_all(void)
{
	bool tty = isatty(STDERR_FILENO);

	for (unsigned int rep = 0; rep < opt.reps; rep++) {
		for (int pk = 0; pk < P_MAX; pk++)
			for (size_t i = 0; i < ARRAY_SIZE(refs); i++)
				measure_ref(&refs[i], pk);
		for (size_t i = 0; i < NCOUNTS; i++) {
			for (int pk = 0; pk < P_MAX; pk++) {
				measure_setup(&mixed[i], pk);
				measure_setup(&single[i], pk);
			}
		}
		for (size_t i = 0; i < NSWEEP; i++)
			measure_setup(&sweep[i], P_MISS);
		if (tty)
			fprintf(stderr, "\rsteer_cost: repetition %u/%u", rep + 1, opt.reps);
	}
	if (tty)
		fprintf(stderr, "\n");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct summary summarize(const struct samples *s)
{
	struct summary r = { 0, 0, 0 };
	double v[MAX_REPS];

	if (!s->n)
		return r;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	r.min = v[0];
	r.max = v[s->n - 1];
	r.med = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	return r;
}

static double median(const struct samples *s)
{
	return summarize(s).med;
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void analyse(void)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = NSWEEP;

	for (int pk = 0; pk < P_MAX; pk++) {
		double lo = median(&mixed[0].s[pk]), hi = median(&mixed[NCOUNTS - 1].s[pk]);

		res.ratio[pk] = lo > 0 ? hi / lo : 0;
		res.ok[pk] = res.ratio[pk] <= TARGET_RATIO;
	}
	/* Least squares through the sweep's (masks, ns): ns = base + per_mask * masks. */
	for (size_t i = 0; i < NSWEEP; i++) {
		double x = sweep[i].nmasks, y = median(&sweep[i].s[P_MISS]);

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	res.per_mask = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	res.base = (sy - res.per_mask * sx) / n;
	uname(&res.un);
	res.jit = read_int_file("/proc/sys/net/core/bpf_jit_enable");
}

/* ---- output ---- */

static void print_cell(const struct samples *s)
{
	struct summary r = summarize(s);
	char range[32];

	snprintf(range, sizeof(range), "[%.0f-%.0f]", r.min, r.max);
	printf("  %6.0f %-13s", r.med, range);
}

/* A column heading over print_cell()'s cells; NULL: an empty column. */
static void print_head(const char *label)
{
	printf("  %6s %-13s", label ? label : "", label ? "[min-max]" : "");
}

static void print_table(const char *title, const struct setup *st, size_t n, bool match)
{
	printf("\n%s\n", title);
	printf("  %6s %6s %10s", "rules", "masks", "install");
	print_head(match ? "match" : NULL);
	print_head("miss");
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		printf("  %6u %6u %8.1fms", st[i].nrules, st[i].nmasks, st[i].install_ms);
		if (match)
			print_cell(&st[i].s[P_MATCH]);
		else
			print_head(NULL);
		print_cell(&st[i].s[P_MISS]);
		printf("\n");
	}
}

static void print_report(void)
{
	const double qr = median(&refs[1].s[P_MISS]);
	char text[XF_RULE_TEXT_MAX];

	printf("steering cost under BPF_PROG_RUN: ns/packet, median [min-max] of %u runs of %u "
	       "packets\n", opt.reps, opt.repeat);
	printf("kernel %s, JIT %d, pinned to CPU %d, %d-byte IPv4/UDP packet\n", res.un.release,
	       res.jit, pinned_cpu, PKT_LEN);
	printf("match: 198.18.200.1:40000 -> 198.18.200.2:%u, rule %u (pass); "
	       "miss: dport %u, no rule\n", PORT_BASE + MATCH_RULE, MATCH_RULE, MISS_PORT);
	printf("rule mix: rule i is kind i %% %zu, P = %u + i, action pass:\n", NKINDS, PORT_BASE);
	for (size_t k = 0; k < NKINDS; k++) {
		mixed_rule(k, text, sizeof(text));
		printf("  %zu: %-32s e.g. '%s'\n", k, kind_desc[k], text);
	}
	printf("  kinds 0 and 1 share a mask: 7 masks from 8 rules up\n");

	printf("\n%-32s", "reference programs");
	print_head("match");
	print_head("miss");
	printf("\n");
	for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
		printf("  %-30s", refs[i].name);
		for (int pk = 0; pk < P_MAX; pk++)
			print_cell(&refs[i].s[pk]);
		printf("\n");
	}

	print_table("steering program, mixed rule kinds (the target)", mixed, NCOUNTS, true);
	printf("  cost(%u)/cost(%u): match %.2fx, miss %.2fx; target <= %.1fx: %s\n",
	       rule_counts[NCOUNTS - 1], rule_counts[0], res.ratio[P_MATCH], res.ratio[P_MISS],
	       TARGET_RATIO, res.ok[P_MATCH] && res.ok[P_MISS] ? "met" : "NOT met");
	if (qr > 0)
		printf("  cost(%u)/queue redirect: match %.1fx, miss %.1fx\n",
		       rule_counts[NCOUNTS - 1], median(&mixed[NCOUNTS - 1].s[P_MATCH]) / qr,
		       median(&mixed[NCOUNTS - 1].s[P_MISS]) / qr);

	print_table("diagnostic: one rule kind ('udp dport P'), cost vs rules", single, NCOUNTS,
		    true);
	print_table("diagnostic: 1000 rules over M masks ('src 0.0.0.0/L udp dport P'), "
		    "cost vs masks", sweep, NSWEEP, false);
	printf("  fit: %.1f ns + %.1f ns per mask\n", res.base, res.per_mask);
}

static void json_summary(FILE *f, const char *key, const struct samples *s)
{
	struct summary r = summarize(s);

	fprintf(f, "\"%s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}", key, r.med, r.min,
		r.max);
}

static void json_series(FILE *f, const char *key, const struct setup *st, size_t n, bool match)
{
	fprintf(f, "  \"%s\": [\n", key);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "    {\"rules\": %u, \"masks\": %u, \"install_ms\": %.1f, ",
			st[i].nrules, st[i].nmasks, st[i].install_ms);
		if (match) {
			json_summary(f, "match_ns", &st[i].s[P_MATCH]);
			fprintf(f, ", ");
		}
		json_summary(f, "miss_ns", &st[i].s[P_MISS]);
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "  ],\n");
}

static const char *jbool(bool b)
{
	return b ? "true" : "false";
}

/* Every string written is a constant of this file or the kernel release: nothing to escape. */
static void write_json(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	fprintf(f, "{\n  \"benchmark\": \"steer_cost\",\n  \"kernel\": \"%s\",\n  \"jit\": %d,\n",
		res.un.release, res.jit);
	fprintf(f, "  \"cpu\": %d,\n  \"repeat\": %u,\n  \"reps\": %u,\n  \"quick\": %s,\n",
		pinned_cpu, opt.repeat, opt.reps, jbool(opt.quick));
	fprintf(f, "  \"unit\": \"ns/packet, BPF_PROG_RUN duration\",\n");
	fprintf(f, "  \"packets\": {\"bytes\": %d, \"match\": \"ipv4 udp 198.18.200.1:40000 -> "
		"198.18.200.2:%u, rule %u, pass\", \"miss\": \"the same to dport %u, no rule\"},\n",
		PKT_LEN, PORT_BASE + MATCH_RULE, MATCH_RULE, MISS_PORT);
	fprintf(f, "  \"rule_mix\": {\"kind_of_rule_i\": \"i %% %zu\", \"P\": \"%u + i\", "
		"\"action\": \"pass\", \"kinds\": [", NKINDS, PORT_BASE);
	for (size_t k = 0; k < NKINDS; k++)
		fprintf(f, "%s\"%s\"", k ? ", " : "", kind_desc[k]);
	fprintf(f, "]},\n  \"refs\": {\n");
	for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
		fprintf(f, "    \"%s\": {", refs[i].key);
		json_summary(f, "match_ns", &refs[i].s[P_MATCH]);
		fprintf(f, ", ");
		json_summary(f, "miss_ns", &refs[i].s[P_MISS]);
		fprintf(f, "}%s\n", i + 1 < ARRAY_SIZE(refs) ? "," : "");
	}
	fprintf(f, "  },\n");
	json_series(f, "mixed", mixed, NCOUNTS, true);
	json_series(f, "single_kind", single, NCOUNTS, true);
	json_series(f, "mask_sweep", sweep, NSWEEP, false);
	fprintf(f, "  \"mask_fit\": {\"base_ns\": %.2f, \"ns_per_mask\": %.2f},\n", res.base,
		res.per_mask);
	fprintf(f, "  \"ratio\": {\"rules_hi\": %u, \"rules_lo\": %u, \"match\": %.3f, "
		"\"miss\": %.3f},\n", rule_counts[NCOUNTS - 1], rule_counts[0],
		res.ratio[P_MATCH], res.ratio[P_MISS]);
	fprintf(f, "  \"target\": {\"max_ratio\": %.1f, \"match_ok\": %s, \"miss_ok\": %s, "
		"\"met\": %s}\n}\n", TARGET_RATIO, jbool(res.ok[P_MATCH]), jbool(res.ok[P_MISS]),
		jbool(res.ok[P_MATCH] && res.ok[P_MISS]));
	if (fclose(f))
		die("writing '%s': %s", path, strerror(errno));
}

/* ---- setup ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: steer_cost [--quick] [--json FILE] [--repeat N] [--reps N] [--cpu N] "
		"[-v]\n"
		"Runs the xskflow steering program under BPF_PROG_RUN with 1 to 10000 rules of\n"
		"mixed kinds; reports ns/packet (median, min-max) next to reference programs.\n"
		"  --quick      short run (--repeat 100000 --reps 5)\n"
		"  --json FILE  also write the results as JSON\n"
		"  --repeat N   runs per BPF_PROG_RUN call (default 1000000)\n"
		"  --reps N     repetitions of every measurement, 5..%d (default 7)\n"
		"  --cpu N      pin to CPU N (default: the last allowed CPU; -1: do not pin)\n"
		"Exit status: 0, or 1 when the program misclassifies or cannot be loaded.\n",
		MAX_REPS);
}

static long num_arg(const char *name, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg)
		die("--%s: '%s' is not a number", name, arg);
	if (v < lo || v > hi)
		die("--%s: %ld is out of range %ld..%ld", name, v, lo, hi);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'Q' },
		{ "json", required_argument, NULL, 'j' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "reps", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool repeat_set = false, reps_set = false;
	int c;

	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'Q':
			opt.quick = true;
			break;
		case 'j':
			opt.json = optarg;
			break;
		case 'r':
			opt.repeat = num_arg("repeat", optarg, 1, 100000000);
			repeat_set = true;
			break;
		case 'n':
			opt.reps = num_arg("reps", optarg, 5, MAX_REPS);
			reps_set = true;
			break;
		case 'c':
			opt.cpu = num_arg("cpu", optarg, -1, CPU_SETSIZE - 1);
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (opt.quick && !repeat_set)
		opt.repeat = 100000;
	if (opt.quick && !reps_set)
		opt.reps = 5;
}

/* Pin to one CPU: a run must not include a migration. */
static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = opt.cpu;

	if (cpu == -1)
		return;
	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity: %s", strerror(errno));
	if (cpu == -2)
		for (cpu = CPU_SETSIZE - 1; cpu > 0 && !CPU_ISSET(cpu, &set); cpu--)
			;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU %d: %s", cpu, strerror(errno));
	pinned_cpu = cpu;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	libbpf_set_print(libbpf_print);
	pin_cpu();
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1)
		die("cannot count CPUs: %s", strerror(-ncpus));
	cpu_vals = calloc((size_t)ncpus * 2, sizeof(*cpu_vals));
	if (!cpu_vals)
		die("out of memory");
	build_udp4(pkts[P_MATCH], PORT_BASE + MATCH_RULE);
	build_udp4(pkts[P_MISS], MISS_PORT);

	load_all();
	measure_all();
	analyse();
	print_report();
	if (opt.json)
		write_json(opt.json);

	unload_all();
	free(cpu_vals);
	return 0;
}
