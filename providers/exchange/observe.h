/* SPDX-License-Identifier: MIT */
/*
 * Observing an organisation: one round trip per server (observe; the first
 * Mailbox server also answers observe_org), servers in parallel.  A dead or
 * slow server fails its own observation, not the others'.
 */
#ifndef XC_PROVIDERS_EXCHANGE_OBSERVE_H
#define XC_PROVIDERS_EXCHANGE_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "state/config.h"
#include "state/observed.h"

/*
 * Observes every server of cfg (or only the one named only, and then no
 * org-wide part unless it is the first Mailbox server), at most parallelism
 * at once.  Returns 0 even when servers failed (see ok/err of each);
 * negative only for a bad argument.
 */
int xc_observe(struct xc_observation *out, const struct xc_config *cfg,
               const char *base_dir, const char *only, int parallelism,
               struct xc_error *err);

/* The observation as JSON (docs/agent-protocol.md's shapes, plus the facts
 * excert computed from each certificate); caller frees. */
char *xc_observation_json(const struct xc_observation *o);

#endif
