#!/usr/bin/env bash
# Psum histograms of a vector set, one panel per layer, drawn with gnuplot: shows how much of
# the accumulator's range each layer uses.   scripts/plot_psums.sh VECTOR_SET OUT.png
set -euo pipefail
cd "$(dirname "$0")/.."
set_dir="$1" png="$2"
csv=$(mktemp --suffix .csv)
trap 'rm -f "$csv"' EXIT
build/golden/sa-golden verify --vectors "$set_dir" --psum-histogram "$csv" >/dev/null
layers=$(tail -n +2 "$csv" | cut -d, -f1 | uniq)
{
  echo 'set terminal pngcairo size 1500,1000 noenhanced font ",8"'
  echo "set output \"$png.tmp\""
  echo 'set datafile separator ","'
  echo 'set multiplot layout 3,6 title "psum histograms (count per bin) of '"$set_dir"'"'
  echo 'set style fill solid 0.6 noborder'
  echo 'unset key'
  echo 'set xtics rotate by -40 font ",7"'
  for l in $layers; do
    echo "set title \"$l\""
    echo "plot \"< grep '^$l,' $csv\" using ((\$2+\$3)/2.0):4:(\$3-\$2+1) with boxes"
  done
  echo 'unset multiplot'
} | gnuplot
mv "$png.tmp" "$png"
echo "wrote $png"
