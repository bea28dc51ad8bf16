/* SPDX-License-Identifier: MIT */
/* Unit tests for state/dn.h: subject distinguished names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "state/dn.h"

#define MAX_ATTRS 6

struct attr {
	const char *type;
	const char *value;
};

struct parse_case {
	const char *in;
	bool ok;
	struct attr attrs[MAX_ATTRS]; /* when ok; type NULL ends */
	const char *why;              /* exact reason when !ok */
};

static const struct parse_case parse_cases[] = {
        {.in = "CN=mail.contoso.com",
         .ok = true,
         .attrs = {{"CN", "mail.contoso.com"}}},
        {.in = "CN=mail.contoso.com, O=Contoso, C=US",
         .ok = true,
         .attrs = {{"CN", "mail.contoso.com"}, {"O", "Contoso"}, {"C", "US"}}},
        {.in = "  CN = mail.contoso.com ,O=Contoso Ltd  ,  L=Seattle",
         .ok = true,
         .attrs = {{"CN", "mail.contoso.com"},
                   {"O", "Contoso Ltd"},
                   {"L", "Seattle"}}},
        {.in = "CN=mail.contoso.com;O=Contoso",
         .ok = true,
         .attrs = {{"CN", "mail.contoso.com"}, {"O", "Contoso"}}},
        /* Multi-valued RDN. */
        {.in = "CN=mail+OU=IT, O=Contoso",
         .ok = true,
         .attrs = {{"CN", "mail"}, {"OU", "IT"}, {"O", "Contoso"}}},
        /* Attribute types: case-insensitive, ST and EMAIL mapped. */
        {.in = "cn=mail.contoso.com, o=Contoso",
         .ok = true,
         .attrs = {{"CN", "mail.contoso.com"}, {"O", "Contoso"}}},
        {.in = "CN=x, ST=Washington, S=WA",
         .ok = true,
         .attrs = {{"CN", "x"}, {"S", "Washington"}, {"S", "WA"}}},
        {.in = "CN=x, EMAIL=it@contoso.com, E=pki@contoso.com",
         .ok = true,
         .attrs = {{"CN", "x"},
                   {"E", "it@contoso.com"},
                   {"E", "pki@contoso.com"}}},
        {.in = "Email=it@contoso.com",
         .ok = true,
         .attrs = {{"E", "it@contoso.com"}}},
        {.in = "CN=x, DC=contoso, DC=com, STREET=1 Main St, POSTALCODE=98052",
         .ok = true,
         .attrs = {{"CN", "x"},
                   {"DC", "contoso"},
                   {"DC", "com"},
                   {"STREET", "1 Main St"},
                   {"POSTALCODE", "98052"}}},
        {.in = "SERIALNUMBER=42, T=Admin, G=Ann, SN=Lee",
         .ok = true,
         .attrs = {{"SERIALNUMBER", "42"},
                   {"T", "Admin"},
                   {"G", "Ann"},
                   {"SN", "Lee"}}},
        /* OIDs as written. */
        {.in = "2.5.4.3=mail.contoso.com",
         .ok = true,
         .attrs = {{"2.5.4.3", "mail.contoso.com"}}},
        {.in = "CN=x, 1.2.840.113549.1.9.1=it@contoso.com",
         .ok = true,
         .attrs = {{"CN", "x"}, {"1.2.840.113549.1.9.1", "it@contoso.com"}}},
        /* Quoted values. */
        {.in = "CN=mail.contoso.com, O=\"Contoso, Ltd\", C=US",
         .ok = true,
         .attrs = {{"CN", "mail.contoso.com"},
                   {"O", "Contoso, Ltd"},
                   {"C", "US"}}},
        {.in = "O=\"A+B; C\"", .ok = true, .attrs = {{"O", "A+B; C"}}},
        {.in = "O=\"  padded  \"", .ok = true, .attrs = {{"O", "  padded  "}}},
        {.in = "O=\"say \\\"hi\\\"\"",
         .ok = true,
         .attrs = {{"O", "say \"hi\""}}},
        {.in = "O=\"Contoso\" , C=US",
         .ok = true,
         .attrs = {{"O", "Contoso"}, {"C", "US"}}},
        /* Backslash escapes. */
        {.in = "O=Contoso\\, Ltd, C=US",
         .ok = true,
         .attrs = {{"O", "Contoso, Ltd"}, {"C", "US"}}},
        {.in = "O=A\\+B", .ok = true, .attrs = {{"O", "A+B"}}},
        {.in = "O=back\\\\slash", .ok = true, .attrs = {{"O", "back\\slash"}}},
        {.in = "O=\\\"quoted\\\"", .ok = true, .attrs = {{"O", "\"quoted\""}}},
        {.in = "O=\\<tag\\>", .ok = true, .attrs = {{"O", "<tag>"}}},
        /* Hex escapes: a UTF-8 e-acute, and a '+'. */
        {.in = "O=Caf\\C3\\A9", .ok = true, .attrs = {{"O", "Caf\xc3\xa9"}}},
        {.in = "O=caf\\c3\\a9", .ok = true, .attrs = {{"O", "caf\xc3\xa9"}}},
        {.in = "O=A\\2BB", .ok = true, .attrs = {{"O", "A+B"}}},
        {.in = "O=A\\2cB, C=US",
         .ok = true,
         .attrs = {{"O", "A,B"}, {"C", "US"}}},
        /* C: two letters. */
        {.in = "C=us", .ok = true, .attrs = {{"C", "us"}}},
        {.in = "CN=x, C=USA",
         .why = "C= takes a two-letter country code (e.g. C=US)"},
        {.in = "C=U", .why = "C= takes a two-letter country code (e.g. C=US)"},
        {.in = "C=U1", .why = "C= takes a two-letter country code (e.g. C=US)"},
        {.in = "C=\"U S\"",
         .why = "C= takes a two-letter country code (e.g. C=US)"},
        /* Empty values and names. */
        {.in = "", .why = "empty distinguished name"},
        {.in = "   ", .why = "empty distinguished name"},
        {.in = "CN=", .why = "attribute CN has an empty value"},
        {.in = "CN=  , O=x", .why = "attribute CN has an empty value"},
        {.in = "O=x, CN=\"\"", .why = "attribute CN has an empty value"},
        {.in = "ST=", .why = "attribute S has an empty value"},
        /* Unknown attribute types. */
        {.in = "XX=foo",
         .why = "unknown attribute type 'XX' (use CN, O, OU, L, S, C, DC, E or an OID)"},
        {.in = "CN=x, Country=US",
         .why = "unknown attribute type 'Country' (use CN, O, OU, L, S, C, DC, E or an OID)"},
        {.in = "=foo",
         .why = "unknown attribute type '' (use CN, O, OU, L, S, C, DC, E or an OID)"},
        {.in = ".2.5.4.3=x",
         .why = "unknown attribute type '.2.5.4.3' (use CN, O, OU, L, S, C, DC, E or an OID)"},
        {.in = "2.5.4.3.=x",
         .why = "unknown attribute type '2.5.4.3.' (use CN, O, OU, L, S, C, DC, E or an OID)"},
        {.in = "2.5.4.3.1.2.3.4.5.6.7.8.9=x",
         .why = "unknown attribute type '2.5.4.3.1.2.3.4.5.6.' (use CN, O, OU, L, S, C, DC, E or an OID)"},
        /* Separators and '='. */
        {.in = "CN=x,", .why = "distinguished name ends with a separator"},
        {.in = "CN=x, O=y, ",
         .why = "distinguished name ends with a separator"},
        {.in = "CN=x+", .why = "distinguished name ends with a separator"},
        {.in = "mail.contoso.com",
         .why = "expected TYPE=value (e.g. CN=mail.contoso.com), found 'mail.contoso.com'"},
        {.in = "CN=x, O",
         .why = "expected TYPE=value (e.g. CN=mail.contoso.com), found 'O'"},
        {.in = "CN=x,,O=y",
         .why = "expected TYPE=value (e.g. CN=mail.contoso.com), found ''"},
        {.in = "CN mail, O=y",
         .why = "expected TYPE=value (e.g. CN=mail.contoso.com), found 'CN mail'"},
        /* Characters that must be escaped, and broken quoting. */
        {.in = "O=a\"b",
         .why = "'\"' in a value must be escaped or the value quoted"},
        {.in = "O=<b>",
         .why = "'<' in a value must be escaped or the value quoted"},
        {.in = "O=b>",
         .why = "'>' in a value must be escaped or the value quoted"},
        {.in = "O=\"Contoso", .why = "unterminated quoted value"},
        {.in = "O=\"Contoso\" Ltd",
         .why = "unexpected 'L' after a quoted value"},
        {.in = "O=Contoso\\", .why = "value ends with a backslash"},
};

static void check_case(const struct parse_case *t)
{
	struct xc_dn dn = {(struct xc_dn_attr *)1, 99};
	char why[256] = "";
	bool ok = xc_dn_parse(t->in, &dn, why, sizeof(why));
	size_t n = 0;
	size_t i;

	if (ok != t->ok) {
		if (ok)
			xc_dn_release(&dn);
		fail_msg("'%s': expected %s, got %s (%s)", t->in,
		         t->ok ? "valid" : "invalid", ok ? "valid" : "invalid",
		         why);
	}
	if (!ok) {
		if (strcmp(why, t->why) != 0)
			fail_msg("'%s': expected reason \"%s\", got \"%s\"",
			         t->in, t->why, why);
		if (dn.v != NULL || dn.n != 0)
			fail_msg("'%s': out not emptied on failure", t->in);
		return;
	}
	while (n < MAX_ATTRS && t->attrs[n].type)
		n++;
	if (dn.n != n) {
		size_t got = dn.n;

		xc_dn_release(&dn);
		fail_msg("'%s': expected %zu attributes, got %zu", t->in, n,
		         got);
	}
	for (i = 0; i < n; i++) {
		if (strcmp(dn.v[i].type, t->attrs[i].type) != 0 ||
		    strcmp(dn.v[i].value, t->attrs[i].value) != 0) {
			char got[300];

			snprintf(got, sizeof(got), "%s=%s", dn.v[i].type,
			         dn.v[i].value);
			xc_dn_release(&dn);
			fail_msg("'%s': attribute %zu: expected %s=%s, got %s",
			         t->in, i, t->attrs[i].type, t->attrs[i].value,
			         got);
		}
	}
	xc_dn_release(&dn);
	assert_null(dn.v);
	assert_int_equal(dn.n, 0);
}

static void test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		check_case(&parse_cases[i]);
}

struct get_case {
	const char *type;
	const char *value; /* NULL: absent */
};

static void test_get(void **state)
{
	static const struct get_case cases[] = {
	        {.type = "CN", .value = "mail.contoso.com"},
	        {.type = "OU", .value = "IT"},
	        {.type = "S", .value = "WA"},
	        {.type = "E", .value = "pki@contoso.com"},
	        {.type = "C", .value = "US"},
	        {.type = "2.5.4.97", .value = "VATGB-123"},
	        {.type = "ST", .value = NULL},
	        {.type = "EMAIL", .value = NULL},
	        {.type = "cn", .value = NULL},
	        {.type = "O", .value = NULL},
	        {.type = "", .value = NULL},
	};
	struct xc_dn dn;
	char why[256];
	size_t i;

	(void)state;
	if (!xc_dn_parse("CN=mail.contoso.com, OU=IT, OU=Web, ST=WA, "
	                 "EMAIL=pki@contoso.com, C=US, 2.5.4.97=VATGB-123",
	                 &dn, why, sizeof(why)))
		fail_msg("parse failed: %s", why);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = xc_dn_get(&dn, cases[i].type);

		if (cases[i].value == NULL && got != NULL) {
			xc_dn_release(&dn);
			fail_msg("xc_dn_get('%s'): expected NULL",
			         cases[i].type);
		}
		if (cases[i].value != NULL &&
		    (got == NULL || strcmp(got, cases[i].value) != 0)) {
			xc_dn_release(&dn);
			fail_msg("xc_dn_get('%s'): expected '%s'",
			         cases[i].type, cases[i].value);
		}
	}
	/* Borrowed from dn: the very pointer of the first OU. */
	assert_ptr_equal(xc_dn_get(&dn, "OU"), dn.v[1].value);
	xc_dn_release(&dn);
}

static void test_get_empty(void **state)
{
	struct xc_dn dn = {NULL, 0};

	(void)state;
	assert_null(xc_dn_get(&dn, "CN"));
	/* Releasing an empty name is harmless, twice too. */
	xc_dn_release(&dn);
	xc_dn_release(&dn);
	assert_null(dn.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_get),
	        cmocka_unit_test(test_get_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
