/* SPDX-License-Identifier: MIT */
#include "state/tlsname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state/dn.h"
#include "state/xalloc.h"

char *xc_tls_certificate_name(const char *issuer, const char *subject)
{
	size_t n = strlen(issuer) + strlen(subject) + 7;
	char *s = xc_xmalloc(n);

	snprintf(s, n, "<I>%s<S>%s", issuer, subject);
	return s;
}

bool xc_tls_split(const char *v, char *issuer, char *subject, size_t size)
{
	const char *s;
	int ni;
	int ns;

	if (!v || strncasecmp(v, "<I>", 3) != 0)
		return false;
	for (s = v + 3; *s; s++)
		if (strncasecmp(s, "<S>", 3) == 0)
			break;
	if (!*s)
		return false;
	ni = snprintf(issuer, size, "%.*s", (int)(s - v - 3), v + 3);
	ns = snprintf(subject, size, "%s", s + 3);
	return ni >= 0 && (size_t)ni < size && ns >= 0 && (size_t)ns < size;
}

bool xc_tls_equal(const char *a, const char *b)
{
	char ai[2048];
	char as[2048];
	char bi[2048];
	char bs[2048];

	if (a && b && strcasecmp(a, b) == 0)
		return true;
	return xc_tls_split(a, ai, as, sizeof(ai)) &&
	       xc_tls_split(b, bi, bs, sizeof(bi)) && xc_dn_equal(ai, bi) &&
	       xc_dn_equal(as, bs);
}
