/* SPDX-License-Identifier: MIT */
/* excert observe: the live state as excert sees it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/exchange/observe.h"
#include "providers/probe/served.h"
#include "providers/issuers.h"
#include "state/obsfile.h"
#include "state/sanitize.h"
#include "state/store.h"
#include "state/services.h"
#include "state/tlsname.h"
#include "state/x509.h"

enum { OPT_SERVER = 100, OPT_PARALLELISM, OPT_OUT };

const struct xc_opt xc_observe_opts[] = {
        {OPT_SERVER, 0, "server", XC_OPT_VALUE, "NAME",
         "observe this server only"},
        {OPT_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {OPT_OUT, 'o', "out", XC_OPT_VALUE, "FILE",
         "also save the observation, as the agents sent it, for plan --observation"},
        {0},
};

struct observe_args {
	const char *server;
	int parallelism;
	const char *out;
};

static int handle(void *arg, int id, const char *value)
{
	struct observe_args *a = arg;
	char *end;
	long n;

	if (id == OPT_SERVER) {
		a->server = value;
		return 0;
	}
	if (id == OPT_OUT) {
		a->out = value;
		return 0;
	}
	n = strtol(value, &end, 10);
	if (*end || n < 1 || n > 64) {
		xc_out_usage("--parallelism takes 1 to 64, not '%s'", value);
		return -1;
	}
	a->parallelism = (int)n;
	return 0;
}

/* "443, transport, Default Frontend MS01, hybrid": where c is in use. */
static void where_bound(const struct xc_observation *o,
                        const struct xc_obs_server *s,
                        const struct xc_obs_cert *c, char *buf, size_t size)
{
	char *tls = xc_tls_certificate_name(c->issuer, c->subject);
	size_t used = 0;
	size_t i;

#define ADD(...)                                                          \
	do {                                                              \
		if (used < size)                                          \
			used += (size_t)snprintf(buf + used, size - used, \
			                         "%s", used ? ", " : ""); \
		if (used < size)                                          \
			used += (size_t)snprintf(buf + used, size - used, \
			                         __VA_ARGS__);            \
	} while (0)
	buf[0] = '\0';
	for (i = 0; i < s->nbindings; i++)
		if (strcasecmp(s->bindings[i].thumbprint, c->x.thumbprint) == 0)
			ADD("IIS:%d", s->bindings[i].port);
	if (strcasecmp(s->transport_cert, c->x.thumbprint) == 0)
		ADD("transport");
	if (s->has_auth && strcasecmp(s->auth_current, c->x.thumbprint) == 0)
		ADD("Auth");
	if (s->has_auth && strcasecmp(s->auth_next, c->x.thumbprint) == 0)
		ADD("Auth (next)");
	for (i = 0; i < s->nrconns; i++)
		if (s->rconns[i].tls_name &&
		    xc_tls_equal(s->rconns[i].tls_name, tls))
			ADD("%s", s->rconns[i].identity);
	for (i = 0; o->org_ok && i < o->org.nsconns; i++)
		if (o->org.sconns[i].tls_name &&
		    xc_tls_equal(o->org.sconns[i].tls_name, tls))
			ADD("send: %s", o->org.sconns[i].name);
	if (o->org_ok && o->org.hybrid_tls_name &&
	    xc_tls_equal(o->org.hybrid_tls_name, tls))
		ADD("hybrid");
#undef ADD
	if (!buf[0])
		snprintf(buf, size, "-");
	free(tls);
}

/* Everything below but the dates and numbers is what the agents said, so
 * every string goes through the sanitizer; z is emptied per server. */
static void print_text(const struct xc_observation *o)
{
	long long now = (long long)time(NULL);
	struct xc_sanitize_pool z;
	size_t i;
	size_t j;

	xc_sanitize_pool_init(&z, 0);
	for (i = 0; i < o->nservers; i++) {
		const struct xc_server_obs *so = &o->servers[i];
		const struct xc_obs_server *s = &so->obs;

		xc_sanitize_pool_release(&z);
		if (!so->ok) {
			printf("%s  not observed: %s\n\n",
			       xc_sanitize_str(&z, so->server->name.v),
			       xc_sanitize_str(&z, so->err.msg));
			continue;
		}
		printf("%s  %s  %s %s  (%.2f s)\n",
		       xc_sanitize_str(&z, s->name),
		       xc_sanitize_str(&z, s->fqdn),
		       s->role == XC_ROLE_EDGE ? "Edge" : "Mailbox",
		       s->version ? xc_sanitize_str(&z, s->version) : "",
		       so->seconds);
		for (j = 0; j < s->ncerts; j++) {
			const struct xc_obs_cert *c = &s->certs[j];
			char svc[100];
			char bound[600];
			char date[16];
			time_t na = (time_t)c->x.not_after;
			struct tm tm;
			long long days = (c->x.not_after - now + 43200) / 86400;

			gmtime_r(&na, &tm);
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
			xc_services_format(c->services, svc, sizeof(svc));
			where_bound(o, s, c, bound, sizeof(bound));
			printf("  %s  %-24s in use: %s\n",
			       xc_sanitize_str(&z, c->x.thumbprint), svc,
			       xc_sanitize_str(&z, bound));
			printf("      %s  \"%s\"  expires %s (%lld days)%s\n",
			       xc_sanitize_str(&z, c->subject),
			       xc_sanitize_str(&z, c->friendly_name), date,
			       days, c->self_signed ? "  self-signed" : "");
			if (!c->self_signed)
				printf("      issuer %s\n",
				       xc_sanitize_str(&z, c->issuer));
		}
		for (j = 0; j < s->nrequests; j++)
			printf("  %s  pending request  %s  \"%s\"\n",
			       xc_sanitize_str(&z, s->requests[j].thumbprint),
			       xc_sanitize_str(&z, s->requests[j].subject),
			       s->requests[j].friendly_name
			               ? xc_sanitize_str(
			                         &z,
			                         s->requests[j].friendly_name)
			               : "");
		putchar('\n');
	}
	xc_sanitize_pool_release(&z);
	if (!o->org_ok) {
		printf("organisation: not observed: %s\n",
		       xc_sanitize_str(&z, o->org_err.msg));
		xc_sanitize_pool_release(&z);
		return;
	}
	printf("organisation (asked of %s)\n",
	       xc_sanitize_str(&z, o->org_from->name.v));
	for (j = 0; j < o->org.nsconns; j++)
		printf("  send connector %s: %s\n",
		       xc_sanitize_str(&z, o->org.sconns[j].name),
		       o->org.sconns[j].tls_name
		               ? xc_sanitize_str(&z, o->org.sconns[j].tls_name)
		               : "(no TlsCertificateName)");
	if (o->org.hybrid)
		printf("  hybrid configuration: %s\n",
		       o->org.hybrid_tls_name
		               ? xc_sanitize_str(&z, o->org.hybrid_tls_name)
		               : "(no TlsCertificateName)");
	else
		printf("  no hybrid configuration\n");
	xc_sanitize_pool_release(&z);
}

/* What the verify endpoints and load balancers serve. */
static void print_served(const struct xc_observation *o)
{
	struct xc_sanitize_pool z;
	size_t j;

	xc_sanitize_pool_init(&z, 0);
	for (j = 0; j < o->nserved; j++) {
		const struct xc_served *v = &o->served[j];

		if (!j)
			printf("served\n");
		/* A probe's error quotes what the server said. */
		printf("  %s %s %s: %s%s\n", xc_sanitize_str(&z, v->cert),
		       v->lb ? "load balancer" : "endpoint",
		       xc_sanitize_str(&z, v->what), v->ok ? "" : "not seen: ",
		       xc_sanitize_str(&z, v->ok ? v->thumbprint : v->error));
		xc_sanitize_pool_release(&z);
	}
}

/* observe -o: the replies with what is known of the issuers, so that a
 * plan from the file is the plan excert would have made then. */
static int save(const struct xc_observation *o, const struct xc_config *cfg,
                const char *base, const char *path)
{
	struct xc_issuer_table facts;
	struct xc_error err;
	char *text;
	int rc;

	xc_error_clear(&err);
	if (xc_issuers_load(&facts, cfg, base, &err) < 0) {
		xc_out_err(&err);
		return -1;
	}
	text = xc_obsfile_dump(o, &facts, cfg->organization.v,
	                       (long long)time(NULL));
	xc_issuers_release(&facts);
	rc = text ? xc_write_file_atomic(path, text, strlen(text), 0644, &err)
	          : xc_error_set(&err, XC_ENOMEM, "cannot write '%s'", path);
	free(text);
	if (rc < 0)
		xc_out_err(&err);
	return rc;
}

int xc_cmd_observe(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                   char **argv)
{
	struct observe_args a = {NULL, 8, NULL};
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_config *cfg = NULL;
	struct xc_observation o;
	struct xc_error err;
	char *base = NULL;
	int failed = 0;
	size_t i;
	int n;
	int rc;

	n = xc_cmd_parse(ctx, self, argc, argv, pos, handle, &a);
	free(pos);
	if (n == -2)
		return XC_EXIT_OK;
	if (n != 0) {
		if (n > 0)
			xc_out_usage("observe takes no arguments");
		return XC_EXIT_USAGE;
	}
	rc = xc_cmd_load_config(ctx, &cfg, &base, NULL);
	if (rc != XC_EXIT_OK)
		return rc;
	xc_error_clear(&err);
	if (xc_observe(&o, cfg, base, a.server, a.parallelism, &err) < 0) {
		xc_out_err(&err);
		xc_config_free(cfg);
		free(base);
		return XC_EXIT_ERROR;
	}
	/* What users are served, unless one server was asked for. */
	if (!a.server)
		xc_observe_served(&o, cfg);
	for (i = 0; i < o.nservers; i++) {
		if (!o.servers[i].ok) {
			xc_out_err(&o.servers[i].err);
			failed = 1;
		}
	}
	if (a.out && save(&o, cfg, base, a.out) < 0)
		failed = 1;
	if (ctx->format == XC_FMT_JSON) {
		char *json = xc_observation_json(&o);

		printf("%s\n", json);
		free(json);
	} else {
		print_text(&o);
		print_served(&o);
	}
	xc_observation_release(&o);
	xc_config_free(cfg);
	free(base);
	return failed ? XC_EXIT_ERROR : XC_EXIT_OK;
}
