/* SPDX-License-Identifier: MIT */
#include "providers/lab/labx509.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/dn.h"
#include "state/xalloc.h"

/* The opaque types are the OpenSSL ones; the casts stay in this file. */
#define KEY(k) ((EVP_PKEY *)(k))
#define CERT(c) ((X509 *)(c))

static int ossl_fail(struct xc_error *err, const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "unknown error");
	ERR_clear_error();
	return xc_error_set(err, XC_ERR, "%s: %s", what, buf);
}

struct xc_lab_key *xc_lab_key_rsa(int bits, struct xc_error *err)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);

	if (!k)
		ossl_fail(err, "cannot make an RSA key");
	return (struct xc_lab_key *)k;
}

void xc_lab_key_free(struct xc_lab_key *k)
{
	EVP_PKEY_free(KEY(k));
}

void xc_lab_cert_free(struct xc_lab_cert *c)
{
	X509_free(CERT(c));
}

void xc_lab_certs_free(struct xc_lab_cert **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		X509_free(CERT(v[i]));
	free(v);
}

/* Windows-order name ("CN=a, O=b") to an X509_NAME in DER order. */
static X509_NAME *name_from_windows(const char *s, struct xc_error *err)
{
	static const char *const map[][2] = {
	        {"S", "ST"},
	        {"E", "emailAddress"},
	        {"T", "title"},
	        {"G", "GN"},
	        {"I", "initials"},
	        {"STREET", "street"},
	        {"SERIALNUMBER", "serialNumber"},
	        {"POSTALCODE", "postalCode"},
	};
	struct xc_dn dn;
	char why[200];
	X509_NAME *name;
	size_t i;
	size_t j;

	if (!xc_dn_parse(s, &dn, why, sizeof(why))) {
		xc_error_set(err, XC_EINVAL, "bad subject '%.100s': %s", s,
		             why);
		return NULL;
	}
	name = X509_NAME_new();
	for (i = dn.n; i > 0; i--) {
		const char *t = dn.v[i - 1].type;

		for (j = 0; j < sizeof(map) / sizeof(map[0]); j++)
			if (strcmp(map[j][0], t) == 0)
				t = map[j][1];
		if (!X509_NAME_add_entry_by_txt(
		            name, t, MBSTRING_UTF8,
		            (const unsigned char *)dn.v[i - 1].value, -1, -1,
		            0)) {
			xc_error_set(err, XC_EINVAL,
			             "bad attribute %s in subject '%.100s'", t,
			             s);
			ERR_clear_error();
			X509_NAME_free(name);
			xc_dn_release(&dn);
			return NULL;
		}
	}
	xc_dn_release(&dn);
	return name;
}

static char *san_list(const char *const *domains, size_t n)
{
	struct xc_buf b;
	size_t i;

	xc_buf_init(&b, 0);
	for (i = 0; i < n; i++)
		xc_buf_printf(&b, "%sDNS:%s", i ? "," : "", domains[i]);
	return xc_buf_detach(&b, NULL);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!e)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

static int set_time(ASN1_TIME *t, long long epoch)
{
	return ASN1_TIME_set(t, (time_t)epoch) != NULL;
}

struct xc_lab_cert *xc_lab_cert_make(const struct xc_lab_certspec *spec,
                                     const struct xc_lab_key *key,
                                     const struct xc_lab_cert *issuer,
                                     const struct xc_lab_key *issuer_key,
                                     struct xc_error *err)
{
	X509 *x = X509_new();
	X509_NAME *name = name_from_windows(spec->subject, err);
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509V3_CTX ctx;
	char *sans = NULL;
	int ok = 0;

	if (!x || !name)
		goto out;
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = X509_set_version(x, 2) && bn &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(
	             x, issuer ? X509_get_subject_name(CERT(issuer)) : name) &&
	     set_time(X509_getm_notBefore(x), spec->not_before) &&
	     set_time(X509_getm_notAfter(x), spec->not_after) &&
	     X509_set_pubkey(x, KEY(key));
	if (!ok)
		goto fail;
	X509V3_set_ctx(&ctx, issuer ? CERT(issuer) : x, x, NULL, NULL, 0);
	ok = add_ext(x, &ctx, NID_basic_constraints,
	             spec->ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
	     add_ext(x, &ctx, NID_key_usage,
	             spec->ca ? "critical,keyCertSign,cRLSign"
	                      : "critical,digitalSignature,keyEncipherment") &&
	     add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (ok && issuer)
		ok = add_ext(x, &ctx, NID_authority_key_identifier,
		             "keyid:always");
	if (ok && !spec->ca)
		ok = add_ext(x, &ctx, NID_ext_key_usage,
		             "serverAuth,clientAuth");
	if (ok && spec->ndomains) {
		sans = san_list(spec->domains, spec->ndomains);
		ok = add_ext(x, &ctx, NID_subject_alt_name, sans);
	}
	if (!ok)
		goto fail;
	if (!X509_sign(x, KEY(issuer ? issuer_key : key), EVP_sha256()))
		goto fail;
	goto out;
fail:
	ossl_fail(err, "cannot make a certificate");
	ok = 0;
out:
	free(sans);
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return (struct xc_lab_cert *)x;
}

int xc_lab_csr_make(const char *subject, const char *const *domains,
                    size_t ndomains, const struct xc_lab_key *key,
                    unsigned char **der_out, size_t *len_out,
                    struct xc_error *err)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = name_from_windows(subject, err);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *e = NULL;
	char *sans = NULL;
	unsigned char *der = NULL;
	int n;
	int rc = XC_ERR;

	*der_out = NULL;
	if (!name)
		goto out;
	if (!X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, KEY(key))) {
		rc = ossl_fail(err, "cannot make a request");
		goto out;
	}
	if (ndomains) {
		sans = san_list(domains, ndomains);
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, sans);
		if (!e || !sk_X509_EXTENSION_push(exts, e) ||
		    !X509_REQ_add_extensions(req, exts)) {
			rc = ossl_fail(err, "cannot add names to the request");
			goto out;
		}
	}
	if (!X509_REQ_sign(req, KEY(key), EVP_sha256())) {
		rc = ossl_fail(err, "cannot sign the request");
		goto out;
	}
	n = i2d_X509_REQ(req, &der);
	if (n <= 0) {
		rc = ossl_fail(err, "cannot encode the request");
		goto out;
	}
	*der_out = xc_xmalloc((size_t)n);
	memcpy(*der_out, der, (size_t)n);
	*len_out = (size_t)n;
	OPENSSL_free(der);
	rc = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	free(sans);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return rc;
}

struct xc_lab_cert *xc_lab_csr_sign(const unsigned char *der, size_t len,
                                    const struct xc_lab_cert *ca,
                                    const struct xc_lab_key *ca_key,
                                    long long not_before, long long not_after,
                                    struct xc_error *err)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	STACK_OF(X509_EXTENSION) *exts = NULL;
	EVP_PKEY *pub;
	X509 *x = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509V3_CTX ctx;
	int i;
	int ok;

	if (!req || p != der + len) {
		xc_error_set(err, XC_EINVAL, "not a DER PKCS#10 request");
		goto out;
	}
	pub = X509_REQ_get0_pubkey(req);
	if (!pub || X509_REQ_verify(req, pub) != 1) {
		ERR_clear_error();
		xc_error_set(err, XC_EINVAL,
		             "the request's signature does not verify");
		goto out;
	}
	x = X509_new();
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = x && bn && X509_set_version(x, 2) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_set_subject_name(x, X509_REQ_get_subject_name(req)) &&
	     X509_set_issuer_name(x, X509_get_subject_name(CERT(ca))) &&
	     set_time(X509_getm_notBefore(x), not_before) &&
	     set_time(X509_getm_notAfter(x), not_after) &&
	     X509_set_pubkey(x, pub);
	X509V3_set_ctx(&ctx, CERT(ca), x, NULL, NULL, 0);
	ok = ok &&
	     add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
	     add_ext(x, &ctx, NID_key_usage,
	             "critical,digitalSignature,keyEncipherment") &&
	     add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") &&
	     add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	     add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	/* Only the subject alternative names are taken from the request. */
	exts = X509_REQ_get_extensions(req);
	for (i = 0; ok && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) ==
		    NID_subject_alt_name)
			ok = X509_add_ext(x, e, -1);
	}
	if (!ok || !X509_sign(x, KEY(ca_key), EVP_sha256())) {
		ossl_fail(err, "cannot sign the certificate");
		X509_free(x);
		x = NULL;
	}
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	BN_free(bn);
	X509_REQ_free(req);
	return (struct xc_lab_cert *)x;
}

unsigned char *xc_lab_cert_der(const struct xc_lab_cert *c, size_t *len_out)
{
	unsigned char *der = NULL;
	unsigned char *copy;
	int n = i2d_X509(CERT(c), &der);

	if (n <= 0) {
		*len_out = 0;
		return NULL;
	}
	copy = xc_xmalloc((size_t)n);
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*len_out = (size_t)n;
	return copy;
}

static void bio_to_buf(BIO *bio, struct xc_buf *b)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if (n > 0)
		xc_buf_add(b, data, (size_t)n);
	BIO_free(bio);
}

void xc_lab_cert_pem(const struct xc_lab_cert *c, struct xc_buf *b)
{
	BIO *bio = BIO_new(BIO_s_mem());

	PEM_write_bio_X509(bio, CERT(c));
	bio_to_buf(bio, b);
}

void xc_lab_key_pem(const struct xc_lab_key *k, struct xc_buf *b)
{
	BIO *bio = BIO_new(BIO_s_mem());

	PEM_write_bio_PrivateKey(bio, KEY(k), NULL, NULL, 0, NULL, NULL);
	bio_to_buf(bio, b);
}

static int certs_from_bio(BIO *bio, struct xc_lab_cert ***out, size_t *n_out,
                          struct xc_error *err, const char *what)
{
	X509 *x;
	struct xc_lab_cert **v = NULL;
	size_t n = 0;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		v = xc_xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = (struct xc_lab_cert *)x;
	}
	ERR_clear_error();
	BIO_free(bio);
	if (n == 0) {
		free(v);
		return xc_error_set(err, XC_EINVAL, "no certificate in %s",
		                    what);
	}
	*out = v;
	*n_out = n;
	return 0;
}

int xc_lab_pem_read_certs(const char *path, struct xc_lab_cert ***out,
                          size_t *n_out, struct xc_error *err)
{
	BIO *bio = BIO_new_file(path, "r");

	if (!bio) {
		ERR_clear_error();
		return xc_error_set(err, XC_ENOTFOUND, "cannot read '%s'",
		                    path);
	}
	return certs_from_bio(bio, out, n_out, err, path);
}

int xc_lab_pem_read_leaf(const char *path, struct xc_x509 *out,
                         struct xc_error *err)
{
	struct xc_lab_cert **certs = NULL;
	size_t n = 0;
	unsigned char *der;
	size_t len;
	int rc = xc_lab_pem_read_certs(path, &certs, &n, err);

	if (rc < 0)
		return rc;
	der = xc_lab_cert_der(certs[0], &len);
	xc_lab_certs_free(certs, n);
	rc = xc_x509_parse(out, der, len, err);
	free(der);
	return rc;
}

int xc_lab_pem_parse_certs(const char *pem, size_t len,
                           struct xc_lab_cert ***out, size_t *n_out,
                           struct xc_error *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);

	return certs_from_bio(bio, out, n_out, err, "the PEM text");
}

struct xc_lab_key *xc_lab_pem_read_key(const char *path, struct xc_error *err)
{
	BIO *bio = BIO_new_file(path, "r");
	EVP_PKEY *k;

	if (!bio) {
		ERR_clear_error();
		xc_error_set(err, XC_ENOTFOUND, "cannot read '%s'", path);
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!k)
		ossl_fail(err, "cannot read the key");
	return (struct xc_lab_key *)k;
}

int xc_lab_pkcs7_certs(const unsigned char *der, size_t len,
                       struct xc_lab_cert ***out, size_t *n_out,
                       struct xc_error *err)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	STACK_OF(X509) *sk = NULL;
	struct xc_lab_cert **v;
	int i;
	int n;

	if (p7 && OBJ_obj2nid(p7->type) == NID_pkcs7_signed && p7->d.sign)
		sk = p7->d.sign->cert;
	n = sk ? sk_X509_num(sk) : 0;
	if (n <= 0) {
		PKCS7_free(p7);
		ERR_clear_error();
		return xc_error_set(err, XC_EINVAL,
		                    "not a PKCS#7 bundle of certificates");
	}
	v = xc_xcalloc((size_t)n, sizeof(*v));
	for (i = 0; i < n; i++) {
		X509 *x = sk_X509_value(sk, i);

		X509_up_ref(x);
		v[i] = (struct xc_lab_cert *)x;
	}
	PKCS7_free(p7);
	/* PKCS#7 bundles carry no order: put the certificate that issued
	 * no other first. */
	for (i = 0; i < n; i++) {
		int j;
		int issues = 0;

		for (j = 0; j < n; j++)
			if (i != j &&
			    X509_check_issued(CERT(v[i]), CERT(v[j])) ==
			            X509_V_OK)
				issues = 1;
		if (!issues) {
			struct xc_lab_cert *t = v[0];

			v[0] = v[i];
			v[i] = t;
			break;
		}
	}
	*out = v;
	*n_out = (size_t)n;
	return 0;
}

bool xc_lab_key_matches(const struct xc_lab_key *key,
                        const struct xc_lab_cert *cert)
{
	bool ok = X509_check_private_key(CERT(cert), KEY(key)) == 1;

	ERR_clear_error();
	return ok;
}

unsigned char *xc_lab_pkcs12_make(const struct xc_lab_key *key,
                                  const struct xc_lab_cert *cert,
                                  struct xc_lab_cert *const *chain,
                                  size_t nchain, const char *password,
                                  const char *friendly_name, size_t *len_out,
                                  struct xc_error *err)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	PKCS12 *p12;
	unsigned char *der = NULL;
	unsigned char *copy = NULL;
	size_t i;
	int n;

	for (i = 0; i < nchain; i++)
		sk_X509_push(ca, CERT(chain[i]));
	/* 3DES and a SHA-1 MAC: what Windows Server before 2019 imports,
	 * and what needs no legacy provider in OpenSSL 3. */
	p12 = PKCS12_create(password, friendly_name, KEY(key), CERT(cert), ca,
	                    NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
	                    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 2048, -1,
	                    0);
	sk_X509_free(ca);
	if (!p12 ||
	    !PKCS12_set_mac(p12, password, -1, NULL, 0, 2048, EVP_sha1())) {
		PKCS12_free(p12);
		ossl_fail(err, "cannot make the PFX");
		return NULL;
	}
	n = i2d_PKCS12(p12, &der);
	PKCS12_free(p12);
	if (n > 0) {
		copy = xc_xmalloc((size_t)n);
		memcpy(copy, der, (size_t)n);
		*len_out = (size_t)n;
	}
	OPENSSL_free(der);
	return copy;
}

int xc_lab_pkcs12_open(const unsigned char *der, size_t len,
                       const char *password, struct xc_lab_key **key_out,
                       struct xc_lab_cert **cert_out,
                       struct xc_lab_cert ***chain_out, size_t *nchain_out,
                       struct xc_error *err)
{
	const unsigned char *p = der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	STACK_OF(X509) *ca = NULL;
	struct xc_lab_cert **v = NULL;
	size_t n = 0;

	*key_out = NULL;
	*cert_out = NULL;
	*chain_out = NULL;
	*nchain_out = 0;
	if (!p12) {
		ERR_clear_error();
		return xc_error_set(err, XC_EINVAL, "not a PKCS#12 file");
	}
	if (!PKCS12_verify_mac(p12, password, -1)) {
		PKCS12_free(p12);
		ERR_clear_error();
		return xc_error_set(err, XC_EAUTH, "the PFX password is wrong");
	}
	if (!PKCS12_parse(p12, password, &pk, &x, &ca) || !pk || !x) {
		PKCS12_free(p12);
		EVP_PKEY_free(pk);
		X509_free(x);
		sk_X509_pop_free(ca, X509_free);
		return ossl_fail(err, "cannot open the PFX");
	}
	PKCS12_free(p12);
	while (ca && sk_X509_num(ca) > 0) {
		v = xc_xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = (struct xc_lab_cert *)sk_X509_shift(ca);
	}
	sk_X509_free(ca);
	*key_out = (struct xc_lab_key *)pk;
	*cert_out = (struct xc_lab_cert *)x;
	*chain_out = v;
	*nchain_out = n;
	return 0;
}
