#!/usr/bin/env bash
# kiln against reference implementations, side by side in one run: the seed
# models on PyTorch, ONNX Runtime, IREE and TVM with the same weights and
# inputs (outputs checked against kiln's), and f32 GEMM on OpenBLAS and
# oneDNN against kiln's GEMM and the measured FMA peak. Writes
# benchmarks/results/peers.md and benchmarks/results/peers.png.
#
#   benchmarks/peers.sh [--quick] [--budget=SECONDS] [--only=ENGINE,...]
#
# The peers live outside the build: Debian packages (installed only when
# missing) and a virtual environment under build/; no kiln target or test
# depends on them. A peer that fails to install or run is reported as such in
# the table.
set -euo pipefail
cd "$(dirname "$0")/.."

kiln_tools=(build/tools/kilnc build/tools/kiln-run build/tools/kiln-bench)
for tool in "${kiln_tools[@]}"; do
  if [[ ! -x $tool ]]; then
    echo "peers.sh: $tool is missing; build kiln first:" >&2
    echo "  cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release && ninja -C build" >&2
    exit 1
  fi
done

# Debian packages: OpenBLAS and oneDNN for the GEMM references, Debian's
# PyTorch (PyPI's default wheel brings gigabytes of CUDA libraries, and the
# CPU-only index is not always reachable), g++ for the GEMM program.
debs=(libopenblas-dev libdnnl-dev python3-torch python3-venv g++)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$deb")
done
if ((${#missing[@]})); then
  echo "peers.sh: installing ${missing[*]}"
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# The venv sees Debian's torch (system site packages), so numpy stays below 2,
# the version torch 1.13 was built against. Each Python peer is installed on
# its own: one that does not install is left out, not fatal.
venv=build/peers-venv
if [[ ! -x $venv/bin/python ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
py=$venv/bin/python
constraints=build/peers-constraints.txt
printf 'numpy<2\nml_dtypes<0.6\n' >"$constraints"
need() { # MODULE PACKAGE...: install the packages when MODULE does not import
  local module=$1
  shift
  "$py" -c "import $module" >/dev/null 2>&1 && return
  echo "peers.sh: pip install $* (log: build/peers-pip.log)"
  "$py" -m pip install -q --disable-pip-version-check -c "$constraints" "$@" \
    >>build/peers-pip.log 2>&1 ||
    echo "peers.sh: pip could not install $*; left out (see build/peers-pip.log)"
}
need matplotlib "numpy<2" matplotlib
need onnx onnx
need onnxruntime onnxruntime
need iree.compiler iree-base-compiler
need iree.runtime iree-base-runtime
need tvm apache-tvm

exec "$py" benchmarks/peers.py "$@"
