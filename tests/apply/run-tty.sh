#!/bin/sh
# SPDX-License-Identifier: MIT
# apply's progress on a terminal (a pseudo-terminal from script(1)): the
# live step list redrawn in place, in colour unless NO_COLOR is set; plain
# lines when the list would not fit the terminal or without a terminal.
excert=${1:?usage: run-tty.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
command -v script >/dev/null || { echo "apply.tty: no script(1); skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
# The caller's terminal type must not matter (a dumb one turns the live
# list off): the pseudo-terminal here is an ordinary one.
export TERM=xterm
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
esc=$(printf '\033')

# run NAME ROWS ENV: a fresh lab demo applied on a ROWS-line terminal.
run() {
    rm -rf "$tmp/demo" "$tmp/state"
    "$excert" init --lab "$tmp/demo" >/dev/null 2>&1 || { bad "init"; exit 1; }
    (cd "$tmp/demo" && script -qec "stty rows $2 cols 160; $3 '$excert' apply --auto-approve" /dev/null) \
        >"$tmp/$1" 2>&1
    tr -d '\r' <"$tmp/$1" | sed "s/${esc}\[K//g" >"$tmp/$1.txt"
}

run live 40 "NO_COLOR=1"
if grep -q "${esc}\[14A" "$tmp/live.txt"; then ok; else bad "live: no redraw of 14 lines"; fi
if [ "$(grep -c '^\[+\]' "$tmp/live.txt" | tr -d ' ')" -ge 14 ] &&
    tail -15 "$tmp/live.txt" | grep -q "\[+\]  14 remove        MS02           removed "; then ok; else
    bad "live: the last drawing does not show every step done"
fi
if grep -q "${esc}\[32m" "$tmp/live.txt"; then bad "live: colour despite NO_COLOR"; else ok; fi
if grep -q "^excert: applied 14 steps" "$tmp/live.txt"; then ok; else bad "live: not applied"; fi

run colour 40 ""
if grep -q "${esc}\[32m\[+\]" "$tmp/colour.txt"; then ok; else bad "colour: done steps not green"; fi

run short 10 ""
if grep -q "^\[14/14\] done: removed" "$tmp/short.txt" &&
    ! grep -q "${esc}\[14A" "$tmp/short.txt"; then ok; else
    bad "short terminal: expected plain lines"
fi

run plain 40 "EXCERT_PROGRESS=plain"
if grep -q "^\[1/14\] request on MS01 (mail) ...$" "$tmp/plain.txt"; then ok; else bad "EXCERT_PROGRESS=plain"; fi

echo "apply.tty: $pass passed, $fail failed"
[ $fail -eq 0 ]
