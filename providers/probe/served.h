/* SPDX-License-Identifier: MIT */
/*
 * What the certificates' verify endpoints and load balancers really serve
 * (DESIGN.md §4): for the observation, and for apply's verify step, which
 * waits until every endpoint serves the certificate that should be bound.
 */
#ifndef XC_PROVIDERS_PROBE_SERVED_H
#define XC_PROVIDERS_PROBE_SERVED_H

#include <stddef.h>

#include "state/config.h"
#include "state/error.h"
#include "state/observed.h"

/*
 * Probes every verify endpoint of every certificate of cfg (each URL
 * once, all at once) and asks every load balancer they name what it
 * serves, appending one entry per (certificate, endpoint or load
 * balancer) to o->served.  What cannot be seen is an entry with its
 * reason: this never fails.
 */
void xc_observe_served(struct xc_observation *o, const struct xc_config *cfg);

/*
 * Probes urls (n of them) until every one serves thumbprint, again and
 * again with growing pauses, for at most timeout_s seconds: a service that
 * was just restarted takes a moment to listen.  0 with detail (size bytes)
 * saying what was seen; otherwise an error naming the endpoints that do
 * not serve it and what they serve instead.
 */
int xc_served_wait(const char *const *urls, size_t n, const char *thumbprint,
                   unsigned timeout_s, char *detail, size_t size,
                   struct xc_error *err);

#endif
