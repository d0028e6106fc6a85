// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the xskflowd config parser: a good file read back field by field, and every
 * class of error reported as "file:line: key: reason", all of them, not just the first. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../user/daemon/config.c"

static char path[64];

static int write_conf(const char *text, mode_t mode)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/xfd-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	fchmod(fd, mode);
	close(fd);
	return 0;
}

struct loaded {
	struct config cfg;
	struct cfg_errors errs;
	int ret;
};

static void load(const char *text, struct loaded *l)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(write_conf(text, 0600), 0);
	l->ret = config_load(path, &l->cfg, &l->errs);
	unlink(path);
}

static void unload(struct loaded *l)
{
	config_free(&l->cfg);
	cfg_errors_free(&l->errs);
}

static void dump_errors(const struct loaded *l)
{
	for (size_t i = 0; i < l->errs.n; i++)
		print_message("  %s\n", l->errs.msg[i]);
}

/* Exactly one error, on @line, starting with "@key: " and containing @needle. */
static void expect_one(const char *text, unsigned int line, const char *key, const char *needle)
{
	char want[128];
	struct loaded l;
	const char *m, *rest;

	load(text, &l);
	if (l.errs.n != 1 || l.ret != -EINVAL) {
		dump_errors(&l);
		fail_msg("expected exactly one error (%s), got %zu (ret %d)", needle, l.errs.n,
			 l.ret);
	}
	m = l.errs.msg[0];
	snprintf(want, sizeof(want), "%s:%u: %s: ", path, line, key);
	if (!line)
		snprintf(want, sizeof(want), "%s: ", path);
	if (strncmp(m, want, strlen(want)))
		fail_msg("'%s' does not start with '%s'", m, want);
	rest = m + strlen(want);
	if (!strstr(rest, needle))
		fail_msg("'%s' does not say '%s'", m, needle);
	if (strchr(m, '\n'))
		fail_msg("'%s' spans lines", m);
	unload(&l);
}

#define IFACE	"[interface veth0]\n"
#define IFACE_LINES 1

static const char good[] =
	"; a full configuration\n"				/* 1 */
	"[daemon]\n"						/* 2 */
	"control_socket = /run/xf-test.sock\n"			/* 3 */
	"log_level = debug\n"					/* 4 */
	"stats_interval = 5\n"					/* 5 */
	"pinned_limit = 1G\n"					/* 6 */
	"\n"							/* 7 */
	"[interface veth0]\n"					/* 8 */
	"attach = native   ; inline comment\n"			/* 9 */
	"bind = copy\n"						/* 10 */
	"queues = 0-2,5\n"					/* 11 */
	"frame_size = 2048\n"					/* 12 */
	"frames = 1024\n"					/* 13 */
	"headroom = 128\n"					/* 14 */
	"need_wakeup = no\n"					/* 15 */
	"cpus = 0\n"						/* 16 */
	"\n"							/* 17 */
	"[handler echo]\n"					/* 18 */
	"type = reflect\n"					/* 19 */
	"[handler cap]\n"					/* 20 */
	"type = pcap\n"						/* 21 */
	"file = /tmp/cap.pcap\n"				/* 22 */
	"rotate_size = 10M\n"					/* 23 */
	"rotate_count = 3\n"					/* 24 */
	"compress = yes\n"					/* 25 */
	"# rules in file order\n"				/* 26 */
	"[rule echo4242]\n"					/* 27 */
	"interface = veth0\n"					/* 28 */
	"match = udp dport 4242\n"				/* 29 */
	"handler = echo\n"					/* 30 */
	"[rule web]\n"						/* 31 */
	"interface = veth0\n"					/* 32 */
	"match = prio 5 tcp dport 80-89\n"			/* 33 */
	"action = drop\n"					/* 34 */
	"[rule cap]\n"						/* 35 */
	"interface: veth0\n"					/* 36 */
	"match = ip6 udp dport 4243\n"				/* 37 */
	"handler = cap\n";					/* 38 */

static void test_good_config(void **state)
{
	struct loaded l;
	const struct cfg_iface *ifc;
	char list[64];

	(void)state;
	load(good, &l);
	if (l.ret) {
		dump_errors(&l);
		fail_msg("a good config was refused");
	}
	assert_int_equal(l.errs.n, 0);
	assert_string_equal(l.cfg.daemon.control_socket, "/run/xf-test.sock");
	assert_int_equal(l.cfg.daemon.log_level, LOG_LVL_DEBUG);
	assert_int_equal(l.cfg.daemon.stats_interval, 5);
	assert_true(l.cfg.daemon.pinned_limit == 1ull << 30);
	assert_string_equal(l.cfg.daemon.user, "");

	assert_int_equal(l.cfg.n_ifaces, 1);
	ifc = config_iface(&l.cfg, "veth0");
	assert_non_null(ifc);
	assert_int_equal(ifc->at.line, 8);
	assert_int_equal(ifc->attach, XF_ATTACH_NATIVE);
	assert_int_equal(ifc->bind, XF_BIND_COPY);
	assert_int_equal(ifc->nqueues, 4);
	cfg_format_list(ifc->queues, CFG_MAX_QUEUES, list, sizeof(list));
	assert_string_equal(list, "0-2,5");
	assert_int_equal(ifc->frame_size, 2048);
	assert_int_equal(ifc->frames, 1024);
	assert_int_equal(ifc->headroom, 128);
	assert_false(ifc->need_wakeup);
	assert_int_equal(ifc->ncpus, 1);
	assert_int_equal(ifc->ring_size, 2048);		/* default */
	assert_int_equal(ifc->busy_poll, 0);

	assert_int_equal(l.cfg.n_handlers, 2);
	assert_int_equal(l.cfg.handlers[0].type, HT_REFLECT);
	assert_int_equal(l.cfg.handlers[1].type, HT_PCAP);
	assert_string_equal(l.cfg.handlers[1].file, "/tmp/cap.pcap");
	assert_true(l.cfg.handlers[1].rotate_size == 10ull << 20);
	assert_int_equal(l.cfg.handlers[1].rotate_count, 3);
	assert_true(l.cfg.handlers[1].compress);
	assert_int_equal(l.cfg.handlers[1].snaplen, 262144);

	assert_int_equal(l.cfg.n_rules, 3);
	assert_string_equal(l.cfg.rules[0].name, "echo4242");
	assert_int_equal(l.cfg.rules[0].rule.action, XF_RULE_XSK);
	assert_int_equal(l.cfg.rules[0].rule.dport_lo, 4242);
	assert_int_equal(l.cfg.rules[0].handler_idx, 0);
	assert_int_equal(l.cfg.rules[0].iface_idx, 0);
	assert_int_equal(l.cfg.rules[1].rule.action, XF_RULE_DROP);
	assert_int_equal(l.cfg.rules[1].rule.prio, 5);
	assert_int_equal(l.cfg.rules[1].rule.dport_hi, 89);
	assert_int_equal(l.cfg.rules[1].handler_idx, -1);
	assert_int_equal(l.cfg.rules[2].rule.l3, 6);
	assert_int_equal(l.cfg.rules[2].handler_idx, 1);
	assert_int_equal(l.cfg.rules[2].at.key_line[key_index(CFG_RULE, "match")], 37);
	unload(&l);
}

/* Every default in the table passes its own validator, and a bare section gets them. */
static void test_defaults(void **state)
{
	struct loaded l;
	char why[WHY_LEN], field[PATH_MAX + 64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct cfg_key *k = &keys[i];

		assert_non_null(k->doc);
		assert_true(k->size <= sizeof(field));
		if (!k->dflt)
			continue;
		memset(field, 0, sizeof(field));
		if (k->set(k, field, k->dflt, why, sizeof(why)))
			fail_msg("default of '%s' (%s) is refused: %s", k->name, k->dflt, why);
	}
	load(IFACE "queues = 0\n", &l);
	assert_int_equal(l.ret, 0);
	assert_string_equal(l.cfg.daemon.control_socket, "/run/xskflowd.sock");
	assert_int_equal(l.cfg.daemon.log_level, LOG_LVL_INFO);
	assert_int_equal(l.cfg.daemon.stats_interval, 60);
	assert_true(l.cfg.daemon.pinned_limit > 0);
	assert_int_equal(l.cfg.ifaces[0].attach, XF_ATTACH_AUTO);
	assert_int_equal(l.cfg.ifaces[0].bind, XF_BIND_AUTO);
	assert_int_equal(l.cfg.ifaces[0].frame_size, 4096);
	assert_int_equal(l.cfg.ifaces[0].frames, 4096);
	assert_true(l.cfg.ifaces[0].need_wakeup);
	assert_false(l.cfg.ifaces[0].multi_buffer);
	assert_int_equal(l.cfg.ifaces[0].ncpus, 0);
	assert_false(l.cfg.ifaces[0].napi_yield);
	unload(&l);
	/* NAPI yielding too, and it goes with busy polling: the pollers sleep in poll(). */
	load(IFACE "queues = 0\nnapi_yield = yes\ncpus = 0\nbusy_poll = 50\n"
	     "[interface veth1]\nnapi_yield = no\n", &l);
	dump_errors(&l);
	assert_int_equal(l.ret, 0);
	assert_true(l.cfg.ifaces[0].napi_yield);
	assert_false(l.cfg.ifaces[1].napi_yield);
	assert_int_equal(config_iface_line(&l.cfg.ifaces[0], "napi_yield"), 3);
	assert_int_equal(config_iface_line(&l.cfg.ifaces[1], "napi_yield"), 7);
	assert_int_equal(config_iface_line(&l.cfg.ifaces[0], "hugepages"), 1);
	unload(&l);
	/* Multi-buffer is a port option of the library: accepted, per interface. */
	load(IFACE "queues = 0\nmulti_buffer = yes\n[interface veth1]\nmulti_buffer = no\n", &l);
	dump_errors(&l);
	assert_int_equal(l.ret, 0);
	assert_true(l.cfg.ifaces[0].multi_buffer);
	assert_false(l.cfg.ifaces[1].multi_buffer);
	unload(&l);
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_one(IFACE "colour = blue\n", 2, "colour", "unknown key in a [interface] section");
	expect_one(IFACE "[handler h]\ntype = count\nfile = /tmp/x\n", 4, "file",
		   "not used by handler type 'count'");
	expect_one("stray = 1\n" IFACE, 1, "stray", "outside any section");
}

static void test_bad_values(void **state)
{
	static const struct {
		const char *line, *key, *needle;
	} cases[] = {
		{ "frames = abc", "frames", "'abc' is not a whole number in 64-16777216" },
		{ "frames = 10", "frames", "in 64-16777216" },
		{ "frames = -5", "frames", "not a whole number" },
		{ "frame_size = 3000", "frame_size", "not a power of two" },
		{ "frame_size = 8192", "frame_size", "2048-4096" },
		{ "queues = 3-1", "queues", "not within" },
		{ "queues = 0,,1", "queues", "not a list" },
		{ "queues = 256", "queues", "not within 0-255" },
		{ "queues =", "queues", "empty" },
		{ "bind = turbo", "bind", "'turbo' is not one of auto, copy, zero-copy" },
		{ "attach = drv", "attach", "not one of auto, native, generic" },
		{ "need_wakeup = maybe", "need_wakeup", "not yes or no" },
		{ "hugepages = perhaps", "hugepages", "not yes or no" },
		{ "multi_buffer = jumbo", "multi_buffer", "'jumbo' is not yes or no" },
		{ "napi_yield = nice", "napi_yield", "'nice' is not yes or no" },
		{ "ring_size = 100", "ring_size", "not a power of two" },
		{ "busy_poll = 1e3", "busy_poll", "not a whole number" },
		{ "cpus = 4095", "cpus", "not within 0-1023" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[256];

		snprintf(text, sizeof(text), IFACE "%s\n", cases[i].line);
		expect_one(text, 2, cases[i].key, cases[i].needle);
	}
	expect_one("[daemon]\ncontrol_socket = run/x.sock\n" IFACE, 2, "control_socket",
		   "not an absolute path");
	expect_one("[daemon]\npinned_limit = 150%\n" IFACE, 2, "pinned_limit",
		   "not a percentage of RAM");
	expect_one("[daemon]\npinned_limit = 10Q\n" IFACE, 2, "pinned_limit",
		   "neither a size in bytes");
	expect_one("[daemon]\nlog_level = loud\n" IFACE, 2, "log_level", "not one of error");
	expect_one("[daemon]\nmetrics = 127.0.0.1\n" IFACE, 2, "metrics", "not ADDRESS:PORT");
	expect_one("[daemon]\nmetrics = 127.0.0.1:0\n" IFACE, 2, "metrics", "not ADDRESS:PORT");
	expect_one("[daemon]\nmetrics = 127.0.0.1:65536\n" IFACE, 2, "metrics",
		   "not ADDRESS:PORT");
	expect_one("[daemon]\nmetrics = localhost:9464\n" IFACE, 2, "metrics",
		   "numeric address");
	expect_one("[daemon]\nmetrics = ::1:9464\n" IFACE, 2, "metrics", "[::1]:9464");
	expect_one("[daemon]\nuser = no-such-user-xf\n" IFACE, 2, "user", "no user");
	expect_one("[daemon]\nuser = root\n" IFACE, 2, "user", "is root; leave the key out");
	expect_one("[daemon]\ncontrol_socket = /run/"
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" IFACE, 2, "control_socket", "longer than 107");
	expect_one(IFACE "[handler h]\ntype = pcap\nfile = /tmp/a\nrotate_size = 5X\n", 5,
		   "rotate_size", "not a size in bytes");
	expect_one(IFACE "[handler h]\ntype = pcap\nfile = cap.pcap\n", 4, "file",
		   "not an absolute path");
}

static void test_duplicates(void **state)
{
	(void)state;
	expect_one(IFACE "frames = 128\nframes = 256\n", 3, "frames",
		   "given twice in this section (first at line 2)");
	expect_one(IFACE "frames = 128\n[interface veth0]\nframes = 256\n", 3,
		   "[interface veth0]", "defined twice (first at line 1)");
	expect_one(IFACE "[handler a]\ntype = count\n[handler a]\ntype = reflect\n", 4,
		   "[handler a]", "defined twice (first at line 2)");
	expect_one("[daemon]\nlog_level = info\n[daemon]\nstats_interval = 1\n" IFACE, 3,
		   "[daemon]", "defined twice");
	expect_one(IFACE "[handler a]\ntype = pcap\nfile = /tmp/x\n"
		   "[handler b]\ntype = pcap\nfile = /tmp/x\n", 7, "file",
		   "already written by [handler a]");
}

static void test_references(void **state)
{
	(void)state;
	expect_one(IFACE "[rule r]\ninterface = eth9\nmatch = udp\naction = pass\n", 3,
		   "interface", "'eth9' is not defined; add an [interface eth9] section");
	expect_one(IFACE "[rule r]\ninterface = veth0\nmatch = udp\nhandler = nope\n", 5,
		   "handler", "'nope' is not defined; add a [handler nope] section");
	expect_one(IFACE "[rule r]\ninterface = veth0\nmatch = udp\n", 2, "handler",
		   "required in [rule r]");
	expect_one(IFACE "[handler h]\ntype = count\n[rule r]\ninterface = veth0\n"
		   "match = udp\naction = drop\nhandler = h\n", 8, "handler",
		   "only rules with action xsk have a handler");
	expect_one(IFACE "[handler h]\ntype = count\n[rule r]\ninterface = veth0\n"
		   "match = udp queue 3\nhandler = h\n", 6, "match",
		   "queue 3 is not one of [interface veth0] queues");
}

static void test_required(void **state)
{
	(void)state;
	expect_one(IFACE "[rule r]\ninterface = veth0\naction = pass\n", 2, "match",
		   "required in [rule r]");
	expect_one(IFACE "[handler h]\nfile = /tmp/x\n", 2, "type", "required in [handler h]");
	expect_one(IFACE "[handler h]\ntype = pcap\n", 2, "file", "required in [handler h]");
	expect_one(IFACE "[handler h]\ntype = plugin\n", 2, "path", "required in [handler h]");
	expect_one(IFACE "[handler h]\ntype = forward\n", 2, "interface",
		   "required in [handler h]");
	expect_one(IFACE "[handler h]\ntype = count\ninterface = veth1\n", 4, "interface",
		   "not used by handler type 'count'");
	expect_one(IFACE "[handler h]\ntype = pcap\nfile =\n", 4, "file", "empty");
	expect_one("[daemon]\nlog_level = info\n", 0, "", "no [interface NAME] section");
}

static void test_sections(void **state)
{
	(void)state;
	expect_one(IFACE "[filter x]\nkey = 1\n", 2, "[filter x]", "unknown section");
	expect_one(IFACE "[rule]\nmatch = udp\n", 2, "[rule]", "needs a name");
	expect_one("[daemon main]\nlog_level = info\n" IFACE, 1, "[daemon main]",
		   "takes no name");
	expect_one(IFACE "[rule a/b]\nmatch = udp\n", 2, "[rule a/b]", "not a section name");
	expect_one("[interface a/b]\nframes = 128\n" IFACE, 1, "[interface a/b]",
		   "not an interface name");
}

static void test_match(void **state)
{
	(void)state;
	expect_one(IFACE "[rule r]\ninterface = veth0\nmatch = udp dport 99999\naction = pass\n",
		   4, "match", "at 'dport'");
	expect_one(IFACE "[rule r]\ninterface = veth0\nmatch = udp dport 53 drop\naction = pass\n",
		   4, "match",
		   "'drop' is an action");
	expect_one(IFACE "[rule r]\ninterface = veth0\nmatch = udp slot 2\naction = pass\n", 4,
		   "match", "'slot' picks a socket");
}

static void test_cross_checks(void **state)
{
	(void)state;
	expect_one(IFACE "frame_size = 2048\nheadroom = 1800\n", 3, "headroom",
		   "leaves no room for a packet");
	expect_one("[daemon]\npinned_limit = 1M\n" IFACE "frames = 4096\n", 4, "frames",
		   "above pinned_limit");
	expect_one(IFACE "cpus = 1000\n", 2, "cpus", "does not exist");
}

#define FWD_RULE "[rule r]\ninterface = veth0\nmatch = udp\nhandler = f\n"

/* forward: the target is checked against the receiving interface and its queues, and the
 * interface learns which TX sockets its pollers need. */
static void test_forward(void **state)
{
	struct loaded l;

	(void)state;
	load(IFACE "queues = 0-1\n[handler f]\ntype = forward\ninterface = veth9\n"
	     "[handler g]\ntype = forward\ninterface = veth8\n" FWD_RULE
	     "[rule r2]\ninterface = veth0\nmatch = tcp\nhandler = g\n"
	     "[rule r3]\ninterface = veth0\nmatch = icmp\nhandler = f\n", &l);
	dump_errors(&l);
	assert_int_equal(l.ret, 0);
	assert_int_equal(l.cfg.handlers[0].type, HT_FORWARD);
	assert_string_equal(l.cfg.handlers[0].iface, "veth9");
	assert_int_equal(l.cfg.ifaces[0].nouts, 2);
	assert_string_equal(l.cfg.ifaces[0].outs[0], "veth9");
	assert_string_equal(l.cfg.ifaces[0].outs[1], "veth8");
	unload(&l);

	expect_one(IFACE "[handler f]\ntype = forward\ninterface = veth0\n" FWD_RULE, 8,
		   "handler", "forwards out of 'veth0', the interface rule 'r' receives on");
	/* The daemon receives on veth1 queue 0 with another UMEM. */
	expect_one(IFACE "[interface veth1]\n[handler f]\ntype = forward\ninterface = veth1\n"
		   FWD_RULE, 9, "handler", "forwards to 'veth1' queue 0, where [interface veth1] "
		   "receives with its own UMEM");
	/* Other queues there are fine. */
	load(IFACE "[interface veth1]\nqueues = 1\n[handler f]\ntype = forward\n"
	     "interface = veth1\n" FWD_RULE, &l);
	dump_errors(&l);
	assert_int_equal(l.ret, 0);
	assert_int_equal(l.cfg.ifaces[0].nouts, 1);
	assert_int_equal(l.cfg.ifaces[1].nouts, 0);
	unload(&l);
	expect_one(IFACE "[handler f]\ntype = forward\ninterface = a/b\n", 4, "interface",
		   "not an interface name");
	/* Two interfaces forwarding to one target on a shared queue: one UMEM per (veth9, 0). */
	expect_one(IFACE "[interface veth1]\n[handler f]\ntype = forward\ninterface = veth9\n"
		   FWD_RULE "[rule r2]\ninterface = veth1\nmatch = udp\nhandler = f\n", 13,
		   "handler", "forwards to 'veth9' queue 0, which [interface veth0] already "
		   "forwards to with its own UMEM");
	/* On different queues they may. */
	load(IFACE "[interface veth1]\nqueues = 1\n[handler f]\ntype = forward\n"
	     "interface = veth9\n" FWD_RULE
	     "[rule r2]\ninterface = veth1\nmatch = udp\nhandler = f\n", &l);
	dump_errors(&l);
	assert_int_equal(l.ret, 0);
	assert_int_equal(l.cfg.ifaces[0].nouts, 1);
	assert_int_equal(l.cfg.ifaces[1].nouts, 1);
	unload(&l);
}

static void test_listen(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	(void)state;
	assert_int_equal(cfg_parse_listen("127.0.0.1:9464", &ss, &len), 0);
	assert_int_equal(a4->sin_family, AF_INET);
	assert_int_equal(ntohs(a4->sin_port), 9464);
	assert_int_equal(ntohl(a4->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(len, sizeof(*a4));
	assert_int_equal(cfg_parse_listen("[::1]:80", &ss, &len), 0);
	assert_int_equal(a6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(a6->sin6_port), 80);
	assert_true(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	assert_int_equal(cfg_parse_listen("[::1]", &ss, &len), -EINVAL);
	assert_int_equal(cfg_parse_listen("[]:80", &ss, &len), -EINVAL);
	assert_int_equal(cfg_parse_listen("1.2.3.4:80x", &ss, &len), -EINVAL);
	assert_int_equal(cfg_parse_listen(":80", &ss, &len), -EINVAL);
}

static void test_syntax(void **state)
{
	struct loaded l;

	(void)state;
	expect_one(IFACE "frames 128\n", 2, "syntax error", "expected [section]");
	expect_one(IFACE "[rule x\n", 2, "syntax error", "expected [section]");
	/* Every bad line is named, not just the first. */
	load(IFACE "frames 128\nqueues = 0\nbind copy\n[oops\n", &l);
	assert_int_equal(l.ret, -EINVAL);
	if (l.errs.n != 3) {
		dump_errors(&l);
		fail_msg("expected 3 syntax errors");
	}
	assert_non_null(strstr(l.errs.msg[0], ":2: syntax error"));
	assert_non_null(strstr(l.errs.msg[1], ":4: syntax error"));
	assert_non_null(strstr(l.errs.msg[2], ":5: syntax error"));
	unload(&l);
	{
		char text[400];

		snprintf(text, sizeof(text), IFACE "; %0300d\n", 0);
		expect_one(text, 2, "line", "longer than 197 characters");
	}
}

/* All errors of a file are reported, each once, in file order. */
static void test_every_error(void **state)
{
	struct loaded l;

	(void)state;
	load("[daemon]\n"
	     "log_level = shouty\n"		/* 2 */
	     IFACE				/* 3 */
	     "frames = x\n"			/* 4 */
	     "colour = red\n"			/* 5 */
	     "[rule r]\n"			/* 6 */
	     "interface = nope0\n"		/* 7 */
	     "match = udp\n"			/* 8 */
	     "handler = missing\n",		/* 9 */
	     &l);
	assert_int_equal(l.ret, -EINVAL);
	if (l.errs.n != 5)
		dump_errors(&l);
	assert_int_equal(l.errs.n, 5);
	assert_non_null(strstr(l.errs.msg[0], ":2: log_level: "));
	assert_non_null(strstr(l.errs.msg[1], ":4: frames: "));
	assert_non_null(strstr(l.errs.msg[2], ":5: colour: "));
	assert_non_null(strstr(l.errs.msg[3], ":7: interface: "));
	assert_non_null(strstr(l.errs.msg[4], ":9: handler: "));
	unload(&l);
}

static void test_file_checks(void **state)
{
	struct config cfg;
	struct cfg_errors errs = {};

	(void)state;
	assert_int_equal(write_conf(IFACE, 0620), 0);
	assert_int_equal(config_load(path, &cfg, &errs), -EPERM);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "writable by group or others"));
	assert_non_null(strstr(errs.msg[0], "chmod go-w"));
	config_free(&cfg);
	cfg_errors_free(&errs);

	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(config_load(path, &cfg, &errs), -EPERM);
	config_free(&cfg);
	cfg_errors_free(&errs);

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(config_load(path, &cfg, &errs), 0);
	config_free(&cfg);
	cfg_errors_free(&errs);
	unlink(path);

	assert_int_equal(config_load("/nonexistent/xskflowd.conf", &cfg, &errs), -ENOENT);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "/nonexistent/xskflowd.conf: cannot open"));
	config_free(&cfg);
	cfg_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_every_error),
		cmocka_unit_test(test_file_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
