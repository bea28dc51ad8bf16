/* SPDX-License-Identifier: MIT */
#include "state/duration.h"

#include <stdio.h>
#include <string.h>

struct unit {
	char c;
	long long secs;
};

static const struct unit units[] = {
        {'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1},
};

bool xc_duration_parse(const char *s, long long *secs_out, char *why,
                       size_t size)
{
	long long total = 0;
	const char *p = s;
	int last = -1;

	if (!*s) {
		snprintf(why, size, "empty duration");
		return false;
	}
	while (*p) {
		long long n = 0;
		const char *digits = p;
		int u;

		while (*p >= '0' && *p <= '9') {
			if (n > XC_DURATION_MAX) {
				snprintf(
				        why, size,
				        "duration '%.40s' is too long; at most 3660d",
				        s);
				return false;
			}
			n = n * 10 + (*p - '0');
			p++;
		}
		if (p == digits) {
			snprintf(
			        why, size,
			        "invalid duration '%.40s': expected a number followed by w, d, h, m or s (e.g. 30d)",
			        s);
			return false;
		}
		if (!*p) {
			snprintf(
			        why, size,
			        "duration '%.40s' has no unit: write e.g. %.20sd for days",
			        s, digits);
			return false;
		}
		for (u = 0; u < (int)(sizeof(units) / sizeof(units[0])); u++)
			if (units[u].c == *p)
				break;
		if (u == (int)(sizeof(units) / sizeof(units[0]))) {
			snprintf(
			        why, size,
			        "invalid duration unit '%c' in '%.40s': use w, d, h, m or s",
			        *p, s);
			return false;
		}
		if (u <= last) {
			snprintf(
			        why, size,
			        "invalid duration '%.40s': units must go from largest to smallest, each once",
			        s);
			return false;
		}
		last = u;
		total += n * units[u].secs;
		if (total > XC_DURATION_MAX) {
			snprintf(why, size,
			         "duration '%.40s' is too long; at most 3660d",
			         s);
			return false;
		}
		p++;
	}
	if (total == 0) {
		snprintf(why, size, "duration must be greater than zero");
		return false;
	}
	*secs_out = total;
	return true;
}

void xc_duration_format(long long secs, char *buf, size_t size)
{
	size_t used = 0;
	size_t u;

	buf[0] = '\0';
	for (u = 0; u < sizeof(units) / sizeof(units[0]) && used < size; u++) {
		long long n = secs / units[u].secs;

		/* Weeks only when the whole value is weeks. */
		if (units[u].c == 'w' && secs % units[u].secs)
			continue;
		if (n) {
			int w = snprintf(buf + used, size - used, "%lld%c", n,
			                 units[u].c);

			if (w < 0)
				return;
			used += (size_t)w;
			secs -= n * units[u].secs;
		}
	}
	if (!buf[0])
		snprintf(buf, size, "0s");
}
