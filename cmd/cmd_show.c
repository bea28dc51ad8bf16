/* SPDX-License-Identifier: MIT */
/* excert show: a saved plan, as plan printed it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "cmd/planfile.h"
#include "state/sanitize.h"
#include "state/store.h"

const struct xc_opt xc_show_opts[] = {
        {0},
};

static int no_options(void *arg, int id, const char *value)
{
	(void)arg;
	(void)id;
	(void)value;
	return -1;
}

/* Without PLAN: the last plan apply carried out (or tried to), which it
 * keeps in the state directory of the organisation. */
static char *last_plan(struct xc_ctx *ctx)
{
	struct xc_config *cfg = NULL;
	char *base = NULL;
	char *dir;
	char *path;
	size_t n;

	if (ctx->state_dir) {
		dir = strdup(ctx->state_dir);
	} else {
		if (xc_cmd_load_config(ctx, &cfg, &base, NULL) != XC_EXIT_OK)
			return NULL;
		dir = xc_store_default_dir(cfg->organization.v);
		xc_config_free(cfg);
		free(base);
	}
	if (!dir) {
		xc_out_error("no state directory: set --state DIR (or HOME)");
		return NULL;
	}
	n = strlen(dir) + sizeof("/last-plan.json");
	path = malloc(n);
	if (path)
		snprintf(path, n, "%s/last-plan.json", dir);
	free(dir);
	if (path && access(path, F_OK) != 0) {
		xc_out_error(
		        "no plan to show: give a plan saved with excert plan -o PLAN (apply keeps its last one in '%s', and none is there yet)",
		        path);
		free(path);
		return NULL;
	}
	return path;
}

int xc_cmd_show(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv)
{
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct xc_saved_plan sp;
	struct xc_error err;
	char *path;
	int n;

	n = xc_cmd_parse(ctx, self, argc, argv, pos, no_options, NULL);
	if (n == -2 || n < 0 || n > 1) {
		free(pos);
		if (n == -2)
			return XC_EXIT_OK;
		if (n > 1)
			xc_out_usage("show takes one saved plan");
		return XC_EXIT_USAGE;
	}
	path = n == 1 ? strdup(pos[0]) : last_plan(ctx);
	free(pos);
	if (!path)
		return XC_EXIT_ERROR;
	xc_error_clear(&err);
	if (xc_plan_load(&sp, path, &err) < 0) {
		xc_out_err(&err);
		free(path);
		return XC_EXIT_ERROR;
	}
	free(path);
	if (ctx->format == XC_FMT_JSON) {
		json_dumpf(sp.doc, stdout,
		           JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (ctx->format == XC_FMT_MARKDOWN) {
		xc_plan_print_markdown(&sp.plan, &sp.src, sp.organization,
		                       stdout);
	} else {
		xc_plan_print_text(&sp.plan, &sp.src, sp.organization,
		                   "plan (saved)", stdout,
		                   isatty(1) && !getenv("NO_COLOR"));
		const char *when = json_string_value(json_object_get(
		        json_object_get(sp.doc, "saved"), "planned_for"));

		/* A saved plan is a file from anywhere: as plan's printers,
		 * its strings go through the sanitizer. */
		fputs("Planned for ", stdout);
		xc_sanitize_fputs(when ? when : "?", stdout, 0);
		if (sp.ntargets) {
			size_t i;

			printf(", certificates");
			for (i = 0; i < sp.ntargets; i++) {
				putchar(' ');
				xc_sanitize_fputs(sp.targets[i], stdout, 0);
			}
		}
		printf("; apply checks %zu observed facts before it acts.\n",
		       sp.nfacts);
	}
	xc_saved_plan_release(&sp);
	return XC_EXIT_OK;
}
