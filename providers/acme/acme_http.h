/* SPDX-License-Identifier: MIT */
/*
 * HTTPS for the ACME client: the one module that holds a CURL handle.
 *
 * One easy handle serves a whole run, so every request goes over the same
 * TLS connection (HTTP/2 when the CA offers it) and the trust store is
 * loaded once.  TLS verification is always on; a CA bundle file replaces
 * the system's trust store (internal CAs, Pebble).  Only https:// URLs are
 * followed, and redirects are not.
 *
 * struct xc_acme_http is owned by whoever made it (xc_acme_http_free);
 * struct xc_acme_resp is filled per request and owned by the caller
 * (xc_acme_resp_release).  Not thread-safe: one thread per handle.
 */
#ifndef XC_PROVIDERS_ACME_ACME_HTTP_H
#define XC_PROVIDERS_ACME_ACME_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "state/buf.h"
#include "state/error.h"

struct xc_acme_http;

enum xc_acme_method {
	XC_ACME_GET,
	XC_ACME_HEAD,
	XC_ACME_POST, /* a JWS body, application/jose+json */
};

/*
 * The headers kept are copied into fixed buffers; one longer than its
 * buffer (a Location of more than 2,047 bytes, ...) is never cut: the
 * transfer stops there and xc_acme_http_do fails naming the header.
 */
struct xc_acme_resp {
	long status;            /* HTTP status */
	struct xc_buf body;     /* at most 1 MiB */
	char nonce[256];        /* Replay-Nonce, or "" */
	char location[2048];    /* Location, or "" */
	char retry_after[128];  /* Retry-After as sent, or "" */
	char content_type[128]; /* Content-Type, or "" */
	const char *too_long;   /* the header that did not fit, or NULL */
	size_t too_long_len;    /* ... its length */
	size_t too_long_max;    /* ... and the most that fits */
};

/* Counters of a handle, for EXCERT_PROFILE and the tests. */
struct xc_acme_http_stats {
	unsigned requests;    /* every request sent */
	unsigned heads;       /* of which HEAD (newNonce) */
	unsigned gets;        /* of which GET (the directory) */
	unsigned posts;       /* of which POST (signed) */
	unsigned connections; /* TLS connections opened */
};

/*
 * A handle; ca_bundle is a PEM file of trusted CAs, or NULL for the
 * system's.  0 with *out set, or a negative xc_code with err set.
 */
int xc_acme_http_new(struct xc_acme_http **out, const char *ca_bundle,
                     struct xc_error *err);

void xc_acme_http_free(struct xc_acme_http *h);

/*
 * One request.  body is the JWS for POST, NULL otherwise; accept is the
 * Accept header or NULL.  Returns 0 when a response arrived (any status:
 * the caller reads resp->status), XC_EIO when none did (name resolution,
 * connection, TLS verification, timeout), with err naming the URL and
 * curl's reason, or XC_EPROTO when a header kept was too long for its
 * buffer.  resp is initialised here; release it in both
 * cases.
 */
int xc_acme_http_do(struct xc_acme_http *h, enum xc_acme_method method,
                    const char *url, const char *body, const char *accept,
                    struct xc_acme_resp *resp, struct xc_error *err);

void xc_acme_resp_release(struct xc_acme_resp *resp);

void xc_acme_http_get_stats(const struct xc_acme_http *h,
                            struct xc_acme_http_stats *out);

/*
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.  Sets
 * *seconds to how long to wait from now (0 for a date in the past).
 * Returns 0, or -1 when value is neither.
 */
int xc_acme_retry_after(const char *value, long long now, long long *seconds);

/*
 * Asks every ACME run of the process to stop (a SIGINT or SIGTERM handler
 * calls it; it only sets a flag, so it is async-signal-safe): a transfer
 * under way is aborted and the next wait ends, with an error saying
 * "interrupted", so that the run cleans up what it placed (http-01 files,
 * dns-01 records) as after any failure.
 */
void xc_acme_interrupt(void);

/* Whether xc_acme_interrupt was called. */
bool xc_acme_interrupted(void);

#endif
