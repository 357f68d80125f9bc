#!/usr/bin/env bash
# Shows that the tests can fail: plants one fault at a time in a copy of rtl/, runs the checks on
# it (sa-cosim --rtl builds the mutated core on demand, into build-mutants/core-cache; the RTL
# unit tests are rebuilt in build-mutants/build), and reports whether the checks catch it.
# Needs build/sim/sa-cosim (scripts/setup.sh).
# Every mutant must be caught; the script exits non-zero if one survives. Slow: about a minute
# per mutant on two cores.
# Usage: [W2_SET=DIR] scripts/mutate_rtl.sh [MUTANT...]   (default: all mutants; W2_SET: the
# w2a4 set the 2-bit mode's checks run, vectors/default-w2a4 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/build-mutants"
w2_set="${W2_SET:-vectors/default-w2a4}"  # the 2-bit mode's checks run on this w2a4 set
mkdir -p "$work"

# name | file | sed expression. The first group is sa_core (weight-stationary); "w2-" mutants
# break its 2-bit mode; "os-" mutants break the output-stationary core.
mutants=(
  "pe-uses-wrong-bank|sa_pe.sv|s/wgt_q\[act_bank_i\*WgtWidth+:WgtWidth\]/wgt_q[(!act_bank_i)*WgtWidth+:WgtWidth]/"
  "mac-drops-sign|sa_mac.sv|s/assign act0_signed = \\\$signed({1'b0, act_i\[ActWidth-1:0\]});/assign act0_signed = \\\$signed({act_i[ActWidth-1], act_i[ActWidth-1:0]});/"
  "deskew-off-by-one|sa_core.sv|s/localparam int PipeDepth  = Rows + Cols;/localparam int PipeDepth  = Rows + Cols + 1;/"
  "no-bank-drain|sa_core.sv|s/localparam int DrainCycles = Rows + Cols;/localparam int DrainCycles = 1;/"
  "acc-ignores-first|sa_acc.sv|s/prev = ctrl_i.acc_first ? '0 :/prev = 1'b0 ? '0 :/"
  "no-credit-check|sa_core.sv|s/assign act_ready_o = bank_full_q\[act_bank_q\] \&\& credit_ok;/assign act_ready_o = bank_full_q[act_bank_q];/"
  # One per documented property of the DUT contract (docs/dut-contract.md):
  "busy-stuck-high|sa_core.sv|s/assign busy_o = in_flight_q != '0 || psum_valid_o;/assign busy_o = 1'b1;/"
  "busy-ignores-fifo|sa_core.sv|s/assign busy_o = in_flight_q != '0 || psum_valid_o;/assign busy_o = in_flight_q != '0;/"
  "overflow-not-sticky|sa_acc.sv|s/overflow_d = overflow_q | sum_overflow;/overflow_d = sum_overflow;/"
  # Credit that counts the psum leaving in the same cycle: correct data, but act_ready_o then
  # depends on psum_ready_i at the credit limit (caught only by the handshake probe there).
  "ready-reads-psum-ready|sa_core.sv|s/assign credit_ok   = CountWidth'(fifo_count) + in_flight_q < CountWidth'(FifoDepth);/assign credit_ok   = CountWidth'(fifo_count) + in_flight_q < CountWidth'(FifoDepth) + CountWidth'(psum_valid_o \&\& psum_ready_i);/"
  "ready-combinational|sa_core.sv|s/assign wgt_ready_o = !bank_full_q\[wgt_bank_q\] \&\& drain_q\[wgt_bank_q\] == '0;/assign wgt_ready_o = !bank_full_q[wgt_bank_q] \&\& drain_q[wgt_bank_q] == '0 \&\& !act_relu_i;/"
  # The 2-bit mode of sa_core (caught on the w2a4 set):
  "w2-high-product-unsigned|sa_mac.sv|s/assign product1    = act1_signed \* wgt1;/assign product1    = act1_signed * \\\$signed({1'b0, wgt1});/"
  "w2-low-weight-zero-extended|sa_mac.sv|s/WgtWidth'(wgt_lo)/WgtWidth'(\\\$unsigned(wgt_lo))/"
  "w2-second-product-dropped|sa_mac.sv|s/ + PsumWidth'(product1);/;/"
  "w2-halves-swapped|sa_mac.sv|s/assign wgt_lo      = wgt_i\[1:0\];/assign wgt_lo      = wgt_i[3:2];/"
  "w2-mode-tag-lost|sa_core.sv|s/{Rows{Wgt2Mode != 0 \&\& act_wgt2_i, act_bank_q}}/{Rows{1'b0, act_bank_q}}/"
  # 4-bit passes must ignore the odd lanes (caught only since the driver fills them at random):
  # Shows only where the mode changes between consecutive beats (passes interleaved):
  "w2-mode-tag-early|sa_pe.sv|s/assign act_wgt2_o = act_wgt2_q;/assign act_wgt2_o = act_wgt2_i;/"
  # Shows only with a 2-bit weight of -2: a 5-bit product holds 15 x -1 and 15 x 1, not 15 x -2:
  "w2-product1-too-narrow-for-minus-two|sa_mac.sv|s/logic signed \[ActWidth+2:0\] product1;/logic signed [ActWidth:0] product1;/"
  "w2-odd-lanes-read-in-4bit|sa_mac.sv|s/assign wgt1        = wgt2_i ? wgt_hi : 2'sb00;/assign wgt1        = wgt_hi;/"
  # The output-stationary core:
  "os-sum-ignores-first|sa_os_pe.sv|s/(tag_i.first ? '0 :/(1'b0 ? '0 :/"
  "os-act-sign-extended|sa_os_pe.sv|s/assign act_signed = \\\$signed({1'b0, act_i});/assign act_signed = \\\$signed({act_i[ActWidth-1], act_i});/"
  "os-drain-stops-early|sa_os_array.sv|s/32'(step_q\[c\]) <= r;/32'(step_q[c]) < r;/"
  "os-weight-skew-reversed|sa_os_core.sv|s/.Width(WgtWidth), .Reverse(1'b0)) u_skew_wgt/.Width(WgtWidth), .Reverse(1'b1)) u_skew_wgt/"
  "os-relu-dropped|sa_os_array.sv|s/relu_q\[c\] \&\& drain_v/1'b0 \&\& drain_v/"
  "os-no-credit-check|sa_os_core.sv|s/CountWidth'(fifo_count) + in_flight_q + CountWidth'(Rows) <=/CountWidth'(0) <=/"
  "os-busy-stuck-high|sa_os_core.sv|s/assign busy_o = act_count != '0/assign busy_o = 1'b1 || act_count != '0/"
  # A tile over several passes must keep its sums (caught only by --split-tiles):
  # The overflow flag must hold (caught by rtl_test's narrow core):
  "os-overflow-not-sticky|sa_os_core.sv|s/else         overflow_q <= overflow_q | array_overflow;/else         overflow_q <= array_overflow;/"
  # (Not the tile-level twin of ready-reads-psum-ready: sa_os_core's input FIFOs register
  # act_ready_o, so a credit that counts the leaving psum is correct there, an equivalent mutant.)
  "os-every-pass-restarts|sa_os_core.sv|s/step_tag.first = step \&\& pass_start_q \&\& head_acc_first;/step_tag.first = step \&\& pass_start_q;/"
)

# A copy of rtl/ that each mutant rewrites; the RTL unit tests' build tree over it; the cores
# through sa-cosim --rtl (each mutant's bytes are a new core in the cache).
rm -rf "$work/rtl"
cp -r rtl "$work/rtl"
cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSA_RTL_FILELIST="$work/rtl/sa.f" \
  -DSA_BUILD_BENCH=OFF >/dev/null
cosim="$root/build/sim/sa-cosim --cache $work/core-cache --rtl $work/rtl/sa.f"
cosim_ws="$cosim --top sa_core -G Wgt2Mode=1"
cosim_os="$cosim --top sa_os_core --dataflow os"

# The targets and checks for a mutant of FILE (sets `target` and `checks`); each check is a
# command that passes on the pristine RTL and must fail on the mutant.
plan() {
  checks=()
  case "$1" in
    sa_os_*)
      target=(rtl_test)
      core="$cosim_os"
      checks+=("$work/build/tests/rtl_test --gtest_filter=SaOs*")
      # 0.95: the psum stream drains slower than 8 vectors per 144-step tile, so the FIFO fills.
      for opts in "" "--stall-prob 0.3" "--relu" "--psum-stall-prob 0.95" \
                  "--split-tiles --relu-random" "--psum-stall-prob 0.95 --probe-handshakes"; do
        checks+=("$cosim_os --vectors vectors/default --quiet $opts")
      done ;;
    w2-*)
      target=(rtl_test)
      core="$cosim_ws"
      checks+=("$work/build/tests/rtl_test --gtest_filter=SaCoreWgt2Mode*")
      for opts in "" "--stall-prob 0.3"; do
        checks+=("$cosim_ws --vectors $w2_set --quiet --wgt2-mode on $opts")
      done
      # 4-bit passes on the same core: the odd lanes carry random values.
      checks+=("$cosim_ws --vectors vectors/default --quiet") ;;
    *)
      target=(rtl_test)
      core="$cosim_ws"
      checks+=("$work/build/tests/rtl_test")
      for opts in "" "--stall-prob 0.3" "--psum-stall-prob 0.95 --probe-handshakes"; do
        checks+=("$cosim_ws --vectors vectors/default --quiet $opts")
      done ;;
  esac
}

# First the pristine RTL: every check must pass, or a "caught" below would mean nothing.
[[ -f "$w2_set/manifest.json" ]] || { echo "mutate_rtl.sh: $w2_set is missing"; exit 2; }
for group in sa_core w2-x sa_os_core; do
  plan "$group"
  { ((${#target[@]} == 0)) || cmake --build "$work/build" --target "${target[@]}"; } \
    >"$work/build.log" 2>&1 && $core --build-only >>"$work/build.log" 2>&1 ||
    { echo "pristine RTL does not build (see $work/build.log)"; exit 2; }
  for c in "${checks[@]}"; do
    # shellcheck disable=SC2086
    $c >/dev/null 2>&1 || { echo "pristine RTL fails a check: ${c#"$root/"}"; exit 2; }
  done
done
echo "pristine RTL: every check passes"

survivors=0
for m in "${mutants[@]}"; do
  IFS='|' read -r name file expr <<<"$m"
  # With arguments, only the mutants they name.
  if (($#)) && [[ " $* " != *" $name "* ]]; then continue; fi
  for f in rtl/*.sv; do cmp -s "$f" "$work/$f" || cp "$f" "$work/$f"; done  # undo the last one
  sed -i "$expr" "$work/rtl/$file"
  if cmp -s "rtl/$file" "$work/rtl/$file"; then echo "$name: the sed expression changed nothing"; exit 2; fi
  if [[ "$name" == w2-* ]]; then plan "$name"; else plan "$file"; fi
  if ! { { ((${#target[@]} == 0)) || cmake --build "$work/build" --target "${target[@]}"; } \
         >"$work/build.log" 2>&1 && $core --build-only >>"$work/build.log" 2>&1; }; then
    echo "$name: does not build (see $work/build.log)"; exit 2
  fi
  caught=()
  for c in "${checks[@]}"; do
    # shellcheck disable=SC2086
    $c >/dev/null 2>&1 || caught+=("${c#"$root/"}")
  done
  if ((${#caught[@]})); then
    echo "$name: caught by ${#caught[@]} of ${#checks[@]}: ${caught[0]}"
  else
    echo "$name: SURVIVED"
    survivors=$((survivors + 1))
  fi
done
for f in rtl/*.sv; do cmp -s "$f" "$work/$f" || cp "$f" "$work/$f"; done
exit $((survivors > 0))
