/* SPDX-License-Identifier: MIT */
/*
 * The live state of an Exchange organisation as excert observed it, parsed
 * from agent replies (docs/agent-protocol.md).  Certificates keep their DER
 * and the facts excert computed from it (state/x509.h) beside Exchange's own
 * strings.  Everything is owned by the struct that holds it; release with
 * the matching _release function.
 */
#ifndef XC_STATE_OBSERVED_H
#define XC_STATE_OBSERVED_H

#include <stdbool.h>
#include <stddef.h>

#include "state/model.h"
#include "state/x509.h"

struct xc_obs_cert {
	struct xc_x509 x;   /* computed from the DER */
	unsigned char *der; /* owned */
	size_t der_len;
	char *issuer;        /* Exchange's string */
	char *subject;       /* Exchange's string */
	char *friendly_name; /* owned; may be "" */
	unsigned services;   /* enum xc_service flags */
	char status[32];     /* "Valid", "DateInvalid", ... */
	bool has_private_key;
	bool exportable;
	bool self_signed;
};

struct xc_obs_request {
	char thumbprint[41];
	char *subject;
	char **domains;
	size_t ndomains;
	char *friendly_name;
	int key_size;
	bool exportable;
	unsigned char *csr; /* DER; owned */
	size_t csr_len;
};

struct xc_obs_rconn {
	char *identity; /* "MS01\Default Frontend MS01" */
	char *fqdn;     /* may be NULL */
	char *tls_name; /* TlsCertificateName, NULL when unset */
};

struct xc_obs_binding {
	char *site;
	int port;
	char thumbprint[41]; /* "" when the binding has no certificate */
};

struct xc_obs_server {
	char *name;
	char *fqdn;
	char *version;
	enum xc_role role;
	struct xc_obs_cert *certs;
	size_t ncerts;
	struct xc_obs_request *requests;
	size_t nrequests;
	struct xc_obs_rconn *rconns;
	size_t nrconns;
	struct xc_obs_binding *bindings;
	size_t nbindings;
	char transport_cert[41]; /* "" when unknown */
	bool has_auth;           /* false on Edge */
	char auth_current[41];
	char auth_next[41]; /* "" when none is staged */
};

struct xc_obs_sconn {
	char *name;
	char *fqdn;     /* may be NULL */
	char *tls_name; /* NULL when unset */
};

struct xc_obs_org {
	struct xc_obs_sconn *sconns;
	size_t nsconns;
	bool hybrid;           /* a hybrid configuration exists */
	char *hybrid_tls_name; /* NULL when unset */
};

/* One server's observation, or why there is none. */
struct xc_server_obs {
	const struct xc_server *server; /* borrowed from the config */
	bool ok;
	struct xc_error err; /* when !ok: names the server and what failed */
	struct xc_obs_server obs;
	double seconds; /* the round trip */
	char *raw;      /* owned: the observe result as the agent sent it
	                   (compact JSON), for saving; NULL when !ok */
};

/* What an ACME CA suggests for one certificate (ARI, RFC 9773), with the
 * point in the window that excert chose and keeps. */
struct xc_ari_window {
	char thumbprint[41];
	char issuer[64]; /* its name in excert.yaml */
	long long start; /* seconds since the epoch */
	long long end;
	long long chosen;
};

/* What one verify endpoint or load balancer of a certificate serves, or why
 * that could not be seen. */
struct xc_served {
	char *cert; /* owned: the certificate's name in excert.yaml */
	char *what; /* owned: the endpoint URL, or the load balancer's name */
	bool lb;    /* what names a load balancer */
	bool ok;
	char thumbprint[41]; /* when ok: the leaf served, SHA-1 upper hex */
	char *error;         /* owned: when !ok, why, in words */
};

struct xc_observation {
	struct xc_server_obs *servers; /* owned; in config order */
	size_t nservers;
	bool org_ok;
	struct xc_error org_err;
	struct xc_obs_org org;
	const struct xc_server *org_from; /* the server that answered it */
	char *org_raw; /* owned: the observe_org result as sent, or NULL */
	struct xc_ari_window *ari; /* owned; the CA's renewal windows of
	                              the certificates in use */
	size_t nari;
	char **ari_notes; /* owned: why a window could not be had */
	size_t nari_notes;
	struct xc_served *served; /* owned; what the endpoints and load
	                             balancers serve (none: not looked at) */
	size_t nserved;
};

/* What what (a URL, or a load balancer's name when lb) serves for the
 * certificate cert, or NULL when it was not looked at; borrowed. */
const struct xc_served *xc_observation_served(const struct xc_observation *o,
                                              const char *cert,
                                              const char *what, bool lb);

/* Appends an entry to o->served (copies the strings); thumbprint NULL
 * with error set, or the reverse. */
void xc_observation_add_served(struct xc_observation *o, const char *cert,
                               const char *what, bool lb,
                               const char *thumbprint, const char *error);

/* The ARI window of the certificate with this thumbprint, or NULL. */
const struct xc_ari_window *xc_observation_ari(const struct xc_observation *o,
                                               const char *thumbprint);

/* The issuer names (Exchange's rendering) that an issuer signs with, as
 * far as they are known; empty: any issuer is accepted as this one. */
struct xc_issuer_facts {
	const char *issuer; /* the issuer's name in excert.yaml */
	const char *const *names;
	size_t nnames;
	/* a manual issuer: the pending requests (thumbprints) whose
	 * certificate the CA has put in its directory */
	const char *const *ready;
	size_t nready;
};

void xc_obs_server_release(struct xc_obs_server *s);
void xc_obs_org_release(struct xc_obs_org *o);
void xc_observation_release(struct xc_observation *o);

/* The observation of the server named name (any case), or NULL; borrowed. */
const struct xc_server_obs *
xc_observation_server(const struct xc_observation *o, const char *name);

/* The facts of the issuer named issuer among n, or NULL; borrowed. */
const struct xc_issuer_facts *
xc_issuer_facts_find(const struct xc_issuer_facts *f, size_t n,
                     const char *issuer);

/* The certificate with this thumbprint on s, or NULL (borrowed). */
const struct xc_obs_cert *xc_obs_server_cert(const struct xc_obs_server *s,
                                             const char *thumbprint);

#endif
