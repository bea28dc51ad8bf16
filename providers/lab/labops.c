/* SPDX-License-Identifier: MIT */
/*
 * The operations of the agent protocol, as Exchange carries them out, on
 * the lab document.  Each one checks what Exchange checks and refuses what
 * Exchange refuses, with the same kind of message.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "providers/lab/labint.h"
#include "state/agentmsg.h"
#include "state/buf.h"
#include "state/guard.h"
#include "state/dn.h"
#include "state/secret.h"
#include "state/store.h"
#include "state/services.h"
#include "state/tlsname.h"
#include "state/x509.h"
#include "state/xalloc.h"

#define MAX_BLOB (16u * 1024 * 1024)

static int fail(struct op_error *e, const char *category, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct op_error *e, const char *category, const char *fmt, ...)
{
	va_list ap;

	e->category = category;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_err(struct op_error *e, const struct xc_error *err)
{
	return fail(e, "NotSpecified", "%s", err->msg);
}

static const char *arg_str(const json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static bool is_edge(const json_t *server)
{
	const char *role = json_string_value(json_object_get(server, "role"));

	return role && strcmp(role, "Edge") == 0;
}

static unsigned services_of(const json_t *a)
{
	unsigned mask = 0;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) mask |= xc_service_parse(
	        json_string_value(v) ? json_string_value(v) : "");
	return mask;
}

static json_t *services_json(unsigned mask)
{
	json_t *a = json_array();
	unsigned f;

	for (f = 1; f <= XC_SVC_UMCALLROUTER; f <<= 1)
		if (mask & f)
			json_array_append_new(a,
			                      json_string(xc_service_name(f)));
	return a;
}

static bool thumb_ok(const char *t)
{
	size_t i;

	if (!t || strlen(t) != 40)
		return false;
	for (i = 0; i < 40; i++)
		if (!isxdigit((unsigned char)t[i]))
			return false;
	return true;
}

static char *file_b64(const char *path, struct xc_error *err)
{
	char *data;
	size_t len;
	char *b64;

	if (xc_read_file(path, MAX_BLOB, &data, &len, err) < 0)
		return NULL;
	b64 = xc_base64_encode((const unsigned char *)data, len);
	free(data);
	return b64;
}

/* ---- observe ---------------------------------------------------------- */

static json_t *observe_cert(struct lab *l, const char *name, json_t *c,
                            struct xc_error *err)
{
	const char *thumb = json_string_value(json_object_get(c, "thumbprint"));
	struct xc_lab_cert **certs = NULL;
	size_t n = 0;
	unsigned char *der;
	size_t len;
	struct xc_x509 x;
	char *path = lab_path(l, "servers/%s/certs/%s.pem", name, thumb);
	json_t *o;
	char *b64;
	long long now = lab_now();

	if (xc_lab_pem_read_certs(path, &certs, &n, err) < 0) {
		free(path);
		return NULL;
	}
	free(path);
	der = xc_lab_cert_der(certs[0], &len);
	xc_lab_certs_free(certs, n);
	if (xc_x509_parse(&x, der, len, err) < 0) {
		free(der);
		return NULL;
	}
	b64 = xc_base64_encode(der, len);
	free(der);
	o = json_pack(
	        "{s:s,s:s,s:s,s:s,s:O,s:O,s:s,s:O,s:O,s:b}", "thumbprint",
	        x.thumbprint, "der", b64, "issuer", x.issuer, "subject",
	        x.subject, "friendly_name", json_object_get(c, "friendly_name"),
	        "services", json_object_get(c, "services"), "status",
	        now < x.not_before || now > x.not_after ? "DateInvalid"
	                                                : "Valid",
	        "has_private_key", json_object_get(c, "has_key"), "exportable",
	        json_object_get(c, "exportable"), "self_signed", x.self_signed);
	free(b64);
	xc_x509_release(&x);
	return o;
}

static int op_observe(struct lab *l, const char *name, json_t *server,
                      json_t **result, struct op_error *e)
{
	json_t *certs = json_array();
	json_t *reqs = json_array();
	json_t *rconns = json_array();
	json_t *bindings = json_array();
	json_t *iis = json_object_get(server, "iis");
	struct xc_error err;
	size_t i;
	json_t *v;

	xc_error_clear(&err);
	json_array_foreach(json_object_get(server, "certificates"), i, v)
	{
		json_t *o = observe_cert(l, name, v, &err);

		if (!o)
			goto broken;
		json_array_append_new(certs, o);
	}
	json_array_foreach(json_object_get(server, "pending_requests"), i, v)
	{
		const char *thumb =
		        json_string_value(json_object_get(v, "thumbprint"));
		char *path =
		        lab_path(l, "servers/%s/requests/%s.csr", name, thumb);
		char *csr = file_b64(path, &err);

		free(path);
		if (!csr)
			goto broken;
		json_array_append_new(
		        reqs,
		        json_pack(
		                "{s:s,s:O,s:O,s:O,s:O,s:O,s:s}", "thumbprint",
		                thumb, "subject", json_object_get(v, "subject"),
		                "domains", json_object_get(v, "domains"),
		                "friendly_name",
		                json_object_get(v, "friendly_name"), "key_size",
		                json_object_get(v, "key_size"), "exportable",
		                json_object_get(v, "exportable"), "csr", csr));
		free(csr);
	}
	json_array_foreach(json_object_get(server, "receive_connectors"), i, v)
	{
		struct xc_buf id;

		xc_buf_init(&id, 0);
		xc_buf_printf(&id, "%s\\%s", name,
		              json_string_value(json_object_get(v, "name")));
		json_array_append_new(
		        rconns,
		        json_pack("{s:s%,s:O,s:O}", "identity", id.ptr, id.len,
		                  "fqdn", json_object_get(v, "fqdn"),
		                  "tls_certificate_name",
		                  json_object_get(v, "tls_certificate_name")));
		xc_buf_release(&id);
	}
	if (!is_edge(server)) {
		json_array_append_new(bindings,
		                      json_pack("{s:s,s:i,s:O}", "site",
		                                "Default Web Site", "port", 443,
		                                "thumbprint",
		                                json_object_get(iis, "443")));
		json_array_append_new(bindings,
		                      json_pack("{s:s,s:i,s:O}", "site",
		                                "Exchange Back End", "port",
		                                444, "thumbprint",
		                                json_object_get(iis, "444")));
	}
	*result = json_pack("{s:s,s:O,s:O,s:O,s:o,s:o,s:o,s:o,s:O,s:o}", "name",
	                    name, "fqdn", json_object_get(server, "fqdn"),
	                    "role", json_object_get(server, "role"), "version",
	                    json_object_get(server, "version"), "certificates",
	                    certs, "pending_requests", reqs,
	                    "receive_connectors", rconns, "iis_bindings",
	                    bindings, "transport_certificate",
	                    json_object_get(server, "transport_certificate"),
	                    "auth_certificate",
	                    is_edge(server) ? json_null()
	                                    : json_deep_copy(json_object_get(
	                                              l->doc, "auth_config")));
	return 0;
broken:
	json_decref(certs);
	json_decref(reqs);
	json_decref(rconns);
	json_decref(bindings);
	return fail(e, "NotSpecified", "the lab's store of %s is damaged: %s",
	            name, err.msg);
}

static int op_observe_org(struct lab *l, json_t **result)
{
	json_t *sc = json_array();
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(l->doc, "send_connectors"), i, v)
	        json_array_append_new(
	                sc,
	                json_pack("{s:O,s:O,s:O}", "name",
	                          json_object_get(v, "name"), "fqdn",
	                          json_object_get(v, "fqdn"),
	                          "tls_certificate_name",
	                          json_object_get(v, "tls_certificate_name")));
	*result = json_pack("{s:o,s:O}", "send_connectors", sc, "hybrid",
	                    json_object_get(l->doc, "hybrid"));
	return 0;
}

/* ---- requests and import -------------------------------------------- */

static int op_new_request(struct lab *l, const char *name, json_t *server,
                          const json_t *args, json_t **result,
                          struct op_error *e)
{
	const char *subject = arg_str(args, "subject");
	const char *friendly = arg_str(args, "friendly_name");
	const json_t *domains = json_object_get(args, "domains");
	json_int_t bits = json_integer_value(json_object_get(args, "key_size"));
	const json_t *exportable = json_object_get(args, "exportable");
	const char **names;
	size_t n = 0;
	struct xc_dn dn;
	char why[200];
	const char *cn;
	struct xc_lab_key *key;
	unsigned char *csr = NULL;
	size_t csrlen;
	struct xc_error err;
	char thumb[41];
	struct xc_buf pem;
	char *path;
	char *b64;
	size_t i;
	json_t *v;
	json_t *domlist;
	int rc;

	xc_error_clear(&err);
	if (!subject || !friendly || !json_is_array(domains) ||
	    !json_is_boolean(exportable))
		return fail(
		        e, "InvalidArgument",
		        "new_request needs subject, domains, key_size, friendly_name and exportable");
	if (bits != 2048 && bits != 3072 && bits != 4096)
		return fail(e, "InvalidArgument",
		            "KeySize must be 2048, 3072 or 4096, not %lld",
		            (long long)bits);
	if (strlen(friendly) >= 64)
		return fail(e, "InvalidArgument",
		            "FriendlyName must be fewer than 64 characters");
	if (!xc_dn_parse(subject, &dn, why, sizeof(why)))
		return fail(e, "InvalidArgument", "SubjectName: %s", why);
	names = xc_xcalloc(json_array_size(domains) + 2, sizeof(*names));
	domlist = json_array();
	json_array_foreach(domains, i, v)
	{
		if (!json_is_string(v)) {
			free(names);
			json_decref(domlist);
			xc_dn_release(&dn);
			return fail(e, "InvalidArgument",
			            "DomainName holds a non-string");
		}
		names[n++] = json_string_value(v);
		json_array_append(domlist, v);
	}
	/* Exchange adds the subject's CN to the names when missing. */
	cn = xc_dn_get(&dn, "CN");
	for (i = 0; cn && i < n; i++)
		if (strcasecmp(names[i], cn) == 0)
			break;
	if (cn && i == n) {
		names[n++] = cn;
		json_array_append_new(domlist, json_string(cn));
	}
	key = xc_lab_key_rsa((int)bits, &err);
	rc = key ? xc_lab_csr_make(subject, names, n, key, &csr, &csrlen, &err)
	         : -1;
	free(names);
	xc_dn_release(&dn);
	if (rc < 0) {
		xc_lab_key_free(key);
		json_decref(domlist);
		return fail(e, "InvalidArgument", "%s", err.msg);
	}
	/* A pending request's thumbprint: of its placeholder in Exchange,
	 * here of the request itself. */
	xc_thumbprint(csr, csrlen, thumb);
	path = lab_path(l, "servers/%s/requests", name);
	rc = xc_make_dirs(path, 0755, &err);
	free(path);
	path = lab_path(l, "servers/%s/requests/%s.csr", name, thumb);
	if (rc == 0)
		rc = xc_write_file_atomic(path, csr, csrlen, 0644, &err);
	free(path);
	xc_buf_init(&pem, 0);
	xc_lab_key_pem(key, &pem);
	path = lab_path(l, "servers/%s/requests/%s.key", name, thumb);
	if (rc == 0)
		rc = xc_write_file_atomic(path, pem.ptr, pem.len, 0600, &err);
	free(path);
	xc_buf_release(&pem);
	xc_lab_key_free(key);
	if (rc < 0) {
		free(csr);
		json_decref(domlist);
		return fail_err(e, &err);
	}
	json_array_append_new(json_object_get(server, "pending_requests"),
	                      json_pack("{s:s,s:s,s:o,s:s,s:I,s:O}",
	                                "thumbprint", thumb, "subject", subject,
	                                "domains", domlist, "friendly_name",
	                                friendly, "key_size", bits,
	                                "exportable", exportable));
	l->changed = true;
	b64 = xc_base64_encode(csr, csrlen);
	free(csr);
	*result = json_pack("{s:s,s:s}", "thumbprint", thumb, "csr", b64);
	free(b64);
	return 0;
}

/* The certificates of a base64 PEM chain or PKCS#7, leaf first. */
static int read_chain(const char *b64, struct xc_lab_cert ***certs, size_t *n,
                      struct op_error *e)
{
	unsigned char *raw;
	size_t len;
	struct xc_error err;

	if (!b64 || xc_base64_decode(b64, &raw, &len) < 0)
		return fail(e, "InvalidArgument",
		            "the certificate data is not base64");
	if (len >= 10 && memcmp(raw, "-----BEGIN", 10) == 0) {
		if (xc_lab_pem_parse_certs((const char *)raw, len, certs, n,
		                           &err) < 0) {
			free(raw);
			return fail(e, "InvalidArgument", "%s", err.msg);
		}
	} else if (xc_lab_pkcs7_certs(raw, len, certs, n, &err) < 0) {
		free(raw);
		return fail(e, "InvalidArgument",
		            "the certificate data is neither PEM nor PKCS#7");
	}
	free(raw);
	return 0;
}

static int op_import(struct lab *l, const char *name, json_t *server,
                     const json_t *args, json_t **result, struct op_error *e)
{
	struct xc_lab_cert **certs = NULL;
	size_t n = 0;
	json_t *reqs = json_object_get(server, "pending_requests");
	const char *friendly = arg_str(args, "friendly_name");
	struct xc_error err;
	size_t i;
	json_t *r;
	char thumb[41];

	xc_error_clear(&err);
	if (read_chain(arg_str(args, "certificate"), &certs, &n, e) < 0)
		return -1;
	json_array_foreach(reqs, i, r)
	{
		const char *rt =
		        json_string_value(json_object_get(r, "thumbprint"));
		char *kpath =
		        lab_path(l, "servers/%s/requests/%s.key", name, rt);
		struct xc_lab_key *key = xc_lab_pem_read_key(kpath, &err);
		bool match = key && xc_lab_key_matches(key, certs[0]);

		free(kpath);
		if (!match) {
			xc_lab_key_free(key);
			continue;
		}
		if (lab_store_cert(l, name, certs[0], certs + 1, n - 1, key,
		                   thumb, &err) < 0) {
			xc_lab_key_free(key);
			xc_lab_certs_free(certs, n);
			return fail_err(e, &err);
		}
		xc_lab_key_free(key);
		xc_lab_certs_free(certs, n);
		if (lab_find_cert(server, thumb, NULL))
			return fail(
			        e, "ResourceExists",
			        "a certificate with thumbprint %s already exists on %s",
			        thumb, name);
		json_array_append_new(
		        json_object_get(server, "certificates"),
		        json_pack("{s:s,s:o,s:[],s:O,s:b}", "thumbprint", thumb,
		                  "friendly_name",
		                  friendly ? json_string(friendly)
		                           : json_incref(json_object_get(
		                                     r, "friendly_name")),
		                  "services", "exportable",
		                  json_object_get(r, "exportable"), "has_key",
		                  1));
		kpath = lab_path(l, "servers/%s/requests/%s.key", name, rt);
		unlink(kpath);
		free(kpath);
		kpath = lab_path(l, "servers/%s/requests/%s.csr", name, rt);
		unlink(kpath);
		free(kpath);
		json_array_remove(reqs, i);
		l->changed = true;
		*result = json_pack("{s:s}", "thumbprint", thumb);
		return 0;
	}
	xc_lab_certs_free(certs, n);
	return fail(
	        e, "ObjectNotFound",
	        "no pending request on %s holds the key of this certificate; Exchange completes a request only on the server that made it",
	        name);
}

/* ---- services ------------------------------------------------------- */

static int op_enable(struct lab *l, const char *name, json_t *server,
                     const json_t *args, json_t **result, struct op_error *e)
{
	const char *thumb = arg_str(args, "thumbprint");
	const json_t *replace =
	        json_object_get(args, "replace_transport_certificate");
	unsigned want = services_of(json_object_get(args, "services"));
	json_t *c;
	long long not_after;
	char *issuer = NULL;
	char *subject = NULL;
	struct xc_error err;
	unsigned have;
	size_t i;
	json_t *r;

	xc_error_clear(&err);
	if (!thumb_ok(thumb) || !json_is_boolean(replace) || !want)
		return fail(
		        e, "InvalidArgument",
		        "enable needs thumbprint, services and replace_transport_certificate");
	json_array_foreach(json_object_get(server, "pending_requests"), i, r) if (
	        strcasecmp(json_string_value(json_object_get(r, "thumbprint")),
	                   thumb) ==
	        0) return fail(e, "InvalidOperation",
	                       "certificate %s is a pending request; import the issued certificate first",
	                       thumb);
	c = lab_find_cert(server, thumb, NULL);
	if (!c)
		return fail(e, "ObjectNotFound",
		            "no certificate with thumbprint %s on %s", thumb,
		            name);
	if (!json_is_true(json_object_get(c, "has_key")))
		return fail(
		        e, "InvalidOperation",
		        "certificate %s has no private key and cannot be enabled",
		        thumb);
	if (is_edge(server) &&
	    (want & (XC_SVC_IIS | XC_SVC_IMAP | XC_SVC_POP | XC_SVC_UM |
	             XC_SVC_UMCALLROUTER | XC_SVC_FEDERATION)))
		return fail(
		        e, "InvalidOperation",
		        "%s is an Edge Transport server: only SMTP can be enabled",
		        name);
	if (lab_cert_names(l, name, thumb, &issuer, &subject, &not_after,
	                   &err) < 0)
		return fail_err(e, &err);
	free(issuer);
	free(subject);
	if (not_after < lab_now())
		return fail(e, "InvalidOperation",
		            "certificate %s has expired and cannot be enabled",
		            thumb);
	/* Services are additive: Enable-ExchangeCertificate never takes one
	 * away. */
	have = services_of(json_object_get(c, "services")) | want;
	json_object_set_new(c, "services", services_json(have));
	if (want & XC_SVC_IIS) {
		json_object_set_new(json_object_get(server, "iis"), "443",
		                    json_string(thumb));
	}
	if ((want & XC_SVC_SMTP) && json_is_true(replace))
		json_object_set_new(server, "transport_certificate",
		                    json_string(thumb));
	l->changed = true;
	*result = json_pack("{s:o,s:O}", "services", services_json(have),
	                    "transport_certificate",
	                    json_object_get(server, "transport_certificate"));
	return 0;
}

/* ---- PFX ----------------------------------------------------------- */

static int op_export_pfx(struct lab *l, const char *name, json_t *server,
                         const json_t *args, json_t **result,
                         struct op_error *e)
{
	const char *thumb = arg_str(args, "thumbprint");
	const char *password = arg_str(args, "password");
	json_t *c;
	struct xc_lab_cert **certs = NULL;
	size_t n = 0;
	struct xc_lab_key *key;
	unsigned char *pfx;
	size_t len = 0;
	char *path;
	char *b64;
	struct xc_error err;

	xc_error_clear(&err);
	if (!thumb_ok(thumb) || !password)
		return fail(e, "InvalidArgument",
		            "export_pfx needs thumbprint and password");
	c = lab_find_cert(server, thumb, NULL);
	if (!c)
		return fail(e, "ObjectNotFound",
		            "no certificate with thumbprint %s on %s", thumb,
		            name);
	if (!json_is_true(json_object_get(c, "has_key")) ||
	    !json_is_true(json_object_get(c, "exportable")))
		return fail(
		        e, "InvalidOperation",
		        "the private key of certificate %s is not exportable",
		        thumb);
	path = lab_path(l, "servers/%s/certs/%s.pem", name, thumb);
	if (xc_lab_pem_read_certs(path, &certs, &n, &err) < 0) {
		free(path);
		return fail_err(e, &err);
	}
	free(path);
	path = lab_path(l, "servers/%s/keys/%s.key", name, thumb);
	key = xc_lab_pem_read_key(path, &err);
	free(path);
	pfx = key ? xc_lab_pkcs12_make(key, certs[0], certs + 1, n - 1,
	                               password,
	                               json_string_value(json_object_get(
	                                       c, "friendly_name")),
	                               &len, &err)
	          : NULL;
	xc_lab_key_free(key);
	xc_lab_certs_free(certs, n);
	if (!pfx)
		return fail_err(e, &err);
	b64 = xc_base64_encode(pfx, len);
	xc_wipe_free(pfx, len);
	*result = json_pack("{s:s}", "pfx", b64);
	free(b64);
	return 0;
}

static int op_import_pfx(struct lab *l, const char *name, json_t *server,
                         const json_t *args, json_t **result,
                         struct op_error *e)
{
	const char *password = arg_str(args, "password");
	const char *friendly = arg_str(args, "friendly_name");
	const json_t *exportable = json_object_get(args, "exportable");
	unsigned char *raw;
	size_t len;
	struct xc_lab_key *key = NULL;
	struct xc_lab_cert *cert = NULL;
	struct xc_lab_cert **chain = NULL;
	size_t nchain = 0;
	struct xc_error err;
	char thumb[41];
	unsigned char *der;
	size_t derlen;
	int rc;

	xc_error_clear(&err);
	if (!password || !json_is_boolean(exportable) ||
	    !arg_str(args, "pfx") ||
	    xc_base64_decode(arg_str(args, "pfx"), &raw, &len) < 0)
		return fail(
		        e, "InvalidArgument",
		        "import_pfx needs pfx (base64), password and exportable");
	rc = xc_lab_pkcs12_open(raw, len, password, &key, &cert, &chain,
	                        &nchain, &err);
	xc_wipe_free(raw, len);
	if (rc < 0)
		return fail(e,
		            rc == XC_EAUTH ? "PermissionDenied"
		                           : "InvalidArgument",
		            "%s", err.msg);
	der = xc_lab_cert_der(cert, &derlen);
	xc_thumbprint(der, derlen, thumb);
	free(der);
	if (lab_find_cert(server, thumb, NULL)) {
		rc = fail(
		        e, "ResourceExists",
		        "a certificate with thumbprint %s already exists on %s",
		        thumb, name);
		goto out;
	}
	if (lab_store_cert(l, name, cert, chain, nchain, key, thumb, &err) <
	    0) {
		rc = fail_err(e, &err);
		goto out;
	}
	json_array_append_new(
	        json_object_get(server, "certificates"),
	        json_pack("{s:s,s:s,s:[],s:O,s:b}", "thumbprint", thumb,
	                  "friendly_name", friendly ? friendly : "", "services",
	                  "exportable", exportable, "has_key", 1));
	l->changed = true;
	*result = json_pack("{s:s}", "thumbprint", thumb);
	rc = 0;
out:
	xc_lab_key_free(key);
	xc_lab_cert_free(cert);
	xc_lab_certs_free(chain, nchain);
	return rc;
}

/* ---- connectors and hybrid -------------------------------------------- */

static int set_tls_name(json_t *list, const char *name, const char *tls_name)
{
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c)
	{
		const char *n = json_string_value(json_object_get(c, "name"));

		if (n && strcasecmp(n, name) == 0) {
			json_object_set_new(c, "tls_certificate_name",
			                    json_string(tls_name));
			return 0;
		}
	}
	return -1;
}

static bool tls_name_ok(const char *t)
{
	return t && strncasecmp(t, "<I>", 3) == 0 && strstr(t, "<S>");
}

static int op_set_send(struct lab *l, const json_t *args, json_t **result,
                       struct op_error *e)
{
	const char *name = arg_str(args, "name");
	const char *tls = arg_str(args, "tls_certificate_name");

	if (!name || !tls_name_ok(tls))
		return fail(
		        e, "InvalidArgument",
		        "set_send_connector_tls needs name and a tls_certificate_name of the form <I>issuer<S>subject");
	if (set_tls_name(json_object_get(l->doc, "send_connectors"), name,
	                 tls) < 0)
		return fail(e, "ObjectNotFound",
		            "no send connector named '%.200s'", name);
	l->changed = true;
	*result = json_object();
	return 0;
}

static int op_set_receive(struct lab *l, const char *name, json_t *server,
                          const json_t *args, json_t **result,
                          struct op_error *e)
{
	const char *id = arg_str(args, "identity");
	const char *tls = arg_str(args, "tls_certificate_name");
	const char *bs = id ? strchr(id, '\\') : NULL;

	if (!id || !tls_name_ok(tls))
		return fail(
		        e, "InvalidArgument",
		        "set_receive_connector_tls needs identity and a tls_certificate_name of the form <I>issuer<S>subject");
	if (!bs || (size_t)(bs - id) != strlen(name) ||
	    strncasecmp(id, name, strlen(name)) != 0)
		return fail(e, "InvalidArgument",
		            "receive connector '%.200s' is not on %s", id,
		            name);
	if (set_tls_name(json_object_get(server, "receive_connectors"), bs + 1,
	                 tls) < 0)
		return fail(e, "ObjectNotFound",
		            "no receive connector '%.200s'", id);
	l->changed = true;
	*result = json_object();
	return 0;
}

static int op_set_hybrid(struct lab *l, const json_t *args, json_t **result,
                         struct op_error *e)
{
	const char *tls = arg_str(args, "tls_certificate_name");
	json_t *h = json_object_get(l->doc, "hybrid");

	if (!tls_name_ok(tls))
		return fail(
		        e, "InvalidArgument",
		        "set_hybrid_tls needs a tls_certificate_name of the form <I>issuer<S>subject");
	if (!json_is_object(h))
		return fail(e, "ObjectNotFound",
		            "the organisation has no hybrid configuration");
	json_object_set_new(h, "tls_certificate_name", json_string(tls));
	l->changed = true;
	*result = json_object();
	return 0;
}

static int op_restart(struct lab *l, json_t *server, const json_t *args,
                      json_t **result, struct op_error *e)
{
	const char *svc = arg_str(args, "service");
	json_t *restarts = json_object_get(server, "restarts");

	if (!svc || (strcmp(svc, "transport") != 0 && strcmp(svc, "iis") != 0))
		return fail(e, "InvalidArgument",
		            "restart takes service 'transport' or 'iis'");
	if (strcmp(svc, "iis") == 0 && is_edge(server))
		return fail(e, "InvalidOperation",
		            "an Edge Transport server has no IIS");
	json_object_set_new(restarts, svc,
	                    json_integer(json_integer_value(json_object_get(
	                                         restarts, svc)) +
	                                 1));
	l->changed = true;
	*result = json_object();
	return 0;
}

/* ---- remove ------------------------------------------------------------ */

/* Whether Exchange would refuse to remove thumb from server (why says
 * why); false with e set when the lab cannot tell. */
static bool exchange_refuses(struct lab *l, const char *name, json_t *server,
                             const char *thumb, char *why, size_t size,
                             struct op_error *e)
{
	struct xc_obs_server so;
	struct xc_obs_org org;
	struct xc_guard_ctx g;
	struct xc_error err;
	json_t *js = NULL;
	json_t *jo = NULL;
	char *text;
	bool refused = false;
	size_t i;

	e->category = NULL;
	xc_error_clear(&err);
	if (op_observe(l, name, server, &js, e) < 0 ||
	    op_observe_org(l, &jo) < 0) {
		json_decref(js);
		return false;
	}
	text = json_dumps(js, JSON_COMPACT);
	json_decref(js);
	if (xc_parse_observe(&so, text, &err) < 0) {
		free(text);
		json_decref(jo);
		fail_err(e, &err);
		return false;
	}
	free(text);
	text = json_dumps(jo, JSON_COMPACT);
	json_decref(jo);
	if (xc_parse_observe_org(&org, text, &err) < 0) {
		free(text);
		xc_obs_server_release(&so);
		fail_err(e, &err);
		return false;
	}
	free(text);
	memset(&g, 0, sizeof(g));
	g.server = &so;
	g.org = &org;
	g.now = lab_now();
	for (i = 0; i < so.ncerts; i++)
		if (strcasecmp(so.certs[i].x.thumbprint, thumb) == 0)
			refused = xc_guard_removal(&g, &so.certs[i],
			                           XC_GUARD_EXCHANGE, why,
			                           size) != 0;
	xc_obs_server_release(&so);
	xc_obs_org_release(&org);
	return refused;
}

static int op_remove(struct lab *l, const char *name, json_t *server,
                     const json_t *args, json_t **result, struct op_error *e)
{
	const char *thumb = arg_str(args, "thumbprint");
	json_t *reqs = json_object_get(server, "pending_requests");
	char why[512];
	size_t idx;
	char *path;
	size_t i;
	json_t *r;

	if (!thumb_ok(thumb))
		return fail(e, "InvalidArgument", "remove needs a thumbprint");
	json_array_foreach(reqs, i, r)
	{
		const char *rt =
		        json_string_value(json_object_get(r, "thumbprint"));

		if (strcasecmp(rt, thumb) != 0)
			continue;
		path = lab_path(l, "servers/%s/requests/%s.key", name, rt);
		unlink(path);
		free(path);
		path = lab_path(l, "servers/%s/requests/%s.csr", name, rt);
		unlink(path);
		free(path);
		json_array_remove(reqs, i);
		l->changed = true;
		*result = json_object();
		return 0;
	}
	if (!lab_find_cert(server, thumb, &idx))
		return fail(e, "ObjectNotFound",
		            "no certificate with thumbprint %s on %s", thumb,
		            name);
	/* Exchange refuses to remove a certificate that a TlsCertificateName
	 * is tagged with, unless another certificate with the same issuer and
	 * subject (a renewal) answers the name: the guard's own rule
	 * (state/guard.h), judged on what this server and the organisation
	 * look like through the protocol. */
	if (exchange_refuses(l, name, server, thumb, why, sizeof(why), e))
		return fail(
		        e, "InvalidOperation",
		        "certificate %s cannot be removed: it is tagged with a TlsCertificateName: %s",
		        thumb, why);
	if (e->category)
		return -1;
	path = lab_path(l, "servers/%s/certs/%s.pem", name, thumb);
	unlink(path);
	free(path);
	path = lab_path(l, "servers/%s/keys/%s.key", name, thumb);
	unlink(path);
	free(path);
	json_array_remove(json_object_get(server, "certificates"), idx);
	l->changed = true;
	*result = json_object();
	return 0;
}

/* ---- http-01 ---------------------------------------------------------- */

static int op_http01(struct lab *l, const char *name, const json_t *args,
                     bool place, json_t **result, struct op_error *e)
{
	const char *token = arg_str(args, "token");
	const char *content = arg_str(args, "content");
	struct xc_error err;
	char *dir;
	char *path;
	int rc;

	xc_error_clear(&err);
	/* base64url only, so that a token cannot climb out of the
	 * directory. */
	if (!xc_acme_token_ok(token) || (place && !content))
		return fail(e, "InvalidArgument",
		            "the token must be base64url%s",
		            place ? ", with content" : "");
	dir = lab_path(l, "servers/%s/webroot/.well-known/acme-challenge",
	               name);
	path = lab_path(l, "servers/%s/webroot/.well-known/acme-challenge/%s",
	                name, token);
	if (place) {
		rc = xc_make_dirs(dir, 0755, &err);
		if (rc == 0)
			rc = xc_write_file_atomic(path, content,
			                          strlen(content), 0644, &err);
		if (rc == 0)
			*result = json_pack("{s:s}", "path", path);
	} else {
		rc = unlink(path) == 0 || errno == ENOENT ? 0 : -1;
		if (rc < 0)
			xc_error_set(&err, XC_EIO, "cannot remove '%s'", path);
		else
			*result = json_object();
	}
	free(dir);
	free(path);
	return rc < 0 ? fail_err(e, &err) : 0;
}

int lab_op(struct lab *l, const char *name, json_t *server, const char *op,
           const json_t *args, json_t **result, struct op_error *e)
{
	*result = NULL;
	if (strcmp(op, "observe") == 0)
		return op_observe(l, name, server, result, e);
	if (strcmp(op, "observe_org") == 0)
		return op_observe_org(l, result);
	if (strcmp(op, "new_request") == 0)
		return op_new_request(l, name, server, args, result, e);
	if (strcmp(op, "import") == 0)
		return op_import(l, name, server, args, result, e);
	if (strcmp(op, "enable") == 0)
		return op_enable(l, name, server, args, result, e);
	if (strcmp(op, "export_pfx") == 0)
		return op_export_pfx(l, name, server, args, result, e);
	if (strcmp(op, "import_pfx") == 0)
		return op_import_pfx(l, name, server, args, result, e);
	if (strcmp(op, "set_send_connector_tls") == 0)
		return op_set_send(l, args, result, e);
	if (strcmp(op, "set_receive_connector_tls") == 0)
		return op_set_receive(l, name, server, args, result, e);
	if (strcmp(op, "set_hybrid_tls") == 0)
		return op_set_hybrid(l, args, result, e);
	if (strcmp(op, "restart") == 0)
		return op_restart(l, server, args, result, e);
	if (strcmp(op, "remove") == 0)
		return op_remove(l, name, server, args, result, e);
	if (strcmp(op, "lease") == 0)
		return lab_op_lease(l, args, result, e);
	if (strcmp(op, "place_http01") == 0)
		return op_http01(l, name, args, true, result, e);
	if (strcmp(op, "clear_http01") == 0)
		return op_http01(l, name, args, false, result, e);
	return fail(e, "NotImplemented", "unknown operation '%.64s'", op);
}
