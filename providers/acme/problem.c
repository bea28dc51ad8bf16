/* SPDX-License-Identifier: MIT */
#include "providers/acme/problem.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "state/buf.h"

#define URN "urn:ietf:params:acme:error:"

/* RFC 8555 §6.7, in the words an administrator needs. */
static const struct {
	const char *type;
	const char *words;
	enum xc_code code;
} types[] = {
        {"accountDoesNotExist", "the CA has no account for this key",
         XC_ENOTFOUND},
        {"alreadyRevoked", "the certificate is already revoked", XC_ERR},
        {"badCSR", "the CA refused the certificate request", XC_EINVAL},
        {"badNonce", "the CA rejected the anti-replay nonce", XC_EPROTO},
        {"badPublicKey", "the CA does not accept this key", XC_EINVAL},
        {"badRevocationReason", "the CA refused the revocation reason",
         XC_EINVAL},
        {"badSignatureAlgorithm",
         "the CA does not accept the signature algorithm", XC_EINVAL},
        {"caa", "a CAA record forbids this CA to issue for the name", XC_EAUTH},
        {"compound", "several problems", XC_ERR},
        {"connection", "the CA could not connect to the server to validate",
         XC_EAUTH},
        {"dns", "the CA's DNS lookup failed", XC_EAUTH},
        {"externalAccountRequired",
         "the CA requires an external account binding (--eab-kid, --eab-hmac)",
         XC_EAUTH},
        {"incorrectResponse", "the challenge response was not the expected one",
         XC_EAUTH},
        {"invalidContact", "the CA refused the contact address", XC_EINVAL},
        {"malformed", "the CA found the request malformed", XC_EINVAL},
        {"orderNotReady", "the order is not ready to be finalized",
         XC_ECONFLICT},
        {"rateLimited", "the CA's rate limit was reached", XC_ERR},
        {"rejectedIdentifier", "the CA will not issue for this name",
         XC_EINVAL},
        {"serverInternal", "the CA had an internal error", XC_ERR},
        {"tls", "the CA met a TLS error while validating", XC_EAUTH},
        {"unauthorized", "the CA refused the authorization", XC_EAUTH},
        {"unsupportedContact", "the CA does not support the contact's scheme",
         XC_EINVAL},
        {"unsupportedIdentifier", "the CA does not support this kind of name",
         XC_EINVAL},
        {"userActionRequired", "the CA needs you to act (see its page)",
         XC_EAUTH},
};

const char *xc_acme_problem_short(const char *type)
{
	if (!type)
		return "";
	if (strncmp(type, URN, strlen(URN)) == 0)
		return type + strlen(URN);
	return type;
}

static const char *words_of(const char *short_type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].type, short_type) == 0)
			return types[i].words;
	return "the CA reported a problem";
}

enum xc_code xc_acme_problem_code(const char *short_type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].type, short_type) == 0)
			return types[i].code;
	return XC_ERR;
}

/* Appends text from the CA, at most max bytes, control characters made
 * blanks so that a reply cannot forge lines of excert's output. */
static void add_clean(struct xc_buf *b, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++) {
		char c = s[i];

		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		xc_buf_add(b, &c, 1);
	}
	while (b->len > 0 && b->ptr[b->len - 1] == ' ')
		b->ptr[--b->len] = '\0';
	if (s[i])
		xc_buf_puts(b, "...");
}

static void describe_one(struct xc_buf *b, const json_t *p)
{
	const char *type = xc_acme_problem_short(
	        json_string_value(json_object_get(p, "type")));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	const char *instance =
	        json_string_value(json_object_get(p, "instance"));

	xc_buf_puts(b, words_of(type));
	if (*type) {
		xc_buf_puts(b, " (");
		add_clean(b, type, 64);
		xc_buf_puts(b, ")");
	}
	if (detail && *detail) {
		xc_buf_puts(b, ": ");
		add_clean(b, detail, 300);
	}
	if (instance && *instance) {
		xc_buf_puts(b, " <");
		add_clean(b, instance, 200);
		xc_buf_puts(b, ">");
	}
}

void xc_acme_problem_words(const char *body, size_t len, long status,
                           long long now, long long retry_seconds, char *out,
                           size_t size, char *type_out, size_t type_size)
{
	json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *subs;
	struct xc_buf b;
	size_t i;

	xc_buf_init(&b, 0);
	if (type_out && type_size)
		type_out[0] = '\0';
	if (json_is_object(doc) &&
	    json_is_string(json_object_get(doc, "type"))) {
		const char *type = xc_acme_problem_short(
		        json_string_value(json_object_get(doc, "type")));

		if (type_out && type_size)
			snprintf(type_out, type_size, "%s", type);
		describe_one(&b, doc);
		subs = json_object_get(doc, "subproblems");
		for (i = 0;
		     json_is_array(subs) && i < json_array_size(subs) && i < 10;
		     i++) {
			const json_t *sp = json_array_get(subs, i);
			const char *v = json_string_value(json_object_get(
			        json_object_get(sp, "identifier"), "value"));

			xc_buf_puts(&b, "; ");
			if (v) {
				add_clean(&b, v, 253);
				xc_buf_puts(&b, ": ");
			}
			describe_one(&b, sp);
		}
	} else {
		xc_buf_printf(&b, "HTTP %ld", status);
		if (body && len) {
			xc_buf_puts(&b, ": ");
			add_clean(&b, body, len < 200 ? len : 200);
		}
	}
	if (retry_seconds >= 0) {
		time_t t = (time_t)(now + retry_seconds);
		struct tm tm;
		char when[32] = "";

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		xc_buf_printf(&b, "; retry after %s (in %lld s)", when,
		              retry_seconds);
	}
	snprintf(out, size, "%s", xc_buf_cstr(&b));
	xc_buf_release(&b);
	json_decref(doc);
}
