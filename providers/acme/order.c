/* SPDX-License-Identifier: MIT */
#include "providers/acme/order.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "providers/acme/jws.h"
#include "state/xalloc.h"

static void say(const struct xc_acme_order_run *run, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void say(const struct xc_acme_order_run *run, const char *fmt, ...)
{
	va_list ap;

	if (!run->log)
		return;
	fputs("excert: acme: ", run->log);
	va_start(ap, fmt);
	vfprintf(run->log, fmt, ap);
	va_end(ap);
	fputc('\n', run->log);
	fflush(run->log);
}

static int persist(const struct xc_acme_order_run *run, const char *step,
                   struct xc_error *err)
{
	return run->persist ? run->persist(run->ctx, step, err) : 0;
}

/* The challenge of z that the responder answers: its URL, token and
 * status; false when the CA offers none of that kind. */
static bool challenge_of(const struct xc_acme_order_run *run,
                         const struct xc_acme_authz *z, const char **url,
                         const char **token, const char **status)
{
	bool dns = strcmp(run->responder->kind, "dns-01") == 0;

	*url = dns ? z->dns01_url : z->http01_url;
	*token = dns ? z->dns01_token : z->http01_token;
	*status = dns ? z->dns01_status : z->http01_status;
	return *url != NULL;
}

/* Every answer placed, published, the CA told, the authorizations
 * awaited; each a failure in words. */
static int answer(const struct xc_acme_order_run *run,
                  const struct xc_acme_order *o, struct xc_acme_authz *z,
                  size_t *pending, struct xc_error *err)
{
	const struct xc_acme_responder_ops *resp = run->responder;
	const char *kind = resp->kind;
	const char *url;
	const char *token;
	const char *cs;
	size_t i;
	int rc = 0;

	for (i = 0; i < o->nauthz && rc == 0; i++) {
		char *keyauth;

		if ((rc = xc_acme_authz_get(run->acme, o->authz[i], &z[i],
		                            err)) < 0)
			break;
		if (strcmp(z[i].status, "valid") == 0) {
			say(run, "%s: authorization valid already, reused",
			    z[i].identifier);
			continue;
		}
		if (strcmp(z[i].status, "pending") != 0)
			return xc_error_set(err, XC_EAUTH,
			                    "the authorization of %s is %s%s%s",
			                    z[i].identifier, z[i].status,
			                    z[i].problem[0] ? ": " : "",
			                    z[i].problem);
		if (!challenge_of(run, &z[i], &url, &token, &cs))
			return xc_error_set(
			        err, XC_EINVAL,
			        "the CA offers no %s challenge for %s%s (offered: %s)%s",
			        kind, z[i].wildcard ? "*." : "",
			        z[i].identifier, z[i].offered,
			        z[i].wildcard && strcmp(kind, "http-01") == 0
			                ? "; wildcards need dns-01"
			                : "");
		keyauth = xc_acme_key_authorization(
		        token, xc_acme_thumbprint(run->acme));
		(*pending)++;
		rc = resp->place(run->responder_ctx, &z[i], token, keyauth,
		                 err);
		free(keyauth);
	}
	if (rc == 0 && *pending && resp->publish)
		rc = resp->publish(run->responder_ctx, err);
	/* A challenge already "processing" was answered by a run that was
	 * interrupted; answering again would be refused. */
	for (i = 0; i < o->nauthz && rc == 0; i++)
		if (strcmp(z[i].status, "pending") == 0 &&
		    challenge_of(run, &z[i], &url, &token, &cs) &&
		    strcmp(cs, "pending") == 0)
			rc = xc_acme_challenge_respond(run->acme, url, err);
	if (rc == 0 && *pending) {
		say(run, "%s answered for %zu name%s, waiting for the CA", kind,
		    *pending, *pending == 1 ? "" : "s");
		rc = persist(run, "challenges", err);
	}
	for (i = 0; i < o->nauthz && rc == 0; i++) {
		if (strcmp(z[i].status, "pending") != 0)
			continue;
		rc = xc_acme_authz_wait(run->acme, &z[i], err);
		if (rc == 0 && strcmp(z[i].status, "valid") != 0) {
			rc = xc_error_set(
			        err, XC_EAUTH,
			        "%s validation of %s%s failed (%s): %s", kind,
			        z[i].wildcard ? "*." : "", z[i].identifier,
			        z[i].status,
			        z[i].problem[0] ? z[i].problem
			                        : "the CA gave no reason");
			if (resp->explain)
				resp->explain(run->responder_ctx, err);
		}
	}
	return rc;
}

/* Every authorization of o valid: reused, or won through the responder,
 * whose answers are cleared before this returns, on success and on
 * failure. */
static int authorize(const struct xc_acme_order_run *run,
                     const struct xc_acme_order *o, struct xc_error *err)
{
	struct xc_acme_authz *z;
	struct xc_error cerr;
	size_t pending = 0;
	size_t i;
	int rc;

	z = xc_xcalloc(o->nauthz ? o->nauthz : 1, sizeof(*z));
	rc = answer(run, o, z, &pending, err);
	for (i = 0; i < o->nauthz; i++)
		xc_acme_authz_release(&z[i]);
	free(z);
	xc_error_clear(&cerr);
	if (pending && run->responder->clear(run->responder_ctx, &cerr) < 0 &&
	    rc == 0) {
		*err = cerr;
		rc = cerr.code ? (int)cerr.code : XC_ERR;
	}
	return rc;
}

/* The request sent to o's finalize URL; orderNotReady (the CA had not
 * caught up): the order read, awaited and finalized once more. */
static int finalize(const struct xc_acme_order_run *run,
                    struct xc_acme_order *o, struct xc_error *err)
{
	unsigned char *csr = NULL;
	size_t len = 0;
	int rc;

	if ((rc = run->csr(run->ctx, &csr, &len, err)) < 0)
		return rc;
	rc = xc_acme_finalize(run->acme, o, csr, len, err);
	if (rc == XC_ECONFLICT) {
		rc = xc_acme_order_get(run->acme, o->url, o, err);
		if (rc == 0)
			rc = xc_acme_order_wait(run->acme, o, err);
		if (rc == 0 && strcmp(o->status, "ready") == 0)
			rc = xc_acme_finalize(run->acme, o, csr, len, err);
	}
	free(csr);
	if (rc == 0)
		rc = persist(run, "finalized", err);
	return rc;
}

int xc_acme_run_order(const struct xc_acme_order_run *run,
                      struct xc_acme_order *o, char **pem, size_t *len,
                      struct xc_error *err)
{
	int rc;

	*pem = NULL;
	*len = 0;
	if (!o->url) {
		if ((rc = xc_acme_order_new(run->acme, run->domains,
		                            run->ndomains, o, err)) < 0)
			return rc;
		say(run, "order %s placed for %s%s", o->url, run->domains[0],
		    run->ndomains > 1 ? " and more" : "");
		if (strcmp(o->status, "ready") == 0)
			say(run, "every authorization valid already, reused");
		if ((rc = persist(run, "placed", err)) < 0)
			return rc;
	}
	if (strcmp(o->status, "pending") == 0) {
		if ((rc = authorize(run, o, err)) < 0)
			return rc;
		/* Every authorization is valid, so the order is ready:
		 * finalize at once rather than spend a request to read that
		 * (a CA that has not caught up says orderNotReady). */
		snprintf(o->status, sizeof(o->status), "ready");
	}
	if (strcmp(o->status, "ready") == 0 && (rc = finalize(run, o, err)) < 0)
		return rc;
	if ((rc = xc_acme_order_wait(run->acme, o, err)) < 0)
		return rc;
	if (strcmp(o->status, "valid") != 0)
		return xc_error_set(err, XC_EAUTH, "the order %s is %s%s%s",
		                    o->url, o->status,
		                    o->problem[0] ? ": " : "", o->problem);
	return xc_acme_certificate(run->acme, o, pem, len, err);
}

/* ---- responders ----------------------------------------------------- */

static int http01_place(void *ctx, const struct xc_acme_authz *z,
                        const char *token, const char *keyauth,
                        struct xc_error *err)
{
	struct xc_acme_http01_responder *h = ctx;

	(void)z;
	return xc_http01_add(h->http01, token, keyauth, err);
}

static int http01_clear(void *ctx, struct xc_error *err)
{
	struct xc_acme_http01_responder *h = ctx;

	(void)err;
	xc_http01_clear(h->http01);
	return 0;
}

/* The usual cause of a failed validation, worth saying: the CA never got
 * through to excert's listener. */
static void http01_explain(void *ctx, struct xc_error *err)
{
	struct xc_acme_http01_responder *h = ctx;
	size_t n = strlen(err->msg);

	if (h->listen_port && xc_http01_served(h->http01) == 0)
		snprintf(err->msg + n, sizeof(err->msg) - n,
		         "; no request reached excert's listener on port %u",
		         h->listen_port);
}

const struct xc_acme_responder_ops xc_acme_http01_responder = {
        .kind = "http-01",
        .place = http01_place,
        .clear = http01_clear,
        .explain = http01_explain,
};

static int dns01_place(void *ctx, const struct xc_acme_authz *z,
                       const char *token, const char *keyauth,
                       struct xc_error *err)
{
	struct xc_acme_dns01_responder *d = ctx;

	(void)token;
	return xc_dns01_add(d->dns01, z->identifier, keyauth, err);
}

static int dns01_publish(void *ctx, struct xc_error *err)
{
	struct xc_acme_dns01_responder *d = ctx;

	return xc_dns01_publish(d->dns01, d->publish_ms, err);
}

static int dns01_clear(void *ctx, struct xc_error *err)
{
	struct xc_acme_dns01_responder *d = ctx;

	return xc_dns01_clear(d->dns01, err);
}

const struct xc_acme_responder_ops xc_acme_dns01_responder = {
        .kind = "dns-01",
        .place = dns01_place,
        .publish = dns01_publish,
        .clear = dns01_clear,
};
