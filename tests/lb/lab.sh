#!/bin/bash
# SPDX-License-Identifier: MIT
# A renewal behind a real HAProxy, end to end: the lab organisation (served
# over TLS by excert lab serve) with HAProxy in front, its certificate file
# and runtime API in excert.yaml, and HAProxy's TLS port among the verify
# endpoints.  The apply exports the new certificate from Exchange (the lab),
# hands it to HAProxy live (lb-update), verifies every endpoint, HAProxy's
# included, and only then removes the old certificate.  A certificate put
# back on HAProxy by hand is drift that the next apply repairs.
# Skipped (77) without haproxy, socat, openssl or python3.
set -u
excert=${1:?usage: lab.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=lb.lab
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need haproxy socat openssl python3
lb_tmp

"$excert" init --lab demo >/dev/null 2>err || { bad "init --lab"; exit 1; }
lab=$tmp/demo/lab
"$excert" lab serve "$lab" --base-port 0 --pidfile "$tmp/serve.pid" >map 2>serve.log &
spid=$!
pids="$pids $spid"
for _ in $(seq 1 600); do
    [ -s serve.pid ] && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.1
done
[ -s serve.pid ] || { echo "$test_name: lab serve did not start" >&2; cat serve.log >&2; exit 1; }
port_of() { awk -v s="$1" -v k="$2" '$1 == s { n = split($k, a, ":"); print a[n] }' "$tmp/map"; }
# served URL: the thumbprint a probe sees there (the lab CA is not trusted
# here; the chain is not what is checked).
served() {
    "$excert" --format json probe "$1" 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["endpoints"][0].get("thumbprint", ""))' 2>/dev/null
}
bound() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["servers"]["MS01"]["iis"]["443"])' "$lab/lab.json"; }
old=$(bound)

# HAProxy in front, serving what Exchange serves now (chain and key in one
# file, as HAProxy's crt takes them).
mkdir certs
cat "$lab/servers/MS01/certs/$old.pem" "$lab/servers/MS01/keys/$old.key" >certs/mail.pem
cp certs/mail.pem old.pem
chmod 600 certs/mail.pem
read -r port <<<"$(free_ports 1)"
cat >haproxy.cfg <<CFG
global
    stats socket $tmp/admin.sock mode 600 level admin

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe_tls
    bind 127.0.0.1:$port ssl crt $tmp/certs/mail.pem
    http-request return status 200 content-type text/plain string "ok\n"
CFG
haproxy -c -q -f haproxy.cfg || { echo "$test_name: haproxy -c failed" >&2; exit 1; }
haproxy -W -db -f haproxy.cfg >>haproxy.log 2>&1 &
hpid=$!
pids="$pids $hpid"
wait_port "$port" "$hpid" haproxy.log
for _ in $(seq 1 600); do
    [ -S admin.sock ] && break
    sleep 0.1
done

cd demo || exit 1
cat >>excert.yaml <<YAML
    load_balancers: [lb1]
    verify:
      - "https://127.0.0.1:$(port_of MS01 2)/owa"
      - "https://127.0.0.1:$(port_of MS02 2)/owa"
      - "https://127.0.0.1:$port/owa"
load_balancers:
  lb1:
    haproxy: {socket: $tmp/admin.sock, certificate: $tmp/certs/mail.pem}
YAML
"$excert" validate >out 2>err && ok "excert.yaml with a load balancer validates" || bad "validate"

"$excert" status >out 2>err
grep -q "^mail  *lb1  *$old the one Exchange holds" out &&
    ok "status: HAProxy serves the certificate Exchange holds" || bad "status: lb1"

"$excert" plan -o plan.json >plan.txt 2>err
if python3 - plan.json <<'PY'; then
import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
lb = [s for s in steps if s["kind"] == "lb-update"]
en = [s["id"] for s in steps if s["kind"] == "enable"]
ep = [s for s in steps if s["kind"] == "verify" and not s.get("server")]
rm = [s for s in steps if s["kind"] == "remove"]
assert len(lb) == 1 and lb[0]["load_balancer"] == "lb1", lb
assert set(en) <= set(lb[0]["depends_on"]), (en, lb)
assert len(ep) == 1 and lb[0]["id"] in ep[0]["depends_on"], ep
assert rm and all(ep[0]["id"] in r["depends_on"] for r in rm)
PY
    ok "plan: lb-update after Exchange enables the new certificate, verified before removal"
else
    bad "plan: $(cat plan.txt)"
fi

EXCERT_PROGRESS=plain "$excert" apply plan.json >out 2>&1
rc=$?
new=$(bound)
if [ "$rc" = 0 ] && [ "$new" != "$old" ] && grep -q "done: .*lb1.*$new" out &&
    grep -q "done: 3 endpoints serve $new" out; then
    ok "apply: HAProxy takes the new certificate live, every endpoint verified"
else
    bad "apply: exit $rc"
    sed 's/^/    /' out >&2
fi
[ "$(served "https://127.0.0.1:$port/")" = "$new" ] &&
    ok "a probe of HAProxy sees the new certificate" || bad "HAProxy does not serve $new"
[ "$(openssl x509 -in "$tmp/certs/mail.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')" = "$new" ] &&
    ok "the certificate file on disk holds the new certificate (a reload keeps it)" ||
    bad "certs/mail.pem on disk"
[ ! -f "$lab/servers/MS01/certs/$old.pem" ] && [ ! -f "$lab/servers/MS02/certs/$old.pem" ] &&
    ok "the old certificate is removed, after the verification" || bad "old certificate left"
if leaked "$lab/servers/MS01/keys/$new.key" out "$XDG_STATE_HOME" 2>/dev/null; then
    bad "the private key shows in the output or the state directory"
else
    ok "no key material in the output or the state directory"
fi
"$excert" drift >out 2>err
[ $? = 0 ] && ok "drift: in sync, HAProxy included" || bad "drift after apply"

# Someone puts the old certificate back on HAProxy: drift, repaired.
printf 'set ssl cert %s <<\n%s\n\n' "$tmp/certs/mail.pem" "$(grep -v '^$' "$tmp/old.pem")" |
    socat -t 5 - "UNIX-CONNECT:$tmp/admin.sock" >/dev/null
echo "commit ssl cert $tmp/certs/mail.pem" | socat -t 5 - "UNIX-CONNECT:$tmp/admin.sock" >/dev/null
"$excert" drift >out 2>err
rc=$?
if [ "$rc" = 2 ] && grep -q "lb-update *lb1 *load balancer 'lb1' serves ${old:0:12}" out; then
    ok "drift: HAProxy serving another certificate is planned as lb-update (exit 2)"
else
    bad "drift with the old certificate on HAProxy: exit $rc"
fi
EXCERT_PROGRESS=plain "$excert" apply --auto-approve >out 2>&1
rc=$?
[ "$rc" = 0 ] && [ "$(served "https://127.0.0.1:$port/")" = "$new" ] &&
    ok "apply puts the certificate Exchange holds back on HAProxy" || bad "repair: exit $rc"
"$excert" drift >out 2>err
[ $? = 0 ] && ok "drift: in sync again" || bad "drift after the repair"

echo "$test_name: $pass passed, $fail failed"
[ "$fail" = 0 ]
