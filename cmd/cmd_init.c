/* SPDX-License-Identifier: MIT */
/* excert init [--lab] DIR: a git repository with an excert.yaml. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/gitsrc.h"
#include "providers/lab/lab.h"

enum { OPT_LAB = 100 };

const struct xc_opt xc_init_opts[] = {
        {OPT_LAB, 0, "lab", XC_OPT_FLAG, NULL,
         "with a lab organisation (2 servers, hybrid, a certificate 10 days from its end) to plan and apply against"},
        {0},
};

static int handle(void *arg, int id, const char *value)
{
	(void)value;
	if (id == OPT_LAB)
		*(bool *)arg = true;
	return 0;
}

/* A starting point that validates: one server, one certificate. */
static const char template_yaml[] =
        "# excert.yaml: the certificates of your Exchange organisation as they\n"
        "# should be. Reference: docs/config.md. Check it with: excert validate\n"
        "version: 1\n"
        "organization: contoso\n"
        "servers:\n"
        "  - name: EX01\n"
        "    fqdn: ex01.contoso.local\n"
        "    connect: {transport: ssh, host: ex01.contoso.local, user: svc-excert}\n"
        "issuers:\n"
        "  corp-ca:\n"
        "    manual: {path: requests}\n"
        "certificates:\n"
        "  - name: mail\n"
        "    domains: [mail.contoso.com, autodiscover.contoso.com]\n"
        "    issuer: corp-ca\n"
        "    servers: [EX01]\n"
        "    services: [IIS, SMTP]\n";

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wx");
	if (!fp) {
		xc_out_error("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	fputs(text, fp);
	if (fclose(fp) != 0) {
		xc_out_error("cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int xc_cmd_init(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv)
{
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	bool lab = false;
	struct xc_error err;
	char labdir[4096];
	char *yaml = NULL;
	const char *files[3];
	size_t nfiles = 0;
	const char *dir;
	int n;

	n = xc_cmd_parse(ctx, self, argc, argv, pos, handle, &lab);
	dir = n == 1 ? pos[0] : NULL;
	free(pos);
	if (n == -2)
		return XC_EXIT_OK;
	if (n != 1) {
		if (n >= 0)
			xc_out_usage("init takes one directory");
		return XC_EXIT_USAGE;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		xc_out_error("cannot create '%s': %s", dir, strerror(errno));
		return XC_EXIT_ERROR;
	}
	snprintf(labdir, sizeof(labdir), "%s/excert.yaml", dir);
	if (access(labdir, F_OK) == 0) {
		xc_out_error("'%s' exists already; init does not overwrite it",
		             labdir);
		return XC_EXIT_ERROR;
	}
	xc_error_clear(&err);
	if (lab) {
		struct xc_lab_options opt = {
		        .servers = 2, .hybrid = true, .expires_in = 10};

		snprintf(labdir, sizeof(labdir), "%s/lab", dir);
		if (xc_lab_init(labdir, &opt, &err) < 0 ||
		    xc_lab_example_config(labdir, "lab", &yaml, &err) < 0) {
			xc_out_err(&err);
			return XC_EXIT_ERROR;
		}
		/* The lab stands for Exchange: it is not part of the desired
		 * state, and stays out of the repository. */
		if (write_file(dir, ".gitignore", "/lab/\n") < 0) {
			free(yaml);
			return XC_EXIT_ERROR;
		}
		files[nfiles++] = ".gitignore";
	}
	if (write_file(dir, "excert.yaml", yaml ? yaml : template_yaml) < 0) {
		free(yaml);
		return XC_EXIT_ERROR;
	}
	free(yaml);
	files[nfiles++] = "excert.yaml";
	if (xc_git_commit_files(
	            dir, files, nfiles,
	            lab ? "excert: desired state of the lab organisation\n"
	                : "excert: desired state\n",
	            &err) < 0) {
		xc_out_err(&err);
		return XC_EXIT_ERROR;
	}
	fprintf(stderr,
	        "excert: %s: excert.yaml committed%s; next: excert -C %s plan\n",
	        dir, lab ? ", lab organisation in lab/" : "", dir);
	return XC_EXIT_OK;
}
