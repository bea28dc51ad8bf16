/* SPDX-License-Identifier: MIT */
/*
 * The manual issuer: a directory that excert and the people who run a CA
 * share.  For a pending request REQUEST (its thumbprint) excert writes
 * REQUEST.csr (PEM); the CA's certificate comes back as REQUEST.cer,
 * REQUEST.crt or REQUEST.pem, PEM (leaf first, chain optional) or DER, and
 * is taken only if its key is the request's.
 *
 * Strings returned are the caller's.
 */
#ifndef XC_PROVIDERS_MANUAL_MANUAL_H
#define XC_PROVIDERS_MANUAL_MANUAL_H

#include <stddef.h>

#include "state/error.h"

/*
 * The certificate for request, as a PEM chain (leaf first) in *chain_pem;
 * or, while there is none, the request written as dir/REQUEST.csr (once)
 * and XC_ENOTFOUND with err saying where it is and what to put where.
 * Other errors: a certificate that does not parse or is not for this
 * request's key.
 */
int xc_manual_pick_up(const char *dir, const char *request,
                      const unsigned char *csr, size_t csr_len,
                      char **chain_pem, struct xc_error *err);

/* The requests (thumbprints, upper case) whose certificate file is in dir;
 * *out is an array of *n strings (free with xc_strv_free).  A missing
 * directory has none. */
void xc_manual_ready(const char *dir, char ***out, size_t *n);

#endif
