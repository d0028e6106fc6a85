// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflow ctl: talk to a running xskflowd over its control socket. One request line out,
 * one JSON reply back, printed as is (or indented); exit status 1 when it says not ok. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "cli.h"

#define CTL_DEFAULT_SOCKET	"/run/xskflowd.sock"
#define CTL_TIMEOUT_S		30	/* a reload may restart interfaces */

static void ctl_usage(FILE *f)
{
	fprintf(f,
		"usage: " CLI_NAME " ctl [-s SOCKET] [--pretty] status|stats|rules|reload\n"
		"Asks the xskflowd listening on SOCKET (default " CTL_DEFAULT_SOCKET ") and prints\n"
		"its JSON reply. Exit status 1 when the daemon cannot be reached or says not ok.\n");
}

static int ctl_connect(const char *path)
{
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_S };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		cli_err("ctl: socket path '%s' is too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cli_err("ctl: socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		cli_err("ctl: cannot reach xskflowd at '%s': %s%s", path, strerror(errno),
			errno == EACCES ? " (the socket is for root or the daemon's user)" :
			errno == ENOENT || errno == ECONNREFUSED ? "; is it running? see -s" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		if (len + 1 == cap) {
			char *p = realloc(buf, cap * 2);

			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				cli_err("ctl: no reply: %s", strerror(errno));
				free(buf);
				return NULL;
			}
			buf[len] = '\0';
			return buf;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

int cmd_ctl(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = CTL_DEFAULT_SOCKET, *cmd;
	json_object *reply, *ok, *v;
	bool pretty = false;
	char *text, line[64];
	int c, fd, ret = 1;

	while ((c = getopt_long(argc, argv, "s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'p': pretty = true; break;
		case 'h': ctl_usage(stdout); return 0;
		default: ctl_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		ctl_usage(stderr);
		return 1;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "status") && strcmp(cmd, "stats") && strcmp(cmd, "rules") &&
	    strcmp(cmd, "reload")) {
		cli_err("ctl: unknown request '%s'; expected status, stats, rules or reload", cmd);
		return 1;
	}
	fd = ctl_connect(path);
	if (fd < 0)
		return 1;
	snprintf(line, sizeof(line), "%s\n", cmd);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		cli_err("ctl: cannot send the request: %s", strerror(errno));
		close(fd);
		return 1;
	}
	text = read_all(fd);
	close(fd);
	if (!text)
		return 1;
	reply = json_tokener_parse(text);
	if (!reply) {
		cli_err("ctl: the reply is not JSON: %.80s", text);
		free(text);
		return 1;
	}
	printf("%s\n", json_object_to_json_string_ext(reply, pretty ? JSON_C_TO_STRING_PRETTY :
						       JSON_C_TO_STRING_PLAIN));
	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)) {
		ret = 0;
	} else if (json_object_object_get_ex(reply, "error", &v)) {
		cli_err("ctl: %s", json_object_get_string(v));
	} else if (json_object_object_get_ex(reply, "errors", &v)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			cli_err("ctl: %s", json_object_get_string(json_object_array_get_idx(v, i)));
		if (!json_object_array_length(v))
			cli_err("ctl: %s failed", cmd);
	}
	json_object_put(reply);
	free(text);
	return ret;
}
