/* SPDX-License-Identifier: MIT */
#include "state/secret.h"

#include <stdio.h>
#include <string.h>

static bool env_name_ok(const char *s)
{
	size_t i;

	if (!*s || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

bool xc_secret_ref_parse(const char *s, enum xc_secret_kind *kind_out,
                         const char **what_out, char *why, size_t size)
{
	if (strncmp(s, "env:", 4) == 0) {
		if (!env_name_ok(s + 4)) {
			snprintf(
			        why, size,
			        "env: must name an environment variable (letters, digits, '_')");
			return false;
		}
		*kind_out = XC_SECRET_ENV;
		*what_out = s + 4;
		return true;
	}
	if (strncmp(s, "file:", 5) == 0) {
		if (!s[5]) {
			snprintf(why, size, "file: must name a file");
			return false;
		}
		*kind_out = XC_SECRET_FILE;
		*what_out = s + 5;
		return true;
	}
	snprintf(
	        why, size,
	        "secrets may not be written in excert.yaml: use a reference, env:NAME or file:PATH (the value is not shown)");
	return false;
}
