// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflowd logging: one line per message on stderr (the journal under systemd), filtered
 * by the configured level; libxskflow's messages come through the same door. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "xskflowd.h"

static _Atomic int log_level = LOG_LVL_INFO;

void xfd_log_set_level(enum log_level level)
{
	atomic_store(&log_level, level);
}

enum log_level xfd_log_level(void)
{
	return atomic_load(&log_level);
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const tag[] = {
		[LOG_LVL_ERROR] = "error: ", [LOG_LVL_WARN] = "warning: ",
		[LOG_LVL_INFO] = "", [LOG_LVL_DEBUG] = "debug: ",
	};
	char buf[1024];
	int n;

	if ((int)level > atomic_load(&log_level))
		return;
	n = snprintf(buf, sizeof(buf), XFD_NAME ": %s", tag[level]);
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	n = (int)strlen(buf);
	while (n && buf[n - 1] == '\n')
		n--;
	/* One write per line: lines from several threads do not interleave. */
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void xfd_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static __thread char *capture_buf;
static __thread size_t capture_len;

void xfd_log_capture(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = '\0';
}

static int lib_print(enum xf_log_level level, const char *fmt, va_list ap)
{
	static const enum log_level map[] = {
		[XF_LOG_ERROR] = LOG_LVL_ERROR, [XF_LOG_WARN] = LOG_LVL_WARN,
		[XF_LOG_INFO] = LOG_LVL_INFO, [XF_LOG_DEBUG] = LOG_LVL_DEBUG,
	};

	if (level == XF_LOG_ERROR && capture_buf) {
		vsnprintf(capture_buf, capture_len, fmt, ap);
		return 0;
	}
	vlog((unsigned int)level <= XF_LOG_DEBUG ? map[level] : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

void xfd_log_library(void)
{
	xf_set_print(lib_print);
}
