#!/bin/bash
# SPDX-License-Identifier: MIT
# HAProxy's runtime API has no TLS and no authentication (issue 18, 4): an
# update refuses to send the private key to an ipv4@/ipv6@ address that is
# not loopback, saying why and what to use instead, before anything is
# sent or written; the key is in no output.  No HAProxy needed: nothing may
# be sent at all (192.0.2.1 and 2001:db8::1 are documentation addresses).
set -u
excert=${1:?usage: run-haproxy-tcp.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=hardening.haproxy-tcp
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need openssl python3
lb_tmp
make_certs
mkdir certs
cat a.crt a.key >certs/mail.pem
chmod 600 certs/mail.pem
cp certs/mail.pem before.pem
cat >excert.yaml <<YAML
version: 1
organization: contoso
servers:
  - {name: MS01, fqdn: ms01.example.test, connect: {transport: lab, path: lab}}
load_balancers:
  remote4:
    haproxy:
      socket: ipv4@192.0.2.1:9999
      certificate: $tmp/certs/mail.pem
  remote6:
    haproxy:
      socket: ipv6@[2001:db8::1]:9999
      certificate: $tmp/certs/mail.pem
YAML
for lb in remote4 remote6; do
    start=$(date +%s)
    "$excert" lb update "$lb" --chain b.chain --key b.key >out 2>err
    rc=$?
    took=$(($(date +%s) - start))
    if [ $rc -eq 1 ] &&
        grep -q "refusing to send the private key to HAProxy's runtime API at 'ipv[46]@[^']*': it is a TCP address that is not loopback.*clear text; use a unix socket" err &&
        grep -q "ssh port forward" err && cmp -s certs/mail.pem before.pem &&
        [ $took -lt 4 ] && ! leaked b.key out err; then
        ok "$lb: the key is not sent over TCP, in words"
    else
        bad "$lb (exit $rc after $took s)"
    fi
done
finish
