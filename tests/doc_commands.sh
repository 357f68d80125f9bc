#!/usr/bin/env bash
# Runs the `build/sim/sa-cosim --rtl` commands that a document shows in its ```sh blocks, with
# its placeholders (my/core.f, my_top) replaced by a real core, so the document cannot drift from
# the code. Fails on the first command that exits non-zero, and if the document shows none.
#   tests/doc_commands.sh DOC SA_COSIM FILELIST TOP [ARGS appended to every command]
set -euo pipefail
doc=$1 cosim=$2 filelist=$3 top=$4
shift 4
cd "$(dirname "$0")/.."
mapfile -t lines < <(awk '/^ *```sh/ { on = 1; next } /^ *```/ { on = 0 } on' "$doc" |
  sed 's/^ *//' | grep '^build/sim/sa-cosim --rtl' || true)
((${#lines[@]})) || { echo "doc_commands.sh: $doc shows no sa-cosim --rtl command"; exit 1; }
for line in "${lines[@]}"; do
  cmd=$(sed -e "s|^build/sim/sa-cosim|$cosim|" -e "s|my/core\.f|$filelist|g" -e "s|my_top|$top|g" <<<"$line")
  echo "+ $cmd $*"
  rc=0
  bash -c "$cmd $*" || rc=$?
  ((rc == 0)) || { echo "doc_commands.sh: exit $rc from a command of $doc"; exit 1; }
done
echo "doc_commands.sh: ${#lines[@]} commands of $doc passed"
