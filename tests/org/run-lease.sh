#!/bin/sh
# SPDX-License-Identifier: MIT
# One organisation, several controllers (docs/concurrency.md): applies from
# different state directories started together sign once and converge, a
# second apply refuses naming the holder or waits for it, a killed holder's
# lease is taken over by its own state directory at once and by others when
# it expires, a holder whose lease is taken away stops before its next step;
# and among two equal certificates the planner keeps the one in use.  Also:
# one absurdly long connector name does not hide the organisation.
excert=${1:?usage: run-lease.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
trials=${XC_LEASE_TRIALS:-20}
tmp=$(mktemp -d) || exit 1
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
cd "$tmp" || exit 1

# One lab made once (its keys take a while), copied for every trial.
"$excert" init --lab seed >/dev/null 2>&1 || { bad "init --lab"; exit 1; }
fresh() { # DIR: a copy of the seed organisation, a renewal due
    rm -rf "$1"
    cp -a seed "$1"
}
signed() { wc -l <"$1/lab/ca/issued.log"; }
lease_of() { # DIR: the lease record in the lab, or None
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("lease"))' "$1/lab/lab.json"
}
wait_lease() { # DIR: until somebody holds the lease (10 s at most)
    i=0
    while [ "$(lease_of "$1")" = None ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}
latency() { # DIR MS
    sed -i "s/\"latency_ms\": [0-9]*/\"latency_ms\": $2/" "$1/lab/lab.json"
}

# 1. Two applies from two state directories, started together, $trials
# times: the CA signs once, both succeed, the organisation converges.
t=1
good=0
while [ $t -le "$trials" ]; do
    fresh "t$t"
    before=$(signed "t$t")
    (cd "t$t" && "$excert" apply --auto-approve --wait 120 --state "$tmp/t$t/s1" >a.out 2>&1; echo $? >a.rc) &
    p1=$!
    (cd "t$t" && "$excert" apply --auto-approve --wait 120 --state "$tmp/t$t/s2" >b.out 2>&1; echo $? >b.rc) &
    p2=$!
    wait $p1 $p2
    n=$(($(signed "t$t") - before))
    (cd "t$t" && "$excert" drift --state "$tmp/t$t/s3" >drift.out 2>&1)
    drc=$?
    if [ "$(cat "t$t/a.rc")" = 0 ] && [ "$(cat "t$t/b.rc")" = 0 ] &&
        [ "$n" = 1 ] && [ $drc = 0 ] && [ "$(lease_of "t$t")" = None ]; then
        good=$((good + 1))
    else
        bad "trial $t: exits $(cat "t$t/a.rc") $(cat "t$t/b.rc"), $n signatures, drift $drc, lease $(lease_of "t$t")"
        sed 's/^/    /' "t$t/a.out" "t$t/b.out" "t$t/drift.out" | tail -20 >&2
    fi
    rm -rf "t$t"
    t=$((t + 1))
done
[ $good = "$trials" ] && ok "two controllers at once: $good of $trials trials signed once and converged"

# 2. A holder that is slow: a second apply without --wait refuses at once,
# naming it; killed with SIGKILL, its lease is still there for others, but
# its own state directory takes it over at once.
fresh slow
latency slow 300
(cd slow && exec "$excert" apply --auto-approve --state "$tmp/slow/s1" >a.out 2>&1) &
holder=$!
pids="$pids $holder"
wait_lease slow
(cd slow && "$excert" apply --auto-approve --state "$tmp/slow/s2" >b.out 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q "is being changed by another excert: excert apply by .*, pid $holder, state $tmp/slow/s1 (lease on MS01, [0-9]* s left); nothing was changed; give --wait SECONDS to wait for it" slow/b.out; then
    ok "a second apply refuses, naming the holder"
else
    bad "second apply (exit $rc): $(cat slow/b.out)"
fi
kill -9 $holder 2>/dev/null
wait $holder 2>/dev/null
latency slow 0
(cd slow && "$excert" apply --auto-approve --state "$tmp/slow/s2" >c.out 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q "pid $holder" slow/c.out && [ "$(lease_of slow)" != None ]; then
    ok "a killed holder's lease still keeps others out"
else
    bad "after the kill (exit $rc): $(cat slow/c.out)"
fi
(cd slow && "$excert" apply --auto-approve --state "$tmp/slow/s1" >d.out 2>&1)
rc=$?
(cd slow && "$excert" drift --state "$tmp/slow/s3" >/dev/null 2>&1)
drc=$?
if [ $rc = 0 ] && [ $drc = 0 ] && [ "$(lease_of slow)" = None ] &&
    [ ! -e slow/s1/lease-token ]; then
    ok "the killed holder's own state directory takes its lease over and converges"
else
    bad "takeover (exit $rc, drift $drc, lease $(lease_of slow)): $(tail -5 slow/d.out)"
fi

# 3. A dead holder's lease expires: another state directory waits for it.
fresh dead
latency dead 300
(cd dead && EXCERT_LEASE_TTL=10 exec "$excert" apply --auto-approve --state "$tmp/dead/s1" >a.out 2>&1) &
holder=$!
pids="$pids $holder"
wait_lease dead
kill -9 $holder 2>/dev/null
wait $holder 2>/dev/null
latency dead 0
start=$(date +%s)
(cd dead && "$excert" apply --auto-approve --wait 60 --state "$tmp/dead/s2" >b.out 2>&1)
rc=$?
took=$(($(date +%s) - start))
(cd dead && "$excert" drift --state "$tmp/dead/s3" >/dev/null 2>&1)
drc=$?
if [ $rc = 0 ] && [ $drc = 0 ] && [ $took -le 30 ] &&
    grep -q "^excert: waiting for organisation 'contoso': excert apply by .*, pid $holder" dead/b.out; then
    ok "a dead holder's lease expires; the waiter goes on (${took} s) and converges"
else
    bad "dead holder (exit $rc, drift $drc, ${took} s): $(tail -5 dead/b.out)"
fi

# 4. A holder whose lease is taken away (here by hand, as if it had
# expired and been taken) stops before its next step, and says why.
fresh lost
latency lost 400
(cd lost && EXCERT_LEASE_TTL=10 exec "$excert" apply --auto-approve --state "$tmp/lost/s1" >a.out 2>&1) &
holder=$!
pids="$pids $holder"
wait_lease lost
python3 - "$tmp/lost/lab" <<'PY'
import fcntl, json, sys, time
lab = sys.argv[1]
with open(lab + "/lab.lock", "a") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    d = json.load(open(lab + "/lab.json"))
    d["lease"] = {"owner": "someone else", "token": "0" * 32,
                  "expires": int(time.time()) + 600}
    json.dump(d, open(lab + "/lab.json", "w"), indent=2)
PY
wait $holder
rc=$?
if [ $rc = 1 ] && grep -q "the organisation's lease on MS01 was lost (now held by someone else)" lost/a.out &&
    grep -q "stopped before anything destructive" lost/a.out &&
    ! grep -q "done: removed" lost/a.out; then
    ok "a holder whose lease was lost stops before its next step"
else
    bad "lost lease (exit $rc): $(tail -5 lost/a.out)"
fi

# 5. Two renewed certificates with one notAfter on MS01 (two controllers
# that renewed at once, before the lease): the one bound and served stays
# current; the other is superseded, never enabled or distributed.
fresh tie
(cd tie && EXCERT_LAB_NOW=$(date +%s) "$excert" apply --auto-approve --state "$tmp/tie/s1" >/dev/null 2>&1) ||
    bad "tie: first renewal"
python3 - "$tmp/tie/lab" <<'PY' || bad "tie: making the twin"
import datetime, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
lab = sys.argv[1]
d = json.load(open(lab + "/lab.json"))
s = d["servers"]["MS01"]
bound = s["iis"]["443"]
pem = open("%s/servers/MS01/certs/%s.pem" % (lab, bound), "rb").read()
chain = [x509.load_pem_x509_certificate(b"-----BEGIN CERTIFICATE-----" + part)
         for part in pem.split(b"-----BEGIN CERTIFICATE-----")[1:]]
leaf = chain[0]
ca_key = serialization.load_pem_private_key(open(lab + "/ca/issuing.key", "rb").read(), None)
while True:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    b = (x509.CertificateBuilder().subject_name(leaf.subject).issuer_name(leaf.issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(getattr(leaf, "not_valid_before_utc", None) or leaf.not_valid_before).not_valid_after((getattr(leaf, "not_valid_after_utc", None) or leaf.not_valid_after)))
    for e in leaf.extensions:
        if e.oid != x509.oid.ExtensionOID.SUBJECT_KEY_IDENTIFIER:
            b = b.add_extension(e.value, e.critical)
    twin = b.sign(ca_key, hashes.SHA256())
    thumb = twin.fingerprint(hashes.SHA1()).hex().upper()
    if thumb < bound:  # sorts first, and listed first: the old choice
        break
with open("%s/servers/MS01/certs/%s.pem" % (lab, thumb), "wb") as f:
    f.write(twin.public_bytes(serialization.Encoding.PEM))
    for c in chain[1:]:
        f.write(c.public_bytes(serialization.Encoding.PEM))
with open("%s/servers/MS01/keys/%s.key" % (lab, thumb), "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
entry = dict([c for c in s["certificates"] if c["thumbprint"] == bound][0])
entry.update(thumbprint=thumb, services=[])
s["certificates"].insert(0, entry)
json.dump(d, open(lab + "/lab.json", "w"), indent=2)
PY
twin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["servers"]["MS01"]["certificates"][0]["thumbprint"])' tie/lab/lab.json)
bound=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["servers"]["MS01"]["iis"]["443"])' tie/lab/lab.json)
(cd tie && EXCERT_LAB_NOW=$(date +%s) "$excert" plan --state "$tmp/tie/s1" >plan.out 2>&1)
if ! grep -qE "^  [-+~] +[0-9]+ (request|issue|import|distribute|enable) " tie/plan.out &&
    grep -q "^  - .* remove .*MS01.*\[$(echo "$twin" | cut -c1-12)" tie/plan.out; then
    ok "of two equal certificates the bound one stays; the twin is superseded"
else
    bad "tie (bound $bound, twin $twin): $(cat tie/plan.out)"
fi
(cd tie && EXCERT_LAB_NOW=$(date +%s) "$excert" apply --auto-approve --state "$tmp/tie/s1" >apply.out 2>&1)
rc=$?
(cd tie && EXCERT_LAB_NOW=$(date +%s) "$excert" drift --state "$tmp/tie/s1" >drift.out 2>&1)
drc=$?
now443=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["servers"]["MS01"]["iis"]["443"])' tie/lab/lab.json)
if [ $rc = 0 ] && [ $drc = 0 ] && [ "$now443" = "$bound" ]; then
    ok "the tie converges: applied, no drift, IIS still on the bound one"
else
    bad "tie apply (exit $rc, drift $drc, 443 $now443): $(tail -5 tie/apply.out) $(cat tie/drift.out)"
fi

# 6. A receive connector with a 70,000-character name (Exchange allows 64)
# used to make the organisation unobservable.
fresh long
python3 - "$tmp/long/lab/lab.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["servers"]["MS01"]["receive_connectors"][0]["name"] = "X" * 70000
json.dump(d, open(p, "w"))
PY
(cd long && "$excert" plan --state "$tmp/long/s1" >plan.out 2>&1)
rc=$?
if [ $rc = 0 ] && ! grep -q "could not be observed" long/plan.out &&
    grep -q "request" long/plan.out; then
    ok "a 70,000-character connector name does not hide the organisation"
else
    bad "long connector name (exit $rc): $(tail -3 long/plan.out | cut -c1-300)"
fi

echo "org.lease: $pass passed, $fail failed"
[ $fail -eq 0 ]
