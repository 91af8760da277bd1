#!/usr/bin/env bash
# Configures and builds kiln (Release, Ninja, ccache when present) in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/deps.sh"
cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build "$@"
