/* SPDX-License-Identifier: MIT */
/* excert schema: the schema tables as JSON Schema or Markdown. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "state/schema_export.h"

int xc_cmd_schema(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                  char **argv)
{
	char *pos[8];
	char *text;
	int n;

	if (argc > 8) {
		fputs("excert: schema takes no arguments\n", stderr);
		return XC_EXIT_USAGE;
	}
	n = xc_cmd_parse(ctx, self, argc, argv, pos, NULL, NULL);
	if (n == -2)
		return XC_EXIT_OK;
	if (n != 0) {
		if (n > 0)
			fputs("excert: schema takes no arguments\n", stderr);
		return XC_EXIT_USAGE;
	}
	text = ctx->format == XC_FMT_MARKDOWN ? xc_schema_markdown()
	                                      : xc_schema_json();
	if (!text)
		return XC_EXIT_ERROR;
	fputs(text, stdout);
	free(text);
	return XC_EXIT_OK;
}
