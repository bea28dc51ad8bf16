/* SPDX-License-Identifier: MIT */
/*
 * pscheck: parses PowerShell files with a real PowerShell grammar
 * (tree-sitter-powershell, see fetch-grammar.sh) and reports what it could
 * not parse.
 *
 *   pscheck [--rules] [--tree] FILE...
 *
 * Every ERROR node of the syntax tree is reported as FILE:LINE:COL with the
 * text it starts with, every MISSING node (a token the parser had to
 * invent, such as a closing brace) with the token it stands for.  Lines and
 * columns are 1-based, columns in bytes.
 *
 * --rules adds the rules of a script that excert sends to
 * `powershell.exe -Command -` (docs/agent-protocol.md), which reads its
 * standard input like an interactive prompt: once a statement is
 * incomplete it collects lines up to the next blank line and runs them, so
 *   - no blank line may fall inside a statement (a function body, a
 *     hashtable, a block comment...): the statement would run cut short;
 *   - every top-level statement ends with a blank line (or the end of the
 *     file), so that it runs before the next one is read;
 * and the agent's own rules: ASCII only (the console code page would change
 * anything else), no carriage return, no here-string, and no way to turn
 * data into code (Invoke-Expression, iex, Add-Type, [scriptblock]::Create,
 * NewScriptBlock, InvokeScript).
 *
 * --tree prints the syntax tree (for the curious and for debugging).
 *
 * Exit status: 0 when every file is clean, 1 when any finding was reported,
 * 2 on a usage or I/O error.  The grammar is not PowerShell's own parser:
 * it has false positives (bareword lists such as `-Services IIS,SMTP`, a
 * one-line function with param()), which the agent avoids by quoting every
 * string and putting param() on its own line.  One gap cannot be avoided:
 * its lexer takes no digit in a parameter name, so `-RequestBase64 'x'`
 * (the protocol's last line) reads as `-RequestBase6` and a redirection
 * `4>` with its '>' missing.  pscheck therefore parses a copy of the text in
 * which the digits of such a token (a '-' after a blank or an opening
 * bracket, a letter, then letters, digits and underscores) are letters;
 * byte offsets do not change, and findings quote the original text.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_powershell(void);

#define MAX_FILE_BYTES (16u * 1024 * 1024)
#define SNIPPET 40

struct src {
	const char *name;
	const char *text;
	size_t len;
	size_t *line_start; /* owned; byte offset of each line */
	size_t nlines;
	unsigned findings;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("pscheck: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

static char *read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len = 0;
	size_t cap = 65536;
	size_t got;

	if (!f) {
		fprintf(stderr, "pscheck: %s: cannot open\n", path);
		return NULL;
	}
	buf = xmalloc(cap + 1);
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			if (cap >= MAX_FILE_BYTES) {
				fprintf(stderr,
				        "pscheck: %s: larger than %u bytes\n",
				        path, MAX_FILE_BYTES);
				fclose(f);
				free(buf);
				return NULL;
			}
			cap *= 2;
			buf = realloc(buf, cap + 1);
			if (!buf) {
				fputs("pscheck: out of memory\n", stderr);
				exit(2);
			}
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "pscheck: %s: read error\n", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	*len_out = len;
	return buf;
}

static void index_lines(struct src *s)
{
	size_t i;
	size_t n = 1;

	for (i = 0; i < s->len; i++)
		if (s->text[i] == '\n')
			n++;
	s->line_start = xmalloc(n * sizeof(*s->line_start));
	s->line_start[0] = 0;
	s->nlines = 1;
	for (i = 0; i < s->len; i++)
		if (s->text[i] == '\n')
			s->line_start[s->nlines++] = i + 1;
	/* A final newline does not start another line. */
	if (s->len > 0 && s->text[s->len - 1] == '\n')
		s->nlines--;
}

/* Whether line row (0-based) holds only spaces and tabs. */
static bool line_blank(const struct src *s, size_t row)
{
	size_t i = s->line_start[row];

	for (; i < s->len && s->text[i] != '\n'; i++)
		if (s->text[i] != ' ' && s->text[i] != '\t' &&
		    s->text[i] != '\r')
			return false;
	return true;
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* The copy that the grammar parses: see "One gap" above.  Caller frees. */
static char *grammar_copy(const char *text, size_t len)
{
	char *copy = xmalloc(len + 1);
	size_t i = 0;

	memcpy(copy, text, len + 1);
	while (i < len) {
		bool starts = text[i] == '-' && i + 1 < len &&
		              is_alpha(text[i + 1]) &&
		              (i == 0 || text[i - 1] == ' ' ||
		               text[i - 1] == '\t' || text[i - 1] == '\n' ||
		               text[i - 1] == '(' || text[i - 1] == '{');
		size_t j;

		if (!starts) {
			i++;
			continue;
		}
		for (j = i + 1;
		     j < len && (is_alpha(text[j]) || is_digit(text[j])); j++)
			if (is_digit(text[j]))
				copy[j] = 'd';
		i = j;
	}
	return copy;
}

/* Prints up to SNIPPET bytes from offset, on one line, quoted. */
static void print_snippet(const struct src *s, size_t off)
{
	size_t i;
	size_t n = 0;

	/* An error that starts at a line break is about what follows. */
	while (off < s->len && (s->text[off] == '\n' || s->text[off] == '\r' ||
	                        s->text[off] == ' ' || s->text[off] == '\t'))
		off++;
	putchar('\'');
	for (i = off; i < s->len && n < SNIPPET; i++, n++) {
		unsigned char c = (unsigned char)s->text[i];

		if (c == '\n' || c == '\r')
			break;
		if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('\'');
}

static void finding(struct src *s, unsigned row, unsigned col)
{
	s->findings++;
	printf("%s:%u:%u: ", s->name, row + 1, col + 1);
}

/* Where an ERROR node's code starts: error recovery may begin the node at
 * the comments before the code it could not parse. */
static TSNode first_code(TSNode n)
{
	uint32_t i;
	uint32_t count = ts_node_child_count(n);

	for (i = 0; i < count; i++) {
		TSNode child = ts_node_child(n, i);

		if (strcmp(ts_node_type(child), "comment") != 0)
			return child;
	}
	return n;
}

/* Walks the parts of the tree that hold errors. */
static void report_syntax(struct src *s, TSNode root)
{
	TSTreeCursor c = ts_tree_cursor_new(root);

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		bool descend = ts_node_has_error(n);
		TSPoint p = ts_node_start_point(n);

		if (ts_node_is_missing(n)) {
			finding(s, p.row, p.column);
			printf("missing '%s'\n", ts_node_type(n));
			descend = false;
		} else if (strcmp(ts_node_type(n), "ERROR") == 0) {
			TSNode at = first_code(n);

			p = ts_node_start_point(at);
			finding(s, p.row, p.column);
			fputs("syntax error near ", stdout);
			print_snippet(s, ts_node_start_byte(at));
			putchar('\n');
			descend = false;
		}
		if (descend && ts_tree_cursor_goto_first_child(&c))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&c))
			if (!ts_tree_cursor_goto_parent(&c)) {
				ts_tree_cursor_delete(&c);
				return;
			}
	}
}

/* The rows a node really covers: its first and last non-blank byte (a
 * statement may own the line break that ends it). */
static void node_rows(const struct src *s, TSNode n, size_t *first,
                      size_t *last)
{
	size_t b = ts_node_start_byte(n);
	size_t e = ts_node_end_byte(n);
	TSPoint ps = ts_node_start_point(n);
	TSPoint pe = ts_node_end_point(n);

	*first = ps.row;
	*last = pe.row;
	while (b < e && (s->text[b] == '\n' || s->text[b] == '\r' ||
	                 s->text[b] == ' ' || s->text[b] == '\t')) {
		if (s->text[b] == '\n')
			(*first)++;
		b++;
	}
	while (e > b && (s->text[e - 1] == '\n' || s->text[e - 1] == '\r' ||
	                 s->text[e - 1] == ' ' || s->text[e - 1] == '\t')) {
		if (s->text[e - 1] == '\n')
			(*last)--;
		e--;
	}
}

/* Containers of top-level statements: a blank line between two of their
 * children is where -Command - wants one. */
static bool is_container(TSNode n)
{
	const char *t = ts_node_type(n);

	return strcmp(t, "program") == 0 || strcmp(t, "statement_list") == 0;
}

/*
 * Blank lines: a blank row strictly inside any node that is not a
 * top-level container is a blank line inside a statement.  Marks, for each
 * row, the outermost statement that spans it.
 */
static void mark_spans(struct src *s, TSNode root, size_t *inside)
{
	TSTreeCursor c = ts_tree_cursor_new(root);

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);

		if (!is_container(n)) {
			size_t first;
			size_t last;
			size_t r;

			node_rows(s, n, &first, &last);
			for (r = first + 1; r < last && r < s->nlines; r++)
				if (inside[r] == 0)
					inside[r] = first + 1;
		} else if (ts_tree_cursor_goto_first_child(&c)) {
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&c))
			if (!ts_tree_cursor_goto_parent(&c)) {
				ts_tree_cursor_delete(&c);
				return;
			}
	}
}

/* Every top-level statement (not a comment) is followed by a blank line. */
static void check_statement_ends(struct src *s, TSNode root)
{
	TSTreeCursor c = ts_tree_cursor_new(root);

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);

		if (!is_container(n)) {
			size_t first;
			size_t last;

			node_rows(s, n, &first, &last);
			if (ts_node_is_named(n) &&
			    strcmp(ts_node_type(n), "comment") != 0 &&
			    last + 1 < s->nlines && !line_blank(s, last + 1)) {
				finding(s, (unsigned)last + 1, 0);
				printf("top-level statement (from line %zu) is not followed by a blank line\n",
				       first + 1);
			}
		} else if (ts_tree_cursor_goto_first_child(&c)) {
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&c))
			if (!ts_tree_cursor_goto_parent(&c)) {
				ts_tree_cursor_delete(&c);
				return;
			}
	}
}

/* Whether the node's text equals word, or contains it with sub, ignoring
 * ASCII case. */
static bool node_text_has(const struct src *s, TSNode n, const char *word,
                          bool sub)
{
	size_t b = ts_node_start_byte(n);
	size_t e = ts_node_end_byte(n);
	size_t wl = strlen(word);
	size_t i;
	size_t k;

	if (!sub && e - b != wl)
		return false;
	for (i = b; i + wl <= e; i++) {
		for (k = 0; k < wl; k++) {
			char a = s->text[i + k];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != word[k])
				break;
		}
		if (k == wl)
			return true;
		if (!sub)
			return false;
	}
	return false;
}

/* Here-strings, and the commands and members that turn strings into code
 * (lower case). */
static void check_forbidden(struct src *s, TSNode root)
{
	static const char *const commands[] = {"invoke-expression", "iex",
	                                       "add-type"};
	static const char *const members[] = {"newscriptblock", "invokescript"};
	TSTreeCursor c = ts_tree_cursor_new(root);

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		const char *t = ts_node_type(n);
		TSPoint p = ts_node_start_point(n);
		const char *bad = NULL;
		size_t i;

		if (strstr(t, "here_string")) {
			finding(s, p.row, p.column);
			puts("here-string (a blank line in it would end the statement under -Command -)");
		} else if (strcmp(t, "command_name") == 0) {
			for (i = 0; i < sizeof(commands) / sizeof(*commands);
			     i++)
				if (node_text_has(s, n, commands[i], false))
					bad = commands[i];
		} else if (strcmp(t, "member_name") == 0) {
			for (i = 0; i < sizeof(members) / sizeof(*members); i++)
				if (node_text_has(s, n, members[i], false))
					bad = members[i];
		} else if (strcmp(t, "invokation_expression") == 0 &&
		           node_text_has(s, n, "scriptblock]::create", true)) {
			bad = "[scriptblock]::Create";
		}
		if (bad) {
			finding(s, p.row, p.column);
			printf("'%s' turns data into code\n", bad);
		}
		if (ts_tree_cursor_goto_first_child(&c))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&c))
			if (!ts_tree_cursor_goto_parent(&c)) {
				ts_tree_cursor_delete(&c);
				return;
			}
	}
}

static void check_rules(struct src *s, TSNode root)
{
	size_t *inside = calloc(s->nlines + 1, sizeof(*inside));
	size_t i;
	size_t row = 0;

	if (!inside) {
		fputs("pscheck: out of memory\n", stderr);
		exit(2);
	}
	for (i = 0; i < s->len; i++) {
		unsigned char ch = (unsigned char)s->text[i];

		if (ch == '\n') {
			row++;
		} else if (ch == '\r') {
			finding(s, (unsigned)row,
			        (unsigned)(i - s->line_start[row]));
			puts("carriage return (the file must use LF line ends)");
		} else if (ch >= 0x80 || (ch < 0x20 && ch != '\t')) {
			finding(s, (unsigned)row,
			        (unsigned)(i - s->line_start[row]));
			printf("byte 0x%02x is not printable ASCII\n", ch);
		}
	}
	mark_spans(s, root, inside);
	for (row = 0; row < s->nlines; row++)
		if (inside[row] && line_blank(s, row)) {
			finding(s, (unsigned)row, 0);
			printf("blank line inside a statement (from line %zu): -Command - would run it cut short\n",
			       inside[row]);
		}
	check_statement_ends(s, root);
	check_forbidden(s, root);
	free(inside);
}

/* The top-level statements (not comments), for the report. */
static unsigned count_statements(TSNode n)
{
	unsigned count = 0;
	uint32_t i;

	for (i = 0; i < ts_node_named_child_count(n); i++) {
		TSNode child = ts_node_named_child(n, i);

		if (is_container(child))
			count += count_statements(child);
		else if (strcmp(ts_node_type(child), "comment") != 0)
			count++;
	}
	return count;
}

static int check_file(TSParser *parser, const char *path, bool rules,
                      bool tree_dump)
{
	struct src s = {0};
	TSTree *tree;
	TSNode root;
	char *text;
	char *copy;
	int rc;

	text = read_file(path, &s.len);
	if (!text)
		return 2;
	s.name = path;
	s.text = text;
	index_lines(&s);
	copy = grammar_copy(text, s.len);
	tree = ts_parser_parse_string(parser, NULL, copy, (uint32_t)s.len);
	free(copy);
	if (!tree) {
		fprintf(stderr, "pscheck: %s: the parser gave up\n", path);
		free(s.line_start);
		free(text);
		return 2;
	}
	root = ts_tree_root_node(tree);
	if (tree_dump) {
		char *str = ts_node_string(root);

		puts(str);
		free(str);
	}
	report_syntax(&s, root);
	/* The layout rules need a tree without errors to mean anything. */
	if (rules && s.findings == 0)
		check_rules(&s, root);
	if (s.findings == 0)
		printf("%s: ok (%zu lines, %u top-level statements)\n", path,
		       s.nlines, count_statements(root));
	rc = s.findings ? 1 : 0;
	ts_tree_delete(tree);
	free(s.line_start);
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	TSParser *parser;
	bool rules = false;
	bool tree_dump = false;
	int worst = 0;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (strcmp(argv[i], "--rules") == 0) {
			rules = true;
		} else if (strcmp(argv[i], "--tree") == 0) {
			tree_dump = true;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "pscheck: unknown option %s\n",
			        argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		fputs("usage: pscheck [--rules] [--tree] FILE...\n", stderr);
		return 2;
	}
	parser = ts_parser_new();
	if (!ts_parser_set_language(parser, tree_sitter_powershell())) {
		fprintf(stderr,
		        "pscheck: grammar ABI %u not supported by this libtree-sitter (accepts %d..%d)\n",
		        ts_language_version(tree_sitter_powershell()),
		        TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION,
		        TREE_SITTER_LANGUAGE_VERSION);
		ts_parser_delete(parser);
		return 2;
	}
	for (; i < argc; i++) {
		int rc = check_file(parser, argv[i], rules, tree_dump);

		if (rc > worst)
			worst = rc;
	}
	ts_parser_delete(parser);
	return worst;
}
