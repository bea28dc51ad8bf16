/* SPDX-License-Identifier: MIT */
/*
 * An ACME issuer of excert.yaml at work in apply: one order for a
 * certificate whose key stays on Exchange, finalized with the request
 * (CSR) the first Exchange server made; http-01 answered with files that
 * the agent places in the IIS webroot of every server of the certificate
 * (a load balancer may send the CA to any of them) and removes afterwards,
 * on success and on failure.
 *
 * The order URL is kept in the state directory as
 * acme-HASH/orders/req-REQUEST.json from the moment the CA returns it, so
 * that an apply killed half-way resumes the same order (found again by the
 * pending request it is for) and never places a second one; it is removed
 * once the certificate is downloaded.
 *
 * Everything in struct xc_acme_issuer_job is borrowed.
 */
#ifndef XC_PROVIDERS_ACME_ISSUER_H
#define XC_PROVIDERS_ACME_ISSUER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "state/agentmsg.h"
#include "state/config.h"
#include "state/error.h"
#include "state/observed.h"
#include "state/store.h"

struct xc_acme_issuer_job {
	const struct xc_issuer *issuer; /* with acme set */
	const char *base_dir;           /* paths of excert.yaml start here */
	struct xc_store *store;         /* locked by the caller */
	const char *request;            /* the pending request's thumbprint */
	const unsigned char *csr;       /* DER */
	size_t csr_len;
	const char *const *domains;
	size_t ndomains;
	const char *const *servers; /* where http-01 answers are placed */
	size_t nservers;
	/* one agent round trip (providers/provider.h's call) */
	int (*call)(void *ctx, const char *server, const struct xc_request *req,
	            struct xc_reply *reply, struct xc_error *err);
	void *call_ctx;
	FILE *log;  /* progress lines, or NULL */
	char *note; /* out: "order URL" or "order URL, resumed"; may be
	               NULL */
	size_t note_size;
};

/*
 * The renewal window the issuer's CA suggests for the certificate der
 * (ARI, RFC 9773), with the point in it that excert chose and keeps in
 * store: 0 with *w filled (its thumbprint and issuer too) and *has true;
 * 0 with *has false when the CA offers no ARI; or an error in words.
 */
int xc_acme_issuer_ari(const struct xc_issuer *issuer, const char *base_dir,
                       struct xc_store *store, const unsigned char *der,
                       size_t len, struct xc_ari_window *w, bool *has,
                       struct xc_error *err);

/* Orders, answers, finalizes, downloads: 0 with *chain_pem (leaf first,
 * caller frees), or a negative xc_code with err saying what failed where. */
int xc_acme_issuer_issue(const struct xc_acme_issuer_job *job, char **chain_pem,
                         struct xc_error *err);

#endif
