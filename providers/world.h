/* SPDX-License-Identifier: MIT */
/* The world of providers/provider.h for a configuration: its transports
 * and its issuers. */
#ifndef XC_PROVIDERS_WORLD_H
#define XC_PROVIDERS_WORLD_H

#include "providers/provider.h"
#include "state/config.h"

struct xc_store;

/* Fills w for cfg (borrowed; paths relative to base_dir, copied); what is
 * remembered goes to store (borrowed, locked by the caller).  Free with
 * xc_world_release. */
void xc_world_init(struct xc_world *w, const struct xc_config *cfg,
                   const char *base_dir, struct xc_store *store);
void xc_world_release(struct xc_world *w);

#endif
