/* SPDX-License-Identifier: MIT */
/* Unit tests for state/guard.h: what must never be removed, rule by rule,
 * on servers built in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "state/guard.h"

#define NOW 1800000000LL
#define ISS "CN=Contoso CA, O=Contoso, C=US"
#define SUB "CN=mail.contoso.com"

static void cert(struct xc_obs_cert *c, const char *thumb, const char *issuer,
                 const char *subject)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->x.thumbprint, sizeof(c->x.thumbprint), "%s", thumb);
	c->x.not_before = NOW - 86400;
	c->x.not_after = NOW + 86400 * 30;
	c->issuer = (char *)issuer;
	c->subject = (char *)subject;
	c->has_private_key = true;
	snprintf(c->status, sizeof(c->status), "Valid");
}

struct world {
	struct xc_obs_cert certs[3]; /* old, new, Exchange's own */
	struct xc_obs_binding bindings[2];
	struct xc_obs_rconn rconns[1];
	struct xc_obs_sconn sconns[1];
	struct xc_obs_server server;
	struct xc_obs_org org;
	struct xc_guard_ctx g;
	char why[600];
};

#define OLD "1111111111111111111111111111111111111111"
#define NEW "2222222222222222222222222222222222222222"
#define OWN "3333333333333333333333333333333333333333"

/* A renewal done: the new certificate bound on 443 and named by the
 * connector; the old one still held. */
static void world(struct world *w)
{
	memset(w, 0, sizeof(*w));
	cert(&w->certs[0], OLD, ISS, SUB);
	cert(&w->certs[1], NEW, ISS, SUB);
	cert(&w->certs[2], OWN, "CN=MS01", "CN=MS01");
	w->certs[2].self_signed = true;
	w->bindings[0] = (struct xc_obs_binding){"Default Web Site", 443, NEW};
	w->bindings[1] = (struct xc_obs_binding){"Exchange Back End", 444, OWN};
	w->rconns[0].identity = "MS01\\Default Frontend MS01";
	w->rconns[0].tls_name = "<I>" ISS "<S>" SUB;
	w->sconns[0].name = "Outbound to Office 365";
	w->server.name = "MS01";
	w->server.certs = w->certs;
	w->server.ncerts = 3;
	w->server.bindings = w->bindings;
	w->server.nbindings = 2;
	w->server.rconns = w->rconns;
	w->server.nrconns = 1;
	snprintf(w->server.transport_cert, sizeof(w->server.transport_cert),
	         "%s", OWN);
	w->org.sconns = w->sconns;
	w->org.nsconns = 1;
	w->g.server = &w->server;
	w->g.org = &w->org;
	w->g.now = NOW;
	w->g.stays = NEW;
}

static unsigned judge(struct world *w, int i)
{
	return xc_guard_removal(&w->g, &w->certs[i], XC_GUARD_ALL, w->why,
	                        sizeof(w->why));
}

static void test_superseded_may_go(void **state)
{
	struct world w;

	(void)state;
	world(&w);
	assert_int_equal(judge(&w, 0), 0);
}

static void test_each_rule(void **state)
{
	struct world w;

	(void)state;
	world(&w);
	assert_int_equal(judge(&w, 2), XC_GUARD_OWN);
	world(&w);
	w.server.has_auth = true;
	snprintf(w.server.auth_next, sizeof(w.server.auth_next), "%s", OLD);
	assert_int_equal(judge(&w, 0), XC_GUARD_AUTH);
	world(&w);
	snprintf(w.server.transport_cert, sizeof(w.server.transport_cert), "%s",
	         OLD);
	assert_int_equal(judge(&w, 0), XC_GUARD_TRANSPORT);
	/* Any port: the planner and the runner used to differ here. */
	world(&w);
	snprintf(w.bindings[0].thumbprint, sizeof(w.bindings[0].thumbprint),
	         "%s", OLD);
	assert_int_equal(judge(&w, 0), XC_GUARD_BOUND);
	assert_non_null(strstr(w.why, "443"));
	world(&w);
	w.g.stays = NULL;
	assert_int_equal(judge(&w, 0), XC_GUARD_LAST);
	world(&w);
	w.g.stays = OLD;
	assert_int_equal(judge(&w, 0), XC_GUARD_LAST);
	world(&w);
	w.rconns[0].tls_name = NULL;
	w.certs[1].x.not_after = NOW - 1; /* the one that stays expired */
	assert_int_equal(judge(&w, 0), XC_GUARD_LAST);
}

/* A TlsCertificateName needs the old certificate only when no other
 * certificate there has its issuer and subject (a renewal keeps the
 * name), compared as X.500 names. */
static void test_named(void **state)
{
	struct world w;

	(void)state;
	world(&w);
	w.certs[1].issuer = "CN=Other CA";
	assert_int_equal(judge(&w, 0), XC_GUARD_NAMED);
	assert_non_null(strstr(w.why, "receive connector 'MS01\\Default"));
	world(&w);
	w.certs[1].issuer = "CN=Other CA";
	w.rconns[0].tls_name =
	        "<i>cn=contoso ca,o=CONTOSO,c=us<s>CN=MAIL.contoso.com";
	assert_int_equal(judge(&w, 0), XC_GUARD_NAMED);
	world(&w);
	w.certs[1].issuer = "CN=Other CA";
	w.rconns[0].tls_name = NULL;
	w.sconns[0].tls_name = "<I>" ISS "<S>" SUB;
	assert_int_equal(judge(&w, 0), XC_GUARD_NAMED);
	assert_non_null(strstr(w.why, "send connector 'Outbound"));
	world(&w);
	w.certs[1].issuer = "CN=Other CA";
	w.rconns[0].tls_name = NULL;
	w.org.hybrid = true;
	w.org.hybrid_tls_name = "<I>" ISS "<S>" SUB;
	assert_int_equal(judge(&w, 0), XC_GUARD_NAMED);
	assert_non_null(strstr(w.why, "hybrid configuration"));
	/* Without the organisation, its names are not known. */
	w.g.org = NULL;
	assert_int_equal(judge(&w, 0), 0);
	/* Only Exchange's own rule, for the lab. */
	world(&w);
	w.certs[1].issuer = "CN=Other CA";
	snprintf(w.server.transport_cert, sizeof(w.server.transport_cert), "%s",
	         OLD);
	assert_int_equal(xc_guard_removal(&w.g, &w.certs[0], XC_GUARD_EXCHANGE,
	                                  w.why, sizeof(w.why)),
	                 XC_GUARD_NAMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_superseded_may_go),
	        cmocka_unit_test(test_each_rule),
	        cmocka_unit_test(test_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
