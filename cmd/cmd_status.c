/* SPDX-License-Identifier: MIT */
/* excert status: each certificate on each of its servers, as it stands. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "cmd/session.h"
#include "reconcile/match.h"
#include "reconcile/window.h"
#include "state/sanitize.h"
#include "state/services.h"
#include "state/store.h"

const struct xc_opt xc_status_opts[] = {
        {XC_O_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {0},
};

/* The usable certificate on so that is c, as the planner picks it, or
 * NULL. */
static const struct xc_obs_cert *current(const struct xc_session *ss,
                                         const struct xc_cert *c,
                                         const struct xc_server_obs *so)
{
	if (!so || !so->ok)
		return NULL;
	return xc_cert_on_server(
	        c, &so->obs,
	        xc_issuer_facts_find(ss->facts.facts, ss->facts.n, c->issuer.v),
	        ss->in.now, NULL);
}

/* When ARI has excert renew: "ARI 12-01" (month and day, UTC). */
static void ari_date(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char md[8];

	gmtime_r(&tt, &tm);
	strftime(md, sizeof(md), "%m-%d", &tm);
	snprintf(buf, size, "ARI %s", md);
}

static bool bound443(const struct xc_server_obs *so, const char *thumb)
{
	size_t i;

	for (i = 0; i < so->obs.nbindings; i++)
		if (so->obs.bindings[i].port == 443 &&
		    strcasecmp(so->obs.bindings[i].thumbprint, thumb) == 0)
			return true;
	return false;
}

/* What the endpoints and load balancers serve against what Exchange
 * holds: the newest usable certificate on any of its servers. */
static void served_table(const struct xc_session *ss, bool json, json_t *doc)
{
	struct xc_sanitize_pool z;
	json_t *rows = json_array();
	size_t i;
	size_t j;

	xc_sanitize_pool_init(&z, 0);
	for (i = 0; i < ss->obs.nserved; i++) {
		const struct xc_served *v = &ss->obs.served[i];
		const struct xc_cert *c = xc_config_cert(ss->cfg, v->cert);
		const struct xc_obs_cert *want = NULL;
		bool same;

		for (j = 0; c && j < c->servers.n; j++) {
			const struct xc_obs_cert *x =
			        current(ss, c,
			                xc_observation_server(
			                        &ss->obs, c->servers.v[j].v));

			if (x && (!want || x->x.not_after > want->x.not_after))
				want = x;
		}
		same = v->ok && want &&
		       strcasecmp(v->thumbprint, want->x.thumbprint) == 0;
		if (json) {
			json_array_append_new(
			        rows,
			        json_pack("{s:s,s:s,s:o,s:o,s:b}",
			                  "certificate", v->cert,
			                  v->lb ? "load_balancer" : "endpoint",
			                  v->what, "thumbprint",
			                  v->ok ? json_string(v->thumbprint)
			                        : json_null(),
			                  "error",
			                  v->ok ? json_null()
			                        : json_string(v->error),
			                  "matches", same));
			continue;
		}
		if (!i)
			printf("\n%-16s %-36s %-40s %s\n", "CERTIFICATE",
			       "SERVED BY", "THUMBPRINT", "WHICH IS");
		/* What a probe or a load balancer said: sanitized. */
		printf("%-16s %-36s %-40s %s%s\n", xc_sanitize_str(&z, v->cert),
		       xc_sanitize_str(&z, v->what),
		       v->ok ? xc_sanitize_str(&z, v->thumbprint) : "-",
		       !v->ok  ? "not seen: "
		       : !want ? "not one Exchange holds"
		       : same  ? "the one Exchange holds"
		               : "NOT the one Exchange holds",
		       v->ok ? "" : xc_sanitize_str(&z, v->error));
		xc_sanitize_pool_release(&z);
	}
	if (json)
		json_object_set_new(doc, "served", rows);
	else
		json_decref(rows);
}

int xc_cmd_status(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                  char **argv)
{
	struct xc_plan_args a;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_session ss;
	json_t *rows = json_array();
	struct xc_store *store = NULL;
	bool missing = false;
	size_t i;
	size_t j;
	int rc;
	int n;

	memset(&a, 0, sizeof(a));
	n = xc_cmd_parse(ctx, self, argc, argv, pos, xc_plan_args_handle, &a);
	free(pos);
	if (n != 0) {
		json_decref(rows);
		if (n > 0)
			xc_out_usage("status takes no arguments");
		return n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	}
	rc = xc_session_load(ctx, &ss);
	if (rc == XC_EXIT_OK) {
		store = xc_session_reading_store(ctx, ss.cfg);
		rc = xc_session_plan(&ss, &a, store);
		xc_store_close(store);
	}
	if (rc != XC_EXIT_OK) {
		json_decref(rows);
		xc_session_release(&ss);
		return rc;
	}
	if (ctx->format != XC_FMT_JSON)
		printf("%-16s %-8s %-40s %6s  %-10s %-24s %s\n", "CERTIFICATE",
		       "SERVER", "THUMBPRINT", "DAYS", "RENEW", "SERVICES",
		       "IIS 443");
	for (i = 0; i < ss.cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(ss.cfg)[i];

		for (j = 0; j < c->servers.n; j++) {
			const struct xc_server_obs *so = xc_observation_server(
			        &ss.obs, c->servers.v[j].v);
			const struct xc_obs_cert *x = current(&ss, c, so);
			long long days =
			        x ? (x->x.not_after - ss.in.now + 43200) / 86400
			          : 0;
			const struct xc_ari_window *w =
			        x ? xc_observation_ari(&ss.obs, x->x.thumbprint)
			          : NULL;
			bool ari_due = w && ss.in.now >= w->chosen;
			bool due = x && (xc_renewal_needed(c, x->x.not_before,
			                                   x->x.not_after,
			                                   ss.in.now) ||
			                 ari_due);
			char svc[100] = "-";
			const char *iis = "-";

			if (x) {
				xc_services_format(x->services &
				                           c->services_mask,
				                   svc, sizeof(svc));
				if (c->services_mask & XC_SVC_IIS)
					iis = bound443(so, x->x.thumbprint)
					              ? "bound"
					              : "NOT BOUND";
			} else {
				missing = true;
			}
			if (ctx->format == XC_FMT_JSON) {
				json_array_append_new(
				        rows,
				        json_pack(
				                "{s:s,s:s,s:b,s:o,s:o,s:b,s:o}",
				                "certificate", c->name.v,
				                "server", c->servers.v[j].v,
				                "observed", so && so->ok,
				                "thumbprint",
				                x ? json_string(x->x.thumbprint)
				                  : json_null(),
				                "days_left",
				                x ? json_integer(days)
				                  : json_null(),
				                "renewal_due", due, "services",
				                x ? json_string(svc)
				                  : json_null()));
				if (w)
					json_object_set_new(
					        json_array_get(
					                rows,
					                json_array_size(rows) -
					                        1),
					        "ari",
					        json_pack(
					                "{s:I,s:I,s:I}",
					                "start",
					                (json_int_t)w->start,
					                "end",
					                (json_int_t)w->end,
					                "chosen",
					                (json_int_t)w->chosen));
				continue;
			}
			{
				struct xc_sanitize_pool z;
				char d[24] = "-";
				char renew[32] = "-";

				if (x)
					snprintf(d, sizeof(d), "%lld", days);
				if (due)
					snprintf(renew, sizeof(renew), "%s",
					         ari_due ? "due (ARI)" : "due");
				else if (w)
					ari_date(w->chosen, renew,
					         sizeof(renew));
				xc_sanitize_pool_init(&z, 0);
				printf("%-16s %-8s %-40s %6s  %-10s %-24s %s\n",
				       xc_sanitize_str(&z, c->name.v),
				       xc_sanitize_str(&z, c->servers.v[j].v),
				       x ? xc_sanitize_str(&z, x->x.thumbprint)
				       : so && so->ok ? "(none)"
				                      : "(not observed)",
				       d, renew, svc, iis);
				xc_sanitize_pool_release(&z);
			}
		}
	}
	if (ctx->format == XC_FMT_JSON) {
		json_t *doc = json_pack("{s:i,s:o}", "format_version", 1,
		                        "certificates", rows);

		served_table(&ss, true, doc);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	} else {
		json_decref(rows);
		served_table(&ss, false, NULL);
	}
	xc_session_release(&ss);
	return missing ? XC_EXIT_CHANGES : XC_EXIT_OK;
}
