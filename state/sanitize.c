/* SPDX-License-Identifier: MIT */
#include "state/sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/xalloc.h"

/* The longest escape: "\u202e" and its NUL. */
#define ESC_MAX 8

/* Code points printed as \uHHHH although they are well-formed UTF-8. */
static bool hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||     /* C1 controls */
	       cp == 0x061c ||                   /* Arabic letter mark */
	       cp == 0x200e || cp == 0x200f ||   /* LRM, RLM */
	       cp == 0x2028 || cp == 0x2029 ||   /* line, paragraph sep. */
	       (cp >= 0x202a && cp <= 0x202e) || /* LRE RLE PDF LRO RLO */
	       (cp >= 0x2066 && cp <= 0x2069);   /* LRI RLI FSI PDI */
}

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left) with its
 * code point in *cp, or 0 when the first byte does not start one (RFC 3629
 * table: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xbf;
	size_t len;
	size_t i;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0fu;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07u;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	return len;
}

/*
 * One piece of the input at s (n > 0 bytes left): sets *used to the bytes it
 * takes and returns true with esc holding their visible form, or false when
 * they print as they are.
 */
static bool piece(const unsigned char *s, size_t n, unsigned int flags,
                  size_t *used, char esc[ESC_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[0];
	uint32_t cp;
	size_t len;

	*used = 1;
	if (c >= 0x20 && c < 0x7f) {
		if (!(flags & XC_SANITIZE_MARKDOWN) || (c != '|' && c != '\\'))
			return false;
		esc[0] = '\\';
		esc[1] = (char)c;
		esc[2] = '\0';
		return true;
	}
	if (c == '\n' || c == '\r' || c == '\t') {
		esc[0] = '\\';
		esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		esc[2] = '\0';
		return true;
	}
	len = c < 0x80 ? 0 : utf8_seq(s, n, &cp);
	if (len == 0) {
		/* C0, DEL, or a byte that is not well-formed UTF-8. */
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 0xf];
		esc[4] = '\0';
		return true;
	}
	*used = len;
	if (!hidden(cp))
		return false;
	esc[0] = '\\';
	esc[1] = 'u';
	esc[2] = hex[(cp >> 12) & 0xf];
	esc[3] = hex[(cp >> 8) & 0xf];
	esc[4] = hex[(cp >> 4) & 0xf];
	esc[5] = hex[cp & 0xf];
	esc[6] = '\0';
	return true;
}

bool xc_sanitize_clean(const char *s, size_t n, unsigned int flags)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[ESC_MAX];
	size_t used;
	size_t i = 0;

	while (i < n) {
		if (piece(u + i, n - i, flags, &used, esc))
			return false;
		i += used;
	}
	return true;
}

int xc_sanitize_buf(struct xc_buf *b, const char *s, size_t n,
                    unsigned int flags)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[ESC_MAX];
	size_t start = 0;
	size_t used;
	size_t i = 0;
	int rc;

	/* Runs that print as they are are copied in one go. */
	while (i < n) {
		if (!piece(u + i, n - i, flags, &used, esc)) {
			i += used;
			continue;
		}
		if ((rc = xc_buf_add(b, s + start, i - start)) < 0 ||
		    (rc = xc_buf_puts(b, esc)) < 0)
			return rc;
		i += used;
		start = i;
	}
	return xc_buf_add(b, s + start, n - start);
}

void xc_sanitize_fputs(const char *s, FILE *fp, unsigned int flags)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[ESC_MAX];
	size_t n = s ? strlen(s) : 0;
	size_t start = 0;
	size_t used;
	size_t i = 0;

	if (!s)
		return; /* fwrite must not be given NULL, even for 0 bytes */
	while (i < n) {
		if (!piece(u + i, n - i, flags, &used, esc)) {
			i += used;
			continue;
		}
		fwrite(s + start, 1, i - start, fp);
		fputs(esc, fp);
		i += used;
		start = i;
	}
	fwrite(s + start, 1, n - start, fp);
}

char *xc_sanitize_dup(const char *s, unsigned int flags)
{
	struct xc_buf b;

	if (!s)
		return NULL;
	xc_buf_init(&b, 0);
	/* Without a cap only xc_xmalloc can fail, and it exits. */
	(void)xc_sanitize_buf(&b, s, strlen(s), flags);
	return xc_buf_detach(&b, NULL);
}

void xc_sanitize_pool_init(struct xc_sanitize_pool *p, unsigned int flags)
{
	p->v = NULL;
	p->n = 0;
	p->cap = 0;
	p->flags = flags;
}

const char *xc_sanitize_str(struct xc_sanitize_pool *p, const char *s)
{
	void *v = p->v;

	if (!s || xc_sanitize_clean(s, strlen(s), p->flags))
		return s;
	xc_xgrow(&v, &p->cap, p->n + 1, sizeof(p->v[0]));
	p->v = v;
	p->v[p->n] = xc_sanitize_dup(s, p->flags);
	return p->v[p->n++];
}

void xc_sanitize_pool_release(struct xc_sanitize_pool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	xc_sanitize_pool_init(p, p->flags);
}
