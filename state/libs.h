/* SPDX-License-Identifier: MIT */
#ifndef XC_STATE_LIBS_H
#define XC_STATE_LIBS_H

/* Versions of the libraries state/ links, as "libyaml 0.2.5, jansson 2.14,
 * OpenSSL 3.0.22 ..."; static storage, filled on the first call. */
const char *xc_state_lib_versions(void);

#endif
