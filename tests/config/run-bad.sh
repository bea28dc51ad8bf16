#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs `excert validate` on every tests/config/bad/*.yaml and checks that
#  - the exit status is 65;
#  - stderr holds exactly the diagnostics the file declares, no more, no less,
#    each as FILE:LINE:COL: error: MESSAGE;
#  - no line "# secret: VALUE" value appears anywhere in the output.
# Declarations are comment lines in the file itself:
#    # expect: 12:7: error: unknown key 'renew_befor' in certificate 'mail'; ...
#    # secret: hunter2
# or, for files that cannot hold a comment (UTF-16, binary at byte 0), lines
# in a FILE.expect file beside it.  A file larger than the loader's limit is
# made on the fly.
excert=${1:?usage: run-bad.sh EXCERT DIR}
dir=${2:?usage: run-bad.sh EXCERT DIR}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

check() { # FILE EXPECTFILE
    f=$1
    decl=$2
    sed -n 's/^# expect: //p' "$decl" | sort >"$tmp/want"
    if [ ! -s "$tmp/want" ]; then
        echo "FAIL $f: declares no '# expect:' line" >&2
        fail=$((fail + 1))
        return
    fi
    "$excert" validate "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    grep -E '^[^ ]+:[0-9]+:[0-9]+: (error|warning): ' "$tmp/err" |
        sed "s|^$f:||" | sort >"$tmp/got"
    ok=1
    if [ $rc -ne 65 ]; then
        echo "FAIL $f: exit status $rc, expected 65" >&2
        ok=0
    fi
    if ! cmp -s "$tmp/want" "$tmp/got"; then
        echo "FAIL $f: diagnostics differ (- declared, + printed):" >&2
        diff "$tmp/want" "$tmp/got" | grep '^[<>]' |
            sed 's/^</  -/; s/^>/  +/' >&2
        ok=0
    fi
    sed -n 's/^# secret: //p' "$decl" | while IFS= read -r s; do
        if grep -qF -- "$s" "$tmp/out" "$tmp/err"; then
            echo "FAIL $f: the secret value was printed" >&2
            touch "$tmp/leak"
        fi
    done
    if [ -e "$tmp/leak" ]; then
        ok=0
        rm -f "$tmp/leak"
    fi
    if [ $ok -eq 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
}

for f in "$dir"/*.yaml; do
    if [ -e "$f.expect" ]; then
        check "$f" "$f.expect"
    else
        check "$f" "$f"
    fi
done

# Over the size limit: a valid head followed by 1 MiB of comment.
big="$tmp/too-large.yaml"
{
    echo "version: 1"
    head -c 1100000 /dev/zero | tr '\0' '#'
    echo
} >"$big"
echo "# expect: 1:1: error: file is larger than 1048576 bytes, the most excert reads" >"$big.expect"
check "$big" "$big.expect"

echo "config.bad: $pass passed, $fail failed"
[ $fail -eq 0 ]
