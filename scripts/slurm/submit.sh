#!/usr/bin/env bash
# Submits a sharded sa-cosim regression to Slurm: a job array of SHARDS tasks (regress.sbatch)
# and a merge job that runs after all of them (merge.sbatch). Prints both job ids.
#   scripts/slurm/submit.sh --shards N --out DIR [--wait] [--sbatch-args "..."] -- \
#       build/sim/sa-cosim --vectors SET [--stall-prob P --seed S ...]
# With --wait it returns the merge's exit status (0 pass, 1 the design failed, 2 error) once
# the merged result is written to DIR/merged.{json,xml}. The jobs run in the folder submit.sh is
# run from, so relative paths in the sa-cosim flags (--vectors vec) mean what they mean here;
# their logs and reports go to DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=submit_merge.sh
source "$here/submit_merge.sh"
shards="" out="" wait=0 extra=""
usage() { echo "submit.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --shards | --out | --sbatch-args)
      [[ $# -ge 2 ]] || usage "$1 needs a value"
      case "$1" in
        --shards) shards="$2" ;;
        --out) out="$2" ;;
        --sbatch-args) extra="$2" ;;
      esac
      shift 2 ;;
    --wait) wait=1; shift ;;
    --) shift; break ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
# Slurm's own array limit (MaxArraySize) is 1001 by default; beyond 100000 is a typo.
[[ "$shards" =~ ^[1-9][0-9]{0,5}$ ]] && ((shards <= 100000)) ||
  usage "--shards $shards: not a whole number from 1 to 100000"
[[ -n "$out" ]] || usage "--out is required"
[[ ! -e "$out" || -d "$out" ]] || usage "--out $out: exists and is not a folder"
[[ $# -ge 1 && -x "$1" ]] || { echo "submit.sh: after --, give the sa-cosim executable and its flags" >&2; exit 2; }
exe="$(realpath "$1")"
shift
report="$(dirname "$exe")/sa-report"
[[ -x "$report" ]] || { echo "submit.sh: $report not found beside $exe" >&2; exit 2; }
mkdir -p "$out" 2>/dev/null || usage "--out $out: cannot create the folder"
out="$(realpath "$out")"
if compgen -G "$out/shard-*.json" >/dev/null; then
  echo "submit.sh: $out already holds shard reports; use an empty folder" >&2
  exit 2
fi
# shellcheck disable=SC2086  # extra: sbatch options, split on spaces
array=$(sbatch --parsable $extra --chdir "$PWD" --output "$out/sa-cosim-%A_%a.out" \
  --array="0-$((shards - 1))" \
  "$here/regress.sbatch" "$out" "$exe" "$@")
array="${array%%;*}"
echo "submitted shards: job $array (array 0-$((shards - 1)))"
submit_merge "$array"
