/* SPDX-License-Identifier: MIT */
#ifndef XC_TESTS_FUZZ_REPLY_TARGET_H
#define XC_TESTS_FUZZ_REPLY_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Reads data as what a server printed: unframe, parse, observe. */
void xc_fuzz_reply_one(const uint8_t *data, size_t size);

#endif
