/* SPDX-License-Identifier: MIT */
/*
 * What the engine may ask of the world, as a table of functions: the one
 * header of providers/ that reconcile/ sees.  The engine decides; these
 * functions only carry out (DESIGN.md §2).
 */
#ifndef XC_PROVIDERS_PROVIDER_H
#define XC_PROVIDERS_PROVIDER_H

#include <stddef.h>

#include "state/agentmsg.h"
#include "state/error.h"

/* What an issuer is asked to sign, and for what; all borrowed. */
struct xc_issue_job {
	const char *issuer;       /* its name in excert.yaml */
	const char *request;      /* the pending request's thumbprint, which
	                             finds an interrupted order again */
	const unsigned char *csr; /* DER, made on Exchange */
	size_t len;
	const char *const *domains;
	size_t ndomains;
	const char *const *servers; /* the certificate's servers: where
	                               the CA's http-01 requests may land */
	size_t nservers;
	char *note; /* out: what the issuer did, for the journal ("order
	               URL, resumed"); note_size bytes, "" when nothing */
	size_t note_size;
};

struct xc_world {
	void *ctx;
	/* One agent round trip to the server named in excert.yaml. */
	int (*call)(void *ctx, const char *server, const struct xc_request *req,
	            struct xc_reply *reply, struct xc_error *err);
	/* Has the issuer sign a PKCS#10 request; *chain_pem is the chain,
	 * leaf first (caller frees). */
	int (*issue)(void *ctx, const struct xc_issue_job *job,
	             char **chain_pem, struct xc_error *err);
	/* Keeps text under name in the state directory (data NULL: forgets
	 * it), so that an interrupted apply can pick it up. */
	int (*remember)(void *ctx, const char *name, const char *data,
	                struct xc_error *err);
	/* The time now, seconds since the epoch: a certificate issued during
	 * the apply is valid from a moment after the plan was made. */
	long long (*clock)(void *ctx);
	/* size bytes of a random password (printable, NUL-terminated). */
	int (*password)(void *ctx, char *buf, size_t size,
	                struct xc_error *err);
	/* Waits until each of the n endpoint URLs serves the certificate
	 * with thumbprint, probing again for a while; detail (size bytes)
	 * says what was seen. */
	int (*served)(void *ctx, const char *const *urls, size_t n,
	              const char *thumbprint, char *detail, size_t size,
	              struct xc_error *err);
	/* Makes load balancer lb (its name in excert.yaml) serve chain_pem
	 * (leaf first) with key_pem; sni is the certificate's first domain.
	 * detail (size bytes) says what was done. */
	int (*lb_update)(void *ctx, const char *lb, const char *sni,
	                 const char *chain_pem, const char *key_pem,
	                 char *detail, size_t size, struct xc_error *err);
};

#endif
