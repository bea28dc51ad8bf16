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

#include "state/error.h"

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

/*
 * Reads the value a reference names: the environment variable, or the file
 * (a relative path starts at base_dir; NULL for the current directory),
 * without one final newline.  At most 64 KiB.  Returns 0 with *out
 * (NUL-terminated; caller frees, having wiped it) and *len_out (may be
 * NULL); or XC_EINVAL (not a reference), XC_ENOTFOUND (unset variable,
 * missing file, empty value) or XC_EIO, with err naming the reference,
 * never its value.  Reads the environment: call it before starting threads.
 */
int xc_secret_resolve(const char *ref, const char *base_dir, char **out,
                      size_t *len_out, struct xc_error *err);

/*
 * Every variable named by an env: reference that xc_secret_ref_parse has
 * seen (in excert.yaml or on the command line) is remembered, so that no
 * program excert starts inherits it.  xc_secret_child_env returns a copy
 * of the environment without those variables (PATH, HOME and the rest
 * kept), for execve, execvpe or posix_spawn: a NULL-terminated array
 * that the caller frees with xc_secret_child_env_free.  Safe to call from
 * several threads at once; in a child after fork, use an array built
 * before the fork (allocation is not async-signal-safe).
 */
char **xc_secret_child_env(void);
void xc_secret_child_env_free(char **envp);

/* Remembers name (without "env:") as a secret variable; what
 * xc_secret_ref_parse does for an env: reference. */
void xc_secret_remember_env(const char *name);

/*
 * Wiping: a secret (a key, a password, a PFX, a resolved reference) is
 * overwritten before its memory is freed or goes out of scope, through
 * OPENSSL_cleanse, which the compiler cannot drop as a dead store (a
 * memset before free may be).  xc_wipe zeroes n bytes of p; xc_wipe_free
 * zeroes them, then frees p; xc_wipe_free_str does so for a NUL-terminated
 * string.  NULL is a no-op for all three.
 */
void xc_wipe(void *p, size_t n);
void xc_wipe_free(void *p, size_t n);
void xc_wipe_free_str(char *s);

#endif
