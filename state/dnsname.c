/* SPDX-License-Identifier: MIT */
#include "state/dnsname.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

bool xc_dns_name_valid(const char *s, unsigned flags, char *why, size_t size)
{
	size_t len = strlen(s);
	size_t labels = 0;
	const char *p = s;

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0) {
		snprintf(why, size, "empty name");
		return false;
	}
	if (s[len - 1] == '.') {
		snprintf(why, size, "empty label");
		return false;
	}
	if (len > 253) {
		snprintf(why, size, "name is %zu characters long; at most 253",
		         len);
		return false;
	}
	while (p < s + len) {
		const char *dot = memchr(p, '.', (size_t)(s + len - p));
		size_t n = dot ? (size_t)(dot - p) : (size_t)(s + len - p);
		size_t i;

		if (n == 0) {
			snprintf(why, size, "empty label");
			return false;
		}
		if (n > 63) {
			snprintf(
			        why, size,
			        "label '%.20s...' is %zu characters long; at most 63",
			        p, n);
			return false;
		}
		if (n == 1 && p[0] == '*') {
			if (labels != 0 || !(flags & XC_DNS_WILDCARD)) {
				snprintf(
				        why, size,
				        labels ? "a wildcard may only be the left-most label"
				               : "wildcards are not allowed here");
				return false;
			}
		} else {
			for (i = 0; i < n; i++) {
				unsigned char c = (unsigned char)p[i];

				if (c == '*') {
					snprintf(
					        why, size,
					        "a wildcard must be a whole label ('*.example.com')");
					return false;
				}
				if (!is_ldh(c)) {
					if (c >= 0x20 && c < 0x7f)
						snprintf(
						        why, size,
						        "label '%.*s' has an invalid character '%c'",
						        (int)(n > 63 ? 63 : n),
						        p, c);
					else
						snprintf(
						        why, size,
						        "label has a character that is not a letter, digit or hyphen (use the A-label, xn--, for internationalised names)");
					return false;
				}
			}
			if (p[0] == '-' || p[n - 1] == '-') {
				snprintf(
				        why, size,
				        "label '%.*s' begins or ends with a hyphen",
				        (int)n, p);
				return false;
			}
		}
		labels++;
		p += n + 1;
	}
	if (labels == 1 && !(flags & XC_DNS_SINGLE)) {
		snprintf(
		        why, size,
		        "'%s' is a single label; write the fully qualified name",
		        s);
		return false;
	}
	if (labels == 2 && s[0] == '*' && (flags & XC_DNS_WILDCARD)) {
		snprintf(why, size,
		         "a wildcard needs at least two labels after it");
		return false;
	}
	return true;
}

bool xc_ip_literal(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

bool xc_host_valid(const char *s, char *why, size_t size)
{
	if (xc_ip_literal(s))
		return true;
	return xc_dns_name_valid(s, XC_DNS_SINGLE, why, size);
}

bool xc_netbios_valid(const char *s, char *why, size_t size)
{
	size_t len = strlen(s);
	size_t i;

	if (len == 0 || len > 15) {
		snprintf(
		        why, size,
		        "a server name is the computer's NetBIOS name: 1 to 15 characters");
		return false;
	}
	for (i = 0; i < len; i++) {
		if (!is_ldh((unsigned char)s[i])) {
			snprintf(
			        why, size,
			        "a server name has only letters, digits and hyphens");
			return false;
		}
	}
	if (s[0] == '-') {
		snprintf(why, size, "a server name cannot begin with a hyphen");
		return false;
	}
	return true;
}

bool xc_dns_name_equal(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}
