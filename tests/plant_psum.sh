#!/bin/sh
# Copies the vector set SRC to DST with the last psum of each LAYER off by one and its checksum
# fixed, as a wrong golden model would write it: a set on which every correct core must fail.
#   tests/plant_psum.sh SRC DST LAYER...
set -eu
src=$1 dst=$2
shift 2
rm -rf "$dst"
cp -r "$src" "$dst"
for layer in "$@"; do
f="$dst/$layer/psum.npy"
old=$(sha256sum "$f" | cut -d' ' -f1)
size=$(stat -c %s "$f")
at=$((size - 4))  # the low byte of the last little-endian int32
byte=$(od -An -tu1 -j "$at" -N1 "$f" | tr -d ' ')
# shellcheck disable=SC2059  # the octal escape is the data
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$f" bs=1 seek="$at" conv=notrunc status=none
new=$(sha256sum "$f" | cut -d' ' -f1)
sed -i "s/$old/$new/" "$dst/$layer/layer.json"
done
