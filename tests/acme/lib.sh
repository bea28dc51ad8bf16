# SPDX-License-Identifier: MIT
# What the ACME tests share, sourced (bash) after `test_name` is set:
#   acme_need CMD...            exit 77 (skipped) unless every CMD is here
#   acme_tmp                    a temporary directory as the working one,
#                               XDG_STATE_HOME in it, and a trap that stops
#                               every process in $pids and removes it
#   free_ports N                N free loopback ports, chosen by the kernel
#   wait_port PORT PID LOG      until 127.0.0.1:PORT accepts, or fail
#   make_test_ca                ca.pem/ca.key and a listener.pem/.key for
#                               localhost and 127.0.0.1 that it signed
#   start_pebble EAB DNS [VAR=VALUE...]
#                               a Pebble (a new root each time) on $p_acme
#                               and $p_mgmt, its http-01 port $p_http,
#                               resolving through 127.0.0.1:DNS, external
#                               account binding required when EAB is true;
#                               its root in root.pem
#   stop_pebble                 stops it and forgets the state directory
#                               (a new Pebble is another CA)
#   start_named ZONE KEY PORT   BIND, primary for ZONE on 127.0.0.1:PORT,
#                               TXT updates allowed to the TSIG key KEY,
#                               whose clause (tsig-keygen's) is named/tsig.key
#   start_mock_dns DNS MGMT     pebble-challtestsrv as the DNS Pebble asks:
#                               every A query answers 127.0.0.1, no AAAA
# Pebble's EAB key pair is the one of its own example configuration.
EAB_KID=kid-1
EAB_HMAC=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
pids=""
pebble_pid=""

acme_need() {
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || {
            echo "$test_name: skipped: $p is not installed (tools/deps.sh)"
            exit 77
        }
    done
}

acme_cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}

acme_tmp() {
    tmp=$(mktemp -d) || exit 1
    trap acme_cleanup EXIT
    cd "$tmp" || exit 1
    export XDG_STATE_HOME=$tmp/state
}

free_ports() {
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()' "$1"
}

wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "$test_name: nothing listens on 127.0.0.1:$1; $3 says:" >&2
    tail -20 "$3" >&2
    exit 1
}

make_test_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 2 -subj "/CN=excert test CA" -keyout ca.key -out ca.pem \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign 2>/dev/null &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj /CN=localhost -keyout listener.key -out listener.csr \
            2>/dev/null &&
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >listener.ext &&
        openssl x509 -req -in listener.csr -CA ca.pem -CAkey ca.key \
            -CAcreateserial -days 2 -extfile listener.ext -out listener.pem \
            2>/dev/null || {
        echo "$test_name: cannot make the test CA" >&2
        exit 1
    }
}

start_pebble() {
    eab=$1
    dns=$2
    shift 2
    cat >pebble.json <<JSON
{"pebble": {
  "listenAddress": "127.0.0.1:$p_acme",
  "managementListenAddress": "127.0.0.1:$p_mgmt",
  "certificate": "$tmp/listener.pem", "privateKey": "$tmp/listener.key",
  "httpPort": $p_http, "tlsPort": 1, "ocspResponderURL": "",
  "externalAccountBindingRequired": $eab,
  "externalAccountMACKeys": {"$EAB_KID": "$EAB_HMAC"}
}}
JSON
    env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 "$@" \
        pebble -config pebble.json -dnsserver "127.0.0.1:$dns" \
        >>pebble.log 2>&1 &
    pebble_pid=$!
    pids="$pids $pebble_pid"
    wait_port "$p_acme" "$pebble_pid" pebble.log
    wait_port "$p_mgmt" "$pebble_pid" pebble.log
    curl -fsS --cacert ca.pem "https://127.0.0.1:$p_mgmt/roots/0" -o root.pem
}

stop_pebble() {
    kill "$pebble_pid" 2>/dev/null
    wait "$pebble_pid" 2>/dev/null
    pids=$(echo "$pids" | sed "s/ $pebble_pid\$//; s/ $pebble_pid / /")
    rm -rf "$XDG_STATE_HOME"
}

start_mock_dns() {
    pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
        -dns01 "127.0.0.1:$1" -http01 "" -https01 "" -tlsalpn01 "" \
        -management "127.0.0.1:$2" >cts.log 2>&1 &
    cts=$!
    pids="$pids $cts"
    wait_port "$2" "$cts" cts.log
}

# start_secondary ZONE PRIMARY-PORT PORT: a second BIND, a secondary of
# ZONE that transfers it from the primary on PRIMARY-PORT (started with
# start_named ZONE KEY PRIMARY-PORT PORT, which notifies it of changes).
start_secondary() {
    mkdir -p named2
    cat >named2/named.conf <<CONF
options {
    directory "$tmp/named2";
    pid-file none;
    listen-on port $3 { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    transfer-source 127.0.0.1;
    notify-source 127.0.0.1;
};
controls { };
zone "$1" {
    type secondary;
    primaries { 127.0.0.1 port $2; };
    file "$tmp/named2/zone.db";
};
CONF
    named-checkconf named2/named.conf || {
        echo "$test_name: bad secondary named.conf" >&2
        exit 1
    }
    named -g -n 1 -c "$tmp/named2/named.conf" >named2.log 2>&1 &
    named2_pid=$!
    pids="$pids $named2_pid"
    wait_port "$3" "$named2_pid" named2.log
}

start_named() {
    mkdir -p named
    # With a fourth argument: a secondary on that port is notified of
    # every change and may transfer the zone.
    xfer="" notify=no also=""
    if [ -n "${4:-}" ]; then
        xfer="127.0.0.1;" notify=explicit
        also="also-notify { 127.0.0.1 port $4; };"
    fi
    tsig-keygen -a hmac-sha256 "$2" >named/tsig.key
    cat >named/zone.db <<ZONE
\$TTL 60
@   IN SOA ns1.$1. hostmaster.$1. ( 1 3600 600 86400 60 )
    IN NS  ns1.$1.
    IN A   127.0.0.1
ns1 IN A   127.0.0.1
*   IN A   127.0.0.1
ZONE
    cat >named/named.conf <<CONF
include "$tmp/named/tsig.key";
options {
    directory "$tmp/named";
    pid-file none;
    listen-on port $3 { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    allow-transfer { $xfer none; };
    notify $notify;
    $also
};
controls { };
zone "$1" {
    type primary;
    file "$tmp/named/zone.db";
    update-policy { grant $2 subdomain $1. TXT; };
};
CONF
    named-checkconf named/named.conf || {
        echo "$test_name: bad named.conf" >&2
        exit 1
    }
    named -g -n 1 -c "$tmp/named/named.conf" >named.log 2>&1 &
    named_pid=$!
    pids="$pids $named_pid"
    wait_port "$3" "$named_pid" named.log
}
