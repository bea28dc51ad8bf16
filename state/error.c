/* SPDX-License-Identifier: MIT */
#include "state/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *xc_code_name(enum xc_code code)
{
	switch (code) {
	case XC_OK:
		return "ok";
	case XC_ERR:
		return "error";
	case XC_ENOMEM:
		return "too large";
	case XC_EINVAL:
		return "invalid";
	case XC_ENOTFOUND:
		return "not found";
	case XC_ELOCKED:
		return "locked";
	case XC_ECONFLICT:
		return "conflict";
	case XC_EAUTH:
		return "authentication failed";
	case XC_ETIMEOUT:
		return "timeout";
	case XC_EPROTO:
		return "protocol error";
	case XC_EIO:
		return "i/o error";
	case XC_EEXISTS:
		return "already exists";
	}
	return "error";
}

void xc_error_clear(struct xc_error *err)
{
	if (!err)
		return;
	err->code = XC_OK;
	err->loc.file = NULL;
	err->loc.line = 0;
	err->loc.col = 0;
	err->msg[0] = '\0';
}

static void error_vset(struct xc_error *err, enum xc_code code, const char *fmt,
                       va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int xc_error_set(struct xc_error *err, enum xc_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->loc.file = NULL;
	err->loc.line = 0;
	err->loc.col = 0;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int xc_error_set_at(struct xc_error *err, enum xc_code code, struct xc_loc loc,
                    const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->loc = loc;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

void xc_error_prefix(struct xc_error *err, const char *fmt, ...)
{
	static const char cut[] = "...: ";
	char head[256];
	char old[sizeof(err->msg)];
	size_t hlen, olen, room;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	hlen = strlen(head);
	olen = strlen(old);
	if (hlen + olen < sizeof(err->msg)) {
		snprintf(err->msg, sizeof(err->msg), "%s%s", head, old);
		return;
	}
	/* Too long for both: cut the context, keep the cause whole. */
	room = sizeof(err->msg) - 1 - olen;
	if (room > sizeof(cut)) {
		snprintf(err->msg, sizeof(err->msg), "%.*s%s%s",
		         (int)(room - (sizeof(cut) - 1)), head, cut, old);
		return;
	}
	memcpy(err->msg, old, olen + 1);
}

_Noreturn void xc_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "excert: bug: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
