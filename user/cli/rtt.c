// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Round-trip samples of a latency benchmark: storage, nearest-rank quantiles, the CDF file.
 * Shared by 'xskflow bench latency' and the kernel UDP baseline tests/bench/udp_rtt.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "rtt.h"

int rtt_add(struct rtt_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		uint32_t *n;

		if (cap > RTT_MAX_SAMPLES)
			return 0;	/* enough samples: the rest only count */
		n = realloc(s->ns, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->ns = n;
		s->cap = cap;
	}
	s->ns[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
	s->sorted = false;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_once(struct rtt_samples *s)
{
	/* No samples, no array: qsort() must not see its NULL even with a count of 0. */
	if (!s->sorted && s->n)
		qsort(s->ns, s->n, sizeof(*s->ns), cmp_u32);
	s->sorted = true;
}

/* The value at quantile @q (nearest rank) of the sorted samples, in microseconds. */
static double quantile_us(const struct rtt_samples *s, double q)
{
	double x = q * (double)s->n;
	size_t r = (size_t)x;

	if (!s->n)
		return 0;
	if ((double)r < x)
		r++;
	if (r < 1)
		r = 1;
	if (r > s->n)
		r = s->n;
	return s->ns[r - 1] / 1e3;
}

void rtt_summarize(struct rtt_samples *s, struct rtt_summary *out)
{
	double sum = 0;

	sort_once(s);
	for (size_t i = 0; i < s->n; i++)
		sum += s->ns[i];
	*out = (struct rtt_summary){
		.samples = s->n,
		.min_us = s->n ? s->ns[0] / 1e3 : 0,
		.mean_us = s->n ? sum / (double)s->n / 1e3 : 0,
		.p50_us = quantile_us(s, 0.5),
		.p90_us = quantile_us(s, 0.9),
		.p99_us = quantile_us(s, 0.99),
		.p999_us = quantile_us(s, 0.999),
		.max_us = s->n ? s->ns[s->n - 1] / 1e3 : 0,
	};
}

int rtt_write_cdf(struct rtt_samples *s, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	sort_once(s);
	fprintf(f, "# rtt_us fraction (%zu samples)\n", s->n);
	for (int k = 0; k <= 1000 && s->n; k++)
		fprintf(f, "%.3f %.3f\n", quantile_us(s, k / 1000.0), k / 1000.0);
	return fclose(f) ? -errno : 0;
}

void rtt_free(struct rtt_samples *s)
{
	free(s->ns);
	*s = (struct rtt_samples){};
}
