/* SPDX-License-Identifier: MIT */
#include "cmd/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/exchange/observe.h"
#include "providers/probe/served.h"
#include "reconcile/match.h"
#include "state/clock.h"
#include "state/buf.h"
#include "state/config.h"
#include "state/store.h"
#include "state/xalloc.h"

int xc_plan_args_handle(void *arg, int id, const char *value)
{
	struct xc_plan_args *a = arg;
	char *end;
	long n;

	switch (id) {
	case XC_O_DETAILED:
		a->detailed = true;
		return 0;
	case XC_O_AUTO:
		a->auto_approve = true;
		return 0;
	case XC_O_OBSERVATION:
		a->observation = value;
		return 0;
	case XC_O_OUT:
		a->out = value;
		return 0;
	case XC_O_TARGET:
		if (a->ntargets == 64) {
			xc_out_usage("at most 64 --target options");
			return -1;
		}
		a->targets[a->ntargets++] = value;
		return 0;
	case XC_O_WAIT:
		n = strtol(value, &end, 10);
		if (*end || end == value || n < 0 || n > 86400) {
			xc_out_usage(
			        "--wait takes 0 to 86400 seconds, not '%s'",
			        value);
			return -1;
		}
		a->wait = (int)n;
		return 0;
	case XC_O_PARALLELISM:
		n = strtol(value, &end, 10);
		if (*end || n < 1 || n > 64) {
			xc_out_usage("--parallelism takes 1 to 64, not '%s'",
			             value);
			return -1;
		}
		a->parallelism = (int)n;
		return 0;
	default:
		return -1;
	}
}

int xc_session_load(struct xc_ctx *ctx, struct xc_session *s)
{
	memset(s, 0, sizeof(*s));
	return xc_cmd_load_config(ctx, &s->cfg, &s->base, &s->src);
}

/* The observation file at path, in place of observing. */
static int load_observation(struct xc_session *s, const char *path,
                            struct xc_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = xc_read_file(path, XC_OBSFILE_MAX, &text, &len, err);

	if (rc == 0)
		rc = xc_obsfile_load(&s->obs, &s->facts, s->cfg, text, len,
		                     path, err);
	free(text);
	return rc;
}

/* The renewal windows that ACME CAs suggest (ARI) for the certificates in
 * use, each asked once; a CA that cannot be asked leaves a note, and
 * excert.yaml's window applies. */
static void gather_ari(struct xc_session *s, struct xc_store *store,
                       long long now)
{
	struct xc_observation *o = &s->obs;
	size_t cap = 0;
	size_t ncap = 0;
	size_t i;
	size_t j;
	size_t k;

	for (i = 0; i < s->cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(s->cfg)[i];
		const struct xc_issuer *is =
		        xc_config_issuer(s->cfg, c->issuer.v);
		const struct xc_issuer_ops *ops =
		        is ? xc_issuer_ops_of(is) : NULL;
		const struct xc_issuer_facts *f = xc_issuer_facts_find(
		        s->facts.facts, s->facts.n, c->issuer.v);

		if (!ops || !ops->ari || !store)
			continue;
		for (j = 0; j < c->servers.n; j++) {
			const struct xc_server_obs *so =
			        xc_observation_server(o, c->servers.v[j].v);

			for (k = 0; so && so->ok && k < so->obs.ncerts; k++) {
				const struct xc_obs_cert *x = &so->obs.certs[k];
				struct xc_ari_window w;
				struct xc_error err;
				char why[600];
				char note[1200];
				bool has = false;

				if (!xc_cert_matches(c, x, f, why,
				                     sizeof(why)) ||
				    !xc_cert_usable(x, now) ||
				    xc_observation_ari(o, x->x.thumbprint))
					continue;
				xc_error_clear(&err);
				if (ops->ari(is, s->base, store, x->der,
				             x->der_len, &w, &has, &err) < 0) {
					snprintf(
					        note, sizeof(note),
					        "the renewal information (ARI) of %.12s... could not be had from issuer '%s', so excert.yaml's window applies: %s",
					        x->x.thumbprint, is->name.v,
					        err.msg);
					xc_xgrow((void **)&o->ari_notes, &ncap,
					         o->nari_notes + 1,
					         sizeof(*o->ari_notes));
					o->ari_notes[o->nari_notes++] =
					        xc_xstrdup(note);
					continue;
				}
				if (!has)
					continue;
				xc_xgrow((void **)&o->ari, &cap, o->nari + 1,
				         sizeof(*o->ari));
				o->ari[o->nari++] = w;
			}
		}
	}
}

/* The last observation, kept in the state directory for whoever wants to
 * see what excert saw (plan --observation takes it). */
static void keep_observation(struct xc_session *s, struct xc_store *store)
{
	struct xc_error err;
	char *text;

	if (!store)
		return;
	text = xc_obsfile_dump(&s->obs, &s->facts, s->cfg->organization.v,
	                       (long long)time(NULL));
	xc_error_clear(&err);
	if (text && xc_store_write(store, "observation.json", text,
	                           strlen(text), 0600, &err) < 0)
		xc_out_err(&err);
	free(text);
}

/* The high-water mark of this process's resident memory, without its
 * children (an out-of-process lab or ssh); -1 when unknown. */
static long peak_rss_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(fp);
	return kb;
}

int xc_session_plan(struct xc_session *s, const struct xc_plan_args *a,
                    struct xc_store *store)
{
	struct xc_error err;
	double t0;
	clock_t c0;
	size_t i;

	xc_error_clear(&err);
	t0 = xc_clock_seconds();
	if (a->observation) {
		if (load_observation(s, a->observation, &err) < 0) {
			xc_out_err(&err);
			return XC_EXIT_ERROR;
		}
	} else {
		if (xc_issuers_load(&s->facts, s->cfg, s->base, &err) < 0) {
			xc_out_err(&err);
			return XC_EXIT_ERROR;
		}
		if (xc_observe(&s->obs, s->cfg, s->base, NULL,
		               a->parallelism ? a->parallelism : 8, &err) < 0) {
			xc_out_err(&err);
			return XC_EXIT_ERROR;
		}
		gather_ari(s, store, a->now ? a->now : xc_cmd_now());
		xc_observe_served(&s->obs, s->cfg);
		keep_observation(s, store);
	}
	s->observe_seconds = xc_clock_seconds() - t0;
	for (i = 0; i < s->obs.nservers; i++)
		if (!s->obs.servers[i].ok)
			xc_out_err(&s->obs.servers[i].err);
	s->in.cfg = s->cfg;
	s->in.obs = &s->obs;
	s->in.facts = s->facts.facts;
	s->in.nfacts = s->facts.n;
	s->in.now = a->now ? a->now : xc_cmd_now();
	s->in.targets = a->targets;
	s->in.ntargets = a->ntargets;
	s->in.nissued = xc_cmd_load_issued(store, &s->obs, &s->issued);
	s->in.issued = s->issued;
	c0 = clock();
	if (xc_plan_make(&s->plan, &s->in, &err) < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	s->plan_ms = (double)(clock() - c0) * 1000.0 / CLOCKS_PER_SEC;
	s->planned = true;
	/* EXCERT_PROFILE=1: where the time went, for bench/. */
	if (getenv("EXCERT_PROFILE")) /* NOLINT(concurrency-mt-unsafe) */
		fprintf(stderr,
		        "excert: profile: observe %.3f s wall, plan %.3f ms cpu, %zu servers, peak RSS %ld KB (this process)\n",
		        s->observe_seconds, s->plan_ms, s->obs.nservers,
		        peak_rss_kb());
	return XC_EXIT_OK;
}

/* Whether an issuer keeps what it learns in the state directory (ARI). */
static bool has_ari(const struct xc_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->issuers.n; i++) {
		const struct xc_issuer_ops *ops =
		        xc_issuer_ops_of(&XC_ISSUERS(cfg)[i]);

		if (ops && ops->ari)
			return true;
	}
	return false;
}

struct xc_store *xc_session_reading_store(const struct xc_ctx *ctx,
                                          const struct xc_config *cfg)
{
	char *dir = ctx->state_dir ? strdup(ctx->state_dir)
	                           : xc_store_default_dir(cfg->organization.v);
	struct xc_store *store = NULL;
	struct xc_error err;

	xc_error_clear(&err);
	if (dir && (access(dir, F_OK) == 0 || has_ari(cfg)) &&
	    xc_store_open(&store, dir, &err) < 0)
		store = NULL;
	free(dir);
	return store;
}

void xc_session_release(struct xc_session *s)
{
	if (s->planned)
		xc_plan_release(&s->plan);
	xc_cmd_issued_free(s->issued, s->in.nissued);
	xc_observation_release(&s->obs);
	xc_issuers_release(&s->facts);
	xc_config_free(s->cfg);
	free(s->base);
	memset(s, 0, sizeof(*s));
}
