#!/bin/sh
# SPDX-License-Identifier: MIT
# The ssh transport called from many threads at once: 16 servers observed
# 16 at a time, three times over, through a stand-in `ssh` first on PATH
# that runs `excert lab agent` (no sshd needed).  An ssh started by one
# thread once inherited the pipes of another's, so that two of them waited
# for each other's end of input until the deadline; every server must
# answer, well before it.
excert=${1:?usage: run-parallel.sh EXCERT}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
pass=0
fail=0
"$excert" lab init "$tmp/lab" --servers 16 2>/dev/null || exit 1
mkdir "$tmp/bin"
cat >"$tmp/bin/ssh" <<SH
#!/bin/sh
while [ "\$1" != "--" ]; do shift; done
exec "$excert" lab agent "$tmp/lab" --as "\$2"
SH
chmod +x "$tmp/bin/ssh"
{
    echo "version: 1"
    echo "organization: contoso"
    echo "servers:"
    i=1
    while [ $i -le 16 ]; do
        n=$(printf 'MS%02d' $i)
        echo "  - {name: $n, fqdn: $(echo $n | tr A-Z a-z).contoso.lab, connect: {transport: ssh, host: $n, user: bench, timeout: 20s}}"
        i=$((i + 1))
    done
} >"$tmp/excert.yaml"
for round in 1 2 3; do
    start=$(date +%s)
    PATH="$tmp/bin:$PATH" "$excert" -c "$tmp/excert.yaml" --format json \
        observe --parallelism 16 >"$tmp/obs.json" 2>"$tmp/err"
    rc=$?
    took=$(($(date +%s) - start))
    if [ $rc -eq 0 ] && [ $took -lt 15 ] &&
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["servers"]) == 16 and all(s["ok"] for s in d["servers"])' "$tmp/obs.json"; then
        pass=$((pass + 1))
    else
        echo "FAIL: round $round: exit $rc after $took s: $(head -3 "$tmp/err")" >&2
        fail=$((fail + 1))
    fi
done
echo "ssh.parallel: $pass passed, $fail failed"
[ $fail -eq 0 ]
