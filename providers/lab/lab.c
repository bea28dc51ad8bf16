/* SPDX-License-Identifier: MIT */
/* The lab document: creating, locking, reading, writing; and one call. */
#include "providers/lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "providers/lab/labint.h"
#include "state/buf.h"
#include "state/x509.h"
#include "state/xalloc.h"

#define LAB_VERSION 1
#define LAB_MAX_DOC (64u * 1024 * 1024)

long long lab_now(void)
{
	/* getenv is fine here: nothing sets the environment while the lab
	 * runs. */
	const char *s = getenv("EXCERT_LAB_NOW"); /* NOLINT */

	if (s && *s) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (*end == '\0' && v > 0)
			return v;
	}
	return (long long)time(NULL);
}

char *lab_path(const struct lab *l, const char *fmt, ...)
{
	struct xc_buf b;
	char rel[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%s/%s", l->dir, rel);
	return xc_buf_detach(&b, NULL);
}

int lab_mkdirs(const char *dir, struct xc_error *err)
{
	char *p = xc_xstrdup(dir);
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			xc_error_set(err, XC_EIO, "cannot create '%s': %s", p,
			             strerror(errno));
			free(p);
			return XC_EIO;
		}
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		xc_error_set(err, XC_EIO, "cannot create '%s': %s", p,
		             strerror(errno));
		free(p);
		return XC_EIO;
	}
	free(p);
	return 0;
}

int lab_write_file(const char *path, const void *data, size_t len, int mode,
                   struct xc_error *err)
{
	struct xc_buf tmp;
	const char *p = data;
	int fd;
	int e;

	/* An unpredictable temporary name, made with O_EXCL (mkstemp): a
	 * link planted at the name cannot redirect the write; the mode is
	 * set whatever the umask. */
	xc_buf_init(&tmp, 0);
	xc_buf_printf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp.ptr);
	if (fd < 0) {
		e = errno;
		xc_buf_release(&tmp);
		return xc_error_set(err, XC_EIO, "cannot write '%s': %s", path,
		                    strerror(e));
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    fchmod(fd, (mode_t)mode) != 0) {
		close(fd);
		goto fail;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 ||
	    rename(xc_buf_cstr(&tmp), path) != 0)
		goto fail;
	xc_buf_release(&tmp);
	return 0;
fail:
	e = errno;
	xc_error_set(err, XC_EIO, "cannot write '%s': %s", path, strerror(e));
	unlink(xc_buf_cstr(&tmp));
	xc_buf_release(&tmp);
	return XC_EIO;
}

/* Appends to path (made with mode, whatever the umask; never through a
 * link); 0 or XC_EIO. */
static int append_file(const char *path, const void *data, size_t len, int mode)
{
	int fd = open(path,
	              O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	              mode);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return XC_EIO;
	/* A file the umask made wider, or one of another's making. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    ((st.st_mode & 07777) != (mode_t)mode &&
	     fchmod(fd, (mode_t)mode) != 0)) {
		close(fd);
		return XC_EIO;
	}
	n = write(fd, data, len);
	if (close(fd) != 0 || n != (ssize_t)len)
		return XC_EIO;
	return 0;
}

int lab_read_file(const char *path, size_t max, char **out, size_t *len_out,
                  struct xc_error *err)
{
	struct xc_buf b;
	char chunk[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return xc_error_set(
		        err, errno == ENOENT ? XC_ENOTFOUND : XC_EIO,
		        "cannot read '%s': %s", path, strerror(errno));
	xc_buf_init(&b, max);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			xc_buf_release(&b);
			return xc_error_set(err, XC_EIO, "cannot read '%s': %s",
			                    path, strerror(errno));
		}
		if (n == 0)
			break;
		if (xc_buf_add(&b, chunk, (size_t)n) < 0) {
			close(fd);
			xc_buf_release(&b);
			return xc_error_set(err, XC_ENOMEM,
			                    "'%s' is larger than %zu bytes",
			                    path, max);
		}
	}
	close(fd);
	*out = xc_buf_detach(&b, len_out);
	return 0;
}

static int lab_open(struct lab *l, const char *dir, bool write,
                    struct xc_error *err)
{
	char *path;
	char *text = NULL;
	size_t len;
	json_error_t je;
	int rc;

	memset(l, 0, sizeof(*l));
	l->lockfd = -1;
	l->dir = xc_xstrdup(dir);
	path = lab_path(l, "lab.lock");
	l->lockfd = open(path, O_RDWR | O_CLOEXEC);
	free(path);
	if (l->lockfd < 0)
		return xc_error_set(
		        err, XC_ENOTFOUND,
		        "'%s' is not a lab (no lab.lock; make one with excert lab init)",
		        dir);
	while (flock(l->lockfd, write ? LOCK_EX : LOCK_SH) != 0) {
		if (errno != EINTR)
			return xc_error_set(err, XC_EIO,
			                    "cannot lock the lab '%s': %s", dir,
			                    strerror(errno));
	}
	path = lab_path(l, "lab.json");
	rc = lab_read_file(path, LAB_MAX_DOC, &text, &len, err);
	free(path);
	if (rc < 0)
		return rc;
	l->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!l->doc || !json_is_object(l->doc))
		return xc_error_set(
		        err, XC_EINVAL,
		        "the lab '%s' is damaged: lab.json line %d: %s", dir,
		        je.line, je.text);
	if (json_integer_value(json_object_get(l->doc, "lab")) != LAB_VERSION ||
	    !json_is_object(json_object_get(l->doc, "servers")))
		return xc_error_set(
		        err, XC_EINVAL,
		        "the lab '%s' is damaged or of another version", dir);
	return 0;
}

static int lab_save(struct lab *l, struct xc_error *err)
{
	char *text;
	char *path;
	int rc;

	if (!l->changed)
		return 0;
	text = json_dumps(l->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	path = lab_path(l, "lab.json");
	rc = lab_write_file(path, text, strlen(text), 0644, err);
	free(path);
	free(text);
	if (rc == 0)
		l->changed = false;
	return rc;
}

static void lab_close(struct lab *l)
{
	if (l->lockfd >= 0)
		close(l->lockfd); /* releases the flock */
	json_decref(l->doc);
	free(l->dir);
	memset(l, 0, sizeof(*l));
	l->lockfd = -1;
}

/* ---- certificates in a server's store ------------------------------- */

json_t *lab_find_cert(json_t *server, const char *thumb, size_t *index_out)
{
	json_t *certs = json_object_get(server, "certificates");
	size_t i;
	json_t *c;

	json_array_foreach(certs, i, c)
	{
		const char *t =
		        json_string_value(json_object_get(c, "thumbprint"));

		if (t && strcasecmp(t, thumb) == 0) {
			if (index_out)
				*index_out = i;
			return c;
		}
	}
	return NULL;
}

int lab_store_cert(struct lab *l, const char *server,
                   const struct xc_lab_cert *leaf,
                   struct xc_lab_cert *const *chain, size_t nchain,
                   const struct xc_lab_key *key, char thumb[41],
                   struct xc_error *err)
{
	struct xc_buf pem;
	unsigned char *der;
	size_t len;
	char *path;
	char *dir;
	size_t i;
	int rc;

	der = xc_lab_cert_der(leaf, &len);
	if (!der)
		return xc_error_set(err, XC_ERR, "cannot encode a certificate");
	xc_thumbprint(der, len, thumb);
	free(der);
	dir = lab_path(l, "servers/%s/certs", server);
	rc = lab_mkdirs(dir, err);
	free(dir);
	dir = lab_path(l, "servers/%s/keys", server);
	if (rc == 0)
		rc = lab_mkdirs(dir, err);
	free(dir);
	if (rc < 0)
		return rc;
	xc_buf_init(&pem, 0);
	xc_lab_cert_pem(leaf, &pem);
	for (i = 0; i < nchain; i++)
		xc_lab_cert_pem(chain[i], &pem);
	path = lab_path(l, "servers/%s/certs/%s.pem", server, thumb);
	rc = lab_write_file(path, pem.ptr, pem.len, 0644, err);
	free(path);
	xc_buf_release(&pem);
	if (rc < 0 || !key)
		return rc;
	xc_buf_init(&pem, 0);
	xc_lab_key_pem(key, &pem);
	path = lab_path(l, "servers/%s/keys/%s.key", server, thumb);
	rc = lab_write_file(path, pem.ptr, pem.len, 0600, err);
	free(path);
	xc_buf_release(&pem);
	return rc;
}

int lab_cert_names(struct lab *l, const char *server, const char *thumb,
                   char **issuer_out, char **subject_out, long long *not_after,
                   struct xc_error *err)
{
	struct xc_lab_cert **certs = NULL;
	size_t n = 0;
	unsigned char *der;
	size_t len;
	struct xc_x509 x;
	char *path = lab_path(l, "servers/%s/certs/%s.pem", server, thumb);
	int rc = xc_lab_pem_read_certs(path, &certs, &n, err);

	free(path);
	if (rc < 0)
		return rc;
	der = xc_lab_cert_der(certs[0], &len);
	xc_lab_certs_free(certs, n);
	rc = xc_x509_parse(&x, der, len, err);
	free(der);
	if (rc < 0)
		return rc;
	*issuer_out = xc_xstrdup(x.issuer);
	*subject_out = xc_xstrdup(x.subject);
	if (not_after)
		*not_after = x.not_after;
	xc_x509_release(&x);
	return 0;
}

/* ---- one call --------------------------------------------------------- */

static json_t *find_server(json_t *servers, const char *name,
                           const char **key_out)
{
	const char *k;
	json_t *v;

	json_object_foreach(servers, k, v)
	{
		if (strcasecmp(k, name) == 0) {
			*key_out = k;
			return v;
		}
	}
	return NULL;
}

static bool read_only(const json_t *ops)
{
	size_t i;
	json_t *op;

	json_array_foreach(ops, i, op)
	{
		const char *name = json_string_value(json_object_get(op, "op"));

		if (!name || (strcmp(name, "observe") != 0 &&
		              strcmp(name, "observe_org") != 0))
			return false;
	}
	return true;
}

static json_t *top_error(const char *server, const char *category,
                         const char *message)
{
	return json_pack("{s:i,s:s,s:s,s:[],s:{s:s,s:s}}", "protocol", 1,
	                 "server", server ? server : "", "agent",
	                 "excert-lab 1", "results", "error", "category",
	                 category, "message", message);
}

static void sleep_ms(int ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One line per call in DIR/calls.log (server and operations), appended in
 * one write, so that tests and benchmarks can count round trips. */
static void log_call(struct lab *l, const char *server, const json_t *ops)
{
	struct xc_buf b;
	char *path = lab_path(l, "calls.log");
	size_t i;
	json_t *op;
	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%.64s", server);
	json_array_foreach(ops, i, op)
	{
		const char *name = json_string_value(json_object_get(op, "op"));

		xc_buf_printf(&b, " %.32s", name ? name : "?");
	}
	xc_buf_puts(&b, "\n");
	(void)append_file(path, b.ptr, b.len, 0644);
	free(path);
	xc_buf_release(&b);
}

int xc_lab_call(const char *dir, const char *as, const char *request,
                size_t len, char **reply_out, struct xc_error *err)
{
	struct lab l;
	json_error_t je;
	json_t *req;
	json_t *reply = NULL;
	json_t *results;
	const json_t *ops;
	const char *server_name;
	const char *key = NULL;
	json_t *server;
	size_t i;
	json_t *op;
	int rc;

	*reply_out = NULL;
	req = json_loadb(request, len, JSON_REJECT_DUPLICATES, &je);
	ops = json_object_get(req, "operations");
	server_name = json_string_value(json_object_get(req, "server"));
	if (!req || !json_is_object(req)) {
		reply = top_error(as, "ProtocolError",
		                  "the request is not a JSON object");
		goto done_noopen;
	}
	if (json_integer_value(json_object_get(req, "protocol")) != 1) {
		reply = top_error(as, "ProtocolError",
		                  "this agent speaks protocol 1");
		goto done_noopen;
	}
	if (!server_name || !json_is_array(ops) || json_array_size(ops) == 0) {
		reply = top_error(
		        as, "ProtocolError",
		        "the request needs 'server' and 'operations'");
		goto done_noopen;
	}
	/* A real shell's latency is the server's own: it must not hold up
	 * the other servers, so the lab waits before it takes its lock. */
	rc = lab_open(&l, dir, false, err);
	if (rc == 0) {
		int latency = (int)json_integer_value(
		        json_object_get(l.doc, "latency_ms"));

		lab_close(&l);
		sleep_ms(latency);
		rc = lab_open(&l, dir, !read_only(ops), err);
	}
	if (rc < 0) {
		lab_close(&l);
		json_decref(req);
		return rc;
	}
	server = find_server(json_object_get(l.doc, "servers"),
	                     as ? as : server_name, &key);
	log_call(&l, as ? as : server_name, ops);
	if (!server) {
		char msg[300];

		snprintf(msg, sizeof(msg), "the lab has no server '%.100s'",
		         as ? as : server_name);
		reply = top_error(as, "ObjectNotFound", msg);
		goto done;
	}
	if (strcasecmp(key, server_name) != 0) {
		char msg[300];

		/* The agent's own safety check: a wrong DNS entry must not
		 * make excert change the wrong server. */
		snprintf(msg, sizeof(msg),
		         "this is %.64s, not %.64s; refusing the whole request",
		         key, server_name);
		reply = top_error(key, "InvalidOperation", msg);
		goto done;
	}
	results = json_array();
	reply = json_pack("{s:i,s:s,s:s,s:o}", "protocol", 1, "server", key,
	                  "agent", "excert-lab 1", "results", results);
	json_array_foreach(ops, i, op)
	{
		const char *id = json_string_value(json_object_get(op, "id"));
		const char *name = json_string_value(json_object_get(op, "op"));
		const json_t *args = json_object_get(op, "args");
		json_t *result = NULL;
		struct op_error e = {"NotSpecified", ""};

		if (!id || !name || !json_is_object(args)) {
			e.category = "ProtocolError";
			snprintf(e.message, sizeof(e.message),
			         "operation %zu needs 'id', 'op' and 'args'",
			         i + 1);
			rc = -1;
		} else {
			rc = lab_op(&l, key, server, name, args, &result, &e);
		}
		if (rc == 0) {
			json_array_append_new(
			        results,
			        json_pack("{s:s,s:s,s:b,s:o}", "id", id, "op",
			                  name, "ok", 1, "result", result));
			continue;
		}
		json_array_append_new(
		        results, json_pack("{s:s,s:s,s:b,s:{s:s,s:s}}", "id",
		                           id ? id : "", "op", name ? name : "",
		                           "ok", 0, "error", "category",
		                           e.category, "message", e.message));
		break;
	}
done:
	rc = lab_save(&l, err);
	lab_close(&l);
	if (rc < 0) {
		json_decref(reply);
		json_decref(req);
		return rc;
	}
done_noopen:
	*reply_out = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(reply);
	json_decref(req);
	return 0;
}
