/* SPDX-License-Identifier: MIT */
#include "state/ytree.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "state/xalloc.h"

struct anchor {
	char *name;
	struct xc_ynode *node;
	bool complete; /* false while the anchored collection is still open */
};

struct builder {
	const char *data;
	size_t len;
	const char *label;
	struct xc_diags *diags;
	struct xc_ynode *root;
	struct xc_ynode *stack[XC_YAML_MAX_DEPTH + 1];
	size_t stack_anchor[XC_YAML_MAX_DEPTH + 1]; /* index + 1, 0: none */
	size_t depth;
	struct anchor *anchors;
	size_t nanchors;
	size_t capanchors;
	size_t nodes; /* created so far, aliases expanded */
	int documents;
	bool fatal;                  /* stop reading events */
	struct xc_ynode **graveyard; /* pairs taken out of mappings */
	size_t ngrave;
	size_t capgrave;
};

static struct xc_loc loc_at(const struct builder *b, unsigned line,
                            unsigned col)
{
	struct xc_loc l = {b->label, line, col};

	return l;
}

static struct xc_loc loc_mark(const struct builder *b, yaml_mark_t m)
{
	return loc_at(b, (unsigned)m.line + 1, (unsigned)m.column + 1);
}

/* Line and column (in characters, as libyaml counts) of a byte offset. */
static struct xc_loc loc_offset(const struct builder *b, size_t off)
{
	unsigned line = 1;
	unsigned col = 1;
	size_t i;

	for (i = 0; i < off && i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xC0) != 0x80) {
			col++;
		}
	}
	return loc_at(b, line, col);
}

/* Length of the valid UTF-8 sequence at p, or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	size_t n;
	size_t i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2;
		cp = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3;
		cp = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* The checks libyaml does not make, or makes with a worse message. */
static bool check_bytes(struct builder *b)
{
	const unsigned char *p = (const unsigned char *)b->data;
	size_t i;

	if (b->len > XC_YAML_MAX_BYTES) {
		xc_diags_error(
		        b->diags, loc_at(b, 1, 1),
		        "file is larger than %d bytes, the most excert reads",
		        XC_YAML_MAX_BYTES);
		return false;
	}
	if (b->len >= 2 && ((p[0] == 0xFE && p[1] == 0xFF) ||
	                    (p[0] == 0xFF && p[1] == 0xFE))) {
		xc_diags_error(b->diags, loc_at(b, 1, 1),
		               "file is UTF-16; save it as UTF-8");
		return false;
	}
	for (i = 0; i < b->len;) {
		size_t n;

		if (p[i] == 0) {
			xc_diags_error(b->diags, loc_offset(b, i),
			               "binary file: NUL byte at offset %zu",
			               i);
			return false;
		}
		n = utf8_seq(p + i, b->len - i);
		if (!n) {
			xc_diags_error(
			        b->diags, loc_offset(b, i),
			        "invalid UTF-8 (byte 0x%02X); the file must be UTF-8",
			        p[i]);
			return false;
		}
		i += n;
	}
	return true;
}

static bool only_blank(const char *s, size_t len)
{
	size_t i;
	bool comment = false;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n') {
			comment = false;
			continue;
		}
		if (comment)
			continue;
		if (s[i] == '#') {
			comment = true;
			continue;
		}
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	}
	return true;
}

static struct xc_ynode *node_new(struct builder *b, enum xc_ynode_type type,
                                 struct xc_loc loc)
{
	struct xc_ynode *n = xc_xcalloc(1, sizeof(*n));

	n->type = type;
	n->loc = loc;
	n->size = 1;
	b->nodes++;
	return n;
}

void xc_ynode_free(struct xc_ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		xc_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

static void kid_add(struct xc_ynode *parent, struct xc_ynode *kid)
{
	void *v = parent->kids;

	xc_xgrow(&v, &parent->capkids, parent->nkids + 1,
	         sizeof(*parent->kids));
	parent->kids = v;
	parent->kids[parent->nkids++] = kid;
}

static struct xc_ynode *node_copy(const struct xc_ynode *src)
{
	struct xc_ynode *n = xc_xcalloc(1, sizeof(*n));
	size_t i;

	*n = *src;
	n->value = src->value ? xc_xstrndup(src->value, src->len) : NULL;
	n->kids = NULL;
	n->nkids = 0;
	n->capkids = src->nkids;
	if (src->nkids) {
		n->kids = xc_xmalloc(src->nkids * sizeof(*n->kids));
		for (i = 0; i < src->nkids; i++)
			n->kids[i] = node_copy(src->kids[i]);
		n->nkids = src->nkids;
	}
	return n;
}

static void anchor_add(struct builder *b, const char *name,
                       struct xc_ynode *node, bool complete)
{
	void *v = b->anchors;

	xc_xgrow(&v, &b->capanchors, b->nanchors + 1, sizeof(*b->anchors));
	b->anchors = v;
	b->anchors[b->nanchors].name = xc_xstrdup(name);
	b->anchors[b->nanchors].node = node;
	b->anchors[b->nanchors].complete = complete;
	b->nanchors++;
}

static struct anchor *anchor_find(struct builder *b, const char *name)
{
	size_t i;

	/* The latest definition of a name wins, as YAML says. */
	for (i = b->nanchors; i > 0; i--)
		if (strcmp(b->anchors[i - 1].name, name) == 0)
			return &b->anchors[i - 1];
	return NULL;
}

/* Adds a finished node to the open collection, or makes it the root. */
static void attach(struct builder *b, struct xc_ynode *n)
{
	struct xc_ynode *parent;

	if (b->depth == 0) {
		if (b->root)
			xc_ynode_free(b->root);
		b->root = n;
		return;
	}
	parent = b->stack[b->depth - 1];
	if (parent->type == XC_Y_MAP && parent->nkids % 2 == 0) {
		n->drop =
		        n->type != XC_Y_SCALAR ||
		        (n->style == XC_Y_PLAIN && strcmp(n->value, "<<") == 0);
		if (n->type != XC_Y_SCALAR)
			xc_diags_error(
			        b->diags, n->loc,
			        "mapping keys must be plain strings, not %s",
			        xc_ynode_describe(n));
		else if (n->style == XC_Y_PLAIN && strcmp(n->value, "<<") == 0)
			xc_diags_error(
			        b->diags, n->loc,
			        "YAML merge keys ('<<') are not supported; write the keys out");
	}
	parent->size += n->size;
	kid_add(parent, n);
}

static int cmp_key(const void *a, const void *b)
{
	const struct xc_ynode *x = *(const struct xc_ynode *const *)a;
	const struct xc_ynode *y = *(const struct xc_ynode *const *)b;
	int c;

	if (x->type != XC_Y_SCALAR || y->type != XC_Y_SCALAR)
		return (int)x->type - (int)y->type;
	c = strcmp(x->value, y->value);
	if (c)
		return c;
	/* Same key: keep source order, so the later one is reported. */
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	return x->loc.col < y->loc.col ? -1 : (x->loc.col > y->loc.col);
}

static void check_duplicates(struct builder *b, const struct xc_ynode *map)
{
	size_t n = map->nkids / 2;
	const struct xc_ynode **keys;
	size_t i;

	if (n < 2)
		return;
	keys = xc_xmalloc(n * sizeof(*keys));
	for (i = 0; i < n; i++)
		keys[i] = map->kids[2 * i];
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 1; i < n; i++) {
		size_t first = i - 1;

		if (keys[i]->type != XC_Y_SCALAR ||
		    keys[first]->type != XC_Y_SCALAR ||
		    strcmp(keys[i]->value, keys[first]->value) != 0)
			continue;
		while (first > 0 &&
		       strcmp(keys[first - 1]->value, keys[i]->value) == 0)
			first--;
		xc_diags_error(
		        b->diags, keys[i]->loc,
		        "duplicate key '%s' (first at line %u, column %u)",
		        keys[i]->value, keys[first]->loc.line,
		        keys[first]->loc.col);
		((struct xc_ynode *)keys[i])->drop = true;
	}
	free(keys);
}

static void graveyard_add(struct builder *b, struct xc_ynode *n)
{
	void *v = b->graveyard;

	xc_xgrow(&v, &b->capgrave, b->ngrave + 1, sizeof(*b->graveyard));
	b->graveyard = v;
	b->graveyard[b->ngrave++] = n;
}

/*
 * Takes out the pairs whose key was refused (a duplicate, a merge key, a
 * key that is not a string), so that the rest of the mapping can still be
 * checked and every problem of the file reported in one run.
 */
static void drop_refused(struct builder *b, struct xc_ynode *map)
{
	size_t i;
	size_t j = 0;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		if (map->kids[i]->drop) {
			map->size -=
			        map->kids[i]->size + map->kids[i + 1]->size;
			/* An anchor may point into the pair, and a later alias
			 * copy it: keep the nodes until the end. */
			graveyard_add(b, map->kids[i]);
			graveyard_add(b, map->kids[i + 1]);
			continue;
		}
		map->kids[j++] = map->kids[i];
		map->kids[j++] = map->kids[i + 1];
	}
	map->nkids = j;
}

static bool tag_ok(struct builder *b, const yaml_char_t *tag, struct xc_loc loc,
                   bool *forces_string)
{
	static const char *const allowed[] = {
	        "tag:yaml.org,2002:str",
	        "tag:yaml.org,2002:int",
	        "tag:yaml.org,2002:bool",
	        "tag:yaml.org,2002:null",
	        "tag:yaml.org,2002:seq",
	        "tag:yaml.org,2002:map",
	        "!",
	};
	size_t i;

	*forces_string = false;
	if (!tag)
		return true;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (strcmp((const char *)tag, allowed[i]) == 0) {
			*forces_string = i == 0 || i == 6;
			return true;
		}
	}
	xc_diags_error(b->diags, loc, "unsupported YAML tag '%.100s'",
	               (const char *)tag);
	return false;
}

static bool budget_ok(struct builder *b, size_t more, struct xc_loc loc)
{
	if (b->nodes + more <= XC_YAML_MAX_NODES)
		return true;
	xc_diags_error(
	        b->diags, loc,
	        "document has more than %d nodes after expanding aliases (an alias bomb?)",
	        XC_YAML_MAX_NODES);
	b->fatal = true;
	return false;
}

static void on_alias(struct builder *b, const yaml_event_t *ev)
{
	struct xc_loc loc = loc_mark(b, ev->start_mark);
	const char *name = (const char *)ev->data.alias.anchor;
	struct anchor *a = anchor_find(b, name);
	struct xc_ynode *copy;

	if (!a) {
		xc_diags_error(b->diags, loc, "alias '*%.100s' names no anchor",
		               name);
		b->fatal = true;
		return;
	}
	if (!a->complete) {
		xc_diags_error(
		        b->diags, loc,
		        "alias '*%.100s' refers to a node that contains it",
		        name);
		b->fatal = true;
		return;
	}
	if (!budget_ok(b, a->node->size, loc))
		return;
	copy = node_copy(a->node);
	copy->loc = loc;
	b->nodes += copy->size;
	attach(b, copy);
}

/*
 * Values are single-line text.  A control character written as an escape
 * ("\0", "\e", "\n") would cut a string short in C or hide text in a
 * terminal, so it is refused as the raw byte is.  The node is still made
 * (with the text up to it) so that the document keeps its shape.
 */
static bool text_ok(struct builder *b, const char *v, size_t len,
                    struct xc_loc loc)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && i + 1 < len &&
		     (unsigned char)v[i + 1] >= 0x80 &&
		     (unsigned char)v[i + 1] <= 0x9f)) {
			unsigned cp = c == 0xc2 ? (unsigned char)v[i + 1] : c;

			xc_diags_error(
			        b->diags, loc,
			        "value holds the control character U+%04X; values are single-line text",
			        cp);
			return false;
		}
	}
	return true;
}

static void on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct xc_loc loc = loc_mark(b, ev->start_mark);
	struct xc_ynode *n;
	bool force_string;

	if (!tag_ok(b, ev->data.scalar.tag, loc, &force_string)) {
		/* Without the node, the keys and values after it would pair
		 * up wrongly: stop here. */
		b->fatal = true;
		return;
	}
	if (!budget_ok(b, 1, loc))
		return;
	text_ok(b, (const char *)ev->data.scalar.value, ev->data.scalar.length,
	        loc);
	n = node_new(b, XC_Y_SCALAR, loc);
	n->value = xc_xstrndup((const char *)ev->data.scalar.value,
	                       ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	n->style = (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	            !force_string)
	                   ? XC_Y_PLAIN
	                   : XC_Y_QUOTED;
	if (ev->data.scalar.anchor)
		anchor_add(b, (const char *)ev->data.scalar.anchor, n, true);
	attach(b, n);
}

static void on_start(struct builder *b, const yaml_event_t *ev,
                     enum xc_ynode_type type)
{
	struct xc_loc loc = loc_mark(b, ev->start_mark);
	const yaml_char_t *tag;
	const yaml_char_t *anchor;
	struct xc_ynode *n;
	bool force_string;

	if (type == XC_Y_MAP) {
		tag = ev->data.mapping_start.tag;
		anchor = ev->data.mapping_start.anchor;
	} else {
		tag = ev->data.sequence_start.tag;
		anchor = ev->data.sequence_start.anchor;
	}
	if (b->depth >= XC_YAML_MAX_DEPTH) {
		xc_diags_error(b->diags, loc, "nesting deeper than %d levels",
		               XC_YAML_MAX_DEPTH);
		b->fatal = true;
		return;
	}
	if (!tag_ok(b, tag, loc, &force_string) || !budget_ok(b, 1, loc)) {
		b->fatal = true;
		return;
	}
	n = node_new(b, type, loc);
	b->stack_anchor[b->depth] = 0;
	if (anchor) {
		anchor_add(b, (const char *)anchor, n, false);
		b->stack_anchor[b->depth] = b->nanchors;
	}
	b->stack[b->depth++] = n;
}

static void on_end(struct builder *b)
{
	struct xc_ynode *n;

	if (b->depth == 0)
		return;
	n = b->stack[--b->depth];
	if (n->type == XC_Y_MAP) {
		check_duplicates(b, n);
		drop_refused(b, n);
	}
	if (b->stack_anchor[b->depth])
		b->anchors[b->stack_anchor[b->depth] - 1].complete = true;
	attach(b, n);
}

static void report_parser_error(struct builder *b, const yaml_parser_t *p)
{
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		xc_diags_error(b->diags, loc_at(b, 1, 1),
		               "out of memory while reading YAML");
		break;
	case YAML_READER_ERROR:
		if (p->problem_value != -1)
			xc_diags_error(b->diags,
			               loc_offset(b, p->problem_offset),
			               "%s (byte 0x%02X)", p->problem,
			               (unsigned)p->problem_value & 0xFFu);
		else
			xc_diags_error(b->diags,
			               loc_offset(b, p->problem_offset), "%s",
			               p->problem);
		break;
	default: {
		/* At the end of the input, the problem's own mark says
		 * nothing ("line 22, column 1" of a 21-line file): point at
		 * what was left open instead. */
		bool at_end = p->problem_mark.index >= b->len;

		if (p->context && at_end)
			xc_diags_error(b->diags, loc_mark(b, p->context_mark),
			               "%s %s",
			               p->problem ? p->problem : "syntax error",
			               p->context);
		else if (p->context)
			xc_diags_error(b->diags, loc_mark(b, p->problem_mark),
			               "%s %s (line %zu, column %zu)",
			               p->problem ? p->problem : "syntax error",
			               p->context, p->context_mark.line + 1,
			               p->context_mark.column + 1);
		else
			xc_diags_error(
			        b->diags, loc_mark(b, p->problem_mark), "%s",
			        p->problem ? p->problem : "syntax error");
		break;
	}
	}
}

static void builder_release(struct builder *b)
{
	size_t i;

	/* Open collections are not yet attached: free them bottom-up. */
	while (b->depth > 0)
		xc_ynode_free(b->stack[--b->depth]);
	xc_ynode_free(b->root);
	b->root = NULL;
	for (i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	free(b->anchors);
	for (i = 0; i < b->ngrave; i++)
		xc_ynode_free(b->graveyard[i]);
	free(b->graveyard);
}

int xc_ytree_parse(struct xc_ynode **out, const char *data, size_t len,
                   const char *label, struct xc_diags *diags)
{
	struct builder b;
	yaml_parser_t parser;
	size_t errors_before = diags->errors;
	bool done = false;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.data = data;
	b.len = len;
	b.label = label;
	b.diags = diags;
	/* A UTF-8 byte order mark (Notepad writes one) is not content.
	 * Telling libyaml the encoding turns off its own BOM handling, so
	 * take it off here; positions then count from after it, as an
	 * editor shows them. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		b.data = data + 3;
		b.len = len - 3;
		data += 3;
		len -= 3;
	}
	if (!check_bytes(&b))
		return XC_EINVAL;
	if (only_blank(data, len)) {
		xc_diags_error(
		        diags, loc_at(&b, 1, 1),
		        "empty file: expected a mapping that begins with 'version: 1'");
		return XC_EINVAL;
	}
	if (!yaml_parser_initialize(&parser)) {
		xc_diags_error(diags, loc_at(&b, 1, 1),
		               "cannot initialise the YAML parser");
		return XC_EINVAL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && !b.fatal) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(&b, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++b.documents > 1) {
				xc_diags_error(
				        diags, loc_mark(&b, ev.start_mark),
				        "more than one YAML document; excert reads one");
				b.fatal = true;
			}
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(&b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(&b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_start(&b, &ev, XC_Y_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(&b, &ev, XC_Y_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(&b);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (b.fatal || !done || !b.root) {
		if (diags->errors == errors_before)
			xc_diags_error(diags, loc_at(&b, 1, 1),
			               "no YAML document in the file");
		builder_release(&b);
		return XC_EINVAL;
	}
	*out = b.root;
	b.root = NULL;
	builder_release(&b);
	return 0;
}

size_t xc_ynode_map_len(const struct xc_ynode *map)
{
	return map && map->type == XC_Y_MAP ? map->nkids / 2 : 0;
}

const struct xc_ynode *xc_ynode_map_get(const struct xc_ynode *map,
                                        const char *key)
{
	size_t i;

	if (!map || map->type != XC_Y_MAP)
		return NULL;
	for (i = 0; i + 1 < map->nkids; i += 2)
		if (map->kids[i]->type == XC_Y_SCALAR &&
		    strcmp(map->kids[i]->value, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

int xc_ynode_is_null(const struct xc_ynode *n)
{
	if (!n || n->type != XC_Y_SCALAR || n->style != XC_Y_PLAIN)
		return 0;
	return n->len == 0 || strcmp(n->value, "~") == 0 ||
	       strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
	       strcmp(n->value, "NULL") == 0;
}

const char *xc_ynode_describe(const struct xc_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case XC_Y_SEQ:
		return "a list";
	case XC_Y_MAP:
		return "a mapping";
	case XC_Y_SCALAR:
		break;
	}
	if (xc_ynode_is_null(n))
		return "no value";
	return "a string";
}
