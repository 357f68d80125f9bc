#!/usr/bin/env bash
# Runs every `build/sim/sa-cosim` command that a document shows in its ```sh blocks, so the
# document cannot drift from the code. Placeholders become real things: my/core.f and my_top
# the core FILELIST/TOP, `vec` the committed default set, `--images LIST` image 0 (the only one
# of that set); relative paths of the repository become absolute and the commands run in a
# scratch folder, so their outputs (report.json, waveforms) land there. Each command runs on
# LAYERS only (unless it names its own) and --quiet. Fails on the first command that exits
# non-zero, and if the document shows none.
#   tests/doc_commands.sh DOC SA_COSIM FILELIST TOP LAYERS
set -euo pipefail
doc=$1 cosim=$2 filelist=$3 top=$4 layers=$5
root=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t lines < <(awk '/^ *```sh/ { on = 1; next } /^ *```/ { on = 0 } on' "$root/$doc" |
  sed -e 's/^ *//' -e 's/ *#.*$//' | grep '^build/sim/sa-cosim ' | grep -v -- '--cache-clean' || true)
((${#lines[@]})) || { echo "doc_commands.sh: $doc shows no sa-cosim command"; exit 1; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/doc_commands.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
for line in "${lines[@]}"; do
  cmd=$(sed -e "s#^build/sim/sa-cosim#$cosim#" -e "s#my/core\.f#$root/$filelist#g" \
    -e "s#my_top#$top#g" -e "s# vec\( \|\$\)# $root/vectors/default\1#g" \
    -e "s# vectors/# $root/vectors/#g" -e "s#--images [^ ]*#--images 0#" <<<"$line")
  case "$cmd" in
    *--cache-list*) ;;
    *--layers*) cmd+=" --quiet" ;;
    *) cmd+=" --layers $layers --quiet" ;;
  esac
  echo "+ $cmd"
  rc=0
  bash -c "$cmd" || rc=$?
  ((rc == 0)) || { echo "doc_commands.sh: exit $rc from a command of $doc: $line"; exit 1; }
done
echo "doc_commands.sh: ${#lines[@]} commands of $doc passed"
