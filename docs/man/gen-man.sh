#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the scdoc sources of the man pages from excert itself, so that
# they cannot drift from the code:
#   excert.1.scd       excert.1.scd.in with @COMMANDS@ and @GLOBAL_OPTIONS@
#                      replaced by every command of `excert help` (usage,
#                      help, options) and the global options;
#   excert.yaml.5.scd  excert.yaml.5.scd.in with @KEYS@ replaced by
#                      `excert --format markdown schema` (the schema tables).
# Usage: gen-man.sh EXCERT SOURCE_DIR OUT_DIR
set -eu
excert=${1:?usage: gen-man.sh EXCERT SOURCE_DIR OUT_DIR}
src=${2:?usage: gen-man.sh EXCERT SOURCE_DIR OUT_DIR}
out=${3:?usage: gen-man.sh EXCERT SOURCE_DIR OUT_DIR}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# scdoc text: \, * and _ are markup.
esc='s/\\/\\\\/g; s/\*/\\*/g; s/_/\\_/g'

# OPTIONS section lines of `excert help CMD` ("  -c, --config FILE   help")
# as scdoc: *-c*, *--config* _FILE_, then the help indented.
options() { # FILE (the help output), SECTION ("Options:" or "Global options:")
    sed -n "/^$2\$/,/^\$/p" "$1" | sed '1d;/^$/d' | sed "$esc" |
        awk '{
            line = $0
            sub(/^  +/, "", line)
            n = split(line, w, " ")
            left = ""; i = 1
            if (w[1] ~ /^-[A-Za-z],$/) { left = "*" substr(w[1], 1, 2) "*, "; i = 2 }
            left = left "*" w[i] "*"
            rest = substr(line, index(line, w[i]) + length(w[i]))
            if (rest ~ /^ [^ ]/) {          # a value name follows
                sub(/^ /, "", rest)
                v = rest; sub(/ .*/, "", v)
                left = left " _" v "_"
                rest = substr(rest, length(v) + 1)
            }
            sub(/^ +/, "", rest)
            print left; print "\t" rest; print ""
        }'
}

"$excert" help >"$tmp/help"
options "$tmp/help" "Global options:" >"$tmp/global"
: >"$tmp/commands"
for c in $(sed -n '/^Commands:/,/^$/p' "$tmp/help" | awk 'NF > 1 {print $1}'); do
    "$excert" help "$c" >"$tmp/h"
    usage=$(sed -n '1s/^usage: excert \[GLOBAL OPTIONS\] //p' "$tmp/h" | sed "$esc")
    {
        echo "## excert $c"
        echo
        echo "*excert* [_global options_] $usage"
        echo
        # The help paragraph: from the line after the usage to "Options:"
        # or "Global options:".
        sed -n '3,/^\(Options\|Global options\):$/p' "$tmp/h" |
            sed '/^\(Options\|Global options\):$/d;/^$/d' | sed "$esc" |
            sed 's/^-/\\-/; s/^\(Exit status:\)/\n\1/'
        echo
        if grep -q '^Options:$' "$tmp/h"; then
            echo "Options:"
            echo
            options "$tmp/h" "Options:"
        fi
    } >>"$tmp/commands"
done

awk -v cmds="$tmp/commands" -v glob="$tmp/global" '
    /^@COMMANDS@$/ { while ((getline l < cmds) > 0) print l; next }
    /^@GLOBAL_OPTIONS@$/ { while ((getline l < glob) > 0) print l; next }
    { print }
' "$src/excert.1.scd.in" >"$out/excert.1.scd"

# The key reference: "### name" a subsection, each table row a key.
"$excert" --format markdown schema | sed "$esc" | awk '
    function inline(s) {
        gsub(/\\\\\|/, "|", s)                  # \| (escaped above)
        while (match(s, /`[^`]*`/))
            s = substr(s, 1, RSTART - 1) "*" substr(s, RSTART + 1, RLENGTH - 2) "*" substr(s, RSTART + RLENGTH)
        while (match(s, /\[[^]]*\]\([^)]*\)/)) {
            t = substr(s, RSTART + 1); t = substr(t, 1, index(t, "]") - 1)
            s = substr(s, 1, RSTART - 1) "_" t "_" substr(s, RSTART + RLENGTH)
        }
        return s
    }
    /^### / { sub(/^### /, "## "); print; next }
    /^\| key \|/ || /^\| --- / { next }
    /^\| / {
        line = $0
        gsub(/\\\\\|/, "\001", line)             # pipes inside cells
        n = split(line, f, / \| /)
        sub(/^\| /, "", f[1]); sub(/ \|$/, "", f[n])
        for (i = 1; i <= n; i++) { gsub(/\001/, "|", f[i]); sub(/^ +/, "", f[i]); sub(/ +$/, "", f[i]) }
        head = inline(f[1]) " (" inline(f[2])
        if (f[3] == "yes") head = head ", required"
        if (f[4] != "") head = head ", default " inline(f[4])
        print head ")"
        print "\t" inline(f[5])
        print ""
        next
    }
    { print inline($0) }
' >"$tmp/keys"
awk -v keys="$tmp/keys" '
    /^@KEYS@$/ { while ((getline l < keys) > 0) print l; next }
    { print }
' "$src/excert.yaml.5.scd.in" >"$out/excert.yaml.5.scd"
