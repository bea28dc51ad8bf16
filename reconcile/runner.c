/* SPDX-License-Identifier: MIT */
#include "reconcile/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reconcile/match.h"
#include "state/secret.h"
#include "state/services.h"
#include "state/guard.h"
#include "state/tlsname.h"
#include "state/x509.h"
#include "state/xalloc.h"

struct xc_new_cert {
	const char *cert;   /* borrowed: the certificate's name */
	char request[41];   /* the pending request it comes from */
	unsigned char *csr; /* the request, DER */
	size_t csrlen;
	char *chain;         /* issued chain, PEM */
	char thumbprint[41]; /* once imported */
	char *issuer;        /* Exchange's strings, once imported */
	char *subject;
};

void xc_run_init(struct xc_run_ctx *ctx, const struct xc_plan_input *in,
                 const struct xc_world *world)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->in = in;
	ctx->world = world;
	ctx->fresh =
	        xc_xcalloc(in->cfg->certificates.n + 1, sizeof(*ctx->fresh));
	ctx->nfresh = in->cfg->certificates.n;
	ctx->started = world->clock ? world->clock(world->ctx) : 0;
}

/* The plan's time moved on by the time the run has taken (EXCERT_NOW
 * rehearsals keep their offset). */
static long long run_now(const struct xc_run_ctx *ctx)
{
	long long spent =
	        ctx->world->clock
	                ? ctx->world->clock(ctx->world->ctx) - ctx->started
	                : 0;

	return ctx->in->now + (spent > 0 ? spent : 0);
}

void xc_run_release(struct xc_run_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nfresh; i++) {
		free(ctx->fresh[i].csr);
		free(ctx->fresh[i].chain);
		free(ctx->fresh[i].issuer);
		free(ctx->fresh[i].subject);
	}
	free(ctx->fresh);
	memset(ctx, 0, sizeof(*ctx));
}

static struct xc_new_cert *fresh_of(struct xc_run_ctx *ctx, const char *cert)
{
	size_t i;

	for (i = 0; i < ctx->in->cfg->certificates.n; i++)
		if (strcmp(XC_CERTS(ctx->in->cfg)[i].name.v, cert) == 0) {
			ctx->fresh[i].cert = cert;
			return &ctx->fresh[i];
		}
	return NULL;
}

/* One batch to one server; the last operation's result JSON (caller
 * frees), or an error naming what failed. */
static int call1(struct xc_run_ctx *ctx, const char *server,
                 struct xc_request *req, char **json, struct xc_error *err)
{
	struct xc_reply r;
	int rc;

	memset(&r, 0, sizeof(r));
	*json = NULL;
	rc = ctx->world->call(ctx->world->ctx, server, req, &r, err);
	if (rc == 0) {
		const struct xc_result *last =
		        xc_reply_last_ok(&r, server, err);

		if (last)
			*json = xc_xstrdup(last->json);
		else
			rc = XC_EPROTO;
	}
	xc_reply_release(&r);
	xc_request_free(req);
	return rc;
}

static int observe(struct xc_run_ctx *ctx, const char *server,
                   struct xc_obs_server *out, struct xc_error *err)
{
	struct xc_request *req = xc_request_new(server);
	char *json;
	int rc;

	xc_request_observe(req);
	rc = call1(ctx, server, req, &json, err);
	if (rc == 0)
		rc = xc_parse_observe(out, json, err);
	free(json);
	return rc;
}

/* The organisation's connectors and hybrid configuration as they are now,
 * asked of the server the observation asked; *ok false (and 0) when there
 * is no such server. */
static int observe_org(struct xc_run_ctx *ctx, struct xc_obs_org *out, bool *ok,
                       struct xc_error *err)
{
	const struct xc_server *from = ctx->in->obs->org_from;
	struct xc_request *req;
	char *json;
	int rc;

	*ok = false;
	if (!from)
		return 0;
	req = xc_request_new(from->name.v);
	xc_request_observe_org(req);
	rc = call1(ctx, from->name.v, req, &json, err);
	if (rc == 0)
		rc = xc_parse_observe_org(out, json, err);
	free(json);
	*ok = rc == 0;
	return rc;
}

/* The certificate a step acts on: its own thumbprint, or the new one. */
static const char *thumb_of(struct xc_run_ctx *ctx, const struct xc_step *s,
                            struct xc_error *err)
{
	struct xc_new_cert *n;

	if (s->thumbprint[0])
		return s->thumbprint;
	n = fresh_of(ctx, s->cert);
	if (!n || !n->thumbprint[0]) {
		xc_error_set(err, XC_ERR,
		             "the new certificate of '%s' is not known yet",
		             s->cert);
		return NULL;
	}
	return n->thumbprint;
}

static const struct xc_obs_request *
pending(struct xc_run_ctx *ctx, const char *server, const char *thumb)
{
	size_t i;
	size_t j;

	for (i = 0; i < ctx->in->obs->nservers; i++) {
		const struct xc_server_obs *so = &ctx->in->obs->servers[i];

		if (!so->ok || strcasecmp(so->server->name.v, server) != 0)
			continue;
		for (j = 0; j < so->obs.nrequests; j++)
			if (strcmp(so->obs.requests[j].thumbprint, thumb) == 0)
				return &so->obs.requests[j];
	}
	return NULL;
}

static int run_request(struct xc_run_ctx *ctx, const struct xc_cert *c,
                       const struct xc_step *s, struct xc_step_result *res,
                       struct xc_error *err)
{
	struct xc_new_cert *n = fresh_of(ctx, c->name.v);
	struct xc_request *req = xc_request_new(s->server);
	const char *doms[256];
	char friendly[128];
	char *json = NULL;
	char *csr = NULL;
	char *thumb = NULL;
	size_t i;
	int rc;

	for (i = 0; i < c->domains.n && i < 256; i++)
		doms[i] = c->domains.v[i].v;
	xc_cert_friendly(c, friendly, sizeof(friendly));
	xc_request_new_request(req, c->subject.v, doms, i, c->key_size,
	                       friendly, c->exportable);
	rc = call1(ctx, s->server, req, &json, err);
	if (rc == 0)
		rc = xc_result_string(&csr, json, "csr", err);
	if (rc == 0)
		rc = xc_result_string(&thumb, json, "thumbprint", err);
	if (rc == 0 && xc_base64_decode(csr, &n->csr, &n->csrlen) < 0)
		rc = xc_error_set(err, XC_EPROTO, "the request is not base64");
	if (rc == 0)
		snprintf(n->request, sizeof(n->request), "%s", thumb);
	if (rc == 0)
		snprintf(res->detail, sizeof(res->detail),
		         "pending request %s on %s", thumb, s->server);
	free(json);
	free(csr);
	free(thumb);
	return rc;
}

/* The issuer's signature on n's request, for c's names and servers. */
static int sign(struct xc_run_ctx *ctx, const struct xc_cert *c,
                const struct xc_step *s, struct xc_new_cert *n, char *note,
                size_t note_size, struct xc_error *err)
{
	const char **domains = xc_xcalloc(c->domains.n + 1, sizeof(char *));
	const char **servers = xc_xcalloc(c->servers.n + 1, sizeof(char *));
	struct xc_issue_job job;
	size_t i;
	int rc;

	for (i = 0; i < c->domains.n; i++)
		domains[i] = c->domains.v[i].v;
	for (i = 0; i < c->servers.n; i++)
		servers[i] = c->servers.v[i].v;
	job.issuer = s->issuer;
	job.request = n->request;
	job.csr = n->csr;
	job.len = n->csrlen;
	job.domains = domains;
	job.ndomains = c->domains.n;
	job.servers = servers;
	job.nservers = c->servers.n;
	job.note = note;
	job.note_size = note_size;
	note[0] = '\0';
	rc = ctx->world->issue(ctx->world->ctx, &job, &n->chain, err);
	free(domains);
	free(servers);
	return rc;
}

static int run_issue(struct xc_run_ctx *ctx, const struct xc_cert *c,
                     const struct xc_step *s, struct xc_step_result *res,
                     struct xc_error *err)
{
	struct xc_new_cert *n = fresh_of(ctx, c->name.v);
	char note[300];

	if (s->reuse_request[0]) {
		const struct xc_obs_request *r =
		        pending(ctx, c->servers.v[0].v, s->reuse_request);

		if (!r || !r->csr)
			return xc_error_set(
			        err, XC_ENOTFOUND,
			        "the pending request %s is gone from %s",
			        s->reuse_request, c->servers.v[0].v);
		free(n->csr);
		n->csr = xc_xmalloc(r->csr_len);
		memcpy(n->csr, r->csr, r->csr_len);
		n->csrlen = r->csr_len;
		snprintf(n->request, sizeof(n->request), "%s",
		         s->reuse_request);
	}
	if (!n->csr)
		return xc_error_set(err, XC_ERR, "no request to sign");
	if (sign(ctx, c, s, n, note, sizeof(note), err) < 0)
		return XC_ERR;
	/* Kept until it is imported: an apply killed in between imports this
	 * one next time instead of having the CA sign again. */
	if (n->request[0]) {
		char name[80];

		snprintf(name, sizeof(name), "issued/%s.pem", n->request);
		if (ctx->world->remember(ctx->world->ctx, name, n->chain, err) <
		    0)
			return XC_ERR;
	}
	snprintf(res->detail, sizeof(res->detail), "signed by '%s'%s%s%s",
	         s->issuer, note[0] ? " (" : "", note, note[0] ? ")" : "");
	return 0;
}

static int run_import(struct xc_run_ctx *ctx, const struct xc_cert *c,
                      const struct xc_step *s, struct xc_step_result *res,
                      struct xc_error *err)
{
	struct xc_new_cert *n = fresh_of(ctx, c->name.v);
	struct xc_request *req = xc_request_new(s->server);
	struct xc_obs_server o;
	const struct xc_obs_cert *oc;
	char *b64;
	char *json = NULL;
	char *thumb = NULL;
	int rc;

	if (!n->chain && s->reuse_request[0]) {
		size_t k;

		for (k = 0; k < ctx->in->nissued; k++)
			if (strcmp(ctx->in->issued[k].request,
			           s->reuse_request) == 0)
				n->chain = xc_xstrdup(ctx->in->issued[k].chain);
		snprintf(n->request, sizeof(n->request), "%s",
		         s->reuse_request);
	}
	if (!n->chain)
		return xc_error_set(err, XC_ERR,
		                    "no issued certificate to import");
	b64 = xc_base64_encode((const unsigned char *)n->chain,
	                       strlen(n->chain));
	xc_request_import(req, b64, NULL);
	free(b64);
	rc = call1(ctx, s->server, req, &json, err);
	if (rc == 0)
		rc = xc_result_string(&thumb, json, "thumbprint", err);
	free(json);
	if (rc < 0) {
		free(thumb);
		return rc;
	}
	snprintf(n->thumbprint, sizeof(n->thumbprint), "%s", thumb);
	free(thumb);
	if (n->request[0]) {
		char name[80];

		snprintf(name, sizeof(name), "issued/%s.pem", n->request);
		ctx->world->remember(ctx->world->ctx, name, NULL, err);
		xc_error_clear(err);
	}
	/* TlsCertificateName is built from Exchange's own strings. */
	if (observe(ctx, s->server, &o, err) < 0)
		return XC_ERR;
	oc = xc_obs_server_cert(&o, n->thumbprint);
	if (!oc) {
		xc_obs_server_release(&o);
		return xc_error_set(
		        err, XC_EPROTO,
		        "%s does not show the imported certificate %s",
		        s->server, n->thumbprint);
	}
	n->issuer = xc_xstrdup(oc->issuer);
	n->subject = xc_xstrdup(oc->subject);
	xc_obs_server_release(&o);
	snprintf(res->detail, sizeof(res->detail), "certificate %s on %s",
	         n->thumbprint, s->server);
	return 0;
}

/* Has server export the certificate thumb with its key: *pfx (base64)
 * under a fresh random password (password, 33 bytes).  The caller wipes
 * and frees both. */
static int export_pfx(struct xc_run_ctx *ctx, const char *server,
                      const char *thumb, char *password, char **pfx,
                      struct xc_error *err)
{
	struct xc_request *req;
	char *json = NULL;
	int rc;

	*pfx = NULL;
	if (ctx->world->password(ctx->world->ctx, password, 33, err) < 0)
		return XC_ERR;
	req = xc_request_new(server);
	xc_request_export_pfx(req, thumb, password);
	rc = call1(ctx, server, req, &json, err);
	if (rc == 0)
		rc = xc_result_string(pfx, json, "pfx", err);
	xc_wipe_free_str(json);
	return rc;
}

static int run_distribute(struct xc_run_ctx *ctx, const struct xc_cert *c,
                          const struct xc_step *s, struct xc_step_result *res,
                          struct xc_error *err)
{
	const char *thumb = thumb_of(ctx, s, err);
	char password[33];
	char friendly[128];
	struct xc_request *req;
	char *json = NULL;
	char *pfx = NULL;
	int rc;

	if (!thumb)
		return XC_ERR;
	rc = export_pfx(ctx, s->from_server, thumb, password, &pfx, err);
	if (rc == 0) {
		xc_cert_friendly(c, friendly, sizeof(friendly));
		req = xc_request_new(s->server);
		xc_request_import_pfx(req, pfx, password, c->exportable,
		                      friendly);
		rc = call1(ctx, s->server, req, &json, err);
		/* Already there (an earlier, interrupted run): done. */
		if (rc < 0 && err->code == XC_EEXISTS)
			rc = 0;
	}
	xc_wipe(password, sizeof(password));
	xc_wipe_free_str(pfx);
	free(json);
	if (rc == 0)
		snprintf(res->detail, sizeof(res->detail),
		         "certificate %s copied from %s", thumb,
		         s->from_server);
	return rc;
}

/* The certificate and its key go from Exchange, where they are, to the
 * load balancer; they never touch the disk here. */
static int run_lb_update(struct xc_run_ctx *ctx, const struct xc_cert *c,
                         const struct xc_step *s, struct xc_step_result *res,
                         struct xc_error *err)
{
	const char *thumb = thumb_of(ctx, s, err);
	char password[33];
	char got[41];
	char *pfx = NULL;
	char *chain = NULL;
	char *key = NULL;
	int rc;

	if (!thumb)
		return XC_ERR;
	if (!ctx->world->lb_update)
		return xc_error_set(err, XC_ERR,
		                    "this world cannot update load balancers");
	rc = export_pfx(ctx, s->from_server, thumb, password, &pfx, err);
	if (rc == 0)
		rc = xc_pfx_to_pem(pfx, password, &chain, &key, got, err);
	if (rc == 0 && strcasecmp(got, thumb) != 0)
		rc = xc_error_set(err, XC_EPROTO,
		                  "%s exported %s when asked for %s",
		                  s->from_server, got, thumb);
	if (rc == 0)
		rc = ctx->world->lb_update(
		        ctx->world->ctx, s->lb, c->domains.v[0].v, chain, key,
		        res->detail, sizeof(res->detail), err);
	xc_wipe(password, sizeof(password));
	xc_wipe_free_str(pfx);
	xc_wipe_free_str(key);
	free(chain);
	return rc;
}

/* Every verify endpoint of the certificate serves it. */
static int run_verify_served(struct xc_run_ctx *ctx, const struct xc_cert *c,
                             const struct xc_step *s,
                             struct xc_step_result *res, struct xc_error *err)
{
	const char *thumb = thumb_of(ctx, s, err);
	const char **urls;
	size_t i;
	int rc;

	if (!thumb)
		return XC_ERR;
	if (!ctx->world->served)
		return xc_error_set(err, XC_ERR,
		                    "this world cannot probe endpoints");
	urls = xc_xcalloc(c->verify.n + 1, sizeof(*urls));
	for (i = 0; i < c->verify.n; i++)
		urls[i] = c->verify.v[i].v;
	rc = ctx->world->served(ctx->world->ctx, urls, c->verify.n, thumb,
	                        res->detail, sizeof(res->detail), err);
	free(urls);
	return rc;
}

static int run_enable(struct xc_run_ctx *ctx, const struct xc_step *s,
                      struct xc_step_result *res, struct xc_error *err)
{
	const char *thumb = thumb_of(ctx, s, err);
	struct xc_request *req;
	char *json = NULL;
	char svc[100];
	int rc;

	if (!thumb)
		return XC_ERR;
	req = xc_request_new(s->server);
	xc_request_enable(req, thumb, s->services, s->replace_transport);
	rc = call1(ctx, s->server, req, &json, err);
	free(json);
	xc_services_format(s->services, svc, sizeof(svc));
	if (rc == 0)
		snprintf(res->detail, sizeof(res->detail), "%s enabled for %s",
		         svc, thumb);
	return rc;
}

static int run_set(struct xc_run_ctx *ctx, const struct xc_step *s,
                   struct xc_step_result *res, struct xc_error *err)
{
	struct xc_new_cert *n = fresh_of(ctx, s->cert);
	char *value = s->value ? xc_xstrdup(s->value) : NULL;
	const char *server = s->server;
	struct xc_request *req;
	char *json = NULL;
	int rc;

	if (!value) {
		if (!n || !n->issuer)
			return xc_error_set(
			        err, XC_ERR,
			        "the new certificate's names are not known yet");
		value = xc_tls_certificate_name(n->issuer, n->subject);
	}
	if (s->conditional && xc_tls_equal(value, s->old_value)) {
		snprintf(res->detail, sizeof(res->detail),
		         "not needed: the value stays %s", value);
		free(value);
		return 1;
	}
	if (!server)
		server = ctx->in->obs->org_from ? ctx->in->obs->org_from->name.v
		                                : NULL;
	if (!server) {
		free(value);
		return xc_error_set(
		        err, XC_ERR,
		        "no Mailbox server to change the organisation on");
	}
	req = xc_request_new(server);
	if (s->kind == XC_STEP_SET_HYBRID)
		xc_request_set_hybrid(req, value);
	else if (s->send)
		xc_request_set_send_connector(req, s->connector, value);
	else
		xc_request_set_receive_connector(req, s->connector, value);
	rc = call1(ctx, server, req, &json, err);
	free(json);
	if (rc == 0)
		snprintf(res->detail, sizeof(res->detail), "now %s", value);
	free(value);
	return rc;
}

static int run_restart(struct xc_run_ctx *ctx, const struct xc_step *s,
                       struct xc_step_result *res, struct xc_error *err)
{
	struct xc_request *req = xc_request_new(s->server);
	char *json = NULL;
	int rc;

	xc_request_restart(req, s->service);
	rc = call1(ctx, s->server, req, &json, err);
	free(json);
	if (rc == 0)
		snprintf(res->detail, sizeof(res->detail), "%s restarted",
		         s->service);
	return rc;
}

/* The certificate on o that the plan means, or the usable one the planner
 * would pick (reconcile/match.h). */
static const struct xc_obs_cert *holding(struct xc_run_ctx *ctx,
                                         const struct xc_cert *c,
                                         const struct xc_obs_server *o,
                                         const char *want)
{
	return xc_cert_on_server(c, o,
	                         xc_issuer_facts_find(ctx->in->facts,
	                                              ctx->in->nfacts,
	                                              c->issuer.v),
	                         run_now(ctx), want);
}

static int run_verify(struct xc_run_ctx *ctx, const struct xc_cert *c,
                      const struct xc_step *s, struct xc_step_result *res,
                      struct xc_error *err)
{
	struct xc_new_cert *n;
	const char *want;
	struct xc_obs_server o;
	const struct xc_obs_cert *h;
	char *tls;
	size_t i;
	int rc = 0;

	if (observe(ctx, s->server, &o, err) < 0)
		return XC_ERR;
	/* The certificate the plan means: the one it names, or the one this
	 * apply made; only without either the latest to expire. */
	want = s->thumbprint;
	if (!want[0] && (n = fresh_of(ctx, c->name.v)) && n->thumbprint[0])
		want = n->thumbprint;
	h = holding(ctx, c, &o, want);
	if (!h) {
		xc_obs_server_release(&o);
		return xc_error_set(err, XC_ERR,
		                    "%s holds no usable certificate '%s'",
		                    s->server, c->name.v);
	}
	if ((h->services & c->services_mask) != c->services_mask)
		rc = xc_error_set(err, XC_ERR,
		                  "certificate %s on %s lacks services",
		                  h->x.thumbprint, s->server);
	for (i = 0; rc == 0 && i < o.nbindings; i++)
		if ((c->services_mask & XC_SVC_IIS) &&
		    o.bindings[i].port == 443 &&
		    strcasecmp(o.bindings[i].thumbprint, h->x.thumbprint) != 0)
			rc = xc_error_set(err, XC_ERR,
			                  "IIS on %s serves %s on 443, not %s",
			                  s->server, o.bindings[i].thumbprint,
			                  h->x.thumbprint);
	tls = xc_tls_certificate_name(h->issuer, h->subject);
	for (i = 0; rc == 0 && c->connectors && i < c->connectors->receive.n;
	     i++) {
		const char *id = c->connectors->receive.v[i].v;
		size_t j;

		for (j = 0; j < o.nrconns; j++)
			if (strcasecmp(o.rconns[j].identity, id) == 0 &&
			    !xc_tls_equal(o.rconns[j].tls_name, tls))
				rc = xc_error_set(
				        err, XC_ERR,
				        "receive connector '%s' names %s", id,
				        o.rconns[j].tls_name
				                ? o.rconns[j].tls_name
				                : "nothing");
	}
	if (rc == 0)
		snprintf(res->detail, sizeof(res->detail),
		         "%s holds %s, enabled and named where it serves",
		         s->server, h->x.thumbprint);
	free(tls);
	xc_obs_server_release(&o);
	return rc;
}

static int run_remove(struct xc_run_ctx *ctx, const struct xc_cert *c,
                      const struct xc_step *s, struct xc_step_result *res,
                      struct xc_error *err)
{
	struct xc_obs_server o;
	struct xc_obs_org org;
	bool org_ok = false;
	struct xc_guard_ctx g;
	const struct xc_obs_cert *x;
	const struct xc_obs_cert *h;
	struct xc_request *req;
	char *json = NULL;
	char why[600];
	unsigned rule;
	int rc;

	/* The guardrails again (state/guard.h), on what the server and the
	 * organisation hold now. */
	if (observe(ctx, s->server, &o, err) < 0)
		return XC_ERR;
	x = xc_obs_server_cert(&o, s->thumbprint);
	if (!x) {
		xc_obs_server_release(&o);
		snprintf(res->detail, sizeof(res->detail), "already gone");
		return 1;
	}
	if (observe_org(ctx, &org, &org_ok, err) < 0) {
		xc_obs_server_release(&o);
		return XC_ERR;
	}
	h = holding(ctx, c, &o, NULL);
	memset(&g, 0, sizeof(g));
	g.server = &o;
	g.org = org_ok ? &org : NULL;
	g.now = run_now(ctx);
	g.stays = h ? h->x.thumbprint : NULL;
	rule = xc_guard_removal(&g, x, XC_GUARD_ALL, why, sizeof(why));
	xc_obs_server_release(&o);
	if (org_ok)
		xc_obs_org_release(&org);
	if (rule && s->conditional) {
		/* The plan could not know (the new certificate's issuer was
		 * known only after issuance): kept, and the next plan says
		 * why. */
		snprintf(res->detail, sizeof(res->detail), "kept: %s", why);
		return 1;
	}
	if (rule)
		return xc_error_set(err, XC_ERR, "refusing to remove %s: %s",
		                    s->thumbprint, why);
	req = xc_request_new(s->server);
	xc_request_remove(req, s->thumbprint);
	rc = call1(ctx, s->server, req, &json, err);
	free(json);
	if (rc == 0)
		snprintf(res->detail, sizeof(res->detail), "removed %s from %s",
		         s->thumbprint, s->server);
	return rc;
}

/* The runners whose step has no use for the certificate. */
static int run_enable_c(struct xc_run_ctx *ctx, const struct xc_cert *c,
                        const struct xc_step *s, struct xc_step_result *res,
                        struct xc_error *err)
{
	(void)c;
	return run_enable(ctx, s, res, err);
}

static int run_set_c(struct xc_run_ctx *ctx, const struct xc_cert *c,
                     const struct xc_step *s, struct xc_step_result *res,
                     struct xc_error *err)
{
	(void)c;
	return run_set(ctx, s, res, err);
}

static int run_restart_c(struct xc_run_ctx *ctx, const struct xc_cert *c,
                         const struct xc_step *s, struct xc_step_result *res,
                         struct xc_error *err)
{
	(void)c;
	return run_restart(ctx, s, res, err);
}

/* A verify step of a server, or of the endpoints users reach. */
static int run_verify_any(struct xc_run_ctx *ctx, const struct xc_cert *c,
                          const struct xc_step *s, struct xc_step_result *res,
                          struct xc_error *err)
{
	return s->server ? run_verify(ctx, c, s, res, err)
	                 : run_verify_served(ctx, c, s, res, err);
}

typedef int run_fn(struct xc_run_ctx *ctx, const struct xc_cert *c,
                   const struct xc_step *s, struct xc_step_result *res,
                   struct xc_error *err);

/* Who carries out each step kind (reconcile/plan.h, xc_step_kinds). */
static run_fn *const runners[XC_STEP_KINDS] = {
        [XC_STEP_REQUEST] = run_request,
        [XC_STEP_ISSUE] = run_issue,
        [XC_STEP_IMPORT] = run_import,
        [XC_STEP_DISTRIBUTE] = run_distribute,
        [XC_STEP_ENABLE] = run_enable_c,
        [XC_STEP_SET_CONNECTOR] = run_set_c,
        [XC_STEP_SET_HYBRID] = run_set_c,
        [XC_STEP_RESTART] = run_restart_c,
        [XC_STEP_LB_UPDATE] = run_lb_update,
        [XC_STEP_VERIFY] = run_verify_any,
        [XC_STEP_REMOVE] = run_remove,
};

_Static_assert(sizeof(runners) / sizeof(runners[0]) == XC_STEP_KINDS,
               "a runner for every step kind");

int xc_run_step(void *arg, const struct xc_step *s, struct xc_step_result *res,
                struct xc_error *err)
{
	struct xc_run_ctx *ctx = arg;
	const struct xc_cert *c = xc_config_cert(ctx->in->cfg, s->cert);

	if (!c)
		return xc_error_set(err, XC_ERR, "no certificate '%s'",
		                    s->cert);
	if ((unsigned)s->kind >= XC_STEP_KINDS || !runners[s->kind])
		return xc_error_set(err, XC_ERR, "unknown step kind %d",
		                    (int)s->kind);
	return runners[s->kind](ctx, c, s, res, err);
}
