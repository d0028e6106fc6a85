// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflow attach | detach | rule | stats: manage a steering program that outlives the
 * command, through the maps it pins under /sys/fs/bpf/xskflow/IFACE. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define MAX_CLI_RULES XF_RULES_MAX

struct steer_args {
	struct port_settings port;	/* -i and --mode */
	bool json;
	struct xf_rule *rules;
	size_t nrules;
	bool have_rules;
	int first_arg;		/* index of the first non-option argument */
};

static int add_rule_text(struct steer_args *a, const char *text, const char *where)
{
	char err[320];

	if (a->nrules == MAX_CLI_RULES) {
		cli_err("%s: more than %d rules", where, MAX_CLI_RULES);
		return -1;
	}
	if (xf_rule__parse(text, &a->rules[a->nrules], err, sizeof(err))) {
		cli_err("%s%s%s", where ? where : "", where ? ": " : "", err);
		return -1;
	}
	a->nrules++;
	a->have_rules = true;
	return 0;
}

/* One rule per line; blank lines and '#' comments are skipped. */
static int read_rule_file(struct steer_args *a, const char *path)
{
	char line[XF_RULE_TEXT_MAX + 2], where[300];
	FILE *f = fopen(path, "r");
	int lineno = 0, err = 0;

	if (!f) {
		cli_err("rule file '%s': %s", path, strerror(errno));
		return -1;
	}
	a->have_rules = true;
	while (!err && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		lineno++;
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		err = add_rule_text(a, p, where);
	}
	fclose(f);
	return err;
}

static void steer_usage(FILE *f)
{
	fprintf(f,
		"usage: " CLI_NAME " attach -i IFACE [--mode auto|native|generic] [-r RULE]... [-f FILE] [--json]\n"
		"       " CLI_NAME " detach -i IFACE\n"
		"       " CLI_NAME " rule add -i IFACE RULE...\n"
		"       " CLI_NAME " rule del -i IFACE ID\n"
		"       " CLI_NAME " rule list -i IFACE [--json]\n"
		"       " CLI_NAME " rule replace -i IFACE [-r RULE]... [-f FILE]\n"
		"       " CLI_NAME " stats -i IFACE [--json]\n"
		"RULE: [prio N] [vlan ID] [ip|ip6] [tcp|udp|icmp|icmp6|proto N] [src PREFIX] [dst PREFIX]\n"
		"      [sport P|P-Q] [dport P|P-Q] [queue N] [xsk|pass|drop]\n"
		"FILE: one rule per line, '#' comments.\n");
}

static int parse_steer_args(int argc, char **argv, struct steer_args *a)
{
	enum { O_JSON = 256 };
	static const struct option lopts[] = {
		{ "rule", required_argument, NULL, 'r' },
		{ "file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, v = 0;

	a->port.opts = PO_IFACE | PO_MODE;
	a->rules = calloc(MAX_CLI_RULES, sizeof(*a->rules));
	if (!a->rules)
		return -1;
	/* '+': stop at the first word, so rule words like "drop" are never options. */
	while ((c = portopts_getopt(&a->port, argc, argv, "+i:r:f:vh", lopts)) != -1) {
		switch (c) {
		case 'r':
			if (add_rule_text(a, optarg, "--rule"))
				return -1;
			break;
		case 'f':
			if (read_rule_file(a, optarg))
				return -1;
			break;
		case O_JSON: a->json = true; break;
		case 'v': v++; break;
		case 'h': steer_usage(stdout); exit(0);
		case PORTOPT_ERR: return -1;
		default: steer_usage(stderr); return -1;
		}
	}
	cli_set_verbosity(v);
	if (!a->port.ifname) {
		cli_err("-i IFACE is required");
		steer_usage(stderr);
		return -1;
	}
	a->first_arg = optind;
	return 0;
}

/* Join the persistent program on @ifname, explaining what is there instead if we cannot. */
static struct xf_steer *open_or_explain(const char *ifname)
{
	struct xf_steer *s = xf_steer__open(ifname);

	if (s)
		return s;
	switch (errno) {
	case ENOENT:
		cli_err("interface '%s' has no persistent xskflow steering program; attach one "
			"with '" CLI_NAME " attach -i %s'", ifname, ifname);
		break;
	case EBUSY:
		cli_err("interface '%s' belongs to a running '" CLI_NAME " recv'; its rules live "
			"and die with it", ifname);
		break;
	case EEXIST:
		cli_err("interface '%s' has another XDP program attached, not xskflow's", ifname);
		break;
	default:
		/* The library has said why. */
		break;
	}
	return NULL;
}

json_object *report_rules(const struct xf_steer *s)
{
	json_object *arr = json_object_new_array();
	struct xf_rule_entry *e;
	int n = xf_steer__list_rules(s, NULL, 0);

	if (n <= 0)
		return arr;
	e = calloc(n, sizeof(*e));
	if (!e)
		return arr;
	n = xf_steer__list_rules(s, e, n);
	for (int i = 0; i < n; i++) {
		json_object *r = json_object_new_object();
		struct xf_counter c = {};
		char text[XF_RULE_TEXT_MAX];

		xf_rule__format(&e[i].rule, text, sizeof(text));
		xf_steer__rule_counter(s, e[i].id, &c);
		json_object_object_add(r, "id", json_object_new_uint64(e[i].id));
		json_object_object_add(r, "rule", json_object_new_string(text));
		json_object_object_add(r, "packets", json_object_new_uint64(c.packets));
		json_object_object_add(r, "bytes", json_object_new_uint64(c.bytes));
		json_object_array_add(arr, r);
	}
	free(e);
	return arr;
}

static void print_rules(const struct xf_steer *s, bool json)
{
	json_object *arr = report_rules(s);

	if (json) {
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	} else {
		printf("%-6s %-14s %-16s %s\n", "id", "packets", "bytes", "rule");
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *r = json_object_array_get_idx(arr, i), *v;

#define F(k) (json_object_object_get_ex(r, k, &v) ? json_object_get_string(v) : "")
			printf("%-6s %-14s %-16s %s\n", F("id"), F("packets"), F("bytes"), F("rule"));
#undef F
		}
	}
	json_object_put(arr);
}

json_object *report_steer_stats(const struct xf_steer *s)
{
	struct xf_steer_stats ss = {};
	json_object *st = json_object_new_object();

	xf_steer__stats(s, &ss);
#define ADD(f) json_object_object_add(st, #f, json_object_new_uint64(ss.f))
	ADD(packets); ADD(malformed); ADD(unmatched); ADD(pass); ADD(drop); ADD(xsk);
	ADD(xsk_nosock);
#undef ADD
	return st;
}

int cmd_attach(int argc, char **argv)
{
	struct steer_args a = {};
	struct xf_steer *s;
	json_object *r;
	int ret = 1;

	if (parse_steer_args(argc, argv, &a))
		goto out;
	if (a.first_arg < argc) {
		cli_err("attach: unexpected argument '%s'; give rules with -r or -f", argv[a.first_arg]);
		goto out;
	}
	XF_OPTS(xf_steer_opts, so, .mode = a.port.mode, .persist = true);
	s = xf_steer__attach(a.port.ifname, &so);
	if (!s)
		goto out;
	if (xf_steer__set_rules(s, a.rules, a.nrules)) {
		xf_steer__detach(s);
		goto out;
	}
	r = json_object_new_object();
	json_object_object_add(r, "interface", json_object_new_string(a.port.ifname));
	json_object_object_add(r, "attach_mode",
			       json_object_new_string(xf_attach_mode_str(xf_steer__attach_mode(s))));
	json_object_object_add(r, "driver", json_object_new_string(xf_steer__driver(s)));
	json_object_object_add(r, "fallbacks", report_fallbacks(s, NULL));
	json_object_object_add(r, "rules", json_object_new_uint64(a.nrules));
	json_object_object_add(r, "pinned", json_object_new_string(XF_PIN_ROOT));
	report_print(r, a.json);
	json_object_put(r);
	xf_steer__close(s);
	ret = 0;
out:
	free(a.rules);
	return ret;
}

int cmd_detach(int argc, char **argv)
{
	struct steer_args a = {};
	struct xf_steer *s;
	int ret = 1;

	if (parse_steer_args(argc, argv, &a))
		goto out;
	s = open_or_explain(a.port.ifname);
	if (!s)
		goto out;
	xf_steer__detach(s);
	ret = 0;
out:
	free(a.rules);
	return ret;
}

static int rule_add(struct steer_args *a, struct xf_steer *s, int argc, char **argv)
{
	char text[XF_RULE_TEXT_MAX] = "";
	size_t len = 0;
	__u32 id;

	for (int i = a->first_arg; i < argc; i++) {
		int k = snprintf(text + len, sizeof(text) - len, "%s%s", len ? " " : "", argv[i]);

		if (k < 0 || (size_t)k >= sizeof(text) - len) {
			cli_err("rule add: the rule is longer than %d characters", XF_RULE_TEXT_MAX - 1);
			return 1;
		}
		len += k;
	}
	if (!len) {
		cli_err("rule add: give the rule, e.g. '" CLI_NAME " rule add -i %s udp dport 4242'",
			a->port.ifname);
		return 1;
	}
	if (add_rule_text(a, text, NULL) || xf_steer__add_rule(s, &a->rules[0], &id))
		return 1;
	if (a->json)
		printf("{\"id\":%u}\n", id);
	else
		printf("rule %u added\n", id);
	return 0;
}

int cmd_rule(int argc, char **argv)
{
	struct steer_args a = {};
	struct xf_steer *s = NULL;
	const char *verb;
	unsigned long id;
	int ret = 1;

	if (argc < 2) {
		steer_usage(stderr);
		return 1;
	}
	verb = argv[1];
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "list") &&
	    strcmp(verb, "replace")) {
		cli_err("rule: unknown verb '%s'; use add, del, list or replace", verb);
		return 1;
	}
	if (parse_steer_args(argc - 1, argv + 1, &a))
		goto out;
	a.first_arg++;	/* argv was shifted by one */
	if (a.have_rules && strcmp(verb, "replace")) {
		cli_err("rule %s: -r/-f are for 'rule replace' and 'attach'", verb);
		goto out;
	}
	s = open_or_explain(a.port.ifname);
	if (!s)
		goto out;
	if (!strcmp(verb, "add")) {
		ret = rule_add(&a, s, argc, argv);
	} else if (!strcmp(verb, "del")) {
		if (a.first_arg != argc - 1) {
			cli_err("rule del: give exactly one rule id (see '" CLI_NAME " rule list')");
			goto out;
		}
		if (cli_uint("rule id", argv[a.first_arg], 0, XF_RULES_MAX - 1, &id))
			goto out;
		ret = xf_steer__del_rule(s, (__u32)id) ? 1 : 0;
	} else if (!strcmp(verb, "list")) {
		print_rules(s, a.json);
		ret = 0;
	} else {
		if (a.first_arg < argc) {
			cli_err("rule replace: unexpected argument '%s'; give rules with -r or -f",
				argv[a.first_arg]);
			goto out;
		}
		ret = xf_steer__set_rules(s, a.rules, a.nrules) ? 1 : 0;
	}
out:
	xf_steer__close(s);
	free(a.rules);
	return ret;
}

int cmd_stats(int argc, char **argv)
{
	struct steer_args a = {};
	struct xf_steer *s;
	json_object *r;
	int ret = 1;

	if (parse_steer_args(argc, argv, &a))
		goto out;
	s = open_or_explain(a.port.ifname);
	if (!s)
		goto out;
	r = json_object_new_object();
	json_object_object_add(r, "interface", json_object_new_string(a.port.ifname));
	json_object_object_add(r, "attach_mode",
			       json_object_new_string(xf_attach_mode_str(xf_steer__attach_mode(s))));
	json_object_object_add(r, "steering", report_steer_stats(s));
	if (a.json) {
		json_object_object_add(r, "rules", report_rules(s));
		report_print(r, true);
	} else {
		report_print(r, false);
		print_rules(s, false);
	}
	json_object_put(r);
	xf_steer__close(s);
	ret = 0;
out:
	free(a.rules);
	return ret;
}
