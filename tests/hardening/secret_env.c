/* SPDX-License-Identifier: MIT */
/*
 * The environment a child gets (issue 18, 2): every variable an env:
 * reference names, once the reference is parsed, is left out of
 * xc_secret_child_env; the rest is kept, in order; building it from many
 * threads at once while references are parsed is safe (run under
 * valgrind or TSan to see it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/secret.h"

static bool has(char **envp, const char *name)
{
	size_t n = strlen(name);
	size_t i;

	for (i = 0; envp[i]; i++)
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return true;
	return false;
}

static void parse(const char *ref)
{
	enum xc_secret_kind kind;
	const char *what;
	char why[160];

	assert_true(xc_secret_ref_parse(ref, &kind, &what, why, sizeof(why)));
}

static void test_filtered(void **state)
{
	char **envp;

	(void)state;
	setenv("XC_T_EAB", "secret-value", 1);
	setenv("XC_T_EABX", "not a secret", 1);
	setenv("XC_T_PLAIN", "kept", 1);
	envp = xc_secret_child_env();
	assert_true(has(envp, "XC_T_EAB"));
	xc_secret_child_env_free(envp);

	parse("env:XC_T_EAB");
	parse("env:XC_T_EAB"); /* once is enough */
	parse("file:XC_T_PLAIN");
	envp = xc_secret_child_env();
	assert_false(has(envp, "XC_T_EAB"));
	assert_true(has(envp, "XC_T_EABX"));
	assert_true(has(envp, "XC_T_PLAIN"));
	assert_true(has(envp, "PATH") || !getenv("PATH"));
	xc_secret_child_env_free(envp);
	xc_secret_child_env_free(NULL);
}

static void *worker(void *arg)
{
	char name[32];
	int i;

	for (i = 0; i < 200; i++) {
		char **envp = xc_secret_child_env();

		if (has(envp, "XC_T_EAB"))
			abort();
		xc_secret_child_env_free(envp);
		snprintf(name, sizeof(name), "XC_T_%d_%d", *(int *)arg, i % 7);
		xc_secret_remember_env(name);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[8];
	int ids[8];
	int i;

	(void)state;
	parse("env:XC_T_EAB");
	for (i = 0; i < 8; i++) {
		ids[i] = i;
		assert_int_equal(pthread_create(&t[i], NULL, worker, &ids[i]),
		                 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_filtered),
	        cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
