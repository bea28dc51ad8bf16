/* SPDX-License-Identifier: MIT */
/*
 * The cryptography of ACME (RFC 8555 §6.2, RFC 7515, RFC 7638): keys,
 * base64url, JSON Web Keys and their thumbprints, signed requests (JWS),
 * the external account binding (HS256) and the certificate request.
 *
 * struct xc_acme_key is an OpenSSL EVP_PKEY that stays inside jws.c; the
 * rest of providers/acme/ sees only this header.  Every function returning
 * a pointer hands ownership to the caller ("caller frees"); json_t values
 * are new references (caller json_decref()s).  Key PEM text is secret:
 * callers wipe and free it with xc_wipe_free (state/secret.h) and never
 * print it.
 */
#ifndef XC_PROVIDERS_ACME_JWS_H
#define XC_PROVIDERS_ACME_JWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "state/error.h"

struct xc_acme_key;

enum xc_acme_keytype {
	XC_ACME_KEY_EC256,   /* ECDSA on P-256, signs ES256 */
	XC_ACME_KEY_RSA2048, /* RSA 2048, signs RS256 */
};

/* Base64url without padding (RFC 7515 §2) of len bytes; caller frees. */
char *xc_b64url_encode(const void *data, size_t len);

/*
 * Decodes base64url (padding optional, no whitespace); *out (caller frees,
 * NUL-terminated for convenience) and *len_out set.  0, or XC_EINVAL for
 * text that is not base64url.
 */
int xc_b64url_decode(const char *text, unsigned char **out, size_t *len_out);

/* A new key; NULL with err set. */
struct xc_acme_key *xc_acme_key_new(enum xc_acme_keytype type,
                                    struct xc_error *err);

/* A private key from PEM (PKCS#8 or traditional); NULL with err set.  what
 * names the file in the message. */
struct xc_acme_key *xc_acme_key_from_pem(const char *pem, size_t len,
                                         const char *what,
                                         struct xc_error *err);

/* The private key as unencrypted PKCS#8 PEM; caller frees with
 * xc_wipe_free.  NULL with err set. */
char *xc_acme_key_pem(const struct xc_acme_key *k, size_t *len_out,
                      struct xc_error *err);

void xc_acme_key_free(struct xc_acme_key *k);

/* The key's type (an EC key on another curve is refused on loading). */
enum xc_acme_keytype xc_acme_key_type(const struct xc_acme_key *k);

/* The public JWK of k: {"crv","kty","x","y"} or {"e","kty","n"}; new
 * reference, NULL with err set. */
json_t *xc_acme_key_jwk(const struct xc_acme_key *k, struct xc_error *err);

/*
 * The JWK thumbprint of RFC 7638: SHA-256 over the required members in
 * lexicographic order without whitespace, base64url.  Accepts "EC" and
 * "RSA" JWKs.  0 with out set (43 characters and a NUL), or XC_EINVAL.
 */
int xc_jwk_thumbprint(const json_t *jwk, char out[44], struct xc_error *err);

/* The key authorization of a challenge (RFC 8555 §8.1): token "."
 * thumbprint; caller frees. */
char *xc_acme_key_authorization(const char *token, const char *thumbprint);

/*
 * A flattened JWS (RFC 8555 §6.2) for a request to url: protected header
 * {alg, nonce, url} plus kid when kid is not NULL, else the jwk; payload is
 * JSON text, or NULL for POST-as-GET (empty payload).  Returns the request
 * body (caller frees), or NULL with err set.
 */
char *xc_jws_sign(const struct xc_acme_key *k, const char *url,
                  const char *nonce, const char *kid, const char *payload,
                  struct xc_error *err);

/*
 * The externalAccountBinding of a newAccount request (RFC 8555 §7.3.4): a
 * JWS over the account's JWK, {alg: HS256, kid, url}, MACed with the CA's
 * HMAC key.  New reference, or NULL with err set.  The key is never copied
 * into a message.
 */
json_t *xc_jws_eab(const char *kid, const unsigned char *hmac_key,
                   size_t hmac_len, const char *url, const json_t *jwk,
                   struct xc_error *err);

/*
 * A PKCS#10 request (DER) for the DNS names, signed by k with SHA-256: the
 * names in subjectAltName, the first one also as the subject's CN when it
 * fits (64 characters).  *der_out caller frees.
 */
int xc_acme_csr(const struct xc_acme_key *k, const char *const *domains,
                size_t ndomains, unsigned char **der_out, size_t *len_out,
                struct xc_error *err);

/*
 * Splits a PEM certificate chain (application/pem-certificate-chain) into
 * the leaf (*leaf_out) and the rest (*chain_out, "" when there is none),
 * both PEM, caller frees; checks that the leaf certifies k's public key
 * and reads its serial (upper-case hex) and notAfter (seconds since the
 * epoch).  0, or XC_EPROTO with err set.
 */
int xc_acme_chain_split(const char *pem, size_t len,
                        const struct xc_acme_key *k, char **leaf_out,
                        char **chain_out, char serial[130],
                        long long *not_after, struct xc_error *err);

#endif
