/* SPDX-License-Identifier: MIT */
#include "providers/acme/acme.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/acme/jws.h"
#include "providers/acme/problem.h"
#include "state/clock.h"
#include "state/buf.h"
#include "state/secret.h"
#include "state/x509.h"
#include "state/xalloc.h"

/* The first wait before polling an authorization or an order that is
 * still pending or processing, doubled each time up to 4 s: a CA that
 * validates at once (Pebble: a few ms) is not waited for much longer. */
#define XC_ACME_POLL_FIRST_MS 10

/* A directory read from the store is used for this long. */
#define DIRECTORY_TTL (24LL * 3600)

struct xc_acme {
	struct xc_acme_config cfg;
	struct xc_acme_http *http;
	char prefix[32]; /* acme-HASH */
	json_t *dir;     /* the directory document */
	const char *new_nonce;
	const char *new_account;
	const char *new_order;
	bool eab_required;
	bool dir_cached;
	bool account_cached;
	struct xc_acme_key *key;
	char thumbprint[44];
	char *kid; /* account URL; NULL until known */
	char nonce[256];
	unsigned badnonce;
};

static void progress(const struct xc_acme *a, const char *fmt, const char *s)
{
	if (a->cfg.log) {
		fputs("excert: acme: ", a->cfg.log);
		fprintf(a->cfg.log, fmt, s);
		fputc('\n', a->cfg.log);
	}
}

/* The store path of one of this directory's files. */
static const char *path(const struct xc_acme *a, const char *name, char *buf,
                        size_t size)
{
	snprintf(buf, size, "%s/%s", a->prefix, name);
	return buf;
}

/* A JSON body, or NULL with err set. */
static json_t *parse_body(const struct xc_acme_resp *r, const char *url,
                          struct xc_error *err)
{
	json_error_t je;
	json_t *v = json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len,
	                       JSON_REJECT_DUPLICATES, &je);

	if (!json_is_object(v)) {
		json_decref(v);
		xc_error_set(err, XC_EPROTO,
		             "the reply from %s is not a JSON object: %s", url,
		             je.text);
		return NULL;
	}
	return v;
}

/* An owned copy of a string member, or NULL. */
static char *str_member(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? xc_xstrdup(s) : NULL;
}

static bool https_url(const char *s)
{
	return s && strncmp(s, "https://", 8) == 0;
}

/* ---- the directory ---- */

static int directory_use(struct xc_acme *a, json_t *dir, struct xc_error *err)
{
	json_t *meta = json_object_get(dir, "meta");

	a->new_nonce = json_string_value(json_object_get(dir, "newNonce"));
	a->new_account = json_string_value(json_object_get(dir, "newAccount"));
	a->new_order = json_string_value(json_object_get(dir, "newOrder"));
	if (!https_url(a->new_nonce) || !https_url(a->new_account) ||
	    !https_url(a->new_order)) {
		json_decref(dir);
		return xc_error_set(
		        err, XC_EPROTO,
		        "the ACME directory at %s lacks newNonce, newAccount or newOrder (as https:// URLs)",
		        a->cfg.directory_url);
	}
	a->eab_required =
	        json_is_true(json_object_get(meta, "externalAccountRequired"));
	json_decref(a->dir);
	a->dir = dir;
	return 0;
}

static int directory_fetch(struct xc_acme *a, struct xc_error *err)
{
	struct xc_acme_resp r;
	json_t *dir;
	json_t *cache;
	char *text;
	char p[64];
	int rc;

	rc = xc_acme_http_do(a->http, XC_ACME_GET, a->cfg.directory_url, NULL,
	                     NULL, &r, err);
	if (rc == 0 && r.status != 200) {
		char words[400];

		xc_acme_problem_words(r.body.ptr, r.body.len, r.status, 0, -1,
		                      words, sizeof(words), NULL, 0);
		rc = xc_error_set(err, XC_EPROTO,
		                  "cannot read the ACME directory %s: %s",
		                  a->cfg.directory_url, words);
	}
	if (r.nonce[0])
		snprintf(a->nonce, sizeof(a->nonce), "%s", r.nonce);
	dir = rc == 0 ? parse_body(&r, a->cfg.directory_url, err) : NULL;
	xc_acme_resp_release(&r);
	if (!dir)
		return rc < 0 ? rc : XC_EPROTO;
	if ((rc = directory_use(a, dir, err)) < 0)
		return rc;
	a->dir_cached = false;
	cache = json_pack("{s:s, s:I, s:O}", "url", a->cfg.directory_url,
	                  "fetched", (json_int_t)time(NULL), "directory",
	                  a->dir);
	text = json_dumps(cache, JSON_COMPACT);
	json_decref(cache);
	rc = xc_store_write(a->cfg.store,
	                    path(a, "directory.json", p, sizeof(p)), text,
	                    strlen(text), 0600, err);
	free(text);
	return rc;
}

/* The directory from the store when it is recent and for this URL. */
static int directory_load(struct xc_acme *a, struct xc_error *err)
{
	struct xc_error ignore;
	char *text = NULL;
	json_t *cache = NULL;
	json_t *dir;
	const char *url;
	long long fetched;
	long long now = (long long)time(NULL);
	char p[64];

	if (xc_store_read(a->cfg.store, path(a, "directory.json", p, sizeof(p)),
	                  1024 * 1024, &text, NULL, &ignore) == 0)
		cache = json_loads(text, 0, NULL);
	free(text);
	url = json_string_value(json_object_get(cache, "url"));
	fetched = json_integer_value(json_object_get(cache, "fetched"));
	dir = json_object_get(cache, "directory");
	if (url && strcmp(url, a->cfg.directory_url) == 0 &&
	    json_is_object(dir) && fetched <= now &&
	    now - fetched < DIRECTORY_TTL &&
	    directory_use(a, json_incref(dir), &ignore) == 0) {
		a->dir_cached = true;
		json_decref(cache);
		return 0;
	}
	json_decref(cache);
	return directory_fetch(a, err);
}

/* ---- nonces and signed requests ---- */

static int fresh_nonce(struct xc_acme *a, struct xc_error *err)
{
	struct xc_acme_resp r;
	int rc;
	bool retried = false;

again:
	rc = xc_acme_http_do(a->http, XC_ACME_HEAD, a->new_nonce, NULL, NULL,
	                     &r, err);
	if (rc == 0 && (r.status == 200 || r.status == 204) && r.nonce[0]) {
		snprintf(a->nonce, sizeof(a->nonce), "%s", r.nonce);
		xc_acme_resp_release(&r);
		return 0;
	}
	xc_acme_resp_release(&r);
	if (rc < 0)
		return rc;
	/* A directory from the store may have gone stale: read it again. */
	if (a->dir_cached && !retried) {
		retried = true;
		if ((rc = directory_fetch(a, err)) < 0)
			return rc;
		goto again;
	}
	return xc_error_set(err, XC_EPROTO,
	                    "the CA's newNonce %s gave HTTP %ld and no nonce",
	                    a->new_nonce, r.status);
}

/*
 * A signed POST (payload NULL: POST-as-GET).  On an HTTP error the problem
 * is in err ("WHAT at URL failed: words") and its short type in ptype; r
 * holds the reply either way and is the caller's to release.
 */
static int post(struct xc_acme *a, const char *url, const char *payload,
                bool use_jwk, const char *accept, const char *what,
                struct xc_acme_resp *r, char *ptype, size_t ptype_size,
                struct xc_error *err)
{
	unsigned attempt;
	char words[400];
	char type[64];
	long long retry;
	char *body;
	int rc;

	if (ptype_size)
		ptype[0] = '\0';
	for (attempt = 0;; attempt++) {
		memset(r, 0, sizeof(*r));
		if (!a->nonce[0] && (rc = fresh_nonce(a, err)) < 0)
			return rc;
		body = xc_jws_sign(a->key, url, a->nonce,
		                   use_jwk ? NULL : a->kid, payload, err);
		if (!body)
			return err->code;
		a->nonce[0] = '\0';
		rc = xc_acme_http_do(a->http, XC_ACME_POST, url, body, accept,
		                     r, err);
		free(body);
		if (rc < 0) {
			xc_error_prefix(err, "%s: ", what);
			return rc;
		}
		if (r->nonce[0])
			snprintf(a->nonce, sizeof(a->nonce), "%s", r->nonce);
		if (r->status < 400)
			return 0;
		if (xc_acme_retry_after(r->retry_after, (long long)time(NULL),
		                        &retry) < 0)
			retry = -1;
		xc_acme_problem_words(r->body.ptr, r->body.len, r->status,
		                      (long long)time(NULL), retry, words,
		                      sizeof(words), type, sizeof(type));
		if (strcmp(type, "badNonce") == 0 &&
		    attempt < XC_ACME_BADNONCE_RETRIES) {
			a->badnonce++;
			xc_acme_resp_release(r);
			continue;
		}
		if (ptype_size)
			snprintf(ptype, ptype_size, "%s", type);
		return xc_error_set(err, xc_acme_problem_code(type),
		                    "%s at %s failed: %s", what, url, words);
	}
}

/* ---- the account ---- */

static int key_load(struct xc_acme *a, struct xc_error *err)
{
	char p[64];
	char *pem = NULL;
	size_t len = 0;
	json_t *jwk;
	int rc;

	path(a, "account.key", p, sizeof(p));
	rc = xc_store_read(a->cfg.store, p, 64 * 1024, &pem, &len, err);
	if (rc == 0) {
		a->key = xc_acme_key_from_pem(pem, len, "the account key", err);
		xc_wipe_free(pem, len);
		if (!a->key)
			return err->code;
	} else if (rc == XC_ENOTFOUND) {
		a->key = xc_acme_key_new(XC_ACME_KEY_EC256, err);
		if (!a->key)
			return err->code;
		pem = xc_acme_key_pem(a->key, &len, err);
		if (!pem)
			return err->code;
		/* Written before any use, so that an account the CA makes is
		 * never left without its key. */
		rc = xc_store_write(a->cfg.store, p, pem, len, 0600, err);
		xc_wipe_free(pem, len);
		if (rc < 0)
			return rc;
		xc_store_remove(a->cfg.store,
		                path(a, "account.json", p, sizeof(p)), err);
	} else {
		return rc;
	}
	jwk = xc_acme_key_jwk(a->key, err);
	if (!jwk)
		return err->code;
	rc = xc_jwk_thumbprint(jwk, a->thumbprint, err);
	json_decref(jwk);
	return rc;
}

static void account_cache_load(struct xc_acme *a)
{
	struct xc_error ignore;
	char p[64];
	char *text = NULL;
	json_t *v = NULL;
	const char *url;
	const char *tp;

	if (xc_store_read(a->cfg.store, path(a, "account.json", p, sizeof(p)),
	                  64 * 1024, &text, NULL, &ignore) == 0)
		v = json_loads(text, 0, NULL);
	free(text);
	url = json_string_value(json_object_get(v, "account"));
	tp = json_string_value(json_object_get(v, "thumbprint"));
	/* Only for this key: an account file beside another key is stale. */
	if (https_url(url) && tp && strcmp(tp, a->thumbprint) == 0) {
		a->kid = xc_xstrdup(url);
		a->account_cached = true;
	}
	json_decref(v);
}

int xc_acme_account(struct xc_acme *a, struct xc_error *err)
{
	struct xc_acme_resp r;
	json_t *req;
	json_t *acct;
	json_t *jwk;
	char *payload;
	char *text;
	const char *status;
	char p[64];
	int rc;

	if (a->kid)
		return 0;
	if (a->eab_required && !a->cfg.eab_kid)
		return xc_error_set(
		        err, XC_EAUTH,
		        "the CA at %s requires an external account binding: give --eab-kid and --eab-hmac",
		        a->cfg.directory_url);
	req = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	/* RFC 8555 §7.3: where the CA writes about the account. */
	if (a->cfg.email && a->cfg.email[0]) {
		size_t n = strlen(a->cfg.email) + sizeof("mailto:");
		char *uri = xc_xmalloc(n);

		snprintf(uri, n, "mailto:%s", a->cfg.email);
		json_object_set_new(req, "contact", json_pack("[s]", uri));
		free(uri);
	}
	if (a->cfg.eab_kid) {
		json_t *eab;

		jwk = xc_acme_key_jwk(a->key, err);
		eab = jwk ? xc_jws_eab(a->cfg.eab_kid, a->cfg.eab_hmac,
		                       a->cfg.eab_hmac_len, a->new_account, jwk,
		                       err)
		          : NULL;
		json_decref(jwk);
		if (!eab) {
			json_decref(req);
			return err->code;
		}
		json_object_set_new(req, "externalAccountBinding", eab);
	}
	payload = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	rc = post(a, a->new_account, payload, true, NULL,
	          "account registration", &r, NULL, 0, err);
	free(payload);
	if (rc < 0) {
		xc_acme_resp_release(&r);
		return rc;
	}
	acct = parse_body(&r, a->new_account, err);
	status = json_string_value(json_object_get(acct, "status"));
	if (acct &&
	    (!https_url(r.location) || !status || strcmp(status, "valid") != 0))
		rc = xc_error_set(
		        err, XC_EPROTO,
		        "account registration at %s gave no valid account (status %s)",
		        a->new_account, status ? status : "missing");
	else if (!acct)
		rc = err->code;
	if (rc == 0) {
		const char *tos = json_string_value(json_object_get(
		        json_object_get(a->dir, "meta"), "termsOfService"));

		const char *contact = json_string_value(
		        json_array_get(json_object_get(acct, "contact"), 0));

		a->kid = xc_xstrdup(r.location);
		progress(a, "account %s", a->kid);
		if (contact)
			progress(a, "account contact %s", contact);
		if (r.status == 201 && tos)
			progress(
			        a,
			        "new account: agreed to the CA's terms of service, %s",
			        tos);
		req = json_pack("{s:s, s:s, s:s}", "directory",
		                a->cfg.directory_url, "account", a->kid,
		                "thumbprint", a->thumbprint);
		text = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		rc = xc_store_write(a->cfg.store,
		                    path(a, "account.json", p, sizeof(p)), text,
		                    strlen(text), 0600, err);
		free(text);
	}
	json_decref(acct);
	xc_acme_resp_release(&r);
	return rc;
}

/* ---- open and close ---- */

int xc_acme_open(struct xc_acme **out, const struct xc_acme_config *cfg,
                 struct xc_error *err)
{
	struct xc_acme *a;
	char hash[65];
	int rc;

	if (!https_url(cfg->directory_url))
		return xc_error_set(
		        err, XC_EINVAL,
		        "the ACME directory must be an https:// URL, not '%s'",
		        cfg->directory_url);
	a = xc_xcalloc(1, sizeof(*a));
	a->cfg = *cfg;
	xc_sha256_hex(cfg->directory_url, strlen(cfg->directory_url), hash);
	snprintf(a->prefix, sizeof(a->prefix), "acme-%.16s", hash);
	if ((rc = xc_acme_http_new(&a->http, cfg->ca_bundle, err)) < 0 ||
	    (rc = directory_load(a, err)) < 0 || (rc = key_load(a, err)) < 0) {
		xc_acme_close(a);
		return rc;
	}
	account_cache_load(a);
	*out = a;
	return 0;
}

void xc_acme_process_ends_with_run(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}

void xc_acme_close(struct xc_acme *a)
{
	if (!a)
		return;
	xc_acme_http_free(a->http);
	json_decref(a->dir);
	xc_acme_key_free(a->key);
	free(a->kid);
	free(a);
}

const char *xc_acme_prefix(const struct xc_acme *a)
{
	return a->prefix;
}

const char *xc_acme_thumbprint(const struct xc_acme *a)
{
	return a->thumbprint;
}

void xc_acme_get_stats(const struct xc_acme *a, struct xc_acme_stats *out)
{
	xc_acme_http_get_stats(a->http, &out->http);
	out->badnonce_retries = a->badnonce;
	out->directory_cached = a->dir_cached;
	out->account_cached = a->account_cached;
}

/* ---- orders ---- */

void xc_acme_order_release(struct xc_acme_order *o)
{
	size_t i;

	free(o->url);
	for (i = 0; i < o->nauthz; i++)
		free(o->authz[i]);
	free(o->authz);
	free(o->finalize);
	free(o->certificate);
	memset(o, 0, sizeof(*o));
}

/* Fills o (whose url is set) from an order object; asked is the number of
 * names the order was placed for, 0 when not known here. */
static int order_parse(struct xc_acme_order *o, const json_t *v, size_t asked,
                       struct xc_error *err)
{
	const char *status = json_string_value(json_object_get(v, "status"));
	json_t *authz = json_object_get(v, "authorizations");
	json_t *ids = json_object_get(v, "identifiers");
	json_t *problem = json_object_get(v, "error");
	size_t n = json_array_size(authz);
	size_t i;

	if (!status || !json_is_array(authz) ||
	    !https_url(json_string_value(json_object_get(v, "finalize"))))
		return xc_error_set(
		        err, XC_EPROTO,
		        "the order %s lacks its status, authorizations or finalize URL",
		        o->url);
	/* Each authorization is a request or more: a CA does not get to
	 * make a run read ten thousand of them. */
	if (json_is_array(ids) && asked == 0)
		asked = json_array_size(ids);
	if (asked > 0 && n > asked)
		return xc_error_set(
		        err, XC_EPROTO,
		        "the order %s has %zu authorizations for %zu name%s: refused (at most one per name)",
		        o->url, n, asked, asked == 1 ? "" : "s");
	if (n > XC_ACME_MAX_NAMES)
		return xc_error_set(
		        err, XC_EPROTO,
		        "the order %s has %zu authorizations: refused (at most %d)",
		        o->url, n, XC_ACME_MAX_NAMES);
	snprintf(o->status, sizeof(o->status), "%s", status);
	for (i = 0; i < o->nauthz; i++)
		free(o->authz[i]);
	free(o->authz);
	o->nauthz = json_array_size(authz);
	o->authz = xc_xcalloc(o->nauthz ? o->nauthz : 1, sizeof(char *));
	for (i = 0; i < o->nauthz; i++) {
		const char *u = json_string_value(json_array_get(authz, i));

		if (!https_url(u))
			return xc_error_set(
			        err, XC_EPROTO,
			        "the order %s has an authorization that is not an https:// URL",
			        o->url);
		o->authz[i] = xc_xstrdup(u);
	}
	free(o->finalize);
	o->finalize = str_member(v, "finalize");
	free(o->certificate);
	o->certificate = str_member(v, "certificate");
	o->problem[0] = '\0';
	if (json_is_object(problem)) {
		char *text = json_dumps(problem, JSON_COMPACT);

		xc_acme_problem_words(text, strlen(text), 0, 0, -1, o->problem,
		                      sizeof(o->problem), NULL, 0);
		free(text);
	}
	return 0;
}

/* Reads the reply r to a request about the order o (asked: as for
 * order_parse). */
static int order_reply(struct xc_acme_order *o, const struct xc_acme_resp *r,
                       size_t asked, struct xc_error *err)
{
	json_t *v = parse_body(r, o->url, err);
	int rc;

	if (!v)
		return err->code;
	rc = order_parse(o, v, asked, err);
	json_decref(v);
	return rc;
}

int xc_acme_order_new(struct xc_acme *a, const char *const *domains, size_t n,
                      struct xc_acme_order *o, struct xc_error *err)
{
	struct xc_acme_resp r;
	json_t *ids = json_array();
	json_t *req;
	char *payload;
	char type[64];
	char p[64];
	size_t i;
	int rc;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n; i++)
		json_array_append_new(ids,
		                      json_pack("{s:s, s:s}", "type", "dns",
		                                "value", domains[i]));
	req = json_pack("{s:o}", "identifiers", ids);
	payload = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if ((rc = xc_acme_account(a, err)) < 0)
		goto out;
	rc = post(a, a->new_order, payload, false, NULL, "new order", &r, type,
	          sizeof(type), err);
	if (rc < 0 && strcmp(type, "accountDoesNotExist") == 0 &&
	    a->account_cached) {
		/* The CA forgot the cached account (a test CA restarted):
		 * register again, once. */
		xc_acme_resp_release(&r);
		progress(a,
		         "the CA no longer knows account %s; registering again",
		         a->kid);
		free(a->kid);
		a->kid = NULL;
		a->account_cached = false;
		xc_store_remove(a->cfg.store,
		                path(a, "account.json", p, sizeof(p)), err);
		if ((rc = xc_acme_account(a, err)) < 0)
			goto out;
		rc = post(a, a->new_order, payload, false, NULL, "new order",
		          &r, type, sizeof(type), err);
	}
	if (rc == 0 && !https_url(r.location))
		rc = xc_error_set(
		        err, XC_EPROTO,
		        "new order at %s: the reply has no order URL (Location)",
		        a->new_order);
	if (rc == 0) {
		o->url = xc_xstrdup(r.location);
		rc = order_reply(o, &r, n, err);
	}
	xc_acme_resp_release(&r);
out:
	free(payload);
	return rc;
}

int xc_acme_order_get(struct xc_acme *a, const char *url,
                      struct xc_acme_order *o, struct xc_error *err)
{
	struct xc_acme_resp r;
	char *copy = xc_xstrdup(url); /* url may be o->url */
	int rc;

	xc_acme_order_release(o);
	o->url = copy;
	if ((rc = xc_acme_account(a, err)) < 0)
		return rc;
	rc = post(a, url, NULL, false, NULL, "reading the order", &r, NULL, 0,
	          err);
	if (rc < 0 && r.status == 404)
		rc = XC_ENOTFOUND;
	if (rc == 0)
		rc = order_reply(o, &r, 0, err);
	xc_acme_resp_release(&r);
	return rc;
}

long long xc_acme_poll_delay(const char *retry_after, long long now,
                             long long *backoff, long long left_ms)
{
	long long secs;
	long long ms;

	if (retry_after && retry_after[0] &&
	    xc_acme_retry_after(retry_after, now, &secs) == 0) {
		ms = secs > XC_ACME_POLL_CAP_MS / 1000 ? XC_ACME_POLL_CAP_MS
		                                       : secs * 1000;
		if (ms < XC_ACME_POLL_MIN_MS)
			ms = XC_ACME_POLL_MIN_MS;
	} else {
		ms = *backoff;
		*backoff = *backoff * 2 > 4000 ? 4000 : *backoff * 2;
	}
	if (ms > left_ms)
		ms = left_ms > 0 ? left_ms : 0;
	return ms;
}

/* Waits before polling again (xc_acme_poll_delay); XC_ETIMEOUT once the
 * deadline has passed. */
static int poll_wait(const struct xc_acme_resp *r, long long *backoff,
                     long long deadline, const char *what, struct xc_error *err)
{
	long long left = deadline - xc_clock_ms();

	if (left <= 0)
		return xc_error_set(err, XC_ETIMEOUT,
		                    "%s: still not done after %lld s", what,
		                    XC_ACME_POLL_DEADLINE_MS / 1000);
	xc_sleep_ms(xc_acme_poll_delay(r->retry_after, (long long)time(NULL),
	                               backoff, left),
	            xc_acme_interrupted);
	if (xc_acme_interrupted())
		return xc_error_set(err, XC_ERR, "%s: interrupted", what);
	return 0;
}

int xc_acme_order_wait(struct xc_acme *a, struct xc_acme_order *o,
                       struct xc_error *err)
{
	long long deadline = xc_clock_ms() + XC_ACME_POLL_DEADLINE_MS;
	long long backoff = XC_ACME_POLL_FIRST_MS;
	struct xc_acme_resp r;
	char what[2100];
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(what, sizeof(what), "the order %s", o->url);
	while (strcmp(o->status, "pending") == 0 ||
	       strcmp(o->status, "processing") == 0) {
		rc = poll_wait(&r, &backoff, deadline, what, err);
		xc_acme_resp_release(&r);
		if (rc < 0)
			return rc;
		rc = post(a, o->url, NULL, false, NULL, "reading the order", &r,
		          NULL, 0, err);
		if (rc == 0)
			rc = order_reply(o, &r, 0, err);
		if (rc < 0) {
			xc_acme_resp_release(&r);
			return rc;
		}
	}
	xc_acme_resp_release(&r);
	return 0;
}

int xc_acme_finalize(struct xc_acme *a, struct xc_acme_order *o,
                     const unsigned char *csr, size_t len, struct xc_error *err)
{
	struct xc_acme_resp r;
	char *b64 = xc_b64url_encode(csr, len);
	json_t *req = json_pack("{s:s}", "csr", b64);
	char *payload = json_dumps(req, JSON_COMPACT);
	int rc;

	json_decref(req);
	free(b64);
	rc = post(a, o->finalize, payload, false, NULL, "finalizing the order",
	          &r, NULL, 0, err);
	free(payload);
	if (rc == 0)
		rc = order_reply(o, &r, 0, err);
	xc_acme_resp_release(&r);
	return rc;
}

int xc_acme_certificate(struct xc_acme *a, const struct xc_acme_order *o,
                        char **pem, size_t *len, struct xc_error *err)
{
	struct xc_acme_resp r;
	int rc;

	*pem = NULL;
	if (!https_url(o->certificate))
		return xc_error_set(
		        err, XC_EPROTO,
		        "the valid order %s names no certificate URL", o->url);
	rc = post(a, o->certificate, NULL, false,
	          "application/pem-certificate-chain",
	          "downloading the certificate", &r, NULL, 0, err);
	if (rc == 0)
		*pem = xc_buf_detach(&r.body, len);
	xc_acme_resp_release(&r);
	return rc;
}

/* ---- authorizations ---- */

void xc_acme_authz_release(struct xc_acme_authz *z)
{
	free(z->url);
	free(z->identifier);
	free(z->http01_url);
	free(z->http01_token);
	free(z->dns01_url);
	free(z->dns01_token);
	memset(z, 0, sizeof(*z));
}

static int authz_parse(struct xc_acme_authz *z, const json_t *v,
                       struct xc_error *err)
{
	const char *status = json_string_value(json_object_get(v, "status"));
	const char *ident = json_string_value(
	        json_object_get(json_object_get(v, "identifier"), "value"));
	json_t *chs = json_object_get(v, "challenges");
	struct xc_buf offered;
	size_t i;

	if (!status || !ident || !json_is_array(chs))
		return xc_error_set(
		        err, XC_EPROTO,
		        "the authorization %s lacks its status, identifier or challenges",
		        z->url);
	snprintf(z->status, sizeof(z->status), "%s", status);
	free(z->identifier);
	z->identifier = xc_xstrdup(ident);
	z->wildcard = json_is_true(json_object_get(v, "wildcard"));
	free(z->http01_url);
	free(z->http01_token);
	z->http01_url = NULL;
	z->http01_token = NULL;
	free(z->dns01_url);
	free(z->dns01_token);
	z->dns01_url = NULL;
	z->dns01_token = NULL;
	z->problem[0] = '\0';
	xc_buf_init(&offered, sizeof(z->offered) - 1);
	for (i = 0; i < json_array_size(chs); i++) {
		const json_t *c = json_array_get(chs, i);
		const char *type =
		        json_string_value(json_object_get(c, "type"));
		const char *url = json_string_value(json_object_get(c, "url"));
		const char *token =
		        json_string_value(json_object_get(c, "token"));
		const char *cs =
		        json_string_value(json_object_get(c, "status"));
		json_t *problem = json_object_get(c, "error");

		if (!type)
			continue;
		xc_buf_printf(&offered, "%s%s", offered.len ? ", " : "", type);
		if (json_is_object(problem)) {
			char *text = json_dumps(problem, JSON_COMPACT);

			xc_acme_problem_words(text, strlen(text), 0, 0, -1,
			                      z->problem, sizeof(z->problem),
			                      NULL, 0);
			free(text);
		}
		if (strcmp(type, "dns-01") == 0 && !z->dns01_url) {
			if (!https_url(url) || !token ||
			    !xc_acme_token_ok(token)) {
				xc_buf_release(&offered);
				return xc_error_set(
				        err, XC_EPROTO,
				        "the dns-01 challenge of %s has no https:// URL or a token that is not base64url",
				        ident);
			}
			z->dns01_url = xc_xstrdup(url);
			z->dns01_token = xc_xstrdup(token);
			snprintf(z->dns01_status, sizeof(z->dns01_status), "%s",
			         cs ? cs : "");
			continue;
		}
		if (strcmp(type, "http-01") != 0 || z->http01_url)
			continue;
		if (!https_url(url) || !token || !xc_acme_token_ok(token)) {
			xc_buf_release(&offered);
			return xc_error_set(
			        err, XC_EPROTO,
			        "the http-01 challenge of %s has no https:// URL or a token that is not base64url",
			        ident);
		}
		z->http01_url = xc_xstrdup(url);
		z->http01_token = xc_xstrdup(token);
		snprintf(z->http01_status, sizeof(z->http01_status), "%s",
		         cs ? cs : "");
	}
	snprintf(z->offered, sizeof(z->offered), "%s", xc_buf_cstr(&offered));
	xc_buf_release(&offered);
	return 0;
}

static int authz_read(struct xc_acme *a, struct xc_acme_authz *z,
                      struct xc_acme_resp *r, struct xc_error *err)
{
	json_t *v;
	int rc;

	rc = post(a, z->url, NULL, false, NULL, "reading the authorization", r,
	          NULL, 0, err);
	if (rc < 0)
		return rc;
	v = parse_body(r, z->url, err);
	if (!v)
		return err->code;
	rc = authz_parse(z, v, err);
	json_decref(v);
	return rc;
}

int xc_acme_authz_get(struct xc_acme *a, const char *url,
                      struct xc_acme_authz *z, struct xc_error *err)
{
	struct xc_acme_resp r;
	char *copy = xc_xstrdup(url); /* url may be z->url */
	int rc;

	xc_acme_authz_release(z);
	z->url = copy;
	rc = authz_read(a, z, &r, err);
	xc_acme_resp_release(&r);
	return rc;
}

int xc_acme_challenge_respond(struct xc_acme *a, const char *url,
                              struct xc_error *err)
{
	struct xc_acme_resp r;
	int rc;

	rc = post(a, url, "{}", false, NULL, "answering the challenge", &r,
	          NULL, 0, err);
	xc_acme_resp_release(&r);
	return rc;
}

int xc_acme_authz_wait(struct xc_acme *a, struct xc_acme_authz *z,
                       struct xc_error *err)
{
	long long deadline = xc_clock_ms() + XC_ACME_POLL_DEADLINE_MS;
	long long backoff = XC_ACME_POLL_FIRST_MS;
	struct xc_acme_resp r;
	char what[2100];
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(what, sizeof(what), "the authorization of %s (%s)",
	         z->identifier, z->url);
	while (strcmp(z->status, "pending") == 0) {
		rc = poll_wait(&r, &backoff, deadline, what, err);
		xc_acme_resp_release(&r);
		if (rc < 0)
			return rc;
		rc = authz_read(a, z, &r, err);
		if (rc < 0) {
			xc_acme_resp_release(&r);
			return rc;
		}
	}
	xc_acme_resp_release(&r);
	return 0;
}
