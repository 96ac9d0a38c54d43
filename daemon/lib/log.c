// SPDX-License-Identifier: MIT
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>

enum log_level log_max_level = LOG_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	/* stderr goes to the journal under systemd, which stamps the time. */
	fprintf(stderr, "jitterd: %s: ", level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
