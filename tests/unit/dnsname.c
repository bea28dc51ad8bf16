/* SPDX-License-Identifier: MIT */
/* Unit tests for state/dnsname.h: host names, IP literals, NetBIOS names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "state/dnsname.h"

struct name_case {
	const char *in;
	unsigned flags;
	bool ok;
	const char *why; /* exact reason when !ok */
};

static const struct name_case name_cases[] = {
        {.in = "mail.contoso.com", .ok = true},
        {.in = "MAIL.Contoso.COM", .ok = true},
        {.in = "mail.contoso.com.", .ok = true},
        {.in = "xn--bcher-kva.example", .ok = true},
        {.in = "a-b.c-d.com", .ok = true},
        {.in = "a1.b2", .ok = true},
        {.in = "", .why = "empty name"},
        {.in = ".", .why = "empty name"},
        {.in = "mail..contoso.com", .why = "empty label"},
        {.in = ".contoso.com", .why = "empty label"},
        {.in = "localhost",
         .why = "'localhost' is a single label; write the fully qualified name"},
        {.in = "localhost.",
         .why = "'localhost.' is a single label; write the fully qualified name"},
        {.in = "localhost", .flags = XC_DNS_SINGLE, .ok = true},
        {.in = "localhost.", .flags = XC_DNS_SINGLE, .ok = true},
        {.in = "mail.contoso.com", .flags = XC_DNS_SINGLE, .ok = true},
        /* Wildcards. */
        {.in = "*.contoso.com", .why = "wildcards are not allowed here"},
        {.in = "*.contoso.com",
         .flags = XC_DNS_SINGLE,
         .why = "wildcards are not allowed here"},
        {.in = "*.contoso.com", .flags = XC_DNS_WILDCARD, .ok = true},
        {.in = "*.contoso.com.", .flags = XC_DNS_WILDCARD, .ok = true},
        {.in = "*.mail.contoso.com", .flags = XC_DNS_WILDCARD, .ok = true},
        {.in = "*.com",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard needs at least two labels after it"},
        {.in = "*.com.",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard needs at least two labels after it"},
        {.in = "*",
         .flags = XC_DNS_WILDCARD,
         .why = "'*' is a single label; write the fully qualified name"},
        {.in = "mail.*.com",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard may only be the left-most label"},
        {.in = "mail.contoso.*",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard may only be the left-most label"},
        {.in = "*.*.contoso.com",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard may only be the left-most label"},
        {.in = "*mail.contoso.com",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard must be a whole label ('*.example.com')"},
        {.in = "m*.contoso.com",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard must be a whole label ('*.example.com')"},
        {.in = "**.contoso.com",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard must be a whole label ('*.example.com')"},
        {.in = "mail.contoso.com*",
         .flags = XC_DNS_WILDCARD,
         .why = "a wildcard must be a whole label ('*.example.com')"},
        /* Hyphens at label ends. */
        {.in = "-mail.contoso.com",
         .why = "label '-mail' begins or ends with a hyphen"},
        {.in = "mail-.contoso.com",
         .why = "label 'mail-' begins or ends with a hyphen"},
        {.in = "mail.contoso-.com",
         .why = "label 'contoso-' begins or ends with a hyphen"},
        {.in = "mail.contoso.-com",
         .why = "label '-com' begins or ends with a hyphen"},
        {.in = "-",
         .flags = XC_DNS_SINGLE,
         .why = "label '-' begins or ends with a hyphen"},
        /* Characters outside letters, digits and hyphens. */
        {.in = "a_b.contoso.com",
         .why = "label 'a_b' has an invalid character '_'"},
        {.in = "_dmarc.contoso.com",
         .why = "label '_dmarc' has an invalid character '_'"},
        {.in = "mail contoso.com",
         .why = "label 'mail contoso' has an invalid character ' '"},
        {.in = "mail.contoso.com/owa",
         .why = "label 'com/owa' has an invalid character '/'"},
        {.in = "b\xc3\xbc"
               "cher.example",
         .why = "label has a character that is not a letter, digit or hyphen (use the A-label, xn--, for internationalised names)"},
        {.in = "mail\tx.contoso.com",
         .why = "label has a character that is not a letter, digit or hyphen (use the A-label, xn--, for internationalised names)"},
};

static void test_name_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		const struct name_case *t = &name_cases[i];
		char why[256] = "";
		bool ok = xc_dns_name_valid(t->in, t->flags, why, sizeof(why));

		if (ok != t->ok)
			fail_msg("'%s' flags %u: expected %s, got %s (%s)",
			         t->in, t->flags, t->ok ? "valid" : "invalid",
			         ok ? "valid" : "invalid", why);
		if (!ok && strcmp(why, t->why) != 0)
			fail_msg(
			        "'%s' flags %u: expected reason \"%s\", got \"%s\"",
			        t->in, t->flags, t->why, why);
	}
}

/* Fills buf with labels of the given lengths, joined by dots. */
static void make_name(char *buf, const size_t *lens, size_t n)
{
	size_t used = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			buf[used++] = '.';
		memset(buf + used, 'a' + (int)i, lens[i]);
		used += lens[i];
	}
	buf[used] = '\0';
}

struct length_case {
	size_t lens[5];
	size_t nlabels;
	bool trailing_dot;
	bool ok;
	const char *why;
};

static const struct length_case length_cases[] = {
        {.lens = {63, 3}, .nlabels = 2, .ok = true},
        {.lens = {64, 3},
         .nlabels = 2,
         .why = "label 'aaaaaaaaaaaaaaaaaaaa...' is 64 characters long; at most 63"},
        {.lens = {3, 63}, .nlabels = 2, .ok = true},
        {.lens = {3, 64},
         .nlabels = 2,
         .why = "label 'bbbbbbbbbbbbbbbbbbbb...' is 64 characters long; at most 63"},
        {.lens = {200},
         .nlabels = 1,
         .why = "label 'aaaaaaaaaaaaaaaaaaaa...' is 200 characters long; at most 63"},
        /* 63 + 63 + 63 + 61 + 3 dots = 253 */
        {.lens = {63, 63, 63, 61}, .nlabels = 4, .ok = true},
        {.lens = {63, 63, 63, 61},
         .nlabels = 4,
         .trailing_dot = true,
         .ok = true},
        {.lens = {63, 63, 63, 62},
         .nlabels = 4,
         .why = "name is 254 characters long; at most 253"},
        {.lens = {63, 63, 63, 62},
         .nlabels = 4,
         .trailing_dot = true,
         .why = "name is 254 characters long; at most 253"},
        {.lens = {63, 63, 63, 63, 63},
         .nlabels = 5,
         .why = "name is 319 characters long; at most 253"},
};

static void test_lengths(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(length_cases) / sizeof(length_cases[0]); i++) {
		const struct length_case *t = &length_cases[i];
		char name[400];
		char why[256] = "";
		bool ok;

		make_name(name, t->lens, t->nlabels);
		if (t->trailing_dot)
			memcpy(name + strlen(name), ".", 2);
		ok = xc_dns_name_valid(name, XC_DNS_SINGLE, why, sizeof(why));
		if (ok != t->ok)
			fail_msg(
			        "case %zu (%zu chars): expected %s, got %s (%s)",
			        i, strlen(name), t->ok ? "valid" : "invalid",
			        ok ? "valid" : "invalid", why);
		if (!ok && t->why && strcmp(why, t->why) != 0)
			fail_msg("case %zu: expected reason \"%s\", got \"%s\"",
			         i, t->why, why);
	}
}

/* The reason is cut to the buffer, never overflowing it. */
static void test_small_why_buffer(void **state)
{
	char why[8];

	(void)state;
	memset(why, 'x', sizeof(why));
	assert_false(xc_dns_name_valid("a_b.contoso.com", 0, why, sizeof(why)));
	assert_string_equal(why, "label '");
}

struct ip_case {
	const char *in;
	bool ip;
};

static const struct ip_case ip_cases[] = {
        {.in = "192.0.2.1", .ip = true},
        {.in = "0.0.0.0", .ip = true},
        {.in = "255.255.255.255", .ip = true},
        {.in = "::1", .ip = true},
        {.in = "::", .ip = true},
        {.in = "2001:db8::1", .ip = true},
        {.in = "2001:DB8:0:0:0:0:0:1", .ip = true},
        {.in = "::ffff:192.0.2.1", .ip = true},
        {.in = "256.0.0.1"},
        {.in = "192.0.2"},
        {.in = "192.0.2.1.5"},
        {.in = " 192.0.2.1"},
        {.in = "[::1]"},
        {.in = "2001:db8::1::2"},
        {.in = "fe80::1%eth0"},
        {.in = "mail.contoso.com"},
        {.in = "localhost"},
        {.in = ""},
};

static void test_ip_literal(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ip_cases) / sizeof(ip_cases[0]); i++) {
		if (xc_ip_literal(ip_cases[i].in) != ip_cases[i].ip)
			fail_msg("xc_ip_literal('%s'): expected %s",
			         ip_cases[i].in,
			         ip_cases[i].ip ? "true" : "false");
	}
}

static const struct name_case host_cases[] = {
        {.in = "192.0.2.10", .ok = true},
        {.in = "2001:db8::25", .ok = true},
        {.in = "localhost", .ok = true},
        {.in = "ns1", .ok = true},
        {.in = "ns1.contoso.com", .ok = true},
        {.in = "ns1.contoso.com.", .ok = true},
        {.in = "", .why = "empty name"},
        {.in = "[2001:db8::25]",
         .why = "label '[2001:db8::25]' has an invalid character '['"},
        {.in = "*.contoso.com", .why = "wildcards are not allowed here"},
        {.in = "ns_1.contoso.com",
         .why = "label 'ns_1' has an invalid character '_'"},
        {.in = "ns1-.contoso.com",
         .why = "label 'ns1-' begins or ends with a hyphen"},
};

static void test_host_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]); i++) {
		const struct name_case *t = &host_cases[i];
		char why[256] = "";
		bool ok = xc_host_valid(t->in, why, sizeof(why));

		if (ok != t->ok)
			fail_msg("host '%s': expected %s, got %s (%s)", t->in,
			         t->ok ? "valid" : "invalid",
			         ok ? "valid" : "invalid", why);
		if (!ok && strcmp(why, t->why) != 0)
			fail_msg(
			        "host '%s': expected reason \"%s\", got \"%s\"",
			        t->in, t->why, why);
	}
}

#define NETBIOS_LENGTH \
	"a server name is the computer's NetBIOS name: 1 to 15 characters"
#define NETBIOS_CHARS "a server name has only letters, digits and hyphens"

static const struct name_case netbios_cases[] = {
        {.in = "MS01", .ok = true},
        {.in = "ms01", .ok = true},
        {.in = "EX-2019-MBX", .ok = true},
        {.in = "1", .ok = true},
        {.in = "ABCDEFGHIJKLMNO", .ok = true},
        {.in = "ABCDEFGHIJKLMNOP", .why = NETBIOS_LENGTH},
        {.in = "", .why = NETBIOS_LENGTH},
        {.in = "MS_01", .why = NETBIOS_CHARS},
        {.in = "MS 01", .why = NETBIOS_CHARS},
        {.in = "ms01.contoso", .why = NETBIOS_CHARS},
        {.in = "M\xc3\x9c"
               "01",
         .why = NETBIOS_CHARS},
        {.in = "-MS01", .why = "a server name cannot begin with a hyphen"},
};

static void test_netbios(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(netbios_cases) / sizeof(netbios_cases[0]); i++) {
		const struct name_case *t = &netbios_cases[i];
		char why[256] = "";
		bool ok = xc_netbios_valid(t->in, why, sizeof(why));

		if (ok != t->ok)
			fail_msg("netbios '%s': expected %s, got %s (%s)",
			         t->in, t->ok ? "valid" : "invalid",
			         ok ? "valid" : "invalid", why);
		if (!ok && strcmp(why, t->why) != 0)
			fail_msg(
			        "netbios '%s': expected reason \"%s\", got \"%s\"",
			        t->in, t->why, why);
	}
}

struct equal_case {
	const char *a;
	const char *b;
	bool equal;
};

static const struct equal_case equal_cases[] = {
        {.a = "mail.contoso.com", .b = "mail.contoso.com", .equal = true},
        {.a = "MAIL.Contoso.com", .b = "mail.CONTOSO.COM", .equal = true},
        {.a = "mail.contoso.com.", .b = "mail.contoso.com", .equal = true},
        {.a = "mail.contoso.com", .b = "Mail.Contoso.Com.", .equal = true},
        {.a = "mail.contoso.com.", .b = "mail.contoso.com.", .equal = true},
        {.a = "", .b = "", .equal = true},
        {.a = "mail.contoso.com", .b = "mail.contoso.co"},
        {.a = "mail.contoso.co", .b = "mail.contoso.com"},
        {.a = "mail.contoso.com..", .b = "mail.contoso.com"},
        {.a = "mail.contoso.com", .b = "mail.contoso.com.."},
        {.a = "mail.contoso.com", .b = "mail-contoso.com"},
        {.a = "mail.contoso.com", .b = "smtp.contoso.com"},
        {.a = "*.contoso.com", .b = "mail.contoso.com"},
        {.a = "a", .b = ""},
};

static void test_name_equal(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(equal_cases) / sizeof(equal_cases[0]); i++) {
		const struct equal_case *t = &equal_cases[i];

		if (xc_dns_name_equal(t->a, t->b) != t->equal)
			fail_msg("xc_dns_name_equal('%s', '%s'): expected %s",
			         t->a, t->b, t->equal ? "true" : "false");
		if (xc_dns_name_equal(t->b, t->a) != t->equal)
			fail_msg("xc_dns_name_equal('%s', '%s'): expected %s",
			         t->b, t->a, t->equal ? "true" : "false");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_name_table),
	        cmocka_unit_test(test_lengths),
	        cmocka_unit_test(test_small_why_buffer),
	        cmocka_unit_test(test_ip_literal),
	        cmocka_unit_test(test_host_valid),
	        cmocka_unit_test(test_netbios),
	        cmocka_unit_test(test_name_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
