/* SPDX-License-Identifier: MIT */
/* The list of load-balancer drivers, and what the drivers share. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "providers/lb/lbint.h"
#include "state/clock.h"
#include "state/secret.h"
#include "state/store.h"
#include "state/x509.h"
#include "state/xalloc.h"

/* One line per kind; an F5, KEMP or NetScaler driver is one more. */
static const struct xc_lb_driver *const drivers[] = {
        &xc_lb_haproxy,
        &xc_lb_nginx,
};

const struct xc_lb_driver *xc_lb_driver_of(const struct xc_lb *lb)
{
	size_t i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->is(lb))
			return drivers[i];
	return NULL;
}

const char *xc_lb_kind_of(const struct xc_lb *lb)
{
	const struct xc_lb_driver *d = xc_lb_driver_of(lb);

	return d ? d->kind : "";
}

static const struct xc_lb_driver *need_driver(const struct xc_lb *lb,
                                              struct xc_error *err)
{
	const struct xc_lb_driver *d = xc_lb_driver_of(lb);
	char known[200];
	size_t used = 0;
	size_t i;

	if (d)
		return d;
	known[0] = '\0';
	for (i = 0;
	     i < sizeof(drivers) / sizeof(drivers[0]) && used < sizeof(known);
	     i++)
		used += (size_t)snprintf(known + used, sizeof(known) - used,
		                         "%s%s", i ? ", " : "",
		                         drivers[i]->kind);
	xc_error_set(err, XC_EINVAL,
	             "load balancer '%s': no driver knows its kind (known: %s)",
	             lb->name.v ? lb->name.v : "?", known);
	return NULL;
}

int xc_lb_served(const struct xc_lb *lb, const char *sni, char *thumb,
                 struct xc_error *err)
{
	const struct xc_lb_driver *d = need_driver(lb, err);

	thumb[0] = '\0';
	return d ? d->served(lb, sni, thumb, err) : XC_EINVAL;
}

int xc_lb_update(const struct xc_lb *lb, const char *sni, const char *chain_pem,
                 const char *key_pem, char *detail, size_t size,
                 struct xc_error *err)
{
	const struct xc_lb_driver *d = need_driver(lb, err);

	if (size)
		detail[0] = '\0';
	return d ? d->update(lb, sni, chain_pem, key_pem, detail, size, err)
	         : XC_EINVAL;
}

/* ---- PEM ---------------------------------------------------------------- */

static int read_whole(const char *path, char **out, size_t *len_out, int *mode,
                      struct xc_error *err)
{
	struct stat st;
	size_t len;
	size_t got = 0;
	char *p;
	int fd;
	int e;

	*out = NULL;
	/* O_NONBLOCK: a FIFO in place of a certificate must not hang us. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return xc_error_set(err, e == ENOENT ? XC_ENOTFOUND : XC_EIO,
		                    "cannot read '%s': %s", path, strerror(e));
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		return xc_error_set(err, XC_EIO, "cannot read '%s': %s", path,
		                    strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return xc_error_set(err, XC_EIO,
		                    "cannot read '%s': not a regular file",
		                    path);
	}
	if ((unsigned long long)st.st_size > XC_LB_PEM_MAX) {
		close(fd);
		return xc_error_set(err, XC_ENOMEM,
		                    "'%s' is larger than %zu bytes", path,
		                    XC_LB_PEM_MAX);
	}
	len = (size_t)st.st_size;
	p = xc_xmalloc(len + 1);
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			xc_wipe_free(p, len);
			return xc_error_set(err, XC_EIO, "cannot read '%s': %s",
			                    path, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	p[got] = '\0';
	*out = p;
	if (len_out)
		*len_out = got;
	if (mode)
		*mode = (int)(st.st_mode & 07777);
	return 0;
}

int xc_lb_read_pem(const char *path, char **out, struct xc_error *err)
{
	return read_whole(path, out, NULL, NULL, err);
}

int xc_lb_read_old(const char *path, char **out, size_t *len, int *mode,
                   struct xc_error *err)
{
	return read_whole(path, out, len, mode, err);
}

int xc_lb_leaf(const char *chain_pem, char thumb[41], char *dns, size_t size,
               struct xc_error *err)
{
	BIO *b = BIO_new_mem_buf(chain_pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	struct xc_x509 parsed;
	int len;
	int rc;

	BIO_free(b);
	thumb[0] = '\0';
	if (dns && size)
		dns[0] = '\0';
	if (!x) {
		ERR_clear_error();
		return xc_error_set(err, XC_EINVAL,
		                    "the chain holds no PEM certificate");
	}
	len = i2d_X509(x, &der);
	X509_free(x);
	if (len <= 0) {
		ERR_clear_error();
		return xc_error_set(err, XC_EINVAL,
		                    "the chain's first certificate cannot be "
		                    "encoded");
	}
	rc = xc_x509_parse(&parsed, der, (size_t)len, err);
	OPENSSL_free(der);
	if (rc < 0)
		return rc;
	snprintf(thumb, 41, "%s", parsed.thumbprint);
	if (dns && size && parsed.ndomains > 0)
		snprintf(dns, size, "%s", parsed.domains[0]);
	xc_x509_release(&parsed);
	return 0;
}

/* ---- files -------------------------------------------------------------- */

/* Whether uid may own what excert writes: root, or whoever runs excert. */
static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * What must hold of target (path, resolved when it is a link) before a
 * certificate or key goes there: a regular file (or nothing yet) owned by
 * root or by us, writable by nobody else, in a directory owned by root or
 * by us that others may not write to (a sticky /tmp included: whoever may
 * create files there may plant one for the next write).  0, or XC_EINVAL
 * with err saying which file and why.
 */
static int check_target(const char *path, const char *target,
                        struct xc_error *err)
{
	char shown[PATH_MAX + 40];
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (strcmp(path, target) != 0)
		snprintf(shown, sizeof(shown), "'%s' (a link to '%s')", path,
		         target);
	else
		snprintf(shown, sizeof(shown), "'%s'", path);
	if (lstat(target, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return xc_error_set(err, XC_EINVAL,
			                    "refusing to write %s: it is not a "
			                    "regular file",
			                    shown);
		if (!trusted_owner(st.st_uid))
			return xc_error_set(err, XC_EINVAL,
			                    "refusing to write %s: it is owned "
			                    "by uid %lu, neither root nor the "
			                    "user running excert",
			                    shown, (unsigned long)st.st_uid);
		if (st.st_mode & (S_IWGRP | S_IWOTH))
			return xc_error_set(err, XC_EINVAL,
			                    "refusing to write %s: it is "
			                    "writable by its group or others "
			                    "(mode %04o)",
			                    shown,
			                    (unsigned)(st.st_mode & 07777));
	} else if (errno != ENOENT) {
		int e = errno;

		return xc_error_set(err, XC_EIO, "cannot write %s: %s", shown,
		                    strerror(e));
	}
	if (strlen(target) >= sizeof(dir))
		return xc_error_set(err, XC_EINVAL,
		                    "cannot write %s: the path is too long",
		                    shown);
	snprintf(dir, sizeof(dir), "%s", target);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0) {
		int e = errno;

		return xc_error_set(err, e == ENOENT ? XC_ENOTFOUND : XC_EIO,
		                    "cannot write %s: its directory '%s': %s",
		                    shown, dir, strerror(e));
	}
	if (!trusted_owner(st.st_uid))
		return xc_error_set(err, XC_EINVAL,
		                    "refusing to write %s: its directory '%s' "
		                    "is owned by uid %lu, neither root nor the "
		                    "user running excert",
		                    shown, dir, (unsigned long)st.st_uid);
	if (st.st_mode & S_IWOTH)
		return xc_error_set(err, XC_EINVAL,
		                    "refusing to write %s: its directory '%s' "
		                    "is writable by others (mode %04o)",
		                    shown, dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* The file path names in the end: the target of a link (which must
 * exist), else path as written, so that messages name what excert.yaml
 * names.  0, or XC_EINVAL (a link to nothing) or XC_EIO. */
static int resolve(const char *path, char real[PATH_MAX], const char **target,
                   struct xc_error *err)
{
	struct stat st;

	*target = path;
	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return 0;
	if (!realpath(path, real)) {
		int e = errno;

		if (e == ENOENT)
			return xc_error_set(err, XC_EINVAL,
			                    "refusing to write '%s': it is a "
			                    "symbolic link to nothing",
			                    path);
		return xc_error_set(err, XC_EIO,
		                    "cannot follow the link '%s': %s", path,
		                    strerror(e));
	}
	*target = real;
	return 0;
}

int xc_lb_check_path(const char *path, struct xc_error *err)
{
	char real[PATH_MAX];
	const char *target;
	int rc = resolve(path, real, &target, err);

	return rc < 0 ? rc : check_target(path, target, err);
}

int xc_lb_write(const char *path, const void *data, size_t len, int mode,
                struct xc_error *err)
{
	char real[PATH_MAX];
	const char *target;
	int rc;

	if ((rc = resolve(path, real, &target, err)) < 0 ||
	    (rc = check_target(path, target, err)) < 0)
		return rc;
	return xc_write_file_atomic(target, data, len, mode, err);
}

/* ---- programs ----------------------------------------------------------- */

static int cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	return f < 0 ? -1 : fcntl(fd, F_SETFD, f | FD_CLOEXEC);
}

int xc_lb_run(char *const argv[], unsigned timeout_ms, int *status, char *out,
              size_t size, struct xc_error *err)
{
	posix_spawn_file_actions_t fa;
	char **envp;
	long long deadline = xc_clock_ms() + timeout_ms;
	size_t got = 0;
	bool exited = false;
	bool eof = false;
	bool nochild = false;
	pid_t pid;
	int wst = 0;
	int fds[2];
	int e;

	*status = -1;
	if (size)
		out[0] = '\0';
	if (pipe(fds) != 0 || cloexec(fds[0]) != 0 || cloexec(fds[1]) != 0) {
		e = errno;
		return xc_error_set(err, XC_EIO, "cannot run %s: pipe: %s",
		                    argv[0], strerror(e));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	/* Without the variables env: secrets name (an EAB key). */
	envp = xc_secret_child_env();
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	xc_secret_child_env_free(envp);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e != 0) {
		close(fds[0]);
		return xc_error_set(err, XC_EIO, "cannot run %s: %s", argv[0],
		                    strerror(e));
	}
	/* Read until the program exits and its output ends; a daemon it left
	 * holding the pipe does not keep us waiting once it has exited. */
	while (!exited || !eof) {
		struct pollfd p = {fds[0], POLLIN, 0};
		long long left = deadline - xc_clock_ms();
		int n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
				;
			close(fds[0]);
			return xc_error_set(err, XC_ETIMEOUT,
			                    "%s did not finish within %u s, "
			                    "killed",
			                    argv[0], (timeout_ms + 999) / 1000);
		}
		n = eof ? 0 : poll(&p, 1, left < 100 ? (int)left : 100);
		if (n > 0) {
			char chunk[4096];
			ssize_t r = read(fds[0], chunk, sizeof(chunk));

			if (r > 0) {
				size_t k = (size_t)r;

				if (size && got < size - 1) {
					if (k > size - 1 - got)
						k = size - 1 - got;
					memcpy(out + got, chunk, k);
					got += k;
					out[got] = '\0';
				}
			} else if (r == 0 || errno != EINTR) {
				eof = true;
			}
		} else if (eof) {
			xc_sleep_ms(20, NULL);
		}
		if (!exited) {
			pid_t w = waitpid(pid, &wst, WNOHANG);

			/* ECHILD: SIGCHLD ignored by the caller, the status
			 * is gone; the end of the output tells the end. */
			if (w == pid) {
				exited = true;
			} else if (w < 0 && errno == ECHILD) {
				exited = true;
				nochild = true;
				wst = -1;
			}
		}
		if (exited && !eof && !nochild) {
			/* What is already in the pipe, then stop. */
			struct pollfd q = {fds[0], POLLIN, 0};

			if (poll(&q, 1, 0) <= 0)
				eof = true;
		}
	}
	close(fds[0]);
	*status = wst != -1 && WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
	return 0;
}

/* ---- messages ----------------------------------------------------------- */

static bool pem_like(const char *l, size_t n)
{
	size_t i;

	if (n >= 5 && memcmp(l, "-----", 5) == 0)
		return true;
	if (n < 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = l[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		      c == '='))
			return false;
	}
	return true;
}

void xc_lb_message(const char *text, const char *prefix, char *out, size_t size)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	size_t used = 0;
	const char *l = text;

	if (!size)
		return;
	out[0] = '\0';
	while (l && *l && used + 1 < size) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const char *s = l;

		/* A final '.' would read badly before the "; " joint. */
		while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' ||
		             s[n - 1] == '\t' || s[n - 1] == '.'))
			n--;
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (plen && n >= plen && memcmp(s, prefix, plen) == 0) {
			s += plen;
			n -= plen;
		}
		if (n && !pem_like(s, n)) {
			int w = snprintf(out + used, size - used, "%s%.*s",
			                 used ? "; " : "", (int)n, s);

			if (w < 0)
				break;
			used += (size_t)w < size - used ? (size_t)w
			                                : size - used - 1;
		}
		l = nl ? nl + 1 : NULL;
	}
}
