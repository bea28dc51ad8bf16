/* SPDX-License-Identifier: MIT */
/*
 * Command-line options from tables: one table per command drives both the
 * parsing and the --help text, so the two cannot disagree.
 */
#ifndef XC_CMD_OPT_H
#define XC_CMD_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum xc_opt_kind {
	XC_OPT_FLAG,  /* --name */
	XC_OPT_VALUE, /* --name VALUE, --name=VALUE, -n VALUE, -nVALUE */
};

struct xc_opt {
	int id;            /* what the caller switches on; 0 ends a table */
	char sname;        /* short name, or 0 */
	const char *lname; /* long name without "--" */
	enum xc_opt_kind kind;
	const char *argname; /* VALUE's name in help, e.g. "DIR" */
	const char *help;    /* one line */
};

struct xc_optparser {
	int argc;
	char **argv;
	int idx;                        /* next argv element */
	const struct xc_opt *tables[2]; /* searched in order */
	bool stop_at_positional;        /* global options end at the command */
	bool only_positional;           /* after "--" */
	char **pos;                     /* positionals (borrowed argv) */
	int npos;
	char err[256]; /* set when xc_opt_next fails */
};

/* Prepares to parse argv[first..argc); pos must hold argc entries. */
void xc_opt_init(struct xc_optparser *p, int argc, char **argv, int first,
                 const struct xc_opt *table, const struct xc_opt *fallback,
                 char **pos);

/*
 * Returns 1 with *opt and *value (NULL for flags) set, 0 at the end, or -1
 * with the reason in p->err.  Positionals are collected in p->pos; with
 * stop_at_positional the first one ends parsing and p->idx points at it.
 */
int xc_opt_next(struct xc_optparser *p, const struct xc_opt **opt,
                const char **value);

/* Prints the options of a table, aligned, one a line. */
void xc_opt_print(FILE *fp, const struct xc_opt *table);

#endif
