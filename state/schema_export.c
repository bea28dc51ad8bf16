/* SPDX-License-Identifier: MIT */
#include "state/schema_export.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/buf.h"
#include "state/schema.h"
#include "state/xalloc.h"

#define SECRET_PATTERN "^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$"
#define DURATION_PATTERN "^([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$"

/* "load balancer" -> "load_balancer": a name for definitions. */
static void def_name(const struct xc_shape *s, char *buf, size_t size)
{
	size_t i;

	snprintf(buf, size, "%s", s->what);
	for (i = 0; buf[i]; i++)
		if (buf[i] == ' ')
			buf[i] = '_';
}

static json_t *ref_to(const struct xc_shape *s)
{
	char name[64];
	char ref[96];

	def_name(s, name, sizeof(name));
	snprintf(ref, sizeof(ref), "#/definitions/%s", name);
	return json_pack("{s:s}", "$ref", ref);
}

static json_t *key_schema(const struct xc_key *k)
{
	json_t *o = json_object();
	json_t *items;
	size_t i;

	switch (k->kind) {
	case XC_V_STRING:
		json_object_set_new(o, "type", json_string("string"));
		if (k->flags & XC_K_SECRET)
			json_object_set_new(o, "pattern",
			                    json_string(SECRET_PATTERN));
		break;
	case XC_V_INT:
		json_object_set_new(o, "type", json_string("integer"));
		if (k->values) {
			items = json_array();
			for (i = 0; k->values[i]; i++)
				json_array_append_new(
				        items,
				        json_integer(atoll(k->values[i])));
			json_object_set_new(o, "enum", items);
			break;
		}
		json_object_set_new(o, "minimum", json_integer(k->min));
		json_object_set_new(o, "maximum", json_integer(k->max));
		break;
	case XC_V_BOOL:
		json_object_set_new(o, "type", json_string("boolean"));
		break;
	case XC_V_ENUM:
		json_object_set_new(o, "type", json_string("string"));
		items = json_array();
		for (i = 0; k->values[i]; i++)
			json_array_append_new(items, json_string(k->values[i]));
		json_object_set_new(o, "enum", items);
		break;
	case XC_V_DURATION:
		json_object_set_new(o, "type", json_string("string"));
		json_object_set_new(o, "pattern",
		                    json_string(DURATION_PATTERN));
		break;
	case XC_V_STRINGS:
		json_object_set_new(o, "type", json_string("array"));
		json_object_set_new(o, "items",
		                    json_pack("{s:s}", "type", "string"));
		if (k->flags & XC_K_NONEMPTY)
			json_object_set_new(o, "minItems", json_integer(1));
		if (k->flags & XC_K_UNIQUE)
			json_object_set_new(o, "uniqueItems", json_true());
		break;
	case XC_V_OBJECT:
		json_decref(o);
		o = ref_to(k->shape);
		break;
	case XC_V_OBJECTS:
		json_object_set_new(o, "type", json_string("array"));
		json_object_set_new(o, "items", ref_to(k->shape));
		if (k->flags & XC_K_NONEMPTY)
			json_object_set_new(o, "minItems", json_integer(1));
		break;
	case XC_V_NAMED:
		json_object_set_new(o, "type", json_string("object"));
		json_object_set_new(o, "additionalProperties",
		                    ref_to(k->shape));
		break;
	}
	if (k->kind != XC_V_OBJECT)
		json_object_set_new(o, "description", json_string(k->doc));
	if (k->def && k->kind != XC_V_OBJECT) {
		if (k->kind == XC_V_INT)
			json_object_set_new(o, "default",
			                    json_integer(atoll(k->def)));
		else if (k->kind == XC_V_BOOL)
			json_object_set_new(
			        o, "default",
			        json_boolean(strcmp(k->def, "true") == 0));
		else if (k->kind == XC_V_ENUM || k->kind == XC_V_DURATION)
			json_object_set_new(o, "default", json_string(k->def));
	}
	return o;
}

static json_t *shape_schema(const struct xc_shape *s)
{
	json_t *o = json_object();
	json_t *props = json_object();
	json_t *req = json_array();
	const struct xc_key *k;

	json_object_set_new(o, "description", json_string(s->doc));
	json_object_set_new(o, "type", json_string("object"));
	for (k = s->keys; k->name; k++) {
		json_object_set_new(props, k->name, key_schema(k));
		if ((k->flags & XC_K_REQUIRED) && !k->only)
			json_array_append_new(req, json_string(k->name));
	}
	json_object_set_new(o, "properties", props);
	json_object_set_new(o, "additionalProperties", json_false());
	if (json_array_size(req))
		json_object_set_new(o, "required", req);
	else
		json_decref(req);
	if (s->flags & XC_S_ONE_OF) {
		json_object_set_new(o, "minProperties", json_integer(1));
		json_object_set_new(o, "maxProperties", json_integer(1));
	}
	if (s->discriminator) {
		/* One if/then per value: its required keys, and the keys of
		 * the other values forbidden. */
		const struct xc_key *dk = xc_schema_key(s, s->discriminator);
		json_t *all = json_array();
		size_t v;

		for (v = 0; dk->values[v]; v++) {
			json_t *then = json_object();
			json_t *treq = json_array();
			json_t *tprops = json_object();

			for (k = s->keys; k->name; k++) {
				if (!xc_schema_key_applies(k, dk->values[v]))
					json_object_set_new(tprops, k->name,
					                    json_false());
				else if (k->only && (k->flags & XC_K_REQUIRED))
					json_array_append_new(
					        treq, json_string(k->name));
			}
			json_object_set_new(then, "properties", tprops);
			if (json_array_size(treq))
				json_object_set_new(then, "required", treq);
			else
				json_decref(treq);
			json_array_append_new(
			        all, json_pack("{s:{s:{s:{s:s}}},s:o}", "if",
			                       "properties", s->discriminator,
			                       "const", dk->values[v], "then",
			                       then));
		}
		json_object_set_new(o, "allOf", all);
	}
	return o;
}

char *xc_schema_json(void)
{
	json_t *root = json_object();
	json_t *top = shape_schema(&xc_schema_root);
	json_t *defs = json_object();
	char *text;
	char *out;
	size_t i;
	size_t n;

	/* Identification first, for people who open the file. */
	json_object_set_new(
	        root, "$schema",
	        json_string("http://json-schema.org/draft-07/schema#"));
	json_object_set_new(root, "title",
	                    json_string("excert desired state, version 1"));
	json_object_update(root, top);
	json_decref(top);
	for (i = 1; i < xc_schema_nshapes; i++) {
		char name[64];

		def_name(xc_schema_shapes[i], name, sizeof(name));
		json_object_set_new(defs, name,
		                    shape_schema(xc_schema_shapes[i]));
	}
	json_object_set_new(root, "definitions", defs);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return NULL;
	n = strlen(text);
	out = xc_xmalloc(n + 2);
	memcpy(out, text, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(text);
	return out;
}

/* GitHub's anchor for a heading: lower case, spaces to '-', other
 * punctuation dropped. */
static void anchor(const char *heading, char *buf, size_t size)
{
	size_t j = 0;
	size_t i;

	for (i = 0; heading[i] && j + 1 < size; i++) {
		char c = heading[i];

		if (isalnum((unsigned char)c) || c == '-' || c == '_')
			buf[j++] = (char)tolower((unsigned char)c);
		else if (c == ' ')
			buf[j++] = '-';
	}
	buf[j] = '\0';
}

static void md_type(struct xc_buf *b, const struct xc_key *k)
{
	char a[64];
	size_t i;

	switch (k->kind) {
	case XC_V_STRING:
		xc_buf_puts(b, (k->flags & XC_K_SECRET) ? "secret reference"
		                                        : "string");
		break;
	case XC_V_INT:
		if (k->values) {
			for (i = 0; k->values[i]; i++)
				xc_buf_printf(b, "%s%s", i ? " \\| " : "",
				              k->values[i]);
			break;
		}
		if (k->min == k->max)
			xc_buf_printf(b, "%lld", k->min);
		else
			xc_buf_printf(b, "integer %lld–%lld", k->min, k->max);
		break;
	case XC_V_BOOL:
		xc_buf_puts(b, "true/false");
		break;
	case XC_V_ENUM:
		for (i = 0; k->values[i]; i++)
			xc_buf_printf(b, "%s`%s`", i ? " \\| " : "",
			              k->values[i]);
		break;
	case XC_V_DURATION:
		xc_buf_puts(b, "duration");
		break;
	case XC_V_STRINGS:
		xc_buf_puts(b, "list of strings");
		break;
	case XC_V_OBJECT:
		anchor(k->shape->what, a, sizeof(a));
		xc_buf_printf(b, "[%s](#%s)", k->shape->what, a);
		break;
	case XC_V_OBJECTS:
		anchor(k->shape->what, a, sizeof(a));
		xc_buf_printf(b, "list of [%s](#%s)", k->shape->what, a);
		break;
	case XC_V_NAMED:
		anchor(k->shape->what, a, sizeof(a));
		xc_buf_printf(b, "name → [%s](#%s)", k->shape->what, a);
		break;
	}
}

char *xc_schema_markdown(void)
{
	struct xc_buf b;
	size_t i;

	xc_buf_init(&b, 0);
	for (i = 0; i < xc_schema_nshapes; i++) {
		const struct xc_shape *s = xc_schema_shapes[i];
		const struct xc_key *k;

		xc_buf_printf(&b, "### %s\n\n%s\n\n", s->what, s->doc);
		xc_buf_puts(&b,
		            "| key | type | required | default | meaning |\n"
		            "| --- | --- | --- | --- | --- |\n");
		for (k = s->keys; k->name; k++) {
			xc_buf_printf(&b, "| `%s` | ", k->name);
			md_type(&b, k);
			xc_buf_printf(&b, " | %s | %s | ",
			              (k->flags & XC_K_REQUIRED) ? "yes" : "",
			              k->def ? k->def : "");
			if (k->only)
				xc_buf_printf(&b, "(%s: %s) ", s->discriminator,
				              k->only);
			xc_buf_printf(&b, "%s |\n", k->doc);
		}
		xc_buf_puts(&b, "\n");
	}
	return xc_buf_detach(&b, NULL);
}
