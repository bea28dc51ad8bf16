/* SPDX-License-Identifier: MIT */
/* excert version */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "cmd/version.h"
#include "providers/gitsrc.h"
#include "state/libs.h"

/*
 * The libraries as a JSON object, name to version, from the list the
 * layers report ("libyaml 0.2.5, jansson 2.14, OpenSSL 3.0.17 1 Jul 2025,
 * libgit2 1.5.1, libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 ..."): each
 * entry is its name, then a space or a slash, then its version; what
 * follows the version (a date, libcurl's own libraries) is in "detail".
 */
static json_t *libs_json(const char *libs)
{
	json_t *o = json_object();
	const char *p = libs;

	while (*p) {
		size_t len = strcspn(p, ",");
		size_t name = strcspn(p, " /,");
		char entry[512];
		char key[64];
		const char *ver;
		size_t vlen;

		snprintf(entry, sizeof(entry), "%.*s", (int)len, p);
		if (name < len && name < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*s", (int)name, p);
			ver = entry + name + 1;
			vlen = strcspn(ver, " ");
			json_object_set_new(
			        o, key,
			        ver[vlen] ? json_pack("{s:s%,s:s}", "version",
			                              ver, vlen, "detail",
			                              ver + vlen + 1)
			                  : json_pack("{s:s}", "version", ver));
		}
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return o;
}

int xc_cmd_version(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                   char **argv)
{
	char libs[512];

	if (argc > 1) {
		char **pos = calloc((size_t)argc, sizeof(*pos));
		int n;

		if (!pos)
			return XC_EXIT_ERROR;
		n = xc_cmd_parse(ctx, self, argc, argv, pos, NULL, NULL);
		free(pos);
		if (n == -2)
			return XC_EXIT_OK;
		if (n != 0) {
			if (n > 0)
				xc_out_usage("version takes no arguments");
			return XC_EXIT_USAGE;
		}
	}
	snprintf(libs, sizeof(libs), "%s, %s", xc_state_lib_versions(),
	         xc_providers_lib_versions());
	if (ctx->format == XC_FMT_JSON) {
		json_t *o = json_pack("{s:s,s:o}", "version", XC_VERSION,
		                      "libraries", libs_json(libs));

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		printf("excert %s\n%s\n", XC_VERSION, libs);
	}
	return XC_EXIT_OK;
}
