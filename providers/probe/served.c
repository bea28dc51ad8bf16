/* SPDX-License-Identifier: MIT */
#include "providers/probe/served.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "providers/lb/lb.h"
#include "providers/probe/probe.h"
#include "state/clock.h"
#include "state/url.h"
#include "state/xalloc.h"

/* A probe of the observation: long enough for a slow server, short
 * enough that one dead endpoint does not hold up a plan. */
enum { OBSERVE_TIMEOUT_MS = 10000, OBSERVE_DEADLINE_MS = 20000 };

/* The URL and connect_to of a verify entry ("URL via ADDR"), as the probe
 * takes them; free with targets_free. */
static struct xc_probe_target *targets_of(const char *const *entries, size_t n)
{
	struct xc_probe_target *t = xc_xcalloc(n + 1, sizeof(*t));
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(entries[i]) + 1;
		char *url = xc_xmalloc(len);
		char *via = xc_xmalloc(len);

		xc_verify_entry_split(entries[i], url, via, len);
		t[i].url = url;
		t[i].connect_to = via[0] ? via : NULL;
		if (!via[0])
			free(via);
	}
	return t;
}

static void targets_free(struct xc_probe_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)t[i].url);
		free((char *)t[i].connect_to);
	}
	free(t);
}

static void observe_endpoints(struct xc_observation *o,
                              const struct xc_config *cfg)
{
	const char **e = NULL;
	struct xc_probe_target *t;
	struct xc_probe_result *r;
	struct xc_probe_opts opts;
	struct xc_error err;
	size_t n = 0;
	size_t cap = 0;
	size_t i;
	size_t j;
	size_t k;

	/* Each entry once, however many certificates name it. */
	for (i = 0; i < cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(cfg)[i];

		for (j = 0; j < c->verify.n; j++) {
			for (k = 0; k < n; k++)
				if (strcmp(e[k], c->verify.v[j].v) == 0)
					break;
			if (k < n)
				continue;
			xc_xgrow((void **)&e, &cap, n + 1, sizeof(*e));
			e[n++] = c->verify.v[j].v;
		}
	}
	if (!n)
		return;
	t = targets_of(e, n);
	r = xc_xcalloc(n, sizeof(*r));
	memset(&opts, 0, sizeof(opts));
	opts.timeout_ms = OBSERVE_TIMEOUT_MS;
	opts.deadline_ms = OBSERVE_DEADLINE_MS;
	xc_error_clear(&err);
	if (xc_probe_run(t, n, &opts, r, &err) < 0) {
		for (k = 0; k < n; k++)
			xc_error_set(&r[k].err, err.code, "%s", err.msg);
	}
	for (i = 0; i < cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(cfg)[i];

		for (j = 0; j < c->verify.n; j++)
			for (k = 0; k < n; k++)
				if (strcmp(e[k], c->verify.v[j].v) == 0)
					xc_observation_add_served(
					        o, c->name.v, e[k], false,
					        r[k].served ? r[k].thumbprint
					                    : NULL,
					        r[k].err.msg);
	}
	for (k = 0; k < n; k++)
		xc_probe_result_release(&r[k]);
	free(r);
	targets_free(t, n);
	free(e);
}

static void observe_lbs(struct xc_observation *o, const struct xc_config *cfg)
{
	size_t i;
	size_t j;

	for (i = 0; i < cfg->certificates.n; i++) {
		const struct xc_cert *c = &XC_CERTS(cfg)[i];

		for (j = 0; j < c->load_balancers.n; j++) {
			const char *name = c->load_balancers.v[j].v;
			const struct xc_lb *lb = xc_config_lb(cfg, name);
			struct xc_error err;
			char thumb[41];

			xc_error_clear(&err);
			if (!lb)
				xc_error_set(&err, XC_ENOTFOUND,
				             "no load balancer '%s'", name);
			else if (xc_lb_served(lb, c->domains.v[0].v, thumb,
			                      &err) == 0) {
				xc_observation_add_served(o, c->name.v, name,
				                          true, thumb, NULL);
				continue;
			}
			xc_observation_add_served(o, c->name.v, name, true,
			                          NULL, err.msg);
		}
	}
}

void xc_observe_served(struct xc_observation *o, const struct xc_config *cfg)
{
	observe_endpoints(o, cfg);
	observe_lbs(o, cfg);
}

int xc_served_wait(const char *const *urls, size_t n, const char *thumbprint,
                   unsigned timeout_s, char *detail, size_t size,
                   struct xc_error *err)
{
	struct xc_probe_target *all = targets_of(urls, n);
	struct xc_probe_target *t = xc_xcalloc(n + 1, sizeof(*t));
	struct xc_probe_result *r = xc_xcalloc(n + 1, sizeof(*r));
	bool *good = xc_xcalloc(n + 1, sizeof(bool));
	double end = xc_clock_seconds() + timeout_s;
	double pause = 0.25;
	unsigned rounds = 0;
	size_t left = n;
	size_t i;
	int rc = 0;

	for (;;) {
		struct xc_probe_opts opts;
		size_t m = 0;
		double now;

		memset(&opts, 0, sizeof(opts));
		opts.timeout_ms = 10000;
		for (i = 0; i < n; i++) {
			if (good[i])
				continue;
			xc_probe_result_release(&r[i]);
			t[m++] = all[i];
		}
		rounds++;
		{
			struct xc_probe_result *rr =
			        xc_xcalloc(m + 1, sizeof(*rr));
			size_t k = 0;

			/* Each result goes to its endpoint's slot in r,
			 * which owns it from then on. */
			rc = xc_probe_run(t, m, &opts, rr, err);
			for (i = 0; rc == 0 && i < n; i++) {
				if (good[i])
					continue;
				r[i] = rr[k++];
				if (r[i].served &&
				    strcasecmp(r[i].thumbprint, thumbprint) ==
				            0) {
					good[i] = true;
					left--;
				}
			}
			for (k = 0; rc < 0 && k < m; k++)
				xc_probe_result_release(&rr[k]);
			free(rr);
		}
		if (rc < 0 || !left)
			break;
		now = xc_clock_seconds();
		if (now + pause > end)
			break;
		xc_sleep_ms((long long)((pause)*1000), NULL);
		pause = pause * 2 > 5 ? 5 : pause * 2;
	}
	if (rc == 0 && !left) {
		snprintf(detail, size, "%zu endpoint%s serve%s %s", n,
		         n == 1 ? "" : "s", n == 1 ? "s" : "", thumbprint);
	} else if (rc == 0) {
		char what[900];
		size_t at = 0;
		size_t shown = 0;

		what[0] = '\0';
		for (i = 0; i < n && at < sizeof(what); i++) {
			int w;

			if (good[i])
				continue;
			if (shown == 3) {
				snprintf(what + at, sizeof(what) - at,
				         "; and %zu more", left - shown);
				break;
			}
			w = r[i].served
			            ? snprintf(what + at, sizeof(what) - at,
			                       "%s%s serves %s, not %s",
			                       shown ? "; " : "", urls[i],
			                       r[i].thumbprint, thumbprint)
			            : snprintf(what + at, sizeof(what) - at,
			                       "%s%s: %s", shown ? "; " : "",
			                       urls[i], r[i].err.msg);
			if (w > 0)
				at += (size_t)w;
			shown++;
		}
		rc = xc_error_set(
		        err, XC_ERR, "%s (still so after %u probe%s in %u s)",
		        what, rounds, rounds == 1 ? "" : "s", timeout_s);
	}
	for (i = 0; i < n; i++)
		xc_probe_result_release(&r[i]);
	free(r);
	free(t);
	targets_free(all, n);
	free(good);
	return rc;
}
