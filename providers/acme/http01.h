/* SPDX-License-Identifier: MIT */
/*
 * Answering http-01 challenges (RFC 8555 §8.3) for the standalone client:
 * either files in a web server's document root, or a small HTTP listener
 * of excert's own.
 *
 *   webroot   DIR/.well-known/acme-challenge/TOKEN holds the key
 *             authorization (mode 0644, for the web server); the two
 *             directories are made when missing and removed again when
 *             empty at the end.  DIR itself may be a symbolic link (the
 *             user named it); .well-known and acme-challenge may not: they
 *             are opened one at a time without following a link (refused
 *             in words) and held open for the run, and every file is made
 *             (new, O_EXCL, not through a link) and deleted relative to
 *             the challenge directory's descriptor.  A link planted later,
 *             or a directory renamed, so never redirects a write or a
 *             delete.  Their owner and mode are not checked: a webroot is
 *             often the web server user's, and one who may write there
 *             can at worst delete the answer, not move it.
 *   listener  a thread answers GET (and HEAD) of
 *             /.well-known/acme-challenge/TOKEN for the tokens added, 404
 *             for anything else, one connection at a time with a 5-second
 *             read limit.  It listens on the address given, or on every
 *             address (IPv6 and IPv4) when none is.
 *
 * xc_http01_clear removes every token placed (files deleted, listener
 * forgets them); xc_http01_free clears, stops the listener and frees.
 * Callers clear on success and on failure alike.  Tokens are checked to be
 * base64url, so a CA cannot name a path outside the challenge directory.
 * The responder is owned by its maker; strings given to it are copied.
 */
#ifndef XC_PROVIDERS_ACME_HTTP01_H
#define XC_PROVIDERS_ACME_HTTP01_H

#include "state/error.h"

struct xc_http01;

/* Files under webroot (which must exist).  0 or an error. */
int xc_http01_webroot(struct xc_http01 **out, const char *webroot,
                      struct xc_error *err);

/* A listener on address (NULL: every address) and port, running when
 * this returns.  0, or an error naming the address (port in use, ...). */
int xc_http01_listen(struct xc_http01 **out, const char *address, unsigned port,
                     struct xc_error *err);

/* Serves key_authorization at the token's path from now on. */
int xc_http01_add(struct xc_http01 *h, const char *token,
                  const char *key_authorization, struct xc_error *err);

/* Removes the file of a token an earlier, interrupted run placed (webroot;
 * nothing for the listener).  Tokens that are not base64url are ignored. */
void xc_http01_forget(struct xc_http01 *h, const char *token);

/* Removes every token added so far. */
void xc_http01_clear(struct xc_http01 *h);

/* Clears, stops and frees; NULL is a no-op. */
void xc_http01_free(struct xc_http01 *h);

/* How many challenge requests the listener answered with 200 (0 for a
 * webroot), for the progress line. */
unsigned xc_http01_served(struct xc_http01 *h);

#endif
