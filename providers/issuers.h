/* SPDX-License-Identifier: MIT */
/*
 * The issuers: one table of functions per kind (lab CA, manual CA, ACME),
 * and the list of them here (issuers.c), so that another kind of CA is one
 * more table and one line.
 *
 * What excert knows in advance about each issuer: the names it signs with
 * and the requests a manual CA has answered.  The lab CA's names are read
 * from its certificate; an ACME CA's rotate and are known only after
 * issuance (empty here).
 */
#ifndef XC_PROVIDERS_ISSUERS_H
#define XC_PROVIDERS_ISSUERS_H

#include <stdbool.h>
#include <stddef.h>

#include "providers/provider.h"
#include "state/config.h"
#include "state/obsfile.h"
#include "state/observed.h"
#include "state/store.h"

/* What an issuer may use while it issues; all borrowed. */
struct xc_issue_env {
	const char *base_dir;   /* excert.yaml's directory */
	struct xc_store *store; /* locked by the caller; may be NULL */
	/* one agent round trip (struct xc_world's call) */
	int (*call)(void *ctx, const char *server, const struct xc_request *req,
	            struct xc_reply *reply, struct xc_error *err);
	void *call_ctx;
};

struct xc_issuer_ops {
	const char *kind; /* "lab", "manual", "acme": its key in excert.yaml */
	/* Whether is's settings are this kind's. */
	bool (*is)(const struct xc_issuer *is);
	/* Optional: fills f (its names, the requests ready), keeping the
	 * storage in t; 0 or an error. */
	int (*facts)(const struct xc_issuer *is, const char *base_dir,
	             struct xc_issuer_table *t, struct xc_issuer_facts *f,
	             size_t index, struct xc_error *err);
	/* Signs job's request: *chain_pem, leaf first (caller frees). */
	int (*issue)(const struct xc_issuer *is, const struct xc_issue_env *env,
	             const struct xc_issue_job *job, char **chain_pem,
	             struct xc_error *err);
	/* Optional: the renewal window the CA suggests for der (ARI); *has
	 * false when it offers none. */
	int (*ari)(const struct xc_issuer *is, const char *base_dir,
	           struct xc_store *store, const unsigned char *der, size_t len,
	           struct xc_ari_window *w, bool *has, struct xc_error *err);
};

/* The table of is's kind, or NULL when no kind's settings are set. */
const struct xc_issuer_ops *xc_issuer_ops_of(const struct xc_issuer *is);

/* Reads what is known of every issuer of cfg (paths relative to
 * base_dir).  0, or a negative xc_code with err set (a lab CA that cannot
 * be read). */
int xc_issuers_load(struct xc_issuer_table *out, const struct xc_config *cfg,
                    const char *base_dir, struct xc_error *err);

void xc_issuers_release(struct xc_issuer_table *t);

#endif
