#!/usr/bin/env bash
# Installs the Debian packages sacosim needs (idempotent, quiet when all are present), then
# configures and builds into build/. Usage: scripts/setup.sh [--no-build] [BUILD_DIR]
# SA_BUILD_TARGETS: build only these targets (the main job: sa-golden sa-cosim); SA_CMAKE_ARGS:
# more -D options for the configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
build_dir="${1:-build}"

packages=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  libtorch-dev libopenblas0     # golden model (LibTorch 1.13, CPU) and the BLAS it recommends
  libdnnl-dev                   # oneDNN headers: exact int8 convs of the training kernels
  libjpeg62-turbo-dev          # CIFAR-10 JPEG edition
  libssl-dev zlib1g-dev        # sha256 of vector files
  libzip-dev                   # compact vector sets (.npz)
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  verilator libsystemc-dev     # RTL and co-simulation
  iverilog                     # reference simulator for the speed comparison
  lcov gtkwave                 # coverage HTML (genhtml); vcd2fst for --trace FILE.fst
  clang-14 libclang-rt-14-dev  # libFuzzer targets with ASan + UBSan (scripts/fuzz.sh)
  gnuplot-nox fonts-liberation # training curves, psum histograms (and the fonts they label with)
  slurmctld slurmd slurm-client munge  # the sharded-regression test's one-node Slurm cluster
  python3 python3-numpy        # tests: check_junit.py; numpy reads compact sets (compact_sets.sh)
  libxml2-utils valgrind        # JUnit schema check (xmllint); the memcheck stage of scripts/test.sh
)

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if ((build)); then
  # ccache keys on paths relative to the checkout, so a clone elsewhere (CI's) reuses what an
  # earlier build compiled; without -g the build folder's own path is not hashed either.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # shellcheck disable=SC2086  # SA_CMAKE_ARGS: extra -D options, split on spaces
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
    ${SA_CMAKE_ARGS:-} >/dev/null
  # shellcheck disable=SC2086  # SA_BUILD_TARGETS: target names, split on spaces
  cmake --build "$build_dir" -j"$(nproc)" ${SA_BUILD_TARGETS:+--target $SA_BUILD_TARGETS}
fi
