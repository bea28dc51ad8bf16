#!/bin/sh
# SPDX-License-Identifier: MIT
# Every file of DIR validates clean: exit 0, nothing on stderr.
excert=${1:?usage: run-good.sh EXCERT DIR}
dir=${2:?usage: run-good.sh EXCERT DIR}
pass=0
fail=0
for f in "$dir"/*.yaml; do
    err=$("$excert" validate "$f" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 0 ] && [ -z "$err" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL $f: exit $rc" >&2
        echo "$err" >&2
        fail=$((fail + 1))
    fi
done
echo "$(basename "$dir"): $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
