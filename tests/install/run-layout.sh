#!/bin/sh
# SPDX-License-Identifier: MIT
# cmake --install with DESTDIR and a prefix: every file in its
# GNUInstallDirs place under DESTDIR, nothing outside it, and the installed
# binary runs.  Usage: run-layout.sh BUILD_DIR
build=${1:?usage: run-layout.sh BUILD_DIR}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
DESTDIR=$tmp/dest cmake --install "$build" --prefix /opt/xc >"$tmp/log" 2>&1 ||
    { cat "$tmp/log"; exit 1; }
d=$tmp/dest/opt/xc
for f in bin/excert share/excert/excert.schema.json \
    share/doc/excert/examples/single-server.yaml share/doc/excert/README.md \
    share/bash-completion/completions/excert share/zsh/vendor-completions/_excert \
    share/fish/vendor_completions.d/excert.fish; do
    [ -s "$d/$f" ] || bad "cmake --install did not install $f"
done
if command -v scdoc >/dev/null 2>&1; then
    for f in share/man/man1/excert.1 share/man/man5/excert.yaml.5; do
        [ -s "$d/$f" ] || bad "cmake --install did not install $f"
    done
fi
outside=$(find "$tmp/dest" -mindepth 1 -maxdepth 1 ! -name opt)
[ -z "$outside" ] || bad "installed outside the prefix: $outside"
"$d/bin/excert" version >/dev/null || bad "the installed excert does not run"
cmp -s "$d/share/excert/excert.schema.json" "$(dirname "$0")/../../docs/excert.schema.json" ||
    bad "the installed schema is not docs/excert.schema.json"
[ $fail -eq 0 ] && echo "install.layout: ok ($(find "$tmp/dest" -type f | wc -l) files)"
exit $fail
