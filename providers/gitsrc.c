/* SPDX-License-Identifier: MIT */
#include "providers/gitsrc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <ldns/ldns.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/buf.h"
#include "state/xalloc.h"

static void git_init_once(void)
{
	static int done;

	if (!done) {
		git_libgit2_init();
		done = 1;
	}
}

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

void xc_source_release(struct xc_source *src)
{
	free(src->data);
	free(src->label);
	memset(src, 0, sizeof(*src));
}

static int read_worktree(struct xc_source *out, const char *path,
                         size_t max_bytes, struct xc_error *err)
{
	struct xc_buf b;
	struct stat st;
	char chunk[8192];
	int fd;

	/* O_NONBLOCK: a FIFO given by mistake must not hang excert. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return xc_error_set(
		        err, XC_ENOTFOUND,
		        "cannot open '%s': %s (start a desired state with 'excert init DIR', or name one with -C DIR or -c FILE)",
		        path, strerror(errno));
	if (fd < 0)
		return xc_error_set(err, XC_EIO, "cannot open '%s': %s", path,
		                    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return xc_error_set(err, XC_EINVAL,
		                    "'%s' is not a regular file", path);
	}
	xc_buf_init(&b, max_bytes + 1);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		size_t room = b.max - b.len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			xc_buf_release(&b);
			return xc_error_set(err, XC_EIO, "cannot read '%s': %s",
			                    path, strerror(errno));
		}
		if (n == 0)
			break;
		xc_buf_add(&b, chunk, (size_t)n < room ? (size_t)n : room);
		if (b.len == b.max)
			break;
	}
	close(fd);
	out->data = xc_buf_detach(&b, &out->len);
	return 0;
}

/* Absolute, lexically normalised form of path (no symlinks resolved). */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *real;
	char *dir;
	char *slash;
	char *joined;
	size_t n;

	real = realpath(path, NULL);
	if (real)
		return real;
	/* The file may not exist in the work tree (--ref to an old commit):
	 * resolve its directory instead. */
	dir = xc_xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		real = realpath(*dir ? dir : "/", NULL);
		if (real) {
			n = strlen(real) + strlen(slash + 1) + 2;
			joined = xc_xmalloc(n);
			snprintf(joined, n, "%s/%s", real, slash + 1);
			free(real);
			free(dir);
			return joined;
		}
		free(dir);
		return NULL;
	}
	free(dir);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	real = realpath(cwd, NULL);
	if (!real)
		return NULL;
	n = strlen(real) + strlen(path) + 2;
	joined = xc_xmalloc(n);
	snprintf(joined, n, "%s/%s", real, path);
	free(real);
	return joined;
}

/* Opens the repository holding abs; returns 0, GIT_ENOTFOUND or another
 * libgit2 code.  *rel_out is abs relative to the work tree (caller frees). */
static int open_repo(git_repository **repo_out, char **rel_out, const char *abs,
                     struct xc_error *err)
{
	git_repository *repo = NULL;
	char *dir = xc_xstrdup(abs);
	char *slash = strrchr(dir, '/');
	const char *wd;
	char *wdreal;
	size_t n;
	int rc;

	*repo_out = NULL;
	*rel_out = NULL;
	if (slash)
		*slash = '\0';
	rc = git_repository_open_ext(&repo, *dir ? dir : "/", 0, NULL);
	free(dir);
	if (rc == GIT_ENOTFOUND)
		return rc;
	if (rc < 0) {
		const git_error *e = git_error_last();

		if (e && e->klass == GIT_ERROR_CONFIG &&
		    strstr(e->message, "safe.directory"))
			xc_error_set(
			        err, XC_EAUTH,
			        "the git repository holding '%s' belongs to another user; if you trust it, run: git config --global --add safe.directory <its directory>",
			        abs);
		else
			xc_error_set(
			        err, XC_EIO,
			        "cannot open the git repository holding '%s': %s",
			        abs, git_msg());
		return rc;
	}
	wd = git_repository_workdir(repo);
	if (!wd) {
		git_repository_free(repo);
		xc_error_set(err, XC_EINVAL,
		             "the repository holding '%s' is bare", abs);
		return -1;
	}
	wdreal = realpath(wd, NULL);
	if (!wdreal)
		wdreal = xc_xstrdup(wd);
	n = strlen(wdreal);
	while (n > 1 && wdreal[n - 1] == '/')
		wdreal[--n] = '\0';
	if (strncmp(abs, wdreal, n) != 0 || abs[n] != '/') {
		xc_error_set(err, XC_EINVAL,
		             "'%s' is outside the repository at '%s'", abs,
		             wdreal);
		free(wdreal);
		git_repository_free(repo);
		return -1;
	}
	*rel_out = xc_xstrdup(abs + n + 1);
	free(wdreal);
	*repo_out = repo;
	return 0;
}

static void head_commit(git_repository *repo, char out[41])
{
	git_object *obj = NULL;

	out[0] = '\0';
	/* An unborn HEAD (no commit yet) simply has no id. */
	if (git_revparse_single(&obj, repo, "HEAD^{commit}") == 0) {
		git_oid_tostr(out, 41, git_object_id(obj));
		git_object_free(obj);
	}
}

static int read_at_ref(struct xc_source *out, git_repository *repo,
                       const char *rel, const char *path, const char *ref,
                       size_t max_bytes, struct xc_error *err)
{
	git_object *obj = NULL;
	git_object *commit_obj = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	size_t size;
	char shortid[12];
	int rc;

	if (git_revparse_single(&obj, repo, ref) < 0) {
		rc = xc_error_set(
		        err, XC_ENOTFOUND,
		        "unknown revision '%s' in the repository of '%s'", ref,
		        path);
		goto out;
	}
	if (git_object_peel(&commit_obj, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = xc_error_set(err, XC_EINVAL,
		                  "revision '%s' does not name a commit", ref);
		goto out;
	}
	git_oid_tostr(out->commit, sizeof(out->commit),
	              git_object_id(commit_obj));
	snprintf(shortid, sizeof(shortid), "%.10s", out->commit);
	if (git_commit_tree(&tree, (git_commit *)commit_obj) < 0) {
		rc = xc_error_set(err, XC_EIO, "cannot read the tree of %s: %s",
		                  shortid, git_msg());
		goto out;
	}
	if (git_tree_entry_bypath(&entry, tree, rel) < 0) {
		rc = xc_error_set(err, XC_ENOTFOUND,
		                  "'%s' does not exist at '%s' (commit %s)",
		                  rel, ref, shortid);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		rc = xc_error_set(err, XC_EINVAL,
		                  "'%s' is not a file at '%s' (commit %s)", rel,
		                  ref, shortid);
		goto out;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		rc = xc_error_set(err, XC_EIO, "cannot read '%s' at %s: %s",
		                  rel, shortid, git_msg());
		goto out;
	}
	size = (size_t)git_blob_rawsize(blob);
	if (size > max_bytes + 1)
		size = max_bytes + 1;
	out->data = xc_xstrndup(git_blob_rawcontent(blob), size);
	out->len = size;
	rc = 0;
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_object_free(commit_obj);
	git_object_free(obj);
	return rc;
}

int xc_source_read(struct xc_source *out, const char *path, const char *ref,
                   size_t max_bytes, struct xc_error *err)
{
	git_repository *repo = NULL;
	char *abs = NULL;
	char *rel = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	git_init_once();
	abs = absolute(path);
	if (!abs) {
		rc = ref ? xc_error_set(err, XC_ENOTFOUND,
		                        "cannot resolve '%s': %s", path,
		                        strerror(errno))
		         : read_worktree(out, path, max_bytes, err);
		if (rc == 0)
			out->label = xc_xstrdup(path);
		goto out;
	}
	rc = open_repo(&repo, &rel, abs, err);
	if (rc == GIT_ENOTFOUND) {
		if (ref) {
			rc = xc_error_set(
			        err, XC_ENOTFOUND,
			        "not a git repository: no .git in the directory of '%s' or above it (needed by --ref)",
			        path);
			goto out;
		}
		rc = read_worktree(out, path, max_bytes, err);
		if (rc == 0)
			out->label = xc_xstrdup(path);
		goto out;
	}
	if (rc < 0) {
		rc = err->code ? (int)err->code : XC_EIO;
		goto out;
	}
	out->in_repo = true;
	if (ref) {
		rc = read_at_ref(out, repo, rel, path, ref, max_bytes, err);
		if (rc == 0) {
			n = strlen(ref) + strlen(path) + 2;
			out->label = xc_xmalloc(n);
			snprintf(out->label, n, "%s:%s", ref, path);
		}
	} else {
		unsigned int flags = 0;

		rc = read_worktree(out, path, max_bytes, err);
		if (rc < 0)
			goto out;
		out->label = xc_xstrdup(path);
		head_commit(repo, out->commit);
		if (git_status_file(&flags, repo, rel) == 0) {
			out->untracked = (flags & GIT_STATUS_WT_NEW) != 0;
			out->dirty = flags != GIT_STATUS_CURRENT &&
			             !(flags & GIT_STATUS_IGNORED);
		} else {
			/* Not known to git at all: untracked as far as a
			 * plan's provenance is concerned. */
			out->untracked = true;
			out->dirty = true;
		}
	}
out:
	if (rc < 0) {
		free(out->data);
		free(out->label);
		out->data = NULL;
		out->label = NULL;
	}
	free(rel);
	free(abs);
	git_repository_free(repo);
	return rc;
}

int xc_git_commit_files(const char *dir, const char *const *paths, size_t n,
                        const char *message, struct xc_error *err)
{
	git_repository *repo = NULL;
	git_index *index = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_object *parent = NULL;
	git_oid tree_id;
	git_oid commit_id;
	size_t i;
	int rc = XC_EIO;

	git_init_once();
	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH,
	                            NULL) < 0 &&
	    git_repository_init(&repo, dir, 0) < 0) {
		xc_error_set(err, XC_EIO,
		             "cannot make '%s' a git repository: %s", dir,
		             git_msg());
		goto out;
	}
	if (git_repository_index(&index, repo) < 0)
		goto git_fail;
	for (i = 0; i < n; i++)
		if (git_index_add_bypath(index, paths[i]) < 0)
			goto git_fail;
	if (git_index_write(index) < 0 ||
	    git_index_write_tree(&tree_id, index) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0)
		goto git_fail;
	if (git_signature_default(&sig, repo) < 0 &&
	    git_signature_now(&sig, "excert", "excert@localhost") < 0)
		goto git_fail;
	/* HEAD may be unborn: then the commit has no parent. */
	git_revparse_single(&parent, repo, "HEAD^{commit}");
	if (git_commit_create_v(&commit_id, repo, "HEAD", sig, sig, NULL,
	                        message, tree, parent ? 1 : 0, parent) < 0)
		goto git_fail;
	rc = 0;
	goto out;
git_fail:
	xc_error_set(err, XC_EIO, "git in '%s': %s", dir, git_msg());
out:
	git_object_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
	git_index_free(index);
	git_repository_free(repo);
	return rc;
}

const char *xc_providers_lib_versions(void)
{
	static char buf[256];
	int major;
	int minor;
	int rev;

	if (buf[0])
		return buf;
	git_libgit2_version(&major, &minor, &rev);
	snprintf(buf, sizeof(buf), "libgit2 %d.%d.%d, ldns %s, %s", major,
	         minor, rev, ldns_version(), curl_version());
	return buf;
}
