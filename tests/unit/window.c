/* SPDX-License-Identifier: MIT */
/* Unit tests for reconcile/window.h: when a certificate is due for renewal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "reconcile/window.h"
#include "state/model.h"

#define DAY 86400LL
#define T0 1700000000LL /* 2023-11-14, an arbitrary not_before */

struct due_case {
	const char *what;
	bool before_set;
	long long before; /* seconds */
	bool percent_set;
	long long percent;
	long long not_before;
	long long not_after;
	long long due;
};

static const struct due_case due_cases[] = {
        /* Default: one third of the lifetime, not 33%. */
        {.what = "90-day default",
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 60 * DAY},
        {.what = "1-year default",
         .not_before = T0,
         .not_after = T0 + 366 * DAY,
         .due = T0 + 244 * DAY},
        {.what = "default, lifetime not divisible by 3",
         .not_before = 1000,
         .not_after = 1010,
         .due = 1007},
        {.what = "default, negative epoch times",
         .not_before = -90 * DAY,
         .not_after = 0,
         .due = -30 * DAY},
        /* renew_before. */
        {.what = "renew_before 30d on 90 days",
         .before_set = true,
         .before = 30 * DAY,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 60 * DAY},
        {.what = "renew_before 10d on 90 days",
         .before_set = true,
         .before = 10 * DAY,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 80 * DAY},
        {.what = "renew_before 1s",
         .before_set = true,
         .before = 1,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 90 * DAY - 1},
        {.what = "renew_before equal to the lifetime",
         .before_set = true,
         .before = 90 * DAY,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0},
        {.what = "renew_before longer than the lifetime: clamped to not_before",
         .before_set = true,
         .before = 100 * DAY,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0},
        {.what = "negative renew_before: clamped to not_after",
         .before_set = true,
         .before = -5 * DAY,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 90 * DAY},
        {.what = "zero renew_before: not_after",
         .before_set = true,
         .before = 0,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 90 * DAY},
        /* renew_before_percent. */
        {.what = "50% of 90 days",
         .percent_set = true,
         .percent = 50,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 45 * DAY},
        {.what = "33% of 90 days is not one third",
         .percent_set = true,
         .percent = 33,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 90 * DAY - 2566080},
        {.what = "10% of 100 days",
         .percent_set = true,
         .percent = 10,
         .not_before = T0,
         .not_after = T0 + 100 * DAY,
         .due = T0 + 90 * DAY},
        {.what = "1% of 100 days",
         .percent_set = true,
         .percent = 1,
         .not_before = T0,
         .not_after = T0 + 100 * DAY,
         .due = T0 + 99 * DAY},
        {.what = "99% of 100 days",
         .percent_set = true,
         .percent = 99,
         .not_before = T0,
         .not_after = T0 + 100 * DAY,
         .due = T0 + DAY},
        {.what = "50% of 101 seconds rounds towards not_after",
         .percent_set = true,
         .percent = 50,
         .not_before = 0,
         .not_after = 101,
         .due = 51},
        {.what = "25% of 7 seconds",
         .percent_set = true,
         .percent = 25,
         .not_before = 0,
         .not_after = 7,
         .due = 6},
        {.what = "100% is not_before",
         .percent_set = true,
         .percent = 100,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0},
        {.what = "150% clamped to not_before",
         .percent_set = true,
         .percent = 150,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0},
        {.what = "negative percent clamped to not_after",
         .percent_set = true,
         .percent = -10,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 90 * DAY},
        {.what = "50% of a lifetime near the range of long long",
         .percent_set = true,
         .percent = 50,
         .not_before = 0,
         .not_after = 9000000000000000000LL,
         .due = 4500000000000000000LL},
        /* renew_before wins when both are set (the loader refuses that). */
        {.what = "both set: renew_before wins",
         .before_set = true,
         .before = 10 * DAY,
         .percent_set = true,
         .percent = 50,
         .not_before = T0,
         .not_after = T0 + 90 * DAY,
         .due = T0 + 80 * DAY},
        /* No lifetime: due at once. */
        {.what = "zero lifetime", .not_before = T0, .not_after = T0, .due = T0},
        {.what = "zero lifetime with renew_before",
         .before_set = true,
         .before = 30 * DAY,
         .not_before = T0,
         .not_after = T0,
         .due = T0},
        {.what = "negative lifetime",
         .not_before = T0,
         .not_after = T0 - DAY,
         .due = T0},
        {.what = "negative lifetime with a percentage",
         .percent_set = true,
         .percent = 50,
         .not_before = T0,
         .not_after = T0 - 90 * DAY,
         .due = T0},
};

static void set_cert(struct xc_cert *c, const struct due_case *t)
{
	*c = (struct xc_cert){0};
	c->renew_before.set = t->before_set;
	c->renew_before.v = t->before;
	c->renew_before_percent.set = t->percent_set;
	c->renew_before_percent.v = t->percent;
}

static void test_due_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(due_cases) / sizeof(due_cases[0]); i++) {
		const struct due_case *t = &due_cases[i];
		struct xc_cert cert;
		long long due;

		set_cert(&cert, t);
		due = xc_renewal_due(&cert, t->not_before, t->not_after);
		if (due != t->due)
			fail_msg("%s: expected due at %+lld s, got %+lld s "
			         "(relative to not_before)",
			         t->what, t->due - t->not_before,
			         due - t->not_before);
	}
}

/* The trigger flips exactly at the due moment. */
static void test_needed_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(due_cases) / sizeof(due_cases[0]); i++) {
		const struct due_case *t = &due_cases[i];
		struct xc_cert cert;

		set_cert(&cert, t);
		if (xc_renewal_needed(&cert, t->not_before, t->not_after,
		                      t->due - 1))
			fail_msg("%s: needed one second before it is due",
			         t->what);
		if (!xc_renewal_needed(&cert, t->not_before, t->not_after,
		                       t->due))
			fail_msg("%s: not needed when due", t->what);
		if (!xc_renewal_needed(&cert, t->not_before, t->not_after,
		                       t->due + 1))
			fail_msg("%s: not needed after it is due", t->what);
	}
}

/* The story of a Let's Encrypt certificate under the defaults. */
static void test_ninety_day_story(void **state)
{
	struct xc_cert cert = {0};
	long long nb = T0;
	long long na = T0 + 90 * DAY;

	(void)state;
	assert_false(xc_renewal_needed(&cert, nb, na, nb));
	assert_false(xc_renewal_needed(&cert, nb, na, nb + 59 * DAY));
	assert_false(xc_renewal_needed(&cert, nb, na, na - 30 * DAY - 1));
	assert_true(xc_renewal_needed(&cert, nb, na, na - 30 * DAY));
	assert_true(xc_renewal_needed(&cert, nb, na, na - DAY));
	assert_true(xc_renewal_needed(&cert, nb, na, na));
	assert_true(xc_renewal_needed(&cert, nb, na, na + 365 * DAY));
	/* Before it is valid, nothing to do under the defaults. */
	assert_false(xc_renewal_needed(&cert, nb, na, nb - DAY));
}

/* Whatever the settings, the moment lies within the validity. */
static void test_within_validity(void **state)
{
	static const long long befores[] = {
	        1, DAY, 45 * DAY, 89 * DAY, 90 * DAY, 91 * DAY, 3660 * DAY};
	static const long long percents[] = {1, 2, 33, 34, 50, 66, 98, 99};
	long long nb = T0;
	long long na = T0 + 90 * DAY;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(befores) / sizeof(befores[0]); i++) {
		struct xc_cert c = {0};
		long long due;

		c.renew_before.set = true;
		c.renew_before.v = befores[i];
		due = xc_renewal_due(&c, nb, na);
		assert_in_range(due, nb, na);
	}
	for (i = 0; i < sizeof(percents) / sizeof(percents[0]); i++) {
		struct xc_cert c = {0};
		long long due;
		long long prev;

		c.renew_before_percent.set = true;
		c.renew_before_percent.v = percents[i];
		due = xc_renewal_due(&c, nb, na);
		assert_in_range(due, nb, na - 1);
		/* A larger share renews no later. */
		if (i > 0) {
			c.renew_before_percent.v = percents[i - 1];
			prev = xc_renewal_due(&c, nb, na);
			assert_true(due <= prev);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_due_table),
	        cmocka_unit_test(test_needed_table),
	        cmocka_unit_test(test_ninety_day_story),
	        cmocka_unit_test(test_within_validity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
