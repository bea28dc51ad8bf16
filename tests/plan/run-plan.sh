#!/bin/sh
# SPDX-License-Identifier: MIT
# excert plan against lab organisations in known states, edited by hand as
# an administrator would: each case checks the kinds, servers and reasons of
# the steps, and that nothing else is planned.
excert=${1:?usage: run-plan.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

lab() { # DIR OPTIONS...
    d=$1
    shift
    "$excert" lab init "$tmp/$d" "$@" 2>/dev/null || { bad "lab init $*"; exit 1; }
}
config() { # LAB [EXTRA-CERT-LINES]: excert.yaml for servers MS01 MS02 (+EDGE01)
    {
        echo "version: 1"
        echo "organization: contoso"
        echo "servers:"
        for s in MS01 MS02; do
            echo "  - {name: $s, fqdn: $(echo $s | tr A-Z a-z).contoso.lab, connect: {transport: lab, path: $tmp/$1}}"
        done
        echo "  - {name: EDGE01, fqdn: edge01.contoso.lab, role: edge, connect: {transport: lab, path: $tmp/$1}}"
        echo "issuers:"
        echo "  labca: {lab: {path: $tmp/$1}}"
        echo "certificates:"
        echo "  - name: mail"
        echo "    domains: [mail.contoso.lab, autodiscover.contoso.lab]"
        echo "    issuer: labca"
        echo "    servers: [MS01, MS02]"
        echo "    services: [IIS, SMTP]"
        echo "    connectors:"
        echo "      send: [\"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([c["name"] for c in d["send_connectors"] if c["name"].startswith("Outbound to Office")][0])' "$tmp/$1/lab.json" 2>/dev/null || echo none)\"]"
        echo "      receive: [\"MS01\\\\\\\\Default Frontend MS01\", \"MS02\\\\\\\\Default Frontend MS02\"]"
        echo "    hybrid: true"
        [ -n "${2:-}" ] && printf '%s\n' "$2"
    } >"$tmp/excert.yaml"
}
# expect NAME WANT-RC PYTHON-ASSERTIONS: runs plan --format json, then
# checks the steps with a python expression over k (list of (kind, server))
# and d (the document).
expect() {
    name=$1
    want=$2
    "$excert" -c "$tmp/excert.yaml" --format json plan --detailed-exitcode \
        >"$tmp/plan.json" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "$name: exit $rc, expected $want: $(cat "$tmp/err")"
        return
    fi
    if python3 - "$tmp/plan.json" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = [(s["kind"], s["server"]) for s in d["steps"]]
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps([(s["id"], s["kind"], s["server"], s["reason"]) for s in d["steps"]], indent=1), file=sys.stderr)
    print(d["notes"], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
    then ok; else bad "$name: $3"; fi
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

# 1. Ten days left of ninety: renewal, in order, with the safe end.
lab due --servers 2 --hybrid --edge --expires-in 10
config due
expect "renewal" 2 '[x[0] for x in k] == ["request","issue","import","distribute","enable","enable","restart","restart","restart","restart","verify","verify","remove","remove"] and k[0] == ("request","MS01") and k[3] == ("distribute","MS02") and all(s["destructive"] == (s["kind"] == "remove") for s in d["steps"]) and "renewal is due" in d["steps"][0]["reason"] and d["summary"]["destructive"] == 2'
# The removals wait for every verification.
expect "removal after verify" 2 'all(set(s["depends_on"]) >= {x["id"] for x in d["steps"] if x["kind"] == "verify"} for s in d["steps"] if s["kind"] == "remove")'

# 2. Sixty days left: nothing to do.
lab fresh --servers 2 --hybrid --edge --expires-in 60
config fresh
expect "in sync" 0 'k == [] and d["summary"]["steps"] == 0'

# 3. A receive connector edited by hand: that and only that.
edit fresh 'd["servers"]["MS02"]["receive_connectors"][2]["tls_certificate_name"] = "<I>CN=Other CA<S>CN=mail.contoso.lab"'
expect "connector drift" 2 'k == [("set-connector","MS02"),("restart","MS02"),("verify","MS02")] and "CN=Other CA" in d["steps"][0]["reason"]'

# 4. The certificate removed from MS02 by hand: copied back and enabled.
lab gone --servers 2 --hybrid --edge --expires-in 60
config gone
edit gone 'c = [x for x in d["servers"]["MS02"]["certificates"] if x["friendly_name"] == "excert mail"][0]; d["servers"]["MS02"]["certificates"].remove(c); d["servers"]["MS02"]["iis"]["443"] = d["servers"]["MS02"]["iis"]["444"]'
expect "missing on one server" 2 '[x for x in k if x[1] == "MS01"] == [] and k[:2] == [("distribute","MS02"),("enable","MS02")] and ("verify","MS02") in k and not any(s["destructive"] for s in d["steps"])'

# 5. A service missing on MS01.
lab svc --servers 2 --hybrid --edge --expires-in 60
config svc
edit svc '[x for x in d["servers"]["MS01"]["certificates"] if x["friendly_name"] == "excert mail"][0]["services"] = ["IIS"]'
expect "service drift" 2 'k[0] == ("enable","MS01") and d["steps"][0]["services"] == "SMTP" and ("restart","MS01") in k and all(x[1] == "MS01" for x in k)'

# 6. A domain added in excert.yaml: a new certificate.
config fresh
sed -i 's/domains: \[mail.contoso.lab, autodiscover.contoso.lab\]/domains: [mail.contoso.lab, autodiscover.contoso.lab, owa.contoso.lab]/' "$tmp/excert.yaml"
expect "domain added" 2 'k[0] == ("request","MS01") and "lacks the name owa.contoso.lab" in d["steps"][0]["reason"]'

# 7. A target server that cannot be observed: nothing planned for it.
config fresh
sed -i 's/servers: \[MS01, MS02\]/servers: [MS01, MS02, MS07]/; s/^  - {name: EDGE01/  - {name: MS07, fqdn: ms07.contoso.lab, connect: {transport: lab, path: x}}\n  - {name: EDGE01/' "$tmp/excert.yaml"
expect "unreachable" 1 'k == [] and d["summary"]["blocked"] == 1 and any("MS07 could not be observed" in n for n in d["notes"])'

# 8. A pending request that matches is reused, not made again.
config due
req=$(printf '{"protocol":1,"server":"MS01","operations":[{"id":"1","op":"new_request","args":{"subject":"CN=mail.contoso.lab","domains":["mail.contoso.lab","autodiscover.contoso.lab"],"key_size":2048,"friendly_name":"excert mail","exportable":true}}]}' | base64 -w0)
printf "Invoke-ExcertAgent -RequestBase64 '%s'\n" "$req" | "$excert" lab agent "$tmp/due" >/dev/null
expect "pending request reused" 2 'k[0] == ("issue", None) and d["steps"][0].get("reuses_request") and ("request","MS01") not in k'

# 9. An unmanaged certificate with the same names is left alone.
lab unmanaged --servers 2 --hybrid --edge --expires-in 60
config unmanaged
edit unmanaged '[x for x in d["servers"]["MS02"]["certificates"] if x["friendly_name"] == "excert mail"][0]["friendly_name"] = "Contoso 2025"; c = [x for x in d["servers"]["MS01"]["certificates"] if x["friendly_name"] == "excert mail"][0]'
expect "unmanaged left alone" 0 'not any(s["kind"] == "remove" for s in d["steps"])'

# 10. An Edge server: SMTP only, no IIS restart.
lab edge --servers 2 --hybrid --edge --expires-in 10
config edge '  - name: edge
    domains: [mail.contoso.lab, autodiscover.contoso.lab]
    issuer: labca
    servers: [EDGE01]
    services: [SMTP]'
expect "edge" 2 '[x for x in k if x[1] == "EDGE01"] == [("request","EDGE01"),("import","EDGE01"),("enable","EDGE01"),("restart","EDGE01"),("verify","EDGE01")] and [s["service"] for s in d["steps"] if s["server"] == "EDGE01" and s["kind"] == "restart"] == ["transport"]'

# 11. The issuer changed: a new certificate, and every connector and the
# hybrid configuration follow it (the new issuer is known in advance).
lab other --servers 1 --organization fabrikam
config fresh
sed -i "s|  labca: {lab: {path: $tmp/fresh}}|  labca: {lab: {path: $tmp/other}}|" "$tmp/excert.yaml"
expect "issuer changed" 2 'k[0] == ("request","MS01") and "not by issuer" in d["steps"][0]["reason"] and sum(1 for x in k if x[0] == "set-connector") == 3 and ("set-hybrid", None) in k and not any(s["conditional"] for s in d["steps"])'

# 12. A superseded certificate still in use is kept, and the plan says so.
lab inuse --servers 2 --hybrid --edge --expires-in 10
config inuse
edit inuse 's = d["servers"]["MS01"]; s["transport_certificate"] = [x for x in s["certificates"] if x["friendly_name"] == "excert mail"][0]["thumbprint"]'
expect "in use kept" 2 '("remove","MS01") not in k and ("remove","MS02") in k and any("MS01 keeps excert mail" in n and "internal transport" in n for n in d["notes"])'

# 13. Text and markdown say the same.
config due
"$excert" -c "$tmp/excert.yaml" plan >"$tmp/text" 2>/dev/null
"$excert" -c "$tmp/excert.yaml" --format markdown plan >"$tmp/md" 2>/dev/null
if grep -q "^Plan: 13 steps, 2 destructive.$" "$tmp/text" &&
    grep -q "^\*\*13 steps, 2 destructive.\*\*$" "$tmp/md"; then ok; else
    bad "text/markdown: $(tail -3 "$tmp/text") $(tail -3 "$tmp/md")"
fi

echo "plan.lab: $pass passed, $fail failed"
[ $fail -eq 0 ]
