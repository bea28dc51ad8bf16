/* SPDX-License-Identifier: MIT */
/*
 * Loading excert.yaml: YAML to tree (state/ytree.h), tree to model by the
 * schema tables (state/schema.h), then the checks that span objects
 * (references, uniqueness, Exchange's rules).  Every problem of the file is
 * collected; nothing is printed here.
 */
#ifndef XC_STATE_CONFIG_H
#define XC_STATE_CONFIG_H

#include <stddef.h>

#include "state/diag.h"
#include "state/model.h"

/*
 * Loads a desired state from len bytes at data.  label is what diagnostics
 * print as the file name (copied).  On success *out is the configuration
 * (caller frees with xc_config_free) and 0 is returned.  Otherwise *out is
 * NULL, diags holds every problem, and XC_EINVAL is returned.  Never prints,
 * never reads files; safe for any input.
 */
int xc_config_load(struct xc_config **out, const char *data, size_t len,
                   const char *label, struct xc_diags *diags);

void xc_config_free(struct xc_config *cfg);

/* Lookups by name; borrowed from cfg; NULL when absent. */
const struct xc_server *xc_config_server(const struct xc_config *cfg,
                                         const char *name);
const struct xc_issuer *xc_config_issuer(const struct xc_config *cfg,
                                         const char *name);
const struct xc_lb *xc_config_lb(const struct xc_config *cfg, const char *name);
const struct xc_cert *xc_config_cert(const struct xc_config *cfg,
                                     const char *name);

/* Typed element access for the lists of struct xc_config. */
#define XC_SERVERS(cfg) ((struct xc_server *)(cfg)->servers.v)
#define XC_ISSUERS(cfg) ((struct xc_issuer *)(cfg)->issuers.v)
#define XC_LBS(cfg) ((struct xc_lb *)(cfg)->load_balancers.v)
#define XC_CERTS(cfg) ((struct xc_cert *)(cfg)->certificates.v)

#endif
