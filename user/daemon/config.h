/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* xskflowd configuration: the parsed and validated contents of the INI file. Parsing has no
 * side effects, so a reload can parse into fresh state and throw it away on any error. */
#ifndef XFD_CONFIG_H
#define XFD_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <xskflow/xskflow.h>

/* Rule and handler names with the NUL: "[handler NAME]" must fit libinih's 49 characters. */
#define CFG_NAME_MAX	42
#define CFG_MAX_KEYS	64		/* rows of the key table (bits of cfg_where.refused) */
#define CFG_MAX_CPUS	1024
#define CFG_MAX_QUEUES	256		/* the steering program's XSKMAP size */
#define CFG_SUN_PATH	sizeof(((struct sockaddr_un *)0)->sun_path)
#define CFG_ARGS_MAX	512
#define CFG_LISTEN_MAX	64		/* "[v6 address]:port" */
#define CFG_MAX_OUTS	8		/* interfaces one interface forwards to */

enum cfg_kind {
	CFG_DAEMON,
	CFG_INTERFACE,
	CFG_RULE,
	CFG_HANDLER,
	CFG_KINDS,
};

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum handler_type {
	HT_COUNT,
	HT_REFLECT,
	HT_PCAP,
	HT_PLUGIN,
	HT_FORWARD,
	HT_TYPES,
};

/* Where a section and each of its keys were written, for file:line messages. */
struct cfg_where {
	unsigned int line;			/* the section header (0: not in the file) */
	unsigned int key_line[CFG_MAX_KEYS];	/* by key table row; 0: default */
	unsigned long long refused;		/* bit per key table row: value refused */
};

struct cfg_daemon {
	struct cfg_where at;
	char control_socket[CFG_SUN_PATH];
	char user[64];				/* empty: keep running as the starting user */
	enum log_level log_level;
	unsigned int stats_interval;		/* seconds; 0: no periodic stats line */
	unsigned long long pinned_limit;	/* bytes (a % is resolved when parsed) */
	char metrics[CFG_LISTEN_MAX];		/* HOST:PORT for Prometheus; empty: off */
};

struct cfg_iface {
	struct cfg_where at;
	char name[IF_NAMESIZE];
	enum xf_attach_mode attach;
	enum xf_bind_mode bind;
	__u8 queues[CFG_MAX_QUEUES / 8];		/* bitmap */
	unsigned int nqueues;
	unsigned int frame_size, frames, headroom;
	unsigned int ring_size;			/* RX and TX ring entries */
	unsigned int busy_poll;			/* microseconds; 0: off */
	unsigned int busy_poll_budget;
	bool need_wakeup, hugepages, multi_buffer;
	__u8 cpus[CFG_MAX_CPUS / 8];		/* bitmap; empty: no pinning */
	unsigned int ncpus;
	bool napi_yield;			/* pollers preempt the NAPI thread on their CPU */
	/* Derived from the rules: interfaces its packets are forwarded to. Each poller of
	 * this interface owns a TX socket on each of them, on its own UMEM. */
	char outs[CFG_MAX_OUTS][IF_NAMESIZE];
	unsigned int nouts;
};

struct cfg_rule {
	struct cfg_where at;
	char name[CFG_NAME_MAX];
	char iface[IF_NAMESIZE];
	char match[XF_RULE_TEXT_MAX];
	enum xf_rule_action action;
	char handler[CFG_NAME_MAX];
	struct xf_rule rule;			/* match + action, parsed */
	int iface_idx, handler_idx;		/* resolved references (-1: none) */
};

struct cfg_handler {
	struct cfg_where at;
	char name[CFG_NAME_MAX];
	enum handler_type type;
	/* pcap */
	char file[PATH_MAX];
	unsigned int snaplen;
	unsigned long long rotate_size;		/* bytes; 0: never rotate */
	unsigned int rotate_count;		/* rotated files kept; 0: all */
	bool compress;
	/* plugin */
	char path[PATH_MAX];
	char args[CFG_ARGS_MAX];
	/* forward */
	char iface[IF_NAMESIZE];
};

struct config {
	char file[PATH_MAX];
	struct cfg_daemon daemon;
	struct cfg_iface *ifaces;
	size_t n_ifaces;
	struct cfg_rule *rules;
	size_t n_rules;
	struct cfg_handler *handlers;
	size_t n_handlers;
};

/* Messages, one line each: "file:line: key: reason". */
struct cfg_errors {
	char **msg;
	size_t n;
};

/* config_load - read, parse and validate @path into @cfg (zeroed first). Every problem found
 * is appended to @errs. Returns 0 when the configuration is usable, else -EINVAL (or
 * -errno when the file cannot be read); @cfg must be freed either way. */
int config_load(const char *path, struct config *cfg, struct cfg_errors *errs);
void config_free(struct config *cfg);
void cfg_errors_free(struct cfg_errors *errs);

/* Lookups by name; NULL if absent. */
const struct cfg_iface *config_iface(const struct config *cfg, const char *name);
const struct cfg_handler *config_handler(const struct config *cfg, const char *name);

/* The line of a [daemon] key (that of the section when the key is not written). */
unsigned int config_daemon_line(const struct config *cfg, const char *key);
/* The same for a key of an [interface NAME] section. */
unsigned int config_iface_line(const struct cfg_iface *ifc, const char *key);

bool cfg_bit(const __u8 *map, unsigned int i);
const char *handler_type_str(enum handler_type t);
const char *log_level_str(enum log_level l);
/* Queue list as written canonically ("0-3,5"). */
void cfg_format_list(const __u8 *map, unsigned int nbits, char *buf, size_t len);

/* "198.18.0.1:9464" or "[::1]:9464" (numeric) into a socket address. Returns 0 or -EINVAL. */
int cfg_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* The key table as text (name, section, type, default, meaning), for 'xskflowd --keys'. */
void config_print_keys(FILE *f);

#endif /* XFD_CONFIG_H */
