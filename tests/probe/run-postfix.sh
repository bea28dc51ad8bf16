#!/bin/bash
# SPDX-License-Identifier: MIT
# excert probe against a real Postfix (Debian's postfix 3.7) with STARTTLS
# on 127.0.0.1 at a free high port, run from its own configuration and
# queue directories with a throwaway certificate, without systemd and
# without touching /etc/postfix; then the certificate replaced and Postfix
# reloaded, and the probe sees the new one.  Postfix's master needs root.
# Skipped (77) without root, postfix, openssl or python3.
set -u
excert=${1:?usage: run-postfix.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "probe.postfix: skipped: Postfix must be started as root"; exit 77; }
for p in postfix postconf openssl python3; do
    command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || {
        echo "probe.postfix: skipped: $p is not installed (tools/deps.sh)"
        exit 77
    }
done
PATH=$PATH:/usr/sbin
id postfix >/dev/null 2>&1 || { echo "probe.postfix: skipped: no postfix user"; exit 77; }
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
# The queue is used by processes running as user postfix: every parent
# directory must be searchable by it, which a mktemp directory under /tmp
# made 0755 is.
tmp=$(mktemp -d /tmp/excert-postfix.XXXXXX) || exit 1
chmod 755 "$tmp"
master=""
cleanup() {
    if [ -n "$master" ] && kill -0 "$master" 2>/dev/null; then
        kill -TERM "$master"
        for _ in $(seq 1 50); do
            kill -0 "$master" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$master" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
conf=$tmp/conf
spool=$tmp/spool
mkdir -p "$conf" "$spool/queue" "$spool/data"
chown postfix: "$spool/data"

cert() { # NAME CN
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
        -keyout "$1.key" -out "$1.crt" 2>/dev/null &&
        openssl x509 -in "$1.crt" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'
}
t1=$(cert one mx.example.test) && t2=$(cert two mx.example.test) ||
    { echo "cannot make certificates" >&2; exit 1; }
install -m 644 one.crt "$conf/smtp.crt"
install -m 600 one.key "$conf/smtp.key"
read -r port <<<"$(free_ports 1)"
cat >"$conf/main.cf" <<CF
compatibility_level = 3.6
myhostname = mx.example.test
mydestination =
relayhost =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
queue_directory = $spool/queue
data_directory = $spool/data
maillog_file_prefixes = $tmp
maillog_file = $tmp/maillog
smtpd_tls_cert_file = $conf/smtp.crt
smtpd_tls_key_file = $conf/smtp.key
smtpd_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
local_transport = error:local delivery disabled
default_transport = error:outbound delivery disabled
CF
cat >"$conf/master.cf" <<CF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
smtp      unix  - - n -     - smtp
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
if ! postfix -c "$conf" check >check.log 2>&1 || ! postfix -c "$conf" start >start.log 2>&1; then
    echo "probe.postfix: postfix did not start:" >&2
    cat check.log start.log >&2
    tail -20 maillog >&2 2>/dev/null
    exit 1
fi
for _ in $(seq 1 100); do
    [ -s "$spool/queue/pid/master.pid" ] && break
    sleep 0.1
done
master=$(tr -dc 0-9 <"$spool/queue/pid/master.pid" 2>/dev/null)
[ -n "$master" ] || { echo "probe.postfix: no master.pid" >&2; tail -20 maillog >&2; exit 1; }
wait_port "$port" "$master" maillog || exit 1

url=smtp://mx.example.test:$port
if "$excert" --format json probe --connect-to 127.0.0.1 --ca-bundle one.crt "$url" \
    >out.json 2>err &&
    [ "$(jget out.json "[(e['thumbprint'], e['hostname_match'], e['chain_verified'], e['protocol']) for e in d['endpoints']]")" = \
        "[('$t1', True, True, 'TLSv1.3')]" ]; then
    ok "Postfix's certificate over STARTTLS: thumbprint, name, chain, TLS 1.3"
else
    bad "Postfix probe: $(cat out.json)"
fi
if "$excert" probe --connect-to 127.0.0.1 "$url" >out 2>err &&
    grep -q "^$url *$t1 *1 *CN=mx.example.test *ok *TLSv1.3 *untrusted\$" out; then
    ok "text output; untrusted without the CA bundle"
else
    bad "text output"
fi

# The certificate replaced and Postfix reloaded: new smtpd processes serve
# the new one.
install -m 600 two.key "$conf/smtp.key.tmp" && mv -f "$conf/smtp.key.tmp" "$conf/smtp.key"
install -m 644 two.crt "$conf/smtp.crt.tmp" && mv -f "$conf/smtp.crt.tmp" "$conf/smtp.crt"
postfix -c "$conf" reload >/dev/null 2>&1
seen=""
for _ in $(seq 1 50); do
    "$excert" --format json probe --connect-to 127.0.0.1 "$url" >out.json 2>err
    seen=$(jget out.json "d['endpoints'][0].get('thumbprint')")
    [ "$seen" = "$t2" ] && break
    sleep 0.2
done
[ "$seen" = "$t2" ] && ok "after a reload the probe sees the new certificate" ||
    bad "after the reload: $seen, want $t2"

# Many probes of one Postfix at once (smtpd's process limit is 100).
urls=$(for _ in $(seq 1 50); do printf '%s ' "$url"; done)
# shellcheck disable=SC2086
"$excert" probe --connect-to 127.0.0.1 $urls >out 2>err
[ "$(grep -c " $t2 " out)" = 50 ] && ok "50 STARTTLS probes of one Postfix at once" ||
    bad "50 at once: $(grep -c " $t2 " out) served"
echo "probe.postfix: $pass passed, $fail failed"
[ $fail -eq 0 ]
