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

PEERS_TAG=peers.sh
PEERS_PIP_LOG=build/peers-pip.log
# shellcheck source=benchmarks/peers-env.sh
source benchmarks/peers-env.sh

peers_require_tools build/tools/kilnc build/tools/kiln-run build/tools/kiln-bench

# Debian packages: OpenBLAS and oneDNN for the GEMM references, Debian's
# PyTorch (PyPI's default wheel brings gigabytes of CUDA libraries, and the
# CPU-only index is not always reachable), g++ for the GEMM program.
peers_debs libopenblas-dev libdnnl-dev python3-torch python3-venv g++

# The venv sees Debian's torch (system site packages), so numpy stays below 2,
# the version torch 1.13 was built against. Each Python peer is installed on
# its own: one that does not install is left out, not fatal.
peers_venv build/peers-venv --system-site-packages
constraints=build/peers-constraints.txt
printf 'numpy<2\nml_dtypes<0.6\n' >"$constraints"
PEERS_PIP_ARGS=(-c "$constraints")
peers_need matplotlib "numpy<2" matplotlib
peers_need onnx onnx
peers_need onnxruntime onnxruntime
peers_need iree.compiler iree-base-compiler
peers_need iree.runtime iree-base-runtime
peers_need tvm apache-tvm

exec "$py" benchmarks/peers.py "$@"
