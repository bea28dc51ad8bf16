/* SPDX-License-Identifier: MIT */
/*
 * The plan: from the desired state and what was observed, the steps that
 * are needed and only those, each with its reason, its dependencies and
 * whether it destroys anything (DESIGN.md §5).  Pure logic: no I/O, no
 * clock (the time comes in), so that every rule is tested on tables.
 *
 * Ownership: a plan borrows names from the configuration it was made for
 * (cert, server, connector); it owns its reasons and values.
 */
#ifndef XC_RECONCILE_PLAN_H
#define XC_RECONCILE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "state/config.h"
#include "state/error.h"
#include "state/observed.h"

enum xc_step_kind {
	XC_STEP_REQUEST,
	XC_STEP_ISSUE,
	XC_STEP_IMPORT,
	XC_STEP_DISTRIBUTE,
	XC_STEP_ENABLE,
	XC_STEP_SET_CONNECTOR,
	XC_STEP_SET_HYBRID,
	XC_STEP_RESTART,
	XC_STEP_LB_UPDATE,
	XC_STEP_VERIFY,
	XC_STEP_REMOVE,
	XC_STEP_KINDS,
};

/*
 * What each step kind is, in one row: its name in plans, journals and saved
 * plans ("request", "set-connector", ...), its symbol in printed plans ('+'
 * adds, '~' changes or checks, '-' removes) and whether it destroys
 * anything.  Indexed by enum xc_step_kind; the runner dispatches on the same
 * enum through a table of its own (runner.c), checked against this one.
 */
struct xc_step_kind_info {
	const char *name;
	char symbol;
	bool destructive;
};
extern const struct xc_step_kind_info xc_step_kinds[XC_STEP_KINDS];

struct xc_step {
	int id; /* 1-based, in plan order */
	enum xc_step_kind kind;
	const char *cert;   /* desired certificate (borrowed) */
	const char *server; /* NULL for steps of the issuer or organisation */
	int target;         /* index of server among the certificate's
	                       servers, or -1 */
	char *reason;       /* owned; why the step is needed */
	int *deps; /* owned; ids of the steps that must be done first */
	size_t ndeps;
	size_t capdeps;
	bool destructive;
	bool conditional; /* needed only if a value known after apply says
	                     so (the issuer of a new certificate) */
	/* what the step acts on */
	char thumbprint[41];     /* "" = the new certificate, known after
	                            apply */
	char reuse_request[41];  /* request: a pending one reused */
	const char *from_server; /* distribute: the server holding it */
	unsigned services;       /* enable */
	bool replace_transport;  /* enable */
	const char *connector;   /* set-connector (borrowed) */
	bool send;               /* set-connector: send or receive */
	char *value;             /* set-*: the new TlsCertificateName; NULL
	                            = known after apply; owned */
	char *old_value;         /* set-*: the current one (display); owned */
	const char *service;     /* restart: "transport" or "iis" */
	const char *issuer;      /* issue: the issuer's name (borrowed) */
	const char *lb; /* lb-update: the load balancer's name (borrowed) */
};

struct xc_plan {
	struct xc_step *steps; /* owned */
	size_t nsteps;
	char **notes; /* owned; what the plan could not do, and why */
	size_t nnotes;
	size_t blocked;       /* certificates left alone because a target server
	                         could not be observed */
	char **unfixed_notes; /* owned: how excert.yaml and the organisation
	                         differ where no step can mend it (an
	                         endpoint serving another certificate, a
	                         connector that does not exist, a superseded
	                         certificate a TlsCertificateName needs, ...):
	                         drift exits 2 for them */
	size_t unfixed;
};

/* A certificate an earlier, interrupted apply had issued for a pending
 * request and not yet imported. */
struct xc_issued {
	const char *request; /* the pending request's thumbprint */
	const char *chain;   /* PEM, leaf first */
};

struct xc_plan_input {
	const struct xc_config *cfg;
	const struct xc_observation *obs;
	const struct xc_issuer_facts *facts;
	size_t nfacts;
	long long now;              /* seconds since the epoch */
	const char *const *targets; /* --target: certificate names; NULL =
	                               all */
	size_t ntargets;
	const struct xc_issued *issued; /* from the state directory */
	size_t nissued;
};

/* Makes the plan; 0 or a negative xc_code (a bad input) with err set. */
int xc_plan_make(struct xc_plan *out, const struct xc_plan_input *in,
                 struct xc_error *err);

void xc_plan_release(struct xc_plan *p);

/* Number of destructive steps. */
size_t xc_plan_destructive(const struct xc_plan *p);

#endif
