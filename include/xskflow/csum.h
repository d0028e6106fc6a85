/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The Internet checksum (RFC 1071) for headers built or rewritten in place: add bytes to a
 * 32-bit running sum of big-endian 16-bit words, then fold it to the one's complement.
 * Header only; used by the library (xf_port__push_udp4), the CLI's test pattern and the
 * daemon's reflect handler, and free for plugins. The running sum does not overflow below
 * 128 KiB of data. */
#ifndef XSKFLOW_CSUM_H
#define XSKFLOW_CSUM_H

#include <stddef.h>
#include <linux/types.h>

/* xf_csum_add - @sum plus the @len bytes at @data as big-endian 16-bit words (an odd last
 * byte is the high half of a word). Start from 0, or from a pseudo-header's sum. */
static inline __u32 xf_csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = (const __u8 *)data;

	for (; len > 1; len -= 2, p += 2)
		sum += (__u32)p[0] << 8 | p[1];
	if (len)
		sum += (__u32)p[0] << 8;
	return sum;
}

/* xf_csum_fold - the checksum field value (host byte order) for a running sum. */
static inline __u16 xf_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* XSKFLOW_CSUM_H */
