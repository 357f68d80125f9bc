#!/usr/bin/env bash
# The test suite: installs and builds (scripts/setup.sh), then runs every ctest label (unit,
# cosim, slow) in build/; then the sanitizer build (ASan + UBSan, build-sanitize/, label
# sanitize: the unit and cosim tests again), the fuzzers (scripts/fuzz.sh, 60 s each) and the
# RTL coverage flow (scripts/coverage.sh, build-coverage/).
# With arguments, only build/'s ctest runs, with them: e.g. scripts/test.sh -L cosim.
# SA_FUZZ_SECONDS sets the fuzzing time; SA_SKIP_SANITIZE=1 skips the second build and fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests also build the 64 x 64 array (fast model only: about 6 minutes on 2 cores) and run
# layers of the default set on it; SA_CMAKE_ARGS reaches the configure step of setup.sh.
export SA_CMAKE_ARGS="${SA_CMAKE_ARGS:--DSA_EXTRA_CONFIGS=64x64:a4w4:fast}"
scripts/setup.sh
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
(($#)) && exit 0
[[ "${SA_SKIP_SANITIZE:-0}" == 1 ]] && exit 0

echo "== sanitizer build (ASan + UBSan): unit and cosim tests"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSA_SANITIZE=ON \
  "${launcher[@]}" >/dev/null
cmake --build build-sanitize -j"$(nproc)" >build-sanitize/build.log 2>&1 || {
  grep -B5 -A20 -m3 "FAILED\|error" build-sanitize/build.log
  echo "test.sh: the sanitizer build failed (log: build-sanitize/build.log)"
  exit 1
}
# LibTorch's own allocations are not ours to fix: leaks are reported by the fuzzers instead.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
(cd build-sanitize && ctest --output-on-failure -j"$(nproc)" -L sanitize -LE slow)

echo "== fuzzing"
scripts/fuzz.sh "${SA_FUZZ_SECONDS:-60}"

# The coverage flow end to end (a third build, 8 x 8 only: about 2 minutes). The default
# regression never drives act_relu_i, so a report that does not list it as never hit is wrong.
echo "== RTL code coverage of the default regression"
scripts/coverage.sh | tee build/coverage.log
grep -q "^v_toggle" build/coverage.log
grep -q "act_relu_i" build-coverage/coverage/never_hit.txt
