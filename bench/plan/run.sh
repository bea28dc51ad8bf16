#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark of excert plan against a lab organisation of N servers whose
# every call takes LATENCY ms, as an Exchange shell does (issue 4 §7):
#  - remote calls per server (must be 1),
#  - wall time against the floor ceil(N / PARALLELISM) x LATENCY,
#  - CPU of diff and plan (excert's own profile line),
#  - peak RSS of the excert process itself (VmHWM, EXCERT_PROFILE).
# It runs twice: with the lab in the excert process (transport lab), and
# with the lab out of it, as Exchange is in production: transport ssh,
# where a stand-in `ssh` first on PATH runs `excert lab agent LAB --as HOST`
# (the network hop and sshd are left out; their cost is the ssh.transport
# test's business, not the planner's).
# Usage: bench/plan/run.sh [EXCERT]   (N, LATENCY, PARALLELISM from the
# environment; defaults 500, 1000, 8).  Not a test: it prints numbers.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
excert=${1:-$top/build/cmd/excert}
n=${N:-500}
latency=${LATENCY:-1000}
par=${PARALLELISM:-8}
# KEEP=DIR keeps (and reuses) the lab there: making 500 servers' keys takes
# minutes.
if [ -n "${KEEP:-}" ]; then
    dir=$KEEP
    mkdir -p "$dir"
else
    dir=$(mktemp -d /tmp/excert-bench.XXXXXX)
    trap 'rm -rf "$dir"' EXIT
fi
cd "$dir"

if [ ! -f lab/lab.json ]; then
    start=$(date +%s)
    "$excert" lab init lab --servers "$n" --hybrid --expires-in 10 \
        --latency-ms "$latency" 2>/dev/null
    echo "lab of $n servers made in $(($(date +%s) - start)) s"
fi
sed -i "s/\"latency_ms\": [0-9]*/\"latency_ms\": $latency/" lab/lab.json
# excert.yaml for every server of the lab, one certificate on all of them;
# $1: the connect mapping of each server (HOST stands for its name).
config() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open("lab/lab.json"))
names = sorted(d["servers"])
with open("excert.yaml", "w") as f:
    f.write("version: 1\norganization: contoso\nservers:\n")
    for s in names:
        f.write("  - {name: %s, fqdn: %s, connect: %s}\n"
                % (s, d["servers"][s]["fqdn"], sys.argv[1].replace("HOST", s)))
    f.write("issuers:\n  labca: {lab: {path: lab}}\ncertificates:\n"
            "  - name: mail\n    domains: [mail.contoso.lab, autodiscover.contoso.lab]\n"
            "    issuer: labca\n    servers: [%s]\n    services: [IIS, SMTP]\n" % ", ".join(names))
PY
    "$excert" validate >/dev/null
}
mkdir -p standin
cat >standin/ssh <<SH
#!/bin/sh
# bench stand-in for ssh: the far end is excert's lab agent on this machine.
while [ "\$1" != "--" ]; do shift; done
exec "$excert" lab agent "$dir/lab" --as "\$2"
SH
chmod +x standin/ssh

measure() { # TITLE
    rm -f lab/calls.log
    EXCERT_PROFILE=1 /usr/bin/time -f "time: %e s wall, %U s user, %S s system, %M KB peak RSS (with children)" \
        "$excert" --format json plan --parallelism "$par" >plan.json 2>err.txt
    echo "== $1"
    grep -E "^excert: profile|^time:" err.txt
    calls=$(wc -l <lab/calls.log)
    steps=$(python3 -c 'import json; print(json.load(open("plan.json"))["summary"]["steps"])')
    floor=$(( (n + par - 1) / par * latency ))
    python3 - "$n" "$calls" "$floor" "$steps" <<'PY'
import re, sys
n, calls, floor, steps = (int(x) for x in sys.argv[1:])
err = open("err.txt").read()
wall = float(re.search(r"time: ([0-9.]+) s wall", err).group(1))
rss = int(re.search(r"peak RSS (\d+) KB \(this process\)", err).group(1))
print("servers %d, remote calls %d (%.2f per server), plan of %d steps" % (n, calls, calls / n, steps))
if floor:
    print("wall %.2f s against the floor %.2f s: %.3fx" % (wall, floor / 1000, wall / (floor / 1000)))
print("peak RSS of excert itself: %.1f MB" % (rss / 1024))
PY
}

config "{transport: lab, path: lab}"
measure "lab in process (transport lab)"
config "{transport: ssh, host: HOST, user: bench}"
PATH="$dir/standin:$PATH" measure "lab out of process (transport ssh, stand-in ssh)"
