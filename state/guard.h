/* SPDX-License-Identifier: MIT */
/*
 * What must never be removed from a server (DESIGN.md §5): the one list of
 * rules.  The planner checks it on the server as its plan will leave it,
 * so that it never plans a removal the runner would refuse; the runner
 * checks it again on what the server holds at that moment; the lab refuses
 * what Exchange itself refuses (XC_GUARD_EXCHANGE).
 */
#ifndef XC_STATE_GUARD_H
#define XC_STATE_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "state/observed.h"

enum xc_guard_rule {
	XC_GUARD_OWN = 1u << 0,  /* self-signed: Exchange's own */
	XC_GUARD_AUTH = 1u << 1, /* the Auth certificate, current or next */
	XC_GUARD_TRANSPORT = 1u << 2, /* the internal transport certificate */
	XC_GUARD_BOUND = 1u << 3,     /* bound in IIS, on any port */
	XC_GUARD_NAMED = 1u << 4,     /* a TlsCertificateName needs it */
	XC_GUARD_LAST = 1u << 5,      /* no other usable copy of the name */
};
#define XC_GUARD_ALL 0x3fu
/* What Exchange refuses by itself: Remove-ExchangeCertificate fails on a
 * certificate that a connector's TlsCertificateName is tagged with. */
#define XC_GUARD_EXCHANGE XC_GUARD_NAMED

/* The server, and the organisation around it, that a removal is judged
 * on; everything borrowed. */
struct xc_guard_ctx {
	const struct xc_obs_server *server;
	const struct xc_obs_org *org; /* send connectors, hybrid; NULL when
	                                 not known (their names not checked) */
	long long now;
	/* For XC_GUARD_LAST: the certificate of the same desired name that
	 * stays on server (thumbprint), or NULL when there is none. */
	const char *stays;
};

/* Whether o can serve now: a private key, inside its validity, not marked
 * invalid or revoked by Exchange. */
bool xc_obs_cert_usable(const struct xc_obs_cert *o, long long now);

/*
 * The first rule of rules that forbids removing o from g->server, or 0,
 * with why it forbids it in why ("receive connector 'MS01\\Default
 * Frontend MS01' names it and no other certificate here has its issuer
 * and subject").
 */
unsigned xc_guard_removal(const struct xc_guard_ctx *g,
                          const struct xc_obs_cert *o, unsigned rules,
                          char *why, size_t size);

#endif
