// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control socket: a unix stream socket, mode 0600, serving one-line requests with one
 * JSON reply each, from the main loop (no thread). Peers other than root or the daemon's
 * own user are refused even if the file mode lets them connect. Requests are parsed by
 * ctlreq.c; this file only moves bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "ctlreq.h"
#include "xskflowd.h"

#define CTL_MAX_CLIENTS	8
#define CTL_TIMEOUT	2.0	/* seconds a client has to send its line */

struct ctl_client {
	int fd;
	double deadline;
	struct ctl_req req;
};

struct ctl {
	int fd;
	/* A request (reload) may close the socket it came in on: while ctl_serve() runs,
	 * ctl_close() only marks it, and ctl_serve() finishes the job. */
	bool serving, closing;
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
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	if (c->serving) {
		c->closing = true;
		return;
	}
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

/* Sends @o and its newline, then drops it. NULL (out of memory) sends nothing. */
static void reply(int fd, json_object *o)
{
	struct timeval tv = { .tv_sec = 1 };
	size_t len, off = 0;
	const char *s;
	int fl;

	if (!o)
		return;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	fl = fcntl(fd, F_GETFL);
	/* Bounded blocking write: a client that does not read cannot stall the daemon long. */
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < len) {
		ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off == len)
		send(fd, "\n", 1, MSG_NOSIGNAL);
	json_object_put(o);
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
			reply(fd, ctl_error_reply("busy: %d clients already connected; retry",
						  CTL_MAX_CLIENTS));
			close(fd);
			continue;
		}
		c->cl[slot].fd = fd;
		/* Refused only once the request is read: closing with it unread would reset
		 * the connection before the client sees why. */
		ctl_req_init(&c->cl[slot].req, cred.uid, cred.uid != 0 && cred.uid != geteuid());
		c->cl[slot].deadline = xfd_now() + CTL_TIMEOUT;
	}
}

/* Unread bytes at close make the kernel reset the connection, and the reset can reach the
 * client before the reply: take in what it already sent (bounded) before closing. */
static void drain(int fd)
{
	char buf[4096];

	for (int i = 0; i < 16 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

static void client_read(struct ctl_client *cl, ctl_handler_fn fn, void *ctx)
{
	char chunk[CTL_LINE_MAX];
	ssize_t n = read(cl->fd, chunk, sizeof(chunk));
	json_object *o;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {		/* reset: there is no one to answer */
		client_close(cl);
		return;
	}
	switch (ctl_req_feed(&cl->req, chunk, (size_t)n, fn, ctx, &o)) {
	case CTL_MORE:
		return;
	case CTL_REPLY:
		if (cl->req.refused)
			log_warn("control socket: refused a request from uid %d",
				 (int)cl->req.uid);
		reply(cl->fd, o);
		drain(cl->fd);
		break;
	case CTL_CLOSE:
		break;
	}
	client_close(cl);
}

void ctl_serve(struct ctl *c, const struct pollfd *fds, int n, ctl_handler_fn fn, void *ctx)
{
	double now = xfd_now();

	c->serving = true;
	for (int k = 1; k < n && !c->closing; k++) {
		if (!fds[k].revents)
			continue;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (c->cl[i].fd == fds[k].fd)
				client_read(&c->cl[i], fn, ctx);
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (c->cl[i].fd >= 0 && now > c->cl[i].deadline) {
			reply(c->cl[i].fd, ctl_error_reply("timed out waiting for a request line"));
			client_close(&c->cl[i]);
		}
	}
	if (n > 0 && fds[0].revents && !c->closing)
		accept_clients(c);
	c->serving = false;
	if (c->closing)
		ctl_close(c);
}
