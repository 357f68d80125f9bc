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

for t in "${targets[@]}"; do
  # libFuzzer adds what it finds to its first corpus folder: a scratch copy, not the tree's.
  corpus="$(mktemp -d)"
  trap 'rm -rf "$corpus"' EXIT
  cp fuzz/corpus/"$t"/* "$corpus"/
  log="build-fuzz/fuzz_$t.log"
  # LibTorch's own leaks are suppressed for the import target (fuzz/import.lsan.supp says why).
  lsan=""
  [[ "$t" == import ]] && lsan="suppressions=$PWD/fuzz/import.lsan.supp"
  if ! LSAN_OPTIONS="$lsan" build-fuzz/fuzz/fuzz_"$t" "$corpus" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crash-$t-" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: fuzz_$t FAILED (log: $log)"
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  echo "fuzz: fuzz_$t clean: $runs executions in ${seconds} s, coverage $cov edges, corpus $(ls "$corpus" | wc -l) inputs"
  rm -rf "$corpus"
done
