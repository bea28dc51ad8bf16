#!/bin/bash
# SPDX-License-Identifier: MIT
# excert acme issue with dns-01 against a real BIND 9 and a real Pebble
# (Debian's bind9 and pebble 2.4.0) on 127.0.0.1: excert adds the TXT
# records by RFC 2136 updates signed with TSIG (ldns), Pebble resolves them
# through that BIND (-dnsserver) and validates them for real.  Cases: one
# name, a wildcard with its base name, a key clause file and --zone, the
# records gone afterwards (dig), a wrong TSIG secret said in words with
# nothing left behind, a failed validation that still cleans up, a run
# killed after answering resumed and cleaned up, a name outside --zone, a
# real secondary (NOTIFY and a zone transfer) that must serve the records
# too before Pebble is asked, and one that never does.
# Skipped (77) without named, pebble, dig, openssl, python3 or curl.
set -u
excert=${1:?usage: run-bind.sh EXCERT}
test_name=acme.bind
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
acme_need named named-checkconf tsig-keygen dig pebble pebble-challtestsrv \
    openssl python3 curl
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

read -r p_acme p_mgmt p_http p_dns p_cts p_ctsdns p_sec <<<"$(free_ports 7)"
dir=https://127.0.0.1:$p_acme/dir

# ---- BIND: zone example.test, TXT updates allowed to key acme-key ----
start_named example.test acme-key "$p_dns" "$p_sec"
start_secondary example.test "$p_dns" "$p_sec"
secret=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' named/tsig.key)
wrong=$(tsig-keygen -a hmac-sha256 acme-key | sed -n 's/.*secret "\(.*\)";.*/\1/p')

# A throwaway CA for Pebble's HTTPS listener.
make_test_ca


export EXCERT_TEST_TSIG=$secret
dns() {
    echo "--dns-server=127.0.0.1:$p_dns"
    echo "--tsig-name=acme-key"
}
# issue OUT ARGS...: excert acme issue with dns-01 against this Pebble.
issue() {
    out=$1
    shift
    # shellcheck disable=SC2046
    EXCERT_PROFILE=1 "$excert" acme issue --directory "$dir" \
        --ca-bundle ca.pem --out "$out" $(dns) "$@" 2>err
    rc=$?
    if grep -q 'Sanitizer\|runtime error' err; then
        bad "sanitizer finding in: acme issue $*"
    fi
    # The secrets are never shown.
    if grep -qF -e "$secret" -e "$wrong" err; then
        bad "a TSIG secret was printed by: acme issue $*"
    fi
    return $rc
}
verify() {
    out=$1
    shift
    openssl verify -CAfile root.pem -untrusted "$out/chain.pem" \
        "$out/cert.pem" >/dev/null 2>&1 || return 1
    [ "$(openssl x509 -in "$out/cert.pem" -noout -pubkey)" = \
        "$(openssl pkey -in "$out/key.pem" -pubout)" ] || return 1
    sans=$(openssl x509 -in "$out/cert.pem" -noout -ext subjectAltName)
    for n in "$@"; do
        echo "$sans" | grep -qF "DNS:$n" || return 1
    done
}
# txt NAME: the TXT records BIND serves at _acme-challenge.NAME.
txt() { dig +short +norecurse -p "$p_dns" @127.0.0.1 TXT "_acme-challenge.$1"; }
# gone NAME...: no TXT record left at any of them (and BIND answers).
gone() {
    dig +short -p "$p_dns" @127.0.0.1 SOA example.test | grep -q ns1 ||
        return 1
    for n in "$@"; do
        [ -z "$(txt "$n")" ] || return 1
    done
}

start_pebble false "$p_dns" PEBBLE_AUTHZREUSE=0

if issue one -d one.example.test --tsig-secret env:EXCERT_TEST_TSIG &&
    verify one one.example.test && gone one.example.test &&
    grep -q 'dns-01: 2 updates, [0-9]* queries, 1 records added, 1 deleted' err &&
    grep -q 'added 1 TXT record in zone example.test' err; then
    ok "one name over dns-01: $(grep -o '[0-9.]* s wall.*' err)"
else bad "one name over dns-01"; fi

if issue wild -d '*.wild.example.test' -d wild.example.test \
    --tsig-secret env:EXCERT_TEST_TSIG &&
    verify wild '*.wild.example.test' wild.example.test &&
    gone wild.example.test &&
    grep -q '2 records added, 2 deleted' err; then
    ok "a wildcard and its base name: two TXT values at one name, both removed"
else bad "wildcard and base name"; fi

if issue kf -d kf.example.test -d kf2.example.test --key rsa2048 \
    --tsig-secret file:named/tsig.key --tsig-algorithm hmac-sha256 \
    --zone example.test && verify kf kf.example.test kf2.example.test &&
    gone kf.example.test kf2.example.test &&
    grep -q 'dns-01: 2 updates' err; then
    ok "two names, the secret from a BIND key file, --zone given: one update each way"
else bad "key file and --zone"; fi

export EXCERT_TEST_WRONG=$wrong
if ! EXCERT_PROFILE=1 "$excert" acme issue --directory "$dir" --ca-bundle ca.pem \
    --out bad $(dns) -d bad.example.test --tsig-secret env:EXCERT_TEST_WRONG 2>err &&
    grep -q 'refused the update of zone example.test (adding _acme-challenge.bad.example.test TXT): NOTAUTH, BADSIG: the TSIG signature does not verify' err &&
    ! grep -qF -e "$wrong" -e "$secret" err && gone bad.example.test &&
    ! grep -q 'Sanitizer\|runtime error' err &&
    [ ! -e bad/cert.pem ]; then
    ok "a wrong TSIG secret: $(sed -n 's/excert: error: //p' err)"
else bad "a wrong TSIG secret is said in words"; fi

if ! EXCERT_PROFILE=1 "$excert" acme issue --directory "$dir" --ca-bundle ca.pem \
    --out bad --dns-server "127.0.0.1:$p_dns" --tsig-name nobody-key \
    -d bad.example.test --tsig-secret env:EXCERT_TEST_TSIG 2>err &&
    grep -q "NOTAUTH, BADKEY: the server knows no TSIG key of this name and algorithm; .* (key 'nobody-key')" err &&
    ! grep -q 'Sanitizer\|runtime error' err &&
    gone bad.example.test; then
    ok "an unknown TSIG key name: NOTAUTH, BADKEY, said so"
else bad "an unknown TSIG key name"; fi

if ! issue outside -d x.other.test --tsig-secret env:EXCERT_TEST_TSIG \
    --zone example.test && grep -q '_acme-challenge.x.other.test is not in zone example.test (--zone)' err; then
    ok "a name outside --zone is refused before any update"
else bad "a name outside --zone"; fi

# A secondary of the zone (a real BIND that transfers it on NOTIFY): the
# CA is asked only once it serves the records too.
if issue sec -d sec.example.test --tsig-secret env:EXCERT_TEST_TSIG \
    --dns-secondary "127.0.0.1:$p_sec" && verify sec sec.example.test &&
    grep -q "the TXT records are served by 127.0.0.1:$p_dns and its 1 secondary" err &&
    gone sec.example.test; then
    ok "a secondary that transfers the zone serves the record before the CA is asked"
else bad "a secondary"; fi

# A "secondary" that never gets the records (challtestsrv's DNS serves
# nothing of this zone): the CA is never asked, and the record goes.
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
    -dns01 "127.0.0.1:$p_ctsdns" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$p_cts" >cts.log 2>&1 &
cts=$!
pids="$pids $cts"
wait_port "$p_cts" "$cts" cts.log
if ! issue lag -d lag.example.test --tsig-secret env:EXCERT_TEST_TSIG \
    --dns-secondary "127.0.0.1:$p_ctsdns" --dns-timeout 2 &&
    grep -q "the secondary DNS server 127.0.0.1:$p_ctsdns still does not serve the TXT record of _acme-challenge.lag.example.test" err &&
    ! grep -q "dns-01 validation" err && gone lag.example.test; then
    ok "a secondary that lags: stopped before the CA is asked, record removed"
else bad "a lagging secondary"; fi

# Killed right after answering: the record stays until the resumed run.
EXCERT_ACME_STOP_AFTER=challenge issue k1 -d kill.example.test \
    --tsig-secret env:EXCERT_TEST_TSIG 2>/dev/null
rc=$?
left=$(txt kill.example.test)
placed=$(sed -n 's/.*order \(https:[^ ]*\) placed.*/\1/p' err)
if [ $rc -eq 137 ] && [ -n "$left" ] &&
    issue k1 -d kill.example.test --tsig-secret env:EXCERT_TEST_TSIG &&
    grep -q "resuming order $placed" err && verify k1 kill.example.test &&
    gone kill.example.test; then
    ok "killed after answering (record $left left), resumed the same order, record removed"
else bad "killed after answering (rc $rc, left '$left')"; fi
stop_pebble

# ---- a Pebble that resolves elsewhere: validation fails ----
start_pebble false "$p_ctsdns" PEBBLE_AUTHZREUSE=0
if ! issue miss -d miss.example.test -d '*.miss.example.test' \
    --tsig-secret env:EXCERT_TEST_TSIG &&
    grep -q 'dns-01 validation of \(\*\.\)\{0,1\}miss.example.test failed (invalid): ' err &&
    grep -q 'deleted 2 TXT records in zone example.test' err &&
    gone miss.example.test && [ ! -e miss/cert.pem ]; then
    ok "failed validation, records removed: $(sed -n 's/excert: error: //p' err)"
else bad "a failed validation cleans up"; fi
stop_pebble

echo "acme.bind: $pass passed, $fail failed"
[ $fail -eq 0 ]
