/* SPDX-License-Identifier: MIT */
/*
 * Progress of an apply on stderr: on a terminal, the plan's steps as a list
 * redrawn in place as they run (colour unless NO_COLOR is set); otherwise,
 * or when the list would not fit the terminal, one plain line when a step
 * starts and one when it ends, which logs and CI keep well.
 *
 * Ownership: the progress borrows the plan and owns its copies of the
 * steps' details.
 */
#ifndef XC_CMD_PROGRESS_H
#define XC_CMD_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "reconcile/apply.h"
#include "reconcile/plan.h"

struct xc_progress {
	const struct xc_plan *plan;
	FILE *fp;
	bool live;
	bool color;
	int cols;
	int *state;    /* per step: enum xc_step_state, or -1 running */
	char **detail; /* per step, owned */
	size_t drawn;  /* lines of the last drawing */
};

/* Chooses the live list when fp is a terminal (not TERM=dumb) tall enough
 * for the plan, and EXCERT_PROGRESS is not "plain". */
void xc_progress_init(struct xc_progress *p, const struct xc_plan *plan,
                      FILE *fp);

/* A step started (done false) or ended with res. */
void xc_progress_step(struct xc_progress *p, const struct xc_step *s,
                      const struct xc_step_result *res, bool done);

void xc_progress_release(struct xc_progress *p);

#endif
