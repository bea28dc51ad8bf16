/* SPDX-License-Identifier: MIT */
/* The state store: a private directory, its lock, atomic files, a journal. */
#include "state/clock.h"
#include "state/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "state/buf.h"
#include "state/xalloc.h"

#define LOCK_FILE "lock"
#define JOURNAL_FILE "journal.jsonl"
#define NAME_TOTAL_MAX 1024
#define COMPONENT_MAX 200
#define HOLDER_MAX 4096 /* bytes of DIR/lock that are read */
#define POLL_MS 100     /* between two tries of a held lock */
#define REOPEN_MAX 100  /* times DIR/lock may be replaced under us */
#define TMP_TRIES 100   /* temporary names tried before giving up */

struct xc_store {
	char *dir;  /* owned; as given to xc_store_open */
	int dirfd;  /* the directory, opened once; never changes */
	int lockfd; /* DIR/lock while this handle holds the lock, else -1 */
};

/* Makes temporary names unique among the threads of this process. */
static atomic_ulong tmp_counter;

/* strerror is not thread-safe; the XSI strerror_r is. */
static const char *errstr(int e, char *buf, size_t size)
{
	if (strerror_r(e, buf, size) != 0)
		snprintf(buf, size, "error %d", e);
	return buf;
}

/* Sets an XC_EIO error "cannot WHAT 'DIR/NAME': reason" (NAME may be NULL). */
static int io_error(struct xc_error *err, int e, const char *what,
                    const struct xc_store *s, const char *name)
{
	char eb[128];

	errstr(e, eb, sizeof(eb));
	if (name)
		return xc_error_set(err, XC_EIO, "cannot %s '%s/%s': %s", what,
		                    s->dir, name, eb);
	return xc_error_set(err, XC_EIO, "cannot %s '%s': %s", what, s->dir,
	                    eb);
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* True when s is one path component the store accepts. */
static bool component_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > COMPONENT_MAX)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if (!name_char_ok(s[i]))
			return false;
	return true;
}

/*
 * Checks a file name of the API (see store.h); own_ok lets the store's own
 * files through (for reading).
 */
static int check_name(const char *name, bool own_ok, struct xc_error *err)
{
	const char *p;
	size_t n;
	size_t i;

	if (!name || !*name)
		return xc_error_set(err, XC_EINVAL,
		                    "invalid state file name: it is empty");
	n = strlen(name);
	for (i = 0; i < n; i++)
		if (name[i] != '/' && !name_char_ok(name[i]))
			return xc_error_set(
			        err, XC_EINVAL,
			        "invalid state file name: byte 0x%02x at offset %zu (only letters, digits, '.', '_', '-' and '/' between components)",
			        (unsigned)(unsigned char)name[i], i);
	if (n > NAME_TOTAL_MAX)
		return xc_error_set(
		        err, XC_EINVAL,
		        "invalid state file name: longer than %d characters",
		        NAME_TOTAL_MAX);
	if (name[0] == '/')
		return xc_error_set(
		        err, XC_EINVAL,
		        "invalid state file name '%s': it must be relative to the state directory",
		        name);
	for (p = name;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 0)
			return xc_error_set(
			        err, XC_EINVAL,
			        "invalid state file name '%s': empty component",
			        name);
		if (len > COMPONENT_MAX)
			return xc_error_set(
			        err, XC_EINVAL,
			        "invalid state file name '%s': a component is longer than %d characters",
			        name, COMPONENT_MAX);
		if (!component_ok(p, len))
			return xc_error_set(
			        err, XC_EINVAL,
			        "invalid state file name '%s': '.' and '..' are not allowed",
			        name);
		if (!slash)
			break;
		p = slash + 1;
	}
	if (!own_ok &&
	    (strcmp(name, LOCK_FILE) == 0 || strcmp(name, JOURNAL_FILE) == 0))
		return xc_error_set(
		        err, XC_EINVAL,
		        "invalid state file name '%s': reserved for the store itself",
		        name);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Opens the directory that holds the last component of name (checked
 * already) and points *base_out at that component.  With create, missing
 * directories are made 0700 and their parents fsynced.  Symbolic links are
 * not followed.  Returns 0 and a descriptor the caller closes, or
 * XC_ENOTFOUND (without create) or XC_EIO with err set.
 */
static int open_parent(const struct xc_store *s, const char *name, bool create,
                       int *fd_out, const char **base_out, struct xc_error *err)
{
	const char *p = name;
	const char *slash;
	char eb[128];
	int cur = fcntl(s->dirfd, F_DUPFD_CLOEXEC, 0);

	if (cur < 0)
		return io_error(err, errno, "open", s, NULL);
	while ((slash = strchr(p, '/')) != NULL) {
		char comp[COMPONENT_MAX + 1];
		int len = (int)(slash - name);
		bool made = false;
		int next;
		int e;

		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = '\0';
		next = openat(cur, comp,
		              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, comp, 0700) == 0)
				made = true;
			else if (errno != EEXIST)
				goto fail;
			next = openat(cur, comp,
			              O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                      O_CLOEXEC);
			/* The umask may have taken bits away. */
			if (next >= 0 && made &&
			    (fchmod(next, 0700) != 0 || fsync(cur) != 0)) {
				e = errno;
				close(next);
				errno = e;
				next = -1;
			}
		}
		if (next < 0)
			goto fail;
		close(cur);
		cur = next;
		p = slash + 1;
		continue;
	fail:
		e = errno;
		close(cur);
		if (e == ENOENT)
			return xc_error_set(err, XC_ENOTFOUND,
			                    "'%s/%.*s' does not exist", s->dir,
			                    len, name);
		if (e == ENOTDIR || e == ELOOP)
			return xc_error_set(
			        err, XC_EIO,
			        "cannot use '%s/%.*s': not a directory (symbolic links are not followed)",
			        s->dir, len, name);
		return xc_error_set(err, XC_EIO, "cannot %s '%s/%.*s': %s",
		                    create ? "create directory" : "open",
		                    s->dir, len, name,
		                    errstr(e, eb, sizeof(eb)));
	}
	*fd_out = cur;
	*base_out = p;
	return 0;
}

/* fsyncs the directory that holds path, so that a new entry in it lasts. */
static void fsync_parent(char *path)
{
	char *slash = strrchr(path, '/');
	int fd;

	if (slash == path) {
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (slash) {
		*slash = '\0';
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	} else {
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Makes directory path 0700 unless it exists; returns 0 or an errno. */
static int make_dir(char *path, int mode)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return errno;
	if (mkdir(path, (mode_t)mode) != 0)
		return errno == EEXIST ? 0 : errno;
	/* Exactly mode, whatever the umask. */
	if (chmod(path, (mode_t)mode) != 0)
		return errno;
	fsync_parent(path);
	return 0;
}

/* Creates dir and its missing parents 0700; existing ones are left alone. */
int xc_make_dirs(const char *dir, int mode, struct xc_error *err)
{
	char eb[128];
	char *p = xc_xstrdup(dir);
	size_t n = strlen(p);
	size_t i;

	for (i = 1; i <= n; i++) {
		char c = p[i];
		int e;

		if ((c != '/' && c != '\0') || p[i - 1] == '/')
			continue;
		p[i] = '\0';
		e = make_dir(p, mode);
		if (e != 0) {
			xc_error_set(err, XC_EIO,
			             "cannot create directory '%s': %s", p,
			             errstr(e, eb, sizeof(eb)));
			free(p);
			return XC_EIO;
		}
		p[i] = c;
	}
	free(p);
	return 0;
}

int xc_store_open(struct xc_store **out, const char *dir, struct xc_error *err)
{
	struct xc_store *s;
	struct stat st;
	char eb[128];
	int rc;
	int fd;

	if (!dir || !*dir)
		return xc_error_set(err, XC_EINVAL, "no state directory given");
	if ((rc = xc_make_dirs(dir, 0700, err)) < 0)
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == ENOTDIR)
			return xc_error_set(
			        err, XC_EINVAL,
			        "state directory '%s' is not a directory", dir);
		return xc_error_set(err, XC_EIO,
		                    "cannot open state directory '%s': %s", dir,
		                    errstr(e, eb, sizeof(eb)));
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return xc_error_set(err, XC_EIO,
		                    "cannot open state directory '%s': %s", dir,
		                    errstr(e, eb, sizeof(eb)));
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return xc_error_set(
		        err, XC_EINVAL,
		        "state directory '%s' belongs to uid %lu, not to the user running excert (uid %lu); it holds the ACME account key, so excert uses only its own",
		        dir, (unsigned long)st.st_uid,
		        (unsigned long)geteuid());
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		const char *who =
		        (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH)
		                ? "group and others"
		        : (st.st_mode & S_IWGRP) ? "group"
		                                 : "others";

		close(fd);
		return xc_error_set(
		        err, XC_EINVAL,
		        "state directory '%s' is writable by %s (mode %04o); it holds the ACME account key: run chmod 0700 '%s'",
		        dir, who, (unsigned)(st.st_mode & 07777), dir);
	}
	s = xc_xcalloc(1, sizeof(*s));
	s->dir = xc_xstrdup(dir);
	s->dirfd = fd;
	s->lockfd = -1;
	*out = s;
	return 0;
}

void xc_store_close(struct xc_store *s)
{
	if (!s)
		return;
	xc_store_unlock(s);
	close(s->dirfd);
	free(s->dir);
	free(s);
}

const char *xc_store_dir(const struct xc_store *s)
{
	return s->dir;
}

char *xc_store_default_dir(const char *organization)
{
	const char *base;
	const char *sub;
	struct xc_buf b;
	size_t n;

	if (!organization || !component_ok(organization, strlen(organization)))
		return NULL;
	/* getenv: documented as "call before starting threads". */
	base = getenv("XDG_STATE_HOME"); /* NOLINT */
	sub = "excert";
	if (!base || base[0] != '/') {
		base = getenv("HOME"); /* NOLINT */
		sub = ".local/state/excert";
		if (!base || !*base)
			return NULL;
	}
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%.*s/%s/%s", (int)n, base, sub, organization);
	return xc_buf_detach(&b, NULL);
}

/* ---- files ---- */

int xc_store_write(struct xc_store *s, const char *name, const void *data,
                   size_t len, int mode, struct xc_error *err)
{
	char tmp[COMPONENT_MAX + 64];
	const char *base;
	const char *what;
	int pfd;
	int fd = -1;
	int rc;
	int e;
	int i;

	if ((rc = check_name(name, false, err)) < 0)
		return rc;
	if (mode < 0 || mode > 0777)
		return xc_error_set(
		        err, XC_EINVAL,
		        "cannot write '%s/%s': mode %#o is not a permission mode (0 to 0777)",
		        s->dir, name, (unsigned)mode);
	if (!data && len > 0)
		return xc_error_set(err, XC_EINVAL,
		                    "cannot write '%s/%s': no data", s->dir,
		                    name);
	if ((rc = open_parent(s, name, true, &pfd, &base, err)) < 0)
		return rc;
	for (i = 0; i < TMP_TRIES; i++) {
		/* '~' is refused in names: no store file is called so. */
		snprintf(tmp, sizeof(tmp), "%s~tmp.%ld.%lu", base,
		         (long)getpid(),
		         (unsigned long)atomic_fetch_add(&tmp_counter, 1));
		fd = openat(pfd, tmp,
		            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                    O_CLOEXEC,
		            0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		e = errno;
		close(pfd);
		return io_error(err, e, "create a temporary file for", s, name);
	}
	what = "write";
	if (write_all(fd, data, len) != 0)
		goto fail;
	what = "set the mode of";
	if (fchmod(fd, (mode_t)mode) != 0)
		goto fail;
	what = "write";
	if (fsync(fd) != 0)
		goto fail;
	rc = close(fd);
	fd = -1;
	if (rc != 0 || renameat(pfd, tmp, pfd, base) != 0)
		goto fail;
	/* The new name must survive a crash too. */
	if (fsync(pfd) != 0) {
		e = errno;
		close(pfd);
		return io_error(err, e, "write", s, name);
	}
	close(pfd);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(pfd, tmp, 0);
	close(pfd);
	return io_error(err, e, what, s, name);
}

int xc_write_file_atomic(const char *path, const void *data, size_t len,
                         int mode, struct xc_error *err)
{
	size_t n = strlen(path) + 64;
	char *tmp = xc_xmalloc(n);
	char *dup;
	int fd;
	int e;

	/* An unpredictable name made with O_EXCL (mkstemp): a link planted
	 * beside path can neither redirect the write nor block it. */
	snprintf(tmp, n, "%s~tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		free(tmp);
		return xc_error_set(err, XC_EIO, "cannot write '%s': %s", path,
		                    strerror(e));
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    write_all(fd, data, len) != 0 || fchmod(fd, (mode_t)mode) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return xc_error_set(err, XC_EIO, "cannot write '%s': %s", path,
		                    strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		free(tmp);
		return xc_error_set(err, XC_EIO, "cannot write '%s': %s", path,
		                    strerror(e));
	}
	free(tmp);
	dup = xc_xstrdup(path);
	fsync_parent(dup);
	free(dup);
	return 0;
}

int xc_store_read(struct xc_store *s, const char *name, size_t max, char **out,
                  size_t *len_out, struct xc_error *err)
{
	struct xc_buf b;
	struct stat st;
	char chunk[8192];
	const char *base;
	int pfd;
	int fd;
	int rc;
	int e;

	*out = NULL;
	if (len_out)
		*len_out = 0;
	if ((rc = check_name(name, true, err)) < 0)
		return rc;
	if ((rc = open_parent(s, name, false, &pfd, &base, err)) < 0)
		return rc;
	/* O_NONBLOCK: a FIFO planted here must not hang the read. */
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	e = errno;
	close(pfd);
	if (fd < 0) {
		if (e == ENOENT)
			return xc_error_set(err, XC_ENOTFOUND,
			                    "'%s/%s' does not exist", s->dir,
			                    name);
		if (e == ELOOP)
			return xc_error_set(
			        err, XC_EINVAL,
			        "'%s/%s' is a symbolic link, which the store does not follow",
			        s->dir, name);
		return io_error(err, e, "read", s, name);
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		return io_error(err, e, "read", s, name);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return xc_error_set(err, XC_EINVAL,
		                    "'%s/%s' is not a regular file", s->dir,
		                    name);
	}
	if (max > 0 && (unsigned long long)st.st_size > max) {
		close(fd);
		return xc_error_set(err, XC_ENOMEM,
		                    "'%s/%s' is larger than %zu bytes", s->dir,
		                    name, max);
	}
	xc_buf_init(&b, max);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			xc_buf_release(&b);
			return io_error(err, e, "read", s, name);
		}
		if (n == 0)
			break;
		if (xc_buf_add(&b, chunk, (size_t)n) < 0) {
			close(fd);
			xc_buf_release(&b);
			return xc_error_set(err, XC_ENOMEM,
			                    "'%s/%s' is larger than %zu bytes",
			                    s->dir, name, max);
		}
	}
	close(fd);
	*out = xc_buf_detach(&b, len_out);
	return 0;
}

int xc_store_remove(struct xc_store *s, const char *name, struct xc_error *err)
{
	const char *base;
	int pfd;
	int rc;
	int e;

	if ((rc = check_name(name, false, err)) < 0)
		return rc;
	rc = open_parent(s, name, false, &pfd, &base, err);
	if (rc == XC_ENOTFOUND) {
		xc_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (unlinkat(pfd, base, 0) != 0) {
		e = errno;
		close(pfd);
		if (e == ENOENT)
			return 0;
		return io_error(err, e, "remove", s, name);
	}
	if (fsync(pfd) != 0) {
		e = errno;
		close(pfd);
		return io_error(err, e, "remove", s, name);
	}
	close(pfd);
	return 0;
}

/* ---- the lock ---- */

/* What DIR/lock says about its holder. */
struct holder {
	bool present;      /* the file holds something */
	bool known;        /* ... that names a pid */
	long pid;          /* > 0 when known */
	char host[256];    /* "" when not said */
	char since[64];    /* "" when not said */
	char command[128]; /* "" when not said */
};

/* Copies a string from outside with anything unprintable replaced. */
static void copy_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
	}
	dst[i] = '\0';
}

static void holder_string(json_t *root, const char *key, char *dst, size_t size)
{
	const char *v = json_string_value(json_object_get(root, key));

	copy_printable(dst, size, v ? v : "");
}

static void holder_read(int fd, struct holder *h)
{
	char buf[HOLDER_MAX];
	json_error_t jerr;
	json_t *root;
	json_t *pid;
	ssize_t n;
	size_t len;
	size_t i;

	memset(h, 0, sizeof(*h));
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return;
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t' &&
		    buf[i] != '\r')
			break;
	if (i == (size_t)n)
		return;
	h->present = true;
	for (len = 0; len < (size_t)n && buf[len] != '\n'; len++)
		;
	root = json_loadb(buf, len, 0, &jerr);
	if (!root)
		return;
	pid = json_object_get(root, "pid");
	if (json_is_integer(pid) && json_integer_value(pid) > 0 &&
	    json_integer_value(pid) <= INT_MAX) {
		h->known = true;
		h->pid = (long)json_integer_value(pid);
		holder_string(root, "host", h->host, sizeof(h->host));
		holder_string(root, "since", h->since, sizeof(h->since));
		holder_string(root, "command", h->command, sizeof(h->command));
	}
	json_decref(root);
}

static const char *or_else(const char *s, const char *dflt)
{
	return *s ? s : dflt;
}

static void host_name(char *buf, size_t size)
{
	char raw[256]; /* HOST_NAME_MAX is 64 on Linux, 255 by POSIX */

	if (gethostname(raw, sizeof(raw)) != 0)
		raw[0] = '\0';
	raw[sizeof(raw) - 1] = '\0';
	copy_printable(buf, size, raw);
}

/* The note for taking over from a holder that died holding the lock. */
static void takeover_note(const struct holder *h, char *note, size_t size)
{
	char self[256];

	if (!note || size == 0 || !h->present)
		return;
	if (!h->known) {
		snprintf(
		        note, size,
		        "taking over the lock from a holder that no longer holds it (its lock file could not be read)");
		return;
	}
	host_name(self, sizeof(self));
	if (h->host[0] && strcmp(h->host, self) != 0) {
		snprintf(
		        note, size,
		        "taking over the lock of pid %ld on %s (%s since %s), which no longer holds it",
		        h->pid, h->host, or_else(h->command, "excert"),
		        or_else(h->since, "an unknown time"));
		return;
	}
	/* pid > 0 (holder_read): kill never addresses a group here. */
	if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH)
		snprintf(
		        note, size,
		        "taking over the lock of pid %ld (%s since %s), which is no longer running",
		        h->pid, or_else(h->command, "excert"),
		        or_else(h->since, "an unknown time"));
	else
		snprintf(
		        note, size,
		        "taking over the lock of pid %ld (%s since %s), which no longer holds it (the pid now belongs to another process)",
		        h->pid, or_else(h->command, "excert"),
		        or_else(h->since, "an unknown time"));
}

static int locked_error(const struct xc_store *s, const struct holder *h,
                        int waited, struct xc_error *err)
{
	char after[64] = "";

	if (waited > 0)
		snprintf(after, sizeof(after), "; gave up after %d s", waited);
	if (!h->known)
		return xc_error_set(
		        err, XC_ELOCKED,
		        "state directory %s is locked by another process%s",
		        s->dir, after);
	return xc_error_set(
	        err, XC_ELOCKED,
	        "state directory %s is locked by %s (pid %ld on %s, since %s)%s",
	        s->dir, or_else(h->command, "excert"), h->pid,
	        or_else(h->host, "an unknown host"),
	        or_else(h->since, "an unknown time"), after);
}

/*
 * Tries flock on fd until deadline (monotonic ms).  Returns 0 when held, 1
 * when still held by another at the deadline, -1 with errno on failure.
 */
static int lock_poll(int fd, long long deadline)
{
	for (;;) {
		long long left;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			return -1;
		left = deadline - xc_clock_ms();
		if (left <= 0)
			return 1;
		xc_sleep_ms(left > POLL_MS ? POLL_MS : left, NULL);
	}
}

/* True when fd is still the file called DIR/lock. */
static bool lock_is_current(const struct xc_store *s, int fd)
{
	struct stat a;
	struct stat b;

	return fstat(fd, &a) == 0 &&
	       fstatat(s->dirfd, LOCK_FILE, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The holder line of this process, with its newline; caller frees. */
static char *holder_line(const char *command)
{
	char host[256];
	char cmd[128];
	char since[32];
	struct tm tm;
	time_t t = time(NULL);
	json_t *o;
	char *json;
	struct xc_buf b;

	host_name(host, sizeof(host));
	/* Printable ASCII only: json_pack refuses invalid UTF-8. */
	copy_printable(cmd, sizeof(cmd), command ? command : "excert");
	if (!gmtime_r(&t, &tm) ||
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		since[0] = '\0';
	o = json_pack("{s:I,s:s,s:s,s:s}", "pid", (json_int_t)getpid(), "host",
	              host, "since", since, "command", cmd);
	json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!json) {
		fprintf(stderr, "excert: out of memory\n");
		exit(1);
	}
	xc_buf_init(&b, 0);
	xc_buf_printf(&b, "%s\n", json);
	free(json);
	return xc_buf_detach(&b, NULL);
}

int xc_store_lock(struct xc_store *s, const char *command, int wait_seconds,
                  char *note, size_t note_size, struct xc_error *err)
{
	long long deadline;
	struct holder prev;
	char *line;
	int fd = -1;
	int tries;
	int e;

	if (note && note_size > 0)
		note[0] = '\0';
	if (s->lockfd >= 0)
		return xc_error_set(
		        err, XC_EINVAL,
		        "state directory %s is already locked by this handle",
		        s->dir);
	if (wait_seconds < 0)
		wait_seconds = 0;
	deadline = xc_clock_ms() + (long long)wait_seconds * 1000;
	for (tries = 0;; tries++) {
		int rc;

		fd = openat(s->dirfd, LOCK_FILE,
		            O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return io_error(err, errno, "open", s, LOCK_FILE);
		rc = lock_poll(fd, deadline);
		if (rc == 1) {
			struct holder h;

			holder_read(fd, &h);
			close(fd);
			return locked_error(s, &h, wait_seconds, err);
		}
		if (rc < 0) {
			e = errno;
			close(fd);
			return io_error(err, e, "lock", s, LOCK_FILE);
		}
		/* Someone replaced DIR/lock between our open and our flock:
		 * the lock on the old inode protects nothing. */
		if (lock_is_current(s, fd))
			break;
		close(fd);
		if (tries >= REOPEN_MAX)
			return xc_error_set(
			        err, XC_EIO,
			        "cannot lock '%s/%s': it keeps being replaced",
			        s->dir, LOCK_FILE);
	}
	/* The lock is ours; a holder still named in the file died with it. */
	holder_read(fd, &prev);
	line = holder_line(command);
	if (ftruncate(fd, 0) != 0 || write_all(fd, line, strlen(line)) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		free(line);
		flock(fd, LOCK_UN);
		close(fd);
		return io_error(err, e, "write", s, LOCK_FILE);
	}
	free(line);
	takeover_note(&prev, note, note_size);
	s->lockfd = fd;
	return 0;
}

void xc_store_unlock(struct xc_store *s)
{
	if (!s || s->lockfd < 0)
		return;
	/* An empty lock file says "released cleanly". */
	if (ftruncate(s->lockfd, 0) == 0)
		fsync(s->lockfd);
	flock(s->lockfd, LOCK_UN);
	close(s->lockfd);
	s->lockfd = -1;
}

/* ---- the journal ---- */

/*
 * Finds the end of the last complete line of a file of size bytes (0 when
 * there is none).  Returns 0, or -1 with errno.
 */
static int complete_end(int fd, off_t size, off_t *end_out)
{
	char buf[4096];
	off_t pos = size;

	while (pos > 0) {
		size_t want =
		        pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t n = pread(fd, buf, want, pos - (off_t)want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if ((size_t)n != want) {
			errno = EIO;
			return -1;
		}
		while (n > 0) {
			if (buf[n - 1] == '\n') {
				*end_out = pos - (off_t)want + n;
				return 0;
			}
			n--;
		}
		pos -= (off_t)want;
	}
	*end_out = 0;
	return 0;
}

int xc_store_journal(struct xc_store *s, const char *json_line,
                     struct xc_error *err)
{
	json_error_t jerr;
	json_t *root;
	struct stat st;
	off_t end;
	char *buf;
	size_t n;
	int fd;
	int e;

	if (s->lockfd < 0)
		return xc_error_set(
		        err, XC_EINVAL,
		        "the journal of %s is written only while holding its lock",
		        s->dir);
	if (!json_line)
		return xc_error_set(err, XC_EINVAL, "no journal entry given");
	n = strlen(json_line);
	if (memchr(json_line, '\n', n))
		return xc_error_set(err, XC_EINVAL,
		                    "a journal entry must be one line");
	root = json_loadb(json_line, n, 0, &jerr);
	if (!root)
		return xc_error_set(err, XC_EINVAL,
		                    "a journal entry must be a JSON object: %s",
		                    jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return xc_error_set(err, XC_EINVAL,
		                    "a journal entry must be a JSON object");
	}
	json_decref(root);

	fd = openat(s->dirfd, JOURNAL_FILE,
	            O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_error(err, errno, "open", s, JOURNAL_FILE);
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return xc_error_set(err, XC_EIO,
		                    "'%s/%s' is not a regular file", s->dir,
		                    JOURNAL_FILE);
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0)
		goto fail;
	/* A holder that died mid-append left a torn line that no one was
	 * told about: cut it, or the new entry would be glued to it. */
	if (complete_end(fd, st.st_size, &end) != 0)
		goto fail;
	if (end < st.st_size && ftruncate(fd, end) != 0)
		goto fail;
	/* One write for the line and its newline. */
	buf = xc_xmalloc(n + 1);
	memcpy(buf, json_line, n);
	buf[n] = '\n';
	if (write_all(fd, buf, n + 1) != 0) {
		e = errno;
		free(buf);
		if (ftruncate(fd, end) != 0) {
			/* The torn line is cut on the next append. */
		}
		close(fd);
		return io_error(err, e, "append to", s, JOURNAL_FILE);
	}
	free(buf);
	if (fsync(fd) != 0)
		goto fail;
	/* A journal that was just created must stay in the directory. */
	if (end == 0 && fsync(s->dirfd) != 0)
		goto fail;
	if (close(fd) != 0)
		return io_error(err, errno, "append to", s, JOURNAL_FILE);
	return 0;
fail:
	e = errno;
	close(fd);
	return io_error(err, e, "append to", s, JOURNAL_FILE);
}

int xc_store_journal_read(struct xc_store *s, char ***lines_out, size_t *n_out,
                          struct xc_error *err)
{
	char **lines = NULL;
	size_t n = 0;
	size_t cap = 0;
	char *text;
	size_t len;
	size_t start;
	size_t i;
	int rc;

	*lines_out = NULL;
	*n_out = 0;
	rc = xc_store_read(s, JOURNAL_FILE, XC_STORE_JOURNAL_MAX, &text, &len,
	                   err);
	if (rc == XC_ENOTFOUND) {
		xc_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	/* Only lines with their newline count: the last one may be torn. */
	for (start = 0, i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		if (i > start) {
			void *v = lines;

			xc_xgrow(&v, &cap, n + 1, sizeof(*lines));
			lines = v;
			lines[n++] = xc_xstrndup(text + start, i - start);
		}
		start = i + 1;
	}
	free(text);
	*lines_out = lines;
	*n_out = n;
	return 0;
}

void xc_store_lines_free(char **lines, size_t n)
{
	size_t i;

	if (!lines)
		return;
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}
