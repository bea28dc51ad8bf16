/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the pure parts of providers/acme/: base64url, JWK
 * thumbprints (RFC 7638's own example and a fixed P-256 key), key
 * authorizations, JWS and EAB assembly, the CSR, problem documents in
 * words, Retry-After and the wait between polls; dns-01's TXT values,
 * record names and configuration checks; ARI's certID (RFC 9773's own
 * example) and its RFC 3339 dates; http-01's webroot against planted
 * symbolic links.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/acme/acme.h"
#include "providers/acme/acme_http.h"
#include "providers/acme/ari.h"
#include "providers/acme/dns01.h"
#include "providers/acme/http01.h"
#include "providers/acme/jws.h"
#include "providers/acme/problem.h"
#include "state/secret.h"

/* A P-256 key made once with openssl genpkey, for fixed expectations
 * (x, y and the thumbprint computed separately with python3's hashlib). */
static const char fixed_pem[] =
        "-----BEGIN PRIVATE KEY-----\n"
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJpQzBHqomTHylrXk\n"
        "r0jSIAGwFy1To5Vprbh2pvXD+BqhRANCAARtBQTiafEaWHUoLo84blcmExmFVw8c\n"
        "4pIaa/KJ9OSxrdE54ox4Yb0t7LoT+gHnI6QP9gEeH4mXwvHM/hDDjs6p\n"
        "-----END PRIVATE KEY-----\n";
#define FIXED_X "bQUE4mnxGlh1KC6POG5XJhMZhVcPHOKSGmvyifTksa0"
#define FIXED_Y "0TnijHhhvS3suhP6AecjpA_2AR4fiZfC8cz-EMOOzqk"
#define FIXED_THUMB "0amJnB5bGi3CV3TyMwV-OkH1iii2aJdGw0ie6U6yYiE"

static struct xc_acme_key *fixed_key(void)
{
	struct xc_error err;
	struct xc_acme_key *k = xc_acme_key_from_pem(
	        fixed_pem, strlen(fixed_pem), "the fixed key", &err);

	assert_non_null(k);
	return k;
}

static void test_b64url(void **state)
{
	static const struct {
		const char *bin;
		size_t len;
		const char *text;
	} cases[] = {
	        {"", 0, ""},
	        {"f", 1, "Zg"},
	        {"fo", 2, "Zm8"},
	        {"foo", 3, "Zm9v"},
	        {"foob", 4, "Zm9vYg"},
	        {"\xfb\xff", 2, "-_8"},
	        {"\x00\x01\x02\xfe", 4, "AAEC_g"},
	};
	static const char *const bad[] = {"a", "Zg=x", "+/8", "Zm 9v",
	                                  "Zm9v\n"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = xc_b64url_encode(cases[i].bin, cases[i].len);
		unsigned char *b = NULL;
		size_t n = 99;

		assert_string_equal(t, cases[i].text);
		assert_int_equal(xc_b64url_decode(t, &b, &n), 0);
		assert_int_equal(n, cases[i].len);
		assert_memory_equal(b, cases[i].bin, n);
		free(t);
		free(b);
	}
	/* Padding is accepted on input. */
	{
		unsigned char *b = NULL;
		size_t n = 0;

		assert_int_equal(xc_b64url_decode("Zm8=", &b, &n), 0);
		assert_int_equal(n, 2);
		free(b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char *b = NULL;
		size_t n = 0;

		assert_int_equal(xc_b64url_decode(bad[i], &b, &n), XC_EINVAL);
		assert_null(b);
	}
}

static void test_thumbprint_rfc7638(void **state)
{
	/* RFC 7638 §3.1: the RSA key and its thumbprint. */
	json_t *jwk = json_pack(
	        "{s:s, s:s, s:s, s:s}", "kty", "RSA", "n",
	        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
	        "e", "AQAB", "alg", "RS256");
	struct xc_error err;
	char tp[44];

	(void)state;
	/* "alg" is not a required member and must not count. */
	assert_int_equal(xc_jwk_thumbprint(jwk, tp, &err), 0);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	json_object_del(jwk, "e");
	assert_int_equal(xc_jwk_thumbprint(jwk, tp, &err), XC_EINVAL);
	assert_string_equal(err.msg, "the RSA JWK has no member 'e'");
	json_decref(jwk);
	jwk = json_pack("{s:s}", "kty", "oct");
	assert_int_equal(xc_jwk_thumbprint(jwk, tp, &err), XC_EINVAL);
	json_decref(jwk);
}

static void test_thumbprint_ec(void **state)
{
	struct xc_acme_key *k = fixed_key();
	struct xc_error err;
	json_t *jwk = xc_acme_key_jwk(k, &err);
	char tp[44];

	(void)state;
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")),
	                    "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")),
	                    "P-256");
	assert_string_equal(json_string_value(json_object_get(jwk, "x")),
	                    FIXED_X);
	assert_string_equal(json_string_value(json_object_get(jwk, "y")),
	                    FIXED_Y);
	assert_int_equal(xc_jwk_thumbprint(jwk, tp, &err), 0);
	assert_string_equal(tp, FIXED_THUMB);
	assert_int_equal(xc_acme_key_type(k), XC_ACME_KEY_EC256);
	json_decref(jwk);
	xc_acme_key_free(k);
}

static void test_key_authorization(void **state)
{
	char *ka = xc_acme_key_authorization(
	        "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", FIXED_THUMB);

	(void)state;
	assert_string_equal(
	        ka, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." FIXED_THUMB);
	free(ka);
}

static json_t *b64_json(const char *s)
{
	unsigned char *b = NULL;
	size_t n = 0;
	json_t *v;

	assert_int_equal(xc_b64url_decode(s, &b, &n), 0);
	v = json_loadb((const char *)b, n, JSON_REJECT_DUPLICATES, NULL);
	free(b);
	assert_non_null(v);
	return v;
}

/* Checks an ES256 signature (r || s) over input with the fixed key. */
static void assert_es256(const char *input, const char *sig_b64)
{
	BIO *bio = BIO_new_mem_buf(fixed_pem, -1);
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *raw = NULL;
	unsigned char *der = NULL;
	size_t n = 0;
	int dlen;

	assert_int_equal(xc_b64url_decode(sig_b64, &raw, &n), 0);
	assert_int_equal(n, 64);
	ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL),
	               BN_bin2bn(raw + 32, 32, NULL));
	dlen = i2d_ECDSA_SIG(sig, &der);
	assert_true(dlen > 0);
	assert_int_equal(
	        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
	assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)dlen,
	                                  (const unsigned char *)input,
	                                  strlen(input)),
	                 1);
	OPENSSL_free(der);
	free(raw);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BIO_free(bio);
}

static void test_jws(void **state)
{
	struct xc_acme_key *k = fixed_key();
	struct xc_error err;
	char *body;
	json_t *v;
	json_t *hdr;
	char input[4096];

	(void)state;
	/* With kid and a payload. */
	body = xc_jws_sign(k, "https://ca.test/new-order", "NONCE1",
	                   "https://ca.test/acct/1", "{\"a\":1}", &err);
	assert_non_null(body);
	v = json_loads(body, 0, NULL);
	hdr = b64_json(json_string_value(json_object_get(v, "protected")));
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")),
	                    "ES256");
	assert_string_equal(json_string_value(json_object_get(hdr, "nonce")),
	                    "NONCE1");
	assert_string_equal(json_string_value(json_object_get(hdr, "url")),
	                    "https://ca.test/new-order");
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
	                    "https://ca.test/acct/1");
	assert_null(json_object_get(hdr, "jwk"));
	assert_string_equal(json_string_value(json_object_get(v, "payload")),
	                    "eyJhIjoxfQ");
	snprintf(input, sizeof(input), "%s.%s",
	         json_string_value(json_object_get(v, "protected")),
	         json_string_value(json_object_get(v, "payload")));
	assert_es256(input, json_string_value(json_object_get(v, "signature")));
	json_decref(hdr);
	json_decref(v);
	free(body);

	/* POST-as-GET with the jwk: empty payload. */
	body = xc_jws_sign(k, "https://ca.test/x", "N2", NULL, NULL, &err);
	v = json_loads(body, 0, NULL);
	hdr = b64_json(json_string_value(json_object_get(v, "protected")));
	assert_null(json_object_get(hdr, "kid"));
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(hdr, "jwk"), "x")),
	                    FIXED_X);
	assert_string_equal(json_string_value(json_object_get(v, "payload")),
	                    "");
	snprintf(input, sizeof(input), "%s.",
	         json_string_value(json_object_get(v, "protected")));
	assert_es256(input, json_string_value(json_object_get(v, "signature")));
	json_decref(hdr);
	json_decref(v);
	free(body);
	xc_acme_key_free(k);
}

static void test_eab(void **state)
{
	static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
	struct xc_acme_key *k = fixed_key();
	struct xc_error err;
	json_t *jwk = xc_acme_key_jwk(k, &err);
	json_t *eab = xc_jws_eab("kid-1", key, 32, "https://ca.test/new-acct",
	                         jwk, &err);
	json_t *hdr;
	json_t *pay;
	unsigned char mac[32];
	size_t maclen = 0;
	char input[4096];
	char *want;

	(void)state;
	assert_non_null(eab);
	hdr = b64_json(json_string_value(json_object_get(eab, "protected")));
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")),
	                    "HS256");
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
	                    "kid-1");
	assert_string_equal(json_string_value(json_object_get(hdr, "url")),
	                    "https://ca.test/new-acct");
	assert_null(json_object_get(hdr, "nonce"));
	pay = b64_json(json_string_value(json_object_get(eab, "payload")));
	assert_true(json_equal(pay, jwk));
	snprintf(input, sizeof(input), "%s.%s",
	         json_string_value(json_object_get(eab, "protected")),
	         json_string_value(json_object_get(eab, "payload")));
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 32,
	                          (const unsigned char *)input, strlen(input),
	                          mac, sizeof(mac), &maclen));
	want = xc_b64url_encode(mac, maclen);
	assert_string_equal(
	        json_string_value(json_object_get(eab, "signature")), want);
	free(want);
	json_decref(pay);
	json_decref(hdr);
	json_decref(eab);
	json_decref(jwk);
	xc_acme_key_free(k);
}

static void test_csr(void **state)
{
	static const char *const names[] = {"mail.example.test",
	                                    "autodiscover.example.test"};
	struct xc_error err;
	struct xc_acme_key *k = xc_acme_key_new(XC_ACME_KEY_EC256, &err);
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) * exts;
	GENERAL_NAMES *gens;
	EVP_PKEY *pub;
	char cn[128];

	(void)state;
	assert_int_equal(xc_acme_csr(k, names, 2, &der, &len, &err), 0);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	assert_non_null(req);
	pub = X509_REQ_get_pubkey(req);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
	                          NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "mail.example.test");
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
	assert_string_equal((const char *)ASN1_STRING_get0_data(
	                            sk_GENERAL_NAME_value(gens, 1)->d.dNSName),
	                    "autodiscover.example.test");
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	free(der);
	xc_acme_key_free(k);
}

static void test_problem_words(void **state)
{
	static const struct {
		const char *body;
		long status;
		long long retry;
		const char *words;
		const char *type;
	} cases[] = {
	        {"{\"type\":\"urn:ietf:params:acme:error:rateLimited\","
	         "\"detail\":\"too many certificates (5) already issued\"}",
	         429, 3600,
	         "the CA's rate limit was reached (rateLimited): too many certificates (5) already issued; retry after 2023-11-14T23:13:20Z (in 3600 s)",
	         "rateLimited"},
	        {"{\"type\":\"urn:ietf:params:acme:error:malformed\","
	         "\"detail\":\"Some of the identifiers were rejected\","
	         "\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	         "\"detail\":\"blocked\",\"identifier\":{\"type\":\"dns\",\"value\":\"x.example\"}},"
	         "{\"type\":\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA forbids\","
	         "\"identifier\":{\"type\":\"dns\",\"value\":\"y.example\"}}]}",
	         400, -1,
	         "the CA found the request malformed (malformed): Some of the identifiers were rejected; x.example: the CA will not issue for this name (rejectedIdentifier): blocked; y.example: a CAA record forbids this CA to issue for the name (caa): CAA forbids",
	         "malformed"},
	        {"{\"type\":\"urn:ietf:params:acme:error:badNonce\"}", 400, -1,
	         "the CA rejected the anti-replay nonce (badNonce)",
	         "badNonce"},
	        {"{\"type\":\"urn:ietf:params:acme:error:userActionRequired\","
	         "\"detail\":\"accept the new terms\","
	         "\"instance\":\"https://ca.test/tos\"}",
	         403, -1,
	         "the CA needs you to act (see its page) (userActionRequired): accept the new terms <https://ca.test/tos>",
	         "userActionRequired"},
	        {"{\"type\":\"about:blank\",\"detail\":\"two\\nlines\\u001b[31m \"}",
	         400, -1,
	         "the CA reported a problem (about:blank): two lines [31m",
	         "about:blank"},
	        {"<html>Bad Gateway</html>", 502, 30,
	         "HTTP 502: <html>Bad Gateway</html>; retry after 2023-11-14T22:13:50Z (in 30 s)",
	         ""},
	        {"", 500, -1, "HTTP 500", ""},
	};
	char out[512];
	char type[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		xc_acme_problem_words(cases[i].body, strlen(cases[i].body),
		                      cases[i].status, 1700000000LL,
		                      cases[i].retry, out, sizeof(out), type,
		                      sizeof(type));
		assert_string_equal(out, cases[i].words);
		assert_string_equal(type, cases[i].type);
	}
	assert_int_equal(xc_acme_problem_code("unauthorized"), XC_EAUTH);
	assert_int_equal(xc_acme_problem_code("orderNotReady"), XC_ECONFLICT);
	assert_int_equal(xc_acme_problem_code("somethingNew"), XC_ERR);
	assert_string_equal(
	        xc_acme_problem_short("urn:ietf:params:acme:error:dns"), "dns");
}

static void test_retry_after(void **state)
{
	/* Wed, 21 Oct 2015 07:28:00 GMT */
	const long long t = 1445412480LL;
	long long s = -5;

	(void)state;
	assert_int_equal(xc_acme_retry_after("120", t, &s), 0);
	assert_int_equal(s, 120);
	assert_int_equal(xc_acme_retry_after(" 0 ", t, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(xc_acme_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
	                                     t - 30, &s),
	                 0);
	assert_int_equal(s, 30);
	/* RFC 850 and asctime forms, which HTTP still allows. */
	assert_int_equal(
	        xc_acme_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", t - 60,
	                            &s),
	        0);
	assert_int_equal(s, 60);
	assert_int_equal(
	        xc_acme_retry_after("Wed Oct 21 07:28:00 2015", t - 5, &s), 0);
	assert_int_equal(s, 5);
	/* A date in the past: no wait. */
	assert_int_equal(xc_acme_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
	                                     t + 99, &s),
	                 0);
	assert_int_equal(s, 0);
	assert_int_equal(xc_acme_retry_after("", t, &s), -1);
	assert_int_equal(xc_acme_retry_after("soon", t, &s), -1);
	assert_int_equal(xc_acme_retry_after("12a", t, &s), -1);
	assert_int_equal(xc_acme_retry_after("-3", t, &s), -1);
	assert_int_equal(xc_acme_retry_after("99999999999999", t, &s), -1);
}

/* The wait between two polls: Retry-After held between 1 s and 60 s, the
 * doubling backoff without one, never past the deadline. */
static void test_poll_delay(void **state)
{
	const long long t = 1445412480LL; /* Wed, 21 Oct 2015 07:28:00 GMT */
	const long long left = 600000;
	long long backoff = 10;

	(void)state;
	/* "Retry-After: 0" from a hostile CA: a second, not a busy loop. */
	assert_int_equal(xc_acme_poll_delay("0", t, &backoff, left), 1000);
	assert_int_equal(xc_acme_poll_delay("0", t, &backoff, left), 1000);
	/* An HTTP-date in the past is a wait of 0 as well. */
	assert_int_equal(xc_acme_poll_delay("Wed, 21 Oct 2015 07:27:00 GMT", t,
	                                    &backoff, left),
	                 1000);
	assert_int_equal(xc_acme_poll_delay("3", t, &backoff, left), 3000);
	/* A huge one: a minute, and never past the deadline. */
	assert_int_equal(xc_acme_poll_delay("99999999", t, &backoff, left),
	                 60000);
	assert_int_equal(xc_acme_poll_delay("99999999", t, &backoff, 2500),
	                 2500);
	assert_int_equal(xc_acme_poll_delay("0", t, &backoff, 300), 300);
	assert_int_equal(xc_acme_poll_delay("5", t, &backoff, 0), 0);
	/* None (or one that is neither a number nor a date): 10 ms, doubled
	 * each time up to 4 s. */
	assert_int_equal(backoff, 10);
	assert_int_equal(xc_acme_poll_delay("", t, &backoff, left), 10);
	assert_int_equal(xc_acme_poll_delay(NULL, t, &backoff, left), 20);
	assert_int_equal(xc_acme_poll_delay("soon", t, &backoff, left), 40);
	backoff = 3000;
	assert_int_equal(xc_acme_poll_delay("", t, &backoff, left), 3000);
	assert_int_equal(xc_acme_poll_delay("", t, &backoff, left), 4000);
	assert_int_equal(xc_acme_poll_delay("", t, &backoff, left), 4000);
}

static void test_key_pem_roundtrip(void **state)
{
	struct xc_error err;
	struct xc_acme_key *k = xc_acme_key_new(XC_ACME_KEY_RSA2048, &err);
	struct xc_acme_key *k2;
	size_t len = 0;
	char *pem;

	(void)state;
	assert_non_null(k);
	pem = xc_acme_key_pem(k, &len, &err);
	assert_non_null(pem);
	assert_non_null(strstr(pem, "BEGIN PRIVATE KEY"));
	k2 = xc_acme_key_from_pem(pem, len, "the key", &err);
	assert_non_null(k2);
	assert_int_equal(xc_acme_key_type(k2), XC_ACME_KEY_RSA2048);
	xc_wipe_free(pem, len);
	xc_acme_key_free(k2);
	xc_acme_key_free(k);
	assert_null(xc_acme_key_from_pem("junk", 4, "state/x.key", &err));
	assert_string_equal(err.msg,
	                    "state/x.key holds no readable private key");
}

/* RFC 9773 Appendix A: the example certificate and its certID. */
static const char ari_example_pem[] =
        "-----BEGIN CERTIFICATE-----\n"
        "MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt\n"
        "cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS\n"
        "BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu\n"
        "7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf\n"
        "qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B\n"
        "yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb\n"
        "+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK\n"
        "-----END CERTIFICATE-----\n";
#define ARI_EXAMPLE_ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

static void test_ari_cert_id(void **state)
{
	static const unsigned char aki[] = {
	        0x69, 0x88, 0x5b, 0x6b, 0x87, 0x46, 0x40, 0x41, 0xe1, 0xb3,
	        0x7b, 0x84, 0x7b, 0xa0, 0xae, 0x2c, 0xde, 0x01, 0xc8, 0xd4};
	static const unsigned char serial[] = {0x00, 0x87, 0x65, 0x43, 0x21};
	struct xc_error err;
	char id[256];
	BIO *bio;
	X509 *x;
	unsigned char *der = NULL;
	int len;

	(void)state;
	assert_int_equal(xc_ari_cert_id_of(aki, sizeof(aki), serial,
	                                   sizeof(serial), id, sizeof(id),
	                                   &err),
	                 0);
	assert_string_equal(id, ARI_EXAMPLE_ID);
	/* From the certificate itself: AKI keyIdentifier and the serial's
	 * DER content, with its leading zero. */
	bio = BIO_new_mem_buf(ari_example_pem, -1);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	len = i2d_X509(x, &der);
	X509_free(x);
	assert_true(len > 0);
	assert_int_equal(xc_ari_cert_id(der, (size_t)len, id, sizeof(id), &err),
	                 0);
	assert_string_equal(id, ARI_EXAMPLE_ID);
	/* Too small a buffer, and something that is no certificate. */
	assert_int_equal(xc_ari_cert_id(der, (size_t)len, id, 10, &err),
	                 XC_EINVAL);
	assert_int_equal(xc_ari_cert_id(der, 20, id, sizeof(id), &err),
	                 XC_EINVAL);
	OPENSSL_free(der);
}

static void test_ari_no_aki(void **state)
{
	struct xc_error err;
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	char id[256];
	int len;

	(void)state;
	/* A self-signed certificate without extensions has no AKI. */
	assert_non_null(pk);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"x", -1, -1, 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	assert_int_equal(xc_ari_cert_id(der, (size_t)len, id, sizeof(id), &err),
	                 XC_EINVAL);
	assert_string_equal(
	        err.msg,
	        "the certificate has no authority key identifier, so ARI cannot name it");
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void test_ari_parse_time(void **state)
{
	static const struct {
		const char *text;
		long long t;
	} good[] = {
	        {"2026-09-01T00:00:00Z", 1788220800},
	        {"2026-09-01T02:00:00+02:00", 1788220800},
	        {"2026-08-31T22:00:00.123456-02:00", 1788220800},
	        {"2000-02-29T23:59:59Z", 951868799},
	        {"1969-12-31T00:00:00z", -86400},
	        {"1970-01-01t00:00:00Z", 0},
	};
	static const char *const bad[] = {
	        "",
	        "2026-09-01",
	        "2026-09-01T00:00:00",
	        "2026-13-01T00:00:00Z",
	        "2026-02-30T00:00:00Z",
	        "2026-09-01T24:00:00Z",
	        "2026-09-01T00:00:00.Z",
	        "2026-09-01T00:00:00Zjunk",
	        "2026-09-01 00:00:00Z",
	        "26-09-01T00:00:00Z",
	};
	long long t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(xc_ari_parse_time(good[i].text, &t), 0);
		assert_int_equal(t, good[i].t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(xc_ari_parse_time(bad[i], &t), -1);
}

static void test_dns01_names(void **state)
{
	char v[44];
	char *n;

	(void)state;
	/* base64url(SHA-256(key authorization)), computed with python3's
	 * hashlib and base64. */
	xc_dns01_txt_value("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
	                   "0amJnB5bGi3CV3TyMwV-OkH1iii2aJdGw0ie6U6yYiE",
	                   v);
	assert_string_equal(v, "Cv_F1mE1tMLSXvY2-sACfOdBjHD5OJEflokuFlKResI");
	n = xc_dns01_record_name("Mail.Example.COM.");
	assert_string_equal(n, "_acme-challenge.mail.example.com");
	free(n);
	n = xc_dns01_record_name("*.example.com");
	assert_string_equal(n, "_acme-challenge.example.com");
	free(n);
}

static void test_dns01_config(void **state)
{
	static const char secret[] = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";
	struct xc_dns01_config c;
	struct xc_dns01 *d = NULL;
	struct xc_error err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.server = "127.0.0.1:5353";
	c.tsig_name = "acme-key";
	c.tsig_secret = secret;
	assert_int_equal(xc_dns01_new(&d, &c, &err), 0);
	xc_dns01_free(d);
	/* A BIND key clause, an IPv6 address with a port, another algorithm. */
	c.tsig_secret = "key \"acme-key\" {\n\talgorithm hmac-sha512;\n"
	                "\tsecret \"c2VjcmV0IQ==\";\n};\n";
	c.server = "[::1]:5353";
	c.tsig_algorithm = "HMAC-SHA512";
	assert_int_equal(xc_dns01_new(&d, &c, &err), 0);
	xc_dns01_free(d);
	c.tsig_algorithm = "hmac-sha3";
	assert_int_equal(xc_dns01_new(&d, &c, &err), XC_EINVAL);
	assert_non_null(strstr(err.msg, "unknown TSIG algorithm 'hmac-sha3'"));
	c.tsig_algorithm = NULL;
	/* Not base64: refused, and never repeated. */
	c.tsig_secret = "not a secret!";
	assert_int_equal(xc_dns01_new(&d, &c, &err), XC_EINVAL);
	assert_string_equal(
	        err.msg,
	        "the TSIG secret of key 'acme-key' is not base64 (as tsig-keygen writes it, alone or in its key clause)");
	c.tsig_secret = secret;
	c.server = "127.0.0.1:99999";
	assert_int_equal(xc_dns01_new(&d, &c, &err), XC_EINVAL);
	assert_string_equal(
	        err.msg,
	        "the DNS server takes ADDR, ADDR:PORT or [IPV6]:PORT, not '127.0.0.1:99999'");
	c.server = "[::1";
	assert_int_equal(xc_dns01_new(&d, &c, &err), XC_EINVAL);
	assert_null(d);
}

/* ---- http-01 webroot and symbolic links ---- */

#define TOKEN "tok3n_-AbC"

/* How many entries dir holds (besides . and ..); -1 when it cannot be
 * read. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void path_of(char *buf, size_t size, const char *base, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", base, rel);

	assert_true(n > 0 && (size_t)n < size);
}

static void rm_tree(const char *base)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

/* A webroot www and a directory outside it, elsewhere, in a new temporary
 * directory base. */
static void webroot_setup(char *base, size_t size)
{
	char p[512];

	snprintf(base, size, "/tmp/excert-unit-http01-XXXXXX");
	assert_non_null(mkdtemp(base));
	path_of(p, sizeof(p), base, "www");
	assert_int_equal(mkdir(p, 0755), 0);
	path_of(p, sizeof(p), base, "elsewhere");
	assert_int_equal(mkdir(p, 0755), 0);
}

/* A symbolic link as .well-known or as acme-challenge is refused in words,
 * and nothing is written where it points. */
static void test_http01_webroot_symlink(void **state)
{
	static const char *const links[] = {"www/.well-known",
	                                    "www/.well-known/acme-challenge"};
	struct xc_http01 *h;
	struct xc_error err;
	char base[64];
	char www[512];
	char link[512];
	char other[512];
	char want[1200];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < 2; i++) {
		webroot_setup(base, sizeof(base));
		path_of(www, sizeof(www), base, "www");
		path_of(other, sizeof(other), base, "elsewhere");
		path_of(link, sizeof(link), base, links[i]);
		if (i == 1) {
			path_of(want, sizeof(want), base, "www/.well-known");
			assert_int_equal(mkdir(want, 0755), 0);
		}
		assert_int_equal(symlink(other, link), 0);
		h = NULL;
		memset(&err, 0, sizeof(err));
		rc = xc_http01_webroot(&h, www, &err);
		if (rc == 0) {
			/* The old code: the file went through the link. */
			xc_http01_add(h, TOKEN, TOKEN ".thumb", &err);
			assert_int_equal(entries(other), 0);
			xc_http01_free(h);
		}
		assert_int_equal(rc, XC_EINVAL);
		assert_null(h);
		snprintf(
		        want, sizeof(want),
		        "%s is a symbolic link: refusing to follow it for http-01 (make it a directory)",
		        link);
		assert_string_equal(err.msg, want);
		assert_int_equal(entries(other), 0);
		/* A .well-known we made is removed again. */
		path_of(want, sizeof(want), base, "www");
		assert_int_equal(entries(want), 1);
		rm_tree(base);
	}
}

/* A link planted once the run has begun (the challenge directory replaced)
 * redirects neither the write nor the delete. */
static void test_http01_webroot_swapped(void **state)
{
	struct xc_http01 *h = NULL;
	struct xc_error err;
	char base[64];
	char www[512];
	char dir[512];
	char other[512];
	char victim[600];
	FILE *f;

	(void)state;
	webroot_setup(base, sizeof(base));
	path_of(www, sizeof(www), base, "www");
	path_of(other, sizeof(other), base, "elsewhere");
	path_of(dir, sizeof(dir), base, "www/.well-known/acme-challenge");
	assert_int_equal(xc_http01_webroot(&h, www, &err), 0);
	/* Placed, then removed: an ordinary run. */
	assert_int_equal(xc_http01_add(h, "first", "first.thumb", &err), 0);
	snprintf(victim, sizeof(victim), "%s/first", dir);
	assert_int_equal(access(victim, R_OK), 0);
	xc_http01_clear(h);
	assert_int_equal(access(victim, F_OK), -1);
	/* Swapped for a link to a directory holding a file of the token's
	 * name. */
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(symlink(other, dir), 0);
	snprintf(victim, sizeof(victim), "%s/%s", other, TOKEN);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious", f);
	assert_int_equal(fclose(f), 0);
	/* An earlier run's token to forget: not deleted through the link. */
	xc_http01_forget(h, TOKEN);
	assert_int_equal(access(victim, F_OK), 0);
	/* A new token: not written through the link. */
	assert_int_not_equal(xc_http01_add(h, "second", "second.thumb", &err),
	                     0);
	assert_non_null(strstr(err.msg, "/acme-challenge/second: "));
	assert_int_equal(entries(other), 1);
	xc_http01_free(h);
	assert_int_equal(access(victim, F_OK), 0);
	rm_tree(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_b64url),
	        cmocka_unit_test(test_thumbprint_rfc7638),
	        cmocka_unit_test(test_thumbprint_ec),
	        cmocka_unit_test(test_key_authorization),
	        cmocka_unit_test(test_jws),
	        cmocka_unit_test(test_eab),
	        cmocka_unit_test(test_csr),
	        cmocka_unit_test(test_problem_words),
	        cmocka_unit_test(test_retry_after),
	        cmocka_unit_test(test_poll_delay),
	        cmocka_unit_test(test_key_pem_roundtrip),
	        cmocka_unit_test(test_ari_cert_id),
	        cmocka_unit_test(test_ari_no_aki),
	        cmocka_unit_test(test_ari_parse_time),
	        cmocka_unit_test(test_dns01_names),
	        cmocka_unit_test(test_dns01_config),
	        cmocka_unit_test(test_http01_webroot_symlink),
	        cmocka_unit_test(test_http01_webroot_swapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
