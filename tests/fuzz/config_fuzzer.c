/* SPDX-License-Identifier: MIT */
/* libFuzzer entry point for the excert.yaml loader (build with -DXC_FUZZ=ON,
 * CC=clang); run: fuzz_config -max_total_time=600 CORPUS_DIR */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/config_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xc_fuzz_config_one(data, size);
	return 0;
}
