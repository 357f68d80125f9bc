#!/usr/bin/env bash
# One part of a test-set regression in which every part makes its own vectors (a Slurm task:
# slurm/testset.sbatch; a CI matrix job: .gitlab-ci.yml, .github/workflows/sacosim.yml). It
# takes part PART of PARTS, a contiguous slice of IMAGES, dumps it from the checkpoint and the
# data set into a compact set without psums in a temporary folder, co-simulates it, and writes
# OUT/part-PART.json, .xml and .times (its images, dump and simulation seconds). No set is
# shipped, and none is kept unless the design failed: then OUT/set-PART, the set its rerun
# commands name. `sa-report merge --parts OUT/part-*.json` makes one run of all the parts.
#   scripts/testset_part.sh PART PARTS IMAGES OUT SA_GOLDEN CHECKPOINT SOURCE_FLAG SOURCE \
#       SA_COSIM [sa-cosim flags]
# IMAGES: test-set indices and ranges, "0..9999" or "0,1000,2000"; SOURCE_FLAG: --data (a
# CIFAR-10 root) or --samples (a sample bundle); SA_JOBS: sa-cosim --jobs (default 1). Exit
# status: sa-cosim's (0 pass, 1 the design failed, 2 the run could not be done), 2 when the dump
# failed, 0 for a part past the last image.
set -euo pipefail
usage() { echo "testset_part.sh: $*" >&2; exit 2; }
[[ $# -ge 9 ]] || usage "usage: testset_part.sh PART PARTS IMAGES OUT SA_GOLDEN CHECKPOINT \
SOURCE_FLAG SOURCE SA_COSIM [flags]"
part="$1" parts="$2" images="$3" out="$4" golden="$5" checkpoint="$6" source_flag="$7"
source="$8" cosim="$9"
shift 9
[[ "$parts" =~ ^[1-9][0-9]{0,5}$ && "$part" =~ ^[0-9]{1,6}$ ]] && ((part < parts)) ||
  usage "PART $part of PARTS $parts: need 0 <= PART < PARTS"
[[ "$source_flag" == --data || "$source_flag" == --samples ]] ||
  usage "SOURCE_FLAG $source_flag: --data or --samples"
# The list, ranges expanded, and this part's contiguous slice of it.
list=()
IFS=, read -ra items <<<"$images"
for item in "${items[@]}"; do
  if [[ "$item" =~ ^([0-9]{1,7})\.\.([0-9]{1,7})$ ]]; then
    ((BASH_REMATCH[1] <= BASH_REMATCH[2])) || usage "IMAGES: empty range $item"
    mapfile -t -O "${#list[@]}" list < <(seq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
  elif [[ "$item" =~ ^[0-9]{1,7}$ ]]; then
    list+=("$item")
  else
    usage "IMAGES: '$item' is not an index or a range A..B"
  fi
done
per=$(((${#list[@]} + parts - 1) / parts)) first=$((part * per))
if ((first >= ${#list[@]})); then
  echo "part $part: no images left (more parts than images)"
  exit 0
fi
mine=("${list[@]:first:per}")
mkdir -p "$out" 2>/dev/null || usage "$out: cannot create the folder"
set_dir="$(mktemp -d "${TMPDIR:-/tmp}/sa-testset-XXXXXX")"
trap 'rm -rf "$set_dir"' EXIT
t0=$(date +%s.%N)
"$golden" dump --checkpoint "$checkpoint" "$source_flag" "$source" \
  --images "$(IFS=,; echo "${mine[*]}")" --compact --omit-psums --out "$set_dir/set" >/dev/null ||
  exit 2
t1=$(date +%s.%N)
# The set is read through OUT/set-PART, a link to the temporary copy, so that the reports' rerun
# commands name where a failing part's set is kept.
link="$out/set-$part"
rm -rf "$link"
ln -s "$set_dir/set" "$link"
rc=0
"$cosim" "$@" --vectors "$link" --quiet --jobs "${SA_JOBS:-1}" \
  --report "$out/part-$part.json" --junit "$out/part-$part.xml" || rc=$?
rm -f "$link"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="${#mine[@]}" \
  'BEGIN { printf "images %d dump_s %.2f sim_s %.2f\n", n, b - a, c - b }' >"$out/part-$part.times"
if ((rc == 1)); then
  mv "$set_dir/set" "$link"
  echo "part $part: the design failed; its set is kept in $link"
fi
exit "$rc"
