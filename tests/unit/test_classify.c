// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The userspace reference classifier against the steering program itself: random rule sets
 * and random (often damaged) packets through BPF_PROG_RUN, and the same verdict expected. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include <xskflow/xskflow.h>
#include "rule_internal.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PKT_MAX		600
#define MAX_RULES	8
#define DEF_SETS	300	/* rule sets per run; XF_CLASSIFY_SETS overrides */
#define PKTS_PER_SET	80

#include "steer_prog.h"	/* struct pkt, the program fixture, run_packet() */

static __u64 rng_state;

static __u32 rnd(void)
{
	/* xorshift64*: reproducible from the seed printed on failure. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (__u32)((rng_state * 2685821657736338717ull) >> 32);
}

static __u32 pick(__u32 n)
{
	return rnd() % n;
}

static bool chance(__u32 pct)
{
	return pick(100) < pct;
}

/* ---- pools that rules and packets both draw from, so that rules often match ---- */

static const char *const ip4s[] = { "10.0.0.1", "10.0.0.2", "10.1.2.3", "198.18.0.1",
				    "198.19.255.254" };
static const char *const ip6s[] = { "2001:db8::1", "2001:db8::2", "2001:db8:1::5",
				    "fe80::1", "2001:db8:ffff::" };
static const __u16 ports[] = { 0, 53, 80, 443, 4242, 4243, 1024, 1100, 65535 };
static const __u16 vids[] = { 0, 5, 100, 4095 };
static const __u8 l4s[] = { IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_ICMPV6, 47, 0,
			    IPPROTO_SCTP };

/* ---- packets ---- */

static void put(struct pkt *p, const void *d, size_t n)
{
	memcpy(pkt_put(p, n), d, n);
}

static void put16(struct pkt *p, __u16 v)
{
	put_be16(pkt_put(p, 2), v);
}

static void put_rand(struct pkt *p, size_t n)
{
	while (n--) {
		__u8 v = rnd();

		put(p, &v, 1);
	}
}

static __u16 rand_port(void)
{
	return chance(70) ? ports[pick(ARRAY_SIZE(ports))] : rnd();
}

static void put_l4(struct pkt *p, __u8 proto)
{
	if (proto == IPPROTO_UDP) {
		put16(p, rand_port());
		put16(p, rand_port());
		put16(p, 8 + 16);
		put16(p, 0);
	} else if (proto == IPPROTO_TCP) {
		__u8 doff = chance(90) ? 5 : pick(16);

		put16(p, rand_port());
		put16(p, rand_port());
		put_rand(p, 8);
		put16(p, (__u16)(doff << 12 | 0x18));
		put_rand(p, 6);
	}
	put_rand(p, pick(40));
}

static void build_ipv4(struct pkt *p)
{
	__u8 opts = chance(20) ? 4 * pick(4) : 0;
	__u8 ver_ihl = (__u8)(4 << 4 | (5 + opts / 4));
	__u8 proto = l4s[pick(ARRAY_SIZE(l4s))];
	__u16 frag = 0;
	int delta = 0;

	if (chance(5))
		ver_ihl = (__u8)((chance(50) ? 6 : 4) << 4 | pick(16));
	if (chance(10))
		frag = (__u16)(pick(3) << 13 | (chance(60) ? pick(0x1fff) + 1 : 0));
	put(p, &ver_ihl, 1);
	put_rand(p, 1);
	put16(p, 0);			/* tot_len, fitted below */
	put16(p, rnd());
	put16(p, frag);
	put_rand(p, 1);			/* ttl */
	put(p, &proto, 1);
	put16(p, 0);
	put_addr(AF_INET, ip4s[pick(ARRAY_SIZE(ip4s))], pkt_put(p, 4));
	put_addr(AF_INET, ip4s[pick(ARRAY_SIZE(ip4s))], pkt_put(p, 4));
	for (int i = 0; i < opts; i++)
		put(p, &(__u8){ 1 }, 1);
	put_l4(p, proto);
	if (chance(10))
		delta = (int)pick(41) - 20;
	put_be16(p->buf + p->off[AT_L3] + 2, (long)(p->len - p->off[AT_L3]) + delta);
}

static void build_ipv6(struct pkt *p)
{
	static const __u8 exts[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS,
				     IPPROTO_AH, IPPROTO_FRAGMENT };
	__u8 chain[12], n = chance(50) ? 0 : pick(11), last = l4s[pick(ARRAY_SIZE(l4s))];
	int delta = 0;

	for (int i = 0; i < n; i++)
		chain[i] = exts[pick(ARRAY_SIZE(exts))];
	put(p, &(__u8){ chance(97) ? 0x60 : 0x40 }, 1);
	put_rand(p, 3);
	put16(p, 0);			/* payload_len, fitted below */
	put(p, n ? &chain[0] : &last, 1);
	put_rand(p, 1);
	put_addr(AF_INET6, ip6s[pick(ARRAY_SIZE(ip6s))], pkt_put(p, 16));
	put_addr(AF_INET6, ip6s[pick(ARRAY_SIZE(ip6s))], pkt_put(p, 16));
	for (int i = 0; i < n; i++) {
		__u8 next = i + 1 < n ? chain[i + 1] : last;

		if (chain[i] == IPPROTO_FRAGMENT) {
			__u16 off = chance(30) ? (__u16)((pick(0x1fff) + 1) << 3) : 0;

			put(p, &next, 1);
			put_rand(p, 1);
			put16(p, (__u16)(off | (chance(50) ? 1 : 0)));
			put_rand(p, 4);
		} else {
			__u8 hl = pick(3);
			size_t len = chain[i] == IPPROTO_AH ? (hl + 2u) * 4 : (hl + 1u) * 8;

			put(p, &next, 1);
			put(p, &hl, 1);
			put_rand(p, len - 2);
		}
	}
	put_l4(p, last);
	if (chance(10))
		delta = (int)pick(41) - 20;
	put_be16(p->buf + p->off[AT_L3] + 4, (long)(p->len - p->off[AT_L3]) - 40 + delta);
}

static void build(struct pkt *p)
{
	static const __u16 types[] = { ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, 0x8100, 0x88a8 };
	__u16 type;
	int tags = 0;

	memset(p, 0, sizeof(*p));
	put_rand(p, 12);
	type = chance(15) ? types[pick(ARRAY_SIZE(types))] : (chance(50) ? ETH_P_IP : ETH_P_IPV6);
	if (chance(20))
		tags = 1 + pick(3);
	for (int i = 0; i < tags; i++) {
		put16(p, chance(70) ? 0x8100 : 0x88a8);
		put16(p, (__u16)(pick(8) << 13 | vids[pick(ARRAY_SIZE(vids))]));
	}
	put16(p, type);
	p->off[AT_L3] = p->len;
	if (type == ETH_P_IP)
		build_ipv4(p);
	else if (type == ETH_P_IPV6)
		build_ipv6(p);
	else
		put_rand(p, 28 + pick(20));
	if (chance(10))
		put_rand(p, pick(30));		/* Ethernet padding past the IP length */
	if (chance(15))
		p->len = pick((__u32)p->len + 1);	/* truncated anywhere */
	if (p->len < ETH_HLEN)
		p->len = ETH_HLEN;	/* the kernel refuses shorter frames to BPF_PROG_RUN */
}

/* ---- rules ---- */

static void add(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(buf);

	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static void rand_prefix(char *out, size_t len, int fam)
{
	const char *a = fam == 6 ? ip6s[pick(ARRAY_SIZE(ip6s))] : ip4s[pick(ARRAY_SIZE(ip4s))];
	int bits = fam == 6 ? 128 : 32;
	__u8 addr[16] = {};
	int plen = chance(40) ? bits : (int)pick(bits + 1);
	char s[INET6_ADDRSTRLEN];

	inet_pton(fam == 6 ? AF_INET6 : AF_INET, a, addr);
	for (int i = plen; i < bits; i++)
		addr[i / 8] &= (__u8)~(0x80 >> (i % 8));
	inet_ntop(fam == 6 ? AF_INET6 : AF_INET, addr, s, sizeof(s));
	snprintf(out, len, "%s/%d", s, plen);
}

static void rand_range(char *out, size_t len)
{
	__u16 a = rand_port(), b = rand_port();

	if (chance(50))
		snprintf(out, len, "%u", a);
	else
		snprintf(out, len, "%u-%u", a < b ? a : b, a < b ? b : a);
}

/* A random rule in the rule language; retried until it parses. */
static void rand_rule(struct xf_rule *r)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", "icmp6", "proto 47",
					      "proto 0" };
	static const char *const acts[] = { "xsk", "pass", "drop" };
	char err[256];

	for (;;) {
		char text[XF_RULE_TEXT_MAX] = "", tmp[64];
		int fam = chance(50) ? 4 : 6;

		if (chance(40))
			add(text, sizeof(text), "prio %u ",
			    (unsigned int[]){ 1, 50, 100, 200 }[pick(4)]);
		if (chance(15))
			add(text, sizeof(text), "vlan %u ", vids[pick(ARRAY_SIZE(vids))]);
		if (chance(40))
			add(text, sizeof(text), "%s ", fam == 6 ? "ip6" : "ip");
		if (chance(60))
			add(text, sizeof(text), "%s ", protos[pick(ARRAY_SIZE(protos))]);
		if (chance(30)) {
			rand_prefix(tmp, sizeof(tmp), fam);
			add(text, sizeof(text), "src %s ", tmp);
		}
		if (chance(30)) {
			rand_prefix(tmp, sizeof(tmp), fam);
			add(text, sizeof(text), "dst %s ", tmp);
		}
		if (chance(30)) {
			rand_range(tmp, sizeof(tmp));
			add(text, sizeof(text), "sport %s ", tmp);
		}
		if (chance(50)) {
			rand_range(tmp, sizeof(tmp));
			add(text, sizeof(text), "dport %s ", tmp);
		}
		if (chance(10))
			add(text, sizeof(text), "queue %u ", pick(2));
		add(text, sizeof(text), "%s", acts[pick(3)]);
		if (!xf_rule__parse(text, r, err, sizeof(err)))
			return;
	}
}

/* ---- the program ---- */

struct snap {
	__u64 malformed, unmatched;
	__u64 rule[MAX_RULES];
};

static void snapshot(struct snap *s, size_t n)
{
	percpu_sum(skel->maps.xf_stats, XF_STAT_MALFORMED, &s->malformed, 1);
	percpu_sum(skel->maps.xf_stats, XF_STAT_UNMATCHED, &s->unmatched, 1);
	for (size_t i = 0; i < n; i++) {
		struct xf_counter c;

		/* A rule's count is spread over the rule-set generations. */
		if (xf_rule_counter_read(bpf_map__fd(skel->maps.xf_rule_stats), i, &c))
			fail_msg("reading the counters of rule %zu", i);
		s->rule[i] = c.packets;
	}
}

/* What the program did with @p: a rule index, -ENOENT (unmatched) or -EBADMSG. */
static int program_choice(const struct pkt *p, size_t n)
{
	struct snap a, b;
	int got = -EINVAL, hits = 0;

	snapshot(&a, n);
	run_packet(p);
	snapshot(&b, n);
	if (b.malformed != a.malformed) {
		got = -EBADMSG;
		hits++;
	}
	if (b.unmatched != a.unmatched) {
		got = -ENOENT;
		hits++;
	}
	for (size_t i = 0; i < n; i++) {
		if (b.rule[i] != a.rule[i]) {
			got = (int)i;
			hits++;
		}
	}
	if (hits != 1)
		fail_msg("the program counted %d outcomes for one packet", hits);
	return got;
}

static void dump(const struct pkt *p, const struct xf_rule *rules, size_t n, int want, int got)
{
	char line[XF_RULE_TEXT_MAX];

	print_error("seed %#llx: program chose %d, classifier %d\n",
		    (unsigned long long)rng_state, want, got);
	for (size_t i = 0; i < n; i++) {
		xf_rule__format(&rules[i], line, sizeof(line));
		print_error("  rule %zu: %s (spec %u)\n", i, line, xf_rule__specificity(&rules[i]));
	}
	print_error("  packet (%zu bytes):", p->len);
	for (size_t i = 0; i < p->len; i++)
		print_error("%s%02x", i % 16 ? " " : "\n    ", p->buf[i]);
	print_error("\n");
}

static void test_agrees_with_program(void **state)
{
	const char *env = getenv("XF_CLASSIFY_SETS");
	unsigned long sets = env ? strtoul(env, NULL, 0) : DEF_SETS;
	unsigned long checked = 0, outcome[3] = {};

	(void)state;
	need_skel();
	env = getenv("XF_CLASSIFY_SEED");
	rng_state = env ? strtoull(env, NULL, 0) : 0x5eed5eed1234ull;
	for (unsigned long s = 0; s < sets; s++) {
		struct xf_rule rules[MAX_RULES];
		size_t n = 1 + pick(MAX_RULES);
		int err;

		for (size_t i = 0; i < n; i++)
			rand_rule(&rules[i]);
		err = xf_rules_install_obj(skel->obj, rules, n);
		if (err == -E2BIG)
			continue;
		if (err)
			fail_msg("installing %zu rules: %s", n, strerror(-err));
		for (int k = 0; k < PKTS_PER_SET; k++) {
			struct pkt p;
			int want, got;

			build(&p);
			want = program_choice(&p, n);
			got = xf_rules__classify_packet(rules, n, p.buf, p.len, 0);
			if (want != got) {
				dump(&p, rules, n, want, got);
				fail_msg("classifier and program disagree");
			}
			outcome[want == -EBADMSG ? 0 : want == -ENOENT ? 1 : 2]++;
			checked++;
		}
	}
	print_message("%lu packets agree: %lu malformed, %lu unmatched, %lu matched\n", checked,
		      outcome[0], outcome[1], outcome[2]);
	/* The generator must exercise all three outcomes, or the test proves little. */
	assert_true(outcome[0] > checked / 50 && outcome[1] > checked / 50 &&
		    outcome[2] > checked / 10);
}

/* Hand-picked cases the random generator may reach only rarely. */
static void test_flow_parse_cases(void **state)
{
	static const __u8 vlan_udp[] = {
		0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x81, 0x00, 0x20, 0x64, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x10, 0x92, 0x10, 0x93, 0, 8, 0, 0,
	};
	struct xf_flow f;
	struct xf_rule r[2];
	char err[256];

	(void)state;
	assert_int_equal(xf_flow__parse(vlan_udp, sizeof(vlan_udp), 3, &f), 0);
	assert_true(f.has_vlan);
	assert_int_equal(f.vlan, 100);
	assert_int_equal(f.l3, 4);
	assert_int_equal(f.l4, IPPROTO_UDP);
	assert_true(f.has_ports);
	assert_int_equal(f.sport, 4242);
	assert_int_equal(f.dport, 4243);
	assert_int_equal(f.queue, 3);
	/* One byte short of the UDP header: malformed. */
	assert_int_equal(xf_flow__parse(vlan_udp, sizeof(vlan_udp) - 1, 0, &f), -EBADMSG);
	assert_int_equal(xf_flow__parse(vlan_udp, 13, 0, &f), -EBADMSG);

	assert_int_equal(xf_rule__parse("udp dport 4243", &r[0], err, sizeof(err)), 0);
	assert_int_equal(xf_rule__parse("vlan 100 udp", &r[1], err, sizeof(err)), 0);
	/* Same prio: the rule pinning more bits wins (vlan 13 + l4 8 > l4 8 + ports 17). */
	assert_int_equal(xf_rules__classify_packet(r, 2, vlan_udp, sizeof(vlan_udp), 0),
			 xf_rule__specificity(&r[0]) > xf_rule__specificity(&r[1]) ? 0 : 1);
	assert_int_equal(xf_rules__classify_packet(r, 0, vlan_udp, sizeof(vlan_udp), 0), -ENOENT);
	assert_int_equal(xf_rule__parse("prio 5 queue 2", &r[1], err, sizeof(err)), 0);
	assert_int_equal(xf_rules__classify_packet(r, 2, vlan_udp, sizeof(vlan_udp), 2), 1);
	assert_int_equal(xf_rules__classify_packet(r, 2, vlan_udp, sizeof(vlan_udp), 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_parse_cases),
		cmocka_unit_test(test_agrees_with_program),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
