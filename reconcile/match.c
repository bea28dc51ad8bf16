/* SPDX-License-Identifier: MIT */
#include "reconcile/match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state/dn.h"
#include "state/dnsname.h"

bool xc_dn_equal(const char *a, const char *b)
{
	struct xc_dn x;
	struct xc_dn y;
	char why[200];
	bool eq;
	size_t i;

	if (!xc_dn_parse(a, &x, why, sizeof(why)))
		return strcasecmp(a, b) == 0;
	if (!xc_dn_parse(b, &y, why, sizeof(why))) {
		xc_dn_release(&x);
		return false;
	}
	eq = x.n == y.n;
	for (i = 0; eq && i < x.n; i++)
		eq = strcmp(x.v[i].type, y.v[i].type) == 0 &&
		     strcasecmp(x.v[i].value, y.v[i].value) == 0;
	xc_dn_release(&x);
	xc_dn_release(&y);
	return eq;
}

static bool in_list(const char *name, char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (xc_dns_name_equal(name, list[i]))
			return true;
	return false;
}

bool xc_cert_matches(const struct xc_cert *c, const struct xc_obs_cert *o,
                     const struct xc_issuer_facts *facts, char *why,
                     size_t size)
{
	size_t i;

	if (!xc_dn_equal(c->subject.v, o->subject)) {
		snprintf(why, size, "subject is %s, wants %s", o->subject,
		         c->subject.v);
		return false;
	}
	for (i = 0; i < c->domains.n; i++) {
		if (!in_list(c->domains.v[i].v, o->x.domains, o->x.ndomains)) {
			snprintf(why, size, "lacks the name %s",
			         c->domains.v[i].v);
			return false;
		}
	}
	for (i = 0; i < o->x.ndomains; i++) {
		size_t j;

		for (j = 0; j < c->domains.n; j++)
			if (xc_dns_name_equal(o->x.domains[i],
			                      c->domains.v[j].v))
				break;
		if (j == c->domains.n) {
			snprintf(why, size,
			         "has the name %s, which is no longer wanted",
			         o->x.domains[i]);
			return false;
		}
	}
	if (strcmp(o->x.key_type, "RSA") != 0 || o->x.key_bits != c->key_size) {
		snprintf(why, size, "key is %s %d, wants RSA %d", o->x.key_type,
		         o->x.key_bits, c->key_size);
		return false;
	}
	if (facts && facts->nnames) {
		for (i = 0; i < facts->nnames; i++)
			if (xc_dn_equal(facts->names[i], o->issuer))
				break;
		if (i == facts->nnames) {
			snprintf(why, size, "issued by %s, not by issuer '%s'",
			         o->issuer, facts->issuer);
			return false;
		}
	}
	return true;
}

bool xc_cert_usable(const struct xc_obs_cert *o, long long now)
{
	return o->has_private_key && now >= o->x.not_before &&
	       now < o->x.not_after && strcmp(o->status, "Revoked") != 0 &&
	       strcmp(o->status, "Invalid") != 0;
}

void xc_cert_friendly(const struct xc_cert *c, char *buf, size_t size)
{
	if (c->friendly_name.v)
		snprintf(buf, size, "%s", c->friendly_name.v);
	else
		snprintf(buf, size, "excert %s", c->name.v);
}

bool xc_tls_split(const char *v, char *issuer, char *subject, size_t size)
{
	const char *s;

	if (!v || strncasecmp(v, "<I>", 3) != 0)
		return false;
	for (s = v + 3; *s; s++)
		if (strncasecmp(s, "<S>", 3) == 0)
			break;
	if (!*s)
		return false;
	snprintf(issuer, size, "%.*s", (int)(s - v - 3), v + 3);
	snprintf(subject, size, "%s", s + 3);
	return true;
}

bool xc_tls_equal(const char *a, const char *b)
{
	char ai[2048];
	char as[2048];
	char bi[2048];
	char bs[2048];

	return xc_tls_split(a, ai, as, sizeof(ai)) &&
	       xc_tls_split(b, bi, bs, sizeof(bi)) && xc_dn_equal(ai, bi) &&
	       xc_dn_equal(as, bs);
}
