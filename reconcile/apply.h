/* SPDX-License-Identifier: MIT */
/*
 * Carrying a plan out.  The executor decides (order, what a failure means,
 * the last check before anything destructive); a runner supplied by the
 * providers does each step against the world.  The executor does no I/O.
 */
#ifndef XC_RECONCILE_APPLY_H
#define XC_RECONCILE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "reconcile/plan.h"
#include "state/error.h"

enum xc_step_state {
	XC_STEP_PENDING,
	XC_STEP_DONE,
	XC_STEP_SKIPPED, /* conditional and not needed, or nothing to do */
	XC_STEP_FAILED,
	XC_STEP_NOT_RUN, /* a step before it failed */
};

struct xc_step_result {
	enum xc_step_state state;
	char detail[512]; /* what happened ("thumbprint 1F0C...") */
	struct xc_error err;
};

/* Carries out one step; fills res->detail, or returns negative with err
 * set.  Returns 1 when the step turned out not to be needed (skipped). */
typedef int xc_step_run_fn(void *ctx, const struct xc_step *step,
                           struct xc_step_result *res, struct xc_error *err);

/* Told before and after each step (progress, journal); may be NULL. */
typedef void xc_step_event_fn(void *ctx, const struct xc_step *step,
                              const struct xc_step_result *res, bool done);

struct xc_runner {
	xc_step_run_fn *run;
	xc_step_event_fn *event;
	void *ctx;
};

/*
 * Runs the steps of p in order (every step's dependencies come before it),
 * stopping at the first failure: the steps after it are NOT_RUN, so nothing
 * destructive follows a failure.  results holds p->nsteps entries.
 * Returns 0 when every step is done or skipped, XC_ERR otherwise, with err
 * naming the failed step.
 */
int xc_apply(const struct xc_plan *p, const struct xc_runner *r,
             struct xc_step_result *results, struct xc_error *err);

#endif
