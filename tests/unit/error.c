/* SPDX-License-Identifier: MIT */
/* Unit tests for state/error.h: codes and prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "state/error.h"

static void test_prefix(void **state)
{
	struct xc_error err;

	(void)state;
	xc_error_set(&err, XC_EEXISTS, "import: certificate already there");
	xc_error_prefix(&err, "server '%s': ", "MS01");
	assert_string_equal(err.msg,
	                    "server 'MS01': import: certificate already there");
	assert_int_equal(err.code, XC_EEXISTS);
	assert_string_equal(xc_code_name(XC_EEXISTS), "already exists");
}

/* A long cause keeps its end (the root cause); the context is cut. */
static void test_prefix_cuts_context(void **state)
{
	struct xc_error err;
	char cause[sizeof(err.msg)];
	char ctx[200];
	size_t n;

	(void)state;
	memset(cause, 'c', 400);
	memcpy(cause + 400, "ROOT", sizeof("ROOT"));
	memset(ctx, 'x', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	xc_error_set(&err, XC_EIO, "%s", cause);
	xc_error_prefix(&err, "%s: ", ctx);
	n = strlen(err.msg);
	assert_int_equal(n, sizeof(err.msg) - 1);
	assert_string_equal(err.msg + n - strlen(cause), cause);
	assert_memory_equal(err.msg + n - strlen(cause) - 5, "...: ", 5);
	assert_int_equal(err.msg[0], 'x');

	/* A cause that fills the message alone stays as it is. */
	memset(cause, 'c', sizeof(cause) - 3);
	cause[sizeof(cause) - 3] = '\0';
	xc_error_set(&err, XC_EIO, "%s", cause);
	xc_error_prefix(&err, "%s: ", ctx);
	assert_string_equal(err.msg, cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_prefix),
	        cmocka_unit_test(test_prefix_cuts_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
