/* SPDX-License-Identifier: MIT */
/*
 * `excert lab init`: a new organisation as Exchange setup leaves it (each
 * server with its self-signed "Microsoft Exchange" certificate bound to IIS
 * and SMTP, the Auth certificate, the WMSvc certificate, the default
 * receive connectors), a lab CA, and optionally a hybrid configuration and
 * a CA-issued certificate near its end.  Also the lab CA's issuing (the
 * stdin agent is labagent.c).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/lab/lab.h"
#include "providers/lab/labint.h"
#include "state/agentmsg.h"
#include "state/buf.h"
#include "state/store.h"
#include "state/tlsname.h"
#include "state/x509.h"
#include "state/xalloc.h"

#define DAY 86400LL

static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return true;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

static int write_pem_key(struct lab *l, const char *rel,
                         const struct xc_lab_key *k, struct xc_error *err)
{
	struct xc_buf b;
	char *path = lab_path(l, "%s", rel);
	int rc;

	xc_buf_init(&b, 0);
	xc_lab_key_pem(k, &b);
	rc = xc_write_file_atomic(path, b.ptr, b.len, 0600, err);
	xc_buf_release(&b);
	free(path);
	return rc;
}

static int write_pem_certs(struct lab *l, const char *rel,
                           const struct xc_lab_cert *a,
                           const struct xc_lab_cert *b2, struct xc_error *err)
{
	struct xc_buf b;
	char *path = lab_path(l, "%s", rel);
	int rc;

	xc_buf_init(&b, 0);
	xc_lab_cert_pem(a, &b);
	if (b2)
		xc_lab_cert_pem(b2, &b);
	rc = xc_write_file_atomic(path, b.ptr, b.len, 0644, err);
	xc_buf_release(&b);
	free(path);
	return rc;
}

/* A self-signed certificate as Exchange makes them, stored on server. */
static int add_self_signed(struct lab *l, json_t *server, const char *name,
                           const char *subject, const char *const *domains,
                           size_t ndomains, long long years,
                           const char *friendly, const char *services,
                           bool exportable, char thumb[41],
                           struct xc_error *err)
{
	long long now = lab_now();
	struct xc_lab_certspec spec = {subject,
	                               domains,
	                               ndomains,
	                               now - 30 * DAY,
	                               now - 30 * DAY + years * 365 * DAY,
	                               false};
	struct xc_lab_key *key = xc_lab_key_rsa(2048, err);
	struct xc_lab_cert *cert;
	json_t *svc;
	int rc;

	if (!key)
		return XC_ERR;
	cert = xc_lab_cert_make(&spec, key, NULL, NULL, err);
	if (!cert) {
		xc_lab_key_free(key);
		return XC_ERR;
	}
	rc = lab_store_cert(l, name, cert, NULL, 0, key, thumb, err);
	xc_lab_cert_free(cert);
	xc_lab_key_free(key);
	if (rc < 0)
		return rc;
	svc = json_array();
	if (*services) {
		char *copy = xc_xstrdup(services);
		char *tok = copy;

		while (tok && *tok) {
			char *comma = strchr(tok, ',');

			if (comma)
				*comma = '\0';
			json_array_append_new(svc, json_string(tok));
			tok = comma ? comma + 1 : NULL;
		}
		free(copy);
	}
	json_array_append_new(json_object_get(server, "certificates"),
	                      json_pack("{s:s,s:s,s:o,s:b,s:b}", "thumbprint",
	                                thumb, "friendly_name", friendly,
	                                "services", svc, "exportable",
	                                exportable, "has_key", 1));
	return 0;
}

/* Copies a stored certificate (and key) from one server's store to
 * another's, as the Auth certificate is replicated. */
static int copy_cert(struct lab *l, const char *from, json_t *to_server,
                     const char *to, const char *thumb, struct xc_error *err)
{
	const char *kinds[][2] = {{"certs", "pem"}, {"keys", "key"}};
	size_t i;
	json_t *c = lab_find_cert(
	        json_object_get(json_object_get(l->doc, "servers"), from),
	        thumb, NULL);

	for (i = 0; i < 2; i++) {
		char *src = lab_path(l, "servers/%s/%s/%s.%s", from,
		                     kinds[i][0], thumb, kinds[i][1]);
		char *dst = lab_path(l, "servers/%s/%s/%s.%s", to, kinds[i][0],
		                     thumb, kinds[i][1]);
		char *dir = lab_path(l, "servers/%s/%s", to, kinds[i][0]);
		char *data = NULL;
		size_t len;
		int rc = xc_make_dirs(dir, 0755, err);

		if (rc == 0)
			rc = xc_read_file(src, 1u << 20, &data, &len, err);
		if (rc == 0)
			rc = xc_write_file_atomic(dst, data, len,
			                          i ? 0600 : 0644, err);
		free(data);
		free(src);
		free(dst);
		free(dir);
		if (rc < 0)
			return rc;
	}
	json_array_append_new(json_object_get(to_server, "certificates"),
	                      json_deep_copy(c));
	return 0;
}

static json_t *new_server(const char *fqdn, const char *role)
{
	return json_pack(
	        "{s:s,s:s,s:s,s:[],s:[],s:[],s:{s:n,s:n},s:n,s:{s:i,s:i}}",
	        "fqdn", fqdn, "role", role, "version", "15.2.1544.4",
	        "certificates", "pending_requests", "receive_connectors", "iis",
	        "443", "444", "transport_certificate", "restarts", "transport",
	        0, "iis", 0);
}

static void add_rconn(json_t *server, const char *fmt, const char *name,
                      const char *fqdn)
{
	char buf[200];

	snprintf(buf, sizeof(buf), fmt, name);
	json_array_append_new(json_object_get(server, "receive_connectors"),
	                      json_pack("{s:s,s:s,s:n}", "name", buf, "fqdn",
	                                fqdn, "tls_certificate_name"));
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The CA's names carry the organisation: two labs are two CAs, and a
 * certificate of one is not taken for a certificate of the other. */
static int make_ca(struct lab *l, const char *org, struct xc_error *err)
{
	long long now = lab_now();
	char rname[200];
	char sname[200];
	struct xc_lab_certspec root = {
	        rname, NULL, 0, now - 365 * DAY, now + 10 * 365 * DAY, true};
	struct xc_lab_certspec sub = {
	        sname, NULL, 0, now - 365 * DAY, now + 5 * 365 * DAY, true};
	struct xc_lab_key *rk;

	snprintf(rname, sizeof(rname),
	         "CN=excert Lab Root CA, O=%s (excert lab), C=US", org);
	snprintf(sname, sizeof(sname),
	         "CN=excert Lab Issuing CA 1, O=%s (excert lab), C=US", org);
	rk = xc_lab_key_rsa(2048, err);
	struct xc_lab_key *sk = rk ? xc_lab_key_rsa(2048, err) : NULL;
	struct xc_lab_cert *rc =
	        sk ? xc_lab_cert_make(&root, rk, NULL, NULL, err) : NULL;
	struct xc_lab_cert *sc =
	        rc ? xc_lab_cert_make(&sub, sk, rc, rk, err) : NULL;
	char *dir = lab_path(l, "ca");
	int r = sc ? xc_make_dirs(dir, 0755, err) : XC_ERR;

	free(dir);
	if (r == 0)
		r = write_pem_key(l, "ca/root.key", rk, err);
	if (r == 0)
		r = write_pem_certs(l, "ca/root.pem", rc, NULL, err);
	if (r == 0)
		r = write_pem_key(l, "ca/issuing.key", sk, err);
	if (r == 0)
		r = write_pem_certs(l, "ca/issuing.pem", sc, NULL, err);
	xc_lab_key_free(rk);
	xc_lab_key_free(sk);
	xc_lab_cert_free(rc);
	xc_lab_cert_free(sc);
	return r;
}

/* The CA's own record of what it signed, one leaf thumbprint a line;
 * once each (a kill between the certificate stored and the line written
 * is made good when the request comes again). */
static void ca_log(const struct lab *l, const char *thumb)
{
	char *log = lab_path(l, "ca/issued.log");
	char *text = NULL;
	size_t tlen = 0;
	struct xc_error e;
	struct stat st;
	char line[128];
	int fd;

	xc_error_clear(&e);
	if (xc_read_file(log, 64u << 20, &text, &tlen, &e) == 0 &&
	    strstr(text, thumb)) {
		free(text);
		free(log);
		return;
	}
	free(text);
	/* 0644 whatever the umask, never through a link; one write. */
	snprintf(line, sizeof(line), "%.100s\n", thumb);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	          0644);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    ((st.st_mode & 07777) == 0644 || fchmod(fd, 0644) == 0) &&
		    write(fd, line, strlen(line)) >= 0)
			fsync(fd);
		close(fd);
	}
	free(log);
}

/* The leaf thumbprint of a PEM chain, or "" */
static void leaf_thumb(const char *pem, char thumb[41])
{
	struct xc_lab_cert **certs = NULL;
	size_t n = 0;
	struct xc_error e;

	thumb[0] = '\0';
	xc_error_clear(&e);
	if (xc_lab_pem_parse_certs(pem, strlen(pem), &certs, &n, &e) == 0 &&
	    n > 0) {
		size_t dlen;
		unsigned char *der = xc_lab_cert_der(certs[0], &dlen);

		xc_thumbprint(der, dlen, thumb);
		free(der);
	}
	xc_lab_certs_free(certs, n);
}

/* Issues from the lab CA; the chain (leaf, issuing CA) as PEM.  With
 * store, the chain is kept there before the CA's log says it signed. */
static int ca_issue(const char *dir, const unsigned char *csr, size_t len,
                    long long not_before, long long not_after,
                    const char *store, char **pem_out, struct xc_error *err)
{
	struct lab l = {.dir = (char *)dir};
	char *kpath = lab_path(&l, "ca/issuing.key");
	char *cpath = lab_path(&l, "ca/issuing.pem");
	struct xc_lab_key *key = xc_lab_pem_read_key(kpath, err);
	struct xc_lab_cert **ca = NULL;
	size_t nca = 0;
	struct xc_lab_cert *leaf = NULL;
	struct xc_buf b;
	int rc = key ? xc_lab_pem_read_certs(cpath, &ca, &nca, err) : XC_ERR;

	free(kpath);
	free(cpath);
	if (rc == 0) {
		leaf = xc_lab_csr_sign(csr, len, ca[0], key, not_before,
		                       not_after, err);
		if (!leaf)
			rc = XC_EINVAL;
	}
	if (rc == 0) {
		xc_buf_init(&b, 0);
		xc_lab_cert_pem(leaf, &b);
		xc_lab_cert_pem(ca[0], &b);
		*pem_out = xc_buf_detach(&b, NULL);
		if (store)
			rc = xc_write_file_atomic(store, *pem_out,
			                          strlen(*pem_out), 0644, err);
		if (rc == 0) {
			unsigned char *der;
			size_t dlen;
			char thumb[41];

			der = xc_lab_cert_der(leaf, &dlen);
			xc_thumbprint(der, dlen, thumb);
			free(der);
			ca_log(&l, thumb);
		} else {
			free(*pem_out);
			*pem_out = NULL;
		}
	}
	xc_lab_cert_free(leaf);
	xc_lab_certs_free(ca, nca);
	xc_lab_key_free(key);
	return rc;
}

int xc_lab_ca_issue(const char *dir, const unsigned char *csr, size_t len,
                    int days, char **pem_out, struct xc_error *err)
{
	struct lab l = {.dir = (char *)dir};
	long long now = lab_now();
	char id[41];
	char *path;
	char *known = NULL;
	size_t klen;
	int rc;

	*pem_out = NULL;
	if (days < 1 || days > 3650)
		return xc_error_set(err, XC_EINVAL,
		                    "a lab certificate lives 1 to 3650 days");
	/* The same request gets the same certificate, as an ACME order that
	 * is finalized again returns the certificate it issued: a client that
	 * died before it saved the answer asks again without a second
	 * signature. */
	xc_thumbprint(csr, len, id);
	path = lab_path(&l, "ca/issued/%s.pem", id);
	if (xc_read_file(path, 1u << 20, &known, &klen, err) == 0) {
		char thumb[41];

		free(path);
		leaf_thumb(known, thumb);
		if (thumb[0])
			ca_log(&l, thumb);
		*pem_out = known;
		return 0;
	}
	xc_error_clear(err);
	{
		char *d = lab_path(&l, "ca/issued");

		rc = xc_make_dirs(d, 0755, err);
		free(d);
	}
	if (rc == 0)
		rc = ca_issue(dir, csr, len, now - 60, now + days * DAY, path,
		              pem_out, err);
	free(path);
	return rc;
}

/*
 * The certificate an earlier run issued: 90 days, expires_in days left,
 * imported and enabled (IIS, SMTP) on every server, named by the hybrid
 * connectors.
 */
static int add_mail_cert(struct lab *l, const struct xc_lab_options *opt,
                         const char *first, struct xc_error *err)
{
	long long now = lab_now();
	char d1[300];
	char d2[300];
	char subject[320];
	const char *domains[2] = {d1, d2};
	struct xc_lab_key *key = xc_lab_key_rsa(2048, err);
	unsigned char *csr = NULL;
	size_t csrlen;
	char *pem = NULL;
	struct xc_lab_cert **chain = NULL;
	size_t nchain = 0;
	char thumb[41];
	char *issuer = NULL;
	char *subj = NULL;
	char *tls = NULL;
	const char *name;
	json_t *server;
	int rc;

	snprintf(d1, sizeof(d1), "mail.%s", opt->domain);
	snprintf(d2, sizeof(d2), "autodiscover.%s", opt->domain);
	snprintf(subject, sizeof(subject), "CN=%s", d1);
	if (!key)
		return XC_ERR;
	rc = xc_lab_csr_make(subject, domains, 2, key, &csr, &csrlen, err);
	if (rc == 0)
		rc = ca_issue(l->dir, csr, csrlen,
		              now - (90 - opt->expires_in) * DAY,
		              now + opt->expires_in * DAY, NULL, &pem, err);
	if (rc == 0)
		rc = xc_lab_pem_parse_certs(pem, strlen(pem), &chain, &nchain,
		                            err);
	json_object_foreach(json_object_get(l->doc, "servers"), name, server)
	{
		bool edge = strcmp(json_string_value(
		                           json_object_get(server, "role")),
		                   "Edge") == 0;

		if (rc < 0)
			break;
		rc = lab_store_cert(l, name, chain[0], chain + 1, nchain - 1,
		                    key, thumb, err);
		if (rc < 0)
			break;
		json_array_append_new(
		        json_object_get(server, "certificates"),
		        json_pack("{s:s,s:s,s:[s,s],s:b,s:b}", "thumbprint",
		                  thumb, "friendly_name", "excert mail",
		                  "services", edge ? "SMTP" : "IIS",
		                  edge ? "IMAP" : "SMTP", "exportable", 1,
		                  "has_key", 1));
		if (edge) {
			/* Edge has SMTP only: fix the pair made above. */
			json_t *c = lab_find_cert(server, thumb, NULL);

			json_object_set_new(c, "services",
			                    json_pack("[s]", "SMTP"));
		} else {
			json_object_set_new(json_object_get(server, "iis"),
			                    "443", json_string(thumb));
		}
	}
	if (rc == 0)
		rc = lab_cert_names(l, first, thumb, &issuer, &subj, NULL, err);
	if (rc == 0 && opt->hybrid) {
		size_t i;
		json_t *c;

		tls = xc_tls_certificate_name(issuer, subj);
		json_array_foreach(
		        json_object_get(l->doc, "send_connectors"), i,
		        c) if (strncmp(json_string_value(json_object_get(c,
		                                                         "name")),
		                       "Outbound to Office 365", 22) == 0)
		        json_object_set_new(c, "tls_certificate_name",
		                            json_string(tls));
		json_object_foreach(json_object_get(l->doc, "servers"), name,
		                    server)
		{
			json_array_foreach(
			        json_object_get(server, "receive_connectors"),
			        i, c)
			{
				const char *n = json_string_value(
				        json_object_get(c, "name"));

				if (strncmp(n, "Default Frontend ", 17) == 0 ||
				    strncmp(n, "Default internal receive",
				            24) == 0)
					json_object_set_new(
					        c, "tls_certificate_name",
					        json_string(tls));
			}
		}
		json_object_set_new(json_object_get(l->doc, "hybrid"),
		                    "tls_certificate_name", json_string(tls));
	}
	free(tls);
	free(issuer);
	free(subj);
	xc_lab_certs_free(chain, nchain);
	free(pem);
	free(csr);
	xc_lab_key_free(key);
	return rc;
}

int xc_lab_init(const char *dir, const struct xc_lab_options *in,
                struct xc_error *err)
{
	struct xc_lab_options opt = *in;
	struct lab l;
	json_t *servers;
	char auth_thumb[41] = "";
	char first[16] = "";
	unsigned char guid[16];
	char o365[80];
	char *path;
	int i;
	int rc;

	if (!opt.organization)
		opt.organization = "contoso";
	if (!opt.domain)
		opt.domain = "contoso.lab";
	if (opt.servers < 0 || opt.servers > 999 ||
	    (opt.servers == 0 && !opt.edge))
		return xc_error_set(
		        err, XC_EINVAL,
		        "a lab has 1 to 999 Mailbox servers (or an Edge server)");
	if (opt.expires_in < 0 || opt.expires_in > 89)
		return xc_error_set(
		        err, XC_EINVAL,
		        "--expires-in takes 1 to 89 days (the certificate lives 90)");
	if (xc_make_dirs(dir, 0755, err) < 0)
		return XC_EIO;
	if (!dir_empty(dir))
		return xc_error_set(
		        err, XC_EINVAL,
		        "'%s' is not empty; a lab needs a directory of its own",
		        dir);
	memset(&l, 0, sizeof(l));
	l.dir = xc_xstrdup(dir);
	l.lockfd = -1;
	servers = json_object();
	RAND_bytes(guid, sizeof(guid));
	snprintf(
	        o365, sizeof(o365),
	        "Outbound to Office 365 - %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	        guid[0], guid[1], guid[2], guid[3], guid[4], guid[5], guid[6],
	        guid[7], guid[8], guid[9], guid[10], guid[11], guid[12],
	        guid[13], guid[14], guid[15]);
	l.doc = json_pack(
	        "{s:i,s:s,s:s,s:i,s:o,s:[{s:s,s:s,s:n}],s:n,s:{s:n,s:n}}",
	        "lab", 1, "organization", opt.organization, "domain",
	        opt.domain, "latency_ms", opt.latency_ms, "servers", servers,
	        "send_connectors", "name", "Outbound to Internet", "fqdn", "",
	        "tls_certificate_name", "hybrid", "auth_config", "current",
	        "next");
	{
		char fqdn[300];

		snprintf(fqdn, sizeof(fqdn), "mail.%s", opt.domain);
		json_object_set_new(
		        json_array_get(
		                json_object_get(l.doc, "send_connectors"), 0),
		        "fqdn", json_string(fqdn));
		if (opt.hybrid) {
			json_array_append_new(
			        json_object_get(l.doc, "send_connectors"),
			        json_pack("{s:s,s:s,s:n}", "name", o365, "fqdn",
			                  fqdn, "tls_certificate_name"));
			json_object_set_new(
			        l.doc, "hybrid",
			        json_pack("{s:n}", "tls_certificate_name"));
		}
	}
	rc = make_ca(&l, opt.organization, err);
	for (i = 0; rc == 0 && i < opt.servers + (opt.edge ? 1 : 0); i++) {
		bool edge = i == opt.servers;
		char name[16];
		char lname[16];
		char fqdn[300];
		char subject[64];
		char wmsvc[64];
		const char *doms[2] = {name, fqdn};
		char thumb[41];
		json_t *s;

		snprintf(name, sizeof(name), edge ? "EDGE01" : "MS%02d", i + 1);
		snprintf(lname, sizeof(lname), "%s", name);
		lower(lname);
		snprintf(fqdn, sizeof(fqdn), "%s.%s", lname, opt.domain);
		snprintf(subject, sizeof(subject), "CN=%s", name);
		s = new_server(fqdn, edge ? "Edge" : "Mailbox");
		json_object_set_new(servers, name, s);
		rc = add_self_signed(
		        &l, s, name, subject, doms, 2, 5, "Microsoft Exchange",
		        edge ? "SMTP" : "IMAP,POP,IIS,SMTP", false, thumb, err);
		if (rc < 0)
			break;
		json_object_set_new(s, "transport_certificate",
		                    json_string(thumb));
		if (edge) {
			json_object_set_new(s, "iis", json_null());
			add_rconn(s, "Default internal receive connector %s",
			          name, fqdn);
			continue;
		}
		json_object_set_new(json_object_get(s, "iis"), "443",
		                    json_string(thumb));
		json_object_set_new(json_object_get(s, "iis"), "444",
		                    json_string(thumb));
		snprintf(wmsvc, sizeof(wmsvc), "CN=WMSvc-SHA2-%s", name);
		rc = add_self_signed(&l, s, name, wmsvc, NULL, 0, 10,
		                     "WMSVC-SHA2", "", false, thumb, err);
		if (rc < 0)
			break;
		/* One Auth certificate for the organisation, on every Mailbox
		 * server. */
		if (!auth_thumb[0]) {
			rc = add_self_signed(
			        &l, s, name,
			        "CN=Microsoft Exchange Server Auth Certificate",
			        NULL, 0, 5,
			        "Microsoft Exchange Server Auth Certificate",
			        "SMTP", true, auth_thumb, err);
			snprintf(first, sizeof(first), "%s", name);
			json_object_set_new(
			        json_object_get(l.doc, "auth_config"),
			        "current", json_string(auth_thumb));
		} else {
			rc = copy_cert(&l, first, s, name, auth_thumb, err);
		}
		add_rconn(s, "Default %s", name, fqdn);
		add_rconn(s, "Client Proxy %s", name, fqdn);
		add_rconn(s, "Default Frontend %s", name, fqdn);
		add_rconn(s, "Outbound Proxy Frontend %s", name, fqdn);
		add_rconn(s, "Client Frontend %s", name, fqdn);
	}
	if (rc == 0 && opt.expires_in > 0)
		rc = add_mail_cert(&l, &opt, first[0] ? first : "EDGE01", err);
	if (rc == 0) {
		l.changed = true;
		{
			char *text = json_dumps(
			        l.doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

			path = lab_path(&l, "lab.json");
			rc = xc_write_file_atomic(path, text, strlen(text),
			                          0644, err);
			free(path);
			free(text);
		}
	}
	if (rc == 0) {
		/* lab.lock last: its presence says the lab is complete. */
		path = lab_path(&l, "lab.lock");
		rc = xc_write_file_atomic(path, "", 0, 0644, err);
		free(path);
	}
	json_decref(l.doc);
	free(l.dir);
	return rc;
}

int xc_lab_example_config(const char *dir, const char *labref, char **out,
                          struct xc_error *err)
{
	struct lab l;
	struct xc_buf b;
	char *path;
	char *text = NULL;
	size_t len;
	json_error_t je;
	json_t *doc;
	const char *name;
	json_t *server;
	json_t *c;
	size_t i;
	bool first = true;
	const char *domain;

	memset(&l, 0, sizeof(l));
	l.dir = (char *)dir;
	path = lab_path(&l, "lab.json");
	if (xc_read_file(path, 64u << 20, &text, &len, err) < 0) {
		free(path);
		return XC_ENOTFOUND;
	}
	free(path);
	doc = json_loadb(text, len, 0, &je);
	free(text);
	if (!doc)
		return xc_error_set(err, XC_EINVAL,
		                    "the lab's lab.json is damaged");
	domain = json_string_value(json_object_get(doc, "domain"));
	xc_buf_init(&b, 0);
	xc_buf_printf(
	        &b,
	        "# The desired state of the lab organisation '%s'.\n"
	        "# Edit it, commit it, and run: excert plan; excert apply\n"
	        "version: 1\norganization: %s\nservers:\n",
	        json_string_value(json_object_get(doc, "organization")),
	        json_string_value(json_object_get(doc, "organization")));
	json_object_foreach(json_object_get(doc, "servers"), name, server)
	{
		bool edge = strcmp(json_string_value(
		                           json_object_get(server, "role")),
		                   "Edge") == 0;

		xc_buf_printf(
		        &b,
		        "  - {name: %s, fqdn: %s,%s connect: {transport: lab, path: %s}}\n",
		        name,
		        json_string_value(json_object_get(server, "fqdn")),
		        edge ? " role: edge," : "", labref);
	}
	xc_buf_printf(&b,
	              "issuers:\n  labca: {lab: {path: %s}}\n"
	              "certificates:\n  - name: mail\n"
	              "    domains: [mail.%s, autodiscover.%s]\n"
	              "    issuer: labca\n    servers: [",
	              labref, domain, domain);
	json_object_foreach(json_object_get(doc, "servers"), name, server)
	{
		if (strcmp(json_string_value(json_object_get(server, "role")),
		           "Edge") == 0)
			continue;
		xc_buf_printf(&b, "%s%s", first ? "" : ", ", name);
		first = false;
	}
	xc_buf_puts(&b, "]\n    services: [IIS, SMTP]\n");
	if (json_is_object(json_object_get(doc, "hybrid"))) {
		xc_buf_puts(&b, "    connectors:\n      send: [");
		first = true;
		json_array_foreach(json_object_get(doc, "send_connectors"), i,
		                   c)
		{
			const char *n =
			        json_string_value(json_object_get(c, "name"));

			if (strncmp(n, "Outbound to Office 365", 22) != 0)
				continue;
			xc_buf_printf(&b, "%s\"%s\"", first ? "" : ", ", n);
			first = false;
		}
		xc_buf_puts(&b, "]\n      receive: [");
		first = true;
		json_object_foreach(json_object_get(doc, "servers"), name,
		                    server)
		{
			if (strcmp(json_string_value(
			                   json_object_get(server, "role")),
			           "Edge") == 0)
				continue;
			xc_buf_printf(&b, "%s\"%s\\\\Default Frontend %s\"",
			              first ? "" : ", ", name, name);
			first = false;
		}
		xc_buf_puts(&b, "]\n    hybrid: true\n");
	}
	xc_buf_puts(&b, "    renew_before: 30d\n");
	json_decref(doc);
	*out = xc_buf_detach(&b, NULL);
	return 0;
}
