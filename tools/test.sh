#!/bin/sh
# SPDX-License-Identifier: MIT
# Everything CI runs: install, build the tests (XC_TESTS) with warnings as
# errors, check the format and the source rules, run the whole suite, build
# the Debian package and install it into a fresh Debian 12 root (once,
# label package), run the suite again under ASan+UBSan, run the unit tests
# and the loader corpus under valgrind, and fuzz the loader for a while
# with libFuzzer.  Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
fuzz_seconds=${XC_FUZZ_SECONDS:-45}
jobs=$(nproc)
passed=0
failed=0
step() { echo "== $*"; }
result() { # NAME RC
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $1" >&2
    fi
}
# Under CI=true a skipped test (its server or tool missing) counts as
# failed: a skip there once hid the ACME tests on a fresh machine.
count_junit() { # FILE
    t=$(grep -o 'tests="[0-9]*"' "$1" | head -1 | tr -dc 0-9)
    f=$(grep -o 'failures="[0-9]*"' "$1" | head -1 | tr -dc 0-9)
    s=$(grep -c '<skipped' "$1")
    passed=$((passed + ${t:-0} - ${f:-0} - ${s:-0}))
    if [ "${CI:-}" = true ] && [ "${s:-0}" -gt 0 ]; then
        grep -B2 '<skipped' "$1" | grep -o 'name="[^"]*"' >&2
        echo "FAILED: ${s} test(s) skipped under CI=true" >&2
        failed=$((failed + ${f:-0} + s))
    else
        failed=$((failed + ${f:-0}))
    fi
}

step "dependencies"
sh tools/deps.sh || exit 1

step "build (gcc, warnings as errors)"
cmake -S . -B build -DXC_TESTS=ON -DXC_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
    cmake --build build -j"$jobs" >build.log 2>&1
rc=$?
[ $rc -eq 0 ] || { cat build.log; rm -f build.log; exit 1; }
rm -f build.log

step "format (clang-format 14)"
sh tools/check-format.sh
result format $?

step "source rules"
sh tools/checksrc.sh
result checksrc $?

step "tests"
# The Debian package test (label package) runs once, below.
ctest --test-dir build --output-on-failure --output-junit junit.xml -j"$jobs" \
    -LE package
count_junit build/junit.xml

step "the Debian package: built, lintian, installed into a fresh Debian 12 root"
ctest --test-dir build --output-on-failure --output-junit junit-package.xml \
    -L package
count_junit build/junit-package.xml

step "tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DXC_TESTS=ON -DXC_WERROR=ON -DXC_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
    cmake --build build-asan -j"$jobs" >build.log 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    cat build.log
    result asan-build $rc
else
    # libgit2 1.5.1 leaks inside libpcre2 (tests/lsan.supp).
    # Two controllers at once: 20 trials in the run above, 5 here.
    LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 XC_LEASE_TRIALS=5 \
        ctest --test-dir build-asan --output-on-failure \
        --output-junit junit.xml -j"$jobs" -LE package
    count_junit build-asan/junit.xml
fi
rm -f build.log

step "valgrind: unit tests, the loader corpus, the lab"
for t in build/tests/unit_*; do
    valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect "$t" >/dev/null 2>valgrind.log
    rc=$?
    [ $rc -eq 0 ] || cat valgrind.log
    result "valgrind $(basename "$t")" $rc
done
valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect build/tests/fuzz_replay \
    tests/fuzz/corpus/config tests/config/bad tests/config/good examples \
    >/dev/null 2>valgrind.log
rc=$?
[ $rc -eq 0 ] || cat valgrind.log
result "valgrind fuzz_replay" $rc
for t in build/tests/lab_ops; do
    valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect "$t" >/dev/null 2>valgrind.log
    rc=$?
    [ $rc -eq 0 ] || cat valgrind.log
    result "valgrind $(basename "$t")" $rc
done
rm -f valgrind.log

# fuzz TARGET SEEDS... : runs one libFuzzer target for $fuzz_seconds on a
# copy of its seeds, so the tracked corpus is left as it is.
fuzz() {
    name=$1
    dict=$2
    shift 2
    work=$(mktemp -d)
    cp "$@" "$work/"
    build-fuzz/tests/"$name" -max_total_time="$fuzz_seconds" -timeout=10 \
        -rss_limit_mb=2048 -dict="$dict" -artifact_prefix=build-fuzz/ \
        "$work" 2>fuzz.log
    rc=$?
    grep -E '^Done|^stat::number_of_executed' fuzz.log
    [ $rc -eq 0 ] || tail -60 fuzz.log
    rm -rf "$work" fuzz.log
    result "fuzz $name" $rc
}

if [ "$fuzz_seconds" -gt 0 ]; then
    step "fuzz the loader and the reply parser, ${fuzz_seconds}s each (libFuzzer, clang-14)"
    CC=clang-14 cmake -S . -B build-fuzz -DXC_TESTS=ON -DXC_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build build-fuzz -j"$jobs" --target fuzz_config fuzz_reply \
            >build.log 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        cat build.log
        result fuzz-build $rc
    else
        # The corpus holds the examples already.
        fuzz fuzz_config tests/fuzz/yaml.dict tests/fuzz/corpus/config/* \
            tests/config/bad/*.yaml
        fuzz fuzz_reply tests/fuzz/reply.dict tests/fuzz/corpus/reply/*
    fi
    rm -f build.log
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
