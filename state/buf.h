/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer, always NUL-terminated, with an optional size cap
 * (like curl's dynbuf) so that replies and files from outside cannot grow
 * without bound.
 */
#ifndef XC_STATE_BUF_H
#define XC_STATE_BUF_H

#include <stddef.h>

#include "state/error.h"

struct xc_buf {
	char *ptr;  /* owned; NULL until the first byte is added */
	size_t len; /* bytes in use, not counting the terminating NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* 0 = no cap; otherwise len never exceeds max */
};

/* Initialises an empty buffer that may hold at most max bytes (0: no cap). */
void xc_buf_init(struct xc_buf *b, size_t max);

/* Frees the bytes; b may be reused after xc_buf_init. */
void xc_buf_release(struct xc_buf *b);

/* Appends n bytes; returns 0, or XC_ENOMEM when the cap would be passed. */
int xc_buf_add(struct xc_buf *b, const void *data, size_t n);

/* Appends a string; as xc_buf_add. */
int xc_buf_puts(struct xc_buf *b, const char *s);

/* Appends formatted text; as xc_buf_add. */
int xc_buf_printf(struct xc_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Returns the contents ("" when empty); borrowed, valid until b changes. */
const char *xc_buf_cstr(const struct xc_buf *b);

/* Hands the bytes to the caller (caller frees) and empties b. */
char *xc_buf_detach(struct xc_buf *b, size_t *len_out);

/*
 * Reads the whole file at path ("-": standard input), at most max bytes.
 * 0 with *out (NUL-terminated, caller frees) and *len_out; or XC_ENOTFOUND,
 * XC_ENOMEM (larger than max) or XC_EIO with err naming the file.
 */
int xc_read_file(const char *path, size_t max, char **out, size_t *len_out,
                 struct xc_error *err);

#endif
