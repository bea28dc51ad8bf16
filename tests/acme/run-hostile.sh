#!/bin/bash
# SPDX-License-Identifier: MIT
# excert acme issue against a hostile ACME server (hostile-ca.py: python3
# over HTTPS on 127.0.0.1 with a throwaway CA given by --ca-bundle), and
# against a hostile webroot (issue 18).  Cases: "Retry-After: 0" on a
# pending authorization is not polled in a loop (requests counted over 6
# s); an order with 10,000 authorizations for one name is refused before
# any is read; a 3,000-byte Location is refused, not cut; a symbolic link
# planted as .well-known is refused and nothing is written where it
# points.  Skipped (77) without openssl or python3.
set -u
excert=${1:?usage: run-hostile.sh EXCERT}
test_name=acme.hostile
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
acme_need openssl python3 timeout
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
acme_tmp
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
    [ -s err ] && sed 's/^/    err: /' err >&2
}

read -r p_ca p_http <<<"$(free_ports 2)"
make_test_ca
: >requests.log
python3 "$here/hostile-ca.py" "$p_ca" listener.pem listener.key \
    "$tmp/requests.log" >ca.log 2>&1 &
ca=$!
pids="$pids $ca"
wait_port "$p_ca" "$ca" ca.log

# issue SECONDS MODE ARGS...: excert acme issue against MODE's directory,
# stopped (SIGTERM) after SECONDS; stderr in err, the elapsed time in
# $took (tenths of a second).
issue() {
    secs=$1
    mode=$2
    shift 2
    start=$(date +%s%N)
    timeout "$secs" "$excert" acme issue \
        --directory "https://127.0.0.1:$p_ca/$mode/dir" --ca-bundle ca.pem \
        --out "out-$mode" -d hostile.example.test "$@" 2>err
    rc=$?
    took=$((($(date +%s%N) - start) / 100000000))
    # Under ASan/UBSan a finding must not pass for an expected failure.
    if grep -q 'Sanitizer\|runtime error' err; then
        bad "sanitizer finding in: acme issue ($mode) $*"
    fi
    return $rc
}
count() { grep -c "$1" requests.log; }
listen() { echo "--http-port=127.0.0.1:$p_http"; }

# Retry-After: 0 on every poll.  The old client polled in a busy loop
# (521 signed POSTs in 25 s against a real CA; hundreds here).
issue 6 retry0 "$(listen)"
polls=$(count '^POST /retry0/authz/')
if [ "$polls" -ge 3 ] && [ "$polls" -le 10 ]; then
    ok "Retry-After: 0: $polls reads of the authorization in 6 s"
else bad "Retry-After: 0 polled $polls times in 6 s"; fi

# 10,000 authorizations for one name: refused at once, none read.
if ! issue 30 authz "$(listen)" && [ "$rc" -ne 124 ] && [ "$took" -lt 50 ] &&
    grep -q "the order https://127.0.0.1:$p_ca/authz/order/1 has 10000 authorizations for 1 name: refused (at most one per name)" err &&
    [ "$(count '^POST /authz/authz/')" -eq 0 ]; then
    ok "10,000 authorizations refused in $((took / 10)).$((took % 10)) s: $(sed -n 's/excert: error: //p' err)"
else bad "10,000 authorizations ($(count '^POST /authz/authz/') read, rc $rc, ${took}00 ms)"; fi

# A 3,000-byte Location: an error, not a URL cut at 2,047 bytes.
if ! issue 30 location "$(listen)" && [ "$rc" -ne 124 ] &&
    grep -q "new order: the reply from https://127.0.0.1:$p_ca/location/order has a Location header of 3000 bytes, more than the 2047 excert takes" err &&
    [ "$(count '^POST /location/authz/')" -eq 0 ]; then
    ok "a 3,000-byte Location: $(sed -n 's/excert: error: //p' err)"
else bad "a 3,000-byte Location"; fi

# A webroot whose .well-known is a link to a directory elsewhere: refused
# before any order, nothing written there.
mkdir -p www elsewhere
ln -s "$tmp/elsewhere" www/.well-known
: >requests.log
if ! issue 10 retry0 --webroot www &&
    grep -qx "excert: error: www/.well-known is a symbolic link: refusing to follow it for http-01 (make it a directory)" err &&
    [ -z "$(find elsewhere -mindepth 1)" ] && [ ! -s requests.log ]; then
    ok "a symbolic link as .well-known: $(sed -n 's/excert: error: //p' err)"
else bad "a symbolic link as .well-known (in elsewhere: $(find elsewhere -mindepth 1))"; fi

echo "$test_name: $pass passed, $fail failed"
[ $fail -eq 0 ]
