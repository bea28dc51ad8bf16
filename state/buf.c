/* SPDX-License-Identifier: MIT */
#include "state/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/error.h"
#include "state/xalloc.h"

void xc_buf_init(struct xc_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void xc_buf_release(struct xc_buf *b)
{
	free(b->ptr);
	xc_buf_init(b, b->max);
}

int xc_buf_add(struct xc_buf *b, const void *data, size_t n)
{
	void *p = b->ptr;

	if (b->max && (n > b->max || b->len > b->max - n))
		return XC_ENOMEM;
	xc_xgrow(&p, &b->cap, b->len + n + 1, 1);
	b->ptr = p;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int xc_buf_puts(struct xc_buf *b, const char *s)
{
	return xc_buf_add(b, s, strlen(s));
}

int xc_buf_printf(struct xc_buf *b, const char *fmt, ...)
{
	char small[256];
	char *big;
	va_list ap;
	int n;
	int rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return XC_ERR;
	if ((size_t)n < sizeof(small))
		return xc_buf_add(b, small, (size_t)n);
	big = xc_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = xc_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

const char *xc_buf_cstr(const struct xc_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *xc_buf_detach(struct xc_buf *b, size_t *len_out)
{
	char *p = b->ptr ? b->ptr : xc_xstrdup("");

	if (len_out)
		*len_out = b->len;
	xc_buf_init(b, b->max);
	return p;
}

int xc_read_file(const char *path, size_t max, char **out, size_t *len_out,
                 struct xc_error *err)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rbe");
	struct xc_buf b;
	char chunk[65536];
	size_t n;
	int rc = 0;

	*out = NULL;
	if (!fp)
		return xc_error_set(
		        err, errno == ENOENT ? XC_ENOTFOUND : XC_EIO,
		        "cannot read '%s': %s", path, strerror(errno));
	xc_buf_init(&b, max);
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (xc_buf_add(&b, chunk, n) < 0)
			rc = xc_error_set(err, XC_ENOMEM,
			                  "'%s' is larger than %zu bytes", path,
			                  max);
	if (rc == 0 && ferror(fp))
		rc = xc_error_set(err, XC_EIO, "cannot read '%s'", path);
	if (fp != stdin)
		fclose(fp);
	if (rc < 0) {
		xc_buf_release(&b);
		return rc;
	}
	*out = xc_buf_detach(&b, len_out);
	return 0;
}
