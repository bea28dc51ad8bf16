#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark of excert acme issue against certbot, lego, uacme and dehydrated
# (issue 5 §7): N P-256 certificates each (default 20), one name per
# certificate, from one Pebble 2.4.0 on 127.0.0.1 (PEBBLE_VA_NOSLEEP=1, no
# nonce rejection, no authorization reuse), side by side in one run, each
# client with a fresh account made by its first run.  http-01, each client
# in its own mode: excert, lego and certbot with their standalone
# listeners on Pebble's http-01 port; uacme and dehydrated, which have
# none, with their webroot hooks and python3's http.server on that port
# (not measured: it stands for the web server they rely on).
#
# Measured per process run (bench.py): wall time, user+sys CPU of the
# process and its descendants (wait4), peak RSS (the largest process), the
# CA's requests (Pebble's log: "METHOD /path -> calling handler()") and
# the TCP connections to the CA (a relay in front of Pebble counts them;
# every client goes through it; each is one TLS connection).
#
# Every client uses the system's trust store, to which the test CA of
# Pebble's listener is added (the bundle ca-certificates.crt and the hashed
# links, in a copy of /etc/ssl/certs bind-mounted over it in a private
# mount namespace: root, unshare), because uacme has no option for it.
#
# Usage: bench/acme/run.sh [EXCERT]  (N from the environment).  Peers that
# are not installed are left out (apt-get install certbot lego uacme
# dehydrated; they are not project dependencies).  EXCERT_BASELINE=PATH
# adds a row for another excert binary (an earlier build, for a before and
# after in the same run), measured the same way right after EXCERT.  Not a
# test: it prints the table of docs/benchmarks.md.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
excert=${1:-$top/build/cmd/excert}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
n=${N:-20}
bench=$top/bench/acme/bench.py
for p in pebble pebble-challtestsrv openssl python3 curl unshare; do
    command -v "$p" >/dev/null 2>&1 || {
        echo "bench: $p is not installed" >&2
        exit 1
    }
done
baseline=${EXCERT_BASELINE:-}
[ -z "$baseline" ] ||
    baseline=$(cd "$(dirname "$baseline")" && pwd)/$(basename "$baseline")
if [ -z "${BENCH_NS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || {
        echo "bench: run as root (a private mount namespace for the trust store)" >&2
        exit 1
    }
    BENCH_NS=1 EXCERT_BASELINE=$baseline exec unshare -m \
        --propagation private bash "$0" "$excert"
fi

tmp=$(mktemp -d /tmp/excert-acme-bench.XXXXXX)
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait "$pid" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

read -r p_acme p_mgmt p_http p_dns p_cts p_relay <<EOF
$(python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()')
EOF
wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench: nothing listens on 127.0.0.1:$1" >&2
    exit 1
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj "/CN=excert bench CA" -keyout ca.key -out ca.pem \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=localhost -keyout listener.key -out listener.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >listener.ext
openssl x509 -req -in listener.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 2 -extfile listener.ext -out listener.pem 2>/dev/null
# The system's trust store plus the test CA, as a bundle and as a hashed
# directory (both forms, as update-ca-certificates keeps them).
cp -a /etc/ssl/certs certs
cp ca.pem certs/excert-bench-ca.pem
cat /etc/ssl/certs/ca-certificates.crt ca.pem >certs/ca-certificates.crt
openssl rehash certs 2>/dev/null
mount --bind "$tmp/certs" /etc/ssl/certs

pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
    -dns01 "127.0.0.1:$p_dns" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$p_cts" >cts.log 2>&1 &
pids="$pids $!"
wait_port "$p_cts"
cat >pebble.json <<JSON
{"pebble": {
  "listenAddress": "127.0.0.1:$p_acme",
  "managementListenAddress": "127.0.0.1:$p_mgmt",
  "certificate": "$tmp/listener.pem", "privateKey": "$tmp/listener.key",
  "httpPort": $p_http, "tlsPort": 1, "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}
JSON
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
    pebble -config pebble.json -dnsserver "127.0.0.1:$p_dns" >pebble.log 2>&1 &
pids="$pids $!"
wait_port "$p_acme"
python3 "$bench" relay "$p_relay" "$p_acme" connections &
pids="$pids $!"
wait_port "$p_relay"
: >connections
dir=https://127.0.0.1:$p_relay/dir
curl -fsS "$dir" >/dev/null
: >connections

mkdir -p www/.well-known/acme-challenge
web=""
web_start() {
    (cd www && exec python3 -m http.server --bind 127.0.0.1 "$p_http") \
        >web.log 2>&1 &
    web=$!
    wait_port "$p_http"
}
web_stop() {
    kill "$web" 2>/dev/null || true
    wait "$web" 2>/dev/null || true
}
measure() { # NAME: runs cmd.NAME
    python3 "$bench" run "$1" "cmd.$1" pebble.log connections results.json
}

# ---- excert ----
{
    for i in $(seq 1 "$n"); do
        echo "cert $excert --state $tmp/excert-state acme issue --directory $dir -d c$i.excert.example.test --http-port 127.0.0.1:$p_http --out $tmp/excert-out"
    done
} >cmd.excert
measure excert

# ---- an earlier excert, when asked for ----
if [ -n "$baseline" ]; then
    for i in $(seq 1 "$n"); do
        echo "cert $baseline --state $tmp/baseline-state acme issue --directory $dir -d c$i.baseline.example.test --http-port 127.0.0.1:$p_http --out $tmp/baseline-out"
    done >cmd.excert-baseline
    measure excert-baseline
fi

# ---- lego ----
if command -v lego >/dev/null 2>&1; then
    for i in $(seq 1 "$n"); do
        echo "cert lego --accept-tos --email bench@example.test --server $dir --path $tmp/lego --key-type ec256 --http --http.port 127.0.0.1:$p_http -d c$i.lego.example.test run"
    done >cmd.lego
    measure lego
fi

# ---- certbot ----
if command -v certbot >/dev/null 2>&1; then
    for i in $(seq 1 "$n"); do
        echo "cert certbot certonly --standalone --non-interactive --agree-tos --register-unsafely-without-email --server $dir --config-dir $tmp/certbot/conf --work-dir $tmp/certbot/work --logs-dir $tmp/certbot/logs --http-01-address 127.0.0.1 --http-01-port $p_http --key-type ecdsa --elliptic-curve secp256r1 -d c$i.certbot.example.test"
    done >cmd.certbot
    measure certbot
fi

# ---- uacme (webroot hook) ----
if command -v uacme >/dev/null 2>&1; then
    web_start
    export UACME_CHALLENGE_PATH=$tmp/www/.well-known/acme-challenge
    {
        echo "setup uacme -c $tmp/uacme -a $dir -y new"
        for i in $(seq 1 "$n"); do
            echo "cert uacme -c $tmp/uacme -a $dir -t EC -b 256 -h /usr/share/uacme/uacme.sh issue c$i.uacme.example.test"
        done
    } >cmd.uacme
    measure uacme
    web_stop
fi

# ---- dehydrated (webroot) ----
if command -v dehydrated >/dev/null 2>&1; then
    web_start
    mkdir -p dehydrated
    cat >dehydrated/config <<CONF
CA="$dir"
CHALLENGETYPE="http-01"
BASEDIR="$tmp/dehydrated"
WELLKNOWN="$tmp/www/.well-known/acme-challenge"
KEY_ALGO=prime256v1
OCSP_FETCH="no"
OCSP_MUST_STAPLE="no"
CONF
    {
        echo "setup dehydrated -f $tmp/dehydrated/config --register --accept-terms"
        for i in $(seq 1 "$n"); do
            echo "cert dehydrated -f $tmp/dehydrated/config -c -d c$i.dehydrated.example.test"
        done
    } >cmd.dehydrated
    measure dehydrated
    web_stop
fi

echo "bench: $n certificates per client, Pebble $(dpkg-query -W -f='${Version}' pebble 2>/dev/null), $(nproc) cores" >&2
for c in lego certbot uacme dehydrated; do
    v=$(dpkg-query -W -f='${Version}' "$c" 2>/dev/null || true)
    [ -z "$v" ] || echo "bench: $c $v" >&2
done
python3 "$bench" table results.json
# The profile line of excert's last run: requests and connections as
# excert counts them itself.
EXCERT_PROFILE=1 "$excert" --state "$tmp/excert-state" acme issue \
    --directory "$dir" -d last.excert.example.test \
    --http-port "127.0.0.1:$p_http" --out "$tmp/excert-out" 2>&1 |
    grep 'profile:' >&2 || true
