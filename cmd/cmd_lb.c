/* SPDX-License-Identifier: MIT */
/* excert lb status|update: the load balancers of excert.yaml, by hand. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/lb/lb.h"
#include "state/config.h"
#include "state/sanitize.h"
#include "state/secret.h"

enum {
	OPT_CHAIN = 100,
	OPT_KEY,
};

static const struct xc_opt status_opts[] = {{0}};

/* update's options; status has none. */
const struct xc_opt xc_lb_opts[] = {
        {OPT_CHAIN, 0, "chain", XC_OPT_VALUE, "FILE",
         "update: the certificate to serve, leaf first, then its chain (PEM)"},
        {OPT_KEY, 0, "key", XC_OPT_VALUE, "FILE",
         "update: its private key (PEM); read, never printed"},
        {0},
};

struct lb_args {
	const char *chain;
	const char *key;
};

static int handle(void *arg, int id, const char *value)
{
	struct lb_args *a = arg;

	switch (id) {
	case OPT_CHAIN:
		a->chain = value;
		return 0;
	case OPT_KEY:
		a->key = value;
		return 0;
	}
	return -1;
}

/* The SNI a load balancer is looked at with: the first domain of the first
 * certificate that names it; NULL when none does.  Borrowed from cfg. */
static const char *sni_for(const struct xc_config *cfg, const char *lb)
{
	size_t i;
	size_t k;

	for (i = 0; i < cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(cfg)[i];

		for (k = 0; k < c->load_balancers.n; k++)
			if (strcmp(c->load_balancers.v[k].v, lb) == 0 &&
			    c->domains.n > 0)
				return c->domains.v[0].v;
	}
	return NULL;
}

static int status(const struct xc_ctx *ctx, const struct xc_config *cfg)
{
	const struct xc_lb *lbs = XC_LBS(cfg);
	size_t n = cfg->load_balancers.n;
	json_t *arr = json_array();
	size_t failed = 0;
	int nw = (int)strlen("NAME");
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(lbs[i].name.v) > nw)
			nw = (int)strlen(lbs[i].name.v);
	if (ctx->format != XC_FMT_JSON)
		printf("%-*s  %-7s  %-40s  %s\n", nw, "NAME", "KIND",
		       "THUMBPRINT", "WHERE");
	for (i = 0; i < n; i++) {
		const struct xc_lb *lb = &lbs[i];
		const char *sni = sni_for(cfg, lb->name.v);
		const struct xc_lb_driver *d = xc_lb_driver_of(lb);
		const char *kind = d ? d->kind : "";
		struct xc_error err;
		char thumb[41];
		char at[600];
		int rc;

		xc_error_clear(&err);
		rc = xc_lb_served(lb, sni, thumb, &err);
		if (d)
			d->describe(lb, sni, at, sizeof(at));
		else
			snprintf(at, sizeof(at), "-");
		failed += rc < 0;
		if (ctx->format == XC_FMT_JSON) {
			json_t *o = json_pack(
			        "{s:s,s:s,s:o,s:s,s:b}", "name", lb->name.v,
			        "kind", kind ? kind : "", "sni",
			        sni ? json_string(sni) : json_null(), "where",
			        at, "served", rc == 0);

			if (rc == 0)
				json_object_set_new(o, "thumbprint",
				                    json_string(thumb));
			else
				json_object_set_new(
				        o, "error",
				        json_pack("{s:s,s:s}", "code",
				                  xc_code_name(err.code),
				                  "message", err.msg));
			json_array_append_new(arr, o);
		} else if (rc == 0) {
			printf("%-*s  %-7s  %-40s  ", nw, lb->name.v, kind,
			       thumb);
			xc_sanitize_fputs(at, stdout, 0);
			putchar('\n');
		} else {
			/* The error may quote what the load balancer said. */
			printf("%-*s  %-7s  error: ", nw, lb->name.v,
			       kind ? kind : "?");
			xc_sanitize_fputs(err.msg, stdout, 0);
			putchar('\n');
		}
	}
	if (ctx->format == XC_FMT_JSON) {
		json_t *doc = json_pack(
		        "{s:i,s:o,s:{s:I,s:I}}", "format_version", 1,
		        "load_balancers", arr, "summary", "served",
		        (json_int_t)(n - failed), "failed", (json_int_t)failed);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		json_decref(arr);
		if (n == 0)
			fprintf(stderr, "excert: %s names no load balancers\n",
			        ctx->config);
	}
	return failed ? XC_EXIT_ERROR : XC_EXIT_OK;
}

static int update(const struct xc_ctx *ctx, const struct xc_config *cfg,
                  const char *name, const struct lb_args *a)
{
	const struct xc_lb *lb = xc_config_lb(cfg, name);
	struct xc_error err;
	char *chain = NULL;
	char *key = NULL;
	char thumb[41];
	char dns[256];
	char detail[1024];
	const char *sni;
	int rc;

	if (!lb) {
		xc_out_error("%s has no load balancer '%s'", ctx->config, name);
		return XC_EXIT_ERROR;
	}
	xc_error_clear(&err);
	if (xc_lb_read_pem(a->chain, &chain, &err) < 0 ||
	    xc_lb_leaf(chain, thumb, dns, sizeof(dns), &err) < 0 ||
	    xc_lb_read_pem(a->key, &key, &err) < 0) {
		if (chain && err.code == XC_EINVAL)
			xc_error_prefix(&err, "%s: ", a->chain);
		xc_out_err(&err);
		free(chain);
		xc_wipe_free_str(key);
		return XC_EXIT_ERROR;
	}
	/* The new leaf's own name first: that is what it will be asked for. */
	sni = dns[0] ? dns : sni_for(cfg, name);
	rc = xc_lb_update(lb, sni, chain, key, detail, sizeof(detail), &err);
	xc_wipe_free_str(key);
	free(chain);
	if (rc < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	if (ctx->format == XC_FMT_JSON) {
		json_t *doc =
		        json_pack("{s:i,s:s,s:s,s:s,s:s}", "format_version", 1,
		                  "name", name, "kind", xc_lb_kind_of(lb),
		                  "thumbprint", thumb, "detail", detail);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		/* The detail may quote what the load balancer said. */
		xc_sanitize_fputs(detail, stdout, 0);
		putchar('\n');
	}
	return XC_EXIT_OK;
}

int xc_cmd_lb(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
              char **argv)
{
	const struct xc_cmd *cmd = self;
	struct xc_cmd sub = *cmd;
	struct lb_args a = {NULL, NULL};
	struct xc_config *cfg;
	char *base;
	char **pos;
	bool upd;
	int n;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		xc_cmd_usage(argc < 2 ? stderr : stdout, cmd);
		return argc < 2 ? XC_EXIT_USAGE : XC_EXIT_OK;
	}
	if (strcmp(argv[1], "status") == 0) {
		upd = false;
		sub.opts = status_opts;
	} else if (strcmp(argv[1], "update") == 0) {
		upd = true;
		sub.opts = xc_lb_opts;
	} else {
		xc_out_usage("unknown lb command '%s' (status or update)",
		             argv[1]);
		return XC_EXIT_USAGE;
	}
	pos = calloc((size_t)argc + 1, sizeof(*pos));
	n = xc_cmd_parse(ctx, &sub, argc - 1, argv + 1, pos, handle, &a);
	if (n < 0) {
		free(pos);
		return n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	}
	if (!upd && n != 0) {
		free(pos);
		xc_out_usage("lb status takes no arguments");
		return XC_EXIT_USAGE;
	}
	if (upd && (n != 1 || !a.chain || !a.key)) {
		free(pos);
		xc_out_usage("lb update takes a load balancer's name, --chain "
		             "FILE and --key FILE");
		return XC_EXIT_USAGE;
	}
	rc = xc_cmd_load_config(ctx, &cfg, &base, NULL);
	if (rc != XC_EXIT_OK) {
		free(pos);
		return rc;
	}
	rc = upd ? update(ctx, cfg, pos[0], &a) : status(ctx, cfg);
	fflush(stdout);
	xc_config_free(cfg);
	free(base);
	free(pos);
	return rc;
}
