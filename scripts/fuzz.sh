#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan) into build-fuzz/ and runs each for
# SECONDS (default 60) from the committed seed corpus in fuzz/corpus/; exits non-zero on any
# crash, sanitizer report, leak or timeout. Findings are kept as build-fuzz/crash-*.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: npy vector_set schedule pickle import)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(npy vector_set schedule pickle import)

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -G Ninja -DSA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" >/dev/null
cmake --build build-fuzz >/dev/null

# One target: fuzz it from a scratch copy of its seeds (libFuzzer adds what it finds to its first
# corpus folder, which must not be the tree's) and write its one-line result beside its log.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
fuzz_one() {
  local t="$1" corpus="$scratch/$1" log="build-fuzz/fuzz_$1.log" lsan=""
  mkdir -p "$corpus"
  cp fuzz/corpus/"$t"/* "$corpus"/
  # LibTorch's own leaks are suppressed for the import target (fuzz/import.lsan.supp says why).
  [[ "$t" == import ]] && lsan="suppressions=$PWD/fuzz/import.lsan.supp"
  if ! LSAN_OPTIONS="$lsan" build-fuzz/fuzz/fuzz_"$t" "$corpus" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crash-$t-" >"$log" 2>&1; then
    echo "FAILED" >"build-fuzz/fuzz_$t.result"
    return
  fi
  local runs cov
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  echo "clean: $runs executions in ${seconds} s, coverage $cov edges, corpus $(ls "$corpus" | wc -l) inputs" \
    >"build-fuzz/fuzz_$t.result"
}

# Each fuzzer is one process on one core: run as many at once as there are cores (CI's two
# halve the stage), then report in the targets' order.
jobs=$(nproc)
for t in "${targets[@]}"; do
  rm -f "build-fuzz/fuzz_$t.result"
  fuzz_one "$t" &
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
done
wait
failed=0
for t in "${targets[@]}"; do
  result=$(cat "build-fuzz/fuzz_$t.result" 2>/dev/null || echo FAILED)
  if [[ "$result" == FAILED ]]; then
    tail -n 40 "build-fuzz/fuzz_$t.log"
    echo "fuzz: fuzz_$t FAILED (log: build-fuzz/fuzz_$t.log)"
    failed=1
  else
    echo "fuzz: fuzz_$t $result"
  fi
done
exit $failed
