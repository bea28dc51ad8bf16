/* SPDX-License-Identifier: MIT */
/*
 * Durations in excert.yaml: one or more <number><unit> parts, units w, d, h,
 * m, s ("30d", "1d12h", "90m").  A bare number is refused: "30" could mean
 * seconds or days, and a wrong guess renews a certificate at the wrong time.
 */
#ifndef XC_STATE_DURATION_H
#define XC_STATE_DURATION_H

#include <stdbool.h>
#include <stddef.h>

#define XC_DURATION_MAX (10LL * 366 * 86400) /* ten years */

/* Parses s into seconds (> 0, <= XC_DURATION_MAX); false with why. */
bool xc_duration_parse(const char *s, long long *secs_out, char *why,
                       size_t size);

/* Writes secs back in the largest exact units ("30d", "1d12h"). */
void xc_duration_format(long long secs, char *buf, size_t size);

#endif
