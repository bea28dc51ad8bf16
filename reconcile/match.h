/* SPDX-License-Identifier: MIT */
/*
 * Whether an observed certificate is the one excert.yaml asks for.  A
 * certificate is identified by what it says (subject, names, key, issuer),
 * never by its thumbprint, which changes at every renewal.
 */
#ifndef XC_RECONCILE_MATCH_H
#define XC_RECONCILE_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "reconcile/plan.h"
#include "state/model.h"
#include "state/dn.h"
#include "state/observed.h"
#include "state/tlsname.h"

/*
 * True when o is c: same subject, the same set of DNS names, an RSA key of
 * c's size, and an issuer of c's issuer (when facts are known).  Otherwise
 * false, with what differs in why ("names differ: ...").
 */
bool xc_cert_matches(const struct xc_cert *c, const struct xc_obs_cert *o,
                     const struct xc_issuer_facts *facts, char *why,
                     size_t size);

/* True when o can serve now: a private key, inside its validity, and not
 * marked invalid or revoked by Exchange. */
bool xc_cert_usable(const struct xc_obs_cert *o, long long now);

/*
 * The usable certificate on server o that is c: the one with thumbprint
 * want when want is given (the plan named it), else the latest to expire;
 * among equals the one in use there (IIS 443, services), then the lowest
 * thumbprint, as the planner chooses.  NULL when there is none.  For the
 * runner's checks and for status.
 */
const struct xc_obs_cert *xc_cert_on_server(const struct xc_cert *c,
                                            const struct xc_obs_server *o,
                                            const struct xc_issuer_facts *f,
                                            long long now, const char *want);

/* The friendly name excert gives c's certificates. */
void xc_cert_friendly(const struct xc_cert *c, char *buf, size_t size);

#endif
