#!/bin/bash
# SPDX-License-Identifier: MIT
# excert probe against excert lab serve: HTTPS and SMTP STARTTLS serve what
# lab.json binds, and follow the lab without a restart (an apply that
# renews, a binding edited by hand); http-01 tokens placed by the agent
# operation are served on the server's http port and on --http01; SIGTERM
# stops it cleanly.  Skipped (77) without python3.
set -u
excert=${1:?usage: run-lab.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null 2>&1 || {
    echo "probe.lab: skipped: python3 is not installed"
    exit 77
}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
tmp=$(mktemp -d) || exit 1
serve_pid=""
cleanup() {
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
export XDG_STATE_HOME=$tmp/state

"$excert" init --lab demo >/dev/null 2>err || { bad "init --lab"; exit 1; }
lab=$tmp/demo/lab
ca=$lab/ca/root.pem
read -r h01 <<<"$(free_ports 1)"
"$excert" lab serve "$lab" --base-port 0 --http01 "127.0.0.1:$h01" \
    --pidfile "$tmp/serve.pid" >map 2>serve.log &
serve_pid=$!
wait_file "$tmp/serve.pid" "$serve_pid" serve.log || exit 1
[ "$(cat serve.pid)" = "$serve_pid" ] && ok "pidfile holds the pid" ||
    bad "pidfile holds $(cat serve.pid), not $serve_pid"
port() { # SERVER KIND(2 https, 3 smtp, 4 http)
    awk -v s="$1" -v k="$2" '$1 == s { n = split($k, a, ":"); print a[n] }' map
}
if [ -n "$(port MS01 2)" ] && [ -n "$(port MS02 3)" ] && [ -n "$(port MS02 4)" ] &&
    grep -q "^http01 *http://127.0.0.1:$h01\$" map; then
    ok "the port map names every listener"
else
    bad "port map: $(cat map)"
fi

# bound SERVER: the thumbprint lab.json binds on the server's IIS 443.
bound() { jget "$lab/lab.json" "d['servers']['$1']['iis']['443']"; }
# probe_json NAME URL...: excert probe --format json into NAME.json.
probe_json() {
    local name=$1
    shift
    "$excert" --format json probe --ca-bundle "$ca" "$@" >"$name.json" 2>err
}
# check_served LABEL FILE [SMTP2]: every endpoint of the probe in FILE
# served what lab.json binds on IIS 443 (SMTP: the same certificate, which
# the connectors name; MS02's SMTP: SMTP2 when given).
check_served() {
    local label=$1 file=$2 want1 want2
    want1=$(bound MS01)
    want2=$(bound MS02)
    if python3 - "$file" "$want1" "$want1" "$want2" "${3:-$want2}" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
ok = True
for e, want in zip(d["endpoints"], sys.argv[2:]):
    if not e["served"] or e["thumbprint"] != want:
        print("%s: %s, want %s" % (e["url"], e.get("thumbprint") or e.get("error"), want), file=sys.stderr)
        ok = False
sys.exit(0 if ok and len(d["endpoints"]) == 4 else 1)
PY
        ok "$label"
    else
        bad "$label"
    fi
}
urls() {
    echo "https://mail.contoso.lab:$(port MS01 2)/owa" "smtp://mail.contoso.lab:$(port MS01 3)" \
        "https://mail.contoso.lab:$(port MS02 2)/owa" "smtp://mail.contoso.lab:$(port MS02 3)"
}
# shellcheck disable=SC2046
probe_json before $(urls) --connect-to 127.0.0.1 || bad "probe before the renewal"
check_served "HTTPS and SMTP serve the certificate lab.json binds" before.json
old=$(bound MS01)
if [ "$(jget before.json "[e['hostname_match'] and e['chain_verified'] and e['protocol'] for e in d['endpoints']]")" = \
    "['TLSv1.3', 'TLSv1.3', 'TLSv1.3', 'TLSv1.3']" ]; then
    ok "mail.contoso.lab matches, the chain verifies against the lab CA, TLS 1.3"
else
    bad "name, chain, protocol: $(jget before.json "[(e['hostname_match'], e['chain_verified'], e['protocol']) for e in d['endpoints']]")"
fi
if [ "$(jget before.json "len(d['endpoints'][0]['chain'])")" = 1 ] &&
    [ "$(jget before.json "d['endpoints'][0]['subject']")" = "CN=mail.contoso.lab" ]; then
    ok "the leaf and the issuing CA are served"
else
    bad "chain and subject: $(jget before.json "(len(d['endpoints'][0]['chain']), d['endpoints'][0]['subject'])")"
fi

# A renewal applied to the lab: the new certificate is served at once.
"$excert" -C demo apply --auto-approve >/dev/null 2>err || bad "apply"
# shellcheck disable=SC2046
probe_json after $(urls) --connect-to 127.0.0.1 || bad "probe after the renewal"
check_served "after excert apply, every endpoint serves the renewed certificate" after.json
if [ "$(bound MS01)" != "$old" ] && kill -0 "$serve_pid" 2>/dev/null; then
    ok "renewed ($old -> $(bound MS01)) without restarting lab serve"
else
    bad "the certificate did not change, or lab serve died"
fi

# A binding edited by hand: MS02's IIS back on Exchange's own certificate.
self=$(jget "$lab/lab.json" "d['servers']['MS02']['transport_certificate']")
python3 - "$lab/lab.json" "$self" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
d["servers"]["MS02"]["iis"]["443"] = sys.argv[2]
open(sys.argv[1] + ".new", "w").write(json.dumps(d, indent=2))
os.rename(sys.argv[1] + ".new", sys.argv[1])
PY
# shellcheck disable=SC2046
probe_json edited $(urls) --connect-to 127.0.0.1 || true
check_served "a binding edited in lab.json is served at once (SMTP unchanged)" \
    edited.json "$(jget after.json "d['endpoints'][3]['thumbprint']")"
if [ "$(jget edited.json "d['endpoints'][2]['thumbprint']")" = "$self" ] &&
    [ "$(jget edited.json "d['endpoints'][2]['hostname_match']")" = False ]; then
    ok "MS02 serves Exchange's self-signed certificate, and the name does not match"
else
    bad "MS02 after the edit: $(jget edited.json "d['endpoints'][2]")"
fi
if "$excert" probe --ca-bundle "$ca" --connect-to 127.0.0.1 \
    "https://mail.contoso.lab:$(port MS02 2)" >out 2>err &&
    grep -q "$self.*CN=MS02 *mismatch *TLSv1.3 *untrusted" out; then
    ok "text output: thumbprint, CN, name mismatch, protocol, untrusted chain"
else
    bad "text output"
fi

# http-01: the agent operation place_http01 writes into MS02's webroot.
token=tok_$$-AbC
req=$(printf '{"protocol":1,"server":"MS02","operations":[{"id":"1","op":"place_http01","args":{"token":"%s","content":"%s.keyauth"}}]}' "$token" "$token" | base64 -w0)
printf 'Invoke-ExcertAgent -RequestBase64 '"'"'%s'"'"'\n' "$req" |
    "$excert" lab agent "$lab" >out 2>err || bad "place_http01"
path=/.well-known/acme-challenge/$token
get() { python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
[ "$(get "http://127.0.0.1:$(port MS02 4)$path")" = "200 $token.keyauth" ] &&
    ok "the token is served on MS02's http port" || bad "MS02 http: $(get "http://127.0.0.1:$(port MS02 4)$path")"
[ "$(get "http://127.0.0.1:$(port MS01 4)$path")" = 404 ] &&
    ok "and not on MS01's, whose webroot does not hold it" || bad "MS01 http serves MS02's token"
[ "$(get "http://127.0.0.1:$h01$path")" = "200 $token.keyauth" ] &&
    ok "--http01 finds the token in whichever webroot holds it" || bad "--http01: $(get "http://127.0.0.1:$h01$path")"
[ "$(get "http://127.0.0.1:$h01/.well-known/acme-challenge/no_such")" = 404 ] &&
    [ "$(get "http://127.0.0.1:$h01/lab.json")" = 404 ] &&
    [ "$(get "http://127.0.0.1:$(port MS02 4)/.well-known/../../../lab.json")" = 404 ] &&
    ok "unknown tokens, other paths and dot segments get 404" || bad "404s"

# Which certificate SMTP presents (docs/lab.md): on a lab whose connectors
# name nothing, Exchange's own, which names the connector's FQDN, although
# IIS binds the lab-CA certificate "mail"; once the Default Frontend
# connector's TlsCertificateName names "mail" (an agent call), that one.
"$excert" lab init two --servers 1 --edge --expires-in 20 >/dev/null 2>err || bad "lab init two"
"$excert" lab serve two --base-port 0 >map2 2>serve2.log &
pid2=$!
for _ in $(seq 1 100); do grep -q '^EDGE01' map2 && break; sleep 0.1; done
p2() { awk -v s="$1" -v k="$2" '$1 == s { n = split($k, a, ":"); print a[n] }' map2; }
"$excert" --format json probe "https://127.0.0.1:$(p2 MS01 2)" "smtp://127.0.0.1:$(p2 MS01 3)"     "smtp://127.0.0.1:$(p2 EDGE01 3)" >two.json 2>err
want="$(jget two/lab.json "[d['servers']['MS01']['iis']['443'], d['servers']['MS01']['transport_certificate'], d['servers']['EDGE01']['transport_certificate']]")"
if [ "$(jget two.json "[e['thumbprint'] for e in d['endpoints']]")" = "$want" ] &&
    [ "$(jget two.json "d['endpoints'][1]['subject_cn']")" = MS01 ]; then
    ok "SMTP presents the certificate naming the connector's FQDN; IIS the bound one"
else
    bad "SMTP choice: $(jget two.json "[e.get('thumbprint') for e in d['endpoints']]"), want $want"
fi
if grep -q '^EDGE01 *- *smtp://127.0.0.1:[0-9]* *-$' map2; then
    ok "an Edge server listens for SMTP only"
else
    bad "Edge in the map: $(cat map2)"
fi
mail=$(jget two/lab.json "d['servers']['MS01']['iis']['443']")
tcn="<I>CN=excert Lab Issuing CA 1, O=contoso (excert lab), C=US<S>CN=mail.contoso.lab"
req=$(python3 -c 'import json, sys; print(json.dumps({"protocol": 1, "server": "MS01", "operations": [{"id": "1", "op": "set_receive_connector_tls", "args": {"identity": "MS01\\Default Frontend MS01", "tls_certificate_name": sys.argv[1]}}]}))' "$tcn" | base64 -w0)
printf 'Invoke-ExcertAgent -RequestBase64 '"'"'%s'"'"'\n' "$req" |
    "$excert" lab agent two >out 2>err
"$excert" --format json probe "smtp://127.0.0.1:$(p2 MS01 3)" >two.json 2>err
[ "$(jget two.json "d['endpoints'][0]['thumbprint']")" = "$mail" ] &&
    ok "once the connector's TlsCertificateName names it, SMTP presents 'mail'" ||
    bad "after set_receive_connector_tls: $(jget two.json "d['endpoints'][0].get('thumbprint')"), want $mail; $(base64 -d <<<"$(sed -n 2p out)" 2>/dev/null)"
kill -TERM "$pid2"
wait "$pid2" || bad "lab serve two did not stop cleanly"

# SIGTERM: a clean stop, the pidfile removed.
kill -TERM "$serve_pid"
wait "$serve_pid"
rc=$?
serve_pid=""
if [ $rc -eq 0 ] && [ ! -e serve.pid ]; then
    ok "SIGTERM stops lab serve (exit 0, pidfile removed)"
else
    bad "SIGTERM: exit $rc, pidfile $(ls serve.pid 2>&1)"
fi
echo "probe.lab: $pass passed, $fail failed"
[ $fail -eq 0 ]
