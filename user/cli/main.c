// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflow: one binary, subcommands in the style of ip(8) and xdp-loader(8). */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "recv", cmd_recv, "steer flows into an AF_XDP socket and receive them" },
	{ "send", cmd_send, "send sequenced UDP test frames through an AF_XDP socket" },
	{ "bench", cmd_bench, "benchmark one port: rxdrop, txonly, l2fwd or latency, JSON summary" },
	{ "attach", cmd_attach, "attach the steering program persistently, with rules" },
	{ "detach", cmd_detach, "detach a persistent steering program" },
	{ "rule", cmd_rule, "add, delete, list or replace the rules of an attached program" },
	{ "stats", cmd_stats, "show the steering program's and every rule's counters" },
	{ "doctor", cmd_doctor, "check what AF_XDP on an interface depends on, with advice" },
	{ "ctl", cmd_ctl, "ask a running xskflowd: status, stats, rules, reload" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " CLI_NAME " COMMAND [OPTIONS]   (" CLI_NAME " COMMAND --help)\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "  %-8s %s\n", "version", "print the version");
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf(CLI_NAME " %s\n", XSKFLOW_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	cli_err("unknown command '%s'; run '" CLI_NAME " --help' for the list", argv[1]);
	return 1;
}
