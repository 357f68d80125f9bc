#!/usr/bin/env bash
# Area proxy of the processing elements: Yosys (Debian's 0.23) synthesizes each PE to a generic
# gate library and counts cells, flip-flops and NAND2 equivalents (weights: NAND/NOR/AND/OR/
# ANDNOT/ORNOT 1, XOR/XNOR/MUX 2, flip-flop 5; a rough proxy, not a library's area). Compares
# the weight-stationary PE without and with the 2-bit mode, and the output-stationary PE.
#   scripts/area_proxy.sh [ROWS]   (the array height sets the WS PE's internal sum width)
set -euo pipefail
cd "$(dirname "$0")/../rtl"
command -v yosys >/dev/null || { echo "area_proxy.sh: needs yosys (apt-get install yosys)" >&2; exit 2; }
rows="${1:-8}"
[[ "$rows" =~ ^[0-9]+$ ]] && ((rows >= 1 && rows <= 64)) || { echo "area_proxy.sh: ROWS '$rows' is not 1..64" >&2; exit 2; }
log2=0; n=1; while ((n < rows)); do n=$((n * 2)); log2=$((log2 + 1)); done
ws_psum=$((4 + 4 + log2 + 1))  # ArrayPsumWidth(4, 4, Rows): the column sum inside the WS array
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Yosys 0.23 reads no package import in a module header: the OS PE is read with scoped names.
sed '/^  import sa_pkg::\*;$/d; s/\bos_tag_t\b/sa_pkg::os_tag_t/g' sa_os_pe.sv >"$tmp/sa_os_pe.sv"
runs=0
synth() {  # synth NAME FILES TOP PARAMS
  runs=$((runs + 1))
  yosys -q -p "read_verilog -sv $2; chparam $4 $3; synth -top $3 -flatten; \
    abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX; opt_clean; tee -q -o $tmp/$runs.stat stat" >/dev/null
  awk -v name="$1" '
    /\$_(AND|NAND|OR|NOR|ANDNOT|ORNOT)_/ { gates += $2; nand += $2 }
    /\$_(XOR|XNOR|MUX)_/ { gates += $2; nand += 2 * $2 }
    /\$_(S?DFF|DFFE|SDFF)[A-Z0-9_]*/ { ffs += $2; nand += 5 * $2 }
    END { printf "%-34s %7d %7d %9d\n", name, gates, ffs, nand }' "$tmp/$runs.stat"
}
printf "%-34s %7s %7s %9s\n" "block (4-bit act., 4-bit weights)" "gates" "flops" "NAND2-eq"
synth "ws sa_pe, 4-bit only" "sa_mac.sv sa_pe.sv" sa_pe "-set Wgt2Mode 0 -set PsumWidth $ws_psum" >"$tmp/a"
cat "$tmp/a"
synth "ws sa_pe, with the 2-bit mode" "sa_mac.sv sa_pe.sv" sa_pe "-set Wgt2Mode 1 -set PsumWidth $ws_psum" >"$tmp/b"
cat "$tmp/b"
synth "os sa_os_pe (24-bit sum + drain)" "sa_pkg.sv $tmp/sa_os_pe.sv" sa_os_pe "-set PsumWidth 24"
synth "ws sa_mac, 4-bit only" "sa_mac.sv" sa_mac "-set Wgt2Mode 0 -set PsumWidth $ws_psum"
synth "ws sa_mac, with the 2-bit mode" "sa_mac.sv" sa_mac "-set Wgt2Mode 1 -set PsumWidth $ws_psum"
awk 'NR == FNR { a = $(NF) } NR != FNR { b = $(NF) } END { printf "2-bit mode: %.2fx the NAND2 equivalents of the 4-bit-only PE (Rows = '"$rows"', %d-bit column sums)\n", b / a, '"$ws_psum"' }' "$tmp/a" "$tmp/b"
