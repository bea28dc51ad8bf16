/* SPDX-License-Identifier: MIT */
/*
 * What plan, drift and apply share: their options, and the way from the
 * desired state to a plan (issuers, observation, what an interrupted apply
 * left, the plan itself).
 */
#ifndef XC_CMD_SESSION_H
#define XC_CMD_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cmd.h"
#include "providers/issuers.h"
#include "state/obsfile.h"
#include "reconcile/plan.h"
#include "state/observed.h"

enum xc_plan_opt {
	XC_O_TARGET = 100,
	XC_O_PARALLELISM,
	XC_O_DETAILED,
	XC_O_AUTO,
	XC_O_WAIT,
	XC_O_OBSERVATION,
	XC_O_OUT,
};

struct xc_plan_args {
	const char *targets[64];
	size_t ntargets;
	int parallelism; /* default 8 */
	bool detailed;
	bool auto_approve;
	int wait;
	const char *observation; /* --observation FILE: plan offline */
	const char *out;         /* plan -o PLAN */
	long long now;           /* apply PLAN: the plan's time; 0 = now */
};

/* The option handler for xc_cmd_parse; arg is a struct xc_plan_args. */
int xc_plan_args_handle(void *arg, int id, const char *value);

struct xc_session {
	struct xc_config *cfg; /* owned */
	char *base;            /* owned: excert.yaml's directory */
	struct xc_cmd_source src;
	struct xc_issuer_table facts;
	struct xc_observation obs;
	struct xc_issued *issued; /* owned */
	struct xc_plan_input in;
	struct xc_plan plan;
	bool planned;
	double observe_seconds; /* wall */
	double plan_ms;         /* CPU */
};

/* Reads the desired state (printing every problem); XC_EXIT_OK or the exit
 * code to return. */
int xc_session_load(struct xc_ctx *ctx, struct xc_session *s);

/*
 * Observes (printing every server that could not be observed), or reads
 * the observation file of a->observation; reads what store holds of
 * interrupted applies (store may be NULL), keeps a live observation there
 * as observation.json, and plans for a->now (0: xc_cmd_now()).
 * XC_EXIT_OK, or the exit code after printing why.
 */
int xc_session_plan(struct xc_session *s, const struct xc_plan_args *a,
                    struct xc_store *store);

/*
 * The state directory for a command that only reads it (plan, drift,
 * status): opened when it exists, or made when an ACME issuer needs it
 * for its renewal windows; NULL otherwise or on an error (plan goes on
 * without it).  No lock is taken.
 */
struct xc_store *xc_session_reading_store(const struct xc_ctx *ctx,
                                          const struct xc_config *cfg);

void xc_session_release(struct xc_session *s);

#endif
