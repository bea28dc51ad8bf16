/* SPDX-License-Identifier: MIT */
/* Unit tests for state/secret.h: env:NAME and file:PATH references. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/secret.h"

#define WHY_ENV "env: must name an environment variable (letters, digits, '_')"
#define WHY_FILE "file: must name a file"
#define WHY_INLINE \
	"secrets may not be written in excert.yaml: use a reference, env:NAME or file:PATH (the value is not shown)"

struct ref_case {
	const char *in;
	bool ok;
	enum xc_secret_kind kind; /* when ok */
	size_t what_off;          /* when ok: the name starts at in + off */
	const char *why;          /* exact reason when !ok */
};

static const struct ref_case ref_cases[] = {
        {.in = "env:EXCERT_WINRM_PASSWORD",
         .ok = true,
         .kind = XC_SECRET_ENV,
         .what_off = 4},
        {.in = "env:_x", .ok = true, .kind = XC_SECRET_ENV, .what_off = 4},
        {.in = "env:a1", .ok = true, .kind = XC_SECRET_ENV, .what_off = 4},
        {.in = "env:A", .ok = true, .kind = XC_SECRET_ENV, .what_off = 4},
        {.in = "file:/etc/excert/edge01.password",
         .ok = true,
         .kind = XC_SECRET_FILE,
         .what_off = 5},
        {.in = "file:secrets/tsig.key",
         .ok = true,
         .kind = XC_SECRET_FILE,
         .what_off = 5},
        {.in = "file:./with space/and:colon",
         .ok = true,
         .kind = XC_SECRET_FILE,
         .what_off = 5},
        /* Malformed environment variable names. */
        {.in = "env:", .why = WHY_ENV},
        {.in = "env:1PASSWORD", .why = WHY_ENV},
        {.in = "env:MY-PASSWORD", .why = WHY_ENV},
        {.in = "env:MY PASSWORD", .why = WHY_ENV},
        {.in = "env:$PASSWORD", .why = WHY_ENV},
        {.in = "env:PASS.WORD", .why = WHY_ENV},
        {.in = "env:P\xc3\x84SS", .why = WHY_ENV},
        {.in = "env: PASSWORD", .why = WHY_ENV},
        {.in = "env:PASSWORD ", .why = WHY_ENV},
        /* An empty file name. */
        {.in = "file:", .why = WHY_FILE},
        /* Not a reference: a value written inline. */
        {.in = "hunter2", .why = WHY_INLINE},
        {.in = "", .why = WHY_INLINE},
        {.in = "ENV:PASSWORD", .why = WHY_INLINE},
        {.in = "File:/etc/pw", .why = WHY_INLINE},
        {.in = "env=PASSWORD", .why = WHY_INLINE},
        {.in = " env:PASSWORD", .why = WHY_INLINE},
        {.in = "envPASSWORD", .why = WHY_INLINE},
        {.in = "vault:secret/excert", .why = WHY_INLINE},
};

static void test_ref_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ref_cases) / sizeof(ref_cases[0]); i++) {
		const struct ref_case *t = &ref_cases[i];
		enum xc_secret_kind kind = (enum xc_secret_kind) - 1;
		const char *what = NULL;
		char why[256] = "";
		bool ok = xc_secret_ref_parse(t->in, &kind, &what, why,
		                              sizeof(why));

		if (ok != t->ok)
			fail_msg("'%s': expected %s, got %s (%s)", t->in,
			         t->ok ? "a reference" : "refused",
			         ok ? "a reference" : "refused", why);
		if (!ok) {
			if (strcmp(why, t->why) != 0)
				fail_msg(
				        "'%s': expected reason \"%s\", got \"%s\"",
				        t->in, t->why, why);
			continue;
		}
		if (kind != t->kind)
			fail_msg("'%s': expected kind %d, got %d", t->in,
			         (int)t->kind, (int)kind);
		/* Borrowed from s, not copied. */
		if (what != t->in + t->what_off)
			fail_msg(
			        "'%s': name not borrowed from the input at +%zu",
			        t->in, t->what_off);
	}
}

/*
 * Whatever was pasted where a reference belongs, the reason never repeats
 * it, nor any recognisable part of it.
 */
static void test_value_never_shown(void **state)
{
	static const char *const pasted[] = {
	        "hunter2",
	        "P@ssw0rd!2024",
	        "correct horse battery staple",
	        "-----BEGIN PRIVATE KEY-----",
	        "env:S3cr3t-Value!",
	        "env:9secret",
	        "env:has space",
	        "ZW52OnNlY3JldA==",
	        "hmac-sha256:c2VjcmV0",
	        "filesecret",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pasted) / sizeof(pasted[0]); i++) {
		enum xc_secret_kind kind;
		const char *what;
		char why[512] = "";
		const char *tail;

		if (xc_secret_ref_parse(pasted[i], &kind, &what, why,
		                        sizeof(why)))
			fail_msg("'%s' accepted as a reference", pasted[i]);
		if (why[0] == '\0')
			fail_msg("'%s': no reason given", pasted[i]);
		if (strstr(why, pasted[i]) != NULL)
			fail_msg("'%s': the reason shows it: %s", pasted[i],
			         why);
		/* Nor the part after an env: prefix. */
		tail = strncmp(pasted[i], "env:", 4) == 0 ? pasted[i] + 4
		                                          : pasted[i];
		if (strstr(why, tail) != NULL)
			fail_msg("'%s': the reason shows '%s': %s", pasted[i],
			         tail, why);
	}
}

/* xc_secret_resolve: the value from the environment or a file (one final
 * newline dropped), and errors that name the reference, not the value. */
static void test_resolve(void **state)
{
	char dir[] = "/tmp/xc-secret-XXXXXX";
	char path[64];
	struct xc_error err;
	char *v = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	setenv("XC_TEST_SECRET", "s3cr3t-value", 1);
	assert_int_equal(
	        xc_secret_resolve("env:XC_TEST_SECRET", NULL, &v, &len, &err),
	        0);
	assert_string_equal(v, "s3cr3t-value");
	assert_int_equal(len, 12);
	free(v);
	unsetenv("XC_TEST_SECRET");
	assert_int_equal(
	        xc_secret_resolve("env:XC_TEST_SECRET", NULL, &v, &len, &err),
	        XC_ENOTFOUND);
	assert_string_equal(
	        err.msg,
	        "secret env:XC_TEST_SECRET: the variable is not set or empty");
	assert_int_equal(xc_secret_resolve("hunter2", NULL, &v, &len, &err),
	                 XC_EINVAL);
	assert_null(strstr(err.msg, "hunter2"));

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("from-a-file\r\n", fp);
	fclose(fp);
	assert_int_equal(xc_secret_resolve("file:key", dir, &v, &len, &err), 0);
	assert_string_equal(v, "from-a-file");
	free(v);
	unlink(path);
	assert_int_equal(xc_secret_resolve("file:key", dir, &v, &len, &err),
	                 XC_ENOTFOUND);
	assert_non_null(strstr(err.msg, "secret file:key: cannot open"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ref_table),
	        cmocka_unit_test(test_value_never_shown),
	        cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
