/* SPDX-License-Identifier: MIT */
#include "cmd/output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "state/sanitize.h"
#include "state/xalloc.h"

/*
 * Every message goes out through the sanitizer (state/sanitize.h): error
 * messages quote what agents, CAs, load balancers and probed servers said,
 * and none of it may reach the terminal as a control sequence or start a
 * line of its own.
 */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	char small[512];
	char *text = small;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0) {
		small[0] = '\0';
	} else if ((size_t)n >= sizeof(small)) {
		text = xc_xmalloc((size_t)n + 1);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
	}
	fputs(prefix, stderr);
	xc_sanitize_fputs(text, stderr, 0);
	if (text != small)
		free(text);
}

void xc_out_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("excert: error: ", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void xc_out_err(const struct xc_error *err)
{
	if (err->loc.line) {
		xc_sanitize_fputs(err->loc.file ? err->loc.file : "excert",
		                  stderr, 0);
		fprintf(stderr, ":%u:%u: error: ", err->loc.line, err->loc.col);
		xc_sanitize_fputs(err->msg, stderr, 0);
	} else {
		fputs("excert: error: ", stderr);
		xc_sanitize_fputs(err->msg[0] ? err->msg
		                              : xc_code_name(err->code),
		                  stderr, 0);
	}
	fputc('\n', stderr);
}

void xc_out_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("excert: ", fmt, ap);
	va_end(ap);
	fputs("\nexcert: run 'excert help' for usage\n", stderr);
}
