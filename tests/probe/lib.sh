# SPDX-License-Identifier: MIT
# Shared by the probe tests: counters, free ports, waiting for a listener.
# Sourced by bash scripts; needs python3.
pass=0
fail=0
ok() {
    pass=$((pass + 1))
    echo "ok: $*"
}
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
    [ -s err ] && sed 's/^/    /' err >&2
    [ -s out ] && sed 's/^/    out: /' out >&2
}
# free_ports N: N free TCP ports on 127.0.0.1, chosen by the kernel.
free_ports() {
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()' "$1"
}
# wait_file FILE PID LOG: until FILE exists, or fail when PID dies.
wait_file() {
    for _ in $(seq 1 100); do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "nothing wrote $1; $3 says:" >&2
    tail -20 "$3" >&2
    return 1
}
# wait_port PORT PID LOG: until 127.0.0.1:PORT accepts, or fail.
wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1; $3 says:" >&2
    tail -20 "$3" >&2
    return 1
}
# jget FILE EXPR: a value from a JSON document, EXPR in Python on d.
jget() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
