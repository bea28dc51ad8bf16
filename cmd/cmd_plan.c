/* SPDX-License-Identifier: MIT */
/* excert plan: observe, then say what apply would do and why. */
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
#include "cmd/session.h"
#include "reconcile/plan.h"
#include "state/obsfile.h"
#include "state/sanitize.h"
#include "state/services.h"
#include "state/store.h"

const struct xc_opt xc_drift_opts[] = {
        {XC_O_TARGET, 0, "target", XC_OPT_VALUE, "NAME",
         "only this certificate (repeatable)"},
        {XC_O_OBSERVATION, 0, "observation", XC_OPT_VALUE, "FILE",
         "check against a saved observation (excert observe -o) instead of observing"},
        {XC_O_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {0},
};

const struct xc_opt xc_plan_opts[] = {
        {XC_O_OUT, 'o', "out", XC_OPT_VALUE, "PLAN",
         "also save the plan to PLAN, for excert apply PLAN and excert show PLAN"},
        {XC_O_DETAILED, 0, "detailed-exitcode", XC_OPT_FLAG, NULL,
         "exit 2 when there are changes, 0 when there are none"},
        {XC_O_OBSERVATION, 0, "observation", XC_OPT_VALUE, "FILE",
         "plan from a saved observation (excert observe -o) instead of observing"},
        {XC_O_TARGET, 0, "target", XC_OPT_VALUE, "NAME",
         "plan only this certificate (repeatable)"},
        {XC_O_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {0},
};

static char symbol(const struct xc_step *s)
{
	return xc_step_kinds[s->kind].symbol;
}

static const char *target_of(const struct xc_step *s)
{
	if (s->server)
		return s->server;
	if (s->issuer)
		return s->issuer;
	if (s->lb)
		return s->lb;
	if (s->kind == XC_STEP_VERIFY)
		return "(endpoints)";
	return "(organisation)";
}

void xc_plan_print_text(const struct xc_plan *p,
                        const struct xc_cmd_source *src, const char *org,
                        const char *title, FILE *fp, bool color)
{
	/* Names, reasons and notes carry what the agents said: every one
	 * goes through the sanitizer (state/sanitize.h). */
	struct xc_sanitize_pool z;
	const char *last = NULL;
	size_t i;
	size_t j;

	xc_sanitize_pool_init(&z, 0);
	fprintf(fp, "excert %s for %s, from %s", title,
	        xc_sanitize_str(&z, org), xc_sanitize_str(&z, src->label));
	if (src->commit[0])
		fprintf(fp, " at commit %.12s%s",
		        xc_sanitize_str(&z, src->commit),
		        src->dirty ? " (file modified in the work tree)" : "");
	fprintf(fp, "\n");
	for (i = 0; i < p->nsteps; i++) {
		const struct xc_step *s = &p->steps[i];
		char sym = symbol(s);
		const char *on = color ? (sym == '-'   ? "\033[31m"
		                          : sym == '~' ? "\033[33m"
		                                       : "\033[32m")
		                       : "";
		const char *off = color ? "\033[0m" : "";

		if (!last || strcmp(last, s->cert) != 0) {
			fprintf(fp, "\ncertificate %s\n",
			        xc_sanitize_str(&z, s->cert));
			last = s->cert;
		}
		fprintf(fp, "  %s%c %2d %-13s%s %-14s %s", on, sym, s->id,
		        xc_step_kinds[s->kind].name, off,
		        xc_sanitize_str(&z, target_of(s)),
		        xc_sanitize_str(&z, s->reason));
		if (s->thumbprint[0])
			fprintf(fp, " [%.12s...]",
			        xc_sanitize_str(&z, s->thumbprint));
		if (s->kind == XC_STEP_SET_CONNECTOR ||
		    s->kind == XC_STEP_SET_HYBRID)
			fprintf(fp, " -> %s",
			        s->value ? xc_sanitize_str(&z, s->value)
			                 : "(known after apply)");
		if (s->ndeps) {
			fprintf(fp, " (after");
			for (j = 0; j < s->ndeps; j++)
				fprintf(fp, "%s%d", j ? "," : " ", s->deps[j]);
			fprintf(fp, ")");
		}
		if (s->conditional)
			fprintf(fp, " (conditional)");
		if (s->destructive)
			fprintf(fp, " %s(destructive)%s",
			        color ? "\033[31m" : "", off);
		fprintf(fp, "\n");
	}
	if (p->unfixed)
		fprintf(fp,
		        "\nunfixed (excert.yaml and the organisation differ, and no step can mend it):\n");
	for (i = 0; i < p->unfixed; i++)
		fprintf(fp, "  %s\n", xc_sanitize_str(&z, p->unfixed_notes[i]));
	if (p->nnotes)
		fprintf(fp, "\nnotes:\n");
	for (i = 0; i < p->nnotes; i++)
		fprintf(fp, "  %s\n", xc_sanitize_str(&z, p->notes[i]));
	if (p->nsteps)
		fprintf(fp, "\nPlan: %zu step%s, %zu destructive.\n", p->nsteps,
		        p->nsteps == 1 ? "" : "s", xc_plan_destructive(p));
	else if (p->blocked)
		fprintf(fp,
		        "\nNo steps: %zu certificate%s left alone, as the notes say.\n",
		        p->blocked, p->blocked == 1 ? "" : "s");
	else if (p->unfixed)
		fprintf(fp,
		        "\nNo steps, but %zu difference%s no step can mend, as listed under unfixed.\n",
		        p->unfixed, p->unfixed == 1 ? "" : "s");
	else
		fprintf(fp,
		        "\nNo changes: the organisation is as excert.yaml says.\n");
	xc_sanitize_pool_release(&z);
}

void xc_plan_print_markdown(const struct xc_plan *p,
                            const struct xc_cmd_source *src, const char *org,
                            FILE *fp)
{
	/* Table cells and notes: '|' and '\' escaped too.  In code spans,
	 * where Markdown shows backslashes as they are, controls only. */
	struct xc_sanitize_pool z;
	struct xc_sanitize_pool code;
	size_t i;
	size_t j;

	xc_sanitize_pool_init(&z, XC_SANITIZE_MARKDOWN);
	xc_sanitize_pool_init(&code, 0);
	fprintf(fp, "### excert plan for %s\n\n", xc_sanitize_str(&z, org));
	fprintf(fp, "From `%s`%s%.12s%s.\n\n",
	        xc_sanitize_str(&code, src->label),
	        src->commit[0] ? " at commit `" : "",
	        xc_sanitize_str(&code, src->commit), src->commit[0] ? "`" : "");
	if (!p->nsteps) {
		fprintf(fp,
		        p->blocked
		                ? "**No steps: certificates left alone, as the notes say.**\n"
		        : p->unfixed
		                ? "**No steps, but differences no step can mend, as listed under unfixed.**\n"
		                : "**No changes.**\n");
	} else {
		fprintf(fp, "| # | step | certificate | on | why | after |\n");
		fprintf(fp, "| --- | --- | --- | --- | --- | --- |\n");
		for (i = 0; i < p->nsteps; i++) {
			const struct xc_step *s = &p->steps[i];

			fprintf(fp, "| %d | %s%s%s | %s | %s | %s |", s->id,
			        s->destructive ? "**" : "",
			        xc_step_kinds[s->kind].name,
			        s->destructive ? "** (destructive)" : "",
			        xc_sanitize_str(&z, s->cert),
			        xc_sanitize_str(&z, target_of(s)),
			        xc_sanitize_str(&z, s->reason));
			for (j = 0; j < s->ndeps; j++)
				fprintf(fp, "%s%d", j ? ", " : " ", s->deps[j]);
			fprintf(fp, " |\n");
		}
		fprintf(fp, "\n**%zu steps, %zu destructive.**\n", p->nsteps,
		        xc_plan_destructive(p));
	}
	for (i = 0; i < p->unfixed; i++)
		fprintf(fp, "%s- %s\n",
		        i ? ""
		          : "\nUnfixed (excert.yaml and the organisation differ, and no step can mend it):\n\n",
		        xc_sanitize_str(&z, p->unfixed_notes[i]));
	for (i = 0; i < p->nnotes; i++)
		fprintf(fp, "%s- %s\n", i ? "" : "\nNotes:\n\n",
		        xc_sanitize_str(&z, p->notes[i]));
	xc_sanitize_pool_release(&code);
	xc_sanitize_pool_release(&z);
}

/* plan -o: the plan with what apply PLAN will check. */
static int save(struct xc_session *ss, const struct xc_plan_args *a)
{
	struct xc_plan_basis basis;
	struct xc_error err;
	char **facts = NULL;
	size_t nfacts = 0;
	int rc;

	xc_observation_facts(&ss->obs, &ss->facts, &facts, &nfacts);
	basis.planned_for = ss->in.now;
	basis.targets = a->targets;
	basis.ntargets = a->ntargets;
	basis.facts = facts;
	basis.nfacts = nfacts;
	xc_error_clear(&err);
	rc = xc_plan_save(a->out, &ss->plan, &ss->src, ss->cfg->organization.v,
	                  &basis, &err);
	xc_strv_free(facts, nfacts);
	if (rc < 0)
		xc_out_err(&err);
	else
		fprintf(stderr,
		        "excert: plan saved to %s; carry it out with excert apply %s\n",
		        a->out, a->out);
	return rc;
}

int xc_cmd_plan(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv)
{
	struct xc_plan_args a;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_session ss;
	struct xc_store *store = NULL;
	int rc;
	int n;

	memset(&a, 0, sizeof(a));
	/* drift is plan with the exit status for CI: 0 in sync, 2 drift. */
	a.detailed = strcmp(argv[0], "drift") == 0;
	n = xc_cmd_parse(ctx, self, argc, argv, pos, xc_plan_args_handle, &a);
	free(pos);
	if (n == -2)
		return XC_EXIT_OK;
	if (n != 0) {
		if (n > 0)
			xc_out_usage("%s takes no arguments", argv[0]);
		return XC_EXIT_USAGE;
	}
	rc = xc_session_load(ctx, &ss);
	if (rc != XC_EXIT_OK)
		return rc;
	/* What an interrupted apply left in the state directory, read
	 * without the lock: plan changes nothing in Exchange.  An ACME
	 * issuer's renewal windows (ARI) are kept there too. */
	store = xc_session_reading_store(ctx, ss.cfg);
	rc = xc_session_plan(&ss, &a, store);
	xc_store_close(store);
	if (rc == XC_EXIT_OK) {
		const char *org = ss.cfg->organization.v;

		if (a.out && save(&ss, &a) < 0) {
			xc_session_release(&ss);
			return XC_EXIT_ERROR;
		}
		if (ctx->format == XC_FMT_JSON) {
			json_t *doc = xc_plan_json(&ss.plan, &ss.src, org);

			json_dumpf(doc, stdout,
			           JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
			json_decref(doc);
		} else if (ctx->format == XC_FMT_MARKDOWN) {
			xc_plan_print_markdown(&ss.plan, &ss.src, org, stdout);
		} else
			xc_plan_print_text(&ss.plan, &ss.src, org, argv[0],
			                   stdout,
			                   isatty(1) && !getenv("NO_COLOR"));
		rc = ss.plan.blocked ? XC_EXIT_ERROR
		     : a.detailed && (ss.plan.nsteps || ss.plan.unfixed)
		             ? XC_EXIT_CHANGES
		             : XC_EXIT_OK;
	}
	xc_session_release(&ss);
	return rc;
}
