// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the rule language: parsing, error messages, canonical printing and the
 * compilation of rules into the masks and hash entries the steering program looks up. */
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
#include <cmocka.h>
#include <xskflow/xskflow.h>
#include "rule_internal.h"

#define ERR_LEN 512

/* ---- helpers ---- */

static void parse_ok(const char *text, struct xf_rule *r)
{
	char err[ERR_LEN] = "";
	int rc;

	memset(r, 0, sizeof(*r));
	rc = xf_rule__parse(text, r, err, sizeof(err));
	if (rc)
		fail_msg("'%s' should parse, got %d: %s", text, rc, err);
}

/* A struct laid out the way the parser should fill it: zero except what is set. */
static struct xf_rule blank_rule(void)
{
	struct xf_rule r;

	memset(&r, 0, sizeof(r));
	r.prio = XF_RULE_PRIO_DEFAULT;
	r.action = XF_RULE_XSK;
	return r;
}

static void assert_rule_eq(const struct xf_rule *want, const struct xf_rule *got,
			   const char *text)
{
	if (memcmp(want, got, sizeof(*want))) {
		char a[XF_RULE_TEXT_MAX], b[XF_RULE_TEXT_MAX];

		xf_rule__format(want, a, sizeof(a));
		xf_rule__format(got, b, sizeof(b));
		fail_msg("'%s': expected {%s} fields %#x, got {%s} fields %#x", text, a,
			 want->fields, b, got->fields);
	}
}

/* Parse @text expecting -EINVAL; the message must say where (at '@at', unless NULL) and
 * why (@needle, looked for after the quoted rule so that it is not found in the echo of
 * the input). The output rule must be left untouched. */
static void check_err(const char *text, const char *at, const char *needle)
{
	char err[ERR_LEN], prefix[ERR_LEN], where[128];
	struct xf_rule r, untouched;
	const char *tail;
	int rc;

	memset(&r, 0xa5, sizeof(r));
	untouched = r;
	memset(err, 0, sizeof(err));
	rc = xf_rule__parse(text, &r, err, sizeof(err));
	if (rc != -EINVAL)
		fail_msg("'%s': expected -EINVAL, got %d", text, rc);
	if (!err[0])
		fail_msg("'%s': no error message", text);
	if (memcmp(&r, &untouched, sizeof(r)))
		fail_msg("'%s': a refused rule was written to the output", text);

	snprintf(prefix, sizeof(prefix), "rule '%s': ", text ? text : "(null)");
	tail = strncmp(err, prefix, strlen(prefix)) ? err : err + strlen(prefix);
	if (at) {
		snprintf(where, sizeof(where), "at '%s'", at);
		if (!strstr(tail, where))
			fail_msg("'%s': message does not name '%s': %s", text, at, err);
	}
	if (needle && !strstr(tail, needle))
		fail_msg("'%s': message lacks '%s': %s", text, needle, err);
}

static struct xf_rule *parse_all(const char *const *texts, size_t n)
{
	struct xf_rule *rules = calloc(n, sizeof(*rules));

	assert_non_null(rules);
	for (size_t i = 0; i < n; i++)
		parse_ok(texts[i], &rules[i]);
	return rules;
}

static __u32 popcount_bytes(const void *p, size_t len)
{
	const __u8 *b = p;
	__u32 bits = 0;

	for (size_t i = 0; i < len; i++)
		for (int k = 0; k < 8; k++)
			bits += (b[i] >> k) & 1;
	return bits;
}

static int compile_texts(const char *const *texts, size_t n, struct xf_compiled *c)
{
	struct xf_rule *rules = parse_all(texts, n);
	int rc = xf_rules_compile(rules, n, c);

	free(rules);
	return rc;
}

/* ---- valid rules ---- */

static void test_example_udp_dport(void **state)
{
	struct xf_rule want = blank_rule(), got;

	(void)state;
	want.fields = XF_RF_L4 | XF_RF_DPORT;
	want.l4 = IPPROTO_UDP;
	want.dport_lo = want.dport_hi = 4242;
	parse_ok("udp dport 4242", &got);
	assert_rule_eq(&want, &got, "udp dport 4242");
}

static void test_example_ip6_udp_dport_xsk(void **state)
{
	struct xf_rule want = blank_rule(), got;

	(void)state;
	want.fields = XF_RF_L3 | XF_RF_L4 | XF_RF_DPORT;
	want.l3 = XF_L3_IPV6;
	want.l4 = IPPROTO_UDP;
	want.dport_lo = want.dport_hi = 4242;
	parse_ok("ip6 udp dport 4242 xsk", &got);
	assert_rule_eq(&want, &got, "ip6 udp dport 4242 xsk");
}

static void test_example_tcp_dport_pass(void **state)
{
	struct xf_rule want = blank_rule(), got;

	(void)state;
	want.fields = XF_RF_L4 | XF_RF_DPORT;
	want.l4 = IPPROTO_TCP;
	want.dport_lo = want.dport_hi = 22;
	want.action = XF_RULE_PASS;
	parse_ok("tcp dport 22 pass", &got);
	assert_rule_eq(&want, &got, "tcp dport 22 pass");
}

static void test_word_vlan(void **state)
{
	static const __u16 ids[] = { 0, 1, 100, 4095 };
	struct xf_rule want, got;
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		want = blank_rule();
		want.fields = XF_RF_VLAN;
		want.vlan = ids[i];
		snprintf(text, sizeof(text), "vlan %u", ids[i]);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);
	}
}

static void test_word_l3(void **state)
{
	struct xf_rule want = blank_rule(), got;

	(void)state;
	want.fields = XF_RF_L3;
	want.l3 = XF_L3_IPV4;
	parse_ok("ip", &got);
	assert_rule_eq(&want, &got, "ip");
	want.l3 = XF_L3_IPV6;
	parse_ok("ip6", &got);
	assert_rule_eq(&want, &got, "ip6");
}

static void test_word_l4(void **state)
{
	static const struct { const char *text; __u8 l4; } t[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP }, { "icmp6", IPPROTO_ICMPV6 },
		{ "proto 0", 0 }, { "proto 47", 47 }, { "proto 132", 132 },
		{ "proto 255", 255 }, { "proto 6", IPPROTO_TCP },
	};
	struct xf_rule want, got;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		want = blank_rule();
		want.fields = XF_RF_L4;
		want.l4 = t[i].l4;
		parse_ok(t[i].text, &got);
		assert_rule_eq(&want, &got, t[i].text);
	}
}

static void test_word_l4_with_family(void **state)
{
	struct xf_rule got;

	(void)state;
	parse_ok("ip icmp", &got);
	assert_int_equal(got.l3, XF_L3_IPV4);
	assert_int_equal(got.l4, IPPROTO_ICMP);
	parse_ok("icmp6 ip6", &got);
	assert_int_equal(got.l3, XF_L3_IPV6);
	assert_int_equal(got.l4, IPPROTO_ICMPV6);
	parse_ok("ip6 tcp", &got);
	assert_int_equal(got.fields, XF_RF_L3 | XF_RF_L4);
}

static void test_word_prefix_v4(void **state)
{
	static const struct { const char *arg; __u8 addr[4]; __u8 len; } t[] = {
		{ "0.0.0.0/0", { 0, 0, 0, 0 }, 0 },
		{ "128.0.0.0/1", { 128, 0, 0, 0 }, 1 },
		{ "10.0.0.0/8", { 10, 0, 0, 0 }, 8 },
		{ "198.18.0.0/15", { 198, 18, 0, 0 }, 15 },
		{ "192.168.1.0/24", { 192, 168, 1, 0 }, 24 },
		{ "203.0.113.6/31", { 203, 0, 113, 6 }, 31 },
		{ "203.0.113.7/32", { 203, 0, 113, 7 }, 32 },
		{ "203.0.113.7", { 203, 0, 113, 7 }, 32 },
		{ "10.0.0.0/08", { 10, 0, 0, 0 }, 8 },
	};
	struct xf_rule want, got;
	char text[96];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		want = blank_rule();
		want.fields = XF_RF_SRC | XF_RF_L3;
		want.l3 = XF_L3_IPV4;
		memcpy(want.src, t[i].addr, 4);
		want.src_len = t[i].len;
		snprintf(text, sizeof(text), "src %s", t[i].arg);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);

		want = blank_rule();
		want.fields = XF_RF_DST | XF_RF_L3;
		want.l3 = XF_L3_IPV4;
		memcpy(want.dst, t[i].addr, 4);
		want.dst_len = t[i].len;
		snprintf(text, sizeof(text), "ip dst %s", t[i].arg);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);
	}
}

static void test_word_prefix_v6(void **state)
{
	static const struct { const char *arg; __u8 len; } t[] = {
		{ "::/0", 0 },
		{ "8000::/1", 1 },
		{ "2001:db8::/32", 32 },
		{ "2001:db8:abcd::/48", 48 },
		{ "2001:db8:1:2::/64", 64 },
		{ "2001:db8::/96", 96 },
		{ "2001:db8::2/127", 127 },
		{ "2001:db8::1/128", 128 },
		{ "2001:db8::1", 128 },
		{ "fe80::1", 128 },
		{ "::ffff:10.0.0.0/104", 104 },
	};
	struct xf_rule want, got;
	char text[96], addr[64], *slash;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(addr, sizeof(addr), "%s", t[i].arg);
		slash = strchr(addr, '/');
		if (slash)
			*slash = '\0';

		want = blank_rule();
		want.fields = XF_RF_SRC | XF_RF_L3;
		want.l3 = XF_L3_IPV6;
		assert_int_equal(inet_pton(AF_INET6, addr, want.src), 1);
		want.src_len = t[i].len;
		snprintf(text, sizeof(text), "ip6 src %s", t[i].arg);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);

		want = blank_rule();
		want.fields = XF_RF_DST | XF_RF_L3;
		want.l3 = XF_L3_IPV6;
		assert_int_equal(inet_pton(AF_INET6, addr, want.dst), 1);
		want.dst_len = t[i].len;
		snprintf(text, sizeof(text), "dst %s", t[i].arg);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);
	}
}

static void test_word_src_and_dst(void **state)
{
	struct xf_rule got;
	const __u8 src[4] = { 10, 1, 0, 0 }, dst[4] = { 10, 2, 3, 4 };

	(void)state;
	parse_ok("src 10.1.0.0/16 dst 10.2.3.4", &got);
	assert_int_equal(got.fields, XF_RF_L3 | XF_RF_SRC | XF_RF_DST);
	assert_memory_equal(got.src, src, 4);
	assert_memory_equal(got.dst, dst, 4);
	assert_int_equal(got.src_len, 16);
	assert_int_equal(got.dst_len, 32);
	parse_ok("ip6 src 2001:db8::/32 dst 2001:db8:1::/48", &got);
	assert_int_equal(got.l3, XF_L3_IPV6);
	assert_int_equal(got.src_len, 32);
	assert_int_equal(got.dst_len, 48);
}

static void test_word_ports(void **state)
{
	static const struct { const char *arg; __u16 lo, hi; } t[] = {
		{ "0", 0, 0 }, { "53", 53, 53 }, { "65535", 65535, 65535 },
		{ "1000-2000", 1000, 2000 }, { "0-65535", 0, 65535 }, { "5-5", 5, 5 },
		{ "1024-65535", 1024, 65535 }, { "080", 80, 80 },
	};
	struct xf_rule want, got;
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		want = blank_rule();
		want.fields = XF_RF_DPORT;
		want.dport_lo = t[i].lo;
		want.dport_hi = t[i].hi;
		snprintf(text, sizeof(text), "dport %s", t[i].arg);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);

		want = blank_rule();
		want.fields = XF_RF_SPORT | XF_RF_L4;
		want.l4 = IPPROTO_TCP;
		want.sport_lo = t[i].lo;
		want.sport_hi = t[i].hi;
		snprintf(text, sizeof(text), "tcp sport %s", t[i].arg);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);
	}
}

static void test_word_ports_with_proto_numbers(void **state)
{
	struct xf_rule got;

	(void)state;
	/* Ports are fine with tcp/udp given by number, too. */
	parse_ok("proto 17 dport 53", &got);
	assert_int_equal(got.l4, IPPROTO_UDP);
	parse_ok("proto 6 sport 1-2", &got);
	assert_int_equal(got.l4, IPPROTO_TCP);
}

static void test_word_queue(void **state)
{
	static const __u32 q[] = { 0, 1, 63, 255 };
	struct xf_rule want, got;
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		want = blank_rule();
		want.fields = XF_RF_QUEUE;
		want.queue = q[i];
		snprintf(text, sizeof(text), "queue %u", q[i]);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);
	}
}

static void test_word_prio(void **state)
{
	static const __u32 p[] = { 0, 1, 100, 65535 };
	struct xf_rule want, got;
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		want = blank_rule();
		want.fields = XF_RF_PRIO | XF_RF_L4;
		want.l4 = IPPROTO_UDP;
		want.prio = p[i];
		snprintf(text, sizeof(text), "prio %u udp", p[i]);
		parse_ok(text, &got);
		assert_rule_eq(&want, &got, text);
	}
}

static void test_default_prio_and_action(void **state)
{
	struct xf_rule got;

	(void)state;
	parse_ok("udp", &got);
	assert_int_equal(got.prio, XF_RULE_PRIO_DEFAULT);
	assert_int_equal(got.action, XF_RULE_XSK);
	assert_false(got.fields & XF_RF_PRIO);
}

static void test_actions(void **state)
{
	static const struct { const char *text; enum xf_rule_action a; } t[] = {
		{ "udp xsk", XF_RULE_XSK }, { "udp pass", XF_RULE_PASS },
		{ "udp drop", XF_RULE_DROP }, { "xsk udp", XF_RULE_XSK },
		{ "pass udp", XF_RULE_PASS }, { "drop udp", XF_RULE_DROP },
	};
	struct xf_rule want, got;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		want = blank_rule();
		want.fields = XF_RF_L4;
		want.l4 = IPPROTO_UDP;
		want.action = t[i].a;
		parse_ok(t[i].text, &got);
		assert_rule_eq(&want, &got, t[i].text);
	}
}

static void test_all_words_combined(void **state)
{
	const char *text = "prio 5 vlan 10 ip tcp src 10.0.0.0/8 dst 192.168.0.1 "
			   "sport 1024-65535 dport 443 queue 2 drop";
	struct xf_rule want = blank_rule(), got;
	const __u8 src[4] = { 10, 0, 0, 0 }, dst[4] = { 192, 168, 0, 1 };

	(void)state;
	want.fields = XF_RF_PRIO | XF_RF_VLAN | XF_RF_L3 | XF_RF_L4 | XF_RF_SRC | XF_RF_DST |
		      XF_RF_SPORT | XF_RF_DPORT | XF_RF_QUEUE;
	want.prio = 5;
	want.vlan = 10;
	want.l3 = XF_L3_IPV4;
	want.l4 = IPPROTO_TCP;
	memcpy(want.src, src, 4);
	memcpy(want.dst, dst, 4);
	want.src_len = 8;
	want.dst_len = 32;
	want.sport_lo = 1024;
	want.sport_hi = 65535;
	want.dport_lo = want.dport_hi = 443;
	want.queue = 2;
	want.action = XF_RULE_DROP;
	parse_ok(text, &got);
	assert_rule_eq(&want, &got, text);
}

/* Heap's algorithm over word groups: every order must give the same rule. */
static void permute(const char **w, size_t k, size_t n, const struct xf_rule *want,
		    unsigned int *count)
{
	if (k == 1) {
		char text[XF_RULE_TEXT_MAX] = "";
		struct xf_rule got;

		for (size_t i = 0; i < n; i++) {
			strcat(text, w[i]);
			strcat(text, " ");
		}
		parse_ok(text, &got);
		assert_rule_eq(want, &got, text);
		(*count)++;
		return;
	}
	for (size_t i = 0; i < k; i++) {
		const char *t;

		permute(w, k - 1, n, want, count);
		if (k % 2 == 0) {
			t = w[i];
			w[i] = w[k - 1];
		} else {
			t = w[0];
			w[0] = w[k - 1];
		}
		w[k - 1] = t;
	}
}

static void test_any_word_order(void **state)
{
	const char *w[] = { "prio 9", "vlan 3", "udp", "src 2001:db8::/32", "dport 4242",
			    "sport 10-20", "queue 1", "pass" };
	const size_t n = sizeof(w) / sizeof(w[0]);
	struct xf_rule want;
	unsigned int count = 0;

	(void)state;
	parse_ok("prio 9 vlan 3 udp src 2001:db8::/32 dport 4242 sport 10-20 queue 1 pass",
		 &want);
	permute(w, n, n, &want, &count);
	assert_int_equal(count, 40320);	/* 8! */
}

static void test_whitespace(void **state)
{
	struct xf_rule want, got;

	(void)state;
	parse_ok("udp dport 4242", &want);
	parse_ok("  udp   dport 4242  ", &got);
	assert_rule_eq(&want, &got, "extra spaces");
	parse_ok("udp\tdport\t4242", &got);
	assert_rule_eq(&want, &got, "tabs");
	parse_ok("udp dport 4242\n", &got);
	assert_rule_eq(&want, &got, "trailing newline");
}

static void test_longest_text_accepted(void **state)
{
	char text[XF_RULE_TEXT_MAX];
	struct xf_rule got;

	(void)state;
	/* XF_RULE_TEXT_MAX - 1 characters: the longest rule the parser takes. */
	memset(text, ' ', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text, "udp", 3);
	memcpy(text + sizeof(text) - 1 - 4, "drop", 4);
	assert_int_equal(strlen(text), XF_RULE_TEXT_MAX - 1);
	parse_ok(text, &got);
	assert_int_equal(got.action, XF_RULE_DROP);
}

/* ---- errors ---- */

static void test_err_unknown_word(void **state)
{
	(void)state;
	check_err("udp dprot 53", "dprot", "unknown word");
	check_err("bogus", "bogus", "unknown word");
	check_err("UDP", "UDP", "unknown word");
	check_err("udp dport 53 accept", "accept", "unknown word");
	check_err("udp dport=53", "dport=53", "unknown word");
}

static void test_err_missing_value(void **state)
{
	static const char *const t[][2] = {
		{ "udp dport", "dport" }, { "tcp sport", "sport" }, { "udp prio", "prio" },
		{ "vlan", "vlan" }, { "proto", "proto" }, { "src", "src" },
		{ "udp dst", "dst" }, { "udp queue", "queue" }, { "udp dport  \t", "dport" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_err(t[i][0], t[i][1], "needs a value");
}

static void test_err_out_of_range(void **state)
{
	(void)state;
	check_err("udp dport 65536", "dport", "65536");
	check_err("udp sport 70000", "sport", "70000");
	check_err("udp dport 1-65536", "dport", "1-65536");
	check_err("vlan 4096", "vlan", "4096");
	check_err("udp prio 70000", "prio", "70000");
	check_err("udp prio 65536", "prio", "65536");
	check_err("udp queue 256", "queue", "256");
	check_err("proto 256", "proto", "256");
	check_err("udp dport 99999999999999999999999", "dport", "99999999999999999999999");
	check_err("vlan 18446744073709551616", "vlan", "18446744073709551616");
}

static void test_err_not_a_number(void **state)
{
	(void)state;
	check_err("udp dport http", "dport", "http");
	check_err("udp sport 80-abc", "sport", "80-abc");
	check_err("udp dport 1-", "dport", "1-");
	check_err("udp dport -1", "dport", "-1");
	check_err("udp dport 1-2-3", "dport", "1-2-3");
	check_err("udp dport 0x50", "dport", "0x50");
	check_err("vlan ten", "vlan", "ten");
	check_err("udp prio -1", "prio", "-1");
	check_err("udp prio +1", "prio", "+1");
	check_err("udp prio 1e3", "prio", "1e3");
	check_err("udp queue 1.5", "queue", "1.5");
	check_err("proto tcp", "proto", "tcp");
	check_err("udp dport udp", "dport", "udp");
}

static void test_err_range_upside_down(void **state)
{
	(void)state;
	check_err("udp dport 2000-1000", "dport", "2000-1000");
	check_err("udp sport 2-1", "sport", "2-1");
	/* The message suggests the right way round. */
	check_err("udp dport 2000-1000", "dport", "1000-2000");
}

static void test_err_family_conflict(void **state)
{
	(void)state;
	check_err("ip6 src 198.18.0.0/15", "src", "IPv4");
	check_err("ip dst 2001:db8::1", "dst", "IPv6");
	check_err("src 10.0.0.0/8 dst 2001:db8::/32", "dst", "IPv6");
	check_err("dst 2001:db8::/32 src 10.0.0.0/8", "src", "IPv4");
	check_err("src 10.0.0.0/8 ip6", "ip6", "IPv6");
	check_err("ip ip6", "ip6", "IPv6");
	check_err("ip6 ip", "ip", "IPv4");
}

static void test_err_ports_need_tcp_or_udp(void **state)
{
	(void)state;
	check_err("icmp dport 5", NULL, "tcp or udp");
	check_err("icmp6 sport 5", NULL, "tcp or udp");
	check_err("proto 47 dport 1-2", NULL, "tcp or udp");
	check_err("dport 5 icmp", NULL, "tcp or udp");
}

static void test_err_icmp_family(void **state)
{
	(void)state;
	check_err("icmp6 ip", NULL, "icmp6");
	check_err("ip icmp6", NULL, "icmp6");
	check_err("icmp ip6", NULL, "icmp");
	check_err("ip6 icmp", NULL, "IPv6");
	check_err("icmp6 src 10.0.0.1", NULL, "icmp6");
	check_err("icmp dst 2001:db8::1", NULL, "IPv6");
	check_err("proto 1 ip6", NULL, "IPv6");
}

static void test_err_repeated_words(void **state)
{
	(void)state;
	check_err("udp tcp", "tcp", "repeats");
	check_err("udp udp", "udp", "repeats");
	check_err("proto 6 tcp", "tcp", "repeats");
	check_err("udp proto 17", "proto", "repeats");
	check_err("udp xsk drop", "drop", "repeats");
	check_err("udp pass pass", "pass", "repeats");
	check_err("drop udp xsk", "xsk", "repeats");
	check_err("udp dport 1 dport 2", "dport", "repeats");
	check_err("udp sport 1 sport 1", "sport", "repeats");
	check_err("udp prio 1 prio 2", "prio", "repeats");
	check_err("vlan 1 vlan 2", "vlan", "repeats");
	check_err("queue 1 queue 1", "queue", "repeats");
	check_err("src 10.0.0.0/8 src 10.0.0.0/8", "src", "repeats");
	check_err("dst ::/0 dst ::/0", "dst", "repeats");
}

/* The family words are the only ones without a repeat check (their field is 0 in the word
 * table because src/dst set the family too), so "ip ip" slips through. */
static void test_err_repeated_family_word(void **state)
{
	(void)state;
	check_err("ip ip", "ip", "repeats");
	check_err("ip6 ip6 udp", "ip6", "repeats");
}

static void test_err_host_bits(void **state)
{
	(void)state;
	check_err("src 10.0.0.1/8", "src", "10.0.0.1/8");
	check_err("dst 192.168.1.1/24", "dst", "192.168.1.1/24");
	check_err("src 198.19.0.0/15", "src", "198.19.0.0/15");
	check_err("src 0.0.0.1/0", "src", "0.0.0.1/0");
	check_err("dst 2001:db8::1/64", "dst", "2001:db8::1/64");
	check_err("src 2001:db8::1/127", "src", "2001:db8::1/127");
	check_err("dst ::1/0", "dst", "::1/0");
}

static void test_err_prefix_length(void **state)
{
	(void)state;
	check_err("src 10.0.0.0/33", "src", "10.0.0.0/33");
	check_err("dst 2001:db8::/129", "dst", "2001:db8::/129");
	check_err("src 10.0.0.0/", "src", "10.0.0.0/");
	check_err("src 10.0.0.0/-1", "src", "10.0.0.0/-1");
	check_err("dst 10.0.0.0/x", "dst", "10.0.0.0/x");
	check_err("dst 10.0.0.0/64", "dst", "0-32");
}

static void test_err_bad_address(void **state)
{
	(void)state;
	check_err("src 10.0.0", "src", "10.0.0");
	check_err("src 300.1.1.1", "src", "300.1.1.1");
	check_err("dst example.com", "dst", "example.com");
	check_err("dst 2001:db8:::1", "dst", "2001:db8:::1");
	check_err("src /8", "src", "/8");
	check_err("src 10.0.0.0/8/8", "src", "10.0.0.0/8/8");
}

static void test_err_empty(void **state)
{
	(void)state;
	check_err("", NULL, "match on something");
	check_err("   \t ", NULL, "match on something");
	check_err(NULL, NULL, "empty");
}

static void test_slot(void **state)
{
	struct xf_rule r;

	(void)state;
	parse_ok("udp dport 4243 slot 7", &r);
	assert_true(r.fields & XF_RF_SLOT);
	assert_int_equal(r.slot, 7);
	assert_int_equal(r.action, XF_RULE_XSK);
	parse_ok("udp dport 4243", &r);
	assert_false(r.fields & XF_RF_SLOT);
	assert_int_equal(r.slot, 0);
	check_err("udp slot 8", "slot", "0-7");
	check_err("udp slot 1 drop", NULL, "needs the xsk action");
	check_err("pass slot 2 tcp", NULL, "needs the xsk action");
	check_err("udp slot 1 slot 2", "slot", "repeats");
	check_err("slot 1", NULL, "match on something");
}

static void test_err_matches_nothing(void **state)
{
	(void)state;
	check_err("drop", NULL, "match on something");
	check_err("pass", NULL, "match on something");
	check_err("xsk", NULL, "match on something");
	check_err("prio 5", NULL, "match on something");
	check_err("prio 5 drop", NULL, "match on something");
}

static void test_err_too_long(void **state)
{
	char text[XF_RULE_TEXT_MAX + 64];

	(void)state;
	/* One character more than the longest accepted rule. */
	memset(text, ' ', XF_RULE_TEXT_MAX);
	text[XF_RULE_TEXT_MAX] = '\0';
	memcpy(text, "udp", 3);
	memcpy(text + XF_RULE_TEXT_MAX - 4, "drop", 4);
	check_err(text, NULL, "255");

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	check_err(text, NULL, "longer than");
}

static void test_err_message_is_one_line(void **state)
{
	static const char *const t[] = {
		"udp dport 99999\n", "udp\ndport 99999", "bogus\n", "udp tcp\n",
	};
	char err[ERR_LEN];
	struct xf_rule r;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(xf_rule__parse(t[i], &r, err, sizeof(err)), -EINVAL);
		if (strchr(err, '\n'))
			fail_msg("input %zu: message spans lines: \"%s\"", i, err);
	}
}

static void test_err_small_buffers(void **state)
{
	char err[8];
	struct xf_rule r;

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(xf_rule__parse("udp dport 65536", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	/* No buffer: still refused, nothing written. */
	assert_int_equal(xf_rule__parse("udp dport 65536", &r, NULL, 0), -EINVAL);
	assert_int_equal(xf_rule__parse("bogus", &r, err, 0), -EINVAL);
	assert_int_equal(xf_rule__parse("", &r, NULL, 0), -EINVAL);
	assert_int_equal(xf_rule__parse(NULL, &r, NULL, 0), -EINVAL);
}

/* ---- canonical text and round trip ---- */

static const struct { const char *in, *canon; } roundtrip_table[] = {
	{ "udp dport 4242", "udp dport 4242 xsk" },
	{ "ip6 udp dport 4242 xsk", "ip6 udp dport 4242 xsk" },
	{ "tcp dport 22 pass", "tcp dport 22 pass" },
	{ "drop dport 53 udp prio 7", "prio 7 udp dport 53 drop" },
	{ "slot 3 udp dport 4243", "udp dport 4243 xsk slot 3" },
	{ "xsk slot 0 queue 1 tcp", "tcp queue 1 xsk slot 0" },
	{ "vlan 0", "vlan 0 xsk" },
	{ "vlan 4095 ip", "vlan 4095 ip xsk" },
	{ "ip6", "ip6 xsk" },
	{ "icmp", "icmp xsk" },
	{ "icmp6 ip6 drop", "ip6 icmp6 drop" },
	{ "proto 47", "proto 47 xsk" },
	{ "proto 6", "tcp xsk" },
	{ "proto 0 pass", "proto 0 pass" },
	{ "proto 255", "proto 255 xsk" },
	{ "src 10.0.0.0/8", "ip src 10.0.0.0/8 xsk" },
	{ "dst 192.168.1.0/24 tcp", "ip tcp dst 192.168.1.0/24 xsk" },
	{ "src 0.0.0.0/0 drop", "ip src 0.0.0.0/0 drop" },
	{ "dst 203.0.113.7/32", "ip dst 203.0.113.7 xsk" },
	{ "src 198.18.0.0/15 dst 10.1.2.3 udp", "ip udp src 198.18.0.0/15 dst 10.1.2.3 xsk" },
	{ "ip6 src 2001:db8::/32", "ip6 src 2001:db8::/32 xsk" },
	{ "dst 2001:0db8:0000:0000::/64 udp dport 53", "ip6 udp dst 2001:db8::/64 dport 53 xsk" },
	{ "src fe80::1 tcp sport 22", "ip6 tcp src fe80::1 sport 22 xsk" },
	{ "dst ::/0 pass", "ip6 dst ::/0 pass" },
	{ "src ::ffff:10.0.0.0/104", "ip6 src ::ffff:10.0.0.0/104 xsk" },
	{ "dst 2001:db8:1:2:3:4:5:6/127", "ip6 dst 2001:db8:1:2:3:4:5:6/127 xsk" },
	{ "sport 1024-65535 udp", "udp sport 1024-65535 xsk" },
	{ "dport 0-65535 tcp drop", "tcp dport 0-65535 drop" },
	{ "dport 5-5", "dport 5 xsk" },
	{ "queue 3 udp dport 4242", "udp dport 4242 queue 3 xsk" },
	{ "queue 0", "queue 0 xsk" },
	{ "prio 0 queue 255 drop", "prio 0 queue 255 drop" },
	{ "prio 100 udp", "prio 100 udp xsk" },
	{ "\tudp   dport\t4242\n", "udp dport 4242 xsk" },
	{ "prio 007 udp", "prio 7 udp xsk" },
	{ "sport 0 dport 65535", "sport 0 dport 65535 xsk" },
	{ "prio 65535 vlan 12 ip6 tcp src 2001:db8::/48 dst 2001:db8:ffff::1 sport 1000-2000 "
	  "dport 443 queue 7 drop",
	  "prio 65535 vlan 12 ip6 tcp src 2001:db8::/48 dst 2001:db8:ffff::1 sport 1000-2000 "
	  "dport 443 queue 7 drop" },
};

static void test_roundtrip(void **state)
{
	char f1[XF_RULE_TEXT_MAX], f2[XF_RULE_TEXT_MAX];
	struct xf_rule a, b;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(roundtrip_table) / sizeof(roundtrip_table[0]); i++) {
		const char *in = roundtrip_table[i].in;

		parse_ok(in, &a);
		n = xf_rule__format(&a, f1, sizeof(f1));
		assert_int_equal(n, strlen(f1));
		parse_ok(f1, &b);
		if (memcmp(&a, &b, sizeof(a)))
			fail_msg("'%s' -> '%s' parses to a different rule", in, f1);
		xf_rule__format(&b, f2, sizeof(f2));
		if (strcmp(f1, f2))
			fail_msg("'%s': format is not stable: '%s' then '%s'", in, f1, f2);
	}
}

static void test_canonical_text(void **state)
{
	char out[XF_RULE_TEXT_MAX];
	struct xf_rule r;

	(void)state;
	for (size_t i = 0; i < sizeof(roundtrip_table) / sizeof(roundtrip_table[0]); i++) {
		parse_ok(roundtrip_table[i].in, &r);
		xf_rule__format(&r, out, sizeof(out));
		if (strcmp(out, roundtrip_table[i].canon))
			fail_msg("'%s': expected '%s', got '%s'", roundtrip_table[i].in,
				 roundtrip_table[i].canon, out);
	}
}

static void test_format_truncates_like_snprintf(void **state)
{
	const char *canon = "udp dport 4242 queue 3 drop";
	char small[5];
	struct xf_rule r;

	(void)state;
	parse_ok(canon, &r);
	memset(small, 'x', sizeof(small));
	assert_int_equal(xf_rule__format(&r, small, sizeof(small)), strlen(canon));
	assert_string_equal(small, "udp ");
	assert_int_equal(xf_rule__format(&r, NULL, 0), strlen(canon));
}

/* ---- compilation ---- */

static void test_compile_empty(void **state)
{
	struct xf_compiled c;

	(void)state;
	assert_int_equal(xf_rules_compile(NULL, 0, &c), 0);
	assert_int_equal(c.nmasks, 0);
	assert_int_equal(c.nentries, 0);
	xf_rules_compiled_free(&c);
}

static void test_compile_one_rule(void **state)
{
	const char *t[] = { "udp dport 4242 drop" };
	struct xf_key want_mask = {}, want_key = {};
	struct xf_compiled c;

	(void)state;
	assert_int_equal(compile_texts(t, 1, &c), 0);
	assert_int_equal(c.nmasks, 1);
	assert_int_equal(c.nentries, 1);

	want_mask.l4 = 0xff;
	want_mask.dport = 0xffff;
	want_mask.flags = XF_KF_PORTS;
	want_key.l4 = IPPROTO_UDP;
	want_key.dport = 4242;
	want_key.flags = XF_KF_PORTS;
	assert_memory_equal(&c.masks[0], &want_mask, sizeof(want_mask));
	assert_int_equal(c.entries[0].mask_idx, 0);
	assert_memory_equal(&c.entries[0].key, &want_key, sizeof(want_key));
	assert_int_equal(c.entries[0].val.rule_id, 0);
	assert_int_equal(c.entries[0].val.prio, XF_RULE_PRIO_DEFAULT);
	assert_int_equal(c.entries[0].val.action, XF_ACT_DROP);
	assert_int_equal(c.entries[0].val.spec, 8 + 16 + 1);
	xf_rules_compiled_free(&c);
	assert_null(c.entries);
	assert_int_equal(c.nentries, 0);
}

static void test_compile_every_field(void **state)
{
	const char *t[] = { "prio 3 vlan 7 ip6 tcp src 2001:db8::/32 dst 2001:db8:1::1 "
			    "sport 99 dport 443 queue 5 pass" };
	struct xf_compiled c;
	const struct xf_key *m, *k;

	(void)state;
	assert_int_equal(compile_texts(t, 1, &c), 0);
	assert_int_equal(c.nmasks, 1);
	assert_int_equal(c.nentries, 1);
	m = &c.masks[0];
	k = &c.entries[0].key;
	assert_int_equal(m->queue, 0xffffffff);
	assert_int_equal(k->queue, 5);
	assert_int_equal(m->vlan, 0x0fff);
	assert_int_equal(k->vlan, 7);
	assert_int_equal(m->flags, XF_KF_VLAN | XF_KF_PORTS);
	assert_int_equal(k->flags, XF_KF_VLAN | XF_KF_PORTS);
	assert_int_equal(m->l3, 0xff);
	assert_int_equal(k->l3, XF_L3_IPV6);
	assert_int_equal(k->l4, IPPROTO_TCP);
	assert_int_equal(k->sport, 99);
	assert_int_equal(k->dport, 443);
	assert_int_equal(popcount_bytes(m->src, 16), 32);
	assert_int_equal(popcount_bytes(m->dst, 16), 128);
	assert_int_equal(c.entries[0].val.prio, 3);
	assert_int_equal(c.entries[0].val.action, XF_ACT_PASS);
	assert_int_equal(c.entries[0].val.spec, popcount_bytes(m, sizeof(*m)));
	xf_rules_compiled_free(&c);
}

static void test_compile_same_shape_one_mask(void **state)
{
	struct xf_rule *rules = calloc(1000, sizeof(*rules));
	struct xf_compiled c;
	char text[64];
	bool seen[1000] = {};

	(void)state;
	assert_non_null(rules);
	for (unsigned int i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "udp dport %u", 10000 + i);
		parse_ok(text, &rules[i]);
	}
	assert_int_equal(xf_rules_compile(rules, 1000, &c), 0);
	assert_int_equal(c.nmasks, 1);
	assert_int_equal(c.nentries, 1000);
	for (unsigned int i = 0; i < c.nentries; i++) {
		const struct xf_compiled_entry *e = &c.entries[i];

		assert_int_equal(e->mask_idx, 0);
		assert_in_range(e->val.rule_id, 0, 999);
		assert_false(seen[e->val.rule_id]);
		seen[e->val.rule_id] = true;
		assert_int_equal(e->key.dport, 10000 + e->val.rule_id);
	}
	xf_rules_compiled_free(&c);
	free(rules);
}

/* Fewest aligned power-of-two blocks covering [lo, hi] exactly: count the maximal
 * subtrees of the binary trie over 16-bit values that lie inside the range. */
static unsigned int min_blocks(__u32 lo, __u32 hi, __u32 base, __u32 size)
{
	if (hi < base || lo > base + size - 1)
		return 0;
	if (lo <= base && base + size - 1 <= hi)
		return 1;
	return min_blocks(lo, hi, base, size / 2) + min_blocks(lo, hi, base + size / 2, size / 2);
}

/* Compile one rule with a port range on @dport (else sport) and check the blocks: aligned
 * prefixes, as few as possible, and every port in the range matched by exactly one. */
static void check_range(__u16 lo, __u16 hi, bool dport)
{
	static unsigned char hits[65536];
	char text[64];
	struct xf_rule r;
	struct xf_compiled c;

	snprintf(text, sizeof(text), "udp %s %u-%u", dport ? "dport" : "sport", lo, hi);
	parse_ok(text, &r);
	assert_int_equal(xf_rules_compile(&r, 1, &c), 0);
	if (c.nentries != min_blocks(lo, hi, 0, 65536))
		fail_msg("'%s': %u blocks, expected %u", text, c.nentries,
			 min_blocks(lo, hi, 0, 65536));

	memset(hits, 0, sizeof(hits));
	for (__u32 i = 0; i < c.nentries; i++) {
		const struct xf_compiled_entry *e = &c.entries[i];
		const struct xf_key *m = &c.masks[e->mask_idx];
		__u16 pm = dport ? m->dport : m->sport;
		__u16 pv = dport ? e->key.dport : e->key.sport;
		__u16 other = dport ? m->sport : m->dport;
		__u32 size = (__u32)(__u16)~pm + 1;

		assert_int_equal(size & (size - 1), 0);	/* a prefix mask */
		assert_int_equal(pv & ~pm, 0);		/* aligned, already masked */
		assert_int_equal(other, 0);
		assert_int_equal(m->l4, 0xff);
		assert_int_equal(m->flags, XF_KF_PORTS);
		assert_int_equal(e->key.l4, IPPROTO_UDP);
		/* Specificity is the rule's, shared by all its blocks. */
		assert_int_equal(e->val.spec, c.entries[0].val.spec);
		assert_int_equal(e->val.rule_id, 0);
		for (__u32 p = 0; p < 65536; p++)
			if ((p & pm) == pv)
				hits[p]++;
	}
	for (__u32 p = 0; p < 65536; p++) {
		unsigned int want = p >= lo && p <= hi;

		if (hits[p] != want)
			fail_msg("'%s': port %u matched by %u blocks, expected %u", text, p,
				 hits[p], want);
	}
	xf_rules_compiled_free(&c);
}

static void test_compile_range_1000_2000(void **state)
{
	(void)state;
	check_range(1000, 2000, true);
	check_range(1000, 2000, false);
}

static void test_compile_range_full(void **state)
{
	struct xf_rule r;
	struct xf_compiled c;

	(void)state;
	check_range(0, 65535, true);
	/* The whole port space is one block that looks at no port bits, only at the flag. */
	parse_ok("udp dport 0-65535", &r);
	assert_int_equal(xf_rules_compile(&r, 1, &c), 0);
	assert_int_equal(c.nentries, 1);
	assert_int_equal(c.masks[0].dport, 0);
	assert_int_equal(c.masks[0].flags, XF_KF_PORTS);
	xf_rules_compiled_free(&c);
}

static void test_compile_range_single_ports(void **state)
{
	(void)state;
	check_range(0, 0, true);
	check_range(80, 80, true);
	check_range(32768, 32768, false);
	check_range(65535, 65535, true);
}

static void test_compile_range_others(void **state)
{
	static const __u16 r[][2] = {
		{ 1, 65534 }, { 1024, 65535 }, { 0, 1023 }, { 5, 6 }, { 7, 8 },
		{ 32767, 32768 }, { 1, 65535 }, { 0, 65534 }, { 4096, 8191 }, { 12345, 54321 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		check_range(r[i][0], r[i][1], true);
		check_range(r[i][0], r[i][1], false);
	}
}

static void test_compile_sport_dport_product(void **state)
{
	const char *t[] = { "tcp sport 1000-2000 dport 5-6" };
	struct xf_compiled c;

	(void)state;
	assert_int_equal(compile_texts(t, 1, &c), 0);
	assert_int_equal(c.nentries, min_blocks(1000, 2000, 0, 65536) * min_blocks(5, 6, 0, 65536));
	for (__u32 i = 0; i < c.nentries; i++) {
		const struct xf_key *m = &c.masks[c.entries[i].mask_idx];
		const struct xf_key *k = &c.entries[i].key;

		assert_true(k->sport >= 1000 && (__u32)k->sport + (__u16)~m->sport <= 2000);
		assert_true(k->dport >= 5 && (__u32)k->dport + (__u16)~m->dport <= 6);
	}
	xf_rules_compiled_free(&c);
}

static __u32 spec_of(const char *text)
{
	struct xf_compiled c;
	struct xf_rule r;
	__u32 spec;

	parse_ok(text, &r);
	assert_int_equal(xf_rules_compile(&r, 1, &c), 0);
	assert_int_equal(c.nentries, 1);
	spec = c.entries[0].val.spec;
	assert_int_equal(spec, popcount_bytes(&c.masks[0], sizeof(c.masks[0])));
	xf_rules_compiled_free(&c);
	return spec;
}

static void test_compile_spec(void **state)
{
	(void)state;
	assert_int_equal(spec_of("udp"), 8);
	assert_int_equal(spec_of("ip"), 8);
	assert_int_equal(spec_of("vlan 5"), 12 + 1);
	assert_int_equal(spec_of("queue 1"), 32);
	assert_int_equal(spec_of("udp dport 53"), 8 + 16 + 1);
	assert_int_equal(spec_of("src 10.0.0.0/8"), 8 + 8);
	assert_int_equal(spec_of("ip6 dst 2001:db8::/64"), 8 + 64);
	/* A port block of 512 looks at 7 port bits. */
	assert_int_equal(spec_of("udp dport 1024-1535"), 8 + 7 + 1);

	assert_true(spec_of("udp") < spec_of("udp dport 53"));
	assert_true(spec_of("udp dport 1024-1535") < spec_of("udp dport 1024-1027"));
	assert_true(spec_of("udp dport 53") < spec_of("udp dport 53 dst 10.0.0.0/8"));
	assert_true(spec_of("udp dport 53 dst 10.0.0.0/8") < spec_of("udp dport 53 dst 10.0.0.0/24"));
	assert_true(spec_of("udp dport 53 dst 10.0.0.0/24") < spec_of("udp dport 53 dst 10.0.0.1"));
	assert_true(spec_of("udp dport 53 dst 10.0.0.1") < spec_of("udp sport 9 dport 53 dst 10.0.0.1"));
}

static const struct xf_compiled_entry *only_entry(const struct xf_compiled *c)
{
	assert_int_equal(c->nentries, 1);
	return &c->entries[0];
}

static void test_compile_duplicate_lower_prio_wins(void **state)
{
	const char *later[] = { "udp dport 53 drop prio 10", "udp dport 53 pass prio 5" };
	const char *earlier[] = { "udp dport 53 pass prio 5", "udp dport 53 drop prio 10" };
	struct xf_compiled c;
	const struct xf_compiled_entry *e;

	(void)state;
	assert_int_equal(compile_texts(later, 2, &c), 0);
	e = only_entry(&c);
	assert_int_equal(e->val.rule_id, 1);
	assert_int_equal(e->val.prio, 5);
	assert_int_equal(e->val.action, XF_ACT_PASS);
	xf_rules_compiled_free(&c);

	assert_int_equal(compile_texts(earlier, 2, &c), 0);
	e = only_entry(&c);
	assert_int_equal(e->val.rule_id, 0);
	assert_int_equal(e->val.action, XF_ACT_PASS);
	xf_rules_compiled_free(&c);
}

static void test_compile_duplicate_lower_id_wins(void **state)
{
	const char *t[] = { "udp dport 53 drop", "udp dport 53 pass", "dport 53 udp xsk" };
	struct xf_compiled c;
	const struct xf_compiled_entry *e;

	(void)state;
	assert_int_equal(compile_texts(t, 3, &c), 0);
	e = only_entry(&c);
	assert_int_equal(e->val.rule_id, 0);
	assert_int_equal(e->val.action, XF_ACT_DROP);
	xf_rules_compiled_free(&c);
}

static void test_compile_duplicate_best_in_middle(void **state)
{
	const char *t[] = { "udp dport 53 prio 9 drop", "udp dport 53 prio 1 pass",
			    "udp dport 53 prio 5 xsk", "udp dport 53 prio 1 drop" };
	struct xf_compiled c;
	const struct xf_compiled_entry *e;

	(void)state;
	assert_int_equal(compile_texts(t, 4, &c), 0);
	e = only_entry(&c);
	assert_int_equal(e->val.rule_id, 1);
	assert_int_equal(e->val.prio, 1);
	assert_int_equal(e->val.action, XF_ACT_PASS);
	xf_rules_compiled_free(&c);
}

static void test_compile_duplicate_range_block(void **state)
{
	/* 1024-1535 is exactly one of the blocks of 1000-2000: that block goes to the better
	 * rule, the other blocks stay with the range. */
	const char *t[] = { "udp dport 1000-2000 prio 10", "udp dport 1024-1535 prio 5 drop" };
	struct xf_compiled c;
	unsigned int from_range = 0, from_block = 0;

	(void)state;
	assert_int_equal(compile_texts(t, 2, &c), 0);
	assert_int_equal(c.nentries, min_blocks(1000, 2000, 0, 65536));
	for (__u32 i = 0; i < c.nentries; i++) {
		const struct xf_compiled_entry *e = &c.entries[i];

		if (e->key.dport == 1024 && c.masks[e->mask_idx].dport == 0xfe00) {
			assert_int_equal(e->val.rule_id, 1);
			assert_int_equal(e->val.action, XF_ACT_DROP);
			from_block++;
		} else {
			assert_int_equal(e->val.rule_id, 0);
			from_range++;
		}
	}
	assert_int_equal(from_block, 1);
	assert_int_equal(from_range, c.nentries - 1);
	xf_rules_compiled_free(&c);
}

static void test_compile_different_masks_not_merged(void **state)
{
	const char *t[] = { "udp dport 53", "ip udp dport 53", "udp dport 53 queue 0" };
	struct xf_compiled c;

	(void)state;
	assert_int_equal(compile_texts(t, 3, &c), 0);
	assert_int_equal(c.nmasks, 3);
	assert_int_equal(c.nentries, 3);
	xf_rules_compiled_free(&c);
}

static void compile_prefix_lengths(unsigned int n, int want_rc)
{
	struct xf_rule *rules = calloc(n, sizeof(*rules));
	struct xf_compiled c;
	char text[64];

	assert_non_null(rules);
	for (unsigned int i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "ip6 dst ::/%u", i);
		parse_ok(text, &rules[i]);
	}
	assert_int_equal(xf_rules_compile(rules, n, &c), want_rc);
	if (!want_rc) {
		assert_int_equal(c.nmasks, n);
		assert_int_equal(c.nentries, n);
	} else {
		assert_null(c.entries);
		assert_int_equal(c.nentries, 0);
	}
	xf_rules_compiled_free(&c);
	free(rules);
}

static void test_compile_too_many_masks(void **state)
{
	(void)state;
	compile_prefix_lengths(40, -E2BIG);
	compile_prefix_lengths(XF_MAX_MASKS + 1, -E2BIG);
	compile_prefix_lengths(XF_MAX_MASKS, 0);
}

static void test_compile_too_many_rules(void **state)
{
	size_t n = XF_MAX_RULES + 1;
	struct xf_rule *rules = calloc(n, sizeof(*rules));
	struct xf_compiled c;

	(void)state;
	assert_non_null(rules);
	for (size_t i = 0; i < n; i++) {
		rules[i] = blank_rule();
		rules[i].fields = XF_RF_L4 | XF_RF_DPORT;
		rules[i].l4 = IPPROTO_UDP;
		rules[i].dport_lo = rules[i].dport_hi = i;
	}
	assert_int_equal(xf_rules_compile(rules, XF_MAX_RULES, &c), 0);
	assert_int_equal(c.nmasks, 1);
	assert_int_equal(c.nentries, XF_MAX_RULES);
	xf_rules_compiled_free(&c);
	assert_int_equal(xf_rules_compile(rules, n, &c), -E2BIG);
	assert_null(c.entries);
	xf_rules_compiled_free(&c);
	free(rules);
}

static void test_compile_too_many_entries(void **state)
{
	/* Few rules, but each range needs two blocks: the entries run out first. */
	size_t n = XF_MAX_RULES / 2 + 1;
	struct xf_rule *rules = calloc(n, sizeof(*rules));
	struct xf_compiled c;

	(void)state;
	assert_non_null(rules);
	for (size_t i = 0; i < n; i++) {
		rules[i] = blank_rule();
		rules[i].fields = XF_RF_L4 | XF_RF_DPORT;
		rules[i].l4 = IPPROTO_UDP;
		rules[i].dport_lo = 2 * i;
		rules[i].dport_hi = 2 * i + 2;
	}
	assert_int_equal(xf_rules_compile(rules, n - 1, &c), 0);
	assert_int_equal(c.nentries, XF_MAX_RULES);
	xf_rules_compiled_free(&c);
	assert_int_equal(xf_rules_compile(rules, n, &c), -E2BIG);
	assert_null(c.entries);
	assert_int_equal(c.nentries, 0);
	xf_rules_compiled_free(&c);
	free(rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_udp_dport),
		cmocka_unit_test(test_example_ip6_udp_dport_xsk),
		cmocka_unit_test(test_example_tcp_dport_pass),
		cmocka_unit_test(test_word_vlan),
		cmocka_unit_test(test_word_l3),
		cmocka_unit_test(test_word_l4),
		cmocka_unit_test(test_word_l4_with_family),
		cmocka_unit_test(test_word_prefix_v4),
		cmocka_unit_test(test_word_prefix_v6),
		cmocka_unit_test(test_word_src_and_dst),
		cmocka_unit_test(test_word_ports),
		cmocka_unit_test(test_word_ports_with_proto_numbers),
		cmocka_unit_test(test_word_queue),
		cmocka_unit_test(test_word_prio),
		cmocka_unit_test(test_default_prio_and_action),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_all_words_combined),
		cmocka_unit_test(test_any_word_order),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_longest_text_accepted),
		cmocka_unit_test(test_err_unknown_word),
		cmocka_unit_test(test_err_missing_value),
		cmocka_unit_test(test_err_out_of_range),
		cmocka_unit_test(test_err_not_a_number),
		cmocka_unit_test(test_err_range_upside_down),
		cmocka_unit_test(test_err_family_conflict),
		cmocka_unit_test(test_err_ports_need_tcp_or_udp),
		cmocka_unit_test(test_err_icmp_family),
		cmocka_unit_test(test_err_repeated_words),
		cmocka_unit_test(test_err_repeated_family_word),
		cmocka_unit_test(test_err_host_bits),
		cmocka_unit_test(test_err_prefix_length),
		cmocka_unit_test(test_err_bad_address),
		cmocka_unit_test(test_err_empty),
		cmocka_unit_test(test_err_matches_nothing),
		cmocka_unit_test(test_err_too_long),
		cmocka_unit_test(test_err_message_is_one_line),
		cmocka_unit_test(test_err_small_buffers),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_slot),
		cmocka_unit_test(test_canonical_text),
		cmocka_unit_test(test_format_truncates_like_snprintf),
		cmocka_unit_test(test_compile_empty),
		cmocka_unit_test(test_compile_one_rule),
		cmocka_unit_test(test_compile_every_field),
		cmocka_unit_test(test_compile_same_shape_one_mask),
		cmocka_unit_test(test_compile_range_1000_2000),
		cmocka_unit_test(test_compile_range_full),
		cmocka_unit_test(test_compile_range_single_ports),
		cmocka_unit_test(test_compile_range_others),
		cmocka_unit_test(test_compile_sport_dport_product),
		cmocka_unit_test(test_compile_spec),
		cmocka_unit_test(test_compile_duplicate_lower_prio_wins),
		cmocka_unit_test(test_compile_duplicate_lower_id_wins),
		cmocka_unit_test(test_compile_duplicate_best_in_middle),
		cmocka_unit_test(test_compile_duplicate_range_block),
		cmocka_unit_test(test_compile_different_masks_not_merged),
		cmocka_unit_test(test_compile_too_many_masks),
		cmocka_unit_test(test_compile_too_many_rules),
		cmocka_unit_test(test_compile_too_many_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
