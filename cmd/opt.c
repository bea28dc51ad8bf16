/* SPDX-License-Identifier: MIT */
#include "cmd/opt.h"

#include <string.h>

void xc_opt_init(struct xc_optparser *p, int argc, char **argv, int first,
                 const struct xc_opt *table, const struct xc_opt *fallback,
                 char **pos)
{
	memset(p, 0, sizeof(*p));
	p->argc = argc;
	p->argv = argv;
	p->idx = first;
	p->tables[0] = table;
	p->tables[1] = fallback;
	p->pos = pos;
}

static const struct xc_opt *find_long(const struct xc_optparser *p,
                                      const char *name, size_t n)
{
	const struct xc_opt *o;
	int t;

	for (t = 0; t < 2; t++)
		for (o = p->tables[t]; o && o->id; o++)
			if (o->lname && strlen(o->lname) == n &&
			    strncmp(o->lname, name, n) == 0)
				return o;
	return NULL;
}

static const struct xc_opt *find_short(const struct xc_optparser *p, char c)
{
	const struct xc_opt *o;
	int t;

	for (t = 0; t < 2; t++)
		for (o = p->tables[t]; o && o->id; o++)
			if (o->sname == c)
				return o;
	return NULL;
}

int xc_opt_next(struct xc_optparser *p, const struct xc_opt **opt,
                const char **value)
{
	while (p->idx < p->argc) {
		char *a = p->argv[p->idx];

		if (p->only_positional || a[0] != '-' || a[1] == '\0') {
			if (p->stop_at_positional)
				return 0;
			p->pos[p->npos++] = a;
			p->idx++;
			continue;
		}
		p->idx++;
		if (strcmp(a, "--") == 0) {
			p->only_positional = true;
			continue;
		}
		*value = NULL;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);

			*opt = find_long(p, name, n);
			if (!*opt) {
				snprintf(p->err, sizeof(p->err),
				         "unknown option '--%.*s'", (int)n,
				         name);
				return -1;
			}
			if ((*opt)->kind == XC_OPT_FLAG) {
				if (eq) {
					snprintf(p->err, sizeof(p->err),
					         "option '--%s' takes no value",
					         (*opt)->lname);
					return -1;
				}
				return 1;
			}
			if (eq) {
				*value = eq + 1;
				return 1;
			}
		} else {
			*opt = find_short(p, a[1]);
			if (!*opt) {
				snprintf(p->err, sizeof(p->err),
				         "unknown option '-%c'", a[1]);
				return -1;
			}
			if ((*opt)->kind == XC_OPT_FLAG) {
				if (a[2]) {
					snprintf(p->err, sizeof(p->err),
					         "option '-%c' takes no value",
					         a[1]);
					return -1;
				}
				return 1;
			}
			if (a[2]) {
				*value = a + 2;
				return 1;
			}
		}
		if (p->idx >= p->argc) {
			snprintf(p->err, sizeof(p->err),
			         "option '%s' needs a value (%s)", a,
			         (*opt)->argname ? (*opt)->argname : "VALUE");
			return -1;
		}
		*value = p->argv[p->idx++];
		return 1;
	}
	return 0;
}

void xc_opt_print(FILE *fp, const struct xc_opt *table)
{
	const struct xc_opt *o;

	for (o = table; o && o->id; o++) {
		char left[64];
		int n;

		if (o->sname && o->lname)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->sname,
			             o->lname);
		else if (o->sname)
			n = snprintf(left, sizeof(left), "-%c", o->sname);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->lname);
		if (o->kind == XC_OPT_VALUE && n > 0 &&
		    (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
			         o->argname ? o->argname : "VALUE");
		fprintf(fp, "  %-26s %s\n", left, o->help);
	}
}
