/* SPDX-License-Identifier: MIT */
/* "Did you mean ...?" for misspelt keys and names. */
#ifndef XC_STATE_SUGGEST_H
#define XC_STATE_SUGGEST_H

#include <stddef.h>

/* Edit distance (insert, delete, substitute, transpose), capped at 100. */
size_t xc_edit_distance(const char *a, const char *b);

/*
 * The candidate closest to word, or NULL when none is close enough to be a
 * plausible typo.  Borrowed from candidates.
 */
const char *xc_suggest(const char *word, const char *const *candidates,
                       size_t n);

#endif
