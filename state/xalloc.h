/* SPDX-License-Identifier: MIT */
/*
 * Allocation for small, internal sizes.  These never return NULL: running
 * out of memory for a few bytes is not something excert can report usefully,
 * so they print a message and exit(1), as git's xmalloc does.  Sizes that
 * come from outside (files, replies) are checked by their callers first and
 * reported as XC_ENOMEM.
 */
#ifndef XC_STATE_XALLOC_H
#define XC_STATE_XALLOC_H

#include <stddef.h>

void *xc_xmalloc(size_t size);              /* caller frees */
void *xc_xcalloc(size_t n, size_t size);    /* caller frees; zeroed */
void *xc_xrealloc(void *p, size_t size);    /* caller frees the result */
char *xc_xstrdup(const char *s);            /* caller frees */
char *xc_xstrndup(const char *s, size_t n); /* caller frees; NUL-terminated */

/* Grows *v (of *cap elements of size elem) so that it holds at least need. */
void xc_xgrow(void **v, size_t *cap, size_t need, size_t elem);

#endif
