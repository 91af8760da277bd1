# Sourced by the peer benchmarks (peers.sh, train.sh): what they share to
# set up the frameworks kiln is compared with, outside the build. Nothing
# here is a kiln dependency; no kiln target or test uses it.
#
#   peers_require_tools TOOL...      exit unless kiln's tools are built
#   peers_debs PACKAGE...            install the Debian packages not installed
#   peers_venv DIR [VENV-FLAG...]    make (or reuse) a virtual environment;
#                                    sets $py to its Python
#   peers_need MODULE PACKAGE...     pip install PACKAGE... into it when MODULE
#                                    does not import; a failure is reported,
#                                    not fatal (the caller checks the import)
#
# Set PEERS_TAG (the script's name, for messages), PEERS_PIP_LOG (where pip's
# output goes) and PEERS_PIP_ARGS (more pip arguments: constraints, an index)
# before calling them. Callers run from the repository root.

: "${PEERS_TAG:=peers}"
: "${PEERS_PIP_LOG:=build/peers-pip.log}"
[[ -v PEERS_PIP_ARGS ]] || PEERS_PIP_ARGS=()

peers_require_tools() {
  local tool
  for tool in "$@"; do
    if [[ ! -x $tool ]]; then
      echo "$PEERS_TAG: $tool is missing; build kiln first:" >&2
      echo "  cmake -G Ninja -B build -DCMAKE_BUILD_TYPE=Release && ninja -C build" >&2
      exit 1
    fi
  done
}

peers_debs() {
  local deb missing=()
  for deb in "$@"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$deb")
  done
  ((${#missing[@]})) || return 0
  echo "$PEERS_TAG: installing ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
}

peers_venv() {
  local dir=$1
  shift
  if [[ ! -x $dir/bin/python ]]; then
    /usr/bin/python3 -m venv "$@" "$dir"
  fi
  py=$dir/bin/python
}

peers_need() {
  local module=$1
  shift
  "$py" -c "import $module" >/dev/null 2>&1 && return 0
  echo "$PEERS_TAG: pip install $* (log: $PEERS_PIP_LOG)"
  "$py" -m pip install -q --disable-pip-version-check "${PEERS_PIP_ARGS[@]}" "$@" \
    >>"$PEERS_PIP_LOG" 2>&1 ||
    echo "$PEERS_TAG: pip could not install $*; left out (see $PEERS_PIP_LOG)"
}
