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
#include "providers/exchange/observe.h"
#include "providers/issuers.h"
#include "reconcile/plan.h"
#include "state/services.h"
#include "state/store.h"

enum { OPT_DETAILED = 100, OPT_TARGET, OPT_PARALLELISM };

const struct xc_opt xc_drift_opts[] = {
        {OPT_TARGET, 0, "target", XC_OPT_VALUE, "NAME",
         "only this certificate (repeatable)"},
        {OPT_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {0},
};

const struct xc_opt xc_plan_opts[] = {
        {OPT_DETAILED, 0, "detailed-exitcode", XC_OPT_FLAG, NULL,
         "exit 2 when there are changes, 0 when there are none"},
        {OPT_TARGET, 0, "target", XC_OPT_VALUE, "NAME",
         "plan only this certificate (repeatable)"},
        {OPT_PARALLELISM, 0, "parallelism", XC_OPT_VALUE, "N",
         "servers observed at once (default 8)"},
        {0},
};

struct plan_args {
	bool detailed;
	const char *targets[64];
	size_t ntargets;
	int parallelism;
};

static int handle(void *arg, int id, const char *value)
{
	struct plan_args *a = arg;
	char *end;
	long n;

	switch (id) {
	case OPT_DETAILED:
		a->detailed = true;
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

static char symbol(const struct xc_step *s)
{
	switch (s->kind) {
	case XC_STEP_REMOVE:
		return '-';
	case XC_STEP_SET_CONNECTOR:
	case XC_STEP_SET_HYBRID:
	case XC_STEP_RESTART:
	case XC_STEP_VERIFY:
		return '~';
	default:
		return '+';
	}
}

static const char *target_of(const struct xc_step *s)
{
	if (s->server)
		return s->server;
	if (s->issuer)
		return s->issuer;
	return "(organisation)";
}

void xc_plan_print_text(const struct xc_plan *p,
                        const struct xc_cmd_source *src, const char *org,
                        const char *title, FILE *fp, bool color)
{
	const char *last = NULL;
	size_t i;
	size_t j;

	fprintf(fp, "excert %s for %s, from %s", title, org, src->label);
	if (src->commit[0])
		fprintf(fp, " at commit %.12s%s", src->commit,
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
			fprintf(fp, "\ncertificate %s\n", s->cert);
			last = s->cert;
		}
		fprintf(fp, "  %s%c %2d %-13s%s %-14s %s", on, sym, s->id,
		        xc_step_kind_names[s->kind], off, target_of(s),
		        s->reason);
		if (s->thumbprint[0])
			fprintf(fp, " [%.12s...]", s->thumbprint);
		if (s->kind == XC_STEP_SET_CONNECTOR ||
		    s->kind == XC_STEP_SET_HYBRID)
			fprintf(fp, " -> %s",
			        s->value ? s->value : "(known after apply)");
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
	if (p->nnotes)
		fprintf(fp, "\nnotes:\n");
	for (i = 0; i < p->nnotes; i++)
		fprintf(fp, "  %s\n", p->notes[i]);
	if (p->nsteps)
		fprintf(fp, "\nPlan: %zu step%s, %zu destructive.\n", p->nsteps,
		        p->nsteps == 1 ? "" : "s", xc_plan_destructive(p));
	else
		fprintf(fp,
		        "\nNo changes: the organisation is as excert.yaml says.\n");
}

static void print_markdown(const struct xc_plan *p,
                           const struct xc_cmd_source *src, const char *org)
{
	size_t i;
	size_t j;

	printf("### excert plan for %s\n\n", org);
	printf("From `%s`%s%.12s%s.\n\n", src->label,
	       src->commit[0] ? " at commit `" : "", src->commit,
	       src->commit[0] ? "`" : "");
	if (!p->nsteps) {
		printf("**No changes.**\n");
	} else {
		printf("| # | step | certificate | on | why | after |\n");
		printf("| --- | --- | --- | --- | --- | --- |\n");
		for (i = 0; i < p->nsteps; i++) {
			const struct xc_step *s = &p->steps[i];

			printf("| %d | %s%s%s | %s | %s | %s |", s->id,
			       s->destructive ? "**" : "",
			       xc_step_kind_names[s->kind],
			       s->destructive ? "** (destructive)" : "",
			       s->cert, target_of(s), s->reason);
			for (j = 0; j < s->ndeps; j++)
				printf("%s%d", j ? ", " : " ", s->deps[j]);
			printf(" |\n");
		}
		printf("\n**%zu steps, %zu destructive.**\n", p->nsteps,
		       xc_plan_destructive(p));
	}
	for (i = 0; i < p->nnotes; i++)
		printf("%s- %s\n", i ? "" : "\nNotes:\n\n", p->notes[i]);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static void print_json(const struct xc_plan *p, const struct xc_cmd_source *src,
                       const char *org)
{
	json_t *steps = json_array();
	json_t *notes = json_array();
	json_t *doc;
	size_t i;
	size_t j;

	for (i = 0; i < p->nsteps; i++) {
		const struct xc_step *s = &p->steps[i];
		json_t *deps = json_array();
		json_t *o;

		for (j = 0; j < s->ndeps; j++)
			json_array_append_new(deps, json_integer(s->deps[j]));
		o = json_pack("{s:i,s:s,s:s,s:o,s:s,s:o,s:b,s:b}", "id", s->id,
		              "kind", xc_step_kind_names[s->kind],
		              "certificate", s->cert, "server",
		              str_or_null(s->server), "reason", s->reason,
		              "depends_on", deps, "destructive", s->destructive,
		              "conditional", s->conditional);
		if (s->thumbprint[0])
			json_object_set_new(o, "thumbprint",
			                    json_string(s->thumbprint));
		if (s->kind == XC_STEP_ENABLE) {
			char svc[100];

			xc_services_format(s->services, svc, sizeof(svc));
			json_object_set_new(o, "services", json_string(svc));
		}
		if (s->kind == XC_STEP_SET_CONNECTOR ||
		    s->kind == XC_STEP_SET_HYBRID) {
			json_object_set_new(o, "connector",
			                    str_or_null(s->connector));
			json_object_set_new(o, "value", str_or_null(s->value));
			json_object_set_new(o, "old_value",
			                    str_or_null(s->old_value));
		}
		if (s->service)
			json_object_set_new(o, "service",
			                    json_string(s->service));
		if (s->issuer)
			json_object_set_new(o, "issuer",
			                    json_string(s->issuer));
		if (s->from_server)
			json_object_set_new(o, "from",
			                    json_string(s->from_server));
		if (s->reuse_request[0])
			json_object_set_new(o, "reuses_request",
			                    json_string(s->reuse_request));
		json_array_append_new(steps, o);
	}
	for (i = 0; i < p->nnotes; i++)
		json_array_append_new(notes, json_string(p->notes[i]));
	doc = json_pack("{s:i,s:s,s:{s:s,s:o,s:b},s:o,s:o,s:{s:i,s:i,s:i}}",
	                "format_version", 1, "organization", org, "source",
	                "file", src->label, "commit", str_or_null(src->commit),
	                "dirty", src->dirty, "steps", steps, "notes", notes,
	                "summary", "steps", (json_int_t)p->nsteps,
	                "destructive", (json_int_t)xc_plan_destructive(p),
	                "blocked", (json_int_t)p->blocked);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(doc);
}

int xc_cmd_plan(struct xc_ctx *ctx, int argc, char **argv)
{
	struct plan_args a;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_config *cfg = NULL;
	struct xc_cmd_source src;
	struct xc_observation obs;
	struct xc_issuer_table facts;
	struct xc_plan plan;
	struct xc_plan_input in;
	struct xc_error err;
	struct xc_store *store = NULL;
	struct xc_issued *issued = NULL;
	double observe_seconds = 0;
	char *base = NULL;
	int rc;
	int n;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.parallelism = 8;
	/* drift is plan with the exit status for CI: 0 in sync, 2 drift. */
	a.detailed = strcmp(argv[0], "drift") == 0;
	n = xc_cmd_parse(ctx, xc_cmd_find(argv[0]), argc, argv, pos, handle,
	                 &a);
	free(pos);
	if (n == -2)
		return XC_EXIT_OK;
	if (n != 0) {
		if (n > 0)
			xc_out_usage(
			        "plan takes no arguments (a saved plan comes with -o in a later version)");
		return XC_EXIT_USAGE;
	}
	rc = xc_cmd_load_config(ctx, &cfg, &base, &src);
	if (rc != XC_EXIT_OK)
		return rc;
	xc_error_clear(&err);
	if (xc_issuers_load(&facts, cfg, base, &err) < 0) {
		xc_out_err(&err);
		xc_config_free(cfg);
		free(base);
		return XC_EXIT_ERROR;
	}
	{
		struct timespec t0;
		struct timespec t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = xc_observe(&obs, cfg, base, NULL, a.parallelism, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		observe_seconds = (double)(t1.tv_sec - t0.tv_sec) +
		                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	if (rc < 0) {
		xc_out_err(&err);
		xc_issuers_release(&facts);
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
	/* What an interrupted apply left in the state directory (read
	 * without the lock: plan changes nothing). */
	{
		char *dir = ctx->state_dir
		                    ? strdup(ctx->state_dir)
		                    : xc_store_default_dir(cfg->organization.v);

		if (dir && access(dir, F_OK) == 0 &&
		    xc_store_open(&store, dir, &err) < 0)
			store = NULL;
		free(dir);
		xc_error_clear(&err);
	}
	in.nissued = xc_cmd_load_issued(store, &obs, &issued);
	in.issued = issued;
	{
		clock_t c0 = clock();

		rc = xc_plan_make(&plan, &in, &err);
		/* EXCERT_PROFILE=1: where the time went, for bench/. */
		if (getenv("EXCERT_PROFILE")) /* NOLINT(concurrency-mt-unsafe)
		                               */
			fprintf(stderr,
			        "excert: profile: observe %.3f s wall, plan %.3f ms cpu, %zu servers\n",
			        observe_seconds,
			        (double)(clock() - c0) * 1000.0 /
			                CLOCKS_PER_SEC,
			        obs.nservers);
	}
	if (rc < 0) {
		xc_out_err(&err);
		rc = XC_EXIT_ERROR;
	} else {
		if (ctx->format == XC_FMT_JSON)
			print_json(&plan, &src, cfg->organization.v);
		else if (ctx->format == XC_FMT_MARKDOWN)
			print_markdown(&plan, &src, cfg->organization.v);
		else
			xc_plan_print_text(&plan, &src, cfg->organization.v,
			                   argv[0], stdout,
			                   isatty(1) && !getenv("NO_COLOR"));
		rc = plan.blocked                ? XC_EXIT_ERROR
		     : a.detailed && plan.nsteps ? XC_EXIT_CHANGES
		                                 : XC_EXIT_OK;
		xc_plan_release(&plan);
	}
	xc_cmd_issued_free(issued, in.nissued);
	xc_store_close(store);
	xc_observation_release(&obs);
	xc_issuers_release(&facts);
	xc_config_free(cfg);
	free(base);
	return rc;
}
