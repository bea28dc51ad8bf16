#!/bin/bash
# SPDX-License-Identifier: MIT
# Load-balancer files and where their links lead (issue 18, 1): a
# certificate or key path may be a link (certbot's live/), but what it
# leads to must be a regular file owned by root or by us, writable by no
# one else, in a directory that others cannot write to.  A link planted to
# another user's file, into a world-writable directory (sticky or not) or
# to a 0666 file is refused with the path and the reason, and nothing is
# touched (not the target, not the other file, not the link); a certbot
# link is followed.  A stand-in nginx; openssl s_server for the handshake.
# Root (to chown to nobody); skipped (77) otherwise.
set -u
excert=${1:?usage: run-lb-paths.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=hardening.lb-paths
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
need_root
lb_need openssl python3
lb_tmp
make_certs
stand_in_nginx
serve_tls b.crt b.key
mkdir -p tls elsewhere archive open sticky
cp a.crt tls/mail.crt
cp a.key tls/mail.key
chmod 600 tls/mail.key
cat >excert.yaml <<YAML
version: 1
organization: contoso
servers:
  - {name: MS01, fqdn: ms01.example.test, connect: {transport: lab, path: lab}}
load_balancers:
  n1:
    nginx:
      certificate: $tmp/tls/mail.crt
      key: $tmp/tls/mail.key
      binary: $tmp/bin/nginx
      address: 127.0.0.1:$tls_port
  h1:
    haproxy:
      socket: $tmp/no-such.sock
      certificate: $tmp/tls/mail.pem
YAML

# refused LINK-TARGET REASON WHAT: tls/mail.key becomes a link to
# LINK-TARGET; the update must fail naming the link and REASON, and change
# neither file.
refused() {
    rm -f tls/mail.key
    ln -s "$1" tls/mail.key
    cp "$1" before.key 2>/dev/null || : >before.key
    "$excert" lb update n1 --chain b.chain --key b.key >out 2>err
    rc=$?
    if [ $rc -eq 1 ] &&
        grep -q "refusing to write '$tmp/tls/mail.key' (a link to '[^']*'): $2" err &&
        cmp -s "$1" before.key && cmp -s tls/mail.crt a.crt &&
        [ -L tls/mail.key ] && ! leaked b.key out err; then
        ok "$3: refused"
    else
        bad "$3 (exit $rc)"
    fi
}

cp a.key elsewhere/victim
chown nobody elsewhere/victim
chmod 600 elsewhere/victim
refused "$tmp/elsewhere/victim" "it is owned by uid $(id -u nobody)" \
    "a link to another user's file"

cp a.key open/key
chmod 600 open/key
chmod 0777 open
refused "$tmp/open/key" "its directory '$tmp/open' is writable by others" \
    "a link into a world-writable directory"

cp a.key sticky/key
chmod 600 sticky/key
chmod 1777 sticky
refused "$tmp/sticky/key" "its directory '$tmp/sticky' is writable by others" \
    "a link into a sticky world-writable directory"

cp a.key elsewhere/wide
chmod 666 elsewhere/wide
refused "$tmp/elsewhere/wide" "it is writable by its group or others" \
    "a link to a file anyone may write"

rm -f tls/mail.key
ln -s "$tmp/nowhere/key" tls/mail.key
"$excert" lb update n1 --chain b.chain --key b.key >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "refusing to write '$tmp/tls/mail.key': it is a symbolic link to nothing" err &&
    [ ! -e nowhere ] && cmp -s tls/mail.crt a.crt; then
    ok "a dangling link: refused"
else
    bad "a dangling link (exit $rc)"
fi

# The certificate's link is checked before the key is written.
rm -f tls/mail.key
cp a.key tls/mail.key
chmod 600 tls/mail.key
mv tls/mail.crt tls/mail.crt.real
ln -s "$tmp/elsewhere/victim" tls/mail.crt
"$excert" lb update n1 --chain b.chain --key b.key >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "refusing to write '$tmp/tls/mail.crt'" err &&
    cmp -s tls/mail.key a.key && cmp -s elsewhere/victim a.key &&
    [ ! -e "$tmp/env.nginx.0" ]; then
    ok "a bad certificate link: the key is not written either"
else
    bad "a bad certificate link (exit $rc)"
fi
rm -f tls/mail.crt
mv tls/mail.crt.real tls/mail.crt

# HAProxy: refused before the runtime API is asked anything.
cat a.crt a.key >elsewhere/hap.pem
chown nobody elsewhere/hap.pem
ln -s "$tmp/elsewhere/hap.pem" tls/mail.pem
cp elsewhere/hap.pem before.pem
"$excert" lb update h1 --chain b.chain --key b.key >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "refusing to write '$tmp/tls/mail.pem' (a link to '$tmp/elsewhere/hap.pem'): it is owned by uid" err &&
    cmp -s elsewhere/hap.pem before.pem; then
    ok "haproxy: a link to another user's file refused"
else
    bad "haproxy: a link to another user's file (exit $rc)"
fi

# certbot's layout: live/ links to archive/, followed; the link stays.
cp a.key archive/mail1.key
chmod 600 archive/mail1.key
rm -f tls/mail.key
ln -s ../archive/mail1.key tls/mail.key
"$excert" lb update n1 --chain b.chain --key b.key >out 2>err
rc=$?
if [ $rc -eq 0 ] && [ -L tls/mail.key ] && cmp -s archive/mail1.key b.key &&
    [ "$(stat -c %a archive/mail1.key)" = 600 ] && cmp -s tls/mail.crt b.chain; then
    ok "a certbot-style link: followed, the link kept"
else
    bad "a certbot-style link (exit $rc)"
fi
finish
