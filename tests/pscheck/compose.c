/* SPDX-License-Identifier: MIT */
/*
 * pscheck_compose OUTDIR: composes the text excert sends to a server
 * (xc_agent_compose) for requests whose values try to break out of the
 * PowerShell string they travel in, checks its shape, and writes each text
 * to OUTDIR/compose-N.ps1 for pscheck.  The checks:
 *   - the text is the embedded agent byte for byte, a blank line,
 *     "Invoke-ExcertAgent -RequestBase64 '<B>'" and a blank line, nothing
 *     else;
 *   - B is base64 (RFC 4648 alphabet, padded, one line) and decodes to the
 *     request exactly;
 *   - no request value, raw or as JSON escapes it, occurs in the text
 *     outside B.
 * Exit status 0 when every request passes, 1 otherwise.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "providers/exchange/agent_request.h"
#include "providers/exchange/agent_script.h"

#define HEAD "\nInvoke-ExcertAgent -RequestBase64 '"
#define TAIL "'\n\n"

/* Values that would break a request built by pasting strings into code. */
static const char *const nasty[] = {
        "x'; Remove-Item C:\\ -Recurse #",
        "x''; Remove-Item C:\\ -Recurse; ''",
        "$(Remove-Item C:\\ -Recurse)",
        "@(Stop-Computer -Force)",
        "`$env:USERNAME`n`r`0 ``backtick``",
        "\"; exit 1; \"",
        "line one\nline two\r\n\nInvoke-Expression 'evil'\n",
        "<I>CN=R11, O=Let's Encrypt, C=US<S>CN=mail.contoso.com, S=Z\xc3\xbcrich",
        "Zertifikat f\xc3\xbcr B\xc3\xbcro \xe2\x80\x93 \xe2\x9c\x93 \xe8\xa8\xbc\xe6\x98\x8e\xe6\x9b\xb8",
        "\xe2\x80\x98smart\xe2\x80\x99 quotes \xe2\x80\x9clike\xe2\x80\x9d these",
        "-----END EXCERT REPLY-----\nforged reply",
        "#> <# ; } ] ) | & > < %",
        "\\\\server\\share\\..\\..\\windows",
};

static int failures;

static void fail(int n, const char *what)
{
	fprintf(stderr, "compose-%d: %s\n", n, what);
	failures++;
}

/* memmem, which C11 and POSIX lack. */
static bool contains(const char *hay, size_t hay_len, const char *needle,
                     size_t needle_len)
{
	size_t i;

	if (needle_len == 0 || needle_len > hay_len)
		return false;
	for (i = 0; i + needle_len <= hay_len; i++)
		if (memcmp(hay + i, needle, needle_len) == 0)
			return true;
	return false;
}

static void add_op(json_t *ops, const char *op, json_t *args)
{
	char id[16];

	snprintf(id, sizeof(id), "%zu", json_array_size(ops) + 1);
	json_array_append_new(ops, json_pack("{s:s,s:s,s:o}", "id", id, "op",
	                                     op, "args", args));
}

/* Request n: the nasty values in every string argument of the protocol.
 * Values too short to search for are left out of the search, not of the
 * request. */
static json_t *make_request(int n)
{
	json_t *ops = json_array();
	const char *v = nasty[n % (sizeof(nasty) / sizeof(nasty[0]))];
	const char *w = nasty[(n + 1) % (sizeof(nasty) / sizeof(nasty[0]))];

	add_op(ops, "observe", json_object());
	add_op(ops, "set_send_connector_tls",
	       json_pack("{s:s,s:s}", "name", v, "tls_certificate_name", w));
	add_op(ops, "set_receive_connector_tls",
	       json_pack("{s:s,s:s}", "identity", w, "tls_certificate_name",
	                 v));
	add_op(ops, "new_request",
	       json_pack("{s:s,s:[s,s],s:i,s:s,s:b}", "subject", v, "domains",
	                 w, v, "key_size", 2048, "friendly_name", w,
	                 "exportable", 1));
	add_op(ops, "export_pfx",
	       json_pack("{s:s,s:s}", "thumbprint", v, "password", w));
	add_op(ops, "place_http01",
	       json_pack("{s:s,s:s}", "token", w, "content", v));
	add_op(ops, v, json_pack("{s:s}", w, v));
	return json_pack("{s:i,s:s,s:o}", "protocol", 1, "server", v,
	                 "operations", ops);
}

/* A request with a large binary argument, of n bytes before base64: it
 * crosses agent_request.c's encoding chunks, with each kind of padding. */
static json_t *make_large_request(size_t n, char **data_out)
{
	unsigned char *raw = malloc(n);
	unsigned char *b64 = malloc(n / 3 * 4 + 8);
	json_t *ops = json_array();
	size_t i;

	if (!raw || !b64) {
		fputs("out of memory\n", stderr);
		exit(1);
	}
	for (i = 0; i < n; i++)
		raw[i] = (unsigned char)(i * 131 + 7);
	EVP_EncodeBlock(b64, raw, (int)n);
	add_op(ops, "import_pfx",
	       json_pack("{s:s,s:s,s:b,s:n}", "pfx", (char *)b64, "password",
	                 nasty[0], "exportable", 0, "friendly_name"));
	free(raw);
	*data_out = (char *)b64;
	return json_pack("{s:i,s:s,s:o}", "protocol", 1, "server", "MS01",
	                 "operations", ops);
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Whether value (raw, and as JSON writes it) is absent from text outside
 * [b, e). */
static void check_absent(int n, const char *text, size_t len, size_t b,
                         size_t e, const char *value)
{
	json_t *s = json_string(value);
	char *escaped = json_dumps(s, JSON_ENCODE_ANY);
	const char *forms[2];
	size_t k;

	forms[0] = value;
	forms[1] = escaped;
	for (k = 0; k < 2; k++) {
		const char *f = forms[k];
		size_t fl = strlen(f);

		if (k == 1) {
			/* Without the JSON quotes around it. */
			f++;
			fl -= 2;
		}
		if (fl < 6)
			continue;
		if (contains(text, b, f, fl) ||
		    contains(text + e, len - e, f, fl)) {
			char msg[160];

			snprintf(
			        msg, sizeof(msg),
			        "a request value occurs outside the base64 literal: %.60s",
			        f);
			fail(n, msg);
		}
	}
	free(escaped);
	json_decref(s);
}

/* extra: one more value to look for (the large request's data), or NULL. */
static void check_one(int n, json_t *req, const char *extra, const char *outdir)
{
	char *json = json_dumps(req, JSON_COMPACT);
	size_t json_len = strlen(json);
	size_t len = 0;
	char *text = xc_agent_compose(json, &len);
	size_t script_len = (size_t)xc_agent_script_len;
	size_t b = script_len + sizeof(HEAD) - 1;
	size_t e;
	size_t nvalues = 0;
	size_t i;
	char path[4096];
	FILE *f;

	if (len != strlen(text))
		fail(n, "the length is not the text's");
	if (len < b + sizeof(TAIL) - 1 ||
	    memcmp(text, xc_agent_script, script_len) != 0)
		fail(n, "the text does not start with the agent script");
	else if (memcmp(text + script_len, HEAD, sizeof(HEAD) - 1) != 0)
		fail(n,
		     "no blank line and Invoke-ExcertAgent line after the script");
	else if (memcmp(text + len - (sizeof(TAIL) - 1), TAIL,
	                sizeof(TAIL) - 1) != 0)
		fail(n,
		     "the text does not end with the quote and a blank line");
	else {
		unsigned char *raw;
		int got;
		size_t pad = 0;

		e = len - (sizeof(TAIL) - 1);
		for (i = b; i < e; i++)
			if (!is_b64(text[i]) && !(text[i] == '=' && i + 2 >= e))
				break;
		if (i < e || (e - b) % 4 != 0) {
			fail(n, "the literal is not one line of padded base64");
		} else {
			raw = malloc(e - b + 1);
			if (!raw) {
				fputs("out of memory\n", stderr);
				exit(1);
			}
			got = EVP_DecodeBlock(raw,
			                      (const unsigned char *)text + b,
			                      (int)(e - b));
			if (e > b && text[e - 1] == '=')
				pad++;
			if (e > b + 1 && text[e - 2] == '=')
				pad++;
			if (got < 0 || (size_t)got - pad != json_len ||
			    memcmp(raw, json, json_len) != 0)
				fail(n,
				     "the literal does not decode to the request");
			free(raw);
		}
		/* Every value any request carries (the names of the
		 * protocol's own members and operations are in the script,
		 * and are not values). */
		for (i = 0; i < sizeof(nasty) / sizeof(nasty[0]);
		     i++, nvalues++)
			check_absent(n, text, len, b, e, nasty[i]);
		if (extra) {
			check_absent(n, text, len, b, e, extra);
			nvalues++;
		}
	}
	snprintf(path, sizeof(path), "%s/compose-%d.ps1", outdir, n);
	f = fopen(path, "wb");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	printf("compose-%d: %zu bytes of request, %zu of text, %zu values checked\n",
	       n, json_len, len, nvalues);
	free(text);
	free(json);
}

int main(int argc, char **argv)
{
	int n = 0;
	size_t i;
	const size_t large[] = {49152 * 3 + 1, 49152 * 3 + 2, 49152 * 3 + 3};

	if (argc != 2) {
		fputs("usage: pscheck_compose OUTDIR\n", stderr);
		return 2;
	}
	for (i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		json_t *req = make_request((int)i);

		check_one(n++, req, NULL, argv[1]);
		json_decref(req);
	}
	for (i = 0; i < sizeof(large) / sizeof(large[0]); i++) {
		char *data;
		json_t *req = make_large_request(large[i], &data);

		check_one(n++, req, data, argv[1]);
		json_decref(req);
		free(data);
	}
	if (failures) {
		fprintf(stderr, "pscheck_compose: %d failures\n", failures);
		return 1;
	}
	printf("pscheck_compose: %d texts composed and checked\n", n);
	return 0;
}
