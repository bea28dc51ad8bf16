/* SPDX-License-Identifier: MIT */
#include "providers/acme/issuer.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "providers/acme/acme.h"
#include "providers/acme/ari.h"
#include "providers/acme/dns01.h"
#include "providers/acme/jws.h"
#include "state/secret.h"
#include "state/x509.h"
#include "state/xalloc.h"

/* The order file of a request: "acme-HASH/orders/req-THUMBPRINT.json". */
static void order_name(const struct xc_acme *a, const char *request, char *buf,
                       size_t size)
{
	snprintf(buf, size, "%s/orders/req-%s.json", xc_acme_prefix(a),
	         request);
}

/* One agent operation on one server; its failure in words. */
static int agent_op(const struct xc_acme_issuer_job *job, const char *server,
                    struct xc_request *req, struct xc_error *err)
{
	struct xc_reply r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = job->call(job->call_ctx, server, req, &r, err);
	if (rc == 0 && !xc_reply_last_ok(&r, server, err))
		rc = XC_EPROTO;
	xc_reply_release(&r);
	xc_request_free(req);
	return rc;
}

static int place(const struct xc_acme_issuer_job *job, const char *token,
                 const char *keyauth, struct xc_error *err)
{
	size_t i;

	for (i = 0; i < job->nservers; i++) {
		struct xc_request *req = xc_request_new(job->servers[i]);

		xc_request_place_http01(req, token, keyauth);
		if (agent_op(job, job->servers[i], req, err) < 0) {
			xc_error_prefix(err, "placing the http-01 answer: ");
			return XC_ERR;
		}
	}
	return 0;
}

/* Removes the answer everywhere; the first failure is kept in err but the
 * other servers are still cleaned. */
static int clear(const struct xc_acme_issuer_job *job, const char *token,
                 struct xc_error *err)
{
	struct xc_error one;
	int rc = 0;
	size_t i;

	for (i = 0; i < job->nservers; i++) {
		struct xc_request *req = xc_request_new(job->servers[i]);

		xc_error_clear(&one);
		xc_request_clear_http01(req, token);
		if (agent_op(job, job->servers[i], req, &one) < 0 && rc == 0) {
			*err = one;
			xc_error_prefix(err, "removing the http-01 answer: ");
			rc = XC_ERR;
		}
	}
	return rc;
}

/* dns-01 for one name: the record published (and seen served by the
 * primary), the CA told, its answer awaited, the record deleted again on
 * success and on failure. */
static int authorize_dns(struct xc_acme *a, struct xc_dns01 *dns,
                         struct xc_acme_authz *z, struct xc_error *err)
{
	struct xc_error cerr;
	char *keyauth;
	int rc;

	if (!z->dns01_url)
		return xc_error_set(
		        err, XC_EINVAL,
		        "the CA offers no dns-01 challenge for %s (offered: %s)",
		        z->identifier, z->offered);
	keyauth = xc_acme_key_authorization(z->dns01_token,
	                                    xc_acme_thumbprint(a));
	rc = xc_dns01_add(dns, z->identifier, keyauth, err);
	if (rc == 0)
		rc = xc_dns01_publish(dns, 120 * 1000, err);
	if (rc == 0 && strcmp(z->dns01_status, "pending") == 0)
		rc = xc_acme_challenge_respond(a, z->dns01_url, err);
	if (rc == 0)
		rc = xc_acme_authz_wait(a, z, err);
	xc_error_clear(&cerr);
	if (xc_dns01_clear(dns, &cerr) < 0 && rc == 0) {
		*err = cerr;
		rc = XC_ERR;
	}
	if (rc == 0 && strcmp(z->status, "valid") != 0)
		rc = xc_error_set(err, XC_EINVAL,
		                  "dns-01 validation of %s failed (%s)%s%s",
		                  z->identifier, z->status,
		                  z->problem[0] ? ": " : "", z->problem);
	free(keyauth);
	return rc;
}

/* Proves control of one name, unless the CA holds it proven already. */
static int authorize(struct xc_acme *a, const struct xc_acme_issuer_job *job,
                     struct xc_dns01 *dns, const char *url,
                     struct xc_error *err)
{
	struct xc_acme_authz z;
	struct xc_error cerr;
	char *keyauth;
	int rc;

	memset(&z, 0, sizeof(z));
	if ((rc = xc_acme_authz_get(a, url, &z, err)) < 0)
		return rc;
	if (strcmp(z.status, "valid") == 0) {
		xc_acme_authz_release(&z);
		return 0;
	}
	if (dns && strcmp(z.status, "pending") == 0) {
		rc = authorize_dns(a, dns, &z, err);
		xc_acme_authz_release(&z);
		return rc;
	}
	if (strcmp(z.status, "pending") != 0 || !z.http01_url) {
		rc = !z.http01_url
		             ? xc_error_set(
		                       err, XC_EINVAL,
		                       "the CA offers no http-01 challenge for %s (offered: %s)",
		                       z.identifier, z.offered)
		             : xc_error_set(err, XC_EINVAL,
		                            "the authorization of %s is %s%s%s",
		                            z.identifier, z.status,
		                            z.problem[0] ? ": " : "",
		                            z.problem);
		xc_acme_authz_release(&z);
		return rc;
	}
	keyauth = xc_acme_key_authorization(z.http01_token,
	                                    xc_acme_thumbprint(a));
	if (job->log)
		fprintf(job->log,
		        "excert: acme: answering http-01 for %s on %zu server%s\n",
		        z.identifier, job->nservers,
		        job->nservers == 1 ? "" : "s");
	rc = place(job, z.http01_token, keyauth, err);
	if (rc == 0 && strcmp(z.http01_status, "pending") == 0)
		rc = xc_acme_challenge_respond(a, z.http01_url, err);
	if (rc == 0)
		rc = xc_acme_authz_wait(a, &z, err);
	xc_error_clear(&cerr);
	if (clear(job, z.http01_token, &cerr) < 0 && rc == 0) {
		*err = cerr;
		rc = XC_ERR;
	}
	if (rc == 0 && strcmp(z.status, "valid") != 0)
		rc = xc_error_set(err, XC_EINVAL,
		                  "http-01 validation of %s failed (%s)%s%s",
		                  z.identifier, z.status,
		                  z.problem[0] ? ": " : "", z.problem);
	free(keyauth);
	xc_acme_authz_release(&z);
	return rc;
}

/* The order of an interrupted apply for this request, if the CA still has
 * it and it can still succeed; else a new one, kept at once. */
static int find_order(struct xc_acme *a, const struct xc_acme_issuer_job *job,
                      struct xc_acme_order *o, bool *resumed,
                      struct xc_error *err)
{
	char name[300];
	char *text = NULL;
	json_t *doc;
	char *line;
	int rc;

	order_name(a, job->request, name, sizeof(name));
	if (xc_store_read(job->store, name, 65536, &text, NULL, err) == 0) {
		const char *url;

		doc = json_loads(text, 0, NULL);
		free(text);
		url = json_string_value(json_object_get(doc, "url"));
		rc = url ? xc_acme_order_get(a, url, o, err) : XC_EINVAL;
		json_decref(doc);
		if (rc == 0 && strcmp(o->status, "invalid") != 0) {
			*resumed = true;
			if (job->log)
				fprintf(job->log,
				        "excert: acme: resuming order %s (%s)\n",
				        o->url, o->status);
			return 0;
		}
		if (rc == 0)
			xc_acme_order_release(o);
		if (job->log)
			fprintf(job->log,
			        "excert: acme: the order of an earlier run cannot go on; placing a new one\n");
	}
	xc_error_clear(err);
	if ((rc = xc_acme_order_new(a, job->domains, job->ndomains, o, err)) <
	    0)
		return rc;
	doc = json_pack("{s:s,s:s}", "url", o->url, "request", job->request);
	line = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	rc = xc_store_write(job->store, name, line, strlen(line), 0600, err);
	free(line);
	return rc;
}

/* The TSIG key's name and algorithm from BIND's key clause, as
 * tsig-keygen writes it: key "NAME" { algorithm ALG; secret "..."; }; */
static int tsig_clause(const char *text, char *name, size_t nsize, char *alg,
                       size_t asize)
{
	const char *p = strstr(text, "key");
	const char *q;
	size_t n;

	if (!p || !(p = strchr(p, '"')) || !(q = strchr(p + 1, '"')))
		return -1;
	n = (size_t)(q - p - 1);
	if (n == 0 || n >= nsize)
		return -1;
	memcpy(name, p + 1, n);
	name[n] = '\0';
	snprintf(alg, asize, "hmac-sha256");
	if ((p = strstr(q, "algorithm"))) {
		p += strlen("algorithm");
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, "; \t\n");
		if (n == 0 || n >= asize)
			return -1;
		memcpy(alg, p, n);
		alg[n] = '\0';
	}
	return 0;
}

/* The dns-01 handle of the issuer's rfc2136 settings. */
static int dns_open(const struct xc_acme_issuer_job *job, struct xc_dns01 **out,
                    struct xc_error *err)
{
	const struct xc_rfc2136 *r =
	        job->issuer->acme->challenge->dns01->rfc2136;
	struct xc_dns01_config cfg;
	char server[300];
	char name[256];
	char alg[64];
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!r)
		return xc_error_set(err, XC_EINVAL,
		                    "dns-01 needs rfc2136 settings");
	if ((rc = xc_secret_resolve(r->key.v, job->base_dir, &text, &len,
	                            err)) < 0)
		return rc;
	if (tsig_clause(text, name, sizeof(name), alg, sizeof(alg)) < 0) {
		xc_acme_secret_free(text, len);
		return xc_error_set(
		        err, XC_EINVAL,
		        "the TSIG key that %s names is not in BIND's format (key \"NAME\" { algorithm ...; secret \"...\"; }; as tsig-keygen writes it)",
		        r->key.v);
	}
	if (strchr(r->server.v, ':'))
		snprintf(server, sizeof(server), "[%s]:%lld", r->server.v,
		         r->port.set ? r->port.v : 53);
	else
		snprintf(server, sizeof(server), "%s:%lld", r->server.v,
		         r->port.set ? r->port.v : 53);
	memset(&cfg, 0, sizeof(cfg));
	cfg.server = server;
	cfg.tsig_name = name;
	cfg.tsig_algorithm = alg;
	cfg.tsig_secret = text;
	cfg.zone = r->zone.v;
	{
		const char **sec =
		        xc_xcalloc(r->secondaries.n + 1, sizeof(*sec));
		size_t i;

		for (i = 0; i < r->secondaries.n; i++)
			sec[i] = r->secondaries.v[i].v;
		cfg.secondaries = sec;
		cfg.nsecondaries = r->secondaries.n;
		rc = xc_dns01_new(out, &cfg, err);
		free(sec);
	}
	xc_acme_secret_free(text, len);
	return rc;
}

/* The EAB key: a secret reference to the base64url key the CA gave. */
static int eab_key(const struct xc_acme_issuer_job *job, unsigned char **key,
                   size_t *len, char **kid, struct xc_error *err)
{
	const struct xc_eab *eab = job->issuer->acme->eab;
	char *text = NULL;
	int rc;

	*key = NULL;
	*kid = NULL;
	if (!eab)
		return 0;
	if ((rc = xc_secret_resolve(eab->hmac_key.v, job->base_dir, &text, NULL,
	                            err)) < 0)
		return rc;
	rc = xc_b64url_decode(text, key, len);
	xc_acme_secret_free(text, strlen(text));
	if (rc < 0)
		return xc_error_set(
		        err, XC_EINVAL,
		        "the EAB key that %s names is not base64url (as CAs give it)",
		        eab->hmac_key.v);
	{
		enum xc_secret_kind kind;
		const char *what;
		char why[200];

		if (xc_secret_ref_parse(eab->kid.v, &kind, &what, why,
		                        sizeof(why)))
			return xc_secret_resolve(eab->kid.v, job->base_dir, kid,
			                         NULL, err);
	}
	*kid = xc_xstrdup(eab->kid.v);
	return 0;
}

/* The CA bundle of the issuer, relative to excert.yaml; caller frees. */
static char *bundle_path(const struct xc_acme *ac, const char *base_dir)
{
	size_t len;
	char *p;

	if (!ac->ca_bundle.v)
		return NULL;
	len = strlen(base_dir) + strlen(ac->ca_bundle.v) + 2;
	p = xc_xmalloc(len);
	snprintf(p, len, "%s/%s", ac->ca_bundle.v[0] == '/' ? "" : base_dir,
	         ac->ca_bundle.v);
	return p;
}

int xc_acme_issuer_ari(const struct xc_issuer *issuer, const char *base_dir,
                       struct xc_store *store, const unsigned char *der,
                       size_t len, struct xc_ari_window *w, bool *has,
                       struct xc_error *err)
{
	struct xc_ari_config cfg;
	struct xc_ari_info info;
	struct xc_x509 x;
	int rc;

	*has = false;
	memset(w, 0, sizeof(*w));
	memset(&cfg, 0, sizeof(cfg));
	cfg.directory_url = issuer->acme->directory.v;
	cfg.ca_bundle = bundle_path(issuer->acme, base_dir);
	cfg.store = store;
	rc = xc_ari_get(&cfg, der, len, &info, err);
	free((char *)cfg.ca_bundle);
	if (rc < 0)
		return rc;
	if (info.status != XC_ARI_WINDOW)
		return 0;
	if ((rc = xc_x509_parse(&x, der, len, err)) < 0)
		return rc;
	snprintf(w->thumbprint, sizeof(w->thumbprint), "%s", x.thumbprint);
	xc_x509_release(&x);
	snprintf(w->issuer, sizeof(w->issuer), "%s", issuer->name.v);
	w->start = info.start;
	w->end = info.end;
	w->chosen = info.chosen;
	*has = true;
	return 0;
}

int xc_acme_issuer_issue(const struct xc_acme_issuer_job *job, char **chain_pem,
                         struct xc_error *err)
{
	const struct xc_acme *ac = job->issuer->acme;
	struct xc_acme_config cfg;
	struct xc_acme *a = NULL;
	struct xc_acme_order o;
	unsigned char *hmac = NULL;
	size_t hmac_len = 0;
	char *kid = NULL;
	char *bundle = NULL;
	char name[300];
	size_t len;
	size_t i;
	bool resumed = false;
	struct xc_dns01 *dns = NULL;
	int rc;

	*chain_pem = NULL;
	memset(&o, 0, sizeof(o));
	if (!job->store)
		return xc_error_set(err, XC_EINVAL,
		                    "an ACME issuer needs the state directory");
	if ((rc = eab_key(job, &hmac, &hmac_len, &kid, err)) < 0)
		goto out;
	memset(&cfg, 0, sizeof(cfg));
	bundle = bundle_path(ac, job->base_dir);
	cfg.directory_url = ac->directory.v;
	cfg.ca_bundle = bundle;
	cfg.eab_kid = kid;
	cfg.eab_hmac = hmac;
	cfg.eab_hmac_len = hmac_len;
	cfg.store = job->store;
	cfg.log = job->log;
	cfg.email = ac->email.v;
	if ((rc = xc_acme_open(&a, &cfg, err)) < 0 ||
	    (rc = xc_acme_account(a, err)) < 0 ||
	    (rc = find_order(a, job, &o, &resumed, err)) < 0)
		goto out;
	if (strcmp(o.status, "pending") == 0) {
		if (ac->challenge && ac->challenge->dns01 &&
		    (rc = dns_open(job, &dns, err)) < 0)
			goto out;
		for (i = 0; i < o.nauthz && rc == 0; i++)
			rc = authorize(a, job, dns, o.authz[i], err);
		if (rc == 0)
			rc = xc_acme_order_wait(a, &o, err);
	}
	if (rc == 0 && strcmp(o.status, "ready") == 0) {
		rc = xc_acme_finalize(a, &o, job->csr, job->csr_len, err);
		if (rc == 0)
			rc = xc_acme_order_wait(a, &o, err);
	}
	if (rc == 0 && strcmp(o.status, "valid") != 0)
		rc = xc_error_set(err, XC_EINVAL, "the order %s is %s%s%s",
		                  o.url, o.status, o.problem[0] ? ": " : "",
		                  o.problem);
	if (rc == 0)
		rc = xc_acme_certificate(a, &o, chain_pem, &len, err);
	if (rc == 0) {
		if (job->note)
			snprintf(job->note, job->note_size, "order %s%s", o.url,
			         resumed ? ", resumed" : "");
		order_name(a, job->request, name, sizeof(name));
		xc_store_remove(job->store, name, err);
		xc_error_clear(err);
	}
out:
	if (rc < 0)
		xc_error_prefix(err,
		                "issuer '%s' (ACME %s): ", job->issuer->name.v,
		                ac->directory.v);
	xc_dns01_free(dns);
	xc_acme_order_release(&o);
	xc_acme_close(a);
	if (hmac)
		xc_acme_secret_free(hmac, hmac_len);
	free(kid);
	free(bundle);
	return rc < 0 ? rc : 0;
}
