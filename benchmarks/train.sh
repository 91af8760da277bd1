#!/usr/bin/env bash
# kiln's compiled training step against PyTorch's eager one, in one run:
# fashion_mlp (batch 64) and cnn (batch 8) at 1 and 2 threads, each step
# (forward, loss, backward, optimizer update) timed by kiln-bench train and
# by PyTorch on the same initial weights and batch, after checking that
# PyTorch's first step agrees with kiln's. Writes benchmarks/results/train.md.
#
#   benchmarks/train.sh [--threads=1,2] [--note=TEXT]
#
# PyTorch comes from the package registry (PyPI) into its own virtual
# environment, build/train-venv: the CPU-only wheels of
# download.pytorch.org when that index is reachable, else PyPI's default
# wheel (a CUDA build, several GB, run here on the CPU only). Where neither
# installs, Debian's python3-torch is used through a venv that sees the
# system packages, and the report says so. No kiln target or test depends on
# any of it.
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS_TAG=train.sh
PEERS_PIP_LOG=build/train-pip.log
# shellcheck source=benchmarks/peers-env.sh
source benchmarks/peers-env.sh

peers_require_tools build/tools/kiln-bench
peers_debs python3-venv

# Each index gets this long; PyPI's default wheel with its CUDA libraries is
# a few GB.
pip_timeout_s=1200
venv=build/train-venv
source_file=$venv/torch-source.txt # how torch got there, for the report
peers_venv "$venv"
pip_torch() { # DESCRIPTION PIP-ARGS...
  local what=$1
  shift
  echo "$PEERS_TAG: pip install torch from $what (log: $PEERS_PIP_LOG)"
  if timeout "$pip_timeout_s" "$py" -m pip install -q --disable-pip-version-check \
    "$@" torch numpy >>"$PEERS_PIP_LOG" 2>&1 &&
    "$py" -c "import torch" >/dev/null 2>&1; then
    echo "$what" >"$source_file"
    return 0
  fi
  echo "$PEERS_TAG: torch did not install from $what"
  return 1
}
if ! "$py" -c "import torch" >/dev/null 2>&1; then
  pip_torch "PyPI's CPU wheel index (download.pytorch.org/whl/cpu)" \
    --timeout 20 --retries 1 --index-url https://download.pytorch.org/whl/cpu ||
    pip_torch "PyPI (pypi.org), its default wheel: a CUDA build, run on the CPU \
only (the CPU wheel index, download.pytorch.org/whl/cpu, did not install)" ||
    true
fi
if ! "$py" -c "import torch" >/dev/null 2>&1; then
  echo "$PEERS_TAG: falling back to Debian's python3-torch"
  peers_debs python3-torch
  venv=build/train-venv-debian
  peers_venv "$venv" --system-site-packages
  echo "Debian python3-torch (PyPI did not install; see $PEERS_PIP_LOG)" \
    >"$venv/torch-source.txt"
  source_file=$venv/torch-source.txt
  # Debian's torch 1.13 was built against numpy 1.x.
  PEERS_PIP_ARGS=()
  peers_need numpy "numpy<2"
fi
if ! "$py" -c "import torch" >/dev/null 2>&1; then
  echo "$PEERS_TAG: no PyTorch could be installed; see $PEERS_PIP_LOG" >&2
  exit 1
fi

exec "$py" benchmarks/train.py --torch-source="$(cat "$source_file" 2>/dev/null ||
  echo unknown)" "$@"
