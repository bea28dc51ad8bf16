/* SPDX-License-Identifier: MIT */
/* Reading the desired state for the commands that act on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/gitsrc.h"
#include "reconcile/plan.h"
#include "state/config.h"
#include "state/store.h"
#include "state/x509.h"
#include "state/xalloc.h"
#include "state/ytree.h"

int xc_cmd_load_config(struct xc_ctx *ctx, struct xc_config **out,
                       char **base_out, struct xc_cmd_source *info)
{
	struct xc_source src;
	struct xc_error err;
	struct xc_diags diags;
	const char *slash;
	int rc;

	*out = NULL;
	*base_out = NULL;
	xc_error_clear(&err);
	if (xc_source_read(&src, ctx->config, ctx->ref, XC_YAML_MAX_BYTES,
	                   &err) < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	if (info) {
		snprintf(info->label, sizeof(info->label), "%s", src.label);
		snprintf(info->commit, sizeof(info->commit), "%s", src.commit);
		info->dirty = src.dirty;
		xc_sha256_hex(src.data, src.len, info->sha256);
	}
	xc_diags_init(&diags);
	rc = xc_config_load(out, src.data, src.len, src.label, &diags);
	xc_diags_print(&diags, stderr);
	if (rc < 0)
		fprintf(stderr, "excert: %s: %zu error%s\n", src.label,
		        diags.errors, diags.errors == 1 ? "" : "s");
	xc_diags_release(&diags);
	xc_source_release(&src);
	if (rc < 0)
		return XC_EXIT_DATAERR;
	/* Paths in excert.yaml are relative to its directory. */
	slash = strrchr(ctx->config, '/');
	*base_out =
	        slash ? xc_xstrndup(ctx->config, (size_t)(slash - ctx->config))
	              : xc_xstrdup(".");
	if (!**base_out) {
		free(*base_out);
		*base_out = xc_xstrdup("/");
	}
	return XC_EXIT_OK;
}

long long xc_cmd_now(void)
{
	/* Read once, before any thread starts. */
	const char *s =
	        getenv("EXCERT_NOW"); /* NOLINT(concurrency-mt-unsafe) */

	if (s && *s) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (!*end && v > 0)
			return v;
	}
	return (long long)time(NULL);
}

size_t xc_cmd_load_issued(struct xc_store *st, const struct xc_observation *obs,
                          struct xc_issued **out)
{
	struct xc_issued *v = NULL;
	size_t n = 0;
	size_t i;
	size_t j;

	*out = NULL;
	for (i = 0; st && i < obs->nservers; i++) {
		const struct xc_server_obs *so = &obs->servers[i];

		for (j = 0; so->ok && j < so->obs.nrequests; j++) {
			char name[80];
			char *chain = NULL;
			size_t len;
			struct xc_error err;

			snprintf(name, sizeof(name), "issued/%s.pem",
			         so->obs.requests[j].thumbprint);
			if (xc_store_read(st, name, 1u << 20, &chain, &len,
			                  &err) < 0)
				continue;
			v = xc_xrealloc(v, (n + 1) * sizeof(*v));
			v[n].request = so->obs.requests[j].thumbprint;
			v[n].chain = chain;
			n++;
		}
	}
	*out = v;
	return n;
}

void xc_cmd_issued_free(struct xc_issued *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)v[i].chain);
	free(v);
}
