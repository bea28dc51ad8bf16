/* SPDX-License-Identifier: MIT */
/*
 * ACME problem documents (RFC 8555 §6.7, RFC 7807) in words: what the CA
 * refused, why in its own words, for which identifier, and when to try
 * again.  Pure functions over text the caller owns; nothing is kept.
 */
#ifndef XC_PROVIDERS_ACME_PROBLEM_H
#define XC_PROVIDERS_ACME_PROBLEM_H

#include <stddef.h>

#include "state/error.h"

/*
 * The short name of an ACME error type: "badNonce" for
 * "urn:ietf:params:acme:error:badNonce", else the type as given ("" when
 * NULL).  Borrowed from type.
 */
const char *xc_acme_problem_short(const char *type);

/*
 * Describes a problem document (JSON text, len bytes) received with HTTP
 * status: "<what it means> (<short type>): <detail>", then each
 * subproblem as "; <identifier>: <what> (<type>): <detail>", then, when
 * retry_seconds >= 0, "; retry after <UTC time> (in N s)".  A body that is
 * not a problem document gives "HTTP <status>" and the start of the body.
 * Control characters from the CA are replaced.  type_out (may be NULL)
 * receives the short type, "" when there is none.
 */
void xc_acme_problem_words(const char *body, size_t len, long status,
                           long long now, long long retry_seconds, char *out,
                           size_t size, char *type_out, size_t type_size);

/* The code of struct xc_error for a short ACME error type. */
enum xc_code xc_acme_problem_code(const char *short_type);

#endif
