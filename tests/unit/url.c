/* SPDX-License-Identifier: MIT */
/* Unit tests for state/url.h: the shape of verify, ACME and WinRM URLs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "state/url.h"

#define ALL "https http smtp imap pop3 imaps pop3s"
#define VERIFY "https smtp imap pop3 imaps pop3s"

struct parse_case {
	const char *in;
	const char *schemes; /* NULL: ALL */
	bool ok;
	const char *scheme; /* when ok */
	const char *host;
	unsigned port;
	const char *path;
	const char *why; /* exact reason when !ok */
};

static const struct parse_case parse_cases[] = {
        /* Every scheme with its default port. */
        {.in = "https://mail.contoso.com",
         .ok = true,
         .scheme = "https",
         .host = "mail.contoso.com",
         .port = 443,
         .path = ""},
        {.in = "http://ms02.contoso.local",
         .ok = true,
         .scheme = "http",
         .host = "ms02.contoso.local",
         .port = 80,
         .path = ""},
        {.in = "smtp://mail.contoso.com",
         .ok = true,
         .scheme = "smtp",
         .host = "mail.contoso.com",
         .port = 25,
         .path = ""},
        {.in = "imap://mail.contoso.com",
         .ok = true,
         .scheme = "imap",
         .host = "mail.contoso.com",
         .port = 143,
         .path = ""},
        {.in = "pop3://mail.contoso.com",
         .ok = true,
         .scheme = "pop3",
         .host = "mail.contoso.com",
         .port = 110,
         .path = ""},
        {.in = "imaps://mail.contoso.com",
         .ok = true,
         .scheme = "imaps",
         .host = "mail.contoso.com",
         .port = 993,
         .path = ""},
        {.in = "pop3s://mail.contoso.com",
         .ok = true,
         .scheme = "pop3s",
         .host = "mail.contoso.com",
         .port = 995,
         .path = ""},
        /* Scheme case, single-label hosts, IPv4. */
        {.in = "HTTPS://Mail.Contoso.com",
         .schemes = "https",
         .ok = true,
         .scheme = "https",
         .host = "Mail.Contoso.com",
         .port = 443,
         .path = ""},
        {.in = "http://ms02:5985/wsman",
         .schemes = "https http",
         .ok = true,
         .scheme = "http",
         .host = "ms02",
         .port = 5985,
         .path = "/wsman"},
        {.in = "https://192.0.2.10:8443/",
         .ok = true,
         .scheme = "https",
         .host = "192.0.2.10",
         .port = 8443,
         .path = "/"},
        /* Explicit ports. */
        {.in = "smtp://mail.contoso.com:587",
         .schemes = VERIFY,
         .ok = true,
         .scheme = "smtp",
         .host = "mail.contoso.com",
         .port = 587,
         .path = ""},
        {.in = "https://mail.contoso.com:1",
         .ok = true,
         .scheme = "https",
         .host = "mail.contoso.com",
         .port = 1,
         .path = ""},
        {.in = "https://mail.contoso.com:65535/x",
         .ok = true,
         .scheme = "https",
         .host = "mail.contoso.com",
         .port = 65535,
         .path = "/x"},
        {.in = "https://mail.contoso.com:0",
         .why = "bad port in URL 'https://mail.contoso.com:0' (1 to 65535)"},
        {.in = "https://mail.contoso.com:65536",
         .why = "bad port in URL 'https://mail.contoso.com:65536' (1 to 65535)"},
        {.in = "https://mail.contoso.com:99999999999999999999999",
         .why = "bad port in URL 'https://mail.contoso.com:99999999999999999999999' (1 to 65535)"},
        {.in = "https://mail.contoso.com:-443",
         .why = "bad port in URL 'https://mail.contoso.com:-443' (1 to 65535)"},
        {.in = "https://mail.contoso.com:44a",
         .why = "bad port in URL 'https://mail.contoso.com:44a' (1 to 65535)"},
        {.in = "https://mail.contoso.com:",
         .why = "URL 'https://mail.contoso.com:' has an empty port"},
        {.in = "https://mail.contoso.com:/owa",
         .why = "URL 'https://mail.contoso.com:/owa' has an empty port"},
        /* IPv6 in brackets. */
        {.in = "https://[2001:db8::1]/owa",
         .ok = true,
         .scheme = "https",
         .host = "2001:db8::1",
         .port = 443,
         .path = "/owa"},
        {.in = "smtp://[2001:db8::25]:2525",
         .ok = true,
         .scheme = "smtp",
         .host = "2001:db8::25",
         .port = 2525,
         .path = ""},
        {.in = "https://[::1]",
         .ok = true,
         .scheme = "https",
         .host = "::1",
         .port = 443,
         .path = ""},
        {.in = "https://[::1]:",
         .why = "URL 'https://[::1]:' has an empty port"},
        {.in = "https://[::1]:0",
         .why = "bad port in URL 'https://[::1]:0' (1 to 65535)"},
        {.in = "https://[::1", .why = "bad IPv6 address in 'https://[::1'"},
        {.in = "https://[::1/x]",
         .why = "bad IPv6 address in 'https://[::1/x]'"},
        {.in = "https://[mail.contoso.com]",
         .why = "bad IPv6 address in 'https://[mail.contoso.com]'"},
        {.in = "https://[]", .why = "bad IPv6 address in 'https://[]'"},
        {.in = "https://[::1]x", .why = "bad host in 'https://[::1]x'"},
        /* Paths: https and http only; a lone '/' is no path. */
        {.in = "https://mail.contoso.com/owa/?x=1#top",
         .ok = true,
         .scheme = "https",
         .host = "mail.contoso.com",
         .port = 443,
         .path = "/owa/?x=1#top"},
        {.in = "https://mail.contoso.com?x=1",
         .ok = true,
         .scheme = "https",
         .host = "mail.contoso.com",
         .port = 443,
         .path = "?x=1"},
        {.in = "https://mail.contoso.com/a@b",
         .ok = true,
         .scheme = "https",
         .host = "mail.contoso.com",
         .port = 443,
         .path = "/a@b"},
        {.in = "smtp://mail.contoso.com/",
         .ok = true,
         .scheme = "smtp",
         .host = "mail.contoso.com",
         .port = 25,
         .path = "/"},
        {.in = "smtp://mail.contoso.com/x",
         .why = "a URL with scheme smtp cannot have a path: 'smtp://mail.contoso.com/x'"},
        {.in = "imaps://mail.contoso.com:993/INBOX",
         .why = "a URL with scheme imaps cannot have a path: 'imaps://mail.contoso.com:993/INBOX'"},
        {.in = "pop3://mail.contoso.com?x",
         .why = "a URL with scheme pop3 cannot have a path: 'pop3://mail.contoso.com?x'"},
        {.in = "pop3s://mail.contoso.com#x",
         .why = "a URL with scheme pop3s cannot have a path: 'pop3s://mail.contoso.com#x'"},
        /* Unsupported schemes. */
        {.in = "ftp://mail.contoso.com",
         .why = "unsupported URL scheme 'ftp' (use https http smtp imap pop3 imaps pop3s)"},
        {.in = "http://mail.contoso.com",
         .schemes = "https",
         .why = "unsupported URL scheme 'http' (use https)"},
        {.in = "HTTP://mail.contoso.com",
         .schemes = VERIFY,
         .why = "unsupported URL scheme 'http' (use https smtp imap pop3 imaps pop3s)"},
        {.in = "smtps://mail.contoso.com",
         .schemes = VERIFY,
         .why = "unsupported URL scheme 'smtps' (use https smtp imap pop3 imaps pop3s)"},
        {.in = "imap://mail.contoso.com",
         .schemes = "https smtp",
         .why = "unsupported URL scheme 'imap' (use https smtp)"},
        /* Not a URL at all. */
        {.in = "mail.contoso.com",
         .schemes = "https",
         .why = "'mail.contoso.com' is not a URL: expected scheme://host (schemes: https)"},
        {.in = "://mail.contoso.com",
         .schemes = "https",
         .why = "'://mail.contoso.com' is not a URL: expected scheme://host (schemes: https)"},
        {.in = "https:/mail.contoso.com",
         .schemes = "https",
         .why = "'https:/mail.contoso.com' is not a URL: expected scheme://host (schemes: https)"},
        {.in = "",
         .schemes = "https",
         .why = "'' is not a URL: expected scheme://host (schemes: https)"},
        /* Missing or bad host. */
        {.in = "https://", .why = "URL 'https://' has no host"},
        {.in = "https:///owa", .why = "URL 'https:///owa' has no host"},
        {.in = "https://:443/owa", .why = "URL 'https://:443/owa' has no host"},
        {.in = "https://?x", .why = "URL 'https://?x' has no host"},
        {.in = "https://mail_1.contoso.com",
         .why = "bad host in URL 'https://mail_1.contoso.com': label 'mail_1' has an invalid character '_'"},
        {.in = "https://*.contoso.com",
         .why = "bad host in URL 'https://*.contoso.com': wildcards are not allowed here"},
        {.in = "https://mail..contoso.com",
         .why = "bad host in URL 'https://mail..contoso.com': empty label"},
        /* Spaces and control characters. */
        {.in = "https://mail.contoso.com/o wa",
         .why = "URL 'https://mail.contoso.com/o wa' has a space or control character"},
        {.in = "https://mail.contoso.com/owa\t",
         .why = "URL 'https://mail.contoso.com/owa\t' has a space or control character"},
};

static void test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		const char *schemes = t->schemes ? t->schemes : ALL;
		struct xc_url u;
		char why[256] = "";
		bool ok = xc_url_parse(t->in, schemes, &u, why, sizeof(why));

		if (ok != t->ok)
			fail_msg("'%s' [%s]: expected %s, got %s (%s)", t->in,
			         schemes, t->ok ? "valid" : "invalid",
			         ok ? "valid" : "invalid", why);
		if (!ok) {
			if (strcmp(why, t->why) != 0)
				fail_msg(
				        "'%s': expected reason \"%s\", got \"%s\"",
				        t->in, t->why, why);
			continue;
		}
		if (strcmp(u.scheme, t->scheme) != 0 ||
		    strcmp(u.host, t->host) != 0 || u.port != t->port ||
		    strcmp(u.path, t->path) != 0)
			fail_msg("'%s': expected %s|%s|%u|%s, got %s|%s|%u|%s",
			         t->in, t->scheme, t->host, t->port, t->path,
			         u.scheme, u.host, u.port, u.path);
	}
}

/* Host names at the edge of what the struct holds. */
static void test_long_host(void **state)
{
	char url[400];
	char why[512];
	struct xc_url u;

	(void)state;
	/* 63.63.63.61 = 253 characters: the longest name. */
	snprintf(
	        url, sizeof(url), "https://%.63s.%.63s.%.63s.%.61s/",
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	        "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	        "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	assert_true(xc_url_parse(url, "https", &u, why, sizeof(why)));
	assert_int_equal(strlen(u.host), 253);
	assert_string_equal(u.path, "/");
	/* 256 characters do not fit host[256]. */
	memset(url, 'a', sizeof(url));
	memcpy(url, "https://", 8);
	url[8 + 256] = '\0';
	assert_false(xc_url_parse(url, "https", &u, why, sizeof(why)));
	assert_non_null(strstr(why, "has no host"));
}

struct cred_case {
	const char *in;
	const char *secret;
};

/* The reason never quotes a URL with credentials in it. */
static const struct cred_case cred_cases[] = {
        {.in = "https://admin:hunter2@mail.contoso.com/owa",
         .secret = "hunter2"},
        {.in = "https://admin:hunter2@mail.contoso.com", .secret = "hunter2"},
        {.in = "smtp://relay:s3cr3t@mail.contoso.com:587", .secret = "s3cr3t"},
        {.in = "https://:onlypass@mail.contoso.com", .secret = "onlypass"},
        {.in = "https://tokenvalue@mail.contoso.com", .secret = "tokenvalue"},
        {.in = "https://u:p%40ss@[2001:db8::1]:8443/", .secret = "p%40ss"},
        {.in = "https://u:pw@bad_host.contoso.com", .secret = "pw@"},
        {.in = "https://u:pw@mail.contoso.com:0", .secret = "pw@"},
        {.in = "https://u:pw with space@mail.contoso.com", .secret = "pw with"},
        {.in = "HTTPS://u:pw@mail.contoso.com", .secret = "pw@"},
        /* Refused before the scheme is looked at. */
        {.in = "ftp://u:pw@mail.contoso.com", .secret = "pw@"},
        {.in = "schemetoolong://u:hunter2@mail.contoso.com",
         .secret = "hunter2"},
        {.in = "u:hunter2@mail.contoso.com", .secret = "hunter2"},
};

static void test_credentials(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cred_cases) / sizeof(cred_cases[0]); i++) {
		const struct cred_case *t = &cred_cases[i];
		struct xc_url u;
		char why[512] = "";

		if (xc_url_parse(t->in, ALL, &u, why, sizeof(why)))
			fail_msg("'%s': credentials accepted", t->in);
		if (strstr(why, t->secret) != NULL)
			fail_msg("'%s': reason shows the secret: %s", t->in,
			         why);
		if (strstr(why, "credentials") == NULL)
			fail_msg("'%s': unexpected reason \"%s\"", t->in, why);
	}
}

struct port_case {
	const char *scheme;
	unsigned port;
};

static void test_default_port(void **state)
{
	static const struct port_case cases[] = {
	        {.scheme = "https", .port = 443},
	        {.scheme = "http", .port = 80},
	        {.scheme = "smtp", .port = 25},
	        {.scheme = "imap", .port = 143},
	        {.scheme = "pop3", .port = 110},
	        {.scheme = "imaps", .port = 993},
	        {.scheme = "pop3s", .port = 995},
	        {.scheme = "ftp", .port = 0},
	        {.scheme = "smtps", .port = 0},
	        {.scheme = "http2", .port = 0},
	        {.scheme = "", .port = 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (xc_url_default_port(cases[i].scheme) != cases[i].port)
			fail_msg("default port of '%s': expected %u, got %u",
			         cases[i].scheme, cases[i].port,
			         xc_url_default_port(cases[i].scheme));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_long_host),
	        cmocka_unit_test(test_credentials),
	        cmocka_unit_test(test_default_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
