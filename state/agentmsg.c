/* SPDX-License-Identifier: MIT */
#include "state/agentmsg.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state/buf.h"
#include "state/services.h"
#include "state/xalloc.h"

#define BEGIN_MARK "-----BEGIN EXCERT REPLY-----"
#define END_MARK "-----END EXCERT REPLY-----"
/* A connector's name or a TlsCertificateName is bounded by the reply
 * alone: Exchange allows 64 characters of name, but one odd connector must
 * never make the whole organisation unobservable. */
#define NAME_MAX_BYTES XC_REPLY_MAX_BYTES

/* ---- requests -------------------------------------------------------- */

struct xc_request {
	json_t *doc;
	json_t *ops;
	char ids[64][8]; /* ids handed out, so that callers may keep them */
	size_t n;
};

struct xc_request *xc_request_new(const char *server)
{
	struct xc_request *r = xc_xcalloc(1, sizeof(*r));

	r->ops = json_array();
	r->doc = json_pack("{s:i,s:s,s:O}", "protocol", XC_PROTOCOL_VERSION,
	                   "server", server, "operations", r->ops);
	return r;
}

void xc_request_free(struct xc_request *r)
{
	if (!r)
		return;
	json_decref(r->ops);
	json_decref(r->doc);
	free(r);
}

size_t xc_request_count(const struct xc_request *r)
{
	return r->n;
}

/* Takes the reference to args. */
static const char *add_op(struct xc_request *r, const char *op, json_t *args)
{
	char *id;

	if (r->n >= sizeof(r->ids) / sizeof(r->ids[0]))
		XC_BUG("more than %zu operations in one batch",
		       sizeof(r->ids) / sizeof(r->ids[0]));
	id = r->ids[r->n];
	snprintf(id, sizeof(r->ids[0]), "%zu", r->n + 1);
	json_array_append_new(r->ops, json_pack("{s:s,s:s,s:o}", "id", id, "op",
	                                        op, "args", args));
	r->n++;
	return id;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

const char *xc_request_observe(struct xc_request *r)
{
	return add_op(r, "observe", json_object());
}

const char *xc_request_observe_org(struct xc_request *r)
{
	return add_op(r, "observe_org", json_object());
}

const char *xc_request_new_request(struct xc_request *r, const char *subject,
                                   const char *const *domains, size_t ndomains,
                                   int key_size, const char *friendly_name,
                                   bool exportable)
{
	json_t *d = json_array();
	size_t i;

	for (i = 0; i < ndomains; i++)
		json_array_append_new(d, json_string(domains[i]));
	return add_op(r, "new_request",
	              json_pack("{s:s,s:o,s:i,s:s,s:b}", "subject", subject,
	                        "domains", d, "key_size", key_size,
	                        "friendly_name", friendly_name, "exportable",
	                        exportable));
}

const char *xc_request_import(struct xc_request *r, const char *cert_b64,
                              const char *friendly_name)
{
	return add_op(r, "import",
	              json_pack("{s:s,s:o}", "certificate", cert_b64,
	                        "friendly_name", str_or_null(friendly_name)));
}

const char *xc_request_enable(struct xc_request *r, const char *thumbprint,
                              unsigned services, bool replace_transport)
{
	json_t *s = json_array();
	unsigned f;

	for (f = 1; f <= XC_SVC_UMCALLROUTER; f <<= 1)
		if (services & f)
			json_array_append_new(s,
			                      json_string(xc_service_name(f)));
	return add_op(r, "enable",
	              json_pack("{s:s,s:o,s:b}", "thumbprint", thumbprint,
	                        "services", s, "replace_transport_certificate",
	                        replace_transport));
}

const char *xc_request_export_pfx(struct xc_request *r, const char *thumbprint,
                                  const char *password)
{
	return add_op(r, "export_pfx",
	              json_pack("{s:s,s:s}", "thumbprint", thumbprint,
	                        "password", password));
}

const char *xc_request_import_pfx(struct xc_request *r, const char *pfx_b64,
                                  const char *password, bool exportable,
                                  const char *friendly_name)
{
	return add_op(r, "import_pfx",
	              json_pack("{s:s,s:s,s:b,s:o}", "pfx", pfx_b64, "password",
	                        password, "exportable", exportable,
	                        "friendly_name", str_or_null(friendly_name)));
}

const char *xc_request_set_send_connector(struct xc_request *r,
                                          const char *name,
                                          const char *tls_name)
{
	return add_op(r, "set_send_connector_tls",
	              json_pack("{s:s,s:s}", "name", name,
	                        "tls_certificate_name", tls_name));
}

const char *xc_request_set_receive_connector(struct xc_request *r,
                                             const char *identity,
                                             const char *tls_name)
{
	return add_op(r, "set_receive_connector_tls",
	              json_pack("{s:s,s:s}", "identity", identity,
	                        "tls_certificate_name", tls_name));
}

const char *xc_request_set_hybrid(struct xc_request *r, const char *tls_name)
{
	return add_op(r, "set_hybrid_tls",
	              json_pack("{s:s}", "tls_certificate_name", tls_name));
}

const char *xc_request_restart(struct xc_request *r, const char *service)
{
	return add_op(r, "restart", json_pack("{s:s}", "service", service));
}

const char *xc_request_remove(struct xc_request *r, const char *thumbprint)
{
	return add_op(r, "remove",
	              json_pack("{s:s}", "thumbprint", thumbprint));
}

const char *xc_request_place_http01(struct xc_request *r, const char *token,
                                    const char *content)
{
	return add_op(
	        r, "place_http01",
	        json_pack("{s:s,s:s}", "token", token, "content", content));
}

const char *xc_request_clear_http01(struct xc_request *r, const char *token)
{
	return add_op(r, "clear_http01", json_pack("{s:s}", "token", token));
}

const char *xc_request_lease(struct xc_request *r, const char *action,
                             const char *token, const char *owner, int ttl)
{
	return add_op(r, "lease",
	              json_pack("{s:s,s:s,s:s,s:i}", "action", action, "token",
	                        token, "owner", owner, "ttl", ttl));
}

char *xc_request_json(const struct xc_request *r)
{
	return json_dumps(r->doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* ---- helpers for reading untrusted JSON -------------------------- */

struct rd {
	struct xc_error *err;
	const char *ctx; /* "observe", "results[2]", ... */
	bool failed;
};

static void rd_fail(struct rd *rd, const char *what, const char *key)
{
	if (rd->failed)
		return;
	rd->failed = true;
	xc_error_set(rd->err, XC_EPROTO, "bad agent reply: %s: '%s' %s",
	             rd->ctx, key, what);
}

/* A string member; NULL when absent/null and optional. Borrowed. */
static const char *rd_str(struct rd *rd, const json_t *o, const char *key,
                          bool optional, size_t max)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (!optional)
			rd_fail(rd, "is missing", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		rd_fail(rd, "is not a string", key);
		return NULL;
	}
	if (json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		rd_fail(rd, "is too long or holds a NUL", key);
		return NULL;
	}
	return json_string_value(v);
}

static char *rd_dup(struct rd *rd, const json_t *o, const char *key,
                    bool optional, size_t max)
{
	const char *s = rd_str(rd, o, key, optional, max);

	return s ? xc_xstrdup(s) : NULL;
}

static bool rd_bool(struct rd *rd, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v)) {
		rd_fail(rd, "is not true or false", key);
		return false;
	}
	return json_is_true(v);
}

static long long rd_int(struct rd *rd, const json_t *o, const char *key,
                        long long min, long long max)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		rd_fail(rd, "is not a number in range", key);
		return 0;
	}
	return json_integer_value(v);
}

/* A thumbprint: 40 hex digits, stored upper-case; "" for null when
 * optional. */
static void rd_thumb(struct rd *rd, const json_t *o, const char *key,
                     bool optional, char out[41])
{
	const char *s = rd_str(rd, o, key, optional, 40);
	size_t i;

	out[0] = '\0';
	if (!s)
		return;
	if (strlen(s) != 40) {
		rd_fail(rd, "is not a 40-digit thumbprint", key);
		return;
	}
	for (i = 0; i < 40; i++) {
		if (!isxdigit((unsigned char)s[i])) {
			rd_fail(rd, "is not a 40-digit thumbprint", key);
			out[0] = '\0';
			return;
		}
		out[i] = (char)toupper((unsigned char)s[i]);
	}
	out[40] = '\0';
}

static const json_t *rd_array(struct rd *rd, const json_t *o, const char *key,
                              size_t max)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_array(v)) {
		rd_fail(rd, "is not a list", key);
		return NULL;
	}
	if (json_array_size(v) > max) {
		rd_fail(rd, "has too many items", key);
		return NULL;
	}
	return v;
}

static unsigned char *rd_b64(struct rd *rd, const json_t *o, const char *key,
                             size_t *len)
{
	const char *s = rd_str(rd, o, key, false, 16u * 1024 * 1024);
	unsigned char *out = NULL;

	*len = 0;
	if (!s)
		return NULL;
	if (xc_base64_decode(s, &out, len) < 0) {
		rd_fail(rd, "is not base64", key);
		return NULL;
	}
	return out;
}

static unsigned rd_services(struct rd *rd, const json_t *o, const char *key)
{
	const json_t *a = rd_array(rd, o, key, 16);
	unsigned mask = 0;
	size_t i;

	for (i = 0; a && i < json_array_size(a); i++) {
		const json_t *v = json_array_get(a, i);
		unsigned f = json_is_string(v)
		                     ? xc_service_parse(json_string_value(v))
		                     : 0;

		if (!f) {
			rd_fail(rd, "holds an unknown service", key);
			return 0;
		}
		mask |= f;
	}
	return mask;
}

static json_t *parse_doc(const char *text, size_t len, struct xc_error *err,
                         const char *what)
{
	json_error_t je;
	json_t *doc;

	if (len > XC_REPLY_MAX_BYTES) {
		xc_error_set(err, XC_EPROTO, "%s is larger than %u bytes", what,
		             XC_REPLY_MAX_BYTES);
		return NULL;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		xc_error_set(err, XC_EPROTO,
		             "%s is not valid JSON: line %d, column %d: %s",
		             what, je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		xc_error_set(err, XC_EPROTO, "%s is not a JSON object", what);
		return NULL;
	}
	return doc;
}

/* ---- replies ------------------------------------------------------- */

static const struct {
	const char *category;
	enum xc_code code;
} agent_codes[] = {
        {"ObjectNotFound", XC_ENOTFOUND}, {"ResourceExists", XC_EEXISTS},
        {"PermissionDenied", XC_EAUTH},   {"InvalidArgument", XC_EINVAL},
        {"ProtocolError", XC_EPROTO},
};

enum xc_code xc_agent_category_code(const char *category)
{
	size_t i;

	for (i = 0;
	     category && i < sizeof(agent_codes) / sizeof(agent_codes[0]); i++)
		if (strcmp(category, agent_codes[i].category) == 0)
			return agent_codes[i].code;
	return XC_ERR;
}

const struct xc_result *xc_reply_last_ok(const struct xc_reply *r,
                                         const char *server,
                                         struct xc_error *err)
{
	const struct xc_result *last =
	        r->nresults ? &r->results[r->nresults - 1] : NULL;

	if (r->message) {
		xc_error_set(err, xc_agent_category_code(r->category),
		             "%s: %s: %s", server, r->category, r->message);
		return NULL;
	}
	if (!last) {
		xc_error_set(err, XC_EPROTO, "%s: no result", server);
		return NULL;
	}
	if (!last->ok) {
		xc_error_set(err, xc_agent_category_code(last->category),
		             "%s: %s: %s: %s", server, last->op, last->category,
		             last->message ? last->message : "no message");
		return NULL;
	}
	return last;
}

void xc_reply_release(struct xc_reply *r)
{
	size_t i;

	for (i = 0; i < r->nresults; i++) {
		free(r->results[i].message);
		free(r->results[i].json);
	}
	free(r->results);
	free(r->server);
	free(r->agent);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

static void copy_small(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int xc_reply_parse(struct xc_reply *out, const char *text, size_t len,
                   const struct xc_request *req, struct xc_error *err)
{
	struct rd rd = {err, "reply", false};
	json_t *doc;
	const json_t *results;
	const json_t *ops = req->ops;
	const json_t *e;
	long long protocol;
	size_t i;

	memset(out, 0, sizeof(*out));
	doc = parse_doc(text, len, err, "agent reply");
	if (!doc)
		return XC_EPROTO;
	protocol = rd_int(&rd, doc, "protocol", 0, 1000);
	if (protocol != XC_PROTOCOL_VERSION && !rd.failed) {
		/* The number is read before the document is released. */
		json_decref(doc);
		return xc_error_set(
		        err, XC_EPROTO,
		        "agent speaks protocol %lld; excert speaks %d",
		        (long long)protocol, XC_PROTOCOL_VERSION);
	}
	out->server = rd_dup(&rd, doc, "server", false, 256);
	out->agent = rd_dup(&rd, doc, "agent", true, 256);
	e = json_object_get(doc, "error");
	if (e && !json_is_null(e)) {
		if (!json_is_object(e)) {
			rd_fail(&rd, "is not an object", "error");
		} else {
			copy_small(out->category, sizeof(out->category),
			           rd_str(&rd, e, "category", false, 31));
			out->message = rd_dup(&rd, e, "message", false, 4096);
		}
	}
	results = rd_array(&rd, doc, "results", json_array_size(ops));
	if (rd.failed)
		goto fail;
	out->results =
	        xc_xcalloc(json_array_size(results) + 1, sizeof(*out->results));
	for (i = 0; i < json_array_size(results); i++) {
		const json_t *r = json_array_get(results, i);
		const json_t *want = json_array_get(ops, i);
		struct xc_result *res = &out->results[i];
		char ctx[48];

		snprintf(ctx, sizeof(ctx), "results[%zu]", i);
		rd.ctx = ctx;
		if (!json_is_object(r)) {
			rd_fail(&rd, "is not an object", "result");
			goto fail;
		}
		copy_small(res->id, sizeof(res->id),
		           rd_str(&rd, r, "id", false, 31));
		copy_small(res->op, sizeof(res->op),
		           rd_str(&rd, r, "op", false, 31));
		res->ok = rd_bool(&rd, r, "ok");
		out->nresults++;
		if (rd.failed)
			goto fail;
		if (strcmp(res->id, json_string_value(json_object_get(
		                            want, "id"))) != 0 ||
		    strcmp(res->op, json_string_value(json_object_get(
		                            want, "op"))) != 0) {
			xc_error_set(
			        err, XC_EPROTO,
			        "bad agent reply: result %zu is for '%s' (id %s), not for the operation asked",
			        i + 1, res->op, res->id);
			goto fail_set;
		}
		if (res->ok) {
			const json_t *v = json_object_get(r, "result");

			if (!json_is_object(v)) {
				rd_fail(&rd, "is not an object", "result");
				goto fail;
			}
			res->json = json_dumps(v, JSON_COMPACT |
			                                  JSON_PRESERVE_ORDER);
		} else {
			const json_t *er = json_object_get(r, "error");

			if (!json_is_object(er)) {
				rd_fail(&rd, "is not an object", "error");
				goto fail;
			}
			copy_small(res->category, sizeof(res->category),
			           rd_str(&rd, er, "category", false, 31));
			res->message = rd_dup(&rd, er, "message", false, 4096);
			if (rd.failed)
				goto fail;
			if (i + 1 != json_array_size(results)) {
				xc_error_set(
				        err, XC_EPROTO,
				        "bad agent reply: results go on after the failed operation %s",
				        res->op);
				goto fail_set;
			}
		}
	}
	if (!out->message && out->nresults < json_array_size(ops) &&
	    (out->nresults == 0 || out->results[out->nresults - 1].ok)) {
		xc_error_set(
		        err, XC_EPROTO,
		        "bad agent reply: %zu of %zu operations answered, and none failed",
		        out->nresults, json_array_size(ops));
		goto fail_set;
	}
	json_decref(doc);
	return 0;
fail:
fail_set:
	json_decref(doc);
	xc_reply_release(out);
	return XC_EPROTO;
}

/* The first mark in [p, end), or NULL.  The output may hold NUL bytes, so
 * no string functions. */
static const char *find_mark(const char *p, const char *end, const char *mark)
{
	size_t n = strlen(mark);

	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, mark, n) == 0)
			return p;
	return NULL;
}

int xc_reply_unframe(const char *output, size_t len, char **json_out,
                     size_t *json_len, struct xc_error *err)
{
	const char *b;
	const char *e;
	const char *end = output + len;
	char *body;
	unsigned char *raw;
	size_t rawlen;
	size_t i;

	*json_out = NULL;
	*json_len = 0;
	if (len > XC_REPLY_MAX_BYTES)
		return xc_error_set(err, XC_EPROTO,
		                    "the server printed more than %u bytes",
		                    XC_REPLY_MAX_BYTES);
	b = find_mark(output, end, BEGIN_MARK);
	if (!b)
		return xc_error_set(
		        err, XC_EPROTO,
		        "no reply from the agent (no '%s' line in %zu bytes of output)",
		        BEGIN_MARK, len);
	b += sizeof(BEGIN_MARK) - 1;
	e = find_mark(b, end, END_MARK);
	if (!e)
		return xc_error_set(
		        err, XC_EPROTO,
		        "truncated reply from the agent (no '%s' line)",
		        END_MARK);
	/* Something that prints before or after the agent (a profile, a
	 * banner, a forced command) must not be able to stand in for its
	 * reply: a second block makes the whole output unusable. */
	if (find_mark(e, end, BEGIN_MARK))
		return xc_error_set(
		        err, XC_EPROTO,
		        "the output holds more than one '%s' line: something besides the agent prints a reply (a profile, a banner or a forced command?)",
		        BEGIN_MARK);
	body = xc_xstrndup(b, (size_t)(e - b));
	for (i = 0; body[i]; i++)
		if ((unsigned char)body[i] >= 0x80)
			break;
	if (body[i] || xc_base64_decode(body, &raw, &rawlen) < 0) {
		free(body);
		return xc_error_set(err, XC_EPROTO,
		                    "the agent's reply is not valid base64");
	}
	free(body);
	*json_out = xc_xrealloc(raw, rawlen + 1);
	(*json_out)[rawlen] = '\0';
	*json_len = rawlen;
	return 0;
}

char *xc_reply_frame(const char *json, size_t len)
{
	char *b64 = xc_base64_encode((const unsigned char *)json, len);
	struct xc_buf b;

	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%s\n", BEGIN_MARK);
	/* 76 columns, as [Convert]::ToBase64String with line breaks. */
	{
		size_t n = strlen(b64);
		size_t i;

		for (i = 0; i < n; i += 76) {
			xc_buf_add(&b, b64 + i, n - i < 76 ? n - i : 76);
			xc_buf_puts(&b, "\n");
		}
	}
	xc_buf_printf(&b, "%s\n", END_MARK);
	free(b64);
	return xc_buf_detach(&b, NULL);
}

/* ---- observe --------------------------------------------------------- */

static void free_strs(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void xc_obs_server_release(struct xc_obs_server *s)
{
	size_t i;

	for (i = 0; i < s->ncerts; i++) {
		xc_x509_release(&s->certs[i].x);
		free(s->certs[i].der);
		free(s->certs[i].issuer);
		free(s->certs[i].subject);
		free(s->certs[i].friendly_name);
	}
	free(s->certs);
	for (i = 0; i < s->nrequests; i++) {
		free(s->requests[i].subject);
		free_strs(s->requests[i].domains, s->requests[i].ndomains);
		free(s->requests[i].friendly_name);
		free(s->requests[i].csr);
	}
	free(s->requests);
	for (i = 0; i < s->nrconns; i++) {
		free(s->rconns[i].identity);
		free(s->rconns[i].fqdn);
		free(s->rconns[i].tls_name);
	}
	free(s->rconns);
	for (i = 0; i < s->nbindings; i++)
		free(s->bindings[i].site);
	free(s->bindings);
	free(s->name);
	free(s->fqdn);
	free(s->version);
	memset(s, 0, sizeof(*s));
}

void xc_obs_org_release(struct xc_obs_org *o)
{
	size_t i;

	for (i = 0; i < o->nsconns; i++) {
		free(o->sconns[i].name);
		free(o->sconns[i].fqdn);
		free(o->sconns[i].tls_name);
	}
	free(o->sconns);
	free(o->hybrid_tls_name);
	memset(o, 0, sizeof(*o));
}

void xc_observation_release(struct xc_observation *o)
{
	size_t i;

	for (i = 0; i < o->nservers; i++) {
		xc_obs_server_release(&o->servers[i].obs);
		free(o->servers[i].raw);
	}
	free(o->servers);
	xc_obs_org_release(&o->org);
	free(o->org_raw);
	free(o->ari);
	for (i = 0; i < o->nari_notes; i++)
		free(o->ari_notes[i]);
	free(o->ari_notes);
	for (i = 0; i < o->nserved; i++) {
		free(o->served[i].cert);
		free(o->served[i].what);
		free(o->served[i].error);
	}
	free(o->served);
	memset(o, 0, sizeof(*o));
}

const struct xc_served *xc_observation_served(const struct xc_observation *o,
                                              const char *cert,
                                              const char *what, bool lb)
{
	size_t i;

	for (i = 0; i < o->nserved; i++)
		if (o->served[i].lb == lb &&
		    strcmp(o->served[i].cert, cert) == 0 &&
		    strcmp(o->served[i].what, what) == 0)
			return &o->served[i];
	return NULL;
}

void xc_observation_add_served(struct xc_observation *o, const char *cert,
                               const char *what, bool lb,
                               const char *thumbprint, const char *error)
{
	struct xc_served *s;

	/* Grown one at a time: a handful per certificate. */
	o->served = xc_xrealloc(o->served, (o->nserved + 1) * sizeof(*s));
	s = &o->served[o->nserved++];
	memset(s, 0, sizeof(*s));
	s->cert = xc_xstrdup(cert);
	s->what = xc_xstrdup(what);
	s->lb = lb;
	s->ok = thumbprint != NULL;
	if (thumbprint)
		snprintf(s->thumbprint, sizeof(s->thumbprint), "%s",
		         thumbprint);
	else
		s->error = xc_xstrdup(error ? error : "not seen");
}

const struct xc_ari_window *xc_observation_ari(const struct xc_observation *o,
                                               const char *thumbprint)
{
	size_t i;

	for (i = 0; i < o->nari; i++)
		if (strcasecmp(o->ari[i].thumbprint, thumbprint) == 0)
			return &o->ari[i];
	return NULL;
}

const struct xc_server_obs *
xc_observation_server(const struct xc_observation *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nservers; i++)
		if (strcasecmp(o->servers[i].server->name.v, name) == 0)
			return &o->servers[i];
	return NULL;
}

const struct xc_issuer_facts *
xc_issuer_facts_find(const struct xc_issuer_facts *f, size_t n,
                     const char *issuer)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].issuer, issuer) == 0)
			return &f[i];
	return NULL;
}

const struct xc_obs_cert *xc_obs_server_cert(const struct xc_obs_server *s,
                                             const char *thumbprint)
{
	size_t i;

	for (i = 0; i < s->ncerts; i++)
		if (strcasecmp(s->certs[i].x.thumbprint, thumbprint) == 0)
			return &s->certs[i];
	return NULL;
}

static void parse_cert(struct rd *rd, const json_t *c, struct xc_obs_cert *o)
{
	char thumb[41];
	struct xc_error xerr;

	rd_thumb(rd, c, "thumbprint", false, thumb);
	o->der = rd_b64(rd, c, "der", &o->der_len);
	o->issuer = rd_dup(rd, c, "issuer", false, 4096);
	o->subject = rd_dup(rd, c, "subject", false, 4096);
	o->friendly_name = rd_dup(rd, c, "friendly_name", true, 1024);
	if (!o->friendly_name && !rd->failed)
		o->friendly_name = xc_xstrdup("");
	o->services = rd_services(rd, c, "services");
	copy_small(o->status, sizeof(o->status),
	           rd_str(rd, c, "status", false, 31));
	o->has_private_key = rd_bool(rd, c, "has_private_key");
	o->exportable = rd_bool(rd, c, "exportable");
	o->self_signed = rd_bool(rd, c, "self_signed");
	if (rd->failed)
		return;
	if (xc_x509_parse(&o->x, o->der, o->der_len, &xerr) < 0) {
		rd_fail(rd, "is not a DER certificate", "der");
		return;
	}
	/* The thumbprint is the SHA-1 of the DER: a mismatch means the
	 * reply is corrupt, and excert would act on the wrong certificate. */
	if (strcmp(thumb, o->x.thumbprint) != 0)
		rd_fail(rd, "does not match the certificate's DER",
		        "thumbprint");
}

static void parse_request(struct rd *rd, const json_t *r,
                          struct xc_obs_request *o)
{
	const json_t *d;
	size_t i;

	rd_thumb(rd, r, "thumbprint", false, o->thumbprint);
	o->subject = rd_dup(rd, r, "subject", false, 4096);
	o->friendly_name = rd_dup(rd, r, "friendly_name", true, 1024);
	o->key_size = (int)rd_int(rd, r, "key_size", 0, 16384);
	o->exportable = rd_bool(rd, r, "exportable");
	d = rd_array(rd, r, "domains", 1000);
	if (rd->failed)
		return;
	o->domains = xc_xcalloc(json_array_size(d) + 1, sizeof(*o->domains));
	for (i = 0; i < json_array_size(d); i++) {
		const json_t *v = json_array_get(d, i);

		if (!json_is_string(v)) {
			rd_fail(rd, "holds a non-string", "domains");
			return;
		}
		o->domains[o->ndomains++] = xc_xstrdup(json_string_value(v));
	}
	/* A request may have no CSR to show (null): then it can be
	 * completed but not resubmitted. */
	if (json_is_string(json_object_get(r, "csr")))
		o->csr = rd_b64(rd, r, "csr", &o->csr_len);
}

#define ITEMS(arr, n, type) ((type *)xc_xcalloc((n) + 1, sizeof(type)))

int xc_parse_observe(struct xc_obs_server *out, const char *json,
                     struct xc_error *err)
{
	struct rd rd = {err, "observe", false};
	json_t *doc;
	const json_t *a;
	const char *role;
	const json_t *auth;
	size_t i;
	char ctx[64];

	memset(out, 0, sizeof(*out));
	doc = parse_doc(json, strlen(json), err, "observe result");
	if (!doc)
		return XC_EPROTO;
	out->name = rd_dup(&rd, doc, "name", false, 256);
	out->fqdn = rd_dup(&rd, doc, "fqdn", false, 256);
	out->version = rd_dup(&rd, doc, "version", true, 64);
	role = rd_str(&rd, doc, "role", false, 16);
	if (role && strcmp(role, "Mailbox") == 0)
		out->role = XC_ROLE_MAILBOX;
	else if (role && strcmp(role, "Edge") == 0)
		out->role = XC_ROLE_EDGE;
	else if (role)
		rd_fail(&rd, "is neither Mailbox nor Edge", "role");

	a = rd_array(&rd, doc, "certificates", 10000);
	if (a) {
		out->certs = ITEMS(a, json_array_size(a), struct xc_obs_cert);
		for (i = 0; i < json_array_size(a) && !rd.failed; i++) {
			snprintf(ctx, sizeof(ctx), "observe: certificates[%zu]",
			         i);
			rd.ctx = ctx;
			out->ncerts++;
			if (!json_is_object(json_array_get(a, i)))
				rd_fail(&rd, "is not an object", "certificate");
			else
				parse_cert(&rd, json_array_get(a, i),
				           &out->certs[i]);
		}
	}
	rd.ctx = "observe";
	a = rd_array(&rd, doc, "pending_requests", 1000);
	if (a) {
		out->requests =
		        ITEMS(a, json_array_size(a), struct xc_obs_request);
		for (i = 0; i < json_array_size(a) && !rd.failed; i++) {
			snprintf(ctx, sizeof(ctx),
			         "observe: pending_requests[%zu]", i);
			rd.ctx = ctx;
			out->nrequests++;
			if (!json_is_object(json_array_get(a, i)))
				rd_fail(&rd, "is not an object", "request");
			else
				parse_request(&rd, json_array_get(a, i),
				              &out->requests[i]);
		}
	}
	rd.ctx = "observe";
	a = rd_array(&rd, doc, "receive_connectors", 10000);
	if (a) {
		out->rconns = ITEMS(a, json_array_size(a), struct xc_obs_rconn);
		for (i = 0; i < json_array_size(a) && !rd.failed; i++) {
			const json_t *c = json_array_get(a, i);

			snprintf(ctx, sizeof(ctx),
			         "observe: receive_connectors[%zu]", i);
			rd.ctx = ctx;
			out->nrconns++;
			if (!json_is_object(c)) {
				rd_fail(&rd, "is not an object", "connector");
				break;
			}
			out->rconns[i].identity = rd_dup(&rd, c, "identity",
			                                 false, NAME_MAX_BYTES);
			out->rconns[i].fqdn = rd_dup(&rd, c, "fqdn", true, 256);
			out->rconns[i].tls_name =
			        rd_dup(&rd, c, "tls_certificate_name", true,
			               NAME_MAX_BYTES);
		}
	}
	rd.ctx = "observe";
	a = rd_array(&rd, doc, "iis_bindings", 1000);
	if (a) {
		out->bindings =
		        ITEMS(a, json_array_size(a), struct xc_obs_binding);
		for (i = 0; i < json_array_size(a) && !rd.failed; i++) {
			const json_t *bd = json_array_get(a, i);

			snprintf(ctx, sizeof(ctx), "observe: iis_bindings[%zu]",
			         i);
			rd.ctx = ctx;
			out->nbindings++;
			if (!json_is_object(bd)) {
				rd_fail(&rd, "is not an object", "binding");
				break;
			}
			out->bindings[i].site =
			        rd_dup(&rd, bd, "site", false, 256);
			out->bindings[i].port =
			        (int)rd_int(&rd, bd, "port", 1, 65535);
			rd_thumb(&rd, bd, "thumbprint", true,
			         out->bindings[i].thumbprint);
		}
	}
	rd.ctx = "observe";
	rd_thumb(&rd, doc, "transport_certificate", true, out->transport_cert);
	auth = json_object_get(doc, "auth_certificate");
	if (auth && !json_is_null(auth)) {
		if (!json_is_object(auth)) {
			rd_fail(&rd, "is not an object", "auth_certificate");
		} else {
			out->has_auth = true;
			rd.ctx = "observe: auth_certificate";
			rd_thumb(&rd, auth, "current", true, out->auth_current);
			rd_thumb(&rd, auth, "next", true, out->auth_next);
		}
	}
	json_decref(doc);
	if (rd.failed) {
		xc_obs_server_release(out);
		return XC_EPROTO;
	}
	return 0;
}

int xc_parse_observe_org(struct xc_obs_org *out, const char *json,
                         struct xc_error *err)
{
	struct rd rd = {err, "observe_org", false};
	json_t *doc;
	const json_t *a;
	const json_t *h;
	size_t i;
	char ctx[64];

	memset(out, 0, sizeof(*out));
	doc = parse_doc(json, strlen(json), err, "observe_org result");
	if (!doc)
		return XC_EPROTO;
	a = rd_array(&rd, doc, "send_connectors", 10000);
	if (a) {
		out->sconns = ITEMS(a, json_array_size(a), struct xc_obs_sconn);
		for (i = 0; i < json_array_size(a) && !rd.failed; i++) {
			const json_t *c = json_array_get(a, i);

			snprintf(ctx, sizeof(ctx),
			         "observe_org: send_connectors[%zu]", i);
			rd.ctx = ctx;
			out->nsconns++;
			if (!json_is_object(c)) {
				rd_fail(&rd, "is not an object", "connector");
				break;
			}
			out->sconns[i].name =
			        rd_dup(&rd, c, "name", false, NAME_MAX_BYTES);
			out->sconns[i].fqdn = rd_dup(&rd, c, "fqdn", true, 256);
			out->sconns[i].tls_name =
			        rd_dup(&rd, c, "tls_certificate_name", true,
			               NAME_MAX_BYTES);
		}
	}
	rd.ctx = "observe_org";
	h = json_object_get(doc, "hybrid");
	if (!h) {
		rd_fail(&rd, "is missing", "hybrid");
	} else if (!json_is_null(h)) {
		if (!json_is_object(h)) {
			rd_fail(&rd, "is not an object", "hybrid");
		} else {
			out->hybrid = true;
			out->hybrid_tls_name =
			        rd_dup(&rd, h, "tls_certificate_name", true,
			               NAME_MAX_BYTES);
		}
	}
	json_decref(doc);
	if (rd.failed) {
		xc_obs_org_release(out);
		return XC_EPROTO;
	}
	return 0;
}

int xc_result_string(char **out, const char *json, const char *key,
                     struct xc_error *err)
{
	struct rd rd = {err, "result", false};
	json_t *doc = parse_doc(json, strlen(json), err, "result");

	*out = NULL;
	if (!doc)
		return XC_EPROTO;
	*out = rd_dup(&rd, doc, key, false, 64u * 1024 * 1024);
	json_decref(doc);
	return rd.failed ? XC_EPROTO : 0;
}

int xc_parse_lease(struct xc_lease_state *out, const char *json,
                   struct xc_error *err)
{
	struct rd rd = {err, "lease", false};
	json_t *doc = parse_doc(json, strlen(json), err, "lease result");
	const char *owner;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return XC_EPROTO;
	out->held = rd_bool(&rd, doc, "held");
	owner = rd_str(&rd, doc, "owner", true, 255);
	snprintf(out->owner, sizeof(out->owner), "%s", owner ? owner : "");
	/* It is printed as it is: no terminal controls from outside. */
	for (owner = out->owner; *owner; owner++)
		if ((unsigned char)*owner < 0x20 ||
		    (unsigned char)*owner >= 0x7f)
			out->owner[owner - out->owner] = '?';
	out->seconds_left =
	        (int)rd_int(&rd, doc, "seconds_left", 0, 366LL * 86400);
	json_decref(doc);
	return rd.failed ? XC_EPROTO : 0;
}
