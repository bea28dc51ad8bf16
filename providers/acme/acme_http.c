/* SPDX-License-Identifier: MIT */
#include "providers/acme/acme_http.h"

#include <curl/curl.h>
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "state/xalloc.h"

/* An ACME reply is a small JSON document or a certificate chain. */
#define BODY_MAX ((size_t)1024 * 1024)

struct xc_acme_http {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct xc_acme_http_stats stats;
};

/* True when dir holds OpenSSL's hash links (HASH.0), so that a CA can be
 * found there by its subject without reading the whole bundle. */
static int hashed_dir(const char *dir)
{
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		size_t i;

		if (len != 10 || strcmp(e->d_name + 8, ".0") != 0)
			continue;
		for (i = 0; i < 8 && isxdigit((unsigned char)e->d_name[i]); i++)
			;
		found = i == 8;
	}
	if (d)
		closedir(d);
	return found;
}

static volatile sig_atomic_t interrupted;

void xc_acme_interrupt(void)
{
	interrupted = 1;
}

bool xc_acme_interrupted(void)
{
	return interrupted != 0;
}

/* libcurl asks between reads and writes: an interrupt ends the transfer. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
	(void)arg;
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return interrupted ? 1 : 0;
}

int xc_acme_http_new(struct xc_acme_http **out, const char *ca_bundle,
                     struct xc_error *err)
{
	const curl_version_info_data *v;

	struct xc_acme_http *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return xc_error_set(err, XC_ERR, "cannot initialise libcurl");
	h = xc_xcalloc(1, sizeof(*h));
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		curl_global_cleanup();
		return xc_error_set(err, XC_ERR, "cannot initialise libcurl");
	}
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "excert (ACME client)");
	if (ca_bundle &&
	    curl_easy_setopt(h->curl, CURLOPT_CAINFO, ca_bundle) != CURLE_OK) {
		curl_easy_cleanup(h->curl);
		free(h);
		curl_global_cleanup();
		return xc_error_set(err, XC_EINVAL,
		                    "cannot use the CA bundle %s", ca_bundle);
	}
	/* The system's trust store: looked up by hash in libcurl's CA
	 * directory when it has one (Debian's /etc/ssl/certs), instead of
	 * parsing the whole bundle (about 40 ms of CPU with OpenSSL 3.0). */
	v = curl_version_info(CURLVERSION_NOW);
	if (!ca_bundle && v->age >= CURLVERSION_SEVENTH && v->capath &&
	    hashed_dir(v->capath)) {
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h->curl, CURLOPT_CAPATH, v->capath);
	}
	*out = h;
	return 0;
}

void xc_acme_http_free(struct xc_acme_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
	curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xc_acme_resp *r = arg;

	if (xc_buf_add(&r->body, data, size * n) < 0)
		return 0; /* too large: curl stops with CURLE_WRITE_ERROR */
	return size * n;
}

/* Copies a header's value, without surrounding blanks, into out, and
 * returns its length; when that is size or more, nothing is copied. */
static size_t header_value(const char *v, size_t n, char *out, size_t size)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= size)
		return n;
	memcpy(out, v, n);
	out[n] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	static const struct {
		const char *name;
		const char *words; /* for the message */
		size_t off;
		size_t size;
	} want[] = {
	        {"replay-nonce:", "Replay-Nonce",
	         offsetof(struct xc_acme_resp, nonce),
	         sizeof(((struct xc_acme_resp *)0)->nonce)},
	        {"location:", "Location",
	         offsetof(struct xc_acme_resp, location),
	         sizeof(((struct xc_acme_resp *)0)->location)},
	        {"retry-after:", "Retry-After",
	         offsetof(struct xc_acme_resp, retry_after),
	         sizeof(((struct xc_acme_resp *)0)->retry_after)},
	        {"content-type:", "Content-Type",
	         offsetof(struct xc_acme_resp, content_type),
	         sizeof(((struct xc_acme_resp *)0)->content_type)},
	};
	struct xc_acme_resp *r = arg;
	size_t len = size * n;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t k = strlen(want[i].name);
		size_t got;

		if (len <= k || strncasecmp(data, want[i].name, k) != 0)
			continue;
		got = header_value(data + k, len - k, (char *)r + want[i].off,
		                   want[i].size);
		if (got >= want[i].size) {
			/* Never cut: curl stops with CURLE_WRITE_ERROR. */
			r->too_long = want[i].words;
			r->too_long_len = got;
			r->too_long_max = want[i].size - 1;
			return 0;
		}
	}
	return len;
}

int xc_acme_http_do(struct xc_acme_http *h, enum xc_acme_method method,
                    const char *url, const char *body, const char *accept,
                    struct xc_acme_resp *resp, struct xc_error *err)
{
	struct curl_slist *hdrs = NULL;
	char line[160];
	CURLcode cc;
	long conns = 0;

	memset(resp, 0, sizeof(*resp));
	xc_buf_init(&resp->body, BODY_MAX);
	h->errbuf[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, resp);
	/* The handle keeps the previous request's method: set all three. */
	curl_easy_setopt(h->curl, CURLOPT_NOBODY,
	                 method == XC_ACME_HEAD ? 1L : 0L);
	if (method == XC_ACME_POST) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE,
		                 (long)strlen(body));
		hdrs = curl_slist_append(hdrs,
		                         "Content-Type: application/jose+json");
		/* No 100-continue pause on HTTP/1.1 servers. */
		hdrs = curl_slist_append(hdrs, "Expect:");
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		if (method == XC_ACME_HEAD)
			curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
	}
	if (accept) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		hdrs = curl_slist_append(hdrs, line);
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = interrupted ? CURLE_ABORTED_BY_CALLBACK
	                 : curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	h->stats.requests++;
	if (method == XC_ACME_HEAD)
		h->stats.heads++;
	else if (method == XC_ACME_GET)
		h->stats.gets++;
	else
		h->stats.posts++;
	if (curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &conns) ==
	            CURLE_OK &&
	    conns > 0)
		h->stats.connections += (unsigned)conns;
	if (cc != CURLE_OK) {
		if (cc == CURLE_ABORTED_BY_CALLBACK)
			return xc_error_set(err, XC_ERR,
			                    "interrupted (talking to %s)", url);
		if (cc == CURLE_WRITE_ERROR && resp->too_long)
			return xc_error_set(
			        err, XC_EPROTO,
			        "the reply from %s has a %s header of %zu bytes, more than the %zu excert takes",
			        url, resp->too_long, resp->too_long_len,
			        resp->too_long_max);
		if (cc == CURLE_WRITE_ERROR)
			return xc_error_set(
			        err, XC_EIO,
			        "the reply from %s is larger than %zu bytes",
			        url, BODY_MAX);
		return xc_error_set(err, XC_EIO, "cannot reach %s: %s", url,
		                    h->errbuf[0] ? h->errbuf
		                                 : curl_easy_strerror(cc));
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	return 0;
}

void xc_acme_resp_release(struct xc_acme_resp *resp)
{
	xc_buf_release(&resp->body);
}

void xc_acme_http_get_stats(const struct xc_acme_http *h,
                            struct xc_acme_http_stats *out)
{
	*out = h->stats;
}

int xc_acme_retry_after(const char *value, long long now, long long *seconds)
{
	const char *p = value;
	long long n = 0;
	time_t t;

	while (*p == ' ')
		p++;
	if (*p >= '0' && *p <= '9') {
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n > 100000000LL)
				return -1;
			n = n * 10 + (*p - '0');
		}
		while (*p == ' ')
			p++;
		if (*p)
			return -1;
		*seconds = n;
		return 0;
	}
	/* An HTTP-date: IMF-fixdate, RFC 850 or asctime, all in GMT. */
	t = curl_getdate(p, NULL);
	if (t == (time_t)-1 || !*p)
		return -1;
	*seconds = (long long)t > now ? (long long)t - now : 0;
	return 0;
}
