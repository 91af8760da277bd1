// RUN: not kilnc %s --emit=kmod -o %t.kmod 2>&1 | FileCheck %s
// RUN: not kiln-run %s 2>&1 | FileCheck %s
// RUN: not ls %t.kmod

// A hand-written kiln.fusion region that passes an operand straight through
// is refused as the file is read, by the op's verifier, with the line of
// the file and what to do, not deep in codegen (chunking could not compute
// such a result) and without the op printed again in generic form.

// CHECK:      {{.*}}kilnc-fusion-invalid.mlir:[[# @LINE + 8]]:10: error: 'kiln.fusion' op yields its block argument #0 unchanged as result #1: a region's results must be computed by its ops; use operand #0 itself where result #1 is used
// CHECK-NEXT: {{^}}  %0:2 = kiln.fusion
// CHECK-NEXT: {{^}}         ^
// CHECK-NOT:  see current operation
// CHECK-NOT:  kernel @

func.func @passthrough(%x: tensor<4x8xf32> {kiln.name = "x"}, %y: tensor<4x8xf32> {kiln.name = "y"})
    -> (tensor<4x8xf32> {kiln.name = "a"}, tensor<4x8xf32> {kiln.name = "b"}) {
  %0:2 = kiln.fusion "custom" (%x, %y) {grid_dims = array<i64: 0, 0>, chunks = array<i64: 2>}
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>):
    %s = kiln.add %a, %b : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
    kiln.yield %s, %a : tensor<4x8xf32>, tensor<4x8xf32>
  }
  return %0#0, %0#1 : tensor<4x8xf32>, tensor<4x8xf32>
}
