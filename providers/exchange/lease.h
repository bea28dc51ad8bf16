/* SPDX-License-Identifier: MIT */
/*
 * The organisation-wide lease (DESIGN.md §7, docs/concurrency.md): so that
 * two excert processes with different state directories (two operators, two
 * CI runners, a watcher and a person) never change one organisation at
 * once.  The state directory's lock only keeps out applies that share it.
 *
 * The lease lives in the organisation itself, on its lease server (the
 * first Mailbox server of excert.yaml, the one the organisation is observed
 * through), kept by the agent's lease operation: an owner in words, a
 * random token, an expiry on the server's own clock.  The holder renews it
 * from a thread of its own while it applies; a holder that dies stops
 * renewing, and its lease expires.
 */
#ifndef XC_PROVIDERS_EXCHANGE_LEASE_H
#define XC_PROVIDERS_EXCHANGE_LEASE_H

#include <stdbool.h>

#include "state/config.h"
#include "state/error.h"

struct xc_lease;
struct xc_store;

/*
 * Takes the lease of cfg's organisation (cfg and base_dir borrowed for the
 * life of the lease).  who says who takes it ("excert apply") in the
 * holder's description.  store, when not NULL, is the caller's state
 * directory, locked by the caller for the life of the lease: the lease's
 * token is kept there, so that the next apply from it takes over a lease
 * that an apply killed there left behind, without waiting for it to
 * expire.  When another
 * holds it: waits up to wait_seconds (0: not at all), saying once on stderr
 * whom it waits for, then XC_ELOCKED naming the holder.  On success *out
 * holds the lease and renews it until xc_lease_release.
 */
int xc_lease_take(struct xc_lease **out, const struct xc_config *cfg,
                  const char *base_dir, const char *who, struct xc_store *store,
                  int wait_seconds, struct xc_error *err);

/* Whether the lease is still held: false, with err set, once a renewal was
 * refused or the lease ran out before one got through.  Thread-safe. */
bool xc_lease_held(struct xc_lease *l, struct xc_error *err);

/* Stops renewing, gives the lease back (best effort: a lease that cannot
 * be given back expires) and frees l.  NULL is fine. */
void xc_lease_release(struct xc_lease *l);

#endif
