/* SPDX-License-Identifier: MIT */
/* Unit tests for state/config.h: the model, its defaults, and the checks
 * that span objects, with their exact diagnostics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/config.h"
#include "state/diag.h"
#include "state/duration.h"
#include "state/services.h"

#define LABEL "excert.yaml"

/* Lines 1-20; certificates start on line 21. */
static const char head[] = "version: 1\n"                               /*  1 */
                           "organization: contoso\n"                    /*  2 */
                           "servers:\n"                                 /*  3 */
                           "  - name: MS01\n"                           /*  4 */
                           "    fqdn: ms01.contoso.local\n"             /*  5 */
                           "    connect: {transport: lab, path: lab}\n" /*  6 */
                           "  - name: MS02\n"                           /*  7 */
                           "    fqdn: ms02.contoso.local\n"             /*  8 */
                           "    connect: {transport: lab, path: lab}\n" /*  9 */
                           "  - name: EDGE01\n"                         /* 10 */
                           "    fqdn: edge01.contoso.com\n"             /* 11 */
                           "    role: edge\n"                           /* 12 */
                           "    connect: {transport: lab, path: lab}\n" /* 13 */
                           "issuers:\n"                                 /* 14 */
                           "  labca:\n"                                 /* 15 */
                           "    lab: {path: ca}\n"                      /* 16 */
                           "load_balancers:\n"                          /* 17 */
                           "  lb1:\n"                                   /* 18 */
                           "    haproxy: {socket: /run/haproxy.sock, "
                           "certificate: /etc/haproxy/mail.pem}\n" /* 19 */
                           "certificates:\n";                      /* 20 */

/* The smallest certificate, on lines 21-25. */
#define MAIL_CERT                                                     \
	"  - name: mail\n"                                            \
	"    domains: [mail.contoso.com, autodiscover.contoso.com]\n" \
	"    issuer: labca\n"                                         \
	"    servers: [MS01]\n"                                       \
	"    services: [IIS, SMTP]\n"

/* head + certs, loaded; the caller releases diags and frees *cfg. */
static int load(struct xc_config **cfg, const char *certs, struct xc_diags *d)
{
	size_t len = strlen(head) + strlen(certs);
	char *doc = malloc(len + 1);
	int rc;

	assert_non_null(doc);
	memcpy(doc, head, strlen(head));
	memcpy(doc + strlen(head), certs, strlen(certs) + 1);
	xc_diags_init(d);
	rc = xc_config_load(cfg, doc, len, LABEL, d);
	free(doc);
	return rc;
}

static void format_diags(const struct xc_diags *d, char *buf, size_t size)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < d->n && used < size; i++) {
		char line[1400];

		xc_diag_format(&d->v[i], line, sizeof(line));
		used += (size_t)snprintf(buf + used, size - used, "\n    %s",
		                         line);
	}
}

/* ---- the model ---------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct xc_diags d;
	struct xc_config *cfg = NULL;
	const struct xc_server *s;
	const struct xc_cert *c;
	const struct xc_issuer *is;
	char all[4000];

	(void)state;
	if (load(&cfg, MAIL_CERT, &d) != 0) {
		format_diags(&d, all, sizeof(all));
		xc_diags_release(&d);
		fail_msg("refused:%s", all);
	}
	assert_non_null(cfg);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg->label, LABEL);
	assert_true(cfg->version.set);
	assert_int_equal(cfg->version.v, 1);
	assert_string_equal(cfg->organization.v, "contoso");
	assert_int_equal(cfg->organization.loc.line, 2);
	assert_int_equal(cfg->organization.loc.col, 15);

	/* Servers, in written order, found without regard to case. */
	assert_int_equal(cfg->servers.n, 3);
	s = &XC_SERVERS(cfg)[0];
	assert_string_equal(s->name.v, "MS01");
	assert_string_equal(s->fqdn.v, "ms01.contoso.local");
	assert_false(s->role.set);
	assert_non_null(s->connect);
	assert_int_equal(s->connect->transport.v, XC_TRANSPORT_LAB);
	assert_string_equal(s->connect->path.v, "lab");
	assert_ptr_equal(xc_config_server(cfg, "ms01"), s);
	assert_ptr_equal(xc_config_server(cfg, "MS01"), s);
	assert_null(xc_config_server(cfg, "MS03"));
	s = xc_config_server(cfg, "edge01");
	assert_non_null(s);
	assert_true(s->role.set);
	assert_int_equal(s->role.v, XC_ROLE_EDGE);
	assert_int_equal(s->loc.line, 10);
	assert_int_equal(s->loc.col, 5);

	/* Issuers and load balancers by their mapping key. */
	assert_int_equal(cfg->issuers.n, 1);
	is = xc_config_issuer(cfg, "labca");
	assert_non_null(is);
	assert_string_equal(is->name.v, "labca");
	assert_int_equal(is->name.loc.line, 15);
	assert_int_equal(is->name.loc.col, 3);
	assert_non_null(is->lab);
	assert_null(is->acme);
	assert_null(is->manual);
	assert_string_equal(is->lab->path.v, "ca");
	assert_null(xc_config_issuer(cfg, "LabCA"));
	assert_non_null(xc_config_lb(cfg, "lb1"));
	assert_non_null(xc_config_lb(cfg, "lb1")->haproxy);
	assert_null(xc_config_lb(cfg, "lb2"));

	/* The certificate and the loader's defaults. */
	assert_int_equal(cfg->certificates.n, 1);
	c = xc_config_cert(cfg, "mail");
	assert_ptr_equal(c, &XC_CERTS(cfg)[0]);
	assert_null(xc_config_cert(cfg, "Mail"));
	assert_int_equal(c->loc.line, 21);
	assert_int_equal(c->loc.col, 5);
	assert_int_equal(c->name.loc.line, 21);
	assert_int_equal(c->name.loc.col, 11);
	assert_int_equal(c->domains.n, 2);
	assert_string_equal(c->domains.v[1].v, "autodiscover.contoso.com");
	assert_int_equal(c->domains.v[1].loc.col, 33);
	assert_string_equal(c->issuer.v, "labca");
	assert_int_equal(c->key_size, 2048);
	assert_true(c->exportable);
	assert_null(c->key);
	/* subject: CN=<first domain>, placed where that domain is written. */
	assert_string_equal(c->subject.v, "CN=mail.contoso.com");
	assert_int_equal(c->subject.loc.line, 22);
	assert_int_equal(c->subject.loc.col, 15);
	assert_int_equal(c->services_mask, XC_SVC_IIS | XC_SVC_SMTP);
	assert_false(c->renew_before.set);
	assert_false(c->renew_before_percent.set);
	assert_false(c->hybrid.set);
	assert_false(c->remove_superseded.set);
	assert_null(c->connectors);
	assert_int_equal(c->load_balancers.n, 0);

	xc_config_free(cfg);
	xc_config_free(NULL);
	xc_diags_release(&d);
}

struct model_case {
	const char *what;
	const char *certs;
	int key_size;
	bool exportable;
	unsigned mask;
	const char *services; /* mask as Exchange prints it */
	const char *subject;
	long long renew_before; /* 0: not set */
	long long percent;      /* 0: not set */
};

static const struct model_case model_cases[] = {
        {.what = "defaults",
         .certs = MAIL_CERT,
         .key_size = 2048,
         .exportable = true,
         .mask = 24,
         .services = "IIS, SMTP",
         .subject = "CN=mail.contoso.com"},
        {.what = "key and services written out",
         .certs = "  - name: mail\n"
                  "    domains: [mail.contoso.com]\n"
                  "    issuer: labca\n"
                  "    key: {size: 4096, exportable: false}\n"
                  "    servers: [ms01]\n"
                  "    services: [imap, POP, Iis, smtp]\n",
         .key_size = 4096,
         .exportable = false,
         .mask = 27,
         .services = "IMAP, POP, IIS, SMTP",
         .subject = "CN=mail.contoso.com"},
        {.what = "only the size: still exportable",
         .certs = "  - name: mail\n"
                  "    domains: [mail.contoso.com]\n"
                  "    issuer: labca\n"
                  "    key: {size: 3072}\n"
                  "    servers: [MS01, MS02]\n"
                  "    services: [SMTP]\n",
         .key_size = 3072,
         .exportable = true,
         .mask = 16,
         .services = "SMTP",
         .subject = "CN=mail.contoso.com"},
        {.what = "a subject of one's own, and renew_before",
         .certs = "  - name: mail\n"
                  "    subject: \"CN=mail.contoso.com, O=Contoso, C=US\"\n"
                  "    domains: [autodiscover.contoso.com, mail.contoso.com]\n"
                  "    issuer: labca\n"
                  "    renew_before: 1d12h\n"
                  "    servers: [MS01]\n"
                  "    services: [IIS, UM, UMCallRouter, Federation]\n",
         .key_size = 2048,
         .exportable = true,
         .mask = 8 | 4 | 64 | 32,
         .services = "UM, IIS, Federation, UMCallRouter",
         .subject = "CN=mail.contoso.com, O=Contoso, C=US",
         .renew_before = 36 * 3600},
        {.what = "renew_before_percent",
         .certs = "  - name: mail\n"
                  "    domains: [mail.contoso.com]\n"
                  "    issuer: labca\n"
                  "    renew_before_percent: 25\n"
                  "    servers: [MS01]\n"
                  "    services: [IIS]\n",
         .key_size = 2048,
         .exportable = true,
         .mask = 8,
         .services = "IIS",
         .subject = "CN=mail.contoso.com",
         .percent = 25},
        {.what = "an Edge server with SMTP only",
         .certs = "  - name: edge\n"
                  "    domains: [smtp.contoso.com]\n"
                  "    issuer: labca\n"
                  "    servers: [EDGE01]\n"
                  "    services: [SMTP]\n",
         .key_size = 2048,
         .exportable = true,
         .mask = 16,
         .services = "SMTP",
         .subject = "CN=smtp.contoso.com"},
        {.what = "a wildcard domain first",
         .certs = "  - name: web\n"
                  "    domains: ['*.contoso.com']\n"
                  "    issuer: labca\n"
                  "    servers: [MS02]\n"
                  "    services: [IIS]\n",
         .key_size = 2048,
         .exportable = true,
         .mask = 8,
         .services = "IIS",
         .subject = "CN=*.contoso.com"},
};

static void test_model_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(model_cases) / sizeof(model_cases[0]); i++) {
		const struct model_case *t = &model_cases[i];
		struct xc_diags d;
		struct xc_config *cfg = NULL;
		const struct xc_cert *c;
		char all[4000];
		char mask[120];
		char what[600] = "";

		if (load(&cfg, t->certs, &d) != 0) {
			format_diags(&d, all, sizeof(all));
			xc_diags_release(&d);
			fail_msg("%s: refused:%s", t->what, all);
		}
		c = &XC_CERTS(cfg)[0];
		xc_services_format(c->services_mask, mask, sizeof(mask));
		if (c->key_size != t->key_size)
			snprintf(what, sizeof(what), "key_size %d",
			         c->key_size);
		else if (c->exportable != t->exportable)
			snprintf(what, sizeof(what), "exportable %d",
			         c->exportable);
		else if (c->services_mask != t->mask ||
		         strcmp(mask, t->services) != 0)
			snprintf(what, sizeof(what), "services %u (%s)",
			         c->services_mask, mask);
		else if (!c->subject.v || strcmp(c->subject.v, t->subject) != 0)
			snprintf(what, sizeof(what), "subject '%s'",
			         c->subject.v ? c->subject.v : "(none)");
		else if (c->renew_before.set != (t->renew_before != 0) ||
		         (t->renew_before &&
		          c->renew_before.v != t->renew_before))
			snprintf(what, sizeof(what), "renew_before %d/%lld",
			         c->renew_before.set, c->renew_before.v);
		else if (c->renew_before_percent.set != (t->percent != 0) ||
		         (t->percent &&
		          c->renew_before_percent.v != t->percent))
			snprintf(what, sizeof(what), "percent %d/%lld",
			         c->renew_before_percent.set,
			         c->renew_before_percent.v);
		xc_config_free(cfg);
		xc_diags_release(&d);
		if (what[0])
			fail_msg("%s: unexpected %s", t->what, what);
	}
}

/* ---- diagnostics -------------------------------------------------------- */

#define MAX_DIAGS 3

struct diag_case {
	const char *what;
	const char *certs;
	const char *diags[MAX_DIAGS]; /* all of them, sorted; NULL ends */
};

static const struct diag_case
        diag_cases[] =
                {
                        {.what = "undefined issuer",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: letsencrypt\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS, SMTP]\n",
                         .diags =
                                 {"excert.yaml:23:13: error: certificate 'mail' names issuer 'letsencrypt', which is not defined under issuers (defined: labca)"}},
                        {.what = "undefined issuer, near a defined one",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: lab-ca\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS, SMTP]\n",
                         .diags =
                                 {"excert.yaml:23:13: error: certificate 'mail' names issuer 'lab-ca', which is not defined; did you mean 'labca'?"}},
                        {.what = "undefined server",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01, MS03]\n"
                                  "    services: [IIS, SMTP]\n",
                         .diags =
                                 {"excert.yaml:24:21: error: certificate 'mail' names server 'MS03', which is not defined under servers (defined: MS01, MS02, EDGE01)"}},
                        {.what = "undefined load balancer",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS, SMTP]\n"
                                  "    load_balancers: [lb1, lb2]\n",
                         .diags =
                                 {"excert.yaml:26:27: error: certificate 'mail' names load balancer 'lb2', which is not defined under load_balancers"}},
                        {.what = "duplicate certificate name",
                         .certs = MAIL_CERT "  - name: mail\n"
                                            "    domains: [imap.contoso.com]\n"
                                            "    issuer: labca\n"
                                            "    servers: [MS02]\n"
                                            "    services: [IMAP]\n",
                         .diags =
                                 {"excert.yaml:26:11: error: duplicate certificate name 'mail' (first at line 21)"}},
                        {.what = "IIS bound by two certificates on one server",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01, MS02]\n"
                                  "    services: [IIS, SMTP]\n"
                                  "  - name: owa\n"
                                  "    domains: [owa.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [ms02]\n"
                                  "    services: [IIS]\n",
                         .diags =
                                 {"excert.yaml:29:15: error: certificates 'mail' and 'owa' both bind IIS on server 'ms02'; IIS serves one certificate per server"}},
                        {.what = "renew_before with renew_before_percent",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    renew_before: 30d\n"
                                  "    renew_before_percent: 25\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS, SMTP]\n",
                         .diags =
                                 {"excert.yaml:25:27: error: renew_before and renew_before_percent cannot both be set; choose one"}},
                        {.what = "Edge server with IIS",
                         .certs = "  - name: edge\n"
                                  "    domains: [smtp.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [EDGE01]\n"
                                  "    services: [SMTP, IIS]\n",
                         .diags =
                                 {"excert.yaml:25:15: error: server 'EDGE01' is an Edge Transport server, which has SMTP only; it cannot have IIS"}},
                        {.what = "Edge server with IMAP and IIS",
                         .certs = "  - name: edge\n"
                                  "    domains: [smtp.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01, EDGE01]\n"
                                  "    services: [IIS, SMTP, IMAP]\n",
                         .diags =
                                 {"excert.yaml:25:15: error: server 'EDGE01' is an Edge Transport server, which has SMTP only; it cannot have IMAP, IIS"}},
                        {.what = "hybrid without SMTP",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS]\n"
                                  "    hybrid: true\n",
                         .diags =
                                 {"excert.yaml:26:13: error: hybrid: true needs SMTP in services: hybrid mail flow presents this certificate over SMTP"}},
                        {.what = "two hybrid certificates",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS, SMTP]\n"
                                  "    hybrid: true\n"
                                  "  - name: smtp\n"
                                  "    domains: [smtp.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS02]\n"
                                  "    services: [SMTP]\n"
                                  "    hybrid: true\n",
                         .diags =
                                 {"excert.yaml:32:13: error: certificates 'mail' and 'smtp' both set hybrid: true; the hybrid configuration names one certificate"}},
                        {.what = "receive connector on a server not in the certificate",
                         .certs = MAIL_CERT
                         "    connectors:\n"
                         "      receive:\n"
                         "        - 'MS01\\Default Frontend MS01'\n"
                         "        - 'MS02\\Default Frontend MS02'\n",
                         .diags =
                                 {"excert.yaml:29:11: error: receive connector 'MS02\\Default Frontend MS02' is on server 'MS02', which is not among the servers of certificate 'mail'"}},
                        {.what = "receive connector without a server",
                         .certs = MAIL_CERT
                         "    connectors: {receive: [Default Frontend]}\n",
                         .diags =
                                 {"excert.yaml:26:28: error: receive connector 'Default Frontend' must be written SERVER\\Name, e.g. \"MS01\\Default Frontend MS01\""}},
                        {.what = "replace_transport_certificate without SMTP",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS]\n"
                                  "    replace_transport_certificate: true\n",
                         .diags =
                                 {"excert.yaml:26:36: error: replace_transport_certificate needs SMTP in services"}},
                        {.what = "a key that cannot be exported, on two servers",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    key: {exportable: false}\n"
                                  "    servers: [MS01, MS02]\n"
                                  "    services: [SMTP]\n",
                         .diags = {"excert.yaml:24:23: error: certificate 'mail' goes to 2 servers, which needs an exportable key; set exportable: true or list one server"}},
                        {.what = "subject CN not among the domains",
                         .certs = "  - name: mail\n"
                                  "    subject: CN=owa.contoso.com\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS]\n",
                         .diags =
                                 {"excert.yaml:22:14: error: the subject's CN 'owa.contoso.com' is not among the domains; Exchange adds it to the certificate's names, so list it under domains"}},
                        {.what = "subject without CN",
                         .certs = "  - name: mail\n"
                                  "    subject: O=Contoso\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS]\n",
                         .diags =
                                 {"excert.yaml:22:14: error: subject 'O=Contoso' has no CN; write e.g. CN=mail.contoso.com"}},
                        {.what = "misspelt key",
                         .certs = MAIL_CERT "    renew_befor: 30d\n",
                         .diags =
                                 {"excert.yaml:26:5: error: unknown key 'renew_befor' in certificate 'mail'; did you mean 'renew_before'?"}},
                        {.what = "several problems, reported in file order",
                         .certs = "  - name: mail\n"
                                  "    domains: [mail.contoso.com]\n"
                                  "    issuer: nope\n"
                                  "    servers: [MS01]\n"
                                  "    services: [IIS]\n"
                                  "  - name: mail\n"
                                  "    domains: [smtp.contoso.com]\n"
                                  "    issuer: labca\n"
                                  "    servers: [MS09]\n"
                                  "    services: [SMTP]\n",
                         .diags =
                                 {"excert.yaml:23:13: error: certificate 'mail' names issuer 'nope', which is not defined under issuers (defined: labca)",
                                  "excert.yaml:26:11: error: duplicate certificate name 'mail' (first at line 21)",
                                  "excert.yaml:29:15: error: certificate 'mail' names server 'MS09', which is not defined under servers (defined: MS01, MS02, EDGE01)"}},
};

static void test_diag_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(diag_cases) / sizeof(diag_cases[0]); i++) {
		const struct diag_case *t = &diag_cases[i];
		struct xc_diags d;
		struct xc_config *cfg = (struct xc_config *)1;
		char all[4000];
		size_t want = 0;
		size_t j;
		int rc = load(&cfg, t->certs, &d);

		format_diags(&d, all, sizeof(all));
		while (want < MAX_DIAGS && t->diags[want])
			want++;
		if (rc != XC_EINVAL || cfg != NULL) {
			xc_diags_release(&d);
			if (cfg != (struct xc_config *)1)
				xc_config_free(cfg);
			fail_msg("%s: accepted (rc %d)", t->what, rc);
		}
		if (d.n != want || d.errors != want) {
			xc_diags_release(&d);
			fail_msg("%s: expected %zu diagnostics, got:%s",
			         t->what, want, all);
		}
		for (j = 0; j < want; j++) {
			char line[1400];

			xc_diag_format(&d.v[j], line, sizeof(line));
			if (strcmp(line, t->diags[j]) != 0) {
				xc_diags_release(&d);
				fail_msg("%s:\n  expected %s\n  got:%s",
				         t->what, t->diags[j], all);
			}
		}
		xc_diags_release(&d);
	}
}

/* A whole document of one's own: checks among servers. */
static void test_server_checks(void **state)
{
	static const char doc[] = "version: 1\n"
	                          "organization: contoso\n"
	                          "servers:\n"
	                          "  - name: MS01\n"
	                          "    fqdn: mail.contoso.local\n"
	                          "    connect: {transport: lab, path: lab}\n"
	                          "  - name: ms01\n"
	                          "    fqdn: MAIL.contoso.local.\n"
	                          "    connect: {transport: lab, path: lab}\n";
	struct xc_diags d;
	struct xc_config *cfg = (struct xc_config *)1;
	char line[1400];

	(void)state;
	xc_diags_init(&d);
	assert_int_equal(xc_config_load(&cfg, doc, strlen(doc), "x/e.yaml", &d),
	                 XC_EINVAL);
	assert_null(cfg);
	assert_int_equal(d.n, 2);
	xc_diag_format(&d.v[0], line, sizeof(line));
	assert_string_equal(
	        line,
	        "x/e.yaml:7:11: error: duplicate server name 'ms01' (first at line 4)");
	xc_diag_format(&d.v[1], line, sizeof(line));
	assert_string_equal(
	        line,
	        "x/e.yaml:8:11: error: servers 'MS01' and 'ms01' have the same fqdn 'MAIL.contoso.local.'");
	xc_diags_release(&d);
}

/* What is not excert.yaml at all. */
struct top_case {
	const char *what;
	const char *doc;
	const char *diag; /* the first */
};

static const struct top_case top_cases[] = {
        {.what = "a newer schema",
         .doc = "version: 2\norganization: contoso\nfuture: yes\n",
         .diag = "excert.yaml:1:10: error: unsupported schema version 2; this excert reads version 1"},
        {.what = "a list",
         .doc = "- version: 1\n",
         .diag = "excert.yaml:1:1: error: excert.yaml must be a mapping that begins with 'version: 1', found a list"},
        {.what = "empty",
         .doc = "# nothing here\n",
         .diag = "excert.yaml:1:1: error: empty file: expected a mapping that begins with 'version: 1'"},
        {.what = "no servers",
         .doc = "version: 1\norganization: contoso\n",
         .diag = "excert.yaml:1:1: error: excert.yaml: missing required key 'servers'"},
};

static void test_top_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(top_cases) / sizeof(top_cases[0]); i++) {
		const struct top_case *t = &top_cases[i];
		struct xc_diags d;
		struct xc_config *cfg = (struct xc_config *)1;
		char line[1400] = "(none)";
		int rc;

		xc_diags_init(&d);
		rc = xc_config_load(&cfg, t->doc, strlen(t->doc), LABEL, &d);
		if (d.n)
			xc_diag_format(&d.v[0], line, sizeof(line));
		xc_diags_release(&d);
		if (rc != XC_EINVAL || cfg != NULL)
			fail_msg("%s: accepted", t->what);
		if (strcmp(line, t->diag) != 0)
			fail_msg("%s:\n  expected %s\n  got      %s", t->what,
			         t->diag, line);
	}
}

/* The label is copied: diagnostics outlive the caller's string. */
static void test_label_copied(void **state)
{
	char *label = strdup("copied.yaml");
	struct xc_diags d;
	struct xc_config *cfg;
	char line[1400];

	(void)state;
	assert_non_null(label);
	xc_diags_init(&d);
	assert_int_equal(xc_config_load(&cfg, "version: 1\n", 11, label, &d),
	                 XC_EINVAL);
	free(label);
	assert_true(d.n >= 1);
	xc_diag_format(&d.v[0], line, sizeof(line));
	assert_int_equal(strncmp(line, "copied.yaml:1:1: error: ", 24), 0);
	xc_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_model_table),
	        cmocka_unit_test(test_diag_table),
	        cmocka_unit_test(test_server_checks),
	        cmocka_unit_test(test_top_table),
	        cmocka_unit_test(test_label_copied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
