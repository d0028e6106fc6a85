// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The xskflowd config file: INI read by libinih, every key described once in the table below
 * (name, type, default, validator), then cross-section checks. No side effects. */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ini.h>
#include "config.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define WHY_LEN		256
#define INI_SECTION_MAX	49	/* libinih truncates longer [section] names */

struct cfg_key;
typedef int (*cfg_set_fn)(const struct cfg_key *k, void *field, const char *val, char *why,
			  size_t len);

#define CK_REQUIRED	0x1	/* no default: must be given (handlers: see req_types) */

struct cfg_key {
	enum cfg_kind kind;
	const char *name;
	size_t off;			/* field in the section struct */
	size_t size;			/* field size (strings) */
	const char *type;		/* for messages and --keys */
	const char *dflt;		/* parsed by @set like a value from the file */
	cfg_set_fn set;
	unsigned long long min, max;
	const char *const *names;	/* enum: value i is names[i] */
	unsigned int types;		/* handler keys: bit per handler_type using it */
	unsigned int req_types;		/* handler keys: bit per handler_type requiring it */
	unsigned int flags;
	const char *doc;
};

/* ---- value validators ---- */

static int set_str(const struct cfg_key *k, void *field, const char *val, char *why,
		   size_t len)
{
	if (strlen(val) >= k->size) {
		snprintf(why, len, "longer than %zu characters", k->size - 1);
		return -EINVAL;
	}
	strcpy(field, val);
	return 0;
}

static int set_abs_path(const struct cfg_key *k, void *field, const char *val, char *why,
			size_t len)
{
	/* Empty is "not set": only where that is the default. */
	if (!*val && k->dflt && !*k->dflt)
		return set_str(k, field, val, why, len);
	if (val[0] != '/') {
		snprintf(why, len, "'%s' is not an absolute path; the daemon runs from /", val);
		return -EINVAL;
	}
	return set_str(k, field, val, why, len);
}

/* The user to switch to after setup (privdrop.c); empty: stay. */
static int set_user(const struct cfg_key *k, void *field, const char *val, char *why,
		    size_t len)
{
	struct passwd *pw = *val ? getpwnam(val) : NULL;

	if (*val && !pw) {
		snprintf(why, len, "no user '%s' on this system; create it or leave the key out",
			 val);
		return -EINVAL;
	}
	if (pw && !pw->pw_uid) {
		snprintf(why, len, "'%s' is root; leave the key out to keep running as root", val);
		return -EINVAL;
	}
	return set_str(k, field, val, why, len);
}

int cfg_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[CFG_LISTEN_MAX];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	size_t hl;
	char *end;

	if (!colon || strlen(s) >= sizeof(host) || !isdigit((unsigned char)colon[1]))
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !port || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

static int set_listen(const struct cfg_key *k, void *field, const char *val, char *why,
		      size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (*val && cfg_parse_listen(val, &ss, &sl)) {
		snprintf(why, len, "'%s' is not ADDRESS:PORT with a numeric address, e.g. "
			 "127.0.0.1:9464 or [::1]:9464", val);
		return -EINVAL;
	}
	return set_str(k, field, val, why, len);
}

static int parse_ull(const char *val, unsigned long long *out, char **end)
{
	if (!isdigit((unsigned char)*val))
		return -EINVAL;
	errno = 0;
	*out = strtoull(val, end, 10);
	return errno ? -ERANGE : 0;
}

static int set_uint(const struct cfg_key *k, void *field, const char *val, char *why,
		    size_t len)
{
	unsigned long long v;
	char *end;

	if (parse_ull(val, &v, &end) || *end || v < k->min || v > k->max) {
		snprintf(why, len, "'%s' is not a whole number in %llu-%llu", val, k->min, k->max);
		return -EINVAL;
	}
	*(unsigned int *)field = (unsigned int)v;
	return 0;
}

static int set_pow2(const struct cfg_key *k, void *field, const char *val, char *why,
		    size_t len)
{
	unsigned int v;

	if (set_uint(k, &v, val, why, len))
		return -EINVAL;
	if (v & (v - 1)) {
		snprintf(why, len, "%u is not a power of two (%llu, %llu, ... %llu)", v, k->min,
			 k->min * 2, k->max);
		return -EINVAL;
	}
	*(unsigned int *)field = v;
	return 0;
}

static int parse_size(const char *val, unsigned long long *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (parse_ull(val, &v, &end))
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mult = 1ull << 10; end++; break;
	case 'M': mult = 1ull << 20; end++; break;
	case 'G': mult = 1ull << 30; end++; break;
	case 'T': mult = 1ull << 40; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' && mult > 1)
		end++;
	if ((*end == 'B' || *end == 'b') && mult > 1)
		end++;
	if (*end || (v && mult > ~0ull / v))
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int set_size(const struct cfg_key *k, void *field, const char *val, char *why,
		    size_t len)
{
	unsigned long long v;

	if (parse_size(val, &v) || v < k->min || v > k->max) {
		snprintf(why, len, "'%s' is not a size in bytes (suffix K, M, G) in %llu-%llu", val,
			 k->min, k->max);
		return -EINVAL;
	}
	*(unsigned long long *)field = v;
	return 0;
}

/* Bytes, or a percentage of physical memory. */
static int set_amount(const struct cfg_key *k, void *field, const char *val, char *why,
		      size_t len)
{
	size_t n = strlen(val);

	if (n && val[n - 1] == '%') {
		unsigned long long pct = 0, ram = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
						  (unsigned long long)sysconf(_SC_PAGESIZE);
		char num[32], *end = NULL;
		bool ok = n < sizeof(num);

		if (ok) {
			memcpy(num, val, n - 1);
			num[n - 1] = '\0';
			ok = !parse_ull(num, &pct, &end) && !*end && pct && pct <= 100;
		}
		if (!ok) {
			snprintf(why, len, "'%s' is not a percentage of RAM in 1%%-100%%", val);
			return -EINVAL;
		}
		*(unsigned long long *)field = ram / 100 * pct;
		return 0;
	}
	if (parse_size(val, (unsigned long long *)field) || !*(unsigned long long *)field) {
		snprintf(why, len, "'%s' is neither a size in bytes (suffix K, M, G) nor a "
			 "percentage of RAM like 25%%", val);
		return -EINVAL;
	}
	(void)k;
	return 0;
}

static int set_bool(const struct cfg_key *k, void *field, const char *val, char *why,
		    size_t len)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	(void)k;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(val, yes[i])) {
			*(bool *)field = true;
			return 0;
		}
		if (!strcasecmp(val, no[i])) {
			*(bool *)field = false;
			return 0;
		}
	}
	snprintf(why, len, "'%s' is not yes or no", val);
	return -EINVAL;
}

static void names_list(const char *const *names, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; names[i]; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", names[i]);
}

static int set_enum(const struct cfg_key *k, void *field, const char *val, char *why,
		    size_t len)
{
	char list[160];

	for (size_t i = 0; k->names[i]; i++) {
		if (!strcmp(val, k->names[i])) {
			*(int *)field = (int)i;
			return 0;
		}
	}
	names_list(k->names, list, sizeof(list));
	snprintf(why, len, "'%s' is not one of %s", val, list);
	return -EINVAL;
}

/* "0-3,5": a bitmap of @k->max + 1 bits; empty only where the default is empty. */
static int set_list(const struct cfg_key *k, void *field, const char *val, char *why,
		    size_t len)
{
	unsigned char *map = field;
	size_t bytes = (k->max + 1 + 7) / 8;
	const char *p = val;

	memset(map, 0, bytes);
	if (!*val) {
		if (k->dflt && !*k->dflt)
			return 0;
		snprintf(why, len, "empty; give a list like 0-3,5");
		return -EINVAL;
	}
	while (*p) {
		unsigned long long a, b;
		char *end;

		if (parse_ull(p, &a, &end))
			goto bad;
		b = a;
		if (*end == '-' && parse_ull(end + 1, &b, &end))
			goto bad;
		if (a > b || b > k->max) {
			snprintf(why, len, "'%s': %llu-%llu is not within 0-%llu", val, a, b, k->max);
			return -EINVAL;
		}
		for (unsigned long long i = a; i <= b; i++)
			map[i / 8] |= (unsigned char)(1u << (i % 8));
		p = end;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	return 0;
bad:
	snprintf(why, len, "'%s' is not a list like 0-3,5 of numbers in 0-%llu", val, k->max);
	return -EINVAL;
}

static int set_ifname(const struct cfg_key *k, void *field, const char *val, char *why,
		      size_t len)
{
	if (!*val || strlen(val) >= IF_NAMESIZE || strpbrk(val, "/ \t:") ||
	    !strcmp(val, ".") || !strcmp(val, "..")) {
		snprintf(why, len, "'%s' is not an interface name (1-%d characters, no '/', ':' "
			 "or spaces)", val, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	return set_str(k, field, val, why, len);
}

/* Empty only as the default of a key that some types require. */
static int set_ifname_opt(const struct cfg_key *k, void *field, const char *val, char *why,
			  size_t len)
{
	if (!*val && k->dflt && !*k->dflt)
		return set_str(k, field, val, why, len);
	return set_ifname(k, field, val, why, len);
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= CFG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static int set_ref(const struct cfg_key *k, void *field, const char *val, char *why,
		   size_t len)
{
	if (*val && !valid_name(val)) {
		snprintf(why, len, "'%s' is not a section name (letters, digits, '_', '.', '-', at "
			 "most %d)", val, CFG_NAME_MAX - 1);
		return -EINVAL;
	}
	return set_str(k, field, val, why, len);
}

/* The match is checked with the action once the section is complete. */
static int set_match(const struct cfg_key *k, void *field, const char *val, char *why,
		     size_t len)
{
	static const char *const actions[] = { "xsk", "pass", "drop" };
	char buf[XF_RULE_TEXT_MAX], *save = NULL;

	if (strlen(val) >= sizeof(buf)) {
		snprintf(why, len, "longer than %d characters", XF_RULE_TEXT_MAX - 1);
		return -EINVAL;
	}
	strcpy(buf, val);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(w, "slot")) {
			snprintf(why, len, "'slot' picks a socket, and the daemon owns its "
				 "sockets: leave it out");
			return -EINVAL;
		}
		for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
			if (!strcmp(w, actions[i])) {
				snprintf(why, len, "'%s' is an action: give it with the 'action' "
					 "key, the match says only which packets", w);
				return -EINVAL;
			}
		}
	}
	return set_str(k, field, val, why, len);
}

/* ---- the table: every key, once ---- */

static const char *const level_names[] = { "error", "warning", "info", "debug", NULL };
static const char *const attach_names[] = { "auto", "native", "generic", NULL };
static const char *const bind_names[] = { "auto", "copy", "zero-copy", NULL };
static const char *const action_names[] = { "xsk", "pass", "drop", NULL };
static const char *const type_names[] = { "count", "reflect", "pcap", "plugin", "forward",
					  NULL };

#define FIELD(k, st, key, f)	k, key, offsetof(st, f), sizeof(((st *)0)->f)
#define D(f)	FIELD(CFG_DAEMON, struct cfg_daemon, #f, f)
#define I(f)	FIELD(CFG_INTERFACE, struct cfg_iface, #f, f)
#define R(f)	FIELD(CFG_RULE, struct cfg_rule, #f, f)
#define H(f)	FIELD(CFG_HANDLER, struct cfg_handler, #f, f)
#define T(t)	(1u << (t))
#define T_ALL	(T(HT_COUNT) | T(HT_REFLECT) | T(HT_PCAP) | T(HT_PLUGIN) | T(HT_FORWARD))

static const struct cfg_key keys[] = {
	{ D(control_socket), "path", "/run/xskflowd.sock", .set = set_abs_path,
	  .doc = "unix socket for 'xskflow ctl' (mode 0600)" },
	{ D(user), "user", "", .set = set_user,
	  .doc = "after setup, run as this user with only the capabilities running needs" },
	{ D(log_level), "enum", "info", .set = set_enum, .names = level_names,
	  .doc = "error, warning, info or debug" },
	{ D(stats_interval), "seconds", "60", .set = set_uint, .min = 0, .max = 86400,
	  .doc = "log a stats line this often; 0: never" },
	{ D(pinned_limit), "bytes|%", "25%", .set = set_amount,
	  .doc = "refuse configs whose UMEMs would pin more than this (bytes or % of RAM)" },
	{ D(metrics), "addr:port", "", .set = set_listen,
	  .doc = "serve Prometheus metrics on http://ADDR:PORT/metrics; empty: off" },

	{ I(attach), "enum", "auto", .set = set_enum, .names = attach_names,
	  .doc = "XDP attach mode: auto (native, else generic), native, generic" },
	{ I(bind), "enum", "auto", .set = set_enum, .names = bind_names,
	  .doc = "AF_XDP bind mode: auto (zero-copy, else copy), copy, zero-copy" },
	{ I(queues), "list", "0", .set = set_list, .max = CFG_MAX_QUEUES - 1,
	  .doc = "queues to take, one poller thread each, e.g. 0-3,5" },
	{ I(frame_size), "bytes", "4096", .set = set_pow2, .min = 2048, .max = 4096,
	  .doc = "UMEM frame size: 2048 or 4096" },
	{ I(frames), "count", "4096", .set = set_uint, .min = 64, .max = 1u << 24,
	  .doc = "UMEM frames per queue" },
	{ I(headroom), "bytes", "0", .set = set_uint, .min = 0, .max = 4096 - 320,
	  .doc = "bytes reserved in front of every packet (at most frame_size - 320)" },
	{ I(ring_size), "count", "2048", .set = set_pow2, .min = 64, .max = 16384,
	  .doc = "entries of each ring (fill, completion, RX, TX), a power of two" },
	{ I(need_wakeup), "bool", "yes", .set = set_bool,
	  .doc = "use the need_wakeup flag (fewer syscalls when the poller shares a core)" },
	{ I(busy_poll), "usecs", "0", .set = set_uint, .min = 0, .max = 1000000,
	  .doc = "SO_BUSY_POLL time per poll with SO_PREFER_BUSY_POLL; 0: off" },
	{ I(busy_poll_budget), "count", "64", .set = set_uint, .min = 1, .max = 1024,
	  .doc = "SO_BUSY_POLL_BUDGET when busy_poll is on" },
	{ I(hugepages), "bool", "no", .set = set_bool,
	  .doc = "back the UMEM with 2 MiB hugepages (normal pages and a warning if none are reserved)" },
	{ I(multi_buffer), "bool", "no", .set = set_bool,
	  .doc = "XDP_USE_SG: packets larger than one UMEM frame (jumbo frames, MTU up to 9000) "
		 "arrive and leave as chains of frames (Linux 6.6+)" },
	{ I(cpus), "list", "", .set = set_list, .max = CFG_MAX_CPUS - 1,
	  .doc = "CPUs for the pollers, assigned in queue order round robin; empty: any" },
	{ I(napi_yield), "bool", "no", .set = set_bool,
	  .doc = "each poller whose queue's NAPI thread shares its CPU (threaded NAPI; see cpus) "
		 "runs SCHED_FIFO 1: it preempts NAPI when it has packets to take, NAPI runs "
		 "while it sleeps. Needs CAP_SYS_NICE, Linux 6.8+" },

	{ FIELD(CFG_RULE, struct cfg_rule, "interface", iface), "name", NULL, .set = set_ifname,
	  .flags = CK_REQUIRED,
	  .doc = "interface (an [interface NAME] section) whose traffic the rule steers" },
	{ R(match), "rule", NULL, .set = set_match, .flags = CK_REQUIRED,
	  .doc = "which packets, in the rule language, e.g. 'udp dport 4242'" },
	{ R(action), "enum", "xsk", .set = set_enum, .names = action_names,
	  .doc = "xsk (to the handler), pass (kernel) or drop" },
	{ R(handler), "name", "", .set = set_ref,
	  .doc = "[handler NAME] for the packets; required with action xsk, refused otherwise" },

	{ H(type), "enum", NULL, .set = set_enum, .names = type_names,
	  .flags = CK_REQUIRED, .types = T_ALL,
	  .doc = "count (count and drop), reflect (echo back), pcap (write a file), plugin, "
	  "forward (out of another interface)" },
	{ H(file), "path", "", .set = set_abs_path, .types = T(HT_PCAP), .req_types = T(HT_PCAP),
	  .doc = "pcap: file to write; rotated files get .1, .2, ..." },
	{ H(snaplen), "bytes", "262144", .set = set_uint, .min = 64, .max = 262144,
	  .types = T(HT_PCAP), .doc = "pcap: bytes kept of each packet" },
	{ H(rotate_size), "bytes", "0", .set = set_size, .min = 0, .max = 1ull << 40,
	  .types = T(HT_PCAP), .doc = "pcap: start a new file past this size; 0: never" },
	{ H(rotate_count), "count", "0", .set = set_uint, .min = 0, .max = 100000,
	  .types = T(HT_PCAP), .doc = "pcap: rotated files kept (oldest removed); 0: all" },
	{ H(compress), "bool", "no", .set = set_bool, .types = T(HT_PCAP),
	  .doc = "pcap: gzip rotated files (zlib), off the packet path" },
	{ H(path), "path", "", .set = set_abs_path, .types = T(HT_PLUGIN),
	  .req_types = T(HT_PLUGIN), .doc = "plugin: shared object exporting the xskflowd "
	  "plugin entry points (include/xskflow/plugin.h)" },
	{ H(args), "string", "", .set = set_str, .types = T(HT_PLUGIN),
	  .doc = "plugin: text given to its init function" },
	{ FIELD(CFG_HANDLER, struct cfg_handler, "interface", iface), "name", "",
	  .set = set_ifname_opt, .types = T(HT_FORWARD), .req_types = T(HT_FORWARD),
	  .doc = "forward: interface to transmit out of, on the receiving queue's number; "
	  "not one the daemon receives on at that queue" },
};

_Static_assert(ARRAY_SIZE(keys) <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS");
/* add_section() writes the name of a named section right after its cfg_where. */
_Static_assert(offsetof(struct cfg_iface, name) == sizeof(struct cfg_where), "layout");
_Static_assert(offsetof(struct cfg_rule, name) == sizeof(struct cfg_where), "layout");
_Static_assert(offsetof(struct cfg_handler, name) == sizeof(struct cfg_where), "layout");

static const char *const kind_names[CFG_KINDS] = {
	[CFG_DAEMON] = "daemon", [CFG_INTERFACE] = "interface", [CFG_RULE] = "rule",
	[CFG_HANDLER] = "handler",
};

const char *handler_type_str(enum handler_type t)
{
	return (unsigned int)t < HT_TYPES ? type_names[t] : "?";
}

const char *log_level_str(enum log_level l)
{
	return (unsigned int)l <= LOG_LVL_DEBUG ? level_names[l] : "?";
}

bool cfg_bit(const __u8 *map, unsigned int i)
{
	return map[i / 8] & (1u << (i % 8));
}

static unsigned int bits_set(const __u8 *map, unsigned int nbits)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nbits; i++)
		n += cfg_bit(map, i);
	return n;
}

void cfg_format_list(const __u8 *map, unsigned int nbits, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < nbits; i++) {
		unsigned int j = i;

		if (!cfg_bit(map, i))
			continue;
		while (j + 1 < nbits && cfg_bit(map, j + 1))
			j++;
		if (n < len)
			n += snprintf(buf + n, len - n, "%s%u", n ? "," : "", i);
		if (j > i && n < len)
			n += snprintf(buf + n, len - n, "-%u", j);
		i = j;
	}
}

void config_print_keys(FILE *f)
{
	enum cfg_kind last = CFG_KINDS;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct cfg_key *k = &keys[i];

		if (k->kind != last)
			fprintf(f, "%s[%s%s]\n", i ? "\n" : "", kind_names[k->kind],
				k->kind == CFG_DAEMON ? "" : " NAME");
		last = k->kind;
		fprintf(f, "  %-17s %-9s %-20s %s\n", k->name, k->type,
			k->dflt ? (*k->dflt ? k->dflt : "(empty)") : "(required)", k->doc);
	}
}

/* ---- messages ---- */

__attribute__((format(printf, 2, 3)))
static void cfg_error(struct cfg_errors *e, const char *fmt, ...)
{
	char buf[1024], **p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p = realloc(e->msg, (e->n + 1) * sizeof(*p));
	if (!p)
		return;
	e->msg = p;
	e->msg[e->n] = strdup(buf);
	if (e->msg[e->n])
		e->n++;
}

void cfg_errors_free(struct cfg_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

/* ---- reading the file ---- */

struct parse {
	struct config *cfg;
	struct cfg_errors *errs;
	const char *file;
	FILE *f;
	char *buf;
	size_t bufcap;
	unsigned int line;		/* the line inih is looking at */
	unsigned int header_line;	/* the last [section] line read */
	unsigned int syntax_lines;	/* syntax errors reported by the reader */
	unsigned int last_syntax;
	bool after_key;			/* an indented line continues the last value */
	/* The section keys are going into. */
	char cur_name[256];
	unsigned int cur_header;
	enum cfg_kind cur_kind;
	long cur_idx;			/* -1: ignore keys (the header was refused) */
	bool have_cur;
};

static void perr(struct parse *ps, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parse *ps, unsigned int line, const char *fmt, ...)
{
	char buf[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (line)
		cfg_error(ps->errs, "%s:%u: %s", ps->file, line, buf);
	else
		cfg_error(ps->errs, "%s: %s", ps->file, buf);
}

static void enter_section(struct parse *ps, const char *section);

/* inih's view of a line, just enough to name each syntax error rather than only the first:
 * a comment, a [section], a key = value (or key: value), or an indented continuation. */
static bool line_is_valid(const char *s, bool after_key)
{
	const char *p = s, *q;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '\n' || *p == '\r' || *p == ';' || *p == '#')
		return true;
	if (p > s && after_key)
		return true;		/* continuation of the previous value */
	for (q = p + 1; *q; q++) {
		if (*q == ';' && (q[-1] == ' ' || q[-1] == '\t'))
			break;
		if (*p == '[' ? *q == ']' : (*q == '=' || *q == ':'))
			return true;
	}
	return *p != '[' && (*p == '=' || *p == ':');
}

/* The reader libinih calls for every line: counts lines (this libinih passes no line
 * numbers), notes [section] lines, and refuses over-long lines instead of splitting them. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	ssize_t n = getline(&ps->buf, &ps->bufcap, ps->f);
	const char *p;

	if (n < 0)
		return NULL;
	ps->line++;
	if (n >= num - 1) {
		perr(ps, ps->line, "line: longer than %d characters", num - 3);
		ps->syntax_lines++;
		ps->last_syntax = ps->line;
		snprintf(str, num, "\n");
		return str;
	}
	memcpy(str, ps->buf, (size_t)n + 1);
	for (p = str; *p == ' ' || *p == '\t'; p++)
		;
	if (!line_is_valid(str, ps->after_key)) {
		perr(ps, ps->line, "syntax error: expected [section], 'key = value' or a comment");
		ps->syntax_lines++;
		ps->last_syntax = ps->line;
	} else if (*p == '[' && !(p > str && ps->after_key)) {
		/* This libinih reports sections only through their keys: enter the section
		 * here, so that one without keys exists too. Its name is what libinih will
		 * pass: the text up to the first ']'. */
		const char *end = strchr(p, ']');
		char name[INI_SECTION_MAX + 1];

		ps->header_line = ps->line;
		if (end - p - 1 > INI_SECTION_MAX) {
			perr(ps, ps->line, "[%.20s...]: section header longer than %d characters",
			     p + 1, INI_SECTION_MAX);
			snprintf(ps->cur_name, sizeof(ps->cur_name), "%.*s", INI_SECTION_MAX, p + 1);
			ps->cur_header = ps->line;
			ps->have_cur = true;
			ps->cur_idx = -1;
		} else {
			snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
			enter_section(ps, name);
		}
	}
	if (*p && *p != '\n' && *p != '\r' && *p != ';' && *p != '#')
		ps->after_key = *p != '[' || (p > str && ps->after_key);
	return str;
}

static const struct cfg_key *find_key(enum cfg_kind kind, const char *name, size_t *idx)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (keys[i].kind == kind && !strcmp(keys[i].name, name)) {
			*idx = i;
			return &keys[i];
		}
	}
	return NULL;
}

static void *section_at(struct config *cfg, enum cfg_kind kind, size_t idx)
{
	switch (kind) {
	case CFG_DAEMON: return &cfg->daemon;
	case CFG_INTERFACE: return &cfg->ifaces[idx];
	case CFG_RULE: return &cfg->rules[idx];
	case CFG_HANDLER: return &cfg->handlers[idx];
	default: return NULL;
	}
}

static struct cfg_where *where_of(struct config *cfg, enum cfg_kind kind, size_t idx)
{
	/* Every section struct starts with its cfg_where. */
	return section_at(cfg, kind, idx);
}

static void apply_defaults(enum cfg_kind kind, void *sec)
{
	char why[WHY_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct cfg_key *k = &keys[i];

		/* The defaults are in this file and checked by the unit tests. */
		if (k->kind == kind && k->dflt)
			(void)k->set(k, (char *)sec + k->off, k->dflt, why, sizeof(why));
	}
}

static const char *section_label(enum cfg_kind kind, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "[%s%s%s]", kind_names[kind], *name ? " " : "", name);
	return buf;
}

/* Find an existing section of @kind called @name; returns its header line or 0. */
static unsigned int section_line(struct config *cfg, enum cfg_kind kind, const char *name)
{
	if (kind == CFG_DAEMON)
		return cfg->daemon.at.line;
	if (kind == CFG_INTERFACE) {
		for (size_t i = 0; i < cfg->n_ifaces; i++)
			if (!strcmp(cfg->ifaces[i].name, name))
				return cfg->ifaces[i].at.line;
	} else if (kind == CFG_RULE) {
		for (size_t i = 0; i < cfg->n_rules; i++)
			if (!strcmp(cfg->rules[i].name, name))
				return cfg->rules[i].at.line;
	} else {
		for (size_t i = 0; i < cfg->n_handlers; i++)
			if (!strcmp(cfg->handlers[i].name, name))
				return cfg->handlers[i].at.line;
	}
	return 0;
}

static long add_section(struct config *cfg, enum cfg_kind kind, const char *name,
			unsigned int line)
{
	void **arr;
	size_t *n, size;
	void *sec;

	switch (kind) {
	case CFG_DAEMON:
		cfg->daemon.at.line = line;
		return 0;
	case CFG_INTERFACE:
		arr = (void **)&cfg->ifaces, n = &cfg->n_ifaces, size = sizeof(*cfg->ifaces);
		break;
	case CFG_RULE:
		arr = (void **)&cfg->rules, n = &cfg->n_rules, size = sizeof(*cfg->rules);
		break;
	default:
		arr = (void **)&cfg->handlers, n = &cfg->n_handlers, size = sizeof(*cfg->handlers);
		break;
	}
	sec = realloc(*arr, (*n + 1) * size);
	if (!sec)
		return -1;
	*arr = sec;
	sec = (char *)sec + *n * size;
	memset(sec, 0, size);
	apply_defaults(kind, sec);
	((struct cfg_where *)sec)->line = line;
	/* The name follows the cfg_where in every named section. */
	snprintf((char *)sec + sizeof(struct cfg_where),
		 kind == CFG_INTERFACE ? IF_NAMESIZE : CFG_NAME_MAX, "%s", name);
	if (kind == CFG_RULE)
		((struct cfg_rule *)sec)->iface_idx = ((struct cfg_rule *)sec)->handler_idx = -1;
	return (long)(*n)++;
}

/* A new [section] header: work out what it is, refuse what it cannot be. */
static void enter_section(struct parse *ps, const char *section)
{
	char kind_word[32] = "", name[256] = "", label[300];
	const char *sp = strpbrk(section, " \t");
	enum cfg_kind kind = CFG_KINDS;
	unsigned int first;

	snprintf(ps->cur_name, sizeof(ps->cur_name), "%s", section);
	ps->cur_header = ps->header_line;
	ps->have_cur = true;
	ps->cur_idx = -1;

	if (!*section) {
		/* Keys before any header: reported one by one in on_key(). */
		return;
	}
	snprintf(kind_word, sizeof(kind_word), "%.*s",
		 (int)(sp ? (size_t)(sp - section) : strlen(section)), section);
	if (sp) {
		while (*sp == ' ' || *sp == '\t')
			sp++;
		snprintf(name, sizeof(name), "%s", sp);
	}
	for (int k = 0; k < CFG_KINDS; k++)
		if (!strcmp(kind_word, kind_names[k]))
			kind = k;
	if (kind == CFG_KINDS) {
		perr(ps, ps->cur_header, "[%s]: unknown section; expected [daemon], "
		     "[interface NAME], [rule NAME] or [handler NAME]", section);
		return;
	}
	section_label(kind, name, label, sizeof(label));
	if (kind == CFG_DAEMON && *name) {
		perr(ps, ps->cur_header, "%s: [daemon] takes no name", label);
		return;
	}
	if (kind != CFG_DAEMON && !*name) {
		perr(ps, ps->cur_header, "[%s]: needs a name, e.g. [%s %s]", kind_word, kind_word,
		     kind == CFG_INTERFACE ? "eth1" : "web");
		return;
	}
	if (kind == CFG_INTERFACE) {
		char why[WHY_LEN], tmp[IF_NAMESIZE];
		const struct cfg_key k = { .size = IF_NAMESIZE };

		if (set_ifname(&k, tmp, name, why, sizeof(why))) {
			perr(ps, ps->cur_header, "%s: %s", label, why);
			return;
		}
	} else if (kind != CFG_DAEMON && !valid_name(name)) {
		perr(ps, ps->cur_header, "%s: '%s' is not a section name (letters, digits, '_', "
		     "'.', '-', at most %d)", label, name, CFG_NAME_MAX - 1);
		return;
	}
	first = section_line(ps->cfg, kind, name);
	if (first) {
		perr(ps, ps->cur_header, "%s: defined twice (first at line %u)", label, first);
		return;
	}
	ps->cur_kind = kind;
	ps->cur_idx = add_section(ps->cfg, kind, name, ps->cur_header);
	if (ps->cur_idx < 0)
		perr(ps, ps->cur_header, "%s: out of memory", label);
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	const struct cfg_key *k;
	struct cfg_where *at;
	char why[WHY_LEN] = "";
	size_t ki;

	if (!ps->have_cur || strcmp(section, ps->cur_name) || ps->header_line != ps->cur_header)
		enter_section(ps, section);
	if (!*section) {
		perr(ps, ps->line, "%s: outside any section; put it under [daemon], "
		     "[interface NAME], [rule NAME] or [handler NAME]", name);
		return 1;
	}
	if (ps->cur_idx < 0)
		return 1;	/* the header was refused; its keys say nothing more */
	k = find_key(ps->cur_kind, name, &ki);
	if (!k) {
		char list[400] = "";

		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			if (keys[i].kind == ps->cur_kind)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 *list ? ", " : "", keys[i].name);
		perr(ps, ps->line, "%s: unknown key in a [%s] section; known keys: %s", name,
		     kind_names[ps->cur_kind], list);
		return 1;
	}
	at = where_of(ps->cfg, ps->cur_kind, (size_t)ps->cur_idx);
	if (at->key_line[ki]) {
		perr(ps, ps->line, "%s: given twice in this section (first at line %u)", name,
		     at->key_line[ki]);
		return 1;
	}
	at->key_line[ki] = ps->line;
	if (k->set(k, (char *)section_at(ps->cfg, ps->cur_kind, (size_t)ps->cur_idx) + k->off,
		   value, why, sizeof(why))) {
		perr(ps, ps->line, "%s: %s", name, why);
		at->refused |= 1ull << ki;
	}
	return 1;
}

/* ---- checks once everything is read ---- */

static void check_required(struct parse *ps, enum cfg_kind kind, size_t idx, const char *name,
			   int htype)
{
	struct cfg_where *at = where_of(ps->cfg, kind, idx);
	char label[300];

	section_label(kind, name, label, sizeof(label));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct cfg_key *k = &keys[i];
		bool req = k->flags & CK_REQUIRED;

		if (k->kind != kind)
			continue;
		if (htype >= 0 && k->req_types & T(htype))
			req = true;
		if (req && !at->key_line[i])
			perr(ps, at->line, "%s: required in %s", k->name, label);
		else if (req && (k->set == set_abs_path || k->set == set_ifname_opt) &&
			 !(at->refused & (1ull << i)) &&
			 !*((char *)section_at(ps->cfg, kind, idx) + k->off))
			perr(ps, at->key_line[i], "%s: empty; %s needs it", k->name, label);
		/* Handler keys that the handler's type does not read are mistakes. */
		if (htype >= 0 && at->key_line[i] && k->types && !(k->types & T(htype)))
			perr(ps, at->key_line[i], "%s: not used by handler type '%s'", k->name,
			     handler_type_str(htype));
	}
}

static size_t key_index(enum cfg_kind kind, const char *name)
{
	size_t i = 0;

	find_key(kind, name, &i);
	return i;
}

static unsigned int line_of(const struct cfg_where *at, enum cfg_kind kind, const char *key)
{
	unsigned int l = at->key_line[key_index(kind, key)];

	return l ? l : at->line;
}

unsigned int config_daemon_line(const struct config *cfg, const char *key)
{
	return line_of(&cfg->daemon.at, CFG_DAEMON, key);
}

unsigned int config_iface_line(const struct cfg_iface *ifc, const char *key)
{
	return line_of(&ifc->at, CFG_INTERFACE, key);
}

static void check_ifaces(struct parse *ps)
{
	struct config *cfg = ps->cfg;
	unsigned long long total = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	bool over = false;

	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct cfg_iface *ifc = &cfg->ifaces[i];
		unsigned long long per;

		check_required(ps, CFG_INTERFACE, i, ifc->name, -1);
		ifc->nqueues = bits_set(ifc->queues, CFG_MAX_QUEUES);
		ifc->ncpus = bits_set(ifc->cpus, CFG_MAX_CPUS);
		if (ifc->headroom > ifc->frame_size - 320)
			perr(ps, line_of(&ifc->at, CFG_INTERFACE, "headroom"),
			     "headroom: %u leaves no room for a packet in a %u-byte frame; use at "
			     "most %u", ifc->headroom, ifc->frame_size, ifc->frame_size - 320);
		for (unsigned int c = (unsigned int)(ncpu > 0 ? ncpu : 1); c < CFG_MAX_CPUS; c++) {
			if (cfg_bit(ifc->cpus, c)) {
				perr(ps, line_of(&ifc->at, CFG_INTERFACE, "cpus"),
				     "cpus: CPU %u does not exist; this machine has CPUs 0-%ld", c,
				     ncpu - 1);
				break;
			}
		}
		per = (unsigned long long)ifc->frame_size * ifc->frames;
		total += per * ifc->nqueues;
		if (!over && total > cfg->daemon.pinned_limit) {
			over = true;
			perr(ps, line_of(&ifc->at, CFG_INTERFACE, "frames"),
			     "frames: the UMEMs up to [interface %s] need %llu bytes of pinned "
			     "memory (%u frames of %u bytes per queue), above pinned_limit %llu; "
			     "lower frames or queues, or raise pinned_limit", ifc->name, total,
			     ifc->frames, ifc->frame_size, cfg->daemon.pinned_limit);
		}
	}
}

static void check_handlers(struct parse *ps)
{
	struct config *cfg = ps->cfg;

	for (size_t i = 0; i < cfg->n_handlers; i++) {
		struct cfg_handler *h = &cfg->handlers[i];
		bool typed = h->at.key_line[key_index(CFG_HANDLER, "type")];

		check_required(ps, CFG_HANDLER, i, h->name, typed ? (int)h->type : -1);
		if (h->type != HT_PCAP || !*h->file)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (cfg->handlers[j].type == HT_PCAP &&
			    !strcmp(cfg->handlers[j].file, h->file)) {
				perr(ps, line_of(&h->at, CFG_HANDLER, "file"),
				     "file: '%s' is already written by [handler %s]", h->file,
				     cfg->handlers[j].name);
				break;
			}
		}
	}
}

/* A rule of @ifc sends packets to forward handler @h: its pollers will each own a TX socket
 * on (h->iface, their queue) sharing their UMEM, so the frames go out without a copy. */
/* Another interface that already forwards to @target on a queue @ifc receives on: only one
 * UMEM can be bound to (target, q). */
static bool forward_clash(const struct config *cfg, const struct cfg_iface *ifc,
			  const char *target, unsigned int *q, const struct cfg_iface **other)
{
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct cfg_iface *o = &cfg->ifaces[i];

		if (o == ifc)
			continue;
		for (unsigned int k = 0; k < o->nouts; k++) {
			if (strcmp(o->outs[k], target))
				continue;
			for (*q = 0; *q < CFG_MAX_QUEUES; (*q)++)
				if (cfg_bit(ifc->queues, *q) && cfg_bit(o->queues, *q)) {
					*other = o;
					return true;
				}
		}
	}
	return false;
}

static void check_forward(struct parse *ps, const struct cfg_rule *r, struct cfg_iface *ifc,
			  const struct cfg_handler *h)
{
	const struct cfg_iface *t = config_iface(ps->cfg, h->iface), *other;
	unsigned int hline = line_of(&r->at, CFG_RULE, "handler"), q_clash;

	if (!*h->iface)
		return;		/* reported as required */
	if (!strcmp(h->iface, ifc->name)) {
		perr(ps, hline, "handler: [handler %s] forwards out of '%s', the interface rule "
		     "'%s' receives on; use a reflect handler to send packets back", h->name,
		     h->iface, r->name);
		return;
	}
	for (unsigned int q = 0; t && q < CFG_MAX_QUEUES; q++) {
		if (cfg_bit(ifc->queues, q) && cfg_bit(t->queues, q)) {
			/* One UMEM per (interface, queue): a frame received on ours could not
			 * be sent there without a copy. */
			perr(ps, hline, "handler: [handler %s] forwards to '%s' queue %u, where "
			     "[interface %s] receives with its own UMEM; forward to an interface "
			     "or queue the daemon does not receive on", h->name, h->iface, q,
			     t->name);
			return;
		}
	}
	for (unsigned int i = 0; i < ifc->nouts; i++)
		if (!strcmp(ifc->outs[i], h->iface))
			return;
	if (forward_clash(ps->cfg, ifc, h->iface, &q_clash, &other)) {
		/* Each forwarding interface binds (target, q) with its own UMEM. */
		perr(ps, hline, "handler: [handler %s] forwards to '%s' queue %u, which [interface "
		     "%s] already forwards to with its own UMEM; forward the two interfaces to "
		     "different targets or queues", h->name, h->iface, q_clash, other->name);
		return;
	}
	if (ifc->nouts == CFG_MAX_OUTS) {
		perr(ps, hline, "handler: [interface %s] already forwards to %d interfaces, the "
		     "most it can", ifc->name, CFG_MAX_OUTS);
		return;
	}
	snprintf(ifc->outs[ifc->nouts++], IF_NAMESIZE, "%s", h->iface);
}

static void check_rules(struct parse *ps)
{
	struct config *cfg = ps->cfg;

	for (size_t i = 0; i < cfg->n_rules; i++) {
		struct cfg_rule *r = &cfg->rules[i];
		char err[XF_RULE_TEXT_MAX + 200];
		const struct cfg_iface *ifc;
		unsigned int mline = line_of(&r->at, CFG_RULE, "match");
		unsigned int hline = line_of(&r->at, CFG_RULE, "handler");

		check_required(ps, CFG_RULE, i, r->name, -1);
		if (*r->match) {
			if (xf_rule__parse(r->match, &r->rule, err, sizeof(err)))
				perr(ps, mline, "match: %s", err);
			r->rule.action = r->action;
		}
		if (*r->iface) {
			ifc = config_iface(cfg, r->iface);
			if (!ifc)
				perr(ps, line_of(&r->at, CFG_RULE, "interface"),
				     "interface: '%s' is not defined; add an [interface %s] section",
				     r->iface, r->iface);
			else
				r->iface_idx = (int)(ifc - cfg->ifaces);
			if (ifc && r->action == XF_RULE_XSK && (r->rule.fields & XF_RF_QUEUE) &&
			    (r->rule.queue >= CFG_MAX_QUEUES || !cfg_bit(ifc->queues, r->rule.queue)))
				perr(ps, mline, "match: queue %u is not one of [interface %s] queues, "
				     "so no socket would receive these packets", r->rule.queue,
				     ifc->name);
		}
		if (r->action == XF_RULE_XSK && !*r->handler) {
			perr(ps, r->at.line, "handler: required in [rule %s]: action xsk sends "
			     "packets to a handler", r->name);
		} else if (r->action != XF_RULE_XSK && *r->handler) {
			perr(ps, hline, "handler: only rules with action xsk have a handler; rule "
			     "'%s' says %s", r->name, action_names[r->action]);
		} else if (*r->handler) {
			const struct cfg_handler *h = config_handler(cfg, r->handler);

			if (!h)
				perr(ps, hline, "handler: '%s' is not defined; add a [handler %s] "
				     "section", r->handler, r->handler);
			else
				r->handler_idx = (int)(h - cfg->handlers);
		}
		if (r->iface_idx >= 0 && r->handler_idx >= 0 &&
		    cfg->handlers[r->handler_idx].type == HT_FORWARD)
			check_forward(ps, r, &cfg->ifaces[r->iface_idx],
				      &cfg->handlers[r->handler_idx]);
	}
}

static void check_all(struct parse *ps)
{
	struct config *cfg = ps->cfg;

	check_required(ps, CFG_DAEMON, 0, "", -1);
	check_ifaces(ps);
	check_handlers(ps);
	check_rules(ps);
	if (!cfg->n_ifaces)
		perr(ps, 0, "no [interface NAME] section: nothing to do");
}

/* A config anyone but its owner can change would let them steer traffic and load code. */
static int check_file(struct parse *ps, int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		perr(ps, 0, "not a regular file");
		return -EINVAL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		perr(ps, 0, "writable by group or others (mode %04o); run 'chmod go-w %s'",
		     (unsigned int)(st.st_mode & 07777), ps->file);
		return -EPERM;
	}
	return 0;
}

int config_load(const char *path, struct config *cfg, struct cfg_errors *errs)
{
	struct parse ps = { .cfg = cfg, .errs = errs, .file = path };
	size_t before = errs->n;
	int ret, err;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", path);
	apply_defaults(CFG_DAEMON, &cfg->daemon);
	ps.f = fopen(path, "re");
	if (!ps.f) {
		err = -errno;
		perr(&ps, 0, "cannot open: %s", strerror(-err));
		return err;
	}
	err = check_file(&ps, fileno(ps.f));
	if (err) {
		fclose(ps.f);
		return err;
	}
	ret = ini_parse_stream(read_line, &ps, on_key, &ps);
	if (ret > 0 && ret != (int)ps.last_syntax && !ps.syntax_lines)
		perr(&ps, (unsigned int)ret, "syntax error: expected [section], 'key = value' or "
		     "a comment");
	else if (ret < 0)
		perr(&ps, 0, "cannot be parsed (error %d from libinih)", ret);
	free(ps.buf);
	fclose(ps.f);
	check_all(&ps);
	return errs->n > before ? -EINVAL : 0;
}

void config_free(struct config *cfg)
{
	free(cfg->ifaces);
	free(cfg->rules);
	free(cfg->handlers);
	memset(cfg, 0, sizeof(*cfg));
}

const struct cfg_iface *config_iface(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			return &cfg->ifaces[i];
	return NULL;
}

const struct cfg_handler *config_handler(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_handlers; i++)
		if (!strcmp(cfg->handlers[i].name, name))
			return &cfg->handlers[i];
	return NULL;
}
