/* SPDX-License-Identifier: MIT */
#include "cmd/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/exchange/observe.h"
#include "state/config.h"

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

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int xc_session_plan(struct xc_session *s, const struct xc_plan_args *a,
                    struct xc_store *store)
{
	struct xc_error err;
	double t0;
	clock_t c0;
	size_t i;

	xc_error_clear(&err);
	if (xc_issuers_load(&s->facts, s->cfg, s->base, &err) < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	t0 = mono();
	if (xc_observe(&s->obs, s->cfg, s->base, NULL,
	               a->parallelism ? a->parallelism : 8, &err) < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	s->observe_seconds = mono() - t0;
	for (i = 0; i < s->obs.nservers; i++)
		if (!s->obs.servers[i].ok)
			xc_out_err(&s->obs.servers[i].err);
	s->in.cfg = s->cfg;
	s->in.obs = &s->obs;
	s->in.facts = s->facts.facts;
	s->in.nfacts = s->facts.n;
	s->in.now = xc_cmd_now();
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
		        "excert: profile: observe %.3f s wall, plan %.3f ms cpu, %zu servers\n",
		        s->observe_seconds, s->plan_ms, s->obs.nservers);
	return XC_EXIT_OK;
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
