/* SPDX-License-Identifier: MIT */
#include "state/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/dnsname.h"

static const struct {
	const char *scheme;
	unsigned port;
} default_ports[] = {
        {"https", 443}, {"http", 80},   {"smtp", 25},   {"imap", 143},
        {"pop3", 110},  {"imaps", 993}, {"pop3s", 995},
};

unsigned xc_url_default_port(const char *scheme)
{
	size_t i;

	for (i = 0; i < sizeof(default_ports) / sizeof(default_ports[0]); i++)
		if (strcmp(default_ports[i].scheme, scheme) == 0)
			return default_ports[i].port;
	return 0;
}

static bool scheme_listed(const char *scheme, const char *list)
{
	size_t n = strlen(scheme);
	const char *p = list;

	while (*p) {
		const char *e = strchr(p, ' ');
		size_t m = e ? (size_t)(e - p) : strlen(p);

		if (m == n && strncmp(p, scheme, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static bool url_parse(const char *s, const char *shown, const char *schemes,
                      struct xc_url *out, char *why, size_t size);

bool xc_url_parse(const char *s, const char *schemes, struct xc_url *out,
                  char *why, size_t size)
{
	/* A password may hold '/', '?' or '#' and then hide from the
	 * credentials check: a URL with '@' anywhere is never quoted. */
	return url_parse(s, strchr(s, '@') ? "(not shown)" : s, schemes, out,
	                 why, size);
}

static bool url_parse(const char *s, const char *shown, const char *schemes,
                      struct xc_url *out, char *why, size_t size)
{
	const char *p = strstr(s, "://");
	const char *h;
	const char *end;
	const char *colon = NULL;
	size_t i;
	size_t n;
	char hwhy[160];

	memset(out, 0, sizeof(*out));
	/* user:password@host: refused before anything could echo it. */
	if ((p && memchr(p + 3, '@', strcspn(p + 3, "/?#"))) ||
	    (!p && strchr(s, '@'))) {
		snprintf(
		        why, size,
		        "a URL may not hold credentials (the value is not shown)");
		return false;
	}
	if (!p || p == s || (size_t)(p - s) >= sizeof(out->scheme)) {
		snprintf(
		        why, size,
		        "'%.80s' is not a URL: expected scheme://host (schemes: %s)",
		        shown, schemes);
		return false;
	}
	for (i = 0; s + i < p; i++)
		out->scheme[i] = (char)tolower((unsigned char)s[i]);
	if (!scheme_listed(out->scheme, schemes)) {
		snprintf(why, size, "unsupported URL scheme '%s' (use %s)",
		         out->scheme, schemes);
		return false;
	}
	h = p + 3;
	end = h + strcspn(h, "/?#");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb || (size_t)(rb - h - 1) >= sizeof(out->host)) {
			snprintf(why, size, "bad IPv6 address in '%.80s'",
			         shown);
			return false;
		}
		memcpy(out->host, h + 1, (size_t)(rb - h - 1));
		if (!xc_ip_literal(out->host)) {
			snprintf(why, size, "bad IPv6 address in '%.80s'",
			         shown);
			return false;
		}
		if (rb + 1 < end && rb[1] != ':') {
			snprintf(why, size, "bad host in '%.80s'", shown);
			return false;
		}
		colon = rb + 1 < end ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		n = (size_t)((colon ? colon : end) - h);
		if (n == 0 || n >= sizeof(out->host)) {
			snprintf(why, size, "URL '%.80s' has no host", shown);
			return false;
		}
		memcpy(out->host, h, n);
		if (!xc_host_valid(out->host, hwhy, sizeof(hwhy))) {
			snprintf(why, size, "bad host in URL '%.80s': %s",
			         shown, hwhy);
			return false;
		}
	}
	out->port = xc_url_default_port(out->scheme);
	if (colon) {
		unsigned long port = 0;
		const char *d = colon + 1;

		if (d == end) {
			snprintf(why, size, "URL '%.80s' has an empty port",
			         shown);
			return false;
		}
		for (; d < end; d++) {
			if (!isdigit((unsigned char)*d) || port > 65535) {
				port = 70000;
				break;
			}
			port = port * 10 + (unsigned long)(*d - '0');
		}
		if (port == 0 || port > 65535) {
			snprintf(why, size,
			         "bad port in URL '%.80s' (1 to 65535)", shown);
			return false;
		}
		out->port = (unsigned)port;
	}
	if (*end && strcmp(out->scheme, "https") != 0 &&
	    strcmp(out->scheme, "http") != 0 && strcmp(end, "/") != 0) {
		snprintf(why, size,
		         "a URL with scheme %s cannot have a path: '%.80s'",
		         out->scheme, shown);
		return false;
	}
	if (strlen(end) >= sizeof(out->path)) {
		snprintf(why, size, "URL path is too long");
		return false;
	}
	snprintf(out->path, sizeof(out->path), "%s", end);
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			snprintf(why, size,
			         "URL '%.80s' has a space or control character",
			         shown);
			return false;
		}
	}
	return true;
}

bool xc_verify_entry_split(const char *entry, char *url, char *via, size_t size)
{
	const char *at = strstr(entry, " via ");
	size_t n = at ? (size_t)(at - entry) : strlen(entry);

	if (n >= size || (at && strlen(at + 5) >= size))
		return false;
	memcpy(url, entry, n);
	url[n] = '\0';
	snprintf(via, size, "%s", at ? at + 5 : "");
	return true;
}

bool xc_host_port_split(const char *s, char *host, size_t size, unsigned *port,
                        char *why, size_t size_why)
{
	const char *h = s;
	const char *p = NULL;
	size_t n;

	*port = 0;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':')) {
			snprintf(why, size_why,
			         "'%.80s' is not ADDR, ADDR:PORT or [V6]:PORT",
			         s);
			return false;
		}
		h = s + 1;
		n = (size_t)(close - h);
		p = close[1] ? close + 2 : NULL;
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		n = (size_t)(strchr(s, ':') - s);
		p = strchr(s, ':') + 1;
	} else {
		n = strlen(s);
	}
	if (p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (!*p || *end || v < 1 || v > 65535) {
			snprintf(why, size_why, "bad port in '%.80s'", s);
			return false;
		}
		*port = (unsigned)v;
	}
	if (n == 0 || n >= size) {
		snprintf(why, size_why, "no host in '%.80s'", s);
		return false;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	return true;
}
