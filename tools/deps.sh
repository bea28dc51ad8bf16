#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what excert needs, from Debian 12's packages.  Runs apt-get as
# root, or through sudo.
#   sh tools/deps.sh --build   building and running excert only: the
#                              compiler, CMake, pkg-config, git, the libraries
#                              excert links (libyaml, OpenSSL, libcurl, libgit2,
#                              jansson, ldns) and scdoc for the man pages
#   sh tools/deps.sh           all of that, and what the tests need: cmocka,
#                              clang, valgrind, Python, tree-sitter and npm
#                              (the PowerShell grammar), the servers the tests
#                              run on 127.0.0.1 (sshd, Pebble, BIND, Postfix,
#                              HAProxy, NGINX), and what the package test
#                              needs (debhelper, lintian, debootstrap)
set -eu
mode=full
case ${1:-} in
--build) mode=build ;;
"" | --full) ;;
*)
    echo "usage: sh tools/deps.sh [--build]" >&2
    exit 64
    ;;
esac
pkgs="build-essential cmake pkg-config git ca-certificates
  libyaml-dev libssl-dev libcurl4-openssl-dev libgit2-dev libjansson-dev
  libldns-dev scdoc"
if [ "$mode" = full ]; then
    pkgs="$pkgs libcmocka-dev clang-14 libclang-rt-14-dev clang-format-14
  valgrind python3 python3-jsonschema python3-yaml libtree-sitter-dev
  openssh-server openssh-client pebble bind9 bind9-dnsutils
  postfix ssl-cert-check testssl.sh haproxy nginx socat curl
  python3-cryptography bsdutils
  debhelper dpkg-dev fakeroot lintian debootstrap bash man-db"
    # npm fetches the PowerShell grammar for the agent's syntax test; a
    # machine that already has node and npm (from elsewhere) keeps them.
    command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
else
    sudo="sudo"
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing" >&2
    # The tests start their own sshd, HAProxy and NGINX on 127.0.0.1; keep
    # the packages from starting theirs for the whole machine (NGINX's
    # default site would take port 80) (policy-rc.d exit 101 = "not now").
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod 755 /usr/sbin/policy-rc.d
        policy=1
    fi
    # Postfix asks which configuration to make; the tests bring their own.
    echo "postfix postfix/main_mailer_type select No configuration" |
        $sudo debconf-set-selections 2>/dev/null || true
    set +e
    $sudo apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
        --no-install-recommends $missing
    rc=$?
    set -e
    [ -z "$policy" ] || $sudo rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || exit $rc
else
    echo "deps: all installed" >&2
fi
