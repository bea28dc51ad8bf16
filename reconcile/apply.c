/* SPDX-License-Identifier: MIT */
#include "reconcile/apply.h"

#include <stdio.h>
#include <string.h>

int xc_apply(const struct xc_plan *p, const struct xc_runner *r,
             struct xc_step_result *results, struct xc_error *err)
{
	size_t i;
	size_t j;
	bool failed = false;

	for (i = 0; i < p->nsteps; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		results[i].state = XC_STEP_PENDING;
	}
	for (i = 0; i < p->nsteps; i++) {
		const struct xc_step *s = &p->steps[i];
		struct xc_step_result *res = &results[i];
		int rc;

		if (failed) {
			res->state = XC_STEP_NOT_RUN;
			continue;
		}
		/* Plans are made in dependency order; a step whose
		 * dependency did not finish is a bug, not a reason to go on. */
		for (j = 0; j < s->ndeps; j++) {
			int d = s->deps[j];

			if (d < 1 || d >= s->id ||
			    (results[d - 1].state != XC_STEP_DONE &&
			     results[d - 1].state != XC_STEP_SKIPPED)) {
				failed = true;
				res->state = XC_STEP_NOT_RUN;
				xc_error_set(
				        err, XC_ERR,
				        "step %d (%s) waits for step %d, which did not finish",
				        s->id, xc_step_kinds[s->kind].name, d);
				break;
			}
		}
		if (failed)
			continue;
		if (r->event)
			r->event(r->ctx, s, res, false);
		xc_error_clear(&res->err);
		rc = r->run(r->ctx, s, res, &res->err);
		if (rc < 0) {
			res->state = XC_STEP_FAILED;
			failed = true;
			*err = res->err;
			xc_error_prefix(err, "step %d (%s%s%s) failed: ", s->id,
			                xc_step_kinds[s->kind].name,
			                s->server ? " on " : "",
			                s->server ? s->server : "");
		} else {
			res->state = rc == 1 ? XC_STEP_SKIPPED : XC_STEP_DONE;
		}
		if (r->event)
			r->event(r->ctx, s, res, true);
	}
	return failed ? XC_ERR : 0;
}
