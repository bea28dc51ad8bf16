/* SPDX-License-Identifier: MIT */
/*
 * An observation kept for later: written as the agents sent it (their own
 * observe and observe_org results, with what is known of the issuers), so
 * that `plan --observation FILE` plans offline exactly as it would have
 * planned then; and the facts of an observation that a plan depends on, one
 * line each, whose digest a saved plan records to tell a stale plan.
 *
 * Ownership: strings returned are the caller's; an xc_issuer_table owns its
 * facts and their names.
 */
#ifndef XC_STATE_OBSFILE_H
#define XC_STATE_OBSFILE_H

#include <stddef.h>

#include "state/config.h"
#include "state/observed.h"

/* The largest observation file read: thousands of servers. */
#define XC_OBSFILE_MAX ((size_t)256 * 1024 * 1024)

/* What is known of the issuers, owned (see providers/issuers.h, which
 * fills it from the issuers themselves). */
struct xc_issuer_table {
	struct xc_issuer_facts *facts; /* owned, one per issuer */
	size_t n;
	char **strings; /* owned storage behind facts[].names */
	size_t nstrings;
	char ***ready; /* owned, one list per issuer (or NULL): the storage
	                  behind facts[].ready */
};

void xc_issuer_table_release(struct xc_issuer_table *t);

/*
 * The observation file (JSON, docs/plan-format.md): o's raw replies,
 * which servers failed and why, and the issuer facts; observed_at is
 * seconds since the epoch.  Caller frees.
 */
char *xc_obsfile_dump(const struct xc_observation *o,
                      const struct xc_issuer_table *facts,
                      const char *organization, long long observed_at);

/*
 * Reads an observation file (text, len bytes, named label in errors) for
 * the servers of cfg, as if they had just been observed: a server of cfg
 * that the file lacks is "not observed" with a message naming the file;
 * servers the file has beyond cfg are ignored.  Issuers of cfg that the
 * file lacks have no known names.  0, or a negative xc_code with err set
 * (not an observation file, a reply that does not parse).
 */
int xc_obsfile_load(struct xc_observation *out, struct xc_issuer_table *facts,
                    const struct xc_config *cfg, const char *text, size_t len,
                    const char *label, struct xc_error *err);

/*
 * The facts of o and facts that a plan depends on: per server, each
 * certificate (thumbprint, status, key, services, friendly name), pending
 * request, receive connector's TlsCertificateName, IIS binding, the
 * internal transport and Auth certificates, or that it was not observed;
 * the send connectors and hybrid configuration; the issuers' names.
 * Sorted; *out is an array of *n strings (free with xc_strv_free).
 */
void xc_observation_facts(const struct xc_observation *o,
                          const struct xc_issuer_table *facts, char ***out,
                          size_t *n);

/* The SHA-256 of the facts, as 64 hex digits. */
void xc_facts_digest(char *const *lines, size_t n, char hex[65]);

void xc_strv_free(char **v, size_t n);

#endif
