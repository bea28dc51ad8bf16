#!/bin/bash
# SPDX-License-Identifier: MIT
# excert probe's failures in words, against small servers on 127.0.0.1
# (tests/probe/responder.py): a refused port, a server that never answers
# (each phase times out with its own words, the run's deadline too), SMTP
# without STARTTLS, refusing at its greeting or refusing STARTTLS, data
# injected after STARTTLS, a plain-text server on a TLS port; IMAP and
# POP3 with STARTTLS and IMAPS served for real; many endpoints at once.
# Skipped (77) without python3 or openssl.
set -u
excert=${1:?usage: run-errors.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
for p in python3 openssl; do
    command -v "$p" >/dev/null 2>&1 || {
        echo "probe.errors: skipped: $p is not installed"
        exit 77
    }
done
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
tmp=$(mktemp -d) || exit 1
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=mx.example.test -addext subjectAltName=DNS:mx.example.test \
    -keyout key.pem -out cert.pem 2>/dev/null || { echo "cannot make a certificate" >&2; exit 1; }
want=$(openssl x509 -in cert.pem -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')

modes="silent notls smtp-plain smtp-554 smtp-454 smtp-inject imap pop3 imaps"
# shellcheck disable=SC2207
ports=($(free_ports 10))
refused=${ports[9]}
i=0
declare -A P
for m in $modes; do
    P[$m]=${ports[$i]}
    python3 "$here/responder.py" "$m" "${P[$m]}" cert.pem key.pem >"$m.log" 2>&1 &
    pids="$pids $!"
    wait_port "${P[$m]}" $! "$m.log" || exit 1
    i=$((i + 1))
done

# expect LABEL REGEX ARGS...: excert probe fails (exit 1) and says REGEX.
expect() {
    local label=$1 re=$2
    shift 2
    "$excert" probe "$@" >out 2>err
    local rc=$?
    if [ $rc -eq 1 ] && grep -Eq -- "$re" out; then ok "$label"; else
        bad "$label (exit $rc)"
    fi
}
expect "a refused port" "error: connection refused by 127.0.0.1:$refused\$" \
    "https://127.0.0.1:$refused"
expect "a server that never answers: TLS handshake timeout" \
    "error: timeout after 0.5 s in the TLS handshake with 127.0.0.1:${P[silent]}\$" \
    --timeout 500ms "https://127.0.0.1:${P[silent]}"
expect "a server that never answers: SMTP greeting timeout" \
    "error: timeout after 0.5 s waiting for its greeting from 127.0.0.1:${P[silent]}\$" \
    --timeout 500ms "smtp://127.0.0.1:${P[silent]}"
expect "the run's deadline comes before the endpoint's" \
    "error: the run's deadline of 0.3 s passed while probing 127.0.0.1:${P[silent]}\$" \
    --timeout 10s --deadline 300ms "imaps://127.0.0.1:${P[silent]}"
expect "SMTP without STARTTLS" \
    "error: no STARTTLS offered \(EHLO answered: SIZE 1000, PIPELINING\)\$" \
    "smtp://127.0.0.1:${P[smtp-plain]}"
expect "SMTP refusing at its greeting" \
    "error: bad greeting: '554 5.7.1 no service for you'\$" \
    "smtp://127.0.0.1:${P[smtp-554]}"
expect "SMTP refusing STARTTLS" \
    "error: STARTTLS refused: '454 4.7.0 TLS not available due to local problem'\$" \
    "smtp://127.0.0.1:${P[smtp-454]}"
# Sent with the answer in one write, the extra line is seen as such; on a
# loaded machine it has been seen to reach the handshake instead, which
# then fails as plain text: either way the probe fails, never succeeds.
expect "data after the answer to STARTTLS" \
    "error: (the server sent more after its answer to STARTTLS|TLS handshake failed: wrong version number.*)\$" \
    "smtp://127.0.0.1:${P[smtp-inject]}"
expect "a plain-text server on a TLS port" \
    "error: TLS handshake failed: wrong version number \(the server does not speak TLS here\)\$" \
    "https://127.0.0.1:${P[notls]}"

# IMAP, POP3 (STARTTLS) and IMAPS, served for real; the name checked
# against the URL's host while connecting to 127.0.0.1.
if "$excert" --format json probe --connect-to 127.0.0.1 --ca-bundle cert.pem \
    "imap://mx.example.test:${P[imap]}" "pop3://mx.example.test:${P[pop3]}" \
    "imaps://mx.example.test:${P[imaps]}" "imaps://other.example.test:${P[imaps]}" \
    >out.json 2>err &&
    [ "$(jget out.json "[(e['thumbprint'], e['hostname_match'], e['chain_verified']) for e in d['endpoints']]")" = \
        "[('$want', True, True), ('$want', True, True), ('$want', True, True), ('$want', False, True)]" ]; then
    ok "imap and pop3 STARTTLS, imaps; other.example.test does not match"
else
    bad "imap, pop3, imaps: $(cat out.json)"
fi

# Exit status: 1 when any endpoint failed, with every line still printed.
"$excert" probe "imaps://127.0.0.1:${P[imaps]}" "https://127.0.0.1:$refused" >out 2>err
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c '^imaps://\|^https://' out)" = 2 ] &&
    grep -q "^imaps://127.0.0.1:${P[imaps]} *$want " out; then
    ok "one served, one refused: both reported, exit 1"
else
    bad "mixed run: exit $rc"
fi
"$excert" --format json probe --timeout 1s "https://127.0.0.1:$refused" \
    "smtp://127.0.0.1:${P[silent]}" >out.json 2>err
if [ "$(jget out.json "[e['error']['code'] for e in d['endpoints']] + [d['summary']['failed']]")" = \
    "['i/o error', 'timeout', 2]" ]; then
    ok "JSON errors carry a code and the message"
else
    bad "JSON errors: $(cat out.json)"
fi

# Many endpoints at once: 300 silent ones time out together, not in turn.
urls=$(for _ in $(seq 1 300); do printf 'smtp://127.0.0.1:%s ' "${P[silent]}"; done)
start=$(date +%s%N)
# shellcheck disable=SC2086
"$excert" probe --timeout 1s $urls >out 2>err
ms=$((($(date +%s%N) - start) / 1000000))
# In turn they would take 300 s; the bound is loose so that a loaded CI
# machine (ASan, other tests) cannot fail it, and tight enough to tell.
if [ "$(grep -c 'timeout after 1 s' out)" = 300 ] && [ $ms -lt 60000 ]; then
    ok "300 endpoints time out together (${ms} ms)"
else
    bad "300 endpoints: $(grep -c timeout out) timeouts in ${ms} ms"
fi

# Bad command lines.
"$excert" probe ftp://x >out 2>err
[ $? -eq 64 ] && grep -q "unsupported URL scheme 'ftp'" err && ok "ftp:// refused (64)" || bad "ftp://"
"$excert" probe --timeout 5 https://x >out 2>err
[ $? -eq 64 ] && ok "--timeout without a unit refused (64)" || bad "--timeout 5"
"$excert" probe --connect-to 127.0.0.1:99999 https://x >out 2>err
[ $? -eq 64 ] && grep -q "bad port in connect-to" err && ok "a bad connect-to port refused" || bad "connect-to port"
"$excert" probe --ca-bundle /nonexistent https://127.0.0.1:1 >out 2>err
[ $? -eq 1 ] && grep -q "cannot load the CA bundle '/nonexistent'" err && ok "a missing CA bundle" || bad "ca bundle"

echo "probe.errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
