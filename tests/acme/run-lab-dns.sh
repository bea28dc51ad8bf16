#!/bin/bash
# SPDX-License-Identifier: MIT
# The lab demo renewed by a real Pebble with dns-01: excert apply publishes
# the TXT records by RFC 2136 updates signed with TSIG to a real BIND on
# 127.0.0.1 (zone contoso.lab), through which Pebble resolves and
# validates; the records are gone afterwards; a wrong TSIG key stops the
# apply at the issue step, before anything destructive, in words.
# Skipped (77) without pebble, named, tsig-keygen, dig, openssl, python3 or curl.
set -u
excert=${1:?usage: run-lab-dns.sh EXCERT}
test_name=acme.lab-dns
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
acme_need pebble named tsig-keygen named-checkconf dig openssl python3 curl
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
acme_tmp
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; [ -s err ] && tail -4 err | sed 's/^/    /' >&2; }
read -r p_acme p_mgmt p_http p_dns <<<"$(free_ports 4)"

# BIND: zone contoso.lab, TXT updates allowed to the key excert-key.
start_named contoso.lab excert-key "$p_dns"
tsig-keygen -a hmac-sha256 excert-key >wrong.key

make_test_ca
start_pebble false "$p_dns" PEBBLE_AUTHZREUSE=0

demo() { # NAME KEYFILE
    "$excert" init --lab "$1" >/dev/null 2>&1 || { echo "acme.lab-dns: init failed" >&2; exit 1; }
    python3 - "$1/excert.yaml" "https://127.0.0.1:$p_acme/dir" "$p_dns" "$2" <<'PY'
import sys
p, url, port, key = sys.argv[1:5]
s = open(p).read()
s = s.replace("issuers:\n", "issuers:\n  pebble:\n    acme:\n      directory: %s\n      ca_bundle: ../ca.pem\n"
              "      challenge: {dns-01: {rfc2136: {server: 127.0.0.1, port: %s, key: 'file:%s', zone: contoso.lab}}}\n"
              % (url, port, key))
s = s.replace("    issuer: labca\n", "    issuer: pebble\n")
open(p, "w").write(s)
PY
    (cd "$1" && git commit -qam "issued by pebble through dns-01")
}
txt() { dig +short +norecurse -p "$p_dns" @127.0.0.1 "$1" TXT; }

# 1. A renewal validated through BIND.
demo demo ../named/tsig.key
"$excert" -C demo validate >/dev/null 2>err || bad "validate"
"$excert" -C demo apply --auto-approve >out 2>err
if [ $? -eq 0 ]; then ok; else bad "apply with dns-01"; fi
# Nothing listens on Pebble's http-01 port: only the TXT records, added
# and deleted through BIND, can have proven the names.
if grep -q "adding an RR at '_acme-challenge.mail.contoso.lab' TXT" named.log &&
    grep -q "deleting an RR at _acme-challenge.mail.contoso.lab TXT\|deleting an RR at '_acme-challenge.mail.contoso.lab' TXT" named.log; then ok; else
    bad "BIND did not see the records come and go: $(grep -i 'acme-challenge' named.log | head -3)"
fi
if [ -z "$(txt _acme-challenge.mail.contoso.lab)$(txt _acme-challenge.autodiscover.contoso.lab)" ]; then ok; else bad "TXT records left in the zone"; fi
"$excert" -C demo drift >/dev/null 2>err
if [ $? -eq 0 ]; then ok; else bad "drift after the renewal"; fi

# 2. A wrong key: the apply stops at the issue step, in words; nothing
# destructive ran; no record is left.
rm -rf "$XDG_STATE_HOME"
demo demo2 ../wrong.key
"$excert" -C demo2 apply --auto-approve >out 2>err
rc=$?
if [ $rc -eq 1 ] && grep -q "BADSIG\|NOTAUTH" err && ! grep -q "excert-key.*secret\|$(sed -n 's/.*secret "\(.*\)";.*/\1/p' wrong.key)" err; then ok; else bad "wrong TSIG key (exit $rc)"; fi
if ! grep -q '"kind":"remove"' "$XDG_STATE_HOME/excert/contoso/journal.jsonl"; then ok; else bad "a removal ran after the failure"; fi
if [ -z "$(txt _acme-challenge.mail.contoso.lab)" ]; then ok; else bad "a record left after the failure"; fi

echo "acme.lab-dns: $pass passed, $fail failed"
[ $fail -eq 0 ]
