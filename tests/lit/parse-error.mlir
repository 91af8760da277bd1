// RUN: not kilnc %s 2>&1 | FileCheck %s --check-prefixes=CHECK,KILNC
// RUN: not kiln-run %s 2>&1 | FileCheck %s --check-prefixes=CHECK,EXEC
// RUN: not kilnc %s --dump-after=all 2>/dev/null | count 0

// A malformed .mlir given to kilnc or kiln-run gets the parser's message
// with file, line and column and the offending line, and nothing is
// compiled or run.

// KILNC:     kilnc: {{.*}}parse-error.mlir:[[# @LINE + 5]]:35: error: expected '>' in tensor type
// EXEC:      kiln-run: {{.*}}parse-error.mlir:[[# @LINE + 4]]:35: error: expected '>' in tensor type
// CHECK-NEXT: {{^}}  %0 = kiln.relu %x : tensor<4xf32{{$}}
// CHECK-NEXT: {{^}}                                  ^
func.func @broken(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.relu %x : tensor<4xf32
  return %0 : tensor<4xf32>
}
