/* SPDX-License-Identifier: MIT */
/* libFuzzer entry point for the agent reply parser (-DXC_FUZZ=ON, clang). */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/reply_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xc_fuzz_reply_one(data, size);
	return 0;
}
