/* SPDX-License-Identifier: MIT */
#include "state/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "state/xalloc.h"

void xc_diags_init(struct xc_diags *d)
{
	d->v = NULL;
	d->n = 0;
	d->cap = 0;
	d->errors = 0;
	d->dropped = 0;
}

void xc_diags_release(struct xc_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free(d->v[i].file);
	}
	free(d->v);
	xc_diags_init(d);
}

static void diags_vadd(struct xc_diags *d, enum xc_severity sev,
                       struct xc_loc loc, const char *fmt, va_list ap)
{
	char msg[1024];
	void *v = d->v;
	size_t i;

	if (sev == XC_SEV_ERROR)
		d->errors++;
	if (d->n >= XC_DIAGS_MAX) {
		d->dropped++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A problem inside an anchored node is found once per alias that
	 * copies it, at the same place: say it once. */
	for (i = 0; i < d->n; i++) {
		if (d->v[i].loc.line == loc.line &&
		    d->v[i].loc.col == loc.col &&
		    strcmp(d->v[i].msg, msg) == 0) {
			if (sev == XC_SEV_ERROR)
				d->errors--;
			return;
		}
	}
	xc_xgrow(&v, &d->cap, d->n + 1, sizeof(*d->v));
	d->v = v;
	d->v[d->n].sev = sev;
	/* The loader's label may be freed before the diagnostics are
	 * printed: keep a copy. */
	d->v[d->n].file = loc.file ? xc_xstrdup(loc.file) : NULL;
	d->v[d->n].loc = loc;
	d->v[d->n].loc.file = d->v[d->n].file;
	d->v[d->n].msg = xc_xstrdup(msg);
	d->n++;
}

void xc_diags_add(struct xc_diags *d, enum xc_severity sev, struct xc_loc loc,
                  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, sev, loc, fmt, ap);
	va_end(ap);
}

void xc_diags_error(struct xc_diags *d, struct xc_loc loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, XC_SEV_ERROR, loc, fmt, ap);
	va_end(ap);
}

void xc_diags_sort(struct xc_diags *d)
{
	size_t i;
	size_t j;

	/* Insertion sort: stable, and the lists are short. */
	for (i = 1; i < d->n; i++) {
		struct xc_diag g = d->v[i];

		for (j = i; j > 0; j--) {
			const struct xc_loc *p = &d->v[j - 1].loc;

			if (p->line < g.loc.line ||
			    (p->line == g.loc.line && p->col <= g.loc.col))
				break;
			d->v[j] = d->v[j - 1];
		}
		d->v[j] = g;
	}
}

void xc_diag_format(const struct xc_diag *g, char *buf, size_t size)
{
	const char *sev = g->sev == XC_SEV_ERROR ? "error" : "warning";
	const char *file = g->loc.file ? g->loc.file : "excert";

	if (g->loc.line)
		snprintf(buf, size, "%s:%u:%u: %s: %s", file, g->loc.line,
		         g->loc.col ? g->loc.col : 1, sev, g->msg);
	else
		snprintf(buf, size, "%s: %s: %s", file, sev, g->msg);
}

void xc_diags_print(const struct xc_diags *d, FILE *fp)
{
	char line[1400];
	size_t i;

	for (i = 0; i < d->n; i++) {
		xc_diag_format(&d->v[i], line, sizeof(line));
		fprintf(fp, "%s\n", line);
	}
	if (d->dropped)
		fprintf(fp, "excert: %zu more problems not shown\n",
		        d->dropped);
}
