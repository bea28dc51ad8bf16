/* SPDX-License-Identifier: MIT */
/* Unit tests for state/services.h: Exchange's AllowedServices flags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "state/services.h"

/* The values Exchange itself uses; a mask read from a server must match. */
static void test_flag_values(void **state)
{
	(void)state;
	assert_int_equal(XC_SVC_IMAP, 1);
	assert_int_equal(XC_SVC_POP, 2);
	assert_int_equal(XC_SVC_UM, 4);
	assert_int_equal(XC_SVC_IIS, 8);
	assert_int_equal(XC_SVC_SMTP, 16);
	assert_int_equal(XC_SVC_FEDERATION, 32);
	assert_int_equal(XC_SVC_UMCALLROUTER, 64);
	assert_int_equal(XC_SVC_ALL, 127);
}

struct parse_case {
	const char *name;
	unsigned flag; /* 0: unknown */
};

static const struct parse_case parse_cases[] = {
        {.name = "IMAP", .flag = 1},
        {.name = "POP", .flag = 2},
        {.name = "UM", .flag = 4},
        {.name = "IIS", .flag = 8},
        {.name = "SMTP", .flag = 16},
        {.name = "Federation", .flag = 32},
        {.name = "UMCallRouter", .flag = 64},
        /* Case-insensitive, as Exchange reads them. */
        {.name = "imap", .flag = 1},
        {.name = "Pop", .flag = 2},
        {.name = "um", .flag = 4},
        {.name = "iis", .flag = 8},
        {.name = "Iis", .flag = 8},
        {.name = "smtp", .flag = 16},
        {.name = "FEDERATION", .flag = 32},
        {.name = "umcallrouter", .flag = 64},
        {.name = "UMCALLROUTER", .flag = 64},
        /* Unknown. */
        {.name = "", .flag = 0},
        {.name = "None", .flag = 0},
        {.name = "All", .flag = 0},
        {.name = "HTTP", .flag = 0},
        {.name = "POP3", .flag = 0},
        {.name = "IMAP4", .flag = 0},
        {.name = "IIS ", .flag = 0},
        {.name = " IIS", .flag = 0},
        {.name = "IIS,SMTP", .flag = 0},
        {.name = "UM Call Router", .flag = 0},
        {.name = "UMCallRoute", .flag = 0},
        {.name = "8", .flag = 0},
};

static void test_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		unsigned got = xc_service_parse(parse_cases[i].name);

		if (got != parse_cases[i].flag)
			fail_msg("xc_service_parse('%s'): expected %u, got %u",
			         parse_cases[i].name, parse_cases[i].flag, got);
	}
}

struct name_case {
	unsigned flag;
	const char *name; /* NULL: no single flag */
};

static void test_name(void **state)
{
	static const struct name_case cases[] = {
	        {.flag = 1, .name = "IMAP"},
	        {.flag = 2, .name = "POP"},
	        {.flag = 4, .name = "UM"},
	        {.flag = 8, .name = "IIS"},
	        {.flag = 16, .name = "SMTP"},
	        {.flag = 32, .name = "Federation"},
	        {.flag = 64, .name = "UMCallRouter"},
	        {.flag = 0, .name = NULL},
	        {.flag = 3, .name = NULL},
	        {.flag = 24, .name = NULL},
	        {.flag = 128, .name = NULL},
	        {.flag = XC_SVC_ALL, .name = NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = xc_service_name(cases[i].flag);

		if (cases[i].name == NULL && got != NULL)
			fail_msg("xc_service_name(%u): expected NULL, got '%s'",
			         cases[i].flag, got);
		if (cases[i].name != NULL &&
		    (got == NULL || strcmp(got, cases[i].name) != 0))
			fail_msg("xc_service_name(%u): expected '%s', got '%s'",
			         cases[i].flag, cases[i].name,
			         got ? got : "(null)");
	}
}

/* Every name maps to its flag and back to the same spelling. */
static void test_round_trip(void **state)
{
	unsigned flag;

	(void)state;
	for (flag = 1; flag <= 64; flag <<= 1) {
		const char *name = xc_service_name(flag);

		assert_non_null(name);
		assert_int_equal(xc_service_parse(name), flag);
	}
}

struct format_case {
	unsigned mask;
	const char *out;
};

static const struct format_case format_cases[] = {
        {.mask = 27, .out = "IMAP, POP, IIS, SMTP"},
        {.mask = 0, .out = "None"},
        {.mask = XC_SVC_IIS, .out = "IIS"},
        {.mask = XC_SVC_IIS | XC_SVC_SMTP, .out = "IIS, SMTP"},
        {.mask = XC_SVC_SMTP | XC_SVC_IMAP, .out = "IMAP, SMTP"},
        {.mask = XC_SVC_UMCALLROUTER | XC_SVC_UM, .out = "UM, UMCallRouter"},
        {.mask = XC_SVC_FEDERATION, .out = "Federation"},
        {.mask = XC_SVC_ALL,
         .out = "IMAP, POP, UM, IIS, SMTP, Federation, UMCallRouter"},
};

static void test_format(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		char buf[128];

		memset(buf, 'x', sizeof(buf));
		buf[sizeof(buf) - 1] = '\0';
		xc_services_format(format_cases[i].mask, buf, sizeof(buf));
		if (strcmp(buf, format_cases[i].out) != 0)
			fail_msg("format(%u): expected '%s', got '%s'",
			         format_cases[i].mask, format_cases[i].out,
			         buf);
	}
}

/* Short buffers: cut, terminated, never overrun; size 0 writes nothing. */
static void test_format_small_buffer(void **state)
{
	char buf[16];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	xc_services_format(27, buf, 8);
	assert_true(memchr(buf, '\0', 8) != NULL);
	assert_int_equal(buf[8], 'x');
	assert_int_equal(strncmp(buf, "IMAP", 4), 0);

	memset(buf, 'x', sizeof(buf));
	xc_services_format(27, buf, 0);
	assert_int_equal(buf[0], 'x');

	memset(buf, 'x', sizeof(buf));
	xc_services_format(0, buf, 5);
	assert_string_equal(buf, "None");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_flag_values),
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_name),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
