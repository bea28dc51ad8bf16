/* SPDX-License-Identifier: MIT */
/* excert validate: load the desired state and report every problem. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/gitsrc.h"
#include "state/config.h"
#include "state/ytree.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_text(const struct xc_source *src, const struct xc_config *cfg)
{
	printf("%s: valid: %zu %s, %zu %s, %zu %s, %zu %s", src->label,
	       cfg->servers.n, plural(cfg->servers.n, "server", "servers"),
	       cfg->issuers.n, plural(cfg->issuers.n, "issuer", "issuers"),
	       cfg->load_balancers.n,
	       plural(cfg->load_balancers.n, "load balancer", "load balancers"),
	       cfg->certificates.n,
	       plural(cfg->certificates.n, "certificate", "certificates"));
	if (src->commit[0])
		printf(" (commit %.12s%s)", src->commit,
		       src->untracked ? ", file not tracked"
		       : src->dirty   ? ", file modified in the work tree"
		                      : "");
	else if (src->in_repo)
		printf(" (no commit yet)");
	putchar('\n');
}

static json_t *diag_json(const struct xc_diag *g)
{
	return json_pack("{s:s?,s:i,s:i,s:s,s:s}", "file", g->loc.file, "line",
	                 (json_int_t)g->loc.line, "column",
	                 (json_int_t)g->loc.col, "severity",
	                 g->sev == XC_SEV_ERROR ? "error" : "warning",
	                 "message", g->msg);
}

static json_t *file_json(const char *path, const struct xc_source *src,
                         const struct xc_config *cfg,
                         const struct xc_diags *diags,
                         const struct xc_error *err)
{
	json_t *o = json_object();
	json_t *arr = json_array();
	size_t i;

	json_object_set_new(o, "file",
	                    json_string(src->label ? src->label : path));
	json_object_set_new(o, "valid", json_boolean(cfg != NULL));
	if (src->commit[0]) {
		json_object_set_new(o, "commit", json_string(src->commit));
		json_object_set_new(o, "dirty", json_boolean(src->dirty));
	}
	if (err)
		json_object_set_new(o, "error", json_string(err->msg));
	for (i = 0; diags && i < diags->n; i++)
		json_array_append_new(arr, diag_json(&diags->v[i]));
	json_object_set_new(o, "diagnostics", arr);
	if (cfg)
		json_object_set_new(
		        o, "summary",
		        json_pack("{s:i,s:i,s:i,s:i}", "servers",
		                  (json_int_t)cfg->servers.n, "issuers",
		                  (json_int_t)cfg->issuers.n, "load_balancers",
		                  (json_int_t)cfg->load_balancers.n,
		                  "certificates",
		                  (json_int_t)cfg->certificates.n));
	return o;
}

int xc_cmd_validate(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                    char **argv)
{
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	json_t *files = json_array();
	int exit_code = XC_EXIT_OK;
	int n;
	int i;

	n = xc_cmd_parse(ctx, self, argc, argv, pos, NULL, NULL);
	if (n < 0) {
		free(pos);
		json_decref(files);
		return n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	}
	if (ctx->format == XC_FMT_MARKDOWN) {
		xc_out_usage("validate writes text or json, not markdown");
		free(pos);
		json_decref(files);
		return XC_EXIT_USAGE;
	}
	if (n == 0)
		pos[n++] = (char *)ctx->config;
	for (i = 0; i < n; i++) {
		struct xc_source src;
		struct xc_error err;
		struct xc_diags diags;
		struct xc_config *cfg = NULL;

		xc_error_clear(&err);
		xc_diags_init(&diags);
		if (xc_source_read(&src, pos[i], ctx->ref, XC_YAML_MAX_BYTES,
		                   &err) < 0) {
			if (ctx->format == XC_FMT_JSON)
				json_array_append_new(
				        files, file_json(pos[i], &src, NULL,
				                         NULL, &err));
			else
				xc_out_err(&err);
			exit_code = XC_EXIT_ERROR;
			continue;
		}
		if (xc_config_load(&cfg, src.data, src.len, src.label, &diags) <
		            0 &&
		    exit_code == XC_EXIT_OK)
			exit_code = XC_EXIT_DATAERR;
		if (ctx->format == XC_FMT_JSON) {
			json_array_append_new(
			        files,
			        file_json(pos[i], &src, cfg, &diags, NULL));
		} else {
			xc_diags_print(&diags, stderr);
			if (cfg)
				print_text(&src, cfg);
			else
				fprintf(stderr, "excert: %s: %zu %s\n",
				        src.label, diags.errors,
				        plural(diags.errors, "error",
				               "errors"));
		}
		xc_config_free(cfg);
		xc_diags_release(&diags);
		xc_source_release(&src);
	}
	if (ctx->format == XC_FMT_JSON) {
		json_t *doc =
		        json_pack("{s:i,s:b,s:o}", "format_version", 1, "valid",
		                  exit_code == XC_EXIT_OK, "files", files);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	} else {
		json_decref(files);
	}
	free(pos);
	return exit_code;
}
