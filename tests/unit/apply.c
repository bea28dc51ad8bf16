/* SPDX-License-Identifier: MIT */
/* Unit tests for reconcile/apply.h: the executor with a fake runner. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "reconcile/apply.h"

/* The fake: step id -> what run returns; records the order of calls and
 * of events. */
struct fake {
	int answer[16]; /* 0 done, 1 skipped, -1 failed */
	int ran[16];
	size_t nran;
	int events;
};

static int fake_run(void *ctx, const struct xc_step *s,
                    struct xc_step_result *res, struct xc_error *err)
{
	struct fake *f = ctx;

	f->ran[f->nran++] = s->id;
	snprintf(res->detail, sizeof(res->detail), "ran %d", s->id);
	if (f->answer[s->id] < 0)
		return xc_error_set(err, XC_ERR, "no luck");
	return f->answer[s->id];
}

static void fake_event(void *ctx, const struct xc_step *s,
                       const struct xc_step_result *res, bool done)
{
	struct fake *f = ctx;

	(void)s;
	(void)res;
	(void)done;
	f->events++;
}

/* n steps; step k (1-based) depends on step k-1; the last is a remove. */
static void chain(struct xc_plan *p, struct xc_step *steps, int (*deps)[1],
                  size_t n)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	memset(steps, 0, n * sizeof(*steps));
	for (i = 0; i < n; i++) {
		steps[i].id = (int)i + 1;
		steps[i].kind = i + 1 == n ? XC_STEP_REMOVE : XC_STEP_ENABLE;
		steps[i].destructive = i + 1 == n;
		steps[i].server = "MS01";
		steps[i].target = -1;
		if (i) {
			deps[i][0] = (int)i;
			steps[i].deps = deps[i];
			steps[i].ndeps = 1;
		}
	}
	p->steps = steps;
	p->nsteps = n;
}

static void test_all_done(void **state)
{
	struct xc_plan p;
	struct xc_step steps[4];
	int deps[4][1];
	struct xc_step_result res[4];
	struct fake f = {{0}, {0}, 0, 0};
	struct xc_runner r = {fake_run, fake_event, &f};
	struct xc_error err;

	(void)state;
	chain(&p, steps, deps, 4);
	f.answer[2] = 1; /* skipped: dependants go on */
	xc_error_clear(&err);
	assert_int_equal(xc_apply(&p, &r, res, &err), 0);
	assert_int_equal(f.nran, 4);
	assert_int_equal(res[0].state, XC_STEP_DONE);
	assert_int_equal(res[1].state, XC_STEP_SKIPPED);
	assert_int_equal(res[3].state, XC_STEP_DONE);
	assert_int_equal(f.events, 8);
}

/* Nothing after a failure runs: the destructive step at the end is
 * NOT_RUN, and the error names the step that failed. */
static void test_stop_at_failure(void **state)
{
	struct xc_plan p;
	struct xc_step steps[4];
	int deps[4][1];
	struct xc_step_result res[4];
	struct fake f = {{0}, {0}, 0, 0};
	struct xc_runner r = {fake_run, NULL, &f};
	struct xc_error err;

	(void)state;
	chain(&p, steps, deps, 4);
	f.answer[2] = -1;
	xc_error_clear(&err);
	assert_int_equal(xc_apply(&p, &r, res, &err), XC_ERR);
	assert_int_equal(f.nran, 2);
	assert_int_equal(res[1].state, XC_STEP_FAILED);
	assert_int_equal(res[2].state, XC_STEP_NOT_RUN);
	assert_int_equal(res[3].state, XC_STEP_NOT_RUN);
	assert_string_equal(err.msg, "step 2 (enable on MS01) failed: no luck");
}

/* A dependency on a later (or missing) step is a bug in the plan: nothing
 * from there on runs. */
static void test_bad_dependency(void **state)
{
	struct xc_plan p;
	struct xc_step steps[3];
	int deps[3][1];
	struct xc_step_result res[3];
	struct fake f = {{0}, {0}, 0, 0};
	struct xc_runner r = {fake_run, NULL, &f};
	struct xc_error err;

	(void)state;
	chain(&p, steps, deps, 3);
	deps[1][0] = 3;
	xc_error_clear(&err);
	assert_int_equal(xc_apply(&p, &r, res, &err), XC_ERR);
	assert_int_equal(f.nran, 1);
	assert_int_equal(res[1].state, XC_STEP_NOT_RUN);
	assert_int_equal(res[2].state, XC_STEP_NOT_RUN);
	assert_non_null(strstr(err.msg, "waits for step 3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_all_done),
	        cmocka_unit_test(test_stop_at_failure),
	        cmocka_unit_test(test_bad_dependency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
