/* SPDX-License-Identifier: MIT */
/* Unit tests for state/duration.h: "30d", "1d12h" and their formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "state/duration.h"

#define MINUTE 60LL
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)

struct parse_case {
	const char *in;
	bool ok;
	long long secs;  /* when ok */
	const char *why; /* exact reason when !ok */
};

static const struct parse_case parse_cases[] = {
        {.in = "30d", .ok = true, .secs = 30 * DAY},
        {.in = "1d12h", .ok = true, .secs = DAY + 12 * HOUR},
        {.in = "2w", .ok = true, .secs = 2 * WEEK},
        {.in = "90m", .ok = true, .secs = 90 * MINUTE},
        {.in = "45s", .ok = true, .secs = 45},
        {.in = "1s", .ok = true, .secs = 1},
        {.in = "1w2d3h4m5s",
         .ok = true,
         .secs = WEEK + 2 * DAY + 3 * HOUR + 4 * MINUTE + 5},
        {.in = "1h30m", .ok = true, .secs = HOUR + 30 * MINUTE},
        {.in = "007d", .ok = true, .secs = 7 * DAY},
        {.in = "0d1h", .ok = true, .secs = HOUR},
        {.in = "3660d", .ok = true, .secs = XC_DURATION_MAX},
        {.in = "522w6d", .ok = true, .secs = XC_DURATION_MAX},
        /* Bare numbers: days or seconds?  Refused. */
        {.in = "30",
         .why = "duration '30' has no unit: write e.g. 30d for days"},
        {.in = "0", .why = "duration '0' has no unit: write e.g. 0d for days"},
        {.in = "1d12",
         .why = "duration '1d12' has no unit: write e.g. 12d for days"},
        /* Unknown units. */
        {.in = "30x",
         .why = "invalid duration unit 'x' in '30x': use w, d, h, m or s"},
        {.in = "30D",
         .why = "invalid duration unit 'D' in '30D': use w, d, h, m or s"},
        {.in = "2y",
         .why = "invalid duration unit 'y' in '2y': use w, d, h, m or s"},
        {.in = "1.5d",
         .why = "invalid duration unit '.' in '1.5d': use w, d, h, m or s"},
        {.in = "30 d",
         .why = "invalid duration unit ' ' in '30 d': use w, d, h, m or s"},
        /* No number where one is expected. */
        {.in = "d",
         .why = "invalid duration 'd': expected a number followed by w, d, h, m or s (e.g. 30d)"},
        {.in = "-1d",
         .why = "invalid duration '-1d': expected a number followed by w, d, h, m or s (e.g. 30d)"},
        {.in = " 30d",
         .why = "invalid duration ' 30d': expected a number followed by w, d, h, m or s (e.g. 30d)"},
        {.in = "30d ",
         .why = "invalid duration '30d ': expected a number followed by w, d, h, m or s (e.g. 30d)"},
        {.in = "1dd",
         .why = "invalid duration '1dd': expected a number followed by w, d, h, m or s (e.g. 30d)"},
        /* Unit order and repetition. */
        {.in = "12h1d",
         .why = "invalid duration '12h1d': units must go from largest to smallest, each once"},
        {.in = "30s1m",
         .why = "invalid duration '30s1m': units must go from largest to smallest, each once"},
        {.in = "1d1d",
         .why = "invalid duration '1d1d': units must go from largest to smallest, each once"},
        /* Zero. */
        {.in = "0d", .why = "duration must be greater than zero"},
        {.in = "0w0d0h0m0s", .why = "duration must be greater than zero"},
        /* Too long, and numbers that would overflow. */
        {.in = "3661d", .why = "duration '3661d' is too long; at most 3660d"},
        {.in = "3660d1s",
         .why = "duration '3660d1s' is too long; at most 3660d"},
        {.in = "523w", .why = "duration '523w' is too long; at most 3660d"},
        {.in = "316224001s",
         .why = "duration '316224001s' is too long; at most 3660d"},
        {.in = "99999999999999999999999999d",
         .why = "duration '99999999999999999999999999d' is too long; at most 3660d"},
        {.in = "9223372036854775807s",
         .why = "duration '9223372036854775807s' is too long; at most 3660d"},
        {.in = "", .why = "empty duration"},
};

static void test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		long long secs = -1;
		char why[256] = "";
		bool ok = xc_duration_parse(t->in, &secs, why, sizeof(why));

		if (ok != t->ok)
			fail_msg("'%s': expected %s, got %s (%s)", t->in,
			         t->ok ? "valid" : "invalid",
			         ok ? "valid" : "invalid", why);
		if (ok && secs != t->secs)
			fail_msg("'%s': expected %lld seconds, got %lld", t->in,
			         t->secs, secs);
		if (!ok && strcmp(why, t->why) != 0)
			fail_msg("'%s': expected reason \"%s\", got \"%s\"",
			         t->in, t->why, why);
		if (!ok && secs != -1)
			fail_msg("'%s': secs_out written on failure", t->in);
	}
}

struct format_case {
	long long secs;
	const char *out;
};

static const struct format_case format_cases[] = {
        {.secs = 30 * DAY, .out = "30d"},
        {.secs = DAY + 12 * HOUR, .out = "1d12h"},
        {.secs = 2 * WEEK, .out = "2w"},
        {.secs = 14 * DAY, .out = "2w"},
        {.secs = 8 * DAY, .out = "8d"},
        {.secs = WEEK + HOUR, .out = "7d1h"},
        {.secs = 90 * MINUTE, .out = "1h30m"},
        {.secs = 45, .out = "45s"},
        {.secs = DAY + HOUR + MINUTE + 1, .out = "1d1h1m1s"},
        {.secs = 61, .out = "1m1s"},
        {.secs = XC_DURATION_MAX, .out = "3660d"},
        {.secs = 0, .out = "0s"},
};

static void test_format_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *t = &format_cases[i];
		char buf[64];

		memset(buf, 'x', sizeof(buf));
		xc_duration_format(t->secs, buf, sizeof(buf));
		if (strcmp(buf, t->out) != 0)
			fail_msg("format(%lld): expected '%s', got '%.64s'",
			         t->secs, t->out, buf);
	}
}

/* Written back in canonical form, every value parses to itself. */
static void test_round_trip(void **state)
{
	static const char *const canonical[] = {
	        "30d", "1d12h", "2w",  "45s",      "1h30m",       "3660d",
	        "1s",  "8d",    "52w", "1d1h1m1s", "6d23h59m59s",
	};
	static const long long secs[] = {
	        1,
	        59,
	        60,
	        3599,
	        3600,
	        86399,
	        86400,
	        WEEK - 1,
	        WEEK,
	        WEEK + 1,
	        90 * DAY,
	        365 * DAY,
	        1234567,
	        XC_DURATION_MAX - 1,
	        XC_DURATION_MAX,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
		long long v = 0;
		char why[256];
		char buf[64];

		if (!xc_duration_parse(canonical[i], &v, why, sizeof(why)))
			fail_msg("'%s': %s", canonical[i], why);
		xc_duration_format(v, buf, sizeof(buf));
		if (strcmp(buf, canonical[i]) != 0)
			fail_msg("'%s' came back as '%s'", canonical[i], buf);
	}
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		long long v = 0;
		char why[256];
		char buf[64];

		xc_duration_format(secs[i], buf, sizeof(buf));
		if (!xc_duration_parse(buf, &v, why, sizeof(why)))
			fail_msg("%lld formatted as '%s', which fails: %s",
			         secs[i], buf, why);
		if (v != secs[i])
			fail_msg("%lld formatted as '%s', which parses as %lld",
			         secs[i], buf, v);
	}
}

/* A small buffer is never overrun and stays terminated. */
static void test_format_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	xc_duration_format(DAY + HOUR + MINUTE + 1, buf, 4);
	assert_true(memchr(buf, '\0', 4) != NULL);
	assert_int_equal(buf[4], 'x');
	assert_int_equal(strncmp(buf, "1d", 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_format_table),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
