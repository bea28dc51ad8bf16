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

struct xc_server_obs {
	const struct xc_server *server; /* borrowed from the config */
	bool ok;
	struct xc_error err; /* when !ok: names the server and what failed */
	struct xc_obs_server obs;
	double seconds; /* the round trip */
};

struct xc_observation {
	struct xc_server_obs *servers; /* owned; in config order */
	size_t nservers;
	bool org_ok;
	struct xc_error org_err;
	struct xc_obs_org org;
	const struct xc_server *org_from; /* the server that answered it */
};

/*
 * Observes every server of cfg (or only the one named only, and then no
 * org-wide part unless it is the first Mailbox server), at most parallelism
 * at once.  Returns 0 even when servers failed (see ok/err of each);
 * negative only for a bad argument.
 */
int xc_observe(struct xc_observation *out, const struct xc_config *cfg,
               const char *base_dir, const char *only, int parallelism,
               struct xc_error *err);

void xc_observation_release(struct xc_observation *o);

/* The observation as JSON (docs/agent-protocol.md's shapes, plus the facts
 * excert computed from each certificate); caller frees. */
char *xc_observation_json(const struct xc_observation *o);

#endif
