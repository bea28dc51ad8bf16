#!/bin/bash
# SPDX-License-Identifier: MIT
# No program excert starts inherits an env: secret (issue 18, 2): the
# variables that excert.yaml names as env: references are not in the
# environment of ssh (started from several threads at once) nor of nginx,
# read from /proc/PID/environ of stand-ins; PATH and the other variables
# are.  No sshd or nginx needed.
set -u
excert=${1:?usage: run-child-env.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=hardening.child-env
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need openssl python3
lb_tmp
make_certs
stand_in_nginx
serve_tls b.crt b.key
mkdir tls
cp a.crt tls/mail.crt
cp a.key tls/mail.key
chmod 600 tls/mail.key
"$excert" lab init lab --servers 4 >/dev/null 2>&1 || { echo "lab init failed" >&2; exit 1; }
# A stand-in ssh: its environment, then the lab's agent answers.
cat >"$tmp/bin/ssh" <<SH
#!/bin/sh
cat /proc/\$\$/environ >"$tmp/env.ssh.\$\$"
while [ "\$1" != "--" ]; do shift; done
exec "$excert" lab agent "$tmp/lab" --as "\$2"
SH
chmod 755 "$tmp/bin/ssh"
{
    cat <<YAML
version: 1
organization: contoso
servers:
YAML
    for n in MS01 MS02 MS03 MS04; do
        echo "  - {name: $n, fqdn: $(echo $n | tr A-Z a-z).contoso.lab, connect: {transport: ssh, host: $n, user: svc, timeout: 20s}}"
    done
    cat <<YAML
issuers:
  zerossl:
    acme:
      directory: "https://acme.zerossl.com/v2/DV90"
      email: hostmaster@contoso.com
      eab: {kid: "env:XC_HARDEN_KID", hmac_key: "env:XC_HARDEN_EAB"}
      challenge:
        dns-01:
          rfc2136:
            server: ns1.contoso.com
            key: "env:XC_HARDEN_TSIG"
            zone: contoso.com
load_balancers:
  n1:
    nginx:
      certificate: $tmp/tls/mail.crt
      key: $tmp/tls/mail.key
      binary: $tmp/bin/nginx
      address: 127.0.0.1:$tls_port
YAML
} >excert.yaml
"$excert" validate >out 2>err || { bad "excert.yaml does not load"; finish; exit 1; }

export XC_HARDEN_KID=kid-value XC_HARDEN_EAB=eab-secret-value
export XC_HARDEN_TSIG=tsig-secret-value XC_HARDEN_PLAIN=kept
# clean FILE WHAT: no secret variable, PATH and the plain one kept (the
# EAB kid is an identifier, a value or a reference, not a secret).
clean() {
    if [ -s "$1" ] && ! has_var "$1" XC_HARDEN_EAB &&
        ! has_var "$1" XC_HARDEN_TSIG && ! grep -q "secret-value" "$1" &&
        has_var "$1" PATH && has_var "$1" XC_HARDEN_PLAIN && has_var "$1" HOME; then
        ok "$2: no env: secret, PATH and the rest kept"
    else
        bad "$2: $(tr '\0' ' ' <"$1" 2>/dev/null | grep -o 'XC_HARDEN[A-Z_]*=[^ ]*' | tr '\n' ' ')"
    fi
}

PATH="$tmp/bin:$PATH" "$excert" --format json observe --parallelism 4 >out 2>err
rc=$?
set -- "$tmp"/env.ssh.*
if [ $rc -eq 0 ] && [ $# -eq 4 ]; then ok "observe through 4 stand-in ssh"; else
    bad "observe through the stand-in ssh (exit $rc, $# runs)"
fi
for f in "$@"; do clean "$f" "ssh ($(basename "$f"))"; done

"$excert" lb update n1 --chain b.chain --key b.key >out 2>err
rc=$?
if [ $rc -eq 0 ] && [ -s env.nginx.0 ] && [ -s env.nginx.1 ]; then
    ok "lb update through a stand-in nginx"
else
    bad "lb update through a stand-in nginx (exit $rc)"
fi
clean env.nginx.0 "nginx -t"
clean env.nginx.1 "nginx -s reload"
finish
