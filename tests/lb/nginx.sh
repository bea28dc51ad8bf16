#!/bin/bash
# SPDX-License-Identifier: MIT
# excert lb against a real NGINX (Debian 12: 1.22) on 127.0.0.1 at a free
# high port, run from its own configuration with its pid file, error log
# and temporary directories in the test directory (no /etc/nginx, no
# /var/lib/nginx, no port 80), as the user running the test: status is a
# TLS handshake with the certificate's first domain as SNI; update writes
# the files, runs nginx -t and reloads, and confirms by handshake; a key
# that does not match fails nginx -t and the old files are put back; a
# failed reload puts them back too.  No key material in any output.
# Skipped (77) without nginx, openssl or python3.
set -u
excert=${1:?usage: nginx.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=lb.nginx
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need nginx openssl python3
nginx=$(command -v nginx)
lb_tmp
make_certs
mkdir tls tmp
cp a.crt tls/mail.crt
cp a.key tls/mail.key
chmod 644 tls/mail.crt
chmod 600 tls/mail.key
read -r port closed <<<"$(free_ports 2)"
# The default server answers with another certificate: only the right SNI
# gets mail.example.test's.
cat >nginx.conf <<CONF
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log info;
worker_processes 1;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/tmp/body;
    proxy_temp_path $tmp/tmp/proxy;
    fastcgi_temp_path $tmp/tmp/fastcgi;
    uwsgi_temp_path $tmp/tmp/uwsgi;
    scgi_temp_path $tmp/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl default_server;
        ssl_certificate $tmp/other.crt;
        ssl_certificate_key $tmp/other.key;
        return 421;
    }
    server {
        listen 127.0.0.1:$port ssl;
        server_name mail.example.test;
        ssl_certificate $tmp/tls/mail.crt;
        ssl_certificate_key $tmp/tls/mail.key;
        return 200 "ok\n";
    }
}
CONF
# -e: what nginx says before it has read error_log (Debian's default is
# stderr already; other builds default to a path under /var/log).
"$nginx" -t -q -e "$tmp/error.log" -c "$tmp/nginx.conf" >nginx.out 2>&1 ||
    { echo "$test_name: nginx -t failed:" >&2; cat nginx.out >&2; exit 1; }
"$nginx" -e "$tmp/error.log" -c "$tmp/nginx.conf" >>nginx.out 2>&1 &
npid=$!
pids="$pids $npid"
wait_port "$port" "$npid" error.log
tother=$(thumb other.crt)

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
  web:
    nginx:
      certificate: $tmp/tls/mail.crt
      key: $tmp/tls/mail.key
      binary: $nginx
      config: $tmp/nginx.conf
      address: 127.0.0.1:$port
  nosni:
    nginx:
      certificate: $tmp/tls/mail.crt
      key: $tmp/tls/mail.key
      address: 127.0.0.1:$port
  down:
    nginx:
      certificate: $tmp/tls/mail.crt
      key: $tmp/tls/mail.key
      address: 127.0.0.1:$closed
  nobinary:
    nginx:
      certificate: $tmp/tls/mail.crt
      key: $tmp/tls/mail.key
      binary: $tmp/no/nginx
      address: 127.0.0.1:$port
certificates:
  - name: mail
    domains: [mail.example.test]
    issuer: labca
    servers: [MS01]
    services: [IIS]
    load_balancers: [web]
YAML
url=https://mail.example.test:$port/

if "$excert" validate >out 2>err; then ok "excert.yaml with NGINX load balancers validates"
else bad "validate"; fi

"$excert" lb status >out 2>err
rc=$?
if [ $rc -eq 1 ] &&
    grep -q "^web  *nginx  *$ta  *127.0.0.1:$port SNI mail.example.test\$" out &&
    grep -q "^nosni  *nginx  *$tother  *127.0.0.1:$port\$" out &&
    grep -q "^down  *nginx  *error: load balancer 'down': NGINX at 127.0.0.1:$closed served no certificate: connection refused" out; then
    ok "lb status: A by SNI, the default server without, a closed port in words; exit 1"
else bad "lb status before the update (exit $rc)"; fi
"$excert" --format json lb status >out 2>err
if python3 -c 'import json; d=json.load(open("out")); l=d["load_balancers"][0]; assert (l["name"], l["sni"], l["thumbprint"]) == ("web", "mail.example.test", "'"$ta"'")' 2>/dev/null; then
    ok "lb status --format json"
else bad "lb status --format json"; fi

# update to B with its chain: files, nginx -t, reload, confirmed by SNI.
before=$(cat nginx.pid)
if "$excert" lb update web --chain b.chain --key b.key >out 2>err &&
    grep -qx "NGINX web: 127.0.0.1:$port (SNI mail.example.test) now serves $tb ($tmp/tls/mail.crt and $tmp/tls/mail.key replaced, nginx -t passed, reloaded)" out; then
    ok "lb update: B is served, says excert"
else bad "lb update to B"; fi
leaked b.key out err && bad "the key of B appears in excert's output" || ok "no key material in the output"
[ "$(served_by "$url")" = "$tb" ] && ok "excert probe sees B after the update" || bad "probe after: $(served_by "$url")"
if cmp -s tls/mail.crt b.chain && cmp -s tls/mail.key b.key &&
    [ "$(stat -c %a tls/mail.key)" = 600 ] && [ "$(stat -c %a tls/mail.crt)" = 644 ] &&
    ! compgen -G 'tls/*~tmp*' >/dev/null; then
    ok "the files hold B's chain and key (key 0600, certificate 0644 kept), no temporary file left"
else bad "the files after the update: $(ls -l tls)"; fi
[ "$(cat nginx.pid)" = "$before" ] && kill -0 "$npid" &&
    ok "reloaded, not restarted: the same master" || bad "the master changed"
"$excert" lb status >out 2>err
if grep -q "^web  *nginx  *$tb " out; then
    ok "lb status shows B"
else bad "lb status after the update"; fi

# A key that does not match: nginx -t fails, the old files are put back,
# nothing reloaded.
"$excert" lb update web --chain a.crt --key other.key >out 2>err
rc=$?
if [ $rc -eq 1 ] &&
    grep -q "^excert: error: load balancer 'web': $nginx -t failed (exit status 1): \[emerg\] SSL_CTX_use_PrivateKey(\"$tmp/tls/mail.key\") failed (.*key values mismatch); the files before were put back\$" err; then
    ok "a key that does not match: nginx -t's own words, old files put back, exit 1"
else bad "a key that does not match (exit $rc)"; fi
leaked other.key out err && bad "the refused key appears in the output" || ok "the refused key is not printed"
cmp -s tls/mail.crt b.chain && cmp -s tls/mail.key b.key && [ "$(stat -c %a tls/mail.key)" = 600 ] &&
    ok "after the refusal the files hold B again" || bad "files after the refusal"
[ "$(served_by "$url")" = "$tb" ] && ok "after the refusal B is still served" || bad "after the refusal: $(served_by "$url")"

# A chain that is no certificate: refused before anything is touched.
"$excert" lb update web --chain a.key --key a.key >out 2>err
rc=$?
[ $rc -eq 1 ] && grep -q "no PEM certificate" err && ! leaked a.key out err && cmp -s tls/mail.crt b.chain &&
    ok "a chain file without a certificate: an error, nothing touched" || bad "chain without a certificate (exit $rc)"

# nginx cannot be run: files put back.
"$excert" lb update nobinary --chain a.crt --key a.key >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "^excert: error: load balancer 'nobinary': cannot run $tmp/no/nginx: No such file or directory; the files before were put back" err &&
    cmp -s tls/mail.crt b.chain && cmp -s tls/mail.key b.key; then
    ok "an nginx that cannot be run: an error, files put back"
else bad "missing binary (exit $rc)"; fi

# Back to A, then a reload that fails (no master any more): files put back.
if "$excert" lb update web --chain a.crt --key a.key >out 2>err &&
    [ "$(served_by "$url")" = "$ta" ]; then
    ok "a second update (A again)"
else bad "second update"; fi
stop_pid "$npid"
"$excert" lb update web --chain b.chain --key b.key >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "^excert: error: load balancer 'web': $nginx -s reload failed (exit status 1): .*; the files before were put back\$" err &&
    cmp -s tls/mail.crt a.crt && cmp -s tls/mail.key a.key; then
    ok "nginx not running: the reload fails in nginx's words, files put back"
else bad "failed reload (exit $rc)"; fi

# The address key is required, and must be HOST:PORT.
sed "s|address: 127.0.0.1:$closed|address: 127.0.0.1|; /^  nobinary:/,/address:/{/address:/d}" excert.yaml >bad.yaml
"$excert" -c bad.yaml validate >out 2>err
rc=$?
if [ $rc -eq 65 ] && grep -q "bad.yaml:.*'127.0.0.1' is not HOST:PORT" err &&
    grep -q "bad.yaml:.*address" err && [ "$(grep -c 'error:' err)" = 2 ]; then
    ok "validate: address missing, address without a port; exit 65"
else bad "validate of bad addresses (exit $rc)"; fi

echo "$test_name: $pass passed, $fail failed"
[ $fail -eq 0 ]
