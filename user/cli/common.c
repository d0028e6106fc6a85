// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option parsing helpers, logging, signals and timers, and the report printer shared by
 * the subcommands. */
#include <errno.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "cli.h"

static int verbosity;

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, CLI_NAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int cli_print(enum xf_log_level level, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	if ((level == XF_LOG_INFO && verbosity < 1) || (level == XF_LOG_DEBUG && verbosity < 2))
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return fprintf(stderr, CLI_NAME ": %s%s\n", level == XF_LOG_WARN ? "warning: " : "", buf);
}

void cli_set_verbosity(int v)
{
	verbosity = v;
	xf_set_print(cli_print);
}

int cli_verbosity(void)
{
	return verbosity;
}

int cli_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
	     unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || *out < lo || *out > hi) {
		cli_err("%s: '%s' is not a number in %lu-%lu", opt, s, lo, hi);
		return -1;
	}
	return 0;
}

int cli_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cli_timerfd(double seconds)
{
	struct itimerspec its = {};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0 || seconds <= 0)
		return fd;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	timerfd_settime(fd, 0, &its, NULL);
	return fd;
}

int cli_parse_mac(const char *opt, const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		goto bad;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			goto bad;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
bad:
	cli_err("%s: '%s' is not a MAC address like 02:00:00:00:00:01", opt, s);
	return -1;
}

int cli_iface_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = -1;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		err = 0;
	}
	close(fd);
	return err;
}

int cli_parse_ip(const char *opt, const char *s, int *family, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, a) == 1)
		*family = AF_INET6;
	else {
		cli_err("%s: '%s' is not an IPv4 or IPv6 address", opt, s);
		return -1;
	}
	return 0;
}

int flow_opt(int c, const char *arg, struct flow_args *a)
{
	unsigned long port;

	switch (c) {
	case FLOW_O_DMAC:
		a->dst_mac = true;
		return cli_parse_mac("--dst-mac", arg, a->flow.dst_mac);
	case FLOW_O_SMAC:
		a->src_mac = true;
		return cli_parse_mac("--src-mac", arg, a->flow.src_mac);
	case FLOW_O_SIP:
		a->src_ip = arg;
		return cli_parse_ip("--src-ip", arg, &a->sfam, &a->flow.src);
	case FLOW_O_DIP:
		a->dst_ip = arg;
		return cli_parse_ip("--dst-ip", arg, &a->dfam, &a->flow.dst);
	case FLOW_O_SPORT:
	case FLOW_O_DPORT:
		if (cli_uint(c == FLOW_O_SPORT ? "--src-port" : "--dst-port", arg, 1, 65535, &port))
			return -1;
		if (c == FLOW_O_SPORT) {
			a->flow.sport = (uint16_t)port;
			a->sport = true;
		} else {
			a->flow.dport = (uint16_t)port;
			a->dport = true;
		}
		return 0;
	}
	return 1;
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

json_object *report_seconds(double s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", s);
	return json_object_new_double_s(s, buf);
}

json_object *report_xdp_stats(const struct xf_xdp_stats *st)
{
	json_object *o = json_object_new_object();

#define ADD(f) json_object_object_add(o, #f, json_object_new_uint64(st->f))
	ADD(rx_dropped);
	ADD(rx_invalid_descs);
	ADD(tx_invalid_descs);
	ADD(rx_ring_full);
	ADD(rx_fill_ring_empty_descs);
	ADD(tx_ring_empty_descs);
#undef ADD
	return o;
}

json_object *report_fallbacks(const struct xf_steer *steer, const struct xf_port *port)
{
	json_object *a = json_object_new_array();
	const char *s;

	for (size_t i = 0; steer && (s = xf_steer__fallback(steer, i)); i++)
		json_object_array_add(a, json_object_new_string(s));
	for (size_t i = 0; port && (s = xf_port__fallback(port, i)); i++)
		json_object_array_add(a, json_object_new_string(s));
	return a;
}

/* Text form: one "key: value" line per top-level member; objects flattened on one line. */
void report_print(json_object *o, bool json)
{
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		return;
	}
	json_object_object_foreach(o, key, val) {
		if (json_object_is_type(val, json_type_array)) {
			size_t n = json_object_array_length(val);

			if (!n)
				printf("%-12s none\n", key);
			for (size_t i = 0; i < n; i++) {
				json_object *e = json_object_array_get_idx(val, i);

				printf("%-12s", i ? "" : key);
				if (json_object_is_type(e, json_type_object)) {
					json_object_object_foreach(e, k2, v2)
						printf(" %s %s", k2, json_object_get_string(v2));
					printf("\n");
				} else {
					printf(" %s\n", json_object_get_string(e));
				}
			}
		} else if (json_object_is_type(val, json_type_object)) {
			printf("%-12s", key);
			json_object_object_foreach(val, k2, v2)
				printf(" %s %s", k2, json_object_get_string(v2));
			printf("\n");
		} else {
			printf("%-12s %s\n", key, json_object_get_string(val));
		}
	}
}
