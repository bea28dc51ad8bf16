/* SPDX-License-Identifier: MIT */
/* excert version */
#include <jansson.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/version.h"
#include "providers/gitsrc.h"
#include "state/libs.h"

int xc_cmd_version(struct xc_ctx *ctx, int argc, char **argv)
{
	char *pos[1];
	char libs[512];

	if (argc > 1) {
		char **p = argv;
		int n = xc_cmd_parse(ctx, xc_cmd_find("version"), argc, p, pos,
		                     NULL, NULL);

		if (n == -2)
			return XC_EXIT_OK;
		if (n != 0)
			return XC_EXIT_USAGE;
	}
	snprintf(libs, sizeof(libs), "%s, %s", xc_state_lib_versions(),
	         xc_providers_lib_versions());
	if (ctx->format == XC_FMT_JSON) {
		json_t *o = json_pack("{s:s,s:s}", "version", XC_VERSION,
		                      "libraries", libs);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		printf("excert %s\n%s\n", XC_VERSION, libs);
	}
	return XC_EXIT_OK;
}
