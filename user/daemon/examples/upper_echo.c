// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Example xskflowd plugin: answer IPv4 UDP datagrams with their payload in upper case.
 * Build: cc -shared -fPIC -O2 -I user/daemon -o upper_echo.so user/daemon/examples/upper_echo.c */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xskflow/plugin.h>

struct state {
	atomic_ullong answered, ignored;
	int shift;		/* 'a' - 'A' unless args say "lower" */
};

const __u32 xskflowd_plugin_abi = XSKFLOWD_PLUGIN_ABI;

int xskflowd_plugin_init(const char *args, void **state)
{
	struct state *s;

	if (strcmp(args, "") && strcmp(args, "upper") && strcmp(args, "lower"))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->shift = !strcmp(args, "lower") ? 'A' - 'a' : 'a' - 'A';
	*state = s;
	return 0;
}

static void swap(__u8 *a, __u8 *b, size_t n)
{
	__u8 t[6];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* Untagged IPv4 UDP without options only: anything else is dropped. The reply carries
 * UDP checksum 0 (none), which IPv4 allows; the IP header checksum is unchanged by a swap. */
static int answer(struct state *s, __u8 *f, __u32 len)
{
	__u8 *ip = f + 14, *udp = ip + 20;
	__u32 tot;

	if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || ip[0] != 0x45 || ip[9] != 17)
		return -1;
	tot = (__u32)(ip[2] << 8 | ip[3]);
	if (tot < 28 || tot > len - 14)
		return -1;
	for (__u8 *p = udp + 8; p < ip + tot; p++) {
		int from = s->shift > 0 ? 'a' : 'A';

		if (*p >= from && *p < from + 26)
			*p = (__u8)(*p - s->shift);
	}
	swap(f, f + 6, 6);
	swap(ip + 12, ip + 16, 4);
	swap(udp, udp + 2, 2);
	udp[6] = udp[7] = 0;
	return 0;
}

void xskflowd_plugin_burst(void *state, const struct xskflowd_ctx *ctx,
			   struct xskflowd_pkt *pkts, unsigned int n)
{
	struct state *s = state;

	(void)ctx;
	for (unsigned int i = 0; i < n; i++) {
		if (answer(s, pkts[i].data, pkts[i].len)) {
			atomic_fetch_add(&s->ignored, 1);
			continue;
		}
		pkts[i].verdict = XSKFLOWD_TX;
		atomic_fetch_add(&s->answered, 1);
	}
}

int xskflowd_plugin_stats(void *state, char *buf, size_t len)
{
	struct state *s = state;

	return snprintf(buf, len, "{\"answered\": %llu, \"ignored\": %llu}",
			(unsigned long long)atomic_load(&s->answered),
			(unsigned long long)atomic_load(&s->ignored));
}

void xskflowd_plugin_fini(void *state)
{
	free(state);
}
