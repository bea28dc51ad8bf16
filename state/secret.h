/* SPDX-License-Identifier: MIT */
/*
 * Secret references.  excert.yaml never holds a secret's value, only where
 * to find it: env:NAME (an environment variable) or file:PATH (a file,
 * relative to excert.yaml's directory).  The value is resolved late, by the
 * provider that uses it, and is never printed, planned or journaled.
 */
#ifndef XC_STATE_SECRET_H
#define XC_STATE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

enum xc_secret_kind {
	XC_SECRET_ENV,
	XC_SECRET_FILE,
};

/*
 * True when s is a well-formed reference; kind_out and the name or path
 * (borrowed from s) are set.  False when it is not a reference at all.  The
 * reason in why never contains s itself, which may be a pasted secret.
 */
bool xc_secret_ref_parse(const char *s, enum xc_secret_kind *kind_out,
                         const char **what_out, char *why, size_t size);

#endif
