#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails when a tracked C file is not as clang-format 14 would write it.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cf=$(command -v clang-format-14 || command -v clang-format) || {
    echo "clang-format not found" >&2
    exit 1
}
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find cmd state providers reconcile tests -name '*.[ch]')
# shellcheck disable=SC2086
"$cf" --dry-run --Werror $files
