/* SPDX-License-Identifier: MIT */
#ifndef XC_TESTS_FUZZ_CONFIG_TARGET_H
#define XC_TESTS_FUZZ_CONFIG_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Loads data as excert.yaml and checks the loader's own promises. */
void xc_fuzz_config_one(const uint8_t *data, size_t size);

#endif
