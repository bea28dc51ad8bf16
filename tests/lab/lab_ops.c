/* SPDX-License-Identifier: MIT */
/*
 * The lab against Exchange's rules: every operation of the agent protocol
 * through xc_lab_call, with requests built and replies read by the same
 * code that talks to real servers (state/agentmsg.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/lab/lab.h"
#include "state/agentmsg.h"
#include "state/services.h"
#include "state/tlsname.h"
#include "state/x509.h"

static char labdir[256];

/* Runs req as server as; the reply must parse.  Returns the reply. */
static struct xc_reply call(const char *as, const struct xc_request *req)
{
	struct xc_reply r;
	struct xc_error err;
	char *json = xc_request_json(req);
	char *answer = NULL;

	xc_error_clear(&err);
	assert_int_equal(
	        xc_lab_call(labdir, as, json, strlen(json), &answer, &err), 0);
	if (xc_reply_parse(&r, answer, strlen(answer), req, &err) != 0)
		fail_msg("reply does not parse: %s\n%s", err.msg, answer);
	free(json);
	free(answer);
	return r;
}

/* One operation that must succeed; returns its result JSON (caller
 * frees). */
static char *ok1(const char *as, struct xc_request *req)
{
	struct xc_reply r = call(as, req);
	char *json;

	if (r.message)
		fail_msg("top-level error: %s %s", r.category, r.message);
	assert_int_equal(r.nresults, xc_request_count(req));
	if (!r.results[r.nresults - 1].ok)
		fail_msg("%s failed: %s: %s", r.results[r.nresults - 1].op,
		         r.results[r.nresults - 1].category,
		         r.results[r.nresults - 1].message);
	json = strdup(r.results[r.nresults - 1].json);
	xc_reply_release(&r);
	xc_request_free(req);
	return json;
}

/* One operation that must fail with category; its message must hold
 * needle. */
static void refused(const char *as, struct xc_request *req,
                    const char *category, const char *needle)
{
	struct xc_reply r = call(as, req);
	const struct xc_result *last = &r.results[r.nresults - 1];

	assert_null(r.message);
	assert_false(last->ok);
	assert_string_equal(last->category, category);
	if (!strstr(last->message, needle))
		fail_msg("message '%s' lacks '%s'", last->message, needle);
	xc_reply_release(&r);
	xc_request_free(req);
}

static struct xc_obs_server observe(const char *server)
{
	struct xc_request *req = xc_request_new(server);
	struct xc_obs_server o;
	struct xc_error err;
	char *json;

	xc_request_observe(req);
	json = ok1(server, req);
	assert_int_equal(xc_parse_observe(&o, json, &err), 0);
	free(json);
	return o;
}

static char *field(const char *json, const char *key)
{
	char *v = NULL;
	struct xc_error err;

	assert_int_equal(xc_result_string(&v, json, key, &err), 0);
	return v;
}

static int setup(void **state)
{
	struct xc_lab_options opt = {
	        .servers = 2, .edge = true, .hybrid = true, .expires_in = 10};
	struct xc_error err;

	(void)state;
	snprintf(labdir, sizeof(labdir), "/tmp/excert-labops-%ld",
	         (long)getpid());
	if (xc_lab_init(labdir, &opt, &err) != 0)
		fail_msg("lab init: %s", err.msg);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", labdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct xc_obs_cert *by_name(const struct xc_obs_server *s,
                                         const char *friendly)
{
	size_t i;

	for (i = 0; i < s->ncerts; i++)
		if (strcmp(s->certs[i].friendly_name, friendly) == 0)
			return &s->certs[i];
	return NULL;
}

static void test_lab__fresh_servers_hold_exchange_defaults(void **state)
{
	struct xc_obs_server ms = observe("MS01");
	struct xc_obs_server edge = observe("EDGE01");
	const struct xc_obs_cert *def = by_name(&ms, "Microsoft Exchange");
	const struct xc_obs_cert *auth =
	        by_name(&ms, "Microsoft Exchange Server Auth Certificate");

	(void)state;
	assert_non_null(def);
	assert_non_null(auth);
	assert_non_null(by_name(&ms, "WMSVC-SHA2"));
	assert_int_equal(def->services,
	                 XC_SVC_IMAP | XC_SVC_POP | XC_SVC_IIS | XC_SVC_SMTP);
	assert_true(def->self_signed);
	assert_false(def->exportable);
	assert_string_equal(def->subject, "CN=MS01");
	assert_string_equal(ms.transport_cert, def->x.thumbprint);
	assert_string_equal(ms.bindings[1].thumbprint, def->x.thumbprint);
	assert_int_equal(ms.bindings[1].port, 444);
	assert_true(ms.has_auth);
	assert_string_equal(ms.auth_current, auth->x.thumbprint);
	assert_int_equal(auth->services, XC_SVC_SMTP);
	/* thumbprint = SHA-1 of the DER, checked by the parser too */
	assert_int_equal(edge.role, XC_ROLE_EDGE);
	assert_int_equal(edge.nbindings, 0);
	assert_false(edge.has_auth);
	xc_obs_server_release(&ms);
	xc_obs_server_release(&edge);
}

static void test_lab__request_import_enable(void **state)
{
	const char *domains[] = {"mail.contoso.lab", "owa.contoso.lab"};
	struct xc_request *req = xc_request_new("MS01");
	char *json;
	char *thumb;
	char *csr_b64;
	unsigned char *csr;
	size_t csrlen;
	char *pem;
	char *pem_b64;
	char *cert_thumb;
	struct xc_error err;
	struct xc_obs_server s;
	char before[41];

	(void)state;
	xc_request_new_request(req, "CN=mail.contoso.lab, O=Contoso, C=US",
	                       domains, 1, 2048, "excert mail 2", true);
	json = ok1("MS01", req);
	thumb = field(json, "thumbprint");
	csr_b64 = field(json, "csr");
	free(json);
	s = observe("MS01");
	assert_int_equal(s.nrequests, 1);
	assert_string_equal(s.requests[0].thumbprint, thumb);
	/* Exchange adds the CN to the names: here it is already there. */
	assert_int_equal(s.requests[0].ndomains, 1);
	snprintf(before, sizeof(before), "%s", s.transport_cert);
	xc_obs_server_release(&s);

	/* Enabling a pending request is refused. */
	req = xc_request_new("MS01");
	xc_request_enable(req, thumb, XC_SVC_IIS, false);
	refused("MS01", req, "InvalidOperation", "pending request");

	assert_int_equal(xc_base64_decode(csr_b64, &csr, &csrlen), 0);
	assert_int_equal(xc_lab_ca_issue(labdir, csr, csrlen, 90, &pem, &err),
	                 0);
	pem_b64 = xc_base64_encode((unsigned char *)pem, strlen(pem));

	/* Completed only on the server that made the request. */
	req = xc_request_new("MS02");
	xc_request_import(req, pem_b64, NULL);
	refused("MS02", req, "ObjectNotFound", "only on the server");

	req = xc_request_new("MS01");
	xc_request_import(req, pem_b64, NULL);
	json = ok1("MS01", req);
	cert_thumb = field(json, "thumbprint");
	free(json);

	/* Additive services; SMTP without replace keeps the transport
	 * certificate, with replace takes it over. */
	req = xc_request_new("MS01");
	xc_request_enable(req, cert_thumb, XC_SVC_IIS | XC_SVC_SMTP, false);
	free(ok1("MS01", req));
	req = xc_request_new("MS01");
	xc_request_enable(req, cert_thumb, XC_SVC_IMAP, false);
	json = ok1("MS01", req);
	assert_non_null(strstr(json, "\"IMAP\",\"IIS\",\"SMTP\""));
	assert_non_null(strstr(json, before));
	free(json);
	s = observe("MS01");
	assert_int_equal(s.nrequests, 0);
	assert_string_equal(s.bindings[0].thumbprint, cert_thumb);
	assert_string_equal(s.transport_cert, before);
	xc_obs_server_release(&s);
	req = xc_request_new("MS01");
	xc_request_enable(req, cert_thumb, XC_SVC_SMTP, true);
	free(ok1("MS01", req));
	s = observe("MS01");
	assert_string_equal(s.transport_cert, cert_thumb);
	xc_obs_server_release(&s);

	free(cert_thumb);
	free(pem_b64);
	free(pem);
	free(csr);
	free(csr_b64);
	free(thumb);
}

static void test_lab__pfx_between_servers(void **state)
{
	struct xc_obs_server s = observe("MS01");
	const struct xc_obs_cert *mail = by_name(&s, "excert mail");
	const struct xc_obs_cert *def = by_name(&s, "Microsoft Exchange");
	struct xc_request *req;
	char *json;
	char *pfx;
	char *thumb;

	(void)state;
	req = xc_request_new("MS01");
	xc_request_export_pfx(req, def->x.thumbprint, "pw");
	refused("MS01", req, "InvalidOperation", "not exportable");

	req = xc_request_new("MS01");
	xc_request_export_pfx(req, mail->x.thumbprint, "s3cret");
	json = ok1("MS01", req);
	pfx = field(json, "pfx");
	free(json);

	/* MS02 holds it already (lab init put it everywhere). */
	req = xc_request_new("MS02");
	xc_request_import_pfx(req, pfx, "s3cret", true, "excert mail");
	refused("MS02", req, "ResourceExists", "already exists");

	/* A wrong password. */
	req = xc_request_new("EDGE01");
	xc_request_import_pfx(req, pfx, "wrong", true, NULL);
	refused("EDGE01", req, "PermissionDenied", "password");

	req = xc_request_new("MS02");
	xc_request_remove(req, mail->x.thumbprint);
	/* Still named by connectors and the hybrid configuration. */
	refused("MS02", req, "InvalidOperation", "tagged with");
	free(pfx);
	(void)thumb;
	xc_obs_server_release(&s);
}

static void test_lab__connectors_and_remove(void **state)
{
	struct xc_obs_server s = observe("MS02");
	const struct xc_obs_cert *mail = by_name(&s, "excert mail");
	const struct xc_obs_cert *def = by_name(&s, "Microsoft Exchange");
	char *other = xc_tls_certificate_name(def->issuer, def->subject);
	struct xc_request *req;
	struct xc_obs_org org;
	struct xc_error err;
	char *json;
	size_t i;

	(void)state;
	req = xc_request_new("MS02");
	xc_request_observe_org(req);
	json = ok1("MS02", req);
	assert_int_equal(xc_parse_observe_org(&org, json, &err), 0);
	free(json);
	assert_true(org.hybrid);
	req = xc_request_new("MS02");
	for (i = 0; i < org.nsconns; i++)
		if (org.sconns[i].tls_name)
			xc_request_set_send_connector(req, org.sconns[i].name,
			                              other);
	xc_request_set_receive_connector(req, "MS02\\Default Frontend MS02",
	                                 other);
	xc_request_set_hybrid(req, other);
	free(ok1("MS02", req));
	xc_obs_org_release(&org);

	/* Another server's connector is not this server's to change. */
	req = xc_request_new("MS02");
	xc_request_set_receive_connector(req, "MS01\\Default Frontend MS01",
	                                 other);
	refused("MS02", req, "InvalidArgument", "not on MS02");

	/* A name with quotes and a command in it is data, not code. */
	req = xc_request_new("MS02");
	xc_request_set_send_connector(req, "x'; Remove-Item C:\\ -Recurse #",
	                              other);
	refused("MS02", req, "ObjectNotFound", "Remove-Item");

	req = xc_request_new("MS02");
	xc_request_remove(req, mail->x.thumbprint);
	free(ok1("MS02", req));
	xc_obs_server_release(&s);
	s = observe("MS02");
	assert_null(by_name(&s, "excert mail"));
	xc_obs_server_release(&s);
	free(other);
}

static void test_lab__refusals(void **state)
{
	struct xc_obs_server s = observe("EDGE01");
	struct xc_request *req;
	struct xc_reply r;

	(void)state;
	req = xc_request_new("EDGE01");
	xc_request_enable(req, s.certs[0].x.thumbprint, XC_SVC_IIS, false);
	refused("EDGE01", req, "InvalidOperation", "Edge Transport");
	req = xc_request_new("EDGE01");
	xc_request_restart(req, "iis");
	refused("EDGE01", req, "InvalidOperation", "no IIS");
	req = xc_request_new("EDGE01");
	xc_request_place_http01(req, "../../etc/passwd", "x");
	refused("EDGE01", req, "InvalidArgument", "base64url");
	xc_obs_server_release(&s);

	/* The batch stops at the first failure. */
	req = xc_request_new("MS01");
	xc_request_restart(req, "transport");
	xc_request_restart(req, "bogus");
	xc_request_restart(req, "iis");
	r = call("MS01", req);
	assert_int_equal(r.nresults, 2);
	assert_true(r.results[0].ok);
	assert_false(r.results[1].ok);
	xc_reply_release(&r);
	xc_request_free(req);

	/* A request meant for another server is refused whole. */
	req = xc_request_new("MS02");
	xc_request_restart(req, "transport");
	r = call("MS01", req);
	assert_int_equal(r.nresults, 0);
	assert_non_null(r.message);
	assert_non_null(strstr(r.message, "refusing"));
	xc_reply_release(&r);
	xc_request_free(req);
}

static void test_lab__http01(void **state)
{
	struct xc_request *req = xc_request_new("MS01");
	char path[512];
	struct stat st;

	(void)state;
	xc_request_place_http01(req, "tok_EN-1", "tok_EN-1.thumb");
	free(ok1("MS01", req));
	snprintf(path, sizeof(path),
	         "%s/servers/MS01/webroot/.well-known/acme-challenge/tok_EN-1",
	         labdir);
	assert_int_equal(stat(path, &st), 0);
	req = xc_request_new("MS01");
	xc_request_clear_http01(req, "tok_EN-1");
	xc_request_clear_http01(req, "tok_EN-1");
	free(ok1("MS01", req));
	assert_int_not_equal(stat(path, &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(
	                test_lab__fresh_servers_hold_exchange_defaults),
	        cmocka_unit_test(test_lab__request_import_enable),
	        cmocka_unit_test(test_lab__pfx_between_servers),
	        cmocka_unit_test(test_lab__connectors_and_remove),
	        cmocka_unit_test(test_lab__refusals),
	        cmocka_unit_test(test_lab__http01),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
