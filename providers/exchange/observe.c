/* SPDX-License-Identifier: MIT */
#include "providers/exchange/observe.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "providers/exchange/transport.h"
#include "state/clock.h"
#include "state/agentmsg.h"
#include "state/services.h"
#include "state/xalloc.h"

struct pool {
	struct xc_observation *o;
	const char *base_dir;
	const struct xc_server *org_from;
	pthread_mutex_t lock;
	size_t next;
};

/* The failure of an operation, as one error naming the server. */
static int op_failed(struct xc_error *err, const struct xc_server *s,
                     const struct xc_reply *r)
{
	const struct xc_result *last =
	        r->nresults ? &r->results[r->nresults - 1] : NULL;

	if (r->message)
		return xc_error_set(err, xc_agent_category_code(r->category),
		                    "server '%s': %s: %s", s->name.v,
		                    r->category, r->message);
	if (!last)
		return xc_error_set(err, XC_EPROTO, "server '%s': no result",
		                    s->name.v);
	return xc_error_set(err, xc_agent_category_code(last->category),
	                    "server '%s': %s failed: %s: %s", s->name.v,
	                    last->op, last->category,
	                    last->message ? last->message : "?");
}

static void observe_one(struct pool *p, struct xc_server_obs *so)
{
	const struct xc_server *s = so->server;
	struct xc_transport *t = NULL;
	struct xc_request *req = xc_request_new(s->name.v);
	struct xc_reply reply;
	bool with_org = s == p->org_from;
	double t0 = xc_clock_seconds();

	memset(&reply, 0, sizeof(reply));
	xc_request_observe(req);
	if (with_org)
		xc_request_observe_org(req);
	if (xc_transport_open(&t, s, p->base_dir, &so->err) < 0)
		goto out;
	if (xc_transport_call(t, req, &reply, &so->err) < 0)
		goto out;
	if (reply.message || reply.nresults < xc_request_count(req) ||
	    !reply.results[reply.nresults - 1].ok) {
		op_failed(&so->err, s, &reply);
		goto out;
	}
	if (reply.server && strcasecmp(reply.server, s->name.v) != 0) {
		xc_error_set(&so->err, XC_EPROTO,
		             "server '%s': the agent answered as '%s'",
		             s->name.v, reply.server);
		goto out;
	}
	if (xc_parse_observe(&so->obs, reply.results[0].json, &so->err) < 0) {
		xc_error_prefix(&so->err, "server '%s': ", s->name.v);
		goto out;
	}
	so->ok = true;
	so->raw = reply.results[0].json;
	reply.results[0].json = NULL;
	if (with_org) {
		if (xc_parse_observe_org(&p->o->org, reply.results[1].json,
		                         &p->o->org_err) < 0) {
			xc_error_prefix(&p->o->org_err,
			                "server '%s': ", s->name.v);
		} else {
			p->o->org_ok = true;
			p->o->org_raw = reply.results[1].json;
			reply.results[1].json = NULL;
		}
	}
out:
	if (with_org && !p->o->org_ok && !p->o->org_err.msg[0])
		p->o->org_err = so->err;
	so->seconds = xc_clock_seconds() - t0;
	xc_reply_release(&reply);
	xc_request_free(req);
	xc_transport_close(t);
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->o->nservers)
			return NULL;
		observe_one(p, &p->o->servers[i]);
	}
}

int xc_observe(struct xc_observation *out, const struct xc_config *cfg,
               const char *base_dir, const char *only, int parallelism,
               struct xc_error *err)
{
	struct pool p;
	pthread_t threads[64];
	size_t nthreads;
	size_t i;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (parallelism < 1 || parallelism > 64)
		return xc_error_set(err, XC_EINVAL,
		                    "parallelism must be 1 to 64, not %d",
		                    parallelism);
	if (only && !xc_config_server(cfg, only))
		return xc_error_set(err, XC_ENOTFOUND,
		                    "no server '%s' in the desired state",
		                    only);
	out->servers = xc_xcalloc(cfg->servers.n + 1, sizeof(*out->servers));
	memset(&p, 0, sizeof(p));
	p.o = out;
	p.base_dir = base_dir;
	/* The organisation is asked of its first Mailbox server. */
	for (i = 0; i < cfg->servers.n && !p.org_from; i++)
		if (XC_SERVERS(cfg)[i].role.v == XC_ROLE_MAILBOX)
			p.org_from = &XC_SERVERS(cfg)[i];
	for (i = 0; i < cfg->servers.n; i++) {
		const struct xc_server *s = &XC_SERVERS(cfg)[i];

		if (only && strcasecmp(s->name.v, only) != 0)
			continue;
		out->servers[n++].server = s;
	}
	out->nservers = n;
	if (only && p.org_from && strcasecmp(p.org_from->name.v, only) != 0)
		p.org_from = NULL;
	out->org_from = p.org_from;
	if (!p.org_from)
		xc_error_set(
		        &out->org_err, XC_ENOTFOUND,
		        only ? "the organisation is observed with its first Mailbox server"
		             : "no Mailbox server to ask for the organisation's connectors");
	pthread_mutex_init(&p.lock, NULL);
	nthreads = (size_t)parallelism < n ? (size_t)parallelism : n;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, worker, &p) != 0)
			break;
	nthreads = i;
	if (nthreads == 0)
		worker(&p);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p.lock);
	return 0;
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *iso_time(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *services_json(unsigned mask)
{
	json_t *a = json_array();
	unsigned f;

	for (f = 1; f <= XC_SVC_UMCALLROUTER; f <<= 1)
		if (mask & f)
			json_array_append_new(a,
			                      json_string(xc_service_name(f)));
	return a;
}

static json_t *cert_json(const struct xc_obs_cert *c)
{
	json_t *d = json_array();
	size_t i;

	for (i = 0; i < c->x.ndomains; i++)
		json_array_append_new(d, json_string(c->x.domains[i]));
	return json_pack(
	        "{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:i,s:s,s:s,s:o,s:s,s:b,s:b,s:b}",
	        "thumbprint", c->x.thumbprint, "subject", c->subject, "issuer",
	        c->issuer, "friendly_name", c->friendly_name, "domains", d,
	        "not_before", iso_time(c->x.not_before), "not_after",
	        iso_time(c->x.not_after), "key_type", c->x.key_type, "key_bits",
	        c->x.key_bits, "serial", c->x.serial, "aki", c->x.aki,
	        "services", services_json(c->services), "status", c->status,
	        "has_private_key", c->has_private_key, "exportable",
	        c->exportable, "self_signed", c->self_signed);
}

static json_t *server_json(const struct xc_server_obs *so)
{
	const struct xc_obs_server *s = &so->obs;
	json_t *certs = json_array();
	json_t *reqs = json_array();
	json_t *rc = json_array();
	json_t *b = json_array();
	size_t i;

	if (!so->ok)
		return json_pack("{s:s,s:b,s:s}", "name", so->server->name.v,
		                 "ok", 0, "error", so->err.msg);
	for (i = 0; i < s->ncerts; i++)
		json_array_append_new(certs, cert_json(&s->certs[i]));
	for (i = 0; i < s->nrequests; i++) {
		json_t *d = json_array();
		size_t j;

		for (j = 0; j < s->requests[i].ndomains; j++)
			json_array_append_new(
			        d, json_string(s->requests[i].domains[j]));
		json_array_append_new(
		        reqs,
		        json_pack("{s:s,s:s,s:o,s:o,s:i,s:b}", "thumbprint",
		                  s->requests[i].thumbprint, "subject",
		                  s->requests[i].subject, "domains", d,
		                  "friendly_name",
		                  str_or_null(s->requests[i].friendly_name),
		                  "key_size", s->requests[i].key_size,
		                  "exportable", s->requests[i].exportable));
	}
	for (i = 0; i < s->nrconns; i++)
		json_array_append_new(
		        rc,
		        json_pack("{s:s,s:o}", "identity",
		                  s->rconns[i].identity, "tls_certificate_name",
		                  str_or_null(s->rconns[i].tls_name)));
	for (i = 0; i < s->nbindings; i++)
		json_array_append_new(
		        b,
		        json_pack("{s:s,s:i,s:o}", "site", s->bindings[i].site,
		                  "port", s->bindings[i].port, "thumbprint",
		                  str_or_null(s->bindings[i].thumbprint)));
	return json_pack("{s:s,s:b,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	                 "name", s->name, "ok", 1, "fqdn", s->fqdn, "role",
	                 s->role == XC_ROLE_EDGE ? "Edge" : "Mailbox",
	                 "version", str_or_null(s->version), "certificates",
	                 certs, "pending_requests", reqs, "receive_connectors",
	                 rc, "iis_bindings", b, "transport_certificate",
	                 str_or_null(s->transport_cert), "auth_certificate",
	                 s->has_auth
	                         ? json_pack("{s:o,s:o}", "current",
	                                     str_or_null(s->auth_current),
	                                     "next", str_or_null(s->auth_next))
	                         : json_null(),
	                 "seconds", json_real(so->seconds));
}

char *xc_observation_json(const struct xc_observation *o)
{
	json_t *servers = json_array();
	json_t *org;
	json_t *doc;
	char *text;
	size_t i;

	for (i = 0; i < o->nservers; i++)
		json_array_append_new(servers, server_json(&o->servers[i]));
	if (o->org_ok) {
		json_t *sc = json_array();

		for (i = 0; i < o->org.nsconns; i++)
			json_array_append_new(
			        sc,
			        json_pack("{s:s,s:o}", "name",
			                  o->org.sconns[i].name,
			                  "tls_certificate_name",
			                  str_or_null(
			                          o->org.sconns[i].tls_name)));
		org = json_pack(
		        "{s:b,s:s,s:o,s:o}", "ok", 1, "from",
		        o->org_from->name.v, "send_connectors", sc, "hybrid",
		        o->org.hybrid
		                ? json_pack("{s:o}", "tls_certificate_name",
		                            str_or_null(o->org.hybrid_tls_name))
		                : json_null());
	} else {
		org = json_pack("{s:b,s:s}", "ok", 0, "error", o->org_err.msg);
	}
	doc = json_pack("{s:i,s:o,s:o}", "format_version", 1, "servers",
	                servers, "organization", org);
	if (o->nserved) {
		json_t *served = json_array();

		for (i = 0; i < o->nserved; i++) {
			const struct xc_served *v = &o->served[i];

			json_array_append_new(
			        served,
			        json_pack("{s:s,s:s,s:b,s:o,s:o}",
			                  "certificate", v->cert,
			                  v->lb ? "load_balancer" : "endpoint",
			                  v->what, "ok", v->ok, "thumbprint",
			                  v->ok ? json_string(v->thumbprint)
			                        : json_null(),
			                  "error",
			                  v->ok ? json_null()
			                        : json_string(v->error)));
		}
		json_object_set_new(doc, "served", served);
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}
