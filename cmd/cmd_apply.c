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
#include "cmd/planfile.h"
#include "cmd/progress.h"
#include "cmd/session.h"
#include "state/obsfile.h"
#include "state/sanitize.h"
#include "state/store.h"
#include "providers/exchange/lease.h"
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
	struct xc_progress show;
	struct xc_store *store; /* the journal, or NULL */
	const char *commit;     /* of the desired state; NULL outside git */
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
	        json_pack("{s:s,s:i,s:s,s:s,s:o,s:s,s:s,s:o}", "event",
	                  done ? "step-end" : "step-start", "step", s->id,
	                  "kind", xc_step_kinds[s->kind].name, "certificate",
	                  s->cert, "server",
	                  s->server ? json_string(s->server) : json_null(),
	                  "state", done ? states[res->state] : "running",
	                  "detail",
	                  done ? (res->state == XC_STEP_FAILED ? res->err.msg
	                                                       : res->detail)
	                       : "",
	                  "commit",
	                  p->commit ? json_string(p->commit) : json_null()));
	xc_progress_step(&p->show, s, res, done);
}

/* run through the plan, with progress on stderr */
struct runner_ctx {
	struct xc_run_ctx run;
	struct progress progress;
	struct xc_lease *lease; /* borrowed */
};

static int run(void *arg, const struct xc_step *s, struct xc_step_result *res,
               struct xc_error *err)
{
	struct runner_ctx *r = arg;

	/* No step without the organisation's lease: another excert may be
	 * changing it now. */
	if (r->lease && !xc_lease_held(r->lease, err))
		return err->code;
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
	if (note[0]) {
		/* The note quotes the lock file, which anyone could write. */
		fputs("excert: ", stderr);
		xc_sanitize_fputs(note, stderr, 0);
		fputc('\n', stderr);
	}
	free(dir);
	return 0;
}

/* Takes the organisation's lease (providers/exchange/lease.h), waiting as
 * long as for the state directory's lock. */
static int take_lease(const struct xc_session *ss, struct xc_store *store,
                      int wait, struct xc_lease **out)
{
	struct xc_error err;

	xc_error_clear(&err);
	if (xc_lease_take(out, ss->cfg, ss->base, "excert apply", store, wait,
	                  &err) < 0) {
		xc_out_err(&err);
		return -1;
	}
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

/* The plan this apply carries out, kept for excert show. */
static void keep_plan(const struct xc_session *ss, struct xc_store *store)
{
	struct xc_plan_basis basis;
	struct xc_error err;
	char **facts = NULL;
	size_t nfacts = 0;
	const char *dir = xc_store_dir(store);
	size_t n = strlen(dir) + sizeof("/last-plan.json");
	char *path = malloc(n);

	if (!path)
		return;
	snprintf(path, n, "%s/last-plan.json", dir);
	xc_observation_facts(&ss->obs, &ss->facts, &facts, &nfacts);
	basis.planned_for = ss->in.now;
	basis.targets = ss->in.targets;
	basis.ntargets = ss->in.ntargets;
	basis.facts = facts;
	basis.nfacts = nfacts;
	xc_error_clear(&err);
	if (xc_plan_save(path, &ss->plan, &ss->src, ss->cfg->organization.v,
	                 &basis, &err) < 0)
		xc_out_err(&err);
	xc_strv_free(facts, nfacts);
	free(path);
}

/* Shows the plan, asks unless approved, and runs it. */
static int carry_out(struct xc_session *ss, struct xc_store *store,
                     struct xc_lease *lease, bool approved, const char *saved)
{
	const struct xc_plan *plan = &ss->plan;
	struct xc_world world;
	struct runner_ctx rc_ctx;
	struct xc_runner runner;
	struct xc_step_result *results;
	struct xc_error err;
	int rc;

	xc_plan_print_text(plan, &ss->src, ss->cfg->organization.v, "apply",
	                   stderr, false);
	if (!plan->nsteps)
		return plan->blocked ? XC_EXIT_ERROR : XC_EXIT_OK;
	if (!approved && !confirm()) {
		fprintf(stderr, "excert: nothing was changed\n");
		return XC_EXIT_ERROR;
	}
	keep_plan(ss, store);
	journal(store,
	        json_pack("{s:s,s:s,s:o,s:b,s:i,s:i,s:o}", "event",
	                  "apply-start", "file", ss->src.label, "commit",
	                  ss->src.commit[0] ? json_string(ss->src.commit)
	                                    : json_null(),
	                  "dirty", ss->src.dirty, "steps", (int)plan->nsteps,
	                  "pid", (int)getpid(), "saved_plan",
	                  saved ? json_string(saved) : json_null()));
	xc_world_init(&world, ss->cfg, ss->base, store);
	xc_run_init(&rc_ctx.run, &ss->in, &world);
	xc_progress_init(&rc_ctx.progress.show, plan, stderr);
	rc_ctx.progress.store = store;
	rc_ctx.lease = lease;
	rc_ctx.progress.commit = ss->src.commit[0] ? ss->src.commit : NULL;
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
	xc_progress_release(&rc_ctx.progress.show);
	xc_run_release(&rc_ctx.run);
	xc_world_release(&world);
	return rc;
}

/* Says which facts a saved plan was made on are gone and which are new;
 * false when there is no difference. */
static bool facts_changed(const struct xc_saved_plan *sp, char **now,
                          size_t nnow)
{
	size_t i = 0;
	size_t j = 0;
	size_t shown = 0;
	size_t more = 0;

	while (i < sp->nfacts || j < nnow) {
		int c = i == sp->nfacts ? 1
		        : j == nnow     ? -1
		                        : strcmp(sp->facts[i], now[j]);

		if (c == 0) {
			i++;
			j++;
			continue;
		}
		/* Facts are what the agents said (and the saved plan is a
		 * file from anywhere): sanitized. */
		if (shown < 20) {
			fprintf(stderr, "  %s ", c < 0 ? "then:" : "now: ");
			xc_sanitize_fputs(c < 0 ? sp->facts[i] : now[j], stderr,
			                  0);
			fputc('\n', stderr);
		} else {
			more++;
		}
		shown++;
		if (c < 0)
			i++;
		else
			j++;
	}
	if (more)
		fprintf(stderr, "  ... and %zu more\n", more);
	return shown > 0;
}

static bool same_str(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

/* The step of the saved plan that the plan made now does not repeat, or 0
 * when the two are the same. */
static int first_difference(const struct xc_plan *saved,
                            const struct xc_plan *now)
{
	size_t i;
	size_t j;

	for (i = 0; i < saved->nsteps && i < now->nsteps; i++) {
		const struct xc_step *a = &saved->steps[i];
		const struct xc_step *b = &now->steps[i];

		if (a->kind != b->kind || !same_str(a->cert, b->cert) ||
		    !same_str(a->server, b->server) ||
		    !same_str(a->thumbprint, b->thumbprint) ||
		    !same_str(a->value, b->value) ||
		    a->destructive != b->destructive || a->ndeps != b->ndeps)
			return (int)i + 1;
		for (j = 0; j < a->ndeps; j++)
			if (a->deps[j] != b->deps[j])
				return (int)i + 1;
	}
	return saved->nsteps == now->nsteps ? 0 : (int)i + 1;
}

/* apply PLAN: carries out a saved plan, but only if the desired state and
 * the organisation are what the plan was made from. */
static int apply_saved(struct xc_ctx *ctx, struct xc_plan_args *a,
                       const char *path)
{
	struct xc_saved_plan sp;
	struct xc_session ss;
	struct xc_store *store = NULL;
	struct xc_lease *lease = NULL;
	struct xc_error err;
	char **facts = NULL;
	size_t nfacts = 0;
	int diff;
	int rc;
	size_t i;

	xc_error_clear(&err);
	if (xc_plan_load(&sp, path, &err) < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	rc = xc_session_load(ctx, &ss);
	if (rc != XC_EXIT_OK) {
		xc_saved_plan_release(&sp);
		return rc;
	}
	if (strcmp(sp.organization, ss.cfg->organization.v) != 0) {
		xc_out_error("%s is a plan for organisation '%s', not '%s'",
		             path, sp.organization, ss.cfg->organization.v);
		rc = XC_EXIT_ERROR;
		goto out;
	}
	if (strcmp(sp.config_sha256, ss.src.sha256) != 0) {
		xc_out_error(
		        "%s is stale: the desired state changed since it was made (then %s%s%.12s%s, now %s%s%.12s%s); make a new plan with excert plan -o",
		        path, sp.src.label, sp.src.commit[0] ? " at " : "",
		        sp.src.commit, sp.src.dirty ? " modified" : "",
		        ss.src.label, ss.src.commit[0] ? " at " : "",
		        ss.src.commit, ss.src.dirty ? " modified" : "");
		rc = XC_EXIT_ERROR;
		goto out;
	}
	for (i = 0; i < sp.ntargets; i++)
		a->targets[i] = sp.targets[i];
	a->ntargets = sp.ntargets;
	a->now = sp.planned_for;
	if (open_store(ctx, ss.cfg, a->wait, &store) < 0 ||
	    take_lease(&ss, store, a->wait, &lease) < 0) {
		rc = XC_EXIT_ERROR;
		goto out;
	}
	rc = xc_session_plan(&ss, a, store);
	if (rc != XC_EXIT_OK)
		goto out;
	xc_observation_facts(&ss.obs, &ss.facts, &facts, &nfacts);
	{
		char digest[65];

		xc_facts_digest(facts, nfacts, digest);
		if (strcmp(digest, sp.fingerprint) != 0) {
			xc_out_error(
			        "%s is stale: the organisation changed since it was made:",
			        path);
			if (!facts_changed(&sp, facts, nfacts))
				fprintf(stderr,
				        "  (the plan's list of facts does not match its fingerprint: it was edited)\n");
			fprintf(stderr,
			        "excert: nothing was changed; make a new plan with excert plan -o\n");
			rc = XC_EXIT_ERROR;
			goto out;
		}
	}
	diff = first_difference(&sp.plan, &ss.plan);
	if (diff) {
		xc_out_error(
		        "%s: the plan made now from the same desired state and observation differs at step %d (another version of excert made it?); nothing was changed; make a new plan",
		        path, diff);
		rc = XC_EXIT_ERROR;
		goto out;
	}
	fprintf(stderr,
	        "excert: %s matches the organisation as observed now (%zu facts)\n",
	        path, nfacts);
	rc = carry_out(&ss, store, lease, true, path);
out:
	xc_strv_free(facts, nfacts);
	xc_lease_release(lease);
	xc_store_close(store);
	xc_session_release(&ss);
	xc_saved_plan_release(&sp);
	return rc;
}

int xc_cmd_apply(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                 char **argv)
{
	struct xc_plan_args a;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_session ss;
	struct xc_store *store = NULL;
	struct xc_lease *lease = NULL;
	const char *plan_path;
	int rc;
	int n;

	memset(&a, 0, sizeof(a));
	n = xc_cmd_parse(ctx, self, argc, argv, pos, xc_plan_args_handle, &a);
	plan_path = n == 1 ? pos[0] : NULL;
	free(pos);
	if (n == -2)
		return XC_EXIT_OK;
	if (n < 0 || n > 1) {
		if (n > 1)
			xc_out_usage("apply takes one saved plan at most");
		return XC_EXIT_USAGE;
	}
	if (plan_path && a.ntargets) {
		xc_out_usage(
		        "--target cannot be given with a saved plan: the plan's own targets are used");
		return XC_EXIT_USAGE;
	}
	if (plan_path)
		return apply_saved(ctx, &a, plan_path);
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
	/* So is the organisation's lease: no other excert, whatever its
	 * state directory, changes the organisation in between. */
	if (take_lease(&ss, store, a.wait, &lease) < 0) {
		xc_store_close(store);
		xc_session_release(&ss);
		return XC_EXIT_ERROR;
	}
	rc = xc_session_plan(&ss, &a, store);
	if (rc == XC_EXIT_OK)
		rc = carry_out(&ss, store, lease, a.auto_approve, NULL);
	xc_lease_release(lease);
	xc_store_close(store);
	xc_session_release(&ss);
	return rc;
}
