#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes the golden plan cases of tests/cases/ anew from lab organisations put
# in known states by hand, as an administrator would leave them: for each
# case, excert.yaml, the observation (excert observe -o), the time planned
# for, and the plan excert makes (plan.txt, with its exit status in exit).
# Review the diff before committing: every change of plan.txt is a change
# of behaviour.  Usage: tests/cases/make-cases.sh EXCERT
set -eu
excert=${1:?usage: make-cases.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"

lab() { # NAME OPTIONS...
    d=$1
    shift
    "$excert" lab init "$tmp/$d" "$@" 2>/dev/null
}
edit() { # LAB PYTHON: edits lab.json with d bound to it
    python3 - "$tmp/$1/lab.json" "$2" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
exec(sys.argv[2])
json.dump(d, open(p, "w"), indent=2)
PY
}
sendconn() { # LAB: the hybrid send connector's name
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([c["name"] for c in d["send_connectors"] if c["name"].startswith("Outbound to Office")][0])' "$tmp/$1/lab.json"
}
# config LAB [EXTRA]: excert.yaml in $tmp/work for MS01 MS02 EDGE01 of LAB,
# certificate mail on MS01 and MS02 with connectors and hybrid.
config() {
    mkdir -p "$tmp/work"
    rm -f "$tmp/work/lab"
    ln -s "$tmp/$1" "$tmp/work/lab"
    {
        echo "version: 1"
        echo "organization: contoso"
        echo "servers:"
        echo "  - {name: MS01, fqdn: ms01.contoso.lab, connect: {transport: lab, path: lab}}"
        echo "  - {name: MS02, fqdn: ms02.contoso.lab, connect: {transport: lab, path: lab}}"
        echo "  - {name: EDGE01, fqdn: edge01.contoso.lab, role: edge, connect: {transport: lab, path: lab}}"
        echo "issuers:"
        echo "  labca: {lab: {path: lab}}"
        echo "certificates:"
        echo "  - name: mail"
        echo "    domains: [mail.contoso.lab, autodiscover.contoso.lab]"
        echo "    issuer: labca"
        echo "    servers: [MS01, MS02]"
        echo "    services: [IIS, SMTP]"
        echo "    connectors:"
        echo "      send: [\"$(sendconn "$1")\"]"
        printf '%s\n' '      receive: ["MS01\\Default Frontend MS01", "MS02\\Default Frontend MS02"]'
        echo "    hybrid: true"
        if [ -n "${2:-}" ]; then printf '%s\n' "$2"; fi
    } >"$tmp/work/excert.yaml"
}
# save NAME: observes $tmp/work, plans from the observation, keeps it all.
save() {
    out=$here/$1
    rm -rf "$out"
    mkdir -p "$out"
    (cd "$tmp/work" && "$excert" observe -o observed.json >/dev/null) || true
    sed "s|$tmp/||g" "$tmp/work/observed.json" >"$out/observed.json"
    cp "$tmp/work/excert.yaml" "$out/excert.yaml"
    date +%s >"$out/now"
    # Planned outside any git repository, as run-cases.sh does, so that
    # the plan names no commit.
    rm -rf "$tmp/run"
    mkdir "$tmp/run"
    cp "$out/excert.yaml" "$out/observed.json" "$tmp/run/"
    set +e
    (cd "$tmp/run" && EXCERT_NOW=$(cat "$out/now") "$excert" plan \
        --observation observed.json --detailed-exitcode >"$out/plan.txt" 2>/dev/null)
    echo $? >"$out/exit"
    set -e
    echo "$1: exit $(cat "$out/exit"), $(grep -c '^  [-+~] ' "$out/plan.txt" || true) steps"
}

# A 2-server hybrid certificate ten days from its end: a full renewal.
lab due --servers 2 --hybrid --edge --expires-in 10
config due
save 001-renewal-hybrid

# Sixty days left and nothing touched: no changes.
lab fresh --servers 2 --hybrid --edge --expires-in 60
config fresh
save 002-in-sync

# A domain added in excert.yaml: a new certificate.
config fresh
sed -i 's/domains: \[mail.contoso.lab, autodiscover.contoso.lab\]/domains: [mail.contoso.lab, autodiscover.contoso.lab, owa.contoso.lab]/' "$tmp/work/excert.yaml"
save 003-domain-added

# The certificate removed from MS02 by hand (IIS falls back to its own).
lab gone --servers 2 --hybrid --edge --expires-in 60
edit gone 'c = [x for x in d["servers"]["MS02"]["certificates"] if x["friendly_name"] == "excert mail"][0]; d["servers"]["MS02"]["certificates"].remove(c); d["servers"]["MS02"]["iis"]["443"] = d["servers"]["MS02"]["iis"]["444"]'
config gone
save 004-missing-on-one-server

# SMTP disabled on MS01's certificate by hand.
lab svc --servers 2 --hybrid --edge --expires-in 60
edit svc '[x for x in d["servers"]["MS01"]["certificates"] if x["friendly_name"] == "excert mail"][0]["services"] = ["IIS"]'
config svc
save 005-services-drifted

# A receive connector edited by hand.
lab conn --servers 2 --hybrid --edge --expires-in 60
edit conn 'd["servers"]["MS02"]["receive_connectors"][2]["tls_certificate_name"] = "<I>CN=Other CA<S>CN=mail.contoso.lab"'
config conn
save 006-connector-drifted

# The issuer changed (another lab CA, known in advance): a new certificate,
# and every connector and the hybrid configuration follow it.
lab other --servers 1 --organization fabrikam
config fresh
sed -i "s|  labca: {lab: {path: lab}}|  labca: {lab: {path: other}}|" "$tmp/work/excert.yaml"
ln -sfn "$tmp/other" "$tmp/work/other"
save 007-issuer-changed
rm -f "$tmp/work/other"

# A pending request that matches, left by an earlier run: reused.
lab pending --servers 2 --hybrid --edge --expires-in 10
req=$(printf '{"protocol":1,"server":"MS01","operations":[{"id":"1","op":"new_request","args":{"subject":"CN=mail.contoso.lab","domains":["mail.contoso.lab","autodiscover.contoso.lab"],"key_size":2048,"friendly_name":"excert mail","exportable":true}}]}' | base64 -w0)
printf "Invoke-ExcertAgent -RequestBase64 '%s'\n" "$req" | "$excert" lab agent "$tmp/pending" >/dev/null
config pending
save 008-pending-request-reused

# On MS02 the certificate has another friendly name: an administrator's,
# not excert's.  The renewal goes on; it is not removed there.
lab unmanaged --servers 2 --hybrid --edge --expires-in 10
edit unmanaged '[x for x in d["servers"]["MS02"]["certificates"] if x["friendly_name"] == "excert mail"][0]["friendly_name"] = "Contoso 2025"'
config unmanaged
save 009-unmanaged-left-alone

# The old certificate is still the internal transport certificate on MS01:
# it is kept there, and the plan says why.
lab inuse --servers 2 --hybrid --edge --expires-in 10
edit inuse 's = d["servers"]["MS01"]; s["transport_certificate"] = [x for x in s["certificates"] if x["friendly_name"] == "excert mail"][0]["thumbprint"]'
config inuse
save 010-in-use-not-removed

# An Edge server's certificate: SMTP only, restart of transport only.
lab edge --servers 2 --hybrid --edge --expires-in 10
config edge '  - name: edge
    domains: [mail.contoso.lab, autodiscover.contoso.lab]
    issuer: labca
    servers: [EDGE01]
    services: [SMTP]
    renew_before: 30d'
sed -i 's/^    servers: \[MS01, MS02\]/    servers: [MS01, MS02]\n    renew_before: 5d/' "$tmp/work/excert.yaml"
save 011-edge-server

# A target server that cannot be observed: nothing planned for it, nothing
# destructive anywhere for its certificate.
config due
sed -i 's/servers: \[MS01, MS02\]/servers: [MS01, MS02, MS07]/; s/^  - {name: EDGE01/  - {name: MS07, fqdn: ms07.contoso.lab, connect: {transport: lab, path: gone}}\n  - {name: EDGE01/' "$tmp/work/excert.yaml"
save 012-target-unreachable

# ARI (RFC 9773): the in-sync organisation of 002 with an ACME issuer whose
# CA suggests a renewal window for the certificate in use; the point excert
# chose in it has come (013), or not yet (014).
ari_case() { # NAME CHOSEN-OFFSET-SECONDS
    out=$here/$1
    rm -rf "$out"
    mkdir -p "$out"
    cp "$here/002-in-sync/now" "$out/now"
    sed 's|^  labca: {lab: {path: lab}}$|  le: {acme: {directory: "https://acme.example/dir", challenge: {http-01: {via: iis}}}}|; s|^    issuer: labca$|    issuer: le|' \
        "$here/002-in-sync/excert.yaml" >"$out/excert.yaml"
    python3 - "$here/002-in-sync/observed.json" "$out/observed.json" "$(cat "$out/now")" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
now, off = int(sys.argv[3]), int(sys.argv[4])
ms01 = [s for s in d["servers"] if s["name"] == "MS01"][0]["observe"]
t = [c["thumbprint"] for c in ms01["certificates"] if c["friendly_name"] == "excert mail"][0]
d["issuers"] = {}
d["ari"] = [{"thumbprint": t, "issuer": "le", "start": now + off - 86400,
             "end": now + off + 86400, "chosen": now + off}]
d["ari_notes"] = []
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
    rm -rf "$tmp/run"
    mkdir "$tmp/run"
    cp "$out/excert.yaml" "$out/observed.json" "$tmp/run/"
    set +e
    (cd "$tmp/run" && EXCERT_NOW=$(cat "$out/now") "$excert" plan \
        --observation observed.json --detailed-exitcode >"$out/plan.txt" 2>/dev/null)
    echo $? >"$out/exit"
    set -e
    echo "$1: exit $(cat "$out/exit"), $(grep -c '^  [-+~] ' "$out/plan.txt" || true) steps"
}
ari_case 013-ari-window-come -3600
ari_case 014-ari-window-ahead 86400

# What users are served (DESIGN.md §4), against what Exchange holds: cases
# made from 002 (in sync) and 001 (due) with verify endpoints and a load
# balancer in excert.yaml and what each served put in the observation, as
# excert observe records it.  OLD is a certificate Exchange no longer holds.
served_case() { # NAME FROM YAML-LINES SERVED-PYTHON
    out=$here/$1
    rm -rf "$out"
    mkdir -p "$out"
    cp "$here/$2/now" "$out/now"
    {
        sed '/^certificates:$/,$d' "$here/$2/excert.yaml"
        echo "load_balancers:"
        echo "  lb1: {haproxy: {socket: /run/haproxy/admin.sock, certificate: /etc/haproxy/certs/mail.pem}}"
        sed -n '/^certificates:$/,$p' "$here/$2/excert.yaml"
        printf '%s\n' "$3"
    } >"$out/excert.yaml"
    python3 - "$here/$2/observed.json" "$out/observed.json" "$4" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ms01 = [s for s in d["servers"] if s["name"] == "MS01"][0]["observe"]
CUR = [c["thumbprint"] for c in ms01["certificates"] if c["friendly_name"] == "excert mail"][0]
OLD = "0123456789ABCDEF0123456789ABCDEF01234567"
def ep(url, t=None, error=None):
    e = {"certificate": "mail", "endpoint": url, "ok": t is not None}
    e.update({"thumbprint": t} if t else {"error": error})
    return e
def lb(name, t=None, error=None):
    e = {"certificate": "mail", "load_balancer": name, "ok": t is not None}
    e.update({"thumbprint": t} if t else {"error": error})
    return e
d["served"] = eval(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
    rm -rf "$tmp/run"
    mkdir "$tmp/run"
    cp "$out/excert.yaml" "$out/observed.json" "$tmp/run/"
    set +e
    (cd "$tmp/run" && EXCERT_NOW=$(cat "$out/now") "$excert" plan \
        --observation observed.json --detailed-exitcode >"$out/plan.txt" 2>/dev/null)
    echo $? >"$out/exit"
    set -e
    echo "$1: exit $(cat "$out/exit"), $(grep -c '^  [-+~] ' "$out/plan.txt" || true) steps"
}
verify_yaml='    verify: ["https://ms01.contoso.lab/owa", "smtp://ms01.contoso.lab:25", "smtp://ms02.contoso.lab:25", "https://mail.contoso.lab/owa"]'

# In sync, and every endpoint serves what Exchange holds: nothing to do.
served_case 015-served-in-sync 002-in-sync "$verify_yaml" \
    '[ep("https://ms01.contoso.lab/owa", CUR), ep("smtp://ms01.contoso.lab:25", CUR), ep("smtp://ms02.contoso.lab:25", CUR), ep("https://mail.contoso.lab/owa", CUR)]'

# MS01's transport still presents the old certificate on port 25 (it was
# not restarted): a restart there, then verification.
served_case 016-served-smtp-stale 002-in-sync "$verify_yaml" \
    '[ep("https://ms01.contoso.lab/owa", CUR), ep("smtp://ms01.contoso.lab:25", OLD), ep("smtp://ms02.contoso.lab:25", CUR), ep("https://mail.contoso.lab/owa", CUR)]'

# The load balancer serves the old certificate, so does the name behind it:
# lb-update with the certificate Exchange holds, then verification.
served_case 017-lb-stale 002-in-sync "$verify_yaml
    load_balancers: [lb1]" \
    '[ep("https://ms01.contoso.lab/owa", CUR), ep("smtp://ms01.contoso.lab:25", CUR), ep("smtp://ms02.contoso.lab:25", CUR), ep("https://mail.contoso.lab/owa", OLD), lb("lb1", OLD)]'

# The name serves another certificate, and no load balancer of excert.yaml
# is in front of it: drift that excert cannot repair, said in a note.
served_case 018-served-unfixable 002-in-sync "$verify_yaml" \
    '[ep("https://ms01.contoso.lab/owa", CUR), ep("smtp://ms01.contoso.lab:25", CUR), ep("smtp://ms02.contoso.lab:25", CUR), ep("https://mail.contoso.lab/owa", OLD)]'

# A renewal behind a load balancer: the load balancer takes the new
# certificate after Exchange, the endpoints are verified after everything,
# and the old certificate goes only after that.  One endpoint could not be
# probed when planning: a note, and verification waits for it at apply.
served_case 019-renewal-lb-verified 001-renewal-hybrid "$verify_yaml
    load_balancers: [lb1]" \
    '[ep("https://ms01.contoso.lab/owa", CUR), ep("smtp://ms01.contoso.lab:25", CUR), ep("smtp://ms02.contoso.lab:25", error="connection refused (127.0.0.1:25)"), ep("https://mail.contoso.lab/owa", CUR), lb("lb1", CUR)]'

# One load-balanced name probed on each member ("via" its address): MS02's
# transport still presents the old certificate, so it is restarted there.
served_case 020-served-via-member 002-in-sync \
    '    verify: ["smtp://mail.contoso.lab:25 via ms01.contoso.lab", "smtp://mail.contoso.lab:25 via ms02.contoso.lab:25"]' \
    '[ep("smtp://mail.contoso.lab:25 via ms01.contoso.lab", CUR), ep("smtp://mail.contoso.lab:25 via ms02.contoso.lab:25", OLD)]'
