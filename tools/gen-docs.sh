#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates docs/excert.schema.json and the key reference in docs/config.md
# from the schema tables (state/schema.c).  Usage: tools/gen-docs.sh [EXCERT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
excert=${1:-$top/build/cmd/excert}
"$excert" schema >"$top/docs/excert.schema.json"
tmp=$(mktemp)
"$excert" --format markdown schema >"$tmp"
awk -v ref="$tmp" '
    /^<!-- BEGIN GENERATED/ { print; while ((getline l < ref) > 0) print l; skip = 1; next }
    /^<!-- END GENERATED/ { skip = 0 }
    !skip { print }
' "$top/docs/config.md" >"$tmp.md"
mv "$tmp.md" "$top/docs/config.md"
rm -f "$tmp"
echo "regenerated docs/excert.schema.json and docs/config.md"
