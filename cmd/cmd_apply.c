/* SPDX-License-Identifier: MIT */
/* excert apply: make the plan, show it, and carry it out. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "cmd/session.h"
#include "state/store.h"
#include "providers/world.h"
#include "reconcile/apply.h"
#include "reconcile/plan.h"
#include "reconcile/runner.h"

const struct xc_opt xc_apply_opts[] = {
        {XC_O_AUTO, 0, "auto-approve", XC_OPT_FLAG, NULL,
         "carry the plan out without asking"},
        {XC_O_TARGET, 0, "target", XC_OPT_VALUE, "NAME",
         "only this certificate (repeatable)"},
        {XC_O_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {XC_O_WAIT, 0, "wait", XC_OPT_VALUE, "SECONDS",
         "wait this long for another apply to finish (default: refuse at once)"},
        {0},
};

struct progress {
	size_t total;
	struct xc_store *store; /* the journal, or NULL */
};

static void iso_now(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One line of the journal; a failure to write it stops nothing but is
 * said. */
static void journal(struct xc_store *st, json_t *entry)
{
	char when[32];
	char *line;
	struct xc_error err;

	iso_now(when, sizeof(when));
	json_object_set_new(entry, "time", json_string(when));
	line = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(entry);
	xc_error_clear(&err);
	if (st && line && xc_store_journal(st, line, &err) < 0)
		xc_out_err(&err);
	free(line);
}

static void event(void *arg, const struct xc_step *s,
                  const struct xc_step_result *res, bool done)
{
	struct progress *p = arg;
	static const char *const states[] = {"pending", "done", "skipped",
	                                     "FAILED", "not run"};

	journal(p->store,
	        json_pack("{s:s,s:i,s:s,s:s,s:o,s:s,s:s}", "event",
	                  done ? "step-end" : "step-start", "step", s->id,
	                  "kind", xc_step_kind_names[s->kind], "certificate",
	                  s->cert, "server",
	                  s->server ? json_string(s->server) : json_null(),
	                  "state", done ? states[res->state] : "running",
	                  "detail",
	                  done ? (res->state == XC_STEP_FAILED ? res->err.msg
	                                                       : res->detail)
	                       : ""));
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

/* Opens the state directory and takes its lock: one apply at a time. */
static int open_store(struct xc_ctx *ctx, const struct xc_config *cfg, int wait,
                      struct xc_store **out)
{
	char *dir = ctx->state_dir ? strdup(ctx->state_dir)
	                           : xc_store_default_dir(cfg->organization.v);
	char note[512] = "";
	struct xc_error err;

	*out = NULL;
	xc_error_clear(&err);
	if (!dir) {
		xc_out_error("no state directory: set --state DIR (or HOME)");
		return -1;
	}
	if (xc_store_open(out, dir, &err) < 0 ||
	    xc_store_lock(*out, "excert apply", wait, note, sizeof(note),
	                  &err) < 0) {
		xc_out_err(&err);
		xc_store_close(*out);
		*out = NULL;
		free(dir);
		return -1;
	}
	if (note[0])
		fprintf(stderr, "excert: %s\n", note);
	free(dir);
	return 0;
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
	struct xc_plan_args a;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_session ss;
	struct xc_world world;
	struct runner_ctx rc_ctx;
	struct xc_runner runner;
	struct xc_step_result *results = NULL;
	struct xc_store *store = NULL;
	const struct xc_plan *plan;
	struct xc_error err;
	int rc;
	int n;

	memset(&a, 0, sizeof(a));
	n = xc_cmd_parse(ctx, xc_cmd_find("apply"), argc, argv, pos,
	                 xc_plan_args_handle, &a);
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
	rc = xc_session_load(ctx, &ss);
	if (rc != XC_EXIT_OK)
		return rc;
	/* The lock is held from before the observation to the end: the plan
	 * is made and carried out by one apply, with no other in between. */
	if (open_store(ctx, ss.cfg, a.wait, &store) < 0) {
		xc_session_release(&ss);
		return XC_EXIT_ERROR;
	}
	rc = xc_session_plan(&ss, &a, store);
	if (rc != XC_EXIT_OK)
		goto out;
	plan = &ss.plan;
	xc_plan_print_text(plan, &ss.src, ss.cfg->organization.v, "apply",
	                   stderr, false);
	if (!plan->nsteps) {
		rc = plan->blocked ? XC_EXIT_ERROR : XC_EXIT_OK;
		goto out;
	}
	if (!a.auto_approve && !confirm()) {
		fprintf(stderr, "excert: nothing was changed\n");
		rc = XC_EXIT_ERROR;
		goto out;
	}
	journal(store, json_pack("{s:s,s:s,s:o,s:b,s:i,s:i}", "event",
	                         "apply-start", "file", ss.src.label, "commit",
	                         ss.src.commit[0] ? json_string(ss.src.commit)
	                                          : json_null(),
	                         "dirty", ss.src.dirty, "steps",
	                         (int)plan->nsteps, "pid", (int)getpid()));
	xc_world_init(&world, ss.cfg, ss.base, store);
	xc_run_init(&rc_ctx.run, &ss.in, &world);
	rc_ctx.progress.total = plan->nsteps;
	rc_ctx.progress.store = store;
	runner.run = run;
	runner.event = ev;
	runner.ctx = &rc_ctx;
	results = calloc(plan->nsteps, sizeof(*results));
	xc_error_clear(&err);
	if (xc_apply(plan, &runner, results, &err) < 0) {
		xc_out_err(&err);
		fprintf(stderr,
		        "excert: stopped before anything destructive that was left; run excert plan to see where things stand, fix the cause, and apply again\n");
		rc = XC_EXIT_ERROR;
	} else {
		fprintf(stderr, "excert: applied %zu steps\n", plan->nsteps);
		rc = plan->blocked ? XC_EXIT_ERROR : XC_EXIT_OK;
	}
	journal(store, json_pack("{s:s,s:s}", "event", "apply-end", "result",
	                         rc == XC_EXIT_OK ? "done" : "stopped"));
	free(results);
	xc_run_release(&rc_ctx.run);
	xc_world_release(&world);
out:
	xc_store_close(store);
	xc_session_release(&ss);
	return rc;
}
