#!/bin/sh
# --trace-failures on a real core: a set with planted psums in two layers, run by two workers,
# must exit 1 and leave one waveform per failing unit (LAYER-IMAGE.vcd, a VCD holding the
# mismatch's cycles), each named in the JUnit report, and none for the layer that passes.
#   tests/trace_failures.sh SA_COSIM PLANTED_SET OUT
set -u
cosim=$1 set=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
"$cosim" --vectors "$set" --layers layer1.0.conv1,layer2.0.conv1,layer3.2.conv2 --jobs 2 \
  --quiet --trace-failures "$out/waves" --junit "$out/r.xml" >"$out/log" 2>&1
rc=$?
fail() { echo "trace_failures: $*"; cat "$out/log"; ls -l "$out/waves"; exit 1; }
[ $rc -eq 1 ] || fail "exit $rc, not 1"
image=$(tr -d ' \n' <"$set/manifest.json" | sed -n 's/.*"images":\[\([0-9]*\).*/\1/p')
for layer in layer1.0.conv1 layer3.2.conv2; do
  f="$out/waves/$layer-$image.vcd"
  [ -s "$f" ] || fail "no waveform $f"
  grep -q '^\$enddefinitions' "$f" || fail "$f is not a VCD"
  grep -q "waveform: $f" "$out/r.xml" || fail "the JUnit report does not name $f"
done
[ "$(ls "$out/waves" | wc -l)" -eq 2 ] || fail "not exactly two waveforms"
echo "trace_failures: two failing units, two waveforms"
