#!/bin/sh
# SPDX-License-Identifier: MIT
# The lab demo: `excert init --lab` makes a git repository with an
# excert.yaml and an Exchange organisation of two servers whose certificate
# expires in 10 days, hybrid on; excert plans the renewal, applies it, finds
# nothing left to do, sees a connector edited by hand and repairs only that.
# Usage: tools/lab-demo.sh [EXCERT] [DIR]   (DIR is made; default a temp dir)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
excert=${1:-$top/build/cmd/excert}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
dir=${2:-$(mktemp -d /tmp/excert-demo.XXXXXX)}
mkdir -p "$dir"
cd "$dir"
say() { printf '\n$ %s\n' "$*"; }

say excert init --lab demo
"$excert" init --lab demo
cd demo
say cat excert.yaml
cat excert.yaml
say excert validate
"$excert" validate
say excert plan
"$excert" plan
say excert apply --auto-approve
"$excert" apply --auto-approve 2>&1 | grep -v '\.\.\.$' | sed -n '/^\[/p;/^excert:/p'
say excert drift
"$excert" drift
echo "(exit status $?)"
say "# a receive connector edited by hand"
sed -i '0,/"tls_certificate_name": "<I>[^"]*"/s//"tls_certificate_name": "<I>CN=Someone Else<S>CN=mail.contoso.lab"/' lab/lab.json
say excert drift
set +e
"$excert" drift
echo "(exit status $?)"
set -e
say excert apply --auto-approve
"$excert" apply --auto-approve 2>&1 | sed -n '/^\[.*\] \(done\|skipped\|FAILED\)/p;/^excert:/p'
say excert drift
"$excert" drift
echo "(exit status $?)"
echo
echo "The repository (excert.yaml, and the lab in lab/) is $dir/demo."
