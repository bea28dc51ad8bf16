#!/bin/sh
# SPDX-License-Identifier: MIT
# The golden plan cases: for each tests/cases/NNN-name/, excert plans from
# its excert.yaml and observed.json (an observation saved by excert observe
# -o) at the time in now, outside any git repository, and the plan must be
# plan.txt exactly, with exit status exit.  make-cases.sh makes them.
# Usage: run-cases.sh EXCERT [CASE...]
excert=${1:?usage: run-cases.sh EXCERT [CASE...]}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
shift
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
pass=0
fail=0
[ $# -gt 0 ] || set -- "$here"/[0-9][0-9][0-9]-*
for dir in "$@"; do
    name=$(basename "$dir")
    rm -rf "$tmp/run"
    mkdir "$tmp/run"
    cp "$dir/excert.yaml" "$dir/observed.json" "$tmp/run/"
    (cd "$tmp/run" && EXCERT_NOW=$(cat "$dir/now") "$excert" plan \
        --observation observed.json --detailed-exitcode >"$tmp/plan.txt" \
        2>"$tmp/err")
    rc=$?
    if [ "$rc" != "$(cat "$dir/exit")" ]; then
        echo "FAIL: $name: exit $rc, expected $(cat "$dir/exit"): $(cat "$tmp/err")" >&2
        fail=$((fail + 1))
    elif ! diff -u "$dir/plan.txt" "$tmp/plan.txt" >"$tmp/diff"; then
        echo "FAIL: $name: the plan differs:" >&2
        cat "$tmp/diff" >&2
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
done
echo "plan.cases: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
