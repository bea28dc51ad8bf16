#!/bin/bash
# SPDX-License-Identifier: MIT
# excert lb against a real HAProxy (Debian 12: 2.6) on 127.0.0.1 at a free
# high port, from its own configuration, runtime API on a Unix socket and
# on a TCP port: status shows what is served, update replaces it live (no
# reload) and on disk (a restart keeps it), a key that does not match is
# refused by HAProxy with nothing changed, a missing socket and an unknown
# certificate are errors in words.  No key material in any output.
# Skipped (77) without haproxy, openssl or python3.
set -u
excert=${1:?usage: haproxy.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=lb.haproxy
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need haproxy openssl python3
lb_tmp
make_certs
mkdir certs
cat a.crt a.key >certs/mail.pem
chmod 600 certs/mail.pem
read -r port api <<<"$(free_ports 2)"
cat >haproxy.cfg <<CFG
global
    stats socket $tmp/admin.sock mode 600 level admin
    stats socket ipv4@127.0.0.1:$api level admin

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
start_haproxy() {
    # -W master-worker, -db in the foreground: $! is the master.
    haproxy -W -db -f haproxy.cfg >>haproxy.log 2>&1 &
    hpid=$!
    pids="$pids $hpid"
    wait_port "$port" "$hpid" haproxy.log
    for _ in $(seq 1 600); do
        [ -S admin.sock ] && break
        sleep 0.1
    done
}
start_haproxy

cat >excert.yaml <<YAML
version: 1
organization: contoso
servers:
  - name: MS01
    fqdn: ms01.example.test
    connect: {transport: lab, path: lab}
issuers:
  labca:
    lab: {path: labca}
load_balancers:
  lb1:
    haproxy:
      socket: $tmp/admin.sock
      certificate: $tmp/certs/mail.pem
  tcp:
    haproxy:
      socket: ipv4@127.0.0.1:$api
      certificate: $tmp/certs/mail.pem
certificates:
  - name: mail
    domains: [mail.example.test]
    issuer: labca
    servers: [MS01]
    services: [IIS]
    load_balancers: [lb1]
YAML
url=https://mail.example.test:$port/

if "$excert" validate >out 2>err; then ok "excert.yaml with two HAProxy load balancers validates"
else bad "validate"; fi

# status: what HAProxy says it serves, through either socket.
if "$excert" lb status >out 2>err &&
    grep -q "^lb1  *haproxy  *$ta  *$tmp/certs/mail.pem\$" out &&
    grep -q "^tcp  *haproxy  *$ta " out; then
    ok "lb status: A's thumbprint through the Unix socket and ipv4@HOST:PORT"
else bad "lb status before the update"; fi
if "$excert" --format json lb status >out 2>err &&
    [ "$(python3 -c 'import json,sys; d=json.load(open("out")); print([(l["name"], l["served"], l.get("thumbprint")) for l in d["load_balancers"]], d["summary"])')" = \
        "[('lb1', True, '$ta'), ('tcp', True, '$ta')] {'served': 2, 'failed': 0}" ]; then
    ok "lb status --format json"
else bad "lb status --format json"; fi
[ "$(served_by "$url")" = "$ta" ] && ok "the probe agrees: A is served" || bad "probe before: $(served_by "$url")"

# update to B, with its chain: live at once, and on disk.
if "$excert" lb update lb1 --chain b.chain --key b.key >out 2>err &&
    grep -qx "HAProxy lb1: $tmp/certs/mail.pem now serves $tb (live, and on disk)" out; then
    ok "lb update: B is served, says excert"
else bad "lb update to B"; fi
leaked b.key out err && bad "the key of B appears in excert's output" || ok "no key material in the output"
[ "$(served_by "$url")" = "$tb" ] && ok "excert probe sees B after the update" || bad "probe after: $(served_by "$url")"
"$excert" --format json probe --connect-to 127.0.0.1 --ca-bundle ca.pem "$url" >out 2>err
if python3 -c 'import json; e=json.load(open("out"))["endpoints"][0]; assert e["chain_verified"] and len(e["chain"]) == 1' 2>/dev/null; then
    ok "the chain sent along is served too"
else bad "the chain after the update"; fi
if [ "$(thumb certs/mail.pem)" = "$tb" ] &&
    [ "$(openssl pkey -in certs/mail.pem -pubout 2>/dev/null)" = "$(openssl pkey -in b.key -pubout 2>/dev/null)" ] &&
    [ "$(grep -c 'BEGIN CERTIFICATE' certs/mail.pem)" = 2 ] &&
    ! grep -q '^[[:space:]]*$' certs/mail.pem &&
    [ "$(stat -c %a certs/mail.pem)" = 600 ] && ! compgen -G 'certs/*~tmp*' >/dev/null; then
    ok "the file on disk holds B, its chain and key, mode 0600, no temporary file left"
else bad "the file on disk: $(ls -l certs)"; fi
if "$excert" lb status >out 2>err && grep -q "^lb1  *haproxy  *$tb " out; then
    ok "lb status shows B"
else bad "lb status after the update"; fi

# HAProxy refuses a key that is not the certificate's: nothing changes,
# and HAProxy's own words say why.
"$excert" lb update lb1 --chain a.crt --key other.key >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "^excert: error: load balancer 'lb1': HAProxy refused the new certificate for '$tmp/certs/mail.pem' (commit ssl cert): inconsistencies between private key and certificate" err; then
    ok "a key that does not match: refused in HAProxy's words, exit 1"
else bad "a key that does not match (exit $rc)"; fi
leaked other.key out err && bad "the refused key appears in the output" || ok "the refused key is not printed"
[ "$(served_by "$url")" = "$tb" ] && ok "after the refusal B is still served" || bad "after the refusal: $(served_by "$url")"
[ "$(thumb certs/mail.pem)" = "$tb" ] && ok "after the refusal the file still holds B" || bad "file after the refusal"
# The file cannot be written (made immutable: root, and a file system with
# chattr, else not checked): the old certificate is committed again, so
# that what is served and what a restart loads stay one.
if chattr +i certs/mail.pem 2>/dev/null; then
    "$excert" lb update lb1 --chain a.crt --key a.key >out 2>err
    rc=$?
    chattr -i certs/mail.pem
    if [ $rc -eq 1 ] &&
        grep -q "^excert: error: load balancer 'lb1': HAProxy served the new certificate, then the one before was put back, since the file cannot be written: cannot write '$tmp/certs/mail.pem'" err &&
        [ "$(served_by "$url")" = "$tb" ] && [ "$(thumb certs/mail.pem)" = "$tb" ]; then
        ok "a file that cannot be written: B committed again, served and on disk"
    else bad "a file that cannot be written (exit $rc)"; fi
else
    echo "not checked: a file that cannot be written (chattr +i is not possible here)"
fi
# No transaction was left open: the next update goes through.
if "$excert" lb update tcp --chain a.crt --key a.key >out 2>err &&
    grep -q "now serves $ta" out && [ "$(served_by "$url")" = "$ta" ]; then
    ok "the next update, through ipv4@HOST:PORT, goes through (A again)"
else bad "update after the refusal"; fi
"$excert" lb update lb1 --chain b.chain --key b.key >out 2>err || bad "back to B"

# A restart of HAProxy from its configuration serves what is on disk: B.
stop_pid "$hpid"
start_haproxy
[ "$(served_by "$url")" = "$tb" ] && ok "after a restart of HAProxy, B is served (from the file)" ||
    bad "after the restart: $(served_by "$url")"
if "$excert" lb status >out 2>err && grep -q "^lb1  *haproxy  *$tb " out; then
    ok "lb status after the restart"
else bad "lb status after the restart"; fi

# Errors in words.
python3 - "$tmp" <<'PY'
import sys
t = sys.argv[1]
s = open("excert.yaml").read()
s = s.replace("certificates:\n", """  nosock:
    haproxy:
      socket: %s/nope.sock
      certificate: %s/certs/mail.pem
  refused:
    haproxy:
      socket: ipv4@127.0.0.1:1
      certificate: %s/certs/mail.pem
  unknown:
    haproxy:
      socket: %s/admin.sock
      certificate: %s/certs/other.pem
certificates:
""" % (t, t, t, t, t), 1)
open("excert.yaml", "w").write(s)
PY
"$excert" lb status >out 2>err
rc=$?
if [ $rc -eq 1 ] &&
    grep -q "^nosock  *haproxy  *error: load balancer 'nosock': HAProxy's runtime API socket '$tmp/nope.sock' does not exist" out &&
    grep -q "^refused  *haproxy  *error: load balancer 'refused': HAProxy's runtime API at 'ipv4@127.0.0.1:1' refused the connection" out &&
    grep -q "^unknown  *haproxy  *error: load balancer 'unknown': HAProxy knows no certificate '$tmp/certs/other.pem'" out &&
    grep -q "^lb1  *haproxy  *$tb " out; then
    ok "lb status: a missing socket, a refused one, an unknown certificate in words; exit 1"
else bad "lb status with broken load balancers (exit $rc)"; fi
"$excert" lb update nosock --chain a.crt --key a.key >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "^excert: error: load balancer 'nosock': HAProxy's runtime API socket '$tmp/nope.sock' does not exist" err &&
    [ "$(thumb certs/mail.pem)" = "$tb" ]; then
    ok "lb update through a wrong socket path: an error, exit 1, the file untouched"
else bad "update through a wrong socket (exit $rc)"; fi
"$excert" lb update lb1 --chain a.key --key a.key >out 2>err
rc=$?
[ $rc -eq 1 ] && grep -q "no PEM certificate" err && ! leaked a.key out err &&
    ok "a chain file that holds no certificate: an error that does not print it" ||
    bad "chain without a certificate (exit $rc)"
"$excert" lb update nosuch --chain a.crt --key a.key >out 2>err
rc=$?
[ $rc -eq 1 ] && grep -q "has no load balancer 'nosuch'" err && ok "an unknown load balancer name: exit 1" ||
    bad "unknown name (exit $rc)"
"$excert" lb update lb1 --chain a.crt >out 2>err
rc=$?
[ $rc -eq 64 ] && ok "update without --key: usage, exit 64" || bad "update without --key (exit $rc)"
[ "$(served_by "$url")" = "$tb" ] && ok "after all the errors B is still served" || bad "end: $(served_by "$url")"

echo "$test_name: $pass passed, $fail failed"
[ $fail -eq 0 ]
