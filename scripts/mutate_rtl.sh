#!/usr/bin/env bash
# Shows that the tests can fail: plants one fault at a time in a copy of rtl/, rebuilds the RTL
# tests and sa-cosim against it (in build-mutants/), and reports whether they catch it.
# Every mutant must be caught; the script exits non-zero if one survives. Slow (a rebuild each).
# Usage: scripts/mutate_rtl.sh [MUTANT...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/build-mutants"
mkdir -p "$work"

# name | file | sed expression
mutants=(
  "pe-uses-wrong-bank|sa_pe.sv|s/wgt_q\[act_bank_i\]/wgt_q[~act_bank_i]/"
  "mac-drops-sign|sa_mac.sv|s/assign act_signed = \\\$signed({1'b0, act_i});/assign act_signed = \\\$signed({act_i[ActWidth-1], act_i});/"
  "deskew-off-by-one|sa_core.sv|s/localparam int PipeDepth  = Rows + Cols;/localparam int PipeDepth  = Rows + Cols + 1;/"
  "no-bank-drain|sa_core.sv|s/localparam int DrainCycles = Rows + Cols;/localparam int DrainCycles = 1;/"
  "acc-ignores-first|sa_acc.sv|s/prev = ctrl_i.acc_first ? '0 :/prev = 1'b0 ? '0 :/"
  "no-credit-check|sa_core.sv|s/assign act_ready_o = bank_full_q\[act_bank_q\] \&\& credit_ok;/assign act_ready_o = bank_full_q[act_bank_q];/"
  # One per documented property of the DUT contract (docs/dut-contract.md):
  "busy-stuck-high|sa_core.sv|s/assign busy_o = in_flight_q != '0 || psum_valid_o;/assign busy_o = 1'b1;/"
  "busy-ignores-fifo|sa_core.sv|s/assign busy_o = in_flight_q != '0 || psum_valid_o;/assign busy_o = in_flight_q != '0;/"
  "overflow-not-sticky|sa_acc.sv|s/overflow_d = overflow_q | sum_overflow;/overflow_d = sum_overflow;/"
  "ready-combinational|sa_core.sv|s/assign wgt_ready_o = !bank_full_q\[wgt_bank_q\] \&\& drain_q\[wgt_bank_q\] == '0;/assign wgt_ready_o = !bank_full_q[wgt_bank_q] \&\& drain_q[wgt_bank_q] == '0 \&\& !act_relu_i;/"
)

survivors=0
for m in "${mutants[@]}"; do
  IFS='|' read -r name file expr <<<"$m"
  # With arguments, only the mutants they name.
  if (($#)) && [[ " $* " != *" $name "* ]]; then continue; fi
  dir="$work/$name"
  rm -rf "$dir/rtl"
  mkdir -p "$dir"
  cp -r rtl "$dir/rtl"
  sed -i "$expr" "$dir/rtl/$file"
  if cmp -s "rtl/$file" "$dir/rtl/$file"; then echo "$name: the sed expression changed nothing"; exit 2; fi
  cmake -S . -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSA_RTL_FILELIST="$dir/rtl/sa.f" \
    -DSA_BUILD_BENCH=OFF -DSA_CONFIGS=8x8:a4w4 >/dev/null
  cmake --build "$dir/build" --target rtl_test sa-cosim -j"$(nproc)" >/dev/null
  caught=()
  "$dir/build/tests/rtl_test" >/dev/null 2>&1 || caught+=("rtl_test")
  "$dir/build/sim/sa-cosim" --vectors vectors/default --quiet >/dev/null 2>&1 || caught+=("sa-cosim")
  "$dir/build/sim/sa-cosim" --vectors vectors/default --quiet --stall-prob 0.3 >/dev/null 2>&1 || caught+=("sa-cosim --stall-prob 0.3")
  if ((${#caught[@]})); then
    echo "$name: caught by ${caught[*]}"
  else
    echo "$name: SURVIVED"
    survivors=$((survivors + 1))
  fi
done
exit $((survivors > 0))
