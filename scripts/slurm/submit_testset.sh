#!/usr/bin/env bash
# Submits a test-set regression in which each Slurm task makes its own vectors: a job array of
# TASKS tasks (testset.sbatch: each runs scripts/testset_part.sh on its slice of IMAGES: dumps it
# from the checkpoint and the data set, then co-simulates it) and a merge job after all of them (merge.sbatch --parts). Nothing
# but the checkpoint and the data set is shared. Prints both job ids.
#   scripts/slurm/submit_testset.sh --tasks N --images 0..9999 --checkpoint CKPT \
#       (--data CIFAR10_ROOT | --samples FILE.npy) --out DIR [--wait] [--sbatch-args "..."] -- \
#       build/sim/sa-cosim [sa-cosim flags, e.g. --core ws]
# sa-golden is taken from build/golden beside the sa-cosim's build/sim. With --wait it returns
# the merge's exit status (0 pass, 1 the design failed, 2 error) once DIR/merged.{json,xml} are
# written. Relative paths mean what they mean in the folder it is run from.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=submit_merge.sh
source "$here/submit_merge.sh"
tasks="" images="" checkpoint="" source_flag="" source="" out="" wait=0 extra=""
usage() { echo "submit_testset.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tasks | --images | --checkpoint | --data | --samples | --out | --sbatch-args)
      [[ $# -ge 2 ]] || usage "$1 needs a value"
      case "$1" in
        --tasks) tasks="$2" ;;
        --images) images="$2" ;;
        --checkpoint) checkpoint="$2" ;;
        --data | --samples)
          [[ -z "$source_flag" ]] || usage "give one of --data and --samples"
          source_flag="$1" source="$2" ;;
        --out) out="$2" ;;
        --sbatch-args) extra="$2" ;;
      esac
      shift 2 ;;
    --wait) wait=1; shift ;;
    --) shift; break ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
[[ "$tasks" =~ ^[1-9][0-9]{0,5}$ ]] && ((tasks <= 100000)) ||
  usage "--tasks $tasks: not a whole number from 1 to 100000"
[[ "$images" =~ ^[0-9]+(\.\.[0-9]+)?(,[0-9]+(\.\.[0-9]+)?)*$ ]] ||
  usage "--images '$images': test-set indices and ranges, e.g. 0..9999 or 0,1000,2000"
[[ -f "$checkpoint" ]] || usage "--checkpoint '$checkpoint': no such file"
[[ -n "$source_flag" && -e "$source" ]] || usage "--data DIR or --samples FILE: give one that exists"
[[ -n "$out" ]] || usage "--out is required"
[[ ! -e "$out" || -d "$out" ]] || usage "--out $out: exists and is not a folder"
[[ $# -ge 1 && -x "$1" ]] || usage "after --, give the sa-cosim executable and its flags"
exe="$(realpath "$1")"
shift
report="$(dirname "$exe")/sa-report"
golden="$(realpath -m "$(dirname "$exe")/../golden/sa-golden")"
[[ -x "$report" ]] || usage "$report not found beside $exe"
[[ -x "$golden" ]] || usage "$golden not found (the build's golden/ beside sim/)"
mkdir -p "$out" 2>/dev/null || usage "--out $out: cannot create the folder"
out="$(realpath "$out")"
if compgen -G "$out/part-*.json" >/dev/null; then
  usage "$out already holds part reports; use an empty folder"
fi
# shellcheck disable=SC2086  # extra: sbatch options, split on spaces
array=$(sbatch --parsable $extra --chdir "$PWD" --output "$out/sa-testset-%A_%a.out" \
  --array="0-$((tasks - 1))" "$here/testset.sbatch" "$(realpath "$here/../testset_part.sh")" \
  "$images" "$out" "$golden" "$(realpath "$checkpoint")" "$source_flag" "$(realpath "$source")" \
  "$exe" "$@")
array="${array%%;*}"
echo "submitted tasks: job $array (array 0-$((tasks - 1)))"
submit_merge "$array" --parts
