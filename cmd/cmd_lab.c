/* SPDX-License-Identifier: MIT */
/* excert lab init|agent|serve: the Exchange emulator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/lab/lab.h"
#include "providers/lab/labserve.h"

enum {
	OPT_SERVERS = 100,
	OPT_HYBRID,
	OPT_EDGE,
	OPT_EXPIRES,
	OPT_LATENCY,
	OPT_ORG,
	OPT_DOMAIN,
	OPT_AS,
	OPT_BASE_PORT,
	OPT_HTTP01,
	OPT_PIDFILE,
};

static const struct xc_opt init_opts[] = {
        {OPT_SERVERS, 0, "servers", XC_OPT_VALUE, "N",
         "Mailbox servers (default 2)"},
        {OPT_HYBRID, 0, "hybrid", XC_OPT_FLAG, NULL,
         "a hybrid configuration and its Office 365 send connector"},
        {OPT_EDGE, 0, "edge", XC_OPT_FLAG, NULL,
         "an Edge Transport server, EDGE01"},
        {OPT_EXPIRES, 0, "expires-in", XC_OPT_VALUE, "DAYS",
         "a lab-CA certificate 'mail' expiring in DAYS, bound everywhere"},
        {OPT_LATENCY, 0, "latency-ms", XC_OPT_VALUE, "MS",
         "make every call this slow, like a real Exchange shell"},
        {OPT_ORG, 0, "organization", XC_OPT_VALUE, "NAME",
         "organisation name (default contoso)"},
        {OPT_DOMAIN, 0, "domain", XC_OPT_VALUE, "DOMAIN",
         "DNS domain (default contoso.lab)"},
        {0},
};

static const struct xc_opt agent_opts[] = {
        {OPT_AS, 0, "as", XC_OPT_VALUE, "NAME",
         "answer as this server only (default: the one each request names)"},
        {0},
};

static const struct xc_opt serve_opts[] = {
        {OPT_BASE_PORT, 0, "base-port", XC_OPT_VALUE, "N",
         "server i listens on N+3i (https), N+3i+1 (smtp), N+3i+2 (http); 0: any free ports (default 20000)"},
        {OPT_HTTP01, 0, "http01", XC_OPT_VALUE, "[ADDR:]PORT",
         "also answer http-01 challenges from every server's webroot here"},
        {OPT_PIDFILE, 0, "pidfile", XC_OPT_VALUE, "FILE",
         "write the process id here once listening"},
        {0},
};

/* All three tables, for `excert help lab`. */
const struct xc_opt xc_lab_opts[] = {
        {OPT_SERVERS, 0, "servers", XC_OPT_VALUE, "N",
         "init: Mailbox servers (default 2)"},
        {OPT_HYBRID, 0, "hybrid", XC_OPT_FLAG, NULL,
         "init: a hybrid configuration and its connectors"},
        {OPT_EDGE, 0, "edge", XC_OPT_FLAG, NULL,
         "init: an Edge Transport server, EDGE01"},
        {OPT_EXPIRES, 0, "expires-in", XC_OPT_VALUE, "DAYS",
         "init: a lab-CA certificate expiring in DAYS"},
        {OPT_LATENCY, 0, "latency-ms", XC_OPT_VALUE, "MS",
         "init: every call takes at least MS"},
        {OPT_ORG, 0, "organization", XC_OPT_VALUE, "NAME",
         "init: organisation name (default contoso)"},
        {OPT_DOMAIN, 0, "domain", XC_OPT_VALUE, "DOMAIN",
         "init: DNS domain (default contoso.lab)"},
        {OPT_AS, 0, "as", XC_OPT_VALUE, "NAME",
         "agent: answer as this server only"},
        {OPT_BASE_PORT, 0, "base-port", XC_OPT_VALUE, "N",
         "serve: ports N+3i, N+3i+1, N+3i+2 for server i (default 20000)"},
        {OPT_HTTP01, 0, "http01", XC_OPT_VALUE, "[ADDR:]PORT",
         "serve: one http-01 listener for every server's webroot"},
        {OPT_PIDFILE, 0, "pidfile", XC_OPT_VALUE, "FILE",
         "serve: write the process id here once listening"},
        {0},
};

struct lab_args {
	struct xc_lab_options init;
	const char *as;
	struct xc_lab_serve_opts serve;
};

static int number(const char *opt, const char *v, int min, int max, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*end || end == v || n < min || n > max) {
		xc_out_usage("--%s takes %d to %d, not '%s'", opt, min, max, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int handle(void *arg, int id, const char *value)
{
	struct lab_args *a = arg;

	switch (id) {
	case OPT_SERVERS:
		return number("servers", value, 0, 999, &a->init.servers);
	case OPT_HYBRID:
		a->init.hybrid = true;
		return 0;
	case OPT_EDGE:
		a->init.edge = true;
		return 0;
	case OPT_EXPIRES:
		return number("expires-in", value, 1, 89, &a->init.expires_in);
	case OPT_LATENCY:
		return number("latency-ms", value, 0, 600000,
		              &a->init.latency_ms);
	case OPT_ORG:
		a->init.organization = value;
		return 0;
	case OPT_DOMAIN:
		a->init.domain = value;
		return 0;
	case OPT_AS:
		a->as = value;
		return 0;
	case OPT_BASE_PORT: {
		int port;

		if (number("base-port", value, 0, 65533, &port) < 0)
			return -1;
		a->serve.base_port = (unsigned)port;
		return 0;
	}
	case OPT_HTTP01:
		a->serve.http01 = value;
		return 0;
	case OPT_PIDFILE:
		a->serve.pidfile = value;
		return 0;
	}
	return -1;
}

int xc_cmd_lab(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
               char **argv)
{
	const struct xc_cmd *lab = self;
	struct xc_cmd sub = *lab;
	struct lab_args a = {{.servers = 2}, NULL, {.base_port = 20000}};
	struct xc_error err;
	char **pos;
	bool init;
	bool serve = false;
	int n;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		xc_cmd_usage(argc < 2 ? stderr : stdout, lab);
		return argc < 2 ? XC_EXIT_USAGE : XC_EXIT_OK;
	}
	if (strcmp(argv[1], "init") == 0) {
		init = true;
		sub.opts = init_opts;
	} else if (strcmp(argv[1], "agent") == 0) {
		init = false;
		sub.opts = agent_opts;
	} else if (strcmp(argv[1], "serve") == 0) {
		init = false;
		serve = true;
		sub.opts = serve_opts;
	} else {
		xc_out_usage("unknown lab command '%s' (init, agent or serve)",
		             argv[1]);
		return XC_EXIT_USAGE;
	}
	pos = calloc((size_t)argc + 1, sizeof(*pos));
	n = xc_cmd_parse(ctx, &sub, argc - 1, argv + 1, pos, handle, &a);
	if (n < 0) {
		free(pos);
		return n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	}
	if (n != 1) {
		free(pos);
		xc_out_usage("lab %s takes one directory", argv[1]);
		return XC_EXIT_USAGE;
	}
	xc_error_clear(&err);
	if (init) {
		rc = xc_lab_init(pos[0], &a.init, &err);
		if (rc == 0)
			fprintf(stderr,
			        "excert: lab organisation '%s' in %s: %d Mailbox server%s%s%s\n",
			        a.init.organization ? a.init.organization
			                            : "contoso",
			        pos[0], a.init.servers,
			        a.init.servers == 1 ? "" : "s",
			        a.init.edge ? ", an Edge server" : "",
			        a.init.hybrid ? ", hybrid" : "");
	} else if (serve) {
		a.serve.out = stdout;
		a.serve.log = stderr;
		rc = xc_lab_serve(pos[0], &a.serve, &err);
	} else {
		rc = xc_lab_agent(pos[0], a.as, stdin, stdout, &err);
	}
	free(pos);
	if (rc < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	return XC_EXIT_OK;
}
