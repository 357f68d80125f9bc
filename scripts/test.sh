#!/usr/bin/env bash
# The test suite: installs and builds (scripts/setup.sh), then runs the ctest labels unit, cosim
# and slow in build/ (the co-simulation cores are built by the tests' setup entries into
# build/core-cache); then the sanitizer build (ASan + UBSan, build-sanitize/, label sanitize:
# the unit and cosim tests again, traced and failing runs included), a traced failing unit under
# valgrind, the fuzzers (scripts/fuzz.sh, 15 s each; 60 s with --full) and the RTL coverage flow
# (scripts/coverage.sh, build-coverage/).
#   scripts/test.sh --full   also the label full: the 32 x 32 and 64 x 64 arrays (their cores
#                            take minutes each to build) and pin mode on every size; not run by CI
#   scripts/test.sh ARGS     only build/'s ctest, with ARGS: e.g. scripts/test.sh -L cosim
# SA_FUZZ_SECONDS sets the fuzzing time; SA_SKIP_SANITIZE=1 skips the second build and fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
select=(-LE full) fuzz_seconds=15
if [[ "${1:-}" == "--full" ]]; then
  select=() fuzz_seconds=60
  export SA_TEST_FULL=1  # tests that check more with it (the teachers' model cards)
  shift
fi
# Compiler cache keyed relative to the checkout (as scripts/setup.sh does), for every build and
# for the cores the tests build on demand.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
# The tests on, whatever build/ was configured with before (scripts/run_main.sh leaves them off
# on a fresh checkout).
SA_CMAKE_ARGS="-DSA_BUILD_TESTS=ON ${SA_CMAKE_ARGS:-}" scripts/setup.sh
if (($#)); then
  (cd build && ctest --output-on-failure -j"$(nproc)" "$@")
  exit 0
fi
(cd build && ctest --output-on-failure -j"$(nproc)" "${select[@]}")
[[ "${SA_SKIP_SANITIZE:-0}" == 1 ]] && exit 0

echo "== sanitizer build (ASan + UBSan): unit and cosim tests"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1 -g1: what ASan's authors advise (stack traces keep their lines), and the largest stage of
# CI: LibTorch's headers compile markedly faster than at RelWithDebInfo's -O2 -g.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSA_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" "${launcher[@]}" >/dev/null
cmake --build build-sanitize -j"$(nproc)" >build-sanitize/build.log 2>&1 || {
  grep -B5 -A20 -m3 "FAILED\|error" build-sanitize/build.log
  echo "test.sh: the sanitizer build failed (log: build-sanitize/build.log)"
  exit 1
}
# LibTorch's own allocations are not ours to fix: leaks are reported by the fuzzers instead.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
(cd build-sanitize && ctest --output-on-failure -j"$(nproc)" -L sanitize -LE slow)

# The failure path under memcheck: a traced failing unit (one planted psum) of the default core,
# every process under valgrind (the sanitizer build instruments our code; this sees the
# Verilated model and Verilator's trace runtime too). It must exit 1 with no memory error (99).
echo "== memcheck: a traced failing unit under valgrind"
tests/plant_psum.sh vectors/default build/memcheck-set layer3.2.conv2
rc=0
SA_CACHE="$PWD/build/core-cache" valgrind --quiet --error-exitcode=99 --trace-children=yes \
  build/sim/sa-cosim --vectors build/memcheck-set --layers layer3.2.conv2 --quiet \
  --max-mismatches 1 --trace build/memcheck.vcd --junit build/memcheck.xml || rc=$?
((rc == 1)) && [[ -s build/memcheck.vcd && -s build/memcheck.xml ]] ||
  { echo "test.sh: the memcheck run exited $rc (1 wanted: the planted psum, no memory error)"; exit 1; }

echo "== fuzzing"
scripts/fuzz.sh "${SA_FUZZ_SECONDS:-$fuzz_seconds}"

# The coverage flow end to end (a third build, 8 x 8 only: about 2 minutes). The default
# regression never drives act_relu_i, so a report that does not list it as never hit is wrong.
echo "== RTL code coverage of the default regression"
scripts/coverage.sh | tee build/coverage.log
grep -q "^v_toggle" build/coverage.log
grep -q "act_relu_i" build-coverage/coverage/never_hit.txt
