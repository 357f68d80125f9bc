#!/usr/bin/env bash
# Builds and runs the benchmarks (figures, not tests): golden model on the CPU, bare array
# under Verilator, and the co-simulation harness against a plain Verilator loop and Icarus.
#   scripts/bench.sh [golden|rtl|cosim ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmark targets are off in a default build (SA_BUILD_BENCH): turn them on in build/.
SA_CMAKE_ARGS="-DSA_BUILD_BENCH=ON ${SA_CMAKE_ARGS:-}" SA_BUILD_TARGETS="sa-golden sa-cosim" \
  scripts/setup.sh
which=("$@")
((${#which[@]})) || which=(golden rtl cosim)
for b in "${which[@]}"; do
  case "$b" in
    golden) cmake --build build --target golden_bench >/dev/null && build/bench/golden_bench ;;
    rtl) cmake --build build --target rtl_bench >/dev/null && build/bench/rtl_bench ;;
    cosim) cmake --build build --target cosim_bench >/dev/null &&
           build/bench/cosim_bench --vectors vectors/default --cosim build/sim/sa-cosim ;;
    *) echo "bench.sh: unknown benchmark '$b' (golden, rtl, cosim)" >&2; exit 2 ;;
  esac
done
