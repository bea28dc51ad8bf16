/* SPDX-License-Identifier: MIT */
/* What excert prints: errors on stderr as "excert: error: ...", every
 * message through the sanitizer (state/sanitize.h), since messages quote
 * what agents, CAs and probed servers said. */
#ifndef XC_CMD_OUTPUT_H
#define XC_CMD_OUTPUT_H

#include "state/error.h"

/* Prints "excert: error: <message>" on stderr. */
void xc_out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints an error object as "excert: error: <msg>" (with FILE:LINE:COL
 * when it has a position). */
void xc_out_err(const struct xc_error *err);

/* Prints a usage error and the hint to run `excert help`. */
void xc_out_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
