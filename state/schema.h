/* SPDX-License-Identifier: MIT */
/*
 * The schema of excert.yaml as data.  One table per object says which keys
 * it has, of what kind, where each lands in the model, and what it means.
 * The loader checks documents against it, `excert schema` prints it as a
 * JSON Schema and as the reference part of docs/config.md, and tests keep
 * those files equal to what the tables say.
 */
#ifndef XC_STATE_SCHEMA_H
#define XC_STATE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "state/model.h"

enum xc_vkind {
	XC_V_STRING,   /* struct xc_str */
	XC_V_INT,      /* struct xc_num */
	XC_V_BOOL,     /* struct xc_num, 0 or 1 */
	XC_V_ENUM,     /* struct xc_num, index into values */
	XC_V_DURATION, /* struct xc_num, seconds */
	XC_V_STRINGS,  /* struct xc_strs */
	XC_V_OBJECT,   /* pointer to the shape's struct, NULL when absent */
	XC_V_OBJECTS,  /* struct xc_list of the shape's struct */
	XC_V_NAMED,    /* struct xc_list; mapping of name to object */
};

enum xc_key_flags {
	XC_K_REQUIRED = (1 << 0),
	XC_K_SECRET = (1 << 1),   /* a reference; its value is never shown */
	XC_K_NONEMPTY = (1 << 2), /* lists: at least one item */
	XC_K_UNIQUE = (1 << 3),   /* lists: no item twice (case-insensitive) */
};

/* Checks one scalar; false with the reason in why. */
typedef bool xc_scalar_check_fn(const char *value, char *why, size_t size);

struct xc_shape;

struct xc_key {
	const char *name;
	enum xc_vkind kind;
	unsigned flags;               /* enum xc_key_flags */
	size_t off;                   /* where the value lands in the struct */
	const struct xc_shape *shape; /* OBJECT, OBJECTS, NAMED */
	const char *const *values;    /* ENUM: the words; INT: the only
	                                 numbers allowed; NULL-terminated */
	xc_scalar_check_fn *check;    /* STRING, STRINGS items; may be NULL */
	long long min;                /* INT */
	long long max;                /* INT */
	const char *only;             /* valid only when the shape's
	                                 discriminator has this value */
	const char *def;              /* default, as documentation */
	const char *doc;              /* one sentence for the reference */
};

enum xc_shape_flags {
	XC_S_ONE_OF = (1 << 0), /* exactly one of the keys is present */
};

struct xc_shape {
	const char *what;               /* "server": for messages and docs */
	size_t size;                    /* sizeof the struct */
	const struct xc_key *keys;      /* name == NULL ends the table */
	unsigned flags;                 /* enum xc_shape_flags */
	const char *discriminator;      /* key whose value selects others */
	size_t name_off;                /* NAMED: where the mapping key lands */
	xc_scalar_check_fn *name_check; /* NAMED: checks the mapping key */
	const char *doc;
};

/* The top-level shape of excert.yaml. */
extern const struct xc_shape xc_schema_root;

/* Every shape, root first, in the order the reference presents them. */
extern const struct xc_shape *const xc_schema_shapes[];
extern const size_t xc_schema_nshapes;

/* The one key named name in shape, or NULL. */
const struct xc_key *xc_schema_key(const struct xc_shape *shape,
                                   const char *name);

/* True when key applies under the discriminator value disc (NULL: any). */
bool xc_schema_key_applies(const struct xc_key *key, const char *disc);

/* Writes "a list of strings", "true or false", ... for messages. */
const char *xc_schema_kind_name(const struct xc_key *key);

/* A transport kind's name in excert.yaml ("ssh", "winrm", "lab"). */
const char *xc_transport_name(enum xc_transport_kind kind);

#endif
