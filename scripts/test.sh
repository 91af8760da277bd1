#!/usr/bin/env bash
# Builds kiln and runs every test: GoogleTest (unit, e2e) and lit/FileCheck,
# all through ctest; then the libFuzzer targets (tests/fuzz) for 60 s each,
# side by side, under ASan and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target check-kiln
scripts/fuzz.sh 60
