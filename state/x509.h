/* SPDX-License-Identifier: MIT */
/*
 * What excert reads from a certificate's DER, and how Exchange renders
 * names.  excert never trusts formatted values crossing a remote shell: it
 * computes the thumbprint, names, dates and key from the DER itself.
 */
#ifndef XC_STATE_X509_H
#define XC_STATE_X509_H

#include <stdbool.h>
#include <stddef.h>

#include "state/error.h"

struct xc_x509 {
	char thumbprint[41]; /* SHA-1 of the DER, upper-case hex */
	char *subject;       /* as Exchange renders it; owned */
	char *issuer;        /* as Exchange renders it; owned */
	char **domains;      /* DNS subject alternative names; owned */
	size_t ndomains;
	long long not_before; /* seconds since the epoch, UTC */
	long long not_after;
	char key_type[8]; /* "RSA", "EC", or "other" */
	int key_bits;     /* RSA modulus or EC field size */
	char serial[130]; /* upper-case hex, no separators */
	char aki[130];    /* authority key identifier, hex, or "" */
	char ski[130];    /* subject key identifier, hex, or "" */
	bool self_signed; /* issuer name equals subject name */
};

/* Parses len bytes of DER; 0 or XC_EINVAL with err set.  Release with
 * xc_x509_release(). */
int xc_x509_parse(struct xc_x509 *out, const unsigned char *der, size_t len,
                  struct xc_error *err);

void xc_x509_release(struct xc_x509 *x);

/* SHA-1 thumbprint of any DER blob, upper-case hex (41 bytes with NUL). */
void xc_thumbprint(const unsigned char *der, size_t len, char out[41]);

/* The SHA-256 of len bytes of data, as 64 lowercase hex digits. */
void xc_sha256_hex(const void *data, size_t len, char out[65]);

/* Base64 (standard alphabet, padded) of len bytes; caller frees. */
char *xc_base64_encode(const unsigned char *data, size_t len);

/* A token an ACME CA sends (http-01, dns-01): 1 to 256 characters of the
 * base64url alphabet, so that it can name no path but a file of its own
 * directory.  NULL is not one. */
bool xc_acme_token_ok(const char *t);

/* Decodes base64 (whitespace ignored); caller frees *out.  0 or XC_EINVAL. */
int xc_base64_decode(const char *text, unsigned char **out, size_t *len_out);

/*
 * A PKCS#12 file as the agent exports it (base64) opened with password:
 * *chain_pem is the certificate then the rest of its chain, *key_pem its
 * private key (PKCS#8), both PEM; thumb (41 bytes) is the certificate's.
 * The caller frees both, having wiped *key_pem.
 * 0, or XC_EINVAL with err saying what is wrong (never the password).
 */
int xc_pfx_to_pem(const char *pfx_b64, const char *password, char **chain_pem,
                  char **key_pem, char *thumb, struct xc_error *err);

#endif
