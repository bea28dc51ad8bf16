/* SPDX-License-Identifier: MIT */
/*
 * Plans as JSON (docs/plan-format.md): the document `plan --format json`
 * prints; a saved plan (`plan -o PLAN`), which is that document with what
 * `apply PLAN` checks before it acts (the desired state's digest and
 * commit, the time planned for, the targets, the observed facts and their
 * digest); and a saved plan read back for `show` and `apply`.
 */
#ifndef XC_CMD_PLANFILE_H
#define XC_CMD_PLANFILE_H

#include <jansson.h>
#include <stddef.h>

#include "cmd/cmd.h"
#include "reconcile/plan.h"
#include "state/error.h"

/* The plan document; caller owns the reference. */
json_t *xc_plan_json(const struct xc_plan *p, const struct xc_cmd_source *src,
                     const char *org);

/* What a saved plan records beside its steps. */
struct xc_plan_basis {
	long long planned_for; /* seconds since the epoch */
	const char *const *targets;
	size_t ntargets;
	char *const *facts; /* xc_observation_facts */
	size_t nfacts;
};

/* Writes the saved plan to path (atomically, 0644). */
int xc_plan_save(const char *path, const struct xc_plan *p,
                 const struct xc_cmd_source *src, const char *org,
                 const struct xc_plan_basis *basis, struct xc_error *err);

/* A saved plan read back.  Every string is borrowed from doc, which the
 * struct owns; plan.steps' reasons and values are owned by plan. */
struct xc_saved_plan {
	json_t *doc;
	struct xc_plan plan;
	struct xc_cmd_source src;
	const char *organization;
	const char *config_sha256;
	const char *fingerprint; /* of the facts */
	long long planned_for;
	const char *targets[64];
	size_t ntargets;
	const char **facts; /* owned array of borrowed strings */
	size_t nfacts;
};

/* Reads the saved plan at path; 0, or a negative xc_code with err saying
 * what is wrong with it. */
int xc_plan_load(struct xc_saved_plan *out, const char *path,
                 struct xc_error *err);

void xc_saved_plan_release(struct xc_saved_plan *sp);

#endif
