/* SPDX-License-Identifier: MIT */
/* excert apply: make the plan, show it, and carry it out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/exchange/observe.h"
#include "providers/issuers.h"
#include "providers/world.h"
#include "reconcile/apply.h"
#include "reconcile/plan.h"
#include "reconcile/runner.h"

enum { OPT_AUTO = 100, OPT_TARGET, OPT_PARALLELISM };

const struct xc_opt xc_apply_opts[] = {
        {OPT_AUTO, 0, "auto-approve", XC_OPT_FLAG, NULL,
         "carry the plan out without asking"},
        {OPT_TARGET, 0, "target", XC_OPT_VALUE, "NAME",
         "only this certificate (repeatable)"},
        {OPT_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {0},
};

struct apply_args {
	bool auto_approve;
	const char *targets[64];
	size_t ntargets;
	int parallelism;
};

static int handle(void *arg, int id, const char *value)
{
	struct apply_args *a = arg;
	char *end;
	long n;

	switch (id) {
	case OPT_AUTO:
		a->auto_approve = true;
		return 0;
	case OPT_TARGET:
		if (a->ntargets == 64) {
			xc_out_usage("at most 64 --target options");
			return -1;
		}
		a->targets[a->ntargets++] = value;
		return 0;
	default:
		n = strtol(value, &end, 10);
		if (*end || n < 1 || n > 64) {
			xc_out_usage("--parallelism takes 1 to 64, not '%s'",
			             value);
			return -1;
		}
		a->parallelism = (int)n;
		return 0;
	}
}

struct progress {
	size_t total;
};

static void event(void *arg, const struct xc_step *s,
                  const struct xc_step_result *res, bool done)
{
	struct progress *p = arg;
	static const char *const states[] = {"pending", "done", "skipped",
	                                     "FAILED", "not run"};

	if (!done) {
		fprintf(stderr, "[%d/%zu] %s%s%s (%s) ...\n", s->id, p->total,
		        xc_step_kind_names[s->kind], s->server ? " on " : "",
		        s->server ? s->server : "", s->cert);
		return;
	}
	fprintf(stderr, "[%d/%zu] %s: %s\n", s->id, p->total,
	        states[res->state],
	        res->state == XC_STEP_FAILED ? res->err.msg : res->detail);
}

/* run through the plan, with progress on stderr */
struct runner_ctx {
	struct xc_run_ctx run;
	struct progress progress;
};

static int run(void *arg, const struct xc_step *s, struct xc_step_result *res,
               struct xc_error *err)
{
	struct runner_ctx *r = arg;

	return xc_run_step(&r->run, s, res, err);
}

static void ev(void *arg, const struct xc_step *s,
               const struct xc_step_result *res, bool done)
{
	struct runner_ctx *r = arg;

	event(&r->progress, s, res, done);
}

static bool confirm(void)
{
	char line[64];

	fprintf(stderr, "\nCarry this plan out? Only 'yes' is accepted: ");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcmp(line, "yes\n") == 0 || strcmp(line, "yes") == 0;
}

int xc_cmd_apply(struct xc_ctx *ctx, int argc, char **argv)
{
	struct apply_args a;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_config *cfg = NULL;
	struct xc_cmd_source src;
	struct xc_observation obs;
	struct xc_issuer_table facts;
	struct xc_plan plan;
	struct xc_plan_input in;
	struct xc_world world;
	struct runner_ctx rc_ctx;
	struct xc_runner runner;
	struct xc_step_result *results = NULL;
	struct xc_error err;
	char *base = NULL;
	size_t i;
	int rc;
	int n;

	memset(&a, 0, sizeof(a));
	a.parallelism = 8;
	n = xc_cmd_parse(ctx, xc_cmd_find("apply"), argc, argv, pos, handle,
	                 &a);
	free(pos);
	if (n == -2)
		return XC_EXIT_OK;
	if (n != 0) {
		if (n > 0)
			xc_out_usage(
			        "apply takes no arguments (saved plans come in a later version)");
		return XC_EXIT_USAGE;
	}
	if (!a.auto_approve && !isatty(0)) {
		xc_out_error(
		        "standard input is not a terminal: give --auto-approve to apply without asking");
		return XC_EXIT_USAGE;
	}
	rc = xc_cmd_load_config(ctx, &cfg, &base, &src);
	if (rc != XC_EXIT_OK)
		return rc;
	xc_error_clear(&err);
	if (xc_issuers_load(&facts, cfg, base, &err) < 0 ||
	    xc_observe(&obs, cfg, base, NULL, a.parallelism, &err) < 0) {
		xc_out_err(&err);
		xc_config_free(cfg);
		free(base);
		return XC_EXIT_ERROR;
	}
	for (i = 0; i < obs.nservers; i++)
		if (!obs.servers[i].ok)
			xc_out_err(&obs.servers[i].err);
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.obs = &obs;
	in.facts = facts.facts;
	in.nfacts = facts.n;
	in.now = xc_cmd_now();
	in.targets = a.targets;
	in.ntargets = a.ntargets;
	if (xc_plan_make(&plan, &in, &err) < 0) {
		xc_out_err(&err);
		rc = XC_EXIT_ERROR;
		goto out_obs;
	}
	xc_plan_print_text(&plan, &src, cfg->organization.v, "apply", stderr,
	                   false);
	if (!plan.nsteps) {
		rc = plan.blocked ? XC_EXIT_ERROR : XC_EXIT_OK;
		goto out_plan;
	}
	if (!a.auto_approve && !confirm()) {
		fprintf(stderr, "excert: nothing was changed\n");
		rc = XC_EXIT_ERROR;
		goto out_plan;
	}
	xc_world_init(&world, cfg, base);
	xc_run_init(&rc_ctx.run, &in, &world);
	rc_ctx.progress.total = plan.nsteps;
	runner.run = run;
	runner.event = ev;
	runner.ctx = &rc_ctx;
	results = calloc(plan.nsteps, sizeof(*results));
	if (xc_apply(&plan, &runner, results, &err) < 0) {
		xc_out_err(&err);
		fprintf(stderr,
		        "excert: stopped before anything destructive that was left; run excert plan to see where things stand, fix the cause, and apply again\n");
		rc = XC_EXIT_ERROR;
	} else {
		fprintf(stderr, "excert: applied %zu steps\n", plan.nsteps);
		rc = plan.blocked ? XC_EXIT_ERROR : XC_EXIT_OK;
	}
	free(results);
	xc_run_release(&rc_ctx.run);
	xc_world_release(&world);
out_plan:
	xc_plan_release(&plan);
out_obs:
	xc_observation_release(&obs);
	xc_issuers_release(&facts);
	xc_config_free(cfg);
	free(base);
	return rc;
}
