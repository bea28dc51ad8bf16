/* SPDX-License-Identifier: MIT */
/*
 * X.500 distinguished names as New-ExchangeCertificate's -SubjectName takes
 * them: "CN=mail.contoso.com, O=Contoso, C=US".  Attribute values may be
 * quoted or use backslash escapes (RFC 4514); '+' joins a multi-valued RDN.
 */
#ifndef XC_STATE_DN_H
#define XC_STATE_DN_H

#include <stdbool.h>
#include <stddef.h>

struct xc_dn_attr {
	char type[24]; /* canonical upper-case short name ("CN", "S") or OID */
	char *value;   /* owned, unescaped */
};

struct xc_dn {
	struct xc_dn_attr *v; /* owned; in written order */
	size_t n;
};

/* Parses s; on failure returns false with the reason in why (out empty). */
bool xc_dn_parse(const char *s, struct xc_dn *out, char *why, size_t size);

void xc_dn_release(struct xc_dn *dn);

/* X.500 names equal attribute by attribute, without regard to case or
 * the spaces around separators; an unparsable a compares as a string. */
bool xc_dn_equal(const char *a, const char *b);

/* The first value of type (e.g. "CN"), or NULL; borrowed from dn. */
const char *xc_dn_get(const struct xc_dn *dn, const char *type);

#endif
