# Sourced by submit.sh and submit_testset.sh: the merge job after their job array, and --wait.
#   submit_merge ARRAY_JOB [merge.sbatch flags]   (uses here, out, report, extra, wait)
# Prints the merge's job id; with wait set, blocks until it ends, prints its output and exits
# with its status.
submit_merge() {
  local array="$1" merge rc
  shift
  local wait_flag=()
  ((wait)) && wait_flag=(--wait)
  # shellcheck disable=SC2086  # extra: sbatch options, split on spaces
  merge=$(sbatch --parsable $extra --chdir "$PWD" --output "$out/sa-report-%j.out" \
    --dependency="afterany:$array" "${wait_flag[@]}" \
    "$here/merge.sbatch" "$out" "$report" "$@") && rc=0 || rc=$?
  echo "submitted merge: job ${merge%%;*} (after job $array); result in $out/merged.json"
  if ((wait)); then
    cat "$out"/sa-report-*.out 2>/dev/null || true
    exit "$rc"
  fi
}
