/* SPDX-License-Identifier: MIT */
/*
 * The X.509 work of the lab: keys, self-signed certificates, requests,
 * signing by the lab CA, PEM files and PKCS#12, all with OpenSSL.  The lab
 * makes real certificates so that everything above it (thumbprints, names,
 * TLS handshakes, ACME) deals with the real thing.
 */
#ifndef XC_PROVIDERS_LAB_LABX509_H
#define XC_PROVIDERS_LAB_LABX509_H

#include <stdbool.h>
#include <stddef.h>

#include "state/buf.h"
#include "state/error.h"
#include "state/x509.h"

struct xc_lab_key;  /* an RSA or EC private key */
struct xc_lab_cert; /* a certificate */

/* A new RSA key of bits bits; NULL with err set. Free with
 * xc_lab_key_free. */
struct xc_lab_key *xc_lab_key_rsa(int bits, struct xc_error *err);
void xc_lab_key_free(struct xc_lab_key *k);
void xc_lab_cert_free(struct xc_lab_cert *c);

/* What a new certificate says; names are Windows-order strings
 * ("CN=mail.contoso.lab, O=Contoso"). */
struct xc_lab_certspec {
	const char *subject;
	const char *const *domains; /* DNS SANs; may be empty */
	size_t ndomains;
	long long not_before; /* seconds since the epoch */
	long long not_after;
	bool ca; /* basicConstraints CA:TRUE, keyCertSign */
};

/*
 * Makes a certificate for key: self-signed when issuer is NULL, else signed
 * by issuer/issuer_key.  NULL with err set.
 */
struct xc_lab_cert *xc_lab_cert_make(const struct xc_lab_certspec *spec,
                                     const struct xc_lab_key *key,
                                     const struct xc_lab_cert *issuer,
                                     const struct xc_lab_key *issuer_key,
                                     struct xc_error *err);

/* A PKCS#10 request (DER, caller frees *der_out) for key. */
int xc_lab_csr_make(const char *subject, const char *const *domains,
                    size_t ndomains, const struct xc_lab_key *key,
                    unsigned char **der_out, size_t *len_out,
                    struct xc_error *err);

/*
 * Signs a PKCS#10 request (DER) with the CA, copying its subject and DNS
 * names, valid from not_before to not_after.  The request's signature is
 * checked first.
 */
struct xc_lab_cert *xc_lab_csr_sign(const unsigned char *der, size_t len,
                                    const struct xc_lab_cert *ca,
                                    const struct xc_lab_key *ca_key,
                                    long long not_before, long long not_after,
                                    struct xc_error *err);

/* DER of a certificate; caller frees. */
unsigned char *xc_lab_cert_der(const struct xc_lab_cert *c, size_t *len_out);

/* Appends the PEM of a certificate or key to b. */
void xc_lab_cert_pem(const struct xc_lab_cert *c, struct xc_buf *b);
void xc_lab_key_pem(const struct xc_lab_key *k, struct xc_buf *b);

/* Reads every certificate of a PEM file (leaf first); *n_out of them in an
 * array the caller frees with xc_lab_certs_free. */
int xc_lab_pem_read_certs(const char *path, struct xc_lab_cert ***out,
                          size_t *n_out, struct xc_error *err);
int xc_lab_pem_parse_certs(const char *pem, size_t len,
                           struct xc_lab_cert ***out, size_t *n_out,
                           struct xc_error *err);
void xc_lab_certs_free(struct xc_lab_cert **v, size_t n);

/* The first certificate of a PEM file, parsed as excert's model has it
 * (Exchange's issuer and subject strings, dates, ...); release *out with
 * xc_x509_release. */
int xc_lab_pem_read_leaf(const char *path, struct xc_x509 *out,
                         struct xc_error *err);

/* Reads a PEM private key file. */
struct xc_lab_key *xc_lab_pem_read_key(const char *path, struct xc_error *err);

/* Parses a PKCS#7 (DER) bundle into certificates, leaf first. */
int xc_lab_pkcs7_certs(const unsigned char *der, size_t len,
                       struct xc_lab_cert ***out, size_t *n_out,
                       struct xc_error *err);

/* Whether key is the private key of cert. */
bool xc_lab_key_matches(const struct xc_lab_key *key,
                        const struct xc_lab_cert *cert);

/*
 * A PKCS#12 of key, cert and chain, protected by password with
 * 3DES/SHA-1 (the form every Windows Server imports); DER, caller frees.
 */
unsigned char *xc_lab_pkcs12_make(const struct xc_lab_key *key,
                                  const struct xc_lab_cert *cert,
                                  struct xc_lab_cert *const *chain,
                                  size_t nchain, const char *password,
                                  const char *friendly_name, size_t *len_out,
                                  struct xc_error *err);

/* Opens a PKCS#12: key, leaf, and the rest of the chain. */
int xc_lab_pkcs12_open(const unsigned char *der, size_t len,
                       const char *password, struct xc_lab_key **key_out,
                       struct xc_lab_cert **cert_out,
                       struct xc_lab_cert ***chain_out, size_t *nchain_out,
                       struct xc_error *err);

#endif
