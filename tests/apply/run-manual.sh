#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual issuer on the lab demo: apply makes the request on Exchange,
# writes it to the issuer's directory and stops before anything
# destructive, waiting for the CA; plan says so; a certificate for another
# key is refused; once the CA's certificate (DER here) is beside the
# request, apply takes it and finishes, and the organisation is in sync.
excert=${1:?usage: run-manual.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; [ -s "$tmp/err" ] && tail -3 "$tmp/err" | sed 's/^/    /' >&2; fail=$((fail + 1)); }
cd "$tmp" || exit 1

"$excert" init --lab demo >/dev/null 2>&1 || { bad "init"; exit 1; }
python3 - demo/excert.yaml <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("issuers:\n", "issuers:\n  corp: {manual: {path: ca-drop}}\n")
s = s.replace("    issuer: labca\n", "    issuer: corp\n")
open(p, "w").write(s)
PY
(cd demo && git commit -qam "issued by the corporate CA")

# A CA of the test's own, as the people who run the corporate CA would.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Contoso Corporate CA" \
    -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE 2>/dev/null || exit 1

# 1. The first apply stops, waiting for the CA, with nothing destructive.
"$excert" -C demo apply --auto-approve >/dev/null 2>"$tmp/err"
rc=$?
csr=$(ls demo/ca-drop/*.csr 2>/dev/null | head -1)
req=$(basename "$csr" .csr)
if [ $rc -eq 1 ] && grep -q "waiting for the CA: the request is in" "$tmp/err" && [ -s "$csr" ]; then ok; else bad "apply did not stop waiting for the CA (exit $rc)"; fi
if openssl req -in "$csr" -noout -verify 2>/dev/null; then ok; else bad "the written request is not a valid CSR"; fi
if ! grep -q '"kind":"remove".*"state":"done"' "$XDG_STATE_HOME/excert/contoso/journal.jsonl"; then ok; else bad "something was removed"; fi

# 2. plan says it waits, and for what.
"$excert" -C demo plan >"$tmp/plan" 2>"$tmp/err"
if grep -q "waiting for the CA: the pending request ${req%${req#????????????}}" "$tmp/plan" &&
    grep -q "is waiting for the CA: put the certificate for request $req in ca-drop as $req.cer" "$tmp/plan"; then ok; else
    bad "plan does not say it waits for the CA: $(grep -i 'issue' "$tmp/plan" | head -2)"
fi

# 3. A certificate for another key is refused, and nothing changes.
openssl req -new -newkey rsa:2048 -nodes -subj /CN=mail.contoso.lab -keyout other.key -out other.csr 2>/dev/null
openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 -out "demo/ca-drop/$req.cer" 2>/dev/null
"$excert" -C demo apply --auto-approve >/dev/null 2>"$tmp/err"
if [ $? -eq 1 ] && grep -q "is not the certificate for this request" "$tmp/err"; then ok; else bad "a certificate for another key was not refused"; fi
rm -f "demo/ca-drop/$req.cer"

# 4. The CA's certificate, in DER: taken; apply finishes; in sync.
printf 'subjectAltName=DNS:mail.contoso.lab,DNS:autodiscover.contoso.lab\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in "$csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 90 \
    -extfile ext -outform DER -out "demo/ca-drop/$req.cer" 2>/dev/null || bad "signing"
"$excert" -C demo plan >"$tmp/plan" 2>/dev/null
if grep -q "is in ca-drop: it is taken" "$tmp/plan"; then ok; else bad "plan does not see the certificate"; fi
"$excert" -C demo apply --auto-approve >/dev/null 2>"$tmp/err"
if [ $? -eq 0 ]; then ok; else bad "apply with the CA's certificate"; fi
"$excert" -C demo drift >"$tmp/err" 2>&1
if [ $? -eq 0 ]; then ok; else bad "drift after the manual renewal"; fi
"$excert" -C demo --format json observe >obs.json 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open("obs.json"))
for s in d["servers"]:
    c = {x["thumbprint"]: x for x in s["certificates"]}
    b = [x for x in s["iis_bindings"] if x["port"] == 443][0]
    assert "Contoso Corporate CA" in c[b["thumbprint"]]["issuer"], s["name"]
'; then ok; else bad "IIS does not serve the corporate CA's certificate"; fi

echo "apply.manual: $pass passed, $fail failed"
[ $fail -eq 0 ]
