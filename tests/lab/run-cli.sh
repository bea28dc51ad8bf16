#!/bin/sh
# SPDX-License-Identifier: MIT
# The lab through the command line, as a user meets it: lab init, observe
# through the lab transport (text and JSON), lab agent on stdin, and the
# errors.
excert=${1:?usage: run-cli.sh EXCERT}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
check() { # DESCRIPTION COMMAND...: the command must succeed
    d=$1
    shift
    if "$@" >/dev/null 2>"$tmp/err"; then ok; else
        bad "$d: $(cat "$tmp/err")"
    fi
}

check "lab init" "$excert" lab init "$tmp/lab" --servers 2 --hybrid --edge \
    --expires-in 10 --organization fabrikam --domain fabrikam.lab
[ -f "$tmp/lab/lab.json" ] && [ -f "$tmp/lab/ca/issuing.pem" ] && ok ||
    bad "lab init made no lab.json or CA"
if [ "$(stat -c %a "$tmp/lab/ca/issuing.key")" = 600 ]; then ok; else
    bad "the CA key is not mode 0600"
fi
"$excert" lab init "$tmp/lab" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "is not empty" "$tmp/err" && ok ||
    bad "lab init into a used directory: $(cat "$tmp/err")"
"$excert" lab init "$tmp/lab2" --servers x >/dev/null 2>&1
[ $? -eq 64 ] && ok || bad "--servers x is not a usage error"

mkdir "$tmp/org"
cat >"$tmp/org/excert.yaml" <<YAML
version: 1
organization: fabrikam
servers:
  - {name: MS01, fqdn: ms01.fabrikam.lab, connect: {transport: lab, path: ../lab}}
  - {name: MS02, fqdn: ms02.fabrikam.lab, connect: {transport: lab, path: ../lab}}
  - {name: EDGE01, fqdn: edge01.fabrikam.lab, role: edge, connect: {transport: lab, path: ../lab}}
YAML
"$excert" -C "$tmp/org" observe >"$tmp/out" 2>"$tmp/err"
rc=$?
mail=$(grep -o '"thumbprint": "[0-9A-F]*"' "$tmp/lab/lab.json" | tail -1 | cut -d'"' -f4)
if [ $rc -eq 0 ] && grep -q "^MS02  ms02.fabrikam.lab  Mailbox" "$tmp/out" &&
    grep -q "IIS:443, MS01.Default Frontend MS01, send: Outbound to Office 365" "$tmp/out" &&
    grep -q "^EDGE01  edge01.fabrikam.lab  Edge" "$tmp/out" &&
    grep -q "hybrid configuration: <I>CN=excert Lab Issuing CA 1, O=fabrikam (excert lab), C=US<S>CN=mail.fabrikam.lab" "$tmp/out" &&
    grep -q "$mail" "$tmp/out"; then ok; else
    bad "observe (text), rc $rc: $(cat "$tmp/err") $(head -20 "$tmp/out")"
fi
"$excert" -C "$tmp/org" --format json observe --server EDGE01 >"$tmp/out" 2>"$tmp/err"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["servers"]; assert len(s)==1 and s[0]["role"]=="Edge" and s[0]["ok"] and s[0]["auth_certificate"] is None and d["organization"]["ok"] is False' "$tmp/out"; then ok; else
    bad "observe --server EDGE01 --format json: $(head -c 400 "$tmp/out")"
fi
# A server the lab does not have fails alone, named.
cat >>"$tmp/org/excert.yaml" <<YAML
  - {name: MS07, fqdn: ms07.fabrikam.lab, connect: {transport: lab, path: ../lab}}
YAML
"$excert" -C "$tmp/org" observe >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "server 'MS07'.*no server 'MS07'" "$tmp/err" &&
    grep -q "^MS01  ms01.fabrikam.lab" "$tmp/out"; then ok; else
    bad "observe with a missing server: rc $rc $(cat "$tmp/err")"
fi
"$excert" -C "$tmp/org" observe --server NOPE >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "no server 'NOPE'" "$tmp/err" && ok ||
    bad "observe --server NOPE: $(cat "$tmp/err")"

# lab agent: what a PowerShell host reads on stdin, answered as the agent.
req=$(printf '{"protocol":1,"server":"MS02","operations":[{"id":"1","op":"restart","args":{"service":"transport"}}]}' | base64 -w0)
printf 'function Invoke-ExcertAgent { }\n\nInvoke-ExcertAgent -RequestBase64 '"'"'%s'"'"'\n\n' "$req" |
    "$excert" lab agent "$tmp/lab" --as MS02 >"$tmp/out" 2>"$tmp/err"
body=$(sed -n '/^-----BEGIN EXCERT REPLY-----$/,/^-----END EXCERT REPLY-----$/p' "$tmp/out" | sed '1d;$d' | tr -d '\n')
if echo "$body" | base64 -d | grep -q '"ok":true' &&
    grep -q '"transport": 1' "$tmp/lab/lab.json"; then ok; else
    bad "lab agent: $(cat "$tmp/out" "$tmp/err")"
fi
printf 'Invoke-ExcertAgent -RequestBase64 '"'"'%s'"'"'\n' "$req" |
    "$excert" lab agent "$tmp/lab" --as MS01 >"$tmp/out" 2>"$tmp/err"
body=$(sed '1d;$d' "$tmp/out" | tr -d '\n')
if echo "$body" | base64 -d | grep -q 'refusing the whole request'; then ok; else
    bad "lab agent --as MS01 with a request for MS02: $(cat "$tmp/out")"
fi
echo "no request here" | "$excert" lab agent "$tmp/lab" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "no 'Invoke-ExcertAgent" "$tmp/err" && ok ||
    bad "lab agent without a request: $(cat "$tmp/err")"

echo "lab.cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
