/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared pieces of the xskflow command-line tool: subcommands, option helpers, the test
 * pattern, and the JSON/text report of modes and counters. */
#ifndef XF_CLI_H
#define XF_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
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

/* Port settings: the options recv, send, bench, attach/rule/stats and doctor share, described
 * once in portopts.c. A command sets @opts to the groups it takes and its defaults, then
 * reads argv with portopts_getopt(). */
#define PO_IFACE	(1u << 0)	/* -i, --interface */
#define PO_QUEUE	(1u << 1)	/* -q, --queue 0-255 */
#define PO_MODE		(1u << 2)	/* --mode auto|native|generic */
#define PO_BIND		(1u << 3)	/* --bind auto|copy|zero-copy */
#define PO_FRAME_SIZE	(1u << 4)	/* --frame-size 2048|4096 */
#define PO_FRAMES	(1u << 5)	/* --frames N (2-16777216 unless frames_lo/hi say) */
#define PO_HEADROOM	(1u << 6)	/* --headroom 0-4096 */
#define PO_RING_SIZE	(1u << 7)	/* --ring-size: fill and RX ring, power of two */
#define PO_RINGS	(1u << 8)	/* --rx-ring, --tx-ring, --fill-ring, --comp-ring */
#define PO_NO_WAKEUP	(1u << 9)	/* --no-wakeup */
#define PO_HUGEPAGES	(1u << 10)	/* --hugepages */
#define PO_MULTI_BUFFER	(1u << 11)	/* --multi-buffer */
#define PO_BUSY_POLL	(1u << 12)	/* --busy-poll, --busy-budget, --prefer-busy-poll */
#define PO_NAPI_YIELD	(1u << 13)	/* --napi-yield */

struct port_settings {
	unsigned int opts;		/* PO_* groups the command takes */
	unsigned long frames_lo, frames_hi; /* the command's --frames range; 0: the default */
	bool numa_local;		/* place the UMEM on the interface's NUMA node */
	const char *ifname;
	unsigned long queue;
	enum xf_attach_mode mode;
	enum xf_bind_mode bind;
	unsigned long frame_size, frames, headroom;	/* 0: the library's default */
	unsigned long ring_size, rx_ring, tx_ring, fill_ring, comp_ring;
	unsigned long busy_poll, busy_budget;
	bool no_wakeup, hugepages, multi_buffer, prefer_busy_poll, napi_yield;
};

#define PORTOPT_ERR (-2)
/* getopt_long() over the command's @shortopts and @own long options plus the shared ones
 * in @ps->opts. Shared options are stored in @ps; a bad value prints one line naming the
 * option, the value and what is allowed, and returns PORTOPT_ERR. Returns the command's
 * own option codes (and '?') like getopt_long(), -1 at the end. */
int portopts_getopt(struct port_settings *ps, int argc, char **argv, const char *shortopts,
		    const struct option *own);
/* Create the UMEM and the port (RX ring if @rx, TX ring if @tx, in @steer's XSKMAP if set)
 * from @ps. Returns 0, or -1 when the library has said why; whatever was created is in
 * *@umem and *@port for port_settings_finish(). */
int port_settings_open(const struct port_settings *ps, struct xf_steer *steer, bool rx,
		       bool tx, struct xf_umem **umem, struct xf_port **port);
/* Tear down in order: port, steering program (if not persistent), UMEM; NULLs are skipped.
 * Then, if @report is set, add "frames_home" (every frame came back), print it (as JSON if
 * @json) and free it. */
void port_settings_finish(struct xf_port *port, struct xf_steer *steer, struct xf_umem *umem,
			  json_object *report, bool json);

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

/* The test-flow options of send and bench: --dst-mac, --src-mac, --src-ip, --dst-ip,
 * --src-port, --dst-port. Put CLI_FLOW_LOPTS in the long options and hand every option
 * to flow_opt() first. */
enum { FLOW_O_DMAC = 0x2000, FLOW_O_SMAC, FLOW_O_SIP, FLOW_O_DIP, FLOW_O_SPORT, FLOW_O_DPORT };
#define CLI_FLOW_LOPTS							\
	{ "dst-mac", required_argument, NULL, FLOW_O_DMAC },		\
	{ "src-mac", required_argument, NULL, FLOW_O_SMAC },		\
	{ "src-ip", required_argument, NULL, FLOW_O_SIP },		\
	{ "dst-ip", required_argument, NULL, FLOW_O_DIP },		\
	{ "src-port", required_argument, NULL, FLOW_O_SPORT },		\
	{ "dst-port", required_argument, NULL, FLOW_O_DPORT }

struct flow_args {
	struct flow flow;
	bool dst_mac, src_mac, sport, dport;	/* given */
	const char *src_ip, *dst_ip;		/* as given; NULL: not given */
	int sfam, dfam;				/* their families */
};

/* flow_opt - take option @c with @arg into @a. Returns 1 when @c is not a flow option, 0
 * when taken, -1 on a bad value (reported in one line). */
int flow_opt(int c, const char *arg, struct flow_args *a);

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
