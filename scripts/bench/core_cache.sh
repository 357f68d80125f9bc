#!/usr/bin/env bash
# Cores on demand, measured (a benchmark, not a test): the first build of a core into an empty
# cache (ccache off, so no compiler cache helps), the same core found in the cache, the cached
# start's cost (sa-cosim vs its cached core executable run directly, same run), and the
# edit-to-result loop (one RTL file of a copied tree changed, the core rebuilt and one layer
# run). Prints one line per figure.
#   scripts/bench/core_cache.sh [ARRAY=8x8] [OUT=build/bench-core-cache]
set -euo pipefail
cd "$(dirname "$0")/../.."
array="${1:-8x8}" out="${2:-build/bench-core-cache}"
[[ -x build/sim/sa-cosim ]] || scripts/setup.sh
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
rm -rf "$out"
mkdir -p "$out"
cp -r rtl "$out/rtl"
export SA_CACHE="$out/cache" CCACHE_DISABLE=1
core=(build/sim/sa-cosim --rtl "$out/rtl/sa.f" --top sa_core --array "$array")
run=(--vectors vectors/default --quiet)

t0=$(now)
"${core[@]}" --build-only >/dev/null
t1=$(now)
echo "first build of the $array core (empty cache, no ccache): $(calc "$t1 - $t0") s"

t0=$(now)
"${core[@]}" --build-only >/dev/null
t1=$(now)
echo "cache hit (key over every source and the harness, no run): $(calc "$t1 - $t0") s"

exe=$("${core[@]}" --build-only)
for i in 1 2 3; do  # interleaved, so both see the same machine
  t0=$(now); "$exe" "${run[@]}" --layers layer1.0.conv1 >/dev/null; t1=$(now)
  "${core[@]}" "${run[@]}" --layers layer1.0.conv1 >/dev/null; t2=$(now)
  echo "one layer: core executable $(calc "$t1 - $t0") s, sa-cosim (cached) $(calc "$t2 - $t1") s, start cost $(calc "($t2 - $t1) - ($t1 - $t0)") s"
done

# An edit: one comment line added to sa_core.sv changes its bytes, so the key, so the core.
echo "// edited $(date +%s%N)" >>"$out/rtl/sa_core.sv"
t0=$(now)
"${core[@]}" "${run[@]}" --layers layer1.0.conv1 >/dev/null
t1=$(now)
echo "RTL edit to result (rebuild + one layer, no ccache): $(calc "$t1 - $t0") s"
unset CCACHE_DISABLE
echo "// edited again $(date +%s%N)" >>"$out/rtl/sa_core.sv"
t0=$(now)
"${core[@]}" "${run[@]}" --layers layer1.0.conv1 >/dev/null
t1=$(now)
echo "RTL edit to result (rebuild + one layer, ccache as configured): $(calc "$t1 - $t0") s"
build/sim/sa-cosim --cache-list | tail -1
