#!/bin/bash
# SPDX-License-Identifier: MIT
# What ssh is given (issue 18, 6), with a stand-in ssh that records its
# arguments: a known_hosts path with a space is one quoted option value
# (UserKnownHostsFile="PATH"), a path with a double quote is refused, and
# only plain user names are passed (DOMAIN\user and user@domain are; a
# leading '-', a space or a quote is refused in words, ssh never run).
# tests/ssh/run-ssh.sh checks the quoting against a real sshd.
set -u
excert=${1:?usage: run-ssh-args.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=hardening.ssh-args
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need python3
lb_tmp
"$excert" lab init lab --servers 1 >/dev/null 2>&1 || { echo "lab init failed" >&2; exit 1; }
mkdir -p bin "kh dir"
: >"kh dir/known hosts"
cat >bin/ssh <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/ssh.args"
while [ "\$1" != "--" ]; do shift; done
exec "$excert" lab agent "$tmp/lab" --as MS01
SH
chmod 755 bin/ssh
# run USER KNOWN_HOSTS: observe MS01 through the stand-in.
run() {
    rm -f ssh.args
    printf 'version: 1\norganization: contoso\nservers:\n  - name: MS01\n    fqdn: ms01.contoso.lab\n    connect:\n      transport: ssh\n      host: ms01\n      user: %s\n      known_hosts: %s\n' \
        "$1" "$2" >excert.yaml
    PATH="$tmp/bin:$PATH" "$excert" observe >out 2>err
}

run svc "'$tmp/kh dir/known hosts'"
if [ $? -eq 0 ] && grep -qxF "UserKnownHostsFile=\"$tmp/kh dir/known hosts\"" ssh.args; then
    ok "a known_hosts path with a space: one quoted value"
else
    bad "a known_hosts path with a space: $(grep UserKnown ssh.args 2>/dev/null)"
fi
# An identity path's '%' doubled (ssh expands % tokens in it), quoted.
run svc "'$tmp/kh dir/known hosts'
      identity: '$tmp/id %h/key'"
if [ $? -eq 0 ] && grep -qxF "IdentityFile=\"$tmp/id %%h/key\"" ssh.args; then
    ok "an identity path with '%': the '%' doubled, one quoted value"
else
    bad "an identity path with '%': $(grep Identity ssh.args 2>/dev/null)"
fi
run svc "'$tmp/kh\"dir/kh'"
if [ $? -eq 1 ] && grep -q "known_hosts '$tmp/kh\"dir/kh' holds a double quote" err && [ ! -e ssh.args ]; then
    ok "a known_hosts path with a double quote: refused"
else
    bad "a known_hosts path with a double quote"
fi
for u in 'CONTOSO\\svc-excert' 'svc.excert@contoso.local' 'svc_1'; do
    run "\"$u\"" "'$tmp/kh dir/known hosts'"
    rc=$?
    want=$(printf '%b' "$u")
    if [ $rc -eq 0 ] && grep -qxF -- "$want" ssh.args; then ok "user $want: passed"; else
        bad "user $want: $(head -2 err)"
    fi
done
for u in '-oProxyCommand=touch /tmp/x' 'svc excert' "svc'x" 'svc;id'; do
    run "\"$u\"" "'$tmp/kh dir/known hosts'"
    if [ $? -eq 1 ] && grep -q "is not a user name ssh is given" err && [ ! -e ssh.args ]; then
        ok "user '$u': refused"
    else
        bad "user '$u': not refused"
    fi
done
finish
