#!/bin/bash
# SPDX-License-Identifier: MIT
# The lab demo renewed by a real Pebble on 127.0.0.1: excert apply asks the
# lab's first server for a request, places an ACME order, has the agent put
# the http-01 answers in the IIS webroot of both servers, which Pebble
# fetches for real over HTTP (from `excert lab serve --http01` when it is
# built, else python3's http.server over one server's webroot), finalizes
# with Exchange's own request, imports, distributes, enables, points the
# connectors and hybrid at Pebble's issuer, verifies, removes the old
# certificate.  Then: in sync; no answer left in any webroot; an apply
# killed right after the order was placed resumes that same order.
# Skipped (77) without pebble, pebble-challtestsrv, openssl, python3 or curl.
set -u
excert=${1:?usage: run-lab.sh EXCERT}
test_name=acme.lab
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
acme_need pebble pebble-challtestsrv openssl python3 curl
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
acme_tmp
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
    [ -s err ] && tail -5 err | sed 's/^/    /' >&2
}
read -r p_acme p_mgmt p_http p_dns p_cts <<<"$(free_ports 5)"
make_test_ca

# Every name resolves to 127.0.0.1, through the mock DNS Pebble asks.
start_mock_dns "$p_dns" "$p_cts"
start_pebble false "$p_dns" PEBBLE_AUTHZREUSE=0

# demo NAME: an `excert init --lab` demo whose certificate Pebble issues,
# with its webroots served on Pebble's http-01 port.
serve_pid=""
demo() {
    if [ -n "$serve_pid" ]; then
        kill "$serve_pid" 2>/dev/null
        wait "$serve_pid" 2>/dev/null
    fi
    "$excert" init --lab "$1" >/dev/null 2>&1 || { echo "acme.lab: init failed" >&2; exit 1; }
    python3 - "$1/excert.yaml" "https://127.0.0.1:$p_acme/dir" <<'PY'
import sys
p, url = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("issuers:\n", "issuers:\n  pebble:\n    acme:\n      directory: %s\n      ca_bundle: ../ca.pem\n      challenge: {http-01: {via: iis}}\n" % url)
s = s.replace("    issuer: labca\n", "    issuer: pebble\n")
open(p, "w").write(s)
PY
    (cd "$1" && git commit -qam "issued by pebble")
    if "$excert" lab serve --help >/dev/null 2>&1; then
        "$excert" lab serve "$1/lab" --base-port 0 --http01 "127.0.0.1:$p_http" \
            >"$1.serve.log" 2>&1 &
    else
        python3 -m http.server --bind 127.0.0.1 --directory "$1/lab/servers/MS01/webroot" \
            "$p_http" >"$1.serve.log" 2>&1 &
    fi
    serve_pid=$!
    pids="$pids $serve_pid"
    wait_port "$p_http" $serve_pid "$1.serve.log"
}

# 1. A full renewal from Pebble.
demo demo
"$excert" -C demo validate >/dev/null 2>err || bad "validate"
"$excert" -C demo apply --auto-approve >out 2>err
if [ $? -eq 0 ]; then ok; else bad "apply with Pebble"; fi
"$excert" -C demo drift >/dev/null 2>err
if [ $? -eq 0 ]; then ok; else bad "drift after the renewal"; fi
"$excert" -C demo --format json observe >obs.json 2>/dev/null
if python3 - obs.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["servers"]:
    certs = {c["thumbprint"]: c for c in s["certificates"]}
    iis = [b for b in s["iis_bindings"] if b["port"] == 443][0]
    assert "Pebble" in certs[iis["thumbprint"]]["issuer"], (s["name"], certs[iis["thumbprint"]])
    for rc in s["receive_connectors"]:
        if rc["identity"].endswith("Default Frontend " + s["name"]):
            assert "Pebble" in rc["tls_certificate_name"], rc
    assert not any(c["friendly_name"] == "excert mail" and "excert Lab" in c["issuer"]
                   for c in s["certificates"]), s["name"]
o = d["organization"]
assert all("Pebble" in c["tls_certificate_name"] for c in o["send_connectors"]
           if c["name"].startswith("Outbound to Office"))
assert "Pebble" in o["hybrid"]["tls_certificate_name"]
PY
then ok; else bad "the lab does not use Pebble's certificate everywhere"; fi
if [ -z "$(find demo/lab/servers -path '*acme-challenge/*' -type f)" ]; then ok; else bad "http-01 answers left behind"; fi
if ! ls "$XDG_STATE_HOME"/excert/contoso/acme-*/orders/req-*.json >/dev/null 2>&1; then ok; else bad "order file left behind"; fi
if grep -q "Attempting to validate w/ HTTP: http://mail.contoso.lab:$p_http/.well-known/acme-challenge/" pebble.log; then ok; else
    bad "Pebble did not validate over HTTP on the lab's port: $(grep -i validate pebble.log | tail -2)"
fi

# 2. Killed right after the order is placed: the next apply resumes it.
rm -rf "$XDG_STATE_HOME"
demo demo2
sed -i 's/"latency_ms": [0-9]*/"latency_ms": 400/' demo2/lab/lab.json
"$excert" -C demo2 apply --auto-approve >out 2>err &
apid=$!
f=""
for _ in $(seq 1 500); do
    f=$(ls "$XDG_STATE_HOME"/excert/contoso/acme-*/orders/req-*.json 2>/dev/null | head -1)
    [ -n "$f" ] && break
    sleep 0.02
done
kill -9 $apid 2>/dev/null
wait $apid 2>/dev/null
if [ -n "$f" ] && [ -s "$f" ]; then ok; else bad "no order file while the order was open"; fi
order=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$f" 2>/dev/null)
sed -i 's/"latency_ms": [0-9]*/"latency_ms": 0/' demo2/lab/lab.json
"$excert" -C demo2 apply --auto-approve >out 2>err
if [ $? -eq 0 ]; then ok; else bad "apply after the kill"; fi
journal="$XDG_STATE_HOME/excert/contoso/journal.jsonl"
if [ -n "$order" ] && grep -q "signed by 'pebble' (order $order, resumed)" "$journal" &&
    [ "$(grep -c "signed by 'pebble'" "$journal")" -eq 1 ]; then ok; else
    bad "the apply after the kill did not finish the first order ($order): $(grep -o "signed by[^\"]*" "$journal")"
fi
"$excert" -C demo2 drift >/dev/null 2>err
if [ $? -eq 0 ]; then ok; else bad "drift after the resumed apply"; fi

echo "acme.lab: $pass passed, $fail failed"
[ $fail -eq 0 ]
