/* SPDX-License-Identifier: MIT */
/* excert acme issue: a certificate from an ACME CA, with a local key. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "providers/acme/acme.h"
#include "providers/acme/ari.h"
#include "providers/acme/issue.h"
#include "state/config.h"
#include "state/sanitize.h"
#include "state/secret.h"
#include "state/store.h"
#include "state/xalloc.h"

enum {
	OPT_DIRECTORY = 100,
	OPT_EAB_KID,
	OPT_EAB_HMAC,
	OPT_DOMAIN,
	OPT_KEY,
	OPT_CA_BUNDLE,
	OPT_OUT,
	OPT_WEBROOT,
	OPT_HTTP_PORT,
	OPT_DNS_SERVER,
	OPT_TSIG_NAME,
	OPT_TSIG_SECRET,
	OPT_TSIG_ALG,
	OPT_ZONE,
	OPT_DNS_SECONDARY,
	OPT_DNS_TIMEOUT,
	OPT_EMAIL,
	OPT_CERT,
};

const struct xc_opt xc_acme_opts[] = {
        {OPT_DIRECTORY, 0, "directory", XC_OPT_VALUE, "URL",
         "issue, ari: the CA's ACME directory (https://)"},
        {OPT_DOMAIN, 'd', "domain", XC_OPT_VALUE, "DOMAIN",
         "issue: a DNS name of the certificate (repeat for more)"},
        {OPT_EAB_KID, 0, "eab-kid", XC_OPT_VALUE, "KID",
         "issue: external account binding key id"},
        {OPT_EAB_HMAC, 0, "eab-hmac", XC_OPT_VALUE, "SECRET",
         "issue: its HMAC key, as env:NAME or file:PATH"},
        {OPT_KEY, 0, "key", XC_OPT_VALUE, "TYPE",
         "issue: ec256 (default) or rsa2048"},
        {OPT_CA_BUNDLE, 0, "ca-bundle", XC_OPT_VALUE, "FILE",
         "issue, ari: trust these CAs for the ACME server's TLS"},
        {OPT_OUT, 0, "out", XC_OPT_VALUE, "DIR",
         "issue: write cert.pem, chain.pem, key.pem here (default .)"},
        {OPT_WEBROOT, 0, "webroot", XC_OPT_VALUE, "DIR",
         "issue: answer http-01 with files under DIR/.well-known/"},
        {OPT_HTTP_PORT, 0, "http-port", XC_OPT_VALUE, "PORT",
         "issue: answer http-01 on PORT or ADDR:PORT (default 80, all addresses)"},
        {OPT_DNS_SERVER, 0, "dns-server", XC_OPT_VALUE, "ADDR[:PORT]",
         "issue: answer dns-01 with RFC 2136 updates sent to this primary"},
        {OPT_TSIG_NAME, 0, "tsig-name", XC_OPT_VALUE, "NAME",
         "issue: the TSIG key that signs the updates"},
        {OPT_TSIG_SECRET, 0, "tsig-secret", XC_OPT_VALUE, "SECRET",
         "issue: its secret, as env:NAME or file:PATH (base64 or a key file)"},
        {OPT_TSIG_ALG, 0, "tsig-algorithm", XC_OPT_VALUE, "ALG",
         "issue: hmac-sha256 (default), hmac-sha512, ..."},
        {OPT_ZONE, 0, "zone", XC_OPT_VALUE, "ZONE",
         "issue: the zone to update (default: found by an SOA query)"},
        {OPT_DNS_SECONDARY, 0, "dns-secondary", XC_OPT_VALUE, "ADDR[:PORT]",
         "issue: a secondary of the zone that must serve the records too before the CA is asked (repeat for more)"},
        {OPT_DNS_TIMEOUT, 0, "dns-timeout", XC_OPT_VALUE, "SECONDS",
         "issue: how long the DNS servers may take to serve the records (default 60)"},
        {OPT_EMAIL, 0, "email", XC_OPT_VALUE, "ADDRESS",
         "issue: the account's contact address, sent when the account is made"},
        {OPT_CERT, 0, "cert", XC_OPT_VALUE, "FILE",
         "ari: the certificate (PEM or DER) to ask about"},
        {0},
};

struct acme_args {
	const char *directory;
	const char *eab_kid;
	const char *eab_hmac;
	const char **domains;
	size_t ndomains;
	size_t cap;
	enum xc_acme_keytype key;
	const char *ca_bundle;
	const char *out;
	const char *webroot;
	const char *http_port;
	const char *dns_server;
	const char *tsig_name;
	const char *tsig_secret;
	const char *tsig_alg;
	const char *zone;
	const char *cert;
	const char **secondaries;
	size_t nsecondaries;
	size_t capsec;
	unsigned dns_timeout;
	const char *email;
};

static int handle(void *arg, int id, const char *value)
{
	struct acme_args *a = arg;
	enum xc_secret_kind kind;
	const char *what;
	char why[160];

	switch (id) {
	case OPT_DIRECTORY:
		a->directory = value;
		return 0;
	case OPT_EAB_KID:
		a->eab_kid = value;
		return 0;
	case OPT_EAB_HMAC:
		/* The reason never repeats the value: it may be the key. */
		if (!xc_secret_ref_parse(value, &kind, &what, why,
		                         sizeof(why))) {
			xc_out_usage("--eab-hmac: %s", why);
			return -1;
		}
		a->eab_hmac = value;
		return 0;
	case OPT_DOMAIN:
		xc_xgrow((void **)&a->domains, &a->cap, a->ndomains + 1,
		         sizeof(*a->domains));
		a->domains[a->ndomains++] = value;
		return 0;
	case OPT_KEY:
		if (strcmp(value, "ec256") == 0)
			a->key = XC_ACME_KEY_EC256;
		else if (strcmp(value, "rsa2048") == 0)
			a->key = XC_ACME_KEY_RSA2048;
		else {
			xc_out_usage("--key takes ec256 or rsa2048, not '%s'",
			             value);
			return -1;
		}
		return 0;
	case OPT_CA_BUNDLE:
		a->ca_bundle = value;
		return 0;
	case OPT_OUT:
		a->out = value;
		return 0;
	case OPT_WEBROOT:
		a->webroot = value;
		return 0;
	case OPT_HTTP_PORT:
		a->http_port = value;
		return 0;
	case OPT_DNS_SERVER:
		a->dns_server = value;
		return 0;
	case OPT_TSIG_NAME:
		a->tsig_name = value;
		return 0;
	case OPT_TSIG_SECRET:
		if (!xc_secret_ref_parse(value, &kind, &what, why,
		                         sizeof(why))) {
			xc_out_usage("--tsig-secret: %s", why);
			return -1;
		}
		a->tsig_secret = value;
		return 0;
	case OPT_TSIG_ALG:
		a->tsig_alg = value;
		return 0;
	case OPT_ZONE:
		a->zone = value;
		return 0;
	case OPT_DNS_TIMEOUT: {
		char *end;
		long n = strtol(value, &end, 10);

		if (!*value || *end || n < 1 || n > 86400) {
			xc_out_usage(
			        "--dns-timeout takes 1 to 86400 seconds, not '%s'",
			        value);
			return -1;
		}
		a->dns_timeout = (unsigned)n;
		return 0;
	}
	case OPT_EMAIL:
		if (!strchr(value, '@') || strchr(value, ',') ||
		    strchr(value, ' ')) {
			xc_out_usage("--email takes one address, not '%s'",
			             value);
			return -1;
		}
		a->email = value;
		return 0;
	case OPT_DNS_SECONDARY:
		xc_xgrow((void **)&a->secondaries, &a->capsec,
		         a->nsecondaries + 1, sizeof(*a->secondaries));
		a->secondaries[a->nsecondaries++] = value;
		return 0;
	case OPT_CERT:
		a->cert = value;
		return 0;
	}
	return -1;
}

/* "[ADDR:]PORT"; ADDR may be an IPv6 address in brackets.  *addr is NULL
 * (every address) or a string the caller frees. */
static int listen_spec(const char *v, char **addr, unsigned *port)
{
	const char *p = strrchr(v, ':');
	const char *digits = p ? p + 1 : v;
	char *end;
	long n = strtol(digits, &end, 10);

	*addr = NULL;
	if (!*digits || *end || n < 1 || n > 65535) {
		xc_out_usage(
		        "--http-port takes [ADDR:]PORT with PORT 1 to 65535, not '%s'",
		        v);
		return -1;
	}
	*port = (unsigned)n;
	if (p) {
		size_t len = (size_t)(p - v);

		if (len >= 2 && v[0] == '[' && v[len - 1] == ']')
			*addr = xc_xstrndup(v + 1, len - 2);
		else
			*addr = xc_xstrndup(v, len);
		if (!**addr) {
			free(*addr);
			*addr = NULL;
		}
	}
	return 0;
}

/* --state, else the organisation's state directory when there is an
 * excert.yaml, else $XDG_STATE_HOME/excert/acme.  Caller frees. */
static char *state_dir(struct xc_ctx *ctx, int *exit_code)
{
	struct xc_config *cfg = NULL;
	char *base = NULL;
	char *dir;
	int rc;

	*exit_code = XC_EXIT_OK;
	if (ctx->state_dir)
		return xc_xstrdup(ctx->state_dir);
	if (ctx->ref || access(ctx->config, F_OK) == 0) {
		rc = xc_cmd_load_config(ctx, &cfg, &base, NULL);
		if (rc != XC_EXIT_OK) {
			*exit_code = rc;
			return NULL;
		}
		dir = xc_store_default_dir(cfg->organization.v);
		xc_config_free(cfg);
		free(base);
	} else {
		dir = xc_store_default_dir("acme");
	}
	if (!dir) {
		xc_out_error(
		        "no state directory: set HOME or XDG_STATE_HOME, or give --state DIR");
		*exit_code = XC_EXIT_ERROR;
	}
	return dir;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void profile(const struct xc_acme_issue_result *res,
                    const struct timespec *t0, clock_t c0)
{
	const struct xc_acme_stats *s = &res->stats;

	/* NOLINTNEXTLINE(concurrency-mt-unsafe) */
	if (!getenv("EXCERT_PROFILE"))
		return;
	fprintf(stderr,
	        "excert: profile: acme issue %.3f s wall, %.3f s cpu, %u requests (%u HEAD, %u GET, %u POST), %u badNonce retries, %u TLS connection%s, directory %s, account %s",
	        seconds_since(t0), (double)(clock() - c0) / CLOCKS_PER_SEC,
	        s->http.requests, s->http.heads, s->http.gets, s->http.posts,
	        s->badnonce_retries, s->http.connections,
	        s->http.connections == 1 ? "" : "s",
	        s->directory_cached ? "cached" : "fetched",
	        s->account_cached ? "cached" : "registered");
	if (res->key_background)
		fprintf(stderr,
		        ", key made alongside the requests (finalizing waited %.1f ms for it)",
		        res->key_wait_ms);
	if (res->dns.updates || res->dns.queries)
		fprintf(stderr,
		        ", dns-01: %u updates, %u queries, %u records added, %u deleted",
		        res->dns.updates, res->dns.queries, res->dns.added,
		        res->dns.deleted);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	xc_acme_interrupt();
}

static int issue(struct xc_ctx *ctx, struct acme_args *a)
{
	struct xc_acme_issue_opts o;
	struct xc_acme_issue_result res;
	struct xc_error err;
	struct timespec t0;
	clock_t c0 = clock();
	char *hmac_text = NULL;
	size_t hmac_text_len = 0;
	char *tsig_text = NULL;
	size_t tsig_text_len = 0;
	struct xc_dns01_config dns;
	unsigned char *hmac = NULL;
	size_t hmac_len = 0;
	char *addr = NULL;
	char *state = NULL;
	char until[32] = "";
	struct tm tm;
	time_t t;
	int code = XC_EXIT_ERROR;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&o, 0, sizeof(o));
	/* Ctrl-C or a TERM stops the run the way a failure does: what it
	 * placed (http-01 files, dns-01 records) is removed first. */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	memset(&res, 0, sizeof(res));
	xc_error_clear(&err);
	if (!a->directory || a->ndomains == 0) {
		xc_out_usage(
		        "acme issue needs --directory URL and at least one -d DOMAIN");
		return XC_EXIT_USAGE;
	}
	if (!a->eab_kid != !a->eab_hmac) {
		xc_out_usage("--eab-kid and --eab-hmac go together");
		return XC_EXIT_USAGE;
	}
	if (a->webroot && a->http_port) {
		xc_out_usage("give --webroot or --http-port, not both");
		return XC_EXIT_USAGE;
	}
	if (a->dns_server && (a->webroot || a->http_port)) {
		xc_out_usage(
		        "give --dns-server (dns-01) or --webroot/--http-port (http-01), not both");
		return XC_EXIT_USAGE;
	}
	if (!a->dns_server != !a->tsig_name ||
	    !a->dns_server != !a->tsig_secret) {
		xc_out_usage(
		        "--dns-server, --tsig-name and --tsig-secret go together");
		return XC_EXIT_USAGE;
	}
	if (!a->dns_server &&
	    (a->tsig_alg || a->zone || a->nsecondaries || a->dns_timeout)) {
		xc_out_usage(
		        "--tsig-algorithm, --zone, --dns-secondary and --dns-timeout need --dns-server");
		return XC_EXIT_USAGE;
	}
	if (!a->webroot && !a->dns_server &&
	    listen_spec(a->http_port ? a->http_port : "80", &addr,
	                &o.listen_port) < 0)
		return XC_EXIT_USAGE;
	state = state_dir(ctx, &code);
	if (!state)
		goto out;
	code = XC_EXIT_ERROR;
	if (a->dns_server) {
		if (xc_secret_resolve(a->tsig_secret, NULL, &tsig_text,
		                      &tsig_text_len, &err) < 0) {
			xc_error_prefix(&err, "--tsig-secret: ");
			xc_out_err(&err);
			goto out;
		}
		memset(&dns, 0, sizeof(dns));
		dns.server = a->dns_server;
		dns.tsig_name = a->tsig_name;
		dns.tsig_algorithm = a->tsig_alg;
		dns.tsig_secret = tsig_text;
		dns.zone = a->zone;
		dns.log = stderr;
		dns.secondaries = a->secondaries;
		dns.nsecondaries = a->nsecondaries;
		o.dns01 = &dns;
		o.dns_timeout_s = a->dns_timeout;
	}
	o.email = a->email;
	if (a->eab_hmac) {
		if (xc_secret_resolve(a->eab_hmac, NULL, &hmac_text,
		                      &hmac_text_len, &err) < 0) {
			xc_error_prefix(&err, "--eab-hmac: ");
			xc_out_err(&err);
			goto out;
		}
		if (xc_b64url_decode(hmac_text, &hmac, &hmac_len) < 0 ||
		    hmac_len == 0) {
			xc_out_error(
			        "--eab-hmac: the key %s names is not base64url (as CAs give it)",
			        a->eab_hmac);
			goto out;
		}
	}
	o.directory_url = a->directory;
	o.ca_bundle = a->ca_bundle;
	o.eab_kid = a->eab_kid;
	o.eab_hmac = hmac;
	o.eab_hmac_len = hmac_len;
	o.state_dir = state;
	o.domains = a->domains;
	o.ndomains = a->ndomains;
	o.keytype = a->key;
	o.out_dir = a->out ? a->out : ".";
	o.webroot = a->webroot;
	o.listen_address = addr;
	o.log = stderr;
	if (xc_acme_issue(&o, &res, &err) < 0) {
		profile(&res, &t0, c0);
		xc_out_err(&err);
		goto out;
	}
	profile(&res, &t0, c0);
	t = (time_t)res.not_after;
	if (gmtime_r(&t, &tm))
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "excert: acme: certificate for");
	for (i = 0; i < a->ndomains; i++)
		fprintf(stderr, "%s %s", i ? "," : "", a->domains[i]);
	fprintf(stderr,
	        " (serial %s, valid until %s, %zu more in the chain) in %s/cert.pem, chain.pem, key.pem\n",
	        res.serial, until, res.nchain, o.out_dir);
	code = XC_EXIT_OK;
out:
	if (hmac)
		xc_wipe_free(hmac, hmac_len);
	if (hmac_text)
		xc_wipe_free(hmac_text, hmac_text_len);
	if (tsig_text)
		xc_wipe_free(tsig_text, tsig_text_len);
	free(addr);
	free(state);
	return code;
}

static void utc(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	buf[0] = '\0';
	if (gmtime_r(&tt, &tm))
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* excert acme ari: the CA's renewal window for a certificate. */
static int ari(struct xc_ctx *ctx, struct acme_args *a)
{
	struct xc_ari_config cfg;
	struct xc_ari_info info;
	struct xc_store *store = NULL;
	struct xc_error err;
	unsigned char *der = NULL;
	size_t len = 0;
	char *state = NULL;
	char t1[32], t2[32], t3[32], t4[32];
	int code = XC_EXIT_ERROR;

	xc_error_clear(&err);
	if (!a->directory || !a->cert) {
		xc_out_usage("acme ari needs --directory URL and --cert FILE");
		return XC_EXIT_USAGE;
	}
	if (a->ndomains || a->eab_kid || a->webroot || a->http_port ||
	    a->dns_server || a->out) {
		xc_out_usage(
		        "acme ari takes --directory, --cert and --ca-bundle only");
		return XC_EXIT_USAGE;
	}
	state = state_dir(ctx, &code);
	if (!state)
		goto out;
	code = XC_EXIT_ERROR;
	if (xc_ari_read_cert(a->cert, &der, &len, &err) < 0 ||
	    xc_store_open(&store, state, &err) < 0) {
		xc_out_err(&err);
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.directory_url = a->directory;
	cfg.ca_bundle = a->ca_bundle;
	cfg.store = store;
	cfg.log = stderr;
	if (xc_ari_get(&cfg, der, len, &info, &err) < 0) {
		xc_out_err(&err);
		goto out;
	}
	utc(info.start, t1, sizeof(t1));
	utc(info.end, t2, sizeof(t2));
	utc(info.chosen, t3, sizeof(t3));
	utc(info.next_poll, t4, sizeof(t4));
	if (ctx->format == XC_FMT_JSON) {
		if (info.status == XC_ARI_NONE)
			printf("{\"cert_id\":\"%s\",\"ari\":false}\n",
			       info.cert_id);
		else
			printf("{\"cert_id\":\"%s\",\"ari\":true,\"start\":\"%s\",\"end\":\"%s\",\"renew_at\":\"%s\",\"next_check\":\"%s\",\"retry_after\":%lld,\"from_state\":%s}\n",
			       info.cert_id, t1, t2, t3, t4, info.retry_after,
			       info.from_store ? "true" : "false");
	} else if (info.status == XC_ARI_NONE) {
		printf("certID %s\nno ARI at this CA: its directory has no renewalInfo\n",
		       info.cert_id);
	} else {
		printf("certID %s\n"
		       "suggested window %s .. %s\n"
		       "renew at %s (chosen in the window, kept in the state directory)\n"
		       "next check %s (%s)\n",
		       info.cert_id, t1, t2, t3, t4,
		       info.from_store ? "answered from the state directory"
		                       : "asked the CA now");
		/* The CA's words: sanitized. */
		if (info.explanation[0]) {
			fputs("explanation ", stdout);
			xc_sanitize_fputs(info.explanation, stdout, 0);
			putchar('\n');
		}
	}
	code = XC_EXIT_OK;
out:
	free(der);
	xc_store_close(store);
	free(state);
	return code;
}

int xc_cmd_acme(struct xc_ctx *ctx, const struct xc_cmd *self, int argc,
                char **argv)
{
	const struct xc_cmd *acme = self;
	struct acme_args a;
	char **pos;
	int n;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		xc_cmd_usage(argc < 2 ? stderr : stdout, acme);
		return argc < 2 ? XC_EXIT_USAGE : XC_EXIT_OK;
	}
	if (strcmp(argv[1], "issue") != 0 && strcmp(argv[1], "ari") != 0) {
		xc_out_usage("unknown acme command '%s' (issue, ari)", argv[1]);
		return XC_EXIT_USAGE;
	}
	memset(&a, 0, sizeof(a));
	pos = calloc((size_t)argc + 1, sizeof(*pos));
	n = xc_cmd_parse(ctx, acme, argc - 1, argv + 1, pos, handle, &a);
	if (n < 0) {
		rc = n == -2 ? XC_EXIT_OK : XC_EXIT_USAGE;
	} else if (n > 0) {
		xc_out_usage(
		        "acme %s takes no arguments ('%s'); names go with -d",
		        argv[1], pos[0]);
		rc = XC_EXIT_USAGE;
	} else {
		/* This process ends with the run. */
		xc_acme_process_ends_with_run();
		rc = strcmp(argv[1], "ari") == 0 ? ari(ctx, &a)
		                                 : issue(ctx, &a);
	}
	free(pos);
	free(a.domains);
	free(a.secondaries);
	return rc;
}
