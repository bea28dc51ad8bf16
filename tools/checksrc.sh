#!/bin/sh
# SPDX-License-Identifier: MIT
# Source rules clang-format does not check: an SPDX line first, /* */
# comments only, no trailing whitespace, no banned functions.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
fail=0
hits=$(mktemp)
trap 'rm -f "$hits"' EXIT
report() { # FILE WHAT
    sed "s|^|$1:|; s|\$| ($2)|" "$hits" >&2
    fail=1
}
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find cmd state providers reconcile tests -name '*.[ch]')
for f in $files; do
    head -1 "$f" | grep -q 'SPDX-License-Identifier' ||
        { echo "$f:1: no SPDX-License-Identifier line" >&2; fail=1; }
    grep -n '[[:space:]]$' "$f" >"$hits" && report "$f" "trailing whitespace"
    # A // outside a string literal (URLs in strings are fine).
    grep -n '^[^"]*//' "$f" | grep -v '://' >"$hits" && report "$f" "// comment"
    grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets|gmtime|localtime|mktemp)\(' "$f" >"$hits" &&
        report "$f" "banned function"
done
[ $fail -eq 0 ] && echo "checksrc: ok"
exit $fail
