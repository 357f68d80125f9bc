#!/usr/bin/env bash
# Regression throughput on this machine, figures printed side by side from one run (not a test):
#   jobs     --jobs 1 vs --jobs N (N = cores) on an IMAGES-image set, rounds alternating: img/s
#            and their ratio;
#   outputs  the default regression with and without --report and --junit: the reports' cost.
# Needs the CIFAR-10 JPEG edition (DATA) for the multi-image set.
#   scripts/bench/regress_scale.sh DATA [IMAGES=20] [ROUNDS=3]
set -euo pipefail
calc() { awk "BEGIN { print $* }"; }  # floating-point arithmetic
cd "$(dirname "$0")/../.."
data="$1" images="${2:-20}" rounds="${3:-3}"
cosim=build/sim/sa-cosim
golden=build/golden/sa-golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$golden" dump --checkpoint golden/checkpoints/w4a4/model.pt --data "$data" \
  --images "$(seq -s, 0 $((images - 1)))" --out "$tmp/set" >/dev/null
jobs=$(nproc)
seconds() {  # wall seconds of one command
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null
  t1=$(date +%s.%N)
  calc "$t1 - $t0"
}
echo "== --jobs 1 vs --jobs $jobs, $images images x 18 layers, 8 x 8 (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-6s %-8s %10s %10s\n' round jobs seconds img/s
s1=0 sn=0
for r in $(seq 1 "$rounds"); do
  a=$(seconds "$cosim" --vectors "$tmp/set" --quiet --jobs 1)
  b=$(seconds "$cosim" --vectors "$tmp/set" --quiet --jobs "$jobs")
  printf '%-6s %-8s %10.2f %10.2f\n' "$r" 1 "$a" "$(calc "$images / $a")"
  printf '%-6s %-8s %10.2f %10.2f\n' "$r" "$jobs" "$b" "$(calc "$images / $b")"
  s1=$(calc "$s1 + $a") sn=$(calc "$sn + $b")
done
printf 'total: --jobs 1 %.2f img/s, --jobs %s %.2f img/s, ratio %.2f (load average after: %s)\n' \
  "$(calc "$images * $rounds / $s1")" "$jobs" "$(calc "$images * $rounds / $sn")" \
  "$(calc "$s1 / $sn")" "$(cut -d' ' -f1-3 /proc/loadavg)"

echo "== cost of --report and --junit on the default regression (rounds alternating)"
plain=0 full=0
for r in $(seq 1 $((rounds * 3))); do
  a=$(seconds "$cosim" --vectors vectors/default --quiet)
  b=$(seconds "$cosim" --vectors vectors/default --quiet --report "$tmp/r.json" --junit "$tmp/j.xml")
  plain=$(calc "$plain + $a") full=$(calc "$full + $b")
done
printf 'without: %.3f s, with: %.3f s per run; overhead %.1f %%\n' \
  "$(calc "$plain / ($rounds * 3)")" "$(calc "$full / ($rounds * 3)")" \
  "$(calc "100 * ($full - $plain) / $plain")"
