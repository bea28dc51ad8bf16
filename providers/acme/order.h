/* SPDX-License-Identifier: MIT */
/*
 * The one ACME order driver (RFC 8555 §7.4): an order placed or resumed,
 * every authorization won, finalized, awaited and downloaded, in one
 * straight line.  `excert acme issue` (issue.h) and the apply-time issuer
 * (issuer.h) only configure it: where the challenge answers go (a
 * responder), which request finalizes the order, and what is persisted
 * after each step.
 *
 * A responder answers one kind of challenge: http-01 from a webroot or
 * excert's listener (http01.h), or through the Exchange agent in IIS;
 * dns-01 through RFC 2136 (dns01.h).  The driver places every answer,
 * publishes them (dns-01: served before the CA is told), tells the CA,
 * waits for every authorization, and clears what it placed on success and
 * on failure; a clear that fails fails the run only if the responder says
 * so (returns < 0).
 *
 * Codes: an authorization that is not pending or valid, a validation that
 * failed and an order that ends other than valid are XC_EAUTH; a challenge
 * of the responder's kind not offered is XC_EINVAL; a CA that says
 * orderNotReady on finalize is read, awaited and given the request once
 * more.  Everything given to the driver is borrowed.
 */
#ifndef XC_PROVIDERS_ACME_ORDER_H
#define XC_PROVIDERS_ACME_ORDER_H

#include <stddef.h>
#include <stdio.h>

#include "providers/acme/acme.h"
#include "providers/acme/dns01.h"
#include "providers/acme/http01.h"
#include "state/error.h"

struct xc_acme_responder_ops {
	const char *kind; /* "http-01" or "dns-01" */
	/* Puts the answer of one authorization (z->identifier, wildcard or
	 * not): the challenge's token and key authorization. */
	int (*place)(void *ctx, const struct xc_acme_authz *z,
	             const char *token, const char *keyauth,
	             struct xc_error *err);
	/* Optional: every answer placed, before the CA is told. */
	int (*publish)(void *ctx, struct xc_error *err);
	/* Removes every answer placed (called once, after the wait). */
	int (*clear)(void *ctx, struct xc_error *err);
	/* Optional: adds to err what explains a failed validation. */
	void (*explain)(void *ctx, struct xc_error *err);
};

struct xc_acme_order_run {
	struct xc_acme *acme;
	const char *const *domains; /* for a new order */
	size_t ndomains;
	const struct xc_acme_responder_ops *responder;
	void *responder_ctx;
	/* The request (DER) to finalize with; *der is freed by the driver. */
	int (*csr)(void *ctx, unsigned char **der, size_t *len,
	           struct xc_error *err);
	/* Optional: the order reached step "placed", "challenges" or
	 * "finalized"; 0, or an error that ends the run. */
	int (*persist)(void *ctx, const char *step, struct xc_error *err);
	void *ctx; /* for csr and persist */
	FILE *log; /* progress lines ("excert: acme: ..."), or NULL */
};

/*
 * Runs the order o: a resumed one (o->url set, read from the CA), or, when
 * o is all zeros, a new one for run->domains.  0 with *pem (the chain,
 * leaf first, caller frees) and *len; or a negative xc_code with err set,
 * o holding the order as last seen (status "invalid": it cannot go on).
 */
int xc_acme_run_order(const struct xc_acme_order_run *run,
                      struct xc_acme_order *o, char **pem, size_t *len,
                      struct xc_error *err);

/* The webroot's and the listener's responder: ctx is a struct
 * xc_acme_http01_responder. */
struct xc_acme_http01_responder {
	struct xc_http01 *http01;
	unsigned listen_port; /* the listener's port; 0 for a webroot */
};
extern const struct xc_acme_responder_ops xc_acme_http01_responder;

/* RFC 2136's responder: ctx is a struct xc_acme_dns01_responder. */
struct xc_acme_dns01_responder {
	struct xc_dns01 *dns01;
	long long publish_ms; /* how long the servers may take to serve */
};
extern const struct xc_acme_responder_ops xc_acme_dns01_responder;

#endif
