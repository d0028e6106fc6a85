// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Logging through a settable callback, mode names, and small shared helpers.
 * The library never prints by itself. */
#include <pthread.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "xf_internal.h"

static xf_print_fn_t xf_print;

xf_print_fn_t xf_set_print(xf_print_fn_t fn)
{
	xf_print_fn_t old = xf_print;

	xf_print = fn;
	xf_install_lib_printers();
	return old;
}

void xf_log(enum xf_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!xf_print)
		return;
	va_start(ap, fmt);
	xf_print(level, fmt, ap);
	va_end(ap);
}

/* libbpf and libxdp messages lack our context; we report failures ourselves, so theirs
 * are details for DEBUG. */
static int xf_forward_print(enum xf_log_level level, const char *fmt, va_list ap)
{
	if (!xf_print)
		return 0;
	return xf_print(level, fmt, ap);
}

static int xf_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return xf_forward_print(XF_LOG_DEBUG, fmt, ap);
}

static int xf_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return xf_forward_print(XF_LOG_DEBUG, fmt, ap);
}

static void xf_do_install(void)
{
	libbpf_set_print(xf_libbpf_print);
	libxdp_set_print(xf_libxdp_print);
}

void xf_install_lib_printers(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, xf_do_install);
}

void xf_fallback_add(struct xf_fallbacks *fb, const char *fmt, ...)
{
	va_list ap;

	if (fb->n >= XF_MAX_FALLBACKS)
		return;
	va_start(ap, fmt);
	vsnprintf(fb->line[fb->n], XF_FALLBACK_LEN, fmt, ap);
	va_end(ap);
	xf_info("%s", fb->line[fb->n]);
	fb->n++;
}

const char *xf_fallback_get(const struct xf_fallbacks *fb, size_t i)
{
	return i < fb->n ? fb->line[i] : NULL;
}

static const char *const attach_names[] = {
	[XF_ATTACH_AUTO] = "auto",
	[XF_ATTACH_NATIVE] = "native",
	[XF_ATTACH_GENERIC] = "generic",
};

static const char *const bind_names[] = {
	[XF_BIND_AUTO] = "auto",
	[XF_BIND_COPY] = "copy",
	[XF_BIND_ZEROCOPY] = "zero-copy",
};

static int xf_name_lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -EINVAL;
}

const char *xf_attach_mode_str(enum xf_attach_mode mode)
{
	return (unsigned int)mode < 3 ? attach_names[mode] : "unknown";
}

const char *xf_bind_mode_str(enum xf_bind_mode mode)
{
	return (unsigned int)mode < 3 ? bind_names[mode] : "unknown";
}

int xf_attach_mode_parse(const char *s, enum xf_attach_mode *mode)
{
	int i = xf_name_lookup(attach_names, 3, s);

	if (i < 0)
		return i;
	*mode = i;
	return 0;
}

int xf_bind_mode_parse(const char *s, enum xf_bind_mode *mode)
{
	int i = xf_name_lookup(bind_names, 3, s);

	if (i < 0)
		return i;
	*mode = i;
	return 0;
}
