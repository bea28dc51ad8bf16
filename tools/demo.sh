#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job on a fresh machine: install, build, and run the lab demo
# (tools/lab-demo.sh): a renewal planned, applied and verified on an
# emulated Exchange organisation.  Installs only what building and running
# excert needs (tools/deps.sh --build): no test dependency, nothing from npm.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh --build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "== excert $(./build/cmd/excert version | head -1 | cut -d' ' -f2) built: $top/build/cmd/excert"
sh tools/lab-demo.sh "$top/build/cmd/excert"
