#!/usr/bin/env bash
# The whole CIFAR-10 test set through the RTL (not a test): dumps the vectors of CHUNK test
# images at a time (a 10,000-image set would be 15 GB on disk and more in memory), runs all 18
# layers of each chunk on 8 x 8 with --jobs N, keeps the chunk reports, deletes the vectors.
# Prints per-chunk and total wall time (dump and simulation apart), peak RSS of each tool and
# the merged verdict.
#   scripts/bench/testset.sh DATA [IMAGES=10000] [CHUNK=1000] [JOBS=nproc] [OUT=build/testset]
set -euo pipefail
calc() { awk "BEGIN { print $* }"; }  # floating-point arithmetic
cd "$(dirname "$0")/../.."
data="$1" images="${2:-10000}" chunk="${3:-1000}" jobs="${4:-$(nproc)}" out="${5:-build/testset}"
golden=build/golden/sa-golden
cosim=build/sim/sa-cosim
mkdir -p "$out"
rm -f "$out"/chunk-*.json "$out"/times.txt  # this script's own outputs from an earlier run
dump_total=0 sim_total=0 failed=0
t_start=$(date +%s.%N)
for ((first = 0; first < images; first += chunk)); do
  last=$((first + chunk - 1 < images - 1 ? first + chunk - 1 : images - 1))
  set_dir="$out/vectors-$first"
  rm -rf "$set_dir"
  /usr/bin/time -f "%e %M" -o "$out/t.txt" "$golden" dump --checkpoint golden/checkpoints/w4a4/model.pt \
    --data "$data" --images "$(seq -s, "$first" "$last")" --out "$set_dir" >/dev/null
  read -r dump_s dump_kb <"$out/t.txt"
  rc=0
  /usr/bin/time -f "%e %M" -o "$out/t.txt" "$cosim" --vectors "$set_dir" --jobs "$jobs" --quiet \
    --report "$out/chunk-$first.json" >/dev/null || rc=$?
  read -r sim_s sim_kb <"$out/t.txt"
  ((rc == 0)) || failed=$((failed + 1))
  rm -rf "$set_dir"
  dump_total=$(calc "$dump_total + $dump_s")
  sim_total=$(calc "$sim_total + $sim_s")
  printf 'images %5d..%5d: dump %6.1f s (%4d MB peak), co-simulation %7.1f s (%3d MB peak, main process), exit %d\n' \
    "$first" "$last" "$dump_s" $((dump_kb / 1024)) "$sim_s" $((sim_kb / 1024)) "$rc" | tee -a "$out/times.txt"
done
wall=$(calc "$(date +%s.%N) - $t_start")
printf 'total: %d images x 18 layers in %.0f s wall (dump %.0f s, co-simulation %.0f s, --jobs %d); %d chunk(s) failed\n' \
  "$images" "$wall" "$dump_total" "$sim_total" "$jobs" "$failed" | tee -a "$out/times.txt"
((failed == 0))
