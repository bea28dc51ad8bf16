#!/bin/sh
# SPDX-License-Identifier: MIT
# --ref and provenance against real git repositories made with git(1):
# branch, tag, id, HEAD~1, a subdirectory, the dirty and untracked flags,
# and the errors for "not a repository", "unknown revision", "absent at".
excert=${1:?usage: run-ref.sh EXCERT VALID.yaml}
valid=${2:?usage: run-ref.sh EXCERT VALID.yaml}
excert=$(cd "$(dirname "$excert")" && pwd)/$(basename "$excert")
valid=$(cd "$(dirname "$valid")" && pwd)/$(basename "$valid")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=t \
    GIT_AUTHOR_EMAIL=t@example.test GIT_COMMITTER_NAME=t \
    GIT_COMMITTER_EMAIL=t@example.test

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# expect RC STDERR-SUBSTRING -- excert args...
expect() {
    want_rc=$1
    want_err=$2
    shift 3
    "$excert" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        bad "excert $*: exit $rc, expected $want_rc: $(cat "$tmp/err")"
    elif [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$tmp/err"; then
        bad "excert $*: stderr lacks '$want_err': $(cat "$tmp/err")"
    else
        ok
    fi
}

repo="$tmp/repo"
mkdir -p "$repo/infra"
git -C "$repo" init -q -b main
cp "$valid" "$repo/infra/excert.yaml"
git -C "$repo" add infra/excert.yaml
git -C "$repo" commit -q -m "valid desired state"
git -C "$repo" tag v1
good_id=$(git -C "$repo" rev-parse HEAD)
# Second commit: an undefined issuer.
sed 's/^    issuer: .*/    issuer: nowhere/' "$valid" >"$repo/infra/excert.yaml"
git -C "$repo" commit -q -am "break the issuer"
bad_id=$(git -C "$repo" rev-parse HEAD)
git -C "$repo" branch old "$good_id"

cd "$repo/infra" || exit 1
expect 65 "excert.yaml:" -- validate
expect 0 "" -- --ref HEAD~1 validate
grep -q "^HEAD~1:excert.yaml: valid: .*(commit ${good_id%????????????????????????????})" "$tmp/out" ||
    bad "--ref HEAD~1 output does not name the commit: $(cat "$tmp/out")"
expect 0 "" -- --ref v1 validate
expect 0 "" -- --ref old validate
expect 0 "" -- --ref "$good_id" validate
expect 0 "" -- --ref "$(echo "$good_id" | cut -c1-10)" validate
expect 65 "HEAD:excert.yaml:" -- --ref HEAD validate
expect 65 "which is not defined" -- --ref main validate
# From the repository root, with -C and -c.
cd "$tmp" || exit 1
expect 0 "" -- -C "$repo" -c infra/excert.yaml --ref v1 validate
expect 0 "" -- -C "$repo/infra" --ref HEAD~1 validate

# Errors.
expect 1 "unknown revision 'nope'" -- -C "$repo/infra" --ref nope validate
expect 1 "'infra/missing.yaml' does not exist at 'v1'" -- -C "$repo/infra" \
    -c missing.yaml --ref v1 validate
expect 1 "is not a file at 'v1'" -- -C "$repo" -c infra --ref v1 validate
mkdir -p "$tmp/plain"
cp "$valid" "$tmp/plain/excert.yaml"
expect 1 "not a git repository" -- -C "$tmp/plain" --ref HEAD validate
expect 0 "" -- -C "$tmp/plain" validate
expect 1 "cannot open 'absent.yaml'" -- -C "$tmp/plain" -c absent.yaml validate

# Provenance: commit id, dirty and untracked flags in the JSON result.
cd "$repo/infra" || exit 1
git checkout -q old -- excert.yaml
git -C "$repo" commit -q -am "repair"
head_id=$(git -C "$repo" rev-parse HEAD)
"$excert" --format json validate >"$tmp/out" 2>"$tmp/err"
if grep -q "\"commit\": \"$head_id\"" "$tmp/out" &&
    grep -q '"dirty": false' "$tmp/out"; then ok; else
    bad "clean work tree: $(cat "$tmp/out")"
fi
echo "# a comment" >>excert.yaml
"$excert" --format json validate >"$tmp/out" 2>"$tmp/err"
if grep -q '"dirty": true' "$tmp/out"; then ok; else
    bad "modified file not dirty: $(cat "$tmp/out")"
fi
"$excert" validate >"$tmp/out" 2>&1
if grep -q "file modified in the work tree" "$tmp/out"; then ok; else
    bad "text output lacks the dirty note: $(cat "$tmp/out")"
fi
cp excert.yaml new.yaml
"$excert" -c new.yaml validate >"$tmp/out" 2>&1
if grep -q "file not tracked" "$tmp/out"; then ok; else
    bad "untracked file not reported: $(cat "$tmp/out")"
fi
[ "$bad_id" != "$good_id" ] || bad "the two commits are the same"

echo "git.ref: $pass passed, $fail failed"
[ $fail -eq 0 ]
