/* SPDX-License-Identifier: MIT */
#include "reconcile/match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state/dn.h"
#include "state/dnsname.h"
#include "state/guard.h"

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
	return xc_obs_cert_usable(o, now);
}

void xc_cert_friendly(const struct xc_cert *c, char *buf, size_t size)
{
	if (c->friendly_name.v)
		snprintf(buf, size, "%s", c->friendly_name.v);
	else
		snprintf(buf, size, "excert %s", c->name.v);
}

/* Whether o binds x on IIS 443 or has it enabled for a service. */
static bool used_here(const struct xc_obs_server *o,
                      const struct xc_obs_cert *x)
{
	size_t i;

	if (x->services)
		return true;
	for (i = 0; i < o->nbindings; i++)
		if (o->bindings[i].port == 443 &&
		    strcasecmp(o->bindings[i].thumbprint, x->x.thumbprint) == 0)
			return true;
	return false;
}

const struct xc_obs_cert *xc_cert_on_server(const struct xc_cert *c,
                                            const struct xc_obs_server *o,
                                            const struct xc_issuer_facts *f,
                                            long long now, const char *want)
{
	const struct xc_obs_cert *best = NULL;
	char why[600];
	size_t i;

	for (i = 0; i < o->ncerts; i++) {
		const struct xc_obs_cert *x = &o->certs[i];

		if (!xc_cert_matches(c, x, f, why, sizeof(why)) ||
		    !xc_cert_usable(x, now))
			continue;
		if (want && want[0]) {
			if (strcasecmp(x->x.thumbprint, want) == 0)
				return x;
			continue;
		}
		if (!best || x->x.not_after > best->x.not_after ||
		    (x->x.not_after == best->x.not_after &&
		     (used_here(o, x) != used_here(o, best)
		              ? used_here(o, x)
		              : strcmp(x->x.thumbprint, best->x.thumbprint) <
		                        0)))
			best = x;
	}
	return best;
}
