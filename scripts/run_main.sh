#!/usr/bin/env bash
# The main job on the embedded defaults: install and build, dump the 18 layers' vectors from the
# committed checkpoint and sample image, verify them in software, then co-simulate every layer
# on the 8 x 8 array and check each psum bit-exactly. Exit status 0 iff every psum matched.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
out=build/main
mkdir -p "$out"
golden=build/golden/sa-golden

echo "== dumping vectors: golden/checkpoints/w4a4/model.pt, test image 0 (vectors/samples)"
"$golden" dump --checkpoint golden/checkpoints/w4a4/model.pt \
  --samples vectors/samples/test_images.npy --images 0 --out "$out/vectors"
echo "== verifying them in software (checksums, ranges, psums recomputed)"
"$golden" verify --vectors "$out/vectors"
if diff -rq "$out/vectors" vectors/default >/dev/null; then
  echo "the fresh dump is byte-identical to the committed vectors/default"
else
  # Float rounding of the model can differ between CPUs; the psums of the fresh dump are still
  # exact for its own integer inputs, and vectors/default is checked by the tests.
  echo "note: the fresh dump differs from the committed vectors/default (another CPU's float rounding)"
fi
echo "== co-simulating all layers on the 8 x 8 systolic array"
build/sim/sa-cosim --vectors "$out/vectors" --report "$out/cosim_report.json"
echo "report: $out/cosim_report.json"
