/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Round-trip samples of a latency benchmark: kept in ns, summarised by nearest-rank
 * quantiles and written as a CDF. 'xskflow bench latency' and its kernel UDP baseline
 * (tests/bench/udp_rtt.c) both use it, so that their numbers mean the same thing. */
#ifndef XF_CLI_RTT_H
#define XF_CLI_RTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTT_MAX_SAMPLES (1u << 24)	/* kept; later round trips only count as pings */

struct rtt_samples {
	uint32_t *ns;
	size_t n, cap;
	bool sorted;
};

struct rtt_summary {
	size_t samples;
	double min_us, mean_us, p50_us, p90_us, p99_us, p999_us, max_us;
};

/* rtt_add - keep one round trip of @ns (clamped to UINT32_MAX). Returns 0, or -ENOMEM. */
int rtt_add(struct rtt_samples *s, uint64_t ns);
/* rtt_summarize - min, mean, quantiles and max of what was kept (all 0 with no samples). */
void rtt_summarize(struct rtt_samples *s, struct rtt_summary *out);
/* rtt_write_cdf - 'rtt_us fraction' lines, 1001 points, for gnuplot. Returns 0 or -errno. */
int rtt_write_cdf(struct rtt_samples *s, const char *path);
void rtt_free(struct rtt_samples *s);

#endif /* XF_CLI_RTT_H */
