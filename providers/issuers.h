/* SPDX-License-Identifier: MIT */
/*
 * What excert knows in advance about each issuer: the names it signs with.
 * The lab CA's is read from its certificate; an ACME CA's rotate and are
 * known only after issuance (empty here).
 */
#ifndef XC_PROVIDERS_ISSUERS_H
#define XC_PROVIDERS_ISSUERS_H

#include <stddef.h>

#include "state/config.h"
#include "state/obsfile.h"
#include "state/observed.h"

/* Reads what is known of every issuer of cfg (paths relative to
 * base_dir).  0, or a negative xc_code with err set (a lab CA that cannot
 * be read). */
int xc_issuers_load(struct xc_issuer_table *out, const struct xc_config *cfg,
                    const char *base_dir, struct xc_error *err);

void xc_issuers_release(struct xc_issuer_table *t);

#endif
