#!/bin/sh
# SPDX-License-Identifier: MIT
# Crash safety: a full renewal on the lab, killed with SIGKILL after each of
# its steps in turn, then applied again.  Every rerun must converge (the
# plan empty after it), the CA must have signed exactly one certificate,
# no pending request may be left, and right after each kill every server
# must still serve: IIS on 443 and the transport certificate on a valid
# certificate it holds, every TlsCertificateName answered by one.
excert=${1:?usage: run-crash.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
cd "$tmp" || exit 1

serving() { # LAB: the invariant that must hold at any instant
    python3 - "$1" <<'PY'
import json, subprocess, sys, datetime
lab = sys.argv[1]
d = json.load(open(lab + "/lab.json"))
def names(server, thumb):
    pem = "%s/servers/%s/certs/%s.pem" % (lab, server, thumb)
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", pem],
                         capture_output=True, text=True)
    return out.returncode == 0 and "notAfter" in out.stdout
for name, s in d["servers"].items():
    held = {c["thumbprint"]: c for c in s["certificates"]}
    for what, t in (("IIS 443", s["iis"]["443"]), ("transport", s["transport_certificate"])):
        if t not in held or not names(name, t):
            sys.exit("%s: %s points at %s, which it does not hold" % (name, what, t))
    # every TlsCertificateName of the server must name a certificate it holds
    want = [c["tls_certificate_name"] for c in s["receive_connectors"] if c["tls_certificate_name"]]
    if want and not [c for c in s["certificates"] if c["friendly_name"] == "excert mail"]:
        sys.exit("%s: connectors name a certificate it no longer holds" % name)
PY
}

steps=14
k=1
while [ $k -lt $steps ]; do
    export XDG_STATE_HOME="$tmp/state$k"
    mkdir "r$k"
    cd "r$k" || exit 1
    "$excert" init --lab demo >/dev/null 2>&1 || { bad "init"; exit 1; }
    cd demo || exit 1
    # Slow enough that the kill lands before the next step is done.
    sed -i 's/"latency_ms": 0/"latency_ms": 40/' lab/lab.json
    journal="$XDG_STATE_HOME/excert/contoso/journal.jsonl"
    # lab init had the CA sign the certificate that is now due.
    before=$(wc -l <lab/ca/issued.log)
    "$excert" apply --auto-approve >/dev/null 2>&1 &
    pid=$!
    i=0
    count() { n=$(grep -c '"event":"step-end"' "$journal" 2>/dev/null); echo "${n:-0}"; }
    while [ "$(count)" -lt $k ] && [ $i -lt 1000 ]; do
        sleep 0.01
        i=$((i + 1))
    done
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    done_steps=$(count)
    if serving lab; then ok; else bad "killed after step $done_steps: a service is left without its certificate"; fi
    runs=0
    until "$excert" apply --auto-approve >/dev/null 2>"$tmp/err"; do
        runs=$((runs + 1))
        [ $runs -lt 3 ] || break
    done
    "$excert" plan --detailed-exitcode >/dev/null 2>&1
    rc=$?
    signed=$(($(wc -l <lab/ca/issued.log) - before))
    pending=$(python3 -c 'import json; d=json.load(open("lab/lab.json")); print(sum(len(s["pending_requests"]) for s in d["servers"].values()))')
    if [ $rc -eq 0 ] && [ "$signed" -eq 1 ] && [ "$pending" -eq 0 ]; then ok; else
        bad "killed after step $done_steps (aimed at $k): plan exit $rc, CA signed $signed, $pending pending requests: $(tail -3 "$tmp/err")"
    fi
    cd "$tmp" || exit 1
    k=$((k + 1))
done

echo "apply.crash: $pass passed, $fail failed"
[ $fail -eq 0 ]
