#!/bin/sh
# SPDX-License-Identifier: MIT
# excert init, as the README's newcomer uses it: init --lab, plan, apply,
# plan again, drift; and init without --lab.
excert=${1:?usage: run-init.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# The lock and the journal go to a state directory of this test's own.
export XDG_STATE_HOME="$tmp/state"
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
cd "$tmp" || exit 1

"$excert" init --lab demo 2>"$tmp/err" && ok || bad "init --lab: $(cat "$tmp/err")"
[ "$(git -C demo log --oneline | wc -l)" = 1 ] && [ -z "$(git -C demo status --porcelain)" ] &&
    ok || bad "init --lab did not leave one clean commit"
"$excert" -C demo plan --detailed-exitcode >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "the lab's certificate is not due"
"$excert" -C demo apply --auto-approve >/dev/null 2>"$tmp/err" && ok ||
    bad "apply: $(tail -3 "$tmp/err")"
"$excert" -C demo plan --detailed-exitcode >/dev/null 2>&1
[ $? -eq 0 ] && ok || bad "plan after apply is not empty"
"$excert" -C demo drift >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q "at commit [0-9a-f]\{12\}$" "$tmp/out" && ok ||
    bad "drift: $(cat "$tmp/out")"
"$excert" init --lab demo >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "exists already" "$tmp/err" && ok ||
    bad "a second init: $(cat "$tmp/err")"
"$excert" init plain 2>/dev/null && "$excert" -C plain validate >/dev/null 2>&1 &&
    [ ! -e plain/lab ] && ok || bad "init without --lab"

echo "init: $pass passed, $fail failed"
[ $fail -eq 0 ]
