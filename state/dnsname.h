/* SPDX-License-Identifier: MIT */
/*
 * Host names as Exchange and certificates use them: RFC 1123 labels of
 * letters, digits and hyphens (1-63 octets, no hyphen at either end), at most
 * 253 octets in all, an optional trailing dot.  A wildcard may only be the
 * whole left-most label ("*.contoso.com").
 */
#ifndef XC_STATE_DNSNAME_H
#define XC_STATE_DNSNAME_H

#include <stdbool.h>
#include <stddef.h>

enum xc_dns_flags {
	XC_DNS_WILDCARD = (1 << 0), /* "*.example.com" allowed */
	XC_DNS_SINGLE = (1 << 1),   /* a single label ("localhost") allowed */
};

/*
 * True when s is a valid name; otherwise false with the reason in why
 * (lowercase, e.g. "label 'a_b' has an invalid character '_'").
 */
bool xc_dns_name_valid(const char *s, unsigned flags, char *why, size_t size);

/* True for an IPv4 or IPv6 literal (without brackets). */
bool xc_ip_literal(const char *s);

/* True when s is a host for a connection: a name or an IP literal. */
bool xc_host_valid(const char *s, char *why, size_t size);

/* A NetBIOS computer name: 1-15 letters, digits and hyphens. */
bool xc_netbios_valid(const char *s, char *why, size_t size);

/* ASCII case-insensitive equality, ignoring one trailing dot on each. */
bool xc_dns_name_equal(const char *a, const char *b);

#endif
