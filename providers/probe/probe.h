/* SPDX-License-Identifier: MIT */
/*
 * TLS probes: what an endpoint really serves.  One call probes any number
 * of endpoints at once, from one thread: non-blocking sockets and SSL
 * objects driven by one poll() loop, each endpoint with its own deadline
 * and the whole run with another.  One SSL_CTX (and so one trust store)
 * serves the run.
 *
 * Endpoints are URLs:
 *   https://host[:port][/path]   TLS at once, SNI = host (default 443)
 *   smtp://host[:port]           greeting, EHLO, STARTTLS (default 25; 587 too)
 *   imap://host[:port]           greeting, CAPABILITY, STARTTLS (143)
 *   pop3://host[:port]           greeting, CAPA, STLS (110)
 *   imaps://, pop3s://           TLS at once (993, 995)
 * An endpoint may name connect_to, "ADDR" or "ADDR:PORT" ("[v6]:PORT"):
 * the connection goes there while SNI and the name check stay the URL's
 * host, so that each member behind a load-balanced name can be probed.
 *
 * A probe reports what is served; it does not judge it.  The chain is
 * verified against the trust store (the system's, or ca_bundle) and the
 * outcome is a field, as is the name check; neither makes a probe fail.
 * A probe fails only when no certificate was served: the reason says what
 * happened in words (connection refused, timeout and in which phase, no
 * STARTTLS offered, the server's refusal, the TLS alert or OpenSSL's
 * reason for a failed handshake).
 *
 * OpenSSL stays inside providers/probe/; callers see DER and strings.
 */
#ifndef XC_PROVIDERS_PROBE_PROBE_H
#define XC_PROVIDERS_PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "state/error.h"

struct xc_probe_target {
	const char *url;        /* borrowed */
	const char *connect_to; /* borrowed; NULL: the URL's host */
};

struct xc_probe_opts {
	unsigned timeout_ms; /* per endpoint, from its first connect; 0: 10 s */
	unsigned deadline_ms;  /* the whole run; 0: none beyond timeout_ms */
	const char *ca_bundle; /* PEM file of trusted CAs; NULL: the system's */
	unsigned parallel;     /* connections at once; 0: as many as the
	                          file descriptor limit allows */
	const char *ehlo_name; /* EHLO argument; NULL: "excert.invalid" */
};

struct xc_probe_cert {
	unsigned char *der; /* owned */
	size_t len;
};

/* One endpoint's outcome; everything in it is owned by the result and
 * freed by xc_probe_result_release. */
struct xc_probe_result {
	bool served;         /* a certificate was served; else err says why */
	struct xc_error err; /* when !served */
	char address[80];    /* the address connected to, "127.0.0.1:443" */
	double seconds;      /* from connect to the end of the handshake */

	char thumbprint[41];       /* SHA-1 of the leaf's DER, upper-case hex */
	struct xc_probe_cert leaf; /* DER */
	struct xc_probe_cert *chain; /* the rest of what was served, in order */
	size_t nchain;
	char *subject;    /* as Exchange renders it ("CN=mail.contoso.com") */
	char *issuer;     /* likewise */
	char *subject_cn; /* the subject's CN, or "" */
	long long not_before; /* seconds since the epoch, UTC */
	long long not_after;
	bool hostname_match;   /* X509_check_host (or _ip) for the URL's host */
	bool chain_verified;   /* verifies against the trust store */
	char chain_error[128]; /* why not, in OpenSSL's words; "" when it does
	                        */
	char protocol[16];     /* "TLSv1.3" */
	char cipher[64];       /* "TLS_AES_256_GCM_SHA384" */
};

/*
 * Checks an endpoint URL and an optional connect_to address without
 * connecting; false with the reason in why.  Lets callers refuse a bad
 * command line before any probe starts.
 */
bool xc_probe_check(const char *url, const char *connect_to, char *why,
                    size_t size);

/*
 * Probes n targets and fills results[0..n) (the caller's array, in the
 * order of the targets).  Returns 0 when every endpoint was tried, whatever
 * each found; a negative xc_code with err set only when the run itself
 * cannot start (the CA bundle cannot be read).  Names are resolved first
 * (getaddrinfo, once per distinct host), before the clock of the
 * deadlines starts.
 */
int xc_probe_run(const struct xc_probe_target *targets, size_t n,
                 const struct xc_probe_opts *opts,
                 struct xc_probe_result *results, struct xc_error *err);

/* Frees what a result owns; the struct itself is the caller's. */
void xc_probe_result_release(struct xc_probe_result *r);

#endif
