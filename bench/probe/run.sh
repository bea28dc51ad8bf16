#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark: TLS endpoints on loopback probed by excert probe, by
# ssl-cert-check, by a serial openssl s_client loop and by testssl.sh, side
# by side in one run; wall time and CPU (user + system, the tool and its
# children) of each.  The endpoints: excert lab serve on a lab of SERVERS
# servers, HTTPS and SMTP STARTTLS each (2 x SERVERS endpoints).
#
#   bench/probe/run.sh EXCERT [SERVERS] [RUNS]     (defaults 50, 5)
#
# ssl-cert-check chooses STARTTLS by the port number alone (25, 587, ...),
# so on these high ports it is given the HTTPS endpoints only; testssl.sh
# takes minutes per host, so it probes TESTSSL_HOSTS endpoints (default 2:
# one HTTPS, one SMTP) and the table extrapolates to all of them.  Tools
# that are not installed are left out of the table.
set -u
excert=${1:?usage: run.sh EXCERT [SERVERS] [RUNS]}
servers=${2:-50}
runs=${3:-5}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
serve_pid=""
cleanup() {
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
"$excert" lab init lab --servers "$servers" --expires-in 30 --hybrid >/dev/null 2>&1 || exit 1
"$excert" lab serve lab --base-port 0 --pidfile serve.pid >map 2>serve.log &
serve_pid=$!
for _ in $(seq 1 100); do [ -s serve.pid ] && break; sleep 0.1; done
[ -s serve.pid ] || { echo "lab serve did not start" >&2; cat serve.log >&2; exit 1; }
awk '/^MS/ { print $2; print $3 }' map >urls
echo "bench: $(wc -l <urls) endpoints ($servers servers x HTTPS + SMTP STARTTLS) from excert lab serve (pid $serve_pid)" >&2
python3 - "$excert" "$runs" "${TESTSSL_HOSTS:-2}" <<'PY'
import os, resource, shutil, statistics, subprocess, sys, time
excert, runs, ntestssl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
urls = open("urls").read().split()
def hp(u):
    rest = u.split("://", 1)[1]
    h, p = rest.rsplit(":", 1)
    return h, int(p)
https = [u for u in urls if u.startswith("https://")]
smtp = [u for u in urls if u.startswith("smtp://")]

def measure(cmd, shell=False):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, p.returncode, p.stdout

rows = []
def row(name, n, samples, note=""):
    w = statistics.median(s[0] for s in samples)
    c = statistics.median(s[1] for s in samples)
    rows.append((name, n, w, c, note))

# excert probe: every endpoint, one process.
samples = []
for _ in range(runs):
    w, c, rc, out = measure([excert, "probe", "--ca-bundle", "lab/ca/root.pem"] + urls)
    served = out.decode().count("TLSv1.3")
    if rc != 0 or served != len(urls):
        sys.exit("excert probe: exit %d, %d of %d served" % (rc, served, len(urls)))
    samples.append((w, c))
row("excert probe", len(urls), samples, "median of %d runs" % runs)

# A serial openssl loop: s_client, then x509 for the thumbprint and date.
script = "".join(
    "openssl s_client -connect 127.0.0.1:%d %s -servername mail.contoso.lab </dev/null 2>/dev/null"
    " | openssl x509 -noout -fingerprint -sha1 -enddate\n"
    % (hp(u)[1], "-starttls smtp" if u.startswith("smtp") else "") for u in urls)
w, c, rc, out = measure(["sh", "-c", script])
if out.decode().count("Fingerprint") != len(urls):
    sys.exit("openssl loop: %d of %d served" % (out.decode().count("Fingerprint"), len(urls)))
rows.append(("openssl s_client loop (serial)", len(urls), w, c, "s_client, then x509, per endpoint"))

if shutil.which("ssl-cert-check"):
    with open("hosts", "w") as f:
        for u in https:
            f.write("127.0.0.1 %d\n" % hp(u)[1])
    w, c, rc, out = measure(["ssl-cert-check", "-f", "hosts", "-b"])
    got = sum(1 for l in out.decode().splitlines() if "Valid" in l)
    if got != len(https):
        sys.exit("ssl-cert-check: %d of %d valid" % (got, len(https)))
    rows.append(("ssl-cert-check", len(https), w, c, "HTTPS only (STARTTLS by port number)"))
    rows.append(("ssl-cert-check, x%d/%d" % (len(urls), len(https)), len(urls),
                 w * len(urls) / len(https), c * len(urls) / len(https), "extrapolated"))

tssl = shutil.which("testssl") or shutil.which("testssl.sh")
if tssl and ntestssl > 0:
    picks = (https[: (ntestssl + 1) // 2] + smtp[: ntestssl // 2])[:ntestssl]
    tw = tc = 0.0
    for u in picks:
        h, p = hp(u)
        cmd = [tssl, "--quiet", "--color", "0", "--warnings", "off", "-S"]
        if u.startswith("smtp"):
            cmd += ["-t", "smtp"]
        w, c, rc, out = measure(cmd + ["127.0.0.1:%d" % p])
        if b"Fingerprints" not in out and b"fingerprint" not in out.lower():
            sys.exit("testssl on %s printed no fingerprint" % u)
        tw += w
        tc += c
    rows.append(("testssl.sh -S (per host)", len(picks), tw, tc, "server defaults only"))
    rows.append(("testssl.sh, x%d/%d" % (len(urls), len(picks)), len(urls),
                 tw * len(urls) / len(picks), tc * len(urls) / len(picks), "extrapolated"))

base = rows[0]
print("| tool | endpoints | wall (s) | CPU (s) | wall vs excert | note |")
print("| --- | ---: | ---: | ---: | ---: | --- |")
for name, n, w, c, note in rows:
    ratio = (w / n) / (base[2] / base[1])
    print("| %s | %d | %.3f | %.3f | %s | %s |" % (name, n, w, c,
          "1x" if name == base[0] else "%.0fx per endpoint" % ratio, note))
PY
