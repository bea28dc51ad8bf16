/* SPDX-License-Identifier: MIT */
/*
 * The one error object of excert: a code, a position and a message.
 *
 * Functions that can fail return 0 or a negative enum xc_code and fill the
 * struct xc_error passed last.  The error lives on the caller's stack: no
 * allocation, no thread-local state, so parallel observers each carry their
 * own.  Messages are lowercase, say what failed and where, and never hold a
 * secret's value.
 */
#ifndef XC_STATE_ERROR_H
#define XC_STATE_ERROR_H

#include <stdarg.h>

/* Append only, never renumber: codes appear in JSON output. */
enum xc_code {
	XC_OK = 0,
	XC_ERR = -1,       /* generic failure */
	XC_ENOMEM = -2,    /* a size from outside was too large */
	XC_EINVAL = -3,    /* invalid input (config, reply, argument) */
	XC_ENOTFOUND = -4, /* file, ref, object or name not found */
	XC_ELOCKED = -5,   /* the state directory is locked */
	XC_ECONFLICT = -6, /* plan is stale, state changed underneath */
	XC_EAUTH = -7,     /* authentication failed */
	XC_ETIMEOUT = -8,  /* deadline passed */
	XC_EPROTO = -9,    /* a peer broke its protocol */
	XC_EIO = -10,      /* read or write failed */
	XC_EEXISTS = -11,  /* already there (an object, a file) */
};

/*
 * A position in a source file; line and col are 1-based, line 0 means "no
 * position".  file is borrowed: it points at a label owned by whoever loaded
 * the file (struct xc_config for excert.yaml).
 */
struct xc_loc {
	const char *file;
	unsigned line;
	unsigned col;
};

struct xc_error {
	enum xc_code code;
	struct xc_loc loc; /* where, when the error is about a file */
	char msg[512];     /* lowercase, no final period */
};

/* Returns the name of a code ("invalid", "not found", ...); static string. */
const char *xc_code_name(enum xc_code code);

/* Clears err to XC_OK with an empty message. */
void xc_error_clear(struct xc_error *err);

/* Sets code and message; returns code so that callers can `return` it. */
int xc_error_set(struct xc_error *err, enum xc_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Like xc_error_set, with a source position. */
int xc_error_set_at(struct xc_error *err, enum xc_code code, struct xc_loc loc,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Puts context in front of the message: "server 'MS01': " + old message.
 * When both do not fit, the context is cut ("...: "), never the cause.
 */
void xc_error_prefix(struct xc_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/*
 * A broken invariant of excert's own code (never input from outside, which
 * gets an xc_error): says where on stderr, "excert: bug: FILE:LINE: ...",
 * and aborts.
 */
#define XC_BUG(...) xc_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void xc_bug(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
