#!/bin/bash
# SPDX-License-Identifier: MIT
# excert never dumps core (issue 18, 3): a running excert (lab serve) has a
# core file size limit of 0, soft and hard, although started with
# `ulimit -c unlimited`; and it is not dumpable: run as nobody, its /proc
# files belong to root (PR_SET_DUMPABLE 0), so nobody's debugger or core
# cannot reach its memory.  The second half needs root and setpriv.
set -u
excert=${1:?usage: run-core.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=hardening.core
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need python3
lb_tmp
chmod 755 "$tmp"
"$excert" lab init lab --servers 1 >/dev/null 2>&1 || { echo "lab init failed" >&2; exit 1; }
chown -R nobody lab 2>/dev/null; chmod -R a+rX lab

# serve [PREFIX...]: excert lab serve, its PID in $spid once it listens.
serve() {
    rm -f serve.log
    (ulimit -c unlimited 2>/dev/null; exec "$@" "$excert" lab serve "$tmp/lab" --base-port 0) \
        >serve.log 2>&1 &
    spid=$!
    pids="$pids $spid"
    for _ in $(seq 1 200); do
        grep -q "https://" serve.log 2>/dev/null && return 0
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.05
    done
    echo "$test_name: excert lab serve did not start:" >&2
    cat serve.log >&2
    return 1
}

serve env
if grep -q "^Max core file size *0 *0 " "/proc/$spid/limits"; then
    ok "a running excert: core file size 0 (soft and hard)"
else
    bad "a running excert: $(grep 'Max core' "/proc/$spid/limits")"
fi
stop_pid "$spid"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$excert"; then
    if serve setpriv --reuid=nobody --regid=nogroup --clear-groups; then
        owner=$(stat -c %U "/proc/$spid/environ")
        if [ "$owner" = root ]; then
            ok "excert run as nobody is not dumpable (its /proc files are root's)"
        else
            bad "excert run as nobody is dumpable: /proc/$spid/environ belongs to $owner"
        fi
        stop_pid "$spid"
    else
        bad "excert lab serve as nobody did not start"
    fi
else
    echo "$test_name: not root, no setpriv, or nobody cannot run $excert: dumpable half skipped"
fi
finish
