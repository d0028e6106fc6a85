// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz target: the control socket's request parser (user/daemon/ctlreq.c). The first input
 * byte picks how the rest arrives (bit 0: from a refused peer; the others seed the sizes of
 * the pieces); the rest is what the client sends before it closes. Whatever the pieces, the
 * outcome is the same; every reply is one line of JSON with "ok" (and a reason when false);
 * the command table is asked at most once, never for a refused peer, only with a line of
 * printable text that stands in the first line of the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../user/daemon/ctlreq.c"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* The command table's stand-in: remembers what it was asked and answers like the daemon's
 * (an object with "ok"), echoing the command so that replies tell requests apart. */
struct asked {
	int calls;
	char cmd[CTL_LINE_MAX];
};

static json_object *table(void *ctx, const char *cmd)
{
	struct asked *a = ctx;
	json_object *o = json_object_new_object();

	a->calls++;
	snprintf(a->cmd, sizeof(a->cmd), "%s", cmd);
	json_object_object_add(o, "ok", json_object_new_boolean(!strcmp(cmd, "status")));
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

struct outcome {
	enum ctl_step step;
	struct asked asked;
	char reply[1024];
};

static void __attribute__((noreturn)) bad(const char *what, const struct outcome *o)
{
	fprintf(stderr, "fuzz_ctl: %s (step %d, %d call(s), cmd '%s', reply %s)\n", what,
		o->step, o->asked.calls, o->asked.cmd, o->reply);
	abort();
}

/* Feeds @msg in pieces whose sizes come from @seed (0: all at once), then the end. */
static void run(const unsigned char *msg, size_t len, bool refused, unsigned int seed,
		struct outcome *out)
{
	json_object *o = NULL, *again;
	struct ctl_req r;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	ctl_req_init(&r, 1000, refused);
	out->step = CTL_MORE;
	while (out->step == CTL_MORE) {
		size_t n = len - off;

		if (seed && n > 1) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % n;
		}
		/* n == 0 once everything is sent: the client closes. */
		out->step = ctl_req_feed(&r, msg + off, n, table, &out->asked, &o);
		off += n;
		if (out->step == CTL_MORE && !n)
			bad("still waiting after the client closed", out);
	}
	if (ctl_req_feed(&r, "x\n", 2, table, &out->asked, &again) != CTL_CLOSE || again)
		bad("a second request was taken", out);
	if (out->step == CTL_CLOSE)
		return;
	if (!o)
		bad("a reply step without a reply", out);
	snprintf(out->reply, sizeof(out->reply), "%s",
		 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void check_reply(const struct outcome *o, bool refused)
{
	json_object *j = json_tokener_parse(o->reply), *ok, *err;

	if (strchr(o->reply, '\n'))
		bad("reply is more than one line", o);
	if (!j || !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "ok", &ok) || !json_object_is_type(ok, json_type_boolean))
		bad("reply is not an object with a boolean 'ok'", o);
	if (!o->asked.calls || refused) {
		if (json_object_get_boolean(ok))
			bad("ok without the command table", o);
		if (!json_object_object_get_ex(j, "error", &err) ||
		    !json_object_is_type(err, json_type_string) || !json_object_get_string_len(err))
			bad("a refusal without a reason", o);
	}
	json_object_put(j);
}

static void check_cmd(const struct outcome *o, const unsigned char *msg, size_t len, bool refused)
{
	const char *c = o->asked.cmd;
	const unsigned char *nl = memchr(msg, '\n', len);
	size_t clen = strlen(c);

	if (o->asked.calls > 1 || (refused && o->asked.calls))
		bad("the command table was asked when it should not have been", o);
	if (!o->asked.calls)
		return;
	if (clen >= CTL_LINE_MAX || (clen && (c[0] == ' ' || c[clen - 1] == ' ')))
		bad("command too long or not trimmed", o);
	for (size_t i = 0; i < clen; i++)
		if (c[i] < 0x20 || c[i] > 0x7e)
			bad("command with a non-printable byte", o);
	if (clen && !memmem(msg, nl ? (size_t)(nl - msg) : len, c, clen))
		bad("command is not in the first line", o);
}

static bool blank_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The other way round: a first line of text that fits reaches the table, trimmed. */
static void check_text_line(const struct outcome *o, const unsigned char *msg, size_t len,
			    bool refused)
{
	const unsigned char *nl = memchr(msg, '\n', len);
	size_t end = nl ? (size_t)(nl - msg) : len, start = 0;

	if (refused || !len || end >= CTL_LINE_MAX)
		return;
	while (end > start && blank_byte(msg[end - 1]))
		end--;
	while (start < end && blank_byte(msg[start]))
		start++;
	for (size_t i = start; i < end; i++)
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			return;
	if (o->asked.calls != 1 || strlen(o->asked.cmd) != end - start ||
	    memcmp(o->asked.cmd, msg + start, end - start))
		bad("a line of text did not reach the command table as sent", o);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct outcome whole, pieces;
	bool refused;

	if (!size)
		return 0;
	refused = data[0] & 1;
	run(data + 1, size - 1, refused, 0, &whole);
	run(data + 1, size - 1, refused, data[0] | 1u, &pieces);
	if (whole.step != pieces.step || whole.asked.calls != pieces.asked.calls ||
	    strcmp(whole.asked.cmd, pieces.asked.cmd) || strcmp(whole.reply, pieces.reply))
		bad("the outcome depends on how the bytes arrive", &pieces);
	if (whole.step == CTL_CLOSE) {
		if (size > 1)
			bad("a client that sent bytes got no reply", &whole);
		return 0;
	}
	check_reply(&whole, refused);
	check_cmd(&whole, data + 1, size - 1, refused);
	check_text_line(&whole, data + 1, size - 1, refused);
	return 0;
}
