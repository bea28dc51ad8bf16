/* SPDX-License-Identifier: MIT */
/*
 * NGINX (open source): no API, so the files are the interface and a TLS
 * handshake is the only way to know what is served.
 *
 * served: a handshake with address (excert.yaml's HOST:PORT) through the
 * probe module, with the certificate's first domain as SNI (a wildcard's
 * "*" made a label, "excert"), or without SNI when there is no domain and
 * the address is an IP address.
 *
 * update: the certificate (chain) and the key are written in place
 * atomically (key 0600, the certificate keeps its mode, 0644 when new),
 * their old contents kept in memory; `nginx -t` checks the configuration
 * with them; if it fails, the old files are put back and nginx's own words
 * are the error.  Then `nginx -s reload` (the master starts new workers and
 * lets the old ones finish), and the address is probed until it serves the
 * new leaf or CONFIRM_MS pass: old workers may answer for a moment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "providers/lb/lbint.h"
#include "providers/probe/probe.h"
#include "state/clock.h"
#include "state/buf.h"
#include "state/secret.h"

#define RUN_TIMEOUT_MS 30000
#define PROBE_TIMEOUT_MS 5000
#define CONFIRM_MS 10000
#define POLL_MS 200
/* How long every answer must be the new certificate, asked this often. */
#define STABLE_MS 500
#define STABLE_POLL_MS 50
#define OUTPUT_MAX 8192

static int is_nginx(const struct xc_lb *lb)
{
	return lb->nginx != NULL;
}

/* ---- served -------------------------------------------------------------- */

/* The host part of "HOST:PORT" or "[V6]:PORT", without brackets. */
static void address_host(const char *addr, char *out, size_t size)
{
	const char *end;

	if (*addr == '[') {
		end = strchr(addr, ']');
		addr++;
	} else {
		end = strrchr(addr, ':');
	}
	if (!end)
		end = addr + strlen(addr);
	snprintf(out, size, "%.*s", (int)(end - addr), addr);
}

/* The name to send as SNI, "" for none: the URL then names the address. */
static void sni_of(const char *sni, char *out, size_t size)
{
	if (!sni || !*sni)
		snprintf(out, size, "%s", "");
	else if (sni[0] == '*' && sni[1] == '.')
		snprintf(out, size, "excert%s", sni + 1);
	else
		snprintf(out, size, "%s", sni);
}

static int probe_thumb(const struct xc_nginx *n, const char *sni, char *thumb,
                       struct xc_error *err)
{
	struct xc_probe_target t;
	struct xc_probe_result r;
	struct xc_probe_opts o;
	char name[300];
	char host[300];
	char url[700];
	int rc;

	sni_of(sni, name, sizeof(name));
	if (name[0]) {
		snprintf(url, sizeof(url), "https://%s/", name);
	} else {
		address_host(n->address.v, host, sizeof(host));
		snprintf(url, sizeof(url),
		         strchr(host, ':') ? "https://[%s]/" : "https://%s/",
		         host);
	}
	memset(&t, 0, sizeof(t));
	t.url = url;
	t.connect_to = n->address.v;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = PROBE_TIMEOUT_MS;
	o.parallel = 1;
	memset(&r, 0, sizeof(r));
	rc = xc_probe_run(&t, 1, &o, &r, err);
	if (rc < 0)
		return rc;
	if (!r.served) {
		rc = xc_error_set(err, r.err.code ? r.err.code : XC_EIO,
		                  "NGINX at %s%s%s%s served no certificate: %s",
		                  n->address.v, name[0] ? " (SNI " : "", name,
		                  name[0] ? ")" : "", r.err.msg);
		xc_probe_result_release(&r);
		return rc;
	}
	snprintf(thumb, 41, "%s", r.thumbprint);
	xc_probe_result_release(&r);
	return 0;
}

static int ngx_served(const struct xc_lb *lb, const char *sni, char *thumb,
                      struct xc_error *err)
{
	int rc;

	thumb[0] = '\0';
	rc = probe_thumb(lb->nginx, sni, thumb, err);
	if (rc < 0)
		xc_error_prefix(err, "load balancer '%s': ", lb->name.v);
	return rc;
}

/* ---- update -------------------------------------------------------------- */

/* A file as it was before: its bytes and mode, or that there was none. */
struct old_file {
	const char *path;
	char *data; /* owned, wiped before it is freed; NULL: no file */
	size_t len;
	int mode;
};

static int keep_old(struct old_file *f, const char *path, struct xc_error *err)
{
	int rc;

	f->path = path;
	f->data = NULL;
	f->len = 0;
	f->mode = 0;
	rc = xc_lb_read_old(path, &f->data, &f->len, &f->mode, err);
	if (rc == XC_ENOTFOUND) {
		xc_error_clear(err);
		return 0;
	}
	if (rc < 0)
		xc_error_prefix(err, "before replacing it: ");
	return rc;
}

static void drop_old(struct old_file *f)
{
	xc_wipe_free_str(f->data);
	f->data = NULL;
}

/* Puts f back (or removes what was written where there was nothing);
 * 0, or a negative code with why (size bytes) saying what failed. */
static int put_back(const struct old_file *f, char *why, size_t size)
{
	struct xc_error e;

	xc_error_clear(&e);
	if (!f->data) {
		if (unlink(f->path) != 0 && errno != ENOENT) {
			snprintf(why, size, "cannot remove '%s': %s", f->path,
			         strerror(errno));
			return XC_EIO;
		}
		return 0;
	}
	if (xc_lb_write(f->path, f->data, f->len, f->mode, &e) < 0) {
		snprintf(why, size, "%s", e.msg);
		return e.code;
	}
	return 0;
}

/* Both files back; the error gets what could not be put back. */
static void restore(struct old_file *files, size_t n, struct xc_error *err)
{
	char why[300];
	size_t i;
	bool all = true;

	for (i = 0; i < n; i++) {
		if (put_back(&files[i], why, sizeof(why)) < 0) {
			size_t l = strlen(err->msg);

			all = false;
			snprintf(err->msg + l, sizeof(err->msg) - l,
			         "; putting the old file back failed: %s", why);
		}
	}
	if (all) {
		size_t l = strlen(err->msg);

		snprintf(err->msg + l, sizeof(err->msg) - l,
		         "; the files before were put back");
	}
}

/* Where "[LEVEL]" starts in the n bytes at l, or NULL. */
static const char *level_at(const char *l, size_t n)
{
	static const char *const levels[] = {"[emerg]", "[alert]", "[crit]",
	                                     "[error]"};
	size_t i;
	size_t k;

	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(levels) / sizeof(levels[0]); k++)
			if (strlen(levels[k]) <= n - i &&
			    memcmp(l + i, levels[k], strlen(levels[k])) == 0)
				return l + i;
	return NULL;
}

/*
 * nginx's error lines, from their level on ("[emerg] ..."), without the
 * date that a configuration's error_log puts before it and the "PID#TID: "
 * after it; or all it said when no line has a level.
 */
static void nginx_message(const char *out, char *msg, size_t size)
{
	struct xc_buf b;
	const char *l = out;

	xc_buf_init(&b, OUTPUT_MAX);
	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l + 1) : strlen(l);
		const char *lv = level_at(l, n);

		if (lv) {
			const char *rb = strchr(lv, ']') + 1;
			const char *p = rb;

			xc_buf_add(&b, lv, (size_t)(rb - lv));
			while (*p == ' ')
				p++;
			while ((*p >= '0' && *p <= '9') || *p == '#')
				p++;
			if (p > rb + 1 && p[0] == ':' && p[1] == ' ')
				rb = p + 1;
			xc_buf_add(&b, rb, n - (size_t)(rb - l));
		}
		l = nl ? nl + 1 : NULL;
	}
	xc_lb_message(b.len ? xc_buf_cstr(&b) : out, "nginx: ", msg, size);
	xc_buf_release(&b);
	if (!msg[0])
		snprintf(msg, size, "%s", "(it said nothing)");
}

/* Runs BINARY ARG [-c CONFIG]; 0 when it exited 0, else the error says
 * what nginx said. */
static int run_nginx(const struct xc_nginx *n, const char *arg,
                     const char *arg2, struct xc_error *err)
{
	char *argv[6];
	char out[OUTPUT_MAX];
	char msg[400];
	char how[40];
	int status;
	int k = 0;
	int rc;

	argv[k++] = n->binary.v ? n->binary.v : "nginx";
	argv[k++] = (char *)arg;
	if (arg2)
		argv[k++] = (char *)arg2;
	if (n->config.v) {
		argv[k++] = "-c";
		argv[k++] = n->config.v;
	}
	argv[k] = NULL;
	rc = xc_lb_run(argv, RUN_TIMEOUT_MS, &status, out, sizeof(out), err);
	if (rc < 0)
		return rc;
	if (status == 0)
		return 0;
	nginx_message(out, msg, sizeof(msg));
	if (status < 0)
		snprintf(how, sizeof(how), "%s",
		         "ended without an exit status");
	else
		snprintf(how, sizeof(how), "exit status %d", status);
	return xc_error_set(err, XC_EINVAL, "%s %s%s%s failed (%s): %s",
	                    argv[0], arg, arg2 ? " " : "", arg2 ? arg2 : "",
	                    how, msg);
}

static int update(const struct xc_lb *lb, const char *sni,
                  const char *chain_pem, const char *key_pem, char *detail,
                  size_t size, struct xc_error *err)
{
	const struct xc_nginx *n = lb->nginx;
	struct old_file old[2]; /* the key, then the certificate */
	struct xc_error perr;
	long long deadline;
	long long since = 0; /* when the new certificate was first seen */
	char want[41];
	char got[41] = "";
	char name[300];
	int rc;

	if ((rc = xc_lb_leaf(chain_pem, want, NULL, 0, err)) < 0)
		return rc;
	if (!strstr(key_pem, "PRIVATE KEY-----"))
		return xc_error_set(err, XC_EINVAL,
		                    "the key is not a PEM private key");
	/* Both files checked before either is written. */
	if ((rc = xc_lb_check_path(n->key.v, err)) < 0 ||
	    (rc = xc_lb_check_path(n->certificate.v, err)) < 0)
		return rc;
	if ((rc = keep_old(&old[0], n->key.v, err)) < 0)
		return rc;
	if ((rc = keep_old(&old[1], n->certificate.v, err)) < 0) {
		drop_old(&old[0]);
		return rc;
	}
	/*
	 * Nothing NGINX serves changes until the reload: the files can be
	 * replaced one after the other.  A crash between the two leaves a
	 * pair that nginx -t refuses, which the next update mends.
	 */
	rc = xc_lb_write(n->key.v, key_pem, strlen(key_pem), 0600, err);
	if (rc == 0) {
		rc = xc_lb_write(n->certificate.v, chain_pem, strlen(chain_pem),
		                 old[1].data ? old[1].mode : 0644, err);
		if (rc < 0)
			restore(old, 1, err);
	}
	if (rc == 0 && (rc = run_nginx(n, "-t", NULL, err)) < 0)
		restore(old, 2, err);
	/* A failed reload changed nothing served: the files follow suit. */
	if (rc == 0 && (rc = run_nginx(n, "-s", "reload", err)) < 0)
		restore(old, 2, err);
	drop_old(&old[0]);
	drop_old(&old[1]);
	if (rc < 0)
		return rc;

	sni_of(sni, name, sizeof(name));
	deadline = xc_clock_ms() + CONFIRM_MS;
	xc_error_clear(&perr);
	for (;;) {
		xc_error_clear(&perr);
		if (probe_thumb(n, sni, got, &perr) == 0 &&
		    strcmp(got, want) == 0) {
			/*
			 * Until the master has told them, old workers still
			 * accept on the same sockets: one answer from a new
			 * worker is not yet what every client gets.  Only
			 * answers of the new certificate for STABLE_MS in a
			 * row are.
			 */
			if (!since)
				since = xc_clock_ms();
			if (xc_clock_ms() - since >= STABLE_MS)
				break;
			xc_sleep_ms(STABLE_POLL_MS, NULL);
			continue;
		}
		since = 0;
		if (xc_clock_ms() >= deadline) {
			/*
			 * nginx -t accepted the files and the reload was
			 * sent, so they stay: putting the old ones back
			 * could undo a reload that did happen.  The master
			 * logs why it kept its old configuration, if it did.
			 */
			if (perr.code != XC_OK)
				return xc_error_set(
				        err, XC_ETIMEOUT,
				        "nginx accepted the new certificate %s "
				        "and was reloaded, but after %d s: %s "
				        "(the new files stay; see nginx's "
				        "error log)",
				        want, CONFIRM_MS / 1000, perr.msg);
			return xc_error_set(
			        err, XC_ETIMEOUT,
			        "nginx accepted the new certificate %s and was "
			        "reloaded, but %s%s%s%s still serves %s after %d "
			        "s (the new files stay; see nginx's error log)",
			        want, n->address.v, name[0] ? " (SNI " : "",
			        name, name[0] ? ")" : "", got,
			        CONFIRM_MS / 1000);
		}
		xc_sleep_ms(POLL_MS, NULL);
	}
	snprintf(detail, size,
	         "NGINX %s: %s%s%s%s now serves %s (%s and %s replaced, "
	         "nginx -t passed, reloaded)",
	         lb->name.v, n->address.v, name[0] ? " (SNI " : "", name,
	         name[0] ? ")" : "", want, n->certificate.v, n->key.v);
	return 0;
}

static int ngx_update(const struct xc_lb *lb, const char *sni,
                      const char *chain_pem, const char *key_pem, char *detail,
                      size_t size, struct xc_error *err)
{
	int rc;

	if (size)
		detail[0] = '\0';
	rc = update(lb, sni, chain_pem, key_pem, detail, size, err);
	if (rc < 0)
		xc_error_prefix(err, "load balancer '%s': ", lb->name.v);
	return rc;
}

/* Where it looks: the address handshaken with, and the SNI sent. */
static void ngx_describe(const struct xc_lb *lb, const char *sni, char *out,
                         size_t size)
{
	snprintf(out, size, "%s%s%s", lb->nginx->address.v, sni ? " SNI " : "",
	         sni ? sni : "");
}

const struct xc_lb_driver xc_lb_nginx = {
        .kind = "nginx",
        .is = is_nginx,
        .describe = ngx_describe,
        .served = ngx_served,
        .update = ngx_update,
};
