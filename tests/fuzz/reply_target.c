/* SPDX-License-Identifier: MIT */
/*
 * The agent reply parser under fuzzing: whatever a server (or something in
 * its place) prints, excert reads it as a framed reply, a reply document,
 * and observe results, and never crashes, hangs or leaks.  Inputs that
 * hold no frame are also tried as the reply JSON itself, so that the
 * fuzzer reaches the JSON checks without having to learn base64.
 */
#include "tests/fuzz/reply_target.h"

#include <stdlib.h>
#include <string.h>

#include "state/agentmsg.h"

static void parse_doc(const char *json, size_t len)
{
	struct xc_request *req = xc_request_new("MS01");
	struct xc_reply r;
	struct xc_error err;
	size_t i;

	xc_request_observe(req);
	xc_request_observe_org(req);
	xc_request_enable(req, "0123456789ABCDEF0123456789ABCDEF01234567", 24,
	                  false);
	if (xc_reply_parse(&r, json, len, req, &err) == 0) {
		if (r.nresults > xc_request_count(req))
			abort();
		for (i = 0; i < r.nresults; i++) {
			struct xc_obs_server s;
			struct xc_obs_org o;
			char *v = NULL;

			if (!r.results[i].ok) {
				if (!r.results[i].message)
					abort();
				continue;
			}
			if (xc_parse_observe(&s, r.results[i].json, &err) == 0)
				xc_obs_server_release(&s);
			if (xc_parse_observe_org(&o, r.results[i].json, &err) ==
			    0)
				xc_obs_org_release(&o);
			if (xc_result_string(&v, r.results[i].json,
			                     "transport_certificate",
			                     &err) == 0)
				free(v);
		}
		xc_reply_release(&r);
	}
	xc_request_free(req);
}

void xc_fuzz_reply_one(const uint8_t *data, size_t size)
{
	char *json = NULL;
	size_t len = 0;
	struct xc_error err;

	if (xc_reply_unframe((const char *)data, size, &json, &len, &err) ==
	    0) {
		parse_doc(json, len);
		free(json);
		return;
	}
	parse_doc((const char *)data, size);
}
