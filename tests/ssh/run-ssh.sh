#!/bin/sh
# SPDX-License-Identifier: MIT
# The ssh transport end to end against a real OpenSSH server on 127.0.0.1,
# whose forced command is `excert lab agent` (it reads what powershell.exe
# would read on stdin and answers as the agent).  Checks: the observation
# through ssh equals the one through the lab transport; the script sent
# carries request values only inside its base64 literal; a wrong key, an
# unknown host key, a refused port and a silent server fail with clear
# errors.  Needs root (sshd) and openssh-server; skipped (77) otherwise.
excert=${1:?usage: run-ssh.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/sbin/sshd ]; then
    echo "ssh.transport: needs root and /usr/sbin/sshd; skipped"
    exit 77
fi
tmp=$(mktemp -d /tmp/excert-ssh.XXXXXX) || exit 1
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# A free port on loopback.
port=""
for p in $(seq 22220 22299); do
    if ! (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null &&
        ! ss -ltn 2>/dev/null | grep -q "127.0.0.1:$p "; then
        port=$p
        break
    fi
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }

"$excert" lab init "$tmp/lab" --servers 2 --hybrid --expires-in 10 2>/dev/null || exit 1
ssh-keygen -q -t ed25519 -N '' -C host -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -C client -f "$tmp/client_key"
ssh-keygen -q -t ed25519 -N '' -C other -f "$tmp/other_key"
# The forced command records what it was sent, then answers as the lab.
cat >"$tmp/forced.sh" <<SH
#!/bin/sh
tee "$tmp/last-stdin" | exec "$excert" lab agent "$tmp/lab"
SH
chmod 755 "$tmp/forced.sh"
printf 'restrict,command="%s" %s\n' "$tmp/forced.sh" "$(cat "$tmp/client_key.pub")" \
    >"$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$tmp/host_key.pub")" \
    >"$tmp/known_hosts"
ssh-keygen -q -t ed25519 -N '' -C wrong -f "$tmp/wrong_host"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$tmp/wrong_host.pub")" \
    >"$tmp/known_hosts_wrong"
user=$(id -un)
cat >"$tmp/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $tmp/host_key
PidFile none
AuthorizedKeysFile $tmp/authorized_keys
AllowUsers $user
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
LogLevel VERBOSE
CONF
[ -d /run/sshd ] || mkdir -m 0755 /run/sshd
/usr/sbin/sshd -t -f "$tmp/sshd_config" || exit 1
/usr/sbin/sshd -D -e -f "$tmp/sshd_config" >"$tmp/sshd.log" 2>&1 &
pid=$!
i=0
while ! grep -q "Server listening" "$tmp/sshd.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { cat "$tmp/sshd.log" >&2; exit 1; }
    sleep 0.05
done

mkdir "$tmp/org"
server() { # NAME TRANSPORT-FIELDS
    echo "  - {name: $1, fqdn: $(echo "$1" | tr A-Z a-z).contoso.lab, connect: {$2}}"
}
sshf="transport: ssh, host: 127.0.0.1, port: $port, user: $user, identity: ../client_key, known_hosts: ../known_hosts, timeout: 30s"
{
    echo "version: 1"
    echo "organization: contoso"
    echo "servers:"
    server MS01 "$sshf"
    server MS02 "$sshf"
} >"$tmp/org/ssh.yaml"
{
    echo "version: 1"
    echo "organization: contoso"
    echo "servers:"
    server MS01 "transport: lab, path: ../lab"
    server MS02 "transport: lab, path: ../lab"
} >"$tmp/org/lab.yaml"

strip() { grep -v '"seconds"' "$1"; }
"$excert" -C "$tmp/org" -c ssh.yaml --format json observe >"$tmp/ssh.json" 2>"$tmp/err"
rc=$?
"$excert" -C "$tmp/org" -c lab.yaml --format json observe >"$tmp/lab.json" 2>>"$tmp/err"
if [ $rc -eq 0 ] && strip "$tmp/ssh.json" >"$tmp/a" && strip "$tmp/lab.json" >"$tmp/b" &&
    cmp -s "$tmp/a" "$tmp/b" && grep -q '"excert mail"' "$tmp/a"; then ok; else
    bad "observation through ssh differs from the lab's (rc $rc): $(cat "$tmp/err") $(diff "$tmp/a" "$tmp/b" | head -5)"
fi

# What went over the wire: the agent, then the request as base64 only.
if grep -q '^Invoke-ExcertAgent -RequestBase64 '"'"'[A-Za-z0-9+/=]*'"'"'$' "$tmp/last-stdin" &&
    ! grep -q '"operations"' "$tmp/last-stdin"; then ok; else
    bad "the script sent does not end with the base64 invocation line"
fi

# A known_hosts path with a space is one file to ssh (passed quoted,
# UserKnownHostsFile="PATH"); split, host-key checking would fail.
mkdir "$tmp/kh dir"
cp "$tmp/known_hosts" "$tmp/kh dir/known hosts"
{
    echo "version: 1"
    echo "organization: contoso"
    echo "servers:"
    server MS01 "transport: ssh, host: 127.0.0.1, port: $port, user: $user, identity: ../client_key, known_hosts: '../kh dir/known hosts', timeout: 30s"
} >"$tmp/org/space.yaml"
if "$excert" -C "$tmp/org" -c space.yaml observe >/dev/null 2>"$tmp/err"; then ok; else
    bad "known_hosts with a space in its path: $(cat "$tmp/err")"
fi

# An identity whose path holds '%' and a space: ssh expands % tokens in
# file names, so excert doubles the '%' (IdentityFile="PATH"); given as is
# (or to -i) ssh fails or looks for another file.
mkdir "$tmp/id %h dir"
cp "$tmp/client_key" "$tmp/id %h dir/key"
{
    echo "version: 1"
    echo "organization: contoso"
    echo "servers:"
    server MS01 "transport: ssh, host: 127.0.0.1, port: $port, user: $user, identity: '../id %h dir/key', known_hosts: ../known_hosts, timeout: 30s"
} >"$tmp/org/pct.yaml"
if "$excert" -C "$tmp/org" -c pct.yaml observe >/dev/null 2>"$tmp/err"; then ok; else
    bad "identity with '%' in its path: $(cat "$tmp/err")"
fi

# Errors, each naming the server and what failed.
expect_err() { # DESCRIPTION YAML-FIELDS PATTERN
    {
        echo "version: 1"
        echo "organization: contoso"
        echo "servers:"
        server MS01 "$2"
    } >"$tmp/org/e.yaml"
    "$excert" -C "$tmp/org" -c e.yaml observe >/dev/null 2>"$tmp/err"
    r=$?
    if [ $r -eq 1 ] && grep -q "server 'MS01'.*$3" "$tmp/err"; then ok; else
        bad "$1: rc $r: $(cat "$tmp/err")"
    fi
}
expect_err "wrong key" \
    "transport: ssh, host: 127.0.0.1, port: $port, user: $user, identity: ../other_key, known_hosts: ../known_hosts" \
    "authentication failed for $user@127.0.0.1"
expect_err "host key mismatch" \
    "transport: ssh, host: 127.0.0.1, port: $port, user: $user, identity: ../client_key, known_hosts: ../known_hosts_wrong" \
    "host key of 127.0.0.1 is not the one in known_hosts"
expect_err "a user name that is an option" \
    "transport: ssh, host: 127.0.0.1, port: $port, user: '-oProxyCommand=sh', identity: ../client_key, known_hosts: ../known_hosts" \
    "user '-oProxyCommand=sh' is not a user name ssh is given"
expect_err "refused" \
    "transport: ssh, host: 127.0.0.1, port: 1, user: $user, identity: ../client_key, known_hosts: ../known_hosts" \
    "connection refused by 127.0.0.1 port 1"

# A server that never answers: the deadline ends the call, not excert.
cat >"$tmp/forced.sh" <<SH
#!/bin/sh
exec sleep 60
SH
start=$(date +%s)
expect_err "timeout" \
    "transport: ssh, host: 127.0.0.1, port: $port, user: $user, identity: ../client_key, known_hosts: ../known_hosts, timeout: 2s" \
    "no reply from 127.0.0.1 within 2 s"
[ $(($(date +%s) - start)) -lt 15 ] && ok || bad "the timeout did not end the call soon"

# Garbage instead of a reply.
cat >"$tmp/forced.sh" <<SH
#!/bin/sh
cat >/dev/null; echo "-----BEGIN EXCERT REPLY-----"; echo "not base64 at all!"; echo "-----END EXCERT REPLY-----"
SH
expect_err "garbage reply" "$sshf" "not valid base64"

# A reply cut short, and a server that prints without end.
cat >"$tmp/forced.sh" <<SH
#!/bin/sh
cat >/dev/null; echo "-----BEGIN EXCERT REPLY-----"; echo "eyJwcm90b2NvbCI6MSwi"
SH
expect_err "truncated reply" "$sshf" "truncated reply from the agent"
cat >"$tmp/forced.sh" <<SH
#!/bin/sh
cat >/dev/null; head -c 70000000 /dev/zero | tr '\\0' 'A'
SH
expect_err "oversized reply" "$sshf" "printed more than 67108864 bytes"

echo "ssh.transport: $pass passed, $fail failed"
[ $fail -eq 0 ]
