/* SPDX-License-Identifier: MIT */
/* The lab's servers as HTTPS, SMTP STARTTLS and HTTP endpoints. */
#include "providers/lab/labserve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "providers/lab/labint.h"
#include "state/buf.h"
#include "state/store.h"
#include "state/tlsname.h"
#include "state/x509.h"
#include "state/xalloc.h"

#define MAX_DOC (64u * 1024 * 1024)
#define MAX_FILE (1024u * 1024)
#define IO_SECONDS 10

enum lkind { L_HTTPS, L_SMTP, L_HTTP, L_HTTP01 };

static const char *const kind_name[] = {"https", "smtp", "http", "http01"};

struct listener {
	int fd;
	enum lkind kind;
	int server; /* index into servers; -1 for http01 */
	unsigned port;
	char addr[64];
};

/* What a server serves now; the SSL_CTXs are reference counted, so a
 * connection keeps the one it started with across a reload. */
struct served {
	char https_thumb[41];
	SSL_CTX *https;
	char smtp_thumb[41];
	SSL_CTX *smtp;
};

struct job {
	int fd;
	int listener;
};

struct serve {
	char *dir;
	FILE *log;
	char **names; /* servers, in lab.json's order */
	char **fqdns;
	bool *edge;
	size_t nservers;
	struct listener *ls;
	size_t nls;

	pthread_mutex_t lk; /* guards everything below */
	struct served *now;
	bool loaded;
	struct stat stamp; /* lab.json when last read */
	struct job *queue;
	size_t qhead;
	size_t qlen;
	size_t qcap;
	int *inflight; /* connections being handled, for a quick stop */
	size_t ninflight;
	bool stopping;
	pthread_cond_t cv;
};

static int sigpipe_fds[2] = {-1, -1};

static void on_signal(int sig)
{
	char c = (char)sig;
	ssize_t n = write(sigpipe_fds[1], &c, 1);

	(void)n;
}

static void logf_(struct serve *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void logf_(struct serve *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	fputs("excert: lab serve: ", s->log);
	vfprintf(s->log, fmt, ap);
	fputc('\n', s->log);
	fflush(s->log);
	va_end(ap);
}

/* ---- reading the lab -------------------------------------------------- */

static int lock_shared(const char *dir, struct xc_error *err)
{
	struct xc_buf p;
	int fd;

	xc_buf_init(&p, 0);
	xc_buf_printf(&p, "%s/lab.lock", dir);
	fd = open(xc_buf_cstr(&p), O_RDWR | O_CLOEXEC);
	xc_buf_release(&p);
	if (fd < 0)
		return xc_error_set(
		        err, XC_ENOTFOUND,
		        "'%s' is not a lab (no lab.lock; make one with excert lab init)",
		        dir);
	while (flock(fd, LOCK_SH) != 0) {
		if (errno != EINTR) {
			close(fd);
			return xc_error_set(err, XC_EIO,
			                    "cannot lock the lab '%s': %s", dir,
			                    strerror(errno));
		}
	}
	return fd;
}

static json_t *read_doc(const char *dir, struct stat *st, struct xc_error *err)
{
	struct xc_buf p;
	char *text = NULL;
	size_t len;
	json_error_t je;
	json_t *doc;
	int rc;

	xc_buf_init(&p, 0);
	xc_buf_printf(&p, "%s/lab.json", dir);
	if (st && stat(xc_buf_cstr(&p), st) != 0)
		memset(st, 0, sizeof(*st));
	rc = xc_read_file(xc_buf_cstr(&p), MAX_DOC, &text, &len, err);
	xc_buf_release(&p);
	if (rc < 0)
		return NULL;
	doc = json_loadb(text, len, 0, &je);
	free(text);
	if (!doc || !json_is_object(json_object_get(doc, "servers"))) {
		json_decref(doc);
		xc_error_set(err, XC_EINVAL,
		             "the lab '%s' is damaged: lab.json line %d: %s",
		             dir, je.line, doc ? "no servers" : je.text);
		return NULL;
	}
	return doc;
}

/* A server certificate and key from the lab's store, or NULL. */
static SSL_CTX *load_ctx(struct serve *s, const char *server, const char *thumb)
{
	struct xc_buf cert;
	struct xc_buf key;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	xc_buf_init(&cert, 0);
	xc_buf_init(&key, 0);
	xc_buf_printf(&cert, "%s/servers/%s/certs/%s.pem", s->dir, server,
	              thumb);
	xc_buf_printf(&key, "%s/servers/%s/keys/%s.key", s->dir, server, thumb);
	ERR_clear_error();
	if (!ctx ||
	    SSL_CTX_use_certificate_chain_file(ctx, xc_buf_cstr(&cert)) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, xc_buf_cstr(&key),
	                                SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		const char *why =
		        ERR_reason_error_string(ERR_peek_last_error());

		logf_(s, "%s: cannot load certificate %s with its key: %s",
		      server, thumb, why ? why : "unknown reason");
		SSL_CTX_free(ctx);
		ctx = NULL;
	} else {
		/* Each probe is a full handshake; nothing to resume. */
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	ERR_clear_error();
	xc_buf_release(&cert);
	xc_buf_release(&key);
	return ctx;
}

static bool has_service(const json_t *cert, const char *svc)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(cert, "services"), i, v)
	{
		if (json_is_string(v) &&
		    strcasecmp(json_string_value(v), svc) == 0)
			return true;
	}
	return false;
}

static json_t *front_connector(json_t *server, const char *name, bool edge)
{
	char want[300];
	size_t i;
	json_t *c;

	snprintf(want, sizeof(want), "%s %s",
	         edge ? "Default internal receive connector"
	              : "Default Frontend",
	         name);
	json_array_foreach(json_object_get(server, "receive_connectors"), i, c)
	{
		const char *n = json_string_value(json_object_get(c, "name"));

		if (n && strcasecmp(n, want) == 0)
			return c;
	}
	return NULL;
}

/* Whether a certificate names host (exactly, or by a wildcard for its
 * first label). */
static bool covers(const struct xc_x509 *x, const char *host)
{
	const char *dot = host ? strchr(host, '.') : NULL;
	size_t i;

	for (i = 0; host && i < x->ndomains; i++) {
		const char *d = x->domains[i];

		if (strcasecmp(d, host) == 0 ||
		    (d[0] == '*' && d[1] == '.' && dot &&
		     strcasecmp(d + 1, dot) == 0))
			return true;
	}
	return false;
}

/* The SMTP certificate, by the rule of labserve.h; "" when none. */
static void smtp_choice(struct serve *s, const char *name, json_t *server,
                        bool edge, char out[41])
{
	json_t *conn = front_connector(server, name, edge);
	const char *tcn = json_string_value(
	        json_object_get(conn, "tls_certificate_name"));
	const char *fqdn = json_string_value(json_object_get(conn, "fqdn"));
	long long now = lab_now();
	long long best_named = -1;
	long long best_any = -1;
	int best_rank = -1;
	char named[41] = "";
	char any[41] = "";
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(server, "certificates"), i, c)
	{
		const char *thumb =
		        json_string_value(json_object_get(c, "thumbprint"));
		struct xc_lab_cert **certs = NULL;
		struct xc_error err;
		struct xc_buf p;
		struct xc_x509 x;
		unsigned char *der;
		size_t n = 0;
		size_t len;
		bool valid;
		int rc;

		if (!thumb || strlen(thumb) != 40 || !has_service(c, "SMTP") ||
		    !json_is_true(json_object_get(c, "has_key")))
			continue;
		xc_buf_init(&p, 0);
		xc_buf_printf(&p, "%s/servers/%s/certs/%s.pem", s->dir, name,
		              thumb);
		rc = xc_lab_pem_read_certs(xc_buf_cstr(&p), &certs, &n, &err);
		xc_buf_release(&p);
		if (rc < 0 || n == 0)
			continue;
		der = xc_lab_cert_der(certs[0], &len);
		xc_lab_certs_free(certs, n);
		rc = der ? xc_x509_parse(&x, der, len, &err) : -1;
		free(der);
		if (rc < 0)
			continue;
		valid = x.not_before <= now && now < x.not_after;
		if (valid && tcn) {
			char *mine =
			        xc_tls_certificate_name(x.issuer, x.subject);

			if (xc_tls_equal(mine, tcn) &&
			    x.not_before > best_named) {
				best_named = x.not_before;
				snprintf(named, sizeof(named), "%s", thumb);
			}
			free(mine);
		}
		if (valid) {
			/* A name for the connector's FQDN first, then a CA's
			 * certificate, then the newest. */
			int rank = (covers(&x, fqdn) ? 2 : 0) +
			           (x.self_signed ? 0 : 1);

			if (rank > best_rank ||
			    (rank == best_rank && x.not_before > best_any)) {
				best_rank = rank;
				best_any = x.not_before;
				snprintf(any, sizeof(any), "%s", thumb);
			}
		}
		xc_x509_release(&x);
	}
	if (named[0])
		snprintf(out, 41, "%s", named);
	else if (any[0])
		snprintf(out, 41, "%s", any);
	else
		snprintf(out, 41, "%s",
		         json_string_value(json_object_get(
		                 server, "transport_certificate"))
		                 ? json_string_value(json_object_get(
		                           server, "transport_certificate"))
		                 : "");
}

static bool same_stamp(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Reads lab.json again when it changed.  Called with s->lk held. */
static void refresh(struct serve *s)
{
	struct xc_buf p;
	struct stat st;
	struct xc_error err;
	json_t *doc;
	json_t *servers;
	size_t i;
	int lockfd;

	xc_buf_init(&p, 0);
	xc_buf_printf(&p, "%s/lab.json", s->dir);
	if (stat(xc_buf_cstr(&p), &st) != 0) {
		xc_buf_release(&p);
		return;
	}
	xc_buf_release(&p);
	if (s->loaded && same_stamp(&st, &s->stamp))
		return;
	xc_error_clear(&err);
	lockfd = lock_shared(s->dir, &err);
	if (lockfd < 0) {
		logf_(s, "%s", err.msg);
		return;
	}
	doc = read_doc(s->dir, &st, &err);
	if (!doc) {
		close(lockfd);
		logf_(s, "%s (still serving what it held before)", err.msg);
		return;
	}
	servers = json_object_get(doc, "servers");
	for (i = 0; i < s->nservers; i++) {
		struct served *v = &s->now[i];
		json_t *srv = json_object_get(servers, s->names[i]);
		const char *iis = json_string_value(
		        json_object_get(json_object_get(srv, "iis"), "443"));
		char smtp[41] = "";

		if (srv)
			smtp_choice(s, s->names[i], srv, s->edge[i], smtp);
		if (!iis)
			iis = "";
		if (strcasecmp(iis, v->https_thumb) != 0 || !s->loaded) {
			SSL_CTX_free(v->https);
			v->https = NULL;
			snprintf(v->https_thumb, sizeof(v->https_thumb), "%s",
			         iis);
			if (*iis && !s->edge[i])
				v->https = load_ctx(s, s->names[i], iis);
			if (s->loaded)
				logf_(s, "%s: https now serves %s", s->names[i],
				      *iis ? iis
				           : "nothing (no IIS binding on 443)");
		}
		if (strcasecmp(smtp, v->smtp_thumb) != 0 || !s->loaded) {
			SSL_CTX_free(v->smtp);
			v->smtp = NULL;
			snprintf(v->smtp_thumb, sizeof(v->smtp_thumb), "%s",
			         smtp);
			if (*smtp)
				v->smtp = load_ctx(s, s->names[i], smtp);
			if (s->loaded)
				logf_(s, "%s: smtp now serves %s", s->names[i],
				      *smtp ? smtp : "nothing (no STARTTLS)");
		}
	}
	close(lockfd);
	json_decref(doc);
	s->stamp = st;
	s->loaded = true;
}

/* The context a new connection of server i, kind k uses (a reference the
 * caller frees), or NULL when there is no certificate to serve. */
static SSL_CTX *ctx_for(struct serve *s, int i, enum lkind k)
{
	SSL_CTX *ctx;

	pthread_mutex_lock(&s->lk);
	refresh(s);
	ctx = k == L_HTTPS ? s->now[i].https : s->now[i].smtp;
	if (ctx)
		SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&s->lk);
	return ctx;
}

/* ---- one connection: plain or TLS ------------------------------------- */

struct conn {
	int fd;
	SSL *ssl;
	char buf[2048];
	size_t len;
};

static ssize_t c_read(struct conn *c, void *p, size_t n)
{
	int r;

	if (!c->ssl) {
		ssize_t k;

		do {
			k = recv(c->fd, p, n, 0);
		} while (k < 0 && errno == EINTR);
		return k;
	}
	r = SSL_read(c->ssl, p, n > 65536 ? 65536 : (int)n);
	return r > 0 ? r : -1;
}

static bool c_write(struct conn *c, const void *p, size_t n)
{
	const char *q = p;

	while (n > 0) {
		ssize_t k;

		if (c->ssl) {
			int r = SSL_write(c->ssl, q,
			                  n > 65536 ? 65536 : (int)n);

			k = r > 0 ? r : -1;
		} else {
			k = send(c->fd, q, n, MSG_NOSIGNAL);
			if (k < 0 && errno == EINTR)
				continue;
		}
		if (k <= 0)
			return false;
		q += k;
		n -= (size_t)k;
	}
	return true;
}

static bool c_puts(struct conn *c, const char *s)
{
	return c_write(c, s, strlen(s));
}

/* One line without its CRLF into line; false at the end, on an error or
 * on a line too long. */
static bool c_line(struct conn *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t k;

		if (nl) {
			size_t used = (size_t)(nl - c->buf) + 1;
			size_t n = used - 1;

			if (n > 0 && c->buf[n - 1] == '\r')
				n--;
			if (n >= size)
				return false;
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return true;
		}
		if (c->len == sizeof(c->buf))
			return false;
		k = c_read(c, c->buf + c->len, sizeof(c->buf) - c->len);
		if (k <= 0)
			return false;
		c->len += (size_t)k;
	}
}

static bool tls_accept(struct conn *c, SSL_CTX *ctx)
{
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_accept(c->ssl) != 1) {
		ERR_clear_error();
		return false;
	}
	return true;
}

/* ---- HTTP ------------------------------------------------------------- */

static bool path_ok(const char *path)
{
	const char *p;

	if (path[0] != '/' || strlen(path) > 512)
		return false;
	for (p = path; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '/' || *p == '-' ||
		      *p == '_' || *p == '.' || *p == '~'))
			return false;
	/* No segment that starts with a dot, but .well-known. */
	for (p = path; (p = strchr(p, '/')); p++)
		if (p[1] == '.' && strncmp(p + 1, ".well-known/", 12) != 0)
			return false;
	return true;
}

/* Reads DIR/servers/NAME/webroot/PATH; NULL when it is not a file. */
static char *webroot_file(struct serve *s, const char *name, const char *path,
                          size_t *len)
{
	struct xc_buf p;
	struct xc_error err;
	struct stat st;
	char *data = NULL;

	xc_buf_init(&p, 0);
	xc_buf_printf(&p, "%s/servers/%s/webroot%s", s->dir, name, path);
	if (lstat(xc_buf_cstr(&p), &st) == 0 && S_ISREG(st.st_mode) &&
	    xc_read_file(xc_buf_cstr(&p), MAX_FILE, &data, len, &err) < 0)
		data = NULL;
	xc_buf_release(&p);
	return data;
}

static void respond(struct conn *c, bool head, int status, const char *reason,
                    const char *body, size_t len)
{
	char hdr[256];

	snprintf(
	        hdr, sizeof(hdr),
	        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	        status, reason,
	        status == 200 ? "application/octet-stream"
	                      : "text/plain; charset=utf-8",
	        len);
	if (c_puts(c, hdr) && !head)
		c_write(c, body, len);
}

/* One request; server -1 looks for a challenge token in every webroot. */
static void http(struct serve *s, struct conn *c, int server)
{
	char line[1024];
	char method[16];
	char path[600];
	char *data = NULL;
	size_t len = 0;
	const char *prefix = "/.well-known/acme-challenge/";
	bool head;
	int lockfd;
	size_t i;

	if (!c_line(c, line, sizeof(line)) ||
	    sscanf(line, "%15s %599s", method, path) != 2)
		return;
	while (c_line(c, line, sizeof(line)) && line[0])
		; /* the headers say nothing a webroot needs */
	path[strcspn(path, "?#")] = '\0';
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		respond(c, false, 405, "Method Not Allowed", "GET or HEAD\n",
		        12);
		return;
	}
	if (!path_ok(path) ||
	    (server < 0 && (strncmp(path, prefix, strlen(prefix)) != 0 ||
	                    !xc_acme_token_ok(path + strlen(prefix))))) {
		respond(c, head, 404, "Not Found", "not found\n", 10);
		return;
	}
	lockfd = lock_shared(s->dir, &(struct xc_error){0});
	if (server >= 0) {
		data = webroot_file(s, s->names[server], path, &len);
	} else {
		for (i = 0; i < s->nservers && !data; i++)
			data = webroot_file(s, s->names[i], path, &len);
	}
	if (lockfd >= 0)
		close(lockfd);
	if (data)
		respond(c, head, 200, "OK", data, len);
	else
		respond(c, head, 404, "Not Found", "not found\n", 10);
	free(data);
}

/* ---- SMTP ------------------------------------------------------------- */

static void smtp(struct serve *s, struct conn *c, int server)
{
	const char *fqdn = s->fqdns[server];
	SSL_CTX *ctx = ctx_for(s, server, L_SMTP);
	char line[1100];
	char out[600];

	snprintf(out, sizeof(out),
	         "220 %s Microsoft ESMTP MAIL Service ready (excert lab)\r\n",
	         fqdn);
	if (!c_puts(c, out))
		goto done;
	while (c_line(c, line, sizeof(line))) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			snprintf(
			        out, sizeof(out),
			        "250-%s Hello [127.0.0.1]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n250-8BITMIME\r\n%s250 SMTPUTF8\r\n",
			        fqdn, ctx && !c->ssl ? "250-STARTTLS\r\n" : "");
			if (!c_puts(c, out))
				break;
		} else if (strncasecmp(line, "HELO", 4) == 0) {
			snprintf(out, sizeof(out),
			         "250 %s Hello [127.0.0.1]\r\n", fqdn);
			if (!c_puts(c, out))
				break;
		} else if (strcasecmp(line, "STARTTLS") == 0) {
			if (c->ssl) {
				c_puts(c, "503 5.5.1 TLS already active\r\n");
				continue;
			}
			if (!ctx) {
				c_puts(c, "454 4.7.0 TLS not available\r\n");
				continue;
			}
			if (!c_puts(c, "220 2.0.0 SMTP server ready\r\n"))
				break;
			/* What came before the handshake must not count as
			 * if it had come through it. */
			c->len = 0;
			if (!tls_accept(c, ctx))
				break;
		} else if (strcasecmp(line, "QUIT") == 0) {
			c_puts(c,
			       "221 2.0.0 Service closing transmission channel\r\n");
			break;
		} else if (strcasecmp(line, "NOOP") == 0 ||
		           strcasecmp(line, "RSET") == 0) {
			if (!c_puts(c, "250 2.0.0 OK\r\n"))
				break;
		} else if (strncasecmp(line, "MAIL", 4) == 0 ||
		           strncasecmp(line, "RCPT", 4) == 0 ||
		           strncasecmp(line, "DATA", 4) == 0) {
			if (!c_puts(c,
			            "530 5.7.1 Client was not authenticated\r\n"))
				break;
		} else if (!c_puts(c, "500 5.3.3 Unrecognized command\r\n")) {
			break;
		}
	}
done:
	SSL_CTX_free(ctx);
}

/* ---- workers ---------------------------------------------------------- */

static void handle(struct serve *s, struct job j)
{
	const struct listener *l = &s->ls[j.listener];
	struct conn *c = xc_xcalloc(1, sizeof(*c));
	struct timeval tv = {IO_SECONDS, 0};
	SSL_CTX *ctx;

	c->fd = j.fd;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	switch (l->kind) {
	case L_HTTPS:
		ctx = ctx_for(s, l->server, L_HTTPS);
		if (ctx && tls_accept(c, ctx))
			http(s, c, l->server);
		SSL_CTX_free(ctx);
		break;
	case L_SMTP:
		smtp(s, c, l->server);
		break;
	case L_HTTP:
		http(s, c, l->server);
		break;
	case L_HTTP01:
		http(s, c, -1);
		break;
	}
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	ERR_clear_error();
	close(c->fd);
	free(c);
}

static void inflight(struct serve *s, int fd, bool add)
{
	size_t i;

	pthread_mutex_lock(&s->lk);
	if (add) {
		s->inflight[s->ninflight++] = fd;
	} else {
		for (i = 0; i < s->ninflight; i++)
			if (s->inflight[i] == fd) {
				s->inflight[i] = s->inflight[--s->ninflight];
				break;
			}
	}
	pthread_mutex_unlock(&s->lk);
}

static void *worker(void *arg)
{
	struct serve *s = arg;

	for (;;) {
		struct job j;

		pthread_mutex_lock(&s->lk);
		while (!s->stopping && s->qlen == 0)
			pthread_cond_wait(&s->cv, &s->lk);
		if (s->stopping) {
			pthread_mutex_unlock(&s->lk);
			return NULL;
		}
		j = s->queue[s->qhead];
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
		s->inflight[s->ninflight++] = j.fd;
		pthread_mutex_unlock(&s->lk);
		handle(s, j);
		inflight(s, j.fd, false);
	}
}

/* Queues a connection; false (and the caller closes it) when the queue is
 * full. */
static bool enqueue(struct serve *s, int fd, int listener)
{
	bool ok = false;

	pthread_mutex_lock(&s->lk);
	if (s->qlen < s->qcap) {
		s->queue[(s->qhead + s->qlen) % s->qcap] =
		        (struct job){fd, listener};
		s->qlen++;
		ok = true;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->lk);
	return ok;
}

/* ---- listening -------------------------------------------------------- */

static int listen_on(const char *addr, unsigned port, unsigned *bound,
                     struct xc_error *err)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ps[8];
	int one = 1;
	int fd;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(ps, sizeof(ps), "%u", port);
	rc = getaddrinfo(addr, ps, &hints, &res);
	if (rc != 0)
		return xc_error_set(err, XC_EINVAL, "cannot listen on '%s': %s",
		                    addr, gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	            0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		rc = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return xc_error_set(err, XC_EIO,
		                    "cannot listen on %s port %u: %s", addr,
		                    port, strerror(rc));
	}
	freeaddrinfo(res);
	*bound = ntohs(ss.ss_family == AF_INET6
	                       ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port
	                       : ((struct sockaddr_in *)(void *)&ss)->sin_port);
	return fd;
}

static int add_listener(struct serve *s, const char *addr, unsigned port,
                        enum lkind kind, int server, struct xc_error *err)
{
	struct listener *l = &s->ls[s->nls];
	int fd = listen_on(addr, port, &l->port, err);

	if (fd < 0) {
		if (server >= 0)
			xc_error_prefix(err, "%s %s: ", s->names[server],
			                kind_name[kind]);
		return fd;
	}
	l->fd = fd;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->kind = kind;
	l->server = server;
	s->nls++;
	return 0;
}

static int parse_http01(const char *v, char *addr, size_t size, unsigned *port,
                        struct xc_error *err)
{
	const char *colon = strrchr(v, ':');
	const char *digits = colon ? colon + 1 : v;
	char *end;
	long n = strtol(digits, &end, 10);

	if (!*digits || *end || n < 0 || n > 65535)
		return xc_error_set(
		        err, XC_EINVAL,
		        "--http01 takes [ADDR:]PORT with PORT 0 (any free one) to 65535, not '%s'",
		        v);
	*port = (unsigned)n;
	if (!colon) {
		snprintf(addr, size, "127.0.0.1");
	} else if (v[0] == '[' && colon > v + 1 && colon[-1] == ']') {
		snprintf(addr, size, "%.*s", (int)(colon - v - 2), v + 1);
	} else {
		snprintf(addr, size, "%.*s", (int)(colon - v), v);
	}
	return 0;
}

static void free_serve(struct serve *s)
{
	size_t i;

	for (i = 0; i < s->nls; i++)
		close(s->ls[i].fd);
	for (i = 0; s->now && i < s->nservers; i++) {
		SSL_CTX_free(s->now[i].https);
		SSL_CTX_free(s->now[i].smtp);
	}
	for (i = 0; i < s->nservers; i++) {
		free(s->names[i]);
		free(s->fqdns[i]);
	}
	for (i = 0; i < s->qlen; i++)
		close(s->queue[(s->qhead + i) % s->qcap].fd);
	free(s->names);
	free(s->fqdns);
	free(s->edge);
	free(s->ls);
	free(s->now);
	free(s->queue);
	free(s->inflight);
	free(s->dir);
	pthread_mutex_destroy(&s->lk);
	pthread_cond_destroy(&s->cv);
}

static int load_servers(struct serve *s, struct xc_error *err)
{
	json_t *doc;
	const char *k;
	json_t *v;
	int lockfd = lock_shared(s->dir, err);

	if (lockfd < 0)
		return lockfd;
	doc = read_doc(s->dir, NULL, err);
	close(lockfd);
	if (!doc)
		return err->code;
	s->nservers = json_object_size(json_object_get(doc, "servers"));
	if (s->nservers == 0) {
		json_decref(doc);
		return xc_error_set(err, XC_EINVAL,
		                    "the lab '%s' has no servers", s->dir);
	}
	s->names = xc_xcalloc(s->nservers, sizeof(*s->names));
	s->fqdns = xc_xcalloc(s->nservers, sizeof(*s->fqdns));
	s->edge = xc_xcalloc(s->nservers, sizeof(*s->edge));
	s->nservers = 0;
	/* jansson keeps the order of the file. */
	json_object_foreach(json_object_get(doc, "servers"), k, v)
	{
		const char *fqdn =
		        json_string_value(json_object_get(v, "fqdn"));
		const char *role =
		        json_string_value(json_object_get(v, "role"));

		s->names[s->nservers] = xc_xstrdup(k);
		s->fqdns[s->nservers] = xc_xstrdup(fqdn ? fqdn : k);
		s->edge[s->nservers] = role && strcasecmp(role, "Edge") == 0;
		s->nservers++;
	}
	json_decref(doc);
	return 0;
}

static void print_map(struct serve *s, FILE *out)
{
	size_t i;
	size_t k = 0;

	fprintf(out, "# excert lab serve %s: %zu server%s on 127.0.0.1\n",
	        s->dir, s->nservers, s->nservers == 1 ? "" : "s");
	for (i = 0; i < s->nservers; i++) {
		char h[64] = "-";
		char m[64] = "-";
		char p[64] = "-";

		for (; k < s->nls && s->ls[k].server == (int)i; k++) {
			const struct listener *l = &s->ls[k];
			char *dst = l->kind == L_HTTPS  ? h
			            : l->kind == L_SMTP ? m
			                                : p;

			snprintf(dst, 64, "%s://127.0.0.1:%u",
			         l->kind == L_HTTPS  ? "https"
			         : l->kind == L_SMTP ? "smtp"
			                             : "http",
			         l->port);
		}
		fprintf(out, "%-8s %-28s %-28s %s\n", s->names[i], h, m, p);
	}
	if (k < s->nls)
		fprintf(out, "%-8s http://%s%s%s:%u\n", "http01",
		        strchr(s->ls[k].addr, ':') ? "[" : "", s->ls[k].addr,
		        strchr(s->ls[k].addr, ':') ? "]" : "", s->ls[k].port);
	fflush(out);
}

int xc_lab_serve(const char *dir, const struct xc_lab_serve_opts *o,
                 struct xc_error *err)
{
	struct serve s;
	struct sigaction sa;
	struct pollfd *pfd = NULL;
	pthread_t *threads = NULL;
	unsigned nworkers = o->workers ? o->workers : 4;
	char h01addr[64] = "";
	unsigned h01port = 0;
	size_t nthreads = 0;
	size_t i;
	int rc;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lk, NULL);
	pthread_cond_init(&s.cv, NULL);
	s.dir = xc_xstrdup(dir);
	s.log = o->log;
	if (o->http01 && (rc = parse_http01(o->http01, h01addr, sizeof(h01addr),
	                                    &h01port, err)) < 0)
		goto out;
	rc = load_servers(&s, err);
	if (rc < 0)
		goto out;
	if (o->base_port && o->base_port + 3 * s.nservers - 1 > 65535) {
		rc = xc_error_set(
		        err, XC_EINVAL,
		        "--base-port %u leaves no room for %zu servers (3 ports each, up to 65535)",
		        o->base_port, s.nservers);
		goto out;
	}
	s.ls = xc_xcalloc(3 * s.nservers + 1, sizeof(*s.ls));
	for (i = 0; i < s.nservers; i++) {
		unsigned b = o->base_port ? o->base_port + 3 * (unsigned)i : 0;

		if ((!s.edge[i] &&
		     (rc = add_listener(&s, "127.0.0.1", b, L_HTTPS, (int)i,
		                        err)) < 0) ||
		    (rc = add_listener(&s, "127.0.0.1", b ? b + 1 : 0, L_SMTP,
		                       (int)i, err)) < 0 ||
		    (!s.edge[i] &&
		     (rc = add_listener(&s, "127.0.0.1", b ? b + 2 : 0, L_HTTP,
		                        (int)i, err)) < 0))
			goto out;
	}
	if (o->http01 &&
	    (rc = add_listener(&s, h01addr, h01port, L_HTTP01, -1, err)) < 0) {
		xc_error_prefix(err, "--http01: ");
		goto out;
	}
	s.now = xc_xcalloc(s.nservers, sizeof(*s.now));
	pthread_mutex_lock(&s.lk);
	refresh(&s);
	pthread_mutex_unlock(&s.lk);
	if (!s.loaded) {
		rc = xc_error_set(err, XC_EIO, "cannot read the lab '%s'", dir);
		goto out;
	}
	s.qcap = 1024;
	s.queue = xc_xcalloc(s.qcap, sizeof(*s.queue));
	s.inflight = xc_xcalloc(nworkers, sizeof(*s.inflight));

	if (pipe(sigpipe_fds) != 0) {
		rc = xc_error_set(err, XC_EIO, "cannot make a pipe: %s",
		                  strerror(errno));
		goto out;
	}
	fcntl(sigpipe_fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(sigpipe_fds[1], F_SETFD, FD_CLOEXEC);
	fcntl(sigpipe_fds[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	threads = xc_xcalloc(nworkers, sizeof(*threads));
	for (nthreads = 0; nthreads < nworkers; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, worker, &s) != 0)
			break;
	if (nthreads == 0) {
		rc = xc_error_set(err, XC_ERR, "cannot start a worker thread");
		goto out;
	}
	if (o->out)
		print_map(&s, o->out);
	if (o->pidfile) {
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

		rc = xc_write_file_atomic(o->pidfile, pid, (size_t)n, 0644,
		                          err);
		if (rc < 0)
			goto stop;
	}
	pfd = xc_xcalloc(s.nls + 1, sizeof(*pfd));
	for (i = 0; i < s.nls; i++) {
		pfd[i].fd = s.ls[i].fd;
		pfd[i].events = POLLIN;
	}
	pfd[s.nls].fd = sigpipe_fds[0];
	pfd[s.nls].events = POLLIN;
	for (;;) {
		if (poll(pfd, (nfds_t)s.nls + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			logf_(&s, "poll failed: %s", strerror(errno));
			break;
		}
		if (pfd[s.nls].revents)
			break;
		for (i = 0; i < s.nls; i++) {
			int fd;

			if (!pfd[i].revents)
				continue;
			while ((fd = accept(pfd[i].fd, NULL, NULL)) >= 0) {
				fcntl(fd, F_SETFD, FD_CLOEXEC);
				if (!enqueue(&s, fd, (int)i))
					close(fd);
			}
		}
	}
	rc = 0;
stop:
	pthread_mutex_lock(&s.lk);
	s.stopping = true;
	/* Wakes the workers out of their reads at once. */
	for (i = 0; i < s.ninflight; i++)
		shutdown(s.inflight[i], SHUT_RDWR);
	pthread_cond_broadcast(&s.cv);
	pthread_mutex_unlock(&s.lk);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	if (o->pidfile && rc == 0)
		unlink(o->pidfile);
out:
	free(threads);
	free(pfd);
	free_serve(&s);
	if (sigpipe_fds[0] >= 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		close(sigpipe_fds[0]);
		close(sigpipe_fds[1]);
		sigpipe_fds[0] = sigpipe_fds[1] = -1;
	}
	return rc;
}
