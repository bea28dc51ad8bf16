#!/bin/sh
# SPDX-License-Identifier: MIT
# Formats every C file of the project with clang-format 14 (.clang-format).
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cf=$(command -v clang-format-14 || command -v clang-format) || exit 1
find cmd state providers reconcile tests -name '*.[ch]' -exec "$cf" -i {} +
