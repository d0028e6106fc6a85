/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The control socket's request parser: bytes from one client in, one JSON reply out. Pure
 * (no socket, no log, no daemon state) so that the daemon and the fuzzer run the same code. */
#ifndef XFD_CTLREQ_H
#define XFD_CTLREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#define CTL_LINE_MAX	256	/* a request line, its newline included */

/* Answers one well-formed request (printable ASCII, no leading or trailing blanks, shorter
 * than CTL_LINE_MAX); the daemon's is the command table, the fuzzer's a stub. Returns a
 * JSON object with "ok" (NULL: out of memory). */
typedef json_object *(*ctl_handler_fn)(void *ctx, const char *cmd);

struct ctl_req {
	bool refused;		/* the peer may not ask: every request is denied */
	uid_t uid;		/* the peer's, for the refusal */
	bool done;		/* a reply was given (or nothing was asked) */
	size_t len;
	char buf[CTL_LINE_MAX];
};

enum ctl_step {
	CTL_MORE,		/* no whole line yet: read more */
	CTL_REPLY,		/* send *reply, then close */
	CTL_CLOSE,		/* the peer left without asking anything: close */
};

/* ctl_req_init - a fresh request from a peer with @uid, @refused if it may not ask. */
void ctl_req_init(struct ctl_req *r, uid_t uid, bool refused);

/* ctl_req_feed - take @n bytes a client sent; @n == 0 means it closed its side. A request
 * is one line: the first newline (or the end of input) ends it, anything after is ignored.
 * On CTL_REPLY, *@reply is what to send (the caller puts it): an error for a line that is
 * too long or not text, a refusal for a refused peer, or @fn's answer; NULL only when out
 * of memory (close without a word). Once a reply is given, every call returns CTL_CLOSE. */
enum ctl_step ctl_req_feed(struct ctl_req *r, const void *data, size_t n, ctl_handler_fn fn,
			   void *ctx, json_object **reply);

/* ctl_error_reply - {"ok": false, "error": "..."} (NULL: out of memory). */
__attribute__((format(printf, 1, 2))) json_object *ctl_error_reply(const char *fmt, ...);

#endif /* XFD_CTLREQ_H */
