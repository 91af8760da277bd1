#!/usr/bin/env bash
# Builds kiln and runs every test: GoogleTest (unit, e2e) and lit/FileCheck,
# all through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target check-kiln
