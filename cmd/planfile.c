/* SPDX-License-Identifier: MIT */
#include "cmd/planfile.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/version.h"
#include "state/buf.h"
#include "state/obsfile.h"
#include "state/services.h"
#include "state/store.h"
#include "state/xalloc.h"

/* A saved plan is small next to an observation; this bounds a bad file. */
#define PLAN_MAX ((size_t)512 * 1024 * 1024)

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *step_json(const struct xc_step *s)
{
	json_t *deps = json_array();
	json_t *o;
	size_t j;

	for (j = 0; j < s->ndeps; j++)
		json_array_append_new(deps, json_integer(s->deps[j]));
	o = json_pack("{s:i,s:s,s:s,s:o,s:s,s:o,s:b,s:b}", "id", s->id, "kind",
	              xc_step_kinds[s->kind].name, "certificate", s->cert,
	              "server", str_or_null(s->server), "reason", s->reason,
	              "depends_on", deps, "destructive", s->destructive,
	              "conditional", s->conditional);
	if (s->thumbprint[0])
		json_object_set_new(o, "thumbprint",
		                    json_string(s->thumbprint));
	if (s->kind == XC_STEP_ENABLE) {
		char svc[100];

		xc_services_format(s->services, svc, sizeof(svc));
		json_object_set_new(o, "services", json_string(svc));
		if (s->replace_transport)
			json_object_set_new(o, "replace_transport",
			                    json_true());
	}
	if (s->kind == XC_STEP_SET_CONNECTOR || s->kind == XC_STEP_SET_HYBRID) {
		json_object_set_new(o, "connector", str_or_null(s->connector));
		if (s->kind == XC_STEP_SET_CONNECTOR)
			json_object_set_new(
			        o, "connector_kind",
			        json_string(s->send ? "send" : "receive"));
		json_object_set_new(o, "value", str_or_null(s->value));
		json_object_set_new(o, "old_value", str_or_null(s->old_value));
	}
	if (s->service)
		json_object_set_new(o, "service", json_string(s->service));
	if (s->issuer)
		json_object_set_new(o, "issuer", json_string(s->issuer));
	if (s->lb)
		json_object_set_new(o, "load_balancer", json_string(s->lb));
	if (s->from_server)
		json_object_set_new(o, "from", json_string(s->from_server));
	if (s->reuse_request[0])
		json_object_set_new(o, "reuses_request",
		                    json_string(s->reuse_request));
	return o;
}

json_t *xc_plan_json(const struct xc_plan *p, const struct xc_cmd_source *src,
                     const char *org)
{
	json_t *steps = json_array();
	json_t *notes = json_array();
	json_t *unfixed = json_array();
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		json_array_append_new(steps, step_json(&p->steps[i]));
	for (i = 0; i < p->nnotes; i++)
		json_array_append_new(notes, json_string(p->notes[i]));
	for (i = 0; i < p->unfixed; i++)
		json_array_append_new(unfixed,
		                      json_string(p->unfixed_notes[i]));
	return json_pack(
	        "{s:i,s:s,s:{s:s,s:o,s:b},s:o,s:o,s:o,s:{s:i,s:i,s:i,s:i}}",
	        "format_version", 1, "organization", org, "source", "file",
	        src->label, "commit", str_or_null(src->commit), "dirty",
	        src->dirty, "steps", steps, "unfixed", unfixed, "notes", notes,
	        "summary", "steps", (json_int_t)p->nsteps, "destructive",
	        (json_int_t)xc_plan_destructive(p), "blocked",
	        (json_int_t)p->blocked, "unfixed", (json_int_t)p->unfixed);
}

int xc_plan_save(const char *path, const struct xc_plan *p,
                 const struct xc_cmd_source *src, const char *org,
                 const struct xc_plan_basis *basis, struct xc_error *err)
{
	json_t *doc = xc_plan_json(p, src, org);
	json_t *targets = json_array();
	json_t *facts = json_array();
	char digest[65];
	char when[32];
	time_t tt = (time_t)basis->planned_for;
	struct tm tm;
	char *text;
	int rc;
	size_t i;

	for (i = 0; i < basis->ntargets; i++)
		json_array_append_new(targets, json_string(basis->targets[i]));
	for (i = 0; i < basis->nfacts; i++)
		json_array_append_new(facts, json_string(basis->facts[i]));
	xc_facts_digest(basis->facts, basis->nfacts, digest);
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(doc, "saved",
	                    json_pack("{s:s,s:s,s:s,s:I,s:o,s:{s:s,s:o}}",
	                              "excert_version", XC_VERSION,
	                              "config_sha256", src->sha256,
	                              "planned_for", when, "planned_for_epoch",
	                              (json_int_t)basis->planned_for, "targets",
	                              targets, "observation", "fingerprint",
	                              digest, "facts", facts));
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return xc_error_set(err, XC_ENOMEM, "cannot write '%s'", path);
	rc = xc_write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	return rc;
}

/* ---- reading ----------------------------------------------------------- */

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : NULL;
}

static int step_from_json(struct xc_step *s, json_t *o, size_t index,
                          const char *path, struct xc_error *err)
{
	const char *kind = str(o, "kind");
	json_t *deps = json_object_get(o, "depends_on");
	const char *v;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->target = -1;
	s->kind = XC_STEP_KINDS;
	for (i = 0; kind && i < XC_STEP_KINDS; i++)
		if (strcmp(kind, xc_step_kinds[i].name) == 0)
			s->kind = (enum xc_step_kind)i;
	s->id = (int)json_integer_value(json_object_get(o, "id"));
	s->cert = str(o, "certificate");
	s->reason = xc_xstrdup(str(o, "reason") ? str(o, "reason") : "");
	if (s->kind == XC_STEP_KINDS || s->id != (int)index + 1 || !s->cert)
		return xc_error_set(err, XC_EINVAL,
		                    "%s: step %zu is not a step of excert's",
		                    path, index + 1);
	s->server = str(o, "server");
	s->destructive = json_is_true(json_object_get(o, "destructive"));
	s->conditional = json_is_true(json_object_get(o, "conditional"));
	if ((v = str(o, "thumbprint")))
		snprintf(s->thumbprint, sizeof(s->thumbprint), "%s", v);
	if ((v = str(o, "reuses_request")))
		snprintf(s->reuse_request, sizeof(s->reuse_request), "%s", v);
	s->from_server = str(o, "from");
	s->connector = str(o, "connector");
	s->send = (v = str(o, "connector_kind")) && strcmp(v, "send") == 0;
	s->service = str(o, "service");
	s->issuer = str(o, "issuer");
	s->lb = str(o, "load_balancer");
	s->replace_transport =
	        json_is_true(json_object_get(o, "replace_transport"));
	if ((v = str(o, "services"))) {
		char *copy = xc_xstrdup(v);
		char *save = NULL;
		char *tok;

		for (tok = strtok_r(copy, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save))
			s->services |= xc_service_parse(tok);
		free(copy);
	}
	if ((v = str(o, "value")))
		s->value = xc_xstrdup(v);
	if ((v = str(o, "old_value")))
		s->old_value = xc_xstrdup(v);
	s->ndeps = json_array_size(deps);
	s->capdeps = s->ndeps;
	s->deps = xc_xcalloc(s->ndeps + 1, sizeof(int));
	for (i = 0; i < s->ndeps; i++) {
		s->deps[i] = (int)json_integer_value(json_array_get(deps, i));
		if (s->deps[i] < 1 || s->deps[i] >= s->id)
			return xc_error_set(
			        err, XC_EINVAL,
			        "%s: step %d depends on step %d, which does not come before it",
			        path, s->id, s->deps[i]);
	}
	return 0;
}

int xc_plan_load(struct xc_saved_plan *out, const char *path,
                 struct xc_error *err)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *steps;
	json_t *notes;
	json_t *saved;
	json_t *arr;
	const char *v;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = xc_read_file(path, PLAN_MAX, &text, &len, err)) < 0)
		return rc;
	out->doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!out->doc)
		return xc_error_set(err, XC_EINVAL, "%s:%d:%d: error: %s", path,
		                    jerr.line, jerr.column, jerr.text);
	steps = json_object_get(out->doc, "steps");
	notes = json_object_get(out->doc, "notes");
	saved = json_object_get(out->doc, "saved");
	out->organization = str(out->doc, "organization");
	if (json_integer_value(json_object_get(out->doc, "format_version")) !=
	            1 ||
	    !json_is_array(steps) || !out->organization) {
		rc = xc_error_set(err, XC_EINVAL,
		                  "%s: not an excert plan (format_version 1)",
		                  path);
		goto fail;
	}
	if (!json_is_object(saved)) {
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "%s: a plan printed with --format json, not saved with excert plan -o: it lacks what apply checks",
		        path);
		goto fail;
	}
	out->plan.steps =
	        xc_xcalloc(json_array_size(steps) + 1, sizeof(struct xc_step));
	for (i = 0; i < json_array_size(steps); i++) {
		out->plan.nsteps = i + 1;
		if ((rc = step_from_json(&out->plan.steps[i],
		                         json_array_get(steps, i), i, path,
		                         err)) < 0)
			goto fail;
	}
	out->plan.notes =
	        xc_xcalloc(json_array_size(notes) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(notes); i++)
		if ((v = json_string_value(json_array_get(notes, i))))
			out->plan.notes[out->plan.nnotes++] = xc_xstrdup(v);
	out->plan.blocked = (size_t)json_integer_value(json_object_get(
	        json_object_get(out->doc, "summary"), "blocked"));
	{
		const json_t *u = json_object_get(out->doc, "unfixed");

		out->plan.unfixed_notes =
		        xc_xcalloc(json_array_size(u) + 1, sizeof(char *));
		for (i = 0; i < json_array_size(u); i++)
			if ((v = json_string_value(json_array_get(u, i))))
				out->plan.unfixed_notes[out->plan.unfixed++] =
				        xc_xstrdup(v);
	}
	v = str(json_object_get(out->doc, "source"), "file");
	snprintf(out->src.label, sizeof(out->src.label), "%s", v ? v : "?");
	v = str(json_object_get(out->doc, "source"), "commit");
	snprintf(out->src.commit, sizeof(out->src.commit), "%s", v ? v : "");
	out->src.dirty = json_is_true(
	        json_object_get(json_object_get(out->doc, "source"), "dirty"));
	out->config_sha256 = str(saved, "config_sha256");
	out->planned_for = (long long)json_integer_value(
	        json_object_get(saved, "planned_for_epoch"));
	snprintf(out->src.sha256, sizeof(out->src.sha256), "%s",
	         out->config_sha256 ? out->config_sha256 : "");
	arr = json_object_get(saved, "targets");
	for (i = 0; i < json_array_size(arr) && i < 64; i++)
		if ((v = json_string_value(json_array_get(arr, i))))
			out->targets[out->ntargets++] = v;
	out->fingerprint =
	        str(json_object_get(saved, "observation"), "fingerprint");
	arr = json_object_get(json_object_get(saved, "observation"), "facts");
	out->facts = xc_xcalloc(json_array_size(arr) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(arr); i++)
		if ((v = json_string_value(json_array_get(arr, i))))
			out->facts[out->nfacts++] = v;
	if (!out->config_sha256 || !out->fingerprint || !out->planned_for) {
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "%s: the saved part of the plan is incomplete", path);
		goto fail;
	}
	return 0;
fail:
	xc_saved_plan_release(out);
	return rc;
}

void xc_saved_plan_release(struct xc_saved_plan *sp)
{
	xc_plan_release(&sp->plan);
	free(sp->facts);
	json_decref(sp->doc);
	memset(sp, 0, sizeof(*sp));
}
