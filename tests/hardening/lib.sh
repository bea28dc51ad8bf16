# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# What the hardening tests share (issue 18), sourced after test_name is set:
# the load-balancer helpers of tests/lb/lib.sh (lb_tmp, ok/bad, make_certs,
# free_ports, wait_port, stop_pid), plus
#   need_root              exit 77 (skipped) unless run as root
#   stand_in_nginx         $tmp/bin/nginx: exits 0, its environment (as
#                          excert passed it, /proc/PID/environ) in
#                          $tmp/env.nginx.N
#   serve_tls CRT KEY      openssl s_server on a free port ($tls_port),
#                          serving CRT, for an nginx update to confirm
#   has_var FILE NAME      whether an environ dump (NUL-separated) sets NAME
here_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lb/lib.sh
. "$here_lib/../lb/lib.sh"

need_root() {
    [ "$(id -u)" -eq 0 ] || {
        echo "$test_name: needs root (chown to another user); skipped"
        exit 77
    }
}

stand_in_nginx() {
    mkdir -p "$tmp/bin"
    cat >"$tmp/bin/nginx" <<SH
#!/bin/sh
n=0
while [ -e "$tmp/env.nginx.\$n" ]; do n=\$((n + 1)); done
cat /proc/\$\$/environ >"$tmp/env.nginx.\$n"
exit 0
SH
    chmod 755 "$tmp/bin/nginx"
}

serve_tls() {
    read -r tls_port <<<"$(free_ports 1)"
    openssl s_server -quiet -accept "127.0.0.1:$tls_port" -cert "$1" \
        -key "$2" -www >"$tmp/s_server.log" 2>&1 </dev/null &
    tls_pid=$!
    pids="$pids $tls_pid"
    wait_port "$tls_port" "$tls_pid" "$tmp/s_server.log"
}

has_var() {
    tr '\0' '\n' <"$1" | grep -q "^$2="
}

finish() {
    echo "$test_name: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
