/* SPDX-License-Identifier: MIT */
#include "reconcile/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "reconcile/match.h"
#include "reconcile/window.h"
#include "state/buf.h"
#include "state/dnsname.h"
#include "state/guard.h"
#include "state/duration.h"
#include "state/services.h"
#include "state/url.h"
#include "state/tlsname.h"
#include "state/x509.h"
#include "state/xalloc.h"

const struct xc_step_kind_info xc_step_kinds[XC_STEP_KINDS] = {
        [XC_STEP_REQUEST] = {"request", '+', false},
        [XC_STEP_ISSUE] = {"issue", '+', false},
        [XC_STEP_IMPORT] = {"import", '+', false},
        [XC_STEP_DISTRIBUTE] = {"distribute", '+', false},
        [XC_STEP_ENABLE] = {"enable", '+', false},
        [XC_STEP_SET_CONNECTOR] = {"set-connector", '~', false},
        [XC_STEP_SET_HYBRID] = {"set-hybrid", '~', false},
        [XC_STEP_RESTART] = {"restart", '~', false},
        [XC_STEP_LB_UPDATE] = {"lb-update", '+', false},
        [XC_STEP_VERIFY] = {"verify", '~', false},
        [XC_STEP_REMOVE] = {"remove", '-', true},
};

_Static_assert(sizeof(xc_step_kinds) / sizeof(xc_step_kinds[0]) ==
                       XC_STEP_KINDS,
               "a row for every step kind");

/* ---- building ------------------------------------------------------- */

struct builder {
	struct xc_plan *p;
	size_t cap;
	const struct xc_plan_input *in;
	size_t capnotes;
	size_t capunfixed;
};

static void note(struct builder *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void note(struct builder *b, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	void *v = b->p->notes;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xc_xgrow(&v, &b->capnotes, b->p->nnotes + 1, sizeof(char *));
	b->p->notes = v;
	b->p->notes[b->p->nnotes++] = xc_xstrdup(buf);
}

/* A difference between excert.yaml and the organisation that no step can
 * mend: said under "unfixed", and drift exits 2 for it. */
static void unfixed(struct builder *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void unfixed(struct builder *b, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	void *v = b->p->unfixed_notes;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xc_xgrow(&v, &b->capunfixed, b->p->unfixed + 1, sizeof(char *));
	b->p->unfixed_notes = v;
	b->p->unfixed_notes[b->p->unfixed++] = xc_xstrdup(buf);
}

static int target_index(const struct xc_cert *c, const char *server);

static struct xc_step *add(struct builder *b, enum xc_step_kind kind,
                           const struct xc_cert *c, const char *server,
                           const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static struct xc_step *add(struct builder *b, enum xc_step_kind kind,
                           const struct xc_cert *c, const char *server,
                           const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	void *v = b->p->steps;
	struct xc_step *s;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xc_xgrow(&v, &b->cap, b->p->nsteps + 1, sizeof(struct xc_step));
	b->p->steps = v;
	s = &b->p->steps[b->p->nsteps++];
	memset(s, 0, sizeof(*s));
	s->id = (int)b->p->nsteps;
	s->kind = kind;
	s->cert = c->name.v;
	s->server = server;
	s->reason = xc_xstrdup(buf);
	s->destructive = xc_step_kinds[kind].destructive;
	s->target = server ? target_index(c, server) : -1;
	return s;
}

static void dep(struct xc_step *s, int id)
{
	size_t i;

	if (id <= 0 || id == s->id)
		return;
	/* Ids mostly come in increasing order: then one look suffices. */
	if (s->ndeps && id <= s->deps[s->ndeps - 1])
		for (i = 0; i < s->ndeps; i++)
			if (s->deps[i] == id)
				return;
	{
		void *v = s->deps;

		xc_xgrow(&v, &s->capdeps, s->ndeps + 1, sizeof(*s->deps));
		s->deps = v;
		s->deps[s->ndeps++] = id;
	}
}

void xc_plan_release(struct xc_plan *p)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++) {
		free(p->steps[i].reason);
		free(p->steps[i].deps);
		free(p->steps[i].value);
		free(p->steps[i].old_value);
	}
	free(p->steps);
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	for (i = 0; i < p->unfixed; i++)
		free(p->unfixed_notes[i]);
	free(p->unfixed_notes);
	memset(p, 0, sizeof(*p));
}

size_t xc_plan_destructive(const struct xc_plan *p)
{
	size_t i;
	size_t n = 0;

	for (i = 0; i < p->nsteps; i++)
		n += p->steps[i].destructive;
	return n;
}

/* ---- looking things up --------------------------------------------- */

static const struct xc_server_obs *server_obs(const struct xc_observation *o,
                                              const char *name)
{
	return xc_observation_server(o, name);
}

static void date_of(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
}

static void time_of(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* ---- the renewal decision ------------------------------------------ */

struct current {
	const struct xc_obs_cert *cert; /* the newest usable match, or NULL */
	const char *held_on;            /* a server that holds it */
};

/* How much the organisation uses the certificate with this thumbprint:
 * each target server that binds it on IIS 443 or has it enabled for a
 * service, and each endpoint or load balancer that serves it. */
static size_t use_count(const struct xc_plan_input *in, const struct xc_cert *c,
                        const char *thumb)
{
	size_t n = 0;
	size_t i;
	size_t j;

	for (i = 0; i < c->servers.n; i++) {
		const struct xc_server_obs *so =
		        server_obs(in->obs, c->servers.v[i].v);

		for (j = 0; so && so->ok && j < so->obs.nbindings; j++)
			if (so->obs.bindings[j].port == 443 &&
			    strcmp(so->obs.bindings[j].thumbprint, thumb) == 0)
				n++;
		for (j = 0; so && so->ok && j < so->obs.ncerts; j++)
			if (so->obs.certs[j].services &&
			    strcmp(so->obs.certs[j].x.thumbprint, thumb) == 0)
				n++;
	}
	for (i = 0; i < in->obs->nserved; i++)
		if (in->obs->served[i].ok &&
		    strcmp(in->obs->served[i].cert, c->name.v) == 0 &&
		    strcmp(in->obs->served[i].thumbprint, thumb) == 0)
			n++;
	return n;
}

/* Whether o should be the current certificate rather than cur: it expires
 * later; or, among equals (two renewals of one day, say, by two
 * controllers), it is the one in use, so that what is bound and served
 * stays and the other is superseded; the thumbprint decides the rest, so
 * that every plan makes the same choice. */
static bool newer_or_in_use(const struct xc_plan_input *in,
                            const struct xc_cert *c,
                            const struct xc_obs_cert *o,
                            const struct xc_obs_cert *cur)
{
	size_t uo;
	size_t uc;

	if (o->x.not_after != cur->x.not_after)
		return o->x.not_after > cur->x.not_after;
	if (strcmp(o->x.thumbprint, cur->x.thumbprint) == 0)
		return false;
	uo = use_count(in, c, o->x.thumbprint);
	uc = use_count(in, c, cur->x.thumbprint);
	if (uo != uc)
		return uo > uc;
	return strcmp(o->x.thumbprint, cur->x.thumbprint) < 0;
}

/* Whether o can be on every target: it is there already, or its key can
 * be exported.  Such a certificate is preferred to a later one that some
 * target can never get (one an administrator made by hand on one server,
 * with a key that cannot be exported). */
static bool complete(const struct xc_plan_input *in, const struct xc_cert *c,
                     const struct xc_obs_cert *o)
{
	size_t i;

	if (o->exportable)
		return true;
	for (i = 0; i < c->servers.n; i++) {
		const struct xc_server_obs *so =
		        server_obs(in->obs, c->servers.v[i].v);

		if (!so || !so->ok ||
		    !xc_obs_server_cert(&so->obs, o->x.thumbprint))
			return false;
	}
	return true;
}

static void find_current(const struct xc_plan_input *in,
                         const struct xc_cert *c,
                         const struct xc_issuer_facts *f, struct current *cur,
                         char *why, size_t size)
{
	size_t i;
	size_t j;

	memset(cur, 0, sizeof(*cur));
	why[0] = '\0';
	for (i = 0; i < c->servers.n; i++) {
		const struct xc_server_obs *so =
		        server_obs(in->obs, c->servers.v[i].v);

		for (j = 0; so && so->ok && j < so->obs.ncerts; j++) {
			const struct xc_obs_cert *o = &so->obs.certs[j];
			char miss[600];

			if (!xc_cert_matches(c, o, f, miss, sizeof(miss))) {
				char friendly[128];

				xc_cert_friendly(c, friendly, sizeof(friendly));
				if (!why[0] &&
				    strcmp(o->friendly_name, friendly) == 0)
					snprintf(
					        why, size,
					        "%s holds '%s' (%.12s...), but it %s",
					        so->server->name.v, friendly,
					        o->x.thumbprint, miss);
				continue;
			}
			if (!xc_cert_usable(o, in->now)) {
				char d[16];

				date_of(o->x.not_after, d, sizeof(d));
				if (!why[0])
					snprintf(
					        why, size,
					        "the certificate on %s (%.12s...) %s",
					        so->server->name.v,
					        o->x.thumbprint,
					        o->has_private_key
					                ? (o->x.not_after <=
					                                   in->now
					                           ? "expired"
					                           : "is not valid yet")
					                : "has no private key");
				(void)d;
				continue;
			}
			if (!cur->cert ||
			    (complete(in, c, o) != complete(in, c, cur->cert)
			             ? complete(in, c, o)
			             : newer_or_in_use(in, c, o, cur->cert))) {
				cur->cert = o;
				cur->held_on = so->server->name.v;
			}
		}
	}
	if (!cur->cert && !why[0])
		snprintf(why, size,
		         "no target server holds a certificate for %s",
		         c->domains.v[0].v);
}

static void window_reason(const struct xc_cert *c, const struct xc_obs_cert *o,
                          long long now, char *buf, size_t size)
{
	char exp[16];
	char due[16];
	char rule[64];
	long long left = (o->x.not_after - now + 43200) / 86400;

	date_of(o->x.not_after, exp, sizeof(exp));
	date_of(xc_renewal_due(c, o->x.not_before, o->x.not_after), due,
	        sizeof(due));
	if (c->renew_before.set) {
		char d[32];

		xc_duration_format(c->renew_before.v, d, sizeof(d));
		snprintf(rule, sizeof(rule), "renew_before %s", d);
	} else if (c->renew_before_percent.set) {
		snprintf(rule, sizeof(rule), "renew_before_percent %lld",
		         c->renew_before_percent.v);
	} else {
		snprintf(rule, sizeof(rule), "the last third of its lifetime");
	}
	snprintf(
	        buf, size,
	        "the certificate expires %s (%lld days left); renewal is due since %s (%s)",
	        exp, left, due, rule);
}

/* ---- planning one certificate --------------------------------------- */

struct certplan {
	struct builder *b;
	const struct xc_cert *c;
	const struct xc_issuer_facts *f;
	bool fresh;           /* a new certificate comes */
	const char *issuer_n; /* the new certificate's issuer, when known */
	const struct xc_obs_cert *cur; /* converging: the current one */
	const char *held_on;           /* converging: a server holding it */
	int *got;     /* per target: the step after which it holds the
	                 certificate (0: holds it already) */
	int *enabled; /* per target: the enable step, or 0 */
	int *touched; /* per target: the last step changing it */
	bool *smtp_changed;
	bool *iis_changed;
	char **restart_why; /* per target, iis then transport: why a
	                       restart is needed when an endpoint shows it;
	                       owned, NULL for the usual reason */
};

static int target_index(const struct xc_cert *c, const char *server)
{
	size_t i;

	/* Most steps name the certificate's own string: find it by
	 * address first, so that big plans stay linear. */
	for (i = 0; i < c->servers.n; i++)
		if (c->servers.v[i].v == server)
			return (int)i;
	for (i = 0; i < c->servers.n; i++)
		if (strcasecmp(c->servers.v[i].v, server) == 0)
			return (int)i;
	return -1;
}

/* The TlsCertificateName the certificate will be known by; NULL when the
 * issuer is known only after issuance.  Caller frees. */
static char *wanted_tls(const struct certplan *cp)
{
	if (cp->cur)
		return xc_tls_certificate_name(cp->cur->issuer,
		                               cp->cur->subject);
	if (cp->issuer_n)
		return xc_tls_certificate_name(cp->issuer_n, cp->c->subject.v);
	return NULL;
}

/* Plans a set-connector/set-hybrid when the value really changes. */
static void plan_tls(struct certplan *cp, enum xc_step_kind kind,
                     const char *server, const char *connector, bool send,
                     const char *current, const char *what)
{
	char *want = wanted_tls(cp);
	char ci[2048];
	char cs[2048];
	struct xc_step *s;
	int t;
	size_t i;

	if (want) {
		if (current && xc_tls_equal(current, want)) {
			free(want);
			return;
		}
	} else if (current && xc_tls_split(current, ci, cs, sizeof(ci)) &&
	           xc_dn_equal(cs, cp->c->subject.v)) {
		/* Same subject; the issuer decides after issuance. */
		s = add(cp->b, kind, cp->c, server,
		        "%s names %s; changed only if the new certificate's issuer differs (known after apply)",
		        what, current);
		s->conditional = true;
		goto deps;
	}
	s = add(cp->b, kind, cp->c, server, "%s names %s, not this certificate",
	        what, current ? current : "no certificate");
	s->value = want;
	want = NULL;
deps:
	s->connector = connector;
	s->send = send;
	s->old_value = current ? xc_xstrdup(current) : NULL;
	/* Named only once the certificate is enabled wherever it serves. */
	for (i = 0; i < cp->c->servers.n; i++)
		dep(s, cp->enabled[i] ? cp->enabled[i] : cp->got[i]);
	t = server ? target_index(cp->c, server) : -1;
	if (t >= 0) {
		cp->touched[t] = s->id;
		cp->smtp_changed[t] = true;
	}
	free(want);
}

static void plan_connectors(struct certplan *cp)
{
	const struct xc_cert *c = cp->c;
	const struct xc_observation *o = cp->b->in->obs;
	size_t i;
	size_t j;

	if (c->connectors) {
		for (i = 0; i < c->connectors->send.n; i++) {
			const char *name = c->connectors->send.v[i].v;
			const struct xc_obs_sconn *sc = NULL;
			char what[400];

			for (j = 0; o->org_ok && j < o->org.nsconns; j++)
				if (strcasecmp(o->org.sconns[j].name, name) ==
				    0)
					sc = &o->org.sconns[j];
			if (!o->org_ok) {
				note(cp->b,
				     "send connector '%s' of certificate '%s' not planned: the organisation could not be observed",
				     name, c->name.v);
				cp->b->p->blocked++;
				continue;
			}
			if (!sc) {
				unfixed(cp->b,
				        "send connector '%s' of certificate '%s' does not exist in the organisation: create it, or take it out of excert.yaml",
				        name, c->name.v);
				continue;
			}
			snprintf(what, sizeof(what), "send connector '%s'",
			         name);
			plan_tls(cp, XC_STEP_SET_CONNECTOR, NULL, name, true,
			         sc->tls_name, what);
		}
		for (i = 0; i < c->connectors->receive.n; i++) {
			const char *id = c->connectors->receive.v[i].v;
			const char *bs = strchr(id, '\\');
			char server[64];
			const struct xc_server_obs *so;
			const struct xc_obs_rconn *rc = NULL;
			char what[400];

			snprintf(server, sizeof(server), "%.*s", (int)(bs - id),
			         id);
			so = server_obs(o, server);
			for (j = 0; so && so->ok && j < so->obs.nrconns; j++)
				if (strcasecmp(so->obs.rconns[j].identity,
				               id) == 0)
					rc = &so->obs.rconns[j];
			if (!rc) {
				unfixed(cp->b,
				        "receive connector '%s' of certificate '%s' does not exist on %s: create it, or take it out of excert.yaml",
				        id, c->name.v, server);
				continue;
			}
			snprintf(what, sizeof(what), "receive connector '%s'",
			         id);
			plan_tls(cp, XC_STEP_SET_CONNECTOR, so->server->name.v,
			         id, false, rc->tls_name, what);
		}
	}
	if (c->hybrid.set && c->hybrid.v) {
		if (!o->org_ok) {
			note(cp->b,
			     "the hybrid configuration was not planned: the organisation could not be observed");
			cp->b->p->blocked++;
		} else if (!o->org.hybrid)
			unfixed(cp->b,
			        "certificate '%s' sets hybrid, but the organisation has no hybrid configuration: run the Hybrid Configuration Wizard, or set hybrid: false",
			        c->name.v);
		else
			plan_tls(cp, XC_STEP_SET_HYBRID, NULL, NULL, false,
			         o->org.hybrid_tls_name,
			         "the hybrid configuration");
	}
}

/* The target whose FQDN, name or ssh host is host, or -1. */
static int server_of_host(const struct certplan *cp, const char *host)
{
	const struct xc_config *cfg = cp->b->in->cfg;
	size_t i;

	for (i = 0; i < cp->c->servers.n; i++) {
		const struct xc_server *sv =
		        xc_config_server(cfg, cp->c->servers.v[i].v);

		if (sv && ((sv->fqdn.v && strcasecmp(sv->fqdn.v, host) == 0) ||
		           strcasecmp(sv->name.v, host) == 0 ||
		           (sv->connect && sv->connect->host.v &&
		            strcasecmp(sv->connect->host.v, host) == 0)))
			return (int)i;
	}
	return -1;
}

/* The load balancers: each must serve what Exchange serves (under
 * Extended Protection a different certificate breaks authentication).
 * True when one is planned to change. */
static bool plan_lbs(struct certplan *cp)
{
	const struct xc_cert *c = cp->c;
	const struct xc_observation *o = cp->b->in->obs;
	bool planned = false;
	size_t i;
	size_t k;

	for (i = 0; i < c->load_balancers.n; i++) {
		const char *name = c->load_balancers.v[i].v;
		const struct xc_served *sv =
		        xc_observation_served(o, c->name.v, name, true);
		struct xc_step *s;

		if (cp->fresh) {
			if (sv && sv->ok)
				s = add(cp->b, XC_STEP_LB_UPDATE, c, NULL,
				        "load balancer '%s' must serve the new certificate too (it serves %.12s... now)",
				        name, sv->thumbprint);
			else
				s = add(cp->b, XC_STEP_LB_UPDATE, c, NULL,
				        "load balancer '%s' must serve the new certificate too",
				        name);
			s->from_server = c->servers.v[0].v;
		} else if (sv && sv->ok &&
		           strcasecmp(sv->thumbprint, cp->cur->x.thumbprint) !=
		                   0) {
			s = add(cp->b, XC_STEP_LB_UPDATE, c, NULL,
			        "load balancer '%s' serves %.12s..., not the certificate Exchange holds",
			        name, sv->thumbprint);
			snprintf(s->thumbprint, sizeof(s->thumbprint), "%s",
			         cp->cur->x.thumbprint);
			s->from_server = cp->held_on;
		} else {
			if (sv && !sv->ok)
				note(cp->b,
				     "load balancer '%s' of certificate '%s' could not be asked what it serves: %s",
				     name, c->name.v, sv->error);
			continue;
		}
		s->lb = name;
		/* Exported once Exchange serves it everywhere, so that the
		 * two change together. */
		for (k = 0; k < c->servers.n; k++)
			dep(s, cp->enabled[k] ? cp->enabled[k] : cp->got[k]);
		planned = true;
	}
	return planned;
}

/* What the verify endpoints serve against what Exchange holds: a
 * restart where the endpoint is a server of the certificate (a transport
 * service keeps the certificate it started with), a note where no step
 * can change it.  True when a step was planned for what is served. */
static bool plan_served(struct certplan *cp, int first_step)
{
	const struct xc_cert *c = cp->c;
	const struct xc_observation *o = cp->b->in->obs;
	/* Steps of this certificate planned already (a connector named
	 * again, a service enabled) may be what changes it. */
	bool others = cp->b->p->nsteps >= (size_t)first_step;
	bool lbs = plan_lbs(cp);
	bool stale = false;
	size_t i;

	for (i = 0; i < c->verify.n; i++) {
		const char *url = c->verify.v[i].v;
		const struct xc_served *sv =
		        xc_observation_served(o, c->name.v, url, false);
		struct xc_url u;
		char why[300];
		char text[600];
		char ep[1400];
		char via[1400];
		int t = -1;

		if (!sv)
			continue;
		if (!sv->ok) {
			note(cp->b,
			     "endpoint %s of certificate '%s' could not be probed: %s",
			     url, c->name.v, sv->error);
			continue;
		}
		if (cp->fresh ||
		    strcasecmp(sv->thumbprint, cp->cur->x.thumbprint) == 0)
			continue;
		/* The server that answers: the one connected to ("via"), else
		 * the URL's host. */
		if (xc_verify_entry_split(url, ep, via, sizeof(ep)) &&
		    xc_url_parse(ep, "https smtp imap pop3 imaps pop3s", &u,
		                 why, sizeof(why))) {
			char host[300];
			unsigned port;

			if (!via[0])
				snprintf(host, sizeof(host), "%s", u.host);
			if (!via[0] ||
			    xc_host_port_split(via, host, sizeof(host), &port,
			                       why, sizeof(why)))
				t = server_of_host(cp, host);
		}
		if (t >= 0 && strcmp(u.scheme, "https") == 0 &&
		    (c->services_mask & XC_SVC_IIS)) {
			snprintf(
			        text, sizeof(text),
			        "%s serves %.12s..., not %.12s... that IIS on %s binds: IIS must pick it up",
			        url, sv->thumbprint, cp->cur->x.thumbprint,
			        c->servers.v[t].v);
			free(cp->restart_why[2 * t]);
			cp->restart_why[2 * t] = xc_xstrdup(text);
			cp->iis_changed[t] = true;
			stale = true;
		} else if (t >= 0 && strcmp(u.scheme, "smtp") == 0 &&
		           (c->services_mask & XC_SVC_SMTP)) {
			snprintf(
			        text, sizeof(text),
			        "%s serves %.12s..., not %.12s... that %s holds for SMTP: the transport service must pick it up",
			        url, sv->thumbprint, cp->cur->x.thumbprint,
			        c->servers.v[t].v);
			free(cp->restart_why[2 * t + 1]);
			cp->restart_why[2 * t + 1] = xc_xstrdup(text);
			cp->smtp_changed[t] = true;
			stale = true;
		} else if (others || lbs) {
			stale = true;
			note(cp->b,
			     "endpoint %s serves %.12s..., not certificate '%s' (%.12s...) that Exchange holds; the steps planned should change that, and the verification of the endpoints checks it",
			     url, sv->thumbprint, c->name.v,
			     cp->cur->x.thumbprint);
		} else {
			unfixed(cp->b,
			        "endpoint %s serves %.12s..., not certificate '%s' (%.12s...) that Exchange holds, and no step of excert changes what it serves: look at what answers there",
			        url, sv->thumbprint, c->name.v,
			        cp->cur->x.thumbprint);
		}
	}
	return stale || lbs;
}

/* Restarts, one per server and service, then a verification per server,
 * then the removals: the safe end of every change. */
/* ---- a server as the plan will leave it ------------------------------ */

/*
 * The removal guards (state/guard.h) are judged on the server and the
 * organisation as they will be when the removal runs, after the steps
 * before it: IIS on 443 and (when excert.yaml says so) the transport
 * certificate moved to the certificate that stays, the connectors and the
 * hybrid configuration excert.yaml manages named after it, and, for a new
 * certificate, that certificate held.  The runner checks the same rules
 * on what it then sees, so the planner never plans a removal the runner
 * refuses.
 */
struct prediction {
	struct xc_obs_server server;
	struct xc_obs_org org;
	struct xc_obs_cert fresh; /* the new certificate, when one comes */
	struct xc_obs_cert *kept; /* owned array (borrowed contents) */
	size_t nkept;
	char *tls;         /* its TlsCertificateName, or the current
	                      one's; owned */
	const char *stays; /* thumbprint, or NULL: none on this server */
};

#define FRESH_THUMB "(the new certificate)"

static void predict(const struct certplan *cp, size_t i,
                    const struct xc_obs_server *so, const char *issuer,
                    char *const *gone, size_t ngone, struct prediction *pr)
{
	const struct xc_cert *c = cp->c;
	const struct xc_observation *o = cp->b->in->obs;
	bool holds;
	size_t j;
	size_t k;

	memset(pr, 0, sizeof(*pr));
	pr->server = *so;
	/* What the plan removes from this server before is gone by then. */
	pr->kept = xc_xcalloc(so->ncerts + 1, sizeof(*pr->kept));
	for (j = 0; j < so->ncerts; j++) {
		for (k = 0; k < ngone; k++)
			if (strcasecmp(so->certs[j].x.thumbprint, gone[k]) == 0)
				break;
		if (k == ngone)
			pr->kept[pr->nkept++] = so->certs[j];
	}
	pr->server.certs = pr->kept;
	pr->server.ncerts = pr->nkept;
	if (cp->fresh) {
		/* Imported on the first server, distributed to the others. */
		snprintf(pr->fresh.x.thumbprint, sizeof(pr->fresh.x.thumbprint),
		         "%s", FRESH_THUMB);
		pr->fresh.issuer = (char *)issuer;
		pr->fresh.subject = (char *)c->subject.v;
		pr->fresh.has_private_key = true;
		pr->fresh.x.not_before = cp->b->in->now;
		pr->fresh.x.not_after = cp->b->in->now + 86400;
		snprintf(pr->fresh.status, sizeof(pr->fresh.status), "Valid");
		pr->server.certs =
		        xc_xcalloc(pr->nkept + 1, sizeof(*pr->server.certs));
		if (pr->nkept)
			memcpy(pr->server.certs, pr->kept,
			       pr->nkept * sizeof(*pr->kept));
		pr->server.certs[pr->nkept] = pr->fresh;
		pr->server.ncerts = pr->nkept + 1;
		pr->stays = FRESH_THUMB;
		pr->tls = xc_tls_certificate_name(issuer, c->subject.v);
		holds = true;
	} else {
		bool here =
		        xc_obs_server_cert(&pr->server, cp->cur->x.thumbprint);

		holds = here || cp->got[i];
		if (!here && holds) {
			/* Distributed before the removal. */
			pr->server.certs = xc_xcalloc(
			        pr->nkept + 1, sizeof(*pr->server.certs));
			if (pr->nkept)
				memcpy(pr->server.certs, pr->kept,
				       pr->nkept * sizeof(*pr->kept));
			pr->server.certs[pr->nkept] = *cp->cur;
			pr->server.ncerts = pr->nkept + 1;
		}
		pr->stays = holds ? cp->cur->x.thumbprint : NULL;
		pr->tls = xc_tls_certificate_name(cp->cur->issuer,
		                                  cp->cur->subject);
	}
	pr->server.bindings =
	        xc_xcalloc(so->nbindings + 1, sizeof(*so->bindings));
	if (so->nbindings)
		memcpy(pr->server.bindings, so->bindings,
		       so->nbindings * sizeof(*so->bindings));
	for (j = 0;
	     holds && (c->services_mask & XC_SVC_IIS) && j < so->nbindings; j++)
		if (so->bindings[j].port == 443)
			snprintf(pr->server.bindings[j].thumbprint,
			         sizeof(pr->server.bindings[j].thumbprint),
			         "%s", pr->stays);
	if (holds && (c->services_mask & XC_SVC_SMTP) &&
	    c->replace_transport_certificate.set &&
	    c->replace_transport_certificate.v && (cp->fresh || cp->enabled[i]))
		snprintf(pr->server.transport_cert,
		         sizeof(pr->server.transport_cert), "%s", pr->stays);
	pr->server.rconns = xc_xcalloc(so->nrconns + 1, sizeof(*so->rconns));
	if (so->nrconns)
		memcpy(pr->server.rconns, so->rconns,
		       so->nrconns * sizeof(*so->rconns));
	for (j = 0; c->connectors && j < so->nrconns; j++)
		for (k = 0; k < c->connectors->receive.n; k++)
			if (strcasecmp(so->rconns[j].identity,
			               c->connectors->receive.v[k].v) == 0)
				pr->server.rconns[j].tls_name = pr->tls;
	if (!o->org_ok)
		return;
	pr->org = o->org;
	pr->org.sconns = xc_xcalloc(o->org.nsconns + 1, sizeof(*o->org.sconns));
	if (o->org.nsconns)
		memcpy(pr->org.sconns, o->org.sconns,
		       o->org.nsconns * sizeof(*o->org.sconns));
	for (j = 0; c->connectors && j < o->org.nsconns; j++)
		for (k = 0; k < c->connectors->send.n; k++)
			if (strcasecmp(o->org.sconns[j].name,
			               c->connectors->send.v[k].v) == 0)
				pr->org.sconns[j].tls_name = pr->tls;
	if (c->hybrid.set && c->hybrid.v && o->org.hybrid)
		pr->org.hybrid_tls_name = pr->tls;
}

static void prediction_release(struct prediction *pr)
{
	if (pr->server.certs != pr->kept)
		free(pr->server.certs);
	free(pr->kept);
	free(pr->server.bindings);
	free(pr->server.rconns);
	free(pr->org.sconns);
	free(pr->tls);
}

/* Judges the removal of o from target i as the plan will leave it, with
 * the new certificate's issuer taken as issuer. */
static unsigned guard_after(const struct certplan *cp, size_t i,
                            const struct xc_server_obs *so,
                            const struct xc_obs_cert *o, const char *issuer,
                            char *const *gone, size_t ngone, char *why,
                            size_t size)
{
	struct prediction pr;
	struct xc_guard_ctx g;
	unsigned rule;

	predict(cp, i, &so->obs, issuer, gone, ngone, &pr);
	memset(&g, 0, sizeof(g));
	g.server = &pr.server;
	g.org = cp->b->in->obs->org_ok ? &pr.org : NULL;
	g.now = cp->b->in->now;
	g.stays = pr.stays;
	rule = xc_guard_removal(&g, o, XC_GUARD_ALL, why, size);
	prediction_release(&pr);
	return rule;
}

/* A superseded certificate that stays, and why.  One a TlsCertificateName
 * still needs is drift that only a person (or excert.yaml) can mend: the
 * name breaks when the certificate expires. */
static void keep(struct certplan *cp, const char *server, const char *friendly,
                 const struct xc_obs_cert *o, unsigned rule, const char *why)
{
	if (rule == XC_GUARD_NAMED) {
		unfixed(cp->b,
		        "%s keeps %s (%.12s...): %s; list that connector in excert.yaml (connectors:, hybrid: true) so that excert names the new certificate there, or re-point it by hand",
		        server, friendly, o->x.thumbprint, why);
		return;
	}
	note(cp->b, "%s keeps %s (%.12s...): %s", server, friendly,
	     o->x.thumbprint, why);
}

static void plan_finish(struct certplan *cp, int first_step)
{
	const struct xc_cert *c = cp->c;
	const struct xc_plan_input *in = cp->b->in;
	int *verify = xc_xcalloc(c->servers.n + 1, sizeof(int));
	bool stale_served = plan_served(cp, first_step);
	bool changed = cp->b->p->nsteps >= (size_t)first_step;
	int endpoints = 0;
	char friendly[128];
	size_t i;
	size_t j;
	size_t k;

	xc_cert_friendly(c, friendly, sizeof(friendly));
	for (i = 0; i < c->servers.n; i++) {
		const char *srv = c->servers.v[i].v;
		struct xc_step *s;

		if (cp->iis_changed[i]) {
			s = cp->restart_why[2 * i]
			            ? add(cp->b, XC_STEP_RESTART, c, srv, "%s",
			                  cp->restart_why[2 * i])
			            : add(cp->b, XC_STEP_RESTART, c, srv,
			                  "IIS on %s must pick up the certificate bound on 443",
			                  srv);
			s->service = "iis";
			dep(s, cp->touched[i]);
			dep(s, cp->enabled[i]);
			cp->touched[i] = s->id;
		}
		if (cp->smtp_changed[i]) {
			s = cp->restart_why[2 * i + 1]
			            ? add(cp->b, XC_STEP_RESTART, c, srv, "%s",
			                  cp->restart_why[2 * i + 1])
			            : add(cp->b, XC_STEP_RESTART, c, srv,
			                  "transport on %s must pick up the new SMTP certificate and connector settings",
			                  srv);
			s->service = "transport";
			dep(s, cp->touched[i]);
			dep(s, cp->enabled[i]);
			cp->touched[i] = s->id;
		}
	}
	/* Verify where something changed: on the server itself, or for the
	 * organisation (connectors, hybrid), which every server serves. */
	{
		/* The steps of each server, and those of the organisation, in
		 * one pass: big plans stay linear. */
		size_t last = cp->b->p->nsteps;
		size_t *count = xc_xcalloc(c->servers.n + 1, sizeof(size_t));
		size_t *at = xc_xcalloc(c->servers.n + 2, sizeof(size_t));
		int *bucket = xc_xcalloc(last + 1, sizeof(int));
		int *orgsteps = xc_xcalloc(last + 1, sizeof(int));
		size_t norg = 0;
		bool org = false;

		for (j = (size_t)first_step; j <= last; j++) {
			const struct xc_step *t = &cp->b->p->steps[j - 1];

			if (t->target >= 0)
				count[t->target]++;
			else if (!t->server)
				orgsteps[norg++] = (int)j;
			if (!t->server && (t->kind == XC_STEP_SET_CONNECTOR ||
			                   t->kind == XC_STEP_SET_HYBRID))
				org = true;
		}
		for (i = 0; i < c->servers.n; i++)
			at[i + 1] = at[i] + count[i];
		memset(count, 0, (c->servers.n + 1) * sizeof(size_t));
		for (j = (size_t)first_step; j <= last; j++) {
			int ti = cp->b->p->steps[j - 1].target;

			if (ti >= 0)
				bucket[at[ti] + count[ti]++] = (int)j;
		}
		for (i = 0; i < c->servers.n; i++) {
			struct xc_step *s;

			if (!changed || !(count[i] || org || cp->fresh))
				continue;
			s = add(cp->b, XC_STEP_VERIFY, c, c->servers.v[i].v,
			        "confirm on %s that the certificate is held, enabled for its services and named where it serves",
			        c->servers.v[i].v);
			if (!cp->fresh && cp->cur)
				snprintf(s->thumbprint, sizeof(s->thumbprint),
				         "%s", cp->cur->x.thumbprint);
			/* After every change on this server and every change
			 * of the organisation (connectors, hybrid, issue). */
			for (k = 0; k < norg; k++)
				dep(s, orgsteps[k]);
			for (k = at[i]; k < at[i] + count[i]; k++)
				dep(s, bucket[k]);
			verify[i] = s->id;
		}
		free(count);
		free(at);
		free(bucket);
		free(orgsteps);
	}
	/* Then the endpoints users reach must serve it: after every
	 * change of this certificate, the load balancers' included. */
	if (c->verify.n && (changed || stale_served)) {
		struct xc_step *s = add(
		        cp->b, XC_STEP_VERIFY, c, NULL,
		        "confirm that %zu endpoint%s serve%s the %s certificate: %s%s",
		        c->verify.n, c->verify.n == 1 ? "" : "s",
		        c->verify.n == 1 ? "s" : "",
		        cp->fresh ? "new" : "bound", c->verify.v[0].v,
		        c->verify.n > 1 ? ", ..." : "");
		size_t last = cp->b->p->nsteps;

		if (!cp->fresh)
			snprintf(s->thumbprint, sizeof(s->thumbprint), "%s",
			         cp->cur->x.thumbprint);
		for (j = (size_t)first_step; j < last; j++)
			dep(s, (int)j);
		endpoints = s->id;
	}
	if (c->remove_superseded.set &&
	    c->remove_superseded.v == XC_REMOVE_NEVER) {
		free(verify);
		return;
	}
	/* Superseded: excert's own certificates for this name, other than
	 * the one that stays. */
	for (i = 0; i < c->servers.n; i++) {
		const struct xc_server_obs *so =
		        server_obs(in->obs, c->servers.v[i].v);
		/* The removals planned on this server so far: each is judged
		 * with the ones before it done. */
		char **gone = xc_xcalloc(so && so->ok ? so->obs.ncerts + 1 : 1,
		                         sizeof(char *));
		size_t ngone = 0;

		for (j = 0; so && so->ok && j < so->obs.ncerts; j++) {
			const struct xc_obs_cert *o = &so->obs.certs[j];
			const char *issuer;
			char why[600];
			char why2[600];
			unsigned rule;
			bool conditional;
			struct xc_step *s;

			if (strcmp(o->friendly_name, friendly) != 0)
				continue;
			if (!cp->fresh && cp->cur &&
			    strcmp(o->x.thumbprint, cp->cur->x.thumbprint) == 0)
				continue;
			/* The issuer of a new certificate may be known only
			 * after issuance: judged both ways then. */
			issuer = cp->fresh ? (cp->issuer_n ? cp->issuer_n
			                                   : o->issuer)
			                   : NULL;
			rule = guard_after(cp, i, so, o, issuer, gone, ngone,
			                   why, sizeof(why));
			conditional = false;
			if (!rule && cp->fresh && !cp->issuer_n) {
				conditional = guard_after(cp, i, so, o,
				                          "(another issuer)",
				                          gone, ngone, why2,
				                          sizeof(why2)) != 0;
			}
			if (rule) {
				keep(cp, so->server->name.v, friendly, o, rule,
				     why);
				continue;
			}
			if (c->verify.n && !endpoints) {
				/* Nor before users are served the one that
				 * stays. */
				s = add(cp->b, XC_STEP_VERIFY, c, NULL,
				        "confirm that the endpoints serve the certificate that stays: %s%s",
				        c->verify.v[0].v,
				        c->verify.n > 1 ? ", ..." : "");
				snprintf(s->thumbprint, sizeof(s->thumbprint),
				         "%s", cp->cur->x.thumbprint);
				endpoints = s->id;
			}
			if (!verify[i]) {
				/* Nothing changed here, but nothing goes
				 * before the one that stays is verified. */
				s = add(cp->b, XC_STEP_VERIFY, c,
				        so->server->name.v,
				        "confirm on %s that the certificate that stays is held, enabled and named where it serves",
				        so->server->name.v);
				/* Which one stays is the planner's choice (see
				 * newer_or_in_use): the runner checks that
				 * one, not one it would pick itself. */
				if (!cp->fresh && cp->cur)
					snprintf(s->thumbprint,
					         sizeof(s->thumbprint), "%s",
					         cp->cur->x.thumbprint);
				verify[i] = s->id;
			}
			if (conditional) {
				s = add(cp->b, XC_STEP_REMOVE, c,
				        so->server->name.v,
				        "superseded; removed after verification if the new certificate keeps the old issuer, since otherwise %s",
				        why2);
				s->conditional = true;
			} else {
				s = add(cp->b, XC_STEP_REMOVE, c,
				        so->server->name.v,
				        "superseded; removed only after verification, and only if nothing uses it then");
			}
			snprintf(s->thumbprint, sizeof(s->thumbprint), "%s",
			         o->x.thumbprint);
			gone[ngone++] = s->thumbprint;
			for (k = 0; k < c->servers.n; k++)
				dep(s, verify[k]);
			dep(s, endpoints);
		}
		free(gone);
	}
	free(verify);
}

/* A manual issuer's CA has put the certificate for request in place. */
static bool manual_ready(const struct xc_issuer_facts *f, const char *request)
{
	size_t i;

	for (i = 0; f && i < f->nready; i++)
		if (strcasecmp(f->ready[i], request) == 0)
			return true;
	return false;
}

static void plan_fresh(struct certplan *cp, const char *why)
{
	const struct xc_cert *c = cp->c;
	const struct xc_plan_input *in = cp->b->in;
	const struct xc_issuer *is = xc_config_issuer(in->cfg, c->issuer.v);
	const struct xc_manual *manual = is ? is->manual : NULL;
	const char *s1 = c->servers.v[0].v;
	const struct xc_server_obs *so1 = server_obs(in->obs, s1);
	char friendly[128];
	struct xc_step *s;
	int req = 0;
	int issue;
	int imp;
	size_t i;
	size_t j;

	xc_cert_friendly(c, friendly, sizeof(friendly));
	cp->fresh = true;
	if (cp->f && cp->f->nnames == 1)
		cp->issuer_n = cp->f->names[0];
	/* A matching pending request on the first server is reused. */
	for (j = 0; so1 && j < so1->obs.nrequests; j++) {
		const struct xc_obs_request *r = &so1->obs.requests[j];
		bool same = xc_dn_equal(r->subject, c->subject.v) &&
		            r->key_size == c->key_size &&
		            r->exportable == c->exportable &&
		            r->friendly_name &&
		            strcmp(r->friendly_name, friendly) == 0 &&
		            r->ndomains == c->domains.n && r->csr;

		for (i = 0; same && i < c->domains.n; i++) {
			size_t k;

			for (k = 0; k < r->ndomains; k++)
				if (xc_dns_name_equal(r->domains[k],
				                      c->domains.v[i].v))
					break;
			same = k < r->ndomains;
		}
		if (same) {
			size_t k;

			/* Issued already by an apply that did not get to
			 * import it: import that one, never sign twice. */
			for (k = 0; k < in->nissued; k++) {
				if (strcmp(in->issued[k].request,
				           r->thumbprint) != 0)
					continue;
				s = add(cp->b, XC_STEP_IMPORT, c, s1,
				        "%s; import on %s the certificate issued for its pending request %.12s... by an earlier apply",
				        why, s1, r->thumbprint);
				snprintf(s->reuse_request,
				         sizeof(s->reuse_request), "%s",
				         r->thumbprint);
				imp = s->id;
				cp->got[0] = imp;
				goto distributed;
			}
			if (manual && manual_ready(cp->f, r->thumbprint)) {
				s = add(cp->b, XC_STEP_ISSUE, c, NULL,
				        "%s; the certificate that manual issuer '%s' got for the pending request %.12s... on %s is in %s: it is taken",
				        why, c->issuer.v, r->thumbprint, s1,
				        manual->path.v);
			} else if (manual) {
				s = add(cp->b, XC_STEP_ISSUE, c, NULL,
				        "%s; waiting for the CA: the pending request %.12s... of %s is in %s/%s.csr for manual issuer '%s'; the certificate goes beside it as %s.cer",
				        why, r->thumbprint, s1, manual->path.v,
				        r->thumbprint, c->issuer.v,
				        r->thumbprint);
				note(cp->b,
				     "certificate '%s' is waiting for the CA: put the certificate for request %s in %s as %s.cer (PEM or DER), then apply",
				     c->name.v, r->thumbprint, manual->path.v,
				     r->thumbprint);
			} else {
				s = add(cp->b, XC_STEP_ISSUE, c, NULL,
				        "%s; issuer '%s' signs the pending request %.12s... already on %s",
				        why, c->issuer.v, r->thumbprint, s1);
			}
			snprintf(s->reuse_request, sizeof(s->reuse_request),
			         "%s", r->thumbprint);
			s->issuer = c->issuer.v;
			issue = s->id;
			goto imported;
		}
	}
	s = add(cp->b, XC_STEP_REQUEST, c, s1,
	        "%s; %s makes the request (RSA %d%s), so the key never leaves Exchange",
	        why, s1, c->key_size, c->exportable ? ", exportable" : "");
	req = s->id;
	if (manual)
		s = add(cp->b, XC_STEP_ISSUE, c, NULL,
		        "manual issuer '%s': apply writes the request to %s and stops there, waiting for the CA's certificate",
		        c->issuer.v, manual->path.v);
	else
		s = add(cp->b, XC_STEP_ISSUE, c, NULL,
		        "issuer '%s' signs the request", c->issuer.v);
	s->issuer = c->issuer.v;
	dep(s, req);
	issue = s->id;
imported:
	s = add(cp->b, XC_STEP_IMPORT, c, s1,
	        "complete the request on %s, where its key is", s1);
	dep(s, issue);
	imp = s->id;
	cp->got[0] = imp;
distributed:
	for (i = 1; i < c->servers.n; i++) {
		s = add(cp->b, XC_STEP_DISTRIBUTE, c, c->servers.v[i].v,
		        "copy the certificate and its key from %s to %s", s1,
		        c->servers.v[i].v);
		s->from_server = s1;
		dep(s, imp);
		cp->got[i] = s->id;
	}
	for (i = 0; i < c->servers.n; i++) {
		char svc[100];

		xc_services_format(c->services_mask, svc, sizeof(svc));
		s = add(cp->b, XC_STEP_ENABLE, c, c->servers.v[i].v,
		        "enable %s for the new certificate on %s", svc,
		        c->servers.v[i].v);
		s->services = c->services_mask;
		s->replace_transport = c->replace_transport_certificate.set &&
		                       c->replace_transport_certificate.v;
		dep(s, cp->got[i]);
		cp->enabled[i] = s->id;
		cp->touched[i] = s->id;
		cp->iis_changed[i] = (c->services_mask & XC_SVC_IIS) != 0;
		cp->smtp_changed[i] = (c->services_mask & XC_SVC_SMTP) != 0;
	}
	plan_connectors(cp);
}

static void plan_converge(struct certplan *cp, const struct current *cur)
{
	const struct xc_cert *c = cp->c;
	const struct xc_plan_input *in = cp->b->in;
	const struct xc_obs_cert *o = cur->cert;
	size_t i;
	size_t j;

	cp->cur = o;
	cp->held_on = cur->held_on;
	for (i = 0; i < c->servers.n; i++) {
		const char *srv = c->servers.v[i].v;
		const struct xc_server_obs *so = server_obs(in->obs, srv);
		const struct xc_obs_cert *here =
		        xc_obs_server_cert(&so->obs, o->x.thumbprint);
		unsigned missing;
		bool iis_off = false;
		struct xc_step *s;
		char svc[100];

		if (!here) {
			if (!o->exportable) {
				note(cp->b,
				     "%s lacks certificate '%s', and the one on %s cannot be copied (its key is not exportable)",
				     srv, c->name.v, cur->held_on);
				continue;
			}
			s = add(cp->b, XC_STEP_DISTRIBUTE, c, srv,
			        "%s lacks the certificate (%.12s...) that %s holds",
			        srv, o->x.thumbprint, cur->held_on);
			s->from_server = cur->held_on;
			snprintf(s->thumbprint, sizeof(s->thumbprint), "%s",
			         o->x.thumbprint);
			cp->got[i] = s->id;
			missing = c->services_mask;
		} else {
			missing = c->services_mask & ~here->services;
		}
		if (c->services_mask & XC_SVC_IIS) {
			for (j = 0; j < so->obs.nbindings; j++)
				if (so->obs.bindings[j].port == 443 &&
				    strcasecmp(so->obs.bindings[j].thumbprint,
				               o->x.thumbprint) != 0)
					iis_off = true;
		}
		if (!missing && !iis_off)
			continue;
		xc_services_format(missing ? missing : XC_SVC_IIS, svc,
		                   sizeof(svc));
		s = add(cp->b, XC_STEP_ENABLE, c, srv,
		        missing ? "%s is not enabled on %s"
		                : "IIS on %s serves another certificate on 443",
		        missing ? svc : srv, srv);
		s->services = missing ? missing | (iis_off ? XC_SVC_IIS : 0)
		                      : XC_SVC_IIS;
		s->replace_transport = c->replace_transport_certificate.set &&
		                       c->replace_transport_certificate.v;
		snprintf(s->thumbprint, sizeof(s->thumbprint), "%s",
		         o->x.thumbprint);
		dep(s, cp->got[i]);
		cp->enabled[i] = s->id;
		cp->touched[i] = s->id;
		cp->iis_changed[i] = (s->services & XC_SVC_IIS) != 0;
		cp->smtp_changed[i] = (s->services & XC_SVC_SMTP) != 0;
	}
	plan_connectors(cp);
}

/* Whether the current certificate is on every target or can be copied
 * there; if not, why, in words (a server must never be left with nothing
 * for the name while the others move on). */
static bool reaches_all(const struct xc_plan_input *in, const struct xc_cert *c,
                        const struct current *cur, char *why, size_t size)
{
	size_t i;

	if (cur->cert->exportable)
		return true;
	for (i = 0; i < c->servers.n; i++) {
		const struct xc_server_obs *so =
		        server_obs(in->obs, c->servers.v[i].v);

		if (!xc_obs_server_cert(&so->obs, cur->cert->x.thumbprint)) {
			snprintf(
			        why, size,
			        "%s lacks certificate '%s', and the one on %s (%.12s...) cannot be copied (its key is not exportable): a new exportable certificate is made for every server",
			        c->servers.v[i].v, c->name.v, cur->held_on,
			        cur->cert->x.thumbprint);
			return false;
		}
	}
	return true;
}

static void plan_cert(struct builder *b, const struct xc_cert *c)
{
	const struct xc_plan_input *in = b->in;
	struct certplan cp;
	struct current cur;
	const struct xc_ari_window *w = NULL;
	char why[900];
	char from[32];
	char to[32];
	char at[32];
	size_t first = b->p->nsteps + 1;
	size_t i;

	for (i = 0; i < c->servers.n; i++) {
		const struct xc_server_obs *so =
		        server_obs(in->obs, c->servers.v[i].v);

		if (!so || !so->ok) {
			note(b,
			     "certificate '%s' is left alone: %s could not be observed%s%s",
			     c->name.v, c->servers.v[i].v, so ? ": " : "",
			     so ? so->err.msg : "");
			b->p->blocked++;
			return;
		}
	}
	memset(&cp, 0, sizeof(cp));
	cp.b = b;
	cp.c = c;
	cp.got = xc_xcalloc(c->servers.n + 1, sizeof(int));
	cp.enabled = xc_xcalloc(c->servers.n + 1, sizeof(int));
	cp.touched = xc_xcalloc(c->servers.n + 1, sizeof(int));
	cp.smtp_changed = xc_xcalloc(c->servers.n + 1, sizeof(bool));
	cp.iis_changed = xc_xcalloc(c->servers.n + 1, sizeof(bool));
	cp.restart_why = xc_xcalloc(2 * c->servers.n + 1, sizeof(char *));
	cp.f = xc_issuer_facts_find(in->facts, in->nfacts, c->issuer.v);
	find_current(in, c, cp.f, &cur, why, sizeof(why));
	if (!cur.cert) {
		plan_fresh(&cp, why);
	} else if (xc_renewal_needed(c, cur.cert->x.not_before,
	                             cur.cert->x.not_after, in->now)) {
		window_reason(c, cur.cert, in->now, why, sizeof(why));
		plan_fresh(&cp, why);
	} else if ((w = xc_observation_ari(in->obs, cur.cert->x.thumbprint)) &&
	           in->now >= w->chosen) {
		/* The CA's window (ARI) comes first when it is earlier than
		 * excert.yaml's: a CA moves it forward before a revocation. */
		time_of(w->start, from, sizeof(from));
		time_of(w->end, to, sizeof(to));
		time_of(w->chosen, at, sizeof(at));
		snprintf(
		        why, sizeof(why),
		        "issuer '%s' suggests renewing this certificate between %s and %s (ARI); the point excert chose in that window, %s, has come",
		        c->issuer.v, from, to, at);
		plan_fresh(&cp, why);
	} else if (!reaches_all(in, c, &cur, why, sizeof(why))) {
		if (c->exportable) {
			plan_fresh(&cp, why);
		} else {
			note(b,
			     "certificate '%s' is left alone: %s; excert.yaml asks for a key that cannot be exported, so no one certificate can reach every server (set key: {exportable: true}, or give each server a certificate of its own)",
			     c->name.v, why);
			b->p->blocked++;
			goto out;
		}
	} else {
		if (w) {
			time_of(w->start, from, sizeof(from));
			time_of(w->end, to, sizeof(to));
			time_of(w->chosen, at, sizeof(at));
			note(b,
			     "certificate '%s': issuer '%s' suggests renewal between %s and %s (ARI); excert renews it from %s, unless excert.yaml's window comes first",
			     c->name.v, c->issuer.v, from, to, at);
		}
		plan_converge(&cp, &cur);
	}
	plan_finish(&cp, (int)first);
out:
	free(cp.got);
	free(cp.enabled);
	free(cp.touched);
	free(cp.smtp_changed);
	free(cp.iis_changed);
	for (i = 0; i < 2 * c->servers.n; i++)
		free(cp.restart_why[i]);
	free(cp.restart_why);
}

int xc_plan_make(struct xc_plan *out, const struct xc_plan_input *in,
                 struct xc_error *err)
{
	struct builder b;
	size_t i;
	size_t t;

	memset(out, 0, sizeof(*out));
	if (!in->cfg || !in->obs)
		return xc_error_set(
		        err, XC_EINVAL,
		        "a plan needs a desired and an observed state");
	for (t = 0; t < in->ntargets; t++)
		if (!xc_config_cert(in->cfg, in->targets[t]))
			return xc_error_set(
			        err, XC_ENOTFOUND,
			        "--target '%s' names no certificate of the desired state",
			        in->targets[t]);
	memset(&b, 0, sizeof(b));
	b.p = out;
	b.in = in;
	for (i = 0; i < in->cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(in->cfg)[i];

		for (t = 0; t < in->ntargets; t++)
			if (strcmp(in->targets[t], c->name.v) == 0)
				break;
		if (in->ntargets && t == in->ntargets)
			continue;
		plan_cert(&b, c);
	}
	for (i = 0; i < in->obs->nari_notes; i++)
		note(&b, "%s", in->obs->ari_notes[i]);
	return 0;
}
