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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_other_protocol),
	        cmocka_unit_test(test_one_block_amid_noise),
	        cmocka_unit_test(test_two_blocks_refused),
	        cmocka_unit_test(test_no_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
