#!/bin/bash
# SPDX-License-Identifier: MIT
# The lab's files (issue 18, 5): a link planted at the temporary name the
# lab used to write through (FILE.tmp.PID) redirects nothing, and under
# umask 000 every file the lab makes has its own mode (keys 0600, the rest
# 0644 or 0600, nothing writable by group or others).
set -u
excert=${1:?usage: run-lab-files.sh EXCERT}
here=$(cd "$(dirname "$0")" && pwd)
test_name=hardening.lab-files
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
. "$here/lib.sh"
lb_need python3
lb_tmp
"$excert" lab init lab --servers 1 >/dev/null 2>&1 || { echo "lab init failed" >&2; exit 1; }

# The pid file of lab serve, written as the lab writes: its old temporary
# name is PIDFILE.tmp.PID, and the shell's PID is excert's after exec.
echo "precious" >victim
sh -c 'ln -s "$1" "$2.tmp.$$"; exec "$3" lab serve "$4" --base-port 0 --pidfile "$2"' \
    sh "$tmp/victim" "$tmp/serve.pid" "$excert" "$tmp/lab" >serve.log 2>&1 &
spid=$!
pids="$pids $spid"
for _ in $(seq 1 200); do
    [ -s serve.pid ] && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.05
done
if [ "$(cat victim)" = precious ] && [ "$(cat serve.pid 2>/dev/null)" = "$spid" ]; then
    ok "a link at the old temporary name redirects nothing"
else
    bad "the planted link: victim holds '$(head -c 40 victim)', pid file '$(cat serve.pid 2>/dev/null)'"
fi
stop_pid "$spid"
rm -f serve.pid.tmp.*

# umask 000: lab init, then a renewal through the lab CA (issued.log).
(umask 000 && "$excert" lab init lab0 --servers 1 >/dev/null 2>err) || bad "lab init under umask 000"
cat >excert.yaml <<YAML
version: 1
organization: contoso
servers:
  - {name: MS01, fqdn: ms01.contoso.lab, connect: {transport: lab, path: lab0}}
issuers:
  labca: {lab: {path: lab0}}
certificates:
  - name: mail
    domains: [mail.contoso.lab]
    issuer: labca
    servers: [MS01]
    services: [IIS]
YAML
(umask 000 && "$excert" apply --auto-approve >out 2>err) || bad "apply under umask 000: $(tail -3 err)"
[ -s lab0/ca/issued.log ] && ok "the lab CA logged what it issued" || bad "no lab0/ca/issued.log"
wide=$(find lab0 -type f -perm /022 -printf '%m %p\n')
keys=$(find lab0 -type f -name '*.key' ! -perm 600 -printf '%m %p\n')
if [ -z "$wide" ] && [ -z "$keys" ]; then
    ok "under umask 000: no file writable by others, keys 0600"
else
    bad "under umask 000: $wide $keys"
fi
finish
