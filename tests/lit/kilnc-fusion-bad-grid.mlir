// RUN: not kilnc %s --emit=kmod -o %t.kmod 2>&1 | FileCheck %s
// RUN: not kiln-run %s 2>&1 | FileCheck %s
// RUN: not ls %t.kmod

// A hand-written kiln.fusion region whose ops cannot follow its grid (here
// the reduce_max reduces the dim the grid cuts): the error names the
// region's line and what to do, before codegen, without the op printed
// again in generic form, and nothing is written.

// CHECK:      {{.*}}kilnc-fusion-bad-grid.mlir:[[# @LINE + 5]]:8: 'kiln.fusion' op cannot be cut into [2] chunks along dims [0] of its results: some op of the region cannot be cut that way (a reduced dim, a padded window, a value needed whole); choose other grid_dims or chunks = [1]
// CHECK-NOT:  see current operation
// CHECK-NOT:  kernel @

func.func @m(%x: tensor<8x16xf32> {kiln.name = "x"}) -> (tensor<8x16xf32> {kiln.name = "y"}) {
  %0 = kiln.fusion "custom" (%x) {grid_dims = array<i64: 0>, chunks = array<i64: 2>}
      : (tensor<8x16xf32>) -> tensor<8x16xf32> {
  ^bb0(%a: tensor<8x16xf32>):
    %m = kiln.reduce_max %a {axes = array<i64: 0>, keep_dims = true} : tensor<8x16xf32> -> tensor<1x16xf32>
    %d = kiln.sub %a, %m : tensor<8x16xf32>, tensor<1x16xf32> -> tensor<8x16xf32>
    kiln.yield %d : tensor<8x16xf32>
  }
  return %0 : tensor<8x16xf32>
}
