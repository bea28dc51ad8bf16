/* SPDX-License-Identifier: MIT */
/*
 * The steps of a plan in terms of the agent protocol: which operations, on
 * which server, with which values, and what to check before a destructive
 * one.  It talks to the world only through providers/provider.h.
 */
#ifndef XC_RECONCILE_RUNNER_H
#define XC_RECONCILE_RUNNER_H

#include "providers/provider.h"
#include "reconcile/apply.h"
#include "reconcile/plan.h"

struct xc_new_cert; /* what apply learns of a new certificate */

struct xc_run_ctx {
	const struct xc_plan_input *in; /* what the plan was made from */
	const struct xc_world *world;
	struct xc_new_cert *fresh; /* owned; one per certificate */
	size_t nfresh;
	long long started; /* the world's clock when the run began */
};

/* Prepares ctx; release with xc_run_release. */
void xc_run_init(struct xc_run_ctx *ctx, const struct xc_plan_input *in,
                 const struct xc_world *world);
void xc_run_release(struct xc_run_ctx *ctx);

/* The xc_step_run_fn for xc_apply; arg is a struct xc_run_ctx. */
int xc_run_step(void *arg, const struct xc_step *step,
                struct xc_step_result *res, struct xc_error *err);

#endif
