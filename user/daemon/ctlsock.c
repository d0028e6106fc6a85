// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control socket: a unix stream socket, mode 0600, serving one-line requests with one
 * JSON reply each, from the main loop (no thread). Peers other than root or the daemon's
 * own user are refused even if the file mode lets them connect. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "xskflowd.h"

#define CTL_MAX_CLIENTS	8
#define CTL_LINE_MAX	256
#define CTL_TIMEOUT	2.0	/* seconds a client has to send its line */

struct ctl_client {
	int fd;
	bool refused;		/* answered "permission denied" once its line is in */
	uid_t uid;
	size_t len;
	double deadline;
	char buf[CTL_LINE_MAX];
};

struct ctl {
	int fd;
	char path[CFG_SUN_PATH];
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* A socket file left by a daemon that died is removed; one that answers is not ours. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, char *err, size_t len)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, len, "control socket '%s' exists and is not a socket; remove it or "
			 "set another control_socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (!ret) {
		snprintf(err, len, "control socket '%s' is in use by a running daemon; stop it or "
			 "set another control_socket", path);
		return -EADDRINUSE;
	}
	unlink(path);
	return 0;
}

struct ctl *ctl_open(const char *path, char *err, size_t len)
{
	struct sockaddr_un sa;
	struct ctl *c;
	mode_t old;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, len, "control socket: out of memory");
		return NULL;
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (sock_addr(path, &sa)) {
		snprintf(err, len, "control socket '%s': path too long", path);
		goto err_free;
	}
	ret = clear_stale(path, &sa, err, len);
	if (ret) {
		if (ret != -EEXIST && ret != -EADDRINUSE)
			snprintf(err, len, "control socket '%s': %s", path, strerror(-ret));
		goto err_free;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		goto err_sys;
	/* Created 0600 from the start: no window in which others may connect. */
	old = umask(0177);
	ret = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret)
		goto err_sys;
	if (chmod(path, 0600) || listen(c->fd, 64)) {
		unlink(path);
		goto err_sys;
	}
	return c;
err_sys:
	snprintf(err, len, "control socket '%s': %s; check the directory exists and is writable",
		 path, strerror(errno));
	if (c->fd >= 0)
		close(c->fd);
err_free:
	free(c);
	return NULL;
}

static void client_close(struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		client_close(&c->cl[i]);
	close(c->fd);
	unlink(c->path);
	free(c);
}

const char *ctl_path(const struct ctl *c)
{
	return c->path;
}

int ctl_pollfds(struct ctl *c, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (int i = 0; i < CTL_MAX_CLIENTS && n < max; i++)
		if (c->cl[i].fd >= 0)
			fds[n++] = (struct pollfd){ .fd = c->cl[i].fd, .events = POLLIN };
	return n;
}

static void reply(int fd, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s), off = 0;
	struct timeval tv = { .tv_sec = 1 };
	int fl = fcntl(fd, F_GETFL);

	/* Bounded blocking write: a client that does not read cannot stall the daemon long. */
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < len) {
		ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		off += (size_t)w;
	}
	send(fd, "\n", 1, MSG_NOSIGNAL);
}

static json_object *error_reply(const char *fmt, const char *arg)
{
	json_object *o = json_object_new_object();
	char buf[CTL_LINE_MAX + 128];

	snprintf(buf, sizeof(buf), fmt, arg);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(buf));
	return o;
}

static void accept_clients(struct ctl *c)
{
	for (;;) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), slot = -1;

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
			cred.uid = (uid_t)-1;
		for (int i = 0; i < CTL_MAX_CLIENTS && slot < 0; i++)
			if (c->cl[i].fd < 0)
				slot = i;
		if (slot < 0) {
			json_object *o = error_reply("busy: %s clients already connected; retry", "8");

			reply(fd, o);
			json_object_put(o);
			close(fd);
			continue;
		}
		c->cl[slot].fd = fd;
		c->cl[slot].len = 0;
		/* Refused only once the request is read: closing with it unread would reset
		 * the connection before the client sees why. */
		c->cl[slot].uid = cred.uid;
		c->cl[slot].refused = cred.uid != 0 && cred.uid != geteuid();
		c->cl[slot].deadline = xfd_now() + CTL_TIMEOUT;
	}
}

static void client_read(struct ctl_client *cl, ctl_handler_fn fn, void *ctx)
{
	ssize_t n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len);
	json_object *o;
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		cl->len += (size_t)n;
	cl->buf[cl->len] = '\0';
	nl = strchr(cl->buf, '\n');
	if (!nl && n > 0 && cl->len < sizeof(cl->buf) - 1)
		return;		/* more to come */
	if (nl)
		*nl = '\0';
	if (cl->refused) {
		char who[16];

		snprintf(who, sizeof(who), "%d", (int)cl->uid);
		o = error_reply("permission denied: uid %s is neither root nor the daemon's user",
				who);
		log_warn("control socket: refused a request from uid %d", (int)cl->uid);
	} else if (!nl && cl->len == sizeof(cl->buf) - 1) {
		o = error_reply("request longer than %s bytes", "255");
	} else if (!cl->len) {
		client_close(cl);
		return;
	} else {
		size_t l = strlen(cl->buf);

		while (l && (cl->buf[l - 1] == '\r' || cl->buf[l - 1] == ' '))
			cl->buf[--l] = '\0';
		o = fn(ctx, cl->buf);
	}
	reply(cl->fd, o);
	json_object_put(o);
	client_close(cl);
}

void ctl_serve(struct ctl *c, const struct pollfd *fds, int n, ctl_handler_fn fn, void *ctx)
{
	double now = xfd_now();

	for (int k = 1; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (c->cl[i].fd == fds[k].fd)
				client_read(&c->cl[i], fn, ctx);
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (c->cl[i].fd >= 0 && now > c->cl[i].deadline) {
			json_object *o = error_reply("timed out waiting for a request line%s", "");

			reply(c->cl[i].fd, o);
			json_object_put(o);
			client_close(&c->cl[i]);
		}
	}
	if (n > 0 && fds[0].revents)
		accept_clients(c);
}
