/* SPDX-License-Identifier: MIT */
/*
 * A list of diagnostics about one input file, printed the way compilers do
 * (FILE:LINE:COL: error: message) so that editors and CI annotate the line.
 * Loaders keep going after a problem and report every one at once.
 */
#ifndef XC_STATE_DIAG_H
#define XC_STATE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "state/error.h"

enum xc_severity {
	XC_SEV_ERROR,
	XC_SEV_WARNING,
};

struct xc_diag {
	enum xc_severity sev;
	struct xc_loc loc; /* loc.file points at file */
	char *file;        /* owned copy of the file name, or NULL */
	char *msg;         /* owned */
};

struct xc_diags {
	struct xc_diag *v; /* owned */
	size_t n;
	size_t cap;
	size_t errors;  /* number of XC_SEV_ERROR entries */
	size_t dropped; /* diagnostics past XC_DIAGS_MAX, counted only */
};

/* A file with this many problems is not worth reading further. */
#define XC_DIAGS_MAX 200

void xc_diags_init(struct xc_diags *d);
void xc_diags_release(struct xc_diags *d);

/* Adds one diagnostic (message formatted, copied). */
void xc_diags_add(struct xc_diags *d, enum xc_severity sev, struct xc_loc loc,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Shorthand for an error. */
void xc_diags_error(struct xc_diags *d, struct xc_loc loc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Orders by line, then column; equal positions keep their order. */
void xc_diags_sort(struct xc_diags *d);

/* Prints every diagnostic as FILE:LINE:COL: error: message, one a line. */
void xc_diags_print(const struct xc_diags *d, FILE *fp);

/* Formats one diagnostic the same way into buf (no newline). */
void xc_diag_format(const struct xc_diag *g, char *buf, size_t size);

#endif
