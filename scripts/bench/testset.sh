#!/usr/bin/env bash
# The whole CIFAR-10 test set through the RTL as one regression (not a test): one streaming dump
# of IMAGES test images into one compact chunked set without psums, then one sa-cosim run of all
# 18 layers of every image on 8 x 8 with --jobs N, one table, JSON and JUnit. Prints wall time
# and peak memory of each step, the set's bytes per image, the reports' sizes and the verdict;
# the lines go to OUT/times.txt too.
#   scripts/bench/testset.sh DATA [IMAGES=10000] [JOBS=nproc] [OUT=build/testset] [CHUNK=100]
# The set is kept in OUT/set (about 0.65 GB for 10,000 images) for reruns; delete it by hand.
set -euo pipefail
calc() { awk "BEGIN { print $* }"; }  # floating-point arithmetic
cd "$(dirname "$0")/../.."
data="$1" images="${2:-10000}" jobs="${3:-$(nproc)}" out="${4:-build/testset}" chunk="${5:-100}"
golden=build/golden/sa-golden
cosim=build/sim/sa-cosim
mkdir -p "$out"
rm -f "$out/times.txt" "$out/report.json" "$out/junit.xml"  # this script's own outputs
say() { echo "$*" | tee -a "$out/times.txt"; }

# /usr/bin/time's %M is the largest resident set of the process or any child it waited for
# (sa-cosim's --jobs workers included).
rm -rf "$out/set"
/usr/bin/time -f "%e %M" -o "$out/t.txt" "$golden" dump \
  --checkpoint golden/checkpoints/w4a4/model.pt --data "$data" \
  --images "$(seq -s, 0 $((images - 1)))" --chunk-images "$chunk" --compact --omit-psums \
  --out "$out/set" >/dev/null
read -r dump_s dump_kb <"$out/t.txt"
bytes=$(du -sb "$out/set" | cut -f1)
say "$(printf 'dump: %d images in %.0f s (%.1f images/s), peak %d MB; set %d MB on disk, %.1f KB per image' \
  "$images" "$dump_s" "$(calc "$images / $dump_s")" $((dump_kb / 1024)) $((bytes / 1000000)) \
  "$(calc "$bytes / $images / 1000")")"

rc=0
/usr/bin/time -f "%e %M" -o "$out/t.txt" "$cosim" --vectors "$out/set" --jobs "$jobs" \
  --report "$out/report.json" --junit "$out/junit.xml" >"$out/cosim.txt" || rc=$?
read -r sim_s sim_kb <"$out/t.txt"
units=$((images * 18))
say "$(printf 'co-simulation: %d units in %.0f s (%.1f images/s, --jobs %d), peak %d MB, exit %d' \
  "$units" "$sim_s" "$(calc "$images / $sim_s")" "$jobs" $((sim_kb / 1024)) "$rc")"
grep -E "^TOTAL" "$out/cosim.txt" | tee -a "$out/times.txt"
say "$(printf 'reports: JSON %.1f MB, JUnit %.2f MB' "$(calc "$(stat -c %s "$out/report.json") / 1e6")" \
  "$(calc "$(stat -c %s "$out/junit.xml") / 1e6")")"
say "$(printf 'total: %.0f s wall (dump %.0f s + co-simulation %.0f s)' "$(calc "$dump_s + $sim_s")" \
  "$dump_s" "$sim_s")"
((rc == 0))
