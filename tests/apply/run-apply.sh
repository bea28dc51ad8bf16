#!/bin/sh
# SPDX-License-Identifier: MIT
# excert apply on the lab, end to end: a renewal, then an empty plan; a
# connector edited by hand, repaired alone; a certificate removed by hand,
# put back; an apply that fails half-way stops before anything destructive
# and the next one converges, reusing the pending request.
excert=${1:?usage: run-apply.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# The lock and the journal go to a state directory of this test's own.
export XDG_STATE_HOME="$tmp/state"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
cd "$tmp" || exit 1

"$excert" lab init lab --servers 2 --hybrid --expires-in 10 2>/dev/null || exit 1
o365=$(python3 -c 'import json; d=json.load(open("lab/lab.json")); print([c["name"] for c in d["send_connectors"] if c["name"].startswith("Outbound to Office")][0])')
cat >excert.yaml <<YAML
version: 1
organization: contoso
servers:
  - {name: MS01, fqdn: ms01.contoso.lab, connect: {transport: lab, path: lab}}
  - {name: MS02, fqdn: ms02.contoso.lab, connect: {transport: lab, path: lab}}
issuers:
  labca: {lab: {path: lab}}
certificates:
  - name: mail
    domains: [mail.contoso.lab, autodiscover.contoso.lab]
    issuer: labca
    servers: [MS01, MS02]
    services: [IIS, SMTP]
    connectors:
      send: ["$o365"]
      receive: ["MS01\\\\Default Frontend MS01", "MS02\\\\Default Frontend MS02"]
    hybrid: true
YAML
old=$(python3 -c 'import json; d=json.load(open("lab/lab.json")); print([c["thumbprint"] for c in d["servers"]["MS01"]["certificates"] if c["friendly_name"] == "excert mail"][0])')

plan_steps() { # prints the kinds of the plan's steps, one line
    "$excert" --format json plan 2>/dev/null |
        python3 -c 'import json,sys; print(" ".join(s["kind"] + ":" + (s["server"] or "-") for s in json.load(sys.stdin)["steps"]))'
}
in_sync() { # DESCRIPTION
    "$excert" plan --detailed-exitcode >/dev/null 2>"$tmp/err"
    r=$?
    [ $r -eq 0 ] && ok || bad "$1: plan after apply exits $r: $(plan_steps)"
}

# Without --auto-approve and without a terminal: refused, nothing changed.
"$excert" apply </dev/null >/dev/null 2>"$tmp/err"
[ $? -eq 64 ] && grep -q "give --auto-approve" "$tmp/err" && ok ||
    bad "apply without a terminal: $(cat "$tmp/err")"

# status before: the certificate is due everywhere.
"$excert" status >"$tmp/out" 2>&1
[ "$(grep -c "^mail .* 10  due  *IIS, SMTP  *bound$" "$tmp/out")" = 2 ] && ok ||
    bad "status before the renewal: $(cat "$tmp/out")"

# 1. The renewal.
"$excert" apply --auto-approve >/dev/null 2>"$tmp/err"
r=$?
if [ $r -eq 0 ] && grep -q "applied 14 steps" "$tmp/err"; then ok; else
    bad "renewal apply: exit $r: $(tail -5 "$tmp/err")"
fi
in_sync "renewal"
"$excert" --format json status >"$tmp/out" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["certificates"]; assert len(r)==2 and all(x["days_left"]==90 and not x["renewal_due"] and x["services"]=="IIS, SMTP" for x in r), r' "$tmp/out" &&
    ok || bad "status after the renewal: $(cat "$tmp/out")"
python3 - "$old" <<'PY' && ok || bad "after the renewal the lab is not as it should be"
import json, sys
d = json.load(open("lab/lab.json"))
old = sys.argv[1]
for s in ("MS01", "MS02"):
    srv = d["servers"][s]
    mine = [c for c in srv["certificates"] if c["friendly_name"] == "excert mail"]
    assert len(mine) == 1 and mine[0]["thumbprint"] != old, mine
    assert srv["iis"]["443"] == mine[0]["thumbprint"]
    assert srv["iis"]["444"] != mine[0]["thumbprint"]
    assert srv["restarts"] == {"transport": 1, "iis": 1}, srv["restarts"]
    assert sorted(mine[0]["services"]) == ["IIS", "SMTP"]
PY

# 2. A receive connector edited by hand: repaired, alone.
python3 - <<'PY'
import json
d = json.load(open("lab/lab.json"))
d["servers"]["MS02"]["receive_connectors"][2]["tls_certificate_name"] = "<I>CN=Someone<S>CN=mail.contoso.lab"
json.dump(d, open("lab/lab.json", "w"), indent=2)
PY
steps=$(plan_steps)
[ "$steps" = "set-connector:MS02 restart:MS02 verify:MS02" ] && ok ||
    bad "connector drift planned as: $steps"
"$excert" drift >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "drift does not exit 2 after a hand edit"
"$excert" apply --auto-approve >/dev/null 2>"$tmp/err" && ok ||
    bad "connector repair: $(tail -3 "$tmp/err")"
in_sync "connector repaired"
"$excert" drift >/dev/null 2>&1
[ $? -eq 0 ] && ok || bad "drift does not exit 0 after the repair"

# 3. The certificate removed from MS02 by hand (IIS back on the default).
python3 - <<'PY'
import json
d = json.load(open("lab/lab.json"))
s = d["servers"]["MS02"]
c = [c for c in s["certificates"] if c["friendly_name"] == "excert mail"][0]
s["certificates"].remove(c)
s["iis"]["443"] = s["iis"]["444"]
json.dump(d, open("lab/lab.json", "w"), indent=2)
PY
steps=$(plan_steps)
case $steps in
"distribute:MS02 enable:MS02 restart:MS02 restart:MS02 verify:MS02") ok ;;
*) bad "missing certificate planned as: $steps" ;;
esac
"$excert" apply --auto-approve >/dev/null 2>"$tmp/err" && ok ||
    bad "putting the certificate back: $(tail -3 "$tmp/err")"
in_sync "certificate put back"

# 4. A failure half-way: the CA cannot sign.  Nothing after it runs.
export EXCERT_NOW=$(($(date +%s) + 75 * 86400)) EXCERT_LAB_NOW
EXCERT_LAB_NOW=$EXCERT_NOW
mv lab/ca/issuing.key lab/ca/issuing.key.away
before=$(python3 -c 'import json; d=json.load(open("lab/lab.json")); print(sum(len(s["certificates"]) for s in d["servers"].values()))')
"$excert" apply --auto-approve >/dev/null 2>"$tmp/err"
r=$?
after=$(python3 -c 'import json; d=json.load(open("lab/lab.json")); print(sum(len(s["certificates"]) for s in d["servers"].values()))')
if [ $r -eq 1 ] && grep -q "step 2 (issue) failed" "$tmp/err" &&
    grep -q "\[3/14\] not run\|stopped before" "$tmp/err" && [ "$before" = "$after" ]; then ok; else
    bad "failed issue: exit $r, $before -> $after certificates: $(tail -4 "$tmp/err")"
fi
mv lab/ca/issuing.key.away lab/ca/issuing.key
steps=$(plan_steps)
case $steps in
issue:-\ import:MS01*) ok ;;
*) bad "after the failure the pending request is not reused: $steps" ;;
esac
"$excert" apply --auto-approve >/dev/null 2>"$tmp/err" && ok ||
    bad "apply after the failure: $(tail -3 "$tmp/err")"
in_sync "converged after the failure"
pending=$(python3 -c 'import json; d=json.load(open("lab/lab.json")); print(sum(len(s["pending_requests"]) for s in d["servers"].values()))')
[ "$pending" = 0 ] && ok || bad "$pending pending requests left behind"

# 5. The journal: every step, from which commit, with its result.
python3 - "$XDG_STATE_HOME/excert/contoso/journal.jsonl" <<'PY' && ok || bad "the journal is not as it should be"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
starts = [l for l in lines if l["event"] == "apply-start"]
ends = [l for l in lines if l["event"] == "apply-end"]
assert len(starts) == 5 and len(ends) == 5, (len(starts), len(ends))
assert [e["result"] for e in ends] == ["done", "done", "done", "stopped", "done"], ends
steps = [l for l in lines if l["event"] == "step-end"]
assert any(l["state"] == "FAILED" and l["kind"] == "issue" for l in steps)
assert all("time" in l for l in lines)
PY
[ "$(stat -c %a "$XDG_STATE_HOME/excert/contoso")" = 700 ] && ok || bad "the state directory is not 0700"

# 6. Two applies at once: the second refuses, naming the first; both
# leave the organisation and the state whole.
unset EXCERT_NOW EXCERT_LAB_NOW
"$excert" lab init slow --servers 2 --hybrid --expires-in 10 --latency-ms 150 2>/dev/null
o365s=$(python3 -c 'import json; d=json.load(open("slow/lab.json")); print([c["name"] for c in d["send_connectors"] if c["name"].startswith("Outbound to Office")][0])')
sed "s|path: lab}|path: slow}|g; s|$o365|$o365s|" excert.yaml >slow.yaml
"$excert" -c slow.yaml apply --auto-approve >/dev/null 2>"$tmp/first" &
first=$!
i=0
while ! grep -q '^\[1/' "$tmp/first" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
"$excert" -c slow.yaml apply --auto-approve >/dev/null 2>"$tmp/second"
r2=$?
wait $first
r1=$?
if [ $r1 -eq 0 ] && [ $r2 -eq 1 ] &&
    grep -q "is locked by excert apply (pid $first" "$tmp/second"; then ok; else
    bad "two applies: first $r1, second $r2: $(cat "$tmp/second") FIRST: $(head -c 600 "$tmp/first")"
fi
"$excert" -c slow.yaml plan --detailed-exitcode >/dev/null 2>&1
[ $? -eq 0 ] && ok || bad "after two applies the plan is not empty"
# With --wait the second waits its turn instead.
"$excert" lab init slow2 --servers 2 --expires-in 10 --latency-ms 100 2>/dev/null
sed "s|path: lab}|path: slow2}|g; /connectors:/,/hybrid: true/d" excert.yaml >slow2.yaml
"$excert" -c slow2.yaml apply --auto-approve >/dev/null 2>&1 &
first=$!
sleep 0.3
"$excert" -c slow2.yaml drift >/dev/null 2>&1
"$excert" -c slow2.yaml apply --auto-approve --wait 60 >/dev/null 2>"$tmp/second"
r2=$?
wait $first
[ $? -eq 0 ] && [ $r2 -eq 0 ] && ok || bad "apply --wait: $(cat "$tmp/second")"

echo "apply.lab: $pass passed, $fail failed"
[ $fail -eq 0 ]
