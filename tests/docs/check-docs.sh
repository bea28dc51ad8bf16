#!/bin/sh
# SPDX-License-Identifier: MIT
# docs/ must say what the code says:
#  - docs/excert.schema.json is exactly `excert schema`;
#  - the generated part of docs/config.md is exactly `excert schema --format
#    markdown` (regenerate both with tools/gen-docs.sh);
#  - every example validates against the JSON Schema too (Debian's
#    python3-jsonschema), so editors and excert agree on the examples;
#  - docs/cli.md has a section for every command and names every option.
excert=${1:?usage: check-docs.sh EXCERT SOURCE_DIR}
top=${2:?usage: check-docs.sh EXCERT SOURCE_DIR}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

"$excert" schema >"$tmp/schema.json" || bad "excert schema failed"
if cmp -s "$tmp/schema.json" "$top/docs/excert.schema.json"; then ok; else
    bad "docs/excert.schema.json is stale; run tools/gen-docs.sh"
    diff "$tmp/schema.json" "$top/docs/excert.schema.json" | head -20 >&2
fi

"$excert" --format markdown schema >"$tmp/ref.md" || bad "schema --format markdown failed"
sed -n '/^<!-- BEGIN GENERATED/,/^<!-- END GENERATED/p' "$top/docs/config.md" |
    sed '1d;$d' >"$tmp/doc.md"
if [ -s "$tmp/doc.md" ] && cmp -s "$tmp/ref.md" "$tmp/doc.md"; then ok; else
    bad "the key reference in docs/config.md is stale; run tools/gen-docs.sh"
    diff "$tmp/ref.md" "$tmp/doc.md" | head -20 >&2
fi

py=/usr/bin/python3
if "$py" -c 'import jsonschema, yaml' 2>/dev/null; then
    for f in "$top"/examples/*.yaml; do
        if "$py" - "$top/docs/excert.schema.json" "$f" <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
doc = yaml.safe_load(open(sys.argv[2]))
errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
for e in errors:
    print("%s: %s: %s" % (sys.argv[2], "/".join(map(str, e.path)), e.message), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
        then ok; else bad "$f does not validate against docs/excert.schema.json"; fi
    done
else
    bad "python3-jsonschema and python3-yaml are needed (apt-get install python3-jsonschema python3-yaml)"
fi

"$excert" help >"$tmp/help" || bad "excert help failed"
for c in $(sed -n '/^Commands:/,/^$/p' "$tmp/help" | awk 'NF>1 {print $1}'); do
    if grep -q "^## excert $c" "$top/docs/cli.md"; then ok; else
        bad "docs/cli.md has no section '## excert $c'"
    fi
    "$excert" help "$c" >"$tmp/h" || bad "excert help $c failed"
    for o in $(grep -o -- '--[a-z][a-z-]*' "$tmp/h" | sort -u); do
        if grep -qF -- "$o" "$top/docs/cli.md"; then ok; else
            bad "docs/cli.md does not mention $o (from 'excert help $c')"
        fi
    done
done

echo "docs.schema: $pass passed, $fail failed"
[ $fail -eq 0 ]
