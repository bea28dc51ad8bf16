/* SPDX-License-Identifier: MIT */
/*
 * `excert lab serve DIR`: the lab's servers as TLS endpoints on 127.0.0.1,
 * so that probes make real handshakes and an ACME CA validates real http-01
 * challenges.  For each server of lab.json, in the order the file lists
 * them (index i from 0), three listeners:
 *
 *   base+3i    HTTPS: the certificate IIS binds on 443 (iis["443"]); the
 *              server's webroot behind it, as over plain HTTP
 *   base+3i+1  SMTP (the "Default Frontend" receive connector): greeting,
 *              EHLO, STARTTLS with the server's SMTP certificate
 *   base+3i+2  HTTP: files of DIR/servers/NAME/webroot/ (GET and HEAD)
 *
 * An Edge server has no IIS, so only its SMTP port listens.  base 0 lets
 * the kernel choose every port.  The SMTP certificate is chosen as
 * Exchange's front end does for STARTTLS: the "Default Frontend" receive
 * connector's TlsCertificateName when it names a certificate of the server
 * that has SMTP, a private key and is valid now (the newest such); else,
 * among every such certificate, one whose names cover the connector's
 * FQDN, then a CA-signed one before a self-signed one, then the newest
 * (latest NotBefore); else the internal transport certificate.
 *
 * The lab may change while it is served: lab.json's inode, size and mtime
 * are checked at every connection, and when they changed it is read again
 * (under the lab's shared lock) and the certificates that changed are
 * loaded.  Servers added later are not served until a restart: the
 * listeners are bound at the start.
 *
 * With http01, one more plain-HTTP listener answers
 * /.well-known/acme-challenge/TOKEN from whichever server's webroot holds
 * TOKEN (as a load balancer in front of every server would), for an ACME
 * CA that connects to one fixed port.
 *
 * Connections are accepted by one poll() loop and handled by a few worker
 * threads, each connection with 10-second read and write limits.
 */
#ifndef XC_PROVIDERS_LAB_LABSERVE_H
#define XC_PROVIDERS_LAB_LABSERVE_H

#include <stdio.h>

#include "state/error.h"

struct xc_lab_serve_opts {
	unsigned base_port;  /* 0: every port chosen by the kernel */
	const char *http01;  /* "[ADDR:]PORT" (default address 127.0.0.1),
	                        or NULL; borrowed */
	const char *pidfile; /* written once listening, removed at the end;
	                        or NULL; borrowed */
	unsigned workers;    /* threads handling connections; 0: 4 */
	FILE *out;           /* the port map, once listening */
	FILE *log;           /* reloads and problems, one line each */
};

/*
 * Serves the lab in dir until SIGTERM or SIGINT (handlers installed here;
 * SIGPIPE is ignored).  0 after a clean stop; a negative xc_code with err
 * set when it cannot start (not a lab, a port in use).
 */
int xc_lab_serve(const char *dir, const struct xc_lab_serve_opts *o,
                 struct xc_error *err);

#endif
