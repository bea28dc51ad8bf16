/* SPDX-License-Identifier: MIT */
/*
 * Where excert.yaml comes from: the work tree, or a commit of its git
 * repository (--ref), read through libgit2 without a checkout.  Either way
 * the commit is recorded, so that plans and the journal can say which
 * desired state they came from.
 */
#ifndef XC_PROVIDERS_GITSRC_H
#define XC_PROVIDERS_GITSRC_H

#include <stdbool.h>
#include <stddef.h>

#include "state/error.h"

struct xc_source {
	char *data;      /* owned; the file's bytes, NUL-terminated */
	size_t len;      /* bytes read (at most the loader's limit + 1) */
	char *label;     /* owned; "excert.yaml" or "HEAD~1:excert.yaml" */
	char commit[41]; /* hex id, or "" outside a repository / unborn */
	bool in_repo;    /* the file lies in a git work tree */
	bool dirty;      /* work tree: the file differs from HEAD */
	bool untracked;  /* work tree: git does not track the file */
};

/*
 * Reads path (relative to the current directory).  With ref == NULL the
 * work-tree file is read and, inside a repository, HEAD's id and the dirty
 * flag are recorded.  With a ref (branch, tag, id, "HEAD~1", ...) the file
 * is read from that commit.  Reads at most max_bytes + 1 bytes, so that the
 * loader can report an oversized file without excert reading it all.
 * Returns 0, or a negative xc_code with err set ("not a git repository",
 * "unknown revision", "does not exist at"); *out is then empty.
 */
int xc_source_read(struct xc_source *out, const char *path, const char *ref,
                   size_t max_bytes, struct xc_error *err);

void xc_source_release(struct xc_source *src);

/*
 * Makes dir a git repository (when it is not one yet) and commits the files
 * named in paths (relative to dir) with message.  The author is the user's
 * git identity, or "excert <excert@localhost>" when there is none.  0, or a
 * negative xc_code with err set.
 */
int xc_git_commit_files(const char *dir, const char *const *paths, size_t n,
                        const char *message, struct xc_error *err);

/* Versions of the libraries the providers link, as "libgit2 1.5.1, ...".
 * Static storage; not thread-safe on first call. */
const char *xc_providers_lib_versions(void);

#endif
