#!/bin/bash
# SPDX-License-Identifier: MIT
# excert acme ari against a small ARI responder (ari-responder.py: python3
# over HTTPS with a throwaway CA given by --ca-bundle), since Pebble 2.4.0
# has no renewalInfo.  The certificate is made so that its certID is RFC
# 9773's example (AKI 69:88:5B:..., serial 0x87654321).  Cases: the window
# and a point chosen in it; a second run answered from the state (no
# request: Retry-After honoured); once the wait is over, asked again and
# the same point kept; a moved window gets a new point in it; Retry-After
# clamped to a day and 6 hours when absent; a certificate the CA does not
# know; a CA without ARI; a malformed window; --format json.
# Skipped (77) without openssl or python3.
set -u
excert=${1:?usage: run-ari.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
for p in openssl python3; do
    command -v "$p" >/dev/null 2>&1 || {
        echo "acme.ari: skipped: $p is not installed"
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
export XDG_STATE_HOME=$tmp/state
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
    for f in out err; do [ -s $f ] && sed "s/^/    $f: /" $f >&2; done
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The CA's key identifier is RFC 9773's example, so is the leaf's AKI.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj "/CN=excert ARI test CA" -keyout ca.key -out ca.pem \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,digitalSignature \
    -addext subjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4 \
    2>/dev/null &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=mail.example.test -keyout leaf.key -out leaf.csr 2>/dev/null &&
    printf 'authorityKeyIdentifier=keyid\nsubjectAltName=DNS:mail.example.test\n' >leaf.ext &&
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key \
        -set_serial 0x87654321 -days 2 -extfile leaf.ext -out leaf.pem 2>/dev/null &&
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key \
        -set_serial 0x1234 -days 2 -extfile leaf.ext -out other.pem 2>/dev/null &&
    openssl x509 -in leaf.pem -outform DER -out leaf.der &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=localhost -keyout srv.key -out srv.csr 2>/dev/null &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >srv.ext &&
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -days 2 -extfile srv.ext -out srv.pem 2>/dev/null || {
    echo "acme.ari: cannot make the certificates" >&2
    exit 1
}
id=aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE
# window START END [RETRY_AFTER|-] [STATUS]: what the responder answers.
window() {
    ra=${3:--}
    if [ "$ra" = - ]; then ra=null; else ra="\"$ra\""; fi
    printf '{"id": "%s", "start": "%s", "end": "%s", "retry_after": %s, "status": %s, "explanation": "https://ca.example.test/why"}\n' \
        "$id" "$1" "$2" "$ra" "${4:-200}" >window.json
}
window 2030-01-01T00:00:00Z 2030-01-03T00:00:00Z 3600
: >requests.log
python3 "$here/ari-responder.py" "$port" srv.pem srv.key "$tmp" >responder.log 2>&1 &
pids="$pids $!"
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
dir=https://127.0.0.1:$port/dir
ari() {
    "$excert" acme ari --directory "$dir" --ca-bundle ca.pem "$@" >out 2>err
    rc=$?
    # Under ASan/UBSan a finding must not pass for an expected failure.
    if grep -q 'Sanitizer\|runtime error' err; then
        bad "sanitizer finding in: acme ari $*"
    fi
    return $rc
}
requests() { grep -c renewal-info requests.log; }
state() { find "$XDG_STATE_HOME" -path '*/ari/*.json'; }
# field NAME: a number from the kept ARI state.
field() { sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p" "$(state)"; }
# expire: the CA's Retry-After has passed (next_poll moved to the past).
expire() { sed -i 's/"next_poll":[0-9]*/"next_poll":1/' "$(state)"; }
renew_at() { sed -n 's/^renew at \([^ ]*\).*/\1/p' out; }

if ari --cert leaf.pem && grep -qx "certID $id" out &&
    grep -qx 'suggested window 2030-01-01T00:00:00Z .. 2030-01-03T00:00:00Z' out &&
    grep -q 'asked the CA now' out && grep -qx 'explanation https://ca.example.test/why' out &&
    [ "$(requests)" -eq 1 ] && [ "$(stat -c %a "$(state)")" = 600 ] &&
    [ "$(field chosen)" -ge 1893456000 ] && [ "$(field chosen)" -lt 1893628800 ] &&
    [ $(($(field next_poll) - $(field fetched))) -eq 3600 ]; then
    ok "RFC 9773's certID, the window, renew at $(renew_at), kept 0600"
else bad "first ARI request"; fi
first=$(renew_at)

if ari --cert leaf.der && grep -q 'answered from the state directory' out &&
    [ "$(requests)" -eq 1 ] && [ "$(renew_at)" = "$first" ]; then
    ok "second run (DER): no request before Retry-After, same point"
else bad "Retry-After honoured"; fi

expire
if ari --cert leaf.pem && grep -q 'asked the CA now' out &&
    [ "$(requests)" -eq 2 ] && [ "$(renew_at)" = "$first" ]; then
    ok "asked again after Retry-After: same window, same point"
else bad "same window keeps its point"; fi

expire
window 2031-06-01T00:00:00+02:00 2031-06-01T06:00:00+02:00
if ari --cert leaf.pem && [ "$(requests)" -eq 3 ] &&
    grep -qx 'suggested window 2031-05-31T22:00:00Z .. 2031-06-01T04:00:00Z' out &&
    [ "$(field chosen)" -ge 1938031200 ] && [ "$(field chosen)" -lt 1938052800 ] &&
    [ $(($(field next_poll) - $(field fetched))) -eq 21600 ]; then
    ok "a moved window: a new point $(renew_at) in it; no Retry-After: 6 hours"
else bad "moved window"; fi

expire
window 2031-06-01T00:00:00Z 2031-06-02T00:00:00Z 999999
if ari --cert leaf.pem && [ $(($(field next_poll) - $(field fetched))) -eq 86400 ]; then
    ok "Retry-After 999999 clamped to a day"
else bad "Retry-After clamp"; fi

expire
window 2031-06-01T00:00:00Z 2031-06-02T00:00:00Z 1
if ari --cert leaf.pem && [ $(($(field next_poll) - $(field fetched))) -eq 60 ]; then
    ok "Retry-After 1 raised to a minute"
else bad "Retry-After minimum"; fi

if ! ari --cert other.pem &&
    grep -q "the CA does not know the certificate aYhba4dGQEHhs3uEe6CuLN4ByNQ.EjQ (renewalInfo https://127.0.0.1:$port/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.EjQ: HTTP 404)" err; then
    ok "an unknown certificate: $(sed 's/excert: error: //' err)"
else bad "unknown certificate"; fi

if "$excert" acme ari --directory "https://127.0.0.1:$port/dir-noari" \
    --ca-bundle ca.pem --cert other.pem >out 2>err &&
    grep -q 'no ARI at this CA' out; then
    ok "a CA without renewalInfo: no ARI, exit 0"
else bad "no ARI at this CA"; fi

expire
window 2031-06-02T00:00:00Z 2031-06-01T00:00:00Z
if ! ari --cert leaf.pem && grep -q 'has no suggestedWindow with an RFC 3339 start before its end' err; then
    ok "a window that ends before it starts is refused"
else bad "malformed window"; fi

window 2030-01-01T00:00:00Z 2030-01-03T00:00:00Z 3600
if "$excert" --format json acme ari --directory "$dir" --ca-bundle ca.pem \
    --cert leaf.pem >out 2>err &&
    python3 -c 'import json,sys; d=json.load(open("out")); assert d["ari"] and d["cert_id"] == sys.argv[1] and d["start"] == "2030-01-01T00:00:00Z" and d["start"] <= d["renew_at"] < d["end"], d' "$id"; then
    ok "--format json"
else bad "json output"; fi

expire
if ! "$excert" acme ari --directory "$dir" --cert leaf.pem >out 2>err &&
    grep -q 'SSL certificate problem' err; then
    ok "TLS verification on without --ca-bundle"
else bad "TLS verification"; fi

if grep -q 'Sanitizer\|runtime error' err; then bad "sanitizer finding"; fi
echo "acme.ari: $pass passed, $fail failed"
[ $fail -eq 0 ]
