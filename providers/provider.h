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

struct xc_world {
	void *ctx;
	/* One agent round trip to the server named in excert.yaml. */
	int (*call)(void *ctx, const char *server, const struct xc_request *req,
	            struct xc_reply *reply, struct xc_error *err);
	/* Has the issuer named in excert.yaml sign a PKCS#10 request (DER);
	 * *chain_pem is the chain, leaf first (caller frees). */
	int (*issue)(void *ctx, const char *issuer, const unsigned char *csr,
	             size_t len, char **chain_pem, struct xc_error *err);
	/* Keeps text under name in the state directory (data NULL: forgets
	 * it), so that an interrupted apply can pick it up. */
	int (*remember)(void *ctx, const char *name, const char *data,
	                struct xc_error *err);
	/* size bytes of a random password (printable, NUL-terminated). */
	int (*password)(void *ctx, char *buf, size_t size,
	                struct xc_error *err);
};

#endif
