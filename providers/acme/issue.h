/* SPDX-License-Identifier: MIT */
/*
 * Standalone issuance (`excert acme issue`): a local key and CSR, one ACME
 * order from placement to download, http-01 answered from a webroot or a
 * built-in listener, or dns-01 through RFC 2136 (dns01.h), and the result
 * written as cert.pem (leaf + chain), chain.pem and key.pem (0600) in an
 * output directory.
 *
 * The order is persisted in the state directory after it is placed and
 * after each step, under acme-HASH/orders/ID.json, ID being the first 16
 * hex digits of the SHA-256 of the key type and the sorted names; the
 * certificate's key, made before the CSR, is kept beside it as ID.key
 * (0600).  A run that finds ID.json resumes that order (reading it from
 * the CA) instead of placing another, and finalizes with the same key;
 * both files are removed once the certificate is written.  An order the
 * CA no longer knows, or that became invalid, is replaced by a new one.
 * With dns-01 the TXT records are saved with the order before they are
 * sent, so that a resumed run deletes what an interrupted one left.
 *
 * The state directory is locked for the run (state/store.h), so two runs
 * on one directory never share an order.  EXCERT_ACME_STOP_AFTER=order,
 * challenge or finalize makes the process kill itself with SIGKILL right
 * after that step is persisted: the crash tests use it.
 *
 * Every pointer in struct xc_acme_issue_opts is borrowed.
 */
#ifndef XC_PROVIDERS_ACME_ISSUE_H
#define XC_PROVIDERS_ACME_ISSUE_H

#include <stddef.h>
#include <stdio.h>

#include "providers/acme/acme.h"
#include "providers/acme/dns01.h"
#include "providers/acme/jws.h"
#include "state/error.h"

struct xc_acme_issue_opts {
	const char *directory_url;
	const char *ca_bundle;         /* NULL: the system's trust store */
	const char *eab_kid;           /* NULL: none */
	const unsigned char *eab_hmac; /* decoded; with eab_kid */
	size_t eab_hmac_len;
	const char *state_dir;      /* made 0700 when missing */
	const char *const *domains; /* DNS names, first one in the CN */
	size_t ndomains;
	enum xc_acme_keytype keytype;
	const char *out_dir;        /* made 0700 when missing */
	const char *webroot;        /* http-01 files here, or */
	const char *listen_address; /* the listener's address (NULL: all) */
	unsigned listen_port;       /* ... and port, when webroot is NULL */
	FILE *log;                  /* progress on stderr; NULL for none */
	/* dns-01 through RFC 2136 instead of http-01 (providers/acme/dns01.h);
	 * NULL for http-01.  The webroot and listener are then unused. */
	const struct xc_dns01_config *dns01;
	const char *email;      /* the account's contact, when it is made */
	unsigned dns_timeout_s; /* how long the DNS servers may take to serve
	                           the records (primary, then secondaries);
	                           0: 60 s */
};

struct xc_acme_issue_result {
	char serial[130];     /* of the issued certificate, hex */
	long long not_after;  /* seconds since the epoch */
	size_t nchain;        /* certificates after the leaf */
	char order_url[2048]; /* the order that was completed */
	int resumed;          /* 1 when an earlier run's order was resumed */
	int key_background;   /* 1 when the key was made while the CA was
	                         being talked to */
	double key_wait_ms;   /* how long finalizing then waited for it */
	struct xc_acme_stats stats;
	struct xc_dns01_stats dns; /* with dns01 */
};

/* 0 with res filled, or a negative xc_code with err set. */
int xc_acme_issue(const struct xc_acme_issue_opts *o,
                  struct xc_acme_issue_result *res, struct xc_error *err);

#endif
