#!/bin/bash
# SPDX-License-Identifier: MIT
# Verification by probes, end to end on the lab served by excert lab serve:
# verify endpoints in excert.yaml (one of them the public name probed on a
# member, "URL via ADDR:PORT") are observed (status, observe), planned
# as a verify step that every removal waits for, and carried out for real:
# the apply renews, the probes see the new certificate everywhere, then
# the old one goes.  An endpoint that still serves the old certificate
# stops the apply before any removal, and the next apply, once it serves
# the new one, converges.  Skipped (77) without python3 or openssl.
set -u
excert=${1:?usage: run-verify.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
for p in python3 openssl; do
    command -v $p >/dev/null 2>&1 || {
        echo "verify.lab: skipped: $p is not installed"
        exit 77
    }
done
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
tmp=$(mktemp -d) || exit 1
serve_pid=""
stale_pid=""
cleanup() {
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
    [ -n "$stale_pid" ] && kill "$stale_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
export XDG_STATE_HOME=$tmp/state

"$excert" init --lab demo >/dev/null 2>err || { bad "init --lab"; exit 1; }
lab=$tmp/demo/lab
"$excert" lab serve "$lab" --base-port 0 --pidfile "$tmp/serve.pid" >map 2>serve.log &
serve_pid=$!
wait_file "$tmp/serve.pid" "$serve_pid" serve.log || exit 1
port() { # SERVER KIND(2 https, 3 smtp)
    awk -v s="$1" -v k="$2" '$1 == s { n = split($k, a, ":"); print a[n] }' "$tmp/map"
}
cd demo || exit 1
cat >>excert.yaml <<YAML
    verify:
      - "https://127.0.0.1:$(port MS01 2)/owa"
      - "smtp://127.0.0.1:$(port MS01 3)"
      - "https://mail.contoso.lab/owa via 127.0.0.1:$(port MS02 2)"
      - "smtp://127.0.0.1:$(port MS02 3)"
YAML
"$excert" validate >out 2>err && ok "excert.yaml with verify endpoints validates" ||
    bad "validate"
old=$(jget "$lab/lab.json" "d['servers']['MS01']['iis']['443']")

# status: what each endpoint serves, against what Exchange holds.
"$excert" status >out 2>err
if [ "$(grep -c "$old *the one Exchange holds" out)" = 4 ]; then
    ok "status: the four endpoints serve the certificate Exchange holds"
else
    bad "status does not show what is served"
fi
"$excert" --format json status >st.json 2>err
[ "$(jget st.json "sum(1 for e in d['served'] if e['matches'] and e['thumbprint'] == '$old')")" = 4 ] &&
    ok "status --format json: served, with matches" || bad "status json: $(cat st.json)"
"$excert" observe -o obs.json >out 2>err
[ "$(jget obs.json "len([e for e in d['served'] if e['ok']])")" = 4 ] &&
    ok "observe -o keeps what the endpoints serve" || bad "observe -o: no served"

# The plan: a verify step for the endpoints after every change, and the
# removals after it.
"$excert" plan -o plan.json >plan.txt 2>err
if python3 - plan.json <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
steps = d["steps"]
ep = [s for s in steps if s["kind"] == "verify" and not s.get("server")]
rm = [s for s in steps if s["kind"] == "remove"]
assert len(ep) == 1, ep
e = ep[0]
others = [s["id"] for s in steps if s["id"] < e["id"]]
assert set(e["depends_on"]) == set(others), (e["depends_on"], others)
assert rm and all(e["id"] in r["depends_on"] for r in rm), rm
PY
    ok "plan: the endpoints are verified after every change, before every removal"
else
    bad "plan: $(cat plan.txt)"
fi
grep -q "confirm that 4 endpoints serve the new certificate" plan.txt &&
    ok "plan text names the endpoint verification" || bad "plan text"

# An endpoint that keeps serving the old certificate (a server excert does
# not reach, such as a forgotten proxy) stops the apply before removal.
awk '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/' \
    "$lab/servers/MS01/certs/$old.pem" | awk 'BEGIN{n=0} /BEGIN/{n++} n==1' >old.pem
cp "$lab/servers/MS01/keys/$old.key" old.key
read -r sp <<<"$(free_ports 1)"
openssl s_server -quiet -accept "127.0.0.1:$sp" -cert old.pem -key old.key \
    -www >stale.log 2>&1 </dev/null &
stale_pid=$!
wait_port "$sp" "$stale_pid" stale.log || exit 1
cp excert.yaml excert.yaml.good
echo "      - \"https://127.0.0.1:$sp/\"" >>excert.yaml
EXCERT_VERIFY_TIMEOUT=2 EXCERT_PROGRESS=plain "$excert" apply --auto-approve >out 2>&1
rc=$?
new=$(jget "$lab/lab.json" "d['servers']['MS01']['iis']['443']")
if [ "$rc" != 0 ] && grep -q "127.0.0.1:$sp/ serves $old, not $new" out &&
    ! grep -q "\] done *remove" out; then
    ok "a probe that still sees the old certificate stops the apply (exit $rc) before any removal"
else
    bad "apply with a stale endpoint: exit $rc"
    sed 's/^/    /' out >&2
fi
[ "$new" != "$old" ] && [ -f "$lab/servers/MS01/certs/$old.pem" ] &&
    [ -f "$lab/servers/MS02/certs/$old.pem" ] &&
    ok "the old certificate is still on MS01 and MS02" ||
    bad "the old certificate is gone after a failed verification"

# The stale endpoint is fixed (it serves the new certificate now); the next
# apply converges: the endpoints verified, then the old one removed.
kill "$stale_pid" 2>/dev/null
wait "$stale_pid" 2>/dev/null
stale_pid=""
awk 'BEGIN{n=0} /BEGIN CERTIFICATE/{n++} n==1' "$lab/servers/MS01/certs/$new.pem" |
    awk '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/' >new.pem
cp "$lab/servers/MS01/keys/$new.key" new.key
openssl s_server -quiet -accept "127.0.0.1:$sp" -cert new.pem -key new.key \
    -www >stale.log 2>&1 </dev/null &
stale_pid=$!
wait_port "$sp" "$stale_pid" stale.log || exit 1
EXCERT_PROGRESS=plain "$excert" apply --auto-approve >out 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "5 endpoints serve $new" out &&
    [ ! -f "$lab/servers/MS01/certs/$old.pem" ] &&
    [ ! -f "$lab/servers/MS02/certs/$old.pem" ]; then
    ok "the next apply verifies every endpoint, then removes the old certificate"
else
    bad "converging apply: exit $rc"
    sed 's/^/    /' out >&2
fi
kill "$stale_pid" 2>/dev/null
wait "$stale_pid" 2>/dev/null
stale_pid=""
cp excert.yaml.good excert.yaml

"$excert" drift >out 2>err
rc=$?
[ "$rc" = 0 ] && ok "drift: in sync, endpoints included" ||
    bad "drift after the applies: exit $rc"
"$excert" status >out 2>err
[ "$(grep -c "$new *the one Exchange holds" out)" = 4 ] &&
    ok "status: every endpoint serves the new certificate" || bad "status after apply"

echo "verify.lab: $pass passed, $fail failed"
[ "$fail" = 0 ]
