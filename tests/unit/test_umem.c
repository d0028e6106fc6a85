// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the UMEM: option checks, page alignment, pinned-memory accounting,
 * MADV_DONTFORK across fork(), the frame pool's bookkeeping, mode names and logging. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <xskflow/xskflow.h>
#include "xf_internal.h"

/* ---- helpers ---- */

static struct xf_umem *umem_small(__u32 frame_size, __u32 frame_count)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = frame_size, .frame_count = frame_count);
	struct xf_umem *u = xf_umem__create(&o);

	if (!u)
		fail_msg("umem %u x %u: %s", frame_size, frame_count, strerror(errno));
	return u;
}

/* Create must fail with EINVAL and pin nothing. */
static void expect_refused(const struct xf_umem_opts *o, const char *what)
{
	size_t before = xf_pinned_bytes();
	struct xf_umem *u;

	errno = 0;
	u = xf_umem__create(o);
	if (u) {
		xf_umem__destroy(u);
		fail_msg("%s: accepted", what);
	}
	if (errno != EINVAL)
		fail_msg("%s: errno %d (%s), expected EINVAL", what, errno, strerror(errno));
	assert_int_equal(xf_pinned_bytes(), before);
}

static void expect_accepted(const struct xf_umem_opts *o, const char *what)
{
	struct xf_umem *u = xf_umem__create(o);

	if (!u)
		fail_msg("%s: refused: %s", what, strerror(errno));
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void assert_counts(const struct xf_umem *u, __u32 nfree, __u32 nfill, __u32 napp,
			  __u32 ntx)
{
	assert_int_equal(u->nfree, nfree);
	assert_int_equal(u->nfill, nfill);
	assert_int_equal(u->napp, napp);
	assert_int_equal(u->ntx, ntx);
	assert_int_equal(u->nfree + u->nfill + u->napp + u->ntx, u->frame_count);
	assert_int_equal(xf_umem__free_frames(u), nfree);
}

/* Every frame is in the pool exactly once, at a frame boundary inside the area, and
 * marked free. */
static void assert_all_home(const struct xf_umem *u)
{
	unsigned char *seen = calloc(u->frame_count, 1);

	assert_non_null(seen);
	assert_counts(u, u->frame_count, 0, 0, 0);
	for (__u32 i = 0; i < u->nfree; i++) {
		__u64 a = u->pool[i];

		if (a % u->frame_size || a >= u->size)
			fail_msg("pool[%u] = %llu is not a frame address", i,
				 (unsigned long long)a);
		if (seen[a / u->frame_size]++)
			fail_msg("frame %llu is in the pool twice", (unsigned long long)a);
	}
	for (__u32 i = 0; i < u->frame_count; i++) {
		assert_int_equal(seen[i], 1);
		assert_int_equal(u->place[i], XF_PLACE_FREE);
	}
	free(seen);
}

/* ---- options ---- */

static void test_defaults(void **state)
{
	struct xf_umem *u;

	(void)state;
	u = xf_umem__create(NULL);
	assert_non_null(u);
	assert_int_equal(xf_umem__frame_size(u), 4096);
	assert_int_equal(xf_umem__frame_count(u), 4096);
	assert_int_equal(xf_umem__headroom(u), 0);
	assert_int_equal(xf_umem__free_frames(u), 4096);
	assert_int_equal(u->fill_size, 2048);
	assert_int_equal(u->comp_size, 2048);
	assert_int_equal(u->size, 4096ul * 4096);
	assert_int_equal(u->nports, 0);
	assert_counts(u, 4096, 0, 0, 0);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_defaults_from_empty_opts(void **state)
{
	XF_OPTS(xf_umem_opts, o);
	struct xf_umem *u;

	(void)state;
	assert_int_equal(o.sz, sizeof(o));
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__frame_size(u), 4096);
	assert_int_equal(xf_umem__frame_count(u), 4096);
	assert_int_equal(xf_umem__headroom(u), 0);
	assert_int_equal(u->fill_size, 2048);
	assert_int_equal(u->comp_size, 2048);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_opts_set_fields(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 64, .headroom = 128,
		.fill_size = 32, .comp_size = 16);
	struct xf_umem *u;

	(void)state;
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__frame_size(u), 2048);
	assert_int_equal(xf_umem__frame_count(u), 64);
	assert_int_equal(xf_umem__headroom(u), 128);
	assert_int_equal(u->fill_size, 32);
	assert_int_equal(u->comp_size, 16);
	assert_int_equal(xf_umem__free_frames(u), 64);
	assert_int_equal(xf_umem__destroy(u), 0);
}

/* An older caller's smaller struct: fields past its sz are not read (they would be
 * garbage from that caller's point of view). */
static void test_opts_older_caller(void **state)
{
	struct xf_umem_opts o;
	struct xf_umem *u;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sz = offsetof(struct xf_umem_opts, frame_count);
	o.frame_size = 2048;
	o.frame_count = 3;	/* invalid, but beyond sz */
	o.fill_size = 3;	/* invalid, but beyond sz */
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__frame_size(u), 2048);
	assert_int_equal(xf_umem__frame_count(u), 4096);
	assert_int_equal(u->fill_size, 2048);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_frame_size_accepted(void **state)
{
	(void)state;
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 16);
		expect_accepted(&o, "frame size 2048");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = 16);
		expect_accepted(&o, "frame size 4096");
	}
}

static void test_frame_size_refused(void **state)
{
	static const __u32 bad[] = { 1, 1024, 2047, 2049, 3000, 8192, 65536, UINT32_MAX };
	char what[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		XF_OPTS(xf_umem_opts, o, .frame_size = bad[i], .frame_count = 16);

		snprintf(what, sizeof(what), "frame size %u", bad[i]);
		expect_refused(&o, what);
	}
}

static void test_headroom_limit(void **state)
{
	(void)state;
	/* Room must stay for the kernel's 256 bytes and a 64-byte frame. */
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 16,
			.headroom = 2048 - 256 - 64);
		expect_accepted(&o, "headroom 1728 in 2048");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 16,
			.headroom = 2048 - 256 - 64 + 1);
		expect_refused(&o, "headroom 1729 in 2048");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = 16,
			.headroom = 4096 - 256 - 64);
		expect_accepted(&o, "headroom 3776 in 4096");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 4096, .frame_count = 16,
			.headroom = 4096);
		expect_refused(&o, "headroom 4096 in 4096");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_count = 16, .headroom = UINT32_MAX);
		expect_refused(&o, "headroom UINT32_MAX");
	}
}

static void test_ring_sizes(void **state)
{
	static const __u32 bad[] = { 3, 6, 1000, 2049, 3072, UINT32_MAX };
	static const __u32 good[] = { 1, 2, 64, 4096 };
	char what[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		XF_OPTS(xf_umem_opts, f, .frame_count = 16, .fill_size = bad[i]);
		XF_OPTS(xf_umem_opts, c, .frame_count = 16, .comp_size = bad[i]);

		snprintf(what, sizeof(what), "fill ring %u", bad[i]);
		expect_refused(&f, what);
		snprintf(what, sizeof(what), "completion ring %u", bad[i]);
		expect_refused(&c, what);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		XF_OPTS(xf_umem_opts, o, .frame_count = 16, .fill_size = good[i],
			.comp_size = good[i]);

		snprintf(what, sizeof(what), "rings of %u", good[i]);
		expect_accepted(&o, what);
	}
}

static void test_frame_count_limits(void **state)
{
	(void)state;
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 1);
		expect_refused(&o, "frame count 1");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 2);
		expect_accepted(&o, "frame count 2");
	}
	{
		/* Refused before anything is mapped. */
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = (1u << 24) + 1);
		expect_refused(&o, "frame count 2^24 + 1");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = UINT32_MAX);
		expect_refused(&o, "frame count UINT32_MAX");
	}
}

/* Zero in an options field means "the default", as everywhere in XF_OPTS structs: a
 * frame_count of 0 cannot be told apart from an unset one, so it is not an error. */
static void test_frame_count_zero_is_default(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 0);
	struct xf_umem *u;

	(void)state;
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__frame_count(u), 4096);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_area_page_aligned(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct xf_umem *u;
	unsigned char *a;

	(void)state;
	assert_true(page > 0);
	for (__u32 fs = 2048; fs <= 4096; fs *= 2) {
		for (__u32 n = 2; n <= 1024; n = n * 4 + 1) {
			u = umem_small(fs, n);
			a = xf_umem__area(u);
			assert_non_null(a);
			assert_int_equal((uintptr_t)a % (uintptr_t)page, 0);
			/* The whole area is there and writable. */
			a[0] = 1;
			a[(size_t)fs * n - 1] = 2;
			assert_int_equal(a[0], 1);
			assert_int_equal(a[(size_t)fs * n - 1], 2);
			assert_int_equal(xf_umem__destroy(u), 0);
		}
	}
}

/* ---- pinned memory ---- */

static void test_pinned_bytes_follow_lifetime(void **state)
{
	size_t before = xf_pinned_bytes();
	struct xf_umem *u;

	(void)state;
	u = umem_small(2048, 64);
	assert_int_equal(xf_pinned_bytes(), before + 2048 * 64);
	assert_int_equal(xf_umem__destroy(u), 0);
	assert_int_equal(xf_pinned_bytes(), before);

	u = umem_small(4096, 100);
	assert_int_equal(xf_pinned_bytes(), before + 4096 * 100);
	assert_int_equal(xf_umem__destroy(u), 0);
	assert_int_equal(xf_pinned_bytes(), before);
}

static void test_pinned_bytes_add_up(void **state)
{
	size_t before = xf_pinned_bytes();
	struct xf_umem *a, *b;

	(void)state;
	a = umem_small(2048, 64);
	b = umem_small(4096, 32);
	assert_int_equal(xf_pinned_bytes(), before + 2048 * 64 + 4096 * 32);
	assert_ptr_not_equal(xf_umem__area(a), xf_umem__area(b));
	assert_int_equal(xf_umem__destroy(a), 0);
	assert_int_equal(xf_pinned_bytes(), before + 4096 * 32);
	assert_int_equal(xf_umem__destroy(b), 0);
	assert_int_equal(xf_pinned_bytes(), before);
}

static void test_destroy_busy(void **state)
{
	size_t before = xf_pinned_bytes();
	struct xf_umem *u;

	(void)state;
	u = umem_small(2048, 16);
	/* A port still on it: the kernel may write into the area, so it must stay. */
	u->nports = 1;
	assert_int_equal(xf_umem__destroy(u), -EBUSY);
	assert_int_equal(xf_pinned_bytes(), before + 2048 * 16);
	((volatile unsigned char *)xf_umem__area(u))[0] = 7;
	u->nports = 0;
	assert_int_equal(xf_umem__destroy(u), 0);
	assert_int_equal(xf_pinned_bytes(), before);
}

static void test_destroy_null(void **state)
{
	(void)state;
	assert_int_equal(xf_umem__destroy(NULL), 0);
}

/* ---- fork ---- */

static int wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_dontfork_child_cannot_read(void **state)
{
	struct xf_umem *u;
	volatile unsigned char *a;
	size_t size, page = sysconf(_SC_PAGESIZE);
	pid_t pid;
	int status;

	(void)state;
	u = umem_small(2048, 64);
	a = xf_umem__area(u);
	size = (size_t)2048 * 64;
	for (size_t i = 0; i < size; i += 512)
		a[i] = (unsigned char)(i / 512);

	/* The area is simply absent in the child: mincore() says nothing is mapped there. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char vec[1];

		if (mincore((void *)a, page, vec) == 0)
			_exit(1);
		_exit(errno == ENOMEM ? 0 : 2);
	}
	status = wait_child(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child: the UMEM is still mapped after fork (status %#x)", status);

	/* ...and touching it is a segmentation fault, not a copy of the parent's data. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		_exit(a[512] == 1 ? 3 : 4);
	}
	status = wait_child(pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		fail_msg("child read the UMEM after fork (status %#x)", status);

	/* The parent keeps its pages and data. */
	for (size_t i = 0; i < size; i += 512)
		assert_int_equal(a[i], (unsigned char)(i / 512));
	assert_int_equal(xf_umem__destroy(u), 0);
}

/* ---- frame pool ---- */

static void test_pool_initial_order(void **state)
{
	struct xf_umem *u;
	__u64 addrs[4];

	(void)state;
	u = umem_small(2048, 16);
	assert_all_home(u);
	/* Lowest addresses come out first. */
	assert_int_equal(xf_umem_pool_get(u, addrs, 4, XF_PLACE_APP), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(addrs[i], (__u64)i * 2048);
	xf_umem_pool_put(u, addrs, 4, XF_PLACE_APP);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_pool_get_put_accounting(void **state)
{
	struct xf_umem *u;
	__u64 fill[10], app[7], tx[5];

	(void)state;
	u = umem_small(2048, 32);
	assert_int_equal(xf_umem_pool_get(u, fill, 10, XF_PLACE_FILL), 10);
	assert_counts(u, 22, 10, 0, 0);
	assert_int_equal(xf_umem_pool_get(u, app, 7, XF_PLACE_APP), 7);
	assert_counts(u, 15, 10, 7, 0);
	assert_int_equal(xf_umem_pool_get(u, tx, 5, XF_PLACE_TX), 5);
	assert_counts(u, 10, 10, 7, 5);
	for (int i = 0; i < 10; i++)
		assert_int_equal(u->place[fill[i] / 2048], XF_PLACE_FILL);
	for (int i = 0; i < 7; i++)
		assert_int_equal(u->place[app[i] / 2048], XF_PLACE_APP);
	for (int i = 0; i < 5; i++)
		assert_int_equal(u->place[tx[i] / 2048], XF_PLACE_TX);

	xf_umem_pool_put(u, fill, 4, XF_PLACE_FILL);
	assert_counts(u, 14, 6, 7, 5);
	xf_umem_pool_put(u, tx, 5, XF_PLACE_TX);
	assert_counts(u, 19, 6, 7, 0);
	xf_umem_pool_put(u, app, 7, XF_PLACE_APP);
	assert_counts(u, 26, 6, 0, 0);
	xf_umem_pool_put(u, fill + 4, 6, XF_PLACE_FILL);
	xf_umem_check(u);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_pool_get_more_than_free(void **state)
{
	struct xf_umem *u;
	__u64 addrs[40];

	(void)state;
	u = umem_small(2048, 16);
	assert_int_equal(xf_umem_pool_get(u, addrs, 10, XF_PLACE_FILL), 10);
	/* Only what is free comes out. */
	assert_int_equal(xf_umem_pool_get(u, addrs + 10, 30, XF_PLACE_APP), 6);
	assert_counts(u, 0, 10, 6, 0);
	assert_int_equal(xf_umem_pool_get(u, addrs + 16, 1, XF_PLACE_TX), 0);
	assert_int_equal(xf_umem_pool_get(u, addrs + 16, 0, XF_PLACE_TX), 0);
	assert_counts(u, 0, 10, 6, 0);
	xf_umem_pool_put(u, addrs, 10, XF_PLACE_FILL);
	xf_umem_pool_put(u, addrs + 10, 6, XF_PLACE_APP);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_pool_lifo(void **state)
{
	struct xf_umem *u;
	__u64 a[3], b;

	(void)state;
	u = umem_small(2048, 16);
	assert_int_equal(xf_umem_pool_get(u, a, 3, XF_PLACE_APP), 3);
	xf_umem_pool_put(u, &a[1], 1, XF_PLACE_APP);
	/* The frame just freed is the next one out: still warm in cache. */
	assert_int_equal(xf_umem_pool_get(u, &b, 1, XF_PLACE_TX), 1);
	assert_int_equal(b, a[1]);
	xf_umem_pool_put(u, &b, 1, XF_PLACE_TX);
	xf_umem_pool_put(u, &a[0], 1, XF_PLACE_APP);
	xf_umem_pool_put(u, &a[2], 1, XF_PLACE_APP);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_pool_put_with_offset(void **state)
{
	struct xf_umem *u;
	__u64 a[2], back[2];

	(void)state;
	u = umem_small(4096, 8);
	assert_int_equal(xf_umem_pool_get(u, a, 2, XF_PLACE_APP), 2);
	/* Received descriptors point past the headroom: the frame base goes back. */
	back[0] = a[0] + 256;
	back[1] = a[1] + 4095;
	xf_umem_pool_put(u, back, 2, XF_PLACE_APP);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_pool_move_accounting(void **state)
{
	struct xf_umem *u;
	__u64 a[8];

	(void)state;
	u = umem_small(2048, 16);
	assert_int_equal(xf_umem_pool_get(u, a, 8, XF_PLACE_FILL), 8);
	/* Received: fill -> application. */
	for (int i = 0; i < 5; i++)
		{
			__u64 in_frame = a[i] + 256;	/* an RX address inside the frame */

			xf_umem_move(u, &in_frame, 1, XF_PLACE_FILL, XF_PLACE_APP);
		}
	assert_counts(u, 8, 3, 5, 0);
	/* Sent: application -> TX. */
	for (int i = 0; i < 3; i++)
		xf_umem_move(u, &a[i], 1, XF_PLACE_APP, XF_PLACE_TX);
	assert_counts(u, 8, 3, 2, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(u->place[a[i] / 2048], XF_PLACE_TX);
	for (int i = 3; i < 5; i++)
		assert_int_equal(u->place[a[i] / 2048], XF_PLACE_APP);
	for (int i = 5; i < 8; i++)
		assert_int_equal(u->place[a[i] / 2048], XF_PLACE_FILL);
	xf_umem_check(u);

	/* Completed and released. */
	xf_umem_pool_put(u, a, 3, XF_PLACE_TX);
	xf_umem_pool_put(u, a + 3, 2, XF_PLACE_APP);
	xf_umem_pool_put(u, a + 5, 3, XF_PLACE_FILL);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_reclaim_fill_and_tx_not_app(void **state)
{
	struct xf_umem *u;
	__u64 fill[6], app[4], tx[3];

	(void)state;
	u = umem_small(2048, 32);
	assert_int_equal(xf_umem_pool_get(u, fill, 6, XF_PLACE_FILL), 6);
	assert_int_equal(xf_umem_pool_get(u, app, 4, XF_PLACE_APP), 4);
	assert_int_equal(xf_umem_pool_get(u, tx, 3, XF_PLACE_TX), 3);
	assert_counts(u, 19, 6, 4, 3);

	/* The kernel let go: what it held comes home, what the application holds does not. */
	xf_umem_reclaim(u, -1);
	assert_counts(u, 28, 0, 4, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(u->place[app[i] / 2048], XF_PLACE_APP);
	for (int i = 0; i < 6; i++)
		assert_int_equal(u->place[fill[i] / 2048], XF_PLACE_FREE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(u->place[tx[i] / 2048], XF_PLACE_FREE);

	/* A second reclaim has nothing left to do. */
	xf_umem_reclaim(u, -1);
	assert_counts(u, 28, 0, 4, 0);

	xf_umem_pool_put(u, app, 4, XF_PLACE_APP);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

static void test_all_frames_come_home(void **state)
{
	enum { N = 256 };
	static const enum xf_place_kind to[] = { XF_PLACE_FILL, XF_PLACE_APP, XF_PLACE_TX };
	struct xf_umem *u;
	__u64 held[3][N];
	__u32 nheld[3] = { 0, 0, 0 };
	unsigned int seed = 1;

	(void)state;
	u = umem_small(2048, N);
	/* A deterministic random walk of gets, moves and puts; then everything back. */
	for (int step = 0; step < 20000; step++) {
		unsigned int r = rand_r(&seed);
		unsigned int p = r % 3, q = (r / 3) % 3;

		switch ((r / 9) % 3) {
		case 0: {
			__u32 want = 1 + (r / 27) % 8;
			__u32 got = xf_umem_pool_get(u, held[p] + nheld[p], want, to[p]);

			assert_true(got <= want);
			nheld[p] += got;
			break;
		}
		case 1:
			if (nheld[p]) {
				nheld[p]--;
				xf_umem_pool_put(u, &held[p][nheld[p]], 1, to[p]);
			}
			break;
		default:
			if (nheld[p] && p != q) {
				__u64 a = held[p][--nheld[p]];

				xf_umem_move(u, &a, 1, to[p], to[q]);
				held[q][nheld[q]++] = a;
			}
			break;
		}
		assert_int_equal(u->nfill, nheld[0]);
		assert_int_equal(u->napp, nheld[1]);
		assert_int_equal(u->ntx, nheld[2]);
		assert_int_equal(u->nfree + u->nfill + u->napp + u->ntx, N);
	}
	for (int p = 0; p < 3; p++)
		xf_umem_pool_put(u, held[p], nheld[p], to[p]);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

/* Debug builds catch a frame handed back twice. */
static void test_double_put_caught(void **state)
{
#ifdef NDEBUG
	(void)state;
	skip();
#else
	struct xf_umem *u;
	__u64 a;
	pid_t pid;
	int status;

	(void)state;
	u = umem_small(2048, 8);
	assert_int_equal(xf_umem_pool_get(u, &a, 1, XF_PLACE_APP), 1);
	xf_umem_pool_put(u, &a, 1, XF_PLACE_APP);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Keep the assertion message off the test output. */
		signal(SIGABRT, SIG_DFL);
		if (!freopen("/dev/null", "w", stderr))
			_exit(2);
		xf_umem_pool_put(u, &a, 1, XF_PLACE_APP);
		_exit(0);
	}
	status = wait_child(pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("a second put of frame %llu was not caught (status %#x)",
			 (unsigned long long)a, status);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
#endif
}

/* ---- mode names ---- */

static void test_attach_mode_names(void **state)
{
	static const struct { enum xf_attach_mode m; const char *name; } t[] = {
		{ XF_ATTACH_AUTO, "auto" }, { XF_ATTACH_NATIVE, "native" },
		{ XF_ATTACH_GENERIC, "generic" },
	};
	enum xf_attach_mode m;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(xf_attach_mode_str(t[i].m), t[i].name);
		m = (enum xf_attach_mode)99;
		assert_int_equal(xf_attach_mode_parse(t[i].name, &m), 0);
		assert_int_equal(m, t[i].m);
		assert_int_equal(xf_attach_mode_parse(xf_attach_mode_str(t[i].m), &m), 0);
		assert_int_equal(m, t[i].m);
	}
	m = XF_ATTACH_GENERIC;
	assert_int_equal(xf_attach_mode_parse("skb", &m), -EINVAL);
	assert_int_equal(xf_attach_mode_parse("", &m), -EINVAL);
	assert_int_equal(xf_attach_mode_parse("Native", &m), -EINVAL);
	assert_int_equal(m, XF_ATTACH_GENERIC);
	assert_string_equal(xf_attach_mode_str((enum xf_attach_mode)7), "unknown");
	assert_string_equal(xf_attach_mode_str((enum xf_attach_mode)-1), "unknown");
}

static void test_bind_mode_names(void **state)
{
	static const struct { enum xf_bind_mode m; const char *name; } t[] = {
		{ XF_BIND_AUTO, "auto" }, { XF_BIND_COPY, "copy" },
		{ XF_BIND_ZEROCOPY, "zero-copy" },
	};
	enum xf_bind_mode m;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(xf_bind_mode_str(t[i].m), t[i].name);
		m = (enum xf_bind_mode)99;
		assert_int_equal(xf_bind_mode_parse(t[i].name, &m), 0);
		assert_int_equal(m, t[i].m);
		assert_int_equal(xf_bind_mode_parse(xf_bind_mode_str(t[i].m), &m), 0);
		assert_int_equal(m, t[i].m);
	}
	m = XF_BIND_COPY;
	assert_int_equal(xf_bind_mode_parse("zerocopy", &m), -EINVAL);
	assert_int_equal(xf_bind_mode_parse("native", &m), -EINVAL);
	assert_int_equal(xf_bind_mode_parse("", &m), -EINVAL);
	assert_int_equal(m, XF_BIND_COPY);
	assert_string_equal(xf_bind_mode_str((enum xf_bind_mode)3), "unknown");
}

/* ---- logging ---- */

static char logged[1024];
static unsigned int nlogged;
static enum xf_log_level logged_level;

static int capture_print(enum xf_log_level level, const char *fmt, va_list args)
{
	size_t used = strlen(logged);

	if (level != XF_LOG_ERROR && level != XF_LOG_WARN)
		return 0;
	logged_level = level;
	nlogged++;
	vsnprintf(logged + used, sizeof(logged) - used, fmt, args);
	return 0;
}

static void capture_reset(void)
{
	logged[0] = '\0';
	nlogged = 0;
	logged_level = XF_LOG_DEBUG;
}

static void expect_logged(const struct xf_umem_opts *o, const char *needle)
{
	capture_reset();
	assert_null(xf_umem__create(o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(nlogged, 1);
	assert_int_equal(logged_level, XF_LOG_ERROR);
	if (!strstr(logged, needle))
		fail_msg("message does not mention '%s': %s", needle, logged);
}

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static int set_nr_hugepages(long n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
	int err;

	if (!f)
		return -1;
	err = fprintf(f, "%ld\n", n) < 0;
	return fclose(f) || err ? -1 : 0;
}

/* 2 MiB of frames with XF_UMEM_F_HUGEPAGES: on hugepages when some are free (checked by
 * alignment and the pool shrinking), else on normal pages with a warning naming the sysctl.
 * Both outcomes are provoked: first with what is reserved now, then with two more pages
 * reserved for the test (and the old reservation put back). */
static void check_hugepages(bool expect_huge)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .frame_count = 1024,
		.flags = XF_UMEM_F_HUGEPAGES);
	long free_before = meminfo("HugePages_Free:");
	struct xf_umem *u;

	capture_reset();
	u = xf_umem__create(&o);
	assert_non_null(u);
	assert_int_equal(xf_umem__hugepages(u), expect_huge);
	if (expect_huge) {
		assert_int_equal((uintptr_t)xf_umem__area(u) % (2u << 20), 0);
		assert_int_equal(meminfo("HugePages_Free:"), free_before - 1);
		assert_int_equal(nlogged, 0);
	} else {
		assert_int_equal(logged_level, XF_LOG_WARN);
		if (!strstr(logged, "vm.nr_hugepages"))
			fail_msg("the fallback warning does not say how to reserve: %s", logged);
	}
	memset(xf_umem__area(u), 0x5a, 2u << 20);	/* every byte is usable */
	assert_int_equal(xf_umem__destroy(u), 0);
	assert_int_equal(meminfo("HugePages_Free:"), free_before);
}

static void test_hugepages(void **state)
{
	long reserved = meminfo("HugePages_Total:");
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	check_hugepages(meminfo("HugePages_Free:") > 0);
	if (set_nr_hugepages(reserved + 2) == 0 && meminfo("HugePages_Free:") > 0)
		check_hugepages(true);
	else
		fail_msg("could not reserve hugepages for the test (nr_hugepages=%ld)", reserved + 2);
	set_nr_hugepages(reserved);
	assert_int_equal(meminfo("HugePages_Total:"), reserved);
	xf_set_print(old);
}

static void test_print_refused_umem(void **state)
{
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 3000);
		expect_logged(&o, "3000");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_size = 2048, .headroom = 1900);
		expect_logged(&o, "1900");
	}
	{
		XF_OPTS(xf_umem_opts, o, .fill_size = 1000);
		expect_logged(&o, "1000");
	}
	{
		XF_OPTS(xf_umem_opts, o, .comp_size = 777);
		expect_logged(&o, "777");
	}
	{
		XF_OPTS(xf_umem_opts, o, .frame_count = 1);
		expect_logged(&o, "frame count 1");
	}
	assert_ptr_equal(xf_set_print(old), capture_print);
}

static void test_print_silenced(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 3000);
	xf_print_fn_t old;

	(void)state;
	old = xf_set_print(capture_print);
	assert_ptr_equal(xf_set_print(NULL), capture_print);
	capture_reset();
	assert_null(xf_umem__create(&o));
	assert_int_equal(nlogged, 0);
	assert_null(xf_set_print(old));
}

/* ---- unaligned chunk mode ---- */

static void test_unaligned_frame_sizes(void **state)
{
	static const __u32 good[] = { 2048, 2049, 3000, 4095, 4096 };
	static const __u32 bad[] = { 1, 1024, 2047, 4097, 8192, UINT32_MAX };
	char what[64];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		XF_OPTS(xf_umem_opts, o, .frame_size = good[i], .frame_count = 16,
			.flags = XF_UMEM_F_UNALIGNED);

		snprintf(what, sizeof(what), "unaligned frame size %u", good[i]);
		expect_accepted(&o, what);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		XF_OPTS(xf_umem_opts, o, .frame_size = bad[i], .frame_count = 16,
			.flags = XF_UMEM_F_UNALIGNED);

		snprintf(what, sizeof(what), "unaligned frame size %u", bad[i]);
		expect_refused(&o, what);
	}
}

/* 3000-byte frames: the pool holds multiples of 3000, and an address with the kernel's
 * offset in its upper 16 bits, or one running into the next frame's bytes, belongs to
 * the frame its flat address starts in. */
static void test_unaligned_addresses(void **state)
{
	XF_OPTS(xf_umem_opts, o, .frame_size = 3000, .frame_count = 8,
		.flags = XF_UMEM_F_UNALIGNED);
	struct xf_umem *u = xf_umem__create(&o);
	__u64 a[8], enc;

	(void)state;
	assert_non_null(u);
	assert_true(xf_umem__unaligned(u));
	assert_int_equal(u->size, 3000 * 8);
	assert_int_equal(xf_umem_pool_get(u, a, 8, XF_PLACE_FILL), 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(a[i] % 3000, 0);
	/* The kernel's encoding: chunk base low, offset of the data high. */
	enc = a[2] | (256ull << XSK_UNALIGNED_BUF_OFFSET_SHIFT);
	assert_int_equal(xf_umem_flat_addr(u, enc), a[2] + 256);
	xf_umem_move(u, &enc, 1, XF_PLACE_FILL, XF_PLACE_APP);
	assert_int_equal(u->place[a[2] / 3000], XF_PLACE_APP);
	assert_counts(u, 0, 7, 1, 0);
	/* Completion of an encoded address that is ours, and of one past the end (stray). */
	xf_umem_move(u, &enc, 1, XF_PLACE_APP, XF_PLACE_TX);
	{
		__u64 comp[2] = { enc, (3000 * 7 + 2990) | (100ull << XSK_UNALIGNED_BUF_OFFSET_SHIFT) };

		assert_int_equal(xf_umem_complete(u, comp, 2, XF_PLACE_TX), 1);
		assert_int_equal(u->stray_completions, 1);
	}
	for (int i = 0; i < 8; i++)
		if (i != 2)
			xf_umem_pool_put(u, &a[i], 1, XF_PLACE_FILL);
	assert_all_home(u);
	assert_int_equal(xf_umem__destroy(u), 0);
}

/* Aligned mode ignores the upper bits: an address is what it says. */
static void test_aligned_addresses_are_plain(void **state)
{
	struct xf_umem *u = umem_small(2048, 4);

	(void)state;
	assert_false(xf_umem__unaligned(u));
	assert_int_equal(xf_umem_flat_addr(u, 1ull << XSK_UNALIGNED_BUF_OFFSET_SHIFT),
			 1ull << XSK_UNALIGNED_BUF_OFFSET_SHIFT);
	assert_int_equal(xf_umem__destroy(u), 0);
}

/* ---- outer IPv4/UDP encapsulation ---- */

/* Known answer: the checksums were computed independently (Python, RFC 1071) for this
 * 19-byte inner frame (odd, so the last byte is padded). */
static void test_encap_udp4_layout(void **state)
{
	XF_OPTS(xf_udp4_encap, e, .dst_mac = { 2, 0, 0, 0, 0, 2 },
		.src_mac = { 2, 0, 0, 0, 0, 1 }, .sport = 4789, .dport = 6081, .ttl = 33,
		.tos = 0x10, .udp_csum = true);
	static const __u8 want_hdr[XF_UDP4_ENCAP_LEN] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,		/* Ethernet */
		0x45, 0x10, 0, 47, 0, 0, 0x40, 0x00, 33, 17, 0xcd, 0x86,	/* IPv4 */
		198, 18, 0, 1, 198, 18, 0, 2,
		0x12, 0xb5, 0x17, 0xc1, 0, 27, 0x0d, 0x17,		/* UDP */
	};
	__u8 buf[XF_UDP4_ENCAP_LEN + 19], inner[19];

	(void)state;
	e.saddr = htonl(0xc6120001);
	e.daddr = htonl(0xc6120002);
	for (int i = 0; i < 19; i++)
		inner[i] = (__u8)(0x30 + i);
	memcpy(buf + XF_UDP4_ENCAP_LEN, inner, sizeof(inner));
	xf_encap_udp4(buf, sizeof(inner), &e);
	assert_memory_equal(buf, want_hdr, sizeof(want_hdr));
	/* The inner frame is untouched. */
	assert_memory_equal(buf + XF_UDP4_ENCAP_LEN, inner, sizeof(inner));

	/* Without udp_csum the checksum is 0 (none) and the rest is the same. */
	e.udp_csum = false;
	xf_encap_udp4(buf, sizeof(inner), &e);
	assert_memory_equal(buf, want_hdr, XF_UDP4_ENCAP_LEN - 2);
	assert_int_equal(buf[40], 0);
	assert_int_equal(buf[41], 0);
}

/* Defaults for an options struct that leaves ttl and tos unset, or is from a caller that
 * knew only the fields up to dport: ttl 64, tos 0, no UDP checksum. */
static void test_encap_udp4_defaults(void **state)
{
	XF_OPTS(xf_udp4_encap, e, .sport = 1, .dport = 2, .udp_csum = true);
	__u8 buf[XF_UDP4_ENCAP_LEN + 8] = {};

	(void)state;
	xf_encap_udp4(buf, 8, &e);
	assert_int_equal(buf[14 + 1], 0);	/* tos */
	assert_int_equal(buf[14 + 8], 64);	/* ttl */
	assert_true(buf[40] || buf[41]);	/* checksum computed */
	e.sz = offsetof(struct xf_udp4_encap, ttl);
	xf_encap_udp4(buf, 8, &e);
	assert_int_equal(buf[14 + 8], 64);
	assert_int_equal(buf[40], 0);		/* udp_csum not seen: none */
	assert_int_equal(buf[41], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_from_empty_opts),
		cmocka_unit_test(test_opts_set_fields),
		cmocka_unit_test(test_opts_older_caller),
		cmocka_unit_test(test_frame_size_accepted),
		cmocka_unit_test(test_frame_size_refused),
		cmocka_unit_test(test_headroom_limit),
		cmocka_unit_test(test_ring_sizes),
		cmocka_unit_test(test_frame_count_limits),
		cmocka_unit_test(test_frame_count_zero_is_default),
		cmocka_unit_test(test_area_page_aligned),
		cmocka_unit_test(test_pinned_bytes_follow_lifetime),
		cmocka_unit_test(test_pinned_bytes_add_up),
		cmocka_unit_test(test_destroy_busy),
		cmocka_unit_test(test_destroy_null),
		cmocka_unit_test(test_dontfork_child_cannot_read),
		cmocka_unit_test(test_pool_initial_order),
		cmocka_unit_test(test_pool_get_put_accounting),
		cmocka_unit_test(test_pool_get_more_than_free),
		cmocka_unit_test(test_pool_lifo),
		cmocka_unit_test(test_pool_put_with_offset),
		cmocka_unit_test(test_unaligned_frame_sizes),
		cmocka_unit_test(test_unaligned_addresses),
		cmocka_unit_test(test_aligned_addresses_are_plain),
		cmocka_unit_test(test_encap_udp4_layout),
		cmocka_unit_test(test_encap_udp4_defaults),
		cmocka_unit_test(test_pool_move_accounting),
		cmocka_unit_test(test_reclaim_fill_and_tx_not_app),
		cmocka_unit_test(test_all_frames_come_home),
		cmocka_unit_test(test_double_put_caught),
		cmocka_unit_test(test_attach_mode_names),
		cmocka_unit_test(test_bind_mode_names),
		cmocka_unit_test(test_print_refused_umem),
		cmocka_unit_test(test_hugepages),
		cmocka_unit_test(test_print_silenced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
