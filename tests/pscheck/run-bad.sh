#!/bin/sh
# SPDX-License-Identifier: MIT
# Negative controls, so that the agent's checks cannot pass vacuously:
# pscheck must fail on every bad/*.ps1 with exactly the findings the file
# declares, as comment lines "# expect: LINE:COL: MESSAGE".
#   syntax-*.ps1  broken PowerShell: pscheck FILE fails;
#   rules-*.ps1   valid PowerShell (pscheck FILE passes) that breaks a rule
#                 of -Command - or of the agent: pscheck --rules FILE fails.
pscheck=${1:?usage: run-bad.sh PSCHECK DIR}
dir=${2:?usage: run-bad.sh PSCHECK DIR}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for f in "$dir"/*.ps1; do
    name=$(basename "$f")
    case $name in
    rules-*)
        if ! "$pscheck" "$f" >"$tmp/out" 2>&1; then
            echo "FAIL $name: a rules- file must be valid PowerShell:" >&2
            cat "$tmp/out" >&2
            fail=$((fail + 1))
            continue
        fi
        set -- --rules
        ;;
    syntax-*) set -- ;;
    *)
        echo "FAIL $name: neither syntax-*.ps1 nor rules-*.ps1" >&2
        fail=$((fail + 1))
        continue
        ;;
    esac
    sed -n 's/^# expect: //p' "$f" | sort >"$tmp/want"
    if [ ! -s "$tmp/want" ]; then
        echo "FAIL $name: declares no '# expect:' line" >&2
        fail=$((fail + 1))
        continue
    fi
    "$pscheck" "$@" "$f" >"$tmp/out" 2>&1
    rc=$?
    sed -n "s|^$f:||p" "$tmp/out" | sort >"$tmp/got"
    if [ $rc -ne 1 ]; then
        echo "FAIL $name: pscheck exited with $rc, expected 1" >&2
        cat "$tmp/out" >&2
        fail=$((fail + 1))
    elif ! cmp -s "$tmp/want" "$tmp/got"; then
        echo "FAIL $name: findings differ (- declared, + found):" >&2
        diff "$tmp/want" "$tmp/got" | sed -n 's/^</-/p; s/^>/+/p' >&2
        fail=$((fail + 1))
    else
        echo "ok   $name: $(tr '\n' ';' <"$tmp/got")"
        pass=$((pass + 1))
    fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
