/* SPDX-License-Identifier: MIT */
/*
 * The URLs excert.yaml holds: verify endpoints (https, smtp, imap, pop3,
 * imaps, pop3s), ACME directories and WinRM endpoints.  Only the shape is
 * checked here; state/ may not link libcurl (reconcile/ links state/ and must
 * stay free of network libraries), and these URLs need no more than
 * scheme://host[:port][/path].
 */
#ifndef XC_STATE_URL_H
#define XC_STATE_URL_H

#include <stdbool.h>
#include <stddef.h>

struct xc_url {
	char scheme[8];  /* lower case */
	char host[256];  /* without brackets for IPv6 */
	unsigned port;   /* explicit, or the scheme's default */
	char path[1024]; /* from the first '/' on, or "" */
};

/*
 * Parses s and accepts it when its scheme is in the space-separated list
 * schemes ("https smtp").  False with the reason in why.  The URL itself is
 * quoted in why only when it holds no credentials.
 */
bool xc_url_parse(const char *s, const char *schemes, struct xc_url *out,
                  char *why, size_t size);

/*
 * A verify entry of excert.yaml: "URL" or "URL via ADDR[:PORT]", where the
 * probe connects to ADDR (and PORT, else the URL's) while SNI and the name
 * check stay the URL's host, so that a load-balanced name is probed on each
 * member.  url and via (size bytes each) get the two parts, via "" when
 * there is none.  False when the entry is too long for them.
 */
bool xc_verify_entry_split(const char *entry, char *url, char *via,
                           size_t size);

/*
 * "HOST", "HOST:PORT" or "[V6]:PORT" (a DNS server, the address after a
 * verify entry's "via"): the host without brackets into host (size bytes)
 * and the port, 0 when none is written.  False with the reason in why
 * (size_why bytes) when it has no such shape; the host itself is the
 * caller's to check.
 */
bool xc_host_port_split(const char *s, char *host, size_t size, unsigned *port,
                        char *why, size_t size_why);

/* The well-known port of a scheme, or 0. */
unsigned xc_url_default_port(const char *scheme);

#endif
