/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for state/store.h: the state directory, atomic files, the
 * journal and the lock (with forked holders, alive, released and killed).
 * Each test works in its own directory under /tmp, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "state/store.h"
#include "state/xalloc.h"

struct fixture {
	char top[64];  /* the test's directory under /tmp */
	char dir[128]; /* top/state: the store */
	mode_t umask;  /* to restore */
};

/*
 * The child a test forked and has not reaped yet: when an assertion fails
 * in the middle, teardown kills it before removing the directory it uses.
 */
static pid_t live_child;

static int setup(void **state)
{
	struct fixture *f = xc_xcalloc(1, sizeof(*f));

	snprintf(f->top, sizeof(f->top), "/tmp/xc-store-XXXXXX");
	if (!mkdtemp(f->top)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->top);
	f->umask = umask(022);
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (live_child > 0) {
		kill(live_child, SIGKILL);
		waitpid(live_child, NULL, 0);
		live_child = 0;
	}
	umask(f->umask);
	chmod(f->top, 0700);
	nftw(f->top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct xc_store *open_ok(const char *dir)
{
	struct xc_store *s = NULL;
	struct xc_error err;

	xc_error_clear(&err);
	if (xc_store_open(&s, dir, &err) != 0)
		fail_msg("xc_store_open(%s): %s", dir, err.msg);
	return s;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		fail_msg("lstat(%s): %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static void path_of(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory, sorted, joined with ','. */
static void listing(const char *dir, char *out, size_t size)
{
	char *names[64] = {NULL};
	size_t n = 0;
	size_t i;
	struct dirent *e;
	DIR *d = opendir(dir);

	out[0] = '\0';
	if (!d)
		fail_msg("opendir(%s): %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL && n < 64) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		names[n++] = xc_xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		size_t used = strlen(out);

		snprintf(out + used, size - used, "%s%s", i ? "," : "",
		         names[i]);
		free(names[i]);
	}
}

static void raw_write(const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0600);

	if (fd < 0)
		fail_msg("open(%s): %s", path, strerror(errno));
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void host_name(char *buf, size_t size)
{
	if (gethostname(buf, size) != 0)
		buf[0] = '\0';
	buf[size - 1] = '\0';
}

/* "2026-11-24T19:00:00Z" */
static bool is_iso_utc(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (n != sizeof(shape) - 1)
		return false;
	for (i = 0; i < n; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
		                    : s[i] != shape[i])
			return false;
	}
	return true;
}

/* ---- the directory ---- */

static void test_open_creates_0700(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s;
	char dir[256];
	char p[256];

	/* A umask that would take the owner's write and search bits away:
	 * the store sets 0700 exactly. */
	umask(0277);
	snprintf(dir, sizeof(dir), "%s/a//b/state/", f->top);
	s = open_ok(dir);
	umask(022);
	assert_string_equal(xc_store_dir(s), dir);
	path_of(p, sizeof(p), f->top, "a");
	assert_int_equal(mode_of(p), 0700);
	path_of(p, sizeof(p), f->top, "a/b");
	assert_int_equal(mode_of(p), 0700);
	path_of(p, sizeof(p), f->top, "a/b/state");
	assert_int_equal(mode_of(p), 0700);
	xc_store_close(s);
	/* Opening it again is fine and changes nothing. */
	s = open_ok(dir);
	xc_store_close(s);
	assert_int_equal(mode_of(p), 0700);
	xc_store_close(NULL);
}

struct perm_case {
	mode_t mode;
	const char *want; /* part of the message; NULL: accepted */
};

static const struct perm_case perm_cases[] = {
        {0777, "is writable by group and others (mode 0777)"},
        {0720, "is writable by group (mode 0720)"},
        {0702, "is writable by others (mode 0702)"},
        {01777, "is writable by group and others (mode 1777)"},
        {0770, "is writable by group (mode 0770)"},
        {0700, NULL},
        {0755, NULL},
        {0500, NULL},
};

static void test_open_refuses_unsafe(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s;
	struct xc_error err;
	char p[256];
	size_t i;

	assert_int_equal(mkdir(f->dir, 0700), 0);
	for (i = 0; i < sizeof(perm_cases) / sizeof(perm_cases[0]); i++) {
		const struct perm_case *t = &perm_cases[i];
		int rc;

		assert_int_equal(chmod(f->dir, t->mode), 0);
		s = NULL;
		xc_error_clear(&err);
		rc = xc_store_open(&s, f->dir, &err);
		if (!t->want) {
			if (rc != 0)
				fail_msg("mode %04o refused: %s",
				         (unsigned)t->mode, err.msg);
			xc_store_close(s);
			continue;
		}
		if (rc != XC_EINVAL || s != NULL)
			fail_msg("mode %04o: rc %d, want XC_EINVAL",
			         (unsigned)t->mode, rc);
		if (!strstr(err.msg, t->want) || !strstr(err.msg, f->dir) ||
		    !strstr(err.msg, "chmod 0700"))
			fail_msg("mode %04o: message '%s'", (unsigned)t->mode,
			         err.msg);
	}
	assert_int_equal(chmod(f->dir, 0700), 0);

	/* Owned by someone else: only root can make one. */
	if (geteuid() == 0) {
		assert_int_equal(chown(f->dir, 65534, 65534), 0);
		s = NULL;
		assert_int_equal(xc_store_open(&s, f->dir, &err), XC_EINVAL);
		assert_null(s);
		assert_non_null(strstr(err.msg, "belongs to uid 65534"));
		assert_non_null(strstr(err.msg, "not to the user"));
		assert_int_equal(chown(f->dir, 0, 0), 0);
	} else {
		print_message("[     SKIP ] not root: cannot test a store "
		              "owned by another user\n");
	}

	/* Not a directory, or under a file. */
	path_of(p, sizeof(p), f->top, "file");
	raw_write(p, "x", 0);
	assert_int_equal(xc_store_open(&s, p, &err), XC_EINVAL);
	assert_non_null(strstr(err.msg, "is not a directory"));
	path_of(p, sizeof(p), f->top, "file/state");
	assert_true(xc_store_open(&s, p, &err) < 0);
	assert_int_equal(xc_store_open(&s, "", &err), XC_EINVAL);
	assert_int_equal(xc_store_open(&s, NULL, &err), XC_EINVAL);
}

struct env_case {
	const char *xdg;  /* NULL: unset */
	const char *home; /* NULL: unset */
	const char *org;
	const char *want; /* NULL: no default */
};

static const struct env_case env_cases[] = {
        {"/x/state", "/home/ann", "contoso", "/x/state/excert/contoso"},
        {"/x/state/", "/home/ann", "contoso", "/x/state/excert/contoso"},
        {NULL, "/home/ann", "contoso", "/home/ann/.local/state/excert/contoso"},
        {"", "/home/ann/", "fabrikam",
         "/home/ann/.local/state/excert/fabrikam"},
        /* A relative XDG_STATE_HOME is invalid by the XDG specification. */
        {"rel/state", "/home/ann", "contoso",
         "/home/ann/.local/state/excert/contoso"},
        {"/x", NULL, "tail-spin_2.org", "/x/excert/tail-spin_2.org"},
        {NULL, NULL, "contoso", NULL},
        {"", "", "contoso", NULL},
        {"rel", NULL, "contoso", NULL},
        /* The organisation must stay one directory below excert/. */
        {"/x", "/home/ann", "..", NULL},
        {"/x", "/home/ann", ".", NULL},
        {"/x", "/home/ann", "", NULL},
        {"/x", "/home/ann", "a/b", NULL},
        {"/x", "/home/ann", "../../etc", NULL},
        {"/x", "/home/ann", NULL, NULL},
};

/*
 * putenv with static buffers: setenv's copies look "possibly lost" to
 * valgrind once replaced.
 */
static void set_or_unset(const char *name, const char *value)
{
	static char xdg[512];
	static char home[512];
	char *buf = strcmp(name, "HOME") == 0 ? home : xdg;

	if (!value) {
		unsetenv(name);
		return;
	}
	snprintf(buf, 512, "%s=%s", name, value);
	putenv(buf);
}

static void test_default_dir(void **state)
{
	char *saved_xdg = NULL;
	char *saved_home = NULL;
	const char *v;
	size_t i;

	(void)state;
	v = getenv("XDG_STATE_HOME");
	if (v)
		saved_xdg = xc_xstrdup(v);
	v = getenv("HOME");
	if (v)
		saved_home = xc_xstrdup(v);
	for (i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		const struct env_case *t = &env_cases[i];
		char *got;

		set_or_unset("XDG_STATE_HOME", t->xdg);
		set_or_unset("HOME", t->home);
		got = xc_store_default_dir(t->org);
		if (!t->want && got)
			fail_msg("case %zu: got '%s', want NULL", i, got);
		if (t->want && (!got || strcmp(got, t->want) != 0))
			fail_msg("case %zu: got '%s', want '%s'", i,
			         got ? got : "(null)", t->want);
		free(got);
	}
	set_or_unset("XDG_STATE_HOME", saved_xdg);
	set_or_unset("HOME", saved_home);
	free(saved_xdg);
	free(saved_home);
}

/* ---- files ---- */

static void test_write_atomic_modes(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	char list[512];
	char p[256];
	char *out;
	size_t len;

	/* A umask that would turn 0644 into 0400 and 0700 into 0500: the
	 * modes are exact. */
	umask(0277);
	assert_int_equal(
	        xc_store_write(s, "account.json", "{\"k\":1}", 7, 0600, &err),
	        0);
	assert_int_equal(xc_store_write(s, "orders/mail.json", "{\"o\":2}", 7,
	                                0644, &err),
	                 0);
	assert_int_equal(
	        xc_store_write(s, "orders/deep/er/x.pem", "PEM", 3, 0640, &err),
	        0);
	umask(022);
	path_of(p, sizeof(p), f->dir, "account.json");
	assert_int_equal(mode_of(p), 0600);
	path_of(p, sizeof(p), f->dir, "orders/mail.json");
	assert_int_equal(mode_of(p), 0644);
	path_of(p, sizeof(p), f->dir, "orders/deep/er/x.pem");
	assert_int_equal(mode_of(p), 0640);
	path_of(p, sizeof(p), f->dir, "orders");
	assert_int_equal(mode_of(p), 0700);
	path_of(p, sizeof(p), f->dir, "orders/deep/er");
	assert_int_equal(mode_of(p), 0700);

	/* Replacing: new contents, new mode, still no temporary file. */
	assert_int_equal(
	        xc_store_write(s, "account.json", "{\"k\":22}", 8, 0644, &err),
	        0);
	path_of(p, sizeof(p), f->dir, "account.json");
	assert_int_equal(mode_of(p), 0644);
	assert_int_equal(
	        xc_store_write(s, "account.json", "{\"k\":333}", 9, 0600, &err),
	        0);
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(xc_store_read(s, "account.json", 0, &out, &len, &err),
	                 0);
	assert_int_equal(len, 9);
	assert_string_equal(out, "{\"k\":333}");
	free(out);

	/* Bytes, NULs included; and an empty file. */
	assert_int_equal(xc_store_write(s, "bin.dat", "a\0b\0c", 5, 0600, &err),
	                 0);
	assert_int_equal(xc_store_read(s, "bin.dat", 5, &out, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "a\0b\0c", 5);
	free(out);
	assert_int_equal(xc_store_write(s, "empty", NULL, 0, 0600, &err), 0);
	assert_int_equal(xc_store_read(s, "empty", 10, &out, NULL, &err), 0);
	assert_string_equal(out, "");
	free(out);

	listing(f->dir, list, sizeof(list));
	assert_string_equal(list, "account.json,bin.dat,empty,orders");
	path_of(p, sizeof(p), f->dir, "orders");
	listing(p, list, sizeof(list));
	assert_string_equal(list, "deep,mail.json");
	path_of(p, sizeof(p), f->dir, "orders/deep/er");
	listing(p, list, sizeof(list));
	assert_string_equal(list, "x.pem");
	xc_store_close(s);
}

/* A write that cannot be renamed into place leaves nothing behind. */
static void test_write_failure_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	char list[512];
	char p[256];

	path_of(p, sizeof(p), f->dir, "taken");
	assert_int_equal(mkdir(p, 0700), 0);
	path_of(p, sizeof(p), f->dir, "taken/inside");
	raw_write(p, "keep", 0);
	assert_int_equal(xc_store_write(s, "taken", "x", 1, 0600, &err),
	                 XC_EIO);
	assert_non_null(strstr(err.msg, "taken"));
	path_of(p, sizeof(p), f->dir, "taken");
	listing(p, list, sizeof(list));
	assert_string_equal(list, "inside");
	listing(f->dir, list, sizeof(list));
	assert_string_equal(list, "taken");

	/* A file where a directory is needed. */
	assert_int_equal(xc_store_write(s, "plain", "x", 1, 0600, &err), 0);
	assert_int_equal(xc_store_write(s, "plain/sub", "x", 1, 0600, &err),
	                 XC_EIO);
	assert_non_null(strstr(err.msg, "not a directory"));
	listing(f->dir, list, sizeof(list));
	assert_string_equal(list, "plain,taken");
	xc_store_close(s);
}

/*
 * A writer replaces a file 150 times while this process reads it: every
 * read sees one whole version, never a mix, a short or an empty file.
 */
#define RACE_SIZE 8192
#define RACE_WRITES 150

static void test_write_readers_see_whole_versions(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	static char a[RACE_SIZE];
	static char b[RACE_SIZE];
	unsigned reads = 0;
	char list[256];
	int status;
	pid_t pid;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	assert_int_equal(xc_store_write(s, "race", a, sizeof(a), 0600, &err),
	                 0);
	pid = fork();
	assert_true(pid >= 0);
	live_child = pid;
	if (pid == 0) {
		int i;

		for (i = 0; i < RACE_WRITES; i++)
			if (xc_store_write(s, "race", i % 2 ? a : b, RACE_SIZE,
			                   0600, &err) != 0)
				_exit(1);
		_exit(0);
	}
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);
		char *out;
		size_t len;

		assert_int_equal(
		        xc_store_read(s, "race", RACE_SIZE, &out, &len, &err),
		        0);
		reads++;
		if (len != RACE_SIZE ||
		    (memcmp(out, a, len) != 0 && memcmp(out, b, len) != 0))
			fail_msg("read %u saw a mixed version (%zu bytes)",
			         reads, len);
		free(out);
		if (done == pid)
			break;
	}
	live_child = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(reads > 1);
	listing(f->dir, list, sizeof(list));
	assert_string_equal(list, "race");
	xc_store_close(s);
}

static void test_read_missing_and_limits(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	char text[101];
	char p[256];
	char *out = (char *)1;
	size_t len = 7;

	assert_int_equal(xc_store_read(s, "nope.json", 0, &out, &len, &err),
	                 XC_ENOTFOUND);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_non_null(strstr(err.msg, "nope.json"));
	assert_int_equal(
	        xc_store_read(s, "missing/dir/x.json", 0, &out, NULL, &err),
	        XC_ENOTFOUND);
	assert_null(out);

	memset(text, 'x', 100);
	text[100] = '\0';
	assert_int_equal(xc_store_write(s, "big", text, 100, 0600, &err), 0);
	assert_int_equal(xc_store_read(s, "big", 99, &out, &len, &err),
	                 XC_ENOMEM);
	assert_null(out);
	assert_non_null(strstr(err.msg, "larger than 99 bytes"));
	assert_int_equal(xc_store_read(s, "big", 100, &out, &len, &err), 0);
	assert_int_equal(len, 100);
	assert_string_equal(out, text);
	free(out);
	assert_int_equal(xc_store_read(s, "big", 0, &out, &len, &err), 0);
	free(out);

	/* Not a regular file; a symbolic link planted in the store. */
	assert_int_equal(xc_store_write(s, "d/f", "x", 1, 0600, &err), 0);
	assert_int_equal(xc_store_read(s, "d", 0, &out, &len, &err), XC_EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	path_of(p, sizeof(p), f->dir, "link");
	assert_int_equal(symlink("big", p), 0);
	assert_int_equal(xc_store_read(s, "link", 0, &out, &len, &err),
	                 XC_EINVAL);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_null(out);
	xc_store_close(s);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	char list[256];
	char *out;

	assert_int_equal(
	        xc_store_write(s, "orders/a.json", "{}", 2, 0600, &err), 0);
	assert_int_equal(xc_store_write(s, "keep.json", "{}", 2, 0600, &err),
	                 0);
	assert_int_equal(xc_store_remove(s, "orders/a.json", &err), 0);
	assert_int_equal(xc_store_read(s, "orders/a.json", 0, &out, NULL, &err),
	                 XC_ENOTFOUND);
	/* Absent: no error, also under a missing directory. */
	assert_int_equal(xc_store_remove(s, "orders/a.json", &err), 0);
	assert_int_equal(xc_store_remove(s, "no/such/file.json", &err), 0);
	assert_int_equal(err.code, XC_OK);
	assert_int_equal(xc_store_remove(s, "lock", &err), XC_EINVAL);
	assert_int_equal(xc_store_remove(s, "../keep.json", &err), XC_EINVAL);
	listing(f->dir, list, sizeof(list));
	assert_string_equal(list, "keep.json,orders");
	xc_store_close(s);
}

/* Refused by write, read and remove alike. */
static const char *const bad_names[] = {
        "",      "/etc/passwd", "/abs",        "a//b",      "a/",
        "/",     ".",           "..",          "../x",      "a/../b",
        "a/./b", "a/..",        "./a",         "a b",       "a\\b",
        "a:b",   "a~tmp.1.2",   "caf\xc3\xa9", "tab\there", "new\nline",
        "*",
};

static void test_bad_names(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	char long_name[256];
	char list[256];
	char *out;
	size_t i;

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		const char *n = bad_names[i];

		xc_error_clear(&err);
		if (xc_store_write(s, n, "x", 1, 0600, &err) != XC_EINVAL ||
		    !strstr(err.msg, "invalid state file name"))
			fail_msg("write '%s' not refused: %s", n, err.msg);
		out = (char *)1;
		if (xc_store_read(s, n, 0, &out, NULL, &err) != XC_EINVAL ||
		    out != NULL)
			fail_msg("read '%s' not refused", n);
		if (xc_store_remove(s, n, &err) != XC_EINVAL)
			fail_msg("remove '%s' not refused", n);
	}
	assert_int_equal(xc_store_write(s, NULL, "x", 1, 0600, &err),
	                 XC_EINVAL);
	assert_int_equal(xc_store_write(s, "/etc/passwd", "x", 1, 0600, &err),
	                 XC_EINVAL);
	assert_non_null(strstr(err.msg, "relative to the state directory"));
	/* The store's own files. */
	assert_int_equal(xc_store_write(s, "lock", "x", 1, 0600, &err),
	                 XC_EINVAL);
	assert_non_null(strstr(err.msg, "reserved"));
	assert_int_equal(xc_store_write(s, "journal.jsonl", "x", 1, 0600, &err),
	                 XC_EINVAL);
	/* Modes are permission bits only. */
	assert_int_equal(xc_store_write(s, "m", "x", 1, 01600, &err),
	                 XC_EINVAL);
	assert_int_equal(xc_store_write(s, "m", "x", 1, -1, &err), XC_EINVAL);
	/* Components of up to 200 characters. */
	memset(long_name, 'n', 201);
	long_name[201] = '\0';
	assert_int_equal(xc_store_write(s, long_name, "x", 1, 0600, &err),
	                 XC_EINVAL);
	long_name[200] = '\0';
	assert_int_equal(xc_store_write(s, long_name, "x", 1, 0600, &err), 0);
	assert_int_equal(xc_store_remove(s, long_name, &err), 0);
	/* Names that look odd but are fine. */
	assert_int_equal(xc_store_write(s, ".hidden-_.x", "x", 1, 0600, &err),
	                 0);
	assert_int_equal(xc_store_write(s, "-dash", "x", 1, 0600, &err), 0);

	/* Nothing landed anywhere else. */
	listing(f->top, list, sizeof(list));
	assert_string_equal(list, "state");
	listing(f->dir, list, sizeof(list));
	assert_string_equal(list, "-dash,.hidden-_.x");
	xc_store_close(s);
}

/* ---- the journal ---- */

static void read_journal(struct xc_store *s, const char *want)
{
	struct xc_error err;
	char joined[1024] = "";
	char **lines = (char **)1;
	size_t n = 99;
	size_t i;

	if (xc_store_journal_read(s, &lines, &n, &err) != 0)
		fail_msg("xc_store_journal_read: %s", err.msg);
	for (i = 0; i < n; i++) {
		size_t used = strlen(joined);

		snprintf(joined + used, sizeof(joined) - used, "%s%s",
		         i ? "|" : "", lines[i]);
	}
	if (n == 0)
		assert_null(lines);
	xc_store_lines_free(lines, n);
	assert_string_equal(joined, want);
}

static void test_journal_torn_last_line(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	char note[256];
	char p[256];
	char *text;

	/* Only the holder of the lock appends. */
	assert_int_equal(xc_store_journal(s, "{\"step\":1}", &err), XC_EINVAL);
	assert_non_null(strstr(err.msg, "lock"));
	assert_int_equal(
	        xc_store_lock(s, "excert apply", 0, note, sizeof(note), &err),
	        0);
	read_journal(s, ""); /* none yet */
	assert_int_equal(xc_store_journal(s, "{\"step\":1}", &err), 0);
	assert_int_equal(
	        xc_store_journal(s, "{\"step\":2,\"k\":\"a b\"}", &err), 0);
	path_of(p, sizeof(p), f->dir, "journal.jsonl");
	assert_int_equal(mode_of(p), 0600);

	/* One line, one JSON object. */
	assert_int_equal(xc_store_journal(s, "{\"step\":3}\n", &err),
	                 XC_EINVAL);
	assert_int_equal(xc_store_journal(s, "{\"a\":\n1}", &err), XC_EINVAL);
	assert_int_equal(xc_store_journal(s, "[1]", &err), XC_EINVAL);
	assert_int_equal(xc_store_journal(s, "not json", &err), XC_EINVAL);
	assert_int_equal(xc_store_journal(s, "{\"a\":1} x", &err), XC_EINVAL);
	assert_int_equal(xc_store_journal(s, "", &err), XC_EINVAL);
	assert_int_equal(xc_store_journal(s, NULL, &err), XC_EINVAL);
	read_journal(s, "{\"step\":1}|{\"step\":2,\"k\":\"a b\"}");

	/* An apply killed in the middle of an append. */
	raw_write(p, "{\"step\":3,\"ki", O_APPEND);
	read_journal(s, "{\"step\":1}|{\"step\":2,\"k\":\"a b\"}");
	/* The next append cuts the torn line, not glues itself to it. */
	assert_int_equal(xc_store_journal(s, "{\"step\":4}", &err), 0);
	read_journal(s, "{\"step\":1}|{\"step\":2,\"k\":\"a b\"}|{\"step\":4}");
	assert_int_equal(
	        xc_store_read(s, "journal.jsonl", 0, &text, NULL, &err), 0);
	assert_string_equal(text, "{\"step\":1}\n{\"step\":2,\"k\":\"a b\"}\n"
	                          "{\"step\":4}\n");
	free(text);

	/* A torn line that happens to look whole is still torn. */
	raw_write(p, "{\"step\":5}", O_APPEND);
	read_journal(s, "{\"step\":1}|{\"step\":2,\"k\":\"a b\"}|{\"step\":4}");
	/* A journal that is nothing but a torn line. */
	assert_int_equal(truncate(p, 0), 0);
	raw_write(p, "{\"st", O_APPEND);
	read_journal(s, "");
	assert_int_equal(xc_store_journal(s, "{\"step\":6}", &err), 0);
	read_journal(s, "{\"step\":6}");
	xc_store_unlock(s);
	/* Reading needs no lock. */
	read_journal(s, "{\"step\":6}");
	xc_store_close(s);
}

/* ---- the lock ---- */

enum child_mode {
	HOLD_UNTIL_GO, /* unlock 300 ms after a byte on go; EOF: just exit */
	HOLD_FOREVER,  /* until killed, or go closes */
	DIE_SOON,      /* SIGKILL itself 300 ms after locking */
	REPLACE_FILE,  /* 300 ms after locking: delete DIR/lock, lock the
	                * new file with a second handle, close the first */
};

struct child {
	pid_t pid;
	int go; /* write end */
};

/*
 * Forks a process that opens the store, takes the lock as "excert apply"
 * and says 'L' (or 'E' on failure) on a pipe; returns when it has.
 */
static void child_start(struct child *c, const char *dir, enum child_mode m)
{
	int ready[2];
	int go[2];
	char byte = 0;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	live_child = c->pid;
	if (c->pid == 0) {
		struct xc_store *s = NULL;
		struct xc_error err;
		char note[256];
		char r = 'L';

		close(ready[0]);
		close(go[1]);
		if (xc_store_open(&s, dir, &err) != 0 ||
		    xc_store_lock(s, "excert apply", 0, note, sizeof(note),
		                  &err) != 0)
			r = 'E';
		if (write(ready[1], &r, 1) != 1 || r == 'E')
			_exit(2);
		if (m == DIE_SOON) {
			sleep_ms(300);
			raise(SIGKILL);
		}
		if (m == REPLACE_FILE) {
			struct xc_store *s2 = NULL;
			char p[256];

			sleep_ms(300);
			path_of(p, sizeof(p), dir, "lock");
			if (unlink(p) != 0 ||
			    xc_store_open(&s2, dir, &err) != 0 ||
			    xc_store_lock(s2, "excert apply", 0, note,
			                  sizeof(note), &err) != 0)
				_exit(3);
			xc_store_close(s);
			s = s2;
		}
		if (read(go[0], &r, 1) == 1 && m == HOLD_UNTIL_GO) {
			sleep_ms(300);
			xc_store_unlock(s);
		}
		xc_store_close(s);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	c->go = go[1];
	assert_int_equal(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	assert_int_equal(byte, 'L');
}

static int child_wait(struct child *c)
{
	int status = 0;

	if (c->go >= 0)
		close(c->go);
	c->go = -1;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	live_child = 0;
	return status;
}

/* Checks "state directory DIR is locked by excert apply (pid N on HOST,
 * since 2026-...Z)" followed by tail. */
static void check_locked_msg(const char *msg, const char *dir, pid_t pid,
                             const char *tail)
{
	char host[256];
	char want[512];
	size_t n;
	const char *since;

	host_name(host, sizeof(host));
	snprintf(
	        want, sizeof(want),
	        "state directory %s is locked by excert apply (pid %ld on %s, since ",
	        dir, (long)pid, host);
	n = strlen(want);
	if (strncmp(msg, want, n) != 0)
		fail_msg("message '%s', want '%s...'", msg, want);
	since = msg + n;
	if (!is_iso_utc(since, 20) || strcmp(since + 20, tail) != 0)
		fail_msg("message '%s': bad time or tail", msg);
}

static void test_lock_child_holds_then_releases(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	struct child c;
	char note[256] = "junk";
	long long t0;
	long long waited;
	int status;

	child_start(&c, f->dir, HOLD_UNTIL_GO);
	t0 = ms_now();
	assert_int_equal(
	        xc_store_lock(s, "excert plan", 0, note, sizeof(note), &err),
	        XC_ELOCKED);
	assert_true(ms_now() - t0 < 1000); /* 0: no waiting */
	assert_string_equal(note, "");
	check_locked_msg(err.msg, f->dir, c.pid, ")");

	/* The child unlocks 300 ms after this byte; we wait up to 5 s. */
	assert_int_equal(write(c.go, "u", 1), 1);
	t0 = ms_now();
	if (xc_store_lock(s, "excert apply", 5, note, sizeof(note), &err) != 0)
		fail_msg("lock after waiting: %s", err.msg);
	waited = ms_now() - t0;
	if (waited < 200 || waited > 4000)
		fail_msg("waited %lld ms", waited);
	/* It unlocked cleanly: nothing to take over. */
	assert_string_equal(note, "");
	status = child_wait(&c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	xc_store_unlock(s);
	xc_store_close(s);
}

static void test_lock_wait_gives_up(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	struct child c;
	char note[256];
	long long t0;
	long long waited;

	child_start(&c, f->dir, HOLD_FOREVER);
	t0 = ms_now();
	assert_int_equal(
	        xc_store_lock(s, "excert apply", 1, note, sizeof(note), &err),
	        XC_ELOCKED);
	waited = ms_now() - t0;
	if (waited < 900 || waited > 3000)
		fail_msg("waited %lld ms for a 1 s wait", waited);
	check_locked_msg(err.msg, f->dir, c.pid, "); gave up after 1 s");
	child_wait(&c);
	xc_store_close(s);
}

static void test_lock_takeover_after_sigkill(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	struct child c;
	char note[256];
	char want[128];
	char *text;
	json_t *root;
	int status;

	child_start(&c, f->dir, HOLD_FOREVER);
	assert_int_equal(kill(c.pid, SIGKILL), 0);
	status = child_wait(&c);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	if (xc_store_lock(s, "excert apply", 0, note, sizeof(note), &err) != 0)
		fail_msg("lock after the holder died: %s", err.msg);
	snprintf(want, sizeof(want),
	         "taking over the lock of pid %ld (excert apply since ",
	         (long)c.pid);
	if (strncmp(note, want, strlen(want)) != 0 ||
	    !is_iso_utc(note + strlen(want), 20) ||
	    strcmp(note + strlen(want) + 20, "), which is no longer running") !=
	            0)
		fail_msg("note '%s'", note);

	/* The lock file now names this process. */
	assert_int_equal(xc_store_read(s, "lock", 4096, &text, NULL, &err), 0);
	root = json_loads(text, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "pid")),
	                 getpid());
	json_decref(root);
	free(text);
	xc_store_close(s);
}

/* The holder dies while we wait for it. */
static void test_lock_holder_dies_while_waiting(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	struct child c;
	char note[256];
	char want[128];
	long long t0;
	int status;

	child_start(&c, f->dir, DIE_SOON);
	t0 = ms_now();
	if (xc_store_lock(s, "excert apply", 5, note, sizeof(note), &err) != 0)
		fail_msg("lock: %s", err.msg);
	assert_true(ms_now() - t0 >= 200);
	/* Not reaped yet, the child may still be a zombie: either wording. */
	snprintf(want, sizeof(want), "taking over the lock of pid %ld (",
	         (long)c.pid);
	if (strncmp(note, want, strlen(want)) != 0)
		fail_msg("note '%s'", note);
	status = child_wait(&c);
	assert_true(WIFSIGNALED(status));
	xc_store_close(s);
}

/*
 * DIR/lock is deleted and locked anew while we wait on the old file: when
 * the old file is released, holding it means nothing; we must wait for the
 * new one.
 */
static void test_lock_file_replaced_while_waiting(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	struct child c;
	char note[256];
	int status;

	child_start(&c, f->dir, REPLACE_FILE);
	assert_int_equal(
	        xc_store_lock(s, "excert apply", 1, note, sizeof(note), &err),
	        XC_ELOCKED);
	check_locked_msg(err.msg, f->dir, c.pid, "); gave up after 1 s");
	status = child_wait(&c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	xc_store_close(s);
}

struct stale_case {
	const char *content; /* "%d": a pid filled in */
	int pid_kind;        /* 0: none, 1: this process, 2: a dead one */
	const char *want;    /* the note, "%d" filled in likewise */
};

static const struct stale_case stale_cases[] = {
        {"{\"pid\":4242,\"host\":\"elsewhere.example\",\"since\":\"2026-11-24T19:00:00Z\",\"command\":\"excert apply\"}\n",
         0,
         "taking over the lock of pid 4242 on elsewhere.example (excert apply since 2026-11-24T19:00:00Z), which no longer holds it"},
        {"{\"pid\":%d,\"host\":\"%s\",\"since\":\"2026-11-24T19:00:00Z\",\"command\":\"excert apply\"}\n",
         1,
         "taking over the lock of pid %d (excert apply since 2026-11-24T19:00:00Z), which no longer holds it (the pid now belongs to another process)"},
        {"{\"pid\":%d,\"host\":\"%s\",\"since\":\"2026-11-24T19:00:00Z\",\"command\":\"excert apply --target mail\"}\n",
         2,
         "taking over the lock of pid %d (excert apply --target mail since 2026-11-24T19:00:00Z), which is no longer running"},
        {"{\"pid\":%d}", 2,
         "taking over the lock of pid %d (excert since an unknown time), which is no longer running"},
        {"not json\n", 0,
         "taking over the lock from a holder that no longer holds it (its lock file could not be read)"},
        {"{\"pid\":-1,\"host\":\"x\"}\n", 0,
         "taking over the lock from a holder that no longer holds it (its lock file could not be read)"},
        {"{\"pid\":0}\n", 0,
         "taking over the lock from a holder that no longer holds it (its lock file could not be read)"},
        {"", 0, ""},
        {" \n", 0, ""},
};

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void test_lock_stale_files(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_error err;
	char host[256];
	char p[256];
	size_t i;

	host_name(host, sizeof(host));
	path_of(p, sizeof(p), f->dir, "lock");
	for (i = 0; i < sizeof(stale_cases) / sizeof(stale_cases[0]); i++) {
		const struct stale_case *t = &stale_cases[i];
		int pid = t->pid_kind == 1   ? (int)getpid()
		          : t->pid_kind == 2 ? (int)dead_pid()
		                             : 0;
		char content[512];
		char want[512];
		char note[512] = "junk";

		if (t->pid_kind) {
			snprintf(content, sizeof(content), t->content, pid,
			         host);
			snprintf(want, sizeof(want), t->want, pid);
		} else {
			snprintf(content, sizeof(content), "%s", t->content);
			snprintf(want, sizeof(want), "%s", t->want);
		}
		raw_write(p, content, O_TRUNC);
		if (xc_store_lock(s, "excert apply", 0, note, sizeof(note),
		                  &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		if (strcmp(note, want) != 0)
			fail_msg("case %zu: note '%s', want '%s'", i, note,
			         want);
		xc_store_unlock(s);
	}
	/* A short note buffer is cut, never overrun; NULL is fine. */
	raw_write(p, stale_cases[0].content, O_TRUNC);
	{
		char tiny[8];

		assert_int_equal(
		        xc_store_lock(s, NULL, 0, tiny, sizeof(tiny), &err), 0);
		assert_string_equal(tiny, "taking ");
		xc_store_unlock(s);
	}
	raw_write(p, stale_cases[0].content, O_TRUNC);
	assert_int_equal(xc_store_lock(s, NULL, 0, NULL, 0, &err), 0);
	xc_store_unlock(s);
	xc_store_close(s);
}

static void test_lock_line_and_unlock(void **state)
{
	struct fixture *f = *state;
	struct xc_store *s = open_ok(f->dir);
	struct xc_store *s2 = open_ok(f->dir);
	struct xc_error err;
	char host[256];
	char note[256];
	char p[256];
	const char *since;
	json_t *root;
	char *text;
	size_t len;

	assert_int_equal(xc_store_lock(s, "excert apply --auto-approve", 0,
	                               note, sizeof(note), &err),
	                 0);
	assert_string_equal(note, "");
	path_of(p, sizeof(p), f->dir, "lock");
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(xc_store_read(s, "lock", 4096, &text, &len, &err), 0);
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_null(memchr(text, '\n', len - 1)); /* one line */
	root = json_loads(text, 0, NULL);
	assert_non_null(root);
	host_name(host, sizeof(host));
	assert_int_equal(json_integer_value(json_object_get(root, "pid")),
	                 getpid());
	assert_string_equal(json_string_value(json_object_get(root, "host")),
	                    host);
	assert_string_equal(json_string_value(json_object_get(root, "command")),
	                    "excert apply --auto-approve");
	since = json_string_value(json_object_get(root, "since"));
	assert_non_null(since);
	assert_true(is_iso_utc(since, strlen(since)));
	json_decref(root);
	free(text);

	/* Once per handle; and a second handle, even in this process, waits
	 * like anyone else. */
	assert_int_equal(
	        xc_store_lock(s, "excert apply", 0, note, sizeof(note), &err),
	        XC_EINVAL);
	assert_int_equal(
	        xc_store_lock(s2, "excert apply", 0, note, sizeof(note), &err),
	        XC_ELOCKED);
	assert_non_null(strstr(err.msg, "excert apply --auto-approve (pid "));
	assert_int_equal(xc_store_journal(s2, "{\"a\":1}", &err), XC_EINVAL);

	/* Unlock clears the holder line: no takeover afterwards. */
	xc_store_unlock(s);
	xc_store_unlock(s); /* a no-op */
	assert_int_equal(xc_store_read(s, "lock", 4096, &text, &len, &err), 0);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(
	        xc_store_lock(s2, "excert apply", 0, note, sizeof(note), &err),
	        0);
	assert_string_equal(note, "");
	/* Close releases and clears too. */
	xc_store_close(s2);
	assert_int_equal(
	        xc_store_lock(s, "excert apply", 0, note, sizeof(note), &err),
	        0);
	assert_string_equal(note, "");
	xc_store_close(s);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_open_creates_0700),
	        T(test_open_refuses_unsafe),
	        T(test_default_dir),
	        T(test_write_atomic_modes),
	        T(test_write_failure_leaves_nothing),
	        T(test_write_readers_see_whole_versions),
	        T(test_read_missing_and_limits),
	        T(test_remove),
	        T(test_bad_names),
	        T(test_journal_torn_last_line),
	        T(test_lock_child_holds_then_releases),
	        T(test_lock_wait_gives_up),
	        T(test_lock_takeover_after_sigkill),
	        T(test_lock_holder_dies_while_waiting),
	        T(test_lock_file_replaced_while_waiting),
	        T(test_lock_stale_files),
	        T(test_lock_line_and_unlock),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
