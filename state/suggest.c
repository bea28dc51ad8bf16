/* SPDX-License-Identifier: MIT */
#include "state/suggest.h"

#include <ctype.h>
#include <string.h>

#define CAP 100

size_t xc_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t d[CAP + 1][CAP + 1];
	size_t i;
	size_t j;

	if (la > CAP || lb > CAP)
		return CAP;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost =
			        tolower((unsigned char)a[i - 1]) ==
			                        tolower((unsigned char)b[j - 1])
			                ? 0
			                : 1;
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) ==
			            tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
			            tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *xc_suggest(const char *word, const char *const *candidates,
                       size_t n)
{
	const char *best = NULL;
	size_t best_d = CAP;
	size_t limit = strlen(word) / 3 + 1;
	size_t i;

	if (limit < 2)
		limit = 2;
	for (i = 0; i < n; i++) {
		size_t d = xc_edit_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
