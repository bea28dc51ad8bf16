/* SPDX-License-Identifier: MIT */
/*
 * ACME Renewal Information (ARI, RFC 9773): when the CA suggests that a
 * certificate be renewed.
 *
 *   certID      base64url(AKI keyIdentifier) "." base64url(serial), the
 *               serial as the bytes of its DER INTEGER (a leading zero
 *               when the high bit is set), no padding (RFC 9773 §4.1)
 *   renewalInfo GET DIRECTORY.renewalInfo "/" certID, unauthenticated; the
 *               reply's suggestedWindow {start, end} (RFC 3339) and its
 *               Retry-After, clamped to 1 minute .. 1 day (6 hours when
 *               absent), before which the CA is not asked again
 *
 * A point in the window is chosen at random (uniformly, RFC 9773 §4.2)
 * and persisted in the state directory with the window, so that every run
 * sees the same point until the CA moves the window:
 *
 *   acme-HASH/ari/ID.json   HASH as in acme.h (of the directory URL), ID
 *                           the first 16 hex digits of SHA-256(certID):
 *                           {cert_id, start, end, chosen, next_poll,
 *                            explanation, fetched}
 *
 * Until next_poll, xc_ari_get answers from that file without a request.
 * The directory is read from acme.h's cache (acme-HASH/directory.json)
 * when it is less than a day old, else fetched (and not cached here).
 * A directory without renewalInfo means "no ARI at this CA".
 *
 * Everything in struct xc_ari_config is borrowed; struct xc_ari_info is
 * filled by value.  TLS through acme_http.h (verification always on).
 */
#ifndef XC_PROVIDERS_ACME_ARI_H
#define XC_PROVIDERS_ACME_ARI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "state/error.h"
#include "state/store.h"

struct xc_ari_config {
	const char *directory_url; /* https:// */
	const char *ca_bundle;     /* NULL: the system's trust store */
	struct xc_store *store;    /* where the chosen point is kept */
	FILE *log;                 /* progress lines; NULL for none */
	long long now;             /* seconds since the epoch; 0: the clock */
};

enum xc_ari_status {
	XC_ARI_NONE,   /* the CA offers no ARI (no renewalInfo) */
	XC_ARI_WINDOW, /* a suggested window, and a point chosen in it */
};

struct xc_ari_info {
	enum xc_ari_status status;
	char cert_id[256];
	long long start;       /* the suggested window, seconds since the  */
	long long end;         /* epoch, start < end                        */
	long long chosen;      /* when to renew: start <= chosen < end      */
	long long next_poll;   /* not to ask the CA again before this       */
	long long retry_after; /* the wait the CA asked for, clamped, s    */
	char explanation[512]; /* explanationURL, or ""                    */
	bool from_store;       /* answered from the state, no request      */
	bool window_changed;   /* the window differs from the one kept     */
};

/* The certID of a certificate from its AKI keyIdentifier and its serial
 * (the DER INTEGER's content bytes).  out holds at least 256 bytes; 0, or
 * XC_EINVAL when it would not fit. */
int xc_ari_cert_id_of(const unsigned char *aki, size_t aki_len,
                      const unsigned char *serial, size_t serial_len, char *out,
                      size_t size, struct xc_error *err);

/* The certID of a certificate (DER).  0, or XC_EINVAL when it is not a
 * certificate or has no authority key identifier. */
int xc_ari_cert_id(const unsigned char *der, size_t len, char *out, size_t size,
                   struct xc_error *err);

/* Reads the first certificate of a PEM file (a chain is fine) or a DER
 * file; *der caller frees.  0, or an error naming path. */
int xc_ari_read_cert(const char *path, unsigned char **der, size_t *len,
                     struct xc_error *err);

/* An RFC 3339 date-time ("2025-01-02T04:00:00Z", fractions and offsets
 * allowed) as seconds since the epoch.  0, or -1 when it is not one. */
int xc_ari_parse_time(const char *s, long long *out);

/*
 * The renewal information of the certificate der: from the state when
 * its next_poll has not come, else from the CA.  0 with info filled
 * (status XC_ARI_NONE when the CA has no ARI), or a negative xc_code with
 * err set: XC_ENOTFOUND when the CA does not know the certificate,
 * XC_EPROTO for a malformed reply, XC_EIO when the CA cannot be reached.
 */
int xc_ari_get(const struct xc_ari_config *cfg, const unsigned char *der,
               size_t len, struct xc_ari_info *info, struct xc_error *err);

#endif
