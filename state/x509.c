/* SPDX-License-Identifier: MIT */
#include "state/x509.h"

#include <ctype.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "state/buf.h"
#include "state/xalloc.h"

static void hex_upper(const unsigned char *p, size_t n, char *out, size_t size)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < n && 2 * i + 2 < size; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * i] = '\0';
}

void xc_thumbprint(const unsigned char *der, size_t len, char out[41])
{
	unsigned char md[SHA_DIGEST_LENGTH];

	SHA1(der, len, md);
	hex_upper(md, sizeof(md), out, 41);
}

/* The short names Windows' X500DistinguishedName writes. */
void xc_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned n = 0;
	size_t i;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *win_type(int nid, char *buf, size_t size)
{
	switch (nid) {
	case NID_commonName:
		return "CN";
	case NID_organizationName:
		return "O";
	case NID_organizationalUnitName:
		return "OU";
	case NID_localityName:
		return "L";
	case NID_stateOrProvinceName:
		return "S";
	case NID_countryName:
		return "C";
	case NID_pkcs9_emailAddress:
		return "E";
	case NID_domainComponent:
		return "DC";
	case NID_streetAddress:
		return "STREET";
	case NID_serialNumber:
		return "SERIALNUMBER";
	case NID_title:
		return "T";
	case NID_givenName:
		return "G";
	case NID_surname:
		return "SN";
	case NID_initials:
		return "I";
	case NID_postalCode:
		return "PostalCode";
	default:
		return NULL;
	}
	(void)buf;
	(void)size;
}

static bool needs_quotes(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || v[0] == ' ' || v[n - 1] == ' ')
		return n != 0;
	for (i = 0; i < n; i++)
		if (strchr(",+=\"\n<>#;", v[i]))
			return true;
	return false;
}

/*
 * Windows order (the reverse of the DER order, most specific first), ", "
 * between RDNs, " + " inside a multi-valued one, values quoted with "" when
 * they hold special characters: what Get-ExchangeCertificate prints.
 */
static char *render_windows(const X509_NAME *name)
{
	struct xc_buf b;
	int count = X509_NAME_entry_count(name);
	int i;
	int prev_set = -1;

	xc_buf_init(&b, 0);
	for (i = count - 1; i >= 0; i--) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const ASN1_STRING *data = X509_NAME_ENTRY_get_data(e);
		int set = X509_NAME_ENTRY_set(e);
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, data);
		const char *t;
		char oid[80];

		if (b.len)
			xc_buf_puts(&b, set == prev_set ? " + " : ", ");
		prev_set = set;
		t = win_type(OBJ_obj2nid(obj), oid, sizeof(oid));
		if (!t) {
			OBJ_obj2txt(oid, sizeof(oid), obj, 1);
			xc_buf_printf(&b, "OID.%s=", oid);
		} else {
			xc_buf_printf(&b, "%s=", t);
		}
		if (n < 0) {
			xc_buf_puts(&b, "?");
			continue;
		}
		if (needs_quotes((const char *)utf8, (size_t)n)) {
			int k;

			xc_buf_puts(&b, "\"");
			for (k = 0; k < n; k++) {
				if (utf8[k] == '"')
					xc_buf_puts(&b, "\"");
				xc_buf_add(&b, &utf8[k], 1);
			}
			xc_buf_puts(&b, "\"");
		} else {
			xc_buf_add(&b, utf8, (size_t)n);
		}
		OPENSSL_free(utf8);
	}
	return xc_buf_detach(&b, NULL);
}

static long long asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;
	int days = 0;
	int secs = 0;

	/* Seconds relative to the epoch without timegm(), which is not in
	 * POSIX. */
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	{
		ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);

		if (!epoch)
			return 0;
		if (ASN1_TIME_diff(&days, &secs, epoch, t) != 1) {
			ASN1_TIME_free(epoch);
			return 0;
		}
		ASN1_TIME_free(epoch);
	}
	return (long long)days * 86400 + secs;
}

static void add_domain(struct xc_x509 *x, const char *v, size_t n)
{
	x->domains = xc_xrealloc(x->domains,
	                         (x->ndomains + 1) * sizeof(*x->domains));
	x->domains[x->ndomains++] = xc_xstrndup(v, n);
}

int xc_x509_parse(struct xc_x509 *out, const unsigned char *der, size_t len,
                  struct xc_error *err)
{
	const unsigned char *p = der;
	X509 *x;
	GENERAL_NAMES *sans;
	EVP_PKEY *pk;
	const ASN1_INTEGER *serial;
	AUTHORITY_KEYID *akid;
	const ASN1_OCTET_STRING *ski;
	int i;

	memset(out, 0, sizeof(*out));
	if (len > 1024 * 1024)
		return xc_error_set(err, XC_EINVAL, "certificate too large");
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		return xc_error_set(err, XC_EINVAL,
		                    "not a DER X.509 certificate");
	}
	xc_thumbprint(der, len, out->thumbprint);
	out->subject = render_windows(X509_get_subject_name(x));
	out->issuer = render_windows(X509_get_issuer_name(x));
	out->self_signed = X509_NAME_cmp(X509_get_subject_name(x),
	                                 X509_get_issuer_name(x)) == 0;
	out->not_before = asn1_time_epoch(X509_get0_notBefore(x));
	out->not_after = asn1_time_epoch(X509_get0_notAfter(x));
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type == GEN_DNS)
			add_domain(out,
			           (const char *)ASN1_STRING_get0_data(
			                   g->d.dNSName),
			           (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(sans);
	pk = X509_get0_pubkey(x);
	snprintf(out->key_type, sizeof(out->key_type), "other");
	if (pk) {
		out->key_bits = EVP_PKEY_get_bits(pk);
		if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
			snprintf(out->key_type, sizeof(out->key_type), "RSA");
		else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC)
			snprintf(out->key_type, sizeof(out->key_type), "EC");
	}
	serial = X509_get0_serialNumber(x);
	if (serial)
		hex_upper(ASN1_STRING_get0_data(serial),
		          (size_t)ASN1_STRING_length(serial), out->serial,
		          sizeof(out->serial));
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	if (akid && akid->keyid)
		hex_upper(ASN1_STRING_get0_data(akid->keyid),
		          (size_t)ASN1_STRING_length(akid->keyid), out->aki,
		          sizeof(out->aki));
	AUTHORITY_KEYID_free(akid);
	ski = X509_get0_subject_key_id(x);
	if (ski)
		hex_upper(ASN1_STRING_get0_data(ski),
		          (size_t)ASN1_STRING_length(ski), out->ski,
		          sizeof(out->ski));
	X509_free(x);
	return 0;
}

void xc_x509_release(struct xc_x509 *x)
{
	size_t i;

	free(x->subject);
	free(x->issuer);
	for (i = 0; i < x->ndomains; i++)
		free(x->domains[i]);
	free(x->domains);
	memset(x, 0, sizeof(*x));
}

bool xc_acme_token_ok(const char *t)
{
	size_t i;

	for (i = 0; t && t[i]; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') ||
		      (t[i] >= 'a' && t[i] <= 'z') ||
		      (t[i] >= '0' && t[i] <= '9') || t[i] == '-' ||
		      t[i] == '_'))
			return false;
	return i > 0 && i <= 256;
}

char *xc_base64_encode(const unsigned char *data, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	char *out = xc_xmalloc(n);

	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int xc_base64_decode(const char *text, unsigned char **out, size_t *len_out)
{
	size_t n = strlen(text);
	char *clean = xc_xmalloc(n + 1);
	unsigned char *buf;
	size_t m = 0;
	size_t i;
	int got;
	size_t pad = 0;

	*out = NULL;
	*len_out = 0;
	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)text[i]))
			clean[m++] = text[i];
	clean[m] = '\0';
	if (m % 4 != 0 || m > 0x7fffffffu) {
		free(clean);
		return XC_EINVAL;
	}
	for (i = 0; i < m; i++) {
		char c = clean[i];

		if (!(isalnum((unsigned char)c) || c == '+' || c == '/' ||
		      (c == '=' && i >= m - 2))) {
			free(clean);
			return XC_EINVAL;
		}
	}
	if (m >= 1 && clean[m - 1] == '=')
		pad++;
	if (m >= 2 && clean[m - 2] == '=')
		pad++;
	if (pad == 2 && clean[m - 1] != '=') {
		free(clean);
		return XC_EINVAL;
	}
	buf = xc_xmalloc(m / 4 * 3 + 1);
	got = EVP_DecodeBlock(buf, (const unsigned char *)clean, (int)m);
	free(clean);
	if (got < 0) {
		free(buf);
		return XC_EINVAL;
	}
	*out = buf;
	*len_out = (size_t)got - pad;
	return 0;
}

/* PEM of what write() puts in a memory BIO; NULL on failure. */
static char *bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *out;

	if (n <= 0)
		return NULL;
	out = xc_xmalloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

int xc_pfx_to_pem(const char *pfx_b64, const char *password, char **chain_pem,
                  char **key_pem, char *thumb, struct xc_error *err)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	PKCS12 *p12 = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	BIO *cb = BIO_new(BIO_s_mem());
	BIO *kb = BIO_new(BIO_s_mem());
	int rc = 0;
	int i;

	*chain_pem = NULL;
	*key_pem = NULL;
	if (!cb || !kb) {
		rc = xc_error_set(err, XC_ENOMEM, "out of memory");
		goto out;
	}
	if (xc_base64_decode(pfx_b64, &der, &len) < 0) {
		rc = xc_error_set(err, XC_EINVAL,
		                  "the exported PFX is not base64");
		goto out;
	}
	p = der;
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	if (!p12 || !PKCS12_parse(p12, password, &key, &cert, &ca) || !key ||
	    !cert) {
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "the exported PFX cannot be opened, or holds no certificate with its key");
		goto out;
	}
	{
		unsigned char *c = NULL;
		int n = i2d_X509(cert, &c);

		if (n > 0)
			xc_thumbprint(c, (size_t)n, thumb);
		OPENSSL_free(c);
	}
	/* The rest of the chain in issuing order, each after the one it
	 * signed, as HAProxy and NGINX want it: a PFX keeps no order. */
	if (!PEM_write_bio_X509(cb, cert))
		rc = XC_ERR;
	{
		X509 *last = cert;
		int n = ca ? sk_X509_num(ca) : 0;
		bool *used = xc_xcalloc((size_t)n + 1, sizeof(bool));
		int done;

		for (done = 0; rc == 0 && done < n; done++) {
			int at = -1;

			for (i = 0; i < n && at < 0; i++)
				if (!used[i] &&
				    X509_check_issued(sk_X509_value(ca, i),
				                      last) == X509_V_OK)
					at = i;
			if (at < 0)
				break;
			used[at] = true;
			last = sk_X509_value(ca, at);
			if (!PEM_write_bio_X509(cb, last))
				rc = XC_ERR;
		}
		/* What signs none of them still goes along, after. */
		for (i = 0; rc == 0 && i < n; i++)
			if (!used[i] &&
			    !PEM_write_bio_X509(cb, sk_X509_value(ca, i)))
				rc = XC_ERR;
		free(used);
	}
	if (rc == 0 &&
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
		rc = XC_ERR;
	if (rc == 0) {
		*chain_pem = bio_text(cb);
		*key_pem = bio_text(kb);
	}
	if (rc < 0 || !*chain_pem || !*key_pem) {
		free(*chain_pem);
		if (*key_pem) {
			OPENSSL_cleanse(*key_pem, strlen(*key_pem));
			free(*key_pem);
		}
		*chain_pem = NULL;
		*key_pem = NULL;
		rc = xc_error_set(err, XC_ERR,
		                  "the exported PFX cannot be written as PEM");
	}
out:
	if (der) {
		OPENSSL_cleanse(der, len);
		free(der);
	}
	PKCS12_free(p12);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	BIO_free(cb);
	if (kb) {
		char *data;
		long n = BIO_get_mem_data(kb, &data);

		if (n > 0)
			OPENSSL_cleanse(data, (size_t)n);
		BIO_free(kb);
	}
	return rc;
}
