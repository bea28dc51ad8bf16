/* SPDX-License-Identifier: MIT */
/*
 * Answering dns-01 challenges (RFC 8555 §8.4) through RFC 2136 dynamic
 * updates signed with TSIG (RFC 8945), sent to one DNS server, the primary
 * of the zone.  The one module that holds ldns handles.
 *
 * For a name NAME (a wildcard's base name: "*.example.com" is validated at
 * example.com), the record is
 *
 *   _acme-challenge.NAME. 60 IN TXT "base64url(SHA-256(key authorization))"
 *
 * added to the zone given, or else to the zone found by asking the server
 * for the SOA of the record's name (the owner of the SOA in its answer).
 * Records are added with "add RR" and removed with "delete RR" (class NONE,
 * that value only), so two values at one name (a wildcard and its base
 * name) and records of others are left alone.
 *
 *   xc_dns01_add      queues a record (nothing is sent yet)
 *   xc_dns01_publish  sends one UPDATE per zone for the queued records,
 *                     then queries the server (no recursion, no TSIG)
 *                     until it serves every one of them, and then each
 *                     secondary given, until it serves them too
 *   xc_dns01_clear    deletes every record published, one UPDATE per zone
 *   xc_dns01_forget   deletes a record an earlier, interrupted run added
 *
 * Callers clear on success and on failure alike; xc_dns01_free clears too.
 * A refused update is an error in words: the DNS rcode (NOTAUTH, REFUSED,
 * ...) and, when the server sent one, the TSIG error (BADSIG, BADKEY,
 * BADTIME), with the server and the zone.  The TSIG secret is copied into
 * the handle, wiped when it is freed and never put in a message.
 *
 * struct xc_dns01 is owned by its maker (xc_dns01_free); the strings of the
 * config are copied.  Not thread-safe: one thread per handle.
 */
#ifndef XC_PROVIDERS_ACME_DNS01_H
#define XC_PROVIDERS_ACME_DNS01_H

#include <stddef.h>
#include <stdio.h>

#include "state/error.h"

struct xc_dns01_config {
	const char *server;    /* ADDR or ADDR:PORT or [V6]:PORT; port 53 */
	const char *tsig_name; /* the key's name, e.g. "acme-key" */
	const char *tsig_algorithm; /* hmac-sha256 (NULL), -sha1, -sha224,
	                               -sha384, -sha512, hmac-md5 */
	const char *tsig_secret;    /* base64, or a BIND key clause holding
	                               secret "..."; borrowed, copied */
	const char *zone;           /* NULL: found by an SOA query */
	FILE *log;                  /* progress lines; NULL for none */
	/* The zone's other servers (ADDR, ADDR:PORT, [V6]:PORT) that must
	 * serve every record too before the CA is asked: a CA's resolver may
	 * ask any of the zone's name servers. */
	const char *const *secondaries;
	size_t nsecondaries;
};

struct xc_dns01;

/* Checks the config (server address, algorithm, secret is base64) and
 * makes the handle; nothing is sent.  0 or an error. */
int xc_dns01_new(struct xc_dns01 **out, const struct xc_dns01_config *cfg,
                 struct xc_error *err);

/* The TXT value for a key authorization: base64url of its SHA-256 (43
 * characters and a NUL). */
void xc_dns01_txt_value(const char *key_authorization, char out[44]);

/* The record's name for an identifier: "_acme-challenge." + name without
 * a leading "*." and a final dot; caller frees. */
char *xc_dns01_record_name(const char *identifier);

/* Queues the record of identifier with the TXT value of key_authorization
 * (a value queued twice for one name is sent once). */
int xc_dns01_add(struct xc_dns01 *d, const char *identifier,
                 const char *key_authorization, struct xc_error *err);

/* Sends the queued records and waits (at most timeout_ms) until the server
 * serves them all.  0, or an error naming the server, zone and record. */
int xc_dns01_publish(struct xc_dns01 *d, long long timeout_ms,
                     struct xc_error *err);

/* Deletes every record published so far.  0, or the first error (the
 * other deletions are still tried); records that could not be deleted
 * stay listed, so a later clear tries again. */
int xc_dns01_clear(struct xc_dns01 *d, struct xc_error *err);

/* Deletes the record record_name TXT value (as xc_dns01_record_name and
 * xc_dns01_txt_value give them), left by an interrupted run. */
int xc_dns01_forget(struct xc_dns01 *d, const char *record_name,
                    const char *value, struct xc_error *err);

/* Counters, for EXCERT_PROFILE and the tests. */
struct xc_dns01_stats {
	unsigned updates; /* UPDATE messages sent */
	unsigned queries; /* SOA and TXT queries sent */
	unsigned added;   /* records added */
	unsigned deleted; /* records deleted */
};

void xc_dns01_get_stats(const struct xc_dns01 *d, struct xc_dns01_stats *out);

/* Clears (errors are ignored: the records are then said on the log) and
 * frees; NULL is a no-op. */
void xc_dns01_free(struct xc_dns01 *d);

#endif
