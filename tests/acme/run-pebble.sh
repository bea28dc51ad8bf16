#!/bin/bash
# SPDX-License-Identifier: MIT
# excert acme issue against a real Pebble (Debian's pebble 2.4.0) on
# 127.0.0.1, http-01 validated for real: Pebble resolves every name through
# pebble-challtestsrv's DNS, which answers 127.0.0.1, and connects to the
# http-01 port, where excert's listener (or python3's http.server over
# --webroot) answers.  Three Pebbles in turn: a plain one, one that rejects
# half of the nonces, one that requires external account binding.
# Skipped (77) without pebble, pebble-challtestsrv, openssl or python3.
set -u
excert=${1:?usage: run-pebble.sh EXCERT}
test_name=acme.pebble
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
acme_need pebble pebble-challtestsrv openssl python3 curl
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
acme_tmp
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
    [ -s err ] && sed 's/^/    /' err >&2
}

read -r p_acme p_mgmt p_http p_dns p_cts p_other <<<"$(free_ports 6)"
dir=https://127.0.0.1:$p_acme/dir
# A throwaway CA for Pebble's own HTTPS listener (the package ships none).
make_test_ca

# The mock DNS: every A query answers 127.0.0.1, no AAAA.
start_mock_dns "$p_dns" "$p_cts"

# start_pebble EAB [VAR=VALUE...]: a new Pebble (lib.sh), resolving
# through the mock DNS.
pebble_at() {
    eab=$1
    shift
    start_pebble "$eab" "$p_dns" "$@"
}

# issue OUT ARGS...: excert acme issue against this Pebble, stderr in err.
issue() {
    out=$1
    shift
    EXCERT_PROFILE=1 "$excert" acme issue --directory "$dir" \
        --ca-bundle ca.pem --out "$out" "$@" 2>err
    rc=$?
    # Under ASan/UBSan, a finding in a run that is expected to fail must
    # not pass for the expected failure.
    if grep -q 'Sanitizer\|runtime error' err; then
        bad "sanitizer finding in: acme issue $*"
    fi
    return $rc
}
listen() { echo "--http-port=127.0.0.1:$p_http"; }

# verify OUT NAME...: the chain verifies against Pebble's root, the key is
# the certificate's, the names are there, key.pem is 0600.
verify() {
    out=$1
    shift
    openssl verify -CAfile root.pem -untrusted "$out/chain.pem" \
        "$out/cert.pem" >/dev/null 2>&1 || return 1
    [ "$(openssl x509 -in "$out/cert.pem" -noout -pubkey)" = \
        "$(openssl pkey -in "$out/key.pem" -pubout)" ] || return 1
    [ "$(stat -c %a "$out/key.pem")" = 600 ] || return 1
    sans=$(openssl x509 -in "$out/cert.pem" -noout -ext subjectAltName)
    for n in "$@"; do
        echo "$sans" | grep -q "DNS:$n\(,\|\$\)" || return 1
    done
}
# requests: the request count of the last run's profile line.
requests() { sed -n 's/.* \([0-9]*\) requests (.*/\1/p' err; }

# ---- a plain Pebble; authorizations always reused ----
pebble_at false PEBBLE_AUTHZREUSE=100

if issue one -d one.example.test "$(listen)" && verify one one.example.test; then
    ok "one domain, built-in listener: $(grep -o '[0-9.]* s wall.*' err)"
else bad "one domain"; fi
first=$(requests)

if issue one2 -d one.example.test "$(listen)" && verify one2 one.example.test &&
    grep -q 'directory cached, account cached' err &&
    grep -q ' 0 GET' err && grep -q 'authorization valid already, reused' err &&
    [ "$(requests)" -le 6 ] && [ "$(requests)" -lt "$first" ]; then
    ok "second run: cached directory and account, reused authorization, $(requests) requests (first run $first)"
else bad "second run reuses the cache ($(requests) requests, first $first)"; fi

mkdir -p www
(cd www && exec python3 -m http.server --bind 127.0.0.1 "$p_http") \
    >http.log 2>&1 &
web=$!
pids="$pids $web"
wait_port "$p_http" "$web" http.log
if issue many --webroot www --key rsa2048 -d a.example.test \
    -d B.example.test -d c.example.test &&
    verify many a.example.test b.example.test c.example.test &&
    openssl x509 -in many/cert.pem -noout -text | grep -q 'rsaEncryption' &&
    [ ! -e www/.well-known ]; then
    ok "three domains, RSA key, --webroot served by python3, token files removed"
else bad "three domains with --webroot"; fi
# The RSA key was made while the order was placed and answered.
if grep -q "key made alongside the requests (finalizing waited [0-9.]* ms for it)" err; then
    ok "RSA key made alongside the requests: $(grep -o 'finalizing waited [0-9.]* ms' err)"
else bad "the RSA key was not made alongside the requests"; fi

# Killed right after the order is placed (SIGKILL), then resumed.
EXCERT_ACME_STOP_AFTER=order issue kill1 --webroot www -d kill1.example.test 2>/dev/null
rc=$?
placed=$(sed -n 's/.*order \(https:[^ ]*\) placed.*/\1/p' err)
if [ $rc -eq 137 ] && [ -n "$placed" ] &&
    issue kill1 --webroot www -d kill1.example.test &&
    grep -q "resuming order $placed (pending)" err && verify kill1 kill1.example.test &&
    [ "$(grep -c 'placed' err)" -eq 0 ] && [ -z "$(find www -type f)" ]; then
    ok "killed after the order, resumed the same order $placed"
else bad "killed after the order (rc $rc, placed '$placed')"; fi

# Killed after answering the challenge (its token file stays behind).
EXCERT_ACME_STOP_AFTER=challenge issue kill2 --webroot www -d kill2.example.test 2>/dev/null
rc=$?
placed=$(sed -n 's/.*order \(https:[^ ]*\) placed.*/\1/p' err)
if [ $rc -eq 137 ] && [ -n "$placed" ] &&
    issue kill2 --webroot www -d kill2.example.test &&
    grep -q "resuming order $placed" err && verify kill2 kill2.example.test &&
    [ -z "$(find www -type f)" ]; then
    ok "killed after the challenge, resumed the same order, left-over token removed"
else bad "killed after the challenge (rc $rc)"; fi

# Killed after finalize: the resumed run downloads with the saved key.
EXCERT_ACME_STOP_AFTER=finalize issue kill3 --webroot www -d kill3.example.test 2>/dev/null
rc=$?
placed=$(sed -n 's/.*order \(https:[^ ]*\) placed.*/\1/p' err)
if [ $rc -eq 137 ] && [ -n "$placed" ] &&
    issue kill3 --webroot www -d kill3.example.test &&
    grep -Eq "resuming order $placed \((processing|valid)\)" err &&
    verify kill3 kill3.example.test &&
    [ -z "$(find "$XDG_STATE_HOME" -path '*orders*' -type f)" ]; then
    ok "killed after finalize, resumed with the saved key; no order left in the state"
else bad "killed after finalize (rc $rc)"; fi
kill "$web" 2>/dev/null
wait "$web" 2>/dev/null

# Ctrl-C while the CA validates: a listener that accepts and never answers
# holds Pebble's validation; SIGINT once the token file is in the webroot
# ends the run at once, in words, with the file removed.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    held.append(s.accept()[0])' "$p_http" >hole.log 2>&1 &
hole=$!
pids="$pids $hole"
wait_port "$p_http" "$hole" hole.log
EXCERT_PROFILE=1 "$excert" acme issue --directory "$dir" --ca-bundle ca.pem \
    --out int --webroot www -d int.example.test 2>err &
run=$!
for _ in $(seq 1 300); do
    [ -n "$(find www -type f 2>/dev/null)" ] && break
    sleep 0.1
done
placed=$(find www -type f | wc -l)
kill -INT "$run"
wait "$run"
rc=$?
if [ "$placed" = 1 ] && [ $rc -ne 0 ] && [ $rc -ne 130 ] &&
    grep -q 'interrupted' err && [ -z "$(find www -type f)" ] &&
    [ ! -e int/cert.pem ]; then
    ok "SIGINT during validation: $(sed -n 's/excert: error: //p' err | tail -1); token file removed"
else
    bad "SIGINT during validation (rc $rc, $placed file placed, left: $(find www -type f))"
fi
kill "$hole" 2>/dev/null
wait "$hole" 2>/dev/null

# Problem documents in words.
if ! issue bad -d bad.example.test. "$(listen)" &&
    grep -q 'new order at https://127.0.0.1:[0-9]*/order-plz failed: the CA found the request malformed (malformed): .*ending in a period' err; then
    ok "a name ending in a dot: $(sed -n "s/excert: error: //p" err)"
else bad "a name ending in a dot is reported in words"; fi
if ! issue bad -d 192.0.2.1 "$(listen)" && grep -q '(malformed): .*IP address' err; then
    ok "an IP literal as a DNS name is reported in words"
else bad "an IP literal"; fi
if ! issue bad -d '*.wild.example.test' "$(listen)" &&
    grep -q 'no http-01 challenge for \*.wild.example.test (offered: dns-01)' err; then
    ok "a wildcard: no http-01 challenge, said so"
else bad "a wildcard name"; fi

# The listener where the CA does not look: validation fails, in words.
if ! issue miss -d miss.example.test --http-port "127.0.0.1:$p_other" &&
    grep -q "http-01 validation of miss.example.test failed (invalid): the CA could not connect to the server to validate (connection): .*; no request reached excert's listener on port $p_other" err; then
    ok "validation failure: $(sed -n 's/excert: error: //p' err)"
else bad "a failed validation is reported in words"; fi

# The listener's port taken: said before any order is placed.
if ! issue busy -d busy.example.test --http-port "127.0.0.1:$p_acme" &&
    grep -q "cannot listen for http-01 on 127.0.0.1 port $p_acme" err &&
    ! grep -q placed err; then
    ok "a busy http-01 port fails before the order"
else bad "busy port"; fi

# TLS verification is on: without the CA bundle the run stops.
if ! EXCERT_PROFILE=1 "$excert" --state "$tmp/other" acme issue --directory "$dir" \
    -d x.example.test "$(listen)" --out x 2>err &&
    grep -q "cannot reach $dir: SSL certificate problem" err; then
    ok "TLS verification on: $(sed -n "s/excert: error: //p" err)"
else bad "TLS verification"; fi
stop_pebble

# ---- half of the nonces rejected; no reuse of authorizations ----
pebble_at false PEBBLE_WFE_NONCEREJECT=50 PEBBLE_AUTHZREUSE=0
all=1
retries=0
for i in 1 2 3 4 5; do
    if issue "n$i" -d "n$i.example.test" -d "m$i.example.test" "$(listen)" &&
        verify "n$i" "n$i.example.test" "m$i.example.test"; then
        retries=$((retries + $(sed -n 's/.* \([0-9]*\) badNonce retries.*/\1/p' err)))
    else
        all=0
        bad "badNonce run $i"
    fi
done
if [ $all -eq 1 ] && [ $retries -gt 0 ]; then
    ok "PEBBLE_WFE_NONCEREJECT=50: 5 certificates issued, $retries badNonce retries"
else bad "nonce rejection ($retries retries)"; fi
stop_pebble

# ---- external account binding required ----
pebble_at true
if ! issue e0 -d eab.example.test "$(listen)" &&
    grep -q 'requires an external account binding: give --eab-kid and --eab-hmac' err; then
    ok "EAB required, none given: said so"
else bad "EAB required without EAB"; fi
wrong=${EAB_HMAC%????}AAAA
export EXCERT_TEST_EAB=$wrong
if ! issue e1 -d eab.example.test "$(listen)" --eab-kid "$EAB_KID" \
    --eab-hmac env:EXCERT_TEST_EAB &&
    grep -q 'account registration at https://127.0.0.1:[0-9]*/sign-me-up failed: the CA refused the authorization (unauthorized)' err &&
    ! grep -q "$wrong" err; then
    ok "EAB with a wrong HMAC: $(sed 's/excert: error: //' err | tail -1)"
else bad "EAB with a wrong HMAC"; fi
printf '%s\n' "$EAB_HMAC" >hmac.txt
if issue e2 -d eab.example.test "$(listen)" --eab-kid "$EAB_KID" \
    --eab-hmac file:hmac.txt --email hostmaster@excert.test &&
    verify e2 eab.example.test &&
    grep -q 'account registered' err && ! grep -q "$EAB_HMAC" err &&
    grep -q 'account contact mailto:hostmaster@excert.test' err; then
    ok "EAB required, kid and HMAC from file:, the account made with its contact"
else bad "EAB from a file"; fi
if issue e3 -d eab2.example.test "$(listen)" && verify e3 eab2.example.test &&
    grep -q 'account cached' err; then
    ok "EAB account reused without the binding"
else bad "EAB account reused"; fi
if "$excert" acme issue --directory "$dir" -d x.example.test \
    --eab-kid "$EAB_KID" --eab-hmac "$EAB_HMAC" 2>err; then
    bad "a literal HMAC is refused"
elif [ $? -eq 64 ] && ! grep -q "$EAB_HMAC" err; then
    ok "a literal HMAC on the command line is refused and not shown"
else bad "a literal HMAC"; fi
stop_pebble

echo "acme.pebble: $pass passed, $fail failed"
[ $fail -eq 0 ]
