#!/usr/bin/env bash
# RTL code coverage of the default regression: builds the 8 x 8 co-simulation with Verilator
# --coverage (line, toggle and SVA cover points) in build-coverage/, runs the default set with no
# stalls, with random stalls and with the psum FIFO held full, merges those runs and any .dat
# files given (shards of your own runs) with verilator_coverage, and renders an HTML report with
# genhtml. Prints line and toggle coverage and lists what was never hit.
#   scripts/coverage.sh [EXTRA.dat ...]
# Output: build-coverage/coverage/{merged.dat,merged.info,html/index.html,never_hit.txt}
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-coverage
out="$build/coverage"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" -DSA_COVERAGE=ON \
  -DSA_CONFIGS=8x8:a4w4 -DSA_EXTRA_CONFIGS= -DSA_BUILD_BENCH=OFF -DSA_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target sa-cosim
rm -rf "$out"  # this script's own output folder
mkdir -p "$out"
cosim="$build/sim/sa-cosim"
set=vectors/default
"$cosim" --vectors "$set" --quiet --coverage "$out/plain.dat"
"$cosim" --vectors "$set" --quiet --stall-prob 0.3 --seed 11 --coverage "$out/stalls.dat"
"$cosim" --vectors "$set" --quiet --psum-stall-prob 0.9 --seed 12 --coverage "$out/fifo_full.dat"
verilator_coverage --write "$out/merged.dat" "$out"/plain.dat "$out"/stalls.dat \
  "$out"/fifo_full.dat "$@"
verilator_coverage --write-info "$out/merged.info" "$out/merged.dat"
genhtml --quiet --output-directory "$out/html" "$out/merged.info" >/dev/null

# Per kind of point (v_line, v_branch, v_toggle, v_user: the .dat "page" field): hit of total,
# and each point never hit as file:line and its name.
python3 - "$out/merged.dat" "$out/never_hit.txt" <<'PY'
import collections, re, sys
dat, never_path = sys.argv[1:3]
hit, total, never = collections.Counter(), collections.Counter(), []
for line in open(dat, encoding='latin-1'):
    if not line.startswith('C '):
        continue
    key, count = line[2:].rsplit(' ', 1)
    fields = dict(f.split('\x02', 1) for f in key.strip("'").split('\x01') if '\x02' in f)
    kind = fields.get('page', '?').split('/')[0]
    total[kind] += 1
    if int(count) > 0:
        hit[kind] += 1
    else:
        never.append(f"{kind:9} {fields.get('f', '?')}:{fields.get('l', '?')}  "
                     f"{fields.get('h', '')} {fields.get('o', '')}".rstrip())
for kind in sorted(total):
    print(f'{kind:9} {hit[kind]:6} of {total[kind]:6} points hit ({100 * hit[kind] / total[kind]:.1f} %)')
with open(never_path, 'w') as f:
    f.write('\n'.join(sorted(never)) + '\n')
print(f'{len(never)} points never hit: {never_path}')
PY
echo "HTML: $out/html/index.html"
