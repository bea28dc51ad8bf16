/* SPDX-License-Identifier: MIT */
/*
 * Text from outside made safe to print on a terminal or in Markdown.
 *
 * A certificate's friendly name, a connector's TlsCertificateName, an agent's
 * error message, a probed certificate's CN or a server's greeting could
 * otherwise clear the screen or fake lines in a plan a person approves.
 * Every value printed in text or Markdown that came from outside goes
 * through here (JSON needs nothing: the JSON library escapes).
 *
 * What becomes a visible escape: C0 controls, newline and tab included (a
 * value must never start a line of its own), as \n, \r, \t or \xHH; DEL as
 * \x7f; C1 controls (U+0080 to U+009F) as \u0080 to \u009f; the Unicode
 * bidi controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
 * U+2069) and the line and paragraph separators (U+2028, U+2029) as \uHHHH;
 * every byte that is not part of well-formed UTF-8 (a raw C1 byte, a stray
 * continuation byte, an overlong form, a surrogate, a truncated sequence)
 * as \xHH.  Everything else, ordinary UTF-8 such as "Zürich" included,
 * stays as it is.  With XC_SANITIZE_MARKDOWN, '|' and '\' are escaped too
 * (\| and \\), so that a value cannot end a table cell.
 *
 * The functions are pure and thread-safe; a pool belongs to one thread.
 */
#ifndef XC_STATE_SANITIZE_H
#define XC_STATE_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "state/buf.h"

enum xc_sanitize_flags {
	XC_SANITIZE_MARKDOWN = (1 << 0), /* also '|' and '\' escaped */
};

/* True when the n bytes at s print as they are (nothing to escape). */
bool xc_sanitize_clean(const char *s, size_t n, unsigned int flags);

/* Appends the visible form of the n bytes at s to b; returns 0, or
 * XC_ENOMEM when b's cap would be passed (b then holds a prefix). */
int xc_sanitize_buf(struct xc_buf *b, const char *s, size_t n,
                    unsigned int flags);

/* Writes the visible form of the string s to fp (nothing when s is NULL). */
void xc_sanitize_fputs(const char *s, FILE *fp, unsigned int flags);

/* The visible form of the string s, NUL-terminated; caller frees.  NULL
 * when s is NULL.  Exits with a message when memory runs out (xc_xmalloc). */
char *xc_sanitize_dup(const char *s, unsigned int flags);

/*
 * A pool of visible forms for one printout, for printf's "%s":
 *
 *	struct xc_sanitize_pool z;
 *
 *	xc_sanitize_pool_init(&z, 0);
 *	printf("%-16s %s\n", xc_sanitize_str(&z, name),
 *	       xc_sanitize_str(&z, friendly_name));
 *	xc_sanitize_pool_release(&z);
 *
 * The pool owns the strings it makes; they are valid until release.
 */
struct xc_sanitize_pool {
	char **v;           /* owned strings */
	size_t n;           /* in use */
	size_t cap;         /* allocated */
	unsigned int flags; /* enum xc_sanitize_flags */
};

/* An empty pool whose strings are made with flags. */
void xc_sanitize_pool_init(struct xc_sanitize_pool *p, unsigned int flags);

/* The visible form of s: s itself when it is clean, otherwise a string the
 * pool owns (borrowed, valid until xc_sanitize_pool_release); NULL when s
 * is NULL. */
const char *xc_sanitize_str(struct xc_sanitize_pool *p, const char *s);

/* Frees every string the pool made; p may be initialised again. */
void xc_sanitize_pool_release(struct xc_sanitize_pool *p);

#endif
