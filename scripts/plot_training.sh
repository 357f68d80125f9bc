#!/usr/bin/env bash
# Draws a training curve PNG (loss and accuracies per epoch) from a train_log.csv with gnuplot.
#   scripts/plot_training.sh RUN_DIR/train_log.csv OUT.png [title]
set -euo pipefail
csv="$1" png="$2" title="${3:-training}"
[[ -f "$csv" ]] || { echo "plot_training.sh: $csv: no such file" >&2; exit 1; }
gnuplot <<GP
set terminal pngcairo size 900,520 noenhanced font ",10"
set output "$png.tmp"
set datafile separator ","
set title "$title"
set xlabel "epoch"
set ylabel "accuracy (%)"
set y2label "train loss"
set ytics nomirror
set y2tics
set key bottom right
set grid
plot "$csv" using 1:4 skip 1 with linespoints title "train acc", \
     "$csv" using 1:(strlen(strcol(5)) > 0 ? \$5 : NaN) skip 1 with linespoints title "test acc (CIFAR-10 JPEG ed.)", \
     "$csv" using 1:3 skip 1 axes x1y2 with lines dashtype 2 title "train loss"
GP
mv "$png.tmp" "$png"
echo "wrote $png"
