#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages say what the code says (docs/man/gen-man.sh writes them from
# excert's tables; this checks what came out, rendered by man):
#  - excert(1) has a section for every command of `excert help`, names every
#    option of every command and every global option, and every exit status
#    of cmd/exit.h;
#  - excert.yaml(5) names every key of `excert --format markdown schema`.
# Usage: check-man.sh EXCERT MAN_DIR (the build's docs/man).  Exit 77 when
# the pages were not built (no scdoc) or man is missing.
excert=${1:?usage: check-man.sh EXCERT MAN_DIR}
dir=${2:?usage: check-man.sh EXCERT MAN_DIR}
for f in "$dir/excert.1" "$dir/excert.yaml.5"; do
    [ -s "$f" ] || { echo "SKIP: $f not built (scdoc missing)"; exit 77; }
done
command -v man >/dev/null 2>&1 || { echo "SKIP: man not installed"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# Wide enough that no line is broken or hyphenated.
render() { MANWIDTH=1000 man -l "$1" 2>"$tmp/err" | col -bx; }
render "$dir/excert.1" >"$tmp/man1"
[ -s "$tmp/man1" ] && ! [ -s "$tmp/err" ] && ok ||
    bad "excert.1 does not render: $(cat "$tmp/err")"
render "$dir/excert.yaml.5" >"$tmp/man5"
[ -s "$tmp/man5" ] && ! [ -s "$tmp/err" ] && ok ||
    bad "excert.yaml.5 does not render: $(cat "$tmp/err")"

"$excert" help >"$tmp/help" || bad "excert help failed"
for o in $(sed -n '/^Global options:/,/^$/p' "$tmp/help" | grep -o -- '--[a-z][a-z0-9-]*'); do
    grep -qF -- "$o" "$tmp/man1" && ok || bad "excert.1 does not name the global option $o"
done
for c in $(sed -n '/^Commands:/,/^$/p' "$tmp/help" | awk 'NF>1 {print $1}'); do
    grep -q "^   excert $c\$" "$tmp/man1" && ok ||
        bad "excert.1 has no section 'excert $c'"
    "$excert" help "$c" >"$tmp/h" || bad "excert help $c failed"
    # The command's own options must appear in its own section.
    sed -n "/^   excert $c\$/,/^   [a-z]/p" "$tmp/man1" >"$tmp/section"
    for o in $(sed -n '/^Options:/,/^$/p' "$tmp/h" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        grep -qF -- "$o" "$tmp/section" && ok ||
            bad "excert.1 does not name $o in the section of '$c'"
    done
done
for s in 0 1 2 64 65; do
    grep -q "^       $s\$" "$tmp/man1" && ok || bad "excert.1 does not list exit status $s"
done
grep -q "^EXIT STATUS" "$tmp/man1" && ok || bad "excert.1 has no EXIT STATUS"

"$excert" --format markdown schema >"$tmp/schema.md" || bad "schema --format markdown failed"
for k in $(grep -o '^| `[a-z0-9_-]*`' "$tmp/schema.md" | tr -d '|` ' | sort -u); do
    grep -q "^       $k (" "$tmp/man5" && ok || bad "excert.yaml.5 does not describe the key '$k'"
done
for s in $(grep '^### ' "$tmp/schema.md" | sed 's/^### //' | tr ' ' '_'); do
    s=$(echo "$s" | tr '_' ' ')
    grep -q "^   $s\$" "$tmp/man5" && ok || bad "excert.yaml.5 has no subsection '$s'"
done

echo "docs.man: $pass passed, $fail failed"
[ $fail -eq 0 ]
