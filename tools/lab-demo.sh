#!/bin/sh
# SPDX-License-Identifier: MIT
# The lab demo: an Exchange organisation of two servers whose certificate
# expires in 10 days, hybrid on; excert plans the renewal, applies it, finds
# nothing left to do, sees a connector edited by hand and repairs only that.
# Usage: tools/lab-demo.sh [EXCERT] [DIR]   (DIR is made; default a temp dir)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
excert=${1:-$top/build/cmd/excert}
dir=${2:-$(mktemp -d /tmp/excert-demo.XXXXXX)}
mkdir -p "$dir"
cd "$dir"
say() { printf '\n$ %s\n' "$*"; }

say excert lab init lab --servers 2 --hybrid --expires-in 10
"$excert" lab init lab --servers 2 --hybrid --expires-in 10
o365=$(sed -n 's/.*"name": "\(Outbound to Office 365 - [0-9a-f-]*\)".*/\1/p' lab/lab.json | head -1)
cat >excert.yaml <<YAML
version: 1
organization: contoso
servers:
  - {name: MS01, fqdn: ms01.contoso.lab, connect: {transport: lab, path: lab}}
  - {name: MS02, fqdn: ms02.contoso.lab, connect: {transport: lab, path: lab}}
issuers:
  labca: {lab: {path: lab}}
certificates:
  - name: mail
    domains: [mail.contoso.lab, autodiscover.contoso.lab]
    issuer: labca
    servers: [MS01, MS02]
    services: [IIS, SMTP]
    connectors:
      send: ["$o365"]
      receive: ["MS01\\\\Default Frontend MS01", "MS02\\\\Default Frontend MS02"]
    hybrid: true
YAML
say cat excert.yaml
cat excert.yaml
say excert validate
"$excert" validate
say excert plan
"$excert" plan
say excert apply --auto-approve
"$excert" apply --auto-approve 2>&1 | grep -v '\.\.\.$' | sed -n '/^\[/p;/^excert:/p'
say excert plan --detailed-exitcode
"$excert" plan --detailed-exitcode
echo "(exit status $?)"
say "# a receive connector edited by hand"
sed -i '0,/"tls_certificate_name": "<I>[^"]*"/s//"tls_certificate_name": "<I>CN=Someone Else<S>CN=mail.contoso.lab"/' lab/lab.json
say excert plan --detailed-exitcode
set +e
"$excert" plan --detailed-exitcode
echo "(exit status $?)"
set -e
say excert apply --auto-approve
"$excert" apply --auto-approve 2>&1 | sed -n '/^\[.*\] \(done\|skipped\|FAILED\)/p;/^excert:/p'
say excert plan --detailed-exitcode
"$excert" plan --detailed-exitcode
echo "(exit status $?)"
echo
echo "The lab and excert.yaml are in $dir."
