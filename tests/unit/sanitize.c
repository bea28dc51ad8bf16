/* SPDX-License-Identifier: MIT */
/* Unit tests for state/sanitize.h: text from outside made safe to print. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/sanitize.h"

struct san_case {
	const char *in;
	const char *out; /* the visible form */
	unsigned int flags;
};

static const struct san_case cases[] = {
        /* Printable ASCII and ordinary UTF-8 stay. */
        {"mail.contoso.lab", "mail.contoso.lab", 0},
        {"", "", 0},
        {"MS01\\Default Frontend MS01", "MS01\\Default Frontend MS01", 0},
        {"Z\xc3\xbcrich", "Z\xc3\xbcrich", 0},
        {"\xe6\x9d\xb1\xe4\xba\xac", "\xe6\x9d\xb1\xe4\xba\xac", 0},
        {"\xf0\x9f\x94\x92 lock", "\xf0\x9f\x94\x92 lock", 0},
        {"\xc2\xa0nbsp \xc2\xa9", "\xc2\xa0nbsp \xc2\xa9", 0},
        /* U+200D (ZWJ) and U+202F (narrow no-break space) are not bidi. */
        {"a\xe2\x80\x8d\xe2\x80\xaf", "a\xe2\x80\x8d\xe2\x80\xaf", 0},
        /* C0 controls, newline and tab included, and DEL. */
        {"\x1b[2J\x1b[Hfake", "\\x1b[2J\\x1b[Hfake", 0},
        {"a\nb\rc\td", "a\\nb\\rc\\td", 0},
        {"\x01\x07\x08\x1f", "\\x01\\x07\\x08\\x1f", 0},
        {"del\x7f", "del\\x7f", 0},
        /* C1 controls, as UTF-8 and as raw bytes. */
        {"csi\xc2\x9b"
         "31m",
         "csi\\u009b31m", 0},
        {"\xc2\x80\xc2\x85\xc2\x9f", "\\u0080\\u0085\\u009f", 0},
        {"raw\x9b"
         "2J",
         "raw\\x9b2J", 0},
        {"\x80\x85\x9f", "\\x80\\x85\\x9f", 0},
        /* Bidi controls and the line and paragraph separators. */
        {"evil\xe2\x80\xae"
         "gnp.exe",
         "evil\\u202egnp.exe", 0},
        {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
         "\\u202a\\u202b\\u202c\\u202d", 0},
        {"\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
         "\\u2066\\u2067\\u2068\\u2069", 0},
        {"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c", 0},
        {"a\xe2\x80\xa8"
         "b\xe2\x80\xa9",
         "a\\u2028b\\u2029", 0},
        /* Invalid UTF-8: each byte that is not part of a well-formed
         * sequence, and nothing after it lost. */
        {"\xc3", "\\xc3", 0},
        {"\xc3(", "\\xc3(", 0},
        {"\xc0\xaf", "\\xc0\\xaf", 0},                   /* overlong '/' */
        {"\xe0\x80\xaf", "\\xe0\\x80\\xaf", 0},          /* overlong */
        {"\xed\xa0\x80", "\\xed\\xa0\\x80", 0},          /* surrogate */
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", 0}, /* > U+10FFFF */
        {"\xf5\xff\xfe", "\\xf5\\xff\\xfe", 0},
        {"\xe2\x80", "\\xe2\\x80", 0}, /* truncated */
        {"\xe2\x80\xe2\x80\xae", "\\xe2\\x80\\u202e", 0},
        {"Z\xfcrich", "Z\\xfcrich", 0}, /* Latin-1 */
        /* Markdown: a value cannot end a table cell. */
        {"a|b", "a|b", 0},
        {"a|b", "a\\|b", XC_SANITIZE_MARKDOWN},
        {"MS01\\Default", "MS01\\\\Default", XC_SANITIZE_MARKDOWN},
        {"x\\|y\n", "x\\\\\\|y\\n", XC_SANITIZE_MARKDOWN},
        {"Z\xc3\xbcrich \x1b", "Z\xc3\xbcrich \\x1b", XC_SANITIZE_MARKDOWN},
};

static void test_sanitize__cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct san_case *c = &cases[i];
		char *got = xc_sanitize_dup(c->in, c->flags);
		bool same = strcmp(got, c->in) == 0;

		if (strcmp(got, c->out) != 0)
			print_error("case %zu: got '%s', want '%s'\n", i, got,
			            c->out);
		assert_string_equal(got, c->out);
		assert_int_equal(
		        xc_sanitize_clean(c->in, strlen(c->in), c->flags),
		        same);
		free(got);
	}
}

/* Whatever the input, nothing below 0x20, no DEL, no C1, no bidi control
 * and no invalid UTF-8 comes out. */
static void test_sanitize__every_byte(void **state)
{
	char in[4];
	char *out;
	int a;
	int b;

	(void)state;
	for (a = 1; a < 256; a++) {
		for (b = 1; b < 256; b++) {
			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = (char)0x80;
			in[3] = '\0';
			out = xc_sanitize_dup(in, 0);
			assert_true(xc_sanitize_clean(out, strlen(out), 0));
			free(out);
		}
	}
}

static void test_sanitize__embedded_nul_and_buf(void **state)
{
	struct xc_buf b;

	(void)state;
	xc_buf_init(&b, 0);
	assert_int_equal(xc_sanitize_buf(&b, "a\0b\x1b", 4, 0), 0);
	assert_string_equal(xc_buf_cstr(&b), "a\\x00b\\x1b");
	xc_buf_release(&b);
	/* A cap is honoured. */
	xc_buf_init(&b, 6);
	assert_int_equal(xc_sanitize_buf(&b, "abc\x1b", 4, 0), -2);
	xc_buf_release(&b);
}

static void test_sanitize__fputs(void **state)
{
	char out[128];
	FILE *fp = fmemopen(out, sizeof(out), "w");

	(void)state;
	assert_non_null(fp);
	xc_sanitize_fputs("ok \x1b]0;title\x07 \xe2\x80\xae|", fp, 0);
	xc_sanitize_fputs(NULL, fp, 0);
	xc_sanitize_fputs("|", fp, XC_SANITIZE_MARKDOWN);
	fclose(fp);
	assert_string_equal(out, "ok \\x1b]0;title\\x07 \\u202e|\\|");
}

static void test_sanitize__pool(void **state)
{
	struct xc_sanitize_pool z;
	const char *clean = "Z\xc3\xbcrich";
	const char *a;
	const char *b;

	(void)state;
	xc_sanitize_pool_init(&z, 0);
	/* A clean value is returned as it is, without a copy. */
	assert_ptr_equal(xc_sanitize_str(&z, clean), clean);
	assert_null(xc_sanitize_str(&z, NULL));
	a = xc_sanitize_str(&z, "\x1b[31m");
	b = xc_sanitize_str(&z, "x\ny");
	assert_string_equal(a, "\\x1b[31m");
	assert_string_equal(b, "x\\ny");
	assert_int_equal(z.n, 2);
	xc_sanitize_pool_release(&z);
	assert_int_equal(z.n, 0);
	xc_sanitize_pool_init(&z, XC_SANITIZE_MARKDOWN);
	assert_string_equal(xc_sanitize_str(&z, "a|b"), "a\\|b");
	xc_sanitize_pool_release(&z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sanitize__cases),
	        cmocka_unit_test(test_sanitize__every_byte),
	        cmocka_unit_test(test_sanitize__embedded_nul_and_buf),
	        cmocka_unit_test(test_sanitize__fputs),
	        cmocka_unit_test(test_sanitize__pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
