#!/bin/sh
# SPDX-License-Identifier: MIT
# The exact text excert sends for requests with hostile values: composed and
# checked by pscheck_compose (shape, base64, no value outside the literal),
# then parsed by pscheck with the rules of -Command -.
compose=${1:?usage: run-compose.sh PSCHECK_COMPOSE PSCHECK OUTDIR}
pscheck=${2:?usage: run-compose.sh PSCHECK_COMPOSE PSCHECK OUTDIR}
out=${3:?usage: run-compose.sh PSCHECK_COMPOSE PSCHECK OUTDIR}
rm -rf "$out"
mkdir -p "$out" || exit 1
"$compose" "$out" || exit 1
set -- "$out"/compose-*.ps1
[ -f "$1" ] || { echo "no composed text in $out" >&2; exit 1; }
"$pscheck" --rules "$@"
