/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the pure parts of providers/acme/: base64url, JWK
 * thumbprints (RFC 7638's own example and a fixed P-256 key), key
 * authorizations, JWS and EAB assembly, the CSR, problem documents in
 * words and Retry-After.
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
#include <stdlib.h>
#include <string.h>

#include "providers/acme/acme_http.h"
#include "providers/acme/jws.h"
#include "providers/acme/problem.h"

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
	xc_acme_secret_free(pem, len);
	xc_acme_key_free(k2);
	xc_acme_key_free(k);
	assert_null(xc_acme_key_from_pem("junk", 4, "state/x.key", &err));
	assert_string_equal(err.msg,
	                    "state/x.key holds no readable private key");
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
	        cmocka_unit_test(test_key_pem_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
