#!/usr/bin/env bash
# The test suite: installs and builds (scripts/setup.sh), then runs every ctest label
# (unit, cosim, slow). Extra arguments go to ctest, e.g. scripts/test.sh -L cosim.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
