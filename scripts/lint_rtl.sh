#!/usr/bin/env bash
# verilator --lint-only -Wall over the whole of rtl/, for every module as top and for each array
# configuration the project builds; waivers live in rtl/lint.vlt, each with its reason. The
# 32 x 32 and 64 x 64 arrays (38 of its 42 s, measured in ctest -j2 here) only with --full or
# SA_TEST_FULL=1 (scripts/test.sh --full); they differ from 16 x 16 in parameters alone.
set -euo pipefail
big=0
[[ "${1:-}" == --full || "${SA_TEST_FULL:-0}" == 1 ]] && big=1
cd "$(dirname "$0")/../rtl"
status=0
lint() { if ! out=$(verilator --lint-only -Wall lint.vlt -f sa.f "$@" 2>&1); then echo "$out"; echo "lint FAILED: $*"; status=1; fi; }
for top in sa_mac sa_pe sa_skew sa_array sa_fifo sa_acc sa_os_pe sa_os_array; do lint --top-module "$top"; done
lint --top-module sa_mac -GWgt2Mode=1
lint --top-module sa_pe -GWgt2Mode=1
ws_sizes=("" "-GRows=4 -GCols=4" "-GRows=16 -GCols=16" "-GWgtWidth=2" "-GPsumWidth=12"
          "-GRows=1 -GCols=1" "-GRows=3 -GCols=5 -GAccDepth=7" "-GRows=4 -GCols=8" "-GRows=8 -GCols=16")
os_sizes=("" "-GRows=4 -GCols=4" "-GRows=16 -GCols=16" "-GRows=1 -GCols=1" "-GRows=3 -GCols=5"
          "-GWgtWidth=8 -GActWidth=8")
((big)) && ws_sizes+=("-GRows=32 -GCols=32" "-GRows=64 -GCols=64") os_sizes+=("-GRows=32 -GCols=32")
for params in "${ws_sizes[@]}"; do
  # shellcheck disable=SC2086
  lint --top-module sa_core $params
done
# The 2-bit mode, and the output-stationary core.
for params in "-GWgt2Mode=1" "-GWgt2Mode=1 -GRows=4 -GCols=8" "-GWgt2Mode=1 -GRows=1 -GCols=1"; do
  # shellcheck disable=SC2086
  lint --top-module sa_core $params
done
for params in "${os_sizes[@]}"; do
  # shellcheck disable=SC2086
  lint --top-module sa_os_core $params
done
# The second core behind its adapter (rtl/adapters/course_ws.f), square and not.
for params in "" "-GRows=4 -GCols=8"; do
  # shellcheck disable=SC2086
  lint -F adapters/course_ws.f --top-module sa_course_ws_adapter $params
done
[[ $status -eq 0 ]] && echo "rtl lint: clean"
exit $status
