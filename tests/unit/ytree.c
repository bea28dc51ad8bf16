/* SPDX-License-Identifier: MIT */
/* Unit tests for state/ytree.h: YAML to tree, and the hostile-input rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/diag.h"
#include "state/ytree.h"

#define LABEL "t.yaml"

/* Literal with its length, for inputs that hold NUL bytes. */
#define BYTES(s) .data = (s), .len = sizeof(s) - 1

static int parse(struct xc_ynode **root, const char *data, size_t len,
                 struct xc_diags *d)
{
	xc_diags_init(d);
	return xc_ytree_parse(root, data, len, LABEL, d);
}

static void format_diag(const struct xc_diags *d, size_t i, char *buf,
                        size_t size)
{
	if (i < d->n)
		xc_diag_format(&d->v[i], buf, size);
	else
		snprintf(buf, size, "(no diagnostic %zu)", i);
}

/* The node at a path of kid indexes below root. */
static const struct xc_ynode *kid(const struct xc_ynode *n, size_t i)
{
	assert_non_null(n);
	assert_true(i < n->nkids);
	return n->kids[i];
}

static void assert_scalar_at(const struct xc_ynode *n, const char *value,
                             enum xc_yscalar_style style, unsigned line,
                             unsigned col)
{
	assert_non_null(n);
	assert_int_equal(n->type, XC_Y_SCALAR);
	assert_string_equal(n->value, value);
	assert_int_equal(n->len, strlen(value));
	assert_int_equal(n->style, style);
	assert_int_equal(n->loc.line, line);
	assert_int_equal(n->loc.col, col);
	assert_string_equal(n->loc.file, LABEL);
}

/* ---- well-formed documents -------------------------------------------- */

static void test_positions(void **state)
{
	static const char doc[] = "a: 1\n"                      /* line 1 */
	                          "b: [x, yy]\n"                /* line 2 */
	                          "c:\n"                        /* line 3 */
	                          "  d: e\n"                    /* line 4 */
	                          "  f:\n"                      /* line 5 */
	                          "    - g\n"                   /* line 6 */
	                          "h: [\xc3\xa9t\xc3\xa9, i]\n" /* line 7 */
	                          "j: ok\n";                    /* line 8 */
	struct xc_diags d;
	struct xc_ynode *root;
	const struct xc_ynode *n;

	(void)state;
	assert_int_equal(parse(&root, doc, strlen(doc), &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(root->type, XC_Y_MAP);
	assert_int_equal(root->loc.line, 1);
	assert_int_equal(root->loc.col, 1);
	assert_int_equal(xc_ynode_map_len(root), 5);
	assert_scalar_at(kid(root, 0), "a", XC_Y_PLAIN, 1, 1);
	assert_scalar_at(kid(root, 1), "1", XC_Y_PLAIN, 1, 4);
	assert_scalar_at(kid(root, 2), "b", XC_Y_PLAIN, 2, 1);
	n = kid(root, 3);
	assert_int_equal(n->type, XC_Y_SEQ);
	assert_int_equal(n->loc.line, 2);
	assert_int_equal(n->loc.col, 4);
	assert_int_equal(n->nkids, 2);
	assert_scalar_at(kid(n, 0), "x", XC_Y_PLAIN, 2, 5);
	assert_scalar_at(kid(n, 1), "yy", XC_Y_PLAIN, 2, 8);
	n = kid(root, 5);
	assert_int_equal(n->type, XC_Y_MAP);
	assert_int_equal(n->loc.line, 4);
	assert_int_equal(n->loc.col, 3);
	assert_scalar_at(kid(n, 1), "e", XC_Y_PLAIN, 4, 6);
	n = kid(n, 3);
	assert_int_equal(n->type, XC_Y_SEQ);
	assert_int_equal(n->loc.line, 6);
	assert_int_equal(n->loc.col, 5);
	assert_scalar_at(kid(n, 0), "g", XC_Y_PLAIN, 6, 7);
	/* Columns count characters, not bytes. */
	n = kid(root, 7);
	assert_scalar_at(kid(n, 0), "\xc3\xa9t\xc3\xa9", XC_Y_PLAIN, 7, 5);
	assert_scalar_at(kid(n, 1), "i", XC_Y_PLAIN, 7, 10);
	assert_scalar_at(kid(root, 8), "j", XC_Y_PLAIN, 8, 1);
	/* size: this node and all below it. */
	assert_int_equal(root->size, 20);
	assert_int_equal(kid(root, 3)->size, 3);
	xc_ynode_free(root);
	xc_diags_release(&d);
}

struct style_case {
	const char *doc;
	const char *value;
	enum xc_yscalar_style style;
};

static const struct style_case style_cases[] = {
        {.doc = "a: 1", .value = "1", .style = XC_Y_PLAIN},
        {.doc = "a: true", .value = "true", .style = XC_Y_PLAIN},
        {.doc = "a: ~", .value = "~", .style = XC_Y_PLAIN},
        {.doc = "a: plain words", .value = "plain words", .style = XC_Y_PLAIN},
        {.doc = "a: '1'", .value = "1", .style = XC_Y_QUOTED},
        {.doc = "a: \"1\"", .value = "1", .style = XC_Y_QUOTED},
        {.doc = "a: \"q\\\"uote\"", .value = "q\"uote", .style = XC_Y_QUOTED},
        {.doc = "a: 'it''s'", .value = "it's", .style = XC_Y_QUOTED},
        {.doc = "a: ''", .value = "", .style = XC_Y_QUOTED},
        {.doc = "a: |-\n  lit\n", .value = "lit", .style = XC_Y_QUOTED},
        {.doc = "a: >-\n  fold\n  ed\n",
         .value = "fold ed",
         .style = XC_Y_QUOTED},
        /* Tags: !!str and the non-specific '!' make a string. */
        {.doc = "a: !!str 123", .value = "123", .style = XC_Y_QUOTED},
        {.doc = "a: !!str true", .value = "true", .style = XC_Y_QUOTED},
        {.doc = "a: ! 45", .value = "45", .style = XC_Y_QUOTED},
        {.doc = "a: !!int 7", .value = "7", .style = XC_Y_PLAIN},
        {.doc = "a: !!bool false", .value = "false", .style = XC_Y_PLAIN},
        {.doc = "a: !!null ''", .value = "", .style = XC_Y_QUOTED},
        {.doc = "a: !<tag:yaml.org,2002:str> 9",
         .value = "9",
         .style = XC_Y_QUOTED},
};

static void test_scalar_styles(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(style_cases) / sizeof(style_cases[0]); i++) {
		const struct style_case *t = &style_cases[i];
		struct xc_diags d;
		struct xc_ynode *root;
		const struct xc_ynode *v;
		char buf[512];

		if (parse(&root, t->doc, strlen(t->doc), &d) != 0) {
			format_diag(&d, 0, buf, sizeof(buf));
			xc_diags_release(&d);
			fail_msg("'%s' refused: %s", t->doc, buf);
		}
		v = xc_ynode_map_get(root, "a");
		if (d.n != 0 || !v || v->type != XC_Y_SCALAR ||
		    strcmp(v->value, t->value) != 0 || v->style != t->style) {
			xc_ynode_free(root);
			xc_diags_release(&d);
			fail_msg("'%s': expected %s '%s'", t->doc,
			         t->style == XC_Y_PLAIN ? "plain" : "quoted",
			         t->value);
		}
		xc_ynode_free(root);
		xc_diags_release(&d);
	}
}

static void test_aliases(void **state)
{
	static const char doc[] = "a: &x {b: 1, c: [2, 3]}\n"
	                          "d: *x\n"
	                          "e: &s hello\n"
	                          "f: *s\n"
	                          "g: &s bye\n"
	                          "h: *s\n";
	struct xc_diags d;
	struct xc_ynode *root;
	const struct xc_ynode *orig;
	const struct xc_ynode *copy;

	(void)state;
	assert_int_equal(parse(&root, doc, strlen(doc), &d), 0);
	assert_int_equal(d.n, 0);
	orig = xc_ynode_map_get(root, "a");
	copy = xc_ynode_map_get(root, "d");
	assert_non_null(copy);
	/* A copy of its own, at the alias's position. */
	assert_true(copy != orig);
	assert_int_equal(copy->type, XC_Y_MAP);
	assert_int_equal(copy->loc.line, 2);
	assert_int_equal(copy->loc.col, 4);
	assert_int_equal(copy->size, orig->size);
	assert_int_equal(copy->size, 7);
	assert_string_equal(xc_ynode_map_get(copy, "b")->value, "1");
	assert_int_equal(xc_ynode_map_get(copy, "c")->nkids, 2);
	assert_true(xc_ynode_map_get(copy, "c") != xc_ynode_map_get(orig, "c"));
	assert_scalar_at(xc_ynode_map_get(root, "f"), "hello", XC_Y_PLAIN, 4,
	                 4);
	/* The latest definition of an anchor wins. */
	assert_scalar_at(xc_ynode_map_get(root, "h"), "bye", XC_Y_PLAIN, 6, 4);
	xc_ynode_free(root);
	xc_diags_release(&d);
}

/* Aliases that expand to a few thousand nodes are fine. */
static void test_aliases_moderate(void **state)
{
	static const char doc[] = "a: &a [l, l, l, l, l, l, l, l, l]\n"
	                          "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                          "d: [*c, *c, *c, *c]\n";
	struct xc_diags d;
	struct xc_ynode *root;

	(void)state;
	assert_int_equal(parse(&root, doc, strlen(doc), &d), 0);
	assert_int_equal(d.n, 0);
	/* a 10, b 91, c 820, d 1 + 4 * 820, keys 4, root 1 */
	assert_int_equal(xc_ynode_map_get(root, "c")->size, 820);
	assert_int_equal(root->size, 1 + 4 + 10 + 91 + 820 + 3281);
	xc_ynode_free(root);
	xc_diags_release(&d);
}

static void test_empty_files(void **state)
{
	static const char *const docs[] = {
	        "",
	        "\n\n",
	        "   \t\n",
	        "# only a comment\n",
	        "# one\n  # two\r\n\n# three",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct xc_diags d;
		struct xc_ynode *root = (struct xc_ynode *)1;
		char buf[512];

		assert_int_equal(parse(&root, docs[i], strlen(docs[i]), &d),
		                 XC_EINVAL);
		assert_null(root);
		assert_int_equal(d.n, 1);
		format_diag(&d, 0, buf, sizeof(buf));
		assert_string_equal(
		        buf,
		        "t.yaml:1:1: error: empty file: expected a mapping that begins with 'version: 1'");
		xc_diags_release(&d);
	}
}

/* ---- refused documents ------------------------------------------------ */

/* Problems that stop reading: no tree. */
struct bad_case {
	const char *what;
	const char *data;
	size_t len;        /* 0: strlen(data) */
	const char *first; /* the first diagnostic, formatted */
	size_t n;          /* number of diagnostics */
};

static const struct bad_case bad_cases[] = {
        /* Aliases. */
        {.what = "recursive alias",
         .data = "a: &x [1, *x]\n",
         .first =
                 "t.yaml:1:11: error: alias '*x' refers to a node that contains it",
         .n = 1},
        {.what = "recursive alias in a mapping",
         .data = "a: &m\n  b: 1\n  c: *m\n",
         .first =
                 "t.yaml:3:6: error: alias '*m' refers to a node that contains it",
         .n = 1},
        {.what = "undefined alias",
         .data = "a: *nope\n",
         .first = "t.yaml:1:4: error: alias '*nope' names no anchor",
         .n = 1},
        {.what = "alias before its anchor",
         .data = "a: *x\nb: &x 1\n",
         .first = "t.yaml:1:4: error: alias '*x' names no anchor",
         .n = 1},
        /* More than one document. */
        {.what = "two documents",
         .data = "a: 1\n---\nb: 2\n",
         .first =
                 "t.yaml:2:1: error: more than one YAML document; excert reads one",
         .n = 1},
        {.what = "two explicit documents",
         .data = "--- a\n--- b\n",
         .first =
                 "t.yaml:2:1: error: more than one YAML document; excert reads one",
         .n = 1},
        {.what = "an empty second document",
         .data = "---\na: 1\n---\n",
         .first =
                 "t.yaml:3:1: error: more than one YAML document; excert reads one",
         .n = 1},
        /* Invalid UTF-8, at the right line and column (in characters). */
        {.what = "byte 0xFF",
         .data = "a: 1\nb: \xff\n",
         .first =
                 "t.yaml:2:4: error: invalid UTF-8 (byte 0xFF); the file must be UTF-8",
         .n = 1},
        {.what = "after a two-byte character",
         .data = "a: \xc3\xa9\xff",
         .first =
                 "t.yaml:1:5: error: invalid UTF-8 (byte 0xFF); the file must be UTF-8",
         .n = 1},
        {.what = "Latin-1",
         .data = "a: ok\nb: caf\xe9\n",
         .first =
                 "t.yaml:2:7: error: invalid UTF-8 (byte 0xE9); the file must be UTF-8",
         .n = 1},
        {.what = "overlong NUL",
         .data = "a: \xc0\x80",
         .first =
                 "t.yaml:1:4: error: invalid UTF-8 (byte 0xC0); the file must be UTF-8",
         .n = 1},
        {.what = "overlong three-byte",
         .data = "a: \xe0\x80\xaf",
         .first =
                 "t.yaml:1:4: error: invalid UTF-8 (byte 0xE0); the file must be UTF-8",
         .n = 1},
        {.what = "surrogate",
         .data = "# \xe2\x82\xac\na: \xed\xa0\x80\n",
         .first =
                 "t.yaml:2:4: error: invalid UTF-8 (byte 0xED); the file must be UTF-8",
         .n = 1},
        {.what = "above U+10FFFF",
         .data = "a: \xf4\x90\x80\x80",
         .first =
                 "t.yaml:1:4: error: invalid UTF-8 (byte 0xF4); the file must be UTF-8",
         .n = 1},
        {.what = "lead byte 0xF5",
         .data = "a: \xf5\x80\x80\x80",
         .first =
                 "t.yaml:1:4: error: invalid UTF-8 (byte 0xF5); the file must be UTF-8",
         .n = 1},
        {.what = "lone continuation byte",
         .data = "a:\n  - x\n  - \x80\n",
         .first =
                 "t.yaml:3:5: error: invalid UTF-8 (byte 0x80); the file must be UTF-8",
         .n = 1},
        {.what = "truncated at the end",
         .data = "a: \xe2\x82",
         .first =
                 "t.yaml:1:4: error: invalid UTF-8 (byte 0xE2); the file must be UTF-8",
         .n = 1},
        {.what = "a continuation byte missing",
         .data = "a: \xe2\x82x\n",
         .first =
                 "t.yaml:1:4: error: invalid UTF-8 (byte 0xE2); the file must be UTF-8",
         .n = 1},
        /* NUL bytes. */
        {.what = "NUL in a value",
         BYTES("a: 1\nb: x\0y\n"),
         .first = "t.yaml:2:5: error: binary file: NUL byte at offset 9",
         .n = 1},
        {.what = "NUL first",
         BYTES("\0a: 1\n"),
         .first = "t.yaml:1:1: error: binary file: NUL byte at offset 0",
         .n = 1},
        {.what = "NUL after a multi-byte character",
         BYTES("a: \xe2\x82\xac\0"),
         .first = "t.yaml:1:5: error: binary file: NUL byte at offset 6",
         .n = 1},
        /* UTF-16, either byte order. */
        {.what = "UTF-16LE",
         BYTES("\xff\xfe"
               "a\0:\0 \0001\0\n\0"),
         .first = "t.yaml:1:1: error: file is UTF-16; save it as UTF-8",
         .n = 1},
        {.what = "UTF-16BE",
         BYTES("\xfe\xff\0a\0:\0 \0001\0\n"),
         .first = "t.yaml:1:1: error: file is UTF-16; save it as UTF-8",
         .n = 1},
        /* Tags. */
        {.what = "!!binary",
         .data = "a: !!binary aGVsbG8=\n",
         .first =
                 "t.yaml:1:4: error: unsupported YAML tag 'tag:yaml.org,2002:binary'",
         .n = 1},
        {.what = "!!float",
         .data = "a: !!float 1.5\n",
         .first =
                 "t.yaml:1:4: error: unsupported YAML tag 'tag:yaml.org,2002:float'",
         .n = 1},
        {.what = "local tag",
         .data = "a: !custom x\n",
         .first = "t.yaml:1:4: error: unsupported YAML tag '!custom'",
         .n = 1},
        {.what = "python object",
         .data = "a: !!python/object/apply:os.system [ls]\n",
         .first =
                 "t.yaml:1:4: error: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'",
         .n = 1},
        {.what = "!!set",
         .data = "a: !!set {b}\n",
         .first =
                 "t.yaml:1:4: error: unsupported YAML tag 'tag:yaml.org,2002:set'",
         .n = 1},
        {.what = "!!omap",
         .data = "a: !!omap [b: 1]\n",
         .first =
                 "t.yaml:1:4: error: unsupported YAML tag 'tag:yaml.org,2002:omap'",
         .n = 1},
        /* Syntax errors, as libyaml reports them. */
        {.what = "mapping in a plain value",
         .data = "a: b: c\n",
         .first =
                 "t.yaml:1:5: error: mapping values are not allowed in this context",
         .n = 1},
        {.what = "tab indentation",
         .data = "a:\n\tb: 1\n",
         .first =
                 "t.yaml:2:1: error: found character that cannot start any token while scanning for the next token (line 2, column 1)",
         .n = 1},
        {.what = "unterminated quote: at what was left open",
         .data = "a: 'open\n",
         .first =
                 "t.yaml:1:4: error: found unexpected end of stream while scanning a quoted scalar",
         .n = 1},
        {.what = "unclosed flow sequence",
         .data = "a: [1, 2\n",
         .first =
                 "t.yaml:1:4: error: did not find expected ',' or ']' while parsing a flow sequence",
         .n = 1},
};

static void test_bad_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *t = &bad_cases[i];
		size_t len = t->len ? t->len : strlen(t->data);
		struct xc_diags d;
		struct xc_ynode *root = (struct xc_ynode *)1;
		char buf[1400];
		size_t n;
		int rc = parse(&root, t->data, len, &d);

		format_diag(&d, 0, buf, sizeof(buf));
		n = d.n;
		xc_diags_release(&d);
		if (rc != XC_EINVAL || root != NULL) {
			xc_ynode_free(root == (struct xc_ynode *)1 ? NULL
			                                           : root);
			fail_msg("%s: accepted (rc %d)", t->what, rc);
		}
		if (strcmp(buf, t->first) != 0)
			fail_msg("%s:\n  expected %s\n  got      %s", t->what,
			         t->first, buf);
		if (n != t->n)
			fail_msg("%s: expected %zu diagnostics, got %zu",
			         t->what, t->n, n);
	}
}

/* Writes a tree as {k=v k=[a,b]} for comparison. */
static void show(const struct xc_ynode *n, char *buf, size_t size, size_t *used)
{
	size_t i;

	if (*used >= size)
		return;
	if (n->type == XC_Y_SCALAR) {
		*used += (size_t)snprintf(buf + *used, size - *used, "%s",
		                          n->value);
		return;
	}
	*used += (size_t)snprintf(buf + *used, size - *used, "%s",
	                          n->type == XC_Y_MAP ? "{" : "[");
	for (i = 0; i < n->nkids && *used < size; i++) {
		const char *sep = "";

		if (n->type == XC_Y_MAP)
			sep = i % 2 ? "=" : (i ? " " : "");
		else if (i)
			sep = ",";
		*used += (size_t)snprintf(buf + *used, size - *used, "%s", sep);
		show(n->kids[i], buf, size, used);
	}
	if (*used < size)
		*used += (size_t)snprintf(buf + *used, size - *used, "%s",
		                          n->type == XC_Y_MAP ? "}" : "]");
}

/*
 * Problems that do not stop reading: reported, and the tree still made
 * without the refused pairs (the first of duplicate keys is kept), so that
 * the loader can report the rest of the file in the same run.
 */
struct soft_case {
	const char *what;
	const char *data;
	const char *diags[2]; /* formatted, in order; NULL ends */
	const char *tree;     /* what is left */
};

#define CONTROL "; values are single-line text"

static const struct soft_case soft_cases[] = {
        /* Duplicate keys: at the second key, pointing at the first. */
        {.what = "duplicate key",
         .data = "a: 1\nb: 2\na: 3\n",
         .diags =
                 {"t.yaml:3:1: error: duplicate key 'a' (first at line 1, column 1)"},
         .tree = "{a=1 b=2}"},
        {.what = "duplicate key, quoted",
         .data = "a: 1\n'a': 2\n",
         .diags =
                 {"t.yaml:2:1: error: duplicate key 'a' (first at line 1, column 1)"},
         .tree = "{a=1}"},
        {.what = "duplicate key, three times",
         .data = "k: 1\nk: 2\nk: 3\n",
         .diags =
                 {"t.yaml:2:1: error: duplicate key 'k' (first at line 1, column 1)",
                  "t.yaml:3:1: error: duplicate key 'k' (first at line 1, column 1)"},
         .tree = "{k=1}"},
        {.what = "duplicate key, nested",
         .data = "top:\n  x: 1\n  y: 2\n  x: [3]\n",
         .diags =
                 {"t.yaml:4:3: error: duplicate key 'x' (first at line 2, column 3)"},
         .tree = "{top={x=1 y=2}}"},
        {.what = "duplicate key, flow",
         .data = "m: {p: 1, q: 2, p: 3}\n",
         .diags =
                 {"t.yaml:1:17: error: duplicate key 'p' (first at line 1, column 5)"},
         .tree = "{m={p=1 q=2}}"},
        {.what = "the same key in two mappings is no duplicate",
         .data = "a: {k: 1}\nb: {k: 2}\n",
         .tree = "{a={k=1} b={k=2}}"},
        /* Merge keys. */
        {.what = "merge key",
         .data = "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
         .diags =
                 {"t.yaml:3:3: error: YAML merge keys ('<<') are not supported; write the keys out"},
         .tree = "{base={x=1} m={y=2}}"},
        {.what = "merge key, flow",
         .data = "m: {<<: {x: 1}}\n",
         .diags =
                 {"t.yaml:1:5: error: YAML merge keys ('<<') are not supported; write the keys out"},
         .tree = "{m={}}"},
        {.what = "a quoted '<<' is an ordinary key",
         .data = "'<<': 1\n",
         .tree = "{<<=1}"},
        /* Keys must be scalars. */
        {.what = "list as a key",
         .data = "? [a, b]\n: 1\nc: 2\n",
         .diags =
                 {"t.yaml:1:3: error: mapping keys must be plain strings, not a list"},
         .tree = "{c=2}"},
        {.what = "mapping as a key",
         .data = "{x: 1}: 2\n",
         .diags =
                 {"t.yaml:1:1: error: mapping keys must be plain strings, not a mapping"},
         .tree = "{}"},
        /* Control characters in values, raw or escaped. */
        {.what = "escaped NUL",
         .data = "a: \"x\\0y\"\n",
         .diags =
                 {"t.yaml:1:4: error: value holds the control character U+0000" CONTROL},
         .tree = "{a=x}"},
        {.what = "escape sequence",
         .data = "a: ok\nb: \"\\e[31mred\"\n",
         .diags =
                 {"t.yaml:2:4: error: value holds the control character U+001B" CONTROL}},
        {.what = "tab",
         .data = "a: \"x\\ty\"\n",
         .diags =
                 {"t.yaml:1:4: error: value holds the control character U+0009" CONTROL}},
        {.what = "DEL",
         .data = "a: \"\\x7f\"\n",
         .diags =
                 {"t.yaml:1:4: error: value holds the control character U+007F" CONTROL}},
        {.what = "C1 control",
         .data = "a: \"\\u0085\"\n",
         .diags =
                 {"t.yaml:1:4: error: value holds the control character U+0085" CONTROL}},
        {.what = "literal block: more than one line",
         .data = "a: |\n  one\n  two\n",
         .diags =
                 {"t.yaml:1:4: error: value holds the control character U+000A" CONTROL}},
        {.what = "non-ASCII text is fine",
         .data = "a: \"caf\xc3\xa9 \xe2\x82\xac\"\n",
         .tree = "{a=caf\xc3\xa9 \xe2\x82\xac}"},
};

static void test_soft_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(soft_cases) / sizeof(soft_cases[0]); i++) {
		const struct soft_case *t = &soft_cases[i];
		struct xc_diags d;
		struct xc_ynode *root = NULL;
		char buf[1400];
		char tree[400] = "";
		size_t used = 0;
		size_t want = 0;
		size_t j;
		int rc = parse(&root, t->data, strlen(t->data), &d);

		while (want < 2 && t->diags[want])
			want++;
		if (root)
			show(root, tree, sizeof(tree), &used);
		xc_ynode_free(root);
		if (rc != 0 || d.n != want) {
			size_t n = d.n;

			format_diag(&d, 0, buf, sizeof(buf));
			xc_diags_release(&d);
			fail_msg(
			        "%s: rc %d, %zu diagnostics (expected 0, %zu): %s",
			        t->what, rc, n, want, buf);
		}
		for (j = 0; j < want; j++) {
			format_diag(&d, j, buf, sizeof(buf));
			if (strcmp(buf, t->diags[j]) != 0) {
				xc_diags_release(&d);
				fail_msg("%s:\n  expected %s\n  got      %s",
				         t->what, t->diags[j], buf);
			}
		}
		xc_diags_release(&d);
		if (t->tree && strcmp(tree, t->tree) != 0)
			fail_msg("%s: expected tree %s, got %s", t->what,
			         t->tree, tree);
	}
}

/* Nine levels of ten "lol"s: refused, early, with one diagnostic. */
static void test_billion_laughs(void **state)
{
	static const char doc[] =
	        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	        "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	        "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	struct xc_diags d;
	struct xc_ynode *root = (struct xc_ynode *)1;
	char buf[1400];
	clock_t start = clock();
	double secs;

	(void)state;
	assert_int_equal(parse(&root, doc, strlen(doc), &d), XC_EINVAL);
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_null(root);
	assert_int_equal(d.n, 1);
	format_diag(&d, 0, buf, sizeof(buf));
	xc_diags_release(&d);
	/* 12,351 nodes up to line 5's '['; each *d adds 11,111, so the
	 * fourth passes 50,000. */
	assert_string_equal(
	        buf,
	        "t.yaml:5:20: error: document has more than 50000 nodes after expanding aliases (an alias bomb?)");
	/* Generous for valgrind; expanding it would take minutes. */
	if (secs > 2.0)
		fail_msg("took %.2f s", secs);
}

/* An alias that would pass the budget on its own, in a small file. */
static void test_node_budget_single_alias(void **state)
{
	char *doc;
	size_t used = 0;
	size_t i;
	struct xc_diags d;
	struct xc_ynode *root = (struct xc_ynode *)1;
	char buf[1400];

	(void)state;
	/* 30,001 nodes under an anchor, then one alias that copies them. */
	doc = malloc(30000 * 3 + 200);
	assert_non_null(doc);
	used += (size_t)snprintf(doc + used, 30000 * 3 + 200 - used, "a: &a [");
	for (i = 0; i < 30000; i++)
		used += (size_t)snprintf(doc + used, 30000 * 3 + 200 - used,
		                         "%s1", i ? "," : "");
	used += (size_t)snprintf(doc + used, 30000 * 3 + 200 - used,
	                         "]\nb: *a\n");
	assert_int_equal(parse(&root, doc, used, &d), XC_EINVAL);
	free(doc);
	assert_null(root);
	assert_int_equal(d.n, 1);
	format_diag(&d, 0, buf, sizeof(buf));
	xc_diags_release(&d);
	assert_string_equal(
	        buf,
	        "t.yaml:2:4: error: document has more than 50000 nodes after expanding aliases (an alias bomb?)");
}

/* Builds n nested flow sequences: "[[[...]]]". */
static char *nested(size_t n)
{
	char *s = malloc(2 * n + 2);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[n + i] = ']';
	}
	s[2 * n] = '\n';
	s[2 * n + 1] = '\0';
	return s;
}

static void test_depth(void **state)
{
	struct xc_diags d;
	struct xc_ynode *root = NULL;
	char *doc;
	char buf[1400];
	const struct xc_ynode *n;
	size_t depth = 0;

	(void)state;
	/* Exactly the limit: fine. */
	doc = nested(XC_YAML_MAX_DEPTH);
	assert_int_equal(parse(&root, doc, strlen(doc), &d), 0);
	free(doc);
	for (n = root; n->nkids; n = n->kids[0])
		depth++;
	assert_int_equal(depth + 1, XC_YAML_MAX_DEPTH);
	xc_ynode_free(root);
	xc_diags_release(&d);

	/* One more: refused at the 65th '['. */
	doc = nested(XC_YAML_MAX_DEPTH + 1);
	assert_int_equal(parse(&root, doc, strlen(doc), &d), XC_EINVAL);
	free(doc);
	assert_null(root);
	assert_int_equal(d.n, 1);
	format_diag(&d, 0, buf, sizeof(buf));
	xc_diags_release(&d);
	assert_string_equal(
	        buf, "t.yaml:1:65: error: nesting deeper than 64 levels");

	/* Block mappings count the same way. */
	{
		char block[20000];
		size_t used = 0;
		size_t i;

		for (i = 0; i <= XC_YAML_MAX_DEPTH; i++)
			used += (size_t)snprintf(block + used,
			                         sizeof(block) - used,
			                         "%*sk%zu:\n", (int)i, "", i);
		used += (size_t)snprintf(block + used, sizeof(block) - used,
		                         "%*sleaf: 1\n",
		                         (int)XC_YAML_MAX_DEPTH + 1, "");
		assert_int_equal(parse(&root, block, used, &d), XC_EINVAL);
		assert_null(root);
		assert_int_equal(d.n, 1);
		format_diag(&d, 0, buf, sizeof(buf));
		xc_diags_release(&d);
		assert_string_equal(
		        buf,
		        "t.yaml:65:65: error: nesting deeper than 64 levels");
	}
}

/* A very deep document is refused without deep recursion or delay. */
static void test_depth_hostile(void **state)
{
	struct xc_diags d;
	struct xc_ynode *root = (struct xc_ynode *)1;
	char *doc = nested(200000);
	clock_t start = clock();

	(void)state;
	assert_int_equal(parse(&root, doc, strlen(doc), &d), XC_EINVAL);
	free(doc);
	assert_null(root);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg, "nesting deeper than 64 levels");
	xc_diags_release(&d);
	if ((double)(clock() - start) / CLOCKS_PER_SEC > 2.0)
		fail_msg("too slow");
}

static void test_size_limit(void **state)
{
	size_t len = XC_YAML_MAX_BYTES + 1;
	char *doc = malloc(len);
	struct xc_diags d;
	struct xc_ynode *root = (struct xc_ynode *)1;
	char buf[1400];

	(void)state;
	assert_non_null(doc);
	memset(doc, '#', len);
	assert_int_equal(parse(&root, doc, len, &d), XC_EINVAL);
	assert_null(root);
	assert_int_equal(d.n, 1);
	format_diag(&d, 0, buf, sizeof(buf));
	xc_diags_release(&d);
	/* The position and the limit, not the exact wording. */
	assert_int_equal(strncmp(buf, "t.yaml:1:1: error: file is ", 27), 0);
	assert_non_null(strstr(buf, "1048576"));
	/* Exactly the limit is read (and found empty: all comment). */
	assert_int_equal(parse(&root, doc, len - 1, &d), XC_EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "empty file"));
	xc_diags_release(&d);
	free(doc);
}

/* A UTF-8 byte order mark (Notepad writes one) is not content. */
static void test_utf8_bom(void **state)
{
	static const char *const docs[] = {
	        "\xef\xbb\xbf"
	        "a: 1\nb: two\n",
	        "\xef\xbb\xbf"
	        "{a: 1,\n b: two}\n",
	};
	static const char bad[] = "\xef\xbb\xbf"
	                          "a: \xff\n";
	size_t i;
	struct xc_diags d;
	struct xc_ynode *root = NULL;
	char buf[1400];

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		if (parse(&root, docs[i], strlen(docs[i]), &d) != 0) {
			format_diag(&d, 0, buf, sizeof(buf));
			xc_diags_release(&d);
			fail_msg("document %zu refused: %s", i, buf);
		}
		assert_int_equal(d.n, 0);
		assert_int_equal(root->type, XC_Y_MAP);
		/* Positions count from after the mark, as editors show. */
		assert_scalar_at(kid(root, 0), "a", XC_Y_PLAIN, 1, i + 1);
		assert_scalar_at(kid(root, 1), "1", XC_Y_PLAIN, 1, i + 4);
		assert_scalar_at(xc_ynode_map_get(root, "b"), "two", XC_Y_PLAIN,
		                 2, i + 4);
		xc_ynode_free(root);
		xc_diags_release(&d);
	}
	/* Byte positions too. */
	assert_int_equal(parse(&root, bad, strlen(bad), &d), XC_EINVAL);
	format_diag(&d, 0, buf, sizeof(buf));
	xc_diags_release(&d);
	assert_string_equal(
	        buf,
	        "t.yaml:1:4: error: invalid UTF-8 (byte 0xFF); the file must be UTF-8");
}

/* Errors already in diags (from another file) do not fail this parse. */
static void test_earlier_errors_kept(void **state)
{
	struct xc_diags d;
	struct xc_ynode *root = NULL;
	struct xc_loc loc = {"other.yaml", 7, 3};

	(void)state;
	xc_diags_init(&d);
	xc_diags_error(&d, loc, "an earlier problem");
	assert_int_equal(xc_ytree_parse(&root, "a: 1\n", 5, LABEL, &d), 0);
	assert_non_null(root);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.errors, 1);
	xc_ynode_free(root);
	assert_int_equal(xc_ytree_parse(&root, "a: [", 4, LABEL, &d),
	                 XC_EINVAL);
	assert_null(root);
	assert_int_equal(d.n, 2);
	xc_diags_release(&d);
}

/* The helpers of the header. */
static void test_helpers(void **state)
{
	static const char doc[] = "s: text\n"
	                          "q: 'null'\n"
	                          "n1: ~\n"
	                          "n2: null\n"
	                          "n3:\n"
	                          "n4: Null\n"
	                          "n5: NULL\n"
	                          "n6: nul\n"
	                          "n7: nULL\n"
	                          "l: [1]\n"
	                          "m: {k: v}\n";
	static const struct {
		const char *key;
		int is_null;
		const char *describe;
	} cases[] = {
	        {"s", 0, "a string"},  {"q", 0, "a string"},
	        {"n1", 1, "no value"}, {"n2", 1, "no value"},
	        {"n3", 1, "no value"}, {"n4", 1, "no value"},
	        {"n5", 1, "no value"}, {"n6", 0, "a string"},
	        {"n7", 0, "a string"}, {"l", 0, "a list"},
	        {"m", 0, "a mapping"},
	};
	struct xc_diags d;
	struct xc_ynode *root;
	size_t i;

	(void)state;
	assert_int_equal(parse(&root, doc, strlen(doc), &d), 0);
	assert_int_equal(xc_ynode_map_len(root), 11);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct xc_ynode *v = xc_ynode_map_get(root, cases[i].key);

		if (!v || xc_ynode_is_null(v) != cases[i].is_null ||
		    strcmp(xc_ynode_describe(v), cases[i].describe) != 0) {
			xc_ynode_free(root);
			xc_diags_release(&d);
			fail_msg("key '%s': expected null=%d, '%s'",
			         cases[i].key, cases[i].is_null,
			         cases[i].describe);
		}
	}
	assert_null(xc_ynode_map_get(root, "missing"));
	assert_null(xc_ynode_map_get(root, "text"));
	/* Not a mapping: no length, no keys. */
	assert_int_equal(xc_ynode_map_len(xc_ynode_map_get(root, "l")), 0);
	assert_null(xc_ynode_map_get(xc_ynode_map_get(root, "l"), "1"));
	assert_int_equal(xc_ynode_map_len(NULL), 0);
	assert_null(xc_ynode_map_get(NULL, "s"));
	assert_int_equal(xc_ynode_is_null(NULL), 0);
	assert_string_equal(xc_ynode_describe(NULL), "nothing");
	xc_ynode_free(root);
	xc_ynode_free(NULL);
	xc_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_positions),
	        cmocka_unit_test(test_scalar_styles),
	        cmocka_unit_test(test_aliases),
	        cmocka_unit_test(test_aliases_moderate),
	        cmocka_unit_test(test_empty_files),
	        cmocka_unit_test(test_bad_table),
	        cmocka_unit_test(test_soft_table),
	        cmocka_unit_test(test_billion_laughs),
	        cmocka_unit_test(test_node_budget_single_alias),
	        cmocka_unit_test(test_depth),
	        cmocka_unit_test(test_depth_hostile),
	        cmocka_unit_test(test_size_limit),
	        cmocka_unit_test(test_utf8_bom),
	        cmocka_unit_test(test_earlier_errors_kept),
	        cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
