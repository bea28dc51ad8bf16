/* SPDX-License-Identifier: MIT */
/*
 * The monotonic clock and sleeping, for deadlines, polls and timings (never
 * for dates: those are wall-clock time, and the plan's "now").
 */
#ifndef XC_STATE_CLOCK_H
#define XC_STATE_CLOCK_H

#include <stdbool.h>

/* Milliseconds on the monotonic clock. */
long long xc_clock_ms(void);

/* Seconds on the monotonic clock, with the fraction. */
double xc_clock_seconds(void);

/* Sleeps ms milliseconds (nothing for ms <= 0).  A signal that interrupts
 * the sleep ends it early when stop (may be NULL) returns true; otherwise
 * the sleep goes on for the time left. */
void xc_sleep_ms(long long ms, bool (*stop)(void));

#endif
