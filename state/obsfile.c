/* SPDX-License-Identifier: MIT */
#include "state/obsfile.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "state/agentmsg.h"
#include "state/buf.h"
#include "state/services.h"
#include "state/xalloc.h"

void xc_issuer_table_release(struct xc_issuer_table *t)
{
	size_t i;

	for (i = 0; i < t->nstrings; i++)
		free(t->strings[i]);
	free(t->strings);
	for (i = 0; t->ready && i < t->n; i++)
		xc_strv_free(t->ready[i], t->facts[i].nready);
	free(t->ready);
	free(t->facts);
	memset(t, 0, sizeof(*t));
}

void xc_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- the file ---------------------------------------------------------- */

/* A compact JSON result as a value; a result that does not parse (it did
 * when observed) is kept as a string so that nothing is lost. */
static json_t *raw_value(const char *raw)
{
	json_t *v = json_loads(raw, JSON_DECODE_ANY, NULL);

	return v ? v : json_string(raw);
}

char *xc_obsfile_dump(const struct xc_observation *o,
                      const struct xc_issuer_table *facts,
                      const char *organization, long long observed_at)
{
	json_t *servers = json_array();
	json_t *issuers = json_object();
	json_t *org;
	json_t *doc;
	char when[32];
	time_t tt = (time_t)observed_at;
	struct tm tm;
	char *text;
	size_t i;
	size_t j;

	for (i = 0; i < o->nservers; i++) {
		const struct xc_server_obs *so = &o->servers[i];

		if (so->ok && so->raw)
			json_array_append_new(servers,
			                      json_pack("{s:s,s:b,s:o}", "name",
			                                so->server->name.v,
			                                "ok", 1, "observe",
			                                raw_value(so->raw)));
		else
			json_array_append_new(
			        servers, json_pack("{s:s,s:b,s:s}", "name",
			                           so->server->name.v, "ok", 0,
			                           "error", so->err.msg));
	}
	if (o->org_ok && o->org_raw)
		org = json_pack("{s:s,s:b,s:o}", "from", o->org_from->name.v,
		                "ok", 1, "observe_org", raw_value(o->org_raw));
	else
		org = json_pack("{s:o,s:b,s:s}", "from",
		                o->org_from ? json_string(o->org_from->name.v)
		                            : json_null(),
		                "ok", 0, "error", o->org_err.msg);
	for (i = 0; facts && i < facts->n; i++) {
		json_t *names = json_array();

		for (j = 0; j < facts->facts[i].nnames; j++)
			json_array_append_new(
			        names, json_string(facts->facts[i].names[j]));
		json_object_set_new(issuers, facts->facts[i].issuer, names);
	}
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	doc = json_pack("{s:s,s:i,s:s,s:s,s:I,s:o,s:o,s:o}", "kind",
	                "excert-observation", "format_version", 1,
	                "organization", organization, "observed_at", when,
	                "observed_at_epoch", (json_int_t)observed_at, "servers",
	                servers, "organization_wide", org, "issuers", issuers);
	if (o->nari || o->nari_notes) {
		json_t *ari = json_array();
		json_t *notes = json_array();

		for (i = 0; i < o->nari; i++)
			json_array_append_new(
			        ari,
			        json_pack("{s:s,s:s,s:I,s:I,s:I}", "thumbprint",
			                  o->ari[i].thumbprint, "issuer",
			                  o->ari[i].issuer, "start",
			                  (json_int_t)o->ari[i].start, "end",
			                  (json_int_t)o->ari[i].end, "chosen",
			                  (json_int_t)o->ari[i].chosen));
		for (i = 0; i < o->nari_notes; i++)
			json_array_append_new(notes,
			                      json_string(o->ari_notes[i]));
		json_object_set_new(doc, "ari", ari);
		json_object_set_new(doc, "ari_notes", notes);
	}
	if (o->nserved) {
		json_t *served = json_array();

		for (i = 0; i < o->nserved; i++) {
			const struct xc_served *v = &o->served[i];
			json_t *e = json_pack(
			        "{s:s,s:s,s:b}", "certificate", v->cert,
			        v->lb ? "load_balancer" : "endpoint", v->what,
			        "ok", v->ok);

			if (v->ok)
				json_object_set_new(e, "thumbprint",
				                    json_string(v->thumbprint));
			else
				json_object_set_new(e, "error",
				                    json_string(v->error));
			json_array_append_new(served, e);
		}
		json_object_set_new(doc, "served", served);
	}
	text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}

static void not_in_file(struct xc_server_obs *so, const char *label)
{
	xc_error_set(&so->err, XC_ENOTFOUND,
	             "server '%s' is not in the observation '%s'",
	             so->server->name.v, label);
}

/* One server's entry of the file into so. */
static int load_server(struct xc_server_obs *so, json_t *entry,
                       const char *label, struct xc_error *err)
{
	json_t *ok = json_object_get(entry, "ok");
	json_t *obs = json_object_get(entry, "observe");
	const char *msg;

	if (!json_is_true(ok)) {
		msg = json_string_value(json_object_get(entry, "error"));
		xc_error_set(&so->err, XC_EIO, "%s",
		             msg ? msg : "not observed");
		return 0;
	}
	if (!json_is_object(obs))
		return xc_error_set(err, XC_EINVAL,
		                    "%s: server '%s' has no observe result",
		                    label, so->server->name.v);
	so->raw = json_dumps(obs, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!so->raw || xc_parse_observe(&so->obs, so->raw, err) < 0) {
		xc_error_prefix(err, "%s: server '%s': ", label,
		                so->server->name.v);
		return XC_EINVAL;
	}
	so->ok = true;
	return 0;
}

static int load_org(struct xc_observation *out, const struct xc_config *cfg,
                    json_t *org, const char *label, struct xc_error *err)
{
	const char *from = json_string_value(json_object_get(org, "from"));
	json_t *obs = json_object_get(org, "observe_org");
	const char *msg;
	size_t i;

	for (i = 0; from && i < cfg->servers.n; i++)
		if (strcasecmp(XC_SERVERS(cfg)[i].name.v, from) == 0)
			out->org_from = &XC_SERVERS(cfg)[i];
	if (!json_is_true(json_object_get(org, "ok"))) {
		msg = json_string_value(json_object_get(org, "error"));
		xc_error_set(&out->org_err, XC_EIO, "%s",
		             msg ? msg : "not observed");
		return 0;
	}
	if (!out->org_from) {
		xc_error_set(
		        &out->org_err, XC_ENOTFOUND,
		        "the organisation in '%s' was observed through '%s', which is not in the desired state",
		        label, from ? from : "?");
		return 0;
	}
	if (!json_is_object(obs))
		return xc_error_set(err, XC_EINVAL, "%s: no observe_org result",
		                    label);
	out->org_raw = json_dumps(obs, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!out->org_raw ||
	    xc_parse_observe_org(&out->org, out->org_raw, err) < 0) {
		xc_error_prefix(err, "%s: organisation: ", label);
		return XC_EINVAL;
	}
	out->org_ok = true;
	return 0;
}

static void load_issuers(struct xc_issuer_table *t, const struct xc_config *cfg,
                         json_t *issuers)
{
	size_t i;
	size_t j;
	size_t total = 0;

	for (i = 0; i < cfg->issuers.n; i++)
		total += json_array_size(
		        json_object_get(issuers, XC_ISSUERS(cfg)[i].name.v));
	t->facts = xc_xcalloc(cfg->issuers.n + 1, sizeof(*t->facts));
	t->strings = xc_xcalloc(total + 1, sizeof(char *));
	for (i = 0; i < cfg->issuers.n; i++) {
		struct xc_issuer_facts *f = &t->facts[t->n++];
		json_t *names =
		        json_object_get(issuers, XC_ISSUERS(cfg)[i].name.v);

		f->issuer = XC_ISSUERS(cfg)[i].name.v;
		f->names = (const char *const *)&t->strings[t->nstrings];
		for (j = 0; j < json_array_size(names); j++) {
			const char *s =
			        json_string_value(json_array_get(names, j));

			if (!s)
				continue;
			t->strings[t->nstrings++] = xc_xstrdup(s);
			f->nnames++;
		}
	}
}

/* The CA's renewal windows (ARI) the observation was made with. */
static void load_ari(struct xc_observation *out, json_t *ari, json_t *notes)
{
	size_t i;

	out->ari = xc_xcalloc(json_array_size(ari) + 1, sizeof(*out->ari));
	for (i = 0; i < json_array_size(ari); i++) {
		json_t *w = json_array_get(ari, i);
		struct xc_ari_window *a = &out->ari[out->nari];
		const char *t =
		        json_string_value(json_object_get(w, "thumbprint"));
		const char *is =
		        json_string_value(json_object_get(w, "issuer"));

		if (!t)
			continue;
		snprintf(a->thumbprint, sizeof(a->thumbprint), "%s", t);
		snprintf(a->issuer, sizeof(a->issuer), "%s", is ? is : "");
		a->start = json_integer_value(json_object_get(w, "start"));
		a->end = json_integer_value(json_object_get(w, "end"));
		a->chosen = json_integer_value(json_object_get(w, "chosen"));
		out->nari++;
	}
	out->ari_notes = xc_xcalloc(json_array_size(notes) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(notes); i++) {
		const char *n = json_string_value(json_array_get(notes, i));

		if (n)
			out->ari_notes[out->nari_notes++] = xc_xstrdup(n);
	}
}

/* What the endpoints and load balancers served when observed. */
static void load_served(struct xc_observation *out, json_t *served)
{
	size_t i;

	for (i = 0; i < json_array_size(served); i++) {
		json_t *e = json_array_get(served, i);
		const char *cert =
		        json_string_value(json_object_get(e, "certificate"));
		const char *ep =
		        json_string_value(json_object_get(e, "endpoint"));
		const char *lb =
		        json_string_value(json_object_get(e, "load_balancer"));
		const char *t =
		        json_string_value(json_object_get(e, "thumbprint"));
		const char *why =
		        json_string_value(json_object_get(e, "error"));

		if (!cert || (!ep && !lb) ||
		    (t && !json_is_true(json_object_get(e, "ok"))))
			continue;
		xc_observation_add_served(out, cert, ep ? ep : lb, !ep, t,
		                          t ? NULL : why);
	}
}

int xc_obsfile_load(struct xc_observation *out, struct xc_issuer_table *facts,
                    const struct xc_config *cfg, const char *text, size_t len,
                    const char *label, struct xc_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	json_t *servers;
	size_t i;
	size_t j;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(facts, 0, sizeof(*facts));
	if (!doc)
		return xc_error_set(err, XC_EINVAL, "%s:%d:%d: error: %s",
		                    label, jerr.line, jerr.column, jerr.text);
	servers = json_object_get(doc, "servers");
	if (!json_is_object(doc) ||
	    !json_is_string(json_object_get(doc, "kind")) ||
	    strcmp(json_string_value(json_object_get(doc, "kind")),
	           "excert-observation") != 0 ||
	    json_integer_value(json_object_get(doc, "format_version")) != 1 ||
	    !json_is_array(servers)) {
		json_decref(doc);
		return xc_error_set(
		        err, XC_EINVAL,
		        "%s: not an excert observation (format_version 1); make one with excert observe -o FILE",
		        label);
	}
	out->servers = xc_xcalloc(cfg->servers.n + 1, sizeof(*out->servers));
	out->nservers = cfg->servers.n;
	for (i = 0; i < cfg->servers.n && rc == 0; i++) {
		struct xc_server_obs *so = &out->servers[i];
		json_t *entry = NULL;

		so->server = &XC_SERVERS(cfg)[i];
		for (j = 0; j < json_array_size(servers) && !entry; j++) {
			json_t *e = json_array_get(servers, j);
			const char *name =
			        json_string_value(json_object_get(e, "name"));

			if (name && strcasecmp(name, so->server->name.v) == 0)
				entry = e;
		}
		if (!entry)
			not_in_file(so, label);
		else
			rc = load_server(so, entry, label, err);
	}
	if (rc == 0)
		rc = load_org(out, cfg,
		              json_object_get(doc, "organization_wide"), label,
		              err);
	if (rc == 0)
		load_issuers(facts, cfg, json_object_get(doc, "issuers"));
	if (rc == 0)
		load_ari(out, json_object_get(doc, "ari"),
		         json_object_get(doc, "ari_notes"));
	if (rc == 0)
		load_served(out, json_object_get(doc, "served"));
	json_decref(doc);
	if (rc < 0) {
		xc_observation_release(out);
		xc_issuer_table_release(facts);
	}
	return rc;
}

/* ---- facts ------------------------------------------------------------- */

struct lines {
	char **v;
	size_t n;
	size_t cap;
};

static void add(struct lines *l, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void add(struct lines *l, const char *fmt, ...)
{
	struct xc_buf b;
	char tmp[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	xc_buf_init(&b, 0);
	xc_buf_puts(&b, tmp);
	xc_xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xc_buf_detach(&b, NULL);
}

static const char *or_unset(const char *s)
{
	return s && *s ? s : "(unset)";
}

static void server_facts(struct lines *l, const struct xc_server_obs *so)
{
	const struct xc_obs_server *s = &so->obs;
	const char *name = so->server->name.v;
	char svc[128];
	size_t i;

	if (!so->ok) {
		add(l, "%s: not observed", name);
		return;
	}
	for (i = 0; i < s->ncerts; i++) {
		const struct xc_obs_cert *c = &s->certs[i];

		xc_services_format(c->services, svc, sizeof(svc));
		add(l, "%s: certificate %s: %s, %s, services %s, \"%s\"", name,
		    c->x.thumbprint, c->status,
		    !c->has_private_key ? "no private key"
		    : c->exportable     ? "exportable key"
		                        : "key",
		    svc[0] ? svc : "none", c->friendly_name);
	}
	for (i = 0; i < s->nrequests; i++)
		add(l, "%s: pending request %s: %s", name,
		    s->requests[i].thumbprint, s->requests[i].subject);
	for (i = 0; i < s->nrconns; i++)
		add(l, "%s: receive connector %s: TlsCertificateName %s", name,
		    s->rconns[i].identity, or_unset(s->rconns[i].tls_name));
	for (i = 0; i < s->nbindings; i++)
		add(l, "%s: IIS %s:%d: %s", name, s->bindings[i].site,
		    s->bindings[i].port, or_unset(s->bindings[i].thumbprint));
	add(l, "%s: internal transport certificate %s", name,
	    or_unset(s->transport_cert));
	if (s->has_auth)
		add(l, "%s: Auth certificate %s, next %s", name,
		    or_unset(s->auth_current), or_unset(s->auth_next));
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void xc_observation_facts(const struct xc_observation *o,
                          const struct xc_issuer_table *facts, char ***out,
                          size_t *n)
{
	struct lines l;
	size_t i;
	size_t j;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < o->nservers; i++)
		server_facts(&l, &o->servers[i]);
	if (!o->org_ok) {
		add(&l, "organisation: not observed");
	} else {
		for (i = 0; i < o->org.nsconns; i++)
			add(&l,
			    "organisation: send connector %s: TlsCertificateName %s",
			    o->org.sconns[i].name,
			    or_unset(o->org.sconns[i].tls_name));
		if (o->org.hybrid)
			add(&l,
			    "organisation: hybrid configuration: TlsCertificateName %s",
			    or_unset(o->org.hybrid_tls_name));
	}
	for (i = 0; facts && i < facts->n; i++)
		for (j = 0; j < facts->facts[i].nnames; j++)
			add(&l, "issuer %s: signs as %s",
			    facts->facts[i].issuer, facts->facts[i].names[j]);
	for (i = 0; facts && i < facts->n; i++)
		for (j = 0; j < facts->facts[i].nready; j++)
			add(&l, "issuer %s: has the certificate for %s",
			    facts->facts[i].issuer, facts->facts[i].ready[j]);
	for (i = 0; i < o->nari; i++)
		add(&l,
		    "issuer %s: ARI of %s: renew from %lld (window %lld to %lld)",
		    o->ari[i].issuer, o->ari[i].thumbprint, o->ari[i].chosen,
		    o->ari[i].start, o->ari[i].end);
	/* Served: the thumbprint, or only that it could not be seen (the
	 * words of a timeout vary from run to run). */
	for (i = 0; i < o->nserved; i++)
		add(&l, "certificate %s: %s %s: %s%s", o->served[i].cert,
		    o->served[i].lb ? "load balancer" : "endpoint",
		    o->served[i].what, o->served[i].ok ? "serves " : "not seen",
		    o->served[i].ok ? o->served[i].thumbprint : "");
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp);
	*out = l.v;
	*n = l.n;
}

void xc_facts_digest(char *const *lines, size_t n, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned len = 0;
	size_t i;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		EVP_DigestUpdate(ctx, lines[i], strlen(lines[i]) + 1);
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}
