/* SPDX-License-Identifier: MIT */
#include "providers/manual/manual.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/buf.h"
#include "state/store.h"
#include "state/xalloc.h"

static const char *const suffixes[] = {".cer", ".crt", ".pem"};

static char *join(const char *dir, const char *request, const char *suffix)
{
	size_t n = strlen(dir) + strlen(request) + strlen(suffix) + 2;
	char *p = xc_xmalloc(n);

	snprintf(p, n, "%s/%s%s", dir, request, suffix);
	return p;
}

/* The certificates of text: PEM (one or more), else one DER. */
static STACK_OF(X509) * parse(const char *text, size_t len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	X509 *x;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		sk_X509_push(certs, x);
	BIO_free(bio);
	ERR_clear_error();
	if (sk_X509_num(certs) == 0) {
		const unsigned char *p = (const unsigned char *)text;

		x = d2i_X509(NULL, &p, (long)len);
		if (x)
			sk_X509_push(certs, x);
		ERR_clear_error();
	}
	return certs;
}

static int write_csr(const char *path, const unsigned char *csr, size_t csr_len,
                     struct xc_error *err)
{
	const unsigned char *p = csr;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)csr_len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int rc;

	if (!req || !PEM_write_bio_X509_REQ(bio, req)) {
		X509_REQ_free(req);
		BIO_free(bio);
		ERR_clear_error();
		return xc_error_set(err, XC_EINVAL,
		                    "the request from Exchange does not parse");
	}
	n = BIO_get_mem_data(bio, &data);
	rc = xc_write_file_atomic(path, data, (size_t)n, 0644, err);
	X509_REQ_free(req);
	BIO_free(bio);
	return rc;
}

/* The chain as PEM, after checking that its leaf has csr's key. */
static int take(const char *path, const char *text, size_t len,
                const unsigned char *csr, size_t csr_len, char **chain_pem,
                struct xc_error *err)
{
	STACK_OF(X509) *certs = parse(text, len);
	const unsigned char *p = csr;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)csr_len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int rc = 0;
	int i;

	if (sk_X509_num(certs) == 0)
		rc = xc_error_set(err, XC_EINVAL,
		                  "'%s' holds no certificate (PEM or DER)",
		                  path);
	else if (!req || EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(certs, 0)),
	                             X509_REQ_get0_pubkey(req)) != 1)
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "'%s' is not the certificate for this request: its key is another one (the first certificate of the file must be the one issued for the request)",
		        path);
	for (i = 0; rc == 0 && i < sk_X509_num(certs); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(certs, i)))
			rc = xc_error_set(err, XC_ERR, "cannot encode '%s'",
			                  path);
	if (rc == 0) {
		n = BIO_get_mem_data(bio, &data);
		*chain_pem = xc_xstrndup(data, (size_t)n);
	}
	sk_X509_pop_free(certs, X509_free);
	X509_REQ_free(req);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int xc_manual_pick_up(const char *dir, const char *request,
                      const unsigned char *csr, size_t csr_len,
                      char **chain_pem, struct xc_error *err)
{
	char *path;
	char *text = NULL;
	size_t len = 0;
	size_t i;
	int rc;

	*chain_pem = NULL;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		path = join(dir, request, suffixes[i]);
		rc = xc_read_file(path, 1024 * 1024, &text, &len, err);
		if (rc == 0) {
			rc = take(path, text, len, csr, csr_len, chain_pem,
			          err);
			free(text);
			free(path);
			return rc;
		}
		free(path);
		if (rc != XC_ENOTFOUND)
			return rc;
	}
	xc_error_clear(err);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return xc_error_set(err, XC_EIO, "cannot make '%s': %s", dir,
		                    strerror(errno));
	path = join(dir, request, ".csr");
	rc = 0;
	if (access(path, F_OK) != 0)
		rc = write_csr(path, csr, csr_len, err);
	if (rc == 0)
		rc = xc_error_set(
		        err, XC_ENOTFOUND,
		        "waiting for the CA: the request is in %s; have the CA sign it and put the certificate (PEM or DER) in %s/%s.cer, then run excert apply again",
		        path, dir, request);
	free(path);
	return rc;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void xc_manual_ready(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *dot = strrchr(e->d_name, '.');
		bool cert = false;
		char thumb[41];

		if (!dot || dot - e->d_name != 40)
			continue;
		for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			cert = cert || strcmp(dot, suffixes[i]) == 0;
		for (i = 0; cert && i < 40; i++) {
			cert = isxdigit((unsigned char)e->d_name[i]) != 0;
			thumb[i] = (char)toupper((unsigned char)e->d_name[i]);
		}
		if (!cert)
			continue;
		thumb[40] = '\0';
		xc_xgrow((void **)&v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = xc_xstrdup(thumb);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp);
	*out = v;
}
