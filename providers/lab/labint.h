/* SPDX-License-Identifier: MIT */
/* Inside the lab: the open document and the helpers its operations share. */
#ifndef XC_PROVIDERS_LAB_LABINT_H
#define XC_PROVIDERS_LAB_LABINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "providers/lab/labx509.h"
#include "state/error.h"

struct lab {
	char *dir;    /* owned */
	json_t *doc;  /* lab.json */
	int lockfd;   /* flock held on DIR/lab.lock */
	bool changed; /* lab.json must be written back */
};

/* An operation's failure: a protocol error category and a message. */
struct op_error {
	const char *category; /* "InvalidOperation", ... */
	char message[512];
};

/* Runs one operation of the agent protocol for server (its JSON object in
 * the document, name `name`); fills *result (new reference) or e. */
int lab_op(struct lab *l, const char *name, json_t *server, const char *op,
           const json_t *args, json_t **result, struct op_error *e);

/* The lease operation (lablease.c): the organisation's lease in lab.json. */
int lab_op_lease(struct lab *l, const json_t *args, json_t **result,
                 struct op_error *e);

/* ---- labdoc.c: the document, its files, the certificate stores ---- */

/* Opens the lab in dir: its lock taken (exclusive when write), lab.json
 * read and checked.  lab_close in every case, also after a failure. */
int lab_open(struct lab *l, const char *dir, bool write, struct xc_error *err);

/* Writes lab.json back when it changed (xc_write_file_atomic). */
int lab_save(struct lab *l, struct xc_error *err);

/* Releases the lock and the document. */
void lab_close(struct lab *l);

/* DIR/rel, caller frees. */
char *lab_path(const struct lab *l, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Appends to path (made with mode, whatever the umask; never through a
 * link); 0 or XC_EIO. */
int lab_append_file(const char *path, const void *data, size_t len, int mode);

/* Stores a certificate (leaf, then chain) and its key (or none) in a
 * server's store under the leaf's thumbprint; returns the thumbprint in
 * thumb. */
int lab_store_cert(struct lab *l, const char *server,
                   const struct xc_lab_cert *leaf,
                   struct xc_lab_cert *const *chain, size_t nchain,
                   const struct xc_lab_key *key, char thumb[41],
                   struct xc_error *err);

/* The JSON entry of a certificate of server by thumbprint, or NULL. */
json_t *lab_find_cert(json_t *server, const char *thumb, size_t *index_out);

/* Exchange's issuer and subject strings of a stored certificate. */
int lab_cert_names(struct lab *l, const char *server, const char *thumb,
                   char **issuer_out, char **subject_out, long long *not_after,
                   struct xc_error *err);

/* The time the lab lives in: now, or EXCERT_LAB_NOW (seconds since the
 * epoch) so that tests can move the clock. */
long long lab_now(void);

#endif
