/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared pieces of the xskflow command-line tool: subcommands, option helpers, the test
 * pattern, and the JSON/text report of modes and counters. */
#ifndef XF_CLI_H
#define XF_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <xskflow/xskflow.h>

#define CLI_NAME "xskflow"

int cmd_recv(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_rule(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* Diagnostics go to stderr, one line each, prefixed with the tool name. */
__attribute__((format(printf, 1, 2))) void cli_err(const char *fmt, ...);
void cli_set_verbosity(int v);
int cli_verbosity(void);

/* Number parsing with a range; on error prints "OPTION: 'VALUE' is not ..." and fails. */
int cli_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
	     unsigned long *out);

/* A signalfd for SIGINT/SIGTERM (blocked for the process) and a one-shot timerfd. */
int cli_signalfd(void);
int cli_timerfd(double seconds);
double cli_now(void);

/* Addresses from the command line; errors print "OPTION: 'VALUE' is not ..." and fail. */
int cli_parse_mac(const char *opt, const char *s, uint8_t *mac);
int cli_parse_ip(const char *opt, const char *s, int *family, struct in6_addr *a);
/* The MAC address of @ifname (SIOCGIFHWADDR). Returns 0 or -1. */
int cli_iface_mac(const char *ifname, uint8_t *mac);

/* Test pattern (see README): UDP payload "XSKF", be32 sequence, then byte k = (seq+k)&0xff. */
#define PAT_MAGIC "XSKF"
#define PAT_HDR_LEN 8

struct flow {
	uint8_t dst_mac[6], src_mac[6];
	int family;			/* AF_INET or AF_INET6 */
	struct in6_addr src, dst;	/* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
};

/* Smallest frame that carries the pattern header for this family. */
unsigned int pat_min_frame(int family);
/* Write one Ethernet/IP/UDP frame of exactly @len bytes with valid checksums. */
void pat_build(uint8_t *frame, unsigned int len, const struct flow *f, uint32_t seq);

struct verify {
	uint64_t ok, bad, out_of_order, missing;
	uint32_t expect;
	uint32_t max_seq;
	bool any;
	uint8_t *seen;		/* bitmap of sequence numbers received intact */
	size_t seen_bits;
};
void verify_packet(struct verify *v, const uint8_t *frame, unsigned int len);
/* Copy the @nsegs segments of a multi-buffer packet into @buf (at most @cap bytes).
 * Returns the packet's length, or 0 when it does not fit. */
unsigned int pat_gather(uint8_t *buf, unsigned int cap, const struct xf_pkt *segs,
			unsigned int nsegs);
/* Largest frame the test tools send or receive with multi-buffer (MTU 9000 + Ethernet). */
#define PAT_MAX_JUMBO 9014
/* Compute 'missing' against @expected_total (0: up to the highest sequence seen). */
void verify_finish(struct verify *v, uint64_t expected_total);
void verify_free(struct verify *v);

/* Report helpers: the same object feeds --json and the text summary. */
json_object *report_xdp_stats(const struct xf_xdp_stats *st);
/* A duration printed with millisecond precision. */
json_object *report_seconds(double s);
json_object *report_fallbacks(const struct xf_steer *steer, const struct xf_port *port);
/* The steering program's own counters (matched, unmatched, malformed, ...). */
json_object *report_steer_stats(const struct xf_steer *steer);
/* The live rules with their ids and counters: [{id, rule, packets, bytes}]. */
json_object *report_rules(const struct xf_steer *steer);
void report_print(json_object *o, bool json);

#endif /* XF_CLI_H */
