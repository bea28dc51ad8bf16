#!/bin/bash
# SPDX-License-Identifier: MIT
# ARI in plan: the lab's certificate, issued by an ACME issuer whose CA
# (ari-responder.py over HTTPS, as Pebble 2.4.0 has no renewalInfo)
# suggests a renewal window for it.  A window ahead: no change, and a note
# with the point excert chose; a window that has come: the renewal is
# planned with the CA's reason even though excert.yaml's own window is far;
# a CA that cannot be reached: a note, excert.yaml's window applies.
# status shows the point, or "due (ARI)".
# Skipped (77) without openssl or python3.
set -u
excert=${1:?usage: run-ari-plan.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=acme.ari-plan
. "$here/lib.sh"
acme_need openssl python3
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
acme_tmp
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; [ -s err ] && tail -3 err | sed 's/^/    /' >&2; }

"$excert" lab init lab --servers 2 --hybrid --expires-in 60 2>/dev/null || exit 1
port=$(free_ports 1)
make_test_ca
thumb=$(python3 -c 'import json; d=json.load(open("lab/lab.json")); print([c["thumbprint"] for c in d["servers"]["MS01"]["certificates"] if c["friendly_name"] == "excert mail"][0])')
cat >excert.yaml <<YAML
version: 1
organization: contoso
servers:
  - {name: MS01, fqdn: ms01.contoso.lab, connect: {transport: lab, path: lab}}
  - {name: MS02, fqdn: ms02.contoso.lab, connect: {transport: lab, path: lab}}
issuers:
  ca:
    acme:
      directory: https://127.0.0.1:$port/dir
      ca_bundle: ca.pem
      challenge: {http-01: {via: iis}}
certificates:
  - name: mail
    domains: [mail.contoso.lab, autodiscover.contoso.lab]
    issuer: ca
    servers: [MS01, MS02]
    services: [IIS, SMTP]
YAML
python3 "$here/ari-responder.py" "$port" listener.pem listener.key "$tmp" >responder.log 2>&1 &
pids="$pids $!"
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
id=$("$excert" acme ari --directory "https://127.0.0.1:$port/dir-noari" --ca-bundle ca.pem \
    --cert "lab/servers/MS01/certs/$thumb.pem" --format json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("cert_id", ""))')
[ -n "$id" ] || { bad "no certID for the lab certificate"; echo "acme.ari-plan: $pass passed, $fail failed"; exit 1; }
window() { # START END: the responder's answer, dates relative to now in days
    python3 - "$id" "$1" "$2" <<'PY' >window.json
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
f = lambda d: (now + datetime.timedelta(days=float(d))).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"id": sys.argv[1], "start": f(sys.argv[2]), "end": f(sys.argv[3]),
                  "retry_after": "3600", "status": 200, "explanation": None}))
PY
}

# 1. A window ahead: nothing to do; the note says when.
export XDG_STATE_HOME=$tmp/state1
window 20 22
"$excert" plan --detailed-exitcode >out 2>err
if [ $? -eq 0 ] && grep -q "issuer 'ca' suggests renewal between .* (ARI); excert renews it from" out; then ok; else bad "window ahead: $(cat out)"; fi
# The point is kept: the same on the next plan, without asking the CA.
n=$(grep -c renewal-info requests.log)
"$excert" plan >out2 2>/dev/null
if [ "$(grep -c renewal-info requests.log)" -eq "$n" ] && [ "$(grep ARI out)" = "$(grep ARI out2)" ]; then ok; else bad "the chosen point was not kept"; fi
"$excert" status >out 2>err
if grep -q "^mail *MS01 *$thumb *[0-9]* *ARI [0-9][0-9]-[0-9][0-9] " out; then ok; else bad "status does not show the ARI point: $(cat out)"; fi

# 2. A window that has come: the renewal, for the CA's reason.
export XDG_STATE_HOME=$tmp/state2
window -2 -1
"$excert" --format json plan --detailed-exitcode >out 2>err
if [ $? -eq 2 ] && python3 -c '
import json
d = json.load(open("out"))
s = d["steps"][0]
assert s["kind"] == "request" and "(ARI)" in s["reason"] and "has come" in s["reason"], s
'; then ok; else bad "window come: $(head -c 600 out)"; fi
"$excert" --format json status >out 2>err
if python3 -c '
import json
d = json.load(open("out"))
r = d["certificates"][0]
assert r["renewal_due"] and r["ari"]["chosen"] <= r["ari"]["end"], r
'; then ok; else bad "status json: $(head -c 400 out)"; fi
# A saved plan keeps the window among its facts.
"$excert" plan -o plan.json >/dev/null 2>&1
if grep -q '"issuer ca: ARI of '"$thumb"': renew from' plan.json; then ok; else bad "the saved plan lacks the ARI fact"; fi

# 3. The CA cannot be reached: a note; excert.yaml's window applies.
export XDG_STATE_HOME=$tmp/state3
for pid in $pids; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
pids=""
"$excert" plan --detailed-exitcode >out 2>err
if [ $? -eq 0 ] && grep -q "could not be had from issuer 'ca', so excert.yaml's window applies" out; then ok; else bad "CA unreachable: $(cat out)"; fi

echo "acme.ari-plan: $pass passed, $fail failed"
[ $fail -eq 0 ]
