#!/usr/bin/env bash
# CPU training speed: `sa-golden train` with each --kernels choice beside the notebook's eager
# step, measured in one run per choice by the measuring instrument train_speed.py (kept outside
# the project, in ../shared/bench; it needs Debian's python3-torch).
#
# usage: scripts/bench_train_speed.sh [OUT_DIR] [KERNELS...]    (default: bench-train, bf16 fp32 reference)
# env:   SA_BENCH (folder of train_speed.py), SA_DATA (CIFAR-10 JPEG root), SA_GOLDEN (binary),
#        ROUNDS (interleaved rounds, default 3), STEPS (timed steps, default 30)
# Writes OUT_DIR/KERNELS.json (train_speed.py's record) and OUT_DIR/table.md; prints the table.
# Run it on a quiet machine: the instrument reports load averages beside every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench-train}
shift || true
kernels=("$@")
[[ ${#kernels[@]} -gt 0 ]] || kernels=(bf16 fp32 reference)
bench=${SA_BENCH:-../shared/bench}/train_speed.py
data=${SA_DATA:-.data/cifar10-jpeg}
golden=$(realpath "${SA_GOLDEN:-build/golden/sa-golden}")
py=/usr/bin/python3  # Debian's interpreter, which has python3-torch
[[ -f $bench ]] || { echo "bench_train_speed.sh: $bench: no such file (set SA_BENCH)" >&2; exit 2; }
[[ -d $data ]] || { echo "bench_train_speed.sh: $data: no CIFAR-10 tree (set SA_DATA)" >&2; exit 2; }
[[ -x $golden ]] || { echo "bench_train_speed.sh: $golden: not built (scripts/setup.sh)" >&2; exit 2; }
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for k in "${kernels[@]}"; do
  # train_speed.py runs `BIN --threads T train ...`; a wrapper appends the kernel choice.
  wrapper=$scratch/sa-golden-$k
  printf '#!/bin/sh\nexec %q "$@" --kernels %q\n' "$golden" "$k" >"$wrapper"
  chmod +x "$wrapper"
  echo "== --kernels $k"
  "$py" "$bench" --repo . --data "$data" --sa-golden "$wrapper" --workdir "$scratch" \
    --rounds "${ROUNDS:-3}" --steps "${STEPS:-30}" --json "$out/$k.json" | tail -2
done
"$py" - "$out" "${kernels[@]}" <<'EOF' | tee "$out/table.md"
import json, sys
out, kernels = sys.argv[1], sys.argv[2:]
print('| `--kernels` | notebook img/s | project img/s | ratio (wall) | notebook img/CPU-s '
      '| project img/CPU-s | ratio (CPU) | load average before/after |')
print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
for k in kernels:
    r = json.load(open(f'{out}/{k}.json'))
    w, c = r['images_per_s'], r['images_per_cpu_s']
    loads = [m['loadavg_before'][0] + '/' + m['loadavg_after'][0] for m in r['runs']]
    print(f"| {k} | {w['python_median']:.0f} | {w['project_median']:.0f} | "
          f"**{w['ratio_of_medians']:.2f}** | {c['python_median']:.0f} | "
          f"{c['project_median']:.0f} | **{c['ratio_of_medians']:.2f}** | {' '.join(loads)} |")
EOF
