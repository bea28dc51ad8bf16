#!/bin/sh
# SPDX-License-Identifier: MIT
# Saved plans and saved observations on the lab: plan -o, show, apply PLAN;
# a plan made stale by a hand edit of the organisation or of excert.yaml is
# refused, says what changed and changes nothing; plan --observation plans
# offline as plan would have; broken files are named with what is wrong.
excert=${1:?usage: run-saved.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
check() { # NAME COMMAND...: the command must succeed
    name=$1
    shift
    if "$@"; then ok; else bad "$name"; fi
}

"$excert" init --lab "$tmp/demo" >/dev/null 2>&1 || { bad "init"; exit 1; }
cd "$tmp/demo" || exit 1
labsum() { md5sum lab/lab.json | cut -d' ' -f1; }

# 1. plan -o prints the plan and saves it; show prints the same steps.
"$excert" plan -o ../p.json >../plan.txt 2>../err
check "plan -o exit" [ $? -eq 0 ]
check "plan -o says where" grep -q "plan saved to ../p.json" ../err
"$excert" show ../p.json >../show.txt
check "show" sh -c 'grep "^  [-+~] " ../plan.txt >../a; grep "^  [-+~] " ../show.txt >../b; cmp -s ../a ../b && [ -s ../a ]'
check "show tells when" grep -q "^Planned for 20" ../show.txt
"$excert" --format json show ../p.json >../show.json
check "show json" python3 -c 'import json,sys; d=json.load(open("../show.json")); assert d["summary"]["steps"] == 14 and len(d["saved"]["observation"]["fingerprint"]) == 64 and d["saved"]["observation"]["facts"]'
"$excert" --format markdown show ../p.json | grep -q '^\*\*14 steps, 2 destructive.\*\*$'
check "show markdown" [ $? -eq 0 ]

# 2. A hand edit of the lab makes the plan stale: refused, said, nothing done.
cp lab/lab.json ../lab.bak
python3 - <<'PY'
import json
d = json.load(open("lab/lab.json"))
d["servers"]["MS02"]["receive_connectors"][2]["tls_certificate_name"] = "<I>CN=Other CA<S>CN=mail.contoso.lab"
json.dump(d, open("lab/lab.json", "w"), indent=2)
PY
before=$(labsum)
"$excert" apply ../p.json >/dev/null 2>../err
check "stale organisation exit" [ $? -eq 1 ]
check "stale organisation said" grep -q "is stale: the organisation changed" ../err
check "stale organisation shows the change" grep -q "now:  MS02: receive connector MS02.Default Frontend MS02: TlsCertificateName <I>CN=Other CA" ../err
check "stale organisation untouched" [ "$(labsum)" = "$before" ]
cp ../lab.bak lab/lab.json

# 3. excert.yaml changed since the plan: refused.
printf '# a comment\n' >>excert.yaml
"$excert" apply ../p.json >/dev/null 2>../err
check "stale config exit" [ $? -eq 1 ]
check "stale config said" grep -q "is stale: the desired state changed" ../err
git checkout -q excert.yaml

# 4. Usage: --target with a plan; a plan printed with --format json.
"$excert" apply ../p.json --target mail >/dev/null 2>&1
check "target with plan" [ $? -eq 64 ]
"$excert" --format json plan >../printed.json 2>/dev/null
"$excert" apply ../printed.json >/dev/null 2>../err
check "printed plan refused" grep -q "not saved with excert plan -o" ../err
printf '{"format_version": 1,\n "steps": [' >../broken.json
"$excert" show ../broken.json 2>../err
check "broken plan named" grep -q "^excert: error: ../broken.json:2:" ../err

# 5. An offline plan from a saved observation is the live plan.
"$excert" observe -o ../obs.json >/dev/null
"$excert" --format json plan --observation ../obs.json >../offline.json 2>/dev/null
check "offline equals live" python3 -c '
import json
a = json.load(open("../offline.json")); b = json.load(open("../printed.json"))
strip = lambda d: [(s["kind"], s["server"], s.get("thumbprint"), s["reason"]) for s in d["steps"]]
assert strip(a) == strip(b) and a["notes"] == b["notes"], (strip(a), strip(b))'
"$excert" plan --observation ../nope.json >/dev/null 2>../err
check "missing observation exit" [ $? -eq 1 ]
check "missing observation said" grep -q "cannot read '../nope.json'" ../err
"$excert" plan --observation ../p.json >/dev/null 2>../err
check "not an observation" grep -q "not an excert observation" ../err

# 6. The saved plan, applied: done without asking, then in sync.
"$excert" apply ../p.json </dev/null >/dev/null 2>../err
check "apply plan exit" [ $? -eq 0 ]
check "apply plan checked" grep -q "matches the organisation as observed now" ../err
"$excert" drift >/dev/null 2>&1
check "in sync after apply PLAN" [ $? -eq 0 ]
"$excert" show >../last.txt 2>&1
check "show the last apply" grep -q "^Plan: 14 steps, 2 destructive.$" ../last.txt
check "journal names the plan" grep -q '"saved_plan":"../p.json"' "$XDG_STATE_HOME/excert/contoso/journal.jsonl"
check "last observation kept" python3 -c 'import json,os; d=json.load(open(os.environ["XDG_STATE_HOME"] + "/excert/contoso/observation.json")); assert d["kind"] == "excert-observation"'

# 7. The same plan again: what it was made on is gone.
"$excert" apply ../p.json >/dev/null 2>../err
check "replayed plan refused" grep -q "is stale" ../err

echo "plan.saved: $pass passed, $fail failed"
[ $fail -eq 0 ]
