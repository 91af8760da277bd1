#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, under AddressSanitizer
# and UndefinedBehaviorSanitizer, in build-fuzz/, and runs them side by side
# for SECONDS each (default 60), starting from their seed corpora:
#
#   scripts/fuzz.sh [SECONDS]
#
# Exits non-zero on any finding: a crash or failed check, a sanitizer report,
# a leak, an input that runs over 10 s or over 2 GiB. The fuzzers grow copies
# of the corpora under build-fuzz/run/, never the committed ones; a finding's
# input is kept in build-fuzz/run/TARGET/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]  (a whole number above 0)" >&2
  exit 2
fi

"$(dirname "$0")/deps.sh"
cmake -G Ninja -S tests/fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ \
  >/dev/null
cmake --build build-fuzz

targets=(kmod-loader npy)
run=build-fuzz/run
# Stack traces with UBSan's reports; ASan prints them anyway.
export UBSAN_OPTIONS=print_stacktrace=1
pids=()
for t in "${targets[@]}"; do
  rm -rf "$run/$t"
  mkdir -p "$run/$t/findings"
  cp -R "tests/fuzz/corpus/$t" "$run/$t/corpus"
  # The committed artifacts keep the format of their day; when the main build
  # has made kilnc, one in today's format joins them.
  if [ "$t" = kmod-loader ] && [ -x build/tools/kilnc ]; then
    build/tools/kilnc --model=linreg --target=cpu --emit=kmod \
      -o "$run/$t/corpus/linreg-current.kmod" >/dev/null 2>&1 ||
      echo "kiln: note: build/tools/kilnc made no fresh .kmod seed" >&2
  fi
  echo "kiln: fuzzing $t for $seconds s (log: $run/$t/log)"
  "build-fuzz/kiln-fuzz-$t" "$run/$t/corpus" -dict="tests/fuzz/$t.dict" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$run/$t/findings/" \
    >"$run/$t/log" 2>&1 &
  pids+=($!)
done

status=0
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  log="$run/$t/log"
  if wait "${pids[$i]}"; then
    # The last status line ("#5476261 DONE cov: 453 ft: 955 corp: 232/24Kb
    # ...") and libFuzzer's final stats.
    coverage=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 |
      grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [^ ]+' || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    echo "kiln: $t: no findings in ${runs:-?} runs (${rate:-?}/s; ${coverage:-?})"
  else
    status=1
    echo "kiln: $t: FINDING; the end of $log:" >&2
    tail -n 60 "$log" >&2
    for f in "$run/$t/findings"/*; do
      [ -e "$f" ] && echo "kiln: reproduce with: build-fuzz/kiln-fuzz-$t $f" >&2
    done
  fi
done
exit "$status"
