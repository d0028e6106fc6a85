/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* libxskflow: AF_XDP packet I/O with eBPF flow steering. This is the only header an
 * application needs; it pulls in the UMEM, port and steering APIs. */
#ifndef XSKFLOW_XSKFLOW_H
#define XSKFLOW_XSKFLOW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XF_API __attribute__((visibility("default")))

#define XSKFLOW_VERSION "0.1.0"

/* Declare and zero an extensible options struct, setting its size field, then the named
 * fields: XF_OPTS(xf_umem_opts, o, .frame_count = 4096). Like LIBBPF_OPTS(). */
#define XF_OPTS(TYPE, NAME, ...)						\
	struct TYPE NAME = ({							\
		memset(&NAME, 0, sizeof(struct TYPE));				\
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };	\
	})

enum xf_log_level {
	XF_LOG_ERROR,
	XF_LOG_WARN,
	XF_LOG_INFO,
	XF_LOG_DEBUG,
};

typedef int (*xf_print_fn_t)(enum xf_log_level level, const char *fmt, va_list args);

/* xf_set_print - route the library's log messages to @fn (NULL: silence them).
 * Messages from libbpf and libxdp are forwarded through the same callback at DEBUG level,
 * since the library reports every failure itself with its context.
 * Returns the previous callback. The default is silent: the library never prints. */
XF_API xf_print_fn_t xf_set_print(xf_print_fn_t fn);

/* How the XDP program is attached. */
enum xf_attach_mode {
	XF_ATTACH_AUTO = 0,	/* native, falling back to generic */
	XF_ATTACH_NATIVE,	/* driver mode or error */
	XF_ATTACH_GENERIC,	/* SKB mode */
};

/* How an AF_XDP socket is bound. */
enum xf_bind_mode {
	XF_BIND_AUTO = 0,	/* zero-copy, falling back to copy */
	XF_BIND_COPY,
	XF_BIND_ZEROCOPY,
};

/* Names used in reports and on the command line ("native", "generic", "zero-copy", ...). */
XF_API const char *xf_attach_mode_str(enum xf_attach_mode mode);
XF_API const char *xf_bind_mode_str(enum xf_bind_mode mode);
/* Parse a mode name ("auto" included). Returns 0 or -EINVAL. */
XF_API int xf_attach_mode_parse(const char *s, enum xf_attach_mode *mode);
XF_API int xf_bind_mode_parse(const char *s, enum xf_bind_mode *mode);

/* Bytes of UMEM memory this process currently has allocated and pinned through the library. */
XF_API size_t xf_pinned_bytes(void);

#ifdef __cplusplus
}
#endif

#include <xskflow/csum.h>
#include <xskflow/umem.h>
#include <xskflow/steer.h>
#include <xskflow/port.h>
#include <xskflow/classify.h>
#include <xskflow/sysinfo.h>

#endif /* XSKFLOW_XSKFLOW_H */
