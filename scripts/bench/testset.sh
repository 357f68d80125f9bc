#!/usr/bin/env bash
# The whole CIFAR-10 test set through the RTL as one regression (not a test): one streaming dump
# of IMAGES test images into one compact chunked set without psums, then one sa-cosim run of all
# 18 layers of every image on the 8 x 8 array with --jobs N (the 4-bit core, `--core ws`: the set
# has no 2-bit weights, and the 2-bit-capable default core is 35 % slower per cycle), one table,
# JSON and JUnit. Prints wall time
# and peak memory of each step, the set's bytes per image, the reports' sizes and the verdict;
# the lines go to OUT/times.txt too.
#   scripts/bench/testset.sh DATA [IMAGES=10000] [JOBS=nproc] [OUT=build/testset] [CHUNK=100]
# The set is kept in OUT/set (0.69 GB for 10,000 images); SA_TESTSET_REUSE=1 runs it again
# without dumping. Delete it by hand.
set -euo pipefail
calc() { awk "BEGIN { print $* }"; }  # floating-point arithmetic
cd "$(dirname "$0")/../.."
data="$1" images="${2:-10000}" jobs="${3:-$(nproc)}" out="${4:-build/testset}" chunk="${5:-100}"
golden=build/golden/sa-golden
cosim=build/sim/sa-cosim
mkdir -p "$out"
rm -f "$out/times.txt" "$out/report.json" "$out/junit.xml"  # this script's own outputs
say() { echo "$*" | tee -a "$out/times.txt"; }

# Peak memory: /usr/bin/time's %M for the dump (one process); for sa-cosim, whose core runs in
# its own process with --jobs workers beside it, the largest sum of their resident sets, sampled
# every second.
peak_rss_mb() {  # PID: prints the peak summed RSS (MB) of sa-cosim processes while PID runs
  local peak=0 now
  while kill -0 "$1" 2>/dev/null; do
    now=$(ps -C sa-cosim,sa-cosim-core -o rss= | awk '{ s += $1 } END { print int(s / 1024) }')
    ((now > peak)) && peak=$now
    sleep 1
  done
  echo "$peak"
}
if [[ "${SA_TESTSET_REUSE:-0}" == 1 && -f "$out/set/manifest.json" ]]; then
  dump_s=0  # SA_TESTSET_REUSE=1: the set an earlier run dumped (its figures are in its log)
  say "dump: reusing $out/set"
else
  rm -rf "$out/set"
  /usr/bin/time -f "%e %M" -o "$out/t.txt" "$golden" dump \
    --checkpoint golden/checkpoints/w4a4/model.pt --data "$data" --images "0..$((images - 1))" \
    --chunk-images "$chunk" --compact --omit-psums --out "$out/set" >/dev/null
  read -r dump_s dump_kb <"$out/t.txt"
  bytes=$(du -sb "$out/set" | cut -f1)
  say "$(printf 'dump: %d images in %.0f s (%.1f images/s), peak %d MB; set %d MB on disk, %.1f KB per image' \
    "$images" "$dump_s" "$(calc "$images / $dump_s")" $((dump_kb / 1024)) $((bytes / 1000000)) \
    "$(calc "$bytes / $images / 1000")")"
fi

rc=0
/usr/bin/time -f "%e %M" -o "$out/t.txt" "$cosim" --core ws --vectors "$out/set" --jobs "$jobs" \
  --report "$out/report.json" --junit "$out/junit.xml" >"$out/cosim.txt" 2>"$out/progress.txt" &
sim_pid=$!
sim_mb=$(peak_rss_mb $sim_pid)
wait $sim_pid || rc=$?
read -r sim_s _ <"$out/t.txt"
units=$((images * 18))
say "$(printf 'co-simulation: %d units in %.0f s (%.1f images/s, --jobs %d), peak %d MB (all processes), exit %d' \
  "$units" "$sim_s" "$(calc "$images / $sim_s")" "$jobs" "$sim_mb" "$rc")"
grep -E "^TOTAL" "$out/cosim.txt" | tee -a "$out/times.txt"
say "$(printf 'reports: JSON %.1f MB, JUnit %.2f MB' "$(calc "$(stat -c %s "$out/report.json") / 1e6")" \
  "$(calc "$(stat -c %s "$out/junit.xml") / 1e6")")"
say "$(printf 'total: %.0f s wall (dump %.0f s + co-simulation %.0f s)' "$(calc "$dump_s + $sim_s")" \
  "$dump_s" "$sim_s")"
((rc == 0))
