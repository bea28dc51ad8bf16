/* SPDX-License-Identifier: MIT */
#include "state/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state/dn.h"
#include "state/dnsname.h"
#include "state/duration.h"
#include "state/schema.h"
#include "state/services.h"
#include "state/suggest.h"
#include "state/url.h"
#include "state/xalloc.h"
#include "state/ytree.h"

struct loader {
	struct xc_diags *d;
};

static void *member(void *obj, size_t off)
{
	return (char *)obj + off;
}

static const void *cmember(const void *obj, size_t off)
{
	return (const char *)obj + off;
}

/* ---- scalars -------------------------------------------------------- */

/* A value must be a scalar with something in it. */
static bool want_scalar(struct loader *ld, const struct xc_key *key,
                        const struct xc_ynode *n)
{
	if (n->type == XC_Y_SCALAR && !xc_ynode_is_null(n))
		return true;
	xc_diags_error(ld->d, n->loc, "'%s' must be %s, found %s", key->name,
	               xc_schema_kind_name(key), xc_ynode_describe(n));
	return false;
}

/* 1 for a number, 0 for not a number, -1 for digits too many to hold. */
static int parse_int(const char *s, long long *out)
{
	long long v = 0;
	bool neg = false;
	size_t i = 0;

	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (!s[i] || strspn(s + i, "0123456789") != strlen(s + i))
		return 0;
	if (strlen(s + i) > 15)
		return -1;
	for (; s[i]; i++)
		v = v * 10 + (s[i] - '0');
	*out = neg ? -v : v;
	return 1;
}

static void fill_string(struct loader *ld, const struct xc_key *key,
                        const struct xc_ynode *n, struct xc_str *s)
{
	char why[400];

	if (!want_scalar(ld, key, n))
		return;
	if (key->check && !key->check(n->value, why, sizeof(why))) {
		xc_diags_error(ld->d, n->loc, "%s", why);
		/* The file is invalid either way; keeping the value as written
		 * spares the reader errors that only repeat this one ("server
		 * 'X' is not defined").  Never for a secret. */
		if (key->flags & XC_K_SECRET)
			return;
	}
	s->v = xc_xstrndup(n->value, n->len);
	s->loc = n->loc;
}

static void fill_int(struct loader *ld, const struct xc_key *key,
                     const struct xc_ynode *n, struct xc_num *num)
{
	long long v;

	if (!want_scalar(ld, key, n))
		return;
	if (n->style != XC_Y_PLAIN) {
		xc_diags_error(
		        ld->d, n->loc,
		        "'%s' must be a number, found a quoted string; remove the quotes",
		        key->name);
		return;
	}
	switch (parse_int(n->value, &v)) {
	case 0:
		xc_diags_error(ld->d, n->loc,
		               "'%s' must be a whole number, found '%.40s'",
		               key->name, n->value);
		return;
	case -1:
		xc_diags_error(
		        ld->d, n->loc,
		        "'%s' must be between %lld and %lld, found %.40s",
		        key->name, key->min, key->max, n->value);
		return;
	default:
		break;
	}
	if (key->values) {
		char list[100] = "";
		size_t used = 0;
		size_t i;

		for (i = 0; key->values[i]; i++) {
			if (strcmp(n->value, key->values[i]) == 0)
				break;
			used += (size_t)snprintf(list + used,
			                         sizeof(list) - used, "%s%s",
			                         i ? ", " : "", key->values[i]);
			if (used >= sizeof(list))
				used = sizeof(list) - 1;
		}
		if (!key->values[i]) {
			xc_diags_error(ld->d, n->loc,
			               "'%s' must be one of %s, found %lld",
			               key->name, list, v);
			return;
		}
	}
	if (v < key->min || v > key->max) {
		if (key->min == key->max)
			xc_diags_error(ld->d, n->loc,
			               "'%s' must be %lld, found %lld",
			               key->name, key->min, v);
		else
			xc_diags_error(
			        ld->d, n->loc,
			        "'%s' must be between %lld and %lld, found %lld",
			        key->name, key->min, key->max, v);
		return;
	}
	num->v = v;
	num->set = true;
	num->loc = n->loc;
}

static void fill_bool(struct loader *ld, const struct xc_key *key,
                      const struct xc_ynode *n, struct xc_num *num)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};
	size_t i;

	if (!want_scalar(ld, key, n))
		return;
	if (n->style != XC_Y_PLAIN) {
		xc_diags_error(
		        ld->d, n->loc,
		        "'%s' must be true or false, found a quoted string",
		        key->name);
		return;
	}
	for (i = 0; i < 3; i++) {
		if (strcmp(n->value, yes[i]) == 0 ||
		    strcmp(n->value, no[i]) == 0) {
			num->v = strcmp(n->value, yes[i]) == 0;
			num->set = true;
			num->loc = n->loc;
			return;
		}
	}
	xc_diags_error(ld->d, n->loc,
	               "'%s' must be true or false, found '%.40s'", key->name,
	               n->value);
}

static void fill_enum(struct loader *ld, const struct xc_key *key,
                      const struct xc_ynode *n, struct xc_num *num)
{
	char list[200] = "";
	size_t used = 0;
	size_t count;
	const char *hint;

	if (!want_scalar(ld, key, n))
		return;
	for (count = 0; key->values[count]; count++) {
		if (strcmp(n->value, key->values[count]) == 0) {
			num->v = (long long)count;
			num->set = true;
			num->loc = n->loc;
			return;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		                         "%s%s", count ? ", " : "",
		                         key->values[count]);
		if (used >= sizeof(list))
			used = sizeof(list) - 1;
	}
	hint = xc_suggest(n->value, key->values, count);
	if (hint)
		xc_diags_error(
		        ld->d, n->loc,
		        "invalid %s '%.40s'; did you mean '%s'? (expected one of: %s)",
		        key->name, n->value, hint, list);
	else
		xc_diags_error(ld->d, n->loc,
		               "invalid %s '%.40s' (expected one of: %s)",
		               key->name, n->value, list);
}

static void fill_duration(struct loader *ld, const struct xc_key *key,
                          const struct xc_ynode *n, struct xc_num *num)
{
	char why[200];
	long long secs;

	if (!want_scalar(ld, key, n))
		return;
	if (!xc_duration_parse(n->value, &secs, why, sizeof(why))) {
		xc_diags_error(ld->d, n->loc, "%s: %s", key->name, why);
		return;
	}
	num->v = secs;
	num->set = true;
	num->loc = n->loc;
}

/* ---- lists and objects ---------------------------------------------- */

static void fill_strings(struct loader *ld, const struct xc_key *key,
                         const struct xc_ynode *n, struct xc_strs *out)
{
	size_t i;
	size_t j;
	char why[400];

	if (n->type != XC_Y_SEQ) {
		if (n->type == XC_Y_SCALAR && !xc_ynode_is_null(n) &&
		    !(key->flags & XC_K_SECRET))
			xc_diags_error(
			        ld->d, n->loc,
			        "'%s' must be a list, found a string; write [%.80s]",
			        key->name, n->value);
		else
			xc_diags_error(ld->d, n->loc,
			               "'%s' must be a list, found %s",
			               key->name, xc_ynode_describe(n));
		return;
	}
	out->set = true;
	out->loc = n->loc;
	if (n->nkids == 0 && (key->flags & XC_K_NONEMPTY)) {
		xc_diags_error(ld->d, n->loc, "'%s' must not be empty",
		               key->name);
		return;
	}
	out->v = xc_xcalloc(n->nkids, sizeof(*out->v));
	for (i = 0; i < n->nkids; i++) {
		const struct xc_ynode *it = n->kids[i];

		if (it->type != XC_Y_SCALAR || xc_ynode_is_null(it)) {
			xc_diags_error(
			        ld->d, it->loc,
			        "items of '%s' must be strings, found %s",
			        key->name, xc_ynode_describe(it));
			continue;
		}
		if (key->check && !key->check(it->value, why, sizeof(why))) {
			xc_diags_error(ld->d, it->loc, "%s", why);
			continue;
		}
		if (key->flags & XC_K_UNIQUE) {
			for (j = 0; j < out->n; j++) {
				if (strcasecmp(out->v[j].v, it->value) == 0)
					break;
			}
			if (j < out->n) {
				xc_diags_error(
				        ld->d, it->loc,
				        "'%.80s' is listed twice in '%s' (first at line %u, column %u)",
				        it->value, key->name,
				        out->v[j].loc.line, out->v[j].loc.col);
				continue;
			}
		}
		out->v[out->n].v = xc_xstrndup(it->value, it->len);
		out->v[out->n].loc = it->loc;
		out->n++;
	}
}

static void fill_object(struct loader *ld, const struct xc_shape *shape,
                        const struct xc_ynode *map, void *obj, const char *ctx);

/* "server 'MS01'", or just "server" when the name is not known. */
static void object_ctx(const struct xc_shape *shape, const struct xc_ynode *n,
                       const char *name, char *buf, size_t size)
{
	const struct xc_ynode *nm = name ? NULL : xc_ynode_map_get(n, "name");

	if (!name && nm && nm->type == XC_Y_SCALAR && !xc_ynode_is_null(nm))
		name = nm->value;
	if (name)
		snprintf(buf, size, "%s '%.64s'", shape->what, name);
	else
		snprintf(buf, size, "%s", shape->what);
}

/* An object under a key of another: "connect of server 'MS01'". */
static void *new_object(struct loader *ld, const struct xc_key *key,
                        const struct xc_ynode *n, const char *parent)
{
	char ctx[200];
	void *obj;

	if (n->type != XC_Y_MAP) {
		xc_diags_error(ld->d, n->loc,
		               "'%s' must be a mapping, found %s", key->name,
		               xc_ynode_describe(n));
		return NULL;
	}
	obj = xc_xcalloc(1, key->shape->size);
	/* Name the nearest named object only: "challenge of issuer 'le'",
	 * not "challenge of acme of issuer 'le'". */
	if (strcmp(parent, "excert.yaml") == 0) {
		snprintf(ctx, sizeof(ctx), "%s", key->name);
	} else {
		const char *of = strstr(parent, " of ");

		snprintf(ctx, sizeof(ctx), "%s of %s", key->name,
		         of ? of + 4 : parent);
	}
	fill_object(ld, key->shape, n, obj, ctx);
	return obj;
}

static void fill_objects(struct loader *ld, const struct xc_key *key,
                         const struct xc_ynode *n, struct xc_list *out)
{
	size_t size = key->shape->size;
	size_t i;

	if (n->type != XC_Y_SEQ) {
		xc_diags_error(ld->d, n->loc, "'%s' must be a list, found %s",
		               key->name, xc_ynode_describe(n));
		return;
	}
	out->set = true;
	out->loc = n->loc;
	if (n->nkids == 0 && (key->flags & XC_K_NONEMPTY)) {
		xc_diags_error(ld->d, n->loc, "'%s' must not be empty",
		               key->name);
		return;
	}
	out->v = xc_xcalloc(n->nkids, size);
	for (i = 0; i < n->nkids; i++) {
		const struct xc_ynode *it = n->kids[i];
		char ctx[128];

		if (it->type != XC_Y_MAP) {
			xc_diags_error(ld->d, it->loc,
			               "each %s must be a mapping, found %s",
			               key->shape->what, xc_ynode_describe(it));
			continue;
		}
		object_ctx(key->shape, it, NULL, ctx, sizeof(ctx));
		fill_object(ld, key->shape, it, (char *)out->v + out->n * size,
		            ctx);
		out->n++;
	}
}

static void fill_named(struct loader *ld, const struct xc_key *key,
                       const struct xc_ynode *n, struct xc_list *out)
{
	const struct xc_shape *shape = key->shape;
	size_t i;
	char why[200];

	if (n->type != XC_Y_MAP) {
		xc_diags_error(
		        ld->d, n->loc,
		        "'%s' must be a mapping from names to %ss, found %s",
		        key->name, shape->what, xc_ynode_describe(n));
		return;
	}
	out->set = true;
	out->loc = n->loc;
	out->v = xc_xcalloc(n->nkids / 2 + 1, shape->size);
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct xc_ynode *k = n->kids[i];
		const struct xc_ynode *v = n->kids[i + 1];
		void *obj = (char *)out->v + out->n * shape->size;
		struct xc_str *name = member(obj, shape->name_off);
		char ctx[128];

		/* A bad name or a value that is not a mapping is reported,
		 * and the entry kept under its name all the same, so that
		 * references to it do not add "not defined" errors. */
		if (shape->name_check &&
		    !shape->name_check(k->value, why, sizeof(why)))
			xc_diags_error(ld->d, k->loc, "%s", why);
		name->v = xc_xstrndup(k->value, k->len);
		name->loc = k->loc;
		*(struct xc_loc *)obj = k->loc;
		out->n++;
		if (v->type != XC_Y_MAP) {
			xc_diags_error(ld->d, v->loc,
			               "%s '%.64s' must be a mapping, found %s",
			               shape->what, k->value,
			               xc_ynode_describe(v));
			continue;
		}
		snprintf(ctx, sizeof(ctx), "%s '%.64s'", shape->what, k->value);
		fill_object(ld, shape, v, obj, ctx);
		*(struct xc_loc *)obj = k->loc;
	}
}

static void fill_value(struct loader *ld, const struct xc_key *key,
                       const struct xc_ynode *n, void *obj, const char *ctx)
{
	void *slot = member(obj, key->off);

	switch (key->kind) {
	case XC_V_STRING:
		fill_string(ld, key, n, slot);
		break;
	case XC_V_INT:
		fill_int(ld, key, n, slot);
		break;
	case XC_V_BOOL:
		fill_bool(ld, key, n, slot);
		break;
	case XC_V_ENUM:
		fill_enum(ld, key, n, slot);
		break;
	case XC_V_DURATION:
		fill_duration(ld, key, n, slot);
		break;
	case XC_V_STRINGS:
		fill_strings(ld, key, n, slot);
		break;
	case XC_V_OBJECT:
		*(void **)slot = new_object(ld, key, n, ctx);
		break;
	case XC_V_OBJECTS:
		fill_objects(ld, key, n, slot);
		break;
	case XC_V_NAMED:
		fill_named(ld, key, n, slot);
		break;
	}
}

static void unknown_key(struct loader *ld, const struct xc_shape *shape,
                        const struct xc_ynode *k, const char *disc,
                        const char *ctx)
{
	const char *names[64];
	size_t n = 0;
	const struct xc_key *key;
	const char *hint;

	for (key = shape->keys; key->name && n < 64; key++)
		if (xc_schema_key_applies(key, disc))
			names[n++] = key->name;
	hint = xc_suggest(k->value, names, n);
	if (hint)
		xc_diags_error(ld->d, k->loc,
		               "unknown key '%.64s' in %s; did you mean '%s'?",
		               k->value, ctx, hint);
	else
		xc_diags_error(ld->d, k->loc, "unknown key '%.64s' in %s",
		               k->value, ctx);
}

static void fill_object(struct loader *ld, const struct xc_shape *shape,
                        const struct xc_ynode *map, void *obj, const char *ctx)
{
	const char *disc = NULL;
	const struct xc_key *key;
	const struct xc_ynode *first_present = NULL;
	const struct xc_key *first_key = NULL;
	size_t present = 0;
	size_t i;

	*(struct xc_loc *)obj = map->loc;
	if (shape->discriminator) {
		const struct xc_ynode *dn =
		        xc_ynode_map_get(map, shape->discriminator);
		const struct xc_key *dk =
		        xc_schema_key(shape, shape->discriminator);
		size_t v;

		for (v = 0; dn && dn->type == XC_Y_SCALAR && dk->values[v]; v++)
			if (strcmp(dn->value, dk->values[v]) == 0)
				disc = dk->values[v];
	}
	for (i = 0; i + 1 < map->nkids; i += 2) {
		const struct xc_ynode *k = map->kids[i];
		const struct xc_ynode *v = map->kids[i + 1];

		if (k->type != XC_Y_SCALAR)
			continue; /* reported while building the tree */
		key = xc_schema_key(shape, k->value);
		if (!key) {
			unknown_key(ld, shape, k, disc, ctx);
			continue;
		}
		if (!xc_schema_key_applies(key, disc)) {
			xc_diags_error(
			        ld->d, k->loc,
			        "'%s' does not apply to %s '%s' (it belongs to %s)",
			        key->name, shape->discriminator, disc,
			        key->only);
			continue;
		}
		if (shape->flags & XC_S_ONE_OF) {
			if (present++ == 0) {
				first_present = k;
				first_key = key;
			} else {
				xc_diags_error(
				        ld->d, k->loc,
				        "'%s' cannot be combined with '%s' in %s: choose one",
				        key->name, first_key->name, ctx);
				continue;
			}
		}
		fill_value(ld, key, v, obj, ctx);
	}
	(void)first_present;
	for (key = shape->keys; key->name; key++) {
		if (!(key->flags & XC_K_REQUIRED))
			continue;
		if (key->only && !disc)
			continue; /* the discriminator's own error says it */
		if (!xc_schema_key_applies(key, disc))
			continue;
		if (!xc_ynode_map_get(map, key->name))
			xc_diags_error(ld->d, map->loc,
			               "%s: missing required key '%s'", ctx,
			               key->name);
	}
	if ((shape->flags & XC_S_ONE_OF) && present == 0) {
		char list[200] = "";
		size_t used = 0;

		for (key = shape->keys; key->name; key++) {
			used += (size_t)snprintf(list + used,
			                         sizeof(list) - used, "%s%s",
			                         used ? ", " : "", key->name);
			if (used >= sizeof(list))
				used = sizeof(list) - 1;
		}
		xc_diags_error(ld->d, map->loc, "%s needs one of: %s", ctx,
		               list);
	}
}

/* ---- freeing ------------------------------------------------------ */

static void free_object(const struct xc_shape *shape, void *obj);

static void free_list(const struct xc_shape *shape, struct xc_list *l,
                      bool named)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		void *el = (char *)l->v + i * shape->size;

		if (named)
			free(((struct xc_str *)member(el, shape->name_off))->v);
		free_object(shape, el);
	}
	free(l->v);
}

static void free_object(const struct xc_shape *shape, void *obj)
{
	const struct xc_key *key;
	size_t i;

	for (key = shape->keys; key->name; key++) {
		void *slot = member(obj, key->off);

		switch (key->kind) {
		case XC_V_STRING:
			free(((struct xc_str *)slot)->v);
			break;
		case XC_V_STRINGS: {
			struct xc_strs *s = slot;

			for (i = 0; i < s->n; i++)
				free(s->v[i].v);
			free(s->v);
			break;
		}
		case XC_V_OBJECT:
			if (*(void **)slot) {
				free_object(key->shape, *(void **)slot);
				free(*(void **)slot);
			}
			break;
		case XC_V_OBJECTS:
			free_list(key->shape, slot, false);
			break;
		case XC_V_NAMED:
			free_list(key->shape, slot, true);
			break;
		default:
			break;
		}
	}
}

void xc_config_free(struct xc_config *cfg)
{
	if (!cfg)
		return;
	free_object(&xc_schema_root, cfg);
	free(cfg->label);
	free(cfg);
}

/* ---- lookups ---------------------------------------------------------- */

/* The element of l (of elements of size bytes) whose name, an xc_str at
 * name_off, is name. */
static const void *list_find(const struct xc_list *l, size_t size,
                             size_t name_off, const char *name, bool nocase)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const void *el = (const char *)l->v + i * size;
		const struct xc_str *s = cmember(el, name_off);

		if (s->v && (nocase ? strcasecmp(s->v, name) == 0
		                    : strcmp(s->v, name) == 0))
			return el;
	}
	return NULL;
}

const struct xc_server *xc_config_server(const struct xc_config *cfg,
                                         const char *name)
{
	/* Windows computer names are case-insensitive. */
	return list_find(&cfg->servers, sizeof(struct xc_server),
	                 offsetof(struct xc_server, name), name, true);
}

const struct xc_issuer *xc_config_issuer(const struct xc_config *cfg,
                                         const char *name)
{
	return list_find(&cfg->issuers, sizeof(struct xc_issuer),
	                 offsetof(struct xc_issuer, name), name, false);
}

const struct xc_lb *xc_config_lb(const struct xc_config *cfg, const char *name)
{
	return list_find(&cfg->load_balancers, sizeof(struct xc_lb),
	                 offsetof(struct xc_lb, name), name, false);
}

const struct xc_cert *xc_config_cert(const struct xc_config *cfg,
                                     const char *name)
{
	return list_find(&cfg->certificates, sizeof(struct xc_cert),
	                 offsetof(struct xc_cert, name), name, false);
}

/* ---- checks across objects -------------------------------------------- */

static const char *names_of(char *buf, size_t size, const struct xc_list *l,
                            size_t stride, size_t name_off)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < l->n && used < size; i++) {
		const struct xc_str *s =
		        cmember((const char *)l->v + i * stride, name_off);

		if (s->v)
			used += (size_t)snprintf(buf + used, size - used,
			                         "%s%s", used ? ", " : "",
			                         s->v);
	}
	return buf;
}

static void check_servers(struct loader *ld, struct xc_config *cfg)
{
	size_t i;
	size_t j;

	for (i = 0; i < cfg->servers.n; i++) {
		struct xc_server *s = &XC_SERVERS(cfg)[i];
		const struct xc_connect *c = s->connect;

		for (j = 0; j < i; j++) {
			const struct xc_server *t = &XC_SERVERS(cfg)[j];

			if (s->name.v && t->name.v &&
			    strcasecmp(s->name.v, t->name.v) == 0)
				xc_diags_error(
				        ld->d, s->name.loc,
				        "duplicate server name '%s' (first at line %u)",
				        s->name.v, t->name.loc.line);
			if (s->fqdn.v && t->fqdn.v &&
			    xc_dns_name_equal(s->fqdn.v, t->fqdn.v))
				xc_diags_error(
				        ld->d, s->fqdn.loc,
				        "servers '%s' and '%s' have the same fqdn '%s'",
				        t->name.v ? t->name.v : "?",
				        s->name.v ? s->name.v : "?", s->fqdn.v);
		}
		if (c && c->transport.set &&
		    c->transport.v == XC_TRANSPORT_WINRM && c->auth.set &&
		    c->auth.v == XC_WINRM_BASIC && c->url.v &&
		    strncasecmp(c->url.v, "http:", 5) == 0)
			xc_diags_error(
			        ld->d, c->auth.loc,
			        "basic authentication over plain http would send the password in clear; use an https URL");
	}
}

/* The friendly name a certificate gets on Exchange. */
static void friendly_of(const struct xc_cert *c, char *buf, size_t size)
{
	if (c->friendly_name.v)
		snprintf(buf, size, "%s", c->friendly_name.v);
	else
		snprintf(buf, size, "excert %s", c->name.v ? c->name.v : "");
}

/* Names become file names in the state directory and friendly names that
 * PowerShell compares without regard to case: unique in any case. */
static void check_names_unique(struct loader *ld, struct xc_config *cfg)
{
	const struct xc_list *named[] = {&cfg->issuers, &cfg->load_balancers};
	const size_t sizes[] = {sizeof(struct xc_issuer), sizeof(struct xc_lb)};
	const size_t offs[] = {offsetof(struct xc_issuer, name),
	                       offsetof(struct xc_lb, name)};
	const char *what[] = {"issuer", "load balancer"};
	size_t i;
	size_t j;
	size_t k;

	for (i = 0; i < cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(cfg)[i];
		char fa[128];
		char fb[128];

		friendly_of(c, fa, sizeof(fa));
		for (j = 0; j < i && c->name.v; j++) {
			const struct xc_cert *d = &XC_CERTS(cfg)[j];

			if (d->name.v &&
			    strcasecmp(c->name.v, d->name.v) == 0) {
				xc_diags_error(
				        ld->d, c->name.loc,
				        "duplicate certificate name '%s' (first at line %u)",
				        c->name.v, d->name.loc.line);
				break;
			}
			friendly_of(d, fb, sizeof(fb));
			if (d->name.v && strcasecmp(fa, fb) == 0) {
				xc_diags_error(
				        ld->d,
				        c->friendly_name.v
				                ? c->friendly_name.loc
				                : c->name.loc,
				        "certificates '%s' and '%s' would have the same friendly name '%s', by which excert recognises its certificates",
				        d->name.v, c->name.v, fa);
				break;
			}
		}
	}
	/* Mapping keys are unique as written (the YAML layer checks that);
	 * here in any case. */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < named[k]->n; i++) {
			const struct xc_str *a = cmember(
			        (const char *)named[k]->v + i * sizes[k],
			        offs[k]);

			for (j = 0; j < i; j++) {
				const struct xc_str *b =
				        cmember((const char *)named[k]->v +
				                        j * sizes[k],
				                offs[k]);

				if (a->v && b->v &&
				    strcasecmp(a->v, b->v) == 0 &&
				    strcmp(a->v, b->v) != 0) {
					xc_diags_error(
					        ld->d, a->loc,
					        "%s names '%s' and '%s' differ only in case",
					        what[k], b->v, a->v);
					break;
				}
			}
		}
	}
}

static void check_subject(struct loader *ld, struct xc_cert *c)
{
	struct xc_dn dn;
	char why[200];
	const char *cn;
	size_t i;

	if (!c->subject.v) {
		/* Default: CN of the first domain, as most CAs expect. */
		if (c->domains.n) {
			size_t n = strlen(c->domains.v[0].v) + 4;

			c->subject.v = xc_xmalloc(n);
			snprintf(c->subject.v, n, "CN=%s", c->domains.v[0].v);
			c->subject.loc = c->domains.v[0].loc;
		}
		return;
	}
	if (!xc_dn_parse(c->subject.v, &dn, why, sizeof(why)))
		return; /* reported by the schema check */
	cn = xc_dn_get(&dn, "CN");
	if (!cn) {
		xc_diags_error(
		        ld->d, c->subject.loc,
		        "subject '%.80s' has no CN; write e.g. CN=mail.contoso.com",
		        c->subject.v);
	} else if (c->domains.n) {
		for (i = 0; i < c->domains.n; i++)
			if (xc_dns_name_equal(cn, c->domains.v[i].v))
				break;
		if (i == c->domains.n)
			xc_diags_error(
			        ld->d, c->subject.loc,
			        "the subject's CN '%.80s' is not among the domains; Exchange adds it to the certificate's names, so list it under domains",
			        cn);
	}
	xc_dn_release(&dn);
}

static void check_refs(struct loader *ld, struct xc_config *cfg,
                       struct xc_cert *c)
{
	char list[400];
	size_t i;

	if (c->issuer.v && !xc_config_issuer(cfg, c->issuer.v)) {
		const char *cands[64];
		size_t n = 0;
		const char *hint;

		for (i = 0; i < cfg->issuers.n && n < 64; i++)
			cands[n++] = XC_ISSUERS(cfg)[i].name.v;
		hint = xc_suggest(c->issuer.v, cands, n);
		if (hint)
			xc_diags_error(
			        ld->d, c->issuer.loc,
			        "certificate '%s' names issuer '%.64s', which is not defined; did you mean '%s'?",
			        c->name.v ? c->name.v : "?", c->issuer.v, hint);
		else
			xc_diags_error(
			        ld->d, c->issuer.loc,
			        "certificate '%s' names issuer '%.64s', which is not defined under issuers (defined: %s)",
			        c->name.v ? c->name.v : "?", c->issuer.v,
			        n ? names_of(list, sizeof(list), &cfg->issuers,
			                     sizeof(struct xc_issuer),
			                     offsetof(struct xc_issuer, name))
			          : "none");
	}
	for (i = 0; i < c->servers.n; i++) {
		if (!xc_config_server(cfg, c->servers.v[i].v))
			xc_diags_error(
			        ld->d, c->servers.v[i].loc,
			        "certificate '%s' names server '%.64s', which is not defined under servers (defined: %s)",
			        c->name.v ? c->name.v : "?", c->servers.v[i].v,
			        names_of(list, sizeof(list), &cfg->servers,
			                 sizeof(struct xc_server),
			                 offsetof(struct xc_server, name)));
	}
	for (i = 0; i < c->load_balancers.n; i++) {
		if (!xc_config_lb(cfg, c->load_balancers.v[i].v))
			xc_diags_error(
			        ld->d, c->load_balancers.v[i].loc,
			        "certificate '%s' names load balancer '%.64s', which is not defined under load_balancers",
			        c->name.v ? c->name.v : "?",
			        c->load_balancers.v[i].v);
	}
}

static void check_cert(struct loader *ld, struct xc_config *cfg,
                       struct xc_cert *c)
{
	size_t i;

	check_subject(ld, c);
	check_refs(ld, cfg, c);
	c->key_size = 2048;
	c->exportable = true;
	if (c->key && c->key->size.set)
		c->key_size = (int)c->key->size.v;
	if (c->key && c->key->exportable.set)
		c->exportable = c->key->exportable.v != 0;
	if (!c->exportable && c->servers.n > 1)
		xc_diags_error(
		        ld->d, c->key->exportable.loc,
		        "certificate '%s' goes to %zu servers, which needs an exportable key; set exportable: true or list one server",
		        c->name.v ? c->name.v : "?", c->servers.n);
	if (c->renew_before.set && c->renew_before_percent.set)
		xc_diags_error(
		        ld->d, c->renew_before_percent.loc,
		        "renew_before and renew_before_percent cannot both be set; choose one");
	if (c->issuer.v) {
		const struct xc_issuer *is = xc_config_issuer(cfg, c->issuer.v);

		/* RFC 8555 §8.3: http-01 cannot prove a wildcard. */
		for (i = 0; is && is->acme && is->acme->challenge &&
		            is->acme->challenge->http01 && i < c->domains.n;
		     i++)
			if (c->domains.v[i].v[0] == '*')
				xc_diags_error(
				        ld->d, c->domains.v[i].loc,
				        "wildcard '%s' needs dns-01, but issuer '%s' answers http-01",
				        c->domains.v[i].v, is->name.v);
	}
	c->services_mask = 0;
	for (i = 0; i < c->services.n; i++)
		c->services_mask |= xc_service_parse(c->services.v[i].v);
	if (c->replace_transport_certificate.set &&
	    c->replace_transport_certificate.v &&
	    !(c->services_mask & XC_SVC_SMTP))
		xc_diags_error(
		        ld->d, c->replace_transport_certificate.loc,
		        "replace_transport_certificate needs SMTP in services");
	if (c->hybrid.set && c->hybrid.v && c->services.set &&
	    !(c->services_mask & XC_SVC_SMTP))
		xc_diags_error(
		        ld->d, c->hybrid.loc,
		        "hybrid: true needs SMTP in services: hybrid mail flow presents this certificate over SMTP");
	for (i = 0; i < c->servers.n; i++) {
		const struct xc_server *s =
		        xc_config_server(cfg, c->servers.v[i].v);
		unsigned extra = c->services_mask & ~(unsigned)XC_SVC_SMTP;
		char list[120];

		if (!s || !s->role.set || s->role.v != XC_ROLE_EDGE || !extra)
			continue;
		xc_services_format(extra, list, sizeof(list));
		xc_diags_error(
		        ld->d, c->services.loc,
		        "server '%s' is an Edge Transport server, which has SMTP only; it cannot have %s",
		        s->name.v, list);
	}
	if (c->connectors) {
		const struct xc_strs *r = &c->connectors->receive;

		for (i = 0; i < r->n; i++) {
			const char *v = r->v[i].v;
			const char *bs = strchr(v, '\\');
			char server[64];
			size_t j;

			if (!bs || bs == v || !bs[1]) {
				xc_diags_error(
				        ld->d, r->v[i].loc,
				        "receive connector '%.80s' must be written SERVER\\Name, e.g. \"MS01\\Default Frontend MS01\"",
				        v);
				continue;
			}
			snprintf(server, sizeof(server), "%.*s",
			         (int)(bs - v > 63 ? 63 : bs - v), v);
			for (j = 0; j < c->servers.n; j++)
				if (strcasecmp(c->servers.v[j].v, server) == 0)
					break;
			if (j == c->servers.n)
				xc_diags_error(
				        ld->d, r->v[i].loc,
				        "receive connector '%.80s' is on server '%s', which is not among the servers of certificate '%s'",
				        v, server, c->name.v ? c->name.v : "?");
		}
	}
}

/* Exchange binds one certificate to IIS per server, and the hybrid
 * configuration names one certificate. */
static void check_conflicts(struct loader *ld, struct xc_config *cfg)
{
	size_t i;
	size_t j;
	size_t k;
	size_t l;
	const struct xc_cert *hybrid = NULL;

	for (i = 0; i < cfg->certificates.n; i++) {
		const struct xc_cert *a = &XC_CERTS(cfg)[i];

		if (a->hybrid.set && a->hybrid.v) {
			if (hybrid)
				xc_diags_error(
				        ld->d, a->hybrid.loc,
				        "certificates '%s' and '%s' both set hybrid: true; the hybrid configuration names one certificate",
				        hybrid->name.v ? hybrid->name.v : "?",
				        a->name.v ? a->name.v : "?");
			else
				hybrid = a;
		}
		if (!(a->services_mask & XC_SVC_IIS))
			continue;
		for (j = 0; j < i; j++) {
			const struct xc_cert *b = &XC_CERTS(cfg)[j];

			if (!(b->services_mask & XC_SVC_IIS))
				continue;
			for (k = 0; k < a->servers.n; k++)
				for (l = 0; l < b->servers.n; l++)
					if (strcasecmp(a->servers.v[k].v,
					               b->servers.v[l].v) == 0)
						goto clash;
			continue;
		clash:
			xc_diags_error(
			        ld->d, a->servers.v[k].loc,
			        "certificates '%s' and '%s' both bind IIS on server '%s'; IIS serves one certificate per server",
			        b->name.v ? b->name.v : "?",
			        a->name.v ? a->name.v : "?", a->servers.v[k].v);
		}
	}
}

int xc_config_load(struct xc_config **out, const char *data, size_t len,
                   const char *label, struct xc_diags *diags)
{
	struct loader ld = {diags};
	struct xc_config *cfg;
	struct xc_ynode *root = NULL;
	size_t errors = diags->errors;
	size_t i;

	*out = NULL;
	cfg = xc_xcalloc(1, sizeof(*cfg));
	cfg->label = xc_xstrdup(label);
	if (xc_ytree_parse(&root, data, len, cfg->label, diags) < 0) {
		xc_config_free(cfg);
		return XC_EINVAL;
	}
	if (root->type != XC_Y_MAP) {
		xc_diags_error(
		        diags, root->loc,
		        "excert.yaml must be a mapping that begins with 'version: 1', found %s",
		        xc_ynode_describe(root));
	} else {
		const struct xc_ynode *v = xc_ynode_map_get(root, "version");

		/* A newer file is best reported by its version alone. */
		if (v && v->type == XC_Y_SCALAR && v->style == XC_Y_PLAIN &&
		    strcmp(v->value, "1") != 0 && v->value[0] >= '1' &&
		    v->value[0] <= '9' &&
		    strspn(v->value, "0123456789") == strlen(v->value)) {
			xc_diags_error(
			        diags, v->loc,
			        "unsupported schema version %.20s; this excert reads version 1",
			        v->value);
		} else {
			fill_object(&ld, &xc_schema_root, root, cfg,
			            "excert.yaml");
			check_servers(&ld, cfg);
			check_names_unique(&ld, cfg);
			for (i = 0; i < cfg->certificates.n; i++)
				check_cert(&ld, cfg, &XC_CERTS(cfg)[i]);
			check_conflicts(&ld, cfg);
		}
	}
	xc_ynode_free(root);
	if (diags->errors > errors) {
		xc_diags_sort(diags);
		xc_config_free(cfg);
		return XC_EINVAL;
	}
	*out = cfg;
	return 0;
}
