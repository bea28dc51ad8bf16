/* SPDX-License-Identifier: MIT */
/*
 * A YAML document as a small tree with 1-based positions, built from
 * libyaml's events.  Building it is where the hostile-input rules live: a
 * size limit, UTF-8 only, no binary, one document, a nesting limit, a budget
 * for alias expansion (so "billion laughs" stops early), duplicate keys
 * rejected, scalar keys only.  Every problem becomes a diagnostic.
 */
#ifndef XC_STATE_YTREE_H
#define XC_STATE_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "state/diag.h"
#include "state/error.h"

#define XC_YAML_MAX_BYTES (1024 * 1024) /* excert.yaml larger than this: no */
#define XC_YAML_MAX_DEPTH 64            /* nesting of sequences and mappings */
#define XC_YAML_MAX_NODES 50000         /* nodes after alias expansion */

enum xc_ynode_type {
	XC_Y_SCALAR,
	XC_Y_SEQ,
	XC_Y_MAP,
};

enum xc_yscalar_style {
	XC_Y_PLAIN,  /* may be a number, a boolean or null */
	XC_Y_QUOTED, /* single, double, literal or folded: always a string */
};

struct xc_ynode {
	enum xc_ynode_type type;
	struct xc_loc loc;           /* the node's first character */
	enum xc_yscalar_style style; /* scalars only */
	char *value;                 /* scalars only; owned, NUL-terminated */
	size_t len;                  /* scalars only */
	struct xc_ynode **kids;      /* seq: items; map: key, value, key, ... */
	size_t nkids;
	size_t capkids;
	size_t size; /* this node and all below it */
	bool drop;   /* map keys: refused, the pair is taken out */
};

/*
 * Parses one YAML document.  label is the file name to print (borrowed; must
 * outlive the tree).  When the document could be read to its end, *out is
 * the root (caller frees with xc_ynode_free) and 0 is returned, even when
 * diags received problems that do not stop reading: duplicate keys (the
 * first one is kept), merge keys and non-string keys (left out), control
 * characters in values.  Callers check diags.  Otherwise (a syntax error, a
 * limit, a bad byte) *out is NULL and XC_EINVAL is returned.
 */
int xc_ytree_parse(struct xc_ynode **out, const char *data, size_t len,
                   const char *label, struct xc_diags *diags);

void xc_ynode_free(struct xc_ynode *n);

/* Number of key/value pairs of a mapping. */
size_t xc_ynode_map_len(const struct xc_ynode *map);

/* The value for key, or NULL (borrowed). */
const struct xc_ynode *xc_ynode_map_get(const struct xc_ynode *map,
                                        const char *key);

/* "a string", "a list", "a mapping", "null": for messages. */
const char *xc_ynode_describe(const struct xc_ynode *n);

/* True for a plain null scalar (~, null, Null, NULL, or nothing). */
int xc_ynode_is_null(const struct xc_ynode *n);

#endif
