/* SPDX-License-Identifier: MIT */
#include "providers/acme/issue.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "providers/acme/dns01.h"
#include "providers/acme/http01.h"
#include "providers/acme/order.h"
#include "state/clock.h"
#include "state/buf.h"
#include "state/secret.h"
#include "state/store.h"
#include "state/x509.h"
#include "state/xalloc.h"

/* How long the DNS server may take to serve the records it took. */
#define XC_DNS01_PUBLISH_MS (60LL * 1000)

struct run {
	const struct xc_acme_issue_opts *o;
	struct xc_store *store;
	struct xc_acme *acme;
	struct xc_http01 *http01;
	char **domains; /* lower-case, sorted, owned */
	size_t n;
	char order_name[96]; /* acme-HASH/orders/ID.json */
	char key_name[96];   /* acme-HASH/orders/ID.key */
	struct xc_acme_key *key;
	bool key_loaded;     /* the key saved with an earlier order */
	bool keygen_running; /* a thread is making key */
	pthread_t keygen;
	struct xc_error keygen_err;
	double key_wait_ms;
	struct xc_acme_order order;
	json_t *tokens; /* http-01 tokens answered, persisted with the order */
	struct xc_dns01 *dns01; /* with --dns-server, instead of http01 */
	json_t *records;        /* dns-01 [{name, value}], persisted likewise */
	/* The responder: http01 or dns01 (inner), wrapped (resp) so that
	 * what it places is persisted with the order. */
	struct xc_acme_http01_responder http_resp;
	struct xc_acme_dns01_responder dns_resp;
	const struct xc_acme_responder_ops *inner;
	void *inner_ctx;
	struct xc_acme_responder_ops resp;
};

static void say(const struct run *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void say(const struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->o->log)
		return;
	fputs("excert: acme: ", r->o->log);
	va_start(ap, fmt);
	vfprintf(r->o->log, fmt, ap);
	va_end(ap);
	fputc('\n', r->o->log);
	fflush(r->o->log);
}

/* EXCERT_ACME_STOP_AFTER=STEP: die as a kill -9 would, for the tests. */
static void stop_hook(const char *step)
{
	const char *v = getenv("EXCERT_ACME_STOP_AFTER"); /* NOLINT */

	if (v && strcmp(v, step) == 0) {
		fflush(NULL);
		raise(SIGKILL);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lower-cased, sorted, without duplicates; basic shape checked here, the
 * rest is the CA's to judge (and to explain). */
static int domains_prepare(struct run *r, struct xc_error *err)
{
	size_t i;
	size_t j;

	if (r->o->ndomains == 0)
		return xc_error_set(err, XC_EINVAL, "no domain given (-d)");
	r->domains = xc_xcalloc(r->o->ndomains, sizeof(char *));
	for (i = 0; i < r->o->ndomains; i++) {
		const char *d = r->o->domains[i];
		size_t len = strlen(d);
		char *c;

		if (len == 0 || len > 253)
			return xc_error_set(
			        err, XC_EINVAL,
			        "domain '%s' must have 1 to 253 characters", d);
		c = xc_xstrdup(d);
		for (j = 0; j < len; j++) {
			unsigned char ch = (unsigned char)c[j];

			if (ch <= ' ' || ch >= 0x7f || ch == '/') {
				free(c);
				return xc_error_set(
				        err, XC_EINVAL,
				        "domain '%s' holds a character no DNS name has",
				        d);
			}
			c[j] = (char)tolower(ch);
		}
		for (j = 0; j < r->n; j++)
			if (strcmp(r->domains[j], c) == 0)
				break;
		if (j < r->n)
			free(c);
		else
			r->domains[r->n++] = c;
	}
	if (r->n > XC_ACME_MAX_NAMES)
		return xc_error_set(
		        err, XC_EINVAL,
		        "%zu names given (-d); one order takes at most %d",
		        r->n, XC_ACME_MAX_NAMES);
	qsort(r->domains, r->n, sizeof(char *), cmp_str);
	return 0;
}

static void order_id(struct run *r)
{
	struct xc_buf b;
	char hash[65];
	size_t i;

	xc_buf_init(&b, 0);
	xc_buf_puts(&b,
	            r->o->keytype == XC_ACME_KEY_RSA2048 ? "rsa2048" : "ec256");
	for (i = 0; i < r->n; i++)
		xc_buf_printf(&b, "\n%s", r->domains[i]);
	xc_sha256_hex(b.ptr, b.len, hash);
	xc_buf_release(&b);
	snprintf(r->order_name, sizeof(r->order_name), "%s/orders/%.16s.json",
	         xc_acme_prefix(r->acme), hash);
	snprintf(r->key_name, sizeof(r->key_name), "%s/orders/%.16s.key",
	         xc_acme_prefix(r->acme), hash);
}

/* Records the order and the step reached (placed, challenges, finalized). */
static int persist(struct run *r, const char *step, struct xc_error *err)
{
	json_t *names = json_array();
	json_t *v;
	char *text;
	size_t i;
	int rc;

	for (i = 0; i < r->n; i++)
		json_array_append_new(names, json_string(r->domains[i]));
	v = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I}", "directory",
	              r->o->directory_url, "order", r->order.url, "key",
	              r->o->keytype == XC_ACME_KEY_RSA2048 ? "rsa2048"
	                                                   : "ec256",
	              "domains", names, "status", r->order.status, "step", step,
	              "updated", (json_int_t)time(NULL));
	if (r->tokens)
		json_object_set(v, "tokens", r->tokens);
	if (r->records)
		json_object_set(v, "records", r->records);
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	rc = xc_store_write(r->store, r->order_name, text, strlen(text), 0600,
	                    err);
	free(text);
	return rc;
}

static void forget_order(struct run *r)
{
	struct xc_error ignore;

	xc_store_remove(r->store, r->order_name, &ignore);
	xc_store_remove(r->store, r->key_name, &ignore);
}

static void *keygen(void *arg)
{
	struct run *r = arg;

	r->key = xc_acme_key_new(r->o->keytype, &r->keygen_err);
	return NULL;
}

/* The certificate's key: the one saved with the order, or else a new one
 * made by a thread of its own while the CA is talked to (an RSA key takes
 * longer than a round trip); key_ready collects it. */
static int key_start(struct run *r, struct xc_error *err)
{
	char *pem = NULL;
	size_t len = 0;
	int rc;

	rc = xc_store_read(r->store, r->key_name, 64 * 1024, &pem, &len, err);
	if (rc == 0) {
		r->key = xc_acme_key_from_pem(pem, len, r->key_name, err);
		xc_wipe_free(pem, len);
		r->key_loaded = r->key != NULL;
		return r->key ? 0 : err->code;
	}
	if (rc != XC_ENOTFOUND)
		return rc;
	xc_error_clear(err);
	xc_error_clear(&r->keygen_err);
	if (pthread_create(&r->keygen, NULL, keygen, r) == 0) {
		r->keygen_running = true;
		return 0;
	}
	keygen(r);
	return r->key ? 0 : (*err = r->keygen_err, err->code);
}

static void key_join(struct run *r)
{
	double t0 = (xc_clock_seconds() * 1e3);

	if (!r->keygen_running)
		return;
	pthread_join(r->keygen, NULL);
	r->keygen_running = false;
	r->key_wait_ms = (xc_clock_seconds() * 1e3) - t0;
}

/* The key, ready to sign the request: a new one is saved first, so that a
 * finalized order never names a key that is lost. */
static int key_ready(struct run *r, struct xc_error *err)
{
	char *pem = NULL;
	size_t len = 0;
	int rc;

	key_join(r);
	if (!r->key) {
		*err = r->keygen_err;
		return err->code ? err->code : XC_ERR;
	}
	if (r->key_loaded)
		return 0;
	pem = xc_acme_key_pem(r->key, &len, err);
	if (!pem)
		return err->code;
	rc = xc_store_write(r->store, r->key_name, pem, len, 0600, err);
	xc_wipe_free(pem, len);
	if (rc == 0)
		r->key_loaded = true;
	return rc;
}

/* The saved order, read from the CA: 1 when it can go on, 0 when there is
 * none (or it is gone or failed and was forgotten). */
static int resume(struct run *r, struct xc_error *err)
{
	struct xc_error e2;
	char *text = NULL;
	json_t *v = NULL;
	const char *url;
	char *copy;
	bool saved = false;
	int rc;

	if (xc_store_read(r->store, r->order_name, 64 * 1024, &text, NULL,
	                  &e2) == 0) {
		saved = true;
		v = json_loads(text, 0, NULL);
	}
	free(text);
	url = json_string_value(json_object_get(v, "order"));
	if (!url || strncmp(url, "https://", 8) != 0) {
		json_decref(v);
		if (saved)
			forget_order(r);
		return 0;
	}
	copy = xc_xstrdup(url);
	/* Token files an interrupted run left in the webroot. */
	{
		json_t *t = json_object_get(v, "tokens");
		size_t i;

		for (i = 0; i < json_array_size(t); i++) {
			const char *tok =
			        json_string_value(json_array_get(t, i));

			if (tok && r->http01)
				xc_http01_forget(r->http01, tok);
		}
		/* TXT records an interrupted run added: deleted now, added
		 * again if the challenge is still to be answered. */
		t = json_object_get(v, "records");
		for (i = 0; i < json_array_size(t) && r->dns01; i++) {
			json_t *e = json_array_get(t, i);
			const char *n =
			        json_string_value(json_object_get(e, "name"));
			const char *val =
			        json_string_value(json_object_get(e, "value"));

			if (n && val &&
			    xc_dns01_forget(r->dns01, n, val, &e2) < 0)
				say(r, "%s", e2.msg);
		}
	}
	json_decref(v);
	xc_error_clear(&e2);
	rc = xc_acme_order_get(r->acme, copy, &r->order, &e2);
	if (rc == XC_ENOTFOUND ||
	    (rc == 0 && strcmp(r->order.status, "invalid") == 0)) {
		say(r, "order %s %s; placing a new one", copy,
		    rc == 0 ? "failed" : "is no longer known to the CA");
		if (rc == 0 && r->order.problem[0])
			say(r, "it failed with: %s", r->order.problem);
		free(copy);
		xc_acme_order_release(&r->order);
		forget_order(r);
		return 0;
	}
	free(copy);
	if (rc < 0) {
		*err = e2;
		return rc;
	}
	say(r, "resuming order %s (%s)", r->order.url, r->order.status);
	return 1;
}

/* The responder of this run (http-01 from the webroot or the listener, or
 * dns-01), wrapped so that what it places is kept with the order: a
 * resumed run removes what an interrupted one left. */
static int keep_place(void *ctx, const struct xc_acme_authz *z,
                      const char *token, const char *keyauth,
                      struct xc_error *err)
{
	struct run *r = ctx;

	if (r->dns01) {
		char *name = xc_dns01_record_name(z->identifier);
		char value[44];

		xc_dns01_txt_value(keyauth, value);
		if (!r->records)
			r->records = json_array();
		json_array_append_new(
		        r->records,
		        json_pack("{s:s, s:s}", "name", name, "value", value));
		free(name);
	} else {
		if (!r->tokens)
			r->tokens = json_array();
		json_array_append_new(r->tokens, json_string(token));
	}
	return r->inner->place(r->inner_ctx, z, token, keyauth, err);
}

/* dns-01: the records are saved before they are sent. */
static int keep_publish(void *ctx, struct xc_error *err)
{
	struct run *r = ctx;
	int rc;

	if (!r->inner->publish)
		return 0;
	if (r->dns01 && (rc = persist(r, "records", err)) < 0)
		return rc;
	return r->inner->publish(r->inner_ctx, err);
}

/* Records that cannot be deleted stay saved with the order, for the next
 * run to delete; the certificate is not lost for them. */
static int keep_clear(void *ctx, struct xc_error *err)
{
	struct run *r = ctx;
	struct xc_error e2;

	(void)err;
	if (r->inner->clear(r->inner_ctx, &e2) < 0) {
		say(r, "%s; delete the records by hand", e2.msg);
		return 0;
	}
	if (r->dns01) {
		json_decref(r->records);
		r->records = NULL;
	}
	return 0;
}

static void keep_explain(void *ctx, struct xc_error *err)
{
	struct run *r = ctx;

	if (r->inner->explain)
		r->inner->explain(r->inner_ctx, err);
}

static const struct xc_acme_responder_ops keep_responder = {
        .place = keep_place,
        .publish = keep_publish,
        .clear = keep_clear,
        .explain = keep_explain,
};

/* DIR/name replaced atomically and durably with mode. */
static int write_out(const char *dir, const char *name, const char *data,
                     size_t len, int mode, struct xc_error *err)
{
	struct xc_buf tmp;
	struct xc_buf dst;
	int fd;
	int dfd;
	int rc = 0;

	xc_buf_init(&tmp, 0);
	xc_buf_init(&dst, 0);
	xc_buf_printf(&tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
	xc_buf_printf(&dst, "%s/%s", dir, name);
	unlink(tmp.ptr);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	if (fd < 0 || fchmod(fd, (mode_t)mode) != 0 ||
	    write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		rc = xc_error_set(err, XC_EIO, "cannot write %s: %s", dst.ptr,
		                  strerror(errno));
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = xc_error_set(err, XC_EIO, "cannot write %s: %s", dst.ptr,
		                  strerror(errno));
	if (rc == 0 && rename(tmp.ptr, dst.ptr) != 0)
		rc = xc_error_set(err, XC_EIO, "cannot write %s: %s", dst.ptr,
		                  strerror(errno));
	if (rc < 0 && fd >= 0)
		unlink(tmp.ptr);
	if (rc == 0 && (dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	xc_buf_release(&tmp);
	xc_buf_release(&dst);
	return rc;
}

static int out_dir_ready(const char *dir, struct xc_error *err)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return xc_error_set(err, XC_EIO, "cannot make %s: %s", dir,
		                    strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return xc_error_set(err, XC_EINVAL, "%s is not a directory",
		                    dir);
	if (access(dir, W_OK) != 0)
		return xc_error_set(err, XC_EIO, "cannot write into %s: %s",
		                    dir, strerror(errno));
	return 0;
}

static int save_result(struct run *r, const char *pem, size_t len,
                       struct xc_acme_issue_result *res, struct xc_error *err)
{
	char *leaf = NULL;
	char *chain = NULL;
	char *keypem = NULL;
	size_t keylen = 0;
	struct xc_buf full;
	const char *p;
	int rc;

	rc = xc_acme_chain_split(pem, len, r->key, &leaf, &chain, res->serial,
	                         &res->not_after, err);
	if (rc < 0)
		return rc;
	for (p = chain; (p = strstr(p, "-----BEGIN CERTIFICATE")); p++)
		res->nchain++;
	xc_buf_init(&full, 0);
	xc_buf_puts(&full, leaf);
	xc_buf_puts(&full, chain);
	keypem = xc_acme_key_pem(r->key, &keylen, err);
	if (!keypem)
		rc = err->code;
	/* The key first: a cert.pem is never there without its key. */
	if (rc == 0)
		rc = write_out(r->o->out_dir, "key.pem", keypem, keylen, 0600,
		               err);
	if (rc == 0)
		rc = write_out(r->o->out_dir, "chain.pem", chain, strlen(chain),
		               0644, err);
	if (rc == 0)
		rc = write_out(r->o->out_dir, "cert.pem", full.ptr, full.len,
		               0644, err);
	xc_wipe_free(keypem, keylen);
	xc_buf_release(&full);
	free(leaf);
	free(chain);
	return rc;
}

/* The request to finalize with, signed by the key, which is saved first
 * (key_ready). */
static int order_csr(void *ctx, unsigned char **der, size_t *len,
                     struct xc_error *err)
{
	struct run *r = ctx;
	int rc;

	if ((rc = key_ready(r, err)) < 0)
		return rc;
	return xc_acme_csr(r->key, (const char *const *)r->domains, r->n, der,
	                   len, err);
}

/* Each step saved with the order; EXCERT_ACME_STOP_AFTER stops there. */
static int order_persist(void *ctx, const char *step, struct xc_error *err)
{
	static const char *const stops[][2] = {
	        {"placed", "order"},
	        {"challenges", "challenge"},
	        {"finalized", "finalize"},
	};
	struct run *r = ctx;
	size_t i;
	int rc;

	if ((rc = persist(r, step, err)) < 0)
		return rc;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (strcmp(step, stops[i][0]) == 0)
			stop_hook(stops[i][1]);
	return 0;
}

static int run_order(struct run *r, struct xc_acme_issue_result *res,
                     struct xc_error *err)
{
	struct xc_acme_order_run run;
	char *pem = NULL;
	size_t len = 0;
	int rc;

	rc = resume(r, err);
	if (rc < 0)
		return rc;
	res->resumed = rc;
	if ((rc = key_start(r, err)) < 0)
		return rc;
	res->key_background = r->keygen_running;
	/* A finalized order names a key; without it the certificate would be
	 * useless, so start over. */
	if (!r->key_loaded && res->resumed &&
	    (strcmp(r->order.status, "processing") == 0 ||
	     strcmp(r->order.status, "valid") == 0)) {
		say(r,
		    "the key of order %s is gone from the state directory; placing a new order",
		    r->order.url);
		xc_acme_order_release(&r->order);
		res->resumed = 0;
	}
	memset(&run, 0, sizeof(run));
	run.acme = r->acme;
	run.domains = (const char *const *)r->domains;
	run.ndomains = r->n;
	run.responder = &r->resp;
	run.responder_ctx = r;
	run.csr = order_csr;
	run.persist = order_persist;
	run.ctx = r;
	run.log = r->o->log;
	rc = xc_acme_run_order(&run, &r->order, &pem, &len, err);
	if (rc < 0) {
		if (strcmp(r->order.status, "invalid") == 0)
			forget_order(r);
		free(pem);
		return rc;
	}
	/* A resumed order may be past finalizing: the key is the saved one. */
	rc = key_ready(r, err);
	if (rc == 0)
		rc = save_result(r, pem, len, res, err);
	free(pem);
	if (rc < 0)
		return rc;
	snprintf(res->order_url, sizeof(res->order_url), "%s", r->order.url);
	forget_order(r);
	return 0;
}

int xc_acme_issue(const struct xc_acme_issue_opts *o,
                  struct xc_acme_issue_result *res, struct xc_error *err)
{
	struct xc_acme_config cfg;
	struct run r;
	char note[256];
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.o = o;
	if ((rc = domains_prepare(&r, err)) < 0 ||
	    (rc = out_dir_ready(o->out_dir, err)) < 0)
		goto out;
	if ((rc = xc_store_open(&r.store, o->state_dir, err)) < 0)
		goto out;
	if ((rc = xc_store_lock(r.store, "excert acme issue", 0, note,
	                        sizeof(note), err)) < 0)
		goto out;
	if (note[0])
		say(&r, "%s", note);
	/* The responder first: a port in use fails before any order. */
	if (o->dns01)
		rc = xc_dns01_new(&r.dns01, o->dns01, err);
	else if (o->webroot)
		rc = xc_http01_webroot(&r.http01, o->webroot, err);
	else
		rc = xc_http01_listen(&r.http01, o->listen_address,
		                      o->listen_port, err);
	if (rc < 0)
		goto out;
	if (r.dns01) {
		r.dns_resp.dns01 = r.dns01;
		r.dns_resp.publish_ms = o->dns_timeout_s
		                                ? o->dns_timeout_s * 1000LL
		                                : XC_DNS01_PUBLISH_MS;
		r.inner = &xc_acme_dns01_responder;
		r.inner_ctx = &r.dns_resp;
	} else {
		r.http_resp.http01 = r.http01;
		r.http_resp.listen_port = o->webroot ? 0 : o->listen_port;
		r.inner = &xc_acme_http01_responder;
		r.inner_ctx = &r.http_resp;
	}
	r.resp = keep_responder;
	r.resp.kind = r.inner->kind;
	memset(&cfg, 0, sizeof(cfg));
	cfg.directory_url = o->directory_url;
	cfg.ca_bundle = o->ca_bundle;
	cfg.eab_kid = o->eab_kid;
	cfg.eab_hmac = o->eab_hmac;
	cfg.eab_hmac_len = o->eab_hmac_len;
	cfg.store = r.store;
	cfg.log = o->log;
	cfg.email = o->email;
	if ((rc = xc_acme_open(&r.acme, &cfg, err)) < 0)
		goto out;
	order_id(&r);
	rc = run_order(&r, res, err);
out:
	key_join(&r);
	res->key_wait_ms = r.key_wait_ms;
	if (r.acme)
		xc_acme_get_stats(r.acme, &res->stats);
	xc_http01_free(r.http01);
	if (r.dns01)
		xc_dns01_get_stats(r.dns01, &res->dns);
	xc_dns01_free(r.dns01);
	xc_acme_order_release(&r.order);
	json_decref(r.tokens);
	json_decref(r.records);
	xc_acme_key_free(r.key);
	xc_acme_close(r.acme);
	xc_store_close(r.store);
	for (i = 0; i < r.n; i++)
		free(r.domains[i]);
	free(r.domains);
	return rc;
}
