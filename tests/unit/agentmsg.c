/* SPDX-License-Identifier: MIT */
/* Unit tests for state/agentmsg.h: replies that must be refused, and how. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/agentmsg.h"
#include "state/error.h"

static struct xc_request *observe_request(void)
{
	struct xc_request *req = xc_request_new("MS01");

	xc_request_observe(req);
	return req;
}

/* A reply of another protocol version names that version (the message was
 * read from the released document before: under ASan and valgrind a
 * use-after-free, and it said "protocol 0"). */
static void test_other_protocol(void **state)
{
	struct xc_request *req = observe_request();
	struct xc_reply r;
	struct xc_error err;
	const char *doc =
	        "{\"protocol\":2,\"server\":\"MS01\",\"agent\":\"x\",\"results\":[]}";

	(void)state;
	assert_int_equal(xc_reply_parse(&r, doc, strlen(doc), req, &err),
	                 XC_EPROTO);
	assert_string_equal(err.msg,
	                    "agent speaks protocol 2; excert speaks 1");
	xc_request_free(req);
}

static char *framed(const char *before, const char *json, const char *after)
{
	char *frame = xc_reply_frame(json, strlen(json));
	size_t n = strlen(before) + strlen(frame) + strlen(after) + 1;
	char *out = malloc(n);

	assert_non_null(out);
	snprintf(out, n, "%s%s%s", before, frame, after);
	free(frame);
	return out;
}

static void test_one_block_amid_noise(void **state)
{
	char *out = framed("Welcome to MS01\r\n", "{\"a\":1}", "bye\r\n");
	char *json;
	size_t len;
	struct xc_error err;

	(void)state;
	assert_int_equal(xc_reply_unframe(out, strlen(out), &json, &len, &err),
	                 0);
	assert_string_equal(json, "{\"a\":1}");
	free(json);
	free(out);
}

/* A block printed before the agent's (a profile, a banner, a forced
 * command) must not stand in for the agent's reply: it used to win. */
static void test_two_blocks_refused(void **state)
{
	char *fake = framed("", "{\"fake\":1}", "");
	char *out = framed(fake, "{\"real\":1}", "");
	char *json = NULL;
	size_t len;
	struct xc_error err;

	(void)state;
	assert_int_equal(xc_reply_unframe(out, strlen(out), &json, &len, &err),
	                 XC_EPROTO);
	assert_null(json);
	assert_non_null(strstr(err.msg, "more than one"));
	free(fake);
	free(out);
}

static void test_no_block(void **state)
{
	const char *out = "Access is denied.\r\n";
	char *json = NULL;
	size_t len;
	struct xc_error err;

	(void)state;
	assert_int_equal(xc_reply_unframe(out, strlen(out), &json, &len, &err),
	                 XC_EPROTO);
	assert_non_null(strstr(err.msg, "no reply from the agent"));
}

/* A failed operation's category becomes the error's code through one
 * table; a message that merely names a category does not (the runner used
 * to take any message saying ResourceExists for "already there"). */
static void test_category_codes(void **state)
{
	static const struct {
		const char *category;
		const char *message;
		int code;
	} cases[] = {
	        {"ResourceExists", "certificate already there", XC_EEXISTS},
	        {"ObjectNotFound", "no certificate", XC_ENOTFOUND},
	        {"PermissionDenied", "denied", XC_EAUTH},
	        {"InvalidArgument", "bad thumbprint", XC_EINVAL},
	        {"ProtocolError", "bad request", XC_EPROTO},
	        {"InvalidOperation", "ResourceExists elsewhere", XC_ERR},
	        {"NotSpecified", "x", XC_ERR},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xc_request *req = observe_request();
		char doc[512];
		struct xc_reply r;
		struct xc_error err;
		char *json = xc_request_json(req);
		const char *p = strstr(json, "\"id\":\"");

		assert_non_null(p);
		p += 6;
		snprintf(doc, sizeof(doc),
		         "{\"protocol\":1,\"server\":\"MS01\",\"agent\":\"x\","
		         "\"results\":[{\"id\":\"%.*s\",\"op\":\"observe\","
		         "\"ok\":false,\"error\":{\"category\":\"%s\","
		         "\"message\":\"%s\"}}]}",
		         (int)strcspn(p, "\""), p, cases[i].category,
		         cases[i].message);
		free(json);
		assert_int_equal(
		        xc_reply_parse(&r, doc, strlen(doc), req, &err), 0);
		assert_null(xc_reply_last_ok(&r, "MS01", &err));
		assert_int_equal(err.code, cases[i].code);
		assert_int_equal(xc_agent_category_code(cases[i].category),
		                 cases[i].code);
		xc_reply_release(&r);
		xc_request_free(req);
	}
	assert_int_equal(xc_agent_category_code(NULL), XC_ERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_other_protocol),
	        cmocka_unit_test(test_one_block_amid_noise),
	        cmocka_unit_test(test_two_blocks_refused),
	        cmocka_unit_test(test_no_block),
	        cmocka_unit_test(test_category_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
