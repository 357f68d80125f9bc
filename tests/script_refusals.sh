#!/usr/bin/env bash
# The scripts' usage errors: each must exit 2 with one line naming the flag, before touching
# anything, and leave the user's files as they were.
#   tests/script_refusals.sh
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/script_refusals.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
failed=0
# expect RC PATTERN COMMAND...: the command exits RC and its stderr matches PATTERN.
expect() {
  local want=$1 pattern=$2
  shift 2
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  if [[ $rc -ne $want || ! "$err" =~ $pattern ]]; then
    echo "FAIL: $* -> exit $rc (wanted $want), stderr: $err"
    failed=1
  else
    echo "ok: $* -> exit $rc: $err"
  fi
}
expect 2 "--checkpoint needs a value" "$root/scripts/regress.sh" --checkpoint
expect 2 "--out needs a value" "$root/scripts/regress.sh" --checkpoint m.pt --out
expect 2 "job array" env -u SLURM_ARRAY_TASK_ID "$root/scripts/slurm/regress.sbatch" out /bin/true
expect 2 "usage" "$root/scripts/slurm/regress.sbatch"
echo "mine" >afile
expect 2 "--out afile: exists and is not a folder" \
  "$root/scripts/slurm/submit.sh" --shards 2 --out afile -- /bin/true
[[ "$(cat afile)" == mine ]] || { echo "FAIL: submit.sh changed afile"; failed=1; }
expect 2 "--shards 99999999999999999999" \
  "$root/scripts/slurm/submit.sh" --shards 99999999999999999999 --out o -- /bin/true
expect 2 "--shards needs a value" "$root/scripts/slurm/submit.sh" --shards
# A set of the user's at OUT/vectors is never replaced, and relative paths are the caller's:
# nothing appears in the repository.
mkdir -p mine/vectors && echo "precious" >mine/vectors/manifest.json
before=$(ls -A "$root")
expect 2 "mine/vectors exists and was not written by regress.sh" \
  "$root/scripts/regress.sh" --checkpoint m.pt --out mine
[[ "$(cat mine/vectors/manifest.json)" == precious ]] || { echo "FAIL: the user's set changed"; failed=1; }
[[ "$(ls -A "$root")" == "$before" ]] || { echo "FAIL: regress.sh wrote into the repository"; failed=1; }
exit $failed
