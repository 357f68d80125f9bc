#!/usr/bin/env bash
# Checks that the C++ sources follow .clang-format (Google style, 100 columns); ctest format_check.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror
echo "format: clean"
