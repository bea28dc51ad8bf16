/* SPDX-License-Identifier: MIT */
#include "providers/acme/jws.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/buf.h"
#include "state/secret.h"
#include "state/x509.h"
#include "state/xalloc.h"

/* The opaque type is OpenSSL's; the casts stay in this file. */
#define KEY(k) ((EVP_PKEY *)(k))

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

char *xc_b64url_encode(const void *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out = xc_xmalloc(cap);
	size_t n;
	size_t i;

	n = len ? (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len)
	        : 0;
	out[n] = '\0';
	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

int xc_b64url_decode(const char *text, unsigned char **out, size_t *len_out)
{
	size_t n = strlen(text);
	size_t pad;
	size_t padded;
	char *std;
	unsigned char *bin;
	size_t i;
	int got;

	*out = NULL;
	while (n > 0 && text[n - 1] == '=')
		n--;
	if (n % 4 == 1 || n > (size_t)1 << 28)
		return XC_EINVAL;
	for (i = 0; i < n; i++) {
		char c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return XC_EINVAL;
	}
	pad = (4 - n % 4) % 4;
	padded = n + pad;
	std = xc_xmalloc(padded + 1);
	for (i = 0; i < n; i++)
		std[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
	for (; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';
	bin = xc_xmalloc(padded / 4 * 3 + 1);
	got = padded ? EVP_DecodeBlock(bin, (unsigned char *)std, (int)padded)
	             : 0;
	free(std);
	if (got < 0) {
		free(bin);
		return XC_EINVAL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	*len_out = (size_t)got - pad;
	bin[*len_out] = '\0';
	*out = bin;
	return 0;
}

struct xc_acme_key *xc_acme_key_new(enum xc_acme_keytype type,
                                    struct xc_error *err)
{
	EVP_PKEY *k;

	if (type == XC_ACME_KEY_RSA2048)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!k)
		ossl_fail(err, "cannot generate a key");
	return (struct xc_acme_key *)k;
}

/* The curve of an EC key, or "" for any other key. */
static void curve_name(const EVP_PKEY *k, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (EVP_PKEY_is_a(k, "EC") &&
	    !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, buf,
	                                    size, &n))
		buf[0] = '\0';
}

struct xc_acme_key *xc_acme_key_from_pem(const char *pem, size_t len,
                                         const char *what, struct xc_error *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k =
	        bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	char curve[32];

	BIO_free(bio);
	if (!k) {
		ERR_clear_error();
		xc_error_set(err, XC_EINVAL, "%s holds no readable private key",
		             what);
		return NULL;
	}
	curve_name(k, curve, sizeof(curve));
	if (!(EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) >= 2048) &&
	    !(EVP_PKEY_is_a(k, "EC") && strcmp(curve, "prime256v1") == 0)) {
		EVP_PKEY_free(k);
		xc_error_set(
		        err, XC_EINVAL,
		        "%s is not an RSA (2048 bits or more) or P-256 key",
		        what);
		return NULL;
	}
	return (struct xc_acme_key *)k;
}

char *xc_acme_key_pem(const struct xc_acme_key *k, size_t *len_out,
                      struct xc_error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	char *out;

	if (!bio ||
	    !PEM_write_bio_PrivateKey(bio, KEY(k), NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		ossl_fail(err, "cannot encode a private key");
		return NULL;
	}
	n = BIO_get_mem_data(bio, &data);
	out = xc_xmalloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	if (len_out)
		*len_out = (size_t)n;
	return out;
}

void xc_acme_key_free(struct xc_acme_key *k)
{
	EVP_PKEY_free(KEY(k));
}

enum xc_acme_keytype xc_acme_key_type(const struct xc_acme_key *k)
{
	return EVP_PKEY_is_a(KEY(k), "RSA") ? XC_ACME_KEY_RSA2048
	                                    : XC_ACME_KEY_EC256;
}

/* A big number parameter of k as base64url, fixed to width bytes (0: as
 * short as it is); caller frees, NULL on failure. */
static char *bn_param(const EVP_PKEY *k, const char *name, int width)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	int n;
	char *out = NULL;

	if (!EVP_PKEY_get_bn_param(k, name, &bn))
		return NULL;
	n = width ? width : BN_num_bytes(bn);
	if (n > 0 && n <= (int)sizeof(buf) && BN_bn2binpad(bn, buf, n) == n)
		out = xc_b64url_encode(buf, (size_t)n);
	BN_free(bn);
	return out;
}

json_t *xc_acme_key_jwk(const struct xc_acme_key *k, struct xc_error *err)
{
	json_t *jwk;
	char *a;
	char *b;

	if (EVP_PKEY_is_a(KEY(k), "RSA")) {
		a = bn_param(KEY(k), OSSL_PKEY_PARAM_RSA_E, 0);
		b = bn_param(KEY(k), OSSL_PKEY_PARAM_RSA_N, 0);
		jwk = a && b ? json_pack("{s:s, s:s, s:s}", "e", a, "kty",
		                         "RSA", "n", b)
		             : NULL;
	} else {
		a = bn_param(KEY(k), OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_param(KEY(k), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		jwk = a && b ? json_pack("{s:s, s:s, s:s, s:s}", "crv", "P-256",
		                         "kty", "EC", "x", a, "y", b)
		             : NULL;
	}
	free(a);
	free(b);
	if (!jwk)
		ossl_fail(err, "cannot read the public key");
	return jwk;
}

int xc_jwk_thumbprint(const json_t *jwk, char out[44], struct xc_error *err)
{
	static const char *const ec[] = {"crv", "kty", "x", "y", NULL};
	static const char *const rsa[] = {"e", "kty", "n", NULL};
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *const *members;
	unsigned char md[32];
	unsigned int mdlen = 0;
	json_t *req;
	char *text;
	char *b64;
	size_t i;

	if (kty && strcmp(kty, "EC") == 0)
		members = ec;
	else if (kty && strcmp(kty, "RSA") == 0)
		members = rsa;
	else
		return xc_error_set(err, XC_EINVAL,
		                    "a JWK of type '%s' has no thumbprint here",
		                    kty ? kty : "(none)");
	/* Only the required members, sorted, compact: RFC 7638 §3.2. */
	req = json_object();
	for (i = 0; members[i]; i++) {
		json_t *v = json_object_get(jwk, members[i]);

		if (!json_is_string(v)) {
			json_decref(req);
			return xc_error_set(err, XC_EINVAL,
			                    "the %s JWK has no member '%s'",
			                    kty, members[i]);
		}
		json_object_set(req, members[i], v);
	}
	text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(req);
	if (!text)
		return xc_error_set(err, XC_ERR, "cannot encode a JWK");
	EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	free(text);
	b64 = xc_b64url_encode(md, mdlen);
	snprintf(out, 44, "%s", b64);
	free(b64);
	return 0;
}

char *xc_acme_key_authorization(const char *token, const char *thumbprint)
{
	struct xc_buf b;

	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%s.%s", token, thumbprint);
	return xc_buf_detach(&b, NULL);
}

/* ES256 wants r and s as two 32-byte numbers (RFC 7518 §3.4), where
 * OpenSSL gives a DER SEQUENCE. */
static int der_to_raw(const unsigned char *der, size_t len,
                      unsigned char raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r;
	const BIGNUM *s;
	int ok;

	if (!sig)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, 32) == 32 &&
	     BN_bn2binpad(s, raw + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

/* Signs "protected.payload" with k; base64url signature, caller frees. */
static char *sign_input(const struct xc_acme_key *k, const char *input,
                        struct xc_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	unsigned char raw[64];
	size_t siglen = 0;
	char *out = NULL;

	if (!ctx ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, KEY(k)) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
	                   strlen(input)) != 1) {
		ossl_fail(err, "cannot sign an ACME request");
		goto out;
	}
	sig = xc_xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	                   strlen(input)) != 1) {
		ossl_fail(err, "cannot sign an ACME request");
		goto out;
	}
	if (EVP_PKEY_is_a(KEY(k), "EC")) {
		if (der_to_raw(sig, siglen, raw) < 0) {
			ossl_fail(err, "cannot convert an ECDSA signature");
			goto out;
		}
		out = xc_b64url_encode(raw, sizeof(raw));
	} else {
		out = xc_b64url_encode(sig, siglen);
	}
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* {"protected","payload","signature"} as compact JSON; caller frees. */
static char *flatten(const char *prot, const char *payload, const char *sig)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "protected", prot, "payload",
	                      payload, "signature", sig);
	char *text = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return text;
}

/* base64url of compact JSON; caller frees. */
static char *b64_json(const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	char *b64 = text ? xc_b64url_encode(text, strlen(text)) : NULL;

	free(text);
	return b64;
}

char *xc_jws_sign(const struct xc_acme_key *k, const char *url,
                  const char *nonce, const char *kid, const char *payload,
                  struct xc_error *err)
{
	const char *alg = EVP_PKEY_is_a(KEY(k), "RSA") ? "RS256" : "ES256";
	json_t *hdr;
	char *prot = NULL;
	char *pay = NULL;
	char *sig = NULL;
	char *body = NULL;
	struct xc_buf input;

	hdr = json_pack("{s:s, s:s, s:s}", "alg", alg, "nonce", nonce, "url",
	                url);
	if (kid) {
		json_object_set_new(hdr, "kid", json_string(kid));
	} else {
		json_t *jwk = xc_acme_key_jwk(k, err);

		if (!jwk) {
			json_decref(hdr);
			return NULL;
		}
		json_object_set_new(hdr, "jwk", jwk);
	}
	prot = b64_json(hdr);
	json_decref(hdr);
	pay = payload ? xc_b64url_encode(payload, strlen(payload))
	              : xc_xstrdup("");
	xc_buf_init(&input, 0);
	xc_buf_printf(&input, "%s.%s", prot ? prot : "", pay);
	if (prot && (sig = sign_input(k, xc_buf_cstr(&input), err)) != NULL)
		body = flatten(prot, pay, sig);
	else if (!prot)
		xc_error_set(err, XC_ERR, "cannot encode a JWS header");
	xc_buf_release(&input);
	free(prot);
	free(pay);
	free(sig);
	return body;
}

json_t *xc_jws_eab(const char *kid, const unsigned char *hmac_key,
                   size_t hmac_len, const char *url, const json_t *jwk,
                   struct xc_error *err)
{
	json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", kid,
	                        "url", url);
	char *prot = b64_json(hdr);
	char *pay = b64_json(jwk);
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	struct xc_buf input;
	json_t *out = NULL;
	char *sig;

	json_decref(hdr);
	xc_buf_init(&input, 0);
	xc_buf_printf(&input, "%s.%s", prot ? prot : "", pay ? pay : "");
	if (!prot || !pay ||
	    !EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hmac_key, hmac_len,
	               (const unsigned char *)xc_buf_cstr(&input), input.len,
	               mac, sizeof(mac), &maclen)) {
		ossl_fail(err, "cannot compute the external account binding");
	} else {
		sig = xc_b64url_encode(mac, maclen);
		out = json_pack("{s:s, s:s, s:s}", "protected", prot, "payload",
		                pay, "signature", sig);
		free(sig);
	}
	xc_wipe(mac, sizeof(mac));
	xc_buf_release(&input);
	free(prot);
	free(pay);
	return out;
}

int xc_acme_csr(const struct xc_acme_key *k, const char *const *domains,
                size_t ndomains, unsigned char **der_out, size_t *len_out,
                struct xc_error *err)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *e = NULL;
	unsigned char *der = NULL;
	size_t i;
	int n;
	int rc = XC_ERR;

	*der_out = NULL;
	if (!req || !name || !gens || !exts || ndomains == 0) {
		rc = ossl_fail(err, "cannot make a certificate request");
		goto out;
	}
	for (i = 0; i < ndomains; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		if (!g || !s ||
		    !ASN1_STRING_set(s, domains[i], (int)strlen(domains[i]))) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			rc = ossl_fail(err,
			               "cannot make a certificate request");
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	/* CAs take the names from subjectAltName; the CN is for old
	 * software, and may hold 64 characters at most (RFC 5280). */
	if (strlen(domains[0]) <= 64 &&
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                (const unsigned char *)domains[0], -1,
	                                -1, 0)) {
		rc = ossl_fail(err, "cannot make a certificate request");
		goto out;
	}
	e = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	if (!e || !sk_X509_EXTENSION_push(exts, e)) {
		X509_EXTENSION_free(e);
		rc = ossl_fail(err, "cannot add names to the request");
		goto out;
	}
	if (!X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, KEY(k)) ||
	    !X509_REQ_add_extensions(req, exts) ||
	    !X509_REQ_sign(req, KEY(k), EVP_sha256())) {
		rc = ossl_fail(err, "cannot sign the certificate request");
		goto out;
	}
	n = i2d_X509_REQ(req, &der);
	if (n <= 0) {
		rc = ossl_fail(err, "cannot encode the certificate request");
		goto out;
	}
	*der_out = xc_xmalloc((size_t)n);
	memcpy(*der_out, der, (size_t)n);
	*len_out = (size_t)n;
	OPENSSL_free(der);
	rc = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return rc;
}

/* PEM of one certificate, appended to b. */
static void cert_pem(X509 *x, struct xc_buf *b)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	if (bio && PEM_write_bio_X509(bio, x)) {
		n = BIO_get_mem_data(bio, &data);
		xc_buf_add(b, data, (size_t)n);
	}
	BIO_free(bio);
}

int xc_acme_chain_split(const char *pem, size_t len,
                        const struct xc_acme_key *k, char **leaf_out,
                        char **chain_out, char serial[130],
                        long long *not_after, struct xc_error *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	struct xc_buf leaf;
	struct xc_buf chain;
	X509 *x;
	X509 *first = NULL;
	size_t n = 0;
	int rc = XC_EPROTO;

	*leaf_out = NULL;
	*chain_out = NULL;
	xc_buf_init(&leaf, 0);
	xc_buf_init(&chain, 0);
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		cert_pem(x, n == 0 ? &leaf : &chain);
		if (n++ == 0)
			first = x;
		else
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	if (!first) {
		xc_error_set(err, XC_EPROTO,
		             "the CA sent no PEM certificate chain");
		goto out;
	}
	if (X509_check_private_key(first, KEY(k)) != 1) {
		ERR_clear_error();
		xc_error_set(err, XC_EPROTO,
		             "the certificate the CA sent is not for this key");
		goto out;
	}
	{
		unsigned char *der = NULL;
		int dlen = i2d_X509(first, &der);
		struct xc_x509 info;

		if (dlen <= 0 ||
		    xc_x509_parse(&info, der, (size_t)dlen, err) < 0) {
			OPENSSL_free(der);
			xc_error_prefix(err, "the certificate the CA sent: ");
			goto out;
		}
		OPENSSL_free(der);
		snprintf(serial, 130, "%s", info.serial);
		*not_after = info.not_after;
		xc_x509_release(&info);
	}
	*leaf_out = xc_buf_detach(&leaf, NULL);
	*chain_out = xc_buf_detach(&chain, NULL);
	rc = 0;
out:
	X509_free(first);
	xc_buf_release(&leaf);
	xc_buf_release(&chain);
	return rc;
}
