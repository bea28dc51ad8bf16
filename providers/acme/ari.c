/* SPDX-License-Identifier: MIT */
#include "providers/acme/ari.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/acme/acme_http.h"
#include "providers/acme/jws.h"
#include "providers/acme/problem.h"
#include "state/x509.h"
#include "state/xalloc.h"

/* A directory read from acme.h's cache is used for this long. */
#define DIRECTORY_TTL (24LL * 3600)
/* Retry-After limits (RFC 9773 §4.3), and the wait when it is absent. */
#define RETRY_MIN 60LL
#define RETRY_MAX (24LL * 3600)
#define RETRY_DEFAULT (6LL * 3600)

static void say(const struct xc_ari_config *cfg, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void say(const struct xc_ari_config *cfg, const char *fmt, ...)
{
	va_list ap;

	if (!cfg->log)
		return;
	fputs("excert: acme: ari: ", cfg->log);
	va_start(ap, fmt);
	vfprintf(cfg->log, fmt, ap);
	va_end(ap);
	fputc('\n', cfg->log);
	fflush(cfg->log);
}

int xc_ari_cert_id_of(const unsigned char *aki, size_t aki_len,
                      const unsigned char *serial, size_t serial_len, char *out,
                      size_t size, struct xc_error *err)
{
	char *a = xc_b64url_encode(aki, aki_len);
	char *s = xc_b64url_encode(serial, serial_len);
	int n = snprintf(out, size, "%s.%s", a, s);

	free(a);
	free(s);
	if (n < 0 || (size_t)n >= size || aki_len == 0 || serial_len == 0)
		return xc_error_set(
		        err, XC_EINVAL,
		        "the certificate's key identifier or serial is empty or too long for an ARI certID");
	return 0;
}

int xc_ari_cert_id(const unsigned char *der, size_t len, char *out, size_t size,
                   struct xc_error *err)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	AUTHORITY_KEYID *akid = NULL;
	unsigned char *ser = NULL;
	unsigned char *q;
	int crit = 0;
	int n;
	int rc;

	if (!x || p != der + len) {
		X509_free(x);
		return xc_error_set(err, XC_EINVAL,
		                    "not a DER certificate (ARI certID)");
	}
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	if (!akid || !akid->keyid || akid->keyid->length <= 0) {
		AUTHORITY_KEYID_free(akid);
		X509_free(x);
		return xc_error_set(
		        err, XC_EINVAL,
		        "the certificate has no authority key identifier, so ARI cannot name it");
	}
	/* The serial as the content of its DER INTEGER: i2d gives tag,
	 * length and content; the length of a serial (at most 20 bytes,
	 * RFC 5280) fits in one byte. */
	n = i2d_ASN1_INTEGER((ASN1_INTEGER *)X509_get0_serialNumber(x), NULL);
	if (n < 3 || n > 130) {
		AUTHORITY_KEYID_free(akid);
		X509_free(x);
		return xc_error_set(
		        err, XC_EINVAL,
		        "the certificate's serial cannot be encoded");
	}
	ser = xc_xmalloc((size_t)n);
	q = ser;
	i2d_ASN1_INTEGER((ASN1_INTEGER *)X509_get0_serialNumber(x), &q);
	rc = xc_ari_cert_id_of(akid->keyid->data, (size_t)akid->keyid->length,
	                       ser + 2, (size_t)n - 2, out, size, err);
	free(ser);
	AUTHORITY_KEYID_free(akid);
	X509_free(x);
	return rc;
}

int xc_ari_read_cert(const char *path, unsigned char **der, size_t *len,
                     struct xc_error *err)
{
	FILE *f = fopen(path, "rb");
	X509 *x = NULL;
	unsigned char *q;
	int n;

	*der = NULL;
	*len = 0;
	if (!f)
		return xc_error_set(err, XC_ENOTFOUND, "cannot read %s: %s",
		                    path, strerror(errno));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (!x) {
		rewind(f);
		x = d2i_X509_fp(f, NULL);
	}
	fclose(f);
	ERR_clear_error();
	n = x ? i2d_X509(x, NULL) : -1;
	if (n <= 0) {
		X509_free(x);
		return xc_error_set(err, XC_EINVAL,
		                    "%s holds no certificate (PEM or DER)",
		                    path);
	}
	*der = xc_xmalloc((size_t)n);
	q = *der;
	i2d_X509(x, &q);
	*len = (size_t)n;
	X509_free(x);
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe;
	unsigned doy;
	unsigned doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int xc_ari_parse_time(const char *s, long long *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	int sign = 0;

	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600LL + mi * 60LL + sec - sign * (oh * 3600LL + om * 60LL);
	return 0;
}

/* The store path of this certificate's ARI state. */
static void state_name(const struct xc_ari_config *cfg, const char *cert_id,
                       char *buf, size_t size)
{
	char dh[65];
	char ch[65];

	xc_sha256_hex(cfg->directory_url, strlen(cfg->directory_url), dh);
	xc_sha256_hex(cert_id, strlen(cert_id), ch);
	snprintf(buf, size, "acme-%.16s/ari/%.16s.json", dh, ch);
}

/* renewalInfo of the directory: from acme.h's cache when recent, else
 * fetched.  *url caller frees; NULL when the CA has no ARI. */
static int renewal_info_url(const struct xc_ari_config *cfg,
                            struct xc_acme_http *http, long long now,
                            char **url, struct xc_error *err)
{
	struct xc_error ignore;
	struct xc_acme_resp r;
	char name[64];
	char hash[65];
	char *text = NULL;
	json_t *cache = NULL;
	json_t *dir = NULL;
	const char *cached_url;
	const char *ri;
	int rc;

	*url = NULL;
	xc_sha256_hex(cfg->directory_url, strlen(cfg->directory_url), hash);
	snprintf(name, sizeof(name), "acme-%.16s/directory.json", hash);
	if (cfg->store && xc_store_read(cfg->store, name, 1024 * 1024, &text,
	                                NULL, &ignore) == 0)
		cache = json_loads(text, 0, NULL);
	free(text);
	cached_url = json_string_value(json_object_get(cache, "url"));
	if (cached_url && strcmp(cached_url, cfg->directory_url) == 0 &&
	    json_is_object(json_object_get(cache, "directory")) &&
	    now - json_integer_value(json_object_get(cache, "fetched")) <
	            DIRECTORY_TTL &&
	    json_integer_value(json_object_get(cache, "fetched")) <= now) {
		dir = json_incref(json_object_get(cache, "directory"));
	}
	json_decref(cache);
	if (!dir) {
		rc = xc_acme_http_do(http, XC_ACME_GET, cfg->directory_url,
		                     NULL, NULL, &r, err);
		if (rc == 0 && r.status != 200) {
			char words[400];

			xc_acme_problem_words(r.body.ptr, r.body.len, r.status,
			                      0, -1, words, sizeof(words), NULL,
			                      0);
			rc = xc_error_set(
			        err, XC_EPROTO,
			        "cannot read the ACME directory %s: %s",
			        cfg->directory_url, words);
		}
		if (rc == 0) {
			dir = json_loadb(r.body.ptr ? r.body.ptr : "",
			                 r.body.len, 0, NULL);
			if (!json_is_object(dir))
				rc = xc_error_set(
				        err, XC_EPROTO,
				        "the ACME directory at %s is not a JSON object",
				        cfg->directory_url);
		}
		xc_acme_resp_release(&r);
		if (rc < 0) {
			json_decref(dir);
			return rc;
		}
	}
	ri = json_string_value(json_object_get(dir, "renewalInfo"));
	if (ri && strncmp(ri, "https://", 8) != 0) {
		json_decref(dir);
		return xc_error_set(
		        err, XC_EPROTO,
		        "the renewalInfo of the ACME directory %s is not an https:// URL",
		        cfg->directory_url);
	}
	if (ri)
		*url = xc_xstrdup(ri);
	json_decref(dir);
	return 0;
}

/* A uniformly random point in [start, end). */
static long long pick(long long start, long long end)
{
	unsigned long long v = 0;
	unsigned long long span = (unsigned long long)(end - start);

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (unsigned long long)time(NULL) * 2654435761ULL;
	return start + (long long)(v % span);
}

static void info_from_json(struct xc_ari_info *info, const json_t *v)
{
	const char *e = json_string_value(json_object_get(v, "explanation"));

	info->status = XC_ARI_WINDOW;
	info->start = json_integer_value(json_object_get(v, "start"));
	info->end = json_integer_value(json_object_get(v, "end"));
	info->chosen = json_integer_value(json_object_get(v, "chosen"));
	info->next_poll = json_integer_value(json_object_get(v, "next_poll"));
	info->retry_after =
	        json_integer_value(json_object_get(v, "retry_after"));
	snprintf(info->explanation, sizeof(info->explanation), "%s",
	         e ? e : "");
}

/* The kept state, when it is for this certID and its window is sane. */
static json_t *state_load(const struct xc_ari_config *cfg, const char *name,
                          const char *cert_id)
{
	struct xc_error ignore;
	char *text = NULL;
	json_t *v = NULL;
	const char *id;
	long long s, e, c;

	if (!cfg->store || xc_store_read(cfg->store, name, 64 * 1024, &text,
	                                 NULL, &ignore) != 0)
		return NULL;
	v = json_loads(text, 0, NULL);
	free(text);
	id = json_string_value(json_object_get(v, "cert_id"));
	s = json_integer_value(json_object_get(v, "start"));
	e = json_integer_value(json_object_get(v, "end"));
	c = json_integer_value(json_object_get(v, "chosen"));
	if (!id || strcmp(id, cert_id) != 0 || s >= e || c < s || c >= e) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* Reads the reply to renewalInfo into info (chosen not set). */
static int reply_parse(const struct xc_acme_resp *r, const char *url,
                       long long now, struct xc_ari_info *info,
                       struct xc_error *err)
{
	json_t *v = json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len, 0,
	                       NULL);
	json_t *w = json_object_get(v, "suggestedWindow");
	const char *s = json_string_value(json_object_get(w, "start"));
	const char *e = json_string_value(json_object_get(w, "end"));
	const char *x = json_string_value(json_object_get(v, "explanationURL"));
	long long retry;

	if (!s || !e || xc_ari_parse_time(s, &info->start) < 0 ||
	    xc_ari_parse_time(e, &info->end) < 0 || info->end <= info->start) {
		json_decref(v);
		return xc_error_set(
		        err, XC_EPROTO,
		        "the renewal information at %s has no suggestedWindow with an RFC 3339 start before its end",
		        url);
	}
	snprintf(info->explanation, sizeof(info->explanation), "%s",
	         x ? x : "");
	json_decref(v);
	if (xc_acme_retry_after(r->retry_after, now, &retry) < 0)
		retry = RETRY_DEFAULT;
	if (retry < RETRY_MIN)
		retry = RETRY_MIN;
	if (retry > RETRY_MAX)
		retry = RETRY_MAX;
	info->retry_after = retry;
	info->next_poll = now + retry;
	info->status = XC_ARI_WINDOW;
	return 0;
}

static int state_save(const struct xc_ari_config *cfg, const char *name,
                      const struct xc_ari_info *info, long long now,
                      struct xc_error *err)
{
	json_t *v;
	char *text;
	int rc;

	if (!cfg->store)
		return 0;
	v = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I}", "cert_id",
	              info->cert_id, "start", (json_int_t)info->start, "end",
	              (json_int_t)info->end, "chosen", (json_int_t)info->chosen,
	              "next_poll", (json_int_t)info->next_poll, "retry_after",
	              (json_int_t)info->retry_after, "explanation",
	              info->explanation, "fetched", (json_int_t)now);
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	rc = xc_store_write(cfg->store, name, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

int xc_ari_get(const struct xc_ari_config *cfg, const unsigned char *der,
               size_t len, struct xc_ari_info *info, struct xc_error *err)
{
	long long now = cfg->now ? cfg->now : (long long)time(NULL);
	struct xc_acme_http *http = NULL;
	struct xc_acme_resp r;
	json_t *kept;
	char name[96];
	char *base = NULL;
	char *url = NULL;
	size_t blen;
	int rc;

	memset(info, 0, sizeof(*info));
	memset(&r, 0, sizeof(r));
	if (strncmp(cfg->directory_url, "https://", 8) != 0)
		return xc_error_set(
		        err, XC_EINVAL,
		        "the ACME directory must be an https:// URL, not '%s'",
		        cfg->directory_url);
	if ((rc = xc_ari_cert_id(der, len, info->cert_id, sizeof(info->cert_id),
	                         err)) < 0)
		return rc;
	state_name(cfg, info->cert_id, name, sizeof(name));
	kept = state_load(cfg, name, info->cert_id);
	if (kept &&
	    now < json_integer_value(json_object_get(kept, "next_poll"))) {
		info_from_json(info, kept);
		info->from_store = true;
		json_decref(kept);
		return 0;
	}
	if ((rc = xc_acme_http_new(&http, cfg->ca_bundle, err)) < 0)
		goto out;
	if ((rc = renewal_info_url(cfg, http, now, &base, err)) < 0)
		goto out;
	if (!base) {
		info->status = XC_ARI_NONE;
		say(cfg, "the CA at %s offers no renewal information (ARI)",
		    cfg->directory_url);
		goto out;
	}
	blen = strlen(base);
	url = xc_xmalloc(blen + strlen(info->cert_id) + 2);
	snprintf(url, blen + strlen(info->cert_id) + 2, "%s%s%s", base,
	         blen && base[blen - 1] == '/' ? "" : "/", info->cert_id);
	rc = xc_acme_http_do(http, XC_ACME_GET, url, NULL, NULL, &r, err);
	if (rc < 0)
		goto out;
	if (r.status == 404) {
		rc = xc_error_set(
		        err, XC_ENOTFOUND,
		        "the CA does not know the certificate %s (renewalInfo %s: HTTP 404)",
		        info->cert_id, url);
		goto out;
	}
	if (r.status != 200) {
		char words[400];
		long long retry;

		if (xc_acme_retry_after(r.retry_after, now, &retry) < 0)
			retry = -1;
		xc_acme_problem_words(r.body.ptr, r.body.len, r.status, now,
		                      retry, words, sizeof(words), NULL, 0);
		rc = xc_error_set(err, XC_EPROTO,
		                  "renewalInfo at %s failed: %s", url, words);
		goto out;
	}
	if ((rc = reply_parse(&r, url, now, info, err)) < 0)
		goto out;
	/* The same window keeps the point chosen in it. */
	if (kept &&
	    json_integer_value(json_object_get(kept, "start")) == info->start &&
	    json_integer_value(json_object_get(kept, "end")) == info->end) {
		info->chosen =
		        json_integer_value(json_object_get(kept, "chosen"));
	} else {
		info->chosen = pick(info->start, info->end);
		info->window_changed = kept != NULL;
	}
	rc = state_save(cfg, name, info, now, err);
out:
	json_decref(kept);
	xc_acme_resp_release(&r);
	xc_acme_http_free(http);
	free(base);
	free(url);
	return rc;
}
