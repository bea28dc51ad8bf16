/* SPDX-License-Identifier: MIT */
/*
 * The lab: an Exchange organisation emulated in a directory (docs/lab.md).
 * One JSON document (lab.json) holds the servers, their certificate stores,
 * pending requests, services, bindings, connectors and the hybrid
 * configuration; certificates and keys are real PEM files beside it.  The
 * lab answers the agent protocol (docs/agent-protocol.md) and refuses what
 * Exchange refuses, so that everything above the transport runs as in
 * production.
 *
 * Several processes and threads may use one lab at once: every call takes
 * a lock on DIR/lab.lock (shared to read, exclusive to change) and lab.json
 * is replaced atomically.
 */
#ifndef XC_PROVIDERS_LAB_LAB_H
#define XC_PROVIDERS_LAB_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "state/error.h"

struct xc_lab_options {
	const char *organization; /* default "contoso" */
	const char *domain;       /* default "contoso.lab" */
	int servers;              /* Mailbox servers, default 2 */
	bool edge;                /* add an Edge Transport server */
	bool hybrid;              /* a hybrid configuration and its
	                             connectors */
	int expires_in;           /* > 0: a certificate "mail" from the lab
	                             CA that expires in this many days,
	                             enabled for IIS and SMTP everywhere */
	int latency_ms;           /* every call takes at least this long */
};

/*
 * Creates a lab organisation in dir (made if missing; must be empty).
 * 0, or a negative xc_code with err set.
 */
int xc_lab_init(const char *dir, const struct xc_lab_options *opt,
                struct xc_error *err);

/*
 * Answers one request (JSON text) as the agent of server `as` would; with
 * as == NULL the lab plays whichever server the request names.  *reply_out
 * is the reply document (JSON, caller frees).  Failed operations are part
 * of the reply; a negative xc_code is returned only when the lab itself
 * cannot be used (missing, corrupt, unwritable), with err set.
 */
int xc_lab_call(const char *dir, const char *as, const char *request,
                size_t len, char **reply_out, struct xc_error *err);

/*
 * `excert lab agent DIR`: reads what a PowerShell host would read on stdin
 * (the agent script, then the line invoking it with the base64 request),
 * and writes the framed reply to out, as the agent does.
 */
int xc_lab_agent(const char *dir, const char *as, FILE *in, FILE *out,
                 struct xc_error *err);

/*
 * An excert.yaml for the lab in dir: its servers (reached through the lab at
 * labref, as written in the file), the lab CA as issuer, and a
 * certificate "mail" on every Mailbox server with the hybrid connectors and
 * configuration when the lab has them.  Caller frees *out.
 */
int xc_lab_example_config(const char *dir, const char *labref, char **out,
                          struct xc_error *err);

/* Issues a certificate from the lab CA of dir for a PKCS#10 request (DER),
 * valid for days days: the chain as PEM, leaf first (caller frees). */
int xc_lab_ca_issue(const char *dir, const unsigned char *csr, size_t len,
                    int days, char **pem_out, struct xc_error *err);

#endif
