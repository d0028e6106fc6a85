// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Copy bandwidth of this machine for the benchmark's cost model: ns per memcpy of L bytes,
 * cache-hot and walking UMEM-sized regions frame by frame, fitted as c0 + L/B. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#define FRAME		4096
#define REGION		(16u << 20)	/* a default UMEM: 4096 frames of 4096 bytes */
#define NFRAMES		(REGION / FRAME)
#define REPS		5

static const unsigned int sizes[] = { 64, 128, 256, 512, 1024, 1500, 2048, 4000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct series {
	const char *name;
	double ns[NSIZES];
	double c0, gbps;	/* fit: ns = c0 + L / (gbps bytes per ns) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The compiler must not see through the copies. */
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;

/* Median over REPS of the mean ns per copy of @len bytes; @stride 0: the same buffers. */
static double measure(uint8_t *dst, const uint8_t *src, size_t len, size_t stride,
		      unsigned long iters)
{
	double v[REPS];

	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = now_ns();

		for (unsigned long i = 0; i < iters; i++) {
			size_t off = stride ? (i % NFRAMES) * stride : 0;

			copy_fn(dst + off, src + off, len);
		}
		v[r] = (double)(now_ns() - t0) / (double)iters;
	}
	qsort(v, REPS, sizeof(v[0]), cmp_d);
	return v[REPS / 2];
}

static void fit(struct series *s)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = NSIZES, slope;

	for (size_t i = 0; i < NSIZES; i++) {
		sx += sizes[i];
		sy += s->ns[i];
		sxx += (double)sizes[i] * sizes[i];
		sxy += sizes[i] * s->ns[i];
	}
	slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	s->c0 = (sy - slope * sx) / n;
	s->gbps = slope > 0 ? 1 / slope : 0;
}

int main(int argc, char **argv)
{
	struct series s[2] = { { .name = "hot" }, { .name = "umem" } };
	unsigned long iters = 2000000;
	const char *json = NULL;
	int cpu = -1, c;
	uint8_t *src, *dst;

	while ((c = getopt(argc, argv, "qc:j:h")) != -1) {
		switch (c) {
		case 'q': iters = 300000; break;
		case 'c': cpu = atoi(optarg); break;
		case 'j': json = optarg; break;
		default:
			fprintf(stderr, "usage: memcpy_bw [-q] [-c CPU] [-j FILE]\n");
			return c == 'h' ? 0 : 1;
		}
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	src = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		fprintf(stderr, "memcpy_bw: mmap: %s\n", strerror(errno));
		return 1;
	}
	/* The kernel copies through its direct map (huge pages): keep TLB misses out of it. */
	madvise(src, REGION, MADV_HUGEPAGE);
	madvise(dst, REGION, MADV_HUGEPAGE);
	memset(src, 0x5a, REGION);
	memset(dst, 0, REGION);
	for (size_t i = 0; i < NSIZES; i++) {
		s[0].ns[i] = measure(dst, src, sizes[i], 0, iters);
		s[1].ns[i] = measure(dst, src, sizes[i], FRAME, iters);
	}
	fit(&s[0]);
	fit(&s[1]);

	printf("memcpy: ns per copy (median of %d x %lu copies)\n%8s", REPS, iters, "bytes");
	for (size_t i = 0; i < NSIZES; i++)
		printf(" %7u", sizes[i]);
	printf("\n");
	for (int k = 0; k < 2; k++) {
		printf("%8s", s[k].name);
		for (size_t i = 0; i < NSIZES; i++)
			printf(" %7.1f", s[k].ns[i]);
		printf("   fit %.1f ns + L / %.1f GB/s\n", s[k].c0, s[k].gbps);
	}
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f) {
			fprintf(stderr, "memcpy_bw: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(f, "{\"benchmark\": \"memcpy\", \"cpu\": %d, \"iters\": %lu", cpu, iters);
		for (int k = 0; k < 2; k++) {
			fprintf(f, ", \"%s\": {\"c0_ns\": %.2f, \"gbytes_per_s\": %.2f, \"points\": [",
				s[k].name, s[k].c0, s[k].gbps);
			for (size_t i = 0; i < NSIZES; i++)
				fprintf(f, "%s{\"bytes\": %u, \"ns\": %.2f}", i ? ", " : "", sizes[i],
					s[k].ns[i]);
			fprintf(f, "]}");
		}
		fprintf(f, "}\n");
		fclose(f);
	}
	munmap(src, REGION);
	munmap(dst, REGION);
	return 0;
}
