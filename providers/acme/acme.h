/* SPDX-License-Identifier: MIT */
/*
 * An ACME client (RFC 8555): directory, nonces, account (with external
 * account binding), orders, authorizations (their http-01 and dns-01
 * challenges), polling, finalization and certificate download.
 *
 * What a run must remember lives in the state store (state/store.h), under
 * "acme-HASH/", HASH being the first 16 hex digits of the SHA-256 of the
 * directory URL, so that each CA has its own account:
 *
 *   acme-HASH/directory.json  the directory document and when it was read
 *                             (used for a day, then read again)
 *   acme-HASH/account.key     the account key, PKCS#8 PEM, mode 0600
 *   acme-HASH/account.json    the account URL (the JWS "kid")
 *
 * so that a second run makes no directory or account request.  Orders are
 * the caller's to persist (providers/acme/issue.h).
 *
 * Nonces: every response's Replay-Nonce is kept for the next request;
 * newNonce is asked only when none is in hand (the first request of a run).
 * A badNonce rejection is retried at once with the nonce it carried, at
 * most XC_ACME_BADNONCE_RETRIES times.  No other failure is retried: a
 * problem document becomes an error in words (problem.h), with the time to
 * wait for rateLimited.
 *
 * struct xc_acme is owned by the caller of xc_acme_open (xc_acme_close);
 * the store and log it is given are borrowed.  Strings of orders and
 * authorizations are owned by those structs (release functions below).
 * Never prints a secret: the account key and the EAB key stay in memory.
 */
#ifndef XC_PROVIDERS_ACME_ACME_H
#define XC_PROVIDERS_ACME_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "providers/acme/acme_http.h"
#include "state/error.h"
#include "state/store.h"

#define XC_ACME_BADNONCE_RETRIES 20

/* Longest wait for one authorization or order to leave "pending" or
 * "processing", the longest single wait a Retry-After may ask, and the
 * shortest (a CA saying "Retry-After: 0" is not polled in a loop). */
#define XC_ACME_POLL_DEADLINE_MS (10LL * 60 * 1000)
#define XC_ACME_POLL_CAP_MS (60LL * 1000)
#define XC_ACME_POLL_MIN_MS 1000LL

/* The most names (authorizations) one order may have: the most SANs the
 * public CAs allow.  An order with more authorizations than that, or than
 * it has identifiers (RFC 8555 §7.1.3: one per identifier), is refused
 * before any of them is read. */
#define XC_ACME_MAX_NAMES 100

struct xc_acme_config {
	const char *directory_url;     /* https:// */
	const char *ca_bundle;         /* PEM file; NULL for the system's */
	const char *eab_kid;           /* NULL: no binding */
	const unsigned char *eab_hmac; /* the decoded HMAC key; borrowed */
	size_t eab_hmac_len;
	struct xc_store *store; /* borrowed; the caller holds its lock */
	FILE *log;              /* progress lines; NULL for none */
	const char *email; /* the account's contact (mailto:), sent when the
	                      account is made; NULL: none */
};

struct xc_acme;

/*
 * Reads the directory (from the store when it is recent), loads the
 * account key or makes one (EC P-256, written 0600 before it is used).
 * 0 with *out set, or a negative xc_code with err set.
 */
int xc_acme_open(struct xc_acme **out, const struct xc_acme_config *cfg,
                 struct xc_error *err);

void xc_acme_close(struct xc_acme *a);

/*
 * For a process that ends with its ACME run (excert acme issue, acme ari):
 * OpenSSL is told not to free its state at exit, which only gives memory
 * back to a process that is going away (some 1.5 million instructions,
 * a thirtieth of an issue run).  Effective only when called before
 * anything in the process has used OpenSSL; harmless otherwise.
 */
void xc_acme_process_ends_with_run(void);

/* The store prefix of this directory, "acme-HASH"; borrowed. */
const char *xc_acme_prefix(const struct xc_acme *a);

/* The thumbprint of the account key (RFC 7638); borrowed. */
const char *xc_acme_thumbprint(const struct xc_acme *a);

/*
 * Makes sure there is an account: the cached account URL, or a newAccount
 * request (agreeing to the CA's terms, with the external account binding
 * when one was given or the directory requires one).  0 or an error.
 */
int xc_acme_account(struct xc_acme *a, struct xc_error *err);

struct xc_acme_order {
	char *url;       /* owned */
	char status[16]; /* pending, ready, processing, valid, invalid */
	char **authz;    /* owned, nauthz URLs */
	size_t nauthz;
	char *finalize;    /* owned */
	char *certificate; /* owned; NULL until valid */
	char problem[400]; /* the order's error in words, or "" */
};

void xc_acme_order_release(struct xc_acme_order *o);

/* Places a new order for the DNS names.  0 with o filled, or an error. */
int xc_acme_order_new(struct xc_acme *a, const char *const *domains, size_t n,
                      struct xc_acme_order *o, struct xc_error *err);

/* Reads an order; XC_ENOTFOUND when the CA no longer knows it. */
int xc_acme_order_get(struct xc_acme *a, const char *url,
                      struct xc_acme_order *o, struct xc_error *err);

/*
 * How long to wait before the next poll, in ms: the reply's Retry-After
 * (retry_after as sent, "" for none; now in seconds since the epoch, for
 * an HTTP-date) held between XC_ACME_POLL_MIN_MS and XC_ACME_POLL_CAP_MS,
 * or without one *backoff, which then doubles up to 4 s; never more than
 * left_ms, the time left before the wait's deadline.  Pure, for the tests.
 */
long long xc_acme_poll_delay(const char *retry_after, long long now,
                             long long *backoff, long long left_ms);

/* Polls o while it is "pending" or "processing", honouring Retry-After as
 * xc_acme_poll_delay says.  0 with o updated (any other status), or
 * XC_ETIMEOUT or another error. */
int xc_acme_order_wait(struct xc_acme *a, struct xc_acme_order *o,
                       struct xc_error *err);

/* Sends the CSR (DER) to o's finalize URL; o is updated. */
int xc_acme_finalize(struct xc_acme *a, struct xc_acme_order *o,
                     const unsigned char *csr, size_t len,
                     struct xc_error *err);

/* Downloads the certificate chain (PEM) of a valid order; *pem caller
 * frees. */
int xc_acme_certificate(struct xc_acme *a, const struct xc_acme_order *o,
                        char **pem, size_t *len, struct xc_error *err);

struct xc_acme_authz {
	char *url;        /* owned */
	char *identifier; /* owned, the DNS name */
	bool wildcard;
	char status[16];    /* pending, valid, invalid, deactivated, ... */
	char *http01_url;   /* owned; NULL when no http-01 is offered */
	char *http01_token; /* owned; checked to be base64url */
	char http01_status[16];
	char offered[128]; /* the challenge types offered, for messages */
	char problem[400]; /* the failed challenge's error in words, or "" */
	char *dns01_url;   /* owned; NULL when no dns-01 is offered */
	char *dns01_token; /* owned; checked to be base64url */
	char dns01_status[16];
};

void xc_acme_authz_release(struct xc_acme_authz *z);

int xc_acme_authz_get(struct xc_acme *a, const char *url,
                      struct xc_acme_authz *z, struct xc_error *err);

/* Tells the CA that the challenge at url is ready to be validated. */
int xc_acme_challenge_respond(struct xc_acme *a, const char *url,
                              struct xc_error *err);

/* Polls z while it is "pending", honouring Retry-After. */
int xc_acme_authz_wait(struct xc_acme *a, struct xc_acme_authz *z,
                       struct xc_error *err);

struct xc_acme_stats {
	struct xc_acme_http_stats http;
	unsigned badnonce_retries;
	bool directory_cached; /* no directory request this run */
	bool account_cached;   /* no account request this run */
};

void xc_acme_get_stats(const struct xc_acme *a, struct xc_acme_stats *out);

#endif
