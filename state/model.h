/* SPDX-License-Identifier: MIT */
/*
 * The desired state (excert.yaml, schema version 1) as C structs.
 *
 * Every value keeps the position it was written at, so that checks made
 * after parsing (a dangling reference, a duplicate name) still point at the
 * right line and column.  Every object struct begins with its own position;
 * the schema tables in state/schema.c describe where each key lands.
 *
 * Ownership: everything below a struct xc_config belongs to it and is freed
 * by xc_config_free(); plans and observations borrow from it for one run.
 */
#ifndef XC_STATE_MODEL_H
#define XC_STATE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "state/error.h"

struct xc_str {
	char *v; /* owned; NULL when the key is absent */
	struct xc_loc loc;
};

struct xc_strs {
	struct xc_str *v; /* owned */
	size_t n;
	bool set; /* the key was written (perhaps as an empty list) */
	struct xc_loc loc;
};

/* Integers, booleans (0/1), enums (index into the key's values) and
 * durations (seconds). */
struct xc_num {
	long long v;
	bool set;
	struct xc_loc loc;
};

struct xc_list {
	void *v; /* owned array of the element struct */
	size_t n;
	bool set;
	struct xc_loc loc;
};

enum xc_role {
	XC_ROLE_MAILBOX,
	XC_ROLE_EDGE,
};

enum xc_transport_kind {
	XC_TRANSPORT_SSH,
	XC_TRANSPORT_WINRM,
	XC_TRANSPORT_LAB,
};

enum xc_winrm_auth {
	XC_WINRM_NEGOTIATE,
	XC_WINRM_KERBEROS,
	XC_WINRM_NTLM,
	XC_WINRM_BASIC,
};

enum xc_remove_superseded {
	XC_REMOVE_AFTER_VERIFY,
	XC_REMOVE_NEVER,
};

enum xc_account_key {
	XC_ACCOUNT_EC256,
	XC_ACCOUNT_EC384,
	XC_ACCOUNT_RSA2048,
	XC_ACCOUNT_RSA4096,
};

struct xc_connect {
	struct xc_loc loc;
	struct xc_num transport; /* enum xc_transport_kind */
	struct xc_num timeout;   /* seconds */
	/* ssh */
	struct xc_str host;
	struct xc_num port;
	struct xc_str user;
	struct xc_str identity;
	struct xc_str known_hosts;
	/* winrm */
	struct xc_str url;
	struct xc_num auth; /* enum xc_winrm_auth */
	struct xc_str username;
	struct xc_str password; /* a secret reference */
	struct xc_str ca_bundle;
	/* lab */
	struct xc_str path;
};

struct xc_server {
	struct xc_loc loc;
	struct xc_str name; /* NetBIOS name, as Exchange knows the server */
	struct xc_str fqdn;
	struct xc_num role; /* enum xc_role */
	struct xc_connect *connect;
};

struct xc_eab {
	struct xc_loc loc;
	struct xc_str kid;      /* plain or a reference */
	struct xc_str hmac_key; /* a secret reference */
};

struct xc_http01 {
	struct xc_loc loc;
	struct xc_num via; /* 0: iis */
};

struct xc_rfc2136 {
	struct xc_loc loc;
	struct xc_str server; /* host or address of the primary */
	struct xc_num port;
	struct xc_str key;  /* secret reference to a TSIG key (BIND format) */
	struct xc_str zone; /* optional; found by SOA lookup otherwise */
	struct xc_strs secondaries; /* ADDR[:PORT] that must serve the
	                               records too */
};

struct xc_dns01 {
	struct xc_loc loc;
	struct xc_rfc2136 *rfc2136;
};

struct xc_challenge {
	struct xc_loc loc;
	struct xc_http01 *http01;
	struct xc_dns01 *dns01;
};

struct xc_acme {
	struct xc_loc loc;
	struct xc_str directory;
	struct xc_str email;
	struct xc_eab *eab;
	struct xc_challenge *challenge;
	struct xc_str ca_bundle;
	struct xc_num account_key; /* enum xc_account_key */
};

struct xc_manual {
	struct xc_loc loc;
	struct xc_str path;
};

struct xc_labca {
	struct xc_loc loc;
	struct xc_str path;
};

struct xc_issuer {
	struct xc_loc loc;
	struct xc_str name; /* the mapping key */
	struct xc_acme *acme;
	struct xc_manual *manual;
	struct xc_labca *lab;
};

struct xc_haproxy {
	struct xc_loc loc;
	struct xc_str socket;
	struct xc_str certificate;
};

struct xc_nginx {
	struct xc_loc loc;
	struct xc_str certificate;
	struct xc_str key;
	struct xc_str binary;
	struct xc_str config;
	struct xc_str address; /* HOST:PORT where it serves TLS, probed */
};

struct xc_lb {
	struct xc_loc loc;
	struct xc_str name; /* the mapping key */
	struct xc_haproxy *haproxy;
	struct xc_nginx *nginx;
};

struct xc_keyspec {
	struct xc_loc loc;
	struct xc_num size;       /* RSA bits: 2048, 3072, 4096 */
	struct xc_num exportable; /* bool */
};

struct xc_connectors {
	struct xc_loc loc;
	struct xc_strs send;
	struct xc_strs receive; /* "SERVER\Connector name" */
};

struct xc_cert {
	struct xc_loc loc;
	struct xc_str name;
	struct xc_str subject; /* defaults to CN=<first domain> */
	struct xc_strs domains;
	struct xc_str issuer;
	struct xc_keyspec *key;
	struct xc_num renew_before;         /* seconds */
	struct xc_num renew_before_percent; /* of the lifetime */
	struct xc_strs servers;
	struct xc_strs services;
	struct xc_num replace_transport_certificate; /* bool */
	struct xc_connectors *connectors;
	struct xc_num hybrid; /* bool */
	struct xc_strs load_balancers;
	struct xc_strs verify;
	struct xc_num remove_superseded; /* enum xc_remove_superseded */
	struct xc_str friendly_name;
	/* derived by the loader */
	unsigned services_mask; /* enum xc_service flags */
	int key_size;           /* bits, default applied */
	bool exportable;        /* default applied */
};

struct xc_config {
	struct xc_loc loc;
	char *label; /* owned; the file name printed in diagnostics */
	struct xc_num version;
	struct xc_str organization;
	struct xc_list servers;        /* struct xc_server */
	struct xc_list issuers;        /* struct xc_issuer */
	struct xc_list load_balancers; /* struct xc_lb */
	struct xc_list certificates;   /* struct xc_cert */
};

#endif
