/* SPDX-License-Identifier: MIT */
#include "state/libs.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <yaml.h>

const char *xc_state_lib_versions(void)
{
	static char buf[200];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "libyaml %s, jansson %s, %s",
		         yaml_get_version_string(), jansson_version_str(),
		         OpenSSL_version(OPENSSL_VERSION));
	return buf;
}
