#!/bin/sh
# SPDX-License-Identifier: MIT
# Plants violations of the -Command - rules into copies of the agent and
# checks that pscheck --rules reports each at the planted line (and that the
# agent itself is clean), so that the rule check cannot pass vacuously.
pscheck=${1:?usage: plant.sh PSCHECK AGENT}
agent=${2:?usage: plant.sh PSCHECK AGENT}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# Each plant needs its anchor in the agent; a missing one is a failure, not
# a skipped check.
need() { # NAME LINE-NUMBER
    case $2 in
    '' | *[!0-9]*)
        echo "FAIL $1: its anchor is not in the agent any more; update plant.sh" >&2
        fail=$((fail + 1))
        return 1
        ;;
    esac
}

expect() { # NAME FILE EXPECTED-FINDING
    "$pscheck" --rules "$2" >"$tmp/out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && grep -qF "$2:$3" "$tmp/out"; then
        echo "ok   $1: $3"
        pass=$((pass + 1))
    else
        echo "FAIL $1: pscheck exited with $rc, expected 1 and '$3'; it said:" >&2
        cat "$tmp/out" >&2
        fail=$((fail + 1))
    fi
}

# The agent as it is: clean.
if "$pscheck" --rules "$agent" >"$tmp/out" 2>&1; then
    echo "ok   the agent itself: $(cat "$tmp/out")"
    pass=$((pass + 1))
else
    echo "FAIL the agent itself:" >&2
    cat "$tmp/out" >&2
    fail=$((fail + 1))
fi

# 1. A blank line in the first function, after its first line.
f=$(grep -n '^function ' "$agent" | head -1 | cut -d: -f1)
need blank-in-function "$f" &&
awk -v at=$((f + 1)) '{ print } NR == at { print "" }' "$agent" >"$tmp/blank-in-function.ps1" &&
    expect blank-in-function "$tmp/blank-in-function.ps1" \
    "$((f + 2)):1: blank line inside a statement (from line $f)"

# 2. A blank line inside the first multi-line [ordered] hashtable.
h=$(grep -n '\[ordered\]@{$' "$agent" | head -1 | cut -d: -f1)
need blank-in-hashtable "$h" &&
awk -v at="$h" '{ print } NR == at { print "" }' "$agent" >"$tmp/blank-in-hashtable.ps1" &&
    expect blank-in-hashtable "$tmp/blank-in-hashtable.ps1" \
    "$((h + 1)):1: blank line inside a statement"

# 3. A blank line inside the try block of Invoke-ExcertAgent.
t=$(awk '/^function Invoke-ExcertAgent /{ a = 1 } a && /^    try {$/ { print NR; exit }' "$agent")
need blank-in-try "$t" &&
awk -v at="$t" '{ print } NR == at { print "   " }' "$agent" >"$tmp/blank-in-try.ps1" &&
    expect blank-in-try "$tmp/blank-in-try.ps1" \
    "$((t + 1)):1: blank line inside a statement"

# 4. The blank line after the first function removed.
c=$(awk 'prev == "}" && $0 == "" { print NR - 1; exit } { prev = $0 }' "$agent")
need no-blank-after "$c" && need no-blank-after "$f" &&
awk -v at=$((c + 1)) 'NR != at' "$agent" >"$tmp/no-blank-after.ps1" &&
    expect no-blank-after "$tmp/no-blank-after.ps1" \
    "$((c + 1)):1: top-level statement (from line $f) is not followed by a blank line"

# 5. The request turned into code.
p=$(grep -n "^    \$ProgressPreference = 'SilentlyContinue'$" "$agent" | head -1 | cut -d: -f1)
need invoke-expression "$p" &&
awk -v at="$p" '{ print } NR == at { print "    Invoke-Expression $RequestBase64" }' "$agent" >"$tmp/invoke-expression.ps1" &&
    expect invoke-expression "$tmp/invoke-expression.ps1" \
    "$((p + 1)):5: 'invoke-expression' turns data into code"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
