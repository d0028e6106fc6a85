// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control socket's request parser: frames one request line out of whatever a client
 * sends, in however many pieces, checks it is text and hands it to the command table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ctlreq.h"

void ctl_req_init(struct ctl_req *r, uid_t uid, bool refused)
{
	memset(r, 0, sizeof(*r));
	r->uid = uid;
	r->refused = refused;
}

json_object *ctl_error_reply(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char buf[CTL_LINE_MAX + 128];
	va_list ap;

	if (!o)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(buf));
	return o;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The whole line is in r->buf: check it and ask @fn. */
static json_object *answer(struct ctl_req *r, ctl_handler_fn fn, void *ctx)
{
	char *s = r->buf, *end = r->buf + r->len;

	/* Refused before anything about the line is said: a stranger learns nothing. */
	if (r->refused)
		return ctl_error_reply("permission denied: uid %d is neither root nor the daemon's "
				       "user", (int)r->uid);
	while (end > s && blank(end[-1]))
		end--;
	while (s < end && blank(*s))
		s++;
	*end = '\0';
	/* Bytes that are not printable ASCII (a NUL above all) would make the command the
	 * handler sees differ from the line that was sent, and would reach the log as is. */
	for (const unsigned char *p = (unsigned char *)s; p < (unsigned char *)end; p++)
		if (*p < 0x20 || *p > 0x7e)
			return ctl_error_reply("request has a non-printable byte 0x%02x at offset "
					       "%td; send one line of text",
					       *p, (const char *)p - r->buf);
	return fn(ctx, s);
}

enum ctl_step ctl_req_feed(struct ctl_req *r, const void *data, size_t n, ctl_handler_fn fn,
			   void *ctx, json_object **reply)
{
	const char *d = data;
	bool line = false;

	*reply = NULL;
	if (r->done)
		return CTL_CLOSE;
	if (!n && !r->len) {
		r->done = true;
		return CTL_CLOSE;
	}
	for (size_t i = 0; i < n && !line; i++) {
		if (d[i] == '\n') {
			line = true;
		} else if (r->len == sizeof(r->buf) - 1) {
			r->done = true;
			*reply = r->refused ? answer(r, fn, ctx) :
				ctl_error_reply("request longer than %zu bytes; send one line "
						"such as 'status'", sizeof(r->buf) - 1);
			goto out;
		} else {
			r->buf[r->len++] = d[i];
		}
	}
	if (!line && n)
		return CTL_MORE;
	/* A newline, or the end of input after a last line without one. */
	r->done = true;
	*reply = answer(r, fn, ctx);
out:
	if (!*reply)
		*reply = ctl_error_reply("out of memory");
	return CTL_REPLY;
}
