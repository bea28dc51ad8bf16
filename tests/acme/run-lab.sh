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
# Skipped (77) without pebble, pebble-challtestsrv, openssl or python3.
set -u
excert=${1:?usage: run-lab.sh EXCERT}
for p in pebble pebble-challtestsrv openssl python3; do
    command -v "$p" >/dev/null 2>&1 || {
        echo "acme.lab: skipped: $p is not installed (tools/deps.sh)"
        exit 77
    }
done
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
    [ -s err ] && tail -5 err | sed 's/^/    /' >&2
}
export XDG_STATE_HOME=$tmp/state

ports=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()')
read -r p_acme p_mgmt p_http p_dns p_cts <<<"$ports"

# A throwaway CA for Pebble's own HTTPS listener.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj "/CN=excert test CA" -keyout ca.key -out ca.pem \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=localhost -keyout listener.key -out listener.csr 2>/dev/null &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >listener.ext &&
    openssl x509 -req -in listener.csr -CA ca.pem -CAkey ca.key \
        -CAcreateserial -days 2 -extfile listener.ext -out listener.pem 2>/dev/null ||
    { echo "acme.lab: cannot make the test CA" >&2; exit 1; }

wait_port() { # PORT PID LOG
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "acme.lab: nothing listens on 127.0.0.1:$1; $3 says:" >&2
    tail -20 "$3" >&2
    exit 1
}

# Every name resolves to 127.0.0.1, through the mock DNS Pebble asks.
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
    -dns01 "127.0.0.1:$p_dns" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$p_cts" >cts.log 2>&1 &
cts=$!
pids="$pids $cts"
wait_port "$p_cts" $cts cts.log
cat >pebble.json <<JSON
{"pebble": {
  "listenAddress": "127.0.0.1:$p_acme",
  "managementListenAddress": "127.0.0.1:$p_mgmt",
  "certificate": "$tmp/listener.pem", "privateKey": "$tmp/listener.key",
  "httpPort": $p_http, "tlsPort": 1, "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}
JSON
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
    pebble -config pebble.json -dnsserver "127.0.0.1:$p_dns" >pebble.log 2>&1 &
pebble=$!
pids="$pids $pebble"
wait_port "$p_acme" $pebble pebble.log

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
