// RUN: not kiln-opt %s --kiln-tile-to-workgroups 2>&1 | FileCheck %s

// --kiln-tile-to-workgroups adds arguments to kernels, which would break a
// call: a kernel with a caller fails the pass, and no module is printed.

// CHECK:       error: kernel @neg is called from the module; --kiln-tile-to-workgroups changes the signature of kernels and expects no callers
// CHECK-NOT:   module {
func.func @model(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = call @neg(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @neg(%x: tensor<4xf32>) -> tensor<4xf32> attributes {kiln.kernel} {
  %0 = arith.negf %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
