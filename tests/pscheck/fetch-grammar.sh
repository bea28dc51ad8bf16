#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches the PowerShell grammar for tree-sitter, pinned: the npm package
# tree-sitter-powershell 0.25.9 (MIT, airbus-cert/tree-sitter-powershell),
# whose generated parser has ABI 14, the newest Debian's libtree-sitter
# 0.20.7 accepts.  The tarball is checked against the registry's integrity
# value with openssl, independently of npm, before anything is extracted.
#
#   fetch-grammar.sh DEST
#
# leaves DEST/src/parser.c, DEST/src/scanner.c, DEST/src/tree_sitter/*.h and
# DEST/LICENSE.  Nothing is downloaded when DEST already holds them (from a
# checked tarball), or when DEST holds the checked tarball itself.
# XC_TS_POWERSHELL_TGZ=FILE uses a tarball from elsewhere (an offline
# mirror); it is checked all the same.
set -eu

name=tree-sitter-powershell
version=0.25.9
integrity='sha512-+qLCFGyWV8b6ZvY7FdF7k8WgdWPEkcNYK2tpjlqAsb3qjbFkjnMhkvcOrojTgr9HfU56tdxaYVFqEYys6BYZnA=='

[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
dest=$1
tgz="$dest/$name-$version.tgz"
stamp="$dest/.fetched-$version"

die() { echo "fetch-grammar: $*" >&2; exit 1; }

# What the integrity value says, as "sha512-<base64 of the digest>".
sri() { # FILE
    printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | openssl base64 -A)"
}

if [ -f "$stamp" ] && [ -f "$dest/src/parser.c" ] &&
   [ -f "$dest/src/scanner.c" ] && [ -f "$dest/LICENSE" ]; then
    # Already there.  Newer than this script, so that make stops asking.
    if [ "$0" -nt "$dest/src/parser.c" ]; then
        touch "$dest/src/parser.c" "$dest/src/scanner.c" "$dest/LICENSE"
    fi
    exit 0
fi

mkdir -p "$dest"
command -v openssl >/dev/null 2>&1 || die "openssl is needed to check the tarball"

if [ -n "${XC_TS_POWERSHELL_TGZ:-}" ]; then
    cp "$XC_TS_POWERSHELL_TGZ" "$tgz.part" || die "cannot copy $XC_TS_POWERSHELL_TGZ"
    mv "$tgz.part" "$tgz"
fi

if [ ! -f "$tgz" ] || [ "$(sri "$tgz")" != "$integrity" ]; then
    command -v npm >/dev/null 2>&1 ||
        die "npm is needed to fetch $name@$version (tools/deps.sh installs it)"
    tmp="$dest/.pack.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # npm pack only downloads the tarball: no install, no scripts.
    (cd "$tmp" && npm pack --silent --ignore-scripts "$name@$version" >/dev/null) ||
        { rm -rf "$tmp"; die "npm pack $name@$version failed (is the npm registry reachable?)"; }
    [ -f "$tmp/$name-$version.tgz" ] ||
        { rm -rf "$tmp"; die "npm pack did not leave $name-$version.tgz"; }
    mv "$tmp/$name-$version.tgz" "$tgz.part"
    rm -rf "$tmp"
    got=$(sri "$tgz.part")
    if [ "$got" != "$integrity" ]; then
        rm -f "$tgz.part"
        die "integrity mismatch for $name@$version: got $got, want $integrity"
    fi
    mv "$tgz.part" "$tgz"
fi

# Checked: extract only the C sources and the licence.
rm -rf "$dest/src" "$dest/LICENSE"
tar -xzf "$tgz" -C "$dest" --strip-components=1 package/src package/LICENSE ||
    die "cannot extract $tgz"
# The generated parser must speak an ABI that libtree-sitter 0.20.7 accepts.
grep -q '^#define LANGUAGE_VERSION 14$' "$dest/src/parser.c" ||
    die "$name@$version: unexpected LANGUAGE_VERSION in parser.c"
# tar keeps the package's old mtimes; make the outputs newer than this
# script so that make does not run it again.
touch "$dest/src/parser.c" "$dest/src/scanner.c" "$dest/LICENSE"
: >"$stamp"
echo "fetch-grammar: $name@$version ($integrity) in $dest"
