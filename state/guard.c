/* SPDX-License-Identifier: MIT */
#include "state/guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state/tlsname.h"

bool xc_obs_cert_usable(const struct xc_obs_cert *o, long long now)
{
	return o->has_private_key && now >= o->x.not_before &&
	       now < o->x.not_after && strcmp(o->status, "Revoked") != 0 &&
	       strcmp(o->status, "Invalid") != 0;
}

/* Whether a certificate of the server other than o answers tls: Exchange
 * picks a certificate by the name, so o is needed only as its last one. */
static bool answered_elsewhere(const struct xc_guard_ctx *g,
                               const struct xc_obs_cert *o, const char *tls)
{
	size_t i;

	for (i = 0; i < g->server->ncerts; i++) {
		const struct xc_obs_cert *x = &g->server->certs[i];
		char *mine;
		bool same;

		if (x == o ||
		    strcasecmp(x->x.thumbprint, o->x.thumbprint) == 0 ||
		    !xc_obs_cert_usable(x, g->now) || !x->issuer || !x->subject)
			continue;
		mine = xc_tls_certificate_name(x->issuer, x->subject);
		same = xc_tls_equal(mine, tls);
		free(mine);
		if (same)
			return true;
	}
	return false;
}

/* Who names o, in words, when nothing else answers that name. */
static bool named(const struct xc_guard_ctx *g, const struct xc_obs_cert *o,
                  char *why, size_t size)
{
	char *tls;
	const char *by = NULL;
	const char *what = "";
	size_t i;

	if (!o->issuer || !o->subject)
		return false;
	tls = xc_tls_certificate_name(o->issuer, o->subject);
	for (i = 0; !by && i < g->server->nrconns; i++)
		if (xc_tls_equal(g->server->rconns[i].tls_name, tls)) {
			by = "receive connector";
			what = g->server->rconns[i].identity;
		}
	for (i = 0; !by && g->org && i < g->org->nsconns; i++)
		if (xc_tls_equal(g->org->sconns[i].tls_name, tls)) {
			by = "send connector";
			what = g->org->sconns[i].name;
		}
	if (!by && g->org && g->org->hybrid &&
	    xc_tls_equal(g->org->hybrid_tls_name, tls))
		by = "the hybrid configuration";
	if (by && answered_elsewhere(g, o, tls))
		by = NULL;
	if (by)
		snprintf(
		        why, size,
		        "%s%s%.200s%s names it, and no other certificate on %s has its issuer and subject",
		        by, what[0] ? " '" : "", what, what[0] ? "'" : "",
		        g->server->name ? g->server->name : "the server");
	free(tls);
	return by != NULL;
}

unsigned xc_guard_removal(const struct xc_guard_ctx *g,
                          const struct xc_obs_cert *o, unsigned rules,
                          char *why, size_t size)
{
	const struct xc_obs_server *s = g->server;
	const char *t = o->x.thumbprint;
	size_t i;

	if ((rules & XC_GUARD_OWN) && o->self_signed) {
		snprintf(why, size, "it is self-signed (Exchange's own)");
		return XC_GUARD_OWN;
	}
	if ((rules & XC_GUARD_AUTH) && s->has_auth &&
	    (strcasecmp(s->auth_current, t) == 0 ||
	     strcasecmp(s->auth_next, t) == 0)) {
		snprintf(why, size, "it is the Auth certificate");
		return XC_GUARD_AUTH;
	}
	if ((rules & XC_GUARD_TRANSPORT) &&
	    strcasecmp(s->transport_cert, t) == 0) {
		snprintf(why, size, "it is the internal transport certificate");
		return XC_GUARD_TRANSPORT;
	}
	for (i = 0; (rules & XC_GUARD_BOUND) && i < s->nbindings; i++)
		if (strcasecmp(s->bindings[i].thumbprint, t) == 0) {
			snprintf(why, size, "IIS binds it on %d (%s)",
			         s->bindings[i].port,
			         s->bindings[i].site ? s->bindings[i].site
			                             : "?");
			return XC_GUARD_BOUND;
		}
	if ((rules & XC_GUARD_NAMED) && named(g, o, why, size))
		return XC_GUARD_NAMED;
	if (rules & XC_GUARD_LAST) {
		const struct xc_obs_cert *k = NULL;

		for (i = 0; g->stays && i < s->ncerts; i++)
			if (strcasecmp(s->certs[i].x.thumbprint, g->stays) == 0)
				k = &s->certs[i];
		if (!k || k == o || strcasecmp(k->x.thumbprint, t) == 0 ||
		    !xc_obs_cert_usable(k, g->now)) {
			snprintf(
			        why, size,
			        "it is the only usable certificate of its name on %s",
			        s->name ? s->name : "the server");
			return XC_GUARD_LAST;
		}
	}
	return 0;
}
