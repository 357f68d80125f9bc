#!/usr/bin/env bash
# Weight-stationary vs output-stationary (and the 2-bit mode) on the RTL, per layer: cycles
# measured and modelled, utilization and where the cycles go, for each array size, as tables
# (sa-report compare) and PNG bar charts (gnuplot). Builds what it needs in build-compare/
# (fast models only); a few minutes per size on two cores.
#   scripts/compare_dataflows.sh [--vectors DIR] [--w2-vectors DIR] [--out DIR] [--sizes "8x8 16x16 32x32"]
set -euo pipefail
cd "$(dirname "$0")/.."
vectors=vectors/default w2_vectors=vectors/default-w2a4 out=compare sizes="8x8 16x16 32x32"
while (($#)); do
  case "$1" in
    --vectors) vectors="$2"; shift 2 ;;
    --w2-vectors) w2_vectors="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    *) echo "compare_dataflows.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for s in $sizes; do
  [[ "$s" =~ ^[0-9]+x[0-9]+$ ]] || { echo "compare_dataflows.sh: --sizes: '$s' is not RxC" >&2; exit 2; }
done
[[ -f "$vectors/manifest.json" ]] || { echo "compare_dataflows.sh: --vectors $vectors: no manifest.json" >&2; exit 2; }

# One core per dataflow and size, built on first use by sa-cosim (the weight-stationary ones
# with the 2-bit mode).
[[ -x build/sim/sa-cosim && -x build/sim/sa-report ]] || scripts/setup.sh
bin=build/sim
cores() { if [[ "$2" == os ]]; then echo "--core os --array $1"; else echo "--core ws2 --array $1"; fi; }
mkdir -p "$out"
plot() {  # plot DATA RUNS PNG TITLE: cycles per layer and run; the non-streaming cycles stacked
  gnuplot <<GP
set terminal pngcairo size 1400,900 noenhanced font ",10"
set output "$3.tmp"
set multiplot layout 2,1 title "$4"
runs = $2
w = 0.8 / runs
x(i) = column(1) - 0.4 + w * (i + 0.5)
set boxwidth w
set style fill solid 0.9 border -1
set grid ytics
set key outside right top
set xtics rotate by 35 right
set yrange [0:*]
set ylabel "cycles (measured on the RTL)"
plot "$1" using 1:(NaN):xtic(2) notitle, \
     for [i=0:runs-1] "$1" using (x(i)):(column(3 + 6 * i)) with boxes lc i + 1 \
     title columnhead(3 + 6 * i)
set ylabel "cycles not streaming a beat"
set key title "dark: fill, mid: stall, light: drain"
plot "$1" using 1:(NaN):xtic(2) notitle, \
     for [i=0:runs-1] "$1" using (x(i)):(column(6 + 6 * i) + column(7 + 6 * i) + column(8 + 6 * i)) \
       with boxes lc i + 1 fs solid 0.25 title columnhead(3 + 6 * i), \
     for [i=0:runs-1] "$1" using (x(i)):(column(6 + 6 * i) + column(7 + 6 * i)) \
       with boxes lc i + 1 fs solid 0.6 notitle, \
     for [i=0:runs-1] "$1" using (x(i)):(column(6 + 6 * i)) with boxes lc i + 1 fs solid 1.0 notitle
unset multiplot
GP
  mv "$3.tmp" "$3"
}
for s in $sizes; do
  for df in ws os; do
    # shellcheck disable=SC2046  # the core flags, split on spaces
    "$bin/sa-cosim" $(cores "$s" "$df") --vectors "$vectors" --quiet --report "$out/$s-$df.json" >/dev/null
  done
  echo "== $vectors on $s: weight-stationary vs output-stationary"
  "$bin/sa-report" compare "$out/$s-ws.json" "$out/$s-os.json" --data "$out/$s.dat" | tee "$out/$s.txt"
  plot "$out/$s.dat" 2 "$out/$s.png" "$vectors on $s: weight-stationary vs output-stationary"
done
if [[ -f "$w2_vectors/manifest.json" && " $sizes " == *" 8x8 "* ]]; then
  "$bin/sa-cosim" --vectors "$w2_vectors" --quiet --wgt2-mode off --report "$out/w2-4bit.json" >/dev/null
  "$bin/sa-cosim" --vectors "$w2_vectors" --quiet --wgt2-mode auto --report "$out/w2-2bit.json" >/dev/null
  "$bin/sa-cosim" --core os --vectors "$w2_vectors" --quiet --report "$out/w2-os.json" >/dev/null
  echo "== $w2_vectors on 8x8: 4-bit passes vs the 2-bit mode vs output-stationary"
  "$bin/sa-report" compare "$out/w2-4bit.json" "$out/w2-2bit.json" "$out/w2-os.json" \
    --data "$out/w2.dat" | tee "$out/w2.txt"
  plot "$out/w2.dat" 3 "$out/w2.png" "$w2_vectors on 8x8: 4-bit passes vs the 2-bit mode vs os"
fi
echo "wrote $out/"
