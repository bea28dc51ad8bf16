#!/bin/sh
# SPDX-License-Identifier: MIT
# The lab demo: `excert init --lab` makes a git repository with an
# excert.yaml and an Exchange organisation of two servers whose certificate
# expires in 10 days, hybrid on; `excert lab serve` serves the lab's IIS and
# SMTP over real TLS on 127.0.0.1, and excert.yaml gains those endpoints as
# verify endpoints (a commit); excert plans the renewal, applies it (the old
# certificate goes only once every endpoint serves the new one), finds
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
serve_pid=
trap '[ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null' EXIT

say excert init --lab demo
"$excert" init --lab demo
cd demo
say "excert lab serve lab --base-port 0 &    # the lab's IIS and SMTP over TLS"
"$excert" lab serve lab --base-port 0 --pidfile "$PWD/serve.pid" >serve.map 2>serve.log &
serve_pid=$!
for _ in $(seq 1 100); do [ -s serve.pid ] && break; sleep 0.1; done
[ -s serve.pid ] || { cat serve.log >&2; exit 1; }
cat serve.map
port() { awk -v s="$1" -v k="$2" '$1 == s { n = split($k, a, ":"); print a[n] }' serve.map; }
say "# verify endpoints: the old certificate goes only once they serve the new one"
{
    echo "    verify:"
    for s in MS01 MS02; do
        echo "      - \"https://127.0.0.1:$(port $s 2)/owa\""
        echo "      - \"smtp://127.0.0.1:$(port $s 3)\""
    done
} >>excert.yaml
printf '/serve.*\n' >>.gitignore
git add excert.yaml .gitignore
git -c user.name=demo -c user.email=demo@example.invalid commit -q -m "Verify the lab's endpoints"
say cat excert.yaml
cat excert.yaml
say excert validate
"$excert" validate
say excert plan
"$excert" plan
say excert apply --auto-approve
"$excert" apply --auto-approve 2>&1 | grep -v '\.\.\.$' | sed -n '/^\[/p;/^excert:/p'
say excert status
"$excert" status
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
