# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# What the load-balancer tests share, sourced (bash) after test_name is set:
#   lb_need CMD...          exit 77 (skipped) unless every CMD is here
#   lb_tmp                  a temporary directory as the working one, a trap
#                           that stops every process in $pids (by PID) and
#                           removes it
#   ok / bad WHAT           count a check (bad shows err and out)
#   free_ports N            N free loopback ports, chosen by the kernel
#   wait_port PORT PID LOG  until 127.0.0.1:PORT accepts; fails only when
#                           PID dies or after a minute (no tight timing)
#   stop_pid PID            SIGTERM, wait for it to go (SIGKILL after 30 s)
#   make_certs              a test CA (ca.pem) and, signed by it for
#                           mail.example.test, a.crt/a.key and b.crt/b.key
#                           (b.chain: b.crt then ca.pem); other.key, a key
#                           of no certificate; thumbprints in $ta and $tb
#   thumb FILE              the SHA-1 thumbprint of a PEM certificate
# Needs openssl and python3.
pass=0
fail=0
pids=""
PATH=$PATH:/usr/sbin:/sbin

ok() {
    pass=$((pass + 1))
    echo "ok: $*"
}

bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
    [ -s err ] && sed 's/^/    err: /' err >&2
    [ -s out ] && sed 's/^/    out: /' out >&2
}

lb_need() {
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || {
            echo "$test_name: skipped: $p is not installed (tools/deps.sh)"
            exit 77
        }
    done
}

stop_pid() {
    kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 1 300); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

lb_cleanup() {
    for pid in $pids; do stop_pid "$pid"; done
    # A file a test made immutable, should it have stopped half-way.
    [ -f "$tmp/certs/mail.pem" ] && chattr -i "$tmp/certs/mail.pem" 2>/dev/null
    cd / && rm -rf "$tmp"
}

lb_tmp() {
    tmp=$(mktemp -d /tmp/excert-lb.XXXXXX) || exit 1
    trap lb_cleanup EXIT
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
    for _ in $(seq 1 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "$test_name: nothing listens on 127.0.0.1:$1; $3 says:" >&2
    tail -20 "$3" >&2
    exit 1
}

thumb() {
    openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'
}

# leaf NAME CN: NAME.crt and NAME.key, signed by the test CA.
leaf() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null &&
        printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$2" >"$1.ext" &&
        openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
            -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}

make_certs() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 2 -subj "/CN=excert test CA" -keyout ca.key -out ca.pem \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign 2>/dev/null &&
        leaf a mail.example.test && leaf b mail.example.test &&
        leaf other other.example.test &&
        cat b.crt ca.pem >b.chain || {
        echo "$test_name: cannot make the test certificates" >&2
        exit 1
    }
    ta=$(thumb a.crt)
    tb=$(thumb b.crt)
}

# served_by URL: the thumbprint excert probe sees on 127.0.0.1, or "".
served_by() {
    "$excert" --format json probe --connect-to 127.0.0.1 --ca-bundle ca.pem "$1" 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["endpoints"][0].get("thumbprint", ""))' 2>/dev/null
}

# The lines of a key's body, which must never appear in excert's output.
leaked() { # KEYFILE FILE...
    key=$1
    shift
    grep -v -- '-----' "$key" | awk 'length >= 16' | grep -qF -f - "$@" ||
        grep -q 'PRIVATE KEY' "$@"
}
