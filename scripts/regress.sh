#!/usr/bin/env bash
# Regression of a checkpoint on the RTL: dump the vectors of the given test images and
# co-simulate every layer on one array configuration.
#   scripts/regress.sh --checkpoint FILE (--data DIR | --samples FILE.npy) [--images 0,5,9]
#                      [--config 8x8|16x16|4x4] [--out DIR] [-- extra sa-cosim flags]
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint="" data="" samples="" images="0" config="8x8" out="build/regress"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --checkpoint) checkpoint="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --samples) samples="$2"; shift 2 ;;
    --images) images="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "regress.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -n "$checkpoint" ]] || { echo "regress.sh: --checkpoint is required" >&2; exit 2; }
[[ "$config" =~ ^[0-9]+x[0-9]+$ ]] ||
  { echo "regress.sh: --config $config: not ROWSxCOLS (e.g. 16x16)" >&2; exit 2; }
# The weight-stationary core with its 2-bit mode at that size, built on first use.
cosim=(build/sim/sa-cosim --core ws2 --array "$config")
[[ -x build/golden/sa-golden && -x build/sim/sa-cosim ]] || scripts/setup.sh
source_args=()
[[ -n "$data" ]] && source_args+=(--data "$data")
[[ -n "$samples" ]] && source_args+=(--samples "$samples")
mkdir -p "$out"
# --force: the set under $out is this script's own output from an earlier run.
build/golden/sa-golden dump --checkpoint "$checkpoint" "${source_args[@]}" --images "$images" --out "$out/vectors" --force
build/golden/sa-golden verify --vectors "$out/vectors" >/dev/null
"${cosim[@]}" --vectors "$out/vectors" --report "$out/cosim_report.json" "$@"
