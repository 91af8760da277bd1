#!/bin/sh
#===- run-example.sh - Build and run the --emit=lib C example ------------===#
#
#   run-example.sh KILNC CC WORKDIR
#
# The ctest test `standalone-lib`: compiles fashion_mlp at batch 1 into
# libfashion_mlp.a and fashion_mlp.h, links fashion_mlp_main.c against
# them with the link line the header documents (with -std=c99 -pedantic,
# to hold the header to C99), checks that the program needs no library
# beyond libc, libm, libstdc++, libgcc_s, libdl and libpthread, runs it,
# and checks that a second compile gives the same bytes.
#
#===----------------------------------------------------------------------===#
set -eu
kilnc=$1 cc=$2 work=$3
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/again"

"$kilnc" --model=fashion_mlp --batch=1 --emit=lib -o "$work/libfashion_mlp.a"
"$cc" -std=c99 -pedantic -Wall -Wextra -Werror -I"$work" \
  "$src/fashion_mlp_main.c" "$work/libfashion_mlp.a" \
  -lstdc++ -ldl -lpthread -lm -o "$work/fashion_mlp_main"

readelf -d "$work/fashion_mlp_main" | grep NEEDED
if readelf -d "$work/fashion_mlp_main" | grep NEEDED |
   grep -v -E '\[(libc|libm|libstdc\+\+|libgcc_s|libdl|libpthread)\.so'; then
  echo "error: the program needs a library beyond libc, libm, libstdc++," \
       "libgcc_s, libdl and libpthread (above)" >&2
  exit 1
fi

"$work/fashion_mlp_main"

"$kilnc" --model=fashion_mlp --batch=1 --emit=lib \
  -o "$work/again/libfashion_mlp.a"
cmp "$work/libfashion_mlp.a" "$work/again/libfashion_mlp.a"
cmp "$work/fashion_mlp.h" "$work/again/fashion_mlp.h"
echo "reproducible: libfashion_mlp.a and fashion_mlp.h compile to the same bytes"
