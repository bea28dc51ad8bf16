#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian package, end to end: built from a copy of the source tree with
# dpkg-buildpackage, checked by lintian (no error or warning; overrides are
# in debian/excert.lintian-overrides, each explained), installed with apt
# into a fresh Debian 12 root (debootstrap --variant=minbase from
# deb.debian.org), and run there from the installed binary alone, without
# the source tree: excert init --lab, plan, apply, drift; the man pages, the
# completions, the schema and the examples in their places.
# Usage: run-deb.sh SOURCE_DIR WORK_DIR   (root; WORK_DIR in the build tree,
# where debootstrap's packages are kept as a tarball for the next run, and
# the .deb is left).  About 90 s on 2 CPUs the first time, 60 s after.
# Exit 77 without root or without dpkg-buildpackage, lintian or debootstrap.
set -u
src=${1:?usage: run-deb.sh SOURCE_DIR WORK_DIR}
work=${2:?usage: run-deb.sh SOURCE_DIR WORK_DIR}
mirror=${XC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (debootstrap, chroot)"; exit 77; }
for t in dpkg-buildpackage dh lintian debootstrap; do
    command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
src=$(cd "$src" && pwd)
mkdir -p "$work" && work=$(cd "$work" && pwd)
root=$work/root
t0=$(date +%s)
lap() { echo "== $1 ($(($(date +%s) - t0))s)"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
    for m in proc dev/pts; do
        mountpoint -q "$root/$m" 2>/dev/null && umount "$root/$m"
    done
    rm -rf "$root"
}
trap cleanup EXIT
cleanup
rm -rf "$work/pkg" "$work"/excert_*.deb

lap "a copy of the source tree (what git tracks, and new files it does not ignore)"
mkdir -p "$work/pkg/excert" || exit 1
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -xf - -C "$work/pkg/excert" || exit 1
else
    (cd "$src" && tar --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - .) |
        tar -xf - -C "$work/pkg/excert" || exit 1
fi

lap "dpkg-buildpackage"
(cd "$work/pkg/excert" && dpkg-buildpackage -us -uc -j"$(nproc)") \
    >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "dpkg-buildpackage failed"; }
deb=$(ls "$work"/pkg/excert_*.deb 2>/dev/null | head -1)
[ -s "$deb" ] || fail "no .deb made"
ls -l "$deb"
dpkg-deb -c "$deb" | awk '{print $6}' | sort >"$work/contents"
for f in ./usr/bin/excert ./usr/share/man/man1/excert.1.gz \
    ./usr/share/man/man5/excert.yaml.5.gz \
    ./usr/share/bash-completion/completions/excert \
    ./usr/share/zsh/vendor-completions/_excert \
    ./usr/share/fish/vendor_completions.d/excert.fish \
    ./usr/share/excert/excert.schema.json \
    ./usr/share/doc/excert/examples/single-server.yaml \
    ./usr/share/doc/excert/copyright; do
    grep -qx "$f" "$work/contents" || fail "the package lacks $f"
done

lap "lintian"
lintian --fail-on error,warning --display-info "$work"/pkg/excert_*.changes \
    >"$work/lintian.log" 2>&1
rc=$?
cat "$work/lintian.log"
[ $rc -eq 0 ] || fail "lintian found errors or warnings"

lap "debootstrap --variant=minbase bookworm"
tarball=$work/bookworm-minbase.tgz
if [ ! -s "$tarball" ]; then
    debootstrap --variant=minbase --make-tarball="$tarball.part" bookworm \
        "$work/tarball-root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log"; rm -rf "$work/tarball-root"; fail "debootstrap --make-tarball failed"; }
    rm -rf "$work/tarball-root"
    mv "$tarball.part" "$tarball"
fi
debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$root" \
    "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
echo "deb $mirror bookworm-updates main" >>"$root/etc/apt/sources.list"
echo "deb ${mirror%/debian}/debian-security bookworm-security main" >>"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
mount -t proc proc "$root/proc" || fail "cannot mount /proc in the root"

in_root() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive chroot "$root" "$@"
}
lap "apt-get install ./$(basename "$deb") in the fresh root"
cp "$deb" "$root/tmp/" || exit 1
in_root sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends /tmp/'"$(basename "$deb")" \
    >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; fail "apt-get install failed"; }
grep -E '^(Setting up|Unpacking) ' "$work/apt.log" | grep -c . | sed 's/^/packages set up: /'

lap "the lab demo from the installed binary"
[ ! -e "$root$src" ] || fail "the source tree is visible in the root"
in_root sh -ec '
    command -v excert
    excert version
    cd /tmp
    excert init --lab demo
    excert -C demo validate
    excert -C demo plan --detailed-exitcode && { echo "no renewal planned" >&2; exit 1; } || [ $? -eq 2 ]
    excert -C demo apply --auto-approve >apply.log 2>&1 || { cat apply.log; exit 1; }
    grep -E "^excert:" apply.log
    excert -C demo drift
    excert -C demo status
    [ "$(excert --format json version | grep -c "\"libgit2\"")" -eq 1 ]
    bash -c ". /usr/share/bash-completion/completions/excert; complete -p excert"
    rc=0; excert 2>/dev/null || rc=$?; [ $rc -eq 64 ]; echo "excert alone: exit 64"
' >"$work/demo.log" 2>&1
rc=$?
cat "$work/demo.log"
[ $rc -eq 0 ] || fail "the lab demo failed in the fresh root"
grep -q "No changes" "$work/demo.log" || fail "drift after apply is not 'No changes'"
mv "$deb" "$work/" && rm -rf "$work/pkg"    # the .deb is kept, for a look
lap "done"
echo "install.deb: $(basename "$deb") $(stat -c %s "$deb") bytes, built, lintian-clean, installed and run in a fresh Debian 12 root"
