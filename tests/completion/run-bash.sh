#!/bin/sh
# SPDX-License-Identifier: MIT
# bash completion of excert in a pseudo-terminal (bash-pty.py), against a
# lab repository made by excert init --lab for the names of excert.yaml.
# Usage: run-bash.sh EXCERT
excert=${1:?usage: run-bash.sh EXCERT}
command -v bash >/dev/null 2>&1 || { echo "SKIP: bash missing"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$excert" init --lab "$tmp/demo" >/dev/null 2>&1 || exit 1
python3 "$(dirname "$0")/bash-pty.py" "$excert" "$tmp"
