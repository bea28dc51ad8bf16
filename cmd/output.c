/* SPDX-License-Identifier: MIT */
#include "cmd/output.h"

#include <stdarg.h>
#include <stdio.h>

void xc_out_error(const char *fmt, ...)
{
	va_list ap;

	fputs("excert: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void xc_out_err(const struct xc_error *err)
{
	if (err->loc.line)
		fprintf(stderr, "%s:%u:%u: error: %s\n",
		        err->loc.file ? err->loc.file : "excert", err->loc.line,
		        err->loc.col, err->msg);
	else
		fprintf(stderr, "excert: error: %s\n",
		        err->msg[0] ? err->msg : xc_code_name(err->code));
}

void xc_out_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("excert: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nexcert: run 'excert help' for usage\n", stderr);
}
