/* SPDX-License-Identifier: MIT */
/* Unit tests for state/suggest.h: edit distance and "did you mean". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "state/suggest.h"

struct distance_case {
	const char *a;
	const char *b;
	size_t d;
};

static const struct distance_case distance_cases[] = {
        {.a = "", .b = "", .d = 0},
        {.a = "", .b = "abc", .d = 3},
        {.a = "abc", .b = "abc", .d = 0},
        {.a = "kitten", .b = "sitting", .d = 3},
        {.a = "flaw", .b = "lawn", .d = 2},
        {.a = "abc", .b = "xyz", .d = 3},
        /* Insertion, deletion, substitution. */
        {.a = "renew_befor", .b = "renew_before", .d = 1},
        {.a = "renewbefore", .b = "renew_before", .d = 1},
        {.a = "renew_bafore", .b = "renew_before", .d = 1},
        /* Transposition of adjacent characters counts one. */
        {.a = "ab", .b = "ba", .d = 1},
        {.a = "hybird", .b = "hybrid", .d = 1},
        {.a = "sevrices", .b = "services", .d = 1},
        {.a = "renew_befoer", .b = "renew_before", .d = 1},
        {.a = "abcd", .b = "badc", .d = 2},
        /* Letters compare without regard to case. */
        {.a = "IIS", .b = "iis", .d = 0},
        {.a = "Domains", .b = "domains", .d = 0},
        {.a = "SMPT", .b = "SMTP", .d = 1},
        {.a = "Domian", .b = "domain", .d = 1},
};

static void test_distance_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(distance_cases) / sizeof(distance_cases[0]);
	     i++) {
		const struct distance_case *t = &distance_cases[i];
		size_t ab = xc_edit_distance(t->a, t->b);
		size_t ba = xc_edit_distance(t->b, t->a);

		if (ab != t->d)
			fail_msg("distance('%s', '%s'): expected %zu, got %zu",
			         t->a, t->b, t->d, ab);
		if (ba != t->d)
			fail_msg("distance('%s', '%s'): expected %zu, got %zu",
			         t->b, t->a, t->d, ba);
	}
}

/* Long strings are capped at 100 rather than computed. */
static void test_distance_cap(void **state)
{
	char a[160];
	char b[160];

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	a[100] = '\0';
	b[100] = '\0';
	/* 100 characters are still computed exactly. */
	assert_int_equal(xc_edit_distance(a, b), 100);
	b[50] = '\0';
	assert_int_equal(xc_edit_distance(a, b), 100);
	memset(b, 'a', 50);
	assert_int_equal(xc_edit_distance(a, b), 50);
	/* Past 100: the cap. */
	a[100] = 'a';
	a[150] = '\0';
	assert_int_equal(xc_edit_distance(a, "a"), 100);
	assert_int_equal(xc_edit_distance("", a), 100);
}

static const char *const cert_keys[] = {
        "name",
        "subject",
        "domains",
        "issuer",
        "key",
        "renew_before",
        "renew_before_percent",
        "servers",
        "services",
        "replace_transport_certificate",
        "connectors",
        "hybrid",
        "load_balancers",
        "verify",
        "remove_superseded",
        "friendly_name",
};

static const char *const transports[] = {"ssh", "winrm", "lab"};
static const char *const roles[] = {"mailbox", "edge"};

struct suggest_case {
	const char *word;
	const char *const *cands;
	size_t n;
	const char *want; /* NULL: no suggestion */
};

#define CERT_KEYS cert_keys, sizeof(cert_keys) / sizeof(cert_keys[0])
#define TRANSPORTS transports, sizeof(transports) / sizeof(transports[0])
#define ROLES roles, sizeof(roles) / sizeof(roles[0])

static const struct suggest_case suggest_cases[] = {
        /* Plausible typos. */
        {.word = "renew_befor", CERT_KEYS, .want = "renew_before"},
        {.word = "renewbefore", CERT_KEYS, .want = "renew_before"},
        {.word = "renew_before_percnt",
         CERT_KEYS,
         .want = "renew_before_percent"},
        {.word = "domain", CERT_KEYS, .want = "domains"},
        {.word = "Domains", CERT_KEYS, .want = "domains"},
        {.word = "sevrices", CERT_KEYS, .want = "services"},
        {.word = "servrs", CERT_KEYS, .want = "servers"},
        {.word = "isuer", CERT_KEYS, .want = "issuer"},
        {.word = "hybird", CERT_KEYS, .want = "hybrid"},
        {.word = "loadbalancers", CERT_KEYS, .want = "load_balancers"},
        {.word = "load-balancers", CERT_KEYS, .want = "load_balancers"},
        {.word = "friendlyname", CERT_KEYS, .want = "friendly_name"},
        {.word = "verfiy", CERT_KEYS, .want = "verify"},
        {.word = "remove_superceded", CERT_KEYS, .want = "remove_superseded"},
        {.word = "shh", TRANSPORTS, .want = "ssh"},
        {.word = "winrn", TRANSPORTS, .want = "winrm"},
        {.word = "WinRM", TRANSPORTS, .want = "winrm"},
        {.word = "labs", TRANSPORTS, .want = "lab"},
        {.word = "mailbx", ROLES, .want = "mailbox"},
        {.word = "Edge", ROLES, .want = "edge"},
        /* Unrelated words. */
        {.word = "colour", CERT_KEYS, .want = NULL},
        {.word = "timeout", CERT_KEYS, .want = NULL},
        {.word = "certificate", CERT_KEYS, .want = NULL},
        {.word = "expiry", CERT_KEYS, .want = NULL},
        {.word = "xyz", CERT_KEYS, .want = NULL},
        {.word = "", CERT_KEYS, .want = NULL},
        {.word = "rdp", TRANSPORTS, .want = NULL},
        {.word = "powershell", TRANSPORTS, .want = NULL},
        {.word = "hub", ROLES, .want = NULL},
        {.word = "transport", ROLES, .want = NULL},
        /* No candidates, no suggestion. */
        {.word = "renew_befor", .cands = cert_keys, .n = 0, .want = NULL},
};

static void test_suggest_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(suggest_cases) / sizeof(suggest_cases[0]); i++) {
		const struct suggest_case *t = &suggest_cases[i];
		const char *got = xc_suggest(t->word, t->cands, t->n);

		if (t->want == NULL && got != NULL)
			fail_msg("suggest('%s'): expected nothing, got '%s'",
			         t->word, got);
		if (t->want != NULL &&
		    (got == NULL || strcmp(got, t->want) != 0))
			fail_msg("suggest('%s'): expected '%s', got '%s'",
			         t->word, t->want, got ? got : "(none)");
	}
}

/* The suggestion is the candidate itself; the first of equals wins. */
static void test_suggest_borrowed_and_ties(void **state)
{
	static const char *const cands[] = {"abcx", "abcy", "abcz"};

	(void)state;
	assert_ptr_equal(xc_suggest("abcy", cands, 3), cands[1]);
	assert_ptr_equal(xc_suggest("abc", cands, 3), cands[0]);
	assert_ptr_equal(xc_suggest("abcw", cands, 3), cands[0]);
}

/* The threshold grows with the word: a third of its length, at least 2. */
static void test_suggest_threshold(void **state)
{
	static const char *const two[] = {"abxx"};
	static const char *const three[] = {"abxxx"};
	static const char *const long_cand[] = {"abcdefghixxxx"};
	static const char *const long_cand5[] = {"abcdefghixxxxx"};

	(void)state;
	/* "ab" (limit 2): two insertions still count, three do not. */
	assert_ptr_equal(xc_suggest("ab", two, 1), two[0]);
	assert_null(xc_suggest("ab", three, 1));
	/* "abcdefghi" (9 characters, limit 4). */
	assert_ptr_equal(xc_suggest("abcdefghi", long_cand, 1), long_cand[0]);
	assert_null(xc_suggest("abcdefghi", long_cand5, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_distance_table),
	        cmocka_unit_test(test_distance_cap),
	        cmocka_unit_test(test_suggest_table),
	        cmocka_unit_test(test_suggest_borrowed_and_ties),
	        cmocka_unit_test(test_suggest_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
