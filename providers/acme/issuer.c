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
#include "providers/acme/order.h"
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
		rc = err->code;
	xc_reply_release(&r);
	xc_request_free(req);
	return rc;
}

/* http-01 answered in IIS through the agent, on every server of the
 * certificate (a load balancer may send the CA to any of them). */
struct agent_responder {
	const struct xc_acme_issuer_job *job;
	char **tokens; /* placed somewhere, owned */
	size_t ntokens;
};

static int agent_place(void *ctx, const struct xc_acme_authz *z,
                       const char *token, const char *keyauth,
                       struct xc_error *err)
{
	struct agent_responder *ar = ctx;
	const struct xc_acme_issuer_job *job = ar->job;
	size_t i;

	if (job->log)
		fprintf(job->log,
		        "excert: acme: answering http-01 for %s on %zu server%s\n",
		        z->identifier, job->nservers,
		        job->nservers == 1 ? "" : "s");
	ar->tokens = xc_xrealloc(ar->tokens,
	                         (ar->ntokens + 1) * sizeof(*ar->tokens));
	ar->tokens[ar->ntokens++] = xc_xstrdup(token);
	for (i = 0; i < job->nservers; i++) {
		struct xc_request *req = xc_request_new(job->servers[i]);
		int rc;

		xc_request_place_http01(req, token, keyauth);
		if ((rc = agent_op(job, job->servers[i], req, err)) < 0) {
			xc_error_prefix(err, "placing the http-01 answer: ");
			return rc;
		}
	}
	return 0;
}

/* Removes every answer everywhere; the first failure is kept in err but
 * the other servers are still cleaned. */
static int agent_clear(void *ctx, struct xc_error *err)
{
	struct agent_responder *ar = ctx;
	const struct xc_acme_issuer_job *job = ar->job;
	struct xc_error one;
	int rc = 0;
	size_t i;
	size_t t;

	for (t = 0; t < ar->ntokens; t++)
		for (i = 0; i < job->nservers; i++) {
			struct xc_request *req =
			        xc_request_new(job->servers[i]);

			xc_error_clear(&one);
			xc_request_clear_http01(req, ar->tokens[t]);
			if (agent_op(job, job->servers[i], req, &one) < 0 &&
			    rc == 0) {
				*err = one;
				xc_error_prefix(
				        err, "removing the http-01 answer: ");
				rc = one.code ? (int)one.code : XC_ERR;
			}
		}
	for (t = 0; t < ar->ntokens; t++)
		free(ar->tokens[t]);
	free(ar->tokens);
	ar->tokens = NULL;
	ar->ntokens = 0;
	return rc;
}

static const struct xc_acme_responder_ops agent_responder = {
        .kind = "http-01",
        .place = agent_place,
        .clear = agent_clear,
};

/* The order of an interrupted apply for this request, if the CA still has
 * it and it can still succeed; else o stays empty for a new one. */
static int find_order(struct xc_acme *a, const struct xc_acme_issuer_job *job,
                      struct xc_acme_order *o, bool *resumed,
                      struct xc_error *err)
{
	char name[300];
	char *text = NULL;
	json_t *doc;
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
		memset(o, 0, sizeof(*o));
		if (job->log)
			fprintf(job->log,
			        "excert: acme: the order of an earlier run cannot go on; placing a new one\n");
	}
	xc_error_clear(err);
	return 0;
}

/* A new order is kept at once, found again by the request it is for. */
struct issuer_run {
	const struct xc_acme_issuer_job *job;
	struct xc_acme *acme;
	const struct xc_acme_order *order;
};

static int issuer_persist(void *ctx, const char *step, struct xc_error *err)
{
	struct issuer_run *ir = ctx;
	char name[300];
	json_t *doc;
	char *line;
	int rc;

	if (strcmp(step, "placed") != 0)
		return 0;
	order_name(ir->acme, ir->job->request, name, sizeof(name));
	doc = json_pack("{s:s,s:s}", "url", ir->order->url, "request",
	                ir->job->request);
	line = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	rc = xc_store_write(ir->job->store, name, line, strlen(line), 0600,
	                    err);
	free(line);
	return rc;
}

/* The request the first Exchange server made. */
static int issuer_csr(void *ctx, unsigned char **der, size_t *len,
                      struct xc_error *err)
{
	struct issuer_run *ir = ctx;

	(void)err;
	*der = xc_xmalloc(ir->job->csr_len ? ir->job->csr_len : 1);
	memcpy(*der, ir->job->csr, ir->job->csr_len);
	*len = ir->job->csr_len;
	return 0;
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
		xc_wipe_free(text, len);
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
	xc_wipe_free(text, len);
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
	xc_wipe_free_str(text);
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
	struct xc_acme_order_run run;
	struct xc_acme_dns01_responder dns_resp;
	struct agent_responder agent;
	struct issuer_run ir;
	unsigned char *hmac = NULL;
	size_t hmac_len = 0;
	char *kid = NULL;
	char *bundle = NULL;
	char name[300];
	size_t len;
	bool resumed = false;
	struct xc_dns01 *dns = NULL;
	int rc;

	*chain_pem = NULL;
	memset(&o, 0, sizeof(o));
	memset(&agent, 0, sizeof(agent));
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
	memset(&run, 0, sizeof(run));
	if (ac->challenge && ac->challenge->dns01) {
		if ((rc = dns_open(job, &dns, err)) < 0)
			goto out;
		dns_resp.dns01 = dns;
		dns_resp.publish_ms = 120 * 1000;
		run.responder = &xc_acme_dns01_responder;
		run.responder_ctx = &dns_resp;
	} else {
		run.responder = &agent_responder;
		run.responder_ctx = &agent;
	}
	agent.job = job;
	ir.job = job;
	ir.acme = a;
	ir.order = &o;
	run.acme = a;
	run.domains = job->domains;
	run.ndomains = job->ndomains;
	run.csr = issuer_csr;
	run.persist = issuer_persist;
	run.ctx = &ir;
	run.log = job->log;
	rc = xc_acme_run_order(&run, &o, chain_pem, &len, err);
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
		xc_wipe_free(hmac, hmac_len);
	free(kid);
	free(bundle);
	return rc < 0 ? rc : 0;
}
