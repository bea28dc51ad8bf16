#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job on a fresh machine: install, build, and validate the bundled
# examples (the lab demo replaces this once the lab exists).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "== excert $(./build/cmd/excert version | head -1 | cut -d' ' -f2) built: $top/build/cmd/excert"
for f in examples/*.yaml; do
    ./build/cmd/excert validate "$f"
done
echo "== and a broken file, to show the diagnostics:"
./build/cmd/excert validate tests/config/bad/000-demo-broken.yaml || true
