/* SPDX-License-Identifier: MIT */
/* One call to the lab: dispatch to the operations, the call log, latency;
 * the document itself is labdoc.c's. */
#include "providers/lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "providers/lab/labint.h"
#include "state/clock.h"
#include "state/buf.h"
#include "state/xalloc.h"

static json_t *find_server(json_t *servers, const char *name,
                           const char **key_out)
{
	const char *k;
	json_t *v;

	json_object_foreach(servers, k, v)
	{
		if (strcasecmp(k, name) == 0) {
			*key_out = k;
			return v;
		}
	}
	return NULL;
}

static bool read_only(const json_t *ops)
{
	size_t i;
	json_t *op;

	json_array_foreach(ops, i, op)
	{
		const char *name = json_string_value(json_object_get(op, "op"));

		if (!name || (strcmp(name, "observe") != 0 &&
		              strcmp(name, "observe_org") != 0))
			return false;
	}
	return true;
}

static json_t *top_error(const char *server, const char *category,
                         const char *message)
{
	return json_pack("{s:i,s:s,s:s,s:[],s:{s:s,s:s}}", "protocol", 1,
	                 "server", server ? server : "", "agent",
	                 "excert-lab 1", "results", "error", "category",
	                 category, "message", message);
}

/* One line per call in DIR/calls.log (server and operations), appended in
 * one write, so that tests and benchmarks can count round trips. */
static void log_call(struct lab *l, const char *server, const json_t *ops)
{
	struct xc_buf b;
	char *path = lab_path(l, "calls.log");
	size_t i;
	json_t *op;
	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%.64s", server);
	json_array_foreach(ops, i, op)
	{
		const char *name = json_string_value(json_object_get(op, "op"));

		xc_buf_printf(&b, " %.32s", name ? name : "?");
	}
	xc_buf_puts(&b, "\n");
	(void)lab_append_file(path, b.ptr, b.len, 0644);
	free(path);
	xc_buf_release(&b);
}

int xc_lab_call(const char *dir, const char *as, const char *request,
                size_t len, char **reply_out, struct xc_error *err)
{
	struct lab l;
	json_error_t je;
	json_t *req;
	json_t *reply = NULL;
	json_t *results;
	const json_t *ops;
	const char *server_name;
	const char *key = NULL;
	json_t *server;
	size_t i;
	json_t *op;
	int rc;

	*reply_out = NULL;
	req = json_loadb(request, len, JSON_REJECT_DUPLICATES, &je);
	ops = json_object_get(req, "operations");
	server_name = json_string_value(json_object_get(req, "server"));
	if (!req || !json_is_object(req)) {
		reply = top_error(as, "ProtocolError",
		                  "the request is not a JSON object");
		goto done_noopen;
	}
	if (json_integer_value(json_object_get(req, "protocol")) != 1) {
		reply = top_error(as, "ProtocolError",
		                  "this agent speaks protocol 1");
		goto done_noopen;
	}
	if (!server_name || !json_is_array(ops) || json_array_size(ops) == 0) {
		reply = top_error(
		        as, "ProtocolError",
		        "the request needs 'server' and 'operations'");
		goto done_noopen;
	}
	/* A real shell's latency is the server's own: it must not hold up
	 * the other servers, so the lab waits before it takes its lock. */
	rc = lab_open(&l, dir, false, err);
	if (rc == 0) {
		int latency = (int)json_integer_value(
		        json_object_get(l.doc, "latency_ms"));

		lab_close(&l);
		xc_sleep_ms(latency, NULL);
		rc = lab_open(&l, dir, !read_only(ops), err);
	}
	if (rc < 0) {
		lab_close(&l);
		json_decref(req);
		return rc;
	}
	server = find_server(json_object_get(l.doc, "servers"),
	                     as ? as : server_name, &key);
	log_call(&l, as ? as : server_name, ops);
	if (!server) {
		char msg[300];

		snprintf(msg, sizeof(msg), "the lab has no server '%.100s'",
		         as ? as : server_name);
		reply = top_error(as, "ObjectNotFound", msg);
		goto done;
	}
	if (strcasecmp(key, server_name) != 0) {
		char msg[300];

		/* The agent's own safety check: a wrong DNS entry must not
		 * make excert change the wrong server. */
		snprintf(msg, sizeof(msg),
		         "this is %.64s, not %.64s; refusing the whole request",
		         key, server_name);
		reply = top_error(key, "InvalidOperation", msg);
		goto done;
	}
	results = json_array();
	reply = json_pack("{s:i,s:s,s:s,s:o}", "protocol", 1, "server", key,
	                  "agent", "excert-lab 1", "results", results);
	json_array_foreach(ops, i, op)
	{
		const char *id = json_string_value(json_object_get(op, "id"));
		const char *name = json_string_value(json_object_get(op, "op"));
		const json_t *args = json_object_get(op, "args");
		json_t *result = NULL;
		struct op_error e = {"NotSpecified", ""};

		if (!id || !name || !json_is_object(args)) {
			e.category = "ProtocolError";
			snprintf(e.message, sizeof(e.message),
			         "operation %zu needs 'id', 'op' and 'args'",
			         i + 1);
			rc = -1;
		} else {
			rc = lab_op(&l, key, server, name, args, &result, &e);
		}
		if (rc == 0) {
			json_array_append_new(
			        results,
			        json_pack("{s:s,s:s,s:b,s:o}", "id", id, "op",
			                  name, "ok", 1, "result", result));
			continue;
		}
		json_array_append_new(
		        results, json_pack("{s:s,s:s,s:b,s:{s:s,s:s}}", "id",
		                           id ? id : "", "op", name ? name : "",
		                           "ok", 0, "error", "category",
		                           e.category, "message", e.message));
		break;
	}
done:
	rc = lab_save(&l, err);
	lab_close(&l);
	if (rc < 0) {
		json_decref(reply);
		json_decref(req);
		return rc;
	}
done_noopen:
	*reply_out = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(reply);
	json_decref(req);
	return 0;
}
