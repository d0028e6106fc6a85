// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the guards behind `xskflow doctor`: the pinned-memory limit at its boundary,
 * NUMA placement of UMEMs (checked with get_mempolicy and move_pages), and the sysinfo facts,
 * read from fake sysfs/procfs trees and from a private network namespace. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xskflow/xskflow.h>
#include "xf_internal.h"

#define PIN_ENV "XSKFLOW_PIN_LIMIT"
#define UMEM_FRAMES 64
#define UMEM_BYTES ((size_t)UMEM_FRAMES * 4096)

/* ---- helpers ---- */

static char logged[2048];
static unsigned int nlogged;

static int capture_print(enum xf_log_level level, const char *fmt, va_list args)
{
	size_t used = strlen(logged);

	if (level > XF_LOG_WARN)
		return 0;
	nlogged++;
	vsnprintf(logged + used, sizeof(logged) - used, fmt, args);
	return 0;
}

static void capture_reset(void)
{
	logged[0] = '\0';
	nlogged = 0;
}

static void assert_logged(const char *needle)
{
	if (!strstr(logged, needle))
		fail_msg("the log does not mention '%s': %s", needle, logged);
}

/* MemTotal in bytes, read here independently of the library. */
static __u64 memtotal(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb > 0);
	return (__u64)kb * 1024;
}

static struct xf_umem *umem_of(__u32 frames)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = frames);

	return xf_umem__create(&o);
}

/* Each test starts with the default limit and no environment override. */
static int reset_limit(void **state)
{
	(void)state;
	unsetenv(PIN_ENV);
	xf_set_pin_limit(0);
	xf_sysfs_root = "/sys";
	xf_procfs_root = "/proc";
	capture_reset();
	return 0;
}

/* ---- the pinned-memory limit ---- */

static void test_pin_limit_default_is_quarter_of_ram(void **state)
{
	enum xf_pin_limit_source src = XF_PIN_LIMIT_FROM_ENV;
	__u64 ram = memtotal();

	(void)state;
	assert_int_equal(XF_PIN_LIMIT_DEFAULT_SHARE, 25);
	assert_int_equal(xf_pin_limit(&src), ram * 25 / 100);
	assert_int_equal(src, XF_PIN_LIMIT_FROM_DEFAULT);
	assert_int_equal(xf_pin_limit(NULL), ram * 25 / 100);
}

static void test_pin_limit_set_and_reset(void **state)
{
	enum xf_pin_limit_source src;

	(void)state;
	assert_int_equal(xf_set_pin_limit(123456789), 0);
	assert_int_equal(xf_pin_limit(&src), 123456789);
	assert_int_equal(src, XF_PIN_LIMIT_FROM_CALL);
	assert_int_equal(xf_set_pin_limit(0), 0);
	assert_int_equal(xf_pin_limit(&src), memtotal() * 25 / 100);
	assert_int_equal(src, XF_PIN_LIMIT_FROM_DEFAULT);
}

static void test_pin_limit_env_overrides_call(void **state)
{
	enum xf_pin_limit_source src;

	(void)state;
	xf_set_pin_limit(5u << 20);
	setenv(PIN_ENV, "3M", 1);
	assert_int_equal(xf_pin_limit(&src), 3u << 20);
	assert_int_equal(src, XF_PIN_LIMIT_FROM_ENV);
	unsetenv(PIN_ENV);
	assert_int_equal(xf_pin_limit(&src), 5u << 20);
	assert_int_equal(src, XF_PIN_LIMIT_FROM_CALL);
}

static void test_pin_limit_env_invalid_is_ignored_and_logged(void **state)
{
	enum xf_pin_limit_source src;
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	xf_set_pin_limit(7u << 20);
	setenv(PIN_ENV, "lots", 1);
	assert_int_equal(xf_pin_limit(&src), 7u << 20);
	assert_int_equal(src, XF_PIN_LIMIT_FROM_CALL);
	assert_int_equal(nlogged, 1);
	assert_logged(PIN_ENV "='lots'");
	xf_set_print(old);
}

static void test_pin_limit_parse(void **state)
{
	static const struct {
		const char *s;
		int err;
		size_t want;	/* (size_t)-1: 10% of the fake RAM below */
	} t[] = {
		{ "0", 0, 0 },		{ "4096", 0, 4096 },	{ "1K", 0, 1024 },
		{ "1k", 0, 1024 },	{ "3M", 0, 3u << 20 },	{ "2G", 0, 2ul << 30 },
		{ "1T", 0, 1ul << 40 }, { "10%", 0, (size_t)-1 }, { "100%", 0, 1000000000 },
		{ "0%", 0, 0 },
		{ "", -EINVAL, 0 },	{ "-1", -EINVAL, 0 },	{ " 1", -EINVAL, 0 },
		{ "1X", -EINVAL, 0 },	{ "1KB", -EINVAL, 0 },	{ "1.5G", -EINVAL, 0 },
		{ "101%", -EINVAL, 0 }, { "5%x", -EINVAL, 0 },	{ "M", -EINVAL, 0 },
		{ "99999999999999999999", -EINVAL, 0 },	{ "17179869184T", -EINVAL, 0 },
	};
	size_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 77;
		if (xf_pin_limit_parse(t[i].s, 1000000000, &v) != t[i].err)
			fail_msg("'%s': expected %d", t[i].s, t[i].err);
		if (t[i].err)
			assert_int_equal(v, 77);
		else if (v != (t[i].want == (size_t)-1 ? 100000000 : t[i].want))
			fail_msg("'%s' parsed as %zu", t[i].s, v);
	}
	/* A percentage needs to know the RAM. */
	assert_int_equal(xf_pin_limit_parse("10%", 0, &v), -EINVAL);
	assert_int_equal(xf_pin_limit_parse(NULL, 1000, &v), -EINVAL);
}

static void test_guard_accepts_exactly_at_limit(void **state)
{
	size_t before = xf_pinned_bytes();
	struct xf_umem *u;

	(void)state;
	xf_set_pin_limit(before + UMEM_BYTES);
	u = umem_of(UMEM_FRAMES);
	if (!u)
		fail_msg("refused at the limit: %s", strerror(errno));
	assert_int_equal(xf_pinned_bytes(), before + UMEM_BYTES);
	assert_int_equal(xf_pinned_bytes(), xf_pin_limit(NULL));
	assert_int_equal(xf_umem__destroy(u), 0);
	assert_int_equal(xf_pinned_bytes(), before);
}

static void test_guard_refuses_one_byte_over(void **state)
{
	size_t before = xf_pinned_bytes();
	char want[128];
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	xf_set_pin_limit(before + UMEM_BYTES - 1);
	errno = 0;
	assert_null(umem_of(UMEM_FRAMES));
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(xf_pinned_bytes(), before);
	/* One line: pinned now, asked for, limit, where the limit comes from, what to change. */
	assert_int_equal(nlogged, 1);
	assert_null(strchr(logged, '\n'));
	snprintf(want, sizeof(want), "pinning %zu more bytes", UMEM_BYTES);
	assert_logged(want);
	snprintf(want, sizeof(want), "%zu pinned now", before);
	assert_logged(want);
	snprintf(want, sizeof(want), "limit %zu (set by xf_set_pin_limit())", before + UMEM_BYTES - 1);
	assert_logged(want);
	assert_logged("raise " PIN_ENV);
	xf_set_print(old);
}

static void test_guard_message_names_env(void **state)
{
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	setenv(PIN_ENV, "1K", 1);
	assert_null(umem_of(UMEM_FRAMES));
	assert_int_equal(errno, ENOBUFS);
	assert_logged("limit 1024 (from " PIN_ENV ")");
	xf_set_print(old);
}

static void test_guard_counts_live_umems(void **state)
{
	size_t before = xf_pinned_bytes();
	struct xf_umem *a, *b, *c;

	(void)state;
	xf_set_pin_limit(before + 2 * UMEM_BYTES);
	a = umem_of(UMEM_FRAMES);
	b = umem_of(UMEM_FRAMES);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(umem_of(UMEM_FRAMES));
	assert_int_equal(errno, ENOBUFS);
	/* A smaller one that fits nowhere either: the limit is reached. */
	assert_null(umem_of(2));
	assert_int_equal(xf_umem__destroy(a), 0);
	c = umem_of(UMEM_FRAMES);
	assert_non_null(c);
	assert_int_equal(xf_umem__destroy(b), 0);
	assert_int_equal(xf_umem__destroy(c), 0);
	assert_int_equal(xf_pinned_bytes(), before);
}

static void test_guard_refusal_by_other_checks_pins_nothing(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = UMEM_FRAMES, .fill_size = 3);
	size_t before = xf_pinned_bytes();

	(void)state;
	xf_set_pin_limit(before + UMEM_BYTES);
	assert_null(xf_umem__create(&o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xf_pinned_bytes(), before);
	o.fill_size = 0;
	o.flags = XF_UMEM_F_NUMA_NODE;
	o.numa_node = 4000;
	assert_null(xf_umem__create(&o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xf_pinned_bytes(), before);
}

#define RACERS 8
#define RACE_ROUNDS 20

static pthread_barrier_t race_barrier;

static void *racer(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&race_barrier);
	return umem_of(UMEM_FRAMES);
}

/* Threads creating UMEMs at once never pass the limit together. */
static void test_guard_concurrent_creates(void **state)
{
	size_t before = xf_pinned_bytes();

	(void)state;
	xf_set_pin_limit(before + 3 * UMEM_BYTES);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		pthread_t th[RACERS];
		void *res[RACERS];
		int made = 0;

		assert_int_equal(pthread_barrier_init(&race_barrier, NULL, RACERS), 0);
		for (int i = 0; i < RACERS; i++)
			assert_int_equal(pthread_create(&th[i], NULL, racer, NULL), 0);
		for (int i = 0; i < RACERS; i++) {
			pthread_join(th[i], &res[i]);
			made += res[i] != NULL;
		}
		pthread_barrier_destroy(&race_barrier);
		assert_int_equal(made, 3);
		assert_int_equal(xf_pinned_bytes(), before + 3 * UMEM_BYTES);
		for (int i = 0; i < RACERS; i++)
			if (res[i])
				assert_int_equal(xf_umem__destroy(res[i]), 0);
		assert_int_equal(xf_pinned_bytes(), before);
	}
}

/* ---- NUMA placement ---- */

#define MASK_BITS 1024
#define LONG_BITS (8 * sizeof(unsigned long))

static void assert_policy(void *addr, int want_mode, int want_node)
{
	unsigned long mask[MASK_BITS / LONG_BITS] = {};
	int mode = -1;

	if (get_mempolicy(&mode, mask, MASK_BITS + 1, addr, MPOL_F_ADDR))
		fail_msg("get_mempolicy: %s", strerror(errno));
	assert_int_equal(mode, want_mode);
	for (int n = 0; n < MASK_BITS && want_node >= 0; n++) {
		bool set = mask[n / LONG_BITS] & (1ul << (n % LONG_BITS));

		if (set != (n == want_node))
			fail_msg("policy node mask: node %d is %s", n, set ? "set" : "clear");
	}
}

/* Every page of the area is present and on @node (-1: on any node). */
static void assert_pages_on(const struct xf_umem *u, int node)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t n = u->size / (size_t)page;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	assert_non_null(pages);
	assert_non_null(status);
	for (size_t i = 0; i < n; i++)
		pages[i] = (char *)u->area + i * (size_t)page;
	if (move_pages(0, n, pages, NULL, status, 0))
		fail_msg("move_pages: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		if (node >= 0 ? status[i] != node : status[i] < 0)
			fail_msg("page %zu: status %d, expected node %d", i, status[i], node);
	free(pages);
	free(status);
}

static void test_numa_bind_node0(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = UMEM_FRAMES,
		.flags = XF_UMEM_F_NUMA_NODE, .numa_node = 0);
	struct xf_umem *u;

	(void)state;
	u = xf_umem__create(&o);
	if (!u)
		fail_msg("bind to node 0: %s", strerror(errno));
	assert_int_equal(xf_umem__numa_node(u), 0);
	assert_policy(u->area, MPOL_BIND, 0);
	assert_policy((char *)u->area + u->size - 1, MPOL_BIND, 0);
	assert_pages_on(u, 0);
	assert_int_equal(xf_umem__destroy(u), 0);
}

/* 0 is a node, and zeroed options mean "no placement": only the flag asks for one. */
static void test_numa_zero_node_without_flag_is_default(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = UMEM_FRAMES);
	struct xf_umem *u;

	(void)state;
	assert_int_equal(o.numa_node, 0);
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__numa_node(u), -1);
	assert_policy(u->area, MPOL_DEFAULT, -1);
	/* Populated by mmap as before, wherever the kernel chose. */
	assert_pages_on(u, -1);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_numa_missing_node_refused(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = UMEM_FRAMES,
		.flags = XF_UMEM_F_NUMA_NODE);
	size_t before = xf_pinned_bytes();
	const int bad[] = { numa_max_node() + 1, -1, 1024, INT_MAX };
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		capture_reset();
		o.numa_node = bad[i];
		errno = 0;
		if (xf_umem__create(&o))
			fail_msg("node %d accepted", bad[i]);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(xf_pinned_bytes(), before);
		assert_int_equal(nlogged, 1);
		assert_logged("NUMA node");
	}
	xf_set_print(old);
}

static void test_numa_older_caller_ignores_node(void **state)
{
	struct xf_umem_opts o;
	struct xf_umem *u;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sz = offsetof(struct xf_umem_opts, flags);
	o.frame_count = UMEM_FRAMES;
	o.flags = XF_UMEM_F_NUMA_NODE;	/* beyond sz: never read */
	o.numa_node = 4000;
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__numa_node(u), -1);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_numa_unknown_ifname_refused(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_count = UMEM_FRAMES, .numa_ifname = "xfnosuch0");
	size_t before = xf_pinned_bytes();
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	assert_null(xf_umem__create(&o));
	assert_int_equal(errno, ENODEV);
	assert_int_equal(xf_pinned_bytes(), before);
	assert_logged("interface 'xfnosuch0' not found");
	xf_set_print(old);
}

/* ---- fake sysfs and procfs ---- */

static char fake_root[64];

static void put_file(const char *rel, const char *text)
{
	char path[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	for (slash = strchr(path + strlen(fake_root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_link(const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int fake_setup(void **state)
{
	reset_limit(state);
	snprintf(fake_root, sizeof(fake_root), "/tmp/xf-guard.XXXXXX");
	assert_non_null(mkdtemp(fake_root));
	xf_sysfs_root = fake_root;
	xf_procfs_root = fake_root;
	return 0;
}

static int fake_teardown(void **state)
{
	(void)state;
	nftw(fake_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	xf_sysfs_root = "/sys";
	xf_procfs_root = "/proc";
	return 0;
}

/* "lo" exists in the test's private network namespace; its sysfs here is made up. */
static void fake_lo(const char *numa, const char *group)
{
	put_file("class/net/lo/queues/rx-0/rps_cpus", "0\n");
	put_file("class/net/lo/queues/rx-1/rps_cpus", "0\n");
	put_file("class/net/lo/queues/tx-0/xps_cpus", "0\n");
	put_file("class/net/lo/statistics/rx_dropped", "5\n");
	put_file("class/net/lo/statistics/rx_missed_errors", "3\n");
	put_file("class/net/lo/statistics/rx_fifo_errors", "0\n");
	put_file("class/net/lo/statistics/tx_dropped", "2\n");
	if (numa)
		put_file("class/net/lo/device/numa_node", numa);
	if (group) {
		char target[128];

		snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%s", group);
		put_link("class/net/lo/device/iommu_group", target);
	}
}

static void test_iface_device_behind_iommu(void **state)
{
	struct xf_iface_info i = { .sz = sizeof(i) };

	(void)state;
	fake_lo("0\n", "17");
	assert_int_equal(xf_sysinfo_iface("lo", &i), 0);
	assert_true(i.ifindex > 0);
	assert_true(i.has_device);
	assert_int_equal(i.numa_node, 0);
	assert_int_equal(i.iommu_group, 17);
	assert_int_equal(i.sysfs_rx, 2);
	assert_int_equal(i.sysfs_tx, 1);
	assert_int_equal(i.rx_dropped, 5);
	assert_int_equal(i.rx_missed_errors, 3);
	assert_int_equal(i.rx_fifo_errors, 0);
	assert_int_equal(i.tx_dropped, 2);
	assert_int_equal(xf_iface_numa_node("lo"), 0);
}

static void test_iface_device_without_iommu_or_node(void **state)
{
	struct xf_iface_info i = { .sz = sizeof(i) };

	(void)state;
	fake_lo("-1\n", NULL);
	assert_int_equal(xf_sysinfo_iface("lo", &i), 0);
	assert_true(i.has_device);
	assert_int_equal(i.numa_node, -1);
	assert_int_equal(i.iommu_group, -1);
	assert_int_equal(xf_iface_numa_node("lo"), -ENOENT);
}

static void test_iface_virtual_no_device(void **state)
{
	struct xf_iface_info i = { .sz = sizeof(i) };

	(void)state;
	fake_lo(NULL, NULL);
	assert_int_equal(xf_sysinfo_iface("lo", &i), 0);
	assert_false(i.has_device);
	assert_int_equal(i.numa_node, -1);
	assert_int_equal(i.iommu_group, -1);
	assert_int_equal(xf_iface_numa_node("lo"), -ENOENT);
}

static void test_umem_on_device_node(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_count = UMEM_FRAMES, .numa_ifname = "lo");
	struct xf_umem *u;

	(void)state;
	fake_lo("0\n", NULL);
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__numa_node(u), 0);
	assert_policy(u->area, MPOL_PREFERRED, 0);
	assert_pages_on(u, 0);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_umem_device_node_unknown(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_count = UMEM_FRAMES, .numa_ifname = "lo");
	struct xf_umem *u;

	(void)state;
	fake_lo("-1\n", NULL);
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__numa_node(u), -1);
	assert_policy(u->area, MPOL_DEFAULT, -1);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_iface_unknown(void **state)
{
	struct xf_iface_info i = { .sz = sizeof(i) };
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	assert_int_equal(xf_sysinfo_iface("xfnosuch0", &i), -ENODEV);
	assert_int_equal(nlogged, 1);
	assert_logged("interface 'xfnosuch0' not found");
	assert_int_equal(xf_iface_numa_node("xfnosuch0"), -ENODEV);
	xf_set_print(old);
}

static const char fake_meminfo[] =
	"MemTotal:        1000000 kB\n"
	"MemFree:          500000 kB\n"
	"Unevictable:        2048 kB\n"
	"Mlocked:            1024 kB\n"
	"HugePages_Total:      16\n"
	"HugePages_Free:       12\n"
	"HugePages_Rsvd:        3\n"
	"HugePages_Surp:        1\n"
	"Hugepagesize:       2048 kB\n";

static void test_mem_from_meminfo(void **state)
{
	struct xf_mem_info m = { .sz = sizeof(m) };
	struct rlimit rl;

	(void)state;
	put_file("meminfo", fake_meminfo);
	assert_int_equal(xf_sysinfo_mem(&m), 0);
	assert_int_equal(m.ram, 1000000ull * 1024);
	assert_int_equal(m.unevictable, 2048 * 1024);
	assert_int_equal(m.mlocked, 1024 * 1024);
	assert_int_equal(m.hugepages_total, 16);
	assert_int_equal(m.hugepages_free, 12);
	assert_int_equal(m.hugepages_rsvd, 3);
	assert_int_equal(m.hugepages_surp, 1);
	assert_int_equal(m.hugepage_size, 2048 * 1024);
	/* The default limit follows the RAM the library sees. */
	assert_int_equal(m.pin_limit, 1000000ull * 1024 * 25 / 100);
	assert_int_equal(m.pin_limit_source, XF_PIN_LIMIT_FROM_DEFAULT);
	assert_int_equal(m.pinned, xf_pinned_bytes());
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	assert_int_equal(m.memlock_cur, rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur);
	assert_int_equal(m.memlock_max, rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max);
	/* Root in the initial user namespace holds CAP_IPC_LOCK. */
	assert_true(m.cap_ipc_lock);
	/* A percentage limit is a share of that RAM too. */
	setenv(PIN_ENV, "10%", 1);
	assert_int_equal(xf_pin_limit(NULL), 1000000ull * 1024 / 10);
}

static void test_mem_unreadable_meminfo(void **state)
{
	struct xf_mem_info m = { .sz = sizeof(m) };

	(void)state;
	assert_int_equal(xf_sysinfo_mem(&m), -ENOENT);
}

/* An older caller's struct gets only what it knows; a newer one's unknown tail is zeroed;
 * a size too small to hold sz is refused. */
static void test_info_struct_sizes(void **state)
{
	union {
		struct xf_mem_info m;
		unsigned char raw[sizeof(struct xf_mem_info) + 64];
	} u;
	size_t old_sz = offsetof(struct xf_mem_info, mlocked);

	(void)state;
	put_file("meminfo", fake_meminfo);
	memset(&u, 0xa5, sizeof(u));
	u.m.sz = old_sz;
	assert_int_equal(xf_sysinfo_mem(&u.m), 0);
	assert_int_equal(u.m.ram, 1000000ull * 1024);
	for (size_t i = old_sz; i < sizeof(u); i++)
		if (u.raw[i] != 0xa5)
			fail_msg("byte %zu beyond sz was written", i);

	memset(&u, 0xa5, sizeof(u));
	u.m.sz = sizeof(u);
	assert_int_equal(xf_sysinfo_mem(&u.m), 0);
	assert_int_equal(u.m.hugepages_total, 16);
	for (size_t i = sizeof(struct xf_mem_info); i < sizeof(u); i++)
		assert_int_equal(u.raw[i], 0);

	u.m.sz = 4;
	assert_int_equal(xf_sysinfo_mem(&u.m), -EINVAL);
}

/* ---- the real kernel, inside the test's own network namespace ---- */

static void test_kernel_facts(void **state)
{
	struct xf_kernel_info k = { .sz = sizeof(k) };
	struct utsname un;
	struct statfs sf;
	char want[16];

	(void)state;
	assert_int_equal(xf_sysinfo_kernel(&k), 0);
	assert_int_equal(uname(&un), 0);
	assert_string_equal(k.release, un.release);
	assert_string_equal(k.bpffs_path, "/sys/fs/bpf");
	assert_int_equal(k.bpffs, !statfs("/sys/fs/bpf", &sf) && sf.f_type == 0xcafe4a11);
	snprintf(want, sizeof(want), "%u.%u", libbpf_major_version(), libbpf_minor_version());
	assert_string_equal(k.libbpf_version, want);
	/* Root can always open an AF_XDP socket on a kernel with AF_XDP. */
	assert_int_equal(k.af_xdp, XF_YES);
	assert_int_equal(k.need_wakeup, XF_YES);
	assert_true(k.busy_poll != XF_UNKNOWN);
	/* The BTF answers are the kernel's: both known when it has BTF. */
	if (!access("/sys/kernel/btf/vmlinux", R_OK)) {
		assert_true(k.multi_buffer != XF_UNKNOWN);
		assert_true(k.tx_metadata != XF_UNKNOWN);
	} else {
		assert_int_equal(k.multi_buffer, XF_UNKNOWN);
	}
	setenv("LIBXDP_BPFFS", "/nonexistent/bpffs", 1);
	assert_int_equal(xf_sysinfo_kernel(&k), 0);
	unsetenv("LIBXDP_BPFFS");
	assert_string_equal(k.bpffs_path, "/nonexistent/bpffs");
	assert_false(k.bpffs);
}

static int sysfs_cpu_node(int cpu)
{
	char path[128];

	for (int n = 0; n < 1024; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/node%d", cpu, n);
		if (!access(path, F_OK))
			return n;
	}
	return -1;
}

static void test_numa_helpers(void **state)
{
	int cpus[CPU_SETSIZE], one;
	cpu_set_t set;
	int n, nodes = 0;
	char path[64];

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	n = xf_numa_node_cpus(-1, cpus, CPU_SETSIZE);
	assert_int_equal(n, CPU_COUNT(&set));
	for (int i = 0; i < n; i++) {
		assert_true(CPU_ISSET(cpus[i], &set));
		assert_int_equal(xf_cpu_numa_node(cpus[i]), sysfs_cpu_node(cpus[i]));
		if (i)
			assert_true(cpus[i] > cpus[i - 1]);
	}
	/* Only @max stored, the full count returned. */
	one = -1;
	assert_int_equal(xf_numa_node_cpus(-1, &one, 1), n);
	assert_int_equal(one, cpus[0]);
	for (int i = 0; i < 1024; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", i);
		nodes += !access(path, F_OK);
	}
	assert_int_equal(xf_numa_nodes(), nodes ? nodes : 1);
	assert_int_equal(xf_numa_node_cpus(nodes + 5, cpus, CPU_SETSIZE), -EINVAL);
	assert_int_equal(xf_numa_node_cpus(-2, cpus, CPU_SETSIZE), -EINVAL);
	assert_int_equal(xf_cpu_numa_node(-1), -EINVAL);
	assert_int_equal(xf_cpu_numa_node(1 << 20), -EINVAL);
}

static void test_lo_has_no_xdp(void **state)
{
	struct xf_xdp_attached a = { .sz = sizeof(a) };
	struct xf_xdp_features f = { .sz = sizeof(f) };

	(void)state;
	assert_int_equal(xf_sysinfo_xdp_attached("lo", &a), 0);
	assert_int_equal(a.mode, XDP_ATTACHED_NONE);
	assert_int_equal(a.nprogs, 0);
	assert_string_equal(xf_xdp_attached_str(XDP_ATTACHED_SKB), "generic");
	assert_string_equal(xf_xdp_attached_str(XDP_ATTACHED_DRV), "native");
	assert_string_equal(xf_xdp_attached_str(99), "unknown");
	/* Loopback has no driver-mode XDP at all. */
	assert_int_equal(xf_sysinfo_xdp_features("lo", &f), 0);
	assert_int_equal(f.xdp & XF_XDP_BASIC, 0);
	assert_int_equal(f.xdp & XF_XDP_XSK_ZEROCOPY, 0);
	assert_false(f.zc_max_segs_known);
}

static int count_xsk(const struct xf_queue_info *q, int n, bool tx, __u32 id)
{
	int hits = 0;

	for (int i = 0; i < n; i++)
		if (q[i].tx == tx && q[i].id == id && q[i].xsk)
			hits++;
	return hits;
}

static void set_lo_up(bool up)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

/* A socket bound to lo queue 0 shows up on that queue, and goes away with it. */
static void test_queues_show_bound_socket(void **state)
{
	struct xf_queue_info q[16];
	struct xf_umem *u;
	struct xf_port *p;
	int n;

	(void)state;
	set_lo_up(false);
	assert_int_equal(xf_sysinfo_queues("lo", q, 16), -ENETDOWN);
	set_lo_up(true);
	n = xf_sysinfo_queues("lo", q, 16);
	assert_true(n >= 2);
	for (int i = 0; i < n; i++)
		assert_false(q[i].xsk);

	u = umem_of(UMEM_FRAMES);
	assert_non_null(u);
	XF_OPTS(xf_port_opts, po, .queue = 0, .bind = XF_BIND_COPY);
	p = xf_port__create("lo", u, &po);
	if (!p)
		fail_msg("bind to lo queue 0: %s", strerror(errno));
	n = xf_sysinfo_queues("lo", q, 16);
	assert_true(n >= 2);
	assert_int_equal(count_xsk(q, n, false, 0), 1);
	assert_int_equal(count_xsk(q, n, true, 0), 1);
	xf_port__destroy(p);
	assert_int_equal(xf_umem__destroy(u), 0);

	/* The kernel lets go of the queue from a work item after the close: wait for it. */
	for (int i = 0; i < 200; i++) {
		n = xf_sysinfo_queues("lo", q, 16);
		if (!count_xsk(q, n, false, 0))
			break;
		usleep(10000);
	}
	assert_int_equal(count_xsk(q, n, false, 0), 0);
	/* Too small a buffer: the count is still right. */
	assert_int_equal(xf_sysinfo_queues("lo", q, 1), n);
	assert_int_equal(xf_sysinfo_queues("xfnosuch0", q, 16), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pin_limit_default_is_quarter_of_ram, reset_limit),
		cmocka_unit_test_setup(test_pin_limit_set_and_reset, reset_limit),
		cmocka_unit_test_setup(test_pin_limit_env_overrides_call, reset_limit),
		cmocka_unit_test_setup(test_pin_limit_env_invalid_is_ignored_and_logged, reset_limit),
		cmocka_unit_test_setup(test_pin_limit_parse, reset_limit),
		cmocka_unit_test_setup(test_guard_accepts_exactly_at_limit, reset_limit),
		cmocka_unit_test_setup(test_guard_refuses_one_byte_over, reset_limit),
		cmocka_unit_test_setup(test_guard_message_names_env, reset_limit),
		cmocka_unit_test_setup(test_guard_counts_live_umems, reset_limit),
		cmocka_unit_test_setup(test_guard_refusal_by_other_checks_pins_nothing, reset_limit),
		cmocka_unit_test_setup(test_guard_concurrent_creates, reset_limit),
		cmocka_unit_test_setup(test_numa_bind_node0, reset_limit),
		cmocka_unit_test_setup(test_numa_zero_node_without_flag_is_default, reset_limit),
		cmocka_unit_test_setup(test_numa_missing_node_refused, reset_limit),
		cmocka_unit_test_setup(test_numa_older_caller_ignores_node, reset_limit),
		cmocka_unit_test_setup(test_numa_unknown_ifname_refused, reset_limit),
		cmocka_unit_test_setup_teardown(test_iface_device_behind_iommu, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_iface_device_without_iommu_or_node, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_iface_virtual_no_device, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_umem_on_device_node, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_umem_device_node_unknown, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup(test_iface_unknown, reset_limit),
		cmocka_unit_test_setup_teardown(test_mem_from_meminfo, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_mem_unreadable_meminfo, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_info_struct_sizes, fake_setup, fake_teardown),
		cmocka_unit_test_setup(test_kernel_facts, reset_limit),
		cmocka_unit_test_setup(test_numa_helpers, reset_limit),
		cmocka_unit_test_setup(test_lo_has_no_xdp, reset_limit),
		cmocka_unit_test_setup(test_queues_show_bound_socket, reset_limit),
	};

	/* Every interface these tests touch is in a network namespace of their own. */
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "test_guard: unshare(CLONE_NEWNET): %s (needs root)\n",
			strerror(errno));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
