/* SPDX-License-Identifier: MIT */
/*
 * The bottom of the lab: its document (lab.json: open and lock, save,
 * close), paths and directories in it, the call log's file, and the
 * certificates in a server's store.  Calls nothing above it (lab.c's
 * dispatch, labops.c's operations).
 */
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
#include "state/store.h"
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

int lab_append_file(const char *path, const void *data, size_t len, int mode)
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

int lab_open(struct lab *l, const char *dir, bool write, struct xc_error *err)
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
	rc = xc_read_file(path, LAB_MAX_DOC, &text, &len, err);
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

int lab_save(struct lab *l, struct xc_error *err)
{
	char *text;
	char *path;
	int rc;

	if (!l->changed)
		return 0;
	text = json_dumps(l->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	path = lab_path(l, "lab.json");
	rc = xc_write_file_atomic(path, text, strlen(text), 0644, err);
	free(path);
	free(text);
	if (rc == 0)
		l->changed = false;
	return rc;
}

void lab_close(struct lab *l)
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
	rc = xc_make_dirs(dir, 0755, err);
	free(dir);
	dir = lab_path(l, "servers/%s/keys", server);
	if (rc == 0)
		rc = xc_make_dirs(dir, 0755, err);
	free(dir);
	if (rc < 0)
		return rc;
	xc_buf_init(&pem, 0);
	xc_lab_cert_pem(leaf, &pem);
	for (i = 0; i < nchain; i++)
		xc_lab_cert_pem(chain[i], &pem);
	path = lab_path(l, "servers/%s/certs/%s.pem", server, thumb);
	rc = xc_write_file_atomic(path, pem.ptr, pem.len, 0644, err);
	free(path);
	xc_buf_release(&pem);
	if (rc < 0 || !key)
		return rc;
	xc_buf_init(&pem, 0);
	xc_lab_key_pem(key, &pem);
	path = lab_path(l, "servers/%s/keys/%s.key", server, thumb);
	rc = xc_write_file_atomic(path, pem.ptr, pem.len, 0600, err);
	free(path);
	xc_buf_release(&pem);
	return rc;
}

int lab_cert_names(struct lab *l, const char *server, const char *thumb,
                   char **issuer_out, char **subject_out, long long *not_after,
                   struct xc_error *err)
{
	struct xc_x509 x;
	char *path = lab_path(l, "servers/%s/certs/%s.pem", server, thumb);
	int rc = xc_lab_pem_read_leaf(path, &x, err);

	free(path);
	if (rc < 0)
		return rc;
	*issuer_out = xc_xstrdup(x.issuer);
	*subject_out = xc_xstrdup(x.subject);
	if (not_after)
		*not_after = x.not_after;
	xc_x509_release(&x);
	return 0;
}
