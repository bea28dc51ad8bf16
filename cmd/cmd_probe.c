/* SPDX-License-Identifier: MIT */
/* excert probe URL...: what each endpoint really serves. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/probe/probe.h"
#include "state/duration.h"
#include "state/sanitize.h"
#include "state/x509.h"
#include "state/xalloc.h"

enum {
	OPT_TIMEOUT = 100,
	OPT_DEADLINE,
	OPT_CONNECT_TO,
	OPT_CA_BUNDLE,
};

const struct xc_opt xc_probe_opts[] = {
        {OPT_TIMEOUT, 0, "timeout", XC_OPT_VALUE, "DURATION",
         "per endpoint, from connect to handshake (default 10s; 500ms)"},
        {OPT_DEADLINE, 0, "deadline", XC_OPT_VALUE, "DURATION",
         "for the whole run (default: none beyond --timeout)"},
        {OPT_CONNECT_TO, 0, "connect-to", XC_OPT_VALUE, "ADDR",
         "connect to ADDR[:PORT] instead; SNI and name check keep the URL's host"},
        {OPT_CA_BUNDLE, 0, "ca-bundle", XC_OPT_VALUE, "FILE",
         "verify chains against these CAs (PEM) instead of the system's"},
        {0},
};

struct probe_args {
	unsigned timeout_ms;
	unsigned deadline_ms;
	const char *connect_to;
	const char *ca_bundle;
};

/* "500ms", or a duration as excert.yaml writes them ("10s", "2m"). */
static int duration_ms(const char *opt, const char *v, unsigned *out)
{
	size_t n = strlen(v);
	char why[160];
	long long secs;

	if (n > 2 && strcmp(v + n - 2, "ms") == 0) {
		char *end;
		long ms = strtol(v, &end, 10);

		if (end == v + n - 2 && ms > 0 && ms <= 86400000L) {
			*out = (unsigned)ms;
			return 0;
		}
		xc_out_usage("--%s: '%s' is not a number of milliseconds", opt,
		             v);
		return -1;
	}
	if (!xc_duration_parse(v, &secs, why, sizeof(why))) {
		xc_out_usage("--%s: %s", opt, why);
		return -1;
	}
	if (secs > 86400) {
		xc_out_usage("--%s: at most a day, not '%s'", opt, v);
		return -1;
	}
	*out = (unsigned)(secs * 1000);
	return 0;
}

static int handle(void *arg, int id, const char *value)
{
	struct probe_args *a = arg;

	switch (id) {
	case OPT_TIMEOUT:
		return duration_ms("timeout", value, &a->timeout_ms);
	case OPT_DEADLINE:
		return duration_ms("deadline", value, &a->deadline_ms);
	case OPT_CONNECT_TO:
		a->connect_to = value;
		return 0;
	case OPT_CA_BUNDLE:
		a->ca_bundle = value;
		return 0;
	}
	return -1;
}

static long long days_left(long long not_after, long long now)
{
	long long d = not_after - now;

	/* Floor, so that a certificate that expired an hour ago has -1. */
	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

static void iso(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, size, "%lld", t);
}

/* The certificate's names, the protocol and every error quote what the
 * server sent: all of it goes through the sanitizer. */
static void print_text(char **urls, const struct xc_probe_result *r, size_t n,
                       long long now)
{
	struct xc_sanitize_pool z;
	int uw = (int)strlen("ENDPOINT");
	int cw = (int)strlen("SUBJECT");
	size_t i;

	xc_sanitize_pool_init(&z, 0);
	for (i = 0; i < n; i++) {
		int l = (int)strlen(xc_sanitize_str(&z, urls[i]));

		if (l > uw)
			uw = l < 60 ? l : 60;
		if (r[i].served) {
			l = (int)strlen(xc_sanitize_str(&z, r[i].subject_cn)) +
			    3;
			if (l > cw)
				cw = l < 40 ? l : 40;
		}
	}
	printf("%-*s  %-40s  %5s  %-*s  %-8s  %-7s  %s\n", uw, "ENDPOINT",
	       "THUMBPRINT", "DAYS", cw, "SUBJECT", "NAME", "TLS", "CHAIN");
	for (i = 0; i < n; i++) {
		char cn[300];

		if (!r[i].served) {
			printf("%-*s  error: %s\n", uw,
			       xc_sanitize_str(&z, urls[i]),
			       xc_sanitize_str(&z, r[i].err.msg));
			continue;
		}
		snprintf(cn, sizeof(cn), "CN=%s",
		         xc_sanitize_str(&z, r[i].subject_cn));
		printf("%-*s  %-40s  %5lld  %-*s  %-8s  %-7s  %s\n", uw,
		       xc_sanitize_str(&z, urls[i]), r[i].thumbprint,
		       days_left(r[i].not_after, now), cw, cn,
		       r[i].hostname_match ? "ok" : "mismatch",
		       xc_sanitize_str(&z, r[i].protocol),
		       r[i].chain_verified ? "trusted" : "untrusted");
	}
	xc_sanitize_pool_release(&z);
}

static json_t *b64(const unsigned char *der, size_t len)
{
	char *s = xc_base64_encode(der, len);
	json_t *j = json_string(s);

	free(s);
	return j;
}

static void print_json(char **urls, const char *connect_to,
                       const struct xc_probe_result *r, size_t n, long long now,
                       double wall)
{
	json_t *eps = json_array();
	json_t *doc;
	size_t served = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = json_pack(
		        "{s:s,s:o,s:s,s:b}", "url", urls[i], "connect_to",
		        connect_to ? json_string(connect_to) : json_null(),
		        "address", r[i].address, "served", r[i].served);
		json_t *chain;
		char nb[32];
		char na[32];
		size_t k;

		if (!r[i].served) {
			json_object_set_new(
			        o, "error",
			        json_pack("{s:s,s:s}", "code",
			                  xc_code_name(r[i].err.code),
			                  "message", r[i].err.msg));
			json_array_append_new(eps, o);
			continue;
		}
		served++;
		chain = json_array();
		for (k = 0; k < r[i].nchain; k++)
			json_array_append_new(chain, b64(r[i].chain[k].der,
			                                 r[i].chain[k].len));
		iso(r[i].not_before, nb, sizeof(nb));
		iso(r[i].not_after, na, sizeof(na));
		json_object_update_new(
		        o,
		        json_pack(
		                "{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:b,s:o,s:s,s:s,s:f,s:o,s:o}",
		                "thumbprint", r[i].thumbprint, "subject",
		                r[i].subject, "subject_cn", r[i].subject_cn,
		                "issuer", r[i].issuer, "not_before", nb,
		                "not_after", na, "days_left",
		                (json_int_t)days_left(r[i].not_after, now),
		                "hostname_match", r[i].hostname_match,
		                "chain_verified", r[i].chain_verified,
		                "chain_error",
		                r[i].chain_verified
		                        ? json_null()
		                        : json_string(r[i].chain_error),
		                "protocol", r[i].protocol, "cipher",
		                r[i].cipher, "seconds", r[i].seconds, "der",
		                b64(r[i].leaf.der, r[i].leaf.len), "chain",
		                chain));
		json_array_append_new(eps, o);
	}
	doc = json_pack("{s:i,s:o,s:{s:I,s:I,s:I,s:f}}", "format_version", 1,
	                "endpoints", eps, "summary", "endpoints", (json_int_t)n,
	                "served", (json_int_t)served, "failed",
	                (json_int_t)(n - served), "seconds", wall);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int xc_cmd_probe(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                 char **argv)
{
	struct probe_args a = {0, 0, NULL, NULL};
	struct xc_probe_target *t;
	struct xc_probe_result *r;
	struct xc_probe_opts o;
	struct xc_error err;
	struct timespec t0;
	clock_t c0 = clock();
	char why[300];
	char **pos;
	size_t failed = 0;
	size_t i;
	int n;
	int rc;

	pos = calloc((size_t)argc + 1, sizeof(*pos));
	n = xc_cmd_parse(ctx, self, argc, argv, pos, handle, &a);
	if (n < 0) {
		free(pos);
		return n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	}
	if (n == 0) {
		free(pos);
		xc_out_usage("probe needs at least one URL "
		             "(https://, smtp://, imap://, pop3://, imaps://, "
		             "pop3s://)");
		return XC_EXIT_USAGE;
	}
	for (i = 0; i < (size_t)n; i++) {
		if (!xc_probe_check(pos[i], a.connect_to, why, sizeof(why))) {
			xc_out_usage("probe: %s", why);
			free(pos);
			return XC_EXIT_USAGE;
		}
	}
	t = xc_xcalloc((size_t)n, sizeof(*t));
	r = xc_xcalloc((size_t)n, sizeof(*r));
	for (i = 0; i < (size_t)n; i++) {
		t[i].url = pos[i];
		t[i].connect_to = a.connect_to;
	}
	memset(&o, 0, sizeof(o));
	o.timeout_ms = a.timeout_ms;
	o.deadline_ms = a.deadline_ms;
	o.ca_bundle = a.ca_bundle;
	xc_error_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = xc_probe_run(t, (size_t)n, &o, r, &err);
	if (rc < 0) {
		xc_out_err(&err);
		free(t);
		free(r);
		free(pos);
		return XC_EXIT_ERROR;
	}
	for (i = 0; i < (size_t)n; i++)
		failed += !r[i].served;
	if (ctx->format == XC_FMT_JSON)
		print_json(pos, a.connect_to, r, (size_t)n,
		           (long long)time(NULL), since(&t0));
	else
		print_text(pos, r, (size_t)n, (long long)time(NULL));
	fflush(stdout);
	/* NOLINTNEXTLINE(concurrency-mt-unsafe) */
	if (getenv("EXCERT_PROFILE"))
		fprintf(stderr,
		        "excert: profile: probe %d endpoints (%zu served, %zu failed) %.3f s wall, %.3f s cpu\n",
		        n, (size_t)n - failed, failed, since(&t0),
		        (double)(clock() - c0) / CLOCKS_PER_SEC);
	for (i = 0; i < (size_t)n; i++)
		xc_probe_result_release(&r[i]);
	free(t);
	free(r);
	free(pos);
	return failed ? XC_EXIT_ERROR : XC_EXIT_OK;
}
