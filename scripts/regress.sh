#!/usr/bin/env bash
# Regression of a checkpoint on the RTL: dump the vectors of the given test images and
# co-simulate every layer on one array configuration.
#   scripts/regress.sh --checkpoint FILE (--data DIR | --samples FILE.npy) [--images 0,5,9]
#                      [--config 8x8|16x16|4x4] [--out DIR] [-- extra sa-cosim flags]
# Paths are the caller's (relative to the folder it is run from); OUT defaults to
# build/regress in the repository. OUT/vectors is replaced on a later run only if this script
# wrote it (it leaves OUT/.sa-regress beside it); any other set there is refused, exit 2.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
checkpoint="" data="" samples="" images="0" config="8x8" out="$root/build/regress"
usage() { echo "regress.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --checkpoint | --data | --samples | --images | --config | --out)
      [[ $# -ge 2 && -n "$2" && "$2" != --* ]] || usage "$1 needs a value"
      case "$1" in
        --checkpoint) checkpoint="$2" ;;
        --data) data="$2" ;;
        --samples) samples="$2" ;;
        --images) images="$2" ;;
        --config) config="$2" ;;
        --out) out="$2" ;;
      esac
      shift 2 ;;
    --) shift; break ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
[[ -n "$checkpoint" ]] || usage "--checkpoint is required"
[[ "$config" =~ ^[0-9]{1,2}x[0-9]{1,2}$ ]] || usage "--config $config: not ROWSxCOLS (e.g. 16x16)"
[[ ! -e "$out" || -d "$out" ]] || usage "--out $out: exists and is not a folder"
[[ -d "$(dirname "$out")" ]] || usage "--out $out: folder $(dirname "$out") does not exist"
# A set this script did not write is the user's: never replaced.
if [[ -e "$out/vectors" && ! -f "$out/.sa-regress" ]]; then
  usage "--out $out: $out/vectors exists and was not written by regress.sh; not replaced (choose another --out)"
fi
# The weight-stationary core with its 2-bit mode at that size, built on first use.
cosim=("$root/build/sim/sa-cosim" --core ws2 --array "$config")
[[ -x "$root/build/golden/sa-golden" && -x "$root/build/sim/sa-cosim" ]] || "$root/scripts/setup.sh"
source_args=()
[[ -n "$data" ]] && source_args+=(--data "$data")
[[ -n "$samples" ]] && source_args+=(--samples "$samples")
mkdir -p "$out"
touch "$out/.sa-regress"
# --force: the set under $out is this script's own output from an earlier run (checked above).
"$root/build/golden/sa-golden" dump --checkpoint "$checkpoint" "${source_args[@]}" \
  --images "$images" --out "$out/vectors" --force
"$root/build/golden/sa-golden" verify --vectors "$out/vectors" >/dev/null
"${cosim[@]}" --vectors "$out/vectors" --report "$out/cosim_report.json" "$@"
