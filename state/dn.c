/* SPDX-License-Identifier: MIT */
#include "state/dn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state/buf.h"
#include "state/xalloc.h"

/* Names that Windows' X500DistinguishedName writes and reads. */
static const char *const dn_types[][2] = {
        {"CN", "CN"},         {"O", "O"},
        {"OU", "OU"},         {"L", "L"},
        {"S", "S"},           {"ST", "S"},
        {"C", "C"},           {"DC", "DC"},
        {"E", "E"},           {"EMAIL", "E"},
        {"STREET", "STREET"}, {"SERIALNUMBER", "SERIALNUMBER"},
        {"T", "T"},           {"G", "G"},
        {"SN", "SN"},         {"POSTALCODE", "POSTALCODE"},
};

static bool canon_type(const char *t, size_t n, char *out, size_t size)
{
	size_t i;
	bool oid = n > 0;

	for (i = 0; i < sizeof(dn_types) / sizeof(dn_types[0]); i++) {
		if (strlen(dn_types[i][0]) == n &&
		    strncasecmp(dn_types[i][0], t, n) == 0) {
			snprintf(out, size, "%s", dn_types[i][1]);
			return true;
		}
	}
	/* A dotted OID such as 2.5.4.3 is accepted as written. */
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)t[i]) && t[i] != '.')
			oid = false;
	if (oid && n < size && t[0] != '.' && t[n - 1] != '.') {
		memcpy(out, t, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

void xc_dn_release(struct xc_dn *dn)
{
	size_t i;

	for (i = 0; i < dn->n; i++)
		free(dn->v[i].value);
	free(dn->v);
	dn->v = NULL;
	dn->n = 0;
}

static void dn_add(struct xc_dn *dn, const char *type, char *value)
{
	dn->v = xc_xrealloc(dn->v, (dn->n + 1) * sizeof(*dn->v));
	snprintf(dn->v[dn->n].type, sizeof(dn->v[dn->n].type), "%s", type);
	dn->v[dn->n].value = value;
	dn->n++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads one value at *pp up to an unescaped ',', '+' or the end. */
static bool read_value(const char **pp, struct xc_buf *val, char *why,
                       size_t size)
{
	const char *p = *pp;
	size_t trim;
	size_t kept = 0; /* bytes up to the last escaped one stay */

	while (*p == ' ')
		p++;
	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			xc_buf_add(val, p, 1);
			p++;
		}
		if (*p != '"') {
			snprintf(why, size, "unterminated quoted value");
			return false;
		}
		p++;
		while (*p == ' ')
			p++;
		if (*p && *p != ',' && *p != '+' && *p != ';') {
			snprintf(why, size,
			         "unexpected '%c' after a quoted value", *p);
			return false;
		}
		*pp = p;
		return true;
	}
	while (*p && *p != ',' && *p != '+' && *p != ';') {
		if (*p == '\\') {
			int h1 = p[1] ? hexval(p[1]) : -1;
			int h2 = h1 >= 0 && p[2] ? hexval(p[2]) : -1;

			if (h1 >= 0 && h2 >= 0) {
				char c = (char)(h1 * 16 + h2);

				xc_buf_add(val, &c, 1);
				kept = val->len;
				p += 3;
				continue;
			}
			if (!p[1]) {
				snprintf(why, size,
				         "value ends with a backslash");
				return false;
			}
			p++;
			xc_buf_add(val, p, 1);
			kept = val->len;
			p++;
			continue;
		} else if (*p == '"' || *p == '<' || *p == '>') {
			snprintf(
			        why, size,
			        "'%c' in a value must be escaped or the value quoted",
			        *p);
			return false;
		}
		xc_buf_add(val, p, 1);
		p++;
	}
	/* Trailing spaces are not part of an unquoted value. */
	trim = val->len;
	while (trim > kept && val->ptr[trim - 1] == ' ')
		trim--;
	val->len = trim;
	if (val->ptr)
		val->ptr[trim] = '\0';
	*pp = p;
	return true;
}

bool xc_dn_parse(const char *s, struct xc_dn *out, char *why, size_t size)
{
	const char *p = s;
	struct xc_dn dn = {NULL, 0};

	out->v = NULL;
	out->n = 0;
	while (*p == ' ')
		p++;
	if (!*p) {
		snprintf(why, size, "empty distinguished name");
		return false;
	}
	for (;;) {
		const char *t;
		char type[24];
		struct xc_buf val;

		while (*p == ' ')
			p++;
		t = p;
		while (*p && *p != '=' && *p != ',' && *p != '+')
			p++;
		if (*p != '=') {
			snprintf(
			        why, size,
			        "expected TYPE=value (e.g. CN=mail.contoso.com), found '%.*s'",
			        (int)(p - t > 40 ? 40 : p - t), t);
			goto fail;
		}
		{
			size_t n = (size_t)(p - t);

			while (n && t[n - 1] == ' ')
				n--;
			if (!canon_type(t, n, type, sizeof(type))) {
				snprintf(
				        why, size,
				        "unknown attribute type '%.*s' (use CN, O, OU, L, S, C, DC, E or an OID)",
				        (int)(n > 20 ? 20 : n), t);
				goto fail;
			}
		}
		p++;
		xc_buf_init(&val, 4096);
		if (!read_value(&p, &val, why, size)) {
			xc_buf_release(&val);
			goto fail;
		}
		if (val.len == 0) {
			xc_buf_release(&val);
			snprintf(why, size, "attribute %s has an empty value",
			         type);
			goto fail;
		}
		if (strcmp(type, "C") == 0 &&
		    (val.len != 2 || !isalpha((unsigned char)val.ptr[0]) ||
		     !isalpha((unsigned char)val.ptr[1]))) {
			xc_buf_release(&val);
			snprintf(
			        why, size,
			        "C= takes a two-letter country code (e.g. C=US)");
			goto fail;
		}
		dn_add(&dn, type, xc_buf_detach(&val, NULL));
		if (!*p)
			break;
		p++; /* ',', ';' or '+' */
		while (*p == ' ')
			p++;
		if (!*p) {
			snprintf(why, size,
			         "distinguished name ends with a separator");
			goto fail;
		}
	}
	*out = dn;
	return true;
fail:
	xc_dn_release(&dn);
	return false;
}

const char *xc_dn_get(const struct xc_dn *dn, const char *type)
{
	size_t i;

	for (i = 0; i < dn->n; i++)
		if (strcmp(dn->v[i].type, type) == 0)
			return dn->v[i].value;
	return NULL;
}

bool xc_dn_equal(const char *a, const char *b)
{
	struct xc_dn x;
	struct xc_dn y;
	char why[200];
	bool eq;
	size_t i;

	if (!xc_dn_parse(a, &x, why, sizeof(why)))
		return strcasecmp(a, b) == 0;
	if (!xc_dn_parse(b, &y, why, sizeof(why))) {
		xc_dn_release(&x);
		return false;
	}
	eq = x.n == y.n;
	for (i = 0; eq && i < x.n; i++)
		eq = strcmp(x.v[i].type, y.v[i].type) == 0 &&
		     strcasecmp(x.v[i].value, y.v[i].value) == 0;
	xc_dn_release(&x);
	xc_dn_release(&y);
	return eq;
}
